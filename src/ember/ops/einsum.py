"""einsum and tensordot.

``Einsum`` is one primitive for every equation: the forward is np.einsum on an equation with
the ellipsis spelled out as letters, and the gradient of each operand is itself an einsum, of
the upstream gradient and the other operands, with that operand's subscripts as the output.
Its node takes the name of PyTorch's last step for the equation (``_shown_node``).
"""

from __future__ import annotations

import functools
import string

import numpy as np

from ..autograd.function import Primitive
from .. import dtypes as D
from ..tensor import Tensor
from ._einsum_dtypes import product_dtype
from ._einsum_layout import _mul_layout, _pair_plan, _pair_product
from .linalg import matmul
from .shape import _reshaped, _view_of

__all__ = ["einsum", "tensordot"]

_LETTERS = string.ascii_letters  # PyTorch's subscripts: [a-zA-Z]


def _fail(msg: str):
    raise RuntimeError(f"einsum(): {msg}")


def _check_chars(equation: str) -> None:
    i, arrow = 0, False
    while i < len(equation):
        c = equation[i]
        if c == "-" and not arrow and equation[i + 1:i + 2] == ">":
            arrow, i = True, i + 2
            continue
        if c not in _LETTERS and c not in ",. ":
            _fail(f"invalid subscript given at index {i} in the equation string, subscripts "
                  "must be in [a-zA-Z]")
        i += 1


def _split_ellipsis(term: str, k) -> tuple:
    """(labels before, labels after or None without an ellipsis) of operand k's subscripts
    (k None: the output's)."""
    who = "output" if k is None else f"operand {k}"
    if "..." in term:
        head, tail = term.split("...", 1)
        if "." in tail:
            _fail(f"found '.' for {who} for which an ellipsis was already found")
    else:
        head, tail = term, None
    if "." in head:
        _fail(f"found '.' for {who} that is not part of any ellipsis" +
              (" (...)" if k is None else ""))
    return head, tail


def _parse(equation: str, shapes: list) -> tuple:
    """The equation with every ellipsis spelled out: (input subscripts, output subscripts)."""
    _check_chars(equation)
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) < len(shapes):
        _fail("more operands were provided than specified in the equation")
    if len(terms) > len(shapes):
        _fail("fewer operands were provided than specified in the equation")
    parts = [_split_ellipsis(t, k) for k, t in enumerate(terms)]
    n_ell = []
    for k, ((head, tail), shape) in enumerate(zip(parts, shapes)):
        n = len(head) + len(tail or "")
        if tail is None and n != len(shape):
            _fail(f"the number of subscripts in the equation ({n}) does not match the number "
                  f"of dimensions ({len(shape)}) for operand {k} and no ellipsis was given")
        if n > len(shape):
            _fail(f"the number of subscripts in the equation ({n}) is more than the number of "
                  f"dimensions ({len(shape)}) for operand {k}")
        n_ell.append(len(shape) - n)
    free = [c for c in _LETTERS if c not in eq]
    ell = "".join(free[:max(n_ell, default=0)])
    subs = [h + (ell[len(ell) - m:] if m else "") + (t or "")
            for (h, t), m in zip(parts, n_ell)]
    return subs, _output(rhs if arrow else None, subs, ell), ell


def _output(rhs, subs: list, ell: str) -> str:
    if rhs is None:  # implicit: the ellipsis, then the labels seen once, sorted
        labels = "".join(subs)
        return ell + "".join(sorted(c for c in set(labels) if labels.count(c) == 1
                                    and c not in ell))
    head, tail = _split_ellipsis(rhs, None)
    out = head + (ell + tail if tail is not None else "")
    seen = set("".join(subs))
    for i, c in enumerate(out):
        if c not in seen:
            _fail(f"output subscript {c} does not appear in the equation for any input operand")
        if c in out[:i]:
            _fail(f"output subscript {c} appears more than once in the output")
    return out


def _check_sizes(subs: list, shapes: list, ell: str) -> None:
    """Each label's sizes must agree (1 broadcasts), checked and worded as in PyTorch."""
    sizes: dict = {}
    for k, (sub, shape) in enumerate(zip(subs, shapes)):
        mine: dict = {}
        for i, (c, n) in enumerate(zip(sub, shape)):
            if c in mine and mine[c] != n:  # a repeated label takes a diagonal: equal sizes
                _fail(f"subscript {c} is repeated for operand {k} but the sizes don't match, "
                      f"{n} != {mine[c]}")
            mine[c] = n
            have = sizes.get(c)
            if have is not None and n != have and n != 1 and have != 1:
                if c in ell:  # (PyTorch's message lacks the space before "has")
                    _fail(f"dimension {i} covered by ellipsis in operand {k}has size {n} which "
                          f"does not broadcast with previously seen ellipsis with size {have} "
                          "for the respective dimension")
                _fail(f"subscript {c} has size {n} for operand {k} which does not broadcast "
                      f"with previously seen size {have}")
            sizes[c] = n if have in (None, 1) else have


def _grad_equation(subs: list, out: str, k: int, shapes: list, out_shape: tuple) -> tuple:
    """dL/d(operand k) as einsum(g, other operands, helpers) -> (equation, helper arrays).

    A label of operand k that g and the other operands do not carry at k's size (summed
    within k alone, or broadcast from size 1 on either side) is renamed and supplied by a
    ones vector of k's size; a repeated label (a diagonal) is tied to its first occurrence
    by an identity matrix, so the gradient lands on that diagonal, zeros elsewhere."""
    others = [s for i, s in enumerate(subs) if i != k]
    near: dict = {}  # each label's size in g and the other operands (they broadcast to it)
    for sub, shape in [(out, out_shape)] + [(subs[i], shapes[i]) for i in range(len(subs))
                                            if i != k]:
        for c, n in zip(sub, shape):
            near[c] = max(near.get(c, 1), n)
    fresh = iter(c for c in _LETTERS if c not in "".join(subs) + out)
    first: dict = {}
    result, helpers = [], []
    for c, n in zip(subs[k], shapes[k]):
        if c in first:
            f = next(fresh)
            helpers.append((first[c] + f, ("eye", n)))
        elif near.get(c) == n:
            f = c
        else:
            f = next(fresh)
            helpers.append((f, ("ones", n)))
        first.setdefault(c, f)
        result.append(f)
    terms = [out] + others + [h for h, _ in helpers]
    return ",".join(terms) + "->" + "".join(result), [m for _, m in helpers]


def _helper(kind: tuple, dtype) -> np.ndarray:
    what, n = kind
    return np.eye(n, dtype=dtype) if what == "eye" else np.ones(n, dtype=dtype)


_NAIVE_WORK = 4096  # below this many multiply-adds np.einsum's own loop beats planning


def _np_einsum(eq: str, arrays) -> np.ndarray:
    """np.einsum, with NumPy's contraction planning (BLAS through tensordot) when the naive
    loop would be long: 'bij,bjk->bik' at 8x32x32 takes 259 us naive, 19 planned; at 1x8x8,
    4 us naive, 22 planned."""
    sizes: dict = {}
    for sub, a in zip(eq.split("->")[0].split(","), arrays):
        sizes.update(zip(sub, a.shape))
    work = 1
    for n in sizes.values():
        work *= n
    return np.einsum(eq, *arrays, optimize="greedy" if len(arrays) > 2 or work > _NAIVE_WORK
                     else False)


class Einsum(Primitive):
    """y = einsum(eq, x_1, ..., x_n);  dL/dx_k = einsum(g, x_j (j != k) -> subscripts of x_k)
    (see _grad_equation for labels summed within x_k, broadcast, or repeated)."""

    @staticmethod
    def forward(ctx, spec, *xs):
        subs, out = spec
        ctx.spec, ctx.shapes = spec, [x.shape for x in xs]
        if len(xs) > 1:  # one operand's gradient needs only g (it may be a view, below)
            ctx.save_for_backward(*xs)
        # A pure relabelling ('ii->i', 'ij->ji') is a view of the operand, in NumPy as in
        # PyTorch: einsum() marks it so.
        plan = _pair_plan(subs, out, tuple(x.shape for x in xs)) if len(xs) == 2 else None
        if plan is None or plan[0] is not None:  # (einsum() asks for the memory order)
            y = np.asarray(_np_einsum(",".join(subs) + "->" + out, xs))
            return _mul_layout(y, subs, out, xs) if plan is None and len(xs) == 2 else y
        return _pair_product(plan, xs)

    @staticmethod
    def backward(ctx, g):
        subs, out = ctx.spec
        xs = ctx.saved_tensors if len(subs) > 1 else ()
        grads = [None]
        for k, need in enumerate(ctx.needs_input_grad[1:]):
            if not need:
                grads.append(None)
                continue
            eq, kinds = _grad_equation(subs, out, k, ctx.shapes, np.shape(g))
            operands = [g] + [x for i, x in enumerate(xs) if i != k]
            if isinstance(g, Tensor):
                dt = g._data.dtype
                operands += [Tensor._make(_helper(m, dt), False, None) for m in kinds]
                grads.append(einsum(eq, *operands))
            else:
                operands += [_helper(m, g.dtype) for m in kinds]
                grads.append(_np_einsum(eq, operands))
        return tuple(grads)


@functools.lru_cache(maxsize=256)
def _plan(equation: str, shapes: tuple) -> tuple:
    """(input subscripts, output subscripts) for these shapes, checked; cached, as a model
    calls the same einsum on the same shapes every step (parsing costs ~7 us)."""
    subs, out, ell = _parse(equation, list(shapes))
    _check_sizes(subs, shapes, ell)
    return tuple(subs), out


def _sublist_equation(args: tuple) -> tuple:
    """einsum(op1, [0, 1], op2, [1, 2], [0, 2]): the sublist form, as an equation string."""
    def letters(sub):
        return "".join("..." if s is Ellipsis else _LETTERS[int(s)] for s in sub)

    pairs = args[:len(args) - len(args) % 2]  # an odd count ends with the output sublist
    ops, terms = list(pairs[0::2]), [letters(s) for s in pairs[1::2]]
    eq = ",".join(terms)
    if len(args) % 2:
        eq += "->" + letters(args[-1])
    return eq, ops


def einsum(*args) -> Tensor:
    """Sums of products over the labelled dims of the operands, as np.einsum / torch.einsum."""
    if args and isinstance(args[0], str):
        equation, operands = args[0], list(args[1:])
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = list(operands[0])
        for i, t in enumerate(operands):
            if not isinstance(t, Tensor):  # (PyTorch's parser reads them as one list)
                from .._typename import arg_type_name

                raise TypeError(f"expected Tensor as element {i} in argument 1, but got "
                                f"{arg_type_name(t)}")
    else:
        equation, operands = _sublist_equation(args)
    if not operands:
        raise ValueError("einsum(): must specify the equation string and at least one "
                         "operand, or at least one operand and its subscripts list")
    subs, out = _plan(equation, tuple(t._data.shape for t in operands))
    first = operands[0]
    d0 = first._data.dtype
    if d0.kind in ("biu" if len(operands) > 1 else "iu") or any(
            t._data.dtype != d0 for t in operands[1:]):  # (one float dtype: nothing to do)
        dt = product_dtype(subs, out, operands)
        if any(t._data.dtype != dt for t in operands):
            operands = [t if t._data.dtype == dt else t.to(D.from_numpy_dtype(dt))
                        for t in operands]
            first = operands[0]
    if first._data.dtype == np.bool_ and len(operands) == 1:  # a single operand: sums count
        if set(subs[0]) - set(out):
            operands = [first.to(np.int64)]
    if len(operands) > 2:
        return _chain(subs, out, operands)
    node = _shown_node(subs, out)
    if len(operands) == 2:
        plan = _pair_plan(subs, out, (first._data.shape, operands[1]._data.shape))
        if plan is not None and plan[0] is not None:  # bmm's order in memory, then a view
            order = plan[0]
            y = Einsum.apply((subs, "".join(out[p] for p in order)), *operands)
            y = y.permute(tuple(int(i) for i in np.argsort(order)))
            from ._shown_graph import as_node  # PyTorch's last step there: a view

            return as_node(y, "ViewBackward0")
    y = node.apply((subs, out), *operands)
    return _view_of(y, first) if len(operands) == 1 else y


def _chain(subs: tuple, out: str, operands: list) -> Tensor:
    """Three or more operands, contracted pairwise from the left as PyTorch does (without
    opt_einsum): each product keeps the labels that the output or a later operand needs
    (the output's first), so the result is laid out as PyTorch's last pairwise product
    ('ij,jk,kl->il' is row-major) and ends in a view when any label was contracted."""
    order = out + "".join(dict.fromkeys(c for c in "".join(subs) if c not in out))
    acc, acc_sub = operands[0], subs[0]
    for k in range(1, len(operands)):
        if k == len(operands) - 1:
            keep = out
        else:
            later = set(out).union(*subs[k + 1:])
            keep = "".join(c for c in order if c in later and (c in acc_sub or c in subs[k]))
        acc = einsum(f"{acc_sub},{subs[k]}->{keep}", acc, operands[k])
        acc_sub = keep
    if len(order) > len(out) and acc.grad_fn is not None and \
            type(acc.grad_fn).__name__ != "ViewBackward0":
        from ._shown_graph import as_node

        acc = as_node(acc, "ViewBackward0")
    return acc


_SHOWN: dict = {}


def _shown_node(subs: tuple, out: str):
    """The Einsum class named as PyTorch's last step of this equation: one operand, a sum
    over its labels the output lacks (SumBackward1), else its permuted view
    (PermuteBackward0); more operands, a view of the contracted product (ViewBackward0),
    else their broadcast product (MulBackward0)."""
    summed = bool(set("".join(subs)) - set(out))
    name = (("PermuteBackward0", "SumBackward1") if len(subs) == 1 else
            ("MulBackward0", "ViewBackward0"))[summed]
    cls = _SHOWN.get(name)
    if cls is None:
        cls = _SHOWN[name] = type(name, (Einsum,), {"node_name": name})
    return cls


def _tensordot_dims(dims, na: int, nb: int) -> tuple:
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        d = int(dims)
        if d < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={d}")
        if d > na or d > nb:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={d}")
        return list(range(-d, 0)), list(range(d))  # negative, as PyTorch's messages say
    da, db = dims
    for name, pos, d in (("dims_self", 3, da), ("dims_other", 4, db)):
        if isinstance(d, (int, np.integer)):
            raise TypeError(f"tensordot(): argument '{name}' (position {pos}) must be tuple of "
                            "ints, not int")
    return list(da), list(db)


def tensordot(a, b, dims=2, out=None) -> Tensor:
    """Contract dims ``dims[0]`` of a with ``dims[1]`` of b (an int n: a's last n, b's first n).

    Composite: a and b permuted and flattened to matrices, one matmul, reshaped."""
    from ._util import dims as wrap_dims

    na, nb = a._data.ndim, b._data.ndim
    da, db = _tensordot_dims(dims, na, nb)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    given = list(zip(da, db))  # as the caller wrote them, for the message
    da, db = wrap_dims(da, na) or (), wrap_dims(db, nb) or ()
    sa, sb = a._data.shape, b._data.shape
    for i, j, (gi, gj) in zip(da, db, given):
        if sa[i] != sb[j]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa[i]} "
                               f"in dim {gi} and second has size {sb[j]} in dim {gj}")
    free_a = [i for i in range(na) if i not in da]
    free_b = [j for j in range(nb) if j not in db]
    m, k, n = (int(np.prod([s[i] for i in ax], dtype=np.int64))
               for s, ax in ((sa, free_a), (sa, da), (sb, free_b)))
    left = a.permute(free_a + list(da)).reshape(m, k)
    right = b.permute(list(db) + free_b).reshape(k, n)
    shape = tuple(sa[i] for i in free_a) + tuple(sb[j] for j in free_b)
    return _reshaped(matmul(left, right), shape)
