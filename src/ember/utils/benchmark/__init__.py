"""``torch.utils.benchmark`` for ember: ``Timer``, ``Measurement``, ``Compare``.

Timing is wall-clock on the CPU; valgrind instruction counts (``collect_callgrind``) and
C++ statements are not available.
"""

from .common import (  # noqa: F401
    Measurement, TaskSpec, ordered_unique, select_unit, set_torch_threads, trim_sigfig,
    unit_to_english)
from .compare import Colorize, Compare  # noqa: F401
from .fuzzer import FuzzedParameter, FuzzedTensor, Fuzzer, ParameterAlias  # noqa: F401
from .timer import Language, Timer, timer  # noqa: F401

__all__ = ["Timer", "timer", "Language", "Measurement", "TaskSpec", "Compare", "Colorize",
           "select_unit", "unit_to_english", "trim_sigfig", "ordered_unique",
           "set_torch_threads", "Fuzzer", "FuzzedParameter", "FuzzedTensor", "ParameterAlias"]
