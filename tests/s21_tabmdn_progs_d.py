"""sagelywizard/pytorch-mdn as users type it: mdn/mdn.py (MDN module, gaussian_probability,
mdn_loss, sample with Categorical and gather), example/example.py (training on three toy
clusters, samples drawn at the end), tests/basic_test.py and tests/gradient_test.py, plus the
two older sample()s (sigma.data.new(...).normal_(), gather along dim 0; a loop
assigning rows indexed by 0-d tensors). Sizes and epochs shrunk;
matplotlib left out. See tests/test_programs_s21_tabmdn.py."""

import math
import types
import unittest

from s16_yunjey_progs import Out

ONEOVERSQRT2PI = 1.0 / math.sqrt(2 * math.pi)


def mdn_module(torch):
    """mdn/mdn.py, transcribed; the classes built per library."""
    nn = torch.nn
    Variable = torch.autograd.Variable
    Categorical = torch.distributions.Categorical

    class MDN(nn.Module):
        def __init__(self, in_features, out_features, num_gaussians):
            super(MDN, self).__init__()
            self.in_features = in_features
            self.out_features = out_features
            self.num_gaussians = num_gaussians
            self.pi = nn.Sequential(
                nn.Linear(in_features, num_gaussians),
                nn.Softmax(dim=1)
            )
            self.sigma = nn.Linear(in_features, out_features * num_gaussians)
            self.mu = nn.Linear(in_features, out_features * num_gaussians)

        def forward(self, minibatch):
            pi = self.pi(minibatch)
            sigma = torch.exp(self.sigma(minibatch))
            sigma = sigma.view(-1, self.num_gaussians, self.out_features)
            mu = self.mu(minibatch)
            mu = mu.view(-1, self.num_gaussians, self.out_features)
            return pi, sigma, mu

    def gaussian_probability(sigma, mu, target):
        target = target.unsqueeze(1).expand_as(sigma)
        ret = ONEOVERSQRT2PI * torch.exp(-0.5 * ((target - mu) / sigma)**2) / sigma
        return torch.prod(ret, 2)

    def mdn_loss(pi, sigma, mu, target):
        prob = pi * gaussian_probability(sigma, mu, target)
        nll = -torch.log(torch.sum(prob, dim=1))
        return torch.mean(nll)

    def sample(pi, sigma, mu):
        # Choose which gaussian we'll sample from
        pis = Categorical(pi).sample().view(pi.size(0), 1, 1)
        # Choose a random sample, one randn for batch X output dims
        gaussian_noise = torch.randn(
            (sigma.size(2), sigma.size(0)), requires_grad=False)
        variance_samples = sigma.gather(1, pis).detach().squeeze()
        mean_samples = mu.detach().gather(1, pis).squeeze()
        return (gaussian_noise * variance_samples + mean_samples).transpose(0, 1)

    def sample_old(pi, sigma, mu):
        categorical = Categorical(pi)
        pis = categorical.sample().view(pi.size(0), 1, 1)
        sample = Variable(sigma.data.new(sigma.size(0), sigma.size(2)).normal_())
        return sample * sigma.gather(0, pis) + mu.gather(0, pis)

    def sample_oldest(pi, sigma, mu):  # the first version, in the repository's root mdn.py
        categorical = Categorical(pi)
        pis = list(categorical.sample().data)
        sample = Variable(sigma.data.new(sigma.size(0), sigma.size(2)).normal_())
        for i, idx in enumerate(pis):
            sample[i] = sample[i].mul(sigma[i, idx]).add(mu[i, idx])
        return sample

    return dict(MDN=MDN, gaussian_probability=gaussian_probability, mdn_loss=mdn_loss,
                sample=sample, sample_old=sample_old, sample_oldest=sample_oldest)


def mdn_example(torch):
    """example/example.py: three clusters, Tanh + MDN, Adam, samples at the end."""
    mdn = types.SimpleNamespace(**mdn_module(torch))  # `import mdn`
    nn, optim = torch.nn, torch.optim
    input_dims = 2
    output_dims = 1
    num_gaussians = 5

    def translate_cluster(cluster, dim, amount):
        translation = torch.ones(cluster.size(0)) * amount
        cluster.transpose(0, 1)[dim].add_(translation)
        return cluster

    torch.manual_seed(0)
    with Out() as o:
        o.print("Generating training data... ", end='')
        cluster1 = torch.randn((20, input_dims + output_dims)) / 4
        cluster1 = translate_cluster(cluster1, 1, 1.2)
        cluster2 = torch.randn((20, input_dims + output_dims)) / 4
        cluster2 = translate_cluster(cluster2, 0, -1.2)
        cluster3 = torch.randn((20, input_dims + output_dims)) / 4
        cluster3 = translate_cluster(cluster3, 2, -1.2)
        training_set = torch.cat([cluster1, cluster2, cluster3])
        o.print('Done')
        o.vals.append(training_set)

        o.print("Initializing model... ", end='')
        model = nn.Sequential(
            nn.Linear(input_dims, 5),
            nn.Tanh(),
            mdn.MDN(5, output_dims, num_gaussians)
        )
        optimizer = optim.Adam(model.parameters())
        o.print('Done')
        o.print(model)

        o.print('Training model... ', end='')
        for epoch in range(40):
            model.zero_grad()
            pi, sigma, mu = model(training_set[:, 0:input_dims])
            loss = mdn.mdn_loss(pi, sigma, mu, training_set[:, input_dims:])
            loss.backward()
            optimizer.step()
            if epoch % 10 == 9:
                o.print(f' {round(epoch/10)}% {loss.item():.4f}', end='')
            if epoch == 0:
                o.vals += [pi, sigma, mu, loss, model[2].mu.weight.grad]
        o.print(' Done')

        o.print('Generating samples... ', end='')
        pi, sigma, mu = model(training_set[:, 0:input_dims])
        samples = mdn.sample(pi, sigma, mu)
        o.print('Done')
        o.print(tuple(pi.shape), tuple(sigma.shape), tuple(mu.shape), tuple(samples.shape),
                samples.dtype, samples.requires_grad)
        o.print([round(v, 2) for v in samples[:6, 0].tolist()])
        xs = training_set[:, 0]
        o.print(tuple(xs.shape), tuple(training_set[:, 2].shape))
    return o.done()


def mdn_tests(torch):
    """tests/basic_test.py and tests/gradient_test.py run with unittest, the older sample(),
    gaussian_probability with 3-d outputs, and an MDN on mismatched targets."""
    mdn = mdn_module(torch)
    nn, optim = torch.nn, torch.optim
    results = []

    class BasicMDN(unittest.TestCase):
        def setUp(self):
            self.mdn = mdn["MDN"](4, 6, 10)

        def testOutputShape(self):
            minibatch = torch.randn((2, 4))
            pi, sigma, mu = self.mdn(minibatch)
            self.assertEqual(pi.size(), (2, 10))
            self.assertEqual(sigma.size(), (2, 10, 6))
            self.assertEqual(mu.size(), (2, 10, 6))
            results.append((pi, sigma, mu))

    class BackpropDecreasesLossMDN(unittest.TestCase):
        def testLossDecreases(self):
            model = nn.Sequential(
                nn.Linear(1, 5),
                nn.Tanh(),
                mdn["MDN"](5, 1, 2)
            )
            torch.manual_seed(0)
            first_loss = None
            training_set = torch.randn((30, 2))
            optimizer = optim.Adam(model.parameters())
            for _ in range(10):
                model.zero_grad()
                pi, sigma, mu = model(training_set[:, 0:1])
                loss = mdn["mdn_loss"](pi, sigma, mu, training_set[:, 1:])
                loss.backward()
                optimizer.step()
                if first_loss is None:
                    first_loss = loss
            self.assertLess(loss, first_loss)
            results.append((first_loss, loss))

    torch.manual_seed(3)
    with Out() as o:
        suite = unittest.TestSuite()
        suite.addTest(BasicMDN("testOutputShape"))
        suite.addTest(BackpropDecreasesLossMDN("testLossDecreases"))
        res = unittest.TestResult()
        suite.run(res)
        o.print("ran", res.testsRun, "failures", len(res.failures), "errors",
                [e[1].splitlines()[-1] for e in res.errors])
        o.vals += [v for r in results for v in r]
        o.print(f"{results[1][0].item():.4f} {results[1][1].item():.4f}",
                bool(results[1][1] < results[1][0]))
        torch.manual_seed(4)
        m = mdn["MDN"](3, 2, 4)
        x = torch.randn(6, 3)
        pi, sigma, mu = m(x)
        t = torch.randn(6, 2)
        p = mdn["gaussian_probability"](sigma, mu, t)
        o.print(tuple(p.shape), p.dtype, p.grad_fn is not None)
        s = mdn["sample"](pi, sigma, mu)
        o.print(tuple(s.shape), s.requires_grad)
        s_old = mdn["sample_old"](pi, sigma, mu)
        o.print(tuple(s_old.shape), s_old.requires_grad, s_old.grad_fn is not None)
        s_oldest = mdn["sample_oldest"](pi, sigma, mu)
        o.print(tuple(s_oldest.shape), s_oldest.requires_grad, type(s_oldest.grad_fn).__name__)
        o.tryit(lambda: s_oldest.sum().backward())  # rows saved by mul, then overwritten
        o.vals += [p, s, s_old, s_oldest]
        o.tryit(lambda: mdn["mdn_loss"](pi, sigma, mu, torch.randn(6, 3)))
        o.tryit(lambda: mdn["MDN"](3, 2, 4)(torch.randn(6, 2)))
        o.tryit(lambda: mdn["sample"](pi, sigma, mu.view(6, 8)))
    return o.done()
