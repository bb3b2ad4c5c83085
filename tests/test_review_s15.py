"""Review of session 15's library changes: the defects found, each against PyTorch live.

float16 ELU/SiLU/CELU/SELU and lerp gradients in float32 (0-d tensors too), inference-tensor
masks and Parameters, a requires-grad alpha, histogram's bins and range checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from torch_compare import same, same_error_case

_XS = (np.random.default_rng(3).standard_normal(64) * 2).astype(np.float16)

_ACTS = {
    "elu": lambda F, t: F.elu(t),
    "elu_alpha": lambda F, t: F.elu(t, alpha=0.3),
    "selu": lambda F, t: F.selu(t),
    "celu": lambda F, t: F.celu(t, 0.7),
    "silu": lambda F, t: F.silu(t),
}


def _bits(t):
    return (str(t.dtype), t.detach().numpy().tobytes())


@pytest.mark.parametrize("name", sorted(_ACTS))
def test_half_activation_forward_in_float32(name):
    # ELU with alpha != 1 multiplied in half arithmetic (alpha rounded to float16 first)
    same(lambda lib: _bits(_ACTS[name](lib.nn.functional, lib.tensor(_XS))))


@pytest.mark.parametrize("dtype", ["float16", "float32"])
@pytest.mark.parametrize("name", sorted(_ACTS))
@pytest.mark.parametrize("upstream", ["backward", "times"])
def test_0d_activation_gradient_rounding(name, dtype, upstream):
    # a 0-d tensor's gradient arrives as a NumPy scalar: the float16 path (in float32) and
    # SiLU's fused float32 gradient took only arrays
    def grads(lib):
        out = []
        for v in _XS[:48].astype(dtype):
            t = lib.tensor(v, requires_grad=True)
            y = _ACTS[name](lib.nn.functional, t)
            (y if upstream == "backward" else y * lib.tensor(np.array(0.37, dtype))).backward()
            out.append(_bits(t.grad))
        return out

    same(grads)


@pytest.mark.parametrize("w", [0.3, 0.7])
def test_half_lerp_number_weight_gradients(w):
    def grads(lib):
        rng = np.random.default_rng(1)
        a, b, g = (rng.standard_normal(200).astype(np.float16) for _ in range(3))
        x, e = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        lib.lerp(x, e, w).backward(lib.tensor(g))
        return _bits(x.grad), _bits(e.grad)

    same(grads)


def _inference(lib, make):
    with lib.inference_mode():
        return make(lib)


_MASK = [True, False, True]

_INFERENCE_CASES = {
    "bool_index": lambda lib: lib.ones(3, 2, requires_grad=True)[
        _inference(lib, lambda l: l.tensor(_MASK))],
    "bool_index_in_tuple": lambda lib: lib.ones(3, 2, requires_grad=True)[
        _inference(lib, lambda l: l.tensor(_MASK)), 0],
    "where_condition": lambda lib: lib.where(
        _inference(lib, lambda l: l.tensor(_MASK)), lib.ones(3, requires_grad=True), 0.0),
    "where_condition_other": lambda lib: lib.where(
        _inference(lib, lambda l: l.tensor(_MASK)), 0.0, lib.ones(3, requires_grad=True)),
    "masked_fill_mask": lambda lib: lib.ones(3, requires_grad=True).masked_fill(
        _inference(lib, lambda l: l.tensor(_MASK)), 0.0),
    "masked_select_mask": lambda lib: lib.ones(3, requires_grad=True).masked_select(
        _inference(lib, lambda l: l.tensor(_MASK))),
    "parameter": lambda lib: lib.nn.Parameter(_inference(lib, lambda l: l.ones(3))),
}


@pytest.mark.parametrize("name", sorted(_INFERENCE_CASES))
def test_inference_tensor_refused(name):
    same_error_case(_INFERENCE_CASES[name])


def _no_graph(lib):
    with lib.no_grad():
        return lib.where(_inference(lib, lambda l: l.tensor(_MASK)),
                         lib.ones(3, requires_grad=True), 0.0).tolist()


_INFERENCE_ALLOWED = {
    "bool_index_no_grad": lambda lib: lib.ones(3, 2)[
        _inference(lib, lambda l: l.tensor(_MASK))].tolist(),
    "where_no_grad_inputs": lambda lib: lib.where(
        _inference(lib, lambda l: l.tensor(_MASK)), lib.ones(3), 0.0).tolist(),
    "where_under_no_grad": _no_graph,
    "where_inside_mode": lambda lib: _inference(lib, lambda l: l.where(
        l.tensor(_MASK), l.ones(3, requires_grad=True), 0.0).tolist()),
    "masked_fill_no_grad": lambda lib: lib.ones(3).masked_fill(
        _inference(lib, lambda l: l.tensor(_MASK)), 0.0).tolist(),
    "parameter_no_grad": lambda lib: lib.nn.Parameter(
        _inference(lib, lambda l: l.ones(3)), requires_grad=False).requires_grad,
    "parameter_inside_mode": lambda lib: _inference(
        lib, lambda l: l.nn.Parameter(l.ones(3)).requires_grad),
}


@pytest.mark.parametrize("name", sorted(_INFERENCE_ALLOWED))
def test_inference_tensor_allowed(name):
    same(_INFERENCE_ALLOWED[name])


@pytest.mark.parametrize("call", [
    lambda lib, a, b, al: lib.add(a, b, alpha=al),
    lambda lib, a, b, al: lib.sub(a, b, alpha=al),
    lambda lib, a, b, al: a.add_(b, alpha=al),
])
def test_alpha_requiring_grad_is_no_number(call):
    same_error_case(lambda lib: call(lib, lib.ones(3), lib.ones(3),
                                     lib.tensor(0.5, requires_grad=True)))
    same(lambda lib: call(lib, lib.ones(3), lib.ones(3), lib.tensor(0.5)).tolist())


_H = [0.1, 0.5, 0.5, 0.9, 2.0]
_NAN, _INF = float("nan"), float("inf")

_HIST_ERRORS = {
    "bins_0": lambda lib: lib.histogram(lib.tensor(_H), bins=0),
    "bins_negative": lambda lib: lib.histogram(lib.tensor(_H), bins=-1),
    "range_reversed": lambda lib: lib.histogram(lib.tensor(_H), bins=3, range=(1.0, 0.0)),
    "range_nan": lambda lib: lib.histogram(lib.tensor(_H), bins=3, range=(_NAN, 0.0)),
    "range_inf": lambda lib: lib.histogram(lib.tensor(_H), bins=3, range=(0.0, _INF)),
    "range_inf_reversed": lambda lib: lib.histogram(lib.tensor(_H), bins=3, range=(_INF, 0.0)),
    "nan_data": lambda lib: lib.histogram(lib.tensor([_NAN, 1.0]), bins=3),
    "dd_bins_0": lambda lib: lib.histogramdd(lib.tensor([_H, _H]).T, bins=[2, 0]),
    "dd_range_inf": lambda lib: lib.histogramdd(lib.tensor([_H, _H]).T, bins=[2, 2],
                                                range=[0.0, 1.0, 0.0, _INF]),
    "dd_nan_data": lambda lib: lib.histogramdd(lib.tensor([[_NAN, 1.0], [0.0, 2.0]]),
                                               bins=[2, 2]),
}


@pytest.mark.parametrize("name", sorted(_HIST_ERRORS))
def test_histogram_bins_and_range_checked(name):
    # bins <= 0 crashed inside NumPy, a reversed or non-finite range gave counts silently
    same_error_case(_HIST_ERRORS[name])


@pytest.mark.parametrize("kwargs", [dict(bins=4), dict(bins=4, range=(0.0, 1.0)),
                                    dict(bins=3, range=(0.5, 0.5))])
def test_histogram_values_unchanged(kwargs):
    same(lambda lib: [t.tolist() for t in lib.histogram(lib.tensor(_H), **kwargs)])


def _seeded(call):
    def run(lib):
        lib.manual_seed(3)
        return call(lib).tolist(), lib.rand(2).tolist()

    return run


@pytest.mark.parametrize("args", [(7,), (2, 9), (0, 2), (1, 2), (-1, 1), (0, None), (1, None),
                                  (2, None)])
def test_bool_random_bounds(args):
    # a bool tensor's bounds went unchecked (random_(7) drew), and random_(2, None) crashed
    same(_seeded(lambda lib: lib.empty(6, dtype=lib.bool).random_(*args)))


@pytest.mark.parametrize("dtype, args", [("uint8", (0, None)), ("uint8", (0, 257)),
                                         ("int8", (-129, 0)), ("int8", (127, None))])
def test_int_random_bounds(dtype, args):
    same(_seeded(lambda lib: lib.empty(6, dtype=getattr(lib, dtype)).random_(*args)))


_INPLACE_ELUS = {
    "elu": lambda F, t: F.elu(t, 0.3, inplace=True),
    "elu_": lambda F, t: F.elu_(t),
    "selu": lambda F, t: F.selu(t, inplace=True),
    "celu": lambda F, t: F.celu(t, 0.7, inplace=True),
}


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("name", sorted(_INPLACE_ELUS))
def test_inplace_elu_gradient_from_the_result(name, dtype):
    # PyTorch's EluBackward1/CeluBackward1 read the result: k (y + c) for y <= 0. ember took
    # the input's exp instead, a third of the entries apart (float16 CELU by up to 80%)
    def grads(lib):
        rng = np.random.default_rng(5)
        x = lib.tensor((rng.standard_normal(300) * 3).astype(dtype), requires_grad=True)
        y = x * 1
        _INPLACE_ELUS[name](lib.nn.functional, y)
        y.backward(lib.tensor(rng.standard_normal(300).astype(dtype)))
        return _bits(x.grad)

    same(grads)


@pytest.mark.parametrize("name", sorted(_INPLACE_ELUS))
def test_inplace_elu_result_changed_later_fails_backward(name):
    def case(lib):
        x = lib.tensor([-1.0, 0.5], requires_grad=True)
        y = x * 1
        _INPLACE_ELUS[name](lib.nn.functional, y)
        y.mul_(2)  # the saved result, changed
        y.sum().backward()

    same_error_case(case)


@pytest.mark.parametrize("name", sorted(_INPLACE_ELUS))
def test_inplace_elu_double_backward(name):
    def run(lib):
        x = lib.tensor([-3.0, -0.5, 0.0, 0.7, 2.0], dtype=lib.float64, requires_grad=True)
        y = x * 1
        _INPLACE_ELUS[name](lib.nn.functional, y)
        g, = lib.autograd.grad((y * y).sum() + y.sum(), x, create_graph=True)
        h, = lib.autograd.grad(g.sum(), x)
        return [round(v, 12) for v in g.tolist() + h.tolist()]

    same(run)


_T = [0.5, 1.5]


@pytest.mark.parametrize("fn", ["xlogy", "xlog1py", "zeta"])
@pytest.mark.parametrize("pair", [
    lambda lib: (0.5, 1.5), lambda lib: ([0.5], lib.tensor(_T)), lambda lib: (lib.tensor(_T), [1.0]),
    lambda lib: (lib.tensor(_T), None), lambda lib: (None, lib.tensor(_T)),
    lambda lib: (lib.tensor(_T), "a"), lambda lib: (True, lib.tensor(_T)),
    lambda lib: (lib.tensor(_T), np.float64(2.0)), lambda lib: (np.float32(2.0), lib.tensor(_T)),
    lambda lib: (2, lib.tensor(_T)), lambda lib: (lib.tensor(_T), lib.tensor(_T))])
def test_special_binary_operands(fn, pair):
    # two numbers or a list went through ember (a float error, or values from the list)
    same(lambda lib: str([round(v, 6) for v in getattr(lib.special, fn)(*pair(lib)).tolist()]))


def test_special_logsumexp_refuses_a_number():
    same_error_case(lambda lib: lib.special.logsumexp(0.5, 0))
    same(lambda lib: round(lib.special.logsumexp(lib.tensor(_T), 0).item(), 6))


def test_clip_grad_norm_refuses_none_before_any_gradient():
    def run(L):
        out = []
        lin = L.nn.Linear(2, 2)
        for a in (None, "3", 2):
            try:
                out.append(repr(L.nn.utils.clip_grad_norm_(lin.parameters(), a)))
            except Exception as e:  # noqa: BLE001 - compared across libraries
                out.append((type(e).__name__, str(e)))
        return out
    same(run)
