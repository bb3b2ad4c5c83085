"""Session 23: openai/whisper as users copy it, in tests/s23_whisper_progs*.py: model.py (the
dtype-casting LayerNorm / Linear / Conv1d subclasses, sinusoids, MultiHeadAttention through
scaled_dot_product_attention and through disable_sdpa's manual path with the causal mask,
ResidualAttentionBlock with cross-attention, AudioEncoder, TextDecoder with the tied-embedding
logits, Whisper.embed_audio / logits / forward, the sparse alignment_heads buffer,
install_kv_cache_hooks driving incremental decoding, the cross-attention QK hooks of
timing.find_alignment, the float16 forward); decoding.py (SuppressBlank, SuppressTokens,
ApplyTimestampRules, GreedyDecoder at temperature 0 and with Categorical sampling,
BeamSearchDecoder, MaximumLikelihoodRanker, DecodingTask's loop with a toy tokenizer);
audio.py's pad_or_trim and log_mel_spectrogram post-processing (no torch.stft: ember has no
complex dtype) and timing.py's median_filter and DTW. Tiny sizes (n_mels 8, audio ctx 16,
width 32, 2 heads, 2 layers, vocab 60, text ctx 16). Each runs on ember and on torch 2.13 and
is compared live: printed lines exactly, values to rtol 1e-5 / atol 1e-6 (logits compared
through their softmax: values near 10 carry BLAS last-bit differences above atol)."""

import pytest
import s23_whisper_progs_b as B
import s23_whisper_progs_c as C
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [B.model_forward, B.kv_cache_decode, B.cross_attention_qk, B.fp16_forward,
         C.greedy_and_filters, C.decode_greedy, C.decode_beam, C.audio_and_timing]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
