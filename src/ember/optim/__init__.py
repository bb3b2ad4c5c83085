"""ember.optim: PyTorch's optimizers and learning-rate schedulers, updating NumPy arrays in
place (see ``_fused.py`` for how a step stays cheap on small networks). Adafactor,
SparseAdam, Muon and ``swa_utils`` (which needs ember.nn) load on first use."""

import importlib as _importlib

from . import lr_scheduler  # noqa: F401
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer, required  # noqa: F401
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
           "NAdam", "RAdam", "Rprop", "ASGD", "LBFGS", "Adafactor", "SparseAdam", "Muon",
           "lr_scheduler", "swa_utils"]

_LAZY = {"Adafactor": "adafactor", "SparseAdam": "sparse_adam", "Muon": "muon"}


def __getattr__(name: str):
    if name == "swa_utils":
        return _importlib.import_module(f"{__name__}.swa_utils")
    if name in _LAZY:
        value = getattr(_importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
