"""Printing what learners print (torch.return_types classes, scheduler objects), compared
live against PyTorch."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import ember
from torch_compare import run_both

_X = np.array([[3.0, 1.0, 2.0], [0.5, 4.0, -1.0]], dtype=np.float32)


def _ops(lib):
    x = lib.tensor(_X)
    sq = lib.tensor([[2.0, 1.0], [1.0, 3.0]])
    return {"max": lambda: lib.max(x, 1), "min": lambda: x.min(0), "sort": lambda: lib.sort(x),
            "topk": lambda: lib.topk(x, 2), "kthvalue": lambda: x.kthvalue(2, 1),
            "median": lambda: lib.median(x, 1), "mode": lambda: lib.mode(x, 1),
            "cummax": lambda: lib.cummax(x, 1), "aminmax": lambda: lib.aminmax(x),
            "frexp": lambda: lib.frexp(x), "linalg_eigh": lambda: lib.linalg.eigh(sq),
            "linalg_qr": lambda: lib.linalg.qr(sq), "linalg_slogdet": lambda: lib.linalg.slogdet(sq),
            "linalg_svd": lambda: lib.linalg.svd(sq)}


@pytest.mark.parametrize("name", list(_ops(torch)))
def test_return_types_classes(name):
    """torch.return_types.<name>: the class the op returns, its repr, its structseq fields."""
    def go(lib):
        cls = getattr(lib.return_types, name)
        r = _ops(lib)[name]()
        return (repr(cls), isinstance(r, cls), type(r) is cls, isinstance(r, tuple),
                cls.n_fields, cls.n_sequence_fields, cls.n_unnamed_fields)
    t, e = run_both(go)
    assert e == t


def test_return_types_built_from_a_sequence():
    def go(lib):
        a, b = lib.ones(1), lib.zeros(1, dtype=lib.int64)
        r = lib.return_types.max((a, b))
        return repr(r), len(r), r.values is a
    t, e = run_both(go)
    assert e == t
    wrong = run_both(lambda lib: lib.return_types.sort((lib.ones(1),) * 3))
    assert wrong[1] == wrong[0]
    missing = run_both(lambda lib: lib.return_types.no_such_op)
    assert missing[1] == missing[0]
    assert {"max", "sort", "linalg_svd", "frexp"} <= set(dir(ember.return_types))


@pytest.mark.parametrize("make", [
    lambda S, o: S.OneCycleLR(o, max_lr=0.5, total_steps=10),
    lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=3),
    lambda S, o: S.CyclicLR(o, 0.01, 0.1),
    lambda S, o: S.PolynomialLR(o, total_iters=4),
    lambda S, o: S.SequentialLR(o, [S.ConstantLR(o), S.ExponentialLR(o, 0.9)], [2]),
    lambda S, o: S.ChainedScheduler([S.ConstantLR(o), S.ExponentialLR(o, 0.9)])])
def test_scheduler_object_repr_names_its_public_module(make):
    """print(scheduler): <torch.optim.lr_scheduler.OneCycleLR object at ...>."""
    def go(lib):
        o = lib.optim.SGD([lib.nn.Parameter(lib.ones(1))], lr=0.1, momentum=0.9)
        s = make(lib.optim.lr_scheduler, o)
        return re.sub(r"^<(torch|ember)\.| at 0x[0-9a-f]+", "", repr(s))
    t, e = run_both(go)
    assert e == t


def test_module_traversal_generators_print_as_module_methods():
    """print(model.parameters()): <generator object Module.parameters at 0x...>."""
    def go(lib):
        m = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.BatchNorm1d(2))
        gens = [m.parameters(), m.named_parameters(), m.buffers(), m.named_buffers(),
                m.children(), m.named_children(), m.modules(), m.named_modules()]
        return ([re.sub(r" at 0x[0-9a-f]+", "", repr(g)) for g in gens],
                [n for n, _ in m.named_parameters()], len(list(m.buffers())))
    t, e = run_both(go)
    assert e == t


def test_scheduler_classes_print_their_public_module():
    def go(lib):
        S = lib.optim.lr_scheduler
        return [repr(c).replace("ember", "torch") for c in (
            S.LRScheduler, S.OneCycleLR, S.CyclicLR, S.SequentialLR, S.StepLR)]
    t, e = run_both(go)
    assert e == t


@pytest.mark.parametrize("data", [[1.0], 3.0, np.ones(2)], ids=["list", "float", "ndarray"])
def test_parameter_of_a_non_tensor_raises_as_pytorch(data):
    t, e = run_both(lambda lib: lib.nn.Parameter(data))
    assert e == t
