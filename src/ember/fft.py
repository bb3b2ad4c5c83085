"""``torch.fft``: the helpers that need no complex numbers (fftfreq, rfftfreq, fftshift,
ifftshift). ember has no complex dtype, so the transforms themselves (fft, rfft, ...) whose
results are complex are not provided."""

from __future__ import annotations

from .tensor import Tensor

__all__ = ["fftfreq", "rfftfreq", "fftshift", "ifftshift"]

_TRANSFORMS = {"fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2",
               "irfft2", "hfft2", "ihfft2", "fftn", "ifftn", "rfftn", "irfftn", "hfftn",
               "ihfftn"}


def _freqs(values: list, n: int, d: float, dtype, requires_grad: bool) -> Tensor:
    import ember

    # as PyTorch: integer steps, then times 1 / (n d) in the result dtype
    out = ember.tensor(values, dtype=dtype if dtype is not None else ember.get_default_dtype())
    out = out * (1.0 / (n * d))
    return out.requires_grad_(requires_grad)


def fftfreq(n: int, d: float = 1.0, *, out=None, dtype=None, layout=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """The sample frequencies [0, 1, ..., ceil(n/2) - 1, -floor(n/2), ..., -1] / (n d)."""
    if type(requires_grad) is not bool:
        from ._rg_arg import rg_bool

        requires_grad = rg_bool("fft_fftfreq", requires_grad)
    half = (n - 1) // 2 + 1
    return _freqs(list(range(half)) + list(range(-(n // 2), 0)), n, d, dtype, requires_grad)


def rfftfreq(n: int, d: float = 1.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """The non-negative sample frequencies [0, 1, ..., n // 2] / (n d)."""
    if type(requires_grad) is not bool:
        from ._rg_arg import rg_bool

        requires_grad = rg_bool("fft_rfftfreq", requires_grad)
    return _freqs(list(range(n // 2 + 1)), n, d, dtype, requires_grad)


def _shift(input: Tensor, dim, sign: int) -> Tensor:
    if dim is None:
        dims = tuple(range(input.dim()))
    elif isinstance(dim, int):
        dims = (dim,)
    else:
        dims = tuple(dim)
    if not dims:
        return input.clone()
    shifts = tuple(sign * (input.shape[d] // 2) for d in dims)
    return input.roll(shifts, dims)


def fftshift(input: Tensor, dim=None) -> Tensor:
    """Rolls each of ``dim`` (all by default) by n // 2: the zero frequency to the centre."""
    return _shift(input, dim, 1)


def ifftshift(input: Tensor, dim=None) -> Tensor:
    """fftshift's inverse: rolls by -(n // 2)."""
    return _shift(input, dim, -1)


def __getattr__(name):
    if name in _TRANSFORMS:
        raise AttributeError(f"module 'ember.fft' has no attribute '{name}' (ember has no "
                             f"complex dtype, so it does not provide torch.fft.{name})")
    raise AttributeError(f"module 'ember.fft' has no attribute '{name}'")
