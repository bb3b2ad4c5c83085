"""CatTransform and StackTransform: transforms applied to slices of a tensor along one
dim (concatenated blocks or stacked entries); names of ``transforms`` as in PyTorch."""

from __future__ import annotations

from .. import ops
from . import constraints
from .independent import _sum_rightmost
from .transforms import Transform


def _check_along(t, name, letter, dim, size, what):
    """PyTorch's checks (AssertionErrors) that ``dim`` exists and has ``size`` entries."""
    if not -t.dim() <= dim < t.dim():
        raise AssertionError(f"dim {dim} out of range for {name} with {t.dim()} dimensions")
    if t.shape[dim] != size:
        raise AssertionError(f"{letter}.size({dim}) = {t.shape[dim]} must equal "
                             f"{what} {size}")


class CatTransform(Transform):
    """``tseq[i]`` applied to the i-th block (``lengths[i]`` entries) along ``dim``; the
    results are concatenated as torch.cat would."""

    def __init__(self, tseq, dim: int = 0, lengths=None, cache_size: int = 0):
        if not all(isinstance(t, Transform) for t in tseq):
            raise AssertionError("All elements of tseq must be Transform instances")
        if cache_size:
            tseq = [t.with_cache(cache_size) for t in tseq]
        super().__init__(cache_size=cache_size)
        self.transforms = list(tseq)
        self.lengths = [1] * len(self.transforms) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.transforms):
            raise AssertionError(f"lengths ({len(self.lengths)}) must match transforms "
                                 f"({len(self.transforms)})")
        self.dim = dim

    @property
    def event_dim(self):
        return max(t.event_dim for t in self.transforms)

    @property
    def length(self):
        return sum(self.lengths)

    @property
    def bijective(self):
        return all(t.bijective for t in self.transforms)

    @property
    def domain(self):
        return constraints.cat([t.domain for t in self.transforms], self.dim, self.lengths)

    @property
    def codomain(self):
        return constraints.cat([t.codomain for t in self.transforms], self.dim, self.lengths)

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return CatTransform(self.transforms, self.dim, self.lengths, cache_size)

    def _blocks(self, z):
        start = 0
        for length in self.lengths:
            yield z.narrow(self.dim, start, length)
            start += length

    def _call(self, x):
        _check_along(x, "tensor", "x", self.dim, self.length, "length")
        return ops.cat([t(b) for t, b in zip(self.transforms, self._blocks(x))], self.dim)

    def _inverse(self, y):
        _check_along(y, "tensor", "y", self.dim, self.length, "length")
        return ops.cat([t.inv(b) for t, b in zip(self.transforms, self._blocks(y))], self.dim)

    def log_abs_det_jacobian(self, x, y):
        _check_along(x, "x", "x", self.dim, self.length, "length")
        _check_along(y, "y", "y", self.dim, self.length, "length")
        parts = []
        for t, xb, yb in zip(self.transforms, self._blocks(x), self._blocks(y)):
            ladj = t.log_abs_det_jacobian(xb, yb)
            parts.append(_sum_rightmost(ladj, self.event_dim - t.event_dim))
        # dim inside the event: the blocks' Jacobians are summed; in the batch: concatenated
        dim = (self.dim - x.dim() if self.dim >= 0 else self.dim) + self.event_dim
        if dim < 0:
            return ops.cat(parts, dim)
        return sum(parts)


class StackTransform(Transform):
    """``tseq[i]`` applied to the i-th slice along ``dim``; results stacked as torch.stack."""

    def __init__(self, tseq, dim: int = 0, cache_size: int = 0):
        if not all(isinstance(t, Transform) for t in tseq):
            raise AssertionError("All elements of tseq must be Transform instances")
        if cache_size:
            tseq = [t.with_cache(cache_size) for t in tseq]
        super().__init__(cache_size=cache_size)
        self.transforms = list(tseq)
        self.dim = dim

    @property
    def bijective(self):
        return all(t.bijective for t in self.transforms)

    @property
    def domain(self):
        return constraints.stack([t.domain for t in self.transforms], self.dim)

    @property
    def codomain(self):
        return constraints.stack([t.codomain for t in self.transforms], self.dim)

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return StackTransform(self.transforms, self.dim, cache_size)

    def _slices(self, z):
        return [z.select(self.dim, i) for i in range(z.shape[self.dim])]

    def _call(self, x):
        _check_along(x, "tensor", "x", self.dim, len(self.transforms), "len(transforms)")
        return ops.stack([t(s) for t, s in zip(self.transforms, self._slices(x))], self.dim)

    def _inverse(self, y):
        _check_along(y, "tensor", "y", self.dim, len(self.transforms), "len(transforms)")
        return ops.stack([t.inv(s) for t, s in zip(self.transforms, self._slices(y))],
                         self.dim)

    def log_abs_det_jacobian(self, x, y):
        _check_along(x, "x", "x", self.dim, len(self.transforms), "len(transforms)")
        _check_along(y, "y", "y", self.dim, len(self.transforms), "len(transforms)")
        return ops.stack([t.log_abs_det_jacobian(xs, ys) for t, xs, ys in
                          zip(self.transforms, self._slices(x), self._slices(y))], self.dim)
