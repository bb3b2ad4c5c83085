"""marlbenchmark/on-policy (MAPPO) as users type it, part 3: the runner's collect / insert /
compute loop over a SharedReplayBuffer-shaped NumPy store (utils/shared_buffer.py's
compute_returns with GAE through the value normaliser, feed_forward_generator and
naive_recurrent_generator) and R_MAPPO.train, on fake multi-agent rollouts (seeded NumPy
observations, rewards and episode ends) instead of the SMAC / MPE environments."""

import numpy as np
from s16_yunjey_progs import Out
from s22_rl2_progs_b import Box, Discrete, MultiDiscrete, _agents, mappo_args


def _t2n(x):
    return x.detach().cpu().numpy()


def _flatten(T, N, x):
    return x.reshape(T * N, *x.shape[2:])


class SharedReplayBuffer:
    def __init__(self, args, T, E, A, od, sd, act_shape, n_avail):
        self.episode_length, self.gamma, self.gae_lambda = T, args.gamma, args.gae_lambda
        self._use_popart, self._use_valuenorm = args.use_popart, args.use_valuenorm
        H, rN = args.hidden_size, args.recurrent_N
        f = np.float32
        self.share_obs = np.zeros((T + 1, E, A, sd), dtype=f)
        self.obs = np.zeros((T + 1, E, A, od), dtype=f)
        self.rnn_states = np.zeros((T + 1, E, A, rN, H), dtype=f)
        self.rnn_states_critic = np.zeros_like(self.rnn_states)
        self.value_preds = np.zeros((T + 1, E, A, 1), dtype=f)
        self.returns = np.zeros_like(self.value_preds)
        self.available_actions = np.ones((T + 1, E, A, n_avail), dtype=f) if n_avail else None
        self.actions = np.zeros((T, E, A, act_shape), dtype=f)
        self.action_log_probs = np.zeros((T, E, A, act_shape), dtype=f)
        self.rewards = np.zeros((T, E, A, 1), dtype=f)
        self.masks = np.ones((T + 1, E, A, 1), dtype=f)
        self.active_masks = np.ones_like(self.masks)
        self.step = 0

    def insert(self, share_obs, obs, rnn_states, rnn_states_critic, actions, action_log_probs,
               value_preds, rewards, masks, active_masks=None, available_actions=None):
        self.share_obs[self.step + 1] = share_obs.copy()
        self.obs[self.step + 1] = obs.copy()
        self.rnn_states[self.step + 1] = rnn_states.copy()
        self.rnn_states_critic[self.step + 1] = rnn_states_critic.copy()
        self.actions[self.step] = actions.copy()
        self.action_log_probs[self.step] = action_log_probs.copy()
        self.value_preds[self.step] = value_preds.copy()
        self.rewards[self.step] = rewards.copy()
        self.masks[self.step + 1] = masks.copy()
        if active_masks is not None:
            self.active_masks[self.step + 1] = active_masks.copy()
        if available_actions is not None:
            self.available_actions[self.step + 1] = available_actions.copy()
        self.step = (self.step + 1) % self.episode_length

    def after_update(self):
        for a in ('share_obs', 'obs', 'rnn_states', 'rnn_states_critic', 'masks', 'active_masks'):
            getattr(self, a)[0] = getattr(self, a)[-1].copy()
        if self.available_actions is not None:
            self.available_actions[0] = self.available_actions[-1].copy()

    def compute_returns(self, next_value, value_normalizer=None):
        self.value_preds[-1] = next_value
        gae = 0
        for step in reversed(range(self.rewards.shape[0])):
            if self._use_popart or self._use_valuenorm:
                delta = self.rewards[step] + self.gamma * value_normalizer.denormalize(
                    self.value_preds[step + 1]) * self.masks[step + 1] \
                    - value_normalizer.denormalize(self.value_preds[step])
                gae = delta + self.gamma * self.gae_lambda * self.masks[step + 1] * gae
                gae = gae * self.active_masks[step + 1]
                self.returns[step] = gae + value_normalizer.denormalize(self.value_preds[step])
            else:
                delta = self.rewards[step] + self.gamma * self.value_preds[step + 1] * self.masks[step + 1] - \
                    self.value_preds[step]
                gae = delta + self.gamma * self.gae_lambda * self.masks[step + 1] * gae
                gae = gae * self.active_masks[step + 1]
                self.returns[step] = gae + self.value_preds[step]

    def _all(self, advantages):
        return [self.share_obs, self.obs, self.rnn_states, self.rnn_states_critic, self.actions,
                self.value_preds, self.returns, self.masks, self.active_masks,
                self.action_log_probs, advantages, self.available_actions]

    def feed_forward_generator(self, torch, advantages, num_mini_batch):
        episode_length, n_rollout_threads, num_agents = self.rewards.shape[0:3]
        batch_size = n_rollout_threads * episode_length * num_agents
        mini_batch_size = batch_size // num_mini_batch
        rand = torch.randperm(batch_size).numpy()
        sampler = [rand[i * mini_batch_size:(i + 1) * mini_batch_size] for i in range(num_mini_batch)]
        flat = []
        for k, x in enumerate(self._all(advantages)):
            if x is None:
                flat.append(None)
            else:
                x = x[:episode_length]
                flat.append(x.reshape(-1, *x.shape[3:]))
        for indices in sampler:
            yield tuple(None if x is None else x[indices] for x in flat)

    def naive_recurrent_generator(self, torch, advantages, num_mini_batch):
        episode_length, n_rollout_threads, num_agents = self.rewards.shape[0:3]
        batch_size = n_rollout_threads * num_agents
        num_envs_per_batch = batch_size // num_mini_batch
        perm = torch.randperm(batch_size).numpy()
        data = [None if x is None else x.reshape(-1, batch_size, *x.shape[3:])
                for x in self._all(advantages)]
        for start_ind in range(0, batch_size, num_envs_per_batch):
            out = [[] for _ in data]
            for offset in range(num_envs_per_batch):
                ind = perm[start_ind + offset]
                for k, x in enumerate(data):
                    if x is None:
                        continue
                    if k in (2, 3):
                        out[k].append(x[0:1, ind])
                    else:
                        out[k].append(x[:episode_length, ind])
            T, N = self.episode_length, num_envs_per_batch
            batch = []
            for k, x in enumerate(out):
                if data[k] is None:
                    batch.append(None)
                elif k in (2, 3):
                    batch.append(np.stack(x).reshape(N, *data[k].shape[2:]))
                else:
                    batch.append(_flatten(T, N, np.stack(x, 1)))
            yield tuple(batch)


def train(torch, trainer, buffer, recurrent):
    """r_mappo.py R_MAPPO.train."""
    if trainer._use_popart or trainer._use_valuenorm:
        advantages = buffer.returns[:-1] - trainer.value_normalizer.denormalize(buffer.value_preds[:-1])
    else:
        advantages = buffer.returns[:-1] - buffer.value_preds[:-1]
    advantages_copy = advantages.copy()
    advantages_copy[buffer.active_masks[:-1] == 0.0] = np.nan
    mean_advantages = np.nanmean(advantages_copy)
    std_advantages = np.nanstd(advantages_copy)
    advantages = (advantages - mean_advantages) / (std_advantages + 1e-5)
    train_info = {}
    for k in ('value_loss', 'policy_loss', 'dist_entropy', 'actor_grad_norm', 'critic_grad_norm', 'ratio'):
        train_info[k] = 0
    for _ in range(trainer.ppo_epoch):
        if recurrent:
            data_generator = buffer.naive_recurrent_generator(torch, advantages, trainer.num_mini_batch)
        else:
            data_generator = buffer.feed_forward_generator(torch, advantages, trainer.num_mini_batch)
        for sample in data_generator:
            value_loss, critic_grad_norm, policy_loss, dist_entropy, actor_grad_norm, imp_weights \
                = trainer.ppo_update(sample)
            train_info['value_loss'] += value_loss.item()
            train_info['policy_loss'] += policy_loss.item()
            train_info['dist_entropy'] += dist_entropy.item()
            train_info['actor_grad_norm'] += actor_grad_norm
            train_info['critic_grad_norm'] += critic_grad_norm
            train_info['ratio'] += imp_weights.mean()
    num_updates = trainer.ppo_epoch * trainer.num_mini_batch
    for k in train_info.keys():
        train_info[k] /= num_updates
    return train_info


def _run(L, o, args, act_space, act_shape, n_avail, episodes=2, T=4, E=2, A=2, od=5, sd=7, seed=0):
    torch = L
    torch.manual_seed(seed)
    rng = np.random.RandomState(seed)
    m = _agents(L)
    policy = m.R_MAPPOPolicy(args, (od,), (sd,), act_space)
    trainer = m.R_MAPPO(args, policy)
    buffer = SharedReplayBuffer(args, T, E, A, od, sd, act_shape, n_avail)
    buffer.obs[0] = rng.standard_normal((E, A, od)).astype(np.float32)
    buffer.share_obs[0] = rng.standard_normal((E, A, sd)).astype(np.float32)
    recurrent = args.use_naive_recurrent_policy or args.use_recurrent_policy
    for episode in range(episodes):
        policy.lr_decay(episode, episodes)
        for step in range(T):
            policy.actor.eval()
            policy.critic.eval()
            avail = None if buffer.available_actions is None else \
                np.concatenate(buffer.available_actions[step])
            value, action, action_log_prob, rnn_states, rnn_states_critic = policy.get_actions(
                np.concatenate(buffer.share_obs[step]), np.concatenate(buffer.obs[step]),
                np.concatenate(buffer.rnn_states[step]), np.concatenate(buffer.rnn_states_critic[step]),
                np.concatenate(buffer.masks[step]), avail)
            values = np.array(np.split(_t2n(value), E))
            actions = np.array(np.split(_t2n(action), E))
            action_log_probs = np.array(np.split(_t2n(action_log_prob), E))
            rnn_states = np.array(np.split(_t2n(rnn_states), E))
            rnn_states_critic = np.array(np.split(_t2n(rnn_states_critic), E))
            obs = rng.standard_normal((E, A, od)).astype(np.float32)
            share_obs = rng.standard_normal((E, A, sd)).astype(np.float32)
            rewards = rng.standard_normal((E, A, 1)).round(2).astype(np.float32)
            dones = rng.random_sample((E, A)) < 0.2
            rnn_states[dones == True] = np.zeros(((dones == True).sum(), args.recurrent_N, args.hidden_size), dtype=np.float32)
            rnn_states_critic[dones == True] = np.zeros(((dones == True).sum(), *buffer.rnn_states_critic.shape[3:]), dtype=np.float32)
            masks = np.ones((E, A, 1), dtype=np.float32)
            masks[dones == True] = np.zeros(((dones == True).sum(), 1), dtype=np.float32)
            active_masks = np.ones((E, A, 1), dtype=np.float32)
            active_masks[dones == True] = np.zeros(((dones == True).sum(), 1), dtype=np.float32)
            available_actions = None
            if n_avail:
                available_actions = (rng.random_sample((E, A, n_avail)) < 0.7).astype(np.float32)
                available_actions[..., 0] = 1
            buffer.insert(share_obs, obs, rnn_states, rnn_states_critic, actions, action_log_probs,
                          values, rewards, masks, active_masks, available_actions)
        policy.actor.eval()
        policy.critic.eval()
        next_values = policy.get_values(np.concatenate(buffer.share_obs[-1]),
                                        np.concatenate(buffer.rnn_states_critic[-1]),
                                        np.concatenate(buffer.masks[-1]))
        next_values = np.array(np.split(_t2n(next_values), E))
        buffer.compute_returns(next_values, trainer.value_normalizer)
        policy.actor.train()
        policy.critic.train()
        train_info = train(torch, trainer, buffer, recurrent)
        buffer.after_update()
        o.print(episode, {k: (round(float(v), 4), type(v).__name__) for k, v in train_info.items()})
        o.print(actions.dtype, actions.shape, values.shape, rnn_states.shape,
                policy.actor_optimizer.param_groups[0]['lr'])
        o.vals += [float(train_info['value_loss']), float(train_info['policy_loss']),
                   float(train_info['actor_grad_norm']), float(train_info['critic_grad_norm'])]
    o.vals += [p.detach().clone() for p in policy.actor.parameters()]
    o.vals += [p.detach().clone() for p in policy.critic.parameters()]
    o.vals += [buffer.returns.copy()]
    return policy, trainer


def mappo_discrete_ff(L):
    """MLP actor / critic, Discrete(3) with available-action masks, ValueNorm, Huber and
    clipped value loss, active masks, clip_grad_norm_, lr_decay; feed-forward minibatches."""
    with Out() as o:
        _, trainer = _run(L, o, mappo_args(), Discrete(3), 1, 3)
        vn = trainer.value_normalizer
        o.print([n for n, _ in vn.named_parameters()], vn.debiasing_term.requires_grad)
        o.vals += [vn.running_mean.detach().clone(), vn.running_mean_sq.detach().clone()]
    return o.done()


def mappo_box_rnn(L):
    """Naive recurrent (GRU with masks in RNNLayer) actor / critic, Box(2) actions through
    DiagGaussian + AddBias, MSE value loss without the normaliser, get_gard_norm."""
    args = mappo_args(use_naive_recurrent_policy=True, use_valuenorm=False,
                      use_huber_loss=False, use_max_grad_norm=False,
                      use_policy_active_masks=False, use_feature_normalization=False)
    with Out() as o:
        _run(L, o, args, Box((2,)), 2, 0, seed=3)
    return o.done()


def mappo_multidiscrete(L):
    """MultiDiscrete([2, 3]) actions (entropy gathered with torch.tensor(list).mean()),
    ReLU off (Tanh MLP), xavier init, recurrent_N=2 GRU."""
    args = mappo_args(use_orthogonal=False, use_ReLU=False, use_naive_recurrent_policy=True,
                      recurrent_N=2, layer_N=2)
    with Out() as o:
        _run(L, o, args, MultiDiscrete([1, 2]), 2, 0, episodes=1, seed=5)
    return o.done()


def mappo_parts(L):
    """The helpers alone: huber_loss / mse_loss against F.huber_loss, ValueNorm with
    per_element_update and its NumPy denormalize, PopArt as the critic's head (its update
    re-assigns Parameters with plain tensors: PyTorch's TypeError), FixedCategorical.mode and
    log_probs, AddBias on 4-d input, get_gard_norm skipping missing grads."""
    torch, F = L, L.nn.functional
    torch.manual_seed(7)
    rng = np.random.RandomState(7)
    m = _agents(L)
    u = m.u
    with Out() as o:
        e = torch.from_numpy(rng.standard_normal((6, 1)).astype(np.float32) * 3)
        h = u.huber_loss(e, 2.0)
        o.print(h.dtype, h.shape, u.mse_loss(e).sum().item() > 0)
        o.vals += [h, u.mse_loss(e), F.huber_loss(e, torch.zeros_like(e), reduction='none', delta=2.0)]
        vn = u.ValueNorm(1, per_element_update=True, beta=0.99)
        for _ in range(3):
            vn.update(rng.standard_normal((5, 1)).astype(np.float32) + 2)
        mean, var = vn.running_mean_var()
        d = vn.denormalize(np.ones((2, 3, 1), dtype=np.float32))
        o.print(type(d).__name__, d.dtype, d.shape, mean.requires_grad, len(list(vn.parameters())))
        o.vals += [mean, var, d, vn.normalize(torch.ones(4, 1))]
        args = mappo_args(use_popart=True, use_valuenorm=False)
        policy = m.R_MAPPOPolicy(args, (5,), (7,), Discrete(3))
        head = policy.critic.v_out
        o.print(type(head).__name__, [n for n, _ in head.named_parameters()],
                [p.requires_grad for p in head.parameters()])
        v, _ = policy.critic(rng.standard_normal((4, 7)).astype(np.float32),
                             np.zeros((4, 1, 16), dtype=np.float32), np.ones((4, 1), dtype=np.float32))
        o.print(v.shape, v.grad_fn is not None)
        o.vals += [v, head.normalize(np.ones((3, 1), dtype=np.float32)), head.denormalize(v.detach())]
        trainer = m.R_MAPPO(args, policy)
        o.tryit(lambda: trainer.value_normalizer.update(torch.ones(4, 1)))
        o.print(head.debiasing_term.item() > 0, float(head.mean))
        cat = u.Categorical(6, 4)
        x = torch.randn(5, 6)
        avail = torch.tensor([[1, 1, 0, 1]] * 5, dtype=torch.float32)
        dist = cat(x, avail)
        a = dist.sample()
        o.print(a.shape, a.dtype, dist.mode().view(-1).tolist(), dist.log_probs(a).shape)
        o.vals += [dist.probs, dist.log_probs(a), dist.entropy()]
        ab = u.AddBias(torch.arange(3.))
        o.vals += [ab(torch.zeros(2, 3)), ab(torch.zeros(1, 3, 2, 2))]
        net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 1))
        net[1](torch.ones(1, 2)).sum().backward()
        gn = u.get_gard_norm(net.parameters())
        o.print(type(gn).__name__, round(gn, 5))
    return o.done()
