"""Session 14, pytorch/examples: a catalogue of the mistakes learners make with those
programs (shapes, dtypes, targets, hidden states, tied weights, init, schedulers, masks,
distributions, clipping, in-place fills), each run on torch 2.13 and ember: the same
result repr or error (type, first line), and the same warnings (first lines).

Not here: ``add_(x, alpha='0.1')`` (PyTorch: "argument 'alpha' must be Number"), which
ember accepts (its add_ lives in a file this sweep leaves alone)."""

import warnings

import numpy as np
import pytest
from torch_compare import run_both


def _outcomes(cases, L):
    """Each case's result repr or error, with its warnings (PyTorch's C++ warnings end in
    "(Triggered internally at <its build path>)", left out). Distributions validate their
    arguments, as by default (whatever a test before this one left set)."""
    Distribution = L.distributions.Distribution
    was = Distribution._validate_args
    Distribution.set_default_validate_args(True)
    try:
        return _each(cases)
    finally:
        Distribution.set_default_validate_args(was)


def _each(cases):
    out = {}
    for k, f in cases.items():
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                r = f()
                res = ("OK", repr(r))
            except Exception as e:  # noqa: BLE001 - compared across libraries
                res = (type(e).__name__, str(e).splitlines()[0] if str(e) else "")
        out[k] = res + (tuple(str(m.message).splitlines()[0].split(" (Triggered internally")[0]
                              for m in w),)
    return out


def _inf_grad(L):
    p = L.nn.Parameter(L.ones(2))
    p.grad = L.tensor([float('inf'), 1.0])
    return [p]


def _cases_a(L):
    nn = L.nn
    F = L.nn.functional
    L.manual_seed(0)
    conv = nn.Conv2d(1, 4, 3, 1)
    fc = nn.Linear(512, 16)
    x = L.randn(8, 1, 12, 12)
    lstm = nn.LSTM(16, 16, 2)
    gru = nn.GRU(16, 16, 2)
    rnn = nn.RNN(16, 16, 2)
    emb = nn.Embedding(30, 16)
    cs = {
        'fc_noflatten': lambda: fc(conv(x)),
        'fc_shape': lambda: fc(L.flatten(conv(x), 1)),
        'conv_channels': lambda: conv(L.randn(8, 3, 12, 12)),
        'conv_2d': lambda: conv(L.randn(12, 12)),
        'conv_small': lambda: conv(L.randn(1, 1, 2, 2)),
        'nll_float_target': lambda:
            F.nll_loss(F.log_softmax(L.randn(4, 10), 1), L.tensor([1., 2, 3, 4])),
        'nll_oob': lambda: F.nll_loss(F.log_softmax(L.randn(4, 10), 1), L.tensor([1, 2, 3, 10])),
        'nll_neg': lambda: F.nll_loss(F.log_softmax(L.randn(4, 10), 1), L.tensor([1, 2, 3, -1])),
        'nll_batch': lambda: F.nll_loss(F.log_softmax(L.randn(4, 10), 1), L.tensor([1, 2, 3])),
        'nll_3d_target': lambda:
            F.nll_loss(F.log_softmax(L.randn(4, 10), 1), L.tensor([[1], [2], [3], [4]])),
        'emb_oob': lambda: emb(L.tensor([[1, 30]])),
        'emb_float': lambda: emb(L.tensor([[1., 3.]])),
        'lstm_hidden_tensor': lambda: lstm(L.randn(5, 4, 16), L.zeros(2, 4, 16)),
        'lstm_hidden_shape': lambda:
            lstm(L.randn(5, 4, 16), (L.zeros(1, 4, 16), L.zeros(1, 4, 16))),
        'lstm_cell_shape': lambda: lstm(L.randn(5, 4, 16), (L.zeros(2, 4, 16), L.zeros(2, 3, 16))),
        'gru_tuple': lambda: gru(L.randn(5, 4, 16), (L.zeros(2, 4, 16), L.zeros(2, 4, 16))),
        'gru_hidden_shape': lambda: gru(L.randn(5, 4, 16), L.zeros(2, 5, 16)),
        'rnn_input_size': lambda: rnn(L.randn(5, 4, 8)),
        'rnn_2d_hidden': lambda: rnn(L.randn(5, 4, 16), L.zeros(4, 16)),
        'rnn_double': lambda: rnn(L.randn(5, 4, 16).double()),
        'lstmcell_2d_hidden3d': lambda:
            nn.LSTMCell(1, 12)(L.randn(3, 1), (L.zeros(1, 3, 12), L.zeros(1, 3, 12))),
        'lstmcell_dtype': lambda: nn.LSTMCell(1, 12)(L.randn(3, 1, dtype=L.double)),
        'lstmcell_dtype2': lambda: nn.LSTMCell(1, 12).double()(L.randn(3, 1)),
        'bce_long': lambda: nn.BCELoss()(L.sigmoid(L.randn(4)), L.tensor([1, 0, 1, 0])),
        'bce_logit_input': lambda: nn.BCELoss()(L.randn(4) * 5, L.tensor([1., 0, 1, 0])),
        'bce_shape': lambda: nn.BCELoss()(L.sigmoid(L.randn(4, 1)), L.tensor([1., 0, 1, 0])),
        'pixshuf': lambda: nn.PixelShuffle(3)(L.randn(1, 8, 2, 2)),
        'pixshuf_3d': lambda: nn.PixelShuffle(2)(L.randn(8, 2)),
        'convT_channels': lambda: nn.ConvTranspose2d(8, 4, 4, 1, 0)(L.randn(2, 4, 1, 1)),
        'bn_channels': lambda: nn.BatchNorm2d(8)(L.randn(2, 4, 3, 3)),
        'bn_batch1': lambda: nn.BatchNorm1d(8)(L.randn(1, 8)),
        'bn2d_3d': lambda: nn.BatchNorm2d(8)(L.randn(8, 3, 3)),
        'inorm_3d': lambda: nn.InstanceNorm2d(3, affine=True)(L.randn(3, 4)),
        'reflpad_big': lambda: nn.ReflectionPad2d(4)(L.randn(1, 1, 3, 3)),
        'bmm_2d': lambda: L.bmm(L.randn(3, 4), L.randn(4, 3)),
        'bmm_batch': lambda: L.bmm(L.randn(2, 3, 4), L.randn(3, 4, 3)),
        'categorical_neg': lambda: L.distributions.Categorical(L.tensor([0.5, -0.1])),
        'categorical_nan': lambda: L.distributions.Categorical(probs=L.tensor([float('nan'), 0.5])),
        'categorical_logprob_oob': lambda:
            L.distributions.Categorical(L.tensor([0.5, 0.5])).log_prob(L.tensor(2)),
        'sample_item_batch': lambda:
            L.distributions.Categorical(L.tensor([[0.5, 0.5], [0.2, 0.8]])).sample().item(),
        'cat_0d': lambda: L.cat([L.tensor(1.), L.tensor(2.)]),
        'stack_mixed': lambda: L.stack([L.tensor([1.]), L.tensor(2.)]),
        'std_single': lambda: L.tensor([3.0]).std(),
        'lbfgs_noclosure': lambda: L.optim.LBFGS([nn.Parameter(L.zeros(2))]).step(),
        'lbfgs_two_groups': lambda:
            L.optim.LBFGS([{'params': [nn.Parameter(L.zeros(2))]},
                           {'params': [nn.Parameter(L.zeros(2))]}]),
        'steplr_type': lambda: L.optim.lr_scheduler.StepLR(fc, step_size=1),
        'steplr_nostep': lambda: L.optim.lr_scheduler.StepLR(L.optim.SGD(fc.parameters(), 0.1)),
        'clip_nonfinite': lambda:
            L.nn.utils.clip_grad_norm_(_inf_grad(L), 1.0, error_if_nonfinite=True),
        'add_alpha_int_float': lambda:
            L.zeros(2, dtype=L.long).add_(L.ones(2, dtype=L.long), alpha=0.5),
        'fill_float_long': lambda: L.zeros(3, dtype=L.long).fill_(0.9),
        'fill_tensor_1d': lambda: L.zeros(3).fill_(L.tensor([1., 2.])),
        'normal_neg_std': lambda: L.zeros(3).normal_(0.0, -0.02),
        'orthogonal_1d': lambda: nn.init.orthogonal_(L.zeros(4)),
        'xavier_1d': lambda: nn.init.xavier_normal_(L.zeros(4)),
        'calculate_gain_bad': lambda: nn.init.calculate_gain('leaky_relu', 'a'),
        'square_mask': lambda: nn.Transformer.generate_square_subsequent_mask(4),
        'tril_log': lambda: L.log(L.tril(L.ones(3, 3))),
        'mha_mask_shape': lambda:
            nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, 32, 0.0), 1,
                                  enable_nested_tensor=False)(L.randn(5, 2, 16),
                                                              mask=L.zeros(4, 4)),
        'mha_heads': lambda: nn.TransformerEncoderLayer(15, 2),
        'pe_broadcast': lambda: L.randn(5, 2, 16) + L.zeros(10, 1, 8)[:5],
        'multinomial_neg': lambda: L.multinomial(L.tensor([0.5, -1.0]), 1),
        'multinomial_zero': lambda: L.multinomial(L.tensor([0.0, 0.0]), 1),
        'multinomial_noreplace': lambda: L.multinomial(L.tensor([0.5, 0.5]), 3),
        'view_noncontig': lambda: L.randn(4, 6).t().view(-1),
        'smooth_l1_int': lambda: F.smooth_l1_loss(L.zeros(2), L.tensor([1, 2])),
        'log_softmax_nodim': lambda: F.log_softmax(L.randn(2, 3)),
        'softmax_nodim': lambda: F.softmax(L.randn(2, 3)),
        'dropout_p': lambda: nn.Dropout(1.5),
        'item_multi': lambda: L.randn(3).item(),
        'numpy_grad': lambda: nn.Linear(2, 2)(L.ones(2)).numpy(),
        'narrow_oob': lambda: L.arange(10).narrow(0, 5, 8),
        'view_batchify': lambda: L.arange(10).view(3, -1),
        'upsample_both': lambda: nn.Upsample(size=4, scale_factor=2)(L.randn(1, 1, 2, 2)),
        'interp_3d_bilinear': lambda:
            F.interpolate(L.randn(1, 2, 2), scale_factor=2, mode='bilinear'),
        'spmm_dense': lambda: L.spmm(L.eye(2), L.ones(2, 3)),
        'sparse_mm_dense': lambda: L.sparse.mm(L.eye(2), L.ones(2, 3)),
    }
    return cs


def _cases_b(L):
    nn = L.nn
    F = L.nn.functional
    L.manual_seed(0)
    def add_none():
        p = nn.Parameter(L.ones(2))
        p.data.add_(p.grad, alpha=-0.1)
    def backward_twice():
        rnn = nn.LSTM(2, 3)
        h = (L.zeros(1, 1, 3), L.zeros(1, 1, 3))
        for i in range(2):
            o, h = rnn(L.ones(2, 1, 2), h)
            o.sum().backward()
    def backward_twice_gru():
        rnn = nn.GRU(2, 3)
        h = L.zeros(1, 1, 3)
        for i in range(2):
            o, h = rnn(L.ones(2, 1, 2), h)
            o.sum().backward()
    def tensor_of_tensors():
        return L.tensor([L.tensor(1.), L.tensor(2.)])
    def tensor_of_grad_tensors():
        x = L.tensor(1., requires_grad=True)
        return L.tensor([x * 2, x * 3])
    def tensor_of_1d():
        return L.tensor([L.tensor([1.]), L.tensor([2.])])
    def tensor_of_2elem():
        return L.tensor([L.ones(2), L.ones(2)])
    def logprob_int():
        return L.distributions.Categorical(L.tensor([0.3, 0.7])).log_prob(1)
    def cat_scalar_logprobs():
        m = L.distributions.Categorical(L.tensor([0.3, 0.7]))
        a = m.sample()
        return L.cat([m.log_prob(a) * 2.0, m.log_prob(a)])
    def stack_empty():
        return L.stack([]).sum()
    def cat_empty():
        return L.cat([]).sum()
    def returns_std_one():
        r = L.tensor([1.0])
        return (r - r.mean()) / (r.std() + np.finfo(np.float32).eps.item())
    def smooth_l1_scalar_target():
        return F.smooth_l1_loss(L.tensor([0.5]), L.tensor(1.0))
    def smooth_l1_beta():
        return F.smooth_l1_loss(L.tensor([0.5, 3.0]), L.tensor([1.0, 0.0]), beta=0.0)
    def smooth_l1_neg_beta():
        return F.smooth_l1_loss(L.tensor([0.5, 3.0]), L.tensor([1.0, 0.0]), beta=-1.0)
    def value_item_grad():
        v = nn.Linear(2, 1)(L.ones(2))
        return v.item(), type(v.item())
    def clip_returns():
        p = nn.Parameter(L.ones(3))
        p.grad = L.tensor([3., 4., 0.])
        return L.nn.utils.clip_grad_norm_([p], 1.0), p.grad
    def clip_no_grad():
        p = nn.Parameter(L.ones(3))
        return L.nn.utils.clip_grad_norm_([p], 1.0)
    def clip_inf_norm():
        p = nn.Parameter(L.ones(3))
        p.grad = L.tensor([3., -4., 0.])
        return L.nn.utils.clip_grad_norm_([p], 1.0, norm_type='inf'), p.grad
    def clip_value():
        p = nn.Parameter(L.ones(3))
        p.grad = L.tensor([3., -4., 0.])
        return L.nn.utils.clip_grad_value_([p], 1.0), p.grad
    def exp_ppl_tensor():
        import math
        return math.exp(L.tensor(2.0))
    def fmt_ppl_tensor():
        return '{:8.2f}'.format(L.exp(L.tensor(2.0)))
    def fmt_loss_1elem():
        return '{:5.2f}'.format(L.tensor([2.0]))
    def item_requires_grad_float():
        x = L.tensor(2.0, requires_grad=True)
        return float(x * 2)
    def numpy_requires_grad():
        x = L.tensor([2.0], requires_grad=True)
        return (x * 2).numpy()
    def bce_logits_long():
        return nn.BCEWithLogitsLoss()(L.randn(3), L.tensor([1, 0, 1]))
    def embedding_padding():
        e = nn.Embedding(5, 2, padding_idx=0)
        return e(L.tensor([0, 1])), e.weight[0]
    def embedding_padding_oob():
        return nn.Embedding(5, 2, padding_idx=5)
    def tie_shape():
        enc = nn.Embedding(10, 4)
        dec = nn.Linear(6, 10)
        dec.weight = enc.weight
        return dec(L.ones(6))
    def tie_assign_tensor():
        dec = nn.Linear(4, 10)
        dec.weight = L.ones(10, 4)
    def loader_len():
        ds = L.utils.data.TensorDataset(L.ones(10, 2))
        return len(L.utils.data.DataLoader(ds, batch_size=3, drop_last=True))
    def steplr_before_opt():
        opt = L.optim.SGD([nn.Parameter(L.ones(1))], lr=1.0)
        s = L.optim.lr_scheduler.StepLR(opt, 1, 0.7)
        s.step()
        return s.get_last_lr()
    def adadelta_lr():
        opt = L.optim.Adadelta([nn.Parameter(L.ones(1))], lr=-1.0)
    def lbfgs_history():
        return str(L.optim.LBFGS([nn.Parameter(L.ones(1))], lr=0.8))
    def adadelta_repr():
        return str(L.optim.Adadelta([nn.Parameter(L.ones(1))], lr=1.0))
    def convT_output_size():
        up = nn.ConvTranspose2d(2, 1, 3, stride=2, padding=1)
        return up(L.ones(1, 2, 3, 3), output_size=[6, 6]).shape
    def convT_bad_output_size():
        up = nn.ConvTranspose2d(2, 1, 3, stride=2, padding=1)
        return up(L.ones(1, 2, 3, 3), output_size=[8, 8]).shape
    def fill_label_float():
        label = L.full((3,), 1, dtype=L.float)
        label.fill_(0)
        return label
    def full_int_default():
        return L.full((3,), 1).dtype, L.full((3,), 1.).dtype, L.full((3,), True).dtype
    def weights_init_bias_none():
        c = nn.Conv2d(1, 1, 2, bias=False)
        c.bias.data.fill_(0)
    def interp_nearest_scale_float():
        return F.interpolate(L.arange(4.).view(1, 1, 2, 2), scale_factor=1.5, mode='nearest')
    def interp_align_nearest():
        return F.interpolate(L.arange(4.).view(1, 1, 2, 2), scale_factor=2, mode='nearest',
                             align_corners=True)
    def instnorm_running():
        m = nn.InstanceNorm2d(2, track_running_stats=True)
        m(L.arange(16.).view(1, 2, 2, 4))
        m.eval()
        return m.running_mean, m(L.ones(1, 2, 2, 2))
    def instnorm_one_pixel():
        return nn.InstanceNorm2d(2)(L.ones(1, 2, 1, 1))
    cs = {k: v for k, v in locals().items() if callable(v) and k not in ('nn', 'F')}
    return cs


@pytest.mark.parametrize("catalogue", [_cases_a, _cases_b])
def test_learner_mistakes_in_the_examples_match_pytorch(catalogue):
    want, got = run_both(lambda L: _outcomes(catalogue(L), L))
    assert list(got) == list(want)
    bad = {k: (want[k], got[k]) for k in want if got[k] != want[k]}
    assert not bad, bad
