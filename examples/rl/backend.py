"""Pick the tensor library the RL examples run on: ember (default) or real PyTorch.

The agents are written against PyTorch's API only, so `load("ember")` and `load("torch")`
give interchangeable module objects.
"""
import importlib
from types import ModuleType

BACKENDS = ("ember", "torch")


def load(name: str = "ember") -> ModuleType:
    """Import and return `ember` or `torch`, with the submodules the agents use loaded."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; expected one of {BACKENDS}")
    module = importlib.import_module(name)
    # Real torch loads these on import; importing them explicitly also covers a library
    # whose __init__ does not import its subpackages.
    for sub in ("nn", "nn.functional", "nn.utils", "optim", "distributions"):
        importlib.import_module(f"{name}.{sub}")
    if hasattr(module, "set_num_threads"):
        # The networks here are tiny; extra BLAS threads only add synchronisation cost.
        module.set_num_threads(1)
    return module
