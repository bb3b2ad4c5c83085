"""Session 14, torch._foreach_* (continued): the errors of the mistakes learners make with
them (first lines as torch 2.13's) and autograd: gradients of the out-of-place forms, the
in-place forms on non-leaf tensors, the grad_fn names PyTorch shows, and the ops PyTorch
records without a derivative."""

import numpy as np
import pytest
import torch
from torch_compare import gradcheck, run_both, same_error_case

import ember


def _lists(L):
    return [L.ones(2), L.ones(3)], [L.ones(2), L.ones(3), L.ones(1)], L.ones(2)


_ERRORS = {
    "lengths": lambda L, a, b, t: L._foreach_add(a, b),
    "lengths_inplace": lambda L, a, b, t: L._foreach_lerp_(a, b, 0.5),
    "empty": lambda L, a, b, t: L._foreach_add([], []),
    "empty_scalar": lambda L, a, b, t: L._foreach_mul_([], 2),
    "empty_unary": lambda L, a, b, t: L._foreach_sqrt([]),
    "empty_norm": lambda L, a, b, t: L._foreach_norm([]),
    "empty_copy": lambda L, a, b, t: L._foreach_copy_([], []),
    "scalar_list_length": lambda L, a, b, t: L._foreach_mul(a, [1.0, 2, 3]),
    "empty_scalar_list": lambda L, a, b, t: L._foreach_add(a, []),
    "tensor_not_list": lambda L, a, b, t: L._foreach_add(t, 1),
    "generators": lambda L, a, b, t: L._foreach_lerp_((x for x in a), iter(a), 0.1),
    "string": lambda L, a, b, t: L._foreach_add(a, "x"),
    "none": lambda L, a, b, t: L._foreach_add(a, None),
    "none_grad_in_list": lambda L, a, b, t: L._foreach_add_(a, [t, None]),
    "none_in_self": lambda L, a, b, t: L._foreach_norm([t, None]),
    "mixed_list": lambda L, a, b, t: L._foreach_add(a, [1.0, t]),
    "alpha_with_number": lambda L, a, b, t: L._foreach_add(a, 1, alpha=2),
    "alpha_with_numbers": lambda L, a, b, t: L._foreach_sub(a, [1, 2], alpha=2),
    "alpha_sub_tensor": lambda L, a, b, t: L._foreach_sub(a, t, alpha=2),
    "alpha_on_div": lambda L, a, b, t: L._foreach_div(a, L.tensor(2.0), alpha=2),
    "bool_alpha": lambda L, a, b, t: L._foreach_add(a, a, alpha=True),
    "extra_positional": lambda L, a, b, t: L._foreach_add(a, a, 2),
    "bad_keyword": lambda L, a, b, t: L._foreach_add(a, a, beta=2),
    "unary_extra": lambda L, a, b, t: L._foreach_sqrt(a, 1),
    "unary_tensor": lambda L, a, b, t: L._foreach_sqrt_(t),
    "one_dim_other": lambda L, a, b, t: L._foreach_mul(a, t),
    "one_dim_sub": lambda L, a, b, t: L._foreach_sub(a, t),
    "shape": lambda L, a, b, t: L._foreach_add([L.ones(2)], [L.ones(3)]),
    "broadcast_inplace": lambda L, a, b, t: L._foreach_add_([L.ones(3)], [L.ones(2, 3)]),
    "int_inplace_float": lambda L, a, b, t: L._foreach_add_([L.ones(2, dtype=L.long)], 1.5),
    "int_sqrt_inplace": lambda L, a, b, t: L._foreach_sqrt_([L.arange(3)]),
    "int_maximum_inplace": lambda L, a, b, t: L._foreach_maximum_([L.arange(3)], 0.5),
    "bool_sub": lambda L, a, b, t: L._foreach_sub([L.ones(2, dtype=L.bool)], 1),
    "bool_neg": lambda L, a, b, t: L._foreach_neg([L.ones(2, dtype=L.bool)]),
    "int_frac": lambda L, a, b, t: L._foreach_frac([L.arange(3)]),
    "int_pow_negative": lambda L, a, b, t: L._foreach_pow([L.arange(3)], -1),
    "pow_numbers_base": lambda L, a, b, t: L._foreach_pow([1.0, 2.0], a),
    "lerp_int": lambda L, a, b, t: L._foreach_lerp([L.arange(2)], [L.arange(2)], 0.5),
    "lerp_dtypes": lambda L, a, b, t: L._foreach_lerp_([t], [t.double()], 0.5),
    "lerp_shapes": lambda L, a, b, t: L._foreach_lerp_([t], [L.ones(3)], 0.5),
    "lerp_weight_none": lambda L, a, b, t: L._foreach_lerp_(a, a, None),
    "lerp_weight_vector": lambda L, a, b, t: L._foreach_lerp(a, a, t),
    "addcmul_tensor1": lambda L, a, b, t: L._foreach_addcmul(a, t, a),
    "addcmul_self": lambda L, a, b, t: L._foreach_addcmul(t, a, a),
    "addcdiv_value": lambda L, a, b, t: L._foreach_addcdiv_(a, a, t, 2),
    "addcdiv_scalars_length": lambda L, a, b, t: L._foreach_addcdiv(a, a, a, L.ones(3)),
    "addcdiv_scalars_2d": lambda L, a, b, t: L._foreach_addcdiv(a, a, a, L.ones(2, 1)),
    "addcdiv_int": lambda L, a, b, t: L._foreach_addcdiv([L.arange(2)], [L.arange(2)],
                                                           [L.arange(2)]),
    "norm_int": lambda L, a, b, t: L._foreach_norm([L.arange(2)]),
    "norm_ord_str": lambda L, a, b, t: L._foreach_norm(a, "fro"),
    "norm_dtype_str": lambda L, a, b, t: L._foreach_norm(a, 2, "float"),
    "norm_dtype_narrow": lambda L, a, b, t: L._foreach_norm(a, dtype=L.float16),
    "norm_dtype_int": lambda L, a, b, t: L._foreach_norm(a, dtype=L.long),
    "norm_inf_empty": lambda L, a, b, t: L._foreach_norm([L.ones(0)], float("inf")),
    "powsum_int": lambda L, a, b, t: L._foreach_powsum([L.arange(3)]),
    "max_empty": lambda L, a, b, t: L._foreach_max([L.ones(0)]),
    "mm_vector": lambda L, a, b, t: L._foreach_mm([t], [t]),
    "mm_shapes": lambda L, a, b, t: L._foreach_mm([L.ones(2, 3)], [L.ones(2, 4)]),
    "mm_dtypes": lambda L, a, b, t: L._foreach_mm([L.ones(2, 3)], [L.ones(3, 2).double()]),
    "copy_src_tensor": lambda L, a, b, t: L._foreach_copy_(a, t),
    "copy_src_int": lambda L, a, b, t: L._foreach_copy_(a, [t, 1]),
    "copy_lengths": lambda L, a, b, t: L._foreach_copy_([t], [t, t]),
    "zero_tensor": lambda L, a, b, t: L._foreach_zero_(t),
    "leaf_requires_grad": lambda L, a, b, t: L._foreach_zero_([L.ones(2, requires_grad=True)]),
}


@pytest.mark.parametrize("name", list(_ERRORS))
def test_mistakes_raise_pytorch_errors(name):
    same_error_case(lambda L: _ERRORS[name](L, *_lists(L)))


def test_leaf_error_comes_before_any_write():
    def run(L):
        a, b = L.ones(2) * 1, L.ones(2, requires_grad=True)
        try:
            L._foreach_add_([a, b], 1)
        except RuntimeError as e:
            return str(e).splitlines()[0], a.tolist(), a._version
    want, got = run_both(run)
    assert got == want


def _seeded(L, seed):
    rng = np.random.default_rng(seed)
    return [L.tensor(rng.standard_normal(s), requires_grad=True) for s in [(3, 2), (4,), (2, 2)]]


_GRAD_CASES = {
    "add": lambda L, x, y: L._foreach_add(x, y, alpha=0.3),
    "add_number": lambda L, x, y: L._foreach_add(x, 2.0),
    "sub": lambda L, x, y: L._foreach_sub(x, y, alpha=2),
    "mul": lambda L, x, y: L._foreach_mul(x, y),
    "mul_numbers": lambda L, x, y: L._foreach_mul(x, [1.0, 2.0, 3.0]),
    "div": lambda L, x, y: L._foreach_div(x, y),
    "lerp": lambda L, x, y: L._foreach_lerp(x, y, 0.3),
    "addcmul": lambda L, x, y: L._foreach_addcmul(x, y, x, 0.5),
    "pow": lambda L, x, y: L._foreach_pow(x, 3),
    "maximum": lambda L, x, y: L._foreach_maximum(x, y),
    "clamp_min": lambda L, x, y: L._foreach_clamp_min(x, 0.1),
    "max": lambda L, x, y: L._foreach_max(x),
    "exp": lambda L, x, y: L._foreach_exp(x),
    "clone": lambda L, x, y: L._foreach_clone(x),
    "inplace_chain": lambda L, x, y: _inplace_chain(L, [a * 1 for a in x], x, y),
    "zero_": lambda L, x, y: (lambda z: [a + b for a, b in zip(L._foreach_zero_(z), x)])(
        [a * 1 for a in x]),
}


def _inplace_chain(L, z, x, y):
    L._foreach_mul_(z, 3.0)
    L._foreach_add_(z, y, alpha=0.5)
    L._foreach_lerp_(z, y, 0.7)
    L._foreach_addcmul_(z, x, y, 2)
    L._foreach_maximum_(z, [a * 0.5 for a in y])
    return z


@pytest.mark.parametrize("name", list(_GRAD_CASES))
def test_gradients_as_pytorch(name):
    def run(L):
        xs, ys = _seeded(L, 0), _seeded(L, 1)
        out = _GRAD_CASES[name](L, xs, ys)
        sum(((o * (i + 1)) ** 2).sum() for i, o in enumerate(out)).backward()
        return [o.detach().numpy().tolist() for o in out] + [
            None if p.grad is None else p.grad.numpy().tolist() for p in xs + ys]
    want, got = run_both(run)
    assert got == want  # float64, bit for bit


def test_gradcheck_norm_lerp_addcdiv_pow():
    def fn(L, a, b, w):
        xs, ys = [a, b], [b * 2, a - 1]
        return (sum(L._foreach_norm(xs)) + sum(t.sum() for t in L._foreach_lerp(xs, ys, [w, w]))
                + sum(t.sum() for t in L._foreach_addcdiv(xs, ys, [w + 3, w + 3], [0.5, 2]))
                + sum(t.sum() for t in L._foreach_pow(2.0, xs)))
    rng = np.random.default_rng(3)
    gradcheck(fn, rng.standard_normal(4), rng.standard_normal(4), rng.random(4))


def test_grad_fn_names_as_pytorch():
    def run(L):
        x = [L.ones(2, requires_grad=True) + 0.5]
        y = [L.ones(2, requires_grad=True) + 0.25]
        out = []
        for op in "add sub mul div clamp_min clamp_max maximum minimum pow".split():
            f, f_ = getattr(L, f"_foreach_{op}"), getattr(L, f"_foreach_{op}_")
            for o in (y, 0.5, [0.5]) + ((L.tensor(0.5),) if op in ("add", "mul") else ()):
                out.append(f(x, o)[0].grad_fn.name())
                z = [a * 1 for a in x]
                f_(z, o)
                out.append(z[0].grad_fn.name())
        out += [L._foreach_add(x, L.tensor(0.5), alpha=2)[0].grad_fn.name(),
                L._foreach_pow(2.0, x)[0].grad_fn.name()]
        for w in (0.3, [0.3], [y[0] * 0 + 0.3]):
            out.append(L._foreach_lerp(x, y, w)[0].grad_fn.name())
        for op in ("addcmul", "addcdiv"):
            out += [getattr(L, f"_foreach_{op}")(x, y, y, v)[0].grad_fn.name()
                    for v in (0.3, [0.3])]
        for op in "abs log1p expm1 sigmoid sqrt clone norm max powsum".split():
            out.append(getattr(L, f"_foreach_{op}")(x)[0].grad_fn.name())
        out.append(L._foreach_mm([L.ones(2, 2, requires_grad=True)], [L.ones(2, 2)])[0]
                   .grad_fn.name())
        return out + [repr(L._foreach_mul(x, 2.0)), repr(L._foreach_norm(x))]
    want, got = run_both(run)
    assert got == want


def test_ops_recorded_without_derivative():
    def run(L):
        a = L.ones(2, requires_grad=True)
        out = []
        for make in (lambda: L._foreach_copy_([a * 1], [L.zeros(2)])[0],
                     lambda: L._foreach_copy_([L.ones(2)], [a * 2])[0],
                     lambda: L._foreach_maximum_([a * 1], 0.5)[0],
                     lambda: L._foreach_minimum_([a * 1], [0.5])[0],
                     lambda: L._foreach_powsum([a])[0]):
            z = make()
            out += [repr(z), z.requires_grad]
            try:
                z.sum().backward()
            except RuntimeError as e:
                out.append(str(e))
        with L.no_grad():
            z = a * 1
            L._foreach_copy_([z], [a])
        return out + [z.grad_fn]
    want, got = run_both(run)
    assert got == want
