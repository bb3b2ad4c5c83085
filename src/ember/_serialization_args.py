"""``torch.save`` / ``torch.load``'s checks of their file and pickle arguments, made before
anything is written or read, with PyTorch's exception types and messages."""

from __future__ import annotations

import io
import os
import warnings

# what pickle's C Unpickler takes besides the file (torch.load hands pickle_load_args to it)
_UNPICKLER_KW = ("fix_imports", "encoding", "errors", "buffers")


def is_path(f) -> bool:
    """PyTorch's ``_is_path``: a str or os.PathLike names a file; anything else (bytes
    included) must be a file object."""
    return isinstance(f, (str, os.PathLike))


def check_save_target(f) -> None:
    """torch.save(obj, f): f names a file or has a ``write`` method, checked before the
    object is serialised (``torch.save(sd, 3)``, ``torch.save(sd, None)``)."""
    if not is_path(f) and not hasattr(f, "write"):
        raise AttributeError("expected 'f' to be string, path, or a file-like object with "
                             "a 'write' attribute")


def check_load_source(f) -> None:
    """torch.load(f) from a file object: it must be seekable (``f.seek(f.tell())``); an object
    without seek / tell (an int, None, bytes) or an unseekable stream fails with the error
    PyTorch raises, its message extended with the hint to pre-load into io.BytesIO."""
    if is_path(f):
        return
    try:
        f.seek(f.tell())
    except (io.UnsupportedOperation, AttributeError) as e:
        if "seek" in str(e) or "tell" in str(e):
            raise type(e)(str(e) + ". You can only torch.load from a file that is seekable. "
                          "Please pre-load the data into a buffer like io.BytesIO and try to "
                          "load from it instead.") from None
        raise


def warn_pickle_args(pickle_load_args: dict, weights_only: bool) -> None:
    """PyTorch's warning, before the file is opened, that ``pickle_load_args`` (encoding=...,
    errors=...) are meant for ``weights_only=False`` loads."""
    if pickle_load_args and weights_only:
        warnings.warn("pickle_load_args only works if `weights_only=False`.", UserWarning,
                      stacklevel=3)


def check_pickle_args(pickle_load_args: dict, weights_only: bool) -> None:
    """The unpickler's own TypeError for a keyword it does not take, raised once the file is
    read: the weights-only Unpickler takes only ``encoding``; pickle's Unpickler also
    ``fix_imports``, ``errors`` and ``buffers``."""
    for k in pickle_load_args:
        if weights_only and k != "encoding":
            raise TypeError(f"Unpickler.__init__() got an unexpected keyword argument '{k}'")
        if not weights_only and k not in _UNPICKLER_KW:
            raise TypeError(f"'{k}' is an invalid keyword argument for Unpickler()")


def check_mmap_source(f, mmap) -> None:
    """``torch.load(buf, mmap=True)``: a checkpoint is memory-mapped from a file path only."""
    if mmap and not is_path(f):
        raise ValueError("f must be a file path in order to use the mmap argument")
