"""Session 16, small gaps: each case runs on PyTorch 2.13 and on ember, compared live (the
same value, or the same exception type and first line): the reductions' argument-parser
errors (too many or wrong-typed arguments, a keepdim that is no bool, a list as input),
F.pad's negative (cropping) amounts in every mode, the Tensor.new_* factories' errors naming
the method, clip_grad_value_ with no gradients, and an optimizer loading another one's
state_dict."""

import numpy as np
import pytest
from torch_compare import run_both, same


def _O(L):
    return L.ones(2, 3)


# torch.sum(a, b)-style mistakes: the overload list where several overloads take that many
# arguments, the one overload's own error where only one does (sum(a, b, c): 'dim')
REDUCTION_CALLS = {
    "sum_a_b": lambda L: L.sum(_O(L), _O(L)),
    "sum_a_b_c": lambda L: L.sum(_O(L), _O(L), _O(L)),
    "mean_a_b": lambda L: L.mean(_O(L), _O(L)),
    "x_sum_b": lambda L: _O(L).sum(_O(L)),
    "x_sum_b_true": lambda L: _O(L).sum(_O(L), True),
    "x_sum_float_true": lambda L: _O(L).sum(1.5, True),
    "x_mean_float_true": lambda L: _O(L).mean(1.5, True),
    "sum_float_true": lambda L: L.sum(_O(L), 1.5, True),
    "sum_float_kw_keepdim": lambda L: L.sum(_O(L), 1.5, keepdim=True),
    "mean_float_true_dtype": lambda L: L.mean(_O(L), 1.5, True, dtype=L.float32),
    "mean_float_true": lambda L: L.mean(_O(L), 1.5, True),
    "prod_float_true": lambda L: L.prod(_O(L), 1.5, True),
    "mean_int_tensor": lambda L: L.mean(_O(L), 0, _O(L)),
    "max_a_b_c": lambda L: L.max(_O(L), _O(L), _O(L)),
    "max_a_b_true": lambda L: L.max(_O(L), _O(L), True),
    "x_max_b_true": lambda L: _O(L).max(_O(L), True),
    "min_a_b_c": lambda L: L.min(_O(L), _O(L), _O(L)),
    "nansum_a_b": lambda L: L.nansum(_O(L), _O(L)),
    "nansum_float": lambda L: L.nansum(_O(L), 1.5),
    "sum_tuple_with_tensor": lambda L: L.sum(_O(L), (0, _O(L))),
    "sum_list": lambda L: L.sum([_O(L), _O(L)]),
    "sum_ndarray": lambda L: L.sum(np.ones(3)),
    "sum_list_dim": lambda L: L.sum([_O(L), _O(L)], 0),
    "mean_list": lambda L: L.mean([_O(L), _O(L)]),
    "mean_list_dim": lambda L: L.mean([_O(L), _O(L)], 0),
    # still working forms
    "max_other_kw": lambda L: L.max(_O(L), other=_O(L) * 2),
    "max_dim_keepdim": lambda L: L.max(_O(L), dim=0, keepdim=True)[0],
    "sum_dims_keepdim": lambda L: _O(L).sum(dim=(0, 1), keepdim=True),
}

# keepdim must be a bool (PyTorch refuses 1, numpy.bool, None) and is checked before a dim's
# range, after a dim's type
KEEPDIM_CALLS = {
    "sum_0_1": lambda L: L.sum(_O(L), 0, 1),
    "x_sum_0_0": lambda L: _O(L).sum(0, 0),
    "sum_kw_np_bool": lambda L: L.sum(_O(L), 0, keepdim=np.bool_(True)),
    "x_sum_kw_none": lambda L: _O(L).sum(dim=0, keepdim=None),
    "sum_5_1": lambda L: L.sum(_O(L), 5, 1),
    "sum_float_1": lambda L: L.sum(_O(L), 1.5, 1),
    "sum_tuple_1": lambda L: L.sum(_O(L), (0, 1), 1),
    "mean_0_1": lambda L: L.mean(_O(L), 0, 1),
    "x_mean_kw_1": lambda L: _O(L).mean(0, keepdim=1),
    "mean_kw_1": lambda L: L.mean(_O(L), 0, keepdim=1),
    "mean_int_input_0_1": lambda L: L.mean(L.ones(3, dtype=L.int64), 0, 1),
    "prod_0_1": lambda L: L.prod(_O(L), 0, 1),
    "nansum_0_1": lambda L: L.nansum(_O(L), 0, 1),
    "nanmean_0_1": lambda L: L.nanmean(_O(L), 0, 1),
    "amax_0_1": lambda L: L.amax(_O(L), 0, 1),
    "amin_0_none": lambda L: L.amin(_O(L), 0, None),
    "max_0_1": lambda L: L.max(_O(L), 0, 1),
    "x_max_0_1": lambda L: _O(L).max(0, 1),
    "x_min_kw_1": lambda L: _O(L).min(0, keepdim=1),
    "min_kw_1": lambda L: L.min(_O(L), 0, keepdim=1),
    "x_amax_float": lambda L: _O(L).amax(0, 1.0),
    "sum_bool_ok": lambda L: L.sum(_O(L), 0, True, dtype=None),
}


@pytest.mark.parametrize("name", sorted(REDUCTION_CALLS))
def test_reduction_argument_errors(name):
    same(lambda L: repr(REDUCTION_CALLS[name](L)))


@pytest.mark.parametrize("name", sorted(KEEPDIM_CALLS))
def test_keepdim_must_be_bool(name):
    same(lambda L: repr(KEEPDIM_CALLS[name](L)))


def _pad(L, shape, pad, mode):
    x = L.arange(float(np.prod(shape))).reshape(shape)
    out = L.nn.functional.pad(x, pad, mode=mode)
    return str(out.dtype), tuple(out.shape), out.numpy().tolist()


PAD_1D = [(-5, 0), (-4, 0), (-3, 0), (-1, -1), (-2, -2), (-3, -1), (-1, 2), (2, -1), (-1, 5),
          (0, -4), (-2, -3), (3, 0), (4, 0), (-1, 3), (-3, 2), (-2, 3), (3, -3), (4, -3),
          (2, -3), (-3, 1), (3, -1)]
PAD_2D = [(-1, 0, -1, 0), (0, 0, -3, 0), (1, -1, -1, 1), (-4, 0, 0, 0), (0, 0, -2, 0),
          (0, 0, 2, -1), (-5, 1, 0, 0), (-5, 0, -3, 0), (-6, 0, 0, 0)]


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_negative_amounts(mode):
    """Cropping past an axis (narrow's error in constant mode), reflect's 2-d output size,
    circular's overlapping wrap copies (refused where the slices are dense)."""
    for pad in PAD_1D:
        same(lambda L: _pad(L, (1, 1, 4), pad, mode))
        same(lambda L: _pad(L, (1, 4), pad, mode))
    for pad in PAD_2D:
        same(lambda L: _pad(L, (1, 1, 2, 4), pad, mode))
    same(lambda L: _pad(L, (2, 3, 2, 4), (-5, 0, 0, 0), mode))
    same(lambda L: _pad(L, (1, 1, 2, 2, 4), (0, 0, 0, 0, -3, 0), mode))


def test_pad_constant_crop_1d_and_grad():
    same(lambda L: _pad(L, (4,), (-5, 1), "constant"))
    same(lambda L: _pad(L, (4,), (-2, -2), "constant"))

    def grad(L):
        x = L.arange(4.0).requires_grad_()
        L.nn.functional.pad(x, (-1, 2), value=7.0).pow(2).sum().backward()
        return x.grad.tolist()

    same(grad)


def _T(L):
    return L.ones(2)


NEW_CALLS = {
    "new_full_int_size": lambda L: _T(L).new_full(2, 5.5),
    "new_full_str_fill": lambda L: _T(L).new_full((2,), "a"),
    "new_full_none_fill": lambda L: _T(L).new_full((2,), None),
    "new_full_list_fill": lambda L: _T(L).new_full((2,), [1]),
    "new_full_tensor2_fill": lambda L: _T(L).new_full((2,), L.tensor([1.0, 2.0])),
    "new_full_float_size": lambda L: _T(L).new_full(2.5, 1),
    "new_full_float_entry": lambda L: _T(L).new_full((2.5,), 1),
    "new_full_float_entry2": lambda L: _T(L).new_full((2, 3.5), 1),
    "new_full_kw_size": lambda L: _T(L).new_full(size=2, fill_value=1),
    "new_full_kw_fill": lambda L: _T(L).new_full(size=(2,), fill_value="a"),
    "new_full_bad_kw": lambda L: _T(L).new_full((2,), 1, foo=1),
    "new_full_str_dtype": lambda L: _T(L).new_full((2,), 1, dtype="a"),
    "new_full_ok": lambda L: _T(L).new_full([2], L.tensor(3.0)),
    "new_full_ok_int": lambda L: _T(L).new_full((2,), np.int64(3), dtype=L.int64),
    "full_str_fill": lambda L: L.full((2,), "a"),
    "full_none_fill": lambda L: L.full((2,), None),
    "full_list_fill": lambda L: L.full((2,), [1]),
    "full_ndarray_fill": lambda L: L.full((2,), np.array(1.5)),
    "full_tensor2_fill": lambda L: L.full((2,), L.tensor([1.0, 2.0])),
    "new_zeros_str": lambda L: _T(L).new_zeros("a"),
    "new_zeros_float": lambda L: _T(L).new_zeros(2.5),
    "new_zeros_float_entry": lambda L: _T(L).new_zeros((2.5,)),
    "new_zeros_2_float": lambda L: _T(L).new_zeros(2, 2.5),
    "new_zeros_float_2": lambda L: _T(L).new_zeros(2.5, 2),
    "new_zeros_none": lambda L: _T(L).new_zeros(None),
    "new_zeros_bool": lambda L: _T(L).new_zeros(True),
    "new_zeros_tensor": lambda L: _T(L).new_zeros(L.tensor([2, 3])),
    "new_zeros_nothing": lambda L: _T(L).new_zeros(),
    "new_zeros_two_tuples": lambda L: _T(L).new_zeros((2,), (3,)),
    "new_zeros_kw_size": lambda L: _T(L).new_zeros(size=(2, 3)),
    "new_zeros_kw_int": lambda L: _T(L).new_zeros(size=2),
    "new_zeros_kw_str": lambda L: _T(L).new_zeros(size="a"),
    "new_zeros_kw_float_entry": lambda L: _T(L).new_zeros(size=(2, 2.5)),
    "new_zeros_size_twice": lambda L: _T(L).new_zeros(2, size=(2,)),
    "new_zeros_bad_kw": lambda L: _T(L).new_zeros(2, foo=1),
    "new_zeros_np_dtype": lambda L: _T(L).new_zeros(2, dtype=np.float32),
    "new_zeros_str_dtype": lambda L: _T(L).new_zeros(2, dtype="a"),
    "new_zeros_negative": lambda L: _T(L).new_zeros(-1),
    "new_ones_kw_size": lambda L: _T(L).new_ones(size=[2]),
    "new_ones_str": lambda L: _T(L).new_ones("a"),
    "new_ones_str_entry": lambda L: _T(L).new_ones((2, "a")),
    "new_empty_float": lambda L: _T(L).new_empty(2.5),
    "new_empty_kw_size": lambda L: _T(L).new_empty(size=(0,)),
    "new_empty_memory_format": lambda L: _T(L).new_empty(2, memory_format=L.contiguous_format),
    "new_empty_strided_int": lambda L: _T(L).new_empty_strided(2, (1,)),
    "new_empty_strided_int_stride": lambda L: _T(L).new_empty_strided((2,), 1),
    "empty_strided_float_entry": lambda L: L.empty_strided((2.5,), (1,)),
    "tensor_str_dtype": lambda L: L.tensor("1.5", dtype=L.float32),
    "tensor_bytes_dtype": lambda L: L.tensor(b"a", dtype=L.int64),
    "new_tensor_str": lambda L: _T(L).new_tensor("a"),
}


@pytest.mark.parametrize("name", sorted(NEW_CALLS))
def test_new_factories(name):
    def case(L):
        out = NEW_CALLS[name](L)
        if "empty" in name:  # uninitialised in PyTorch: dtype and shape only
            return str(out.dtype), tuple(out.shape)
        return repr(out)

    same(case)


def _params(L, grad):
    ps = [L.nn.Parameter(L.ones(2)), L.nn.Parameter(L.ones(3))]
    if grad:
        ps[0].grad = L.full((2,), 5.0)
    return ps


def test_clip_grad_value_without_grads():
    U = lambda L: L.nn.utils  # noqa: E731
    same(lambda L: U(L).clip_grad_value_(_params(L, False), 1.0))
    same(lambda L: U(L).clip_grad_value_([], 1.0))

    def clipped(L):
        ps = _params(L, True)
        return repr(U(L).clip_grad_value_(ps, 1.0)), [repr(p.grad) for p in ps]

    same(clipped)
    same(lambda L: repr(U(L).clip_grad_norm_(_params(L, False), 1.0)))
    same(lambda L: repr(U(L).clip_grad_norm_([], 1.0, norm_type="inf")))


def _stepped(L, make, lr=0.1):
    w = L.nn.Parameter(L.tensor([1.0, -2.0, 3.0]))
    opt = make(L, w, lr)
    (w ** 2).sum().backward()
    opt.step()
    return opt.state_dict()


def _adam(L, w, lr):
    return L.optim.Adam([w], lr=lr)


def _sgd_momentum(L, w, lr):
    return L.optim.SGD([w], lr=lr, momentum=0.9)


def test_sgd_loads_adam_state_dict():
    """PyTorch keeps the loaded groups (Adam's keys, plus the flags SGD fills in), so SGD's
    step then misses 'momentum'."""
    def load(L):
        w = L.nn.Parameter(L.tensor([1.0, -2.0, 3.0]))
        sgd = L.optim.SGD([w], lr=0.5)
        sgd.load_state_dict(_stepped(L, _adam))
        out = [sorted(sgd.param_groups[0]), repr(sgd).replace("ember", "torch"),
               sorted(sgd.state[w])]
        w.grad = L.ones(3)
        try:
            sgd.step()
        except KeyError as e:
            out.append(("KeyError", str(e)))
        return out

    same(load)


def test_adam_loads_sgd_momentum_state_dict():
    def load(L):
        w = L.nn.Parameter(L.tensor([1.0, -2.0, 3.0]))
        L.optim.Adam([w], lr=0.1).load_state_dict(_stepped(L, _sgd_momentum))

    same(load)


def test_same_optimizer_round_trip_still_loads():
    def load(L):
        w = L.nn.Parameter(L.tensor([1.0, -2.0, 3.0]))
        adam = L.optim.Adam([w], lr=0.3)
        adam.load_state_dict(_stepped(L, _adam))
        w.grad = L.ones(3)
        adam.step()
        return sorted(adam.param_groups[0]), w.detach().numpy().tolist()

    want, got = run_both(load)
    assert got[0] == want[0]
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6)


def test_tensor_ndarray_operands_that_agree():
    """The tensor-first forms whose result PyTorch and ember agree on (the rest: report)."""
    cases = [lambda L: L.tensor([1.5, 2.0]) + np.array([1.0, 2.0]),
             lambda L: L.tensor([1, 2]) + np.array([1, 2]),
             lambda L: np.float64(2.0) * L.tensor([1.5, 2.0]),
             lambda L: L.tensor([1, 2]) * np.float64(2.5),
             lambda L: np.int64(2) * L.tensor([1, 2])]
    for case in cases:
        same(lambda L: repr(case(L)))
