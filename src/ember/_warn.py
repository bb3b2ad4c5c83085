"""Warnings that point at the user's line, however deep in ember they are raised."""

from __future__ import annotations

import sys
import warnings


def user_level() -> int:
    """The ``stacklevel`` (from the caller of this function's caller) of the first frame
    outside ember: the user's line, wherever in ember the warning is raised."""
    frame, level = sys._getframe(2), 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith("ember"):
        frame, level = frame.f_back, level + 1
    return level


def warn(message: str, category=UserWarning) -> None:
    """``warnings.warn`` attributed to the user's line."""
    warnings.warn(message, category, stacklevel=user_level() + 1)
