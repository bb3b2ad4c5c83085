"""nn.RNN / LSTM / GRU, their cells and nn.utils.rnn against PyTorch 2.13 (values, final
states, every gradient, errors, state_dict) and against float64 finite differences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from nn_testutil import close, np_of, same_error

import ember
from ember.autograd import gradcheck, gradgradcheck

enn, tnn = ember.nn, torch.nn
eR, tR = ember.nn.utils.rnn, torch.nn.utils.rnn
RNG = np.random.default_rng(7)

# name -> (class name, extra constructor kwargs)
KINDS = {
    "rnn_tanh": ("RNN", {}),
    "rnn_relu": ("RNN", {"nonlinearity": "relu"}),
    "lstm": ("LSTM", {}),
    "lstm_proj": ("LSTM", {"proj_size": 2}),
    "gru": ("GRU", {}),
}
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}


def make_pair(kind, dtype=np.float32, **kw):
    """The same randomly initialised layer in ember and in torch (weights copied over)."""
    name, extra = KINDS[kind]
    edt, tdt = (ember.float32, torch.float32) if dtype == np.float32 else \
        (ember.float64, torch.float64)
    e = getattr(enn, name)(4, 3, dtype=edt, **extra, **kw)
    t = getattr(tnn, name)(4, 3, dtype=tdt, **extra, **kw)
    t.load_state_dict({k: torch.from_numpy(np_of(v)) for k, v in e.state_dict().items()})
    return e, t


def leaves(a):
    return ember.tensor(a.copy(), requires_grad=True), torch.tensor(a.copy(), requires_grad=True)


def flat_states(h):
    return list(h) if isinstance(h, tuple) else [h]


def check_grads(e_mod, t_mod, e_outs, t_outs, e_leaves, t_leaves, tol):
    """Backward a fixed random weighting of every output; compare all leaf gradients."""
    e_loss, t_loss = 0, 0
    for eo, to in zip(e_outs, t_outs):
        w = RNG.standard_normal(tuple(to.shape)).astype(np_of(to).dtype)
        e_loss = e_loss + (eo * ember.tensor(w)).sum()
        t_loss = t_loss + (to * torch.tensor(w)).sum()
    e_loss.backward()
    t_loss.backward()
    for el, tl in zip(e_leaves, t_leaves):
        close(el.grad, tl.grad, **tol)
    e_params, t_params = dict(e_mod.named_parameters()), dict(t_mod.named_parameters())
    assert list(e_params) == list(t_params)
    for k in t_params:
        close(e_params[k].grad, t_params[k].grad, **tol)


LAYOUTS = [(1, False), (2, False), (1, True), (2, True)]


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("layers,bidi", LAYOUTS)
@pytest.mark.parametrize("batch_first", [False, True])
def test_layer_matches_torch(kind, layers, bidi, batch_first):
    e, t = make_pair(kind, num_layers=layers, bidirectional=bidi, batch_first=batch_first)
    shape = (2, 5, 4) if batch_first else (5, 2, 4)
    ex, tx = leaves(RNG.standard_normal(shape).astype(np.float32))
    (eo, eh), (to, th) = e(ex), t(tx)
    tol = TOL[np.float32]
    close(eo, to, **tol)
    for a, b in zip(flat_states(eh), flat_states(th)):
        close(a, b, **tol)
    check_grads(e, t, [eo, *flat_states(eh)], [to, *flat_states(th)], [ex], [tx], tol)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("batched", [True, False])
def test_given_initial_state_float64(kind, batched):
    e, t = make_pair(kind, np.float64, num_layers=2, bidirectional=True)
    real = 2 if kind == "lstm_proj" else 3
    lead = (4, 2) if batched else (4,)
    ex, tx = leaves(RNG.standard_normal((6, 2, 4) if batched else (6, 4)))
    eh, th = leaves(RNG.standard_normal(lead + (real,)))
    e_in, t_in, e_l, t_l = eh, th, [ex, eh], [tx, th]
    if kind.startswith("lstm"):
        ec, tc = leaves(RNG.standard_normal(lead + (3,)))
        e_in, t_in, e_l, t_l = (eh, ec), (th, tc), [ex, eh, ec], [tx, th, tc]
    (eo, ehn), (to, thn) = e(ex, e_in), t(tx, t_in)
    tol = TOL[np.float64]
    close(eo, to, **tol)
    for a, b in zip(flat_states(ehn), flat_states(thn)):
        close(a, b, **tol)
    check_grads(e, t, [eo, *flat_states(ehn)], [to, *flat_states(thn)], e_l, t_l, tol)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("bidi", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_packed_sequence_matches_torch(kind, bidi, batch_first):
    e, t = make_pair(kind, np.float64, num_layers=2, bidirectional=bidi)
    lengths = [3, 5, 1, 5]  # unsorted, with a tie
    shape = (4, 5, 4) if batch_first else (5, 4, 4)
    ex, tx = leaves(RNG.standard_normal(shape))
    ep = eR.pack_padded_sequence(ex, lengths, batch_first=batch_first, enforce_sorted=False)
    tp = tR.pack_padded_sequence(tx, lengths, batch_first=batch_first, enforce_sorted=False)
    for a, b in zip(ep[1:], tp[1:]):
        assert np_of(a).tolist() == np_of(b).tolist() and str(a.dtype) == str(b.dtype)
    real = 2 if kind == "lstm_proj" else 3
    dirs = 2 if bidi else 1
    eh, th = leaves(RNG.standard_normal((2 * dirs, 4, real)))
    e_in, t_in, e_l, t_l = eh, th, [ex, eh], [tx, th]
    if kind.startswith("lstm"):
        ec, tc = leaves(RNG.standard_normal((2 * dirs, 4, 3)))
        e_in, t_in, e_l, t_l = (eh, ec), (th, tc), [ex, eh, ec], [tx, th, tc]
    (eo, ehn), (to, thn) = e(ep, e_in), t(tp, t_in)
    assert isinstance(eo, eR.PackedSequence)
    tol = TOL[np.float64]
    close(eo.data, to.data, **tol)
    for a, b in zip(flat_states(ehn), flat_states(thn)):
        close(a, b, **tol)
    (epad, elen), (tpad, tlen) = (f(o, batch_first=batch_first, padding_value=-1.5)
                                  for f, o in ((eR.pad_packed_sequence, eo),
                                               (tR.pad_packed_sequence, to)))
    close(epad, tpad, **tol)
    close(elen, tlen, rtol=0, atol=0)
    check_grads(e, t, [epad, *flat_states(ehn)], [tpad, *flat_states(thn)], e_l, t_l, tol)


def test_packed_without_h0_and_sorted():
    e, t = make_pair("gru", np.float64)
    seqs = [RNG.standard_normal((n, 4)) for n in (4, 4, 2)]
    ep = eR.pack_sequence([ember.tensor(s) for s in seqs])
    tp = tR.pack_sequence([torch.tensor(s) for s in seqs])
    assert ep.sorted_indices is None and ep.unsorted_indices is None
    (eo, eh), (to, th) = e(ep), t(tp)
    close(eo.data, to.data, **TOL[np.float64])
    close(eh, th, **TOL[np.float64])


@pytest.mark.parametrize("kind", ["rnn_relu", "lstm_proj", "gru"])
def test_dropout_between_layers(kind):
    # p=1 drops everything deterministically, so both libraries agree exactly in training.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e, t = make_pair(kind, np.float64, num_layers=2, dropout=1.0)
    x = RNG.standard_normal((3, 2, 4))
    for training in (True, False):
        e.train(training)
        t.train(training)
        eo, to = e(ember.tensor(x))[0], t(torch.tensor(x))[0]
        close(eo, to, **TOL[np.float64])
    # With p=0.5, training draws a mask (so differs from eval); relu's first layer may be
    # all zeros, which no mask changes, so that check is left to the other kinds.
    e.train()
    e.dropout = 0.5
    eo = e(ember.tensor(x))[0]
    e.eval()
    if kind != "rnn_relu":
        assert not np.allclose(np_of(eo), np_of(e(ember.tensor(x))[0]))


# ---- cells -------------------------------------------------------------------------------

CELLS = {"rnn_tanh": ("RNNCell", {}), "rnn_relu": ("RNNCell", {"nonlinearity": "relu"}),
         "lstm": ("LSTMCell", {}), "gru": ("GRUCell", {}), "gru_nobias": ("GRUCell",
                                                                          {"bias": False})}


def make_cell(kind, dtype=np.float64):
    name, extra = CELLS[kind]
    edt, tdt = (ember.float32, torch.float32) if dtype == np.float32 else \
        (ember.float64, torch.float64)
    e = getattr(enn, name)(4, 3, dtype=edt, **extra)
    t = getattr(tnn, name)(4, 3, dtype=tdt, **extra)
    t.load_state_dict({k: torch.from_numpy(np_of(v)) for k, v in e.state_dict().items()})
    return e, t


@pytest.mark.parametrize("kind", list(CELLS))
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_h", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cell_matches_torch(kind, batched, with_h, dtype):
    e, t = make_cell(kind, dtype)
    lead = (2,) if batched else ()
    ex, tx = leaves(RNG.standard_normal(lead + (4,)).astype(dtype))
    e_l, t_l, e_args, t_args = [ex], [tx], [ex], [tx]
    if with_h:
        hs = [leaves(RNG.standard_normal(lead + (3,)).astype(dtype))
              for _ in range(2 if kind == "lstm" else 1)]
        e_l += [h[0] for h in hs]
        t_l += [h[1] for h in hs]
        e_args.append(tuple(h[0] for h in hs) if kind == "lstm" else hs[0][0])
        t_args.append(tuple(h[1] for h in hs) if kind == "lstm" else hs[0][1])
    eo, to = flat_states(e(*e_args)), flat_states(t(*t_args))
    for a, b in zip(eo, to):
        close(a, b, **TOL[dtype])
    check_grads(e, t, eo, to, e_l, t_l, TOL[dtype])


def test_cell_loop_matches_layer():
    # An LSTMCell stepped by hand is the one-layer LSTM with the same weights.
    cell, layer = enn.LSTMCell(4, 3, dtype=ember.float64), enn.LSTM(4, 3, dtype=ember.float64)
    layer.load_state_dict({k + "_l0": v for k, v in cell.state_dict().items()})
    x = ember.tensor(RNG.standard_normal((5, 2, 4)))
    h = c = ember.zeros(2, 3, dtype=ember.float64)
    outs = []
    for t in range(5):
        h, c = cell(x[t], (h, c))
        outs.append(h)
    out, (hn, cn) = layer(x)
    close(ember.stack(outs), out, **TOL[np.float64])
    close(c, cn[0], **TOL[np.float64])


# ---- finite differences --------------------------------------------------------------------

def _fd_case(kind, layers, bidi, packed):
    name, extra = KINDS[kind]
    m = getattr(enn, name)(2, 3, num_layers=layers, bidirectional=bidi, dtype=ember.float64,
                           **extra)
    x = ember.tensor(RNG.standard_normal((3, 2, 2)), requires_grad=True)
    real = 2 if kind == "lstm_proj" else 3
    n = layers * (2 if bidi else 1)
    hs = [ember.tensor(RNG.standard_normal((n, 2, real)), requires_grad=True)]
    if name == "LSTM":
        hs.append(ember.tensor(RNG.standard_normal((n, 2, 3)), requires_grad=True))

    def fn(x, *rest):
        hx = tuple(rest[:2]) if name == "LSTM" else rest[0]
        inp = eR.pack_padded_sequence(x, [2, 3], enforce_sorted=False) if packed else x
        out, h = m(inp, hx)
        out = eR.pad_packed_sequence(out)[0] if packed else out
        return (out, *flat_states(h))

    return fn, (x, *hs, *m.parameters())


@pytest.mark.parametrize("kind,layers,bidi,packed", [
    ("rnn_tanh", 2, True, False), ("rnn_relu", 1, False, True), ("lstm", 1, True, True),
    ("lstm_proj", 2, False, False), ("gru", 1, True, True), ("gru", 2, False, False)])
def test_gradcheck(kind, layers, bidi, packed):
    fn, inputs = _fd_case(kind, layers, bidi, packed)
    assert gradcheck(fn, inputs)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_gradgradcheck(kind):
    fn, inputs = _fd_case(kind, 1, False, False)
    x, h = inputs[0], inputs[1:3] if kind == "lstm" else inputs[1:2]
    assert gradgradcheck(lambda x, *h: fn(x, *h)[0], (x, *h))


@pytest.mark.parametrize("kind", ["rnn_tanh", "lstm", "gru"])
def test_cell_gradcheck(kind):
    e, _ = make_cell(kind)
    x = ember.tensor(RNG.standard_normal((2, 4)), requires_grad=True)
    h = ember.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    c = ember.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    if kind == "lstm":
        fn, inputs = (lambda x, h, c, *p: e(x, (h, c))), (x, h, c, *e.parameters())
    else:
        fn, inputs = (lambda x, h, *p: e(x, h)), (x, h, *e.parameters())
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs[:3 if kind == "lstm" else 2])


# ---- construction, repr, state_dict ------------------------------------------------------

CTOR_ARGS = [
    ("RNN", (5, 4, 2, "relu", False, True, 0.5, True), {}),
    ("RNN", (5, 4), {"nonlinearity": "tanh", "num_layers": 3}),
    ("LSTM", (5, 4), {"proj_size": 2, "bidirectional": True, "num_layers": 2}),
    ("LSTM", (5, 4, 1, False), {}),
    ("GRU", (5, 4), {"batch_first": True, "dropout": 0.25, "num_layers": 2}),
    ("RNNCell", (3, 4, False, "relu"), {}),
    ("LSTMCell", (3, 4), {}),
    ("GRUCell", (3, 4), {"bias": False}),
]


@pytest.mark.parametrize("name,args,kw", CTOR_ARGS)
def test_repr_params_and_state_dict_both_ways(name, args, kw):
    e, t = getattr(enn, name)(*args, **kw), getattr(tnn, name)(*args, **kw)
    assert repr(e) == repr(t)
    assert [(k, tuple(p.shape)) for k, p in e.named_parameters()] == \
        [(k, tuple(p.shape)) for k, p in t.named_parameters()]
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    for k, v in t.state_dict().items():
        close(e.state_dict()[k], v, rtol=0, atol=0)
    e2 = getattr(enn, name)(*args, **kw)
    t.load_state_dict({k: torch.from_numpy(np_of(v)) for k, v in e2.state_dict().items()})
    for k, v in e2.state_dict().items():
        close(t.state_dict()[k], v, rtol=0, atol=0)
    if name in ("RNN", "LSTM", "GRU"):
        assert e._flat_weights_names == t._flat_weights_names
        assert [[tuple(p.shape) for p in ws] for ws in e.all_weights] == \
            [[tuple(p.shape) for p in ws] for ws in t.all_weights]


@pytest.mark.parametrize("name", ["LSTM", "GRUCell"])
def test_init_is_uniform_in_stdv_from_embers_generator(name):
    ember.manual_seed(3)
    a = getattr(enn, name)(6, 16)
    ember.manual_seed(3)
    b = getattr(enn, name)(6, 16)
    values = np.concatenate([np_of(p).ravel() for p in a.parameters()])
    assert np.abs(values).max() <= 0.25 and np.abs(values).max() > 0.24
    assert abs(values.mean()) < 0.02 and abs(values.std() - 0.25 / np.sqrt(3)) < 0.01
    for p, q in zip(a.parameters(), b.parameters()):
        close(p, q, rtol=0, atol=0)


def test_dtype_and_empty_batch():
    e, t = make_pair("lstm", np.float64, num_layers=2)
    assert all(p.dtype == ember.float64 for p in e.parameters())
    (eo, (eh, ec)), (to, (th, tc)) = e(ember.zeros(3, 0, 4, dtype=ember.float64)), \
        t(torch.zeros(3, 0, 4, dtype=torch.float64))
    assert tuple(eo.shape) == tuple(to.shape) and tuple(ec.shape) == tuple(tc.shape)


BAD_CTORS = [
    ("RNN", (5, 4), {"nonlinearity": "sigmoid"}),
    ("RNN", (5, 4), {"proj_size": 2}),
    ("GRU", (5, 4), {"proj_size": 2}),
    ("LSTM", (5, 4), {"proj_size": 4}),
    ("LSTM", (5, 4), {"proj_size": -1}),
    ("GRU", (5, 4), {"dropout": 1.5}),
    ("GRU", (5, 4), {"dropout": True}),
    ("GRU", (5, 0), {}),
    ("GRU", (5.0, 4), {}),
    ("GRU", (5, 4), {"num_layers": 0}),
    ("GRU", (5, 4), {"bias": 1}),
    ("LSTM", (5, 4), {"batch_first": None}),
]


@pytest.mark.parametrize("name,args,kw", BAD_CTORS)
def test_constructor_errors(name, args, kw):
    same_error(lambda: getattr(enn, name)(*args, **kw), lambda: getattr(tnn, name)(*args, **kw))


def test_dropout_warning_with_one_layer():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1, "
                                         "but got dropout=0.3 and num_layers=1"):
        enn.GRU(3, 4, dropout=0.3)


def _both(kind, **kw):
    e, t = make_pair(kind, **kw)
    return (lambda *a: e(*a)), (lambda *a: t(*a))


def _arr(*shape, dtype=np.float32):
    a = RNG.standard_normal(shape).astype(dtype)
    return ember.tensor(a), torch.tensor(a)


FORWARD_ERRORS = [
    ("rnn_tanh", {}, [(4, 5, 4, 1)]),                      # 4-D input
    ("lstm", {}, [(4,)]),                                    # 1-D input
    ("gru", {}, [(5, 2, 6)]),                                # input_size
    ("rnn_tanh", {}, [(5, 2, 4), (1, 3, 3)]),                # hidden batch
    ("rnn_relu", {"num_layers": 2}, [(5, 2, 4), (1, 2, 3)]),  # hidden layers
    ("gru", {}, [(5, 2, 4), (2, 3)]),                        # batched input, 2-D hx
    ("gru", {}, [(5, 4), (1, 1, 3)]),                        # unbatched input, 3-D hx
    ("rnn_tanh", {}, [(5, 4), (1, 2)]),                      # unbatched, wrong hidden
    ("rnn_tanh", {}, [(0, 2, 4)]),                           # empty sequence
]


@pytest.mark.parametrize("kind,kw,shapes", FORWARD_ERRORS)
def test_forward_errors(kind, kw, shapes):
    fe, ft = _both(kind, **kw)
    pairs = [_arr(*s) for s in shapes]
    same_error(lambda: fe(*[p[0] for p in pairs]), lambda: ft(*[p[1] for p in pairs]))


@pytest.mark.parametrize("h_shape,c_shape", [((1, 2, 4), (1, 2, 3)), ((1, 2, 3), (1, 2, 4)),
                                             ((2, 3), (1, 2, 3)), ((1, 3, 3), (1, 2, 3))])
@pytest.mark.parametrize("kind", ["lstm", "lstm_proj"])
def test_lstm_state_errors(kind, h_shape, c_shape):
    fe, ft = _both(kind)
    x, h, c = _arr(5, 2, 4), _arr(*h_shape), _arr(*c_shape)
    same_error(lambda: fe(x[0], (h[0], c[0])), lambda: ft(x[1], (h[1], c[1])))
    xu, hu, cu = _arr(5, 4), _arr(*h_shape[1:]), _arr(*c_shape)
    same_error(lambda: fe(xu[0], (hu[0], cu[0])), lambda: ft(xu[1], (hu[1], cu[1])))


def test_input_dtype_error():
    fe, ft = _both("gru")
    x = _arr(5, 2, 4, dtype=np.float64)
    same_error(lambda: fe(x[0]), lambda: ft(x[1]))


CELL_ERRORS = [
    ("rnn_tanh", [(2, 5)]), ("gru", [(2, 4), (3, 3)]), ("gru", [(2, 4), (2, 2)]),
    ("rnn_relu", [(4,), (1, 3)]), ("rnn_tanh", [(1, 2, 4)]), ("gru", [(2, 4), (1, 2, 3)]),
    ("lstm", [(2, 4), (2, 2), (2, 3)]), ("lstm", [(2, 4), (2, 3), (2, 2)]),
    ("lstm", [(2, 4), (2, 3), (1, 2, 3)]), ("lstm", [(2, 4), (1, 3), (2, 3)]),
]


@pytest.mark.parametrize("kind,shapes", CELL_ERRORS)
def test_cell_errors(kind, shapes):
    e, t = make_cell(kind, np.float32)
    pairs = [_arr(*s) for s in shapes]
    ea, ta = [p[0] for p in pairs], [p[1] for p in pairs]
    if kind == "lstm":
        ea, ta = [ea[0], tuple(ea[1:])], [ta[0], tuple(ta[1:])]
    same_error(lambda: e(*ea), lambda: t(*ta))


def test_cell_unknown_nonlinearity_at_forward():
    e, t = enn.RNNCell(4, 3, nonlinearity="gelu"), tnn.RNNCell(4, 3, nonlinearity="gelu")
    x = _arr(2, 4)
    same_error(lambda: e(x[0]), lambda: t(x[1]))


# ---- nn.utils.rnn -----------------------------------------------------------------------

@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("trailing", [(), (2, 3)])
def test_pad_sequence(batch_first, side, trailing):
    pairs = [leaves(RNG.standard_normal((n,) + trailing)) for n in (2, 4, 1)]
    ep = eR.pad_sequence([p[0] for p in pairs], batch_first, -2.0, side)
    tp = tR.pad_sequence([p[1] for p in pairs], batch_first, -2.0, side)
    close(ep, tp, rtol=0, atol=0)
    check_grads(enn.Module(), tnn.Module(), [ep], [tp], [p[0] for p in pairs],
                [p[1] for p in pairs], TOL[np.float64])


def test_pad_sequence_of_a_tensor_and_ints():
    a = np.arange(6).reshape(2, 3)
    close(eR.pad_sequence(ember.tensor(a)), tR.pad_sequence(torch.tensor(a)), rtol=0, atol=0)
    seqs = [np.array([1, 2, 3]), np.array([4])]
    close(eR.pad_sequence([ember.tensor(s) for s in seqs], True, 9),
          tR.pad_sequence([torch.tensor(s) for s in seqs], True, 9), rtol=0, atol=0)


@pytest.mark.parametrize("args", [
    ([],), ([np.ones(2), np.ones(3)], False, 0.0, "up"), ([np.ones((2, 3)), np.ones((3, 2))],)])
def test_pad_sequence_errors(args):
    seqs, rest = args[0], args[1:]
    same_error(lambda: eR.pad_sequence([ember.tensor(s) for s in seqs], *rest),
               lambda: tR.pad_sequence([torch.tensor(s) for s in seqs], *rest))
    same_error(lambda: eR.pad_sequence(3), lambda: tR.pad_sequence(3))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted,lengths", [(True, [4, 2, 2]), (False, [1, 4, 2]),
                                                    (False, [3, 3, 3])])
def test_pack_pad_round_trip(batch_first, enforce_sorted, lengths):
    shape = (3, 4, 2) if batch_first else (4, 3, 2)
    ex, tx = leaves(RNG.standard_normal(shape))
    lens = [torch.tensor(lengths), ember.tensor(lengths)]
    ep = eR.pack_padded_sequence(ex, lens[1], batch_first, enforce_sorted)
    tp = tR.pack_padded_sequence(tx, lens[0], batch_first, enforce_sorted)
    close(ep.data, tp.data, rtol=0, atol=0)
    for a, b in zip(ep[1:], tp[1:]):
        assert (a is None and b is None) or np_of(a).tolist() == np_of(b).tolist()
    for total in (None, 6):
        (epad, elen), (tpad, tlen) = eR.pad_packed_sequence(ep, batch_first, 0.5, total), \
            tR.pad_packed_sequence(tp, batch_first, 0.5, total)
        close(epad, tpad, rtol=0, atol=0)
        close(elen, tlen, rtol=0, atol=0)
    check_grads(enn.Module(), tnn.Module(), [ep.data, epad], [tp.data, tpad], [ex], [tx],
                TOL[np.float64])
    same_error(lambda: eR.pad_packed_sequence(ep, total_length=2),
               lambda: tR.pad_packed_sequence(tp, total_length=2))


@pytest.mark.parametrize("lengths,kw", [([2, 3, 1], {}), ([3, 2, 0], {}), ([3, 2], {}),
                                        ([3, 0, 2], {}), ([0, 2, 1], {"enforce_sorted": False})])
def test_pack_padded_sequence_errors(lengths, kw):
    ex, tx = _arr(4, 3, 2)
    same_error(lambda: eR.pack_padded_sequence(ex, lengths, **kw),
               lambda: tR.pack_padded_sequence(tx, lengths, **kw))


def test_pack_sequence_unpack_and_packed_sequence_api():
    seqs = [RNG.standard_normal((n, 2)).astype(np.float32) for n in (2, 3, 1)]
    ep = eR.pack_sequence([ember.tensor(s) for s in seqs], enforce_sorted=False)
    tp = tR.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    assert repr(ep) == repr(tp)
    same_error(lambda: eR.pack_sequence([ember.tensor(s) for s in seqs]),
               lambda: tR.pack_sequence([torch.tensor(s) for s in seqs]))
    for a, b in zip(eR.unpack_sequence(ep), tR.unpack_sequence(tp)):
        close(a, b, rtol=0, atol=0)
    padded, lens = eR.pad_packed_sequence(ep, batch_first=True)
    for a, s in zip(eR.unpad_sequence(padded, lens, batch_first=True), seqs):
        close(a, ember.tensor(s), rtol=0, atol=0)
    assert ep.double().data.dtype == ember.float64 and ep.to(ember.float64).batch_sizes is \
        ep.batch_sizes and ep.float() is ep and not ep.is_cuda
    built = eR.PackedSequence(ep.data, ep.batch_sizes, ep.sorted_indices)
    assert np_of(built.unsorted_indices).tolist() == np_of(tp.unsorted_indices).tolist()
    assert repr(eR.PackedSequence((ep.data, ep.batch_sizes))) == \
        repr(tR.PackedSequence((tp.data, tp.batch_sizes)))
