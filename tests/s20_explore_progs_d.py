"""Dreamer-style world models as users copy them, scaled down, for
tests/test_programs_s20_explore.py: the GRU RSSM of yusukeurakami/dreamer-pytorch (models.py's
TransitionModel, symbolic encoder / decoder, reward and value models, bottle(), the tanh-normal
ActorModel with TanhBijector and SampleDist; main.py's world-model loss with an Independent
Normal KL and free nats by torch.max, and the imagined lambda-return actor / value losses) and
the discrete RSSM of RajGhugare19/dreamerv2 (OneHotCategorical straight-through samples,
Independent(OneHotCategoricalStraightThrough) KL balancing with detached states and free nats
by new_full + torch.max). TorchScript (jit.ScriptModule) is left out: plain nn.Module."""


import numpy as np
from s16_yunjey_progs import Out


def _dreamer_v1(L):
    torch, nn, F = L, L.nn, L.nn.functional
    Normal = L.distributions.normal.Normal
    TransformedDistribution = L.distributions.transformed_distribution.TransformedDistribution

    def bottle(f, x_tuple):
        x_sizes = tuple(map(lambda x: x.size(), x_tuple))
        y = f(*map(lambda x: x[0].view(x[1][0] * x[1][1], *x[1][2:]), zip(x_tuple, x_sizes)))
        y_size = y.size()
        output = y.view(x_sizes[0][0], x_sizes[0][1], *y_size[1:])
        return output

    class TransitionModel(nn.Module):
        def __init__(self, belief_size, state_size, action_size, hidden_size, embedding_size,
                     activation_function='relu', min_std_dev=0.1):
            super().__init__()
            self.act_fn = getattr(F, activation_function)
            self.min_std_dev = min_std_dev
            self.fc_embed_state_action = nn.Linear(state_size + action_size, belief_size)
            self.rnn = nn.GRUCell(belief_size, belief_size)
            self.fc_embed_belief_prior = nn.Linear(belief_size, hidden_size)
            self.fc_state_prior = nn.Linear(hidden_size, 2 * state_size)
            self.fc_embed_belief_posterior = nn.Linear(belief_size + embedding_size, hidden_size)
            self.fc_state_posterior = nn.Linear(hidden_size, 2 * state_size)

        def forward(self, prev_state, actions, prev_belief, observations=None,
                    nonterminals=None):
            T = actions.size(0) + 1
            beliefs, prior_states, prior_means, prior_std_devs, posterior_states, \
                posterior_means, posterior_std_devs = [torch.empty(0)] * T, \
                [torch.empty(0)] * T, [torch.empty(0)] * T, [torch.empty(0)] * T, \
                [torch.empty(0)] * T, [torch.empty(0)] * T, [torch.empty(0)] * T
            beliefs[0], prior_states[0], posterior_states[0] = prev_belief, prev_state, prev_state
            for t in range(T - 1):
                _state = prior_states[t] if observations is None else posterior_states[t]
                _state = _state if nonterminals is None else _state * nonterminals[t]
                hidden = self.act_fn(self.fc_embed_state_action(
                    torch.cat([_state, actions[t]], dim=1)))
                beliefs[t + 1] = self.rnn(hidden, beliefs[t])
                hidden = self.act_fn(self.fc_embed_belief_prior(beliefs[t + 1]))
                prior_means[t + 1], _prior_std_dev = torch.chunk(
                    self.fc_state_prior(hidden), 2, dim=1)
                prior_std_devs[t + 1] = F.softplus(_prior_std_dev) + self.min_std_dev
                prior_states[t + 1] = prior_means[t + 1] + prior_std_devs[t + 1] * \
                    torch.randn_like(prior_means[t + 1])
                if observations is not None:
                    t_ = t - 1
                    hidden = self.act_fn(self.fc_embed_belief_posterior(
                        torch.cat([beliefs[t + 1], observations[t_ + 1]], dim=1)))
                    posterior_means[t + 1], _posterior_std_dev = torch.chunk(
                        self.fc_state_posterior(hidden), 2, dim=1)
                    posterior_std_devs[t + 1] = F.softplus(_posterior_std_dev) + \
                        self.min_std_dev
                    posterior_states[t + 1] = posterior_means[t + 1] + \
                        posterior_std_devs[t + 1] * torch.randn_like(posterior_means[t + 1])
            hidden = [torch.stack(beliefs[1:], dim=0), torch.stack(prior_states[1:], dim=0),
                      torch.stack(prior_means[1:], dim=0),
                      torch.stack(prior_std_devs[1:], dim=0)]
            if observations is not None:
                hidden += [torch.stack(posterior_states[1:], dim=0),
                           torch.stack(posterior_means[1:], dim=0),
                           torch.stack(posterior_std_devs[1:], dim=0)]
            return hidden

    class SymbolicObservationModel(nn.Module):
        def __init__(self, observation_size, belief_size, state_size, embedding_size,
                     activation_function='relu'):
            super().__init__()
            self.act_fn = getattr(F, activation_function)
            self.fc1 = nn.Linear(belief_size + state_size, embedding_size)
            self.fc2 = nn.Linear(embedding_size, embedding_size)
            self.fc3 = nn.Linear(embedding_size, observation_size)

        def forward(self, belief, state):
            hidden = self.act_fn(self.fc1(torch.cat([belief, state], dim=1)))
            hidden = self.act_fn(self.fc2(hidden))
            return self.fc3(hidden)

    class RewardModel(nn.Module):
        def __init__(self, belief_size, state_size, hidden_size, activation_function='relu'):
            super().__init__()
            self.act_fn = getattr(F, activation_function)
            self.fc1 = nn.Linear(belief_size + state_size, hidden_size)
            self.fc2 = nn.Linear(hidden_size, hidden_size)
            self.fc3 = nn.Linear(hidden_size, 1)

        def forward(self, belief, state):
            x = torch.cat([belief, state], dim=1)
            hidden = self.act_fn(self.fc1(x))
            hidden = self.act_fn(self.fc2(hidden))
            return self.fc3(hidden).squeeze(dim=1)

    class SymbolicEncoder(nn.Module):
        def __init__(self, observation_size, embedding_size, activation_function='relu'):
            super().__init__()
            self.act_fn = getattr(F, activation_function)
            self.fc1 = nn.Linear(observation_size, embedding_size)
            self.fc2 = nn.Linear(embedding_size, embedding_size)
            self.fc3 = nn.Linear(embedding_size, embedding_size)

        def forward(self, observation):
            hidden = self.act_fn(self.fc1(observation))
            hidden = self.act_fn(self.fc2(hidden))
            return self.fc3(hidden)

    def atanh(x):
        return 0.5 * torch.log((1 + x) / (1 - x))

    class TanhBijector(torch.distributions.Transform):
        domain = torch.distributions.constraints.real  # newer PyTorch asks for both
        codomain = torch.distributions.constraints.interval(-1.0, 1.0)

        def __init__(self):
            super().__init__()
            self.bijective = True

        @property
        def sign(self):
            return 1.

        def _call(self, x):
            return torch.tanh(x)

        def _inverse(self, y):
            y = torch.where((torch.abs(y) <= 1.), torch.clamp(y, -0.99999997, 0.99999997), y)
            return atanh(y)

        def log_abs_det_jacobian(self, x, y):
            return 2. * (np.log(2) - x - F.softplus(-2. * x))

    class SampleDist:
        def __init__(self, dist, samples=100):
            self._dist = dist
            self._samples = samples

        def __getattr__(self, name):
            return getattr(self._dist, name)

        def mean(self):
            dist = self._dist.expand((self._samples, *self._dist.batch_shape))
            sample = dist.rsample()
            return torch.mean(sample, 0)

        def mode(self):
            dist = self._dist.expand((self._samples, *self._dist.batch_shape))
            sample = dist.rsample()
            logprob = dist.log_prob(sample)
            batch_size = sample.size(1)
            feature_size = sample.size(2)
            indices = torch.argmax(logprob, dim=0).reshape(1, batch_size, 1).expand(
                1, batch_size, feature_size)
            return torch.gather(sample, 0, indices).squeeze(0)

        def entropy(self):
            dist = self._dist.expand((self._samples, *self._dist.batch_shape))
            sample = dist.rsample()
            logprob = dist.log_prob(sample)
            return -torch.mean(logprob, 0)

    class ActorModel(nn.Module):
        def __init__(self, belief_size, state_size, hidden_size, action_size,
                     activation_function='elu', min_std=1e-4, init_std=5, mean_scale=5):
            super().__init__()
            self.act_fn = getattr(F, activation_function)
            self.fc1 = nn.Linear(belief_size + state_size, hidden_size)
            self.fc2 = nn.Linear(hidden_size, 2 * action_size)
            self._min_std = min_std
            self._init_std = init_std
            self._mean_scale = mean_scale

        def forward(self, belief, state):
            raw_init_std = torch.log(torch.exp(torch.tensor(self._init_std, dtype=torch.float32))
                                     - 1)
            x = torch.cat([belief, state], dim=1)
            hidden = self.act_fn(self.fc1(x))
            action = self.fc2(hidden).squeeze(dim=1)
            action_mean, action_std_dev = torch.chunk(action, 2, dim=1)
            action_mean = self._mean_scale * torch.tanh(action_mean / self._mean_scale)
            action_std = F.softplus(action_std_dev + raw_init_std) + self._min_std
            return action_mean, action_std

        def get_action(self, belief, state, det=False):
            action_mean, action_std = self.forward(belief, state)
            dist = Normal(action_mean, action_std)
            dist = TransformedDistribution(dist, TanhBijector())
            dist = torch.distributions.Independent(dist, 1)
            dist = SampleDist(dist)
            if det:
                return dist.mode()
            return dist.rsample()

    def lambda_return(imged_reward, value_pred, bootstrap, discount=0.99, lambda_=0.95):
        next_values = torch.cat([value_pred[1:], bootstrap[None]], 0)
        discount_tensor = discount * torch.ones_like(imged_reward)
        inputs = imged_reward + discount_tensor * next_values * (1 - lambda_)
        last = bootstrap
        indices = reversed(range(len(inputs)))
        outputs = []
        for index in indices:
            inp, disc = inputs[index], discount_tensor[index]
            last = inp + disc * lambda_ * last
            outputs.append(last)
        outputs = list(reversed(outputs))
        outputs = torch.stack(outputs, 0)
        returns = outputs
        return returns

    return (bottle, TransitionModel, SymbolicObservationModel, RewardModel, SymbolicEncoder,
            ActorModel, lambda_return)


def dreamer_world_model(L):
    """One Dreamer training step on a symbolic task: the posterior rollout over a chunk,
    observation / reward MSE through bottle(), the Independent-Normal KL floored at free nats
    with torch.max, clip_grad_norm_; then imagination with the tanh-normal actor (rsample
    through TanhBijector), lambda returns and the actor and value losses; the actor's mode()
    by SampleDist."""
    torch, nn, F, optim = L, L.nn, L.nn.functional, L.optim
    kl_divergence = L.distributions.kl.kl_divergence
    Normal = L.distributions.Normal
    Independent = L.distributions.Independent
    with Out() as o:
        L.manual_seed(8); np.random.seed(8)
        (bottle, TransitionModel, ObservationModel, RewardModel, Encoder, ActorModel,
         lambda_return) = _dreamer_v1(L)
        belief_size, state_size, hidden_size, embedding_size = 8, 4, 8, 6
        obs_size, action_size, chunk, batch, horizon = 5, 2, 4, 3, 3
        transition_model = TransitionModel(belief_size, state_size, action_size, hidden_size,
                                           embedding_size)
        observation_model = ObservationModel(obs_size, belief_size, state_size, embedding_size)
        reward_model = RewardModel(belief_size, state_size, hidden_size)
        encoder = Encoder(obs_size, embedding_size)
        actor_model = ActorModel(belief_size, state_size, hidden_size, action_size)
        value_model = RewardModel(belief_size, state_size, hidden_size)
        o.print(transition_model); o.print(actor_model)
        world_param = list(transition_model.parameters()) + list(
            observation_model.parameters()) + list(reward_model.parameters()) + list(
            encoder.parameters())
        world_optimizer = optim.Adam(world_param, lr=1e-3, eps=1e-4)
        actor_optimizer = optim.Adam(actor_model.parameters(), lr=8e-5, eps=1e-4)
        value_optimizer = optim.Adam(value_model.parameters(), lr=8e-5, eps=1e-4)
        free_nats = torch.full((1,), 3.0)
        rng = np.random.RandomState(9)
        for it in range(2):
            observations = torch.as_tensor(rng.randn(chunk, batch, obs_size).astype(np.float32))
            actions = torch.as_tensor(rng.uniform(-1, 1, (chunk, batch, action_size)).astype(
                np.float32))
            rewards = torch.as_tensor(rng.rand(chunk, batch).astype(np.float32))
            nonterminals = torch.as_tensor((rng.rand(chunk, batch, 1) > 0.2).astype(np.float32))
            init_belief = torch.zeros(batch, belief_size)
            init_state = torch.zeros(batch, state_size)
            beliefs, prior_states, prior_means, prior_std_devs, posterior_states, \
                posterior_means, posterior_std_devs = transition_model(
                    init_state, actions[:-1], init_belief,
                    bottle(encoder, (observations[1:], )), nonterminals[:-1])
            observation_loss = F.mse_loss(bottle(observation_model, (beliefs, posterior_states)),
                                          observations[1:], reduction='none').sum(
                dim=2).mean(dim=(0, 1))
            reward_loss = F.mse_loss(bottle(reward_model, (beliefs, posterior_states)),
                                     rewards[1:], reduction='none').mean(dim=(0, 1))
            div = kl_divergence(Independent(Normal(posterior_means, posterior_std_devs), 1),
                                Independent(Normal(prior_means, prior_std_devs), 1))
            kl_loss = torch.max(div, free_nats).mean(dim=(0, 1))
            world_optimizer.zero_grad()
            (observation_loss + reward_loss + kl_loss).backward()
            gn = nn.utils.clip_grad_norm_(world_param, 100.0, norm_type=2)
            world_optimizer.step()
            o.print('it %d obs %.4f rew %.4f kl %.4f gn %.4f' % (
                it, observation_loss.item(), reward_loss.item(), kl_loss.item(), gn.item()))
            o.print(div.shape, kl_loss.shape, beliefs.shape, posterior_std_devs.min().item() > 0.1)
            o.vals += [div, posterior_means, prior_std_devs]
            for p in world_param:
                p.requires_grad = False
            for p in value_model.parameters():
                p.requires_grad = False
            C, B, _ = list(posterior_states.size())
            flatten_size = C * B
            imag_state = posterior_states.detach().reshape(flatten_size, -1)
            imag_belief = beliefs.detach().reshape(flatten_size, -1)
            imag_beliefs, imag_states = [imag_belief], [imag_state]
            for t in range(horizon):
                act = actor_model.get_action(imag_beliefs[-1].detach(), imag_states[-1].detach())
                b, s, _, _ = transition_model(imag_states[-1], act.unsqueeze(dim=0),
                                              imag_beliefs[-1])
                imag_beliefs.append(b.squeeze(dim=0))
                imag_states.append(s.squeeze(dim=0))
            imged_beliefs = torch.stack(imag_beliefs[1:], dim=0)
            imged_prior_states = torch.stack(imag_states[1:], dim=0)
            imged_reward = bottle(reward_model, (imged_beliefs, imged_prior_states))
            value_pred = bottle(value_model, (imged_beliefs, imged_prior_states))
            returns = lambda_return(imged_reward, value_pred, bootstrap=value_pred[-1])
            actor_loss = -torch.mean(returns)
            actor_optimizer.zero_grad()
            actor_loss.backward()
            nn.utils.clip_grad_norm_(actor_model.parameters(), 100.0, norm_type=2)
            actor_optimizer.step()
            for p in world_param:
                p.requires_grad = True
            for p in value_model.parameters():
                p.requires_grad = True
            with torch.no_grad():
                value_beliefs = imged_beliefs.detach()
                value_prior_states = imged_prior_states.detach()
                target_return = returns.detach()
            value_dist = Normal(bottle(value_model, (value_beliefs, value_prior_states)), 1)
            value_loss = -value_dist.log_prob(target_return).mean(dim=(0, 1))
            value_optimizer.zero_grad()
            value_loss.backward()
            value_optimizer.step()
            o.print('actor %.4f value %.4f' % (actor_loss.item(), value_loss.item()))
            o.vals += [returns, actor_model.fc2.weight.grad, value_model.fc3.bias]
        with torch.no_grad():
            mode = actor_model.get_action(beliefs[0].detach(), posterior_states[0].detach(),
                                          det=True)
        o.print(mode.shape)
        o.vals += [mode]
        o.tryit(lambda: torch.max(div, torch.full((2,), 3.0)))
    return o.done()
