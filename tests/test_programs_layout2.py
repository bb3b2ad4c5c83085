"""Memory layout parity with PyTorch, continued (test_programs_layout.py has the first part):
elementwise ops of two or three operands, unary ops on expanded inputs, unsqueeze, running
extremes, triangles, stack of channels-last tensors, mixed int/array indexing, activations,
convolutions and pools. Each result's shape, strides and contiguity are compared with live
PyTorch's, and its values."""

import pytest
import torch

import ember
from test_programs_layout import _layout, _layouts as _base_layouts, check_layouts


def _layouts(T):
    """test_programs_layout's layouts (of nonzero values), plus expanded 3-D ones."""
    g = T.arange(1.0, 121.0) / 8
    return dict(_base_layouts(T, g), expand3=g[:12].reshape(1, 3, 4).expand(2, 3, 4),
                expandT=g[:4].reshape(4, 1).expand(4, 3).t())


def _other(T, x):
    """A row-major operand of x's shape with other values."""
    return T.arange(x.numel(), dtype=x.dtype).reshape(x.shape) * 0.5 + 0.25


def _F(T):
    return T.nn.functional


OPS = {
    "maximum": lambda T, x: T.maximum(x, _other(T, x)),
    "maximum_r": lambda T, x: T.maximum(_other(T, x), x),
    "minimum": lambda T, x: T.minimum(x, _other(T, x)),
    "fmax": lambda T, x: T.fmax(x, _other(T, x)),
    "clamp_tensor": lambda T, x: T.clamp(x, min=_other(T, x)),
    "clamp_tensors": lambda T, x: x.clamp(_other(T, x), _other(T, x) + 5),
    "eq": lambda T, x: x == _other(T, x),
    "lt": lambda T, x: x < _other(T, x),
    "ge_reflected": lambda T, x: _other(T, x) >= x,
    "ne": lambda T, x: T.ne(x, _other(T, x)),
    "where": lambda T, x: T.where(x > 3, x, _other(T, x)),
    "where_scalar": lambda T, x: T.where(x > 3, x, 0.0),
    "pow_tensor": lambda T, x: x ** (_other(T, x) / 8),
    "rpow": lambda T, x: 2 ** x,
    "remainder": lambda T, x: x % _other(T, x),
    "fmod": lambda T, x: T.fmod(x, _other(T, x)),
    "floor_divide": lambda T, x: T.floor_divide(x, _other(T, x)),
    "atan2": lambda T, x: T.atan2(x, _other(T, x)),
    "hypot": lambda T, x: T.hypot(x, _other(T, x)),
    "copysign": lambda T, x: T.copysign(x, _other(T, x)),
    "xlogy": lambda T, x: T.xlogy(x, _other(T, x)),
    "logical_and": lambda T, x: T.logical_and(x > 3, _other(T, x) > 3),
    "logical_xor": lambda T, x: T.logical_xor(x > 3, _other(T, x) > 3),
    "bitwise_and": lambda T, x: (x * 8).long() & _other(T, x).long(),
    "bitwise_xor": lambda T, x: (x * 8).long() ^ _other(T, x).long(),
    "lerp": lambda T, x: T.lerp(x, _other(T, x), 0.3),
    "lerp_tensor": lambda T, x: T.lerp(x, _other(T, x), _other(T, x) / 100),
    "addcmul": lambda T, x: T.addcmul(x, _other(T, x), _other(T, x)),
    "addcdiv": lambda T, x: T.addcdiv(_other(T, x), x, _other(T, x)),
    "relu": lambda T, x: T.relu(x),
    "exp": lambda T, x: x.exp(),
    "erf": lambda T, x: T.erf(x / 8),
    "erfc": lambda T, x: T.erfc(x / 8),
    "lgamma": lambda T, x: T.lgamma(x),
    "digamma": lambda T, x: T.digamma(x),
    "nan_to_num": lambda T, x: x.nan_to_num(),
    "isreal": lambda T, x: T.isreal(x),
    "unsqueeze_last": lambda T, x: x.unsqueeze(-1),
    "unsqueeze0": lambda T, x: x.unsqueeze(0),
    "unsqueeze1": lambda T, x: x.unsqueeze(1),
    "cummax": lambda T, x: x.cummax(1).values,
    "cummax_idx": lambda T, x: x.cummax(0).indices,
    "cummin": lambda T, x: x.cummin(-1).values,
    "tril": lambda T, x: x.tril(),
    "triu": lambda T, x: x.triu(1),
    "stack0": lambda T, x: T.stack([x, x], 0),
    "stack1": lambda T, x: T.stack([x, x, x], 1),
    "stack_last": lambda T, x: T.stack([x, x], -1),
    "index_int_array": lambda T, x: x[0, :, [1, 0]] if x.dim() == 3 else x[0, [1, 0]],
    "index_slice_int_array": lambda T, x: x[:, 0, [1, 0, 1]] if x.dim() >= 3 else x[:, [0, 2]],
    "gelu": lambda T, x: _F(T).gelu(x),
    "silu": lambda T, x: _F(T).silu(x),
    "softplus": lambda T, x: _F(T).softplus(x),
    "leaky_relu": lambda T, x: _F(T).leaky_relu(x, 0.1),
    "hardtanh": lambda T, x: _F(T).hardtanh(x),
    "elu": lambda T, x: _F(T).elu(x),
    "logsigmoid": lambda T, x: _F(T).logsigmoid(x),
    "rrelu_eval": lambda T, x: _F(T).rrelu(x - 3),
    "rrelu_train": lambda T, x: (T.manual_seed(0), _F(T).rrelu(x - 3, training=True))[1],
    "dropout": lambda T, x: (T.manual_seed(0), _F(T).dropout(x, 0.5))[1],
    "module_relu": lambda T, x: T.nn.ReLU()(x),
    "module_dropout": lambda T, x: (T.manual_seed(0), T.nn.Dropout(0.3)(x))[1],
}


@pytest.mark.parametrize("op", sorted(OPS))
def test_result_layout_matches_torch(op):
    check_layouts(op, OPS[op], _layouts)


def _images(T):
    T.manual_seed(0)
    x = T.randn(2, 3, 6, 6)
    return {"cl": x.contiguous(memory_format=T.channels_last),
            "perm": T.randn(2, 6, 6, 3).permute(0, 3, 1, 2), "contig": x}


IMAGE_OPS = {
    "conv2d": lambda T, x: _F(T).conv2d(x, T.ones(4, 3, 3, 3) / 9, T.arange(4.0), padding=1),
    "conv2d_stride": lambda T, x: _F(T).conv2d(x, T.ones(4, 3, 3, 3) / 9, stride=2),
    "conv1x1": lambda T, x: _F(T).conv2d(x, T.ones(5, 3, 1, 1)),
    "max_pool2d": lambda T, x: _F(T).max_pool2d(x, 2),
    "max_pool2d_indices": lambda T, x: _F(T).max_pool2d(x, 2, return_indices=True)[1],
    "avg_pool2d": lambda T, x: _F(T).avg_pool2d(x, 2),
    "adaptive_avg_pool2d": lambda T, x: _F(T).adaptive_avg_pool2d(x, 3),
    "adaptive_max_pool2d": lambda T, x: _F(T).adaptive_max_pool2d(x, 3),
    "adaptive_max_indices": lambda T, x: _F(T).adaptive_max_pool2d(x, 3, True)[1],
    "pad": lambda T, x: _F(T).pad(x, (1, 1, 2, 0)),
    "stack": lambda T, x: T.stack([x, x]),
    "stack2": lambda T, x: T.stack([x, x, x], 2),
    "stack3": lambda T, x: T.stack([x, x], 3),
    "relu_after_conv": lambda T, x: T.relu(_F(T).conv2d(x, T.ones(2, 3, 1, 1))),
}


@pytest.mark.parametrize("op", sorted(IMAGE_OPS))
def test_channels_last_image_ops_match_torch(op):
    f = IMAGE_OPS[op]
    lt, le = _images(torch), _images(ember)
    for name in lt:
        want, got = f(torch, lt[name]), f(ember, le[name])
        assert _layout(got) == _layout(want), (op, name)
        assert torch.allclose(torch.tensor(got.tolist()).double(),
                              torch.tensor(want.tolist()).double(), rtol=1e-4, atol=1e-5), \
            (op, name)


def _cnn_dropout(T):
    """A channels-last CNN block then dropout: PyTorch's mask follows the conv output's
    (channels-last) memory order, as does rand_like."""
    T.manual_seed(0)
    conv = T.nn.Conv2d(3, 4, 3, padding=1)
    x = T.randn(2, 3, 5, 5).contiguous(memory_format=T.channels_last)
    y = T.nn.functional.max_pool2d(T.relu(conv(x)), 2)
    keep = T.nn.functional.dropout(y, 0.5) != 0
    return y.stride(), keep.tolist(), T.rand_like(y).tolist()


def test_dropout_after_channels_last_conv_matches_torch():
    want, got = _cnn_dropout(torch), _cnn_dropout(ember)
    assert got[0] == want[0] and got[1] == want[1]
    assert torch.allclose(torch.tensor(got[2]), torch.tensor(want[2]))


def test_mixed_int_array_index_grads_match_torch():
    out = []
    for T in (torch, ember):
        w = T.arange(24.0).reshape(2, 3, 4).requires_grad_()
        y = w.permute(1, 2, 0)[0, :, [1, 0, 1]]
        (y * T.arange(12.0).reshape(4, 3)).sum().backward()
        g1 = w.grad.tolist()
        w.grad = None
        z = w[:, 1, [0, 2]]
        (g,) = T.autograd.grad((z ** 2).sum(), w, create_graph=True)
        g.sum().backward()
        out.append((tuple(y.shape), y.stride(), y.grad_fn.name(), g1, g.tolist(),
                    w.grad.tolist()))
    assert out[0] == out[1]


def test_grads_through_relaid_binary_ops_match_torch():
    out = []
    for T in (torch, ember):
        a = T.arange(1.0, 13.0).reshape(4, 3).requires_grad_()
        b = T.arange(12.0).reshape(3, 4).requires_grad_()
        x = a.t()
        y = T.where(x > 5, T.maximum(x, b), T.atan2(x, b + 1)) ** 2
        z = T.lerp(y, b, 0.25).unsqueeze(-1).tril()
        z.sum().backward()
        out.append((y.stride(), z.stride(), a.grad.tolist(), b.grad.tolist()))
    assert out[0][:2] == out[1][:2]
    for k in (2, 3):
        assert torch.allclose(torch.tensor(out[1][k]), torch.tensor(out[0][k]), rtol=1e-5)
