"""clip_grad_norm_'s 2-norm fast path (one BLAS dot per gradient) against PyTorch 2.13:
mixed dtypes, non-contiguous and 0-d gradients, no-op clipping, version counters."""

import numpy as np
import pytest
import torch

import ember

SHAPES = [(64, 4), (64,), (64, 64), (2, 64), (2,), ()]


def _params(T, dtypes, scale, transpose=False):
    rng = np.random.default_rng(7)
    ps = []
    for shape, dt in zip(SHAPES, dtypes):
        g = rng.standard_normal(shape).astype(dt) * scale
        p = T.nn.Parameter(T.zeros(shape, dtype=getattr(T, dt)))
        p.grad = T.tensor(g)
        if transpose and len(shape) == 2:  # a non-contiguous gradient
            p = T.nn.Parameter(T.zeros(shape[::-1], dtype=getattr(T, dt)))
            p.grad = T.tensor(g.copy()).t()
        ps.append(p)
    return ps


def _np(t):
    return t.detach().numpy()


@pytest.mark.parametrize("dtypes", [["float32"] * 6, ["float64"] * 6,
                                    ["float32", "float64"] * 3,
                                    ["float32", "float16", "float32", "float32", "float64",
                                     "float32"]])
@pytest.mark.parametrize("scale", [1e-4, 1.0, 1e3])
@pytest.mark.parametrize("transpose", [False, True])
def test_matches_torch(dtypes, scale, transpose):
    pe, pt = _params(ember, dtypes, scale, transpose), _params(torch, dtypes, scale, transpose)
    ne = ember.nn.utils.clip_grad_norm_(pe, 0.5)
    nt = torch.nn.utils.clip_grad_norm_(pt, 0.5)
    assert str(ne.dtype).split(".")[-1] == str(nt.dtype).split(".")[-1]
    tol = 1e-3 if "float16" in dtypes else 1e-6
    np.testing.assert_allclose(_np(ne), _np(nt), rtol=tol)
    for a, b in zip(pe, pt):
        assert a.grad.dtype == getattr(ember, str(b.grad.dtype).split(".")[-1])
        np.testing.assert_allclose(_np(a.grad), _np(b.grad), rtol=tol, atol=1e-12)


def test_no_op_clip_keeps_values_and_bumps_versions():
    pe, pt = _params(ember, ["float32"] * 6, 1e-3), _params(torch, ["float32"] * 6, 1e-3)
    before = [_np(p.grad).copy() for p in pe]
    ve, vt = [p.grad._version for p in pe], [p.grad._version for p in pt]
    ember.nn.utils.clip_grad_norm_(pe, 1e6)
    torch.nn.utils.clip_grad_norm_(pt, 1e6)
    for p, b in zip(pe, before):
        np.testing.assert_array_equal(_np(p.grad), b)
    assert [p.grad._version - v for p, v in zip(pe, ve)] == \
        [p.grad._version - v for p, v in zip(pt, vt)]


def test_get_total_norm_and_nonfinite_grads():
    for bad in (float("inf"), float("nan")):
        pe, pt = _params(ember, ["float32"] * 6, 1.0), _params(torch, ["float32"] * 6, 1.0)
        pe[2].grad[0, 0] = bad
        pt[2].grad[0, 0] = bad
        ne = ember.nn.utils.get_total_norm([p.grad for p in pe])
        nt = torch.nn.utils.get_total_norm([p.grad for p in pt])
        np.testing.assert_array_equal(_np(ne), _np(nt))
        ember.nn.utils.clip_grad_norm_(pe, 0.5)
        torch.nn.utils.clip_grad_norm_(pt, 0.5)
        for a, b in zip(pe, pt):
            np.testing.assert_array_equal(np.isnan(_np(a.grad)), np.isnan(_np(b.grad)))


@pytest.mark.parametrize("max_norm", [0.5, 10.0, 1.0 / 3.0, 0.0, -1.0, float("inf")])
def test_float32_path_is_the_general_path_bit_for_bit(max_norm):
    """clip_grad_norm_'s float32 shortcut (coefficient on Python floats) against
    get_total_norm + clip_grads_with_norm_ (on 0-d float32 arrays), norms near max_norm
    included, where rounding decides whether the coefficient reaches 1."""
    rng = np.random.default_rng(3)
    utils = ember.nn.utils
    for k in range(300):
        grads = [rng.standard_normal(s).astype(np.float32) for s in SHAPES[:5]]
        total = np.sqrt(sum(float(np.vdot(g, g)) for g in grads))
        factor = max_norm / total if 0 < max_norm < float("inf") else 1.0
        factor *= [1.0, 1 + 1e-7, 1 - 1e-7, 1.5, 1e-3, 1e3][k % 6]
        if k == 1:
            grads[0][0, 0] = np.nan
        if k == 2:
            grads[1][0] = np.inf
        fast = [ember.nn.Parameter(ember.zeros(g.shape)) for g in grads]
        slow = [ember.nn.Parameter(ember.zeros(g.shape)) for g in grads]
        for p, q, g in zip(fast, slow, grads):
            p.grad = ember.tensor(g * np.float32(factor))
            q.grad = ember.tensor(g * np.float32(factor))
        n_fast = utils.clip_grad_norm_(fast, max_norm)
        n_slow = utils.get_total_norm([q.grad for q in slow])
        utils.clip_grads_with_norm_(slow, max_norm, n_slow)
        np.testing.assert_array_equal(n_fast.numpy(), n_slow.numpy())
        assert n_fast.dtype == ember.float32
        for p, q in zip(fast, slow):
            np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())
            assert p.grad._version == q.grad._version
