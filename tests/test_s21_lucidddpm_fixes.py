"""Session 21 (lucidrains/denoising-diffusion-pytorch sweep): the fixes it needed, each checked
against PyTorch 2.13 live."""

import warnings

from torch_compare import run_both


def test_sdp_kernel_warns_when_made_from_contextlib():
    """attend.py's ``with torch.backends.cuda.sdp_kernel(**config._asdict()):`` - PyTorch's
    FutureWarning comes as the context manager is made (before it is entered) and names
    contextlib's line, as ``python -W default`` prints it."""
    def made(L):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            cm = L.backends.cuda.sdp_kernel(enable_flash=False, enable_mem_efficient=False)
            before = [(w.category.__name__, str(w.message), w.filename, w.lineno) for w in seen]
            with cm as value:
                inside = L.backends.cuda.mem_efficient_sdp_enabled()
            after = L.backends.cuda.mem_efficient_sdp_enabled()
        return before, len(seen), value, inside, after
    want, got = run_both(made)
    assert want[0] and want[1] == 1, want
    assert got == want


def test_sdp_kernel_bad_keyword():
    def bad(L):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return L.backends.cuda.sdp_kernel(enable_fast=True)
    want, got = run_both(bad)
    assert got == want, (got, want)


import pytest  # noqa: E402

_NORM_DTYPE_CASES = {
    "vector float32 -> int64": lambda L: L.linalg.vector_norm(L.ones(3), dtype=L.int64),
    "vector float32 -> bool": lambda L: L.linalg.vector_norm(L.ones(3), dtype=L.bool),
    "vector int64 -> float32": lambda L: L.linalg.vector_norm(L.ones(3, dtype=L.int64),
                                                              dtype=L.float32),
    "vector float64 -> float32": lambda L: L.linalg.vector_norm(
        L.ones(3, dtype=L.float64), dim=-1, dtype=L.float32),
    "vector float32 -> float16": lambda L: L.linalg.vector_norm(L.ones(3), dtype=L.float16),
    "vector float16 -> float32": lambda L: L.linalg.vector_norm(
        L.arange(3.).half(), dtype=L.float32).tolist(),
    "vector float32 -> float64": lambda L: L.linalg.vector_norm(
        L.arange(3.), dtype=L.float64).tolist(),
    "vector before the dim check": lambda L: L.linalg.vector_norm(L.ones(3), dim=5,
                                                                  dtype=L.int64),
    "ord 0 with int dtype": lambda L: L.linalg.vector_norm(L.ones(3).half(), ord=0,
                                                           dtype=L.int32),
    "torch.norm float64 -> float32": lambda L: L.norm(L.ones(3, 3, dtype=L.float64),
                                                      dtype=L.float32),
    "torch.norm p=3 dim": lambda L: L.norm(L.ones(3, dtype=L.float64), p=3, dim=0,
                                           dtype=L.float32),
    "linalg.norm vector": lambda L: L.linalg.norm(L.ones(3), dtype=L.int64),
    "linalg.norm fro": lambda L: L.linalg.norm(L.ones(3, 3, dtype=L.float64), ord="fro",
                                               dtype=L.float32),
    "matrix float64 -> float32": lambda L: L.linalg.matrix_norm(
        L.ones(3, 3, dtype=L.float64), dtype=L.float32),
    "matrix int64 input": lambda L: L.linalg.matrix_norm(L.ones(3, 3, dtype=L.int64),
                                                         dtype=L.float32),
    "matrix nuc -> int64": lambda L: L.linalg.matrix_norm(L.ones(3, 3), ord="nuc",
                                                          dtype=L.int64),
    "matrix 2 -> float16": lambda L: L.linalg.matrix_norm(L.ones(3, 3), ord=2,
                                                          dtype=L.float16),
}


@pytest.mark.parametrize("name", sorted(_NORM_DTYPE_CASES))
def test_norm_dtype_checks(name):
    """karras_unet.py's normalize: ``torch.linalg.vector_norm(t, dim=dim, keepdim=True,
    dtype=torch.float32)`` - PyTorch checks ``dtype=`` first: floating, and no narrowing of
    the input's dtype."""
    want, got = run_both(_NORM_DTYPE_CASES[name])
    assert got == want, (got, want)
