"""L-BFGS (PyTorch's algorithm, after minFunc): a closure-driven loop over the parameters
flattened into one vector, with an optional strong-Wolfe line search.

Scalars PyTorch keeps as 0-d tensors (dot products, ``ro``, ``H_diag``, ...) are NumPy
scalars of the parameters' dtype here and Python numbers stay Python numbers, so mixed
arithmetic rounds, and ``state`` holds Tensors or numbers, where PyTorch's does.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .._torch_rng import fma64
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from .optimizer import Optimizer, _check_lr

__all__ = ["LBFGS"]

_STATE_KEYS = ("d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad",
               "prev_loss", "al")


def _to_np(v):
    """A state value as the loop uses it: Tensors to arrays / NumPy scalars."""
    if isinstance(v, Tensor):
        a = np.asarray(v._data)
        return a[()] if a.ndim == 0 else a
    if isinstance(v, list):
        return [_to_np(x) for x in v]
    return v


def _to_state(v):
    """The inverse of ``_to_np``: arrays and NumPy scalars become Tensors."""
    if isinstance(v, (np.ndarray, np.generic)):
        return Tensor._make(np.asarray(v), False, None)
    if isinstance(v, list):
        return [_to_state(x) for x in v]
    return v


def _dot(a: np.ndarray, b: np.ndarray):
    """a . b summed in PyTorch's (MKL's) order for the short vectors of toy problems
    (measured: float64 pairs lanes (0 + 2) + (1 + 3), float32 does so at length 4 only);
    longer vectors take NumPy's order, which differs in the last bit."""
    n = a.size
    if n > 4 or (n == 3 and a.dtype != np.float64):
        return a.dot(b)
    p = a * b
    if n < 4:
        return p.sum() if n < 3 else (p[0] + p[2]) + p[1]
    return (p[0] + p[2]) + (p[1] + p[3])


def _axpy(x: np.ndarray, alpha, y: np.ndarray) -> np.ndarray:
    """x + alpha * y rounded once, as PyTorch's ``x.add_(y, alpha=...)`` (a fused
    multiply-add on CPU, alpha first cast to x's dtype): plain NumPy rounds twice and the
    last-bit differences grow over L-BFGS's iterations."""
    if x.dtype == np.float64:
        return fma64(y, alpha, x)
    return (x.astype(np.float64) + y.astype(np.float64) * np.float64(x.dtype.type(alpha))
            ).astype(x.dtype)


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimizer of the cubic through (x1, f1, g1), (x2, f2, g2), clipped to the bounds
    (the interval itself by default); the midpoint when the cubic has no minimum."""
    lo, hi = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square < 0:
        return (lo + hi) / 2.0
    d2 = np.sqrt(d2_square)
    if x1 <= x2:
        pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(pos, lo), hi)


class _Bracket:
    """The line search's interval: steps, losses, gradients, directional derivatives."""

    def __init__(self, t, f, g, gtd) -> None:
        self.t, self.f, self.g, self.gtd = t, f, g, gtd

    def low_high(self) -> tuple[int, int]:
        return (0, 1) if self.f[0] <= self.f[-1] else (1, 0)

    def set(self, i: int, t, f, g, gtd) -> None:
        self.t[i], self.f[i], self.g[i], self.gtd[i] = t, f, g, gtd


def _bracket_phase(obj_func, x, t, d, f, g, gtd, c1, c2, max_ls):
    """Grow the step until an interval holds a point satisfying the strong Wolfe conditions
    (or one is found): returns (bracket, done, ls_iter, evals, t, f_new, g_new)."""
    f_new, g_new = obj_func(x, t, d)
    gtd_new = _dot(g_new, d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            return (_Bracket([t_prev, t], [f_prev, f_new], [g_prev, g_new],
                             [gtd_prev, gtd_new]), False, ls_iter, t, f_new, g_new)
        if abs(gtd_new) <= -c2 * gtd:
            return _Bracket([t], [f_new], [g_new], None), True, ls_iter, t, f_new, g_new
        if gtd_new >= 0:
            return (_Bracket([t_prev, t], [f_prev, f_new], [g_prev, g_new],
                             [gtd_prev, gtd_new]), False, ls_iter, t, f_new, g_new)
        # extrapolate within [t + 0.01 (t - t_prev), 10 t]
        t_next = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                    bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = t_next
        f_new, g_new = obj_func(x, t, d)
        gtd_new = _dot(g_new, d)
        ls_iter += 1
    return _Bracket([0, t], [f, f_new], [g, g_new], None), False, ls_iter, t, f_new, g_new


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """Line search along d from step t: returns (f_new, g_new, t, function evaluations)."""
    d_norm = np.abs(d).max()
    g = g.copy()
    br, done, ls_iter, t, f_new, g_new = _bracket_phase(obj_func, x, t, d, f, g, gtd, c1, c2,
                                                        max_ls)
    insuf_progress = False
    low, high = br.low_high()
    while not done and ls_iter < max_ls:  # zoom: shrink the interval
        if abs(br.t[1] - br.t[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(br.t[0], br.f[0], br.gtd[0], br.t[1], br.f[1], br.gtd[1])
        t_max, t_min = max(br.t), min(br.t)
        eps = 0.1 * (t_max - t_min)
        if min(t_max - t, t - t_min) < eps:  # too close to an end: move away unless new
            if insuf_progress or t >= t_max or t <= t_min:
                t = t_max - eps if abs(t - t_max) < abs(t - t_min) else t_min + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        gtd_new = _dot(g_new, d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= br.f[low]:
            br.set(high, t, f_new, g_new, gtd_new)
            low, high = (0, 1) if br.f[0] <= br.f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (br.t[high] - br.t[low]) >= 0:
                br.set(high, br.t[low], br.f[low], br.g[low], br.gtd[low])
            br.set(low, t, f_new, g_new, gtd_new)
    return br.f[low], br.g[low], br.t[low], ls_iter + 1


class LBFGS(Optimizer):
    """``torch.optim.LBFGS``: up to ``max_iter`` quasi-Newton iterations per ``step(closure)``
    (at most ``max_eval`` closure calls), with the last ``history_size`` curvature pairs;
    a fixed step ``lr`` or a strong-Wolfe line search. One parameter group only."""

    def __init__(self, params, lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9,
                 history_size: int = 100, line_search_fn: str | None = None) -> None:
        _check_lr(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                    "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
                    "history_size": history_size, "line_search_fn": line_search_fn}
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")

    @property
    def _params(self) -> list:
        return self.param_groups[0]["params"]

    # ---- the parameters as one vector --------------------------------------------------
    def _gather_flat_grad(self) -> np.ndarray:
        parts = [np.zeros(p.numel(), p._data.dtype) if p.grad is None else p.grad._data
                 for p in self._params]
        return np.concatenate(parts, axis=None)

    def _add_grad(self, step_size, update: np.ndarray) -> None:
        at = 0
        for p in self._params:
            arr = p._ensure_array()
            n = arr.size
            arr[...] = _axpy(arr, step_size, update[at:at + n].reshape(arr.shape))
            at += n
            p._bump()

    def _clone_param(self) -> list[np.ndarray]:
        return [np.array(p._data, copy=True) for p in self._params]

    def _set_param(self, params_data: list[np.ndarray]) -> None:
        for p, data in zip(self._params, params_data):
            np.copyto(p._ensure_array(), data)
            p._bump()

    def _directional_evaluate(self, closure, x, t, d):
        self._add_grad(t, d)
        loss = float(self._run_closure(closure))
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    # ---- the step ----------------------------------------------------------------------
    def step(self, closure: Callable):  # noqa: D102 - closure required, as in PyTorch
        """Run up to ``max_iter`` iterations; ``closure`` re-evaluates the model, calls
        backward and returns the loss. Returns the first loss."""
        if not callable(closure):  # (step(None): PyTorch calls it all the same)
            raise TypeError(f"'{type(closure).__name__}' object is not callable")
        with no_grad():
            loss = self._run(closure)
        self._opt_called = True
        return loss

    step._sets_opt_called = True

    def _run(self, closure):
        group = self.param_groups[0]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = self._run_closure(closure)
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if np.abs(flat_grad).max() <= group["tolerance_grad"]:
            return orig_loss
        mem = {k: _to_np(state[k]) for k in _STATE_KEYS if k in state}
        mem.setdefault("al", None)
        self._iterate(closure, group, state, mem, float(orig_loss), flat_grad)
        for key in _STATE_KEYS[:-1]:
            state[key] = _to_state(mem.get(key))
        if "al" in state:
            state["al"] = _to_state(mem["al"])
        return orig_loss

    def _direction(self, state, mem, flat_grad, history_size: int):
        """Store the newest curvature pair (when y.s > 1e-10) and return the two-loop
        recursion's -H g."""
        y = flat_grad - mem["prev_flat_grad"]
        s = mem["d"] * mem["t"]
        ys = _dot(y, s)
        dirs, stps, ro = mem["old_dirs"], mem["old_stps"], mem["ro"]
        if ys > 1e-10:
            if len(dirs) == history_size:
                del dirs[0], stps[0], ro[0]
            dirs.append(y)
            stps.append(s)
            ro.append(1.0 / ys)
            mem["H_diag"] = ys / _dot(y, y)
        if "al" not in state:
            state["al"] = mem["al"] = [None] * history_size
        al = mem["al"]
        q = np.negative(flat_grad)
        for i in range(len(dirs) - 1, -1, -1):
            al[i] = _dot(stps[i], q) * ro[i]
            q = _axpy(q, -al[i], dirs[i])
        r = q * mem["H_diag"]
        for i in range(len(dirs)):
            be_i = _dot(dirs[i], r) * ro[i]
            r = _axpy(r, al[i] - be_i, stps[i])
        return r

    def _iterate(self, closure, group, state, mem, loss, flat_grad) -> None:
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        lr = lr.item() if isinstance(lr, Tensor) else lr
        tol_change = group["tolerance_change"]
        current_evals, n_iter = 1, 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                mem.update(d=np.negative(flat_grad), old_dirs=[], old_stps=[], ro=[],
                           H_diag=1)
            else:
                mem["d"] = self._direction(state, mem, flat_grad, group["history_size"])
            d = mem["d"]
            mem["prev_flat_grad"] = flat_grad.copy()
            mem["prev_loss"] = loss
            if state["n_iter"] == 1:
                t = mem["t"] = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr
            else:
                t = mem["t"] = lr
            gtd = _dot(flat_grad, d)
            if gtd > -tol_change:  # not a descent direction
                break
            loss, flat_grad, opt_cond, evals = self._move(closure, group, t, d, loss,
                                                          flat_grad, gtd, current_evals,
                                                          n_iter)
            if group["line_search_fn"] is not None:
                mem["t"] = t = evals[1]
            current_evals += evals[0]
            state["func_evals"] += evals[0]
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tol_change or abs(loss - mem["prev_loss"]) < tol_change:
                break

    def _move(self, closure, group, t, d, loss, flat_grad, gtd, current_evals, n_iter):
        """Step along d (fixed step or line search): (loss, flat_grad, opt_cond,
        (evaluations, step))."""
        tol_grad = group["tolerance_grad"]
        if group["line_search_fn"] is None:
            self._add_grad(t, d)
            if n_iter == group["max_iter"]:
                return loss, flat_grad, False, (0, t)
            loss = float(self._run_closure(closure))
            flat_grad = self._gather_flat_grad()
            return loss, flat_grad, np.abs(flat_grad).max() <= tol_grad, (1, t)
        if group["line_search_fn"] != "strong_wolfe":
            raise RuntimeError("only 'strong_wolfe' is supported")
        x_init = self._clone_param()

        def obj_func(x, t, d):
            return self._directional_evaluate(closure, x, t, d)

        loss, flat_grad, t, evals = _strong_wolfe(obj_func, x_init, t, d, loss, flat_grad,
                                                  gtd, max_ls=group["max_eval"] - current_evals)
        self._add_grad(t, d)
        return loss, flat_grad, np.abs(flat_grad).max() <= tol_grad, (evals, t)
