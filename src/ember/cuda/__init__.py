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
    pass


def empty_cache() -> None:
    pass


def _no_cuda(device) -> None:
    raise AssertionError(
        "Torch not compiled with CUDA enabled\n"
        f"Hint: ember runs on the CPU, so device '{device}' is not available; pick the device with torch.device('cuda' if "
        "torch.cuda.is_available() else 'cpu'), so the script falls back to the CPU."
    )
from . import amp  # noqa: E402,F401 - torch.cuda.amp (deprecated spellings)
