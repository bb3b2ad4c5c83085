"""lucidrains/perceiver-pytorch as users type it (tag: seqarch): perceiver_pytorch.py
(fourier_encode with torch.logspace(base=...), PreNorm with a context norm, GEGLU
FeedForward, cross / latent Attention with a boolean mask, cache_fn weight tying, Perceiver
with torch.meshgrid positions) trained a few steps on random "images", with a mask and tied
weights. einops' rearrange / repeat are written with the torch calls they stand for (einops
is not installed here)."""

from functools import wraps
from math import pi, log

from s16_yunjey_progs import Out


def _perceiver(L):
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

    def fourier_encode(x, max_freq, num_bands=4, base=2):
        x = x.unsqueeze(-1)
        device, dtype, orig_x = x.device, x.dtype, x

        scales = torch.logspace(1., log(max_freq / 2) / log(base), num_bands, base=base, device=device, dtype=dtype)
        scales = scales[(*((None,) * (len(x.shape) - 1)), Ellipsis)]

        x = x * scales * pi
        x = torch.cat([x.sin(), x.cos()], dim=-1)
        x = torch.cat((x, orig_x), dim=-1)
        return x

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
        def __init__(self, dim, mult=4, dropout=0.):
            super().__init__()
            self.net = nn.Sequential(
                nn.Linear(dim, dim * mult * 2),
                GEGLU(),
                nn.Dropout(dropout),
                nn.Linear(dim * mult, dim)
            )

        def forward(self, x):
            return self.net(x)

    class Attention(nn.Module):
        def __init__(self, query_dim, context_dim=None, heads=8, dim_head=64, dropout=0.):
            super().__init__()
            inner_dim = dim_head * heads
            context_dim = default(context_dim, query_dim)

            self.scale = dim_head ** -0.5
            self.heads = heads

            self.to_q = nn.Linear(query_dim, inner_dim, bias=False)
            self.to_kv = nn.Linear(context_dim, inner_dim * 2, bias=False)

            self.to_out = nn.Sequential(
                nn.Linear(inner_dim, query_dim),
                nn.Dropout(dropout)
            )

        def forward(self, x, context=None, mask=None):
            h = self.heads

            q = self.to_q(x)
            context = default(context, x)
            k, v = self.to_kv(context).chunk(2, dim=-1)

            # rearrange(t, 'b n (h d) -> (b h) n d', h = h)
            def split_heads(t):
                b, n, hd = t.shape
                return t.reshape(b, n, h, hd // h).permute(0, 2, 1, 3).reshape(b * h, n, hd // h)
            q, k, v = map(split_heads, (q, k, v))

            sim = einsum('b i d, b j d -> b i j', q, k) * self.scale

            if exists(mask):
                mask = mask.reshape(mask.shape[0], -1)  # rearrange(mask, 'b ... -> b (...)')
                max_neg_value = -torch.finfo(sim.dtype).max
                mask = mask.repeat_interleave(h, dim=0)[:, None, :]  # repeat(mask, 'b j -> (b h) () j', h = h)
                sim.masked_fill_(~mask, max_neg_value)

            # attention, what we cannot get enough of
            attn = sim.softmax(dim=-1)

            out = einsum('b i j, b j d -> b i d', attn, v)
            bh, n, d = out.shape  # rearrange(out, '(b h) n d -> b n (h d)', h = h)
            out = out.reshape(bh // h, h, n, d).permute(0, 2, 1, 3).reshape(bh // h, n, h * d)
            return self.to_out(out)

    class Perceiver(nn.Module):
        def __init__(self, *, num_freq_bands, depth, max_freq, freq_base=2, input_channels=3,
                     input_axis=2, num_latents=512, latent_dim=512, cross_heads=1, latent_heads=8,
                     cross_dim_head=64, latent_dim_head=64, num_classes=1000, attn_dropout=0.,
                     ff_dropout=0., weight_tie_layers=False):
            super().__init__()
            self.input_axis = input_axis
            self.max_freq = max_freq
            self.num_freq_bands = num_freq_bands
            self.freq_base = freq_base

            input_dim = input_axis * ((num_freq_bands * 2) + 1) + input_channels

            self.latents = nn.Parameter(torch.randn(num_latents, latent_dim))

            get_cross_attn = lambda: PreNorm(latent_dim, Attention(latent_dim, input_dim, heads=cross_heads, dim_head=cross_dim_head, dropout=attn_dropout), context_dim=input_dim)
            get_cross_ff = lambda: PreNorm(latent_dim, FeedForward(latent_dim, dropout=ff_dropout))
            get_latent_attn = lambda: PreNorm(latent_dim, Attention(latent_dim, heads=latent_heads, dim_head=latent_dim_head, dropout=attn_dropout))
            get_latent_ff = lambda: PreNorm(latent_dim, FeedForward(latent_dim, dropout=ff_dropout))

            get_cross_attn, get_cross_ff, get_latent_attn, get_latent_ff = map(cache_fn, (get_cross_attn, get_cross_ff, get_latent_attn, get_latent_ff))

            self.layers = nn.ModuleList([])
            for i in range(depth):
                should_cache = i > 0 and weight_tie_layers
                cache_args = {'_cache': should_cache}

                self.layers.append(nn.ModuleList([
                    get_cross_attn(**cache_args),
                    get_cross_ff(**cache_args),
                    get_latent_attn(**cache_args),
                    get_latent_ff(**cache_args)
                ]))

            self.to_logits = nn.Sequential(
                nn.LayerNorm(latent_dim),
                nn.Linear(latent_dim, num_classes)
            )

        def forward(self, data, mask=None):
            b, *axis, _, device = *data.shape, data.device
            assert len(axis) == self.input_axis, 'input data must have the right number of axis'

            # calculate fourier encoded positions in the range of [-1, 1], for all axis
            axis_pos = list(map(lambda size: torch.linspace(-1., 1., steps=size, device=device), axis))
            pos = torch.stack(torch.meshgrid(*axis_pos), dim=-1)
            enc_pos = fourier_encode(pos, self.max_freq, self.num_freq_bands, base=self.freq_base)
            enc_pos = enc_pos.reshape(*enc_pos.shape[:-2], -1)  # rearrange(enc_pos, '... n d -> ... (n d)')
            enc_pos = enc_pos.unsqueeze(0).expand(b, *enc_pos.shape)  # repeat(enc_pos, '... -> b ...', b = b)

            # concat to channels of data and flatten axis
            data = torch.cat((data, enc_pos), dim=-1)
            data = data.reshape(b, -1, data.shape[-1])  # rearrange(data, 'b ... d -> b (...) d')

            x = self.latents.unsqueeze(0).repeat(b, 1, 1)  # repeat(self.latents, 'n d -> b n d', b = b)

            for cross_attn, cross_ff, latent_attn, latent_ff in self.layers:
                x = cross_attn(x, context=data, mask=mask) + x
                x = cross_ff(x) + x
                x = latent_attn(x) + x
                x = latent_ff(x) + x

            x = x.mean(dim=-2)
            return self.to_logits(x)

    return Perceiver, fourier_encode


def perceiver_train(L):
    torch, F = L, L.nn.functional
    o = Out()
    with o:
        torch.manual_seed(0)
        Perceiver, fourier_encode = _perceiver(L)
        model = Perceiver(
            input_channels=3,       # number of channels for each token of the input
            input_axis=2,           # number of axis for input data (2 for images, 3 for video)
            num_freq_bands=3,       # number of freq bands, with original value (2 * K + 1)
            max_freq=10.,           # maximum frequency, hyperparameter depending on how fine the data is
            depth=3,                # depth of net
            num_latents=6,          # number of latents, or induced set points, or centroids
            latent_dim=16,          # latent dimension
            cross_heads=1,          # number of heads for cross attention. paper said 1
            latent_heads=2,         # number of heads for latent self attention, 8
            cross_dim_head=8,       # number of dimensions per cross attention head
            latent_dim_head=8,      # number of dimensions per latent self attention head
            num_classes=4,          # output number of classes
            attn_dropout=0.,
            ff_dropout=0.,
            weight_tie_layers=True  # whether to weight tie layers (optional, as indicated in the diagram)
        )
        o.print(sum(p.numel() for p in model.parameters()), model.layers[0][0] is model.layers[1][0],
                model.layers[1][2] is model.layers[2][2], len(model.state_dict()))
        img = torch.randn(2, 5, 6, 3)  # 1 imagenet image, pixelized
        mask = torch.ones(2, 5, 6, dtype=torch.bool)
        mask[1, 3:] = False
        labels = torch.tensor([1, 3])
        opt = torch.optim.Adam(model.parameters(), lr=3e-3)
        for step in range(3):
            logits = model(img, mask=mask)
            loss = F.cross_entropy(logits, labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
            o.print(f"step {step} loss {loss.item():.4f}", logits.shape)
        o.vals += [logits, model.latents, model.layers[0][0].fn.to_kv.weight]
        enc = fourier_encode(torch.linspace(-1., 1., 4), 10., 3)
        o.print(enc.shape, enc.dtype)
        o.vals += [enc, fourier_encode(torch.linspace(-1., 1., 3, dtype=torch.float64), 8., 2, base=3)]
        o.tryit(lambda: model(torch.randn(2, 30, 3)))
        o.tryit(lambda: model(img, mask=torch.ones(2, 29, dtype=torch.bool)))
        # untied weights, no mask, 1-d input (audio-like)
        m2 = Perceiver(input_channels=2, input_axis=1, num_freq_bands=2, max_freq=6., depth=2,
                       num_latents=4, latent_dim=8, latent_heads=2, cross_dim_head=4,
                       latent_dim_head=4, num_classes=3)
        out = m2(torch.randn(3, 7, 2))
        o.print(out.shape, len(list(m2.parameters())), m2.layers[0][0] is m2.layers[1][0])
        o.vals += [out]
    return o.done()
