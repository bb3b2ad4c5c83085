"""Creation and dtype rules against PyTorch 2.13: sizes, fill values, ranges, random
constructors, Python numbers out of a dtype's range (uint8 wraps negative ints; a Python int
beyond int64 cannot be read; nan into an integer dtype), NumPy arrays (reversed views are
refused, as PyTorch does), promotion in cat/stack/where/clamp, integer arithmetic edges and
reduction dtypes: the same exception type and first line, or the same values, dtype, shape."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from parity_util import same_ending

# ember has no complex or uint16 tensors and takes a dtype's name as a string where PyTorch
# demands a dtype object; its list of NumPy types in one message differs accordingly.
KNOWN = {"ones_dtype_str", "tensor_complex", "tensor_np_uint16", "tensor_np_object"}


def cases(T):
    return {
      "zeros_neg": lambda: T.zeros(2, -1),
      "zeros_float": lambda: T.zeros(2.5),
      "zeros_tuple_list": lambda: T.zeros([2, 3]).shape,
      "zeros_size": lambda: T.zeros(T.Size([2, 3])).shape,
      "zeros_tensor_arg": lambda: T.zeros(T.tensor(3)).shape,
      "ones_dtype_str": lambda: T.ones(2, dtype="float32"),
      "full_shape_int": lambda: T.full(3, 1.0),
      "full_tensor_value": lambda: T.full((2,), T.tensor(3.0)),
      "full_bool_dtype_float": lambda: T.full((2,), 1.5, dtype=T.bool),
      "full_int_dtype_float_val": lambda: T.full((2,), 1.5, dtype=T.long),
      "arange_zero_step": lambda: T.arange(0, 5, 0),
      "arange_wrong_sign": lambda: T.arange(0, 5, -1),
      "arange_float_count": lambda: T.arange(0, 1, 0.3),
      "arange_inf": lambda: T.arange(0, float("inf")),
      "arange_dtype_int_float_step": lambda: T.arange(0, 2, 0.5, dtype=T.long),
      "arange_tensor_args": lambda: T.arange(T.tensor(3)),
      "linspace_zero": lambda: T.linspace(0, 1, 0).shape,
      "linspace_one": lambda: T.linspace(0, 1, 1),
      "linspace_neg": lambda: T.linspace(0, 1, -1),
      "linspace_int_dtype": lambda: T.linspace(0, 10, 5, dtype=T.int32),
      "logspace_base": lambda: T.logspace(0, 3, 4, base=2),
      "eye_zero": lambda: T.eye(0).shape,
      "eye_neg": lambda: T.eye(-1),
      "eye_rect": lambda: T.eye(2, 3, dtype=T.long),
      "empty_neg": lambda: T.empty(-2),
      "randint_bad": lambda: T.randint(5, 5, (2,)),
      "randint_one_arg": lambda: T.randint(5, (3,)).shape,
      "randint_dtype": lambda: T.randint(0, 5, (3,), dtype=T.float32).dtype,
      "rand_int_dtype": lambda: T.rand(2, dtype=T.long),
      "randn_bool": lambda: T.randn(2, dtype=T.bool),
      "randperm": lambda: T.randperm(5).sort().values,
      "randperm_neg": lambda: T.randperm(-1),
      "normal_bad_std": lambda: T.normal(0.0, -1.0, size=(2,)),
      "normal_shapes": lambda: T.normal(T.zeros(2, 3), T.ones(3)).shape,
      "tensor_ragged": lambda: T.tensor([[1, 2], [3]]),
      "tensor_none": lambda: T.tensor(None),
      "tensor_mixed_types": lambda: T.tensor([1, "a"]),
      "tensor_big_int": lambda: T.tensor([2 ** 63]),
      "tensor_neg_uint8": lambda: T.tensor([-1], dtype=T.uint8),
      "tensor_float_to_int": lambda: T.tensor([1.7, -1.7], dtype=T.long),
      "tensor_nan_to_int": lambda: T.tensor([float("nan")], dtype=T.long),
      "tensor_from_tuple": lambda: T.tensor((1, 2)),
      "tensor_bool_int": lambda: T.tensor([True, 2]),
      "tensor_complex": lambda: T.tensor([1 + 2j]).dtype,
      "tensor_np_bool": lambda: T.tensor(np.array([True])),
      "tensor_np_uint16": lambda: T.tensor(np.array([1], np.uint16)).dtype,
      "tensor_np_object": lambda: T.tensor(np.array([1, None], dtype=object)),
      "from_numpy_noncontig": lambda: T.from_numpy(np.arange(6).reshape(2, 3).T).stride(),
      "from_numpy_neg_stride": lambda: T.from_numpy(np.arange(6)[::-1]),
      "from_numpy_list": lambda: T.from_numpy([1, 2]),
      "as_tensor_dtype": lambda: T.as_tensor([1, 2], dtype=T.float32),
      "zeros_like_dtype": lambda: T.zeros_like(T.ones(2), dtype=T.long),
      "full_like_val": lambda: T.full_like(T.ones(2, dtype=T.long), 2.7),
      "tensor_requires_grad_int": lambda: T.tensor([1, 2], requires_grad=True),
      "ones_requires_grad": lambda: T.ones(2, requires_grad=True).requires_grad,
      "cat_dtypes": lambda: T.cat([T.ones(2, dtype=T.long), T.ones(2)]).dtype,
      "cat_bool_int": lambda: T.cat([T.ones(2, dtype=T.bool), T.ones(2, dtype=T.int32)]).dtype,
      "stack_dtypes": lambda: T.stack([T.ones(2, dtype=T.float16),
                                       T.ones(2, dtype=T.float64)]).dtype,
      "cat_0d": lambda: T.cat([T.tensor(1.0), T.tensor(2.0)]),
      "cat_empty_1d": lambda: T.cat([T.ones(2, 3), T.tensor([])]).shape,
      "where_scalar_dtypes": lambda: T.where(T.tensor([True, False]), 1, 2.5).dtype,
      "where_int_float": lambda: T.where(T.tensor([True]), T.tensor([1]), T.tensor([2.0])).dtype,
      "clamp_int_float": lambda: T.clamp(T.tensor([1, 5]), 0.5, 2.5),
      "clamp_min_gt_max": lambda: T.clamp(T.tensor([1.0, 5.0]), 3, 2),
      "clamp_none": lambda: T.clamp(T.tensor([1.0])),
      "type_conv": lambda: T.tensor([1.5, -2.5]).int(),
      "to_bool": lambda: T.tensor([0.0, 0.1]).bool(),
      "half_ops": lambda: (T.tensor([1.0], dtype=T.float16) * 3.3).item(),
      "uint8_overflow": lambda: T.tensor([250], dtype=T.uint8) + 10,
      "int8_sub": lambda: T.tensor([-128], dtype=T.int8) - 1,
      "int_div_zero": lambda: T.tensor([1]) // 0,
      "float_div_zero": lambda: T.tensor([1.0, -1.0, 0.0]) / 0,
      "int_pow_neg": lambda: T.tensor([2]) ** -1,
      "int_pow_neg_t": lambda: T.tensor([2]) ** T.tensor([-1]),
      "bool_neg": lambda: -T.tensor([True]),
      "bool_sub": lambda: T.tensor([True]) - T.tensor([False]),
      "bitwise_float": lambda: T.tensor([1.0]) & T.tensor([1.0]),
      "shift_neg": lambda: T.tensor([8]) >> -1,
      "abs_int_min": lambda: T.tensor([-2 ** 63]).abs(),
      "sqrt_int": lambda: T.tensor([4]).sqrt().dtype,
      "exp_bool": lambda: T.tensor([True]).exp().dtype,
      "floor_int": lambda: T.tensor([3]).floor().dtype,
      "round_int_decimals": lambda: T.tensor([15]).round(decimals=-1),
      "sign_bool": lambda: T.tensor([True, False]).sign(),
      "mean_bool": lambda: T.tensor([True]).mean(),
      "sum_bool_dtype": lambda: T.tensor([True, True]).sum().dtype,
      "prod_int8": lambda: T.tensor([100, 100], dtype=T.int8).prod().dtype,
      "cumsum_int8": lambda: T.tensor([100, 100], dtype=T.int8).cumsum(0).dtype,
      "matmul_int": lambda: (T.ones(2, 2, dtype=T.long) @ T.ones(2, 2, dtype=T.long)).dtype,
      "matmul_half": lambda: (T.ones(2, 2, dtype=T.float16) @ T.ones(2, 2, dtype=T.float16)).dtype,
    }


@pytest.mark.parametrize("name", [k for k in cases(torch) if k not in KNOWN])
def test_creation_sweep(name):
    same_ending(cases(ember)[name], cases(torch)[name])
