"""Session 22: modern sequence architectures as users type them: BlinkDL's RWKV in RNN mode
(ChatRWKV's RWKV_in_150_lines.py and RWKV_v6_demo.py as torch.jit.ScriptModules, RWKV-LM's
RWKV-v4neo model_run.py in fp32 and fp16) and RWKV-v1's GPT (circulant time_w, mish channel
mix, orthogonal RWKV_Init, AdamW groups), lucidrains/g-mlp-pytorch (SpatialGatingUnit, the
causal gMLP language model with its autoregressive wrapper and train.py's loop, gMLPVision),
lucidrains/perceiver-pytorch (Perceiver with fourier_encode, PerceiverIO, PerceiverLM; masks,
tied weights), davidmrau/mixture-of-experts (noisy top-k gating, SparseDispatcher,
cv_squared) and lucidrains/mixture-of-experts (Top2Gating, MoE, HeirarchicalMoE), in
tests/s22_seqarch_progs*.py, with einops written as torch calls (it is not installed). Each
runs on ember and on torch 2.13 and is compared live: printed lines (losses with 4 decimals,
reprs, shapes, warnings, errors' type and first line) exactly, values to rtol 1e-5 / atol
1e-6. (When a ScriptModule class's first instance compiles, TorchScript warns
`torch.jit.script` is deprecated for each Python function its script_methods call, F.silu and
F.group_norm in the v6 demo; ember compiles nothing, so the v6 class is defined once a
process, as the demo does, and the programs run after use_up_once_warnings.)"""

import pytest
import s22_seqarch_progs as A
import s22_seqarch_progs_b as B
import s22_seqarch_progs_c as C
import s22_seqarch_progs_d as D
import s22_seqarch_progs_e as E
import s22_seqarch_progs_f as F
import s22_seqarch_progs_g as G
import s22_seqarch_progs_h as H
import s22_seqarch_progs_i as I
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.rwkv_in_150_lines, B.rwkv_v1_train, C.moe_example, C.moe_cifar10_example,
         D.gmlp_train_enwik8, D.gmlp_vision_and_attn, E.perceiver_train, F.lucid_moe,
         G.rwkv_v4neo_run, H.perceiver_io, I.rwkv_v6_demo]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
