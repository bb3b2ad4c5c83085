"""ermongroup/ncsn runners/toy_runner.py and models/gmm.py as users type them: the GMMDist /
GMMDistAnneal / GaussianDist / Square / Ring teachers (torch.multinomial, torch.range,
MultivariateNormal, Normal), sliced score estimation on a Softplus MLP, sliced score matching
of energy nets (two torch.autograd.grad(create_graph=True)), dsm on an energy net, the Fisher
information, plain and annealed Langevin dynamics, and the GMM energy module."""

import numpy as np
from s16_yunjey_progs import Out


def _gmm(L):
    torch, nn = L, L.nn
    F = nn.functional
    autograd = L.autograd
    MultivariateNormal, Normal = L.distributions.MultivariateNormal, L.distributions.Normal

    class GaussianDist(object):
        def __init__(self, dim, ill_conditioned):
            cov = torch.eye(dim)
            if ill_conditioned:
                cov[dim // 2 :, dim // 2 :] = 0.0001 * torch.eye(dim // 2)
            mean = torch.range(1, dim) / 10
            m = MultivariateNormal(mean, cov)
            self.gmm = m

        def sample(self, n):
            return self.gmm.sample(n)

        def log_pdf(self, x):
            return self.gmm.log_prob(x)

    class GMMDistAnneal(object):
        def __init__(self, dim):
            self.mix_probs = torch.tensor([0.8, 0.2])
            self.means = torch.stack([5 * torch.ones(dim), -torch.ones(dim) * 5], dim=0)
            self.sigma = 1

        def sample(self, n, sigma=1):
            n = n[0]
            mix_idx = torch.multinomial(self.mix_probs, n, replacement=True)
            means = self.means[mix_idx]
            return torch.randn_like(means) * sigma + means

        def log_prob(self, samples, sigma=1):
            logps = []
            for i in range(len(self.mix_probs)):
                logps.append(
                    (
                        -((samples - self.means[i]) ** 2).sum(dim=-1) / (2 * sigma**2)
                        - 0.5 * np.log(2 * np.pi * sigma**2)
                    )
                    + self.mix_probs[i].log()
                )
            logp = torch.logsumexp(torch.stack(logps, dim=0), dim=0)
            return logp

        def score(self, samples, sigma=1):
            with torch.enable_grad():
                samples = samples.detach()
                samples.requires_grad_(True)
                log_probs = self.log_prob(samples, sigma).sum()
                return autograd.grad(log_probs, samples)[0]

    class GMMDist(object):
        def __init__(self, dim):
            self.mix_probs = torch.tensor([0.8, 0.2])
            self.means = torch.stack([5 * torch.ones(dim), -torch.ones(dim) * 5], dim=0)
            self.sigma = 1
            self.std = torch.stack(
                [torch.ones(dim) * self.sigma for i in range(len(self.mix_probs))], dim=0
            )

        def sample(self, n):
            n = n[0]
            mix_idx = torch.multinomial(self.mix_probs, n, replacement=True)
            means = self.means[mix_idx]
            stds = self.std[mix_idx]
            return torch.randn_like(means) * stds + means

        def log_prob(self, samples):
            logps = []
            for i in range(len(self.mix_probs)):
                logps.append(
                    (
                        -((samples - self.means[i]) ** 2).sum(dim=-1) / (2 * self.sigma**2)
                        - 0.5 * np.log(2 * np.pi * self.sigma**2)
                    )
                    + self.mix_probs[i].log()
                )
            logp = torch.logsumexp(torch.stack(logps, dim=0), dim=0)
            return logp

    class Square(object):
        def __init__(self, range=4.0):
            self.range = range

        def sample(self, n):
            n = n[0]
            rands = torch.rand(n, 2)
            samples = (rands - 0.5) * self.range * 2
            return samples

        def log_prob(self, samples):
            range_th = torch.tensor(self.range)
            idx = (
                (samples[:, 0] <= range_th)
                & (samples[:, 0] >= -range_th)
                & (samples[:, 1] <= range_th)
                & (samples[:, 1] >= -range_th)
            )
            results = torch.zeros(samples.shape[0])
            results[~idx] = -1e10
            results[idx] = np.log(1 / (self.range * 2) ** 2)
            return results

    class Ring:
        def __init__(self, radius, width):
            self.radius = radius
            self.width = width
            self.r_dist = Normal(loc=radius, scale=width)

        def sample(self, sample_shape):
            theta = torch.rand(sample_shape) * np.pi * 2
            r = self.r_dist.sample(sample_shape)
            x = r * torch.cos(theta)
            y = r * torch.sin(theta)
            return torch.stack([x, y], dim=-1)

        def log_prob(self, inputs):
            r = torch.norm(inputs, dim=-1)
            return self.r_dist.log_prob(r) - torch.log(r * np.pi * 2)

    class GMM(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.mean = torch.randn(3, dim)
            self.mean[0, :] += 1
            self.mean[2, :] -= 1
            self.mean = nn.Parameter(self.mean)
            self.log_std = nn.Parameter(torch.randn(3, dim))
            self.mix_logits = nn.Parameter(torch.randn(3))

        def forward(self, X):
            energy = (
                (X.unsqueeze(1) - self.mean) ** 2 / (2 * (2 * self.log_std).exp())
                + np.log(2 * np.pi) / 2.0
                + self.log_std
            )
            log_prob = -energy.sum(dim=-1)
            mix_probs = F.log_softmax(self.mix_logits)
            log_prob += mix_probs
            log_prob = torch.logsumexp(log_prob, dim=-1)
            return log_prob

    return GaussianDist, GMMDistAnneal, GMMDist, Square, Ring, GMM


def _sliced(L):
    torch = L
    autograd = L.autograd

    def single_sliced_score_matching(
        energy_net, samples, noise=None, detach=False, noise_type='radermacher'
    ):
        samples.requires_grad_(True)
        if noise is None:
            vectors = torch.randn_like(samples)
            if noise_type == 'radermacher':
                vectors = vectors.sign()
            elif noise_type == 'sphere':
                vectors = (
                    vectors / torch.norm(vectors, dim=-1, keepdim=True) * np.sqrt(vectors.shape[-1])
                )
            elif noise_type == 'gaussian':
                pass
            else:
                raise ValueError("Noise type not implemented")
        else:
            vectors = noise
        logp = -energy_net(samples).sum()
        grad1 = autograd.grad(logp, samples, create_graph=True)[0]
        gradv = torch.sum(grad1 * vectors)
        loss1 = torch.sum(grad1 * vectors, dim=-1) ** 2 * 0.5
        if detach:
            loss1 = loss1.detach()
        grad2 = autograd.grad(gradv, samples, create_graph=True)[0]
        loss2 = torch.sum(vectors * grad2, dim=-1)
        if detach:
            loss2 = loss2.detach()
        loss = (loss1 + loss2).mean()
        return loss, grad1, grad2

    def sliced_score_matching_vr(energy_net, samples, n_particles=1):
        dup_samples = (
            samples.unsqueeze(0)
            .expand(n_particles, *samples.shape)
            .contiguous()
            .view(-1, *samples.shape[1:])
        )
        dup_samples.requires_grad_(True)
        vectors = torch.randn_like(dup_samples)
        logp = -energy_net(dup_samples).sum()
        grad1 = autograd.grad(logp, dup_samples, create_graph=True)[0]
        loss1 = torch.sum(grad1 * grad1, dim=-1) / 2.0
        gradv = torch.sum(grad1 * vectors)
        grad2 = autograd.grad(gradv, dup_samples, create_graph=True)[0]
        loss2 = torch.sum(vectors * grad2, dim=-1)
        loss1 = loss1.view(n_particles, -1).mean(dim=0)
        loss2 = loss2.view(n_particles, -1).mean(dim=0)
        loss = loss1 + loss2
        return loss.mean(), loss1.mean(), loss2.mean()

    def sliced_score_estimation_vr(score_net, samples, n_particles=1):
        dup_samples = (
            samples.unsqueeze(0)
            .expand(n_particles, *samples.shape)
            .contiguous()
            .view(-1, *samples.shape[1:])
        )
        dup_samples.requires_grad_(True)
        vectors = torch.randn_like(dup_samples)
        grad1 = score_net(dup_samples)
        gradv = torch.sum(grad1 * vectors)
        grad2 = autograd.grad(gradv, dup_samples, create_graph=True)[0]
        grad1 = grad1.view(dup_samples.shape[0], -1)
        loss1 = torch.sum(grad1 * grad1, dim=-1) / 2.0
        loss2 = torch.sum((vectors * grad2).view(dup_samples.shape[0], -1), dim=-1)
        loss1 = loss1.view(n_particles, -1).mean(dim=0)
        loss2 = loss2.view(n_particles, -1).mean(dim=0)
        loss = loss1 + loss2
        return loss.mean(), loss1.mean(), loss2.mean()

    def dsm(energy_net, samples, sigma=1):
        samples.requires_grad_(True)
        vector = torch.randn_like(samples) * sigma
        perturbed_inputs = samples + vector
        logp = -energy_net(perturbed_inputs)
        dlogp = sigma**2 * autograd.grad(logp.sum(), perturbed_inputs, create_graph=True)[0]
        kernel = vector
        loss = torch.norm(dlogp + kernel, dim=-1) ** 2
        loss = loss.mean() / 2.0
        return loss

    return single_sliced_score_matching, sliced_score_matching_vr, sliced_score_estimation_vr, dsm


def toy_train(L):
    """ToyRunner.train (sliced_score_estimation_vr on GMMDist samples), Langevin dynamics
    with the model and with the teacher's autograd score, annealed Langevin on GMMDistAnneal."""
    torch, nn, optim = L, L.nn, L.optim
    autograd = L.autograd
    o = Out()
    with o:
        torch.manual_seed(0)
        GaussianDist, GMMDistAnneal, GMMDist, Square, Ring, GMM = _gmm(L)
        sliced_score_estimation_vr = _sliced(L)[2]

        def langevin_dynamics(score, init, lr=0.1, step=1000):
            for i in range(step):
                current_lr = lr
                init = init + current_lr / 2 * score(init).detach()
                init = init + torch.randn_like(init) * np.sqrt(current_lr)
            return init

        def anneal_langevin_dynamics(score, init, sigmas, lr=0.1, n_steps_each=100):
            for sigma in sigmas:
                for i in range(n_steps_each):
                    current_lr = lr * (sigma / sigmas[-1]) ** 2
                    init = init + current_lr / 2 * score(init, sigma).detach()
                    init = init + torch.randn_like(init) * np.sqrt(current_lr)
            return init

        hidden_units = 16
        score = nn.Sequential(
            nn.Linear(2, hidden_units),
            nn.Softplus(),
            nn.Linear(hidden_units, hidden_units),
            nn.Softplus(),
            nn.Linear(hidden_units, 2),
        )
        o.print(score)
        teacher = GMMDist(dim=2)
        optimizer = optim.Adam(score.parameters(), lr=0.001)
        for step in range(4):
            samples = teacher.sample((16,))
            loss, *_ = sliced_score_estimation_vr(score, samples, n_particles=1)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            o.print('step: {}, loss: {:.4f}'.format(step, loss.item()))
            o.vals.append(loss.detach())
        left_bound, right_bound = -8, 8
        grid_size = 5
        mesh = []
        x = np.linspace(left_bound, right_bound, grid_size)
        y = np.linspace(left_bound, right_bound, grid_size)
        for i in x:
            for j in y:
                mesh.append(np.asarray([i, j]))
        mesh = np.stack(mesh, axis=0)
        mesh = torch.from_numpy(mesh).float()
        logp_true = teacher.log_prob(mesh)
        logp_true = logp_true.view(grid_size, grid_size).exp()
        scores = score(mesh.detach()).detach().numpy()
        o.vals += [logp_true, scores]
        samples = torch.rand(8, 2) * (right_bound - left_bound) + left_bound
        samples = langevin_dynamics(score, samples, step=5).detach().numpy()
        o.vals.append(samples)

        def data_score(x):
            x = x.detach()
            x.requires_grad_(True)
            y = teacher.log_prob(x).sum()
            return autograd.grad(y, x)[0]

        mesh64 = torch.from_numpy(mesh.numpy().astype(np.float64))
        o.vals.append(data_score(mesh64))
        samples = torch.rand(8, 2) * (right_bound - left_bound) + left_bound
        o.vals.append(langevin_dynamics(data_score, samples, step=5))
        teacher2 = GMMDistAnneal(dim=2)
        sigmas = np.exp(np.linspace(np.log(20), 0.0, 4))
        samples = torch.rand(8, 2) * (right_bound - left_bound) + left_bound
        samples = (
            anneal_langevin_dynamics(teacher2.score, samples, sigmas, n_steps_each=3)
            .detach()
            .numpy()
        )
        o.vals += [samples, teacher2.sample((6,), sigma=2.0)]
    return o.done()


def energy_sliced(L):
    """Energy nets trained by single / vr sliced score matching and dsm; the Fisher
    information against each teacher (Ring, Square, GaussianDist, GMM module)."""
    torch, nn, optim = L, L.nn, L.optim
    autograd = L.autograd
    o = Out()
    with o:
        torch.manual_seed(1)
        GaussianDist, GMMDistAnneal, GMMDist, Square, Ring, GMM = _gmm(L)
        single_ssm, ssm_vr, _, dsm = _sliced(L)
        energy = nn.Sequential(nn.Linear(2, 16), nn.Softplus(), nn.Linear(16, 1))
        optimizer = optim.Adam(energy.parameters(), lr=0.001)
        teachers = [Ring(2.0, 0.3), Square(), GaussianDist(2, False), GaussianDist(2, True)]
        for k, teacher in enumerate(teachers):
            data = teacher.sample((12,))
            for noise_type in ('radermacher', 'sphere', 'gaussian'):
                loss, g1, g2 = single_ssm(energy, data.clone(), noise_type=noise_type)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                o.print(
                    type(teacher).__name__,
                    noise_type,
                    "{:.4f}".format(loss.item()),
                    g1.requires_grad,
                    g2.shape,
                )
                o.vals.append(loss.detach())
            loss, l1, l2 = ssm_vr(energy, data, n_particles=2)
            loss2 = dsm(energy, data.detach().clone(), sigma=0.5)
            (loss + loss2).backward()
            o.vals += [loss.detach(), l1.detach(), l2.detach(), loss2.detach()]
        try:
            single_ssm(energy, torch.zeros(3, 2), noise_type='uniform')
        except ValueError as e:
            o.print('ValueError:', e)
        loss, _, _ = single_ssm(energy, torch.zeros(3, 2), detach=True)
        o.print(loss.requires_grad)
        gmm = GMM(2)
        X = teachers[0].sample((6,))
        o.vals.append(gmm(X))
        X.requires_grad_(True)
        log_pdf_model = gmm(X)
        model_score = autograd.grad(log_pdf_model.sum(), X)[0]
        log_pdf_actual = teachers[0].log_prob(X)
        actual_score = autograd.grad(log_pdf_actual.sum(), X)[0]
        fisher = 1 / 2 * ((model_score - actual_score) ** 2).sum(1).mean(0)
        o.print("fisher: {:.4f}".format(fisher.item()))
        o.vals += [
            model_score,
            actual_score,
            fisher,
            teachers[1].log_prob(torch.tensor([[0.0, 1.0], [5.0, 0.0]])),
        ]
        o.vals.append(teachers[2].log_pdf(X.detach()))
    return o.done()
