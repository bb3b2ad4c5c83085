"""squeeze_ / unsqueeze_ / t_ / transpose_ / swapaxes_ / swapdims_ on a view of a leaf that
requires grad: PyTorch's "a view of a leaf Variable" error in grad mode (before t_'s rank
check); on views of non-leaves as PyTorch (xlstm sweep). Checked live. (Under no_grad,
PyTorch's view of such a leaf still reports requires_grad=True and refuses these too: a
known difference, README.)"""

import pytest

from torch_compare import same, same_error_case

OPS = [lambda v: v.squeeze_(1), lambda v: v.unsqueeze_(0), lambda v: v.t_(),
       lambda v: v.transpose_(0, 1), lambda v: v.swapaxes_(0, 1), lambda v: v.swapdims_(0, 1)]
VIEWS = [lambda q: q[0], lambda q: q[:, :, 1:2], lambda q: q[0, :, :1]]


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("view", VIEWS)
def test_view_of_a_leaf(op, view):
    def grad_mode(lib):
        q = lib.randn(2, 3, 4, requires_grad=True)
        return list(op(view(q)).shape)
    same_error_case(grad_mode)

    def non_leaf(lib):
        q = lib.randn(2, 3, 4, requires_grad=True) * 2
        try:
            v = op(view(q))
        except RuntimeError as e:
            return str(e).splitlines()[0]
        return list(v.shape), type(v.grad_fn).__name__
    same(non_leaf)
