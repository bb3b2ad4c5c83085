"""A Tensor and a NumPy array in one operator (ember/_ndarray_operands.py), against PyTorch
2.13 live: ``t <op> a`` is NumPy's answer wrapped in a Tensor (NumPy's promotion, NumPy 2's
DeprecationWarning, no graph, numpy()'s error for a tensor that requires grad while grad mode
is on), ``a <op> t`` is refused except ``a / t``, orderings are refused both ways, ``t != a``
is True, and in-place operators with an array rebind instead of writing. Also the in-place
operators PyTorch has and ember lacked (``//=``, ``%=``, ``**=``, ``&=``, ``|=``, ``^=``) and
``numpy()`` under no_grad."""

import numpy as np
import pytest

from torch_compare import same_with_warnings

ARITH = ["+", "-", "*", "/", "//", "%", "**", "@"]
BITS = ["&", "|", "^", "<<", ">>"]
ORDER = ["<", "<=", ">", ">="]
TDTYPES = ["float32", "float64", "int64", "int32", "bool", "float16"]
ADTYPES = [np.float32, np.float64, np.int64, np.int32, np.bool_, np.uint8]


def _describe(v):
    if hasattr(v, "detach"):
        return ("Tensor", str(v.dtype).split(".")[-1], v.detach().numpy().tolist(),
                v.requires_grad)
    return (type(v).__name__, v.tolist() if hasattr(v, "tolist") else v)


def same(fn):
    return same_with_warnings(fn, _describe)


def _binary(symbol):
    return eval(f"lambda x, y: x {symbol} y")  # the operator itself (its bytecode matters)


def _operands(lib, tdtype, adtype, shape):
    t = lib.tensor([3, 2], dtype=getattr(lib, tdtype)) if tdtype != "bool" else \
        lib.tensor([True, False])
    a = np.array([2, 1], dtype=adtype).reshape(shape + (2,))[..., 0] if shape == () \
        else np.array([2, 1], dtype=adtype)
    return t, a


@pytest.mark.parametrize("symbol", ARITH + BITS)
@pytest.mark.parametrize("tdtype", TDTYPES)
@pytest.mark.parametrize("adtype", ADTYPES)
@pytest.mark.parametrize("shape", [(2,), ()], ids=["1d", "0d"])
def test_tensor_op_array(symbol, tdtype, adtype, shape):
    op = _binary(symbol)
    same(lambda L: op(*_operands(L, tdtype, adtype, shape)))


@pytest.mark.parametrize("symbol", ARITH + BITS + ORDER + ["==", "!="])
@pytest.mark.parametrize("tdtype", ["float32", "int64"])
def test_array_op_tensor(symbol, tdtype):
    op = _binary(symbol)
    adtype = np.int64 if symbol in BITS else np.float64
    same(lambda L: op(_operands(L, tdtype, adtype, (2,))[1],
                      _operands(L, tdtype, adtype, (2,))[0]))


@pytest.mark.parametrize("symbol", ORDER + ["==", "!="])
def test_comparisons(symbol):
    op = _binary(symbol)
    same(lambda L: op(L.tensor([0.1, 0.2]), np.array([0.1, 0.2])))
    same(lambda L: op(L.tensor([1.0, 2.0]), np.array([1.0, 3.0], np.float32)))
    same(lambda L: op(L.tensor([1.0, 2.0]), np.float32(1.0)))  # a NumPy number: a number


@pytest.mark.parametrize("symbol", ["+", "-", "*", "/", "//", "%", "**"])
@pytest.mark.parametrize("adtype", [np.float64, np.float32, np.int64])
def test_inplace_with_array_rebinds(symbol, adtype):
    """t <op>= a: a new tensor bound to the name; the old one (and a view) unchanged."""
    def prog(L):
        base = L.tensor([5.0, 6.0, 7.0])
        t = base[:2]
        old = t
        a = np.array([2, 3], dtype=adtype)
        ns = {"t": t, "a": a}
        exec(f"t {symbol}= a", ns)
        new = ns["t"]
        return new.tolist(), old.tolist(), base.tolist(), new is old, str(new.dtype)
    want = same(prog)
    assert want[0][0] == "tuple"  # (ran through: a result, not an error)


@pytest.mark.parametrize("symbol,kind", [("&", "int"), ("|", "int"), ("^", "int"),
                                         ("<<", "int"), (">>", "int"), ("&", "bool"),
                                         ("//", "float"), ("%", "float"), ("**", "float"),
                                         ("+", "float"), ("/", "float")])
def test_inplace_tensor_operators_write_in_place(symbol, kind):
    """t <op>= u between tensors is the in-place method (t //= u is t.floor_divide_(u))."""
    def prog(L):
        if kind == "int":
            t, u = L.tensor([5, 6, 12]), L.tensor([1, 2, 3])
        elif kind == "bool":
            t, u = L.tensor([True, True, False]), L.tensor([True, False, False])
        else:
            t, u = L.tensor([5.0, 6.0, 7.5]), L.tensor([2.0, 4.0, 0.5])
        view = t[1:]
        ns = {"t": t, "u": u}
        exec(f"t {symbol}= u", ns)
        return ns["t"] is t, t.tolist(), view.tolist(), t._version
    same(prog)


@pytest.mark.parametrize("symbol", ["//", "%", "**"])
def test_inplace_operator_on_leaf_requiring_grad(symbol):
    def prog(L):
        w = L.ones(3, requires_grad=True)
        ns = {"w": w}
        exec(f"w {symbol}= 2.0", ns)
    same(prog)


@pytest.mark.parametrize("expr", ["t * a", "t + a", "a / t", "t @ a", "t ** a"])
def test_requires_grad(expr):
    """NumPy reads the tensor through numpy(): refused while grad mode is on, fine under
    no_grad (and never a graph)."""
    def prog(L, grad_mode):
        t = L.tensor([1.0, 2.0], requires_grad=True)
        a = np.array([3.0, 4.0])
        with L.set_grad_enabled(grad_mode):
            return eval(expr)
    same(lambda L: prog(L, True))
    same(lambda L: prog(L, False))


def test_numpy_under_no_grad():
    def prog(L):
        t = L.ones(2, requires_grad=True)
        with L.no_grad():
            a = t.numpy()
        a[0] = 5.0  # shares memory
        return t
    same(prog)
    same(lambda L: L.ones(2, requires_grad=True).numpy())


def test_reciprocal_rounding_of_array_over_tensor():
    """a / t is t.reciprocal() * a in PyTorch: the reciprocal rounds in the tensor's dtype."""
    same(lambda L: np.array([0.1, 0.3, 7.0]) / L.tensor([0.1, 0.3, 7.0]))
    same(lambda L: np.array([1, 2]) / L.tensor([3, 7]))


def test_parameter_named_in_errors():
    same(lambda L: L.nn.Parameter(L.ones(2)) < np.ones(2))
    same(lambda L: np.ones(2) * L.nn.Parameter(L.ones(2)))


def test_create_graph_rules_keep_their_graph():
    """ember's own backward rules multiply Tensor gradients by saved arrays under
    create_graph: that path still records (second derivatives of relu, smooth_l1, abs)."""
    def prog(L):
        x = L.tensor([-1.5, 0.3, 2.0], dtype=L.float64, requires_grad=True)
        y = (L.relu(x) ** 3).sum() + L.nn.functional.smooth_l1_loss(x ** 2, L.zeros(3,
                                                                    dtype=L.float64))
        (g,) = L.autograd.grad(y, x, create_graph=True)
        (h,) = L.autograd.grad(g.sum(), x)
        return g.detach().numpy().tolist(), h.numpy().tolist()
    same(prog)


def test_import_leaves_numpy_ma_unloaded():
    """The operand checks look numpy.ma up instead of touching np.ma, which would import it
    (~7 ms of `import ember`, measured)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", "import sys, ember; print('numpy.ma' in "
                          "sys.modules)"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_masked_array_operand_keeps_embers_answer():
    """A masked array answers with its own operators first; ember computes with it, as
    before (PyTorch: a MaskedArray result)."""
    import ember

    t = ember.tensor([1.0, 2.0])
    out = t + np.ma.array([1.0, 2.0])
    assert np.allclose(np.asarray(out), [2.0, 4.0])
