"""DrQ-v2 (facebookresearch/drqv2: drqv2.py's RandomShiftsAug, Encoder, Actor, Critic and
DrQV2Agent's update, utils.py's TruncatedNormal, soft_update_params, schedule, DenseParallel
with parallel_orthogonal_) as users copy them, scaled down: 3x20x20 frames, fewer channels,
a NumPy-seeded replay batch instead of the DMC replay loader. For
tests/test_programs_s20_explore.py."""

import re

import numpy as np
from s16_yunjey_progs import Out


def _drq_lib(L, dense_parallel=False):
    torch, nn, F = L, L.nn, L.nn.functional
    pyd = L.distributions
    from importlib import import_module
    _standard_normal = import_module(L.__name__ + ".distributions.utils")._standard_normal

    def soft_update_params(net, target_net, tau):
        for param, target_param in zip(net.parameters(), target_net.parameters()):
            target_param.data.copy_(tau * param.data + (1 - tau) * target_param.data)

    def to_torch(xs, device):
        return tuple(torch.as_tensor(x, device=device) for x in xs)

    class DenseParallel(nn.Module):
        def __init__(self, in_features, out_features, n_parallel, bias=True, device=None,
                     dtype=None):
            factory_kwargs = {'device': device, 'dtype': dtype}
            super(DenseParallel, self).__init__()
            self.in_features = in_features
            self.out_features = out_features
            self.n_parallel = n_parallel
            self.weight = nn.Parameter(torch.empty((n_parallel, in_features, out_features),
                                                   **factory_kwargs))
            if bias:
                self.bias = nn.Parameter(torch.empty((n_parallel, 1, out_features),
                                                     **factory_kwargs))
            else:
                self.register_parameter('bias', None)
            self.reset_parameters()

        def reset_parameters(self):
            nn.init.kaiming_uniform_(self.weight, a=np.sqrt(5))
            if self.bias is not None:
                fan_in, _ = nn.init._calculate_fan_in_and_fan_out(self.weight)
                bound = 1 / np.sqrt(fan_in) if fan_in > 0 else 0
                nn.init.uniform_(self.bias, -bound, bound)

        def forward(self, input):
            return torch.matmul(input, self.weight) + self.bias

        def extra_repr(self):
            return 'in_features={}, out_features={}, n_parallel={}, bias={}'.format(
                self.in_features, self.out_features, self.n_parallel, self.bias is not None)

    def parallel_orthogonal_(tensor, gain=1):
        if tensor.ndimension() < 3:
            raise ValueError("Only tensors with 3 or more dimensions are supported")
        n_parallel = tensor.size(0)
        rows = tensor.size(1)
        cols = tensor.numel() // n_parallel // rows
        flattened = tensor.new(n_parallel, rows, cols).normal_(0, 1)
        qs = []
        for flat_tensor in torch.unbind(flattened, dim=0):
            if rows < cols:
                flat_tensor.t_()
            q, r = torch.linalg.qr(flat_tensor)
            d = torch.diag(r, 0)
            ph = d.sign()
            q *= ph
            if rows < cols:
                q.t_()
            qs.append(q)
        qs = torch.stack(qs, dim=0)
        with torch.no_grad():
            tensor.view_as(qs).copy_(qs)
            tensor.mul_(gain)
        return tensor

    def weight_init(m):
        if isinstance(m, nn.Linear):
            nn.init.orthogonal_(m.weight.data)
            if hasattr(m.bias, 'data'):
                m.bias.data.fill_(0.0)
        elif isinstance(m, nn.Conv2d) or isinstance(m, nn.ConvTranspose2d):
            gain = nn.init.calculate_gain('relu')
            nn.init.orthogonal_(m.weight.data, gain)
            if hasattr(m.bias, 'data'):
                m.bias.data.fill_(0.0)
        elif isinstance(m, DenseParallel):
            gain = nn.init.calculate_gain('relu')
            parallel_orthogonal_(m.weight.data, gain)
            if hasattr(m.bias, 'data'):
                m.bias.data.fill_(0.0)

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

    def schedule(schdl, step):
        try:
            return float(schdl)
        except ValueError:
            match = re.match(r'linear\((.+),(.+),(.+)\)', schdl)
            if match:
                init, final, duration = [float(g) for g in match.groups()]
                mix = np.clip(step / duration, 0.0, 1.0)
                return (1.0 - mix) * init + mix * final
        raise NotImplementedError(schdl)

    class RandomShiftsAug(nn.Module):
        def __init__(self, pad):
            super().__init__()
            self.pad = pad

        def forward(self, x):
            n, c, h, w = x.size()
            assert h == w
            padding = tuple([self.pad] * 4)
            x = F.pad(x, padding, 'replicate')
            eps = 1.0 / (h + 2 * self.pad)
            arange = torch.linspace(-1.0 + eps, 1.0 - eps, h + 2 * self.pad,
                                    device=x.device, dtype=x.dtype)[:h]
            arange = arange.unsqueeze(0).repeat(h, 1).unsqueeze(2)
            base_grid = torch.cat([arange, arange.transpose(1, 0)], dim=2)
            base_grid = base_grid.unsqueeze(0).repeat(n, 1, 1, 1)
            shift = torch.randint(0, 2 * self.pad + 1, size=(n, 1, 1, 2), device=x.device,
                                  dtype=x.dtype)
            shift *= 2.0 / (h + 2 * self.pad)
            grid = base_grid + shift
            return F.grid_sample(x, grid, padding_mode='zeros', align_corners=False)

    class Encoder(nn.Module):
        def __init__(self, obs_shape):
            super().__init__()
            assert len(obs_shape) == 3
            self.repr_dim = 8 * 3 * 3
            self.convnet = nn.Sequential(nn.Conv2d(obs_shape[0], 8, 3, stride=2),
                                         nn.ReLU(), nn.Conv2d(8, 8, 3, stride=1),
                                         nn.ReLU(), nn.Conv2d(8, 8, 3, stride=1),
                                         nn.ReLU(), nn.Conv2d(8, 8, 3, stride=1),
                                         nn.ReLU())
            self.apply(weight_init)

        def forward(self, obs):
            obs = obs / 255.0 - 0.5
            h = self.convnet(obs)
            h = h.view(h.shape[0], -1)
            return h

    class Actor(nn.Module):
        def __init__(self, repr_dim, action_shape, feature_dim, hidden_dim):
            super().__init__()
            self.trunk = nn.Sequential(nn.Linear(repr_dim, feature_dim),
                                       nn.LayerNorm(feature_dim), nn.Tanh())
            self.policy = nn.Sequential(nn.Linear(feature_dim, hidden_dim),
                                        nn.ReLU(inplace=True),
                                        nn.Linear(hidden_dim, hidden_dim),
                                        nn.ReLU(inplace=True),
                                        nn.Linear(hidden_dim, action_shape[0]))
            self.apply(weight_init)

        def forward(self, obs, std):
            h = self.trunk(obs)
            mu = self.policy(h)
            mu = torch.tanh(mu)
            std = torch.ones_like(mu) * std
            dist = TruncatedNormal(mu, std)
            return dist

    class Critic(nn.Module):
        """The first release's twin Q1 / Q2 heads."""

        def __init__(self, repr_dim, action_shape, feature_dim, hidden_dim):
            super().__init__()
            self.trunk = nn.Sequential(nn.Linear(repr_dim, feature_dim),
                                       nn.LayerNorm(feature_dim), nn.Tanh())
            self.Q1 = nn.Sequential(
                nn.Linear(feature_dim + action_shape[0], hidden_dim),
                nn.ReLU(inplace=True), nn.Linear(hidden_dim, hidden_dim),
                nn.ReLU(inplace=True), nn.Linear(hidden_dim, 1))
            self.Q2 = nn.Sequential(
                nn.Linear(feature_dim + action_shape[0], hidden_dim),
                nn.ReLU(inplace=True), nn.Linear(hidden_dim, hidden_dim),
                nn.ReLU(inplace=True), nn.Linear(hidden_dim, 1))
            self.apply(weight_init)

        def forward(self, obs, action):
            h = self.trunk(obs)
            h_action = torch.cat([h, action], dim=-1)
            q1 = self.Q1(h_action)
            q2 = self.Q2(h_action)
            return q1, q2

    class CriticParallel(nn.Module):
        """The later release: DenseParallel heads, QS transposed and squeezed."""

        def __init__(self, repr_dim, action_shape, feature_dim, hidden_dim):
            super().__init__()
            self.trunk = nn.Sequential(nn.Linear(repr_dim, feature_dim),
                                       nn.LayerNorm(feature_dim), nn.Tanh())
            self.QS = nn.Sequential(
                DenseParallel(feature_dim + action_shape[0], hidden_dim, 2),
                nn.ReLU(inplace=True),
                DenseParallel(hidden_dim, hidden_dim, 2),
                nn.ReLU(inplace=True),
                DenseParallel(hidden_dim, 1, 2))
            self.apply(weight_init)

        def forward(self, obs, action):
            h = self.trunk(obs)
            h_action = torch.cat([h, action], dim=-1)
            qs = self.QS(h_action)
            return torch.squeeze(torch.transpose(qs, 0, 1), dim=-1)

    return dict(soft_update_params=soft_update_params, to_torch=to_torch,
                RandomShiftsAug=RandomShiftsAug, Encoder=Encoder, Actor=Actor,
                Critic=CriticParallel if dense_parallel else Critic, schedule=schedule,
                TruncatedNormal=TruncatedNormal, parallel_orthogonal_=parallel_orthogonal_)


def _batch(n, seed):
    rng = np.random.RandomState(seed)
    obs = rng.randint(0, 256, (n, 3, 20, 20)).astype(np.uint8)
    action = rng.uniform(-1, 1, (n, 2)).astype(np.float32)
    reward = rng.uniform(0, 1, (n, 1)).astype(np.float32)
    discount = np.full((n, 1), 0.99, np.float32)
    next_obs = rng.randint(0, 256, (n, 3, 20, 20)).astype(np.uint8)
    return obs, action, reward, discount, next_obs


def drq_random_shifts(L):
    """RandomShiftsAug(pad=2) on uint8 frames made float: replicate padding, the base grid
    from linspace, integer shifts drawn as floats, grid_sample; its gradient; the
    TruncatedNormal's sample / log_prob / entropy and schedule()."""
    with Out() as o:
        L.manual_seed(3)
        u = _drq_lib(L)
        aug = u['RandomShiftsAug'](pad=2)
        o.print(aug)
        obs, *_ = _batch(3, 0)
        x = L.as_tensor(obs)
        o.print(x.dtype)
        y = aug(x.float())
        o.print(y.dtype, tuple(y.shape))
        o.vals += [y]
        xg = x.float().requires_grad_()
        z = aug(xg)
        (z * L.linspace(0, 1, 20)).sum().backward()
        o.vals += [xg.grad]
        o.tryit(lambda: aug(x))
        for s in ['0.2', 'linear(1.0,0.1,500000)']:
            o.print(s, [u['schedule'](s, st) for st in (0, 1000, 10 ** 6)])
        mu = L.tanh(L.randn(4, 2, requires_grad=True))
        dist = u['TruncatedNormal'](mu, L.ones_like(mu) * 0.3)
        a = dist.sample(clip=0.3)
        o.print(a.requires_grad, a.shape, dist.batch_shape, dist.event_shape)
        lp = dist.log_prob(a).sum(-1, keepdim=True)
        o.vals += [a, lp, dist.entropy().sum(dim=-1).mean(), dist.mean, dist.stddev]
        lp.sum().backward()
        a2 = dist.sample(clip=None, sample_shape=(2,))
        o.print(tuple(a2.shape))
        o.vals += [a2]
    return o.done()


def drq_update(L, dense_parallel=False):
    """DrQV2Agent.update on two replay batches: augment, encode, update_critic (min of the
    twin Qs, target from the clipped TruncatedNormal sample), update_actor, then
    soft_update_params into the target critic; act() in eval and exploration modes."""
    torch = L
    with Out() as o:
        L.manual_seed(4); np.random.seed(4)
        u = _drq_lib(L, dense_parallel)
        obs_shape, action_shape = (3, 20, 20), (2,)
        lr, feature_dim, hidden_dim = 1e-3, 10, 16
        critic_target_tau, stddev_schedule, stddev_clip = 0.01, 'linear(1.0,0.1,100)', 0.3
        device = torch.device('cpu')
        encoder = u['Encoder'](obs_shape).to(device)
        actor = u['Actor'](encoder.repr_dim, action_shape, feature_dim, hidden_dim).to(device)
        critic = u['Critic'](encoder.repr_dim, action_shape, feature_dim, hidden_dim).to(device)
        critic_target = u['Critic'](encoder.repr_dim, action_shape, feature_dim,
                                    hidden_dim).to(device)
        critic_target.load_state_dict(critic.state_dict())
        o.print(encoder); o.print(actor); o.print(critic)
        encoder_opt = torch.optim.Adam(encoder.parameters(), lr=lr)
        actor_opt = torch.optim.Adam(actor.parameters(), lr=lr)
        critic_opt = torch.optim.Adam(critic.parameters(), lr=lr)
        aug = u['RandomShiftsAug'](pad=2)
        for m in (encoder, actor, critic):
            m.train(True)
        critic_target.train()

        def twin(qs):
            return (qs[..., 0:1], qs[..., 1:2]) if dense_parallel else qs

        @torch.no_grad()
        def act(obs, step, eval_mode):
            obs = torch.as_tensor(obs, device=device)
            obs = encoder(obs.unsqueeze(0).float())
            stddev = u['schedule'](stddev_schedule, step)
            dist = actor(obs, stddev)
            if eval_mode:
                action = dist.mean
            else:
                action = dist.sample(clip=None)
                if step < 2:
                    action.uniform_(-1.0, 1.0)
            return action.cpu().numpy()[0]

        for step in range(2):
            obs, action, reward, discount, next_obs = u['to_torch'](_batch(4, 10 + step),
                                                                     device)
            obs = aug(obs.float())
            next_obs = aug(next_obs.float())
            obs = encoder(obs)
            with torch.no_grad():
                next_obs = encoder(next_obs)
            with torch.no_grad():
                stddev = u['schedule'](stddev_schedule, step)
                dist = actor(next_obs, stddev)
                next_action = dist.sample(clip=stddev_clip)
                if dense_parallel:
                    target_V = critic_target(next_obs, next_action).amin(dim=1, keepdim=True)
                else:
                    target_Q1, target_Q2 = critic_target(next_obs, next_action)
                    target_V = torch.min(target_Q1, target_Q2)
                target_Q = reward + (discount * target_V)
            Q1, Q2 = twin(critic(obs, action))
            critic_loss = torch.nn.functional.mse_loss(Q1, target_Q) + \
                torch.nn.functional.mse_loss(Q2, target_Q)
            encoder_opt.zero_grad(set_to_none=True)
            critic_opt.zero_grad(set_to_none=True)
            critic_loss.backward()
            critic_opt.step()
            encoder_opt.step()
            obs = obs.detach()
            dist = actor(obs, u['schedule'](stddev_schedule, step))
            action = dist.sample(clip=stddev_clip)
            log_prob = dist.log_prob(action).sum(-1, keepdim=True)
            Q1, Q2 = twin(critic(obs, action))
            Q = torch.min(Q1, Q2)
            actor_loss = -Q.mean()
            actor_opt.zero_grad(set_to_none=True)
            actor_loss.backward()
            actor_opt.step()
            u['soft_update_params'](critic, critic_target, critic_target_tau)
            o.print('step %d critic_loss %.4f actor_loss %.4f logprob %.4f ent %.4f' % (
                step, critic_loss.item(), actor_loss.item(), log_prob.mean().item(),
                dist.entropy().sum(dim=-1).mean().item()))
            o.print(Q1.shape, target_Q.dtype, encoder.convnet[0].weight.grad is None)
            o.vals += [target_Q, Q1, actor_loss]
        frame = _batch(1, 99)[0][0]
        o.vals += [act(frame, 5, True), act(frame, 5, False), act(frame, 0, False)]
        o.vals += [p for p in critic_target.parameters()]
    return o.done()


def drq_update_parallel(L):
    """The same update with the DenseParallel critic: parallel_orthogonal_ (tensor.new,
    unbind, t_(), linalg.qr, q *= sign(diag r)), matmul heads, QS.amin."""
    return drq_update(L, dense_parallel=True)


def drq_parallel_init(L):
    """parallel_orthogonal_ itself: rows < cols and rows > cols, and its error below 3-D;
    DenseParallel's repr and kaiming init."""
    nn = L.nn
    with Out() as o:
        L.manual_seed(5)
        u = _drq_lib(L, True)
        w = L.empty(2, 3, 5)
        u['parallel_orthogonal_'](w, nn.init.calculate_gain('relu'))
        o.vals += [w @ w.transpose(1, 2)]
        w2 = L.empty(3, 6, 2)
        u['parallel_orthogonal_'](w2)
        o.vals += [w2.transpose(1, 2) @ w2]
        o.tryit(lambda: u['parallel_orthogonal_'](L.empty(3, 3)))
        crit = u['Critic'](6, (2,), 4, 5)
        o.print(crit)
        o.print([tuple(p.shape) for p in crit.parameters()])
    return o.done()
