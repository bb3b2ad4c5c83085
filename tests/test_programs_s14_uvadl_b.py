"""Session 14, UvA Deep Learning Course tutorials 2 and 6 (PyTorch intro on the XOR task,
transformers from scratch), small and on synthetic data, run live on ember and torch 2.13:
what the notebooks print, and the errors of common mistakes with that code. Printed values
are the notebooks' own formats; full-precision numbers that go through matrix products or
float32 tanh/softmax are compared to rtol 1e-5 (MKL against OpenBLAS, Sleef against NumPy:
README, "Differences")."""

import math

import numpy as np
from torch_compare import exact_and_close, same_error_case, same as _same

BLAS = dict(rtol=1e-5, atol=1e-6)


def _close(fn, **tol):
    """fn(L) -> (exact part, values compared to rounding: BLAS, unless told)."""
    exact_and_close(fn, **(tol or BLAS))


# ---- tutorial 2: PyTorch basics and the XOR classifier ------------------------------------

def test_tensor_basics_print_as_pytorch():
    def run(L):
        L.manual_seed(42)
        out = [repr(L.Tensor(2, 3, 4).shape), repr(L.Tensor([[1, 2], [3, 4]])),
               repr(L.rand(2, 3, 4))]
        x = L.rand(2, 3, 4)
        d1, d2, d3 = x.size()
        out += [f"Shape: {x.shape}", f"Size: {x.size()}", f"{d1} {d2} {d3}"]
        t = L.from_numpy(np.array([[1, 2], [3, 4]]))
        out += [repr(t), str(t.dtype), repr(L.arange(4).numpy())]
        x1, x2 = L.rand(2, 3), L.rand(2, 3)
        y = x1 + x2
        x2.add_(x1)
        out += [repr(y), repr(x2)]
        x = L.arange(6).view(2, 3)
        out += [repr(x), repr(x.permute(1, 0)), repr(L.matmul(x, L.arange(9).view(3, 3)))]
        x = L.arange(12).view(3, 4)
        out += [repr(x[:, 1]), repr(x[0]), repr(x[:2, -1]), repr(x[1:3, :])]
        x = L.arange(3, dtype=L.float32, requires_grad=True)
        a = x + 2
        y = ((a ** 2) + 3).mean()
        y.backward()
        out += [repr(x), repr(y), repr(x.grad), str(L.cuda.is_available()),
                str(L.device("cpu")), repr(L.zeros(2, 3).to(L.device("cpu")))]
        return out
    _same(run)


def _xor_program(L, epochs=5):
    nn, data = L.nn, L.utils.data
    L.manual_seed(42)

    class SimpleClassifier(nn.Module):
        def __init__(self, num_inputs, num_hidden, num_outputs):
            super().__init__()
            self.linear1 = nn.Linear(num_inputs, num_hidden)
            self.act_fn = nn.Tanh()
            self.linear2 = nn.Linear(num_hidden, num_outputs)

        def forward(self, x):
            return self.linear2(self.act_fn(self.linear1(x)))

    class XORDataset(data.Dataset):
        def __init__(self, size, std=0.1):
            super().__init__()
            self.size = size
            d = L.randint(low=0, high=2, size=(size, 2), dtype=L.float32)
            self.label = (d.sum(dim=1) == 1).to(L.long)
            d += std * L.randn(d.shape)
            self.data = d

        def __len__(self):
            return self.size

        def __getitem__(self, idx):
            return self.data[idx], self.label[idx]

    model = SimpleClassifier(2, 4, 1)
    out = [str(model)] + [f"{n} {tuple(p.shape)}" for n, p in model.named_parameters()]
    ds = XORDataset(size=200)
    out += [str(len(ds)), repr(ds[0])]
    inputs, labels = next(iter(data.DataLoader(ds, batch_size=8, shuffle=True)))
    out += [repr(inputs), repr(labels)]
    loss_module = nn.BCEWithLogitsLoss()
    optimizer = L.optim.SGD(model.parameters(), lr=0.1)
    loader = data.DataLoader(XORDataset(size=250), batch_size=32, shuffle=True)
    losses = []
    model.train()
    for _ in range(epochs):
        for x, y in loader:
            preds = model(x).squeeze(dim=1)
            loss = loss_module(preds, y.float())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    test = data.DataLoader(XORDataset(size=300), batch_size=128, shuffle=False, drop_last=False)
    model.eval()
    true_preds, num_preds = 0.0, 0.0
    with L.no_grad():
        for x, y in test:
            p = L.sigmoid(model(x).squeeze(dim=1))
            true_preds += ((p >= 0.5).long() == y).sum()
            num_preds += y.shape[0]
    acc = true_preds / num_preds
    out += [repr(true_preds), f"Accuracy of the model: {100.0 * acc:4.2f}%", repr(acc.dtype)]
    return out, model, np.array(losses, np.float32)


def test_xor_classifier_trains_and_evaluates_as_pytorch(tmp_path):
    """The whole notebook flow: model print, dataset, a shuffled batch, SGD training, the
    state_dict saved and loaded into a new model, accuracy under no_grad."""
    def run(L):
        out, model, losses = _xor_program(L)
        path = tmp_path / f"{L.__name__}.tar"
        L.save(model.state_dict(), path)
        sd = L.load(path)
        new = type(model)(2, 4, 1)
        out.append(str(new.load_state_dict(sd)))
        out.append(str(list(sd.keys())))
        out.append(repr(new.state_dict()["linear2.bias"].dtype))
        with L.no_grad():
            o = new(L.tensor([[0.0, 1.0], [1.0, 1.0]]))
        out += [str(o.requires_grad), str(o.grad_fn)]
        w = [v.numpy() for v in sd.values()]
        return out, [losses, o.numpy()] + w
    _close(run)


def test_xor_mistakes_raise_as_pytorch():
    def bce_int_target(L):
        L.nn.BCEWithLogitsLoss()(L.zeros(3), L.tensor([0, 1, 1]))

    def bce_shape(L):
        L.nn.BCEWithLogitsLoss()(L.zeros(3, 1), L.zeros(3))

    def wrong_sizes(L):
        m = L.nn.Sequential(L.nn.Linear(2, 4), L.nn.Tanh(), L.nn.Linear(4, 1))
        m2 = L.nn.Sequential(L.nn.Linear(2, 5), L.nn.Tanh(), L.nn.Linear(5, 1))
        m2.load_state_dict(m.state_dict())

    def missing_keys(L):
        m = L.nn.Sequential(L.nn.Linear(2, 4))
        sd = m.state_dict()
        del sd["0.bias"]
        sd["extra"] = L.zeros(1)
        m.load_state_dict(sd)

    def nograd_backward(L):
        x = L.ones(2, requires_grad=True)
        with L.no_grad():
            y = (x * 2).sum()
        y.backward()

    def numpy_of_grad_tensor(L):
        (L.ones(3, requires_grad=True) * 2).numpy()

    def int_requires_grad(L):
        L.arange(3, requires_grad=True)

    def int_float_matmul(L):
        L.matmul(L.arange(6).view(2, 3), L.rand(3, 3))

    def view_after_permute(L):
        L.arange(6).view(2, 3).permute(1, 0).view(6)

    for case in (bce_int_target, bce_shape, wrong_sizes, missing_keys, nograd_backward,
                 numpy_of_grad_tensor, int_requires_grad, int_float_matmul, view_after_permute):
        same_error_case(case)
    _same(lambda L: str(L.nn.Linear(2, 4).load_state_dict({}, strict=False)))


# ---- tutorial 6: transformers from scratch ------------------------------------------------

def _sdp(L, q, k, v, mask=None):
    logits = L.matmul(q, k.transpose(-2, -1)) / math.sqrt(q.size()[-1])
    if mask is not None:
        logits = logits.masked_fill(mask == 0, -9e15)
    attention = L.nn.functional.softmax(logits, dim=-1)
    return L.matmul(attention, v), attention


def _transformer_classes(L):
    nn, F = L.nn, L.nn.functional

    def expand_mask(mask):
        assert mask.ndim >= 2, "Mask must be at least 2-dimensional with seq_length x seq_length"
        if mask.ndim == 3:
            mask = mask.unsqueeze(1)
        while mask.ndim < 4:
            mask = mask.unsqueeze(0)
        return mask

    class MHA(nn.Module):
        def __init__(self, input_dim, embed_dim, num_heads):
            super().__init__()
            assert embed_dim % num_heads == 0, \
                "Embedding dimension must be 0 modulo number of heads."
            self.embed_dim, self.num_heads = embed_dim, num_heads
            self.head_dim = embed_dim // num_heads
            self.qkv_proj = nn.Linear(input_dim, 3 * embed_dim)
            self.o_proj = nn.Linear(embed_dim, embed_dim)
            nn.init.xavier_uniform_(self.qkv_proj.weight)
            self.qkv_proj.bias.data.fill_(0)
            nn.init.xavier_uniform_(self.o_proj.weight)
            self.o_proj.bias.data.fill_(0)

        def forward(self, x, mask=None, return_attention=False):
            b, s, _ = x.size()
            if mask is not None:
                mask = expand_mask(mask)
            qkv = self.qkv_proj(x).reshape(b, s, self.num_heads, 3 * self.head_dim)
            q, k, v = qkv.permute(0, 2, 1, 3).chunk(3, dim=-1)
            values, attention = _sdp(L, q, k, v, mask=mask)
            o = self.o_proj(values.permute(0, 2, 1, 3).reshape(b, s, self.embed_dim))
            return (o, attention) if return_attention else o

    class EncoderBlock(nn.Module):
        def __init__(self, input_dim, num_heads, dim_feedforward, dropout=0.0):
            super().__init__()
            self.self_attn = MHA(input_dim, input_dim, num_heads)
            self.linear_net = nn.Sequential(
                nn.Linear(input_dim, dim_feedforward), nn.Dropout(dropout),
                nn.ReLU(inplace=True), nn.Linear(dim_feedforward, input_dim))
            self.norm1, self.norm2 = nn.LayerNorm(input_dim), nn.LayerNorm(input_dim)
            self.dropout = nn.Dropout(dropout)

        def forward(self, x, mask=None):
            x = self.norm1(x + self.dropout(self.self_attn(x, mask=mask)))
            return self.norm2(x + self.dropout(self.linear_net(x)))

    class PositionalEncoding(nn.Module):
        def __init__(self, d_model, max_len=64):
            super().__init__()
            pe = L.zeros(max_len, d_model)
            position = L.arange(0, max_len, dtype=L.float).unsqueeze(1)
            div = L.exp(L.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
            pe[:, 0::2] = L.sin(position * div)
            pe[:, 1::2] = L.cos(position * div)
            self.register_buffer("pe", pe.unsqueeze(0), persistent=False)

        def forward(self, x):
            return x + self.pe[:, : x.size(1)]

    class CosineWarmupScheduler(L.optim.lr_scheduler._LRScheduler):
        def __init__(self, optimizer, warmup, max_iters):
            self.warmup, self.max_num_iters = warmup, max_iters
            super().__init__(optimizer)

        def get_lr(self):
            f = 0.5 * (1 + np.cos(np.pi * self.last_epoch / self.max_num_iters))
            if self.last_epoch <= self.warmup:
                f *= self.last_epoch * 1.0 / self.warmup
            return [base_lr * f for base_lr in self.base_lrs]

    return expand_mask, MHA, EncoderBlock, PositionalEncoding, CosineWarmupScheduler, F


def test_scaled_dot_product_and_masks_print_as_pytorch():
    def run(L):
        L.manual_seed(42)
        q, k, v = L.randn(3, 2), L.randn(3, 2), L.randn(3, 2)
        out = [repr(t) for t in (q, k, v) + _sdp(L, q, k, v)]
        out += [repr(t) for t in _sdp(L, q, k, v, L.tril(L.ones(3, 3)))]
        expand_mask = _transformer_classes(L)[0]
        out.append(repr(expand_mask(L.ones(2, 5, 5)).shape))
        return out
    _same(run)


def test_transformer_reverse_task_trains_as_pytorch():
    """Encoder block with the notebook's MHA, positional encoding buffer (not in the
    state_dict), the cosine-warmup scheduler subclass, 12 Adam steps, attention maps."""
    def run(L):
        expand_mask, MHA, Block, PE, Sched, F = _transformer_classes(L)
        L.manual_seed(0)
        nn = L.nn
        inp, pe, block = nn.Linear(10, 16), PE(16), Block(16, 2, 32, dropout=0.1)
        head = nn.Sequential(nn.Linear(16, 16), nn.LayerNorm(16), nn.ReLU(inplace=True),
                             nn.Linear(16, 10))
        params = [*inp.parameters(), *block.parameters(), *head.parameters()]
        opt = L.optim.Adam(params, lr=5e-4)
        sched = Sched(opt, warmup=4, max_iters=40)
        out = [str(block), str(sorted(pe.state_dict().keys())),
               str([n for n, _ in pe.named_buffers()])]
        losses = []
        for _ in range(12):
            data = L.randint(10, size=(8, 6))
            labels = L.flip(data, dims=(1,))
            x = F.one_hot(data, num_classes=10).float()
            preds = head(block(pe(inp(x))))
            loss = F.cross_entropy(preds.view(-1, preds.size(-1)), labels.view(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
            out.append(repr(sched.get_last_lr()))
        block.eval()
        with L.no_grad():
            _, attn = block.self_attn(pe(inp(x[:2])), return_attention=True)
        out += [repr(attn.shape), str(sched.state_dict()["last_epoch"])]
        return out, [np.array(losses), attn.numpy(), attn.sum(-1).numpy()]
    _close(run)


def test_transformer_mistakes_raise_as_pytorch():
    def heads(L):
        _transformer_classes(L)[1](8, 9, 2)

    def shapes(L):
        _sdp(L, L.randn(2, 3, 4), L.randn(2, 5, 3), L.randn(2, 5, 4))

    def mask_rank(L):
        _transformer_classes(L)[0](L.ones(3))

    def mask_batch(L):
        mha = _transformer_classes(L)[1](8, 8, 2)
        mha(L.randn(2, 5, 8), mask=L.ones(3, 5, 5))

    def mask_fill_dtype(L):
        L.zeros(2, 2).masked_fill(L.ones(2, 2), -9e15)

    for case in (heads, shapes, mask_rank, mask_batch, mask_fill_dtype):
        same_error_case(case)
