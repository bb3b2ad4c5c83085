"""Process-wide switches that PyTorch scripts set at the top
(``torch.use_deterministic_algorithms``, ``torch.set_float32_matmul_precision``, ...), with
PyTorch's state semantics and errors.

ember computes on the CPU with NumPy, which is already deterministic and always multiplies
float32 at full precision, so most switches only record what was asked: scripts run unchanged
and read back what they set. Loaded on first use of one of these names (``ember.__getattr__``).
"""

from __future__ import annotations

import warnings

from . import dtypes as _dtypes
from .tensor import device as _device


class _State:
    deterministic = False
    warn_only = False
    warn_always = False


def _need_bool(value, what: str) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument {what} must be bool, "
                        f"not {type(value).__name__}")


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Record the request; every ember op is deterministic already (NumPy on one device)."""
    _need_bool(mode, "'mode' (position 1)")
    _need_bool(warn_only, "'warn_only'")
    _State.deterministic, _State.warn_only = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    return _State.deterministic


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _State.warn_only


_DEBUG_NAMES = ("default", "warn", "error")


def set_deterministic_debug_mode(debug_mode) -> None:
    """0/'default': off; 1/'warn': deterministic, warn only; 2/'error': deterministic."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_NAMES:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, "
                               f"`warn`, `error`, but got {debug_mode}")
        debug_mode = _DEBUG_NAMES.index(debug_mode)
    elif not isinstance(debug_mode, int):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError("invalid value of debug_mode, expected 0, 1, or 2, but got "
                           f"{debug_mode}")
    _State.deterministic, _State.warn_only = debug_mode != 0, debug_mode == 1


def get_deterministic_debug_mode() -> int:
    if not _State.deterministic:
        return 0
    return 1 if _State.warn_only else 2


def set_float32_matmul_precision(precision: str) -> None:
    """Recorded only: NumPy multiplies float32 at full ('highest') precision whatever is set."""
    if not isinstance(precision, str):
        raise RuntimeError("set_float32_matmul_precision expects a str, but got "
                           f"{type(precision).__name__}")
    if precision not in ("highest", "high", "medium"):
        # PyTorch's wording (sic: "currentsetFloat32MatmulPrecision"), and no effect
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    from .backends import _fp32

    _fp32.set_level(precision)


def get_float32_matmul_precision() -> str:
    """The level set here or through ``torch.backends.cuda.matmul.allow_tf32``; PyTorch's
    error where the per-backend ``fp32_precision`` strings were set against it."""
    from .backends import _fp32

    return _fp32.level()


def set_default_device(device) -> None:
    """Only the CPU (or ``None``, meaning the CPU) can be the default: ember has no GPU."""
    if device is None:
        return
    dev = device if isinstance(device, _device) else _device(device)
    if dev.type != "cpu":
        from .cuda import _no_cuda

        _no_cuda(dev)


def get_default_device() -> _device:
    return _device("cpu")


_warned: set = set()


def warn_once(message: str, category=UserWarning, stacklevel: int = 3) -> None:
    """PyTorch's TORCH_WARN_ONCE: the first time in the process, or every time after
    ``set_warn_always(True)`` (which leaves the once-memory untouched, as the C++ macro's
    static is not reached: the first warning after ``set_warn_always(False)`` still shows)."""
    if _State.warn_always or message not in _warned:
        if not _State.warn_always:
            _warned.add(message)
        from ._warn import user_level

        # (at the user's line, however deep in ember: ``stacklevel`` is kept for callers)
        warnings.warn(message, category, stacklevel=user_level() + 1)


def set_num_interop_threads(n: int) -> None:
    """Checked as PyTorch checks it; ember runs every op on the calling thread."""
    if not isinstance(n, int) or n < 1:
        raise RuntimeError("set_num_interop_threads expects a positive integer")
    from .threads import set_num_interop_threads as _set

    _set(n)


def set_warn_always(b: bool) -> None:
    """Once-only warnings (``warn_once``) warn every time while this is on."""
    if not isinstance(b, bool):
        raise RuntimeError(f"setWarnOnlyOnce expects a bool, but got {type(b).__name__}")
    _State.warn_always = b


def is_warn_always_enabled() -> bool:
    return _State.warn_always


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """``torch.set_anomaly_enabled``: the same switch as ``autograd.set_detect_anomaly``."""
    from .autograd.anomaly import set_detect_anomaly

    set_detect_anomaly(enabled, check_nan)


def is_anomaly_enabled() -> bool:
    from .autograd.grad_mode import STATE

    return bool(STATE.anomaly)


def is_anomaly_check_nan_enabled() -> bool:
    from .autograd.grad_mode import STATE

    return bool(STATE.anomaly_check_nan)


def set_flush_denormal(mode: bool) -> bool:
    """NumPy has no flush-to-zero switch, so turning it on is reported as unsupported
    (``False``, as PyTorch on a CPU without the feature); turning it off succeeds."""
    return not mode


_TENSOR_TYPES = {"torch.FloatTensor": "float32", "torch.DoubleTensor": "float64",
                 "torch.HalfTensor": "float16"}


def set_default_tensor_type(t) -> None:
    """Deprecated in PyTorch 2.1: maps the float tensor types onto ``set_default_dtype``."""
    warn_once("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
              "torch.set_default_dtype() and torch.set_default_device() as alternatives.")
    if isinstance(t, _dtypes.dtype):
        raise TypeError("invalid type object: only floating-point types are supported as the "
                        "default type")
    name = t if isinstance(t, str) else getattr(t, "_ember_type_name", None)
    if name is None:
        # ember's FloatTensor/DoubleTensor/LongTensor are all Tensor: the class alone does not
        # say which dtype was meant
        raise TypeError(f"set_default_tensor_type: cannot tell the dtype of {t!r}; ember "
                        "accepts the type names, e.g. 'torch.DoubleTensor'")
    if name.startswith("torch.cuda."):
        raise TypeError(f"type {name} not available. Torch not compiled with CUDA enabled.")
    if name not in _TENSOR_TYPES:
        if not name.startswith("torch.") or not name.endswith("Tensor"):
            raise ModuleNotFoundError(f"No module named '{name.rsplit('.', 1)[0]}'")
        raise TypeError("only floating-point types are supported as the default type")
    _dtypes.set_default_dtype(_dtypes.to_dtype(_TENSOR_TYPES[name]))
