"""The "score matching on 2-D toy data" tutorials as users type them: a small MLP score
network with a sinusoidal / Gaussian-Fourier time embedding on two-moons and swiss-roll points
(made in NumPy as sklearn does), denoising score matching over continuous VE noise levels, the
implicit (Hyvarinen) objective with the exact Jacobian trace by a loop of
torch.autograd.grad(create_graph=True), by torch.func.vmap(jacrev) and by
torch.autograd.functional.jacobian, the Hutchinson estimate with Rademacher probes, annealed
Langevin sampling and a probability-flow Euler integration, plus the mistakes users make."""

import math

import numpy as np
from s16_yunjey_progs import Out


def _moons(n, seed, noise=0.1):
    rng = np.random.default_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    outer = np.stack(
        [np.cos(np.linspace(0, np.pi, n_out)), np.sin(np.linspace(0, np.pi, n_out))], 1
    )
    inner = np.stack(
        [1 - np.cos(np.linspace(0, np.pi, n_in)), 1 - np.sin(np.linspace(0, np.pi, n_in)) - 0.5], 1
    )
    X = np.concatenate([outer, inner]) + rng.normal(scale=noise, size=(n, 2))
    return X.astype(np.float32)


def _swiss_roll(n, seed, noise=0.5):
    rng = np.random.default_rng(seed)
    t = 1.5 * np.pi * (1 + 2 * rng.random(n))
    x = t * np.cos(t)
    y = t * np.sin(t)
    X = np.stack([x, y], 1) + noise * rng.standard_normal((n, 2))
    return (X / 10.0).astype(np.float32)


def _net(L, fourier=False):
    torch, nn = L, L.nn

    class SinusoidalEmbedding(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.dim = dim

        def forward(self, t):
            half = self.dim // 2
            freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / half)
            args = t[:, None].float() * freqs[None]
            return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)

    class GaussianFourierProjection(nn.Module):
        def __init__(self, embed_dim, scale=1.0):
            super().__init__()
            self.register_buffer("W", torch.randn(embed_dim // 2) * scale)

        def forward(self, x):
            x_proj = x[:, None] * self.W[None, :] * 2 * np.pi
            return torch.cat([torch.sin(x_proj), torch.cos(x_proj)], dim=-1)

    class ScoreMLP(nn.Module):
        def __init__(self, hidden=32, t_dim=8):
            super().__init__()
            self.t_embed = nn.Sequential(
                GaussianFourierProjection(t_dim) if fourier else SinusoidalEmbedding(t_dim),
                nn.Linear(t_dim, t_dim),
                nn.SiLU(),
            )
            self.net = nn.Sequential(
                nn.Linear(2 + t_dim, hidden),
                nn.SiLU(),
                nn.Linear(hidden, hidden),
                nn.SiLU(),
                nn.Linear(hidden, 2),
            )

        def forward(self, x, t):
            h = torch.cat([x, self.t_embed(t)], dim=1)
            return self.net(h)

    return ScoreMLP


def dsm_moons(L):
    """DSM over sigma(t) = sigma_min (sigma_max / sigma_min) ** t, lambda(sigma) = sigma^2,
    StepLR, then annealed Langevin and a probability-flow Euler pass under torch.no_grad."""
    torch, nn = L, L.nn
    o = Out()
    with o:
        torch.manual_seed(0)
        sigma_min, sigma_max = 0.01, 2.0

        def sigma_fn(t):
            return sigma_min * (sigma_max / sigma_min) ** t

        model = _net(L)()
        o.print(model)
        opt = torch.optim.Adam(model.parameters(), lr=3e-3)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        data = torch.from_numpy(_moons(64, 0))
        loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(data), batch_size=32, shuffle=True
        )
        for epoch in range(3):
            total = 0.0
            for (x0,) in loader:
                t = torch.rand(x0.shape[0])
                sigma = sigma_fn(t)[:, None]
                noise = torch.randn_like(x0)
                xt = x0 + sigma * noise
                score = model(xt, t)
                loss = ((sigma * score + noise) ** 2).sum(dim=1).mean()
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                total += loss.item()
            sched.step()
            o.print(
                f"epoch {epoch}: loss {total / len(loader):.4f} lr {sched.get_last_lr()[0]:.5f}"
            )
            o.vals.append(total)
        model.eval()
        with torch.no_grad():
            x = torch.randn(16, 2) * sigma_max
            ts = torch.linspace(1.0, 0.0, 5)
            for i in range(4):
                t = torch.full((x.shape[0],), ts[i].item())
                sig = sigma_fn(t)[:, None]
                eps = 0.1 * sig**2
                for _ in range(2):
                    x = x + eps * model(x, t) + torch.sqrt(2 * eps) * torch.randn_like(x)
            o.vals.append(x)
            x = torch.randn(16, 2) * sigma_max
            log_ratio = math.log(sigma_max / sigma_min)
            for i in range(4):
                t = torch.full((16,), ts[i].item())
                g2 = sigma_fn(t) ** 2 * 2 * log_ratio
                dt = ts[i + 1] - ts[i]
                x = x + (-0.5 * g2[:, None] * model(x, t)) * dt
            o.vals.append(x)
        o.print(x.requires_grad, x.dtype, tuple(x.shape))
    return o.done()


def implicit_sm(L):
    """Hyvarinen score matching: 0.5 |s|^2 + tr(ds/dx) with the trace from a loop of grads,
    from torch.func.vmap(jacrev), from torch.autograd.functional.jacobian and a Hutchinson
    estimate; the time-conditioned MLP with Gaussian Fourier features on swiss-roll data."""
    torch = L
    o = Out()
    with o:
        torch.manual_seed(1)
        model = _net(L, fourier=True)(hidden=16)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        for step in range(3):
            x = torch.from_numpy(_swiss_roll(16, step)).requires_grad_(True)
            t = torch.full((16,), 0.1)
            s = model(x, t)
            trace = torch.zeros(x.shape[0])
            for i in range(x.shape[1]):
                trace = trace + torch.autograd.grad(s[:, i].sum(), x, create_graph=True)[0][:, i]
            loss = (0.5 * (s**2).sum(dim=1) + trace).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            o.print(f"step {step} ism loss {loss.item():.4f}")
            o.vals += [loss.detach(), trace.detach()]
        x = torch.from_numpy(_swiss_roll(6, 9))
        t = torch.full((6,), 0.3)
        from_func = torch.func.vmap(torch.func.jacrev(lambda xi, ti: model(xi[None], ti[None])[0]))(
            x, t
        )
        o.print(from_func.shape, from_func.requires_grad)
        tr_func = torch.diagonal(from_func, dim1=-2, dim2=-1).sum(-1)
        J = torch.autograd.functional.jacobian(lambda xx: model(xx, t).sum(0), x)
        o.print(J.shape)
        tr_jac = J[0, :, 0] + J[1, :, 1]
        eps = torch.randint(0, 2, x.shape).float() * 2 - 1
        xg = x.clone().requires_grad_()
        fn_eps = torch.sum(model(xg, t) * eps)
        grad_fn_eps = torch.autograd.grad(fn_eps, xg)[0]
        hutch = torch.sum(grad_fn_eps * eps, dim=1)
        o.vals += [from_func, tr_func, J, tr_jac, eps, hutch]
        o.tryit(lambda: torch.autograd.grad(model(x, t), x))
        o.tryit(lambda: torch.autograd.grad(model(xg, t), xg))
        o.tryit(lambda: model(x, t[:, None]))
        o.tryit(lambda: model(x[:, :1], t))
        o.tryit(lambda: torch.autograd.grad(model(xg, t).sum(), [xg, t]))
        y = model(xg, t).sum()
        torch.autograd.grad(y, xg)
        o.tryit(lambda: torch.autograd.grad(y, xg))
        o.tryit(
            lambda: torch.autograd.grad(
                model(xg, t).sum(), xg, allow_unused=True, materialize_grads=True
            )
        )
    return o.done()
