"""Old-style PyTorch code (Variable-era posts, pre-1.0 optimizers, legacy constructors) that
once differed on ember, checked live against PyTorch: values, warnings and errors."""

from __future__ import annotations

import io
import math
import warnings

import numpy as np
import pytest
import torch

import ember
from ember import _old_overloads
from ember.ops import _where as where_module


def _run(lib, fn):
    """fn(lib)'s value (a tensor as its repr), or its exception's type and message, with the
    warnings it raised (category and message, PyTorch's "(Triggered internally ...)" cut)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn(lib)
            out = repr(out) if isinstance(out, (torch.Tensor, ember.Tensor)) else out
        except Exception as err:  # noqa: BLE001 - compared across libraries
            out = type(err).__name__, str(err)
    warned = [(w.category.__name__, str(w.message).split(" (Triggered internally")[0])
              for w in caught]
    return out, warned


def _same(fn):
    got, want = _run(ember, fn), _run(torch, fn)
    assert got == want


@pytest.fixture
def warn_always():
    """PyTorch warns once per process for the old overloads; make both warn every time."""
    torch.set_warn_always(True)
    _old_overloads._WARNED[0] = False
    where_module._WHERE_U8_WARNED[0] = False
    yield
    torch.set_warn_always(False)


def _x(L):
    return L.tensor([[0.5, -1.5, 2.0], [1.0, 0.25, -3.0]])


# ---- pre-1.0 optimizers: add_(alpha, tensor), addcmul_(value, t1, t2) ---------------------
@pytest.mark.parametrize("call", [
    lambda L, x: x.add(2, x * 3), lambda L, x: L.add(x, 2, x * 3),
    lambda L, x: x.clone().add_(-0.1, x), lambda L, x: x.sub(2, x), lambda L, x: L.sub(x, 2, x),
    lambda L, x: x.clone().sub_(0.5, x), lambda L, x: x.addcmul(0.5, x, x),
    lambda L, x: L.addcmul(x, 0.5, x, x), lambda L, x: x.clone().addcmul_(0.5, x, x),
    lambda L, x: x.addcdiv(-0.1, x, x + 5), lambda L, x: L.addcdiv(x, -0.1, x, x + 5),
    lambda L, x: x.clone().addcdiv_(-0.1, x, x + 5), lambda L, x: x.add(2, other=x),
    lambda L, x: x.long().add(2, x.long()), lambda L, x: x.long().add(0.5, x.long()),
    lambda L, x: x.add(x, x), lambda L, x: x.addcmul_(x, x, x),
])
def test_deprecated_scalar_first_overloads(warn_always, call):
    _same(lambda L: call(L, _x(L)))


def test_old_adam_step_matches():
    def run(L):
        rng = np.random.default_rng(0)
        p = L.tensor(rng.standard_normal(5).astype(np.float32), requires_grad=True)
        m, v = L.zeros(5), L.zeros(5)
        for step in range(1, 4):
            p.grad = None
            (p ** 3).sum().backward()
            g = p.grad.data
            m.mul_(0.9).add_(0.1, g)
            v.mul_(0.999).addcmul_(0.001, g, g)
            size = 0.01 * math.sqrt(1 - 0.999 ** step) / (1 - 0.9 ** step)
            p.data.addcdiv_(-size, m, v.sqrt().add_(1e-8))
        return p.detach().numpy().tolist()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert run(ember) == run(torch)


# ---- removed linear algebra, deprecated resize ---------------------------------------------
@pytest.mark.parametrize("call", [
    lambda L, a: L.symeig(a), lambda L, a: L.symeig(a, eigenvectors=True), lambda L, a: L.eig(a),
    lambda L, a: L.solve(a, a), lambda L, a: L.lstsq(a, a), lambda L, a: L.matrix_rank(a),
    lambda L, a: a.symeig(), lambda L, a: a.eig(True), lambda L, a: a.solve(a),
    lambda L, a: a.lstsq(a),
])
def test_removed_linalg_functions_raise_pytorch_error(call):
    _same(lambda L: call(L, L.eye(3)))


@pytest.mark.parametrize("call", [
    lambda L, x: x.resize(3, 2), lambda L, x: x.resize(6), lambda L, x: x.resize(4),
    lambda L, x: x.resize_as(L.zeros(3, 2)), lambda L, x: x.resize_as(L.zeros(5)),
    lambda L, x: x.t().resize(6), lambda L, x: x.requires_grad_().resize(3, 2),
])
def test_non_inplace_resize_deprecated(call):
    _same(lambda L: call(L, _x(L)))


def test_resize_grad_flows_back():
    def run(L):
        x = _x(L).requires_grad_()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (x.resize(3, 2) * L.arange(6.).view(3, 2)).sum().backward()
        return repr(x.grad)

    assert run(ember) == run(torch)


# ---- uint8 masks ----------------------------------------------------------------------------
def test_where_with_uint8_condition_warns_and_works(warn_always):
    _same(lambda L: L.where(L.tensor([1, 0, 1], dtype=L.uint8), L.ones(3), L.zeros(3)))
    _same(lambda L: L.where(L.tensor([1, 0, 1]), L.ones(3), L.zeros(3)))


# ---- Variable-era attributes ----------------------------------------------------------------
def test_volatile_attribute_reads_false_with_warning():
    def run(L):
        x = L.ones(2)
        x.volatile = True
        return x.volatile

    _same(run)


# ---- legacy constructors and x.type(...) ----------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda L: L.FloatTensor(), lambda L: L.LongTensor(), lambda L: L.Tensor(),
    lambda L: L.FloatTensor(3.0), lambda L: L.LongTensor(2.5), lambda L: L.Tensor(3.0),
    lambda L: L.Tensor(True), lambda L: L.Tensor(np.float32(2)), lambda L: L.Tensor("abc"),
    lambda L: L.Tensor(L.Size([2, 3])).shape,
    lambda L: L.LongTensor(L.tensor([1.0, 2.0])), lambda L: L.FloatTensor(L.tensor([1, 2])),
    lambda L: L.DoubleTensor(L.tensor([1.0])), lambda L: L.Tensor(L.tensor([1, 2])),
    lambda L: L.ones(2).new(3.0), lambda L: L.ones(2).new(L.tensor([1, 2])),
    lambda L: L.FloatTensor.is_cuda, lambda L: L.FloatTensor.is_sparse,
])
def test_legacy_constructors(call):
    _same(call)


def test_legacy_constructor_of_a_tensor_shares_memory():
    for L in (ember, torch):
        src = L.tensor([1.0, 2.0])
        alias = L.FloatTensor(src)
        alias[0] = 5.0
        assert src[0].item() == 5.0 and alias is not src


@pytest.mark.parametrize("arg", [
    "torch.FooTensor", "float", "FloatTensor", "torch.float64", "torch.DoubleTensor",
    "torch.Tensor", float, int, np.float32, 3, None,
])
def test_tensor_type_argument_checks(arg):
    _same(lambda L: L.ones(2, dtype=L.long).type(arg))
    _same(lambda L: L.ones(2, dtype=L.long).type(L.Tensor))


# ---- torch.cuda on a machine without CUDA ---------------------------------------------------
@pytest.mark.parametrize("name", [
    "synchronize", "current_device", "get_device_name", "get_device_capability",
    "memory_allocated", "max_memory_allocated", "memory_reserved", "is_initialized", "seed",
    "seed_all", "initial_seed",
])
def test_cuda_calls_answer_like_cpu_only_torch(name):
    _same(lambda L: getattr(L.cuda, name)())


@pytest.mark.parametrize("name", ["FloatTensor", "LongTensor", "ByteTensor", "DoubleTensor"])
def test_cuda_legacy_types_exist_but_refuse(name):
    _same(lambda L: getattr(L.cuda, name)([1.0]))
    _same(lambda L: L.ones(1).type(getattr(L.cuda, name)))
    _same(lambda L: L.ones(1).type("torch.cuda." + name))
    # (its deprecation warning is once per process in both: compare the error only)
    fn = lambda L: L.set_default_tensor_type(getattr(L.cuda, name))  # noqa: E731
    assert _run(ember, fn)[0] == _run(torch, fn)[0]
    _same(lambda L: isinstance(L.ones(1), getattr(L.cuda, name)))
    _same(lambda L: getattr(L.cuda, name).__name__)


# ---- nn.Module without super().__init__(), checkpoints in memory ----------------------------
def test_module_without_init_parameters_is_attribute_error():
    def run(L):
        class Net(L.nn.Module):
            def __init__(self):
                self.n = 3

        return list(Net().parameters())

    _same(run)


def test_save_load_bytesio_header_length_that_looks_like_pickle():
    # Some header lengths (640 = 0x280 bytes...) start the file with b"\x80\x02", as a pickle.
    starts = set()
    for length in range(20, 120):
        sd = {"k" * length + str(i): ember.ones(1) for i in range(3)}
        buf = io.BytesIO()
        ember.save(sd, buf)
        starts.add(buf.getvalue()[:1])
        buf.seek(0)
        assert list(ember.load(buf)) == list(sd)
    assert b"\x80" in starts  # the case above was met


# ---- pre-0.4 autograd spellings --------------------------------------------------------------
def test_old_style_function_instance_warns_then_refuses():
    def run(L):
        class OldReLU(L.autograd.Function):
            def forward(self, x):
                return x.clamp(min=0)

        return OldReLU()(L.ones(2, requires_grad=True))

    _same(run)


def test_ctx_saved_variables_still_works_with_warning():
    def run(L):
        class Square(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, g):
                x, = ctx.saved_variables
                return 2 * x * g

        x = L.tensor([1.0, -2.0], requires_grad=True)
        Square.apply(x).sum().backward()
        return x.grad

    _same(run)


def test_autograd_backward_grad_variables_is_grad_tensors():
    def run(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        L.autograd.backward([x * 3], grad_variables=[L.tensor([1.0, 10.0])])
        return x.grad

    _same(run)
    _same(lambda L: L.autograd.backward([L.ones(1, requires_grad=True) * 2], [L.ones(1)],
                                        grad_variables=[L.ones(1)]))
