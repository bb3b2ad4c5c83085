"""Session 14, UvA Deep Learning Course tutorials 8, 9 and 11 (energy-based models with
Langevin sampling, convolutional autoencoders, normalizing flows on images), small and on
synthetic data, run live on ember and torch 2.13: printed output, values, and the errors of
common mistakes. Numbers through convolutions, softplus/sigmoid or sums along dims are
compared to rtol 1e-5 (oneDNN against NumPy's BLAS, Sleef's exp, PyTorch's summation order:
README, "Differences"); the rest exactly."""

import math
import random

import numpy as np
from torch_compare import exact_and_close, same_error_case, same as _same

BLAS = dict(rtol=1e-5, atol=1e-6)


def _close(fn, **tol):
    """fn(L) -> (exact part, values compared to rounding: BLAS, unless told)."""
    exact_and_close(fn, **(tol or BLAS))


# ---- tutorial 8: energy-based models ------------------------------------------------------

def _swish_cnn(L, hidden=8):
    nn = L.nn

    class Swish(nn.Module):
        def forward(self, x):
            return x * L.sigmoid(x)

    c1, c2, c3 = hidden // 2, hidden, hidden * 2
    return nn.Sequential(
        nn.Conv2d(1, c1, kernel_size=5, stride=2, padding=4), Swish(),
        nn.Conv2d(c1, c2, kernel_size=3, stride=2, padding=1), Swish(),
        nn.Conv2d(c2, c3, kernel_size=3, stride=2, padding=1), Swish(),
        nn.Flatten(), nn.Linear(c3 * 3 * 3, c3), Swish(), nn.Linear(c3, 1))


def _langevin(L, model, inp_imgs, steps, step_size):
    """The notebook's generate_samples: parameters frozen, the images a leaf updated
    through .data, the gradient clamped in place through .grad.data."""
    was_training = model.training
    model.eval()
    for p in model.parameters():
        p.requires_grad = False
    inp_imgs.requires_grad = True
    had_grad = L.is_grad_enabled()
    L.set_grad_enabled(True)
    noise = L.randn(inp_imgs.shape)
    for _ in range(steps):
        noise.normal_(0, 0.005)
        inp_imgs.data.add_(noise.data)
        inp_imgs.data.clamp_(min=-1.0, max=1.0)
        out = -model(inp_imgs)
        out.sum().backward()
        inp_imgs.grad.data.clamp_(-0.03, 0.03)
        inp_imgs.data.add_(-step_size * inp_imgs.grad.data)
        inp_imgs.grad.detach_()
        inp_imgs.grad.zero_()
        inp_imgs.data.clamp_(min=-1.0, max=1.0)
    for p in model.parameters():
        p.requires_grad = True
    model.train(was_training)
    L.set_grad_enabled(had_grad)
    return inp_imgs


def test_energy_model_contrastive_divergence_as_pytorch():
    def run(L):
        L.manual_seed(42)
        random.seed(42)
        model = _swish_cnn(L)
        buffer = [(L.rand((1, 1, 20, 20)) * 2 - 1) for _ in range(8)]
        opt = L.optim.Adam(model.parameters(), lr=1e-4, betas=(0.0, 0.999))
        sched = L.optim.lr_scheduler.StepLR(opt, 1, gamma=0.97)
        out, vals = [str(model)], []
        for _ in range(3):
            real = L.rand(4, 1, 20, 20) * 2 - 1
            real.add_(L.randn_like(real) * 0.005).clamp_(min=-1.0, max=1.0)
            fake = L.cat(random.choices(buffer, k=4), dim=0).detach()
            fake = _langevin(L, model, fake, steps=3, step_size=10)
            buffer = list(fake.chunk(4, dim=0)) + buffer
            real_out, fake_out = model(L.cat([real, fake], dim=0)).chunk(2, dim=0)
            reg_loss = 0.1 * (real_out ** 2 + fake_out ** 2).mean()
            cdiv_loss = fake_out.mean() - real_out.mean()
            loss = reg_loss + cdiv_loss
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            vals += [loss.detach().numpy(), fake.detach().numpy()]
            out.append(repr(sched.get_last_lr()))
        out += [str(fake.requires_grad), str(fake.is_leaf), str(fake.grad is None),
                str(L.is_grad_enabled()), str(all(p.requires_grad for p in model.parameters()))]
        return out, vals
    _close(run)


def test_energy_model_mistakes_as_pytorch():
    def grad_before_backward(L):
        x = L.rand(2, 3)
        x.requires_grad = True
        x.grad.data.clamp_(-0.03, 0.03)

    def int_requires_grad(L):
        x = L.rand(3).long()
        x.requires_grad = True

    def nonleaf_requires_grad_off(L):
        x = L.ones(2, requires_grad=True)
        (x * 2).requires_grad = False

    for case in (grad_before_backward, int_requires_grad, nonleaf_requires_grad_off):
        same_error_case(case)

    def data_update(L):
        z = L.tensor([[0.5, -0.25, 2.0], [1.5, -3.0, 0.125]])
        z.requires_grad = True
        (z * 2).sum().backward()
        z.data.add_(-2 * z.grad.data)
        t = L.tensor([0.3, 0.7])
        t.clamp_(min=1.0, max=-1.0)
        return [repr(z), repr(z.grad), repr(t), str(z.is_leaf)]
    _same(data_update)


# ---- tutorial 9: autoencoders -------------------------------------------------------------

def _autoencoder(L, c=4, latent=8):
    nn = L.nn
    enc = nn.Sequential(
        nn.Conv2d(3, c, 3, padding=1, stride=2), nn.GELU(),
        nn.Conv2d(c, 2 * c, 3, padding=1, stride=2), nn.GELU(),
        nn.Flatten(), nn.Linear(2 * c * 16, latent))
    lin = nn.Sequential(nn.Linear(latent, 2 * 16 * c), nn.GELU())
    dec = nn.Sequential(
        nn.ConvTranspose2d(2 * c, c, 3, output_padding=1, padding=1, stride=2), nn.GELU(),
        nn.ConvTranspose2d(c, 3, 3, output_padding=1, padding=1, stride=2), nn.Tanh())
    return enc, lin, dec


def test_autoencoder_reconstruction_loss_as_pytorch():
    """MSE with reduction='none', summed over [1, 2, 3] and averaged over the batch;
    ReduceLROnPlateau on the loss."""
    def run(L):
        L.manual_seed(42)
        enc, lin, dec = _autoencoder(L)
        params = [*enc.parameters(), *lin.parameters(), *dec.parameters()]
        opt = L.optim.Adam(params, lr=1e-3)
        sched = L.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.2, patience=1,
                                                       min_lr=5e-5)
        data = L.rand(8, 3, 16, 16) * 2 - 1
        out, vals = [str(dec)], []
        for it in range(4):
            x = data[(it % 2) * 4:(it % 2) * 4 + 4]
            x_hat = dec(lin(enc(x)).reshape(x.shape[0], -1, 4, 4))
            loss = L.nn.functional.mse_loss(x, x_hat, reduction="none")
            loss = loss.sum(dim=[1, 2, 3]).mean(dim=[0])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step(loss.item())
            out += [repr(x_hat.shape), str(opt.param_groups[0]["lr"])]
            vals += [loss.detach().numpy(), x_hat.detach().numpy()]
        out.append(str(sched.state_dict()["num_bad_epochs"]))
        return out, vals
    _close(run)


def test_autoencoder_mistakes_as_pytorch():
    def output_padding(L):
        ct = L.nn.ConvTranspose2d(4, 2, kernel_size=3, output_padding=2, padding=1, stride=2)
        ct(L.randn(1, 4, 4, 4))

    def wrong_image_size(L):
        enc = _autoencoder(L)[0]
        enc(L.zeros(2, 3, 12, 12))

    def mse_shapes(L):
        L.nn.functional.mse_loss(L.zeros(2, 3), L.zeros(2, 4))

    def sum_dim(L):
        L.zeros(2, 3, 4, 4).sum(dim=[1, 2, 4])

    def reshape_latent(L):
        L.zeros(2, 40).reshape(2, -1, 4, 4)

    for case in (output_padding, wrong_image_size, mse_shapes, sum_dim, reshape_latent):
        same_error_case(case)
    _same(lambda L: [repr(L.nn.ConvTranspose2d(4, 2, 3, output_padding=1, padding=1,
                                               stride=2)(L.zeros(1, 4, 4, 4)).shape),
                     repr(L.nn.functional.mse_loss(L.zeros(2, 3), L.ones(3)))])


# ---- tutorial 11: normalizing flows on images ---------------------------------------------

def _checkerboard(L, h, w, invert=False):
    x, y = L.arange(h, dtype=L.int32), L.arange(w, dtype=L.int32)
    xx, yy = L.meshgrid(x, y, indexing="ij")
    mask = L.fmod(xx + yy, 2).to(L.float32).view(1, 1, h, w)
    return 1 - mask if invert else mask


def _channel_mask(L, c, invert=False):
    mask = L.cat([L.ones(c // 2, dtype=L.float32), L.zeros(c - c // 2, dtype=L.float32)])
    mask = mask.view(1, c, 1, 1)
    return 1 - mask if invert else mask


def _squeeze(z, reverse=False):
    B, C, H, W = z.shape
    if not reverse:
        z = z.reshape(B, C, H // 2, 2, W // 2, 2).permute(0, 1, 3, 5, 2, 4)
        return z.reshape(B, 4 * C, H // 2, W // 2)
    z = z.reshape(B, C // 4, 2, 2, H, W).permute(0, 1, 4, 2, 5, 3)
    return z.reshape(B, C // 4, H * 2, W * 2)


def _coupling(L, c_in, mask):
    nn = L.nn
    net = nn.Sequential(nn.Conv2d(c_in, 8, 3, padding=1), nn.ELU(), nn.Conv2d(8, 2 * c_in, 3,
                                                                                padding=1))
    net[-1].weight.data.normal_(std=0.05)
    scale = nn.Parameter(L.zeros(c_in))

    def flow(z, ldj, reverse=False):
        s, t = net(z * mask).chunk(2, dim=1)
        s_fac = scale.exp().view(1, -1, 1, 1)
        s = L.tanh(s / s_fac) * s_fac
        s, t = s * (1 - mask), t * (1 - mask)
        if not reverse:
            return (z + t) * L.exp(s), ldj + s.sum(dim=[1, 2, 3])
        return (z * L.exp(-s)) - t, ldj - s.sum(dim=[1, 2, 3])
    return flow, [*net.parameters(), scale]


def test_flow_masks_and_squeeze_print_as_pytorch():
    def run(L):
        img = L.arange(1, 17).view(1, 1, 4, 4)
        fwd = _squeeze(img)
        return [repr(_checkerboard(L, 4, 4)), repr(_checkerboard(L, 3, 3, invert=True)),
                repr(_channel_mask(L, 3)), repr(fwd.permute(0, 2, 3, 1)),
                repr(_squeeze(fwd, reverse=True)), repr(L.arange(-3, 3) % 2),
                repr(L.fmod(L.arange(-3, 3), 2)), str(fwd.is_contiguous())]
    _same(run)


def test_normalizing_flow_bits_per_dim_as_pytorch():
    """Dequantization with its log-determinant, checkerboard and channel couplings with
    tanh-bounded scales, a squeeze, the standard-normal prior written out, bits per dim."""
    def run(L):
        L.manual_seed(42)
        alpha, quants = 1e-5, 256
        f1, p1 = _coupling(L, 1, _checkerboard(L, 8, 8))
        f2, p2 = _coupling(L, 1, _checkerboard(L, 8, 8, invert=True))
        f3, p3 = _coupling(L, 4, _channel_mask(L, 4))
        opt = L.optim.Adam(p1 + p2 + p3, lr=1e-3)
        imgs = L.randint(0, 256, (4, 1, 8, 8))
        out, vals = [], []
        for _ in range(3):
            z = imgs.to(L.float32)
            z = (z + L.rand_like(z).detach()) / quants
            ldj = L.zeros(imgs.shape[0]) - np.log(quants) * np.prod(z.shape[1:])
            z = z * (1 - alpha) + 0.5 * alpha
            ldj += np.log(1 - alpha) * np.prod(z.shape[1:])
            ldj += (-L.log(z) - L.log(1 - z)).sum(dim=[1, 2, 3])
            z = L.log(z) - L.log(1 - z)
            z, ldj = f1(z, ldj)
            z, ldj = f2(z, ldj)
            z, ldj = f3(_squeeze(z), ldj)
            log_pz = (-0.5 * z ** 2 - 0.5 * math.log(2 * math.pi)).sum(dim=[1, 2, 3])
            bpd = (-(ldj + log_pz) * np.log2(np.exp(1)) / np.prod(imgs.shape[1:])).mean()
            opt.zero_grad()
            bpd.backward()
            opt.step()
            out += [repr(bpd.dtype), repr(ldj.shape), f"{bpd.item():.3f}"]
            vals += [bpd.detach().numpy(), z.detach().numpy()]
        with L.no_grad():
            back, _ = f3(z, ldj, reverse=True)
        vals.append(back.numpy())
        out.append(repr((L.tensor([1.5, 2.0]) * np.log(256) * np.prod((1, 8, 8))).dtype))
        return out, vals
    _close(run)
