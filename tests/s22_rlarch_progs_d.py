"""ctallec/world-models' trainmdrnn.py (to_latent through the VAE with f.upsample, get_loss:
gmm_loss + binary_cross_entropy_with_logits + mse_loss, RMSprop, train and no_grad eval
passes), utils/misc.py (MDRNNCell from the MDRNN's state dict by k.strip('_l0'), Controller,
get_action_and_transition, flatten / load_parameters) and tests/test_gmm.py (the first
gmm_loss on softmax weights, Categorical.sample_n, torch.Tensor(...).normal_(),
LongTensor(32).random_). Definitions in tests/s22_rlarch_progs_c.py."""

import numpy as np
from s16_yunjey_progs import Out
from s22_rlarch_progs_c import _wm

ASIZE, LSIZE, RSIZE, RED_SIZE, SIZE = 3, 4, 16, 64, 96
BSIZE, SEQ_LEN = 2, 3


def mdrnn_train(L):
    torch, f = L, L.nn.functional
    W = _wm(L)
    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    with Out() as o:
        vae = W.VAE(3, LSIZE)
        mdrnn = W.MDRNN(LSIZE, ASIZE, RSIZE, 5)
        optimizer = torch.optim.RMSprop(mdrnn.parameters(), lr=1e-3, alpha=.9)

        def to_latent(obs, next_obs):
            with torch.no_grad():
                obs, next_obs = [
                    f.upsample(x.view(-1, 3, SIZE, SIZE), size=RED_SIZE,
                               mode='bilinear', align_corners=True)
                    for x in (obs, next_obs)]
                (obs_mu, obs_logsigma), (next_obs_mu, next_obs_logsigma) = [
                    vae(x)[1:] for x in (obs, next_obs)]
                latent_obs, latent_next_obs = [
                    (x_mu + x_logsigma.exp() * torch.randn_like(x_mu)).view(BSIZE, SEQ_LEN,
                                                                           LSIZE)
                    for x_mu, x_logsigma in
                    [(obs_mu, obs_logsigma), (next_obs_mu, next_obs_logsigma)]]
            return latent_obs, latent_next_obs

        def get_loss(latent_obs, action, reward, terminal, latent_next_obs):
            latent_obs, action, reward, terminal, latent_next_obs = [
                arr.transpose(1, 0)
                for arr in [latent_obs, action, reward, terminal, latent_next_obs]]
            mus, sigmas, pi, rs, ds = mdrnn(action, latent_obs)
            gmm = W.gmm_loss(latent_next_obs, mus, sigmas, pi)
            bce = f.binary_cross_entropy_with_logits(ds, terminal)
            mse = f.mse_loss(rs, reward)
            loss = (gmm + bce + mse) / (LSIZE + 2)
            return dict(gmm=gmm, bce=bce, mse=mse, loss=loss)

        def batch():
            frames = rng.random((BSIZE, SEQ_LEN + 1, 3, SIZE, SIZE), dtype=np.float32)
            obs = torch.from_numpy(frames[:, :-1].copy())
            next_obs = torch.from_numpy(frames[:, 1:].copy())
            action = torch.from_numpy(rng.uniform(-1, 1, (BSIZE, SEQ_LEN, ASIZE)))
            reward = torch.from_numpy(rng.standard_normal((BSIZE, SEQ_LEN)))
            terminal = torch.from_numpy((rng.random((BSIZE, SEQ_LEN)) > 0.7).astype(np.float32))
            return obs, action.float(), reward.float(), terminal, next_obs

        for train in (True, True, False):
            mdrnn.train() if train else mdrnn.eval()
            obs, action, reward, terminal, next_obs = batch()
            latent_obs, latent_next_obs = to_latent(obs, next_obs)
            if train:
                losses = get_loss(latent_obs, action, reward, terminal, latent_next_obs)
                optimizer.zero_grad()
                losses['loss'].backward()
                optimizer.step()
            else:
                with torch.no_grad():
                    losses = get_loss(latent_obs, action, reward, terminal, latent_next_obs)
            o.print("loss={loss:10.4f} bce={bce:10.4f} gmm={gmm:10.4f} mse={mse:10.4f}".format(
                loss=losses['loss'].item(), bce=losses['bce'].item(),
                gmm=losses['gmm'].item() / LSIZE, mse=losses['mse'].item()))
            o.vals += [losses[k].detach() for k in ('gmm', 'bce', 'mse', 'loss')]
        o.vals += [latent_obs, mdrnn.rnn.weight_hh_l0.grad, mdrnn.gmm_linear.bias.detach()]
        mus, sigmas, logpi, rs, ds = mdrnn(action.transpose(1, 0), latent_obs.transpose(1, 0))
        o.print([tuple(t.shape) for t in (mus, sigmas, logpi, rs, ds)])
        unreduced = W.gmm_loss(latent_next_obs.transpose(1, 0), mus, sigmas, logpi,
                               reduce=False)
        o.print(tuple(unreduced.shape), unreduced.grad_fn is not None)
        o.vals.append(unreduced.detach())
    return o.lines, o.vals


def cell_and_controller(L):
    torch = L
    W = _wm(L)
    torch.manual_seed(2)
    with Out() as o:
        mdrnn = W.MDRNN(LSIZE, ASIZE, RSIZE, 5)
        cell = W.MDRNNCell(LSIZE, ASIZE, RSIZE, 5)
        sd = {k.strip('_l0'): v for k, v in mdrnn.state_dict().items()}
        o.print(sorted(sd))
        o.print(cell.load_state_dict(sd))
        vae = W.VAE(3, LSIZE)
        controller = W.Controller(LSIZE, RSIZE, ASIZE)

        def get_action_and_transition(obs, hidden):
            _, latent_mu, _ = vae(obs)
            action = controller(latent_mu, hidden[0])
            _, _, _, _, _, next_hidden = cell(action, latent_mu, hidden)
            return action.squeeze().cpu().numpy(), next_hidden

        rng = np.random.default_rng(5)
        hidden = [torch.zeros(1, RSIZE).to(None) for _ in range(2)]
        with torch.no_grad():
            for _ in range(3):
                obs = torch.from_numpy(rng.random((3, RED_SIZE, RED_SIZE), dtype=np.float32))
                action, hidden = get_action_and_transition(obs.unsqueeze(0), hidden)
                o.print(type(action).__name__, action.dtype, action.shape,
                        np.round(action, 4).tolist())
                o.vals.append(action)
        o.vals += list(hidden)
        o.tryit(lambda: get_action_and_transition(obs.unsqueeze(0), hidden))
        # one step of the cell agrees with the MDRNN's first step
        a = torch.from_numpy(rng.uniform(-1, 1, (2, 2, ASIZE)).astype(np.float32))
        z = torch.from_numpy(rng.standard_normal((2, 2, LSIZE)).astype(np.float32))
        full = mdrnn(a, z)
        hid = (torch.zeros(2, RSIZE), torch.zeros(2, RSIZE))
        one = cell(a[0], z[0], hid)
        o.print([tuple(t.shape) for t in one[:5]], tuple(one[5][0].shape))
        o.vals += [full[0][0].detach(), one[0].detach(), one[2].detach(), one[4].detach()]
        # traincontroller.py: flatten, perturb (CMA-ES stand-in), load back
        params = W.flatten_parameters(controller.parameters())
        o.print(type(params).__name__, params.dtype, params.shape)
        W.load_parameters(params + 0.01 * rng.standard_normal(params.shape), controller)
        o.print(controller.fc.weight.dtype, controller.fc.weight.requires_grad,
                controller.fc.weight.grad_fn)
        o.vals += [controller.fc.weight.detach(), controller.fc.bias.detach()]
        o.tryit(lambda: W.load_parameters(params[:-1], controller))
    return o.lines, o.vals


def test_gmm(L):
    torch, nn, f = L, L.nn, L.nn.functional
    Categorical = L.distributions.categorical.Categorical
    Normal = L.distributions.normal.Normal

    def gmm_loss(batch, mus, sigmas, pi, reduce=True):
        """ Computes the gmm loss (models/mdrnn.py before logpi) """
        batch = batch.unsqueeze(1)
        normal_dist = Normal(mus, sigmas)
        probs = torch.sum((torch.exp(normal_dist.log_prob(batch)) * pi), dim=1)
        log_prob = torch.log(probs)
        if reduce:
            return - torch.mean(log_prob)
        return - log_prob

    torch.manual_seed(0)
    with Out() as o:
        n_samples = 200
        means = torch.Tensor([[0., 0.], [1., 1.], [-1., 1.]])
        stds = torch.Tensor([[.03, .05], [.02, .1], [.1, .03]])
        pi = torch.Tensor([.2, .3, .5])
        cat_dist = Categorical(pi)
        indices = cat_dist.sample_n(n_samples).long()
        rands = torch.randn(n_samples, 2)
        samples = means[indices] + rands * stds[indices]
        o.print(indices.dtype, tuple(samples.shape), indices[:10])

        class _model(nn.Module):
            def __init__(self, gaussians):
                super().__init__()
                self.means = nn.Parameter(torch.Tensor(1, gaussians, 2).normal_())
                self.pre_stds = nn.Parameter(torch.Tensor(1, gaussians, 2).normal_())
                self.pi = nn.Parameter(torch.Tensor(1, gaussians, 1).normal_())

            def forward(self, *inputs):
                return self.means, torch.exp(self.pre_stds), f.softmax(self.pi, dim=1)

        model = _model(10)
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-2)
        for i in range(20):
            batch = samples[torch.LongTensor(32).random_(0, n_samples)]
            m, s, p = model.forward()
            loss = gmm_loss(batch, m, s, p)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if i % 5 == 4:
                o.print(f"{loss.item():.4f}")
                o.vals.append(loss.detach())
        o.vals += [m.detach(), s.detach(), p.detach()]
        o.print(tuple(gmm_loss(batch, m, s, p, reduce=False).shape))
    return o.lines, o.vals
