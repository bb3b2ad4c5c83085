"""lucidrains/tab-transformer-pytorch as users type it: tab_transformer_pytorch.py (Residual,
PreNorm, GEGLU, FeedForward, Attention with einsum, Transformer over category embeddings,
MLP, TabTransformer with its categories_offset buffer and continuous_mean_std) and
ft_transformer.py (NumericalEmbedder, Attention returning its softmax, the Transformer with
plain residuals, FTTransformer with the CLS token and return_attn), with the README's usage
and a short training loop. einops' rearrange / repeat written as the reshape / permute /
expand calls they stand for. ``build(torch)`` returns the classes; the programs are in
s22_tabts_progs_i.py."""

from types import SimpleNamespace



def exists(val):
    return val is not None


def default(val, d):
    return val if exists(val) else d


def build(torch):
    nn, F, einsum = torch.nn, torch.nn.functional, torch.einsum

    def split_heads(t, h):                       # rearrange(t, 'b n (h d) -> b h n d', h=h)
        b, n, _ = t.shape
        return t.reshape(b, n, h, -1).permute(0, 2, 1, 3)

    def merge_heads(t):                          # rearrange(t, 'b h n d -> b n (h d)')
        b, h, n, d = t.shape
        return t.permute(0, 2, 1, 3).reshape(b, n, h * d)

    class Residual(nn.Module):
        def __init__(self, fn):
            super().__init__()
            self.fn = fn

        def forward(self, x, **kwargs):
            return self.fn(x, **kwargs) + x

    class PreNorm(nn.Module):
        def __init__(self, dim, fn):
            super().__init__()
            self.norm = nn.LayerNorm(dim)
            self.fn = fn

        def forward(self, x, **kwargs):
            return self.fn(self.norm(x), **kwargs)

    class GEGLU(nn.Module):
        def forward(self, x):
            x, gates = x.chunk(2, dim = -1)
            return x * F.gelu(gates)

    class FeedForward(nn.Module):
        def __init__(self, dim, mult = 4):
            super().__init__()
            self.net = nn.Sequential(
                nn.Linear(dim, dim * mult * 2),
                GEGLU(),
                nn.Linear(dim * mult, dim)
            )

        def forward(self, x, **kwargs):
            return self.net(x)

    class Attention(nn.Module):
        def __init__(self, dim, heads = 8, dim_head = 16):
            super().__init__()
            inner_dim = dim_head * heads
            self.heads = heads
            self.scale = dim_head ** -0.5

            self.to_qkv = nn.Linear(dim, inner_dim * 3, bias = False)
            self.to_out = nn.Linear(inner_dim, dim)

        def forward(self, x):
            h = self.heads
            q, k, v = self.to_qkv(x).chunk(3, dim = -1)
            q, k, v = map(lambda t: split_heads(t, h), (q, k, v))
            sim = einsum('b h i d, b h j d -> b h i j', q, k) * self.scale

            attn = sim.softmax(dim = -1)

            out = einsum('b h i j, b h j d -> b h i d', attn, v)
            out = merge_heads(out)
            return self.to_out(out)

    class Transformer(nn.Module):
        def __init__(self, num_tokens, dim, depth, heads, dim_head):
            super().__init__()
            self.embeds = nn.Embedding(num_tokens, dim)
            self.layers = nn.ModuleList([])

            for _ in range(depth):
                self.layers.append(nn.ModuleList([
                    Residual(PreNorm(dim, Attention(dim, heads = heads, dim_head = dim_head))),
                    Residual(PreNorm(dim, FeedForward(dim))),
                ]))

        def forward(self, x):
            x = self.embeds(x)

            for attn, ff in self.layers:
                x = attn(x)
                x = ff(x)

            return x

    class MLP(nn.Module):
        def __init__(self, dims, act = None):
            super().__init__()
            dims_pairs = list(zip(dims[:-1], dims[1:]))
            layers = []
            for ind, (dim_in, dim_out) in enumerate(dims_pairs):
                is_last = ind >= (len(dims) - 1)
                linear = nn.Linear(dim_in, dim_out)
                layers.append(linear)

                if is_last:
                    continue

                act = default(act, nn.ReLU())
                layers.append(act)

            self.mlp = nn.Sequential(*layers)

        def forward(self, x):
            return self.mlp(x)

    class TabTransformer(nn.Module):
        def __init__(self, *, categories, num_continuous, dim, depth, heads, dim_head = 16,
                     dim_out = 1, mlp_hidden_mults = (4, 2), mlp_act = None,
                     num_special_tokens = 2, continuous_mean_std = None):
            super().__init__()
            assert all(map(lambda n: n > 0, categories)), 'number of each category must be positive'

            self.num_categories = len(categories)
            self.num_unique_categories = sum(categories)

            self.num_special_tokens = num_special_tokens
            total_tokens = self.num_unique_categories + num_special_tokens

            categories_offset = F.pad(torch.tensor(list(categories)), (1, 0), value = num_special_tokens)
            categories_offset = categories_offset.cumsum(dim = -1)[:-1]
            self.register_buffer('categories_offset', categories_offset)

            if exists(continuous_mean_std):
                assert continuous_mean_std.shape == (num_continuous, 2), f'continuous_mean_std must have a shape of ({num_continuous}, 2) where the last dimension contains the mean and variance respectively'
                self.register_buffer('continuous_mean_std', continuous_mean_std)

            self.norm = nn.LayerNorm(num_continuous)
            self.num_continuous = num_continuous

            self.transformer = Transformer(
                num_tokens = total_tokens,
                dim = dim,
                depth = depth,
                heads = heads,
                dim_head = dim_head
            )

            input_size = (dim * self.num_categories) + num_continuous
            l = input_size // 8

            hidden_dimensions = list(map(lambda t: l * t, mlp_hidden_mults))
            all_dimensions = [input_size, *hidden_dimensions, dim_out]

            self.mlp = MLP(all_dimensions, act = mlp_act)

        def forward(self, x_categ, x_cont):
            assert x_categ.shape[-1] == self.num_categories, f'you must pass in {self.num_categories} values for your categories input'
            x_categ += self.categories_offset

            x = self.transformer(x_categ)

            flat_categ = x.flatten(1)

            assert x_cont.shape[1] == self.num_continuous, f'you must pass in {self.num_continuous} values for your continuous input'

            if exists(self.continuous_mean_std):
                mean, std = self.continuous_mean_std.unbind(dim = -1)
                x_cont = (x_cont - mean) / std

            normed_cont = self.norm(x_cont)

            x = torch.cat((flat_categ, normed_cont), dim = -1)
            return self.mlp(x)

    # ft_transformer.py
    def FTFeedForward(dim, mult = 4, dropout = 0.):
        return nn.Sequential(
            nn.LayerNorm(dim),
            nn.Linear(dim, dim * mult * 2),
            GEGLU(),
            nn.Dropout(dropout),
            nn.Linear(dim * mult, dim)
        )

    class FTAttention(nn.Module):
        def __init__(self, dim, heads = 8, dim_head = 64, dropout = 0.):
            super().__init__()
            inner_dim = dim_head * heads
            self.heads = heads
            self.scale = dim_head ** -0.5

            self.norm = nn.LayerNorm(dim)

            self.to_qkv = nn.Linear(dim, inner_dim * 3, bias = False)
            self.to_out = nn.Linear(inner_dim, dim, bias = False)

            self.dropout = nn.Dropout(dropout)

        def forward(self, x):
            h = self.heads

            x = self.norm(x)

            q, k, v = self.to_qkv(x).chunk(3, dim = -1)
            q, k, v = map(lambda t: split_heads(t, h), (q, k, v))
            q = q * self.scale

            sim = einsum('b h i d, b h j d -> b h i j', q, k)

            attn = sim.softmax(dim = -1)
            dropped_attn = self.dropout(attn)

            out = einsum('b h i j, b h j d -> b h i d', dropped_attn, v)
            out = merge_heads(out)
            out = self.to_out(out)

            return out, attn

    class FTTransformerBody(nn.Module):
        def __init__(self, dim, depth, heads, dim_head, attn_dropout, ff_dropout):
            super().__init__()
            self.layers = nn.ModuleList([])

            for _ in range(depth):
                self.layers.append(nn.ModuleList([
                    FTAttention(dim, heads = heads, dim_head = dim_head, dropout = attn_dropout),
                    FTFeedForward(dim, dropout = ff_dropout),
                ]))

        def forward(self, x, return_attn = False):
            post_softmax_attns = []

            for attn, ff in self.layers:
                attn_out, post_softmax_attn = attn(x)
                post_softmax_attns.append(post_softmax_attn)

                x = attn_out + x
                x = ff(x) + x

            if not return_attn:
                return x

            return x, torch.stack(post_softmax_attns)

    class NumericalEmbedder(nn.Module):
        def __init__(self, dim, num_numerical_types):
            super().__init__()
            self.weights = nn.Parameter(torch.randn(num_numerical_types, dim))
            self.biases = nn.Parameter(torch.randn(num_numerical_types, dim))

        def forward(self, x):
            x = x.unsqueeze(-1)                  # rearrange(x, 'b n -> b n 1')
            return x * self.weights + self.biases

    class FTTransformer(nn.Module):
        def __init__(self, *, categories, num_continuous, dim, depth, heads, dim_head = 16,
                     dim_out = 1, num_special_tokens = 2, attn_dropout = 0.,
                     ff_dropout = 0.):
            super().__init__()
            assert all(map(lambda n: n > 0, categories)), 'number of each category must be positive'
            assert len(categories) + num_continuous > 0, 'input shape must not be null'

            self.num_categories = len(categories)
            self.num_unique_categories = sum(categories)

            self.num_special_tokens = num_special_tokens
            total_tokens = self.num_unique_categories + num_special_tokens

            if self.num_unique_categories > 0:
                categories_offset = F.pad(torch.tensor(list(categories)), (1, 0), value = num_special_tokens)
                categories_offset = categories_offset.cumsum(dim = -1)[:-1]
                self.register_buffer('categories_offset', categories_offset)

                self.categorical_embeds = nn.Embedding(total_tokens, dim)

            self.num_continuous = num_continuous

            if self.num_continuous > 0:
                self.numerical_embedder = NumericalEmbedder(dim, self.num_continuous)

            self.cls_token = nn.Parameter(torch.randn(1, 1, dim))

            self.transformer = FTTransformerBody(
                dim = dim,
                depth = depth,
                heads = heads,
                dim_head = dim_head,
                attn_dropout = attn_dropout,
                ff_dropout = ff_dropout
            )

            self.to_logits = nn.Sequential(
                nn.LayerNorm(dim),
                nn.ReLU(),
                nn.Linear(dim, dim_out)
            )

        def forward(self, x_categ, x_numer, return_attn = False):
            assert x_categ.shape[-1] == self.num_categories, f'you must pass in {self.num_categories} values for your categories input'

            xs = []
            if self.num_unique_categories > 0:
                x_categ = x_categ + self.categories_offset

                x_categ = self.categorical_embeds(x_categ)

                xs.append(x_categ)

            if self.num_continuous > 0:
                x_numer = self.numerical_embedder(x_numer)

                xs.append(x_numer)

            x = torch.cat(xs, dim = 1)

            b = x.shape[0]
            cls_tokens = self.cls_token.expand(b, -1, -1)   # repeat(.., '1 1 d -> b 1 d', b=b)
            x = torch.cat((cls_tokens, x), dim = 1)

            x, attns = self.transformer(x, return_attn = True)

            x = x[:, 0]

            logits = self.to_logits(x)

            if not return_attn:
                return logits

            return logits, attns

    return SimpleNamespace(TabTransformer=TabTransformer, FTTransformer=FTTransformer, MLP=MLP)
