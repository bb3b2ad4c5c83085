"""One graph node for a recorded Sequential chain Linear, act, Linear, ..., Linear (act: ReLU or
Tanh), where the layer-by-layer path records one node per layer.

A small network's training step is mostly Python work per node: recording it in forward, then
running it in backward. For the usual policy and value networks (two or three Linear layers)
one node for the whole chain takes 7-10% off a training step (make bench: W1's 2-32-2 step
97 -> 87 us, W2's 4-64-tanh-64-tanh-2 policy step 203 -> 188 us; DQN's update in its loop
~4%) and changes no bit: its rule makes the very NumPy calls the layers' rules make.

It must not change what anyone can see. The node is named after the last layer
(``AddmmBackward0``), and whatever looks inside the graph first expands it, in place, into the
nodes the layer-by-layer path records, with the same classes, saved arrays, version counters
and creation numbers: ``next_functions``, a hook registered on it (or on the chain's output
tensor), its ``_saved_*`` attributes, a version error, the ordered engine (a hook anywhere,
``autograd.grad``, ``create_graph``, anomaly mode; ``autograd/_fused.py``), ``ember.viz`` and
``autograd.explain``. After that nothing tells the two apart. Only a plain ``loss.backward()``
runs the fused rule. Recording needs every weight and bias to require grad, each once, and no
anomaly mode or saved-tensor hooks (``_fastpath`` decides).
"""

from __future__ import annotations

from ...autograd import _fused
from ...autograd.function import _FREED, _OUT_ROLE, _next_seq, _stale_graph_used, Primitive
from ...ops.elementwise import _tanh_grad
from ...ops.linalg import Linear as LinearOp, LinearNode, _col_sum, _mm, linear_forward
from ...ops._util import relu_array, select, tanh_array
from ...tensor import Tensor

_new = object.__new__


class ChainNode(LinearNode):
    """The chain's node until something looks inside it (see the module docstring)."""

    __slots__ = ()

    @property
    def next_functions(self) -> tuple:
        self._expand()
        return self.next_functions  # (now the last Linear's node: its own property)

    def register_hook(self, fn):
        self._expand()
        return self.register_hook(fn)

    def register_prehook(self, fn):
        self._expand()
        return self.register_prehook(fn)

    def _add_prehook(self, fn):
        self._expand()
        return self._add_prehook(fn)

    def __dir__(self):
        self._expand()
        return self.__dir__()

    def _expand(self) -> list:
        """Become the last Linear's node, with the other layers' nodes made below it, as
        the layer-by-layer path records them; returns them in the order PyTorch's engine
        runs them (last layer first)."""
        relu, seqs, widths = self.__dict__.pop("_chain")
        from ._fastpath import _ReluOver, _TanhOver  # (a cycle at import: _fastpath uses us)

        edges, saved, dtype = self.next_edges, self._saved, self._dtype
        k = len(edges) // 2
        freed = saved is _FREED
        version = {role: (vc, v) for vc, v, role in self._versions}
        below, below_vc = edges[0], version.get(0)  # the first layer's input
        batch = self._shape[0]
        made = []
        for i in range(k):
            lin = self if i == k - 1 else _new(LinearOp._node_cls)
            h = None if freed else (saved[0] if i == 0 else saved[k + i])
            w = None if freed else saved[1 + i]
            wvc = version.get(1 + 2 * i)  # (the first weight's: only where x needs grad)
            lin.next_edges = (below, edges[1 + 2 * i], edges[2 + 2 * i])
            lin.needs_input_grad = (below is not None, True, True)
            # Linear.forward saves (x, W), or x alone when x needs no gradient; the versions
            # as function._note_saved notes them for those two cases.
            if below is not None:
                lin._saved = _FREED if freed else (h, w)
                lin._roles = (0, 1)
                lin._versions = [(below_vc[0], below_vc[1], 0), (wvc[0], wvc[1], 1)]
            else:
                lin._saved = _FREED if freed else (h,)
                lin._roles = (0,)
                lin._versions = [(below_vc[0], below_vc[1], 0)]
            lin._shape, lin._dtype = (batch, widths[i]), dtype
            if i < k - 1:
                lin._uses, lin._seq = 1, seqs[2 * i]
                act = _new((_ReluOver if relu[i] else _TanhOver)._node_cls)
                act.next_edges, act.needs_input_grad = (lin,), (True,)
                act._saved = _FREED if freed else (saved[k + 1 + i],)
                vc = [0]  # the activation's output Tensor, which the next layer saves too
                act._roles, act._versions = _OUT_ROLE, [(vc, 0, -1)]
                act._uses, act._seq = 1, seqs[2 * i + 1]
                act._shape, act._dtype = lin._shape, dtype
                made += [lin, act]
                below, below_vc = act, (vc, 0)
        self.__class__ = LinearOp._node_cls
        return [self] + made[::-1]


class LinearChain(Primitive):
    """y = L_k(a_{k-1}(... a_1(L_1(x)))), L_i(h) = h @ W_i^T + b_i, a_i = relu or tanh.

    Backward from g = dL/dy, one layer at a time from the last (each Linear's and each
    activation's own rule):  dL/dW_i = g_i^T h_{i-1},  dL/db_i = the sum of g_i over the batch,
    g_{i-1} = (g_i @ W_i) * a'(h_{i-1}) with relu' = [h != 0] and tanh' = 1 - h^2 (h the
    activation's output), and dL/dx = g_1 @ W_1 when x requires grad.
    """

    node_name = "AddmmBackward0"
    exact_grads = True
    _node_base = ChainNode

    @staticmethod
    def backward(ctx, g):
        saved = ctx._saved
        k = len(ctx.next_edges) // 2
        relu = ctx.__dict__["_chain"][0]
        out = [None] * (1 + 2 * k)
        for i in range(k - 1, -1, -1):
            h = saved[k + i] if i else saved[0]  # this layer's input
            out[1 + 2 * i] = _mm(g.T, h)
            out[2 + 2 * i] = _col_sum(g)
            if i:
                g = _mm(g, saved[1 + i])
                g = select(h != 0, g) if relu[i - 1] else _tanh_grad(g, h)
            elif ctx.needs_input_grad[0]:
                out[0] = _mm(g, saved[1])
        return tuple(out)


def _edge(t: Tensor):
    """Where a gradient for ``t`` goes, as Primitive.apply finds it."""
    e = t.grad_fn
    if e is None:
        return t
    e._uses += 1
    if e._done:
        _stale_graph_used()
    return e


def record(x: Tensor, weights: tuple, biases: tuple, relu: tuple, widths: tuple) -> Tensor:
    """The chain's output, recorded as one LinearChain node (Primitive.apply's work, written
    for this one case: the edges, versions and saved arrays are known in advance)."""
    node = _new(LinearChain._node_cls)
    edges = [_edge(x) if x._rg else None]
    versions = []
    vc = x._vc
    if vc is None:
        vc = x._vc = [0]
    versions.append((vc, vc[0], 0))
    a = x._data
    arrays = [a]
    for i, (w, b) in enumerate(zip(weights, biases)):
        edges += [_edge(w), _edge(b)]
        arrays.append(w._data)
        if i == 0 and not x._rg:
            continue  # the first Linear then saves x alone: W_1 may change (no error)
        vc = w._vc
        if vc is None:
            vc = w._vc = [0]
        versions.append((vc, vc[0], 1 + 2 * i))
    hs = []
    last = len(weights) - 1
    for i in range(last + 1):  # the layers' forwards: linear_forward, then relu/tanh over it
        a = linear_forward(a, arrays[1 + i], biases[i]._data)
        if i < last:
            a = relu_array(a, out=a) if relu[i] else tanh_array(a, out=a)
            hs.append(a)
    node.next_edges = tuple(edges)
    node.needs_input_grad = (x._rg,) + (True,) * (2 * last + 2)
    node._saved = tuple(arrays + hs)
    node._roles = (0,) + tuple(range(1, 2 * last + 2, 2)) + (-2,) * last
    node._versions = versions
    node._uses = 0
    # the creation numbers of the 2k - 1 nodes the layers record; the last is the chain's
    seqs = [_next_seq() for _ in range(2 * last + 1)]
    node._seq = seqs[-1]
    node.__dict__["_chain"] = (relu, seqs, widths)
    node._shape, node._dtype = a.shape, a.dtype
    _fused.EVER[0] = True
    result = _new(Tensor)
    result._data = a
    result._rg = True
    result.grad_fn = node
    result._grad = result._vc = result._base = result._hooks = None
    return result
