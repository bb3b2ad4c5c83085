"""Session 23: openai/CLIP's clip/model.py as users copy it, in tests/s23_clip_progs*.py:
Bottleneck with the anti-aliased avgpool downsample, AttentionPool2d through
F.multi_head_attention_forward with separate q / k / v projection weights, ModifiedResNet, the
float32 LayerNorm subclass, QuickGELU, ResidualAttentionBlock (nn.MultiheadAttention with the
causal attn_mask), Transformer, VisionTransformer, CLIP (encode_image / encode_text with the
argmax EOT token, build_attention_mask, initialize_parameters, logit_scale.exp()) and
convert_weights to float16 with the fp16 model run on CPU; clip/clip.py's tokenize, the README's
zero-shot prediction, build_model from a saved float16 state dict, the issue-57 fp16 fine-tuning
recipe (fp32 Adam steps between convert_weights) and the prompt-engineering notebook's zero-shot
classifier with its topk accuracy; and mlfoundations/open_clip's loss.py (ClipLoss and
SigLipLoss in a few training steps, CoCaLoss, DistillClipLoss) and transformer.py
(LayerNormFp32, LayerScale, PatchDropout, Attention, AttentionalPooler, the LayerScale
Transformer, text_global_pool). Tiny sizes (text width 32, 2 layers, image 32x32, patch 8,
context 8, vocab 50). Each runs on ember and on torch 2.13 and is compared live: printed lines
exactly, values to rtol 1e-5 / atol 1e-6."""

import pytest
import s23_clip_progs_b as B
import s23_clip_progs_c as C
import s23_clip_progs_e as E
import s23_clip_progs_f as F
import s23_clip_progs_g as G
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [B.resnet_pieces, B.clip_forward, C.clip_train, C.siglip_train, C.loss_pieces,
         C.fp16_inference, E.open_clip_blocks, E.coca_distill_losses, F.zero_shot,
         F.zeroshot_classifier_prog, G.build_and_load, G.finetune_fp16]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
