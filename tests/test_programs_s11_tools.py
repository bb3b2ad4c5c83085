"""Session 11, ember's gradient tools (autograd.explain, viz.GradientMonitor) on the models
learners build (micrograd's scalar expression, an MLP with MSE, a classifier, a CNN, an LSTM),
with every number checked against live torch 2.13 gradients and each formula shown checked
against the calculus it states."""

import re
import warnings

import numpy as np
import torch

import ember

_NUM = r"-?\d+(?:\.\d*)?(?:e[-+]?\d+)?"


def _step(trace, op):
    return next(s for s in trace.steps if s.op == op)


def _to(step, dest):
    """The gradient a step passes to the destination whose name contains ``dest``."""
    return next(g for d, g in step.grad_inputs if dest in d)


def test_saturated_tanh_shows_its_tiny_gradients_not_zero():
    # micrograd's a*b + c times f, through tanh: the gradients are ~1e-6, not "0."
    def build(L):
        a, b, c, f = (L.tensor(v, requires_grad=True) for v in (2.0, -3.0, 10.0, -2.0))
        return ((a * b + c) * f).tanh(), (a, b, c, f)

    out, leaves = build(ember)
    text = str(ember.autograd.explain(out, params=dict(zip("abcf", leaves))))
    t_out, t_leaves = build(torch)
    t_out.backward()
    for name, t in zip("abcf", t_leaves):
        shown = re.search(rf"-> leaf {name}: ({_NUM})", text)
        assert shown, text
        want = t.grad.item()
        assert want != 0 and abs(float(shown.group(1)) - want) <= 1e-3 * abs(want), (name, text)
    tanh = re.search(rf"TanhBackward0.*\n.*\n    -> input 0 -> MulBackward0: ({_NUM})", text)
    assert "dy/dx = 1 - y^2" in text and tanh
    y = np.tanh(np.float32(-8.0))
    assert abs(float(tanh.group(1)) - (1 - y * y)) <= 1e-3 * (1 - y * y)


def test_formulas_are_whole_paragraphs_without_implementation_notes():
    a = ember.tensor([1.5, 2.0], requires_grad=True)
    b = ember.tensor([2.0, 0.5], requires_grad=True)
    trace = ember.autograd.explain((a ** b + a).sum())
    pow_f = _step(trace, "PowBackward1").formula
    assert "nan for a < 0, as PyTorch)." in pow_f  # its second docstring line too
    add_f = _step(trace, "AddBackward0").formula
    assert add_f == "z = a + b;  dz/da = dz/db = 1." and "us" not in add_f


def _mlp(L, loss_kind):
    L.manual_seed(0)
    net = L.nn.Sequential(L.nn.Linear(4, 8), L.nn.Tanh(), L.nn.Linear(8, 3))
    x = L.randn(5, 4)
    logits = net(x)
    if loss_kind == "mse":
        y = L.randn(5, 3)
        return net, logits, L.nn.functional.mse_loss(logits, y), y
    t = L.tensor([0, 2, 1, 1, 0])
    return net, logits, L.nn.functional.cross_entropy(logits, t), t


def test_mlp_mse_trace_matches_torch_and_states_the_derivatives():
    net, _, loss, _ = _mlp(ember, "mse")
    trace = ember.autograd.explain(loss, params=dict(net.named_parameters()))
    tnet, t_logits, t_loss, ty = _mlp(torch, "mse")
    t_logits.retain_grad()
    t_loss.backward()
    mse = _step(trace, "MseLossBackward0")
    assert "dL/dx = 2 (x - y) / n" in mse.formula
    want = 2 * (t_logits - ty).detach().numpy() / t_logits.numel()  # the formula, evaluated
    np.testing.assert_allclose(mse.grad_inputs[0][1], want, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(mse.grad_inputs[0][1], t_logits.grad.numpy(), rtol=1e-5)
    addmm = trace.steps[1]
    assert addmm.op == "AddmmBackward0" == t_loss.grad_fn.next_functions[0][0].name()
    assert "dL/dx = g @ W,  dL/dW = g^T @ x,  dL/db = sum of g" in addmm.formula
    np.testing.assert_allclose(_to(addmm, "leaf 2.weight"), tnet[2].weight.grad.numpy(),
                               rtol=1e-5)
    np.testing.assert_allclose(_to(addmm, "leaf 2.bias"),
                               t_logits.grad.sum(0).numpy(), rtol=1e-5)
    np.testing.assert_allclose(_to(addmm, "TanhBackward0"),
                               (t_logits.grad @ tnet[2].weight).detach().numpy(), rtol=1e-5)


def test_cross_entropy_trace_states_softmax_minus_onehot():
    net, _, loss, _ = _mlp(ember, "ce")
    trace = ember.autograd.explain(loss, params=dict(net.named_parameters()))
    _, t_logits, t_loss, t = _mlp(torch, "ce")
    t_logits.retain_grad()
    t_loss.backward()
    assert t_loss.grad_fn.name() == "NllLossBackward0"
    nll = _step(trace, "NllLossBackward0")
    assert "dL/dx_ic = (p_ic - [c = t_i]) / N" in nll.formula
    p = torch.softmax(t_logits.detach(), 1)
    want = (p - torch.nn.functional.one_hot(t, 3)) / 5
    np.testing.assert_allclose(nll.grad_inputs[0][1], want.numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(nll.grad_inputs[0][1], t_logits.grad.numpy(), rtol=1e-5)


def test_cnn_and_lstm_formulas_and_numbers():
    def cnn(L):
        L.manual_seed(0)
        net = L.nn.Sequential(L.nn.Conv2d(1, 2, 3, padding=1), L.nn.ReLU(), L.nn.MaxPool2d(2),
                              L.nn.Flatten(), L.nn.Linear(2 * 2 * 2, 2))
        return net, L.nn.functional.cross_entropy(net(L.randn(2, 1, 4, 4)), L.tensor([0, 1]))

    net, loss = cnn(ember)
    trace = ember.autograd.explain(loss, params=dict(net.named_parameters()))
    tnet, t_loss = cnn(torch)
    t_loss.backward()
    conv = _step(trace, "ConvolutionBackward0")
    assert "dL/db[o] = sum_{n, p} g[n, o, p]" in conv.formula
    np.testing.assert_allclose(_to(conv, "leaf 0.bias"), tnet[0].bias.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(_to(conv, "leaf 0.weight"), tnet[0].weight.grad.numpy(),
                               rtol=1e-5)
    pool = _step(trace, "MaxPool2DWithIndicesBackward0").formula
    assert "maximum is at q." in pool and "sink" not in pool

    def lstm(L):
        L.manual_seed(0)
        rnn = L.nn.LSTM(3, 4, batch_first=True)
        out, _ = rnn(L.randn(2, 5, 3))
        return rnn, out[:, -1].pow(2).sum()

    rnn, loss = lstm(ember)
    trace = ember.autograd.explain(loss, params=dict(rnn.named_parameters()))
    trnn, t_loss = lstm(torch)
    t_loss.backward()
    layer = [s for s in trace.steps if s.op == "MkldnnRnnLayerBackward0"][-1]
    assert "c_t = f c + i g,  h_t = o tanh(c_t)" in layer.formula
    assert "db_ih = db_hh = sum_t dG_t" in layer.formula
    np.testing.assert_allclose(_to(layer, "weight_hh_l0"), trnn.weight_hh_l0.grad.numpy(),
                               rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(_to(layer, "bias_ih_l0"), _to(layer, "bias_hh_l0"))


def test_inplace_change_of_an_inplace_ops_saved_output_fails_backward_as_torch():
    def run(L, case):
        x = L.tensor([-1.0, 0.5, 2.0], requires_grad=True)
        y = x * 1
        if case == 0:
            y.relu_()
            y += 1
        else:
            y.sigmoid_()
            y.mul_(2)
        try:
            y.sum().backward()
        except RuntimeError as e:
            return str(e).splitlines()[0]
        return "no error"

    for case in (0, 1):
        assert run(ember, case) == run(torch, case)


def _deep_sigmoid(L):
    L.manual_seed(0)
    layers = []
    for _ in range(5):
        layers += [L.nn.Linear(8, 8), L.nn.Sigmoid()]
    return L.nn.Sequential(*layers, L.nn.Linear(8, 1)), L.randn(16, 8), L.randn(16, 1)


def test_monitor_warns_once_per_parameter_and_records_torchs_gradients():
    net, x, y = _deep_sigmoid(ember)
    tnet, tx, ty = _deep_sigmoid(torch)
    opt = ember.optim.SGD(net.parameters(), lr=0.1)
    topt = torch.optim.SGD(tnet.parameters(), lr=0.1)
    mon = ember.viz.GradientMonitor(net, vanish_below=1e-3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(4):
            for model, o, xs, ys, L in ((net, opt, x, y, ember), (tnet, topt, tx, ty, torch)):
                o.zero_grad()
                L.nn.functional.mse_loss(model(xs), ys).backward()
                o.step()
    mon.remove()
    texts = [str(w.message) for w in caught if w.category is ember.viz.GradientWarning]
    named = [re.match(r"vanishing gradient: '([^']+)'", t).group(1) for t in texts]
    assert named and len(named) == len(set(named))  # once per parameter, not every step
    for name, p in tnet.named_parameters():
        rec = mon.history[name]
        assert len(rec) == 4
        g = p.grad.double()
        np.testing.assert_allclose(rec[-1]["mean_abs"], g.abs().mean().item(), rtol=1e-4)
        np.testing.assert_allclose(rec[-1]["norm"], g.norm().item(), rtol=1e-4)
        if g.abs().mean().item() < 1e-3 * 0.5:
            assert name in named


def test_to_dot_draws_torchs_log_softmax_box_under_cross_entropy():
    def build(L):
        L.manual_seed(0)
        net = L.nn.Linear(4, 3)
        return L.nn.functional.cross_entropy(net(L.randn(2, 4)), L.tensor([0, 2])), net

    loss, net = build(ember)
    dot = ember.viz.to_dot(loss, params=dict(net.named_parameters()))
    boxes = dict(re.findall(r'(n\d+) \[label="(\w+Backward\d*)"', dot))
    t_loss, _ = build(torch)
    chain, fn = [], t_loss.grad_fn
    while fn is not None and "AccumulateGrad" not in fn.name():
        chain.append(fn.name())
        fn = fn.next_functions[0][0]
    # torch: NllLossBackward0 <- LogSoftmaxBackward0 <- AddmmBackward0; drawn as the same path
    assert chain == ["NllLossBackward0", "LogSoftmaxBackward0", "AddmmBackward0"]
    ids = {name: key for key, name in boxes.items()}
    assert sorted(boxes.values()) == sorted(chain)
    for lower, upper in zip(chain[1:], chain):
        assert f"{ids[lower]} -> {ids[upper]} " in dot, dot
