"""Variants users write around the same code (tests/test_programs_s20_explore.py): DrQ's
(v1, denisyarats/drq) augmentation as nn.ReplicationPad2d + kornia-free random crop, the
shift augmentation with other grid_sample settings, and the free-nats KL variants of Dreamer
ports (torch.maximum against a tensor, clamp(min=...), a per-sample floor with .mean())."""

import numpy as np
from s16_yunjey_progs import Out


def shift_aug_variants(L):
    """RandomShiftsAug's grid with other grid_sample modes (nearest, border / reflection
    padding, align_corners=True), drq v1's ReplicationPad2d + random crop by slicing, F.pad's
    other modes on the frames, and the gradient each passes back."""
    nn, F = L.nn, L.nn.functional
    with Out() as o:
        L.manual_seed(21)
        rng = np.random.RandomState(21)
        x = L.from_numpy(rng.randint(0, 256, (2, 3, 8, 8)).astype(np.uint8)).float()
        n, c, h, w = x.size()
        pad = 2
        eps = 1.0 / (h + 2 * pad)
        arange = L.linspace(-1.0 + eps, 1.0 - eps, h + 2 * pad, device=x.device,
                            dtype=x.dtype)[:h]
        arange = arange.unsqueeze(0).repeat(h, 1).unsqueeze(2)
        base_grid = L.cat([arange, arange.transpose(1, 0)], dim=2)
        base_grid = base_grid.unsqueeze(0).repeat(n, 1, 1, 1)
        shift = L.randint(0, 2 * pad + 1, size=(n, 1, 1, 2), device=x.device, dtype=x.dtype)
        shift *= 2.0 / (h + 2 * pad)
        grid = base_grid + shift
        o.print(grid.shape, shift.view(-1).tolist())
        for mode, pm, ac in [('bilinear', 'zeros', False), ('nearest', 'zeros', False),
                             ('bilinear', 'border', False), ('bilinear', 'reflection', False),
                             ('bilinear', 'zeros', True), ('nearest', 'border', True),
                             ('bilinear', 'reflection', True)]:
            xp = F.pad(x, (pad,) * 4, 'replicate').requires_grad_()
            y = F.grid_sample(xp, grid, mode=mode, padding_mode=pm, align_corners=ac)
            (y * L.arange(float(h))).sum().backward()
            o.print(mode, pm, ac, tuple(y.shape))
            o.vals += [y, xp.grad]
        for m in ['reflect', 'circular', 'constant']:
            o.vals += [F.pad(x, (1, 2, 2, 1), m)]
        o.tryit(lambda: F.pad(x, (9, 9, 9, 9), 'reflect'))
        o.tryit(lambda: F.grid_sample(x, grid[..., :1], align_corners=False))
        o.tryit(lambda: F.grid_sample(x, grid, mode='bicubic', padding_mode='wrap'))
        aug = nn.Sequential(nn.ReplicationPad2d(pad))
        o.print(aug)
        padded = aug(x)
        w1, w2 = rng.randint(0, 2 * pad + 1, 2)
        crop = padded[:, :, w1:w1 + h, w2:w2 + w]
        o.vals += [crop]
    return o.done()


def free_nats_variants(L):
    """The KL floors Dreamer ports write: torch.maximum(kl, torch.tensor(free_nats)),
    kl.clamp(min=free_nats), torch.max(kl, free_nats_tensor) per sample, with their gradients
    (zero below the floor), and KL balancing on Normal posteriors with detach."""
    td = L.distributions
    with Out() as o:
        L.manual_seed(22)
        pm = L.randn(4, 3, requires_grad=True)
        ps = (L.rand(4, 3) + 0.5).requires_grad_()
        qm = L.randn(4, 3, requires_grad=True)
        qs = (L.rand(4, 3) + 0.5).requires_grad_()
        post = td.Independent(td.Normal(pm, ps), 1)
        prior = td.Independent(td.Normal(qm, qs), 1)
        kl = td.kl_divergence(post, prior)
        free = float(kl.detach().median())
        a = L.maximum(kl, L.tensor(free)).mean()
        b = kl.clamp(min=free).mean()
        c = L.max(kl, L.full((1,), free)).mean()
        d = L.max(kl.mean(), L.tensor(free))
        o.print(kl.shape, a.shape, c.shape, d.shape)
        grads = []
        for loss in (a, b, c, d):
            g = L.autograd.grad(loss, [pm, ps, qm, qs], retain_graph=True)
            grads += list(g)
        o.vals += [kl, a, b, c, d] + grads
        post_sg = td.Normal(pm.detach(), ps.detach())
        prior_sg = td.Normal(qm.detach(), qs.detach())
        lhs = td.kl_divergence(post_sg, td.Normal(qm, qs)).sum(-1)
        rhs = td.kl_divergence(td.Normal(pm, ps), prior_sg).sum(-1)
        bal = 0.8 * L.maximum(lhs, L.ones_like(lhs)).mean() + 0.2 * L.maximum(
            rhs, L.ones_like(rhs)).mean()
        bal.backward()
        o.vals += [bal, pm.grad, qm.grad, ps.grad, qs.grad]
        o.vals += [post.rsample(), post.mean, post.stddev, post.variance, post.entropy()]
        o.tryit(lambda: L.maximum(kl, 1.0))
        o.tryit(lambda: L.maximum(kl, L.tensor([1.0, 2.0])))
        o.tryit(lambda: td.kl_divergence(post, td.Normal(qm, qs)))
    return o.done()
