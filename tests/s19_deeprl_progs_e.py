"""ShangtongZhang/DeepRL, the newer pieces: NoisyLinear and RainbowNet (network_utils.py /
network_heads.py) with Rainbow_agent.py's prioritized-replay weighting, PPO_agent.py with
separate actor / critic optimizers, the approx-KL gate and LambdaLR stepped with an epoch,
BaseAgent.save / load (torch.save, torch.load with a map_location lambda), sync_grad through
param._grad, share_memory, select_device; see s19_deeprl_progs.py."""

import io
import math

import numpy as np
from s16_yunjey_progs import Out
from s19_deeprl_progs import deeprl
from s19_deeprl_progs_b import Replay
from s19_deeprl_progs_c import Storage, Task, random_sample


def _noisy(L):
    torch, nn, F = L, L.nn, L.nn.functional
    NOISY_LAYER_STD = 0.1

    class NoisyLinear(nn.Module):
        def __init__(self, in_features, out_features, std_init=0.4):
            super(NoisyLinear, self).__init__()
            self.in_features = in_features
            self.out_features = out_features
            self.std_init = std_init
            self.weight_mu = nn.Parameter(torch.zeros((out_features, in_features)), requires_grad=True)
            self.weight_sigma = nn.Parameter(torch.zeros((out_features, in_features)), requires_grad=True)
            self.register_buffer('weight_epsilon', torch.zeros((out_features, in_features)))
            self.bias_mu = nn.Parameter(torch.zeros(out_features), requires_grad=True)
            self.bias_sigma = nn.Parameter(torch.zeros(out_features), requires_grad=True)
            self.register_buffer('bias_epsilon', torch.zeros(out_features))
            self.register_buffer('noise_in', torch.zeros(in_features))
            self.register_buffer('noise_out_weight', torch.zeros(out_features))
            self.register_buffer('noise_out_bias', torch.zeros(out_features))
            self.reset_parameters()
            self.reset_noise()

        def forward(self, x):
            if self.training:
                weight = self.weight_mu + self.weight_sigma.mul(self.weight_epsilon)
                bias = self.bias_mu + self.bias_sigma.mul(self.bias_epsilon)
            else:
                weight = self.weight_mu
                bias = self.bias_mu
            return F.linear(x, weight, bias)

        def reset_parameters(self):
            mu_range = 1 / math.sqrt(self.weight_mu.size(1))
            self.weight_mu.data.uniform_(-mu_range, mu_range)
            self.weight_sigma.data.fill_(self.std_init / math.sqrt(self.weight_sigma.size(1)))
            self.bias_mu.data.uniform_(-mu_range, mu_range)
            self.bias_sigma.data.fill_(self.std_init / math.sqrt(self.bias_sigma.size(0)))

        def reset_noise(self):
            self.noise_in.normal_(std=NOISY_LAYER_STD)
            self.noise_out_weight.normal_(std=NOISY_LAYER_STD)
            self.noise_out_bias.normal_(std=NOISY_LAYER_STD)
            self.weight_epsilon.copy_(self.transform_noise(self.noise_out_weight).ger(
                self.transform_noise(self.noise_in)))
            self.bias_epsilon.copy_(self.transform_noise(self.noise_out_bias))

        def transform_noise(self, x):
            return x.sign().mul(x.abs().sqrt())

    return NoisyLinear


def rainbow(L):
    """RainbowNet with NoisyLinear value / advantage heads over a noisy FCBody, reset_noise
    each step, the C51 projection and KL, prioritized-replay importance weights."""
    d = deeprl(L)
    torch, nn, F = L, L.nn, L.nn.functional
    NoisyLinear = _noisy(L)
    v_min, v_max, n_atoms, discount, gradient_clip = -5.0, 5.0, 9, 0.99, 10
    replay_eps, replay_alpha, replay_beta = 0.01, 0.5, 0.4

    class FCBody(nn.Module):
        def __init__(self, state_dim, hidden_units=(64, 64), gate=F.relu, noisy_linear=False):
            super(FCBody, self).__init__()
            dims = (state_dim,) + hidden_units
            if noisy_linear:
                self.layers = nn.ModuleList(
                    [NoisyLinear(dim_in, dim_out) for dim_in, dim_out in zip(dims[:-1], dims[1:])])
            else:
                self.layers = nn.ModuleList(
                    [d.layer_init(nn.Linear(dim_in, dim_out)) for dim_in, dim_out in zip(dims[:-1], dims[1:])])
            self.gate = gate
            self.feature_dim = dims[-1]
            self.noisy_linear = noisy_linear

        def reset_noise(self):
            if self.noisy_linear:
                for layer in self.layers:
                    layer.reset_noise()

        def forward(self, x):
            for layer in self.layers:
                x = self.gate(layer(x))
            return x

    class RainbowNet(nn.Module, d.BaseNet):
        def __init__(self, action_dim, num_atoms, body, noisy_linear):
            super(RainbowNet, self).__init__()
            if noisy_linear:
                self.fc_value = NoisyLinear(body.feature_dim, num_atoms)
                self.fc_advantage = NoisyLinear(body.feature_dim, action_dim * num_atoms)
            else:
                self.fc_value = d.layer_init(nn.Linear(body.feature_dim, num_atoms))
                self.fc_advantage = d.layer_init(nn.Linear(body.feature_dim, action_dim * num_atoms))
            self.action_dim = action_dim
            self.num_atoms = num_atoms
            self.body = body
            self.noisy_linear = noisy_linear
            self.to(d.Config.DEVICE)

        def reset_noise(self):
            if self.noisy_linear:
                self.fc_value.reset_noise()
                self.fc_advantage.reset_noise()
                self.body.reset_noise()

        def forward(self, x):
            phi = self.body(d.tensor(x))
            value = self.fc_value(phi).view((-1, 1, self.num_atoms))
            advantage = self.fc_advantage(phi).view(-1, self.action_dim, self.num_atoms)
            q = value + (advantage - advantage.mean(1, keepdim=True))
            prob = F.softmax(q, dim=-1)
            log_prob = F.log_softmax(q, dim=-1)
            return prob, log_prob

    with Out() as o:
        d.random_seed(9)
        network_fn = lambda: RainbowNet(3, n_atoms, FCBody(4, (12,), noisy_linear=True), noisy_linear=True)
        network, target_network = network_fn(), network_fn()
        target_network.load_state_dict(network.state_dict())
        o.print(list(network.state_dict().keys())[:8])
        optimizer = torch.optim.Adam(network.parameters(), lr=1e-3, eps=1.5e-4)
        replay = Replay(batch_size=6)
        batch_indices = d.range_tensor(replay.batch_size)
        atoms = d.tensor(np.linspace(v_min, v_max, n_atoms))
        delta_atom = (v_max - v_min) / float(n_atoms - 1)
        priorities_all = np.ones(32)
        for step in range(4):
            network.reset_noise()
            target_network.reset_noise()
            idx = np.random.randint(0, 32, size=replay.batch_size)
            t = replay.sample()
            sampling_prob = priorities_all[idx] / priorities_all.sum()
            with torch.no_grad():
                prob_next, _ = target_network(t.next_state)
                q_next = (prob_next * atoms).sum(-1)
                a_next = torch.argmax((network(t.next_state)[0] * atoms).sum(-1), dim=-1)
                prob_next = prob_next[batch_indices, a_next, :]
            rewards = d.tensor(t.reward).unsqueeze(-1)
            masks = d.tensor(t.mask).unsqueeze(-1)
            atoms_target = rewards + discount * masks * atoms.view(1, -1)
            atoms_target.clamp_(v_min, v_max)
            atoms_target = atoms_target.unsqueeze(1)
            target_prob = (1 - (atoms_target - atoms.view(1, -1, 1)).abs() / delta_atom).clamp(0, 1) * \
                prob_next.unsqueeze(1)
            target_prob = target_prob.sum(-1)
            _, log_prob = network(t.state)
            actions = d.tensor(t.action).long()
            log_prob = log_prob[batch_indices, actions, :]
            loss = (target_prob * target_prob.add(1e-5).log() - target_prob * log_prob).sum(-1)
            priorities = loss.abs().add(replay_eps).pow(replay_alpha)
            idxs = d.tensor(idx).long()
            for i, p in zip(d.to_np(idxs), d.to_np(priorities)):
                priorities_all[i] = p
            sampling_probs = d.tensor(sampling_prob)
            weights = sampling_probs.mul(sampling_probs.size(0)).add(1e-6).pow(-replay_beta)
            weights = weights / weights.max()
            loss = loss.mul(weights)
            loss = loss.mean()
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(network.parameters(), gradient_clip)
            optimizer.step()
            o.print('step %d loss %.4f' % (step, loss.item()), idxs.dtype, priorities.dtype)
        network.eval()
        prob, _ = network(t.state)
        o.vals += [weights, priorities, prob, network.fc_value.weight_epsilon,
                   network.body.layers[0].noise_in] + [p.detach() for p in network.parameters()]
    return o.done()


def ppo_separate_optimizers(L):
    """PPO_agent.py (newer): actor_opt / critic_opt over actor_params / critic_params, the
    approx_kl <= 1.5 * target_kl gate, and (shared_repr) LambdaLR stepped as
    lr_scheduler.step(total_steps)."""
    d = deeprl(L)
    torch, F = L, L.nn.functional
    num_workers, rollout_length, discount, gae_tau = 2, 4, 0.99, 0.95
    ppo_ratio_clip, entropy_weight, target_kl, max_steps = 0.2, 0.0, 0.01, 100
    with Out() as o:
        d.random_seed(10)
        task = Task(num_workers, 3)
        network = d.GaussianActorCriticNet(3, 1, actor_body=d.FCBody(3, (8,), gate=F.tanh),
                                           critic_body=d.FCBody(3, (8,), gate=F.tanh))
        actor_opt = torch.optim.Adam(network.actor_params, 3e-4, eps=1e-5)
        critic_opt = torch.optim.Adam(network.critic_params, 1e-3, eps=1e-5)
        opt = torch.optim.Adam(network.parameters(), 3e-4, eps=1e-5)
        lr_scheduler = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1 - step / max_steps)
        states = task.reset()
        total_steps = 0
        for it in range(2):
            storage = Storage(rollout_length)
            for _ in range(rollout_length):
                prediction = network(states)
                next_states, rewards, terminals, info = task.step(d.to_np(prediction['action']))
                storage.feed(prediction)
                storage.feed({'reward': d.tensor(rewards).unsqueeze(-1),
                              'mask': d.tensor(1 - terminals).unsqueeze(-1),
                              'state': d.tensor(states)})
                states = next_states
                total_steps += num_workers
            prediction = network(states)
            storage.feed(prediction)
            storage.placeholder()
            advantages = d.tensor(np.zeros((num_workers, 1)))
            returns = prediction['v'].detach()
            for i in reversed(range(rollout_length)):
                returns = storage.reward[i] + discount * storage.mask[i] * returns
                td_error = storage.reward[i] + discount * storage.mask[i] * storage.v[i + 1] - storage.v[i]
                advantages = advantages * gae_tau * discount * storage.mask[i] + td_error
                storage.advantage[i] = advantages.detach()
                storage.ret[i] = returns.detach()
            entries = storage.extract(['state', 'action', 'log_pi_a', 'ret', 'advantage'], torch)
            EntryCLS = entries.__class__
            entries = EntryCLS(*list(map(lambda x: x.detach(), entries)))
            entries.advantage.copy_((entries.advantage - entries.advantage.mean()) / entries.advantage.std())
            lr_scheduler.step(total_steps)
            o.print('lr', ['%.6f' % g['lr'] for g in opt.param_groups], lr_scheduler.last_epoch,
                    ['%.6f' % x for x in lr_scheduler.get_last_lr()])
            for _ in range(2):
                sampler = random_sample(np.arange(entries.state.size(0)), 3)
                for batch_indices in sampler:
                    batch_indices = d.tensor(batch_indices).long()
                    entry = EntryCLS(*list(map(lambda x: x[batch_indices], entries)))
                    prediction = network(entry.state, entry.action)
                    ratio = (prediction['log_pi_a'] - entry.log_pi_a).exp()
                    obj = ratio * entry.advantage
                    obj_clipped = ratio.clamp(1.0 - ppo_ratio_clip, 1.0 + ppo_ratio_clip) * entry.advantage
                    policy_loss = -torch.min(obj, obj_clipped).mean() - entropy_weight * prediction['entropy'].mean()
                    value_loss = 0.5 * (entry.ret - prediction['v']).pow(2).mean()
                    approx_kl = (entry.log_pi_a - prediction['log_pi_a']).mean()
                    if approx_kl <= 1.5 * target_kl:
                        actor_opt.zero_grad()
                        policy_loss.backward()
                        actor_opt.step()
                    critic_opt.zero_grad()
                    value_loss.backward()
                    critic_opt.step()
            o.print('it %d policy %.4f value %.4f kl %.5f' % (it, policy_loss.item(), value_loss.item(),
                                                             approx_kl.item()))
        o.vals += [entries.advantage, approx_kl] + [p.detach() for p in network.parameters()]
    return o.done()


def save_load_sync(L):
    """BaseAgent.save / load through a buffer (torch.save of the state_dict, torch.load with
    map_location=lambda storage, loc: storage), sync_grad assigning param._grad, share_memory,
    select_device's torch.device('cuda:%d'), set_one_thread, batch_diagonal on 3-d input."""
    d = deeprl(L)
    torch = L
    with Out() as o:
        d.random_seed(11)
        o.print(torch.device('cuda:%d' % 0), torch.device('cpu'))
        torch.set_num_threads(1)
        o.print(torch.get_num_threads())
        net = d.VanillaNet(2, d.FCBody(3, (5,)))
        net.share_memory()
        o.print(all(p.is_shared() for p in net.parameters()))
        buf = io.BytesIO()
        torch.save(net.state_dict(), buf)
        buf.seek(0)
        state_dict = torch.load(buf, map_location=lambda storage, loc: storage)
        net2 = d.VanillaNet(2, d.FCBody(3, (5,)))
        o.print(net2.load_state_dict(state_dict))
        x = d.tensor(np.random.randn(4, 3))
        net(x)['q'].pow(2).sum().backward()
        d.sync_grad(net2, net)
        o.print([type(p.grad).__name__ for p in net2.parameters()],
                all(p._grad is p.grad for p in net2.parameters()))
        v = torch.randn(2, 3, 4)
        D = d.batch_diagonal(v)
        o.print(D.shape, D.stride())
        o.vals += [net2(x)['q'], D] + [p.grad for p in net2.parameters()]
    return o.done()
