"""TD-MPC (nicklashansen/tdmpc: src/algorithm/helper.py and tdmpc.py) as users copy it,
scaled down: the TOLD model (state and pixel encoders), Episode and the prioritised
ReplayBuffer, MPPI planning (estimate_value, torch.topk elites, softmax-style scores, mean and
std updates) and the model / policy update, on CPU with a NumPy-seeded stand-in for the DMC
tasks. For tests/test_programs_s20_explore.py."""

import re
from types import SimpleNamespace

import numpy as np
from s16_yunjey_progs import Out


def _helper(L):
    """helper.py, as written (the CUDA moves of ReplayBuffer.sample left out)."""
    torch, nn, F = L, L.nn, L.nn.functional
    pyd = L.distributions
    from importlib import import_module
    _standard_normal = import_module(L.__name__ + ".distributions.utils")._standard_normal
    h = SimpleNamespace()
    __REDUCE__ = lambda b: 'mean' if b else 'none'  # noqa: E731

    def l1(pred, target, reduce=False):
        return F.l1_loss(pred, target, reduction=__REDUCE__(reduce))

    def mse(pred, target, reduce=False):
        return F.mse_loss(pred, target, reduction=__REDUCE__(reduce))

    def _get_out_shape(in_shape, layers):
        x = torch.randn(*in_shape).unsqueeze(0)
        return (nn.Sequential(*layers) if isinstance(layers, list) else layers)(
            x).squeeze(0).shape

    def orthogonal_init(m):
        if isinstance(m, nn.Linear):
            nn.init.orthogonal_(m.weight.data)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Conv2d):
            gain = nn.init.calculate_gain('relu')
            nn.init.orthogonal_(m.weight.data, gain)
            if m.bias is not None:
                nn.init.zeros_(m.bias)

    def ema(m, m_target, tau):
        with torch.no_grad():
            for p, p_target in zip(m.parameters(), m_target.parameters()):
                p_target.data.lerp_(p.data, tau)

    def set_requires_grad(net, value):
        for param in net.parameters():
            param.requires_grad_(value)

    class TruncatedNormal(pyd.Normal):
        def __init__(self, loc, scale, low=-1.0, high=1.0, eps=1e-6):
            super().__init__(loc, scale, validate_args=False)
            self.low = low
            self.high = high
            self.eps = eps

        def _clamp(self, x):
            clamped_x = torch.clamp(x, self.low + self.eps, self.high - self.eps)
            x = x - x.detach() + clamped_x.detach()
            return x

        def sample(self, clip=None, sample_shape=torch.Size()):
            shape = self._extended_shape(sample_shape)
            eps = _standard_normal(shape, dtype=self.loc.dtype, device=self.loc.device)
            eps *= self.scale
            if clip is not None:
                eps = torch.clamp(eps, -clip, clip)
            x = self.loc + eps
            return self._clamp(x)

    class NormalizeImg(nn.Module):
        def __init__(self):
            super().__init__()

        def forward(self, x):
            return x.div(255.)

    class Flatten(nn.Module):
        def __init__(self):
            super().__init__()

        def forward(self, x):
            return x.view(x.size(0), -1)

    def enc(cfg):
        if cfg.modality == 'pixels':
            C = int(3 * cfg.frame_stack)
            layers = [NormalizeImg(),
                      nn.Conv2d(C, cfg.num_channels, 7, stride=2), nn.ReLU(),
                      nn.Conv2d(cfg.num_channels, cfg.num_channels, 5, stride=2), nn.ReLU(),
                      nn.Conv2d(cfg.num_channels, cfg.num_channels, 3, stride=2), nn.ReLU(),
                      nn.Conv2d(cfg.num_channels, cfg.num_channels, 3, stride=2), nn.ReLU()]
            out_shape = _get_out_shape((C, cfg.img_size, cfg.img_size), layers)
            layers.extend([Flatten(), nn.Linear(np.prod(out_shape), cfg.latent_dim)])
        else:
            layers = [nn.Linear(cfg.obs_shape[0], cfg.enc_dim), nn.ELU(),
                      nn.Linear(cfg.enc_dim, cfg.latent_dim)]
        return nn.Sequential(*layers)

    def mlp(in_dim, mlp_dim, out_dim, act_fn=nn.ELU()):
        if isinstance(mlp_dim, int):
            mlp_dim = [mlp_dim, mlp_dim]
        return nn.Sequential(
            nn.Linear(in_dim, mlp_dim[0]), act_fn,
            nn.Linear(mlp_dim[0], mlp_dim[1]), act_fn,
            nn.Linear(mlp_dim[1], out_dim))

    def q(cfg, act_fn=nn.ELU()):
        return nn.Sequential(nn.Linear(cfg.latent_dim + cfg.action_dim, cfg.mlp_dim),
                             nn.LayerNorm(cfg.mlp_dim), nn.Tanh(),
                             nn.Linear(cfg.mlp_dim, cfg.mlp_dim), nn.ELU(),
                             nn.Linear(cfg.mlp_dim, 1))

    class Episode(object):
        def __init__(self, cfg, init_obs):
            self.cfg = cfg
            self.device = torch.device(cfg.device)
            dtype = torch.float32 if cfg.modality == 'state' else torch.uint8
            self.obs = torch.empty((cfg.episode_length + 1, *init_obs.shape), dtype=dtype,
                                   device=self.device)
            self.obs[0] = torch.tensor(init_obs, dtype=dtype, device=self.device)
            self.action = torch.empty((cfg.episode_length, cfg.action_dim),
                                      dtype=torch.float32, device=self.device)
            self.reward = torch.empty((cfg.episode_length,), dtype=torch.float32,
                                      device=self.device)
            self.cumulative_reward = 0
            self.done = False
            self._idx = 0

        def __len__(self):
            return self._idx

        @property
        def first(self):
            return len(self) == 0

        def __add__(self, transition):
            self.add(*transition)
            return self

        def add(self, obs, action, reward, done):
            self.obs[self._idx + 1] = torch.tensor(obs, dtype=self.obs.dtype,
                                                   device=self.obs.device)
            self.action[self._idx] = action
            self.reward[self._idx] = reward
            self.cumulative_reward += reward
            self.done = done
            self._idx += 1

    class ReplayBuffer():
        def __init__(self, cfg):
            self.cfg = cfg
            self.device = torch.device(cfg.device)
            capacity = cfg.train_steps + int(1e1)
            dtype = torch.float32 if cfg.modality == 'state' else torch.uint8
            self._obs = torch.empty((capacity, *cfg.obs_shape), dtype=dtype, device=self.device)
            self._next_obs = torch.empty((capacity, *cfg.obs_shape), dtype=dtype,
                                         device=self.device)
            self._action = torch.empty((capacity, cfg.action_dim), dtype=torch.float32,
                                       device=self.device)
            self._reward = torch.empty((capacity,), dtype=torch.float32, device=self.device)
            self._priorities = torch.ones((capacity,), dtype=torch.float32, device=self.device)
            self._eps = 1e-6
            self.idx = 0

        def __add__(self, episode):
            self.add(episode)
            return self

        def add(self, episode):
            self._obs[self.idx:self.idx + self.cfg.episode_length] = episode.obs[:-1]
            self._next_obs[self.idx:self.idx + self.cfg.episode_length] = episode.obs[1:]
            self._action[self.idx:self.idx + self.cfg.episode_length] = episode.action
            self._reward[self.idx:self.idx + self.cfg.episode_length] = episode.reward
            mask = torch.arange(self.cfg.episode_length) >= \
                self.cfg.episode_length - self.cfg.horizon
            self._max_priority = 1. if self.idx == 0 else \
                self._priorities[:self.idx].max().cpu().item()
            new_priorities = torch.full((self.cfg.episode_length,), self._max_priority,
                                        device=self.device)
            new_priorities[mask] = 0
            self._priorities[self.idx:self.idx + self.cfg.episode_length] = new_priorities
            self.idx += self.cfg.episode_length

        def update_priorities(self, idxs, priorities):
            self._priorities[idxs] = priorities.squeeze(1).to(self.device) + self._eps

        def sample(self):
            probs = self._priorities[:self.idx] ** self.cfg.per_alpha
            probs /= probs.sum()
            total = len(probs)
            idxs = torch.from_numpy(np.random.choice(total, self.cfg.batch_size,
                                                     p=probs.cpu().numpy(),
                                                     replace=False)).to(self.device)
            weights = (total * probs[idxs]) ** (-self.cfg.per_beta)
            weights /= weights.max()
            obs = self._obs[idxs]
            next_obs = torch.empty((self.cfg.horizon + 1, self.cfg.batch_size,
                                    *self._obs.shape[1:]), dtype=obs.dtype, device=self.device)
            action = torch.empty((self.cfg.horizon + 1, self.cfg.batch_size,
                                  *self._action.shape[1:]), dtype=torch.float32,
                                 device=self.device)
            reward = torch.empty((self.cfg.horizon + 1, self.cfg.batch_size),
                                 dtype=torch.float32, device=self.device)
            for t in range(self.cfg.horizon + 1):
                _idxs = idxs + t
                next_obs[t] = self._next_obs[_idxs]
                action[t] = self._action[_idxs]
                reward[t] = self._reward[_idxs]
            if obs.dtype == torch.uint8:
                obs, next_obs = obs.float(), next_obs.float()
            return obs, next_obs, action, reward.unsqueeze(2), idxs, weights

    def linear_schedule(schdl, step):
        try:
            return float(schdl)
        except ValueError:
            match = re.match(r'linear\((.+),(.+),(.+)\)', schdl)
            if match:
                init, final, duration = [float(g) for g in match.groups()]
                mix = np.clip(step / duration, 0.0, 1.0)
                return (1.0 - mix) * init + mix * final
        raise NotImplementedError(schdl)

    for k, v in list(locals().items()):
        if k not in ('h', 'L', 'torch', 'nn', 'F', 'pyd', 'import_module'):
            setattr(h, k, v)
    return h


def _cfg(**kw):
    base = dict(modality='state', obs_shape=(5,), action_dim=2, enc_dim=12, latent_dim=6,
                mlp_dim=10, device='cpu', episode_length=8, horizon=3, train_steps=16,
                per_alpha=0.6, per_beta=0.4, batch_size=4, discount=0.99, min_std=0.05,
                std_schedule='linear(0.5, 0.05, 25)', horizon_schedule='linear(1, 3, 25)',
                seed_steps=2, mixture_coef=0.25, num_samples=16, iterations=3, num_elites=4,
                temperature=0.5, momentum=0.1, rho=0.5, lr=1e-3, grad_clip_norm=10,
                consistency_coef=2, reward_coef=0.5, value_coef=0.1, update_freq=2,
                tau=0.01, frame_stack=1, num_channels=4, img_size=48)
    base.update(kw)
    return SimpleNamespace(**base)


def _told(L, h):
    torch, nn = L, L.nn

    class TOLD(nn.Module):
        def __init__(self, cfg):
            super().__init__()
            self.cfg = cfg
            self._encoder = h.enc(cfg)
            self._dynamics = h.mlp(cfg.latent_dim + cfg.action_dim, cfg.mlp_dim, cfg.latent_dim)
            self._reward = h.mlp(cfg.latent_dim + cfg.action_dim, cfg.mlp_dim, 1)
            self._pi = h.mlp(cfg.latent_dim, cfg.mlp_dim, cfg.action_dim)
            self._Q1, self._Q2 = h.q(cfg), h.q(cfg)
            self.apply(h.orthogonal_init)
            for m in [self._reward, self._Q1, self._Q2]:
                m[-1].weight.data.fill_(0)
                m[-1].bias.data.fill_(0)

        def track_q_grad(self, enable=True):
            for m in [self._Q1, self._Q2]:
                h.set_requires_grad(m, enable)

        def h(self, obs):
            return self._encoder(obs)

        def next(self, z, a):
            x = torch.cat([z, a], dim=-1)
            return self._dynamics(x), self._reward(x)

        def pi(self, z, std=0):
            mu = torch.tanh(self._pi(z))
            if std > 0:
                std = torch.ones_like(mu) * std
                return h.TruncatedNormal(mu, std).sample(clip=0.3)
            return mu

        def Q(self, z, a):
            x = torch.cat([z, a], dim=-1)
            return self._Q1(x), self._Q2(x)

    return TOLD


def _fill_buffer(L, h, cfg, buf, n_episodes, seed):
    rng = np.random.RandomState(seed)
    for _ in range(n_episodes):
        episode = h.Episode(cfg, rng.uniform(-1, 1, cfg.obs_shape).astype(np.float32))
        while len(episode) < cfg.episode_length:
            action = L.from_numpy(rng.uniform(-1, 1, cfg.action_dim).astype(np.float32))
            obs = rng.uniform(-1, 1, cfg.obs_shape).astype(np.float32)
            episode += (obs, action, float(rng.uniform()), len(episode) + 1 == cfg.episode_length)
        buf += episode
    return episode


def tdmpc_told_buffer(L):
    """TOLD's repr and zero-filled heads, the pixel encoder's out shape, Episode / ReplayBuffer
    with the priority mask, its prioritised sample, update_priorities, the TruncatedNormal
    policy sample and linear_schedule."""
    with Out() as o:
        L.manual_seed(0); np.random.seed(0)
        h = _helper(L)
        cfg = _cfg()
        TOLD = _told(L, h)
        model = TOLD(cfg)
        o.print(model)
        o.print(model._Q1[-1].weight.abs().sum().item(), model._reward[-1].bias.tolist())
        pcfg = _cfg(modality='pixels', obs_shape=(3, 48, 48))
        penc = h.enc(pcfg)
        o.print(penc)
        frames = L.from_numpy(np.random.RandomState(1).randint(0, 256, (2, 3, 48, 48)).astype(
            np.uint8))
        o.vals += [penc(frames.float())]
        o.tryit(lambda: penc(frames))
        buf = h.ReplayBuffer(cfg)
        ep = _fill_buffer(L, h, cfg, buf, 2, 3)
        o.print(len(ep), ep.first, ep.done, round(ep.cumulative_reward, 4), buf.idx)
        o.vals += [buf._priorities, buf._obs[:buf.idx], buf._reward[:buf.idx]]
        obs, next_obses, action, reward, idxs, weights = buf.sample()
        o.print(obs.shape, next_obses.shape, action.shape, reward.shape, idxs.dtype, idxs.tolist())
        o.vals += [weights, next_obses, reward]
        buf.update_priorities(idxs, L.rand(cfg.batch_size, 1))
        o.vals += [buf._priorities]
        z = model.h(obs)
        a = model.pi(z, cfg.min_std)
        o.print(a.requires_grad, a.shape, h.linear_schedule(cfg.std_schedule, 10),
                h.linear_schedule('0.3', 10))
        o.vals += [a, model.pi(z)]
        o.tryit(lambda: h.linear_schedule('cosine(1, 2)', 3))
        pbuf = h.ReplayBuffer(pcfg)
        o.print(pbuf._obs.dtype, tuple(pbuf._obs.shape))
        pep = h.Episode(pcfg, np.zeros((3, 48, 48), np.uint8))
        o.tryit(lambda: pep.add(np.full((3, 48, 48), 300.0), L.zeros(2), 0.5, False))
    return o.done()
