"""Modern sequence architectures as users type them (tag: seqarch). This file: BlinkDL's
RWKV_in_150_lines.py (ChatRWKV: RWKV_RNN as a torch.jit.ScriptModule with script_method
time_mixing / channel_mixing, the exp / maximum state trick, F.layer_norm, sample_logits with
NumPy top-p) on a tiny random checkpoint written with torch.save and read back with
torch.load instead of the 430M model, token ids instead of the tokenizer; and RWKV-LM's
RWKV-v1 src/model.py (RWKV_TimeMix with the circulant time_w, RWKV_ChannelMix with mish,
RWKV_Init's orthogonal init printout, GPT with the copy head, configure_optimizers' AdamW
groups) trained for a few steps on a random token stream."""

import io
import math
import types

import numpy as np
from s16_yunjey_progs import Out


def _rwkv_rnn_class(L):
    torch, F = L, L.nn.functional

    class RWKV_RNN(torch.jit.ScriptModule):
        def __init__(self, args, blob):
            super().__init__()
            self.args = args
            self.eval()  # set torch to inference mode

            w = torch.load(blob, map_location='cpu')
            for k in w.keys():
                if '.time_' in k: w[k] = w[k].squeeze()
                if '.time_decay' in k: w[k] = -torch.exp(w[k].float())  # the real time decay is like e^{-e^x}
                else: w[k] = w[k].float()  # convert to f32 type

            self.w = types.SimpleNamespace()  # set self.w from w
            self.w.blocks = {}
            for k in w.keys():  # example: "blocks.0.att.time_first" => self.w.blocks[0].att.time_first
                parts = k.split('.')
                last = parts.pop()
                here = self.w
                for p in parts:
                    if p.isdigit():
                        p = int(p)
                        if p not in here: here[p] = types.SimpleNamespace()
                        here = here[p]
                    else:
                        if not hasattr(here, p): setattr(here, p, types.SimpleNamespace())
                        here = getattr(here, p)
                setattr(here, last, w[k])

        def layer_norm(self, x, w):
            return F.layer_norm(x, (self.args.n_embd,), weight=w.weight, bias=w.bias)

        @torch.jit.script_method
        def channel_mixing(self, x, state, i: int, time_mix_k, time_mix_r, kw, vw, rw):
            xk = x * time_mix_k + state[5*i+0] * (1 - time_mix_k)
            xr = x * time_mix_r + state[5*i+0] * (1 - time_mix_r)
            state[5*i+0] = x
            r = torch.sigmoid(rw @ xr)
            k = torch.square(torch.relu(kw @ xk))  # square relu, primer paper
            return r * (vw @ k)

        @torch.jit.script_method
        def time_mixing(self, x, state, i: int, time_mix_k, time_mix_v, time_mix_r, time_first, time_decay, kw, vw, rw, ow):
            xk = x * time_mix_k + state[5*i+1] * (1 - time_mix_k)
            xv = x * time_mix_v + state[5*i+1] * (1 - time_mix_v)
            xr = x * time_mix_r + state[5*i+1] * (1 - time_mix_r)
            state[5*i+1] = x
            r = torch.sigmoid(rw @ xr)
            k = kw @ xk
            v = vw @ xv

            aa = state[5*i+2]
            bb = state[5*i+3]
            pp = state[5*i+4]
            ww = time_first + k
            qq = torch.maximum(pp, ww)
            e1 = torch.exp(pp - qq)
            e2 = torch.exp(ww - qq)
            a = e1 * aa + e2 * v
            b = e1 * bb + e2
            wkv = a / b
            ww = pp + time_decay
            qq = torch.maximum(ww, k)
            e1 = torch.exp(ww - qq)
            e2 = torch.exp(k - qq)
            state[5*i+2] = e1 * aa + e2 * v
            state[5*i+3] = e1 * bb + e2
            state[5*i+4] = qq
            return ow @ (r * wkv)

        def forward(self, token, state):
            with torch.no_grad():
                if state == None:  # noqa: E711 - as the script has it
                    state = torch.zeros(self.args.n_layer * 5, self.args.n_embd)
                    for i in range(self.args.n_layer): state[5*i+4] = -1e30  # -infinity

                x = self.w.emb.weight[token]
                x = self.layer_norm(x, self.w.blocks[0].ln0)
                for i in range(self.args.n_layer):
                    att = self.w.blocks[i].att
                    x = x + self.time_mixing(self.layer_norm(x, self.w.blocks[i].ln1), state, i,
                        att.time_mix_k, att.time_mix_v, att.time_mix_r, att.time_first, att.time_decay,
                        att.key.weight, att.value.weight, att.receptance.weight, att.output.weight)
                    ffn = self.w.blocks[i].ffn
                    x = x + self.channel_mixing(self.layer_norm(x, self.w.blocks[i].ln2), state, i,
                        ffn.time_mix_k, ffn.time_mix_r,
                        ffn.key.weight, ffn.value.weight, ffn.receptance.weight)

                x = self.w.head.weight @ self.layer_norm(x, self.w.ln_out)
                return x.float(), state

    return RWKV_RNN


def _tiny_checkpoint(torch, n_layer, n_embd, vocab):
    """A random RWKV-4 state dict with the checkpoint's names and shapes, saved to memory."""
    C = n_embd
    w = {'emb.weight': torch.randn(vocab, C) * 0.5}
    for i in range(n_layer):
        b = f'blocks.{i}.'
        if i == 0:
            w[b + 'ln0.weight'], w[b + 'ln0.bias'] = torch.ones(C) + 0.1 * torch.randn(C), 0.1 * torch.randn(C)
        for ln in ('ln1', 'ln2'):
            w[b + ln + '.weight'], w[b + ln + '.bias'] = torch.ones(C), torch.zeros(C)
        w[b + 'att.time_decay'] = torch.linspace(-2.0, 1.0, C)
        w[b + 'att.time_first'] = torch.full((C,), math.log(0.3)) + 0.1 * torch.randn(C)
        for m in ('k', 'v', 'r'):
            w[b + f'att.time_mix_{m}'] = torch.rand(1, 1, C)
        for m in ('key', 'value', 'receptance', 'output'):
            w[b + f'att.{m}.weight'] = torch.randn(C, C) / C ** 0.5
        for m in ('k', 'r'):
            w[b + f'ffn.time_mix_{m}'] = torch.rand(1, 1, C)
        w[b + 'ffn.key.weight'] = torch.randn(4 * C, C) / C ** 0.5
        w[b + 'ffn.receptance.weight'] = torch.randn(C, C) / C ** 0.5
        w[b + 'ffn.value.weight'] = torch.randn(C, 4 * C) / (4 * C) ** 0.5
    w['ln_out.weight'], w['ln_out.bias'] = torch.ones(C), torch.zeros(C)
    w['head.weight'] = torch.randn(vocab, C) / C ** 0.5
    blob = io.BytesIO()
    torch.save({k: v.half() if 'emb' in k else v for k, v in w.items()}, blob)
    blob.seek(0)
    return blob


def rwkv_in_150_lines(L):
    torch, F = L, L.nn.functional
    o = Out()
    with o:
        torch.manual_seed(1)
        args = types.SimpleNamespace()
        args.MODEL_NAME = 'tiny-random-rwkv-4'
        args.n_layer = 2
        args.n_embd = 16
        vocab = 40
        NUM_TRIALS = 2
        LENGTH_PER_TRIAL = 6
        TEMPERATURE = 1.0
        TOP_P = 0.85
        rng = np.random.RandomState(0)

        def sample_logits(out, temperature=1.0, top_p=0.8):
            probs = F.softmax(out, dim=-1).numpy()
            sorted_probs = np.sort(probs)[::-1]
            cumulative_probs = np.cumsum(sorted_probs)
            cutoff = float(sorted_probs[np.argmax(cumulative_probs > top_p)])
            probs[probs < cutoff] = 0
            if temperature != 1.0:
                probs = probs.pow(1.0 / temperature)
            probs = probs / np.sum(probs)
            out = rng.choice(a=len(probs), p=probs)
            return out

        blob = _tiny_checkpoint(torch, args.n_layer, args.n_embd, vocab)
        o.print(f'\nUsing CPU. Loading {args.MODEL_NAME} ...')
        model = _rwkv_rnn_class(L)(args, blob)
        o.print(type(model).__name__, model.training, isinstance(model, torch.jit.ScriptModule))
        o.print(sorted(vars(model.w.blocks[1].att)), model.w.blocks[0].att.time_first.shape,
                model.w.emb.weight.dtype)

        o.print('\nPreprocessing context (slow version. see v2/rwkv/model.py for fast version)')
        init_state = None
        for token in [3, 17, 5, 29, 11, 2]:
            init_out, init_state = model.forward(token, init_state)
        o.print(init_out.shape, init_state.shape, init_out.dtype)
        o.vals += [init_out, init_state]

        for TRIAL in range(NUM_TRIALS):
            o.print(f'\n\n--[ Trial {TRIAL} ]-----------------', end="")
            all_tokens = []
            out, state = init_out.clone(), init_state.clone()
            for i in range(LENGTH_PER_TRIAL):
                token = sample_logits(out, TEMPERATURE, TOP_P)
                all_tokens += [token]
                out, state = model.forward(token, state)
            o.print(all_tokens, [round(v, 4) for v in out[:4].tolist()])
            o.vals += [out, state]
        o.print('\n')
    return o.done()
