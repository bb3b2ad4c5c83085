"""Whole-tensor float sums and means in PyTorch's CPU summation order (ember/_aten_sum.py),
bit for bit against live torch 2.13: sizes across the cascade's vector, group and block
boundaries, layouts, signed zeros and non-finite values, and gradients."""

import numpy as np
import pytest
from torch_compare import gradcheck, run_both


def _bits(v) -> str:
    return float(v).hex()


# ---- full sums and means in ATen's order ---------------------------------------------------

SIZES = list(range(1, 80)) + [96, 127, 128, 129, 255, 256, 257, 511, 512, 513, 600, 1000, 1024,
                              4095, 4097, 8191, 8192, 8193, 9000, 16384, 20000, 32768]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_full_sum_and_mean_match_pytorch_bitwise(dtype):
    # every size below PyTorch's grain size (its threads split larger sums)
    def run(L):
        rng = np.random.default_rng(3)
        out = []
        for n in SIZES:
            a = (rng.standard_normal(n) * rng.uniform(0.1, 50)).astype(dtype)
            t = L.from_numpy(a)
            out.append((n, _bits(t.sum()), _bits(t.mean()), _bits(L.sum(t)), _bits(L.mean(t)),
                        str(t.sum().dtype)))
        return out
    want, got = run_both(run)
    assert got == want


def test_sum_of_2d_transposed_and_keepdim_tensors_matches_pytorch_bitwise():
    # dense tensors in any dim order (PyTorch sums those in memory order); all dims named
    def run(L):
        a = np.random.default_rng(5).standard_normal((37, 29)).astype(np.float32)
        x = L.from_numpy(a)
        k = x.sum(dim=None, keepdim=True)
        m = x.mean((0, 1), True)
        return [_bits(x.sum()), _bits(x.T.sum()), _bits(x.mean()), _bits(x.T.mean()),
                _bits(x.sum(dim=(0, 1))), _bits(x.mean((1, 0))), _bits(x.T.sum((0, -1))),
                tuple(k.shape), _bits(k.reshape(())), tuple(m.shape), _bits(m.reshape(())),
                str(m.dtype), _bits(x.double().sum()), _bits(x.sum(dtype=L.float64)),
                _bits(x.reshape(1, 37, 1, 29).sum()), _bits(x.reshape(1, 37, 1, 29).mean())]
    want, got = run_both(run)
    assert got == want


def test_sum_signed_zeros_infinities_and_nan_as_pytorch():
    def run(L):
        out = []
        for v in ([-0.0], [-0.0] * 5, [-0.0] * 9, [-0.0] * 40, [float("nan"), 1.0],
                  [float("inf"), -float("inf")], [3e38, 3e38, -3e38] * 3):
            t = L.tensor(v)
            out.append((str(t.sum()), str(t.mean()), str(L.tensor(v, dtype=L.float64).sum())))
        out.append((str(L.tensor(-0.0).sum()), str(L.tensor(-0.0).mean())))
        return out
    want, got = run_both(run)
    assert got == want


def test_sum_and_mean_gradients_unchanged_and_checked():
    def run(L):
        x = L.tensor(np.linspace(-1, 1, 45, dtype=np.float32), requires_grad=True)
        (x.sum() * 2 + x.mean()).backward()
        return x.grad.numpy().tolist()
    want, got = run_both(run)
    assert got == want
    gradcheck(lambda L, x: x.sum() + x.mean() * 3, np.linspace(-2, 2, 41))
