"""ctallec/world-models as users type it: models/vae.py (Encoder / Decoder / VAE), trainvae.py
(loss_function with mse_loss(size_average=False), Adam, ReduceLROnPlateau, the decoded
samples), models/mdrnn.py (gmm_loss, MDRNN, MDRNNCell), trainmdrnn.py (to_latent with
f.upsample, get_loss, RMSprop, train / eval passes), models/controller.py and utils/misc.py
(flatten / unflatten / load_parameters, the MDRNNCell state dict from an MDRNN's,
RolloutGenerator.get_action_and_transition) and tests/test_gmm.py. Tiny sizes, random
tensors in place of CarRacing rollouts. ``prog(L) -> (printed, values)``."""

from types import SimpleNamespace

import numpy as np
from s16_yunjey_progs import Out


def _wm(L):
    torch, nn, F = L, L.nn, L.nn.functional
    f = F
    Normal = L.distributions.normal.Normal

    class Decoder(nn.Module):
        """ VAE decoder """
        def __init__(self, img_channels, latent_size):
            super(Decoder, self).__init__()
            self.latent_size = latent_size
            self.img_channels = img_channels
            self.fc1 = nn.Linear(latent_size, 1024)
            self.deconv1 = nn.ConvTranspose2d(1024, 128, 5, stride=2)
            self.deconv2 = nn.ConvTranspose2d(128, 64, 5, stride=2)
            self.deconv3 = nn.ConvTranspose2d(64, 32, 6, stride=2)
            self.deconv4 = nn.ConvTranspose2d(32, img_channels, 6, stride=2)

        def forward(self, x):
            x = F.relu(self.fc1(x))
            x = x.unsqueeze(-1).unsqueeze(-1)
            x = F.relu(self.deconv1(x))
            x = F.relu(self.deconv2(x))
            x = F.relu(self.deconv3(x))
            reconstruction = F.sigmoid(self.deconv4(x))
            return reconstruction

    class Encoder(nn.Module):
        """ VAE encoder """
        def __init__(self, img_channels, latent_size):
            super(Encoder, self).__init__()
            self.latent_size = latent_size
            self.img_channels = img_channels
            self.conv1 = nn.Conv2d(img_channels, 32, 4, stride=2)
            self.conv2 = nn.Conv2d(32, 64, 4, stride=2)
            self.conv3 = nn.Conv2d(64, 128, 4, stride=2)
            self.conv4 = nn.Conv2d(128, 256, 4, stride=2)
            self.fc_mu = nn.Linear(2 * 2 * 256, latent_size)
            self.fc_logsigma = nn.Linear(2 * 2 * 256, latent_size)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = F.relu(self.conv3(x))
            x = F.relu(self.conv4(x))
            x = x.view(x.size(0), -1)
            mu = self.fc_mu(x)
            logsigma = self.fc_logsigma(x)
            return mu, logsigma

    class VAE(nn.Module):
        """ Variational Autoencoder """
        def __init__(self, img_channels, latent_size):
            super(VAE, self).__init__()
            self.encoder = Encoder(img_channels, latent_size)
            self.decoder = Decoder(img_channels, latent_size)

        def forward(self, x):
            mu, logsigma = self.encoder(x)
            sigma = logsigma.exp()
            eps = torch.randn_like(sigma)
            z = eps.mul(sigma).add_(mu)
            recon_x = self.decoder(z)
            return recon_x, mu, logsigma

    def gmm_loss(batch, mus, sigmas, logpi, reduce=True):
        batch = batch.unsqueeze(-2)
        normal_dist = Normal(mus, sigmas)
        g_log_probs = normal_dist.log_prob(batch)
        g_log_probs = logpi + torch.sum(g_log_probs, dim=-1)
        max_log_probs = torch.max(g_log_probs, dim=-1, keepdim=True)[0]
        g_log_probs = g_log_probs - max_log_probs
        g_probs = torch.exp(g_log_probs)
        probs = torch.sum(g_probs, dim=-1)
        log_prob = max_log_probs.squeeze() + torch.log(probs)
        if reduce:
            return - torch.mean(log_prob)
        return - log_prob

    class _MDRNNBase(nn.Module):
        def __init__(self, latents, actions, hiddens, gaussians):
            super().__init__()
            self.latents = latents
            self.actions = actions
            self.hiddens = hiddens
            self.gaussians = gaussians
            self.gmm_linear = nn.Linear(hiddens, (2 * latents + 1) * gaussians + 2)

        def forward(self, *inputs):
            pass

    class MDRNN(_MDRNNBase):
        """ MDRNN model for multi steps forward """
        def __init__(self, latents, actions, hiddens, gaussians):
            super().__init__(latents, actions, hiddens, gaussians)
            self.rnn = nn.LSTM(latents + actions, hiddens)

        def forward(self, actions, latents):
            seq_len, bs = actions.size(0), actions.size(1)
            ins = torch.cat([actions, latents], dim=-1)
            outs, _ = self.rnn(ins)
            gmm_outs = self.gmm_linear(outs)
            stride = self.gaussians * self.latents
            mus = gmm_outs[:, :, :stride]
            mus = mus.view(seq_len, bs, self.gaussians, self.latents)
            sigmas = gmm_outs[:, :, stride:2 * stride]
            sigmas = sigmas.view(seq_len, bs, self.gaussians, self.latents)
            sigmas = torch.exp(sigmas)
            pi = gmm_outs[:, :, 2 * stride: 2 * stride + self.gaussians]
            pi = pi.view(seq_len, bs, self.gaussians)
            logpi = f.log_softmax(pi, dim=-1)
            rs = gmm_outs[:, :, -2]
            ds = gmm_outs[:, :, -1]
            return mus, sigmas, logpi, rs, ds

    class MDRNNCell(_MDRNNBase):
        """ MDRNN model for one step forward """
        def __init__(self, latents, actions, hiddens, gaussians):
            super().__init__(latents, actions, hiddens, gaussians)
            self.rnn = nn.LSTMCell(latents + actions, hiddens)

        def forward(self, action, latent, hidden):
            in_al = torch.cat([action, latent], dim=1)
            next_hidden = self.rnn(in_al, hidden)
            out_rnn = next_hidden[0]
            out_full = self.gmm_linear(out_rnn)
            stride = self.gaussians * self.latents
            mus = out_full[:, :stride]
            mus = mus.view(-1, self.gaussians, self.latents)
            sigmas = out_full[:, stride:2 * stride]
            sigmas = sigmas.view(-1, self.gaussians, self.latents)
            sigmas = torch.exp(sigmas)
            pi = out_full[:, 2 * stride:2 * stride + self.gaussians]
            pi = pi.view(-1, self.gaussians)
            logpi = f.log_softmax(pi, dim=-1)
            r = out_full[:, -2]
            d = out_full[:, -1]
            return mus, sigmas, logpi, r, d, next_hidden

    class Controller(nn.Module):
        """ Controller """
        def __init__(self, latents, recurrents, actions):
            super().__init__()
            self.fc = nn.Linear(latents + recurrents, actions)

        def forward(self, *inputs):
            cat_in = torch.cat(inputs, dim=1)
            return self.fc(cat_in)

    # ---- utils/misc.py
    def flatten_parameters(params):
        return torch.cat([p.detach().view(-1) for p in params], dim=0).cpu().numpy()

    def unflatten_parameters(params, example, device):
        params = torch.Tensor(params).to(device)
        idx = 0
        unflattened = []
        for e_p in example:
            unflattened += [params[idx:idx + e_p.numel()].view(e_p.size())]
            idx += e_p.numel()
        return unflattened

    def load_parameters(params, controller):
        proto = next(controller.parameters())
        params = unflatten_parameters(params, controller.parameters(), proto.device)
        for p, p_0 in zip(controller.parameters(), params):
            p.data.copy_(p_0)

    return SimpleNamespace(**locals())


def vae_train(L):
    """trainvae.py: two epochs of one batch, a test pass, the scheduler, decoded samples."""
    torch, F, optim = L, L.nn.functional, L.optim
    W = _wm(L)
    LSIZE, RED_SIZE = 8, 64
    torch.manual_seed(123)
    rng = np.random.default_rng(0)
    data_train = [torch.from_numpy(rng.random((2, 3, RED_SIZE, RED_SIZE), dtype=np.float32))
                  for _ in range(1)]  # one batch an epoch: Adam amplifies last bits
    data_test = [torch.from_numpy(rng.random((2, 3, RED_SIZE, RED_SIZE), dtype=np.float32))]
    with Out() as o:
        model = W.VAE(3, LSIZE)
        optimizer = optim.Adam(model.parameters())
        scheduler = optim.lr_scheduler.ReduceLROnPlateau(optimizer, 'min', factor=0.5,
                                                         patience=0)

        def loss_function(recon_x, x, mu, logsigma):
            BCE = F.mse_loss(recon_x, x, size_average=False)
            KLD = -0.5 * torch.sum(1 + 2 * logsigma - mu.pow(2) - (2 * logsigma).exp())
            return BCE + KLD

        for epoch in range(1, 3):
            model.train()
            train_loss = 0
            for batch_idx, data in enumerate(data_train):
                optimizer.zero_grad()
                recon_batch, mu, logvar = model(data)
                loss = loss_function(recon_batch, data, mu, logvar)
                loss.backward()
                train_loss += loss.item()
                optimizer.step()
                o.print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.2f}'.format(
                    epoch, batch_idx * len(data), 2, 100. * batch_idx / 1,
                    loss.item() / len(data)))
            o.print('====> Epoch: {} Average loss: {:.2f}'.format(epoch, train_loss / 2))
            model.eval()
            test_loss = 0
            with torch.no_grad():
                for data in data_test:
                    recon_batch, mu, logvar = model(data)
                    test_loss += loss_function(recon_batch, data, mu, logvar).item()
            test_loss /= 2
            o.print('====> Test set loss: {:.2f}'.format(test_loss))
            scheduler.step(test_loss + epoch)  # a worse loss: the lr halves
            o.print(optimizer.param_groups[0]['lr'], scheduler.num_bad_epochs)
            o.vals += [recon_batch, mu, logvar]
        with torch.no_grad():
            sample = torch.randn(4, LSIZE)
            sample = model.decoder(sample).cpu()
            o.print(tuple(sample.view(4, 3, RED_SIZE, RED_SIZE).shape), sample.dtype)
            o.vals.append(sample)
        state = {'epoch': 2, 'state_dict': model.state_dict(), 'precision': test_loss,
                 'optimizer': optimizer.state_dict(), 'scheduler': scheduler.state_dict()}
        o.print(sorted(state['scheduler']), len(state['optimizer']['state']))
    return o.lines, o.vals
