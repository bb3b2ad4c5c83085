"""shariqiqbal2810/maddpg-pytorch as users type it, scaled down: utils/misc.py
(soft_update, hard_update, onehot_from_logits, sample_gumbel, gumbel_softmax_sample,
gumbel_softmax, categorical_sample), utils/networks.py (MLPNetwork with a BatchNorm1d input
norm), utils/noise.py (OUNoise), utils/buffer.py (ReplayBuffer with normalised rewards),
utils/agents.py (DDPGAgent.step) and algorithms/maddpg.py's update for discrete (Gumbel)
and continuous actions. The multi-agent particle environment is replaced by NumPy-seeded
observations and rewards. ``prog(L) -> (printed, values)`` for
tests/test_programs_s20_marl.py."""

from types import SimpleNamespace

import numpy as np
from s16_yunjey_progs import Out


def _misc(L):
    torch, F = L, L.nn.functional
    Variable = L.autograd.Variable

    def soft_update(target, source, tau):
        for target_param, param in zip(target.parameters(), source.parameters()):
            target_param.data.copy_(target_param.data * (1.0 - tau) + param.data * tau)

    def hard_update(target, source):
        for target_param, param in zip(target.parameters(), source.parameters()):
            target_param.data.copy_(param.data)

    def onehot_from_logits(logits, eps=0.0):
        argmax_acs = (logits == logits.max(1, keepdim=True)[0]).float()
        if eps == 0.0:
            return argmax_acs
        rand_acs = Variable(torch.eye(logits.shape[1])[[np.random.choice(
            range(logits.shape[1]), size=logits.shape[0])]], requires_grad=False)
        return torch.stack([argmax_acs[i] if r > eps else rand_acs[i] for i, r in
                            enumerate(torch.rand(logits.shape[0]))])

    def sample_gumbel(shape, eps=1e-20, tens_type=torch.FloatTensor):
        U = Variable(tens_type(*shape).uniform_(), requires_grad=False)
        return -torch.log(-torch.log(U + eps) + eps)

    def gumbel_softmax_sample(logits, temperature):
        y = logits + sample_gumbel(logits.shape, tens_type=type(logits.data))
        return F.softmax(y / temperature, dim=1)

    def gumbel_softmax(logits, temperature=1.0, hard=False):
        y = gumbel_softmax_sample(logits, temperature)
        if hard:
            y_hard = onehot_from_logits(y)
            y = (y_hard - y).detach() + y
        return y

    def categorical_sample(probs, use_cuda=False):
        int_acs = torch.multinomial(probs, 1)
        tensor_type = torch.FloatTensor
        acs = Variable(tensor_type(*probs.shape).fill_(0)).scatter_(1, int_acs, 1)
        return int_acs, acs

    return SimpleNamespace(**{k: v for k, v in locals().items() if callable(v)})


def _maddpg(L, discrete_action, out):
    torch, nn, F = L, L.nn, L.nn.functional
    Adam = L.optim.Adam
    Variable = L.autograd.Variable
    Tensor = L.Tensor
    MSELoss = torch.nn.MSELoss()
    m = _misc(L)

    class MLPNetwork(nn.Module):
        def __init__(self, input_dim, out_dim, hidden_dim=64, nonlin=F.relu,
                     constrain_out=False, norm_in=True, discrete_action=True):
            super(MLPNetwork, self).__init__()
            if norm_in:  # normalize inputs
                self.in_fn = nn.BatchNorm1d(input_dim)
                self.in_fn.weight.data.fill_(1)
                self.in_fn.bias.data.fill_(0)
            else:
                self.in_fn = lambda x: x
            self.fc1 = nn.Linear(input_dim, hidden_dim)
            self.fc2 = nn.Linear(hidden_dim, hidden_dim)
            self.fc3 = nn.Linear(hidden_dim, out_dim)
            self.nonlin = nonlin
            if constrain_out and not discrete_action:
                # initialize small to prevent saturation
                self.fc3.weight.data.uniform_(-3e-3, 3e-3)
                self.out_fn = F.tanh
            else:  # logits for discrete action (will softmax later)
                self.out_fn = lambda x: x

        def forward(self, X):
            h1 = self.nonlin(self.fc1(self.in_fn(X)))
            h2 = self.nonlin(self.fc2(h1))
            out = self.out_fn(self.fc3(h2))
            return out

    class OUNoise:
        def __init__(self, action_dimension, scale=0.1, mu=0, theta=0.15, sigma=0.2):
            self.action_dimension, self.scale = action_dimension, scale
            self.mu, self.theta, self.sigma = mu, theta, sigma
            self.state = np.ones(self.action_dimension) * self.mu
            self.reset()

        def reset(self):
            self.state = np.ones(self.action_dimension) * self.mu

        def noise(self):
            x = self.state
            dx = self.theta * (self.mu - x) + self.sigma * np.random.randn(len(x))
            self.state = x + dx
            return self.state * self.scale

    class DDPGAgent(object):
        def __init__(self, num_in_pol, num_out_pol, num_in_critic, hidden_dim=64, lr=0.01,
                     discrete_action=True):
            self.policy = MLPNetwork(num_in_pol, num_out_pol, hidden_dim=hidden_dim,
                                     constrain_out=True, discrete_action=discrete_action)
            self.critic = MLPNetwork(num_in_critic, 1, hidden_dim=hidden_dim,
                                     constrain_out=False)
            self.target_policy = MLPNetwork(num_in_pol, num_out_pol, hidden_dim=hidden_dim,
                                            constrain_out=True,
                                            discrete_action=discrete_action)
            self.target_critic = MLPNetwork(num_in_critic, 1, hidden_dim=hidden_dim,
                                            constrain_out=False)
            m.hard_update(self.target_policy, self.policy)
            m.hard_update(self.target_critic, self.critic)
            self.policy_optimizer = Adam(self.policy.parameters(), lr=lr)
            self.critic_optimizer = Adam(self.critic.parameters(), lr=lr)
            if not discrete_action:
                self.exploration = OUNoise(num_out_pol)
            else:
                self.exploration = 0.3  # epsilon for eps-greedy
            self.discrete_action = discrete_action

        def step(self, obs, explore=False):
            action = self.policy(obs)
            if self.discrete_action:
                if explore:
                    action = m.gumbel_softmax(action, hard=True)
                else:
                    action = m.onehot_from_logits(action)
            else:  # continuous action
                if explore:
                    action += Variable(Tensor(self.exploration.noise()), requires_grad=False)
                action = action.clamp(-1, 1)
            return action

    class MADDPG(object):
        def __init__(self, agent_init_params, gamma=0.95, tau=0.01, lr=0.01, hidden_dim=64,
                     discrete_action=False):
            self.nagents = len(agent_init_params)
            self.agents = [DDPGAgent(lr=lr, discrete_action=discrete_action,
                                     hidden_dim=hidden_dim, **params)
                           for params in agent_init_params]
            self.gamma, self.tau, self.discrete_action = gamma, tau, discrete_action

        @property
        def policies(self):
            return [a.policy for a in self.agents]

        @property
        def target_policies(self):
            return [a.target_policy for a in self.agents]

        def step(self, observations, explore=False):
            return [a.step(obs, explore=explore) for a, obs in zip(self.agents, observations)]

        def update(self, sample, agent_i):
            obs, acs, rews, next_obs, dones = sample
            curr_agent = self.agents[agent_i]
            curr_agent.critic_optimizer.zero_grad()
            if self.discrete_action:  # one-hot encode action
                all_trgt_acs = [m.onehot_from_logits(pi(nobs)) for pi, nobs in
                                zip(self.target_policies, next_obs)]
            else:
                all_trgt_acs = [pi(nobs) for pi, nobs in zip(self.target_policies, next_obs)]
            trgt_vf_in = torch.cat((*next_obs, *all_trgt_acs), dim=1)
            target_value = (rews[agent_i].view(-1, 1) + self.gamma *
                            curr_agent.target_critic(trgt_vf_in) *
                            (1 - dones[agent_i].view(-1, 1)))
            vf_in = torch.cat((*obs, *acs), dim=1)
            actual_value = curr_agent.critic(vf_in)
            vf_loss = MSELoss(actual_value, target_value.detach())
            vf_loss.backward()
            torch.nn.utils.clip_grad_norm(curr_agent.critic.parameters(), 0.5)
            curr_agent.critic_optimizer.step()

            curr_agent.policy_optimizer.zero_grad()
            curr_pol_out = curr_agent.policy(obs[agent_i])
            if self.discrete_action:
                curr_pol_vf_in = m.gumbel_softmax(curr_pol_out, hard=True)
            else:
                curr_pol_vf_in = curr_pol_out
            all_pol_acs = []
            for i, pi, ob in zip(range(self.nagents), self.policies, obs):
                if i == agent_i:
                    all_pol_acs.append(curr_pol_vf_in)
                elif self.discrete_action:
                    all_pol_acs.append(m.onehot_from_logits(pi(ob)))
                else:
                    all_pol_acs.append(pi(ob))
            vf_in = torch.cat((*obs, *all_pol_acs), dim=1)
            pol_loss = -curr_agent.critic(vf_in).mean()
            pol_loss += (curr_pol_out**2).mean() * 1e-3
            pol_loss.backward()
            torch.nn.utils.clip_grad_norm(curr_agent.policy.parameters(), 0.5)
            curr_agent.policy_optimizer.step()
            out.print('agent%i losses: vf %.4f pol %.4f' % (agent_i, vf_loss, pol_loss))
            return vf_loss, pol_loss

        def update_all_targets(self):
            for a in self.agents:
                m.soft_update(a.target_critic, a.critic, self.tau)
                m.soft_update(a.target_policy, a.policy, self.tau)

        def prep_training(self):
            for a in self.agents:
                a.policy.train(); a.critic.train()
                a.target_policy.train(); a.target_critic.train()

        def prep_rollouts(self):
            for a in self.agents:
                a.policy.eval()

    class ReplayBuffer(object):
        def __init__(self, max_steps, num_agents, obs_dims, ac_dims):
            self.max_steps, self.num_agents = max_steps, num_agents
            self.obs_buffs, self.ac_buffs, self.rew_buffs = [], [], []
            self.next_obs_buffs, self.done_buffs = [], []
            for odim, adim in zip(obs_dims, ac_dims):
                self.obs_buffs.append(np.zeros((max_steps, odim)))
                self.ac_buffs.append(np.zeros((max_steps, adim)))
                self.rew_buffs.append(np.zeros(max_steps))
                self.next_obs_buffs.append(np.zeros((max_steps, odim)))
                self.done_buffs.append(np.zeros(max_steps))
            self.filled_i = 0
            self.curr_i = 0

        def __len__(self):
            return self.filled_i

        def push(self, observations, actions, rewards, next_observations, dones):
            nentries = observations.shape[0]  # handle multiple parallel environments
            for agent_i in range(self.num_agents):
                sl = slice(self.curr_i, self.curr_i + nentries)
                self.obs_buffs[agent_i][sl] = np.vstack(observations[:, agent_i])
                self.ac_buffs[agent_i][sl] = actions[agent_i]
                self.rew_buffs[agent_i][sl] = rewards[:, agent_i]
                self.next_obs_buffs[agent_i][sl] = np.vstack(next_observations[:, agent_i])
                self.done_buffs[agent_i][sl] = dones[:, agent_i]
            self.curr_i += nentries
            if self.filled_i < self.max_steps:
                self.filled_i += nentries

        def sample(self, N, norm_rews=True):
            inds = np.random.choice(np.arange(self.filled_i), size=N, replace=False)
            cast = lambda x: Variable(Tensor(x), requires_grad=False)  # noqa: E731
            if norm_rews:
                ret_rews = [cast((self.rew_buffs[i][inds] -
                                  self.rew_buffs[i][:self.filled_i].mean()) /
                                 self.rew_buffs[i][:self.filled_i].std())
                            for i in range(self.num_agents)]
            else:
                ret_rews = [cast(self.rew_buffs[i][inds]) for i in range(self.num_agents)]
            return ([cast(self.obs_buffs[i][inds]) for i in range(self.num_agents)],
                    [cast(self.ac_buffs[i][inds]) for i in range(self.num_agents)],
                    ret_rews,
                    [cast(self.next_obs_buffs[i][inds]) for i in range(self.num_agents)],
                    [cast(self.done_buffs[i][inds]) for i in range(self.num_agents)])

    return SimpleNamespace(MADDPG=MADDPG, ReplayBuffer=ReplayBuffer, MLPNetwork=MLPNetwork)


def maddpg_misc(L):
    """utils/misc.py on its own: onehot_from_logits (ties give two ones, eps-greedy rows
    from torch.eye indexed with a list holding an array), Gumbel samples from
    FloatTensor(*shape).uniform_(), hard gumbel_softmax's straight-through gradient,
    categorical_sample's multinomial + scatter_, soft/hard updates of a Linear."""
    torch = L
    with Out() as o:
        torch.manual_seed(0); np.random.seed(0)
        m = _misc(L)
        logits = torch.tensor([[1.0, 3.0, 3.0], [0.5, -1.0, 0.2], [2.0, 2.0, 2.0]])
        o.print(m.onehot_from_logits(logits))
        o.print(m.onehot_from_logits(logits, eps=0.5))
        g = m.sample_gumbel((2, 3))
        o.print(g.dtype, g.requires_grad)
        lg = torch.randn(4, 3, requires_grad=True)
        y = m.gumbel_softmax(lg, temperature=0.5, hard=True)
        (y * torch.arange(3.0)).sum().backward()
        o.print(y)
        o.vals += [g, y, lg.grad]
        probs = torch.softmax(torch.randn(5, 4), dim=1)
        int_acs, acs = m.categorical_sample(probs)
        o.print(int_acs.dtype, int_acs.shape, acs.sum(1))
        o.vals += [int_acs, acs]
        a, b = L.nn.Linear(3, 2), L.nn.Linear(3, 2)
        m.soft_update(a, b, 0.1)
        o.vals += [a.weight, a.bias]
        m.hard_update(a, b)
        o.print(torch.equal(a.weight, b.weight), a.weight.requires_grad)
        o.tryit(lambda: m.onehot_from_logits(torch.randn(3)))
    return o.done()


def _train(L, discrete, o, seed):
    torch = L
    torch.manual_seed(seed); np.random.seed(seed)
    M = _maddpg(L, discrete, o)
    n_agents, obs_dim, ac_dim = 2, 4, 3
    params = [{"num_in_pol": obs_dim, "num_out_pol": ac_dim,
               "num_in_critic": n_agents * (obs_dim + ac_dim)} for _ in range(n_agents)]
    maddpg = M.MADDPG(params, hidden_dim=16, discrete_action=discrete)
    buf = M.ReplayBuffer(64, n_agents, [obs_dim] * n_agents, [ac_dim] * n_agents)
    n_rollout_threads = 2
    obs = np.random.randn(n_rollout_threads, n_agents, obs_dim)
    for et_i in range(12):
        maddpg.prep_rollouts()
        torch_obs = [Variable_(L, np.vstack(obs[:, i])) for i in range(maddpg.nagents)]
        torch_agent_actions = maddpg.step(torch_obs, explore=True)
        agent_actions = [ac.data.numpy() for ac in torch_agent_actions]
        next_obs = np.random.randn(n_rollout_threads, n_agents, obs_dim)
        rewards = np.random.rand(n_rollout_threads, n_agents) - 0.5
        dones = np.zeros((n_rollout_threads, n_agents), dtype=bool)
        buf.push(obs, agent_actions, rewards, next_obs, dones)
        obs = next_obs
        if len(buf) >= 8 and et_i % 4 == 3:
            maddpg.prep_training()
            for a_i in range(maddpg.nagents):
                sample = buf.sample(6)
                o.vals += list(maddpg.update(sample, a_i))
            maddpg.update_all_targets()
    o.vals += [p for a in maddpg.agents for p in a.target_critic.parameters()]
    o.vals += [a.policy.in_fn.running_mean for a in maddpg.agents]
    return maddpg


def Variable_(L, x):
    return L.autograd.Variable(L.Tensor(x), requires_grad=False)


def maddpg_discrete(L):
    """MADDPG on discrete actions: hard Gumbel-softmax exploration, one-hot target
    actions, BatchNorm1d-normalised inputs, the deprecated clip_grad_norm (FutureWarning),
    '%.4f' % a 0-d tensor, soft target updates."""
    with Out() as o:
        maddpg = _train(L, True, o, 3)
        o.print(maddpg.agents[0].policy)
    return o.done()


def maddpg_continuous(L):
    """MADDPG on continuous actions: tanh policies with fc3 weights uniform_(-3e-3, 3e-3),
    OU noise added as Variable(Tensor(ndarray)), clamp(-1, 1), normalised buffer rewards."""
    with Out() as o:
        maddpg = _train(L, False, o, 4)
        o.print(maddpg.agents[1].policy.fc3.weight.abs().max() <= 3e-3 + 1)
    return o.done()
