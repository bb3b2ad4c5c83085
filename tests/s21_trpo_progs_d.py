"""Khrylx/PyTorch-RL core/ppo.py (ppo_step: clipped surrogate, value regression with L2,
clip_grad_norm_), core/a2c.py (a2c_step), models/mlp_discriminator.py and gail/gail_gym.py's
update_params (BCELoss discriminator on generated vs expert state-actions, expert_reward,
mini-batch PPO over a NumPy permutation), driven as examples/ppo_gym.py / a2c_gym.py /
gail_gym.py do under torch.set_default_dtype(torch.float64), with the models of
tests/s21_trpo_progs_b.py and seeded NumPy stand-ins for Gym and the expert pickle."""

import math
from collections import namedtuple

import numpy as np
from s16_yunjey_progs import Out
from s21_trpo_progs_e import ZFilter, Memory
from s21_trpo_progs_b import utils_torch, models, estimate_advantages, StandIn


def ppo_step(torch, policy_net, value_net, optimizer_policy, optimizer_value,
             optim_value_iternum, states, actions, returns, advantages, fixed_log_probs,
             clip_epsilon, l2_reg):
    """update critic"""
    for _ in range(optim_value_iternum):
        values_pred = value_net(states)
        value_loss = (values_pred - returns).pow(2).mean()
        # weight decay
        for param in value_net.parameters():
            value_loss += param.pow(2).sum() * l2_reg
        optimizer_value.zero_grad()
        value_loss.backward()
        optimizer_value.step()

    """update policy"""
    log_probs = policy_net.get_log_prob(states, actions)
    ratio = torch.exp(log_probs - fixed_log_probs)
    surr1 = ratio * advantages
    surr2 = torch.clamp(ratio, 1.0 - clip_epsilon, 1.0 + clip_epsilon) * advantages
    policy_surr = -torch.min(surr1, surr2).mean()
    optimizer_policy.zero_grad()
    policy_surr.backward()
    gn = torch.nn.utils.clip_grad_norm_(policy_net.parameters(), 40)
    optimizer_policy.step()
    return value_loss, policy_surr, gn


def a2c_step(torch, policy_net, value_net, optimizer_policy, optimizer_value, states, actions,
             returns, advantages, l2_reg):
    """update critic"""
    values_pred = value_net(states)
    value_loss = (values_pred - returns).pow(2).mean()
    # weight decay
    for param in value_net.parameters():
        value_loss += param.pow(2).sum() * l2_reg
    optimizer_value.zero_grad()
    value_loss.backward()
    optimizer_value.step()

    """update policy"""
    log_probs = policy_net.get_log_prob(states, actions)
    policy_loss = -(log_probs * advantages).mean()
    optimizer_policy.zero_grad()
    policy_loss.backward()
    gn = torch.nn.utils.clip_grad_norm_(policy_net.parameters(), 40)
    optimizer_policy.step()
    return value_loss, policy_loss, gn


def discriminator(torch):
    nn, F = torch.nn, torch.nn.functional

    class Discriminator(nn.Module):
        def __init__(self, num_inputs, hidden_size=(128, 128), activation='tanh'):
            super().__init__()
            if activation == 'tanh':
                self.activation = F.tanh
            elif activation == 'relu':
                self.activation = F.relu
            elif activation == 'sigmoid':
                self.activation = F.sigmoid
            self.affine_layers = nn.ModuleList()
            last_dim = num_inputs
            for nh in hidden_size:
                self.affine_layers.append(nn.Linear(last_dim, nh))
                last_dim = nh
            self.logic = nn.Linear(last_dim, 1)
            self.logic.weight.data.mul_(0.1)
            self.logic.bias.data.mul_(0.0)

        def forward(self, x):
            for affine in self.affine_layers:
                x = self.activation(affine(x))
            prob = F.sigmoid(self.logic(x))
            return prob

    return Discriminator


def collect_samples(torch, env, policy_net, running_state, min_batch_size, custom_reward=None):
    """core/agent.py's collect_samples, one thread."""
    memory = Memory()
    num_steps, rewards_ep, c_rewards = 0, [], []
    while num_steps < min_batch_size:
        state = running_state(env.reset())
        reward_episode = 0
        for t in range(10000):
            state_var = torch.tensor(state).unsqueeze(0)
            with torch.no_grad():
                action = policy_net.select_action(state_var)[0].numpy()
            action = int(action[0]) if policy_net.is_disc_action else action.astype(np.float64)
            next_state, reward, done, _ = env.step(action)
            reward_episode += reward
            next_state = running_state(next_state)
            if custom_reward is not None:
                reward = custom_reward(state, action)
                c_rewards.append(reward)
            mask = 0 if done else 1
            memory.push(state, action, mask, next_state, reward)
            if done:
                break
            state = next_state
        num_steps += (t + 1)
        rewards_ep.append(reward_episode)
    log = {'avg_reward': np.mean(rewards_ep), 'num_steps': num_steps}
    if custom_reward is not None:
        log['avg_c_reward'] = np.mean(c_rewards)
    return memory.sample(), log


def _run(torch, algo, discrete, seed):
    out = Out()
    Policy, DiscretePolicy, Value = models(torch)
    get_flat_params_from = utils_torch(torch)[0]
    Args = namedtuple('Args', 'gamma tau l2_reg learning_rate clip_epsilon min_batch_size '
                              'max_iter_num')
    args = Args(0.99, 0.95, 1e-3, 3e-4, 0.2, 24, 3)
    dtype = torch.float64
    with out:
        torch.set_default_dtype(dtype)
        try:
            device = torch.device('cpu')
            env = StandIn(seed, 4 if discrete else 11, 2 if discrete else 3, discrete)
            state_dim = env.obs_dim
            action_dim = 1 if discrete else env.act_dim
            running_state = ZFilter((state_dim,), clip=5)
            np.random.seed(seed)
            torch.manual_seed(seed)
            if discrete:
                policy_net = DiscretePolicy(state_dim, env.act_dim, hidden_size=(32, 32))
            else:
                policy_net = Policy(state_dim, env.act_dim, hidden_size=(32, 32), log_std=-0.5)
            value_net = Value(state_dim, hidden_size=(32, 32))
            optimizer_policy = torch.optim.Adam(policy_net.parameters(), lr=args.learning_rate)
            optimizer_value = torch.optim.Adam(value_net.parameters(), lr=args.learning_rate)
            custom_reward = None
            if algo == 'gail':
                Discriminator = discriminator(torch)
                discrim_net = Discriminator(state_dim + action_dim, hidden_size=(32, 32))
                discrim_criterion = torch.nn.BCELoss()
                optimizer_discrim = torch.optim.Adam(discrim_net.parameters(),
                                                     lr=args.learning_rate)
                expert_traj = np.random.randn(20, state_dim + action_dim) * 0.5
                expert_traj[:, state_dim:] += 0.3

                def expert_reward(state, action):
                    state_action = torch.tensor(np.hstack([state, action]), dtype=dtype)
                    with torch.no_grad():
                        return -math.log(discrim_net(state_action)[0].item())
                custom_reward = expert_reward
            optim_epochs, optim_batch_size = 2, 16

            def update_params(batch, i_iter):
                states = torch.from_numpy(np.stack(batch.state)).to(dtype).to(device)
                actions = torch.from_numpy(np.stack(batch.action)).to(dtype).to(device)
                rewards = torch.from_numpy(np.stack(batch.reward)).to(dtype).to(device)
                masks = torch.from_numpy(np.stack(batch.mask)).to(dtype).to(device)
                with torch.no_grad():
                    values = value_net(states)
                    fixed_log_probs = policy_net.get_log_prob(states, actions)
                advantages, returns = estimate_advantages(torch, rewards, masks, values,
                                                          args.gamma, args.tau, device)
                if algo == 'a2c':
                    res = a2c_step(torch, policy_net, value_net, optimizer_policy,
                                   optimizer_value, states, actions, returns, advantages,
                                   args.l2_reg)
                    out.print("a2c", *[f"{r.item():.5f}" for r in res])
                    return
                if algo == 'gail':
                    for _ in range(3):
                        expert_state_actions = torch.from_numpy(expert_traj).to(dtype).to(device)
                        g_o = discrim_net(torch.cat([states, actions.view(states.shape[0], -1)], 1))
                        e_o = discrim_net(expert_state_actions)
                        optimizer_discrim.zero_grad()
                        discrim_loss = discrim_criterion(g_o, torch.ones((states.shape[0], 1), device=device)) + \
                            discrim_criterion(e_o, torch.zeros((expert_traj.shape[0], 1), device=device))
                        discrim_loss.backward()
                        optimizer_discrim.step()
                    out.print("discrim", f"{discrim_loss.item():.5f}", g_o.shape, e_o.dtype)
                optim_iter_num = int(math.ceil(states.shape[0] / optim_batch_size))
                for _ in range(optim_epochs):
                    perm = np.arange(states.shape[0])
                    np.random.shuffle(perm)
                    perm = torch.LongTensor(perm).to(device)
                    states, actions, returns, advantages, fixed_log_probs = \
                        states[perm].clone(), actions[perm].clone(), returns[perm].clone(), \
                        advantages[perm].clone(), fixed_log_probs[perm].clone()
                    for i in range(optim_iter_num):
                        ind = slice(i * optim_batch_size,
                                    min((i + 1) * optim_batch_size, states.shape[0]))
                        states_b, actions_b, advantages_b, returns_b, fixed_log_probs_b = \
                            states[ind], actions[ind], advantages[ind], returns[ind], \
                            fixed_log_probs[ind]
                        res = ppo_step(torch, policy_net, value_net, optimizer_policy,
                                       optimizer_value, 1, states_b, actions_b, returns_b,
                                       advantages_b, fixed_log_probs_b, args.clip_epsilon,
                                       args.l2_reg)
                        out.print("ppo", states_b.shape, *[f"{r.item():.5f}" for r in res])
                out.vals += [advantages, returns, fixed_log_probs]

            for i_iter in range(args.max_iter_num):
                batch, log = collect_samples(torch, env, policy_net, running_state,
                                             args.min_batch_size, custom_reward)
                update_params(batch, i_iter)
                extra = '\texpert_R_avg {:.4f}'.format(log['avg_c_reward']) \
                    if custom_reward else ''
                out.print('{}{}\tR_avg {:.4f}\tsteps {}'.format(i_iter, extra,
                                                               log['avg_reward'],
                                                               log['num_steps']))
            out.vals += [get_flat_params_from(policy_net), get_flat_params_from(value_net)]
        finally:
            torch.set_default_dtype(torch.float32)
    return out.done()


def ppo_gym(torch):
    """examples/ppo_gym.py, continuous actions: mini-batch ppo_step over a permutation."""
    return _run(torch, 'ppo', False, 5)


def ppo_gym_disc(torch):
    """examples/ppo_gym.py with DiscretePolicy."""
    return _run(torch, 'ppo', True, 6)


def a2c_gym(torch):
    """examples/a2c_gym.py with DiscretePolicy: a2c_step."""
    return _run(torch, 'a2c', True, 7)


def gail_gym(torch):
    """gail/gail_gym.py: discriminator update with BCELoss, expert_reward, PPO."""
    return _run(torch, 'gail', False, 8)
