"""``ember.nn.parallel``: DataParallel and data_parallel, as PyTorch behaves with no GPU, and
DistributedDataParallel, as PyTorch behaves with no process group."""

from .data_parallel import DataParallel, data_parallel  # noqa: F401
from .distributed import DistributedDataParallel  # noqa: F401

__all__ = ["DataParallel", "data_parallel", "DistributedDataParallel"]
