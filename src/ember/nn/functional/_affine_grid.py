"""affine_grid: the sampling grid of a batch of affine maps (the spatial transformer's
first half; grid_sample in _grid.py samples an input at it)."""

from __future__ import annotations

import math
import warnings

import numpy as np

from ...autograd.function import Primitive
from ...ops.ternary import _fma
from ...tensor import Tensor

_DEFAULT_CHANGED = ("Default grid_sample and affine_grid behavior has changed to "
                    "align_corners=False since 1.3.0. Please specify align_corners=True if the "
                    "old behavior is desired. See the documentation of grid_sample for details.")


def _base_grid(size: tuple, align: bool, dtype) -> np.ndarray:
    """(prod(size), nd + 1): each output position's normalised (x, y[, z], 1), x fastest."""
    from ...creation import _linspace_values

    axes = []
    for n in size:  # PyTorch's rounding: linspace(-1, 1) in the dtype, then * (n - 1) / n
        r = _linspace_values(-1, 1, n, np.dtype(dtype)) if n > 1 else np.zeros(1, dtype)
        if not align and n > 1:
            r = r * r.dtype.type(n - 1) / r.dtype.type(n)
        axes.append(r)
    mesh = np.meshgrid(*axes, indexing="ij")  # D, H, W order
    cols = [m.ravel() for m in reversed(mesh)] + [np.ones(math.prod(size))]
    return np.stack(cols, axis=1).astype(dtype)


class AffineGridGenerator(Primitive):
    """grid[n, p] = theta[n] @ base[p] (base: (x, y[, z], 1) of output position p);
    linear in theta: dL/dtheta[n] = sum_p g[n, p] base[p]^T."""

    @staticmethod
    def forward(ctx, theta, base, out_shape):
        ctx.base = base
        # PyTorch's bmm sums the nd + 1 products in order. Its own loop (small grids) and
        # MKL on AMD CPUs round each product and sum; MKL on Intel CPUs fuses each step
        # (x * t + acc, one rounding). The last bit matters: it moves bilinear taps.
        terms = [(base[None, :, k, None], theta[:, None, :, k]) for k in range(base.shape[1])]
        y = terms[0][0] * terms[0][1]  # (N, P, nd)
        if _fused(base.size * theta.shape[1]):
            for b, t in terms[1:]:
                y = _fma(b, t, y, y.dtype)
        else:
            for b, t in terms[1:]:
                y = y + b * t
        return y.reshape(out_shape)

    @staticmethod
    def backward(ctx, g):
        n, nd = g.shape[0], g.shape[-1]
        flat = np.reshape(g, (n, math.prod(g.shape[1:-1]), nd))
        gt = np.swapaxes(flat, 1, 2)
        if ctx.base.size * nd < 400:  # PyTorch's bmm sums these in order (its own loop)
            base = np.broadcast_to(ctx.base, (n,) + ctx.base.shape)
            if type(g) is not np.ndarray:  # create_graph: g is a Tensor (ember's bmm: same)
                return gt.bmm(Tensor._make(base, False, None)), None, None
            from ...ops.linalg import _small_bmm

            return _small_bmm(gt, base), None, None
        return np.matmul(gt, ctx.base), None, None


def _fused(macs: int) -> bool:
    """Whether PyTorch's bmm of ``macs`` multiply-adds per matrix fuses them on this CPU: its
    own loop below 400 does not; above, MKL does on Intel CPUs with FMA (not on AMD's)."""
    global _MKL_FUSES
    if macs < 400:
        return False
    if _MKL_FUSES is None:
        try:
            from numpy._core._multiarray_umath import __cpu_features__ as cpu

            with open("/proc/cpuinfo") as f:
                intel = "GenuineIntel" in f.read(4096)
            _MKL_FUSES = intel and bool(cpu.get("FMA3"))
        except (OSError, ImportError):  # not Linux (no MKL dispatch known), or no NumPy 2
            _MKL_FUSES = False
    return _MKL_FUSES


_MKL_FUSES = None


def affine_grid(theta: Tensor, size, align_corners: bool | None = None) -> Tensor:
    """The sampling grid (N, H, W, 2) (or (N, D, H, W, 3)) of the affine maps ``theta``
    (N, 2, 3) (or (N, 3, 4)) for an output of ``size`` (N, C, H, W) (or (N, C, D, H, W))."""
    if align_corners is None:
        warnings.warn(_DEFAULT_CHANGED, UserWarning, stacklevel=2)
        align_corners = False
    dtype = theta._data.dtype
    if dtype.kind != "f":
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    if len(size) not in (4, 5):
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    nd = len(size) - 2
    if theta.dim() != 3 or tuple(theta.shape[1:]) != (nd, nd + 1):
        raise ValueError(f"Expected a batch of {nd}D affine matrices of shape "
                         f"Nx{nd}x{nd + 1} for size {size}. Got {_torch_size(theta.shape)}.")
    if align_corners and min(size[2:]) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size "
                      "grids when align_corners=True. This is not an intended use case of "
                      "affine_grid. See the documentation of affine_grid for details.",
                      UserWarning, stacklevel=2)
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise RuntimeError("Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{size[0]}, {nd + 1}] but got: [{theta.shape[0]}, {nd + 1}].")
    base = _base_grid(size[2:], bool(align_corners), dtype)
    return AffineGridGenerator.apply(theta, base, (size[0],) + size[2:] + (nd,))


def _torch_size(shape) -> str:
    return f"torch.Size([{', '.join(str(s) for s in shape)}])"
