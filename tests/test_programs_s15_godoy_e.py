"""Session 15, Godoy's "Deep Learning with PyTorch Step-by-Step" as learners type it.
Vol III ch8: RNN/GRU/LSTM cells by hand against the modules, stacked and bidirectional
RNNs, packed sequences, Conv1d on sequences; and the mistakes learners make along the
book (targets, dtypes, devices, second backward, state_dict keys, frozen layers).
Each program prints; the test runs it on torch and on ember and compares the printouts
(object addresses left out). Where ember's known last-bit gaps show (LSTM/GRU steps: NumPy's
float32 tanh; BatchNorm's statistics), the program prints what the book checks, rounded."""

import io

import numpy as np
from s15_godoy_sbs import same_printout


def prog_rnn(torch):
    nn = torch.nn; F = torch.nn.functional
    rnn_utils = torch.nn.utils.rnn
    n_features = 2; hidden_dim = 2
    torch.manual_seed(19)
    rnn_cell = nn.RNNCell(input_size=n_features, hidden_size=hidden_dim)
    rnn_state = rnn_cell.state_dict()
    print(rnn_cell, rnn_state)
    linear_input = nn.Linear(n_features, hidden_dim)
    linear_hidden = nn.Linear(hidden_dim, hidden_dim)
    with torch.no_grad():
        linear_input.weight = nn.Parameter(rnn_state['weight_ih'])
        linear_input.bias = nn.Parameter(rnn_state['bias_ih'])
        linear_hidden.weight = nn.Parameter(rnn_state['weight_hh'])
        linear_hidden.bias = nn.Parameter(rnn_state['bias_hh'])
    initial_hidden = torch.zeros(1, hidden_dim)
    th = linear_hidden(initial_hidden)
    print(th)
    X = torch.as_tensor(np.array([[1.0349, 0.9661], [0.8055, -0.9169], [-0.8251, -0.9499],
                                  [-0.8670, 0.9342]])).float()
    tx = linear_input(X[0:1])
    adding = th + tx
    print(adding, torch.tanh(adding))
    print(rnn_cell(X[0:1]))
    hidden = torch.zeros(1, hidden_dim)
    for i in range(X.shape[0]):
        out = rnn_cell(X[i:i+1], hidden)
        print(out)
        hidden = out
    try:
        rnn_cell(X)
        print(rnn_cell(X[0]), rnn_cell(X[0], torch.zeros(hidden_dim)))
        rnn_cell(X[0:1], torch.zeros(2, hidden_dim))
    except Exception as e:
        print(type(e).__name__, str(e).splitlines()[0])
    torch.manual_seed(19)
    rnn = nn.RNN(input_size=n_features, hidden_size=hidden_dim)
    print(rnn, rnn.state_dict())
    batch = torch.as_tensor(np.array([[[1.0349, 0.9661], [0.8055, -0.9169], [-0.8251, -0.9499],
                                       [-0.8670, 0.9342]],
                                      [[-1.0151, -0.9787], [-0.9766, 1.0134], [0.9891, 0.9778],
                                       [0.9775, -0.9944]],
                                      [[1.0346, -0.9651], [1.0220, 0.9824], [-0.9869, 0.9742],
                                       [-0.9927, -1.0117]]])).float()
    print(batch.shape)
    permuted_batch = batch.permute(1, 0, 2)
    print(permuted_batch.shape)
    torch.manual_seed(19)
    rnn = nn.RNN(input_size=n_features, hidden_size=hidden_dim)
    out, final_hidden = rnn(permuted_batch)
    print(out.shape, final_hidden.shape, out, final_hidden)
    print((out[-1] == final_hidden).all())
    batch_hidden = final_hidden.permute(1, 0, 2)
    print(batch_hidden.shape, batch_hidden.is_contiguous())
    torch.manual_seed(19)
    rnn_batch_first = nn.RNN(input_size=n_features, hidden_size=hidden_dim, batch_first=True)
    out, final_hidden = rnn_batch_first(batch)
    print(out.shape, final_hidden.shape, out[:, -1] == final_hidden.permute(1, 0, 2).squeeze())
    torch.manual_seed(19)
    rnn_stacked = nn.RNN(input_size=2, hidden_size=2, num_layers=2, batch_first=True)
    state = rnn_stacked.state_dict()
    print(list(state.keys()))
    rnn_layer0 = nn.RNN(input_size=2, hidden_size=2, batch_first=True)
    rnn_layer1 = nn.RNN(input_size=2, hidden_size=2, batch_first=True)
    rnn_layer0.load_state_dict(dict(list(state.items())[:4]))
    try:
        rnn_layer1.load_state_dict(dict(list(state.items())[4:]))
    except Exception as e:
        print(type(e).__name__, str(e).splitlines()[0])
    rnn_layer1.load_state_dict(dict([(k[:-1] + '0', v) for k, v in list(state.items())[4:]]))
    x = batch[0:1]
    out0, h0 = rnn_layer0(x)
    out1, h1 = rnn_layer1(out0)
    out, h = rnn_stacked(x)
    print(out1, out, torch.cat([h0, h1]), h)
    torch.manual_seed(19)
    rnn_bidirect = nn.RNN(input_size=2, hidden_size=2, bidirectional=True, batch_first=True)
    state = rnn_bidirect.state_dict()
    print(list(state.keys()))
    out, h = rnn_bidirect(x)
    print(out, h, out.shape, h.shape)
    print(rnn_bidirect)
    # GRU cell by hand
    torch.manual_seed(17)
    gru_cell = nn.GRUCell(input_size=n_features, hidden_size=hidden_dim)
    gru_state = gru_cell.state_dict()
    print(gru_state)
    Wx, bx = gru_state['weight_ih'], gru_state['bias_ih']
    Wh, bh = gru_state['weight_hh'], gru_state['bias_hh']
    print(Wx.shape, Wh.shape, bx.shape, bh.shape)
    Wxr, Wxz, Wxn = Wx.split(hidden_dim, dim=0)
    bxr, bxz, bxn = bx.split(hidden_dim, dim=0)
    Whr, Whz, Whn = Wh.split(hidden_dim, dim=0)
    bhr, bhz, bhn = bh.split(hidden_dim, dim=0)
    print(Wxr, bxr)
    def linear_layers(Wx, bx, Wh, bh):
        hidden_dim, n_features = Wx.size()
        lin_input = nn.Linear(n_features, hidden_dim)
        lin_input.load_state_dict({'weight': Wx, 'bias': bx})
        lin_hidden = nn.Linear(hidden_dim, hidden_dim)
        lin_hidden.load_state_dict({'weight': Wh, 'bias': bh})
        return lin_hidden, lin_input
    r_hidden, r_input = linear_layers(Wxr, bxr, Whr, bhr)
    z_hidden, z_input = linear_layers(Wxz, bxz, Whz, bhz)
    n_hidden, n_input = linear_layers(Wxn, bxn, Whn, bhn)
    def reset_gate(h, x):
        thr = r_hidden(h); txr = r_input(x)
        return torch.sigmoid(thr + txr)
    def update_gate(h, x):
        thz = z_hidden(h); txz = z_input(x)
        return torch.sigmoid(thz + txz)
    def candidate_n(h, x, r):
        thn = n_hidden(h); txn = n_input(x)
        return torch.tanh(r * thn + txn)
    initial_hidden = torch.zeros(1, hidden_dim)
    X = batch[0]
    first_corner = X[0:1]
    r = reset_gate(initial_hidden, first_corner)
    n = candidate_n(initial_hidden, first_corner, r)
    z = update_gate(initial_hidden, first_corner)
    h_prime = n * (1 - z) + initial_hidden * z
    print(r, n, z, h_prime)
    print(gru_cell(first_corner))
    # LSTM cell by hand
    torch.manual_seed(17)
    lstm_cell = nn.LSTMCell(input_size=n_features, hidden_size=hidden_dim)
    lstm_state = lstm_cell.state_dict()
    print(lstm_state)
    Wx, bx = lstm_state['weight_ih'], lstm_state['bias_ih']
    Wh, bh = lstm_state['weight_hh'], lstm_state['bias_hh']
    Wxi, Wxf, Wxg, Wxo = Wx.split(hidden_dim, dim=0)
    bxi, bxf, bxg, bxo = bx.split(hidden_dim, dim=0)
    Whi, Whf, Whg, Who = Wh.split(hidden_dim, dim=0)
    bhi, bhf, bhg, bho = bh.split(hidden_dim, dim=0)
    i_hidden, i_input = linear_layers(Wxi, bxi, Whi, bhi)
    f_hidden, f_input = linear_layers(Wxf, bxf, Whf, bhf)
    o_hidden, o_input = linear_layers(Wxo, bxo, Who, bho)
    g_cell = nn.RNNCell(n_features, hidden_dim)
    g_cell.load_state_dict({'weight_ih': Wxg, 'bias_ih': bxg, 'weight_hh': Whg, 'bias_hh': bhg})
    def forget_gate(h, x): return torch.sigmoid(f_hidden(h) + f_input(x))
    def output_gate(h, x): return torch.sigmoid(o_hidden(h) + o_input(x))
    def input_gate(h, x): return torch.sigmoid(i_hidden(h) + i_input(x))
    initial_hidden = torch.zeros(1, hidden_dim); initial_cell = torch.zeros(1, hidden_dim)
    g = g_cell(first_corner)
    i = input_gate(initial_hidden, first_corner)
    gated_input = g * i
    f = forget_gate(initial_hidden, first_corner)
    gated_cell = initial_cell * f
    c_prime = gated_cell + gated_input
    o = output_gate(initial_hidden, first_corner)
    h_prime = o * torch.tanh(c_prime)
    print(g, i, f, o, c_prime, np.round(h_prime.detach().numpy(), 4))
    print([np.round(s.detach().numpy(), 4) for s in lstm_cell(first_corner)])
    torch.manual_seed(17)
    lstm = nn.LSTM(2, 2, batch_first=True)
    out, (h, c) = lstm(batch)
    print(out.grad_fn, [np.round(v.detach().numpy(), 3) for v in (out, h, c)])
    gru = nn.GRU(2, 2, batch_first=True, num_layers=2, dropout=0.0)
    out, h = gru(batch)
    print(np.round(out[:, -1].detach().numpy(), 4), np.round(h.detach().numpy(), 4))
    for f in [lambda: lstm(batch, torch.zeros(1, 3, 2)),
              lambda: lstm(batch, (torch.zeros(1, 2, 2), torch.zeros(1, 2, 2))),
              lambda: gru(batch[0, 0]),
              lambda: lstm(batch.double()),
              lambda: nn.RNN(2, 2)(batch.permute(1, 0, 2), torch.zeros(3, 2))[1].shape,
              lambda: nn.RNN(3, 2)(batch),
              lambda: nn.LSTM(2, 2, dropout=0.5),
              lambda: nn.RNN(2, 2, nonlinearity='sigmoid'),
              lambda: lstm(batch.permute(1, 0, 2).contiguous().long()),
              ]:
        try:
            r = f(); print(r if not isinstance(r, tuple) else [type(t).__name__ for t in r])
        except Exception as e:
            print(type(e).__name__, str(e).splitlines()[0])
    # variable length sequences
    s0 = torch.tensor([[1.0349, 0.9661], [0.8055, -0.9169], [-0.8251, -0.9499], [-0.8670,
                                                                                 0.9342]]).float()
    s1 = torch.tensor([[-1.0151, -0.9787], [-0.9766, 1.0134]]).float()
    s2 = torch.tensor([[1.0346, -0.9651], [1.0220, 0.9824], [-0.9869, 0.9742]]).float()
    all_seqs = [s0, s1, s2]
    print(torch.as_tensor([len(s) for s in all_seqs]))
    seq_tensors = [torch.as_tensor(seq).float() for seq in all_seqs]
    padded = rnn_utils.pad_sequence(seq_tensors, batch_first=True)
    print(padded)
    torch.manual_seed(11)
    rnn = nn.RNN(2, 2, batch_first=True)
    output_padded, hidden_padded = rnn(padded)
    print(output_padded, hidden_padded.permute(1, 0, 2))
    packed = rnn_utils.pack_sequence(seq_tensors, enforce_sorted=False)
    print(packed)
    print((packed.data[[0, 3, 6, 8]] == seq_tensors[0]).all())
    output_packed, hidden_packed = rnn(packed)
    print(output_packed, hidden_packed)
    print(hidden_packed.permute(1, 0, 2))
    output_unpacked, seq_sizes = rnn_utils.pad_packed_sequence(output_packed, batch_first=True)
    print(output_unpacked, seq_sizes)
    print(output_unpacked[[0, 1, 2], seq_sizes - 1])
    len_seqs = [len(seq) for seq in all_seqs]
    packed = rnn_utils.pack_padded_sequence(padded, len_seqs, enforce_sorted=False,
                                            batch_first=True)
    print(packed)
    try:
        rnn_utils.pack_padded_sequence(padded, len_seqs, batch_first=True)
    except Exception as e:
        print(type(e).__name__, str(e).splitlines()[0])
    try:
        rnn_utils.pack_padded_sequence(padded, torch.tensor(len_seqs).cuda(), batch_first=True)
    except Exception as e:
        print(type(e).__name__, str(e).splitlines()[0])
    lstm = nn.LSTM(2, 3, batch_first=True, bidirectional=True)
    o, (h, c) = lstm(packed)
    print(type(o).__name__, o.data.shape, h.shape, o.batch_sizes, o.sorted_indices,
          o.unsorted_indices)
    print(rnn_utils.pad_packed_sequence(o, batch_first=True, total_length=5)[0].shape)
    # Conv1d on sequences
    temp = torch.cat([torch.zeros(1, 2, 1), batch[0:1].permute(0, 2, 1)], dim=2)
    print(temp.shape)
    torch.manual_seed(17)
    conv_seq = nn.Conv1d(in_channels=2, out_channels=1, kernel_size=2, bias=False)
    print(conv_seq.weight, conv_seq.weight.shape)
    seqs = batch[0:1].permute(0, 2, 1)
    print(conv_seq(seqs))
    conv_dilated = nn.Conv1d(in_channels=2, out_channels=1, kernel_size=2, dilation=2, bias=False)
    print(conv_dilated(seqs))
    print(nn.Conv1d(2, 1, 2, dilation=2, padding='same', bias=False)(seqs).shape)
    try:
        conv_seq(batch)
    except Exception as e:
        print(type(e).__name__, str(e).splitlines()[0])


def prog_mistakes(torch):
    nn = torch.nn; F = torch.nn.functional; optim = torch.optim
    def t(f):
        try:
            r = f(); print(r)
        except Exception as e:
            print(type(e).__name__, str(e).splitlines()[0])
    torch.manual_seed(42)
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3))
    x = torch.randn(4, 2); y = torch.tensor([0, 2, 1, 3])
    loss_fn = nn.CrossEntropyLoss()
    t(lambda: loss_fn(model(x), y))
    t(lambda: loss_fn(model(x), y.float()))
    t(lambda: loss_fn(model(x), y[:3].clamp(max=2)))
    t(lambda: loss_fn(model(x), y.clamp(max=2).view(-1, 1)))
    t(lambda: nn.NLLLoss()(model(x), torch.tensor([0, 2, 1, -5])))
    t(lambda: loss_fn(model(x.double()), y.clamp(max=2)))
    t(lambda: model(torch.as_tensor(np.random.rand(4, 2))))
    t(lambda: model(np.random.rand(4, 2)))
    t(lambda: model([[1., 2.]]))
    t(lambda: torch.utils.data.TensorDataset(torch.ones(3, 2), torch.ones(4)))
    t(lambda: torch.ones(2, 3).t().view(-1))
    t(lambda: torch.ones(2, 3).cuda())
    t(lambda: torch.ones(2, 3).to('cuda'))
    t(lambda: torch.ones(2, 3, device='cuda'))
    t(lambda: torch.device('cuda:0'))
    t(lambda: torch.ones(2).numpy() if False else torch.ones(2, requires_grad=True).numpy())
    l = loss_fn(model(x), y.clamp(max=2))
    l.backward()
    t(lambda: l.backward())
    t(lambda: torch.ones(2, requires_grad=True).sum().backward() or 'ok')
    t(lambda: torch.ones(2, requires_grad=True).backward())
    t(lambda: torch.ones(2, requires_grad=True).item())
    t(lambda: torch.ones(2).mean().item())
    t(lambda: torch.tensor([1, 2]).mean())
    t(lambda: torch.tensor([1, 2], requires_grad=True))
    w = torch.randn(1, requires_grad=True)
    t(lambda: w.add_(1))
    t(lambda: w.data.add_(1) is not None)
    with torch.no_grad():
        w -= 0.1
    print(w.requires_grad, w.grad_fn, w.is_leaf)
    w2 = torch.randn(1, requires_grad=True)
    w2 = w2 - 0.1
    t(lambda: (w2 * 2).backward() or w2.grad)
    # load_state_dict mistakes
    m2 = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 4))
    t(lambda: m2.load_state_dict(model.state_dict()))
    m3 = nn.Sequential(nn.Linear(2, 3))
    t(lambda: m3.load_state_dict(model.state_dict()))
    t(lambda: m3.load_state_dict(model.state_dict(), strict=False))
    t(lambda: nn.Linear(2, 3).load_state_dict({'weight': torch.ones(3, 2)}))
    # optimizer mistakes
    t(lambda: optim.SGD(model, lr=0.1))
    t(lambda: optim.SGD([], lr=0.1))
    t(lambda: optim.Adam(model.parameters(), lr='0.1'))
    opt = optim.SGD(model.parameters(), lr=0.1)
    t(lambda: opt.load_state_dict(optim.SGD(m3.parameters(), lr=0.1).state_dict()))
    # freezing (ch7)
    def freeze_model(model):
        for parameter in model.parameters():
            parameter.requires_grad = False
    freeze_model(model)
    model[2] = nn.Linear(3, 2)
    print(model, [p.requires_grad for p in model.parameters()])
    print(sum(p.numel() for p in model.parameters() if p.requires_grad))
    t(lambda: model[0].weight.requires_grad_(True).requires_grad)
    h = model(x)
    t(lambda: h.sum().backward() or model[2].weight.grad.shape)
    # init helpers
    def weights_init(m):
        if isinstance(m, nn.Linear):
            nn.init.kaiming_normal_(m.weight, nonlinearity='relu')
            nn.init.zeros_(m.bias)
    torch.manual_seed(42)
    mm = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    with torch.no_grad():
        mm.apply(weights_init)
    print(mm.state_dict())
    t(lambda: nn.init.kaiming_normal_(torch.ones(3)))
    t(lambda: nn.init.kaiming_uniform_(torch.ones(3, 2), nonlinearity='tanh'))
    t(lambda: nn.init.xavier_uniform_(torch.ones(3, 2), gain=nn.init.calculate_gain('tanh')))
    t(lambda: nn.init.calculate_gain('leaky_relu', 0.2))
    t(lambda: nn.init.calculate_gain('gelu'))
    # predictions
    torch.manual_seed(0)
    yhat = torch.randn(5, 3)
    t(lambda: torch.max(yhat, 1))
    _, predicted = torch.max(yhat, 1)
    print(predicted, yhat.argmax(dim=1), F.one_hot(predicted, num_classes=3))
    print(F.softmax(yhat, dim=-1).sum(1), nn.LogSoftmax(dim=-1)(yhat))
    print(nn.NLLLoss(weight=torch.tensor([1., 2., 3.]))(F.log_softmax(yhat, -1), torch.tensor([0,
            1, 2, 1, 0])))
    print(nn.CrossEntropyLoss(label_smoothing=0.1, reduction='sum')(yhat, torch.tensor([0, 1, 2, 1,
                                                                                        0])))
    print(nn.CrossEntropyLoss()(yhat, F.softmax(torch.randn(5, 3), -1)))
    # graph inspection
    b = torch.randn(1, requires_grad=True); wv = torch.randn(1, requires_grad=True)
    yh = b + wv * torch.ones(3, 1)
    err = yh - torch.zeros(3, 1)
    ls = (err ** 2).mean()
    print(ls.grad_fn, ls.grad_fn.next_functions)
    print([type(f[0]).__name__ for f in ls.grad_fn.next_functions[0][0].next_functions])
    # torch.save model / buffers
    buf = io.BytesIO()
    torch.save(mm.state_dict(), buf); buf.seek(0)
    sd = torch.load(buf)
    print(sd.keys(), type(sd).__name__)
    # tensor creation on device
    print(torch.cuda.is_available(), torch.device('cpu'), torch.ones(1).device)
    print(torch.get_default_dtype())
    print(torch.zeros(2).new_zeros(3), torch.tensor(np.float64(3.0)), torch.tensor([np.float32(1)]))


def test_rnn():
    same_printout(prog_rnn)


def test_mistakes():
    same_printout(prog_mistakes)
