"""AntixK/PyTorch-VAE as users type them: models/types_.py, models/base.py (BaseVAE),
models/vanilla_vae.py, beta_vae.py (loss types 'H' and 'B' with the clamped capacity),
betatc_vae.py (log-density matrix and logsumexp), cat_vae.py (Gumbel-softmax with a NumPy
annealed temperature) and experiment.py's training_step / validation_step
(``loss_function(*results, M_N=..., optimizer_idx=..., batch_idx=...)`` and
``{key: val.item() ...}``). Sizes are shrunk: 16x16 images, hidden_dims [8, 16, 32] (so the
encoder ends at 2x2 as the 64x64 / 5-layer original does; decode's ``view(-1, 512, 2, 2)``
uses hidden_dims[-1]), batch 4, a few steps with Adam as in the configs."""

from typing import Any, List, TypeVar

import numpy as np
from s16_yunjey_progs import Out

Tensor = TypeVar('torch.tensor')


def make_base(L):
    """models/base.py and the shared encoder / decoder of vanilla_vae.py."""
    nn = L.nn
    from abc import abstractmethod

    class BaseVAE(nn.Module):
        def __init__(self) -> None:
            super(BaseVAE, self).__init__()

        def encode(self, input: Tensor) -> List[Tensor]:
            raise NotImplementedError

        def decode(self, input: Tensor) -> Any:
            raise NotImplementedError

        def sample(self, batch_size: int, current_device: int, **kwargs) -> Tensor:
            raise NotImplementedError

        def generate(self, x: Tensor, **kwargs) -> Tensor:
            raise NotImplementedError

        @abstractmethod
        def forward(self, *inputs: Tensor) -> Tensor:
            pass

        @abstractmethod
        def loss_function(self, *inputs: Any, **kwargs) -> Tensor:
            pass

    class VanillaVAE(BaseVAE):
        def __init__(self, in_channels: int, latent_dim: int, hidden_dims: List = None,
                     out_channels: int = 3, final_act=None, fc_in_extra: int = 0,
                     dec_in: int = None, **kwargs) -> None:
            super(VanillaVAE, self).__init__()
            self.latent_dim = latent_dim
            modules = []
            if hidden_dims is None:
                hidden_dims = [8, 16, 32]
            hidden_dims = list(hidden_dims)
            self.last_dim = hidden_dims[-1]
            for h_dim in hidden_dims:
                modules.append(
                    nn.Sequential(
                        nn.Conv2d(in_channels, out_channels=h_dim,
                                  kernel_size=3, stride=2, padding=1),
                        nn.BatchNorm2d(h_dim),
                        nn.LeakyReLU()))
                in_channels = h_dim
            self.encoder = nn.Sequential(*modules)
            self.fc_mu = nn.Linear(hidden_dims[-1] * 4, latent_dim)
            self.fc_var = nn.Linear(hidden_dims[-1] * 4, latent_dim)
            modules = []
            self.decoder_input = nn.Linear(dec_in or latent_dim, hidden_dims[-1] * 4)
            hidden_dims.reverse()
            for i in range(len(hidden_dims) - 1):
                modules.append(
                    nn.Sequential(
                        nn.ConvTranspose2d(hidden_dims[i], hidden_dims[i + 1], kernel_size=3,
                                           stride=2, padding=1, output_padding=1),
                        nn.BatchNorm2d(hidden_dims[i + 1]),
                        nn.LeakyReLU()))
            self.decoder = nn.Sequential(*modules)
            self.final_layer = nn.Sequential(
                nn.ConvTranspose2d(hidden_dims[-1], hidden_dims[-1], kernel_size=3, stride=2,
                                   padding=1, output_padding=1),
                nn.BatchNorm2d(hidden_dims[-1]),
                nn.LeakyReLU(),
                nn.Conv2d(hidden_dims[-1], out_channels=out_channels, kernel_size=3, padding=1),
                final_act if final_act is not None else nn.Tanh())

        def encode(self, input: Tensor) -> List[Tensor]:
            result = self.encoder(input)
            result = L.flatten(result, start_dim=1)
            mu = self.fc_mu(result)
            log_var = self.fc_var(result)
            return [mu, log_var]

        def decode(self, z: Tensor) -> Tensor:
            result = self.decoder_input(z)
            result = result.view(-1, self.last_dim, 2, 2)
            result = self.decoder(result)
            result = self.final_layer(result)
            return result

        def reparameterize(self, mu: Tensor, logvar: Tensor) -> Tensor:
            std = L.exp(0.5 * logvar)
            eps = L.randn_like(std)
            return eps * std + mu

        def forward(self, input: Tensor, **kwargs) -> List[Tensor]:
            mu, log_var = self.encode(input)
            z = self.reparameterize(mu, log_var)
            return [self.decode(z), input, mu, log_var]

        def loss_function(self, *args, **kwargs) -> dict:
            recons, input, mu, log_var = args[0], args[1], args[2], args[3]
            kld_weight = kwargs['M_N']
            recons_loss = L.nn.functional.mse_loss(recons, input)
            kld_loss = L.mean(-0.5 * L.sum(1 + log_var - mu ** 2 - log_var.exp(), dim=1), dim=0)
            loss = recons_loss + kld_weight * kld_loss
            return {'loss': loss, 'Reconstruction_Loss': recons_loss.detach(),
                    'KLD': -kld_loss.detach()}

        def sample(self, num_samples: int, current_device: int, **kwargs) -> Tensor:
            z = L.randn(num_samples, self.latent_dim)
            z = z.to(current_device)
            samples = self.decode(z)
            return samples

        def generate(self, x: Tensor, **kwargs) -> Tensor:
            return self.forward(x)[0]

    return BaseVAE, VanillaVAE


def images(L, n=4, c=3, hw=16, seed=0):
    """A batch standing in for CelebA after the experiment's transforms (in [-1, 1])."""
    rng = np.random.default_rng(seed)
    x = np.tanh(rng.standard_normal((n, c, hw, hw))).astype(np.float32)
    return L.from_numpy(x), L.from_numpy(rng.integers(0, 10, n))


def run_experiment(L, model, o, steps=3, lr=0.005, weight_decay=0.0, scheduler_gamma=0.95,
                   forward_kw=None, n_train=64, seed=0, digits=4):
    """experiment.py's VAEXperiment: training_step, validation_step, configure_optimizers."""
    optim = L.optim
    optimizer = optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = optim.lr_scheduler.ExponentialLR(optimizer, gamma=scheduler_gamma)
    params = {'kld_weight': 4 / n_train}
    # Lightning's sanity check runs validation_step before training (eval mode, no grad);
    # after training the running statistics carry the conv biases before BatchNorm, whose
    # gradients are rounding noise that Adam scales up to +-lr: not compared.
    model.eval()
    real_img, labels = images(L, seed=100, c=model._in_ch, hw=getattr(model, '_hw', 16))
    with L.no_grad():
        results = model.forward(real_img, labels=labels, **(forward_kw or {}))
        val_loss = model.loss_function(*results, M_N=1.0, optimizer_idx=0, batch_idx=0)
    o.print({f"val_{key}": round(val.item(), digits) for key, val in val_loss.items()})
    o.vals.append(results[0])
    for batch_idx in range(steps):
        model.train()
        real_img, labels = images(L, seed=seed + batch_idx, c=model._in_ch,
                                   hw=getattr(model, '_hw', 16))
        results = model(real_img, labels=labels, **(forward_kw or {}))
        train_loss = model.loss_function(*results, M_N=params['kld_weight'],
                                         optimizer_idx=0, batch_idx=batch_idx)
        log = {key: round(val.item(), digits) for key, val in train_loss.items()}
        o.print(batch_idx, log)
        optimizer.zero_grad()
        train_loss['loss'].backward()
        optimizer.step()
        scheduler.step()
        if batch_idx == 0:  # later Adam steps scale up the rounding noise of tiny gradients
            o.vals += [p.detach().clone() for n, p in model.named_parameters() if 'fc' in n]
    o.print(results[0].shape, results[0].dtype, results[0].requires_grad, scheduler.get_last_lr())
    o.vals.append(train_loss['loss'].detach())


def vanilla_vae(L):
    L.manual_seed(1265)
    _, VanillaVAE = make_base(L)
    with Out() as o:
        model = VanillaVAE(in_channels=3, latent_dim=8)
        model._in_ch = 3
        o.print(model.final_layer)
        o.print(sum(p.numel() for p in model.parameters()))
        run_experiment(L, model, o)
        model.eval()
        o.print(model.sample(4, 'cpu').shape, model.generate(images(L)[0]).shape)
    return o.lines, o.vals


def beta_vae(L):
    L.manual_seed(1265)
    _, VanillaVAE = make_base(L)
    F = L.nn.functional

    class BetaVAE(VanillaVAE):
        num_iter = 0

        def __init__(self, in_channels, latent_dim, hidden_dims=None, beta=4, gamma=1000.,
                     max_capacity=25, Capacity_max_iter=1e5, loss_type='B', **kwargs):
            super(BetaVAE, self).__init__(in_channels, latent_dim, hidden_dims)
            self.beta, self.gamma, self.loss_type = beta, gamma, loss_type
            self.C_max = L.Tensor([max_capacity])
            self.C_stop_iter = Capacity_max_iter

        def loss_function(self, *args, **kwargs) -> dict:
            self.num_iter += 1
            recons, input, mu, log_var = args[0], args[1], args[2], args[3]
            kld_weight = kwargs['M_N']
            recons_loss = F.mse_loss(recons, input)
            kld_loss = L.mean(-0.5 * L.sum(1 + log_var - mu ** 2 - log_var.exp(), dim=1), dim=0)
            if self.loss_type == 'H':
                loss = recons_loss + self.beta * kld_weight * kld_loss
            elif self.loss_type == 'B':
                self.C_max = self.C_max.to(input.device)
                C = L.clamp(self.C_max / self.C_stop_iter * self.num_iter, 0, self.C_max.data[0])
                loss = recons_loss + self.gamma * kld_weight * (kld_loss - C).abs()
            else:
                raise ValueError('Undefined loss type.')
            return {'loss': loss, 'Reconstruction_Loss': recons_loss, 'KLD': kld_loss}

    with Out() as o:
        for lt in ['H', 'B']:
            model = BetaVAE(3, 6, loss_type=lt, Capacity_max_iter=10)
            model._in_ch = 3
            run_experiment(L, model, o, steps=2)
            o.print(lt, model.num_iter, BetaVAE.num_iter, model.C_max, model.C_max.data[0])
    return o.lines, o.vals


def betatc_vae(L):
    L.manual_seed(7)
    import math
    _, VanillaVAE = make_base(L)
    F = L.nn.functional

    class BetaTCVAE(VanillaVAE):
        num_iter = 0

        def __init__(self, in_channels, latent_dim, hidden_dims=None, anneal_steps: int = 200,
                     alpha: float = 1., beta: float = 6., gamma: float = 1., **kwargs):
            super(BetaTCVAE, self).__init__(in_channels, latent_dim, hidden_dims)
            self.anneal_steps, self.alpha, self.beta, self.gamma = anneal_steps, alpha, beta, gamma

        def forward(self, input, **kwargs):
            mu, log_var = self.encode(input)
            z = self.reparameterize(mu, log_var)
            return [self.decode(z), input, mu, log_var, z]

        def log_density_gaussian(self, x, mu, logvar):
            norm = - 0.5 * (math.log(2 * math.pi) + logvar)
            log_density = norm - 0.5 * ((x - mu) ** 2 * L.exp(-logvar))
            return log_density

        def loss_function(self, *args, **kwargs) -> dict:
            if self.training:
                self.num_iter += 1
            recons, input, mu, log_var, z = args[0], args[1], args[2], args[3], args[4]
            recons_loss = F.mse_loss(recons, input)
            log_q_zx = self.log_density_gaussian(z, mu, log_var).sum(dim=1)
            zeros = L.zeros_like(z)
            log_p_z = self.log_density_gaussian(z, zeros, zeros).sum(dim=1)
            batch_size, latent_dim = z.shape
            mat_log_q_z = self.log_density_gaussian(z.view(batch_size, 1, latent_dim),
                                                    mu.view(1, batch_size, latent_dim),
                                                    log_var.view(1, batch_size, latent_dim))
            log_q_z = L.logsumexp(mat_log_q_z.sum(2), dim=1, keepdim=False)
            log_prod_q_z = L.logsumexp(mat_log_q_z, dim=1, keepdim=False).sum(1)
            kld_loss = (log_prod_q_z - log_p_z).mean()
            tc_loss = (log_q_z - log_prod_q_z).mean()
            mi_loss = (log_q_zx - log_q_z).mean()
            anneal_rate = min(0 + 1 * self.num_iter / self.anneal_steps, 1)
            loss = recons_loss + self.alpha * mi_loss + self.beta * tc_loss + \
                anneal_rate * self.gamma * kld_loss
            return {'loss': loss, 'Reconstruction_Loss': recons_loss, 'KLD': kld_loss,
                    'TC_Loss': tc_loss, 'MI_Loss': mi_loss}

    with Out() as o:
        model = BetaTCVAE(3, 10, anneal_steps=4)
        model._in_ch = 3
        run_experiment(L, model, o, steps=3, lr=0.001)
    return o.lines, o.vals


def cat_vae(L):
    L.manual_seed(11)
    _, VanillaVAE = make_base(L)
    F = L.nn.functional

    class CategoricalVAE(VanillaVAE):
        def __init__(self, in_channels, latent_dim, categorical_dim=40, hidden_dims=None,
                     temperature: float = 0.5, anneal_rate: float = 3e-5,
                     anneal_interval: int = 100, **kwargs):
            super(CategoricalVAE, self).__init__(in_channels, latent_dim, hidden_dims,
                                                 dec_in=latent_dim * categorical_dim)
            self.categorical_dim = categorical_dim
            self.temp = temperature
            self.min_temp = temperature
            self.anneal_rate = anneal_rate
            self.anneal_interval = anneal_interval
            del self.fc_mu, self.fc_var
            self.fc_z = L.nn.Linear(self.last_dim * 4, self.latent_dim * self.categorical_dim)
            self.sampling_dist = L.distributions.OneHotCategorical(
                1. / categorical_dim * L.ones((self.categorical_dim, 1)))

        def encode(self, input):
            result = self.encoder(input)
            result = L.flatten(result, start_dim=1)
            z = self.fc_z(result)
            z = z.view(-1, self.latent_dim, self.categorical_dim)
            return [z]

        def reparameterize(self, z, eps: float = 1e-7):
            u = L.rand_like(z)
            g = - L.log(- L.log(u + eps) + eps)
            s = F.softmax((z + g) / self.temp, dim=-1)
            s = s.view(-1, self.latent_dim * self.categorical_dim)
            return s

        def forward(self, input, **kwargs):
            q = self.encode(input)[0]
            z = self.reparameterize(q)
            return [self.decode(z), input, q]

        def loss_function(self, *args, **kwargs) -> dict:
            recons, input, q = args[0], args[1], args[2]
            q_p = F.softmax(q, dim=-1)
            kld_weight = kwargs['M_N']
            batch_idx = kwargs['batch_idx']
            if batch_idx % self.anneal_interval == 0 and self.training:
                self.temp = np.maximum(self.temp * np.exp(- self.anneal_rate * batch_idx),
                                       self.min_temp)
            recons_loss = F.mse_loss(recons, input, reduction='mean')
            eps = 1e-7
            h1 = q_p * L.log(q_p + eps)
            h2 = q_p * np.log(1. / self.categorical_dim + eps)
            kld_loss = L.mean(L.sum(h1 - h2, dim=(1, 2)), dim=0)
            loss = 30. * recons_loss + kld_weight * kld_loss
            return {'loss': loss, 'Reconstruction_Loss': recons_loss, 'KLD': -kld_loss}

        def sample(self, num_samples, current_device, **kwargs):
            M = num_samples * self.latent_dim
            np_y = np.zeros((M, self.categorical_dim), dtype=np.float32)
            np_y[range(M), np.random.RandomState(3).choice(self.categorical_dim, M)] = 1
            np_y = np.reshape(np_y, [M // self.latent_dim, self.latent_dim, self.categorical_dim])
            z = L.from_numpy(np_y)
            z = z.view(num_samples, self.latent_dim * self.categorical_dim).to(current_device)
            return self.decode(z)

    with Out() as o:
        model = CategoricalVAE(3, 4, categorical_dim=5, anneal_interval=1, anneal_rate=0.3,
                               temperature=2.0)
        model._in_ch = 3
        run_experiment(L, model, o, steps=3)
        o.print(type(model.temp).__name__, round(float(model.temp), 6))
        s = model.sampling_dist.sample((3,))
        o.print(s.shape, s.dtype, model.sampling_dist.batch_shape, model.sampling_dist.event_shape)
        o.vals.append(s)
        o.print(model.sample(2, 'cpu').shape)
    return o.lines, o.vals

