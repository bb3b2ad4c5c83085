"""ember.backends: availability flags that scripts check before picking a device."""

from . import mps  # noqa: F401
from . import cudnn  # noqa: F401
from . import cuda  # noqa: F401
from . import mkl, mkldnn, openmp  # noqa: F401
