"""DreamerV2's discrete RSSM (RajGhugare19/dreamerv2: dreamerv2/models/rssm.py,
utils/rssm.py's RSSMUtils, training/trainer.py's _kl_loss, _actor_loss, _value_loss, and
models/actor.py's DiscreteActionModel) as users copy them, scaled down, for
tests/test_programs_s20_explore.py: straight-through one-hot samples, KL balancing between
detached posterior and prior with free nats, DenseModel heads as Independent(Normal) /
Independent(Bernoulli), lambda returns and the reinforce actor loss."""

from collections import namedtuple

import numpy as np
from s16_yunjey_progs import Out

RSSMDiscState = namedtuple('RSSMDiscState', ['logit', 'stoch', 'deter'])


def _v2(L, category_size=3, class_size=4, deter_size=8, node_size=10, action_size=3,
        embedding_size=6):
    torch, nn = L, L.nn
    td = L.distributions

    class RSSM(nn.Module):
        def __init__(self):
            super().__init__()
            self.category_size, self.class_size = category_size, class_size
            self.stoch_size = category_size * class_size
            self.deter_size, self.node_size, self.action_size = deter_size, node_size, action_size
            self.act_fn = nn.ELU
            self.rnn = nn.GRUCell(self.deter_size, self.deter_size)
            self.fc_embed_state_action = nn.Sequential(
                nn.Linear(self.stoch_size + self.action_size, self.deter_size), self.act_fn())
            self.fc_prior = nn.Sequential(nn.Linear(self.deter_size, self.node_size),
                                          self.act_fn(), nn.Linear(self.node_size,
                                                                   self.stoch_size))
            self.fc_posterior = nn.Sequential(
                nn.Linear(self.deter_size + embedding_size, self.node_size), self.act_fn(),
                nn.Linear(self.node_size, self.stoch_size))

        def get_dist(self, rssm_state):
            shape = rssm_state.logit.shape
            logit = torch.reshape(rssm_state.logit,
                                  shape=(*shape[:-1], self.category_size, self.class_size))
            return td.Independent(td.OneHotCategoricalStraightThrough(logits=logit), 1)

        def get_stoch_state(self, stats):
            logit = stats['logit']
            shape = logit.shape
            logit = torch.reshape(logit, shape=(*shape[:-1], self.category_size,
                                                self.class_size))
            dist = torch.distributions.OneHotCategorical(logits=logit)
            stoch = dist.sample()
            stoch += dist.probs - dist.probs.detach()
            return torch.flatten(stoch, start_dim=-2, end_dim=-1)

        def rssm_stack_states(self, rssm_states, dim):
            return RSSMDiscState(
                torch.stack([state.logit for state in rssm_states], dim=dim),
                torch.stack([state.stoch for state in rssm_states], dim=dim),
                torch.stack([state.deter for state in rssm_states], dim=dim))

        def get_model_state(self, rssm_state):
            return torch.cat((rssm_state.deter, rssm_state.stoch), dim=-1)

        def rssm_detach(self, rssm_state):
            return RSSMDiscState(rssm_state.logit.detach(), rssm_state.stoch.detach(),
                                 rssm_state.deter.detach())

        def rssm_seq_to_batch(self, rssm_state, batch_size, seq_len):
            def seq_to_batch(x):
                shp = tuple(x.shape)
                return torch.reshape(x, [shp[0] * shp[1], *shp[2:]])
            return RSSMDiscState(seq_to_batch(rssm_state.logit[:seq_len]),
                                 seq_to_batch(rssm_state.stoch[:seq_len]),
                                 seq_to_batch(rssm_state.deter[:seq_len]))

        def _init_rssm_state(self, batch_size, **kwargs):
            return RSSMDiscState(torch.zeros(batch_size, self.stoch_size, **kwargs),
                                 torch.zeros(batch_size, self.stoch_size, **kwargs),
                                 torch.zeros(batch_size, self.deter_size, **kwargs))

        def rssm_imagine(self, prev_action, prev_rssm_state, nonterms=True):
            state_action_embed = self.fc_embed_state_action(
                torch.cat([prev_rssm_state.stoch * nonterms, prev_action], dim=-1))
            deter_state = self.rnn(state_action_embed, prev_rssm_state.deter * nonterms)
            prior_logit = self.fc_prior(deter_state)
            stats = {'logit': prior_logit}
            prior_stoch_state = self.get_stoch_state(stats)
            return RSSMDiscState(prior_logit, prior_stoch_state, deter_state)

        def rollout_imagination(self, horizon, actor, prev_rssm_state):
            rssm_state = prev_rssm_state
            next_rssm_states, action_entropy, imag_log_probs = [], [], []
            for t in range(horizon):
                action, action_dist = actor((self.get_model_state(rssm_state)).detach())
                rssm_state = self.rssm_imagine(action, rssm_state)
                next_rssm_states.append(rssm_state)
                action_entropy.append(action_dist.entropy())
                imag_log_probs.append(action_dist.log_prob(torch.round(action.detach())))
            next_rssm_states = self.rssm_stack_states(next_rssm_states, dim=0)
            action_entropy = torch.stack(action_entropy, dim=0)
            imag_log_probs = torch.stack(imag_log_probs, dim=0)
            return next_rssm_states, imag_log_probs, action_entropy

        def rssm_observe(self, obs_embed, prev_action, prev_nonterm, prev_rssm_state):
            prior_rssm_state = self.rssm_imagine(prev_action, prev_rssm_state, prev_nonterm)
            deter_state = prior_rssm_state.deter
            x = torch.cat([deter_state, obs_embed], dim=-1)
            posterior_logit = self.fc_posterior(x)
            stats = {'logit': posterior_logit}
            posterior_stoch_state = self.get_stoch_state(stats)
            posterior_rssm_state = RSSMDiscState(posterior_logit, posterior_stoch_state,
                                                 deter_state)
            return prior_rssm_state, posterior_rssm_state

        def rollout_observation(self, seq_len, obs_embed, action, nonterms, prev_rssm_state):
            priors, posteriors = [], []
            for t in range(seq_len):
                prev_action = action[t] * nonterms[t]
                prior_rssm_state, posterior_rssm_state = self.rssm_observe(
                    obs_embed[t], prev_action, nonterms[t], prev_rssm_state)
                priors.append(prior_rssm_state)
                posteriors.append(posterior_rssm_state)
                prev_rssm_state = posterior_rssm_state
            prior = self.rssm_stack_states(priors, dim=0)
            post = self.rssm_stack_states(posteriors, dim=0)
            return prior, post

    class DiscreteActionModel(nn.Module):
        def __init__(self, modelstate_size):
            super().__init__()
            self.model = nn.Sequential(nn.Linear(modelstate_size, node_size), nn.ELU(),
                                       nn.Linear(node_size, action_size))

        def forward(self, model_state):
            action_dist = self.get_action_dist(model_state)
            action = action_dist.sample()
            action = action + action_dist.probs - action_dist.probs.detach()
            return action, action_dist

        def get_action_dist(self, modelstate):
            logits = self.model(modelstate)
            return torch.distributions.OneHotCategorical(logits=logits)

    class DenseModel(nn.Module):
        def __init__(self, output_shape, input_size, dist='normal'):
            super().__init__()
            self._output_shape, self._dist = output_shape, dist
            self.model = nn.Sequential(nn.Linear(input_size, node_size), nn.ELU(),
                                       nn.Linear(node_size, int(np.prod(output_shape))))

        def forward(self, input):
            dist_inputs = self.model(input)
            if self._dist == 'normal':
                return td.independent.Independent(td.Normal(dist_inputs, 1),
                                                  len(self._output_shape))
            if self._dist == 'binary':
                return td.independent.Independent(td.Bernoulli(logits=dist_inputs),
                                                  len(self._output_shape))
            raise NotImplementedError(self._dist)

    def compute_return(reward, value, discount, bootstrap, lambda_):
        next_values = torch.cat([value[1:], bootstrap[None]], 0)
        target = reward + discount * next_values * (1 - lambda_)
        timesteps = list(range(reward.shape[0] - 1, -1, -1))
        outputs = []
        accumulated_reward = bootstrap
        for t in timesteps:
            inp = target[t]
            discount_factor = discount[t]
            accumulated_reward = inp + discount_factor * lambda_ * accumulated_reward
            outputs.append(accumulated_reward)
        returns = torch.flip(torch.stack(outputs), [0])
        return returns

    return RSSM, DiscreteActionModel, DenseModel, compute_return


def dreamerv2_discrete(L):
    """A world-model step (posterior rollout with straight-through one-hot states, Normal obs
    and reward heads, Bernoulli discount head, KL balancing alpha=0.8 with free nats), then the
    imagined actor-critic step: reinforce objective with the round()ed actions' log-probs,
    entropy bonus, cumprod discounts, the value log-likelihood."""
    torch, optim = L, L.optim
    kl = L.distributions.kl
    with Out() as o:
        L.manual_seed(12); np.random.seed(12)
        RSSM, DiscreteActionModel, DenseModel, compute_return = _v2(L)
        seq_len, batch_size, obs_size, horizon = 4, 3, 5, 3
        rssm = RSSM()
        modelstate_size = rssm.stoch_size + rssm.deter_size
        encoder = DenseModel((6,), obs_size)
        obs_decoder = DenseModel((obs_size,), modelstate_size)
        reward_decoder = DenseModel((1,), modelstate_size)
        discount_model = DenseModel((1,), modelstate_size, dist='binary')
        actor = DiscreteActionModel(modelstate_size)
        value_model = DenseModel((1,), modelstate_size)
        target_value = DenseModel((1,), modelstate_size)
        target_value.load_state_dict(value_model.state_dict())
        o.print(rssm); o.print(discount_model)
        world_list = [encoder, rssm, reward_decoder, obs_decoder, discount_model]
        world_params = [p for m in world_list for p in m.parameters()]
        model_optimizer = optim.Adam(world_params, 2e-4)
        actor_optimizer = optim.Adam(actor.parameters(), 4e-5)
        value_optimizer = optim.Adam(value_model.parameters(), 1e-4)
        alpha, free_nats, lambda_, gamma = 0.8, 0.0, 0.95, 0.99
        rng = np.random.RandomState(13)
        obs = torch.tensor(rng.randn(seq_len, batch_size, obs_size).astype(np.float32))
        actions = torch.tensor(np.eye(3, dtype=np.float32)[rng.randint(0, 3, (seq_len,
                                                                              batch_size))])
        rewards = torch.tensor(rng.rand(seq_len, batch_size).astype(np.float32)).unsqueeze(-1)
        terms = (rng.rand(seq_len, batch_size) < 0.2).astype(np.float32)
        nonterms = torch.tensor(1 - terms).unsqueeze(-1)
        embed = encoder(obs).mean
        prev_rssm_state = rssm._init_rssm_state(batch_size)
        prior, posterior = rssm.rollout_observation(seq_len, embed, actions, nonterms,
                                                    prev_rssm_state)
        post_modelstate = rssm.get_model_state(posterior)
        obs_dist = obs_decoder(post_modelstate[:-1])
        reward_dist = reward_decoder(post_modelstate[:-1])
        pcont_dist = discount_model(post_modelstate[:-1])
        obs_loss = -torch.mean(obs_dist.log_prob(obs[:-1]))
        reward_loss = -torch.mean(reward_dist.log_prob(rewards[1:]))
        pcont_loss = -torch.mean(pcont_dist.log_prob(nonterms[1:].float()))
        prior_dist, post_dist = rssm.get_dist(prior), rssm.get_dist(posterior)
        kl_lhs = torch.mean(kl.kl_divergence(rssm.get_dist(rssm.rssm_detach(posterior)),
                                             prior_dist))
        kl_rhs = torch.mean(kl.kl_divergence(post_dist, rssm.get_dist(rssm.rssm_detach(prior))))
        kl_lhs = torch.max(kl_lhs, kl_lhs.new_full(kl_lhs.size(), free_nats))
        kl_rhs = torch.max(kl_rhs, kl_rhs.new_full(kl_rhs.size(), free_nats))
        kl_loss = alpha * kl_lhs + (1 - alpha) * kl_rhs
        model_loss = 0.1 * kl_loss + reward_loss + obs_loss + 5.0 * pcont_loss
        model_optimizer.zero_grad()
        model_loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(world_params, 100)
        model_optimizer.step()
        o.print('model %.4f kl %.4f obs %.4f rew %.4f pcont %.4f gn %.4f' % (
            model_loss.item(), kl_loss.item(), obs_loss.item(), reward_loss.item(),
            pcont_loss.item(), gn.item()))
        o.print(prior_dist.batch_shape, prior_dist.event_shape, posterior.stoch.shape,
                posterior.stoch.sum(-1).unique().tolist(), kl_lhs.size())
        o.vals += [kl_lhs, kl_rhs, posterior.stoch, prior.logit, rssm.fc_prior[0].weight.grad]
        with torch.no_grad():
            prior_ent = torch.mean(prior_dist.entropy())
            post_ent = torch.mean(post_dist.entropy())
        o.vals += [prior_ent, post_ent]
        with torch.no_grad():
            batched_posterior = rssm.rssm_detach(rssm.rssm_seq_to_batch(
                posterior, batch_size, seq_len - 1))
        for p in world_params:
            p.requires_grad_(False)
        imag_rssm_states, imag_log_prob, policy_entropy = rssm.rollout_imagination(
            horizon, actor, batched_posterior)
        imag_modelstates = rssm.get_model_state(imag_rssm_states)
        for p in list(value_model.parameters()) + list(target_value.parameters()):
            p.requires_grad_(False)
        imag_reward = reward_decoder(imag_modelstates).mean
        imag_value = target_value(imag_modelstates).mean
        discount_arr = gamma * torch.round(discount_model(imag_modelstates).base_dist.probs)
        for p in world_params + list(value_model.parameters()):
            p.requires_grad_(True)
        lambda_returns = compute_return(imag_reward[:-1], imag_value[:-1], discount_arr[:-1],
                                        bootstrap=imag_value[-1], lambda_=lambda_)
        advantage = (lambda_returns - imag_value[:-1]).detach()
        objective = imag_log_prob[1:].unsqueeze(-1) * advantage
        discount_arr = torch.cat([torch.ones_like(discount_arr[:1]), discount_arr[1:]])
        discount = torch.cumprod(discount_arr[:-1], 0)
        policy_entropy = policy_entropy[1:].unsqueeze(-1)
        actor_loss = -torch.sum(torch.mean(discount * (objective + 1e-3 * policy_entropy),
                                           dim=1))
        with torch.no_grad():
            value_modelstates = imag_modelstates[:-1].detach()
            value_discount = discount.detach()
            value_target = lambda_returns.detach()
        value_dist = value_model(value_modelstates)
        value_loss = -torch.mean(value_discount * value_dist.log_prob(value_target).unsqueeze(-1))
        actor_optimizer.zero_grad()
        value_optimizer.zero_grad()
        actor_loss.backward()
        value_loss.backward()
        torch.nn.utils.clip_grad_norm_(actor.parameters(), 100)
        torch.nn.utils.clip_grad_norm_(value_model.parameters(), 100)
        actor_optimizer.step()
        value_optimizer.step()
        o.print('actor %.4f value %.4f' % (actor_loss.item(), value_loss.item()))
        o.print(imag_log_prob.shape, policy_entropy.shape, lambda_returns.shape, discount.dtype)
        o.vals += [lambda_returns, discount, imag_log_prob, actor.model[0].weight.grad,
                   value_model.model[2].bias]
        o.tryit(lambda: kl.kl_divergence(prior_dist, rssm.get_dist(rssm.rssm_detach(prior))[0]))
    return o.done()


def straight_through(L):
    """OneHotCategorical / OneHotCategoricalStraightThrough directly: sample + probs -
    probs.detach() gradients, rsample's gradient, log_prob / entropy, their KL, and the
    validation errors for bad values."""
    td = L.distributions
    with Out() as o:
        L.manual_seed(14)
        logits = L.randn(2, 3, 4, requires_grad=True)
        dist = td.OneHotCategorical(logits=logits)
        s = dist.sample()
        st = s + dist.probs - dist.probs.detach()
        (st * L.arange(4.)).sum().backward()
        o.print(s.dtype, s.requires_grad, st.requires_grad, dist.batch_shape, dist.event_shape)
        o.vals += [s, logits.grad, dist.log_prob(s), dist.entropy()]
        logits.grad = None
        sd = td.OneHotCategoricalStraightThrough(logits=logits)
        r = sd.rsample((2,))
        (r * L.arange(4.)).sum().backward()
        o.print(r.shape, sd.has_rsample, type(sd).__mro__[1].__name__)
        o.vals += [r, logits.grad]
        ind = td.Independent(sd, 1)
        other = td.Independent(td.OneHotCategoricalStraightThrough(logits=logits.detach() * 2),
                               1)
        o.vals += [td.kl_divergence(ind, other), ind.entropy(), ind.log_prob(r)]
        o.print(ind.batch_shape, ind.event_shape)
        o.tryit(lambda: dist.log_prob(L.tensor([0., 1., 0., 0.])))
        o.tryit(lambda: dist.log_prob(L.tensor([0.5, 0.5, 0., 0.])))
        o.tryit(lambda: td.OneHotCategorical(logits=L.randn(3, 4)).log_prob(L.ones(2, 4)))
    return o.done()
