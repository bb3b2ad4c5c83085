"""Session 15: Berkeley CS285 (Deep RL) homework code as students write it on the course's
pytorch_util, scaled down and run on ember and on torch 2.13, compared live: hw1 behaviour
cloning + DAgger (MLPPolicySL with a learned logstd; Normal, Independent and
MultivariateNormal(scale_tril=diag) variants), hw2 policy gradients (returns, reward-to-go,
GAE with a normalised baseline, Categorical and Normal policies), hw3 DQN / double DQN on
CartPole (clip_grad_norm_, target updates, LambdaLR) and SAC (tanh-squashed Gaussian with
rsample, clipped double Q, log_alpha tuning in float64).

Printed lines, reprs, dtypes and shapes are compared exactly. Losses and weights after a few
updates are compared to rtol 1e-5: build_mlp's default tanh is NumPy's float32 tanh in ember
(a third of values one ulp from PyTorch's Sleef), heads like Linear(32, 2) are products MKL
sums in another order than OpenBLAS, log_softmax/softplus use Sleef's exp and Adam divides
by MKL's sqrt (README, known gaps), so values differ in the last bits."""

import numpy as np
from s15_cs285_progs import (discounted_return, gae, make_ptu, mlp_policy_sl, pg_policy,
                             reward_to_go, tanh_normal, value_critic)
from torch_compare import run_both as _run_both

RTOL, ATOL = 1e-5, 1e-6


def run_both(fn):
    """torch_compare.run_both, for programs that must run through on torch."""
    want, got = _run_both(fn)
    assert not (isinstance(want, tuple) and len(want) == 2 and isinstance(want[0], str)), want
    return want, got


def _check(fn):
    """fn(L) -> (printed, values): printed equal, values equal to rtol (module docstring)."""
    want, got = run_both(fn)
    assert got[0] == want[0], f"ember: {got[0]}\ntorch: {want[0]}"
    assert len(got[1]) == len(want[1])
    for g, w in zip(got[1], want[1]):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, w.dtype, g.shape, w.shape)
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL)


def _params(module):
    return [p.detach().numpy().copy() for p in module.parameters()]


# ---- hw1: behaviour cloning and DAgger -----------------------------------------------------

A_DYN = np.array([[0.9, 0.1, 0.0], [0.0, 0.95, 0.1], [0.1, 0.0, 0.9]])
B_DYN = np.array([[0.5, 0.0], [0.0, 0.5], [0.2, -0.2]])


def _rollout(policy, rng, steps=8):
    s = rng.standard_normal(3)
    obs, acs, rews = [], [], []
    for _ in range(steps):
        obs.append(s.copy())
        ac = policy.get_action(s)[0]
        acs.append(ac)
        s = A_DYN @ s + B_DYN @ np.clip(ac, -1, 1)
        rews.append(-np.sum(s ** 2))
    return (np.array(obs, dtype=np.float32), np.array(acs, dtype=np.float32),
            np.array(rews, dtype=np.float32))


def _hw1(dist):
    def prog(L):
        ptu = make_ptu(L)
        shown = [ptu.init_gpu(use_gpu=False)]
        L.manual_seed(0)
        expert_net = ptu.build_mlp(3, 2, 2, 16, activation="relu")

        class Expert:
            def get_action(self, obs):
                with L.no_grad():
                    return ptu.to_numpy(expert_net(ptu.from_numpy(obs[None])))

        expert = Expert()
        policy = mlp_policy_sl(L, ptu, 2, 3, 2, 32, 5e-3, dist)
        shown.append(repr(policy))
        rng = np.random.default_rng(1)
        paths = [_rollout(expert, rng) for _ in range(3)]
        obs = np.concatenate([p[0] for p in paths])
        acs = np.concatenate([p[1] for p in paths])
        values = []
        for itr in range(3):
            if itr > 0:  # DAgger: run the learner, relabel its states with the expert
                new = [_rollout(policy, rng) for _ in range(2)]
                relabeled = [np.concatenate([expert.get_action(o) for o in p[0]]) for p in new]
                obs = np.concatenate([obs] + [p[0] for p in new])
                acs = np.concatenate([acs] + relabeled)
            for _ in range(6):
                idx = rng.permutation(len(obs))[:16]
                log = policy.update(obs[idx], acs[idx])
            loss = log["Training Loss"]
            shown.append((type(loss).__name__, str(loss.dtype), loss.shape, acs.dtype.name))
            values.append(loss)
        d = policy(ptu.from_numpy(obs[:4]))
        a = d.rsample()
        shown += [repr(d), d.batch_shape, d.event_shape, tuple(d.mean.shape), a.grad_fn.name(),
                  repr(policy.logstd.grad is None), sorted(policy.state_dict())]
        values += [d.log_prob(ptu.from_numpy(acs[:4])).detach(), d.entropy().detach(),
                   policy.logstd.detach()] + _params(policy)
        return shown, values
    return prog


def test_hw1_bc_dagger_normal():
    _check(_hw1("normal"))


def test_hw1_bc_dagger_independent():
    _check(_hw1("independent"))


def test_hw1_bc_dagger_multivariate_normal():
    _check(_hw1("mvn"))


# ---- hw2: policy gradients -----------------------------------------------------------------

def _hw2(discrete):
    def prog(L):
        ptu = make_ptu(L)
        ptu.init_gpu(use_gpu=False)
        L.manual_seed(2)
        ac_dim, gamma = (3 if discrete else 2), 0.99
        policy = pg_policy(L, ptu, ac_dim, 4, discrete, 2, 32, 5e-3)
        critic = value_critic(L, ptu, 4, 2, 32, 5e-3)
        rng = np.random.default_rng(3)
        shown, values = [], []
        for itr in range(2):
            trajs = []
            for _ in range(3):
                ob = rng.standard_normal(4).astype(np.float32)
                obs, acs, rews = [], [], []
                for t in range(6):
                    ac = policy.get_action(ob[None])[0]
                    obs.append(ob)
                    acs.append(ac)
                    rews.append(float(ac == (ob[0] > 0)) if discrete
                                else float(-np.sum((ac - ob[:2]) ** 2)))
                    ob = (0.9 * ob + 0.1 * rng.standard_normal(4)).astype(np.float32)
                trajs.append((np.array(obs), np.array(acs), np.array(rews)))
            obs = np.concatenate([t[0] for t in trajs])
            actions = np.concatenate([t[1] for t in trajs])
            rewards = np.concatenate([t[2] for t in trajs])
            terminals = np.tile(np.arange(6) == 5, 3)
            q_full = np.concatenate([discounted_return(t[2], gamma) for t in trajs])
            q = np.concatenate([reward_to_go(t[2], gamma) for t in trajs])
            # the same reward-to-go in torch: flip / cumsum with discount powers
            r_t = [L.tensor(t[2]) for t in trajs]
            q_t = L.cat([L.flip(L.cumsum(L.flip(r * gamma ** L.arange(len(r)), [0]), 0), [0])
                         / gamma ** L.arange(len(r)) for r in r_t])
            v = ptu.to_numpy(critic(ptu.from_numpy(obs)))
            shown.append((actions.dtype.name, q_full.dtype.name, str(q_t.dtype), v.dtype.name,
                          v.shape))
            v = v * np.std(q) + np.mean(q)
            adv = gae(rewards, v, terminals, gamma, 0.95)
            adv = (adv - np.mean(adv)) / (np.std(adv) + 1e-8)
            info = policy.update(obs, actions, adv)
            cinfo = critic.update(obs, (q - q.mean()) / (q.std() + 1e-8))
            shown.append(sorted(info) + sorted(cinfo))
            values += [q_full, q, q_t, adv, info["Actor Loss"], cinfo["Baseline Loss"]]
        d = policy(ptu.from_numpy(obs[:3]))
        shown.append(repr(d))
        values.append(d.entropy().detach())
        if discrete:
            a = d.sample()
            shown += [repr(a), str(a.dtype), d.param_shape, d.log_prob(a).grad_fn.name()]
            values += [d.probs.detach(), d.logits.detach()]
        else:
            values += [d.mean.detach(), d.stddev.detach(), d.variance.detach()]
        return shown, values + _params(policy)
    return prog


def test_hw2_policy_gradient_discrete_gae():
    _check(_hw2(True))


def test_hw2_policy_gradient_continuous_gae():
    _check(_hw2(False))


def test_hw2_float64_advantages_times_float32_log_probs():
    def prog(L):
        L.manual_seed(0)
        adv = L.from_numpy(np.random.default_rng(0).standard_normal(5))
        lp = L.randn(5, requires_grad=True)
        loss = -(lp * adv).mean()
        loss.backward()
        norm = (adv - adv.mean()) / (adv.std() + 1e-8)
        shown = [str(loss.dtype), str(lp.grad.dtype), str(norm.dtype), repr(norm),
                 repr(adv.std(unbiased=False)), repr(L.std(adv, correction=0))]
        return shown, [loss.detach(), lp.grad]
    _check(prog)


# ---- hw3: DQN and double DQN on CartPole ---------------------------------------------------

def _hw3_dqn(double_q, clip):
    def prog(L):
        import gymnasium as gym
        ptu = make_ptu(L)
        ptu.init_gpu(use_gpu=False)
        nn = L.nn
        L.manual_seed(3)
        np.random.seed(3)
        make_critic = lambda: ptu.build_mlp(4, 2, 2, 32, activation="relu")  # noqa: E731
        critic, target_critic = make_critic(), make_critic()
        opt = L.optim.Adam(critic.parameters(), lr=1e-3)
        sched = L.optim.lr_scheduler.LambdaLR(opt, lambda t: 1.0 if t < 4 else 0.5)
        target_critic.load_state_dict(critic.state_dict())
        loss_fn = nn.MSELoss()
        env = gym.make("CartPole-v1")
        buf = []
        obs, _ = env.reset(seed=3)
        shown, values = [repr(critic), repr(loss_fn)], []
        for step in range(36):
            if np.random.random() < max(0.05, 1 - step / 20):
                action = L.tensor(np.random.randint(2))
            else:
                action = critic(ptu.from_numpy(np.asarray(obs))[None]).argmax(dim=-1)
            action = ptu.to_numpy(action).squeeze(0).item() if action.dim() else action.item()
            nxt, reward, term, trunc, _ = env.step(action)
            buf.append((obs, action, reward, nxt, term and not trunc))
            obs = env.reset()[0] if term or trunc else nxt
            if step < 16:
                continue
            idx = np.random.randint(0, len(buf), size=(16,))
            batch = ptu.from_numpy({
                "obs": np.array([buf[i][0] for i in idx]),
                "acs": np.array([buf[i][1] for i in idx], dtype=np.int64),
                "rews": np.array([buf[i][2] for i in idx]),
                "next_obs": np.array([buf[i][3] for i in idx]),
                "dones": np.array([buf[i][4] for i in idx])})
            with L.no_grad():
                next_qa = target_critic(batch["next_obs"])
                src = critic(batch["next_obs"]) if double_q else next_qa
                next_q = next_qa.gather(1, src.argmax(dim=1).unsqueeze(1)).squeeze(1)
                target = batch["rews"] + 0.99 * next_q * (1 - batch["dones"].float())
            q = L.gather(critic(batch["obs"]), 1, batch["acs"].unsqueeze(1)).squeeze(1)
            loss = loss_fn(q, target)
            opt.zero_grad()
            loss.backward()
            grad_norm = L.nn.utils.clip_grad.clip_grad_norm_(critic.parameters(),
                                                             clip or float("inf"))
            opt.step()
            sched.step()
            if step % 5 == 0:
                target_critic.load_state_dict(critic.state_dict())
            values.append([loss.item(), q.mean().item(), target.mean().item(),
                           grad_norm.item()])
        shown += [{k: (str(v.dtype), tuple(v.shape)) for k, v in batch.items()},
                  sched.get_last_lr(), str(grad_norm.dtype), loss.grad_fn.name()]
        return shown, values + _params(target_critic)
    return prog


def test_hw3_dqn():
    _check(_hw3_dqn(False, None))


def test_hw3_double_dqn_clipped():
    _check(_hw3_dqn(True, 0.1))


# ---- hw3: soft actor-critic ----------------------------------------------------------------

def _hw3_sac(actor_grad, use_tanh):
    def prog(L):
        ptu = make_ptu(L)
        ptu.init_gpu(use_gpu=False)
        nn, F = L.nn, L.nn.functional
        make_tanh, make_mvn = tanh_normal(L)
        L.manual_seed(4)
        actor = ptu.build_mlp(3, 4, 2, 32, activation="relu")
        critics = nn.ModuleList([ptu.build_mlp(5, 1, 2, 32, activation="relu") for _ in range(2)])
        targets = nn.ModuleList([ptu.build_mlp(5, 1, 2, 32, activation="relu") for _ in range(2)])
        targets.load_state_dict(critics.state_dict())
        a_opt = L.optim.Adam(actor.parameters(), lr=3e-3)
        c_opt = L.optim.Adam(critics.parameters(), lr=3e-3)
        log_alpha = L.tensor(np.log(0.1)).to(ptu.device)
        log_alpha.requires_grad = True
        alpha_opt = L.optim.Adam([log_alpha], lr=3e-3)

        def policy(obs):
            mean, std = L.chunk(actor(obs), 2, dim=-1)
            std = F.softplus(std) + 1e-2
            return make_tanh(mean, std) if use_tanh else make_mvn(mean, std)

        def q_all(nets, obs, acs):
            return L.stack([c(L.cat([obs, acs], dim=-1)).squeeze(-1) for c in nets], dim=0)

        rng = np.random.default_rng(0)
        shown, values = [], []
        for step in range(3):
            obs = ptu.from_numpy(rng.standard_normal((8, 3)))
            acs = ptu.from_numpy(rng.uniform(-1, 1, (8, 2)))
            rew = ptu.from_numpy(rng.standard_normal(8))
            nobs = ptu.from_numpy(rng.standard_normal((8, 3)))
            done = ptu.from_numpy(rng.random(8) < 0.2)
            with L.no_grad():
                nd = policy(nobs)
                na = nd.sample()
                next_qs = L.min(q_all(targets, nobs, na), dim=0)[0]
                next_qs = next_qs[None].expand((2, 8)).contiguous()
                next_qs += 0.1 * -nd.log_prob(nd.rsample())
                target = rew[None] + 0.99 * (1 - 1.0 * done[None]) * next_qs
            q = q_all(critics, obs, acs)
            c_loss = nn.MSELoss()(q, target)
            c_opt.zero_grad()
            c_loss.backward()
            c_opt.step()
            d = policy(obs)
            if actor_grad == "reparametrize":
                a = d.rsample((3,))
                shown.append(tuple(a.shape))
                loss = -q_all(critics, obs[None].repeat((3, 1, 1)), a).mean(axis=0).mean()
            else:
                with L.no_grad():
                    a = d.sample((3,))
                    adv = q_all(critics, obs[None].repeat((3, 1, 1)), a).mean(axis=0)
                loss = -(d.log_prob(a) * adv).mean()
            entropy = L.mean(-d.log_prob(d.rsample()))
            loss -= log_alpha.exp() * entropy
            a_opt.zero_grad()
            loss.backward()
            a_opt.step()
            alpha_loss = (log_alpha.exp() * (entropy - (-2)).detach()).mean()
            alpha_opt.zero_grad()
            alpha_loss.backward()
            alpha_opt.step()
            for tp, p in zip(targets.parameters(), critics.parameters()):
                tp.data.copy_(tp.data * (1.0 - 0.005) + p.data * 0.005)
            shown.append((str(loss.dtype), str(alpha_loss.dtype), str(log_alpha.dtype),
                          loss.grad_fn.name(), q.shape))
            values.append([c_loss.item(), loss.item(), entropy.item(), log_alpha.item()])
        d = policy(obs[:2])
        shown += [repr(d), d.batch_shape, d.event_shape, repr(log_alpha.exp())[:28]]
        values += [d.mean.detach(), d.log_prob(d.rsample()).detach()]
        if use_tanh:
            shown += [repr(d.base_dist), repr(d.base_dist.transforms), repr(d.support)]
            values.append(d.log_prob(L.tensor([[1.0, -1.0], [0.5, 0.2]])).detach())
        # (REINFORCE's actor gradients nearly cancel for some weights, and Adam divides each
        # by its own size, so a last-bit difference there moves that weight by 1e-5 of
        # itself: its actor is compared through the losses and log-probs above instead)
        actor_params = _params(actor) if actor_grad == "reparametrize" else []
        return shown, values + actor_params + _params(targets)
    return prog


def test_hw3_sac_reparametrize_tanh():
    _check(_hw3_sac("reparametrize", True))


def test_hw3_sac_reinforce_tanh():
    _check(_hw3_sac("reinforce", True))


def test_hw3_sac_multivariate_normal():
    _check(_hw3_sac("reparametrize", False))
