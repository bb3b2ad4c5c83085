"""AntixK/PyTorch-VAE, FactorVAE and the two-level models as users type them: fvae.py (a
discriminator on the codes, a second optimizer over it as experiment.py's
configure_optimizers builds from params['submodel'], permute_latent's randperm shuffle and
cross_entropy; Lightning's two-optimizer step order: each optimizer's training_step, backward,
step), kept as written, where the discriminator's loss backpropagates through D_z_reserve
from the first optimizer's graph (freed, or retained but with weights stepped in place), then
as users patch it; hvae.py (z2 embedded as an extra image channel, p(z1|z2)); lvae.py (ladder
encoder blocks, merge_gauss, its forward prints shapes and returns None). Shrunk as in
tests/s21_vae_progs.py."""

from math import floor

from s16_yunjey_progs import Out
from s21_vae_progs import images, make_base


def fvae(L):
    L.manual_seed(41)
    nn, F = L.nn, L.nn.functional
    _, VanillaVAE = make_base(L)

    class FactorVAE(VanillaVAE):
        def __init__(self, in_channels, latent_dim, hidden_dims=None, gamma: float = 40.,
                     how='as_written', **kwargs):
            super(FactorVAE, self).__init__(in_channels, latent_dim, hidden_dims)
            self.gamma, self.how = gamma, how
            self.discrminator = nn.Sequential(nn.Linear(self.latent_dim, 32),
                                              nn.BatchNorm1d(32),
                                              nn.LeakyReLU(0.2),
                                              nn.Linear(32, 32),
                                              nn.BatchNorm1d(32),
                                              nn.LeakyReLU(0.2),
                                              nn.Linear(32, 2))
            self.D_z_reserve = None

        def forward(self, input, **kwargs):
            mu, log_var = self.encode(input)
            z = self.reparameterize(mu, log_var)
            return [self.decode(z), input, mu, log_var, z]

        def permute_latent(self, z):
            B, D = z.size()
            inds = L.cat([(D * i) + L.randperm(D) for i in range(B)])
            return z.view(-1)[inds].view(B, D)

        def loss_function(self, *args, **kwargs):
            recons, input, mu, log_var, z = args[:5]
            kld_weight = kwargs['M_N']
            optimizer_idx = kwargs['optimizer_idx']
            if optimizer_idx == 0:
                recons_loss = F.mse_loss(recons, input)
                kld_loss = L.mean(-0.5 * L.sum(1 + log_var - mu ** 2 - log_var.exp(), dim=1),
                                  dim=0)
                self.D_z_reserve = self.discrminator(z)
                vae_tc_loss = (self.D_z_reserve[:, 0] - self.D_z_reserve[:, 1]).mean()
                loss = recons_loss + kld_weight * kld_loss - self.gamma * vae_tc_loss
                return {'loss': loss}
            elif optimizer_idx == 1:
                true_labels = L.ones(input.size(0), dtype=L.long, requires_grad=False)
                false_labels = L.zeros(input.size(0), dtype=L.long, requires_grad=False)
                real_img2 = kwargs['secondary_input']
                result = self.forward(real_img2)
                z2 = result[4].detach()
                z2_perm = self.permute_latent(z2)
                D_z2_perm = self.discrminator(z2_perm)
                D_z = self.D_z_reserve if self.how != 'patched' else self.discrminator(z.detach())
                D_tc_loss = -0.5 * (F.cross_entropy(D_z, false_labels) +
                                    F.cross_entropy(D_z2_perm, true_labels))
                return {'loss': D_tc_loss}

    def train(how, o):
        model = FactorVAE(3, 4, gamma=6.4, how=how)
        optims = [L.optim.Adam(model.parameters(), lr=0.005),
                  L.optim.Adam(getattr(model, 'discrminator').parameters(), lr=0.005)]
        for batch_idx in range(2):
            real_img, labels = images(L, seed=batch_idx)
            for optimizer_idx, opt in enumerate(optims):
                results = model(real_img, labels=labels)
                loss = model.loss_function(*results, M_N=4 / 64, optimizer_idx=optimizer_idx,
                                           batch_idx=batch_idx,
                                           secondary_input=images(L, seed=10 + batch_idx)[0])
                loss['loss'].backward(retain_graph=how == 'retain')
                opt.step()
                opt.zero_grad()
                o.print(batch_idx, optimizer_idx, round(loss['loss'].item(), 4))
        return model

    with Out() as o:
        o.tryit(lambda: train('as_written', o))
        o.tryit(lambda: train('retain', o))
        model = train('patched', o)
        z = L.arange(12.).view(3, 4)
        L.manual_seed(0)
        p = model.permute_latent(z)
        o.print(p, p.sum(1), L.randperm(6), L.randperm(6).dtype)
        o.vals += [model.fc_mu.weight.detach(), model.discrminator[0].weight.detach()]
    return o.lines, o.vals


def hvae(L):
    L.manual_seed(42)
    nn, F = L.nn, L.nn.functional
    from s21_vae_progs import run_experiment

    class HVAE(nn.Module):
        def __init__(self, in_channels, latent1_dim, latent2_dim, hidden_dims=None,
                     img_size: int = 16, **kwargs):
            super(HVAE, self).__init__()
            self.latent1_dim, self.latent2_dim, self.img_size = latent1_dim, latent2_dim, img_size
            modules = []
            if hidden_dims is None:
                hidden_dims = [8, 16, 32]
            self.last = hidden_dims[-1]
            channels = in_channels
            for h_dim in hidden_dims:
                modules.append(nn.Sequential(
                    nn.Conv2d(channels, out_channels=h_dim, kernel_size=3, stride=2, padding=1),
                    nn.BatchNorm2d(h_dim),
                    nn.LeakyReLU()))
                channels = h_dim
            self.encoder_z2_layers = nn.Sequential(*modules)
            self.fc_z2_mu = nn.Linear(hidden_dims[-1] * 4, latent2_dim)
            self.fc_z2_var = nn.Linear(hidden_dims[-1] * 4, latent2_dim)
            self.embed_z2_code = nn.Linear(latent2_dim, img_size * img_size)
            self.embed_data = nn.Conv2d(in_channels, in_channels, kernel_size=1)
            modules = []
            channels = in_channels + 1
            for h_dim in hidden_dims:
                modules.append(nn.Sequential(
                    nn.Conv2d(channels, out_channels=h_dim, kernel_size=3, stride=2, padding=1),
                    nn.BatchNorm2d(h_dim),
                    nn.LeakyReLU()))
                channels = h_dim
            self.encoder_z1_layers = nn.Sequential(*modules)
            self.fc_z1_mu = nn.Linear(hidden_dims[-1] * 4, latent1_dim)
            self.fc_z1_var = nn.Linear(hidden_dims[-1] * 4, latent1_dim)
            self.recons_z1_mu = nn.Linear(latent2_dim, latent1_dim)
            self.recons_z1_log_var = nn.Linear(latent2_dim, latent1_dim)
            self.debed_z1_code = nn.Linear(latent1_dim, self.last * 2)
            self.debed_z2_code = nn.Linear(latent2_dim, self.last * 2)
            modules = []
            hidden_dims.reverse()
            for i in range(len(hidden_dims) - 1):
                modules.append(nn.Sequential(
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
                nn.Conv2d(hidden_dims[-1], out_channels=3, kernel_size=3, padding=1),
                nn.Sigmoid())

        def encode_z2(self, input):
            result = self.encoder_z2_layers(input)
            result = L.flatten(result, start_dim=1)
            return [self.fc_z2_mu(result), self.fc_z2_var(result)]

        def encode_z1(self, input, z2):
            x = self.embed_data(input)
            z2 = self.embed_z2_code(z2)
            z2 = z2.view(-1, self.img_size, self.img_size).unsqueeze(1)
            result = L.cat([x, z2], dim=1)
            result = self.encoder_z1_layers(result)
            result = L.flatten(result, start_dim=1)
            return [self.fc_z1_mu(result), self.fc_z1_var(result)]

        def encode(self, input):
            z2_mu, z2_log_var = self.encode_z2(input)
            z2 = self.reparameterize(z2_mu, z2_log_var)
            z1_mu, z1_log_var = self.encode_z1(input, z2)
            return [z1_mu, z1_log_var, z2_mu, z2_log_var, z2]

        def decode(self, input):
            return self.final_layer(self.decoder(input))

        def reparameterize(self, mu, logvar):
            std = L.exp(0.5 * logvar)
            eps = L.randn_like(std)
            return eps * std + mu

        def forward(self, input, **kwargs):
            z1_mu, z1_log_var, z2_mu, z2_log_var, z2 = self.encode(input)
            z1 = self.reparameterize(z1_mu, z1_log_var)
            debedded_z1 = self.debed_z1_code(z1)
            debedded_z2 = self.debed_z2_code(z2)
            result = L.cat([debedded_z1, debedded_z2], dim=1)
            result = result.view(-1, self.last, 2, 2)
            recons = self.decode(result)
            return [recons, input, z1_mu, z1_log_var, z2_mu, z2_log_var, z1, z2]

        def loss_function(self, *args, **kwargs):
            recons, input, z1_mu, z1_log_var, z2_mu, z2_log_var, z1, z2 = args[:8]
            z1_p_mu = self.recons_z1_mu(z2)
            z1_p_log_var = self.recons_z1_log_var(z2)
            kld_weight = kwargs['M_N']
            recons_loss = F.mse_loss(recons, input)
            z1_kld = L.mean(-0.5 * L.sum(1 + z1_log_var - z1_mu ** 2 - z1_log_var.exp(), dim=1),
                            dim=0)
            z2_kld = L.mean(-0.5 * L.sum(1 + z2_log_var - z2_mu ** 2 - z2_log_var.exp(), dim=1),
                            dim=0)
            z1_p_kld = L.mean(-0.5 * L.sum(1 + z1_p_log_var - (z1 - z1_p_mu) ** 2
                                           - z1_p_log_var.exp(), dim=1), dim=0)
            z2_p_kld = L.mean(-0.5 * (z2 ** 2), dim=0)
            kld_loss = -(z1_p_kld - z1_kld - z2_kld)
            loss = recons_loss + kld_weight * kld_loss
            return {'loss': loss, 'Reconstruction Loss': recons_loss, 'KLD': -kld_loss,
                    'z2_p': z2_p_kld.sum()}

        def sample(self, batch_size, current_device, **kwargs):
            z2 = L.randn(batch_size, self.latent2_dim)
            z2 = z2.cuda(current_device)
            return z2

    with Out() as o:
        model = HVAE(3, 4, 3)
        model._in_ch = 3
        run_experiment(L, model, o, steps=2)
        o.tryit(lambda: model.sample(2, 0))
    return o.lines, o.vals


def lvae(L):
    L.manual_seed(43)
    nn = L.nn

    def conv_out_shape(img_size):
        return floor((img_size + 2 - 3) / 2.) + 1

    class EncoderBlock(nn.Module):
        def __init__(self, in_channels, out_channels, latent_dim, img_size):
            super(EncoderBlock, self).__init__()
            self.encoder = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=2, padding=1),
                nn.BatchNorm2d(out_channels),
                nn.LeakyReLU())
            out_size = conv_out_shape(img_size)
            self.encoder_mu = nn.Linear(out_channels * out_size ** 2, latent_dim)
            self.encoder_var = nn.Linear(out_channels * out_size ** 2, latent_dim)

        def forward(self, input):
            result = self.encoder(input)
            h = L.flatten(result, start_dim=1)
            return [result, self.encoder_mu(h), self.encoder_var(h)]

    class DecoderBlock(nn.Module):
        def __init__(self, in_channels, latent_dim):
            super(DecoderBlock, self).__init__()
            self.decode = nn.Sequential(nn.Linear(in_channels, in_channels),
                                        nn.BatchNorm1d(in_channels))
            self.fc_mu = nn.Linear(in_channels, latent_dim)
            self.fc_var = nn.Linear(in_channels, latent_dim)

        def forward(self, z):
            z = self.decode(z)
            return [self.fc_mu(z), self.fc_var(z)]

    class LVAE(nn.Module):
        def __init__(self, in_channels, latent_dims, hidden_dims, o, **kwargs):
            super(LVAE, self).__init__()
            self.latent_dims, self.o = latent_dims, o
            self.num_rungs = len(latent_dims)
            assert len(latent_dims) == len(hidden_dims), "Length of the latent" \
                                                         "and hidden dims must be the same"
            modules = []
            img_size = 16
            for i, h_dim in enumerate(hidden_dims):
                modules.append(EncoderBlock(in_channels, h_dim, latent_dims[i], img_size))
                img_size = conv_out_shape(img_size)
                in_channels = h_dim
            self.encoders = nn.Sequential(*modules)
            modules = []
            for i in range(self.num_rungs - 1, 0, -1):
                modules.append(DecoderBlock(latent_dims[i], latent_dims[i - 1]))
            self.decoders = nn.Sequential(*modules)

        def encode(self, input):
            h = input
            post_params = []
            for encoder_block in self.encoders:
                h, mu, log_var = encoder_block(h)
                post_params.append((mu, log_var))
            return post_params

        def decode(self, z, post_params):
            for i, decoder_block in enumerate(self.decoders):
                mu_e, log_var_e = post_params[i]
                mu_t, log_var_t = decoder_block(z)
                mu, log_var = self.merge_gauss(mu_e, mu_t, log_var_e, log_var_t)
                z = self.reparameterize(mu, log_var)
                self.o.print(z.shape)

        def merge_gauss(self, mu_1, mu_2, sigma_1, sigma_2):
            p_1 = 1. / (sigma_1.exp() + 1e-7)
            p_2 = 1. / (sigma_2.exp() + 1e-7)
            mu = (mu_1 * p_1 + mu_2 * p_2) / (p_1 + p_2)
            log_var = L.log(1. / (p_1 + p_2))
            return [mu, log_var]

        def reparameterize(self, mu, logvar):
            std = L.exp(0.5 * logvar)
            eps = L.randn_like(std)
            return eps * std + mu

        def forward(self, input, **kwargs):
            post_params = self.encode(input)
            mu, log_var = post_params.pop()
            z = self.reparameterize(mu, log_var)
            recons = self.decode(z, post_params)  # noqa: F841 - as written

    with Out() as o:
        o.tryit(lambda: LVAE(3, [4, 4], [8], o))
        model = LVAE(3, [6, 6, 6], [8, 16, 32], o)
        x = images(L)[0]
        results = model(x)
        o.print(results, model.encoders[1].encoder_mu)
        o.tryit(lambda: model.loss_function(results, M_N=0.1))
        o.tryit(lambda: LVAE(3, [6, 5, 4], [8, 16, 32], o)(x))
        pp = model.encode(x)
        mu, lv = model.merge_gauss(pp[0][0], pp[1][0], pp[0][1], pp[1][1])
        o.vals += [mu, lv]
    return o.lines, o.vals
