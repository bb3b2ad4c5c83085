"""PyTorch-parity gaps closed in session 18: sort/argsort's keyword-only ``stable``, the
names aliases give in their argument errors, LSTM/GRU/RNN's unbatched state with a packed
input. Every expected outcome is computed live from PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from ember._alias_names import ALIASES
from torch_compare import error_of, same, same_error_case

# ---- sort / argsort: stable= is keyword only, and makes dim/descending keyword only ------

_X = np.array([3.0, 1.0, 2.0, 1.0, 0.5], np.float32)


def _t(lib):
    return lib.tensor(_X)


def _out(lib):
    return (lib.empty(5), lib.empty(5, dtype=lib.long))


_SORT_CALLS = [
    lambda L: _t(L).sort(0, descending=True, stable=True),
    lambda L: _t(L).sort(0, stable=True),
    lambda L: _t(L).sort(0, stable=False),
    lambda L: _t(L).sort(0, stable=None),
    lambda L: _t(L).sort(0, True),
    lambda L: _t(L).sort(0, True, True),
    lambda L: _t(L).sort(0, True, True, True),
    lambda L: _t(L).sort(stable=True),
    lambda L: _t(L).sort(stable=None),
    lambda L: _t(L).sort(dim=0, stable=True),
    lambda L: _t(L).sort(dim=0, descending=True, stable=True),
    lambda L: _t(L).sort(True, dim=0),
    lambda L: _t(L).sort(0, dim=0),
    lambda L: _t(L).sort(foo=1),
    lambda L: _t(L).sort(stable=True, foo=2),
    lambda L: _t(L).sort(dim=0, descending=True, foo=1),
    lambda L: _t(L).sort(dim=0, descending=True, stable=True, foo=1),
    lambda L: _t(L).sort(descending=True, dim=0),
    lambda L: L.sort(_t(L), 0, stable=True),
    lambda L: L.sort(_t(L), 0, True, stable=True),
    lambda L: L.sort(_t(L), 0, descending=True, stable=True),
    lambda L: L.sort(_t(L), stable=True),
    lambda L: L.sort(_t(L), dim=0, stable=True),
    lambda L: L.sort(_t(L), 0, True, True),
    lambda L: L.sort(_t(L), 0, True, True, True),
    lambda L: L.sort(_t(L), foo=1),
    lambda L: L.sort(_t(L), dim=0, descending=True, foo=1),
    lambda L: L.sort(_t(L), 0, descending=True),
    lambda L: L.sort(_t(L), stable=True, out=_out(L)),
    lambda L: L.sort(_t(L), out=_out(L)),
    lambda L: L.sort(_t(L), 0, True, out=_out(L)),
    lambda L: L.argsort(_t(L), 0, stable=True),
    lambda L: L.argsort(_t(L), 0, True, stable=True),
    lambda L: L.argsort(_t(L), stable=True),
    lambda L: L.argsort(_t(L), dim=0, stable=True),
    lambda L: L.argsort(_t(L), 0, True, True),
    lambda L: L.argsort(_t(L), 0, foo=1),
    lambda L: L.argsort(_t(L), stable=True, out=L.empty(5, dtype=L.long)),
    lambda L: L.argsort(_t(L), out=L.empty(5, dtype=L.long)),
    lambda L: _t(L).argsort(0, stable=True),
    lambda L: _t(L).argsort(0, True, stable=True),
    lambda L: _t(L).argsort(stable=True),
    lambda L: _t(L).argsort(dim=0, descending=True, stable=True),
    lambda L: _t(L).argsort(0, True, True),
    lambda L: _t(L).argsort(0.5),
    lambda L: L.argsort(_t(L), 0.5),
    lambda L: L.sort(_t(L), 0.5),
    lambda L: _t(L).sort(0.5),
]


def _sorted(res):
    if isinstance(res, tuple):
        return [r.tolist() for r in res]
    return res.tolist()


@pytest.mark.parametrize("i", range(len(_SORT_CALLS)))
def test_sort_stable_keyword_rules(i):
    same(lambda L: _sorted(_SORT_CALLS[i](L)))


def test_sort_out_fills_the_given_tensors():
    for lib in (torch, ember):
        v, i = _out(lib)
        res = lib.sort(_t(lib), stable=True, descending=True, out=(v, i))
        assert res.values is v and res.indices is i
        assert i.tolist() == [0, 2, 1, 3, 4]


# ---- aliases name themselves in Python's argument errors ---------------------------------

def _alias_args(lib, alias):
    x = lib.tensor([[0.5, -0.25], [0.125, 0.75]])
    y = lib.tensor([[0.25, 0.5], [-0.5, 0.125]])
    if alias in ("clip",):
        return (x, 0.0, 0.5)
    if alias in ("moveaxis", "swapaxes", "swapdims"):
        return (x, 0, 1)
    if alias == "asarray":
        return ([1.0, 2.0],)
    if alias in ("concat", "concatenate"):
        return ([x, y],)
    if alias == "ger":
        return (x[0], y[0])
    if alias in ("arctan2", "divide", "multiply", "subtract", "greater", "greater_equal",
                 "less", "less_equal", "not_equal"):
        return (x, y)
    return (x,)


def _python_style(msg: str) -> bool:
    """PyTorch's message is Python's own (a single signature): the op named as called."""
    return "unexpected keyword argument" in msg or "positional argument" in msg


_FORMS = [(a, form) for a in sorted(ALIASES) for form in ("function", "method", "extra")
          if form != "method" or hasattr(torch.Tensor, a)]  # (methods PyTorch has)


def _call(lib, alias, form):
    args = _alias_args(lib, alias)
    if form == "function":
        return getattr(lib, alias)(*args, bogus=1)
    if form == "extra":  # one positional argument too many
        return getattr(lib, alias)(*args, *args[-1:] * 3)
    return getattr(args[0], alias)(*args[1:], bogus=1)


@pytest.mark.parametrize("alias,form", _FORMS)
def test_alias_argument_errors_name_the_alias(alias, form):
    want = error_of(lambda: _call(torch, alias, form))
    got = error_of(lambda: _call(ember, alias, form))
    if _python_style(want[1]):
        assert got == want, f"ember: {got}\ntorch: {want}"
    elif form != "extra":  # PyTorch lists its overloads; ember at least names the alias
        assert not got[1].startswith(ALIASES[alias] + "()"), got


def test_aliases_are_their_own_functions():
    for alias, op in ALIASES.items():
        fn = getattr(ember, alias)
        assert fn.__name__ == alias
        assert fn is not getattr(ember, op)
    x = ember.tensor([1.0, -2.0])
    assert ember.multiply(x, 3).tolist() == ember.mul(x, 3).tolist()
    assert ember.clip(x, max=0.5).tolist() == [0.5, -2.0]
    assert ember.subtract(x, x, alpha=2).tolist() == [-1.0, 2.0]


def test_alias_out_keyword_still_works():
    same(lambda L: L.multiply(L.ones(2), 3, out=L.empty(2)).tolist())
    same_error_case(lambda L: L.multiply(L.ones(2), L.ones(2), out=L.empty(2, dtype=L.long)))


# ---- torch.asarray: its own function, options keyword only -------------------------------

_ASARRAY = [
    lambda L: L.asarray([1.0, 2.0], L.float64),
    lambda L: L.asarray([1.0, 2.0], bogus=1),
    lambda L: str(L.asarray(np.arange(3.0), dtype=L.float32).dtype),
    lambda L: L.asarray(np.arange(3.0), copy=True).tolist(),
    lambda L: L.asarray([1.0], requires_grad=True).requires_grad,
    lambda L: L.asarray([1, 2], dtype=L.float32, requires_grad=True).is_leaf,
]


@pytest.mark.parametrize("i", range(len(_ASARRAY)))
def test_asarray_signature(i):
    same(lambda L: _ASARRAY[i](L))


def test_asarray_copy_true_shares_no_memory():
    for lib in (torch, ember):
        a = np.arange(3.0)
        t = lib.asarray(a, copy=True)
        a[0] = 5.0
        assert t.tolist() == [0.0, 1.0, 2.0]
        t2 = lib.asarray(a)
        a[1] = 7.0
        assert t2.tolist() == [5.0, 7.0, 2.0]
        src = lib.ones(2)
        assert lib.asarray(src) is src
        c = lib.asarray(src, copy=True)
        c.add_(1)
        assert src.tolist() == [1.0, 1.0]


# ---- LSTM on a PackedSequence: (h0, c0) go to the kernel unchecked ------------------------

def _packed_case(mode, hx_shapes, enforce_sorted=True, proj=0, extra=0):
    def case(L):
        L.manual_seed(0)
        x = L.from_numpy(np.random.default_rng(0).standard_normal((3, 2, 4)).astype("f4"))
        lengths = [3, 2] if enforce_sorted else [2, 3]
        packed = L.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=enforce_sorted)
        kw = {"proj_size": proj} if proj else {}
        m = getattr(L.nn, mode)(4, 5, **kw)
        states = tuple(L.zeros(s) for s in hx_shapes) + tuple(L.zeros(1, 2, 5)
                                                               for _ in range(extra))
        out, _ = m(packed, states if mode == "LSTM" else states[0])
        return out.data.shape
    return case


_PACKED_BAD = [
    ("LSTM", [(1, 5), (1, 5)], True, 0), ("LSTM", [(1, 5), (1, 5)], False, 0),
    ("LSTM", [(1, 3), (1, 5)], True, 3), ("LSTM", [(1, 5), (5,)], True, 0),
    ("LSTM", [(5,), (1, 5)], True, 0), ("LSTM", [(1, 2, 5), (1, 5)], True, 0),
    ("LSTM", [(2, 5), (2, 5)], False, 0), ("LSTM", [(), ()], True, 0),
    ("LSTM", [(1, 3, 5), (1, 3, 5)], True, 0), ("LSTM", [(1, 2, 5), (1, 3, 5)], True, 0),
    ("LSTM", [(1, 3, 3), (1, 3, 5)], True, 3), ("LSTM", [(1, 2, 5)], True, 0),
    ("GRU", [(1, 5)], True, 0), ("RNN", [(1, 5)], False, 0), ("GRU", [(1, 3, 5)], True, 0),
]


@pytest.mark.parametrize("i", range(len(_PACKED_BAD)))
def test_packed_rnn_state_errors(i):
    mode, shapes, es, proj = _PACKED_BAD[i]
    same_error_case(_packed_case(mode, shapes, es, proj))


def test_packed_lstm_good_states_still_run():
    same(lambda L: tuple(_packed_case("LSTM", [(1, 2, 5), (1, 2, 5)])(L)))
    same(lambda L: tuple(_packed_case("LSTM", [(1, 2, 5), (1, 2, 5)], False)(L)))
    # unsorted batches: PyTorch reorders the first two states and drops any further one
    same(lambda L: tuple(_packed_case("LSTM", [(1, 2, 5), (1, 2, 5)], False, extra=1)(L)))


# ---- Tensor methods whose functions carry another name -----------------------------------

_METHOD_NAMES = sorted(q.rpartition(".")[2] for q in __import__(
    "ember._alias_names", fromlist=["METHODS"]).METHODS)


@pytest.mark.parametrize("name", _METHOD_NAMES)
@pytest.mark.parametrize("form", ["kw", "pos"])
def test_method_argument_errors_name_the_method(name, form):
    def case(L):
        x = L.ones(2, 2)
        f = getattr(x, name)
        return f(bogus=1) if form == "kw" else f(*(1,) * 7)
    want = error_of(lambda: case(torch))
    got = error_of(lambda: case(ember))
    if not _python_style(want[1]) or (form == "pos" and not want[1].startswith("Tensor.")):
        # PyTorch's argument parser words it (its overloads): the same exception type
        assert got[0] == want[0], f"ember: {got}\ntorch: {want}"
    else:
        assert got == want, f"ember: {got}\ntorch: {want}"


# ---- wrong keywords and extra positional arguments on common ops ------------------------

def _xs(L):
    x = L.ones(2, 3)
    return x, x > 0, L.zeros(2, 1, dtype=L.long)


_WRONG_ARGS = [
    lambda L: _xs(L)[0].masked_fill(_xs(L)[1], 0.0, bogus=1),
    lambda L: _xs(L)[0].masked_fill(bogus=1),
    lambda L: _xs(L)[0].masked_fill_(_xs(L)[1], 0.0, bogus=1),
    lambda L: _xs(L)[0].masked_fill(_xs(L)[1], 0.0, 1, bogus=2),
    lambda L: _xs(L)[0].gather(1, _xs(L)[2], bogus=1),
    lambda L: L.gather(_xs(L)[0], 1, _xs(L)[2], bogus=1),
    lambda L: _xs(L)[0].gather(1, _xs(L)[2], 1, 1),
    lambda L: L.gather(_xs(L)[0], 1, _xs(L)[2], 1, 1),
    lambda L: L.einsum("ij->i", _xs(L)[0], 1),
    lambda L: L.einsum("ij->i", [_xs(L)[0], None]),
    lambda L: L.einsum("ij->i", _xs(L)[0].numpy()),
    lambda L: L.nn.functional.cross_entropy(_xs(L)[0], L.zeros(2, dtype=L.long), 1),
    lambda L: L.nn.functional.cross_entropy(_xs(L)[0], L.zeros(2, dtype=L.long),
                                            [1.0, 1.0, 1.0], reduction="sum"),
    lambda L: _xs(L)[0].numpy(bogus=1),
    lambda L: _xs(L)[0].float(bogus=1),
    lambda L: _xs(L)[0].long(bogus=1),
    lambda L: _xs(L)[0].norm(bogus=1),
    lambda L: _xs(L)[0].norm(1, 1, 1, 1, 1, 1, 1),
    lambda L: _xs(L)[0].unflatten(bogus=1),
]


@pytest.mark.parametrize("i", range(len(_WRONG_ARGS)))
def test_wrong_arguments_refused_as_in_pytorch(i):
    same_error_case(_WRONG_ARGS[i])


def test_masked_fill_by_keyword_still_works():
    same(lambda L: _xs(L)[0].masked_fill(mask=_xs(L)[1], value=2.0).tolist())
    same(lambda L: L.gather(_xs(L)[0], 1, _xs(L)[2], sparse_grad=False).tolist())
