"""Session 10, vision and optimisation tutorials (CIFAR-style CNNs with schedulers, transfer
learning, FGSM, neural style transfer with L-BFGS, spatial transformers, autoencoders) and
the mistakes learners make typing them, run on ember and compared live with torch 2.13."""

import warnings

import numpy as np
import torch
from torch_compare import run_both, same as _same

import ember


# ---- FGSM: `x.requires_grad = True` on a computed tensor -----------------------------------

def _set_flag(L, make, value):
    t = make(L)
    t.requires_grad = value
    return t.requires_grad


def test_requires_grad_attribute_refuses_non_leaves_and_integers_like_pytorch():
    computed = lambda L: L.ones(2, requires_grad=True) * 2  # noqa: E731
    plain = lambda L: L.ones(2) * 2  # noqa: E731
    ints = lambda L: L.ones(2, dtype=L.long)  # noqa: E731
    for make, value in ((computed, True), (computed, False), (plain, True), (plain, False),
                        (ints, True), (ints, False)):
        _same(lambda L: _set_flag(L, make, value))
    # the method stays lenient where the attribute is not
    _same(lambda L: computed(L).requires_grad_(True).requires_grad)


def test_randint_and_randperm_honour_requires_grad():
    _same(lambda L: L.randint(0, 3, (2,), dtype=L.float32, requires_grad=True).requires_grad)
    _same(lambda L: L.randperm(3, dtype=L.float64, requires_grad=True).requires_grad)
    _same(lambda L: L.randint(3, (2,), requires_grad=True))
    _same(lambda L: L.randperm(3, requires_grad=True))


# ---- L-BFGS: add_(alpha=) is a fused multiply-add in PyTorch -------------------------------

def _rosenbrock_lbfgs(L, lr, history, dtype):
    x = L.tensor([-1.5, 2.0], dtype=dtype, requires_grad=True)
    opt = L.optim.LBFGS([x], lr=lr, max_iter=40, history_size=history)

    def closure():
        opt.zero_grad()
        loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    return x.detach().numpy().tobytes(), opt.state[x]["n_iter"], opt.state[x]["func_evals"]


def test_lbfgs_fixed_step_iterates_bit_for_bit():
    for lr in (0.05, 0.3, 1.0):
        for history in (3, 100):
            for name in ("float32", "float64"):
                _same(lambda L: _rosenbrock_lbfgs(L, lr, history, getattr(L, name)))


def _wolfe_rosenbrock(L, n):
    x = L.tensor([-1.5, 2.0, 0.5, -0.3][:n], dtype=L.float64, requires_grad=True)
    opt = L.optim.LBFGS([x], line_search_fn="strong_wolfe", history_size=5)

    def closure():
        opt.zero_grad()
        loss = (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    return x.detach().numpy().tobytes(), opt.state[x]["func_evals"]


def test_lbfgs_strong_wolfe_in_float64_iterates_bit_for_bit():
    for n in (2, 3, 4):
        _same(lambda L: _wolfe_rosenbrock(L, n))


def test_lbfgs_step_without_a_closure():
    def case(L):
        x = L.zeros(2, requires_grad=True)
        return L.optim.LBFGS([x]).step(None)
    _same(case)
    _same(lambda L: L.optim.LBFGS([L.zeros(2, requires_grad=True)]).step())


# ---- spatial transformer: affine_grid's rounding decides grid_sample's taps ---------------

def test_affine_grid_matches_pytorch_bit_for_bit():
    rng = np.random.default_rng(0)
    for align in (False, True):
        for shape, theta in (((2, 1, 5, 7), rng.standard_normal((2, 2, 3))),
                             ((1, 3, 28, 28), np.array([[[1.0, 0, 0], [0, 1, 0]]])),
                             ((2, 1, 3, 5, 6), rng.standard_normal((2, 3, 4)))):
            for dt in (np.float32, np.float64):
                th = theta.astype(dt)
                _same(lambda L: L.nn.functional.affine_grid(
                    L.from_numpy(th.copy()), shape, align_corners=align).numpy().tobytes())


def _stn_theta_grad(L, align):
    th = L.tensor([[[1.0, 0, 0], [0, 1, 0]]], requires_grad=True)
    img = L.from_numpy(np.random.default_rng(1).random((1, 1, 28, 28)).astype(np.float32))
    w = L.from_numpy(np.random.default_rng(2).random((1, 1, 28, 28)).astype(np.float32))
    grid = L.nn.functional.affine_grid(th, (1, 1, 28, 28), align_corners=align)
    out = L.nn.functional.grid_sample(img, grid, align_corners=align)
    (out * w).sum().backward()
    return out.detach().numpy(), th.grad.numpy()


def test_identity_spatial_transformer_samples_the_same_taps():
    # at an identity transform every grid point sits on a pixel centre, where bilinear
    # sampling has a kink: a last-bit difference in the grid flips the gradient's side
    for align in (False, True):
        (t_out, t_grad), (e_out, e_grad) = run_both(lambda L: _stn_theta_grad(L, align))
        np.testing.assert_allclose(e_out, t_out, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(e_grad, t_grad, rtol=1e-5, atol=1e-4)


def test_grid_sample_warns_about_align_corners_before_checking_shapes():
    def case(L):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            try:
                L.nn.functional.grid_sample(L.ones(1, 1, 3, 3), L.zeros(1, 2, 2, 3))
            except RuntimeError as err:
                return [str(w.message)[:40] for w in seen], str(err)
    _same(case)


# ---- feeding a NumPy image straight into a CNN --------------------------------------------

def test_convolutions_refuse_numpy_images_with_pytorchs_type_error():
    a = np.random.default_rng(0).random((1, 3, 8, 8)).astype(np.float32)

    def module(L, cls, x):
        L.manual_seed(0)
        return cls(L)(x)
    _same(lambda L: module(L, lambda L: L.nn.Conv2d(3, 2, 3), a))
    _same(lambda L: module(L, lambda L: L.nn.Conv2d(3, 2, 3), a.tolist()))
    _same(lambda L: module(L, lambda L: L.nn.Conv1d(3, 2, 3), a[0]))
    _same(lambda L: module(L, lambda L: L.nn.ConvTranspose2d(3, 2, 3), a))
    _same(lambda L: L.nn.functional.conv2d(a, L.ones(2, 3, 3, 3)))
    _same(lambda L: L.nn.functional.conv2d(a, L.ones(2, 3, 3, 3), None, 2))
    _same(lambda L: L.nn.functional.conv_transpose1d(a[0], L.ones(3, 2, 3)))


def test_this_file_compares_against_the_real_libraries():
    assert torch.__name__ == "torch" and ember.__name__ == "ember"
