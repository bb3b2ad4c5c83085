"""The shortcuts an RL loop takes every step (session 22): gather of Q-values at the actions,
q.argmax() of a greedy action, from_numpy of an observation, and the soft target update's
.data / mul_ / add_ / number * tensor. Each is checked against PyTorch 2.13 live, on the
shortcut's own cases and on the cases that must leave it (errors, subclasses, views). Also
requires_grad_'s and the requires_grad setter's refusal of anything but a bool (MAE's sweep)."""

import numpy as np
import pytest
import torch

import ember
from torch_compare import same, same_error_case, same_with_warnings


def _q(lib, grad=False, shape=(6, 3)):
    q = lib.from_numpy(np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    return q.requires_grad_() if grad else q


ACTS = [[0], [2], [1], [1], [0], [2]]


@pytest.mark.parametrize("dim", [1, -1])
@pytest.mark.parametrize("grad", [False, True])
def test_gather_rows_value_and_grad(dim, grad):
    def run(lib):
        q = _q(lib, grad)
        idx = lib.tensor(ACTS)
        out = q.gather(dim, idx)
        res = [out.tolist(), out.requires_grad, out.is_contiguous(), str(out.dtype)]
        if grad:
            (out * lib.arange(6.0).reshape(6, 1)).sum().backward()
            res += [q.grad.tolist(), type(out.grad_fn).__name__]
        return res
    same(run)


@pytest.mark.parametrize("idx", [[[0], [3]], [[-1], [0]], [[0], [-7]]])
def test_gather_rows_out_of_range_errors(idx):
    # Negative entries and entries past the last column leave the shortcut for PyTorch's
    # error (a negative index is refused by gather, not wrapped).
    same_error_case(lambda lib: _q(lib).gather(1, lib.tensor(idx)))
    same_error_case(lambda lib: lib.gather(_q(lib), 1, lib.tensor(idx)))


def test_gather_rows_more_index_columns_and_fewer_rows():
    # The index may be wider than the input along dim and have fewer rows than it.
    same(lambda lib: _q(lib).gather(1, lib.tensor([[0, 1, 2, 2, 0], [2, 2, 2, 1, 0]])).tolist())
    same_error_case(lambda lib: _q(lib).gather(1, lib.zeros(7, 1, dtype=lib.int64)))


def test_gather_rows_int32_index_and_parameter_input():
    same(lambda lib: _q(lib).gather(1, lib.tensor(ACTS, dtype=lib.int32)).tolist())

    def param(lib):
        p = lib.nn.Parameter(_q(lib))
        out = p.gather(1, lib.tensor(ACTS))
        out.sum().backward()
        return out.tolist(), p.grad.tolist()
    same(param)


def test_gather_rows_no_grad_and_inference_index():
    def run(lib):
        q = _q(lib, True)
        with lib.no_grad():
            out = q.gather(1, lib.tensor(ACTS))
        return out.requires_grad, out.grad_fn is None, out.tolist()
    same(run)

    def inference_index(lib):
        with lib.inference_mode():
            idx = lib.tensor(ACTS)
        return _q(lib, True).gather(1, idx).sum().item()
    same_error_case(inference_index)


def test_argmax_greedy_action():
    for values in ([[0.1, 0.7]], [[3, 1, 3]], [[-np.inf, -1.0]]):
        same(lambda lib: (lib.tensor(values).argmax().item(), str(lib.tensor(values).argmax().dtype),
                          lib.tensor(values).argmax().shape))
    # NumPy's names and a kept dim leave the shortcut
    same(lambda lib: lib.tensor([[0.1, 0.7], [0.9, 0.2]]).argmax(keepdims=True).tolist())
    same(lambda lib: lib.tensor([[0.1, 0.7], [0.9, 0.2]]).argmax(keepdim=True).tolist())
    same(lambda lib: lib.argmax(lib.tensor([[0.1, 0.7], [0.9, 0.2]]), axis=0).tolist())
    same_error_case(lambda lib: lib.tensor([True, False]).argmax())
    same_error_case(lambda lib: lib.zeros(0).argmax())


def test_from_numpy_shortcut_keeps_the_checks():
    def shares(lib):
        a = np.zeros((1, 4), np.float32)
        t = lib.from_numpy(a)
        a[0, 1] = 5.0
        t.mul_(2.0)
        return t.tolist(), a.tolist(), t.stride(), t._version
    same(shares)
    same_error_case(lambda lib: lib.from_numpy(np.zeros((1, 4))[::-1]))  # a size-1 dim, < 0
    same_error_case(lambda lib: lib.from_numpy(np.zeros((3, 4))[::-1]))
    for lib in (torch, ember):  # (the lists of supported types differ: no complex in ember)
        with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.longdouble"):
            lib.from_numpy(np.zeros(3, np.longdouble))
    same(lambda lib: lib.from_numpy(np.zeros((4, 3), np.float32).T).stride())

    def readonly(lib):
        a = np.zeros(3, np.float32)
        a.flags.writeable = False
        return lib.from_numpy(a).tolist()
    torch.set_warn_always(True)
    ember.set_warn_always(True)
    try:
        same_with_warnings(readonly)
    finally:
        torch.set_warn_always(False)
        ember.set_warn_always(False)


def test_soft_target_update_versions_and_values():
    def run(lib):
        lib.manual_seed(0)
        q, t = lib.nn.Linear(3, 2), lib.nn.Linear(3, 2)
        before = t.weight._version
        with lib.no_grad():
            for tp, p in zip(t.parameters(), q.parameters()):
                d = tp.data
                r = d.mul_(0.99)
                r2 = r.add_(0.01 * p.data)
                assert r is d and r2 is d
            vs = [tp.data._version for tp in t.parameters()]
        d = t.weight.data
        d.add_(1.0)
        d.mul_(2)
        return (t.weight.tolist(), t.bias.tolist(), t.weight._version - before, vs, d._version,
                (0.5 * t.weight.data).dtype == t.weight.dtype)
    out = same(run)
    assert out[2] == 0  # .data's writes do not move the parameter's own version


def test_data_of_a_view_and_number_times_data():
    def run(lib):
        x = lib.arange(12.0).reshape(3, 4)
        v = x.t()
        d = v.data
        res = [d.stride(), d.is_contiguous(), d._version, (0.5 * d).tolist(), str((2 * x.data).dtype)]
        d.mul_(0.5)
        res.append(x.tolist())
        return res
    same(run)


@pytest.mark.parametrize("value", [1, 0, 1.0, None, "a", np.bool_(True)])
def test_requires_grad_takes_only_a_bool(value):
    same_error_case(lambda lib: lib.zeros(2).requires_grad_(value))

    def setter(lib):
        x = lib.zeros(2)
        x.requires_grad = value
    same_error_case(setter)
    same_error_case(lambda lib: lib.nn.Linear(2, 2).requires_grad_(value))
    same_error_case(lambda lib: lib.zeros(2).requires_grad_(requires_grad=value))
