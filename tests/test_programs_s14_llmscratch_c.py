"""Session 14: Raschka's "Build a Large Language Model (From Scratch)" chapters 6-7,
appendices A, D and E and the bonus attention code (KV cache, the MHA variants, Llama's
RoPE and grouped-query attention) at toy sizes, run on ember and compared live with torch
2.13. Printed text, ids, counts and errors are compared exactly; trained values to float32
rounding (cross-entropy/softmax exp, matrix products, sums along a dim: README, Differences).
"""

import math
from functools import partial

import numpy as np
from llmscratch_util import CFG, calc_loss_batch, errors, gpt, loaders, printed
from torch_compare import run_both

_F32 = dict(rtol=2e-5, atol=2e-6)


# ---- chapter 6: classification finetuning ------------------------------------------------

def test_classifier_finetuning_frozen_body_new_head_last_token_accuracy():
    def run(L):
        rng = np.random.default_rng(1)
        texts = [rng.integers(0 if i % 2 == 0 else 25, 25 if i % 2 == 0 else 49,
                              rng.integers(3, 8)).tolist() for i in range(24)]
        labels = [i % 2 for i in range(24)]

        class SpamDataset(L.utils.data.Dataset):
            def __init__(self, X, y, max_length=None, pad_token_id=49):
                self.max_length = max_length or max(len(t) for t in X)
                self.X = [t[:self.max_length] + [pad_token_id] * (self.max_length - len(t))
                          for t in X]
                self.y = y

            def __getitem__(self, i):
                return (L.tensor(self.X[i], dtype=L.long), L.tensor(self.y[i], dtype=L.long))

            def __len__(self):
                return len(self.y)
        train_ds = SpamDataset(texts[:16], labels[:16])
        val_ds = SpamDataset(texts[16:], labels[16:], max_length=train_ds.max_length)
        L.manual_seed(123)
        train = L.utils.data.DataLoader(train_ds, batch_size=4, shuffle=True, drop_last=True)
        val = L.utils.data.DataLoader(val_ds, batch_size=4, shuffle=False)

        def accuracy(loader):
            model.eval()
            correct = n = 0
            for x, y in loader:
                with L.no_grad():
                    pred = L.argmax(model(x)[:, -1, :], dim=-1)
                n += pred.shape[0]
                correct += (pred == y).sum().item()
            return correct / n
        model = gpt(L)
        for p in model.parameters():
            p.requires_grad = False
        L.manual_seed(123)
        model.out_head = L.nn.Linear(in_features=CFG["emb_dim"], out_features=2)
        for p in list(model.trf_blocks[-1].parameters()) + list(model.final_norm.parameters()):
            p.requires_grad = True
        with L.no_grad():
            outputs = model(L.tensor([[5, 6, 7, 8]]))
        print(model.out_head, outputs.shape, L.argmax(outputs[:, -1, :]).item())
        print(accuracy(train), accuracy(val),
              sum(p.numel() for p in model.parameters() if p.requires_grad))
        opt = L.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=0.1)
        L.manual_seed(123)
        for epoch in range(3):
            model.train()
            for x, y in train:
                opt.zero_grad()
                loss = L.nn.functional.cross_entropy(model(x)[:, -1, :], y)
                loss.backward()
                opt.step()
            print(epoch, round(loss.item(), 3), accuracy(train), accuracy(val))
        print(model.tok_emb.weight.grad, model.trf_blocks[0].att.W_query.weight.grad,
              model.out_head.weight.grad.shape,
              [n for n, p in model.named_parameters() if p.requires_grad][:3])
    want, got = printed(run)
    assert got == want


# ---- chapter 7: instruction data ---------------------------------------------------------

def custom_collate_fn(L, batch, pad_token_id=49, ignore_index=-100, allowed_max_length=None,
                      device="cpu"):
    longest = max(len(item) + 1 for item in batch)
    inputs_lst, targets_lst = [], []
    for item in batch:
        padded = item + [pad_token_id] * (longest - len(item))
        inputs, targets = L.tensor(padded[:-1]), L.tensor(padded[1:])
        indices = L.nonzero(targets == pad_token_id).squeeze()
        if indices.numel() > 1:
            targets[indices[1:]] = ignore_index
        if allowed_max_length is not None:
            inputs, targets = inputs[:allowed_max_length], targets[:allowed_max_length]
        inputs_lst.append(inputs)
        targets_lst.append(targets)
    return L.stack(inputs_lst).to(device), L.stack(targets_lst).to(device)


def test_collate_padding_ignore_index_and_instruction_training():
    def run(L):
        print(custom_collate_fn(L, ([0, 1, 2, 3, 4], [5, 6], [7, 8, 9])))
        print(custom_collate_fn(L, ([1, 2, 3], [4, 5, 6]), allowed_max_length=3),
              custom_collate_fn(L, ([1], [2, 3])))
        ce = L.nn.functional.cross_entropy
        logits_1 = L.tensor([[-1.0, 1.0], [-0.5, 1.5]])
        logits_2 = L.tensor([[-1.0, 1.0], [-0.5, 1.5], [-0.5, 1.5]])
        loss_1 = ce(logits_1, L.tensor([0, 1]))
        loss_3 = ce(logits_2, L.tensor([0, 1, -100]))
        print(loss_1, ce(logits_2, L.tensor([0, 1, 1])), loss_3, "loss_1 == loss_3:",
              loss_1 == loss_3, ce(logits_2, L.tensor([-100] * 3)),
              ce(logits_2, L.tensor([-100] * 3), reduction="sum"))
        lg = logits_2.clone().requires_grad_()
        ce(lg, L.tensor([0, 1, -100])).backward()
        print(lg.grad)
        data = [[1, 2, 3, 4], [5, 6], [7, 8, 9, 10, 11, 12, 13], [14], [15, 16, 17],
                [18, 19, 20, 21, 22]]
        L.manual_seed(123)
        loader = L.utils.data.DataLoader(
            data, batch_size=2, shuffle=True, drop_last=True,
            collate_fn=partial(custom_collate_fn, L, device="cpu", allowed_max_length=6))
        for x, y in loader:
            print(x.shape, x, y)
        model = gpt(L)
        opt = L.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.1)
        for epoch in range(2):
            for x, y in loader:
                opt.zero_grad()
                loss = calc_loss_batch(L, x, y, model)
                loss.backward()
                opt.step()
            print(epoch, round(loss.item(), 4))
    want, got = printed(run)
    assert got == want


# ---- appendix A ----------------------------------------------------------------------------

def test_appendix_a_tensors_autograd_and_toy_training():
    def run(L):
        F = L.nn.functional
        t2 = L.tensor([[1, 2, 3], [4, 5, 6]])
        print(L.tensor(1), L.tensor(np.array([[[1, 2], [3, 4]]])), t2.dtype,
              L.tensor([1.0, 2.0]).dtype, t2.to(L.float32).dtype, t2.reshape(3, 2),
              t2.view(3, 2), t2.T, t2.matmul(t2.T), t2 @ t2.T, L.tensor([1, 2.5]).dtype)
        x1, w1, b = L.tensor([1.1]), L.tensor([2.2], requires_grad=True), L.tensor([0.0],
                                                                               requires_grad=True)
        z = x1 * w1 + b
        loss = F.binary_cross_entropy(L.sigmoid(z), L.tensor([1.0]))
        print(L.autograd.grad(loss, w1, retain_graph=True),
              L.autograd.grad(loss, b, retain_graph=True))
        loss.backward()
        print(w1.grad, b.grad, loss.grad_fn.name(), z.grad_fn.name())
        print(errors(L, [lambda: loss.backward(), lambda: L.autograd.grad(loss, x1),
                         lambda: t2.mean(), lambda: t2.T.view(6)]))

        class NeuralNetwork(L.nn.Module):
            def __init__(self, num_inputs, num_outputs):
                super().__init__()
                self.layers = L.nn.Sequential(L.nn.Linear(num_inputs, 30), L.nn.ReLU(),
                                              L.nn.Linear(30, 20), L.nn.ReLU(),
                                              L.nn.Linear(20, num_outputs))

            def forward(self, x):
                return self.layers(x)
        L.manual_seed(123)
        model = NeuralNetwork(50, 3)
        print(model, sum(p.numel() for p in model.parameters() if p.requires_grad),
              model.layers[0].weight[:1, :5])
        with L.no_grad():
            print(L.softmax(model(L.rand((1, 50))), dim=1))
        X = L.tensor([[-1.2, 3.1], [-0.9, 2.9], [-0.5, 2.6], [2.3, -1.1], [2.7, -1.5]])
        y = L.tensor([0, 0, 0, 1, 1])

        class ToyDataset(L.utils.data.Dataset):
            def __init__(self, X, y):
                self.features, self.labels = X, y

            def __getitem__(self, i):
                return self.features[i], self.labels[i]

            def __len__(self):
                return self.labels.shape[0]
        L.manual_seed(123)
        loader = L.utils.data.DataLoader(ToyDataset(X, y), batch_size=2, shuffle=True,
                                         num_workers=0, drop_last=True)
        model = NeuralNetwork(2, 2)
        opt = L.optim.SGD(model.parameters(), lr=0.5)
        for epoch in range(3):
            model.train()
            for i, (features, labels) in enumerate(loader):
                loss = F.cross_entropy(model(features), labels)
                opt.zero_grad()
                loss.backward()
                opt.step()
                print(f"Epoch: {epoch+1:03d}/003 | Batch {i:03d}/{len(loader):03d}"
                      f" | Train Loss: {loss:.2f}")
        model.eval()
        with L.no_grad():
            outputs = model(X)
        L.set_printoptions(sci_mode=False)
        print(outputs, L.softmax(outputs, dim=1), L.argmax(outputs, dim=1) == y)
        L.set_printoptions(profile="default")
        print(L.sum(L.argmax(outputs, dim=1) == y), L.device("cpu"), L.cuda.is_available())
    want, got = printed(run)
    assert got == want


# ---- appendix D: warmup, cosine decay, clipping --------------------------------------------

def test_warmup_cosine_schedule_and_gradient_clipping():
    def run(L):
        train, _ = loaders(L)
        model = gpt(L)
        n_epochs, initial_lr, peak_lr = 2, 0.0001, 0.01
        total = len(train) * n_epochs
        warmup = int(0.2 * total)
        opt = L.optim.AdamW(model.parameters(), weight_decay=0.1)
        min_lr, step, lrs, norms = 0.1 * initial_lr, -1, [], []
        for _ in range(n_epochs):
            for x, y in train:
                opt.zero_grad()
                step += 1
                if step < warmup:
                    lr = initial_lr + step * (peak_lr - initial_lr) / warmup
                else:
                    progress = (step - warmup) / (total - warmup)
                    lr = min_lr + (peak_lr - min_lr) * 0.5 * (1 + math.cos(math.pi * progress))
                for group in opt.param_groups:
                    group["lr"] = lr
                lrs.append(opt.param_groups[0]["lr"])
                calc_loss_batch(L, x, y, model).backward()
                if step > warmup:
                    norms.append(L.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0))
                opt.step()
        model2 = gpt(L)
        calc_loss_batch(L, *next(iter(train)), model2).backward()
        highest = max(p.grad.data.flatten().max().item() for p in model2.parameters())
        L.nn.utils.clip_grad_norm_(model2.parameters(), max_norm=1.0)
        after = max(p.grad.data.flatten().max().item() for p in model2.parameters())
        return ([lrs, str(norms[0].dtype), tuple(norms[0].shape)],
                [n.item() for n in norms[:3]] + [highest, after])
    want, got = run_both(run)
    assert got[0] == want[0]
    np.testing.assert_allclose(got[1], want[1], **_F32)


# ---- appendix E: LoRA ----------------------------------------------------------------------

def test_lora_layers_replace_linears_and_train_only_the_adapters():
    def run(L):
        class LoRALayer(L.nn.Module):
            def __init__(self, in_dim, out_dim, rank, alpha):
                super().__init__()
                self.A = L.nn.Parameter(L.empty(in_dim, rank))
                L.nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))
                self.B = L.nn.Parameter(L.zeros(rank, out_dim))
                self.alpha = alpha

            def forward(self, x):
                return self.alpha * (x @ self.A @ self.B)

        class LinearWithLoRA(L.nn.Module):
            def __init__(self, linear, rank, alpha):
                super().__init__()
                self.linear = linear
                self.lora = LoRALayer(linear.in_features, linear.out_features, rank, alpha)

            def forward(self, x):
                return self.linear(x) + self.lora(x)

        def replace_linear_with_lora(model, rank, alpha):
            for name, module in model.named_children():
                if isinstance(module, L.nn.Linear):
                    setattr(model, name, LinearWithLoRA(module, rank, alpha))
                else:
                    replace_linear_with_lora(module, rank, alpha)
        L.manual_seed(123)
        layer = LoRALayer(4, 3, rank=2, alpha=4)
        model = gpt(L)
        facts = [repr(layer.A), repr(layer.B),
                 sum(p.numel() for p in model.parameters() if p.requires_grad)]
        for p in model.parameters():
            p.requires_grad = False
        L.manual_seed(5)
        replace_linear_with_lora(model, rank=4, alpha=8)
        facts += [sum(p.numel() for p in model.parameters() if p.requires_grad),
                  repr(model.trf_blocks[0]), repr(model.trf_blocks[0].att.W_query.lora.A),
                  len(model.state_dict())]
        train, _ = loaders(L)
        opt = L.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=0.1)
        L.manual_seed(1)
        for i, (x, y) in enumerate(train):
            if i == 4:
                break
            opt.zero_grad()
            loss = calc_loss_batch(L, x, y, model)
            loss.backward()
            opt.step()
        facts.append(model.trf_blocks[0].att.W_query.linear.weight.grad)
        w = L.empty(3, 5)
        for kw in (dict(a=math.sqrt(5)), {}, dict(mode="fan_out", nonlinearity="relu")):
            L.manual_seed(0)
            facts.append(repr(L.nn.init.kaiming_uniform_(w, **kw)))
        facts += errors(L, [lambda: L.nn.init.kaiming_uniform_(L.empty(3), a=math.sqrt(5))])
        return facts, [loss.item()] + model.trf_blocks[0].att.W_query.lora.B[:2].flatten(
            ).tolist()
    want, got = run_both(run)
    assert got[0] == want[0]
    np.testing.assert_allclose(got[1], want[1], **_F32)


def test_pad_sequence_collate_and_its_mistakes():
    """A collate built on pad_sequence (ch. 7's alternative): values, gradients and the
    errors of lists of token ids and of sequences whose trailing dims differ."""
    def run(L):
        ps = L.nn.utils.rnn.pad_sequence
        seqs = [L.tensor([1, 2, 3]), L.tensor([4, 5]), L.tensor([6])]
        ragged = [L.arange(6.).view(2, 3).requires_grad_(), L.arange(3.).requires_grad_()]
        out = ps(ragged, batch_first=True)  # the 1-D row is broadcast into its (3, 3) slot
        out.backward(L.arange(out.numel(), dtype=L.float32).view(out.shape))
        return [ps(seqs, batch_first=True, padding_value=50).tolist(),
                ps(seqs, padding_value=-100).tolist(),
                ps(seqs, batch_first=True, padding_value=50, padding_side="left").tolist(),
                out.tolist(), ragged[0].grad.tolist(), ragged[1].grad.tolist()] + errors(L, [
            lambda: ps([[1, 2, 3], [4, 5]], batch_first=True, padding_value=50),
            lambda: ps([L.tensor([1]), [3]]),
            lambda: ps([L.tensor([1]), None]),
            lambda: ps([L.ones(2, 3), L.ones(2)]),
            lambda: ps([L.ones(2, 1), L.ones(3)]),
            lambda: ps([L.ones(2, 1), L.ones(2, 3)]),
            lambda: ps([L.ones(2), L.ones(2, 3)]),
            lambda: ps([L.ones(2, 3), L.ones(4, 1)]),
            lambda: ps([L.tensor(1.0), L.ones(2)]),
            lambda: ps([L.ones(2), L.tensor(1.0)])])
    want, got = run_both(run)
    assert got == want
