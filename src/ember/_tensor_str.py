"""Tensor printing that reproduces PyTorch 2.13's ``repr`` character for character.

The core Tensor class calls :func:`format_tensor` with its NumPy buffer; the rules
(shared cell width, integer/fixed/scientific notation, wrapping, summarisation with
``...``, suffix order) follow ``torch/_tensor_str.py``. Every number is turned into a
Python float or int before formatting, because that is what PyTorch formats too
(via ``Tensor.tolist``/``item``), so the rounding is identical.
"""
from __future__ import annotations

import contextlib
import math
from typing import Any, Iterator

import numpy as np

__all__ = ["format_tensor", "set_printoptions", "get_printoptions", "printoptions"]


class _PrintOptions:
    """The options; a plain class (the dataclasses module costs ~3 ms of ``import ember``)."""

    FIELDS = ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")

    def __init__(self) -> None:
        self.precision: int = 4
        self.threshold: float = 1000
        self.edgeitems: int = 3
        self.linewidth: int = 80
        self.sci_mode: bool | None = None


_OPTS = _PrintOptions()

# Each profile sets these four fields; sci_mode is handled separately (see below).
_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}

_NUMPY_DTYPES = {
    "float32": np.float32,
    "float64": np.float64,
    "float16": np.float16,
    "int64": np.int64,
    "int32": np.int32,
    "int16": np.int16,
    "int8": np.int8,
    "uint8": np.uint8,
    "bool": np.bool_,
}
_FLOAT_DTYPES = frozenset({"float32", "float64", "float16"})


def _default_dtype_name() -> str:
    """Name of the default floating dtype; the core patches this hook when it changes."""
    return "float32"


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """Same semantics as ``torch.set_printoptions``.

    A profile ('default', 'short', 'full') is applied first and explicit arguments
    override it; an unknown profile is ignored, as in PyTorch. Like PyTorch,
    ``sci_mode`` is always overwritten, so any call without it restores automatic mode.
    """
    if profile in _PROFILES:
        for name, value in _PROFILES[profile].items():
            setattr(_OPTS, name, value)
    explicit = dict(precision=precision, threshold=threshold,
                    edgeitems=edgeitems, linewidth=linewidth)
    for name, value in explicit.items():
        if value is not None:
            setattr(_OPTS, name, value)
    _OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """Current options, as keyword arguments accepted by :func:`set_printoptions`."""
    return {name: getattr(_OPTS, name) for name in _PrintOptions.FIELDS}


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Temporarily change print options (same keywords as :func:`set_printoptions`)."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


class _Formatter:
    """Chooses one notation and one cell width shared by every element printed.

    Only non-zero finite values decide the notation and width for floats, so zeros,
    nan and inf never force scientific mode (and may be narrower or wider than a cell).
    """

    def __init__(self, values: np.ndarray, is_float: bool) -> None:
        self.is_float = is_float
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        flat = values.reshape(-1)
        if not is_float:
            self.width = max([1] + [len(str(v)) for v in flat.tolist()])
            return
        wide = flat.astype(np.float64)
        shown = wide[np.isfinite(wide) & (wide != 0)]
        if shown.size == 0:
            return  # nothing to measure: PyTorch keeps integer mode and width 1
        self.int_mode = bool(np.all(shown == np.ceil(shown)))
        self.sci_mode = self._wants_sci(np.abs(shown))
        self.width = max(len(self._digits(v)) for v in shown.tolist())

    @staticmethod
    def _wants_sci(magnitudes: np.ndarray) -> bool:
        if _OPTS.sci_mode is not None:
            return bool(_OPTS.sci_mode)
        smallest, largest = float(magnitudes.min()), float(magnitudes.max())
        # Python float division gives inf rather than raising when the ratio overflows.
        return largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4

    def _digits(self, value: float) -> str:
        """Unpadded text of a finite non-zero value, including the trailing '.' of int mode."""
        precision = _OPTS.precision
        if self.sci_mode:
            return f"{value:.{precision}e}"
        if self.int_mode:
            return f"{value:.0f}."
        return f"{value:.{precision}f}"

    def format(self, value: float | int | bool) -> str:
        if not self.is_float:
            text = str(value)
        elif self.sci_mode or not self.int_mode:
            text = self._digits(value)
        else:
            text = f"{value:.0f}"
            if math.isfinite(value):
                text += "."
        return text.rjust(self.width)


def _summary(values: np.ndarray) -> np.ndarray:
    """The elements that stay visible once summarised (used to size the cells)."""
    edge = _OPTS.edgeitems
    if values.ndim == 0:
        return values
    if not edge:
        # PyTorch keeps a whole vector here, but nothing from higher-rank tensors;
        # the formatter is unused in both cases because only '...' is printed.
        return values if values.ndim == 1 else values[:0]
    for axis, size in enumerate(values.shape):
        if size > 2 * edge:
            keep = np.r_[0:edge, size - edge:size]
            values = np.take(values, keep, axis=axis)
    return values


def _vector_str(row: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    edge = _OPTS.edgeitems
    if summarize and not edge:
        cells = ["..."]
    elif summarize and row.shape[0] > 2 * edge:
        cells = ([fmt.format(v) for v in row[:edge].tolist()] + [" ..."]
                 + [fmt.format(v) for v in row[-edge:].tolist()])
    else:
        cells = [fmt.format(v) for v in row.tolist()]
    # Each cell costs its width plus ", "; always at least one cell per line.
    per_line = max(1, (_OPTS.linewidth - indent) // (fmt.width + 2))
    lines = [", ".join(cells[i:i + per_line]) for i in range(0, len(cells), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(values: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if values.ndim == 0:
        return fmt.format(values.item())
    if values.ndim == 1:
        return _vector_str(values, indent, summarize, fmt)
    edge, count = _OPTS.edgeitems, values.shape[0]
    if summarize and count > 2 * edge:
        rows = list(range(edge)) + [None] + list(range(count - edge, count))
    else:
        rows = list(range(count))
    parts = ["..." if i is None else _nested_str(values[i], indent + 1, summarize, fmt)
             for i in rows]
    # Sub-blocks of a rank-n tensor are separated by n-1 newlines (blank lines for n >= 3).
    separator = "," + "\n" * (values.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(parts) + "]"


def _body_str(values: np.ndarray, indent: int, is_float: bool) -> str:
    summarize = values.size > _OPTS.threshold
    fmt = _Formatter(_summary(values) if summarize else values, is_float)
    return _nested_str(values, indent, summarize, fmt)


def _close(text: str, suffixes: list[str], indent: int) -> str:
    """Append ', suffix' items, starting a new line when one would pass the line width."""
    # PyTorch measures the current line as its length plus 2 (room for ', ').
    line_len = len(text.rsplit("\n", 1)[-1]) + 2
    pieces = [text]
    for suffix in suffixes:
        if line_len + len(suffix) + 2 > _OPTS.linewidth:
            pieces.append(",\n" + " " * indent + suffix)
            line_len = indent + len(suffix)
        else:
            pieces.append(", " + suffix)
            line_len += len(suffix) + 2
    return "".join(pieces) + ")"


def _metadata_suffixes(values: np.ndarray, dtype_name: str) -> list[str]:
    size = f"size={tuple(values.shape)}"
    dtype = f"dtype=torch.{dtype_name}"
    if values.size == 0:
        # An empty tensor shows its shape unless 1-d, and always a non-default dtype
        # (even int64/bool, since no element hints at it).
        return ([size] if values.ndim != 1 else []) + (
            [dtype] if dtype_name != _default_dtype_name() else [])
    # With edgeitems=0 only '...' is printed, so the shape is spelled out.
    suffixes = [] if _OPTS.edgeitems else [size]
    if dtype_name not in (_default_dtype_name(), "int64", "bool"):
        suffixes.append(dtype)
    return suffixes


def format_tensor(data: Any, dtype_name: str, *, requires_grad: bool = False,
                  grad_fn_name: str | None = None, prefix: str = "tensor(") -> str:
    """The full repr PyTorch prints for a tensor holding ``data`` with dtype ``dtype_name``.

    ``data`` is a NumPy array or scalar of any shape (0-d and empty included); it is cast
    to ``dtype_name`` first. ``prefix`` may span lines (e.g. "Parameter containing:\\ntensor(");
    continuation lines are indented by the length of its last line.
    """
    if dtype_name not in _NUMPY_DTYPES:
        raise ValueError(f"format_tensor: unsupported dtype {dtype_name!r}; "
                         f"expected one of {sorted(_NUMPY_DTYPES)}")
    values = np.asarray(data).astype(_NUMPY_DTYPES[dtype_name], copy=False)
    indent = len(prefix.rsplit("\n", 1)[-1])
    if values.size == 0:
        body = "[]"
    else:
        body = _body_str(values, indent, dtype_name in _FLOAT_DTYPES)
    suffixes = _metadata_suffixes(values, dtype_name)
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _close(prefix + body, suffixes, indent)
