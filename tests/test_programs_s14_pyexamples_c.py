"""Session 14, pytorch/examples: the mistakes learners make with that code, raised and
warned as PyTorch 2.13 does (first line), and the fixes the sweep needed: BCELoss's target
range check, a Parameter's format(), normal_'s std check, PyTorch's TypeError for a None
operand (``p.data.add_(p.grad, alpha=-lr)`` before any backward), and 2-norms summed in
ATen's order (the forward-forward example's ``x.norm(2, 1)``)."""

import warnings

import numpy as np
import pytest
import torch
from s14_pyexamples_util import check, shown
from torch_compare import error_of, run_both, same_error_case

import ember


def _outcome(f):
    """('OK', repr) or (type, first line), with the warnings' first lines (PyTorch's C++
    warnings end in "(Triggered internally at <its build path>)", left out)."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            r = f()
            res = ("OK", repr(r))
        except Exception as e:  # noqa: BLE001 - compared across libraries
            res = (type(e).__name__, str(e).splitlines()[0] if str(e) else "")
    shown = tuple(str(m.message).splitlines()[0].split(" (Triggered internally at")[0]
                  for m in w)
    return res + (shown,)


# ---- BCELoss: PyTorch checks the target's range first (the VAE's BCE on raw pixels) -------

@pytest.mark.parametrize("target", [[1.5, 0.0], [-0.1, 0.0], [float("nan"), 0.0],
                                    [1.0000001, 0.0], [1.0, 0.0]])
@pytest.mark.parametrize("scale", [1.0, 3.0])
def test_bce_checks_target_then_input_range(target, scale):
    def run(L):
        x = L.tensor([0.2, 0.7]) * scale
        return [_outcome(lambda: L.nn.functional.binary_cross_entropy(x, L.tensor(target))),
                _outcome(lambda: L.nn.BCELoss(reduction="sum")(x.double(),
                                                               L.tensor(target).double()))]
    want, got = run_both(run)
    assert got == want


def test_vae_loss_on_unscaled_pixels_raises_pytorchs_error():
    def case(L):
        recon = L.sigmoid(L.randn(4, 64))
        L.nn.functional.binary_cross_entropy(recon, L.rand(4, 64) * 255, reduction="sum")
    same_error_case(case)


# ---- format(): only a plain 0-d Tensor formats as its number -------------------------------

def test_parameter_format_follows_object_format_as_pytorch():
    def run(L):
        L.manual_seed(0)
        fc = L.nn.Linear(2, 1)
        cases = [lambda: "{:+.2f}".format(fc.bias), lambda: "{:.3e}".format(fc.weight),
                 lambda: format(L.nn.Parameter(L.tensor(2.5)), ".2f"),
                 lambda: format(L.nn.Parameter(L.tensor(2.5)), ""),
                 lambda: "{:+.2f}".format(fc.bias[0]), lambda: "{:+.2f}".format(fc.bias.data),
                 lambda: f"{fc.bias.view(-1)[0]:.3f}", lambda: format(L.tensor([2.5]), "")]
        return [_outcome(c)[:2] for c in cases]
    want, got = run_both(run)
    assert got == want


# ---- normal_: std >= 0 checked before any draw, numbers printed as C++ prints doubles -------

@pytest.mark.parametrize("call", [
    lambda L: L.zeros(3).normal_(0.0, -0.02),
    lambda L: L.zeros(100).normal_(0.0, -0.123456789),
    lambda L: L.zeros(3, dtype=L.double).normal_(1.0, float("nan")),
    lambda L: L.zeros(4, 4).t().normal_(0.0, -1.5),
    lambda L: L.zeros(0).normal_(0.0, -1),
    lambda L: L.nn.init.normal_(L.zeros(3), 0.0, -1.0),
    lambda L: L.nn.init.normal_(L.zeros(3), 0.0, float("-inf")),
    lambda L: L.zeros(3).log_normal_(0.0, -1.0),
    lambda L: L.zeros(3).exponential_(-1),
    lambda L: L.zeros(3).cauchy_(0, -2.5),
])
def test_normal_family_refuses_bad_parameters_and_draws_nothing(call):
    def run(L):
        L.manual_seed(0)
        err = _outcome(lambda: call(L))
        return [err, L.rand(3).tolist()]  # the stream is where PyTorch's is
    want, got = run_both(run)
    assert got == want


def test_dcgan_weights_init_with_normal_data_still_matches_after_the_check():
    def run(L):
        L.manual_seed(999)
        conv = L.nn.ConvTranspose2d(8, 4, 4, 1, 0, bias=False)
        conv.weight.data.normal_(0.0, 0.02)
        bn = L.nn.BatchNorm2d(4)
        bn.weight.data.normal_(1.0, 0.02)
        return [conv.weight.detach().numpy().tolist(), bn.weight.detach().numpy().tolist()]
    want, got = run_both(run)
    assert got == want


# ---- a None operand: PyTorch's argument parser refuses it by type ----------------------------

def test_manual_sgd_step_on_a_parameter_without_grad_raises_pytorchs_typeerror():
    def case(L):
        model = L.nn.Linear(3, 2)
        for p in model.parameters():  # no backward yet: p.grad is None
            p.data.add_(p.grad, alpha=-20.0)
    same_error_case(case)


@pytest.mark.parametrize("call", [
    lambda L, t: t.add(None),
    lambda L, t: t.add(None, alpha=2),
    lambda L, t: L.add(t, None),
    lambda L, t: L.add(t, None, alpha=0.5),
    lambda L, t: L.add(None, t),
    lambda L, t: t.sub_(None, alpha=0.1),
    lambda L, t: L.sub(None, t),
    lambda L, t: t.mul(None),
    lambda L, t: L.mul(t, "x"),
    lambda L, t: t.div_(None),
    lambda L, t: t.div(None, rounding_mode="floor"),
    lambda L, t: L.div(t, "a", rounding_mode=None),
    lambda L, t: t.maximum(None),
    lambda L, t: L.maximum(t, "a"),
    lambda L, t: t.atan2(None),
    lambda L, t: t.pow(None),
    lambda L, t: t.fmod(None),
    lambda L, t: L.remainder(t, None),
    lambda L, t: t.true_divide(None),
    lambda L, t: t.sub({}),
    lambda L, t: t - "a",
    lambda L, t: None * L.nn.Parameter(t),
])
def test_non_tensor_operands_raise_pytorchs_first_line(call):
    got = error_of(lambda: call(ember, ember.ones(2)))
    want = error_of(lambda: call(torch, torch.ones(2)))
    assert got == want


def test_in_place_operator_with_a_string_raises_pythons_message():
    def case(L):
        t = L.ones(2)
        t -= "a"
    same_error_case(case)


def test_array_operands_refused_as_in_pytorch():
    """A NumPy array operand of an op's method or function form is PyTorch's TypeError (it
    was ember's extension until session 21: tests/test_s21_ndarray_args.py has the rest); a
    number still works."""
    same_error_case(lambda L: L.ones(2).add(np.array([1.0, 2.0], np.float32)))
    same_error_case(lambda L: L.mul(L.ones(2), np.array([3.0, 4.0], np.float32)))
    assert (ember.ones(2) + 1).tolist() == torch.add(torch.ones(2), 1).tolist()


# ---- the 2-norm in ATen's order: 8 (float32) / 4 (float64) lanes, then a fused tail -----------

def _norm_cases(L, dt):
    g = np.random.default_rng(11)
    out = []
    for shape, dim in [((50, 40), 1), ((9, 13), -1), ((3, 5, 9), (1, 2)), ((7,), None),
                       ((64, 16), None), ((30, 16), None), ((2, 3, 4, 5), None), ((5, 3), 0),
                       ((100, 3), 1), ((4, 1, 6), (1, 2)), ((1, 1000), 1), ((12,), 0)]:
        a = (g.standard_normal(shape) * 3).astype(dt)
        for x in (L.from_numpy(a.copy()), L.from_numpy(a.copy().T).T if a.ndim > 1 else None):
            if x is None:
                continue
            out += [L.linalg.vector_norm(x, dim=dim), x.norm(2, dim, keepdim=True),
                    L.norm(x, dim=dim)]
            if dim is not None:
                out.append(L.nn.functional.normalize(x, dim=dim if isinstance(dim, int)
                                                     else dim[0]))
    return [(str(r.dtype), tuple(r.shape), r.numpy().tolist()) for r in out]


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_two_norms_round_as_pytorchs_to_the_bit(dt):
    want, got = run_both(lambda L: _norm_cases(L, dt))
    assert got == want


def test_forward_forward_direction_and_grad_norms_to_the_bit():
    def run(L):
        g = np.random.default_rng(3)
        x = L.from_numpy(g.random((50, 40)).astype(np.float32)).requires_grad_()
        w = L.from_numpy(g.standard_normal((30, 40)).astype(np.float32) * 0.1)
        direction = x / (x.norm(2, 1, keepdim=True) + 1e-4)
        h = L.relu(L.mm(direction, w.T))
        (h * L.from_numpy(g.standard_normal((50, 30)).astype(np.float32))).sum().backward()
        return [direction.detach().numpy().tolist(), x.grad.norm().item(),
                [L.linalg.vector_norm(p).item() for p in (x.grad, w, x.grad[:, 1:])]]
    want, got = run_both(run)
    assert got == want


# ---- fast_neural_style's building blocks -------------------------------------------------

def test_fast_neural_style_blocks_gram_matrix_and_losses_as_pytorch():
    def run(L):
        nn = L.nn

        class ConvLayer(nn.Module):
            def __init__(self, cin, cout, k, stride):
                super().__init__()
                self.reflection_pad = nn.ReflectionPad2d(k // 2)
                self.conv2d = nn.Conv2d(cin, cout, k, stride)

            def forward(self, x):
                return self.conv2d(self.reflection_pad(x))

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1, self.in1 = ConvLayer(3, 4, 9, 1), nn.InstanceNorm2d(4, affine=True)
                self.conv2, self.in2 = ConvLayer(4, 8, 3, 2), nn.InstanceNorm2d(8, affine=True)
                self.deconv1, self.in3 = ConvLayer(8, 4, 3, 1), nn.InstanceNorm2d(4, affine=True)
                self.deconv3, self.relu = ConvLayer(4, 3, 9, 1), nn.ReLU()

            def forward(self, X):
                y = self.relu(self.in1(self.conv1(X)))
                y = self.relu(self.in2(self.conv2(y)))
                y = nn.functional.interpolate(y, mode='nearest', scale_factor=2)
                return self.deconv3(self.relu(self.in3(self.deconv1(y))))

        def gram_matrix(y):
            (b, ch, h, w) = y.size()
            features = y.view(b, ch, w * h)
            return features.bmm(features.transpose(1, 2)) / (ch * h * w)

        def normalize_batch(batch):
            mean = batch.new_tensor([0.485, 0.456, 0.406]).view(-1, 1, 1)
            std = batch.new_tensor([0.229, 0.224, 0.225]).view(-1, 1, 1)
            return (batch.div_(255.0) - mean) / std

        L.manual_seed(42)
        net, mse = Net(), nn.MSELoss()
        opt = L.optim.Adam(net.parameters(), 1e-3)
        x, style = L.rand(2, 3, 12, 12) * 255, L.rand(1, 3, 12, 12) * 255
        gram_style = gram_matrix(normalize_batch(style.clone()))
        out = [str(net), gram_style]
        for it in range(2):
            opt.zero_grad()
            yn, xn = normalize_batch(net(x).clone()), normalize_batch(x.clone())
            content_loss = 1e5 * mse(yn, xn)
            gram_y = gram_matrix(yn)
            style_loss = 1e10 * mse(gram_y, gram_style.expand_as(gram_y))
            (content_loss + style_loss).backward()
            opt.step()
            out.append("[{}/2]\tcontent: {:.2f}".format(it, content_loss.item()))
            out += [style_loss]
        with L.no_grad():
            img = net(x)[0].clone().clamp(0, 255).numpy().transpose(1, 2, 0).astype("uint8")
        x4 = L.arange(9.).view(1, 1, 3, 3)
        return shown(out + [img.tolist(), net.in1.weight, nn.ReflectionPad2d(2)(x4),
                            nn.ReflectionPad2d((1, 0, 2, 1))(x4), str(nn.ReflectionPad2d(2)),
                            nn.Upsample(scale_factor=2, mode='nearest')(x4)])
    # the 3 x 144 gram matrices are narrow matmuls (MKL rounds them otherwise: README)
    check(*run_both(run))
