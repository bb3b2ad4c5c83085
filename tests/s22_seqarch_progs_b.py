"""RWKV-LM RWKV-v1 src/model.py as users type it (tag: seqarch): RWKV_Init (orthogonal /
zero / normal init with its name printout), RWKV_TimeMix (time_w made circulant with F.pad,
torch.tile and reshape; the ZeroPad2d time shift; exp / cumsum; einsum 'htu,buhc->bthc'),
RWKV_ChannelMix (mish gate), the GPT with the copy head (one_hot) and time_out, and
configure_optimizers' decay / no-decay AdamW groups; trained a few steps on a random token
stream with the trainer's clip_grad_norm_, then a greedy sample."""

import math

import numpy as np
from s16_yunjey_progs import Out


def _rwkv_v1(L, o):
    torch, nn, F = L, L.nn, L.nn.functional

    def RWKV_Init(module, config):  # fancy initialization of all lin & emb layer in the module
        for m in module.modules():
            if not isinstance(m, (nn.Linear, nn.Embedding)):
                continue
            with torch.no_grad():
                name = "[unknown weight]"
                for (name, parameter) in module.named_parameters():  # find the name of the weight
                    if id(m.weight) == id(parameter):
                        break

                shape = m.weight.data.shape
                gain = 1.0  # positive: gain for orthogonal, negative: std for normal
                scale = 1.0  # extra scale for gain

                if isinstance(m, nn.Linear):
                    if m.bias is not None:
                        m.bias.data.zero_()
                    if shape[0] > shape[1]:
                        gain = math.sqrt(shape[0] / shape[1])
                    if shape[0] == config.vocab_size and shape[1] == config.n_embd:  # final projection?
                        scale = config.rwkv_emb_scale

                if isinstance(m, nn.Embedding):
                    gain = math.sqrt(max(shape[0], shape[1]))
                    if shape[0] == config.vocab_size and shape[1] == config.n_embd:  # token emb?
                        scale = config.rwkv_emb_scale

                if hasattr(m, "scale_init"):
                    scale = m.scale_init

                o.print(str(shape[0]).ljust(5), str(shape[1]).ljust(5), f"{round(scale,2):g}".ljust(4), name)

                gain *= scale
                if gain == 0:
                    nn.init.zeros_(m.weight)  # zero init is great for some RWKV matrices
                elif gain > 0:
                    nn.init.orthogonal_(m.weight, gain=gain)
                else:
                    nn.init.normal_(m.weight, mean=0, std=-gain)

    class RWKV_TimeMix(nn.Module):
        def __init__(self, config, layer_id):
            super().__init__()
            assert config.n_attn % config.n_head == 0
            self.layer_id = layer_id
            self.ctx_len = config.ctx_len
            self.n_head = config.n_head
            self.head_size = config.n_attn // config.n_head

            with torch.no_grad():  # initial time_w curves for better convergence
                ww = torch.ones(config.n_head, config.ctx_len)
                curve = torch.tensor([-(config.ctx_len - 1 - i) for i in range(config.ctx_len)])  # the distance
                for h in range(config.n_head):
                    if h < config.n_head - 1:
                        decay_speed = math.pow(config.ctx_len, -(h + 1) / (config.n_head - 1))
                    else:
                        decay_speed = 0.0
                    ww[h] = torch.exp(curve * decay_speed)
            self.time_w = nn.Parameter(ww)

            self.time_alpha = nn.Parameter(torch.ones(self.n_head, 1, config.ctx_len))
            self.time_beta = nn.Parameter(torch.ones(self.n_head, config.ctx_len, 1))
            self.time_gamma = nn.Parameter(torch.ones(config.ctx_len, 1))

            self.time_shift = nn.ZeroPad2d((0, 0, 1, -1))

            self.key = nn.Linear(config.n_embd, config.n_attn)
            self.value = nn.Linear(config.n_embd, config.n_attn)
            self.receptance = nn.Linear(config.n_embd, config.n_attn)
            self.output = nn.Linear(config.n_attn, config.n_embd)

            self.key.scale_init = 0
            self.receptance.scale_init = 0
            self.output.scale_init = 0

        def forward(self, x):
            B, T, C = x.size()
            TT = self.ctx_len
            w = F.pad(self.time_w, (0, TT))
            w = torch.tile(w, [TT])
            w = w[:, :-TT].reshape(-1, TT, 2 * TT - 1)
            w = w[:, :, TT - 1:]  # w is now a circulant matrix
            w = w[:, :T, :T] * self.time_alpha[:, :, :T] * self.time_beta[:, :T, :]

            x = torch.cat([self.time_shift(x[:, :, : C // 2]), x[:, :, C // 2:]], dim=-1)

            k = self.key(x)
            v = self.value(x)
            r = self.receptance(x)

            k = torch.clamp(k, max=30, min=-60)  # clamp extreme values. e^30 = 10^13
            k = torch.exp(k)
            sum_k = torch.cumsum(k, dim=1)

            kv = (k * v).view(B, T, self.n_head, self.head_size)

            wkv = (torch.einsum("htu,buhc->bthc", w, kv)).contiguous().view(B, T, -1)

            rwkv = torch.sigmoid(r) * wkv / sum_k

            rwkv = self.output(rwkv)
            return rwkv * self.time_gamma[:T, :]

    class RWKV_ChannelMix(nn.Module):
        def __init__(self, config, layer_id):
            super().__init__()
            self.layer_id = layer_id
            self.time_shift = nn.ZeroPad2d((0, 0, 1, -1))

            hidden_sz = 5 * config.n_ffn // 2  # can use smaller hidden_sz because of receptance gating
            self.key = nn.Linear(config.n_embd, hidden_sz)
            self.value = nn.Linear(config.n_embd, hidden_sz)
            self.weight = nn.Linear(hidden_sz, config.n_embd)
            self.receptance = nn.Linear(config.n_embd, config.n_embd)

            self.receptance.scale_init = 0
            self.weight.scale_init = 0

        def forward(self, x):
            B, T, C = x.size()

            x = torch.cat([self.time_shift(x[:, :, : C // 2]), x[:, :, C // 2:]], dim=-1)
            k = self.key(x)
            v = self.value(x)
            r = self.receptance(x)

            wkv = self.weight(F.mish(k) * v)  # i find mish is a bit better than gelu

            rwkv = torch.sigmoid(r) * wkv

            return rwkv

    class GPTConfig:
        def __init__(self, vocab_size, ctx_len, **kwargs):
            self.vocab_size = vocab_size
            self.ctx_len = ctx_len
            for k, v in kwargs.items():
                setattr(self, k, v)

    class Block(nn.Module):
        def __init__(self, config, layer_id):
            super().__init__()
            self.config = config

            self.ln1 = nn.LayerNorm(config.n_embd)
            self.ln2 = nn.LayerNorm(config.n_embd)

            if config.model_type == "RWKV":
                self.attn = RWKV_TimeMix(config, layer_id)
                self.mlp = RWKV_ChannelMix(config, layer_id)

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            x = x + self.mlp(self.ln2(x))
            return x

    class GPT(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.config = config

            self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd)

            self.blocks = nn.Sequential(*[Block(config, i) for i in range(config.n_layer)])

            self.ln_f = nn.LayerNorm(config.n_embd)
            self.time_out = nn.Parameter(torch.ones(1, config.ctx_len, 1))  # reduce confidence of early tokens
            self.head = nn.Linear(config.n_embd, config.vocab_size, bias=False)

            self.head_q = nn.Linear(config.n_embd, 256)
            self.head_q.scale_init = 0.01
            self.head_k = nn.Linear(config.n_embd, 256)
            self.head_k.scale_init = 0.01
            self.register_buffer("copy_mask", torch.tril(torch.ones(config.ctx_len, config.ctx_len)))

            self.ctx_len = config.ctx_len

            if self.config.model_type == "RWKV":
                RWKV_Init(self, config)
            else:
                self.apply(self._init_weights)

            o.print("number of parameters: %e" % sum(p.numel() for p in self.parameters()))

        def get_ctx_len(self):
            return self.ctx_len

        def _init_weights(self, module):
            if isinstance(module, (nn.Linear, nn.Embedding)):
                module.weight.data.normal_(mean=0.0, std=0.01)
            if isinstance(module, nn.Linear) and module.bias is not None:
                module.bias.data.zero_()

        def configure_optimizers(self, train_config):
            decay = set()
            no_decay = set()

            whitelist_weight_modules = (nn.Linear,)
            blacklist_weight_modules = (nn.LayerNorm, nn.Embedding)
            for mn, m in self.named_modules():
                for pn, p in m.named_parameters():
                    fpn = "%s.%s" % (mn, pn) if mn else pn  # full param name

                    if pn.endswith("bias") or ("time" in fpn) or ("head" in fpn):
                        no_decay.add(fpn)
                    elif pn.endswith("weight") and isinstance(m, whitelist_weight_modules):
                        decay.add(fpn)
                    elif pn.endswith("weight") and isinstance(m, blacklist_weight_modules):
                        no_decay.add(fpn)

            param_dict = {pn: p for pn, p in self.named_parameters()}
            inter_params = decay & no_decay
            union_params = decay | no_decay
            assert len(inter_params) == 0, "parameters %s made it into both decay/no_decay sets!" % (str(inter_params),)
            assert len(param_dict.keys() - union_params) == 0, \
                "parameters %s were not separated into either decay/no_decay set!" % (str(param_dict.keys() - union_params),)

            optim_groups = [
                {"params": [param_dict[pn] for pn in sorted(list(decay))], "weight_decay": train_config.weight_decay},
                {"params": [param_dict[pn] for pn in sorted(list(no_decay))], "weight_decay": 0.0},
            ]
            optimizer = torch.optim.AdamW(optim_groups, lr=train_config.learning_rate,
                                          betas=train_config.betas, eps=train_config.eps)
            return optimizer

        def forward(self, idx, targets=None):
            B, T = idx.size()
            assert T <= self.ctx_len, "Cannot forward, because len(input) > model ctx_len."

            x = self.tok_emb(idx)

            x = self.blocks(x)

            x = self.ln_f(x)

            q = self.head_q(x)[:, :T, :]
            k = self.head_k(x)[:, :T, :]
            c = (q @ k.transpose(-2, -1)) * (1.0 / 256)
            c = c.masked_fill(self.copy_mask[:T, :T] == 0, 0)
            c = c @ F.one_hot(idx, num_classes=self.config.vocab_size).float()

            x = x * self.time_out[:, :T, :]  # reduce confidence of early tokens
            x = self.head(x) + c

            loss = None
            if targets is not None:
                loss = F.cross_entropy(x.view(-1, x.size(-1)), targets.view(-1))

            return x, loss

    return GPTConfig, GPT


def rwkv_v1_train(L):
    torch = L
    o = Out()
    with o:
        torch.manual_seed(0)
        GPTConfig, GPT = _rwkv_v1(L, o)
        ctx_len, vocab = 8, 20
        model = GPT(GPTConfig(vocab, ctx_len, model_type='RWKV', rwkv_emb_scale=0.4,
                              n_layer=2, n_head=2, n_embd=16, n_attn=16, n_ffn=16))
        tc = type('TrainerConfig', (), dict(weight_decay=0.01, learning_rate=4e-3,
                                            betas=(0.9, 0.99), eps=1e-8, grad_norm_clip=1.0))
        optimizer = model.configure_optimizers(tc)
        o.print([len(g['params']) for g in optimizer.param_groups],
                [g['weight_decay'] for g in optimizer.param_groups])
        data = np.random.default_rng(0).integers(0, vocab, 200)
        rng = np.random.default_rng(1)
        model.train()
        for it in range(4):
            ix = rng.integers(0, len(data) - ctx_len - 1, 4)
            chunk = np.stack([data[i:i + ctx_len + 1] for i in ix])
            x = torch.tensor(chunk[:, :-1], dtype=torch.long)
            y = torch.tensor(chunk[:, 1:], dtype=torch.long)
            logits, loss = model(x, y)
            loss = loss.mean()
            model.zero_grad()
            loss.backward()
            gn = torch.nn.utils.clip_grad_norm_(model.parameters(), tc.grad_norm_clip)
            optimizer.step()
            o.print(f"epoch 1 iter {it}: train loss {loss.item():.4f}. grad {gn.item():.4f}", logits.shape)
        o.vals += [logits, model.blocks[0].attn.time_w, model.blocks[1].mlp.key.weight,
                   model.head_q.weight]
        model.eval()
        with torch.no_grad():
            x = torch.tensor([[1, 2, 3]], dtype=torch.long)
            for _ in range(4):
                logits, _ = model(x[:, -ctx_len:])
                x = torch.cat([x, logits[:, -1, :].argmax(-1, keepdim=True)], dim=1)
        o.print(x.tolist())
        o.tryit(lambda: model(torch.zeros(1, ctx_len + 1, dtype=torch.long)))
    return o.done()
