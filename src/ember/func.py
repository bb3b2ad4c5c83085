"""ember.func: PyTorch's ``torch.func`` transforms, built on ember's reverse-mode autograd.

* ``grad``/``grad_and_value``/``vjp`` run the function on fresh graph inputs and call
  ``autograd.grad``; they keep a graph (create_graph) when nested in another transform, when
  an argument requires grad, or when the output depends on another tensor that does (a
  module's parameters), so ``grad(grad(f))``, MAML-style outer gradients and PINN losses
  built from ``vmap(hessian(u))`` work.
* ``jvp`` uses the double-vjp identity (the vjp is linear in its cotangent u, and its vjp with
  respect to u gives J v); ``jacfwd`` is ``jacrev`` (the same Jacobian, computed in reverse
  mode, one vjp per output element); ``hessian`` = jacfwd(jacrev(f)).
* ``vmap`` is NOT vectorised: it calls the function once per batch entry (sliced along
  ``in_dims``; ``None`` broadcasts an argument) and stacks the results along ``out_dims``.
  Results equal PyTorch's; the cost is a Python loop over the batch. Random draws take
  PyTorch's batched numbers (``_vmap_rng``): randomness='error' raises before drawing,
  'same' shares one draw among the entries, 'different' cuts each entry's values from one
  draw for the whole batch.
* ``functional_call`` swaps a module's parameters and buffers for the given tensors (through
  its registries), and restores them even when the call raises.
"""

from __future__ import annotations

import functools

import ember

from .tensor import Tensor

__all__ = ["functional_call", "grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd",
           "hessian", "vmap", "stack_module_state", "linearize", "functionalize"]

_DEPTH = [0]  # how many transforms are running (nested ones must keep their graphs)


# ---- pytrees: tuples, lists and dicts of tensors ----------------------------------------
def _flatten(tree) -> tuple:
    if isinstance(tree, (tuple, list)):
        leaves, specs = [], []
        for t in tree:
            lv, sp = _flatten(t)
            leaves += lv
            specs.append(sp)
        return leaves, (type(tree), specs)
    if isinstance(tree, dict):
        lv, sp = _flatten(list(tree.values()))
        return lv, (dict, (list(tree), sp))
    return [tree], None


def _unflatten(leaves, spec, pos=None):
    pos = pos if pos is not None else [0]
    if spec is None:
        pos[0] += 1
        return leaves[pos[0] - 1]
    kind, inner = spec
    if kind is dict:
        keys, sp = inner
        return dict(zip(keys, _unflatten(leaves, sp, pos)))
    items = [_unflatten(leaves, s, pos) for s in inner]
    return tuple(items) if kind is tuple else items if kind is list else kind(*items)


def _map(fn, tree):
    leaves, spec = _flatten(tree)
    return _unflatten([fn(x) for x in leaves], spec)


# ---- grad and friends --------------------------------------------------------------------
def _graph_input(x):
    """x as a fresh input to differentiate at: connected to x's graph when x has one."""
    if not isinstance(x, Tensor):
        return x
    if x.requires_grad:
        return x.view_as(x)
    return x.detach().requires_grad_(True)


def _needs_graph(args) -> bool:
    if not ember.is_grad_enabled():
        return False
    if _DEPTH[0] > 0:
        return True
    return any(isinstance(x, Tensor) and x.requires_grad for x in _flatten(list(args))[0])


def _reaches_outer(outs, fresh) -> bool:
    """Whether outs depend on a tensor that requires grad other than the fresh inputs (say a
    module's parameters read inside func): PyTorch then keeps the results in the outer graph,
    so a PINN's residual from grad/jacrev/hessian still trains the network."""
    if not ember.is_grad_enabled():
        return False
    ids = {id(x) for x in fresh}
    stack, seen = [], set()
    for o in outs:
        if isinstance(o, Tensor) and o.requires_grad:
            if o.grad_fn is None and id(o) not in ids:
                return True
            stack.append(o.grad_fn)
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        for e in getattr(node, "next_edges", ()):
            if isinstance(e, Tensor):
                if id(e) not in ids:
                    return True
            elif e is not None:
                stack.append(e)
    return False


def _call(func, args, argnums):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    args = list(args)
    for n in nums:
        if not -len(args) <= n < len(args):
            raise RuntimeError(f"Got argnum={n}, but only {len(args)} positional inputs")
    for n in nums:
        args[n] = _map(_graph_input, args[n])
    _DEPTH[0] += 1
    try:
        with ember.enable_grad():
            out = func(*args)
    finally:
        _DEPTH[0] -= 1
    diff = args[argnums] if isinstance(argnums, int) else tuple(args[n] for n in nums)
    return out, diff


def _split_aux(out, has_aux: bool, name: str):
    """name: how PyTorch's message names the call ("grad_and_value(f)(*args)", ...)."""
    if not has_aux:
        return out, None
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise RuntimeError(f"{name}: output of function f should be a tuple: "
                           "(output, aux) if has_aux is True")
    return out[0], out[1]


def _detached(tree):
    """Outside any transform, results (aux included) leave the graph, as PyTorch's."""
    return _map(lambda t: t.detach() if isinstance(t, Tensor) else t, tree)


def _grads(outs, inputs, cotangents, keep: bool):
    grads = ember.autograd.grad(outs, inputs, cotangents, retain_graph=True,
                                create_graph=keep, allow_unused=True)
    return [g if g is not None else ember.zeros_like(x) for g, x in zip(grads, inputs)]


def grad_and_value(func, argnums=0, has_aux: bool = False):
    """A function returning (gradient of func's scalar output w.r.t. args[argnums], output)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        keep = _needs_graph(args)
        out, diff = _call(lambda *a: func(*a, **kwargs), args, argnums)
        value, aux = _split_aux(out, has_aux, "grad_and_value(f)(*args)")
        if not isinstance(value, Tensor):
            raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                               f"Tensor, got {type(value)}")
        if value.dim() != 0:
            raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a "
                               f"scalar Tensor, got tensor with {value.dim()} dims. Maybe you "
                               "wanted to use the vjp or jacrev APIs instead?")
        leaves, spec = _flatten(diff)
        keep = keep or _reaches_outer([value], leaves)
        g = _unflatten(_grads([value], leaves, None, keep), spec)
        if not keep:  # outside any transform the results leave the graph, aux included
            value = value.detach()
            aux = _detached(aux)
        return (g, (value, aux)) if has_aux else (g, value)
    return wrapper


def grad(func, argnums=0, has_aux: bool = False):
    """The gradient of func's scalar output w.r.t. args[argnums] (an int or a tuple)."""
    inner = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = inner(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


def vjp(func, *primals, has_aux: bool = False):
    """(func(*primals), vjp_fn): vjp_fn(cotangents) gives one gradient per primal."""
    keep = _needs_graph(primals)
    out, diff = _call(func, primals, tuple(range(len(primals))))
    out, aux = _split_aux(out, has_aux, "vjp(f, *primals)")
    out_leaves, out_spec = _flatten(out)
    _only_tensors(out_leaves, "vjp(f, *primals)")
    in_leaves, in_spec = _flatten(diff)
    keep = keep or _reaches_outer(out_leaves, in_leaves)

    def vjp_fn(cotangents):
        ct = _flatten(cotangents)[0]
        return _unflatten(_grads(out_leaves, in_leaves, ct, True if keep else _DEPTH[0] > 0),
                          in_spec)

    shown = out if keep else _detached(out)
    return (shown, vjp_fn, _detached(aux) if not keep else aux) if has_aux else (shown, vjp_fn)


def jvp(func, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """(func(*primals), J tangents), by the double-vjp identity."""
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it "
                           "should be valid to call f(*primals).")
    keep = _needs_graph(primals + tangents)
    out, diff = _call(func, primals, tuple(range(len(primals))))
    out, aux = _split_aux(out, has_aux, "jvp(f, primals, tangents)")
    out_leaves, out_spec = _flatten(out)
    _only_tensors(out_leaves, "jvp(f, primals, tangents)")
    in_leaves = _flatten(diff)[0]
    keep = keep or _reaches_outer(out_leaves, in_leaves)
    us = [ember.zeros_like(o).requires_grad_(True) for o in out_leaves]
    g = _grads(out_leaves, in_leaves, us, True)
    jv = _grads(g, us, _flatten(tangents)[0], keep)
    if not keep:
        out_leaves, jv = [o.detach() for o in out_leaves], [t.detach() for t in jv]
        aux = _detached(aux)
    res = (_unflatten(out_leaves, out_spec), _unflatten(jv, out_spec))
    return res + (aux,) if has_aux else res


def _only_tensors(leaves, name: str) -> None:
    for x in leaves:
        if not isinstance(x, Tensor):
            raise RuntimeError(f"{name}: expected f(*primals) to return only tensors, got "
                               f"unsupported type {type(x)}")


def jacrev(func, argnums=0, *, has_aux: bool = False, chunk_size=None):
    """The Jacobian of func w.r.t. args[argnums]: shape output.shape + input.shape, one vjp
    per output element."""
    return _jacobian(func, argnums, has_aux, "vjp(f, *primals)")


def jacfwd(func, argnums=0, has_aux: bool = False, *, randomness: str = "error"):
    """The same Jacobian as jacrev, computed in reverse mode (ember has no forward mode)."""
    return _jacobian(func, argnums, has_aux, "jvp(f, primals, tangents)")


def _jacobian(func, argnums, has_aux: bool, name: str):
    """name: the inner transform PyTorch's errors name (jacrev is vjp-based, jacfwd jvp)."""
    @functools.wraps(func)
    def wrapper(*args):
        keep = _needs_graph(args)
        out, diff = _call(func, args, argnums)
        out, aux = _split_aux(out, has_aux, name)
        in_leaves, in_spec = _flatten(diff)
        out_leaves, out_spec = _flatten(out)
        _only_tensors(out_leaves, name)
        keep = keep or _reaches_outer(out_leaves, in_leaves)
        jacs = [_unflatten(_jac(o, in_leaves, keep), in_spec) for o in out_leaves]
        res = _unflatten(jacs, out_spec)
        return (res, aux if keep else _detached(aux)) if has_aux else res
    return wrapper


def _jac(out: Tensor, inputs, keep: bool) -> list:
    flat = out.reshape(-1)
    rows = [[] for _ in inputs]
    for i in range(flat.numel()):
        for k, g in enumerate(_grads([flat[i]], inputs, None, keep)):
            rows[k].append(g)
    return [ember.stack(r).reshape(tuple(out.shape) + tuple(x.shape)) if r else
            ember.zeros(tuple(out.shape) + tuple(x.shape), dtype=x.dtype)
            for r, x in zip(rows, inputs)]


def hessian(func, argnums=0):
    """The matrix of second derivatives: jacfwd(jacrev(func, argnums), argnums)."""
    return jacfwd(jacrev(func, argnums), argnums)


# functional_call / stack_module_state, linearize / functionalize and vmap live beside.
from ._func_modules import functional_call, stack_module_state  # noqa: E402,F401
from ._func_linearize import functionalize, linearize  # noqa: E402,F401
from ._vmap import _item_in_vmap, vmap  # noqa: E402,F401
