"""stride(), is_contiguous(), storage_offset(), data_ptr(), nbytes, itemsize and torch.select /
Tensor.select against PyTorch 2.13 on the layouts users make; ember's namespace carries no
internal helpers under PyTorch's names."""

import numpy as np
import pytest
import torch

import ember
from torch_compare import error_of

LAYOUTS = [
    ("plain", lambda T: T.arange(24.0).reshape(2, 3, 4)),
    ("t", lambda T: T.arange(12.0).reshape(3, 4).t()),
    ("permute", lambda T: T.arange(24.0).reshape(2, 3, 4).permute(2, 0, 1)),
    ("slice_step", lambda T: T.arange(24.0).reshape(4, 6)[1::2, ::3]),
    ("row", lambda T: T.arange(24.0).reshape(4, 6)[2]),
    ("column", lambda T: T.arange(24.0).reshape(4, 6)[:, 1]),
    ("narrow", lambda T: T.arange(24.0).reshape(4, 6).narrow(1, 2, 3)),
    ("expand", lambda T: T.arange(3.0).reshape(3, 1).expand(3, 4)),
    ("unsqueeze", lambda T: T.arange(6.0).reshape(2, 3).unsqueeze(1)),
    ("size_one", lambda T: T.zeros(2, 1, 3)),
    ("empty", lambda T: T.zeros(2, 0, 3)),
    ("scalar", lambda T: T.tensor(1.5)),
    ("int64", lambda T: T.arange(10)[3:]),
    ("contiguous_of_t", lambda T: T.arange(12.0).reshape(3, 4).t().contiguous()),
    ("select", lambda T: T.arange(24.0).reshape(2, 3, 4).select(1, 2)),
]


@pytest.mark.parametrize("name,make", LAYOUTS, ids=[n for n, _ in LAYOUTS])
def test_layout_reports_match_torch(name, make):
    t, e = make(torch), make(ember)
    assert e.stride() == t.stride()
    for d in range(-t.dim(), t.dim()):
        assert e.stride(d) == t.stride(d)
    assert e.is_contiguous() == t.is_contiguous()
    assert e.storage_offset() == t.storage_offset()
    assert (e.nbytes, e.itemsize) == (t.nbytes, t.itemsize)


def test_data_ptr_tracks_shared_memory():
    x = ember.arange(12.0).reshape(3, 4)
    assert x[1].data_ptr() == x.data_ptr() + 4 * x.element_size()
    assert x.clone().data_ptr() != x.data_ptr()
    a = np.zeros(5, np.float32)
    assert ember.from_numpy(a).data_ptr() == a.ctypes.data


def test_stride_dim_out_of_range():
    for T in (torch, ember):
        with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in "
                           r"range of \[-2, 1\], but got 2\)"):
            T.zeros(2, 3).stride(2)


@pytest.mark.parametrize("dim,index", [(0, 1), (1, -1), (-1, 3), (2, 0), (0, -2)])
def test_select_values_views_and_grads(dim, index):
    base = np.arange(24.0).reshape(2, 3, 4)
    out = []
    for T in (torch, ember):
        x = T.tensor(base, requires_grad=True)
        y = x * 1
        s = T.select(y, dim, index)
        assert y.select(dim, index).shape == s.shape
        assert s.grad_fn.name() == "SelectBackward0"
        (s * T.arange(float(s.numel())).reshape(s.shape)).sum().backward()
        out.append((s.detach().numpy(), x.grad.numpy()))
    for got, want in zip(out[1], out[0]):
        np.testing.assert_array_equal(got, want)
    v = ember.arange(24.0).reshape(2, 3, 4)
    v.select(dim, index).fill_(-1)  # a view: the write reaches the base
    w = torch.arange(24.0).reshape(2, 3, 4)
    w.select(dim, index).fill_(-1)
    np.testing.assert_array_equal(v.numpy(), w.numpy())


@pytest.mark.parametrize("call", [lambda T: T.arange(12.0).reshape(3, 4).select(1, 4),
                                  lambda T: T.arange(12.0).reshape(3, 4).select(0, -4),
                                  lambda T: T.arange(12.0).reshape(3, 4).select(2, 0),
                                  lambda T: T.tensor(3.0).select(0, 0)])
def test_select_errors(call):
    assert error_of(lambda: call(ember)) == error_of(lambda: call(torch))


def test_no_internal_helpers_under_torch_names():
    for name in ("check_broadcast", "dims", "promote", "relu_array", "wrap_dim"):
        assert not hasattr(ember, name), name
    assert ember.select is ember.ops.select and not hasattr(torch, "relu_array")


LIKE_LAYOUTS = [
    ("t", lambda T: T.arange(12.0).reshape(3, 4).t()),
    ("permute", lambda T: T.arange(24.0).reshape(2, 3, 4).permute(2, 0, 1)),
    ("expand", lambda T: T.arange(3.0).reshape(3, 1).expand(3, 4)),
    ("plain", lambda T: T.arange(12.0).reshape(3, 4)),
    ("step", lambda T: T.arange(24.0).reshape(4, 6)[::2]),
]
LIKE_OPS = [
    ("relu", lambda T, x: T.relu(x)),
    ("zeros_like", lambda T, x: T.zeros_like(x)),
    ("ones_like", lambda T, x: T.ones_like(x)),
    ("full_like", lambda T, x: T.full_like(x, 2.5)),
    ("full_like_int", lambda T, x: T.full_like(x, 7, dtype=T.int64)),
]


@pytest.mark.parametrize("op_name,op", LIKE_OPS, ids=[n for n, _ in LIKE_OPS])
@pytest.mark.parametrize("name,make", LIKE_LAYOUTS, ids=[n for n, _ in LIKE_LAYOUTS])
def test_layout_preserving_ops_match_torch(name, make, op_name, op):
    """relu and the *_like constructors keep a dense input's layout (preserve_format), so
    a later transpose-and-view works where it works in PyTorch."""
    t, e = op(torch, make(torch)), op(ember, make(ember))
    assert e.stride() == t.stride()
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    if t.dim() == 2:  # transposing back and viewing flat works in ember where in torch
        ok = []
        for r in (t, e):
            try:
                ok.append(r.t().view(-1).numpy().tolist())
            except RuntimeError as err:
                ok.append(str(err).splitlines()[0])
        assert ok[1] == ok[0]
