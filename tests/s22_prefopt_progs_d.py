"""GRPO as users type it, on the tiny GPT of tests/s22_prefopt_progs.py:
lsdefine/simple_GRPO grpo_vllm_one.py (get_per_token_logps's row loop, GRPO_step with the
per-token KL estimator exp(ref - logp) - (ref - logp) - 1, the clipped ratio against the
generation log-probs or exp(logp - logp.detach()), the completion mask from the pad id;
gen_worker's group-normalised rewards, pad_sequence of the answers, the prompt repeated with
``repeat(1, n).view(-1, plen)``) with ref_server.py's reference log-probs under
torch.inference_mode, and the TRL GRPOTrainer's compute_loss / _get_per_token_logps /
EOS completion mask / grouped advantages with repeat_interleave. Sampling is the policy's
own (torch.multinomial under torch.manual_seed) instead of vLLM.
``prog(L) -> (printed, values)``."""

import copy

from s16_yunjey_progs import Out
from s22_prefopt_progs import tiny_gpt

EOS, PAD = 19, 0  # the pad id is never sampled (its logit is masked as a bad word)


def _sample(L, model, prompt_ids, n, max_new_tokens=6, temperature=2.5):
    """n answers per prompt (lists of token ids, EOS-terminated or cut at max_new_tokens)."""
    torch, F = L, L.nn.functional
    answers = []
    with torch.no_grad():
        idx = prompt_ids.repeat(n, 1)
        done = torch.zeros(n, dtype=torch.bool)
        outs = [[] for _ in range(n)]
        for _ in range(max_new_tokens):
            logits = model(idx).logits[:, -1, :] / temperature
            logits[:, PAD] = -float("inf")
            logits[:, EOS] += 1.5  # an EOS-favouring logits processor keeps answers short
            probs = F.softmax(logits, dim=-1)
            nxt = torch.multinomial(probs, num_samples=1)
            for j in range(n):
                if not done[j]:
                    outs[j].append(nxt[j, 0].item())
                    if nxt[j, 0].item() == EOS:
                        done[j] = True
            idx = torch.cat((idx, nxt), dim=1)
        answers += outs
    return answers


def _reward(answer):
    """A rule-based reward like reward_correct + reward_format: even tokens and an EOS."""
    correct = 1 if sum(t % 2 == 0 for t in answer) >= len(answer) / 2 else -1
    fmt = 1.25 if answer and answer[-1] == EOS else -1
    return correct + fmt


def simple_grpo(L):
    torch, nn = L, L.nn
    pad_sequence = nn.utils.rnn.pad_sequence
    beta, clip_param, num_pre_Q, train_batch_size = 0.04, 0.2, 4, 4

    def get_per_token_logps(logits, input_ids):
        per_token_logps = []
        for logits_row, input_ids_row in zip(logits, input_ids):
            log_probs = logits_row.log_softmax(dim=-1)
            token_log_prob = torch.gather(log_probs, dim=1,
                                          index=input_ids_row.unsqueeze(1)).squeeze(1)
            per_token_logps.append(token_log_prob)
        return torch.stack(per_token_logps)

    def ref_per_token_logps(ref_model, input_ids, plen):
        with torch.inference_mode():
            logits = ref_model(input_ids).logits
            logits = logits[:, :-1, :]
            per_token_logps = get_per_token_logps(logits, input_ids[:, 1:])
        return per_token_logps[:, plen - 1:]

    def GRPO_step(engine, batch):
        prompt_length = batch['plen']
        inputs = batch['inputs']
        advantages = batch['rewards'].unsqueeze(1)
        logits = engine(inputs).logits
        logits = logits[:, :-1, :]
        input_ids = inputs[:, 1:]
        per_token_logps = get_per_token_logps(logits, input_ids)
        per_token_logps = per_token_logps[:, prompt_length - 1:]
        ref_per_token_logps = batch['refs']
        per_token_kl = torch.exp(ref_per_token_logps - per_token_logps) \
            - (ref_per_token_logps - per_token_logps) - 1
        completion_mask = (inputs[:, prompt_length:] != PAD).int()
        if 'gen_logps' in batch:
            ratio = torch.exp(per_token_logps - batch['gen_logps'])
            clipped_ratio = torch.clamp(ratio, 1 - clip_param, 1 + clip_param)
            per_token_loss = torch.min(ratio * advantages, clipped_ratio * advantages)
        else:
            per_token_loss = torch.exp(per_token_logps - per_token_logps.detach()) * advantages
        per_token_loss = -(per_token_loss - beta * per_token_kl)
        loss = ((per_token_loss * completion_mask).sum(dim=1) / completion_mask.sum(dim=1)).mean()
        mean_kl = ((per_token_kl * completion_mask).sum(dim=1) / completion_mask.sum(dim=1)).mean()
        return loss, mean_kl

    torch.manual_seed(0)
    model = tiny_gpt(L)
    ref_model = copy.deepcopy(model)
    ref_model.eval()
    for m in (model, ref_model):
        for mod in m.modules():
            if isinstance(mod, nn.Dropout):
                mod.p = 0
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    prompts = [[3, 5, 7], [2, 4, 6, 8], [1, 1, 2]]
    with Out() as o:
        for it, prompt in enumerate(prompts * 2):
            prompt_ids = torch.tensor([prompt])
            plen = prompt_ids.shape[1]
            ans_token_ids = _sample(L, model, prompt_ids, num_pre_Q)
            rewards = torch.tensor([_reward(a) for a in ans_token_ids], dtype=torch.float32)
            o.print('rewards:', rewards)
            if rewards.max() - rewards.min() < 1e-4:
                o.print("skip: all rewards equal")
                continue
            curr_rewards = (rewards - rewards.mean()) / (rewards.std() + 1e-4)
            for ii in range(0, num_pre_Q, train_batch_size):
                sub_rewards = curr_rewards[ii:ii + train_batch_size]
                sub_ans_ids = ans_token_ids[ii:ii + train_batch_size]
                tensor_list = [torch.tensor(lst) for lst in sub_ans_ids]
                output_ids = pad_sequence(tensor_list, batch_first=True, padding_value=PAD)
                Qrep = prompt_ids.repeat(1, output_ids.shape[0]).view(-1, plen)
                merged_ids = torch.cat([Qrep, output_ids], dim=1)
                batch = {"plen": plen, "inputs": merged_ids, "rewards": sub_rewards,
                         "refs": ref_per_token_logps(ref_model, merged_ids, plen)}
                if it % 2 == 0:  # compute_gen_logps: the sampler's own log-probs
                    with torch.no_grad():
                        batch["gen_logps"] = get_per_token_logps(
                            model(merged_ids).logits[:, :-1, :], merged_ids[:, 1:])[:, plen - 1:]
                o.print(merged_ids.shape, batch["refs"].requires_grad,
                        batch["refs"].is_inference())
                loss, mean_kl = GRPO_step(model, batch)
                loss.backward()
                gn = nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                optimizer.zero_grad()
                o.print(f"Loss: {loss.item():.4f} kl {mean_kl.item():.4f} grad {gn.item():.4f}")
                o.vals += [loss.detach(), mean_kl.detach(), curr_rewards]
        o.vals += [p.detach() for p in model.parameters()]
    return o.lines, o.vals


def trl_grpo(L):
    torch, nn = L, L.nn
    beta, num_generations, eos_token_id = 0.04, 4, EOS

    def _get_per_token_logps(model, input_ids, attention_mask, logits_to_keep):
        logits = model(input_ids, attention_mask=attention_mask).logits
        logits = logits[:, :-1, :]
        input_ids = input_ids[:, -logits_to_keep:]
        logits = logits[:, -logits_to_keep:]
        per_token_logps = []
        for logits_row, input_ids_row in zip(logits, input_ids):
            log_probs = logits_row.log_softmax(dim=-1)
            token_log_prob = torch.gather(log_probs, dim=1,
                                          index=input_ids_row.unsqueeze(1)).squeeze(1)
            per_token_logps.append(token_log_prob)
        return torch.stack(per_token_logps)

    torch.manual_seed(1)
    model = tiny_gpt(L)
    ref_model = copy.deepcopy(model).eval()
    model.eval()  # dropout off for the sampled rollouts and the update alike
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    prompt_ids = torch.tensor([[3, 5, 7], [2, 4, 6]]).repeat_interleave(num_generations, dim=0)
    prompt_mask = torch.ones_like(prompt_ids)
    with Out() as o:
        for step in range(3):
            answers = []
            for i in range(0, prompt_ids.size(0), num_generations):
                answers += _sample(L, model, prompt_ids[i:i + 1], num_generations)
            completion_ids = nn.utils.rnn.pad_sequence(
                [torch.tensor(a) for a in answers], batch_first=True, padding_value=PAD)
            # mask everything after the first EOS
            is_eos = completion_ids == eos_token_id
            eos_idx = torch.full((is_eos.size(0),), is_eos.size(1), dtype=torch.long)
            eos_idx[is_eos.any(dim=1)] = is_eos.int().argmax(dim=1)[is_eos.any(dim=1)]
            sequence_indices = torch.arange(is_eos.size(1)).expand(is_eos.size(0), -1)
            completion_mask = (sequence_indices <= eos_idx.unsqueeze(1)).int()
            input_ids = torch.cat([prompt_ids, completion_ids], dim=1)
            attention_mask = torch.cat([prompt_mask, completion_mask], dim=1)
            logits_to_keep = completion_ids.size(1)
            with torch.inference_mode():
                ref_per_token_logps = _get_per_token_logps(ref_model, input_ids, attention_mask,
                                                           logits_to_keep)
            rewards = torch.tensor([_reward(a) for a in answers], dtype=torch.float32)
            mean_grouped_rewards = rewards.view(-1, num_generations).mean(dim=1)
            std_grouped_rewards = rewards.view(-1, num_generations).std(dim=1)
            mean_grouped_rewards = mean_grouped_rewards.repeat_interleave(num_generations, dim=0)
            std_grouped_rewards = std_grouped_rewards.repeat_interleave(num_generations, dim=0)
            advantages = (rewards - mean_grouped_rewards) / (std_grouped_rewards + 1e-4)
            o.print("rewards", rewards.tolist(), "completion_mask", completion_mask.tolist())
            # compute_loss
            per_token_logps = _get_per_token_logps(model, input_ids, attention_mask,
                                                   logits_to_keep)
            per_token_kl = torch.exp(ref_per_token_logps - per_token_logps) \
                - (ref_per_token_logps - per_token_logps) - 1
            per_token_loss = torch.exp(per_token_logps - per_token_logps.detach()) \
                * advantages.unsqueeze(1)
            per_token_loss = -(per_token_loss - beta * per_token_kl)
            loss = ((per_token_loss * completion_mask).sum(dim=1)
                    / completion_mask.sum(dim=1)).mean()
            completion_length = completion_mask.sum(1).float().mean().item()
            mean_kl = ((per_token_kl * completion_mask).sum(dim=1)
                       / completion_mask.sum(dim=1)).mean()
            loss.backward()
            gn = nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad()
            o.print(f"step {step} loss {loss.item():.4f} kl {mean_kl.item():.4f} "
                    f"len {completion_length} reward_std {std_grouped_rewards.mean().item():.4f}"
                    f" grad {gn.item():.4f}")
            o.vals += [advantages, loss.detach(), per_token_kl.detach(), completion_mask]
        o.vals += [p.detach() for p in model.parameters()]
    return o.lines, o.vals
