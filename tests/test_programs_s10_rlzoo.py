"""RL-zoo shaped programs (CleanRL C51/QR-DQN/DQN-Atari/PPO-continuous/TD3, Stable-Baselines3
helpers, NoisyNet, prioritized replay): the pieces where ember differed from PyTorch, checked
live against torch."""

import warnings

import numpy as np
import torch

import ember
from torch_compare import run_both


def _outcome(fn):
    """Per library: ('ok', dtype, values) or (error type, first line)."""
    def one(lib):
        r = fn(lib)
        return ("ok", str(r.dtype).replace("ember", "torch"), r.tolist())
    return run_both(one)


def test_clamp_zero_dim_tensor_bound_beside_a_number():
    # PPO value clipping: torch.clamp(v - old_v, torch.tensor(-eps), eps) reads the 0-d tensor
    # as a Number; ember refused the (Tensor, Tensor, float) combination
    cases = [
        lambda lib: lib.clamp(lib.arange(5.0), lib.tensor(1.5), 3.0),
        lambda lib: lib.clamp(lib.arange(5.0), 1.5, lib.tensor(3.0)),
        lambda lib: lib.arange(5.0).clamp(min=lib.tensor(1), max=3.5),
        lambda lib: lib.arange(5.0).clamp_(lib.tensor(1.5, dtype=lib.float64), 3.0),
        lambda lib: lib.clip(lib.arange(5), lib.tensor(1.5), 3),
        lambda lib: lib.clamp(lib.arange(5), lib.tensor(1), 3),
        # still refused: a 1-element (not 0-d) tensor, or one that requires grad
        lambda lib: lib.clamp(lib.arange(5.0), lib.tensor([1.5]), 3.0),
        lambda lib: lib.clamp(lib.arange(5.0), lib.tensor(1.5, requires_grad=True), 3.0),
    ]
    for case in cases:
        want, got = _outcome(case)
        assert got == want


def test_index_add_out_of_range_error_by_path():
    # C51 projection with an unclamped atom index: PyTorch's per-index loop (1-D, 0-d, or an
    # inner dim) raises IndexError "index out of range in self"; dim 0 / last dim of >= 2-D
    # go through scatter_add's message
    cases = [((5,), 0, 5), ((5,), 0, -1), ((), 0, 1), ((2, 3, 5), 1, 3), ((2, 3, 4, 5), 2, 4),
             ((3, 5), 0, 3), ((3, 5), 1, 5), ((2, 3, 5), 2, 5), ((2, 3, 5), 0, 2)]
    for shape, dim, bad in cases:
        def go(lib, shape=shape, dim=dim, bad=bad):
            if not shape:  # 0-d self: one index, a 0-d source
                return lib.zeros(()).index_add_(0, lib.tensor([bad]), lib.ones(()))
            src = [2 if i == dim else n for i, n in enumerate(shape)]
            return lib.zeros(shape).index_add_(dim, lib.tensor([0, bad]), lib.ones(src))
        want, got = run_both(go)
        assert got == want, (shape, dim)
    # out of place, with grad
    want, got = run_both(lambda lib: lib.index_add(lib.zeros(5, requires_grad=True), 0,
                                                   lib.tensor([7]), lib.ones(1)))
    assert got == want


def test_index_reduce_warns_before_its_range_check():
    import ember.ops.index_reduce as ir

    def warned(lib):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                lib.zeros(5).index_reduce_(0, lib.tensor([0, 5]), lib.ones(2), "prod")
            except IndexError as e:
                err = str(e)
        return [str(x.message).split(" (Triggered")[0] for x in w], err

    saved = list(ir._WARNED)
    ir._WARNED.clear()  # the warning is once per process
    try:
        assert warned(ember) == warned(torch)
    finally:
        ir._WARNED[:] = saved


def test_linear_with_zero_dim_or_vector_weight_errors():
    # lin(torch.tensor(obs_scalar)): PyTorch names linear, not matmul
    for xs in [(), (3,), (2, 3)]:
        for ws in [(), (3,), (4, 3)]:
            for bias in (False, True):
                def go(lib, xs=xs, ws=ws, bias=bias):
                    b = lib.zeros(4) if bias else None
                    return lib.nn.functional.linear(lib.ones(xs), lib.ones(ws), b).shape
                want, got = run_both(go)
                assert got == want, (xs, ws, bias)


def test_clip_grad_norm_takes_a_string_max_norm():
    # max_norm read from a config/argparse string without type=float
    outs = []
    for lib in (torch, ember):
        w = lib.tensor(np.full((2, 3), 2.0, np.float32), requires_grad=True)
        (w * w).sum().backward()
        total = lib.nn.utils.clip_grad_norm_([w], "0.5", norm_type="2")
        outs.append((total.item(), w.grad.numpy().copy()))
    assert np.isclose(outs[1][0], outs[0][0], rtol=1e-6)
    np.testing.assert_allclose(outs[1][1], outs[0][1], rtol=1e-6)
