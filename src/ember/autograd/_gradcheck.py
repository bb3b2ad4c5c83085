"""gradcheck and gradgradcheck: compare autograd's Jacobian with central finite differences.

The numerical Jacobian perturbs each input element by +-eps (in float64) and watches every
output; the analytical one is built row by row with ``autograd.grad``. On a mismatch the error
names the worst entry: which input, which index, both values, and the difference.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from . import grad as _grad


class GradcheckError(RuntimeError):
    """Raised by gradcheck/gradgradcheck when the Jacobians disagree."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(func, inputs):
    return tuple(o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor))


def _numel(x) -> int:
    return x.numel() if isinstance(x, Tensor) else 0  # None or a number: no Jacobian columns


def _numerical(func, inputs, eps):
    """d(output)/d(input) by central differences, one (n_out x n_in) matrix per pair."""
    outs = _outputs(func, inputs)
    jac = [[np.zeros((o.numel(), _numel(x))) for x in inputs] for o in outs]
    for i, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        flat = x._ensure_array().reshape(-1)
        for k in range(flat.size):
            orig = flat[k].item()
            # Writes go to the raw array: the perturbation itself is not part of any graph.
            flat[k] = orig + eps
            plus = _values(func, inputs)
            flat[k] = orig - eps
            minus = _values(func, inputs)
            flat[k] = orig
            for j in range(len(outs)):
                jac[j][i][:, k] = (plus[j] - minus[j]) / (2 * eps)
    return jac


def _values(func, inputs):
    return [np.array(o._data, dtype=np.float64).ravel() for o in _outputs(func, inputs)]


def _analytical(func, inputs):
    """Rows of the Jacobian from one reverse pass per output element."""
    outs = _outputs(func, inputs)
    diff = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    jac = [[np.zeros((o.numel(), _numel(x))) for x in inputs] for o in outs]
    for j, o in enumerate(outs):
        if not o.requires_grad:
            continue
        flat = o.reshape(-1)
        for r in range(flat.shape[0]):
            gs = _grad([flat[r]], diff, retain_graph=True, allow_unused=True)
            for g, x in zip(gs, diff):
                i = next(n for n, y in enumerate(inputs) if y is x)
                if g is not None:
                    jac[j][i][r] = np.asarray(g._data, dtype=np.float64).ravel()
    return jac


def _forward_analytical(func, inputs):
    """Columns of the Jacobian from one forward-AD pass per input element (tangent e_k)."""
    from . import forward_ad as fw

    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    outs = _outputs(func, inputs)
    jac = [[np.zeros((o.numel(), _numel(x))) for x in inputs] for o in outs]
    for i in diff:
        for k in range(inputs[i].numel()):
            with fw.dual_level():
                args = list(inputs)
                for m in diff:
                    t = np.zeros(inputs[m].shape, inputs[m]._data.dtype)
                    if m == i:
                        t.reshape(-1)[k] = 1
                    args[m] = fw.make_dual(inputs[m], Tensor._make(t, False, None))
                for j, o in enumerate(_outputs(func, args)):
                    tan = fw.unpack_dual(o).tangent
                    if tan is not None:
                        jac[j][i][:, k] = np.asarray(tan._data, dtype=np.float64).ravel()
    return jac


def _worst(num, ana, atol, rtol):
    """The entry that exceeds the tolerance the most, or None when all agree."""
    worst = None
    for j, row in enumerate(num):
        for i, n in enumerate(row):
            a = ana[j][i]
            excess = np.abs(a - n) - (atol + rtol * np.abs(n))
            if excess.size and excess.max() > 0:
                r, k = np.unravel_index(np.argmax(excess), excess.shape)
                cand = (excess[r, k], j, i, r, k, n[r, k], a[r, k])
                if worst is None or cand[0] > worst[0]:
                    worst = cand
    return worst


def _report(worst, inputs, num, ana, what="Jacobian") -> str:
    _, j, i, r, k, n, a = worst
    shape = tuple(inputs[i].shape)
    index = tuple(int(v) for v in np.unravel_index(k, shape)) if shape else ()
    return (
        f"{what} mismatch for output {j} with respect to input {i},\n"
        f"numerical:{_fmt(num[j][i])}\nanalytical:{_fmt(ana[j][i])}\n\n"
        f"Worst mismatch: input {i} (shape {list(shape)}) at index {list(index)}, output element "
        f"{r}: analytical {a:.6g} vs numerical {n:.6g} (difference {a - n:.3g}).\n"
        "Hint: check the backward formula of the op this input feeds, and run gradcheck in "
        "float64 (float32 finite differences are too coarse)."
    )


def _fmt(m) -> str:
    return Tensor._make(np.asarray(m), False, None).__repr__()


def _check_inputs(inputs) -> None:
    if not any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of them have requires_grad=True.")
    for x in inputs:
        if isinstance(x, Tensor) and x.requires_grad and x.dtype.name != "float64":
            import warnings

            warnings.warn(
                f"Input #{inputs.index(x)} requires gradient and is not a double precision "
                "floating point or complex. This check will likely fail if all the inputs are "
                "not of double precision floating point or complex. ", stacklevel=3)


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False,
              check_forward_ad=False, check_backward_ad=True, fast_mode=False,
              masked=None) -> bool:
    """True when autograd's gradients of ``func`` at ``inputs`` match finite differences."""
    inputs = _as_tuple(inputs)
    _check_inputs(inputs)
    num = _numerical(func, inputs, eps)
    checks = [(_analytical, "Jacobian")] if check_backward_ad else []
    if check_forward_ad:  # (a Function with jvp only checks with check_backward_ad=False)
        checks.append((_forward_analytical, "Jacobian computed with forward mode"))
    for build, what in checks:
        ana = build(func, inputs)
        worst = _worst(num, ana, atol, rtol)
        if worst is None:
            continue
        if raise_exception:
            raise GradcheckError(_report(worst, inputs, num, ana, what))
        return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True,
                  fast_mode=False, masked=False) -> bool:
    """gradcheck of the gradient: second derivatives checked against finite differences."""
    inputs = _as_tuple(inputs)
    outs = _outputs(func, inputs)
    if grad_outputs is None:  # PyTorch's: U(-1, 1) from the global generator
        from ..dtypes import float64
        from ..testing import make_tensor

        grad_outputs = tuple(
            make_tensor(o.shape, dtype=o.dtype if o.is_floating_point() else float64,
                        device="cpu", low=-1, high=1, requires_grad=True,
                        noncontiguous=gen_non_contig_grad_outputs) for o in outs)
    grad_outputs = _as_tuple(grad_outputs)
    n = len(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def first_derivative(*args):
        xs, vs = args[:n], args[n:]
        ys = _outputs(func, xs)
        gs = _grad(list(ys), [xs[i] for i in diff_idx], list(vs), create_graph=True,
                   allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_derivative, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
