"""Gaps the session-18 sweeps left in files they could not edit, each compared live with
PyTorch: keywords ``to()``/``type()`` do not take, ``*_as`` methods given no tensor, the
accelerator methods of a CPU-only build, and ``None`` as a legacy constructor's data."""

import numpy as np
import pytest

from torch_compare import same, same_error_case

BAD = {
    "to_bogus_keyword": lambda L: L.ones(2).to(L.float64, bogus=1),
    "to_only_bogus": lambda L: L.ones(2).to(bogus=1),
    "to_device_bogus": lambda L: L.ones(2).to("cpu", blocking=True),
    "type_bogus": lambda L: L.ones(2).type(bogus=1),
    "type_dtype_bogus": lambda L: L.ones(2).type(L.float64, bogus=1),
    "type_as_int": lambda L: L.ones(2).type_as(3),
    "view_as_list": lambda L: L.ones(2).view_as([2]),
    "reshape_as_none": lambda L: L.ones(2).reshape_as(None),
    "expand_as_float": lambda L: L.ones(2).expand_as(2.0),
    "xpu": lambda L: L.ones(2).xpu(),
    "ipu": lambda L: L.ones(2).ipu(),
    "mtia": lambda L: L.ones(2).mtia(),
    "Tensor_None": lambda L: L.Tensor(None),
    "Tensor_None_size": lambda L: L.Tensor(None, 2),
    "new_None": lambda L: L.ones(2).new(None),
    "new_None_size": lambda L: L.ones(2).new(None, 3),
    "gather_no_dim": lambda L: L.ones(2, 1).gather(index=L.zeros(2, 1, dtype=L.long)),
    "gather_no_index": lambda L: L.ones(2, 1).gather(1),
    "torch_gather_no_dim": lambda L: L.gather(L.ones(2, 1), index=L.zeros(2, 1, dtype=L.long)),
    "gather_dim_and_axis": lambda L: L.ones(2, 1).gather(1, L.zeros(2, 1, dtype=L.long), axis=1),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_refused_as_in_pytorch(name):
    same_error_case(BAD[name])


def test_the_accepted_forms_still_work():
    forms = [lambda L: L.ones(2).to(dtype=L.float64, copy=True, non_blocking=True),
             lambda L: L.ones(2, 3).to(memory_format=L.contiguous_format),
             lambda L: L.ones(2).type(L.float64),
             lambda L: L.ones(2, dtype=L.int64).type_as(L.ones(1)),
             lambda L: L.ones(4).view_as(L.ones(2, 2)),
             lambda L: L.ones(1, 2).expand_as(L.ones(3, 2)),
             lambda L: L.Tensor(),
             lambda L: L.Tensor([1, 2]),
             lambda L: L.ones(2).new()]
    for form in forms:
        same(lambda L, form=form: repr(form(L)))
    same(lambda L: tuple(L.Tensor(2, 3).shape))


NP_BOOL = [
    lambda L: L.tensor([1, 2]) + np.bool_(True),
    lambda L: L.tensor([1.0, 2.0]) - np.bool_(True),
    lambda L: L.tensor([True]) + np.bool_(True),
    lambda L: L.tensor([1, 2]) * np.bool_(False),
    lambda L: L.tensor([1, 2]).add(np.bool_(True)),
    lambda L: np.bool_(True) + L.tensor([1, 2]),
    lambda L: L.where(L.tensor([True, False]), L.tensor([1, 2]), np.bool_(False)),
    lambda L: L.tensor([1, 2]) == np.bool_(True),
    lambda L: L.tensor([1, 2]).mul_(np.bool_(True)),
    lambda L: L.tensor([1, 2]).add_(np.bool_(True)),
    lambda L: L.tensor([1.0, 2.0]).add_(np.bool_(True)),
    lambda L: L.tensor([True]).add_(np.bool_(True)),
    lambda L: L.tensor([1, 2], dtype=L.uint8).mul_(np.bool_(False)),
]


@pytest.mark.parametrize("i", range(len(NP_BOOL)))
def test_numpy_bool_operand_is_a_float_to_pytorch(i):
    """PyTorch's parser reads a np.bool_ scalar as a float: an integer tensor plus
    np.bool_(True) is float32, and in place on integers it is a cast error."""
    same(lambda L: (str(NP_BOOL[i](L).dtype), NP_BOOL[i](L).tolist()))


FULL = [
    lambda L: L.full((2,), np.bool_(True)),
    lambda L: L.full((2,), np.int64(3)),
    lambda L: L.full((2,), np.float64(3)),
    lambda L: L.full((2,), np.float32(2.5)),
    lambda L: L.full((2,), np.int8(3)),
    lambda L: L.full((2,), np.float64(3), dtype=L.int64),
    lambda L: L.ones(2).new_full((2,), np.float64(2)),
    lambda L: L.full((2,), True),
]


@pytest.mark.parametrize("i", range(len(FULL)))
def test_full_of_a_numpy_number(i):
    """torch.full reads a NumPy scalar as a Python number: np.float64(3) fills the default
    float dtype (ember gave float64), np.bool_ a float."""
    same(lambda L: (str(FULL[i](L).dtype), FULL[i](L).tolist()))
