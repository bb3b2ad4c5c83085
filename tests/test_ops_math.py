"""The math ops' table: arithmetic, elementwise, reductions, softmax, comparisons, promotion.

Every row is checked against PyTorch 2.13 (values, dtype, shape, requires_grad), its gradient
against float64 finite differences and against PyTorch's, and some rows to second order; see
tests/optable.py for the machinery.
"""

from __future__ import annotations

import numpy as np

from optable import FIXED, ErrorCase, OpCase, V, make_error_test, make_tests

INF = float("inf")
NAN = float("nan")

# Shape pairs every binary op runs on: equal, broadcasting both ways, 0-d, empty.
PAIRS = {
    "same": [(2, 3), (2, 3)],
    "outer": [(3, 1), (1, 4)],
    "row": [(2, 3), (3,)],
    "0d_left": [(), (2, 3)],
    "0d_right": [(2, 3), ()],
    "0d_both": [(), ()],
    "empty": [(0, 3), (3,)],
}


def _binary(name, fn, domain=("real", "real"), gradgrad=True, left_scalar_grad=True, **kw):
    rows = [OpCase(f"{name}-{tag}", fn, shapes, domain=domain, gradgrad=gradgrad, **kw)
            for tag, shapes in PAIRS.items()]
    # Python scalars on either side (float, int) and reflected operators.
    dom_a, dom_b = domain
    kw_left = kw if left_scalar_grad else {**kw, "grad": ()}
    rows += [
        OpCase(f"{name}-scalar_right", lambda T, a: fn(T, a, 1.5), [(2, 3)], domain=dom_a, **kw),
        OpCase(f"{name}-int_scalar_right", lambda T, a: fn(T, a, 2), [(2, 3)], domain=dom_a,
               **kw),
        OpCase(f"{name}-scalar_left", lambda T, b: fn(T, 1.5, b), [(2, 3)], domain=dom_b,
               **kw_left),
        OpCase(f"{name}-int_scalar_left", lambda T, b: fn(T, 2, b), [(2, 3)], domain=dom_b,
               **kw_left),
        OpCase(f"{name}-scalar_0d", lambda T, a: fn(T, a, 0.75), [()], domain=dom_a, **kw),
    ]
    return rows


ARITH = (
    _binary("add", lambda T, a, b: a + b)
    + _binary("sub", lambda T, a, b: a - b)
    + _binary("mul", lambda T, a, b: a * b)
    + _binary("div", lambda T, a, b: a / b, domain=("real", "nonzero"))
    + _binary("floordiv", lambda T, a, b: a // b, domain=("wide", "nonzero"), gradgrad=False,
              grad=())
    # PyTorch has no derivative for remainder(scalar, tensor): such rows check values only.
    + _binary("mod", lambda T, a, b: a % b, domain=("wide", "nonzero"), gradgrad=False,
              left_scalar_grad=False)
    + _binary("pow", lambda T, a, b: a ** b, domain=("positive", "real"))
    + [
        OpCase("add_alpha", lambda T, a, b: T.add(a, b, alpha=2.5), [(2, 3), (3,)],
               gradgrad=True),
        OpCase("sub_alpha", lambda T, a, b: T.sub(a, b, alpha=-0.5), [(2, 3), (3,)]),
        OpCase("rsub", lambda T, a: T.rsub(a, 2.0), [(2, 3)]),
        OpCase("div_trunc", lambda T, a, b: T.div(a, b, rounding_mode="trunc"),
               [(2, 3), (2, 3)], domain=("wide", "nonzero")),
        OpCase("div_floor", lambda T, a, b: T.div(a, b, rounding_mode="floor"),
               [(2, 3), (2, 3)], domain=("wide", "nonzero"), grad=()),
        # PyTorch records floor division (its backward then raises): the flag must match.
        OpCase("floordiv_records", lambda T, a: (a // 0.7).requires_grad, [V([1.0, -2.0],
                                                                          requires_grad=True)]),
        OpCase("fmod", lambda T, a, b: T.fmod(a, b), [(2, 3), (2, 3)],
               domain=("wide", "nonzero")),
        OpCase("fmod_scalar", lambda T, a: T.fmod(a, 1.5), [(2, 3)], domain="wide"),
        OpCase("remainder_negative", lambda T, a: T.remainder(a, -1.5), [(2, 3)],
               domain="wide"),
        OpCase("pow_square", lambda T, a: a ** 2, [(2, 3)], gradgrad=True),
        OpCase("pow_cube", lambda T, a: a ** 3, [(2, 3)], gradgrad=True),
        OpCase("pow_half", lambda T, a: a ** 0.5, [(2, 3)], domain="positive", gradgrad=True),
        OpCase("pow_neg", lambda T, a: a ** -1.5, [(2, 3)], domain="positive", gradgrad=True),
        OpCase("pow_zero", lambda T, a: a ** 0, [(2, 3)], gradgrad=True),
        OpCase("pow_zero_base", lambda T, a, b: a ** b, [V([0.0, 0.0, 2.0]),
                                                         V([2.0, 0.5, 1.0])], fd=False),
        OpCase("rpow", lambda T, a: 2.0 ** a, [(2, 3)], gradgrad=True),
        OpCase("rpow_int_base", lambda T, a: 3 ** a, [(2, 3)]),
        OpCase("neg", lambda T, a: -a, [(2, 3)], gradgrad=True),
        OpCase("neg_fn", lambda T, a: T.neg(a), [()]),
        OpCase("abs", lambda T, a: T.abs(a), [(2, 3)], domain="nonzero", gradgrad=True),
        OpCase("abs_at_zero", lambda T, a: abs(a), [V([0.0, -1.0, 2.0])], fd=False),
        OpCase("reciprocal", lambda T, a: T.reciprocal(a), [(2, 3)], domain="nonzero",
               gradgrad=True),
        OpCase("reciprocal_int", lambda T, a: T.reciprocal(a), [V([1, 2, 4])], dtypes=(FIXED,)),
        OpCase("neg_int", lambda T, a: -a, [V([1, -2, 3])], dtypes=(FIXED,)),
        OpCase("abs_int", lambda T, a: a.abs(), [V([1, -2, 3], "int32")], dtypes=(FIXED,)),
    ]
)


def _unary(name, fn, domain="real", gradgrad=True, shapes=((2, 3), (), (0, 3)), **kw):
    return [OpCase(f"{name}-{'x'.join(map(str, s)) or '0d'}", fn, [s], domain=domain,
                   gradgrad=gradgrad and s == (2, 3), **kw) for s in shapes]


def _softplus(T, x, **kw):  # torch has softplus only in nn.functional
    return T.nn.functional.softplus(x, **kw)


ELEMENTWISE = (
    _unary("exp", lambda T, x: T.exp(x))
    + _unary("log", lambda T, x: T.log(x), "positive")
    + _unary("log1p", lambda T, x: T.log1p(x), "unit")
    + _unary("log2", lambda T, x: T.log2(x), "positive")
    + _unary("log10", lambda T, x: T.log10(x), "positive")
    + _unary("expm1", lambda T, x: T.expm1(x))
    + _unary("sqrt", lambda T, x: T.sqrt(x), "positive")
    + _unary("rsqrt", lambda T, x: T.rsqrt(x), "positive")
    + _unary("sin", lambda T, x: T.sin(x))
    + _unary("cos", lambda T, x: T.cos(x))
    + _unary("tan", lambda T, x: T.tan(x), "unit")
    + _unary("tanh", lambda T, x: T.tanh(x))
    + _unary("sigmoid", lambda T, x: T.sigmoid(x))
    + _unary("relu", lambda T, x: T.relu(x), "nonzero")
    + _unary("square", lambda T, x: T.square(x))
    + _unary("softplus", lambda T, x: T.softplus(x), "wide", torch_fn=_softplus)
    + _unary("method_exp", lambda T, x: x.exp().log1p().sigmoid(), shapes=((2, 3),))
    + [
        OpCase("softplus_beta", lambda T, x: T.softplus(x, beta=2.0, threshold=3.0),
               [(3, 4)], domain="wide", gradgrad=True,
               torch_fn=lambda T, x: _softplus(T, x, beta=2.0, threshold=3.0)),
        OpCase("softplus_large", lambda T, x: T.softplus(x), torch_fn=_softplus,
               inputs=[V([-100.0, -30.0, 0.0, 19.0, 21.0, 100.0])]),
        OpCase("sigmoid_large", lambda T, x: T.sigmoid(x), [V([-100.0, -20.0, 0.0, 20.0,
                                                                100.0])]),
        OpCase("relu_at_zero", lambda T, x: T.relu(x), [V([0.0, -1.0, 1.0])], fd=False),
        OpCase("relu_int", lambda T, x: T.relu(x), [V([-1, 0, 2])], dtypes=(FIXED,)),
        OpCase("sqrt_at_zero", lambda T, x: T.sqrt(x), [V([0.0, 1.0, 4.0])], fd=False),
        OpCase("log_at_zero", lambda T, x: T.log(x), [V([0.0, 1.0, 2.0])], fd=False),
        OpCase("exp_int", lambda T, x: T.exp(x), [V([0, 1, 2])], dtypes=(FIXED,)),
        OpCase("sqrt_int", lambda T, x: x.sqrt(), [V([1, 4, 9], "int32")], dtypes=(FIXED,)),
        OpCase("sin_bool", lambda T, x: T.sin(x), [V([True, False])], dtypes=(FIXED,)),
        OpCase("clamp_min", lambda T, x: T.clamp(x, min=-0.5), [(2, 3)], gradgrad=True),
        OpCase("clamp_max", lambda T, x: T.clamp(x, max=0.5), [(2, 3)]),
        OpCase("clamp_both", lambda T, x: x.clamp(-0.5, 0.5), [(3, 4)]),
        OpCase("clip", lambda T, x: T.clip(x, -0.5, 0.5), [(3, 4)]),
        OpCase("clamp_0d", lambda T, x: T.clamp(x, min=0.1), [()]),
        OpCase("clamp_at_bounds", lambda T, x: T.clamp(x, -1.0, 1.0),
               [V([-1.0, 1.0, 0.5, 2.0])], fd=False),
        OpCase("clamp_tensor_bounds", lambda T, x, lo, hi: T.clamp(x, lo, hi),
               [(2, 3), (3,), (2, 1)], domain=("wide", "unit", "positive"), gradgrad=True),
        OpCase("clamp_tensor_min", lambda T, x, lo: T.clamp(x, min=lo), [(2, 3), (2, 3)]),
        OpCase("clamp_tensor_max", lambda T, x, hi: x.clamp(max=hi), [(2, 3), ()]),
    OpCase("clamp_tensor_ties", lambda T, x, lo, hi: T.clamp(x, lo, hi),
           [V([1.0, 2.0, -2.0, 1.0]), V([1.0, 0.0, 0.0, 3.0]), V([3.0, 2.0, -2.0, 1.0])],
           fd=False),
    OpCase("clamp_int_tensor_float_bound", lambda T, x, lo: T.clamp(x, lo),
           [V([0, 1, 2]), V([0.5, 0.5, 0.5], "float64")], dtypes=(FIXED,)),
    OpCase("clamp_int_float_zero_min", lambda T, x: T.clamp(x, 0.0, 2),
           [V([-1, 1, 3])], dtypes=(FIXED,)),
        OpCase("clamp_int_float_bound", lambda T, x: T.clamp(x, min=0.5),
               [V([0, 1, 2])], dtypes=(FIXED,)),
        OpCase("clamp_int", lambda T, x: T.clamp(x, 0, 1), [V([-1, 0, 2])], dtypes=(FIXED,)),
        OpCase("maximum", lambda T, a, b: T.maximum(a, b), [(3, 1), (1, 4)], gradgrad=True),
        OpCase("minimum", lambda T, a, b: T.minimum(a, b), [(2, 3), (3,)], gradgrad=True),
        OpCase("maximum_0d", lambda T, a, b: T.maximum(a, b), [(), (2, 3)]),
        OpCase("maximum_ties", lambda T, a, b: T.maximum(a, b),
               [V([1.0, 2.0, 3.0]), V([1.0, 0.0, 3.0])], fd=False),
        OpCase("minimum_ties", lambda T, a, b: T.minimum(a, b),
               [V([1.0, 2.0, 3.0]), V([1.0, 0.0, 3.0])], fd=False),
        OpCase("max_binary", lambda T, a, b: T.max(a, b), [(2, 3), (2, 3)]),
        OpCase("min_binary", lambda T, a, b: T.min(a, b), [(2, 3), (3,)]),
        OpCase("where", lambda T, c, a, b: T.where(c, a, b),
               [V([[True, False, True], [False, False, True]]), (2, 3), (2, 3)],
               gradgrad=True),
        OpCase("where_bcast", lambda T, c, a, b: T.where(c, a, b),
               [V([True, False, True]), (2, 1), ()]),
        OpCase("where_scalar", lambda T, c, a: T.where(c, a, 0.0),
               [V([True, False, True]), (2, 3)]),
        OpCase("where_scalar_left", lambda T, c, b: T.where(c, 1.5, b),
               [V([True, False, True]), (3,)]),
        OpCase("where_method", lambda T, c, a, b: a.where(c, b),
               [V([True, False, True]), (3,), (3,)]),
        OpCase("where_int_float", lambda T, c, a, b: T.where(c, a, b),
               [V([True, False]), V([1, 2]), V([0.5, 1.5], "float64")], dtypes=(FIXED,)),
        OpCase("sign", lambda T, x: T.sign(x), [(2, 3)], gradgrad=True),
        OpCase("floor", lambda T, x: T.floor(x), [(2, 3)], domain="wide"),
        OpCase("ceil", lambda T, x: x.ceil(), [(2, 3)], domain="wide"),
        OpCase("round", lambda T, x: T.round(x), [(2, 3)], domain="wide"),
        OpCase("round_half_even", lambda T, x: T.round(x), [V([0.5, 1.5, 2.5, -0.5])],
               fd=False),
        OpCase("round_decimals", lambda T, x: T.round(x, decimals=1), [(2, 3)], domain="wide"),
        OpCase("trunc", lambda T, x: T.trunc(x), [(2, 3)], domain="wide"),
        OpCase("sign_int", lambda T, x: T.sign(x), [V([-2, 0, 3])], dtypes=(FIXED,)),
        OpCase("floor_int", lambda T, x: T.floor(x), [V([-2, 0, 3])], dtypes=(FIXED,)),
        OpCase("sign_zero", lambda T, x: T.sign(x), [V([0.0, -0.0, 1.0])], fd=False),
    ]
)


def _reduce(name, fn, domain="real", gradgrad=False):
    """A reduction over: everything, one dim, a negative dim, a tuple, keepdim, 0-d, empty."""
    variants = {
        "all": ((2, 3), {}),
        "dim1": ((2, 3), {"dim": 1}),
        "dim_neg": ((2, 3, 2), {"dim": -2}),
        "dims": ((2, 3, 2), {"dim": (0, 2)}),
        "keepdim": ((2, 3), {"dim": 0, "keepdim": True}),
        "0d": ((), {}),
        "0d_dim": ((), {"dim": 0}),
        "empty_dim0": ((0, 3), {"dim": 0}),
        "empty_dim1": ((0, 3), {"dim": 1}),
    }
    return [OpCase(f"{name}-{tag}", fn, [shape], kwargs=kw, domain=domain,
                   gradgrad=gradgrad and tag in ("all", "dim1"))
            for tag, (shape, kw) in variants.items()]


TIES = V([[1.0, 3.0, 3.0], [2.0, 2.0, -1.0]])
REDUCTIONS = (
    _reduce("sum", lambda T, x, **kw: T.sum(x, **kw), gradgrad=True)
    + _reduce("mean", lambda T, x, **kw: x.mean(**kw), gradgrad=True)
    + [
        OpCase("sum_int", lambda T, x: x.sum(), [V([1, 2, 3], "int32")], dtypes=(FIXED,)),
        OpCase("sum_bool", lambda T, x: T.sum(x, 0), [V([True, True, False])],
               dtypes=(FIXED,)),
        OpCase("sum_dtype", lambda T, x: T.sum(x, dtype=T.float64), [(2, 3)]),
        OpCase("mean_dtype", lambda T, x: T.mean(x, dtype=T.float64), [V([1, 2, 4])],
               dtypes=(FIXED,)),
        OpCase("mean_empty_all", lambda T, x: x.mean(), [(0, 3)]),
        OpCase("prod", lambda T, x: T.prod(x), [(2, 3)], gradgrad=True),
        OpCase("prod_dim", lambda T, x: T.prod(x, 1), [(2, 3)], gradgrad=True),
        OpCase("prod_keepdim", lambda T, x: x.prod(dim=0, keepdim=True), [(3, 2)]),
        OpCase("prod_0d", lambda T, x: T.prod(x), [()]),
        OpCase("prod_one_zero", lambda T, x: T.prod(x), [V([2.0, 0.0, 3.0])], gradgrad=True),
        OpCase("prod_two_zeros", lambda T, x: T.prod(x, 0), [V([[2.0, 0.0], [0.0, 1.0],
                                                               [0.0, 4.0]])], gradgrad=True),
        OpCase("prod_int", lambda T, x: T.prod(x), [V([2, 3, 4], "int32")], dtypes=(FIXED,)),
        OpCase("prod_empty", lambda T, x: T.prod(x, 0), [(0, 3)]),
    ]
)

for _corr in (0, 1):
    REDUCTIONS += [
        OpCase(f"var_c{_corr}", lambda T, x, c=_corr: T.var(x, correction=c), [(2, 3)],
               gradgrad=True),
        OpCase(f"var_c{_corr}_dim", lambda T, x, c=_corr: x.var(1, correction=c), [(2, 3)]),
        OpCase(f"std_c{_corr}", lambda T, x, c=_corr: T.std(x, correction=c), [(2, 3)],
               gradgrad=True),
        OpCase(f"std_c{_corr}_dims", lambda T, x, c=_corr: x.std((0, 2), correction=c,
                                                                 keepdim=True), [(2, 3, 2)]),
    ]
REDUCTIONS += [
    OpCase("var_unbiased_false", lambda T, x: T.var(x, unbiased=False), [(2, 3)]),
    OpCase("var_unbiased_dim", lambda T, x: T.var(x, 0, unbiased=True), [(2, 3)]),
    OpCase("var_positional_unbiased", lambda T, x: x.var(0, False), [(2, 3)]),
    OpCase("std_positional_unbiased", lambda T, x: T.std(x, False), [(2, 3)]),
    OpCase("var_one_element", lambda T, x: T.var(x), [(1,)], fd=False),
    OpCase("std_0d", lambda T, x: T.std(x, correction=0), [()], fd=False),
    OpCase("std_constant", lambda T, x: T.std(x), [V([1.0, 1.0, 1.0])], fd=False),
    # PyTorch records var_mean/std_mean as one two-output node (VarMeanBackward0); ember has
    # single-output nodes, so the outputs print VarBackward0/StdBackward0 and MeanBackward1.
    OpCase("var_mean", lambda T, x: T.var_mean(x, 1), [(2, 3)], grad_fn_name=False),
    OpCase("std_mean", lambda T, x: T.std_mean(x, 0, correction=0), [(2, 3)],
           grad_fn_name=False),
    # max / min: full reductions (ties share the gradient) and (values, indices) along a dim.
    OpCase("max_all", lambda T, x: T.max(x), [(2, 3)], gradgrad=True),
    OpCase("min_all", lambda T, x: x.min(), [(2, 3)]),
    OpCase("max_all_ties", lambda T, x: T.max(x), [V([1.0, 3.0, 3.0])], fd=False),
    OpCase("min_all_ties", lambda T, x: T.min(x), [V([1.0, -3.0, -3.0])], fd=False),
    OpCase("max_dim", lambda T, x: T.max(x, dim=1), [(2, 3)], gradgrad=True),
    OpCase("max_dim_keepdim", lambda T, x: T.max(x, 0, keepdim=True), [(2, 3)]),
    OpCase("min_dim", lambda T, x: x.min(-1), [(2, 3)]),
    OpCase("max_dim_ties", lambda T, x: T.max(x, 1), [TIES], fd=False),
    OpCase("min_dim_ties", lambda T, x: T.min(x, 1), [TIES], fd=False),
    OpCase("max_dim_0d", lambda T, x: T.max(x, 0), [()]),
    OpCase("max_dim_fields", lambda T, x: T.max(x, 1).values * 2 + T.max(x, 1).indices,
           [(2, 3)]),
    OpCase("max_int", lambda T, x: T.max(x, 0), [V([[1, 5], [3, 2]])], dtypes=(FIXED,)),
    OpCase("amax", lambda T, x: T.amax(x), [(2, 3)]),
    OpCase("amax_dim", lambda T, x: T.amax(x, 1), [(2, 3)], gradgrad=True),
    OpCase("amax_dims_keepdim", lambda T, x: T.amax(x, (0, 2), keepdim=True), [(2, 3, 2)]),
    OpCase("amin_dim", lambda T, x: x.amin(dim=0), [(2, 3)]),
    OpCase("amax_ties", lambda T, x: T.amax(x, 1), [TIES], fd=False),
    OpCase("amin_ties", lambda T, x: T.amin(x, 1), [TIES], fd=False),
    OpCase("amax_empty_dim", lambda T, x: T.amax(x, 0), [(3, 0)]),
    OpCase("sort", lambda T, x: T.sort(x, 1), [(2, 3)]),
    OpCase("sort_desc_dim0", lambda T, x: x.sort(0, descending=True), [(3, 2)]),
    OpCase("sort_ties_nan", lambda T, x: T.sort(x), [V([2.0, NAN, 1.0, 2.0, -INF, 1.0])],
           fd=False),
    OpCase("sort_desc_ties_nan", lambda T, x: T.sort(x, descending=True),
           [V([2.0, NAN, 1.0, 2.0, -INF, 1.0])], fd=False),
    OpCase("sort_uint8_desc", lambda T, x: T.sort(x, descending=True),
           [V([3, 1, 2, 1], "uint8")], dtypes=(FIXED,)),
    OpCase("sort_bool_desc", lambda T, x: T.sort(x, descending=True, stable=True),
           [V([False, True, False, True])], dtypes=(FIXED,)),
    OpCase("sort_0d", lambda T, x: T.sort(x), [()]),
    OpCase("argsort", lambda T, x: T.argsort(x, 0, descending=True), [(3, 2)]),
    OpCase("topk", lambda T, x: T.topk(x, 2), [(2, 4)]),
    OpCase("topk_smallest_dim0", lambda T, x: x.topk(2, 0, largest=False), [(3, 2)]),
    OpCase("topk_all", lambda T, x: T.topk(x, 3), [(2, 3)]),
    OpCase("topk_zero", lambda T, x: T.topk(x, 0), [(2, 3)]),
    OpCase("argmax", lambda T, x: T.argmax(x), [(2, 3)]),
    OpCase("argmax_dim", lambda T, x: T.argmax(x, 1), [(2, 3)]),
    OpCase("argmax_keepdim", lambda T, x: x.argmax(dim=0, keepdim=True), [(2, 3)]),
    OpCase("argmin_dim", lambda T, x: T.argmin(x, -1), [(2, 3)]),
    OpCase("argmax_ties", lambda T, x: T.argmax(x, 1), [TIES]),
    OpCase("argmin_ties", lambda T, x: T.argmin(x, 1), [TIES]),
    OpCase("argmax_all_ties", lambda T, x: T.argmax(x), [TIES]),
    OpCase("argmax_0d", lambda T, x: T.argmax(x), [()]),
    OpCase("argmax_keepdim_all", lambda T, x: T.argmax(x, keepdim=True), [(2, 3)]),
    # logsumexp: dims, large and -inf entries.
    OpCase("logsumexp", lambda T, x: T.logsumexp(x, 1), [(2, 3)], gradgrad=True),
    OpCase("logsumexp_dims", lambda T, x: T.logsumexp(x, (0, 2), keepdim=True), [(2, 3, 2)]),
    OpCase("logsumexp_0d", lambda T, x: T.logsumexp(x, 0), [()]),
    OpCase("logsumexp_large", lambda T, x: T.logsumexp(x, 1),
           [V([[1e4, 1e4 - 1.0, -1e4], [-1e4, -1e4 + 2.0, -1e4]])]),
    OpCase("logsumexp_neg_inf", lambda T, x: T.logsumexp(x, 1),
           [V([[-INF, 0.0, 1.0], [-INF, -INF, -INF]])], fd=False),
    OpCase("logsumexp_pos_inf", lambda T, x: T.logsumexp(x, 1),
           [V([[INF, 0.0, 1.0], [2.0, -INF, 1.0]])], fd=False),
    OpCase("logsumexp_int", lambda T, x: T.logsumexp(x, 0), [V([1, 2, 3])], dtypes=(FIXED,)),
    # norms.
    OpCase("norm", lambda T, x: T.norm(x), [(2, 3)], gradgrad=True),
    OpCase("norm_p2_dim", lambda T, x: x.norm(2, dim=1), [(2, 3)], gradgrad=True),
    OpCase("norm_p1", lambda T, x: T.norm(x, 1), [(2, 3)], domain="nonzero"),
    OpCase("norm_p1_dim", lambda T, x: T.norm(x, p=1, dim=0, keepdim=True), [(2, 3)],
           domain="nonzero"),
    OpCase("norm_inf", lambda T, x: T.norm(x, INF), [(2, 3)]),
    OpCase("norm_inf_dim", lambda T, x: T.norm(x, float("inf"), dim=1), [(2, 3)]),
    OpCase("norm_neg_inf", lambda T, x: T.norm(x, -INF, dim=1), [(2, 3)]),
    OpCase("norm_fro", lambda T, x: T.norm(x, "fro"), [(2, 3)]),
    OpCase("norm_fro_dims", lambda T, x: T.norm(x, "fro", dim=(0, 1)), [(2, 3, 2)]),
    OpCase("norm_p3", lambda T, x: T.norm(x, 3, dim=1), [(2, 3)], domain="nonzero"),
    OpCase("norm_inf_ties", lambda T, x: T.norm(x, INF), [V([1.0, 2.0, -2.0])], fd=False),
    OpCase("norm_inf_empty_other_dim", lambda T, x: T.norm(x, INF, dim=1), [(0, 3)]),
    OpCase("norm_p_half", lambda T, x: T.norm(x, 0.5), [(2, 3)], domain="nonzero"),
    OpCase("norm_p_half_zero_entry", lambda T, x: T.norm(x, 0.5), [V([0.0, 1.0, -2.0])],
           fd=False),
    OpCase("norm_p3_zero_vector", lambda T, x: T.norm(x, 3), [V([0.0, 0.0])], fd=False),
    OpCase("norm_p0", lambda T, x: T.norm(x, 0), [V([0.0, 1.5, -2.0])], fd=False),
    OpCase("norm_zero_vector", lambda T, x: T.norm(x), [V([0.0, 0.0])], fd=False),
    OpCase("norm_0d", lambda T, x: T.norm(x), [()], domain="nonzero"),
    OpCase("norm_empty", lambda T, x: T.norm(x), [(0, 3)]),
    # cumsum, all, any.
    OpCase("cumsum", lambda T, x: T.cumsum(x, 1), [(2, 3)], gradgrad=True),
    OpCase("cumsum_dim0", lambda T, x: x.cumsum(dim=0), [(3, 2)]),
    OpCase("cumsum_neg", lambda T, x: T.cumsum(x, -1), [(2, 2, 3)]),
    OpCase("cumsum_0d", lambda T, x: T.cumsum(x, 0), [()]),
    OpCase("cumsum_empty", lambda T, x: T.cumsum(x, 0), [(0, 3)]),
    OpCase("cumsum_int", lambda T, x: T.cumsum(x, 0), [V([1, 2, 3], "int32")],
           dtypes=(FIXED,)),
    OpCase("cumsum_bool", lambda T, x: T.cumsum(x, 0), [V([True, True, False])],
           dtypes=(FIXED,)),
    OpCase("cumsum_dtype", lambda T, x: T.cumsum(x, 0, dtype=T.float64), [(3,)]),
    OpCase("all", lambda T, x: T.all(x), [V([[True, False], [True, True]])], dtypes=(FIXED,)),
    OpCase("all_dim", lambda T, x: x.all(dim=1), [V([[True, False], [True, True]])],
           dtypes=(FIXED,)),
    OpCase("all_float", lambda T, x: T.all(x), [V([1.0, 0.0, 2.0])]),
    OpCase("all_float_dim", lambda T, x: T.all(x, 0, keepdim=True), [V([[1.0, 0.0],
                                                                        [2.0, 3.0]])]),
    OpCase("all_int", lambda T, x: T.all(x, 0), [V([[1, 0], [2, 3]], "uint8")],
           dtypes=(FIXED,)),
    OpCase("all_empty", lambda T, x: T.all(x), [(0, 3)]),
    OpCase("any", lambda T, x: T.any(x), [V([[False, False], [True, False]])],
           dtypes=(FIXED,)),
    OpCase("any_dim", lambda T, x: x.any(1), [V([[False, False], [True, False]])],
           dtypes=(FIXED,)),
    OpCase("any_float", lambda T, x: T.any(x, dim=1), [V([[0.0, 0.0], [0.0, 2.0]])]),
    OpCase("any_empty", lambda T, x: T.any(x, 0), [(0, 3)]),
    OpCase("all_dim_empty_tuple", lambda T, x: T.all(x, dim=()), [V([1.0, 0.0])]),
    OpCase("any_dim_empty_tuple_int", lambda T, x: T.any(x, dim=()), [V([[2, 0]])],
           dtypes=(FIXED,)),
    OpCase("all_dim_empty_tuple_uint8", lambda T, x: T.all(x, dim=()), [V([1, 0], "uint8")],
           dtypes=(FIXED,)),
    OpCase("logsumexp_empty", lambda T, x: T.logsumexp(x, 1), [(3, 0)]),
    OpCase("logsumexp_empty_dim0", lambda T, x: T.logsumexp(x, 0), [(3, 0)]),
]

MASKED = V([[0.5, -INF, 2.0, -INF], [-INF, -INF, -INF, -INF], [1e4, -1e4, 0.0, 1e4]])
LARGE = V([[1e4, -1e4, 0.0, 1e4 - 3.0], [-1e4, -1e4 + 1.0, -1e4 + 2.0, -1e4]])
SOFTMAX = []
for _name in ("softmax", "log_softmax"):
    SOFTMAX += [
        OpCase(f"{_name}-dim1", lambda T, x, n=_name: getattr(T, n)(x, 1), [(2, 3)],
               gradgrad=True),
        OpCase(f"{_name}-dim0", lambda T, x, n=_name: getattr(T, n)(x, dim=0), [(2, 3)],
               gradgrad=True),
        OpCase(f"{_name}-dim_neg", lambda T, x, n=_name: getattr(x, n)(-1), [(2, 2, 3)]),
        OpCase(f"{_name}-dim_mid", lambda T, x, n=_name: getattr(T, n)(x, 1), [(2, 2, 3)]),
        OpCase(f"{_name}-0d", lambda T, x, n=_name: getattr(T, n)(x, 0), [()]),
        OpCase(f"{_name}-empty", lambda T, x, n=_name: getattr(T, n)(x, 1), [(0, 3)]),
        OpCase(f"{_name}-empty_dim", lambda T, x, n=_name: getattr(T, n)(x, 1), [(3, 0)]),
        OpCase(f"{_name}-empty_int", lambda T, x, n=_name: getattr(T, n)(x, 0),
               [V(np.zeros(0, np.int64))], dtypes=(FIXED,)),
        OpCase(f"{_name}-dtype", lambda T, x, n=_name: getattr(T, n)(x, 1, dtype=T.float64),
               [(2, 3)]),
        OpCase(f"{_name}-large", lambda T, x, n=_name: getattr(T, n)(x, 1), [LARGE],
               gradgrad=True),
        OpCase(f"{_name}-large_dim0", lambda T, x, n=_name: getattr(T, n)(x, 0), [LARGE]),
        OpCase(f"{_name}-masked", lambda T, x, n=_name: getattr(T, n)(x, 1), [MASKED],
               fd=False),
        OpCase(f"{_name}-masked_then_sum", lambda T, x, n=_name: T.where(
            T.isfinite(x), getattr(T, n)(x, 1), T.zeros_like(x)).sum(1),
            [V([[0.5, -INF, 2.0], [1.0, 3.0, -INF]])], fd=False),
    ]

CMP = {"eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
       "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b}
BOOLS_A = V([[True, False, True], [False, False, True]])
BOOLS_B = V([True, True, False])
COMPARE = []
for _name, _op in CMP.items():
    COMPARE += [
        OpCase(f"{_name}-bcast", lambda T, a, b, o=_op: o(a, b), [(3, 1), (1, 4)]),
        OpCase(f"{_name}-ties", lambda T, a, b, o=_op: o(a, b),
               [V([1.0, 2.0, 3.0]), V([1.0, 0.0, 4.0])]),
        OpCase(f"{_name}-scalar", lambda T, a, o=_op: o(a, 0.0), [(2, 3)]),
        OpCase(f"{_name}-scalar_left", lambda T, a, o=_op: o(0.5, a), [(2, 3)]),
        OpCase(f"{_name}-fn", lambda T, a, b, n=_name: getattr(T, n)(a, b), [(2, 3), ()]),
        OpCase(f"{_name}-int_float", lambda T, a, b, o=_op: o(a, b),
               [V([1, 2, 3]), V([1.0, 2.5, 2.0])]),
    ]
COMPARE += [
    OpCase("greater", lambda T, a, b: T.greater(a, b), [(2, 3), (3,)]),
    OpCase("less_equal", lambda T, a, b: a.less_equal(b), [(2, 3), (3,)]),
    OpCase("not_equal", lambda T, a, b: T.not_equal(a, b), [V([1.0, 2.0]), V([1.0, 0.0])]),
    OpCase("eq_nan", lambda T, a: a == a, [V([1.0, float("nan")])]),
    OpCase("logical_and", lambda T, a, b: T.logical_and(a, b), [BOOLS_A, BOOLS_B],
           dtypes=(FIXED,)),
    OpCase("logical_or", lambda T, a, b: T.logical_or(a, b), [BOOLS_A, BOOLS_B],
           dtypes=(FIXED,)),
    OpCase("logical_xor", lambda T, a, b: a.logical_xor(b), [BOOLS_A, BOOLS_B],
           dtypes=(FIXED,)),
    OpCase("logical_not", lambda T, a: T.logical_not(a), [BOOLS_A], dtypes=(FIXED,)),
    OpCase("logical_and_float", lambda T, a, b: T.logical_and(a, b),
           [V([0.0, 1.0, 2.0]), V([1.0, 0.0, 3.0])]),
    OpCase("logical_not_float", lambda T, a: T.logical_not(a), [V([0.0, 1.5])]),
    OpCase("logical_or_int", lambda T, a, b: T.logical_or(a, b), [V([0, 2]), V([0, 0])],
           dtypes=(FIXED,)),
    OpCase("and_op", lambda T, a, b: a & b, [BOOLS_A, BOOLS_B], dtypes=(FIXED,)),
    OpCase("or_op", lambda T, a, b: a | b, [BOOLS_A, BOOLS_B], dtypes=(FIXED,)),
    OpCase("xor_op", lambda T, a, b: a ^ b, [BOOLS_A, BOOLS_B], dtypes=(FIXED,)),
    OpCase("invert_bool", lambda T, a: ~a, [BOOLS_A], dtypes=(FIXED,)),
    OpCase("isnan", lambda T, a: T.isnan(a), [V([1.0, float("nan"), INF])]),
    OpCase("isinf", lambda T, a: T.isinf(a), [V([1.0, float("nan"), -INF])]),
    OpCase("isfinite", lambda T, a: T.isfinite(a), [V([1.0, float("nan"), INF])]),
]


def _promo(name, fn, *inputs):
    return OpCase(f"promote-{name}", fn, list(inputs), dtypes=(FIXED,))


I64, I32 = "int64", "int32"
PROMOTION = [
    _promo("int_plus_float_scalar", lambda T, a: a + 1.5, V([1, 2], I64)),
    _promo("float_scalar_plus_int", lambda T, a: 1.5 + a, V([1, 2], I32)),
    _promo("int_plus_int_scalar", lambda T, a: a + 2, V([1, 2], I32)),
    _promo("int_true_div", lambda T, a, b: a / b, V([1, 2], I64), V([2, 3], I64)),
    _promo("int_div_scalar", lambda T, a: a / 2, V([1, 2], I32)),
    _promo("scalar_div_int", lambda T, a: 2 / a, V([1, 2], I64)),
    _promo("f32_mul_f64_0d", lambda T, a, b: a * b, V([1.0, 2.0], "float32"),
           V(2.0, "float64")),
    _promo("f64_0d_mul_f32", lambda T, a, b: a * b, V(2.0, "float64"),
           V([1.0, 2.0], "float32")),
    _promo("f32_plus_f64", lambda T, a, b: a + b, V([1.0, 2.0], "float32"),
           V([1.0, 2.0], "float64")),
    _promo("int_plus_f64_0d", lambda T, a, b: a + b, V([1, 2], I32), V(0.5, "float64")),
    _promo("int_0d_plus_float_scalar", lambda T, a: a + 0.5, V(3, I64)),
    _promo("f64_0d_plus_scalar", lambda T, a: a * 2.5, V(3.0, "float64")),
    _promo("bool_plus_bool", lambda T, a, b: a + b, BOOLS_A, BOOLS_B),
    _promo("bool_mul_bool", lambda T, a, b: a * b, BOOLS_A, BOOLS_B),
    _promo("bool_plus_int_scalar", lambda T, a: a + 1, BOOLS_B),
    _promo("bool_plus_float_scalar", lambda T, a: a + 1.5, BOOLS_B),
    _promo("bool_plus_bool_scalar", lambda T, a: a + True, BOOLS_B),
    _promo("int_plus_bool_scalar", lambda T, a: a + True, V([1, 2], I32)),
    _promo("int32_plus_int64", lambda T, a, b: a + b, V([1, 2], I32), V([3, 4], I64)),
    _promo("int32_plus_int64_0d", lambda T, a, b: a + b, V([1, 2], I32), V(3, I64)),
    _promo("uint8_plus_int8", lambda T, a, b: a + b, V([1, 2], "uint8"), V([3, -4], "int8")),
    _promo("uint8_plus_neg_scalar", lambda T, a: a * 3, V([1, 2], "uint8")),
    _promo("int_floordiv", lambda T, a, b: a // b, V([7, -7], I64), V([2, 2], I64)),
    _promo("int_mod", lambda T, a, b: a % b, V([7, -7], I64), V([3, 3], I64)),
    _promo("int_mod_neg", lambda T, a: a % -3, V([7, -7, 0], I32)),
    _promo("int_floordiv_scalar", lambda T, a: a // 2.0, V([7, -7], I64)),
    _promo("int_pow_int", lambda T, a: a ** 2, V([1, 2, 3], I64)),
    _promo("int_pow_float", lambda T, a: a ** 2.0, V([1, 2, 3], I32)),
    _promo("scalar_pow_int", lambda T, a: 2 ** a, V([1, 2, 3], I64)),
    _promo("float_scalar_pow_int", lambda T, a: 2.0 ** a, V([1, 2, 3], I64)),
    _promo("int_pow_int_tensor", lambda T, a, b: a ** b, V([1, 2, 3], I64), V([2, 0, 1], I32)),
    _promo("maximum_int_float", lambda T, a, b: T.maximum(a, b), V([1, 5], I64),
           V([2.5, 0.5], "float32")),
    _promo("sub_int_float_0d", lambda T, a, b: a - b, V([1, 5], I64), V(0.5, "float32")),
    _promo("f16_plus_f32_0d", lambda T, a, b: a + b, V([1.0, 2.0], "float16"),
           V(0.5, "float32")),
    _promo("int_mul_f16_0d", lambda T, a, b: a * b, V([1, 2], I64), V(0.5, "float16")),
]


def _second_order_everywhere(cases):
    """Second order for every row at a smooth point (fd=True), unless its first derivative is
    itself singular there (nan/inf, which libraries propagate differently)."""
    for case in cases:
        if case.fd and case.name not in {"var_one_element"}:
            case.gradgrad = True
    return cases


MATH_CASES = _second_order_everywhere(ARITH + ELEMENTWISE + REDUCTIONS + SOFTMAX + COMPARE
                                      + PROMOTION)
test_forward, test_grad_fd, test_grad_torch, test_gradgrad = make_tests(MATH_CASES, grad_fn_names=True)

ERRORS = [
    ErrorCase("add_broadcast", lambda T, a, b: a + b, [(2, 3), (4,)]),
    ErrorCase("mul_broadcast", lambda T, a, b: a * b, [(2, 3), (3, 2)]),
    ErrorCase("sub_broadcast", lambda T, a, b: T.sub(a, b), [(2, 3), (2, 2)]),
    ErrorCase("div_broadcast", lambda T, a, b: a / b, [(5,), (2, 3)]),
    ErrorCase("maximum_broadcast", lambda T, a, b: T.maximum(a, b), [(2, 3), (4,)]),
    ErrorCase("sum_bad_dim", lambda T, a: a.sum(2), [(2, 3)]),
    ErrorCase("sum_bad_neg_dim", lambda T, a: T.sum(a, -3), [(2, 3)]),
    ErrorCase("sum_repeated_dim", lambda T, a: T.sum(a, (1, 1)), [(2, 3)]),
    ErrorCase("mean_bad_dim", lambda T, a: a.mean(5), [(2, 3)]),
    ErrorCase("softmax_bad_dim", lambda T, a: T.softmax(a, 2), [(2, 3)]),
    ErrorCase("log_softmax_bad_dim", lambda T, a: T.log_softmax(a, -3), [(2, 3)]),
    ErrorCase("max_bad_dim", lambda T, a: T.max(a, 2), [(2, 3)]),
    ErrorCase("max_empty", lambda T, a: T.max(a), [(0, 3)]),
    ErrorCase("max_empty_dim", lambda T, a: T.max(a, 0), [(0, 3)]),
    ErrorCase("argmax_empty", lambda T, a: T.argmax(a), [(0, 3)]),
    ErrorCase("argmax_bool", lambda T, a: T.argmax(a), [V([True, False])]),
    ErrorCase("topk_too_many", lambda T, a: T.topk(a, 4), [(3,)]),
    ErrorCase("div_trunc_bool", lambda T, a: T.div(a, a, rounding_mode="trunc"), [BOOLS_B]),
    ErrorCase("div_floor_bool", lambda T, a: T.div(a, a, rounding_mode="floor"), [BOOLS_B]),
    ErrorCase("div_bad_mode", lambda T, a: T.div(a, a, rounding_mode="round"), [(2,)]),
    ErrorCase("inf_norm_empty", lambda T, a: T.norm(a, INF), [(0,)]),
    ErrorCase("inf_norm_empty_dim", lambda T, a: T.norm(a, INF, dim=0), [(0, 3)]),
    ErrorCase("clamp_tensor_and_number", lambda T, a, lo: T.clamp(a, lo, 0.5), [(3,), (3,)]),
    ErrorCase("clamp_number_and_tensor", lambda T, a, hi: T.clamp(a, 0, hi), [(3,), (3,)]),
    ErrorCase("argmin_bool_dim", lambda T, a: a.argmin(0), [V([True, False])]),
    ErrorCase("mean_int", lambda T, a: a.mean(), [V([1, 2, 3])]),
    ErrorCase("mean_bool", lambda T, a: T.mean(a), [V([True, False])]),
    ErrorCase("int_negative_power", lambda T, a: a ** -1, [V([1, 2, 3])]),
    ErrorCase("int_negative_power_fn", lambda T, a: T.pow(a, -2), [V([1, 2, 3], "int32")]),
    ErrorCase("bool_sub", lambda T, a, b: a - b, [BOOLS_B, BOOLS_B]),
    ErrorCase("bool_sub_fn", lambda T, a, b: T.sub(a, b), [BOOLS_B, BOOLS_B]),
    ErrorCase("bool_rsub_scalar", lambda T, a: True - a, [BOOLS_B]),
    ErrorCase("bool_sub_int_scalar", lambda T, a: a - 1, [BOOLS_B]),
    ErrorCase("int_scalar_sub_bool", lambda T, a: 1 - a, [BOOLS_B]),
    ErrorCase("int_sub_bool", lambda T, a, b: a - b, [V([1, 2]), V([True, False])]),
    ErrorCase("bool_sub_float", lambda T, a, b: T.sub(a, b), [BOOLS_B, (3,)]),
    ErrorCase("bool_neg", lambda T, a: -a, [BOOLS_B]),
    ErrorCase("bool_neg_fn", lambda T, a: T.neg(a), [BOOLS_B]),
    ErrorCase("int_floordiv_zero", lambda T, a: a // 0, [V([1, 2])]),
    ErrorCase("int_mod_zero", lambda T, a, b: a % b, [V([1, 2]), V([0, 1])]),
    ErrorCase("where_not_bool", lambda T, c, a: T.where(c, a, a), [V([1, 0]), (2,)]),
    ErrorCase("clamp_no_bounds", lambda T, a: T.clamp(a), [(2,)]),
    ErrorCase("float_bitwise_and", lambda T, a, b: a & b, [(2,), (2,)]),
]
test_errors = make_error_test(ERRORS)

# Edge values, special floats, functional and in-place spellings.
EDGES = [
    OpCase("div_by_zero", lambda T, a, b: a / b, [V([1.0, -1.0, 0.0]), V([0.0, 0.0, 0.0])],
           fd=False),
    OpCase("mul_inf", lambda T, a: a * INF, [V([1.0, -2.0, 0.0])], fd=False),
    OpCase("add_nan", lambda T, a: a + NAN, [(3,)], fd=False),
    OpCase("pow_neg_base_int_exp", lambda T, a: a ** 2.0, [V([-2.0, -0.5, 3.0])]),
    OpCase("pow_neg_base_cube", lambda T, a: a ** 3, [V([-2.0, -0.5, 3.0])], gradgrad=True),
    OpCase("pow_tensor_neg_base", lambda T, a, b: a ** b, [V([-2.0, 2.0]), V([2.0, 3.0])],
           fd=False),
    OpCase("pow_zero_zero", lambda T, a: a ** 0.0, [V([0.0, 1.0])], fd=False),
    OpCase("pow_tensor_zero_base", lambda T, a, b: a ** b,
           [V([0.0, 0.0, 0.0, 0.0, -2.0]), V([0.0, 1.0, -1.0, 0.5, 2.0])], fd=False),
    OpCase("pow_zero_base_scalar_exp", lambda T, a: a ** 2.5, [V([0.0, 1.0])], fd=False),
    OpCase("rpow_zero_base", lambda T, a: 0.0 ** a, [V([0.0, 1.0, 2.0])], fd=False),
    OpCase("rpow_neg_base", lambda T, a: (-2.0) ** a, [V([2.0, 3.0])], fd=False),
    OpCase("exp_overflow", lambda T, x: T.exp(x), [V([100.0, -100.0, 1000.0])], fd=False),
    OpCase("tanh_large", lambda T, x: T.tanh(x), [V([-50.0, 50.0, 0.0])]),
    OpCase("log1p_small", lambda T, x: T.log1p(x), [V([1e-10, -1e-10, 1e-5])]),
    OpCase("expm1_small", lambda T, x: T.expm1(x), [V([1e-10, -1e-10, 1e-5])]),
    OpCase("clamp_min_gt_max", lambda T, x: T.clamp(x, 1.0, -1.0), [(2, 3)]),
    OpCase("clamp_nan", lambda T, x: T.clamp(x, -1.0, 1.0), [V([NAN, 0.5, 3.0])], fd=False),
    OpCase("maximum_nan", lambda T, a, b: T.maximum(a, b), [V([NAN, 1.0]), V([0.0, NAN])],
           fd=False),
    OpCase("max_nan", lambda T, x: T.max(x), [V([1.0, NAN, 3.0])], fd=False),
    OpCase("max_dim_nan", lambda T, x: T.max(x, 1), [V([[1.0, NAN, 3.0], [1.0, 2.0, 0.0]])],
           fd=False),
    OpCase("argmax_nan", lambda T, x: T.argmax(x, 1), [V([[1.0, NAN, 3.0], [1.0, 2.0, 0.0]])]),
    OpCase("sum_nan", lambda T, x: T.sum(x), [V([1.0, NAN])], fd=False),
    OpCase("relu_nan", lambda T, x: T.relu(x), [V([NAN, 1.0, -1.0])], fd=False),
    OpCase("sigmoid_nan", lambda T, x: T.sigmoid(x), [V([NAN, 1.0])], fd=False),
    OpCase("mean_empty_dim", lambda T, x: T.mean(x, 0), [(0, 3)]),
    OpCase("sum_list_dims", lambda T, x: x.sum([0, 1]), [(2, 3)]),
    OpCase("sum_empty_list", lambda T, x: T.sum(x, []), [(2, 3)]),
    OpCase("prod_bool", lambda T, x: T.prod(x), [V([True, True])], dtypes=(FIXED,)),
    OpCase("cumsum_float_to_int", lambda T, x: T.cumsum(x, 0, dtype=T.int64),
           [V([1.5, 2.5])], grad=()),
    OpCase("amax_int", lambda T, x: T.amax(x), [V([1, 3, 2])], dtypes=(FIXED,)),
    OpCase("sigmoid_int", lambda T, x: T.sigmoid(x), [V([1, 2])], dtypes=(FIXED,)),
    OpCase("exp_bool", lambda T, x: T.exp(x), [V([True, False])], dtypes=(FIXED,)),
    OpCase("neg_uint8", lambda T, x: -x, [V([1, 0], "uint8")], dtypes=(FIXED,)),
    OpCase("clamp_bool", lambda T, x: T.clamp(x, 0, 1), [V([True, False])], dtypes=(FIXED,)),
    OpCase("sign_bool", lambda T, x: T.sign(x), [V([True, False])], dtypes=(FIXED,)),
    OpCase("round_int", lambda T, x: T.round(x), [V([1, -2])], dtypes=(FIXED,)),
    OpCase("where_scalars", lambda T, c: T.where(c, 1.0, 0), [V([True, False])],
           dtypes=(FIXED,)),
    OpCase("where_int_scalars", lambda T, c: T.where(c, 1, 0), [V([True, False])],
           dtypes=(FIXED,)),
    OpCase("div_int_trunc", lambda T, a, b: T.div(a, b, rounding_mode="trunc"),
           [V([7, -7, 5]), V([2, 2, -3])], dtypes=(FIXED,)),
    OpCase("div_int_floor", lambda T, a, b: T.div(a, b, rounding_mode="floor"),
           [V([7, -7, 5]), V([2, 2, -3])], dtypes=(FIXED,)),
    OpCase("fmod_int", lambda T, a: T.fmod(a, -3), [V([7, -7, 5])], dtypes=(FIXED,)),
    OpCase("sub_alpha_int", lambda T, a, b: T.sub(a, b, alpha=2), [V([7, -7]), V([1, 2])],
           dtypes=(FIXED,)),
    OpCase("int_0d_times_float", lambda T, a: a * 2.5, [V(3)], dtypes=(FIXED,)),
    OpCase("fn_mul_scalar_first", lambda T, b: T.mul(2, b), [(2, 3)]),
    OpCase("fn_div_scalar_first", lambda T, b: T.div(2, b), [(2, 3)], domain="nonzero"),
    OpCase("fn_add_scalar", lambda T, a: T.add(a, 2), [(2, 3)]),
    OpCase("fn_pow_scalar_base", lambda T, b: T.pow(2.0, b), [(2, 3)]),
    OpCase("fn_pow_tensors", lambda T, a, b: T.pow(a, b), [(2, 3), (3,)],
           domain=("positive", "real"), gradgrad=True),
    OpCase("method_chain", lambda T, a, b: a.mul(b).add(1.0).div(b.abs() + 1).sub(a).neg(),
           [(2, 3), (2, 3)], gradgrad=True),
    OpCase("float_power", lambda T, a: T.float_power(a, 2), [(2, 3)]),
    OpCase("reused_input", lambda T, a: a * a + T.exp(a) * a, [(2, 3)], gradgrad=True),
    OpCase("transposed_input", lambda T, a, b: a.t() * b, [(3, 2), (2, 3)]),
]

_INPLACE = {
    "add_": lambda x, y: x.add_(y), "sub_": lambda x, y: x.sub_(y),
    "mul_": lambda x, y: x.mul_(y), "div_": lambda x, y: x.div_(y),
    "iadd": lambda x, y: x.__iadd__(y), "imul": lambda x, y: x.__imul__(y),
    "isub": lambda x, y: x.__isub__(y), "itruediv": lambda x, y: x.__itruediv__(y),
}
for _name, _op in _INPLACE.items():
    EDGES.append(OpCase(f"inplace_{_name}", lambda T, a, b, o=_op: o(a * 1.0, b),
                        [(2, 3), (3,)], domain=("real", "nonzero"), gradgrad=True))
for _name in ("exp_", "sqrt_", "sigmoid_", "tanh_", "relu_", "neg_", "abs_", "reciprocal_",
              "sin_", "cos_", "log_"):
    EDGES.append(OpCase(f"inplace_{_name}", lambda T, a, n=_name: getattr(a * 1.0, n)(),
                        [(2, 3)], domain="positive"))
EDGES += [
    OpCase("inplace_clamp_", lambda T, a: (a * 1.0).clamp_(-0.5, 0.5), [(2, 3)]),
    OpCase("inplace_pow_", lambda T, a: (a * 1.0).pow_(2), [(2, 3)]),
    OpCase("inplace_add_alpha", lambda T, a, b: (a * 1.0).add_(b, alpha=0.5), [(2, 3), ()]),
    OpCase("inplace_int_add_scalar", lambda T, a: a.add_(2), [V([1, 2])], dtypes=(FIXED,)),
]

ERRORS += [
    ErrorCase("softmax_int", lambda T, a: T.softmax(a, 0), [V([1, 2, 3])]),
    ErrorCase("log_softmax_int", lambda T, a: T.log_softmax(a, 0), [V([1, 2, 3])]),
    ErrorCase("add_float_alpha_int", lambda T, a: T.add(a, a, alpha=1.5), [V([1, 2])]),
    ErrorCase("std_int", lambda T, a: a.std(), [V([1, 2])]),
    ErrorCase("var_int", lambda T, a: T.var(a), [V([1, 2])]),
    ErrorCase("norm_int", lambda T, a: a.norm(), [V([1, 2])]),
    ErrorCase("abs_bool", lambda T, a: a.abs(), [V([True])]),
    ErrorCase("relu_bool", lambda T, a: T.relu(a), [V([True])]),
    ErrorCase("round_int_decimals", lambda T, a: T.round(a, decimals=1), [V([1, 2])]),
    ErrorCase("floor_bool", lambda T, a: T.floor(a), [V([True])]),
    ErrorCase("round_bool", lambda T, a: T.round(a), [V([True])]),
    ErrorCase("softplus_int", lambda T, a: T.softplus(a), [V([1, 2])], torch_fn=_softplus),
    ErrorCase("softmax_int_dim0", lambda T, a: T.softmax(a, 0), [V([[1, 2]])]),
    ErrorCase("sub_float_alpha_int", lambda T, a: T.sub(a, 1, alpha=0.5), [V([1, 2])]),
    ErrorCase("add_bool_alpha_float", lambda T, a: T.add(a, 1.0, alpha=True), [(2,)]),
    ErrorCase("inplace_int_add_float", lambda T, a: a.add_(1.5), [V([1, 2])]),
    ErrorCase("inplace_int_true_div", lambda T, a: a.div_(2), [V([1, 2])]),
    ErrorCase("inplace_broadcast_grow", lambda T, a, b: a.add_(b), [(3,), (2, 3)]),
    ErrorCase("inplace_leaf", lambda T, a: T.tensor([1.0], requires_grad=True).mul_(2), [()]),
]
test_forward_edges, test_grad_fd_edges, test_grad_torch_edges, test_gradgrad_edges = \
    make_tests(_second_order_everywhere(EDGES), grad_fn_names=True)
test_errors = make_error_test(ERRORS)

# NumPy scalars act as Python scalars, on either side of an operator.
NUMPY_SCALARS = [
    OpCase("np_f64_right", lambda T, a: a * np.float64(2.0), [(2, 3)]),
    OpCase("np_f64_left", lambda T, a: np.float64(2.0) * a, [(2, 3)]),
    OpCase("np_i64_left_sub", lambda T, a: np.int64(3) - a, [(2, 3)]),
    OpCase("np_f32_left_div", lambda T, a: np.float32(1.5) / a, [(2, 3)], domain="nonzero"),
    OpCase("np_f64_left_pow", lambda T, a: np.float64(2.0) ** a, [(2, 3)]),
    OpCase("np_f32_int_tensor", lambda T, a: np.float32(1.5) * a, [V([1, 2])], dtypes=(FIXED,)),
    OpCase("np_f64_left_lt", lambda T, a: np.float64(0.1) < a, [(2, 3)]),
    OpCase("np_f64_left_add_0d", lambda T, a: np.float64(0.5) + a, [()]),
]
# Half precision: values and dtypes (PyTorch computes in float32 and rounds, as NumPy does).
HALF = [
    OpCase(f"half_{n}", f, [(2, 3)] * k, dtypes=("float16",), domain=d)
    for n, f, k, d in [
        ("add", lambda T, a, b: a + b, 2, "real"), ("mul", lambda T, a, b: a * b, 2, "real"),
        ("div", lambda T, a, b: a / b, 2, "nonzero"), ("exp", lambda T, a: T.exp(a), 1, "real"),
        ("log", lambda T, a: T.log(a), 1, "positive"), ("tanh", lambda T, a: T.tanh(a), 1,
                                                         "real"),
        ("sigmoid", lambda T, a: T.sigmoid(a), 1, "real"),
        ("sum", lambda T, a: a.sum(1), 1, "real"), ("mean", lambda T, a: a.mean(), 1, "real"),
        ("softmax", lambda T, a: T.softmax(a, 1), 1, "real"),
        ("half_plus_float_scalar", lambda T, a: a + 0.1, 1, "real"),
    ]
]
test_forward_np, test_grad_fd_np, test_grad_torch_np, test_gradgrad_np = \
    make_tests(NUMPY_SCALARS + HALF, grad_fn_names=True)



def test_return_types_print_as_pytorch():
    """max/min/sort/topk with a dim return torch.return_types.<op>, printed as PyTorch does."""
    import torch

    import ember

    calls = [lambda T, x: T.max(x, 1), lambda T, x: x.min(0, keepdim=True),
             lambda T, x: T.sort(x, 1), lambda T, x: T.topk(x, 1),
             lambda T, x: T.max(x * 2, 1)]
    data = [[1.0, 5.0], [3.0, 2.0]]
    for call in calls:
        got = call(ember, ember.tensor(data, requires_grad=True))
        want = call(torch, torch.tensor(data, requires_grad=True))
        assert repr(got) == repr(want)
        assert type(got).__name__ == type(want).__name__ and isinstance(got, tuple)

MORE = [
    OpCase("sum_uint8", lambda T, x: x.sum(), [V([200, 100], "uint8")], dtypes=(FIXED,)),
    OpCase("prod_uint8", lambda T, x: T.prod(x), [V([20, 30], "uint8")], dtypes=(FIXED,)),
    OpCase("cumsum_uint8", lambda T, x: T.cumsum(x, 0), [V([200, 100], "uint8")],
           dtypes=(FIXED,)),
    OpCase("sum_int8_dim", lambda T, x: T.sum(x, 0), [V([[100, 100], [100, 1]], "int8")],
           dtypes=(FIXED,)),
    OpCase("sum_axis_alias", lambda T, x: x.sum(axis=1, keepdims=True), [(2, 3)]),
    OpCase("mean_axis_alias", lambda T, x: T.mean(x, axis=0), [(2, 3)]),
    OpCase("mean_dtype_float", lambda T, x: x.mean(1, dtype=T.float64), [(2, 3)]),
    OpCase("logsumexp_list_dims", lambda T, x: T.logsumexp(x, [0, 1]), [(2, 3)]),
    OpCase("equal_true", lambda T, a: T.equal(a, a * 1), [(2, 3)]),
    OpCase("equal_shape", lambda T, a, b: T.equal(a, b), [(2, 3), (3,)]),
    OpCase("allclose", lambda T, a: T.allclose(a, a + 1e-9), [(2, 3)]),
    OpCase("isclose", lambda T, a, b: T.isclose(a, b, atol=0.5), [(2, 3), (3,)]),
    OpCase("eq_int_float_scalar", lambda T, a: a == 1.5, [V([1, 2])], dtypes=(FIXED,)),
    OpCase("ne_bool_int", lambda T, a: a != 1, [V([True, False])], dtypes=(FIXED,)),
    OpCase("gt_int_tensors", lambda T, a, b: a > b, [V([1, 5], "int32"), V([3, 3])],
           dtypes=(FIXED,)),
    OpCase("softmax_half", lambda T, x: T.softmax(x, 0), [(4,)], dtypes=("float16",)),
    OpCase("mean_half_dim", lambda T, x: x.mean(0), [(3, 2)], dtypes=("float16",)),
    OpCase("count_nonzero", lambda T, x: T.count_nonzero(x, 1), [V([[0.0, 1.0], [2.0, 3.0]])]),
    OpCase("nan_to_num", lambda T, x: T.nan_to_num(x, nan=0.5), [V([NAN, INF, -INF, 1.0])],
           fd=False),
    OpCase("cumprod", lambda T, x: T.cumprod(x, 1), [(2, 3)]),
    OpCase("cumprod_zero", lambda T, x: T.cumprod(x, 0), [V([2.0, 0.0, 3.0, 4.0])], fd=False),
    OpCase("amax_neg_dim_keepdim", lambda T, x: T.amax(x, -1, True), [(2, 3)]),
    OpCase("max_keepdim_kw", lambda T, x: x.max(dim=-1, keepdim=True), [(2, 3)]),
    OpCase("float_power_tensor", lambda T, a, b: T.float_power(a, b), [(2, 3), (3,)],
           domain=("positive", "real")),
]
test_forward_more, test_grad_fd_more, test_grad_torch_more, test_gradgrad_more = \
    make_tests(_second_order_everywhere(MORE), grad_fn_names=True)
MORE2 = [
    OpCase("cumsum_dtype_int32", lambda T, x: T.cumsum(x, 0, dtype=T.int32), [V([1, 2, 3])],
           dtypes=(FIXED,)),
    OpCase("cumprod_dim0", lambda T, x: T.cumprod(x, 0), [(3, 2)]),
    OpCase("prod_dtype_int32", lambda T, x: T.prod(x, dtype=T.int32), [V([2, 3])],
           dtypes=(FIXED,)),
    OpCase("cumprod_dtype_int16", lambda T, x: T.cumprod(x, 0, dtype=T.int16), [V([2, 3])],
           dtypes=(FIXED,)),
    OpCase("cumprod_0d", lambda T, x: T.cumprod(x, 0), [()]),
    OpCase("cumprod_zeros_2d", lambda T, x: T.cumprod(x, 1),
           [V([[2.0, 0.0, 3.0, 0.0], [1.0, 2.0, 0.0, 5.0]])], fd=False),
    OpCase("cumprod_uint8", lambda T, x: T.cumprod(x, 0), [V([200, 100], "uint8")],
           dtypes=(FIXED,)),
    OpCase("cumprod_bool", lambda T, x: T.cumprod(x, 0), [V([True, True])], dtypes=(FIXED,)),
    OpCase("nan_to_num_args", lambda T, x: T.nan_to_num(x, 1.0, 2.0, -2.0),
           [V([NAN, INF, -INF, 0.5])], fd=False),
]
test_forward_more2, test_grad_fd_more2, test_grad_torch_more2, test_gradgrad_more2 = \
    make_tests(_second_order_everywhere(MORE2), grad_fn_names=True)
