"""The names ``torch.typename`` gives ember's own functions, as PyTorch's library names its
(``nn.Sequential(nn.Linear(4, 8), torch.relu)``'s TypeError reads 'torch._VariableFunctionsClass
.relu is not a Module subclass'). Most of PyTorch's top-level functions are C builtins of
torch._VariableFunctionsClass and most of torch.nn.functional is Python; the tables list the
exceptions, each name to its full typename prefix (the typename is prefix + '.' + name, or
the prefix alone where PyTorch's function is a wrapper with its own qualname)."""

from __future__ import annotations

import sys


def _table(groups: dict[str, str]) -> dict[str, str]:
    return {name: home for home, names in groups.items() for name in names.split()}


# torch.<name>: where PyTorch defines the ones that are not _VariableFunctionsClass builtins
_TOP = _table({
    "torch": "are_deterministic_algorithms_enabled compile cond get_autocast_dtype "
             "get_default_device get_default_dtype get_deterministic_debug_mode "
             "get_float32_matmul_precision get_num_interop_threads get_num_threads "
             "is_anomaly_check_nan_enabled is_anomaly_enabled is_autocast_enabled "
             "is_deterministic_algorithms_warn_only_enabled is_grad_enabled "
             "is_inference_mode_enabled is_tensor is_warn_always_enabled set_anomaly_enabled "
             "set_default_device set_default_dtype set_default_tensor_type "
             "set_deterministic_debug_mode set_float32_matmul_precision set_flush_denormal "
             "set_num_interop_threads set_num_threads set_warn_always typename "
             "use_deterministic_algorithms",
    "torch.functional": "atleast_1d atleast_2d atleast_3d block_diag broadcast_shapes "
                        "broadcast_tensors cartesian_prod cdist chain_matmul einsum meshgrid "
                        "norm split tensordot unravel_index",
    "torch._linalg_utils": "eig lstsq matrix_rank solve",
    "torch.utils.dlpack": "from_dlpack",
    "torch.random": "get_rng_state initial_seed manual_seed seed set_rng_state "
                    "thread_safe_generator",
    "torch.serialization": "load save",
    "torch._lowrank": "pca_lowrank svd_lowrank",
    "torch._tensor_str": "set_printoptions",
    "torch.func": "vmap",
    "torch._higher_order_ops.while_loop": "while_loop",
})
_TOP_WRAPPED = _table({
    "torch.functional.boolean_dispatch.<locals>.fn": "lu unique unique_consecutive",
    "torch._linalg_utils._symeig": "symeig",
})

# torch.nn.functional.<name>: the ones that are not Python functions of torch.nn.functional
_F = _table({
    "torch._VariableFunctionsClass": "adaptive_avg_pool1d avg_pool1d bilinear celu_ "
                                     "channel_shuffle conv1d conv2d conv3d conv_tbc "
                                     "conv_transpose1d conv_transpose2d conv_transpose3d "
                                     "cosine_similarity hardshrink native_channel_shuffle "
                                     "pairwise_distance pdist pixel_shuffle pixel_unshuffle "
                                     "prelu relu_ rrelu_ selu_ threshold_",
    "torch._C._nn": "avg_pool2d avg_pool3d elu_ gelu hardtanh_ leaky_relu_ linear one_hot "
                    "scaled_dot_product_attention softplus softshrink",
})
_F_WRAPPED = _table({
    "torch.nn.functional.boolean_dispatch.<locals>.fn":
        "adaptive_max_pool1d adaptive_max_pool2d adaptive_max_pool3d fractional_max_pool2d "
        "fractional_max_pool3d max_pool1d max_pool2d max_pool3d",
    "torch._C._nn.log_sigmoid": "logsigmoid",
    "torch.nn.functional._threshold": "threshold",
})


# torch.<class>: the C types PyTorch names torch.<name> (ember's live in submodules), and
# classes PyTorch defines elsewhere than ember does; other classes go by their module path
_SHORT = frozenset("Node Size Tensor device dtype layout memory_format".split())
_CLASSES = {"Generator": "torch._C.Generator", "GradScaler": "torch.amp.grad_scaler.GradScaler",
            "autocast": "torch.amp.autocast_mode.autocast"}


def ember_typename(obj, name: str, module: str) -> str:
    """torch.typename of an object of ember's (``module`` starts with 'ember'): its class
    under torch's name (torch.Size, torch.nn.modules.linear.Linear), a function of torch or
    torch.nn.functional as PyTorch names that function, anything else under torch's path."""
    top = sys.modules["ember"]
    if isinstance(obj, type) or getattr(obj, "__qualname__", None) is None:  # class, instance
        cls = obj if isinstance(obj, type) else type(obj)
        if getattr(top, name, None) is cls:
            if name in _SHORT:
                return f"torch.{name}"
            if name in _CLASSES:
                return _CLASSES[name]
        return f"torch{module[5:]}.{name}"
    functional = sys.modules.get("ember.nn.functional")
    if functional is not None and getattr(functional, name, None) is obj:
        if name in _F_WRAPPED:
            return _F_WRAPPED[name]
        return f"{_F.get(name, 'torch.nn.functional')}.{name}"
    if getattr(top, name, None) is not obj:  # an alias (torch.bitwise_left_shift): its name
        name = next((k for k, v in vars(top).items() if v is obj and k[0] != "_"), None) or name
    if getattr(top, name, None) is obj:
        if name in _TOP_WRAPPED:
            return _TOP_WRAPPED[name]
        return f"{_TOP.get(name, 'torch._VariableFunctionsClass')}.{name}"
    return f"torch{module[5:]}.{name}"
