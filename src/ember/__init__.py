"""ember: reverse-mode automatic differentiation on NumPy, with PyTorch's API.

``import ember as torch`` runs PyTorch tutorial code. Submodules that not every program needs
(nn, optim, distributions, utils.data, viz) load on first attribute access, so that
``import ember`` stays fast.
"""

from __future__ import annotations

import builtins as _builtins
import importlib as _importlib
import math as _math

import numpy as _np

# PyTorch returns nan/inf silently (log(-1), 1/0); NumPy would warn on every such element-wise
# call. ember follows PyTorch, so floating-point warnings are off (anomaly mode finds the op).
_np.seterr(divide="ignore", invalid="ignore", over="ignore", under="ignore")

from . import _tensor_str
from . import dtypes as _dtypes
from .tensor import Size, Tensor, device  # noqa: F401
from . import ops as _ops  # noqa: E402
from . import _methods as _methods  # noqa: F401,E402  (binds Tensor's methods)
from . import _numpy_protocol as _numpy_protocol  # noqa: F401,E402
from .ops import *  # noqa: F401,F403,E402
from .ops import abs, all, any, max, min, pow, round, sum  # noqa: F401,E402
# torch.linalg (ember/linalg.py); ``from . import`` would keep the ops.linalg the star
# import bound to the name
linalg = _importlib.import_module(".linalg", __name__)
from .creation import (arange, as_tensor, asarray, empty, empty_like, eye, from_numpy,  # noqa
                       full, full_like, linspace, logspace, ones, ones_like, tensor, zeros,
                       zeros_like)
from .random import (Generator, bernoulli, default_generator, get_rng_state,  # noqa: F401
                     initial_seed, manual_seed, multinomial, normal, poisson, rand, rand_like,
                     randint, randint_like, randn, randn_like, randperm, seed, set_rng_state,
                     thread_safe_generator)
from .autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled,  # noqa: F401
                                 is_inference_mode_enabled, no_grad, set_grad_enabled)
from ._tensor_str import get_printoptions, set_printoptions  # noqa: F401
from .dtypes import dtype, get_default_dtype  # noqa: F401
from .threads import get_num_threads, set_num_threads  # noqa: F401
from . import autograd  # noqa: F401
from . import _out as _out  # noqa: E402
_out.install(globals())  # out= on torch.add(a, b, out=c) and kin (see _out.py)
from .ops import _extrema_out as _extrema_out  # noqa: E402
_extrema_out.install(globals())  # out=(values, indices) on torch.topk and kin
from . import _old_overloads as _old_overloads  # noqa: E402
_old_overloads.install(Tensor, globals())  # x.add(alpha, other) and kin, deprecated
from . import _fn_shape_forms as _fn_shape_forms  # noqa: E402
_fn_shape_forms.install(globals())  # torch.flip(x, 0) refused, as in PyTorch
from . import _alias_names as _alias_names  # noqa: E402
_alias_names.install(globals(), Tensor)  # torch.multiply's errors say multiply(), not mul()

from .version import __version__  # noqa: E402 - a TorchVersion, as in PyTorch

bool = _dtypes.bool_  # noqa: A001 - PyTorch's name
uint8, int8, int16, int32, int64 = (_dtypes.uint8, _dtypes.int8, _dtypes.int16,
                                    _dtypes.int32, _dtypes.int64)
float16, float32, float64 = _dtypes.float16, _dtypes.float32, _dtypes.float64
half, float, double = float16, float32, float64  # noqa: A001
# bfloat16, complex64, float8_*, ...: named (code that mentions them runs), no storage
globals().update({_n: _dtypes._NAMES[_n] for _n in _dtypes.EXTRA})
short, int, long = int16, int32, int64  # noqa: A001



class _LegacyTensorType(type):
    """torch.FloatTensor & co: isinstance tests the dtype, calling one builds a tensor of it
    (``FloatTensor([1, 2])`` from data, ``FloatTensor(2, 3)`` uninitialised)."""

    def __instancecheck__(cls, obj) -> "bool":
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype

    def __call__(cls, *args, **kwargs):
        from ._legacy_ctor import check_kwargs, legacy_array, refuse_none_data

        data, rest = (args[0], args[1:]) if args else (None, ())
        if args and data is None:
            refuse_none_data(args, kwargs)
        if kwargs:
            check_kwargs(data, rest, kwargs)
        return Tensor._make(legacy_array(cls.dtype, data, rest, True), False, None)


def _legacy(name: str, dt):
    return _LegacyTensorType(name, (), {"dtype": dt, "_ember_type_name": "torch." + name,
                                        "__module__": "torch", "is_cuda": False,
                                        "is_sparse": False})


FloatTensor, DoubleTensor, HalfTensor = (_legacy("FloatTensor", float32),
                                         _legacy("DoubleTensor", float64),
                                         _legacy("HalfTensor", float16))
LongTensor, IntTensor, ShortTensor = (_legacy("LongTensor", int64), _legacy("IntTensor", int32),
                                      _legacy("ShortTensor", int16))
CharTensor, ByteTensor, BoolTensor = (_legacy("CharTensor", int8), _legacy("ByteTensor", uint8),
                                      _legacy("BoolTensor", bool))
e, pi, inf, nan = _math.e, _math.pi, _math.inf, _math.nan


def set_default_dtype(d) -> None:
    _dtypes.set_default_dtype(d)


def _default_dtype_name() -> str:
    return _dtypes.get_default_dtype().name


_tensor_str._default_dtype_name = _default_dtype_name


def is_tensor(obj) -> "bool":
    return isinstance(obj, Tensor)


def numel(input) -> "int":
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from .ops._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    return input.numel()


def is_floating_point(input) -> "bool":
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from .ops._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    return input.is_floating_point()


def compile(model=None, *, fullgraph=False, dynamic=None, backend=None, mode=None,  # noqa: A001
            options=None, name=None, disable=False, **kwargs):
    """``torch.compile``'s signature. ember always runs eagerly: a function comes back
    itself, as ``torch.compile(fn, disable=True)`` does (also as a decorator); a module comes
    back wrapped in an ``OptimizedModule`` as in PyTorch (its ``state_dict`` keys carry the
    ``_orig_mod.`` prefix), unless ``disable=True``."""
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be "
                           "specified at the same time.")
    if model is None:
        return lambda fn: compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                                  mode=mode, options=options, name=name, disable=disable)
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")
    if disable:
        return model
    from ._eval_frame import OptimizedModule, patch_once
    from .nn.modules.module import Module

    patch_once()
    return OptimizedModule(model) if isinstance(model, Module) else model


def detach(input):
    try:
        input._data  # noqa: B018 - the types first, as PyTorch's parser
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from .ops._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    return input.detach()


_LAZY = {"nn", "optim", "distributions", "utils", "viz", "cuda", "backends", "linalg",
         "special", "testing", "fft", "jit", "onnx", "hub", "serialization", "mps",
         "multiprocessing", "func", "run", "library", "amp", "accelerator", "profiler",
         "compiler", "_dynamo", "__config__", "sparse", "distributed"}


# Top-level functions whose modules load on first use (their names only, so that
# ``import ember`` pays nothing for them): module -> names
_LAZY_FUNCS = {
    "_config": (
        "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
        "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode",
        "get_deterministic_debug_mode", "set_float32_matmul_precision",
        "get_float32_matmul_precision", "set_default_device", "get_default_device",
        "set_warn_always", "is_warn_always_enabled", "set_anomaly_enabled",
        "is_anomaly_enabled", "is_anomaly_check_nan_enabled", "set_flush_denormal",
        "set_default_tensor_type", "set_num_interop_threads"),
    "threads": ("get_num_interop_threads",),
    "amp": ("autocast", "is_autocast_enabled", "get_autocast_dtype", "GradScaler"),
    "ops.misc_types": (
        "result_type", "promote_types", "can_cast", "is_complex", "is_signed", "is_nonzero",
        "is_same_size", "is_inference", "typename", "scalar_tensor", "empty_strided", "range",
        "fill", "hann_window", "hamming_window", "blackman_window", "bartlett_window",
        "kaiser_window", "i0_", "abs_", "acos_", "acosh_", "addmv_", "arccos_", "arccosh_",
        "arcsin_", "arcsinh_", "arctan_", "arctanh_", "asin_", "asinh_", "atan_", "atanh_",
        "ceil_", "clamp_", "clamp_max_", "clamp_min_", "clip_", "cos_", "cosh_", "deg2rad_",
        "detach_", "erf_", "erfc_", "exp2_", "exp_", "expm1_", "fill_", "fix_", "floor_",
        "frac_", "gcd_", "lcm_", "ldexp_", "log10_", "log1p_", "log2_", "log_", "logit_",
        "neg_", "negative_", "rad2deg_", "reciprocal_", "relu_", "round_", "rsqrt_",
        "sigmoid_", "sin_", "sinc_", "sinh_", "sqrt_", "square_", "tan_", "tanh_", "trunc_",
        "xlogy_", "zero_"),
    "ops.misc_math": (
        "argwhere", "isin", "unique_consecutive", "unravel_index", "aminmax", "mode", "msort",
        "histogram", "cov", "corrcoef", "trapezoid", "trapz", "cumulative_trapezoid", "vander",
        "dist"),
    "ops.misc_prims": ("i0", "matrix_exp", "cholesky", "qr", "svd", "gradient"),
    "ops.histogramdd": ("histogramdd",),
    "ops.segment_reduce": ("segment_reduce",),
    "_memory_format": ("memory_format", "contiguous_format", "preserve_format",
                       "channels_last", "channels_last_3d", "sparse_coo", "sparse_csr",
                       "sparse_csc", "sparse_bsr", "sparse_bsc"),
    "sparse": ("sparse_coo_tensor", "sparse_compressed_tensor", "sparse_csr_tensor",
               "sparse_csc_tensor", "sparse_bsr_tensor", "sparse_bsc_tensor", "spmm"),
    "_toplevel_nn": (
        "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
        "conv_transpose3d", "conv_tbc", "max_pool3d", "adaptive_max_pool1d", "frobenius_norm",
        "nuclear_norm", "adaptive_avg_pool1d",
        "pixel_shuffle", "pixel_unshuffle", "cosine_similarity", "pairwise_distance", "pdist",
        "bilinear", "channel_shuffle", "native_channel_shuffle", "feature_dropout", "dropout",
        "dropout_", "alpha_dropout", "alpha_dropout_", "feature_alpha_dropout",
        "feature_alpha_dropout_", "feature_dropout_", "embedding", "layer_norm", "group_norm",
        "rms_norm", "batch_norm", "instance_norm", "max_pool1d", "max_pool2d",
        "max_pool1d_with_indices", "avg_pool1d", "constant_pad_nd", "kl_div",
        "binary_cross_entropy_with_logits", "margin_ranking_loss", "hinge_embedding_loss",
        "cosine_embedding_loss", "triplet_margin_loss", "poisson_nll_loss"),
}


_LAZY_FUNCS.update({
    "ops.complex_views": ("view_as_complex", "view_as_real", "polar", "complex"),
    "ops.tensor_extra": (
        "split_with_sizes", "unsafe_split", "unsafe_chunk", "unsafe_split_with_sizes",
        "narrow_copy", "adjoint", "conj", "conj_physical", "conj_physical_", "resolve_conj",
        "resolve_neg", "is_conj", "is_neg", "real", "imag", "angle", "nonzero_static", "igamma",
        "igammac", "layout", "strided"),
    "ops.strided_scatter": ("as_strided_", "as_strided_scatter", "resize_as_"),
    "ops.index_reduce": ("index_reduce",),
    "ops.lu_torch": ("lu", "lu_solve", "lu_unpack", "triangular_solve"),
    "ops.linalg_extra": ("svd_lowrank", "pca_lowrank"),
    "ops.linalg_tensor_qr": ("geqrf", "orgqr", "ormqr"),
    "_removed": ("symeig", "eig", "solve", "lstsq", "matrix_rank"),  # PyTorch's errors
    "func": ("vmap",),  # torch.vmap is torch.func.vmap
    "ops.copies": (
        "alias_copy", "as_strided_copy", "detach_copy", "diagonal_copy", "expand_copy",
        "permute_copy", "select_copy", "slice_copy", "split_copy", "split_with_sizes_copy",
        "squeeze_copy", "t_copy", "transpose_copy", "unbind_copy", "unfold_copy",
        "unsqueeze_copy", "view_copy", "values_copy", "indices_copy", "ccol_indices_copy",
        "crow_indices_copy", "col_indices_copy", "row_indices_copy"),
    "_control_flow": ("cond", "while_loop"),
    "_frombuffer": ("frombuffer", "from_file"),
    "utils.dlpack": ("from_dlpack",),
    "_torch_rng_binomial": ("binomial",),
    "distributions._reparam_grads": ("_standard_gamma_grad", "_dirichlet_grad"),
    "nn.utils._weight_norm_api": ("norm_except_dim", "_weight_norm"),
})


# torch._foreach_* (ember/_foreach.py): the out-of-place and in-place form of each
_LAZY_FUNCS["_foreach"] = tuple(
    f"_foreach_{n}{s}" for n in (
        "abs acos add addcdiv addcmul asin atan ceil clamp_max clamp_min cos cosh div erf erfc "
        "exp expm1 floor frac lerp lgamma log log10 log1p log2 maximum minimum mul neg pow "
        "reciprocal round rsqrt sigmoid sign sin sinh sqrt sub tan tanh trunc").split()
    for s in ("", "_")) + ("_foreach_clone", "_foreach_copy_", "_foreach_zero_",
                           "_foreach_norm", "_foreach_max", "_foreach_powsum", "_foreach_mm")


# ember.ops' own lazily loaded modules (index writes, strided views, search/statistics).
_LAZY_FUNCS.update({f"ops.{module}": names for module, names in _ops._LAZY.items()})


def __getattr__(name):
    for module, names in _LAZY_FUNCS.items():
        if name in names:
            value = getattr(_importlib.import_module(f"ember.{module}"), name)
            if name in _alias_names.ALIASES:  # conj_physical: its errors name it
                value = _alias_names.renamed(value, name, _alias_names.ALIASES[name])
            if name in _extrema_out.PAIR_NAMES:  # torch.mode(x, out=(v, i))
                value = _extrema_out.with_pair_out(value, name)
            globals()[name] = value  # later lookups skip this function
            return value
    if name in _LAZY:
        try:
            return _importlib.import_module(f"ember.{name}")
        except ModuleNotFoundError as err:
            if err.name == f"ember.{name}":
                raise AttributeError(
                    f"module 'ember' has no attribute '{name}' (ember does not provide "
                    f"torch.{name})") from None
            raise
    if name in ("save", "load"):
        from . import serialization

        return getattr(serialization, name)
    raise AttributeError(f"module 'ember' has no attribute '{name}'")


def __dir__():
    """What dir(torch) and tab completion show: the lazily loaded submodules and functions
    too (those that exist: a few names in _LAZY only explain that ember lacks them)."""
    from importlib.util import find_spec

    names = set(globals()) | {"save", "load"}
    for lazy in _LAZY_FUNCS.values():
        names.update(lazy)
    names.update(n for n in _LAZY if find_spec(f"ember.{n}") is not None)
    return sorted(names)


class finfo:  # noqa: N801 - PyTorch's name
    """Machine limits of a floating dtype: eps, max, min, tiny, resolution."""

    _fields: dict = {}  # dtype -> its fields: finfo(torch.float32).eps in a training loop
    # then costs a dict lookup, not NumPy's finfo (~3 us)

    def __init__(self, type=None):  # noqa: A002
        d = _dtypes.to_dtype(type if type is not None else get_default_dtype())
        fields = finfo._fields.get(d)
        if fields is None:
            self._fill(d)
            fields = finfo._fields[d] = dict(self.__dict__)
        else:
            self.__dict__.update(fields)

    def _fill(self, d) -> None:
        if not (d.is_floating_point or d.is_complex):
            raise TypeError("torch.finfo() requires a floating point input type. Use "
                            "torch.iinfo to handle 'torch.finfo'")
        if d.name == "float4_e2m1fn_x2":  # PyTorch's argument parser rejects it
            raise TypeError("bad argument type for built-in operation")
        if d.np is None and d.name in _dtypes.FINFO:  # bfloat16, float8_*: PyTorch's values
            self.bits, self.eps, self.max, self.min, self.tiny, self.resolution = \
                _dtypes.FINFO[d.name]
            self.smallest_normal, self.dtype = self.tiny, d.name
            return
        if d.is_complex:  # PyTorch describes a complex dtype by its real part
            d = d.to_real()
        info = _np.finfo(_dtypes.to_np(d))
        self.bits, self.eps, self.max = info.bits, _builtins.float(info.eps), _builtins.float(info.max)
        self.min, self.tiny = _builtins.float(info.min), _builtins.float(info.tiny)
        # resolution: PyTorch gives exactly 10**-precision (NumPy rounds it to the dtype)
        self.smallest_normal, self.resolution = _builtins.float(info.tiny), 10.0 ** -info.precision
        self.dtype = str(info.dtype)

    def __repr__(self) -> str:  # PyTorch's fields, each printed as C's %g
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")

    def __eq__(self, other) -> "bool":
        return type(other) is type(self) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash((type(self), self.dtype))


class iinfo:  # noqa: N801
    """Machine limits of an integer dtype: bits, max, min."""

    def __init__(self, type):  # noqa: A002
        d = _dtypes.to_dtype(type)
        if d.name == "bool":
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if d.name.startswith("q"):  # quantized: PyTorch's dispatch has no case for them
            raise NotImplementedError(
                f"\"dtype\" not implemented for '{_dtypes._c10_name(d.name)}'")
        if d.name not in ("uint8", "int8", "int16", "int32", "int64", "uint16", "uint32",
                          "uint64"):  # (int1..int7, uint1..uint7, bits*: not integer to it)
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to "
                            "handle 'torch.iinfo'")
        # uint16/32/64 have no tensors in ember, but NumPy knows their limits
        info = _np.iinfo(d.name if d.name in ("uint16", "uint32", "uint64") else _dtypes.to_np(d))
        self.bits, self.max, self.min, self.dtype = info.bits, _builtins.int(info.max), _builtins.int(info.min), \
            str(info.dtype)

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"

    __eq__, __hash__ = finfo.__eq__, finfo.__hash__
