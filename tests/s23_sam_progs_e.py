"""segment-anything programs on the tiny Sam: the SamPredictor notebook flow
(predictor_example.ipynb: point, multi-point, box, box + point, mask_input from a previous
low-res logit, batched boxes through apply_boxes_torch / predict_torch) and the automatic mask
generator's per-batch and per-crop processing (automatic_mask_generator.py's _process_batch and
the crop-level filtering, with a NumPy stand-in for torchvision's batched_nms)."""

import numpy as np

from s23_sam_progs_b import sam_model_modules
from s23_sam_progs_d import sam_util_modules


def _setup(torch):
    M = sam_model_modules(torch)
    U = sam_util_modules(torch)
    torch.manual_seed(0)
    sam = M["build_sam"]()
    predictor = U["SamPredictor"](sam)
    rng = np.random.default_rng(5)
    image = (rng.random((80, 100, 3)) * 255).astype(np.uint8)
    input_image_torch = torch.as_tensor(image)
    input_image_torch = input_image_torch.permute(2, 0, 1).contiguous()[None, :, :, :]
    input_image = predictor.transform.apply_image_torch(input_image_torch.float())
    return M, U, sam, predictor, image, input_image


def predictor_flow(torch):
    M, U, sam, predictor, image, input_image = _setup(torch)
    out, vals = [], []
    out.append(f"resized {tuple(input_image.shape)} {input_image.dtype}")
    vals.append(input_image)
    try:
        predictor.predict(point_coords=np.array([[10, 20]]), point_labels=np.array([1]))
    except RuntimeError as e:
        out.append(f"RuntimeError {e}")
    predictor.set_torch_image(input_image, image.shape[:2])
    out.append(f"input_size {predictor.input_size} original {predictor.original_size}")
    emb = predictor.get_image_embedding()
    out.append(f"embedding {tuple(emb.shape)} {emb.requires_grad}")
    # the embedding itself ends in LayerNorm2d, which scales the patch conv's float32 rounding
    # (BLAS-order dependent) up to ~2e-6 on O(1) values: its sum is compared to 4 decimals
    out.append(f"embedding abs sum {emb.abs().sum().item():.3f}")
    input_point = np.array([[50, 37]])
    input_label = np.array([1])
    masks, scores, logits = predictor.predict(point_coords=input_point, point_labels=input_label,
                                              multimask_output=True)
    out.append(f"masks {masks.shape} {masks.dtype} scores {scores.shape} {scores.dtype} "
               f"logits {logits.shape}")
    vals += [scores, logits]
    mask_input = logits[np.argmax(scores), :, :]
    input_point = np.array([[50, 37], [80, 60]])
    input_label = np.array([1, 0])
    masks, scores, _ = predictor.predict(point_coords=input_point, point_labels=input_label,
                                         mask_input=mask_input[None, :, :], multimask_output=False)
    out.append(f"with mask_input {masks.shape} {scores.shape}")
    vals += [scores]
    input_box = np.array([25, 20, 70, 60])
    masks, scores, logits = predictor.predict(point_coords=None, point_labels=None,
                                              box=input_box[None, :], multimask_output=False)
    out.append(f"box {masks.shape} {scores.tolist() == scores.tolist()}")
    vals += [scores, logits]
    masks, scores, logits = predictor.predict(point_coords=np.array([[40, 40]]),
                                              point_labels=np.array([0]), box=input_box,
                                              multimask_output=False, return_logits=True)
    out.append(f"box+point {masks.dtype} {masks.shape}")
    vals += [scores, masks]
    input_boxes = torch.tensor([[5, 5, 60, 40], [30, 20, 95, 75], [0, 0, 99, 79]])
    transformed_boxes = predictor.transform.apply_boxes_torch(input_boxes, image.shape[:2])
    out.append(f"transformed_boxes {transformed_boxes.dtype} {transformed_boxes.tolist()}")
    masks, scores, low = predictor.predict_torch(point_coords=None, point_labels=None,
                                                 boxes=transformed_boxes, multimask_output=False)
    out.append(f"batched {tuple(masks.shape)} {masks.dtype} {tuple(scores.shape)} {tuple(low.shape)}")
    vals += [scores, low]
    coords = predictor.transform.apply_coords_torch(torch.tensor([[[10, 20], [99, 79]]]),
                                                    image.shape[:2])
    out.append(f"coords {coords.dtype} {coords.tolist()}")
    predictor.reset_image()
    try:
        predictor.get_image_embedding()
    except RuntimeError as e:
        out.append(f"RuntimeError {e}")
    try:
        predictor.set_torch_image(input_image[:, :, :, :50], image.shape[:2])
    except AssertionError as e:
        out.append(f"AssertionError {e}")
    return out, vals


def _batched_nms(boxes, scores, idxs, iou_threshold):
    """NumPy greedy NMS per category (torchvision.ops.batched_nms's result)."""
    boxes, scores, idxs = np.asarray(boxes, np.float64), np.asarray(scores), np.asarray(idxs)
    order = np.argsort(-scores, kind="stable")
    keep = []
    for i in order:
        ok = True
        for j in keep:
            if idxs[i] != idxs[j]:
                continue
            lt = np.maximum(boxes[i, :2], boxes[j, :2])
            rb = np.minimum(boxes[i, 2:], boxes[j, 2:])
            wh = np.clip(rb - lt, 0, None)
            inter = wh[0] * wh[1]
            a = np.prod(boxes[i, 2:] - boxes[i, :2])
            b = np.prod(boxes[j, 2:] - boxes[j, :2])
            if inter / (a + b - inter) > iou_threshold:
                ok = False
                break
        if ok:
            keep.append(i)
    return np.array(keep, dtype=np.int64)


def _process_crop(torch, U, predictor, image, crop_box, crop_layer_idx, point_grids,
                  points_per_batch, pred_iou_thresh, stability_score_thresh,
                  stability_score_offset, box_nms_thresh, out, vals):
    orig_size = image.shape[:2]
    x0, y0, x1, y1 = crop_box
    cropped_im = image[y0:y1, x0:x1, :]
    cropped_im_size = cropped_im.shape[:2]
    t = torch.as_tensor(cropped_im).permute(2, 0, 1).contiguous()[None, :, :, :].float()
    predictor.set_torch_image(predictor.transform.apply_image_torch(t), cropped_im_size)
    points_scale = np.array(cropped_im_size)[None, ::-1]
    points_for_image = point_grids[crop_layer_idx] * points_scale
    data = U["MaskData"]()
    orig_h, orig_w = orig_size
    for (points,) in U["batch_iterator"](points_per_batch, points_for_image):
        im_size = cropped_im_size
        transformed_points = predictor.transform.apply_coords(points, im_size)
        in_points = torch.as_tensor(transformed_points, device=predictor.device)
        in_labels = torch.ones(in_points.shape[0], dtype=torch.int, device=in_points.device)
        masks, iou_preds, _ = predictor.predict_torch(in_points[:, None, :], in_labels[:, None],
                                                      multimask_output=True, return_logits=True)
        batch_data = U["MaskData"](masks=masks.flatten(0, 1), iou_preds=iou_preds.flatten(0, 1),
                                   points=torch.as_tensor(points.repeat(masks.shape[1], axis=0)))
        del masks
        if pred_iou_thresh > 0.0:
            keep_mask = batch_data["iou_preds"] > pred_iou_thresh
            batch_data.filter(keep_mask)
        batch_data["stability_score"] = U["calculate_stability_score"](
            batch_data["masks"], predictor.model.mask_threshold, stability_score_offset)
        vals.append(batch_data["stability_score"])
        if stability_score_thresh > 0.0:
            keep_mask = batch_data["stability_score"] >= stability_score_thresh
            batch_data.filter(keep_mask)
        batch_data["masks"] = batch_data["masks"] > predictor.model.mask_threshold
        batch_data["boxes"] = U["batched_mask_to_box"](batch_data["masks"])
        out.append(f"boxes {batch_data['boxes'].dtype} {batch_data['boxes'].tolist()}")
        keep_mask = ~U["is_box_near_crop_edge"](batch_data["boxes"], crop_box, [0, 0, orig_w, orig_h])
        out.append(f"keep {keep_mask.tolist()}")
        if not torch.all(keep_mask):
            batch_data.filter(keep_mask)
        batch_data["masks"] = U["uncrop_masks"](batch_data["masks"], crop_box, orig_h, orig_w)
        out.append(f"uncropped {tuple(batch_data['masks'].shape)} {batch_data['masks'].dtype}")
        batch_data["rles"] = U["mask_to_rle_pytorch"](batch_data["masks"])
        for rle, m in zip(batch_data["rles"], batch_data["masks"]):
            assert (U["rle_to_mask"](rle) == m.numpy()).all()
        out.append(str([U["area_from_rle"](r) for r in batch_data["rles"]]))
        del batch_data["masks"]
        data.cat(batch_data)
        del batch_data
    predictor.reset_image()
    keep_by_nms = _batched_nms(data["boxes"].float().numpy(), data["iou_preds"].numpy(),
                               np.zeros(len(data["boxes"])), box_nms_thresh)
    data.filter(torch.as_tensor(keep_by_nms))
    data["boxes"] = U["uncrop_boxes_xyxy"](data["boxes"], crop_box)
    data["points"] = U["uncrop_points"](data["points"], crop_box)
    data["crop_boxes"] = torch.tensor([crop_box for _ in range(len(data["rles"]))])
    out.append(f"after nms {len(data['rles'])} {data['boxes'].dtype} {data['points'].dtype}")
    out.append(str(data["boxes"].tolist()))
    xywh = [U["box_xyxy_to_xywh"](b).tolist() for b in data["boxes"]]
    out.append(str(xywh))
    vals += [data["iou_preds"], data["points"]]
    data.to_numpy()
    out.append(str(sorted((k, type(v).__name__) for k, v in data.items())))


def auto_mask_generator(torch):
    M, U, sam, predictor, image, input_image = _setup(torch)
    out, vals = [], []
    points_per_batch, pred_iou_thresh = 4, -1.0
    stability_score_thresh, stability_score_offset = 0.0, 1.0
    box_nms_thresh = 0.7
    orig_size = image.shape[:2]
    crop_boxes, layer_idxs = U["generate_crop_boxes"](orig_size, 1, 512 / 1500)
    out.append(f"crop_boxes {crop_boxes} {layer_idxs}")
    point_grids = [U["build_point_grid"](3), U["build_point_grid"](1)]
    for crop_box, crop_layer_idx in [(crop_boxes[0], layer_idxs[0]), (crop_boxes[4], layer_idxs[4])]:
        _process_crop(torch, U, predictor, image, crop_box, crop_layer_idx, point_grids,
                      points_per_batch, pred_iou_thresh, stability_score_thresh,
                      stability_score_offset, box_nms_thresh, out, vals)
    try:
        U["MaskData"](bad=3)
    except AssertionError as e:
        out.append(f"AssertionError {e}")
    empty = U["batched_mask_to_box"](torch.zeros(2, 0, 5, 5, dtype=torch.bool))
    out.append(f"empty {tuple(empty.shape)} {empty.dtype}")
    return out, vals
