"""yoonholee/pytorch-vae as users type it: model/vae_base.py (Normal prior, SGVB^A / SGVB^B
elbo with kl_divergence, rsample(torch.Size([mean_n, imp_n])), logmeanexp for the IWAE bound)
and model/bernoulli_vae.py (xavier_uniform_ with calculate_gain('tanh') through apply, the
decoder's bias replaced by a Parameter of the NumPy mean-image logits, Normal with softplus
scale, Bernoulli(logits=...)), trained with main.py's loop (Adam, ReduceLROnPlateau stepped
on the test loss: its verbose=True, gone in PyTorch 2.13, is a TypeError; the 'Train Epoch'
and '==== Test loss' lines). MNIST is replaced by seeded binary NumPy batches, sizes shrunk."""

import numpy as np
from s16_yunjey_progs import Out


def _run(o, f):
    """f(), or None with its exception's type and message printed (a bare assert has none)."""
    try:
        return f()
    except Exception as e:  # noqa: BLE001 - compared across libraries
        o.print(type(e).__name__, str(e).split('\n')[0])
        return None


def bernoulli_vae(L):
    L.manual_seed(42)
    nn = L.nn
    Normal = L.distributions.normal.Normal
    Bernoulli = L.distributions.bernoulli.Bernoulli
    device = L.device("cpu")

    class VAE(nn.Module):
        def __init__(self, device, z_dim, analytic_kl):
            super().__init__()
            self.train_step = 0
            self.best_loss = np.inf
            self.analytic_kl = analytic_kl
            self.prior = Normal(L.zeros([z_dim]).to(device), L.ones([z_dim]).to(device))

        def elbo(self, true_x, z, x_dist, z_dist):
            true_x = self.proc_data(true_x)
            lpxz = self.lpxz(true_x, x_dist)
            if self.analytic_kl:
                assert z.size(0) == 1 and z.size(1) == 1
                kl = L.distributions.kl.kl_divergence(z_dist, self.prior).sum(-1)
            else:
                lpz = self.prior.log_prob(z).sum(-1)
                lqzx = z_dist.log_prob(z).sum(-1)
                kl = -lpz + lqzx
            return -kl + lpxz

        def logmeanexp(self, inputs, dim=1):
            if inputs.size(dim) == 1:
                return inputs
            else:
                input_max = inputs.max(dim, keepdim=True)[0]
                return (inputs - input_max).exp().mean(dim).log() + input_max

        def forward(self, true_x, mean_n, imp_n):
            z_dist = self.encode(true_x)
            z = z_dist.rsample(L.Size([mean_n, imp_n]))
            x_dist = self.decode(z)
            elbo = self.elbo(true_x, z, x_dist, z_dist)
            elbo_iwae = self.logmeanexp(elbo, 1).squeeze(1)
            elbo_iwae_m = L.mean(elbo_iwae, 0)
            return {'elbo': elbo, 'loss': -elbo_iwae_m}

    class BernoulliVAE(VAE):
        def __init__(self, device, img_shape, h_dim, z_dim, analytic_kl, mean_img):
            super().__init__(device, z_dim, analytic_kl)
            x_dim = np.prod(img_shape)
            self.img_shape = img_shape
            self.proc_data = lambda x: x.to(device).reshape(-1, x_dim)
            self.encoder = nn.Sequential(
                nn.Linear(x_dim, h_dim), nn.Tanh(),
                nn.Linear(h_dim, h_dim), nn.Tanh())
            self.enc_mu = nn.Linear(h_dim, z_dim)
            self.enc_sig = nn.Linear(h_dim, z_dim)
            self.decoder = nn.Sequential(
                nn.Linear(z_dim, h_dim), nn.Tanh(),
                nn.Linear(h_dim, h_dim), nn.Tanh(),
                nn.Linear(h_dim, x_dim))
            self.apply(self.init)
            mean_img = np.clip(mean_img, 1e-8, 1. - 1e-7)
            mean_img_logit = np.log(mean_img / (1. - mean_img))
            self.decoder[-1].bias = L.nn.Parameter(L.Tensor(mean_img_logit))

        def init(self, module):
            if type(module) == nn.Linear:
                L.nn.init.xavier_uniform_(module.weight, gain=nn.init.calculate_gain('tanh'))
                module.bias.data.fill_(.01)

        def encode(self, x):
            x = self.proc_data(x)
            h = self.encoder(x)
            mu, _std = self.enc_mu(h), self.enc_sig(h)
            return Normal(mu, nn.functional.softplus(_std))

        def decode(self, z):
            x = self.decoder(z)
            return Bernoulli(logits=x)

        def lpxz(self, true_x, x_dist):
            return x_dist.log_prob(true_x).sum(-1)

        def sample(self, num_samples=64):
            z = self.prior.sample((num_samples,))
            x_dist = self.decode(z)
            return x_dist.sample().view(num_samples, *self.img_shape)

    rng = np.random.default_rng(7)
    img_shape = (1, 4, 4)
    batches = [(L.from_numpy((rng.random((4,) + img_shape) < 0.3).astype(np.float32)),
                L.from_numpy(rng.integers(0, 10, 4))) for _ in range(3)]
    mean_img = np.mean([b[0].numpy() for b in batches], axis=(0, 1)).reshape(-1)
    with Out() as o:
        for analytic_kl, (mean_n, imp_n) in [(False, (1, 3)), (True, (1, 1)), (True, (2, 2))]:
            model = BernoulliVAE(device, img_shape, 8, 2, analytic_kl, mean_img).to(device)
            o.print(model.decoder[-1].bias.dtype, model.decoder[-1].bias.shape,
                    type(model.decoder[-1].bias).__name__)
            optimizer = L.optim.Adam(model.parameters(), lr=1e-2)
            o.tryit(lambda: L.optim.lr_scheduler.ReduceLROnPlateau(optimizer, 'min',
                                                                   verbose=True))
            scheduler = L.optim.lr_scheduler.ReduceLROnPlateau(optimizer, 'min', patience=0)
            train_step = 0
            for epoch in range(1, 3):
                for batch_idx, (data, _) in enumerate(batches):
                    train_step += 1
                    data = data.to(device).view(-1, 16)
                    optimizer.zero_grad()
                    outs = _run(o, lambda: model(data, mean_n, imp_n))
                    if outs is None:
                        break
                    loss = outs['loss'].mean()
                    loss.backward()
                    optimizer.step()
                    if train_step % 2 == 0:
                        o.print('Train Epoch: {} ({:.0f}%)\tLoss: {:.4f}'.format(
                            epoch, 100. * batch_idx / len(batches), loss.item()))
                with L.no_grad():
                    loss_sum = 0
                    for batch_idx, (data, _) in enumerate(batches[:2]):
                        outs = _run(o, lambda: model(data.view(-1, 16), mean_n, imp_n))
                        if outs is None:
                            break
                        loss_sum += outs['loss'].mean().item() * len(data)
                    test_loss = loss_sum / 8
                    scheduler.step(test_loss + epoch)
                    o.print('==== Test loss: {:.4f} current lr: {} ===='.format(
                        test_loss, optimizer.param_groups[0]['lr']))
            s = model.sample(num_samples=3)
            o.print(s.shape, s.dtype, model.prior, model.encode(data).loc.shape)
            o.vals += [model.enc_mu.weight.detach(), model.decoder[-1].bias.detach()]
    return o.lines, o.vals
