"""Session 23: recurrent architectures of the last two years in pure PyTorch, as users type
them (tag: xlstm): NX-AI/xlstm's mLSTM backends (parallel_stabilized_simple,
recurrent_step_stabilized_simple, chunkwise_simple) checked against each other, the vanilla
sLSTM backend (slstm_forward_pointwise and the slstm_forward loop), the mLSTM layer with
CausalConv1d / LinearHeadwiseExpand / MultiHeadLayerNorm in a block stack (parallel vs
recurrent step), the vanilla sLSTM cell behind its ParameterProxy, the sLSTM layer and block
with the GatedFeedForward; muditbhargava66/PyxLSTM's xLSTM LM on its sLSTM / mLSTM blocks;
state-spaces/mamba's reference selective scan (selective_scan_ref) over its test matrix's
real-A corners, in a small Mamba mixer, and mamba_simple.Mamba decoding step by step through
InferenceParams; in tests/s23_xlstm_progs*.py. Each runs on ember and on torch 2.13 and is
compared live: printed lines (losses with 4 decimals, shapes, dtypes, errors' type and first
line) exactly, values to rtol 1e-5 / atol 1e-6."""

import pytest
import s23_xlstm_progs as A
import s23_xlstm_progs_b as B
import s23_xlstm_progs_c as C
import s23_xlstm_progs_d as D
import s23_xlstm_progs_e as E
import s23_xlstm_progs_f as F
from torch_compare import check_program

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.mlstm_backends, A.slstm_vanilla, B.mlstm_layer_stack, C.selective_scan_cases,
         C.mamba_tiny_train, D.slstm_layer_block, E.pyxlstm_train, F.mamba_simple_decode]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, RTOL, ATOL)
