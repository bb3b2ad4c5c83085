"""Inference tensors: what a tensor made inside ``inference_mode`` may not do outside it.

PyTorch's inference tensors have no version counter, so autograd cannot tell whether one was
changed after it was saved; hence, outside inference mode, they may not be saved for backward,
changed in place, or set to require grad. ember marks them by the version counter slot itself:
a tensor made while inference mode is on (in this thread) gets ``MARK`` (an ``InferenceVersion``) there
instead of ``None``. Views share their base's counter, so a view of an inference tensor is
one, and a view of a normal tensor is not, as in PyTorch. Reading the counter to save the
tensor for backward raises; a bump (an in-place write) raises outside inference mode and does
nothing inside it.

Making tensors costs next to nothing while no thread is in inference mode: the creation
sites test ``ACTIVE[0]``, a count of open inference_mode blocks, before reading the
thread-local mode.
"""

from __future__ import annotations

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
    """The version counter slot of every inference tensor: ``MARK``, the one instance.

    One object serves them all: version-counter identity only matters to recorded in-place
    writes through views, which inference tensors never take part in (refused outside the
    mode, not recorded inside it)."""

    __slots__ = ()

    def __getitem__(self, i):  # a saved-version read: only autograd recording does that
        if STATE.inference:
            return 0
        raise RuntimeError(SAVE)

    def __setitem__(self, i, value) -> None:
        self.bump()

    def bump(self) -> None:
        if not STATE.inference:
            raise RuntimeError(INPLACE)


MARK = InferenceVersion()


class DetachedInference(InferenceVersion):
    """``detach()`` of an inference tensor outside inference mode: still an inference tensor
    (not to be saved for backward or set to require grad), but PyTorch lets it be written in
    place (``q = target(s).detach(); q[done] = 0`` after an inference_mode block) and reports
    version 0. Views of it are plain inference tensors again (_shared_vc)."""

    __slots__ = ()

    def bump(self) -> None:
        pass


DETACHED = DetachedInference()

# How many inference_mode blocks are open, in all threads. Tensor constructors test
# ``ACTIVE[0] and STATE.inference`` (~15 ns while it is 0) before marking what they make.
ACTIVE = [0]
_lock = allocate_lock()


def is_inference(t) -> bool:
    vc = t._vc
    return vc is MARK or vc is DETACHED


def fresh_vc():
    """The version counter slot of a tensor made now."""
    return MARK if ACTIVE[0] and STATE.inference else None


def enter() -> None:
    _lock.acquire()
    ACTIVE[0] += 1
    _lock.release()


def exit() -> None:  # noqa: A001 (the context's other half)
    _lock.acquire()
    ACTIVE[0] -= 1
    _lock.release()


def refuse_saved_index(index) -> None:
    """For ops that keep an index or mask tensor for backward outside save_for_backward
    (gather, index_select, indexing, embedding, nll_loss's target, where's condition):
    PyTorch's error when the op is recorded and the index (a Tensor, or a tuple of indexing
    items) is an inference one. Callers test ``input._rg`` first, so unrecorded calls pay
    nothing."""
    if not STATE.enabled:
        return
    for t in index if type(index) is tuple else (index,):
        vc = getattr(t, "_vc", None)
        if vc is MARK and t._data.dtype.kind in "iub":
            raise RuntimeError(SAVE)
