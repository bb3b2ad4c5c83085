"""Run one function on ember and on PyTorch with the same inputs; compare values, gradients
and errors (used by test_functional_more.py and test_search_stats.py)."""

from __future__ import annotations

import warnings

import numpy as np
import torch

import ember


def _np(t):
    if isinstance(t, (torch.Tensor, ember.Tensor)):
        return np.array(t.detach().numpy(), copy=True)
    return np.asarray(t)


def leaves(lib, arrays, grad=True):
    out = []
    for a in arrays:
        a = np.asarray(a)
        rg = grad and a.dtype.kind == "f"
        out.append(lib.tensor(a.copy(), requires_grad=rg))
    return out


def _outputs(res):
    if isinstance(res, tuple):
        return [r for r in res if isinstance(r, (torch.Tensor, ember.Tensor))]
    return [res]


def compare(fn, *arrays, rtol=1e-6, atol=1e-7, grad=True, seed=0):
    """fn(lib, *tensors) on both libraries: same dtypes, values and (for float inputs)
    gradients of sum(out * w) for a fixed random w."""
    e_in, t_in = leaves(ember, arrays, grad), leaves(torch, arrays, grad)
    e_out, t_out = _outputs(fn(ember, *e_in)), _outputs(fn(torch, *t_in))
    assert len(e_out) == len(t_out)
    for e, t in zip(e_out, t_out):
        assert str(e.dtype) == str(t.dtype), (e.dtype, t.dtype)
        assert tuple(e.shape) == tuple(t.shape), (e.shape, t.shape)
        np.testing.assert_allclose(_np(e), _np(t), rtol=rtol, atol=atol)
    if not grad or not any(t.requires_grad for t in t_in):
        return e_out, t_out
    rng = np.random.default_rng(seed)
    e_loss, t_loss = 0, 0
    for e, t in zip(e_out, t_out):
        if t.requires_grad:
            w = rng.standard_normal(tuple(t.shape)).astype(_np(t).dtype)
            e_loss = e_loss + (e * ember.tensor(w)).sum()
            t_loss = t_loss + (t * torch.tensor(w)).sum()
    if isinstance(t_loss, int):
        return e_out, t_out
    e_loss.backward()
    t_loss.backward()
    for e, t in zip(e_in, t_in):
        if t.requires_grad:
            tg = torch.zeros_like(t) if t.grad is None else t.grad
            assert e.grad is not None
            np.testing.assert_allclose(_np(e.grad), _np(tg), rtol=rtol * 10, atol=atol * 10)
    return e_out, t_out


def gradcheck(fn, *arrays, second=False):
    """ember's gradients of fn(ember, *float64 tensors) against central differences."""
    inputs = [ember.tensor(np.asarray(a, np.float64), requires_grad=True) for a in arrays]
    assert ember.autograd.gradcheck(lambda *xs: fn(ember, *xs), inputs)
    if second:
        assert ember.autograd.gradgradcheck(lambda *xs: fn(ember, *xs), inputs)


def error_of(call):
    try:
        call()
    except Exception as e:  # noqa: BLE001 - comparing whatever each library raises
        msg = e.args[0] if e.args and isinstance(e.args[0], str) else str(e)
        return type(e).__name__, msg.split("\n")[0]
    raise AssertionError("no exception raised")


def same_error(fn, *arrays):
    """fn(lib, *tensors) raises the same type and first line in both libraries."""
    got = error_of(lambda: fn(ember, *leaves(ember, arrays, False)))
    want = error_of(lambda: fn(torch, *leaves(torch, arrays, False)))
    assert got == want, f"ember: {got}\ntorch: {want}"


def same_error_case(case):
    """case(lib) raises the same exception type and first line on ember as on PyTorch."""
    want = error_of(lambda: case(torch))
    got = error_of(lambda: case(ember))
    assert got == want, f"ember: {got}\ntorch: {want}"


def run_both(fn):
    """[fn(torch), fn(ember)]: each a value, or the exception's type and first line."""
    out = []
    for lib in (torch, ember):
        try:
            out.append(fn(lib))
        except Exception as err:  # noqa: BLE001 - compared across libraries
            out.append((type(err).__name__, str(err).splitlines()[0]))
    return out


def _value(v):
    """A result as compared: a tensor or array as (dtype name, values), else itself."""
    if hasattr(v, "tolist") and hasattr(v, "dtype"):
        return (str(v.dtype).split(".")[-1], v.tolist())
    return v


def same_with_warnings(fn, describe=_value):
    """fn(lib) on both libraries, every warning recorded: the same result (``describe`` of the
    value, or the exception's type and first line) and the same warnings (category and
    message, less PyTorch's "(Triggered internally at ...)" tail). Returns torch's."""
    def rec(lib):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            try:
                out = describe(fn(lib))
            except Exception as e:  # noqa: BLE001 - compared across libraries
                out = (type(e).__name__, str(e).splitlines()[0])
        return out, [(w.category.__name__, str(w.message).split(" (Triggered internally")[0])
                     for w in seen]
    want, got = run_both(rec)
    assert got == want, f"ember: {got}\ntorch: {want}"
    return want


def use_up_once_warnings(fn):
    """Run ``fn(lib)`` on both libraries with warnings ignored. PyTorch issues some warnings
    once a process (TORCH_WARN_ONCE: a tensor requiring grad made a number, meshgrid without
    indexing); whether an earlier test already used one up can differ between the libraries,
    so a program that prints them compares the same state after this."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lib in (torch, ember):
            fn(lib)


def seeded(lib, shape, seed=0, grad=False, dtype=np.float32):
    """The same standard-normal tensor in either library (NumPy's generator, seeded)."""
    x = lib.from_numpy(np.random.default_rng(seed).standard_normal(shape).astype(dtype))
    return x.requires_grad_() if grad else x


def exact_and_close(fn, rtol, atol):
    """fn(lib) -> (exact, values), run on both libraries: ``exact`` (printed lines, reprs)
    equal, each of ``values`` (tensors, arrays, numbers) of one dtype and shape and equal to
    rounding (for what goes through BLAS or Sleef; the caller says which). An exception on
    either side fails the test."""
    want, got = run_both(fn)
    for res in (want, got):
        assert isinstance(res, tuple) and isinstance(res[1], list), res  # not (error, msg)
    (want, wv), (got, gv) = want, got
    assert got == want, f"ember: {got}\ntorch: {want}"
    assert len(gv) == len(wv)
    for w, g in zip(wv, gv):
        w, g = _np(w), _np(g)
        assert w.dtype == g.dtype and w.shape == g.shape, (w.dtype, g.dtype, w.shape, g.shape)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


def same(fn):
    """fn(torch) == fn(ember): the same value, or the same exception type and first line.
    Returns torch's outcome for further checks."""
    want, got = run_both(fn)
    assert got == want, f"ember: {got}\ntorch: {want}"
    return want


def try_repr(out, f):
    """Append repr(f()) to out, or f's exception type and first line (a program's printout)."""
    try:
        out.append(repr(f()))
    except Exception as e:  # noqa: BLE001 - compared across libraries
        out.append((type(e).__name__, str(e).splitlines()[0]))


def check_program(fn, exact: int = 0, rtol: float = 1e-5, atol: float = 1e-6):
    """A transcribed user program ``fn(lib) -> (printed lines, values)`` run on both
    libraries: it must run through on both, print the same lines, and give values of the
    same dtypes and shapes, the first ``exact`` of them bit-equal and the rest to rtol/atol
    (matrix products go to OpenBLAS here and MKL in PyTorch: last bits that later steps
    carry). Returns torch's outcome."""
    want, got = run_both(fn)
    assert isinstance(want, tuple) and isinstance(want[0], list), want  # ran through on torch
    assert isinstance(got, tuple) and isinstance(got[0], list), got
    assert got[0] == want[0], "\n".join(
        f"{i}: ember {g!r}\n   torch {w!r}" for i, (g, w) in enumerate(zip(got[0], want[0]))
        if g != w) or (len(got[0]), len(want[0]))
    assert len(got[1]) == len(want[1])
    for i, (g, w) in enumerate(zip(got[1], want[1])):
        g = np.array(g.detach().numpy()) if hasattr(g, "detach") else np.asarray(g)
        w = np.array(w.detach().numpy()) if hasattr(w, "detach") else np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape, (i, g.dtype, w.dtype, g.shape, w.shape)
        if i < exact:
            np.testing.assert_array_equal(g, w, err_msg=str(i))
        else:
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=str(i))
    return want
