"""Session 14: d2l chapters 8-10 as programs: batch norm from scratch, Residual and
Inception blocks, RNN/GRU/LSTM from scratch with grad clipping by hand, the seq2seq
masked softmax cross-entropy loss."""

import collections
import math

def batchnorm(L):
    nn = L.nn; F = nn.functional
    def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
        if not L.is_grad_enabled():
            X_hat = (X - moving_mean) / L.sqrt(moving_var + eps)
        else:
            assert len(X.shape) in (2, 4)
            if len(X.shape) == 2:
                mean = X.mean(dim=0); var = ((X - mean) ** 2).mean(dim=0)
            else:
                mean = X.mean(dim=(0, 2, 3), keepdim=True)
                var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
            X_hat = (X - mean) / L.sqrt(var + eps)
            moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
            moving_var = (1.0 - momentum) * moving_var + momentum * var
        Y = gamma * X_hat + beta
        return Y, moving_mean.data, moving_var.data
    class BatchNorm(nn.Module):
        def __init__(self, num_features, num_dims):
            super().__init__()
            shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
            self.gamma = nn.Parameter(L.ones(shape)); self.beta = nn.Parameter(L.zeros(shape))
            self.moving_mean = L.zeros(shape); self.moving_var = L.ones(shape)
        def forward(self, X):
            if self.moving_mean.device != X.device:
                self.moving_mean = self.moving_mean.to(X.device)
                self.moving_var = self.moving_var.to(X.device)
            Y, self.moving_mean, self.moving_var = batch_norm(
                X, self.gamma, self.beta, self.moving_mean,
                self.moving_var, eps=1e-5, momentum=0.1)
            return Y
    L.manual_seed(0)
    bn = BatchNorm(3, 4); X = L.arange(48.).reshape(2, 3, 2, 4)
    Y = bn(X); print(Y[0, 0], bn.moving_mean.flatten(), bn.moving_var.flatten())
    Y.sum().backward(); print(bn.gamma.grad.flatten(), bn.beta.grad.flatten())
    with L.no_grad(): print(bn(X)[0, 1, 0])
    bn2 = BatchNorm(4, 2); X = L.arange(12.).reshape(3, 4); print(bn2(X), bn2.moving_var)
    b = nn.BatchNorm2d(3)
    print(b(L.arange(48.).reshape(2, 3, 2, 4))[0, 0], b.running_mean, b.running_var,
          b.num_batches_tracked)
    print(b)
    class Residual(nn.Module):
        def __init__(self, num_channels, use_1x1conv=False, strides=1):
            super().__init__()
            self.conv1 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1, stride=strides)
            self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1)
            self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides) \
                if use_1x1conv else None
            self.bn1 = nn.LazyBatchNorm2d(); self.bn2 = nn.LazyBatchNorm2d()
        def forward(self, X):
            Y = F.relu(self.bn1(self.conv1(X))); Y = self.bn2(self.conv2(Y))
            if self.conv3: X = self.conv3(X)
            Y += X
            return F.relu(Y)
    blk = Residual(3); X = L.randn(4, 3, 6, 6); print(blk(X).shape)
    blk = Residual(6, use_1x1conv=True, strides=2); print(blk(X).shape)
    print(blk)
    class Inception(nn.Module):
        def __init__(self, c1, c2, c3, c4, **kwargs):
            super(Inception, self).__init__(**kwargs)
            self.b1_1 = nn.LazyConv2d(c1, kernel_size=1)
            self.b2_1 = nn.LazyConv2d(c2[0], kernel_size=1)
            self.b2_2 = nn.LazyConv2d(c2[1], kernel_size=3, padding=1)
            self.b3_1 = nn.LazyConv2d(c3[0], kernel_size=1)
            self.b3_2 = nn.LazyConv2d(c3[1], kernel_size=5, padding=2)
            self.b4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
            self.b4_2 = nn.LazyConv2d(c4, kernel_size=1)
        def forward(self, x):
            b1 = F.relu(self.b1_1(x)); b2 = F.relu(self.b2_2(F.relu(self.b2_1(x))))
            b3 = F.relu(self.b3_2(F.relu(self.b3_1(x)))); b4 = F.relu(self.b4_2(self.b4_1(x)))
            return L.cat((b1, b2, b3, b4), dim=1)
    inc = Inception(2, (2, 4), (1, 2), 2); print(inc(L.randn(1, 3, 8, 8)).shape)
    print(inc)


def rnn_scratch(L):
    nn = L.nn; F = nn.functional
    L.manual_seed(0)
    vocab, nh = 6, 8
    print(F.one_hot(L.tensor([0, 2]), vocab))
    X = L.arange(10).reshape((2, 5))
    print(F.one_hot(X.T % vocab, vocab).shape)
    def get_params(vocab_size, num_hiddens):
        ni = no = vocab_size
        def normal(shape): return L.randn(size=shape) * 0.01
        W_xh = normal((ni, num_hiddens))
        W_hh = normal((num_hiddens, num_hiddens))
        b_h = L.zeros(num_hiddens)
        W_hq = normal((num_hiddens, no)); b_q = L.zeros(no)
        params = [W_xh, W_hh, b_h, W_hq, b_q]
        for param in params: param.requires_grad_(True)
        return params
    def init_rnn_state(batch_size, num_hiddens): return (L.zeros((batch_size, num_hiddens)), )
    def rnn(inputs, state, params):
        W_xh, W_hh, b_h, W_hq, b_q = params
        H, = state; outputs = []
        for X in inputs:
            H = L.tanh(L.mm(X, W_xh) + L.mm(H, W_hh) + b_h)
            Y = L.mm(H, W_hq) + b_q
            outputs.append(Y)
        return L.cat(outputs, dim=0), (H,)
    class RNNModelScratch:
        def __init__(self, vocab_size, num_hiddens, get_params, init_state, forward_fn):
            self.vocab_size, self.num_hiddens = vocab_size, num_hiddens
            self.params = get_params(vocab_size, num_hiddens)
            self.init_state, self.forward_fn = init_state, forward_fn
        def __call__(self, X, state):
            X = F.one_hot(X.T, self.vocab_size).type(L.float32)
            return self.forward_fn(X, state, self.params)
        def begin_state(self, batch_size): return self.init_state(batch_size, self.num_hiddens)
    net = RNNModelScratch(vocab, nh, get_params, init_rnn_state, rnn)
    state = net.begin_state(X.shape[0])
    X = X % vocab
    Y, new_state = net(X, state)
    print(Y.shape, len(new_state), new_state[0].shape)
    def grad_clipping(net, theta):
        params = net.params
        norm = L.sqrt(sum(L.sum((p.grad ** 2)) for p in params))
        if norm > theta:
            for param in params: param.grad[:] *= theta / norm
        return norm
    seq = L.randint(0, vocab, (40,))
    state = None
    for epoch in range(4):
        tot, n = 0.0, 0
        for i in range(0, 30, 5):
            Xb = L.stack([seq[i:i+5], seq[i+1:i+6]]); Yb = L.stack([seq[i+1:i+6], seq[i+2:i+7]])
            if state is None: state = net.begin_state(2)
            else:
                for s in state: s.detach_()
            y = Yb.T.reshape(-1)
            y_hat, state = net(Xb, state)
            l = nn.CrossEntropyLoss()(y_hat, y.long()).mean()
            l.backward()
            nrm = grad_clipping(net, 0.01)
            with L.no_grad():
                for p in net.params: p -= 1.0 * p.grad; p.grad.zero_()
            tot += float(l) * y.numel(); n += y.numel()
        print(f'perplexity {math.exp(tot / n):.3f}', nrm)
    def predict(prefix, num_preds):
        state = net.begin_state(1); outputs = [prefix[0]]
        get_input = lambda: L.tensor([outputs[-1]]).reshape((1, 1))
        for y in prefix[1:]:
            _, state = net(get_input(), state); outputs.append(y)
        for _ in range(num_preds):
            y, state = net(get_input(), state)
            outputs.append(int(y.argmax(dim=1).reshape(1)))
        return outputs
    print(predict([1, 2], 6))
    rnn_layer = nn.RNN(vocab, nh)
    st = L.zeros((1, 2, nh)); Yr, sn = rnn_layer(F.one_hot(X.T, vocab).float(), st)
    print(Yr.shape, sn.shape, rnn_layer)

def gru_lstm(L):
    nn = L.nn; F = nn.functional
    L.manual_seed(0)
    vocab, nh = 5, 4
    def three(): return (L.randn(vocab, nh) * 0.01, L.randn(nh, nh) * 0.01, L.zeros(nh))
    W_xz, W_hz, b_z = three(); W_xr, W_hr, b_r = three(); W_xh, W_hh, b_h = three()
    W_hq = L.randn(nh, vocab) * 0.01; b_q = L.zeros(vocab)
    params = [W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q]
    for p in params: p.requires_grad_(True)
    def gru(inputs, state):
        H, = state; outputs = []
        for X in inputs:
            Z = L.sigmoid((X @ W_xz) + (H @ W_hz) + b_z)
            R = L.sigmoid((X @ W_xr) + (H @ W_hr) + b_r)
            H_tilda = L.tanh((X @ W_xh) + ((R * H) @ W_hh) + b_h)
            H = Z * H + (1 - Z) * H_tilda
            Y = H @ W_hq + b_q; outputs.append(Y)
        return L.cat(outputs, dim=0), (H,)
    X = F.one_hot(L.randint(0, vocab, (3, 2)), vocab).type(L.float32)
    Y, (H,) = gru(X, (L.zeros(2, nh),))
    Y.sum().backward()
    print(Y.shape, H, W_hz.grad.shape)
    def lstm(inputs, state, P):
        (W_xi, W_hi, b_i, W_xf, W_hf, b_f, W_xo, W_ho, b_o, W_xc, W_hc, b_c, W_hq, b_q) = P
        (H, C) = state; outputs = []
        for X in inputs:
            I = L.sigmoid((X @ W_xi) + (H @ W_hi) + b_i)
            Fg = L.sigmoid((X @ W_xf) + (H @ W_hf) + b_f)
            O = L.sigmoid((X @ W_xo) + (H @ W_ho) + b_o)
            C_tilda = L.tanh((X @ W_xc) + (H @ W_hc) + b_c)
            C = Fg * C + I * C_tilda
            H = O * L.tanh(C)
            outputs.append((H @ W_hq) + b_q)
        return L.cat(outputs, dim=0), (H, C)
    P = [*three(), *three(), *three(), *three(), W_hq, b_q]
    Y, (H, C) = lstm(X, (L.zeros(2, nh), L.zeros(2, nh)), P)
    print(Y.shape, H.shape, C.shape)
    g = nn.GRU(vocab, nh); l = nn.LSTM(vocab, nh, num_layers=2)
    print(g, l, g(X)[0].shape, [t.shape for t in l(X)[1]])
    print(nn.LSTM(vocab, nh, bidirectional=True)(X)[0].shape)

def seq2seq_loss(L):
    nn = L.nn
    def sequence_mask(X, valid_len, value=0):
        maxlen = X.size(1)
        mask = L.arange((maxlen), dtype=L.float32, device=X.device)[None, :] < valid_len[:, None]
        X[~mask] = value
        return X
    X = L.tensor([[1, 2, 3], [4, 5, 6]])
    print(sequence_mask(X, L.tensor([1, 2])))
    X = L.ones(2, 3, 4); print(sequence_mask(X, L.tensor([1, 2]), value=-1))
    class MaskedSoftmaxCELoss(nn.CrossEntropyLoss):
        def forward(self, pred, label, valid_len):
            weights = L.ones_like(label)
            weights = sequence_mask(weights, valid_len)
            self.reduction = 'none'
            unweighted_loss = super(MaskedSoftmaxCELoss, self).forward(pred.permute(0, 2, 1), label)
            weighted_loss = (unweighted_loss * weights).mean(dim=1)
            return weighted_loss
    loss = MaskedSoftmaxCELoss()
    print(loss(L.ones(3, 4, 10), L.ones((3, 4), dtype=L.long), L.tensor([4, 2, 0])))
    L.manual_seed(0)
    pred = L.randn(2, 3, 5, requires_grad=True)
    lab = L.randint(0, 5, (2, 3))
    l = loss(pred, lab, L.tensor([3, 1])); l.sum().backward(); print(l, pred.grad[1])
    print(loss)
    emb = nn.Embedding(10, 4); Xs = L.zeros((4, 7), dtype=L.long)
    enc = nn.GRU(4, 6, 2); out, st = enc(emb(Xs).permute(1, 0, 2)); print(out.shape, st.shape)
    context = st[-1].repeat(7, 1, 1); print(context.shape)
    print(L.cat((emb(Xs).permute(1, 0, 2), context), -1).shape)
    # bleu-ish
    print(collections.Counter(['a', 'b']), math.pow(0.5, 0.5))
