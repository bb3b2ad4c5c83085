"""openai/spinningup's smaller PyTorch programs as users type them, as
``prog(L) -> (printed, values)``: spinup/examples/pytorch/pg_math (1_simple_pg.py,
2_rtg_pg.py: Categorical(logits=...) with int32 actions, reward_to_go), the problem set
exercises (exercise1_1 gaussian_likelihood checked against the solution with np.allclose,
exercise1_2's DiagonalGaussianDistribution actor in ExerciseActorCritic.step, exercise2_2's
bugged Q-function whose (batch, 1) output broadcasts against the (batch,) backup), utils/
mpi_pytorch.py's numpy views of grads and parameters (written through ``[:] =``), and
utils/logx.py's torch.save of the whole module with test_policy.py's torch.load."""

import os
import sys
import tempfile
import warnings

import numpy as np
from s16_yunjey_progs import Out
from s18_spinup_progs import Box, Discrete, ToyEnv


def _mlp(L):
    nn = L.nn

    def mlp(sizes, activation=nn.Tanh, output_activation=nn.Identity):
        layers = []
        for j in range(len(sizes)-1):
            act = activation if j < len(sizes)-2 else output_activation
            layers += [nn.Linear(sizes[j], sizes[j+1]), act()]
        return nn.Sequential(*layers)
    return mlp


def _pg(L, out, rtg, epochs=3, batch_size=30, hidden_sizes=[16], lr=1e-2):
    torch = L
    Categorical = L.distributions.categorical.Categorical
    Adam = L.optim.Adam
    mlp = _mlp(L)
    torch.manual_seed(0)
    env = ToyEnv(4, n_actions=2, seed=21)
    assert isinstance(env.observation_space, Box)
    assert isinstance(env.action_space, Discrete)
    obs_dim = env.observation_space.shape[0]
    n_acts = env.action_space.n
    logits_net = mlp(sizes=[obs_dim]+hidden_sizes+[n_acts])

    def reward_to_go(rews):
        n = len(rews)
        rtgs = np.zeros_like(rews)
        for i in reversed(range(n)):
            rtgs[i] = rews[i] + (rtgs[i+1] if i+1 < n else 0)
        return rtgs

    def get_policy(obs):
        logits = logits_net(obs)
        return Categorical(logits=logits)

    def get_action(obs):
        return get_policy(obs).sample().item()

    def compute_loss(obs, act, weights):
        logp = get_policy(obs).log_prob(act)
        return -(logp * weights).mean()

    optimizer = Adam(logits_net.parameters(), lr=lr)

    def train_one_epoch():
        batch_obs, batch_acts, batch_weights, batch_rets, batch_lens = [], [], [], [], []
        obs = env.reset()
        done = False
        ep_rews = []
        while True:
            batch_obs.append(obs.copy())
            act = get_action(torch.as_tensor(obs, dtype=torch.float32))
            obs, rew, done, _ = env.step(act)
            batch_acts.append(act)
            ep_rews.append(rew)
            if done:
                ep_ret, ep_len = sum(ep_rews), len(ep_rews)
                batch_rets.append(ep_ret)
                batch_lens.append(ep_len)
                if rtg:
                    batch_weights += list(reward_to_go(ep_rews))
                else:
                    batch_weights += [ep_ret] * ep_len
                obs, done, ep_rews = env.reset(), False, []
                if len(batch_obs) > batch_size:
                    break
        optimizer.zero_grad()
        batch_loss = compute_loss(obs=torch.as_tensor(batch_obs, dtype=torch.float32),
                                  act=torch.as_tensor(batch_acts, dtype=torch.int32),
                                  weights=torch.as_tensor(batch_weights, dtype=torch.float32))
        batch_loss.backward()
        optimizer.step()
        return batch_loss, batch_rets, batch_lens

    for i in range(epochs):
        batch_loss, batch_rets, batch_lens = train_one_epoch()
        out.print('epoch: %3d \t loss: %.3f \t return: %.3f \t ep_len: %.3f' %
                  (i, batch_loss, np.mean(batch_rets), np.mean(batch_lens)))
        out.vals.append(batch_loss.detach())
    out.vals += [p.detach().clone() for p in logits_net.parameters()]


def simple_pg(L):
    with Out() as out:
        _pg(L, out, rtg=False)
    return out.lines, out.vals


def rtg_pg(L):
    with Out() as out:
        _pg(L, out, rtg=True)
    return out.lines, out.vals


def exercises(L):
    """exercise1_1 (+ its solution) and exercise1_2's actor in ExerciseActorCritic."""
    torch, nn = L, L.nn
    mlp = _mlp(L)
    Normal = L.distributions.normal.Normal
    EPS = 1e-8
    with Out() as out:
        torch.manual_seed(0)

        def gaussian_likelihood(x, mu, log_std):
            pre_sum = -0.5 * (((x-mu)/(torch.exp(log_std)+EPS))**2 + 2*log_std + np.log(2*np.pi))
            return pre_sum.sum(axis=-1)

        def my_gaussian_likelihood(x, mu, log_std):
            return Normal(mu, torch.exp(log_std)).log_prob(x).sum(-1)

        batch_size, dim = 32, 10
        x = torch.rand(batch_size, dim)
        mu = torch.rand(batch_size, dim)
        log_std = torch.rand(dim)
        your = my_gaussian_likelihood(x, mu, log_std).detach().numpy()
        true = gaussian_likelihood(x, mu, log_std).detach().numpy()
        correct = np.allclose(your, true)
        out.print(correct, your.dtype, true.shape)
        # the exercise's stub returns torch.zeros(1): allclose broadcasts it
        out.print(np.allclose(torch.zeros(1).detach().numpy(), true))
        out.vals += [your, true]

        class DiagonalGaussianDistribution:
            def __init__(self, mu, log_std):
                self.mu = mu
                self.log_std = log_std

            def sample(self):
                return self.mu + torch.exp(self.log_std) * torch.randn_like(self.mu)

            def log_prob(self, value):
                return gaussian_likelihood(value, self.mu, self.log_std)

            def entropy(self):
                return 0.5 + 0.5 * np.log(2 * np.pi) + self.log_std.sum(axis=-1)

        class MLPGaussianActor(nn.Module):
            def __init__(self, obs_dim, act_dim, hidden_sizes, activation):
                super().__init__()
                log_std = -0.5 * np.ones(act_dim, dtype=np.float32)
                self.log_std = torch.nn.Parameter(torch.as_tensor(log_std))
                self.mu_net = mlp([obs_dim] + list(hidden_sizes) + [act_dim], activation)

            def forward(self, obs, act=None):
                mu = self.mu_net(obs)
                pi = DiagonalGaussianDistribution(mu, self.log_std)
                logp_a = None
                if act is not None:
                    logp_a = pi.log_prob(act)
                return pi, logp_a

        class MLPCritic(nn.Module):
            def __init__(self, obs_dim, hidden_sizes, activation):
                super().__init__()
                self.v_net = mlp([obs_dim] + list(hidden_sizes) + [1], activation)

            def forward(self, obs):
                return torch.squeeze(self.v_net(obs), -1)

        class ExerciseActorCritic(nn.Module):
            def __init__(self, observation_space, action_space,
                         hidden_sizes=(64, 64), activation=nn.Tanh, actor=None):
                super().__init__()
                obs_dim = observation_space.shape[0]
                self.pi = actor(obs_dim, action_space.shape[0], hidden_sizes, activation)
                self.v = MLPCritic(obs_dim, hidden_sizes, activation)

            def step(self, obs):
                with torch.no_grad():
                    pi, _ = self.pi(obs)
                    a = pi.sample()
                    logp_a = pi.log_prob(a)
                    v = self.v(obs)
                return a.numpy(), v.numpy(), logp_a.numpy()

            def act(self, obs):
                return self.step(obs)[0]

        ac = ExerciseActorCritic(Box(-1, 1, (3,)), Box(-1, 1, (2,)), hidden_sizes=(8, 8),
                                 actor=MLPGaussianActor)
        out.print(ac)
        obs = torch.as_tensor(np.random.default_rng(1).standard_normal((4, 3)),
                              dtype=torch.float32)
        a, v, logp = ac.step(obs)
        out.print(a.shape, v.shape, logp.shape, a.dtype)
        pi, lp = ac.pi(obs, torch.as_tensor(a))
        ent = pi.entropy()
        out.print(lp.requires_grad, lp.grad_fn is not None, ent.shape, ent.dtype)
        out.vals += [a, v, logp, lp.detach(), ent.detach()]
    return out.lines, out.vals


def bugged_q(L):
    """exercise2_2's BuggedMLPQFunction: no squeeze, so (q - backup)**2 broadcasts
    (batch, 1) against (batch,) into (batch, batch) silently."""
    torch, nn = L, L.nn
    mlp = _mlp(L)
    with Out() as out:
        torch.manual_seed(3)

        class BuggedMLPQFunction(nn.Module):
            def __init__(self, obs_dim, act_dim, hidden_sizes, activation):
                super().__init__()
                self.q = mlp([obs_dim + act_dim] + list(hidden_sizes) + [1], activation)

            def forward(self, obs, act):
                return self.q(torch.cat([obs, act], dim=-1))

        qf = BuggedMLPQFunction(3, 2, (8,), nn.ReLU)
        rng = np.random.default_rng(0)
        o = torch.as_tensor(rng.standard_normal((5, 3)), dtype=torch.float32)
        a = torch.as_tensor(rng.standard_normal((5, 2)), dtype=torch.float32)
        r = torch.as_tensor(rng.standard_normal(5), dtype=torch.float32)
        d = torch.as_tensor(rng.integers(0, 2, 5), dtype=torch.float32)
        q = qf(o, a)
        with torch.no_grad():
            backup = r + 0.99 * (1 - d) * qf(o, a)
        out.print(q.shape, backup.shape, (q - backup).shape)
        loss_q = ((q - backup)**2).mean()
        loss_q.backward()
        out.print('%.4f' % loss_q.item())
        out.vals += [loss_q, qf.q[0].weight.grad]
    return out.lines, out.vals


def mpi_views(L):
    """mpi_pytorch.mpi_avg_grads / sync_params with two pretend processes: numpy views of
    p.grad and p.data, written through with ``[:] =``; setup_pytorch_for_mpi's threads."""
    torch, nn = L, L.nn
    with Out() as out:
        torch.manual_seed(4)
        n_procs = 2

        def mpi_sum(x):
            x, scalar = ([x], True) if np.isscalar(x) else (x, False)
            x = np.asarray(x, dtype=np.float32)
            buff = x * n_procs  # allreduce(SUM) over identical processes
            return buff[0] if scalar else buff

        def mpi_avg(x):
            return mpi_sum(x) / n_procs

        def mpi_avg_grads(module):
            for p in module.parameters():
                p_grad_numpy = p.grad.numpy()
                avg_p_grad = mpi_avg(p.grad) * 0.5
                p_grad_numpy[:] = avg_p_grad[:]

        def sync_params(module):
            for p in module.parameters():
                p_numpy = p.data.numpy()
                p_numpy[:] = np.round(p_numpy, 1)  # broadcast from process 0

        if torch.get_num_threads() != 1:
            fair_num_threads = max(int(torch.get_num_threads() / n_procs), 1)
            torch.set_num_threads(fair_num_threads)
            out.print(torch.get_num_threads() == fair_num_threads)
            torch.set_num_threads(fair_num_threads * n_procs)
        m = nn.Linear(3, 2)
        sync_params(m)
        out.vals.append(m.weight.detach().clone())
        y = m(torch.ones(4, 3)).pow(2).sum()
        y.backward()
        g = m.weight.grad.clone()
        mpi_avg_grads(m)
        out.print(torch.equal(m.weight.grad, g * 0.5), m.weight.grad.dtype,
                  mpi_avg(3.0), type(mpi_avg(3.0)).__name__)
        out.vals += [m.weight.grad, m.bias.grad]
    return out.lines, out.vals


_SAVED = {}


def save_load(L):
    """logx.py's _pytorch_simple_save (torch.save of the whole actor-critic under
    warnings.catch_warnings / simplefilter('ignore')) and test_policy.py's
    load_pytorch_policy: torch.load(fname) with today's weights_only default, then with
    weights_only=False, then model.act on a float32 tensor."""
    torch, nn = L, L.nn
    mlp = _mlp(L)
    key = 'SpinupSaveAC_' + L.__name__
    if key not in _SAVED:
        class AC(nn.Module):
            def __init__(self):
                super().__init__()
                self.pi = mlp([3, 8, 2], nn.Tanh, nn.Tanh)

            def act(self, obs):
                with torch.no_grad():
                    return self.pi(obs).numpy()
        AC.__name__ = AC.__qualname__ = key
        AC.__module__ = __name__
        setattr(sys.modules[__name__], key, AC)
        _SAVED[key] = AC
    with Out() as out:
        torch.manual_seed(5)
        ac = _SAVED[key]()
        with tempfile.TemporaryDirectory() as fpath:
            fname = os.path.join(fpath, 'model.pt')
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.save(ac, fname)
            out.print(sorted(os.listdir(fpath)))
            try:
                torch.load(fname)
            except Exception as err:  # noqa: BLE001
                out.print(type(err).__name__, str(err).splitlines()[0])
            model = torch.load(fname, weights_only=False)
            out.print(type(model) is _SAVED[key], model.training)

            def get_action(x):
                with torch.no_grad():
                    x = torch.as_tensor(x, dtype=torch.float32)
                    action = model.act(x)
                return action

            a = get_action(np.array([0.1, -0.2, 0.3]))
            out.print(a.dtype, a.shape)
            torch.save(ac.state_dict(), fname)
            sd = torch.load(fname)
            out.print(list(sd.keys()), type(sd).__name__)
            out.vals += [a, sd['pi.0.weight']]
    return out.lines, out.vals
