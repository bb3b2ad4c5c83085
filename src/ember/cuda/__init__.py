"""ember.cuda: there is no GPU backend, so scripts written for GPUs take their CPU branch."""

from __future__ import annotations


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    pass


def manual_seed_all(seed: int) -> None:
    pass


def synchronize(device=None) -> None:
    raise AssertionError(_NOT_COMPILED)


_NOT_COMPILED = "Torch not compiled with CUDA enabled"


def _refuse(*args, **kwargs):
    raise AssertionError(_NOT_COMPILED)


# What needs a device refuses as a CPU-only PyTorch build does; the memory counters read 0.
current_device = get_device_name = get_device_properties = get_device_capability = _refuse
init = ipc_collect = get_rng_state = initial_seed = mem_get_info = current_stream = _refuse


def memory_allocated(device=None) -> int:
    return 0


max_memory_allocated = memory_reserved = max_memory_reserved = memory_allocated


def is_initialized() -> bool:
    return False


def seed() -> None:
    pass


def seed_all() -> None:
    pass


def get_rng_state_all() -> list:
    """One state per GPU: none here, so checkpoint code saving it unguarded runs."""
    return []


def set_rng_state(new_state, device="cuda") -> None:
    new_state.clone()  # queued until CUDA starts, which it never does; a non-tensor fails now


def set_rng_state_all(new_states) -> None:
    for state in new_states:
        set_rng_state(state)


class _CudaTensorType(type):
    """torch.cuda.FloatTensor & co exist (``dtype = torch.cuda.FloatTensor if use_cuda else
    torch.FloatTensor``) but refuse to build tensors, as without CUDA."""

    def __call__(cls, *args, **kwargs):
        raise TypeError(f"type {cls.__module__}.{cls.__name__} not available. "
                        f"{_NOT_COMPILED}.")


for _name in ("Float", "Double", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte",
              "Bool"):
    globals()[_name + "Tensor"] = _CudaTensorType(
        _name + "Tensor", (), {"__module__": "torch.cuda", "is_cuda": True,
                               "_ember_type_name": f"torch.cuda.{_name}Tensor"})

# What a CPU-only PyTorch says to x.type('torch.cuda.FloatTensor').
NO_ATEN_CUDA = (
    "Cannot initialize CUDA without ATen_cuda library. PyTorch splits its backend into two "
    "shared libraries: a CPU library and a CUDA library; this error has occurred because you "
    "are trying to use some CUDA functionality, but the CUDA library has not been loaded by the "
    "dynamic linker for some reason.  The CUDA library MUST be loaded, EVEN IF you don't "
    "directly use any symbols from the CUDA library! One common culprit is a lack of "
    "-Wl,--no-as-needed in your link arguments; many dynamic linkers will delete dynamic "
    "library dependencies if you don't depend on any of their symbols.  You can check if this "
    "has occurred by using ldd on your binary to see if there is a dependency on *_cuda.so "
    "library.")


def empty_cache() -> None:
    pass


_HINT = ("\nHint: ember has no GPU backend; keep the CPU device "
         "(torch.cuda.is_available() is False).")


def _device_index(device, optional=False):
    """A CUDA device's index as PyTorch's _get_device_index reads it (-1: the CPU, a no-op)."""
    from .._size_device import device as _device

    if isinstance(device, str):
        device = _device(device)
    given = device
    if isinstance(device, _device):
        if device.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {device}")
        device = device.index
    elif isinstance(device, _DeviceContext):
        return device.idx
    if isinstance(device, int):
        return device
    if not optional:
        device = given
        raise ValueError("Expected a torch.device with a specified index or an integer, "
                         f"but got:{device}")
    return None  # (PyTorch: the current device's, which a CPU-only build has none of)


def set_device(device) -> None:
    """A negative index is a no-op; any other device fails where a CPU-only PyTorch does."""
    if _device_index(device) >= 0:
        raise AttributeError("module 'torch._C' has no attribute '_cuda_setDevice'" + _HINT)


class _DeviceContext:
    """torch.cuda.device(i): built freely, refused on entering unless i < 0 (or None)."""

    def __init__(self, device):
        self.idx = _device_index(device, optional=True)
        self.prev_idx = -1

    def __enter__(self):
        if self.idx < 0:  # (None fails this comparison, as in PyTorch)
            self.prev_idx = -1
            return None
        raise RuntimeError("PyTorch was compiled without CUDA support" + _HINT)

    def __exit__(self, *exc):
        return False


_DeviceContext.__name__ = _DeviceContext.__qualname__ = "device"
_DeviceContext.__module__ = "torch.cuda"
globals()["device"] = _DeviceContext


class Stream:
    def __new__(cls, *args, **kwargs):
        raise RuntimeError("torch.cuda.Stream requires CUDA support" + _HINT)


class Event:
    def __new__(cls, *args, **kwargs):
        raise RuntimeError("Tried to instantiate dummy base class Event" + _HINT)


def reset_peak_memory_stats(device=None) -> None:
    raise AttributeError("module 'torch._C' has no attribute '_cuda_resetPeakMemoryStats'"
                         + _HINT)


def get_arch_list() -> list:
    return []


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False


def _no_cuda(device, moving: bool = False, op: str = "aten::empty.memory_format") -> None:
    """PyTorch's error (a CPU-only build's) for a tensor made on, or moved/copied to
    (``moving``), a device other than the CPU, and a hint. ``op``: the allocation PyTorch
    names for an MPS tensor (empty_strided for the *_like functions)."""
    kind = getattr(device, "type", str(device).split(":")[0])
    if kind == "mps":
        hint = ("\nHint: ember runs on the CPU; pick the device with torch.device('mps' if "
                "torch.backends.mps.is_available() else 'cpu'), so the script falls back to it.")
        if moving:
            raise RuntimeError("PyTorch is not linked with support for mps devices" + hint)
        raise NotImplementedError(
            f"Could not run '{op}' with arguments from the 'MPS' backend. "
            "This could be because the operator doesn't exist for this backend, or was "
            "omitted during the selective/custom build process (if using custom build)." + hint)
    if kind == "meta":  # (PyTorch has it)
        raise NotImplementedError(
            "ember has no 'meta' device: its tensors always hold data (NumPy arrays).\n"
            "Hint: to learn output shapes, run the model on a small CPU input "
            "(e.g. a batch of 1), or run this script with real PyTorch.")
    raise AssertionError(
        "Torch not compiled with CUDA enabled\n"
        f"Hint: ember runs on the CPU, so device '{device}' is not available; pick the device with torch.device('cuda' if "
        "torch.cuda.is_available() else 'cpu'), so the script falls back to the CPU."
    )
from . import amp  # noqa: E402,F401 - torch.cuda.amp (deprecated spellings)
