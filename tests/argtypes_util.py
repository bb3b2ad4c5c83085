"""Shared by tests/test_s19_arg_types*.py: ops called as user code with a bad value where
PyTorch wants a Tensor, and the cases where PyTorch's parser names the argument."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from torch_compare import error_of

BAD = {"str": "a", "list": [1.0, 2.0], "float": 1.5, "None": None,
       "ndarray": np.ones(2)}
PARSER = re.compile(r"\w+\(\): argument '\w+' \(position \d+\) must be (Tensor|Number), not ")


def call_of(where: str, form: str, name: str):
    """The call as a user writes it (attribute access at the call site): the op's name, its
    aliases and the argument's position are read from there."""
    if form == "x.f(b)":
        return eval(f"lambda lib, x, b: x.{name}(b)")  # noqa: S307 - fixed op names
    args = "b" if form == "f(b)" else "x, b"
    return eval(f"lambda lib, x, b: {where}.{name}({args})")  # noqa: S307


def outcome(lib, call, x, bad):
    """The exception's (type, first line), or None when the call raises nothing."""
    try:
        return error_of(lambda: call(lib, x, bad))
    except AssertionError:  # no exception raised
        return None


def cases(ops: dict, known: set = frozenset()) -> list:
    """pytest params (call, bad value, PyTorch's outcome) for ``ops`` ((where, form) -> op
    names) and each bad value, kept where PyTorch raises its parser's TypeError."""
    out = []
    for (where, form), names in ops.items():
        for name in names.split():
            call = call_of(where, form, name)
            for label, bad in BAD.items():
                if (name, label) in known:
                    continue
                want = outcome(torch, call, torch.ones(2, 2), bad)
                if want and want[0] == "TypeError" and PARSER.match(want[1]):
                    out.append(pytest.param(call, bad, want,
                                            id=f"{where}-{form}-{name}-{label}"))
    return out
