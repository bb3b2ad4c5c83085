"""Embedding, LayerNorm, RMSNorm, BatchNorm1d/2d against PyTorch 2.13 (values, gradients,
running statistics, state_dict keys, repr, errors) and float64 finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from nn_testutil import close, np_of, same_error

import ember
from ember.autograd import gradcheck, gradgradcheck

F, TF = ember.nn.functional, torch.nn.functional
RNG = np.random.default_rng(7)


def load_from_torch(e_mod, t_mod) -> None:
    """Give the ember module the torch module's state (same keys, strict)."""
    sd = {k: ember.tensor(v.detach().numpy().copy()) for k, v in t_mod.state_dict().items()}
    e_mod.load_state_dict(sd)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())


def randomise(t_mod) -> None:
    with torch.no_grad():
        for p in t_mod.parameters():
            p.copy_(torch.from_numpy(RNG.standard_normal(tuple(p.shape)).astype(np.float32)))


def run_both(e_mod, t_mod, x: np.ndarray, upstream: np.ndarray | None = None):
    """Forward and backward on both; returns (ember out, torch out, ember x, torch x)."""
    xe = ember.tensor(x.copy(), requires_grad=x.dtype.kind == "f")
    xt = torch.tensor(x.copy(), requires_grad=x.dtype.kind == "f")
    ye, yt = e_mod(xe), t_mod(xt)
    g = RNG.standard_normal(tuple(yt.shape)).astype(np.float32) if upstream is None else upstream
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    return ye, yt, xe, xt


def grads_match(e_mod, t_mod, rtol=1e-5, atol=1e-6) -> None:
    tp = dict(t_mod.named_parameters())
    for name, p in e_mod.named_parameters():
        close(p.grad, tp[name].grad, rtol, atol)


# ---- Embedding ---------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [{}, {"padding_idx": 2}, {"padding_idx": -1},
                                {"scale_grad_by_freq": True, "padding_idx": 0}])
@pytest.mark.parametrize("idx_dtype", [np.int64, np.int32])
def test_embedding_matches_torch(kw, idx_dtype):
    t_mod = torch.nn.Embedding(6, 3, **kw)
    e_mod = ember.nn.Embedding(6, 3, **kw)
    load_from_torch(e_mod, t_mod)
    idx = np.array([[0, 2, 2, 5], [1, 5, 2, 0]], dtype=idx_dtype)
    ye, yt, _, _ = run_both(e_mod, t_mod, idx)
    close(ye, yt, 0, 0)
    close(e_mod.weight.grad, t_mod.weight.grad)
    assert ye.grad_fn.name() == yt.grad_fn.name() == "EmbeddingBackward0"
    assert repr(e_mod) == repr(t_mod)


def test_embedding_0d_and_empty_index():
    w = RNG.standard_normal((4, 2))
    for idx in (np.array(3), np.zeros((0, 2), dtype=np.int64)):
        close(F.embedding(ember.tensor(idx), ember.tensor(w)),
              TF.embedding(torch.tensor(idx), torch.tensor(w)), 0, 0)


def test_embedding_init_and_padding_row():
    ember.manual_seed(0)
    m = ember.nn.Embedding(400, 50, padding_idx=3)
    w = np_of(m.weight)
    assert np.all(w[3] == 0)
    rest = np.delete(w, 3, axis=0)
    assert abs(rest.mean()) < 0.02 and abs(rest.std() - 1.0) < 0.02  # N(0, 1), as PyTorch
    assert m.weight.dtype == ember.float32 and m.weight.requires_grad


def test_embedding_max_norm_renormalises_rows_in_place():
    w = (RNG.standard_normal((5, 3)) * 2).astype(np.float32)
    idx = np.array([0, 1, 1, 3])
    for norm_type in (2.0, 1.0):
        we, wt = ember.tensor(w.copy(), requires_grad=True), torch.tensor(w.copy(),
                                                                          requires_grad=True)
        ye = F.embedding(ember.tensor(idx), we, max_norm=1.5, norm_type=norm_type)
        with torch.no_grad():  # torch renormalises a leaf in place only outside autograd
            TF.embedding(torch.tensor(idx), wt, max_norm=1.5, norm_type=norm_type)
        close(we, wt)
        close(ye, wt[torch.tensor(idx)])


def test_embedding_from_pretrained_and_repr():
    w = torch.from_numpy(RNG.standard_normal((4, 3)).astype(np.float32))
    e = ember.nn.Embedding.from_pretrained(ember.tensor(w.numpy()), padding_idx=1)
    t = torch.nn.Embedding.from_pretrained(w, padding_idx=1)
    assert not e.weight.requires_grad and repr(e) == repr(t)
    kw = dict(padding_idx=-2, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, sparse=True)
    assert repr(ember.nn.Embedding(5, 3, **kw)) == repr(torch.nn.Embedding(5, 3, **kw))


def test_embedding_gradcheck():
    idx = ember.tensor(np.array([[0, 1, 1], [4, 1, 0]]))
    w = ember.tensor(RNG.standard_normal((5, 3)), requires_grad=True)
    # (padding_idx and scale_grad_by_freq change the gradient on purpose: checked vs torch)
    assert gradcheck(lambda w: F.embedding(idx, w), (w,))
    assert gradgradcheck(lambda w: F.embedding(idx, w) ** 2, (w,))


def test_embedding_errors():
    we, wt = ember.randn(5, 3), torch.randn(5, 3)
    for idx in (np.array([1.0, 2.0]), np.array([1, 7]), np.array([-1]),
                np.array([1], dtype=np.int16)):
        same_error(lambda: F.embedding(ember.tensor(idx), we),
                   lambda: TF.embedding(torch.tensor(idx), wt))
    for p in (5, -6):
        same_error(lambda: F.embedding(ember.tensor([1]), we, padding_idx=p),
                   lambda: TF.embedding(torch.tensor([1]), wt, padding_idx=p))
        same_error(lambda: ember.nn.Embedding(5, 3, padding_idx=p),
                   lambda: torch.nn.Embedding(5, 3, padding_idx=p))


# ---- LayerNorm / RMSNorm -----------------------------------------------------------------
@pytest.mark.parametrize("shape,kw", [((4,), {}), ((3, 4), {"bias": False}),
                                      ((4,), {"elementwise_affine": False, "eps": 1e-3})])
def test_layer_norm_module_matches_torch(shape, kw):
    t_mod, e_mod = torch.nn.LayerNorm(shape, **kw), ember.nn.LayerNorm(shape, **kw)
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    if e_mod.weight is not None:  # initialised as torch: ones (and zeros)
        close(e_mod.weight, t_mod.weight)
    randomise(t_mod)
    load_from_torch(e_mod, t_mod)
    x = (RNG.standard_normal((2, 3, 4)) * 3 + 1).astype(np.float32)
    ye, yt, xe, xt = run_both(e_mod, t_mod, x)
    close(ye, yt, 1e-5, 1e-6)
    close(xe.grad, xt.grad, 1e-4, 1e-5)
    grads_match(e_mod, t_mod)
    assert ye.grad_fn.name() == yt.grad_fn.name()


def test_layer_norm_gradcheck():
    x = ember.tensor(RNG.standard_normal((3, 2, 4)), requires_grad=True)
    w = ember.tensor(RNG.standard_normal((2, 4)), requires_grad=True)
    b = ember.tensor(RNG.standard_normal((2, 4)), requires_grad=True)
    fn = lambda x, w, b: F.layer_norm(x, (2, 4), w, b, 1e-3)  # noqa: E731
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))
    assert gradgradcheck(lambda x: F.layer_norm(x, [4]), (x,))
    assert gradcheck(lambda x, b: F.layer_norm(x, (2, 4), None, b), (x, b))  # bias only
    with_graph = F.layer_norm(x, (2, 4), w, b)
    with ember.no_grad():  # the unrecorded path normalises in place: same numbers
        close(F.layer_norm(x, (2, 4), w, b), with_graph, 0, 0)
        close(F.layer_norm(x, (2, 4), None, b), F.layer_norm(x, (2, 4)) + b, 0, 0)


def test_layer_norm_errors():
    x = np.zeros((2, 3, 4), np.float32)
    for shape in ((3,), (2, 3, 4, 5)):
        same_error(lambda: F.layer_norm(ember.tensor(x), shape),
                   lambda: TF.layer_norm(torch.tensor(x), shape))
    same_error(lambda: F.layer_norm(ember.tensor(x), (4,), ember.ones(3)),
               lambda: TF.layer_norm(torch.tensor(x), (4,), torch.ones(3)))
    same_error(lambda: F.layer_norm(ember.tensor(x), 4), lambda: TF.layer_norm(torch.tensor(x), 4))
    same_error(lambda: ember.nn.LayerNorm(3)(ember.tensor(x)),
               lambda: torch.nn.LayerNorm(3)(torch.tensor(x)))


@pytest.mark.parametrize("kw", [{}, {"eps": 1e-2}, {"elementwise_affine": False}])
def test_rms_norm_matches_torch(kw):
    t_mod, e_mod = torch.nn.RMSNorm([3, 4], **kw), ember.nn.RMSNorm([3, 4], **kw)
    assert repr(e_mod) == repr(t_mod)
    randomise(t_mod)
    load_from_torch(e_mod, t_mod)
    x = (RNG.standard_normal((2, 3, 4)) * 0.1).astype(np.float32)
    ye, yt, xe, xt = run_both(e_mod, t_mod, x)
    close(ye, yt, 1e-5, 1e-6)
    close(xe.grad, xt.grad, 1e-4, 1e-5)
    grads_match(e_mod, t_mod, 1e-4, 1e-5)
    x64 = ember.tensor(RNG.standard_normal((2, 4)), requires_grad=True)
    assert gradcheck(lambda x: F.rms_norm(x, (4,), eps=1e-3), (x64,))


def test_rms_norm_error():
    x = np.zeros((2, 3, 4), np.float32)
    same_error(lambda: F.rms_norm(ember.tensor(x), (3,)),
               lambda: TF.rms_norm(torch.tensor(x), (3,)))


# ---- BatchNorm -------------------------------------------------------------------------------
BN_CASES = [
    ("1d", (6, 3), {}), ("1d", (4, 3, 5), {"momentum": None}), ("2d", (2, 3, 4, 5), {}),
    ("2d", (3, 3, 2, 2), {"affine": False, "momentum": 0.3}),
    ("1d", (5, 3), {"track_running_stats": False}), ("2d", (2, 3, 2, 3), {"bias": False}),
]


@pytest.mark.parametrize("kind,shape,kw", BN_CASES)
def test_batch_norm_train_eval_steps_match_torch(kind, shape, kw):
    t_mod = getattr(torch.nn, f"BatchNorm{kind}")(3, **kw)
    e_mod = getattr(ember.nn, f"BatchNorm{kind}")(3, **kw)
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    randomise(t_mod)
    load_from_torch(e_mod, t_mod)
    for step in range(3):
        x = (RNG.standard_normal(shape) * (step + 1) + step).astype(np.float32)
        ye, yt, xe, xt = run_both(e_mod, t_mod, x)
        close(ye, yt, 1e-5, 1e-5)
        close(xe.grad, xt.grad, 1e-4, 1e-5)
        grads_match(e_mod, t_mod, 1e-4, 1e-5)
        for name, buf in t_mod.named_buffers():
            close(e_mod.get_buffer(name), buf, 1e-6, 1e-6)
        assert ye.grad_fn.name() == yt.grad_fn.name() == "NativeBatchNormBackward0"
    e_mod.eval(), t_mod.eval()
    # A batch of 1 is fine in eval with running statistics (untracked ones use the batch's).
    batch = 1 if e_mod.track_running_stats else 2
    x = RNG.standard_normal((batch,) + shape[1:]).astype(np.float32)
    ye, yt, xe, xt = run_both(e_mod, t_mod, x)
    close(ye, yt, 1e-5, 1e-5)
    close(xe.grad, xt.grad, 1e-5, 1e-6)


def test_batch_norm_state_dict_round_trip_with_torch():
    t_mod = torch.nn.BatchNorm2d(3)
    t_mod(torch.randn(4, 3, 2, 2))
    e_mod = ember.nn.BatchNorm2d(3)
    load_from_torch(e_mod, t_mod)
    assert int(e_mod.num_batches_tracked) == 1 and e_mod.num_batches_tracked.dtype == ember.int64
    back = torch.nn.BatchNorm2d(3)
    back.load_state_dict({k: torch.from_numpy(np_of(v)) for k, v in e_mod.state_dict().items()})
    for k, v in back.state_dict().items():
        close(v, t_mod.state_dict()[k], 0, 0)


def test_batch_norm_gradcheck():
    x = ember.tensor(RNG.standard_normal((4, 3, 2)), requires_grad=True)
    w = ember.tensor(RNG.standard_normal(3), requires_grad=True)
    b = ember.tensor(RNG.standard_normal(3), requires_grad=True)
    rm = ember.tensor(RNG.standard_normal(3))
    rv = ember.tensor(RNG.random(3) + 0.5)
    train = lambda x, w, b: F.batch_norm(x, None, None, w, b, True)  # noqa: E731
    evals = lambda x, w, b: F.batch_norm(x, rm, rv, w, b, False)  # noqa: E731
    for fn in (train, evals):
        assert gradcheck(fn, (x, w, b))
        assert gradgradcheck(fn, (x, w, b))


def test_batch_norm_errors():
    def both(make, shape, train=True):
        e, t = make(ember.nn), make(torch.nn)
        e.train(train), t.train(train)
        x = np.zeros(shape, np.float32)
        same_error(lambda: e(ember.tensor(x)), lambda: t(torch.tensor(x)))

    both(lambda nn: nn.BatchNorm1d(3), (1, 3))
    both(lambda nn: nn.BatchNorm1d(3), (1, 3, 1))
    both(lambda nn: nn.BatchNorm2d(3), (1, 3, 1, 1))
    both(lambda nn: nn.BatchNorm1d(3, track_running_stats=False), (1, 3), train=False)
    both(lambda nn: nn.BatchNorm1d(3), (4,))
    both(lambda nn: nn.BatchNorm2d(3), (2, 3, 4))
    both(lambda nn: nn.BatchNorm1d(3), (2, 4))
    both(lambda nn: nn.BatchNorm1d(3, affine=False), (2, 4), train=False)
    x = np.zeros((2, 4), np.float32)
    same_error(lambda: F.batch_norm(ember.tensor(x), None, None, training=False),
               lambda: TF.batch_norm(torch.tensor(x), None, None, training=False))
    same_error(lambda: F.batch_norm(ember.tensor(x), None, None, ember.ones(4), ember.ones(3),
                                    training=True),
               lambda: TF.batch_norm(torch.tensor(x), None, None, torch.ones(4), torch.ones(3),
                                     training=True))


def test_norm_dtype_rules_match_torch():
    """Mixed dtypes: PyTorch's CPU errors; a float16 input with float32 parameters works."""
    def both(fn, x_dtype, **dtypes):
        def make(lib, name):
            return lib.ones(4, dtype=getattr(lib, dtypes[name])) if name in dtypes else None

        x = np.arange(8).reshape(2, 4).astype(x_dtype)
        args = {lib: (lib.tensor(x),) + tuple(make(lib, n) for n in ("weight", "bias"))
                for lib in (ember, torch)}
        same_error(lambda: fn(F, *args[ember]), lambda: fn(TF, *args[torch]))

    ln = lambda f, x, w, b: f.layer_norm(x, (4,), w, b)  # noqa: E731
    bn = lambda f, x, w, b: f.batch_norm(x, None, None, w, b, True)  # noqa: E731
    for fn in (ln, bn):
        both(fn, np.float64, weight="float32")
        both(fn, np.float32, weight="float64")
        both(fn, np.int64)
    both(ln, np.float32, weight="float32", bias="float64")
    x16 = np.linspace(-1, 1, 8).reshape(2, 4).astype(np.float16)
    close(F.layer_norm(ember.tensor(x16), (4,), ember.ones(4), ember.zeros(4)),
          TF.layer_norm(torch.tensor(x16), (4,), torch.ones(4), torch.zeros(4)), 1e-3, 1e-3)


# ---- GroupNorm -------------------------------------------------------------------------------
@pytest.mark.parametrize("groups,shape,kw", [(2, (3, 4, 5), {}), (3, (2, 6, 2, 3), {}),
                                             (1, (2, 4), {"bias": False}),
                                             (4, (2, 4, 3), {"affine": False, "eps": 1e-3})])
def test_group_norm_matches_torch(groups, shape, kw):
    t_mod = torch.nn.GroupNorm(groups, shape[1], **kw)
    e_mod = ember.nn.GroupNorm(groups, shape[1], **kw)
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    randomise(t_mod)
    load_from_torch(e_mod, t_mod)
    x = (RNG.standard_normal(shape) * 2 + 1).astype(np.float32)
    ye, yt, xe, xt = run_both(e_mod, t_mod, x)
    close(ye, yt, 1e-5, 1e-5)
    close(xe.grad, xt.grad, 1e-4, 1e-5)
    grads_match(e_mod, t_mod, 1e-4, 1e-5)
    assert ye.grad_fn.name() == yt.grad_fn.name() == "NativeGroupNormBackward0"
    with ember.no_grad():
        close(e_mod(ember.tensor(x)), yt, 1e-5, 1e-5)


def test_group_norm_gradcheck_and_errors():
    x = ember.tensor(RNG.standard_normal((2, 4, 3)), requires_grad=True)
    w = ember.tensor(RNG.standard_normal(4), requires_grad=True)
    b = ember.tensor(RNG.standard_normal(4), requires_grad=True)
    fn = lambda x, w, b: F.group_norm(x, 2, w, b, 1e-3)  # noqa: E731
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))
    for shape, args in (((2, 3, 8), (2,)), ((3,), (1,)), ((2, 4), (2, "w3")),
                        ((2, 4), (2, "w4", "b3"))):
        def call(lib, f):
            extra = [lib.ones(int(a[1:])) for a in args[1:]]
            return f.group_norm(lib.zeros(*shape), args[0], *extra)
        same_error(lambda: call(ember, F), lambda: call(torch, TF))
    same_error(lambda: ember.nn.GroupNorm(2, 3), lambda: torch.nn.GroupNorm(2, 3))
