"""AdaptiveLogSoftmaxWithLoss, SyncBatchNorm, DataParallel, LazyInstanceNorm1d/2d/3d,
Container and NLLLoss2d against PyTorch 2.13 (values, gradients, state_dict keys, reprs,
warnings, errors) and float64 finite differences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from nn_more_util import close, load_torch, np_of, same_error, to_ember

import ember
from ember.autograd import gradcheck

RNG = np.random.default_rng(3)


def asm_pair(in_features=8, n_classes=20, cutoffs=(4, 9, 15), div_value=2.0, head_bias=True):
    e = ember.nn.AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs, div_value,
                                            head_bias)
    t = torch.nn.AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs, div_value,
                                            head_bias)
    load_torch(e, t)
    return e, t


def test_adaptive_log_softmax_structure():
    e, t = asm_pair()
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    assert (e.cutoffs, e.shortlist_size, e.n_clusters, e.head_size) == \
        (t.cutoffs, t.shortlist_size, t.n_clusters, t.head_size)
    e.reset_parameters()
    assert all(np.all(np.isfinite(np_of(p))) for p in e.parameters())


@pytest.mark.parametrize("target", [[0, 5, 19, 3, 12, 9, 4, 15], [1, 2, 3, 0, 1, 2, 3, 3],
                                    [19, 18, 16, 15, 17, 15, 16, 19]])
def test_adaptive_log_softmax_forward(target):
    e, t = asm_pair()
    a = RNG.standard_normal((8, 8)).astype(np.float32)
    xe, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    oe, ot = e(xe, ember.tensor(target)), t(xt, torch.tensor(target))
    assert type(oe).__name__ == type(ot).__name__ == "_ASMoutput" and oe._fields == ot._fields
    close(oe.output, ot.output, 1e-5, 1e-6)
    close(oe.loss, ot.loss, 1e-5, 1e-6)
    (oe.loss * 2 + oe.output[1]).backward()
    (ot.loss * 2 + ot.output[1]).backward()
    close(xe.grad, xt.grad, 1e-5, 1e-6)
    t_params = dict(t.named_parameters())
    for name, p in e.named_parameters():
        tp = t_params[name].grad
        close(p.grad if p.grad is not None else ember.zeros(p.shape),
              tp if tp is not None else torch.zeros(p.shape), 1e-5, 1e-6)


def test_adaptive_log_softmax_log_prob_predict_unbatched():
    e, t = asm_pair()
    with torch.no_grad():  # make some rows prefer the clusters' head entries
        for et, tt in ((e.head.weight, t.head.weight), (e.head.bias, t.head.bias)):
            values = np_of(tt)
            values[4:] *= 6
            tt.copy_(torch.tensor(values))
            et.data = ember.tensor(values)
    a = RNG.standard_normal((12, 8)).astype(np.float32)
    lpe, lpt = e.log_prob(ember.tensor(a)), t.log_prob(torch.tensor(a))
    close(lpe, lpt, 1e-5, 1e-5)
    np.testing.assert_allclose(np.exp(np_of(lpe)).sum(1), 1, rtol=1e-5)
    pe, pt = e.predict(ember.tensor(a)), t.predict(torch.tensor(a))
    close(pe, pt, 0, 0)
    assert (np_of(pt) >= e.shortlist_size).any() and (np_of(pt) < e.shortlist_size).any()
    for rows in (slice(0, 12), np.nonzero(np_of(pt) >= 4)[0], np.nonzero(np_of(pt) < 4)[0]):
        close(e.predict(ember.tensor(a[rows])), t.predict(torch.tensor(a[rows])), 0, 0)
    oe, ot = e(ember.tensor(a[0]), ember.tensor(13)), t(torch.tensor(a[0]), torch.tensor(13))
    close(oe.output, ot.output, 1e-5, 1e-6)
    close(oe.loss, ot.loss, 1e-5, 1e-6)


def test_adaptive_log_softmax_finite_differences():
    e = ember.nn.AdaptiveLogSoftmaxWithLoss(6, 10, (3, 6), 2.0, True, dtype=ember.float64)
    x = ember.tensor(RNG.standard_normal((5, 6)), requires_grad=True)
    target = ember.tensor([0, 4, 9, 2, 7])
    assert gradcheck(lambda x: e(x, target).loss, (x,))
    assert gradcheck(lambda x: e.log_prob(x), (x,))


def test_adaptive_log_softmax_errors():
    for args in [(8, 20, []), (8, 20, [5, 3]), (8, 20, [0, 5]), (8, 20, [5, 20]),
                 (8, 20, [5, 5]), (8, 20, [5.5])]:
        same_error(lambda: ember.nn.AdaptiveLogSoftmaxWithLoss(*args),
                   lambda: torch.nn.AdaptiveLogSoftmaxWithLoss(*args))
    e, t = asm_pair()
    x = torch.randn(4, 8)
    for inp, target in [(x, torch.tensor([1, 2, 3])), (x[None], torch.tensor([1, 2, 3, 4])[None]),
                        (x[:, None], torch.tensor([1, 2, 3, 4])), (x, torch.tensor(1)),
                        (x, torch.tensor([1, 20, 3, 4])), (x, torch.tensor([1, -2, 3, 25]))]:
        same_error(lambda: e(to_ember(inp), to_ember(target)), lambda: t(inp, target))


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 3), (2, 3, 2, 2, 3),
                                   (2, 3, 2, 1, 2, 2)])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_sync_batch_norm(shape, momentum):
    e = ember.nn.SyncBatchNorm(3, momentum=momentum)
    t = torch.nn.SyncBatchNorm(3, momentum=momentum)
    with torch.no_grad():
        t.weight.copy_(torch.randn(3))
        t.bias.copy_(torch.randn(3))
    e.load_state_dict({k: to_ember(v) for k, v in t.state_dict().items()})
    assert repr(e) == repr(t)
    for step in range(3):
        if step == 2:
            e.eval()
            t.eval()
        a = RNG.standard_normal(shape).astype(np.float32)
        xe, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        ye, yt = e(xe), t(xt)
        close(ye, yt, 1e-5, 1e-5)
        ye.sum().backward()
        (yt.sum()).backward()
        close(xe.grad, xt.grad, 1e-4, 1e-5)
        for name, value in t.state_dict().items():
            close(e.state_dict()[name], value, 1e-5, 1e-6)


def test_sync_batch_norm_untracked_and_errors():
    e = ember.nn.SyncBatchNorm(2, affine=False, track_running_stats=False, bias=False)
    t = torch.nn.SyncBatchNorm(2, affine=False, track_running_stats=False, bias=False)
    assert repr(e) == repr(t) and list(e.state_dict()) == list(t.state_dict()) == []
    e.eval()
    t.eval()
    a = RNG.standard_normal((4, 2, 3)).astype(np.float32)
    close(e(ember.tensor(a)), t(torch.tensor(a)), 1e-5, 1e-6)
    m_e, m_t = ember.nn.SyncBatchNorm(3), torch.nn.SyncBatchNorm(3)
    for x in [torch.randn(3), torch.randn(2, 0), torch.randn(1, 3)]:
        same_error(lambda: m_e(to_ember(x)), lambda: m_t(x))


def build(nn):
    return nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3, momentum=None),
                         nn.InstanceNorm2d(3, affine=True),
                         nn.Sequential(nn.Flatten(), nn.BatchNorm1d(12, affine=False)))


def test_convert_sync_batchnorm():
    e_net, t_net = build(ember.nn), build(torch.nn)
    e_net[1].eval()
    t_net[1].eval()
    e_old = (e_net[1].weight, e_net[1].running_mean, e_net[3][1].running_var)
    e_conv = ember.nn.SyncBatchNorm.convert_sync_batchnorm(e_net, "group")
    t_conv = torch.nn.SyncBatchNorm.convert_sync_batchnorm(t_net, "group")
    assert e_conv is e_net and t_conv is t_net
    assert repr(e_conv) == repr(t_conv)
    assert [type(m).__name__ for m in e_conv.modules()] == \
        [type(m).__name__ for m in t_conv.modules()]
    assert e_conv[1].weight is e_old[0] and e_conv[1].running_mean is e_old[1]
    assert e_conv[3][1].running_var is e_old[2] and e_conv[3][1].process_group == "group"
    assert not e_conv[1].training and e_conv[3][1].training
    assert list(e_conv.state_dict()) == list(t_conv.state_dict())
    bn = ember.nn.BatchNorm1d(4, eps=1e-3, affine=False)
    bn.qconfig = "q"
    sync = ember.nn.SyncBatchNorm.convert_sync_batchnorm(bn)
    assert type(sync) is ember.nn.SyncBatchNorm and sync is not bn and sync.qconfig == "q"
    assert sync.eps == 1e-3 and sync.weight is None and sync.process_group is None


def test_data_parallel():
    net = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.ReLU(), ember.nn.Linear(4, 2))
    e = ember.nn.DataParallel(net)
    t = torch.nn.DataParallel(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(),
                                                  torch.nn.Linear(4, 2)))
    assert e.module is net and e.device_ids == t.device_ids == []
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict()) == [
        "module.0.weight", "module.0.bias", "module.2.weight", "module.2.bias"]
    load_torch(e, t)
    a = RNG.standard_normal((5, 3)).astype(np.float32)
    xe, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    close(e(xe), t(xt), 1e-6, 1e-6)
    e(xe).sum().backward()
    t(xt).sum().backward()
    close(xe.grad, xt.grad, 1e-6, 1e-6)
    close(e.module[0].weight.grad, t.module[0].weight.grad, 1e-6, 1e-6)
    kw = ember.nn.DataParallel(ember.nn.MultiheadAttention(4, 2))
    q = ember.randn(3, 1, 4)
    assert kw(q, q, q, need_weights=False)[1] is None
    assert ember.nn.parallel.DataParallel is ember.nn.DataParallel
    same_error(lambda: ember.nn.parallel.data_parallel(net, ember.randn(1, 3)),
               lambda: torch.nn.parallel.data_parallel(torch.nn.Linear(3, 2), torch.randn(1, 3)))


@pytest.mark.parametrize("nd,shape", [(1, (4, 3, 5)), (2, (2, 3, 4, 5)), (3, (2, 3, 2, 3, 4))])
@pytest.mark.parametrize("kw", [{}, dict(affine=False, track_running_stats=False),
                                dict(bias=False, momentum=None)])
def test_lazy_instance_norm(nd, shape, kw):
    name = f"LazyInstanceNorm{nd}d"
    e, t = getattr(ember.nn, name)(**kw), getattr(torch.nn, name)(**kw)
    assert (e.affine, e.track_running_stats) == (t.affine, t.track_running_stats)
    assert e.has_uninitialized_params() == t.has_uninitialized_params()
    for step in range(3):
        if step == 2:
            e.eval()
            t.eval()
        a = RNG.standard_normal(shape).astype(np.float32)
        close(e(ember.tensor(a)), t(torch.tensor(a)), 1e-5, 1e-5)
        assert type(e).__name__ == type(t).__name__ == f"InstanceNorm{nd}d"
        assert repr(e) == repr(t)
        for key, value in t.state_dict().items():
            close(e.state_dict()[key], value, 1e-5, 1e-6)


def test_lazy_instance_norm_errors():
    for name, shape in [("LazyInstanceNorm1d", (3, 5)), ("LazyInstanceNorm3d", (2, 3, 4, 4)),
                        ("LazyInstanceNorm2d", (2, 3, 4, 4, 4))]:
        e, t = getattr(ember.nn, name)(), getattr(torch.nn, name)()
        x = torch.randn(shape)
        same_error(lambda: e(to_ember(x)), lambda: t(x))
    bn = ember.nn.LazyBatchNorm1d(bias=False)
    bn(ember.randn(4, 3))
    assert bn.bias is None and tuple(bn.weight.shape) == (3,)


def test_container_and_nll_loss_2d():
    def made(nn):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            c = nn.Container(a=nn.Linear(2, 3), b=nn.ReLU())

            class Sub(nn.Container):
                def __init__(self):
                    super().__init__(c=nn.Linear(1, 1))
            s = Sub()
        return c, s, [(x.category, str(x.message), x.filename) for x in w]
    (ce, se, we), (ct, st, wt) = made(ember.nn), made(torch.nn)
    assert [x[:2] for x in we] == [x[:2] for x in wt] and len(wt) == 2
    assert [x[2] for x in we] == [__file__] * 2
    assert repr(ce) == repr(ct) and list(ce.state_dict()) == list(ct.state_dict())
    assert repr(se).replace("made.<locals>.", "") == repr(st)
    logp = ember.nn.functional.log_softmax(ember.randn(2, 3, 4, 5), 1)
    target = ember.randint(0, 3, (2, 4, 5))
    target[0, 0, 0] = 1
    weight = ember.rand(3)
    loss = ember.nn.NLLLoss2d(weight, ignore_index=1)(logp, target)
    ref = torch.nn.NLLLoss2d(torch.tensor(np_of(weight)), ignore_index=1)(
        torch.tensor(np_of(logp)), torch.tensor(np_of(target)))
    close(loss, ref, 1e-6, 1e-6)
    assert isinstance(ember.nn.NLLLoss2d(), ember.nn.NLLLoss)
