"""Generative-model programs (VAE, DCGAN, DDPM, hand-written augmentation, distributions,
DataLoader sampling) give PyTorch 2.13's numbers under the same manual_seed: the draws
exactly, trained values up to float rounding of BLAS products."""

import math

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _run(fn, seed=0):
    out = []
    for lib in (torch, ember):
        lib.manual_seed(seed)
        res = fn(lib)
        out.append([np.asarray(r.detach().numpy() if hasattr(r, "detach") else r)
                    for r in res] + [lib.randn(5).numpy(), lib.rand(3).numpy()])
    return out


def _exact(a, b):
    for x, y in zip(a, b, strict=True):
        assert x.shape == y.shape
        np.testing.assert_array_equal(x, y)


def _close(a, b, rtol):
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x, y, rtol=rtol, atol=rtol)


def _vae(lib):
    nn, F = lib.nn, lib.nn.functional
    enc, mu, lv, dec = nn.Linear(16, 8), nn.Linear(8, 4), nn.Linear(8, 4), nn.Linear(4, 16)
    params = [p for m in (enc, mu, lv, dec) for p in m.parameters()]
    opt = lib.optim.Adam(params, lr=1e-2)
    data = (lib.rand(24, 16) > 0.5).float()
    losses = []
    for _ in range(2):
        for idx in lib.randperm(24).split(8):
            x = data[idx]
            h = F.relu(enc(x))
            m, v = mu(h), lv(h)
            z = m + lib.randn_like(m) * (0.5 * v).exp()
            r = lib.sigmoid(dec(z))
            loss = (F.binary_cross_entropy(r, x, reduction="sum")
                    - 0.5 * lib.sum(1 + v - m.pow(2) - v.exp()))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return [np.array(losses), lib.bernoulli(r.detach())]


def test_vae_reparameterised_training():
    t, e = _run(_vae)
    # the losses carry float32 rounding of the matmuls: a few ulps per step
    np.testing.assert_allclose(e[0], t[0], rtol=1e-5)
    _exact(t[2:], e[2:])  # the Bernoulli draw and the trailing draws: same count, same values


def _dcgan(lib):
    nn = lib.nn

    def weights_init(m):
        name = m.__class__.__name__
        if "Conv" in name:
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif "BatchNorm" in name:
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.constant_(m.bias, 0)

    G = nn.Sequential(nn.ConvTranspose2d(8, 8, 4, 1, 0, bias=False), nn.BatchNorm2d(8),
                      nn.ReLU(True), nn.ConvTranspose2d(8, 1, 4, 2, 1, bias=False), nn.Tanh())
    D = nn.Sequential(nn.Conv2d(1, 4, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
                      nn.Conv2d(4, 1, 4, 1, 0, bias=False), nn.Sigmoid())
    G.apply(weights_init)
    D.apply(weights_init)
    init = [G[0].weight.detach().clone(), G[1].weight.detach().clone(),
            D[0].weight.detach().clone()]
    crit = nn.BCELoss()
    oD = lib.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    oG = lib.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real_all = lib.rand(16, 1, 8, 8) * 2 - 1
    losses = []
    for _ in range(3):
        real = real_all[lib.randint(0, 16, (4,))]
        D.zero_grad()
        eD = crit(D(real).view(-1), lib.full((4,), 1.0))
        fake = G(lib.randn(4, 8, 1, 1))
        eDf = crit(D(fake.detach()).view(-1), lib.full((4,), 0.0))
        (eD + eDf).backward()
        oD.step()
        G.zero_grad()
        eG = crit(D(fake).view(-1), lib.full((4,), 1.0))
        eG.backward()
        oG.step()
        losses += [eD.item() + eDf.item(), eG.item()]
    return init + [np.array(losses)]


def test_dcgan_weights_init_and_steps():
    t, e = _run(_dcgan, seed=1)
    _exact(t[:3], e[:3])  # normal_ through model.apply: PyTorch's values exactly
    np.testing.assert_allclose(e[3], t[3], rtol=1e-5)  # conv sums: float32 rounding
    _exact(t[4:], e[4:])


def _ddpm(lib):
    nn, F = lib.nn, lib.nn.functional
    T = 20
    betas = lib.linspace(1e-4, 0.02, T)
    abar = lib.cumprod(1 - betas, 0)
    conv, norm, emb = nn.Conv2d(1, 8, 3, padding=1), nn.GroupNorm(2, 8), nn.Linear(8, 8)
    out = nn.Conv2d(8, 1, 3, padding=1)
    params = [p for m in (conv, norm, emb, out) for p in m.parameters()]
    opt = lib.optim.AdamW(params, lr=1e-3)

    def net(x, t):
        f = lib.exp(-math.log(10000) * lib.arange(4, dtype=lib.float32) / 4)
        a = t.float()[:, None] * f[None]
        h = F.silu(norm(conv(x))) + emb(lib.cat([a.sin(), a.cos()], -1))[:, :, None, None]
        return out(h)

    data = lib.randn(16, 1, 6, 6)
    losses, ts = [], []
    for _ in range(3):
        x0 = data[lib.randperm(16)[:4]]
        t = lib.randint(0, T, (4,))
        noise = lib.randn_like(x0)
        ab = abar[t].view(-1, 1, 1, 1)
        loss = F.mse_loss(net(ab.sqrt() * x0 + (1 - ab).sqrt() * noise, t), noise)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        ts.append(t)
    return [lib.stack(ts), np.array(losses)]


def test_ddpm_training_steps():
    t, e = _run(_ddpm, seed=2)
    _exact(t[:1], e[:1])
    np.testing.assert_allclose(e[1], t[1], rtol=1e-5)
    _exact(t[2:], e[2:])


def _augment(lib):
    imgs = lib.rand(6, 3, 8, 8)
    pad = lib.nn.functional.pad(imgs, (2, 2, 2, 2), mode="reflect")
    ys, xs = lib.randint(0, 5, (6,)), lib.randint(0, 5, (6,))
    crops = lib.stack([pad[i, :, ys[i]:ys[i] + 8, xs[i]:xs[i] + 8] for i in range(6)])
    flip = lib.rand(6) < 0.5
    crops[flip] = crops[flip].flip(-1)
    crops = crops + lib.empty_like(crops).uniform_(-0.05, 0.05)
    return [crops, lib.randperm(6), lib.empty(4).exponential_(2.0)]


def test_hand_written_augmentation():
    t, e = _run(_augment, seed=3)
    _exact(t, e)


def _dist_cases(D, lib):
    f64 = lib.float64
    z, o = lib.tensor(0.0), lib.tensor(1.0)
    return {
        "uniform": lambda: D.Uniform(lib.tensor([0.0, 1.0]), lib.tensor([2.0, 5.0])).rsample((3,)),
        "uniform64": lambda: D.Uniform(lib.zeros(3, dtype=f64), 1.0).sample((2,)),
        "exponential": lambda: D.Exponential(lib.tensor([1.0, 2.0])).rsample((3,)),
        "laplace": lambda: D.Laplace(z, lib.tensor(2.0)).rsample((4,)),
        "laplace64": lambda: D.Laplace(lib.zeros(3, dtype=f64), 1.0).sample(),
        "gumbel": lambda: D.Gumbel(z, o).rsample((4,)),
        "cauchy": lambda: D.Cauchy(z, o).rsample((4,)),
        "geometric": lambda: D.Geometric(lib.tensor(0.3)).sample((6,)),
        "cont_bernoulli": lambda: D.ContinuousBernoulli(lib.tensor(0.3)).rsample((4,)),
        "gen_pareto": lambda: D.GeneralizedPareto(z, o, lib.tensor(0.2)).rsample((4,)),
        "relaxed_bernoulli": lambda: D.RelaxedBernoulli(
            lib.tensor(0.5), probs=lib.tensor([0.3, 0.6])).rsample((2,)),
        "relaxed_onehot": lambda: D.RelaxedOneHotCategorical(
            lib.tensor(0.7), logits=lib.tensor([[0.1, 0.2, 0.3], [1.0, 0.0, -1.0]])).rsample((2,)),
        "onehot": lambda: D.OneHotCategorical(probs=lib.tensor([0.2, 0.3, 0.5])).sample((5,)),
        "multinomial": lambda: D.Multinomial(10, lib.tensor([0.2, 0.3, 0.5])).sample((2,)),
        "lowrank_mvn": lambda: D.LowRankMultivariateNormal(
            lib.zeros(3), lib.ones(3, 1), lib.ones(3)).rsample((2,)),
        "weibull": lambda: D.Weibull(o, lib.tensor(1.5)).sample((4,)),
        "pareto": lambda: D.Pareto(o, lib.tensor(2.0)).sample((4,)),
        "kumaraswamy": lambda: D.Kumaraswamy(lib.tensor(2.0), lib.tensor(3.0)).sample((4,)),
        "von_mises": lambda: D.VonMises(lib.tensor([0.5, -1.0]), lib.tensor([2.0, 0.3]))
        .sample((4,)),
        "gamma": lambda: D.Gamma(lib.tensor([0.5, 2.0, 9.0]), o).sample((2,)),
        "gamma64": lambda: D.Gamma(lib.tensor([0.3, 4.0], dtype=f64), 2.0).sample((3,)),
        "beta": lambda: D.Beta(lib.tensor(2.0), lib.tensor(3.0)).sample((4,)),
        "chi2": lambda: D.Chi2(lib.tensor(3.0)).sample((3,)),
        "student_t": lambda: D.StudentT(lib.tensor(4.0)).sample((3,)),
        "poisson": lambda: D.Poisson(lib.tensor([0.0, 3.0, 15.0])).sample((3,)),
        "torch_poisson": lambda: lib.poisson(lib.tensor([0.5, 2.0, 9.9, 10.0, 30.0, 1000.0])),
    }


CASES = sorted(_dist_cases(ember.distributions, ember))


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("seed", (0, 4))
def test_distribution_draws_are_pytorchs(name, seed):
    t, e = _run(lambda lib: [_dist_cases(lib.distributions, lib)[name]()], seed)
    # a draw goes through log/exp/tan/acos of PyTorch's kernels: equal up to an ulp or two
    _close(t[:1], e[:1], 2e-6 if t[0].dtype == np.float32 else 1e-12)
    _exact(t[1:], e[1:])  # the same number of draws was taken


def _loaders(lib):
    data = lib.utils.data
    ds = data.TensorDataset(lib.arange(20).float(), lib.arange(20))
    g = lib.Generator().manual_seed(42)
    dl = data.DataLoader(ds, batch_size=6, shuffle=True, generator=g, drop_last=True)
    epochs = [lib.cat([b[1] for b in dl]) for _ in range(2)]
    plain = data.DataLoader(ds, batch_size=7, shuffle=True)
    epochs += [lib.cat([b[1] for b in plain]) for _ in range(2)]
    w = lib.tensor([0.1] * 10 + [1.0] * 10)
    wrs = data.DataLoader(ds, batch_size=5,
                          sampler=data.WeightedRandomSampler(w, 10, replacement=True))
    epochs.append(lib.cat([b[1] for b in wrs]))
    epochs.append(lib.tensor(list(data.WeightedRandomSampler(w, 5, replacement=False))))
    a, b = data.random_split(ds, [14, 6], generator=lib.Generator().manual_seed(1))
    c, d, f = data.random_split(ds, [0.5, 0.3, 0.2])
    return epochs + [np.array(a.indices), np.array(d.indices), np.array(f.indices)]


def test_dataloader_sampling():
    t, e = _run(_loaders, seed=5)
    _exact(t, e)
