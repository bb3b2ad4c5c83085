"""Op-table test machinery: one table of ``OpCase`` rows drives every check against PyTorch.

A row names an op as a function of the module, ``fn(T, *inputs, **kwargs)``, so that the same
lambda runs on ember and on torch (``torch_fn`` overrides the torch side when the spellings
differ). Inputs are described once and materialised identically for both libraries:

* a tuple is a shape, filled from the row's ``domain`` in the run's float dtype;
* a NumPy array (or ``V(...)``) is explicit values; float values follow the run's dtype unless
  ``V`` pins a dtype, int/bool arrays keep theirs;
* a Python number is passed as a Python scalar.

Checks (``make_tests`` returns pytest functions parametrized over a table):

(a) ``forward``: values vs PyTorch 2.13; dtype, shape and requires_grad must match exactly.
(b) ``grad_fd``: the vector-Jacobian product (random upstream gradient) vs float64 central
    finite differences of ember's own forward.
(c) ``grad_torch``: the same vjp vs PyTorch's, in float32 and float64.
(d) ``gradgrad`` (rows with ``gradgrad=True``): the second-order vjp through
    ``create_graph=True`` vs torch.autograd.grad twice, and vs finite differences of the
    first-order vjp.

``ErrorCase`` rows check that ember raises PyTorch's exception type with its first line.
Usage in a test module::

    from optable import OpCase, ErrorCase, make_tests, make_error_test
    CASES = [OpCase("exp", lambda T, x: T.exp(x), [(2, 3)]), ...]
    test_forward, test_grad_fd, test_grad_torch, test_gradgrad = make_tests(CASES)
    test_errors = make_error_test(ERRORS)
"""

from __future__ import annotations

import dataclasses
import zlib
from typing import Any, Callable, Sequence

import numpy as np
import pytest
import torch

import ember

FLOATS = ("float32", "float64")
FIXED = "fixed"  # a run dtype that leaves every input's dtype as written (promotion rows)
# torch.testing.assert_close's defaults for each dtype.
TOL = {"float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7), "float16": (1e-3, 1e-5)}
FD_EPS = 1e-6
FD_TOL = (1e-6, 1e-5)  # (rtol, atol) for float64 finite differences

DOMAINS: dict[str, Callable[[np.random.Generator, tuple], np.ndarray]] = {
    "real": lambda r, s: r.standard_normal(s),
    "positive": lambda r, s: r.uniform(0.5, 2.0, s),
    "nonzero": lambda r, s: r.uniform(0.5, 2.0, s) * r.choice([-1.0, 1.0], s),
    "unit": lambda r, s: r.uniform(-0.9, 0.9, s),
    "wide": lambda r, s: r.uniform(-4.0, 4.0, s),
}


@dataclasses.dataclass(frozen=True)
class V:
    """Explicit input values; ``dtype`` pins the dtype (otherwise floats follow the run)."""

    data: Any
    dtype: str | None = None
    requires_grad: bool | None = None  # None: differentiable when float and listed in `grad`

    def array(self, run_dtype: str) -> np.ndarray:
        a = np.asarray(self.data)
        if self.dtype is not None:
            return a.astype(self.dtype)
        if a.dtype.kind == "f" and run_dtype != FIXED:
            return a.astype(run_dtype)
        return a


@dataclasses.dataclass
class OpCase:
    """One row of the op table (see the module docstring)."""

    name: str
    fn: Callable  # fn(T, *inputs, **kwargs) with T the ember or torch module
    inputs: Sequence[Any]
    kwargs: dict = dataclasses.field(default_factory=dict)
    torch_fn: Callable | None = None
    dtypes: Sequence[str] = FLOATS  # run dtypes for the forward check (and the grad checks)
    grad: Sequence[int] | None = None  # differentiable inputs; None: every float tensor input
    domain: str | Callable | Sequence = "real"  # one for all inputs, or one per input
    fd: bool = True  # finite-difference check (off for rows placed on kinks on purpose)
    gradgrad: bool = False
    grad_fn_name: bool = True  # compared only when make_tests(..., grad_fn_names=True)

    def __post_init__(self):
        if self.torch_fn is None:
            self.torch_fn = self.fn

    # ---- inputs -------------------------------------------------------------------------
    def _domain(self, i: int):
        d = self.domain
        if isinstance(d, (list, tuple)):
            d = d[i]
        return DOMAINS[d] if isinstance(d, str) else d

    def arrays(self, run_dtype: str, seed_extra: int = 0) -> list:
        """The inputs as NumPy arrays (tensors) or Python scalars, reproducibly per row."""
        rng = np.random.default_rng(zlib.crc32(self.name.encode()) + seed_extra)
        out = []
        for i, spec in enumerate(self.inputs):
            if isinstance(spec, tuple):
                out.append(np.asarray(self._domain(i)(rng, spec), dtype=_np_dtype(run_dtype)))
            elif isinstance(spec, V):
                out.append(spec.array(run_dtype))
            elif isinstance(spec, np.ndarray):
                out.append(V(spec).array(run_dtype))
            else:
                out.append(spec)
        return out

    def diff_mask(self, arrays: list) -> list[bool]:
        mask = []
        for i, (spec, a) in enumerate(zip(self.inputs, arrays)):
            is_float_tensor = isinstance(a, np.ndarray) and a.dtype.kind == "f"
            wanted = self.grad is None or i in self.grad
            if isinstance(spec, V) and spec.requires_grad is not None:
                wanted = spec.requires_grad
            mask.append(bool(is_float_tensor and wanted))
        return mask

    def follows_run_dtype(self) -> bool:
        """True when no float input has a pinned dtype (finite differences need float64)."""
        return not any(isinstance(s, V) and s.dtype is not None and s.dtype.startswith("float")
                       for s in self.inputs)

    def grad_dtypes(self) -> list[str]:
        """Run dtypes for the torch gradient check: float ones, and FIXED rows with grads."""
        return [d for d in self.dtypes if (d in FLOATS or d == FIXED)
                and any(self.diff_mask(self.arrays(d)))]

    def run(self, lib: str, arrays: list, mask: list[bool]):
        """Build tensors for ``lib`` ('ember' or 'torch'), call the op; (output, inputs)."""
        T = ember if lib == "ember" else torch
        args = []
        for a, rg in zip(arrays, mask):
            if isinstance(a, np.ndarray):
                args.append(T.tensor(a.copy(), requires_grad=rg))
            else:
                args.append(a)
        fn = self.fn if lib == "ember" else self.torch_fn
        return fn(T, *args, **self.kwargs), args

    def __repr__(self) -> str:
        return f"OpCase({self.name})"


@dataclasses.dataclass
class ErrorCase:
    """A call that must fail as in PyTorch: same exception type, same first message line."""

    name: str
    fn: Callable
    inputs: Sequence[Any]
    kwargs: dict = dataclasses.field(default_factory=dict)
    dtype: str = "float32"
    torch_fn: Callable | None = None


def _np_dtype(run_dtype: str) -> str:
    return "float32" if run_dtype == FIXED else run_dtype


# ---- comparing results ----------------------------------------------------------------
def leaves(out) -> list:
    """An op's result as a flat list: tensors, Python scalars, nested tuples flattened."""
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in leaves(o)]
    return [out]


def to_numpy(t) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return t.detach().numpy(force=True)  # force: torch's ZeroTensor gradients
    return np.asarray(t.detach()._data)


def dtype_name(t) -> str:
    return str(t.dtype).replace("torch.", "")


def assert_tensor_close(e, t, what: str, rtol=None, atol=None) -> None:
    """ember tensor ``e`` equals torch tensor ``t``: dtype, shape, then values."""
    assert isinstance(e, ember.Tensor), f"{what}: ember gave {type(e).__name__}, not a Tensor"
    assert dtype_name(e) == dtype_name(t), f"{what}: dtype {e.dtype} != torch's {t.dtype}"
    assert tuple(e.shape) == tuple(t.shape), f"{what}: shape {tuple(e.shape)} != {tuple(t.shape)}"
    en, tn = to_numpy(e), to_numpy(t)
    if tn.dtype.kind in "biu":
        np.testing.assert_array_equal(en, tn, err_msg=what)
        return
    dr, da = TOL.get(dtype_name(t), TOL["float64"])
    np.testing.assert_allclose(en, tn, rtol=dr if rtol is None else rtol,
                               atol=da if atol is None else atol, err_msg=what)


def grad_fn_name(t) -> str | None:
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def assert_same_output(e_out, t_out, what: str, names: bool = False) -> None:
    el, tl = leaves(e_out), leaves(t_out)
    assert len(el) == len(tl), f"{what}: {len(el)} outputs, torch gives {len(tl)}"
    if isinstance(t_out, tuple) and hasattr(t_out, "indices"):  # torch.return_types
        assert hasattr(e_out, "values") and hasattr(e_out, "indices"), f"{what}: no .values"
    for k, (e, t) in enumerate(zip(el, tl)):
        w = f"{what} output {k}"
        if isinstance(t, torch.Tensor):
            assert_tensor_close(e, t, w)
            assert e.requires_grad == t.requires_grad, (
                f"{w}: requires_grad {e.requires_grad} != torch's {t.requires_grad}")
            if names:  # printed tensors show it: tensor(2., grad_fn=<MeanBackward0>)
                assert grad_fn_name(e) == grad_fn_name(t), (
                    f"{w}: grad_fn {grad_fn_name(e)} != torch's {grad_fn_name(t)}")
        else:
            assert type(e) is type(t) and e == t, f"{w}: {e!r} != torch's {t!r}"


# ---- the checks -----------------------------------------------------------------------
def check_forward(case: OpCase, dtype: str, names: bool = False) -> None:
    arrays = case.arrays(dtype)
    mask = case.diff_mask(arrays)
    t_out, _ = case.run("torch", arrays, mask)
    e_out, _ = case.run("ember", arrays, mask)
    assert_same_output(e_out, t_out, f"{case.name}[{dtype}]", names and case.grad_fn_name)


def _diff_outputs(out) -> list[int]:
    return [k for k, o in enumerate(leaves(out)) if isinstance(o, torch.Tensor)
            and o.requires_grad]


def _upstream(case: OpCase, t_out, dtype: str) -> list[np.ndarray]:
    rng = np.random.default_rng(zlib.crc32(case.name.encode()) + 7)
    tl = leaves(t_out)
    return [rng.standard_normal(tuple(tl[k].shape)).astype(dtype_name(tl[k]))
            for k in _diff_outputs(t_out)]


def _vjp(lib: str, out, inputs, mask, ups, create_graph=False):
    """Gradients of sum_k <ups_k, out_k> w.r.t. the differentiable inputs (None if unused)."""
    T = ember if lib == "ember" else torch
    outs = [leaves(out)[k] for k in _diff_outputs_of(lib, out)]
    xs = [x for x, m in zip(inputs, mask) if m]
    gs = [T.tensor(u) for u in ups]
    return T.autograd.grad(outs, xs, gs, allow_unused=True, create_graph=create_graph)


def _diff_outputs_of(lib: str, out) -> list[int]:
    cls = ember.Tensor if lib == "ember" else torch.Tensor
    return [k for k, o in enumerate(leaves(out)) if isinstance(o, cls) and o.requires_grad]


def _grads_close(eg, tg, what: str, lenient_none=False) -> None:
    assert len(eg) == len(tg)
    for i, (e, t) in enumerate(zip(eg, tg)):
        w = f"{what} grad {i}"
        if t is None or e is None:
            if lenient_none:  # second order: an absent gradient is a zero gradient
                other = e if t is None else t
                assert other is None or not to_numpy(other).any(), f"{w}: None vs nonzero"
                continue
            assert e is None and t is None, f"{w}: ember {e is None and 'None'}, torch {t}"
            continue
        assert_tensor_close(e, t, w)


def check_grad_torch(case: OpCase, dtype: str) -> None:
    arrays = case.arrays(dtype)
    mask = case.diff_mask(arrays)
    t_out, t_in = case.run("torch", arrays, mask)
    ups = _upstream(case, t_out, dtype)
    tg = _vjp("torch", t_out, t_in, mask, ups)
    e_out, e_in = case.run("ember", arrays, mask)
    assert _diff_outputs_of("ember", e_out) == _diff_outputs(t_out), "differentiable outputs"
    eg = _vjp("ember", e_out, e_in, mask, ups)
    _grads_close(eg, tg, f"{case.name}[{dtype}]")


def _objective(case: OpCase, arrays, mask, ups) -> float:
    """sum_k <ups_k, f(x)_k> computed by ember without a graph (for finite differences)."""
    with ember.no_grad():
        out, _ = case.run("ember", arrays, [False] * len(arrays))
    el = leaves(out)
    idx = [k for k, o in enumerate(el) if isinstance(o, ember.Tensor)
           and o.dtype.is_floating_point][:len(ups)]
    return float(sum(np.sum(u.astype(np.float64) * to_numpy(el[k]))
                     for k, u in zip(idx, ups)))


def _fd_grads(f, arrays, mask) -> list[np.ndarray]:
    """Central differences of the scalar function ``f(arrays)`` for each masked input."""
    grads = []
    for i, m in enumerate(mask):
        if not m:
            continue
        x = arrays[i]
        g = np.zeros(x.shape, np.float64)
        for j in np.ndindex(x.shape):
            old = x[j]
            x[j] = old + FD_EPS
            hi = f(arrays)
            x[j] = old - FD_EPS
            lo = f(arrays)
            x[j] = old
            g[j] = (hi - lo) / (2 * FD_EPS)
        grads.append(g)
    return grads


def _assert_fd(analytic, numeric, what: str) -> None:
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        a = np.zeros_like(n) if a is None else to_numpy(a)
        assert a.shape == n.shape, f"{what} grad {i}: shape {a.shape} != {n.shape}"
        np.testing.assert_allclose(a, n, rtol=FD_TOL[0], atol=FD_TOL[1],
                                   err_msg=f"{what} grad {i} vs finite differences")


def check_grad_fd(case: OpCase) -> None:
    arrays = case.arrays("float64")
    mask = case.diff_mask(arrays)
    t_out, _ = case.run("torch", arrays, mask)
    ups = _upstream(case, t_out, "float64")
    e_out, e_in = case.run("ember", arrays, mask)
    eg = _vjp("ember", e_out, e_in, mask, ups)
    numeric = _fd_grads(lambda a: _objective(case, a, mask, ups), arrays, mask)
    _assert_fd(eg, numeric, case.name)


def _second_order(lib, case, arrays, mask, ups, ws):
    """d/dx of sum_i <w_i, vjp_i(x)>: the gradient of the first-order vjp, via create_graph."""
    T = ember if lib == "ember" else torch
    out, xs = case.run(lib, arrays, mask)
    first = _vjp(lib, out, xs, mask, ups, create_graph=True)
    terms = [(g * T.tensor(w)).sum() for g, w in zip(first, ws)
             if g is not None and g.requires_grad]
    if not terms:
        return [None] * len(ws)
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return list(T.autograd.grad(total, [x for x, m in zip(xs, mask) if m], allow_unused=True))


def check_gradgrad(case: OpCase) -> None:
    arrays = case.arrays("float64")
    mask = case.diff_mask(arrays)
    t_out, _ = case.run("torch", arrays, mask)
    ups = _upstream(case, t_out, "float64")
    rng = np.random.default_rng(zlib.crc32(case.name.encode()) + 11)
    ws = [rng.standard_normal(a.shape) for a, m in zip(arrays, mask) if m]
    tg = _second_order("torch", case, arrays, mask, ups, ws)
    eg = _second_order("ember", case, arrays, mask, ups, ws)
    _grads_close(eg, tg, f"{case.name} gradgrad", lenient_none=True)
    if not case.fd:
        return

    def first_order_objective(arrs):
        out, xs = case.run("ember", arrs, mask)
        gs = _vjp("ember", out, xs, mask, ups)
        return float(sum(np.sum(w * to_numpy(g)) for g, w in zip(gs, ws) if g is not None))

    numeric = _fd_grads(first_order_objective, arrays, mask)
    _assert_fd(eg, numeric, f"{case.name} gradgrad")


def check_error(case: ErrorCase) -> None:
    arrays = OpCase(case.name, case.fn, case.inputs).arrays(case.dtype)
    results = []
    for lib in ("torch", "ember"):
        T = ember if lib == "ember" else torch
        args = [T.tensor(a.copy()) if isinstance(a, np.ndarray) else a for a in arrays]
        fn = case.torch_fn if lib == "torch" and case.torch_fn else case.fn
        try:
            fn(T, *args, **case.kwargs)
        except Exception as err:  # noqa: BLE001 - any exception type is compared below
            results.append(err)
        else:
            results.append(None)
    t_err, e_err = results
    assert t_err is not None, f"{case.name}: torch does not raise (bad test row)"
    assert e_err is not None, f"{case.name}: ember does not raise; torch: {t_err}"
    assert type(e_err).__name__ == type(t_err).__name__, (
        f"{case.name}: ember raises {type(e_err).__name__}: {e_err}; torch "
        f"{type(t_err).__name__}: {t_err}")
    first = str(t_err).splitlines()[0] if str(t_err) else ""
    got = str(e_err).splitlines()[0] if str(e_err) else ""
    assert got == first, f"{case.name}: first line\n  ember: {got}\n  torch: {first}"


def second_order_where_smooth(cases: Sequence[OpCase], skip=()) -> Sequence[OpCase]:
    """Turn on the second-order check for every row at a smooth point (``fd=True``), except
    the names in ``skip`` (rows whose first derivative is itself singular)."""
    for case in cases:
        if case.fd and case.name not in skip:
            case.gradgrad = True
    return cases


# ---- pytest glue ----------------------------------------------------------------------
def _params(cases, dtypes_of):
    return [pytest.param(c, d, id=f"{c.name}-{d}") for c in cases for d in dtypes_of(c)]


def make_tests(cases: Sequence[OpCase], grad_fn_names: bool = False):
    """The four table-driven pytest functions for ``cases`` (assign them to test_* names).

    ``grad_fn_names``: the forward check also compares the output's grad_fn class name with
    PyTorch's (rows may opt out with ``grad_fn_name=False``)."""
    names = [c.name for c in cases]
    dup = {n for n in names if names.count(n) > 1}
    assert not dup, f"duplicate row names: {sorted(dup)}"
    with_grad = [c for c in cases if c.grad_dtypes()]

    @pytest.mark.parametrize("case,dtype", _params(cases, lambda c: c.dtypes))
    def test_forward(case, dtype):
        check_forward(case, dtype, grad_fn_names)

    fd_cases = [c for c in with_grad if c.fd and c.follows_run_dtype()
                and "float64" in c.grad_dtypes()]

    @pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in fd_cases])
    def test_grad_fd(case):
        check_grad_fd(case)

    @pytest.mark.parametrize("case,dtype", _params(with_grad, OpCase.grad_dtypes))
    def test_grad_torch(case, dtype):
        check_grad_torch(case, dtype)

    gg = [c for c in with_grad if c.gradgrad and c.follows_run_dtype()
          and "float64" in c.grad_dtypes()]

    @pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in gg])
    def test_gradgrad(case):
        check_gradgrad(case)

    # A check with no rows is None rather than a test that pytest would report as skipped.
    return (test_forward, test_grad_fd if fd_cases else None,
            test_grad_torch if with_grad else None, test_gradgrad if gg else None)


def make_error_test(cases: Sequence[ErrorCase]):
    @pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in cases])
    def test_error(case):
        check_error(case)

    return test_error
