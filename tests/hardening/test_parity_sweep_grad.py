"""Gradients of every function ember shares with torch, against PyTorch 2.13: each top-level
function with one tensor and with (tensor, tensor), each Tensor method and each
nn.functional function with one tensor, on float64 inputs that require grad. The output's
grad_fn name (what a printed tensor shows), whether it requires grad, and the gradients of
sum(out * w) must match; so must a backward that raises (type and first line)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from parity_util import function_names

INPUTS = [(np.linspace(0.2, 0.9, 6), (2, 3)), (np.linspace(-1.5, 2.5, 6), (2, 3)),
          (np.linspace(0.2, 0.9, 9), (3, 3))]
OTHER = np.linspace(0.3, 1.1, 3)

# Output nodes named differently from PyTorch (values agree): composites whose last step
# PyTorch names itself, and slogdet's sign (see NO_GRAD_KNOWN).
NAME_KNOWN = {"cov", "pdist", "dist", "pairwise_distance", "trapezoid", "trapz",
              "cumulative_trapezoid", "cholesky_inverse", "slogdet"}
# PyTorch records these and raises in backward (or, slogdet's sign, gives no gradient);
# ember's result does not require grad.
NO_GRAD_KNOWN = {"histogram", "unique", "unique_consecutive", "slogdet"}
# The 3x3 input is singular: inverses and decompositions there are rounding noise. The
# nuclear norm's gradient U V^T is not unique there either: the null space's singular
# vectors are LAPACK's choice (MKL's and OpenBLAS's agree on AMD CPUs, not on Intel's).
SINGULAR = {"inverse", "logdet", "cholesky_inverse", "qr", "svd", "pinverse", "nuclear_norm"}
# A size argument given as a tensor: PyTorch's parser refuses it, ember reads its values.
# U's columns (the first output) have LAPACK-path-dependent signs, so sum(U * w) differs;
# tests/test_linalg_decomp.py checks svd's gradient with sign-invariant losses.
SIGNS = {"svd"}
SIZE_AS_TENSOR = {"tile", "adaptive_avg_pool1d", "new_ones", "new_zeros"}
SKIP = {"backward", "register_hook", "retain_grad", "detach", "numpy", "tolist", "item",
        "share_memory_", "pin_memory", "record_stream", "bernoulli", "multinomial",
        "new_empty", "new_empty_strided", "dropout", "alpha_dropout", "feature_alpha_dropout",
        "dropout1d", "dropout2d", "dropout3d", "rrelu", "gumbel_softmax", "set_", "storage",
        "untyped_storage", "data_ptr", "apply_", "map_", "map2_", "requires_grad_"}
# Casts to dtypes NumPy cannot store: ember raises its own error there (checked by
# tests/test_dtypes_named.py); PyTorch converts.
SKIP |= {"bfloat16", "cfloat", "cdouble", "chalf"}
# Functions whose results are complex tensors, which ember does not have (their argument
# errors: tests/test_s23_sam_fixes.py).
SKIP |= {"complex", "polar"}
# Conversions to sparse layouts: ember makes only the all-sparse COO form, without a graph
# (tests/test_s21_to_sparse.py); the others are refused (tests/test_programs_s12_gnntab.py).
SKIP |= {"to_sparse", "to_sparse_coo", "to_sparse_csr", "to_sparse_csc", "to_sparse_bsr",
         "to_sparse_bsc"}


def _first_float(v):
    if hasattr(v, "grad_fn"):
        return v
    if isinstance(v, (tuple, list)):
        for x in v:
            if hasattr(x, "grad_fn") and x.dtype.is_floating_point:
                return x
    return None


def _grads(lib, args):
    out = []
    for a in args:
        g = a.grad
        if g is not None:
            g = g.numpy(force=True) if lib is torch else g.numpy()
            g = np.round(g, 6).tolist()
        out.append(g)
    return out


def _run(lib, call, vals, shape, two):
    """How f(x[, y]) and backward of sum(f * w) end on ``lib``."""
    x = lib.tensor(vals.reshape(shape), dtype=lib.float64, requires_grad=True)
    args = (x, lib.tensor(OTHER, dtype=lib.float64, requires_grad=True)) if two else (x,)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = _first_float(call(lib)(*args))
        except Exception as exc:  # both refusing is agreement enough here
            return ("err",)
        if out is None or not out.requires_grad:
            return ("no grad",)
        name = type(out.grad_fn).__name__ if out.grad_fn is not None else None
        w = lib.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(tuple(out.shape)),
                       dtype=out.dtype)
        try:
            (out * w).sum().backward()
        except Exception as exc:
            return ("backward raised", name, type(exc).__name__, str(exc).splitlines()[0])
    return ("ok", name, _grads(lib, args))


def _compare(name, call, two=False):
    bad = []
    for vals, shape in INPUTS:
        if shape == (3, 3) and name in SINGULAR or name in SIGNS:
            continue
        t, e = _run(torch, call, vals, shape, two), _run(ember, call, vals, shape, two)
        if t == e or t[0] == e[0] == "err":
            continue
        if name in NO_GRAD_KNOWN and e == ("no grad",) and (
                t[0] == "backward raised" or t[0] == "ok" and t[2] == [None] * len(t[2])):
            continue
        if name in SIZE_AS_TENSOR and t == ("err",):
            continue
        if name in NAME_KNOWN and t[0] == e[0] == "ok" and _close(t[2], e[2]):
            continue
        if t[0] == e[0] == "ok" and t[1] == e[1] and _close(t[2], e[2]):
            continue
        bad.append((shape, float(vals[0]), t, e))
    assert bad == []


def _close(a, b) -> bool:
    """Rounded gradients equal up to one unit in their 6th decimal (a value on a rounding
    edge) and with -0.0 == 0.0."""
    if [g is None for g in a] != [g is None for g in b]:
        return False
    return all(g is None or np.allclose(g, h, rtol=0, atol=1.5e-6, equal_nan=True)
               for g, h in zip(a, b))


def _method_names():
    x0, e0 = torch.zeros(2, 2), ember.zeros(2, 2)

    def shared(n):
        try:
            return callable(getattr(x0, n)) and hasattr(e0, n)
        except Exception:  # properties that refuse a real 2-D tensor (.imag, .H on 1-D)
            return False
    return sorted(n for n in dir(x0) if not n.startswith("_") and not n.endswith("_")
                  and n not in SKIP and shared(n))


FUNCTIONS = [n for n in function_names() if n not in SKIP]
F_NAMES = sorted(n for n in dir(torch.nn.functional) if not n.startswith("_") and n not in SKIP
                 and callable(getattr(torch.nn.functional, n))
                 and hasattr(ember.nn.functional, n))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_gradients(name):
    _compare(name, lambda lib: getattr(lib, name))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_two_tensor_function_gradients(name):
    _compare(name, lambda lib: getattr(lib, name), two=True)


@pytest.mark.parametrize("name", _method_names())
def test_method_gradients(name):
    _compare(name, lambda lib: lambda x, *rest: getattr(x, name)(*rest))


@pytest.mark.parametrize("name", F_NAMES)
def test_functional_gradients(name):
    _compare(name, lambda lib: getattr(lib.nn.functional, name))


def test_remainder_gradient_uses_floor_division():
    """d(a % b)/db = -(a // b): -1.5 // 0.3 is -6 (0.3 is a little below 3/10) where
    floor(-1.5 / 0.3) is -5."""
    grads = []
    for lib in (ember, torch):
        b = lib.tensor([0.3], dtype=lib.float64, requires_grad=True)
        lib.remainder(lib.tensor([-1.5], dtype=lib.float64), b).sum().backward()
        grads.append(b.grad.item())
    assert grads[0] == grads[1] == 6.0


def test_floor_divide_is_recorded_but_has_no_derivative():
    for lib in (ember, torch):
        y = lib.tensor([1.5, 2.5], requires_grad=True) // 2
        assert y.requires_grad and type(y.grad_fn).__name__ == "NotImplemented"
        with pytest.raises(RuntimeError, match="derivative for aten::floor_divide is not "
                                               "implemented"):
            y.sum().backward()


# ---- second order: grad(sum(f(x) * w), x, create_graph=True), then its gradient ---------
# pdist: PyTorch has no double backward (raises), ember differentiates its composite;
# hardsigmoid: PyTorch raises in the second backward, ember's first gradient is a constant.
SECOND_KNOWN = {"pdist", "hardsigmoid"} | SIGNS | NO_GRAD_KNOWN


def _run2(lib, call, vals, shape):
    x = lib.tensor(vals.reshape(shape), dtype=lib.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = _first_float(call(lib)(x))
        except Exception:
            return ("err",)
        if out is None or not out.requires_grad:
            return ("no grad",)
        w = lib.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(tuple(out.shape)),
                       dtype=out.dtype)
        try:
            (g,) = lib.autograd.grad((out * w).sum(), x, create_graph=True)
        except Exception as exc:  # no first derivative (geqrf): both must refuse alike
            return ("first backward raised", type(exc).__name__, str(exc).splitlines()[0])
        if not g.requires_grad:
            return ("first gradient is a constant",)
        v = lib.tensor(np.linspace(-1, 1, g.numel()).reshape(tuple(g.shape)), dtype=g.dtype)
        try:
            (g * v).sum().backward()
        except Exception as exc:
            return ("second backward raised", type(exc).__name__, str(exc).splitlines()[0])
    return ("ok", _grads(lib, (x,)))


def _compare2(name, call):
    bad = []
    for vals, shape in INPUTS[:2]:
        t, e = _run2(torch, call, vals, shape), _run2(ember, call, vals, shape)
        if t == e or t[0] == e[0] == "err":
            continue
        if t[0] == e[0] == "ok" and _close(t[1], e[1]):
            continue
        bad.append((shape, float(vals[0]), t, e))
    assert bad == []


@pytest.mark.parametrize("name", [n for n in FUNCTIONS if n not in SECOND_KNOWN])
def test_function_second_order(name):
    _compare2(name, lambda lib: getattr(lib, name))


@pytest.mark.parametrize("name", [n for n in F_NAMES if n not in SECOND_KNOWN])
def test_functional_second_order(name):
    _compare2(name, lambda lib: getattr(lib.nn.functional, name))


@pytest.mark.parametrize("act", ["ReLU", "ReLU6", "LeakyReLU", "Hardtanh", "Hardshrink",
                                 "Softshrink"])
def test_input_hessian_of_a_piecewise_linear_network_is_zero(act):
    """The gradient of a ReLU network with respect to its input is recorded as depending on
    the input (through the masks), so differentiating it again gives zeros as in PyTorch,
    not 'appears to not have been used in the graph'."""
    results = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.Linear(3, 4), getattr(lib.nn, act)(), lib.nn.Linear(4, 1))
        x = lib.tensor([[0.5, -1.0, 2.0]], requires_grad=True)
        (g,) = lib.autograd.grad(net(x).sum(), x, create_graph=True)
        (h,) = lib.autograd.grad(g.sum(), x)
        results.append((type(g.grad_fn).__name__, h.tolist()))
    assert results[0] == results[1]
    assert results[0][1] == [[0.0, 0.0, 0.0]]


def _run2_two(lib, name):
    """Second order with two inputs: |dL/dx|^2 + |dL/dy|^2 differentiated again."""
    x = lib.tensor(INPUTS[0][0].reshape(INPUTS[0][1]), dtype=lib.float64, requires_grad=True)
    y = lib.tensor(OTHER, dtype=lib.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = _first_float(getattr(lib, name)(x, y))
        except Exception:
            return ("err",)
        if out is None or not out.requires_grad:
            return ("no grad",)
        w = lib.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(tuple(out.shape)),
                       dtype=out.dtype)
        try:
            grads = lib.autograd.grad((out * w).sum(), (x, y), create_graph=True,
                                      allow_unused=True)
        except Exception as exc:  # (no first derivative: PyTorch's error)
            return ("first backward raised", type(exc).__name__, str(exc).splitlines()[0])
        live = [g for g in grads if g is not None and g.requires_grad]
        if not live:
            return ("first gradients are constants",)
        try:
            sum((g * g).sum() for g in live).backward()
        except Exception as exc:
            return ("second backward raised", type(exc).__name__, str(exc).splitlines()[0])
    return ("ok", _grads(lib, (x, y)))


@pytest.mark.parametrize("name", [n for n in FUNCTIONS
                                  if n not in SECOND_KNOWN | SIZE_AS_TENSOR])
def test_two_tensor_second_order(name):
    """remainder's divisor gradient -g * (x // y) is tied to x and y as in PyTorch (zero
    second derivative rather than a constant)."""
    t, e = _run2_two(torch, name), _run2_two(ember, name)
    if t == e or t[0] == e[0] == "err":
        return
    assert t[0] == e[0] == "ok" and _close(t[1], e[1]), (t, e)
