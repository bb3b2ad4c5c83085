"""marlbenchmark/on-policy (MAPPO) as users type it, part 2: algorithms/utils/act.py
(ACTLayer for Discrete / Box / MultiDiscrete), r_mappo/algorithm/r_actor_critic.py (R_Actor,
R_Critic), rMAPPOPolicy.py and r_mappo/r_mappo.py (R_MAPPO.cal_value_loss, ppo_update,
train over a feed-forward or naive-recurrent generator in the shape of
utils/shared_buffer.py's), driven by fake rollouts of small seeded tensors."""

from types import SimpleNamespace

import numpy as np
from s16_yunjey_progs import Out
from s22_rl2_progs import _mappo


class Discrete:
    def __init__(self, n):
        self.n = n


class Box:
    def __init__(self, shape):
        self.shape = shape


class MultiDiscrete:
    def __init__(self, high):
        self.high, self.low = np.array(high), np.zeros(len(high), dtype=np.int64)
        self.shape = (len(high),)


def _agents(L):
    torch, nn = L, L.nn
    u = _mappo(L)
    check, init = u.check, u.init

    class ACTLayer(nn.Module):
        def __init__(self, action_space, inputs_dim, use_orthogonal, gain):
            super(ACTLayer, self).__init__()
            self.mixed_action = False
            self.multi_discrete = False
            if action_space.__class__.__name__ == "Discrete":
                action_dim = action_space.n
                self.action_out = u.Categorical(inputs_dim, action_dim, use_orthogonal, gain)
            elif action_space.__class__.__name__ == "Box":
                action_dim = action_space.shape[0]
                self.action_out = u.DiagGaussian(inputs_dim, action_dim, use_orthogonal, gain)
            elif action_space.__class__.__name__ == "MultiDiscrete":
                self.multi_discrete = True
                action_dims = action_space.high - action_space.low + 1
                self.action_outs = []
                for action_dim in action_dims:
                    self.action_outs.append(u.Categorical(inputs_dim, action_dim, use_orthogonal, gain))
                self.action_outs = nn.ModuleList(self.action_outs)

        def forward(self, x, available_actions=None, deterministic=False):
            if self.multi_discrete:
                actions = []
                action_log_probs = []
                for action_out in self.action_outs:
                    action_logit = action_out(x)
                    action = action_logit.mode() if deterministic else action_logit.sample()
                    action_log_prob = action_logit.log_probs(action)
                    actions.append(action)
                    action_log_probs.append(action_log_prob)
                actions = torch.cat(actions, -1)
                action_log_probs = torch.cat(action_log_probs, -1)
            else:
                action_logits = self.action_out(x, available_actions) if available_actions is not None else self.action_out(x)
                actions = action_logits.mode() if deterministic else action_logits.sample()
                action_log_probs = action_logits.log_probs(actions)
            return actions, action_log_probs

        def evaluate_actions(self, x, action, available_actions=None, active_masks=None):
            if self.multi_discrete:
                action = torch.transpose(action, 0, 1)
                action_log_probs = []
                dist_entropy = []
                for action_out, act in zip(self.action_outs, action):
                    action_logit = action_out(x)
                    action_log_probs.append(action_logit.log_probs(act))
                    if active_masks is not None:
                        dist_entropy.append((action_logit.entropy() * active_masks.squeeze(-1)).sum() / active_masks.sum())
                    else:
                        dist_entropy.append(action_logit.entropy().mean())
                action_log_probs = torch.cat(action_log_probs, -1)
                dist_entropy = torch.tensor(dist_entropy).mean()
            else:
                action_logits = self.action_out(x, available_actions) if available_actions is not None else self.action_out(x)
                action_log_probs = action_logits.log_probs(action)
                if active_masks is not None:
                    dist_entropy = (action_logits.entropy() * active_masks.squeeze(-1)).sum() / active_masks.sum()
                else:
                    dist_entropy = action_logits.entropy().mean()
            return action_log_probs, dist_entropy

    class R_Actor(nn.Module):
        def __init__(self, args, obs_space, action_space, device=torch.device("cpu")):
            super(R_Actor, self).__init__()
            self.hidden_size = args.hidden_size
            self._gain = args.gain
            self._use_orthogonal = args.use_orthogonal
            self._use_policy_active_masks = args.use_policy_active_masks
            self._use_naive_recurrent_policy = args.use_naive_recurrent_policy
            self._use_recurrent_policy = args.use_recurrent_policy
            self._recurrent_N = args.recurrent_N
            self.tpdv = dict(dtype=torch.float32, device=device)
            self.base = u.MLPBase(args, obs_space)
            if self._use_naive_recurrent_policy or self._use_recurrent_policy:
                self.rnn = u.RNNLayer(self.hidden_size, self.hidden_size, self._recurrent_N, self._use_orthogonal)
            self.act = ACTLayer(action_space, self.hidden_size, self._use_orthogonal, self._gain)
            self.to(device)

        def forward(self, obs, rnn_states, masks, available_actions=None, deterministic=False):
            obs = check(obs).to(**self.tpdv)
            rnn_states = check(rnn_states).to(**self.tpdv)
            masks = check(masks).to(**self.tpdv)
            if available_actions is not None:
                available_actions = check(available_actions).to(**self.tpdv)
            actor_features = self.base(obs)
            if self._use_naive_recurrent_policy or self._use_recurrent_policy:
                actor_features, rnn_states = self.rnn(actor_features, rnn_states, masks)
            actions, action_log_probs = self.act(actor_features, available_actions, deterministic)
            return actions, action_log_probs, rnn_states

        def evaluate_actions(self, obs, rnn_states, action, masks, available_actions=None, active_masks=None):
            obs = check(obs).to(**self.tpdv)
            rnn_states = check(rnn_states).to(**self.tpdv)
            action = check(action).to(**self.tpdv)
            masks = check(masks).to(**self.tpdv)
            if available_actions is not None:
                available_actions = check(available_actions).to(**self.tpdv)
            if active_masks is not None:
                active_masks = check(active_masks).to(**self.tpdv)
            actor_features = self.base(obs)
            if self._use_naive_recurrent_policy or self._use_recurrent_policy:
                actor_features, rnn_states = self.rnn(actor_features, rnn_states, masks)
            action_log_probs, dist_entropy = self.act.evaluate_actions(
                actor_features, action, available_actions,
                active_masks=active_masks if self._use_policy_active_masks else None)
            return action_log_probs, dist_entropy

    class R_Critic(nn.Module):
        def __init__(self, args, cent_obs_space, device=torch.device("cpu")):
            super(R_Critic, self).__init__()
            self.hidden_size = args.hidden_size
            self._use_orthogonal = args.use_orthogonal
            self._use_naive_recurrent_policy = args.use_naive_recurrent_policy
            self._use_recurrent_policy = args.use_recurrent_policy
            self._recurrent_N = args.recurrent_N
            self._use_popart = args.use_popart
            self.tpdv = dict(dtype=torch.float32, device=device)
            init_method = [nn.init.xavier_uniform_, nn.init.orthogonal_][self._use_orthogonal]
            self.base = u.MLPBase(args, cent_obs_space)
            if self._use_naive_recurrent_policy or self._use_recurrent_policy:
                self.rnn = u.RNNLayer(self.hidden_size, self.hidden_size, self._recurrent_N, self._use_orthogonal)

            def init_(m):
                return init(m, init_method, lambda x: nn.init.constant_(x, 0))

            if self._use_popart:
                self.v_out = init_(u.PopArt(self.hidden_size, 1, device=device))
            else:
                self.v_out = init_(nn.Linear(self.hidden_size, 1))
            self.to(device)

        def forward(self, cent_obs, rnn_states, masks):
            cent_obs = check(cent_obs).to(**self.tpdv)
            rnn_states = check(rnn_states).to(**self.tpdv)
            masks = check(masks).to(**self.tpdv)
            critic_features = self.base(cent_obs)
            if self._use_naive_recurrent_policy or self._use_recurrent_policy:
                critic_features, rnn_states = self.rnn(critic_features, rnn_states, masks)
            values = self.v_out(critic_features)
            return values, rnn_states

    class R_MAPPOPolicy:
        def __init__(self, args, obs_space, cent_obs_space, act_space, device=torch.device("cpu")):
            self.device = device
            self.lr = args.lr
            self.critic_lr = args.critic_lr
            self.opti_eps = args.opti_eps
            self.weight_decay = args.weight_decay
            self.actor = R_Actor(args, obs_space, act_space, self.device)
            self.critic = R_Critic(args, cent_obs_space, self.device)
            self.actor_optimizer = torch.optim.Adam(self.actor.parameters(), lr=self.lr, eps=self.opti_eps,
                                                    weight_decay=self.weight_decay)
            self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), lr=self.critic_lr,
                                                     eps=self.opti_eps, weight_decay=self.weight_decay)

        def lr_decay(self, episode, episodes):
            u.update_linear_schedule(self.actor_optimizer, episode, episodes, self.lr)
            u.update_linear_schedule(self.critic_optimizer, episode, episodes, self.critic_lr)

        def get_actions(self, cent_obs, obs, rnn_states_actor, rnn_states_critic, masks,
                        available_actions=None, deterministic=False):
            actions, action_log_probs, rnn_states_actor = self.actor(obs, rnn_states_actor, masks,
                                                                     available_actions, deterministic)
            values, rnn_states_critic = self.critic(cent_obs, rnn_states_critic, masks)
            return values, actions, action_log_probs, rnn_states_actor, rnn_states_critic

        def get_values(self, cent_obs, rnn_states_critic, masks):
            values, _ = self.critic(cent_obs, rnn_states_critic, masks)
            return values

        def evaluate_actions(self, cent_obs, obs, rnn_states_actor, rnn_states_critic, action, masks,
                             available_actions=None, active_masks=None):
            action_log_probs, dist_entropy = self.actor.evaluate_actions(
                obs, rnn_states_actor, action, masks, available_actions, active_masks)
            values, _ = self.critic(cent_obs, rnn_states_critic, masks)
            return values, action_log_probs, dist_entropy

    class R_MAPPO():
        def __init__(self, args, policy, device=torch.device("cpu")):
            self.device = device
            self.tpdv = dict(dtype=torch.float32, device=device)
            self.policy = policy
            self.clip_param = args.clip_param
            self.ppo_epoch = args.ppo_epoch
            self.num_mini_batch = args.num_mini_batch
            self.value_loss_coef = args.value_loss_coef
            self.entropy_coef = args.entropy_coef
            self.max_grad_norm = args.max_grad_norm
            self.huber_delta = args.huber_delta
            self._use_max_grad_norm = args.use_max_grad_norm
            self._use_clipped_value_loss = args.use_clipped_value_loss
            self._use_huber_loss = args.use_huber_loss
            self._use_popart = args.use_popart
            self._use_valuenorm = args.use_valuenorm
            self._use_value_active_masks = args.use_value_active_masks
            self._use_policy_active_masks = args.use_policy_active_masks
            if self._use_popart:
                self.value_normalizer = self.policy.critic.v_out
            elif self._use_valuenorm:
                self.value_normalizer = u.ValueNorm(1, device=self.device).to(self.device)
            else:
                self.value_normalizer = None

        def cal_value_loss(self, values, value_preds_batch, return_batch, active_masks_batch):
            value_pred_clipped = value_preds_batch + (values - value_preds_batch).clamp(-self.clip_param,
                                                                                            self.clip_param)
            if self._use_popart or self._use_valuenorm:
                self.value_normalizer.update(return_batch)
                error_clipped = self.value_normalizer.normalize(return_batch) - value_pred_clipped
                error_original = self.value_normalizer.normalize(return_batch) - values
            else:
                error_clipped = return_batch - value_pred_clipped
                error_original = return_batch - values
            if self._use_huber_loss:
                value_loss_clipped = u.huber_loss(error_clipped, self.huber_delta)
                value_loss_original = u.huber_loss(error_original, self.huber_delta)
            else:
                value_loss_clipped = u.mse_loss(error_clipped)
                value_loss_original = u.mse_loss(error_original)
            if self._use_clipped_value_loss:
                value_loss = torch.max(value_loss_original, value_loss_clipped)
            else:
                value_loss = value_loss_original
            if self._use_value_active_masks:
                value_loss = (value_loss * active_masks_batch).sum() / active_masks_batch.sum()
            else:
                value_loss = value_loss.mean()
            return value_loss

        def ppo_update(self, sample, update_actor=True):
            share_obs_batch, obs_batch, rnn_states_batch, rnn_states_critic_batch, actions_batch, \
                value_preds_batch, return_batch, masks_batch, active_masks_batch, old_action_log_probs_batch, \
                adv_targ, available_actions_batch = sample
            old_action_log_probs_batch = check(old_action_log_probs_batch).to(**self.tpdv)
            adv_targ = check(adv_targ).to(**self.tpdv)
            value_preds_batch = check(value_preds_batch).to(**self.tpdv)
            return_batch = check(return_batch).to(**self.tpdv)
            active_masks_batch = check(active_masks_batch).to(**self.tpdv)
            values, action_log_probs, dist_entropy = self.policy.evaluate_actions(
                share_obs_batch, obs_batch, rnn_states_batch, rnn_states_critic_batch, actions_batch,
                masks_batch, available_actions_batch, active_masks_batch)
            imp_weights = torch.exp(action_log_probs - old_action_log_probs_batch)
            surr1 = imp_weights * adv_targ
            surr2 = torch.clamp(imp_weights, 1.0 - self.clip_param, 1.0 + self.clip_param) * adv_targ
            if self._use_policy_active_masks:
                policy_action_loss = (-torch.sum(torch.min(surr1, surr2), dim=-1, keepdim=True) *
                                      active_masks_batch).sum() / active_masks_batch.sum()
            else:
                policy_action_loss = -torch.sum(torch.min(surr1, surr2), dim=-1, keepdim=True).mean()
            policy_loss = policy_action_loss
            self.policy.actor_optimizer.zero_grad()
            if update_actor:
                (policy_loss - dist_entropy * self.entropy_coef).backward()
            if self._use_max_grad_norm:
                actor_grad_norm = nn.utils.clip_grad_norm_(self.policy.actor.parameters(), self.max_grad_norm)
            else:
                actor_grad_norm = u.get_gard_norm(self.policy.actor.parameters())
            self.policy.actor_optimizer.step()
            value_loss = self.cal_value_loss(values, value_preds_batch, return_batch, active_masks_batch)
            self.policy.critic_optimizer.zero_grad()
            (value_loss * self.value_loss_coef).backward()
            if self._use_max_grad_norm:
                critic_grad_norm = nn.utils.clip_grad_norm_(self.policy.critic.parameters(), self.max_grad_norm)
            else:
                critic_grad_norm = u.get_gard_norm(self.policy.critic.parameters())
            self.policy.critic_optimizer.step()
            return value_loss, critic_grad_norm, policy_loss, dist_entropy, actor_grad_norm, imp_weights

    return SimpleNamespace(u=u, ACTLayer=ACTLayer, R_Actor=R_Actor, R_Critic=R_Critic,
                           R_MAPPOPolicy=R_MAPPOPolicy, R_MAPPO=R_MAPPO)


def mappo_args(**kw):
    a = dict(hidden_size=16, gain=0.01, use_orthogonal=True, use_policy_active_masks=True,
             use_naive_recurrent_policy=False, use_recurrent_policy=False, recurrent_N=1,
             use_feature_normalization=True, use_ReLU=True, stacked_frames=1, layer_N=1,
             lr=5e-4, critic_lr=5e-4, opti_eps=1e-5, weight_decay=0, clip_param=0.2, ppo_epoch=2,
             num_mini_batch=2, value_loss_coef=1, entropy_coef=0.01, max_grad_norm=10.0,
             huber_delta=10.0, use_max_grad_norm=True, use_clipped_value_loss=True,
             use_huber_loss=True, use_popart=False, use_valuenorm=True,
             use_value_active_masks=True, gamma=0.99, gae_lambda=0.95)
    a.update(kw)
    return SimpleNamespace(**a)
