"""2-D products take np.dot below linalg.DOT_OUT_MAX output entries and np.matmul from there
(np.dot zero-fills its output first). Both are the same BLAS call: the switch must change no
bit, and the results (forward and gradients, through Linear, the Sequential fast paths and
torch.matmul) must match PyTorch's."""

import numpy as np
import pytest
import torch

import ember
from ember.ops import linalg

SHAPES = [(64, 4, 128), (95, 32, 128), (96, 32, 128), (97, 32, 128), (128, 4, 128),
          (128, 128, 128), (256, 16, 64)]


def test_shapes_straddle_the_switch():
    sizes = [m * n for m, _, n in SHAPES]
    assert min(sizes) < linalg.DOT_OUT_MAX <= max(sizes)


@pytest.mark.parametrize("m,k,n", SHAPES)
@pytest.mark.parametrize("layout", ["NN", "NT", "TN"])
def test_both_paths_same_bits(m, k, n, layout):
    rng = np.random.default_rng(m * k + n)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    if "T" in layout[1]:
        b = np.ascontiguousarray(b.T).T
    if "T" in layout[0]:
        a = np.ascontiguousarray(a.T).T
    got = linalg._mm(a, b)
    np.testing.assert_array_equal(got, np.dot(a, b))
    np.testing.assert_array_equal(got, np.matmul(a, b))


@pytest.mark.parametrize("batch", [1, 64, 96, 128])
def test_mlp_matches_torch(batch):
    """A 4-128-128-2 ReLU MLP (DQN's): no_grad output, and output and gradients with grad."""
    rng = np.random.default_rng(batch)
    x = rng.standard_normal((batch, 4)).astype(np.float32)
    ws = [rng.standard_normal(s).astype(np.float32) * 0.3
          for s in [(128, 4), (128,), (128, 128), (128,), (2, 128), (2,)]]
    outs = []
    for lib in (torch, ember):
        net = lib.nn.Sequential(lib.nn.Linear(4, 128), lib.nn.ReLU(), lib.nn.Linear(128, 128),
                                lib.nn.ReLU(), lib.nn.Linear(128, 2))
        with lib.no_grad():
            for p, w in zip(net.parameters(), ws):
                p.copy_(lib.from_numpy(w))
            y0 = net(lib.from_numpy(x)).numpy().copy()
        y = net(lib.from_numpy(x))
        (y * y).sum().backward()
        outs.append([y0, y.detach().numpy()] + [p.grad.numpy() for p in net.parameters()])
    for want, got in zip(*outs):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
