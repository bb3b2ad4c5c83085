"""Session 10, scientific computing with PyTorch (PINNs, hand-written ODE solvers, numerical
linear algebra, data-analysis utilities, polynomial regression) and the mistakes learners make
typing them, run on ember and compared live with torch 2.13."""

import numpy as np
import torch
from torch_compare import run_both, seeded, same as _same

import ember


def _close(fn, rtol=1e-6, atol=1e-6):
    want, got = run_both(fn)
    assert not isinstance(want, tuple) or not isinstance(want[0], str), want
    assert not isinstance(got, tuple) or not isinstance(got[0], str), got
    for w, g in zip(want if isinstance(want, list) else [want], got if isinstance(got, list)
                    else [got]):
        assert str(g.dtype) == str(w.dtype) and tuple(g.shape) == tuple(w.shape)
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=rtol, atol=atol)


# ---- torch.gradient over a non-uniform grid (coordinate tensors) ------------------------

_F = np.random.default_rng(1).standard_normal((5, 6)).astype(np.float32)
_XS = np.array([0.0, 0.3, 0.5, 1.1, 1.2, 2.0], np.float32)
_YS = np.array([0.0, 1.0, 1.5, 3.0, 4.5], np.float32)


def test_gradient_takes_coordinate_tensors():
    for eo in (1, 2):
        _close(lambda L: list(L.gradient(L.tensor(_F), spacing=(L.tensor(_XS),), dim=1,
                                         edge_order=eo)))
        _close(lambda L: list(L.gradient(L.tensor(_F), spacing=[L.tensor(_YS), L.tensor(_XS)],
                                         edge_order=eo)))
    # integer coordinates and input; float64 coordinates promote the result
    _close(lambda L: list(L.gradient(L.tensor([1, 2, 4, 8, 9]),
                                     spacing=(L.tensor([0, 1, 2, 4, 5]),))))
    _close(lambda L: list(L.gradient(L.tensor(_F), spacing=(L.tensor(_XS).double(),), dim=1)))


def test_gradient_with_coordinates_is_differentiable():
    def run(L):
        f = L.tensor(_F, requires_grad=True)
        g = L.gradient(f, spacing=(L.tensor(_XS),), dim=1, edge_order=2)[0]
        (g * L.tensor(_F)).sum().backward()
        return [g, f.grad]
    _close(run, rtol=1e-5, atol=1e-5)


def test_gradient_coordinate_mistakes_raise_pytorchs_errors():
    f = _F
    _same(lambda L: L.gradient(L.tensor(f), spacing=(L.tensor(0.5),), dim=1))
    _same(lambda L: L.gradient(L.tensor(f), spacing=(L.tensor([_XS]),), dim=1))
    _same(lambda L: L.gradient(L.tensor(f), spacing=(2.0, L.tensor(_XS))))
    _same(lambda L: L.gradient(L.tensor(f), spacing=L.tensor(_XS), dim=1))
    _same(lambda L: L.gradient(L.tensor(f), spacing=L.tensor(_XS)))


# ---- trapezoid: PyTorch's node names, x that does not fit, x together with dx ----------

def test_trapezoid_nodes_are_named_as_pytorch():
    def names(L):
        y = L.linspace(0, 1, 5, requires_grad=True)
        x = L.linspace(0, 2, 5)
        outs = [L.trapezoid(y, x), L.trapezoid(y), L.trapezoid(y, dx=0.5), L.trapz(y, x),
                L.trapezoid(y.view(1, 5), x), L.trapezoid(y[:1]), L.trapezoid(y[:1], x[:1]),
                L.cumulative_trapezoid(y, x), L.cumulative_trapezoid(y)]
        return [o.grad_fn.name() for o in outs] + [L.trapezoid(y[:0]).grad_fn,
                                                   L.trapezoid(y[:0], x[:0]).requires_grad]
    _same(names)

    def run(L):  # the values and gradients of the uniform-spacing formula PyTorch uses
        y = seeded(L, (3, 37), grad=True)
        x = L.sort(L.from_numpy(np.random.default_rng(2).random(37).astype(np.float32)))[0]
        outs = [L.trapezoid(y), L.trapezoid(y, dx=0.013), L.trapezoid(y, x),
                L.cumulative_trapezoid(y, x), L.trapezoid(y, dim=0)]
        sum(o.sum() for o in outs).backward()
        return outs + [y.grad]
    _close(run, rtol=1e-5, atol=1e-5)


def test_trapezoid_refuses_mismatched_x_and_x_with_dx():
    _same(lambda L: L.trapezoid(L.ones(3), L.ones(2)))
    _same(lambda L: L.trapz(L.ones(3), L.ones(4)))
    _same(lambda L: L.trapezoid(L.ones(2, 3), L.ones(3), dim=0))
    _same(lambda L: L.cumulative_trapezoid(L.ones(3), L.ones(2)))
    _same(lambda L: L.trapezoid(L.ones(3), L.ones(3), dx=1.0))
    _same(lambda L: L.cumulative_trapezoid(L.ones(3), L.ones(3), dx=1))


# ---- pinv(rcond=...) and matrix_rank(tol=...): PyTorch's older spellings ---------------

def test_pinv_rcond_and_matrix_rank_tol():
    m = np.random.default_rng(3).standard_normal((6, 3)).astype(np.float32)
    _close(lambda L: [L.linalg.pinv(L.tensor(m), rcond=1e-3), L.linalg.pinv(L.tensor(m), 0.5),
                      L.linalg.pinv(L.tensor(m.T @ m), 1e-3, True)], rtol=1e-5, atol=1e-6)
    _same(lambda L: [int(L.linalg.matrix_rank(L.tensor(m), tol=t)) for t in (0.1, 1.5, 10.0)]
          + [int(L.linalg.matrix_rank(L.tensor(m), 1.0)),
             int(L.linalg.matrix_rank(L.tensor(m.T @ m), 0.5, True))])
    _same(lambda L: L.linalg.pinv(L.tensor(m), rcond=0.1, rtol=0.2))
    _same(lambda L: L.linalg.pinv(L.tensor(m), rcond=0.1, atol=0.2))
    _same(lambda L: L.linalg.matrix_rank(L.tensor(m), tol=0.1, rtol=0.2))


# ---- cov/corrcoef of one variable given as a row: a 0-d result --------------------------

def test_cov_and_corrcoef_of_one_row_are_0d():
    def run(L):
        d = L.arange(6.0).view(1, 6).requires_grad_()
        c, r = L.cov(d), L.corrcoef(d)
        return [repr(c), repr(r), repr(L.cov(L.arange(6.0).view(2, 3))),
                L.cov(L.arange(6.0).view(2, 3).requires_grad_()).grad_fn.name()]
    _same(run)


# ---- learner mistakes: errors PyTorch raises ---------------------------------------------

def test_mode_over_an_empty_dim_raises():
    _same(lambda L: L.mode(L.tensor([])))
    _same(lambda L: L.mode(L.ones(2, 0), 1))
    _same(lambda L: tuple(L.mode(L.ones(2, 0), 0).values.shape))


def test_kron_of_a_number_raises_type_error():
    _same(lambda L: L.kron(L.ones(2), 3))
    _same(lambda L: L.kron(3, L.ones(2)))
    _same(lambda L: L.kron(L.ones(2), [1, 2]))


def test_linalg_norm_matrix_ords_need_two_dims():
    _same(lambda L: L.linalg.norm(L.ones(2, 2), ord="fro", dim=0))
    _same(lambda L: L.linalg.norm(L.ones(2, 2), ord="nuc", dim=[1]))
    _same(lambda L: L.linalg.norm(L.ones(2, 2, 2), ord="fro", dim=-1))
    _same(lambda L: L.linalg.norm(L.ones(2, 2, 2), dim=(0, 1, 2)))


def test_lstsq_with_a_vector_of_the_wrong_length():
    _same(lambda L: L.linalg.lstsq(L.ones(3, 2), L.ones(2)))
    _same(lambda L: L.linalg.lstsq(L.ones(3, 2), L.ones(2, 1)))


# ---- torch.func on a network: results stay in the graph of its parameters ----------------

def _net(L):
    rng = np.random.default_rng(4)
    net = L.nn.Sequential(L.nn.Linear(2, 8), L.nn.Tanh(), L.nn.Linear(8, 1))
    with L.no_grad():
        for p in net.parameters():
            p.copy_(L.from_numpy(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    return net


def test_func_transforms_keep_the_parameters_graph_like_pytorch():
    x = np.random.default_rng(5).random((5, 2)).astype(np.float32)

    def run(L):
        net = _net(L)
        u = lambda p: net(p.unsqueeze(0)).squeeze()  # noqa: E731
        pts = L.from_numpy(x)
        g = L.func.vmap(L.func.grad(u))(pts)
        lap = L.func.vmap(lambda p: L.trace(L.func.hessian(u)(p)))(pts)
        j = L.func.jacrev(u)(pts[0])
        out, fn = L.func.vjp(u, pts[0])
        loss = g.pow(2).sum() + lap.pow(2).mean() + j.sum() + fn(L.ones(()))[0].sum() + out
        loss.backward()
        flags = [t.requires_grad for t in (g, lap, j, out)]
        return [loss] + [p.grad for p in net.parameters()], flags

    (want, wflags), (got, gflags) = run(torch), run(ember)
    assert gflags == wflags
    for w, g in zip(want, got):
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
    # with nothing outside requiring grad, the results stay plain tensors
    _same(lambda L: [L.func.grad(lambda z: (z ** 3).sum())(L.arange(3.0)).requires_grad,
                     L.func.jacrev(lambda z: z.sin())(L.arange(2.0)).requires_grad])
