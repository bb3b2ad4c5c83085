"""Higher-level derivatives built on ``autograd.grad``: vjp, jvp, jacobian, hessian, hvp, vhp.

Signatures follow ``torch.autograd.functional``. Hessian-vector products (TRPO, Newton steps)
are two reverse passes: grad with create_graph=True, then the grad of <grad, v>.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from . import grad as _grad
from .grad_mode import enable_grad


def _tuple(x, arg=None, fn=None):
    """(x as a tuple, whether x was a lone tensor); with arg/fn named, PyTorch's TypeError for
    anything that is not a tensor (a list of inputs, a float output)."""
    got = (x, False) if isinstance(x, tuple) else ((x,), True)
    if fn is not None:
        for i, el in enumerate(got[0]):
            if not isinstance(el, Tensor):
                what = f"given {arg}" if got[1] else f"value at index {i}"
                raise TypeError(f"The {arg} given to {fn} must be either a Tensor or a tuple of "
                                f"Tensors but the {what} has type {_torch_class(el)}.")
    return got


def _torch_class(el) -> str:
    """type(el) as PyTorch prints it (ember's tensor is torch.Tensor to the user)."""
    return "<class 'torch.Tensor'>" if isinstance(el, Tensor) else str(type(el))


_OUTS = "outputs of the user-provided function"


def _prepare(inputs, create_graph):
    """Fresh leaves that require grad, so derivatives are taken w.r.t. exactly these values."""
    return tuple(t.detach().requires_grad_(True) if not create_graph or not t.requires_grad
                 else t for t in inputs)


def _grads(outputs, inputs, grad_outputs, create_graph):
    got = _grad(outputs, inputs, grad_outputs, retain_graph=True, create_graph=create_graph,
                allow_unused=True)
    return tuple(Tensor._make(np.zeros_like(x._data), False, None) if g is None else
                 (g if create_graph else g.detach()) for g, x in zip(got, inputs))


def _dot(grads, vs):
    """sum_i <grads_i, vs_i>, skipping inputs that got no gradient."""
    total = None
    for gi, vi in zip(grads, vs):
        if gi is not None:
            term = (gi * vi).sum()
            total = term if total is None else total + term
    return total


def _check_v(v, others, others_tuple):
    """v must match the tensors it multiplies (the inputs or outputs) in count and shapes."""
    if len(v) != len(others):
        raise RuntimeError(f"v is a tuple of invalid length: should be {len(others)} but got "
                           f"{len(v)}." if others_tuple else
                           "The given v should contain a single Tensor.")
    for i, (vi, o) in enumerate(zip(v, others)):
        if tuple(vi.shape) != tuple(o.shape):
            where = f"Entry {i} in " if others_tuple else ""
            raise RuntimeError(f"{where}v has invalid size: should be {o.shape} but got "
                               f"{vi.shape}.")
    return v


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): one reverse pass."""
    inputs, single = _tuple(inputs, "inputs", "vjp")
    with enable_grad():
        inputs = _prepare(inputs, create_graph)
        out = func(*inputs)
        outs, out_single = _tuple(out, _OUTS, "vjp")
        if v is not None:
            _tuple(v, "v", "vjp")
        if v is None and (len(outs) != 1 or outs[0].numel() != 1):
            raise RuntimeError("The vector v can only be None if the user-provided function "
                               "returns a single Tensor with a single element.")
        vs = (_check_v(_tuple(v)[0], outs, not out_single) if v is not None
              else (None,) * len(outs))
        g = _grads(list(outs), list(inputs), list(vs), create_graph)
    out = out if create_graph else _detach(out)
    return out, (g[0] if single else g)


def _detach(out):
    return tuple(o.detach() for o in out) if isinstance(out, tuple) else out.detach()


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v) by the double-vjp trick: J v = d/du [u^T J v]... computed as the
    gradient of (J^T u) . v with respect to u."""
    inputs, single = _tuple(inputs, "inputs", "jvp")
    if v is not None:
        _tuple(v, "v", "jvp")
    with enable_grad():
        inputs = _prepare(inputs, True)
        out = func(*inputs)
        outs, out_single = _tuple(out, _OUTS, "jvp")
        us = tuple(Tensor._make(np.zeros_like(o._data), False, None).requires_grad_(True)
                   for o in outs)
        g = _grad(list(outs), list(inputs), list(us), create_graph=True, allow_unused=True)
        vs = _tuple(v)[0] if v is not None else tuple(
            Tensor._make(np.ones_like(x._data), False, None) for x in inputs)
        total = _dot(g, vs)
        jv = _grads([total], list(us), None, create_graph)
    jv = jv[0] if out_single else jv
    return (out if create_graph else _detach(out)), jv


_STRATEGY = 'Expected strategy to be either "forward-mode" or "reverse-mode".'
_HINT = (' Hint: If your function has more outputs than inputs, "forward-mode" tends to be more '
         'performant. Otherwise, prefer to use "reverse-mode".')


def _forward_mode_checks(create_graph, strict, vectorize, inputs):
    """PyTorch's refusals for strategy="forward-mode"."""
    if create_graph:
        raise NotImplementedError(
            "torch.autograd.functional.jacobian: `create_graph=True` and "
            '`strategy="forward-mode"` are not supported together (yet). Please either set '
            '`create_graph=False` or `strategy="reverse-mode"`.')
    if strict:
        raise RuntimeError(
            "torch.autograd.functional.jacobian: `strict=True` and "
            '`strategy="forward-mode"` are not supported together (yet). Please either set '
            '`strict=False` or `strategy="reverse-mode"`.')
    _tuple(inputs, "inputs", "jacobian")
    if not vectorize:
        raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse "
                                  "Hessian isonly implemented for `vectorize=True`.")


def _strict_outputs(outs, kind="outputs"):
    for j, o in enumerate(outs):
        if not o.requires_grad:
            if kind == "jacobian":
                raise RuntimeError(
                    "While computing the hessian, found that the jacobian of the user-provided "
                    f"function with respect to input {j} is independent of the input. This is "
                    "not allowed in strict mode. You should ensure that your function is twice "
                    "differentiable and that the jacobian depends on the inputs (this would be "
                    "violated by a linear function for example).")
            raise RuntimeError(f"Output {j} of the user-provided function does not require "
                               "gradients. The outputs must be computed in a differentiable "
                               "manner from the input when running in strict mode.")


def _jacfwd(func, inputs):
    """strategy="forward-mode": column k of d out / d input i is the tangent of ``out`` when
    input i carries the k-th unit tangent (forward_ad). As in PyTorch the inputs are used as
    given, not detached: a tangent that depends on a tensor requiring grad (a module's
    weights, an input that requires grad) stays differentiable, so the Jacobian requires grad
    (PyTorch's forward-mode path never detaches); one that does not is a plain tensor. An
    output that does not depend on an input has a zero block."""
    from .. import ops
    from . import forward_ad as fwad

    inputs, single_in = _tuple(inputs)
    cols, outs, single_out = [], None, True  # cols[i][k]: tangents of every output
    for i, x in enumerate(inputs):
        per_k = []
        for k in range(x.numel()):
            basis = np.zeros(x._data.size, x._data.dtype)
            basis[k] = 1
            tangent = Tensor._make(basis.reshape(x._data.shape), False, None)
            with fwad.dual_level():  # every input a dual, as PyTorch's: the others' zero
                duals = [fwad.make_dual(y, tangent if n == i else Tensor._make(
                    np.zeros_like(y._data), False, None)) for n, y in enumerate(inputs)]
                # PyTorch checks the outputs with no function name: "given to None"
                got, single_out = _tuple(func(*duals), "outputs", "None")
                unpacked = [fwad.unpack_dual(o) for o in got]
                outs = [u.primal for u in unpacked]
                per_k.append([u.tangent if u.tangent is not None
                              else Tensor._make(np.zeros_like(u.primal._data), False, None)
                              for u in unpacked])
        cols.append(per_k)
    if outs is None:  # no input elements: evaluate once for the output shapes
        outs, single_out = _tuple(func(*inputs))
    rows = []
    for j, o in enumerate(outs):
        jac = []
        for i, x in enumerate(inputs):
            if cols[i]:
                stacked = ops.stack([per_k[j] for per_k in cols[i]], dim=-1)
            else:
                stacked = Tensor._make(np.zeros(tuple(o.shape) + (0,), o._data.dtype), False, None)
            jac.append(stacked.reshape(tuple(o.shape) + tuple(x.shape)))
        rows.append(jac)
    # PyTorch's forward-mode packing: lists where the inputs were a tuple (a list of lists
    # for tuple outputs), a tuple of tensors for tuple outputs of a lone input
    if single_in:
        rows = tuple(r[0] for r in rows)
    return rows[0] if single_out else rows


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The full Jacobian, one reverse pass per output element; shape out.shape + in.shape.
    An output that does not require grad has a zero Jacobian (strict mode: an error).
    strategy="forward-mode": one forward-AD tangent per input element (``_jacfwd``)."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(_STRATEGY + _HINT)
    if strategy == "forward-mode":
        _forward_mode_checks(create_graph, strict, vectorize, inputs)
        return _jacfwd(func, inputs)
    return _jacobian_rev(func, inputs, create_graph, strict, vectorize)


def _jacobian_rev(func, inputs, create_graph=False, strict=False, vectorize=False):
    """jacobian's reverse-mode computation: one backward pass per output element."""
    inputs, single_in = _tuple(inputs, "inputs", "jacobian")
    with enable_grad():
        inputs = _prepare(inputs, create_graph)
        out = func(*inputs)
        outs, single_out = _tuple(out, _OUTS, "jacobian")
        if strict:
            _strict_outputs(outs)
            if vectorize:
                raise RuntimeError(
                    "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` "
                    "are not supported together. Please either set `strict=False` or "
                    "`vectorize=False`.")
        rows = []
        for j, o in enumerate(outs):
            flat = o.reshape(-1)
            per_input = [[] for _ in inputs]
            for k in range(flat.shape[0]):
                gs = (_grad([flat[k]], list(inputs), retain_graph=True,
                            create_graph=create_graph, allow_unused=True)
                      if o.requires_grad else (None,) * len(inputs))
                for i, (g, x) in enumerate(zip(gs, inputs)):
                    if g is None:
                        if strict:  # PyTorch's message, its indices included
                            raise RuntimeError(f"Output {j} of the user-provided function is "
                                               f"independent of input {i}. This is not "
                                               "allowed in strict mode.")
                        g = Tensor._make(np.zeros_like(x._data), False, None)
                    elif strict and create_graph and not g.requires_grad:
                        raise RuntimeError("The jacobian of the user-provided function is "
                                           f"independent of input {j}. This is not allowed in "
                                           "strict mode when create_graph=True.")
                    per_input[i].append(g if create_graph else g.detach())
            jac = []
            for i, x in enumerate(inputs):
                from .. import ops

                stacked = ops.stack(per_input[i]) if per_input[i] else Tensor._make(
                    np.zeros((0,) + x._data.shape, x._data.dtype), False, None)
                jac.append(stacked.reshape(tuple(o.shape) + tuple(x.shape)))
            rows.append(jac[0] if single_in else tuple(jac))
    return rows[0] if single_out else tuple(rows)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """Second derivatives of a scalar function: the Jacobian of its gradient (PyTorch's
    construction, so its strict-mode checks run in the same order)."""
    inputs, single = _tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(_STRATEGY)

    def scalar(*xs):
        out = func(*xs)
        outs = _tuple(out, _OUTS, "hessian")[0]
        if strict:
            _strict_outputs(outs)
        if not isinstance(out, Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        return out.squeeze()

    def gradient(*xs):
        if outer_jacobian_strategy == "forward-mode":
            xs = tuple(x.requires_grad_(True) for x in xs)
        g = jacobian(scalar, xs, create_graph=True)
        if strict:
            _strict_outputs(g, "jacobian")
        return g

    res = jacobian(gradient, inputs, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)
    if single:  # one input: the (input, input) block
        return res[0][0]
    return res


def vhp(func, inputs, v=None, create_graph=False, strict=False, _name="vhp"):
    """(func(inputs), v^T H)."""
    inputs, single = _tuple(inputs, "inputs", _name)
    if v is not None:
        vs = _check_v(_tuple(v, "v", _name)[0], inputs, not single)
    elif len(inputs) != 1 or inputs[0].numel() != 1:
        raise RuntimeError("The vector v can only be None if the input to the user-provided "
                           "function is a single Tensor with a single element.")
    else:
        vs = (Tensor._make(np.ones_like(inputs[0]._data), False, None),)
    with enable_grad():
        inputs = _prepare(inputs, True)
        out = func(*inputs)
        _tuple(out, _OUTS, _name)
        if not isinstance(out, Tensor):
            raise RuntimeError(f"The function given to {_name} should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {_name} should "
                               "contain a single element")
        g = _grad([out], list(inputs), create_graph=True, allow_unused=True)
        hv = _grads([_dot(g, vs)], list(inputs), None, create_graph)
    return (out if create_graph else out.detach()), (hv[0] if single else hv)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v). The Hessian is symmetric, so H v = v^T H."""
    return vhp(func, inputs, v, create_graph, strict, _name="hvp")
