"""Session 23: facebookresearch/segment-anything as users copy it, in tests/s23_sam_progs*.py:
modeling/common.py (MLPBlock, LayerNorm2d), image_encoder.py (ImageEncoderViT with PatchEmbed,
windowed and global Blocks, window_partition / window_unpartition with F.pad, Attention with
decomposed relative positions, get_rel_pos with F.interpolate linear, add_decomposed_rel_pos
with einsum, the LayerNorm2d neck), prompt_encoder.py (PromptEncoder, PositionEmbeddingRandom,
point / box / mask prompts), transformer.py (TwoWayTransformer with downsampled Attention),
mask_decoder.py (MaskDecoder with ConvTranspose2d upscaling, hypernetwork MLPs, IoU head) and
sam.py (Sam.forward, preprocess, postprocess_masks), plus a fine-tuning loop of the mask
decoder with focal + dice + IoU losses, at tiny sizes (embed dim 32, depth 2, image 64x64,
patch 16, window 2 / 3); utils/transforms.py's ResizeLongestSide (antialiased resize),
predictor.py's SamPredictor flow and utils/amg.py with the automatic mask generator's batch
and crop processing, utils/onnx.py's SamOnnxModel / ImageEncoderOnnxModel run as the export
script does; bowang-lab/MedSAM's train_one_gpu.py and inference helper (monai's DiceLoss
written out); ChaoningZhang/MobileSAM's TinyViT image encoder (Conv2d_BN.fuse, LeViT attention
biases with the train() override, padded window attention, layer-lr-decay groups); and
facebookresearch/sam2's Hiera backbone, PositionEmbeddingSine,
RoPEAttention (its complex RoPE tables written with real cos / sin: ember has no complex
dtype), memory encoder, dynamic multimask selection and training-side point / box sampling
helpers. Each runs on ember and on torch 2.13 and is compared live: printed lines exactly,
values to rtol 1e-5 / atol 1e-6. Two float32 outputs are compared through sums or float64
instead: the image encoder's output ends in LayerNorm2d, which scales the patch conv's
BLAS-order rounding (a 768-term sum) up to ~3e-6 on O(1) values."""

import pytest
import s23_sam_progs_c as C
import s23_sam_progs_e as E
import s23_sam_progs_g as G
import s23_sam_progs_h as H
import s23_sam_progs_i as I
import s23_sam_progs_j as J
import s23_sam_progs_l as L
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [C.encoder_pieces, C.image_encoder, C.prompt_encoder, C.sam_forward, C.decoder_train,
         E.predictor_flow, E.auto_mask_generator, G.hiera, G.sam2_position, G.rope_attention,
         H.onnx_export_run, I.medsam_train, I.medsam_inference,
         J.sam2_train_utils, J.sam2_memory_encoder, L.tinyvit_train, L.tinyvit_pieces]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
