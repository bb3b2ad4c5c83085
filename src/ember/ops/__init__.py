"""ember's derivative table: every differentiable primitive, its forward beside its backward.

Read any module here to see how a gradient is computed: each ``Primitive`` subclass states its
derivative in its docstring and implements exactly that formula in ``backward``.
"""

from .arithmetic import *  # noqa: F401,F403
from .arithmetic import abs, add, div, floor_divide, fmod, mul, neg, pow, reciprocal  # noqa
from .arithmetic import remainder, rsub, sub, float_power  # noqa: F401
from .compare import *  # noqa: F401,F403
from .unique import unique  # noqa: F401
from .elementwise import *  # noqa: F401,F403
from .elementwise import round  # noqa: F401
from .indexing import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .linalg_aliases import *  # noqa: F401,F403
from .reduction import *  # noqa: F401,F403
from .reduction import all, any, max, min, sum  # noqa: F401
from .shape import *  # noqa: F401,F403
from .triangle_diag import *  # noqa: F401,F403
from .shape_more import *  # noqa: F401,F403
from .einsum import *  # noqa: F401,F403
from .linalg_more import *  # noqa: F401,F403
from .ternary import *  # noqa: F401,F403
from .shape_extra import *  # noqa: F401,F403
from .softmax import log_softmax, softmax  # noqa: F401
from .unary_more import *  # noqa: F401,F403
from .special_fns import *  # noqa: F401,F403
from .binary_more import *  # noqa: F401,F403
from .reduce_more import *  # noqa: F401,F403
from .aliases import *  # noqa: F401,F403
from .elementwise_extra import *  # noqa: F401,F403
from .nn_activations import *  # noqa: F401,F403
from .join_split import select  # noqa: F401,E402  (torch.select, not _util's helper)

# Helpers the star imports above carry along from modules without __all__: not PyTorch API.
for _name in ("check_broadcast", "dims", "promote", "relu_array", "wrap_dim"):
    globals().pop(_name, None)
del _name

from ._axis_alias import install as _install_axis  # noqa: E402

_install_axis(globals())  # x.squeeze(axis=-1): PyTorch's parser takes axis for dim
del _install_axis

# Loaded on first use (see ember/_lazy_methods.py): module -> its public names.
_LAZY = {
    "search_stats": ("quantile", "nanquantile", "kthvalue", "bincount", "histc",
                     "searchsorted", "bucketize", "cdist"),
    "index_more": ("index_add", "index_copy", "index_fill", "index_put", "masked_scatter",
                   "put"),
    "_scatter_views": ("select_scatter", "slice_scatter"),
    "strided_more": ("as_strided", "scatter_reduce", "renorm", "bitwise_left_shift",
                     "bitwise_right_shift", "nan_to_num_", "index_put_"),
}


def __getattr__(name):
    import importlib

    for module, names in _LAZY.items():
        if name in names:
            value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
            globals()[name] = value
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
