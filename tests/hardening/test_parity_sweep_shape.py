"""Shape and conversion methods against PyTorch 2.13: view (sizes, -1, dtypes: bits are
reinterpreted, with PyTorch's element-size rules), reshape, permute, expand, repeat, squeeze,
flatten/unflatten, split/chunk/narrow/select, cat/stack dims, item/tolist/numpy, len/iter/in,
bool/float/int/index, format. The same exception type and first line (Python's own words
for a float size), or the same values, dtype and shape."""

from __future__ import annotations

import pytest
import torch

import ember
from parity_util import same_ending

# PyTorch's argument parser words a float size by call form; ember says Python's TypeError.
KNOWN = {"reshape_float"}


def cases(T):
    def x(): return T.arange(24).reshape(2, 3, 4).float()
    return {
      "view_neg": lambda: x().view(-1, 4).shape,
      "view_two_neg": lambda: x().view(-1, -1),
      "view_bad": lambda: x().view(5, 5),
      "view_zero": lambda: x().view(0, -1),
      "view_dtype": lambda: x().view(T.int32).shape,
      "view_dtype_bad": lambda: x().view(T.float64),
      "view_as": lambda: x().view_as(T.ones(6, 4)).shape,
      "reshape_tuple": lambda: x().reshape((4, 6)).shape,
      "reshape_list": lambda: x().reshape([4, -1]).shape,
      "reshape_float": lambda: x().reshape(4.0, 6),
      "reshape_bad": lambda: x().reshape(5, -1),
      "reshape_empty": lambda: T.ones(0, 3).reshape(-1, 0),
      "permute_bad_len": lambda: x().permute(0, 1),
      "permute_dup": lambda: x().permute(0, 1, 1),
      "permute_oob": lambda: x().permute(0, 1, 3),
      "permute_list": lambda: x().permute([2, 0, 1]).shape,
      "permute_neg": lambda: x().permute(-1, 0, 1).shape,
      "transpose_neg": lambda: x().transpose(-1, -3).shape,
      "t_3d": lambda: x().t(),
      "T_3d": lambda: x().T.shape,
      "mT": lambda: x().mT.shape,
      "expand_bad": lambda: x().expand(2, 5, 4),
      "expand_neg": lambda: T.ones(1, 3).expand(-1, 3).shape,
      "expand_new_dim": lambda: T.ones(3).expand(2, 3).shape,
      "expand_fewer": lambda: x().expand(3, 4),
      "expand_as": lambda: T.ones(1, 4).expand_as(T.ones(3, 4)).shape,
      "repeat_fewer": lambda: x().repeat(2, 2),
      "repeat_more": lambda: T.ones(2).repeat(3, 2).shape,
      "repeat_zero": lambda: T.ones(2).repeat(0).shape,
      "squeeze_multi": lambda: T.ones(1, 3, 1).squeeze((0, 2)).shape,
      "squeeze_non1": lambda: T.ones(2, 3).squeeze(0).shape,
      "unsqueeze_oob": lambda: T.ones(2).unsqueeze(3),
      "unsqueeze_neg": lambda: T.ones(2).unsqueeze(-1).shape,
      "flatten_range": lambda: x().flatten(1).shape,
      "flatten_bad": lambda: x().flatten(2, 1),
      "flatten_0d": lambda: T.tensor(3.0).flatten().shape,
      "unflatten": lambda: T.ones(2, 12).unflatten(1, (3, -1)).shape,
      "unflatten_bad": lambda: T.ones(2, 12).unflatten(1, (5, -1)),
      "movedim": lambda: x().movedim(0, -1).shape,
      "movedim_tuple": lambda: x().movedim((0, 1), (2, 0)).shape,
      "split_int": lambda: [t.shape for t in x().split(2, dim=2)],
      "split_list_bad": lambda: x().split([1, 1], dim=2),
      "chunk_uneven": lambda: [t.shape for t in T.ones(5).chunk(3)],
      "chunk_zero": lambda: T.ones(5).chunk(0),
      "tensor_split": lambda: [t.shape for t in T.ones(7).tensor_split(3)],
      "unbind": lambda: len(x().unbind(1)),
      "narrow": lambda: x().narrow(2, 1, 2).shape,
      "narrow_bad": lambda: x().narrow(2, 3, 2),
      "select_bad": lambda: x().select(1, 3),
      "gather_float_idx": lambda: x().gather(0, T.zeros(1, 3, 4)),
      "index_select_2d": lambda: x().index_select(0, T.zeros(1, 1, dtype=T.long)),
      "take": lambda: x().take(T.tensor([0, 23])),
      "take_oob": lambda: x().take(T.tensor([24])),
      "flip_dup": lambda: x().flip(0, 0),
      "roll_multi": lambda: x().roll((1, 1), (0, 2)).sum(),
      "roll_mismatch": lambda: x().roll((1, 1), (0,)),
      "rot90": lambda: x()[0].rot90().shape,
      "diag_3d": lambda: x().diag(),
      "diagonal": lambda: x().diagonal(0, 1, 2).shape,
      "tril_1d": lambda: T.ones(3).tril(),
      "cat_neg_dim": lambda: T.cat([x(), x()], -1).shape,
      "cat_dim_oob": lambda: T.cat([x(), x()], 3),
      "stack_dim": lambda: T.stack([T.ones(3), T.ones(3)], dim=1).shape,
      "stack_dim_oob": lambda: T.stack([T.ones(3), T.ones(3)], dim=3),
      "contiguous": lambda: x().transpose(0, 2).contiguous().is_contiguous(),
      "item_empty": lambda: T.ones(0).item(),
      "tolist_0d": lambda: T.tensor(2.5).tolist(),
      "numpy_grad": lambda: T.ones(2, requires_grad=True).numpy(),
      "numpy_force": lambda: T.ones(2, requires_grad=True).numpy(force=True).tolist(),
      "len_": lambda: len(x()),
      "iter_": lambda: [t.shape for t in x()][0],
      "in_": lambda: 5.0 in x(),
      "bool_": lambda: bool(T.tensor([0.0])),
      "float_multi": lambda: float(T.ones(2)),
      "int_float": lambda: int(T.tensor(2.9)),
      "index_": lambda: [1, 2, 3][T.tensor(1)],
      "index_float": lambda: [1, 2, 3][T.tensor(1.0)],
      "hash_": lambda: isinstance(hash(T.ones(1)), int),
      "eq_none": lambda: T.ones(2) == None,
      "format": lambda: f"{T.tensor(2.5):.2f}",
      "format_multi": lambda: f"{T.ones(2):.2f}",
      "size_dim": lambda: x().size(-1),
      "size_oob": lambda: x().size(3),
      "dim_nelement": lambda: (x().dim(), x().nelement(), x().ndimension()),
      "new_tensor": lambda: x().new_tensor([1, 2]).dtype,
      "new_zeros": lambda: x().new_zeros(2, 3).dtype,
    }


@pytest.mark.parametrize("name", [k for k in cases(torch) if k not in KNOWN])
def test_shape_sweep(name):
    same_ending(cases(ember)[name], cases(torch)[name])


def test_float_size_is_a_type_error():
    with pytest.raises(TypeError):
        ember.ones(24).reshape(4.0, 6)


def test_view_dtype_shares_memory_and_reinterprets():
    x = ember.arange(4).float()
    v = x.view(ember.int32)
    assert v.tolist() == torch.arange(4).float().view(torch.int32).tolist()
    v[1] = 0
    assert x[1].item() == 0.0
