"""RWKV-LM RWKV-v4neo src/model_run.py as users type it (tag: seqarch): RWKV_RNN loading a
checkpoint (torch.load, the per-layer rescale, time_decay = -exp, the fp32 / bf16 / fp16
FLOAT_MODEs with their weight printout), SA / FF with the float32 state beside bf16 / fp16
weights, F.layer_norm in the weights' dtype, RWKV_RESCALE_LAYER halving; run over a token
context and a few greedy steps on a tiny random checkpoint (saved to memory)."""

import gc
import io
import types

from s16_yunjey_progs import Out
from s22_seqarch_progs import _tiny_checkpoint


def _rwkv_rnn_v4neo(L, o):
    torch, nn, F = L, L.nn, L.nn.functional

    def __nop(ob):
        return ob
    MyFunction = __nop

    RWKV_HEAD_QK_DIM = 0
    o.print(f'\nRWKV_HEAD_QK_DIM {RWKV_HEAD_QK_DIM}\n')
    DEBUG_TIME = False   # True False - show trained time-coeffs
    RWKV_RESCALE_LAYER = 2  # set x=x/2 every X layer

    class RWKV_RNN(nn.Module):
        def __init__(self, args, blob):
            super().__init__()

            self.args = args
            self.FLOAT_MODE = args.FLOAT_MODE
            self.RUN_DEVICE = args.RUN_DEVICE

            with torch.no_grad():
                w = torch.load(blob, map_location='cpu')
                # refine weights and send to correct device
                keys = list(w.keys())
                if 'pos_emb_x' in keys:
                    w['pos_emb'] = (w['pos_emb_x'] + w['pos_emb_y']).reshape(args.ctx_len+1, -1)[:-1, :]
                keys = list(w.keys())
                print_need_newline = False
                for x in keys:
                    block_id = 0
                    if 'blocks.' in x:
                        block_id = int(x.split('.')[1])
                    if 'att.output.weight' in x:
                        w[x] = w[x] / (2 ** int(block_id // RWKV_RESCALE_LAYER))
                    if 'ffn.value.weight' in x:
                        w[x] = w[x] / (2 ** int(block_id // RWKV_RESCALE_LAYER))

                    if '.time_' in x:
                        w[x] = w[x].squeeze()
                        if DEBUG_TIME:
                            o.print(x, w[x].numpy())
                    if '.time_decay' in x:
                        w[x] = w[x].float()
                        w[x] = -torch.exp(w[x])
                    elif '.time_first' in x:
                        w[x] = w[x].float()
                    else:
                        if self.FLOAT_MODE == "fp32":
                            w[x] = w[x].float()
                        elif self.FLOAT_MODE == "bf16":
                            w[x] = w[x].bfloat16()
                        elif self.FLOAT_MODE == "fp16":
                            w[x] = w[x].half()

                    w[x].requires_grad = False
                    if args.RUN_DEVICE == 'cuda' and x != 'emb.weight':
                        w[x] = w[x].cuda()

                    if ('blocks.' not in x) or ('blocks.0.' in x):
                        if print_need_newline:
                            o.print('\n', end='')
                            print_need_newline = False
                        o.print(x.ljust(40), str(w[x].dtype).replace('torch.', '').ljust(10), w[x].device)
                    else:
                        print_need_newline = True
                        o.print('.', end='', flush=True)

            # store weights in self.w
            keys = list(w.keys())
            self.w = types.SimpleNamespace()
            for x in keys:
                xx = x.split('.')
                here = self.w
                for i in range(len(xx)):
                    if xx[i].isdigit():
                        ii = int(xx[i])
                        if ii not in here:
                            here[ii] = types.SimpleNamespace()
                        here = here[ii]
                    else:
                        if i == len(xx) - 1:
                            setattr(here, xx[i], w[x])
                        elif not hasattr(here, xx[i]):
                            if xx[i+1].isdigit():
                                setattr(here, xx[i], {})
                            else:
                                setattr(here, xx[i], types.SimpleNamespace())
                        here = getattr(here, xx[i])

            self.eval()
            gc.collect()
            torch.cuda.empty_cache()

        def LN(self, x, w):
            return F.layer_norm(x, (self.args.n_embd,), weight=w.weight, bias=w.bias)

        # state[] 0=ffn_xx 1=att_xx 2=att_aa 3=att_bb 4=att_pp

        @MyFunction
        def FF(self, x, state, i, time_mix_k, time_mix_r, kw, vw, rw):
            if self.FLOAT_MODE == "bf16":
                xk = x * time_mix_k + state[5*i+0].type(torch.bfloat16) * (1 - time_mix_k)
                xr = x * time_mix_r + state[5*i+0].type(torch.bfloat16) * (1 - time_mix_r)
                state[5*i+0] = x.float()
            elif self.FLOAT_MODE == "fp16":
                xk = x * time_mix_k + state[5*i+0].half() * (1 - time_mix_k)
                xr = x * time_mix_r + state[5*i+0].half() * (1 - time_mix_r)
                state[5*i+0] = x.float()
            else:
                xk = x * time_mix_k + state[5*i+0] * (1 - time_mix_k)
                xr = x * time_mix_r + state[5*i+0] * (1 - time_mix_r)
                state[5*i+0] = x

            r = torch.sigmoid(rw @ xr)
            k = torch.square(torch.relu(kw @ xk))
            kv = vw @ k

            return r * kv

        @MyFunction
        def SA(self, x, state, i, time_mix_k, time_mix_v, time_mix_r, time_first, time_decay, kw, vw, rw, ow):
            if self.FLOAT_MODE == "bf16":
                xk = x * time_mix_k + state[5*i+1].type(torch.bfloat16) * (1 - time_mix_k)
                xv = x * time_mix_v + state[5*i+1].type(torch.bfloat16) * (1 - time_mix_v)
                xr = x * time_mix_r + state[5*i+1].type(torch.bfloat16) * (1 - time_mix_r)
                state[5*i+1] = x.float()
            elif self.FLOAT_MODE == "fp16":
                xk = x * time_mix_k + state[5*i+1].half() * (1 - time_mix_k)
                xv = x * time_mix_v + state[5*i+1].half() * (1 - time_mix_v)
                xr = x * time_mix_r + state[5*i+1].half() * (1 - time_mix_r)
                state[5*i+1] = x.float()
            else:
                xk = x * time_mix_k + state[5*i+1] * (1 - time_mix_k)
                xv = x * time_mix_v + state[5*i+1] * (1 - time_mix_v)
                xr = x * time_mix_r + state[5*i+1] * (1 - time_mix_r)
                state[5*i+1] = x

            r = torch.sigmoid(rw @ xr)
            k = kw @ xk
            v = vw @ xv

            if '16' in self.FLOAT_MODE:
                kk = k.float()
                vv = v.float()
            else:
                kk = k
                vv = v
            aa = state[5*i+2]
            bb = state[5*i+3]
            pp = state[5*i+4]
            ww = time_first + kk
            p = torch.maximum(pp, ww)
            e1 = torch.exp(pp - p)
            e2 = torch.exp(ww - p)
            a = e1 * aa + e2 * vv
            b = e1 * bb + e2
            ww = pp + time_decay
            p = torch.maximum(ww, kk)
            e1 = torch.exp(ww - p)
            e2 = torch.exp(kk - p)
            state[5*i+2] = e1 * aa + e2 * vv
            state[5*i+3] = e1 * bb + e2
            state[5*i+4] = p
            if self.FLOAT_MODE == "bf16":
                wkv = (a / b).type(torch.bfloat16)
            elif self.FLOAT_MODE == "fp16":
                wkv = (a / b).half()
            else:
                wkv = a / b

            return ow @ (r * wkv)

        def forward(self, ctx, state, preprocess_only=False):
            with torch.no_grad():
                w = self.w
                args = self.args

                x = w.emb.weight[ctx[-1]]
                if self.RUN_DEVICE == 'cuda':
                    x = x.cuda()
                try:
                    pos_emb = w.pos_emb[len(ctx)-1]
                    x = x + pos_emb
                except:  # noqa: E722 - as the file has it
                    pass

                if state == None:  # noqa: E711
                    state = torch.zeros(args.n_layer * 5, args.n_embd, device=self.RUN_DEVICE)
                    for i in range(args.n_layer):
                        state[5*i+4] -= 1e30

                for i in range(args.n_layer):
                    if i == 0:
                        x = self.LN(x, w.blocks[i].ln0)

                    ww = w.blocks[i].att
                    x = x + self.SA(self.LN(x, w.blocks[i].ln1), state, i,
                        ww.time_mix_k, ww.time_mix_v, ww.time_mix_r, ww.time_first, ww.time_decay,
                        ww.key.weight, ww.value.weight, ww.receptance.weight, ww.output.weight)

                    ww = w.blocks[i].ffn
                    x = x + self.FF(self.LN(x, w.blocks[i].ln2), state, i,
                        ww.time_mix_k, ww.time_mix_r,
                        ww.key.weight, ww.value.weight, ww.receptance.weight)

                    if (i+1) % RWKV_RESCALE_LAYER == 0:
                        x = x / 2

                if preprocess_only:
                    return state

                x = self.LN(x, w.ln_out)
                x = w.head.weight @ x

                return x.float(), state

    return RWKV_RNN


def rwkv_v4neo_run(L):
    torch = L
    o = Out()
    with o:
        torch.manual_seed(2)
        RWKV_RNN = _rwkv_rnn_v4neo(L, o)
        blob = _tiny_checkpoint(torch, 3, 16, 30).getvalue()
        for mode in ("fp32", "fp16"):  # bf16: ember has no bfloat16 (NumPy has none)
            args = types.SimpleNamespace(FLOAT_MODE=mode, RUN_DEVICE='cpu', MODEL_NAME='tiny',
                                         n_layer=3, n_embd=16, ctx_len=32)
            model = RWKV_RNN(args, io.BytesIO(blob))
            ctx = [4, 9, 1, 22, 7]
            state = None
            for n in range(1, len(ctx)):
                state = model.forward(ctx[:n], state, preprocess_only=True)
            o.print(mode, state.dtype, state.shape)
            for _ in range(3):
                out, state = model.forward(ctx, state)
                ctx += [int(out.argmax())]
            o.print(mode, ctx, out.dtype, [f"{v:.3f}" for v in out[:3].tolist()])
            o.vals += [state[:, :4], out]
    return o.done()
