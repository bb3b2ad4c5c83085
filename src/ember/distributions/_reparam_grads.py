"""PyTorch's approximate reparameterisation derivatives for Gamma and Dirichlet/Beta samples
(torch._standard_gamma_grad, torch._dirichlet_grad), vectorised with NumPy.

PyTorch does not integrate the CDF; it evaluates fixed approximations (series, Rice
saddle-point expansions, fitted rational functions), accurate to ~1e-3 relative. Training
code compares numbers with it, so these reproduce the same formulas, branch boundaries and
working precisions: the Gamma derivative in float64 for every dtype; the Dirichlet one in
float64 except its small-x series and the digamma recurrence, which PyTorch runs in the
input dtype. torch_row_sum adds a last dim in ATen's order, for the totals these depend on.
(_gamma_math keeps the exact quadrature, used by Gamma.cdf's derivative.)
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor

_PSI_10 = 2.25175258906672110764
_PSI_A = (8.33333333333333333333E-2, -2.10927960927960927961E-2, 7.57575757575757575758E-3,
          -4.16666666666666666667E-3, 3.96825396825396825397E-3, -8.33333333333333333333E-3,
          8.33333333333333333333E-2)
_F08, _F09, _F11 = (float(np.float32(v)) for v in (0.8, 0.9, 1.1))  # PyTorch's float literals


def _m(fn, dt, *args):
    """fn (log, power) in ``dt`` as C's logf/powf round it: float32 via float64, which
    rounds to nearest like glibc (NumPy's own float32 kernels are off by an ulp at times)."""
    if dt == np.float32:
        return fn(*(np.asarray(v, np.float64) for v in args)).astype(np.float32)
    return fn(*args)


def _digamma(x, dt):
    """psi(x), x > 0: psi(x) = psi(x + n) - sum 1/(x + k) up to x + n >= 10 (the shift done in
    ``dt``, the sum in float64), then log x - 1/(2x) - sum B_2k / (2k x^2k) (or psi(10))."""
    x = np.asarray(x, dt).copy()
    res = np.zeros(x.shape)
    one = dt.type(1)
    for _ in range(11):
        m = x < 10
        if not m.any():
            break
        res[m] -= (one / x[m]).astype(np.float64)
        x[m] += one
    with np.errstate(divide="ignore"):
        z = 1.0 / (x * x).astype(np.float64)
    poly = np.zeros(x.shape)
    for a in _PSI_A:
        poly = poly * z + a
    y = np.where(x < 1e17, z * poly, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        tail = res + _m(np.log, dt, x).astype(np.float64) - (dt.type(0.5) / x).astype(np.float64) - y
    out = np.where(x == 10, res + _PSI_10, tail)
    return np.where(x == 0, np.inf, out).astype(dt)


def standard_gamma_grad(alpha, x) -> np.ndarray:
    """dx/dalpha for x ~ Gamma(alpha, 1) (float64 inside, returned in x's dtype):

    * x < 0.8: Taylor series of the CDF, F = x^a S1, dF/da = (log x - psi(a)) F - x^a S2 with
      S1 = sum_{i<=5} (-x)^i / (i! (a+i)), S2 = sum (-x)^i / (i! (a+i)^2); result -dF/da / p(x),
      p = x^(a-1) e^-x (nan -> 0).
    * a > 8, 0.9a <= x <= 1.1a: (1 + 24a(1 + 12a)) (1440a^2 + 6x(53 - 120x) - 65x^2/a
      + a(107 + 3600x)) / (1244160 a^4).
    * a > 8 otherwise (Rice's saddle point): with d = sqrt(8a), l = log(x/a),
      t3 = (x - a - a l)^-1.5, t1 = l (d/(a-x) -/+ t3) - sqrt(2/a)(a+x)/(a-x)^2 (- for x < a),
      result -(1 + (1 + 1/(24a))/(12a)) x t1 / d.
    * else exp(p/q), p and q cubics in v = log a whose coefficients are quadratics in
      u = log(x/a) (PyTorch's fitted table)."""
    dt = np.result_type(alpha, x)
    a, x = np.broadcast_arrays(np.asarray(alpha, np.float64), np.asarray(x, np.float64))
    out = np.empty(a.shape)
    small = x < _F08
    big = ~small & (a > 8)
    mid = big & (_F09 * a <= x) & (x <= _F11 * a)
    far = big & ~mid
    rat = ~small & ~big
    with np.errstate(all="ignore"):
        if small.any():
            xs, as_ = x[small], a[small]
            numer, denom = np.ones(xs.shape), as_.copy()
            s1, s2 = numer / denom, numer / (denom * denom)
            for i in range(1, 6):
                numer = numer * (-xs / i)
                denom = denom + 1
                s1 = s1 + numer / denom
                s2 = s2 + numer / (denom * denom)
            pxa = np.power(xs, as_)
            pdf = np.power(xs, as_ - 1) * np.exp(-xs)
            dcdf = (np.log(xs) - _digamma(as_, np.dtype(np.float64))) * (pxa * s1) - pxa * s2
            r = -dcdf / pdf
            out[small] = np.where(np.isnan(r), 0.0, r)
        if mid.any():
            xm, am = x[mid], a[mid]
            n1 = 1 + 24 * am * (1 + 12 * am)
            n2 = 1440 * (am * am) + 6 * xm * (53 - 120 * xm) - 65 * xm * xm / am \
                + am * (107 + 3600 * xm)
            out[mid] = n1 * n2 / (1244160 * (am * am) * (am * am))
        if far.any():
            xf, af = x[far], a[far]
            d = np.sqrt(8 * af)
            t2 = d / (af - xf)
            t3 = np.power(xf - af - af * np.log(xf / af), -1.5)
            t1 = np.log(xf / af) * np.where(xf < af, t2 - t3, t2 + t3) \
                - np.sqrt(2 / af) * (af + xf) / ((af - xf) * (af - xf))
            stirling = 1 + 1 / (12 * af) * (1 + 1 / (24 * af))
            out[far] = -stirling * (xf * t1) / d
        if rat.any():
            u, v = np.log(x[rat] / a[rat]), np.log(a[rat])
            c = [_GAMMA_UV[0][i] + u * (_GAMMA_UV[1][i] + u * _GAMMA_UV[2][i]) for i in range(8)]
            p = c[0] + v * (c[1] + v * (c[2] + v * c[3]))
            q = c[4] + v * (c[5] + v * (c[6] + v * c[7]))
            out[rat] = np.exp(p / q)
    return out.astype(dt)


_GAMMA_UV = ((0.16009398, -0.094634809, 0.025146376, -0.0030648343,
              1, 0.32668115, 0.10406089, 0.0014179084),
             (0.53487893, 0.1298071, 0.065735949, -0.0015649758,
              0.16639465, 0.020070113, -0.0035938915, -0.00058392623),
             (0.040121004, -0.0065914022, -0.0026286047, -0.0013441777,
              0.017050642, -0.0021309326, 0.00085092367, -1.5247877e-07))


def _beta_alpha_small(x, a, b, dt):
    """Taylor series in x (in ``dt``): with f = psi(a) - psi(a+b) - log x and
    n_i = prod_{k<=i} (k - b) x / k, x (1-x)^-b sum_{i<=10} n_i / (a+i) (f + 1/(a+i))."""
    f = _digamma(a, dt) - _digamma(a + b, dt) - _m(np.log, dt, x)
    numer = np.ones_like(x)
    series = numer / a * (f + 1 / a)
    for i in range(1, 11):
        i = dt.type(i)
        numer = numer * ((i - b) * x / i)
        denom = a + i
        series = series + numer / denom * (f + 1 / denom)
    r = x * _m(np.power, dt, 1 - x, -b) * series
    return np.where(np.isnan(r), dt.type(0), r)


def _beta_beta_small(x, a, b, dt):
    """d/db of the Beta(a, b) sample x near 0, Taylor series in x (in ``dt``): with
    f = psi(a+b) - psi(b), B_i = prod_{k<=i} (b - k) and B_i' its derivative in b,
    -(1-x)^(1-b) (f/a + sum_{i<=8} (-x)^i / (i! (a+i)) (B_i' + f B_i))."""
    f = _digamma(a + b, dt) - _digamma(b, dt)
    numer, betas, dbetas = np.ones_like(x), np.ones_like(x), np.zeros_like(x)
    series = f / a
    for i in range(1, 9):
        i = dt.type(i)
        numer = numer * (-x / i)
        dbetas = dbetas * (b - i) + betas
        betas = betas * (b - i)
        series = series + numer / (a + i) * (dbetas + f * betas)
    r = -_m(np.power, dt, 1 - x, 1 - b) * series
    return np.where(np.isnan(r), dt.type(0), r)


def _beta_alpha_mid(x, a, b):
    """Rice saddle-point expansion for a, b > 6 (float64). With T = a + b, m = a/T,
    s = sqrt(ab/(T+1))/T: within 0.1 s of m, a polynomial in x, a, b over
    12960 a^3 b^2 (1 + 12T) (1 - x) times (1+12a)(1+12b)/T^2; elsewhere
    -x/sqrt(2ab/T) * St(a) St(b)/St(T) * (t1 + t2 (t3 +/- t4)), St(z) = 1 + 1/(12z) + 1/(288z^2),
    t1 = (2a^2(x-1) + ab(x-1) - x b^2) / (sqrt(2a/b) T^1.5 (a(x-1) + bx)^2),
    t2 = log(a/(Tx))/2, t3 = sqrt(8ab/T)/(bx + a(x-1)),
    t4 = (b log(b/(T(1-x))) + a log(a/(Tx)))^-1.5 (+ below the mean)."""
    t = a + b
    mean = a / t
    std = np.sqrt(a * b / (t + 1)) / t
    near = (mean - 0.1 * std <= x) & (x <= mean + 0.1 * std)
    bb = b * b
    poly = 47 * x * bb * bb + a * (
        (43 + 20 * (16 + 27 * b) * x) * bb * b + a * (
            3 * (59 + 180 * b - 90 * x) * bb + a * (
                (453 + 1620 * b * (1 - x) - 455 * x) * b + a * (8 * (1 - x) * (135 * b - 11)))))
    pre_num = (1 + 12 * a) * (1 + 12 * b) / (t * t)
    pre_den = 12960 * a * a * a * b * b * (1 + 12 * t)
    at_mean = pre_num / (1 - x) * poly / pre_den
    prefactor = -x / np.sqrt(2 * a * b / t)
    stirling = ((1 + 1 / (12 * a) + 1 / (288 * a * a)) * (1 + 1 / (12 * b) + 1 / (288 * b * b))
                / (1 + 1 / (12 * t) + 1 / (288 * t * t)))
    axbx = a * (x - 1) + b * x
    t1 = (2 * (a * a) * (x - 1) + a * b * (x - 1) - x * bb) / (
        np.sqrt(2 * a / b) * np.power(t, 1.5) * axbx * axbx)
    t2 = 0.5 * np.log(a / (t * x))
    t3 = np.sqrt(8 * a * b / t) / (b * x + a * (x - 1))
    t4 = np.power(b * np.log(b / (t * (1 - x))) + a * np.log(a / (t * x)), -1.5)
    away = stirling * prefactor * (t1 + t2 * (t3 + np.where(x < mean, t4, -t4)))
    return np.where(near, at_mean, away)


def dirichlet_grad(x, alpha, total) -> np.ndarray:
    """-(dF/dalpha)/p(x)/(1-x) for x ~ Beta(alpha, total - alpha) (F, p its CDF and density),
    the Dirichlet's per-component derivative, by PyTorch's four approximations:
    x <= 0.5 with total x (1-x) < 2.5: the small-x series in alpha; x >= 0.5 with
    total x (1-x) < 0.75: minus the small-x series in beta at 1 - x with alpha and beta swapped;
    alpha, beta > 6: the saddle-point expansion; else x (psi(total) - psi(alpha)) / beta times
    p/q, p and q quadratics in u = log x and w = log alpha - u whose coefficients are cubics in
    log total - w (PyTorch's fitted table)."""
    dt = np.result_type(x, alpha, total)
    x, alpha, total = (np.asarray(v, dt) for v in np.broadcast_arrays(x, alpha, total))
    out = np.empty(x.shape, np.float64)
    beta = total - alpha
    bound = total * x * (1 - x)
    lo = (x <= 0.5) & (bound < 2.5)
    hi = ~lo & (x >= 0.5) & (bound < 0.75)
    mid = ~lo & ~hi & (alpha > 6) & (beta > 6)
    rat = ~lo & ~hi & ~mid
    f64 = np.float64
    with np.errstate(all="ignore"):
        if lo.any():
            out[lo] = _beta_alpha_small(x[lo], alpha[lo], beta[lo], dt)
        if hi.any():
            out[hi] = -_beta_beta_small(1 - x[hi], beta[hi], alpha[hi], dt)
        if mid.any():
            a64 = alpha[mid].astype(f64)
            out[mid] = _beta_alpha_mid(x[mid].astype(f64), a64, total[mid].astype(f64) - a64)
        if rat.any():
            x64, a64, t64 = (v[rat].astype(f64) for v in (x, alpha, total))
            u = np.log(x64)
            w = np.log(a64) - u
            b = np.log(t64) - w
            pq = []
            for k in range(2):
                acc = 0.0
                for i, ui in enumerate((1.0, u, u * u)):
                    for j, wj in enumerate((1.0, w, w * w)):
                        c = _DIRICHLET_C[k][i][j]
                        acc = acc + ui * wj * (c[0] + b * (c[1] + b * (c[2] + b * c[3])))
                pq.append(acc)
            dpsi = (_digamma(t64.astype(dt), dt) - _digamma(a64.astype(dt), dt)).astype(f64)
            out[rat] = pq[0] / pq[1] * (x64 * dpsi / (t64 - a64))
    return out.astype(dt)


_DIRICHLET_C = (
    (((1.003668233, -0.01061107488, -0.0657888334, 0.01201642863),
      (0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033),
      (-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013)),
     ((0.221950385, -0.3187676331, 0.01799915743, 0.01074823814),
      (-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057),
      (0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05)),
     ((-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565),
      (0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181),
      (0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05))),
    (((1, -0.02924021934, -0.04438342661, 0.007285809825),
      (0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521),
      (-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149)),
     ((0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273),
      (0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956),
      (-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05)),
     ((0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05),
      (0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05),
      (-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06))))



def torch_row_sum(a: np.ndarray) -> np.ndarray:
    """a.sum(-1, keepdims=True) in ATen's order for a contiguous last dim (so float32 totals
    round as PyTorch's): rows split into 4 interleaved partial sums, the tail added to the
    first, then combined in order; rows of at least one vector are summed a vector at a time
    that way, the scalar tail first, then the vector's lanes (32-byte vectors, also on AVX512
    machines). Long rows, where ATen's cascade levels start: NumPy's sum."""
    k = a.shape[-1]
    lanes = 32 // a.dtype.itemsize
    if k >= 64 * lanes:
        return a.sum(-1, keepdims=True)

    def ilp4(rows):  # rows: [..., n, m] -> [..., m]
        n = rows.shape[-2]
        p = [rows[..., j, :].copy() for j in range(min(n, 4))]
        for i in range(4, n - n % 4):
            p[i % 4] += rows[..., i, :]
        for i in range(max(n - n % 4, 4), n):
            p[0] += rows[..., i, :]
        for q in p[1:]:
            p[0] += q
        return p[0]

    if k < lanes:
        return ilp4(a[..., :, None]) if k else np.zeros(a.shape[:-1] + (1,), a.dtype)
    nvec = k // lanes
    vec = ilp4(a[..., :nvec * lanes].reshape(a.shape[:-1] + (nvec, lanes)))
    out = np.zeros(a.shape[:-1], a.dtype)
    for t in range(nvec * lanes, k):
        out += a[..., t]
    for t in range(lanes):
        out += vec[..., t]
    return out[..., None]


_NAMES = {np.dtype(np.float32): "Float", np.dtype(np.float64): "Double",
          np.dtype(np.float16): "Half", np.dtype(np.int64): "Long", np.dtype(np.int32): "Int"}


def _arrays(op, *tensors):
    """The tensors' arrays, of one floating dtype (PyTorch's checks and first lines)."""
    arrays = [t._data if isinstance(t, Tensor) else np.asarray(t) for t in tensors]
    dt = arrays[0].dtype
    for a in arrays[1:]:
        if a.dtype != dt:
            raise RuntimeError(f"Found dtype {_NAMES.get(a.dtype, a.dtype)} but expected "
                               f"{_NAMES.get(dt, dt)}")
    if dt not in (np.float32, np.float64):
        raise NotImplementedError(f'"{op}" not implemented for \'{_NAMES.get(dt, dt)}\'')
    return arrays


def _standard_gamma_grad(self, output) -> Tensor:
    """torch._standard_gamma_grad(alpha, x): dx/dalpha of a standard Gamma(alpha) sample x."""
    a, x = _arrays("_standard_gamma_grad_cpu", self, output)
    return Tensor._make(standard_gamma_grad(a, x), False, None)


def _dirichlet_grad(x, alpha, total) -> Tensor:
    """torch._dirichlet_grad(x, alpha, total): see dirichlet_grad."""
    return Tensor._make(dirichlet_grad(*_arrays("_dirichlet_grad_cpu", x, alpha, total)),
                        False, None)
