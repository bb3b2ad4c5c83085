"""ikostrikov/pytorch-a2c-ppo-acktr-gail's storage.py (RolloutStorage) and algo/ppo.py,
algo/a2c_acktr.py (without KFAC) as in the repository, built on either library, for
tests/s17_contrl_progs_e.py's a2c_module."""


def algo_parts(L):
    torch, nn, optim = L, L.nn, L.optim
    from_sampler = L.utils.data.sampler
    BatchSampler, SubsetRandomSampler = from_sampler.BatchSampler, from_sampler.SubsetRandomSampler

    # storage.py
    def _flatten_helper(T, N, _tensor):
        return _tensor.view(T * N, *_tensor.size()[2:])

    class RolloutStorage(object):
        def __init__(self, num_steps, num_processes, obs_shape, action_space,
                     recurrent_hidden_state_size):
            self.obs = torch.zeros(num_steps + 1, num_processes, *obs_shape)
            self.recurrent_hidden_states = torch.zeros(
                num_steps + 1, num_processes, recurrent_hidden_state_size)
            self.rewards = torch.zeros(num_steps, num_processes, 1)
            self.value_preds = torch.zeros(num_steps + 1, num_processes, 1)
            self.returns = torch.zeros(num_steps + 1, num_processes, 1)
            self.action_log_probs = torch.zeros(num_steps, num_processes, 1)
            if action_space.__class__.__name__ == 'Discrete':
                action_shape = 1
            else:
                action_shape = action_space.shape[0]
            self.actions = torch.zeros(num_steps, num_processes, action_shape)
            if action_space.__class__.__name__ == 'Discrete':
                self.actions = self.actions.long()
            self.masks = torch.ones(num_steps + 1, num_processes, 1)
            self.bad_masks = torch.ones(num_steps + 1, num_processes, 1)
            self.num_steps = num_steps
            self.step = 0

        def to(self, device):
            for k in ("obs", "recurrent_hidden_states", "rewards", "value_preds", "returns",
                      "action_log_probs", "actions", "masks", "bad_masks"):
                setattr(self, k, getattr(self, k).to(device))

        def insert(self, obs, recurrent_hidden_states, actions, action_log_probs,
                   value_preds, rewards, masks, bad_masks):
            self.obs[self.step + 1].copy_(obs)
            self.recurrent_hidden_states[self.step + 1].copy_(recurrent_hidden_states)
            self.actions[self.step].copy_(actions)
            self.action_log_probs[self.step].copy_(action_log_probs)
            self.value_preds[self.step].copy_(value_preds)
            self.rewards[self.step].copy_(rewards)
            self.masks[self.step + 1].copy_(masks)
            self.bad_masks[self.step + 1].copy_(bad_masks)
            self.step = (self.step + 1) % self.num_steps

        def after_update(self):
            self.obs[0].copy_(self.obs[-1])
            self.recurrent_hidden_states[0].copy_(self.recurrent_hidden_states[-1])
            self.masks[0].copy_(self.masks[-1])
            self.bad_masks[0].copy_(self.bad_masks[-1])

        def compute_returns(self, next_value, use_gae, gamma, gae_lambda,
                            use_proper_time_limits=True):
            if use_proper_time_limits:
                if use_gae:
                    self.value_preds[-1] = next_value
                    gae = 0
                    for step in reversed(range(self.rewards.size(0))):
                        delta = self.rewards[step] + gamma * self.value_preds[
                            step + 1] * self.masks[step + 1] - self.value_preds[step]
                        gae = delta + gamma * gae_lambda * self.masks[step + 1] * gae
                        gae = gae * self.bad_masks[step + 1]
                        self.returns[step] = gae + self.value_preds[step]
                else:
                    self.returns[-1] = next_value
                    for step in reversed(range(self.rewards.size(0))):
                        self.returns[step] = (self.returns[step + 1] *
                            gamma * self.masks[step + 1] + self.rewards[step]) * self.bad_masks[step + 1] \
                            + (1 - self.bad_masks[step + 1]) * self.value_preds[step]
            else:
                if use_gae:
                    self.value_preds[-1] = next_value
                    gae = 0
                    for step in reversed(range(self.rewards.size(0))):
                        delta = self.rewards[step] + gamma * self.value_preds[
                            step + 1] * self.masks[step + 1] - self.value_preds[step]
                        gae = delta + gamma * gae_lambda * self.masks[step + 1] * gae
                        self.returns[step] = gae + self.value_preds[step]
                else:
                    self.returns[-1] = next_value
                    for step in reversed(range(self.rewards.size(0))):
                        self.returns[step] = self.returns[step + 1] * \
                            gamma * self.masks[step + 1] + self.rewards[step]

        def feed_forward_generator(self, advantages, num_mini_batch=None, mini_batch_size=None):
            num_steps, num_processes = self.rewards.size()[0:2]
            batch_size = num_processes * num_steps
            if mini_batch_size is None:
                assert batch_size >= num_mini_batch, (
                    "PPO requires the number of processes ({}) "
                    "* number of steps ({}) = {} "
                    "to be greater than or equal to the number of PPO mini batches ({})."
                    "".format(num_processes, num_steps, num_processes * num_steps,
                              num_mini_batch))
                mini_batch_size = batch_size // num_mini_batch
            sampler = BatchSampler(
                SubsetRandomSampler(range(batch_size)),
                mini_batch_size,
                drop_last=True)
            for indices in sampler:
                obs_batch = self.obs[:-1].view(-1, *self.obs.size()[2:])[indices]
                recurrent_hidden_states_batch = self.recurrent_hidden_states[:-1].view(
                    -1, self.recurrent_hidden_states.size(-1))[indices]
                actions_batch = self.actions.view(-1, self.actions.size(-1))[indices]
                value_preds_batch = self.value_preds[:-1].view(-1, 1)[indices]
                return_batch = self.returns[:-1].view(-1, 1)[indices]
                masks_batch = self.masks[:-1].view(-1, 1)[indices]
                old_action_log_probs_batch = self.action_log_probs.view(-1, 1)[indices]
                if advantages is None:
                    adv_targ = None
                else:
                    adv_targ = advantages.view(-1, 1)[indices]
                yield obs_batch, recurrent_hidden_states_batch, actions_batch, \
                    value_preds_batch, return_batch, masks_batch, old_action_log_probs_batch, adv_targ

        def recurrent_generator(self, advantages, num_mini_batch):
            num_processes = self.rewards.size(1)
            assert num_processes >= num_mini_batch, (
                "PPO requires the number of processes ({}) "
                "to be greater than or equal to the number of "
                "PPO mini batches ({}).".format(num_processes, num_mini_batch))
            num_envs_per_batch = num_processes // num_mini_batch
            perm = torch.randperm(num_processes)
            for start_ind in range(0, num_processes, num_envs_per_batch):
                obs_batch = []
                recurrent_hidden_states_batch = []
                actions_batch = []
                value_preds_batch = []
                return_batch = []
                masks_batch = []
                old_action_log_probs_batch = []
                adv_targ = []
                for offset in range(num_envs_per_batch):
                    ind = perm[start_ind + offset]
                    obs_batch.append(self.obs[:-1, ind])
                    recurrent_hidden_states_batch.append(
                        self.recurrent_hidden_states[0:1, ind])
                    actions_batch.append(self.actions[:, ind])
                    value_preds_batch.append(self.value_preds[:-1, ind])
                    return_batch.append(self.returns[:-1, ind])
                    masks_batch.append(self.masks[:-1, ind])
                    old_action_log_probs_batch.append(self.action_log_probs[:, ind])
                    adv_targ.append(advantages[:, ind])
                T, N = self.num_steps, num_envs_per_batch
                obs_batch = torch.stack(obs_batch, 1)
                actions_batch = torch.stack(actions_batch, 1)
                value_preds_batch = torch.stack(value_preds_batch, 1)
                return_batch = torch.stack(return_batch, 1)
                masks_batch = torch.stack(masks_batch, 1)
                old_action_log_probs_batch = torch.stack(old_action_log_probs_batch, 1)
                adv_targ = torch.stack(adv_targ, 1)
                recurrent_hidden_states_batch = torch.stack(
                    recurrent_hidden_states_batch, 1).view(N, -1)
                obs_batch = _flatten_helper(T, N, obs_batch)
                actions_batch = _flatten_helper(T, N, actions_batch)
                value_preds_batch = _flatten_helper(T, N, value_preds_batch)
                return_batch = _flatten_helper(T, N, return_batch)
                masks_batch = _flatten_helper(T, N, masks_batch)
                old_action_log_probs_batch = _flatten_helper(T, N, old_action_log_probs_batch)
                adv_targ = _flatten_helper(T, N, adv_targ)
                yield obs_batch, recurrent_hidden_states_batch, actions_batch, \
                    value_preds_batch, return_batch, masks_batch, old_action_log_probs_batch, adv_targ

    # algo/ppo.py
    class PPO():
        def __init__(self, actor_critic, clip_param, ppo_epoch, num_mini_batch, value_loss_coef,
                     entropy_coef, lr=None, eps=None, max_grad_norm=None,
                     use_clipped_value_loss=True):
            self.actor_critic = actor_critic
            self.clip_param = clip_param
            self.ppo_epoch = ppo_epoch
            self.num_mini_batch = num_mini_batch
            self.value_loss_coef = value_loss_coef
            self.entropy_coef = entropy_coef
            self.max_grad_norm = max_grad_norm
            self.use_clipped_value_loss = use_clipped_value_loss
            self.optimizer = optim.Adam(actor_critic.parameters(), lr=lr, eps=eps)

        def update(self, rollouts):
            advantages = rollouts.returns[:-1] - rollouts.value_preds[:-1]
            advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-5)
            value_loss_epoch = 0
            action_loss_epoch = 0
            dist_entropy_epoch = 0
            for e in range(self.ppo_epoch):
                if self.actor_critic.is_recurrent:
                    data_generator = rollouts.recurrent_generator(advantages, self.num_mini_batch)
                else:
                    data_generator = rollouts.feed_forward_generator(advantages, self.num_mini_batch)
                for sample in data_generator:
                    obs_batch, recurrent_hidden_states_batch, actions_batch, \
                        value_preds_batch, return_batch, masks_batch, old_action_log_probs_batch, \
                        adv_targ = sample
                    values, action_log_probs, dist_entropy, _ = self.actor_critic.evaluate_actions(
                        obs_batch, recurrent_hidden_states_batch, masks_batch, actions_batch)
                    ratio = torch.exp(action_log_probs - old_action_log_probs_batch)
                    surr1 = ratio * adv_targ
                    surr2 = torch.clamp(ratio, 1.0 - self.clip_param, 1.0 + self.clip_param) * adv_targ
                    action_loss = -torch.min(surr1, surr2).mean()
                    if self.use_clipped_value_loss:
                        value_pred_clipped = value_preds_batch + \
                            (values - value_preds_batch).clamp(-self.clip_param, self.clip_param)
                        value_losses = (values - return_batch).pow(2)
                        value_losses_clipped = (value_pred_clipped - return_batch).pow(2)
                        value_loss = torch.max(value_losses, value_losses_clipped).mean()
                    else:
                        value_loss = (return_batch - values).pow(2).mean()
                    self.optimizer.zero_grad()
                    (value_loss * self.value_loss_coef + action_loss -
                     dist_entropy * self.entropy_coef).backward()
                    nn.utils.clip_grad_norm_(self.actor_critic.parameters(), self.max_grad_norm)
                    self.optimizer.step()
                    value_loss_epoch += value_loss.item()
                    action_loss_epoch += action_loss.item()
                    dist_entropy_epoch += dist_entropy.item()
            num_updates = self.ppo_epoch * self.num_mini_batch
            value_loss_epoch /= num_updates
            action_loss_epoch /= num_updates
            dist_entropy_epoch /= num_updates
            return value_loss_epoch, action_loss_epoch, dist_entropy_epoch

    # algo/a2c_acktr.py (acktr=False)
    class A2C_ACKTR():
        def __init__(self, actor_critic, value_loss_coef, entropy_coef, lr=None, eps=None,
                     alpha=None, max_grad_norm=None, acktr=False):
            self.actor_critic = actor_critic
            self.acktr = acktr
            self.value_loss_coef = value_loss_coef
            self.entropy_coef = entropy_coef
            self.max_grad_norm = max_grad_norm
            self.optimizer = optim.RMSprop(actor_critic.parameters(), lr, eps=eps, alpha=alpha)

        def update(self, rollouts):
            obs_shape = rollouts.obs.size()[2:]
            action_shape = rollouts.actions.size()[-1]
            num_steps, num_processes, _ = rollouts.rewards.size()
            values, action_log_probs, dist_entropy, _ = self.actor_critic.evaluate_actions(
                rollouts.obs[:-1].view(-1, *obs_shape),
                rollouts.recurrent_hidden_states[0].view(-1, self.actor_critic.recurrent_hidden_state_size),
                rollouts.masks[:-1].view(-1, 1),
                rollouts.actions.view(-1, action_shape))
            values = values.view(num_steps, num_processes, 1)
            action_log_probs = action_log_probs.view(num_steps, num_processes, 1)
            advantages = rollouts.returns[:-1] - values
            value_loss = advantages.pow(2).mean()
            action_loss = -(advantages.detach() * action_log_probs).mean()
            self.optimizer.zero_grad()
            (value_loss * self.value_loss_coef + action_loss -
             dist_entropy * self.entropy_coef).backward()
            if self.acktr == False:  # noqa: E712 - as in the repository
                nn.utils.clip_grad_norm_(self.actor_critic.parameters(), self.max_grad_norm)
            self.optimizer.step()
            return value_loss.item(), action_loss.item(), dist_entropy.item()

    return {"RolloutStorage": RolloutStorage, "PPO": PPO, "A2C_ACKTR": A2C_ACKTR}
