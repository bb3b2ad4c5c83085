"""zhouhaoyi/Informer2020's pieces on their own: utils/masking.py's masks, models/attn.py's
FullAttention / ProbAttention / AttentionLayer, models/embed.py's embeddings, and the
LogSparceAttention that forks add to models/attn.py. Built by ``informer(L)`` of
tests/s21_informer_progs.py; see tests/test_programs_s21_informer.py."""

import math
from math import sqrt

import numpy as np
from s16_yunjey_progs import Out
from s21_informer_progs import informer


def masks_and_attention(L):
    """The two masks and both attentions on their own, as the repository's unit checks do."""
    torch = L
    m = informer(L)
    torch.manual_seed(0)
    B, Lq, H, E = 2, 16, 2, 8
    with Out() as o:
        tri = m.TriangularCausalMask(B, 6)
        o.print(tri.mask.shape, tri.mask.dtype, tri.mask[0, 0].sum().item(), tri.mask[1, 0, 2])
        q = torch.randn(B, Lq, H, E)
        k = torch.randn(B, Lq, H, E)
        v = torch.randn(B, Lq, H, E)
        full = m.FullAttention(True, attention_dropout=0.0, output_attention=True)
        V, A = full(q, k, v, None)
        o.print(V.shape, A.shape, A[0, 0, 0, :3], f"{A.sum(-1).mean().item():.4f}")
        o.vals += [V, A]
        for mask_flag in (False, True):
            prob = m.ProbAttention(mask_flag, factor=2, attention_dropout=0.0, output_attention=True)
            ctx, attn = prob(q, k, v, None)
            o.print(mask_flag, ctx.shape, attn.shape, ctx.is_contiguous())
            o.vals += [ctx, attn]
        # ProbMask on its own, with a sorted index so the rows can be printed
        scores = torch.randn(B, H, 3, 5)
        index = torch.tensor([[[0, 2, 4]] * H] * B)
        pm = m.ProbMask(B, H, 5, index, scores)
        o.print(pm.mask.shape, pm.mask[0, 0].int().tolist())
        layer = m.AttentionLayer(m.ProbAttention(False, 2, attention_dropout=0.0), 16, 2, mix=True)
        x = torch.randn(B, Lq, 16, requires_grad=True)
        out, a = layer(x, x, x, None)
        out.pow(2).mean().backward()
        o.print(out.shape, a, f"{x.grad.abs().sum().item():.4f}")
        o.vals += [out, x.grad] + [p.grad for p in layer.parameters()]
    return o.lines, o.vals


def embeddings(L):
    """models/embed.py: the embeddings one by one, fixed and learned, hourly and minutely,
    and the timeF one, on integer-valued calendar marks."""
    torch = L
    m = informer(L)
    torch.manual_seed(1)
    rng = np.random.RandomState(1)
    x = torch.tensor(rng.standard_normal((2, 16, 3)).astype(np.float32))
    mark = np.stack([rng.randint(1, 13, (2, 16)), rng.randint(1, 32, (2, 16)),
                     rng.randint(0, 7, (2, 16)), rng.randint(0, 24, (2, 16)),
                     rng.randint(0, 4, (2, 16))], -1)
    with Out() as o:
        pe = m.PositionalEmbedding(16, max_len=64)
        o.print(pe(x).shape, pe.pe.requires_grad, list(dict(pe.named_buffers())))
        tok = m.TokenEmbedding(3, 16)
        o.print(tok.tokenConv)
        fe = m.FixedEmbedding(24, 16)
        o.print(fe.emb.weight.requires_grad, fe(torch.tensor([[0, 5, 23]])).shape)
        o.vals += [pe(x), tok(x), fe.emb.weight]
        for embed, freq in (("fixed", "h"), ("learned", "t"), ("timeF", "h")):
            xm = torch.tensor(mark[..., :4] / 10.0 - 0.5) if embed == "timeF" \
                else torch.tensor(mark if freq == "t" else mark[..., :4])
            de = m.DataEmbedding(3, 16, embed, freq, dropout=0.0)
            y = de(x, xm.float())
            y.sum().backward()
            n_train = sum(p.numel() for p in de.parameters() if p.requires_grad)
            o.print(embed, freq, y.shape, y.dtype, n_train, [n for n, _ in de.named_children()])
            o.vals += [y, de.value_embedding.tokenConv.weight.grad]
    return o.lines, o.vals


def log_sparse(L):
    """The LogSparceAttention that forks add beside ProbAttention in models/attn.py: a float
    mask built row by row with slice assignments, scores * mask + -1e9 * (1 - mask)."""
    torch, nn = L, L.nn
    m = informer(L)

    class LogSparceAttention(nn.Module):
        def __init__(self, mask_flag=True, factor=5, scale=None, attention_dropout=0.1, output_attention=False):
            super().__init__()
            self.scale = scale
            self.mask_flag = mask_flag
            self.output_attention = output_attention
            self.dropout = nn.Dropout(attention_dropout)

        def log_mask(self, win_len, sub_len):
            mask = torch.zeros((win_len, win_len), dtype=torch.float)
            for i in range(win_len):
                mask[i] = self.row_mask(i, sub_len, win_len)
            return mask.view(1, 1, mask.size(0), mask.size(1))

        def row_mask(self, index, sub_len, win_len):
            log_l = math.ceil(np.log2(sub_len))

            mask = torch.zeros((win_len), dtype=torch.float)
            if((win_len // sub_len) * 2 * (log_l) > index):
                mask[:(index + 1)] = 1
            else:
                while(index >= 0):
                    if((index - log_l + 1) < 0):
                        mask[:index] = 1
                        break
                    mask[index - log_l + 1:(index + 1)] = 1  # Local attention
                    for i in range(0, log_l):
                        new_index = index - log_l + 1 - 2**i
                        if((index - new_index) <= sub_len and new_index >= 0):
                            mask[new_index] = 1
                    index -= sub_len
            return mask

        def forward(self, queries, keys, values, attn_mask):
            B, L, H, E = queries.shape
            _, S, _, D = values.shape
            scale = self.scale or 1. / sqrt(E)

            scores = torch.einsum("blhe,bshe->bhls", queries, keys)
            mask = self.log_mask(L, S)
            mask_tri = mask[:, :, :scores.size(-2), :scores.size(-1)]
            scores = scores.to(queries.device)
            mask_tri = mask_tri.to(queries.device)
            scores = scores * mask_tri + -1e9 * (1 - mask_tri)

            A = self.dropout(torch.softmax(scale * scores, dim=-1))
            V = torch.einsum("bhls,bshd->blhd", A, values)

            if self.output_attention:
                return (V.contiguous(), A)
            else:
                return (V.contiguous(), None)

    torch.manual_seed(4)
    with Out() as o:
        att = LogSparceAttention(attention_dropout=0.1, output_attention=True)
        o.print(att.log_mask(12, 3)[0, 0].int().tolist())
        o.print(att.row_mask(9, 2, 12))
        layer = m.AttentionLayer(att, 16, 4, mix=True)
        o.print(layer)
        x = torch.randn(2, 12, 16, requires_grad=True)
        out, A = layer(x, x, x, None)
        out.sum().backward()
        o.print(out.shape, A.shape, A.dtype, f"{x.grad.pow(2).sum().item():.4f}")
        o.vals += [out, A, x.grad]
    return o.lines, o.vals
