"""Recurrent policies in RL (CleanRL's ppo_lstm, DRQN, recurrent REINFORCE, packed episodes):
the pieces where ember differed from PyTorch, checked live against torch."""

import numpy as np
import torch

import ember
from torch_compare import run_both, seeded


def test_lstm_state_kept_across_updates_reports_the_second_backward():
    # the classic recurrent-RL mistake: the LSTM state is carried into the next update
    # without .detach(); after optimizer.step() changed the weights the first update's graph
    # both is freed and saved old weights: PyTorch reports the freed graph
    def go(lib):
        lib.manual_seed(0)
        lstm = lib.nn.LSTM(4, 8)
        opt = lib.optim.SGD(lstm.parameters(), lr=0.1)
        x = seeded(lib, (5, 3, 4))
        h = (lib.zeros(1, 3, 8), lib.zeros(1, 3, 8))
        for _ in range(2):
            out, h = lstm(x, h)
            opt.zero_grad()
            out.pow(2).mean().backward()
            opt.step()
    want, got = run_both(go)
    assert got == want
    assert "second time" in want[1]

    # the same with plain ops: a weight changed in place after the graph was freed
    def plain(lib):
        w = lib.ones(3, requires_grad=True)
        y = (w * seeded(lib, (3,), grad=True)).sum()
        y.backward()
        with lib.no_grad():
            w.add_(1)
        y.backward()
    want, got = run_both(plain)
    assert got == want


def test_recurrent_cell_outputs_carry_pytorchs_version_counts():
    # GRUCell's h' and LSTMCell's c' leave PyTorch's kernel after in-place ops: the numbers an
    # in-place change of the state then reports ("is at version 3; expected version 2")
    def versions(lib):
        lib.manual_seed(0)
        gru, lstm, rnn = lib.nn.GRUCell(4, 8), lib.nn.LSTMCell(4, 8), lib.nn.RNNCell(4, 8)
        x = seeded(lib, (3, 4))
        h, (lh, lc), r = gru(x), lstm(x), rnn(x)
        with lib.no_grad():
            ng, (nh, nc) = gru(x), lstm(x)
        u, (uh, uc) = gru(x[0]), lstm(x[0])
        return [t._version for t in (h, lh, lc, r, ng, nh, nc, u, uh, uc)]
    want, got = run_both(versions)
    assert got == want

    def inplace_state(lib):
        lib.manual_seed(0)
        cell = lib.nn.GRUCell(4, 8)
        x = seeded(lib, (2, 3, 4))
        hx = cell(x[0], lib.zeros(3, 8))
        hx2 = cell(x[1], hx)
        hx *= 0.5
        hx2.sum().backward()
    want, got = run_both(inplace_state)
    assert got == want
    assert "version 3" in want[1]


def test_pack_padded_sequence_unsorted_sorts_before_checking():
    # enforce_sorted=False: PyTorch sorts the lengths and index_selects the batch first, so
    # 2-D lengths fail in index_select and fewer lengths than sequences keep only those rows
    def pack(lengths, batch_first=True):
        def go(lib):
            x = lib.arange(24.0).view(4, 6, 1).requires_grad_()
            lens = lib.tensor(lengths) if isinstance(lengths, np.ndarray) else lengths
            p = lib.nn.utils.rnn.pack_padded_sequence(x, lens, batch_first=batch_first,
                                                      enforce_sorted=False)
            out, n = lib.nn.utils.rnn.pad_packed_sequence(p, batch_first=True)
            out.sum().backward()
            return (p.data.tolist(), p.batch_sizes.tolist(), p.sorted_indices.tolist(),
                    p.unsorted_indices.tolist(), out.tolist(), n.tolist(), x.grad.tolist())
        return go
    for lengths in ([3, 6, 1], np.array([[3, 6, 1, 2]]), [[3, 6, 1, 2]], [3, 6, 1, 2, 2]):
        want, got = run_both(pack(lengths))
        assert got == want, lengths


def test_lstm_given_three_states_refuses_as_pytorch():
    # (h, c, extra) by mistake: batched LSTM and LSTMCell refuse after the size checks; the
    # unbatched paths read only hx[0] and hx[1]
    x = lambda lib: seeded(lib, (5, 3, 4))  # noqa: E731
    h = lambda lib: lib.zeros(1, 3, 8)  # noqa: E731
    cases = [
        lambda lib: lib.nn.LSTM(4, 8)(x(lib), (h(lib),) * 3)[0].shape,
        lambda lib: lib.nn.LSTM(4, 8)(x(lib), [h(lib)] * 3)[0].shape,
        lambda lib: lib.nn.LSTM(4, 8)(x(lib), (h(lib),))[0].shape,
        lambda lib: lib.nn.LSTM(4, 8)(x(lib)[:, 0], (h(lib)[:, 0],) * 3)[0].shape,
        lambda lib: lib.nn.LSTM(4, 8)(x(lib), (lib.zeros(1, 2, 8),) * 3)[0].shape,
        lambda lib: lib.nn.LSTM(4, 8)(lib.nn.utils.rnn.pack_padded_sequence(
            x(lib), [5, 4, 2]), (h(lib),) * 3)[0].data.shape,
        lambda lib: lib.nn.LSTMCell(4, 8)(x(lib)[0], (h(lib)[0],) * 3)[0].shape,
        lambda lib: lib.nn.LSTMCell(4, 8)(x(lib)[0], (h(lib)[0],))[0].shape,
        lambda lib: lib.nn.LSTMCell(4, 8)(x(lib)[0], ())[0].shape,
        lambda lib: lib.nn.LSTMCell(4, 8)(x(lib)[0, 0], (h(lib)[0, 0],) * 3)[0].shape,
    ]
    for i, case in enumerate(cases):
        want, got = run_both(lambda lib, case=case: tuple(case(lib)))
        assert got == want, i
