"""Session 23 (tag: xlstm): what the xLSTM / Mamba sweep found. torch.cuda.amp's deprecated
custom_fwd / custom_bwd, which the CUDA-backed sLSTM cell of NX-AI/xlstm and older
mamba_ssm import (``from torch.cuda.amp import custom_bwd, custom_fwd``) to decorate their
autograd Functions: each warns (FutureWarning, on every use) and hands the function back as
torch.amp's device_type='cuda' spelling does. Each case runs on torch 2.13 and ember live."""

import importlib

import pytest
from torch_compare import same_with_warnings


def _square_fn(L, fwd_deco, bwd_deco):
    class Square(L.autograd.Function):
        @staticmethod
        @fwd_deco
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @bwd_deco
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = L.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = Square.apply(x)
    y.sum().backward()
    return y.tolist(), x.grad.tolist(), y.grad_fn.name()


def test_cuda_amp_custom_fwd_bwd_bare():
    same_with_warnings(lambda L: _square_fn(L, L.cuda.amp.custom_fwd, L.cuda.amp.custom_bwd))


def test_cuda_amp_custom_fwd_with_cast_inputs():
    # @custom_fwd(cast_inputs=torch.float32): the call gives the decorator
    same_with_warnings(lambda L: _square_fn(L, L.cuda.amp.custom_fwd(cast_inputs=L.float32),
                                            L.cuda.amp.custom_bwd))


def test_cuda_amp_import_spelling():
    def case(L):
        mod = importlib.import_module(L.__name__ + ".cuda.amp")
        from_names = [getattr(mod, n) for n in ("custom_fwd", "custom_bwd")]
        return _square_fn(L, *from_names), mod.amp_definitely_not_available()
    same_with_warnings(case)


@pytest.mark.parametrize("call", ["bwd_no_arg", "fwd_positional_cast", "fwd_device_type"])
def test_cuda_amp_custom_decorators_bad_calls(call):
    def case(L):
        amp = L.cuda.amp
        if call == "bwd_no_arg":
            return amp.custom_bwd()
        if call == "fwd_positional_cast":
            return amp.custom_fwd(None, L.float32)
        return amp.custom_fwd(device_type="cuda")
    same_with_warnings(case, describe=lambda v: type(v).__name__)


# ---- whole-tensor writes: mamba_simple's state updates and the sLSTM loop's states_all ----
# PyTorch's slicing hands back the tensor itself when every part covers its whole dim (``:``,
# ``...``, ``0:n`` with n >= size, step 1): ``y[:] = x`` is then y.copy_(x) (CopyBackwards, a
# C++ node whose name() carries torch::autograd::) or, for a number or 0-dim value,
# y.fill_(v) (FillBackward3); a partial slice, an int or None makes a view (CopySlices).

_WRITES = ["y[:]", "y[...]", "y[0:3]", "y[:, :]", "y[:, 0:9]", "y[:, ...]", "y[::1]", "y[None]",
           "y[0]", "y[:, 1:]", "y[[0, 1, 2]]", "y[y > -1]"]


@pytest.mark.parametrize("shape", [(3, 4), (4,), (1, 4), (1,), ()])
@pytest.mark.parametrize("write", _WRITES)
def test_setitem_node_values_and_grads(write, shape):
    def case(L):
        L.manual_seed(0)
        x = L.randn(shape, requires_grad=True)
        y = L.zeros(3, 4)
        exec(write + " = x * 2", {"y": y, "x": x})
        (y * L.arange(12.0).view(3, 4)).sum().backward()
        return y.grad_fn.name(), repr(y.grad_fn).split(" at ")[0], y.tolist(), x.grad.tolist(), \
            y._version
    same_with_warnings(case)


@pytest.mark.parametrize("value", ["3.0", "2", "True", "L.tensor(2.0)", "L.tensor([2.0])",
                                   "L.tensor(2, dtype=L.int64)",
                                   "L.tensor(2.0, dtype=L.float64, requires_grad=True)"])
def test_setitem_whole_from_scalar_fills(value):
    def case(L):
        y = L.zeros(3, 4, requires_grad=True) * 1
        exec("y[:] = " + value, {"y": y, "L": L})
        (y * L.arange(12.0).view(3, 4)).sum().backward()
        return y.grad_fn.name(), y.tolist(), y._version
    same_with_warnings(case)


def test_copy_and_diff_node_names():
    def case(L):
        x = L.randn(3, requires_grad=True)
        y = L.zeros(3)
        y.copy_(x)
        z = L.zeros(2, 3)
        z[0].copy_(x)  # through a view: CopySlices on the base
        return (y.grad_fn.name(), type(y.grad_fn).__name__, z.grad_fn.name(),
                L.diff(x, n=0).grad_fn.name())
    same_with_warnings(case)


@pytest.mark.parametrize("write", ["y[[0, 1, 2]]", "y[:, [0, 1, 2, 3]]", "y[[0, 1]]",
                                   "y[1:, [0, 2]]", "y[:]", "y[0]"])
def test_setitem_value_that_does_not_fit_with_grad(write):
    # recorded (the value requires grad) or not, PyTorch's message for the misfit value
    def case(L):
        x = L.randn(5, requires_grad=True)
        y = L.zeros(3, 4)
        exec(write + " = x", {"y": y, "x": x})
    same_with_warnings(case)
