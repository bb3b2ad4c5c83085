"""philtabor/Youtube-Code-Repository: PolicyGradient/A3C/pytorch/a3c.py (SharedAdam with
hand-made shared state, global_param._grad = local_param.grad, one worker run in-process
instead of mp.Process) and ICM/actor_critic.py + icm.py + memory.py (GRUCell actor-critic, GAE
in a Python loop over 0-d tensors, intrinsic curiosity module), as users type them; CartPole
replaced by the stand-in of tests/s20_tabor_progs.py, sizes shrunk."""

import numpy as np
from s16_yunjey_progs import Out
from s20_tabor_progs import Env


def a3c(L, step0='int'):
    T, nn, F = L, L.nn, L.nn.functional
    Categorical = L.distributions.Categorical
    L.manual_seed(12)
    np.random.seed(12)

    class SharedAdam(T.optim.Adam):
        def __init__(self, params, lr=1e-3, betas=(0.9, 0.99), eps=1e-8, weight_decay=0):
            super(SharedAdam, self).__init__(params, lr=lr, betas=betas, eps=eps,
                                             weight_decay=weight_decay)
            for group in self.param_groups:
                for p in group['params']:
                    state = self.state[p]
                    state['step'] = 0 if step0 == 'int' else T.tensor(0.)
                    state['exp_avg'] = T.zeros_like(p.data)
                    state['exp_avg_sq'] = T.zeros_like(p.data)
                    state['exp_avg'].share_memory_()
                    state['exp_avg_sq'].share_memory_()

    class ActorCritic(nn.Module):
        def __init__(self, input_dims, n_actions, gamma=0.99):
            super(ActorCritic, self).__init__()
            self.gamma = gamma
            self.pi1 = nn.Linear(*input_dims, 16)
            self.v1 = nn.Linear(*input_dims, 16)
            self.pi = nn.Linear(16, n_actions)
            self.v = nn.Linear(16, 1)
            self.rewards, self.actions, self.states = [], [], []

        def remember(self, state, action, reward):
            self.states.append(state)
            self.actions.append(action)
            self.rewards.append(reward)

        def clear_memory(self):
            self.states, self.actions, self.rewards = [], [], []

        def forward(self, state):
            pi1 = F.relu(self.pi1(state))
            v1 = F.relu(self.v1(state))
            return self.pi(pi1), self.v(v1)

        def calc_R(self, done):
            states = T.tensor(self.states, dtype=T.float)
            _, v = self.forward(states)
            R = v[-1] * (1 - int(done))
            batch_return = []
            for reward in self.rewards[::-1]:
                R = reward + self.gamma * R
                batch_return.append(R)
            batch_return.reverse()
            return T.tensor(batch_return, dtype=T.float)

        def calc_loss(self, done):
            states = T.tensor(self.states, dtype=T.float)
            actions = T.tensor(self.actions, dtype=T.float)
            returns = self.calc_R(done)
            pi, values = self.forward(states)
            values = values.squeeze()
            critic_loss = (returns - values) ** 2
            probs = T.softmax(pi, dim=1)
            dist = Categorical(probs)
            log_probs = dist.log_prob(actions)
            actor_loss = -log_probs * (returns - values)
            return (critic_loss + actor_loss).mean(), returns

        def choose_action(self, observation):
            state = T.tensor([observation], dtype=T.float)
            pi, v = self.forward(state)
            probs = T.softmax(pi, dim=1)
            dist = Categorical(probs)
            return dist.sample().numpy()[0]

    with Out() as o:
        input_dims, n_actions, T_MAX = [4], 2, 3
        global_actor_critic = ActorCritic(input_dims, n_actions)
        global_actor_critic.share_memory()
        optim = SharedAdam(global_actor_critic.parameters(), lr=1e-3, betas=(0.92, 0.999))
        local = ActorCritic(input_dims, n_actions, 0.99)
        env = Env(14, n_obs=4, n_act=2, length=5)
        t_step = 1
        for ep in range(2):
            done, observation, score = False, env.reset(), 0
            local.clear_memory()
            while not done:
                action = local.choose_action(observation)
                observation_, reward, done, info = env.step(action)
                score += reward
                local.remember(observation, action, reward)
                if t_step % T_MAX == 0 or done:
                    loss, returns = local.calc_loss(done)
                    optim.zero_grad()
                    loss.backward()
                    for local_param, global_param in zip(local.parameters(),
                                                         global_actor_critic.parameters()):
                        global_param._grad = local_param.grad
                    if o.tryit(lambda: optim.step()) is None and step0 == 'int':
                        return o.done()
                    local.load_state_dict(global_actor_critic.state_dict())
                    local.clear_memory()
                    o.print('loss %.4f' % loss.item(), returns.dtype, tuple(returns.shape),
                            type(action).__name__)
                t_step += 1
                observation = observation_
            o.print('w00 episode ', ep, 'reward %.1f' % score)
        st = optim.state[global_actor_critic.v.weight]
        o.print(sorted(st), st['step'], st['exp_avg'].is_shared())
        o.vals += [p.detach() for p in global_actor_critic.parameters()]
    return o.done()


def a3c_tensor_step(L):
    """The same with state['step'] = T.tensor(0.) (what PyTorch 2's error asks for)."""
    return a3c(L, 'tensor')


def icm(L):
    """ICM/worker.py's loop with icm=True on one worker: the repository's
    `rewards += r_i_t.detach().numpy()` extends the Python list (a reshape error, printed),
    then the user's fix `rewards = np.array(rewards) + ...`; `hx = hx.detach_()` moved after
    backward() (before it, both libraries raise 'Trying to use a saved tensor that has been
    detached in-place': tests/test_s20_gaps.py)."""
    T, nn, F = L, L.nn, L.nn.functional
    Categorical = L.distributions.Categorical
    L.manual_seed(13)
    np.random.seed(13)
    H = 16

    class ActorCritic(nn.Module):
        def __init__(self, input_dims, n_actions, gamma=0.99, tau=0.98):
            super(ActorCritic, self).__init__()
            self.gamma, self.tau, self.fix = gamma, tau, False
            self.input = nn.Linear(*input_dims, H)
            self.dense = nn.Linear(H, H)
            self.gru = nn.GRUCell(H, H)
            self.pi = nn.Linear(H, n_actions)
            self.v = nn.Linear(H, 1)

        def forward(self, state, hx):
            x = F.relu(self.input(state))
            x = F.relu(self.dense(x))
            hx = self.gru(x, (hx))
            pi = self.pi(hx)
            v = self.v(hx)
            probs = T.softmax(pi, dim=1)
            dist = Categorical(probs)
            action = dist.sample()
            log_prob = dist.log_prob(action)
            return action.numpy()[0], v, log_prob, hx

        def calc_R(self, done, rewards, values):
            values = T.cat(values).squeeze()
            if len(values.size()) == 1:
                R = values[-1] * (1 - int(done))
            elif len(values.size()) == 0:
                R = values * (1 - int(done))
            batch_return = []
            for reward in rewards[::-1]:
                R = reward + self.gamma * R
                batch_return.append(R)
            batch_return.reverse()
            return T.tensor(batch_return, dtype=T.float).reshape(values.size())

        def calc_loss(self, new_states, hx, done, rewards, values, log_probs, r_i_t=None):
            if r_i_t is not None:
                if self.fix:
                    rewards = np.array(rewards, dtype=np.float64) + r_i_t.detach().numpy()
                else:
                    rewards += r_i_t.detach().numpy()
            returns = self.calc_R(done, rewards, values)
            next_v = T.zeros(1, 1) if done else self.forward(T.tensor([new_states],
                                                                      dtype=T.float), hx)[1]
            values.append(next_v.detach())
            values = T.cat(values).squeeze()
            log_probs = T.cat(log_probs)
            rewards = T.tensor(rewards)
            delta_t = rewards + self.gamma * values[1:] - values[:-1]
            n_steps = len(delta_t)
            gae = np.zeros(n_steps)
            for t in range(n_steps):
                for k in range(0, n_steps - t):
                    temp = (self.gamma * self.tau) ** k * delta_t[t + k]
                    gae[t] += temp
            gae = T.tensor(gae, dtype=T.float)
            actor_loss = -(log_probs * gae).sum()
            entropy_loss = (-log_probs * T.exp(log_probs)).sum()
            critic_loss = F.mse_loss(values[:-1].squeeze(), returns)
            return actor_loss + critic_loss - 0.01 * entropy_loss

    class ICM(nn.Module):
        def __init__(self, input_dims, n_actions=2, alpha=1, beta=0.2):
            super(ICM, self).__init__()
            self.alpha, self.beta = alpha, beta
            self.inverse = nn.Linear(4 * 2, H)
            self.pi_logits = nn.Linear(H, n_actions)
            self.dense1 = nn.Linear(4 + 1, H)
            self.new_state = nn.Linear(H, 4)
            self.to(T.device('cpu'))

        def forward(self, state, new_state, action):
            inverse = F.elu(self.inverse(T.cat([state, new_state], dim=1)))
            pi_logits = self.pi_logits(inverse)
            action = action.reshape((action.size()[0], 1))
            forward_input = T.cat([state, action], dim=1)
            dense = F.elu(self.dense1(forward_input))
            return pi_logits, self.new_state(dense)

        def calc_loss(self, state, new_state, action):
            state = T.tensor(state, dtype=T.float)
            action = T.tensor(action, dtype=T.float)
            new_state = T.tensor(new_state, dtype=T.float)
            pi_logits, state_ = self.forward(state, new_state, action)
            inverse_loss = nn.CrossEntropyLoss()
            L_I = (1 - self.beta) * inverse_loss(pi_logits, action.to(T.long))
            forward_loss = nn.MSELoss()
            L_F = self.beta * forward_loss(state_, new_state)
            intrinsic_reward = self.alpha * ((state_ - new_state).pow(2)).mean(dim=1)
            return intrinsic_reward, L_I, L_F

    with Out() as o:
        input_shape, n_actions, T_MAX = [4], 2, 4
        local_agent = ActorCritic(input_shape, n_actions)
        local_icm = ICM(input_shape, n_actions)
        optimizer = T.optim.Adam(local_agent.parameters(), lr=1e-3)
        icm_optimizer = T.optim.Adam(local_icm.parameters(), lr=1e-3)
        env = Env(15, n_obs=4, n_act=2, length=6)
        for episode in range(3):
            obs, hx = env.reset(), T.zeros(1, H)
            score, done, ep_steps = 0, False, 0
            mem = [[] for _ in range(6)]
            while not done:
                state = T.tensor([obs], dtype=T.float)
                action, value, log_prob, hx = local_agent(state, hx)
                obs_, reward, done, info = env.step(action)
                ep_steps += 1
                score += reward
                reward = 0
                for lst, x in zip(mem, (obs, action, reward, obs_, value, log_prob)):
                    lst.append(x)
                obs = obs_
                if ep_steps % T_MAX == 0 or done:
                    states, actions, rewards, new_states, values, log_probs = mem
                    intrinsic_reward, L_I, L_F = local_icm.calc_loss(states, new_states, actions)
                    try:
                        loss = local_agent.calc_loss(obs, hx, done, rewards, values, log_probs,
                                                     intrinsic_reward)
                    except RuntimeError as e:
                        o.print(type(e).__name__, str(e).splitlines()[0], len(rewards))
                        local_agent.fix = True
                        del rewards[len(values):], values[len(states):]
                        loss = local_agent.calc_loss(obs, hx, done, rewards, values, log_probs,
                                                     intrinsic_reward)
                    optimizer.zero_grad()
                    icm_optimizer.zero_grad()
                    (L_I + L_F).backward()
                    loss.backward()
                    hx = hx.detach_()   # after backward: before it, refused (see the docstring)
                    norm = T.nn.utils.clip_grad_norm_(local_agent.parameters(), 40)
                    optimizer.step()
                    icm_optimizer.step()
                    mem = [[] for _ in range(6)]
                    o.print('loss %.4f norm %.4f L_I %.4f L_F %.4f' % (
                        loss.item(), norm.item(), L_I.item(), L_F.item()))
            o.print('{} episode {} score {:.2f} intrinsic_reward {:.2f}'.format(
                'ICM', episode, score, T.sum(intrinsic_reward)))
        o.vals += [p.detach() for p in local_agent.parameters()]
        o.vals += [p.detach() for p in local_icm.parameters()]
    return o.done()
