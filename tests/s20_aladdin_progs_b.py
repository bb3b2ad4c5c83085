"""aladdinpersson/Machine-Learning-Collection, ML/Pytorch/object_detection as users type
them: metrics/iou.py, metrics/nms.py and metrics/mean_avg_precision.py (YOLO/, which uses them,
is in s20_aladdin_progs_h.py), Pascal VOC replaced by seeded random tensors. For
tests/test_programs_s20_aladdin.py."""

from collections import Counter

import numpy as np
from s16_yunjey_progs import Out


def _metrics(torch):
    """The three metric functions of metrics/*.py (and YOLO/utils.py), bound to a library."""

    def intersection_over_union(boxes_preds, boxes_labels, box_format="midpoint"):
        if box_format == "midpoint":
            box1_x1 = boxes_preds[..., 0:1] - boxes_preds[..., 2:3] / 2
            box1_y1 = boxes_preds[..., 1:2] - boxes_preds[..., 3:4] / 2
            box1_x2 = boxes_preds[..., 0:1] + boxes_preds[..., 2:3] / 2
            box1_y2 = boxes_preds[..., 1:2] + boxes_preds[..., 3:4] / 2
            box2_x1 = boxes_labels[..., 0:1] - boxes_labels[..., 2:3] / 2
            box2_y1 = boxes_labels[..., 1:2] - boxes_labels[..., 3:4] / 2
            box2_x2 = boxes_labels[..., 0:1] + boxes_labels[..., 2:3] / 2
            box2_y2 = boxes_labels[..., 1:2] + boxes_labels[..., 3:4] / 2
        elif box_format == "corners":
            box1_x1 = boxes_preds[..., 0:1]
            box1_y1 = boxes_preds[..., 1:2]
            box1_x2 = boxes_preds[..., 2:3]
            box1_y2 = boxes_preds[..., 3:4]
            box2_x1 = boxes_labels[..., 0:1]
            box2_y1 = boxes_labels[..., 1:2]
            box2_x2 = boxes_labels[..., 2:3]
            box2_y2 = boxes_labels[..., 3:4]
        x1 = torch.max(box1_x1, box2_x1)
        y1 = torch.max(box1_y1, box2_y1)
        x2 = torch.min(box1_x2, box2_x2)
        y2 = torch.min(box1_y2, box2_y2)
        intersection = (x2 - x1).clamp(0) * (y2 - y1).clamp(0)
        box1_area = abs((box1_x2 - box1_x1) * (box1_y2 - box1_y1))
        box2_area = abs((box2_x2 - box2_x1) * (box2_y2 - box2_y1))
        return intersection / (box1_area + box2_area - intersection + 1e-6)

    def non_max_suppression(bboxes, iou_threshold, threshold, box_format="corners"):
        assert type(bboxes) == list
        bboxes = [box for box in bboxes if box[1] > threshold]
        bboxes = sorted(bboxes, key=lambda x: x[1], reverse=True)
        bboxes_after_nms = []
        while bboxes:
            chosen_box = bboxes.pop(0)
            bboxes = [
                box
                for box in bboxes
                if box[0] != chosen_box[0]
                or intersection_over_union(
                    torch.tensor(chosen_box[2:]),
                    torch.tensor(box[2:]),
                    box_format=box_format,
                )
                < iou_threshold
            ]
            bboxes_after_nms.append(chosen_box)
        return bboxes_after_nms

    def mean_average_precision(pred_boxes, true_boxes, iou_threshold=0.5,
                               box_format="midpoint", num_classes=20):
        average_precisions = []
        epsilon = 1e-6
        for c in range(num_classes):
            detections = []
            ground_truths = []
            for detection in pred_boxes:
                if detection[1] == c:
                    detections.append(detection)
            for true_box in true_boxes:
                if true_box[1] == c:
                    ground_truths.append(true_box)
            amount_bboxes = Counter([gt[0] for gt in ground_truths])
            for key, val in amount_bboxes.items():
                amount_bboxes[key] = torch.zeros(val)
            detections.sort(key=lambda x: x[2], reverse=True)
            TP = torch.zeros((len(detections)))
            FP = torch.zeros((len(detections)))
            total_true_bboxes = len(ground_truths)
            if total_true_bboxes == 0:
                continue
            for detection_idx, detection in enumerate(detections):
                ground_truth_img = [
                    bbox for bbox in ground_truths if bbox[0] == detection[0]
                ]
                num_gts = len(ground_truth_img)  # noqa: F841 - as the file has it
                best_iou = 0
                for idx, gt in enumerate(ground_truth_img):
                    iou = intersection_over_union(
                        torch.tensor(detection[3:]),
                        torch.tensor(gt[3:]),
                        box_format=box_format,
                    )
                    if iou > best_iou:
                        best_iou = iou
                        best_gt_idx = idx
                if best_iou > iou_threshold:
                    if amount_bboxes[detection[0]][best_gt_idx] == 0:
                        TP[detection_idx] = 1
                        amount_bboxes[detection[0]][best_gt_idx] = 1
                    else:
                        FP[detection_idx] = 1
                else:
                    FP[detection_idx] = 1
            TP_cumsum = torch.cumsum(TP, dim=0)
            FP_cumsum = torch.cumsum(FP, dim=0)
            recalls = TP_cumsum / (total_true_bboxes + epsilon)
            precisions = torch.divide(TP_cumsum, (TP_cumsum + FP_cumsum + epsilon))
            precisions = torch.cat((torch.tensor([1]), precisions))
            recalls = torch.cat((torch.tensor([0]), recalls))
            average_precisions.append(torch.trapz(precisions, recalls))
        return sum(average_precisions) / len(average_precisions)

    return intersection_over_union, non_max_suppression, mean_average_precision


def _boxes(rng, n, img, ncls=3):
    """n [train_idx, class, score, x, y, w, h] midpoint boxes as Python floats."""
    out = []
    for _ in range(n):
        out.append([int(rng.randint(img)), int(rng.randint(ncls)), float(rng.rand()),
                    float(rng.uniform(0.2, 0.8)), float(rng.uniform(0.2, 0.8)),
                    float(rng.uniform(0.1, 0.5)), float(rng.uniform(0.1, 0.5))])
    return out


def metrics(L):
    """The unit tests' style of use: IoU of (N, 4) tensors in both box formats and of
    (N, S, S, 4) ones, NMS on lists of boxes, mAP of predictions jittered from the truth."""
    torch = L
    iou, nms, mAP = _metrics(L)
    with Out() as o:
        torch.manual_seed(0)
        rng = np.random.RandomState(0)
        a = torch.tensor(rng.rand(6, 4).astype(np.float32))
        b = torch.tensor(rng.rand(6, 4).astype(np.float32))
        for fmt in ("midpoint", "corners"):
            r = iou(a, b, box_format=fmt)
            o.print(fmt, r.shape, r.dtype)
            o.vals.append(r)
        t1 = torch.tensor([0.8, 0.1, 0.2, 0.2])
        t2 = torch.tensor([0.9, 0.2, 0.2, 0.2])
        r = iou(t1, t2)
        o.print(r, r.shape, (abs(r - 1 / 7) < 0.001).item())
        r = iou(torch.tensor([[0, 0, 2, 2]]), torch.tensor([[1, 1, 3, 3]]), box_format="corners")
        o.print(r, r.dtype)
        g = iou(torch.rand(2, 7, 7, 4), torch.rand(2, 7, 7, 4))
        o.print(g.shape)
        o.vals.append(g)

        t1_boxes = [
            [1, 1, 0.5, 0.45, 0.4, 0.5],
            [1, 0.8, 0.5, 0.5, 0.2, 0.4],
            [1, 0.7, 0.25, 0.35, 0.3, 0.1],
            [1, 0.05, 0.1, 0.1, 0.1, 0.1],
        ]
        o.print(nms(t1_boxes, threshold=0.2, iou_threshold=7 / 20, box_format="midpoint"))
        t2_boxes = [
            [1, 1, 0.5, 0.45, 0.4, 0.5],
            [2, 0.9, 0.5, 0.5, 0.2, 0.4],
            [1, 0.8, 0.25, 0.35, 0.3, 0.1],
            [1, 0.05, 0.1, 0.1, 0.1, 0.1],
        ]
        o.print(nms(t2_boxes, threshold=0.2, iou_threshold=7 / 20, box_format="midpoint"))
        corners = [[int(rng.randint(2)), float(rng.rand()), *sorted(rng.rand(2).tolist()),
                    *sorted(rng.rand(2).tolist())] for _ in range(12)]
        corners = [[c, s, x1, y1, x2, y2] for c, s, x1, x2, y1, y2 in corners]
        o.print(nms(corners, iou_threshold=0.3, threshold=0.1))
        try:
            nms(tuple(corners), 0.3, 0.1)
        except AssertionError as e:
            o.print("AssertionError", repr(str(e)))

        true_boxes = _boxes(rng, 14, 3)
        preds = []
        for tb in true_boxes:
            p = list(tb)
            p[2] = float(rng.rand())
            p[3] += float(rng.normal(0, 0.05))
            p[4] += float(rng.normal(0, 0.05))
            preds.append(p)
        preds += _boxes(rng, 5, 3)
        for thr in (0.5, 0.75):
            m = mAP(preds, true_boxes, iou_threshold=thr, num_classes=3)
            o.print(f"mAP@{thr}: {m.item():.6f}", type(m).__name__, m.dtype, m.shape)
            o.vals.append(m)
        m = mAP(preds[:4], true_boxes[:4], iou_threshold=0.5, box_format="midpoint",
                num_classes=3)
        o.print(type(m).__name__, m)
        o.tryit(lambda: mAP([], [], num_classes=2))
        o.print(torch.trapz(torch.tensor([1, 2, 3]), torch.tensor([0, 1, 3])))
        o.print(torch.trapz(torch.tensor([1.0, 0.5, 0.25])))
        o.print(torch.trapezoid(torch.tensor([1.0, 0.5, 0.25]), dx=0.5))
    return o.done()
