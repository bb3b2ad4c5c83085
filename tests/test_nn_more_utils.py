"""nn.utils fuse_conv_bn_* / fuse_linear_bn_*, skip_init, stateless.functional_call and
convert_conv2d/3d_weight_memory_format; nn.init dirac_, sparse_ and the deprecated aliases;
against PyTorch 2.13."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from nn_more_util import close, load_torch, np_of, same_error, to_ember

import ember

RNG = np.random.default_rng(9)
U, TU = ember.nn.utils, torch.nn.utils


def trained_bn(nn_lib, lib, kind: str, n: int, shape: tuple, **kw):
    """A BatchNorm with running statistics from two training batches, then in eval."""
    bn = getattr(nn_lib, kind)(n, **kw)
    for seed in (1, 2):
        bn(lib.tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
                      * 2 + 1))
    return bn.eval()


@pytest.mark.parametrize("conv,args,bn_kw,transpose", [
    ("Conv2d", (2, 3, 3), {}, False), ("Conv1d", (2, 3, 2), dict(affine=False), False),
    ("Conv3d", (2, 3, 2), dict(eps=1e-2), False),
    ("ConvTranspose2d", (2, 3, 3), {}, True)])
def test_fuse_conv_bn_eval(conv, args, bn_kw, transpose):
    nd = int(conv[-2])
    kind = f"BatchNorm{nd}d"
    shape = (4, 3) + (5,) * nd
    ce, ct = getattr(ember.nn, conv)(*args), getattr(torch.nn, conv)(*args)
    load_torch(ce, ct)
    ce.eval()
    ct.eval()
    be = trained_bn(ember.nn, ember, kind, 3, shape, **bn_kw)
    bt = trained_bn(torch.nn, torch, kind, 3, shape, **bn_kw)
    fe, ft = U.fuse_conv_bn_eval(ce, be, transpose), TU.fuse_conv_bn_eval(ct, bt, transpose)
    assert fe is not ce and ce.weight is not fe.weight and type(fe) is type(ce)
    assert isinstance(fe.weight, ember.nn.Parameter) and fe.weight.requires_grad
    close(fe.weight, ft.weight, 1e-6, 1e-6)
    close(fe.bias, ft.bias, 1e-6, 1e-6)
    x = ember.tensor(RNG.standard_normal((2, 2) + (6,) * nd).astype(np.float32))
    close(fe(x), be(ce(x)), 1e-5, 1e-5)  # the fused layer is the pair


def test_fuse_weights_no_bias_and_dtypes():
    w = RNG.standard_normal((4, 2, 3, 3)).astype(np.float32)
    rm, rv = RNG.standard_normal(4), RNG.uniform(0.5, 2, 4)
    args_e = (ember.tensor(w, requires_grad=False), None, ember.tensor(rm), ember.tensor(rv),
              1e-3, None, None)
    args_t = (torch.tensor(w), None, torch.tensor(rm), torch.tensor(rv), 1e-3, None, None)
    (we, be), (wt, bt) = U.fuse_conv_bn_weights(*args_e), TU.fuse_conv_bn_weights(*args_t)
    close(we, wt, 1e-6, 1e-7)
    close(be, bt, 1e-6, 1e-7)
    assert (we.requires_grad, be.requires_grad) == (wt.requires_grad, bt.requires_grad)
    lw = RNG.standard_normal((4, 3)).astype(np.float32)
    bn = [RNG.standard_normal(4) for _ in range(3)] + [RNG.uniform(0.5, 2, 4)]
    le = U.fuse_linear_bn_weights(ember.tensor(lw, requires_grad=True), None,
                                  *(ember.tensor(v) for v in bn[2:]), 1e-5,
                                  *(ember.tensor(v) for v in bn[:2]))
    lt = TU.fuse_linear_bn_weights(torch.tensor(lw, requires_grad=True), None,
                                   *(torch.tensor(v) for v in bn[2:]), 1e-5,
                                   *(torch.tensor(v) for v in bn[:2]))
    for e, t in zip(le, lt):
        close(e, t, 1e-6, 1e-7)
        assert e.requires_grad == t.requires_grad and isinstance(e, ember.nn.Parameter)


@pytest.mark.parametrize("features", [3, 1])
def test_fuse_linear_bn_eval(features):
    le, lt = ember.nn.Linear(4, 3), torch.nn.Linear(4, 3)
    load_torch(le, lt)
    le.eval()
    lt.eval()
    be = trained_bn(ember.nn, ember, "BatchNorm1d", features, (6, features))
    bt = trained_bn(torch.nn, torch, "BatchNorm1d", features, (6, features))
    fe, ft = U.fuse_linear_bn_eval(le, be), TU.fuse_linear_bn_eval(lt, bt)
    close(fe.weight, ft.weight, 1e-6, 1e-6)
    close(fe.bias, ft.bias, 1e-6, 1e-6)
    x = ember.tensor(RNG.standard_normal((5, 4)).astype(np.float32))
    if features == 3:
        close(fe(x), be(le(x)), 1e-5, 1e-5)


def test_fuse_errors():
    pairs = [(lambda nn: (nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3)), "fuse_conv_bn_eval"),
             (lambda nn: (nn.Conv2d(2, 3, 3).eval(),
                          nn.BatchNorm2d(3, track_running_stats=False).eval()),
              "fuse_conv_bn_eval"),
             (lambda nn: (nn.Linear(2, 3).eval(), nn.BatchNorm1d(4).eval()),
              "fuse_linear_bn_eval"),
             (lambda nn: (nn.Linear(2, 3), nn.BatchNorm1d(3).eval()), "fuse_linear_bn_eval")]
    for make, fn in pairs:
        same_error(lambda: getattr(U, fn)(*make(ember.nn)),
                   lambda: getattr(TU, fn)(*make(torch.nn)))


def test_skip_init():
    ember.manual_seed(0)
    expected = ember.randn(4)
    ember.manual_seed(0)
    lin = U.skip_init(ember.nn.Linear, 5, out_features=3, bias=True)
    assert ember.equal(ember.randn(4), expected)  # no random numbers drawn
    assert type(lin.weight) is ember.nn.Parameter and lin.weight.requires_grad
    assert tuple(lin.weight.shape) == (3, 5) and tuple(lin.bias.shape) == (3,)
    bn = U.skip_init(ember.nn.BatchNorm1d, 3, device="cpu")
    assert tuple(bn.running_mean.shape) == (3,) and bn.num_batches_tracked.dtype == ember.int64
    ember.nn.init.zeros_(lin.weight)  # fills work again afterwards
    assert not lin.weight.detach().numpy().any()
    assert not ember.nn.init._SKIP.on

    class NoDevice(ember.nn.Module):
        pass

    class TNoDevice(torch.nn.Module):
        pass
    for e_cls, t_cls in [(int, int), (NoDevice, TNoDevice)]:
        same_error(lambda: U.skip_init(e_cls), lambda: TU.skip_init(t_cls))


def test_stateless_functional_call():
    e, t = ember.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    a = {"weight": RNG.standard_normal((2, 3)).astype(np.float32)}
    x = RNG.standard_normal((4, 3)).astype(np.float32)
    with warnings.catch_warnings(record=True) as we:
        warnings.simplefilter("always")
        ye = U.stateless.functional_call(e, {k: ember.tensor(v) for k, v in a.items()},
                                         (ember.tensor(x),))
    with warnings.catch_warnings(record=True) as wt:
        warnings.simplefilter("always")
        yt = TU.stateless.functional_call(t, {k: torch.tensor(v) for k, v in a.items()},
                                          (torch.tensor(x),))
    assert [(w.category, str(w.message)) for w in we] == \
        [(w.category, str(w.message)) for w in wt] and we[0].filename == __file__
    bias_e, bias_t = np_of(e.bias), np_of(t.bias)
    close(ye, ember.tensor(x @ a["weight"].T + bias_e), 1e-6, 1e-6)
    close(yt, torch.tensor(x @ a["weight"].T + bias_t), 1e-6, 1e-6)
    assert not np.array_equal(np_of(e.weight), a["weight"])  # the module is unchanged


def test_convert_weight_memory_format():
    ce = ember.nn.Sequential(ember.nn.Conv2d(2, 3, 3), ember.nn.ConvTranspose3d(3, 2, 2))
    ct = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.ConvTranspose3d(3, 2, 2))
    load_torch(ce, ct)
    before = {k: np_of(v) for k, v in ce.state_dict().items()}
    assert U.convert_conv2d_weight_memory_format(ce, "channels_last") is ce
    assert U.convert_conv3d_weight_memory_format(ce, "channels_last_3d") is ce
    assert TU.convert_conv2d_weight_memory_format(ct, torch.channels_last) is ct
    assert TU.convert_conv3d_weight_memory_format(ct, torch.channels_last_3d) is ct
    for key, value in ct.state_dict().items():
        close(ce.state_dict()[key], value, 0, 0)
        np.testing.assert_array_equal(before[key], np_of(value))


@pytest.mark.parametrize("shape,groups", [((3, 4, 5), 1), ((4, 3, 3), 2), ((2, 3, 2, 2), 1),
                                          ((6, 2, 3, 4), 3), ((3, 3, 3, 4, 5), 1),
                                          ((4, 1, 3, 3, 3), 2), ((3, 3, 3, 3), 1)])
def test_dirac(shape, groups):
    e = ember.nn.init.dirac_(ember.full(shape, 7.0), groups)
    t = torch.nn.init.dirac_(torch.full(shape, 7.0), groups)
    close(e, t, 0, 0)
    if len(shape) == 4 and groups == 1:  # a conv with this weight passes its input through
        x = ember.randn(1, shape[1], 5, 5)
        y = ember.nn.functional.conv2d(x, e, padding=(shape[2] // 2, shape[3] // 2))
        keep = min(shape[:2])
        if shape[2] % 2 and shape[3] % 2:
            close(y[:, :keep], x[:, :keep], 0, 0)


def test_sparse():
    ember.manual_seed(1)
    w = ember.nn.init.sparse_(ember.empty(10, 300), 0.35, std=0.5)
    zeros = (w.numpy() == 0).sum(0)
    assert (zeros == math.ceil(0.35 * 10)).all()  # per column, at random rows
    assert len({tuple(np.nonzero(c == 0)[0]) for c in w.numpy().T}) > 50
    assert abs(w.numpy()[w.numpy() != 0].std() - 0.5) < 0.03
    g = ember.Generator().manual_seed(5)
    a = ember.nn.init.sparse_(ember.empty(4, 3), 0.0, generator=g)
    b = ember.nn.init.sparse_(ember.empty(4, 3), 0.0, generator=ember.Generator().manual_seed(5))
    assert ember.equal(a, b) and (a.numpy() != 0).all()


def test_init_errors():
    cases = [("dirac_", (3, 4), ()), ("dirac_", (3, 4, 3), (2,)), ("sparse_", (3, 4, 3), (0.5,)),
             ("sparse_", (3,), (0.5,))]
    for name, shape, args in cases:
        same_error(lambda: getattr(ember.nn.init, name)(ember.empty(shape), *args),
                   lambda: getattr(torch.nn.init, name)(torch.empty(shape), *args))


@pytest.mark.parametrize("name,shape,args", [
    ("uniform", (3, 4), (2.0, 3.0)), ("normal", (3, 4), (1.0, 0.5)), ("constant", (3,), (2.5,)),
    ("eye", (3, 4), ()), ("dirac", (2, 2, 3), ()), ("xavier_uniform", (3, 4), (2.0,)),
    ("xavier_normal", (3, 4), ()), ("kaiming_uniform", (3, 4), (0.1,)),
    ("kaiming_normal", (3, 4), ()), ("orthogonal", (4, 3), ()), ("sparse", (4, 3), (0.5,))])
def test_deprecated_init_aliases(name, shape, args):
    def fill(lib):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out = getattr(lib.nn.init, name)(lib.ones(shape), *args)
        return out, [(x.category, str(x.message), x.filename) for x in w]
    (te, we), (tt, wt) = fill(ember), fill(torch)
    assert [x[:2] for x in we] == [x[:2] for x in wt] and [x[2] for x in we] == [__file__]
    assert getattr(ember.nn.init, name).__name__ == getattr(torch.nn.init, name).__name__
    if name in ("constant", "eye", "dirac"):
        close(te, tt, 0, 0)
    ember.manual_seed(4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        old = getattr(ember.nn.init, name)(ember.ones(shape), *args)
    ember.manual_seed(4)
    close(old, getattr(ember.nn.init, name + "_")(ember.ones(shape), *args), 0, 0)
    assert to_ember(tt).shape == te.shape
