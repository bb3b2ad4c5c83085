"""Session 11, language-model programs (word_language_model's RNN/Transformer LMs, the
char-RNN and seq2seq tutorials, nanoGPT) and the mistakes learners make typing them, run on
ember and compared live with torch 2.13."""

import numpy as np
import pytest
from torch_compare import run_both, same_error_case


def _qkv(L, dtype, dims=4):
    rng = np.random.default_rng(0)
    shape = (1, 2, 5, 4)[4 - dims:]
    return [L.from_numpy(rng.standard_normal(shape).astype(dtype)) for _ in range(3)]


# ---- scaled_dot_product_attention: a mask's dtype is bool, float32 or the query's ---------

@pytest.mark.parametrize("dims", [3, 4])
@pytest.mark.parametrize("mask_dtype", ["int64", "int32", "uint8", "float16", "float64"])
def test_sdpa_refuses_a_mask_of_another_dtype(dims, mask_dtype):
    # an int 0/1 mask (e.g. torch.ones(T, T, dtype=long).tril()) is a mistake, not a bool one
    def case(L):
        q, k, v = _qkv(L, np.float32, dims)
        mask = L.ones(5, 5, dtype=getattr(L, mask_dtype))
        return L.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    same_error_case(case)


def test_sdpa_mask_dtype_is_checked_before_is_causal_and_after_qkv_dtypes():
    def sdpa(L, q, k, v, mask, causal=False):
        return L.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                                            is_causal=causal)
    same_error_case(lambda L: sdpa(L, *_qkv(L, np.float32), L.ones(5, 5).long(), True))
    same_error_case(lambda L: sdpa(L, *_qkv(L, np.float32, 3), L.ones(4, 5).long()))
    same_error_case(lambda L: sdpa(L, _qkv(L, np.float32)[0], _qkv(L, np.float64)[1],
                                   _qkv(L, np.float32)[2], L.ones(5, 5).long()))


@pytest.mark.parametrize("shape", [(5,), ()])
def test_sdpa_refuses_inputs_below_two_dims(shape):
    def case(L):
        q = L.ones(shape)
        return L.nn.functional.scaled_dot_product_attention(q, q, q, attn_mask=L.ones(5, 5).bool())
    same_error_case(case)


@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_float32_mask_with_a_half_query_takes_the_query_dtype(causal, dtype=np.float16):
    def run(L):
        q, k, v = _qkv(L, dtype)
        mask = L.from_numpy(np.random.default_rng(1).standard_normal((5, 5)).astype(np.float32))
        out = L.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                                           is_causal=causal)
        return str(out.dtype), tuple(out.shape), out.double().numpy()
    want, got = run_both(run)
    assert got[:2] == want[:2], (got, want)
    # PyTorch's half kernel accumulates in float32; ember rounds each op to half
    np.testing.assert_allclose(got[2], want[2], rtol=2e-3, atol=2e-3)


# ---- topk: which of tied entries, and sorted=False's order, are PyTorch's -----------------
# (PyTorch runs std::nth_element / std::partial_sort, not a stable sort, on each row)

def _topk(x, k, **kw):
    def run(L):
        t = L.from_numpy(np.array(x, dtype=np.float32))
        v, i = t.topk(k, **kw)
        return v.tolist(), i.tolist()
    return run


@pytest.mark.parametrize("k", [1, 2, 3])
def test_topk_of_tied_values_picks_pytorchs_indices(k):
    # decoder_output.topk(1) on tied scores: not simply the first maximum
    for row in ([1., 3., 3., 2., 3.], [0., 1., 1., 1., 0., 1.], [[2., 2., 1., 2.], [5., 5., 5., 5.]]):
        for largest in (True, False):
            want, got = run_both(_topk(row, k, largest=largest))
            assert got == want, (row, k, largest, got, want)


def test_topk_unsorted_order_is_nth_elements():
    x = np.random.default_rng(0).standard_normal((3, 10))
    for k in (2, 3, 7, 10):
        want, got = run_both(_topk(x, k, sorted=False))
        assert got == want, (k, got, want)


def test_topk_ties_on_a_long_row_and_another_dim_with_nan_and_gradient():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 3, size=(2, 130, 3)).astype(np.float32)
    x[0, :5, 0] = np.nan

    def run(L):
        t = L.from_numpy(x.copy()).requires_grad_()
        outs = []
        for k, kw in ((2, {}), (5, dict(largest=False)), (40, {}), (40, dict(sorted=False))):
            v, i = t.topk(k, dim=1, **kw)
            (v * L.arange(float(v.numel())).view(v.shape)).sum().backward()
            outs.append((i.tolist(), t.grad.tolist()))
            t.grad = None
        return outs
    want, got = run_both(run)
    assert str(got) == str(want)


def test_multinomial_without_replacement_orders_zero_probability_draws_as_pytorch():
    # once the nonzero categories run out, the zeros come in the order topk leaves ties
    def run(L):
        L.manual_seed(0)
        return [L.multinomial(L.tensor(p), n).tolist() for p, n in (
            ([1., 0, 0, 0, 0, 0], 4), ([[0., 2, 0, 1, 0], [1, 1, 0, 0, 0]], 5),
            ([0.5] + [0.] * 100, 3))]
    want, got = run_both(run)
    assert got == want
