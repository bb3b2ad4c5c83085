"""nikhilbarhate99/PPO-PyTorch (PPO.py: RolloutBuffer, ActorCritic with a Categorical or a
MultivariateNormal head over a diagonal covariance, action_std decay, the clipped update with
MseLoss, save / load of state_dicts; train.py's loop and printouts), as users type them, on
small deterministic NumPy environments instead of gym's, as ``prog(L) -> (printed, values)``
for tests/test_programs_s17_rlrepos.py."""

import os
import tempfile

import numpy as np
from s16_yunjey_progs import Out


class FakeEnv:
    """A gym-shaped environment on a seeded NumPy generator: reset() -> obs, step(a) ->
    (obs, reward, done, info). The reward depends on the action (so learning matters); the
    episode ends after a generator-drawn number of steps."""

    def __init__(self, obs_dim, n_actions=None, act_dim=None, seed=0, dtype=np.float32,
                 max_len=(8, 20)):
        self.obs_dim, self.n_actions, self.act_dim = obs_dim, n_actions, act_dim
        self.rng = np.random.default_rng(seed)
        self.dtype, self.max_len = dtype, max_len
        self.target = self.rng.standard_normal(act_dim or 1)

    def seed(self, s):
        self.rng = np.random.default_rng(s)

    def reset(self):
        self.t = 0
        self.len = int(self.rng.integers(*self.max_len))
        self.obs = self.rng.standard_normal(self.obs_dim).astype(self.dtype)
        return self.obs

    def step(self, action):
        self.t += 1
        if self.n_actions is not None:
            reward = 1.0 if int(action) == int(self.obs[0] > 0) else -0.5
        else:
            a = np.asarray(action, dtype=np.float64).reshape(-1)
            reward = float(-np.sum((a - self.target) ** 2) + 0.1 * self.obs[0])
        self.obs = (0.7 * self.obs + 0.3 * self.rng.standard_normal(self.obs_dim)).astype(
            self.dtype)
        return self.obs, reward, self.t >= self.len, {}


def _ppo_module(L):
    """PPO.py (the current version), as in the repository."""
    torch, nn = L, L.nn
    from_dist = L.distributions
    MultivariateNormal, Categorical = from_dist.MultivariateNormal, from_dist.Categorical
    lines = []
    print = lambda *a: lines.append(" ".join(str(x) for x in a))  # noqa: E731,A001

    print("============================================================================================")
    device = torch.device('cpu')
    if torch.cuda.is_available():
        device = torch.device('cuda:0')
        torch.cuda.empty_cache()
        print("Device set to : " + str(torch.cuda.get_device_name(device)))
    else:
        print("Device set to : cpu")
    print("============================================================================================")

    class RolloutBuffer:
        def __init__(self):
            self.actions = []
            self.states = []
            self.logprobs = []
            self.rewards = []
            self.state_values = []
            self.is_terminals = []

        def clear(self):
            del self.actions[:]
            del self.states[:]
            del self.logprobs[:]
            del self.rewards[:]
            del self.state_values[:]
            del self.is_terminals[:]

    class ActorCritic(nn.Module):
        def __init__(self, state_dim, action_dim, has_continuous_action_space, action_std_init):
            super(ActorCritic, self).__init__()
            self.has_continuous_action_space = has_continuous_action_space
            if has_continuous_action_space:
                self.action_dim = action_dim
                self.action_var = torch.full((action_dim,), action_std_init * action_std_init).to(device)
            # actor
            if has_continuous_action_space:
                self.actor = nn.Sequential(
                    nn.Linear(state_dim, 64),
                    nn.Tanh(),
                    nn.Linear(64, 64),
                    nn.Tanh(),
                    nn.Linear(64, action_dim),
                    nn.Tanh()
                )
            else:
                self.actor = nn.Sequential(
                    nn.Linear(state_dim, 64),
                    nn.Tanh(),
                    nn.Linear(64, 64),
                    nn.Tanh(),
                    nn.Linear(64, action_dim),
                    nn.Softmax(dim=-1)
                )
            # critic
            self.critic = nn.Sequential(
                nn.Linear(state_dim, 64),
                nn.Tanh(),
                nn.Linear(64, 64),
                nn.Tanh(),
                nn.Linear(64, 1)
            )

        def set_action_std(self, new_action_std):
            if self.has_continuous_action_space:
                self.action_var = torch.full((self.action_dim,), new_action_std * new_action_std).to(device)
            else:
                print("--------------------------------------------------------------------------------------------")
                print("WARNING : Calling ActorCritic::set_action_std() on discrete action space policy")
                print("--------------------------------------------------------------------------------------------")

        def forward(self):
            raise NotImplementedError

        def act(self, state):
            if self.has_continuous_action_space:
                action_mean = self.actor(state)
                cov_mat = torch.diag(self.action_var).unsqueeze(dim=0)
                dist = MultivariateNormal(action_mean, cov_mat)
            else:
                action_probs = self.actor(state)
                dist = Categorical(action_probs)

            action = dist.sample()
            action_logprob = dist.log_prob(action)
            state_val = self.critic(state)

            return action.detach(), action_logprob.detach(), state_val.detach()

        def evaluate(self, state, action):
            if self.has_continuous_action_space:
                action_mean = self.actor(state)
                action_var = self.action_var.expand_as(action_mean)
                cov_mat = torch.diag_embed(action_var).to(device)
                dist = MultivariateNormal(action_mean, cov_mat)
                # For Single Action Environments.
                if self.action_dim == 1:
                    action = action.reshape(-1, self.action_dim)
            else:
                action_probs = self.actor(state)
                dist = Categorical(action_probs)
            action_logprobs = dist.log_prob(action)
            dist_entropy = dist.entropy()
            state_values = self.critic(state)

            return action_logprobs, state_values, dist_entropy

    class PPO:
        def __init__(self, state_dim, action_dim, lr_actor, lr_critic, gamma, K_epochs, eps_clip,
                     has_continuous_action_space, action_std_init=0.6):
            self.has_continuous_action_space = has_continuous_action_space
            if has_continuous_action_space:
                self.action_std = action_std_init
            self.gamma = gamma
            self.eps_clip = eps_clip
            self.K_epochs = K_epochs
            self.buffer = RolloutBuffer()
            self.policy = ActorCritic(state_dim, action_dim, has_continuous_action_space, action_std_init).to(device)
            self.optimizer = torch.optim.Adam([
                {'params': self.policy.actor.parameters(), 'lr': lr_actor},
                {'params': self.policy.critic.parameters(), 'lr': lr_critic}
            ])
            self.policy_old = ActorCritic(state_dim, action_dim, has_continuous_action_space, action_std_init).to(device)
            self.policy_old.load_state_dict(self.policy.state_dict())
            self.MseLoss = nn.MSELoss()

        def set_action_std(self, new_action_std):
            if self.has_continuous_action_space:
                self.action_std = new_action_std
                self.policy.set_action_std(new_action_std)
                self.policy_old.set_action_std(new_action_std)
            else:
                print("--------------------------------------------------------------------------------------------")
                print("WARNING : Calling PPO::set_action_std() on discrete action space policy")
                print("--------------------------------------------------------------------------------------------")

        def decay_action_std(self, action_std_decay_rate, min_action_std):
            print("--------------------------------------------------------------------------------------------")
            if self.has_continuous_action_space:
                self.action_std = self.action_std - action_std_decay_rate
                self.action_std = round(self.action_std, 4)
                if (self.action_std <= min_action_std):
                    self.action_std = min_action_std
                    print("setting actor output action_std to min_action_std : ", self.action_std)
                else:
                    print("setting actor output action_std to : ", self.action_std)
                self.set_action_std(self.action_std)
            else:
                print("WARNING : Calling PPO::decay_action_std() on discrete action space policy")
            print("--------------------------------------------------------------------------------------------")

        def select_action(self, state):
            if self.has_continuous_action_space:
                with torch.no_grad():
                    state = torch.FloatTensor(state).to(device)
                    action, action_logprob, state_val = self.policy_old.act(state)
                self.buffer.states.append(state)
                self.buffer.actions.append(action)
                self.buffer.logprobs.append(action_logprob)
                self.buffer.state_values.append(state_val)
                return action.detach().cpu().numpy().flatten()
            else:
                with torch.no_grad():
                    state = torch.FloatTensor(state).to(device)
                    action, action_logprob, state_val = self.policy_old.act(state)
                self.buffer.states.append(state)
                self.buffer.actions.append(action)
                self.buffer.logprobs.append(action_logprob)
                self.buffer.state_values.append(state_val)
                return action.item()

        def update(self):
            # Monte Carlo estimate of returns
            rewards = []
            discounted_reward = 0
            for reward, is_terminal in zip(reversed(self.buffer.rewards), reversed(self.buffer.is_terminals)):
                if is_terminal:
                    discounted_reward = 0
                discounted_reward = reward + (self.gamma * discounted_reward)
                rewards.insert(0, discounted_reward)
            # Normalizing the rewards
            rewards = torch.tensor(rewards, dtype=torch.float32).to(device)
            rewards = (rewards - rewards.mean()) / (rewards.std() + 1e-7)
            # convert list to tensor
            old_states = torch.squeeze(torch.stack(self.buffer.states, dim=0)).detach().to(device)
            old_actions = torch.squeeze(torch.stack(self.buffer.actions, dim=0)).detach().to(device)
            old_logprobs = torch.squeeze(torch.stack(self.buffer.logprobs, dim=0)).detach().to(device)
            old_state_values = torch.squeeze(torch.stack(self.buffer.state_values, dim=0)).detach().to(device)
            # calculate advantages
            advantages = rewards.detach() - old_state_values.detach()
            # Optimize policy for K epochs
            for _ in range(self.K_epochs):
                # Evaluating old actions and values
                logprobs, state_values, dist_entropy = self.policy.evaluate(old_states, old_actions)
                # match state_values tensor dimensions with rewards tensor
                state_values = torch.squeeze(state_values)
                # Finding the ratio (pi_theta / pi_theta__old)
                ratios = torch.exp(logprobs - old_logprobs.detach())
                # Finding Surrogate Loss
                surr1 = ratios * advantages
                surr2 = torch.clamp(ratios, 1 - self.eps_clip, 1 + self.eps_clip) * advantages
                # final loss of clipped objective PPO
                loss = -torch.min(surr1, surr2) + 0.5 * self.MseLoss(state_values, rewards) - 0.01 * dist_entropy
                # take gradient step
                self.optimizer.zero_grad()
                loss.mean().backward()
                self.optimizer.step()
            # Copy new weights into old policy
            self.policy_old.load_state_dict(self.policy.state_dict())
            # clear buffer
            self.buffer.clear()
            return loss

        def save(self, checkpoint_path):
            torch.save(self.policy_old.state_dict(), checkpoint_path)

        def load(self, checkpoint_path):
            self.policy_old.load_state_dict(torch.load(checkpoint_path, map_location=lambda storage, loc: storage))
            self.policy.load_state_dict(torch.load(checkpoint_path, map_location=lambda storage, loc: storage))

    return PPO, ActorCritic, lines


def _train(L, o, has_continuous_action_space, env, max_ep_len, max_training_timesteps,
           update_timestep, print_freq, action_std_decay_freq=None):
    """train.py's loop (logging to a list instead of a csv file)."""
    PPO, _, lines = _ppo_module(L)
    action_std = 0.6
    action_std_decay_rate = 0.05
    min_action_std = 0.1
    K_epochs = 8
    eps_clip = 0.2
    gamma = 0.99
    lr_actor = 0.0003
    lr_critic = 0.001
    random_seed = 7
    state_dim = env.obs_dim
    action_dim = env.act_dim if has_continuous_action_space else env.n_actions
    o.print("training environment name : " + "FakeEnv")
    if has_continuous_action_space:
        o.print("starting std of action distribution : ", action_std)
        o.print("decay rate of std of action distribution : ", action_std_decay_rate)
    o.print("PPO K epochs : ", K_epochs)
    o.print("PPO epsilon clip : ", eps_clip)
    if random_seed:
        o.print("setting random seed to ", random_seed)
        L.manual_seed(random_seed)
        env.seed(random_seed)
        np.random.seed(random_seed)
    ppo_agent = PPO(state_dim, action_dim, lr_actor, lr_critic, gamma, K_epochs, eps_clip,
                    has_continuous_action_space, action_std)
    o.print(ppo_agent.policy)
    log_f = []
    print_running_reward = 0
    print_running_episodes = 0
    log_running_reward = 0
    log_running_episodes = 0
    time_step = 0
    i_episode = 0
    loss = None
    while time_step <= max_training_timesteps:
        state = env.reset()
        current_ep_reward = 0
        for t in range(1, max_ep_len + 1):
            action = ppo_agent.select_action(state)
            state, reward, done, _ = env.step(action)
            ppo_agent.buffer.rewards.append(reward)
            ppo_agent.buffer.is_terminals.append(done)
            time_step += 1
            current_ep_reward += reward
            if time_step % update_timestep == 0:
                loss = ppo_agent.update()
                o.print("loss: {:.4f}".format(loss.mean().item()))
            if has_continuous_action_space and action_std_decay_freq and time_step % action_std_decay_freq == 0:
                ppo_agent.decay_action_std(action_std_decay_rate, min_action_std)
            if time_step % print_freq == 0:
                print_avg_reward = print_running_reward / max(print_running_episodes, 1)
                print_avg_reward = round(print_avg_reward, 2)
                o.print("Episode : {} \t\t Timestep : {} \t\t Average Reward : {}".format(
                    i_episode, time_step, print_avg_reward))
                print_running_reward = 0
                print_running_episodes = 0
            if done:
                break
        print_running_reward += current_ep_reward
        print_running_episodes += 1
        log_running_reward += current_ep_reward
        log_running_episodes += 1
        log_f.append('{},{},{}'.format(i_episode, time_step, round(current_ep_reward, 4)))
        i_episode += 1
    o.lines += lines
    o.lines += log_f
    o.vals += [loss] + list(ppo_agent.policy.state_dict().values())
    return ppo_agent


def ppo_discrete(L):
    with Out() as o:
        env = FakeEnv(4, n_actions=2, seed=1)
        agent = _train(L, o, False, env, max_ep_len=30, max_training_timesteps=120,
                       update_timestep=40, print_freq=60)
        agent.set_action_std(0.3)
        agent.decay_action_std(0.05, 0.1)
        agent.policy.set_action_std(0.3)
        checkpoint_path = os.path.join(tempfile.mkdtemp(), "PPO_FakeEnv_7_0.pth")
        agent.save(checkpoint_path)
        agent.load(checkpoint_path)
        o.print(sorted(agent.policy_old.state_dict().keys()))
        try:
            agent.policy()
        except NotImplementedError as e:
            o.print(type(e).__name__, repr(str(e)))
    return o.done()


def ppo_continuous(L):
    with Out() as o:
        env = FakeEnv(3, act_dim=2, seed=2, dtype=np.float64)
        agent = _train(L, o, True, env, max_ep_len=25, max_training_timesteps=100,
                       update_timestep=30, print_freq=50, action_std_decay_freq=40)
        for _ in range(12):
            agent.decay_action_std(0.05, 0.1)
        o.print(agent.policy.action_var)
    return o.done()


def ppo_continuous_1d(L):
    """A single-action environment (Pendulum-like): evaluate() reshapes the actions."""
    with Out() as o:
        env = FakeEnv(3, act_dim=1, seed=3)
        _train(L, o, True, env, max_ep_len=20, max_training_timesteps=60,
               update_timestep=25, print_freq=30, action_std_decay_freq=50)
    return o.done()


def ppo_test_py(L):
    """test.py: load the checkpoint and run the deterministic-seed policy, rendering off."""
    with Out() as o:
        PPO, _, lines = _ppo_module(L)
        L.manual_seed(3)
        env = FakeEnv(4, n_actions=3, seed=4)
        ppo_agent = PPO(4, 3, 0.0003, 0.001, 0.99, 80, 0.2, False, 0.1)
        checkpoint_path = os.path.join(tempfile.mkdtemp(), "PPO_FakeEnv_0_0.pth")
        ppo_agent.save(checkpoint_path)
        o.print("loading network from : " + "PPO_FakeEnv_0_0.pth")
        ppo_agent.load(checkpoint_path)
        test_running_reward = 0
        for ep in range(1, 4):
            ep_reward = 0
            state = env.reset()
            for t in range(1, 20):
                action = ppo_agent.select_action(state)
                state, reward, done, _ = env.step(action)
                ep_reward += reward
                if done:
                    break
            ppo_agent.buffer.clear()
            test_running_reward += ep_reward
            o.print('Episode: {} \t\t Reward: {}'.format(ep, round(ep_reward, 2)))
        avg_test_reward = test_running_reward / 3
        avg_test_reward = round(avg_test_reward, 2)
        o.print("average test reward : " + str(avg_test_reward))
        o.lines += lines
    return o.done()
