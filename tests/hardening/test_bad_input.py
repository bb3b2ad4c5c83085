"""Bad input, property-based: random shapes (0-d and empty dims included), dims (out of range
included), dtypes and indices (out of bounds included) go through ember and PyTorch 2.13 alike.

Each call must either return what PyTorch returns (same shape, same dtype, values within
tolerance) or raise where PyTorch raises: the same exception family and PyTorch's first line
(where several index values are out of range, ember may name another of them). Never a value
where PyTorch raises, an error where it returns, or a NumPy exception leaking out.

Behaviour left out on purpose: ``logsumexp(x, ())`` (see test_reductions), ``expand`` with
sizes below -1, several Ellipses in one index, NumPy bool scalars as indices.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ember

# HARDENING_EXAMPLES=5000 HARDENING_RANDOM=1 runs a longer, fresh fuzz locally.
SETTINGS = settings(max_examples=int(os.environ.get("HARDENING_EXAMPLES", 200)), deadline=None,
                    derandomize=not os.environ.get("HARDENING_RANDOM"), database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
DTYPES = ("float32", "float64", "int64", "bool")
FAMILIES = (IndexError, TypeError, ValueError, RuntimeError)
TOL = {"float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


# ---- the comparison ---------------------------------------------------------------------
def _convert(lib, v):
    """Materialise an argument spec for one library: arrays become tensors, recursively."""
    if isinstance(v, np.ndarray):
        return lib.from_numpy(v.copy())
    if isinstance(v, list):
        return [_convert(lib, x) for x in v]
    if isinstance(v, tuple):
        return tuple(_convert(lib, x) for x in v)
    return v


def _family(err: BaseException):
    return next((f for f in FAMILIES if isinstance(err, f)), None)


def _first_line(err: BaseException) -> str:
    return str(err).split("\n")[0]


@contextlib.contextmanager
def _deadline(seconds: float):
    """A hang becomes a failure (TimeoutError is no PyTorch family, so it never matches)."""
    def stop(signum, frame):
        raise TimeoutError(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _call(lib, fn, args):
    try:
        with _deadline(10):
            return fn(lib, *_convert(lib, args)), None
    except TimeoutError:
        raise
    except Exception as err:  # noqa: BLE001 - any exception is compared below
        return None, err


def _check_error(name, e_err, t_err, args) -> None:
    where = f"{name}{_show(args)}"
    assert e_err is not None, f"{where}: torch raised {t_err!r}, ember returned a value"
    assert not type(e_err).__module__.startswith("numpy"), \
        f"{where}: NumPy's {type(e_err).__name__} leaked: {e_err}"
    assert _family(e_err) is _family(t_err), \
        f"{where}: ember raised {e_err!r}, torch raised {t_err!r}"
    e_line, t_line = _first_line(e_err), _first_line(t_err)
    if e_line == t_line or _same_bad_index(e_line, t_line):
        return
    raise AssertionError(f"{where}: ember said {e_line!r}, torch said {t_line!r}")


def _same_bad_index(e_line: str, t_line: str) -> bool:
    """Several index values may be out of range; which one is named first depends on the
    order a kernel reads them in. Same dim and size, and ember names a bad value too."""
    pat = r"^index (-?\d+) is out of bounds for dimension (\d+) with size (\d+)$"
    e, t = re.match(pat, e_line), re.match(pat, t_line)
    if not (e and t) or e.groups()[1:] != t.groups()[1:]:
        return False
    value, size = int(e.group(1)), int(e.group(3))
    return not 0 <= value < size


def _check_value(where, e, t) -> None:
    if isinstance(t, (tuple, list)):
        assert isinstance(e, (tuple, list)) and len(e) == len(t), f"{where}: {e!r} vs {t!r}"
        for a, b in zip(e, t):
            _check_value(where, a, b)
        return
    if not isinstance(t, torch.Tensor):
        assert not isinstance(e, ember.Tensor) and e == t, f"{where}: {e!r} vs {t!r}"
        return
    assert isinstance(e, ember.Tensor), f"{where}: ember gave {type(e).__name__}"
    assert tuple(e.shape) == tuple(t.shape), f"{where}: shape {tuple(e.shape)} vs {tuple(t.shape)}"
    assert str(e.dtype) == str(t.dtype), f"{where}: dtype {e.dtype} vs {t.dtype}"
    ea, ta = np.asarray(e.detach()._data), t.detach().numpy()
    if ta.dtype.kind == "f":
        rtol, atol = TOL[ta.dtype.name]
        np.testing.assert_allclose(ea, ta, rtol=rtol, atol=atol, equal_nan=True, err_msg=where)
    else:
        np.testing.assert_array_equal(ea, ta, err_msg=where)


def _show(args) -> str:
    def one(v):
        if isinstance(v, np.ndarray):
            return f"<{v.dtype} {list(v.shape)}>"
        if isinstance(v, (list, tuple)):
            inner = ", ".join(one(x) for x in v)
            return f"[{inner}]" if isinstance(v, list) else f"({inner})"
        return repr(v)
    return "(" + ", ".join(one(a) for a in args) + ")"


def same_as_torch(name: str, fn, *args) -> None:
    """``fn(lib, *args)`` on ember and on torch: the same result, or the same error."""
    t_out, t_err = _call(torch, fn, args)
    e_out, e_err = _call(ember, fn, args)
    if t_err is not None:
        _check_error(name, e_err, t_err, args)
        return
    if e_err is not None:
        raise AssertionError(f"{name}{_show(args)}: torch returned, ember raised "
                             f"{type(e_err).__name__}: {e_err}") from e_err
    _check_value(f"{name}{_show(args)}", e_out, t_out)


# ---- strategies -------------------------------------------------------------------------
shapes = st.lists(st.integers(0, 3), min_size=0, max_size=4).map(tuple)
dtypes = st.sampled_from(DTYPES)
dims = st.integers(-5, 5)


def _fill(rng: np.random.Generator, shape: tuple, dtype: str) -> np.ndarray:
    if dtype == "bool":
        return np.asarray(rng.random(shape) < 0.5)
    if dtype == "int64":
        return np.asarray(rng.integers(-3, 4, shape), dtype=np.int64)
    return np.asarray(rng.standard_normal(shape), dtype=dtype)


@st.composite
def arrays(draw, shape=None, dtype=None):
    shape = draw(shapes) if shape is None else shape
    dtype = draw(dtypes) if dtype is None else dtype
    seed = draw(st.integers(0, 2**16))
    return _fill(np.random.default_rng(seed), shape, dtype)


@st.composite
def related_shape(draw, shape: tuple):
    """A shape that usually broadcasts with ``shape``: a suffix, with some sizes set to 1 and,
    now and then, one size changed (so that it does not)."""
    n = draw(st.integers(0, len(shape)))
    out = list(shape[len(shape) - n:])
    for i in range(len(out)):
        if draw(st.integers(0, 3)) == 0:
            out[i] = 1
    if out and draw(st.integers(0, 4)) == 0:
        out[draw(st.integers(0, len(out) - 1))] = draw(st.integers(0, 4))
    lead = draw(st.lists(st.integers(1, 2), max_size=1))
    return tuple(lead + out)


# ---- elementwise binary ops with broadcasting ---------------------------------------------
BINARY = {
    "add": lambda T, a, b: T.add(a, b),
    "sub": lambda T, a, b: a - b,
    "mul": lambda T, a, b: a * b,
    "div": lambda T, a, b: a / b,
    "floor_divide": lambda T, a, b: a // b,
    "remainder": lambda T, a, b: a % b,
    "pow": lambda T, a, b: a ** b,
    "maximum": lambda T, a, b: T.maximum(a, b),
    "eq": lambda T, a, b: a == b,
    "lt": lambda T, a, b: a < b,
    "and": lambda T, a, b: a & b,
    "add_alpha": lambda T, a, b: T.add(a, b, alpha=2),
    "add_": lambda T, a, b: a.add_(b),
    "mul_": lambda T, a, b: a.mul_(b),
    "div_": lambda T, a, b: a.div_(b),
}
SCALARS = st.sampled_from([0, 2, -1, 0.5, True, float("inf"), float("nan"), 2**40])


@given(st.sampled_from(sorted(BINARY)), arrays(), st.data())
@SETTINGS
def test_binary_broadcasting(name, a, data):
    other = data.draw(st.one_of(arrays(shape=data.draw(related_shape(a.shape))), SCALARS))
    if data.draw(st.booleans()):
        a, other = other, a
    if not isinstance(a, np.ndarray) and name.endswith("_"):
        a, other = other, a
    same_as_torch(name, BINARY[name], a, other)


# ---- reductions and softmax -----------------------------------------------------------------
REDUCE = {
    "sum": lambda T, x, d, k: T.sum(x, d, keepdim=k) if d is not None else T.sum(x),
    "mean": lambda T, x, d, k: T.mean(x, d, keepdim=k) if d is not None else T.mean(x),
    "max": lambda T, x, d, k: T.max(x, d, keepdim=k) if d is not None else T.max(x),
    "min": lambda T, x, d, k: x.min(d, k) if d is not None else x.min(),
    "argmax": lambda T, x, d, k: T.argmax(x, d, keepdim=k),
    "argmin": lambda T, x, d, k: x.argmin(d, k),
    "softmax": lambda T, x, d, k: T.softmax(x, d),
    "log_softmax": lambda T, x, d, k: T.log_softmax(x, d),
    "logsumexp": lambda T, x, d, k: T.logsumexp(x, d, keepdim=k),
    "prod": lambda T, x, d, k: T.prod(x, d, keepdim=k) if d is not None else T.prod(x),
    "std": lambda T, x, d, k: T.std(x, d, keepdim=k),
    "any": lambda T, x, d, k: T.any(x, d, keepdim=k) if d is not None else T.any(x),
}
DIM_ARGS = {"sum", "mean", "logsumexp", "std", "any"}  # these also take a tuple of dims


@given(st.sampled_from(sorted(REDUCE)), arrays(), st.data())
@SETTINGS
def test_reductions(name, x, data):
    dim = data.draw(st.one_of(st.none(), dims) if name not in ("softmax", "log_softmax")
                    else dims)
    if name in DIM_ARGS and data.draw(st.integers(0, 3)) == 0:
        # logsumexp(x, ()) is left out: PyTorch 2.13 fails on it for most shapes with an
        # internal "output with shape [] doesn't match the broadcast shape [1]"; ember
        # reduces over all dims, as its keepdim=True form does in PyTorch.
        dim = tuple(data.draw(st.lists(dims, min_size=name == "logsumexp", max_size=3)))
    same_as_torch(name, REDUCE[name], x, dim, data.draw(st.booleans()))


# ---- shape ops ------------------------------------------------------------------------------
SHAPE_OPS = {
    "reshape": lambda T, x, s: T.reshape(x, s),
    "view": lambda T, x, s: x.view(*s),
    "permute": lambda T, x, s: x.permute(*s),
    "expand": lambda T, x, s: x.expand(*s),
    "flatten": lambda T, x, s: T.flatten(x, *s[:2]),
    "transpose": lambda T, x, s: T.transpose(x, *(s + (0, 0))[:2]),
    "squeeze": lambda T, x, s: T.squeeze(x, s[0]) if len(s) == 1 else T.squeeze(x, s),
    "unsqueeze": lambda T, x, s: T.unsqueeze(x, (s + (0,))[0]),
    "movedim": lambda T, x, s: T.movedim(x, (s + (0, 0))[0], (s + (0, 0))[1]),
    "movedim_seq": lambda T, x, s: T.movedim(x, s[:(len(s) + 1) // 2], s[(len(s) + 1) // 2:]),
}


@st.composite
def size_args(draw, shape: tuple):
    """A shape argument: a rearrangement of ``shape``'s sizes, or random sizes, with -1s."""
    if draw(st.booleans()):
        out = list(draw(st.permutations(shape)))
        if out and draw(st.booleans()):
            out[draw(st.integers(0, len(out) - 1))] = -1
        if draw(st.booleans()):
            out.insert(draw(st.integers(0, len(out))), 1)
        return tuple(out)
    return tuple(draw(st.lists(st.integers(-2, 4), max_size=4)))


@given(st.sampled_from(sorted(SHAPE_OPS)), arrays(), st.data())
@SETTINGS
def test_shape_ops(name, x, data):
    if name in ("reshape", "view", "expand"):
        s = data.draw(size_args(x.shape))
        if name == "expand":  # PyTorch lets some negative sizes through, then fails on numel
            lead = len(s) - x.ndim
            s = tuple(max(v, -1 if i >= lead else 0) for i, v in enumerate(s))
    elif name == "permute" and data.draw(st.booleans()):
        s = tuple(data.draw(st.permutations(range(x.ndim))))
    else:
        s = tuple(data.draw(st.lists(dims, max_size=3)))
    same_as_torch(name, SHAPE_OPS[name], x, s)


@given(st.sampled_from(["cat", "stack"]), arrays(), st.data())
@SETTINGS
def test_cat_stack(name, x, data):
    others = []
    for _ in range(data.draw(st.integers(0, 2))):
        shape = list(x.shape)
        if shape and data.draw(st.booleans()):
            shape[data.draw(st.integers(0, len(shape) - 1))] = data.draw(st.integers(0, 3))
        if data.draw(st.integers(0, 5)) == 0:
            shape = list(data.draw(shapes))
        others.append(data.draw(arrays(shape=tuple(shape))))
    fn = (lambda T, xs, d: T.cat(xs, d)) if name == "cat" else (lambda T, xs, d: T.stack(xs, d))
    same_as_torch(name, fn, [x] + others, data.draw(dims))


# ---- indexing -------------------------------------------------------------------------------
def index_items(ndim: int):
    ints = st.integers(-4, 4)
    steps = st.sampled_from([None, 1, 2, -1])
    slices = st.builds(slice, st.one_of(st.none(), ints), st.one_of(st.none(), ints), steps)
    tensors = st.builds(lambda s, seed: np.random.default_rng(seed).integers(-4, 4, s),
                        st.lists(st.integers(0, 3), max_size=2).map(tuple), st.integers(0, 99))
    masks = st.builds(lambda s, seed: np.asarray(np.random.default_rng(seed).random(s) < 0.5),
                      st.lists(st.integers(0, 3), max_size=max(ndim, 1)).map(tuple),
                      st.integers(0, 99))
    lists = st.lists(ints, min_size=1, max_size=3)
    return st.one_of(ints, slices, tensors, masks, lists, st.none(), st.booleans())


@st.composite
def indices(draw, shape: tuple):
    """An index for a tensor of ``shape``: one item or a tuple of up to 3 of them; bool masks
    usually take the indexed tensor's own leading shape."""
    items = draw(st.lists(index_items(len(shape)), min_size=1, max_size=3))
    if draw(st.integers(0, 3)) == 0:  # at most one Ellipsis (PyTorch's handling of several
        items.insert(draw(st.integers(0, len(items))), Ellipsis)  # is its own story)
    for k, it in enumerate(items):
        if isinstance(it, np.ndarray) and it.dtype == np.bool_ and draw(st.booleans()):
            n = draw(st.integers(0, len(shape)))
            items[k] = np.asarray(np.random.default_rng(n).random(shape[:n]) < 0.5)
    return items[0] if len(items) == 1 and draw(st.booleans()) else tuple(items)


def _getitem(T, x, idx):
    return x[idx]


def _setitem(T, x, idx, value):
    x[idx] = value
    return x


@given(arrays(), st.data())
@SETTINGS
def test_getitem(x, data):
    same_as_torch("getitem", _getitem, x, data.draw(indices(x.shape)))


@given(arrays(), st.data())
@SETTINGS
def test_setitem(x, data):
    idx = data.draw(indices(x.shape))
    value = data.draw(st.one_of(st.sampled_from([0, 1.5, True]),
                                arrays(shape=data.draw(st.sampled_from([(), (1,), (2,), (3, 1)])),
                                       dtype=str(x.dtype))))
    same_as_torch("setitem", _setitem, x, idx, value)


@given(st.sampled_from(["gather", "index_select", "take"]), arrays(), st.data())
@SETTINGS
def test_gather_index_select(name, x, data):
    n = {"gather": max(x.ndim, 1) if data.draw(st.booleans()) else None, "index_select": 1,
         "take": None}[name]
    ishape = tuple(data.draw(st.lists(st.integers(0, 3), min_size=n or 0, max_size=n or 3)))
    if data.draw(st.integers(0, 4)) == 0:
        ishape = data.draw(shapes)
    lo = -max(x.shape, default=1) - 1
    index = np.random.default_rng(data.draw(st.integers(0, 99))).integers(lo, -lo + 1, ishape)
    index = index.astype(data.draw(st.sampled_from(["int64", "int64", "int32", "float32"])))
    fn = {"gather": lambda T, x, d, i: T.gather(x, d, i),
          "index_select": lambda T, x, d, i: T.index_select(x, d, i),
          "take": lambda T, x, d, i: T.take(x, i)}[name]
    same_as_torch(name, fn, x, data.draw(dims), index)


# ---- matmul ---------------------------------------------------------------------------------
@given(st.lists(st.integers(0, 3), max_size=4).map(tuple), st.data())
@SETTINGS
def test_matmul(sa, data):
    sb = list(data.draw(related_shape(sa)))
    if len(sa) >= 1 and len(sb) >= 2 and data.draw(st.integers(0, 3)):
        sb[-2] = sa[-1]  # usually make the inner sizes agree
    if len(sb) >= 2 and data.draw(st.booleans()):
        sb[-1] = data.draw(st.integers(0, 3))
    float_dtypes = st.sampled_from(["float32", "float64", "float64", "int64"])
    da = data.draw(float_dtypes)
    db = da if data.draw(st.integers(0, 3)) else data.draw(float_dtypes)
    a, b = data.draw(arrays(shape=sa, dtype=da)), data.draw(arrays(shape=tuple(sb), dtype=db))
    same_as_torch("matmul", lambda T, a, b: T.matmul(a, b), a, b)
