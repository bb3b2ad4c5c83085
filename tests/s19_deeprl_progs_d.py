"""ShangtongZhang/DeepRL deterministic-policy agents (deep_rl/agent/DDPG_agent.py and
TD3_agent.py, with soft target updates through detach_() and copy_()) as users run them, with
the gym task and replay replaced by fixed random transitions and the Ornstein-Uhlenbeck
process of deep_rl/component/random_process.py; see s19_deeprl_progs.py."""

import numpy as np
from s16_yunjey_progs import Out
from s19_deeprl_progs import deeprl
from s19_deeprl_progs_b import Transition


class OrnsteinUhlenbeckProcess:
    def __init__(self, size, std, theta=.15, dt=1e-2, x0=None):
        self.theta = theta
        self.mu = 0
        self.std = std
        self.dt = dt
        self.x0 = x0
        self.size = size
        self.reset_states()

    def sample(self):
        x = self.x_prev + self.theta * (self.mu - self.x_prev) * self.dt + self.std() * np.sqrt(
            self.dt) * np.random.randn(*self.size)
        self.x_prev = x
        return x

    def reset_states(self):
        self.x_prev = self.x0 if self.x0 is not None else np.zeros(self.size)


class Replay:
    """Replay stand-in: fixed continuous-action transitions (actions in [-1, 1])."""

    def __init__(self, n=24, state_dim=3, action_dim=2, batch_size=6, seed=3):
        rng = np.random.RandomState(seed)
        self.data = Transition(rng.randn(n, state_dim), rng.uniform(-1, 1, (n, action_dim)),
                               rng.randn(n).round(2), rng.randn(n, state_dim),
                               1 - (rng.rand(n) < 0.1).astype(np.int32))
        self.batch_size = batch_size

    def sample(self):
        idx = np.random.randint(0, len(self.data.action), size=self.batch_size)
        return Transition(*[x[idx] for x in self.data])


def soft_update(target, src, target_network_mix):
    for target_param, param in zip(target.parameters(), src.parameters()):
        target_param.detach_()
        target_param.copy_(target_param * (1.0 - target_network_mix) +
                           param * target_network_mix)


def ddpg(L):
    """DDPG: DeterministicActorCriticNet (FCBody actor, TwoLayerFCBodyWithAction critic, two
    Adam optimizers inside the net), OU exploration noise, the critic and policy updates,
    network.zero_grad(), soft_update of the target."""
    d = deeprl(L)
    torch, F = L, L.nn.functional
    discount, target_network_mix = 0.99, 5e-3
    with Out() as o:
        d.random_seed(7)
        network_fn = lambda: d.DeterministicActorCriticNet(
            3, 2, actor_body=d.FCBody(3, (16, 12), gate=F.relu),
            critic_body=d.TwoLayerFCBodyWithAction(3, 2, (16, 12), gate=F.relu),
            actor_opt_fn=lambda params: torch.optim.Adam(params, lr=1e-3),
            critic_opt_fn=lambda params: torch.optim.Adam(params, lr=1e-3))
        network, target_network = network_fn(), network_fn()
        target_network.load_state_dict(network.state_dict())
        random_process = OrnsteinUhlenbeckProcess(size=(2,), std=lambda: 0.2)
        replay = Replay()
        state = np.random.randn(1, 3)
        for step in range(5):
            action = d.to_np(network(state))
            action += random_process.sample()
            action = np.clip(action, -1, 1)
            transitions = replay.sample()
            states = d.tensor(transitions.state)
            actions = d.tensor(transitions.action)
            rewards = d.tensor(transitions.reward).unsqueeze(-1)
            next_states = d.tensor(transitions.next_state)
            mask = d.tensor(transitions.mask).unsqueeze(-1)

            phi_next = target_network.feature(next_states)
            a_next = target_network.actor(phi_next)
            q_next = target_network.critic(phi_next, a_next)
            q_next = discount * mask * q_next
            q_next.add_(rewards)
            q_next = q_next.detach()
            phi = network.feature(states)
            q = network.critic(phi, actions)
            critic_loss = (q - q_next).pow(2).mul(0.5).sum(-1).mean()

            network.zero_grad()
            critic_loss.backward()
            network.critic_opt.step()

            phi = network.feature(states)
            action = network.actor(phi)
            policy_loss = -network.critic(phi.detach(), action).mean()

            network.zero_grad()
            policy_loss.backward()
            network.actor_opt.step()

            soft_update(target_network, network, target_network_mix)
            o.print('step %d critic %.6f policy %.6f' % (step, critic_loss.item(), policy_loss.item()))
        o.print([p.requires_grad for p in target_network.parameters()][:3],
                type(target_network.fc_action.weight.grad_fn).__name__,
                target_network.fc_action.weight.is_leaf)
        o.vals += [q_next, q, action] + [p.detach() for p in network.parameters()] + \
            [p for p in target_network.parameters()]
    return o.done()


def td3(L):
    """TD3: TD3Net (twin critics on torch.cat([obs, a])), target policy smoothing with
    torch.randn_like(...).mul().clamp(), min of the twin targets, F.mse_loss, the delayed
    policy update and soft_update."""
    d = deeprl(L)
    torch, F = L, L.nn.functional
    discount, target_network_mix = 0.99, 5e-3
    td3_noise, td3_noise_clip, td3_delay = 0.2, 0.5, 2
    with Out() as o:
        d.random_seed(8)
        network_fn = lambda: d.TD3Net(
            2, actor_body_fn=lambda: d.FCBody(3, (16, 12), gate=F.relu),
            critic_body_fn=lambda: d.FCBody(3 + 2, (16, 12), gate=F.relu),
            actor_opt_fn=lambda params: torch.optim.Adam(params, lr=1e-3),
            critic_opt_fn=lambda params: torch.optim.Adam(params, lr=1e-3))
        network, target_network = network_fn(), network_fn()
        target_network.load_state_dict(network.state_dict())
        replay = Replay()
        min_a, max_a = -1.0, 1.0
        for total_steps in range(1, 6):
            transitions = replay.sample()
            states = d.tensor(transitions.state)
            actions = d.tensor(transitions.action)
            rewards = d.tensor(transitions.reward).unsqueeze(-1)
            next_states = d.tensor(transitions.next_state)
            mask = d.tensor(transitions.mask).unsqueeze(-1)

            a_next = target_network(next_states)
            noise = torch.randn_like(a_next).mul(td3_noise)
            noise = noise.clamp(-td3_noise_clip, td3_noise_clip)
            a_next = (a_next + noise).clamp(min_a, max_a)

            q_1, q_2 = target_network.q(next_states, a_next)
            target = rewards + discount * mask * torch.min(q_1, q_2)
            target = target.detach()

            q_1, q_2 = network.q(states, actions)
            critic_loss = F.mse_loss(q_1, target) + F.mse_loss(q_2, target)

            network.zero_grad()
            critic_loss.backward()
            network.critic_opt.step()
            line = 'step %d critic %.6f' % (total_steps, critic_loss.item())
            if total_steps % td3_delay:
                action = network(states)
                policy_loss = -network.q(states, action)[0].mean()

                network.zero_grad()
                policy_loss.backward()
                network.actor_opt.step()

                soft_update(target_network, network, target_network_mix)
                line += ' policy %.6f' % policy_loss.item()
            o.print(line)
        o.print(len(network.actor_params), len(network.critic_params), network.fc_action.weight.grad)
        o.vals += [noise, target, q_1, q_2] + [p.detach() for p in network.parameters()] + \
            [p for p in target_network.parameters()]
    return o.done()
