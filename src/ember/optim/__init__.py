"""ember.optim: PyTorch's optimizers and learning-rate schedulers, updating NumPy arrays in
place (see ``_fused.py`` for how a step stays cheap on small networks)."""

from . import lr_scheduler  # noqa: F401
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer, required  # noqa: F401
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
