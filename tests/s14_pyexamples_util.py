"""Helpers for the session-14 pytorch/examples sweep (test_programs_s14_pyexamples*.py)."""

import numpy as np


def shown(values):
    """Tensors as PyTorch prints them (dtype, shape and repr) with their values, everything
    else as given."""
    out = []
    for v in values:
        if hasattr(v, "detach") and hasattr(v, "dtype"):
            out.append((str(v.dtype), tuple(v.shape), repr(v), v.detach().numpy().tolist()))
        else:
            out.append(v)
    return out


def check(want, got, rtol=1e-5, atol=1e-6):
    """The printed text, dtypes, shapes and reprs equal; the values to float32 rounding:
    a few steps of training carry the last bits where PyTorch's vectorised exp/log/tanh
    (Sleef), MKL's narrow matmuls or LAPACK's QR (orthogonal_) round otherwise (README,
    Differences); the printed numbers agree."""
    assert len(got) == len(want)
    for w, g in zip(want, got):
        if isinstance(w, tuple) and len(w) == 4 and str(w[0]).startswith("torch."):
            assert g[:3] == w[:3]
            np.testing.assert_allclose(np.array(g[3], float), np.array(w[3], float), rtol=rtol,
                                       atol=atol)
        else:
            assert g == w
