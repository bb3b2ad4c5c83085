"""DistributedDataParallel: PyTorch wraps the module for gradient all-reduce over the default
process group, which must exist first; ember never has one, so construction raises
PyTorch's ValueError as it does without ``init_process_group``. The class stays for
``isinstance(model, nn.parallel.DistributedDataParallel)`` checks (``model.module if ...``)."""

from __future__ import annotations

from ..modules.module import Module

_NO_GROUP = ("Default process group has not been initialized, please make sure to call "
             "init_process_group.")


class DistributedDataParallel(Module):
    """Data parallelism over processes: needs the default process group (ValueError)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=None, init_sync=True, process_group=None,
                 bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, **kwargs) -> None:
        super().__init__()
        if process_group is None:
            raise ValueError(_NO_GROUP)
        raise RuntimeError("ember has no process groups")  # pragma: no cover
