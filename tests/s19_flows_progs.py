"""karpathy/pytorch-normalizing-flows as users type it: nflib/made.py, nflib/nets.py,
nflib/flows.py and nflib/spline_flows.py transcribed into ``nflib(torch)`` (a namespace of
the classes built against either library), and the notebook nflib1.ipynb's programs (the
flow zoo: RealNVP, NICE, SlowMAF, MAF, IAF, Glow, neural spline flows, each trained a few
steps on the 4-Gaussian mixture, then pushed forward, inverted and sampled) in
tests/s19_flows_progs_b.py, for tests/test_programs_s19_flows.py.

Only change to the library code: LeafParam's ``nn.Parameter(torch.Tensor(1, n))`` is
uninitialised memory, so the programs zero it after construction."""

import types

import numpy as np


def nflib(torch):
    nn = torch.nn
    F = torch.nn.functional
    init = torch.nn.init

    # ---------------------------------------------------------------- nflib/made.py
    class MaskedLinear(nn.Linear):
        """ same as Linear except has a configurable mask on the weights """

        def __init__(self, in_features, out_features, bias=True):
            super().__init__(in_features, out_features, bias)
            self.register_buffer('mask', torch.ones(out_features, in_features))

        def set_mask(self, mask):
            self.mask.data.copy_(torch.from_numpy(mask.astype(np.uint8).T))

        def forward(self, input):
            return F.linear(input, self.mask * self.weight, self.bias)

    class MADE(nn.Module):
        def __init__(self, nin, hidden_sizes, nout, num_masks=1, natural_ordering=False):
            super().__init__()
            self.nin = nin
            self.nout = nout
            self.hidden_sizes = hidden_sizes
            assert self.nout % self.nin == 0, "nout must be integer multiple of nin"
            self.net = []
            hs = [nin] + hidden_sizes + [nout]
            for h0, h1 in zip(hs, hs[1:]):
                self.net.extend([
                    MaskedLinear(h0, h1),
                    nn.ReLU(),
                ])
            self.net.pop()  # pop the last ReLU for the output layer
            self.net = nn.Sequential(*self.net)
            self.natural_ordering = natural_ordering
            self.num_masks = num_masks
            self.seed = 0  # for cycling through num_masks orderings
            self.m = {}
            self.update_masks()  # builds the initial self.m connectivity

        def update_masks(self):
            if self.m and self.num_masks == 1:
                return  # only a single seed, skip for efficiency
            L = len(self.hidden_sizes)
            rng = np.random.RandomState(self.seed)
            self.seed = (self.seed + 1) % self.num_masks
            self.m[-1] = np.arange(self.nin) if self.natural_ordering else rng.permutation(self.nin)
            for l in range(L):
                self.m[l] = rng.randint(self.m[l - 1].min(), self.nin - 1,
                                        size=self.hidden_sizes[l])
            masks = [self.m[l - 1][:, None] <= self.m[l][None, :] for l in range(L)]
            masks.append(self.m[L - 1][:, None] < self.m[-1][None, :])
            if self.nout > self.nin:
                k = int(self.nout / self.nin)
                masks[-1] = np.concatenate([masks[-1]] * k, axis=1)
            layers = [l for l in self.net.modules() if isinstance(l, MaskedLinear)]
            for l, m in zip(layers, masks):
                l.set_mask(m)

        def forward(self, x):
            return self.net(x)

    # ---------------------------------------------------------------- nflib/nets.py
    class LeafParam(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.p = nn.Parameter(torch.Tensor(1, n))

        def forward(self, x):
            return self.p.expand(x.size(0), self.p.size(1))

    class MLP(nn.Module):
        """ a simple 4-layer MLP """

        def __init__(self, nin, nout, nh):
            super().__init__()
            self.net = nn.Sequential(
                nn.Linear(nin, nh),
                nn.LeakyReLU(0.2),
                nn.Linear(nh, nh),
                nn.LeakyReLU(0.2),
                nn.Linear(nh, nh),
                nn.LeakyReLU(0.2),
                nn.Linear(nh, nout),
            )

        def forward(self, x):
            return self.net(x)

    class ARMLP(nn.Module):
        """ a 4-layer auto-regressive MLP, wrapper around MADE net """

        def __init__(self, nin, nout, nh):
            super().__init__()
            self.net = MADE(nin, [nh, nh, nh], nout, num_masks=1, natural_ordering=True)

        def forward(self, x):
            return self.net(x)

    # ---------------------------------------------------------------- nflib/flows.py
    class AffineConstantFlow(nn.Module):
        def __init__(self, dim, scale=True, shift=True):
            super().__init__()
            self.s = nn.Parameter(torch.randn(1, dim, requires_grad=True)) if scale else None
            self.t = nn.Parameter(torch.randn(1, dim, requires_grad=True)) if shift else None

        def forward(self, x):
            s = self.s if self.s is not None else x.new_zeros(x.size())
            t = self.t if self.t is not None else x.new_zeros(x.size())
            z = x * torch.exp(s) + t
            log_det = torch.sum(s, dim=1)
            return z, log_det

        def backward(self, z):
            s = self.s if self.s is not None else z.new_zeros(z.size())
            t = self.t if self.t is not None else z.new_zeros(z.size())
            x = (z - t) * torch.exp(-s)
            log_det = torch.sum(-s, dim=1)
            return x, log_det

    class ActNorm(AffineConstantFlow):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.data_dep_init_done = False

        def forward(self, x):
            if not self.data_dep_init_done:
                assert self.s is not None and self.t is not None  # for now
                self.s.data = (-torch.log(x.std(dim=0, keepdim=True))).detach()
                self.t.data = (-(x * torch.exp(self.s)).mean(dim=0, keepdim=True)).detach()
                self.data_dep_init_done = True
            return super().forward(x)

    class AffineHalfFlow(nn.Module):
        def __init__(self, dim, parity, net_class=MLP, nh=24, scale=True, shift=True):
            super().__init__()
            self.dim = dim
            self.parity = parity
            self.s_cond = lambda x: x.new_zeros(x.size(0), self.dim // 2)
            self.t_cond = lambda x: x.new_zeros(x.size(0), self.dim // 2)
            if scale:
                self.s_cond = net_class(self.dim // 2, self.dim // 2, nh)
            if shift:
                self.t_cond = net_class(self.dim // 2, self.dim // 2, nh)

        def forward(self, x):
            x0, x1 = x[:, ::2], x[:, 1::2]
            if self.parity:
                x0, x1 = x1, x0
            s = self.s_cond(x0)
            t = self.t_cond(x0)
            z0 = x0  # untouched half
            z1 = torch.exp(s) * x1 + t  # transform this half as a function of the other
            if self.parity:
                z0, z1 = z1, z0
            z = torch.zeros((x.shape[0], self.dim))
            z[:, ::2] = z0
            z[:, 1::2] = z1
            log_det = torch.sum(s, dim=1)
            return z, log_det

        def backward(self, z):
            z0, z1 = z[:, ::2], z[:, 1::2]
            if self.parity:
                z0, z1 = z1, z0
            s = self.s_cond(z0)
            t = self.t_cond(z0)
            x0 = z0  # this was the same
            x1 = (z1 - t) * torch.exp(-s)  # reverse the transform on this half
            if self.parity:
                x0, x1 = x1, x0
            x = torch.zeros((z.shape[0], self.dim))
            x[:, ::2] = x0
            x[:, 1::2] = x1
            log_det = torch.sum(-s, dim=1)
            return x, log_det

    class SlowMAF(nn.Module):
        def __init__(self, dim, parity, net_class=MLP, nh=24):
            super().__init__()
            self.dim = dim
            self.layers = nn.ModuleDict()
            self.layers[str(0)] = LeafParam(2)
            for i in range(1, dim):
                self.layers[str(i)] = net_class(i, 2, nh)
            self.order = list(range(dim)) if parity else list(range(dim))[::-1]

        def forward(self, x):
            z = torch.zeros_like(x)
            log_det = torch.zeros(x.size(0))
            for i in range(self.dim):
                st = self.layers[str(i)](x[:, :i])
                s, t = st[:, 0], st[:, 1]
                z[:, self.order[i]] = x[:, i] * torch.exp(s) + t
                log_det += s
            return z, log_det

        def backward(self, z):
            x = torch.zeros_like(z)
            log_det = torch.zeros(z.size(0))
            for i in range(self.dim):
                st = self.layers[str(i)](x[:, :i])
                s, t = st[:, 0], st[:, 1]
                x[:, i] = (z[:, self.order[i]] - t) * torch.exp(-s)
                log_det += -s
            return x, log_det

    class MAF(nn.Module):
        def __init__(self, dim, parity, net_class=ARMLP, nh=24):
            super().__init__()
            self.dim = dim
            self.net = net_class(dim, dim * 2, nh)
            self.parity = parity

        def forward(self, x):
            st = self.net(x)
            s, t = st.split(self.dim, dim=1)
            z = x * torch.exp(s) + t
            z = z.flip(dims=(1,)) if self.parity else z
            log_det = torch.sum(s, dim=1)
            return z, log_det

        def backward(self, z):
            x = torch.zeros_like(z)
            log_det = torch.zeros(z.size(0))
            z = z.flip(dims=(1,)) if self.parity else z
            for i in range(self.dim):
                st = self.net(x.clone())  # clone to avoid in-place op errors if using IAF
                s, t = st.split(self.dim, dim=1)
                x[:, i] = (z[:, i] - t[:, i]) * torch.exp(-s[:, i])
                log_det += -s[:, i]
            return x, log_det

    class IAF(MAF):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.forward, self.backward = self.backward, self.forward

    class Invertible1x1Conv(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.dim = dim
            Q = torch.nn.init.orthogonal_(torch.randn(dim, dim))
            P, L, U = torch.lu_unpack(*Q.lu())
            self.P = P  # remains fixed during optimization
            self.L = nn.Parameter(L)  # lower triangular portion
            self.S = nn.Parameter(U.diag())  # "crop out" the diagonal to its own parameter
            self.U = nn.Parameter(torch.triu(U, diagonal=1))  # "crop out" diagonal, stored in S

        def _assemble_W(self):
            L = torch.tril(self.L, diagonal=-1) + torch.diag(torch.ones(self.dim))
            U = torch.triu(self.U, diagonal=1)
            W = self.P @ L @ (U + torch.diag(self.S))
            return W

        def forward(self, x):
            W = self._assemble_W()
            z = x @ W
            log_det = torch.sum(torch.log(torch.abs(self.S)))
            return z, log_det

        def backward(self, z):
            W = self._assemble_W()
            W_inv = torch.inverse(W)
            x = z @ W_inv
            log_det = -torch.sum(torch.log(torch.abs(self.S)))
            return x, log_det

    class NormalizingFlow(nn.Module):
        def __init__(self, flows):
            super().__init__()
            self.flows = nn.ModuleList(flows)

        def forward(self, x):
            m, _ = x.shape
            log_det = torch.zeros(m)
            zs = [x]
            for flow in self.flows:
                x, ld = flow.forward(x)
                log_det += ld
                zs.append(x)
            return zs, log_det

        def backward(self, z):
            m, _ = z.shape
            log_det = torch.zeros(m)
            xs = [z]
            for flow in self.flows[::-1]:
                z, ld = flow.backward(z)
                log_det += ld
                xs.append(z)
            return xs, log_det

    class NormalizingFlowModel(nn.Module):
        def __init__(self, prior, flows):
            super().__init__()
            self.prior = prior
            self.flow = NormalizingFlow(flows)

        def forward(self, x):
            zs, log_det = self.flow.forward(x)
            prior_logprob = self.prior.log_prob(zs[-1]).view(x.size(0), -1).sum(1)
            return zs, prior_logprob, log_det

        def backward(self, z):
            xs, log_det = self.flow.backward(z)
            return xs, log_det

        def sample(self, num_samples):
            z = self.prior.sample((num_samples,))
            xs, _ = self.flow.backward(z)
            return xs

    # ---------------------------------------------------------- nflib/spline_flows.py
    from s19_flows_progs_c import spline_flows
    ns = dict(locals())
    ns.update(spline_flows(torch, MLP))
    return types.SimpleNamespace(**{k: v for k, v in ns.items()
                                    if k not in ('torch', 'nn', 'F', 'init', 'spline_flows')})
