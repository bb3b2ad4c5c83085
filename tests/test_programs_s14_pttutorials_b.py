"""Session 14, the PyTorch tutorials beyond the basics, small and on synthetic data: NLP From
Scratch (char-RNN classifier and generator, seq2seq with Bahdanau attention), Neural
Transfer, FGSM, Spatial Transformers, double backward, forward-mode AD, torch.func
(Jacobians, per-sample gradients, ensembling, NTK), Learning PyTorch with Examples. Each runs
on ember and torch 2.13 live. Values are compared exactly where PyTorch's arithmetic is plain
IEEE operations ember mirrors; where they go through matrix products (MKL against OpenBLAS)
or float32 sin/tanh (Sleef against NumPy), to rtol 1e-5 (README, "Differences")."""

import math
import random
import string

import numpy as np
import pytest
from torch_compare import exact_and_close, same_error_case, same as _same

BLAS = dict(rtol=1e-5, atol=1e-6)  # matrix products / Sleef: last bits (see the docstring)


def _close(fn, **tol):
    """fn(L) -> (exact part, values compared to rounding: BLAS, unless told)."""
    exact_and_close(fn, **(tol or BLAS))


# ---- NLP From Scratch ---------------------------------------------------------------------

LETTERS = string.ascii_letters + " .,;'"
NAMES = {"English": ["Smith", "Jones", "Brown"], "French": ["Dubois", "Martin", "Petit"],
         "Greek": ["Pappas", "Nikolaou", "Georgiou"]}
CATS = list(NAMES)


def _line(L, line, n=len(LETTERS)):
    t = L.zeros(len(line), 1, n)
    for i, ch in enumerate(line):
        t[i][0][LETTERS.find(ch)] = 1
    return t


def _char_rnn(L):
    class RNN(L.nn.Module):
        def __init__(self, input_size, hidden_size, output_size):
            super(RNN, self).__init__()
            self.hidden_size = hidden_size
            self.i2h = L.nn.Linear(input_size + hidden_size, hidden_size)
            self.h2o = L.nn.Linear(hidden_size, output_size)
            self.softmax = L.nn.LogSoftmax(dim=1)

        def forward(self, input, hidden):
            hidden = self.i2h(L.cat((input, hidden), 1))
            return self.softmax(self.h2o(hidden)), hidden

        def initHidden(self):
            return L.zeros(1, self.hidden_size)
    return RNN


def test_char_rnn_name_classifier():
    """Hand-written RNN, NLLLoss, p.data.add_(p.grad.data, alpha=-lr), topk guesses and the
    confusion matrix, as the tutorial prints them."""
    def run(L):
        L.manual_seed(0)
        random.seed(0)
        rnn = _char_rnn(L)(len(LETTERS), 16, 3)
        crit = L.nn.NLLLoss()
        shown = [repr(rnn), repr(_line(L, "J")[0]), str(_line(L, "Jones").size())]
        losses = []
        for _ in range(40):
            c = random.choice(CATS)
            line = _line(L, random.choice(NAMES[c]))
            hidden = rnn.initHidden()
            rnn.zero_grad()
            for i in range(line.size()[0]):
                output, hidden = rnn(line[i], hidden)
            loss = crit(output, L.tensor([CATS.index(c)], dtype=L.long))
            loss.backward()
            for p in rnn.parameters():
                p.data.add_(p.grad.data, alpha=-0.005)
            losses.append(loss.item())
        confusion = L.zeros(3, 3)
        with L.no_grad():
            for c in CATS:
                for name in NAMES[c]:
                    line, hidden = _line(L, name), rnn.initHidden()
                    for i in range(line.size()[0]):
                        output, hidden = rnn(line[i], hidden)
                    top_n, top_i = output.topk(1)
                    confusion[CATS.index(c)][top_i[0].item()] += 1
                    shown.append((str(top_n.dtype), str(top_i.dtype), tuple(top_i.shape)))
            topv, topi = output.topk(3, 1, True)
        for i in range(3):
            confusion[i] = confusion[i] / confusion[i].sum()
        shown += [topi.tolist(), repr(confusion), str(rnn.i2h.weight.grad.dtype)]
        return shown, losses + topv[0].tolist()
    _close(run)


def test_char_rnn_generator_with_category_and_dropout():
    def run(L):
        L.manual_seed(1)
        random.seed(1)
        n_letters = len(LETTERS) + 1

        class RNN(L.nn.Module):
            def __init__(self, input_size, hidden_size, output_size):
                super(RNN, self).__init__()
                self.i2h = L.nn.Linear(3 + input_size + hidden_size, hidden_size)
                self.i2o = L.nn.Linear(3 + input_size + hidden_size, output_size)
                self.o2o = L.nn.Linear(hidden_size + output_size, output_size)
                self.dropout = L.nn.Dropout(0.1)
                self.softmax = L.nn.LogSoftmax(dim=1)

            def forward(self, category, input, hidden):
                combined = L.cat((category, input, hidden), 1)
                hidden, output = self.i2h(combined), self.i2o(combined)
                output = self.o2o(L.cat((hidden, output), 1))
                return self.softmax(self.dropout(output)), hidden
        rnn, crit = RNN(n_letters, 24, n_letters), L.nn.NLLLoss()

        def cat_t(c):
            t = L.zeros(1, 3)
            t[0][CATS.index(c)] = 1
            return t

        def target(line):
            idx = [LETTERS.find(line[i]) for i in range(1, len(line))] + [n_letters - 1]
            return L.LongTensor(idx)
        losses = []
        for _ in range(15):
            c = random.choice(CATS)
            line = random.choice(NAMES[c])
            tgt = target(line)
            tgt.unsqueeze_(-1)
            x, hidden = _line(L, line, n_letters), L.zeros(1, 24)
            rnn.zero_grad()
            loss = L.Tensor([0])
            for i in range(x.size(0)):
                output, hidden = rnn(cat_t(c), x[i], hidden)
                loss += crit(output, tgt[i])
            loss.backward()
            for p in rnn.parameters():
                p.data.add_(p.grad.data, alpha=-0.0005)
            losses.append(loss.item() / x.size(0))
        rnn.eval()
        names = []
        with L.no_grad():
            for start in "ABC":
                x, hidden, name = _line(L, start, n_letters), L.zeros(1, 24), start
                for _ in range(6):
                    output, hidden = rnn(cat_t("French"), x[0], hidden)
                    topi = output.topk(1)[1][0][0]
                    if topi == n_letters - 1:
                        break
                    name += LETTERS[topi]
                    x = _line(L, LETTERS[topi], n_letters)
                names.append(name)
        return (names, repr(target("Abc")), repr(loss), str(L.Tensor(2, 3).shape)), losses
    _close(run)


def _seq2seq(L):
    F = L.nn.functional

    class Encoder(L.nn.Module):
        def __init__(self, n_in, hidden):
            super().__init__()
            self.embedding = L.nn.Embedding(n_in, hidden)
            self.gru = L.nn.GRU(hidden, hidden, batch_first=True)
            self.dropout = L.nn.Dropout(0.1)

        def forward(self, input):
            return self.gru(self.dropout(self.embedding(input)))

    class Bahdanau(L.nn.Module):
        def __init__(self, hidden):
            super().__init__()
            self.Wa, self.Ua = L.nn.Linear(hidden, hidden), L.nn.Linear(hidden, hidden)
            self.Va = L.nn.Linear(hidden, 1)

        def forward(self, query, keys):
            scores = self.Va(L.tanh(self.Wa(query) + self.Ua(keys))).squeeze(2).unsqueeze(1)
            weights = F.softmax(scores, dim=-1)
            return L.bmm(weights, keys), weights

    class Decoder(L.nn.Module):
        def __init__(self, hidden, n_out):
            super().__init__()
            self.embedding = L.nn.Embedding(n_out, hidden)
            self.attention = Bahdanau(hidden)
            self.gru = L.nn.GRU(2 * hidden, hidden, batch_first=True)
            self.out = L.nn.Linear(hidden, n_out)
            self.dropout = L.nn.Dropout(0.1)

        def forward(self, enc_out, enc_hidden, target=None):
            inp = L.empty(enc_out.size(0), 1, dtype=L.long).fill_(0)
            hidden, outs, attns = enc_hidden, [], []
            for i in range(5):
                emb = self.dropout(self.embedding(inp))
                ctx, w = self.attention(hidden.permute(1, 0, 2), enc_out)
                out, hidden = self.gru(L.cat((emb, ctx), dim=2), hidden)
                out = self.out(out)
                outs.append(out)
                attns.append(w)
                if target is not None:
                    inp = target[:, i].unsqueeze(1)  # teacher forcing
                else:
                    inp = out.topk(1)[1].squeeze(-1).detach()
            return F.log_softmax(L.cat(outs, dim=1), dim=-1), hidden, L.cat(attns, dim=1)
    return Encoder, Decoder


def test_seq2seq_gru_bahdanau_attention():
    def run(L):
        L.manual_seed(0)
        Encoder, Decoder = _seq2seq(L)
        enc, dec = Encoder(12, 16), Decoder(16, 10)
        inp, tgt = L.randint(2, 12, (4, 5)), L.randint(2, 10, (4, 5))
        tgt[:, -1] = 1
        opts = [L.optim.Adam(m.parameters(), lr=0.001) for m in (enc, dec)]
        losses = []
        for _ in range(3):
            for o in opts:
                o.zero_grad()
            enc_out, enc_hidden = enc(inp)
            out, _, _ = dec(enc_out, enc_hidden, tgt)
            loss = L.nn.NLLLoss()(out.view(-1, out.size(-1)), tgt.view(-1))
            loss.backward()
            for o in opts:
                o.step()
            losses.append(loss.item())
        shown = [repr(enc), repr(dec), out.grad_fn.name(), enc_hidden.grad_fn.name()]
        enc.eval()
        dec.eval()
        with L.no_grad():
            enc_out, enc_hidden = enc(inp[:1])
            out, hidden, attn = dec(enc_out, enc_hidden)
            ids = out.topk(1)[1].squeeze()
        shown += [ids.tolist(), str(ids.dtype), tuple(attn.shape), tuple(hidden.shape)]
        return shown, losses + attn.sum(-1).flatten().tolist()
    _close(run)


# ---- Neural Transfer, FGSM, Spatial Transformers ------------------------------------------

def test_neural_style_transfer_with_lbfgs_closure():
    """Gram matrix, ContentLoss/StyleLoss storing .loss, Normalization from tensors (the
    copy-construct warning), model slicing, LBFGS with clamp_ in no_grad."""
    def run(L):
        import warnings
        F, nn = L.nn.functional, L.nn
        L.manual_seed(0)
        style, content = L.rand(1, 3, 8, 8), L.rand(1, 3, 8, 8)

        def gram(x):
            a, b, c, d = x.size()
            f = x.view(a * b, c * d)
            return L.mm(f, f.t()).div(a * b * c * d)

        class Content(nn.Module):
            def __init__(self, target):
                super().__init__()
                self.target = target.detach()

            def forward(self, x):
                self.loss = F.mse_loss(x, self.target)
                return x

        class Style(nn.Module):
            def __init__(self, target):
                super().__init__()
                self.target = gram(target).detach()

            def forward(self, x):
                self.loss = F.mse_loss(gram(x), self.target)
                return x

        class Normalization(nn.Module):
            def __init__(self, mean, std):
                super().__init__()
                self.mean = L.tensor(mean).view(-1, 1, 1)
                self.std = L.tensor(std).view(-1, 1, 1)

            def forward(self, img):
                return (img - self.mean) / self.std
        cnn = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(inplace=True),
                            nn.Conv2d(4, 4, 3, padding=1)).eval()
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            model = nn.Sequential(Normalization(L.tensor([0.485, 0.456, 0.406]),
                                                L.tensor([0.229, 0.224, 0.225])))
        shown = [(x.category.__name__, str(x.message)[:60]) for x in w]
        styles, contents = [], []
        for i, layer in enumerate(cnn.children()):
            model.add_module(f"layer_{i}", nn.ReLU(inplace=False)
                             if isinstance(layer, nn.ReLU) else layer)
            s = Style(model(style).detach())
            model.add_module(f"style_{i}", s)
            styles.append(s)
            if i == 2:
                c = Content(model(content).detach())
                model.add_module(f"content_{i}", c)
                contents.append(c)
        model = model[:len(model)]
        img = content.clone()
        img.requires_grad_(True)
        model.requires_grad_(False)
        opt = L.optim.LBFGS([img])
        scores = []

        def closure():
            with L.no_grad():
                img.clamp_(0, 1)
            opt.zero_grad()
            model(img)
            ss = sum(s.loss for s in styles) * 1000000
            cs = sum(c.loss for c in contents)
            (ss + cs).backward()
            scores.append((ss.item(), cs.item()))
            return ss + cs
        opt.step(closure)
        with L.no_grad():
            img.clamp_(0, 1)
        state = opt.state[img]
        shown += [repr(model), sorted(state), float(img.min()) >= 0, repr(opt)]
        return shown, [v for pair in scores[:3] for v in pair]
    _close(run)


def _mnist_net(L):
    F, nn = L.nn.functional, L.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(1, 4, 3, 1), nn.Conv2d(4, 8, 3, 1)
            self.dropout1, self.dropout2 = nn.Dropout(0.25), nn.Dropout(0.5)
            self.fc1, self.fc2 = nn.Linear(8 * 5 * 5, 16), nn.Linear(16, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
            x = F.relu(self.fc1(L.flatten(self.dropout1(x), 1)))
            return F.log_softmax(self.fc2(self.dropout2(x)), dim=1)
    return Net


def test_fgsm_adversarial_examples():
    def run(L):
        F = L.nn.functional
        L.manual_seed(0)
        model = _mnist_net(L)()
        model.eval()
        imgs, labels = (L.rand(6, 1, 14, 14) - 0.1307) / 0.3081, L.randint(0, 10, (6,))
        mean, std = L.tensor([0.1307]), L.tensor([0.3081])
        shown, grads = [repr(model)], []
        for eps in (0, 0.1, 0.3):
            correct = 0
            for i in range(len(imgs)):
                data, target = imgs[i:i + 1], labels[i:i + 1]
                data.requires_grad = True
                output = model(data)
                init_pred = output.max(1, keepdim=True)[1]
                loss = F.nll_loss(output, target)
                model.zero_grad()
                loss.backward()
                sign = data.grad.data.sign()
                grads.append(data.grad.abs().sum().item())
                denorm = data * std.view(1, -1, 1, 1) + mean.view(1, -1, 1, 1)
                perturbed = L.clamp(denorm + eps * sign, 0, 1)
                final = model((perturbed - 0.1307) / 0.3081).max(1, keepdim=True)[1]
                correct += final.item() == target.item()
                shown.append((init_pred.item(), sign.flatten()[:20].tolist(),
                               perturbed.squeeze().detach().cpu().numpy().shape))
            shown.append(correct / float(len(imgs)))
        return shown, grads
    _close(run)


def test_spatial_transformer_training_and_warnings():
    """The STN tutorial's model: affine_grid/grid_sample without align_corners (PyTorch's
    warning at each call), Dropout2d, SGD, eval with reduction='sum'."""
    def run(L):
        import warnings
        F, nn = L.nn.functional, L.nn
        L.manual_seed(0)

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1, self.conv2 = nn.Conv2d(1, 4, 5), nn.Conv2d(4, 8, 5)
                self.conv2_drop = nn.Dropout2d()
                self.fc1, self.fc2 = nn.Linear(32, 16), nn.Linear(16, 10)
                self.localization = nn.Sequential(
                    nn.Conv2d(1, 4, 7), nn.MaxPool2d(2, stride=2), nn.ReLU(True),
                    nn.Conv2d(4, 5, 5), nn.MaxPool2d(2, stride=2), nn.ReLU(True))
                self.fc_loc = nn.Sequential(nn.Linear(5, 32), nn.ReLU(True), nn.Linear(32, 6))
                self.fc_loc[2].weight.data.zero_()
                self.fc_loc[2].bias.data.copy_(L.tensor([1, 0, 0, 0, 1, 0], dtype=L.float))

            def stn(self, x):
                theta = self.fc_loc(self.localization(x).view(-1, 5)).view(-1, 2, 3)
                return F.grid_sample(x, F.affine_grid(theta, x.size()))

            def forward(self, x):
                x = F.relu(F.max_pool2d(self.conv1(self.stn(x)), 2))
                x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
                x = F.dropout(F.relu(self.fc1(x.view(-1, 32))), training=self.training)
                return F.log_softmax(self.fc2(x), dim=1)
        model = Net()
        opt = L.optim.SGD(model.parameters(), lr=0.01)
        data, target = L.rand(4, 1, 20, 20), L.randint(0, 10, (4,))
        losses = []
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            for _ in range(2):
                model.train()
                opt.zero_grad()
                loss = F.nll_loss(model(data), target)
                loss.backward()
                opt.step()
                losses.append(loss.item())
            model.eval()
            with L.no_grad():
                losses.append(F.nll_loss(model(data), target, reduction="sum").item())
                tr = model.stn(data)
        shown = [repr(model), [(x.category.__name__, str(x.message)) for x in w],
                 tuple(tr.shape)]
        return shown, losses + tr[0, 0, :2].flatten().tolist()
    _close(run)
