"""Session 19: karpathy/pytorch-normalizing-flows (nflib/flows.py, made.py, nets.py,
spline_flows.py and the nflib1.ipynb notebook) as users type it, and the planar/radial flows
of the VAE-with-flows tutorials (tests/s19_flows_progs*.py),
run on ember and on torch 2.13 and compared live: printed lines (param counts, losses with 3
decimals, model reprs, shapes, dtypes, errors) exactly, values to rtol 1e-5 / atol 1e-6."""

import numpy as np
import pytest
import s19_flows_progs_b as B
import s19_flows_progs_d as P
from torch_compare import check_program, run_both, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [B.realnvp, B.nice, B.slow_maf, B.maf_actnorm, B.iaf, B.glow, B.nsf_coupling,
         B.nsf_autoregressive, B.made_connectivity, B.spline_pieces, P.planar_radial_density,
         P.vae_with_flows]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    if prog is B.glow:  # torch.lu's deprecation warning comes once a process: an earlier
        use_up_once_warnings(prog)  # test may have had it, so use it up on both libraries
    check_program(prog, 0, RTOL, ATOL)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("C", [5, 7, 8, 10, 15, 16, 17, 24, 33, 100])
def test_log_softmax_backward_sums_in_pytorchs_order(C, dtype):
    """PyTorch's softmax/log_softmax kernels over the last dim add a row in ATen's
    vec::reduce_all order (64-byte vectors lane by lane, then the lanes), not NumPy's pairwise
    or BLAS order; the last bits of the spline flows' softmax(W) showed it. Observable exactly
    in log_softmax's backward g - exp(y) * sum(g) where each row has one entry 0 and the rest
    -200: exp(y) is exactly one-hot, so grad[argmax] = g - sum(g) holds the sum's rounding."""
    rng = np.random.default_rng(C)
    x = np.full((64, C), -200.0, dtype)
    x[np.arange(64), rng.integers(0, C, 64)] = 0.0
    g = (rng.standard_normal((64, C)) * 10.0 ** rng.integers(-3, 3, (64, C))).astype(dtype)

    def prog(L):
        t = L.from_numpy(x).requires_grad_()
        y = L.log_softmax(t, -1)
        y.backward(L.from_numpy(g))
        s = L.nn.functional.softmax(L.from_numpy(x), dim=1)
        return t.grad.numpy(), y.detach().numpy(), s.numpy()
    want, got = run_both(prog)
    for w, e in zip(want, got):
        assert w.dtype == e.dtype
        np.testing.assert_array_equal(e, w)


@pytest.mark.parametrize("C", [6, 10, 16, 40])
def test_cross_entropy_sums_rows_as_log_softmax(C):
    """F.cross_entropy is PyTorch's log_softmax then nll_loss: its log-sum-exp adds a row in
    the log_softmax kernel's order. ember's fused loss added by a BLAS product with ones, so
    ~19% of the losses over 10 classes had another last bit even where ember's log_softmax
    is PyTorch's to the bit. On those rows (found live) the losses must be equal too."""
    import torch
    import ember
    rng = np.random.default_rng(C)
    x = (rng.standard_normal((400, C)) * 2).astype(np.float32)
    same_lsm = (torch.log_softmax(torch.from_numpy(x), -1).numpy()
                == ember.log_softmax(ember.from_numpy(x), -1).numpy()).all(1)
    x = np.ascontiguousarray(x[same_lsm][:64])
    y = rng.integers(0, C, len(x))
    assert len(x) >= 32

    def prog(L):
        t = L.from_numpy(x)
        F = L.nn.functional
        return [F.cross_entropy(t, L.from_numpy(y), reduction="none").numpy(),
                F.cross_entropy(t[0], L.from_numpy(y)[0]).numpy()]
    want, got = run_both(prog)
    for w, e in zip(want, got):
        np.testing.assert_array_equal(e, w)
