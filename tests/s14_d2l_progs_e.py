"""Session 14: the mistakes learners make typing d2l's chapters 3-12 (sgd without no_grad,
float indices, torch.max(X, 0.) for relu, shape mismatches in mm/bmm/conv/BatchNorm, one_hot
of floats, masks, lazy parameters, state dicts, schedulers stepped first), as one program
printing each error; a last program of concise RNN layers and schedulers.
tests/test_programs_s14_d2l.py runs it on torch and ember."""

import math
import warnings


def cases(L):
    nn = L.nn; F = nn.functional
    w = lambda: L.normal(0, 0.01, size=(2, 1), requires_grad=True)
    def sgd_no_nograd():
        p = w(); (p.sum() * 2).backward(); p -= 0.1 * p.grad
    def grad_none_zero():
        p = w(); p.grad.zero_()
    def float_nonscalar(): return float(L.ones(3))
    def bad_reshape(): return L.ones(5).reshape((10, 1))
    def float_index():
        y_hat = L.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
        return y_hat[range(2), L.tensor([0., 2.])]
    def log_int(): return L.log(L.tensor([1, 2]))
    def max_scalar(): return L.max(L.ones(2, 2), 0.)
    def max_dim(): return L.max(L.tensor([[1., -2.], [3., 0.]]), 0)
    def mm_mismatch(): return L.ones(2, 16) @ L.ones(8, 3)
    def mm_fn(): return L.mm(L.ones(2, 16), L.ones(8, 3))
    def matmul_1d(): return L.matmul(L.ones(3), L.ones(4))
    def linear_mismatch(): return nn.Linear(16, 8)(L.ones(2, 4, 4))
    def seq_index(): return nn.Sequential(nn.Linear(2, 2))[3]
    def conv_2d_input(): return nn.Conv2d(1, 1, 3)(L.ones(6, 8))
    def conv_channels(): return nn.Conv2d(3, 1, 3)(L.ones(1, 1, 6, 8))
    def conv_small(): return nn.Conv2d(1, 1, 5)(L.ones(1, 1, 3, 3))
    def grad_none_sub():
        c = nn.Conv2d(1, 1, (1, 2), bias=False); c.weight.data[:] -= 0.03 * c.weight.grad
    def bn_features(): return nn.BatchNorm2d(4)(L.ones(2, 3, 2, 2))
    def bn_batch1(): return nn.BatchNorm1d(3)(L.ones(1, 3))
    def one_hot_float(): return F.one_hot(L.tensor([0., 1.]), 3)
    def one_hot_big(): return F.one_hot(L.tensor([0, 5]), 3)
    def one_hot_neg(): return F.one_hot(L.tensor([0, -1]), 3)
    def tuple_detach(): s = (L.zeros(2, 3),); s.detach_()
    def cat_mismatch(): return L.cat([L.ones(2, 3), L.ones(2, 4)], dim=0)
    def cat_tensor(): return L.cat(L.ones(2, 3), L.ones(2, 3))
    def stack_mismatch(): return L.stack([L.ones(2), L.ones(3)])
    def ce_float_target(): return nn.CrossEntropyLoss()(L.ones(3, 4), L.tensor([0., 1., 2.]))
    def ce_2d_perm():
        return nn.CrossEntropyLoss(reduction='none')(L.ones(3, 4, 10),
                                                     L.ones((3, 4), dtype=L.long))
    def mask_int(): X = L.ones(2, 3); X[~L.tensor([[1, 0, 1], [0, 1, 1]])] = 0; return X
    def mask_float_len(): return L.arange(3)[None, :] < L.tensor([1.5, 2.])[:, None]
    def rep_float(): return L.repeat_interleave(L.tensor([1., 2.]), 2)
    def rep_float_repeats(): return L.repeat_interleave(L.tensor([1, 2]), L.tensor([1., 2.]))
    def bmm_2d(): return L.bmm(L.ones(3, 4), L.ones(4, 5))
    def bmm_batch(): return L.bmm(L.ones(2, 3, 4), L.ones(3, 4, 5))
    def slice_leaf():
        p = L.zeros(3, requires_grad=True); p[:] -= 1
    def state_tuple_wrong():
        v = L.zeros(2); v[:] = L.ones(3)
    def sqrt_neg(): return L.sqrt(L.tensor(-1.))
    def pow_int_neg(): return L.pow(L.tensor([2, 3]), -1)
    def tensor_pow_scalar(): return L.pow(10000, L.arange(0, 4, 2) / 4)
    def lazy_uninit(): return nn.LazyLinear(3).weight + 1
    def lazy_param_count(): return sum(p.numel() for p in nn.LazyLinear(3).parameters())
    def load_missing():
        net = nn.Sequential(nn.Linear(2, 3)); return net.load_state_dict({'0.weight': L.ones(3, 2)})
    def load_shape():
        net = nn.Sequential(nn.Linear(2, 3))
        return net.load_state_dict({'0.weight': L.ones(2, 2), '0.bias': L.ones(3)})
    def view_noncontig(): return L.ones(2, 3).T.view(-1)
    def item_multi(): return L.ones(2).item()
    def numpy_grad(): return w().numpy()
    def backward_twice():
        x = L.ones(2, requires_grad=True); y = (x * x).sum(); y.backward(); y.backward()
    def backward_nonscalar():
        x = L.ones(2, requires_grad=True); (x * 2).backward()
    def inplace_grad_needed():
        x = L.ones(2, requires_grad=True); y = L.sigmoid(x); y += 1; y.sum().backward()
    def sched_before():
        net = nn.Linear(2, 1); o = L.optim.SGD(net.parameters(), lr=0.1)
        s = L.optim.lr_scheduler.StepLR(o, 1)
        with warnings.catch_warnings(record=True) as ws:
            warnings.simplefilter('always'); s.step()
        return [str(x.message).splitlines()[0] for x in ws], s.get_last_lr()
    def normal_int(): return L.normal(0, 1, size=(2,), dtype=L.int64)
    def normal_std_neg(): return L.normal(0, -1, size=(2,))
    def randn_tuple_kw(): return L.randn(size=(2, 2)).shape
    def zeros_like_list(): return L.zeros_like([1, 2])
    def argmax_axis(): return L.tensor([[1, 3], [4, 2]]).argmax(axis=1)
    def type_str(): return L.tensor([1.5]).type('torch.IntTensor')
    def type_noarg(): return L.tensor([1.5]).type()
    def nll_float(): return F.nll_loss(L.ones(2, 3), L.tensor([0.5, 1.]))
    def exp_int(): return L.exp(L.tensor([1, 2]))
    def mse_shape():
        with warnings.catch_warnings(record=True) as ws:
            warnings.simplefilter('always'); r = nn.MSELoss()(L.ones(3, 1), L.ones(3))
        return [str(x.message).splitlines()[0] for x in ws], r
    out = []
    for name, f in list(locals().items()):
        if callable(f) and name not in ('nn', 'F', 'w', 'out'):
            try:
                L.manual_seed(0); r = f(); out.append(f'{name}: {r}')
            except Exception as e:
                first = str(e).splitlines()[0] if str(e) else ''
                out.append(f'{name}: {type(e).__name__}: {first}')
    print('\n'.join(out))


def concise_rnn_and_schedulers(L):
    """Scheduler warnings and state, RNN/GRU/LSTM layer errors, clip_grad_norm_, ch2-style
    indexing and id() checks."""
    nn = L.nn; sch = L.optim.lr_scheduler
    L.manual_seed(0)
    net = nn.Linear(2, 1); opt = L.optim.SGD(net.parameters(), lr=0.5)
    s = sch.CosineAnnealingLR(opt, T_max=4, eta_min=0.01)
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter('always')
        print(s.get_lr())
        for e in range(7):
            opt.step(); s.step(); print(e, s.get_last_lr(), opt.param_groups[0]['lr'])
    print([str(w.message).splitlines()[0] for w in ws])
    print(s.state_dict())
    opt = L.optim.SGD(net.parameters(), lr=0.5)
    s = sch.MultiStepLR(opt, milestones=[2, 4], gamma=0.1)
    for e in range(5): opt.step(); s.step()
    print(s.state_dict(), s.get_last_lr())
    rnn = nn.RNN(4, 3); X = L.randn(5, 2, 4); st = L.zeros(1, 2, 3)
    Y, st = rnn(X, st); st.detach_(); print(st.requires_grad, st.grad_fn, Y[-1])
    Y.sum().backward()
    n = nn.utils.clip_grad_norm_(rnn.parameters(), 0.1); print(n)
    print([p.grad.norm() for p in rnn.parameters()])
    emb = nn.Embedding(10, 3); print(emb(L.tensor([[1, 2], [3, 4]])).shape, emb)
    try: emb(L.tensor([1.0]))
    except Exception as e: print(type(e).__name__, str(e).splitlines()[0])
    try: emb(L.tensor([10]))
    except Exception as e: print(type(e).__name__, str(e).splitlines()[0])
    try: rnn(L.randn(5, 2, 5))
    except Exception as e: print(type(e).__name__, str(e).splitlines()[0])
    try: rnn(X, L.zeros(2, 3))
    except Exception as e: print(type(e).__name__, str(e).splitlines()[0])
    try: rnn(X, L.zeros(1, 3, 3))
    except Exception as e: print(type(e).__name__, str(e).splitlines()[0])
    gru = nn.GRU(4, 3); out, h = gru(X); print(h.shape, h[0, 0])
    try: nn.LSTM(4, 3)(X, L.zeros(1, 2, 3))
    except Exception as e: print(type(e).__name__, str(e).splitlines()[0])
    print(L.tensor([1.5, 2.5]).type(L.int64), L.arange(5).float().mean(),
          L.tensor([[1, 2]]).sum(axis=1))
    print(L.normal(0, 1, size=(3,)).dtype, L.normal(L.zeros(2), 1.))
    print(L.exp(L.tensor(1.)), math.exp(L.tensor(1.).item()))
    a = L.arange(12).reshape(3, 4); print(a[1:3], a[-1], a[:, ::2], a.sum(0, keepdims=True))
    print(L.tensor(3.5).item(), int(L.tensor(3.5)), L.tensor([2.0]).numpy(),
          type(L.tensor([2.0]).numpy()).__name__)
    X = L.arange(12, dtype=L.float32).reshape((3, 4))
    Y = L.tensor([[2.0, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])
    print(L.cat((X, Y), dim=0), X == Y, X.sum(), id(X) == id(X))
    before = id(Y); Y = Y + X; print(id(Y) == before)
    Z = L.zeros_like(Y); print('id(Z):', type(id(Z))); Z[:] = X + Y; print(Z)
    A = X.numpy(); B = L.from_numpy(A); print(type(A), type(B).__name__)
