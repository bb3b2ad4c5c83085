"""rainbow-is-all-you-need 01_dqn.py, 02_double_q.py, 03_per.py, 04_dueling.py: the DQNAgent
(select_action / step / update_model / _compute_dqn_loss / _target_hard_update / train /
test) as the notebooks write it, _plot printing its titles instead of drawing. See
tests/s20_rainbowall_progs.py."""

import numpy as np
from s16_yunjey_progs import Out
from s20_rainbowall_progs import CartPole, PrioritizedReplayBuffer, ReplayBuffer, seed_all

NUM_FRAMES, MEMORY, BATCH, TARGET_UPDATE, PLOT_EVERY = 90, 64, 16, 15, 30
# Prioritized replay feeds the elementwise TD losses back as sampling weights: a TD error is a
# difference of near-equal Q values, so BLAS's last bits (OpenBLAS here, MKL in PyTorch;
# parameters agree to 2e-7) show up 1e-5 relative in the losses after ~50 updates. The PER
# programs stop at 30 updates.
PER_FRAMES = 46


def dqn_classes(torch, out, dueling=False):
    """01's Network (04's dueling one when asked) and DQNAgent."""
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim

    class Network(nn.Module):
        def __init__(self, in_dim: int, out_dim: int):
            super(Network, self).__init__()
            self.layers = nn.Sequential(
                nn.Linear(in_dim, 128), nn.ReLU(),
                nn.Linear(128, 128), nn.ReLU(),
                nn.Linear(128, out_dim))

        def forward(self, x):
            return self.layers(x)

    class DuelingNetwork(nn.Module):
        def __init__(self, in_dim: int, out_dim: int):
            super(DuelingNetwork, self).__init__()
            self.feature_layer = nn.Sequential(nn.Linear(in_dim, 128), nn.ReLU())
            self.advantage_layer = nn.Sequential(
                nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, out_dim))
            self.value_layer = nn.Sequential(nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 1))

        def forward(self, x):
            feature = self.feature_layer(x)
            value = self.value_layer(feature)
            advantage = self.advantage_layer(feature)
            q = value + advantage - advantage.mean(dim=-1, keepdim=True)
            return q

    class DQNAgent:
        def __init__(self, env, memory_size, batch_size, target_update, epsilon_decay, seed,
                     max_epsilon=1.0, min_epsilon=0.1, gamma=0.99):
            obs_dim = env.observation_space.shape[0]
            action_dim = env.action_space.n
            self.env = env
            self.memory = ReplayBuffer(obs_dim, memory_size, batch_size)
            self.batch_size = batch_size
            self.epsilon = max_epsilon
            self.epsilon_decay = epsilon_decay
            self.seed = seed
            self.max_epsilon = max_epsilon
            self.min_epsilon = min_epsilon
            self.target_update = target_update
            self.gamma = gamma
            self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
            out.print(self.device)
            net = DuelingNetwork if dueling else Network
            self.dqn = net(obs_dim, action_dim).to(self.device)
            self.dqn_target = net(obs_dim, action_dim).to(self.device)
            self.dqn_target.load_state_dict(self.dqn.state_dict())
            self.dqn_target.eval()
            self.optimizer = optim.Adam(self.dqn.parameters())
            self.transition = list()
            self.is_test = False

        def select_action(self, state: np.ndarray) -> np.ndarray:
            if self.epsilon > np.random.random():
                selected_action = self.env.action_space.sample()
            else:
                selected_action = self.dqn(torch.FloatTensor(state).to(self.device)).argmax()
                selected_action = selected_action.detach().cpu().numpy()
            if not self.is_test:
                self.transition = [state, selected_action]
            return selected_action

        def step(self, action):
            next_state, reward, terminated, truncated, _ = self.env.step(action)
            done = terminated or truncated
            if not self.is_test:
                self.transition += [reward, next_state, done]
                self.memory.store(*self.transition)
            return next_state, reward, done

        def update_model(self):
            samples = self.memory.sample_batch()
            loss = self._compute_dqn_loss(samples)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            return loss.item()

        def train(self, num_frames: int, plotting_interval: int = 200):
            self.is_test = False
            state, _ = self.env.reset(seed=self.seed)
            update_cnt = 0
            epsilons, losses, scores = [], [], []
            score = 0
            for frame_idx in range(1, num_frames + 1):
                action = self.select_action(state)
                next_state, reward, done = self.step(action)
                state = next_state
                score += reward
                self._after_step(frame_idx, num_frames)
                if done:
                    state, _ = self.env.reset(seed=self.seed)
                    scores.append(score)
                    score = 0
                if len(self.memory) >= self.batch_size:
                    loss = self.update_model()
                    losses.append(loss)
                    update_cnt += 1
                    self.epsilon = max(
                        self.min_epsilon, self.epsilon - (
                            self.max_epsilon - self.min_epsilon) * self.epsilon_decay)
                    epsilons.append(self.epsilon)
                    if update_cnt % self.target_update == 0:
                        self._target_hard_update()
                if frame_idx % plotting_interval == 0:
                    self._plot(frame_idx, scores, losses, epsilons)
            self.env.close()
            return losses, scores

        def _after_step(self, frame_idx, num_frames):
            pass

        def test(self):
            self.is_test = True
            state, _ = self.env.reset(seed=self.seed)
            done = False
            score = 0
            while not done:
                action = self.select_action(state)
                next_state, reward, done = self.step(action)
                state = next_state
                score += reward
            out.print("score: ", score)
            self.env.close()
            return score

        def _compute_dqn_loss(self, samples):
            device = self.device
            state = torch.FloatTensor(samples["obs"]).to(device)
            next_state = torch.FloatTensor(samples["next_obs"]).to(device)
            action = torch.LongTensor(samples["acts"].reshape(-1, 1)).to(device)
            reward = torch.FloatTensor(samples["rews"].reshape(-1, 1)).to(device)
            done = torch.FloatTensor(samples["done"].reshape(-1, 1)).to(device)
            curr_q_value = self.dqn(state).gather(1, action)
            next_q_value = self.dqn_target(next_state).max(dim=1, keepdim=True)[0].detach()
            mask = 1 - done
            target = (reward + self.gamma * next_q_value * mask).to(self.device)
            loss = F.smooth_l1_loss(curr_q_value, target)
            return loss

        def _target_hard_update(self):
            self.dqn_target.load_state_dict(self.dqn.state_dict())

        def _plot(self, frame_idx, scores, losses, epsilons):
            out.print("frame %s. score: %s" % (frame_idx, np.mean(scores[-10:])))
            out.print("loss %.4f" % losses[-1] if losses else "loss -")
            out.print("epsilons %.4f" % epsilons[-1] if epsilons else "epsilons -")

    return DQNAgent


def _finish(out, agent, losses, scores, params=True):
    """The losses and scores printed and returned; the trained parameters returned unless the
    program's gradients have entries near Adam's eps (see C51_FRAMES's note)."""
    out.print("losses:", " ".join("%.4f" % v for v in losses[-5:]))
    out.print("scores:", scores)
    out.vals += [np.array(losses, dtype=np.float64)]
    if not params:
        return out.done()
    out.vals += [p.detach() for p in agent.dqn.state_dict().values()]
    out.vals += [p.detach() for p in agent.dqn_target.parameters()]
    return out.done()


def dqn(torch):
    """01_dqn.py."""
    with Out() as out:
        seed = seed_all(torch)
        env = CartPole()
        DQNAgent = dqn_classes(torch, out)
        agent = DQNAgent(env, MEMORY, BATCH, TARGET_UPDATE, 1 / 50, seed)
        losses, scores = agent.train(NUM_FRAMES, PLOT_EVERY)
        out.print(agent.dqn)
        agent.test()
    return _finish(out, agent, losses, scores)


def double_q(torch):
    """02_double_q.py: the target's Q at the online network's argmax action."""
    F = torch.nn.functional
    with Out() as out:
        seed = seed_all(torch)
        env = CartPole()
        Base = dqn_classes(torch, out)

        class DQNAgent(Base):
            def _compute_dqn_loss(self, samples):
                device = self.device
                state = torch.FloatTensor(samples["obs"]).to(device)
                next_state = torch.FloatTensor(samples["next_obs"]).to(device)
                action = torch.LongTensor(samples["acts"].reshape(-1, 1)).to(device)
                reward = torch.FloatTensor(samples["rews"].reshape(-1, 1)).to(device)
                done = torch.FloatTensor(samples["done"].reshape(-1, 1)).to(device)
                curr_q_value = self.dqn(state).gather(1, action)
                next_q_value = self.dqn_target(next_state).gather(
                    1, self.dqn(next_state).argmax(dim=1, keepdim=True)).detach()
                mask = 1 - done
                target = (reward + self.gamma * next_q_value * mask).to(self.device)
                loss = F.smooth_l1_loss(curr_q_value, target)
                return loss

        agent = DQNAgent(env, MEMORY, BATCH, TARGET_UPDATE, 1 / 50, seed)
        losses, scores = agent.train(NUM_FRAMES, PLOT_EVERY)
    return _finish(out, agent, losses, scores)


def per_classes(torch, out, dueling=False):
    """03_per.py's agent: PrioritizedReplayBuffer, elementwise smooth-L1 weighted, priorities
    updated from the detached losses, beta annealed. 04 adds clip_grad_norm_."""
    F = torch.nn.functional
    clip_grad_norm_ = torch.nn.utils.clip_grad_norm_
    Base = dqn_classes(torch, out, dueling)

    class DQNAgent(Base):
        def __init__(self, env, memory_size, batch_size, target_update, epsilon_decay, seed,
                     max_epsilon=1.0, min_epsilon=0.1, gamma=0.99, alpha=0.2, beta=0.6,
                     prior_eps=1e-6):
            super().__init__(env, memory_size, batch_size, target_update, epsilon_decay,
                             seed, max_epsilon, min_epsilon, gamma)
            obs_dim = env.observation_space.shape[0]
            self.beta = beta
            self.prior_eps = prior_eps
            self.memory = PrioritizedReplayBuffer(obs_dim, memory_size, batch_size, alpha)

        def update_model(self):
            samples = self.memory.sample_batch(self.beta)
            weights = torch.FloatTensor(samples["weights"].reshape(-1, 1)).to(self.device)
            indices = samples["indices"]
            elementwise_loss = self._compute_dqn_loss(samples)
            loss = torch.mean(elementwise_loss * weights)
            self.optimizer.zero_grad()
            loss.backward()
            if dueling:
                clip_grad_norm_(self.dqn.parameters(), 10.0)
            self.optimizer.step()
            loss_for_prior = elementwise_loss.detach().cpu().numpy()
            new_priorities = loss_for_prior + self.prior_eps
            self.memory.update_priorities(indices, new_priorities)
            return loss.item()

        def _after_step(self, frame_idx, num_frames):
            fraction = min(frame_idx / num_frames, 1.0)
            self.beta = self.beta + fraction * (1.0 - self.beta)

        def _compute_dqn_loss(self, samples):
            device = self.device
            state = torch.FloatTensor(samples["obs"]).to(device)
            next_state = torch.FloatTensor(samples["next_obs"]).to(device)
            action = torch.LongTensor(samples["acts"].reshape(-1, 1)).to(device)
            reward = torch.FloatTensor(samples["rews"].reshape(-1, 1)).to(device)
            done = torch.FloatTensor(samples["done"].reshape(-1, 1)).to(device)
            curr_q_value = self.dqn(state).gather(1, action)
            next_q_value = self.dqn_target(next_state).gather(
                1, self.dqn(next_state).argmax(dim=1, keepdim=True)).detach()
            mask = 1 - done
            target = (reward + self.gamma * next_q_value * mask).to(self.device)
            elementwise_loss = F.smooth_l1_loss(curr_q_value, target, reduction="none")
            return elementwise_loss

    return DQNAgent


def per(torch):
    """03_per.py."""
    with Out() as out:
        seed = seed_all(torch)
        DQNAgent = per_classes(torch, out)
        agent = DQNAgent(CartPole(), MEMORY, BATCH, TARGET_UPDATE, 1 / 50, seed)
        losses, scores = agent.train(PER_FRAMES, PLOT_EVERY)
        out.print("max_priority %.4f" % float(np.max(agent.memory.max_priority)))
        out.print("tree sum %.4f min %.6f" % (float(np.sum(agent.memory.sum_tree.sum())),
                                             float(np.min(agent.memory.min_tree.min()))))
    return _finish(out, agent, losses, scores)


def dueling(torch):
    """04_dueling.py (dueling network + clip_grad_norm_, on 03's prioritized agent as the
    notebook's later cells combine them in 08)."""
    with Out() as out:
        seed = seed_all(torch)
        DQNAgent = per_classes(torch, out, dueling=True)
        agent = DQNAgent(CartPole(), MEMORY, BATCH, TARGET_UPDATE, 1 / 50, seed)
        out.print(agent.dqn)
        losses, scores = agent.train(PER_FRAMES, PLOT_EVERY)
    return _finish(out, agent, losses, scores)
