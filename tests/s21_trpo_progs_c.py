"""Khrylx/PyTorch-RL core/trpo.py (conjugate_gradients, line_search, trpo_step with Fvp_fim
and Fvp_direct) and examples/trpo_gym.py's update_params / main loop, with the models and
utilities of tests/s21_trpo_progs_b.py; scipy's fmin_l_bfgs_b replaced by torch.optim.LBFGS
(maxiter 25) after one call of the original get_value_loss(flat_params)."""

import math
from collections import namedtuple

import numpy as np
from s16_yunjey_progs import Out
from s21_trpo_progs_e import ZFilter, Memory
from s21_trpo_progs_b import utils_torch, models, estimate_advantages, StandIn


def _trpo(torch, out):
    (get_flat_params_from, set_flat_params_to, get_flat_grad_from,
     compute_flat_grad) = utils_torch(torch)
    tensor, zeros, ones = torch.tensor, torch.zeros, torch.ones

    def conjugate_gradients(Avp_f, b, nsteps, rdotr_tol=1e-10):
        x = zeros(b.size(), device=b.device)
        r = b.clone()
        p = b.clone()
        rdotr = torch.dot(r, r)
        for i in range(nsteps):
            Avp = Avp_f(p)
            alpha = rdotr / torch.dot(p, Avp)
            x += alpha * p
            r -= alpha * Avp
            new_rdotr = torch.dot(r, r)
            betta = new_rdotr / rdotr
            p = r + betta * p
            rdotr = new_rdotr
            if rdotr < rdotr_tol:
                break
        return x

    def line_search(model, f, x, fullstep, expected_improve_full, max_backtracks=10,
                    accept_ratio=0.1):
        fval = f(True).item()
        for stepfrac in [.5**x for x in range(max_backtracks)]:
            x_new = x + stepfrac * fullstep
            set_flat_params_to(model, x_new)
            fval_new = f(True).item()
            actual_improve = fval - fval_new
            expected_improve = expected_improve_full * stepfrac
            ratio = actual_improve / expected_improve
            out.print("ls", stepfrac, type(ratio).__name__, f"{ratio.item():.5f}")
            if ratio > accept_ratio:
                return True, x_new
        return False, x

    def trpo_step(policy_net, value_net, states, actions, returns, advantages, max_kl, damping,
                  l2_reg, use_fim=True):
        """update critic"""
        def get_value_loss(flat_params):
            set_flat_params_to(value_net, tensor(flat_params))
            for param in value_net.parameters():
                if param.grad is not None:
                    param.grad.data.fill_(0)
            values_pred = value_net(states)
            value_loss = (values_pred - returns).pow(2).mean()
            # weight decay
            for param in value_net.parameters():
                value_loss += param.pow(2).sum() * l2_reg
            value_loss.backward()
            return value_loss.item(), get_flat_grad_from(value_net.parameters()).cpu().numpy()

        f0, g0 = get_value_loss(get_flat_params_from(value_net).detach().cpu().numpy())
        out.print("value", f"{f0:.6f}", g0.dtype, g0.shape)
        out.vals.append(g0)
        # scipy.optimize.fmin_l_bfgs_b(get_value_loss, ..., maxiter=25) in the original
        opt = torch.optim.LBFGS(value_net.parameters(), max_iter=25)

        def closure():
            opt.zero_grad()
            value_loss = (value_net(states) - returns).pow(2).mean()
            for param in value_net.parameters():
                value_loss += param.pow(2).sum() * l2_reg
            value_loss.backward()
            return value_loss
        opt.step(closure)
        out.print("value after", f"{closure().item():.6f}")

        """update policy"""
        with torch.no_grad():
            fixed_log_probs = policy_net.get_log_prob(states, actions)

        def get_loss(volatile=False):
            with torch.set_grad_enabled(not volatile):
                log_probs = policy_net.get_log_prob(states, actions)
                action_loss = -advantages * torch.exp(log_probs - fixed_log_probs)
                return action_loss.mean()

        def Fvp_fim(v):
            M, mu, info = policy_net.get_fim(states)
            mu = mu.view(-1)
            filter_input_ids = set() if policy_net.is_disc_action else set([info['std_id']])
            t = ones(mu.size(), requires_grad=True, device=mu.device)
            mu_t = (mu * t).sum()
            Jt = compute_flat_grad(mu_t, policy_net.parameters(),
                                   filter_input_ids=filter_input_ids, create_graph=True)
            Jtv = (Jt * v).sum()
            Jv = torch.autograd.grad(Jtv, t)[0]
            MJv = M * Jv.detach()
            mu_MJv = (MJv * mu).sum()
            JTMJv = compute_flat_grad(mu_MJv, policy_net.parameters(),
                                      filter_input_ids=filter_input_ids).detach()
            JTMJv /= states.shape[0]
            if not policy_net.is_disc_action:
                std_index = info['std_index']
                JTMJv[std_index: std_index + M.shape[0]] += 2 * v[std_index: std_index + M.shape[0]]
            return JTMJv + v * damping

        def Fvp_direct(v):
            kl = policy_net.get_kl(states)
            kl = kl.mean()
            grads = torch.autograd.grad(kl, policy_net.parameters(), create_graph=True)
            flat_grad_kl = torch.cat([grad.view(-1) for grad in grads])
            kl_v = (flat_grad_kl * v).sum()
            grads = torch.autograd.grad(kl_v, policy_net.parameters())
            flat_grad_grad_kl = torch.cat([grad.contiguous().view(-1) for grad in grads]).detach()
            return flat_grad_grad_kl + v * damping

        Fvp = Fvp_fim if use_fim else Fvp_direct

        loss = get_loss()
        grads = torch.autograd.grad(loss, policy_net.parameters())
        loss_grad = torch.cat([grad.view(-1) for grad in grads]).detach()
        stepdir = conjugate_gradients(Fvp, -loss_grad, 10)

        shs = 0.5 * (stepdir.dot(Fvp(stepdir)))
        lm = math.sqrt(max_kl / shs)
        fullstep = stepdir * lm
        expected_improve = -loss_grad.dot(fullstep)
        out.print("shs", shs.shape, type(lm).__name__, f"{lm:.5f}",
                  f"{expected_improve.item():.6f}")

        prev_params = get_flat_params_from(policy_net)
        success, new_params = line_search(policy_net, get_loss, prev_params, fullstep,
                                          expected_improve)
        set_flat_params_to(policy_net, new_params)
        kl = policy_net.get_kl(states).mean()
        out.vals += [loss_grad, stepdir, Fvp(stepdir), new_params, fixed_log_probs]
        out.print("success", success, "loss", f"{round(loss.item(), 6) + 0.0:.6f}", "kl", kl.dtype)
        return success

    return trpo_step, get_flat_params_from


def _run(torch, discrete, use_fim, seed):
    out = Out()
    Policy, DiscretePolicy, Value = models(torch)
    Args = namedtuple('Args', 'gamma tau l2_reg max_kl damping min_batch_size max_iter_num')
    # the discrete Fisher matrix (rank <= batch) makes CG carry last-bit differences 100x an
    # iteration at damping 1e-2: the discrete runs use --damping 0.1
    args = Args(0.99, 0.95, 1e-3, 1e-2, 1e-1 if discrete else 1e-2, 24, 2)
    dtype = torch.float64
    with out:
        torch.set_default_dtype(dtype)
        try:
            device = torch.device('cuda', index=0) if torch.cuda.is_available() \
                else torch.device('cpu')
            trpo_step, get_flat_params_from = _trpo(torch, out)
            env = StandIn(seed, 4 if discrete else 11, 2 if discrete else 3, discrete)
            state_dim = env.obs_dim
            running_state = ZFilter((state_dim,), clip=5)
            np.random.seed(seed)
            torch.manual_seed(seed)
            if discrete:
                policy_net = DiscretePolicy(state_dim, env.act_dim, hidden_size=(32, 32))
            else:
                policy_net = Policy(state_dim, env.act_dim, hidden_size=(32, 32), log_std=-0.0)
            value_net = Value(state_dim, hidden_size=(32, 32))
            policy_net.to(device)
            value_net.to(device)

            def collect_samples(min_batch_size):
                memory = Memory()
                num_steps, rewards_ep = 0, []
                while num_steps < min_batch_size:
                    state = running_state(env.reset())
                    reward_episode = 0
                    for t in range(10000):
                        state_var = torch.tensor(state).unsqueeze(0)
                        with torch.no_grad():
                            action = policy_net.select_action(state_var)[0].numpy()
                        action = int(action[0]) if policy_net.is_disc_action \
                            else action.astype(np.float64)
                        next_state, reward, done, _ = env.step(action)
                        reward_episode += reward
                        next_state = running_state(next_state)
                        mask = 0 if done else 1
                        memory.push(state, action, mask, next_state, reward)
                        if done:
                            break
                        state = next_state
                    num_steps += (t + 1)
                    rewards_ep.append(reward_episode)
                return memory.sample(), {'avg_reward': np.mean(rewards_ep),
                                         'min_reward': min(rewards_ep)}

            def update_params(batch):
                states = torch.from_numpy(np.stack(batch.state)).to(dtype).to(device)
                actions = torch.from_numpy(np.stack(batch.action)).to(dtype).to(device)
                rewards = torch.from_numpy(np.stack(batch.reward)).to(dtype).to(device)
                masks = torch.from_numpy(np.stack(batch.mask)).to(dtype).to(device)
                with torch.no_grad():
                    values = value_net(states)
                advantages, returns = estimate_advantages(torch, rewards, masks, values,
                                                          args.gamma, args.tau, device)
                out.vals += [advantages, returns]
                trpo_step(policy_net, value_net, states, actions, returns, advantages,
                          args.max_kl, args.damping, args.l2_reg, use_fim=use_fim)

            for i_iter in range(args.max_iter_num):
                batch, log = collect_samples(args.min_batch_size)
                update_params(batch)
                out.print('{}\ttrain_R_min {:.2f}\ttrain_R_avg {:.2f}'.format(
                    i_iter, log['min_reward'], log['avg_reward']))
            out.print("norm", f"{get_flat_params_from(policy_net).norm().item():.6f}")
            out.vals.append(get_flat_params_from(value_net))
        finally:
            torch.set_default_dtype(torch.float32)
    return out.done()


def trpo_gym_fim(torch):
    """trpo_gym.py, continuous actions, trpo_step(use_fim=True)."""
    return _run(torch, False, True, 1)


def trpo_gym_direct(torch):
    """trpo_gym.py, continuous actions, trpo_step(use_fim=False): Hessian of the KL."""
    return _run(torch, False, False, 2)


def trpo_gym_disc(torch):
    """trpo_gym.py with DiscretePolicy (CartPole's shapes), Fvp_fim."""
    return _run(torch, True, True, 3)


def trpo_gym_disc_direct(torch):
    """trpo_gym.py with DiscretePolicy, Fvp_direct."""
    return _run(torch, True, False, 4)
