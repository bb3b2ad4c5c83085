"""torch.amp: autocast and GradScaler as PyTorch behaves on a machine without CUDA.

Mixed-precision tutorials wrap their steps in ``torch.autocast("cuda", ...)`` and a
``GradScaler("cuda")``. Without CUDA, PyTorch warns and turns both off: the step runs in
float32 and the scaler passes the loss through. ember does the same, so those scripts run
unchanged. A CPU GradScaler is real (loss scaling, inf/nan checks that skip the step, the
scale's growth and backoff); CPU autocast, which computes in bfloat16/float16, is refused with
a clear error rather than run silently in float32 (ember has no bfloat16).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterable

import numpy as np

from .tensor import Tensor

__all__ = ["autocast", "GradScaler", "is_autocast_available", "is_autocast_enabled",
           "get_autocast_dtype",
           "custom_fwd", "custom_bwd"]


def is_autocast_available(device_type: str) -> bool:
    return device_type in ("cpu", "cuda")


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Always False: no autocast region ever runs enabled in ember."""
    if device_type is not None and not isinstance(device_type, str):
        raise TypeError("is_autocast_enabled(): argument 'device_type' (position 1) must be "
                        f"str, not {type(device_type).__name__}")
    return False


def get_autocast_dtype(device_type: str):
    """The dtype autocast would compute in: bfloat16 on the CPU, float16 elsewhere."""
    from . import dtypes
    from ._size_device import device

    if not isinstance(device_type, str):
        raise TypeError("get_autocast_dtype(): argument 'device_type' (position 1) must be "
                        f"str, not {type(device_type).__name__}")
    return dtypes._by_name("bfloat16" if device(device_type).type == "cpu" else "float16")


class autocast:  # noqa: N801 - PyTorch's name
    """Context manager / decorator. device_type 'cuda' without CUDA: a warning, then off."""

    def __init__(self, device_type: str, dtype=None, enabled: bool = True,
                 cache_enabled=None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.device, self.fast_dtype, self._enabled = device_type, dtype, bool(enabled)
        if self._enabled and device_type == "cuda":
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.",
                          UserWarning, stacklevel=2)
            self._enabled = False
        if self._enabled and device_type == "cpu" and dtype is not None and \
                getattr(dtype, "name", None) not in ("float16", "bfloat16"):
            # PyTorch turns CPU autocast off for any other dtype, with this warning.
            warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling "
                          "autocast.\nCPU Autocast only supports dtypes of torch.bfloat16, "
                          "torch.float16 currently.", UserWarning, stacklevel=2)
            self._enabled = False
        if self._enabled and device_type == "cpu":
            raise NotImplementedError(
                "ember: autocast on the CPU computes in bfloat16/float16, which ember does not "
                "have; run in float32 (remove the autocast block, or pass enabled=False)")

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> bool:
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return wrapper


class GradScaler:
    """Loss scaling: ``scale(loss).backward()``, ``step(optimizer)``, ``update()``. For device
    'cuda' (not available) a pass-through, as PyTorch; for 'cpu' it scales for real.

    As PyTorch's, the scale is a float32 number made on the first ``scale()`` call (before it,
    ``get_scale()`` reports ``init_scale`` and ``unscale_`` / ``step`` / ``update`` refuse), and
    each optimizer goes through the stages ready -> unscaled -> stepped until ``update()``."""

    _FIX = ("This may indicate your script did not use scaler.scale(loss or outputs) earlier "
            "in the iteration.")

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        self._device = device
        self._enabled = enabled  # as given: is_enabled() hands it back unchanged
        if enabled and device == "cuda":
            warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  "
                          "Disabling.", UserWarning, stacklevel=2)
            self._enabled = False
        self._unscaled: dict = {}  # id(optimizer) -> inf/nan found (None: no gradients)
        self._stepped: set = set()  # ids of the optimizers stepped since the last update()
        if not self._enabled:
            # As PyTorch: a disabled scaler checks no factors and keeps none of them, so
            # get_growth_factor() & co. raise AttributeError there.
            return
        if growth_factor <= 1.0:
            raise AssertionError("The growth factor must be > 1.0.")
        if backoff_factor >= 1.0:
            raise AssertionError("The backoff factor must be < 1.0.")
        self._init_scale = init_scale
        self._scale = None  # the float32 scale, made by the first scale()
        self._growth_factor, self._backoff_factor = growth_factor, backoff_factor
        self._growth_interval, self._init_growth_tracker = growth_interval, 0
        self._growth_tracker = None

    def is_enabled(self) -> bool:
        return self._enabled

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def _get_growth_tracker(self) -> int:
        if not self._enabled:
            return 0
        return (self._init_growth_tracker if self._growth_tracker is None
                else self._growth_tracker)

    def get_scale(self) -> float:
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else self._scale

    def _check_scale(self, funcname: str) -> None:
        if self._scale is None:
            raise AssertionError(f"Attempted {funcname} but _scale is None.  " + self._FIX)

    def scale(self, outputs):
        """outputs times the scale (a tensor, or nested lists/tuples/iterables of them)."""
        if not self._enabled:
            return outputs
        if self._scale is None and (isinstance(outputs, Tensor)
                                    or isinstance(outputs, Iterable)):
            self._scale = float(np.float32(self._init_scale))
            self._growth_tracker = int(self._init_growth_tracker)
        if isinstance(outputs, Tensor):
            return outputs * self._scale
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        if isinstance(outputs, Iterable):
            return map(self.scale, outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def unscale_(self, optimizer) -> None:
        """Divide the optimizer's gradients by the scale, noting any inf/nan."""
        if not self._enabled:
            return
        self._check_scale("unscale_")
        if id(optimizer) in self._stepped:
            raise RuntimeError("unscale_() is being called after step().")
        if id(optimizer) in self._unscaled:
            raise RuntimeError("unscale_() has already been called on this optimizer since the "
                               "last update().")
        found = None
        inv = np.float32(1.0 / self._scale)  # PyTorch: the reciprocal in float64, then float32
        for group in optimizer.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                arr = g._ensure_array()
                arr *= np.asarray(inv, arr.dtype)
                found = bool(found) or not np.isfinite(arr).all()
        self._unscaled[id(optimizer)] = found

    def step(self, optimizer, *args, **kwargs):
        """optimizer.step(), skipped when the unscaled gradients hold an inf or nan."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale("step")
        if id(optimizer) in self._stepped:
            raise RuntimeError("step() has already been called since the last update().")
        if id(optimizer) not in self._unscaled:
            self.unscale_(optimizer)
        found = self._unscaled[id(optimizer)]
        if found is None:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        out = None if found else optimizer.step(*args, **kwargs)
        self._stepped.add(id(optimizer))
        return out

    def update(self, new_scale=None) -> None:
        """Back off after an inf/nan step; grow after growth_interval clean ones."""
        if not self._enabled:
            return
        self._check_scale("update")
        if new_scale is not None:
            if isinstance(new_scale, float):
                self._scale = float(np.float32(new_scale))
            else:
                reason = ("new_scale should be a float or a 1-element torch.cuda.FloatTensor or "
                          "torch.FloatTensor with requires_grad=False.")
                if new_scale.device.type != self._device or new_scale.numel() != 1 \
                        or new_scale.requires_grad is True:
                    raise AssertionError(reason)
                self._scale = float(np.float32(new_scale.item()))
        else:
            found = [f for f in self._unscaled.values() if f is not None]
            if not found:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(found):
                self._scale = float(np.float32(self._scale * self._backoff_factor))
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    grown = np.float32(self._scale * self._growth_factor)
                    if np.isfinite(grown):  # PyTorch never grows the scale to inf
                        self._scale = float(grown)
                    self._growth_tracker = 0
        self._unscaled, self._stepped = {}, set()

    def state_dict(self) -> dict:
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._get_growth_tracker()}

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._init_scale = state_dict["scale"]
        if self._scale is not None:
            self._scale = float(np.float32(state_dict["scale"]))
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._init_growth_tracker = int(state_dict["_growth_tracker"])
        if self._growth_tracker is not None:
            self._growth_tracker = int(state_dict["_growth_tracker"])


def custom_fwd(fwd=None, *, device_type: str, cast_inputs=None):
    """Decorator for a custom Function's forward; with autocast always off, returns it as is."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    return fwd


def custom_bwd(bwd=None, *, device_type: str):
    """Decorator for a custom Function's backward; returns it as is."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd


def _register_submodules() -> None:
    """torch.amp.autocast_mode / torch.amp.grad_scaler, where PyTorch defines these names:
    scripts import them from there (``from torch.amp.autocast_mode import autocast``)."""
    import sys
    import types

    for sub, names in (("autocast_mode", ("autocast", "is_autocast_available", "custom_fwd",
                                          "custom_bwd")),
                       ("grad_scaler", ("GradScaler",))):
        mod = types.ModuleType(f"{__name__}.{sub}")
        for n in names:
            setattr(mod, n, globals()[n])
        sys.modules[mod.__name__] = mod
        globals()[sub] = mod


__path__: list = []  # a package to the import system, so `import torch.amp.autocast_mode` works
_register_submodules()
