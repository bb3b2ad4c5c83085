"""torch._dynamo's parts that training scripts touch (``config.suppress_errors = True``,
``reset()``): ember has no compiler (``torch.compile`` returns the function, or the module
in an ``eval_frame.OptimizedModule``), so these only keep such scripts running. The config
takes PyTorch's names and rejects unknown ones."""

from __future__ import annotations

from . import _eval_frame as eval_frame  # (torch._dynamo.eval_frame.OptimizedModule)
from .compiler import disable, is_compiling, reset

__all__ = ["config", "reset", "is_compiling", "disable"]

# PyTorch's defaults for the options scripts set most.
_DEFAULTS = {
    "suppress_errors": False, "cache_size_limit": 8, "recompile_limit": 8,
    "accumulated_cache_size_limit": 256, "accumulated_recompile_limit": 256,
    "verbose": False, "capture_scalar_outputs": False,
    "capture_dynamic_output_shape_ops": False, "automatic_dynamic_shapes": True,
    "assume_static_by_default": True, "optimize_ddp": True, "specialize_int": False,
    "force_parameter_static_shapes": True, "error_on_recompile": False,
    "guard_nn_modules": True,
}


class _Config:
    """Attribute access to the options above; an unknown name is PyTorch's AttributeError."""

    def __init__(self) -> None:
        object.__setattr__(self, "_values", dict(_DEFAULTS))

    def __getattr__(self, name):
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"torch._dynamo.config.{name} does not exist") from None

    def __setattr__(self, name, value) -> None:
        if name not in self._values:
            raise AttributeError(f"torch._dynamo.config.{name} does not exist")
        self._values[name] = value


config = _Config()
