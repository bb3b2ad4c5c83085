"""ember.nn.attention.sdpa_kernel / SDPBackend and torch.backends.cuda's attention switches,
against live PyTorch (CPU): which kernel runs (the output's grad_fn), values, and errors."""

import warnings

import numpy as np
import pytest
import torch

import ember


def _run(lib, backends, shape=(2, 2, 4, 8), **kw):
    from importlib import import_module

    A = import_module(f"{lib.__name__}.nn.attention")
    bk = backends(A.SDPBackend) if callable(backends) else backends
    rng = np.random.default_rng(0)
    q = lib.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
    try:
        with A.sdpa_kernel(bk) as v:
            c = lib.backends.cuda
            flags = (c.flash_sdp_enabled(), c.mem_efficient_sdp_enabled(),
                     c.math_sdp_enabled(), c.cudnn_sdp_enabled())
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = lib.nn.functional.scaled_dot_product_attention(q, q, q, **kw)
            out.sum().backward()
            return (v, flags, type(out.grad_fn).__name__, out.detach().numpy(),
                    q.grad.numpy())
    except Exception as e:  # noqa: BLE001 - compared with PyTorch's
        return type(e).__name__, str(e)


CASES = [lambda B: B.MATH, lambda B: B.FLASH_ATTENTION, lambda B: B.EFFICIENT_ATTENTION,
         lambda B: B.CUDNN_ATTENTION, lambda B: [B.EFFICIENT_ATTENTION, B.MATH],
         lambda B: [B.MATH, B.FLASH_ATTENTION], lambda B: [], lambda B: (B.MATH,),
         lambda B: "math", lambda B: B.ERROR]


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("shape,kw", [((2, 2, 4, 8), {}), ((2, 4, 8), {}),
                                      ((2, 2, 4, 8), {"is_causal": True}),
                                      ((1, 1, 3, 4), {"attn_mask": "mask", "is_causal": True})])
def test_sdpa_kernel_choice(case, shape, kw):
    res = []
    for lib in (ember, torch):
        k = dict(kw)
        if k.get("attn_mask") == "mask":
            k["attn_mask"] = lib.ones(3, 3, dtype=lib.bool).tril()
        res.append(_run(lib, CASES[case], shape, **k))
    e, t = res
    assert len(e) == len(t)
    if len(t) == 2:
        assert e == t
    else:
        assert e[:3] == t[:3]
        np.testing.assert_allclose(e[3], t[3], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(e[4], t[4], rtol=1e-5, atol=1e-6)


def test_flags_restored_and_decorator():
    for lib in (ember, torch):
        from importlib import import_module

        A = import_module(f"{lib.__name__}.nn.attention")

        @A.sdpa_kernel(A.SDPBackend.MATH)
        def inside():
            return lib.backends.cuda.flash_sdp_enabled()
        assert inside() is False and lib.backends.cuda.flash_sdp_enabled() is True


def test_backend_enum():
    e, t = ember.nn.attention.SDPBackend, torch.nn.attention.SDPBackend
    assert [(n, int(m), repr(m), str(m)) for n, m in e.__members__.items()] == \
        [(n, int(m), repr(m), str(m)) for n, m in t.__members__.items()]
    assert e(1) is e.FLASH_ATTENTION and ember.backends.cuda.SDPBackend is e


@pytest.mark.parametrize("fn", ["enable_flash_sdp", "enable_mem_efficient_sdp",
                                "enable_math_sdp", "enable_cudnn_sdp"])
def test_backends_cuda_switches(fn):
    res = []
    for lib in (ember, torch):
        c = lib.backends.cuda
        with pytest.raises(RuntimeError) as info:
            getattr(c, fn)(1)
        getattr(c, fn)(False)
        off = (c.flash_sdp_enabled(), c.mem_efficient_sdp_enabled(), c.math_sdp_enabled(),
               c.cudnn_sdp_enabled())
        getattr(c, fn)(True)
        with pytest.warns(FutureWarning, match="sdp_kernel\\(\\)` is deprecated"):
            with c.sdp_kernel(enable_flash=False, enable_mem_efficient=False) as v:
                inside = (v, c.flash_sdp_enabled(), c.math_sdp_enabled())
        res.append((str(info.value), off, inside, c.flash_sdp_enabled(), c.is_built(),
                    c.is_flash_attention_available(), c.matmul.allow_tf32,
                    c.matmul.allow_fp16_reduced_precision_reduction))
    assert res[0] == res[1]


def test_matmul_unknown_attribute():
    for lib in (ember, torch):
        with pytest.raises(AttributeError, match="^Unknown attribute foo$"):
            lib.backends.cuda.matmul.foo = 1
