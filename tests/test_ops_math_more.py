"""The math ops' table, part 3: aliases, inverse trig/hyperbolic, special functions, more
binary functions, nan-aware reductions, median, running extremes, logcumsumexp, diff.

Every row is checked against PyTorch 2.13 (values, dtype, shape, requires_grad, grad_fn name),
its gradient against float64 finite differences and PyTorch's, and, where the point is smooth,
to second order (tests/optable.py); errors follow the table. Edge values, accuracy over wide
grids, in-place forms and aliases are in test_ops_math_more_edges.py.
"""

from __future__ import annotations

import numpy as np
from optable import (FIXED, ErrorCase, OpCase, V, make_error_test, make_tests,
                     second_order_where_smooth)

INF, NAN = float("inf"), float("nan")
DOMAINS = {
    "above1": lambda r, s: r.uniform(1.2, 3.0, s),
    "prob": lambda r, s: r.uniform(0.05, 0.95, s),
}


def _unary(name, fn, domain="real", shapes=((2, 3), (), (0, 3)), **kw):
    dom = DOMAINS.get(domain, domain)
    return [OpCase(f"{name}-{'x'.join(map(str, s)) or '0d'}", fn, [s], domain=dom, **kw)
            for s in shapes]


UNARY = (
    _unary("asin", lambda T, x: T.asin(x), "unit")
    + _unary("acos", lambda T, x: T.acos(x), "unit")
    + _unary("atan", lambda T, x: T.atan(x), "wide")
    + _unary("sinh", lambda T, x: T.sinh(x))
    + _unary("cosh", lambda T, x: T.cosh(x))
    + _unary("asinh", lambda T, x: T.asinh(x), "wide")
    + _unary("acosh", lambda T, x: T.acosh(x), "above1")
    + _unary("atanh", lambda T, x: T.atanh(x), "unit")
    + _unary("exp2", lambda T, x: T.exp2(x), "wide")
    + _unary("logit", lambda T, x: T.logit(x), "prob")
    + _unary("frac", lambda T, x: T.frac(x), "wide")
    + _unary("sinc", lambda T, x: T.sinc(x), "wide")
    + _unary("deg2rad", lambda T, x: T.deg2rad(x))
    + _unary("rad2deg", lambda T, x: T.rad2deg(x))
    + _unary("erf", lambda T, x: T.erf(x))
    + _unary("erfc", lambda T, x: T.erfc(x))
    + _unary("erfinv", lambda T, x: T.erfinv(x), "unit")
    + _unary("lgamma", lambda T, x: T.lgamma(x), "positive")
    + _unary("digamma", lambda T, x: T.digamma(x), "positive")
    + [
        OpCase("logit_eps", lambda T, x: T.logit(x, eps=0.2), [(3, 4)], domain="real"),
        OpCase("logit_eps_edges", lambda T, x: T.logit(x, 0.25),
               [V([0.25, 0.75, 0.1, 0.9, 0.5, -1.0, 2.0])], fd=False),
        OpCase("logit_outside", lambda T, x: T.logit(x), [V([-0.5, 1.5, 0.5])], fd=False),
        OpCase("sinc_zero", lambda T, x: T.sinc(x), [V([0.0, 1.0, -2.0, 0.5])], fd=False),
        OpCase("lgamma_negative", lambda T, x: T.lgamma(x), [V([-2.5, -0.3, -1.7, -3.2])]),
        OpCase("digamma_negative", lambda T, x: T.digamma(x), [V([-2.5, -0.3, -1.7, -3.2])]),
        OpCase("digamma_large", lambda T, x: T.digamma(x), [V([12.5, 40.0, 1e3, 0.05])]),
        OpCase("digamma_tiny", lambda T, x: T.digamma(x), [V([1e-3, 1e-5])], fd=False),
        OpCase("lgamma_large", lambda T, x: T.lgamma(x), [V([12.5, 40.0, 1e3, 1e-3])]),
        OpCase("erfinv_tails", lambda T, x: T.erfinv(x), [V([0.99, -0.995, 0.6, 1e-4])]),
        # Closer to +-1 central differences lose accuracy (the curvature grows like exp(y^2)):
        # values and gradients against PyTorch's only.
        OpCase("erfinv_far_tails", lambda T, x: T.erfinv(x), [V([0.9999, -0.99999, 0.999])],
               fd=False),
        OpCase("erfc_tail", lambda T, x: T.erfc(x), [V([3.0, 5.0, 8.0, -2.0])]),
        OpCase("polygamma1", lambda T, x: T.polygamma(1, x), [(2, 3)], domain="positive"),
        OpCase("polygamma3", lambda T, x: T.polygamma(3, x), [(2, 3)], domain="positive"),
        OpCase("polygamma0", lambda T, x: T.polygamma(0, x), [(3,)], domain="positive"),
        OpCase("polygamma2_negative", lambda T, x: T.polygamma(2, x),
               [V([-2.5, -0.3, -1.7, 0.6])]),
        OpCase("polygamma_method", lambda T, x: x.polygamma(2), [(4,)], domain="positive"),
        OpCase("methods", lambda T, x: x.asin().sinh().atan().cosh().erf().exp2(), [(2, 3)],
               domain="unit"),
    ]
)
INT_UNARY = [
    OpCase(f"{n}_int", lambda T, x, n=n: getattr(T, n)(x), [V([1, 2, 3])], dtypes=(FIXED,))
    for n in ("asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "exp2",
              "logit", "sinc", "deg2rad", "rad2deg", "erf", "erfc", "erfinv", "lgamma",
              "digamma")
] + [
    OpCase("erf_bool", lambda T, x: T.erf(x), [V([True, False])], dtypes=(FIXED,)),
    OpCase("deg2rad_int32", lambda T, x: x.deg2rad(), [V([180, -90], "int32")],
           dtypes=(FIXED,)),
    OpCase("erf_f16", lambda T, x: T.erf(x), [V([0.5, -1.0, 2.0], "float16")],
           dtypes=(FIXED,)),
    OpCase("asin_f16", lambda T, x: T.asin(x), [V([0.5, -0.25], "float16")], dtypes=(FIXED,)),
] + [
    # float16 values (as PyTorch: sinc in float32 rounded once, logit step by step); float16
    # gradients are not compared (each backward formula rounds where PyTorch's does not).
    OpCase(f"{n}_f16", lambda T, x, n=n: getattr(T, n)(x),
           [V(np.linspace(0.05, 0.95, 19), "float16")], dtypes=(FIXED,), grad=())
    for n in ("sinc", "logit", "erfinv", "lgamma", "digamma", "acos", "atanh", "exp2", "frac",
              "deg2rad")
] + [
    OpCase(f"{n}_f16", lambda T, a, b, n=n: getattr(T, n)(a, b),
           [V(np.linspace(0.05, 0.95, 19), "float16"), V(np.linspace(2.0, -1.6, 19), "float16")],
           dtypes=(FIXED,), grad=())
    for n in ("atan2", "hypot", "logaddexp", "logaddexp2", "xlogy", "copysign", "fmax", "ldexp")
]

ALIASES = [
    OpCase("multiply", lambda T, a, b: T.multiply(a, b), [(2, 3), (3,)]),
    OpCase("multiply_method", lambda T, a: a.multiply(2.5), [(2, 3)]),
    OpCase("divide", lambda T, a, b: T.divide(a, b), [(2, 3), (2, 3)],
           domain=("real", "nonzero")),
    OpCase("divide_floor", lambda T, a, b: a.divide(b, rounding_mode="floor"),
           [(2, 3), (2, 3)], domain=("wide", "nonzero"), grad=()),
    OpCase("divide_trunc", lambda T, a, b: T.divide(a, b, rounding_mode="trunc"),
           [(2, 3), (2, 3)], domain=("wide", "nonzero")),
    OpCase("true_divide", lambda T, a, b: T.true_divide(a, b), [(2, 3), ()],
           domain=("real", "nonzero")),
    OpCase("true_divide_int", lambda T, a, b: T.true_divide(a, b), [V([1, 7]), V([2, 2])],
           dtypes=(FIXED,)),
    OpCase("subtract", lambda T, a, b: T.subtract(a, b, alpha=2), [(2, 3), (3,)]),
    OpCase("negative", lambda T, a: T.negative(a), [(2, 3)]),
    OpCase("absolute", lambda T, a: a.absolute(), [(2, 3)], domain="nonzero"),
    OpCase("fix", lambda T, a: T.fix(a), [(2, 3)], domain="wide"),
    OpCase("fix_int", lambda T, a: T.fix(a), [V([-2, 3])], dtypes=(FIXED,)),
    OpCase("sgn", lambda T, a: T.sgn(a), [(2, 3)]),
    OpCase("sgn_zero", lambda T, a: a.sgn(), [V([0.0, -0.0, -3.0, NAN])], fd=False),
    OpCase("sgn_int", lambda T, a: T.sgn(a), [V([-2, 0, 3])], dtypes=(FIXED,)),
    OpCase("sgn_bool", lambda T, a: T.sgn(a), [V([True, False])], dtypes=(FIXED,)),
    OpCase("clamp_min", lambda T, a: T.clamp_min(a, 0.1), [(2, 3)]),
    OpCase("clamp_max", lambda T, a: a.clamp_max(-0.2), [(2, 3)]),
    OpCase("clamp_min_tensor", lambda T, a, b: T.clamp_min(a, b), [(2, 3), (3,)]),
    OpCase("clamp_max_tensor", lambda T, a, b: a.clamp_max(b), [(2, 3), (2, 1)]),
    OpCase("clamp_min_int_float", lambda T, a: T.clamp_min(a, 0.5), [V([0, 1, 2])],
           dtypes=(FIXED,)),
    OpCase("clamp_max_int", lambda T, a: T.clamp_max(a, 1), [V([0, 1, 2])], dtypes=(FIXED,)),
    OpCase("clamp_min_ties", lambda T, a: T.clamp_min(a, 0.5), [V([0.5, -0.0, 1.0])],
           fd=False),
    OpCase("arcsin", lambda T, a: T.arcsin(a), [(2, 3)], domain="unit"),
    OpCase("arccos", lambda T, a: a.arccos(), [(2, 3)], domain="unit"),
    OpCase("arctan", lambda T, a: T.arctan(a), [(2, 3)]),
    OpCase("arcsinh", lambda T, a: T.arcsinh(a), [(2, 3)]),
    OpCase("arccosh", lambda T, a: a.arccosh(), [(2, 3)], domain=DOMAINS["above1"]),
    OpCase("arctanh", lambda T, a: T.arctanh(a), [(2, 3)], domain="unit"),
    OpCase("arctan2", lambda T, a, b: T.arctan2(a, b), [(2, 3), (3,)]),
]

PAIRS = {"same": [(2, 3), (2, 3)], "outer": [(3, 1), (1, 4)], "0d_left": [(), (2, 3)],
         "0d_both": [(), ()], "empty": [(0, 3), (3,)]}


def _binary(name, fn, domain=("real", "real")):
    return [OpCase(f"{name}-{tag}", fn, shapes, domain=domain) for tag, shapes in PAIRS.items()]


BINARY = (
    _binary("atan2", lambda T, a, b: T.atan2(a, b))
    + _binary("hypot", lambda T, a, b: T.hypot(a, b), ("nonzero", "nonzero"))
    + _binary("logaddexp", lambda T, a, b: T.logaddexp(a, b), ("wide", "wide"))
    + _binary("logaddexp2", lambda T, a, b: a.logaddexp2(b), ("wide", "wide"))
    + _binary("xlogy", lambda T, a, b: T.xlogy(a, b), ("real", "positive"))
    + _binary("copysign", lambda T, a, b: T.copysign(a, b), ("nonzero", "nonzero"))
    + _binary("fmax", lambda T, a, b: T.fmax(a, b))
    + _binary("fmin", lambda T, a, b: a.fmin(b))
    + [
        OpCase("atan2_method", lambda T, a, b: a.atan2(b), [(3,), (3,)]),
        OpCase("atan2_int", lambda T, a, b: T.atan2(a, b), [V([1, -2]), V([3, 0], "int32")],
               dtypes=(FIXED,)),
        OpCase("atan2_signs", lambda T, a, b: T.atan2(a, b),
               [V([0.0, -0.0, 0.0, -0.0, 1.0, INF]), V([0.0, 0.0, -1.0, -1.0, INF, INF])],
               grad=()),
        OpCase("hypot_f32_f64", lambda T, a, b: T.hypot(a, b),
               [V([3.0, -1.5], "float32"), V([4.0, 2.0], "float64")], dtypes=(FIXED,)),
        OpCase("logaddexp_large", lambda T, a, b: T.logaddexp(a, b),
               [V([1000.0, -1000.0, 0.0, -INF]), V([1000.5, -999.0, INF, -INF])], fd=False),
        OpCase("logaddexp2_large", lambda T, a, b: T.logaddexp2(a, b),
               [V([1000.0, -1000.0, 3.0]), V([999.0, -1000.0, -INF])], fd=False),
        OpCase("xlogy_zeros", lambda T, a, b: T.xlogy(a, b),
               [V([0.0, 0.0, 0.0, 1.0, 2.0, 0.0]), V([0.0, -1.0, 2.0, NAN, 0.0, INF])],
               fd=False),
        OpCase("xlogy_scalar_other", lambda T, a: T.xlogy(a, 2.5), [(2, 3)]),
        OpCase("xlogy_scalar_self", lambda T, b: T.xlogy(3, b), [(2, 3)], domain="positive"),
        OpCase("xlogy_method", lambda T, a, b: a.xlogy(b), [(3,), (3,)],
               domain=("real", "positive")),
        OpCase("xlogy_int", lambda T, a, b: T.xlogy(a, b), [V([0, 2, 3]), V([0, 4, 1])],
               dtypes=(FIXED,)),
        OpCase("copysign_scalar", lambda T, a: T.copysign(a, -1.0), [(2, 3)],
               domain="nonzero"),
        OpCase("copysign_zeros", lambda T, a, b: T.copysign(a, b),
               [V([0.0, -0.0, 2.0, -3.0, INF]), V([-0.0, 1.0, -0.0, 0.0, -1.0])], fd=False),
        OpCase("copysign_int", lambda T, a: a.copysign(-1), [V([1, -2, 0])], dtypes=(FIXED,)),
        OpCase("fmax_nan", lambda T, a, b: T.fmax(a, b),
               [V([NAN, 1.0, NAN, 2.0, 3.0]), V([1.0, NAN, NAN, 2.0, 1.0])], fd=False),
        OpCase("fmin_nan", lambda T, a, b: T.fmin(a, b),
               [V([NAN, 1.0, NAN, 2.0, 3.0]), V([1.0, NAN, NAN, 2.0, 1.0])], fd=False),
        OpCase("fmax_int", lambda T, a, b: T.fmax(a, b), [V([1, 5]), V([3, 2], "int32")],
               dtypes=(FIXED,)),
        OpCase("fmin_bool", lambda T, a, b: T.fmin(a, b), [V([True, False]), V([True, True])],
               dtypes=(FIXED,)),
        OpCase("fmax_int_float", lambda T, a, b: T.fmax(a, b),
               [V([1, 5]), V([2.5, NAN], "float32")], dtypes=(FIXED,)),
    ]
)

NANS = V([[1.0, NAN, 2.0, -0.5], [NAN, NAN, NAN, NAN], [0.5, 3.0, -1.0, 2.0]])
SOME_NANS = V([[1.0, NAN, 2.0, -0.5], [NAN, 0.25, NAN, NAN], [0.5, 3.0, -1.0, 2.0]])
TIES = V([[1.0, 1.0, 0.0, 1.0, 2.0, 2.0], [NAN, 0.5, NAN, 3.0, 3.0, -1.0]])
REDUCE = [
    OpCase("nansum", lambda T, x: T.nansum(x), [NANS]),
    OpCase("nansum_dim", lambda T, x: x.nansum(1), [NANS]),
    OpCase("nansum_keepdim", lambda T, x: T.nansum(x, (0, 1), keepdim=True), [(2, 3, 2)]),
    OpCase("nansum_empty", lambda T, x: T.nansum(x, 0), [(0, 3)]),
    OpCase("nansum_int", lambda T, x: T.nansum(x, 1), [V([[1, 2], [3, 4]], "int32")],
           dtypes=(FIXED,)),
    OpCase("nansum_bool", lambda T, x: T.nansum(x), [V([True, True, False])], dtypes=(FIXED,)),
    OpCase("nansum_dtype", lambda T, x: T.nansum(x, dtype=T.float64), [V([1, 2, 3])],
           dtypes=(FIXED,)),
    OpCase("nanmean", lambda T, x: T.nanmean(x), [NANS]),
    OpCase("nanmean_dim", lambda T, x: x.nanmean(1, keepdim=True), [SOME_NANS]),
    # A row of nans only: nan, and a nan gradient over that row (0 * inf), as PyTorch.
    OpCase("nanmean_all_nan_row", lambda T, x: T.nanmean(x, 1), [NANS], fd=False),
    OpCase("nanmean_plain", lambda T, x: T.nanmean(x, 0), [(3, 4)]),
    OpCase("median", lambda T, x: T.median(x), [(3, 5)]),
    OpCase("median_even", lambda T, x: x.median(), [(4,)]),
    OpCase("median_ties", lambda T, x: T.median(x), [V([1.0, 2.0, 1.0, 2.0, 1.0])], fd=False),
    OpCase("median_nan", lambda T, x: T.median(x), [V([1.0, NAN, 3.0, NAN])], fd=False),
    OpCase("median_dim", lambda T, x: T.median(x, 1), [(3, 5)]),
    OpCase("median_dim0_keepdim", lambda T, x: x.median(0, keepdim=True), [(4, 3)]),
    OpCase("median_dim_nan", lambda T, x: T.median(x, 1), [NANS], fd=False),
    OpCase("median_0d", lambda T, x: T.median(x, 0), [()]),
    OpCase("median_empty", lambda T, x: T.median(x, 1), [(0, 3)]),
    OpCase("median_int", lambda T, x: T.median(x, 1), [V([[3, 1, 2], [0, 5, -1]])],
           dtypes=(FIXED,)),
    OpCase("median_int_all", lambda T, x: T.median(x), [V([3, 1, 2, 7])], dtypes=(FIXED,)),
    OpCase("nanmedian", lambda T, x: T.nanmedian(x), [V([1.0, NAN, 3.0, 0.5, NAN])],
           fd=False),
    OpCase("nanmedian_all_nan", lambda T, x: T.nanmedian(x), [V([NAN, NAN])], fd=False),
    # (Where a row is all nan PyTorch's index follows its selection algorithm: tested apart.)
    OpCase("nanmedian_dim", lambda T, x: T.nanmedian(x, 1), [SOME_NANS], fd=False),
    OpCase("nanmedian_plain", lambda T, x: x.nanmedian(0), [(5, 2)]),
    OpCase("cummax", lambda T, x: T.cummax(x, 1), [(3, 5)]),
    OpCase("cummin", lambda T, x: x.cummin(0), [(4, 3)]),
    OpCase("cummax_ties_nan", lambda T, x: T.cummax(x, 1), [TIES], fd=False),
    OpCase("cummin_ties_nan", lambda T, x: T.cummin(x, -1), [TIES], fd=False),
    OpCase("cummax_0d", lambda T, x: T.cummax(x, 0), [()]),
    OpCase("cummax_empty", lambda T, x: T.cummin(x, 0), [(0, 3)]),
    OpCase("cummax_int", lambda T, x: T.cummax(x, 1), [V([[3, 1, 4], [0, 5, 5]])],
           dtypes=(FIXED,)),
    OpCase("cummax_bool", lambda T, x: T.cummax(x, 0), [V([False, True, False, True])],
           dtypes=(FIXED,)),
    OpCase("logcumsumexp", lambda T, x: T.logcumsumexp(x, 1), [(3, 4)], domain="wide"),
    OpCase("logcumsumexp_dim0", lambda T, x: x.logcumsumexp(0), [(4, 2)], domain="wide"),
    OpCase("logcumsumexp_large", lambda T, x: T.logcumsumexp(x, 0),
           [V([800.0, -700.0, 801.0, 5.0])]),
    OpCase("logcumsumexp_0d", lambda T, x: T.logcumsumexp(x, 0), [()]),
    OpCase("logcumsumexp_inf", lambda T, x: T.logcumsumexp(x, 0),
           [V([-INF, 1.0, INF, NAN])], grad=()),
    OpCase("diff", lambda T, x: T.diff(x), [(3, 5)]),
    OpCase("diff_n2_dim0", lambda T, x: x.diff(2, 0), [(4, 3)]),
    OpCase("diff_too_many", lambda T, x: T.diff(x, 5), [(2, 3)]),
    OpCase("diff_n0", lambda T, x: T.diff(x, 0), [(2, 3)]),
    OpCase("diff_empty", lambda T, x: T.diff(x), [(2, 0)]),
    OpCase("diff_size1_n2", lambda T, x: T.diff(x, 2), [(2, 1)]),
    OpCase("diff_prepend_append", lambda T, x, p, a: T.diff(x, 2, 1, p, a),
           [(2, 3), (2, 1), (2, 2)]),
    OpCase("diff_int_float_prepend", lambda T, x, p: T.diff(x, prepend=p),
           [V([[3, 1, 2]]), V([[1.5]], "float32")], dtypes=(FIXED,)),
    OpCase("diff_int", lambda T, x: T.diff(x), [V([3, 1, 2, 7])], dtypes=(FIXED,)),
    OpCase("diff_bool", lambda T, x: T.diff(x), [V([True, False, False, True])],
           dtypes=(FIXED,)),
]

EXTRA = [
    OpCase("positive", lambda T, x: T.positive(x), [(2, 3)]),
    OpCase("positive_int", lambda T, x: x.positive(), [V([1, -2])], dtypes=(FIXED,)),
    OpCase("signbit", lambda T, x: T.signbit(x), [V([-0.0, 0.0, -2.0, NAN, -INF, 3.0])]),
    OpCase("signbit_int", lambda T, x: x.signbit(), [V([-1, 0, 2])], dtypes=(FIXED,)),
    OpCase("isposinf", lambda T, x: T.isposinf(x), [V([INF, -INF, NAN, 1.0])]),
    OpCase("isneginf", lambda T, x: x.isneginf(), [V([INF, -INF, NAN, 1.0])]),
    OpCase("isneginf_int", lambda T, x: T.isneginf(x), [V([1, -2])], dtypes=(FIXED,)),
    OpCase("isreal", lambda T, x: T.isreal(x), [V([1.0, NAN])]),
    OpCase("heaviside", lambda T, x, v: T.heaviside(x, v),
           [V([-1.5, 0.0, -0.0, 2.0, NAN]), V([0.5, 0.25, -0.0, 0.5, 0.5])],
           grad=(), grad_fn_name=False),
    OpCase("heaviside_bcast", lambda T, x, v: x.heaviside(v), [V([[-1.0, 0.0], [0.0, 3.0]]),
                                                              V([0.5, 0.75])], grad=()),
    OpCase("heaviside_int", lambda T, x, v: T.heaviside(x, v), [V([-2, 0, 3]), V([7, 7, 7])],
           dtypes=(FIXED,)),
    OpCase("nextafter", lambda T, a, b: T.nextafter(a, b),
           [V([0.5, -1.5, 0.0, 1.0, 0.0]), V([0.0, 2.0, 0.0, INF, -1.0])], fd=False),
    OpCase("nextafter_f32_f64", lambda T, a, b: T.nextafter(a, b),
           [V([1.0, 0.0], "float32"), V([2.0, -1.0], "float64")], dtypes=(FIXED,)),
    OpCase("ldexp", lambda T, a, b: T.ldexp(a, b), [(2, 3), (3,)]),
    # Non-negative integer exponents: PyTorch's gradient for a negative one is 0 (it computes
    # 2^b in integers); ember's is 2^b: test_ldexp_negative_int_exponent in the edges file.
    OpCase("ldexp_int_exponent", lambda T, a, b: a.ldexp(b), [(2, 3), V([1, 0, 3])]),
    OpCase("ldexp_ints", lambda T, a, b: T.ldexp(a, b), [V([3, 1]), V([-2, 4])],
           dtypes=(FIXED,)),
    OpCase("gcd", lambda T, a, b: T.gcd(a, b), [V([4, -6, 0, 0, 9]), V([6, 4, 0, -5, 3])],
           dtypes=(FIXED,)),
    OpCase("gcd_mixed", lambda T, a, b: a.gcd(b), [V([4], "uint8"), V([6], "int8")],
           dtypes=(FIXED,)),
    OpCase("lcm", lambda T, a, b: T.lcm(a, b), [V([4, -6, 0, 7]), V([6, 4, 3, -5])],
           dtypes=(FIXED,)),
    OpCase("frexp", lambda T, x: T.frexp(x), [(2, 3)]),
    OpCase("frexp_edges", lambda T, x: x.frexp(), [V([8.0, 0.3, -0.0, INF, NAN, 0.0, -5.0])],
           fd=False),
    OpCase("frexp_f16", lambda T, x: T.frexp(x), [V([1.0, 3.0, -0.1], "float16")],
           dtypes=(FIXED,)),
    OpCase("mvlgamma", lambda T, x: T.mvlgamma(x, 3), [(2, 3)], domain=DOMAINS["above1"]),
    OpCase("mvlgamma_p1", lambda T, x: x.mvlgamma(1), [(4,)], domain="positive"),
    OpCase("mvlgamma_int", lambda T, x: T.mvlgamma(x, 2), [V([3, 4])], dtypes=(FIXED,)),
]

CASES = second_order_where_smooth(ALIASES + UNARY + INT_UNARY + BINARY + REDUCE + EXTRA)
test_forward, test_grad_fd, test_grad_torch, test_gradgrad = make_tests(CASES,
                                                                      grad_fn_names=True)

ERRORS = [
    ErrorCase("frac_int", lambda T, x: T.frac(x), [V([1, 2])]),
    ErrorCase("frac_bool", lambda T, x: x.frac(), [V([True])]),
    ErrorCase("fix_bool", lambda T, x: T.fix(x), [V([True])]),
    ErrorCase("negative_bool", lambda T, x: T.negative(x), [V([True])]),
    ErrorCase("absolute_bool", lambda T, x: T.absolute(x), [V([True])]),
    ErrorCase("subtract_bool", lambda T, a: T.subtract(a, a), [V([True])]),
    ErrorCase("divide_bad_mode", lambda T, a: T.divide(a, a, rounding_mode="up"), [(2,)]),
    ErrorCase("polygamma_negative", lambda T, x: T.polygamma(-1, x), [(2,)]),
    ErrorCase("hypot_int", lambda T, a, b: T.hypot(a, b), [V([1, 2]), V([1, 2], "int32")]),
    ErrorCase("hypot_bool", lambda T, a: T.hypot(a, a), [V([True])]),
    ErrorCase("logaddexp_int", lambda T, a: T.logaddexp(a, a), [V([1, 2])]),
    ErrorCase("logaddexp2_bool", lambda T, a: T.logaddexp2(a, a), [V([True])]),
    ErrorCase("atan2_number", lambda T, a: T.atan2(a, 2.0), [(2,)]),
    ErrorCase("atan2_number_left", lambda T, a: T.atan2(1, a), [(2,)]),
    ErrorCase("hypot_number", lambda T, a: T.hypot(a, 1), [(2,)]),
    ErrorCase("fmax_number", lambda T, a: T.fmax(a, 0.5), [(2,)]),
    ErrorCase("fmin_bool_number", lambda T, a: T.fmin(a, True), [(2,)]),
    ErrorCase("copysign_number_left", lambda T, a: T.copysign(2, a), [(2,)]),
    ErrorCase("atan2_broadcast", lambda T, a, b: T.atan2(a, b), [(2, 3), (4,)]),
    ErrorCase("fmax_broadcast", lambda T, a, b: T.fmax(a, b), [(2, 3), (2,)]),
    ErrorCase("xlogy_broadcast", lambda T, a, b: T.xlogy(a, b), [(3,), (2,)]),
    ErrorCase("nanmean_int", lambda T, x: T.nanmean(x), [V([1, 2])]),
    ErrorCase("nanmean_int_dtype", lambda T, x: T.nanmean(x, dtype=T.int32), [(2,)]),
    ErrorCase("median_bool", lambda T, x: T.median(x), [V([True, False])]),
    ErrorCase("median_bool_dim", lambda T, x: T.median(x, 0), [V([True, False])]),
    ErrorCase("nanmedian_bool_dim", lambda T, x: T.nanmedian(x, 0), [V([True, False])]),
    ErrorCase("median_empty_dim", lambda T, x: T.median(x, 0), [(0, 3)]),
    ErrorCase("nanmedian_empty_dim", lambda T, x: T.nanmedian(x, 0), [(0, 3)]),
    ErrorCase("median_bad_dim", lambda T, x: T.median(x, 2), [(2, 3)]),
    ErrorCase("cummax_bad_dim", lambda T, x: T.cummax(x, 2), [(2, 3)]),
    ErrorCase("logcumsumexp_int", lambda T, x: T.logcumsumexp(x, 0), [V([1, 2])]),
    ErrorCase("logcumsumexp_bool", lambda T, x: T.logcumsumexp(x, 0), [V([True])]),
    ErrorCase("diff_0d", lambda T, x: T.diff(x), [()]),
    ErrorCase("diff_negative_n", lambda T, x: T.diff(x, -1), [(2, 3)]),
    ErrorCase("diff_prepend_ndim", lambda T, x, p: T.diff(x, prepend=p), [(2, 3), (2,)]),
    ErrorCase("diff_append_number", lambda T, x: T.diff(x, append=2.0), [(3,)]),
    ErrorCase("diff_bad_dim", lambda T, x: T.diff(x, dim=2), [(2, 3)]),
    ErrorCase("acos_inplace_int", lambda T, x: x.acos_(), [V([1, 2])]),
]
ERRORS += [
    ErrorCase("median_keepdim_no_dim", lambda T, x: x.median(keepdim=True), [(2,)]),
    ErrorCase("nanmedian_keepdim_no_dim", lambda T, x: T.nanmedian(x, keepdim=True), [(2,)]),
    ErrorCase("positive_bool", lambda T, x: T.positive(x), [V([True])]),
    ErrorCase("heaviside_dtypes", lambda T, x, v: T.heaviside(x, v),
              [(2,), V(0.5, "float64")]),
    ErrorCase("heaviside_number", lambda T, x: T.heaviside(x, 0.5), [(2,)]),
    ErrorCase("heaviside_backward", lambda T, x, v: T.heaviside(
        x.requires_grad_(), v).sum().backward(), [(2,), (2,)]),
    ErrorCase("nextafter_int", lambda T, a: T.nextafter(a, a), [V([1, 2])]),
    ErrorCase("nextafter_number", lambda T, a: T.nextafter(a, 1.0), [(2,)]),
    ErrorCase("ldexp_number", lambda T, a: T.ldexp(a, 2), [(2,)]),
    ErrorCase("ldexp_broadcast", lambda T, a, b: T.ldexp(a, b), [(2,), (3,)]),
    ErrorCase("gcd_float", lambda T, a: T.gcd(a, a), [(2,)]),
    ErrorCase("gcd_bool", lambda T, a: T.gcd(a, a), [V([True])]),
    ErrorCase("lcm_number", lambda T, a: T.lcm(a, 4), [V([1, 2])]),
    ErrorCase("frexp_int", lambda T, a: T.frexp(a), [V([1, 2])]),
    ErrorCase("mvlgamma_p0", lambda T, a: T.mvlgamma(a, 0), [(2,)]),
    ErrorCase("mvlgamma_bool", lambda T, a: T.mvlgamma(a, 1), [V([True])]),
]
test_errors = make_error_test(ERRORS)
