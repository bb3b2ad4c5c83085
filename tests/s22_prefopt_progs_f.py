"""PPO / GRPO / REINFORCE++ / ReMax for a language model as users type them: verl's
trainer/ppo/core_algos.py (AdaptiveKLController / FixedKLController,
compute_gae_advantage_return, compute_grpo_outcome_advantage with its per-uid mean / std of
0-d score tensors, compute_reinforce_plus_plus_outcome_advantage,
compute_remax_outcome_advantage, compute_rewards, compute_policy_loss, compute_entropy_loss,
compute_value_loss, kl_penalty's kl / abs / mse / low_var_kl) with utils/torch_functional.py's
masked_mean / masked_var / masked_whiten / entropy_from_logits / clip_by_value /
logprobs_from_logits_naive / get_eos_mask, run as an actor-critic update on the tiny GPT of
tests/s22_prefopt_progs.py. ``prog(L) -> (printed, values)``."""

import copy
from collections import defaultdict

import numpy as np
from s16_yunjey_progs import Out
from s22_prefopt_progs import tiny_gpt

EOS = 19


def verl_lib(L):
    torch, F = L, L.nn.functional

    # ---- utils/torch_functional.py
    def masked_mean(values, mask, axis=None):
        return (values * mask).sum(axis=axis) / mask.sum(axis=axis)

    def masked_var(values, mask, unbiased=True):
        mean = masked_mean(values, mask)
        centered_values = values - mean
        variance = masked_mean(centered_values**2, mask)
        if unbiased:
            mask_sum = mask.sum()
            if mask_sum == 0:
                raise ValueError("At least one element in the mask has to be 1.")
            if mask_sum == 1:
                raise ValueError("The sum of the mask is one, which can cause a division by zero.")
            bessel_correction = mask_sum / (mask_sum - 1)
            variance = variance * bessel_correction
        return variance

    def masked_whiten(values, mask, shift_mean=True):
        mean, var = masked_mean(values, mask), masked_var(values, mask)
        whitened = (values - mean) * torch.rsqrt(var + 1e-8)
        if not shift_mean:
            whitened += mean
        return whitened

    def entropy_from_logits(logits):
        pd = torch.nn.functional.softmax(logits, dim=-1)
        entropy = torch.logsumexp(logits, dim=-1) - torch.sum(pd * logits, dim=-1)
        return entropy

    def clip_by_value(x, tensor_min, tensor_max):
        clipped = torch.max(torch.min(x, tensor_max), tensor_min)
        return clipped

    def logprobs_from_logits_naive(logits, labels):
        logp = F.log_softmax(logits, dim=-1)
        logpy = torch.gather(logp, -1, labels.unsqueeze(-1)).squeeze(-1)
        return logpy

    def get_eos_mask(response_id, eos_token=2, dtype=torch.int64):
        eos_mask = response_id.eq(eos_token).long()
        eos_mask = (torch.cumsum(eos_mask, dim=1) - eos_mask).bool()
        eos_mask = torch.logical_not(eos_mask).to(dtype)
        return eos_mask

    # ---- trainer/ppo/core_algos.py
    class AdaptiveKLController:
        def __init__(self, init_kl_coef, target_kl, horizon):
            self.value = init_kl_coef
            self.target = target_kl
            self.horizon = horizon

        def update(self, current_kl, n_steps):
            target = self.target
            proportional_error = np.clip(current_kl / target - 1, -0.2, 0.2)
            mult = 1 + proportional_error * n_steps / self.horizon
            self.value *= mult

    def compute_gae_advantage_return(token_level_rewards, values, eos_mask, gamma, lam):
        with torch.no_grad():
            lastgaelam = 0
            advantages_reversed = []
            gen_len = token_level_rewards.shape[-1]
            for t in reversed(range(gen_len)):
                nextvalues = values[:, t + 1] if t < gen_len - 1 else 0.0
                delta = token_level_rewards[:, t] + gamma * nextvalues - values[:, t]
                lastgaelam = delta + gamma * lam * lastgaelam
                advantages_reversed.append(lastgaelam)
            advantages = torch.stack(advantages_reversed[::-1], dim=1)
            returns = advantages + values
            advantages = masked_whiten(advantages, eos_mask)
        return advantages, returns

    def compute_grpo_outcome_advantage(token_level_rewards, eos_mask, index, epsilon=1e-6):
        response_length = token_level_rewards.shape[-1]
        scores = token_level_rewards.sum(dim=-1)
        id2score = defaultdict(list)
        id2mean = {}
        id2std = {}
        with torch.no_grad():
            bsz = scores.shape[0]
            for i in range(bsz):
                id2score[index[i]].append(scores[i])
            for idx in id2score:
                if len(id2score[idx]) == 1:
                    id2mean[idx] = torch.tensor(0.0)
                    id2std[idx] = torch.tensor(1.0)
                elif len(id2score[idx]) > 1:
                    id2mean[idx] = torch.mean(torch.tensor(id2score[idx]))
                    id2std[idx] = torch.std(torch.tensor([id2score[idx]]))
                else:
                    raise ValueError(f"no score in prompt index: {idx}")
            for i in range(bsz):
                scores[i] = (scores[i] - id2mean[index[i]]) / (id2std[index[i]] + epsilon)
            scores = scores.unsqueeze(-1).tile([1, response_length]) * eos_mask
        return scores, scores

    def compute_reinforce_plus_plus_outcome_advantage(token_level_rewards, eos_mask, gamma):
        with torch.no_grad():
            returns = torch.zeros_like(token_level_rewards)
            running_return = 0
            for t in reversed(range(token_level_rewards.shape[1])):
                running_return = token_level_rewards[:, t] + gamma * running_return
                returns[:, t] = running_return
                running_return = running_return * eos_mask[:, t]
            advantages = masked_whiten(returns, eos_mask)
            advantages = advantages * eos_mask
        return advantages, returns

    def compute_remax_outcome_advantage(token_level_rewards, reward_baselines, eos_mask):
        response_length = token_level_rewards.shape[-1]
        with torch.no_grad():
            returns = (token_level_rewards * eos_mask).flip(dims=[-1]).cumsum(dim=-1) \
                .flip(dims=[-1])
            advantages = returns - reward_baselines.unsqueeze(-1).tile([1, response_length]) \
                * eos_mask
        return advantages, returns

    def compute_rewards(token_level_scores, old_log_prob, ref_log_prob, kl_ratio):
        kl = old_log_prob - ref_log_prob
        return token_level_scores - kl * kl_ratio

    def compute_policy_loss(old_log_prob, log_prob, advantages, eos_mask, cliprange):
        negative_approx_kl = log_prob - old_log_prob
        ratio = torch.exp(negative_approx_kl)
        ppo_kl = masked_mean(-negative_approx_kl, eos_mask)
        pg_losses = -advantages * ratio
        pg_losses2 = -advantages * torch.clamp(ratio, 1.0 - cliprange, 1.0 + cliprange)
        pg_loss = masked_mean(torch.max(pg_losses, pg_losses2), eos_mask)
        pg_clipfrac = masked_mean(torch.gt(pg_losses2, pg_losses).float(), eos_mask)
        return pg_loss, pg_clipfrac, ppo_kl

    def compute_entropy_loss(logits, eos_mask):
        entropy = entropy_from_logits(logits)
        entropy_loss = masked_mean(entropy, mask=eos_mask)
        return entropy_loss

    def compute_value_loss(vpreds, returns, values, eos_mask, cliprange_value):
        vpredclipped = clip_by_value(vpreds, values - cliprange_value, values + cliprange_value)
        vf_losses1 = (vpreds - returns)**2
        vf_losses2 = (vpredclipped - returns)**2
        vf_loss = 0.5 * masked_mean(torch.max(vf_losses1, vf_losses2), eos_mask)
        vf_clipfrac = masked_mean(torch.gt(vf_losses2, vf_losses1).float(), eos_mask)
        return vf_loss, vf_clipfrac

    def kl_penalty(logprob, ref_logprob, kl_penalty):
        if kl_penalty == "kl":
            return logprob - ref_logprob
        if kl_penalty == "abs":
            return (logprob - ref_logprob).abs()
        if kl_penalty == "mse":
            return 0.5 * (logprob - ref_logprob).square()
        if kl_penalty == 'low_var_kl':
            kl = ref_logprob - logprob
            ratio = torch.exp(kl)
            kld = (ratio - kl - 1).contiguous()
            return torch.clamp(kld, min=-10, max=10)
        raise NotImplementedError

    return {k: v for k, v in locals().items() if not k.startswith(("torch", "F"))}


def _rollout(L, actor, prompts, n, response_length=5):
    """n sampled responses per prompt, cut to response_length, padded with EOS."""
    torch, F = L, L.nn.functional
    with torch.no_grad():
        idx = prompts.repeat_interleave(n, dim=0)
        for _ in range(response_length):
            logits = actor(idx).logits[:, -1, :]
            logits[:, 0] = -float("inf")
            logits[:, EOS] = logits.max(dim=-1).values - 0.5  # favour stopping
            nxt = torch.multinomial(F.softmax(logits, dim=-1), 1)
            idx = torch.cat([idx, nxt], dim=1)
    return idx


def verl_ppo(L):
    torch, nn = L, L.nn
    V = verl_lib(L)
    torch.manual_seed(0)
    actor = tiny_gpt(L).eval()
    ref = copy.deepcopy(actor)
    critic = tiny_gpt(L).eval()
    critic.lm_head = nn.Linear(16, 1)
    a_opt = torch.optim.AdamW(actor.parameters(), lr=1e-4)
    c_opt = torch.optim.AdamW(critic.parameters(), lr=1e-3)
    kl_ctrl = V["AdaptiveKLController"](init_kl_coef=0.2, target_kl=0.01, horizon=100)
    prompts = torch.tensor([[3, 5, 7], [2, 4, 6]])
    plen, rlen = 3, 5
    with Out() as o:
        for step in range(3):
            seq = _rollout(L, actor, prompts, 2, rlen)
            responses = seq[:, plen:]
            eos_mask = V["get_eos_mask"](responses, eos_token=EOS, dtype=torch.float32)
            with torch.no_grad():
                old_log_prob = V["logprobs_from_logits_naive"](
                    actor(seq).logits[:, plen - 1:-1], responses)
                ref_log_prob = V["logprobs_from_logits_naive"](
                    ref(seq).logits[:, plen - 1:-1], responses)
                values = critic(seq).logits[:, plen - 1:-1].squeeze(-1) * eos_mask
            scores = (responses % 2 == 0).float().mul(eos_mask).sum(-1) / eos_mask.sum(-1)
            token_level_scores = torch.zeros_like(old_log_prob)
            last = eos_mask.sum(-1).long() - 1
            token_level_scores[torch.arange(seq.size(0)), last] = scores
            kld = V["kl_penalty"](old_log_prob, ref_log_prob, "kl") * eos_mask
            token_level_rewards = token_level_scores - kl_ctrl.value * kld
            current_kl = V["masked_mean"](kld, mask=eos_mask, axis=-1)
            current_kl = torch.mean(current_kl, dim=0).item()
            kl_ctrl.update(current_kl=current_kl, n_steps=seq.size(0))
            advantages, returns = V["compute_gae_advantage_return"](
                token_level_rewards, values, eos_mask, gamma=1.0, lam=0.95)
            # actor update
            logits = actor(seq).logits[:, plen - 1:-1]
            log_prob = V["logprobs_from_logits_naive"](logits, responses)
            pg_loss, pg_clipfrac, ppo_kl = V["compute_policy_loss"](
                old_log_prob, log_prob, advantages, eos_mask, 0.2)
            entropy_loss = V["compute_entropy_loss"](logits, eos_mask)
            policy_loss = pg_loss - entropy_loss * 0.001
            policy_loss.backward()
            a_norm = nn.utils.clip_grad_norm_(actor.parameters(), max_norm=1.0)
            a_opt.step()
            a_opt.zero_grad()
            # critic update
            vpreds = critic(seq).logits[:, plen - 1:-1].squeeze(-1)
            vf_loss, vf_clipfrac = V["compute_value_loss"](vpreds, returns, values, eos_mask, 0.5)
            vf_loss.backward()
            c_norm = nn.utils.clip_grad_norm_(critic.parameters(), max_norm=1.0)
            c_opt.step()
            c_opt.zero_grad()
            o.print(f"step {step} score {scores.mean().item():.4f} kl {current_kl:.4f} "
                    f"kl_coef {kl_ctrl.value:.6f} pg {round(pg_loss.item(), 4) + 0.0:.4f} "
                    f"clipfrac {pg_clipfrac.item():.4f} entropy {entropy_loss.item():.4f} "
                    f"vf {vf_loss.item():.4f} vf_clip {vf_clipfrac.item():.4f} "
                    f"grad {a_norm.item():.4f} {c_norm.item():.4f}")
            o.print(eos_mask.tolist())
            o.vals += [advantages, returns, ppo_kl.detach(), token_level_rewards,
                       pg_loss.detach(), vf_loss.detach()]
        o.vals += [p.detach() for p in actor.parameters()]
        o.vals += [p.detach() for p in critic.parameters()]
    return o.lines, o.vals


def verl_estimators(L):
    torch = L
    V = verl_lib(L)
    rng = np.random.default_rng(7)
    with Out() as o:
        resp = torch.tensor([[4, 6, EOS, 3, 2], [1, 2, 3, 4, 5], [EOS, 1, 1, 1, 1],
                             [2, 2, 2, EOS, EOS], [8, EOS, 4, 4, 4], [5, 5, 5, 5, EOS]])
        eos_mask = V["get_eos_mask"](resp, eos_token=EOS, dtype=torch.float32)
        o.print(eos_mask.tolist(), V["get_eos_mask"](resp, eos_token=EOS).dtype)
        scores = torch.from_numpy(rng.uniform(-1, 1, 6).astype(np.float32))
        last = eos_mask.sum(-1).long() - 1
        tlr = torch.zeros(6, 5)
        tlr[torch.arange(6), last] = scores
        index = np.array(["a", "a", "b", "b", "b", "c"], dtype=object)
        adv, ret = V["compute_grpo_outcome_advantage"](tlr.clone(), eos_mask, index)
        o.vals += [adv, ret]
        adv2, ret2 = V["compute_reinforce_plus_plus_outcome_advantage"](tlr, eos_mask, 0.9)
        adv3, ret3 = V["compute_remax_outcome_advantage"](tlr, scores * 0.5, eos_mask)
        o.vals += [adv2, ret2, adv3, ret3]
        lp = torch.from_numpy(-rng.uniform(0.1, 3, (6, 5)).astype(np.float32))
        rlp = torch.from_numpy(-rng.uniform(0.1, 3, (6, 5)).astype(np.float32))
        for kind in ("kl", "abs", "mse", "low_var_kl"):
            o.vals.append(V["kl_penalty"](lp, rlp, kind))
        try:
            V["kl_penalty"](lp, rlp, "full")
        except NotImplementedError:
            o.print("full: NotImplementedError")
        o.vals.append(V["compute_rewards"](tlr, lp, rlp, 0.1))
        o.vals += [V["masked_var"](lp, eos_mask), V["masked_var"](lp, eos_mask, unbiased=False),
                   V["masked_whiten"](lp, eos_mask, shift_mean=False),
                   V["masked_mean"](lp, eos_mask, axis=-1)]
        one = torch.zeros(6, 5)
        one[0, 0] = 1
        o.tryit(lambda: V["masked_var"](lp, one))
        o.tryit(lambda: V["masked_var"](lp, torch.zeros(6, 5)))
        ctl = V["AdaptiveKLController"](0.1, 6.0, 10000)
        for kl in (0.5, 12.0, 6.0):
            ctl.update(kl, 256)
            o.print(f"{ctl.value:.8f}", type(ctl.value).__name__)
    return o.lines, o.vals
