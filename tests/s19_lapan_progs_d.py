"""Lapan, "Deep Reinforcement Learning Hands-On" 2nd ed., Chapter19 (continuous A2C, PPO,
TRPO, ACKTR's loss): lib/model.py ModelActor (logstd nn.Parameter) and ModelCritic,
lib/__init__.py calc_logprob, calc_adv_ref (GAE), lib/trpo.py, on a fixed random
trajectory instead of Pendulum and ptan. See tests/s19_lapan_progs.py."""

import math
from collections import namedtuple

import numpy as np
from s16_yunjey_progs import Out

Exp = namedtuple('Experience', ['state', 'action', 'reward', 'done'])
GAMMA, GAE_LAMBDA, HID_SIZE = 0.99, 0.95, 16


def _lib(L):
    nn, torch = L.nn, L

    class ModelActor(nn.Module):
        def __init__(self, obs_size, act_size):
            super(ModelActor, self).__init__()
            self.mu = nn.Sequential(
                nn.Linear(obs_size, HID_SIZE), nn.Tanh(),
                nn.Linear(HID_SIZE, HID_SIZE), nn.Tanh(),
                nn.Linear(HID_SIZE, act_size), nn.Tanh())
            self.logstd = nn.Parameter(torch.zeros(act_size))

        def forward(self, x):
            return self.mu(x)

    class ModelCritic(nn.Module):
        def __init__(self, obs_size):
            super(ModelCritic, self).__init__()
            self.value = nn.Sequential(
                nn.Linear(obs_size, HID_SIZE), nn.ReLU(),
                nn.Linear(HID_SIZE, HID_SIZE), nn.ReLU(),
                nn.Linear(HID_SIZE, 1))

        def forward(self, x):
            return self.value(x)

    def calc_logprob(mu_v, logstd_v, actions_v):
        p1 = - ((mu_v - actions_v) ** 2) / (2 * torch.exp(logstd_v).clamp(min=1e-3))
        p2 = - torch.log(torch.sqrt(2 * math.pi * torch.exp(logstd_v)))
        return p1 + p2

    def calc_adv_ref(trajectory, net_crt, states_v):
        values_v = net_crt(states_v)
        values = values_v.squeeze().data.cpu().numpy()
        last_gae = 0.0
        result_adv = []
        result_ref = []
        for val, next_val, (exp,) in zip(reversed(values[:-1]), reversed(values[1:]),
                                         reversed(trajectory[:-1])):
            if exp.done:
                delta = exp.reward - val
                last_gae = delta
            else:
                delta = exp.reward + GAMMA * next_val - val
                last_gae = delta + GAMMA * GAE_LAMBDA * last_gae
            result_adv.append(last_gae)
            result_ref.append(last_gae + val)
        adv_v = torch.FloatTensor(list(reversed(result_adv)))
        ref_v = torch.FloatTensor(list(reversed(result_ref)))
        return adv_v, ref_v

    return ModelActor, ModelCritic, calc_logprob, calc_adv_ref


def _trajectory(L, net_act, n, seed):
    """ptan.experience.ExperienceSource(env, AgentA2C, steps_count=1): 1-tuples of
    Experience; AgentA2C's mu + exp(logstd) * normal noise, clipped."""
    rng = np.random.RandomState(seed)
    traj = []
    for i in range(n):
        state = rng.randn(3).astype(np.float32)
        mu = net_act(L.FloatTensor([state])).data.cpu().numpy()[0]
        logstd = net_act.logstd.data.cpu().numpy()
        action = np.clip(mu + np.exp(logstd) * rng.normal(size=logstd.shape), -1, 1)
        traj.append((Exp(state, action, float(-rng.rand()), i % 7 == 6),))
    return traj


def _prepare(L, trajectory, net_act, net_crt, calc_logprob, calc_adv_ref):
    traj_states = [t[0].state for t in trajectory]
    traj_actions = [t[0].action for t in trajectory]
    traj_states_v = L.FloatTensor(np.array(traj_states))
    traj_actions_v = L.FloatTensor(np.array(traj_actions))
    traj_adv_v, traj_ref_v = calc_adv_ref(trajectory, net_crt, traj_states_v)
    mu_v = net_act(traj_states_v)
    old_logprob_v = calc_logprob(mu_v, net_act.logstd, traj_actions_v)
    traj_adv_v = traj_adv_v - L.mean(traj_adv_v)
    traj_adv_v /= L.std(traj_adv_v)
    return traj_states_v, traj_actions_v, traj_adv_v, traj_ref_v, old_logprob_v


def ppo(L):
    """Chapter19/04_train_ppo.py's update: critic MSE, the clipped surrogate objective."""
    F, optim, torch = L.nn.functional, L.optim, L
    PPO_EPS, PPO_EPOCHES, PPO_BATCH_SIZE = 0.2, 2, 8
    with Out() as o:
        L.manual_seed(10)
        ModelActor, ModelCritic, calc_logprob, calc_adv_ref = _lib(L)
        net_act, net_crt = ModelActor(3, 2), ModelCritic(3)
        o.print(net_act); o.print(net_crt)
        o.print([n for n, _ in net_act.named_parameters()])
        opt_act = optim.Adam(net_act.parameters(), lr=1e-3)
        opt_crt = optim.Adam(net_crt.parameters(), lr=1e-3)
        trajectory = _trajectory(L, net_act, 17, 11)
        traj_states_v, traj_actions_v, traj_adv_v, traj_ref_v, old_logprob_v = _prepare(
            L, trajectory, net_act, net_crt, calc_logprob, calc_adv_ref)
        trajectory = trajectory[:-1]
        old_logprob_v = old_logprob_v[:-1].detach()
        sum_loss_value = sum_loss_policy = 0.0
        count_steps = 0
        for epoch in range(PPO_EPOCHES):
            for batch_ofs in range(0, len(trajectory), PPO_BATCH_SIZE):
                batch_l = batch_ofs + PPO_BATCH_SIZE
                states_v = traj_states_v[batch_ofs:batch_l]
                actions_v = traj_actions_v[batch_ofs:batch_l]
                batch_adv_v = traj_adv_v[batch_ofs:batch_l]
                batch_adv_v = batch_adv_v.unsqueeze(-1)
                batch_ref_v = traj_ref_v[batch_ofs:batch_l]
                batch_old_logprob_v = old_logprob_v[batch_ofs:batch_l]
                opt_crt.zero_grad()
                value_v = net_crt(states_v)
                loss_value_v = F.mse_loss(value_v.squeeze(-1), batch_ref_v)
                loss_value_v.backward()
                opt_crt.step()
                opt_act.zero_grad()
                mu_v = net_act(states_v)
                logprob_pi_v = calc_logprob(mu_v, net_act.logstd, actions_v)
                ratio_v = torch.exp(logprob_pi_v - batch_old_logprob_v)
                surr_obj_v = batch_adv_v * ratio_v
                c_ratio_v = torch.clamp(ratio_v, 1.0 - PPO_EPS, 1.0 + PPO_EPS)
                clipped_surr_v = batch_adv_v * c_ratio_v
                loss_policy_v = -torch.min(surr_obj_v, clipped_surr_v).mean()
                loss_policy_v.backward()
                opt_act.step()
                sum_loss_value += loss_value_v.item()
                sum_loss_policy += loss_policy_v.item()
                count_steps += 1
                o.print("epoch %d ofs %d: value %.4f policy %.4f" % (
                    epoch, batch_ofs, loss_value_v.item(), loss_policy_v.item()))
                o.vals += [ratio_v, net_act.logstd.grad]
        o.vals += [traj_adv_v.mean().item(), traj_ref_v, sum_loss_policy / count_steps,
                   sum_loss_value / count_steps, net_act.logstd]
    return o.done()


def a2c_acktr_loss(L):
    """Chapter19/01_train_a2c.py's update (the entropy of N(mu, exp(logstd)) by hand) and
    05_train_acktr.py's Fisher loss backward with retain_graph=True before the policy loss."""
    F, optim, torch = L.nn.functional, L.optim, L
    with Out() as o:
        L.manual_seed(11)
        ModelActor, ModelCritic, calc_logprob, _ = _lib(L)
        net_act, net_crt = ModelActor(3, 2), ModelCritic(3)
        opt_act = optim.Adam(net_act.parameters(), lr=1e-3)
        opt_crt = optim.Adam(net_crt.parameters(), lr=1e-3)
        rng = np.random.RandomState(12)
        for step in range(3):
            states_v = torch.FloatTensor(rng.randn(6, 3).astype(np.float32))
            actions_v = torch.FloatTensor(rng.uniform(-1, 1, (6, 2)).astype(np.float32))
            vals_ref_v = torch.FloatTensor(rng.randn(6).astype(np.float32))
            opt_crt.zero_grad()
            value_v = net_crt(states_v)
            loss_value_v = F.mse_loss(value_v.squeeze(-1), vals_ref_v)
            loss_value_v.backward()
            opt_crt.step()
            mu_v = net_act(states_v)
            log_prob_v = calc_logprob(mu_v, net_act.logstd, actions_v)
            opt_act.zero_grad()
            pg_fisher_loss = -log_prob_v.mean()
            pg_fisher_loss.backward(retain_graph=True)
            fisher_grad = net_act.logstd.grad.clone()
            opt_act.zero_grad()
            adv_v = vals_ref_v.unsqueeze(dim=-1) - value_v.detach()
            loss_policy_v = -(adv_v * log_prob_v).mean()
            entropy_loss_v = 1e-3 * (-(torch.log(2 * math.pi * torch.exp(net_act.logstd))
                                       + 1) / 2).mean()
            loss_v = loss_policy_v + entropy_loss_v
            loss_v.backward()
            opt_act.step()
            o.print("%d: value %.4f policy %.4f entropy %.6f" % (
                step, loss_value_v.item(), loss_policy_v.item(), entropy_loss_v.item()))
            o.vals += [fisher_grad, adv_v, net_act.logstd.grad, net_act.mu[4].weight.grad]
    return o.done()


def get_flat_params_from(L, model):
    params = []
    for param in model.parameters():
        params.append(param.data.view(-1))
    flat_params = L.cat(params)
    return flat_params


def set_flat_params_to(model, flat_params):
    prev_ind = 0
    for param in model.parameters():
        flat_size = int(np.prod(list(param.size())))
        param.data.copy_(flat_params[prev_ind:prev_ind + flat_size].view(param.size()))
        prev_ind += flat_size


def conjugate_gradients(L, Avp, b, nsteps, residual_tol=1e-10, device="cpu"):
    x = L.zeros(b.size()).to(device)
    r = b.clone()
    p = b.clone()
    rdotr = L.dot(r, r)
    for i in range(nsteps):
        _Avp = Avp(p)
        alpha = rdotr / L.dot(p, _Avp)
        x += alpha * p
        r -= alpha * _Avp
        new_rdotr = L.dot(r, r)
        betta = new_rdotr / rdotr
        p = r + betta * p
        rdotr = new_rdotr
        if rdotr < residual_tol:
            break
    return x


def linesearch(model, f, x, fullstep, expected_improve_rate, max_backtracks=10,
               accept_ratio=.1):
    fval = f().data
    for (_n_backtracks, stepfrac) in enumerate(.5**np.arange(max_backtracks)):
        xnew = x + fullstep * stepfrac
        set_flat_params_to(model, xnew)
        newfval = f().data
        actual_improve = fval - newfval
        expected_improve = expected_improve_rate * stepfrac
        ratio = actual_improve / expected_improve
        if ratio.item() > accept_ratio and actual_improve.item() > 0:
            return True, xnew
    return False, x


def trpo_step(L, model, get_loss, get_kl, max_kl, damping, device="cpu", log=None):
    torch = L
    loss = get_loss()
    grads = torch.autograd.grad(loss, model.parameters())
    loss_grad = torch.cat([grad.view(-1) for grad in grads]).data

    def Fvp(v):
        kl = get_kl()
        kl = kl.mean()
        grads = torch.autograd.grad(kl, model.parameters(), create_graph=True)
        flat_grad_kl = torch.cat([grad.view(-1) for grad in grads])
        v_v = v.clone().detach().to(device)
        kl_v = (flat_grad_kl * v_v).sum()
        grads = torch.autograd.grad(kl_v, model.parameters())
        flat_grad_grad_kl = torch.cat([grad.contiguous().view(-1) for grad in grads]).data
        return flat_grad_grad_kl + v * damping

    stepdir = conjugate_gradients(L, Fvp, -loss_grad, 10, device=device)
    shs = 0.5 * (stepdir * Fvp(stepdir)).sum(0, keepdim=True)
    lm = torch.sqrt(shs / max_kl)
    fullstep = stepdir / lm[0]
    neggdotstepdir = (-loss_grad * stepdir).sum(0, keepdim=True)
    prev_params = get_flat_params_from(L, model)
    success, new_params = linesearch(model, get_loss, prev_params, fullstep,
                                     neggdotstepdir / lm[0])
    set_flat_params_to(model, new_params)
    if log is not None:
        log += [loss_grad, stepdir, shs, success, new_params]
    return loss


def trpo(L):
    """Chapter19/03_train_trpo.py's update with lib/trpo.py."""
    F, optim, torch = L.nn.functional, L.optim, L
    with Out() as o:
        L.manual_seed(13)
        ModelActor, ModelCritic, calc_logprob, calc_adv_ref = _lib(L)
        net_act, net_crt = ModelActor(3, 2), ModelCritic(3)
        opt_crt = optim.Adam(net_crt.parameters(), lr=1e-3)
        trajectory = _trajectory(L, net_act, 15, 14)
        traj_states_v, traj_actions_v, traj_adv_v, traj_ref_v, old_logprob_v = _prepare(
            L, trajectory, net_act, net_crt, calc_logprob, calc_adv_ref)
        trajectory = trajectory[:-1]
        old_logprob_v = old_logprob_v[:-1].detach()
        traj_states_v = traj_states_v[:-1]
        traj_actions_v = traj_actions_v[:-1]
        opt_crt.zero_grad()
        value_v = net_crt(traj_states_v)
        loss_value_v = F.mse_loss(value_v.squeeze(-1), traj_ref_v)
        loss_value_v.backward()
        opt_crt.step()

        def get_loss():
            mu_v = net_act(traj_states_v)
            logprob_v = calc_logprob(mu_v, net_act.logstd, traj_actions_v)
            dp_v = torch.exp(logprob_v - old_logprob_v)
            action_loss_v = -traj_adv_v.unsqueeze(dim=-1) * dp_v
            return action_loss_v.mean()

        def get_kl():
            mu_v = net_act(traj_states_v)
            logstd_v = net_act.logstd
            mu0_v = mu_v.detach()
            logstd0_v = logstd_v.detach()
            std_v = torch.exp(logstd_v)
            std0_v = std_v.detach()
            v = (std0_v ** 2 + (mu0_v - mu_v) ** 2) / (2.0 * std_v ** 2)
            kl = logstd_v - logstd0_v + v - 0.5
            return kl.sum(1, keepdim=True)

        log = []
        loss = trpo_step(L, net_act, get_loss, get_kl, 0.01, 0.1, log=log)
        o.print("value %.4f actor %.4f success %s" % (loss_value_v.item(), loss.item(), log[3]))
        o.print(get_flat_params_from(L, net_act).shape, log[2].shape)
        o.vals += [loss, log[0], log[1], log[2], log[4], get_loss(), get_kl()]
        o.tryit(lambda: torch.autograd.grad(get_loss(), net_act.parameters())[0].shape)
        o.tryit(lambda: [g.shape for g in torch.autograd.grad(get_kl().sum(), list(net_act.parameters()))])
        o.tryit(lambda: torch.autograd.grad(get_kl().sum(), net_act.parameters(), allow_unused=True)[0].dtype)
    return o.done()
