"""torch.memory_format and torch.layout, and their values. ember's arrays keep any strides, so a channels_last
tensor really is laid out NHWC (``x.contiguous(memory_format=torch.channels_last)``); every
op reads it correctly, and results are row-major as NumPy makes them."""

from __future__ import annotations


class _Constant:
    """A type with a few named instances and none made by users (torch.memory_format,
    torch.layout); they print and pickle by name."""

    __slots__ = ("_name",)

    def __new__(cls, *args, **kwargs):
        raise TypeError(f"cannot create 'torch.{cls.__name__}' instances")

    @classmethod
    def _named(cls, name: str):
        obj = object.__new__(cls)
        obj._name = name
        return obj

    def __repr__(self) -> str:
        return f"torch.{self._name}"

    def __reduce__(self):
        return (_by_name, (self._name,))


class memory_format(_Constant):  # noqa: N801 - PyTorch's name
    """A memory layout request; the instances below are the only ones, as in PyTorch."""

    __slots__ = ()


class layout(_Constant):  # noqa: N801 - PyTorch's name (torch.layout)
    """A tensor's memory layout; ember has PyTorch's default one only, ``torch.strided``."""

    __slots__ = ()


def _by_name(name: str) -> _Constant:
    return globals()[name]


strided = layout._named("strided")
# PyTorch's sparse layouts, for comparisons such as x.layout == torch.sparse_coo (ember's
# tensors are all strided; building a sparse one raises, see ember.sparse)
sparse_coo, sparse_csr, sparse_csc, sparse_bsr, sparse_bsc = (
    layout._named(n) for n in ("sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr",
                               "sparse_bsc"))
contiguous_format = memory_format._named("contiguous_format")
preserve_format = memory_format._named("preserve_format")
channels_last = memory_format._named("channels_last")
channels_last_3d = memory_format._named("channels_last_3d")

# channels-last order of the dims, by format: where each dim sits in memory, outermost first
_ORDER = {"channels_last": (4, (0, 2, 3, 1)), "channels_last_3d": (5, (0, 2, 3, 4, 1))}


def channels_order(fmt, ndim: int, strict: bool):
    """The memory order of dims for a channels-last format (None for the others); ``strict``:
    PyTorch's error when the tensor's rank does not fit the format."""
    spec = _ORDER.get(getattr(fmt, "_name", None))
    if spec is None:
        return None
    rank, order = spec
    if ndim != rank:
        if strict:
            raise RuntimeError(f"required rank {rank} tensor to use {fmt._name} format")
        return None
    return order


def format_array(shape, np_dtype, fmt, fn: str):
    """An uninitialised array laid out as PyTorch's ``empty_like(..., memory_format=fmt)``
    for an explicit format (None for ``preserve_format``: the caller keeps the input's
    layout). contiguous_format: row-major; a channels-last format: dims in its memory order,
    each stride the product of the sizes inside it (no size clamped to 1, as PyTorch: a
    (2, 2, 1, 1) tensor gets strides (2, 1, 2, 2)); a rank that does not fit the format is
    PyTorch's RuntimeError; anything but a torch.memory_format its TypeError."""
    import numpy as np

    if not isinstance(fmt, memory_format):
        from ._random_checks import _parser_type

        raise TypeError(f"{fn}(): argument 'memory_format' must be torch.memory_format, not "
                        f"{_parser_type(fmt)}")
    if fmt is preserve_format:
        return None
    order = channels_order(fmt, len(shape), True)
    if order is None:
        return np.empty(shape, np_dtype)
    strides, step = [0] * len(shape), 1
    for d in reversed(order):
        strides[d] = step
        step *= shape[d]
    isz = np.dtype(np_dtype).itemsize
    return np.lib.stride_tricks.as_strided(
        np.empty(max(step, 1), np_dtype), tuple(shape), tuple(s * isz for s in strides))
