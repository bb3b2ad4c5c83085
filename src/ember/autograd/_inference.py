"""Inference tensors: what a tensor made inside ``inference_mode`` may not do outside it.

PyTorch's inference tensors have no version counter, so autograd cannot tell whether one was
changed after it was saved; hence, outside inference mode, they may not be saved for backward,
changed in place, or set to require grad. ember marks them by the version counter slot itself:
a tensor made while inference mode is on (in this thread) gets an ``InferenceVersion`` there
instead of ``None``. Views share their base's counter, so a view of an inference tensor is
one, and a view of a normal tensor is not, as in PyTorch. Reading the counter to save the
tensor for backward raises; a bump (an in-place write) raises outside inference mode and does
nothing inside it.

Making tensors costs nothing extra while no thread is in inference mode: the creation sites
test a module flag, ``ON``, that ``inference_mode`` keeps true only while some thread is
inside one (a count, under a lock), and only then read the thread-local mode.
"""

from __future__ import annotations

import sys
from _thread import allocate_lock

from .grad_mode import STATE

SAVE = ("Inference tensors cannot be saved for backward. Please do not use Tensors created in "
        "inference mode in computation tracked by autograd. To work around this, you can make a "
        "clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` instead "
        "of `torch.inference_mode()`.")
INPLACE = ("Inplace update to inference tensor outside InferenceMode is not allowed.You can make "
           "a clone to get a normal tensor before doing inplace update.See "
           "https://github.com/pytorch/rfcs/pull/17 for more details.")
REQUIRES_GRAD = ("Setting requires_grad=True on inference tensor outside InferenceMode is not "
                 "allowed.")
VERSION = "Inference tensors do not track version counter."


class InferenceVersion:
    """The version counter slot of an inference tensor (one per storage, shared by views)."""

    __slots__ = ("__weakref__",)

    def __getitem__(self, i):  # a saved-version read: only autograd recording does that
        if STATE.inference:
            return 0
        raise RuntimeError(SAVE)

    def __setitem__(self, i, value) -> None:
        self.bump()

    def bump(self) -> None:
        if not STATE.inference:
            raise RuntimeError(INPLACE)


def is_inference(t) -> bool:
    return t._vc.__class__ is InferenceVersion


def fresh_vc():
    """The version counter slot of a tensor made now (called only while ON)."""
    return InferenceVersion() if STATE.inference else None


# The modules whose tensor constructors read ON (as their own global, which costs least).
_READERS = ("ember.autograd.function", "ember.tensor", "ember._methods",
            "ember.autograd.engine")
_lock = allocate_lock()
_active = [0]
ON = False


def enter() -> None:
    with _lock:
        _active[0] += 1
        if _active[0] == 1:
            _set(True)


def exit() -> None:  # noqa: A001 (the context's other half)
    with _lock:
        _active[0] -= 1
        if _active[0] == 0:
            _set(False)


def _set(on: bool) -> None:
    global ON
    ON = on
    for name in _READERS:
        mod = sys.modules.get(name)
        if mod is not None:
            mod.INF_ON = on


def refuse_saved_index(index) -> None:
    """For ops that keep an integer index tensor for backward outside save_for_backward
    (gather, index_select, indexing, embedding, nll_loss's target): PyTorch's error when the
    op is recorded and the index (a Tensor, or a tuple of indexing items) is an inference one.
    Callers test ``input._rg`` first, so unrecorded calls pay nothing."""
    if not STATE.enabled:
        return
    for t in index if type(index) is tuple else (index,):
        vc = getattr(t, "_vc", None)
        if vc.__class__ is InferenceVersion and t._data.dtype.kind in "iu":
            raise RuntimeError(SAVE)
