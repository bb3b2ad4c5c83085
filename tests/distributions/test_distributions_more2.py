"""Poisson, Binomial, Geometric, NegativeBinomial, Multinomial, Cauchy, HalfNormal, HalfCauchy,
StudentT, Chi2, Gumbel, Weibull, Pareto, RelaxedBernoulli, RelaxedOneHotCategorical against
PyTorch 2.13: values and gradients (vs torch and float64 finite differences), shapes, KL,
sampling statistics, pathwise gradients, validation errors, expand and reprs."""

import numpy as np
import pytest
import torch

import ember


@pytest.fixture(autouse=True)
def _keep_global_rng():
    """These tests reseed ember's generator; later files see the stream they would without."""
    state = ember.get_rng_state()
    yield
    ember.set_rng_state(state)


D, TD = ember.distributions, torch.distributions


def _pair(data, rg=True):
    e = ember.tensor(data, dtype=ember.float64, requires_grad=rg)
    t = torch.tensor(data, dtype=torch.float64, requires_grad=rg)
    return e, t


def _consts(lib):
    if lib is D:
        return lambda d: ember.tensor(d, dtype=ember.float64)
    return lambda d: torch.tensor(d, dtype=torch.float64)


def _np(x):
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


def _close(a, b, tol=1e-9):
    np.testing.assert_allclose(_np(a), _np(b), rtol=tol, atol=tol)


MOMENTS = ("mean", "mode", "variance", "stddev")
# name -> (build(L, T, *params), parameters (broadcasting shapes), value, outputs, moments)
# outputs: which of log_prob / entropy / cdf / icdf to compare ("cdf~": no gradient in torch)
FAMILIES = {
    "Poisson": (lambda L, T, r: L.Poisson(r), [[[0.5, 3.0, 12.0], [1.0, 0.1, 7.0]]],
                [[0.0, 2.0, 15.0]], ("log_prob",), MOMENTS),
    "Binomial": (lambda L, T, p: L.Binomial(T(6.0), probs=p),
                 [[[0.2, 0.5, 0.9], [0.05, 0.7, 0.999]]], [[0.0, 3.0, 6.0]],
                 ("log_prob", "entropy"), MOMENTS),
    "BinomialLogits": (lambda L, T, lg: L.Binomial(T([[4.0], [9.0]]), logits=lg),
                       [[-1.0, 0.0, 2.5]], [[0.0, 3.0, 4.0], [9.0, 1.0, 2.0]], ("log_prob",),
                       MOMENTS),
    "Geometric": (lambda L, T, p: L.Geometric(probs=p), [[[0.2, 0.5, 0.95], [0.05, 0.7, 0.99]]],
                  [[0.0, 3.0, 0.0], [7.0, 1.0, 2.0]], ("log_prob", "entropy"), MOMENTS),
    "GeometricLogits": (lambda L, T, lg: L.Geometric(logits=lg), [[-2.0, 0.0, 3.0]],
                        [[0.0, 3.0, 10.0]], ("log_prob", "entropy"), MOMENTS),
    "NegativeBinomial": (lambda L, T, r, p: L.NegativeBinomial(r, probs=p),
                         [[[2.5], [0.7]], [0.2, 0.5, 0.9]], [[0.0, 3.0, 12.0]], ("log_prob",),
                         MOMENTS),
    "NegativeBinomialLogits": (lambda L, T, r, lg: L.NegativeBinomial(r, logits=lg),
                               [[3.0, 0.4, 7.0], [[-1.0], [1.5]]], [[1.0, 0.0, 5.0]],
                               ("log_prob",), MOMENTS),
    "Multinomial": (lambda L, T, p: L.Multinomial(5, probs=p),
                    [[[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]], [[1.0, 1.0, 3.0], [0.0, 0.0, 5.0]],
                    ("log_prob", "entropy"), ("mean", "variance", "stddev")),
    "MultinomialLogits": (lambda L, T, lg: L.Multinomial(3, logits=lg), [[0.0, -1.0, 2.0, 0.5]],
                          [[1.0, 0.0, 2.0, 0.0]], ("log_prob", "entropy"),
                          ("mean", "variance")),
    "Cauchy": (lambda L, T, a, b: L.Cauchy(a, b), [[0.0, 1.0, -2.0], [[1.0], [0.5]]],
               [[0.3, -1.0, 4.0]], ("log_prob", "entropy", "cdf", "icdf"), MOMENTS),
    "HalfNormal": (lambda L, T, s: L.HalfNormal(s), [[[1.0, 0.5, 3.0], [0.2, 2.0, 1.0]]],
                   [[0.3, 1.2, 0.0]], ("log_prob", "entropy", "cdf", "icdf"), MOMENTS),
    "HalfCauchy": (lambda L, T, s: L.HalfCauchy(s), [[[1.0, 0.5, 3.0], [0.2, 2.0, 1.0]]],
                   [[0.3, 1.2, 0.0]], ("log_prob", "entropy", "cdf", "icdf"), MOMENTS),
    "StudentT": (lambda L, T, df, a, b: L.StudentT(df, a, b),
                 [[0.7, 1.5, 3.0, 9.0], [[0.0], [1.0]], [2.0, 0.5, 1.0, 3.0]],
                 [[0.3, -1.0, 4.0, 2.0]], ("log_prob", "entropy"), MOMENTS),
    "Chi2": (lambda L, T, df: L.Chi2(df), [[[0.7, 3.0, 9.0], [2.0, 1.0, 20.0]]],
             [[0.5, 2.0, 7.0], [3.0, 0.1, 25.0]], ("log_prob", "entropy", "cdf~"), MOMENTS),
    "Gumbel": (lambda L, T, a, b: L.Gumbel(a, b), [[0.0, 1.0, -2.0], [[1.0], [0.5]]],
               [[0.3, -1.0, 4.0]], ("log_prob", "entropy", "cdf", "icdf"), MOMENTS),
    "Weibull": (lambda L, T, s, c: L.Weibull(s, c), [[[1.0], [0.5]], [0.7, 3.0, 9.0]],
                [[0.3, 1.2, 0.9]], ("log_prob", "entropy", "cdf", "icdf"), MOMENTS),
    "Pareto": (lambda L, T, s, a: L.Pareto(s, a), [[[0.5], [1.0]], [0.7, 2.5, 9.0]],
               [[1.2, 2.0, 3.5]], ("log_prob", "entropy", "cdf", "icdf"), MOMENTS),
    "RelaxedBernoulli": (lambda L, T, t, p: L.RelaxedBernoulli(t, probs=p),
                         [0.7, [[0.2, 0.5, 0.9], [0.05, 0.6, 0.3]]], [[0.1, 0.5, 0.97]],
                         ("log_prob",), ()),
    "RelaxedOneHotCategorical": (
        lambda L, T, t, lg: L.RelaxedOneHotCategorical(t, logits=lg),
        [[[0.5], [2.0]], [[0.0, 1.0, -2.0], [3.0, 0.0, 0.0]]],
        [[0.2, 0.3, 0.5], [0.01, 0.9, 0.09]], ("log_prob",), ()),
}


def _build(name, pairs, lib):
    build = FAMILIES[name][0]
    return build(lib, _consts(lib), *[p[0] if lib is D else p[1] for p in pairs])


def _outputs(d, value, q, which):
    out = []
    for w in which:
        if w == "log_prob":
            out.append(d.log_prob(value))
        elif w == "entropy":
            out.append(d.entropy())
        elif w.startswith("cdf"):
            out.append(d.cdf(value))
        else:
            out.append(d.icdf(q))
    return out


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_values_and_gradients_match_torch(name):
    _, params, values, which, moments = FAMILIES[name]
    pairs = [_pair(p) for p in params]
    ed, td = _build(name, pairs, D), _build(name, pairs, TD)
    assert tuple(ed.batch_shape) == tuple(td.batch_shape)
    assert tuple(ed.event_shape) == tuple(td.event_shape)
    assert ed.has_rsample == td.has_rsample
    assert getattr(ed, "has_enumerate_support", False) == td.has_enumerate_support
    assert repr(ed) == repr(td)
    assert repr(ed.support) == repr(td.support)
    assert ed.support.is_discrete == td.support.is_discrete
    assert ed.support.event_dim == td.support.event_dim
    for attr in moments:
        _close(getattr(ed, attr), getattr(td, attr))
    ev, tv = _pair(values, rg=False)
    eq, tq = _pair([[0.1, 0.5, 0.93]], rg=False)
    e_out, t_out = _outputs(ed, ev, eq, which), _outputs(td, tv, tq, which)
    if name.startswith("Multinomial"):
        # torch takes lgamma(n + 1) of an int64 tensor, so in float32; ember in float64
        n = float(td.total_count) + 1
        lg32 = torch.lgamma(torch.tensor(n, dtype=torch.float32)).double()
        t_out[1] = t_out[1] + lg32 - torch.lgamma(torch.tensor(n, dtype=torch.float64))
    for a, b in zip(e_out, t_out):
        assert tuple(a.shape) == tuple(b.shape)
        _close(a, b)
    keep = [i for i, w in enumerate(which) if not w.endswith("~")]
    w = [np.linspace(0.5, 1.5, t_out[i].numel()).reshape(tuple(t_out[i].shape)) for i in keep]
    sum((ember.tensor(wi) * e_out[i]).sum() for wi, i in zip(w, keep)).backward()
    sum((torch.tensor(wi) * t_out[i]).sum() for wi, i in zip(w, keep)).backward()
    for e, t in pairs:
        _close(e.grad, t.grad)


def _finite_difference(fn, arrays, i, h=1e-6):
    out = np.zeros_like(arrays[i])
    for k in np.ndindex(out.shape):
        up, dn = [a.copy() for a in arrays], [a.copy() for a in arrays]
        up[i][k] += h
        dn[i][k] -= h
        out[k] = (fn(*up) - fn(*dn)) / (2 * h)
    return out


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_gradients_match_float64_finite_differences(name):
    _, params, values, which, _ = FAMILIES[name]
    arrays = [np.array(p, dtype=np.float64) for p in params]
    value = ember.tensor(values, dtype=ember.float64)
    q = ember.tensor([[0.1, 0.5, 0.93]], dtype=ember.float64)

    def objective(*arrs, grad=False):
        ps = [ember.tensor(a, requires_grad=grad) for a in arrs]
        d = FAMILIES[name][0](D, _consts(D), *ps)
        outs = _outputs(d, value, q, [w.rstrip("~") for w in which])
        total = sum((o * (1.0 + 0.3 * k)).sum() for k, o in enumerate(outs))
        if grad:
            total.backward()
            return [p.grad.numpy() for p in ps]
        return float(total.item())

    grads = objective(*arrays, grad=True)
    for i in range(len(arrays)):
        np.testing.assert_allclose(grads[i], _finite_difference(objective, arrays, i),
                                   rtol=1e-6, atol=1e-6)


def test_missing_entropy_and_cdf_raise_as_in_torch():
    for lib in (D, TD):
        T = _consts(lib)
        with pytest.raises(NotImplementedError):
            lib.Poisson(T([1.0, 2.0])).entropy()
        with pytest.raises(NotImplementedError):
            lib.NegativeBinomial(T(3.0), probs=T(0.3)).entropy()
        with pytest.raises(NotImplementedError) as err:
            lib.Binomial(T([3.0, 4.0]), probs=T([0.2, 0.3])).entropy()
        assert str(err.value) == "Inhomogeneous total count not supported by `entropy`."
        with pytest.raises(NotImplementedError) as err:
            lib.Multinomial(T(3.0), probs=T([0.2, 0.8]))
        assert str(err.value) == "inhomogeneous total_count is not supported"


def test_enumerate_support_matches_torch():
    for expand in (True, False):
        e = D.Binomial(ember.tensor([[3.0], [3.0]]), probs=ember.tensor([0.2, 0.5, 0.7]))
        t = TD.Binomial(torch.tensor([[3.0], [3.0]]), probs=torch.tensor([0.2, 0.5, 0.7]))
        es, ts = e.enumerate_support(expand), t.enumerate_support(expand)
        assert tuple(es.shape) == tuple(ts.shape) and es.dtype == ember.float32
        _close(es, ts)
        _close(e.log_prob(es), t.log_prob(ts), 1e-6)
