"""Two gaps the beginner-tutorial sweep found, against PyTorch 2.13 live:

- ``.view()`` of a detached (or ``.data``, or ``Variable(...)``) non-contiguous view raises
  PyTorch's stride error (pytorch-beginner's language model: ``Variable(ids[:, i:i+s])
  .view(-1)``); ember copied, as it does for computed arrays whose layout is not PyTorch's.
- ``retain_grad()`` then an in-place op: ``.grad`` is the gradient of the tensor's new value
  (PyTorch moves the retain hook to the new node; the tensor's other hooks stay)."""

import pytest

from torch_compare import run_both, same_error_case, same_with_warnings

VIEWS = ["a.detach().view(15)", "a.data.view(15)", "a.view(15)",
         "torch.autograd.Variable(a).view(15)", "a.detach().detach().view(15)",
         "a.detach().view(3, 5)", "a.t().detach().view(15)",
         "a.detach().contiguous().view(15)", "a.detach().reshape(15)",
         "torch.arange(6.).view(2, 3).t().detach().view(6)",
         "torch.arange(6.).view(2, 3)[:, :2].detach().view(2, 2)"]


def _describe(v):
    return (tuple(v.shape), v.tolist()) if hasattr(v, "shape") else v


@pytest.mark.parametrize("call", VIEWS)
def test_view_of_a_detached_view(call):
    fn = eval(f"lambda torch, a: {call}")
    same_with_warnings(lambda L: fn(L, L.arange(69.).view(3, 23)[:, 5:10]), _describe)


@pytest.mark.parametrize("kind", ["relu_", "mul_", "mul_with_hook", "twice", "none"])
def test_retain_grad_then_in_place(kind):
    def run(L):
        w = L.tensor([1., -2., 3.], requires_grad=True)
        x = w * 2
        x.retain_grad()
        if kind == "relu_":
            L.nn.functional.relu(x, inplace=True)
        elif kind == "mul_":
            x.mul_(3)
        elif kind == "mul_with_hook":
            x.register_hook(lambda g: g * 10)  # stays on the old node
            x.mul_(3)
        elif kind == "twice":
            x.mul_(3)
            x.add_(1)
        (x * L.tensor([1., 2., 3.])).sum().backward()
        return x.grad.tolist(), w.grad.tolist()
    same_with_warnings(run)


DETACH_IN_PLACE = ["torch.ones(6, 3)[1:]", "torch.ones(6, 3).chunk(2)[0]",
                   "torch.ones(6, 3).view(3, 6)", "torch.ones(6, 3).t()", "torch.ones(6, 3)[[0, 1]]",
                   "torch.ones(3).detach()", "torch.ones(6, 3).detach()[1:]",
                   "torch.from_numpy(np.ones(3))[1:]", "torch.ones(3, requires_grad=True)[1:]",
                   "torch.ones(3, requires_grad=True)"]


@pytest.mark.parametrize("make", DETACH_IN_PLACE)
def test_detach_in_place_refuses_views(make):
    """PyTorch's detach_() refuses every autograd view (whether or not its base requires
    grad; FixMatch-era code calls it on logits): "Can't detach views in-place"."""
    import numpy as np  # noqa: F401  (the expressions use np)

    fn = eval(f"lambda torch: {make}")
    same_error_case(lambda L: fn(L).detach_() and None)


@pytest.mark.parametrize("mode", ["no_grad", "inference_mode"])
def test_detach_in_place_of_views_made_without_grad(mode):
    def run(L):
        with getattr(L, mode)():
            v = L.ones(6, 3)[1:]
        return tuple(v.detach_().shape)  # (an inference view: no error in PyTorch)
    want, got = run_both(run)
    assert got == want
