"""How ``tensor(data)`` reads Python data: PyTorch's dtype inference over nested lists, tuples
and other sequences (floats -> the default dtype, ints -> int64, bools -> bool, arrays and
tensors keep theirs, a list promotes its items'), its errors for ragged lists and strings, and
its overflow rules (uint8 takes ints down to -255)."""

from __future__ import annotations

import numbers
import operator
import weakref

import numpy as np

from . import dtypes as D
from ._warn import warn
from .tensor import Tensor
from ._from_data_items import _float_items_under_int, _tensors_to_scalars  # noqa: F401

_SEQ = (list, tuple)


def _promote(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's promoteTypes: a float beats any int whatever the sizes."""
    if a == b:
        return a
    ca, cb = D.category(a), D.category(b)
    if ca != cb and D._FLOAT in (ca, cb):
        return a if ca == D._FLOAT else b
    return np.promote_types(a, b)


_SCALAR_TYPES = {bool: np.dtype(np.bool_), int: np.dtype(np.int64)}


def _infer_np_dtype(data, _lead: bool = True) -> np.dtype:
    """The dtype ``torch.tensor(data)`` gives: each item's own dtype, promoted together."""
    t = type(data)
    if t is float:
        return D._Defaults.float_np
    if t in _SCALAR_TYPES:
        return _SCALAR_TYPES[t]
    if isinstance(data, Tensor):
        return data._data.dtype
    if isinstance(data, (np.ndarray, np.generic)):
        D.from_numpy_dtype(data.dtype)  # rejects unsupported dtypes with PyTorch's error
        return data.dtype
    if isinstance(data, _SEQ):
        if not data:
            return D._Defaults.float_np
        kinds = set(map(type, data))
        if kinds <= {float, int, bool}:  # the common case: plain Python numbers
            return D._Defaults.float_np if float in kinds else \
                _SCALAR_TYPES[int if int in kinds else bool]
        items = data
        if all(k in _NUMBERS or issubclass(k, (np.number, np.bool_)) for k in kinds):
            # NumPy scalars (rewards from env.step, np.float32 losses): their dtype is their
            # type's, so one item of each type, in first-seen order, gives the same promotion
            # and first error as every item (~1.5 us an item)
            first = {}
            for x in data:
                first.setdefault(type(x), x)
            items = list(first.values())
        out = None
        for x in items:
            if isinstance(x, str) and x is data[0] and _lead:  # (slow path: not plain numbers)
                raise ValueError("too many dimensions 'str'\nHint: a tensor holds numbers; "
                                 "encode text as indices first (e.g. a vocabulary dict).")
            d = _infer_np_dtype(x, _lead and x is data[0])
            out = d if out is None else _promote(out, d)
        return out
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{t.__name__}'")
    if _other_sequence(data):
        return _infer_np_dtype(list(data), _lead)
    # subclasses of bool / int / float / complex only: PyTorch reads no other number type
    # (a Fraction or Decimal cannot be inferred, though one converts under a given dtype)
    if isinstance(data, bool):
        return np.dtype(np.bool_)
    if isinstance(data, int):
        return np.dtype(np.int64)
    if isinstance(data, float):
        return D._Defaults.float_np
    if isinstance(data, complex):  # PyTorch makes complex64; NumPy-backed ember cannot
        raise D.no_storage(D._Defaults.float.to_complex())
    raise RuntimeError(f"Could not infer dtype of {_tp_name(t)}")


def _tp_name(t: type) -> str:
    """A type's C-level name as PyTorch prints it: a class defined in Python by its name, a
    C extension type with its module (decimal.Decimal)."""
    if t.__flags__ & (1 << 9) or t.__module__ == "builtins":  # Py_TPFLAGS_HEAPTYPE
        return t.__name__
    return f"{t.__module__}.{t.__name__}"


def _other_sequence(data) -> bool:
    """deque, range, array.array, UserList...: PyTorch reads any Python sequence like a list."""
    t = type(data)  # (the type's own methods: an IntEnum's class has a metaclass __len__)
    return (hasattr(t, "__len__") and hasattr(t, "__getitem__")
            and any("__len__" in c.__dict__ for c in t.__mro__)
            and any("__getitem__" in c.__dict__ for c in t.__mro__)
            and not isinstance(data, (str, bytes, dict, np.ndarray, Tensor)))


def _item_types(data, found: set) -> set:
    """The types of every item of nested lists/tuples (one C-level pass per list)."""
    kinds = set(map(type, data))
    found |= kinds
    if not kinds <= _NUMBERS and any(issubclass(k, _SEQ) for k in kinds):
        for x in data:
            if isinstance(x, _SEQ):
                _item_types(x, found)
    return found


_NUMBERS = frozenset((float, int, bool))
_warned_ndarray_list = False


def _warn_ndarray_list(kinds: set) -> None:
    """PyTorch warns once per process when a list holds NumPy arrays (``tensor([obs])``), or
    every time after ``set_warn_always(True)`` (without using up the once: _config.warn_once)."""
    global _warned_ndarray_list
    if (not _warned_ndarray_list or _warn_always()) and \
            any(issubclass(k, np.ndarray) for k in kinds):
        _warned_ndarray_list = _warned_ndarray_list or not _warn_always()
        warn("Creating a tensor from a list of numpy.ndarrays is extremely slow. Please "
             "consider converting the list to a single numpy.ndarray with numpy.array() before "
             "converting to a tensor.")


def _check_lead_0d(data) -> None:
    """PyTorch reads a list's shape from its first items and takes an ndarray there for a
    sequence, so a 0-d one (``[np.array(r), ...]``) fails its len(); later ones are numbers."""
    while isinstance(data, _SEQ) and data:
        data = data[0]
    if isinstance(data, np.ndarray) and data.ndim == 0:
        raise TypeError("len() of unsized object")


def _refuse_strings(data, np_dtype) -> None:
    """A str inside nested lists read under a given dtype (``torch.Tensor(['a'])``,
    ``torch.BoolTensor([[True], ['a']])``). PyTorch reads the shape from the first items, where
    a str is "too many dimensions"; then it stores depth first, reading a str where a list
    belongs as the sequence of its characters, and a str where a number belongs is refused by
    float() or __index__. NumPy would parse '1.5' or make a bool of any non-empty string."""
    sizes, x = [], data
    while isinstance(x, _SEQ) or (isinstance(x, np.ndarray) and x.ndim > 0):
        sizes.append(len(x))
        if not len(x):
            break
        x = x[0]
        if isinstance(x, str):
            raise ValueError("too many dimensions 'str'")

    def walk(seq, d):
        if len(seq) != sizes[d]:
            raise ValueError(f"expected sequence of length {sizes[d]} at dim {d} "
                             f"(got {len(seq)})")
        for item in seq:
            if d + 1 < len(sizes) and isinstance(item, (str,) + _SEQ):
                walk(item, d + 1)
            elif d + 1 < len(sizes):
                return  # (not a list where one belongs: the general path's error)
            elif isinstance(item, str):
                raise TypeError("must be real number, not str" if np_dtype.kind in "fc" else
                                "'str' object cannot be interpreted as an integer")

    walk(data, 0)


def _ragged_error(data, np_dtype) -> Exception:
    """PyTorch's error for nested lists that do not form a box."""
    def is_seq(x) -> bool:
        return isinstance(x, _SEQ) or (isinstance(x, np.ndarray) and x.ndim > 0) or \
            _other_sequence(x)

    sizes, x = [], data
    while is_seq(x):
        sizes.append(len(x))
        if not len(x):
            break
        x = x[0]

    def walk(seq, d):
        if len(seq) != sizes[d]:
            raise ValueError(f"expected sequence of length {sizes[d]} at dim {d} (got {len(seq)})")
        for item in seq:
            if d + 1 < len(sizes):
                if not is_seq(item):
                    if isinstance(item, (dict, set, frozenset)) and len(item) != sizes[d + 1]:
                        # PyTorch measures anything with a len(): tensor(env.reset()) of a
                        # gymnasium (obs, info) pair fails on the info dict's length
                        raise ValueError(f"expected sequence of length {sizes[d + 1]} at dim "
                                         f"{d + 1} (got {len(item)})")
                    raise TypeError("not a sequence")
                walk(item, d + 1)
            elif is_seq(item):
                if isinstance(item, np.ndarray):  # PyTorch's float() / index() of the array:
                    (float if np_dtype.kind in "fc" else operator.index)(item)  # NumPy's error
                name = type(item).__name__
                raise TypeError(f"must be real number, not {name}" if np_dtype.kind == "f" else
                                f"'{name}' object cannot be interpreted as an integer")

    try:
        walk(data, 0)
    except (ValueError, TypeError) as e:
        return e
    return ValueError(_NOT_BOXED)


_NEGATIVE_STRIDES = (
    "At least one stride in the given numpy array is negative, and tensors with negative "
    "strides are not currently supported. (You can probably work around this by making a copy "
    "of your array  with array.copy().) ")


def _check_strides(a: np.ndarray) -> None:
    """PyTorch refuses a reversed NumPy view (np.flip, a[::-1]) in every constructor."""
    if a.strides and min(a.strides) < 0:  # (min, not any(genexpr): ~0.1 us per as_tensor)
        raise ValueError(_NEGATIVE_STRIDES)


_warned_readonly = False


# The strided (not row-major) arrays from_numpy / as_tensor shared, by id: a tensor over one
# keeps NumPy's strides in PyTorch, so view() must fit them (ops.shape.view asks here).
SHARED_STRIDED = weakref.WeakValueDictionary()


def as_scalar(x):
    """NumPy scalars behave as Python scalars in PyTorch's promotion; unwrap them. PyTorch's
    parser reads a ``np.bool_`` as a float (``int_tensor + np.bool_(True)`` is float32)."""
    if isinstance(x, np.generic):
        return float(x) if isinstance(x, np.bool_) else x.item()
    return x


def _check_shared(a: np.ndarray) -> None:
    """from_numpy/as_tensor's checks on an array the tensor will share: the strides, and
    PyTorch's once-a-process warning for a read-only array (its writes are undefined)."""
    if not a.flags.writeable:  # (~30 ns an as_tensor; PyTorch warns before the strides)
        warn_if_readonly(a)
    if a.strides and min(a.strides) < 0:
        raise ValueError(_NEGATIVE_STRIDES)
    if not a.flags.c_contiguous:
        SHARED_STRIDED[id(a)] = a


def warn_if_readonly(a: np.ndarray) -> None:
    """PyTorch's warning for a read-only array it wraps before converting or sharing it
    (from_numpy, as_tensor, the legacy constructors; not torch.tensor, which copies): once
    a process (TORCH_WARN_ONCE), or every time after ``set_warn_always(True)``."""
    if not a.flags.writeable:
        if not _warned_readonly or _warn_always():
            _warn_readonly()


def shared_strided(a: np.ndarray) -> bool:
    """``a`` is a strided array from_numpy / as_tensor shared: PyTorch keeps its strides."""
    return bool(SHARED_STRIDED.data) and SHARED_STRIDED.get(id(a)) is a


def _warn_always() -> bool:
    from ._config import _State  # (at call time: kept off this module's import order)

    return _State.warn_always


def _warn_readonly() -> None:
    global _warned_readonly
    _warned_readonly = _warned_readonly or not _warn_always()
    warn("The given NumPy array is not writable, and PyTorch does not support non-writable "
         "tensors. This means writing to this tensor will result in undefined behavior. "
         "You may want to copy the array to protect its data or make it writable before "
         "converting it to a tensor. This type of warning will be suppressed for the rest "
         "of this program.")


_NUMERIC_CHARS = frozenset("?bBhHiIlLqQefdFD")  # bool, ints, float16/32/64, complex64/128


def _to_array(data, dtype=None) -> np.ndarray:
    """Copy ``data`` into a fresh array with PyTorch's dtype rules."""
    if type(data) is np.ndarray:
        _check_strides(data)
        if data.dtype.char not in _NUMERIC_CHARS:  # object, str, longdouble: PyTorch
            D.from_numpy_dtype(data.dtype)  # refuses them even with dtype= (its error)
    elif not isinstance(data, _SEQ) and _other_sequence(data):
        data = list(data)
    # (a string is refused with a dtype too: NumPy would parse tensor('1.5', dtype=float32))
    np_dtype = _infer_np_dtype(data) if dtype is None or isinstance(data, (str, bytes)) \
        else D.to_np(dtype)
    if isinstance(data, Tensor):
        return np.array(data._data, dtype=np_dtype, copy=True)
    orig, pending = None, []  # (an error PyTorch raises once the list's shape has been read)
    if isinstance(data, _SEQ):
        kinds = _item_types(data, set())
        if not kinds <= _NUMBERS:  # (the common list of numbers needs neither look)
            _check_lead_0d(data)
            _warn_ndarray_list(kinds)
            if str in kinds:  # (with a dtype given: the inference above refuses them)
                _refuse_strings(data, np_dtype)
            if np_dtype.kind in "iu" and np.bool_ in kinds:
                # PyTorch reads an integer element through __index__, which NumPy's bool
                # lacks (a Python bool has it): [np.bool_(True), 3] is refused, not tensor([1, 3]).
                raise TypeError("'numpy.bool' object cannot be interpreted as an integer")
            if np_dtype.kind in "iub":  # (read in order: the first item's error comes first)
                bad = _float_items_under_int(data)
                if bad:
                    err = TypeError(f"'numpy.{bad}' object cannot be interpreted as an integer")
                    if data and _float_items_under_int(data[0]):
                        raise err
                    pending.append(err)
            if any(issubclass(k, Tensor) for k in kinds):
                data = _tensors_to_scalars(data, np_dtype.kind in "biu", None, pending)
            if not all(issubclass(k, _KNOWN) for k in kinds):
                orig, data = data, _as_lists(data, np_dtype)
    try:
        out = np.array(data, dtype=np_dtype)
        if pending:
            raise pending[0]
        return out
    except OverflowError:
        return _overflowed(data, np_dtype)
    except ValueError:
        err = _ragged_error(orig if orig is not None else data, np_dtype)
        if err.args[0] == _NOT_BOXED and np_dtype.kind in "iub":  # boxed: nan into an int
            raise _overflow(np_dtype) from None
        raise err from None


_NOT_BOXED = "expected sequence of equal-length lists"

# item types NumPy reads as PyTorch does; any other item goes through _as_lists first
_KNOWN = (float, int, bool, list, tuple, np.ndarray, np.generic, Tensor, str, bytes, dict, set,
          frozenset)


def _as_lists(data, np_dtype):
    """PyTorch reads an item of a list by the sequence protocol, never by ``__array__``:
    Gym's LazyFrames (a sequence of frames whose ``__array__`` concatenates them) inside a
    list is a nested list of its frames, and a non-sequence that only offers ``__array__`` is
    refused where a number belongs (NumPy would have expanded both)."""
    if isinstance(data, _SEQ) or (not isinstance(data, _KNOWN) and _other_sequence(data)):
        return [_as_lists(x, np_dtype) for x in data]
    if isinstance(data, _KNOWN) or isinstance(data, numbers.Number) or \
            any(hasattr(data, a) for a in ("__float__", "__index__", "__int__")):
        return data
    name = type(data).__name__
    raise TypeError(f"must be real number, not {name}" if np_dtype.kind in "fc" else
                    f"'{name}' object cannot be interpreted as an integer")


def _overflow(np_dtype) -> RuntimeError:
    return RuntimeError(f"value cannot be converted to type {np_dtype.name} without overflow")


def _overflowed(data, np_dtype) -> np.ndarray:
    """PyTorch's rules where NumPy overflows: a Python int beyond int64 cannot be read at all;
    uint8 takes ints down to -255 modulo 256 (tensor([-1], dtype=uint8) is 255); else an
    error."""
    values = list(_scalars(data))
    ints = [v for v in values if isinstance(v, int)]  # (bools too)
    if any(not -2 ** 63 <= v < 2 ** 63 for v in ints):
        raise ValueError("Overflow when unpacking long long") from None
    if np_dtype == np.uint8 and len(ints) == len(values) and all(-256 < v < 256 for v in ints):
        return (np.array(data, dtype=np.int64) % 256).astype(np.uint8)
    raise _overflow(np_dtype) from None


def _scalars(data):
    """The numbers of nested lists/tuples, in order."""
    if isinstance(data, _SEQ):
        for x in data:
            yield from _scalars(x)
    else:
        yield data
