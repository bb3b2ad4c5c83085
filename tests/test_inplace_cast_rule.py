"""Which in-place results PyTorch writes back (its canCast: not floating -> integral, not
non-bool -> bool), checked over every pair of real dtypes against torch 2.13: values or the
error's first line."""

import itertools

import numpy as np
import pytest
import torch

import ember

DTYPES = ["uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64", "bool"]


def _run(T, a, b, op):
    x = T.ones(3, dtype=getattr(T, a))
    try:
        getattr(x, op)(T.full((3,), 2, dtype=getattr(T, b)))
    except RuntimeError as e:
        return str(e).splitlines()[0]
    return x.numpy().tolist()


@pytest.mark.parametrize("op", ["add_", "mul_", "copy_"])
@pytest.mark.parametrize("a,b", list(itertools.product(DTYPES, DTYPES)))
def test_inplace_dtype_pairs_match_torch(a, b, op):
    want, got = _run(torch, a, b, op), _run(ember, a, b, op)
    assert got == want


def test_uint8_accepts_int64_values_like_torch():
    x = ember.tensor(np.array([250, 3], np.uint8))
    x.add_(ember.tensor([10, 1]))
    assert x.tolist() == [4, 4]  # wraps as uint8, as PyTorch
