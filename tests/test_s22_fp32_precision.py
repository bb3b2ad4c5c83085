"""Session 22 (llama2.c's train.py sets ``torch.backends.cuda.matmul.allow_tf32 = True``):
the float32 matmul precision is one state behind PyTorch's two APIs, the legacy level
(``set_float32_matmul_precision``, ``allow_tf32``) and the per-backend ``fp32_precision``
strings, including ``torch.backends.cudnn.allow_tf32`` and the ``cudnn.flags()`` /
``mkldnn.flags()`` context managers that set and restore them. Each sequence of sets runs on
torch 2.13 and on ember from the default state, and every read afterwards (values, or the
error's type and first line) is compared live."""

import pytest
from torch_compare import run_both


def _reset(L):
    """PyTorch's defaults back: level "highest", strings "none" but cuda conv/rnn "tf32"."""
    L.backends.fp32_precision = "none"
    L.backends.cudnn.fp32_precision = "none"
    for mod in (L.backends.mkldnn, L.backends.cudnn):
        for op in ("matmul", "conv", "rnn"):
            if hasattr(mod, op):
                getattr(mod, op).fp32_precision = "none"
    L.set_float32_matmul_precision("highest")
    L.backends.cuda.matmul.fp32_precision = "none"
    L.backends.mkldnn.matmul.fp32_precision = "none"
    L.backends.cudnn.allow_tf32 = True
    c, m = L.backends.cudnn, L.backends.mkldnn
    c.enabled, c.benchmark, c.deterministic = True, False, False  # (a failed flags() leaves
    m.enabled, m.deterministic = True, False                     # what it set before)


def _read(L, f):
    try:
        return f(L)
    except Exception as e:  # noqa: BLE001 - compared across libraries
        return type(e).__name__, str(e).splitlines()[0]


READS = [lambda L: L.get_float32_matmul_precision(),
         lambda L: L.backends.cuda.matmul.allow_tf32,
         lambda L: L.backends.cuda.matmul.fp32_precision,
         lambda L: L.backends.mkldnn.matmul.fp32_precision,
         lambda L: L.backends.mkldnn.fp32_precision,
         lambda L: L.backends.cudnn.fp32_precision,
         lambda L: L.backends.cudnn.conv.fp32_precision,
         lambda L: L.backends.cudnn.rnn.fp32_precision,
         lambda L: L.backends.cudnn.allow_tf32,
         lambda L: L.backends.mkldnn.allow_tf32,
         lambda L: L.backends.fp32_precision]


def _set(target, value):
    def f(L):
        if target == "level":
            L.set_float32_matmul_precision(value)
        elif target == "tf32":
            L.backends.cuda.matmul.allow_tf32 = value
        elif target == "generic":
            L.backends.fp32_precision = value
        elif target == "cudnn":
            L.backends.cudnn.fp32_precision = value
        elif target == "cudnn_tf32":
            L.backends.cudnn.allow_tf32 = value
        elif target == "onednn_tf32":
            L.backends.mkldnn.allow_tf32 = value
        elif target == "conv":
            L.backends.cudnn.conv.fp32_precision = value
        elif target == "mkldnn":
            L.backends.mkldnn.fp32_precision = value
        else:
            getattr(L.backends, target).matmul.fp32_precision = value
    return f


SEQUENCES = {
    "allow_tf32_true_reads_high": [("tf32", True)],
    "allow_tf32_then_false": [("tf32", True), ("tf32", False)],
    "level_high_allows_tf32": [("level", "high")],
    "level_medium": [("level", "medium")],
    "medium_then_allow_tf32_mixes": [("level", "medium"), ("tf32", True)],
    "high_then_no_tf32_mixes": [("level", "high"), ("tf32", False)],
    "new_api_only_mixes": [("cuda", "tf32")],
    "new_api_back_to_ieee": [("cuda", "tf32"), ("cuda", "ieee")],
    "generic_tf32_reaches_both": [("generic", "tf32")],
    "generic_bf16_not_for_cuda": [("generic", "bf16")],
    "mkldnn_bf16": [("mkldnn", "bf16")],
    "cudnn_all_then_level": [("cudnn", "tf32"), ("level", "high")],
    "tf32_then_highest": [("tf32", True), ("level", "highest")],
    "bad_values": [("cuda", "bf16"), ("mkldnn", "tf33"), ("tf32", 1), ("cuda", 1)],
    "llama2c_train": [("tf32", True), ("level", "high")],
    "cudnn_tf32_off": [("cudnn_tf32", False)],
    "cudnn_tf32_off_then_on": [("cudnn_tf32", False), ("cudnn_tf32", True)],
    "cudnn_conv_ieee_mixes": [("conv", "ieee")],
    "cudnn_conv_and_rnn_none_after_off": [("cudnn_tf32", False), ("conv", "tf32")],
    "cudnn_all_tf32_after_off": [("cudnn_tf32", False), ("cudnn", "tf32")],
    "onednn_flag": [("onednn_tf32", True), ("onednn_tf32", 1), ("cudnn_tf32", None)],
}


@pytest.mark.parametrize("name", list(SEQUENCES))
def test_precision_state_reads_as_torch(name):
    def run(L):
        _reset(L)
        out = []
        try:
            for target, value in SEQUENCES[name]:
                out.append(_read(L, _set(target, value)))
                out.append([_read(L, r) for r in READS])
        finally:
            _reset(L)
        return out

    want, got = run_both(run)
    assert got == want


def _flags_case(body):
    def run(L):
        _reset(L)
        try:
            return _read(L, body)
        finally:
            _reset(L)
    return run


def _cudnn_block(L):
    c = L.backends.cudnn
    with c.flags(enabled=False, benchmark=False, deterministic=True, allow_tf32=False):
        inner = (c.enabled, c.benchmark, c.deterministic, c.allow_tf32, c.conv.fp32_precision,
                 c.rnn.fp32_precision, c.fp32_precision)
    return inner, c.enabled, c.deterministic, c.allow_tf32, c.conv.fp32_precision


def _cudnn_block_precision(L):
    c = L.backends.cudnn
    c.fp32_precision = "ieee"
    with c.flags(fp32_precision="tf32"):
        inner = (c.fp32_precision, c.conv.fp32_precision, L.backends.cuda.matmul.fp32_precision)
    return inner, c.fp32_precision, c.set_flags(_deterministic=True)[3], c.deterministic, \
        c.set_flags(_deterministic=False)


def _cudnn_block_raises(L):
    c = L.backends.cudnn
    try:
        with c.flags(deterministic=True):
            raise KeyError("inside")
    except KeyError:
        pass
    return c.deterministic, c.enabled, c.allow_tf32


def _mkldnn_block(L):
    m = L.backends.mkldnn
    with m.flags(enabled=False, deterministic=True, fp32_precision="bf16"):
        inner = (m.enabled, m.deterministic, m.allow_tf32, m.fp32_precision,
                 m.matmul.fp32_precision, L.backends.fp32_precision)
    return inner, m.enabled, m.deterministic, m.fp32_precision


def _mkldnn_block_bad(L):
    with L.backends.mkldnn.flags(allow_tf32=1):
        return "entered"


def _cudnn_block_bad(L):
    with L.backends.cudnn.flags(allow_tf32="yes"):
        return "entered"


@pytest.mark.parametrize("body", [_cudnn_block, _cudnn_block_precision, _cudnn_block_raises,
                                  _mkldnn_block, _mkldnn_block_bad, _cudnn_block_bad],
                         ids=lambda f: f.__name__)
def test_flags_context_managers_set_and_restore_as_torch(body):
    want, got = run_both(_flags_case(body))
    assert got == want
