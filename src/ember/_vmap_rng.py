"""Random draws inside ``ember.func.vmap``: PyTorch's numbers for randomness='different'/'same'.

ember's vmap calls the function once per batch entry, but PyTorch's draws one batched tensor:
a random op on a logical shape S inside vmap(randomness='different') over B entries fills a
[B, *S] tensor in one kernel call (``randn`` on 4 x 5 values takes the 16-wide Box-Muller path
where five values alone would take the scalar one), 'same' fills one S and shares it, and
'error' raises before drawing. Each sampling kernel of ``_torch_rng`` is wrapped by
``batched``: inside a vmap the first batch entry's k-th draw of n values draws n * B values
at once and keeps them; entry b's k-th draw returns values [b n, (b + 1) n). Nested vmaps
multiply their sizes ('same' levels count as size 1) and index the draws by the position of
the draw inside every enclosing entry. Outside vmap the wrapper costs one list check.
"""

from __future__ import annotations

import functools

RANDOM_ERROR = ("vmap: called random operation while in randomness error mode. Please either "
                "use the 'same' or 'different' randomness flags on vmap or perform the "
                "randomness operation out of vmap")

LEVELS: list = []  # the running vmaps, outermost first
_BUSY = [False]  # inside a batched draw: the kernel's own inner draws go straight through


class Level:
    """One running vmap: its randomness mode, batch size, current entry and draw count."""

    __slots__ = ("mode", "size", "index", "pos", "cache")

    def __init__(self, mode: str, size: int):
        self.mode, self.size, self.index, self.pos, self.cache = mode, size, 0, 0, {}

    def enter(self, b: int) -> None:
        """Start batch entry b: the draw count restarts."""
        self.index, self.pos = b, 0


def push(mode: str, size: int) -> Level:
    """A new innermost level (counts as one event of the enclosing entry)."""
    if LEVELS:
        LEVELS[-1].pos += 1
    level = Level(mode, size)
    LEVELS.append(level)
    return level


def pop() -> None:
    LEVELS.pop()


def _draw(fn, n_at: int, args, kwargs):
    """fn(*args) for the current batch entry, cut from one draw for the whole batch."""
    if any(lv.mode == "error" for lv in LEVELS):
        raise RuntimeError(RANDOM_ERROR)
    if kwargs or len(args) <= n_at:
        return fn(*args, **kwargs)
    LEVELS[-1].pos += 1
    key = tuple(lv.pos for lv in LEVELS)
    total, idx = 1, 0
    for lv in LEVELS:
        if lv.mode == "different":
            total, idx = total * lv.size, idx * lv.size + lv.index
    n = args[n_at]
    cache = LEVELS[0].cache
    hit = cache.get(key)
    if hit is None or hit[0] is not fn or hit[1] != n:
        if idx != 0:  # another sequence of draws than entry 0's: draw this one alone
            return fn(*args)
        full = list(args)
        full[n_at] = n * total
        _BUSY[0] = True
        try:
            hit = cache[key] = (fn, n, fn(*full))
        finally:
            _BUSY[0] = False
    return hit[2][idx * n:(idx + 1) * n].copy()


def batched(n_at: int):
    """Decorator for a sampling kernel whose argument n_at is its number of values."""
    def deco(fn):
        @functools.wraps(fn)
        def draw(*args, **kwargs):
            if not LEVELS or _BUSY[0]:
                return fn(*args, **kwargs)
            return _draw(fn, n_at, args, kwargs)
        return draw
    return deco
