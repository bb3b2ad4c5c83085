"""Session 12, scientific machine learning programs (neural ODEs through hand-written solvers,
Hamiltonian and Lagrangian networks, LBFGS curve fitting, autograd.functional on physics
energies such as Lennard-Jones over pdist/cdist, Gaussian-process regression, variational
inference with torch.distributions, differentiable linalg), run on ember and compared live
with torch 2.13."""

import math

import numpy as np
import pytest
from torch_compare import gradcheck, run_both, same_error_case

_P = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, math.inf]


def _points(seed, shape, dtype):
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    x[..., 0, :] = 0.5  # a zero distance to the other set's first row
    return x


def _tied(dtype):
    # a repeated row (zero distance), a zero difference in one coordinate, tied |diffs|
    return np.array([[0., 0.], [1., 1.], [0., 0.], [2., 0.5], [1., -1.]], dtype)


def _dist_run(kind, a, b, p, mode="donot_use_mm_for_euclid_dist"):
    def run(L):
        x1 = L.tensor(a, requires_grad=True)
        x2 = None if b is None else L.tensor(b, requires_grad=True)
        d = L.cdist(x1, x2, p=p, compute_mode=mode) if kind == "cdist" else L.pdist(x1, p)
        w = L.tensor(np.random.default_rng(5).standard_normal(tuple(d.shape)).astype(a.dtype))
        gs = L.autograd.grad((d * w).sum(), [x1, x2] if kind == "cdist" else [x1])
        return d.grad_fn.name(), str(d.dtype), [d.detach().numpy()] + [g.numpy() for g in gs]
    return run


def _check(run, exact):
    want, got = run_both(run)
    assert got[:2] == want[:2], (got[:2], want[:2])
    for g, w in zip(got[2], want[2]):
        assert g.shape == w.shape
        if exact:
            np.testing.assert_array_equal(g, w)
        else:
            # PyTorch's compiled loops may fuse the multiply-add or vectorize: last bits only
            tol = 4e-6 if g.dtype == np.float32 else 1e-14
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


# ---- pdist: its own node, PyTorch's subgradients at ties and zero distances ---------------

@pytest.mark.parametrize("p", _P)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pdist_node_values_and_gradients(p, dtype):
    # p = 0 has a zero gradient (ember's composite raised "not used in the graph"); an inf-norm
    # gives every tied coordinate the full gradient (a vector_norm would split it)
    _check(_dist_run("pdist", _tied(dtype), None, p), exact=p in (0.0, 1.0, math.inf))
    _check(_dist_run("pdist", _points(1, (9, 4), dtype), None, p), exact=p in (0.0, math.inf))


@pytest.mark.parametrize("p", _P)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cdist_values_and_gradients(p, dtype):
    exact = p in (0.0, 1.0, math.inf)
    _check(_dist_run("cdist", _tied(dtype), _tied(dtype)[::-1].copy(), p), exact)
    for s1, s2 in [((5, 3), (4, 3)), ((7, 1), (6, 1)), ((2, 5, 4), (6, 4)),
                   ((3, 1, 4, 2), (2, 5, 2))]:
        _check(_dist_run("cdist", _points(2, s1, dtype), _points(3, s2, dtype), p),
               exact=p in (0.0, math.inf))


@pytest.mark.parametrize("mode", ["use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cdist_matmul_form_over_25_rows(mode, dtype):
    a = _points(4, (30, 3), dtype)
    _check(_dist_run("cdist", a, _points(5, (4, 3), dtype), 2.0, mode), exact=False)
    _check(_dist_run("cdist", _points(6, (2, 5, 3), dtype), a, 2.0, mode), exact=False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cdist_matmul_form_of_a_set_with_itself(dtype):
    # |a|^2 + |b|^2 - 2 a.b: a point's distance to itself is sqrt(rounding error), not 0
    # (which rounding error depends on the matmul's order: within sqrt(eps) of PyTorch's)
    def run(L):
        x = L.from_numpy(_points(4, (30, 3), dtype))
        return L.cdist(x, x).numpy()
    want, got = run_both(run)
    eps = np.finfo(dtype).eps
    assert np.any(np.diagonal(want) > 0)  # the case this test is about
    np.testing.assert_allclose(got, want, rtol=4 * eps, atol=8 * math.sqrt(eps))


def test_cdist_matmul_form_shows_pytorchs_graph_and_differentiates_twice():
    def run(L):
        x = L.from_numpy(_points(7, (30, 2), np.float64)).requires_grad_()
        d = L.cdist(x, x[:4])
        g, = L.autograd.grad((d ** 3).sum(), x, create_graph=True)
        h, = L.autograd.grad((g ** 2).sum(), x)
        inner = d.grad_fn.next_functions[0][0]
        return d.grad_fn.name(), inner.name(), g.grad_fn.name(), h.numpy()
    want, got = run_both(run)
    assert got[:3] == want[:3]
    np.testing.assert_allclose(got[3], want[3], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("which", ["cdist_x1", "cdist_x2", "pdist"])
def test_distance_gradients_refuse_a_second_order_like_pytorch(which):
    def build(L):
        a = L.from_numpy(_points(8, (4, 3), np.float64)).requires_grad_()
        b = L.from_numpy(_points(9, (5, 3), np.float64)).requires_grad_()
        if which == "pdist":
            return L.pdist(a), a
        return L.cdist(a, b), a if which == "cdist_x1" else b

    def edges(L):
        d, x = build(L)
        g, = L.autograd.grad(d.sum(), x, create_graph=True)
        return g.grad_fn.name(), [type(n[0]).__name__ if n[0] else None
                                  for n in g.grad_fn.next_functions]
    want, got = run_both(edges)
    assert got[0] == want[0]
    assert [n if n is None or n.endswith("Backward0") else "leaf" for n in got[1]] == \
        [n if n is None or n.endswith("Backward0") else "leaf" for n in want[1]]

    def twice(L):
        d, x = build(L)
        g, = L.autograd.grad(d.sum(), x, create_graph=True)
        return L.autograd.grad(g.sum(), x)
    same_error_case(twice)


def test_hessian_of_a_lennard_jones_energy_over_pdist_raises_pytorchs_error():
    def lj(L):
        def energy(pos):
            d = L.pdist(pos)
            return (4 * ((1 / d) ** 12 - (1 / d) ** 6)).sum()
        pos = L.tensor([[0., 0, 0], [1.1, 0, 0], [0, 1.2, 0], [0.5, 0.5, 0.9]],
                       dtype=L.float64)
        return energy, pos
    same_error_case(lambda L: L.autograd.functional.hessian(*lj(L)))

    def forces(L):
        energy, pos = lj(L)
        return -L.autograd.functional.jacobian(energy, pos).numpy()
    want, got = run_both(forces)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)


def test_lennard_jones_hessian_over_cdist_and_triu_indices_matches():
    def run(L):
        def energy(pos):
            i, j = L.triu_indices(pos.shape[0], pos.shape[0], offset=1)
            d = L.cdist(pos, pos)[i, j]
            return (4 * ((1 / d) ** 12 - (1 / d) ** 6)).sum()
        pos = L.tensor([[0., 0, 0], [1.1, 0, 0], [0, 1.2, 0], [0.5, 0.5, 0.9]],
                       dtype=L.float64)
        return L.autograd.functional.hessian(energy, pos)
    # cdist's first derivative refuses a second one on both libraries (fewer than 26 rows)
    want, got = run_both(run)
    assert got == want


def test_distance_kernels_have_no_half_version():
    h = "float16"
    same_error_case(lambda L: L.pdist(L.ones(3, 2, dtype=getattr(L, h))))
    same_error_case(lambda L: L.cdist(L.ones(3, 2, dtype=L.float16), L.ones(3, 2, dtype=L.float16),
                                      p=1.0))
    for case in (lambda L: L.cdist(L.ones(30, 2, dtype=L.float16), L.zeros(3, 2, dtype=L.float16)),
                 lambda L: L.cdist(L.ones(0, 2, dtype=L.float16), L.ones(3, 2, dtype=L.float16)),
                 lambda L: L.cdist(L.ones(2, 0, dtype=L.float16), L.ones(3, 0, dtype=L.float16)),
                 lambda L: L.pdist(L.ones(1, 2, dtype=L.float16))):
        want, got = run_both(lambda L: case(L).tolist())
        assert got == want


def test_cdist_batch_dims_that_do_not_broadcast():
    same_error_case(lambda L: L.cdist(L.zeros(2, 2, 3), L.zeros(3, 2, 3)))
    same_error_case(lambda L: L.cdist(L.zeros(4, 2, 2, 3), L.zeros(5, 1, 2, 3)))


@pytest.mark.parametrize("p", [0.5, 1.0, 1.5, 2.0, 3.0, math.inf])
def test_distance_rules_against_finite_differences(p):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    gradcheck(lambda L, x, y: L.cdist(x, y, p=p, compute_mode="donot_use_mm_for_euclid_dist"),
              a, b)
    gradcheck(lambda L, x: L.pdist(x, p), a)


def test_matmul_form_rule_against_finite_differences():
    rng = np.random.default_rng(1)
    gradcheck(lambda L, x, y: L.cdist(x, y, compute_mode="use_mm_for_euclid_dist"),
              rng.standard_normal((4, 3)), rng.standard_normal((5, 3)), second=True)
    gradcheck(lambda L, x, y: L.cdist(x, y), rng.standard_normal((2, 30, 2)),
              rng.standard_normal((1, 4, 2)), second=True)


# ---- whole programs ----------------------------------------------------------------------

def test_gaussian_process_on_40_points_fits_like_pytorch():
    # RBF kernel over cdist (the matmul form past 25 rows), cholesky, cholesky_solve, log-det
    # from the factor's diagonal, softplus hyperparameters trained with Adam
    def run(L):
        F = L.nn.functional
        g = L.Generator().manual_seed(0)
        X = L.linspace(0, 5, 40, dtype=L.float64).unsqueeze(-1)
        y = L.sin(X).squeeze() + 0.1 * L.randn(40, generator=g, dtype=L.float64)
        raw = L.zeros(3, dtype=L.float64, requires_grad=True)
        opt = L.optim.Adam([raw], lr=0.05)
        out = []
        for _ in range(15):
            ls, var, noise = F.softplus(raw)
            K = var * L.exp(-0.5 * L.cdist(X, X) ** 2 / ls ** 2) \
                + (noise + 1e-6) * L.eye(40, dtype=L.float64)
            C = L.linalg.cholesky(K)
            alpha = L.cholesky_solve(y.unsqueeze(-1), C)
            nll = 0.5 * (y.unsqueeze(-1) * alpha).sum() + C.diagonal().log().sum()
            opt.zero_grad()
            nll.backward()
            opt.step()
            out.append(nll.item())
        return np.array(out + raw.tolist())
    want, got = run_both(run)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


def test_hamiltonian_network_trains_through_second_derivatives():
    def run(L):
        L.manual_seed(0)
        nn = L.nn
        net = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))
        M = L.eye(2)
        M = L.cat([M[1:], -M[:1]])
        g = L.Generator().manual_seed(42)
        x = L.randn(32, 2, generator=g)
        dx = L.cat([x[:, 1:], -x[:, :1]], 1)
        opt = L.optim.Adam(net.parameters(), lr=1e-2)
        losses = []
        for _ in range(10):
            xr = x.clone().requires_grad_(True)
            dH = L.autograd.grad(net(xr).sum(), xr, create_graph=True)[0]
            dq, dp = L.split(dH, 1, dim=1)
            loss = ((L.cat([dp, -dq], 1) @ M.t() @ M - dx) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses
    want, got = run_both(run)
    np.testing.assert_allclose(got, want, rtol=1e-5)


# ---- autograd.functional: strategies and strict mode checked as PyTorch checks them --------

def _energy(L):
    return lambda q: (q ** 2).sum(-1) + L.cos(q).prod(-1)


def _q(L):
    return L.from_numpy(np.random.default_rng(0).standard_normal((4, 3)))


def _F(L):
    return L.autograd.functional


_FUNCTIONAL_MISTAKES = {
    "unknown strategy": lambda L: _F(L).jacobian(_energy(L), _q(L), strategy="bad"),
    "forward-mode with create_graph": lambda L: _F(L).jacobian(
        _energy(L), _q(L), strategy="forward-mode", create_graph=True, vectorize=True),
    "forward-mode with strict": lambda L: _F(L).jacobian(
        _energy(L), _q(L), strategy="forward-mode", strict=True, vectorize=True),
    "strict with vectorize": lambda L: _F(L).jacobian(_energy(L), _q(L), strict=True,
                                                      vectorize=True),
    "strict, an unused input": lambda L: _F(L).jacobian(lambda a, b: a * 2, (_q(L), _q(L)),
                                                        strict=True),
    "strict, a constant output": lambda L: _F(L).jacobian(
        lambda a, b: (a * 2, b.detach()), (_q(L), _q(L)), strict=True),
    "strict create_graph, linear": lambda L: _F(L).jacobian(lambda a: a * 2, _q(L),
                                                            strict=True, create_graph=True),
    "hessian, unknown strategy": lambda L: _F(L).hessian(lambda a: a.sum(), _q(L),
                                                         outer_jacobian_strategy="x"),
    "hessian of a vector": lambda L: _F(L).hessian(lambda a: a * 2, _q(L)),
    "hessian of a tuple": lambda L: _F(L).hessian(lambda a: (a.sum(),), _q(L)),
    "hessian strict, linear": lambda L: _F(L).hessian(lambda a: a.sum() * 2, _q(L),
                                                      strict=True),
    "hessian strict, constant": lambda L: _F(L).hessian(lambda a: a.sum().detach(), _q(L),
                                                        strict=True),
    "hessian strict with vectorize": lambda L: _F(L).hessian(lambda a: (a ** 3).sum(), _q(L),
                                                             strict=True, vectorize=True),
}


@pytest.mark.parametrize("name", sorted(_FUNCTIONAL_MISTAKES))
def test_functional_mistakes_raise_pytorchs_errors(name):
    same_error_case(_FUNCTIONAL_MISTAKES[name])


def test_functional_results_around_the_checks():
    F, cube = _F, (lambda a: (a ** 3).sum())
    for run in (lambda L: F(L).jacobian(lambda a, b: a.sum() * 2, (_q(L), _q(L)))[1].tolist(),
                lambda L: F(L).hessian(cube, _q(L), strict=True).tolist(),
                lambda L: F(L).hessian(lambda a: (a ** 2).sum(), _q(L), strict=True).tolist(),
                lambda L: F(L).hessian(cube, _q(L), outer_jacobian_strategy="forward-mode",
                                       vectorize=True).tolist(),
                lambda L: [[t.tolist() for t in r] for r in F(L).hessian(
                    lambda a, b: (a ** 2 * b).sum(), (_q(L)[0], _q(L)[1]))],
                lambda L: F(L).hessian(lambda a: a ** 3, L.tensor(2.0)).tolist(),
                lambda L: F(L).hessian(lambda a: cube(a).reshape(1, 1),
                                       L.tensor([2.0, 1.0])).tolist(),
                lambda L: F(L).jacobian(_energy(L), _q(L), strict=True).tolist()):
        want, got = run_both(run)
        assert got == want


# ---- differentiable linalg -----------------------------------------------------------------

@pytest.mark.parametrize("p", [None, 2, -2])
def test_cond_from_singular_values_has_pytorchs_graph(p):
    # narrow the largest and smallest singular values, divide, squeeze
    def run(L):
        A = L.tensor([[[2., 1.], [0.5, 3.]], [[1., 0.], [0.2, 4.]]], requires_grad=True)
        c = L.linalg.cond(A, p)
        chain, n = [], c.grad_fn
        while n is not None and n.next_functions:
            chain.append(n.name())
            n = n.next_functions[0][0]
        return chain, c.detach().numpy(), L.autograd.grad(c.sum(), A)[0].numpy()
    want, got = run_both(run)
    assert got[0] == want[0]
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6)
    np.testing.assert_allclose(got[2], want[2], rtol=1e-5, atol=1e-6)


# ---- torch.distributions -------------------------------------------------------------------

def test_gamma_and_poisson_draws_of_scalar_parameters_are_0d():
    # Gamma(torch.tensor(2.), torch.tensor(3.)).rsample() had shape [1] (so had Chi2, StudentT,
    # Poisson and torch.poisson of a 0-d rate)
    def run(L):
        L.manual_seed(0)
        D = L.distributions
        draws = [L.poisson(L.tensor(3.0)), D.Poisson(L.tensor(3.0)).sample(),
                 D.Chi2(L.tensor(2.0)).sample(), D.Gamma(2.0, 1.0).sample(),
                 D.StudentT(L.tensor(3.0)).sample(),
                 D.Gamma(L.tensor(2.0), L.tensor(3.0)).rsample(),
                 D.Gamma(L.tensor([2.0]), 1.0).sample(), D.Poisson(4.0).sample((2,))]
        return [(tuple(d.shape), d.tolist()) for d in draws]
    want, got = run_both(run)
    assert got == want
