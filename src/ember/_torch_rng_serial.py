"""PyTorch's serial CPU samplers with rejection loops (ATen's Distributions.h): Gamma
(Marsaglia and Tsang) and Poisson (Hoermann's transformed rejection, or multiplied uniforms
below rate 10), one element at a time in C order, on the generator of ``_torch_rng``.

Each element draws what PyTorch's kernel draws: ``uniform_real_distribution<double>`` (one
random64 per uniform) and ``normal_distribution<double>`` (scalar Box-Muller sharing the
generator's cached second value), with the C library's math (Python's ``math`` module).
The uniforms are drawn in blocks, never past what the serial loop would take (a lower bound,
topped up when rejections use more), so the generator ends in PyTorch's state; long runs of
Gamma draws with alpha >= 1 are computed attempt by attempt with NumPy (``_gamma_run``).
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np

from . import _torch_rng as _T

_MASK53 = (1 << 53) - 1


def _uniform(bg) -> float:
    """One at::uniform_real_distribution<double>(0, 1) draw: random64's low 53 bits * 2**-53."""
    hi, lo = bg.random_raw(2).tolist()
    return ((hi << 32 | lo) & _MASK53) * 2.0 ** -53


def _normal(gen, bg) -> float:
    return float(_T._normal_small(gen, bg, 1, 0.0, 1.0)[0])


def _f32(v: float) -> float:
    return float(np.float32(v))


def _gamma_one(gen, bg, alpha: float, single: bool) -> float:
    """sample_gamma<scalar_t, double>: alpha (and the boost alpha + 1, and alpha - 1/3) in the
    tensor's precision (float32 when ``single``), everything after it in double."""
    rnd = _f32 if single else float
    scale = 1.0
    if alpha < 1.0:
        if alpha == 0.0:
            return 0.0
        scale *= math.pow(1 - _uniform(bg), rnd(1.0 / alpha))
        alpha = rnd(alpha + 1.0)
    d = rnd(alpha - _f32(1.0 / 3.0))  # 1.0f / 3.0f: a float constant even for double
    try:
        c = 1.0 / math.sqrt(9.0 * d)
    except (ValueError, ZeroDivisionError):  # alpha NaN or below -2/3: C's sqrt gives NaN
        c = math.inf if d == 0 else math.nan
    k = _f32(0.0331)  # a float literal (0.0331f) promoted to double
    while True:
        while True:
            x = _normal(gen, bg)
            y = 1.0 + c * x
            if not y <= 0:  # C's `while (y <= 0)`: a NaN goes on
                break
        v = y * y * y
        u = 1 - _uniform(bg)
        xx = x * x
        if u < 1.0 - k * xx * xx:
            return scale * d * v
        if math.log(u) < 0.5 * xx + d * (1.0 - v + math.log(v)):
            return scale * d * v


def standard_gamma(gen, alpha: np.ndarray, double_alpha: bool = False) -> np.ndarray:
    """_standard_gamma(alpha) (``double_alpha``: _sample_dirichlet's float64 draws): one
    sample_gamma per element in C order (``_gamma_fast``, or ``_gamma_one`` for a few elements
    or odd alphas), clamped below at the result dtype's tiny."""
    a = np.asarray(alpha, order="C")  # keeps a 0-d alpha 0-d (ascontiguousarray: 1-d)
    dtype = np.dtype(np.float64) if double_alpha else a.dtype
    single = dtype != np.float64
    bg = gen.bits
    out = None  # a few elements: the plain loop is quicker than setting up the fast one
    if a.size > 4:
        out = _gamma_fast(gen, bg, a.reshape(-1).astype(np.float64), single)
    if out is None:
        out = np.array([_gamma_one(gen, bg, v, single) for v in a.reshape(-1).tolist()])
    out = out.reshape(a.shape).astype(dtype)
    tiny = np.finfo(dtype).tiny
    return np.where(out > tiny, out, tiny)  # std::max(tiny, x): a NaN gives tiny


_THIRD = float(np.float32(1.0 / 3.0))  # 1.0f / 3.0f
_K = float(np.float32(0.0331))  # 0.0331f promoted to double
_TAU = 2.0 * math.pi
_RUN = 256  # shorter stretches: the serial loop is faster


class _Stream:
    """The uniform draws of one sampling call, taken from the generator only as far as they
    are sure to be used (so it ends where the serial loop leaves it): a list ``u`` for the
    loops in Python, an array ``a`` (made on request) for the vectorised parts."""

    def __init__(self, bg, n: int):
        self.bg, self.u, self._a = bg, [], []
        self.extend(n)

    def extend(self, n: int):
        if n > 0:
            new = _T.unit(self.bg, n, np.float64)
            self.u += new.tolist()
            self._a.append(new)

    @property
    def a(self) -> np.ndarray:
        if len(self._a) != 1:
            self._a = [np.concatenate(self._a) if self._a else np.empty(0)]
        return self._a[0]


def _gamma_fast(gen, bg, a: np.ndarray, single: bool):
    """_gamma_one over the flat float64 ``a``, same draws and values, without per-draw
    generator calls: per-element constants computed vectorised with the same roundings (the C
    library's log1p/cos/sin/log/pow through ``math``), long runs of alphas >= 1 by
    ``_gamma_run``, the rest by ``_gamma_walk``. Returns None for odd alphas (NaN, inf, at or
    below -2/3), which keep the serial loop's own behaviour."""
    live = np.flatnonzero(a)  # alpha 0 gives 0 and draws nothing
    al = a[live] if live.size < a.size else a
    sm = al < 1.0
    anysmall = bool(sm.any())
    if single:
        b = np.where(sm, (al + 1.0).astype(np.float32), al) if anysmall else al
        d = (b - _THIRD).astype(np.float32).astype(np.float64)
    else:
        d = (np.where(sm, al + 1.0, al) if anysmall else al) - _THIRD
    m = live.size
    if m and not (d.min() > 0 and d.max() < math.inf):
        return None
    dl, cl = d, 1.0 / np.sqrt(9.0 * d)
    cval = gen._next_normal
    cache = cval is not None

    def bound(k, cache):  # draws that first-try acceptances of live[k:] take from this state
        r = m - k
        return (int(sm[k:].sum()) if anysmall else 0) + r + 2 * max(0, (r - cache + 1) // 2)

    st = _Stream(bg, bound(0, cache))
    V = np.empty(m)  # v of each live element
    spos = np.zeros(m, np.int64)  # index in the stream of each small element's boost uniform
    runs = []  # long runs without a boost uniform
    if m > _RUN:
        cut = [-1] + np.flatnonzero(sm).tolist() + [m]
        runs = [(i + 1, j) for i, j in zip(cut, cut[1:]) if j - i > _RUN]
    q, k, ri = 0, 0, 0
    while k < m:
        while ri < len(runs) and runs[ri][1] - k <= _RUN:
            ri += 1
        stop = runs[ri][0] if ri < len(runs) else m
        if stop <= k:  # in a long run: by attempts, unless attempts with y <= 0 (which need
            e = runs[ri][1]  # a restart) are common: x <= -3 sqrt(d), twice its chance is p
            p = math.erfc(3.0 * math.sqrt(float(dl[k:e].min()) / 2.0))
            if p * 512 < 4:
                need = bound(k, cache) - (len(st.u) - q)
                if need > 0:
                    st.extend(need)
                e = min(e, k + int(4.0 / max(p, 1e-9)))
                k, q, cache, cval = _gamma_run(st, k, e, q, cache, cval, dl, cl, V)
                e = k + 1  # after a restart or running out: one by the serial loop
            stop = e
        k, q, cache, cval = _gamma_walk(st, k, min(stop, m), q, cache, cval, dl, cl, sm, V,
                                        spos, bound)
    gen._next_normal = cval if cache else None
    if anysmall:  # scale = 1.0 * pow(1 - u, 1 / alpha), the C library's pow; (scale * d) * v
        si = np.flatnonzero(sm)
        inv = 1.0 / al[si]
        if single:
            inv = inv.astype(np.float32).astype(np.float64)
        scale = np.ones(m)
        scale[si] = list(map(math.pow, (1 - st.a[spos[si]]).tolist(), inv.tolist()))
        dl = scale * dl
    V *= dl  # d * v: scale 1.0 times d is d
    if m == a.size:
        return V
    out = np.zeros(a.size)
    out[live] = V
    return out


def _gamma_run(st, k, e, q, cache, cval, dl, cl, V):
    """Live elements k..e-1, none below alpha 1 (no boost uniform), attempt by attempt: each
    attempt of Marsaglia and Tsang takes a normal (a new Box-Muller pair every other one) and
    one uniform whatever element makes it, so while no attempt has y <= 0 (it takes no
    uniform) the n-th attempt's normal and uniform sit at fixed places in the stream. They are
    computed vectorised; an attempt whose squeeze holds with y > 0 for the largest c accepts
    for any element, so only the others are replayed in Python, tracking which element makes
    them. Returns the first element not done (an attempt with y <= 0, or the drawn uniforms
    ran out) and the stream state at its start."""
    B, U, c0 = e - k, st.a, int(cache)
    r = np.arange(min(U.size - q, B + B // 8 + 8))
    fresh = (r + c0) % 2 == 0
    npos = r + 2 * ((r + 1 - c0) // 2) + q  # the attempt's normal: pairs drawn before it
    upos = npos + 2 * fresh
    R = int(np.searchsorted(upos, U.size))
    fi = np.flatnonzero(fresh[:R])
    pp = npos[fi]
    th = (_TAU * U[pp]).tolist()
    rad = np.sqrt(-2.0 * np.fromiter(map(math.log1p, (-U[pp + 1]).tolist()), float, fi.size))
    sn = np.empty(R)
    sn[fi] = rad * np.fromiter(map(math.sin, th), float, fi.size)
    x = np.empty(R)
    x[fi] = rad * np.fromiter(map(math.cos, th), float, fi.size)
    nx = fi[fi + 1 < R] + 1
    x[nx] = sn[nx - 1]  # the cached sine of the pair before
    if c0 and R:
        x[0] = cval
    u = 1 - U[upos[:R]]
    xx = x * x
    sq = u < 1.0 - _K * xx * xx
    cc, dd = cl[k:e], dl[k:e]
    hard = np.flatnonzero(~sq | (1.0 + cc.max(initial=0.0) * x <= 0))
    ccl, ddl, log = cc.tolist(), dd.tolist(), math.log
    F, rej, ke = 0, [], B
    for a, xa, ua, xxa, sqa in zip(hard.tolist(), x[hard].tolist(), u[hard].tolist(),
                                   xx[hard].tolist(), sq[hard].tolist()):
        j = a - F  # the element making attempt a
        if j >= B:
            break
        y = 1.0 + ccl[j] * xa
        if y <= 0:
            ke = j
            break
        if sqa:
            continue
        v = y * y * y
        if log(ua) < 0.5 * xxa + ddl[j] * (1.0 - v + log(v)):
            continue
        F += 1
        rej.append(j)
    rk = np.arange(ke)
    rk += np.searchsorted(np.array(rej, np.int64), rk, "right")  # each one's accepting attempt
    done = int(np.searchsorted(rk, R))
    rk = rk[:done]
    y = 1.0 + cc[:done] * x[rk]
    V[k:k + done] = y * y * y
    a = int(rk[-1]) + 1 if done else 0  # the next element's first attempt
    q, cached = q + a + 2 * ((a + 1 - c0) // 2), (a + c0) % 2 == 1
    if a:
        cval = float(sn[a - 1]) if cached else None
    return k + done, q, cached, cval


def _gamma_walk(st, k, stop, q, cache, cval, dl, cl, sm, V, spos, bound):
    """Live elements k..stop-1 by the serial loop, on the stream's uniforms."""
    sqrt, log1p, log, cos, sin, tau, kk = (math.sqrt, math.log1p, math.log, math.cos,
                                           math.sin, _TAU, _K)
    U = st.u
    dd, cc, ss = dl[k:stop].tolist(), cl[k:stop].tolist(), sm[k:stop].tolist()
    out, sp = [], []  # v of each element; the boost uniform's index of each small one
    j = 0
    while j < len(dd):
        q0, cache0, cval0 = q, cache, cval
        try:
            if ss[j]:
                sp.append(q)
                q += 1
            di, ci = dd[j], cc[j]
            while True:
                if cache:
                    x, cache = cval, False
                else:
                    r = sqrt(-2.0 * log1p(-U[q + 1]))
                    th = tau * U[q]
                    x, cval, cache = r * cos(th), r * sin(th), True
                    q += 2
                y = 1.0 + ci * x
                if y > 0:
                    v = y * y * y
                    u = 1 - U[q]
                    q += 1
                    xx = x * x
                    if u < 1.0 - kk * xx * xx or log(u) < 0.5 * xx + di * (1.0 - v + log(v)):
                        break
        except IndexError:  # past the drawn uniforms: draw at least the rest's lower bound
            del sp[sum(ss[:j]):]
            q, cache, cval = q0, cache0, cval0
            st.extend(max(1, bound(k + j, cache) - (len(U) - q)))
            continue
        out.append(v)
        j += 1
    V[k:stop] = out
    if sp:
        spos[k + np.flatnonzero(sm[k:stop])] = sp
    return stop, q, cache, cval


@functools.lru_cache(maxsize=64)
def _ptrs(lam: float) -> tuple:
    """Hoermann's constants for one rate (a rate tensor often repeats its values)."""
    b = 0.931 + 2.53 * math.sqrt(lam)
    invalpha, vr = 1.1239 + 1.1328 / (b - 3.4), 0.9277 - 3.6224 / (b - 2)
    return math.log(lam), b, -0.059 + 0.02483 * b, invalpha, vr


def _poisson_one(U: list, q: int, lam: float):
    """sample_poisson(lambda) on the uniforms U[q:]: Hoermann's transformed rejection for
    lambda >= 10, else the count of uniforms whose running product stays above exp(-lambda).
    Returns the count and the index of the next unused uniform."""
    if lam >= 10:
        loglam, b, a, invalpha, vr = _ptrs(lam)
        while True:
            u = U[q] - 0.5
            v = U[q + 1]
            q += 2
            us = 0.5 - abs(u)
            k = math.floor((2 * a / us + b) * u + lam + 0.43)
            if us >= 0.07 and v <= vr:
                return k, q
            if k < 0 or (us < 0.013 and v > us):
                continue
            if (math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b)
                    <= -lam + k * loglam - math.lgamma(k + 1.0)):
                return k, q
    if lam == 0:
        return 0, q
    enlam, x, prod = math.exp(-lam), 0, 1.0
    while True:
        prod *= U[q]
        q += 1
        if prod > enlam:
            x += 1
        else:
            return x, q


def poisson(gen, lam: np.ndarray) -> np.ndarray:
    """torch.poisson(lam): one sample_poisson(double(lambda)) per element in C order, on
    uniforms drawn ahead only as far as they are sure to be used (an element takes at least
    two for lambda >= 10, one for other nonzero lambdas)."""
    a = np.asarray(lam, order="C")  # keeps a 0-d lam 0-d
    lams = a.reshape(-1).astype(np.float64).tolist()
    rest = list(itertools.accumulate([2 if v >= 10 else int(v != 0) for v in reversed(lams)]))
    rest.reverse()  # the least the elements from i on draw
    st = _Stream(gen.bits, rest[0] if rest else 0)
    out, q, i = [], 0, 0
    while i < len(lams):
        try:
            x, q = _poisson_one(st.u, q, lams[i])
        except IndexError:  # past the drawn uniforms: draw at least the rest's lower bound
            st.extend(max(1, rest[i] - (len(st.u) - q)))
            continue
        out.append(x)
        i += 1
    return np.array(out, np.float64).reshape(a.shape).astype(a.dtype)
