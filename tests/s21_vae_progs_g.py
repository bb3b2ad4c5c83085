"""AntixK/PyTorch-VAE, more models as users type them: joint_vae.py (continuous and
Gumbel-softmax codes, capacities annealed by num_iter, Sigmoid output), logcosh_vae.py
(``torch.log(torch.tensor(2.0))``) and cvae.py (class embedding as an extra image channel).
Shrunk as in tests/s21_vae_progs.py."""

import numpy as np
from s16_yunjey_progs import Out
from s21_vae_progs import make_base, run_experiment


def joint_vae(L):
    L.manual_seed(5)
    _, VanillaVAE = make_base(L)
    F = L.nn.functional

    class JointVAE(VanillaVAE):
        num_iter = 1

        def __init__(self, in_channels, latent_dim, categorical_dim, latent_min_capacity=0.,
                     latent_max_capacity=25., latent_gamma=30., latent_num_iter=25000,
                     categorical_min_capacity=0., categorical_max_capacity=25.,
                     categorical_gamma=30., categorical_num_iter=25000, hidden_dims=None,
                     temperature: float = 0.5, anneal_rate: float = 3e-5,
                     anneal_interval: int = 100, alpha: float = 30., **kwargs):
            super(JointVAE, self).__init__(in_channels, latent_dim, hidden_dims,
                                           final_act=L.nn.Sigmoid(),
                                           dec_in=latent_dim + categorical_dim)
            self.categorical_dim = categorical_dim
            self.temp = temperature
            self.min_temp = temperature
            self.anneal_rate = anneal_rate
            self.anneal_interval = anneal_interval
            self.alpha = alpha
            self.cont_min, self.cont_max = latent_min_capacity, latent_max_capacity
            self.disc_min, self.disc_max = categorical_min_capacity, categorical_max_capacity
            self.cont_gamma, self.disc_gamma = latent_gamma, categorical_gamma
            self.cont_iter, self.disc_iter = latent_num_iter, categorical_num_iter
            self.fc_z = L.nn.Linear(self.last_dim * 4, self.categorical_dim)

        def encode(self, input):
            result = self.encoder(input)
            result = L.flatten(result, start_dim=1)
            mu = self.fc_mu(result)
            log_var = self.fc_var(result)
            z = self.fc_z(result)
            z = z.view(-1, self.categorical_dim)
            return [mu, log_var, z]

        def reparameterize(self, mu, log_var, q, eps: float = 1e-7):
            std = L.exp(0.5 * log_var)
            e = L.randn_like(std)
            z = e * std + mu
            u = L.rand_like(q)
            g = - L.log(- L.log(u + eps) + eps)
            s = F.softmax((q + g) / self.temp, dim=-1)
            s = s.view(-1, self.categorical_dim)
            return L.cat([z, s], dim=1)

        def forward(self, input, **kwargs):
            mu, log_var, q = self.encode(input)
            z = self.reparameterize(mu, log_var, q)
            return [self.decode(z), input, q, mu, log_var]

        def loss_function(self, *args, **kwargs) -> dict:
            recons, input, q, mu, log_var = args[0], args[1], args[2], args[3], args[4]
            q_p = F.softmax(q, dim=-1)
            kld_weight = kwargs['M_N']
            batch_idx = kwargs['batch_idx']
            if batch_idx % self.anneal_interval == 0 and self.training:
                self.temp = np.maximum(self.temp * np.exp(- self.anneal_rate * batch_idx),
                                       self.min_temp)
            recons_loss = F.mse_loss(recons, input, reduction='mean')
            disc_curr = (self.disc_max - self.disc_min) * \
                self.num_iter / float(self.disc_iter) + self.disc_min
            disc_curr = min(disc_curr, np.log(self.categorical_dim))
            eps = 1e-7
            h1 = q_p * L.log(q_p + eps)
            h2 = q_p * np.log(1. / self.categorical_dim + eps)
            kld_disc_loss = L.mean(L.sum(h1 - h2, dim=1), dim=0)
            cont_curr = (self.cont_max - self.cont_min) * \
                self.num_iter / float(self.cont_iter) + self.cont_min
            cont_curr = min(cont_curr, self.cont_max)
            kld_cont_loss = L.mean(-0.5 * L.sum(1 + log_var - mu ** 2 - log_var.exp(), dim=1),
                                   dim=0)
            capacity_loss = self.disc_gamma * L.abs(disc_curr - kld_disc_loss) + \
                self.cont_gamma * L.abs(cont_curr - kld_cont_loss)
            loss = self.alpha * recons_loss + kld_weight * capacity_loss
            if self.training:
                self.num_iter += 1
            return {'loss': loss, 'Reconstruction_Loss': recons_loss,
                    'Capacity_Loss': capacity_loss}

    with Out() as o:
        model = JointVAE(3, 4, 3, latent_num_iter=10, categorical_num_iter=10)
        model._in_ch = 3
        run_experiment(L, model, o, steps=3)
        o.print(model.num_iter, model.final_layer[-1])
        z = L.randn(2, model.latent_dim)
        q = L.from_numpy(np.eye(3, dtype=np.float32)[[0, 2]])
        o.print(model.decode(L.cat([z, q], dim=1)).shape)
    return o.lines, o.vals


def logcosh_vae(L):
    L.manual_seed(25)
    _, VanillaVAE = make_base(L)

    class LogCoshVAE(VanillaVAE):
        def __init__(self, in_channels, latent_dim, hidden_dims=None, alpha: float = 100.,
                     beta: float = 10., **kwargs):
            super(LogCoshVAE, self).__init__(in_channels, latent_dim, hidden_dims)
            self.alpha, self.beta = alpha, beta

        def loss_function(self, *args, **kwargs):
            recons, input, mu, log_var = args[0], args[1], args[2], args[3]
            kld_weight = kwargs['M_N']
            t = recons - input
            recons_loss = self.alpha * t + \
                L.log(1. + L.exp(- 2 * self.alpha * t)) - \
                L.log(L.tensor(2.0))
            recons_loss = (1. / self.alpha) * recons_loss.mean()
            kld_loss = L.mean(-0.5 * L.sum(1 + log_var - mu ** 2 - log_var.exp(), dim=1), dim=0)
            loss = recons_loss + self.beta * kld_weight * kld_loss
            return {'loss': loss, 'Reconstruction_Loss': recons_loss, 'KLD': -kld_loss}

    with Out() as o:
        model = LogCoshVAE(3, 4, alpha=10.)
        model._in_ch = 3
        run_experiment(L, model, o, steps=2)
        o.print(L.log(L.tensor(2.0)), L.log(1. + L.exp(L.tensor([-200., 0., 200.]))))
    return o.lines, o.vals


def cvae(L):
    L.manual_seed(28)
    nn, F = L.nn, L.nn.functional
    _, VanillaVAE = make_base(L)

    class ConditionalVAE(VanillaVAE):
        def __init__(self, in_channels, num_classes, latent_dim, hidden_dims=None,
                     img_size: int = 16):
            super(ConditionalVAE, self).__init__(in_channels + 1, latent_dim, hidden_dims,
                                                 dec_in=latent_dim + num_classes)
            self.img_size = img_size
            self.embed_class = nn.Linear(num_classes, img_size * img_size)
            self.embed_data = nn.Conv2d(in_channels, in_channels, kernel_size=1)

        def forward(self, input, **kwargs):
            y = kwargs['labels'].float()
            embedded_class = self.embed_class(y)
            embedded_class = embedded_class.view(-1, self.img_size, self.img_size).unsqueeze(1)
            embedded_input = self.embed_data(input)
            x = L.cat([embedded_input, embedded_class], dim=1)
            mu, log_var = self.encode(x)
            z = self.reparameterize(mu, log_var)
            z = L.cat([z, y], dim=1)
            return [self.decode(z), input, mu, log_var]

    class OneHot(nn.Module):
        def forward(self, labels):
            return F.one_hot(labels, 10)

    with Out() as o:
        model = ConditionalVAE(3, 10, 4)
        model._in_ch = 3
        oh = OneHot()
        orig = model.forward
        model.forward = lambda input, labels=None, **kw: orig(input, labels=oh(labels))
        run_experiment(L, model, o, steps=2)
        o.print(F.one_hot(L.tensor([1, 3]), 5).dtype, F.one_hot(L.tensor([1, 3]), 5).float().dtype)
    return o.lines, o.vals
