"""Shared by the parity sweeps (tests/hardening/test_parity_sweep_*.py): run one case on a
library and describe how it ended, so ember's ending can be compared with PyTorch's."""

from __future__ import annotations

import warnings

import numpy as np


def show(v):
    """A comparable description of a result: tensors by dtype, shape and rounded values."""
    if hasattr(v, "detach"):
        a = v.detach().numpy()
        return str(a.dtype), a.shape, np.round(a.astype(float), 4).tolist()
    if type(v).__name__ == "Size":
        return tuple(v)
    if isinstance(v, list):
        return [show(x) for x in v]
    if isinstance(v, tuple):  # (named tuples and PyTorch's return types alike)
        return tuple(show(x) for x in v)
    if isinstance(v, dict):
        return {k: show(x) for k, x in v.items()}
    return v if isinstance(v, (int, float, bool, str, type(None))) else repr(v)


def outcome(fn, lib=None):
    """("ok", show(result)) or ("err", exception type, its first line); warnings silenced.
    With ``lib``, grad mode and anomaly mode are restored afterwards."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "ok", show(fn())
    except Exception as exc:  # the comparison is the point
        return "err", type(exc).__name__, (str(exc).splitlines() or [""])[0]
    finally:
        if lib is not None:
            lib.set_grad_enabled(True)
            lib.autograd.set_detect_anomaly(False)


def first_error(fn):
    """(exception type, first line of its message) of ``fn()``, or None when it returns."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the type and first line are compared
        return type(e).__name__, str(e).splitlines()[0]
    return None


def same_ending(ember_case, torch_case, ember_lib=None, torch_lib=None) -> None:
    """Assert both cases end alike (dtype names compared without their module prefix)."""
    t = str(outcome(torch_case, torch_lib)).replace("torch.", "")
    e = str(outcome(ember_case, ember_lib)).replace("ember.", "").replace("torch.", "")
    assert e == t


def sample(lib, kind: str, shape: tuple):
    """A fixed tensor of one kind ("f" float32, "i" int64, "b" bool) and shape."""
    n = int(np.prod(shape))
    a = {"f": np.linspace(-1.5, 2.5, n, dtype=np.float32), "i": np.arange(n, dtype=np.int64) - 2,
         "b": np.arange(n) % 2 == 0}[kind].reshape(shape)
    return lib.tensor(a)


def normal(o) -> str:
    """An outcome's text without module prefixes (torch._C._LinAlgError is ember's
    linalg.LinAlgError)."""
    return str(o).replace("ember.", "").replace("torch.", "").replace("_LinAlgError",
                                                                     "LinAlgError")


# Known, harmless differences of the one-tensor sweeps, by (name, kind, shape):
ONE_TENSOR_KNOWN = {
    ("cholesky", "f", (0, 3)),         # PyTorch returns an empty tensor for a 0 x 3 input
    ("cholesky_inverse", "f", (3, 3)),  # PyTorch reads only L's triangle for the value
    ("pinverse", "f", (3, 3)),         # a -0.0 where PyTorch has 0.0
    ("svd", "f", (2, 3)),              # singular vectors' signs are LAPACK-path dependent
    ("svd", "f", (3, 3)),
}
ONE_TENSOR_SPECS = [("f", (2, 3)), ("i", (2, 3)), ("b", (2, 3)), ("f", ()), ("f", (0, 3)),
                    ("f", (3, 3))]


# Top-level functions the sweeps leave out: stateful, random, or not taking tensors.
FUNCTION_SKIP = {
    # stateful, random, or constructors that do not take a tensor
    "manual_seed", "seed", "set_default_dtype", "set_default_tensor_type", "set_printoptions",
    "set_num_threads", "set_grad_enabled", "load", "save", "compile",
    "use_deterministic_algorithms", "set_rng_state", "set_default_device",
    "set_float32_matmul_precision", "set_num_interop_threads", "set_warn_always",
    "set_flush_denormal", "empty", "empty_like", "empty_strided", "rand", "randn", "randint",
    "randperm", "rand_like", "randn_like", "randint_like", "normal", "bernoulli",
    "multinomial", "poisson", "binomial", "initial_seed", "get_rng_state", "no_grad",
    "enable_grad",
    "svd_lowrank", "pca_lowrank",  # randomized in PyTorch (singular vectors' signs, values)
    "inference_mode", "autocast", "Generator", "Tensor", "device", "dtype", "Size",
    "typename", "from_numpy", "tensor", "as_tensor", "asarray", "frombuffer", "from_file",
    "set_anomaly_enabled", "resize_as_", "nonzero_static", "vmap", "cond", "export", "jit",
    "GradScaler",  # a class: its first argument is a device
    # the legacy typed constructors: PyTorch refuses a tensor of another dtype, ember casts
    "FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
    "CharTensor", "ByteTensor", "BoolTensor", "BFloat16Tensor",
    # sparse constructors: COO without a graph (tests/test_s21_sparse_coo.py), the compressed
    # layouts refused (tests/test_programs_s12_gnntab.py)
    "sparse_coo_tensor", "sparse_compressed_tensor", "sparse_csr_tensor", "sparse_csc_tensor",
    "sparse_bsr_tensor", "sparse_bsc_tensor",
}


def function_names() -> list:
    """The top-level torch functions ember also has, less FUNCTION_SKIP."""
    import torch

    import ember

    return sorted(n for n in dir(torch) if not n.startswith("_") and n not in FUNCTION_SKIP
                  and callable(getattr(torch, n, None)) and hasattr(ember, n))
