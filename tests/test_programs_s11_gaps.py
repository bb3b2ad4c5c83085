"""Session 11, known gaps closed: std/var with both unbiased and correction, linalg's bool and
driver arguments, dist.sample((-1,)), an LSTMCell c of another dtype, uninitialized lazy
parameters in ops, method-form argument positions, custom Function outputs that view their
input, and writes to a tensor from a read-only NumPy array; compared live with torch 2.13."""

import re
import warnings

import numpy as np
import pytest
from torch_compare import run_both, same_error_case, same as _same


_STATS = [
    lambda L, t: t.std(correction=1, unbiased=True),
    lambda L, t: t.var(unbiased=False, correction=0),
    lambda L, t: t.std(1, unbiased=True, correction=0),
    lambda L, t: L.var(t, 0, unbiased=True, correction=1),
    lambda L, t: L.std_mean(t, unbiased=True, correction=1),
    lambda L, t: L.var_mean(t, unbiased=False, correction=1),
    lambda L, t: t.std(dim=1, keepdim=True, unbiased=True, correction=0),
    lambda L, t: L.std(input=t, unbiased=True, correction=0),
    lambda L, t: t.std(True, correction=1),
    lambda L, t: t.var((0, 1), True, True, correction=1),
]


@pytest.mark.parametrize("case", _STATS)
def test_unbiased_with_correction_is_refused(case):
    same_error_case(lambda L: case(L, L.arange(6.0).reshape(2, 3)))


_LINALG_FLAGS = [
    lambda L, a: L.svd(a, some="yes"),
    lambda L, a: L.svd(a, compute_uv=1),
    lambda L, a: L.linalg.svd(a, full_matrices="yes"),
    lambda L, a: L.linalg.svd(a, full_matrices=None),
    lambda L, a: L.linalg.svd(a, driver=1),
    lambda L, a: L.linalg.svdvals(a, driver=1),
    lambda L, a: L.linalg.cholesky(a, upper="yes"),
    lambda L, a: L.linalg.cholesky_ex(a, check_errors="yes"),
    lambda L, a: L.linalg.inv_ex(a, check_errors=1),
    lambda L, a: L.linalg.solve(a, a, left="yes"),
    lambda L, a: L.linalg.vector_norm(a, keepdim="yes"),
    lambda L, a: L.linalg.norm(a, keepdim="yes"),
    lambda L, a: L.linalg.matrix_norm(a, keepdim=1),
    lambda L, a: L.linalg.pinv(a, hermitian="yes"),
    lambda L, a: L.linalg.matrix_rank(a, hermitian="yes"),
    lambda L, a: L.linalg.lstsq(a, a, driver=3),
    lambda L, a: L.linalg.lu(a, pivot="yes"),
    lambda L, a: L.linalg.lu_factor(a, pivot=1),
    lambda L, a: L.linalg.lu_factor_ex(a, check_errors="yes"),
    lambda L, a: L.cholesky(a, upper="yes"),
    lambda L, a: L.cholesky_solve(a, a, upper="yes"),
    lambda L, a: L.cholesky_inverse(a, upper="yes"),
    lambda L, a: L.triangular_solve(a, a, upper="yes"),
    lambda L, a: L.qr(a, some="yes"),
]


@pytest.mark.parametrize("case", _LINALG_FLAGS)
def test_linalg_flags_must_be_bool(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_error_case(lambda L: case(L, L.eye(3) * 2))


def _dists(L):
    D = L.distributions
    return [D.Normal(0.0, 1.0), D.Normal(L.zeros(2), 1.0), D.Uniform(0.0, 1.0),
            D.Bernoulli(0.5), D.Poisson(L.tensor(1.0)), D.Exponential(1.0), D.Laplace(0.0, 1.0),
            D.MultivariateNormal(L.zeros(2), L.eye(2)),
            D.TransformedDistribution(D.Normal(0.0, 1.0), [D.transforms.ExpTransform()])]


_CASES = [(k, how) for k in range(9) for how in ("sample", "rsample")
          if how == "sample" or k not in (3, 4)]  # (Bernoulli, Poisson: no rsample)


@pytest.mark.parametrize("k,how", _CASES)
@pytest.mark.parametrize("shape", [(-1,), (2, -1)])
def test_negative_sample_shape_is_refused(k, how, shape):
    _same(lambda L: getattr(_dists(L)[k], how)(shape))


def test_scalar_expand_to_negative_size():
    same_error_case(lambda L: L.tensor(0.5).expand(-1))
    same_error_case(lambda L: L.tensor(0.5).expand(2, -1))


def test_lstm_cell_with_a_float64_c():
    def run(L):
        L.manual_seed(0)
        m = L.nn.LSTMCell(4, 5)
        x = L.from_numpy(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4))
        x.requires_grad_()
        h = L.from_numpy(np.linspace(0, 1, 15, dtype=np.float32).reshape(3, 5))
        c = L.from_numpy(np.linspace(-1, 0, 15).reshape(3, 5))
        h2, c2 = m(x, (h, c))
        (h2.sum() + c2.sum()).backward()
        one = m(x[0], (h[0], c[0]))[0]
        return (str(h2.dtype), str(c2.dtype), np.round(h2.detach().numpy(), 5).tolist(),
                np.round(c2.detach().numpy(), 5).tolist(),
                np.round(x.grad.numpy(), 5).tolist(), tuple(one.shape), str(one.dtype))
    _same(run)


def _strip_address(v):
    return re.sub(r" at 0x[0-9a-f]+", "", v) if isinstance(v, str) else v


@pytest.mark.parametrize("op", [
    lambda L, p: L.sum(p), lambda L, p: p + 1, lambda L, p: 1 + p, lambda L, p: p * 2,
    lambda L, p: p @ p, lambda L, p: -p, lambda L, p: L.relu(p), lambda L, p: p - 1,
])
def test_uninitialized_parameter_refused_by_ops(op):
    want, got = run_both(lambda L: op(L, L.nn.LazyLinear(3).weight))
    assert [_strip_address(v) for v in got] == [_strip_address(v) for v in want]


@pytest.mark.parametrize("call", [
    lambda L, q, i: q.take_along_dim([[0]], 1),
    lambda L, q, i: q.scatter_reduce(1, [[0]], q, "sum"),
    lambda L, q, i: q.scatter_reduce(1, i, [[0.0]], "sum"),
    lambda L, q, i: q.scatter_reduce(1, i, q, 3),
    lambda L, q, i: L.scatter_reduce(q, 1, i, [[0.0]], "sum"),
    lambda L, q, i: L.scatter_reduce(q, 1, i, q, 3),
    lambda L, q, i: q.clone().scatter_reduce_(1, [[0]], q, "sum"),
])
def test_method_forms_name_their_own_positions(call):
    same_error_case(lambda L: call(L, L.zeros(4, 2), L.zeros(4, 1, dtype=L.int64)))


def test_custom_function_output_viewing_its_input():
    def run(L):
        out = []
        for fwd in (lambda ctx, x: x.view(-1), lambda ctx, x: x[0], lambda ctx, x: x):
            F = type("F", (L.autograd.Function,), {
                "forward": staticmethod(fwd), "backward": staticmethod(lambda ctx, g: g)})
            a = L.ones(2, 3, requires_grad=True)
            y = F.apply(a)
            out.append((y._base is a, y._is_view(), y is a, a[0]._is_view(), a._is_view()))
        return out
    _same(run)


def test_writes_to_a_tensor_from_a_read_only_array():
    def run(L):
        res = []
        for write in (lambda t: t.add_(1), lambda t: t.__setitem__(0, 5), lambda t: t.zero_(),
                      lambda t: t.fill_(2), lambda t: t.copy_(L.ones(2, 3, dtype=L.float64)),
                      lambda t: L.mul(t, 3, out=t), lambda t: t.clamp_(1, 4)):
            a = np.arange(6.0).reshape(2, 3)
            a.setflags(write=False)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t = L.from_numpy(a)
            write(t)
            res.append(t.tolist())
        e = L.from_numpy(np.broadcast_to(np.arange(3.0), (2, 3)))
        try:
            e.add_(1)
        except RuntimeError as err:
            res.append(str(err).splitlines()[0])
        return res
    _same(run)
