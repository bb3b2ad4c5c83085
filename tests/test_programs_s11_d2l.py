"""Session 11, programs shaped like Dive into Deep Learning's PyTorch chapters (linear and
softmax regression from scratch, blocks, convolutions, batch norm, RNNs, attention,
optimizers from scratch) and the mistakes learners make typing them, run on ember and
compared live with torch 2.13."""

import numpy as np
from torch_compare import run_both, same as _same


def _values(fn):
    """fn(lib) -> tensor or tuple of tensors, as (dtype, shape, values) to compare."""
    def run(L):
        out = fn(L)
        outs = out if isinstance(out, tuple) else (out,)
        return [(str(t.dtype), tuple(t.shape), t.detach().numpy().tolist()) for t in outs]
    return run


def _close(fn):
    """The same dtypes and shapes, and values to float32 rounding (exp and log differ in
    the last bit between NumPy and PyTorch)."""
    want, got = run_both(fn)
    assert [w[:2] for w in want] == [g[:2] for g in got], (got, want)
    for w, g in zip(want, got):
        np.testing.assert_allclose(g[2], w[2], rtol=1e-6)


# ---- optimizers from scratch without no_grad: `p[:] -= ...` writes the leaf itself --------

def test_whole_slice_write_on_a_leaf_names_the_leaf_not_a_view():
    # PyTorch's slicing skips a slice that covers its whole dim, so w[:] = v is a write on w
    for idx in (slice(None), (slice(None), slice(None)), Ellipsis, (Ellipsis, slice(None)),
                (slice(None), Ellipsis), slice(0, 10), slice(None, 2), slice(0, None, 1), (),
                (slice(None), [0, 1]), ([0, 1],), (Ellipsis, [0])):
        _same(lambda L: L.zeros(2, 3, requires_grad=True).__setitem__(idx, 1.0))


def test_partial_or_view_making_writes_on_a_leaf_still_name_a_view():
    for idx in (slice(1, None), slice(-2, None), slice(0, 1), 0, (slice(None), 0), None,
                (slice(None), None), True, (0, [0, 1]), (slice(0, 1), [0, 1]),
                (slice(None), Ellipsis, slice(0, 1))):
        _same(lambda L: L.zeros(2, 3, requires_grad=True).__setitem__(idx, 1.0))


def test_sgd_update_forgetting_no_grad_on_whole_slice():
    def step(L):
        L.manual_seed(0)
        w = L.normal(0, 0.01, (2, 1), requires_grad=True)
        (L.ones(3, 2) @ w).sum().backward()
        w[:] = w - 0.1 * w.grad  # the in-place form, w[:] -= ..., fails on the view first
    _same(step)


# ---- cross_entropy given labels as logits: same shapes read as class probabilities ---------

def test_cross_entropy_with_integer_input_and_target_of_its_shape():
    for shape_in, shape_t in (((2,), (2,)), ((2, 3), (2, 3)), ((2, 3), (2,)), ((3,), ())):
        for din in ("int64", "float32", "int32", "bool"):
            for dt in ("int64", "float32", "int32", "bool"):
                _same(lambda L: L.nn.functional.cross_entropy(
                    L.zeros(shape_in, dtype=getattr(L, din)),
                    L.zeros(shape_t, dtype=getattr(L, dt))).item())


def test_cross_entropy_module_given_labels_twice():
    _same(lambda L: L.nn.CrossEntropyLoss()(L.tensor([0, 2]), L.tensor([0, 2])))


# ---- NumPy's axis= for scans and softmax (d2l's A.cumsum(axis=0)) --------------------------

def test_cumsum_and_cumprod_take_axis():
    A = np.arange(20, dtype=np.float32).reshape(5, 4)
    for fn in (lambda L: L.tensor(A).cumsum(axis=0),
               lambda L: L.cumsum(L.tensor(A), axis=1),
               lambda L: L.tensor(A).cumprod(axis=-1),
               lambda L: L.cumprod(L.tensor(A) / 10, axis=0, dtype=L.float64),
               lambda L: L.tensor(A).cumsum(axis=0, dtype=L.float64),
               lambda L: L.arange(6).reshape(2, 3).cumsum(axis=1),
               lambda L: L.tensor(A).cummax(axis=0),
               lambda L: L.cummin(L.tensor(A), axis=1)):
        _same(_values(fn))
    _close(_values(lambda L: L.tensor(A / 7).logcumsumexp(axis=-1)))


def test_cumsum_in_place_takes_axis():
    def run(L):
        x = L.ones(2, 3)
        x.cumsum_(axis=1)
        x.cumprod_(axis=0)
        return x.tolist()
    _same(run)


def test_scans_without_a_dim_or_with_both_names_are_refused_like_pytorch():
    for name in ("cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"):
        _same(lambda L: getattr(L.ones(3), name)())
        _same(lambda L: getattr(L, name)(L.ones(3)))
        _same(lambda L: getattr(L.ones(3), name)(0, axis=0))
    _same(lambda L: L.ones(3).cumsum(dim=None))
    _same(lambda L: L.cumprod(L.ones(3), dim=None))
    _same(lambda L: L.ones(3).cumsum_())


def test_cumsum_repr_as_the_linear_algebra_chapter_prints_it():
    _same(lambda L: repr(L.arange(20, dtype=L.float32).reshape(5, 4).cumsum(axis=0)))


def test_softmax_and_log_softmax_take_axis():
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    for fn in (lambda L: L.tensor(x).softmax(axis=1),
               lambda L: L.softmax(L.tensor(x), axis=0),
               lambda L: L.tensor(x).log_softmax(axis=-1),
               lambda L: L.log_softmax(L.tensor(x), axis=1, dtype=L.float64)):
        _close(_values(fn))
    _same(lambda L: L.ones(3).softmax())
    _same(lambda L: L.log_softmax(L.ones(3)))


# ---- transpose given three dims (a permute meant): a TypeError, not a crash inside ---------

def test_transpose_with_an_extra_dim_is_a_type_error():
    _same(lambda L: L.transpose(L.ones(2, 3), 0, 1, 1))
    want, got = run_both(lambda L: L.ones(2, 3, 4).transpose(0, 1, 2))
    assert got[0] == want[0] == "TypeError"
    assert "positional arguments but" in got[1]



# ---- sequence_mask written as an explicit call: X.__setitem__(~mask, value) ----------------

def test_setitem_called_directly_returns_none():
    def run(L):
        X = L.ones(2, 4)
        mask = L.arange(4)[None, :] < L.tensor([2, 3])[:, None]
        return (X.__setitem__(~mask, -1e6), X.__setitem__(False, 1.0),
                L.zeros(0).__setitem__(L.tensor([5]), 1.0), X.tolist())
    _same(run)

    def recorded(L):
        w = L.zeros(3, requires_grad=True) * 1
        return w.__setitem__(slice(0, 2), 1.0), w.grad_fn.name()
    _same(recorded)
