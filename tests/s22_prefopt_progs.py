"""eric-mitchell/direct-preference-optimization as users type it: preference_datasets.py
(tokenize_batch_element with the -100 prompt labels, get_collate_fn's pad_sequence with the
prompt flipped to pad on the left), utils.py (pad_to_length, all_gather_if_needed with one
process, formatted_dict, disable_dropout, slice_and_move_batch_for_device) and trainers.py
(preference_loss for DPO / conservative DPO / IPO / reference-free, _get_batch_logps with the
label mask, concatenated_inputs, BasicTrainer.concatenated_forward / get_batch_metrics /
train's step with LambdaLR warm-up and clip_grad_norm_). A character tokenizer and a tiny
GPT-2-like policy (vocab 20, dim 16) built from nn modules stand in for HF transformers.
``prog(L) -> (printed, values)``."""

import math
from collections import defaultdict

VOCAB, DIM, HEADS, BLOCK = 20, 16, 2, 16


class CharTokenizer:
    """A stand-in for an HF tokenizer: letters to ids 1..18, EOS 19 (also the pad id)."""
    eos_token_id = 19
    pad_token_id = None

    def __call__(self, text, add_special_tokens=False):
        ids = [ord(c) % 18 + 1 for c in text if c != " "]
        return {"input_ids": ids, "attention_mask": [1] * len(ids)}


def tiny_gpt(L, n_layer=1, bias=True):
    """A GPT-2-shaped causal LM (wte, wpe, drop, blocks, ln_f, lm_head) whose forward takes
    ``input_ids, attention_mask=None`` and returns an object with ``.logits`` like HF's.
    ``bias=False`` drops the LayerNorm and Linear biases as nanoGPT's GPTConfig(bias=False)
    does (a reward model's loss sees only differences of scores: ln_f's bias would get a
    zero gradient made of rounding noise, which Adam blows up to lr-sized steps)."""
    torch, nn, F = L, L.nn, L.nn.functional

    class CausalLMOutput:
        def __init__(self, logits):
            self.logits = logits

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(DIM, bias=bias)
            self.c_attn = nn.Linear(DIM, 3 * DIM, bias=False)  # nanoGPT's bias=False
            self.c_proj = nn.Linear(DIM, DIM, bias=bias)
            self.attn_dropout = nn.Dropout(0.1)
            self.ln_2 = nn.LayerNorm(DIM, bias=bias)
            self.mlp = nn.Sequential(nn.Linear(DIM, 4 * DIM, bias=bias),
                                     nn.GELU(approximate="tanh"),
                                     nn.Linear(4 * DIM, DIM, bias=bias), nn.Dropout(0.1))
            self.register_buffer("bias", torch.tril(torch.ones(BLOCK, BLOCK))
                                 .view(1, 1, BLOCK, BLOCK))

        def attn(self, x, attention_mask):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(DIM, dim=2)
            k = k.view(B, T, HEADS, C // HEADS).transpose(1, 2)
            q = q.view(B, T, HEADS, C // HEADS).transpose(1, 2)
            v = v.view(B, T, HEADS, C // HEADS).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.bias[:, :, :T, :T] == 0, torch.finfo(att.dtype).min)
            if attention_mask is not None:
                ext = (1.0 - attention_mask[:, None, None, :].to(att.dtype)) \
                    * torch.finfo(att.dtype).min
                att = att + ext
            att = F.softmax(att, dim=-1)
            att = self.attn_dropout(att)
            y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
            return self.c_proj(y)

        def forward(self, x, attention_mask=None):
            x = x + self.attn(self.ln_1(x), attention_mask)
            return x + self.mlp(self.ln_2(x))

    class TinyGPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(VOCAB, DIM)
            self.wpe = nn.Embedding(BLOCK, DIM)
            self.drop = nn.Dropout(0.1)
            self.h = nn.ModuleList([Block() for _ in range(n_layer)])
            self.ln_f = nn.LayerNorm(DIM, bias=bias)
            self.lm_head = nn.Linear(DIM, VOCAB, bias=False)
            self.lm_head.weight = self.wte.weight

        def forward(self, input_ids, attention_mask=None):
            pos = torch.arange(0, input_ids.size(1), dtype=torch.long).unsqueeze(0)
            x = self.drop(self.wte(input_ids) + self.wpe(pos))
            for block in self.h:
                x = block(x, attention_mask)
            return CausalLMOutput(self.lm_head(self.ln_f(x)))

    return TinyGPT()


def dpo_lib(L):
    """The repository's functions, as written there."""
    torch, F = L, L.nn.functional
    from_rnn = L.nn.utils.rnn.pad_sequence

    # ---- utils.py
    def pad_to_length(tensor, length, pad_value, dim=-1):
        if tensor.size(dim) >= length:
            return tensor
        else:
            pad_size = list(tensor.shape)
            pad_size[dim] = length - tensor.size(dim)
            return torch.cat([tensor, pad_value * torch.ones(*pad_size, dtype=tensor.dtype,
                                                             device=tensor.device)], dim=dim)

    def all_gather_if_needed(values, rank, world_size):
        if world_size == 1:
            return values
        raise AssertionError("single process only")

    def formatted_dict(d):
        return {k: (f"{v:.5g}" if type(v) == float else v) for k, v in d.items()}

    def disable_dropout(model):
        for module in model.modules():
            if isinstance(module, torch.nn.Dropout):
                module.p = 0

    def slice_and_move_batch_for_device(batch, rank, world_size, device):
        chunk_size = len(list(batch.values())[0]) // world_size
        start = chunk_size * rank
        end = chunk_size * (rank + 1)
        sliced = {k: v[start:end] for k, v in batch.items()}
        on_device = {k: (v.to(device) if isinstance(v, torch.Tensor) else v)
                     for k, v in sliced.items()}
        return on_device

    # ---- preference_datasets.py
    def get_collate_fn(tokenizer):
        def collate_fn(batch):
            padded_batch = {}
            for k in batch[0].keys():
                if k.endswith('_input_ids') or k.endswith('_attention_mask') \
                        or k.endswith('_labels'):
                    if 'prompt' in k:
                        to_pad = [torch.LongTensor(ex[k][::-1]) for ex in batch]
                    else:
                        to_pad = [torch.LongTensor(ex[k]) for ex in batch]
                    if k.endswith('_input_ids'):
                        padding_value = tokenizer.pad_token_id
                    elif k.endswith('_labels'):
                        padding_value = -100
                    elif k.endswith('_attention_mask'):
                        padding_value = 0
                    else:
                        raise ValueError(f"Unexpected key in batch '{k}'")
                    padded_batch[k] = from_rnn(to_pad, batch_first=True,
                                               padding_value=padding_value)
                    if 'prompt' in k:
                        padded_batch[k] = padded_batch[k].flip(dims=[1])
                else:
                    padded_batch[k] = [ex[k] for ex in batch]
            return padded_batch
        return collate_fn

    def tokenize_batch_element(prompt, chosen, rejected, truncation_mode, tokenizer,
                               max_length, max_prompt_length):
        chosen_tokens = tokenizer(chosen, add_special_tokens=False)
        rejected_tokens = tokenizer(rejected, add_special_tokens=False)
        prompt_tokens = tokenizer(prompt, add_special_tokens=False)
        chosen_tokens['input_ids'].append(tokenizer.eos_token_id)
        chosen_tokens['attention_mask'].append(1)
        rejected_tokens['input_ids'].append(tokenizer.eos_token_id)
        rejected_tokens['attention_mask'].append(1)
        longer_response_length = max(len(chosen_tokens['input_ids']),
                                     len(rejected_tokens['input_ids']))
        if len(prompt_tokens['input_ids']) + longer_response_length > max_length:
            if truncation_mode == 'keep_start':
                prompt_tokens = {k: v[:max_prompt_length] for k, v in prompt_tokens.items()}
            elif truncation_mode == 'keep_end':
                prompt_tokens = {k: v[-max_prompt_length:] for k, v in prompt_tokens.items()}
            else:
                raise ValueError(f'Unknown truncation mode: {truncation_mode}')
        if len(prompt_tokens['input_ids']) + longer_response_length > max_length:
            chosen_tokens = {k: v[:max_length - max_prompt_length]
                             for k, v in chosen_tokens.items()}
            rejected_tokens = {k: v[:max_length - max_prompt_length]
                               for k, v in rejected_tokens.items()}
        chosen_sequence_tokens = {k: prompt_tokens[k] + chosen_tokens[k] for k in chosen_tokens}
        rejected_sequence_tokens = {k: prompt_tokens[k] + rejected_tokens[k]
                                    for k in rejected_tokens}
        chosen_sequence_tokens['labels'] = chosen_sequence_tokens['input_ids'][:]
        chosen_sequence_tokens['labels'][:len(prompt_tokens['input_ids'])] = \
            [-100] * len(prompt_tokens['input_ids'])
        rejected_sequence_tokens['labels'] = rejected_sequence_tokens['input_ids'][:]
        rejected_sequence_tokens['labels'][:len(prompt_tokens['input_ids'])] = \
            [-100] * len(prompt_tokens['input_ids'])
        batch = {}
        batch['prompt'] = prompt
        batch['chosen'] = prompt + chosen
        batch['rejected'] = prompt + rejected
        for k, toks in {'chosen': chosen_sequence_tokens, 'rejected': rejected_sequence_tokens,
                        'prompt': prompt_tokens}.items():
            for type_key, tokens in toks.items():
                batch[f'{k}_{type_key}'] = tokens
        return batch

    # ---- trainers.py
    def preference_loss(policy_chosen_logps, policy_rejected_logps, reference_chosen_logps,
                        reference_rejected_logps, beta, label_smoothing=0.0, ipo=False,
                        reference_free=False):
        pi_logratios = policy_chosen_logps - policy_rejected_logps
        ref_logratios = reference_chosen_logps - reference_rejected_logps
        if reference_free:
            ref_logratios = 0
        logits = pi_logratios - ref_logratios
        if ipo:
            losses = (logits - 1/(2 * beta)) ** 2
        else:
            losses = -F.logsigmoid(beta * logits) * (1 - label_smoothing) \
                - F.logsigmoid(-beta * logits) * label_smoothing
        chosen_rewards = beta * (policy_chosen_logps - reference_chosen_logps).detach()
        rejected_rewards = beta * (policy_rejected_logps - reference_rejected_logps).detach()
        return losses, chosen_rewards, rejected_rewards

    def _get_batch_logps(logits, labels, average_log_prob=False):
        assert logits.shape[:-1] == labels.shape
        labels = labels[:, 1:].clone()
        logits = logits[:, :-1, :]
        loss_mask = (labels != -100)
        labels[labels == -100] = 0
        per_token_logps = torch.gather(logits.log_softmax(-1), dim=2,
                                       index=labels.unsqueeze(2)).squeeze(2)
        if average_log_prob:
            return (per_token_logps * loss_mask).sum(-1) / loss_mask.sum(-1)
        else:
            return (per_token_logps * loss_mask).sum(-1)

    def concatenated_inputs(batch):
        max_length = max(batch['chosen_input_ids'].shape[1],
                         batch['rejected_input_ids'].shape[1])
        concatenated_batch = {}
        for k in batch:
            if k.startswith('chosen') and isinstance(batch[k], torch.Tensor):
                pad_value = -100 if 'labels' in k else 0
                concatenated_key = k.replace('chosen', 'concatenated')
                concatenated_batch[concatenated_key] = pad_to_length(batch[k], max_length,
                                                                     pad_value=pad_value)
        for k in batch:
            if k.startswith('rejected') and isinstance(batch[k], torch.Tensor):
                pad_value = -100 if 'labels' in k else 0
                concatenated_key = k.replace('rejected', 'concatenated')
                concatenated_batch[concatenated_key] = torch.cat((
                    concatenated_batch[concatenated_key],
                    pad_to_length(batch[k], max_length, pad_value=pad_value),
                ), dim=0)
        return concatenated_batch

    return dict(pad_to_length=pad_to_length, all_gather_if_needed=all_gather_if_needed,
                formatted_dict=formatted_dict, disable_dropout=disable_dropout,
                slice=slice_and_move_batch_for_device, get_collate_fn=get_collate_fn,
                tokenize=tokenize_batch_element, preference_loss=preference_loss,
                _get_batch_logps=_get_batch_logps, concatenated_inputs=concatenated_inputs)


PAIRS = [("the cat", "sat on mat", "ran"), ("a dog", "barks", "is a cat ok"),
         ("hi there", "hello", "bye now"), ("sum two", "is four", "five")]


class BasicTrainer:
    """trainers.py's BasicTrainer without the tokenizer / dataset loading / wandb."""

    def __init__(self, L, D, policy, config, reference_model=None, rank=0, world_size=1):
        self.L, self.D = L, D
        self.policy, self.reference_model, self.config = policy, reference_model, config
        self.rank, self.world_size = rank, world_size

    def concatenated_forward(self, model, batch):
        torch = self.L
        concatenated_batch = self.D["concatenated_inputs"](batch)
        all_logits = model(concatenated_batch['concatenated_input_ids'],
                           attention_mask=concatenated_batch['concatenated_attention_mask']
                           ).logits.to(torch.float32)
        all_logps = self.D["_get_batch_logps"](
            all_logits, concatenated_batch['concatenated_labels'], average_log_prob=False)
        chosen_logps = all_logps[:batch['chosen_input_ids'].shape[0]]
        rejected_logps = all_logps[batch['chosen_input_ids'].shape[0]:]
        return chosen_logps, rejected_logps

    def get_batch_metrics(self, batch, loss_config, train=True):
        torch, D = self.L, self.D
        gather = D["all_gather_if_needed"]
        metrics = {}
        train_test = 'train' if train else 'eval'
        if loss_config["name"] in {'dpo', 'ipo'}:
            policy_chosen_logps, policy_rejected_logps = self.concatenated_forward(self.policy,
                                                                                   batch)
            with torch.no_grad():
                reference_chosen_logps, reference_rejected_logps = self.concatenated_forward(
                    self.reference_model, batch)
            if loss_config["name"] == 'dpo':
                loss_kwargs = {'beta': loss_config["beta"],
                               'reference_free': loss_config["reference_free"],
                               'label_smoothing': loss_config["label_smoothing"], 'ipo': False}
            else:
                loss_kwargs = {'beta': loss_config["beta"], 'ipo': True}
            losses, chosen_rewards, rejected_rewards = D["preference_loss"](
                policy_chosen_logps, policy_rejected_logps, reference_chosen_logps,
                reference_rejected_logps, **loss_kwargs)
            reward_accuracies = (chosen_rewards > rejected_rewards).float()
            chosen_rewards = gather(chosen_rewards, self.rank, self.world_size)
            rejected_rewards = gather(rejected_rewards, self.rank, self.world_size)
            reward_accuracies = gather(reward_accuracies, self.rank, self.world_size)
            metrics[f'rewards_{train_test}/chosen'] = chosen_rewards.cpu().numpy().tolist()
            metrics[f'rewards_{train_test}/rejected'] = rejected_rewards.cpu().numpy().tolist()
            metrics[f'rewards_{train_test}/accuracies'] = reward_accuracies.cpu().numpy().tolist()
            metrics[f'rewards_{train_test}/margins'] = \
                (chosen_rewards - rejected_rewards).cpu().numpy().tolist()
            policy_rejected_logps = gather(policy_rejected_logps.detach(), self.rank,
                                           self.world_size)
            metrics[f'logps_{train_test}/rejected'] = policy_rejected_logps.cpu().numpy().tolist()
        elif loss_config["name"] == 'sft':
            policy_chosen_logits = self.policy(batch['chosen_input_ids'],
                                               attention_mask=batch['chosen_attention_mask']
                                               ).logits.to(torch.float32)
            policy_chosen_logps = D["_get_batch_logps"](policy_chosen_logits,
                                                        batch['chosen_labels'],
                                                        average_log_prob=False)
            losses = -policy_chosen_logps
        policy_chosen_logps = gather(policy_chosen_logps.detach(), self.rank, self.world_size)
        metrics[f'logps_{train_test}/chosen'] = policy_chosen_logps.cpu().numpy().tolist()
        all_devices_losses = gather(losses.detach(), self.rank, self.world_size)
        metrics[f'loss/{train_test}'] = all_devices_losses.cpu().numpy().tolist()
        return losses.mean(), metrics

    def train(self, batches, out):
        torch, cfg = self.L, self.config
        self.optimizer = getattr(torch.optim, cfg["optimizer"])(self.policy.parameters(),
                                                                 lr=cfg["lr"])
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer,
            lr_lambda=lambda step: min(1.0, (step + 1) / (cfg["warmup_steps"] + 1)))
        if cfg["loss"]["name"] in {'dpo', 'ipo'}:
            self.reference_model.eval()
        self.example_counter = 0
        self.batch_counter = 0
        for batch in batches:
            self.policy.train()
            batch_metrics = defaultdict(list)
            for microbatch_idx in range(cfg["gradient_accumulation_steps"]):
                global_microbatch = self.D["slice"](batch, microbatch_idx,
                                                    cfg["gradient_accumulation_steps"], 'cpu')
                local_microbatch = self.D["slice"](global_microbatch, self.rank,
                                                   self.world_size, 'cpu')
                loss, metrics = self.get_batch_metrics(local_microbatch, cfg["loss"], train=True)
                (loss / cfg["gradient_accumulation_steps"]).backward()
                for k, v in metrics.items():
                    batch_metrics[k].extend(v)
            grad_norm = torch.nn.utils.clip_grad_norm_(self.policy.parameters(),
                                                       cfg["max_grad_norm"]).item()
            self.optimizer.step()
            self.scheduler.step()
            self.optimizer.zero_grad()
            batch_metrics['grad_norm'].append(grad_norm)
            self.batch_counter += 1
            self.example_counter += cfg["batch_size"]
            mean_train_metrics = {k: round(sum(v) / len(v), 2) for k, v in batch_metrics.items()}
            mean_train_metrics['counters/examples'] = self.example_counter
            mean_train_metrics['counters/updates'] = self.batch_counter
            out.print(f'train stats after {self.example_counter} examples: '
                      f'{self.D["formatted_dict"](mean_train_metrics)}')
            out.print("lr", self.scheduler.get_last_lr())


def _batches(L, D, tok, batch_size=4, max_length=12, max_prompt_length=6):
    collate = D["get_collate_fn"](tok)
    els = [D["tokenize"](p, c, r, 'keep_end' if i % 2 else 'keep_start', tok, max_length,
                         max_prompt_length) for i, (p, c, r) in enumerate(PAIRS)]
    return [collate(els[i:i + batch_size]) for i in range(0, len(els), batch_size)]
