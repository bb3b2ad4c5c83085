"""sfujim/BCQ as users run it: continuous_BCQ (BCQ.py's perturbation Actor, twin Critic and
VAE; utils.py's ReplayBuffer with save / load through np.save; main.py's behavioral training,
buffer generation and train_BCQ with eval_policy) and discrete_BCQ (FC_Q / Conv_Q, the
thresholded imitation mask, smooth_l1 + nll losses, StandardBuffer with LongTensor actions,
polyak and copy target updates), scaled down (hidden layers of 32, a few hundred steps) on small
NumPy environments, as ``prog(L) -> (printed, values)`` for tests/test_programs_s17_contrl.py."""

import copy
import os
import tempfile

import numpy as np
from s16_yunjey_progs import Out
from s17_contrl_progs import Discrete, eval_policy, make_env, td3_module


def bcq_module(L, H=32, HV=48):
    torch, nn, F = L, L.nn, L.nn.functional

    class Actor(nn.Module):
        def __init__(self, state_dim, action_dim, max_action, phi=0.05):
            super(Actor, self).__init__()
            self.l1 = nn.Linear(state_dim + action_dim, H)
            self.l2 = nn.Linear(H, H)
            self.l3 = nn.Linear(H, action_dim)
            self.max_action = max_action
            self.phi = phi

        def forward(self, state, action):
            a = F.relu(self.l1(torch.cat([state, action], 1)))
            a = F.relu(self.l2(a))
            a = self.phi * self.max_action * torch.tanh(self.l3(a))
            return (a + action).clamp(-self.max_action, self.max_action)

    class Critic(nn.Module):
        def __init__(self, state_dim, action_dim):
            super(Critic, self).__init__()
            self.l1 = nn.Linear(state_dim + action_dim, H)
            self.l2 = nn.Linear(H, H)
            self.l3 = nn.Linear(H, 1)
            self.l4 = nn.Linear(state_dim + action_dim, H)
            self.l5 = nn.Linear(H, H)
            self.l6 = nn.Linear(H, 1)

        def forward(self, state, action):
            q1 = F.relu(self.l1(torch.cat([state, action], 1)))
            q1 = F.relu(self.l2(q1))
            q1 = self.l3(q1)
            q2 = F.relu(self.l4(torch.cat([state, action], 1)))
            q2 = F.relu(self.l5(q2))
            q2 = self.l6(q2)
            return q1, q2

        def q1(self, state, action):
            q1 = F.relu(self.l1(torch.cat([state, action], 1)))
            q1 = F.relu(self.l2(q1))
            q1 = self.l3(q1)
            return q1

    class VAE(nn.Module):
        def __init__(self, state_dim, action_dim, latent_dim, max_action, device):
            super(VAE, self).__init__()
            self.e1 = nn.Linear(state_dim + action_dim, HV)
            self.e2 = nn.Linear(HV, HV)
            self.mean = nn.Linear(HV, latent_dim)
            self.log_std = nn.Linear(HV, latent_dim)
            self.d1 = nn.Linear(state_dim + latent_dim, HV)
            self.d2 = nn.Linear(HV, HV)
            self.d3 = nn.Linear(HV, action_dim)
            self.max_action = max_action
            self.latent_dim = latent_dim
            self.device = device

        def forward(self, state, action):
            z = F.relu(self.e1(torch.cat([state, action], 1)))
            z = F.relu(self.e2(z))
            mean = self.mean(z)
            log_std = self.log_std(z).clamp(-4, 15)
            std = torch.exp(log_std)
            z = mean + std * torch.randn_like(std)
            u = self.decode(state, z)
            return u, mean, std

        def decode(self, state, z=None):
            if z is None:
                z = torch.randn((state.shape[0], self.latent_dim)).to(self.device).clamp(-0.5, 0.5)
            a = F.relu(self.d1(torch.cat([state, z], 1)))
            a = F.relu(self.d2(a))
            return self.max_action * torch.tanh(self.d3(a))

    class BCQ(object):
        def __init__(self, state_dim, action_dim, max_action, device, discount=0.99, tau=0.005, lmbda=0.75, phi=0.05):
            latent_dim = action_dim * 2
            self.actor = Actor(state_dim, action_dim, max_action, phi).to(device)
            self.actor_target = copy.deepcopy(self.actor)
            self.actor_optimizer = torch.optim.Adam(self.actor.parameters(), lr=1e-3)
            self.critic = Critic(state_dim, action_dim).to(device)
            self.critic_target = copy.deepcopy(self.critic)
            self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), lr=1e-3)
            self.vae = VAE(state_dim, action_dim, latent_dim, max_action, device).to(device)
            self.vae_optimizer = torch.optim.Adam(self.vae.parameters())
            self.max_action = max_action
            self.action_dim = action_dim
            self.discount = discount
            self.tau = tau
            self.lmbda = lmbda
            self.device = device
            self.losses = []

        def select_action(self, state):
            with torch.no_grad():
                state = torch.FloatTensor(state.reshape(1, -1)).repeat(10, 1).to(self.device)
                action = self.actor(state, self.vae.decode(state))
                q1 = self.critic.q1(state, action)
                ind = q1.argmax(0)
            return action[ind].cpu().data.numpy().flatten()

        def train(self, replay_buffer, iterations, batch_size=100):
            for it in range(iterations):
                state, action, next_state, reward, not_done = replay_buffer.sample(batch_size)
                recon, mean, std = self.vae(state, action)
                recon_loss = F.mse_loss(recon, action)
                KL_loss = -0.5 * (1 + torch.log(std.pow(2)) - mean.pow(2) - std.pow(2)).mean()
                vae_loss = recon_loss + 0.5 * KL_loss
                self.vae_optimizer.zero_grad()
                vae_loss.backward()
                self.vae_optimizer.step()
                with torch.no_grad():
                    next_state = torch.repeat_interleave(next_state, 10, 0)
                    target_Q1, target_Q2 = self.critic_target(next_state, self.actor_target(next_state, self.vae.decode(next_state)))
                    target_Q = self.lmbda * torch.min(target_Q1, target_Q2) + (1. - self.lmbda) * torch.max(target_Q1, target_Q2)
                    target_Q = target_Q.reshape(batch_size, -1).max(1)[0].reshape(-1, 1)
                    target_Q = reward + not_done * self.discount * target_Q
                current_Q1, current_Q2 = self.critic(state, action)
                critic_loss = F.mse_loss(current_Q1, target_Q) + F.mse_loss(current_Q2, target_Q)
                self.critic_optimizer.zero_grad()
                critic_loss.backward()
                self.critic_optimizer.step()
                sampled_actions = self.vae.decode(state)
                perturbed_actions = self.actor(state, sampled_actions)
                actor_loss = -self.critic.q1(state, perturbed_actions).mean()
                self.actor_optimizer.zero_grad()
                actor_loss.backward()
                self.actor_optimizer.step()
                self.losses.append("{:.4f} {:.4f} {:.4f}".format(
                    vae_loss.item(), critic_loss.item(), actor_loss.item()))
                for param, target_param in zip(self.critic.parameters(), self.critic_target.parameters()):
                    target_param.data.copy_(self.tau * param.data + (1 - self.tau) * target_param.data)
                for param, target_param in zip(self.actor.parameters(), self.actor_target.parameters()):
                    target_param.data.copy_(self.tau * param.data + (1 - self.tau) * target_param.data)

    return BCQ, VAE


def buffer_io(ReplayBuffer):
    """continuous_BCQ/utils.py's save / load on top of TD3's buffer."""

    class Buffer(ReplayBuffer):
        def save(self, save_folder):
            np.save(f"{save_folder}_state.npy", self.state[:self.size])
            np.save(f"{save_folder}_action.npy", self.action[:self.size])
            np.save(f"{save_folder}_next_state.npy", self.next_state[:self.size])
            np.save(f"{save_folder}_reward.npy", self.reward[:self.size])
            np.save(f"{save_folder}_not_done.npy", self.not_done[:self.size])
            np.save(f"{save_folder}_ptr.npy", self.ptr)

        def load(self, save_folder, size=-1):
            reward_buffer = np.load(f"{save_folder}_reward.npy")
            size = min(int(size), self.max_size) if size > 0 else self.max_size
            self.size = min(reward_buffer.shape[0], size)
            self.state[:self.size] = np.load(f"{save_folder}_state.npy")[:self.size]
            self.action[:self.size] = np.load(f"{save_folder}_action.npy")[:self.size]
            self.next_state[:self.size] = np.load(f"{save_folder}_next_state.npy")[:self.size]
            self.reward[:self.size] = reward_buffer[:self.size]
            self.not_done[:self.size] = np.load(f"{save_folder}_not_done.npy")[:self.size]

    return Buffer


def continuous_bcq(L, env_name="Hopper-v3", seed=0, max_timesteps=100, eval_freq=20,
                   rand_action_p=0.3, gaussian_std=0.3, batch_size=16):
    torch = L
    with Out() as o:
        folder = tempfile.mkdtemp()
        env = make_env(env_name)
        env.seed(seed)
        env.action_space.seed(seed)
        torch.manual_seed(seed)
        np.random.seed(seed)
        state_dim = env.observation_space.shape[0]
        action_dim = env.action_space.shape[0]
        max_action = float(env.action_space.high[0])
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        setting = f"{env_name}_{seed}"
        buffer_name = os.path.join(folder, f"Robust_{setting}")
        # interact_with_environment (--generate_buffer with an untrained behavioral policy)
        _, DDPG, ReplayBuffer = td3_module(L)
        Buffer = buffer_io(ReplayBuffer)
        policy = DDPG(state_dim, action_dim, max_action)
        replay_buffer = Buffer(state_dim, action_dim, max_size=1000)
        state, done = env.reset(), False
        episode_reward, episode_timesteps, episode_num = 0, 0, 0
        for t in range(int(max_timesteps)):
            episode_timesteps += 1
            if np.random.uniform(0, 1) < rand_action_p:
                action = env.action_space.sample()
            else:
                action = (
                    policy.select_action(np.array(state))
                    + np.random.normal(0, max_action * gaussian_std, size=action_dim)
                ).clip(-max_action, max_action)
            next_state, reward, done, _ = env.step(action)
            done_bool = float(done) if episode_timesteps < env._max_episode_steps else 0
            replay_buffer.add(state, action, next_state, reward, done_bool)
            state = next_state
            episode_reward += reward
            if done:
                o.print(f"Total T: {t+1} Episode Num: {episode_num+1} Episode T: {episode_timesteps} Reward: {episode_reward:.3f}")
                state, done = env.reset(), False
                episode_reward, episode_timesteps = 0, 0
                episode_num += 1
        evaluations = [eval_policy(o, policy, env_name, seed, eval_episodes=3)]
        replay_buffer.save(buffer_name)
        # train_BCQ
        BCQ, VAE = bcq_module(L)
        policy = BCQ(state_dim, action_dim, max_action, device, 0.99, 0.005, 0.75, 0.05)
        o.print(policy.vae)
        replay_buffer = Buffer(state_dim, action_dim, max_size=1000)
        replay_buffer.load(buffer_name)
        o.print(replay_buffer.size, int(np.load(buffer_name + "_ptr.npy")))
        evaluations = []
        training_iters = 0
        while training_iters < 60:
            policy.train(replay_buffer, iterations=int(eval_freq), batch_size=batch_size)
            evaluations.append(eval_policy(o, policy, env_name, seed, eval_episodes=2))
            training_iters += eval_freq
            o.print(f"Training iterations: {training_iters}")
        o.lines += policy.losses[::6]
        o.vals += list(policy.vae.state_dict().values())
        o.vals += list(policy.actor_target.state_dict().values())
        o.vals += [policy.vae.decode(torch.ones(3, state_dim))]
    return o.done()


def discrete_bcq_module(L, H=32):
    torch, nn, F = L, L.nn, L.nn.functional

    class Conv_Q(nn.Module):
        def __init__(self, frames, num_actions):
            super(Conv_Q, self).__init__()
            self.c1 = nn.Conv2d(frames, 32, kernel_size=8, stride=4)
            self.c2 = nn.Conv2d(32, 64, kernel_size=4, stride=2)
            self.c3 = nn.Conv2d(64, 64, kernel_size=3, stride=1)
            self.q1 = nn.Linear(3136, H)
            self.q2 = nn.Linear(H, num_actions)
            self.i1 = nn.Linear(3136, H)
            self.i2 = nn.Linear(H, num_actions)

        def forward(self, state):
            c = F.relu(self.c1(state))
            c = F.relu(self.c2(c))
            c = F.relu(self.c3(c))
            q = F.relu(self.q1(c.reshape(-1, 3136)))
            i = F.relu(self.i1(c.reshape(-1, 3136)))
            i = self.i2(i)
            return self.q2(q), F.log_softmax(i, dim=1), i

    class FC_Q(nn.Module):
        def __init__(self, state_dim, num_actions):
            super(FC_Q, self).__init__()
            self.q1 = nn.Linear(state_dim, H)
            self.q2 = nn.Linear(H, H)
            self.q3 = nn.Linear(H, num_actions)
            self.i1 = nn.Linear(state_dim, H)
            self.i2 = nn.Linear(H, H)
            self.i3 = nn.Linear(H, num_actions)

        def forward(self, state):
            q = F.relu(self.q1(state))
            q = F.relu(self.q2(q))
            i = F.relu(self.i1(state))
            i = F.relu(self.i2(i))
            i = self.i3(i)
            return self.q3(q), F.log_softmax(i, dim=1), i

    class discrete_BCQ(object):
        def __init__(self, is_atari, num_actions, state_dim, device, BCQ_threshold=0.3,
                     discount=0.99, optimizer="Adam", optimizer_parameters={},
                     polyak_target_update=False, target_update_frequency=8e3, tau=0.005,
                     initial_eps=1, end_eps=0.001, eps_decay_period=25e4, eval_eps=0.001):
            self.device = device
            self.Q = Conv_Q(state_dim[0], num_actions).to(self.device) if is_atari else FC_Q(state_dim, num_actions).to(self.device)
            self.Q_target = copy.deepcopy(self.Q)
            self.Q_optimizer = getattr(torch.optim, optimizer)(self.Q.parameters(), **optimizer_parameters)
            self.discount = discount
            self.maybe_update_target = self.polyak_target_update if polyak_target_update else self.copy_target_update
            self.target_update_frequency = target_update_frequency
            self.tau = tau
            self.initial_eps = initial_eps
            self.end_eps = end_eps
            self.slope = (self.end_eps - self.initial_eps) / eps_decay_period
            self.state_shape = (-1,) + state_dim if is_atari else (-1, state_dim)
            self.eval_eps = eval_eps
            self.num_actions = num_actions
            self.threshold = BCQ_threshold
            self.iterations = 0
            self.losses = []

        def select_action(self, state, eval=False):
            if np.random.uniform(0, 1) > self.eval_eps:
                with torch.no_grad():
                    state = torch.FloatTensor(state).reshape(self.state_shape).to(self.device)
                    q, imt, i = self.Q(state)
                    imt = imt.exp()
                    imt = (imt / imt.max(1, keepdim=True)[0] > self.threshold).float()
                    return int((imt * q + (1. - imt) * -1e8).argmax(1))
            else:
                return np.random.randint(self.num_actions)

        def train(self, replay_buffer):
            state, action, next_state, reward, done = replay_buffer.sample()
            with torch.no_grad():
                q, imt, i = self.Q(next_state)
                imt = imt.exp()
                imt = (imt / imt.max(1, keepdim=True)[0] > self.threshold).float()
                next_action = (imt * q + (1 - imt) * -1e8).argmax(1, keepdim=True)
                q, imt, i = self.Q_target(next_state)
                target_Q = reward + done * self.discount * q.gather(1, next_action).reshape(-1, 1)
            current_Q, imt, i = self.Q(state)
            current_Q = current_Q.gather(1, action)
            q_loss = F.smooth_l1_loss(current_Q, target_Q)
            i_loss = F.nll_loss(imt, action.reshape(-1))
            Q_loss = q_loss + i_loss + 1e-2 * i.pow(2).mean()
            self.Q_optimizer.zero_grad()
            Q_loss.backward()
            self.Q_optimizer.step()
            self.losses.append("{:.4f} {:.4f}".format(q_loss.item(), i_loss.item()))
            self.iterations += 1
            self.maybe_update_target()

        def polyak_target_update(self):
            for param, target_param in zip(self.Q.parameters(), self.Q_target.parameters()):
                target_param.data.copy_(self.tau * param.data + (1 - self.tau) * target_param.data)

        def copy_target_update(self):
            if self.iterations % self.target_update_frequency == 0:
                self.Q_target.load_state_dict(self.Q.state_dict())

    class StandardBuffer(object):
        def __init__(self, state_dim, batch_size, buffer_size, device):
            self.batch_size = batch_size
            self.max_size = int(buffer_size)
            self.device = device
            self.ptr = 0
            self.crt_size = 0
            shape = (self.max_size,) + (state_dim if isinstance(state_dim, tuple) else (state_dim,))
            self.state = np.zeros(shape)
            self.action = np.zeros((self.max_size, 1))
            self.next_state = np.array(self.state)
            self.reward = np.zeros((self.max_size, 1))
            self.not_done = np.zeros((self.max_size, 1))

        def add(self, state, action, next_state, reward, done, episode_done, episode_start):
            self.state[self.ptr] = state
            self.action[self.ptr] = action
            self.next_state[self.ptr] = next_state
            self.reward[self.ptr] = reward
            self.not_done[self.ptr] = 1. - done
            self.ptr = (self.ptr + 1) % self.max_size
            self.crt_size = min(self.crt_size + 1, self.max_size)

        def sample(self):
            ind = np.random.randint(0, self.crt_size, size=self.batch_size)
            return (
                torch.FloatTensor(self.state[ind]).to(self.device),
                torch.LongTensor(self.action[ind]).to(self.device),
                torch.FloatTensor(self.next_state[ind]).to(self.device),
                torch.FloatTensor(self.reward[ind]).to(self.device),
                torch.FloatTensor(self.not_done[ind]).to(self.device)
            )

    return discrete_BCQ, StandardBuffer


def discrete_bcq(L, polyak=False, seed=0, atari=False, steps=100, iters=40):
    torch = L
    with Out() as o:
        torch.manual_seed(seed)
        np.random.seed(seed)
        rng = np.random.default_rng(seed)
        device = torch.device("cpu")
        num_actions = 3
        space = Discrete(num_actions)
        space.seed(seed)
        state_dim = (4, 84, 84) if atari else 6
        discrete_BCQ, StandardBuffer = discrete_bcq_module(L)
        policy = discrete_BCQ(atari, num_actions, state_dim, device, 0.3, 0.99, "Adam",
                              {"lr": 3e-4}, polyak, 10, 0.005, 1, 0.001, 25e4, 0.001)
        o.print(policy.Q)
        replay_buffer = StandardBuffer(state_dim, 8 if atari else 16, 1000, device)
        shape = state_dim if atari else (state_dim,)
        state = rng.standard_normal(shape)
        for t in range(steps):
            action = space.sample() if t % 3 else int(state.reshape(-1)[0] > 0)
            next_state = 0.9 * state + 0.1 * rng.standard_normal(shape)
            reward = 1.0 if action == int(state.reshape(-1)[1] > 0) else 0.0
            done = (t + 1) % 20 == 0
            replay_buffer.add(state, action, next_state, reward, done, done, t % 20 == 0)
            state = rng.standard_normal(shape) if done else next_state
        for _ in range(iters):
            policy.train(replay_buffer)
        o.lines += policy.losses[::4]
        acts = [policy.select_action(rng.standard_normal(shape), eval=True) for _ in range(6)]
        o.print(acts)
        o.vals += list(policy.Q_target.state_dict().values())
    return o.done()


def discrete_bcq_fc(L):
    return discrete_bcq(L)


def discrete_bcq_polyak(L):
    return discrete_bcq(L, polyak=True, seed=4)


def discrete_bcq_atari(L):
    return discrete_bcq(L, atari=True, seed=1, steps=24, iters=3)
