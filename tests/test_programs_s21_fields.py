"""Session 21: neural fields as users copy them, run on ember and on torch 2.13 and compared
live (printed lines exactly, values to rtol 1e-5 / atol 1e-6): vsitzmann/siren's
explore_siren.ipynb cells and modules.py / diff_operators.py / loss_functions.py
(tests/s21_fields_progs.py, _b) and yenchenlin/nerf-pytorch's run_nerf_helpers.py and
run_nerf.py (tests/s21_fields_progs_c.py, _d); then focused tests for what they found.
The notebook's Siren on audio has one input feature: PyTorch's addmm rounds x * w + b once
(a fused multiply-add), which sin(3000 * .) makes visible; ember does too since this sweep
(tests/test_s21_linear_one_feature.py)."""

import warnings

import numpy as np
import pytest
import s21_fields_progs as A
import s21_fields_progs_b as B
import s21_fields_progs_d as D
from torch_compare import check_program, run_both, same_error_case, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.image_fitting, A.poisson, A.audio_fitting, A.activations, B.fcblock_inits,
         B.bvp_train, B.complex_ops, D.helpers, D.train, D.train_no_batching]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)


def _warned(fn):
    """fn(lib)'s value (or error) and warnings, with PyTorch's once-a-process warnings on
    every time (set_warn_always) so that an earlier test cannot have used them up."""
    def rec(L):
        L.set_warn_always(True)
        try:
            with warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always")
                try:
                    out = fn(L)
                    out = (str(out.dtype), out.tolist()) if hasattr(out, "tolist") else out
                except Exception as e:  # noqa: BLE001 - compared across libraries
                    out = (type(e).__name__, str(e).splitlines()[0])
            return out, [(w.category.__name__, str(w.message).split(" (Triggered")[0])
                         for w in seen]
        finally:
            L.set_warn_always(False)
    want, got = run_both(rec)
    assert got == want, f"ember: {got}\ntorch: {want}"
    return want


def _cdf(L):
    return L.cumsum(L.tensor([[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]]), -1)


@pytest.mark.parametrize("case", [
    lambda L: L.searchsorted(_cdf(L), L.tensor([[0.5, 0.9, 0.1], [0.3, 0.2, 0.6]])[:, :2],
                             right=True),
    lambda L: L.searchsorted(_cdf(L), L.tensor([[0.5, 0.3], [0.9, 0.2], [0.1, 0.6]]).t()),
    lambda L: L.searchsorted(_cdf(L).t().contiguous().t(), L.tensor([[0.5], [0.6]])),
    lambda L: L.searchsorted(_cdf(L).t().contiguous().t(),
                             L.tensor([[0.5, 0.3], [0.9, 0.2], [0.1, 0.6]]).t(), side="right"),
    lambda L: L.searchsorted(L.tensor([3., 1., 2., 0.]), L.tensor([2.5]),
                             sorter=L.tensor([3, 9, 1, 9, 2, 9, 0, 9])[::2]),
    lambda L: L.searchsorted(_cdf(L).t(), L.empty(0, 4).t()),  # empty: no copy, no warning
    lambda L: L.searchsorted(_cdf(L).t(), L.ones(3, 2)),  # the check comes first
    lambda L: L.bucketize(L.tensor([[0.5, 0.6], [0.1, 0.9]]).t(), L.tensor([0.1, 0.5, 0.9])),
    lambda L: L.searchsorted(L.tensor([0.1, 0.5, 0.9]), 0.5),
], ids=["values_sliced", "values_t", "boundaries", "both", "sorter", "empty", "error",
        "bucketize", "scalar"])
def test_searchsorted_non_contiguous_warnings(case):
    """sample_pdf's searchsorted: PyTorch copies a non-contiguous value, boundary or sorter
    tensor and warns (once a process) for each; ember copied silently."""
    _warned(case)


@pytest.mark.parametrize("case", [
    lambda L: L.searchsorted(_cdf(L), 0.5),
    lambda L: L.searchsorted(L.ones(2, 2, 3), 0.5, right=True),
    lambda L: L.searchsorted(_cdf(L), L.tensor(0.5)),
    lambda L: L.searchsorted(_cdf(L), L.ones(3, 1)),
])
def test_searchsorted_scalar_value_needs_1d_boundaries(case):
    """A scalar (or 0-d) value with batched boundaries: PyTorch's own message, not the
    first-N-1-dimensions one."""
    same_error_case(case)


@pytest.mark.parametrize("case", [
    lambda L: L.split(L.ones(2, 6), [3, 2], dim=-1),
    lambda L: L.split(L.ones(6, 6), [3, 2], dim=-2),
    lambda L: L.split(L.ones(2, 6), [3, 2], dim=1),
    lambda L: L.split(L.ones(2, 6), [-1, 7], dim=-1),
    lambda L: L.ones(2, 6).split([3, 2], -1),
    lambda L: L.ones(2, 6).split_with_sizes([3, 2], dim=-1),
    lambda L: L.split_with_sizes(L.ones(2, 6), [4, 4], dim=-1),
    lambda L: L.ones(2, 6).unsafe_split_with_sizes([3, 2], dim=-1),
])
def test_split_sizes_message_names_the_dim_given(case):
    """NeRF's torch.split(x, [input_ch, input_ch_views], dim=-1) with sizes that do not add
    up: PyTorch names the dimension as given (-1), and negative sizes have their own
    message; ember printed the wrapped dimension and the sum message for both."""
    same_error_case(case)


def _readonly(dtype=np.float64):
    a = np.arange(6, dtype=dtype).reshape(2, 3)
    a.flags.writeable = False
    return a


@pytest.mark.parametrize("case", [
    lambda L: L.Tensor(np.broadcast_to(np.linspace(0, 1, 3), (2, 3))),
    lambda L: L.Tensor(_readonly()),
    lambda L: L.Tensor(_readonly(np.float32)),
    lambda L: L.FloatTensor(_readonly()),
    lambda L: L.LongTensor(_readonly()),
    lambda L: L.ones(1).new(_readonly()),
    lambda L: L.as_tensor(_readonly(), dtype=L.float32),
    lambda L: L.from_numpy(_readonly()),
    lambda L: L.tensor(_readonly()),  # copies: no warning
    lambda L: L.ones(1).new_tensor(_readonly()),
    lambda L: L.Tensor(np.broadcast_to(np.arange(3.0), (2, 3))[:, ::-1]),
])
def test_readonly_array_warning(case):
    """sample_pdf's ``torch.Tensor(np.broadcast_to(u, shape))``: PyTorch wraps the read-only
    array before converting it and warns that it is not writable (once a process, or each
    time under set_warn_always); ember warned only where it shared the array, and never
    again after the first time even under set_warn_always."""
    _warned(case)
