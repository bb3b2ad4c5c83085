"""How fused nodes show themselves in ``grad_fn.next_functions``: as PyTorch's graph.

ember records some ops as one node where PyTorch records several: Linear is
``x @ W^T + b`` in one node (PyTorch: ``addmm(b, x, W.t())``, a TBackward0 in front of the
weight), cross_entropy one node (PyTorch: log_softmax, then nll_loss), l1_loss one node
(sub, abs, mean), ``c / x`` one node (reciprocal, then mul). Tutorials walk that graph
(``loss.grad_fn.next_functions[0][0].next_functions[0][0]`` is the bias's AccumulateGrad),
so these nodes present PyTorch's: the inner steps appear as ``Shown`` nodes, each the same
object on every look. They are for looking at only: gradients flow through the fused node,
and hooks on them are refused with a clear error.
"""

from __future__ import annotations

from ..autograd.function import AccumulateGrad, Node, Primitive


def _shown(edge):
    if edge is None or isinstance(edge, (Node, Shown)):
        return (edge, 0)
    return (AccumulateGrad(edge), 0)


class Shown:
    """A node of PyTorch's graph that ember's fused node stands for; ``inputs`` are edges
    (a Node, a leaf Tensor, None) or other Shown nodes. Subclassed per name, so that
    ``type(node).__name__`` is PyTorch's name, as graph tools read it."""

    def __init__(self, inputs: tuple) -> None:
        self._inputs = inputs
        self.metadata: dict = {}

    def name(self) -> str:
        return type(self).__name__

    @property
    def next_functions(self) -> tuple:
        return tuple(_shown(e) for e in self._inputs)

    def _no_hooks(self, fn):
        raise RuntimeError(f"ember: this {type(self).__name__} only shows PyTorch's graph "
                           "(ember computes it inside one fused node); register the hook on "
                           "the node that lists it or on the tensor")

    register_hook = register_prehook = _no_hooks

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {hex(id(self))}>"


_CLASSES: dict = {}


def shown(node, key: str, name: str, inputs: tuple) -> Shown:
    """The Shown node ``name`` over ``inputs``, kept on ``node`` under ``key``."""
    d = node.__dict__
    s = d.get(key)
    if s is None:
        cls = _CLASSES.get(name)
        if cls is None:
            cls = _CLASSES[name] = type(name, (Shown,), {})
        s = d[key] = cls(inputs)
    return s


class LinearNode(Node):
    """Linear's node: next_functions in PyTorch's (bias, input, weight^T) order."""

    __slots__ = ()

    # Backward sends bias, input, then the weight through TBackward0 (created just before).
    _push = (2, 0, (1, (1,)))

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__name__ == "MmBackward0":
            cls._push = (0, (1, (1,)))

    @property
    def next_functions(self) -> tuple:
        x, w, b = self.next_edges[:3]
        shown_w = (None, 0) if w is None else (shown(self, "_t", "TBackward0", (w,)), 0)
        if type(self).__name__ == "MmBackward0":
            return (_shown(x), shown_w)
        return (_shown(b), _shown(x), shown_w)

    def _torch_grads(self, in_grads: tuple) -> tuple:
        """(input, weight, bias) gradients as addmm's (bias, input, weight^T) / mm's."""
        gx, gw, gb = in_grads[:3]
        gwt = None if gw is None else gw.T
        return (gx, gwt) if type(self).__name__ == "MmBackward0" else (gb, gx, gwt)

    def _from_torch_grads(self, grads: tuple, in_grads: tuple) -> tuple:
        if type(self).__name__ == "MmBackward0":
            gx, gwt = grads
            gb = in_grads[2]
        else:
            gb, gx, gwt = grads
        return (gx, None if gwt is None else gwt.T, gb) + tuple(in_grads[3:])


class LinearViewNode(Node):
    """Linear of a batched (or 1-D) input: PyTorch views the input as rows and the result
    back, ViewBackward0 over addmm(b, view(x), W^T), or without a bias UnsafeViewBackward0
    over mm(view(x), W^T); a transformer's every projection walks through these."""

    __slots__ = ()

    @property
    def next_functions(self) -> tuple:
        x, w, b = self.next_edges[:3]
        vx = None if x is None else shown(self, "_vx", "ViewBackward0", (x,))
        tw = None if w is None else shown(self, "_t", "TBackward0", (w,))
        if type(self).__name__ == "UnsafeViewBackward0":
            return ((shown(self, "_mm", "MmBackward0", (vx, tw)), 0),)
        return ((shown(self, "_mm", "AddmmBackward0", (b, vx, tw)), 0),)


class ReciprocalMulNode(Node):
    """``c / x`` (args c, x): PyTorch's MulBackward0 over (ReciprocalBackward0 -> x, c)."""

    __slots__ = ()
    _push = ((1, (1,)),)  # ReciprocalBackward0 (made just before) sends x's gradient

    @property
    def next_functions(self) -> tuple:
        x = self.next_edges[1]
        return ((None, 0) if x is None else (shown(self, "_r", "ReciprocalBackward0", (x,)), 0),
                (None, 0))


class L1Node(Node):
    """l1_loss (args input, target, ...): PyTorch's Mean/SumBackward0 over AbsBackward0 over
    SubBackward0 (input, target); with reduction 'none', AbsBackward0 over SubBackward0."""

    __slots__ = ()

    @property
    def _push(self) -> tuple:
        """Through AbsBackward0 (and SubBackward0 below it) to input and target."""
        if type(self).__name__ == "AbsBackward0":
            return ((1, (0, 1)),)
        return ((1, ((2, (0, 1)),)),)

    @property
    def next_functions(self) -> tuple:
        sub = shown(self, "_sub", "SubBackward0", tuple(self.next_edges[:2]))
        if type(self).__name__ == "AbsBackward0":
            return ((sub, 0),)
        return ((shown(self, "_abs", "AbsBackward0", (sub,)), 0),)


class NllOfLogSoftmaxNode(Node):
    """cross_entropy with class indices (arg input first): PyTorch's NllLossBackward0 over
    LogSoftmaxBackward0 (input)."""

    __slots__ = ()

    @property
    def _push(self):
        if type(self).__name__ != "NllLossBackward0":
            return None
        return ((1, (0,)),) + tuple(range(1, len(self.next_edges)))  # via LogSoftmaxBackward0

    @property
    def next_functions(self) -> tuple:
        if type(self).__name__ != "NllLossBackward0":  # (its 2-D and smoothed variants)
            return Node.next_functions.fget(self)
        return ((shown(self, "_lsm", "LogSoftmaxBackward0", (self.next_edges[0],)), 0),)


class _Named(Primitive):
    """y = x, dL/dx = g: ends a composite (a loss, attention, householder_product) so its
    grad_fn shows PyTorch's one node (``as_node`` gives the subclass of that name)."""

    exact_grads = True

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, g):
        return g


_NAMED: dict = {}


def as_node(t, name: str):
    """``t`` ended by a ``name`` node when it is recorded (else ``t`` itself)."""
    cls = _NAMED.get(name)
    if cls is None:
        cls = _NAMED[name] = type(name, (_Named,), {"node_name": name})
    return cls.apply(t) if t._rg else t


class _NoDerivative(Primitive):
    """y = value (computed outside, the last argument), recorded as depending on the tensors
    before it; PyTorch defines no derivative for it, so backward raises its error
    (``no_derivative`` names the op)."""

    @staticmethod
    def forward(ctx, *args):
        return args[-1]


def no_derivative(node_name: str, op: str):
    """A _NoDerivative node class named ``node_name`` whose backward says that ``op`` has no
    derivative, in PyTorch's words."""
    def backward(ctx, g):
        raise NotImplementedError(f"the derivative for '{op}' is not implemented.")

    return type(node_name, (_NoDerivative,), {"node_name": node_name,
                                               "backward": staticmethod(backward)})
