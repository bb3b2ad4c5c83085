"""juho-lee/set_transformer's amortised clustering (run.py with mixture_of_mvns.py and
mvn_diag.py), scaled down, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s22_ssl.py: MixtureOfMVNs.sample (Dirichlet(torch.ones(K)).sample,
Categorical(probs=pi).sample, transpose(0, 1).contiguous()), MultivariateNormalDiag (rand /
randn draws, gather with repeated labels, the diagonal Gaussian log-likelihood, stats with
torch.eye(d)[(None,) * k], parse with softmax / softplus), log_prob with logsumexp, a
generate_benchmark saved with torch.save and the train / test loop with the lr cut by 10 at
half the steps, a DeepSet and a SetTransformer (ISAB / PMA / SAB) as the net."""

import io
import math

import numpy as np
from s16_yunjey_progs import Out
from s22_ssl_progs_c import _set_modules


def _mog(L):
    F = L.nn.functional
    from_dist = L.distributions

    class MultivariateNormal(object):
        def __init__(self, dim):
            self.dim = dim

    class MultivariateNormalDiag(MultivariateNormal):
        def __init__(self, dim):
            super(MultivariateNormalDiag, self).__init__(dim)

        def sample(self, B, K, labels):
            N = labels.shape[-1]
            device = labels.device
            mu = -4 + 8 * L.rand(B, K, self.dim).to(device)
            sigma = 0.3 * L.ones(B, K, self.dim).to(device)
            eps = L.randn(B, N, self.dim).to(device)
            rlabels = labels.unsqueeze(-1).repeat(1, 1, self.dim)
            X = L.gather(mu, 1, rlabels) + eps * L.gather(sigma, 1, rlabels)
            return X, (mu, sigma)

        def log_prob(self, X, params):
            mu, sigma = params
            X = X.unsqueeze(2)
            mu = mu.unsqueeze(1)
            sigma = sigma.unsqueeze(1)
            diff = X - mu
            ll = -0.5 * math.log(2 * math.pi) - sigma.log() - 0.5 * (diff.pow(2) / sigma.pow(2))
            return ll.sum(-1)

        def stats(self, params):
            mu, sigma = params
            I = L.eye(self.dim)[(None,) * (len(sigma.shape) - 1)].to(sigma.device)
            cov = sigma.pow(2).unsqueeze(-1) * I
            return mu, cov

        def parse(self, raw):
            pi = L.softmax(raw[..., 0], -1)
            mu = raw[..., 1:1 + self.dim]
            sigma = F.softplus(raw[..., 1 + self.dim:])
            return pi, (mu, sigma)

    class MixtureOfMVNs(object):
        def __init__(self, mvn):
            self.mvn = mvn

        def sample(self, B, N, K, return_gt=False):
            device = 'cpu' if not L.cuda.is_available() else L.cuda.current_device()
            pi = from_dist.Dirichlet(L.ones(K)).sample(L.Size([B])).to(device)
            labels = from_dist.Categorical(probs=pi).sample(L.Size([N])).to(device)
            labels = labels.transpose(0, 1).contiguous()
            X, params = self.mvn.sample(B, K, labels)
            if return_gt:
                return X, labels, pi, params
            else:
                return X

        def log_prob(self, X, pi, params, return_labels=False):
            ll = self.mvn.log_prob(X, params)
            ll = ll + (pi + 1e-10).log().unsqueeze(-2)
            if return_labels:
                labels = ll.argmax(-1)
                return ll.logsumexp(-1).mean(), labels
            else:
                return ll.logsumexp(-1).mean()

        def parse(self, raw):
            return self.mvn.parse(raw)

    return MultivariateNormalDiag, MixtureOfMVNs


def mog_clustering(L):
    """run.py: generate_benchmark / train / test for both nets, tiny sizes (B=3, N in
    [12, 20), K=3, a few steps), the log lines printed as the logger would write them."""
    optim = L.optim
    MultivariateNormalDiag, MixtureOfMVNs = _mog(L)
    m = _set_modules(L)
    with Out() as o:
        L.manual_seed(0)
        np.random.seed(0)
        B, N_min, N_max, K, D = 3, 12, 20, 3, 2
        num_steps, test_freq, num_bench = 6, 3, 4
        mvn = MultivariateNormalDiag(D)
        mog = MixtureOfMVNs(mvn)
        dim_output = 2 * D

        def generate_benchmark():
            N_list = np.random.randint(N_min, N_max, num_bench)
            data = []
            ll = 0.
            for N in N_list:
                X, labels, pi, params = mog.sample(B, N, K, return_gt=True)
                ll += mog.log_prob(X, pi, params).item()
                data.append(X)
            bench = [data, ll / num_bench]
            buf = io.BytesIO()
            L.save(bench, buf)
            buf.seek(0)
            return buf

        def test(net, bench):
            net.eval()
            data, oracle_ll = bench
            avg_ll = 0.
            for X in data:
                avg_ll += mog.log_prob(X, *mvn.parse(net(X))).item()
            avg_ll /= len(data)
            return 'test ll {:.4f} (oracle {:.4f})'.format(avg_ll, oracle_ll)

        bench = L.load(generate_benchmark())
        o.print(len(bench[0]), [tuple(x.shape) for x in bench[0]], round(bench[1], 4))
        for name in ('set_transformer', 'deepset'):
            if name == 'set_transformer':
                net = m["SetTransformer"](D, K, dim_output, num_inds=4, dim_hidden=16,
                                          num_heads=4)
            else:
                net = m["DeepSet"](D, K, dim_output, dim_hidden=16)
            optimizer = optim.Adam(net.parameters(), lr=5e-4)
            for t in range(1, num_steps + 1):
                if t == int(0.5 * num_steps):
                    optimizer.param_groups[0]['lr'] *= 0.1
                net.train()
                optimizer.zero_grad()
                N = np.random.randint(N_min, N_max)
                X = mog.sample(B, N, K)
                ll = mog.log_prob(X, *mvn.parse(net(X)))
                loss = -ll
                loss.backward()
                optimizer.step()
                o.vals += [loss]
                if t % test_freq == 0:
                    line = 'step {}, lr {:.3e}, '.format(t, optimizer.param_groups[0]['lr'])
                    line += test(net, bench)
                    o.print(name, line)
            # (not the keys' biases nor the bias of the mixture logits raw[..., 0]: the
            # softmaxes ignore a constant added to every score, so their gradients are zero
            # in exact arithmetic, rounding noise here, which Adam turns into +-lr steps)
            last_bias = net.dec[-1].bias
            o.vals += [p for n, p in net.named_parameters()
                       if not n.endswith("fc_k.bias") and p is not last_bias]
            o.vals += [last_bias[1:]]
        X, labels, pi, params = mog.sample(B, 7, K, return_gt=True)
        mu, cov = mvn.stats(params)
        o.print(labels.dtype, labels.shape, labels.is_contiguous(), pi.shape, mu.shape,
                cov.shape)
        ll, lab = mog.log_prob(X, pi, params, return_labels=True)
        o.print(lab.shape, lab.dtype)
        o.vals += [X, labels, pi, mu, cov, ll, lab]
        o.tryit(lambda: L.distributions.Dirichlet(L.zeros(3)))
        o.tryit(lambda: L.distributions.Categorical(probs=L.tensor([0.5, -0.1])))
        o.tryit(lambda: L.distributions.Dirichlet(L.ones(3)).sample(L.Size([2])).sum(-1))
    return o.done()
