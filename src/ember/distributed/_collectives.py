"""The collectives of ``torch.distributed`` and their constants, as a process that never
called ``init_process_group`` sees them: each checks its tensor arguments (PyTorch's
TypeError) and then needs the default group, which does not exist (PyTorch's ValueError).
DINO's ``dist.all_reduce(batch_center)`` or VICReg's ``FullGatherLayer`` run into the
same error as on PyTorch without a process group."""

from __future__ import annotations

import enum

from ..tensor import Tensor

__all__ = ["ReduceOp", "Backend", "group", "GroupMember", "all_reduce", "all_gather",
           "all_gather_object", "broadcast", "broadcast_object_list", "reduce",
           "reduce_scatter", "scatter", "gather", "all_to_all", "send", "recv", "isend",
           "irecv", "get_backend", "new_group", "monitored_barrier", "destroy_process_group",
           "is_nccl_available", "is_gloo_available", "is_mpi_available"]

_NO_GROUP = ("Default process group has not been initialized, please make sure to call "
             "init_process_group.")


class _RedOpType(enum.Enum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8


_RedOpType.__name__ = _RedOpType.__qualname__ = "RedOpType"


class ReduceOp:
    """The reductions a collective can apply: ``ReduceOp.SUM`` ... (``RedOpType`` members)."""

    RedOpType = _RedOpType
    SUM = _RedOpType.SUM
    AVG = _RedOpType.AVG
    PRODUCT = _RedOpType.PRODUCT
    MIN = _RedOpType.MIN
    MAX = _RedOpType.MAX
    BAND = _RedOpType.BAND
    BOR = _RedOpType.BOR
    BXOR = _RedOpType.BXOR
    PREMUL_SUM = _RedOpType.PREMUL_SUM


class Backend(str):
    """A backend name: ``Backend("GLOO")`` is the plain string "gloo", as in PyTorch."""

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    UCC = "ucc"
    MPI = "mpi"

    def __new__(cls, name: str):
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, but got: "
                             f"{type(name)}")
        return name.lower()


class GroupMember:
    """``dist.GroupMember.WORLD``: the default group, None until one is initialised."""

    WORLD = None
    NON_GROUP_MEMBER = -100


class group:
    """``dist.group.WORLD``: the default group, None until one is initialised."""

    WORLD = None


def _check_tensor(x, name: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        "torch.Tensor")


def _check_tensor_list(x, name: str) -> None:
    if not (isinstance(x, list) and all(isinstance(t, Tensor) for t in x)):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        "List[torch.Tensor]")


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduce ``tensor`` over every process in place: needs the default group."""
    _check_tensor(tensor, "tensor")
    raise ValueError(_NO_GROUP)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Gather ``tensor`` from every process into ``tensor_list``: needs the default group."""
    _check_tensor_list(tensor_list, "tensor_list")
    _check_tensor(tensor, "tensor")
    raise ValueError(_NO_GROUP)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduce, then scatter ``input_list`` over the processes: needs the default group."""
    _check_tensor(output, "output")
    _check_tensor_list(input_list, "input_list")
    raise ValueError(_NO_GROUP)


def recv(tensor, src=None, group=None, tag: int = 0, group_src=None):
    """Receive ``tensor`` from ``src``: needs the default group."""
    _check_tensor(tensor, "tensor")
    raise ValueError(_NO_GROUP)


def _needs_group(name: str, doc: str):
    def fn(*args, **kwargs):
        raise ValueError(_NO_GROUP)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{doc}: needs the default process group (PyTorch's ValueError without one)."
    return fn


all_gather_object = _needs_group("all_gather_object", "Gather a picklable object")
broadcast = _needs_group("broadcast", "Send ``tensor`` from ``src`` to every process")
broadcast_object_list = _needs_group("broadcast_object_list", "Broadcast picklable objects")
reduce = _needs_group("reduce", "Reduce ``tensor`` onto the process ``dst``")
scatter = _needs_group("scatter", "Scatter ``scatter_list`` from ``src``")
gather = _needs_group("gather", "Gather ``tensor`` onto ``dst``")
all_to_all = _needs_group("all_to_all", "Exchange tensor lists between every process")
send = _needs_group("send", "Send ``tensor`` to ``dst``")
isend = _needs_group("isend", "Send ``tensor`` to ``dst`` asynchronously")
irecv = _needs_group("irecv", "Receive ``tensor`` from ``src`` asynchronously")
get_backend = _needs_group("get_backend", "The backend of ``group``")
new_group = _needs_group("new_group", "A group of some of the processes")
monitored_barrier = _needs_group("monitored_barrier", "A barrier that reports late ranks")


def destroy_process_group(group=None) -> None:
    """Tear down ``group`` (the default one): there is none (PyTorch's AssertionError)."""
    raise AssertionError("Process group cannot be None")


def is_nccl_available() -> bool:
    """NCCL needs CUDA: False, as on a CPU build of PyTorch."""
    return False


def is_gloo_available() -> bool:
    """True, as on PyTorch's Linux builds (no group is ever set up in ember)."""
    return True


def is_mpi_available() -> bool:
    return False
