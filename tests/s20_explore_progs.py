"""Exploration / model-based RL research code as users copy it, scaled down, as
``prog(L) -> (printed, values)`` for tests/test_programs_s20_explore.py. This file: Random
Network Distillation (jcwleo/random-network-distillation-pytorch: model.py's RNDModel and
CnnActorCriticNetwork with orthogonal init, utils.py's RunningMeanStd, RewardForwardFilter and
make_train_data, agents.py's get_action / compute_intrinsic_reward / train_model), the Atari
workers replaced by a NumPy-seeded stand-in of 1x44x44 frames (channels shrunk)."""

import numpy as np
from s16_yunjey_progs import Out


def _rnd_lib(L):
    """model.py (Flatten, CnnActorCriticNetwork, RNDModel) with 44x44 frames and fewer
    channels; utils.py's RunningMeanStd, RewardForwardFilter, make_train_data."""
    nn, init = L.nn, L.nn.init

    class Flatten(nn.Module):
        def forward(self, input):
            return input.view(input.size(0), -1)

    class CnnActorCriticNetwork(nn.Module):
        def __init__(self, input_size, output_size, use_noisy_net=False):
            super(CnnActorCriticNetwork, self).__init__()
            linear = nn.Linear
            self.feature = nn.Sequential(
                nn.Conv2d(in_channels=4, out_channels=8, kernel_size=8, stride=4),
                nn.ReLU(),
                nn.Conv2d(in_channels=8, out_channels=16, kernel_size=4, stride=2),
                nn.ReLU(),
                nn.Conv2d(in_channels=16, out_channels=16, kernel_size=4, stride=1),
                nn.ReLU(),
                Flatten(),
                linear(16, 32),
                nn.ReLU(),
                linear(32, 24),
                nn.ReLU()
            )
            self.actor = nn.Sequential(linear(24, 24), nn.ReLU(), linear(24, output_size))
            self.extra_layer = nn.Sequential(linear(24, 24), nn.ReLU())
            self.critic_ext = linear(24, 1)
            self.critic_int = linear(24, 1)
            for p in self.modules():
                if isinstance(p, nn.Conv2d):
                    init.orthogonal_(p.weight, np.sqrt(2))
                    p.bias.data.zero_()
                if isinstance(p, nn.Linear):
                    init.orthogonal_(p.weight, np.sqrt(2))
                    p.bias.data.zero_()
            init.orthogonal_(self.critic_ext.weight, 0.01)
            self.critic_ext.bias.data.zero_()
            init.orthogonal_(self.critic_int.weight, 0.01)
            self.critic_int.bias.data.zero_()
            for i in range(len(self.actor)):
                if type(self.actor[i]) == nn.Linear:
                    init.orthogonal_(self.actor[i].weight, 0.01)
                    self.actor[i].bias.data.zero_()
            for i in range(len(self.extra_layer)):
                if type(self.extra_layer[i]) == nn.Linear:
                    init.orthogonal_(self.extra_layer[i].weight, 0.1)
                    self.extra_layer[i].bias.data.zero_()

        def forward(self, state):
            x = self.feature(state)
            policy = self.actor(x)
            value_ext = self.critic_ext(self.extra_layer(x) + x)
            value_int = self.critic_int(self.extra_layer(x) + x)
            return policy, value_ext, value_int

    class RNDModel(nn.Module):
        def __init__(self, input_size, output_size):
            super(RNDModel, self).__init__()
            self.input_size = input_size
            self.output_size = output_size
            feature_output = 2 * 2 * 16
            self.predictor = nn.Sequential(
                nn.Conv2d(in_channels=1, out_channels=8, kernel_size=8, stride=4),
                nn.LeakyReLU(),
                nn.Conv2d(in_channels=8, out_channels=16, kernel_size=4, stride=2),
                nn.LeakyReLU(),
                nn.Conv2d(in_channels=16, out_channels=16, kernel_size=3, stride=1),
                nn.LeakyReLU(),
                Flatten(),
                nn.Linear(feature_output, 32),
                nn.ReLU(),
                nn.Linear(32, 32),
                nn.ReLU(),
                nn.Linear(32, 32)
            )
            self.target = nn.Sequential(
                nn.Conv2d(in_channels=1, out_channels=8, kernel_size=8, stride=4),
                nn.LeakyReLU(),
                nn.Conv2d(in_channels=8, out_channels=16, kernel_size=4, stride=2),
                nn.LeakyReLU(),
                nn.Conv2d(in_channels=16, out_channels=16, kernel_size=3, stride=1),
                nn.LeakyReLU(),
                Flatten(),
                nn.Linear(feature_output, 32)
            )
            for p in self.modules():
                if isinstance(p, nn.Conv2d):
                    init.orthogonal_(p.weight, np.sqrt(2))
                    p.bias.data.zero_()
                if isinstance(p, nn.Linear):
                    init.orthogonal_(p.weight, np.sqrt(2))
                    p.bias.data.zero_()
            for param in self.target.parameters():
                param.requires_grad = False

        def forward(self, next_obs):
            target_feature = self.target(next_obs)
            predict_feature = self.predictor(next_obs)
            return predict_feature, target_feature

    class RunningMeanStd(object):
        def __init__(self, epsilon=1e-4, shape=()):
            self.mean = np.zeros(shape, 'float64')
            self.var = np.ones(shape, 'float64')
            self.count = epsilon

        def update(self, x):
            batch_mean = np.mean(x, axis=0)
            batch_var = np.var(x, axis=0)
            batch_count = x.shape[0]
            self.update_from_moments(batch_mean, batch_var, batch_count)

        def update_from_moments(self, batch_mean, batch_var, batch_count):
            delta = batch_mean - self.mean
            tot_count = self.count + batch_count
            new_mean = self.mean + delta * batch_count / tot_count
            m_a = self.var * (self.count)
            m_b = batch_var * (batch_count)
            M2 = m_a + m_b + np.square(delta) * self.count * batch_count / (
                self.count + batch_count)
            new_var = M2 / (self.count + batch_count)
            new_count = batch_count + self.count
            self.mean = new_mean
            self.var = new_var
            self.count = new_count

    class RewardForwardFilter(object):
        def __init__(self, gamma):
            self.rewems = None
            self.gamma = gamma

        def update(self, rews):
            if self.rewems is None:
                self.rewems = rews
            else:
                self.rewems = self.rewems * self.gamma + rews
            return self.rewems

    def make_train_data(reward, done, value, gamma, num_step, num_worker, use_gae=True,
                        lam=0.95):
        discounted_return = np.empty([num_worker, num_step])
        if use_gae:
            gae = np.zeros_like([num_worker, ])
            for t in range(num_step - 1, -1, -1):
                delta = reward[:, t] + gamma * value[:, t + 1] * (1 - done[:, t]) - value[:, t]
                gae = delta + gamma * lam * (1 - done[:, t]) * gae
                discounted_return[:, t] = gae + value[:, t]
            adv = discounted_return - value[:, :-1]
        else:
            running_add = value[:, -1]
            for t in range(num_step - 1, -1, -1):
                running_add = reward[:, t] + gamma * running_add * (1 - done[:, t])
                discounted_return[:, t] = running_add
            adv = discounted_return - value[:, :-1]
        return discounted_return.reshape([-1]), adv.reshape([-1])

    return (CnnActorCriticNetwork, RNDModel, RunningMeanStd, RewardForwardFilter,
            make_train_data)


def _rnd_agent(L, Net, RND, output_size, lr=1e-4, ent_coef=0.01, epoch=2, batch_size=4,
               ppo_eps=0.1, update_proportion=0.25):
    """agents.py's RNDAgent: get_action, random_choice_prob_index, compute_intrinsic_reward,
    train_model (PPO with Categorical, the predictor's masked MSE)."""
    torch, nn, F, optim = L, L.nn, L.nn.functional, L.optim
    Categorical = L.distributions.categorical.Categorical

    class RNDAgent(object):
        def __init__(self):
            self.model = Net(None, output_size)
            self.output_size = output_size
            self.epoch, self.batch_size, self.ent_coef = epoch, batch_size, ent_coef
            self.ppo_eps, self.update_proportion = ppo_eps, update_proportion
            self.device = torch.device('cpu')
            self.rnd = RND(None, output_size)
            self.optimizer = optim.Adam(list(self.model.parameters())
                                        + list(self.rnd.predictor.parameters()), lr=lr)
            self.rnd = self.rnd.to(self.device)
            self.model = self.model.to(self.device)

        def get_action(self, state):
            state = torch.Tensor(state).to(self.device)
            state = state.float()
            policy, value_ext, value_int = self.model(state)
            policy = F.softmax(policy, dim=-1).data.cpu().numpy()
            action = self.random_choice_prob_index(policy)
            return (action, value_ext.data.cpu().numpy().squeeze(),
                    value_int.data.cpu().numpy().squeeze(), policy)

        @staticmethod
        def random_choice_prob_index(p, axis=1):
            r = np.expand_dims(np.random.rand(p.shape[1 - axis]), axis=axis)
            return (p.cumsum(axis=axis) > r).argmax(axis=axis)

        def compute_intrinsic_reward(self, next_obs):
            next_obs = torch.FloatTensor(next_obs).to(self.device)
            target_next_feature = self.rnd.target(next_obs)
            predict_next_feature = self.rnd.predictor(next_obs)
            intrinsic_reward = (target_next_feature - predict_next_feature).pow(2).sum(1) / 2
            return intrinsic_reward.data.cpu().numpy()

        def train_model(self, s_batch, target_ext_batch, target_int_batch, y_batch,
                        adv_batch, next_obs_batch, old_policy, o):
            s_batch = torch.FloatTensor(s_batch).to(self.device)
            target_ext_batch = torch.FloatTensor(target_ext_batch).to(self.device)
            target_int_batch = torch.FloatTensor(target_int_batch).to(self.device)
            y_batch = torch.LongTensor(y_batch).to(self.device)
            adv_batch = torch.FloatTensor(adv_batch).to(self.device)
            next_obs_batch = torch.FloatTensor(next_obs_batch).to(self.device)
            sample_range = np.arange(len(s_batch))
            forward_mse = nn.MSELoss(reduction='none')
            self.model.train()
            self.rnd.train()
            with torch.no_grad():
                policy_old_list = torch.Tensor(old_policy).permute(1, 0, 2).reshape(
                    [-1, self.output_size]).to(self.device).detach()
                m_old = Categorical(F.softmax(policy_old_list, dim=-1))
                log_prob_old = m_old.log_prob(y_batch)
            for i in range(self.epoch):
                np.random.shuffle(sample_range)
                for j in range(int(len(s_batch) / self.batch_size)):
                    sample_idx = sample_range[self.batch_size * j:self.batch_size * (j + 1)]
                    predict_next_state_feature, target_next_state_feature = self.rnd(
                        next_obs_batch[sample_idx])
                    forward_loss = forward_mse(predict_next_state_feature,
                                               target_next_state_feature.detach()).mean(-1)
                    mask = torch.rand(len(forward_loss)).to(self.device)
                    mask = (mask < self.update_proportion).type(torch.FloatTensor).to(
                        self.device)
                    forward_loss = (forward_loss * mask).sum() / torch.max(
                        mask.sum(), torch.Tensor([1]).to(self.device))
                    policy, value_ext, value_int = self.model(s_batch[sample_idx])
                    m = Categorical(F.softmax(policy, dim=-1))
                    log_prob = m.log_prob(y_batch[sample_idx])
                    ratio = torch.exp(log_prob - log_prob_old[sample_idx])
                    surr1 = ratio * adv_batch[sample_idx]
                    surr2 = torch.clamp(ratio, 1.0 - self.ppo_eps,
                                        1.0 + self.ppo_eps) * adv_batch[sample_idx]
                    actor_loss = -torch.min(surr1, surr2).mean()
                    critic_ext_loss = F.mse_loss(value_ext.sum(1), target_ext_batch[sample_idx])
                    critic_int_loss = F.mse_loss(value_int.sum(1), target_int_batch[sample_idx])
                    critic_loss = critic_ext_loss + critic_int_loss
                    entropy = m.entropy().mean()
                    self.optimizer.zero_grad()
                    loss = actor_loss + 0.5 * critic_loss - self.ent_coef * entropy \
                        + forward_loss
                    loss.backward()
                    self.optimizer.step()
                    o.print("epoch %d batch %d: loss %.4f fwd %.4f ent %.4f mask %s" % (
                        i, j, loss.item(), forward_loss.item(), entropy.item(),
                        mask.tolist()))
                    o.print(forward_loss.dtype, mask.dtype, log_prob.shape)
                    o.vals += [ratio, forward_loss, mask]

    return RNDAgent()


def rnd_models(L):
    """The two models' reprs, the orthogonal init (gains sqrt(2), 0.01, 0.1), the frozen
    target, intrinsic rewards of normalised next frames, and a predictor MSE step."""
    nn = L.nn
    with Out() as o:
        L.manual_seed(0); np.random.seed(0)
        Net, RND, RunningMeanStd, _, _ = _rnd_lib(L)
        model, rnd = Net(None, 3), RND(None, 3)
        o.print(model); o.print(rnd)
        o.print([(n, p.requires_grad) for n, p in rnd.named_parameters()][-4:])
        w = model.actor[0].weight
        o.vals += [w @ w.t(), model.critic_ext.weight, model.feature[0].weight,
                   rnd.target[-1].weight, rnd.predictor[0].bias]
        obs_rms = RunningMeanStd(shape=(1, 1, 44, 44))
        frames = np.random.randint(0, 256, (6, 1, 44, 44)).astype(np.float64)
        obs_rms.update(frames)
        next_obs = ((frames - obs_rms.mean) / np.sqrt(obs_rms.var)).clip(-5, 5)
        o.print(next_obs.dtype, obs_rms.count)
        x = L.FloatTensor(next_obs)
        predict, target = rnd(x)
        o.print(target.requires_grad, predict.requires_grad, target.grad_fn is None)
        intrinsic = (target - predict).pow(2).sum(1) / 2
        o.vals += [intrinsic]  # predict itself: orthogonal_'s QR differs in last bits (LAPACK)
        opt = L.optim.Adam(rnd.predictor.parameters(), lr=1e-4)
        loss = nn.MSELoss(reduction='none')(predict, target.detach()).mean(-1)
        o.print(loss.shape)
        loss.mean().backward()
        opt.step()
        o.print([p.grad is None for p in rnd.target.parameters()][:2])
        o.vals += [rnd.predictor[-1].weight, rnd.predictor[0].weight.grad]
        o.tryit(lambda: L.nn.init.orthogonal_(L.empty(3)))
    return o.done()


def rnd_train(L):
    """train.py's rollout and update, two workers x 4 steps: get_action on frame stacks,
    intrinsic rewards of normalised next frames, RewardForwardFilter + RunningMeanStd on
    them, GAE for both heads, then agents.py's train_model."""
    with Out() as o:
        L.manual_seed(1); np.random.seed(1)
        Net, RND, RunningMeanStd, RewardForwardFilter, make_train_data = _rnd_lib(L)
        num_worker, num_step, output_size = 2, 4, 3
        gamma, int_gamma, ext_coef, int_coef = 0.999, 0.99, 2., 1.
        agent = _rnd_agent(L, Net, RND, output_size)
        reward_rms = RunningMeanStd()
        obs_rms = RunningMeanStd(shape=(1, 1, 44, 44))
        discounted_reward = RewardForwardFilter(int_gamma)
        rng = np.random.RandomState(5)
        obs_rms.update(rng.randint(0, 256, (8, 1, 44, 44)).astype(np.float64))
        states = np.zeros([num_worker, 4, 44, 44])
        (total_state, total_reward, total_done, total_action, total_int_reward,
         total_next_obs, total_ext_values, total_int_values, total_policy) = (
            [], [], [], [], [], [], [], [], [])
        for _ in range(num_step):
            actions, value_ext, value_int, policy = agent.get_action(
                np.float32(states) / 255.)
            next_states = rng.randint(0, 256, (num_worker, 4, 44, 44)).astype(np.float64)
            rewards = np.hstack([float(a == 1) for a in actions])
            dones = np.hstack([False] * num_worker)
            next_obs = np.stack([s[3, :, :].reshape([1, 44, 44]) for s in next_states])
            intrinsic_reward = agent.compute_intrinsic_reward(
                ((next_obs - obs_rms.mean) / np.sqrt(obs_rms.var)).clip(-5, 5))
            intrinsic_reward = np.hstack(intrinsic_reward)
            total_next_obs.append(next_obs)
            total_int_reward.append(intrinsic_reward)
            total_state.append(states)
            total_reward.append(rewards)
            total_done.append(dones)
            total_action.append(actions)
            total_ext_values.append(value_ext)
            total_int_values.append(value_int)
            total_policy.append(policy)
            states = next_states[:, :, :, :]
            o.print(actions.tolist(), intrinsic_reward.dtype, value_ext.shape)
        _, value_ext, value_int, _ = agent.get_action(np.float32(states) / 255.)
        total_ext_values.append(value_ext)
        total_int_values.append(value_int)
        total_state = np.stack(total_state).transpose([1, 0, 2, 3, 4]).reshape([-1, 4, 44, 44])
        total_reward = np.stack(total_reward).transpose().clip(-1, 1)
        total_action = np.stack(total_action).transpose().reshape([-1])
        total_done = np.stack(total_done).transpose()
        total_next_obs = np.stack(total_next_obs).transpose([1, 0, 2, 3, 4]).reshape(
            [-1, 1, 44, 44])
        total_ext_values = np.stack(total_ext_values).transpose()
        total_int_values = np.stack(total_int_values).transpose()
        total_int_reward = np.stack(total_int_reward).transpose()
        total_reward_per_env = np.array([discounted_reward.update(reward_per_step)
                                         for reward_per_step in total_int_reward.T])
        mean, std, count = (np.mean(total_reward_per_env), np.std(total_reward_per_env),
                            len(total_reward_per_env))
        reward_rms.update_from_moments(mean, std ** 2, count)
        total_int_reward /= np.sqrt(reward_rms.var)
        ext_target, ext_adv = make_train_data(total_reward, total_done, total_ext_values,
                                              gamma, num_step, num_worker)
        int_target, int_adv = make_train_data(total_int_reward,
                                              np.zeros_like(total_int_reward),
                                              total_int_values, int_gamma, num_step,
                                              num_worker)
        total_adv = int_adv * int_coef + ext_adv * ext_coef
        obs_rms.update(total_next_obs)
        o.print(total_adv.dtype, total_state.shape, total_action.dtype)
        o.vals += [total_int_reward, ext_target, int_target, total_adv]
        agent.train_model(np.float32(total_state) / 255., ext_target, int_target,
                          total_action, total_adv,
                          ((total_next_obs - obs_rms.mean) / np.sqrt(obs_rms.var)).clip(-5, 5),
                          total_policy, o)
        o.vals += [agent.model.critic_int.weight, agent.rnd.predictor[-1].bias]
    return o.done()
