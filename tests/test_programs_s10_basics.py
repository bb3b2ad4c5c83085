"""A learner's first week in a REPL (creating, printing, indexing, reducing tensors): the
places where ember differed from PyTorch, each compared live against torch."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

import ember
from torch_compare import run_both


def _shown(lib, fn):
    """fn(lib) printed (its repr), or its exception's type and first line."""
    try:
        return repr(fn(lib))
    except Exception as err:  # noqa: BLE001 - compared across libraries
        return type(err).__name__, str(err).splitlines()[0]


# NumPy's argument names, which PyTorch's parser takes for dim/keepdim (x.max(axis=1), ...).
_NUMPY_NAMES = {
    "max axis": lambda t, x: x.max(axis=0),
    "min axis keepdims": lambda t, x: t.min(x, axis=1, keepdims=True),
    "argmax axis": lambda t, x: x.argmax(axis=1),
    "argmin keepdims": lambda t, x: t.argmin(x, 0, keepdims=True),
    "amax axis": lambda t, x: t.amax(x, axis=(0, 1)),
    "amin axis": lambda t, x: x.amin(axis=1, keepdims=True),
    "prod axis": lambda t, x: x.prod(axis=1),
    "std axis": lambda t, x: x.std(axis=0, keepdims=True),
    "var axis": lambda t, x: t.var(x, axis=1),
    "all axis": lambda t, x: (x > 1).all(axis=1),
    "any keepdims": lambda t, x: t.any(x > 4, 0, keepdims=True),
    "logsumexp axis": lambda t, x: t.logsumexp(x, axis=1),
    "cat axis": lambda t, x: t.cat([x, x], axis=1),
    "concat axis": lambda t, x: t.concat([x, x], axis=-1),
    "stack axis": lambda t, x: t.stack([x, x], axis=2),
}


@pytest.mark.parametrize("case", sorted(_NUMPY_NAMES))
def test_numpy_axis_and_keepdims_names_are_taken(case):
    fn = _NUMPY_NAMES[case]
    want, got = (_shown(lib, lambda m: fn(m, m.tensor([[1., 5., 3.], [4., 2., 6.]])))
                 for lib in (torch, ember))
    assert got == want


def test_index_select_with_a_list_index_is_pytorchs_type_error():
    want, got = run_both(lambda lib: lib.index_select(lib.ones(3, 2), 0, [0]))
    assert got == want


def _setitem(idx, val):
    def case(lib):
        base = lib.zeros(3, 1)
        e = base.expand(3, 4)
        e[idx] = val(lib) if callable(val) else val
        return e, base
    return case


_EXPANDED = {
    "one element": _setitem((0, 0), 5.),
    "a column": _setitem((slice(None), 1), lambda lib: lib.tensor([1., 2., 3.])),
    "fill_": lambda lib: lib.zeros(3, 1).expand(3, 4).fill_(2),
    "zero_ then the base": lambda lib: (lambda b: (b.expand(2, 3).zero_(), b))(lib.ones(2, 1)),
}
# writes whose region holds one element twice stay refused, as PyTorch refuses them
_REFUSED = [_setitem(0, 5.), _setitem(Ellipsis, 1.),
            lambda lib: lib.zeros(3, 1).expand(3, 4).copy_(lib.ones(3, 4))]


@pytest.mark.parametrize("name", sorted(_EXPANDED))
def test_writes_into_an_expanded_tensor_follow_pytorch(name):
    for case in [_EXPANDED[name]] + _REFUSED:
        want, got = (_shown(lib, case) for lib in (torch, ember))
        assert got == want


_READONLY = """
import warnings, numpy as np, {lib} as t
a = np.arange(3.0); a.flags.writeable = False
with warnings.catch_warnings(record=True) as seen:
    warnings.simplefilter("always")
    t.from_numpy(a); t.as_tensor(a)
print(len(seen)); print(seen and str(seen[0].message).split(" (Triggered internally")[0])
"""


def test_a_read_only_array_warns_once_as_pytorch():
    # PyTorch's warning is once a process: each library runs in a fresh interpreter
    want, got = (subprocess.run([sys.executable, "-c", _READONLY.format(lib=lib)],
                                capture_output=True, text=True, check=True).stdout
                 for lib in ("torch", "ember"))
    assert got == want

