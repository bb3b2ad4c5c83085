"""Planar and radial flows (Rezende & Mohamed 2015) as the VAE-with-flows tutorials type
them: PlanarFlow with the u_hat invertibility fix (m(a) = -1 + softplus(a)), RadialFlow,
a stack fitted by reverse KL to the paper's potential U1 with a torch.distributions base, and
a tiny VAE whose posterior sample goes through the flows (ELBO with the log-det terms).
``prog(torch) -> (printed, values)`` for tests/test_programs_s19_flows.py."""

import math

import numpy as np
from s16_yunjey_progs import Out


def _flows(torch):
    nn = torch.nn
    F = torch.nn.functional

    class PlanarFlow(nn.Module):
        """ z' = z + u h(w^T z + b) """

        def __init__(self, dim):
            super().__init__()
            self.w = nn.Parameter(torch.randn(1, dim) * 0.1)
            self.u = nn.Parameter(torch.randn(1, dim) * 0.1)
            self.b = nn.Parameter(torch.zeros(1))

        def u_hat(self):
            wu = (self.w * self.u).sum()
            m_wu = -1 + F.softplus(wu)
            return self.u + (m_wu - wu) * self.w / (self.w.norm() ** 2)

        def forward(self, z):
            u = self.u_hat()
            lin = z @ self.w.t() + self.b                      # (N, 1)
            f_z = z + u * torch.tanh(lin)
            psi = (1 - torch.tanh(lin) ** 2) * self.w           # (N, D)
            log_det = torch.log(torch.abs(1 + psi @ u.t()) + 1e-8).squeeze(-1)
            return f_z, log_det

    class RadialFlow(nn.Module):
        """ z' = z + beta h(alpha, r) (z - z0),  h = 1 / (alpha + r) """

        def __init__(self, dim):
            super().__init__()
            self.dim = dim
            self.z0 = nn.Parameter(torch.randn(1, dim) * 0.1)
            self.log_alpha = nn.Parameter(torch.zeros(1))
            self.beta = nn.Parameter(torch.zeros(1))

        def forward(self, z):
            alpha = torch.exp(self.log_alpha)
            beta = -alpha + F.softplus(self.beta)              # keeps the map invertible
            diff = z - self.z0
            r = torch.norm(diff, dim=-1, keepdim=True)
            h = 1 / (alpha + r)
            h_prime = -h ** 2
            f_z = z + beta * h * diff
            log_det = ((self.dim - 1) * torch.log1p(beta * h)
                       + torch.log1p(beta * h + beta * h_prime * r)).squeeze(-1)
            return f_z, log_det

    return PlanarFlow, RadialFlow


def _w1(torch, z):
    return torch.sin(2 * math.pi * z[:, 0] / 4)


def _U1(torch, z):
    """The paper's first test energy: a ring split in two."""
    add1 = 0.5 * ((torch.norm(z, 2, dim=1) - 2) / 0.4) ** 2
    add2 = -torch.log(torch.exp(-0.5 * ((z[:, 0] - 2) / 0.6) ** 2)
                      + torch.exp(-0.5 * ((z[:, 0] + 2) / 0.6) ** 2) + 1e-9)
    return add1 + add2


def planar_radial_density(torch):
    with Out() as o:
        torch.manual_seed(0)
        PlanarFlow, RadialFlow = _flows(torch)
        D = torch.distributions
        base = D.MultivariateNormal(torch.zeros(2), torch.eye(2))
        flows = torch.nn.ModuleList([PlanarFlow(2) if i % 2 == 0 else RadialFlow(2)
                                     for i in range(6)])
        opt = torch.optim.RMSprop(flows.parameters(), lr=1e-3, momentum=0.9)
        o.print(flows)
        for it in range(6):
            z0 = base.sample((64,))
            log_q0 = base.log_prob(z0)
            z, sum_ld = z0, torch.zeros(64)
            for f in flows:
                z, ld = f(z)
                sum_ld = sum_ld + ld
            log_qk = log_q0 - sum_ld
            loss = (log_qk + _U1(torch, z)).mean()   # KL(q || p) up to log Z
            opt.zero_grad()
            loss.backward()
            opt.step()
            o.print("iter {} loss {:.4f}".format(it, loss.item()))
            o.vals.append(loss.item())
        o.vals += [z, sum_ld, flows[0].u_hat(), flows[1].z0.grad]
        o.print(D.kl_divergence(D.Normal(torch.zeros(2), torch.ones(2)),
                                D.Normal(torch.ones(2), 2 * torch.ones(2))))
    return o.done()


def vae_with_flows(torch):
    nn = torch.nn
    F = torch.nn.functional
    with Out() as o:
        torch.manual_seed(0)
        PlanarFlow, RadialFlow = _flows(torch)
        D = torch.distributions
        x = torch.from_numpy((np.random.default_rng(0).random((16, 12)) > 0.5)
                             .astype(np.float32))

        class FlowVAE(nn.Module):
            def __init__(self, n_in=12, n_h=16, n_z=2, K=4):
                super().__init__()
                self.enc = nn.Sequential(nn.Linear(n_in, n_h), nn.ReLU())
                self.mu = nn.Linear(n_h, n_z)
                self.log_var = nn.Linear(n_h, n_z)
                self.flows = nn.ModuleList([PlanarFlow(n_z) for _ in range(K)])
                self.dec = nn.Sequential(nn.Linear(n_z, n_h), nn.ReLU(), nn.Linear(n_h, n_in))

            def forward(self, x):
                h = self.enc(x)
                mu, log_var = self.mu(h), self.log_var(h)
                std = torch.exp(0.5 * log_var)
                q0 = D.Normal(mu, std)
                z0 = q0.rsample()
                z, sum_ld = z0, torch.zeros(x.size(0))
                for f in self.flows:
                    z, ld = f(z)
                    sum_ld = sum_ld + ld
                log_q0 = q0.log_prob(z0).sum(-1)
                log_p = D.Normal(torch.zeros_like(z), torch.ones_like(z)).log_prob(z).sum(-1)
                logits = self.dec(z)
                rec = F.binary_cross_entropy_with_logits(logits, x, reduction='none').sum(-1)
                return (rec + log_q0 - sum_ld - log_p).mean(), rec.mean(), logits

        model = FlowVAE()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        for step in range(5):
            loss, rec, logits = model(x)
            opt.zero_grad()
            loss.backward()
            opt.step()
            o.print("step {} -elbo {:.4f} rec {:.4f}".format(step, loss.item(), rec.item()))
            o.vals += [loss.item(), rec.item()]
        o.vals += [logits, model.flows[0].w.grad, model.mu.weight.grad]
        with torch.no_grad():
            z = torch.randn(4, 2)
            o.vals.append(torch.sigmoid(model.dec(z)))
    return o.done()
