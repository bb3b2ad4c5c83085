"""Session 20's small gaps from the program sweeps, each checked live against PyTorch 2.13:
``detach_()`` of a tensor an op saved as an input refuses at backward (ember computed on),
and the optimizers' KeyError for a state entry missing from a state set by hand (ember filled
it in and stepped)."""

import pytest

from torch_compare import same


def _grads(w):
    return w.grad.tolist()


def _saved_input(L):
    w = L.ones(3, requires_grad=True)
    h = w * 2
    y = (h * w).sum()
    h.detach_()
    y.backward()
    return _grads(w)


def _saved_output_only(L):  # tanh saves its output: PyTorch goes on
    w = L.ones(3, requires_grad=True)
    h = L.tanh(w)
    y = L.tanh(h.exp()).sum()
    h.detach_()
    y.backward()
    return _grads(w)


def _detached_then_written(L):
    w = L.ones(3, requires_grad=True)
    h = w * 2
    y = (h * w).sum()
    h.detach_()
    h.mul_(2)
    y.backward()


def _reused_after_detach(L):  # a graph built after detach_ is fine, writes included
    w = L.ones(3, requires_grad=True)
    h = w * 3
    h.detach_()
    h.add_(1)
    (h * w).sum().backward()
    return _grads(w), h._version, h._version == 1


def _rnn_hidden_state(L):  # hx.detach_() after each backward (truncated BPTT)
    w = L.ones(2, requires_grad=True)
    hx, out = L.zeros(2), []
    for _ in range(3):
        hx = L.tanh(hx * w + 1.0)
        hx.sum().backward()
        hx.detach_()
        out.append([round(g, 5) for g in _grads(w)])  # (float32 tanh: last bits apart)
    return out, hx._version


def _unused_input(L):  # mul(h, ones): h's saved value feeds no needed gradient
    w = L.ones(3, requires_grad=True)
    h = w * 2
    y = (h * L.ones(3)).sum()
    h.detach_()
    y.backward()
    return _grads(w)


@pytest.mark.parametrize("prog", [_saved_input, _saved_output_only, _detached_then_written,
                                  _reused_after_detach, _rnn_hidden_state, _unused_input],
                         ids=lambda f: f.__name__)
def test_detach_inplace_of_a_saved_tensor(prog):
    same(prog)


def _state_by_hand(make, entries):
    def prog(L):
        p = L.nn.Parameter(L.ones(2))
        opt = make(L, [p])
        opt.state[p] = {k: v(L) for k, v in entries.items()}
        p.grad = L.ones(2)
        opt.step()
        return p.tolist()
    return prog


def _t(value):
    return lambda L: L.tensor(value)


def _z(L):
    return L.zeros(2)


OPTIMIZER_STATES = [
    (lambda L, ps: L.optim.Adam(ps, amsgrad=True), {"step": _t(1.0), "exp_avg": _z,
                                                    "exp_avg_sq": _z}),
    (lambda L, ps: L.optim.AdamW(ps, amsgrad=True), {"step": _t(1.0), "exp_avg": _z,
                                                     "exp_avg_sq": _z}),
    (lambda L, ps: L.optim.Adam(ps), {"step": _t(1.0), "exp_avg": _z}),
    (lambda L, ps: L.optim.Adam(ps), {"exp_avg": _z, "exp_avg_sq": _z}),
    (lambda L, ps: L.optim.Adam(ps, amsgrad=True), {"step": lambda L: 0, "exp_avg": _z,
                                                    "exp_avg_sq": _z}),
    (lambda L, ps: L.optim.RMSprop(ps, centered=True), {"step": _t(1.0), "square_avg": _z}),
    (lambda L, ps: L.optim.RMSprop(ps, momentum=0.9), {"step": _t(1.0), "square_avg": _z}),
    (lambda L, ps: L.optim.Adagrad(ps), {"step": _t(1.0)}),
    (lambda L, ps: L.optim.Adamax(ps), {"step": _t(1.0), "exp_avg": _z}),
    (lambda L, ps: L.optim.Adadelta(ps), {"step": _t(1.0), "square_avg": _z}),
    (lambda L, ps: L.optim.RAdam(ps), {"step": _t(1.0), "exp_avg": _z}),
    (lambda L, ps: L.optim.NAdam(ps), {"step": _t(1.0), "exp_avg": _z, "exp_avg_sq": _z}),
    (lambda L, ps: L.optim.Rprop(ps), {"step": _t(1.0), "prev": _z}),
    (lambda L, ps: L.optim.ASGD(ps), {"step": _t(1.0), "eta": _t(0.01)}),
    # SGD reads its buffer with state.get: no error, a fresh buffer
    (lambda L, ps: L.optim.SGD(ps, lr=0.1, momentum=0.9), {"other": _t(1.0)}),
    # complete states step as usual
    (lambda L, ps: L.optim.Adam(ps, amsgrad=True), {"step": _t(1.0), "exp_avg": _z,
                                                    "exp_avg_sq": _z, "max_exp_avg_sq": _z}),
]


@pytest.mark.parametrize("make,entries", OPTIMIZER_STATES)
def test_state_missing_an_entry(make, entries):
    same(_state_by_hand(make, entries))
