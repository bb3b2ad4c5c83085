"""Session 14, fastbook continued (see test_programs_s14_fastbook.py): ch12 language models
from scratch (LMModel1-7: loops, BPTT with detach, nn.RNN/LSTM, an LSTMCell by hand, dropout,
weight tying, activation regularization), ch13 convolutions (kernels by hand, F.conv2d,
F.unfold, BatchNorm2d placement) and ch17 foundations (matmul from scratch, broadcasting,
forward/backward by hand with `.g`, autograd.Function, register_parameter, kaiming init)."""

import math

import numpy as np
import pytest
import torch
from torch_compare import error_of, run_both

import ember


def shown(values):
    return [str(v) if isinstance(v, (torch.Tensor, ember.Tensor, torch.Size, ember.Size))
            else v for v in values]


def _bits(t):
    return np.array(t.detach().numpy(), copy=True)


# ---- ch12: language models from scratch ---------------------------------------------------

WORDS = "one two three four five six seven eight nine ten eleven twelve thirteen".split()


def _tokens(L):
    tokens = [w for i in range(1, 60) for w in (WORDS[i % 13], ".")]
    vocab = list(dict.fromkeys(tokens))
    return L.tensor([vocab.index(t) for t in tokens]), len(vocab)


def _group_chunks(ds, bs):
    m = len(ds) // bs
    return [ds[i + m * j] for i in range(m) for j in range(bs)]


def _language_models(L):
    nn, F = L.nn, L.nn.functional
    L.manual_seed(0)
    nums, nv = _tokens(L)
    bs, sl, nh = 8, 6, 16
    seqs = [(nums[i:i + sl], nums[i + 1:i + sl + 1]) for i in range(0, len(nums) - sl - 1, sl)]
    gs = _group_chunks(seqs, bs)
    gx, gy = L.stack([s[0] for s in gs]), L.stack([s[1] for s in gs])

    def loss_func(inp, targ):
        return F.cross_entropy(inp.view(-1, nv), targ.view(-1))

    class LMModel4(nn.Module):
        def __init__(self):
            super().__init__()
            self.i_h, self.h_h = nn.Embedding(nv, nh), nn.Linear(nh, nh)
            self.h_o, self.h = nn.Linear(nh, nv), 0

        def forward(self, x):
            outs = []
            for i in range(sl):
                self.h = F.relu(self.h_h(self.h + self.i_h(x[:, i])))
                outs.append(self.h_o(self.h))
            self.h = self.h.detach()
            return L.stack(outs, dim=1)

    class LMModel7(nn.Module):
        def __init__(self, rnn):
            super().__init__()
            self.i_h, self.rnn = nn.Embedding(nv, nh), rnn
            self.drop, self.h_o = nn.Dropout(0.5), nn.Linear(nh, nv)
            self.h_o.weight = self.i_h.weight
            self.h = [L.zeros(2, bs, nh) for _ in range(2)]

        def forward(self, x):
            raw, h = self.rnn(self.i_h(x), self.h if isinstance(self.rnn, nn.LSTM) else
                              self.h[0])
            self.h = [h_.detach() for h_ in h] if isinstance(h, tuple) else [h.detach()] * 2
            out = self.drop(raw)
            return self.h_o(out), raw, out

    def ar_loss(preds, targ):
        out, raw, dropped = preds
        return (loss_func(out, targ) + 2.0 * dropped.float().pow(2).mean() +
                (raw[:, 1:] - raw[:, :-1]).float().pow(2).mean())

    shown_out = []
    for model, lf in ((LMModel4(), loss_func),
                      (LMModel7(nn.LSTM(nh, nh, 2, batch_first=True)), ar_loss),
                      (LMModel7(nn.RNN(nh, nh, 2, batch_first=True)), ar_loss)):
        opt = L.optim.Adam(model.parameters(), lr=1e-2)
        for _ in range(2):
            for i in range(0, len(gx), bs):
                loss = lf(model(gx[i:i + bs]), gy[i:i + bs])
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), 0.5)
                opt.step()
            shown_out.append(round(loss.item(), 4))
        shown_out += [repr(model), len(list(model.parameters())),
                      [k for k, _ in model.named_parameters()]]
    return shown_out


def test_ch12_language_models_train_and_print_as_pytorch():
    """Cross-entropy and the LSTM's sigmoid take Sleef's last bits (README): losses printed
    to 4 places agree."""
    want, got = run_both(_language_models)
    assert got == want


def _lstm_cell_by_hand(L):
    nn = L.nn
    L.manual_seed(1)

    class LSTMCell(nn.Module):
        def __init__(self, ni, nh):
            super().__init__()
            self.ih, self.hh = nn.Linear(ni, 4 * nh), nn.Linear(nh, 4 * nh)

        def forward(self, inp, state):
            h, c = state
            gates = (self.ih(inp) + self.hh(h)).chunk(4, 1)
            ingate, forgetgate, outgate = map(L.sigmoid, gates[:3])
            c = (forgetgate * c) + (ingate * gates[3].tanh())
            h = outgate * c.tanh()
            return h, (h, c)

    cell = LSTMCell(16, 8)
    inp, st = L.randn(8, 16), (L.zeros(8, 8), L.randn(8, 8))
    h, (_, c) = cell(inp, st)
    ref = nn.LSTMCell(16, 8)
    with L.no_grad():  # PyTorch's gate order is i, f, g, o: move the hand cell's o last
        w = L.cat([cell.ih.weight[:16], cell.ih.weight[24:], cell.ih.weight[16:24]])
        ref.weight_ih.copy_(w)
        ref.weight_hh.copy_(L.cat([cell.hh.weight[:16], cell.hh.weight[24:],
                                   cell.hh.weight[16:24]]))
        ref.bias_ih.copy_(L.cat([cell.ih.bias[:16], cell.ih.bias[24:], cell.ih.bias[16:24]]))
        ref.bias_hh.copy_(L.cat([cell.hh.bias[:16], cell.hh.bias[24:], cell.hh.bias[16:24]]))
    hr, cr = ref(inp, st)
    return shown([str(L.arange(12).view(2, 6).chunk(4, 1)), h[:2], c.shape, hr[:2],
                  (hr - h).abs().max() < 1e-6, (cr - c).abs().max() < 1e-6])


def test_ch12_lstm_cell_by_hand_matches_nn_lstmcell():
    want, got = run_both(_lstm_cell_by_hand)
    assert got == want


@pytest.mark.parametrize("case", [
    lambda L: L.nn.LSTM(16, 16, 2, batch_first=True)(L.randn(3, 6, 16),
                                                     [L.zeros(2, 8, 16), L.zeros(2, 8, 16)]),
    lambda L: L.nn.LSTM(8, 16, 2)(L.randn(2, 3, 7)),
    lambda L: L.nn.functional.cross_entropy(L.randn(4, 6, 5).view(-1, 14), L.zeros(24).long()),
    lambda L: L.nn.RNN(8, 16, batch_first=True)(L.randn(3, 5, 8), L.zeros(3, 16)),
    lambda L: L.nn.Dropout(-0.1),
    lambda L: L.nn.functional.dropout(L.ones(3), 1.5),
])
def test_ch12_recurrent_mistakes_raise_pytorchs_errors(case):
    assert error_of(lambda: case(ember)) == error_of(lambda: case(torch))


# ---- ch13: convolutions -------------------------------------------------------------------

def _convolutions(L):
    F, nn = L.nn.functional, L.nn
    L.manual_seed(0)
    top_edge = L.tensor([[-1, -1, -1], [0, 0, 0], [1, 1, 1]]).float()
    left_edge = L.tensor([[-1, 1, 0], [-1, 1, 0], [-1, 1, 0]]).float()
    diag1 = L.tensor([[0, -1, 1], [-1, 1, 0], [1, 0, 0]]).float()
    diag2 = L.tensor([[1, -1, 0], [0, 1, -1], [0, 0, 1]]).float()
    im = (L.rand(28, 28) * 255).round()

    def apply_kernel(row, col, kernel):
        return (im[row - 1:row + 2, col - 1:col + 2] * kernel).sum()

    rng = range(1, 9)
    top3 = L.tensor([[apply_kernel(i, j, top_edge) for j in rng] for i in rng])
    kernels = L.stack([left_edge, top_edge, diag1, diag2])[:, None]
    xb = (L.rand(4, 1, 12, 12) * 255).round() / 255
    feats = F.conv2d(xb, kernels)
    unf = F.unfold(xb, (3, 3))
    by_unfold = (unf.transpose(1, 2) @ kernels.view(4, -1).t()).transpose(1, 2)
    return [_bits(top3), _bits(feats), _bits(unf), _bits(by_unfold.view(4, 4, 10, 10)),
            _bits(F.fold(unf, (12, 12), 3)), _bits(xb.unfold(2, 3, 1).unfold(3, 3, 1)),
            _bits(F.conv2d(xb, kernels, stride=2, padding=1)),
            str(F.conv2d(xb, kernels, padding="same").shape), str(kernels.shape),
            repr(nn.Conv2d(4, 8, (3, 5), stride=(2, 1), dilation=2, bias=False))]


def test_ch13_kernels_by_hand_conv2d_and_unfold_match_bitwise():
    """Integer-valued images and kernels: every product and sum is exact, so the hand-made
    convolution, F.conv2d and the unfold product agree with PyTorch to the bit."""
    want, got = run_both(_convolutions)
    assert len(got) == len(want), got
    for g, w in zip(got, want):
        if isinstance(w, str):
            assert g == w
        else:
            np.testing.assert_array_equal(g, w)


def _batchnorm_cnn(L):
    F, nn = L.nn.functional, L.nn
    L.manual_seed(0)

    def conv(ni, nf, ks=3, act=True):
        layers = [nn.Conv2d(ni, nf, stride=2, kernel_size=ks, padding=ks // 2)]
        if act:
            layers.append(nn.ReLU())
        layers.append(nn.BatchNorm2d(nf))
        return nn.Sequential(*layers)

    model = nn.Sequential(conv(1, 8, ks=5), conv(8, 16), conv(16, 32), conv(32, 10, act=False),
                          nn.Flatten())
    xb, yb = L.rand(16, 1, 16, 16), L.randint(0, 10, (16,))
    stats = []
    hooks = [m.register_forward_hook(lambda m, i, o: stats.append(
        (round(o.mean().item(), 3), round(o.std().item(), 3)))) for m in model]
    opt = L.optim.SGD(model.parameters(), lr=0.06, momentum=0.9)
    sched = L.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.06, total_steps=3)
    losses = []
    for _ in range(3):
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append((round(loss.item(), 4), sched.get_last_lr()))
    for h in hooks:
        h.remove()
    bn = model[0][2]
    model.eval()
    return shown([repr(model), stats, losses, bn.running_mean[:3], bn.running_var[:3],
                  bn.num_batches_tracked, model(xb[:2]), list(bn.state_dict())])


def test_ch13_batchnorm_cnn_with_one_cycle_prints_as_pytorch():
    """Convolutions are BLAS products and BatchNorm's statistics round differently (README):
    what the chapter prints agrees."""
    want, got = run_both(_batchnorm_cnn)
    assert got == want


@pytest.mark.parametrize("case", [
    lambda L: L.nn.functional.conv2d(L.rand(2, 1, 8, 8), L.rand(4, 3, 3)),
    lambda L: L.nn.Conv2d(3, 8, 3)(L.rand(2, 1, 8, 8)),
    lambda L: L.nn.functional.conv2d(L.rand(2, 1, 8, 8).long(), L.rand(4, 1, 3, 3)),
    lambda L: L.nn.BatchNorm2d(4)(L.randn(2, 3, 5, 5)),
    lambda L: L.nn.BatchNorm1d(3)(L.randn(1, 3)),
    lambda L: L.nn.functional.unfold(L.rand(8, 8), 3),
    lambda L: L.nn.functional.unfold(L.rand(1, 1, 4, 4), 7),
])
def test_ch13_convolution_mistakes_raise_pytorchs_errors(case):
    assert error_of(lambda: case(ember)) == error_of(lambda: case(torch))


# ---- ch17: foundations --------------------------------------------------------------------

def _forward_backward_by_hand(L):
    L.manual_seed(0)
    x, y = L.randn(50, 20), L.randn(50)
    w1, b1 = L.randn(20, 10) * math.sqrt(2 / 20), L.zeros(10)
    w2, b2 = L.randn(10, 1) * math.sqrt(2 / 10), L.zeros(1)

    class LayerFunction:
        def __call__(self, *args):
            self.args = args
            self.out = self.forward(*args)
            return self.out

        def backward(self):
            self.bwd(self.out, *self.args)

    class Relu(LayerFunction):
        def forward(self, inp):
            return inp.clamp_min(0.)

        def bwd(self, out, inp):
            inp.g = (inp > 0).float() * out.g

    class Lin(LayerFunction):
        def __init__(self, w, b):
            self.w, self.b = w, b

        def forward(self, inp):
            return inp @ self.w + self.b

        def bwd(self, out, inp):
            inp.g = out.g @ self.w.t()
            self.w.g = inp.t() @ self.out.g
            self.b.g = out.g.sum(0)

    class Mse(LayerFunction):
        def forward(self, inp, targ):
            return (inp.squeeze() - targ).pow(2).mean()

        def bwd(self, out, inp, targ):
            inp.g = 2 * (inp.squeeze() - targ).unsqueeze(-1) / targ.shape[0]

    layers, loss_fn = [Lin(w1, b1), Relu(), Lin(w2, b2)], Mse()
    h = x
    for layer in layers:
        h = layer(h)
    loss = loss_fn(h, y)
    loss_fn.backward()
    for layer in reversed(layers):
        layer.backward()
    ws = [t.clone().requires_grad_() for t in (w1, b1, w2, b2)]
    ref = ((x @ ws[0] + ws[1]).clamp_min(0.) @ ws[2] + ws[3]).squeeze().sub(y).pow(2).mean()
    ref.backward()
    return [_bits(loss), _bits(w1.g), _bits(b1.g), _bits(w2.g), _bits(b2.g), _bits(x.g),
            _bits(ref), _bits(ws[1].grad), _bits(ws[3].grad), str(loss), str(ref),
            bool(L.allclose(ws[0].grad, w1.g, atol=1e-6))]


def test_ch17_forward_and_backward_by_hand_match():
    """Everything goes through BLAS products (README: their last bits differ), so values are
    compared to float32 rounding; the printed loss and the book's allclose check agree."""
    want, got = run_both(_forward_backward_by_hand)
    assert len(got) == len(want), got
    for g, w in zip(got, want):
        if isinstance(w, np.ndarray):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
        else:
            assert g == w


def _function_and_modules(L):
    nn = L.nn

    class MyRelu(L.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            ctx.save_for_backward(i)
            return i.clamp_min(0.)

        @staticmethod
        def backward(ctx, grad_output):
            i, = ctx.saved_tensors
            return grad_output * (i > 0).float()

    L.manual_seed(0)
    xi = L.randn(4, 3, requires_grad=True)
    r = MyRelu.apply(xi)
    r.sum().backward()

    class LinReg(nn.Module):
        def __init__(self, n_in, n_out):
            super().__init__()
            self.register_parameter("w", nn.Parameter(L.randn(n_in, n_out)))
            self.register_buffer("scale", L.ones(1))

    m = LinReg(3, 2)
    errors = [error_of(lambda: m.register_parameter("w", L.ones(2))),
              error_of(lambda: m.register_parameter("v", L.ones(2))),
              error_of(lambda: m.register_parameter("a.b", None)),
              error_of(lambda: m.register_parameter("", None)),
              error_of(lambda: m.register_buffer("w", L.ones(1))),
              error_of(lambda: nn.init.kaiming_normal_(L.empty(3))),
              error_of(lambda: nn.init.kaiming_normal_(L.empty(2, 3), mode="fan")),
              error_of(lambda: nn.init.kaiming_normal_(L.empty(2, 3), nonlinearity="foo")),
              error_of(lambda: MyRelu()(xi))]
    m.register_parameter("nothing", None)
    w = L.empty(50, 100)
    inits = []
    for kw in ({}, {"mode": "fan_out"}, {"nonlinearity": "leaky_relu", "a": 0.1}):
        nn.init.kaiming_normal_(w, **kw)
        inits.append(_bits(w))
    nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    x2, stats = L.randn(200, 100), []
    for _ in range(5):
        layer = nn.Linear(100, 100)
        nn.init.kaiming_normal_(layer.weight)
        nn.init.zeros_(layer.bias)
        x2 = nn.functional.relu(layer(x2))
        stats.append((round(x2.mean().item(), 3), round(x2.std().item(), 3)))
    return inits + [_bits(w)] + shown([
        r, type(r.grad_fn).__name__, xi.grad, [k for k, _ in m.named_parameters()],
        [k for k, _ in m.named_buffers()], list(m.state_dict()), m.nothing, errors, stats,
        nn.init.calculate_gain("leaky_relu", 0.2), nn.init.calculate_gain("tanh")])


def test_ch17_autograd_function_register_parameter_and_kaiming_init():
    want, got = run_both(_function_and_modules)
    assert len(got) == len(want), got
    for g, w in zip(got, want):
        if isinstance(w, np.ndarray):
            np.testing.assert_array_equal(g, w)
        else:
            assert g == w
