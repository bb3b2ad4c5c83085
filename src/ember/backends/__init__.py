"""ember.backends: availability flags that scripts check before picking a device."""

from . import mps  # noqa: F401
from . import cudnn  # noqa: F401
from . import cuda  # noqa: F401
from . import mkl, mkldnn, openmp  # noqa: F401
import sys as _sys  # noqa: E402

from . import _fp32  # noqa: E402

# ``torch.backends.fp32_precision``: the generic (all backends, all ops) float32 precision
_fp32.module_with_precision(_sys.modules[__name__], "generic")
