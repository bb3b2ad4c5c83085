"""Random numbers: one default Generator that every sampler in ember draws from.

The generator is PyTorch's (``_generator.py``): a Mersenne Twister seeded as PyTorch seeds
it, and the samplers (rand, randn, randint, randperm, normal, bernoulli, multinomial, dropout,
nn.init, ...) turn its output into values by PyTorch's CPU rules (``_torch_rng.py``). So after
``manual_seed(s)`` the same calls give the same numbers as PyTorch. Draws with no PyTorch
counterpart in ember (Binomial, ...) use NumPy's samplers on the same stream.
"""

from __future__ import annotations

import numpy as np

from . import _torch_rng as _T
from ._generator import Generator
from ._random_checks import (MISSING, bad_generator, check_bernoulli, check_multinomial,
                             check_uniform_bounds, int_bound, missing_args, multinomial_errors,
                             randint_bad_call, randint_not_ints, unknown_keyword)
from .creation import _check_device, _float_dtype, _leaf as _new_leaf, _size
from ._rg_arg import rg_varargs
from . import dtypes as D
from .autograd.function import Primitive
from .tensor import Tensor

default_generator = Generator()
default_generator.seed()  # PyTorch 2.13 seeds its default stream anew in every process


def manual_seed(seed: int) -> Generator:
    """Seed ember's default generator (and return it), like ``torch.manual_seed``."""
    return default_generator.manual_seed(int(seed))


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    return default_generator.get_state()


def set_rng_state(state: Tensor) -> None:
    default_generator.set_state(state)


def _rng(generator: Generator | None) -> np.random.Generator:
    return (generator or default_generator).rng


def _gen(generator: Generator | None) -> Generator:
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):  # an int seed would silently draw globally
        raise bad_generator(None, (), generator)
    return generator


def uniform_array(shape: tuple, low: float, high: float, dtype, generator=None) -> np.ndarray:
    """What ``uniform_(low, high)`` writes into a contiguous tensor of ``shape``."""
    check_uniform_bounds(low, high, dtype)
    return _T.uniform(_gen(generator).bits, _numel(shape), low, high, dtype).reshape(shape)


def normal_array(shape: tuple, mean: float, std: float, dtype, generator=None) -> np.ndarray:
    """What ``normal_(mean, std)`` writes into a contiguous tensor of ``shape``."""
    gen = _gen(generator)
    return _T.normal(gen, gen.bits, _numel(shape), mean, std, dtype).reshape(shape)


def _no_arguments(name: str) -> TypeError:
    """rand() with nothing at all: PyTorch's parser matches none of its overloads (with only
    keywords it names the missing size instead: _shape)."""
    return TypeError(f"{name}() received an invalid combination of arguments - got (), but "
                     f"expected one of:\n * (tuple of ints size, *, ...)\n(a size is needed: "
                     f"{name}(3) or {name}(()) for one number)")


def _shape(size, name: str = "empty", kw_size=None) -> tuple:
    return _size(size, name, kw_size)


_KINDS = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
          "bool": "Bool"}


def _leaf(arr, dtype, requires_grad, kernel: str = "check_uniform_bounds"):
    np_dtype = _float_dtype(dtype)
    _check_float(np_dtype, kernel)
    if callable(arr):  # drawn after the checks, as PyTorch: an error draws nothing
        arr = arr(np_dtype)
    return _new_leaf(arr.astype(np_dtype, copy=False), requires_grad)


def _check_float(np_dtype, kernel: str) -> None:
    if np_dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{_KINDS.get(np_dtype.name, np_dtype.name)}'")


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    """Uniform on [0, 1)."""
    if type(requires_grad) is not bool:
        requires_grad = rg_varargs("rand", requires_grad, size, locals(), kw, None if size else
                                   lambda: _shape(size, "rand", kw.get("size")))
    _check_device(device)
    if kw and kw.keys() - _SIZE_KW:
        raise unknown_keyword("rand", size, locals(), kw)
    if not (size or kw or generator or dtype or device or requires_grad):
        raise _no_arguments("rand")
    shape = _shape(size, "rand", kw.get("size"))
    bits = _gen(generator).bits
    return _leaf(lambda dt: _T.unit(bits, _numel(shape), dt).reshape(shape), dtype,
                 requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    """Standard normal."""
    if type(requires_grad) is not bool:
        requires_grad = rg_varargs("randn", requires_grad, size, locals(), kw, None if size else
                                   lambda: _shape(size, "randn", kw.get("size")))
    _check_device(device)
    if kw and kw.keys() - _SIZE_KW:
        raise unknown_keyword("randn", size, locals(), kw)
    if not (size or kw or generator or dtype or device or requires_grad):
        raise _no_arguments("randn")
    shape = _shape(size, "randn", kw.get("size"))
    gen = _gen(generator)
    return _leaf(lambda dt: _T.normal(gen, gen.bits, _numel(shape), 0.0, 1.0, dt).reshape(shape),
                 dtype, requires_grad, "normal_kernel_cpu")


_SIZE_KW = frozenset(("size", "layout", "pin_memory"))  # (out= is taken by _out.with_out)
_LIKE_KW = frozenset(("device", "layout", "pin_memory", "memory_format"))


def _bad_like_kw(kw: dict) -> bool:
    """A keyword the *_like samplers do not take, or a memory_format that is not one."""
    from ._memory_format import memory_format

    fmt = kw.get("memory_format")
    return bool(kw.keys() - _LIKE_KW) or fmt is not None and not isinstance(fmt, memory_format)


def _numel(shape: tuple) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def randint(*args, generator=None, dtype=None, device=None, requires_grad=False,
            **kw) -> Tensor:
    """Integers uniform on [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if type(requires_grad) is not bool:
        requires_grad = rg_varargs("randint", requires_grad, args, locals(), kw)
    _check_device(device)
    if kw and kw.keys() - _SIZE_KW - {"low", "high"}:
        raise unknown_keyword("randint", args, locals(), kw)
    pos = list(args)
    low, high, size = kw.get("low"), kw.get("high"), kw.get("size")
    if size is None and pos:
        size = pos.pop()
    if high is None and pos:
        high = pos.pop()
    if low is None:
        low = pos.pop() if pos else 0
    if pos or high is None or size is None or (
            not isinstance(size, (tuple, list)) and len(args) + len(kw) + (
                generator is not None) + (dtype is not None) + (device is not None) >= 3):
        raise randint_bad_call(args, locals(), kw)  # (3 ints: no overload takes them)
    if (type(high) is not int or type(low) is not int) and not (
            int_bound(high) and int_bound(low)):
        raise randint_not_ints(args, kw, low, high, size)
    if not isinstance(size, (tuple, list)):
        where = "" if "size" in kw else f" (position {len(args)})"
        raise TypeError(f"randint(): argument 'size'{where} must be tuple of "
                        f"ints, not {type(size).__name__}")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    try:
        shape = _shape((size,), "randint")
    except TypeError:  # a float size: named at randint's own position (or the overloads)
        if all(int_bound(d) for d in size):
            raise
        raise randint_not_ints(args, kw, low, high, size) from None
    arr = _T.random_from_to(_gen(generator).bits, _numel(shape), int(low), int(high))
    np_dtype = np.int64 if dtype is None else D.to_np(dtype)
    return _new_leaf(arr.reshape(shape).astype(np_dtype), requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    if type(requires_grad) is not bool:
        requires_grad = rg_varargs("randperm", requires_grad, (n,), locals())
    _check_device(device)
    if generator is not None and (not isinstance(generator, Generator) or isinstance(n, float)):
        raise bad_generator("randperm", (n,), generator)
    if isinstance(n, (float, np.floating)):  # (np.float32 is no Python float)
        kind = "float" if type(n) is float else f"numpy.{type(n).__name__}"
        from .ops._int_args import HINT

        raise TypeError(f"randperm(): argument 'n' (position 1) must be int, not {kind}" + HINT)
    n = int(n)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    np_dtype = np.int64 if dtype is None else D.to_np(dtype)
    return _new_leaf(_T.randperm(_gen(generator).bits, n).astype(np_dtype), requires_grad)


def _size_of_ints(size) -> bool:
    """Whether PyTorch's parser takes ``size`` as normal()'s ``tuple of ints size``: a tuple,
    list or Size whose items are ints (NumPy's too, not bools) or one-element integer
    tensors; a bare int, an ndarray or a float item matches no overload."""
    if not isinstance(size, (tuple, list)):
        return False
    for d in size:
        if isinstance(d, Tensor):
            if d._data.size != 1 or d._data.dtype.kind not in "iu":
                return False
        elif isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)):
            return False
    return True


def normal(mean=0.0, std=1.0, *more, size=None, generator=None, dtype=None, device=None,
           requires_grad=False) -> Tensor:
    """Normal draws; ``mean``/``std`` may be tensors (broadcast) or floats with ``size``."""
    tensor_arg = isinstance(mean, Tensor) or isinstance(std, Tensor)
    if requires_grad is not False and (tensor_arg or type(requires_grad) is not bool):
        if tensor_arg:  # no overload with a tensor mean / std takes requires_grad
            raise unknown_keyword("normal", (mean, std) + more, locals(),
                                  {} if size is None else {"size": size})
        requires_grad = rg_varargs("normal", requires_grad, (mean, std) + more, locals(),
                                   {} if size is None else {"size": size})
    _check_device(device)
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    if len(more) > 1 or more and size is not None or tensor_arg and (more or size is not None):
        # no overload takes a size with a tensor mean / std (normal(mu, 0.2, size=...))
        raise unknown_keyword("normal", (mean, std) + more, locals(),
                              {} if size is None else {"size": size})
    if (more or size is not None) and not _size_of_ints(more[0] if more else size):
        # normal(0., 1., 3): the float overload takes a tuple of ints only (no bare int)
        raise unknown_keyword("normal", (mean, std) + more, locals(),
                              {} if size is None else {"size": size})
    if more:
        size = more[0]
    if size is None and not tensor_arg:
        raise TypeError("normal() received an invalid combination of arguments - got "
                        f"({type(mean).__name__}, {type(std).__name__}), but expected one of:")
    if isinstance(mean, Tensor) and isinstance(std, Tensor):  # PyTorch's broadcast message
        from .ops._util import check_broadcast
        check_broadcast(m.shape, s.shape)
    shape = _shape((size,), "normal") if size is not None else np.broadcast_shapes(
        np.shape(m), np.shape(s))
    if isinstance(std, Tensor):
        if np.any(s < 0):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif s < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {s:g}")
    ref = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    if dtype is None and ref is not None:
        dtype = ref._data.dtype
    gen = _gen(generator)

    def draw(dt):
        # PyTorch: float std draws normal_(0, std) and adds the mean; a tensor std draws
        # normal_(0, 1), multiplies by std, then adds the mean (each rounded in dt).
        if isinstance(std, Tensor):
            out = _T.normal(gen, gen.bits, _numel(shape), 0.0, 1.0, dt).reshape(shape)
            out = out * np.asarray(s, dt)
        else:
            out = _T.normal(gen, gen.bits, _numel(shape), 0.0 if ref is not None else m,
                            s, dt).reshape(shape)
            if ref is None:
                return out
        return out + np.asarray(m, dt)
    return _leaf(draw, dtype, requires_grad, "normal_kernel_cpu")


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    bits = _gen(generator).bits
    try:
        a = input._data
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from .ops._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    check_bernoulli(a, p)
    if p is None:  # a probability per element: a uniform in the probabilities' precision
        draw = _T.bernoulli_tensor(bits, a)
    else:
        draw = _T.bernoulli_scalar(bits, a.size, float(p)).reshape(a.shape)
    return Tensor._make(draw.astype(a.dtype), False, None)


def poisson(input, generator=None) -> Tensor:
    """Poisson draws with rates ``input`` (a float tensor); recorded with a zero gradient, as
    PyTorch's PoissonBackward0."""
    try:
        a = input._data
    except AttributeError:  # a str, list, number: PyTorch's parser error
        from .ops._int_args import first_not_tensor

        raise first_not_tensor(input=input) from None
    if a.dtype.kind != "f":
        from .ops.arithmetic import type_name

        raise NotImplementedError(f'"poisson_cpu" not implemented for \'{type_name(a.dtype)}\'')
    if np.any(~(a >= 0)):  # NaN included
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    from ._torch_rng_serial import poisson as draw

    draws = draw(_gen(generator), a)
    return Poisson.apply(input, draws) if input._rg else Tensor._make(draws, False, None)


class Poisson(Primitive):
    """y = draws (Poisson with rate x);  dL/dx = 0: PyTorch records the draw with a zero
    gradient (PoissonBackward0)."""

    @staticmethod
    def forward(ctx, x, draws):
        return draws

    @staticmethod
    def backward(ctx, g):
        return g * 0, None


def multinomial(input=MISSING, num_samples=MISSING, replacement=False, *,
                generator=None) -> Tensor:
    """Draw category indices with probability proportional to each row of ``input``.

    As PyTorch: one sample per row, or any number without replacement, is
    argmax / top-k of p / q with q ~ Exponential(1) drawn like ``input`` (the Gumbel trick);
    several with replacement walk each row's cumulative sums (in ``input``'s precision) with
    one float64 uniform per sample.
    """
    missing_args("multinomial", input=input, num_samples=num_samples)
    a = input._data
    check_multinomial(a, num_samples, replacement)
    if a.size == 0:
        return Tensor._make(np.zeros(a.shape[:-1] + (num_samples,), np.int64), False, None)
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"multinomial(): {bad_generator(None, (), generator)}")
    out = multinomial_array(a, num_samples, replacement, _gen(generator).bits)
    return Tensor._make(out, False, None)


def _transposed(a: np.ndarray) -> bool:
    """Whether a 2-D array lies in memory column by column (and not also row by row)."""
    return a.ndim == 2 and a.flags.f_contiguous and not a.flags.c_contiguous


def multinomial_array(a: np.ndarray, num_samples: int, replacement: bool, bits) -> np.ndarray:
    """``multinomial``'s draws on a 1-D or 2-D float array whose shape and arguments are
    checked: int64 indices of shape a.shape[:-1] + (num_samples,)."""
    sums = a.sum(-1)  # the usual case in three reductions (a NaN fails the first test)
    if not (a.min() >= 0 and np.isfinite(sums).all() and (sums > 0).all()):
        multinomial_errors(a, num_samples, replacement)
    # Without replacement, zero-probability categories follow the others once those run
    # out, in the order PyTorch's topk leaves those ties (std::nth_element's).
    if not replacement or num_samples == 1:
        q = _T.exponential(bits, a.size, 1.0, a.dtype)
        # q is empty_like(input): a transposed input's layout, filled in memory order
        q = q.reshape(a.shape[::-1]).T if _transposed(a) else q.reshape(a.shape)
        score = a / q  # (ember runs with NumPy's float warnings off)
        if num_samples == 1:
            return np.argmax(score, axis=-1)[..., None]
        top = np.argsort(-score, axis=-1, kind="stable")
        head = np.take_along_axis(score, top[..., :num_samples + 1], -1)
        if (head[..., 1:] == head[..., :-1]).any():
            from .ops._topk_order import torch_topk_rows

            flat = score.reshape(-1, score.shape[-1])
            return torch_topk_rows(flat, num_samples, True, True).reshape(
                score.shape[:-1] + (num_samples,))
        return top[..., :num_samples]
    flat = a.reshape(-1, a.shape[-1])
    u = _T.unit(bits, flat.shape[0] * num_samples, np.float64).reshape(flat.shape[0], -1)
    out = np.empty(u.shape, dtype=np.int64)
    for i, row in enumerate(flat):
        cum = np.cumsum(row)  # sequential sums in the row's dtype, as PyTorch's loop
        cum /= cum[-1]
        cum[-1] = 1
        out[i] = np.searchsorted(cum.astype(np.float64), u[i], side="left")
    return out.reshape(a.shape[:-1] + (num_samples,))


from ._fork_rng import fork_rng, thread_safe_generator  # noqa: E402,F401


# the *_like samplers (their own module for size; ember.random.rand_like as before)
from ._random_like import rand_like, randint_like, randn_like  # noqa: E402,F401
