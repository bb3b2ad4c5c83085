"""erf on NumPy arrays (NumPy has none): W. J. Cody's rational Chebyshev approximations
(Math. Comp. 23, 1969), accurate to about 1e-16 in float64, in three ranges of |x|; float32
through a Taylor table (same roundings, ~8x faster); and PyTorch's float32 GELU kernels
(forward and backward, oneDNN's AVX-512 forms)."""

from __future__ import annotations

import numpy as np

# erf(x) = x * P(x^2) / Q(x^2)                                     for |x| <= 0.46875
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
# erfc(y) = exp(-y^2) * P(y) / Q(y)                                for 0.46875 < y <= 4
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
# erfc(y) = exp(-y^2) / y * (1/sqrt(pi) + z P(z) / Q(z)),  z = 1/y^2     for y > 4
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)
_INV_SQRT_PI = 5.6418958354775628695e-1


def _small(x: np.ndarray) -> np.ndarray:
    z = x * x
    num, den = _A[4] * z, z
    for a, b in zip(_A[:3], _B[:3]):
        num = (num + a) * z
        den = (den + b) * z
    return x * (num + _A[3]) / (den + _B[3])


def _exp_neg_sq(y: np.ndarray) -> np.ndarray:
    """exp(-y^2), split as exp(-t^2) exp(-(y-t)(y+t)) with t = y rounded to 1/16 so that
    the large exponent is exact (Cody's trick against cancellation)."""
    t = np.trunc(y * 16.0) / 16.0
    return np.exp(-t * t) * np.exp(-(y - t) * (y + t))


def _erfc_mid(y: np.ndarray) -> np.ndarray:
    num, den = _C[8] * y, y
    for c, d in zip(_C[:7], _D[:7]):
        num = (num + c) * y
        den = (den + d) * y
    return _exp_neg_sq(y) * (num + _C[7]) / (den + _D[7])


def _erfc_large(y: np.ndarray) -> np.ndarray:
    z = 1.0 / (y * y)
    num, den = _P[5] * z, z
    for p, q in zip(_P[:4], _Q[:4]):
        num = (num + p) * z
        den = (den + q) * z
    r = z * (num + _P[4]) / (den + _Q[4])
    return _exp_neg_sq(y) * (_INV_SQRT_PI - r) / y


_CHUNK = 16384  # elements per pass group: the float64 temporaries stay in L2
_GRID = 256.0  # Taylor table step 1/256 over [0, 4]
_TABLE = None


def _taylor_table():
    """Coefficients c0..c5 of erf's Taylor series at x0 = k/256, k = 0..1024 (from Cody's
    erf and erf' = 2/sqrt(pi) exp(-x^2)): with |h| <= 1/512 the dropped h^6 term is below
    1e-17 relative, so float32 results round as Cody's float64 ones do."""
    global _TABLE
    x0 = np.arange(1025) / _GRID
    x2 = x0 * x0
    d1 = 2.0 * _INV_SQRT_PI * np.exp(-x2)
    _TABLE = (_erf64(x0), d1, -x0 * d1, (2.0 * x2 - 1.0) * d1 / 3.0,
              (3.0 - 2.0 * x2) * x0 * d1 / 6.0, ((4.0 * x2 - 12.0) * x2 + 3.0) * d1 / 30.0)
    return _TABLE


def _erf_small_dtype(v: np.ndarray, out: np.ndarray) -> None:
    """erf of a float32 (or narrower) chunk into ``out``: one table Taylor step, no masks.
    erf(4) = 1 - 1.5e-8 already rounds to 1 in float32, so |x| is clamped to 4."""
    tab = _TABLE or _taylor_table()
    y = np.abs(v, dtype=np.float64)
    np.minimum(y, 4.0, out=y)  # nan stays nan
    k = np.multiply(y, _GRID)
    np.rint(k, out=k)
    with np.errstate(invalid="ignore"):
        idx = k.astype(np.intp)  # nan: any index (clipped below), h is nan anyway
    h = np.multiply(k, 1.0 / _GRID, out=k)
    np.subtract(y, h, out=h)  # exact: |h| <= 1/512
    c = np.empty_like(y)
    p = np.take(tab[5], idx, mode="clip", out=y)
    for coef in tab[4::-1]:
        p *= h
        p += np.take(coef, idx, mode="clip", out=c)
    np.copysign(p, v, out=out, casting="same_kind")


def _flat_pair(a: np.ndarray):
    """An output in a's layout (a transposed x gives a transposed result, as PyTorch), and
    1-d views of a (or a copy) and of it with matching element order."""
    out = np.empty_like(a)
    perm = np.argsort([-st for st in out.strides], kind="stable")
    res = out.transpose(perm).reshape(-1)  # a view: out is dense in this axis order
    return out, np.ascontiguousarray(a.transpose(perm)).reshape(-1), res


def erf(x) -> np.ndarray:
    """erf(x) elementwise in x's floating dtype: float32 and narrower by a Taylor table
    (few passes, in cache-sized chunks), float64 by Cody's approximations (~1e-16)."""
    a = np.asarray(x)
    if a.dtype.kind != "f" or a.dtype.itemsize > 4:
        return _erf64(a.astype(np.float64, copy=False)).astype(
            a.dtype if a.dtype.kind == "f" else np.float64, copy=False)
    out, flat, res = _flat_pair(a)
    for i in range(0, flat.size, _CHUNK):
        _erf_small_dtype(flat[i:i + _CHUNK], res[i:i + _CHUNK])
    return out


def _erf64(v: np.ndarray) -> np.ndarray:
    """Cody's erf on float64, in chunks."""
    out, flat, res = _flat_pair(v)
    for i in range(0, flat.size, _CHUNK):
        res[i:i + _CHUNK] = _cody(flat[i:i + _CHUNK])
    return out


def _cody(v: np.ndarray) -> np.ndarray:
    y = np.abs(v)
    out = np.empty_like(v)
    small = y <= 0.46875
    mid = (y > 0.46875) & (y <= 4.0)
    large = y > 4.0
    if small.any():
        out[small] = _small(v[small])
    if mid.any():
        out[mid] = np.copysign(1.0 - _erfc_mid(y[mid]), v[mid])
    if large.any():
        yl = np.minimum(y[large], 27.0)  # erfc underflows to 0 beyond ~26.6
        out[large] = np.copysign(1.0 - _erfc_large(yl), v[large])
    nan = np.isnan(v)
    if nan.any():
        out[nan] = np.nan
    return out


# PyTorch's float32 F.gelu on a contiguous tensor runs oneDNN's AVX-512 kernel: erf(x/sqrt 2)
# by one of 25 degree-5 minimax polynomials in |x|, picked by |x|'s exponent and 2 mantissa
# bits; gelu = (x * (1 + sign * p(|x|))) * 0.5. Its coefficients (float32 bit patterns,
# per degree 0..5, polynomial 0..24):
_DNNL_HEX = """
a6f2cb94 32827792 3381cc0c 34523d4a 351ac44d 35f36d88 36ee8229 37b8a3bb 3867a213 3940033b
3a2a5a1d 3ae35863 3b7828f2 3c08b14b 3c515ed3 bb503236 bd8d8e5e be8abcd9 bf0c19a2 beccb328
3e176ced 3f470d99 3f7abb28 3f800000 00000000
3f4c422a 3f4c421f 3f4c4207 3f4c41cb 3f4c413b 3f4c3fad 3f4c3a2f 3f4c2d40 3f4c146a 3f4bc341
3f4ad08c 3f48f8cf 3f45fac7 3f404e07 3f3b980f 3f48dff3 3f78b21b 3fbb0704 40019c32 3fe536d6
3f81331e 3e6c8684 3c98f936 00000000 3f800000
b62173f4 3735e4cf 37f2ff89 388c23be 3917535c 39ab2ab0 3a60fadb 3af9b960 3b6e5491 3c0a4ec5
3ca5aa8c 3d2138d9 3d8737d4 3ddfb660 3e0f27ab 3d94004b be0efdeb bf1d96c3 bf89db58 bf6d9897
bef69fb8 bdc4f8a8 bbde6422 00000000 00000000
be081a19 be084570 be08639b be089837 be08f409 be09ab95 be0b66d0 be0e400a be124df8 be1bde02
be2f19c9 be4931bf be685fbc be89c95f be96cbca be8044aa be0550f2 3dcfd6a1 3e94c826 3e79345f
3decec91 3ca46568 3aa1e00a 00000000 00000000
ba3d61db 39f097a3 3a5845dc 3ab1fa35 3b0cefb8 3b653ab6 3bcae527 3c221712 3c6c5840 3cc0a703
3d1dcc19 3d63656d 3d955907 3dbf9910 3dd53f69 3db7dcef 3d639ebe ba6ede48 bd22be69 bd041cf1
bc64f5ab bb097a32 b8ebf380 00000000 00000000
3cb7d80c 3c9b6050 3c978d11 3c92e850 3c8d058b 3c848454 3c6cd623 3c4c824b 3c2a7935 3be0b390
3b0651ac bb232f53 bbd42fa0 bc2c5366 bc492c9e bc2a7aa6 bbd55d04 ba823a76 3b102aa8 3ae25a7e
3a31f792 38b84375 3689bb5a 00000000 00000000
"""
_DNNL = None
_DNNL_RBOUND = np.uint32(0x40B15CEE).view(np.float32)  # 5.542594: beyond, erf = 1


def _dnnl_table():
    global _DNNL
    bits = np.array([int(h, 16) for h in _DNNL_HEX.split()], np.uint32)
    _DNNL = bits.view(np.float32).astype(np.float64).reshape(6, 25)
    return _DNNL


def gelu_f32(x: np.ndarray) -> np.ndarray:
    """PyTorch's float32 GELU (approximate='none') on a C-contiguous array, bit for bit:
    oneDNN's kernel with each FMA as a float64 product + sum rounded once to float32."""
    tab = _DNNL if _DNNL is not None else _dnnl_table()
    out = np.empty_like(x)
    flat, res = x.reshape(-1), out.reshape(-1)
    for i in range(0, flat.size, _CHUNK):
        v = flat[i:i + _CHUNK]
        xp = np.abs(v)
        # polynomial index: (bits(|x|) - 0x3de00001) >> 21 (int32), clamped to [1, 24]
        idx = xp.view(np.int32) - np.int32(0x3DE00001)
        idx >>= 21
        np.clip(idx, 1, 24, out=idx)
        idx = np.where(xp > _DNNL_RBOUND, 23, idx).astype(np.intp)  # nan: p is nan anyway
        a = xp.astype(np.float64)
        p = tab[5].take(idx)
        r = np.empty(v.shape, np.float32)
        for d in range(4, -1, -1):
            p *= a
            p += tab[d].take(idx)
            r[...] = p  # the FMA's one rounding
            p[...] = r
        np.negative(r, out=r, where=np.signbit(v))
        r += np.float32(1)
        r *= v
        r *= np.float32(0.5)
        res[i:i + _CHUNK] = r
    return out


def _f32(*bits):
    return np.array(bits, np.uint32).view(np.float32)


# oneDNN's GELU backward (the derivative of gelu_erf, float32, AVX-512): erf by Abramowitz
# and Stegun 7.1.26 with oneDNN's own exp. Constants as float32 bit patterns.
_ISQ2, _ISQPI, _AS_P, _LOG2E, _LN2 = _f32(0x3F3504F3, 0x3F106EBA, 0x3EA7BA05, 0x3FB8AA3B,
                                          0x3F317218)
_LN_MIN = _f32(0xC2AEAC50)[0]  # ln(FLT_MIN): exp below it is 0
_AS = _f32(0x3E827906, 0xBE91A98E, 0x3FB5F0E3, 0xBFBA00E3, 0x3F87DC22).astype(np.float64)
_EXP = _f32(0x3F7FFFFB, 0x3EFFFEE3, 0x3E2AAD40, 0x3D2B9D0D, 0x3C07CFCE).astype(np.float64)


# Both polynomials run as one Horner chain on [t, W] side by side: exp's c4..c0, 1 in t
# and Abramowitz-Stegun's a5..a1 in W (led by an exact 0), highest degree first.
_COEFS = [(_EXP[4], 0.0), *zip(_EXP[3::-1], _AS[:0:-1]), (1.0, _AS[0])]
_COLS = np.array(_COEFS)[..., None]


def _poly(tw, m, p, out):
    """Horner steps p = fma(p, tw, c) on the float64 array tw of float32 values (its two
    halves at m take their own coefficients), p float64 scratch, into float32 out: the
    float64 product of float32s is exact and the sum is rounded once to float32 (a float64
    sum that rounds first is too rare to matter)."""
    p[:m], p[m:] = _COEFS[0]
    small = m < 2048  # few elements: one broadcast add is quicker than two
    cols = p.reshape(2, m)
    for k, (ce, ca) in enumerate(_COEFS[1:], 1):
        p *= tw
        if small:
            cols += _COLS[k]
        else:
            p[:m] += ce
            p[m:] += ca
        out[...] = p
        if k < len(_COEFS) - 1:
            p[...] = out
    return out


def gelu_grad_f32(x: np.ndarray, g) -> np.ndarray:
    """PyTorch's float32 GELU input gradient g * gelu'(x) on a C-contiguous x, bit for bit:
    oneDNN's eltwise backward, gelu'(x) = fma(erf(R), 0.5, R/sqrt(pi) * Q + 0.5) with
    R = x/sqrt2 and, each step rounded to float32 (FMAs once):
      erf(R) = sign(R) * fma(-Q*W, a1 + W*(a2 + ... + W*a5), 1), W = 1 / fma(p, |R|, 1)
        (Abramowitz-Stegun 7.1.26), and oneDNN's Q = exp(s), s = -min(R^2, -ln(FLT_MIN)):
      n = floor(s*log2e + 0.5), t = fma(-n, ln2, s) (exact: |t| < 0.35),
      Q = (fma(..fma(c4, t, c3).., t, 1) * 2^(n-1)) * 2, 2^(n-1) built from exponent bits:
        0 for n = -126 (exp(-inf) = 0, so gelu'(+-inf) = nan as in torch)."""
    out = np.empty(x.shape, np.float32)
    flat, res = x.reshape(-1), out.reshape(-1)
    for i in range(0, flat.size, _CHUNK):
        r = flat[i:i + _CHUNK] * _ISQ2
        q = np.multiply(r, r)
        np.minimum(q, -_LN_MIN, out=q)  # -s
        n = q * -_LOG2E
        n += np.float32(0.5)
        np.floor(n, out=n)
        m = r.size
        tw = np.empty(2 * m)
        t, w = tw[:m], tw[m:]
        np.multiply(n, np.float64(-_LN2), out=t)
        t -= q
        np.abs(r, out=w)
        w *= float(_AS_P)
        w += 1.0
        pw = np.empty(2 * m, np.float32)
        pe, pa = pw[:m], pw[m:]
        pa[...] = w  # fma(p, |R|, 1), rounded once to float32
        np.divide(np.float32(1), pa, out=pa)  # W = 1 / fma(p, |R|, 1)
        w[...] = pa
        q = np.multiply(r, _ISQPI, out=q)
        _poly(tw, m, np.empty_like(tw), pw)
        n += np.float32(126)  # (n - 1) + 127
        e = n.astype(np.int32)
        e <<= 23
        pe *= e.view(np.float32)
        pe *= np.float32(2)  # Q
        q *= pe
        q += np.float32(0.5)  # P = R/sqrt(pi) * Q + 0.5
        pe *= w  # Q * W
        np.multiply(pa, pe, out=t, dtype=np.float64)
        np.subtract(1.0, t, out=pa)  # erf(|R|) = fma(-Q W, poly, 1)
        pa *= np.copysign(np.float32(0.5), r, out=pe)  # exact: erf(R) / 2
        np.add(pa, q, out=res[i:i + _CHUNK])  # fma(erf, 0.5, P): erf * 0.5 is exact
    out *= g
    return out
