"""The notebook nflib1.ipynb of karpathy/pytorch-normalizing-flows as users run it: build a
prior and a flow stack, Adam on the negative log-likelihood of the 4-Gaussian mixture
(DatasetMixture, NumPy-seeded) for a few steps, then the eval cell (forward to z, invert the
flow, sample). Each program is ``prog(torch) -> (printed, values)``."""

import itertools

import numpy as np
from s16_yunjey_progs import Out
from s19_flows_progs import nflib


class DatasetMixture:
    """ 4 mixture of gaussians """

    def __init__(self, torch):
        self.torch = torch

    def sample(self, n):
        assert n % 4 == 0
        r = np.r_[np.random.randn(n // 4, 2) * 0.5 + np.array([0, -2]),
                  np.random.randn(n // 4, 2) * 0.5 + np.array([0, 0]),
                  np.random.randn(n // 4, 2) * 0.5 + np.array([2, 2]),
                  np.random.randn(n // 4, 2) * 0.5 + np.array([-2, 2])]
        return self.torch.from_numpy(r.astype(np.float32))


def _zero_leaves(model, nf):
    """LeafParam's torch.Tensor(1, n) is uninitialised memory: give it a defined value."""
    for m in model.modules():
        if isinstance(m, nf.LeafParam):
            m.p.data.zero_()


def _train_and_sample(torch, o, prior_kind, make_flows, steps=4, n=64, lr=1e-3,
                      inverse_values=True):
    """The notebook's cells. ``inverse_values=False`` where inverting z is ill-conditioned
    (a spline with a slope near min_derivative=1e-3 maps z's last-bit differences, from
    PyTorch's vectorised exp, up to 1000-fold): the round trip is then printed as a bool."""
    np.random.seed(0)
    torch.manual_seed(0)
    nf = nflib(torch)
    D = torch.distributions
    d = DatasetMixture(torch)
    if prior_kind == "normal":
        prior = D.MultivariateNormal(torch.zeros(2), torch.eye(2))
    else:  # Logistic distribution
        prior = D.TransformedDistribution(D.Uniform(torch.zeros(2), torch.ones(2)),
                                          D.SigmoidTransform().inv)
    flows = make_flows(nf)
    model = nf.NormalizingFlowModel(prior, flows)
    _zero_leaves(model, nf)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-5)
    o.print("number of params: ", sum(p.numel() for p in model.parameters()))
    model.train()
    for k in range(steps):
        x = d.sample(n)
        zs, prior_logprob, log_det = model(x)
        logprob = prior_logprob + log_det
        loss = -torch.sum(logprob)  # NLL
        model.zero_grad()
        loss.backward()
        optimizer.step()
        o.print("{:.3f}".format(loss.item()))
        o.vals.append(loss.item())
    o.vals += [p.detach().clone() for p in model.parameters()]
    model.eval()
    x = d.sample(n)
    zs, prior_logprob, log_det = model(x)
    z = zs[-1]
    o.print(z.shape, z.dtype, prior_logprob.shape, log_det.shape)
    o.vals += [z, prior_logprob, log_det]
    xs, ld_inv = model.backward(z)
    o.print(len(xs), (xs[-1] - x).abs().max().item() < 1e-3)
    o.vals += [xs[-1], ld_inv] if inverse_values else [ld_inv]
    xs = model.sample(n)
    o.print(len(xs), xs[-1].shape, xs[-1].dtype)
    o.vals.append(xs[-1])
    return model


def realnvp(torch):
    with Out() as o:
        _train_and_sample(torch, o, "normal",
                          lambda nf: [nf.AffineHalfFlow(dim=2, parity=i % 2, nh=8)
                                      for i in range(4)])
    return o.done()


def nice(torch):
    def flows(nf):
        fl = [nf.AffineHalfFlow(dim=2, parity=i % 2, scale=False, nh=8) for i in range(4)]
        fl.append(nf.AffineConstantFlow(dim=2, shift=False))
        return fl
    with Out() as o:
        model = _train_and_sample(torch, o, "logistic", flows)
        o.print(model)
    return o.done()


def slow_maf(torch):
    with Out() as o:
        _train_and_sample(torch, o, "logistic",
                          lambda nf: [nf.SlowMAF(dim=2, parity=i % 2, nh=8) for i in range(3)])
    return o.done()


def maf_actnorm(torch):
    def flows(nf):
        fl = [nf.MAF(dim=2, parity=i % 2, nh=8) for i in range(3)]
        norms = [nf.ActNorm(dim=2) for _ in fl]
        return list(itertools.chain(*zip(norms, fl)))
    with Out() as o:
        model = _train_and_sample(torch, o, "normal", flows)
        o.print(model.flow.flows[1].net.net.net[0])
        o.vals.append(model.flow.flows[1].net.net.net[0].mask)
    return o.done()


def iaf(torch):
    with Out() as o:
        _train_and_sample(torch, o, "normal",
                          lambda nf: [nf.IAF(dim=2, parity=i % 2, nh=8) for i in range(2)],
                          steps=3, n=32)
    return o.done()


def glow(torch):
    def flows(nf):
        fl = [nf.Invertible1x1Conv(dim=2) for i in range(3)]
        norms = [nf.ActNorm(dim=2) for _ in fl]
        couplings = [nf.AffineHalfFlow(dim=2, parity=i % 2, nh=8) for i in range(len(fl))]
        return list(itertools.chain(*zip(norms, fl, couplings)))
    with Out() as o:
        model = _train_and_sample(torch, o, "normal", flows)
        conv = model.flow.flows[1]
        o.vals += [conv.P, conv._assemble_W(), conv.S.grad, conv.L.grad, conv.U.grad]
    return o.done()


def nsf_coupling(torch):
    def flows(nf):
        fl = [nf.NSF_CL(dim=2, K=8, B=3, hidden_dim=8) for _ in range(2)]
        convs = [nf.Invertible1x1Conv(dim=2) for _ in fl]
        norms = [nf.ActNorm(dim=2) for _ in fl]
        return list(itertools.chain(*zip(norms, convs, fl)))
    with Out() as o:
        _train_and_sample(torch, o, "logistic", flows, steps=3, n=32)
    return o.done()


def nsf_autoregressive(torch):
    def flows(nf):
        fl = [nf.NSF_AR(dim=2, K=5, B=3, hidden_dim=8) for _ in range(2)]
        convs = [nf.Invertible1x1Conv(dim=2) for _ in fl]
        norms = [nf.ActNorm(dim=2) for _ in fl]
        return list(itertools.chain(*zip(norms, convs, fl)))
    with Out() as o:
        _train_and_sample(torch, o, "normal", flows, steps=3, n=32, inverse_values=False)
    return o.done()


def made_connectivity(torch):
    """pytorch-made's check: the Jacobian of MADE's outputs w.r.t. its inputs is zero where
    the ordering forbids a connection (one backward per output, as run_checks does)."""
    with Out() as o:
        np.random.seed(0)
        torch.manual_seed(0)
        nf = nflib(torch)
        D, rng = 5, np.random.RandomState(14)
        x = (rng.rand(1, D) > 0.5).astype(np.float32)
        for nout, natural in [(D, False), (2 * D, True), (3 * D, False)]:
            model = nf.MADE(D, [12, 7], nout, num_masks=2, natural_ordering=natural)
            o.print(model)
            res = []
            for k in range(nout):
                xtr = torch.from_numpy(x).requires_grad_(True)
                xtrhat = model(xtr)
                loss = xtrhat[0, k]
                loss.backward()
                depends = (xtr.grad[0].numpy() != 0).astype(np.uint8)
                depends_ix = list(np.where(depends)[0])
                isok = k % D not in depends_ix
                res.append((len(depends_ix), k, depends_ix, isok))
            o.print(res)
            model.update_masks()
            o.print([m.mask.sum().item() for m in model.net if hasattr(m, 'mask')])
            o.vals += [model(torch.from_numpy(x)), model.net[0].mask]
    return o.done()


def spline_pieces(torch):
    """unconstrained_RQS forward and inverse on a batch: round trip, log|det| sum to zero,
    gradients through softmax/softplus/cumsum/pad/gather; and RQS's ValueError."""
    with Out() as o:
        torch.manual_seed(0)
        nf = nflib(torch)
        K, B = 6, 2.
        x = (torch.randn(10, 3) * 1.5).requires_grad_()
        W = torch.randn(10, 3, K, requires_grad=True)
        H = torch.randn(10, 3, K, requires_grad=True)
        Dv = torch.randn(10, 3, K - 1, requires_grad=True)
        z, ld = nf.unconstrained_RQS(x, W, H, Dv, inverse=False, tail_bound=B)
        xr, ldr = nf.unconstrained_RQS(z, W, H, Dv, inverse=True, tail_bound=B)
        (z.sum() + ld.sum() + (xr * 0.5).sum()).backward()
        o.print(z.shape, ld.dtype, (ld + ldr).abs().max().item() < 1e-4)
        o.vals += [z, ld, xr, ldr, x.grad, W.grad, H.grad, Dv.grad]
        bins = torch.tensor([[0., .5, 1.], [0., .2, 1.]])
        o.print(nf.searchsorted(bins, torch.tensor([.3, .3])), bins)
        o.tryit(lambda: nf.RQS(torch.tensor([2.]), W[0, :1], H[0, :1], Dv[0, :1]))
        o.tryit(lambda: nf.RQS(torch.tensor([.5]), torch.zeros(1, 2000), torch.zeros(1, 2000),
                               torch.zeros(1, 2001)))
    return o.done()
