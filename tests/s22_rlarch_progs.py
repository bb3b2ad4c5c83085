"""facebookresearch/torchbeast as users type it: torchbeast/monobeast.py (AtariNet with its
2-layer LSTM core and ``core_state`` reset on ``done``, create_buffers, the actor's rollout
writes, get_batch, learn() with compute_baseline_loss / compute_entropy_loss /
compute_policy_gradient_loss, RMSprop + LambdaLR + clip_grad_norm_), torchbeast/core/
environment.py (Environment: the uint8 ``done`` of initial(), ``~`` on it) and
torchbeast/core/vtrace.py (action_log_probs, from_logits, from_importance_weights under
@torch.no_grad()). No actor processes: the actors' loop runs inline on a seeded NumPy
stand-in for Atari. ``prog(L) -> (printed, values)``."""

import collections
from types import SimpleNamespace

import numpy as np
from s16_yunjey_progs import Out


class FakeAtari:
    """A seeded NumPy stand-in for a wrapped Atari env: (4, 84, 84) uint8 frames."""

    def __init__(self, seed, num_actions=3, episode_len=4):
        self.rng = np.random.default_rng(seed)
        self.n, self.len, self.t = num_actions, episode_len, 0

    def reset(self):
        self.t = 0
        return self.rng.integers(0, 256, (4, 84, 84), dtype=np.uint8)

    def step(self, action):
        self.t += 1
        frame = self.rng.integers(0, 256, (4, 84, 84), dtype=np.uint8)
        reward = float(self.rng.choice([-2.0, 0.0, 1.0, 3.0])) + 0.1 * action
        return frame, reward, self.t >= self.len, {}


def _beast(L):
    torch, nn, F = L, L.nn, L.nn.functional

    # ---- torchbeast/core/environment.py
    def _format_frame(frame):
        frame = torch.from_numpy(frame)
        return frame.view((1, 1) + frame.shape)  # (...) -> (T,B,...).

    class Environment:
        def __init__(self, gym_env):
            self.gym_env = gym_env
            self.episode_return = None
            self.episode_step = None

        def initial(self):
            initial_reward = torch.zeros(1, 1)
            initial_last_action = torch.zeros(1, 1, dtype=torch.int64)
            self.episode_return = torch.zeros(1, 1)
            self.episode_step = torch.zeros(1, 1, dtype=torch.int32)
            initial_done = torch.ones(1, 1, dtype=torch.uint8)
            initial_frame = _format_frame(self.gym_env.reset())
            return dict(frame=initial_frame, reward=initial_reward, done=initial_done,
                        episode_return=self.episode_return,
                        episode_step=self.episode_step, last_action=initial_last_action)

        def step(self, action):
            frame, reward, done, unused_info = self.gym_env.step(action.item())
            self.episode_step += 1
            self.episode_return += reward
            episode_step = self.episode_step
            episode_return = self.episode_return
            if done:
                frame = self.gym_env.reset()
                self.episode_return = torch.zeros(1, 1)
                self.episode_step = torch.zeros(1, 1, dtype=torch.int32)
            frame = _format_frame(frame)
            reward = torch.tensor(reward).view(1, 1)
            done = torch.tensor(done).view(1, 1)
            return dict(frame=frame, reward=reward, done=done, episode_return=episode_return,
                        episode_step=episode_step, last_action=action)

    # ---- torchbeast/monobeast.py
    def compute_baseline_loss(advantages):
        return 0.5 * torch.sum(advantages ** 2)

    def compute_entropy_loss(logits):
        """Return the entropy loss, i.e., the negative entropy of the policy."""
        policy = F.softmax(logits, dim=-1)
        log_policy = F.log_softmax(logits, dim=-1)
        return torch.sum(policy * log_policy)

    def compute_policy_gradient_loss(logits, actions, advantages):
        cross_entropy = F.nll_loss(
            F.log_softmax(torch.flatten(logits, 0, 1), dim=-1),
            target=torch.flatten(actions, 0, 1),
            reduction="none",
        )
        cross_entropy = cross_entropy.view_as(advantages)
        return torch.sum(cross_entropy * advantages.detach())

    class AtariNet(nn.Module):
        def __init__(self, observation_shape, num_actions, use_lstm=False):
            super(AtariNet, self).__init__()
            self.observation_shape = observation_shape
            self.num_actions = num_actions
            self.conv1 = nn.Conv2d(in_channels=self.observation_shape[0], out_channels=32,
                                   kernel_size=8, stride=4)
            self.conv2 = nn.Conv2d(32, 64, kernel_size=4, stride=2)
            self.conv3 = nn.Conv2d(64, 64, kernel_size=3, stride=1)
            self.fc = nn.Linear(3136, 512)
            core_output_size = self.fc.out_features + num_actions + 1
            self.use_lstm = use_lstm
            if use_lstm:
                self.core = nn.LSTM(core_output_size, core_output_size, 2)
            self.policy = nn.Linear(core_output_size, self.num_actions)
            self.baseline = nn.Linear(core_output_size, 1)

        def initial_state(self, batch_size):
            if not self.use_lstm:
                return tuple()
            return tuple(torch.zeros(self.core.num_layers, batch_size, self.core.hidden_size)
                         for _ in range(2))

        def forward(self, inputs, core_state=()):
            x = inputs["frame"]  # [T, B, C, H, W].
            T, B, *_ = x.shape
            x = torch.flatten(x, 0, 1)  # Merge time and batch.
            x = x.float() / 255.0
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = F.relu(self.conv3(x))
            x = x.view(T * B, -1)
            x = F.relu(self.fc(x))
            one_hot_last_action = F.one_hot(
                inputs["last_action"].view(T * B), self.num_actions).float()
            clipped_reward = torch.clamp(inputs["reward"], -1, 1).view(T * B, 1)
            core_input = torch.cat([x, clipped_reward, one_hot_last_action], dim=-1)
            if self.use_lstm:
                core_input = core_input.view(T, B, -1)
                core_output_list = []
                notdone = (~inputs["done"]).float()
                for input, nd in zip(core_input.unbind(), notdone.unbind()):
                    nd = nd.view(1, -1, 1)
                    core_state = tuple(nd * s for s in core_state)
                    output, core_state = self.core(input.unsqueeze(0), core_state)
                    core_output_list.append(output)
                core_output = torch.flatten(torch.cat(core_output_list), 0, 1)
            else:
                core_output = core_input
                core_state = tuple()
            policy_logits = self.policy(core_output)
            baseline = self.baseline(core_output)
            if self.training:
                action = torch.multinomial(F.softmax(policy_logits, dim=1), num_samples=1)
            else:
                action = torch.argmax(policy_logits, dim=1)
            policy_logits = policy_logits.view(T, B, self.num_actions)
            baseline = baseline.view(T, B)
            action = action.view(T, B)
            return (dict(policy_logits=policy_logits, baseline=baseline, action=action),
                    core_state)

    def create_buffers(flags, obs_shape, num_actions):
        T = flags.unroll_length
        specs = dict(
            frame=dict(size=(T + 1, *obs_shape), dtype=torch.uint8),
            reward=dict(size=(T + 1,), dtype=torch.float32),
            done=dict(size=(T + 1,), dtype=torch.bool),
            episode_return=dict(size=(T + 1,), dtype=torch.float32),
            episode_step=dict(size=(T + 1,), dtype=torch.int32),
            policy_logits=dict(size=(T + 1, num_actions), dtype=torch.float32),
            baseline=dict(size=(T + 1,), dtype=torch.float32),
            last_action=dict(size=(T + 1,), dtype=torch.int64),
            action=dict(size=(T + 1,), dtype=torch.int64),
        )
        buffers = {key: [] for key in specs}
        for _ in range(flags.num_buffers):
            for key in buffers:
                buffers[key].append(torch.empty(**specs[key]).share_memory_())
        return buffers

    return SimpleNamespace(**locals())


def _vtrace(L):
    torch, F = L, L.nn.functional
    VTraceFromLogitsReturns = collections.namedtuple(
        "VTraceFromLogitsReturns",
        ["vs", "pg_advantages", "log_rhos", "behavior_action_log_probs",
         "target_action_log_probs"])
    VTraceReturns = collections.namedtuple("VTraceReturns", "vs pg_advantages")

    def action_log_probs(policy_logits, actions):
        return -F.nll_loss(
            F.log_softmax(torch.flatten(policy_logits, 0, -2), dim=-1),
            torch.flatten(actions),
            reduction="none",
        ).view_as(actions)

    def from_logits(behavior_policy_logits, target_policy_logits, actions, discounts, rewards,
                    values, bootstrap_value, clip_rho_threshold=1.0, clip_pg_rho_threshold=1.0):
        """V-trace for softmax policies."""
        target_action_log_probs = action_log_probs(target_policy_logits, actions)
        behavior_action_log_probs = action_log_probs(behavior_policy_logits, actions)
        log_rhos = target_action_log_probs - behavior_action_log_probs
        vtrace_returns = from_importance_weights(
            log_rhos=log_rhos, discounts=discounts, rewards=rewards, values=values,
            bootstrap_value=bootstrap_value, clip_rho_threshold=clip_rho_threshold,
            clip_pg_rho_threshold=clip_pg_rho_threshold)
        return VTraceFromLogitsReturns(
            log_rhos=log_rhos, behavior_action_log_probs=behavior_action_log_probs,
            target_action_log_probs=target_action_log_probs, **vtrace_returns._asdict())

    @torch.no_grad()
    def from_importance_weights(log_rhos, discounts, rewards, values, bootstrap_value,
                                clip_rho_threshold=1.0, clip_pg_rho_threshold=1.0):
        """V-trace from log importance weights."""
        with torch.no_grad():
            rhos = torch.exp(log_rhos)
            if clip_rho_threshold is not None:
                clipped_rhos = torch.clamp(rhos, max=clip_rho_threshold)
            else:
                clipped_rhos = rhos
            cs = torch.clamp(rhos, max=1.0)
            values_t_plus_1 = torch.cat([values[1:], torch.unsqueeze(bootstrap_value, 0)],
                                        dim=0)
            deltas = clipped_rhos * (rewards + discounts * values_t_plus_1 - values)
            acc = torch.zeros_like(bootstrap_value)
            result = []
            for t in range(discounts.shape[0] - 1, -1, -1):
                acc = deltas[t] + discounts[t] * cs[t] * acc
                result.append(acc)
            result.reverse()
            vs_minus_v_xs = torch.stack(result)
            vs = torch.add(vs_minus_v_xs, values)
            broadcasted_bootstrap_values = torch.ones_like(vs[0]) * bootstrap_value
            vs_t_plus_1 = torch.cat([vs[1:], broadcasted_bootstrap_values.unsqueeze(0)], dim=0)
            if clip_pg_rho_threshold is not None:
                clipped_pg_rhos = torch.clamp(rhos, max=clip_pg_rho_threshold)
            else:
                clipped_pg_rhos = rhos
            pg_advantages = clipped_pg_rhos * (rewards + discounts * vs_t_plus_1 - values)
            return VTraceReturns(vs=vs, pg_advantages=pg_advantages)

    return SimpleNamespace(**locals())


def vtrace_functions(L):
    """vtrace.py on random logits (tests/vtrace_test.py's shapes, made small)."""
    torch, V = L, _vtrace(L)
    rng = np.random.default_rng(3)
    T, B, A = 5, 2, 3
    with Out() as o:
        behavior = torch.from_numpy(rng.standard_normal((T, B, A)).astype(np.float32))
        target = torch.from_numpy(rng.standard_normal((T, B, A)).astype(np.float32))
        target.requires_grad_()
        actions = torch.from_numpy(rng.integers(0, A, (T, B)))
        discounts = torch.from_numpy((rng.random((T, B)) > 0.2).astype(np.float32)) * 0.99
        rewards = torch.from_numpy(rng.standard_normal((T, B)).astype(np.float32))
        values = torch.from_numpy(rng.standard_normal((T, B)).astype(np.float32))
        bootstrap = torch.from_numpy(rng.standard_normal(B).astype(np.float32))
        out = V.from_logits(behavior, target, actions, discounts, rewards, values, bootstrap)
        for k, v in out._asdict().items():
            o.print(k, tuple(v.shape), v.dtype, v.requires_grad, v.grad_fn is not None)
        o.vals += list(out)
        out2 = V.from_importance_weights(out.log_rhos * 3, discounts, rewards, values,
                                         bootstrap, clip_rho_threshold=None,
                                         clip_pg_rho_threshold=None)
        o.print(type(out2).__name__, out2._fields, out2.vs.requires_grad)
        o.vals += [out2.vs, out2.pg_advantages]
        out3 = V.from_importance_weights(out.log_rhos.detach(), discounts, rewards, values,
                                         bootstrap, clip_rho_threshold=0.5,
                                         clip_pg_rho_threshold=2.0)
        o.vals += [out3.vs, out3.pg_advantages]
        out.target_action_log_probs.sum().backward()
        o.print("target grad", tuple(target.grad.shape), f"{target.grad.abs().sum():.4f}")
        o.vals.append(target.grad)
        o.print(torch.is_grad_enabled())
        # a single-step unroll and a bad action index (a user error)
        o.tryit(lambda: V.action_log_probs(behavior, actions + A))
    return o.lines, o.vals


def _flags(**kw):
    d = dict(unroll_length=3, batch_size=2, num_buffers=4, num_actors=2, use_lstm=True,
             entropy_cost=0.0006, baseline_cost=0.5, discounting=0.99,
             reward_clipping="abs_one", learning_rate=0.00048, alpha=0.99, momentum=0,
             epsilon=0.01, grad_norm_clipping=40.0, total_steps=60)
    d.update(kw)
    return SimpleNamespace(**d)
