"""Session 13, fast.ai course part 2 ("Deep Learning Foundations to Stable Diffusion", the
miniai notebooks) as its lessons type it: matmul from scratch and broadcasting, mean shift,
hand-written forward/backward with `.g`, Dataset/Sampler/DataLoader by hand and torch's,
callbacks' hooks statistics, init and LSUV, BatchNorm by hand with `lerp_`, the one-cycle and
cosine schedules, augmentation by hand, DDPM's schedule and sampler (autocast and
scans: test_programs_s13_fastai2_b.py); run on ember and compared live with torch 2.13."""

import random

import numpy as np
from torch_compare import run_both


def _np(t):
    return t.detach().numpy().copy()


# ---- matmul from scratch and broadcasting ------------------------------------------------

def _matmuls(L):
    L.manual_seed(1)
    m1, m2 = L.randn(5, 784), L.randn(784, 10)
    c = L.zeros(5, 10)
    for i in range(5):
        for j in range(10):
            c[i, j] = (m1[i, :] * m2[:, j]).sum()
    c2 = L.zeros(5, 10)
    for i in range(5):
        c2[i] = (m1[i, :, None] * m2).sum(dim=0)
    return [_np(c), _np(c2), _np((m1[:, :, None] * m2).sum(1)),
            _np(L.einsum('ik,kj->ikj', m1, m2).sum(1)), _np(L.einsum('ik,kj->ij', m1, m2)),
            _np(m1 @ m2), _np(L.matmul(m1, m2))]


def test_matmul_from_scratch_loops_and_broadcasting_match_bitwise():
    want, got = run_both(_matmuls)
    np.testing.assert_array_equal(got[0], want[0])  # full sums: ATen's cascade order
    # sums along one dim of a 2-D/3-D product (ember's order differs in the last bits, a
    # known gap), and BLAS (OpenBLAS against MKL): a few float32 ulps of values up to ~50
    for g, w in zip(got[1:], want[1:]):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-4)


def test_broadcasting_shapes_strides_and_expand_as():
    def run(L):
        m = L.tensor([[1., 2, 3], [4, 5, 6], [7, 8, 9]])
        c = L.tensor([10., 20, 30])
        t = c.expand_as(m)
        return [t.tolist(), t.stride(), list(t.shape), len(t.untyped_storage()),
                list(c.unsqueeze(0).shape), list(c.unsqueeze(1).shape), list(c[None].shape),
                list(c[..., None].shape), (m + c[:, None]).tolist(),
                (c[None, :] * c[:, None]).tolist(), (c[None] > c[:, None]).tolist(),
                str(c[:, None].expand_as(m)), str((m * m).sum().sqrt())]
    want, got = run_both(run)
    assert got == want


# ---- mean shift ------------------------------------------------------------------------

def _meanshift(L):
    import math
    L.manual_seed(42)
    data = L.cat([L.randn(20, 2) + L.rand(2) * 70 - 35 for _ in range(3)])

    def gaussian(d, bw):
        return L.exp(-0.5 * ((d / bw)) ** 2) / (bw * math.sqrt(2 * math.pi))

    def tri(d, i):
        return (-d + i).clamp_min(0) / i

    def dist_b(a, b):
        return (((a[None] - b[:, None]) ** 2).sum(2)).sqrt()
    X = data.clone()
    for _ in range(2):
        for i, x in enumerate(X):
            w = tri(L.sqrt(((x - X) ** 2).sum(1)), 8)
            X[i] = (w[:, None] * X).sum(0) / w.sum()
    Y = data.clone()
    for _ in range(2):
        for i in range(0, len(Y), 16):
            s = slice(i, min(i + 16, len(Y)))
            w = gaussian(dist_b(Y, Y[s]), 2.5)
            Y[s] = w @ Y / w.sum(1, keepdim=True)
    w = gaussian(dist_b(data, data[:5]), 2)
    return [_np(X), _np(Y), _np((w[..., None] * data[None]).sum(1)),
            _np(L.einsum('ij,jk->ik', w, data))]


def test_meanshift_loop_and_batched_versions_match():
    want, got = run_both(_meanshift)
    # (w[:, None] * X).sum(0): a dim-0 sum, last bits (known gap); w @ X: BLAS rounding
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


# ---- the forward and backward passes by hand ----------------------------------------------

def _by_hand(L):
    L.manual_seed(42)
    x, y = L.randn(30, 20), L.randint(0, 10, (30,)).float()
    w1, b1, w2, b2 = L.randn(20, 8), L.zeros(8), L.randn(8, 1), L.zeros(1)
    l1 = x @ w1 + b1
    l2 = l1.clamp_min(0.)
    out = l2 @ w2 + b2
    diff = out[:, 0] - y
    loss = diff.pow(2).mean()
    out.g = 2. * diff[:, None] / x.shape[0]
    l2.g = out.g @ w2.t()
    w2.g = (l2.unsqueeze(-1) * out.g.unsqueeze(1)).sum(0)
    b2.g = out.g.sum(0)
    l1.g = (l1 > 0).float() * l2.g
    w1.g = x.t() @ l1.g
    b1.g = l1.g.sum(0)
    ps = [t.clone().requires_grad_(True) for t in (w1, b1, w2, b2)]
    loss2 = ((x @ ps[0] + ps[1]).clamp_min(0.) @ ps[2] + ps[3]).squeeze(-1).sub(y).pow(2).mean()
    loss2.backward()
    ok = [bool(L.allclose(t.g, p.grad, rtol=0.01, atol=1e-5)) for t, p in zip((w1, b1, w2, b2), ps)]
    return [loss.item(), loss2.item(), ok, _np(w2.g), _np(b1.g), str(loss2.grad_fn)[:14]]


def test_hand_written_backward_agrees_with_autograd_as_in_pytorch():
    want, got = run_both(_by_hand)
    assert got[2] == want[2] == [True] * 4
    assert got[5] == want[5]
    np.testing.assert_allclose(got[:2], want[:2], rtol=1e-6)  # x @ w1: BLAS rounding
    for g, w in zip(got[3:5], want[3:5]):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def test_log_softmax_logsumexp_and_nll_by_hand():
    def run(L):
        L.manual_seed(0)
        pred, yb = L.randn(12, 10) * 3, L.randint(0, 10, (12,))
        sm = (pred.exp() / (pred.exp().sum(-1, keepdim=True))).log()
        m = pred.max(-1)[0]
        lse = m + (pred - m[:, None]).exp().sum(-1).log()
        nll = -sm[range(yb.shape[0]), yb].mean()
        return [_np(sm), _np(lse), _np(pred.logsumexp(-1)), nll.item(),
                L.nn.functional.cross_entropy(pred, yb).item(),
                _np(sm[[0, 1, 2], yb[:3]]), (pred.argmax(dim=1) == yb).float().mean().item()]
    want, got = run_both(run)
    assert got[-1] == want[-1]
    for g, w in zip(got[:-1], want[:-1]):  # NumPy's float32 exp: an ulp apart at times
        np.testing.assert_allclose(g, w, rtol=2e-6, atol=1e-6)


# ---- Dataset, Sampler, collate, DataLoader -------------------------------------------------

def test_samplers_batch_samplers_and_collate_draw_pytorchs_batches():
    def run(L):
        D = L.utils.data
        L.manual_seed(42)
        x, y = L.randn(23, 3), L.arange(23)

        class DS:
            def __len__(self):
                return len(x)

            def __getitem__(self, i):
                return x[i], y[i]
        ds = DS()
        bs = D.BatchSampler(D.RandomSampler(ds), 5, drop_last=False)
        order = [list(b) for b in bs]
        dl = D.DataLoader(ds, batch_sampler=D.BatchSampler(D.SequentialSampler(ds), 4, False),
                          collate_fn=lambda b: tuple(L.stack(t) for t in zip(*b)))
        seq = [yb.tolist() for _, yb in dl]
        sh = [yb.tolist() for _, yb in D.DataLoader(ds, 6, shuffle=True, drop_last=True)]
        col = D.default_collate([(L.ones(2), 3), (L.zeros(2), 4)])
        dcol = D.default_collate([{'a': L.tensor(1.), 'b': 2.5}, {'a': L.tensor(2.), 'b': 3.5}])
        return [order, seq, sh, [c.tolist() for c in col], str(col[1].dtype),
                {k: (v.tolist(), str(v.dtype)) for k, v in dcol.items()},
                len(D.DataLoader(ds, 6, drop_last=True)), len(D.DataLoader(ds, 6))]
    want, got = run_both(run)
    assert got == want


# ---- hooks' activation statistics, init, GeneralRelu, LSUV -------------------------------

def test_activation_histograms_with_histc_and_log1p():
    def run(L):
        L.manual_seed(0)
        acts = [L.randn(64, 8, 7, 7) * s + s / 2 for s in (0.5, 1., 3.)]
        hist = L.stack([a.abs().histc(40, 0, 10) for a in acts]).t().float()
        return [_np(hist), _np(hist.log1p()), _np(hist[0] / hist.sum(0)),
                [(a.mean().item(), a.std().item()) for a in acts]]
    want, got = run_both(run)
    for g, w in zip(got[:3], want[:3]):
        np.testing.assert_array_equal(g, w)
    assert got[3] == want[3]


def _general_relu(L, x, leak=0.1, sub=0.4, maxv=6.):
    F = L.nn.functional
    x = F.leaky_relu(x, leak) if leak is not None else F.relu(x)
    x = x - sub  # (the course's `x -= sub` on a non-leaf)
    return x.clamp_max_(maxv)


def test_general_relu_kaiming_init_and_gradients():
    def run(L):
        L.manual_seed(1)
        conv = L.nn.Conv2d(1, 8, 3, stride=2, padding=1)
        L.nn.init.kaiming_normal_(conv.weight, a=0.1)
        lin = L.nn.Linear(20, 30)
        L.nn.init.kaiming_normal_(lin.weight, a=0.1)
        x = (L.randn(6, 20) * 30).requires_grad_()
        y = _general_relu(L, x)
        y.sum().backward()
        return [_np(conv.weight), _np(lin.weight), _np(y), _np(x.grad), str(y.grad_fn)[:16]]
    want, got = run_both(run)
    for g, w in zip(got[:4], want[:4]):
        np.testing.assert_array_equal(g, w)
    assert got[4] == want[4]


def _lsuv(L):
    L.manual_seed(1)
    nn = L.nn
    model = nn.Sequential(nn.Linear(30, 20), nn.LeakyReLU(0.1), nn.Linear(20, 10), nn.LeakyReLU(0.1))
    xb = L.randn(64, 30)
    stats = []

    def hook(mod, inp, out):
        stats[:] = [out.mean(), out.std()]
    res = []
    for lin, act in ((model[0], model[1]), (model[2], model[3])):
        h = act.register_forward_hook(hook)
        with L.no_grad():
            model(xb)
            for _ in range(50):
                if abs(stats[1] - 1) <= 1e-3 and abs(stats[0]) <= 1e-3:
                    break
                lin.bias -= stats[0]
                lin.weight.data /= stats[1]
                model(xb)
        h.remove()
        res.append([s.item() for s in stats])
    return res


def test_lsuv_init_reaches_unit_std_as_in_pytorch():
    want, got = run_both(_lsuv)
    np.testing.assert_allclose(got, want, atol=2e-6)  # BLAS rounding in each model(xb)
    assert all(abs(s - 1) <= 1e-3 for _, s in got)


# ---- BatchNorm and LayerNorm by hand (running statistics by lerp_) ------------------------

def _hand_norms(L):
    L.manual_seed(0)
    x = L.randn(8, 4, 5, 5) * 2 + 0.5
    means, vars_ = L.zeros(1, 4, 1, 1), L.ones(1, 4, 1, 1)
    for _ in range(3):
        m, v = x.mean((0, 2, 3), keepdim=True), x.var((0, 2, 3), keepdim=True)
        means.lerp_(m, 0.1)
        vars_.lerp_(v, 0.1)
    bn = (x - m) / (v + 1e-5).sqrt()
    lm, lv = x.mean((1, 2, 3), keepdim=True), x.var((1, 2, 3), keepdim=True)
    ln = (x - lm) / ((lv + 1e-5).sqrt())
    ev = (x - means) / (vars_ + 1e-5).sqrt() * L.ones(4, 1, 1) + L.zeros(4, 1, 1)
    return [_np(means), _np(vars_), _np(bn), _np(ln), _np(ev), list(ev.shape)]


def test_batchnorm_and_layernorm_by_hand_match_bitwise():
    want, got = run_both(_hand_norms)
    assert got[-1] == want[-1]
    for i in (0, 1, 2, 4):  # mean/var over (0, 2, 3), lerp_: bitwise
        np.testing.assert_array_equal(got[i], want[i])
    # mean over (1, 2, 3): a per-row sum in another order than ATen's (known gap)
    np.testing.assert_allclose(got[3], want[3], rtol=1e-6, atol=1e-6)


# ---- schedulers --------------------------------------------------------------------------

def test_onecycle_and_cosine_annealing_lr_sequences():
    def run(L):
        p = [L.nn.Parameter(L.zeros(2))]
        opt = L.optim.AdamW(p, lr=0.2)
        sch = L.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.3, total_steps=8)
        g = opt.param_groups[0]
        seq = [(g['lr'], g['betas'], g['initial_lr'], g['max_lr'], g['min_lr'])]
        for _ in range(8):
            opt.step()
            sch.step()
            seq.append((sch.get_last_lr(), g['betas']))
        opt2 = L.optim.SGD(p, lr=0.1)
        cos = L.optim.lr_scheduler.CosineAnnealingLR(opt2, 10)
        seq.append((cos.base_lrs, cos.get_last_lr()))
        for _ in range(12):
            opt2.step()
            cos.step()
            seq.append((cos.get_last_lr(), opt2.param_groups[0]['lr']))
        return seq + [sorted(g), sorted(sch.state_dict())]
    want, got = run_both(run)
    assert got == want


# ---- augmentation by hand ------------------------------------------------------------------

def test_flip_crop_and_erase_augmentations_match_bitwise():
    def run(L):
        F = L.nn.functional
        L.manual_seed(3)
        xb = L.arange(4 * 1 * 5 * 5.).reshape(4, 1, 5, 5)
        flip = L.rand(4, 1, 1, 1) > 0.5
        flipped = L.where(flip, xb.flip(-1), xb)
        xp = F.pad(xb, (1, 1, 1, 1))
        ix, iy = L.randint(0, 3, (4,)), L.randint(0, 3, (4,))
        crops = L.stack([xp[i, :, iy[i]:iy[i] + 5, ix[i]:ix[i] + 5] for i in range(4)])
        random.seed(0)
        xe = L.randn(4, 1, 8, 8)
        mn, mx = xe.min(), xe.max()
        st = int(random.random() * 0.75 * 8)
        L.nn.init.normal_(xe[:, :, st:st + 2, st:st + 2], mean=xe.mean().item(), std=xe.std().item())
        xe.clamp_(mn, mx)
        return [_np(L.flip(xb, dims=[3])), _np(flipped), _np(crops), _np(xe)]
    want, got = run_both(run)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


# ---- DDPM: schedule, noisify, sampler ----------------------------------------------------

def _ddpm(L):
    L.manual_seed(1)
    n_steps = 50
    beta = L.linspace(0.0001, 0.02, n_steps)
    alpha = 1. - beta
    alphabar = alpha.cumprod(dim=0)
    sigma = beta.sqrt()
    x0 = L.rand(4, 1, 8, 8) * 2 - 1
    t = L.randint(0, n_steps, (4,), dtype=L.long)
    eps = L.randn(x0.shape)
    ab_t = alphabar[t].reshape(-1, 1, 1, 1)
    xt = ab_t.sqrt() * x0 + (1 - ab_t).sqrt() * eps
    x_t = L.randn(4, 1, 8, 8)
    for s in reversed(range(n_steps)):
        z = L.randn(x_t.shape) if s > 0 else L.zeros(x_t.shape)
        ab_t1 = alphabar[s - 1] if s > 0 else L.tensor(1)
        bb_t, bb_t1 = 1 - alphabar[s], 1 - ab_t1
        noise = L.randn_like(x_t) * 0.1
        x0_hat = ((x_t - bb_t.sqrt() * noise) / alphabar[s].sqrt()).clamp(-1, 1)
        x_t = (x0_hat * (ab_t1.sqrt() * (1 - alpha[s]) / bb_t)
               + x_t * (alpha[s].sqrt() * bb_t1 / bb_t) + sigma[s] * z)
    return [_np(beta), _np(alphabar), _np(sigma), t.tolist(), _np(xt), _np(x_t),
            str(alphabar.dtype), str((L.tensor(1) - alphabar[3]).dtype)]


def test_ddpm_schedule_noisify_and_sampling_loop_match_bitwise():
    want, got = run_both(_ddpm)
    assert got[3] == want[3] and got[6:] == want[6:]
    for g, w in zip(got[:6], want[:6]):
        if isinstance(w, np.ndarray):
            np.testing.assert_array_equal(g, w)
