"""Tensor methods and ``torch.*`` functions whose modules load on first use.

``import ember`` compiles every module it imports (this machine sets
PYTHONDONTWRITEBYTECODE), ~2.5 ms each for the index-writing, strided and search/statistics
ops and their method table (and the misc math ops PyTorch also has as methods, and
_methods_extra's LU, storage and complex-API methods). Here each of their Tensor methods
starts as a stand-in that, when first called, imports the real module, binds the real methods
on Tensor (replacing every stand-in of that group) and calls the real one. The ``torch.*``
spellings resolve through ``ember.__getattr__`` (``_LAZY_FUNCS``). tests/test_lazy_methods.py
checks that the names listed here are exactly what the modules bind.
"""

from __future__ import annotations

import importlib

# _methods_more.bind(Tensor): every attribute it sets (properties marked).
MORE_METHODS = (
    "type_as view_as reshape_as sum_to_size new is_nonzero pin_memory share_memory_ "
    "register_post_accumulate_grad_hook float_power_ random_ exponential_ cauchy_ "
    "log_normal_ geometric_ bernoulli multinomial normal_ uniform_ bernoulli_ is_signed "
    "is_same_size is_inference "
    "is_pinned is_shared squeeze_ unsqueeze_ t_ transpose_ swapaxes_ swapdims_ eq_ ne_ lt_ "
    "le_ gt_ ge_ greater_ greater_equal_ less_ less_equal_ not_equal_ logical_and_ "
    "logical_or_ logical_xor_ logical_not_ bitwise_and_ bitwise_or_ bitwise_xor_ "
    "bitwise_not_ nan_to_num_ cumsum_ cumprod_ bitwise_left_shift bitwise_right_shift "
    "bitwise_left_shift_ bitwise_right_shift_ __lshift__ __rshift__ __rlshift__ "
    "__rrshift__ __ilshift__ __irshift__ renorm renorm_ scatter_reduce scatter_reduce_ "
    "unfold as_strided index_add index_add_ index_copy index_copy_ index_fill index_fill_ "
    "index_put index_put_ masked_scatter masked_scatter_ put put_ select_scatter "
    "slice_scatter fill_diagonal_").split()
MORE_PROPERTIES = ("is_cpu", "output_nr")
SEARCH_METHODS = ("quantile", "nanquantile", "kthvalue", "bincount", "histc")
# torch.* functions of ops.misc_math / misc_prims that PyTorch also has as Tensor methods.
MISC_METHODS = {
    "misc_math": ("aminmax", "argwhere", "corrcoef", "cov", "dist", "histogram", "mode",
                  "msort", "unique_consecutive"),
    "misc_prims": ("cholesky", "i0", "matrix_exp", "qr", "svd"),
}
# _methods_extra.bind(Tensor): its METHODS and PROPERTIES (real and imag also have setters).
EXTRA_METHODS = (
    "ger split_with_sizes unsafe_split unsafe_chunk unsafe_split_with_sizes narrow_copy "
    "new_empty_strided adjoint conj conj_physical conj_physical_ resolve_conj resolve_neg "
    "is_conj is_neg angle nonzero_static as_strided_ as_strided_scatter resize_ resize_as_ resize resize_as "
    "index_reduce index_reduce_ igamma igammac igamma_ igammac_ lu lu_solve triangular_solve "
    "apply_ map_ map2_ to_dense symeig eig solve lstsq to_sparse to_sparse_coo to_sparse_csr "
    "to_sparse_csc to_sparse_bsr to_sparse_bsc indices values coalesce is_coalesced").split()
EXTRA_PROPERTIES = ("real", "imag", "layout", "name", "volatile")
# _tensor_api.METHODS: as_subclass, set_, storage()/storage_type(), DLPack
API_METHODS = ("as_subclass", "set_", "storage", "storage_type", "__dlpack__",
               "__dlpack_device__")


def _bind_more(T) -> None:
    importlib.import_module("ember._methods_more").bind(T)
    importlib.import_module("ember._alias_names").install_methods(T)


def _bind_search(T) -> None:
    module = importlib.import_module("ember.ops.search_stats")
    for name in SEARCH_METHODS:
        setattr(T, name, getattr(module, name))


def _bind_misc(T) -> None:
    for module, names in MISC_METHODS.items():
        mod = importlib.import_module(f"ember.ops.{module}")
        for name in names:
            setattr(T, name, getattr(mod, name))
    T.i0_ = importlib.import_module("ember.ops.misc_types").i0_
    importlib.import_module("ember._alias_names").install_methods(T)


def _bind_extra(T) -> None:
    importlib.import_module("ember._methods_extra").bind(T)
    importlib.import_module("ember._alias_names").install_methods(T)  # ger() names itself


def _bind_api(T) -> None:
    importlib.import_module("ember._tensor_api").bind(T)
    importlib.import_module("ember._alias_names").install_methods(T)


def _stand_in(T, name: str, bind):
    def method(self, *args, **kwargs):
        bind(T)
        return getattr(self, name)(*args, **kwargs)

    method.__name__ = method.__qualname__ = name
    return method


def _property_stand_in(T, name: str, bind):
    def get(self):
        bind(T)
        return getattr(self, name)

    def set_(self, value):
        bind(T)
        setattr(self, name, value)

    return property(get, set_)


def bind(T) -> None:
    """Put the stand-ins on Tensor (called once from ``_methods``)."""
    for name in MORE_METHODS:
        setattr(T, name, _stand_in(T, name, _bind_more))
    for name in MORE_PROPERTIES:
        setattr(T, name, _property_stand_in(T, name, _bind_more))
    for name in SEARCH_METHODS:
        setattr(T, name, _stand_in(T, name, _bind_search))
    for name in sum(MISC_METHODS.values(), ("i0_",)):
        setattr(T, name, _stand_in(T, name, _bind_misc))
    for name in EXTRA_METHODS:
        setattr(T, name, _stand_in(T, name, _bind_extra))
    for name in EXTRA_PROPERTIES:
        setattr(T, name, _property_stand_in(T, name, _bind_extra))
    for name in API_METHODS:
        setattr(T, name, _stand_in(T, name, _bind_api))
