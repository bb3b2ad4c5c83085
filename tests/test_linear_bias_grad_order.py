"""A Linear layer with one output (a regression head): its bias gradient is one whole sum of
the output's gradient, which PyTorch adds in ATen's vectorised order; ember's matches it bit
for bit (BLAS's dot product put half of them a bit apart, and fixed-step SGD runs parted)."""

import numpy as np
import pytest
from torch_compare import run_both


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", [1, 5, 31, 64, 100, 256, 1000, 5000])
def test_single_output_bias_gradient_bits(n, dtype):
    rng = np.random.default_rng(n)
    x = rng.standard_normal((n, 3)).astype(dtype)
    gy = rng.standard_normal((n, 1)).astype(dtype)

    def run(L):
        out = []
        for seed in range(4):
            L.manual_seed(seed)
            lin = L.nn.Linear(3, 1).to(getattr(L, dtype))
            (lin(L.from_numpy(x)) * L.from_numpy(gy * (seed + 1))).sum().backward()
            out.append(lin.bias.grad.numpy().tobytes())
        return out
    want, got = run_both(run)
    assert got == want
