"""openai/spinningup's off-policy PyTorch algorithms (spinup/algos/pytorch/{ddpg,td3,sac}:
core.py's MLPActor / SquashedGaussianMLPActor / MLPQFunction, the ReplayBuffer, the
compute_loss_q / compute_loss_pi functions, update() with the Q-networks frozen by
requires_grad = False and the targets moved by polyak averaging under torch.no_grad with
p_targ.data.mul_ / add_, get_action with NumPy noise and np.clip) as users type them, on the
seeded continuous ToyEnv, as ``prog(L) -> (printed, values)``."""

import itertools
from copy import deepcopy

import numpy as np
from s16_yunjey_progs import Out
from s18_spinup_progs import ToyEnv


def _core(L, kind):
    torch, nn = L, L.nn
    F = L.nn.functional
    Normal = L.distributions.normal.Normal

    def combined_shape(length, shape=None):
        if shape is None:
            return (length,)
        return (length, shape) if np.isscalar(shape) else (length, *shape)

    def mlp(sizes, activation, output_activation=nn.Identity):
        layers = []
        for j in range(len(sizes)-1):
            act = activation if j < len(sizes)-2 else output_activation
            layers += [nn.Linear(sizes[j], sizes[j+1]), act()]
        return nn.Sequential(*layers)

    def count_vars(module):
        return sum([np.prod(p.shape) for p in module.parameters()])

    class MLPActor(nn.Module):
        def __init__(self, obs_dim, act_dim, hidden_sizes, activation, act_limit):
            super().__init__()
            pi_sizes = [obs_dim] + list(hidden_sizes) + [act_dim]
            self.pi = mlp(pi_sizes, activation, nn.Tanh)
            self.act_limit = act_limit

        def forward(self, obs):
            return self.act_limit * self.pi(obs)

    LOG_STD_MAX = 2
    LOG_STD_MIN = -20

    class SquashedGaussianMLPActor(nn.Module):
        def __init__(self, obs_dim, act_dim, hidden_sizes, activation, act_limit):
            super().__init__()
            self.net = mlp([obs_dim] + list(hidden_sizes), activation, activation)
            self.mu_layer = nn.Linear(hidden_sizes[-1], act_dim)
            self.log_std_layer = nn.Linear(hidden_sizes[-1], act_dim)
            self.act_limit = act_limit

        def forward(self, obs, deterministic=False, with_logprob=True):
            net_out = self.net(obs)
            mu = self.mu_layer(net_out)
            log_std = self.log_std_layer(net_out)
            log_std = torch.clamp(log_std, LOG_STD_MIN, LOG_STD_MAX)
            std = torch.exp(log_std)
            pi_distribution = Normal(mu, std)
            if deterministic:
                pi_action = mu
            else:
                pi_action = pi_distribution.rsample()
            if with_logprob:
                logp_pi = pi_distribution.log_prob(pi_action).sum(axis=-1)
                logp_pi -= (2*(np.log(2) - pi_action - F.softplus(-2*pi_action))).sum(axis=1)
            else:
                logp_pi = None
            pi_action = torch.tanh(pi_action)
            pi_action = self.act_limit * pi_action
            return pi_action, logp_pi

    class MLPQFunction(nn.Module):
        def __init__(self, obs_dim, act_dim, hidden_sizes, activation):
            super().__init__()
            self.q = mlp([obs_dim + act_dim] + list(hidden_sizes) + [1], activation)

        def forward(self, obs, act):
            q = self.q(torch.cat([obs, act], dim=-1))
            return torch.squeeze(q, -1)

    class MLPActorCritic(nn.Module):
        def __init__(self, observation_space, action_space, hidden_sizes=(256, 256),
                     activation=nn.ReLU):
            super().__init__()
            obs_dim = observation_space.shape[0]
            act_dim = action_space.shape[0]
            act_limit = action_space.high[0]
            if kind == 'sac':
                self.pi = SquashedGaussianMLPActor(obs_dim, act_dim, hidden_sizes, activation,
                                                   act_limit)
            else:
                self.pi = MLPActor(obs_dim, act_dim, hidden_sizes, activation, act_limit)
            if kind == 'ddpg':
                self.q = MLPQFunction(obs_dim, act_dim, hidden_sizes, activation)
            else:
                self.q1 = MLPQFunction(obs_dim, act_dim, hidden_sizes, activation)
                self.q2 = MLPQFunction(obs_dim, act_dim, hidden_sizes, activation)

        def act(self, obs, deterministic=False):
            with torch.no_grad():
                if kind == 'sac':
                    a, _ = self.pi(obs, deterministic, False)
                    return a.numpy()
                return self.pi(obs).numpy()

    class ReplayBuffer:
        def __init__(self, obs_dim, act_dim, size):
            self.obs_buf = np.zeros(combined_shape(size, obs_dim), dtype=np.float32)
            self.obs2_buf = np.zeros(combined_shape(size, obs_dim), dtype=np.float32)
            self.act_buf = np.zeros(combined_shape(size, act_dim), dtype=np.float32)
            self.rew_buf = np.zeros(size, dtype=np.float32)
            self.done_buf = np.zeros(size, dtype=np.float32)
            self.ptr, self.size, self.max_size = 0, 0, size

        def store(self, obs, act, rew, next_obs, done):
            self.obs_buf[self.ptr] = obs
            self.obs2_buf[self.ptr] = next_obs
            self.act_buf[self.ptr] = act
            self.rew_buf[self.ptr] = rew
            self.done_buf[self.ptr] = done
            self.ptr = (self.ptr+1) % self.max_size
            self.size = min(self.size+1, self.max_size)

        def sample_batch(self, batch_size=32):
            idxs = np.random.randint(0, self.size, size=batch_size)
            batch = dict(obs=self.obs_buf[idxs],
                         obs2=self.obs2_buf[idxs],
                         act=self.act_buf[idxs],
                         rew=self.rew_buf[idxs],
                         done=self.done_buf[idxs])
            return {k: torch.as_tensor(v, dtype=torch.float32) for k, v in batch.items()}

    return MLPActorCritic, ReplayBuffer, count_vars


def _offpolicy(L, out, kind, env, seed=0, steps_per_epoch=30, epochs=2, replay_size=100,
               gamma=0.99, polyak=0.995, lr=1e-3, alpha=0.2, batch_size=8, start_steps=12,
               update_after=10, update_every=5, act_noise=0.1, target_noise=0.2,
               noise_clip=0.5, policy_delay=2, max_ep_len=10, hidden_sizes=(16, 16)):
    torch = L
    Adam = L.optim.Adam
    MLPActorCritic, ReplayBuffer, count_vars = _core(L, kind)
    torch.manual_seed(seed)
    np.random.seed(seed)
    obs_dim = env.observation_space.shape
    act_dim = env.action_space.shape[0]
    act_limit = env.action_space.high[0]
    ac = MLPActorCritic(env.observation_space, env.action_space, hidden_sizes=hidden_sizes)
    ac_targ = deepcopy(ac)
    for p in ac_targ.parameters():
        p.requires_grad = False
    out.print(ac_targ)
    if kind == 'ddpg':
        q_params = list(ac.q.parameters())
        out.print('\nNumber of parameters: \t pi: %d, \t q: %d\n'
                  % tuple(count_vars(m) for m in [ac.pi, ac.q]))
    else:
        q_params = itertools.chain(ac.q1.parameters(), ac.q2.parameters())
        out.print('\nNumber of parameters: \t pi: %d, \t q1: %d, \t q2: %d\n'
                  % tuple(count_vars(m) for m in [ac.pi, ac.q1, ac.q2]))
    replay_buffer = ReplayBuffer(obs_dim=obs_dim, act_dim=act_dim, size=replay_size)

    def compute_loss_q(data):
        o, a, r, o2, d = data['obs'], data['act'], data['rew'], data['obs2'], data['done']
        if kind == 'ddpg':
            q = ac.q(o, a)
            with torch.no_grad():
                q_pi_targ = ac_targ.q(o2, ac_targ.pi(o2))
                backup = r + gamma * (1 - d) * q_pi_targ
            loss_q = ((q - backup)**2).mean()
            return loss_q, dict(QVals=q.detach().numpy())
        q1 = ac.q1(o, a)
        q2 = ac.q2(o, a)
        with torch.no_grad():
            if kind == 'td3':
                pi_targ = ac_targ.pi(o2)
                epsilon = torch.randn_like(pi_targ) * target_noise
                epsilon = torch.clamp(epsilon, -noise_clip, noise_clip)
                a2 = pi_targ + epsilon
                a2 = torch.clamp(a2, -act_limit, act_limit)
                q1_pi_targ = ac_targ.q1(o2, a2)
                q2_pi_targ = ac_targ.q2(o2, a2)
                q_pi_targ = torch.min(q1_pi_targ, q2_pi_targ)
                backup = r + gamma * (1 - d) * q_pi_targ
            else:
                a2, logp_a2 = ac.pi(o2)
                q1_pi_targ = ac_targ.q1(o2, a2)
                q2_pi_targ = ac_targ.q2(o2, a2)
                q_pi_targ = torch.min(q1_pi_targ, q2_pi_targ)
                backup = r + gamma * (1 - d) * (q_pi_targ - alpha * logp_a2)
        loss_q1 = ((q1 - backup)**2).mean()
        loss_q2 = ((q2 - backup)**2).mean()
        loss_q = loss_q1 + loss_q2
        return loss_q, dict(Q1Vals=q1.detach().numpy(), Q2Vals=q2.detach().numpy())

    def compute_loss_pi(data):
        o = data['obs']
        if kind == 'ddpg':
            q_pi = ac.q(o, ac.pi(o))
            return -q_pi.mean(), {}
        if kind == 'td3':
            q1_pi = ac.q1(o, ac.pi(o))
            return -q1_pi.mean(), {}
        pi, logp_pi = ac.pi(o)
        q1_pi = ac.q1(o, pi)
        q2_pi = ac.q2(o, pi)
        q_pi = torch.min(q1_pi, q2_pi)
        loss_pi = (alpha * logp_pi - q_pi).mean()
        return loss_pi, dict(LogPi=logp_pi.detach().numpy())

    # as in td3.py / sac.py: q_params is an itertools.chain that Adam consumes, so the
    # freeze / unfreeze loops in update() below run over an exhausted iterator
    pi_optimizer = Adam(ac.pi.parameters(), lr=lr)
    q_optimizer = Adam(q_params, lr=lr)
    log = {}

    def update(data, timer):
        q_optimizer.zero_grad()
        loss_q, q_info = compute_loss_q(data)
        loss_q.backward()
        q_optimizer.step()
        log.setdefault('LossQ', []).append(loss_q.item())
        log.setdefault('QVals', []).extend(q_info.get('QVals', q_info.get('Q1Vals')))
        if kind != 'td3' or timer % policy_delay == 0:
            for p in q_params:
                p.requires_grad = False
            pi_optimizer.zero_grad()
            loss_pi, pi_info = compute_loss_pi(data)
            loss_pi.backward()
            pi_optimizer.step()
            for p in q_params:
                p.requires_grad = True
            log.setdefault('LossPi', []).append(loss_pi.item())
            with torch.no_grad():
                for p, p_targ in zip(ac.parameters(), ac_targ.parameters()):
                    p_targ.data.mul_(polyak)
                    p_targ.data.add_((1 - polyak) * p.data)

    def get_action(o, noise_scale):
        if kind == 'sac':
            return ac.act(torch.as_tensor(o, dtype=torch.float32), noise_scale == 0)
        a = ac.act(torch.as_tensor(o, dtype=torch.float32))
        a += noise_scale * np.random.randn(act_dim)
        return np.clip(a, -act_limit, act_limit)

    total_steps = steps_per_epoch * epochs
    o, ep_ret, ep_len = env.reset(), 0, 0
    for t in range(total_steps):
        if t > start_steps:
            a = get_action(o, act_noise)
        else:
            a = env.action_space.sample()
        o2, r, d, _ = env.step(a)
        ep_ret += r
        ep_len += 1
        d = False if ep_len == max_ep_len else d
        replay_buffer.store(o, a, r, o2, d)
        o = o2
        if d or (ep_len == max_ep_len):
            log.setdefault('EpRet', []).append(ep_ret)
            o, ep_ret, ep_len = env.reset(), 0, 0
        if t >= update_after and t % update_every == 0:
            for j in range(update_every):
                batch = replay_buffer.sample_batch(batch_size)
                update(data=batch, timer=j)
        if (t+1) % steps_per_epoch == 0:
            epoch = (t+1) // steps_per_epoch
            ta = get_action(o, 0)
            out.print('Epoch', epoch, 'EpRet %.4f' % np.mean(log['EpRet']),
                      'QVals %.4f' % np.mean(log['QVals']), 'LossQ %.4f' % np.mean(log['LossQ']),
                      'LossPi %.4f' % np.mean(log['LossPi']), ta.dtype, ta.shape, type(a).__name__)
            out.vals += [np.array(log['LossQ']), np.array(log['LossPi']), ta]
            log.clear()
    out.vals += [p.detach().clone() for p in ac.parameters()]
    out.vals += [p.detach().clone() for p in ac_targ.parameters()]
    out.print([p.requires_grad for p in ac_targ.parameters()][:3],
              [p.requires_grad for p in ac.parameters()][:3])


def ddpg(L):
    with Out() as out:
        _offpolicy(L, out, 'ddpg', ToyEnv(3, act_dim=2, act_limit=2.0, seed=11))
    return out.lines, out.vals


def td3(L):
    with Out() as out:
        _offpolicy(L, out, 'td3', ToyEnv(3, act_dim=2, act_limit=1.0, seed=12))
    return out.lines, out.vals


def sac(L):
    with Out() as out:
        _offpolicy(L, out, 'sac', ToyEnv(4, act_dim=1, act_limit=1.5, seed=13))
    return out.lines, out.vals
