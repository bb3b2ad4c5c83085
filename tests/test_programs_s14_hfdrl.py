"""Session 14, Hugging Face Deep RL Course code on ember and on torch 2.13, compared live:
unit 4 (REINFORCE on CartPole-v1), unit 8 part 1 (CleanRL PPO: layer_init, GAE, clipped
minibatch updates, approx_kl, clip_grad_norm_) and the PyTorch "Mario" tutorial's agent
(MarioNet online/target, td_estimate/td_target, SmoothL1Loss, sync, checkpoint) on synthetic
84x84 frames; plus the mistakes learners make in that code.

Values are compared to rtol 1e-5 where they pass through narrow products (Linear(16, 2),
Linear(64, 1), convolutions as GEMMs), whose last float32 bit depends on MKL's summation
order against NumPy's (README, known gaps); printed lines, dtypes and shapes exactly."""

import copy
import io
from collections import deque

import numpy as np
import pytest
import torch
from torch_compare import exact_and_close, run_both, same_error_case

import ember

RTOL, ATOL = 1e-5, 1e-6


# ---- unit 4: REINFORCE ---------------------------------------------------------------------

def _reinforce(L):
    import gymnasium as gym
    nn, F = L.nn, L.nn.functional
    from_dist = L.distributions.Categorical
    L.manual_seed(0)
    env = gym.make("CartPole-v1")

    class Policy(nn.Module):
        def __init__(self, s_size, a_size, h_size):
            super(Policy, self).__init__()
            self.fc1 = nn.Linear(s_size, h_size)
            self.fc2 = nn.Linear(h_size, a_size)

        def forward(self, x):
            return F.softmax(self.fc2(F.relu(self.fc1(x))), dim=1)

        def act(self, state):
            state = L.from_numpy(state).float().unsqueeze(0).to(L.device("cpu"))
            probs = self.forward(state).cpu()
            m = from_dist(probs)
            action = m.sample()
            return action.item(), m.log_prob(action)

    policy = Policy(4, 2, 16)
    optimizer = L.optim.Adam(policy.parameters(), lr=1e-2)
    shown, values = [repr(policy)], []
    for episode in range(1, 4):
        saved_log_probs, rewards = [], []
        state, _ = env.reset(seed=episode)
        for _ in range(40):
            action, log_prob = policy.act(state)
            saved_log_probs.append(log_prob)
            state, reward, terminated, truncated, _ = env.step(action)
            rewards.append(reward)
            if terminated or truncated:
                break
        returns = deque(maxlen=40)
        for t in range(len(rewards))[::-1]:
            disc_return_t = returns[0] if len(returns) > 0 else 0
            returns.appendleft(0.99 * disc_return_t + rewards[t])
        eps = np.finfo(np.float32).eps.item()
        returns = L.tensor(returns)
        returns = (returns - returns.mean()) / (returns.std() + eps)
        policy_loss = [-lp * r for lp, r in zip(saved_log_probs, returns)]
        shown.append((len(rewards), str(returns.dtype), repr(policy_loss[0].grad_fn.name())))
        policy_loss = L.cat(policy_loss).sum()
        optimizer.zero_grad()
        policy_loss.backward()
        optimizer.step()
        values += [returns, policy_loss, policy.fc1.weight.grad]
    values += [p.detach() for p in policy.parameters()]
    return shown, values


def test_reinforce_episodes_on_cartpole():
    exact_and_close(_reinforce, RTOL, ATOL)


# ---- unit 8 part 1: CleanRL PPO --------------------------------------------------------------

def _agent(L, weights):
    nn = L.nn

    def layer_init(layer, std=np.sqrt(2), bias_const=0.0):
        L.nn.init.orthogonal_(layer.weight, std)
        L.nn.init.constant_(layer.bias, bias_const)
        return layer

    class Agent(nn.Module):
        def __init__(self):
            super().__init__()
            self.critic = nn.Sequential(layer_init(nn.Linear(4, 64)), nn.Tanh(),
                                        layer_init(nn.Linear(64, 64)), nn.Tanh(),
                                        layer_init(nn.Linear(64, 1), std=1.0))
            self.actor = nn.Sequential(layer_init(nn.Linear(4, 64)), nn.Tanh(),
                                       layer_init(nn.Linear(64, 64)), nn.Tanh(),
                                       layer_init(nn.Linear(64, 2), std=0.01))

        def get_value(self, x):
            return self.critic(x)

        def get_action_and_value(self, x, action=None):
            probs = L.distributions.Categorical(logits=self.actor(x))
            if action is None:
                action = probs.sample()
            return action, probs.log_prob(action), probs.entropy(), self.critic(x)

    L.manual_seed(1)
    agent = Agent()
    # orthogonal_'s QR is LAPACK's float32 one in PyTorch, NumPy's (float64) in ember: the
    # same matrices to a bit or two, so both start from PyTorch's exactly.
    agent.load_state_dict({k: L.from_numpy(v.copy()) for k, v in weights.items()})
    return agent


def _ppo(L, weights):
    nn = L.nn
    agent = _agent(L, weights)
    optimizer = L.optim.Adam(agent.parameters(), lr=0.03, eps=1e-5)  # large: ratios clip
    rng = np.random.default_rng(3)
    num_steps, num_envs, gamma, lam, clip = 8, 2, 0.99, 0.95, 0.2
    obs = L.Tensor(rng.standard_normal((num_steps, num_envs, 4)))
    rewards = L.zeros((num_steps, num_envs))
    dones, values = L.zeros((num_steps, num_envs)), L.zeros((num_steps, num_envs))
    actions, logprobs = L.zeros((num_steps, num_envs)), L.zeros((num_steps, num_envs))
    L.manual_seed(5)
    for step in range(num_steps):
        with L.no_grad():
            action, logprob, _, value = agent.get_action_and_value(obs[step])
            values[step] = value.flatten()
        actions[step], logprobs[step] = action, logprob
        rewards[step] = L.tensor(rng.random(num_envs)).view(-1)
        dones[step] = L.Tensor(rng.random(num_envs) > 0.8)
    next_obs, next_done = L.Tensor(rng.standard_normal((num_envs, 4))), L.zeros(num_envs)
    with L.no_grad():
        next_value = agent.get_value(next_obs).reshape(1, -1)
        advantages = L.zeros_like(rewards)
        lastgaelam = 0
        for t in reversed(range(num_steps)):
            if t == num_steps - 1:
                nextnonterminal, nextvalues = 1.0 - next_done, next_value
            else:
                nextnonterminal, nextvalues = 1.0 - dones[t + 1], values[t + 1]
            delta = rewards[t] + gamma * nextvalues * nextnonterminal - values[t]
            advantages[t] = lastgaelam = delta + gamma * lam * nextnonterminal * lastgaelam
        returns = advantages + values
    b_obs, b_logprobs = obs.reshape((-1, 4)), logprobs.reshape(-1)
    b_actions, b_adv = actions.reshape(-1), advantages.reshape(-1)
    b_returns, b_values = returns.reshape(-1), values.reshape(-1)
    b_inds, perm = np.arange(16), np.random.default_rng(7)
    shown, out, clipfracs = [str(advantages.dtype), tuple(advantages.shape)], [advantages], []
    for epoch in range(2):
        perm.shuffle(b_inds)
        for start in range(0, 16, 8):
            mb = b_inds[start:start + 8]
            _, newlogprob, entropy, newvalue = agent.get_action_and_value(
                b_obs[mb], b_actions.long()[mb])
            logratio = newlogprob - b_logprobs[mb]
            ratio = logratio.exp()
            with L.no_grad():
                approx_kl = ((ratio - 1) - logratio).mean()
                clipfracs += [((ratio - 1.0).abs() > clip).float().mean().item()]
            mb_adv = (b_adv[mb] - b_adv[mb].mean()) / (b_adv[mb].std() + 1e-8)
            pg_loss = L.max(-mb_adv * ratio, -mb_adv * L.clamp(ratio, 1 - clip, 1 + clip)).mean()
            newvalue = newvalue.view(-1)
            v_clipped = b_values[mb] + L.clamp(newvalue - b_values[mb], -clip, clip)
            v_loss = 0.5 * L.max((newvalue - b_returns[mb]) ** 2,
                                 (v_clipped - b_returns[mb]) ** 2).mean()
            loss = pg_loss - 0.01 * entropy.mean() + v_loss * 0.5
            optimizer.zero_grad()
            loss.backward()
            norm = nn.utils.clip_grad_norm_(agent.parameters(), 0.5)
            optimizer.step()
            out += [loss, norm, approx_kl, pg_loss, v_loss]
            shown.append(loss.grad_fn.name())
    y_pred, y_true = b_values.cpu().numpy(), b_returns.cpu().numpy()
    explained_var = 1 - np.var(y_true - y_pred) / np.var(y_true)
    shown += [clipfracs, type(explained_var).__name__]
    out += [explained_var] + [p.detach() for p in agent.parameters()]
    return shown, out


def test_cleanrl_ppo_rollout_gae_and_clipped_updates():
    weights = {k: v.numpy() for k, v in _torch_agent_state().items()}
    exact_and_close(lambda L: _ppo(L, weights), RTOL, ATOL)


def _torch_agent_state():
    nn = torch.nn
    torch.manual_seed(1)
    layers = {}
    for head, last in (("critic", (1, 1.0)), ("actor", (2, 0.01))):
        for i, (n_in, n_out, std) in enumerate([(4, 64, np.sqrt(2)), (64, 64, np.sqrt(2)),
                                                (64, last[0], last[1])]):
            lin = nn.Linear(n_in, n_out)
            nn.init.orthogonal_(lin.weight, std)
            nn.init.constant_(lin.bias, 0.0)
            layers[f"{head}.{2 * i}.weight"], layers[f"{head}.{2 * i}.bias"] = lin.weight, lin.bias
    return {k: v.detach() for k, v in layers.items()}


def test_orthogonal_init_matches_torch_to_float32_rounding():
    """Same normal draws, then QR: LAPACK's float32 Householder QR in PyTorch, NumPy's in
    ember; the matrices agree to float32 rounding (a bit or two), not bitwise."""
    def case(L):
        L.manual_seed(1)
        w = L.empty(64, 4)
        L.nn.init.orthogonal_(w, np.sqrt(2))
        wide = L.nn.init.orthogonal_(L.empty(2, 64), 0.01)
        return [str(w.dtype)], [w, wide, L.rand(3)]
    exact_and_close(case, 1e-5, 1e-7)


# ---- the Mario tutorial's agent on synthetic frames -------------------------------------------

def _mario(L):
    import random
    nn = L.nn
    L.manual_seed(0)
    random.seed(0)

    class MarioNet(nn.Module):
        def __init__(self, c, output_dim):
            super().__init__()
            self.online = nn.Sequential(
                nn.Conv2d(c, 4, kernel_size=8, stride=4), nn.ReLU(),
                nn.Conv2d(4, 4, kernel_size=4, stride=2), nn.ReLU(), nn.Flatten(),
                nn.Linear(324, 16), nn.ReLU(), nn.Linear(16, output_dim))
            self.target = copy.deepcopy(self.online)
            for p in self.target.parameters():
                p.requires_grad = False

        def forward(self, input, model):
            return self.online(input) if model == "online" else self.target(input)

    net = MarioNet(4, 2).float()
    optimizer = L.optim.Adam(net.parameters(), lr=0.00025)
    loss_fn = nn.SmoothL1Loss()
    memory, batch_size, gamma = deque(maxlen=20), 4, 0.9
    rng = np.random.default_rng(0)
    for i in range(8):
        memory.append(dict(state=L.tensor(rng.random((4, 84, 84), dtype=np.float32)),
                           next_state=L.tensor(rng.random((4, 84, 84), dtype=np.float32)),
                           action=L.tensor([int(rng.integers(2))]),
                           reward=L.tensor([float(rng.integers(-1, 3))]),
                           done=L.tensor([bool(i % 5 == 4)])))
    exploration_rate, shown, out = 1.0, [], []
    with L.no_grad():
        q = net(L.tensor(memory[0]["state"].numpy()).unsqueeze(0), model="online")
    shown.append(L.argmax(q, axis=1).item())
    for step in range(3):
        exploration_rate = max(0.1, exploration_rate * 0.99999975)
        batch = random.sample(memory, batch_size)
        state, next_state, action, reward, done = (
            L.stack([b[k] for b in batch]) for k in ("state", "next_state", "action", "reward",
                                                     "done"))
        action, reward, done = action.squeeze(), reward.squeeze(), done.squeeze()
        td_est = net(state, model="online")[np.arange(0, batch_size), action]
        with L.no_grad():
            best_action = L.argmax(net(next_state, model="online"), axis=1)
            next_q = net(next_state, model="target")[np.arange(0, batch_size), best_action]
            td_tgt = (reward + (1 - done.float()) * gamma * next_q).float()
        loss = loss_fn(td_est, td_tgt)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        shown += [td_est.grad_fn.name(), td_tgt.requires_grad, type(loss.item()).__name__,
                  net.target[0].weight.grad is None]
        out += [td_est, td_tgt, loss, net.online[0].weight.grad]
        if step == 1:
            net.target.load_state_dict(net.online.state_dict())
    buf = io.BytesIO()
    L.save(dict(model=net.state_dict(), exploration_rate=exploration_rate), buf)
    buf.seek(0)
    ck = L.load(buf)
    shown += [sorted(ck), ck["exploration_rate"], list(ck["model"])[:3]]
    out += [ck["model"]["target.5.weight"], net.online[5].weight.detach()]
    return shown, out


def test_mario_agent_td_updates_sync_and_checkpoint():
    exact_and_close(_mario, RTOL, ATOL)


# ---- mistakes learners make in that code ------------------------------------------------------

_MISTAKES = {
    # CleanRL's layer_init on a layer built with bias=False
    "layer_init no bias": lambda L: L.nn.init.constant_(L.nn.Linear(4, 2, bias=False).bias, 0.),
    "zeros_ on None": lambda L: L.nn.init.zeros_(None),
    "xavier on None": lambda L: L.nn.init.xavier_uniform_(None),
    "orthogonal on None": lambda L: L.nn.init.orthogonal_(None),
    "kaiming on ndarray": lambda L: L.nn.init.kaiming_normal_(np.zeros((2, 2))),
    "normal_ on None": lambda L: L.nn.init.normal_(None),
    # init of an integer or half tensor
    "orthogonal long": lambda L: L.nn.init.orthogonal_(L.zeros(2, 3, dtype=L.long)),
    "normal_ int": lambda L: L.nn.init.normal_(L.zeros(3, dtype=L.int32)),
    "uniform_ bool": lambda L: L.nn.init.uniform_(L.zeros(3, dtype=L.bool)),
    "xavier_uniform long": lambda L: L.nn.init.xavier_uniform_(L.zeros(2, 3, dtype=L.long)),
    "kaiming_normal long": lambda L: L.nn.init.kaiming_normal_(L.zeros(2, 3, dtype=L.long)),
    "trunc_normal long": lambda L: L.nn.init.trunc_normal_(L.zeros(2, 3, dtype=L.long)),
    "orthogonal half": lambda L: L.nn.init.orthogonal_(L.zeros(2, 3, dtype=L.float16)),
    # layer_init(layer, std="relu") and bad constant_ values
    "orthogonal gain str": lambda L: L.nn.init.orthogonal_(L.zeros(2, 2), "relu"),
    "orthogonal gain None": lambda L: L.nn.init.orthogonal_(L.zeros(2, 2), None),
    "constant_ None": lambda L: L.nn.init.constant_(L.zeros(2), None),
    "constant_ str": lambda L: L.nn.init.constant_(L.zeros(2), "0"),
    "constant_ list": lambda L: L.nn.init.constant_(L.zeros(2), [0.5]),
    "constant_ 1-d tensor": lambda L: L.nn.init.constant_(L.zeros(2), L.tensor([1.0, 2.0])),
    # REINFORCE: log_probs kept 0-d (no unsqueeze(0)), then torch.cat
    "cat 0-d log_probs": lambda L: L.cat([L.distributions.Categorical(
        L.tensor([0.3, 0.7])).log_prob(L.tensor(1))] * 2),
    "act without unsqueeze": lambda L: L.nn.functional.softmax(
        L.nn.Linear(4, 2)(L.from_numpy(np.zeros(4, np.float32))), dim=1),
    "act with float64 state": lambda L: L.nn.Linear(4, 2)(L.from_numpy(np.zeros((1, 4)))),
    "log_prob out of support": lambda L: L.distributions.Categorical(
        L.tensor([0.5, 0.5])).log_prob(L.tensor(3)),
    "from_numpy list": lambda L: L.from_numpy([1.0, 2.0]),
    # Mario: 1 - done on a bool tensor, uint8 frames, a batch index of the wrong length
    "1 - bool done": lambda L: 1 - L.tensor([True, False]),
    "uint8 frames": lambda L: L.nn.Conv2d(4, 2, 8, 4)(L.zeros(1, 4, 84, 84, dtype=L.uint8)),
    "index length": lambda L: L.zeros(4, 2)[np.arange(0, 3), L.tensor([0, 1, 1, 0])],
    "action out of range": lambda L: L.zeros(4, 2)[np.arange(4), L.tensor([0, 2, 1, 0])],
    "max with a float": lambda L: L.max(L.ones(2), 0.5),
    "bool mean": lambda L: (L.ones(2) > 0.5).mean(),
}


@pytest.mark.parametrize("case", sorted(_MISTAKES))
def test_learner_mistakes_raise_pytorchs_error(case):
    same_error_case(_MISTAKES[case])


_VALUES = {
    "constant_ 0-d tensor": lambda L: L.nn.init.constant_(L.zeros(2), L.tensor(2.0)),
    "constant_ numpy bool": lambda L: L.nn.init.constant_(L.zeros(2), np.bool_(True)),
    "constant_ long into long": lambda L: L.nn.init.constant_(L.zeros(2, dtype=L.long), 1.5),
    "orthogonal tensor gain": lambda L: (L.manual_seed(0), L.nn.init.orthogonal_(
        L.zeros(3, 3), L.tensor(2.0)).shape, L.rand(2))[1:],
    "orthogonal numpy gain": lambda L: (L.manual_seed(0), L.nn.init.orthogonal_(
        L.zeros(3, 2), np.float64(0.5)).dtype, L.rand(2))[1:],
}


@pytest.mark.parametrize("case", sorted(_VALUES))
def test_init_values_pytorch_takes(case):
    want, got = run_both(lambda L: repr(_VALUES[case](L)))
    assert got == want
