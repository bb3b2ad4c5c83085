"""openai/spinningup's PyTorch algorithms (spinup/algos/pytorch/{vpg,ppo}/core.py and the
buffers, losses and update functions of vpg.py / ppo.py) as users type them, on a small
seeded NumPy environment with gym's Box / Discrete shapes instead of gym, as
``prog(L) -> (printed, values)`` for tests/test_programs_s18_spinup.py. scipy is not installed
here, so discount_cumsum is the NumPy loop users write in its place; MPI helpers are their
one-process forms (mpi_avg(x) == x, mpi_statistics_scalar == mean and population std)."""

import numpy as np
from s16_yunjey_progs import Out


class Box:
    def __init__(self, low, high, shape, seed=0):
        self.low = np.full(shape, low, dtype=np.float32)
        self.high = np.full(shape, high, dtype=np.float32)
        self.shape = tuple(shape)
        self.rng = np.random.default_rng(seed)

    def sample(self):
        return self.rng.uniform(self.low, self.high).astype(np.float32)


class Discrete:
    def __init__(self, n, seed=0):
        self.n, self.shape = n, ()
        self.rng = np.random.default_rng(seed)

    def sample(self):
        return int(self.rng.integers(self.n))


class ToyEnv:
    """gym-shaped (old API): reset() -> obs, step(a) -> (obs, r, done, info); a Discrete or a
    continuous Box action space, a fixed seed, episodes ending after drawn lengths."""

    def __init__(self, obs_dim=4, n_actions=None, act_dim=None, act_limit=1.0, seed=0,
                 max_len=(6, 14)):
        self.observation_space = Box(-np.inf, np.inf, (obs_dim,), seed)
        self.action_space = (Discrete(n_actions, seed + 1) if n_actions is not None
                             else Box(-act_limit, act_limit, (act_dim,), seed + 1))
        self.rng = np.random.default_rng(seed + 2)
        self.obs_dim, self.max_len = obs_dim, max_len
        self.target = self.rng.uniform(-0.5, 0.5, act_dim or 1)

    def reset(self):
        self.t, self.len = 0, int(self.rng.integers(*self.max_len))
        self.obs = self.rng.standard_normal(self.obs_dim).astype(np.float32)
        return self.obs

    def step(self, a):
        self.t += 1
        if isinstance(self.action_space, Discrete):
            r = 1.0 if int(a) == int(self.obs[0] > 0) else -0.5
        else:
            r = float(-np.sum((np.asarray(a, dtype=np.float64) - self.target) ** 2)
                      + 0.1 * self.obs[1])
        self.obs = (0.8 * self.obs + 0.2 * self.rng.standard_normal(self.obs_dim)).astype(
            np.float32)
        return self.obs, r, self.t >= self.len, {}


def core_module(L):
    """spinup/algos/pytorch/ppo/core.py (vpg/core.py is the same file)."""
    torch, nn = L, L.nn
    from_dist = L.distributions
    Normal, Categorical = from_dist.normal.Normal, from_dist.categorical.Categorical

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

    def discount_cumsum(x, discount):
        # scipy.signal.lfilter([1], [1, float(-discount)], x[::-1], axis=0)[::-1] without scipy
        out = np.zeros_like(x)
        run = 0.0
        for i in reversed(range(len(x))):
            run = x[i] + discount * run
            out[i] = run
        return out

    class Actor(nn.Module):
        def _distribution(self, obs):
            raise NotImplementedError

        def _log_prob_from_distribution(self, pi, act):
            raise NotImplementedError

        def forward(self, obs, act=None):
            pi = self._distribution(obs)
            logp_a = None
            if act is not None:
                logp_a = self._log_prob_from_distribution(pi, act)
            return pi, logp_a

    class MLPCategoricalActor(Actor):
        def __init__(self, obs_dim, act_dim, hidden_sizes, activation):
            super().__init__()
            self.logits_net = mlp([obs_dim] + list(hidden_sizes) + [act_dim], activation)

        def _distribution(self, obs):
            logits = self.logits_net(obs)
            return Categorical(logits=logits)

        def _log_prob_from_distribution(self, pi, act):
            return pi.log_prob(act)

    class MLPGaussianActor(Actor):
        def __init__(self, obs_dim, act_dim, hidden_sizes, activation):
            super().__init__()
            log_std = -0.5 * np.ones(act_dim, dtype=np.float32)
            self.log_std = torch.nn.Parameter(torch.as_tensor(log_std))
            self.mu_net = mlp([obs_dim] + list(hidden_sizes) + [act_dim], activation)

        def _distribution(self, obs):
            mu = self.mu_net(obs)
            std = torch.exp(self.log_std)
            return Normal(mu, std)

        def _log_prob_from_distribution(self, pi, act):
            return pi.log_prob(act).sum(axis=-1)

    class MLPCritic(nn.Module):
        def __init__(self, obs_dim, hidden_sizes, activation):
            super().__init__()
            self.v_net = mlp([obs_dim] + list(hidden_sizes) + [1], activation)

        def forward(self, obs):
            return torch.squeeze(self.v_net(obs), -1)

    class MLPActorCritic(nn.Module):
        def __init__(self, observation_space, action_space,
                     hidden_sizes=(64, 64), activation=nn.Tanh):
            super().__init__()
            obs_dim = observation_space.shape[0]
            if isinstance(action_space, Box):
                self.pi = MLPGaussianActor(obs_dim, action_space.shape[0], hidden_sizes, activation)
            elif isinstance(action_space, Discrete):
                self.pi = MLPCategoricalActor(obs_dim, action_space.n, hidden_sizes, activation)
            self.v = MLPCritic(obs_dim, hidden_sizes, activation)

        def step(self, obs):
            with torch.no_grad():
                pi = self.pi._distribution(obs)
                a = pi.sample()
                logp_a = self.pi._log_prob_from_distribution(pi, a)
                v = self.v(obs)
            return a.numpy(), v.numpy(), logp_a.numpy()

        def act(self, obs):
            return self.step(obs)[0]

    return dict(combined_shape=combined_shape, mlp=mlp, count_vars=count_vars,
                discount_cumsum=discount_cumsum, MLPActorCritic=MLPActorCritic)


def _buffer(L, core):
    torch = L

    class PPOBuffer:
        def __init__(self, obs_dim, act_dim, size, gamma=0.99, lam=0.95):
            self.obs_buf = np.zeros(core['combined_shape'](size, obs_dim), dtype=np.float32)
            self.act_buf = np.zeros(core['combined_shape'](size, act_dim), dtype=np.float32)
            self.adv_buf = np.zeros(size, dtype=np.float32)
            self.rew_buf = np.zeros(size, dtype=np.float32)
            self.ret_buf = np.zeros(size, dtype=np.float32)
            self.val_buf = np.zeros(size, dtype=np.float32)
            self.logp_buf = np.zeros(size, dtype=np.float32)
            self.gamma, self.lam = gamma, lam
            self.ptr, self.path_start_idx, self.max_size = 0, 0, size

        def store(self, obs, act, rew, val, logp):
            assert self.ptr < self.max_size
            self.obs_buf[self.ptr] = obs
            self.act_buf[self.ptr] = act
            self.rew_buf[self.ptr] = rew
            self.val_buf[self.ptr] = val
            self.logp_buf[self.ptr] = logp
            self.ptr += 1

        def finish_path(self, last_val=0):
            path_slice = slice(self.path_start_idx, self.ptr)
            rews = np.append(self.rew_buf[path_slice], last_val)
            vals = np.append(self.val_buf[path_slice], last_val)
            deltas = rews[:-1] + self.gamma * vals[1:] - vals[:-1]
            self.adv_buf[path_slice] = core['discount_cumsum'](deltas, self.gamma * self.lam)
            self.ret_buf[path_slice] = core['discount_cumsum'](rews, self.gamma)[:-1]
            self.path_start_idx = self.ptr

        def get(self):
            assert self.ptr == self.max_size
            self.ptr, self.path_start_idx = 0, 0
            adv_mean, adv_std = np.mean(self.adv_buf), np.std(self.adv_buf)
            self.adv_buf = (self.adv_buf - adv_mean) / adv_std
            data = dict(obs=self.obs_buf, act=self.act_buf, ret=self.ret_buf,
                        adv=self.adv_buf, logp=self.logp_buf)
            return {k: torch.as_tensor(v, dtype=torch.float32) for k, v in data.items()}

    return PPOBuffer


def _run(L, out, algo, env, seed=0, steps_per_epoch=40, epochs=2, gamma=0.99, clip_ratio=0.2,
         pi_lr=3e-4, vf_lr=1e-3, train_pi_iters=6, train_v_iters=6, lam=0.97, max_ep_len=12,
         target_kl=0.01, hidden_sizes=(16, 16)):
    """ppo() / vpg() from ppo.py / vpg.py, the logger replaced by prints."""
    torch = L
    from_optim = L.optim
    Adam = from_optim.Adam
    core = core_module(L)
    torch.manual_seed(seed)
    np.random.seed(seed)
    obs_dim = env.observation_space.shape
    act_dim = env.action_space.shape
    ac = core['MLPActorCritic'](env.observation_space, env.action_space,
                                hidden_sizes=hidden_sizes)
    out.print(ac)
    var_counts = tuple(core['count_vars'](module) for module in [ac.pi, ac.v])
    out.print('\nNumber of parameters: \t pi: %d, \t v: %d\n' % var_counts)
    buf = _buffer(L, core)(obs_dim, act_dim, steps_per_epoch, gamma, lam)

    def compute_loss_pi(data):
        obs, act, adv, logp_old = data['obs'], data['act'], data['adv'], data['logp']
        pi, logp = ac.pi(obs, act)
        if algo == 'vpg':
            loss_pi = -(logp * adv).mean()
            approx_kl = (logp_old - logp).mean().item()
            ent = pi.entropy().mean().item()
            return loss_pi, dict(kl=approx_kl, ent=ent)
        ratio = torch.exp(logp - logp_old)
        clip_adv = torch.clamp(ratio, 1-clip_ratio, 1+clip_ratio) * adv
        loss_pi = -(torch.min(ratio * adv, clip_adv)).mean()
        approx_kl = (logp_old - logp).mean().item()
        ent = pi.entropy().mean().item()
        clipped = ratio.gt(1+clip_ratio) | ratio.lt(1-clip_ratio)
        clipfrac = torch.as_tensor(clipped, dtype=torch.float32).mean().item()
        return loss_pi, dict(kl=approx_kl, ent=ent, cf=clipfrac)

    def compute_loss_v(data):
        obs, ret = data['obs'], data['ret']
        return ((ac.v(obs) - ret)**2).mean()

    pi_optimizer = Adam(ac.pi.parameters(), lr=pi_lr)
    vf_optimizer = Adam(ac.v.parameters(), lr=vf_lr)

    def update():
        data = buf.get()
        pi_l_old, pi_info_old = compute_loss_pi(data)
        pi_l_old = pi_l_old.item()
        v_l_old = compute_loss_v(data).item()
        if algo == 'vpg':
            pi_optimizer.zero_grad()
            loss_pi, pi_info = compute_loss_pi(data)
            loss_pi.backward()
            pi_optimizer.step()
        else:
            for i in range(train_pi_iters):
                pi_optimizer.zero_grad()
                loss_pi, pi_info = compute_loss_pi(data)
                kl = pi_info['kl']
                if kl > 1.5 * target_kl:
                    out.print('Early stopping at step %d due to reaching max kl.' % i)
                    break
                loss_pi.backward()
                pi_optimizer.step()
        for i in range(train_v_iters):
            vf_optimizer.zero_grad()
            loss_v = compute_loss_v(data)
            loss_v.backward()
            vf_optimizer.step()
        # near-zero numbers (a mean of BLAS-rounding differences) print without their sign
        stats = (pi_l_old, v_l_old, pi_info['kl'], pi_info_old['ent'],
                 loss_pi.item() - pi_l_old, loss_v.item() - v_l_old)
        out.print('LossPi %.4f LossV %.4f KL %.4f Entropy %.4f DeltaLossPi %.4f DeltaLossV %.4f'
                  % tuple(round(x, 4) + 0.0 for x in stats))
        out.vals.append(np.array(stats))
        if 'cf' in pi_info:
            out.print('ClipFrac', pi_info['cf'])

    o, ep_ret, ep_len = env.reset(), 0, 0
    for epoch in range(epochs):
        ep_rets = []
        for t in range(steps_per_epoch):
            a, v, logp = ac.step(torch.as_tensor(o, dtype=torch.float32))
            next_o, r, d, _ = env.step(a)
            ep_ret += r
            ep_len += 1
            buf.store(o, a, r, v, logp)
            o = next_o
            timeout = ep_len == max_ep_len
            terminal = d or timeout
            epoch_ended = t == steps_per_epoch-1
            if terminal or epoch_ended:
                if epoch_ended and not (terminal):
                    out.print('Warning: trajectory cut off by epoch at %d steps.' % ep_len)
                if timeout or epoch_ended:
                    _, v, _ = ac.step(torch.as_tensor(o, dtype=torch.float32))
                else:
                    v = 0
                buf.finish_path(v)
                if terminal:
                    ep_rets.append(ep_ret)
                o, ep_ret, ep_len = env.reset(), 0, 0
        update()
        out.print('Epoch', epoch, 'EpRet %.3f' % np.mean(ep_rets), type(a), a.dtype, a.shape,
                  type(v), v.dtype, logp.dtype)
    return [p.detach().clone() for p in ac.parameters()]


def ppo_discrete(L):
    with Out() as out:
        out.vals += _run(L, out, 'ppo', ToyEnv(4, n_actions=3))
    return out.lines, out.vals


def ppo_box(L):
    with Out() as out:
        out.vals += _run(L, out, 'ppo', ToyEnv(3, act_dim=2, seed=5), target_kl=0.05)
    return out.lines, out.vals


def vpg_discrete(L):
    with Out() as out:
        out.vals += _run(L, out, 'vpg', ToyEnv(4, n_actions=2, seed=3), train_v_iters=4)
    return out.lines, out.vals


def vpg_box(L):
    with Out() as out:
        out.vals += _run(L, out, 'vpg', ToyEnv(5, act_dim=1, seed=7), hidden_sizes=(8,))
    return out.lines, out.vals


def core_pieces(L):
    """core.py's helpers on their own: combined_shape, count_vars, the Gaussian actor's
    log_prob(...).sum(axis=-1), the critic's squeeze, step()'s numpy outputs."""
    torch = L
    with Out() as out:
        core = core_module(L)
        torch.manual_seed(1)
        out.print(core['combined_shape'](5), core['combined_shape'](5, 3),
                  core['combined_shape'](5, (2, 3)))
        ac = core['MLPActorCritic'](Box(-1, 1, (3,)), Box(-1, 1, (2,)), hidden_sizes=(4,))
        n = core['count_vars'](ac)
        out.print(n, type(n).__name__)
        obs = torch.as_tensor(np.random.default_rng(0).standard_normal((5, 3)),
                              dtype=torch.float32)
        pi, logp = ac.pi(obs, torch.zeros(5, 2))
        out.print(pi, logp.shape, logp.dtype)
        out.print(pi.mean.shape, pi.stddev.shape, pi.entropy().shape)
        a, v, lp = ac.step(obs)
        out.print(a.shape, a.dtype, v.shape, v.dtype, lp.shape, lp.dtype)
        a1 = ac.act(obs[0])
        out.print(a1.shape, type(a1).__name__)
        ac2 = core['MLPActorCritic'](Box(-1, 1, (3,)), Discrete(4), hidden_sizes=(4,))
        pi2, logp2 = ac2.pi(obs, torch.as_tensor(np.array([0, 1, 2, 3, 0], dtype=np.float32)))
        out.print(pi2, logp2.dtype, pi2.probs.shape)
        a2, v2, lp2 = ac2.step(obs[1])
        out.print(a2, a2.dtype, a2.shape, v2.shape, lp2.shape)
        out.vals += [logp, a, v, lp, logp2, pi.entropy(), pi2.entropy()]
        x = np.array([1.0, 2.0, 3.0], dtype=np.float32)
        out.vals.append(core['discount_cumsum'](x, 0.5))
    return out.lines, out.vals
