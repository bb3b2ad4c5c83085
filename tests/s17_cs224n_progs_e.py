"""CS224n's minGPT assignment (a5 2021-23 / a4 2024: attention.py with the registered tril
mask, RoPE via view_as_complex / view_as_real, CausalCrossAttention; model.py's GPT with
_init_weights; trainer.py's AdamW param groups, manual lr decay, clip_grad_norm_; utils.sample
with top-k and multinomial), the GPT-2 project's GPT2Layer (2edbef4a9b/Stanford-CS224N-
Winter-2026 Projects/src/modules/gpt2_layer.py, einops rearrange written as view/transpose)
and a LoRA adapter as project teams add one, tiny sizes, random token ids."""

import math
from types import SimpleNamespace

from s16_yunjey_progs import Out


def precompute_rotary_emb(L, dim, max_positions):
    i = L.arange(dim // 2).unsqueeze(0)
    theta = 1 / (10000 ** (2 * (i) / dim))
    t = L.arange(max_positions).unsqueeze(1)
    cosine_val = L.cos(t * theta)
    sin_val = L.sin(t * theta)
    return L.stack((cosine_val, sin_val), dim=-1)


def apply_rotary_emb(L, x, rope_cache):
    head_dim = x.shape[-1]
    half_dim = head_dim // 2
    new_x = x.view(*x.shape[:-1], half_dim, 2)
    if rope_cache.shape[-3] > new_x.shape[-3]:
        rope_cache = rope_cache[..., :new_x.shape[-3], :, :]
    complex_x = L.view_as_complex(new_x)
    complex_rope = L.view_as_complex(rope_cache)
    rotated_x = L.view_as_real(complex_x * complex_rope)
    return rotated_x.reshape(*x.shape)


def gpt_classes(L):
    nn, F = L.nn, L.nn.functional

    class CausalSelfAttention(nn.Module):
        def __init__(self, config):
            super().__init__()
            assert config.n_embd % config.n_head == 0
            self.key = nn.Linear(config.n_embd, config.n_embd)
            self.query = nn.Linear(config.n_embd, config.n_embd)
            self.value = nn.Linear(config.n_embd, config.n_embd)
            self.rope = config.rope
            if self.rope:
                assert (config.n_embd % config.n_head) % 2 == 0
                rope_cache = precompute_rotary_emb(L, config.n_embd // config.n_head,
                                                   config.block_size)
                self.register_buffer("rope_cache", rope_cache)
            self.attn_drop = nn.Dropout(config.attn_pdrop)
            self.resid_drop = nn.Dropout(config.resid_pdrop)
            self.proj = nn.Linear(config.n_embd, config.n_embd)
            self.register_buffer("mask", L.tril(L.ones(config.block_size, config.block_size))
                                 .view(1, 1, config.block_size, config.block_size))
            self.n_head = config.n_head

        def forward(self, x):
            B, T, C = x.size()
            k = self.key(x).view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            q = self.query(x).view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            v = self.value(x).view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            if self.rope:
                B, n_head, T, head_size = k.shape
                q = apply_rotary_emb(L, q.reshape(B * n_head, T, head_size),
                                     self.rope_cache).reshape(B, n_head, T, head_size)
                k = apply_rotary_emb(L, k.reshape(B * n_head, T, head_size),
                                     self.rope_cache).reshape(B, n_head, T, head_size)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.mask[:, :, :T, :T] == 0, -1e10)
            att = F.softmax(att, dim=-1)
            att = self.attn_drop(att)
            y = att @ v
            y = y.transpose(1, 2).contiguous().view(B, T, C)
            return self.resid_drop(self.proj(y))

    class Block(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.ln1 = nn.LayerNorm(config.n_embd)
            self.ln2 = nn.LayerNorm(config.n_embd)
            self.attn = CausalSelfAttention(config)
            self.mlp = nn.Sequential(nn.Linear(config.n_embd, 4 * config.n_embd), nn.GELU(),
                                     nn.Linear(4 * config.n_embd, config.n_embd),
                                     nn.Dropout(config.resid_pdrop))

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            x = x + self.mlp(self.ln2(x))
            return x

    class GPT(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd)
            self.rope = config.rope
            if not self.rope:
                self.pos_emb = nn.Parameter(L.zeros(1, config.block_size, config.n_embd))
            self.drop = nn.Dropout(config.embd_pdrop)
            self.blocks = nn.Sequential(*[Block(config) for _ in range(config.n_layer)])
            self.ln_f = nn.LayerNorm(config.n_embd)
            self.head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
            self.block_size = config.block_size
            self.apply(self._init_weights)

        def _init_weights(self, module):
            if isinstance(module, (nn.Linear, nn.Embedding)):
                module.weight.data.normal_(mean=0.0, std=0.02)
                if isinstance(module, nn.Linear) and module.bias is not None:
                    module.bias.data.zero_()
            elif isinstance(module, nn.LayerNorm):
                module.bias.data.zero_()
                module.weight.data.fill_(1.0)

        def get_block_size(self):
            return self.block_size

        def forward(self, idx, targets=None):
            b, t = idx.size()
            assert t <= self.block_size, "Cannot forward, model block size is exhausted."
            token_embeddings = self.tok_emb(idx)
            if self.rope:
                x_input = token_embeddings
            else:
                x_input = token_embeddings + self.pos_emb[:, :t, :]
            x = self.drop(x_input)
            x = self.blocks(x)
            x = self.ln_f(x)
            logits = self.head(x)
            loss = None
            if targets is not None:
                loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1),
                                       ignore_index=0)
            return logits, loss

    return GPT


def _top_k_logits(L, logits, k):
    v, ix = L.topk(logits, k)
    out = logits.clone()
    out[out < v[:, [-1]]] = -float('Inf')
    return out


def sample(L, model, x, steps, temperature=1.0, sample=False, top_k=None):
    F = L.nn.functional
    block_size = model.get_block_size()
    model.eval()
    for k in range(steps):
        x_cond = x if x.size(1) <= block_size else x[:, -block_size:]
        logits, _ = model(x_cond)
        logits = logits[:, -1, :] / temperature
        if top_k is not None:
            logits = _top_k_logits(L, logits, top_k)
        probs = F.softmax(logits, dim=-1)
        if sample:
            ix = L.multinomial(probs, num_samples=1)
        else:
            _, ix = L.topk(probs, k=1, dim=-1)
        x = L.cat((x, ix), dim=1)
    return x


def mingpt(L, rope=True):
    """run.py pretrain / finetune, scaled down: trainer.py's AdamW over decay / no-decay
    groups, manual cosine lr decay written into param_group['lr'], clip_grad_norm_, then
    utils.sample greedy and with top-k multinomial."""
    GPT = gpt_classes(L)
    with Out() as o:
        L.manual_seed(0)
        config = SimpleNamespace(vocab_size=12, block_size=8, n_layer=2, n_head=2, n_embd=8,
                                 embd_pdrop=0.1, resid_pdrop=0.1, attn_pdrop=0.1, rope=rope)
        model = GPT(config)
        o.print("number of parameters: %d" % sum(p.numel() for p in model.parameters()))
        o.print([n for n, _ in model.named_buffers()])
        if rope:
            cache = model.blocks[0].attn.rope_cache
            o.print(cache.shape, cache.dtype)
            o.vals.append(cache)
        no_decay = ["bias", "LayerNorm.weight", "ln", "pos_emb"]
        params_decay = [p for n, p in model.named_parameters()
                        if not any(nd in n for nd in no_decay)]
        params_nodecay = [p for n, p in model.named_parameters()
                          if any(nd in n for nd in no_decay)]
        optim_groups = [{"params": params_decay, "weight_decay": 0.1},
                        {"params": params_nodecay, "weight_decay": 0.0}]
        learning_rate, betas = 6e-3, (0.9, 0.95)
        optimizer = L.optim.AdamW(optim_groups, lr=learning_rate, betas=betas)
        x = L.randint(1, 12, (3, 8))
        y = L.cat([x[:, 1:], L.zeros(3, 1, dtype=L.long)], 1)
        tokens, warmup_tokens, final_tokens = 0, 10, 60
        for it in range(2):
            model.train()
            logits, loss = model(x, y)
            loss = loss.mean()
            model.zero_grad()
            loss.backward()
            norm = L.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            tokens += (y >= 0).sum()
            if tokens < warmup_tokens:
                lr_mult = float(tokens) / float(max(1, warmup_tokens))
            else:
                progress = float(tokens - warmup_tokens) / float(max(1, final_tokens -
                                                                      warmup_tokens))
                lr_mult = max(0.1, 0.5 * (1.0 + math.cos(math.pi * progress)))
            lr = learning_rate * lr_mult
            for param_group in optimizer.param_groups:
                param_group['lr'] = lr
            o.print(f"epoch 1 iter {it}: train loss {loss.item():.5f}. lr {lr:e}. "
                    f"norm {norm:.4f} tokens {tokens}")
        o.vals += [logits, model.head.weight]
        ctx = L.tensor([[3, 5]], dtype=L.long)
        o.print(sample(L, model, ctx, 5)[0].tolist())
        L.manual_seed(1)
        o.print(sample(L, model, ctx, 8, sample=True, top_k=4)[0].tolist())
        with L.no_grad():
            o.print(_top_k_logits(L, L.tensor([[1., 3., 2., 0.]]), 2))
    return o.done()


def mingpt_vanilla(L):
    return mingpt(L, rope=False)


def mingpt_rope_refused(L):
    """The RoPE model as typed: ember has no complex tensors (README, known gaps), so this
    records where each library stops: the forward pass (torch runs it, ember raises its
    no-complex TypeError from view_as_complex); everything before it must agree."""
    GPT = gpt_classes(L)
    with Out() as o:
        L.manual_seed(0)
        config = SimpleNamespace(vocab_size=12, block_size=8, n_layer=1, n_head=2, n_embd=8,
                                 embd_pdrop=0.1, resid_pdrop=0.1, attn_pdrop=0.1, rope=True)
        model = GPT(config)
        cache = model.blocks[0].attn.rope_cache
        o.print("number of parameters: %d" % sum(p.numel() for p in model.parameters()))
        o.print(cache.shape, cache.dtype, [n for n, _ in model.named_buffers()])
        o.vals += [cache, model.head.weight]
        try:
            model(L.randint(1, 12, (2, 5)))
            o.vals.append(L.tensor(1))
        except TypeError as e:
            o.vals.append(L.tensor(0))
            assert str(e).startswith("ember has no complex tensors"), e
    return o.done()


def gpt2_layer_lora(L):
    """The GPT-2 project's CausalSelfAttention (masked_fill of the additive mask == 0 with
    -inf, rearrange written as view/permute) in GPT2Layer (pre-LN, F.gelu, add()), a
    weight-tied hidden_state_to_token, a LoRA adapter on the query projection with the base
    frozen, 2 AdamW steps on next-token cross entropy over padded batches."""
    nn, F = L.nn, L.nn.functional

    class CausalSelfAttention(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.num_attention_heads = config.num_attention_heads
            self.attention_head_size = int(config.hidden_size / config.num_attention_heads)
            self.all_head_size = self.num_attention_heads * self.attention_head_size
            self.query = nn.Linear(config.hidden_size, self.all_head_size)
            self.key = nn.Linear(config.hidden_size, self.all_head_size)
            self.value = nn.Linear(config.hidden_size, self.all_head_size)
            self.dropout = nn.Dropout(config.attention_probs_dropout_prob)

        def transform(self, x, linear_layer):
            b, t = x.shape[:2]
            proj = linear_layer(x).view(b, t, self.num_attention_heads, -1)
            return proj.permute(0, 2, 1, 3)

        def attention(self, key, query, value, attention_mask):
            t = key.shape[2]
            causal = L.tril(L.ones(t, t, dtype=L.bool, device=key.device))
            attn_scores = query @ key.transpose(-2, -1) / math.sqrt(key.shape[-1])
            attn_scores = attn_scores.masked_fill(~causal, float("-inf")) + attention_mask
            attn_probs = L.softmax(attn_scores, dim=-1)
            attn_probs = self.dropout(attn_probs)
            attn_value = attn_probs @ value
            b, h, t, d = attn_value.shape
            return attn_value.permute(0, 2, 1, 3).reshape(b, t, h * d)

        def forward(self, hidden_states, attention_mask):
            key_layer = self.transform(hidden_states, self.key)
            value_layer = self.transform(hidden_states, self.value)
            query_layer = self.transform(hidden_states, self.query)
            return self.attention(key_layer, query_layer, value_layer, attention_mask)

    class GPT2Layer(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.self_attention = CausalSelfAttention(config)
            self.attention_dense = nn.Linear(config.hidden_size, config.hidden_size)
            self.attention_layer_norm = nn.LayerNorm(config.hidden_size,
                                                     eps=config.layer_norm_eps)
            self.attention_dropout = nn.Dropout(config.hidden_dropout_prob)
            self.interm_dense = nn.Linear(config.hidden_size, config.intermediate_size)
            self.interm_af = F.gelu
            self.out_dense = nn.Linear(config.intermediate_size, config.hidden_size)
            self.out_layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
            self.out_dropout = nn.Dropout(config.hidden_dropout_prob)

        def add(self, input, output, dense_layer, dropout):
            return input + dropout(dense_layer(output))

        def forward(self, hidden_states, attention_mask):
            attention_input = self.attention_layer_norm(hidden_states)
            attention_value = self.self_attention(attention_input, attention_mask)
            interm_states = self.add(hidden_states, attention_value, self.attention_dense,
                                     self.attention_dropout)
            mlp_input = self.out_layer_norm(interm_states)
            mlp_output = self.interm_af(self.interm_dense(mlp_input))
            return self.add(interm_states, mlp_output, self.out_dense, self.out_dropout)

    class LoRALinear(nn.Module):
        def __init__(self, base: nn.Linear, r=2, alpha=4):
            super().__init__()
            self.base = base
            self.base.weight.requires_grad_(False)
            if self.base.bias is not None:
                self.base.bias.requires_grad = False
            self.lora_A = nn.Parameter(L.empty(r, base.in_features))
            self.lora_B = nn.Parameter(L.zeros(base.out_features, r))
            nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
            self.scaling = alpha / r

        def forward(self, x):
            return self.base(x) + (x @ self.lora_A.T @ self.lora_B.T) * self.scaling

    with Out() as o:
        L.manual_seed(0)
        config = SimpleNamespace(hidden_size=8, num_attention_heads=2, intermediate_size=24,
                                 layer_norm_eps=1e-5, hidden_dropout_prob=0.1,
                                 attention_probs_dropout_prob=0.1)
        wte = nn.Embedding(20, 8, padding_idx=0)
        wpe = nn.Embedding(10, 8)
        layer = GPT2Layer(config)
        ln_f = nn.LayerNorm(8)
        layer.self_attention.query = LoRALinear(layer.self_attention.query)
        o.print(layer)
        modules = nn.ModuleList([wte, wpe, layer, ln_f])
        for p in modules.parameters():
            if p is not layer.self_attention.query.lora_A and \
                    p is not layer.self_attention.query.lora_B:
                p.requires_grad = False
        trainable = [n for n, p in modules.named_parameters() if p.requires_grad]
        o.print(trainable)
        ids = L.tensor([[5, 7, 9, 2, 0, 0], [3, 4, 11, 12, 13, 1]])
        mask = (ids != 0).long()
        ext = (1.0 - mask[:, None, None, :].to(dtype=L.float32)) * -10000.0
        opt = L.optim.AdamW([p for p in modules.parameters() if p.requires_grad], lr=1e-2)
        position_ids = L.arange(10).unsqueeze(0)
        for step in range(2):
            h = wte(ids) + wpe(position_ids[:, :ids.shape[1]])
            h = ln_f(layer(h, ext))
            logits = h @ wte.weight.T
            labels = ids[:, 1:].contiguous()
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, 20), labels.view(-1),
                                   reduction="mean", ignore_index=0)
            opt.zero_grad()
            loss.backward()
            opt.step()
            o.print(f"step {step}: loss {loss.item():.4f}")
        last_non_pad_idx = mask.sum(dim=1) - 1
        last_token = h[L.arange(h.shape[0]), last_non_pad_idx]
        o.print(last_non_pad_idx, last_token.shape)
        o.vals += [logits, last_token, layer.self_attention.query.lora_B,
                   layer.self_attention.query.lora_A.grad]
        o.print(layer.self_attention.query.base.weight.grad)
    return o.done()
