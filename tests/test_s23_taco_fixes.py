"""Session 23 (tacotron2 / neural processes sweep): float16 convolutions and batch norm on
the CPU as PyTorch computes them (Tacotron2's fp16_run and inference.py's
``model.eval().half()`` run its Conv1d + BatchNorm1d stacks in half). Each compared live
with torch 2.13, bit for bit: the rounding to half happens once, at the same places.

- Convolution (and the transposed one, and both gradients): sums, and the bias, in float,
  rounded to half once; the bias gradient summed in float.
- batch_norm in training, half input with half (or no) parameters: PyTorch keeps the
  batch's mean and 1/std in half and normalises (and differentiates) with those; the
  upstream gradient and the weight are used in float; the running statistics are updated
  in float and rounded once. With float parameters (mixed) nothing is rounded."""

import numpy as np
import pytest
import torch
import ember
from torch_compare import run_both


def _h(L, shape, seed=0, scale=1.0):
    a = np.random.default_rng(seed).standard_normal(shape).astype(np.float32) * scale
    return L.from_numpy(a).half()


def _bits(vals):
    return [(str(v.dtype), v.detach().float().numpy().tolist()) if hasattr(v, "detach") else v
            for v in vals]


def _same_bits(fn):
    want, got = run_both(lambda L: _bits(fn(L)))
    assert got == want


@pytest.mark.parametrize("make,shape", [
    (lambda L: L.nn.Conv1d(4, 3, 5, padding=2), (2, 4, 6)),
    (lambda L: L.nn.Conv1d(4, 3, 3, bias=False), (2, 4, 6)),
    (lambda L: L.nn.Conv1d(4, 3, 3), (4, 6)),  # unbatched
    (lambda L: L.nn.Conv2d(4, 3, 3, padding=1, stride=2), (2, 4, 6, 5)),
    (lambda L: L.nn.Conv2d(4, 6, 3, groups=2, dilation=(1, 2)), (2, 4, 6, 7)),
    (lambda L: L.nn.Conv3d(2, 3, 2), (1, 2, 3, 4, 4)),
    (lambda L: L.nn.ConvTranspose1d(4, 3, 3, stride=2), (2, 4, 6)),
    (lambda L: L.nn.ConvTranspose2d(4, 2, 3, padding=1), (2, 4, 5, 5)),
])
def test_half_conv_forward_and_grads(make, shape):
    def run(L):
        L.manual_seed(0)
        m = make(L).half()
        x = _h(L, shape).requires_grad_()
        y = m(x)
        y.backward(_h(L, y.shape, 1))
        grads = [x.grad, m.weight.grad] + ([m.bias.grad] if m.bias is not None else [])
        return [y] + grads
    _same_bits(run)


def test_half_conv_bias_added_before_rounding():
    # the case that showed it: Tacotron2's Postnet conv (kernel 5, padding 2) in half
    def run(L):
        L.manual_seed(0)
        m = L.nn.Conv1d(4, 3, 5, padding=2).half()
        return [m(L.arange(48.).view(2, 4, 6).div(10).half())]
    _same_bits(run)


@pytest.mark.parametrize("kind", ["half", "mixed", "functional", "no_running", "2d"])
def test_half_batch_norm_training(kind):
    def run(L):
        L.manual_seed(0)
        x = _h(L, (4, 3, 5, 5) if kind == "2d" else (4, 3, 6), scale=3.0).add(1).detach()
        x.requires_grad_()
        if kind == "functional":
            y = L.nn.functional.batch_norm(x, None, None, training=True)
            y.backward(_h(L, y.shape, 1))
            return [y, x.grad]
        m = (L.nn.BatchNorm2d(3) if kind == "2d" else
             L.nn.BatchNorm1d(3, track_running_stats=kind != "no_running"))
        if kind != "mixed":
            m = m.half()
        y = m(x)
        y.backward(_h(L, y.shape, 1))
        if kind == "mixed":  # (float parameters: their gradients to float32 rounding only)
            return [y, x.grad]
        out = [y, x.grad, m.weight.grad, m.bias.grad]
        if kind != "no_running":
            out += [m.running_mean, m.running_var]
        return out
    _same_bits(run)


def test_half_batch_norm_eval_after_training():
    def run(L):
        m = L.nn.BatchNorm1d(3).half()
        m(_h(L, (4, 3, 6)))
        m(_h(L, (4, 3, 6), 3) * 2)
        m.eval()
        return [m(_h(L, (4, 3, 6), 2)), m.running_mean, m.running_var]
    _same_bits(run)


def test_half_instance_norm():
    def run(L):
        m = L.nn.InstanceNorm1d(3, affine=True).half()
        x = _h(L, (2, 3, 7)).requires_grad_()
        y = m(x)
        y.backward(_h(L, y.shape, 1))
        return [y, x.grad, m.weight.grad]
    _same_bits(run)


def test_float32_conv_and_batch_norm_unchanged():
    # the float32 paths: still to float32 rounding of PyTorch's (MKL vs OpenBLAS sums)
    def run(L):
        L.manual_seed(0)
        m = L.nn.Sequential(L.nn.Conv1d(4, 3, 5, padding=2), L.nn.BatchNorm1d(3))
        x = _h(L, (2, 4, 6)).float().requires_grad_()
        y = m(x)
        y.backward(_h(L, y.shape, 1).float())
        return [y, x.grad, m[0].weight.grad, m[0].bias.grad, m[1].running_var]
    want, got = run_both(run)
    for w, g in zip(want, got):
        assert g.dtype == ember.float32 and w.dtype == torch.float32
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
