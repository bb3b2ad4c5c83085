"""labml.ai's annotated PPO and DQN (scaled down, synthetic data) as ``prog(L) -> (printed,
values)`` for tests/test_programs_s15_labml.py: PPO's ClippedPPOLoss, ClippedValueFunctionLoss,
GAE over NumPy arrays and the Trainer's minibatch loop (normalised advantages, annealed
learning rate and clip range); DQN's dueling model, prioritized replay with NumPy/list
segment trees and the double-Q Huber loss with importance weights."""

import numpy as np


def ppo(L):
    nn = L.nn
    out = []

    class ClippedPPOLoss(nn.Module):
        def forward(self, log_pi, sampled_log_pi, advantage, clip):
            ratio = L.exp(log_pi - sampled_log_pi)
            clipped_ratio = ratio.clamp(min=1.0 - clip, max=1.0 + clip)
            policy_reward = L.min(ratio * advantage, clipped_ratio * advantage)
            self.clip_fraction = (abs((ratio - 1.0)) > clip).to(L.float).mean()
            return -policy_reward.mean()

    class ClippedValueFunctionLoss(nn.Module):
        def forward(self, value, sampled_value, sampled_return, clip):
            clipped_value = sampled_value + (value - sampled_value).clamp(min=-clip, max=clip)
            vf_loss = L.max((value - sampled_return) ** 2, (clipped_value - sampled_return) ** 2)
            return 0.5 * vf_loss.mean()

    class GAE:
        def __init__(self, n_workers, worker_steps, gamma, lambda_):
            self.lambda_ = lambda_; self.gamma = gamma
            self.worker_steps = worker_steps; self.n_workers = n_workers
        def __call__(self, done, rewards, values):
            advantages = np.zeros((self.n_workers, self.worker_steps), dtype=np.float32)
            last_advantage = 0
            last_value = values[:, -1]
            for t in reversed(range(self.worker_steps)):
                mask = 1.0 - done[:, t]
                last_value = last_value * mask
                last_advantage = last_advantage * mask
                delta = rewards[:, t] + self.gamma * last_value - values[:, t]
                last_advantage = delta + self.gamma * self.lambda_ * last_advantage
                advantages[:, t] = last_advantage
                last_value = values[:, t]
            return advantages

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, kernel_size=3, stride=2)
            self.lin = nn.Linear(4 * 3 * 3, 16)
            self.pi_logits = nn.Linear(16, 4)
            self.value = nn.Linear(16, 1)
            self.activation = nn.ReLU()
        def forward(self, obs):
            h = self.activation(self.conv1(obs))
            h = h.reshape((-1, 4 * 3 * 3))
            h = self.activation(self.lin(h))
            pi = L.distributions.Categorical(logits=self.pi_logits(h))
            value = self.value(h).reshape(-1)
            return pi, value

    L.manual_seed(0)
    model = Model()
    out.append(repr(model))
    n_workers, worker_steps = 2, 8
    gae = GAE(n_workers, worker_steps, 0.99, 0.95)
    rng = np.random.default_rng(0)
    opt = L.optim.Adam(model.parameters(), lr=2.5e-4)
    ppo_loss = ClippedPPOLoss(); value_loss = ClippedValueFunctionLoss()
    def obs_to_torch(obs):
        return L.tensor(obs, dtype=L.float32) / 255.
    vals = []
    for update in range(3):
        progress = update / 3
        learning_rate = 2.5e-4 * (1 - progress)
        clip_range = 0.1 * (1 - progress)
        obs = rng.integers(0, 256, size=(n_workers, worker_steps, 1, 7, 7), dtype=np.uint8)
        rewards = rng.standard_normal((n_workers, worker_steps)).astype(np.float32)
        done = (rng.random((n_workers, worker_steps)) < 0.2)
        actions = np.zeros((n_workers, worker_steps), dtype=np.int32)
        values = np.zeros((n_workers, worker_steps + 1), dtype=np.float32)
        log_pis = np.zeros((n_workers, worker_steps), dtype=np.float32)
        with L.no_grad():
            for t in range(worker_steps):
                pi, v = model(obs_to_torch(obs[:, t]))
                values[:, t] = v.cpu().numpy()
                a = pi.sample()
                actions[:, t] = a.cpu().numpy()
                log_pis[:, t] = pi.log_prob(a).cpu().numpy()
            _, v = model(obs_to_torch(obs[:, -1]))
            values[:, worker_steps] = v.cpu().numpy()
        advantages = gae(done, rewards, values)
        samples = {'obs': obs, 'actions': actions, 'values': values[:, :-1],
                   'log_pis': log_pis, 'advantages': advantages}
        samples_flat = {}
        for k, v in samples.items():
            v = v.reshape(v.shape[0] * v.shape[1], *v.shape[2:])
            if k == 'obs':
                samples_flat[k] = obs_to_torch(v)
            else:
                samples_flat[k] = L.tensor(v)
        if update == 0:
            out.append(str({k: (v.dtype, tuple(v.shape)) for k, v in samples_flat.items()}))
        for pg in opt.param_groups:
            pg['lr'] = learning_rate
        for _ in range(2):
            indexes = L.randperm(16)
            for start in range(0, 16, 8):
                mb_idx = indexes[start:start + 8]
                mb = {k: v[mb_idx] for k, v in samples_flat.items()}
                sampled_return = mb['values'] + mb['advantages']
                def _normalize(adv):
                    return (adv - adv.mean()) / (adv.std() + 1e-8)
                sampled_normalized_advantage = _normalize(mb['advantages'])
                pi, value = model(mb['obs'])
                log_pi = pi.log_prob(mb['actions'])
                policy_loss = ppo_loss(log_pi, mb['log_pis'], sampled_normalized_advantage,
                                       clip_range)
                entropy_bonus = pi.entropy().mean()
                vf_loss = value_loss(value, mb['values'], sampled_return, clip_range)
                loss = (policy_loss + 0.5 * vf_loss - 0.01 * entropy_bonus)
                opt.zero_grad()
                loss.backward()
                L.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
                opt.step()
                approx_kl_divergence = .5 * ((mb['log_pis'] - log_pi) ** 2).mean()
                out.append((str(loss.dtype), str(loss.shape), str(ppo_loss.clip_fraction.dtype),
                            log_pi.dtype == L.float32, str(mb['actions'].dtype)))
                vals.append([loss.item(), policy_loss.item(), vf_loss.item(), entropy_bonus.item(),
                             approx_kl_divergence.item(), ppo_loss.clip_fraction.item()])
        vals.append(advantages); vals.append(actions.copy())
    out.append(str(opt.param_groups[0]['lr']))
    vals.append([p.detach().numpy().copy() for p in model.parameters()][0])
    return out, vals


def dqn(L):
    nn = L.nn
    out, vals = [], []

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Sequential(nn.Conv2d(2, 4, kernel_size=3, stride=2), nn.ReLU(),
                                      nn.Conv2d(4, 8, kernel_size=2, stride=1), nn.ReLU())
            self.lin = nn.Linear(in_features=8 * 2 * 2, out_features=16)
            self.activation = nn.ReLU()
            self.state_value = nn.Sequential(nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 1))
            self.action_value = nn.Sequential(nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 3))
        def forward(self, obs):
            h = self.conv(obs)
            h = h.reshape((-1, 8 * 2 * 2))
            h = self.activation(self.lin(h))
            action_value = self.action_value(h)
            state_value = self.state_value(h)
            action_score_centered = action_value - action_value.mean(dim=-1, keepdim=True)
            q = state_value + action_score_centered
            return q

    class ReplayBuffer:
        def __init__(self, capacity, alpha):
            self.capacity = capacity; self.alpha = alpha
            self.priority_sum = [0 for _ in range(2 * self.capacity)]
            self.priority_min = [float('inf') for _ in range(2 * self.capacity)]
            self.max_priority = 1.
            self.data = {'obs': np.zeros(shape=(capacity, 2, 8, 8), dtype=np.uint8),
                         'action': np.zeros(shape=capacity, dtype=np.int32),
                         'reward': np.zeros(shape=capacity, dtype=np.float32),
                         'next_obs': np.zeros(shape=(capacity, 2, 8, 8), dtype=np.uint8),
                         'done': np.zeros(shape=capacity, dtype=bool)}
            self.next_idx = 0; self.size = 0
        def add(self, obs, action, reward, next_obs, done):
            idx = self.next_idx
            self.data['obs'][idx] = obs; self.data['action'][idx] = action
            self.data['reward'][idx] = reward; self.data['next_obs'][idx] = next_obs
            self.data['done'][idx] = done
            self.next_idx = (idx + 1) % self.capacity
            self.size = min(self.capacity, self.size + 1)
            priority_alpha = self.max_priority ** self.alpha
            self._set_priority_min(idx, priority_alpha)
            self._set_priority_sum(idx, priority_alpha)
        def _set_priority_min(self, idx, priority_alpha):
            idx += self.capacity
            self.priority_min[idx] = priority_alpha
            while idx >= 2:
                idx //= 2
                self.priority_min[idx] = min(self.priority_min[2 * idx],
                                             self.priority_min[2 * idx + 1])
        def _set_priority_sum(self, idx, priority):
            idx += self.capacity
            self.priority_sum[idx] = priority
            while idx >= 2:
                idx //= 2
                self.priority_sum[idx] = self.priority_sum[2 * idx] + self.priority_sum[2 * idx + 1]
        def _sum(self): return self.priority_sum[1]
        def _min(self): return self.priority_min[1]
        def find_prefix_sum_idx(self, prefix_sum):
            idx = 1
            while idx < self.capacity:
                if self.priority_sum[idx * 2] > prefix_sum:
                    idx = 2 * idx
                else:
                    prefix_sum -= self.priority_sum[idx * 2]
                    idx = 2 * idx + 1
            return idx - self.capacity
        def sample(self, batch_size, beta, rng):
            samples = {'weights': np.zeros(shape=batch_size, dtype=np.float32),
                       'indexes': np.zeros(shape=batch_size, dtype=np.int32)}
            for i in range(batch_size):
                p = rng.random() * self._sum()
                idx = self.find_prefix_sum_idx(p)
                samples['indexes'][i] = idx
            prob_min = self._min() / self._sum()
            max_weight = (prob_min * self.size) ** (-beta)
            for i in range(batch_size):
                idx = samples['indexes'][i]
                prob = self.priority_sum[idx + self.capacity] / self._sum()
                weight = (prob * self.size) ** (-beta)
                samples['weights'][i] = weight / max_weight
            for k, v in self.data.items():
                samples[k] = v[samples['indexes']]
            return samples
        def update_priorities(self, indexes, priorities):
            for idx, priority in zip(indexes, priorities):
                self.max_priority = max(self.max_priority, priority)
                priority_alpha = priority ** self.alpha
                self._set_priority_min(idx, priority_alpha)
                self._set_priority_sum(idx, priority_alpha)

    class QFuncLoss(nn.Module):
        def __init__(self, gamma):
            super().__init__()
            self.gamma = gamma
            self.huber_loss = nn.SmoothL1Loss(reduction='none')
        def forward(self, q, action, double_q, target_q, done, reward, weights):
            q_sampled_action = q.gather(-1, action.to(L.long).unsqueeze(-1)).squeeze(-1)
            with L.no_grad():
                best_next_action = L.argmax(double_q, -1)
                best_next_q_value = target_q.gather(-1, best_next_action.unsqueeze(-1)).squeeze(-1)
                q_update = reward + self.gamma * best_next_q_value * (1 - done)
                td_error = q_sampled_action - q_update
            losses = self.huber_loss(q_sampled_action, q_update)
            loss = L.mean(weights * losses)
            return td_error, loss

    L.manual_seed(1)
    model = Model(); target_model = Model()
    target_model.load_state_dict(model.state_dict())
    out.append(repr(model))
    rng = np.random.default_rng(3)
    buf = ReplayBuffer(16, 0.6)
    for i in range(20):
        buf.add(rng.integers(0, 256, (2, 8, 8), dtype=np.uint8), int(rng.integers(3)),
                float(rng.standard_normal()),
                rng.integers(0, 256, (2, 8, 8), dtype=np.uint8), bool(rng.random() < 0.1))
    loss_func = QFuncLoss(0.99)
    optimizer = L.optim.Adam(model.parameters(), lr=1e-3)
    def obs_to_torch(obs):
        return L.tensor(obs, dtype=L.float32) / 255.
    with L.no_grad():
        q_value = model(obs_to_torch(buf.data['obs'][:4]))
        out.append(repr(q_value.shape)); out.append(str(q_value.dtype))
        action = L.argmax(q_value, dim=-1).cpu().numpy()
        out.append(repr(action.dtype))
        eps = 0.1
        rand = np.random.default_rng(0).random(action.shape)
        random_action = np.random.default_rng(1).integers(0, 3, action.shape)
        actions = np.where(rand < eps, random_action, action)
        out.append(repr(actions))
    for update in range(4):
        beta = 0.4 + 0.2 * update
        samples = buf.sample(8, beta, rng)
        with L.no_grad():
            q_value = model(obs_to_torch(samples['next_obs']))
            double_q_value = target_model(obs_to_torch(samples['next_obs']))
        q_value = model(obs_to_torch(samples['obs']))
        td_errors, loss = loss_func(q_value, q_value.new_tensor(samples['action']), double_q_value,
                                    double_q_value,  # target
                                    L.tensor(samples['done'], dtype=L.float32),
                                    L.tensor(samples['reward'], dtype=L.float32),
                                    L.tensor(samples['weights'], dtype=L.float32))
        new_priorities = np.abs(td_errors.cpu().numpy()) + 1e-6
        buf.update_priorities(samples['indexes'], new_priorities)
        out.append(repr(type(new_priorities[0])))
        optimizer.zero_grad()
        loss.backward()
        L.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
        optimizer.step()
        out.append(str(samples['indexes'].tolist()))
        vals.append(loss.item()); vals.append(td_errors.numpy()); vals.append(samples['weights'])
        out.append((str(td_errors.dtype), str(loss.grad_fn.__class__.__name__),
                    str(q_value.new_tensor(samples['action']).dtype)))
    target_model.load_state_dict(model.state_dict())
    vals.append(list(buf.priority_sum))
    return out, vals
