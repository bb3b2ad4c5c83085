"""Session 14: Raschka's "Build a Large Language Model (From Scratch)" chapters 2-4 at toy
sizes (integer token ids for tiktoken's), run on ember and compared live with torch 2.13:
sliding-window datasets, embeddings, the attention classes and the GPT model, and
``torch.compile``'s wrapper (the training-speed bonus code compiles the GPT).

Printed text is compared exactly. Values that pass through a sum along a dim (the
LayerNorm's mean), float32 tanh (GELU), softmax's exp or a matrix product are compared to
float32 rounding: those last bits are known gaps (README, Differences)."""

import copy

import numpy as np
from llmscratch_util import (CFG, INPUTS, attention_classes, errors, generate, gpt,
                             gpt_classes, printed, token_ids)
from torch_compare import run_both

_F32 = dict(rtol=2e-6, atol=2e-7)  # float32 rounding (see the docstring)


# ---- chapter 2 ---------------------------------------------------------------------------

def test_sliding_window_dataloader_and_embeddings_print_as_torch():
    def run(L):
        ids = token_ids(200)

        class GPTDatasetV1(L.utils.data.Dataset):
            def __init__(self, tokens, max_length, stride):
                self.x, self.y = [], []
                for i in range(0, len(tokens) - max_length, stride):
                    self.x.append(L.tensor(tokens[i:i + max_length]))
                    self.y.append(L.tensor(tokens[i + 1:i + max_length + 1]))

            def __len__(self):
                return len(self.x)

            def __getitem__(self, i):
                return self.x[i], self.y[i]
        ds = GPTDatasetV1(ids, 4, 4)
        L.manual_seed(123)
        dl = L.utils.data.DataLoader(ds, batch_size=8, shuffle=False, drop_last=True,
                                     num_workers=0)
        inputs, targets = next(iter(dl))
        print("Token IDs:\n", inputs, "\nInputs shape:\n", inputs.shape, targets.dtype)
        one = iter(L.utils.data.DataLoader(ds, batch_size=1, shuffle=False))
        print(next(one), next(one))
        for x, y in L.utils.data.DataLoader(ds, batch_size=8, shuffle=True, drop_last=True):
            print(x[0], y[0])
        L.manual_seed(123)
        tok = L.nn.Embedding(50, 3)
        print(tok.weight, tok(L.tensor([2, 3, 5, 1])), tok(L.tensor([3])))
        pos = L.nn.Embedding(4, 3)(L.arange(4))
        emb = tok(inputs) + pos
        print(pos.shape, pos, emb.shape, emb[0])
    want, got = printed(run)
    assert got == want


# ---- chapter 3 ---------------------------------------------------------------------------

def test_simplified_attention_scores_weights_and_context_vectors():
    def run(L):
        inputs = L.tensor(INPUTS)
        query = inputs[1]
        scores = L.empty(inputs.shape[0])
        for i, x_i in enumerate(inputs):
            scores[i] = L.dot(x_i, query)
        res = 0.
        for i, element in enumerate(inputs[0]):
            res += inputs[0][i] * query[i]
        print(scores, res, L.dot(inputs[0], query))
        print("Attention weights:", scores / scores.sum(), "Sum:", (scores / scores.sum()).sum())
        naive = L.exp(scores) / L.exp(scores).sum(dim=0)
        w = L.softmax(scores, dim=0)
        print(naive, naive.sum(), w, w.sum())
        ctx = L.zeros(query.shape)
        for i, x_i in enumerate(inputs):
            ctx += w[i] * x_i
        all_scores = L.empty(6, 6)
        for i, x_i in enumerate(inputs):
            for j, x_j in enumerate(inputs):
                all_scores[i, j] = L.dot(x_i, x_j)
        weights = L.softmax(inputs @ inputs.T, dim=-1)
        print(ctx, all_scores, inputs @ inputs.T, weights, weights.sum(dim=-1), weights @ inputs)
        L.manual_seed(123)
        W_q, W_k, W_v = (L.nn.Parameter(L.rand(3, 2), requires_grad=False) for _ in range(3))
        keys, values, q2 = inputs @ W_k, inputs @ W_v, inputs[1] @ W_q
        print(W_q, q2, "keys.shape:", keys.shape, q2.dot(keys[1]), q2 @ keys.T)
        w2 = L.softmax(q2 @ keys.T / keys.shape[-1] ** 0.5, dim=-1)
        print(w2, w2 @ values)
    want, got = printed(run)
    assert got == want


def test_attention_classes_masks_dropout_and_heads_print_as_torch():
    def run(L):
        C = attention_classes(L)
        inputs = L.tensor(INPUTS)
        L.manual_seed(123)
        print(C["v1"](3, 2)(inputs))
        L.manual_seed(789)
        sa = C["v2"](3, 2)
        print(sa(inputs), sa)
        q, k = sa.W_query(inputs), sa.W_key(inputs)
        scores = q @ k.T
        w = L.softmax(scores / k.shape[-1] ** 0.5, dim=-1)
        simple = w * L.tril(L.ones(6, 6))
        print(simple / simple.sum(dim=-1, keepdim=True))
        masked = scores.masked_fill(L.triu(L.ones(6, 6), diagonal=1).bool(), -L.inf)
        w = L.softmax(masked / k.shape[-1] ** 0.5, dim=1)
        print(masked, w)
        L.manual_seed(123)
        drop = L.nn.Dropout(0.5)
        print(drop(L.ones(6, 6)))
        L.manual_seed(123)
        print(drop(w))
        batch = L.stack((inputs, inputs), dim=0)
        for name, args in (("CA", (3, 2, 6, 0.0)), ("MHAW", (3, 2, 6, 0.0, 2)),
                           ("MHA", (3, 2, 6, 0.0, 2))):
            L.manual_seed(123)
            m = C[name](*args)
            out = m(batch)
            print(out, "context_vecs.shape:", out.shape, list(m.state_dict()))
        print(m)
        a = L.tensor([[[[0.2745, 0.6584, 0.2775, 0.8573], [0.8993, 0.0390, 0.9268, 0.7388],
                        [0.7179, 0.7058, 0.9156, 0.4340]],
                       [[0.0772, 0.3565, 0.1479, 0.5331], [0.4066, 0.2318, 0.4545, 0.9737],
                        [0.4606, 0.5159, 0.4220, 0.5786]]]])
        print(a @ a.transpose(2, 3), a[0, 0] @ a[0, 0].T)
        L.manual_seed(1)
        m = C["MHA"](3, 4, 6, 0.1, num_heads=2)  # dropout in training mode
        out = m(batch)
        out.sum().backward()
        print(out, m.W_query.weight.grad, m.eval()(batch), sum(p.numel() for p in m.parameters()))
    want, got = printed(run)
    assert got == want


def test_exercise_3_1_weights_moved_between_v1_and_v2():
    def run(L):
        C = attention_classes(L)
        inputs = L.tensor(INPUTS)
        L.manual_seed(123)
        v1, v2 = C["v1"](3, 2), C["v2"](3, 2)
        v1.W_query = L.nn.Parameter(v2.W_query.weight.T)
        v1.W_key = L.nn.Parameter(v2.W_key.weight.T)
        v1.W_value = L.nn.Parameter(v2.W_value.weight.T)
        print(v1(inputs), v2(inputs), v1.W_query.is_contiguous(), v1.W_query.stride())
        v2.W_query.weight = L.nn.Parameter(v1.W_query)  # untransposed: a shape error
        v2(inputs)
    want, got = printed(run)
    assert got == want


def test_attention_mistakes_raise_torch_errors():
    def run(L):
        C = attention_classes(L)
        L.manual_seed(0)
        x = L.rand(2, 6, 4)
        return errors(L, [
            lambda: C["MHA"](4, 6, 6, 0.0, num_heads=4),
            lambda: C["MHA"](4, 4, 6, 0.0, num_heads=2)(L.rand(6, 4)),
            lambda: C["CA"](4, 2, 4, 0.0)(x),  # context_length shorter than the input
            lambda: C["v2"](4, 2)(x),  # keys.T of a batch
            lambda: C["CA"](4, 2, 6, 0.0)(x).transpose(1, 2).view(2, -1),
            lambda: L.rand(6, 6).masked_fill_(L.ones(6, 6), -L.inf),
            lambda: L.rand(6, 6).masked_fill_(L.ones(5, 5).bool(), -L.inf),
            lambda: L.cat([L.rand(2, 3), L.rand(3, 3)], dim=-1),
            lambda: L.nn.Embedding(10, 3)(L.tensor([1.0, 2.0])),
            lambda: L.nn.Embedding(10, 3)(L.tensor([10])),
            lambda: L.dot(L.rand(3), L.rand(2, 3)),
            lambda: L.rand(2, 3) @ L.rand(2, 3)])
    want, got = run_both(run)
    assert got == want


# ---- chapter 4 ---------------------------------------------------------------------------

def test_layer_norm_gelu_and_feedforward():
    def run(L):
        G = gpt_classes(L)
        L.manual_seed(123)
        x = L.randn(2, 5)
        out = L.nn.Sequential(L.nn.Linear(5, 6), L.nn.ReLU())(x)
        ln = G["LayerNorm"](5)(x)
        g = L.linspace(-3, 3, 100)
        ff = G["FeedForward"](CFG)(L.rand(2, 3, 12))
        return [t.detach().numpy() for t in (
            out, out.mean(dim=-1, keepdim=True), out.var(dim=-1, keepdim=True), ln,
            ln.mean(dim=-1, keepdim=True), ln.var(dim=-1, unbiased=False, keepdim=True),
            G["GELU"]()(g), L.nn.ReLU()(g), L.sqrt(L.tensor(2.0 / L.pi)), ff)] + [ff.shape]
    want, got = run_both(run)
    assert got[-1] == want[-1]
    for g, w in zip(got[:-1], want[:-1]):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, **_F32)


def test_shortcut_connections_gradient_printing():
    def run(L):
        G = gpt_classes(L)

        class ExampleDeepNeuralNetwork(L.nn.Module):
            def __init__(self, sizes, use_shortcut):
                super().__init__()
                self.use_shortcut = use_shortcut
                self.layers = L.nn.ModuleList([L.nn.Sequential(
                    L.nn.Linear(sizes[i], sizes[i + 1]), G["GELU"]()) for i in range(5)])

            def forward(self, x):
                for layer in self.layers:
                    out = layer(x)
                    x = x + out if self.use_shortcut and x.shape == out.shape else out
                return x
        grads = []
        for shortcut in (False, True):
            L.manual_seed(123)
            model = ExampleDeepNeuralNetwork([3, 3, 3, 3, 3, 1], shortcut)
            loss = L.nn.MSELoss()(model(L.tensor([[1., 0., -1.]])), L.tensor([[0.]]))
            loss.backward()
            for name, param in model.named_parameters():
                if "weight" in name:
                    grads.append((name, param.grad.abs().mean().item()))
        return grads
    want, got = run_both(run)
    assert [n for n, _ in got] == [n for n, _ in want]
    np.testing.assert_allclose([v for _, v in got], [v for _, v in want], rtol=1e-6)


def test_gpt_model_parameters_weight_tying_and_greedy_generation():
    def run(L):
        model = gpt(L)
        batch = L.tensor([[6, 26, 0, 45], [9, 10, 22, 7]])
        out = model(batch)
        total = sum(p.numel() for p in model.parameters())
        facts = [total, tuple(out.shape), tuple(model.tok_emb.weight.shape),
                 tuple(model.out_head.weight.shape),
                 total - sum(p.numel() for p in model.out_head.parameters()),
                 f"{total * 4 / (1024 * 1024):.2f} MB",
                 sum(p.numel() for p in model.trf_blocks[0].ff.parameters()),
                 sum(p.numel() for p in model.trf_blocks[0].att.parameters()), repr(model)]
        model.eval()
        ids = generate(L, model, L.tensor([[15, 7, 3, 11]]), 6, CFG["context_length"])
        model.out_head.weight = model.tok_emb.weight  # weight tying
        facts += [ids.squeeze(0).tolist(), sum(p.numel() for p in model.parameters()),
                  len(list(model.named_parameters())), len(model.state_dict())]
        return facts, out.detach().numpy()
    want, got = run_both(run)
    assert got[0] == want[0]
    np.testing.assert_allclose(got[1], want[1], **_F32)


# ---- torch.compile (the training-speed bonus code) ----------------------------------------

def test_compiled_model_is_wrapped_and_its_state_dict_prefixed():
    def run(L):
        model = gpt(L)
        model.eval()
        compiled = L.compile(model, backend="eager")  # (inductor: seconds to compile)
        x = L.tensor([[1, 2, 3]])
        keys = list(compiled.state_dict())
        try:
            gpt(L).load_state_dict(compiled.state_dict())
        except RuntimeError as err:
            load_error = str(err).splitlines()[:3]
        plain = gpt(L, seed=5)
        fixed = plain.load_state_dict({k.replace("_orig_mod.", ""): v
                                       for k, v in compiled.state_dict().items()})
        compiled.train()
        facts = [type(compiled).__name__, keys[:3], len(keys), load_error, str(fixed),
                 compiled._orig_mod is model, compiled.trf_blocks[0].att.num_heads,
                 model.training, compiled.eval() is compiled, model.training,
                 [n for n, _ in compiled.named_modules()][:3], repr(compiled)[:60],
                 L.compile(model, disable=True) is model,
                 type(copy.deepcopy(compiled)).__name__,
                 isinstance(compiled, L._dynamo.eval_frame.OptimizedModule)]
        compiled.extra = 7  # attributes set on the wrapper land on the model
        facts.append(getattr(model, "extra", None))
        # (PyTorch's first compiled call traces for a second or more: ember's only)
        called = compiled(x).detach().numpy() if L.__name__ == "ember" else None
        return facts, called, model.eval()(x).detach().numpy()
    import torch._dynamo  # noqa: F401 - (torch._dynamo is imported lazily)
    want, got = run_both(run)
    assert got[0] == want[0]
    np.testing.assert_array_equal(got[1], got[2])  # ember runs the model itself
    np.testing.assert_allclose(got[2], want[2], **_F32)


def test_graph_drawing_shows_one_node_per_parameter_with_tied_weights():
    """A torchviz-style walk (nodes keyed by id, edges drawn before visiting) of the GPT's
    loss with the output head tied to the token embedding: one AccumulateGrad per
    parameter, and no edge from a node that was never drawn."""
    def run(L):
        model = gpt(L)
        model.out_head.weight = model.tok_emb.weight
        loss = model(L.tensor([[1, 2, 3]])).logsumexp(-1).mean()
        drawn, edges, seen, leaves = set(), [], [], set()

        def add(fn):
            if any(fn is s for s in seen):
                return
            seen.append(fn)  # (held, so ids stay unique)
            drawn.add(id(fn))
            if hasattr(fn, "variable"):
                leaves.add(id(fn.variable))
            for nxt, _ in fn.next_functions:
                if nxt is not None:
                    edges.append(id(nxt))
                    add(nxt)
        add(loss.grad_fn)
        accumulators = [s for s in seen if hasattr(s, "variable")]
        return (len(accumulators), len(leaves), all(e in drawn for e in edges),
                len(list(model.parameters())))
    want, got = run_both(run)
    assert got == want
