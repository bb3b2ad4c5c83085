"""ember.func.vmap (re-exported by func.py): a loop over the batch entries, not vectorised,
whose results are stacked along out_dims; random draws take PyTorch's batched numbers
(_vmap_rng.py)."""

from __future__ import annotations

import functools

import ember

from . import _vmap_rng as _vr
from .func import _flatten, _unflatten
from .tensor import Tensor

_RANDOM_ERROR = _vr.RANDOM_ERROR


def _dims_like(in_dims, args):
    """in_dims broadcast over the structure of args: one int-or-None per tensor leaf."""
    if isinstance(in_dims, (int, type(None))):
        return [in_dims] * len(_flatten(args)[0])
    if isinstance(in_dims, (tuple, list)) and isinstance(args, (tuple, list)):
        if len(in_dims) != len(args):
            raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): in_dims is not "
                             "compatible with the structure of `inputs`. in_dims has structure "
                             f"of length {len(in_dims)} but inputs has {len(args)} elements.")
        return [d for i, a in zip(in_dims, args) for d in _dims_like(i, a)]
    if isinstance(in_dims, dict) and isinstance(args, dict):
        return [d for k in args for d in _dims_like(in_dims[k], args[k])]
    raise ValueError(f"vmap: in_dims {in_dims} does not match the inputs' structure")


def _name(func) -> str:
    return getattr(func, "__name__", type(func).__name__)


def _item_in_vmap():
    """PyTorch's error for .item()/float() inside vmap. ember's vmap loops over real
    entries, so it cannot tell a batched tensor from another: the user's own calls raise,
    ember's internal ones (on constants) do not."""
    import sys

    if sys._getframe(2).f_globals.get("__name__", "").startswith("ember."):
        return
    raise RuntimeError("vmap: It looks like you're calling .item() on a Tensor. We don't "
                       "support vmap over calling .item() on a Tensor, please try to rewrite "
                       "what you're doing with other operations. If error is occurring "
                       "somewhere inside PyTorch internals, please file a bug report.")


def _batch_size(leaves, dims) -> int:
    # every mapped tensor's size in argument order, repeats kept, as PyTorch's error lists them
    order = [x.shape[d] for x, d in zip(leaves, dims) if d is not None and isinstance(x, Tensor)]
    sizes = set(order)
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if len(sizes) > 1:
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {order} for the mapped dimension")
    return sizes.pop()


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """func mapped over a batch dimension: a loop over the batch (not vectorised) whose
    results are stacked along out_dims. Composes with grad for per-sample gradients."""
    if randomness not in ("error", "same", "different"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        leaves, spec = _flatten(list(args))
        dims = _dims_like(in_dims if isinstance(in_dims, int) or in_dims is None
                          else tuple(in_dims), tuple(args))
        for x, d in zip(leaves, dims):
            if d is not None and not isinstance(x, Tensor):
                raise ValueError(
                    f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} "
                    f"for an input but the input is of type {type(x)}. We cannot vmap over "
                    "non-Tensor arguments, please use None as the respective in_dim")
            if d is not None and isinstance(x, Tensor) and not -x.dim() <= d < x.dim():
                raise ValueError(
                    f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} "
                    f"for some input, but that input is a Tensor of dimensionality {x.dim()} "
                    f"so expected in_dim to satisfy -{x.dim()} <= in_dim < {x.dim()}.")
        dims = [d % x.dim() if d is not None and isinstance(x, Tensor) else d
                for x, d in zip(leaves, dims)]
        n = _batch_size(leaves, dims)
        start = ember.get_rng_state()
        level, results = _vr.push(randomness, n), []
        try:
            for b in range(n):
                level.enter(b)
                if randomness == "same" and b:
                    ember.set_rng_state(start)  # draws outside _vmap_rng's kernels repeat
                sliced = [x.select(d, b) if d is not None and isinstance(x, Tensor) else x
                          for x, d in zip(leaves, dims)]
                Tensor._vmap_depth += 1
                try:
                    results.append(func(*_unflatten(sliced, spec), **kwargs))
                finally:
                    Tensor._vmap_depth -= 1
                if randomness == "error" and not ember.equal(ember.get_rng_state(), start):
                    ember.set_rng_state(start)  # PyTorch raises before drawing
                    raise RuntimeError(_RANDOM_ERROR)
                if b == 0:
                    end = ember.get_rng_state()
        finally:
            _vr.pop()
        if randomness == "same":
            ember.set_rng_state(end)  # one draw for the whole batch
        return _stack(results, out_dims)
    return wrapper


def _stack(results, out_dims):
    flat = [_flatten(r)[0] for r in results]
    spec = _flatten(results[0])[1]
    outs = len(flat[0])
    odims = _dims_like(out_dims, results[0])
    stacked = []
    for k in range(outs):
        items = [f[k] if isinstance(f[k], Tensor) else ember.tensor(f[k]) for f in flat]
        if odims[k] is None:
            stacked.append(items[0])
            continue
        d = odims[k] % (items[0].dim() + 1)
        stacked.append(ember.stack(items, d))
    return _unflatten(stacked, spec)
