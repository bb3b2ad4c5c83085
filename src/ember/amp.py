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
    'cuda' (not available) a pass-through, as PyTorch; for 'cpu' it scales for real."""

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        self._device = device
        self._enabled = bool(enabled)
        if self._enabled and device == "cuda":
            warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  "
                          "Disabling.", UserWarning, stacklevel=2)
            self._enabled = False
        if growth_factor <= 1.0:
            raise AssertionError("The growth factor must be > 1.0.")
        if backoff_factor >= 1.0:
            raise AssertionError("The backoff factor must be < 1.0.")
        self._scale = float(init_scale)
        self._growth_factor, self._backoff_factor = float(growth_factor), float(backoff_factor)
        self._growth_interval, self._growth_tracker = int(growth_interval), 0
        self._unscaled: dict = {}  # id(optimizer) -> whether an inf/nan was found

    def is_enabled(self) -> bool:
        return self._enabled

    def get_scale(self) -> float:
        return self._scale if self._enabled else 1.0

    def scale(self, outputs):
        """outputs times the scale (a tensor, or nested lists/tuples of them)."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            return outputs * self._scale
        return type(outputs)(self.scale(o) for o in outputs)

    def unscale_(self, optimizer) -> None:
        """Divide the optimizer's gradients by the scale, noting any inf/nan."""
        if not self._enabled:
            return
        if id(optimizer) in self._unscaled:
            raise RuntimeError("unscale_() has already been called on this optimizer since the "
                               "last update().")
        found = False
        inv = 1.0 / self._scale
        for group in optimizer.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                arr = g._ensure_array()
                arr *= np.asarray(inv, arr.dtype)
                found = found or not np.isfinite(arr).all()
        self._unscaled[id(optimizer)] = found

    def step(self, optimizer, *args, **kwargs):
        """optimizer.step(), skipped when the unscaled gradients hold an inf or nan."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if id(optimizer) not in self._unscaled:
            self.unscale_(optimizer)
        if self._unscaled[id(optimizer)]:
            return None
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None) -> None:
        """Back off after an inf/nan step; grow after growth_interval clean ones."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale)
        elif any(self._unscaled.values()):
            self._scale *= self._backoff_factor
            self._growth_tracker = 0
        else:
            self._growth_tracker += 1
            if self._growth_tracker == self._growth_interval:
                self._scale *= self._growth_factor
                self._growth_tracker = 0
        self._unscaled = {}

    def state_dict(self) -> dict:
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
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
