"""A sweep of common functions over dtypes (float, long, bool), shapes that do and do not
broadcast or contract, 0-d and empty inputs, and dims in and out of range, against PyTorch
2.13: either both raise the same exception type (and, where PyTorch's message is its own
rather than Python's argument parser's, the same first line), or both return equal values
of one dtype and shape. Then the specific cases the sweep found."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

UNARY = ["abs", "exp", "log", "sin", "tanh", "sigmoid", "relu", "sqrt", "neg", "floor",
         "round", "sign", "erf", "logsumexp", "softmax", "log_softmax", "cumsum", "cumprod",
         "argmax", "max", "sum", "mean", "std", "prod", "any", "flatten", "squeeze",
         "unsqueeze", "transpose", "t", "sort", "argsort", "topk", "kthvalue", "median",
         "unique", "flip", "roll", "diag", "tril", "trace", "nonzero", "cummax",
         "logcumsumexp", "amax", "nansum", "diff", "det", "inverse", "matrix_exp"]
BINARY = ["add", "mul", "div", "pow", "maximum", "atan2", "fmod", "remainder", "matmul",
          "mm", "bmm", "dot", "mv", "outer", "eq", "where", "cat", "stack", "hypot",
          "logaddexp", "dist", "floor_divide", "copysign", "nextafter", "xlogy", "lerp",
          "gcd", "tensordot", "einsum"]
SPECS1 = [("f", (2, 3)), ("i", (2, 3)), ("b", (2, 3)), ("f", ()), ("f", (0, 3))]
SHAPES2 = [((2, 3), (3, 2)), ((2, 3), (2, 4)), ((2, 3), (3,)), ((2,), (3,)),
           ((2, 2, 3), (2, 3, 4)), ((), (2,))]
KINDS2 = [("f", "f"), ("f", "i"), ("i", "i"), ("b", "f"), ("f", "b"), ("b", "b"), ("i", "f")]
# PyTorch skips its dim check on an empty cummax; ember checks (an out-of-range dim is a bug)
KNOWN = {("cummax", ("f", (0, 3)), 5), ("cummax", ("f", (0, 3)), -5)}


def _make(lib, kind: str, shape: tuple):
    n = int(np.prod(shape))
    if kind == "f":
        a = np.linspace(-1.5, 2.5, n, dtype=np.float32).reshape(shape)
    elif kind == "i":
        a = np.arange(n, dtype=np.int64).reshape(shape)
    else:
        a = (np.arange(n) % 2 == 0).reshape(shape)
    return lib.tensor(a)


def _call(lib, fn: str, args: list, kw: dict):
    if fn in ("cat", "stack"):
        return getattr(lib, fn)(args, **kw)
    if fn == "where":
        return lib.where(args[0] > 0, args[0], args[1])
    if fn == "lerp":
        return lib.lerp(args[0], args[1], 0.5)
    if fn == "einsum":
        return lib.einsum("ij,jk->ik", *args)
    return getattr(lib, fn)(*args, **kw)


def _outcome(lib, fn, specs, kw):
    try:
        return "ok", _call(lib, fn, [_make(lib, *s) for s in specs], kw)
    except Exception as exc:  # the comparison is the point
        return "err", exc


def _python_parser_message(msg: str) -> bool:
    """TypeErrors worded by Python's or PyTorch's argument parser (same type, own words)."""
    return any(s in msg for s in ("required positional argument", "unexpected keyword",
                                  "invalid combination of arguments"))


def _compare(fn, specs, kw) -> str | None:
    t, e = _outcome(torch, fn, specs, kw), _outcome(ember, fn, specs, kw)
    where = f"{fn}{specs}{kw}"
    if t[0] != e[0]:
        return f"{where}: torch {t[0]} {t[1]!r:.120}, ember {e[0]} {e[1]!r:.120}"
    if t[0] == "err":
        if not isinstance(e[1], type(t[1])):
            return f"{where}: torch {type(t[1]).__name__}, ember {type(e[1]).__name__}: {e[1]}"
        tm, em = (str(x).split("\n")[0] for x in (t[1], e[1]))
        if tm != em and not _python_parser_message(tm):
            return f"{where}: torch says {tm!r}, ember says {em!r}"
        return None
    tv, ev = t[1], e[1]
    for a, b in zip(tv if isinstance(tv, tuple) else (tv,), ev if isinstance(ev, tuple) else (ev,)):
        an, bn = a.detach().numpy(), b.detach().numpy()
        if an.shape != bn.shape or an.dtype != bn.dtype or not np.allclose(
                an, bn, rtol=1e-6, atol=1e-6, equal_nan=True):
            return f"{where}: values {an.dtype}{an.shape} vs {bn.dtype}{bn.shape}"
    return None


@pytest.mark.parametrize("fn", UNARY)
def test_unary_sweep(fn):
    bad = []
    for spec in SPECS1:
        for kw in ({}, {"dim": 5}, {"dim": -5}, {"dim": 1}):
            if (fn, spec, kw.get("dim")) not in KNOWN:
                bad.append(_compare(fn, [spec], kw))
    assert [b for b in bad if b] == []


@pytest.mark.parametrize("fn", BINARY)
def test_binary_sweep(fn):
    bad = [_compare(fn, [(ka, sa), (kb, sb)], {}) for sa, sb in SHAPES2 for ka, kb in KINDS2]
    assert [b for b in bad if b] == []


def test_unique_dim_and_nan():
    m = [[1, 2, 1], [3, 4, 3], [1, 2, 1]]
    for dim in (0, 1, -1):
        for kw in ({}, {"return_inverse": True}, {"return_counts": True},
                   {"return_inverse": True, "return_counts": True}):
            t = torch.unique(torch.tensor(m), dim=dim, **kw)
            e = ember.unique(ember.tensor(m), dim=dim, **kw)
            for a, b in zip(t if isinstance(t, tuple) else (t,), e if isinstance(e, tuple)
                            else (e,)):
                assert np.array_equal(a.numpy(), b.numpy()) and a.numpy().dtype == b.numpy().dtype
    nan = float("nan")
    t = torch.unique(torch.tensor([1.0, nan, 2.0, nan, 1.0]), return_counts=True)
    e = ember.unique(ember.tensor([1.0, nan, 2.0, nan, 1.0]), return_counts=True)
    assert np.array_equal(t[0].numpy(), e[0].numpy(), equal_nan=True)  # every nan distinct
    assert np.array_equal(t[1].numpy(), e[1].numpy())
    with pytest.raises(RuntimeError, match="There are 0 sized dimensions"):
        ember.unique(ember.zeros(0, 3), dim=1)
    assert tuple(ember.unique(ember.zeros(0, 3), dim=0).shape) == (0, 3)


@pytest.mark.parametrize("value", [0.5, 0.0])
def test_nonzero_of_a_scalar(value):
    t, e = torch.nonzero(torch.tensor(value)), ember.nonzero(ember.tensor(value))
    assert tuple(t.shape) == tuple(e.shape) and e.dtype == ember.int64
    (t1,), (e1,) = torch.tensor(value).nonzero(as_tuple=True), \
        ember.tensor(value).nonzero(as_tuple=True)
    assert np.array_equal(t1.numpy(), e1.numpy())


@pytest.mark.parametrize("call", [lambda m, x: m.softmax(x), lambda m, x: x.softmax(),
                                  lambda m, x: m.log_softmax(x), lambda m, x: m.flip(x),
                                  lambda m, x: x.flip()])
def test_required_dims_are_required(call):
    with pytest.raises(TypeError) as t:
        call(torch, torch.ones(2, 3))
    with pytest.raises(TypeError) as e:
        call(ember, ember.ones(2, 3))
    assert str(e.value) == str(t.value)


def test_functional_softmax_still_picks_a_dim_with_a_warning():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = ember.nn.functional.softmax(ember.ones(2, 3))
    assert np.allclose(y.numpy(), 1 / 3)


@pytest.mark.parametrize("dtype", ["long", "int32", "bool"])
def test_bce_with_logits_integer_target(dtype):
    td, ed = getattr(torch, dtype), getattr(ember, dtype)
    with pytest.raises(RuntimeError) as t:
        torch.nn.BCEWithLogitsLoss()(torch.ones(4), torch.ones(4, dtype=td))
    with pytest.raises(RuntimeError) as e:
        ember.nn.BCEWithLogitsLoss()(ember.ones(4), ember.ones(4, dtype=ed))
    first, hint = str(e.value).split("\n", 1)
    assert first == str(t.value).split("\n")[0]
    assert "target.float()" in hint


def test_generated_functions_name_themselves_in_type_errors():
    with pytest.raises(TypeError, match=r"^tanh\(\) got an unexpected keyword argument 'dim'"):
        ember.tanh(ember.ones(2), dim=1)
    with pytest.raises(TypeError, match=r"^eq\(\) missing 1 required positional argument"):
        ember.eq(ember.ones(2))
    with pytest.raises(TypeError, match=r"^sinh\(\) takes 1 positional argument"):
        ember.sinh(ember.ones(2), 1)
