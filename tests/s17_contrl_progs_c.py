"""pranz24/pytorch-soft-actor-critic as users run it: model.py (weights_init_, QNetwork,
GaussianPolicy, DeterministicPolicy with its action rescaling and .to override), utils.py
(soft_update, hard_update, create_log_gaussian, logsumexp), replay_memory.py (ReplayMemory on
Python's random), sac.py (SAC with the automatic entropy tuning, save / load_checkpoint) and
main.py's loop with its 'Episode: ...' and 'Test Episodes: ...' lines, scaled down (hidden
size 32, a few hundred steps) on a small NumPy environment instead of MuJoCo, as
``prog(L) -> (printed, values)`` for tests/test_programs_s17_contrl.py."""

import itertools
import math
import os
import random
import tempfile
from types import SimpleNamespace

import numpy as np
from s16_yunjey_progs import Out
from s17_contrl_progs import make_env


def sac_module(L):
    torch, nn, F = L, L.nn, L.nn.functional
    Normal = L.distributions.Normal
    Adam = L.optim.Adam
    LOG_SIG_MAX = 2
    LOG_SIG_MIN = -20
    epsilon = 1e-6

    def create_log_gaussian(mean, log_std, t):
        quadratic = -((0.5 * (t - mean) / (log_std.exp())).pow(2))
        l = mean.shape
        log_z = log_std
        z = l[-1] * math.log(2 * math.pi)
        log_p = quadratic.sum(dim=-1) - log_z.sum(dim=-1) - 0.5 * z
        return log_p

    def logsumexp(inputs, dim=None, keepdim=False):
        if dim is None:
            inputs = inputs.view(-1)
            dim = 0
        s, _ = torch.max(inputs, dim=dim, keepdim=True)
        outputs = s + (inputs - s).exp().sum(dim=dim, keepdim=True).log()
        if not keepdim:
            outputs = outputs.squeeze(dim)
        return outputs

    def soft_update(target, source, tau):
        for target_param, param in zip(target.parameters(), source.parameters()):
            target_param.data.copy_(target_param.data * (1.0 - tau) + param.data * tau)

    def hard_update(target, source):
        for target_param, param in zip(target.parameters(), source.parameters()):
            target_param.data.copy_(param.data)

    def weights_init_(m):
        if isinstance(m, nn.Linear):
            torch.nn.init.xavier_uniform_(m.weight, gain=1)
            torch.nn.init.constant_(m.bias, 0)

    class QNetwork(nn.Module):
        def __init__(self, num_inputs, num_actions, hidden_dim):
            super(QNetwork, self).__init__()
            self.linear1 = nn.Linear(num_inputs + num_actions, hidden_dim)
            self.linear2 = nn.Linear(hidden_dim, hidden_dim)
            self.linear3 = nn.Linear(hidden_dim, 1)
            self.linear4 = nn.Linear(num_inputs + num_actions, hidden_dim)
            self.linear5 = nn.Linear(hidden_dim, hidden_dim)
            self.linear6 = nn.Linear(hidden_dim, 1)
            self.apply(weights_init_)

        def forward(self, state, action):
            xu = torch.cat([state, action], 1)
            x1 = F.relu(self.linear1(xu))
            x1 = F.relu(self.linear2(x1))
            x1 = self.linear3(x1)
            x2 = F.relu(self.linear4(xu))
            x2 = F.relu(self.linear5(x2))
            x2 = self.linear6(x2)
            return x1, x2

    class GaussianPolicy(nn.Module):
        def __init__(self, num_inputs, num_actions, hidden_dim, action_space=None):
            super(GaussianPolicy, self).__init__()
            self.linear1 = nn.Linear(num_inputs, hidden_dim)
            self.linear2 = nn.Linear(hidden_dim, hidden_dim)
            self.mean_linear = nn.Linear(hidden_dim, num_actions)
            self.log_std_linear = nn.Linear(hidden_dim, num_actions)
            self.apply(weights_init_)
            if action_space is None:
                self.action_scale = torch.tensor(1.)
                self.action_bias = torch.tensor(0.)
            else:
                self.action_scale = torch.FloatTensor(
                    (action_space.high - action_space.low) / 2.)
                self.action_bias = torch.FloatTensor(
                    (action_space.high + action_space.low) / 2.)

        def forward(self, state):
            x = F.relu(self.linear1(state))
            x = F.relu(self.linear2(x))
            mean = self.mean_linear(x)
            log_std = self.log_std_linear(x)
            log_std = torch.clamp(log_std, min=LOG_SIG_MIN, max=LOG_SIG_MAX)
            return mean, log_std

        def sample(self, state):
            mean, log_std = self.forward(state)
            std = log_std.exp()
            normal = Normal(mean, std)
            x_t = normal.rsample()
            y_t = torch.tanh(x_t)
            action = y_t * self.action_scale + self.action_bias
            log_prob = normal.log_prob(x_t)
            log_prob -= torch.log(self.action_scale * (1 - y_t.pow(2)) + epsilon)
            log_prob = log_prob.sum(1, keepdim=True)
            mean = torch.tanh(mean) * self.action_scale + self.action_bias
            return action, log_prob, mean

        def to(self, device):
            self.action_scale = self.action_scale.to(device)
            self.action_bias = self.action_bias.to(device)
            return super(GaussianPolicy, self).to(device)

    class DeterministicPolicy(nn.Module):
        def __init__(self, num_inputs, num_actions, hidden_dim, action_space=None):
            super(DeterministicPolicy, self).__init__()
            self.linear1 = nn.Linear(num_inputs, hidden_dim)
            self.linear2 = nn.Linear(hidden_dim, hidden_dim)
            self.mean = nn.Linear(hidden_dim, num_actions)
            self.noise = torch.Tensor(num_actions)
            self.apply(weights_init_)
            if action_space is None:
                self.action_scale = 1.
                self.action_bias = 0.
            else:
                self.action_scale = torch.FloatTensor(
                    (action_space.high - action_space.low) / 2.)
                self.action_bias = torch.FloatTensor(
                    (action_space.high + action_space.low) / 2.)

        def forward(self, state):
            x = F.relu(self.linear1(state))
            x = F.relu(self.linear2(x))
            mean = torch.tanh(self.mean(x)) * self.action_scale + self.action_bias
            return mean

        def sample(self, state):
            mean = self.forward(state)
            noise = self.noise.normal_(0., std=0.1)
            noise = noise.clamp(-0.25, 0.25)
            action = mean + noise
            return action, torch.tensor(0.), mean

        def to(self, device):
            self.action_scale = self.action_scale.to(device)
            self.action_bias = self.action_bias.to(device)
            self.noise = self.noise.to(device)
            return super(DeterministicPolicy, self).to(device)

    class SAC(object):
        def __init__(self, num_inputs, action_space, args):
            self.gamma = args.gamma
            self.tau = args.tau
            self.alpha = args.alpha
            self.policy_type = args.policy
            self.target_update_interval = args.target_update_interval
            self.automatic_entropy_tuning = args.automatic_entropy_tuning
            self.device = torch.device("cuda" if args.cuda else "cpu")
            self.critic = QNetwork(num_inputs, action_space.shape[0], args.hidden_size).to(device=self.device)
            self.critic_optim = Adam(self.critic.parameters(), lr=args.lr)
            self.critic_target = QNetwork(num_inputs, action_space.shape[0], args.hidden_size).to(self.device)
            hard_update(self.critic_target, self.critic)
            if self.policy_type == "Gaussian":
                if self.automatic_entropy_tuning is True:
                    self.target_entropy = -torch.prod(torch.Tensor(action_space.shape).to(self.device)).item()
                    self.log_alpha = torch.zeros(1, requires_grad=True, device=self.device)
                    self.alpha_optim = Adam([self.log_alpha], lr=args.lr)
                self.policy = GaussianPolicy(num_inputs, action_space.shape[0], args.hidden_size, action_space).to(self.device)
                self.policy_optim = Adam(self.policy.parameters(), lr=args.lr)
            else:
                self.alpha = 0
                self.automatic_entropy_tuning = False
                self.policy = DeterministicPolicy(num_inputs, action_space.shape[0], args.hidden_size, action_space).to(self.device)
                self.policy_optim = Adam(self.policy.parameters(), lr=args.lr)

        def select_action(self, state, evaluate=False):
            state = torch.FloatTensor(state).to(self.device).unsqueeze(0)
            if evaluate is False:
                action, _, _ = self.policy.sample(state)
            else:
                _, _, action = self.policy.sample(state)
            return action.detach().cpu().numpy()[0]

        def update_parameters(self, memory, batch_size, updates):
            state_batch, action_batch, reward_batch, next_state_batch, mask_batch = memory.sample(batch_size=batch_size)
            state_batch = torch.FloatTensor(state_batch).to(self.device)
            next_state_batch = torch.FloatTensor(next_state_batch).to(self.device)
            action_batch = torch.FloatTensor(action_batch).to(self.device)
            reward_batch = torch.FloatTensor(reward_batch).to(self.device).unsqueeze(1)
            mask_batch = torch.FloatTensor(mask_batch).to(self.device).unsqueeze(1)
            with torch.no_grad():
                next_state_action, next_state_log_pi, _ = self.policy.sample(next_state_batch)
                qf1_next_target, qf2_next_target = self.critic_target(next_state_batch, next_state_action)
                min_qf_next_target = torch.min(qf1_next_target, qf2_next_target) - self.alpha * next_state_log_pi
                next_q_value = reward_batch + mask_batch * self.gamma * (min_qf_next_target)
            qf1, qf2 = self.critic(state_batch, action_batch)
            qf1_loss = F.mse_loss(qf1, next_q_value)
            qf2_loss = F.mse_loss(qf2, next_q_value)
            qf_loss = qf1_loss + qf2_loss
            self.critic_optim.zero_grad()
            qf_loss.backward()
            self.critic_optim.step()
            pi, log_pi, _ = self.policy.sample(state_batch)
            qf1_pi, qf2_pi = self.critic(state_batch, pi)
            min_qf_pi = torch.min(qf1_pi, qf2_pi)
            policy_loss = ((self.alpha * log_pi) - min_qf_pi).mean()
            self.policy_optim.zero_grad()
            policy_loss.backward()
            self.policy_optim.step()
            if self.automatic_entropy_tuning:
                alpha_loss = -(self.log_alpha * (log_pi + self.target_entropy).detach()).mean()
                self.alpha_optim.zero_grad()
                alpha_loss.backward()
                self.alpha_optim.step()
                self.alpha = self.log_alpha.exp()
                alpha_tlogs = self.alpha.clone()
            else:
                alpha_loss = torch.tensor(0.).to(self.device)
                alpha_tlogs = torch.tensor(self.alpha)
            if updates % self.target_update_interval == 0:
                soft_update(self.critic_target, self.critic, self.tau)
            return qf1_loss.item(), qf2_loss.item(), policy_loss.item(), alpha_loss.item(), alpha_tlogs.item()

        def save_checkpoint(self, env_name, suffix="", ckpt_path=None):
            print_ = self.print
            if ckpt_path is None:
                ckpt_path = "checkpoints/sac_checkpoint_{}_{}".format(env_name, suffix)
            print_('Saving models to {}'.format(os.path.basename(ckpt_path)))
            torch.save({'policy_state_dict': self.policy.state_dict(),
                        'critic_state_dict': self.critic.state_dict(),
                        'critic_target_state_dict': self.critic_target.state_dict(),
                        'critic_optimizer_state_dict': self.critic_optim.state_dict(),
                        'policy_optimizer_state_dict': self.policy_optim.state_dict()}, ckpt_path)

        def load_checkpoint(self, ckpt_path, evaluate=False):
            self.print('Loading models from {}'.format(os.path.basename(ckpt_path)))
            if ckpt_path is not None:
                checkpoint = torch.load(ckpt_path)
                self.policy.load_state_dict(checkpoint['policy_state_dict'])
                self.critic.load_state_dict(checkpoint['critic_state_dict'])
                self.critic_target.load_state_dict(checkpoint['critic_target_state_dict'])
                self.critic_optim.load_state_dict(checkpoint['critic_optimizer_state_dict'])
                self.policy_optim.load_state_dict(checkpoint['policy_optimizer_state_dict'])
                if evaluate:
                    self.policy.eval()
                    self.critic.eval()
                    self.critic_target.eval()
                else:
                    self.policy.train()
                    self.critic.train()
                    self.critic_target.train()

    class ReplayMemory:
        def __init__(self, capacity, seed):
            random.seed(seed)
            self.capacity = capacity
            self.buffer = []
            self.position = 0

        def push(self, state, action, reward, next_state, done):
            if len(self.buffer) < self.capacity:
                self.buffer.append(None)
            self.buffer[self.position] = (state, action, reward, next_state, done)
            self.position = (self.position + 1) % self.capacity

        def sample(self, batch_size):
            batch = random.sample(self.buffer, batch_size)
            state, action, reward, next_state, done = map(np.stack, zip(*batch))
            return state, action, reward, next_state, done

        def __len__(self):
            return len(self.buffer)

    return SimpleNamespace(**locals())


def sac_main(L, policy="Gaussian", automatic_entropy_tuning=False, seed=123456,
             env_name="HalfCheetah-v2", num_steps=150, start_steps=50, batch_size=16,
             episodes=3):
    torch = L
    args = SimpleNamespace(env_name=env_name, policy=policy, eval=True, gamma=0.99, tau=0.005,
                           lr=0.0003, alpha=0.2, automatic_entropy_tuning=automatic_entropy_tuning,
                           seed=seed, batch_size=batch_size, num_steps=num_steps, hidden_size=32,
                           updates_per_step=1, start_steps=start_steps, target_update_interval=1,
                           replay_size=1000000, cuda=False)
    with Out() as o:
        m = sac_module(L)
        env = make_env(args.env_name)
        env.seed(args.seed)
        env.action_space.seed(args.seed)
        torch.manual_seed(args.seed)
        np.random.seed(args.seed)
        agent = m.SAC(env.observation_space.shape[0], env.action_space, args)
        agent.print = o.print
        o.print(agent.policy)
        o.print(agent.critic)
        o.print(agent.policy.action_scale, agent.policy.action_bias)
        memory = m.ReplayMemory(args.replay_size, args.seed)
        total_numsteps = 0
        updates = 0
        logs = []
        for i_episode in itertools.count(1):
            episode_reward = 0
            episode_steps = 0
            done = False
            state = env.reset()
            while not done:
                if args.start_steps > total_numsteps:
                    action = env.action_space.sample()
                else:
                    action = agent.select_action(state)
                if len(memory) > args.batch_size:
                    for i in range(args.updates_per_step):
                        critic_1_loss, critic_2_loss, policy_loss, ent_loss, alpha = agent.update_parameters(memory, args.batch_size, updates)
                        logs.append("{:.4f} {:.4f} {:.4f} {:.4f} {:.4f}".format(
                            critic_1_loss, critic_2_loss, policy_loss, ent_loss, alpha))
                        updates += 1
                next_state, reward, done, _ = env.step(action)
                episode_steps += 1
                total_numsteps += 1
                episode_reward += reward
                mask = 1 if episode_steps == env._max_episode_steps else float(not done)
                memory.push(state, action, reward, next_state, mask)
                state = next_state
            if total_numsteps > args.num_steps:
                break
            o.print("Episode: {}, total numsteps: {}, episode steps: {}, reward: {}".format(i_episode, total_numsteps, episode_steps, round(episode_reward, 2)))
            if i_episode % 3 == 0 and args.eval is True:
                avg_reward = 0.
                for _ in range(episodes):
                    state = env.reset()
                    episode_reward = 0
                    done = False
                    while not done:
                        action = agent.select_action(state, evaluate=True)
                        next_state, reward, done, _ = env.step(action)
                        episode_reward += reward
                        state = next_state
                    avg_reward += episode_reward
                avg_reward /= episodes
                o.print("----------------------------------------")
                o.print("Test Episodes: {}, Avg. Reward: {}".format(episodes, round(avg_reward, 2)))
                o.print("----------------------------------------")
        o.lines += logs[::10]
        path = os.path.join(tempfile.mkdtemp(), "sac_checkpoint_{}_{}".format(env_name, ""))
        agent.save_checkpoint(env_name, ckpt_path=path)
        agent2 = m.SAC(env.observation_space.shape[0], env.action_space, args)
        agent2.print = o.print
        agent2.load_checkpoint(path, evaluate=True)
        o.print(agent2.policy.training, agent2.critic_optim.state_dict()["param_groups"])
        o.vals.append(agent2.select_action(np.ones(env.observation_space.shape[0]), evaluate=True))
        o.vals += list(agent.policy.state_dict().values())
        o.vals += list(agent.critic_target.state_dict().values())
        if automatic_entropy_tuning:
            o.vals += [agent.log_alpha, agent.alpha]
            o.print(agent.target_entropy, agent.alpha.requires_grad)
    return o.done()


def sac_gaussian(L):
    return sac_main(L)


def sac_autotune(L):
    return sac_main(L, automatic_entropy_tuning=True, seed=7, env_name="Hopper-v3")


def sac_deterministic(L):
    return sac_main(L, policy="Deterministic", seed=3, env_name="Pendulum-v0")


def sac_utils(L):
    """utils.py's create_log_gaussian / logsumexp (the mixture policy's helpers) and the
    update helpers on their own."""
    torch = L
    with Out() as o:
        m = sac_module(L)
        torch.manual_seed(0)
        mean, log_std = torch.randn(4, 3, 2), torch.randn(4, 3, 2).clamp(-2, 2)
        t = torch.randn(4, 1, 2)
        lp = m.create_log_gaussian(mean, log_std, t)
        o.vals += [lp, m.logsumexp(lp, dim=-1, keepdim=True), m.logsumexp(lp)]
        a, b = m.QNetwork(3, 1, 8), m.QNetwork(3, 1, 8)
        m.soft_update(a, b, 0.1)
        o.vals += list(a.state_dict().values())
        m.hard_update(a, b)
        o.print(all(bool((p == q).all()) for p, q in zip(a.parameters(), b.parameters())))
        o.print(b.linear1.bias)
        pol = m.DeterministicPolicy(3, 2, 8)
        o.print(type(pol.action_scale).__name__, pol.noise.shape, pol.noise.dtype)
        o.tryit(lambda: pol.to("cpu"))
    return o.done()
