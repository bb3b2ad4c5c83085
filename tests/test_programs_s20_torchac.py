"""Session 20: lcswillems/torch-ac (algos/base.py, a2c.py, ppo.py, utils/dictlist.py,
penv.py) and lcswillems/rl-starter-files (model.py's ACModel, utils/format.py, utils/agent.py,
scripts/train.py and evaluate.py) as users type them (tests/s20_torchac_progs*.py), MiniGrid
replaced by a seeded NumPy stand-in with 7x7x3 images, run on ember and on torch 2.13 and
compared live: printed lines exactly, values to rtol 1e-5 / atol 1e-6. Below them, a focused
test for what the sweep found: an advanced-index write of a tensor of another dtype."""

import warnings

import numpy as np
import pytest
import s20_torchac_progs as A
import s20_torchac_progs_c as C
from torch_compare import check_program, same

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.model_build, A.model_forward, A.dictlist, A.texts, C.a2c_collect, C.a2c_train,
         C.a2c_memory, C.a2c_text_reshape, C.ppo_train, C.ppo_memory, C.save_and_evaluate,
         C.user_errors]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, RTOL, ATOL)


_MASK = [True, False, True, False]
_PUT_CASES = {  # (target shape, index, value dtype, value shape or () for 0-d)
    "int_into_int32": ((4,), "np_arange", "int64", (2,)),
    "float_into_int32": ((4,), [0, 2], "float32", (2,)),
    "double_0d_list": ((4,), [0, 2], "float64", ()),
    "double_1elem_list": ((4,), [0, 1], "float64", (1,)),
    "long_tensor_index": ((4,), "long1", "float64", ()),
    "bool_value": ((4,), [0, 1], "bool", ()),
    "range_index": ((4,), range(2), "int64", ()),
    "empty_list": ((4,), [], "float64", ()),
    "int_then_list": ((2, 2), (1, [0]), "int64", ()),
    "ellipsis_list": ((2, 2), (Ellipsis, [0]), "float64", ()),
    "mask_two_values": ((4,), "mask", "float64", (2,)),
    "mask_row_values": ((2, 2), "mask2", "float64", (2,)),
    "bool_list_two_values": ((4,), _MASK, "float64", (2,)),
    "mask_and_list": ((2, 2), ("mask2", [0]), "float64", ()),
    "two_masks": ((2, 2), ("mask2", "mask2"), "float64", ()),
    "mask_int_values": ((4,), "mask", "int64", (2,)),
    "mask_0d": ((4,), "mask", "float64", ()),  # masked_fill_: casts
    "mask_1elem": ((4,), "mask", "float64", (1,)),
    "bool_list_0d": ((4,), _MASK, "float64", ()),
    "slice_mask_0d": ((2, 2), (slice(None), "mask2"), "float64", ()),
    "int_mask_0d": ((2, 2), (0, "mask2"), "float64", ()),
    "none_mask_0d": ((2, 2), (None, "mask2"), "float64", ()),
    "full_mask_0d": ((2, 2), "full", "float64", ()),
    "empty_mask_0d": ((4,), "none", "float64", ()),
    "int_0d_index": ((4,), "long0d", "float64", ()),
    "true_index": ((4,), True, "float64", ()),
    "none_index": ((4,), None, "float64", ()),
    "out_of_range_first_dtype": ((4,), [9], "float64", ()),
    "shape_before_dtype": ((4,), [0, 1], "float64", (3,)),
    "mask_shape_before_dtype": ((4,), "mask3", "float64", (2,)),
    "index_broadcast_before_dtype": ((4, 4), ([0, 1], [0, 1, 2]), "float64", ()),
    "size_zero_before_dtype": ((0, 4), [0], "float64", ()),
    "leaf_before_dtype": ("leaf", [0], "float64", ()),
    "same_dtype": ((4,), [0, 2], "float32", (2,)),
    "numpy_scalar_value": ((4,), [0, 1], "npfloat", ()),
}


def _put_index(L, i):
    named = {"np_arange": lambda: np.arange(0, 4, 2), "long1": lambda: L.tensor([1]),
             "mask": lambda: L.tensor(_MASK), "mask2": lambda: L.tensor([True, False]),
             "mask3": lambda: L.tensor([True, False, True]),
             "full": lambda: L.ones(2, 2, dtype=L.bool), "none": lambda: L.zeros(4, dtype=L.bool),
             "long0d": lambda: L.tensor(1)}
    if isinstance(i, tuple):
        return tuple(_put_index(L, j) for j in i)
    return named[i]() if isinstance(i, str) else i


@pytest.mark.parametrize("name", list(_PUT_CASES))
def test_advanced_index_write_needs_the_destination_dtype(name):
    """x[idx] = value with an advanced index goes to index_put_, which refuses a tensor of
    another dtype ("Index put requires the source and destination dtypes match"), after the
    index and shape checks and before the range check (torch-ac's ``exps.action[inds] =
    torch.tensor([...])`` into an int32 buffer); a one-element value under a single bool mask
    (beside ints, slices, None) is a masked_fill_, which casts; a basic index copies (casts)."""
    shape, idx, dtype, vshape = _PUT_CASES[name]

    def case(L):
        x = L.zeros(4, requires_grad=True) if shape == "leaf" else L.zeros(
            *shape, dtype=L.int32 if name.endswith("int32") else L.float32)
        value = np.float64(2.5) if dtype == "npfloat" else (
            L.ones(vshape, dtype=getattr(L, dtype)) * 3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x[_put_index(L, idx)] = value
        return x.tolist()
    same(case)  # the same values, or the same error (type and first line)
