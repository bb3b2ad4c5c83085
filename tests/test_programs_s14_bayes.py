"""Session 14, Bayesian / uncertainty deep learning: Bayes-by-backprop, MC dropout, deep
ensembles, evidential losses, temperature scaling + ECE, Laplace, SWAG/SWA, written small
with synthetic data and run live on ember and torch 2.13 (printed reprs compared; the reprs'
4 decimals absorb the float32 last-bit gaps the README lists)."""

import math

import numpy as np
import pytest
from torch_compare import compare, run_both, same_error_case, same as _same, try_repr as _try


def test_bayes_by_backprop():
    """BayesianLinear (mu/rho, softplus sigma, randn_like eps), closed-form and by-hand KL,
    an ELBO summed over samples with Adam, then the local reparameterization trick."""
    def run(L):
        torch, nn, F, D = L, L.nn, L.nn.functional, L.distributions
        torch.manual_seed(0)
        out = []

        class BayesianLinear(nn.Module):
            def __init__(self, i, o):
                super().__init__()
                self.w_mu = nn.Parameter(torch.Tensor(o, i).uniform_(-0.2, 0.2))
                self.w_rho = nn.Parameter(torch.Tensor(o, i).uniform_(-5, -4))
                self.b_mu = nn.Parameter(torch.zeros(o))
                self.b_rho = nn.Parameter(torch.full((o,), -5.0))

            def forward(self, x):
                ws, bs = torch.log1p(torch.exp(self.w_rho)), torch.log1p(torch.exp(self.b_rho))
                w = self.w_mu + ws * torch.randn_like(ws)
                b = self.b_mu + bs * torch.randn_like(bs)
                q = D.Normal(self.w_mu, ws)
                self.kl = D.kl_divergence(q, D.Normal(torch.zeros_like(w),
                                                      torch.ones_like(w))).sum()
                self.kl2 = (torch.log(1 / ws) + (ws ** 2 + self.w_mu ** 2) / 2 - 0.5).sum()
                self.lp = q.log_prob(w).sum() - D.Normal(0, 1).log_prob(w).sum()
                return F.linear(x, w, b)

        m = BayesianLinear(3, 2)
        x, y = torch.randn(8, 3), torch.randn(8, 2)
        opt = torch.optim.Adam(m.parameters(), lr=0.01)
        for _ in range(3):
            opt.zero_grad()
            nll = sum(F.mse_loss(m(x), y, reduction="sum") for _ in range(2))
            loss = nll / 2 + m.kl / 8
            loss.backward()
            out += [repr(v) for v in (loss, m.kl, m.kl2, m.lp, m.w_rho.grad)]
            opt.step()
        ws = F.softplus(m.w_rho)
        act_mu, act_var = F.linear(x, m.w_mu), F.linear(x ** 2, ws ** 2)
        out.append(repr(act_mu + torch.sqrt(act_var) * torch.randn_like(act_mu)))
        n = D.Normal(torch.tensor([0., 1.]), torch.tensor([1., 2.]))
        out += [repr(n), repr(n.rsample((2,))), repr(n.entropy()),
                repr(D.kl_divergence(n, D.Normal(0., 1.)))]
        return out
    _same(run)


def test_mc_dropout_predictive():
    """model.train() at test time, T stacked softmax predictions, mean/var, entropy by hand
    and with special.entr, mutual information; dropout re-enabled in an eval()ed model."""
    def run(L):
        torch, nn, F = L, L.nn, L.nn.functional
        torch.manual_seed(1)
        model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 3))
        x = torch.randn(5, 4)
        model.train()
        with torch.no_grad():
            preds = torch.stack([F.softmax(model(x), dim=-1) for _ in range(10)])
        mean = preds.mean(0)
        ent = -(mean * torch.log(mean + 1e-10)).sum(-1)
        out = [str(preds.shape), repr(mean), repr(preds.var(0)), repr(ent),
               repr(torch.special.entr(mean).sum(-1)),
               repr(ent - torch.special.entr(preds).sum(-1).mean(0)),
               repr(preds.std(0, unbiased=False)), repr(preds.argmax(-1).mode(0)),
               repr(torch.var_mean(preds, 0)),
               repr(torch.special.entr(torch.tensor([0., 1., -1., .5, math.inf, math.nan])))]
        model.eval()
        for mod in model.modules():
            if isinstance(mod, nn.Dropout):
                mod.train()
        out += [str([mm.training for mm in model.modules()]), repr(model(x))]
        xe = torch.tensor([0., 0.3, 1.], requires_grad=True)
        torch.special.entr(xe).sum().backward()
        out.append(repr(xe.grad))
        return out
    _same(run)


def test_deep_ensemble_gaussian_nll():
    """Gaussian heads (softplus variance + 1e-6) trained with F.gaussian_nll_loss, the
    mixture's mean/variance, Normal(mu, sigma).log_prob/cdf/icdf, and the learners' errors."""
    def run(L):
        torch, nn, F = L, L.nn, L.nn.functional
        torch.manual_seed(2)
        out = []

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.l, self.h = nn.Linear(1, 8), nn.Linear(8, 2)

            def forward(self, x):
                o = self.h(torch.tanh(self.l(x)))
                return o[:, :1], F.softplus(o[:, 1:]) + 1e-6

        models = [Net() for _ in range(3)]
        x = torch.linspace(-1, 1, 16).unsqueeze(1)
        y = x ** 3 + 0.1 * torch.randn_like(x)
        for m in models:
            opt = torch.optim.SGD(m.parameters(), lr=0.05)
            for _ in range(3):
                mu, v = m(x)
                nll = (0.5 * torch.log(v) + 0.5 * (y - mu) ** 2 / v).mean()
                g = F.gaussian_nll_loss(mu, y, v)
                g2 = F.gaussian_nll_loss(mu, y, v, full=True, reduction="sum")
                g3 = nn.GaussianNLLLoss(eps=1e-3)(mu.squeeze(1), y.squeeze(1), v[:, 0])
                opt.zero_grad()
                g.backward()
                opt.step()
                out.append(repr((nll, g, g2, g3)))
        with torch.no_grad():
            mus, vs = (torch.stack(t) for t in zip(*[m(x) for m in models]))
            mu = mus.mean(0)
            var = (vs + mus ** 2).mean(0) - mu ** 2
        d = torch.distributions.Normal(mu, var.sqrt())
        out += [repr(mu[:4]), repr(var[:4]), repr(d.log_prob(y)[:3]), repr(d.cdf(y)[:3]),
                repr(d.icdf(torch.tensor(0.9))[:2]), repr(d.batch_shape), repr(d.stddev[:2]),
                repr(torch.distributions.Independent(d, 1))]
        for f in (lambda: F.gaussian_nll_loss(mu, y, -var),
                  lambda: F.gaussian_nll_loss(mu, y, var[:3]),
                  lambda: torch.distributions.Normal(mu, -var),
                  lambda: torch.distributions.Normal(0., 1.).log_prob(3)):
            _try(out, f)
        return out
    _same(run)


# ---- torch.special / polygamma / mvlgamma argument checks (fixed in session 14) ----------

_X = np.array([1.0, 2.5], np.float32)


@pytest.mark.parametrize("case", [
    lambda L, x: L.polygamma(1.5, x), lambda L, x: L.special.polygamma(1.5, x),
    lambda L, x: x.polygamma(1.5), lambda L, x: L.polygamma(True, x),
    lambda L, x: L.polygamma(L.tensor(1.), x), lambda L, x: L.polygamma(L.tensor([1]), x),
    lambda L, x: L.polygamma(None, x), lambda L, x: L.polygamma(np.float64(1.), x),
    lambda L, x: L.polygamma(1, [1.]), lambda L, x: L.special.polygamma(1, 2.0),
    lambda L, x: L.polygamma(-1, x),
    lambda L, x: L.lgamma([1.]), lambda L, x: L.digamma(2.0), lambda L, x: L.erf(1.0),
    lambda L, x: L.erfc(np.array([1.])), lambda L, x: L.erfinv(0.5),
    lambda L, x: L.special.digamma(2.0), lambda L, x: L.special.psi(2.),
    lambda L, x: L.special.gammaln([1.]), lambda L, x: L.special.erfinv([0.5]),
    lambda L, x: L.special.entr(0.5), lambda L, x: L.special.expit(1.0),
    lambda L, x: L.special.logit(0.3), lambda L, x: L.special.ndtr(0.),
    lambda L, x: L.special.i0e(1.),
    lambda L, x: L.special.log_softmax([1., 2.], 0), lambda L, x: L.special.round(1.5),
    lambda L, x: L.special.multigammaln(x, 1.5), lambda L, x: L.mvlgamma(x, 1.5),
    lambda L, x: L.mvlgamma(2.5, 2), lambda L, x: L.special.multigammaln(2.5, 2),
    lambda L, x: L.mvlgamma(x, 0),
])
def test_special_argument_errors(case):
    """PyTorch's parser refuses a float order (polygamma's n, mvlgamma's p) and a non-tensor
    input with a TypeError naming the function (special_* for torch.special); ember used to
    truncate the float or fail with an AttributeError."""
    same_error_case(lambda L: case(L, L.tensor(_X)))


@pytest.mark.parametrize("case", [
    lambda L, x: L.polygamma(L.tensor(1), x), lambda L, x: L.polygamma(np.int64(2), x),
    lambda L, x: L.special.polygamma(0, x), lambda L, x: L.polygamma(1, L.tensor([1, 2])),
    lambda L, x: L.special.multigammaln(x, 2), lambda L, x: L.mvlgamma(x, L.tensor(2)),
    lambda L, x: L.special.gammaln(L.tensor([3])), lambda L, x: L.special.psi(x),
    lambda L, x: L.special.round(x, decimals=1), lambda L, x: L.special.logit(x / 3, eps=0.4),
    lambda L, x: L.special.softmax(x, 0), lambda L, x: L.special.erf(x),
])
def test_special_accepted_arguments(case):
    """What PyTorch's parser accepts still works: integer orders given as NumPy ints or 0-dim
    integer tensors, integer inputs (computed in float32)."""
    want, got = run_both(lambda L: repr(case(L, L.tensor(_X))))
    assert got == want


@pytest.mark.parametrize("case", [
    lambda L, c: L.histogram(c, bins=3, weight=L.ones(5)),
    lambda L, c: L.histogram(c.float(), bins=3, weight=L.ones(5, dtype=L.float64)),
    lambda L, c: L.histogram(c, bins=3, weight=L.ones(5, dtype=L.int64)),
    lambda L, c: L.histogram(c, bins=3, weight=L.ones(4, dtype=L.float64)),
    lambda L, c: L.histogram(c, L.tensor([0., 1.])),
    lambda L, c: L.histogram(c, bins=L.tensor([0., 1.]), weight=L.ones(5)),
    lambda L, c: L.histogram(c.long(), bins=L.tensor([0, 1]), weight=L.ones(5)),
    lambda L, c: L.histogram(c.long(), bins=3, weight=L.ones(5)),
    lambda L, c: L.histogram(c.long(), L.tensor([0, 1])),
    lambda L, c: L.histogram(c.long(), L.tensor([0., 1.])),
    lambda L, c: L.histogram(c, bins=L.tensor([[0., 1.]])),
    lambda L, c: L.histogramdd(c.view(5, 1), bins=[2], weight=L.ones(5)),
    lambda L, c: L.histogramdd(c.view(5, 1).long(), bins=[L.tensor([0., 1.])]),
    lambda L, c: L.histogramdd(c.view(5, 1), bins=[2], weight=L.ones(5, 1, dtype=L.float64)),
    lambda L, c: L.histogramdd(c.view(5, 1).long(), bins=[2], weight=L.ones(3)),
])
def test_histogram_weight_and_bins_checks(case):
    """A float32 weight (e.g. a correctness mask .float()) for float64 confidences, a weight
    of the wrong size and bins of another dtype are errors in PyTorch, checked in its order;
    ember used to convert, or fail with NumPy's IndexError."""
    same_error_case(lambda L: case(L, L.tensor(np.random.default_rng(0).random(5))))


def test_histogram_weights_any_shape():
    """histogram takes one weight per element in any shape (only the count must agree)."""
    def run(L):
        c = L.tensor(np.random.default_rng(0).random((3, 4)))
        return [repr(L.histogram(c, bins=3, weight=w, density=d))
                for w in (L.ones(12, dtype=L.float64), L.arange(12.).double().view(4, 3))
                for d in (False, True)]
    _same(run)


_R = np.random.default_rng(0)
_MU, _SD, _Y = (_R.standard_normal(5).astype(np.float32),
                np.abs(_R.standard_normal(5)).astype(np.float32) + 0.1,
                _R.standard_normal(5).astype(np.float32))


@pytest.mark.parametrize("fn", [
    lambda L, m, v, y: L.nn.functional.gaussian_nll_loss(m, y, v),
    lambda L, m, v, y: L.nn.functional.gaussian_nll_loss(m, y, v * 1e-3, full=True,
                                                         reduction="none", eps=1e-2),
    lambda L, m, v, y: L.distributions.Normal(m, v).log_prob(y),
    lambda L, m, v, y: L.distributions.kl_divergence(L.distributions.Normal(m, v),
                                                     L.distributions.Normal(y, v * 2)),
    lambda L, m, v, y: L.distributions.StudentT(v + 1, m, v).log_prob(y),
    lambda L, m, v, y: L.distributions.Laplace(m, v).log_prob(y),
    lambda L, m, v, y: L.special.entr(v) + m * y,
    lambda L, m, v, y: (L.lgamma(v) + L.digamma(v) + L.polygamma(2, v)) * m * y,
    lambda L, m, v, y: L.special.multigammaln(v + 1, 2) * L.special.gammaln(m.abs() + y.abs()),
])
def test_uncertainty_loss_gradients(fn):
    """Values and gradients of the losses above (float32, to 1e-5: libm vs Sleef bits)."""
    compare(fn, _MU, _SD, _Y, rtol=1e-5, atol=1e-6)
