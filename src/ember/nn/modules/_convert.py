"""Module.to / float / double: convert parameters in place, keeping their identity."""

from __future__ import annotations

from typing import Any, Callable

from ... import dtypes as D
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor, device as Device


def apply_to_tensors(module, fn, recurse: bool = True):
    """``param.data = fn(param)`` (and the same for grads); buffers are replaced."""
    if recurse:
        for child in module.children():
            child._apply(fn)
    with no_grad():
        for param in module._parameters.values():
            if param is None:
                continue
            param.data = fn(param)
            if param.grad is not None:
                param.grad.data = fn(param.grad)
        for key, buf in list(module._buffers.items()):
            if buf is not None:
                module._buffers[key] = fn(buf)
    return module


_NO_ACCEL = {
    "xpu": (AssertionError, "Torch not compiled with XPU enabled"),
    "ipu": (RuntimeError, "PyTorch is not linked with support for ipu devices"),
    "mtia": (AssertionError, "Torch not compiled with MTIA enabled. Ensure you have `import "
             "mtia.host_runtime.torch_mtia.dynamic_library` in your python src file and "
             "include `//mtia/host_runtime/torch_mtia:torch_mtia` as your target dependency!"),
}


def _no_accelerator(kind: str):
    """PyTorch's error for ``tensor.xpu()`` / ``.ipu()`` / ``.mtia()`` in a CPU-only build."""
    exc, msg = _NO_ACCEL[kind]
    raise exc(msg)


def _parse_to(args: tuple, kwargs: dict):
    """(device, dtype) from Module.to's overloads. After a device the next positional
    argument is the dtype: ``to("cpu", True)`` (the old ``to(device, async)``) matches no
    overload, PyTorch's TypeError."""
    if len(args) >= 2 and _is_device(args[0]) and not (
            args[1] is None or isinstance(args[1], (D.dtype, type))):
        from ..._methods_convert import _to_refusal

        raise TypeError(_to_refusal(args, kwargs))
    device, dtype = kwargs.get("device"), kwargs.get("dtype")
    if "tensor" in kwargs:
        dtype = kwargs["tensor"].dtype
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, (str, Device)) or isinstance(a, int) and not isinstance(a, bool):
            device = a
        elif isinstance(a, bool):  # to(dtype, True) / to(device, dtype, True): non_blocking;
            dtype = D.bool_ if i == 0 else dtype  # a first one PyTorch's parser reads as bool
        elif a is not None:
            dtype = a
    return device, dtype


def _is_device(a) -> bool:
    return isinstance(a, (str, Device)) or isinstance(a, int) and not isinstance(a, bool)


def module_to(module, args: tuple, kwargs: dict):
    fmt = kwargs.get("memory_format")
    if fmt is not None:
        from ..._memory_format import memory_format

        if not isinstance(fmt, memory_format):  # PyTorch's parser: no overload matches
            from ..._methods_convert import _to_refusal

            raise TypeError(_to_refusal(args, kwargs))
        kwargs = {k: v for k, v in kwargs.items() if k != "memory_format"}
    device, dtype = _parse_to(args, kwargs)
    if device is not None:
        dev = Device(f"cuda:{device}" if isinstance(device, int) else device)
        if dev.type != "cpu" and _holds_tensors(module):  # (nothing to move: a no-op)
            from ...cuda import _no_cuda

            _no_cuda(str(dev), moving=True)
    if dtype is None and fmt is None:
        return module
    dt = None if dtype is None else D.to_dtype(dtype)
    if dt is not None and not dt.is_floating_point:
        raise TypeError("nn.Module.to only accepts floating point or complex dtypes, but got "
                        f"desired dtype={dt}")
    return module._apply(lambda t: _convert(t, dt, fmt))


def _convert(t: Tensor, dt, fmt) -> Tensor:
    """One parameter or buffer under ``Module.to``: floating ones cast to ``dt``; with a
    ``memory_format`` every 4-d or 5-d one (integer ones too) goes as PyTorch's
    ``t.to(dtype if floating else None, memory_format=fmt)``: t itself when no cast is asked
    and its strides already read as that format; else a copy, with t's strides under
    preserve_format, the format's own strides under the others."""
    cast = dt if dt is not None and t.is_floating_point() else None
    if fmt is None or t.dim() not in (4, 5):
        return t if cast is None else t.to(cast)
    from ..._memory_format import channels_order, preserve_format
    from ...creation import _leaf, empty_like

    if fmt is preserve_format:
        if cast is None:
            return t
        from ...ops._layout import empty_like as strided_like

        out = strided_like(t._data, D.to_np(cast))  # t's strides, as PyTorch's
        out[...] = t._data
        return _leaf(out, False)
    order = channels_order(fmt, t.dim(), True)
    own = _strides_like(t, (0, 2, 3, 1) if t.dim() == 4 else (0, 2, 3, 4, 1))
    if cast is None and own == (order is not None):  # PyTorch's suggested format is fmt
        return t
    return empty_like(t, dtype=cast, memory_format=fmt).copy_(t)


def _strides_like(t: Tensor, order) -> bool:
    """Whether t's strides already read as the channels-last layout ``order`` (PyTorch's
    suggest_memory_format test: strides non-decreasing from the channels dim outward, size-1
    dims not counted): then ``to(memory_format=...)`` keeps them; else the result gets the
    format's own strides (a (4, 4, 1, 1) row-major weight becomes (4, 1, 4, 4))."""
    sizes, strides, low = t.shape, t.stride(), 0
    for d in reversed(order):
        if sizes[d] == 0 or strides[d] < low or d == 0 and low == strides[1]:
            return False
        low = strides[d] * sizes[d] if sizes[d] > 1 else strides[d]
    return True


def _holds_tensors(module) -> bool:
    """Whether the module or a submodule has a parameter or buffer (to(device) moves them)."""
    return any(t is not None for m in module.modules()
               for t in (*m._parameters.values(), *m._buffers.values()))


class DeviceMixin:
    """Module's device and dtype conversions."""

    def _apply(self, fn: Callable[[Tensor], Tensor], recurse: bool = True) -> "Module":
        return apply_to_tensors(self, fn, recurse)

    def to(self, *args: Any, **kwargs: Any) -> "Module":
        """Cast floating parameters and buffers: ``to(dtype)``, ``to(device)``, ``to(tensor)``."""
        return module_to(self, args, kwargs)

    def cpu(self) -> "Module":
        return self

    def cuda(self, device=None) -> "Module":
        # each tensor's .cuda(device), as PyTorch's _apply: a module without any is returned
        return self._apply(lambda t: t.cuda(device))

    def xpu(self, device=None) -> "Module":
        """Each tensor's ``.xpu(device)``: this build has no XPU, so a module holding a
        tensor raises PyTorch's AssertionError; one without any comes back as is."""
        return self._apply(lambda t: _no_accelerator("xpu"))

    def ipu(self, device=None) -> "Module":
        return self._apply(lambda t: _no_accelerator("ipu"))

    def mtia(self, device=None) -> "Module":
        return self._apply(lambda t: _no_accelerator("mtia"))

    def to_empty(self, *, device, recurse: bool = True) -> "Module":
        """Parameters and buffers replaced by uninitialised tensors of the same shape and
        dtype on ``device`` (``torch.empty_like(t, device=device)`` for each)."""
        from ...creation import empty_like

        return self._apply(lambda t: empty_like(t, device=device), recurse=recurse)

    def compile(self, *args: Any, **kwargs: Any) -> None:
        """``torch.compile`` this module's call in place (returns None). ember runs eagerly:
        the arguments are checked as ``torch.compile`` checks them, the call is unchanged."""
        from ... import compile as _compile

        _compile(lambda: None, *args, **kwargs)

    def float(self) -> "Module":
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)

    def double(self) -> "Module":
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)

    def half(self) -> "Module":
        return self._apply(lambda t: t.half() if t.is_floating_point() else t)

    def bfloat16(self) -> "Module":  # ember has no bfloat16: raises at the first float tensor
        return self._apply(lambda t: t.bfloat16() if t.is_floating_point() else t)

    def type(self, dst_type) -> "Module":
        return self._apply(lambda t: t.type(dst_type))

    def share_memory(self) -> "Module":
        """Move parameters, their grads and buffers to shared memory, in place (Hogwild)."""
        from ...multiprocessing import _shm

        tensors = []
        for m in self.modules():
            for t in (*m._parameters.values(), *m._buffers.values()):
                if t is not None:
                    tensors.append(t)
                    if t._grad is not None:
                        tensors.append(t._grad)
        _shm.share_tensors(tensors)
        return self
