"""sort(stable=False) (the default) of more than 16 entries orders tied values as PyTorch's
std::sort does (ember replays it per row with ties, ops/_topk_order.py); stable=True keeps
index order; past UNSTABLE_REPLAY_MAX tied entries ember keeps the stable order."""

import numpy as np
import pytest
from torch_compare import run_both


@pytest.mark.parametrize("dtype", ["int64", "float32", "float64", "bool"])
@pytest.mark.parametrize("n", [8, 17, 40, 300])
def test_sort_ties_as_pytorch(n, dtype):
    rng = np.random.default_rng(n)
    v = rng.integers(0, 5, (3, n)).astype(dtype)
    if dtype.startswith("float"):
        v[0, rng.integers(0, n, 3)] = np.nan

    def run(L):
        t = L.tensor(v)
        out = []
        for desc in (False, True):
            for dim in (0, 1):
                for stable in (None, False, True):
                    out.append(L.sort(t, dim=dim, descending=desc, stable=stable)[1].tolist())
        out.append(L.argsort(t, dim=1, descending=True).tolist())
        out.append(t.sort(1)[1].tolist())
        return out
    want, got = run_both(run)
    assert got == want
