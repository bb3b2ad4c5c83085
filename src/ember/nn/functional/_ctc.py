"""ctc_loss: connectionist temporal classification (Graves et al., 2006).

The labels of each target are interleaved with blanks (the extended sequence l' of length
2S + 1); the forward variables alpha_t(s) (log probability of every alignment prefix that
ends at l'_s at time t) and the backward variables beta_t(s) are computed in log space, in
NumPy, vectorised over the batch and the label positions with a loop over time.
"""

from __future__ import annotations

import numpy as np

from ... import ops
from ...autograd.function import Primitive
from ...ops.arithmetic import type_name
from ...tensor import Tensor

_NEG = -np.inf


def _lse3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """log(exp(a) + exp(b) + exp(c)), elementwise, -inf-safe."""
    m = np.maximum(np.maximum(a, b), c)
    m = np.where(np.isinf(m), 0.0, m)
    with np.errstate(divide="ignore"):
        return m + np.log(np.exp(a - m) + np.exp(b - m) + np.exp(c - m))


def _shift(a: np.ndarray, k: int) -> np.ndarray:
    """a[:, s - k] along the last axis (k > 0: from the left, k < 0: from the right),
    -inf where that position does not exist."""
    out = np.full(a.shape, _NEG)
    if k > 0:
        out[:, k:] = a[:, :-k]
    else:
        out[:, :k] = a[:, -k:]
    return out


class _Lattice:
    """Extended labels, their emissions and the masks of one batch (float64 throughout)."""

    def __init__(self, lp, targets, in_lens, tg_lens, blank):
        n, s_max = targets.shape
        self.n_pos = 2 * s_max + 1
        ext = np.full((n, self.n_pos), blank, dtype=np.int64)
        ext[:, 1::2] = targets
        self.ext = ext
        pos = np.arange(self.n_pos)
        self.valid = pos[None, :] <= 2 * tg_lens[:, None]
        # a label may be reached from two positions back when it differs from that label
        self.skip = np.zeros((n, self.n_pos), dtype=bool)
        self.skip[:, 3::2] = targets[:, 1:] != targets[:, :-1]
        self.in_lens, self.tg_lens = in_lens, tg_lens
        em = np.take_along_axis(lp, ext[None], axis=2)
        self.em = np.where(self.valid[None], em, _NEG)

    def alpha(self) -> np.ndarray:
        em = self.em
        alpha = np.full(em.shape, _NEG)
        if em.shape[0] == 0:
            return alpha
        alpha[0, :, :2] = em[0, :, :2]
        for t in range(1, em.shape[0]):
            a = alpha[t - 1]
            two = np.where(self.skip, _shift(a, 2), _NEG)
            alpha[t] = em[t] + _lse3(a, _shift(a, 1), two)
        return alpha

    def beta(self) -> np.ndarray:
        em, n = self.em, self.em.shape[1]
        beta = np.full(em.shape, _NEG)
        pos = np.arange(self.n_pos)[None, :]
        end = 2 * self.tg_lens[:, None]
        at_end = (pos == end) | (pos == end - 1)
        skip_next = _shift(self.skip.astype(np.float64), -2) > 0  # skip of position s + 2
        nxt = np.full((n, self.n_pos), _NEG)
        for t in range(em.shape[0] - 1, -1, -1):
            two = np.where(skip_next, _shift(nxt, -2), _NEG)
            rec = em[t] + _lse3(nxt, _shift(nxt, -1), two)
            last = (t == self.in_lens - 1)[:, None]
            before = (t < self.in_lens - 1)[:, None]
            beta[t] = np.where(last, np.where(at_end, em[t], _NEG), np.where(before, rec, _NEG))
            nxt = beta[t]
        return beta

    def nll(self, alpha: np.ndarray) -> np.ndarray:
        n = alpha.shape[1]
        rows = np.arange(n)
        last = alpha[np.maximum(self.in_lens - 1, 0), rows]  # (N, L)
        end = 2 * self.tg_lens
        ll = np.logaddexp(last[rows, end],
                          np.where(end > 0, last[rows, np.maximum(end - 1, 0)], _NEG))
        empty = self.in_lens == 0
        ll = np.where(empty, np.where(self.tg_lens == 0, 0.0, _NEG), ll)
        return -ll


class CtcLoss(Primitive):
    """nll_b = -log sum over alignments of prod_t p_t(path_t).
    d nll_b / d lp[t, b, c] = exp(lp[t, b, c]) - sum_{s: l'_s = c} alpha_t(s) beta_t(s)
    / (p_b exp(lp[t, b, c])) for t < T_b (0 after), PyTorch's convention that treats lp as
    log-softmax outputs (the first term is the softmax's share). With zero_infinity the
    rows of infinite losses get 0 (ctc_loss then zeroes those losses with a where)."""

    node_name = "CtcLossBackward0"

    @staticmethod
    def forward(ctx, lp, targets, in_lens, tg_lens, blank, zero_infinity):
        lat = _Lattice(lp.astype(np.float64), targets, in_lens, tg_lens, blank)
        alpha = lat.alpha()
        nll = lat.nll(alpha)
        ctx.save_for_backward(lp)
        ctx.state = (lat, alpha, nll, zero_infinity)
        return nll.astype(lp.dtype)  # inf where infeasible: ctc_loss's where zeroes it

    @staticmethod
    def backward(ctx, g):
        (lp,) = ctx.saved_tensors
        lat, alpha, nll, zero_infinity = ctx.state
        raw = lp._data if isinstance(lp, Tensor) else lp
        grad = _lp_grad(raw.astype(np.float64), lat, alpha, nll, zero_infinity)
        grad = grad.astype(raw.dtype)
        if isinstance(g, Tensor):  # create_graph: differentiable in g only, as in PyTorch
            return CtcLossGrad.apply(g, lp, grad), None, None, None, None, None
        return np.reshape(g, (1, -1, 1)) * grad, None, None, None, None, None


class CtcLossGrad(Primitive):
    """The gradient of CtcLoss, g[b] * grad[t, b, c]: linear in g; its derivative in the
    log-probabilities is not implemented (nor is it in PyTorch)."""

    node_name = "CtcLossBackwardBackward0"

    @staticmethod
    def forward(ctx, g, lp, grad):
        ctx.grad = grad
        return np.reshape(g, (1, -1, 1)) * grad

    @staticmethod
    def backward(ctx, u):
        if ctx.needs_input_grad[1]:
            raise RuntimeError("derivative for aten::_ctc_loss_backward is not implemented")
        return (u * ctx.grad).sum(axis=(0, 2)), None, None


def _lp_grad(lp, lat, alpha, nll, zero_infinity) -> np.ndarray:
    t_max, n, c = lp.shape
    log_ab = alpha + lat.beta()
    m = log_ab.max(axis=2, keepdims=True)
    m = np.where(np.isinf(m), 0.0, m)
    onehot = np.zeros((n, lat.n_pos, c))
    np.put_along_axis(onehot, lat.ext[:, :, None], 1.0, axis=2)
    onehot *= lat.valid[:, :, None]
    summed = np.matmul(np.exp(log_ab - m).transpose(1, 0, 2), onehot).transpose(1, 0, 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        grad = np.exp(lp) - np.exp(np.log(summed) + m + nll[None, :, None] - lp)
    live = np.arange(t_max)[:, None] < lat.in_lens[None, :]
    if zero_infinity:
        live = live & ~np.isinf(nll)[None, :]
    return np.where(live[:, :, None], grad, 0.0)


def _check_types(input_lengths, target_lengths) -> None:
    """PyTorch's overloads take both lengths as Tensors or both as tuples of ints."""
    kinds = [isinstance(v, Tensor) for v in (input_lengths, target_lengths)]
    ints = [isinstance(v, (tuple, list)) and all(isinstance(i, (int, np.integer)) for i in v)
            for v in (input_lengths, target_lengths)]
    if not (all(kinds) or all(ints)):
        names = ", ".join("Tensor" if isinstance(v, Tensor) else type(v).__name__
                          for v in (input_lengths, target_lengths))
        raise TypeError("ctc_loss() received an invalid combination of arguments - got "
                        f"(Tensor, Tensor, {names}, int, int, bool), but expected one of:\n"
                        " * (Tensor log_probs, Tensor targets, tuple of ints input_lengths, "
                        "tuple of ints target_lengths, ...)\n * (Tensor log_probs, Tensor "
                        "targets, Tensor input_lengths, Tensor target_lengths, ...)")


def _lengths(value, name: str, batch: int) -> np.ndarray:
    if isinstance(value, Tensor):
        if value._data.dtype.kind not in "iu":
            raise RuntimeError(f"{name} must be integral")
        arr = np.asarray(value._data, dtype=np.int64).reshape(-1)
    else:
        arr = np.asarray([int(v) for v in value], dtype=np.int64).reshape(-1)
    if arr.shape[0] != batch:
        raise RuntimeError(f"{name} must be of size batch_size")
    return arr


def _check_range(arr, name: str, hi: int | None) -> None:
    where = " (while checking arguments for ctc_loss_allocate_outputs)"
    if arr.size and arr.min() < 0:
        raise RuntimeError(f"Expected {name} to have value at least 0, but got value "
                           f"{int(arr.min())}{where}")
    if hi is not None and arr.size and arr.max() > hi:
        raise RuntimeError(f"Expected {name} to have value at most {hi}, but got value "
                           f"{int(arr.max())}{where}")


def _padded_targets(tg: np.ndarray, tg_lens: np.ndarray, batch: int) -> np.ndarray:
    """Targets as (N, max length): padded ones as given, concatenated ones split."""
    where = " for argument #2 'targets' (while checking arguments for " \
        "ctc_loss_allocate_outputs)"
    if tg.ndim == 1:
        total = int(tg_lens.sum())
        if tg.shape[0] != total:
            raise RuntimeError(f"Expected tensor to have size {total} at dimension 0, but got "
                               f"size {tg.shape[0]}{where}")
        s_max = int(tg_lens.max()) if batch else 0
        out = np.zeros((batch, s_max), dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(tg_lens)[:-1]]).astype(np.int64)
        for b in range(batch):
            out[b, :tg_lens[b]] = tg[starts[b]:starts[b] + tg_lens[b]]
        return out
    if tg.shape[0] != batch:
        raise RuntimeError(f"Expected tensor to have size {batch} at dimension 0, but got "
                           f"size {tg.shape[0]}{where}")
    s_max = int(tg_lens.max()) if batch else 0
    if tg.shape[1] < s_max:
        raise RuntimeError(f"Expected tensor to have size at least {s_max} at dimension 1, "
                           f"but got size {tg.shape[1]}{where}")
    return np.asarray(tg[:, :s_max], dtype=np.int64)


def _check_labels(tg: np.ndarray, lens: np.ndarray, classes: int) -> None:
    """Targets outside [0, C): PyTorch reads whatever memory lies there; ember says so."""
    used = np.arange(tg.shape[1])[None, :] < lens[:, None]
    bad = tg[used & ((tg < 0) | (tg >= classes))]
    if bad.size:
        raise RuntimeError(f"ctc_loss: target label {int(bad[0])} is out of range for "
                           f"{classes} classes\nHint: labels are class indices in [0, "
                           f"{classes}); the blank index is one of them.")


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths,
             blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """The CTC loss of ``log_probs`` (T, N, C) or (T, C) (log-softmax outputs) against
    ``targets`` (N, S) padded or 1-D concatenated; reduction 'mean' divides each loss by its
    target length before averaging over the batch."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    # PyTorch's order of checks: the overload, integral lengths, the dtype, emptiness, dims
    _check_types(input_lengths, target_lengths)
    for value, name in ((input_lengths, "input_lengths"), (target_lengths, "target_lengths")):
        if isinstance(value, Tensor) and value._data.dtype.kind not in "iu":
            raise RuntimeError(f"{name} must be integral")
    dt = log_probs._data.dtype
    if dt.kind != "f" or dt.itemsize < 4:  # PyTorch's CPU kernel: float and double only
        raise NotImplementedError(f"\"ctc_loss_cpu\" not implemented for '{type_name(dt)}'")
    if log_probs._data.size == 0:
        raise RuntimeError("log_probs tensor must not be empty")
    unbatched = log_probs.dim() == 2
    if log_probs.dim() != 3 and not unbatched:  # PyTorch counts after adding a batch dim
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {log_probs.dim() + 1}-"
                           "dimensional tensor for argument #1 'log_probs' (while checking "
                           "arguments for ctc_loss_allocate_outputs)")
    if unbatched:
        log_probs = ops.unsqueeze(log_probs, 1)
        if targets.dim() == 1:
            targets = ops.unsqueeze(targets, 0)
    t_max, batch, classes = log_probs.shape
    in_lens = _lengths(input_lengths, "input_lengths", batch)
    tg_lens = _lengths(target_lengths, "target_lengths", batch)
    if not 0 <= blank < classes:
        raise RuntimeError("blank must be in label range")
    _check_range(tg_lens, "target_lengths", None)
    tg = _padded_targets(np.asarray(targets._data).astype(np.int64), tg_lens, batch)
    _check_labels(tg, tg_lens, classes)
    _check_range(in_lens, "input_lengths", t_max)
    loss = CtcLoss.apply(log_probs, tg, in_lens, tg_lens, int(blank), bool(zero_infinity))
    if zero_infinity:  # as PyTorch: where(loss == inf, 0, loss) (grad_fn WhereBackward0)
        inf = Tensor._make(np.isposinf(loss._data), False, None)
        loss = ops.where(inf, Tensor._make(np.zeros((), dt), False, None), loss)
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        div = Tensor._make(np.maximum(tg_lens, 1).astype(dt), False, None)
        return (loss / div).mean()
    return ops.squeeze(loss, 0) if unbatched else loss  # SqueezeBackward1, as PyTorch
