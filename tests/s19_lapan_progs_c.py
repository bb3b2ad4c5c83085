"""Lapan, "Deep Reinforcement Learning Hands-On" 2nd ed., policy gradients: Chapter11
(04_cartpole_pg.py: REINFORCE with baseline, entropy bonus, KL, gradient statistics),
Chapter12 (02_pong_a2c.py: AtariA2C, unpack_batch, policy gradients alone with
retain_graph=True, np.concatenate of p.grad.data.cpu().numpy().flatten(), clip_grad_norm_),
Chapter17 (ModelA2C with a Softplus variance head, calc_logprob by hand), Chapter19
(ModelActor with logstd nn.Parameter, calc_logprob, GAE calc_adv_ref, 04_train_ppo.py's
clipped objective, lib/trpo.py: get/set_flat_params, conjugate_gradients, linesearch,
trpo_step with torch.autograd.grad(create_graph=True)) in s19_lapan_progs_d.py, and Chapter19's
SAC (06_train_sac.py, lib/common.py unpack_batch_sac) here, as users type them on fixed random
transitions instead of Gym and ptan. See tests/s19_lapan_progs.py."""

import math
from collections import namedtuple

import numpy as np
from s16_yunjey_progs import Out
from s19_lapan_progs_d import HID_SIZE, _lib

Exp = namedtuple('Experience', ['state', 'action', 'reward', 'done'])


def cartpole_pg(L):
    """Chapter11/04_cartpole_pg.py's training step."""
    nn, F, optim, torch = L.nn, L.nn.functional, L.optim, L
    ENTROPY_BETA, BATCH_SIZE = 0.01, 8
    with Out() as o:
        L.manual_seed(7); rng = np.random.RandomState(7)

        class PGN(nn.Module):
            def __init__(self, input_size, n_actions):
                super(PGN, self).__init__()
                self.net = nn.Sequential(nn.Linear(input_size, 32), nn.ReLU(),
                                         nn.Linear(32, n_actions))

            def forward(self, x):
                return self.net(x)

        net = PGN(4, 2)
        o.print(net)
        optimizer = optim.Adam(net.parameters(), lr=0.001)
        reward_sum, bs_smoothed = 0.0, None
        for step in range(3):
            batch_states = [rng.randn(4).astype(np.float32) for _ in range(BATCH_SIZE)]
            batch_actions = [int(a) for a in rng.randint(0, 2, BATCH_SIZE)]
            batch_scales = []
            for i, r in enumerate(rng.randint(1, 10, BATCH_SIZE).astype(float)):
                reward_sum += r
                baseline = reward_sum / (step * BATCH_SIZE + i + 1)
                batch_scales.append(r - baseline)
            states_v = torch.FloatTensor(np.array(batch_states))
            batch_actions_t = torch.LongTensor(batch_actions)
            batch_scale_v = torch.FloatTensor(batch_scales)
            optimizer.zero_grad()
            logits_v = net(states_v)
            log_prob_v = F.log_softmax(logits_v, dim=1)
            log_prob_actions_v = batch_scale_v * log_prob_v[range(BATCH_SIZE), batch_actions_t]
            loss_policy_v = -log_prob_actions_v.mean()
            prob_v = F.softmax(logits_v, dim=1)
            entropy_v = -(prob_v * log_prob_v).sum(dim=1).mean()
            entropy_loss_v = -ENTROPY_BETA * entropy_v
            loss_v = loss_policy_v + entropy_loss_v
            loss_v.backward()
            optimizer.step()
            new_logits_v = net(states_v)
            new_prob_v = F.softmax(new_logits_v, dim=1)
            kl_div_v = -((new_prob_v / prob_v).log() * prob_v).sum(dim=1).mean()
            grad_max = 0.0
            grad_means = 0.0
            grad_count = 0
            for p in net.parameters():
                grad_max = max(grad_max, p.grad.abs().max().item())
                grad_means += (p.grad ** 2).mean().sqrt().item()
                grad_count += 1
            bs = np.mean(batch_scales)
            bs_smoothed = bs if bs_smoothed is None else bs * 0.05 + bs_smoothed * 0.95
            o.print("%d: loss %.4f, entropy %.4f" % (step, loss_v.item(), entropy_v.item()))
            o.vals += [loss_v, kl_div_v, grad_max, grad_means / grad_count, bs_smoothed]
    return o.done()


def pong_a2c(L):
    """Chapter12/02_pong_a2c.py on random 4x44x44 frames, 3 actions."""
    nn, F, optim, torch, nn_utils = L.nn, L.nn.functional, L.optim, L, L.nn.utils
    GAMMA, REWARD_STEPS, ENTROPY_BETA, CLIP_GRAD, BATCH_SIZE = 0.99, 4, 0.01, 0.1, 6
    ExpFL = namedtuple('ExperienceFirstLast', ('state', 'action', 'reward', 'last_state'))
    with Out() as o:
        L.manual_seed(8); rng = np.random.RandomState(8)

        class AtariA2C(nn.Module):
            def __init__(self, input_shape, n_actions):
                super(AtariA2C, self).__init__()
                self.conv = nn.Sequential(
                    nn.Conv2d(input_shape[0], 32, kernel_size=8, stride=4), nn.ReLU(),
                    nn.Conv2d(32, 64, kernel_size=4, stride=2), nn.ReLU(),
                    nn.Conv2d(64, 64, kernel_size=3, stride=1), nn.ReLU())
                conv_out_size = self._get_conv_out(input_shape)
                self.policy = nn.Sequential(nn.Linear(conv_out_size, 64), nn.ReLU(),
                                            nn.Linear(64, n_actions))
                self.value = nn.Sequential(nn.Linear(conv_out_size, 64), nn.ReLU(),
                                           nn.Linear(64, 1))

            def _get_conv_out(self, shape):
                o = self.conv(torch.zeros(1, *shape))
                return int(np.prod(o.size()))

            def forward(self, x):
                fx = x.float() / 256
                conv_out = self.conv(fx).view(fx.size()[0], -1)
                return self.policy(conv_out), self.value(conv_out)

        def unpack_batch(batch, net):
            states, actions, rewards, not_done_idx, last_states = [], [], [], [], []
            for idx, exp in enumerate(batch):
                states.append(torch.FloatTensor(np.asarray(exp.state)))
                actions.append(int(exp.action))
                rewards.append(exp.reward)
                if exp.last_state is not None:
                    not_done_idx.append(idx)
                    last_states.append(torch.FloatTensor(np.asarray(exp.last_state)))
            states_v = torch.stack(states)
            actions_t = torch.LongTensor(actions)
            rewards_np = np.array(rewards, dtype=np.float32)
            if not_done_idx:
                last_states_v = torch.stack(last_states)
                last_vals_v = net(last_states_v)[1]
                last_vals_np = last_vals_v.data.cpu().numpy()[:, 0]
                rewards_np[not_done_idx] += GAMMA ** REWARD_STEPS * last_vals_np
            ref_vals_v = torch.FloatTensor(rewards_np)
            return states_v, actions_t, ref_vals_v

        net = AtariA2C((4, 44, 44), 3)
        o.print(net)
        optimizer = optim.Adam(net.parameters(), lr=0.001, eps=1e-3)
        for step in range(2):
            batch = [ExpFL(rng.randint(0, 256, (4, 44, 44)).astype(np.uint8), rng.randint(3),
                           float(rng.randint(-1, 2)),
                           None if i == 2 else rng.randint(0, 256, (4, 44, 44)).astype(np.uint8))
                     for i in range(BATCH_SIZE)]
            states_v, actions_t, vals_ref_v = unpack_batch(batch, net)
            optimizer.zero_grad()
            logits_v, value_v = net(states_v)
            loss_value_v = F.mse_loss(value_v.squeeze(-1), vals_ref_v)
            log_prob_v = F.log_softmax(logits_v, dim=1)
            adv_v = vals_ref_v - value_v.detach()
            log_prob_actions_v = adv_v * log_prob_v[range(BATCH_SIZE), actions_t]
            loss_policy_v = -log_prob_actions_v.mean()
            prob_v = F.softmax(logits_v, dim=1)
            entropy_loss_v = ENTROPY_BETA * (prob_v * log_prob_v).sum(dim=1).mean()
            loss_policy_v.backward(retain_graph=True)
            grads = np.concatenate([p.grad.data.cpu().numpy().flatten()
                                    for p in net.parameters()
                                    if p.grad is not None])
            loss_v = entropy_loss_v + loss_value_v
            loss_v.backward()
            total = nn_utils.clip_grad_norm_(net.parameters(), CLIP_GRAD)
            optimizer.step()
            loss_v += loss_policy_v
            o.print("step %d: loss %.4f policy %.4f value %.4f" % (
                step, loss_v.item(), loss_policy_v.item(), loss_value_v.item()),
                adv_v.shape, grads.dtype, grads.shape)
            o.vals += [loss_v, adv_v, total, np.sqrt(np.mean(np.square(grads))),
                       np.max(np.abs(grads)), np.var(grads)]
        o.tryit(lambda: loss_policy_v.backward())
    return o.done()


def continuous_a2c(L):
    """Chapter17/lib/model.py ModelA2C (mu Tanh, var Softplus, value) and 02_train_a2c.py's
    loss: calc_logprob(mu_v, var_v, actions_v) by hand, entropy of the Normal by hand,
    clip_grad_norm_."""
    nn, F, optim, torch = L.nn, L.nn.functional, L.optim, L
    with Out() as o:
        L.manual_seed(9); rng = np.random.RandomState(9)

        class ModelA2C(nn.Module):
            def __init__(self, obs_size, act_size):
                super(ModelA2C, self).__init__()
                self.base = nn.Sequential(nn.Linear(obs_size, 32), nn.ReLU())
                self.mu = nn.Sequential(nn.Linear(32, act_size), nn.Tanh())
                self.var = nn.Sequential(nn.Linear(32, act_size), nn.Softplus())
                self.value = nn.Linear(32, 1)

            def forward(self, x):
                base_out = self.base(x)
                return self.mu(base_out), self.var(base_out), self.value(base_out)

        def calc_logprob(mu_v, var_v, actions_v):
            p1 = - ((mu_v - actions_v) ** 2) / (2 * var_v.clamp(min=1e-3))
            p2 = - torch.log(torch.sqrt(2 * math.pi * var_v))
            return p1 + p2

        net = ModelA2C(5, 2)
        o.print(net)
        optimizer = optim.Adam(net.parameters(), lr=1e-4)
        for step in range(3):
            states_v = torch.FloatTensor(rng.randn(8, 5).astype(np.float32))
            with torch.no_grad():
                mu_v, var_v, _ = net(states_v)
            mu = mu_v.data.cpu().numpy()
            sigma = torch.sqrt(var_v).data.cpu().numpy()
            actions = np.clip(np.random.RandomState(step).normal(mu, sigma), -1, 1)
            actions_v = torch.FloatTensor(actions)
            vals_ref_v = torch.FloatTensor(rng.randn(8).astype(np.float32))
            optimizer.zero_grad()
            mu_v, var_v, value_v = net(states_v)
            loss_value_v = F.mse_loss(value_v.squeeze(-1), vals_ref_v)
            adv_v = vals_ref_v.unsqueeze(dim=-1) - value_v.detach()
            log_prob_v = adv_v * calc_logprob(mu_v, var_v, actions_v)
            loss_policy_v = -log_prob_v.mean()
            ent_v = -(torch.log(2 * math.pi * var_v) + 1) / 2
            entropy_loss_v = 1e-4 * ent_v.mean()
            loss_v = loss_policy_v + entropy_loss_v + loss_value_v
            loss_v.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 0.1)
            optimizer.step()
            o.print("%d: loss %.4f" % (step, loss_v.item()), actions_v.dtype)
            o.vals += [loss_v, ent_v, net.var[0].weight.grad]
    return o.done()


def sac(L):
    """Chapter19/06_train_sac.py's update with lib/common.py unpack_batch_sac (@torch.no_grad,
    distr.Normal(mu_v, torch.exp(logstd_v)).sample(), torch.min of the twin Q heads,
    log_prob(...).sum(dim=1)), ModelSACActor / ModelSACTwinQ, ptan's TargetNet.alpha_sync."""
    nn, F, optim, torch, distr = L.nn, L.nn.functional, L.optim, L, L.distributions
    GAMMA_N, SAC_ENTROPY_ALPHA = 0.99 ** 2, 0.1
    with Out() as o:
        L.manual_seed(15)

        class ModelSACActor(nn.Module):
            def __init__(self, obs_size, act_size):
                super(ModelSACActor, self).__init__()
                self.mu = nn.Sequential(nn.Linear(obs_size, HID_SIZE), nn.Tanh(),
                                        nn.Linear(HID_SIZE, act_size), nn.Tanh())
                self.logstd = nn.Sequential(nn.Linear(obs_size, HID_SIZE), nn.Tanh(),
                                            nn.Linear(HID_SIZE, act_size))

            def forward(self, x):
                return self.mu(x), self.logstd(x)

        class ModelSACTwinQ(nn.Module):
            def __init__(self, obs_size, act_size):
                super(ModelSACTwinQ, self).__init__()
                self.q1 = nn.Sequential(nn.Linear(obs_size + act_size, HID_SIZE), nn.ReLU(),
                                        nn.Linear(HID_SIZE, 1))
                self.q2 = nn.Sequential(nn.Linear(obs_size + act_size, HID_SIZE), nn.ReLU(),
                                        nn.Linear(HID_SIZE, 1))

            def forward(self, obs, act):
                x = torch.cat([obs, act], dim=1)
                return self.q1(x), self.q2(x)

        _, ModelCritic, _, _ = _lib(L)
        act_net, crt_net, twinq_net = ModelSACActor(3, 2), ModelCritic(3), ModelSACTwinQ(3, 2)
        tgt_crt_net = ModelCritic(3)
        tgt_crt_net.load_state_dict(crt_net.state_dict())
        o.print(twinq_net)
        act_opt = optim.Adam(act_net.parameters(), lr=1e-4)
        crt_opt = optim.Adam(crt_net.parameters(), lr=1e-4)
        twinq_opt = optim.Adam(twinq_net.parameters(), lr=1e-4)
        ExpFL = namedtuple('ExperienceFirstLast', ('state', 'action', 'reward', 'last_state'))
        rng = np.random.RandomState(16)

        def unpack_batch_a2c(batch, net, last_val_gamma):
            states, actions, rewards, not_done_idx, last_states = [], [], [], [], []
            for idx, exp in enumerate(batch):
                states.append(exp.state)
                actions.append(exp.action)
                rewards.append(exp.reward)
                if exp.last_state is not None:
                    not_done_idx.append(idx)
                    last_states.append(exp.last_state)
            states_v = torch.tensor(np.array(states, dtype=np.float32))
            actions_v = torch.FloatTensor(np.array(actions))
            rewards_np = np.array(rewards, dtype=np.float32)
            if not_done_idx:
                last_states_v = torch.tensor(np.array(last_states, dtype=np.float32))
                last_vals_v = net(last_states_v)
                last_vals_np = last_vals_v.data.cpu().numpy()[:, 0]
                rewards_np[not_done_idx] += last_val_gamma * last_vals_np
            ref_vals_v = torch.FloatTensor(rewards_np)
            return states_v, actions_v, ref_vals_v

        @torch.no_grad()
        def unpack_batch_sac(batch, val_net, twinq_net, policy_net, gamma, ent_alpha):
            states_v, actions_v, ref_q_v = unpack_batch_a2c(batch, val_net, gamma)
            mu_v, logstd_v = policy_net(states_v)
            act_dist = distr.Normal(mu_v, torch.exp(logstd_v))
            acts_v = act_dist.sample()
            q1_v, q2_v = twinq_net(states_v, acts_v)
            ref_vals_v = torch.min(q1_v, q2_v).squeeze() - \
                ent_alpha * act_dist.log_prob(acts_v).sum(dim=1)
            return states_v, actions_v, ref_vals_v, ref_q_v

        for step in range(3):
            batch = [ExpFL(rng.randn(3), rng.uniform(-1, 1, 2).astype(np.float32),
                           float(-rng.rand()), None if i == 3 else rng.randn(3))
                     for i in range(6)]
            states_v, actions_v, ref_vals_v, ref_q_v = unpack_batch_sac(
                batch, tgt_crt_net, twinq_net, act_net, GAMMA_N, SAC_ENTROPY_ALPHA)
            twinq_opt.zero_grad()
            q1_v, q2_v = twinq_net(states_v, actions_v)
            q1_loss_v = F.mse_loss(q1_v.squeeze(), ref_q_v.detach())
            q2_loss_v = F.mse_loss(q2_v.squeeze(), ref_q_v.detach())
            q_loss_v = q1_loss_v + q2_loss_v
            q_loss_v.backward()
            twinq_opt.step()
            crt_opt.zero_grad()
            val_v = crt_net(states_v)
            v_loss_v = F.mse_loss(val_v.squeeze(), ref_vals_v.detach())
            v_loss_v.backward()
            crt_opt.step()
            act_opt.zero_grad()
            acts_v, _ = act_net(states_v)
            q_out_v, _ = twinq_net(states_v, acts_v)
            act_loss = -q_out_v.mean()
            act_loss.backward()
            act_opt.step()
            state = crt_net.state_dict()
            tgt_state = tgt_crt_net.state_dict()
            for k, v in state.items():
                tgt_state[k] = tgt_state[k] * 0.99 + v * 0.01
            tgt_crt_net.load_state_dict(tgt_state)
            o.print("%d: q %.4f v %.4f act %.4f" % (step, q_loss_v.item(), v_loss_v.item(),
                                                    act_loss.item()), ref_vals_v.shape)
            o.vals += [ref_vals_v, ref_q_v, tgt_crt_net.value[0].weight, act_net.mu[0].weight.grad]
    return o.done()
