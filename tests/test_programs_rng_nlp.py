"""makemore / nanoGPT / char-RNN style programs, run under ember and live torch 2.13 with the
same seeds: samples and draws must be identical, trained losses equal up to float32 rounding
of BLAS products (rtol 1e-5 over a few dozen steps; the draws themselves never differ)."""

import math
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import ember

NAMES = ("emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily "
         "liam noah william james oliver benjamin elijah lucas mason logan alexander ethan "
         "jacob michael daniel henry jackson sebastian aiden matthew samuel david").split()
CHARS = sorted(set("".join(NAMES)))
STOI = {s: i + 1 for i, s in enumerate(CHARS)}
STOI["."] = 0
ITOS = {i: s for s, i in STOI.items()}
V = len(STOI)


def bigram_program(L):
    """makemore part 1: counts, sampling names with a seeded Generator, then the one-layer
    net trained by hand."""
    N = L.zeros((V, V), dtype=L.int32)
    xs, ys = [], []
    for w in NAMES:
        chs = ["."] + list(w) + ["."]
        for a, b in zip(chs, chs[1:]):
            N[STOI[a], STOI[b]] += 1
            xs.append(STOI[a])
            ys.append(STOI[b])
    P = (N + 1).float()
    P /= P.sum(1, keepdims=True)
    g = L.Generator().manual_seed(2147483647)
    names = []
    for _ in range(10):
        ix, out = 0, []
        while True:
            ix = L.multinomial(P[ix], num_samples=1, replacement=True, generator=g).item()
            out.append(ITOS[ix])
            if ix == 0:
                break
        names.append("".join(out))
    xs, ys = L.tensor(xs), L.tensor(ys)
    g = L.Generator().manual_seed(2147483647)
    W = L.randn((V, V), generator=g, requires_grad=True)
    losses = []
    for _ in range(20):
        xenc = L.nn.functional.one_hot(xs, num_classes=V).float()
        probs = (xenc @ W).exp()
        probs = probs / probs.sum(1, keepdims=True)
        loss = -probs[L.arange(xs.nelement()), ys].log().mean() + 0.01 * (W ** 2).mean()
        losses.append(loss.item())
        W.grad = None
        loss.backward()
        W.data += -50 * W.grad
    return names, losses


def test_bigram_counts_sampling_and_net():
    e_names, e_losses = bigram_program(ember)
    t_names, t_losses = bigram_program(torch)
    assert e_names == t_names
    np.testing.assert_allclose(e_losses, t_losses, rtol=1e-5)


def mlp_program(L, steps=30):
    """makemore part 2/3: embedding table, minibatches from torch.randint, cross_entropy,
    hand-written batch norm on kaiming-scaled randn weights, then sampling."""
    F = L.nn.functional
    X, Y = [], []
    for w in NAMES:
        ctx = [0, 0, 0]
        for ch in w + ".":
            X.append(ctx)
            Y.append(STOI[ch])
            ctx = ctx[1:] + [STOI[ch]]
    X, Y = L.tensor(X), L.tensor(Y)
    g = L.Generator().manual_seed(2147483647)
    C = L.randn((V, 10), generator=g)
    W1 = L.randn((30, 64), generator=g) * (5 / 3) / 30 ** 0.5
    W2 = L.randn((64, V), generator=g) * 0.01
    b2 = L.randn(V, generator=g) * 0
    gain, bias = L.ones((1, 64)), L.zeros((1, 64))
    params = [C, W1, W2, b2, gain, bias]
    for p in params:
        p.requires_grad = True
    losses, batches = [], []
    for _ in range(steps):
        ix = L.randint(0, X.shape[0], (32,), generator=g)
        batches.append(ix.tolist())
        h = C[X[ix]].view(32, -1) @ W1
        h = gain * (h - h.mean(0, keepdim=True)) / h.std(0, keepdim=True) + bias
        loss = F.cross_entropy(L.tanh(h) @ W2 + b2, Y[ix])
        for p in params:
            p.grad = None
        loss.backward()
        for p in params:
            p.data += -0.1 * p.grad
        losses.append(loss.item())
    return losses, batches


def test_mlp_batchnorm_minibatches():
    e_losses, e_batches = mlp_program(ember)
    t_losses, t_batches = mlp_program(torch)
    assert e_batches == t_batches
    np.testing.assert_allclose(e_losses, t_losses, rtol=1e-5)


def gpt_program(L, flash):
    """A nanoGPT-shaped transformer: nn.Embedding, LayerNorm, causal attention with dropout
    (by hand or through scaled_dot_product_attention), normal_(0, 0.02) init, AdamW with
    decay groups, torch.randint batches, generate() with top-k and multinomial."""
    nn, F = L.nn, L.nn.functional
    text = "First Citizen: Before we proceed any further, hear me speak. All: Speak. " * 4
    chars = sorted(set(text))
    data = L.tensor([chars.index(c) for c in text])
    T, E, H = 16, 32, 4

    class Attn(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn, self.c_proj = nn.Linear(E, 3 * E), nn.Linear(E, E)
            self.drop = nn.Dropout(0.1)
            self.register_buffer("mask", L.tril(L.ones(T, T)).view(1, 1, T, T))

        def forward(self, x):
            B, t, _ = x.shape
            q, k, v = (z.view(B, t, H, E // H).transpose(1, 2)
                       for z in self.c_attn(x).split(E, dim=2))
            if flash:
                y = F.scaled_dot_product_attention(q, k, v, dropout_p=0.1 if self.training
                                                   else 0, is_causal=True)
            else:
                att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(E // H))
                att = att.masked_fill(self.mask[:, :, :t, :t] == 0, float("-inf"))
                y = self.drop(F.softmax(att, dim=-1)) @ v
            return self.drop(self.c_proj(y.transpose(1, 2).contiguous().view(B, t, E)))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte, self.wpe = nn.Embedding(len(chars), E), nn.Embedding(T, E)
            self.ln1, self.ln2 = nn.LayerNorm(E), nn.LayerNorm(E)
            self.attn = Attn()
            self.mlp = nn.Sequential(nn.Linear(E, 4 * E), nn.GELU(), nn.Linear(4 * E, E),
                                     nn.Dropout(0.1))
            self.head = nn.Linear(E, len(chars), bias=False)
            self.wte.weight = self.head.weight
            for m in self.modules():
                if isinstance(m, (nn.Linear, nn.Embedding)):
                    L.nn.init.normal_(m.weight, mean=0.0, std=0.02)

        def forward(self, idx):
            x = self.wte(idx) + self.wpe(L.arange(idx.shape[1]))
            x = x + self.attn(self.ln1(x))
            return self.head(self.ln2(x + self.mlp(x)))

    L.manual_seed(1337)
    model = GPT()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    opt = L.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                         {"params": rest, "weight_decay": 0.0}], lr=1e-3, betas=(0.9, 0.99))
    losses = []
    for _ in range(15):
        ix = L.randint(len(data) - T, (4,))
        x = L.stack([data[i:i + T] for i in ix])
        y = L.stack([data[i + 1:i + T + 1] for i in ix])
        loss = F.cross_entropy(model(x).view(-1, len(chars)), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        L.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    model.eval()
    idx = L.zeros((1, 1), dtype=L.long)
    with L.no_grad():
        for _ in range(30):
            logits = model(idx[:, -T:])[:, -1, :]
            v, _ = L.topk(logits, 5)
            logits[logits < v[:, [-1]]] = -float("Inf")
            idx = L.cat((idx, L.multinomial(F.softmax(logits, dim=-1), num_samples=1)), 1)
    return losses, idx[0].tolist()


@pytest.mark.parametrize("flash", [False, True])
def test_nanogpt_tiny(flash):
    e_losses, e_text = gpt_program(ember, flash)
    t_losses, t_text = gpt_program(torch, flash)
    np.testing.assert_allclose(e_losses, t_losses, rtol=1e-5)
    assert e_text == t_text


def char_rnn_program(L):
    """The PyTorch tutorial's char-RNN name classifier: nn.Linear cells, examples chosen
    with torch.randint, manual SGD with p.data.add_."""
    nn = L.nn
    cats = {"en": ["Smith", "Jones", "Brown"], "fr": ["Dubois", "Moreau", "Girard"],
            "jp": ["Sato", "Tanaka", "Ito"]}
    keys = list(cats)
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

    class RNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.i2h = nn.Linear(len(letters) + 32, 32)
            self.h2o = nn.Linear(32, len(keys))
            self.softmax = nn.LogSoftmax(dim=1)

        def forward(self, x, h):
            h = L.tanh(self.i2h(L.cat((x, h), 1)))
            return self.softmax(self.h2o(h)), h

    L.manual_seed(0)
    rnn, crit = RNN(), nn.NLLLoss()
    choice = lambda seq: seq[L.randint(0, len(seq), (1,)).item()]  # noqa: E731
    losses, picks = [], []
    for _ in range(40):
        cat = choice(keys)
        name = choice(cats[cat])
        picks.append(name)
        line = L.zeros(len(name), 1, len(letters))
        for i, ch in enumerate(name):
            line[i][0][letters.find(ch)] = 1
        h = L.zeros(1, 32)
        rnn.zero_grad()
        for i in range(line.size(0)):
            out, h = rnn(line[i], h)
        loss = crit(out, L.tensor([keys.index(cat)]))
        loss.backward()
        for p in rnn.parameters():
            p.data.add_(p.grad.data, alpha=-0.005)
        losses.append(loss.item())
    return losses, picks


def test_char_rnn_classifier():
    e_losses, e_picks = char_rnn_program(ember)
    t_losses, t_picks = char_rnn_program(torch)
    assert e_picks == t_picks
    np.testing.assert_allclose(e_losses, t_losses, rtol=1e-5)


def test_histogram_of_a_grad_tensor_is_recorded_without_derivative():
    """Karpathy's activation histograms: torch.histogram(t) of a tensor needing grad gives
    outputs that require grad (grad_fn NotImplemented) and backward raises."""
    outs = []
    for L in (ember, torch):
        t = L.tensor([0.1, -0.5, 0.7, 0.2], requires_grad=True)
        hist, edges = L.histogram(t, bins=3)
        with pytest.raises(RuntimeError) as err:
            hist.sum().backward()
        outs.append((hist.requires_grad, edges.requires_grad, type(hist.grad_fn).__name__,
                     hist[:2].grad_fn.name(), str(err.value), hist.tolist()))
        assert L.histogram(t.detach(), bins=3).hist.grad_fn is None
    assert outs[0] == outs[1]


def _err(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - comparing what each library raises
        return type(e).__name__, str(e).split("\n")[0]
    return None


MULTINOMIAL_CASES = [
    lambda L: L.multinomial(L.tensor(1.0), 1),
    lambda L: L.multinomial(L.tensor([1, 2]), 1),
    lambda L: L.multinomial(L.tensor([True, False]), 1),
    lambda L: L.multinomial(L.rand(2, 3, 4), 1),
    lambda L: L.multinomial(L.rand(2, 3, 4).long(), 1),
    lambda L: L.multinomial(L.rand(3), 0),
    lambda L: L.multinomial(L.rand(3), -1, True),
    lambda L: L.multinomial(L.tensor([1.0, -1.0]), 0, True),
    lambda L: L.multinomial(L.rand(3), 4),
    lambda L: L.multinomial(L.rand(2, 0), 1),
    lambda L: L.multinomial(L.rand(3), 2.0),
    lambda L: L.multinomial(L.tensor([0.0, 0.0]), 1),
    lambda L: L.multinomial(L.tensor([float("nan"), 1.0]), 2, True),
]


@pytest.mark.parametrize("case", range(len(MULTINOMIAL_CASES)))
def test_multinomial_argument_checks(case):
    fn = MULTINOMIAL_CASES[case]
    expected = _err(lambda: fn(torch))
    assert expected is not None
    assert _err(lambda: fn(ember)) == expected


def test_multinomial_empty_rows():
    assert tuple(ember.multinomial(ember.rand(0, 3), 2).shape) == (0, 2)


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_multinomial_without_replacement_past_the_nonzero_categories(seed):
    """Once the positive categories run out, PyTorch goes on with zero-probability ones
    (the Gumbel top-k) instead of raising; the positive ones come first, in the same order.
    (The order among the zero ties is PyTorch's topk's and is not compared.)"""
    p = [0.0, 2.0, 0.0, 0.0, 1.0, 0.0]
    ember.manual_seed(seed)
    torch.manual_seed(seed)
    e = ember.multinomial(ember.tensor(p), 6).tolist()
    t = torch.multinomial(torch.tensor(p), 6).tolist()
    assert e[:2] == t[:2] and sorted(e) == sorted(t) == list(range(6))
    after_e, after_t = ember.rand(3), torch.rand(3)  # the same number of draws
    np.testing.assert_array_equal(after_e.numpy(), after_t.numpy())


SEED_CASES = [
    lambda L: L.Generator().manual_seed(2.5),
    lambda L: L.Generator().manual_seed(True),
    lambda L: L.Generator().manual_seed(L.tensor(3)),
    lambda L: L.Generator().manual_seed(2 ** 64),
    lambda L: L.manual_seed(2 ** 64),
    lambda L: L.manual_seed(-2 ** 63 - 1),
    lambda L: L.Generator().manual_seed(np.int64(4)),
]


@pytest.mark.parametrize("case", range(len(SEED_CASES)))
def test_manual_seed_argument_checks(case):
    fn = SEED_CASES[case]
    expected = _err(lambda: fn(torch))
    assert expected is not None
    assert _err(lambda: fn(ember)) == expected


def test_manual_seed_accepts_what_torch_converts():
    for L in (ember, torch):
        assert L.manual_seed(2.5).initial_seed() == 2
        assert L.manual_seed(L.tensor(3)).initial_seed() == 3
        assert L.manual_seed(True).initial_seed() == 1
        assert L.manual_seed(np.int64(4)).initial_seed() == 4
        assert L.Generator().manual_seed(-1).initial_seed() == 2 ** 64 - 1


def test_randint_three_ints_message():
    with pytest.raises(TypeError) as t:
        torch.randint(0, 10, 3)
    with pytest.raises(TypeError) as e:
        ember.randint(0, 10, 3)
    assert str(e.value) == str(t.value)


def test_run_gives_the_script_an_absolute_file(tmp_path):
    """`python script.py` gives __file__ (and warnings' and tracebacks' paths) as absolute
    paths; ember.run must too."""
    (tmp_path / "s.py").write_text("import sys\nprint(__file__)\nprint(sys.argv[0])\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    outs = [subprocess.run([sys.executable, *pre, "s.py"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, check=True).stdout
            for pre in ([], ["-m", "ember.run"])]
    assert outs[0] == outs[1] == f"{tmp_path / 's.py'}\ns.py\n"
