"""Session 14: d2l chapters 11-12 as programs: masked softmax, additive, dot-product and
multi-head attention, positional encoding, gradient descent and optimizers from scratch,
learning-rate schedulers; and the mistakes learners make typing these chapters."""

import math

import numpy as np

def attention(L):
    nn = L.nn; F = nn.functional
    def sequence_mask(X, valid_len, value=0):
        maxlen = X.size(1)
        mask = L.arange((maxlen), dtype=L.float32, device=X.device)[None, :] < valid_len[:, None]
        X[~mask] = value
        return X
    def masked_softmax(X, valid_lens):
        if valid_lens is None: return nn.functional.softmax(X, dim=-1)
        shape = X.shape
        if valid_lens.dim() == 1: valid_lens = L.repeat_interleave(valid_lens, shape[1])
        else: valid_lens = valid_lens.reshape(-1)
        X = sequence_mask(X.reshape(-1, shape[-1]), valid_lens, value=-1e6)
        return nn.functional.softmax(X.reshape(shape), dim=-1)
    L.manual_seed(0)
    print(masked_softmax(L.rand(2, 2, 4), L.tensor([2, 3])))
    print(masked_softmax(L.rand(2, 2, 4), L.tensor([[1, 3], [2, 4]])))
    print(L.bmm(L.ones((2, 1, 4)), L.ones((2, 4, 6))).shape)
    class AdditiveAttention(nn.Module):
        def __init__(self, num_hiddens, dropout, **kwargs):
            super(AdditiveAttention, self).__init__(**kwargs)
            self.W_k = nn.LazyLinear(num_hiddens, bias=False)
            self.W_q = nn.LazyLinear(num_hiddens, bias=False)
            self.w_v = nn.LazyLinear(1, bias=False); self.dropout = nn.Dropout(dropout)
        def forward(self, queries, keys, values, valid_lens):
            queries, keys = self.W_q(queries), self.W_k(keys)
            features = queries.unsqueeze(2) + keys.unsqueeze(1)
            features = L.tanh(features)
            scores = self.w_v(features).squeeze(-1)
            self.attention_weights = masked_softmax(scores, valid_lens)
            return L.bmm(self.dropout(self.attention_weights), values)
    queries, keys = L.normal(0, 1, (2, 1, 20)), L.ones((2, 10, 2))
    values = L.arange(40, dtype=L.float32).reshape(1, 10, 4).repeat(2, 1, 1)
    valid_lens = L.tensor([2, 6])
    attention = AdditiveAttention(num_hiddens=8, dropout=0.1); attention.eval()
    print(attention(queries, keys, values, valid_lens))
    print(attention.attention_weights.reshape((1, 1, 2, 10)))
    class DotProductAttention(nn.Module):
        def __init__(self, dropout, num_heads=None):
            super().__init__(); self.dropout = nn.Dropout(dropout); self.num_heads = num_heads
        def forward(self, queries, keys, values, valid_lens=None, window_mask=None):
            d = queries.shape[-1]
            scores = L.bmm(queries, keys.transpose(1, 2)) / math.sqrt(d)
            self.attention_weights = masked_softmax(scores, valid_lens)
            return L.bmm(self.dropout(self.attention_weights), values)
    queries = L.normal(0, 1, (2, 1, 2))
    attention = DotProductAttention(dropout=0.5); attention.eval()
    print(attention(queries, keys, values, valid_lens))
    def transpose_qkv(X, num_heads):
        X = X.reshape(X.shape[0], X.shape[1], num_heads, -1)
        X = X.permute(0, 2, 1, 3)
        return X.reshape(-1, X.shape[2], X.shape[3])
    def transpose_output(X, num_heads):
        X = X.reshape(-1, num_heads, X.shape[1], X.shape[2])
        X = X.permute(0, 2, 1, 3)
        return X.reshape(X.shape[0], X.shape[1], -1)
    class MultiHeadAttention(nn.Module):
        def __init__(self, num_hiddens, num_heads, dropout, bias=False, **kwargs):
            super().__init__()
            self.num_heads = num_heads
            self.attention = DotProductAttention(dropout, num_heads)
            self.W_q = nn.LazyLinear(num_hiddens, bias=bias)
            self.W_k = nn.LazyLinear(num_hiddens, bias=bias)
            self.W_v = nn.LazyLinear(num_hiddens, bias=bias)
            self.W_o = nn.LazyLinear(num_hiddens, bias=bias)
        def forward(self, queries, keys, values, valid_lens):
            queries = transpose_qkv(self.W_q(queries), self.num_heads)
            keys = transpose_qkv(self.W_k(keys), self.num_heads)
            values = transpose_qkv(self.W_v(values), self.num_heads)
            if valid_lens is not None:
                valid_lens = L.repeat_interleave(valid_lens, repeats=self.num_heads, dim=0)
            output = self.attention(queries, keys, values, valid_lens)
            return self.W_o(transpose_output(output, self.num_heads))
    num_hiddens, num_heads = 16, 4
    attention = MultiHeadAttention(num_hiddens, num_heads, 0.5); attention.eval()
    batch_size, num_queries, num_kvpairs = 2, 4, 6
    valid_lens = L.tensor([3, 2])
    X = L.ones((batch_size, num_queries, num_hiddens))
    Y = L.ones((batch_size, num_kvpairs, num_hiddens))
    out = attention(X, Y, Y, valid_lens); print(out.shape, out[0, 0, :4])
    class PositionalEncoding(nn.Module):
        def __init__(self, num_hiddens, dropout, max_len=1000):
            super().__init__()
            self.dropout = nn.Dropout(dropout)
            self.P = L.zeros((1, max_len, num_hiddens))
            X = L.arange(max_len, dtype=L.float32).reshape(-1, 1) / L.pow(
                10000, L.arange(0, num_hiddens, 2, dtype=L.float32) / num_hiddens)
            self.P[:, :, 0::2] = L.sin(X)
            self.P[:, :, 1::2] = L.cos(X)
        def forward(self, X):
            X = X + self.P[:, :X.shape[1], :].to(X.device)
            return self.dropout(X)
    pe = PositionalEncoding(8, 0); pe.eval()
    Xp = pe(L.zeros((1, 6, 8)))
    print(Xp[0, :, 4:6], pe.P[0, :3, :])
    print(L.pow(10000, L.arange(0, 8, 2, dtype=L.float32) / 8))
    for i in range(4): print(f'{i:>3}in binary is {i:>03b}')
    ffn_in = L.ones((2, 3, 4)); ln = nn.LayerNorm(2); bn = nn.BatchNorm1d(2)
    X = L.tensor([[1, 2], [2, 3]], dtype=L.float32)
    print('layer norm:', ln(X), '\nbatch norm:', bn(X))

def attention_errors(L):
    nn = L.nn
    for f in [lambda: L.bmm(L.ones(2, 1, 4), L.ones(2, 5, 6)),
              lambda: L.bmm(L.ones(1, 4), L.ones(4, 6)),
              lambda: L.repeat_interleave(L.tensor([2, 3]), L.tensor([1, 2, 3])),
              lambda: L.ones(2, 3, 4).reshape(2, 3, 5, -1),
              lambda: L.ones(2, 3, 8).permute(0, 2),
              lambda: L.ones(2, 3)[None, :] < L.ones(3)[:, None, None, None].long(),
              lambda: L.arange(4)[None, :] < L.tensor([1., 2.])[:, None],
              lambda: nn.functional.softmax(L.ones(2, 3)),
              lambda: L.ones(3).masked_fill(L.tensor([1, 0, 1]), 0.),
              lambda: (lambda X: X.__setitem__(~L.tensor([1, 0]), 0))(L.ones(2)),
              lambda: L.pow(10000, L.arange(0, 8, 2) / 8),
              lambda: L.pow(10000, L.arange(0, 8, 2)),
              lambda: L.pow(2, -L.arange(3)),
              lambda: nn.LayerNorm(3)(L.ones(2, 4)),
              lambda: L.ones(2, 4).unsqueeze(3),
              lambda: nn.MultiheadAttention(6, 4),
             ]:
        try: print(f())
        except Exception as e: print(type(e).__name__, str(e).splitlines()[0])


def gd_traj(L):
    def f(x): return x ** 2
    def f_grad(x): return 2 * x
    def gd(eta, f_grad):
        x = 10.0; results = [x]
        for i in range(10):
            x -= eta * f_grad(x); results.append(float(x))
        print(f'epoch 10, x: {x:f}')
        return results
    print(gd(0.2, f_grad)[:4])
    c = L.tensor(0.15 * np.pi)
    def f2(x): return x * L.cos(c * x)
    def f2_grad(x): return L.cos(c * x) - c * x * L.sin(c * x)
    print(gd(2, f2_grad)[-3:])
    def f_2d(x1, x2): return x1 ** 2 + 2 * x2 ** 2
    def f_2d_grad(x1, x2): return (2 * x1, 4 * x2)
    def gd_2d(x1, x2, s1, s2, f_grad):
        g1, g2 = f_grad(x1, x2); return (x1 - eta * g1, x2 - eta * g2, 0, 0)
    def train_2d(trainer, steps=20, f_grad=None):
        x1, x2, s1, s2 = -5, -2, 0, 0; results = [(x1, x2)]
        for i in range(steps):
            if f_grad: x1, x2, s1, s2 = trainer(x1, x2, s1, s2, f_grad)
            else: x1, x2, s1, s2 = trainer(x1, x2, s1, s2)
            results.append((x1, x2))
        print(f'epoch {i + 1}, x1: {float(x1):f}, x2: {float(x2):f}')
        return results
    eta = 0.1; train_2d(gd_2d, f_grad=f_2d_grad)
    def sgd_2d(x1, x2, s1, s2, f_grad):
        g1, g2 = f_grad(x1, x2)
        g1 += L.normal(0.0, 1, (1,)).item(); g2 += L.normal(0.0, 1, (1,)).item()
        eta_t = eta * lr()
        return (x1 - eta_t * g1, x2 - eta_t * g2, 0, 0)
    def constant_lr(): return 1
    L.manual_seed(0); lr = constant_lr; train_2d(sgd_2d, steps=50, f_grad=f_2d_grad)
    t = 1
    def exponential_lr():
        nonlocal t; t += 1; return math.exp(-0.1 * t)
    lr = exponential_lr; train_2d(sgd_2d, steps=100, f_grad=f_2d_grad)
    def momentum_2d(x1, x2, v1, v2):
        v1 = beta * v1 + 0.2 * x1; v2 = beta * v2 + 4 * x2
        return x1 - eta * v1, x2 - eta * v2, v1, v2
    eta, beta = 0.6, 0.5; train_2d(momentum_2d)
    def adagrad_2d(x1, x2, s1, s2):
        eps = 1e-6; g1, g2 = 0.2 * x1, 4 * x2
        s1 += g1 ** 2; s2 += g2 ** 2
        x1 -= eta / math.sqrt(s1 + eps) * g1; x2 -= eta / math.sqrt(s2 + eps) * g2
        return x1, x2, s1, s2
    eta = 0.4; train_2d(adagrad_2d)
    # torch-scalar version
    x = L.tensor([-5.0, -2.0], requires_grad=True)
    for i in range(10):
        y = x[0] ** 2 + 2 * x[1] ** 2
        y.backward()
        with L.no_grad():
            x -= 0.1 * x.grad; x.grad.zero_()
    print(x, y)
    gammas = [0.95, 0.9, 0.8, 0.7]
    for g in gammas:
        x = L.arange(40).detach().numpy(); print(g, float((1 - g) * g ** 10))
    print(L.tensor(0.15 * np.pi), c * 2)

def optimizers(L):
    nn = L.nn
    L.manual_seed(0)
    n, d = 40, 5
    X = L.randn(n, d); true_w = L.randn(d, 1); y = X @ true_w + 0.1 * L.randn(n, 1)
    def init_momentum_states(feature_dim):
        v_w = L.zeros((feature_dim, 1)); v_b = L.zeros(1); return (v_w, v_b)
    def sgd_momentum(params, states, hyperparams):
        for p, v in zip(params, states):
            with L.no_grad():
                v[:] = hyperparams['momentum'] * v + p.grad
                p[:] -= hyperparams['lr'] * v
            p.grad.data.zero_()
    def init_adagrad_states(feature_dim):
        return (L.zeros((feature_dim, 1)), L.zeros(1))
    def adagrad(params, states, hyperparams):
        eps = 1e-6
        for p, s in zip(params, states):
            with L.no_grad():
                s[:] += L.square(p.grad)
                p[:] -= hyperparams['lr'] * p.grad / L.sqrt(s + eps)
            p.grad.data.zero_()
    def rmsprop(params, states, hyperparams):
        gamma, eps = hyperparams['gamma'], 1e-6
        for p, s in zip(params, states):
            with L.no_grad():
                s[:] = gamma * s + (1 - gamma) * L.square(p.grad)
                p[:] -= hyperparams['lr'] * p.grad / L.sqrt(s + eps)
            p.grad.data.zero_()
    def init_adadelta_states(feature_dim):
        s_w, s_b = L.zeros((feature_dim, 1)), L.zeros(1)
        delta_w, delta_b = L.zeros((feature_dim, 1)), L.zeros(1)
        return ((s_w, delta_w), (s_b, delta_b))
    def adadelta(params, states, hyperparams):
        rho, eps = hyperparams['rho'], 1e-5
        for p, (s, delta) in zip(params, states):
            with L.no_grad():
                s[:] = rho * s + (1 - rho) * L.square(p.grad)
                g = (L.sqrt(delta + eps) / L.sqrt(s + eps)) * p.grad
                p[:] -= g
                delta[:] = rho * delta + (1 - rho) * g * g
            p.grad.data.zero_()
    def init_adam_states(feature_dim):
        v_w, v_b = L.zeros((feature_dim, 1)), L.zeros(1)
        s_w, s_b = L.zeros((feature_dim, 1)), L.zeros(1)
        return ((v_w, s_w), (v_b, s_b))
    def adam(params, states, hyperparams):
        beta1, beta2, eps = 0.9, 0.999, 1e-6
        for p, (v, s) in zip(params, states):
            with L.no_grad():
                v[:] = beta1 * v + (1 - beta1) * p.grad
                s[:] = beta2 * s + (1 - beta2) * L.square(p.grad)
                v_bias_corr = v / (1 - beta1 ** hyperparams['t'])
                s_bias_corr = s / (1 - beta2 ** hyperparams['t'])
                p[:] -= hyperparams['lr'] * v_bias_corr / (L.sqrt(s_bias_corr) + eps)
            p.grad.data.zero_()
        hyperparams['t'] += 1
    def yogi(params, states, hyperparams):
        beta1, beta2, eps = 0.9, 0.999, 1e-3
        for p, (v, s) in zip(params, states):
            with L.no_grad():
                v[:] = beta1 * v + (1 - beta1) * p.grad
                s[:] = s + (1 - beta2) * L.sign(L.square(p.grad) - s) * L.square(p.grad)
                v_bias_corr = v / (1 - beta1 ** hyperparams['t'])
                s_bias_corr = s / (1 - beta2 ** hyperparams['t'])
                p[:] -= hyperparams['lr'] * v_bias_corr / (L.sqrt(s_bias_corr) + eps)
            p.grad.data.zero_()
        hyperparams['t'] += 1
    def train_ch11(trainer_fn, states, hyperparams, num_epochs=2):
        w = L.normal(mean=0.0, std=0.01, size=(d, 1), requires_grad=True)
        b = L.zeros((1), requires_grad=True)
        loss = lambda yh, y: (yh - y.reshape(yh.shape)) ** 2 / 2
        for _ in range(num_epochs):
            for i in range(0, n, 10):
                l = loss(X[i:i+10] @ w + b, y[i:i+10]).mean()
                l.backward()
                trainer_fn([w, b], states, hyperparams)
            print(f'loss: {float(loss(X @ w + b, y).mean()):.6f}', b)
        return w
    train_ch11(sgd_momentum, init_momentum_states(d), {'lr': 0.02, 'momentum': 0.5})
    train_ch11(adagrad, init_adagrad_states(d), {'lr': 0.1})
    train_ch11(rmsprop, init_adagrad_states(d), {'lr': 0.01, 'gamma': 0.9})
    train_ch11(adadelta, init_adadelta_states(d), {'rho': 0.9})
    print(train_ch11(adam, init_adam_states(d), {'lr': 0.01, 't': 1}).T)
    print(train_ch11(yogi, init_adam_states(d), {'lr': 0.01, 't': 1}).T)
    net = nn.Sequential(nn.Linear(d, 1))
    for opt, kw in [(L.optim.SGD, dict(lr=0.01, momentum=0.9)), (L.optim.Adagrad, dict(lr=0.1)),
                    (L.optim.RMSprop, dict(lr=0.01, alpha=0.9)), (L.optim.Adadelta, dict()),
                    (L.optim.Adam, dict(lr=0.01))]:
        tr = opt(net.parameters(), **kw)
        for i in range(3):
            l = nn.MSELoss()(net(X), y); tr.zero_grad(); l.backward(); tr.step()
        print(type(tr).__name__, l.item())

def schedulers(L):
    nn = L.nn; optim = L.optim; lr_scheduler = optim.lr_scheduler
    L.manual_seed(0)
    net = nn.Linear(3, 1)
    trainer = optim.SGD(net.parameters(), lr=0.3)
    scheduler = lr_scheduler.MultiStepLR(trainer, milestones=[3, 6], gamma=0.5)
    print(scheduler.get_last_lr())
    for e in range(8):
        trainer.step()
        scheduler.step()
        print(e, scheduler.get_last_lr(), trainer.param_groups[0]['lr'])
    trainer = optim.SGD(net.parameters(), lr=0.3)
    scheduler = lr_scheduler.CosineAnnealingLR(trainer, 5)
    for e in range(8):
        trainer.step(); scheduler.step(); print(e, scheduler.get_last_lr())
    class SquareRootScheduler:
        def __init__(self, lr=0.1): self.lr = lr
        def __call__(self, num_update): return self.lr * pow(num_update + 1.0, -0.5)
    class FactorScheduler:
        def __init__(self, factor=1, stop_factor_lr=1e-7, base_lr=0.1):
            self.factor = factor; self.stop_factor_lr = stop_factor_lr; self.base_lr = base_lr
        def __call__(self, num_update):
            self.base_lr = max(self.stop_factor_lr, self.base_lr * self.factor); return self.base_lr
    class CosineScheduler:
        def __init__(self, max_update, base_lr=0.01, final_lr=0, warmup_steps=0, warmup_begin_lr=0):
            self.base_lr_orig = base_lr; self.max_update = max_update; self.final_lr = final_lr
            self.warmup_steps = warmup_steps; self.warmup_begin_lr = warmup_begin_lr
            self.max_steps = self.max_update - self.warmup_steps
        def get_warmup_lr(self, epoch):
            increase = (self.base_lr_orig - self.warmup_begin_lr) * float(epoch) / float(
                self.warmup_steps)
            return self.warmup_begin_lr + increase
        def __call__(self, epoch):
            if epoch < self.warmup_steps: return self.get_warmup_lr(epoch)
            if epoch <= self.max_update:
                self.base_lr = self.final_lr + (self.base_lr_orig - self.final_lr) * (1 + math.cos(
                    math.pi * (epoch - self.warmup_steps) / self.max_steps)) / 2
            return self.base_lr
    sch = SquareRootScheduler(0.1); print([sch(t) for t in range(3)])
    sch = FactorScheduler(0.9, 1e-2, 2.0); print([sch(t) for t in range(3)])
    sch = CosineScheduler(20, warmup_steps=5, base_lr=0.3, final_lr=0.01)
    trainer = optim.SGD(net.parameters(), lr=0.3)
    for e in range(8):
        for pg in trainer.param_groups: pg['lr'] = sch(e)
        l = net(L.ones(2, 3)).sum(); trainer.zero_grad(); l.backward(); trainer.step()
        print(f'train loss {l:.3f}', trainer.param_groups[0]['lr'], L.tensor(sch(e)))
    trainer = optim.SGD(net.parameters(), lr=0.3)
    s2 = lr_scheduler.LambdaLR(trainer, lambda e: 0.5 ** e)
    for e in range(3): trainer.step(); s2.step(); print(s2.get_last_lr(), s2.last_epoch)
    print(s2.state_dict().keys() if hasattr(s2, 'state_dict') else None)
