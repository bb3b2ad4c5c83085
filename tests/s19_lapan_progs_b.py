"""Lapan, "Deep Reinforcement Learning Hands-On" 2nd ed., Chapter08 (DQN extensions):
lib/dqn_extra.py (NoisyLinear, NoisyFactorizedLinear, NoisyDQN, PrioReplayBuffer,
DuelingDQN, DistributionalDQN, distr_projection, RainbowDQN), lib/common.py (unpack_batch,
calc_loss_dqn), 02_dqn_n_steps.py, 03_dqn_double.py, 05_dqn_prio_replay.py, 07_dqn_distrib.py,
as users type them; ptan's experience source replaced by fixed transitions on random uint8
frames (4x44x44 instead of 4x84x84 to stay small). See tests/s19_lapan_progs.py."""

import math
from collections import namedtuple

import numpy as np
from s16_yunjey_progs import Out

Vmax, Vmin, N_ATOMS = 10, -10, 51
DELTA_Z = (Vmax - Vmin) / (N_ATOMS - 1)
SHAPE, N_ACT = (4, 44, 44), 3
ExperienceFirstLast = namedtuple('ExperienceFirstLast', ('state', 'action', 'reward', 'last_state'))


def _batch(n, seed):
    """ptan.experience.ExperienceSourceFirstLast's items: uint8 frames, last_state None at
    an episode's end."""
    rng = np.random.RandomState(seed)
    out = []
    for i in range(n):
        s = rng.randint(0, 256, SHAPE).astype(np.uint8)
        ls = None if i % 3 == 2 else rng.randint(0, 256, SHAPE).astype(np.uint8)
        out.append(ExperienceFirstLast(s, int(rng.randint(N_ACT)), float(rng.randint(-1, 2)), ls))
    return out


def unpack_batch(batch):
    states, actions, rewards, dones, last_states = [], [], [], [], []
    for exp in batch:
        state = np.asarray(exp.state)
        states.append(state)
        actions.append(exp.action)
        rewards.append(exp.reward)
        dones.append(exp.last_state is None)
        if exp.last_state is None:
            last_states.append(state)       # the result will be masked anyway
        else:
            last_states.append(np.asarray(exp.last_state))
    return np.asarray(states), np.array(actions), np.array(rewards, dtype=np.float32), \
        np.array(dones, dtype=np.uint8), np.asarray(last_states)


def _models(L):
    nn, F, torch = L.nn, L.nn.functional, L

    def conv(input_shape):
        return nn.Sequential(
            nn.Conv2d(input_shape[0], 32, kernel_size=8, stride=4), nn.ReLU(),
            nn.Conv2d(32, 64, kernel_size=4, stride=2), nn.ReLU(),
            nn.Conv2d(64, 64, kernel_size=3, stride=1), nn.ReLU())

    class Base(nn.Module):
        def _get_conv_out(self, shape):
            o = self.conv(torch.zeros(1, *shape))
            return int(np.prod(o.size()))

    class DQN(Base):
        def __init__(self, input_shape, n_actions):
            super(DQN, self).__init__()
            self.conv = conv(input_shape)
            conv_out_size = self._get_conv_out(input_shape)
            self.fc = nn.Sequential(nn.Linear(conv_out_size, 64), nn.ReLU(),
                                    nn.Linear(64, n_actions))

        def forward(self, x):
            fx = x.float() / 256
            conv_out = self.conv(fx).view(fx.size()[0], -1)
            return self.fc(conv_out)

    class NoisyLinear(nn.Linear):
        def __init__(self, in_features, out_features, sigma_init=0.017, bias=True):
            super(NoisyLinear, self).__init__(in_features, out_features, bias=bias)
            w = torch.full((out_features, in_features), sigma_init)
            self.sigma_weight = nn.Parameter(w)
            z = torch.zeros(out_features, in_features)
            self.register_buffer("epsilon_weight", z)
            if bias:
                w = torch.full((out_features,), sigma_init)
                self.sigma_bias = nn.Parameter(w)
                z = torch.zeros(out_features)
                self.register_buffer("epsilon_bias", z)
            self.reset_parameters()

        def reset_parameters(self):
            std = math.sqrt(3 / self.in_features)
            self.weight.data.uniform_(-std, std)
            self.bias.data.uniform_(-std, std)

        def forward(self, input):
            self.epsilon_weight.normal_()
            bias = self.bias
            if bias is not None:
                self.epsilon_bias.normal_()
                bias = bias + self.sigma_bias * self.epsilon_bias.data
            v = self.sigma_weight * self.epsilon_weight.data + self.weight
            return F.linear(input, v, bias)

    class NoisyFactorizedLinear(nn.Linear):
        def __init__(self, in_features, out_features, sigma_zero=0.4, bias=True):
            super(NoisyFactorizedLinear, self).__init__(in_features, out_features, bias=bias)
            sigma_init = sigma_zero / math.sqrt(in_features)
            w = torch.full((out_features, in_features), sigma_init)
            self.sigma_weight = nn.Parameter(w)
            z1 = torch.zeros(1, in_features)
            self.register_buffer("epsilon_input", z1)
            z2 = torch.zeros(out_features, 1)
            self.register_buffer("epsilon_output", z2)
            if bias:
                w = torch.full((out_features,), sigma_init)
                self.sigma_bias = nn.Parameter(w)

        def forward(self, input):
            self.epsilon_input.normal_()
            self.epsilon_output.normal_()
            func = lambda x: torch.sign(x) * torch.sqrt(torch.abs(x))
            eps_in = func(self.epsilon_input.data)
            eps_out = func(self.epsilon_output.data)
            bias = self.bias
            if bias is not None:
                bias = bias + self.sigma_bias * eps_out.t()
            noise_v = torch.mul(eps_in, eps_out)
            v = self.weight + self.sigma_weight * noise_v
            return F.linear(input, v, bias)

    class NoisyDQN(Base):
        def __init__(self, input_shape, n_actions, factorized=False):
            super(NoisyDQN, self).__init__()
            self.conv = conv(input_shape)
            conv_out_size = self._get_conv_out(input_shape)
            lin = NoisyFactorizedLinear if factorized else NoisyLinear
            self.noisy_layers = [lin(conv_out_size, 64), lin(64, n_actions)]
            self.fc = nn.Sequential(self.noisy_layers[0], nn.ReLU(), self.noisy_layers[1])

        def forward(self, x):
            fx = x.float() / 256
            conv_out = self.conv(fx).view(fx.size()[0], -1)
            return self.fc(conv_out)

        def noisy_layers_sigma_snr(self):
            return [((layer.weight ** 2).mean().sqrt() /
                     (layer.sigma_weight ** 2).mean().sqrt()).item()
                    for layer in self.noisy_layers]

    class DuelingDQN(Base):
        def __init__(self, input_shape, n_actions, noisy=False):
            super(DuelingDQN, self).__init__()
            self.conv = conv(input_shape)
            conv_out_size = self._get_conv_out(input_shape)
            lin = NoisyLinear if noisy else nn.Linear
            self.fc_adv = nn.Sequential(lin(conv_out_size, 32), nn.ReLU(), lin(32, n_actions))
            self.fc_val = nn.Sequential(nn.Linear(conv_out_size, 32), nn.ReLU(),
                                        nn.Linear(32, 1))

        def forward(self, x):
            adv, val = self.adv_val(x)
            return val + (adv - adv.mean(dim=1, keepdim=True))

        def adv_val(self, x):
            fx = x.float() / 256
            conv_out = self.conv(fx).view(fx.size()[0], -1)
            return self.fc_adv(conv_out), self.fc_val(conv_out)

    class DistributionalDQN(Base):
        def __init__(self, input_shape, n_actions):
            super(DistributionalDQN, self).__init__()
            self.conv = conv(input_shape)
            conv_out_size = self._get_conv_out(input_shape)
            self.fc = nn.Sequential(nn.Linear(conv_out_size, 64), nn.ReLU(),
                                    nn.Linear(64, n_actions * N_ATOMS))
            self.register_buffer("supports", torch.arange(Vmin, Vmax + DELTA_Z, DELTA_Z))
            self.softmax = nn.Softmax(dim=1)

        def forward(self, x):
            batch_size = x.size()[0]
            fx = x.float() / 256
            conv_out = self.conv(fx).view(batch_size, -1)
            fc_out = self.fc(conv_out)
            return fc_out.view(batch_size, -1, N_ATOMS)

        def both(self, x):
            cat_out = self(x)
            probs = self.apply_softmax(cat_out)
            weights = probs * self.supports
            res = weights.sum(dim=2)
            return cat_out, res

        def qvals(self, x):
            return self.both(x)[1]

        def apply_softmax(self, t):
            return self.softmax(t.view(-1, N_ATOMS)).view(t.size())

    return dict(DQN=DQN, NoisyLinear=NoisyLinear, NoisyFactorizedLinear=NoisyFactorizedLinear,
                NoisyDQN=NoisyDQN, DuelingDQN=DuelingDQN, DistributionalDQN=DistributionalDQN)


def calc_loss_double_dqn(L, batch, net, tgt_net, gamma, double=True, byte_mask=False):
    """03_dqn_double.py (double=False, byte_mask=True: common.calc_loss_dqn's ByteTensor)."""
    torch, nn = L, L.nn
    states, actions, rewards, dones, next_states = unpack_batch(batch)
    states_v = torch.tensor(states)
    actions_v = torch.tensor(actions)
    rewards_v = torch.tensor(rewards)
    done_mask = torch.ByteTensor(dones) if byte_mask else torch.BoolTensor(dones)
    actions_v = actions_v.unsqueeze(-1)
    state_action_vals = net(states_v).gather(1, actions_v)
    state_action_vals = state_action_vals.squeeze(-1)
    with torch.no_grad():
        next_states_v = torch.tensor(next_states)
        if double:
            next_state_acts = net(next_states_v).max(1)[1]
            next_state_acts = next_state_acts.unsqueeze(-1)
            next_state_vals = tgt_net(next_states_v).gather(1, next_state_acts).squeeze(-1)
        else:
            next_state_vals = tgt_net(next_states_v).max(1)[0]
        next_state_vals[done_mask] = 0.0
        exp_sa_vals = next_state_vals.detach() * gamma + rewards_v
    return nn.MSELoss()(state_action_vals, exp_sa_vals)


def dqn_double_nstep(L):
    """common.calc_loss_dqn (ByteTensor mask: PyTorch's uint8-index warning), n-step
    gamma ** 4, 03_dqn_double.py, TargetNet.sync (load_state_dict), calc_values_of_states."""
    with Out() as o:
        L.manual_seed(3); np.random.seed(3)
        M = _models(L)
        net = M["DQN"](SHAPE, N_ACT)
        tgt = M["DQN"](SHAPE, N_ACT)
        tgt.load_state_dict(net.state_dict())
        o.print(net)
        opt = L.optim.Adam(net.parameters(), lr=1e-4)
        # the book's torch.ByteTensor(dones) mask: a uint8-index warning, then PyTorch 2's
        # error from next_state_values[done_mask] = 0.0
        o.tryit(lambda: calc_loss_double_dqn(L, _batch(6, 9), net, tgt, 0.99, False, True))
        for it, double in enumerate([False, True, True]):
            batch = _batch(6, 10 + it)
            opt.zero_grad()
            loss_v = calc_loss_double_dqn(L, batch, net, tgt, 0.99 ** 4, double)
            loss_v.backward()
            opt.step()
            o.print("iter %d double=%s loss %.4f" % (it, double, loss_v.item()))
            o.vals.append(loss_v)
        eval_states = np.array([np.asarray(t.state) for t in _batch(5, 20)])
        mean_vals = []
        for batch in np.array_split(eval_states, 2):
            states_v = L.tensor(batch)
            action_values_v = net(states_v)
            best_action_values_v = action_values_v.max(1)[0]
            mean_vals.append(best_action_values_v.mean().item())
        o.vals.append(np.mean(mean_vals))
        o.vals += list(net.parameters())[-2:]
    return o.done()


def noisy_nets(L):
    """04_dqn_noisy_net.py: NoisyLinear / NoisyFactorizedLinear (register_buffer, normal_ on
    the buffers in forward), noisy_layers_sigma_snr, the state_dict holding the buffers."""
    with Out() as o:
        L.manual_seed(4); np.random.seed(4)
        M = _models(L)
        for fact in (False, True):
            net = M["NoisyDQN"](SHAPE, N_ACT, factorized=fact)
            tgt = M["NoisyDQN"](SHAPE, N_ACT, factorized=fact)
            tgt.load_state_dict(net.state_dict())
            o.print(net)
            o.print(sorted(net.state_dict().keys()))
            o.print([n for n, _ in net.named_buffers()])
            opt = L.optim.Adam(net.parameters(), lr=1e-4)
            for it in range(2):
                opt.zero_grad()
                loss_v = calc_loss_double_dqn(L, _batch(4, 30 + it), net, tgt, 0.99, False)
                loss_v.backward()
                opt.step()
                o.print("loss %.4f" % loss_v.item(),
                        ["%.4f" % s for s in net.noisy_layers_sigma_snr()])
                o.vals += [loss_v, net.fc[0].sigma_weight.grad]
            o.vals += [net.fc[2].epsilon_weight if not fact else net.fc[2].epsilon_input,
                       net.fc[2].sigma_bias]
    return o.done()


def prio_replay_dueling(L):
    """05_dqn_prio_replay.py calc_loss (batch weights times squared errors, priorities from
    (losses_v + 1e-5).data.cpu().numpy()), PrioReplayBuffer.sample / update_priorities, on
    06_dqn_dueling.py's DuelingDQN (adv_val, val + (adv - adv.mean(dim=1, keepdim=True)))."""
    torch = L
    with Out() as o:
        L.manual_seed(5); np.random.seed(5)
        M = _models(L)
        net = M["DuelingDQN"](SHAPE, N_ACT)
        tgt = M["DuelingDQN"](SHAPE, N_ACT)
        o.print(net)
        buffer = _batch(8, 40)
        priorities = np.zeros((8,), dtype=np.float32) + 1.0
        beta, prob_alpha = 0.4, 0.6
        opt = L.optim.Adam(net.parameters(), lr=1e-4)
        for it in range(3):
            probs = priorities ** prob_alpha
            probs /= probs.sum()
            indices = np.random.choice(len(buffer), 4, p=probs)
            batch = [buffer[idx] for idx in indices]
            weights = (len(buffer) * probs[indices]) ** (-beta)
            weights /= weights.max()
            batch_weights = np.array(weights, dtype=np.float32)
            states, actions, rewards, dones, next_states = unpack_batch(batch)
            states_v = torch.tensor(states)
            actions_v = torch.tensor(actions)
            rewards_v = torch.tensor(rewards)
            done_mask = torch.BoolTensor(dones)
            batch_weights_v = torch.tensor(batch_weights)
            opt.zero_grad()
            actions_v = actions_v.unsqueeze(-1)
            state_action_vals = net(states_v).gather(1, actions_v)
            state_action_vals = state_action_vals.squeeze(-1)
            with torch.no_grad():
                next_states_v = torch.tensor(next_states)
                next_s_vals = tgt(next_states_v).max(1)[0]
                next_s_vals[done_mask] = 0.0
                exp_sa_vals = next_s_vals.detach() * 0.99 + rewards_v
            l = (state_action_vals - exp_sa_vals) ** 2
            losses_v = batch_weights_v * l
            loss_v, sample_prios = losses_v.mean(), (losses_v + 1e-5).data.cpu().numpy()
            loss_v.backward()
            opt.step()
            for idx, prio in zip(indices, sample_prios):
                priorities[idx] = prio
            o.print("loss %.4f" % loss_v.item(), sample_prios.dtype, list(indices))
            adv, val = net.adv_val(states_v)
            o.vals += [loss_v, adv, val]
        o.vals.append(priorities)
    return o.done()


def distr_projection(next_distr, rewards, dones, gamma):
    batch_size = len(rewards)
    proj_distr = np.zeros((batch_size, N_ATOMS), dtype=np.float32)
    delta_z = (Vmax - Vmin) / (N_ATOMS - 1)
    for atom in range(N_ATOMS):
        tz_j = np.minimum(Vmax, np.maximum(Vmin, rewards + (Vmin + atom * delta_z) * gamma))
        b_j = (tz_j - Vmin) / delta_z
        l = np.floor(b_j).astype(np.int64)
        u = np.ceil(b_j).astype(np.int64)
        eq_mask = u == l
        proj_distr[eq_mask, l[eq_mask]] += next_distr[eq_mask, atom]
        ne_mask = u != l
        proj_distr[ne_mask, l[ne_mask]] += next_distr[ne_mask, atom] * (u - b_j)[ne_mask]
        proj_distr[ne_mask, u[ne_mask]] += next_distr[ne_mask, atom] * (b_j - l)[ne_mask]
    if dones.any():
        proj_distr[dones] = 0.0
        tz_j = np.minimum(Vmax, np.maximum(Vmin, rewards[dones]))
        b_j = (tz_j - Vmin) / delta_z
        l = np.floor(b_j).astype(np.int64)
        u = np.ceil(b_j).astype(np.int64)
        eq_mask = u == l
        eq_dones = dones.copy()
        eq_dones[dones] = eq_mask
        if eq_dones.any():
            proj_distr[eq_dones, l[eq_mask]] = 1.0
        ne_mask = u != l
        ne_dones = dones.copy()
        ne_dones[dones] = ne_mask
        if ne_dones.any():
            proj_distr[ne_dones, l[ne_mask]] = (u - b_j)[ne_mask]
            proj_distr[ne_dones, u[ne_mask]] = (b_j - l)[ne_mask]
    return proj_distr


def dqn_distrib(L):
    """07_dqn_distrib.py calc_loss: tgt_net.both, next_qvals_v.max(1)[1], apply_softmax,
    distr_projection, distr_v[range(batch_size), actions_v.data], F.log_softmax loss; the
    supports buffer from torch.arange(Vmin, Vmax + DELTA_Z, DELTA_Z)."""
    torch, F = L, L.nn.functional
    with Out() as o:
        L.manual_seed(6); np.random.seed(6)
        M = _models(L)
        net = M["DistributionalDQN"](SHAPE, N_ACT)
        tgt = M["DistributionalDQN"](SHAPE, N_ACT)
        tgt.load_state_dict(net.state_dict())
        o.print(net.supports.shape, net.supports.dtype, net.supports[:3], net.supports[-2:])
        opt = L.optim.Adam(net.parameters(), lr=1e-4)
        for it in range(2):
            batch = _batch(5, 50 + it)
            states, actions, rewards, dones, next_states = unpack_batch(batch)
            batch_size = len(batch)
            states_v = torch.tensor(states)
            actions_v = torch.tensor(actions)
            next_states_v = torch.tensor(next_states)
            next_distr_v, next_qvals_v = tgt.both(next_states_v)
            next_actions = next_qvals_v.max(1)[1].data.cpu().numpy()
            next_distr = tgt.apply_softmax(next_distr_v).data.cpu().numpy()
            next_best_distr = next_distr[range(batch_size), next_actions]
            dones = dones.astype(bool)
            proj_distr = distr_projection(next_best_distr, rewards, dones, 0.99)
            opt.zero_grad()
            distr_v = net(states_v)
            state_action_values = distr_v[range(batch_size), actions_v.data]
            state_log_sm_v = F.log_softmax(state_action_values, dim=1)
            proj_distr_v = torch.tensor(proj_distr)
            loss_v = (-state_log_sm_v * proj_distr_v).sum(dim=1).mean()
            loss_v.backward()
            opt.step()
            o.print("loss %.4f" % loss_v.item(), next_actions.dtype, next_distr.shape)
            o.vals += [loss_v, proj_distr, net.qvals(states_v)]
    return o.done()
