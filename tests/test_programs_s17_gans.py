"""Session 17: eriklindernoren/PyTorch-GAN (implementations/*/) as users type them
(tests/s17_gans_progs*.py), run on ember and on torch 2.13 and compared live: printed lines
(model reprs, the '[Epoch %d/%d] [Batch %d/%d] [D loss: ...] [G loss: ...]' lines, here with
4 decimals: the scripts' %f shows the last bits of OpenBLAS against MKL that Adam's later
steps carry), dtypes, shapes, warnings and errors (type and first line) exactly, values to
rtol 1e-5 / atol 1e-6."""

import numpy as np
import pytest
import s17_gans_progs as A
import s17_gans_progs_b as B
import s17_gans_progs_c as C
import s17_gans_progs_d as D
import s17_gans_progs_e as E
import s17_gans_progs_f as F
import s17_gans_progs_g as G
from torch_compare import check_program, run_both

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.gan, A.dcgan, A.wgan, A.wgan_gp, A.lsgan, B.acgan, B.cgan, B.infogan,
         B.softmax_gan, C.cyclegan, D.pix2pix, D.srgan_esrgan, E.began, E.ebgan,
         E.relativistic_gan, E.wgan_div, E.dragan, F.context_encoder, F.sgan, F.aae,
         G.stargan]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, RTOL, ATOL)


@pytest.mark.parametrize("norm", ["instance2d", "instance1d", "batch", "layer", "group",
                                  "instance_running"])
@pytest.mark.parametrize("act", ["relu_", "leaky_relu_", "hardtanh_", "mul_", "zero_"])
def test_norm_without_affine_then_in_place_op(norm, act):
    """CycleGAN's `nn.InstanceNorm2d(c), nn.ReLU(inplace=True)`: a norm layer without weight
    and bias followed by an in-place op on its output. PyTorch's backward uses the saved input
    and statistics, so the gradients are those of the out-of-place op; ember's output shared
    its array with the normalised input kept for backward, and the in-place op changed it."""
    def prog(L):
        nn = L.nn
        x = L.from_numpy(np.random.default_rng(0).standard_normal((2, 4, 5, 6))
                         .astype(np.float32)).requires_grad_()
        m = {"instance2d": lambda: nn.InstanceNorm2d(4),
             "instance1d": lambda: nn.Sequential(nn.Flatten(2), nn.InstanceNorm1d(4)),
             "batch": lambda: nn.BatchNorm2d(4, affine=False),
             "layer": lambda: nn.LayerNorm(6, elementwise_affine=False),
             "group": lambda: nn.GroupNorm(2, 4, affine=False),
             "instance_running": lambda: nn.InstanceNorm2d(4, track_running_stats=True)}[norm]()
        y = m(x)
        y2 = {"relu_": lambda t: t.relu_(), "leaky_relu_": lambda t: L.nn.functional.leaky_relu_(t, 0.2),
              "hardtanh_": lambda t: L.nn.functional.hardtanh_(t, -0.5, 0.5),
              "mul_": lambda t: t.mul_(3.0), "zero_": lambda t: t.zero_().add_(t)}[act](y)
        w = L.from_numpy(np.random.default_rng(1).standard_normal(tuple(y2.shape))
                         .astype(np.float32))
        (y2 * w).sum().backward()
        return [y2.detach(), x.grad]
    want, got = run_both(prog)
    assert isinstance(want, list), want
    assert isinstance(got, list), got
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("view", ["index", "view", "reshape", "slice", "transpose", "none"])
def test_zero_through_a_view_of_a_graph_tensor(view):
    """`a[0].zero_()` with a an intermediate of the graph: PyTorch records ZeroBackward0 under
    CopySlices; x's gradient is zero where the view was written, one elsewhere. ember's zero
    node gave a 0-d result, whose 0-d gradient could not be fitted to the view's shape."""
    def prog(L):
        x = L.arange(24.0).reshape(2, 3, 4).requires_grad_()
        a = x * 2
        v = {"index": lambda: a[0], "view": lambda: a.view(6, 4), "reshape": lambda: a.reshape(24),
             "slice": lambda: a[:, 1:], "transpose": lambda: a.transpose(0, 2),
             "none": lambda: a}[view]()
        v.zero_()
        (a * a).sum().backward()
        return [a.detach(), x.grad, a.grad_fn.name(), v.grad_fn.name()]
    want, got = run_both(prog)
    assert isinstance(want, list) and isinstance(got, list), (want, got)
    np.testing.assert_array_equal(got[0].numpy(), want[0].numpy())
    np.testing.assert_array_equal(got[1].numpy(), want[1].numpy())
    assert got[2:] == want[2:]
