"""The math ops' table, part 2: reductions (sum ... cumsum, all/any, sort/topk) and softmax.

See test_ops_math.py for what each row checks.
"""

from __future__ import annotations

import numpy as np

from optable import FIXED, OpCase, V, make_tests, second_order_where_smooth

INF = float("inf")
NAN = float("nan")

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


# var of one element divides by zero: its first derivative is already nan (no second order).
CASES = second_order_where_smooth(REDUCTIONS + SOFTMAX, skip={"var_one_element"})
test_forward, test_grad_fd, test_grad_torch, test_gradgrad = make_tests(CASES,
                                                                      grad_fn_names=True)
