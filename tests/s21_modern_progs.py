"""Small modern architectures people copy into projects, as they type them (tag: modern).
This file: johnma2006/mamba-minimal model.py (ModelArgs, Mamba with tied lm_head,
ResidualBlock, RMSNorm, MambaBlock with depthwise causal Conv1d, ssm and the selective scan
loop) with the demo's generate (top-k + multinomial sampling) on a tiny random model instead
of pretrained weights, and a few training steps. einops' rearrange / repeat / einsum are
written with the torch calls they stand for (einops is not installed here)."""

import io
import math
from dataclasses import dataclass
from typing import Union
from s16_yunjey_progs import Out


def _mamba_classes(L):
    torch, nn, F = L, L.nn, L.nn.functional

    @dataclass
    class ModelArgs:
        d_model: int
        n_layer: int
        vocab_size: int
        d_state: int = 16
        expand: int = 2
        dt_rank: Union[int, str] = 'auto'
        d_conv: int = 4
        pad_vocab_size_multiple: int = 8
        conv_bias: bool = True
        bias: bool = False

        def __post_init__(self):
            self.d_inner = int(self.expand * self.d_model)
            if self.dt_rank == 'auto':
                self.dt_rank = math.ceil(self.d_model / 16)
            if self.vocab_size % self.pad_vocab_size_multiple != 0:
                self.vocab_size += (self.pad_vocab_size_multiple
                                    - self.vocab_size % self.pad_vocab_size_multiple)

    class RMSNorm(nn.Module):
        def __init__(self, d_model: int, eps: float = 1e-5):
            super().__init__()
            self.eps = eps
            self.weight = nn.Parameter(torch.ones(d_model))

        def forward(self, x):
            output = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight
            return output

    class MambaBlock(nn.Module):
        def __init__(self, args: ModelArgs):
            super().__init__()
            self.args = args
            self.in_proj = nn.Linear(args.d_model, args.d_inner * 2, bias=args.bias)
            self.conv1d = nn.Conv1d(
                in_channels=args.d_inner, out_channels=args.d_inner, bias=args.conv_bias,
                kernel_size=args.d_conv, groups=args.d_inner, padding=args.d_conv - 1)
            self.x_proj = nn.Linear(args.d_inner, args.dt_rank + args.d_state * 2, bias=False)
            self.dt_proj = nn.Linear(args.dt_rank, args.d_inner, bias=True)
            # repeat(torch.arange(1, d_state + 1), 'n -> d n', d=d_inner)
            A = torch.arange(1, args.d_state + 1).unsqueeze(0).repeat(args.d_inner, 1)
            self.A_log = nn.Parameter(torch.log(A))
            self.D = nn.Parameter(torch.ones(args.d_inner))
            self.out_proj = nn.Linear(args.d_inner, args.d_model, bias=args.bias)

        def forward(self, x):
            (b, l, d) = x.shape
            x_and_res = self.in_proj(x)  # shape (b, l, 2 * d_in)
            x_and_res = x_and_res.permute(0, 2, 1)  # 'b l x -> b x l'
            (x, res) = x_and_res.split(split_size=[self.args.d_inner, self.args.d_inner], dim=1)
            x = self.conv1d(x)[:, :, :l]
            x = F.silu(x)
            y = self.ssm(x)
            y = y * F.silu(res)
            output = self.out_proj(y.permute(0, 2, 1))
            return output

        def ssm(self, x):
            (d_in, n) = self.A_log.shape
            A = -torch.exp(self.A_log.float())  # shape (d_in, n)
            D = self.D.float()
            x_dbl = x.permute(0, 2, 1)  # 'b d l -> b l d'
            x_dbl = self.x_proj(x_dbl)  # (b, l, dt_rank + 2*n)
            (delta, B, C) = x_dbl.split(split_size=[self.args.dt_rank, n, n], dim=-1)
            delta = F.softplus(self.dt_proj(delta))  # (b, l, d_in)
            y = self.selective_scan(x, delta, A, B, C, D)
            return y

        def selective_scan(self, u, delta, A, B, C, D):
            (b, d_in, l) = u.shape
            n = A.shape[1]
            deltaA = torch.exp(torch.einsum('bld,dn->bdln', delta, A))
            deltaB_u = torch.einsum('bld,bln,bdl->bdln', delta, B, u)
            x = torch.zeros((b, d_in, n))
            ys = []
            for i in range(l):
                x = deltaA[:, :, i] * x + deltaB_u[:, :, i]
                y = torch.einsum('bdn,bn->bd', x, C[:, i, :])
                ys.append(y)
            y = torch.stack(ys, dim=2)  # (b d_in l)
            if D is not None:
                y = y + u * D[:, None]  # rearrange(D, 'd_in -> d_in 1')
            return y

    class ResidualBlock(nn.Module):
        def __init__(self, args: ModelArgs):
            super().__init__()
            self.args = args
            self.mixer = MambaBlock(args)
            self.norm = RMSNorm(args.d_model)

        def forward(self, x):
            output = self.mixer(self.norm(x)) + x
            return output

    class Mamba(nn.Module):
        def __init__(self, args: ModelArgs):
            super().__init__()
            self.args = args
            self.embedding = nn.Embedding(args.vocab_size, args.d_model)
            self.layers = nn.ModuleList([ResidualBlock(args) for _ in range(args.n_layer)])
            self.norm_f = RMSNorm(args.d_model)
            self.lm_head = nn.Linear(args.d_model, args.vocab_size, bias=False)
            self.lm_head.weight = self.embedding.weight  # Tie output projection to embedding

        def forward(self, input_ids):
            x = self.embedding(input_ids)
            for layer in self.layers:
                x = layer(x)
            x = self.norm_f(x)
            logits = self.lm_head(x)
            return logits

    return ModelArgs, Mamba, RMSNorm, MambaBlock


def mamba_generate(L):
    """mamba-minimal model.py + demo.ipynb's generate (top_k, multinomial) on a tiny model."""
    torch, F = L, L.nn.functional
    ModelArgs, Mamba, RMSNorm, MambaBlock = _mamba_classes(L)
    torch.manual_seed(0)
    with Out() as o:
        args = ModelArgs(d_model=16, n_layer=2, vocab_size=30, d_state=4)
        o.print(args)
        model = Mamba(args)
        o.print(model)
        o.print(sum(p.numel() for p in model.parameters()))
        o.print([(n, tuple(p.shape)) for n, p in model.named_parameters()])
        o.print(model.lm_head.weight is model.embedding.weight)
        blk = model.layers[0].mixer
        o.print(blk.A_log.dtype, blk.A_log[0])

        def generate(model, prompt_ids, n_tokens_to_gen=6, sample=True, top_k=5):
            model.eval()
            input_ids = prompt_ids
            for token_n in range(n_tokens_to_gen):
                with torch.no_grad():
                    indices_to_input = input_ids
                    next_token_logits = model(indices_to_input)[:, -1]
                probs = F.softmax(next_token_logits, dim=-1)
                (batch, vocab_size) = probs.shape
                if top_k is not None:
                    (values, indices) = torch.topk(probs, k=top_k)
                    probs[probs < values[:, -1, None]] = 0
                    probs = probs / probs.sum(axis=1, keepdims=True)
                if sample:
                    next_indices = torch.multinomial(probs, num_samples=1)
                else:
                    next_indices = torch.argmax(probs, dim=-1)[:, None]
                input_ids = torch.cat([input_ids, next_indices], dim=1)
            return input_ids

        prompt = torch.tensor([[1, 5, 7, 2]])
        logits = model(prompt)
        o.print(logits.shape, logits.dtype, logits.requires_grad)
        out_s = generate(model, prompt)
        o.print(out_s.tolist())
        out_g = generate(model, prompt, sample=False)
        o.print(out_g.tolist())
        o.print([t for t in out_g[0].tolist()][4:])
        o.print(model.training)
        # from_pretrained's loading: a 'backbone.'-prefixed checkpoint, torch.load(weights_only)
        buf = io.BytesIO()
        torch.save({'backbone.' + k: v for k, v in model.state_dict().items()}, buf)
        buf.seek(0)
        state_dict = torch.load(buf, weights_only=True)
        o.print(len(state_dict), list(state_dict)[:2], list(state_dict)[-1])
        new_state_dict = {}
        for key in state_dict:
            new_key = key.replace('backbone.', '')
            new_state_dict[new_key] = state_dict[key]
        fresh = Mamba(args)
        o.print(fresh.load_state_dict(new_state_dict))
        o.print(fresh.lm_head.weight is fresh.embedding.weight)
        with torch.no_grad():
            same = fresh(prompt)
        o.print(torch.equal(same, logits.detach()), same.grad_fn)
    return o.lines, [logits, out_s, out_g, same]


def mamba_train(L):
    """mamba-minimal Mamba as a next-token LM: a few AdamW steps, RMSNorm checks."""
    torch, F = L, L.nn.functional
    ModelArgs, Mamba, RMSNorm, MambaBlock = _mamba_classes(L)
    torch.manual_seed(1)
    with Out() as o:
        args = ModelArgs(d_model=8, n_layer=1, vocab_size=13, d_state=3, d_conv=3, expand=2)
        o.print(args.vocab_size, args.d_inner, args.dt_rank)
        model = Mamba(args)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
        data = torch.randint(0, 13, (3, 9))
        losses = []
        for step in range(4):
            logits = model(data[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), data[:, 1:].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            o.print(f"step {step} loss {loss.item():.4f}")
        g = model.layers[0].mixer.A_log.grad
        o.print(g.shape, g.dtype)
        norm = RMSNorm(5)
        x = torch.randn(2, 3, 5)
        y = norm(x)
        o.print(y.shape, round(y.pow(2).mean(-1)[0, 0].item(), 3))
        blk = MambaBlock(args)
        xs = torch.randn(2, 4, 8, requires_grad=True)
        ys = blk(xs)
        ys.sum().backward()
        o.print(ys.shape, xs.grad.shape)
    return o.lines, [torch.tensor(losses), model.embedding.weight, g, y, ys, xs.grad,
                     blk.D.grad, blk.dt_proj.weight.grad]
