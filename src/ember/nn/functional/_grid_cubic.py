"""grid_sample's bicubic taps: 4 x 4 around each point, weighted by Keys' cubic kernel of
the unpadded coordinate; each tap's position is padded on its own (PyTorch's rule)."""

from __future__ import annotations

import numpy as np

from ._grid import _combine, _reflect
from ._interp import cubic_weight_grads, cubic_weight_second, cubic_weights


def cubic_taps(coords: list, size: tuple, padding: str, align: bool):
    """The 4 x 4 taps around each point; a tap outside is clipped / reflected (border /
    reflection) or reads zero."""
    corners = []
    for c in coords:
        lo = np.floor(c)
        t = c - lo
        ws, dws, d2s = cubic_weights(t), cubic_weight_grads(t), cubic_weight_second(t)
        corners.append([(lo - 1 + k, ws[k], dws[k], d2s[k]) for k in range(4)])

    def pad(pos, axis):
        n = size[axis]
        if padding == "reflection":
            lo, hi = (0.0, 2.0 * (n - 1)) if align else (-1.0, 2.0 * n - 1)
            pos = _reflect(pos, lo, hi)[0]
        if padding in ("border", "reflection"):
            pos = np.clip(pos, 0, n - 1)
        return pos

    return _combine(corners, size, pad)
