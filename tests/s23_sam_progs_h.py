"""segment-anything's utils/onnx.py (SamOnnxModel: _embed_points without indexing,
_embed_masks gated by has_mask_input, mask_postprocessing that slices and resizes with 0-d
size tensors, select_masks; ImageEncoderOnnxModel with its HWC preprocess) run eagerly as
scripts/export_onnx_model.py does before exporting, on its dummy inputs (torch.randint with a
float dtype), on the tiny Sam of s23_sam_progs_b."""

import numpy as np

from s23_sam_progs_b import sam_model_modules
from s23_sam_progs_d import sam_util_modules


def onnx_modules(L, U):
    torch, nn, F = L, L.nn, L.nn.functional
    calculate_stability_score = U["calculate_stability_score"]

    class SamOnnxModel(nn.Module):
        def __init__(self, model, return_single_mask, use_stability_score=False,
                     return_extra_metrics=False) -> None:
            super().__init__()
            self.mask_decoder = model.mask_decoder
            self.model = model
            self.img_size = model.image_encoder.img_size
            self.return_single_mask = return_single_mask
            self.use_stability_score = use_stability_score
            self.stability_score_offset = 1.0
            self.return_extra_metrics = return_extra_metrics

        @staticmethod
        def resize_longest_image_size(input_image_size, longest_side):
            input_image_size = input_image_size.to(torch.float32)
            scale = longest_side / torch.max(input_image_size)
            transformed_size = scale * input_image_size
            transformed_size = torch.floor(transformed_size + 0.5).to(torch.int64)
            return transformed_size

        def _embed_points(self, point_coords, point_labels):
            point_coords = point_coords + 0.5
            point_coords = point_coords / self.img_size
            point_embedding = self.model.prompt_encoder.pe_layer._pe_encoding(point_coords)
            point_labels = point_labels.unsqueeze(-1).expand_as(point_embedding)
            point_embedding = point_embedding * (point_labels != -1)
            point_embedding = (point_embedding
                               + self.model.prompt_encoder.not_a_point_embed.weight * (point_labels == -1))
            for i in range(self.model.prompt_encoder.num_point_embeddings):
                point_embedding = (point_embedding
                                   + self.model.prompt_encoder.point_embeddings[i].weight
                                   * (point_labels == i))
            return point_embedding

        def _embed_masks(self, input_mask, has_mask_input):
            mask_embedding = has_mask_input * self.model.prompt_encoder.mask_downscaling(input_mask)
            mask_embedding = mask_embedding + (
                1 - has_mask_input) * self.model.prompt_encoder.no_mask_embed.weight.reshape(1, -1, 1, 1)
            return mask_embedding

        def mask_postprocessing(self, masks, orig_im_size):
            masks = F.interpolate(masks, size=(self.img_size, self.img_size), mode="bilinear",
                                  align_corners=False)
            prepadded_size = self.resize_longest_image_size(orig_im_size, self.img_size).to(torch.int64)
            masks = masks[..., : prepadded_size[0], : prepadded_size[1]]
            orig_im_size = orig_im_size.to(torch.int64)
            h, w = orig_im_size[0], orig_im_size[1]
            masks = F.interpolate(masks, size=(h, w), mode="bilinear", align_corners=False)
            return masks

        def select_masks(self, masks, iou_preds, num_points):
            score_reweight = torch.tensor(
                [[1000] + [0] * (self.model.mask_decoder.num_mask_tokens - 1)]).to(iou_preds.device)
            score = iou_preds + (num_points - 2.5) * score_reweight
            best_idx = torch.argmax(score, dim=1)
            masks = masks[torch.arange(masks.shape[0]), best_idx, :, :].unsqueeze(1)
            iou_preds = iou_preds[torch.arange(masks.shape[0]), best_idx].unsqueeze(1)
            return masks, iou_preds

        @torch.no_grad()
        def forward(self, image_embeddings, point_coords, point_labels, mask_input,
                    has_mask_input, orig_im_size):
            sparse_embedding = self._embed_points(point_coords, point_labels)
            dense_embedding = self._embed_masks(mask_input, has_mask_input)
            masks, scores = self.model.mask_decoder.predict_masks(
                image_embeddings=image_embeddings,
                image_pe=self.model.prompt_encoder.get_dense_pe(),
                sparse_prompt_embeddings=sparse_embedding,
                dense_prompt_embeddings=dense_embedding)
            if self.use_stability_score:
                scores = calculate_stability_score(masks, self.model.mask_threshold,
                                                   self.stability_score_offset)
            if self.return_single_mask:
                masks, scores = self.select_masks(masks, scores, point_coords.shape[1])
            upscaled_masks = self.mask_postprocessing(masks, orig_im_size)
            if self.return_extra_metrics:
                stability_scores = calculate_stability_score(
                    upscaled_masks, self.model.mask_threshold, self.stability_score_offset)
                areas = (upscaled_masks > self.model.mask_threshold).sum(-1).sum(-1)
                return upscaled_masks, scores, stability_scores, areas, masks
            return upscaled_masks, scores, masks

    class ImageEncoderOnnxModel(nn.Module):
        def __init__(self, model, use_preprocess, pixel_mean=[123.675, 116.28, 103.53],
                     pixel_std=[58.395, 57.12, 57.375]):
            super().__init__()
            self.use_preprocess = use_preprocess
            self.pixel_mean = torch.tensor(pixel_mean, dtype=torch.float)
            self.pixel_std = torch.tensor(pixel_std, dtype=torch.float)
            self.image_encoder = model.image_encoder

        @torch.no_grad()
        def forward(self, input_image):
            if self.use_preprocess:
                input_image = self.preprocess(input_image)
            image_embeddings = self.image_encoder(input_image)
            return image_embeddings

        def preprocess(self, x):
            x = (x - self.pixel_mean) / self.pixel_std
            x = torch.permute(x, (2, 0, 1))
            h, w = x.shape[-2:]
            padh = self.image_encoder.img_size - h
            padw = self.image_encoder.img_size - w
            x = F.pad(x, (0, padw, 0, padh))
            x = torch.unsqueeze(x, 0)
            return x

    return SamOnnxModel, ImageEncoderOnnxModel


def onnx_export_run(torch):
    M = sam_model_modules(torch)
    U = sam_util_modules(torch)
    SamOnnxModel, ImageEncoderOnnxModel = onnx_modules(torch, U)
    torch.manual_seed(0)
    sam = M["build_sam"]()
    out, vals = [], []
    for return_single_mask, use_stability_score, return_extra_metrics in [
            (True, False, False), (False, True, True), (True, True, False)]:
        onnx_model = SamOnnxModel(model=sam, return_single_mask=return_single_mask,
                                  use_stability_score=use_stability_score,
                                  return_extra_metrics=return_extra_metrics)
        embed_dim = sam.prompt_encoder.embed_dim
        embed_size = sam.prompt_encoder.image_embedding_size
        mask_input_size = [4 * x for x in embed_size]
        torch.manual_seed(1)
        dummy_inputs = {
            "image_embeddings": torch.randn(1, embed_dim, *embed_size, dtype=torch.float),
            "point_coords": torch.randint(low=0, high=64, size=(1, 5, 2), dtype=torch.float),
            "point_labels": torch.randint(low=0, high=4, size=(1, 5), dtype=torch.float),
            "mask_input": torch.randn(1, 1, *mask_input_size, dtype=torch.float),
            "has_mask_input": torch.tensor([1], dtype=torch.float),
            "orig_im_size": torch.tensor([50, 75], dtype=torch.float),
        }
        out.append(str(dummy_inputs["point_coords"].tolist()) + " " + str(dummy_inputs["point_labels"].tolist()))
        output_names = ["masks", "iou_predictions", "low_res_masks"]
        if return_extra_metrics:
            output_names = ["masks", "iou_predictions", "stability", "areas", "low_res_masks"]
        res = onnx_model(**dummy_inputs)
        for name, r in zip(output_names, res):
            out.append(f"{name} {tuple(r.shape)} {r.dtype}")
            vals.append(r)
    size = SamOnnxModel.resize_longest_image_size(torch.tensor([1500, 2250]), 64)
    out.append(f"resize {size.tolist()} {size.dtype}")
    enc = ImageEncoderOnnxModel(sam, use_preprocess=True)
    rng = np.random.default_rng(9)
    img = torch.from_numpy((rng.random((48, 64, 3)) * 255).astype(np.float32))
    emb = enc(img)
    out.append(f"image_embeddings {tuple(emb.shape)} abs sum {emb.abs().sum().item():.3f}")
    return out, vals
