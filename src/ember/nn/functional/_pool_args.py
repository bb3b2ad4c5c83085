"""How PyTorch's argument parser reads the int-list arguments of the pooling ops (kernel_size,
stride, padding, dilation, output_size: IntArrayRef in their signatures).

A tuple or list (torch.Size too) is read element by element, each element an int-like (an
int, a NumPy integer, a one-element integer Tensor). Anything else must itself be one
int-like, which is repeated: ``F.max_pool1d(x, conv.shape[2])`` with a 0-d integer tensor, a
NumPy integer or a one-element ``tensor([n])`` all work. A range, an ndarray, a float, or a
Tensor of floats or of several elements is refused whole with the parser's TypeError; the
parser never iterates a Tensor."""

from __future__ import annotations

import collections.abc
import operator

import numpy as np

_index = operator.index

# Where the functional pools take each int-list argument (the parser's "position n").
POSITION = {"kernel_size": 2, "stride": 3, "padding": 4, "dilation": 5, "output_size": 2}


def int_list(v, name: str, fn: str, pos: int) -> tuple:
    """``v`` read as PyTorch's parser reads an int list: a tuple of ints of the length given
    (one int-like gives a 1-tuple, which callers repeat to their rank)."""
    if isinstance(v, (tuple, list)):
        out = []
        for i, a in enumerate(v):
            try:
                out.append(_index(a))
            except TypeError:
                raise _refused(a, name, fn, pos, i) from None
        return tuple(out)
    if not isinstance(v, np.ndarray):  # PyTorch's parser trips on an ndarray (an assert)
        try:
            return (_index(v),)
        except (TypeError, RuntimeError, ValueError):
            pass
    raise _refused(v, name, fn, pos, None)


def _refused(v, name: str, fn: str, pos: int, at) -> TypeError:
    """The parser's TypeError: the whole value refused (``at`` None), or a tuple whose first
    entry is no int (named "at pos 0"), or a later entry (the unpacking fails at i + 1)."""
    from ...ops._int_args import HINT, _tn

    hint = HINT if isinstance(v, (float, np.floating)) else ""
    if at is None:
        return TypeError(f"{fn}(): argument '{name}' (position {pos}) must be tuple of ints, "
                         f"not {_tn(v)}" + hint)
    if at == 0:
        return TypeError(f"{fn}(): argument '{name}' (position {pos}) must be tuple of ints, "
                         f"but found element of type {_tn(v)} at pos 0" + hint)
    return TypeError(f"{fn}(): argument '{name}' failed to unpack the object at pos {at + 1} "
                     f"with error \"type must be tuple of ints,but got {_tn(v)}\"" + hint)


def one_int(v, name: str, fn: str, pos: int, sized: str | None = None) -> int:
    """An IntArrayRef[1] argument of a 1-D pool as one int. A list of another length:
    ``sized`` is the op's own message (max_pool1d checks it itself, "... of size 1 but got
    size n"); without it the parser's "should contain one int (got n)"."""
    vals = int_list(v, name, fn, pos)
    if len(vals) != 1:
        if sized is not None:
            raise RuntimeError(f"{fn}() {name} must be {sized} of size 1 but got size "
                               f"{len(vals)}")
        raise RuntimeError(f"{fn}() argument '{name}' should contain one int (got "
                           f"{len(vals)})")
    return vals[0]


def ntuple(v, n: int) -> tuple:
    """torch.nn.modules.utils._ntuple(n): an iterable as a tuple (a 0-d Tensor cannot be
    iterated: TypeError), anything else repeated n times."""
    return tuple(v) if isinstance(v, collections.abc.Iterable) else (v,) * n


def single(v) -> tuple:
    """torch.nn.modules.utils._single."""
    return ntuple(v, 1)
