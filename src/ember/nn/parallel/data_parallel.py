"""DataParallel: PyTorch splits each batch across GPUs, runs a replica of the module on each
and gathers the outputs. ember has no GPU; neither has PyTorch on a CPU-only machine, where
DataParallel only wraps the module (``.module``, so state_dict keys gain the prefix
"module.") and its forward calls it. ember does the same."""

from __future__ import annotations

from typing import Any

from ..modules.module import Module


class DataParallel(Module):
    """Wraps ``module``; forward(*inputs, **kwargs) is module(*inputs, **kwargs) (no devices
    to split the batch over: ``device_ids`` is [])."""

    def __init__(self, module: Module, device_ids=None, output_device=None,
                 dim: int = 0) -> None:
        super().__init__()
        self.module = module
        self.device_ids: list = []

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        return self.module(*inputs, **kwargs)


def data_parallel(module: Module, inputs, device_ids=None, output_device=None, dim: int = 0,
                  module_kwargs=None):
    """PyTorch's functional DataParallel needs a GPU; on CPU it raises, as here."""
    raise RuntimeError("device type could not be determined")
