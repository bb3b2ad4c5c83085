"""The machinery behind in-place ops (``add_``, ``x[i] = v``, ``copy_``), mixed into Tensor.

An in-place op computes its result out of place (recorded like any op), then ``_write`` stores
it into the tensor's array, bumps the version counter shared with views, and moves the tensor
to its new place in the graph.
"""

from __future__ import annotations

import numpy as np

from .autograd.grad_mode import STATE


class InplaceMixin:
    __slots__ = ()
    # (grad_fn, output index, Function name) of an output a custom Function (or a module's
    # backward hook) returned as a view of its input: PyTorch forbids writing into it.
    _fn_view = None

    def _check_inplace(self) -> None:
        if self._rg and STATE.enabled:
            if self.grad_fn is None:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation."
                    "\nHint: update parameters inside `with torch.no_grad():`, or modify `.data`.")
            view = self._fn_view
            if view is not None and view[0] is self.grad_fn:
                if len(view) > 3:  # an output of split/chunk/unbind (view[3] is True)
                    raise RuntimeError(
                        f"Output {view[1]} of {view[2]} is a view and is being modified "
                        "inplace. This view is the output of a function that returns multiple "
                        "views. Such functions do not allow the output views to be modified "
                        "inplace. You should replace the inplace operation by an out-of-place "
                        "one.")
                raise RuntimeError(
                    f"Output {view[1]} of {view[2]} is a view and is being modified inplace. "
                    "This view was created inside a custom Function (or because an input was "
                    "returned as-is) and the autograd logic to handle view+inplace would "
                    "override the custom backward associated with the custom Function, leading "
                    "to incorrect gradients. This behavior is forbidden. You can fix this by "
                    "cloning the output of the custom Function.")
        elif self._base is not None and STATE.enabled and self._base._rg:  # made under no_grad
            raise RuntimeError(
                "A view was created in no_grad mode and is being modified inplace with grad "
                "mode enabled. Given that this use case is ambiguous and error-prone, it is "
                "forbidden. You can clarify your code by moving both the view and the inplace "
                "either both inside the no_grad block (if you don't want the inplace to be "
                "tracked) or both outside (if you want the inplace to be tracked).")

    def _as_fn_view(self, input, where: tuple):
        """This output of a custom Function becomes, as in PyTorch, a view of ``input`` (which
        it returned as-is, or a view of): its _base, a shared version counter, and no in-place
        writes (``where``: see _fn_view)."""
        self._fn_view, self._vc = where, input._shared_vc()
        self._base = input if input._base is None else input._base
        return self

    def _own_copy(self) -> bool:
        """At a failed write: a tensor from_numpy made of a read-only array (not an expanded
        tensor's broadcast nor a view) gets its own writable copy and the write goes there.
        PyTorch writes through the lock (undefined behaviour, its warning says); the copy
        keeps the user's array intact. Views of it made earlier keep the old memory."""
        arr = self._data
        if self._base is not None or not isinstance(arr, np.ndarray) or arr.flags.writeable \
                or 0 in arr.strides and arr.size > 1:
            return False
        self._data = arr.copy()
        return True

    def _write_failed(self, e: ValueError, arr, value) -> None:
        """NumPy refused a write into this tensor's read-only array: PyTorch's error, unless
        _own_copy made the array writable (the caller then writes again)."""
        if not self._own_copy():
            raise RuntimeError(_inplace_error(e, arr, value)) from None

    def _is_view(self) -> bool:
        return self._base is not None

    def _bump(self) -> None:
        vc = self._vc
        if vc is None:
            self._vc = [1]
        elif vc.__class__ is list:
            vc[0] += 1
        else:  # an inference tensor's: refuses outside inference mode (after the write, as
            vc.bump()  # PyTorch, whose check is in the version bump after the kernel)

    def _write(self, result):
        """Store ``result`` (the out-of-place answer of an in-place op) into this tensor."""
        self._check_inplace()
        value = result._data if isinstance(result, InplaceMixin) else result
        arr = self._ensure_array()
        recorded = isinstance(result, InplaceMixin) and result.grad_fn is not None
        base = self._base
        before = None
        if recorded:
            if base is not None:
                if base._rg and base.grad_fn is None:
                    raise RuntimeError("a view of a leaf Variable that requires grad is being "
                                       "used in an in-place operation.")
                # The base's value and graph position before the write, for its new node.
                before = self._make(np.array(base._data, copy=True), base._rg, base.grad_fn)
            if not self._rg and result.grad_fn._saved:  # fed uncopied (_graph_input)
                _keep_saved(result.grad_fn, arr)
        if value is not arr:
            if np.shape(value) != arr.shape:
                _check_out_shape(arr.shape, np.shape(value))
            if np.result_type(value) != arr.dtype and not _can_cast(np.result_type(value),
                                                                     arr.dtype):
                from .ops.arithmetic import type_name

                raise RuntimeError(
                    f"result type {type_name(np.result_type(value))} can't be cast to the "
                    f"desired output type {type_name(arr.dtype)}"
                )
            try:
                np.copyto(arr, value, casting="unsafe")
            except ValueError as e:
                self._write_failed(e, arr, value)
                np.copyto(self._data, value, casting="unsafe")
        self._bump()
        if recorded:
            # An op that saved its output (relu_, sigmoid_): that output is this tensor now,
            # so a later in-place change to it fails backward, as PyTorch's does.
            rvc, node = result._vc, result.grad_fn
            if rvc is not None and node._versions:
                node._versions = [(self._vc, self._vc[0], r) if vc is rvc else (vc, v, r)
                                  for vc, v, r in node._versions]
            # the writer's name, for the saved-version error ("which is output 0 of Add")
            # (through a view: the base's new node, PyTorch's C++ CopySlices)
            self._vc[1:] = ("torch::autograd::CopySlices" if base is not None
                            else result.grad_fn.name(),)
            self._rebind(result, base, before)
        return self

    def _rebind(self, result, base, before) -> None:
        """Move this tensor (and its base, and their live views) to the graph of a recorded
        write of ``result``; ``before`` is the base's old self when this is a view."""
        from .ops.view_inplace import rebase, refresh_views, remember_view

        node = result.grad_fn
        first = not self._rg  # this tensor gets its first graph
        if before is not None:
            if not rebase(self, base, before, result):
                raise RuntimeError(
                    "ember cannot record this in-place change to a view (its base is not "
                    "a contiguous array).\nHint: use an out-of-place op (y = x + 1) "
                    "instead.")
            if first:  # made without a graph, so not registered yet
                remember_view(base, self)
            # A base without a graph until now: its views made meanwhile are looked for.
            refresh_views(base, self, None if before._rg else node)
            return
        old = self.grad_fn
        self.grad_fn = node
        self._rg = True
        node._shape = self._data.shape
        refresh_views(self, self, node if first else None)
        if old is not None and self.__dict__.get("_retains"):
            _move_retain_grad(self, old, node)

    def _graph_input(self):
        """A stand-in for this tensor's current value to feed an op whose result will be
        written back in place: a copy when this tensor is in a graph, so its saved value
        survives (without grad it is fed as it is; ``_write`` copies what the op saved)."""
        if STATE.enabled and self._rg:
            t = self._make(np.array(self._data, copy=True), True, self.grad_fn)
            if self.grad_fn is None:  # leaf: _check_inplace will raise with PyTorch's message
                return self
            return t
        return self


def _move_retain_grad(t, old, node) -> None:
    """retain_grad follows the tensor to the node of its in-place change, as in PyTorch (its
    .grad is then the gradient of the new value); the tensor's other hooks stay behind."""
    hooks = old._pre_hooks or []
    for h in [h for h in hooks if getattr(h, "_retains_grad", False)
              and any(c.cell_contents is t for c in h.__closure__ or ())]:
        hooks.remove(h)
        node._add_prehook(h)


def _can_cast(src: np.dtype, dst: np.dtype) -> bool:
    """PyTorch's canCast for in-place results: never floating to integral, complex to real,
    or anything but bool to bool (NumPy's same_kind also refuses int64 -> uint8; PyTorch
    allows it)."""
    if dst.kind == "b":
        return src.kind == "b"
    if src.kind == "c":
        return dst.kind == "c"
    return not (src.kind == "f" and dst.kind in "iu")


def _keep_saved(node, arr) -> None:
    """The op of a recorded write into a tensor without grad took the tensor itself (see
    ``_graph_input``): where it saved that array, save a copy of the old values instead, so
    the write neither changes them nor trips the saved-version check (PyTorch's
    ``b.mul_(w)`` with ``b`` needing no grad differentiates w through b's old values)."""
    saved = node._saved
    kept = [i for i, s in enumerate(saved) if s is arr]
    if not kept:
        return
    node._saved = tuple(s.copy() if s is arr else s for s in saved)
    roles = {node._roles[i] for i in kept} if len(node._roles) == len(saved) else set()
    node._versions = [e for e in node._versions if e[2] not in roles]


def _inplace_error(e: Exception, arr, value) -> str:
    msg = str(e)
    if "read-only" in msg:
        return ("unsupported operation: more than one element of the written-to tensor refers "
                "to a single memory location. Please clone() the tensor before performing the "
                "operation.")
    if "broadcast" in msg:
        show = lambda s: ", ".join(map(str, s))  # noqa: E731
        return (f"output with shape [{show(arr.shape)}] doesn't match the broadcast shape "
                f"[{show(np.broadcast_shapes(arr.shape, np.shape(value)))}]")
    return msg


def _check_out_shape(out_shape: tuple, shape: tuple) -> None:
    """PyTorch's error when an in-place result is larger than the tensor it goes into (NumPy
    would quietly drop leading 1s: x.add_(y) with x [3] and y [1, 3])."""
    try:
        full = np.broadcast_shapes(out_shape, shape)
    except ValueError:
        return  # not broadcastable at all: the copy's own error says so
    if full != tuple(out_shape):
        show = ", ".join
        raise RuntimeError(f"output with shape [{show(map(str, out_shape))}] doesn't match the "
                           f"broadcast shape [{show(map(str, full))}]")
