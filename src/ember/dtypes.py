"""Dtypes with PyTorch's names, and PyTorch's type-promotion rules on top of NumPy's.

An ember dtype wraps a NumPy dtype so that it prints as PyTorch does (``torch.float32``).
Tensors store plain NumPy arrays; ``Tensor.dtype`` maps the array's dtype back to ours.
"""

from __future__ import annotations

import numpy as np


class dtype:  # noqa: N801 - PyTorch's name
    """A tensor element type: ``ember.float32``, ``ember.int64``, ...

    The dtypes NumPy cannot store (bfloat16, complex, float8, ...) exist with PyTorch's names
    and properties, so code that names them (``{"bfloat16": torch.bfloat16, ...}[cfg]``,
    ``torch.finfo(torch.bfloat16).eps``) runs; making a tensor of one raises a clear error
    (``np`` is None for them, and ``to_np`` raises :func:`no_storage`).
    """

    __slots__ = ("name", "np", "is_floating_point", "is_complex", "_signed", "itemsize",
                 "_kind")

    def __init__(self, name: str, np_dtype: str | None, kind: int, itemsize: int = 0,
                 signed: bool | str = True, floating: bool = False, cplx: bool = False):
        self.name = name
        self.np = np.dtype(np_dtype) if np_dtype else None
        self.is_floating_point = kind == _FLOAT or floating
        self.is_complex = cplx
        # signed: a str is PyTorch's error for the dtypes whose signedness is undefined
        self._signed = self.np.kind in "fi" if self.np is not None else signed
        self.itemsize = self.np.itemsize if self.np is not None else itemsize
        self._kind = kind

    def __repr__(self) -> str:
        return "torch." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))

    @property
    def is_signed(self) -> bool:
        if type(self._signed) is str:
            raise RuntimeError(self._signed)
        return self._signed

    def to_real(self) -> "dtype":
        """The real dtype of a complex one (complex64 -> float32); others are their own."""
        return _NAMES[_COMPLEX_PAIRS_INV[self.name]] if self.is_complex else self

    def to_complex(self) -> "dtype":
        """The complex dtype with this real part (float32 -> complex64)."""
        if self.is_complex:
            return self
        pair = _COMPLEX_PAIRS.get(self.name)
        if pair is None:
            raise RuntimeError(f"Unknown Complex ScalarType for {_c10_name(self.name)}")
        return _NAMES[pair]


# Promotion categories: a higher category wins regardless of size (int64 + float16 -> float16).
_BOOL, _INT, _FLOAT = 0, 1, 2

bool_ = dtype("bool", "bool", _BOOL)
uint8 = dtype("uint8", "uint8", _INT)
int8 = dtype("int8", "int8", _INT)
int16 = dtype("int16", "int16", _INT)
int32 = dtype("int32", "int32", _INT)
int64 = dtype("int64", "int64", _INT)
float16 = dtype("float16", "float16", _FLOAT)
float32 = dtype("float32", "float32", _FLOAT)
float64 = dtype("float64", "float64", _FLOAT)

ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
_FROM_NP = {d.np: d for d in ALL}
_NAMES = {d.name: d for d in ALL}
_NAMES.update(float=float32, double=float64, half=float16, long=int64, int=int32, short=int16)

# PyTorch's other dtypes, named but without storage in ember: (name, itemsize, signed,
# floating, complex). signed as a str: PyTorch's error for reading it.
_BITS, _QUANT = "Bits types are undefined", "isSignedType not supported for quantized types"
_NO_STORAGE = (
    [("bfloat16", 2, True, True, False), ("complex32", 4, True, False, True),
     ("complex64", 8, True, False, True), ("complex128", 16, True, False, True),
     ("uint16", 2, False, False, False), ("uint32", 4, False, False, False),
     ("uint64", 8, False, False, False), ("float4_e2m1fn_x2", 1, True, True, False),
     ("float8_e8m0fnu", 1, False, True, False), ("bits16", 2, _BITS, False, False)]
    + [(f"float8_{k}", 1, True, True, False) for k in ("e4m3fn", "e4m3fnuz", "e5m2", "e5m2fnuz")]
    + [(f"bits{k}", 1, _BITS, False, False) for k in ("1x8", "2x4", "4x2", "8")]
    + [(f"q{k}", 4 if k == "int32" else 1, _QUANT, False, False)
       for k in ("int8", "int32", "uint8", "uint2x4", "uint4x2")]
    + [(f"int{k}", 1, True, False, False) for k in range(1, 8)]
    + [(f"uint{k}", 1, False, False, False) for k in range(1, 8)])
for _name, _size, _signed, _floating, _complex in _NO_STORAGE:
    _NAMES[_name] = dtype(_name, None, _FLOAT if _floating else _INT, _size, _signed, _floating,
                          _complex)
_NAMES.update(cfloat=_NAMES["complex64"], cdouble=_NAMES["complex128"],
              chalf=_NAMES["complex32"], bit=_NAMES["uint1"])
EXTRA = tuple(n for n in _NAMES if n not in {d.name for d in ALL}
              and n not in ("float", "double", "half", "long", "int", "short"))
# torch.finfo of the floating dtypes NumPy lacks (PyTorch 2.13's values):
# bits, eps, max, min, tiny (= smallest_normal), resolution
FINFO = {
    "bfloat16": (16, 2.0 ** -7, 3.3895313892515355e+38, -3.3895313892515355e+38, 2.0 ** -126,
                 0.01),
    "float8_e4m3fn": (8, 0.125, 448.0, -448.0, 2.0 ** -6, 1.0),
    "float8_e4m3fnuz": (8, 0.125, 240.0, -240.0, 2.0 ** -7, 1.0),
    "float8_e5m2": (8, 0.25, 57344.0, -57344.0, 2.0 ** -14, 1.0),
    "float8_e5m2fnuz": (8, 0.125, 57344.0, -57344.0, 2.0 ** -15, 1.0),
    "float8_e8m0fnu": (8, 1.0, 2.0 ** 127, 2.0 ** -127, 2.0 ** -127, 1.0),
}
_COMPLEX_PAIRS = {"float16": "complex32", "float32": "complex64", "float64": "complex128",
                  "bfloat16": "complex64"}
_COMPLEX_PAIRS_INV = {"complex32": "float16", "complex64": "float32", "complex128": "float64"}
_SCALAR_TYPE = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short",
                "int32": "Int", "int64": "Long"}


def _c10_name(name: str) -> str:
    """PyTorch's C++ name of a dtype, as its messages print it (int64 -> Long,
    uint16 -> UInt16, qint8 -> QInt8, float8_e5m2 -> Float8_e5m2)."""
    if name in _SCALAR_TYPE:
        return _SCALAR_TYPE[name]
    q = name.startswith("q")
    base = name[1:] if q else name
    if base.startswith("uint"):
        base = "UInt" + base[4:]
    elif base.startswith("int"):
        base = "Int" + base[3:]
    else:
        base = base[0].upper() + base[1:]
    return "Q" + base if q else base


def no_storage(d: dtype) -> TypeError:
    """The error for making a tensor of a dtype NumPy cannot store."""
    what = "complex" if d.is_complex else d.name
    return TypeError(
        f"ember has no {what} tensors ({d!r}): NumPy, which holds ember's tensors, has no such "
        "type. Use torch.float32 (or torch.float16 for half precision, torch.float64 for "
        "double).")


def _by_name(name: str) -> dtype:
    return _NAMES[name]


class _Defaults:
    """The default floating dtype (``set_default_dtype``), read by creation and promotion."""

    float_np = np.dtype("float32")
    float = float32


def get_default_dtype() -> dtype:
    return _Defaults.float


def set_default_dtype(d) -> None:
    if not isinstance(d, dtype):  # PyTorch takes only dtype objects here (not float, "float32")
        raise TypeError("invalid dtype object: only floating-point types are supported as the "
                        "default type")
    if d.is_floating_point and d.np is None:
        raise no_storage(d)
    if d not in (float16, float32, float64):
        raise TypeError("only floating-point types are supported as the default type")
    _Defaults.float = d
    _Defaults.float_np = d.np


def from_numpy_dtype(np_dtype) -> dtype:
    try:
        return _FROM_NP[np.dtype(np_dtype)]
    except KeyError:
        nd = np.dtype(np_dtype)
        if not nd.isnative and nd.newbyteorder("=") in _FROM_NP:  # np.frombuffer(b, ">i4")
            raise ValueError("given numpy array has byte order different from the native byte "
                             "order. Conversion between byte orders is currently not "
                             "supported.") from None
        hint = ""
        if nd.kind == "c" or nd.kind == "u" and nd.itemsize > 1:  # PyTorch takes these
            to = "np.float32/np.float64 (e.g. abs() or .real)" if nd.kind == "c" else \
                "a signed type that holds its values (np.int32 or np.int64)"
            hint = (f" (PyTorch also takes {nd.name}, which ember cannot hold: convert the "
                    f"array to {to} first.)")
        if not hint:  # a type neither library holds (object, longdouble): PyTorch's line
            raise TypeError(
                f"can't convert np.ndarray of type numpy.{nd.type.__name__}. The only "
                "supported types are: float64, float32, float16, complex64, complex128, "
                "int64, int32, int16, int8, uint64, uint32, uint16, uint8, and bool.\n"
                "(ember holds the real ones of these, uint64/32/16 excepted.)") from None
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{nd.type.__name__}. The only "
            "supported types are: float64, float32, float16, int64, int32, int16, int8, "
            "uint8, and bool." + hint
        ) from None


def to_np(d) -> np.dtype:
    """Any dtype spelling (ember dtype, NumPy dtype, Python type, string) to a NumPy dtype."""
    if type(d) is not dtype:
        d = to_dtype(d)
    n = d.np
    if n is None:
        raise no_storage(d)
    return n


def to_dtype(d) -> dtype:
    if type(d) is dtype:
        return d
    if d is float:
        return float64
    if d is int:
        return int64
    if d is bool:
        return bool_
    if isinstance(d, str):
        if d.startswith("torch."):
            d = d[6:]
        if d in _NAMES:
            return _NAMES[d]
    try:
        return from_numpy_dtype(d)
    except (TypeError, ValueError):
        raise TypeError(f"expected a dtype, but got {d!r}") from None


def category(np_dtype: np.dtype) -> int:
    k = np_dtype.kind
    return _FLOAT if k == "f" else (_BOOL if k == "b" else _INT)


def scalar_category(x) -> int:
    return _BOOL if isinstance(x, bool) else (_INT if isinstance(x, int) else _FLOAT)


def result_type(a: np.ndarray, b: np.ndarray) -> np.dtype:
    """PyTorch's promotion of two tensors' dtypes.

    NumPy agrees when both have dimensions; PyTorch differs for 0-d tensors, which only decide
    the result when they are of a higher category (float32[3] * float64[] -> float32).
    """
    da, db = a.dtype, b.dtype
    if da is db:
        return da
    ca, cb = category(da), category(db)
    a0, b0 = a.ndim == 0, b.ndim == 0
    if a0 != b0:
        dim_d, dim_c, zero_d, zero_c = (db, cb, da, ca) if a0 else (da, ca, db, cb)
        return dim_d if dim_c >= zero_c else zero_d
    if ca != cb and (ca == _FLOAT or cb == _FLOAT):
        return da if ca == _FLOAT else db
    return np.promote_types(da, db)


def scalar_result_type(a: np.ndarray, s) -> np.dtype:
    """PyTorch's dtype for ``tensor op python_scalar``: the scalar only matters across categories."""
    da = a.dtype
    ca, cs = category(da), scalar_category(s)
    if cs <= ca:
        return da
    return _Defaults.float_np if cs == _FLOAT else np.dtype("int64")
