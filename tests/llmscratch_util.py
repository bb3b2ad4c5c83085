"""The models of Raschka's "Build a Large Language Model (From Scratch)" (chapters 3-7),
written once for either library ``L`` (torch or ember), at toy sizes, with the helpers the
session-14 sweep tests share (test_programs_s14_llmscratch*.py)."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import torch

import ember

CFG = {"vocab_size": 50, "context_length": 8, "emb_dim": 12, "n_heads": 3, "n_layers": 2,
       "drop_rate": 0.1, "qkv_bias": False}
INPUTS = [[0.43, 0.15, 0.89], [0.55, 0.87, 0.66], [0.57, 0.85, 0.64],
          [0.22, 0.58, 0.33], [0.77, 0.25, 0.10], [0.05, 0.80, 0.55]]


def printed(fn):
    """[what fn(torch) printed, what fn(ember) printed]; an exception ends the text with its
    type and first line."""
    out = []
    for lib in (torch, ember):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            try:
                fn(lib)
            except Exception as err:  # noqa: BLE001 - compared across libraries
                print("raised", type(err).__name__, str(err).splitlines()[0])
        out.append(buf.getvalue())
    return out


def errors(L, calls):
    """Each call's result type and shape, or its exception type and first line."""
    out = []
    for call in calls:
        try:
            r = call()
            out.append(("ok", tuple(r.shape) if hasattr(r, "shape") else r))
        except Exception as err:  # noqa: BLE001 - compared across libraries
            out.append((type(err).__name__, str(err).splitlines()[0]))
    return out


def token_ids(n=400, vocab=50, seed=0):
    return np.random.default_rng(seed).integers(0, vocab, n).tolist()


def attention_classes(L):
    """Chapter 3: SelfAttention_v1/v2, CausalAttention, the wrapper and MultiHeadAttention."""
    nn = L.nn

    class SelfAttentionV1(nn.Module):
        def __init__(self, d_in, d_out):
            super().__init__()
            self.W_query = nn.Parameter(L.rand(d_in, d_out))
            self.W_key = nn.Parameter(L.rand(d_in, d_out))
            self.W_value = nn.Parameter(L.rand(d_in, d_out))

        def forward(self, x):
            keys, queries, values = x @ self.W_key, x @ self.W_query, x @ self.W_value
            w = L.softmax(queries @ keys.T / keys.shape[-1] ** 0.5, dim=-1)
            return w @ values

    class SelfAttentionV2(nn.Module):
        def __init__(self, d_in, d_out, qkv_bias=False):
            super().__init__()
            self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
            self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
            self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)

        def forward(self, x):
            keys, queries, values = self.W_key(x), self.W_query(x), self.W_value(x)
            w = L.softmax(queries @ keys.T / keys.shape[-1] ** 0.5, dim=-1)
            return w @ values

    class CausalAttention(SelfAttentionV2):
        def __init__(self, d_in, d_out, context_length, dropout, qkv_bias=False):
            super().__init__(d_in, d_out, qkv_bias)
            self.dropout = nn.Dropout(dropout)
            self.register_buffer("mask", L.triu(L.ones(context_length, context_length),
                                                diagonal=1))

        def forward(self, x):
            b, n, d_in = x.shape
            keys, queries, values = self.W_key(x), self.W_query(x), self.W_value(x)
            s = queries @ keys.transpose(1, 2)
            s.masked_fill_(self.mask.bool()[:n, :n], -L.inf)
            w = self.dropout(L.softmax(s / keys.shape[-1] ** 0.5, dim=-1))
            return w @ values

    class MultiHeadAttentionWrapper(nn.Module):
        def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
            super().__init__()
            self.heads = nn.ModuleList([CausalAttention(d_in, d_out, context_length, dropout,
                                                        qkv_bias) for _ in range(num_heads)])

        def forward(self, x):
            return L.cat([head(x) for head in self.heads], dim=-1)

    class MultiHeadAttention(nn.Module):
        def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
            super().__init__()
            assert d_out % num_heads == 0, "d_out must be divisible by num_heads"
            self.d_out, self.num_heads, self.head_dim = d_out, num_heads, d_out // num_heads
            self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
            self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
            self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
            self.out_proj = nn.Linear(d_out, d_out)
            self.dropout = nn.Dropout(dropout)
            self.register_buffer("mask", L.triu(L.ones(context_length, context_length),
                                                diagonal=1))

        def forward(self, x):
            b, n, _ = x.shape
            shape = (b, n, self.num_heads, self.head_dim)
            keys = self.W_key(x).view(shape).transpose(1, 2)
            queries = self.W_query(x).view(shape).transpose(1, 2)
            values = self.W_value(x).view(shape).transpose(1, 2)
            s = queries @ keys.transpose(2, 3)
            s.masked_fill_(self.mask.bool()[:n, :n], -L.inf)
            w = self.dropout(L.softmax(s / keys.shape[-1] ** 0.5, dim=-1))
            ctx = (w @ values).transpose(1, 2).contiguous().view(b, n, self.d_out)
            return self.out_proj(ctx)

    return dict(v1=SelfAttentionV1, v2=SelfAttentionV2, CA=CausalAttention,
                MHAW=MultiHeadAttentionWrapper, MHA=MultiHeadAttention)


def gpt_classes(L):
    """Chapter 4: LayerNorm, GELU (tanh form), FeedForward, TransformerBlock, GPTModel."""
    nn = L.nn
    MHA = attention_classes(L)["MHA"]

    class LayerNorm(nn.Module):
        def __init__(self, emb_dim):
            super().__init__()
            self.eps = 1e-5
            self.scale = nn.Parameter(L.ones(emb_dim))
            self.shift = nn.Parameter(L.zeros(emb_dim))

        def forward(self, x):
            mean = x.mean(dim=-1, keepdim=True)
            var = x.var(dim=-1, keepdim=True, unbiased=False)
            return self.scale * ((x - mean) / L.sqrt(var + self.eps)) + self.shift

    class GELU(nn.Module):
        def forward(self, x):
            return 0.5 * x * (1 + L.tanh(L.sqrt(L.tensor(2.0 / L.pi))
                                         * (x + 0.044715 * L.pow(x, 3))))

    class FeedForward(nn.Module):
        def __init__(self, cfg):
            super().__init__()
            e = cfg["emb_dim"]
            self.layers = nn.Sequential(nn.Linear(e, 4 * e), GELU(), nn.Linear(4 * e, e))

        def forward(self, x):
            return self.layers(x)

    class TransformerBlock(nn.Module):
        def __init__(self, cfg):
            super().__init__()
            self.att = MHA(cfg["emb_dim"], cfg["emb_dim"], cfg["context_length"],
                           cfg["drop_rate"], cfg["n_heads"], cfg["qkv_bias"])
            self.ff = FeedForward(cfg)
            self.norm1, self.norm2 = LayerNorm(cfg["emb_dim"]), LayerNorm(cfg["emb_dim"])
            self.drop_shortcut = nn.Dropout(cfg["drop_rate"])

        def forward(self, x):
            x = self.drop_shortcut(self.att(self.norm1(x))) + x
            return self.drop_shortcut(self.ff(self.norm2(x))) + x

    class GPTModel(nn.Module):
        def __init__(self, cfg):
            super().__init__()
            self.tok_emb = nn.Embedding(cfg["vocab_size"], cfg["emb_dim"])
            self.pos_emb = nn.Embedding(cfg["context_length"], cfg["emb_dim"])
            self.drop_emb = nn.Dropout(cfg["drop_rate"])
            self.trf_blocks = nn.Sequential(*[TransformerBlock(cfg)
                                              for _ in range(cfg["n_layers"])])
            self.final_norm = LayerNorm(cfg["emb_dim"])
            self.out_head = nn.Linear(cfg["emb_dim"], cfg["vocab_size"], bias=False)

        def forward(self, in_idx):
            _, seq_len = in_idx.shape
            x = self.tok_emb(in_idx) + self.pos_emb(L.arange(seq_len, device=in_idx.device))
            x = self.trf_blocks(self.drop_emb(x))
            return self.out_head(self.final_norm(x))

    return dict(LayerNorm=LayerNorm, GELU=GELU, FeedForward=FeedForward, TB=TransformerBlock,
                GPT=GPTModel)


def gpt(L, seed=123, **cfg):
    L.manual_seed(seed)
    return gpt_classes(L)["GPT"](dict(CFG, **cfg))


def generate(L, model, idx, max_new_tokens, context_size, temperature=0.0, top_k=None,
             eos_id=None):
    """Chapter 5's generate: top-k filtering with torch.where, temperature, multinomial."""
    for _ in range(max_new_tokens):
        with L.no_grad():
            logits = model(idx[:, -context_size:])[:, -1, :]
        if top_k is not None:
            top_logits, _ = L.topk(logits, top_k)
            logits = L.where(logits < top_logits[:, -1], L.tensor(float("-inf")), logits)
        if temperature > 0.0:
            idx_next = L.multinomial(L.softmax(logits / temperature, dim=-1), num_samples=1)
        else:
            idx_next = L.argmax(logits, dim=-1, keepdim=True)
        if idx_next == eos_id:
            break
        idx = L.cat((idx, idx_next), dim=1)
    return idx


def loaders(L, max_length=8, batch_size=2, seed=0):
    """Chapter 2's GPTDatasetV1 (sliding windows, stride = max_length) in two DataLoaders."""
    ids = token_ids(seed=seed)

    class GPTDatasetV1(L.utils.data.Dataset):
        def __init__(self, tokens, max_len, stride):
            self.input_ids, self.target_ids = [], []
            for i in range(0, len(tokens) - max_len, stride):
                self.input_ids.append(L.tensor(tokens[i:i + max_len]))
                self.target_ids.append(L.tensor(tokens[i + 1:i + max_len + 1]))

        def __len__(self):
            return len(self.input_ids)

        def __getitem__(self, idx):
            return self.input_ids[idx], self.target_ids[idx]

    split = int(0.9 * len(ids))
    L.manual_seed(123)
    DataLoader = L.utils.data.DataLoader
    train = DataLoader(GPTDatasetV1(ids[:split], max_length, max_length), batch_size=batch_size,
                       shuffle=True, drop_last=True, num_workers=0)
    val = DataLoader(GPTDatasetV1(ids[split:], max_length, max_length), batch_size=batch_size,
                     shuffle=False, drop_last=False, num_workers=0)
    return train, val


def calc_loss_batch(L, input_batch, target_batch, model, device="cpu"):
    logits = model(input_batch.to(device))
    return L.nn.functional.cross_entropy(logits.flatten(0, 1), target_batch.to(device).flatten())


def calc_loss_loader(L, data_loader, model, device="cpu", num_batches=None):
    if len(data_loader) == 0:
        return float("nan")
    num_batches = len(data_loader) if num_batches is None else min(num_batches,
                                                                    len(data_loader))
    total = 0.0
    for i, (x, y) in enumerate(data_loader):
        if i >= num_batches:
            break
        total += calc_loss_batch(L, x, y, model, device).item()
    return total / num_batches
