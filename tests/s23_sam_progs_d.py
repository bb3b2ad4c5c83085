"""segment-anything's utils/transforms.py (ResizeLongestSide: the torch methods and the NumPy
coordinate ones; apply_image needs PIL / torchvision and is left out), predictor.py
(SamPredictor: set_torch_image, predict, predict_torch) and utils/amg.py (MaskData,
calculate_stability_score, batched_mask_to_box, is_box_near_crop_edge, mask_to_rle_pytorch,
rle_to_mask, build_point_grid, generate_crop_boxes, uncrop_*) with automatic_mask_generator.py's
_process_batch, on the tiny Sam of s23_sam_progs_b. torchvision's batched_nms is not available
here: a greedy per-category NMS written out in NumPy stands in for it."""

import math
from copy import deepcopy
from itertools import product

import numpy as np


def sam_util_modules(L):
    torch, F = L, L.nn.functional

    class ResizeLongestSide:
        def __init__(self, target_length: int) -> None:
            self.target_length = target_length

        def apply_coords(self, coords, original_size):
            old_h, old_w = original_size
            new_h, new_w = self.get_preprocess_shape(original_size[0], original_size[1],
                                                     self.target_length)
            coords = deepcopy(coords).astype(float)
            coords[..., 0] = coords[..., 0] * (new_w / old_w)
            coords[..., 1] = coords[..., 1] * (new_h / old_h)
            return coords

        def apply_boxes(self, boxes, original_size):
            boxes = self.apply_coords(boxes.reshape(-1, 2, 2), original_size)
            return boxes.reshape(-1, 4)

        def apply_image_torch(self, image):
            target_size = self.get_preprocess_shape(image.shape[2], image.shape[3], self.target_length)
            return F.interpolate(image, target_size, mode="bilinear", align_corners=False,
                                 antialias=True)

        def apply_coords_torch(self, coords, original_size):
            old_h, old_w = original_size
            new_h, new_w = self.get_preprocess_shape(original_size[0], original_size[1],
                                                     self.target_length)
            coords = deepcopy(coords).to(torch.float)
            coords[..., 0] = coords[..., 0] * (new_w / old_w)
            coords[..., 1] = coords[..., 1] * (new_h / old_h)
            return coords

        def apply_boxes_torch(self, boxes, original_size):
            boxes = self.apply_coords_torch(boxes.reshape(-1, 2, 2), original_size)
            return boxes.reshape(-1, 4)

        @staticmethod
        def get_preprocess_shape(oldh, oldw, long_side_length):
            scale = long_side_length * 1.0 / max(oldh, oldw)
            newh, neww = oldh * scale, oldw * scale
            neww = int(neww + 0.5)
            newh = int(newh + 0.5)
            return (newh, neww)

    class SamPredictor:
        def __init__(self, sam_model) -> None:
            super().__init__()
            self.model = sam_model
            self.transform = ResizeLongestSide(sam_model.image_encoder.img_size)
            self.reset_image()

        @torch.no_grad()
        def set_torch_image(self, transformed_image, original_image_size):
            assert (len(transformed_image.shape) == 4 and transformed_image.shape[1] == 3
                    and max(*transformed_image.shape[2:]) == self.model.image_encoder.img_size), \
                f"set_torch_image input must be BCHW with long side {self.model.image_encoder.img_size}."
            self.reset_image()
            self.original_size = original_image_size
            self.input_size = tuple(transformed_image.shape[-2:])
            input_image = self.model.preprocess(transformed_image)
            self.features = self.model.image_encoder(input_image)
            self.is_image_set = True

        def predict(self, point_coords=None, point_labels=None, box=None, mask_input=None,
                    multimask_output=True, return_logits=False):
            if not self.is_image_set:
                raise RuntimeError("An image must be set with .set_image(...) before mask prediction.")
            coords_torch, labels_torch, box_torch, mask_input_torch = None, None, None, None
            if point_coords is not None:
                assert point_labels is not None, "point_labels must be supplied if point_coords is supplied."
                point_coords = self.transform.apply_coords(point_coords, self.original_size)
                coords_torch = torch.as_tensor(point_coords, dtype=torch.float, device=self.device)
                labels_torch = torch.as_tensor(point_labels, dtype=torch.int, device=self.device)
                coords_torch, labels_torch = coords_torch[None, :, :], labels_torch[None, :]
            if box is not None:
                box = self.transform.apply_boxes(box, self.original_size)
                box_torch = torch.as_tensor(box, dtype=torch.float, device=self.device)
                box_torch = box_torch[None, :]
            if mask_input is not None:
                mask_input_torch = torch.as_tensor(mask_input, dtype=torch.float, device=self.device)
                mask_input_torch = mask_input_torch[None, :, :, :]
            masks, iou_predictions, low_res_masks = self.predict_torch(
                coords_torch, labels_torch, box_torch, mask_input_torch, multimask_output,
                return_logits=return_logits)
            masks_np = masks[0].detach().cpu().numpy()
            iou_predictions_np = iou_predictions[0].detach().cpu().numpy()
            low_res_masks_np = low_res_masks[0].detach().cpu().numpy()
            return masks_np, iou_predictions_np, low_res_masks_np

        @torch.no_grad()
        def predict_torch(self, point_coords, point_labels, boxes=None, mask_input=None,
                          multimask_output=True, return_logits=False):
            if not self.is_image_set:
                raise RuntimeError("An image must be set with .set_image(...) before mask prediction.")
            if point_coords is not None:
                points = (point_coords, point_labels)
            else:
                points = None
            sparse_embeddings, dense_embeddings = self.model.prompt_encoder(
                points=points, boxes=boxes, masks=mask_input)
            low_res_masks, iou_predictions = self.model.mask_decoder(
                image_embeddings=self.features,
                image_pe=self.model.prompt_encoder.get_dense_pe(),
                sparse_prompt_embeddings=sparse_embeddings,
                dense_prompt_embeddings=dense_embeddings,
                multimask_output=multimask_output)
            masks = self.model.postprocess_masks(low_res_masks, self.input_size, self.original_size)
            if not return_logits:
                masks = masks > self.model.mask_threshold
            return masks, iou_predictions, low_res_masks

        def get_image_embedding(self):
            if not self.is_image_set:
                raise RuntimeError("An image must be set with .set_image(...) to generate an embedding.")
            assert self.features is not None, "Features must exist if an image has been set."
            return self.features

        @property
        def device(self):
            return self.model.device

        def reset_image(self) -> None:
            self.is_image_set = False
            self.features = None
            self.orig_h = None
            self.orig_w = None
            self.input_h = None
            self.input_w = None

    # utils/amg.py
    class MaskData:
        def __init__(self, **kwargs) -> None:
            for v in kwargs.values():
                assert isinstance(v, (list, np.ndarray, torch.Tensor)), \
                    "MaskData only supports list, numpy arrays, and torch tensors."
            self._stats = dict(**kwargs)

        def __setitem__(self, key, item) -> None:
            assert isinstance(item, (list, np.ndarray, torch.Tensor)), \
                "MaskData only supports list, numpy arrays, and torch tensors."
            self._stats[key] = item

        def __delitem__(self, key) -> None:
            del self._stats[key]

        def __getitem__(self, key):
            return self._stats[key]

        def items(self):
            return self._stats.items()

        def filter(self, keep) -> None:
            for k, v in self._stats.items():
                if v is None:
                    self._stats[k] = None
                elif isinstance(v, torch.Tensor):
                    self._stats[k] = v[torch.as_tensor(keep, device=v.device)]
                elif isinstance(v, np.ndarray):
                    self._stats[k] = v[keep.detach().cpu().numpy()]
                elif isinstance(v, list) and keep.dtype == torch.bool:
                    self._stats[k] = [a for i, a in enumerate(v) if keep[i]]
                elif isinstance(v, list):
                    self._stats[k] = [v[i] for i in keep]
                else:
                    raise TypeError(f"MaskData key {k} has an unsupported type {type(v)}.")

        def cat(self, new_stats) -> None:
            for k, v in new_stats.items():
                if k not in self._stats or self._stats[k] is None:
                    self._stats[k] = deepcopy(v)
                elif isinstance(v, torch.Tensor):
                    self._stats[k] = torch.cat([self._stats[k], v], dim=0)
                elif isinstance(v, np.ndarray):
                    self._stats[k] = np.concatenate([self._stats[k], v], axis=0)
                elif isinstance(v, list):
                    self._stats[k] = self._stats[k] + deepcopy(v)
                else:
                    raise TypeError(f"MaskData key {k} has an unsupported type {type(v)}.")

        def to_numpy(self) -> None:
            for k, v in self._stats.items():
                if isinstance(v, torch.Tensor):
                    self._stats[k] = v.detach().cpu().numpy()

    def is_box_near_crop_edge(boxes, crop_box, orig_box, atol=20.0):
        crop_box_torch = torch.as_tensor(crop_box, dtype=torch.float, device=boxes.device)
        orig_box_torch = torch.as_tensor(orig_box, dtype=torch.float, device=boxes.device)
        boxes = uncrop_boxes_xyxy(boxes, crop_box).float()
        near_crop_edge = torch.isclose(boxes, crop_box_torch[None, :], atol=atol, rtol=0)
        near_image_edge = torch.isclose(boxes, orig_box_torch[None, :], atol=atol, rtol=0)
        near_crop_edge = torch.logical_and(near_crop_edge, ~near_image_edge)
        return torch.any(near_crop_edge, dim=1)

    def box_xyxy_to_xywh(box_xyxy):
        box_xywh = deepcopy(box_xyxy)
        box_xywh[2] = box_xywh[2] - box_xywh[0]
        box_xywh[3] = box_xywh[3] - box_xywh[1]
        return box_xywh

    def batch_iterator(batch_size, *args):
        assert len(args) > 0 and all(len(a) == len(args[0]) for a in args), \
            "Batched iteration must have inputs of all the same size."
        n_batches = len(args[0]) // batch_size + int(len(args[0]) % batch_size != 0)
        for b in range(n_batches):
            yield [arg[b * batch_size: (b + 1) * batch_size] for arg in args]

    def mask_to_rle_pytorch(tensor):
        b, h, w = tensor.shape
        tensor = tensor.permute(0, 2, 1).flatten(1)
        diff = tensor[:, 1:] ^ tensor[:, :-1]
        change_indices = diff.nonzero()
        out = []
        for i in range(b):
            cur_idxs = change_indices[change_indices[:, 0] == i, 1]
            cur_idxs = torch.cat([
                torch.tensor([0], dtype=cur_idxs.dtype, device=cur_idxs.device),
                cur_idxs + 1,
                torch.tensor([h * w], dtype=cur_idxs.dtype, device=cur_idxs.device),
            ])
            btw_idxs = cur_idxs[1:] - cur_idxs[:-1]
            counts = [] if tensor[i, 0] == 0 else [0]
            counts.extend(btw_idxs.detach().cpu().tolist())
            out.append({"size": [h, w], "counts": counts})
        return out

    def rle_to_mask(rle):
        h, w = rle["size"]
        mask = np.empty(h * w, dtype=bool)
        idx = 0
        parity = False
        for count in rle["counts"]:
            mask[idx: idx + count] = parity
            idx += count
            parity ^= True
        mask = mask.reshape(w, h)
        return mask.transpose()

    def area_from_rle(rle):
        return sum(rle["counts"][1::2])

    def calculate_stability_score(masks, mask_threshold, threshold_offset):
        intersections = ((masks > (mask_threshold + threshold_offset))
                         .sum(-1, dtype=torch.int16).sum(-1, dtype=torch.int32))
        unions = ((masks > (mask_threshold - threshold_offset))
                  .sum(-1, dtype=torch.int16).sum(-1, dtype=torch.int32))
        return intersections / unions

    def build_point_grid(n_per_side):
        offset = 1 / (2 * n_per_side)
        points_one_side = np.linspace(offset, 1 - offset, n_per_side)
        points_x = np.tile(points_one_side[None, :], (n_per_side, 1))
        points_y = np.tile(points_one_side[:, None], (1, n_per_side))
        points = np.stack([points_x, points_y], axis=-1).reshape(-1, 2)
        return points

    def generate_crop_boxes(im_size, n_layers, overlap_ratio):
        crop_boxes, layer_idxs = [], []
        im_h, im_w = im_size
        short_side = min(im_h, im_w)
        crop_boxes.append([0, 0, im_w, im_h])
        layer_idxs.append(0)

        def crop_len(orig_len, n_crops, overlap):
            return int(math.ceil((overlap * (n_crops - 1) + orig_len) / n_crops))

        for i_layer in range(n_layers):
            n_crops_per_side = 2 ** (i_layer + 1)
            overlap = int(overlap_ratio * short_side * (2 / n_crops_per_side))
            crop_w = crop_len(im_w, n_crops_per_side, overlap)
            crop_h = crop_len(im_h, n_crops_per_side, overlap)
            crop_box_x0 = [int((crop_w - overlap) * i) for i in range(n_crops_per_side)]
            crop_box_y0 = [int((crop_h - overlap) * i) for i in range(n_crops_per_side)]
            for x0, y0 in product(crop_box_x0, crop_box_y0):
                box = [x0, y0, min(x0 + crop_w, im_w), min(y0 + crop_h, im_h)]
                crop_boxes.append(box)
                layer_idxs.append(i_layer + 1)
        return crop_boxes, layer_idxs

    def uncrop_boxes_xyxy(boxes, crop_box):
        x0, y0, _, _ = crop_box
        offset = torch.tensor([[x0, y0, x0, y0]], device=boxes.device)
        if len(boxes.shape) == 3:
            offset = offset.unsqueeze(1)
        return boxes + offset

    def uncrop_points(points, crop_box):
        x0, y0, _, _ = crop_box
        offset = torch.tensor([[x0, y0]], device=points.device)
        if len(points.shape) == 3:
            offset = offset.unsqueeze(1)
        return points + offset

    def uncrop_masks(masks, crop_box, orig_h, orig_w):
        x0, y0, x1, y1 = crop_box
        if x0 == 0 and y0 == 0 and x1 == orig_w and y1 == orig_h:
            return masks
        pad_x, pad_y = orig_w - (x1 - x0), orig_h - (y1 - y0)
        pad = (x0, pad_x - x0, y0, pad_y - y0)
        return torch.nn.functional.pad(masks, pad, value=0)

    def batched_mask_to_box(masks):
        if torch.numel(masks) == 0:
            return torch.zeros(*masks.shape[:-2], 4, device=masks.device)
        shape = masks.shape
        h, w = shape[-2:]
        if len(shape) > 2:
            masks = masks.flatten(0, -3)
        else:
            masks = masks.unsqueeze(0)
        in_height, _ = torch.max(masks, dim=-1)
        in_height_coords = in_height * torch.arange(h, device=in_height.device)[None, :]
        bottom_edges, _ = torch.max(in_height_coords, dim=-1)
        in_height_coords = in_height_coords + h * (~in_height)
        top_edges, _ = torch.min(in_height_coords, dim=-1)
        in_width, _ = torch.max(masks, dim=-2)
        in_width_coords = in_width * torch.arange(w, device=in_width.device)[None, :]
        right_edges, _ = torch.max(in_width_coords, dim=-1)
        in_width_coords = in_width_coords + w * (~in_width)
        left_edges, _ = torch.min(in_width_coords, dim=-1)
        empty_filter = (right_edges < left_edges) | (bottom_edges < top_edges)
        out = torch.stack([left_edges, top_edges, right_edges, bottom_edges], dim=-1)
        out = out * (~empty_filter).unsqueeze(-1)
        if len(shape) > 2:
            out = out.reshape(*shape[:-2], 4)
        else:
            out = out[0]
        return out

    return dict(ResizeLongestSide=ResizeLongestSide, SamPredictor=SamPredictor,
                MaskData=MaskData, is_box_near_crop_edge=is_box_near_crop_edge,
                box_xyxy_to_xywh=box_xyxy_to_xywh, batch_iterator=batch_iterator,
                mask_to_rle_pytorch=mask_to_rle_pytorch, rle_to_mask=rle_to_mask,
                area_from_rle=area_from_rle, calculate_stability_score=calculate_stability_score,
                build_point_grid=build_point_grid, generate_crop_boxes=generate_crop_boxes,
                uncrop_boxes_xyxy=uncrop_boxes_xyxy, uncrop_points=uncrop_points,
                uncrop_masks=uncrop_masks, batched_mask_to_box=batched_mask_to_box)
