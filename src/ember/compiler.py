"""torch.compiler as seen by a script: ember always runs eagerly, so nothing is ever being
compiled, ``reset`` has no cache to clear and ``disable`` returns the function itself."""

from __future__ import annotations

__all__ = ["reset", "is_compiling", "is_dynamo_compiling", "disable",
           "cudagraph_mark_step_begin"]


def reset() -> None:
    """No compiled code to forget."""


def is_compiling() -> bool:
    return False


is_dynamo_compiling = is_compiling


def disable(fn=None, recursive: bool = True, *, reason=None):
    """Also as ``@disable`` or ``@disable(recursive=False)``: the function unchanged."""
    return (lambda f: f) if fn is None else fn


def cudagraph_mark_step_begin() -> None:
    """CUDA graphs never run in ember."""
