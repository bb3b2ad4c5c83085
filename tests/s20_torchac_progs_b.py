"""torch-ac's algorithms as users type them: torch_ac/algos/base.py (BaseAlgo,
collect_experiences with masks, memories, the T x P -> P x T reshapes, GAE, the episode-return
logs), a2c.py (A2CAlgo, RMSprop, grad_norm as a tensor) and ppo.py (PPOAlgo, Adam, the clipped
policy and value losses, _get_batches_starting_indexes, grad_norm via .item()). See
tests/s20_torchac_progs.py."""

from abc import ABC, abstractmethod

import numpy


def _algos(L, lib):
    torch = L
    DictList, ParallelEnv = lib.DictList, lib.ParallelEnv

    def default_preprocess_obss(obss, device=None):
        return torch.tensor(obss, device=device)

    class BaseAlgo(ABC):
        def __init__(self, envs, acmodel, num_frames_per_proc, discount, lr, gae_lambda,
                     entropy_coef, value_loss_coef, max_grad_norm, recurrence, preprocess_obss,
                     reshape_reward):
            self.env = ParallelEnv(envs)
            self.acmodel = acmodel
            self.acmodel.train()
            self.num_frames_per_proc = num_frames_per_proc
            self.discount = discount
            self.lr = lr
            self.gae_lambda = gae_lambda
            self.entropy_coef = entropy_coef
            self.value_loss_coef = value_loss_coef
            self.max_grad_norm = max_grad_norm
            self.recurrence = recurrence
            self.preprocess_obss = preprocess_obss or default_preprocess_obss
            self.reshape_reward = reshape_reward
            self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
            self.num_procs = len(envs)
            self.num_frames = self.num_frames_per_proc * self.num_procs
            assert self.acmodel.recurrent or self.recurrence == 1
            assert self.num_frames_per_proc % self.recurrence == 0
            shape = (self.num_frames_per_proc, self.num_procs)
            self.obs = self.env.reset()
            self.obss = [None]*(shape[0])
            if self.acmodel.recurrent:
                self.memory = torch.zeros(shape[1], self.acmodel.memory_size, device=self.device)
                self.memories = torch.zeros(*shape, self.acmodel.memory_size, device=self.device)
            self.mask = torch.ones(shape[1], device=self.device)
            self.masks = torch.zeros(*shape, device=self.device)
            self.actions = torch.zeros(*shape, device=self.device, dtype=torch.int)
            self.values = torch.zeros(*shape, device=self.device)
            self.rewards = torch.zeros(*shape, device=self.device)
            self.advantages = torch.zeros(*shape, device=self.device)
            self.log_probs = torch.zeros(*shape, device=self.device)
            self.log_episode_return = torch.zeros(self.num_procs, device=self.device)
            self.log_episode_reshaped_return = torch.zeros(self.num_procs, device=self.device)
            self.log_episode_num_frames = torch.zeros(self.num_procs, device=self.device)
            self.log_done_counter = 0
            self.log_return = [0] * self.num_procs
            self.log_reshaped_return = [0] * self.num_procs
            self.log_num_frames = [0] * self.num_procs

        def collect_experiences(self):
            for i in range(self.num_frames_per_proc):
                preprocessed_obs = self.preprocess_obss(self.obs, device=self.device)
                with torch.no_grad():
                    if self.acmodel.recurrent:
                        dist, value, memory = self.acmodel(
                            preprocessed_obs, self.memory * self.mask.unsqueeze(1))
                    else:
                        dist, value = self.acmodel(preprocessed_obs)
                action = dist.sample()
                obs, reward, done, _ = self.env.step(action.cpu().numpy())
                self.obss[i] = self.obs
                self.obs = obs
                if self.acmodel.recurrent:
                    self.memories[i] = self.memory
                    self.memory = memory
                self.masks[i] = self.mask
                self.mask = 1 - torch.tensor(done, device=self.device, dtype=torch.float)
                self.actions[i] = action
                self.values[i] = value
                if self.reshape_reward is not None:
                    self.rewards[i] = torch.tensor([
                        self.reshape_reward(obs_, action_, reward_, done_)
                        for obs_, action_, reward_, done_ in zip(obs, action, reward, done)
                    ], device=self.device)
                else:
                    self.rewards[i] = torch.tensor(reward, device=self.device)
                self.log_probs[i] = dist.log_prob(action)
                self.log_episode_return += torch.tensor(reward, device=self.device,
                                                        dtype=torch.float)
                self.log_episode_reshaped_return += self.rewards[i]
                self.log_episode_num_frames += torch.ones(self.num_procs, device=self.device)
                for i, done_ in enumerate(done):
                    if done_:
                        self.log_done_counter += 1
                        self.log_return.append(self.log_episode_return[i].item())
                        self.log_reshaped_return.append(
                            self.log_episode_reshaped_return[i].item())
                        self.log_num_frames.append(self.log_episode_num_frames[i].item())
                self.log_episode_return *= self.mask
                self.log_episode_reshaped_return *= self.mask
                self.log_episode_num_frames *= self.mask

            preprocessed_obs = self.preprocess_obss(self.obs, device=self.device)
            with torch.no_grad():
                if self.acmodel.recurrent:
                    _, next_value, _ = self.acmodel(preprocessed_obs,
                                                    self.memory * self.mask.unsqueeze(1))
                else:
                    _, next_value = self.acmodel(preprocessed_obs)

            for i in reversed(range(self.num_frames_per_proc)):
                next_mask = self.masks[i+1] if i < self.num_frames_per_proc - 1 else self.mask
                next_value = (self.values[i+1] if i < self.num_frames_per_proc - 1
                              else next_value)
                next_advantage = (self.advantages[i+1] if i < self.num_frames_per_proc - 1
                                  else 0)
                delta = self.rewards[i] + self.discount * next_value * next_mask - self.values[i]
                self.advantages[i] = (delta + self.discount * self.gae_lambda * next_advantage
                                      * next_mask)

            exps = DictList()
            exps.obs = [self.obss[i][j]
                        for j in range(self.num_procs)
                        for i in range(self.num_frames_per_proc)]
            if self.acmodel.recurrent:
                exps.memory = self.memories.transpose(0, 1).reshape(-1, *self.memories.shape[2:])
                exps.mask = self.masks.transpose(0, 1).reshape(-1).unsqueeze(1)
            exps.action = self.actions.transpose(0, 1).reshape(-1)
            exps.value = self.values.transpose(0, 1).reshape(-1)
            exps.reward = self.rewards.transpose(0, 1).reshape(-1)
            exps.advantage = self.advantages.transpose(0, 1).reshape(-1)
            exps.returnn = exps.value + exps.advantage
            exps.log_prob = self.log_probs.transpose(0, 1).reshape(-1)
            exps.obs = self.preprocess_obss(exps.obs, device=self.device)
            keep = max(self.log_done_counter, self.num_procs)
            logs = {
                "return_per_episode": self.log_return[-keep:],
                "reshaped_return_per_episode": self.log_reshaped_return[-keep:],
                "num_frames_per_episode": self.log_num_frames[-keep:],
                "num_frames": self.num_frames
            }
            self.log_done_counter = 0
            self.log_return = self.log_return[-self.num_procs:]
            self.log_reshaped_return = self.log_reshaped_return[-self.num_procs:]
            self.log_num_frames = self.log_num_frames[-self.num_procs:]
            return exps, logs

        @abstractmethod
        def update_parameters(self):
            pass

    class A2CAlgo(BaseAlgo):
        def __init__(self, envs, acmodel, num_frames_per_proc=None, discount=0.99, lr=0.001,
                     gae_lambda=0.95, entropy_coef=0.01, value_loss_coef=0.5, max_grad_norm=0.5,
                     recurrence=4, rmsprop_alpha=0.99, rmsprop_eps=1e-5, preprocess_obss=None,
                     reshape_reward=None):
            num_frames_per_proc = num_frames_per_proc or 8
            super().__init__(envs, acmodel, num_frames_per_proc, discount, lr, gae_lambda,
                             entropy_coef, value_loss_coef, max_grad_norm, recurrence,
                             preprocess_obss, reshape_reward)
            self.optimizer = torch.optim.RMSprop(self.acmodel.parameters(), lr,
                                                 alpha=rmsprop_alpha, eps=rmsprop_eps)

        def update_parameters(self, exps):
            inds = self._get_starting_indexes()
            update_entropy = 0
            update_value = 0
            update_policy_loss = 0
            update_value_loss = 0
            update_loss = 0
            if self.acmodel.recurrent:
                memory = exps.memory[inds]
            for i in range(self.recurrence):
                sb = exps[inds + i]
                if self.acmodel.recurrent:
                    dist, value, memory = self.acmodel(sb.obs, memory * sb.mask)
                else:
                    dist, value = self.acmodel(sb.obs)
                entropy = dist.entropy().mean()
                policy_loss = -(dist.log_prob(sb.action) * sb.advantage).mean()
                value_loss = (value - sb.returnn).pow(2).mean()
                loss = policy_loss - self.entropy_coef * entropy + self.value_loss_coef * value_loss
                update_entropy += entropy.item()
                update_value += value.mean().item()
                update_policy_loss += policy_loss.item()
                update_value_loss += value_loss.item()
                update_loss += loss
            update_entropy /= self.recurrence
            update_value /= self.recurrence
            update_policy_loss /= self.recurrence
            update_value_loss /= self.recurrence
            update_loss /= self.recurrence
            self.optimizer.zero_grad()
            update_loss.backward()
            update_grad_norm = sum(p.grad.data.norm(2) ** 2
                                   for p in self.acmodel.parameters()) ** 0.5
            torch.nn.utils.clip_grad_norm_(self.acmodel.parameters(), self.max_grad_norm)
            self.optimizer.step()
            logs = {
                "entropy": update_entropy,
                "value": update_value,
                "policy_loss": update_policy_loss,
                "value_loss": update_value_loss,
                "grad_norm": update_grad_norm
            }
            return logs

        def _get_starting_indexes(self):
            starting_indexes = numpy.arange(0, self.num_frames, self.recurrence)
            return starting_indexes

    class PPOAlgo(BaseAlgo):
        def __init__(self, envs, acmodel, num_frames_per_proc=None, discount=0.99, lr=0.001,
                     gae_lambda=0.95, entropy_coef=0.01, value_loss_coef=0.5, max_grad_norm=0.5,
                     recurrence=4, adam_eps=1e-5, clip_eps=0.2, epochs=4, batch_size=256,
                     preprocess_obss=None, reshape_reward=None):
            num_frames_per_proc = num_frames_per_proc or 128
            super().__init__(envs, acmodel, num_frames_per_proc, discount, lr, gae_lambda,
                             entropy_coef, value_loss_coef, max_grad_norm, recurrence,
                             preprocess_obss, reshape_reward)
            self.clip_eps = clip_eps
            self.epochs = epochs
            self.batch_size = batch_size
            assert self.batch_size % self.recurrence == 0
            self.optimizer = torch.optim.Adam(self.acmodel.parameters(), lr, eps=adam_eps)
            self.batch_num = 0

        def update_parameters(self, exps):
            for _ in range(self.epochs):
                log_entropies = []
                log_values = []
                log_policy_losses = []
                log_value_losses = []
                log_grad_norms = []
                for inds in self._get_batches_starting_indexes():
                    batch_entropy = 0
                    batch_value = 0
                    batch_policy_loss = 0
                    batch_value_loss = 0
                    batch_loss = 0
                    if self.acmodel.recurrent:
                        memory = exps.memory[inds]
                    for i in range(self.recurrence):
                        sb = exps[inds + i]
                        if self.acmodel.recurrent:
                            dist, value, memory = self.acmodel(sb.obs, memory * sb.mask)
                        else:
                            dist, value = self.acmodel(sb.obs)
                        entropy = dist.entropy().mean()
                        ratio = torch.exp(dist.log_prob(sb.action) - sb.log_prob)
                        surr1 = ratio * sb.advantage
                        surr2 = torch.clamp(ratio, 1.0 - self.clip_eps,
                                            1.0 + self.clip_eps) * sb.advantage
                        policy_loss = -torch.min(surr1, surr2).mean()
                        value_clipped = sb.value + torch.clamp(value - sb.value, -self.clip_eps,
                                                               self.clip_eps)
                        surr1 = (value - sb.returnn).pow(2)
                        surr2 = (value_clipped - sb.returnn).pow(2)
                        value_loss = torch.max(surr1, surr2).mean()
                        loss = (policy_loss - self.entropy_coef * entropy
                                + self.value_loss_coef * value_loss)
                        batch_entropy += entropy.item()
                        batch_value += value.mean().item()
                        batch_policy_loss += policy_loss.item()
                        batch_value_loss += value_loss.item()
                        batch_loss += loss
                        if self.acmodel.recurrent and i < self.recurrence - 1:
                            exps.memory[inds + i + 1] = memory.detach()
                    batch_entropy /= self.recurrence
                    batch_value /= self.recurrence
                    batch_policy_loss /= self.recurrence
                    batch_value_loss /= self.recurrence
                    batch_loss /= self.recurrence
                    self.optimizer.zero_grad()
                    batch_loss.backward()
                    grad_norm = sum(p.grad.data.norm(2).item() ** 2
                                    for p in self.acmodel.parameters()) ** 0.5
                    torch.nn.utils.clip_grad_norm_(self.acmodel.parameters(), self.max_grad_norm)
                    self.optimizer.step()
                    log_entropies.append(batch_entropy)
                    log_values.append(batch_value)
                    log_policy_losses.append(batch_policy_loss)
                    log_value_losses.append(batch_value_loss)
                    log_grad_norms.append(grad_norm)
            logs = {
                "entropy": numpy.mean(log_entropies),
                "value": numpy.mean(log_values),
                "policy_loss": numpy.mean(log_policy_losses),
                "value_loss": numpy.mean(log_value_losses),
                "grad_norm": numpy.mean(log_grad_norms)
            }
            return logs

        def _get_batches_starting_indexes(self):
            indexes = numpy.arange(0, self.num_frames, self.recurrence)
            indexes = numpy.random.permutation(indexes)
            if self.batch_num % 2 == 1:
                indexes = indexes[(indexes + self.recurrence) % self.num_frames_per_proc != 0]
                indexes += self.recurrence // 2
            self.batch_num += 1
            num_indexes = self.batch_size // self.recurrence
            batches_starting_indexes = [indexes[i:i+num_indexes]
                                        for i in range(0, len(indexes), num_indexes)]
            return batches_starting_indexes

    return BaseAlgo, A2CAlgo, PPOAlgo
