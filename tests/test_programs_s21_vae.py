"""Session 21: AntixK/PyTorch-VAE (models/*.py with experiment.py's training and validation
steps) as users type them (tests/s21_vae_progs*.py), Jackson-Kang/Pytorch-VAE-tutorial and
yoonholee/pytorch-vae, run on ember and on torch 2.13 and
compared live: printed lines (loss dictionaries rounded to 4 decimals, module reprs, shapes,
dtypes, warnings and errors' type and first line) exactly, values to rtol 1e-5 / atol 1e-6."""

import numpy as np
import pytest
import s21_vae_progs as A
import s21_vae_progs_b as B
import s21_vae_progs_c as C
import s21_vae_progs_d as D
import s21_vae_progs_e as E
import s21_vae_progs_f as F6
import s21_vae_progs_g as G
from torch_compare import check_program, run_both, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.vanilla_vae, A.beta_vae, A.betatc_vae, A.cat_vae, G.joint_vae,
         B.vq_vae, B.wae_mmd, B.info_vae, B.swae, B.dip_vae, G.logcosh_vae, G.cvae,
         C.iwae, C.miwae, C.mssim_vae, D.fvae, D.hvae, D.lvae,
         E.jk_vae, E.jk_vqvae, F6.bernoulli_vae]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)


@pytest.mark.parametrize("make", [
    "exp", "reparam", "reparam_grad", "relu", "mul_t", "slice_of_computed", "zeros_like"])
@pytest.mark.parametrize("shape", [(-1, 3), (36,), (4, 9), (3, 12), (4, 3, 3), (2, 2, 9)])
def test_view_of_a_computed_permuted_result(make, shape):
    """IWAE's decode: ``z = eps * std + mu`` with mu a ``repeat(S, 1, 1).permute(1, 0, 2)``
    keeps mu's permuted layout in PyTorch (strides (3, 12, 1)), so ``z.view(-1, D)`` raises
    "view size is not compatible ..."; ember skipped the stride check for computed results
    and viewed them. Both the outcome and, where it views, the values must be PyTorch's."""
    def case(L):
        L.manual_seed(0)
        mu = L.randn(4, 3).repeat(3, 1, 1).permute(1, 0, 2)
        lv = L.randn(4, 3).repeat(3, 1, 1).permute(1, 0, 2)
        x = {"exp": lambda: L.exp(0.5 * lv),
             "reparam": lambda: L.randn_like(mu) * L.exp(0.5 * lv) + mu,
             "reparam_grad": lambda: (L.randn_like(mu) * L.exp(0.5 * lv)
                                      + mu.detach().requires_grad_()),
             "relu": lambda: L.relu(mu),
             "mul_t": lambda: mu * lv.transpose(0, 1).transpose(0, 1),
             "slice_of_computed": lambda: (mu + 1)[:, :, :],
             "zeros_like": lambda: L.zeros_like(mu)}[make]()
        v = x.view(shape)
        return [x.stride(), tuple(v.shape), v.detach().numpy()]
    _same_to_rounding(case)


def test_view_of_computed_results_that_torch_views():
    """The strict check must not raise where PyTorch's layout views: contiguous results of
    reductions, softmax, matmul of transposed inputs, a column-major QR factor, the
    transposed-back elementwise result, and a conv input gradient (ember slices it out of a
    padded buffer: not dense, so not judged; PyTorch's is contiguous)."""
    def case(L):
        x = L.arange(24.).reshape(2, 3, 4).permute(2, 0, 1)
        a = L.arange(6.).reshape(2, 3).t()
        img = L.arange(96.).reshape(2, 3, 4, 4).requires_grad_()
        out = L.nn.functional.conv2d(img, L.ones(2, 3, 3, 3), padding=1)
        g = L.autograd.grad(out, img, L.ones(out.shape))[0]  # WGAN-GP's gradients.view(B, -1)
        outs = [x.sum(1), x.softmax(0), a @ a.t(), L.linalg.qr(a @ a.t() + L.eye(3))[0],
                (a * 2).t(), (x + 1).permute(1, 2, 0), L.cumsum(x, 1), g]
        return [o.contiguous().view(-1).numpy() if i == 3 else o.view(-1).numpy()
                for i, o in enumerate(outs)]
    _same_to_rounding(case)


def _same_to_rounding(case):
    """case(lib) on both: the same error (type, first line), or lists whose arrays agree to
    float32 rounding (exp and QR go through different kernels) and whose other items are
    equal."""
    want, got = run_both(case)
    if isinstance(want, tuple) or isinstance(got, tuple):
        assert got == want, f"ember: {got}\ntorch: {want}"
        return
    assert len(got) == len(want)
    for g, w in zip(got, want):
        if isinstance(w, np.ndarray):
            assert g.dtype == w.dtype and g.shape == w.shape
            np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)
        else:
            assert g == w
