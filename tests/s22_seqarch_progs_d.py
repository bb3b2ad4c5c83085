"""lucidrains/g-mlp-pytorch as users type it (tag: seqarch): g_mlp_pytorch.py (Residual,
PreNorm, tiny Attention, SpatialGatingUnit with the Conv1d over the sequence and its causal
triu mask, gMLPBlock, gMLP with dropout_layers, gMLPVision), autoregressive_wrapper.py (top_k
filter, generate with multinomial) and train.py's loop (TextSamplerDataset slicing with a
torch.randint tensor, DataLoader, gradient accumulation, clip_grad_norm_, validation,
generate) on a random byte stream, sized down. einops' Rearrange / Reduce are written as
small modules doing the torch calls they stand for (einops is not installed here)."""

import random
from random import randrange

import numpy as np
from s16_yunjey_progs import Out


def _gmlp(L):
    torch, nn, F = L, L.nn, L.nn.functional
    einsum = torch.einsum

    class Rearrange(nn.Module):  # 'b c (h p1) (w p2) -> b (h w) (c p1 p2)'
        def __init__(self, p1, p2):
            super().__init__()
            self.p1, self.p2 = p1, p2

        def forward(self, x):
            b, c, H, W = x.shape
            x = x.reshape(b, c, H // self.p1, self.p1, W // self.p2, self.p2)
            return x.permute(0, 2, 4, 1, 3, 5).reshape(b, (H // self.p1) * (W // self.p2), -1)

    class Reduce(nn.Module):  # 'b n d -> b d', 'mean'
        def forward(self, x):
            return x.mean(dim=1)

    def exists(val):
        return val is not None

    def pair(val):
        return (val, val) if not isinstance(val, tuple) else val

    def dropout_layers(layers, prob_survival):
        if prob_survival == 1:
            return layers

        num_layers = len(layers)
        to_drop = torch.zeros(num_layers).uniform_(0., 1.) > prob_survival

        # make sure at least one layer makes it
        if all(to_drop):
            rand_index = randrange(num_layers)
            to_drop[rand_index] = False

        layers = [layer for (layer, drop) in zip(layers, to_drop) if not drop]
        return layers

    class Residual(nn.Module):
        def __init__(self, fn):
            super().__init__()
            self.fn = fn

        def forward(self, x):
            return self.fn(x) + x

    class PreNorm(nn.Module):
        def __init__(self, dim, fn):
            super().__init__()
            self.fn = fn
            self.norm = nn.LayerNorm(dim)

        def forward(self, x, **kwargs):
            x = self.norm(x)
            return self.fn(x, **kwargs)

    class Attention(nn.Module):
        def __init__(self, dim_in, dim_out, dim_inner, causal=False):
            super().__init__()
            self.scale = dim_inner ** -0.5
            self.causal = causal

            self.to_qkv = nn.Linear(dim_in, dim_inner * 3, bias=False)
            self.to_out = nn.Linear(dim_inner, dim_out)

        def forward(self, x):
            device = x.device
            q, k, v = self.to_qkv(x).chunk(3, dim=-1)
            sim = einsum('b i d, b j d -> b i j', q, k) * self.scale

            if self.causal:
                mask = torch.ones(sim.shape[-2:], device=device).triu(1).bool()
                sim.masked_fill_(mask[None, ...], -torch.finfo(q.dtype).max)

            attn = sim.softmax(dim=-1)
            out = einsum('b i j, b j d -> b i d', attn, v)
            return self.to_out(out)

    class SpatialGatingUnit(nn.Module):
        def __init__(self, dim, dim_seq, causal=False, act=nn.Identity(), init_eps=1e-3):
            super().__init__()
            dim_out = dim // 2
            self.causal = causal

            self.norm = nn.LayerNorm(dim_out)
            self.proj = nn.Conv1d(dim_seq, dim_seq, 1)

            self.act = act

            init_eps /= dim_seq
            nn.init.uniform_(self.proj.weight, -init_eps, init_eps)
            nn.init.constant_(self.proj.bias, 1.)

        def forward(self, x, gate_res=None):
            device, n = x.device, x.shape[1]

            res, gate = x.chunk(2, dim=-1)
            gate = self.norm(gate)

            weight, bias = self.proj.weight, self.proj.bias
            if self.causal:
                weight, bias = weight[:n, :n], bias[:n]
                mask = torch.ones(weight.shape[:2], device=device).triu_(1).bool()
                weight = weight.masked_fill(mask[..., None], 0.)

            gate = F.conv1d(gate, weight, bias)

            if exists(gate_res):
                gate = gate + gate_res

            return self.act(gate) * res

    class gMLPBlock(nn.Module):
        def __init__(self, *, dim, dim_ff, seq_len, attn_dim=None, causal=False, act=nn.Identity()):
            super().__init__()
            self.proj_in = nn.Sequential(nn.Linear(dim, dim_ff), nn.GELU())

            self.attn = Attention(dim, dim_ff // 2, attn_dim, causal) if exists(attn_dim) else None

            self.sgu = SpatialGatingUnit(dim_ff, seq_len, causal, act)
            self.proj_out = nn.Linear(dim_ff // 2, dim)

        def forward(self, x):
            gate_res = self.attn(x) if exists(self.attn) else None

            x = self.proj_in(x)
            x = self.sgu(x, gate_res=gate_res)
            x = self.proj_out(x)
            return x

    class gMLP(nn.Module):
        def __init__(self, *, num_tokens=None, dim, depth, seq_len, ff_mult=4, attn_dim=None,
                     prob_survival=1., causal=False, act=nn.Identity()):
            super().__init__()
            dim_ff = dim * ff_mult
            self.seq_len = seq_len
            self.prob_survival = prob_survival

            self.to_embed = nn.Embedding(num_tokens, dim) if exists(num_tokens) else nn.Identity()

            self.layers = nn.ModuleList([Residual(PreNorm(dim, gMLPBlock(dim=dim, dim_ff=dim_ff, seq_len=seq_len, attn_dim=attn_dim, causal=causal, act=act))) for i in range(depth)])

            self.to_logits = nn.Sequential(
                nn.LayerNorm(dim),
                nn.Linear(dim, num_tokens)
            ) if exists(num_tokens) else nn.Identity()

        def forward(self, x):
            x = self.to_embed(x)
            layers = self.layers if not self.training else dropout_layers(self.layers, self.prob_survival)
            out = nn.Sequential(*layers)(x)
            return self.to_logits(out)

    class gMLPVision(nn.Module):
        def __init__(self, *, image_size, patch_size, num_classes, dim, depth, ff_mult=4,
                     channels=3, attn_dim=None, prob_survival=1.):
            super().__init__()
            image_height, image_width = pair(image_size)
            patch_height, patch_width = pair(patch_size)
            assert (image_height % patch_height) == 0 and (image_width % patch_width) == 0, 'image height and width must be divisible by patch size'
            num_patches = (image_height // patch_height) * (image_width // patch_width)

            dim_ff = dim * ff_mult

            self.to_patch_embed = nn.Sequential(
                Rearrange(p1=patch_height, p2=patch_width),
                nn.Linear(channels * patch_height * patch_width, dim)
            )

            self.prob_survival = prob_survival

            self.layers = nn.ModuleList([Residual(PreNorm(dim, gMLPBlock(dim=dim, dim_ff=dim_ff, seq_len=num_patches, attn_dim=attn_dim))) for i in range(depth)])

            self.to_logits = nn.Sequential(
                nn.LayerNorm(dim),
                Reduce(),
                nn.Linear(dim, num_classes)
            )

        def forward(self, x):
            x = self.to_patch_embed(x)
            layers = self.layers if not self.training else dropout_layers(self.layers, self.prob_survival)
            x = nn.Sequential(*layers)(x)
            return self.to_logits(x)

    def eval_decorator(fn):
        def inner(model, *args, **kwargs):
            was_training = model.training
            model.eval()
            out = fn(model, *args, **kwargs)
            model.train(was_training)
            return out
        return inner

    def top_k(logits, thres=0.9):
        k = int((1 - thres) * logits.shape[-1])
        val, ind = torch.topk(logits, k)
        probs = torch.full_like(logits, float('-inf'))
        probs.scatter_(1, ind, val)
        return probs

    class AutoregressiveWrapper(nn.Module):
        def __init__(self, net, ignore_index=-100, pad_value=0):
            super().__init__()
            self.pad_value = pad_value
            self.ignore_index = ignore_index

            self.net = net
            self.max_seq_len = net.seq_len

        @torch.no_grad()
        @eval_decorator
        def generate(self, start_tokens, seq_len, eos_token=None, temperature=1., filter_logits_fn=top_k, filter_thres=0.9, **kwargs):
            num_dims = len(start_tokens.shape)

            if num_dims == 1:
                start_tokens = start_tokens[None, :]

            b, t = start_tokens.shape

            out = start_tokens

            for _ in range(seq_len):
                x = out[:, -self.max_seq_len:]

                logits = self.net(x, **kwargs)[:, -1, :]

                filtered_logits = top_k(logits, thres=filter_thres)
                probs = F.softmax(filtered_logits / temperature, dim=-1)

                sample = torch.multinomial(probs, 1)

                out = torch.cat((out, sample), dim=-1)

                if eos_token is not None and (sample == eos_token).all():
                    break

            out = out[:, t:]

            if num_dims == 1:
                out = out.squeeze(0)

            return out

        def forward(self, x, **kwargs):
            xi, xo = x[:, :-1], x[:, 1:]
            out = self.net(xi, **kwargs)
            loss = F.cross_entropy(out.transpose(1, 2), xo, ignore_index=self.ignore_index)
            return loss

    return gMLP, gMLPVision, AutoregressiveWrapper


def gmlp_train_enwik8(L):
    torch = L
    DataLoader, Dataset = L.utils.data.DataLoader, L.utils.data.Dataset
    o = Out()
    with o:
        torch.manual_seed(0)
        random.seed(0)
        gMLP, _, AutoregressiveWrapper = _gmlp(L)
        NUM_BATCHES, BATCH_SIZE, GRADIENT_ACCUMULATE_EVERY = 3, 2, 2
        LEARNING_RATE, VALIDATE_EVERY, GENERATE_EVERY = 2e-3, 2, 2
        GENERATE_LENGTH, SEQ_LEN = 5, 12

        def cycle(loader):
            while True:
                for data in loader:
                    yield data

        def decode_token(token):
            return str(chr(max(32, token)))

        def decode_tokens(tokens):
            return ''.join(list(map(decode_token, tokens)))

        model = gMLP(num_tokens=256, dim=16, seq_len=SEQ_LEN, depth=2, causal=True)
        model = AutoregressiveWrapper(model)

        X = np.random.default_rng(0).integers(32, 127, 2000).astype(np.uint8)
        trX, vaX = np.split(X, [1600])
        data_train, data_val = torch.from_numpy(trX), torch.from_numpy(vaX)

        class TextSamplerDataset(Dataset):
            def __init__(self, data, seq_len):
                super().__init__()
                self.data = data
                self.seq_len = seq_len

            def __getitem__(self, index):
                rand_start = torch.randint(0, self.data.size(0) - self.seq_len - 1, (1,))
                full_seq = self.data[rand_start: rand_start + self.seq_len + 1].long()
                return full_seq

            def __len__(self):
                return self.data.size(0) // self.seq_len

        train_dataset = TextSamplerDataset(data_train, SEQ_LEN)
        val_dataset = TextSamplerDataset(data_val, SEQ_LEN)
        train_loader = cycle(DataLoader(train_dataset, batch_size=BATCH_SIZE))
        val_loader = cycle(DataLoader(val_dataset, batch_size=BATCH_SIZE))

        optim = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
        o.print(model.net.layers[0].fn.fn.sgu)

        for i in range(NUM_BATCHES):
            model.train()

            for __ in range(GRADIENT_ACCUMULATE_EVERY):
                loss = model(next(train_loader))
                loss.backward()

            o.print(f'training loss: {loss.item():.4f}')
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            optim.step()
            optim.zero_grad()

            if i % VALIDATE_EVERY == 0:
                model.eval()
                with torch.no_grad():
                    loss = model(next(val_loader))
                    o.print(f'validation loss: {loss.item():.4f}')

            if i % GENERATE_EVERY == 0:
                model.eval()
                inp = random.choice(val_dataset)[:-1]
                prime = decode_tokens(inp)
                o.print(f'%s \n\n %s', (prime, '*' * 10))

                sample = model.generate(inp, GENERATE_LENGTH, filter_thres=0.95)
                output_str = decode_tokens(sample)
                o.print(output_str, sample.shape, model.training)
        o.vals += [model.net.layers[1].fn.fn.sgu.proj.weight, model.net.to_logits[1].weight]
        # the causal gMLP on a shorter prefix slices the spatial weights; a longer one fails
        o.tryit(lambda: model.net(torch.zeros(1, 5, dtype=torch.long)).shape)
        o.tryit(lambda: model.net(torch.zeros(1, SEQ_LEN + 1, dtype=torch.long)).shape)
    return o.done()


def gmlp_vision_and_attn(L):
    torch, nn, F = L, L.nn, L.nn.functional
    o = Out()
    with o:
        torch.manual_seed(0)
        random.seed(3)
        gMLP, gMLPVision, _ = _gmlp(L)
        model = gMLPVision(image_size=8, patch_size=4, num_classes=5, dim=12, depth=3,
                           attn_dim=8, prob_survival=0.5)
        img = torch.randn(3, 3, 8, 8)
        labels = torch.tensor([0, 4, 2])
        opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
        for step in range(3):
            logits = model(img)
            loss = F.cross_entropy(logits, labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
            o.print(f"step {step} loss {loss.item():.4f}", logits.shape)
        model.eval()
        o.vals += [model(img), model.layers[0].fn.fn.attn.to_qkv.weight]
        o.print(sum(p.numel() for p in model.parameters()))
        # README: the non-causal gMLP as a language model, act = Tanh, with tiny attention
        lm = gMLP(num_tokens=30, dim=8, depth=2, seq_len=6, attn_dim=4, act=nn.Tanh())
        x = torch.randint(0, 30, (2, 6))
        out = lm(x)
        o.print(out.shape, out.grad_fn.name())
        o.vals += [out]
        o.tryit(lambda: gMLPVision(image_size=9, patch_size=4, num_classes=5, dim=12, depth=1))
        o.tryit(lambda: lm(torch.randint(0, 30, (2, 5))))
    return o.done()
