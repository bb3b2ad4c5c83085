"""denisyarats/drq (v1) as users type it, scaled down: drq.py's Encoder (conv stack on
pixels / 255, LayerNorm head, tanh), Actor with the SquashedNormal of the TanhTransform
(pytorch_sac's agent/actor.py, the same in drq's utils.py), the double-Q Critic sharing
conv weights with the actor (tie_weights), DRQAgent.update_critic averaging the targets over
the plain and augmented next observations, update_actor_and_alpha with the detached encoder
and log_alpha, soft_update_params; the replay buffer's augmentation as ReplicationPad2d + a
random crop. 20x20 frames, 8 filters, hidden width 16 instead of 84x84 / 32 / 1024."""

import math

import numpy as np
from s16_yunjey_progs import Out


def _drq(torch):
    nn, F, pyd = torch.nn, torch.nn.functional, torch.distributions

    def soft_update_params(net, target_net, tau):
        for param, target_param in zip(net.parameters(), target_net.parameters()):
            target_param.data.copy_(tau * param.data + (1 - tau) * target_param.data)

    def tie_weights(src, trg):
        assert type(src) == type(trg)
        trg.weight = src.weight
        trg.bias = src.bias

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

    def mlp(input_dim, hidden_dim, output_dim, hidden_depth, output_mod=None):
        if hidden_depth == 0:
            mods = [nn.Linear(input_dim, output_dim)]
        else:
            mods = [nn.Linear(input_dim, hidden_dim), nn.ReLU(inplace=True)]
            for i in range(hidden_depth - 1):
                mods += [nn.Linear(hidden_dim, hidden_dim), nn.ReLU(inplace=True)]
            mods.append(nn.Linear(hidden_dim, output_dim))
        if output_mod is not None:
            mods.append(output_mod)
        trunk = nn.Sequential(*mods)
        return trunk

    class TanhTransform(pyd.transforms.Transform):
        domain = pyd.constraints.real
        codomain = pyd.constraints.interval(-1.0, 1.0)
        bijective = True
        sign = +1

        def __init__(self, cache_size=1):
            super().__init__(cache_size=cache_size)

        @staticmethod
        def atanh(x):
            return 0.5 * (x.log1p() - (-x).log1p())

        def __eq__(self, other):
            return isinstance(other, TanhTransform)

        def _call(self, x):
            return x.tanh()

        def _inverse(self, y):
            return self.atanh(y)

        def log_abs_det_jacobian(self, x, y):
            return 2. * (math.log(2.) - x - F.softplus(-2. * x))

    class SquashedNormal(pyd.transformed_distribution.TransformedDistribution):
        def __init__(self, loc, scale):
            self.loc = loc
            self.scale = scale
            self.base_dist = pyd.Normal(loc, scale)
            transforms = [TanhTransform()]
            super().__init__(self.base_dist, transforms)

        @property
        def mean(self):
            mu = self.loc
            for tr in self.transforms:
                mu = tr(mu)
            return mu

    class Encoder(nn.Module):
        def __init__(self, obs_shape, feature_dim, num_filters=8, output_dim=3):
            super().__init__()
            assert len(obs_shape) == 3
            self.num_layers = 4
            self.num_filters = num_filters
            self.output_dim = output_dim
            self.output_logits = False
            self.feature_dim = feature_dim
            self.convs = nn.ModuleList([
                nn.Conv2d(obs_shape[0], self.num_filters, 3, stride=2),
                nn.Conv2d(self.num_filters, self.num_filters, 3, stride=1),
                nn.Conv2d(self.num_filters, self.num_filters, 3, stride=1),
                nn.Conv2d(self.num_filters, self.num_filters, 3, stride=1)
            ])
            self.head = nn.Sequential(
                nn.Linear(self.num_filters * output_dim * output_dim, self.feature_dim),
                nn.LayerNorm(self.feature_dim))
            self.outputs = dict()

        def forward_conv(self, obs):
            obs = obs / 255.
            self.outputs['obs'] = obs
            conv = torch.relu(self.convs[0](obs))
            self.outputs['conv1'] = conv
            for i in range(1, self.num_layers):
                conv = torch.relu(self.convs[i](conv))
                self.outputs['conv%s' % (i + 1)] = conv
            h = conv.reshape(conv.size(0), -1)
            return h

        def forward(self, obs, detach=False):
            h = self.forward_conv(obs)
            if detach:
                h = h.detach()
            out = self.head(h)
            if not self.output_logits:
                out = torch.tanh(out)
            self.outputs['out'] = out
            return out

        def copy_conv_weights_from(self, source):
            for i in range(self.num_layers):
                tie_weights(src=source.convs[i], trg=self.convs[i])

    class Actor(nn.Module):
        def __init__(self, encoder_cfg, action_shape, hidden_dim, hidden_depth, log_std_bounds):
            super().__init__()
            self.encoder = Encoder(**encoder_cfg)
            self.log_std_bounds = log_std_bounds
            self.trunk = mlp(self.encoder.feature_dim, hidden_dim, 2 * action_shape[0], hidden_depth)
            self.outputs = dict()
            self.apply(weight_init)

        def forward(self, obs, detach_encoder=False):
            obs = self.encoder(obs, detach=detach_encoder)
            mu, log_std = self.trunk(obs).chunk(2, dim=-1)
            log_std = torch.tanh(log_std)
            log_std_min, log_std_max = self.log_std_bounds
            log_std = log_std_min + 0.5 * (log_std_max - log_std_min) * (log_std + 1)
            std = log_std.exp()
            self.outputs['mu'] = mu
            self.outputs['std'] = std
            dist = SquashedNormal(mu, std)
            return dist

    class Critic(nn.Module):
        def __init__(self, encoder_cfg, action_shape, hidden_dim, hidden_depth):
            super().__init__()
            self.encoder = Encoder(**encoder_cfg)
            self.Q1 = mlp(self.encoder.feature_dim + action_shape[0], hidden_dim, 1, hidden_depth)
            self.Q2 = mlp(self.encoder.feature_dim + action_shape[0], hidden_dim, 1, hidden_depth)
            self.outputs = dict()
            self.apply(weight_init)

        def forward(self, obs, action, detach_encoder=False):
            assert obs.size(0) == action.size(0)
            obs = self.encoder(obs, detach=detach_encoder)
            obs_action = torch.cat([obs, action], dim=-1)
            q1 = self.Q1(obs_action)
            q2 = self.Q2(obs_action)
            self.outputs['q1'] = q1
            self.outputs['q2'] = q2
            return q1, q2

    class DRQAgent(object):
        def __init__(self, obs_shape, action_shape, action_range, device, encoder_cfg, discount,
                     init_temperature, lr, actor_update_frequency, critic_tau,
                     critic_target_update_frequency, batch_size, hidden_dim=16, hidden_depth=2):
            self.action_range = action_range
            self.device = device
            self.discount = discount
            self.critic_tau = critic_tau
            self.actor_update_frequency = actor_update_frequency
            self.critic_target_update_frequency = critic_target_update_frequency
            self.batch_size = batch_size
            self.actor = Actor(encoder_cfg, action_shape, hidden_dim, hidden_depth, [-10, 2]).to(self.device)
            self.critic = Critic(encoder_cfg, action_shape, hidden_dim, hidden_depth).to(self.device)
            self.critic_target = Critic(encoder_cfg, action_shape, hidden_dim, hidden_depth).to(self.device)
            self.critic_target.load_state_dict(self.critic.state_dict())
            self.actor.encoder.copy_conv_weights_from(self.critic.encoder)
            self.log_alpha = torch.tensor(np.log(init_temperature)).to(device)
            self.log_alpha.requires_grad = True
            self.target_entropy = -action_shape[0]
            self.actor_optimizer = torch.optim.Adam(self.actor.parameters(), lr=lr)
            self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), lr=lr)
            self.log_alpha_optimizer = torch.optim.Adam([self.log_alpha], lr=lr)
            self.train()
            self.critic_target.train()
            self.log = []

        def train(self, training=True):
            self.training = training
            self.actor.train(training)
            self.critic.train(training)

        @property
        def alpha(self):
            return self.log_alpha.exp()

        def act(self, obs, sample=False):
            obs = torch.FloatTensor(obs).to(self.device)
            obs = obs.unsqueeze(0)
            dist = self.actor(obs)
            action = dist.sample() if sample else dist.mean
            action = action.clamp(*self.action_range)
            assert action.ndim == 2 and action.shape[0] == 1
            return action[0].cpu().detach().numpy()

        def update_critic(self, obs, obs_aug, action, reward, next_obs, next_obs_aug, not_done, step):
            with torch.no_grad():
                dist = self.actor(next_obs)
                next_action = dist.rsample()
                log_prob = dist.log_prob(next_action).sum(-1, keepdim=True)
                target_Q1, target_Q2 = self.critic_target(next_obs, next_action)
                target_V = torch.min(target_Q1, target_Q2) - self.alpha.detach() * log_prob
                target_Q = reward + (not_done * self.discount * target_V)
                dist_aug = self.actor(next_obs_aug)
                next_action_aug = dist_aug.rsample()
                log_prob_aug = dist_aug.log_prob(next_action_aug).sum(-1, keepdim=True)
                target_Q1, target_Q2 = self.critic_target(next_obs_aug, next_action_aug)
                target_V = torch.min(target_Q1, target_Q2) - self.alpha.detach() * log_prob_aug
                target_Q_aug = reward + (not_done * self.discount * target_V)
                target_Q = (target_Q + target_Q_aug) / 2
            current_Q1, current_Q2 = self.critic(obs, action)
            critic_loss = F.mse_loss(current_Q1, target_Q) + F.mse_loss(current_Q2, target_Q)
            Q1_aug, Q2_aug = self.critic(obs_aug, action)
            critic_loss += F.mse_loss(Q1_aug, target_Q) + F.mse_loss(Q2_aug, target_Q)
            self.log.append(('train_critic/loss', critic_loss.item(), step))
            self.critic_optimizer.zero_grad()
            critic_loss.backward()
            self.critic_optimizer.step()

        def update_actor_and_alpha(self, obs, step):
            dist = self.actor(obs, detach_encoder=True)
            action = dist.rsample()
            log_prob = dist.log_prob(action).sum(-1, keepdim=True)
            actor_Q1, actor_Q2 = self.critic(obs, action, detach_encoder=True)
            actor_Q = torch.min(actor_Q1, actor_Q2)
            actor_loss = (self.alpha.detach() * log_prob - actor_Q).mean()
            self.log.append(('train_actor/loss', actor_loss.item(), step))
            self.log.append(('train_actor/entropy', -log_prob.mean().item(), step))
            self.actor_optimizer.zero_grad()
            actor_loss.backward()
            self.actor_optimizer.step()
            self.log_alpha_optimizer.zero_grad()
            alpha_loss = (self.alpha * (-log_prob - self.target_entropy).detach()).mean()
            self.log.append(('train_alpha/loss', alpha_loss.item(), step))
            alpha_loss.backward()
            self.log_alpha_optimizer.step()

        def update(self, batch, step):
            obs, action, reward, next_obs, not_done, obs_aug, next_obs_aug = batch
            self.update_critic(obs, obs_aug, action, reward, next_obs, next_obs_aug, not_done, step)
            if step % self.actor_update_frequency == 0:
                self.update_actor_and_alpha(obs, step)
            if step % self.critic_target_update_frequency == 0:
                soft_update_params(self.critic, self.critic_target, self.critic_tau)

    return dict(DRQAgent=DRQAgent, SquashedNormal=SquashedNormal, TanhTransform=TanhTransform)


def drq_agent(L):
    """DRQAgent: a few updates on a seeded pixel replay batch with pad-and-crop augmentation."""
    torch, nn = L, L.nn
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    u = _drq(L)
    obs_shape, action_shape, image_pad = (3, 20, 20), (2,), 2
    agent = u['DRQAgent'](obs_shape, action_shape, [-1.0, 1.0], torch.device('cpu'),
                          dict(obs_shape=obs_shape, feature_dim=10), discount=0.99,
                          init_temperature=0.1, lr=1e-3, actor_update_frequency=2,
                          critic_tau=0.01, critic_target_update_frequency=2, batch_size=4)
    aug_trans = nn.Sequential(nn.ReplicationPad2d(image_pad))

    def random_crop(x, size):
        n = x.shape[0]
        out = []
        for i in range(n):
            w1, h1 = rng.randint(0, 2 * image_pad + 1, 2)
            out.append(x[i:i + 1, :, h1:h1 + size, w1:w1 + size])
        return torch.cat(out, 0)

    with Out() as o:
        o.print(agent.actor.encoder.convs[0].weight is agent.critic.encoder.convs[0].weight,
                len(list(agent.actor.parameters())), agent.log_alpha.dtype, agent.log_alpha.is_leaf)
        frame = rng.randint(0, 256, obs_shape).astype(np.uint8)
        o.vals += [agent.act(frame), agent.act(frame, sample=True)]
        for step in range(3):
            B = agent.batch_size
            obs = torch.as_tensor(rng.randint(0, 256, (B,) + obs_shape), device='cpu').float()
            next_obs = torch.as_tensor(rng.randint(0, 256, (B,) + obs_shape), device='cpu').float()
            action = torch.as_tensor(rng.uniform(-1, 1, (B,) + action_shape), device='cpu').float()
            reward = torch.as_tensor(rng.standard_normal((B, 1)).round(2), device='cpu').float()
            not_done = torch.as_tensor((rng.random_sample((B, 1)) > 0.1).astype(np.float32))
            obs_aug = random_crop(aug_trans(obs.clone()), obs_shape[-1])
            next_obs_aug = random_crop(aug_trans(next_obs.clone()), obs_shape[-1])
            obs = random_crop(aug_trans(obs), obs_shape[-1])
            next_obs = random_crop(aug_trans(next_obs), obs_shape[-1])
            agent.update((obs, action, reward, next_obs, not_done, obs_aug, next_obs_aug), step)
        for k, v, s in agent.log:
            o.print(k, s, round(v, 4))
        o.vals += [v for _, v, _ in agent.log]
        o.vals += [agent.log_alpha.detach().clone(), agent.alpha.detach()]
        o.vals += [p.detach().clone() for p in agent.critic_target.parameters()]
        # (the actor's own weights are left out: orthogonal_'s QR is LAPACK's float32 one in
        # PyTorch, NumPy's float64 one in ember, and a small entry of the 16x16 trunk matrix
        # starts 2e-6 apart - see tests/test_programs_s14_hfdrl.py)
        d = u['SquashedNormal'](torch.zeros(2), torch.ones(2) * 0.5)
        a = d.rsample((3,))
        o.print(a.shape, type(d.transforms[0]).__name__, d.support)
        o.vals += [d.mean, d.log_prob(a), d.log_prob(torch.tensor([0.999, -0.5]))]
    return o.done()
