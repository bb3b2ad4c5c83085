"""AntixK/PyTorch-VAE, more models as users type them: vq_vae.py (VectorQuantizer with
argmin / scatter_ one-hot and the straight-through residue, ResidualLayer), wae_mmd.py (rbf
kernel with ``torch.tensor(x1.size(1))`` and imq), info_vae.py, swae.py (random projections,
sorted projections, ``pow(p)``), dip_vae.py (``torch.diagonal(..., dim1=0)``,
``torch.diag``). Shrunk as in tests/s21_vae_progs.py."""

from s16_yunjey_progs import Out
from s21_vae_progs import images, make_base, run_experiment


def vq_vae(L):
    L.manual_seed(3)
    nn, F = L.nn, L.nn.functional
    _, VanillaVAE = make_base(L)

    class VectorQuantizer(nn.Module):
        def __init__(self, num_embeddings: int, embedding_dim: int, beta: float = 0.25):
            super(VectorQuantizer, self).__init__()
            self.K = num_embeddings
            self.D = embedding_dim
            self.beta = beta
            self.embedding = nn.Embedding(self.K, self.D)
            self.embedding.weight.data.uniform_(-1 / self.K, 1 / self.K)

        def forward(self, latents):
            latents = latents.permute(0, 2, 3, 1).contiguous()
            latents_shape = latents.shape
            flat_latents = latents.view(-1, self.D)
            dist = L.sum(flat_latents ** 2, dim=1, keepdim=True) + \
                L.sum(self.embedding.weight ** 2, dim=1) - \
                2 * L.matmul(flat_latents, self.embedding.weight.t())
            encoding_inds = L.argmin(dist, dim=1).unsqueeze(1)
            device = latents.device
            encoding_one_hot = L.zeros(encoding_inds.size(0), self.K, device=device)
            encoding_one_hot.scatter_(1, encoding_inds, 1)
            quantized_latents = L.matmul(encoding_one_hot, self.embedding.weight)
            quantized_latents = quantized_latents.view(latents_shape)
            commitment_loss = F.mse_loss(quantized_latents.detach(), latents)
            embedding_loss = F.mse_loss(quantized_latents, latents.detach())
            vq_loss = commitment_loss * self.beta + embedding_loss
            quantized_latents = latents + (quantized_latents - latents).detach()
            return quantized_latents.permute(0, 3, 1, 2).contiguous(), vq_loss

    class ResidualLayer(nn.Module):
        def __init__(self, in_channels: int, out_channels: int):
            super(ResidualLayer, self).__init__()
            self.resblock = nn.Sequential(nn.Conv2d(in_channels, out_channels,
                                                    kernel_size=3, padding=1, bias=False),
                                          nn.ReLU(True),
                                          nn.Conv2d(out_channels, out_channels,
                                                    kernel_size=1, bias=False))

        def forward(self, input):
            return input + self.resblock(input)

    class VQVAE(nn.Module):
        def __init__(self, in_channels, embedding_dim, num_embeddings, hidden_dims=None,
                     beta=0.25, img_size=16, **kwargs):
            super(VQVAE, self).__init__()
            self.embedding_dim, self.num_embeddings = embedding_dim, num_embeddings
            self.img_size, self.beta = img_size, beta
            modules = []
            hidden_dims = [8, 16]
            for h_dim in hidden_dims:
                modules.append(nn.Sequential(
                    nn.Conv2d(in_channels, out_channels=h_dim, kernel_size=3, stride=2,
                              padding=1),
                    nn.BatchNorm2d(h_dim),
                    nn.LeakyReLU()))
                in_channels = h_dim
            modules.append(ResidualLayer(in_channels, in_channels))
            modules.append(nn.Sequential(
                nn.Conv2d(in_channels, embedding_dim, kernel_size=3, stride=2, padding=1),
                nn.BatchNorm2d(embedding_dim),
                nn.LeakyReLU()))
            self.encoder = nn.Sequential(*modules)
            self.vq_layer = VectorQuantizer(num_embeddings, embedding_dim, self.beta)
            modules = []
            modules.append(nn.Sequential(
                nn.ConvTranspose2d(embedding_dim, hidden_dims[-1], kernel_size=3, stride=2,
                                   padding=1, output_padding=1),
                nn.BatchNorm2d(hidden_dims[-1]),
                nn.LeakyReLU()))
            modules.append(ResidualLayer(hidden_dims[-1], hidden_dims[-1]))
            hidden_dims.reverse()
            for i in range(len(hidden_dims) - 1):
                modules.append(nn.Sequential(
                    nn.ConvTranspose2d(hidden_dims[i], hidden_dims[i + 1], kernel_size=3,
                                       stride=2, padding=1, output_padding=1),
                    nn.BatchNorm2d(hidden_dims[i + 1]),
                    nn.LeakyReLU()))
            modules.append(nn.Sequential(
                nn.ConvTranspose2d(hidden_dims[-1], hidden_dims[-1], kernel_size=3, stride=2,
                                   padding=1, output_padding=1),
                nn.BatchNorm2d(hidden_dims[-1]),
                nn.LeakyReLU(),
                nn.Conv2d(hidden_dims[-1], out_channels=3, kernel_size=3, padding=1),
                nn.Tanh()))
            self.decoder = nn.Sequential(*modules)

        def encode(self, input):
            return [self.encoder(input)]

        def decode(self, z):
            return self.decoder(z)

        def forward(self, input, **kwargs):
            encoding = self.encode(input)[0]
            quantized_inputs, vq_loss = self.vq_layer(encoding)
            return [self.decode(quantized_inputs), input, vq_loss]

        def loss_function(self, *args, **kwargs):
            recons, input, vq_loss = args[0], args[1], args[2]
            recons_loss = F.mse_loss(recons, input)
            loss = recons_loss + vq_loss
            return {'loss': loss, 'Reconstruction_Loss': recons_loss, 'VQ_Loss': vq_loss}

    with Out() as o:
        model = VQVAE(3, embedding_dim=6, num_embeddings=10)
        model._in_ch = 3
        o.print(model.vq_layer, model.encoder[2])
        run_experiment(L, model, o, steps=3, lr=0.005)
        x = images(L)[0]
        q, loss = model.vq_layer(model.encode(x)[0])
        o.print(q.shape, q.is_contiguous(), loss.grad_fn.name())
        o.vals.append(model.vq_layer.embedding.weight.detach())
    return o.lines, o.vals


def _mmd_methods(L, self_z_var):
    """The kernel helpers shared by wae_mmd.py, info_vae.py and swae.py."""
    def compute_kernel(self, x1, x2):
        D = x1.size(1)
        N = x1.size(0)
        x1 = x1.unsqueeze(-2)
        x2 = x2.unsqueeze(-3)
        x1 = x1.expand(N, N, D)
        x2 = x2.expand(N, N, D)
        if self.kernel_type == 'rbf':
            result = self.compute_rbf(x1, x2)
        elif self.kernel_type == 'imq':
            result = self.compute_inv_mult_quad(x1, x2)
        else:
            raise ValueError('Undefined kernel type.')
        return result

    def compute_inv_mult_quad(self, x1, x2, eps: float = 1e-7):
        z_dim = x2.size(-1)
        C = 2 * z_dim * self.z_var
        kernel = C / (eps + C + (x1 - x2).pow(2).sum(dim=-1))
        result = kernel.sum() - kernel.diag().sum()
        return result
    return compute_kernel, compute_inv_mult_quad


def wae_mmd(L):
    L.manual_seed(21)
    F = L.nn.functional
    _, VanillaVAE = make_base(L)
    ck, imq = _mmd_methods(L, 2.)

    class WAE_MMD(VanillaVAE):
        compute_kernel, compute_inv_mult_quad = ck, imq

        def __init__(self, in_channels, latent_dim, hidden_dims=None, reg_weight: int = 100,
                     kernel_type: str = 'imq', latent_var: float = 2., **kwargs):
            super(WAE_MMD, self).__init__(in_channels, latent_dim, hidden_dims)
            self.reg_weight, self.kernel_type, self.z_var = reg_weight, kernel_type, latent_var
            self.fc_z = L.nn.Linear(self.last_dim * 4, latent_dim)

        def encode(self, input):
            result = self.encoder(input)
            result = L.flatten(result, start_dim=1)
            return self.fc_z(result)

        def forward(self, input, **kwargs):
            z = self.encode(input)
            return [self.decode(z), input, z]

        def loss_function(self, *args, **kwargs):
            recons, input, z = args[0], args[1], args[2]
            batch_size = input.size(0)
            bias_corr = batch_size * (batch_size - 1)
            reg_weight = self.reg_weight / bias_corr
            recons_loss = F.mse_loss(recons, input)
            mmd_loss = self.compute_mmd(z, reg_weight)
            loss = recons_loss + mmd_loss
            return {'loss': loss, 'Reconstruction Loss': recons_loss, 'MMD': mmd_loss}

        def compute_rbf(self, x1, x2, eps: float = 1e-7):
            D = L.tensor(x1.size(1))
            result = L.exp(-((x1 - x2).pow(2).mean(-1) / D))
            return result

        def compute_mmd(self, z, reg_weight: float):
            prior_z = L.randn_like(z)
            prior_z__kernel = self.compute_kernel(prior_z, prior_z)
            z__kernel = self.compute_kernel(z, z)
            priorz_z__kernel = self.compute_kernel(prior_z, z)
            mmd = reg_weight * prior_z__kernel.mean() + \
                reg_weight * z__kernel.mean() - \
                2 * reg_weight * priorz_z__kernel.mean()
            return mmd

    with Out() as o:
        for kt in ['imq', 'rbf', 'poly']:
            model = WAE_MMD(3, 5, kernel_type=kt)
            model._in_ch = 3
            o.tryit(lambda: run_experiment(L, model, o, steps=2, digits=3))
            o.print(L.tensor(4).dtype, (L.randn(2) / L.tensor(4)).dtype)
    return o.lines, o.vals


def info_vae(L):
    L.manual_seed(22)
    F = L.nn.functional
    _, VanillaVAE = make_base(L)
    ck, imq = _mmd_methods(L, 2.)

    class InfoVAE(VanillaVAE):
        compute_kernel, compute_inv_mult_quad = ck, imq

        def __init__(self, in_channels, latent_dim, hidden_dims=None, alpha: float = -0.5,
                     beta: float = 5.0, reg_weight: int = 100, kernel_type: str = 'imq',
                     latent_var: float = 2., **kwargs):
            super(InfoVAE, self).__init__(in_channels, latent_dim, hidden_dims)
            self.reg_weight, self.kernel_type, self.z_var = reg_weight, kernel_type, latent_var
            assert alpha <= 0, 'alpha must be negative or zero.'
            self.alpha, self.beta = alpha, beta

        def forward(self, input, **kwargs):
            mu, log_var = self.encode(input)
            z = self.reparameterize(mu, log_var)
            return [self.decode(z), input, z, mu, log_var]

        def loss_function(self, *args, **kwargs):
            recons, input, z, mu, log_var = args[0], args[1], args[2], args[3], args[4]
            batch_size = input.size(0)
            bias_corr = batch_size * (batch_size - 1)
            kld_weight = kwargs['M_N']
            recons_loss = F.mse_loss(recons, input)
            mmd_loss = self.compute_mmd(z)
            kld_loss = L.mean(-0.5 * L.sum(1 + log_var - mu ** 2 - log_var.exp(), dim=1), dim=0)
            loss = self.beta * recons_loss + \
                (1. - self.alpha) * kld_weight * kld_loss + \
                (self.alpha + self.reg_weight - 1.) / bias_corr * mmd_loss
            return {'loss': loss, 'Reconstruction_Loss': recons_loss, 'MMD': mmd_loss,
                    'KLD': -kld_loss}

        def compute_rbf(self, x1, x2, eps: float = 1e-7):
            z_dim = x2.size(-1)
            sigma = 2. * z_dim * self.z_var
            return L.exp(-((x1 - x2).pow(2).mean(-1) / sigma))

        def compute_mmd(self, z):
            prior_z = L.randn_like(z)
            prior_z__kernel = self.compute_kernel(prior_z, prior_z)
            z__kernel = self.compute_kernel(z, z)
            priorz_z__kernel = self.compute_kernel(prior_z, z)
            mmd = prior_z__kernel.mean() + z__kernel.mean() - 2 * priorz_z__kernel.mean()
            return mmd

    with Out() as o:
        for kt in ['rbf', 'imq']:
            model = InfoVAE(3, 5, kernel_type=kt)
            model._in_ch = 3
            run_experiment(L, model, o, steps=2)
        o.tryit(lambda: InfoVAE(3, 5, alpha=0.5))
    return o.lines, o.vals


def swae(L):
    L.manual_seed(23)
    F = L.nn.functional
    _, VanillaVAE = make_base(L)

    class SWAE(VanillaVAE):
        def __init__(self, in_channels, latent_dim, hidden_dims=None, reg_weight: int = 100,
                     wasserstein_deg: float = 2., num_projections: int = 50,
                     projection_dist: str = 'normal', **kwargs):
            super(SWAE, self).__init__(in_channels, latent_dim, hidden_dims)
            self.reg_weight, self.p = reg_weight, wasserstein_deg
            self.num_projections, self.proj_dist = num_projections, projection_dist
            self.fc_z = L.nn.Linear(self.last_dim * 4, latent_dim)

        def encode(self, input):
            result = self.encoder(input)
            result = L.flatten(result, start_dim=1)
            return self.fc_z(result)

        def forward(self, input, **kwargs):
            z = self.encode(input)
            return [self.decode(z), input, z]

        def loss_function(self, *args, **kwargs):
            recons, input, z = args[0], args[1], args[2]
            batch_size = input.size(0)
            bias_corr = batch_size * (batch_size - 1)
            reg_weight = self.reg_weight / bias_corr
            recons_loss_l2 = F.mse_loss(recons, input)
            recons_loss_l1 = F.l1_loss(recons, input)
            swd_loss = self.compute_swd(z, self.p, reg_weight)
            loss = recons_loss_l2 + recons_loss_l1 + swd_loss
            return {'loss': loss, 'Reconstruction_Loss': (recons_loss_l2 + recons_loss_l1),
                    'SWD': swd_loss}

        def get_random_projections(self, latent_dim: int, num_samples: int):
            if self.proj_dist == 'normal':
                rand_samples = L.randn(num_samples, latent_dim)
            elif self.proj_dist == 'cauchy':
                rand_samples = L.distributions.Cauchy(L.tensor([0.0]), L.tensor([1.0])).sample(
                    (num_samples, latent_dim)).squeeze()
            else:
                raise ValueError('Unknown projection distribution.')
            rand_proj = rand_samples / rand_samples.norm(dim=1).view(-1, 1)
            return rand_proj

        def compute_swd(self, z, p: float, reg_weight: float):
            prior_z = L.randn_like(z)
            device = z.device
            proj_matrix = self.get_random_projections(self.latent_dim,
                                                      num_samples=self.num_projections
                                                      ).transpose(0, 1).to(device)
            latent_projections = z.matmul(proj_matrix)
            prior_projections = prior_z.matmul(proj_matrix)
            w_dist = L.sort(latent_projections.t(), dim=1)[0] - \
                L.sort(prior_projections.t(), dim=1)[0]
            w_dist = w_dist.pow(p)
            return reg_weight * w_dist.mean()

    with Out() as o:
        for pd in ['normal', 'cauchy']:
            model = SWAE(3, 5, num_projections=20, projection_dist=pd)
            model._in_ch = 3
            run_experiment(L, model, o, steps=2)
    return o.lines, o.vals


def dip_vae(L):
    L.manual_seed(24)
    F = L.nn.functional
    _, VanillaVAE = make_base(L)

    class DIPVAE(VanillaVAE):
        def __init__(self, in_channels, latent_dim, hidden_dims=None,
                     lambda_diag: float = 10., lambda_offdiag: float = 5., **kwargs):
            super(DIPVAE, self).__init__(in_channels, latent_dim, hidden_dims)
            self.lambda_diag, self.lambda_offdiag = lambda_diag, lambda_offdiag

        def loss_function(self, *args, **kwargs):
            recons, input, mu, log_var = args[0], args[1], args[2], args[3]
            kld_weight = 1
            recons_loss = F.mse_loss(recons, input, reduction='sum')
            kld_loss = L.mean(-0.5 * L.sum(1 + log_var - mu ** 2 - log_var.exp(), dim=1), dim=0)
            centered_mu = mu - mu.mean(dim=1, keepdim=True)
            cov_mu = centered_mu.t().matmul(centered_mu).squeeze()
            cov_z = cov_mu + L.mean(L.diagonal((2 * log_var).exp(), dim1=0), dim=0)
            cov_diag = L.diag(cov_z)
            cov_offdiag = cov_z - L.diag(cov_diag)
            dip_loss = self.lambda_offdiag * L.sum(cov_offdiag ** 2) + \
                self.lambda_diag * L.sum((cov_diag - 1) ** 2)
            loss = recons_loss + kld_weight * kld_loss + dip_loss
            return {'loss': loss, 'Reconstruction_Loss': recons_loss, 'KLD': -kld_loss,
                    'DIP_Loss': dip_loss}

    with Out() as o:
        model = DIPVAE(3, 4)
        model._in_ch = 3
        run_experiment(L, model, o, steps=2, lr=0.001, digits=2)
        a = L.arange(12.).view(4, 3)
        o.print(L.diagonal(a, dim1=0), L.diagonal(a, dim1=0).shape, L.diag(L.diag(a)).shape)
        o.tryit(lambda: L.diagonal(a, dim1=0, dim2=0))
    return o.lines, o.vals

