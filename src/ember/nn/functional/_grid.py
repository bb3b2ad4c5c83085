"""grid_sample (the spatial transformer's sampling), 2-D and 3-D; affine_grid, which makes
the grid, is in _affine_grid.py.

grid_sample is written once for any number of spatial dims: a grid point's source
coordinate along each axis is unnormalised, then clipped or reflected by the padding mode;
linear modes blend the 2**nd neighbouring taps (bilinear / trilinear), nearest takes one;
bicubic (2-D) blends 4 x 4 taps of the unpadded coordinate, each tap's position padded.
4-D inputs take PyTorch's own rounding (its vectorised kernel's fused multiply-adds and
order of additions): coordinates and bilinear in _grid_bilinear.py, bicubic in
_grid_bicubic.py; the generic taps here serve 3-D inputs and double backward.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np

from ...autograd.function import Primitive
from ...ops.arithmetic import type_name
from ...tensor import Tensor
from ._affine_grid import _DEFAULT_CHANGED
from ._grid_bilinear import (forward2d, grid_grad2d, input_grad2d, plan2d, scatter_ordered,
                             source2d)


def _exact2d(mode: str) -> tuple:
    """(plan, forward, grid gradient, input gradient) in PyTorch's arithmetic for a 4-D
    input in bilinear or bicubic mode (nearest needs only _grid_bilinear's coordinates)."""
    if mode == "bilinear":
        return plan2d, forward2d, grid_grad2d, input_grad2d
    from . import _grid_bicubic as k

    return k.plan, k.forward, k.grid_grad, k.input_grad


def _source(c: np.ndarray, n: int, align: bool, padding: str):
    """Grid values along one axis -> (source coordinates, d coordinate / d grid value)."""
    scale = (n - 1) / 2 if align else n / 2
    x = (c + 1) * scale if align else ((c + 1) * n - 1) / 2
    mult = np.full(x.shape, scale, dtype=x.dtype)
    if padding == "reflection":
        lo, hi = (0.0, 2.0 * (n - 1)) if align else (-1.0, 2.0 * n - 1)
        x, flip = _reflect(x, lo, hi)
        mult = mult * flip
    if padding in ("border", "reflection"):
        inside = (x > 0) & (x < n - 1)
        x = np.clip(x, 0, n - 1)
        mult = mult * inside
    return x, mult


def _reflect(x: np.ndarray, twice_lo: float, twice_hi: float):
    """Reflect x into [lo, hi] (halves of the arguments); also the sign of dx'/dx."""
    if twice_lo == twice_hi:
        return np.zeros_like(x), np.zeros_like(x)
    lo, span = twice_lo / 2, (twice_hi - twice_lo) / 2
    x = x - lo
    sign = np.where(x < 0, -1.0, 1.0).astype(x.dtype)
    x = np.abs(x)
    extra, flips = np.fmod(x, span), np.floor(x / span)
    even = flips % 2 == 0
    return np.where(even, extra + lo, span - extra + lo), np.where(even, sign, -sign)


def _taps(coords: list, size: tuple, linear: bool):
    """Per tap: (flat index into the input plane, validity mask, weight factors per axis,
    which corner per axis). coords: source coordinates per spatial axis, each (N, P)."""
    if not linear:
        corners = [[(np.rint(c), None)] for c in coords]
    else:
        corners = []
        for c in coords:
            lo = np.floor(c)
            frac = c - lo
            corners.append([(lo, 1 - frac, -1), (lo + 1, frac, 1)])
    return _combine(corners, size)


def _combine(corners: list, size: tuple, pad=None):
    """Taps from per-axis lists of (position, weight factor, its d/dcoord); pad: a function
    mapping (positions, axis) to padded positions, or None."""
    out = []
    for choice in itertools.product(*(range(len(cs)) for cs in corners)):
        flat, ok, weights, dws = 0, True, [], []
        for axis, k in enumerate(choice):
            pos, w = corners[axis][k][:2]
            dws.append(corners[axis][k][2] if len(corners[axis][k]) > 2 else None)
            pos = pos if pad is None else pad(pos, axis)
            ok = ok & (pos >= 0) & (pos <= size[axis] - 1)
            flat = flat * size[axis] + np.where(ok, pos, 0).astype(np.int64)
            weights.append(w)
        derivs = _Derivs(dws)
        derivs.second = [corners[a][k][3] if len(corners[a][k]) > 3 else 0
                         for a, k in enumerate(choice)]
        out.append((np.where(ok, flat, 0), ok, weights, derivs))
    return out


class _Derivs(tuple):
    """Each weight factor's first derivative; .second: its second derivatives."""


def _plan(size: tuple, grid: np.ndarray, args: tuple):
    """The taps (see _taps) and per-axis d coordinate / d grid value of a grid."""
    mode, padding, align = args
    nd = grid.shape[-1]
    flat = grid.reshape(grid.shape[0], math.prod(grid.shape[1:-1]), nd)
    coords, mults = [], []
    cubic = mode == "bicubic"  # pads each tap, not the coordinate
    # 2-D: PyTorch's vectorised kernel's rounding (_grid_bilinear); 3-D: its scalar kernel's
    source = _source if nd == 3 else source2d
    for axis in range(nd):  # grid's last dim lists x (width) first
        pos, mult = source(flat[..., nd - 1 - axis], size[axis], align,
                           "zeros" if cubic else padding)
        coords.append(pos)
        mults.append(mult)
    if cubic:
        from ._grid_cubic import cubic_taps

        return cubic_taps(coords, size, padding, align), mults
    return _taps(coords, size, mode != "nearest"), mults


def _weight(weights: list):
    return None if weights[0] is None else math.prod(weights)


def _dweight(weights: list, choice: tuple, axes: tuple):
    """d^k w / d coord_a ... for distinct axes (w is a product of one factor per axis;
    choice: each factor's derivative)."""
    rest = [w for i, w in enumerate(weights) if i not in axes]
    grads = math.prod(choice[a] for a in axes)
    return grads * math.prod(rest) if rest else grads


def _d2weight(weights: list, choice: tuple, axis: int):
    """d2 w / d coord_axis^2 (zero for factors linear in the coordinate)."""
    second = choice.second[axis]
    if isinstance(second, int) and second == 0:
        return 0
    return second * math.prod(w for i, w in enumerate(weights) if i != axis)


def _sample(x: np.ndarray, taps: list):
    """y (N, C, P) and each tap's (masked) values."""
    n, c = x.shape[:2]
    plane = x.reshape(n, c, math.prod(x.shape[2:]))
    y, values = 0, []
    for flat, ok, weights, _ in taps:
        v = np.take_along_axis(plane, flat[:, None, :], axis=2) * ok[:, None, :]
        values.append(v)
        w = _weight(weights)
        y = y + (v if w is None else v * w[:, None, :])
    return y, values


def _scatter_taps(g3: np.ndarray, per_tap, taps: list, xshape: tuple) -> np.ndarray:
    """sum over taps of g3 * per_tap(t) (an (N, P) factor) added at the tap's position."""
    n, c = xshape[:2]
    plane = math.prod(xshape[2:])
    base = (np.arange(n * c) * plane).reshape(n, c, 1)
    idx, wts = [], []
    for t, (flat, ok, _, _) in enumerate(taps):
        idx.append((base + flat[:, None, :]).ravel())
        wts.append((g3 * (per_tap(t) * ok)[:, None, :]).ravel())
    out = np.bincount(np.concatenate(idx), np.concatenate(wts), minlength=n * c * plane)
    return out.astype(g3.dtype, copy=False).reshape(xshape)


def _input_grad(g3, taps, xshape):
    if len(xshape) == 4 and taps[0][2][0] is None:  # 2-D nearest: PyTorch's order of sums
        return scatter_ordered(g3, [(taps[0][0], taps[0][1], None)], xshape)
    return _scatter_taps(g3, lambda t: 1 if taps[t][2][0] is None else _weight(taps[t][2]),
                         taps, xshape)


def _grid_grad(g3: np.ndarray, values: list, taps: list, mults: list) -> np.ndarray:
    """(N, P, nd): sum_c g * sum_t v_t dw_t/dcoord_a, times dcoord_a/dgrid (0 for nearest)."""
    nd = len(mults)
    out = np.zeros((g3.shape[0], g3.shape[2], nd), dtype=g3.dtype)
    if taps[0][2][0] is None:
        return out
    gv = [(g3 * v).sum(axis=1) for v in values]
    for a in range(nd):
        total = sum(s * _dweight(w, ch, (a,)) for (_, _, w, ch), s in zip(taps, gv))
        out[..., nd - 1 - a] = total * mults[a]
    return out


def _g3(g, n: int, c: int):
    return g.reshape(n, c, math.prod(g.shape[2:]))


def _tensor(a):
    return a if isinstance(a, Tensor) else Tensor._make(np.asarray(a), False, None)


class GridSampler(Primitive):
    """y[n, c, p] = sum over taps t of w_t(p) x[n, c, q_t(p)] (one tap for nearest);
    dL/dx: g * w_t scattered to q_t;  dL/dgrid along axis a: sum_c g * sum_t x_t dw_t/dcoord_a
    times dcoord_a/dgrid (the unnormalising scale, zero where clipped, signed by reflection).
    With create_graph the two are GridInputGrad and GridGridGrad nodes.
    """

    node_name = "GridSampler2DBackward0"

    @staticmethod
    def forward(ctx, x, grid, mode, padding, align):
        args = (mode, padding, align)
        ctx.save_for_backward(x, grid)
        ctx.args = args
        if x.ndim == 4 and mode != "nearest":  # PyTorch's arithmetic, bit for bit
            fns = _exact2d(mode)
            plan = fns[0](x.shape[2:], grid, padding, align)
            ctx.state = ("2d", fns, plan)
            return fns[1](x, plan).reshape(x.shape[:2] + grid.shape[1:-1])
        taps, mults = _plan(x.shape[2:], grid, args)
        y, values = _sample(x, taps)
        ctx.state = (taps, values, mults)
        return y.reshape(x.shape[:2] + grid.shape[1:-1])

    @staticmethod
    def backward(ctx, g):
        x, grid = ctx.saved_tensors
        need_x, need_grid = ctx.needs_input_grad[:2]
        if isinstance(g, Tensor):
            prims = _PRIMS[grid.shape[-1]]
            gx = prims[1].apply(g, grid, tuple(x.shape), ctx.args) if need_x else None
            gg = prims[2].apply(g, x, grid, ctx.args) if need_grid else None
            return gx, gg, None, None, None
        g3 = _g3(g, *x.shape[:2])
        if ctx.state[0] == "2d":  # 2-D bilinear / bicubic
            _, fns, plan = ctx.state
            gx = fns[3](g3, x.shape, plan) if need_x else None
            gg = fns[2](g3, x, plan).reshape(grid.shape) if need_grid else None
            return gx, gg, None, None, None
        taps, values, mults = ctx.state
        gx = _input_grad(g3, taps, x.shape) if need_x else None
        gg = _grid_grad(g3, values, taps, mults).reshape(grid.shape) if need_grid else None
        return gx, gg, None, None, None


class GridInputGrad(Primitive):
    """gx = scatter of g * w_t to q_t (linear in g; w_t depends on the grid);
    d/dg (upstream u) = grid_sample(u);  d/dgrid = GridGridGrad(g, u)."""

    node_name = "GridSampler2DBackwardBackward0"

    @staticmethod
    def forward(ctx, g, grid, xshape, args):
        ctx.save_for_backward(g, grid)
        ctx.xshape, ctx.args = xshape, args
        if len(xshape) == 4 and args[0] != "nearest":  # as GridSampler's backward
            fns = _exact2d(args[0])
            return fns[3](_g3(g, *xshape[:2]), xshape, fns[0](xshape[2:], grid, *args[1:]))
        taps, _ = _plan(xshape[2:], grid, args)
        return _input_grad(_g3(g, *xshape[:2]), taps, xshape)

    @staticmethod
    def backward(ctx, u):
        g, grid = ctx.saved_tensors
        need_g, need_grid = ctx.needs_input_grad[:2]
        if any(isinstance(a, Tensor) for a in (g, grid, u)):
            prims = _PRIMS[grid.shape[-1]]
            dg = prims[0].apply(_tensor(u), _tensor(grid), *ctx.args) if need_g else None
            dgrid = prims[2].apply(_tensor(g), _tensor(u), _tensor(grid), ctx.args) \
                if need_grid else None
            return dg, dgrid, None, None
        taps, mults = _plan(u.shape[2:], grid, ctx.args)
        y, values = _sample(u, taps)
        dgrid = _grid_grad(_g3(g, *u.shape[:2]), values, taps, mults).reshape(grid.shape)
        return y.reshape(g.shape), dgrid, None, None


class GridGridGrad(Primitive):
    """gg[p, a] = m_a(p) sum_c g[c, p] sum_t x_t[c, p] dw_t/da (bilinear in (g, x)); with
    S_t = sum_a V_a m_a dw_t/da for upstream V:  d/dg = sum_t x_t S_t,  d/dx = scatter of
    g S_t to q_t,  d/dgrid_b = m_b sum_c g sum_t x_t sum_a V_a m_a d2w_t/dadb (the a = b
    term is zero unless bicubic: linear factors)."""

    node_name = "GridSampler2DBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x, grid, args):
        ctx.save_for_backward(g, x, grid)
        ctx.args = args
        if x.ndim == 4 and args[0] != "nearest":  # as GridSampler's backward
            fns = _exact2d(args[0])
            plan = fns[0](x.shape[2:], grid, *args[1:])
            return fns[2](_g3(g, *x.shape[:2]), x, plan).reshape(grid.shape)
        taps, mults = _plan(x.shape[2:], grid, args)
        _, values = _sample(x, taps)
        return _grid_grad(_g3(g, *x.shape[:2]), values, taps, mults).reshape(grid.shape)

    @staticmethod
    def backward(ctx, v):
        if isinstance(v, Tensor):
            raise RuntimeError("grid_sample: third-order derivatives are not supported in ember")
        g, x, grid = ctx.saved_tensors
        taps, mults = _plan(x.shape[2:], grid, ctx.args)
        if taps[0][2][0] is None:  # nearest: gg is identically zero
            return np.zeros(g.shape, g.dtype), np.zeros(x.shape, x.dtype), \
                np.zeros(grid.shape, grid.dtype), None
        _, values = _sample(x, taps)
        nd, g3 = len(mults), _g3(g, *x.shape[:2])
        vm = [np.reshape(v, (v.shape[0], g3.shape[2], nd))[..., nd - 1 - a] * mults[a]
              for a in range(nd)]
        s_t = [sum(vm[a] * _dweight(w, ch, (a,)) for a in range(nd)) for _, _, w, ch in taps]
        dg = sum(val * s[:, None, :] for val, s in zip(values, s_t))
        dx = _scatter_taps(g3, lambda t: s_t[t], taps, x.shape)
        gv = [(g3 * val).sum(axis=1) for val in values]
        dgrid = np.zeros(grid.shape[:1] + (g3.shape[2], nd), grid.dtype)
        for b in range(nd):
            total = sum(sv * (sum(vm[a] * _dweight(w, ch, (a, b)) for a in range(nd) if a != b)
                              + vm[b] * _d2weight(w, ch, b))
                        for (_, _, w, ch), sv in zip(taps, gv))
            dgrid[..., nd - 1 - b] = total * mults[b]
        return dg.reshape(g.shape), dx, dgrid.reshape(grid.shape), None


def _three_d(cls, name: str):
    return type(cls.__name__ + "3D", (cls,), {"node_name": name})


_PRIMS = {2: (GridSampler, GridInputGrad, GridGridGrad),
          3: (_three_d(GridSampler, "GridSampler3DBackward0"),
              _three_d(GridInputGrad, "GridSampler3DBackwardBackward0"),
              _three_d(GridGridGrad, "GridSampler3DBackwardBackward0"))}


_MODES = ("bilinear", "nearest", "bicubic")
_PADDINGS = ("zeros", "border", "reflection")


def _check_sample(x: Tensor, grid: Tensor, mode: str, padding: str, warn: bool) -> None:
    try:
        x._data, grid._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from ...ops._int_args import first_not_tensor

        raise first_not_tensor(input=x, grid=grid) from None
    if mode not in _MODES:
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding not in _PADDINGS:
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding}'")
    if warn:  # PyTorch warns after the name checks, before the shape checks
        warnings.warn(_DEFAULT_CHANGED, UserWarning, stacklevel=3)
    xs, gs = list(x.shape), list(grid.shape)
    xt, gt = x._data.dtype, grid._data.dtype
    if xt.kind != "f":  # PyTorch's kernels are floating point only
        kernel = "grid_sampler_2d_cpu_kernel_impl" if x.dim() == 4 else "grid_sampler3d_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{type_name(xt)}'")
    if xt != gt:
        raise RuntimeError(f"expected scalar type {type_name(xt)} but found {type_name(gt)}")
    if xs[0] != gs[0]:
        raise RuntimeError("grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {xs} and grid with sizes {gs}")
    if gs[-1] != x.dim() - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {x.dim() - 2} in last "
                           f"dimension, but got grid with sizes {gs}")
    for i in range(2, x.dim()):
        if xs[i] == 0:
            raise RuntimeError("grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {xs} with dimension {i} being "
                               "empty")
    want = 4 if x.dim() == 4 else 5
    if x.dim() != want or grid.dim() != want:
        raise RuntimeError(f"grid_sampler(): expected {want}D input and grid with same number "
                           f"of dimensions, but got input with sizes {xs} and grid with sizes "
                           f"{gs}")
    nd = want - 2
    if mode == "bicubic":
        if x.dim() != 4:
            raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if xt.kind != "f":
        raise NotImplementedError(f'"grid_sampler_{nd}d_cpu_kernel_impl" not implemented for '
                                  f"'{type_name(xt)}'")


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners: bool | None = None) -> Tensor:
    """Sample ``input`` (N, C, H, W) at ``grid`` (N, Ho, Wo, 2) of normalised (x, y) in
    [-1, 1] (5-D: (N, C, D, H, W) at (N, Do, Ho, Wo, 3)); mode 'bilinear' (trilinear in 3-D),
    'nearest' or 'bicubic' (4-D only); padding_mode 'zeros', 'border' or 'reflection' for points outside."""
    _check_sample(input, grid, mode, padding_mode, align_corners is None)
    return _PRIMS[input.dim() - 2][0].apply(input, grid, mode, padding_mode,
                                            bool(align_corners))
