"""Session 15, Daniel Voigt Godoy's "Deep Learning with PyTorch Step-by-Step" (vol. I-III) as
learners type it, small and on synthetic data, run on ember and compared live with torch 2.13:
here the fixes the sweep needed (F.linear with a vector weight or a bias of another shape or
dtype, masked_fill's check order); the chapters' programs are in test_programs_s15_godoy_b.py
to _h.py (the StepByStep class in s15_godoy_sbs.py)."""

import numpy as np
import pytest
import torch
from torch_compare import error_of, run_both

import ember


def _ramp(L, shape, grad=False):
    """Small integers (as float32): products and sums are exact, so any BLAS order agrees."""
    n = int(np.prod(shape))
    return (L.arange(n) % 5 - 2).float().reshape(shape).requires_grad_(grad)


def _outcome(f):
    """(shape, dtype, grad_fn name, values) of f(), or its error's type and first line."""
    try:
        r = f()
    except Exception as e:  # noqa: BLE001 - compared across libraries
        return type(e).__name__, str(e).splitlines()[0]
    return (tuple(r.shape), str(r.dtype), type(r.grad_fn).__name__,
            np.array(r.detach().numpy(), copy=True).tolist())


# ---- ch6 "Dropout": F.linear with a 1-D weight and a 0-d int bias ---------------------------
# Godoy sums the dropped points with F.linear(output, weight=torch.ones(11), bias=torch.tensor(0));
# ember refused every 1-D weight with a bias ("mat2 must be a matrix"), which PyTorch says only
# on its addmm path; elsewhere it is a dot product plus an in-place add of the bias.

def _dropout_sums(L):
    F = L.nn.functional
    L.manual_seed(44)
    spaced_points = L.linspace(.1, 1.1, 11)
    out = [str(F.linear(spaced_points, weight=L.ones(11), bias=L.tensor(0)))]
    dropped = L.nn.Dropout(p=0.5)(spaced_points)
    out.append(str(F.linear(dropped, weight=L.ones(11), bias=L.tensor(0))))
    L.manual_seed(17)
    sums = L.tensor([F.linear(F.dropout(spaced_points, p=0.5), weight=L.ones(11),
                              bias=L.tensor(0)) for _ in range(20)])
    out.append(str(sums))
    return out


def test_dropout_chapter_sums_with_a_vector_weight_and_an_int_bias():
    want, got = run_both(_dropout_sums)
    assert not isinstance(got, tuple) and got == want, (got, want)


_X1, _X2, _X3 = (11,), (3, 11), (2, 3, 11)


@pytest.mark.parametrize("x_shape,w_shape,bias", [
    (_X1, (11,), ("int64", ())), (_X1, (11,), ("float32", ())), (_X1, (11,), ("float64", ())),
    (_X1, (11,), ("bool", ())), (_X1, (11,), ("float32", (1,))), (_X1, (11,), ("int64", (1,))),
    (_X1, (11,), ("float32", (1, 1))), (_X1, (11,), ("int64", (1, 1))),
    (_X2, (11,), ("float32", ())), (_X2, (11,), ("float32", (1,))),
    (_X2, (11,), ("int64", (3,))), (_X2, (11,), ("int64", ())),
    (_X3, (11,), ("float32", ())), (_X3, (11,), ("float32", (1, 11))),
    (_X3, (11,), ("float32", (1, 1))), (_X3, (11,), ("float32", (1, 3))),
    (_X3, (11,), ("int64", ())),
    (_X1, (2, 11), ("int64", ())), (_X1, (2, 11), ("int64", (2,))),
    (_X1, (2, 11), ("float64", (1, 2))), (_X1, (2, 11), ("float64", (3, 2))),
    (_X2, (2, 11), ("int64", ())), (_X2, (2, 11), ("float64", (2,))),
    (_X2, (2, 11), ("bool", ())), (_X3, (2, 11), ("int64", ())),
    (_X3, (2, 11), ("float64", ())), (_X3, (2, 11), ("int64", (1, 2))),
    (_X3, (2, 11), ("float64", (2,))), ((), (11,), ("int64", ())), ((), (11,), ("float32", (1,))),
    ((), (2, 11), ("int64", ())), (_X2, (), ("int64", ())),
])
@pytest.mark.parametrize("grad", [False, True])
def test_linear_with_a_vector_weight_or_a_bias_of_another_dtype(x_shape, w_shape, bias, grad):
    dtype, b_shape = bias

    def case(L):
        x, w = _ramp(L, x_shape, grad), _ramp(L, w_shape)
        b = L.ones(b_shape, dtype=getattr(L, dtype))
        return _outcome(lambda: L.nn.functional.linear(x, w, b))
    want, got = run_both(case)
    assert got == want


@pytest.mark.parametrize("b_shape", [(3, 1), (1, 1), (3, 2), (2, 1), (1, 2), (1, 1, 2),
                                     (2, 3, 2), (1, 3, 1), (2, 1, 1), (6, 2), (1, 1, 1),
                                     (2, 1, 2), (4, 1, 1, 1)])
@pytest.mark.parametrize("x_shape", [(2, 3, 11), (3, 11), (11,), (5, 2, 3, 11), "strided"])
def test_linear_bias_shapes_take_pytorchs_path(x_shape, b_shape):
    """Which biases PyTorch adds through addmm (a contiguous input and a bias with one dim
    longer than 1: (3, 1) is expanded to the rows and refused) and which in place after the
    product ((1, 1), (3, 2), full-size); the gradient reaches the bias summed to its shape."""
    def case(L):
        if x_shape == "strided":
            x = L.ones(3, 2, 11).transpose(0, 1).requires_grad_()
        else:
            x = _ramp(L, x_shape, True)
        w, b = _ramp(L, (2, 11)), _ramp(L, b_shape, True)
        out = _outcome(lambda: L.nn.functional.linear(x, w, b))
        if isinstance(out[0], tuple):
            L.nn.functional.linear(x, w, b).sum().backward()
            out += (b.grad.numpy().tolist(),)
        return out
    want, got = run_both(case)
    assert got == want


# ---- Vol III attention: masked_fill's checks in PyTorch's order -------------------------------
# scores.masked_fill(mask, -1e9) with a float mask that does not broadcast: PyTorch expands the
# two first (a size error), ember named the mask's dtype; in place, the dtype comes first.

@pytest.mark.parametrize("mask", [("float32", (3, 5)), ("bool", (3, 5)), ("float32", (3, 4)),
                                  ("float32", (2, 2, 3, 4)), ("bool", (2, 2, 3, 4)),
                                  ("uint8", (3, 5)), ("uint8", (3, 4))])
@pytest.mark.parametrize("form", ["method", "inplace", "function"])
def test_masked_fill_checks_broadcasting_and_the_mask_dtype_in_pytorchs_order(mask, form):
    dtype, shape = mask

    def case(L):
        q, m = L.zeros(2, 3, 4), L.ones(shape, dtype=getattr(L, dtype))
        if form == "method":
            return q.masked_fill(m, 1.0).shape
        if form == "inplace":
            return q.masked_fill_(m, 1.0).shape
        return L.masked_fill(q, m, L.tensor(1.0)).shape
    want, got = run_both(case)
    assert got == want


def test_attention_score_mask_mistake_names_the_size_first():
    def case(L):
        L.manual_seed(0)
        q, k = L.randn(2, 3, 4), L.randn(2, 5, 4)
        m = L.ones(3, 5).tril()  # forgot .bool(), and masked the queries instead of the scores
        return q.masked_fill(m, -1e9)
    assert error_of(lambda: case(ember)) == error_of(lambda: case(torch))
