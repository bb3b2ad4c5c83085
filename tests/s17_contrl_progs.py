"""sfujim/TD3 as users run it: TD3.py, DDPG.py, OurDDPG.py, utils.py's ReplayBuffer and
main.py's loop with eval_policy (the 'Evaluation over {} episodes: {:.3f}' lines, 'Total T:'
episode lines, save / load of the networks and optimizers), scaled down (hidden layers of 32
instead of 256 / 400-300, a few hundred steps) on small deterministic NumPy environments
instead of MuJoCo, as ``prog(L) -> (printed, values)`` for tests/test_programs_s17_contrl.py."""

import copy
import os
import tempfile

import numpy as np
from s16_yunjey_progs import Out


class Box:
    """gym.spaces.Box's interface (shape, low, high, sample(), seed())."""

    def __init__(self, low, high, shape):
        self.shape = shape
        self.low = np.full(shape, low, np.float32)
        self.high = np.full(shape, high, np.float32)
        self.rng = np.random.default_rng(0)

    def seed(self, s):
        self.rng = np.random.default_rng(s)

    def sample(self):
        return self.rng.uniform(self.low, self.high).astype(np.float32)


class Discrete:
    """gym.spaces.Discrete's interface (n, shape, sample(), seed())."""

    def __init__(self, n):
        self.n, self.shape = n, ()
        self.rng = np.random.default_rng(0)

    def seed(self, s):
        self.rng = np.random.default_rng(s)

    def sample(self):
        return int(self.rng.integers(self.n))


class ContEnv:
    """A MuJoCo-shaped environment: float64 observations, a Box action space, a reward that
    depends on the action, episodes ending after a drawn length or at _max_episode_steps."""

    def __init__(self, obs_dim=5, act_dim=2, max_action=1.0, max_steps=25, seed=0):
        self.observation_space = Box(-np.inf, np.inf, (obs_dim,))
        self.action_space = Box(-max_action, max_action, (act_dim,))
        self._max_episode_steps = max_steps
        self.target = np.linspace(-0.5, 0.5, act_dim) * max_action
        self.rng = np.random.default_rng(seed)

    def seed(self, s):
        self.rng = np.random.default_rng(s)

    def reset(self):
        self.t = 0
        self.len = int(self.rng.integers(8, self._max_episode_steps + 5))
        self.obs = self.rng.standard_normal(self.observation_space.shape[0])
        return self.obs

    def step(self, action):
        self.t += 1
        a = np.asarray(action, np.float64).reshape(-1)
        reward = float(-np.sum((a - self.target - 0.2 * self.obs[:a.size]) ** 2) + 0.1)
        self.obs = 0.8 * self.obs + 0.2 * self.rng.standard_normal(self.obs.size)
        self.obs[:a.size] += 0.1 * a
        done = self.t >= min(self.len, self._max_episode_steps)
        return self.obs, reward, done, {}


def make_env(name, seed=0):
    """gym.make's stand-in: a few named shapes."""
    shapes = {"Pendulum-v0": (3, 1, 2.0), "HalfCheetah-v2": (6, 3, 1.0),
              "Hopper-v3": (5, 2, 1.0)}
    o, a, m = shapes[name]
    return ContEnv(o, a, m, seed=seed)


def td3_module(L, H=32):
    """TD3.py, DDPG.py, OurDDPG.py and utils.py (hidden sizes shrunk to H)."""
    torch, nn, F = L, L.nn, L.nn.functional
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    class ReplayBuffer(object):
        def __init__(self, state_dim, action_dim, max_size=int(1e6)):
            self.max_size = max_size
            self.ptr = 0
            self.size = 0
            self.state = np.zeros((max_size, state_dim))
            self.action = np.zeros((max_size, action_dim))
            self.next_state = np.zeros((max_size, state_dim))
            self.reward = np.zeros((max_size, 1))
            self.not_done = np.zeros((max_size, 1))
            self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

        def add(self, state, action, next_state, reward, done):
            self.state[self.ptr] = state
            self.action[self.ptr] = action
            self.next_state[self.ptr] = next_state
            self.reward[self.ptr] = reward
            self.not_done[self.ptr] = 1. - done
            self.ptr = (self.ptr + 1) % self.max_size
            self.size = min(self.size + 1, self.max_size)

        def sample(self, batch_size):
            ind = np.random.randint(0, self.size, size=batch_size)
            return (
                torch.FloatTensor(self.state[ind]).to(self.device),
                torch.FloatTensor(self.action[ind]).to(self.device),
                torch.FloatTensor(self.next_state[ind]).to(self.device),
                torch.FloatTensor(self.reward[ind]).to(self.device),
                torch.FloatTensor(self.not_done[ind]).to(self.device)
            )

    class Actor(nn.Module):
        def __init__(self, state_dim, action_dim, max_action):
            super(Actor, self).__init__()
            self.l1 = nn.Linear(state_dim, H)
            self.l2 = nn.Linear(H, H)
            self.l3 = nn.Linear(H, action_dim)
            self.max_action = max_action

        def forward(self, state):
            a = F.relu(self.l1(state))
            a = F.relu(self.l2(a))
            return self.max_action * torch.tanh(self.l3(a))

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
            sa = torch.cat([state, action], 1)
            q1 = F.relu(self.l1(sa))
            q1 = F.relu(self.l2(q1))
            q1 = self.l3(q1)
            q2 = F.relu(self.l4(sa))
            q2 = F.relu(self.l5(q2))
            q2 = self.l6(q2)
            return q1, q2

        def Q1(self, state, action):
            sa = torch.cat([state, action], 1)
            q1 = F.relu(self.l1(sa))
            q1 = F.relu(self.l2(q1))
            q1 = self.l3(q1)
            return q1

    class Base(object):
        def select_action(self, state):
            state = torch.FloatTensor(state.reshape(1, -1)).to(device)
            return self.actor(state).cpu().data.numpy().flatten()

        def soft(self):
            for param, target_param in zip(self.critic.parameters(), self.critic_target.parameters()):
                target_param.data.copy_(self.tau * param.data + (1 - self.tau) * target_param.data)
            for param, target_param in zip(self.actor.parameters(), self.actor_target.parameters()):
                target_param.data.copy_(self.tau * param.data + (1 - self.tau) * target_param.data)

        def save(self, filename):
            torch.save(self.critic.state_dict(), filename + "_critic")
            torch.save(self.critic_optimizer.state_dict(), filename + "_critic_optimizer")
            torch.save(self.actor.state_dict(), filename + "_actor")
            torch.save(self.actor_optimizer.state_dict(), filename + "_actor_optimizer")

        def load(self, filename):
            self.critic.load_state_dict(torch.load(filename + "_critic"))
            self.critic_optimizer.load_state_dict(torch.load(filename + "_critic_optimizer"))
            self.critic_target = copy.deepcopy(self.critic)
            self.actor.load_state_dict(torch.load(filename + "_actor"))
            self.actor_optimizer.load_state_dict(torch.load(filename + "_actor_optimizer"))
            self.actor_target = copy.deepcopy(self.actor)

    class TD3(Base):
        def __init__(self, state_dim, action_dim, max_action, discount=0.99, tau=0.005,
                     policy_noise=0.2, noise_clip=0.5, policy_freq=2):
            self.actor = Actor(state_dim, action_dim, max_action).to(device)
            self.actor_target = copy.deepcopy(self.actor)
            self.actor_optimizer = torch.optim.Adam(self.actor.parameters(), lr=3e-4)
            self.critic = Critic(state_dim, action_dim).to(device)
            self.critic_target = copy.deepcopy(self.critic)
            self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), lr=3e-4)
            self.max_action = max_action
            self.discount = discount
            self.tau = tau
            self.policy_noise = policy_noise
            self.noise_clip = noise_clip
            self.policy_freq = policy_freq
            self.total_it = 0
            self.losses = []

        def train(self, replay_buffer, batch_size=256):
            self.total_it += 1
            state, action, next_state, reward, not_done = replay_buffer.sample(batch_size)
            with torch.no_grad():
                noise = (
                    torch.randn_like(action) * self.policy_noise
                ).clamp(-self.noise_clip, self.noise_clip)
                next_action = (
                    self.actor_target(next_state) + noise
                ).clamp(-self.max_action, self.max_action)
                target_Q1, target_Q2 = self.critic_target(next_state, next_action)
                target_Q = torch.min(target_Q1, target_Q2)
                target_Q = reward + not_done * self.discount * target_Q
            current_Q1, current_Q2 = self.critic(state, action)
            critic_loss = F.mse_loss(current_Q1, target_Q) + F.mse_loss(current_Q2, target_Q)
            self.critic_optimizer.zero_grad()
            critic_loss.backward()
            self.critic_optimizer.step()
            self.losses.append(critic_loss.item())
            if self.total_it % self.policy_freq == 0:
                actor_loss = -self.critic.Q1(state, self.actor(state)).mean()
                self.actor_optimizer.zero_grad()
                actor_loss.backward()
                self.actor_optimizer.step()
                self.losses.append(actor_loss.item())
                self.soft()

    class DDPGCritic(nn.Module):
        def __init__(self, state_dim, action_dim):
            super(DDPGCritic, self).__init__()
            self.l1 = nn.Linear(state_dim, H)
            self.l2 = nn.Linear(H + action_dim, H)
            self.l3 = nn.Linear(H, 1)

        def forward(self, state, action):
            q = F.relu(self.l1(state))
            q = F.relu(self.l2(torch.cat([q, action], 1)))
            return self.l3(q)

    class OurCritic(nn.Module):
        def __init__(self, state_dim, action_dim):
            super(OurCritic, self).__init__()
            self.l1 = nn.Linear(state_dim + action_dim, H)
            self.l2 = nn.Linear(H, H)
            self.l3 = nn.Linear(H, 1)

        def forward(self, state, action):
            q = F.relu(self.l1(torch.cat([state, action], 1)))
            q = F.relu(self.l2(q))
            return self.l3(q)

    class DDPG(Base):
        def __init__(self, state_dim, action_dim, max_action, discount=0.99, tau=0.001,
                     ours=False):
            self.actor = Actor(state_dim, action_dim, max_action).to(device)
            self.actor_target = copy.deepcopy(self.actor)
            if ours:  # OurDDPG.py: default Adam, a critic on [state, action]
                self.actor_optimizer = torch.optim.Adam(self.actor.parameters(), lr=3e-4)
                self.critic = OurCritic(state_dim, action_dim).to(device)
                self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), lr=3e-4)
            else:
                self.actor_optimizer = torch.optim.Adam(self.actor.parameters(), lr=1e-4)
                self.critic = DDPGCritic(state_dim, action_dim).to(device)
                self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), weight_decay=1e-2)
            self.critic_target = copy.deepcopy(self.critic)
            self.discount = discount
            self.tau = tau
            self.losses = []

        def train(self, replay_buffer, batch_size=64):
            state, action, next_state, reward, not_done = replay_buffer.sample(batch_size)
            target_Q = self.critic_target(next_state, self.actor_target(next_state))
            target_Q = reward + (not_done * self.discount * target_Q).detach()
            current_Q = self.critic(state, action)
            critic_loss = F.mse_loss(current_Q, target_Q)
            self.critic_optimizer.zero_grad()
            critic_loss.backward()
            self.critic_optimizer.step()
            actor_loss = -self.critic(state, self.actor(state)).mean()
            self.actor_optimizer.zero_grad()
            actor_loss.backward()
            self.actor_optimizer.step()
            self.losses += [critic_loss.item(), actor_loss.item()]
            self.soft()

    return TD3, DDPG, ReplayBuffer


def eval_policy(o, policy, env_name, seed, eval_episodes=10):
    eval_env = make_env(env_name)
    eval_env.seed(seed + 100)
    avg_reward = 0.
    for _ in range(eval_episodes):
        state, done = eval_env.reset(), False
        while not done:
            action = policy.select_action(np.array(state))
            state, reward, done, _ = eval_env.step(action)
            avg_reward += reward
    avg_reward /= eval_episodes
    o.print("---------------------------------------")
    o.print(f"Evaluation over {eval_episodes} episodes: {avg_reward:.3f}")
    o.print("---------------------------------------")
    return avg_reward


def td3_main(L, policy_name="TD3", env_name="HalfCheetah-v2", seed=0, start_timesteps=60,
             eval_freq=70, max_timesteps=140, batch_size=32, expl_noise=0.1, discount=0.99,
             tau=0.005, policy_noise=0.2, noise_clip=0.5, policy_freq=2):
    """main.py's loop (arguments as parsed, shrunk)."""
    torch = L
    with Out() as o:
        TD3, DDPG, ReplayBuffer = td3_module(L)
        file_name = f"{policy_name}_{env_name}_{seed}"
        o.print("---------------------------------------")
        o.print(f"Policy: {policy_name}, Env: {env_name}, Seed: {seed}")
        o.print("---------------------------------------")
        folder = tempfile.mkdtemp()
        env = make_env(env_name)
        env.seed(seed)
        env.action_space.seed(seed)
        torch.manual_seed(seed)
        np.random.seed(seed)
        state_dim = env.observation_space.shape[0]
        action_dim = env.action_space.shape[0]
        max_action = float(env.action_space.high[0])
        kwargs = {"state_dim": state_dim, "action_dim": action_dim, "max_action": max_action,
                  "discount": discount, "tau": tau}
        if policy_name == "TD3":
            kwargs["policy_noise"] = policy_noise * max_action
            kwargs["noise_clip"] = noise_clip * max_action
            kwargs["policy_freq"] = policy_freq
            policy = TD3(**kwargs)
        elif policy_name == "OurDDPG":
            policy = DDPG(**kwargs, ours=True)
        else:
            policy = DDPG(**kwargs)
        o.print(policy.actor)
        o.print(policy.critic)
        replay_buffer = ReplayBuffer(state_dim, action_dim, max_size=1000)
        evaluations = [eval_policy(o, policy, env_name, seed)]
        state, done = env.reset(), False
        episode_reward = 0
        episode_timesteps = 0
        episode_num = 0
        for t in range(int(max_timesteps)):
            episode_timesteps += 1
            if t < start_timesteps:
                action = env.action_space.sample()
            else:
                action = (
                    policy.select_action(np.array(state))
                    + np.random.normal(0, max_action * expl_noise, size=action_dim)
                ).clip(-max_action, max_action)
            next_state, reward, done, _ = env.step(action)
            done_bool = float(done) if episode_timesteps < env._max_episode_steps else 0
            replay_buffer.add(state, action, next_state, reward, done_bool)
            state = next_state
            episode_reward += reward
            if t >= start_timesteps:
                policy.train(replay_buffer, batch_size)
            if done:
                o.print(f"Total T: {t+1} Episode Num: {episode_num+1} Episode T: {episode_timesteps} Reward: {episode_reward:.3f}")
                state, done = env.reset(), False
                episode_reward = 0
                episode_timesteps = 0
                episode_num += 1
            if (t + 1) % eval_freq == 0:
                evaluations.append(eval_policy(o, policy, env_name, seed))
                np.save(os.path.join(folder, file_name), evaluations)
                policy.save(os.path.join(folder, file_name))
        o.print(["{:.4f}".format(x) for x in policy.losses])
        o.print(np.load(os.path.join(folder, file_name + ".npy")).round(3).tolist())
        # --load_model default
        policy2 = TD3(**kwargs) if policy_name == "TD3" else DDPG(**{k: kwargs[k] for k in (
            "state_dim", "action_dim", "max_action")}, ours=policy_name == "OurDDPG")
        policy2.load(os.path.join(folder, file_name))
        o.print(policy2.critic_optimizer.state_dict()["param_groups"])
        o.print(sorted(policy2.actor_optimizer.state_dict()["state"][0]))
        o.vals += list(policy.actor.state_dict().values())
        o.vals += list(policy.critic_target.state_dict().values())
        o.vals += list(policy2.actor_target.state_dict().values())
        o.vals.append(policy2.select_action(np.ones(state_dim)))
    return o.done()


def td3(L):
    return td3_main(L)


def ddpg(L):
    return td3_main(L, "DDPG", "Pendulum-v0", seed=3, batch_size=16, max_timesteps=120,
                    eval_freq=60)


def our_ddpg(L):
    return td3_main(L, "OurDDPG", "Hopper-v3", seed=5, start_timesteps=40, max_timesteps=100,
                    eval_freq=50)
