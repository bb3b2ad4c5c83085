"""Session 22: LLM-from-scratch programs as users type them: karpathy/llama2.c (model.py's
RMSNorm, real-valued RoPE, grouped-query attention on the sdpa and the manual path, SwiGLU,
tied embeddings, configure_optimizers, estimate_mfu, generate, LoRA finetuning; train.py's
loop, tinystories' PretokDataset, export.py's .bin writers with Q8_0 quantization) and
rasbt/LLMs-from-scratch (the ch04 bonus models: MoE, multi-head latent attention,
sliding-window and DeepSeek sparse attention, each with its KV cache; pkg/llms_from_scratch's
batched-KV-cache Qwen3 and Llama 3 / Llama3ModelFast; ch05's training-speed script) in tests/s22_llm_progs*.py, at toy
sizes on random token ids. Each runs on ember and on torch 2.13 and is compared live:
printed lines (losses with 4 decimals, reprs, dtypes, shapes, errors' type and first line)
exactly, values to rtol 1e-5 / atol 1e-6."""

import pytest
import s22_llm_progs_b as B
import s22_llm_progs_d as D
import s22_llm_progs_e as E
import s22_llm_progs_f as F
import s22_llm_progs_g as G
import s22_llm_progs_h as H
import s22_llm_progs_i as I
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [B.llama_parts, B.llama_model, B.llama_train, B.llama_generate,
         B.llama_lora_and_checkpoint, D.moe_gpt, D.mla_gpt, D.swa_gpt, E.pretok_batches,
         E.export_bins, F.qwen3_batched, G.dsa_gpt,
         H.training_speed, I.llama3_models]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
