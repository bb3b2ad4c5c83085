"""Session 23 (segment-anything / sam2 sweep): each difference found, checked live against
PyTorch 2.13 — isclose / allclose refuse a negative rtol / atol; scaled_dot_product_attention's
CPU flash check reads a 1-D or 0-D mask's size(-2) (an IndexError) for 4-D inputs; torch.polar
and torch.complex (sam2's compute_axial_cis) give PyTorch's argument errors, then ember's
no-complex TypeError instead of an AttributeError; F.interpolate with a Tensor size or
scale_factor raises the upsample op's parser TypeError (or adaptive pooling's, for area) where
PyTorch does, after its mode checks."""

import pytest
import torch

import ember
from torch_compare import same, same_error_case


@pytest.mark.parametrize("fn", ["isclose", "allclose"])
@pytest.mark.parametrize("kw", [dict(atol=-1.0), dict(rtol=-0.5), dict(rtol=-1e-20, atol=-3),
                                dict(atol=-1234567.0), dict(atol=0.0, rtol=0.0)])
def test_close_negative_tolerance(fn, kw):
    def f(L):
        r = getattr(L, fn)(L.tensor([1.0, 2.0]), L.tensor([1.0, 2.5]), **kw)
        return r if isinstance(r, bool) else r.tolist()
    same(f)


@pytest.mark.parametrize("case", [
    lambda L: L.isclose(L.tensor([1.0]), L.tensor([1]), atol=-1),  # dtype is checked first
    lambda L: L.isclose(L.ones(2), L.ones(3), atol=-1),  # the tolerance before broadcasting
    lambda L: L.ones(2).isclose(L.ones(2), rtol=-2.0),
    lambda L: L.allclose(L.ones(2), 3, atol=-1),
])
def test_close_check_order(case):
    same_error_case(case)


def test_close_negative_tolerance_method():
    same(lambda L: L.tensor([1, 2]).isclose(L.tensor([1, 3]), atol=-1).tolist())


_SDPA = [dict(), dict(q=(2, 2, 3, 4), k=(1, 2, 5, 4)), dict(q=(1, 4, 3, 4), k=(1, 2, 5, 4), gqa=True),
         dict(q=(1, 4, 3, 4), k=(1, 2, 5, 4), v=(1, 1, 5, 4), gqa=True), dict(q=(1, 2, 0, 4)),
         dict(q=(0, 2, 3, 4), k=(0, 2, 5, 4)), dict(k=(1, 2, 0, 4), m=(0,)), dict(mg=True),
         dict(m=()), dict(drop=0.5), dict(q=(2, 3, 4), k=(2, 5, 4)), dict(k=(1, 1, 5, 4)),
         dict(v=(1, 2, 5, 6)), dict(causal=True), dict(bool=True), dict(m=(1, 5)),
         dict(m=(3, 5)), dict(q=(3, 4), k=(5, 4))]


@pytest.mark.parametrize("c", _SDPA, ids=str)
def test_sdpa_low_rank_mask(c):
    def f(L):
        q = L.ones(c.get("q", (1, 2, 3, 4)))
        k = L.ones(c.get("k", (1, 2, 5, 4)))
        v = L.ones(c.get("v", tuple(k.shape)))
        m = L.zeros(c.get("m", (5,)), requires_grad=c.get("mg", False))
        if c.get("bool"):
            m = m == 0
        if c.get("drop"):
            L.manual_seed(0)
        r = L.nn.functional.scaled_dot_product_attention(
            q, k, v, attn_mask=m, dropout_p=c.get("drop", 0.0), is_causal=c.get("causal", False),
            enable_gqa=c.get("gqa", False))
        return tuple(r.shape), r.sum().item() if r.numel() else 0
    same(f)


@pytest.mark.parametrize("fn", ["polar", "complex"])
@pytest.mark.parametrize("args", [
    lambda L: (L.ones(2, dtype=L.long), L.ones(2, dtype=L.long)),
    lambda L: (L.ones(2), L.ones(2).double()),
    lambda L: (L.ones(2).double(), L.ones(2).half()),
    lambda L: (L.ones(2), L.ones(3)),
    lambda L: (L.ones(2), 1.0),
    lambda L: (3, L.ones(2)),
    lambda L: (L.ones(2, dtype=L.long), L.ones(2)),
    lambda L: (L.ones(2, dtype=L.bool), L.ones(2, dtype=L.uint8)),
])
def test_polar_complex_argument_errors(fn, args):
    same_error_case(lambda L: getattr(L, fn)(*args(L)))


def test_polar_half_not_implemented():
    same_error_case(lambda L: L.polar(L.ones(2).half(), L.ones(2).half()))


@pytest.mark.parametrize("fn", ["polar", "complex"])
def test_polar_complex_no_complex_storage(fn):
    """Valid inputs: PyTorch makes a complex64 tensor; ember says it has none (a TypeError
    naming the dtype), as view_as_complex does, rather than lacking the function."""
    assert getattr(torch, fn)(torch.ones(2), torch.zeros(2)).dtype == torch.complex64
    with pytest.raises(TypeError, match=r"ember has no complex tensors \(torch.complex64\)"):
        getattr(ember, fn)(ember.ones(2), ember.zeros(2))


_MODES = {1: ["nearest", "area", "nearest-exact", "linear", "bicubic"],
          2: ["nearest", "area", "nearest-exact", "bilinear", "bicubic"],
          3: ["nearest", "area", "nearest-exact", "trilinear"]}
_TENSOR_ARGS = [
    lambda L: dict(size=L.tensor([5, 6])), lambda L: dict(scale_factor=L.tensor(2.0)),
    lambda L: dict(scale_factor=L.tensor([2.0, 2.0])), lambda L: dict(size=L.tensor([[5]])),
    lambda L: dict(size=L.tensor([5.0])), lambda L: dict(size=L.tensor(5)),
    lambda L: dict(size=L.tensor([5, 6]), scale_factor=2.0),
    lambda L: dict(size=L.tensor([5, 6]), recompute_scale_factor=True),
    lambda L: dict(scale_factor=L.tensor(2.0), recompute_scale_factor=True),
    lambda L: dict(size=L.tensor([5, 6]), align_corners=True),
]


@pytest.mark.parametrize("nd, mode", [(nd, m) for nd, ms in _MODES.items() for m in ms])
@pytest.mark.parametrize("kw", _TENSOR_ARGS)
def test_interpolate_tensor_size_or_scale(nd, mode, kw):
    """A Tensor size (SamOnnxModel's orig_im_size passed whole) or scale_factor: F.interpolate
    repeats it per axis, and the upsample op's parser takes it only as one integer."""
    def f(L):
        r = L.nn.functional.interpolate(L.ones((1, 2) + (3,) * nd), mode=mode, **kw(L))
        return tuple(r.shape), round(r.sum().item(), 3)
    same(f)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "nearest"])
@pytest.mark.parametrize("kw", _TENSOR_ARGS[:3] + _TENSOR_ARGS[5:6])
def test_interpolate_antialias_tensor_size(mode, kw):
    def f(L):
        r = L.nn.functional.interpolate(L.ones(1, 2, 3, 3), mode=mode, antialias=True, **kw(L))
        return tuple(r.shape), round(r.sum().item(), 3)
    same(f)
