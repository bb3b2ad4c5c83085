"""lucidrains/perceiver-pytorch perceiver_io.py as users type it (tag: seqarch): PerceiverIO
(cross attention into latents, self_per_cross_attn latent blocks, decoder cross attention
from queries, tied weights) and PerceiverLM (token + position embeddings, the input as its
own queries), from the README's uses, sized down and trained a few steps with a padding
mask. einops' rearrange / repeat are written as the torch calls they stand for."""

from functools import wraps

from s16_yunjey_progs import Out


def _perceiver_io(L):
    torch, nn, F = L, L.nn, L.nn.functional
    einsum = torch.einsum

    def exists(val):
        return val is not None

    def default(val, d):
        return val if exists(val) else d

    def cache_fn(f):
        cache = None

        @wraps(f)
        def cached_fn(*args, _cache=True, **kwargs):
            if not _cache:
                return f(*args, **kwargs)
            nonlocal cache
            if cache is not None:
                return cache
            cache = f(*args, **kwargs)
            return cache
        return cached_fn

    class PreNorm(nn.Module):
        def __init__(self, dim, fn, context_dim=None):
            super().__init__()
            self.fn = fn
            self.norm = nn.LayerNorm(dim)
            self.norm_context = nn.LayerNorm(context_dim) if exists(context_dim) else None

        def forward(self, x, **kwargs):
            x = self.norm(x)

            if exists(self.norm_context):
                context = kwargs['context']
                normed_context = self.norm_context(context)
                kwargs.update(context=normed_context)

            return self.fn(x, **kwargs)

    class GEGLU(nn.Module):
        def forward(self, x):
            x, gates = x.chunk(2, dim=-1)
            return x * F.gelu(gates)

    class FeedForward(nn.Module):
        def __init__(self, dim, mult=4):
            super().__init__()
            self.net = nn.Sequential(
                nn.Linear(dim, dim * mult * 2),
                GEGLU(),
                nn.Linear(dim * mult, dim)
            )

        def forward(self, x):
            return self.net(x)

    class Attention(nn.Module):
        def __init__(self, query_dim, context_dim=None, heads=8, dim_head=64):
            super().__init__()
            inner_dim = dim_head * heads
            context_dim = default(context_dim, query_dim)
            self.scale = dim_head ** -0.5
            self.heads = heads

            self.to_q = nn.Linear(query_dim, inner_dim, bias=False)
            self.to_kv = nn.Linear(context_dim, inner_dim * 2, bias=False)
            self.to_out = nn.Linear(inner_dim, query_dim)

        def forward(self, x, context=None, mask=None):
            h = self.heads

            q = self.to_q(x)
            context = default(context, x)
            k, v = self.to_kv(context).chunk(2, dim=-1)

            # rearrange(t, 'b n (h d) -> (b h) n d', h = h)
            q, k, v = map(lambda t: t.unflatten(-1, (h, -1)).transpose(1, 2).flatten(0, 1), (q, k, v))

            sim = einsum('b i d, b j d -> b i j', q, k) * self.scale

            if exists(mask):
                mask = mask.flatten(1)  # rearrange(mask, 'b ... -> b (...)')
                max_neg_value = -torch.finfo(sim.dtype).max
                mask = mask[:, None, None, :].expand(-1, h, 1, -1).flatten(0, 1)  # repeat(mask, 'b j -> (b h) () j', h = h)
                sim.masked_fill_(~mask, max_neg_value)

            # attention, what we cannot get enough of
            attn = sim.softmax(dim=-1)

            out = einsum('b i j, b j d -> b i d', attn, v)
            out = out.unflatten(0, (-1, h)).transpose(1, 2).flatten(2)  # '(b h) n d -> b n (h d)'
            return self.to_out(out)

    class PerceiverIO(nn.Module):
        def __init__(self, *, depth, dim, queries_dim, logits_dim=None, num_latents=512,
                     latent_dim=512, cross_heads=1, latent_heads=8, cross_dim_head=64,
                     latent_dim_head=64, weight_tie_layers=False, self_per_cross_attn=1):
            super().__init__()
            self.latents = nn.Parameter(torch.randn(num_latents, latent_dim))

            get_cross_attn = lambda: PreNorm(latent_dim, Attention(latent_dim, dim, heads=cross_heads, dim_head=cross_dim_head), context_dim=dim)
            get_cross_ff = lambda: PreNorm(latent_dim, FeedForward(latent_dim))
            get_latent_attn = lambda: PreNorm(latent_dim, Attention(latent_dim, heads=latent_heads, dim_head=latent_dim_head))
            get_latent_ff = lambda: PreNorm(latent_dim, FeedForward(latent_dim))

            get_cross_attn, get_cross_ff, get_latent_attn, get_latent_ff = map(cache_fn, (get_cross_attn, get_cross_ff, get_latent_attn, get_latent_ff))

            self.layers = nn.ModuleList([])
            for i in range(depth):
                should_cache = i > 0 and weight_tie_layers
                cache_args = {'_cache': should_cache}

                self_attns = nn.ModuleList([])

                for _ in range(self_per_cross_attn):
                    self_attns.append(nn.ModuleList([
                        get_latent_attn(**cache_args),
                        get_latent_ff(**cache_args)
                    ]))

                self.layers.append(nn.ModuleList([
                    get_cross_attn(**cache_args),
                    get_cross_ff(**cache_args),
                    self_attns
                ]))

            self.decoder_cross_attn = PreNorm(queries_dim, Attention(queries_dim, latent_dim, heads=cross_heads, dim_head=cross_dim_head), context_dim=latent_dim)
            self.to_logits = nn.Linear(queries_dim, logits_dim) if exists(logits_dim) else nn.Identity()

        def forward(self, data, mask=None, queries=None):
            b, *_, device = *data.shape, data.device

            x = self.latents.expand(b, -1, -1)  # repeat(self.latents, 'n d -> b n d', b = b)

            for cross_attn, cross_ff, self_attns in self.layers:
                x = cross_attn(x, context=data, mask=mask) + x
                x = cross_ff(x) + x

                for self_attn, self_ff in self_attns:
                    x = self_attn(x) + x
                    x = self_ff(x) + x

            if not exists(queries):
                return x

            # cross attend from decoder queries to latents
            latents = self.decoder_cross_attn(queries, context=x)

            # final linear out
            return self.to_logits(latents)

    class PerceiverLM(nn.Module):
        def __init__(self, *, dim, num_tokens, max_seq_len, **kwargs):
            super().__init__()
            self.token_emb = nn.Embedding(num_tokens, dim)
            self.pos_emb = nn.Embedding(max_seq_len, dim)

            self.perceiver_io = PerceiverIO(dim=dim, queries_dim=dim, logits_dim=num_tokens, **kwargs)

        def forward(self, x, mask=None):
            n, device = x.shape[1], x.device
            x = self.token_emb(x)

            pos_emb = self.pos_emb(torch.arange(n, device=device))
            pos_emb = pos_emb[None]  # rearrange(pos_emb, 'n d -> () n d')
            x = x + pos_emb

            logits = self.perceiver_io(x, mask=mask, queries=x)
            return logits

    return PerceiverIO, PerceiverLM


def perceiver_io(L):
    torch, F = L, L.nn.functional
    o = Out()
    with o:
        torch.manual_seed(0)
        PerceiverIO, PerceiverLM = _perceiver_io(L)
        model = PerceiverIO(dim=8, queries_dim=6, logits_dim=5, depth=2, num_latents=4,
                            latent_dim=12, cross_heads=1, latent_heads=2, cross_dim_head=4,
                            latent_dim_head=4, weight_tie_layers=False, self_per_cross_attn=2)
        seq = torch.randn(2, 7, 8)
        queries = torch.randn(3, 6)
        o.tryit(lambda: model(seq, queries=queries).shape)  # README: queries without a batch
        logits = model(seq, queries=queries.expand(2, -1, -1))
        o.print(logits.shape, model(seq).shape, len(model.layers[1][2]))
        o.vals += [logits]

        lm = PerceiverLM(num_tokens=20, dim=8, depth=2, max_seq_len=9, num_latents=4,
                         latent_dim=12, cross_heads=1, latent_heads=2, cross_dim_head=4,
                         latent_dim_head=4, weight_tie_layers=True)
        seq = torch.randint(0, 20, (2, 9))
        mask = torch.ones(2, 9).bool()
        mask[0, 6:] = False
        opt = torch.optim.Adam(lm.parameters(), lr=3e-3)
        for step in range(3):
            logits = lm(seq, mask=mask)
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, 20), seq[:, 1:].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            o.print(f"step {step} loss {loss.item():.4f}", logits.shape)
        o.print(sum(p.numel() for p in lm.parameters()),
                lm.perceiver_io.layers[1][0] is lm.perceiver_io.layers[2][0] if len(lm.perceiver_io.layers) > 2 else None)
        o.vals += [logits, lm.pos_emb.weight.grad, lm.perceiver_io.latents]
        o.tryit(lambda: lm(torch.randint(0, 20, (2, 10))))
    return o.done()
