"""The math ops' table, part 3: edge values, special floats, in-place and functional
spellings, NumPy scalars, half precision, dtype errors, and PyTorch's return types.

See test_ops_math.py for what each row checks.
"""

from __future__ import annotations

import numpy as np

from optable import (FIXED, ErrorCase, OpCase, V, make_error_test, make_tests,
                     second_order_where_smooth)

INF = float("inf")
NAN = float("nan")
BOOLS_B = V([True, True, False])


def _softplus(T, x, **kw):  # torch has softplus only in nn.functional
    return T.nn.functional.softplus(x, **kw)

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

EDGE_ERRORS = [
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
test_forward, test_grad_fd, test_grad_torch, test_gradgrad = \
    make_tests(second_order_where_smooth(EDGES), grad_fn_names=True)
test_errors = make_error_test(EDGE_ERRORS)

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
    make_tests(second_order_where_smooth(MORE), grad_fn_names=True)
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
    make_tests(second_order_where_smooth(MORE2), grad_fn_names=True)
