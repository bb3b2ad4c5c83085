"""openai/phasic-policy-gradient, part 2: the policy phase (roller-shaped segments from a
seeded fake vectorised environment, ppo.py's compute_gae / compute_advantage /
compute_losses with one optimizer for pi + vf) and the auxiliary phase of ppg.py
(compute_presleep_outputs through minibatched_call, make_minibatches mixing envs across
segments, aux_train: KL(old pd || pd) + auxiliary and true value losses)."""

import itertools
import math

import numpy as np
from s16_yunjey_progs import Out
from s22_rl2_progs_d import _ppg

INPUT_KEYS = {"ob", "ac", "first", "logp", "vtarg", "adv", "state_in"}


def _ppg_train(th, o, arch, seed, n_pi=2, n_aux_epochs=2, clip_param=0.2, kl_penalty=0.0):
    u = _ppg(th)
    td = th.distributions
    tree_map, tree_slice, tree_stack = u['tree_map'], u['tree_slice'], u['tree_stack']
    sum_nonbatch = u['sum_nonbatch']
    th.manual_seed(seed)
    rng = np.random.RandomState(seed)
    nenv, nstep, obdim, nact = 4, 5, 6, 3
    model = u['PhasicValueModel'](obdim, nact, arch=arch)
    o.print(sorted(n for n, _ in model.named_parameters()))
    o.print([round(float(model.pi_head.weight.norm(dim=1)[i]), 4) for i in range(nact)])

    def compute_gae(*, vpred, reward, first, γ, λ):
        vpred, reward, first = (x.cpu() for x in (vpred, reward, first))
        first = first.to(dtype=th.float32)
        assert first.dim() == 2
        nenv, nstep = reward.shape
        assert vpred.shape == first.shape == (nenv, nstep + 1)
        adv = th.zeros(nenv, nstep, dtype=th.float32)
        lastgaelam = 0
        for t in reversed(range(nstep)):
            notlast = 1.0 - first[:, t + 1]
            nextvalue = vpred[:, t + 1]
            delta = reward[:, t] + notlast * γ * nextvalue - vpred[:, t]
            adv[:, t] = lastgaelam = delta + notlast * γ * λ * lastgaelam
        vtarg = vpred[:, :-1] + adv
        return adv, vtarg

    def compute_losses(model, ob, ac, first, logp, vtarg, adv, state_in, clip_param, vfcoef,
                       entcoef, kl_penalty):
        losses = {}
        diags = {}
        pd, vpred, aux, _state_out = model(ob=ob, first=first, state_in=state_in)
        newlogp = sum_nonbatch(pd.log_prob(ac))
        logratio = newlogp - logp
        ratio = th.exp(logratio)
        if clip_param > 0:
            pg_losses = -adv * ratio
            pg_losses2 = -adv * th.clamp(ratio, 1.0 - clip_param, 1.0 + clip_param)
            pg_losses = th.max(pg_losses, pg_losses2)
        else:
            pg_losses = -adv * th.exp(newlogp - logp)
        diags["entropy"] = entropy = sum_nonbatch(pd.entropy()).mean()
        diags["negent"] = -entropy * entcoef
        diags["pg"] = pg_losses.mean()
        diags["pi_kl"] = kl_penalty * 0.5 * (logratio ** 2).mean()
        losses["pi"] = diags["negent"] + diags["pg"] + diags["pi_kl"]
        losses["vf"] = vfcoef * ((vpred - vtarg) ** 2).mean()
        with th.no_grad():
            diags["clipfrac"] = (th.abs(ratio - 1) > clip_param).float().mean()
            diags["approxkl"] = 0.5 * (logratio ** 2).mean()
        return losses, diags

    def rollout(state):
        """Roller.multi_step: segments as (nenv, nstep, ...) tensors."""
        seg = {k: [] for k in ("ob", "first", "ac", "logp", "vpred", "reward")}
        seg["state_in"] = state["state"]
        for _ in range(nstep):
            ob = th.from_numpy(state["ob"])
            first = th.from_numpy(state["first"])
            ac, state["state"], info = model.act(ob, first, state["state"])
            seg["ob"].append(ob)
            seg["first"].append(first)
            seg["ac"].append(ac)
            seg["logp"].append(info["logp"])
            seg["vpred"].append(info["vpred"])
            seg["reward"].append(th.from_numpy(rng.standard_normal(nenv).round(2).astype(np.float32)) +
                                 0.1 * ac.float())
            state["ob"] = rng.standard_normal((nenv, obdim)).astype(np.float32)
            state["first"] = rng.random_sample(nenv) < 0.25
        for k in ("ob", "first", "ac", "logp", "vpred", "reward"):
            seg[k] = th.stack(seg[k], dim=1)
        seg["finalob"] = th.from_numpy(state["ob"])
        seg["finalfirst"] = th.from_numpy(state["first"])
        seg["finalstate"] = state["state"]
        return seg

    def compute_advantage(seg, γ=0.99, λ=0.95):
        vpredfinal = model.v(seg["finalob"], seg["finalfirst"], seg["finalstate"])
        adv, vtarg = compute_gae(γ=γ, λ=λ, reward=seg["reward"],
                                 vpred=th.cat([seg["vpred"], vpredfinal[:, None]], dim=1),
                                 first=th.cat([seg["first"], seg["finalfirst"][:, None]], dim=1))
        o.print("EV", round(u['explained_variance'](seg["vpred"], vtarg), 4))
        seg["vtarg"] = vtarg
        adv_mean, adv_var = u['moments'](adv)
        seg["adv"] = (adv - adv_mean) / (math.sqrt(adv_var) + 1e-8)

    def make_minibatches(segs, mbsize):
        nenv = u['batch_len'](segs[0])
        nseg = len(segs)
        envs_segs = th.tensor(list(itertools.product(range(nenv), range(nseg))))
        for perminds in th.randperm(len(envs_segs)).split(mbsize):
            esinds = envs_segs[perminds]
            yield tree_stack([tree_slice(segs[segind], envind) for (envind, segind) in esinds])

    def aux_train(*, model, segs, opt, mbsize, name2coef):
        needed_keys = {"ob", "first", "state_in", "oldpd"}.union(model.aux_keys())
        segs = [{k: seg[k] for k in needed_keys} for seg in segs]
        for mb in make_minibatches(segs, mbsize):
            mb = tree_map(lambda x: x.to(u['dev']()), mb)
            pd, _, aux, _state_out = model(mb["ob"], mb["first"], mb["state_in"])
            name2loss = {}
            name2loss["pol_distance"] = td.kl_divergence(mb["oldpd"], pd).mean()
            name2loss.update(model.compute_aux_loss(aux, mb))
            assert set(name2coef.keys()).issubset(name2loss.keys())
            loss = 0
            for name in name2loss.keys():
                unscaled_loss = name2loss[name]
                scaled_loss = unscaled_loss * name2coef.get(name, 1)
                if name == "pol_distance":  # ~1e-5 after the pre-sleep copy: values only
                    o.print(name, unscaled_loss.shape, unscaled_loss.dtype)
                else:
                    o.print(name, round(unscaled_loss.item(), 4), round(float(scaled_loss), 4))
                o.vals.append(unscaled_loss.detach())
                loss += scaled_loss
            opt.zero_grad()
            loss.backward()
            opt.step()
            o.vals.append(loss.detach())

    def compute_presleep_outputs(*, model, segs, mbsize, pdkey="oldpd", vpredkey="oldvpred"):
        def forward(ob, first, state_in):
            pd, vpred, _aux, _state_out = model.forward(ob.to(u['dev']()), first, state_in)
            return pd, vpred
        for seg in segs:
            seg[pdkey], seg[vpredkey] = u['minibatched_call'](
                forward, mbsize, ob=seg["ob"], first=seg["first"], state_in=seg["state_in"])

    opt = th.optim.Adam(list(model.parameters()), lr=5e-3)
    aux_state = th.optim.Adam(model.parameters(), lr=5e-3)
    state = dict(ob=rng.standard_normal((nenv, obdim)).astype(np.float32),
                 first=np.ones(nenv, dtype=bool), state=model.initial_state(nenv))
    seg_buf = []
    for it in range(n_pi):
        seg = rollout(state)
        compute_advantage(seg)
        seg_buf.append(tree_map(lambda x: x.cpu(), seg))
        if it == n_pi - 1:
            # Pre-sleep outputs taken before the last policy-phase updates (ppg.py takes them
            # after): at KL = 0 the distillation gradient is rounding noise that Adam's first
            # step scales to a full lr step, so torch and ember would part in their last bits.
            compute_presleep_outputs(model=model, segs=seg_buf, mbsize=3)
        arrays = {k: seg[k] for k in INPUT_KEYS}
        for inds in th.randperm(nenv).split(2):
            losses, diags = compute_losses(model, **tree_slice(arrays, inds), clip_param=clip_param,
                                           vfcoef=0.5, entcoef=0.01, kl_penalty=kl_penalty)
            loss = sum([losses[k] * 1.0 for k in ["pi", "vf"]])
            opt.zero_grad()
            loss.backward()
            diags = {k: v.detach() for (k, v) in diags.items()}
            opt.step()
            o.print(it, {k: round(v.item(), 4) for k, v in sorted(diags.items())},
                    round(losses["vf"].item(), 4))
            o.vals += [losses["pi"].detach(), losses["vf"].detach()]
        o.print(seg["ac"].dtype, tuple(seg["ac"].shape), seg["first"].dtype, seg["vtarg"].dtype)
    oldpd = seg_buf[0]["oldpd"]
    o.print(type(oldpd).__name__, tuple(oldpd.logits.shape), tuple(seg_buf[0]["oldvpred"].shape),
            seg_buf[0]["oldvpred"].requires_grad)
    o.vals += [oldpd.probs, seg_buf[1]["oldvpred"]]
    for i in range(n_aux_epochs):
        aux_train(model=model, segs=seg_buf, opt=aux_state, mbsize=3,
                  name2coef={"pol_distance": 1.0, "vf_true": 0.5})
    o.vals += [p.detach().clone() for p in model.parameters()]
    flat = u['flatten_tensors']([p.data for p in model.parameters()])
    u['unflatten_to'](flat * 1, [p.data for p in model.parameters()])
    o.print(flat.shape, flat.dtype)
    return model


def ppg_dual(L):
    """PhasicValueModel(arch='dual'): clipped PPO phase then the auxiliary phase."""
    with Out() as o:
        _ppg_train(L, o, "dual", 0)
    return o.done()


def ppg_detach_kl(L):
    """arch='detach' (value head on the detached policy features), no clipping: the KL
    penalty on the log ratio instead."""
    with Out() as o:
        _ppg_train(L, o, "detach", 1, clip_param=0.0, kl_penalty=1.0, n_aux_epochs=1)
    return o.done()
