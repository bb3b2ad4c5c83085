"""conv_transpose1d/2d/3d: the adjoint of a convolution, by the same kernels."""

from __future__ import annotations

from ...autograd.function import Primitive
from ...tensor import Tensor
from ._conv import _conv_of, _weight_grad_of, bias_grad, input_grad_arrays
from ._conv_args import _LOWER, _ntuple, _type_name, check_ranks, type_name


class ConvTranspose(Primitive):
    """y = A_W^T(x) + b: the gradient map of the convolution with weight W (Cin, Cout/g, k)
    from y's shape to x's, applied to x (col2im of X W). Bilinear in (x, W):
        dL/dx = conv(g, W),   dL/dW = ConvWeightGrad(x, g) = X^T im2col(g),   dL/db = sum g.
    """

    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, yshape, geom):
        y = input_grad_arrays(x, w, yshape, geom, bias=b)
        ctx.save_for_backward(x, w)
        ctx.geom = geom
        return y

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        return (_conv_of(g, w, ctx.geom) if need_x else None,
                _weight_grad_of(x, g, tuple(w.shape), ctx.geom) if need_w else None,
                bias_grad(g) if need_b else None,
                None, None)


def _check(x: Tensor, w: Tensor, b, groups: int, n: int) -> None:
    if x.dim() not in (n + 1, n + 2):
        raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to "
                           f"conv_transpose{n}d, but got input of size: {list(x.shape)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    ws = list(w.shape)
    shape = list(x.shape) if x.dim() == n + 2 else [1] + list(x.shape)
    if shape[1] != ws[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {ws}, expected input{shape} to "
                           f"have {ws[0]} channels, but got {shape[1]} channels instead")
    if ws[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by "
                           f"{groups} at dimension 0, but got weight of size [{ws}] instead")
    xt, wt = x._data.dtype, w._data.dtype
    if xt != wt:
        raise RuntimeError(f"expected scalar type {type_name(xt)} but found {type_name(wt)}")
    if b is not None and b._data.dtype != xt:
        raise RuntimeError(f"Input type ({_LOWER.get(xt.name, xt.name)}) and bias type "
                           f"({_LOWER.get(b._data.dtype.name, b._data.dtype.name)}) should be "
                           "the same")
    out_c = ws[1] * groups
    if b is not None and (b.dim() != 1 or b.shape[0] != out_c):
        raise RuntimeError(f"Given transposed=1, weight of size {ws}, expected bias to be "
                           f"1-dimensional with {out_c} elements, but got bias of size "
                           f"{list(b.shape)} instead")


def _output_hw(x: Tensor, k, s, p, op, d, n: int) -> tuple:
    size = tuple(x.shape[-n:])
    out = tuple((size[i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1
                for i in range(n))
    if any(o <= 0 for o in out):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, size))}). "
                           f"Calculated output size per channel: "
                           f"({' x '.join(map(str, out))}). Output size is too small")
    return out


def _conv_transpose(x, w, b, stride, padding, output_padding, groups, dilation, n: int):
    if not isinstance(x, Tensor):
        raise TypeError(f"conv_transpose{n}d(): argument 'input' (position 1) must be Tensor, "
                        f"not {_type_name(x)}")
    check_ranks(x, w, n, f"conv_transpose{n}d", stride)
    if isinstance(padding, str):
        raise TypeError(f"conv_transpose{n}d(): argument 'padding' must be tuple of ints, not "
                        "str")
    s, p = _ntuple(stride, n, "stride"), _ntuple(padding, n, "padding")
    op, d = _ntuple(output_padding, n, "output_padding"), _ntuple(dilation, n, "dilation")
    if any(v <= 0 for v in s):
        raise RuntimeError("non-positive stride is not supported")
    if any(v < 0 for v in p):
        raise RuntimeError("negative padding is not supported")
    if any(o >= s[i] and o >= d[i] for i, o in enumerate(op)):
        names = ("depth", "height", "width")[3 - n:]
        parts = [f"output_padding_{a}: {v}" for a, v in zip(names, op)]
        parts += [f"stride_{a}: {v}" for a, v in zip(names, s)]
        parts += [f"dilation_{a}: {v}" for a, v in zip(names, d)]
        raise RuntimeError("output padding must be smaller than either stride or dilation, "
                           f"but got {' '.join(parts)}")
    _check(x, w, b, groups, n)
    k = tuple(w.shape[2:])
    out = _output_hw(x, k, s, p, op, d, n)
    pads = tuple((v, v) for v in p)
    if n == 1:
        pads, s, d = ((0, 0),) + pads, (1,) + s, (1,) + d
    geom = (s, pads, d, groups)
    batched = x if x.dim() == n + 2 else x.unsqueeze(0)
    yshape = (batched.shape[0], w.shape[1] * groups) + out
    y = ConvTranspose.apply(batched, w, b, yshape, geom)
    return y if x.dim() == n + 2 else y.squeeze(0)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """The transposed 2-D convolution ("deconvolution"): weight (Cin, Cout/groups, kh, kw);
    output size (in - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 2)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """The transposed 1-D convolution: weight (Cin, Cout/groups, k)."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 1)


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """The transposed 3-D convolution: weight (Cin, Cout/groups, kd, kh, kw)."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 3)
