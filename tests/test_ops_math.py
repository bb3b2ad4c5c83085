"""The math ops' table, part 1: arithmetic, elementwise, comparisons, promotion, errors.

Every row is checked against PyTorch 2.13 (values, dtype, shape, requires_grad, grad_fn name),
its gradient against float64 finite differences and against PyTorch's, and, where the point is
smooth, to second order; see tests/optable.py. Reductions and softmax are in
test_ops_math_reduce.py, edge values and other spellings in test_ops_math_edges.py.
"""

from __future__ import annotations

from optable import (FIXED, ErrorCase, OpCase, V, make_error_test, make_tests,
                     second_order_where_smooth)

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


MATH_CASES = second_order_where_smooth(ARITH + ELEMENTWISE + COMPARE + PROMOTION)
test_forward, test_grad_fd, test_grad_torch, test_gradgrad = make_tests(MATH_CASES,
                                                                      grad_fn_names=True)

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
