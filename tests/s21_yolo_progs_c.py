"""eriklindernoren/PyTorch-YOLOv3 pytorchyolo/utils/utils.py as users type it: xywh2xyxy
(x.new(x.shape)), bbox_wh_iou, bbox_iou (the +1 pixel form), box_iou, rescale_boxes,
non_max_suppression (with the greedy NMS users write when torchvision is absent in place of
torchvision.ops.nms), get_batch_statistics, ap_per_class / compute_ap, and test.py's
_evaluate / detect.py's detect_image flow around them on the small Darknet of
tests/s21_yolo_progs.py."""

import os
import tempfile
import time

import numpy as np
from s16_yunjey_progs import Out
from s21_yolo_progs import yolo_models
from s21_yolo_progs_e import cfg_path, images


def yolo_utils(torch):
    """utils/utils.py bound to a library."""

    def to_cpu(tensor):
        return tensor.detach().cpu()

    def rescale_boxes(boxes, current_dim, original_shape):
        orig_h, orig_w = original_shape
        pad_x = max(orig_h - orig_w, 0) * (current_dim / max(original_shape))
        pad_y = max(orig_w - orig_h, 0) * (current_dim / max(original_shape))
        unpad_h = current_dim - pad_y
        unpad_w = current_dim - pad_x
        boxes[:, 0] = ((boxes[:, 0] - pad_x // 2) / unpad_w) * orig_w
        boxes[:, 1] = ((boxes[:, 1] - pad_y // 2) / unpad_h) * orig_h
        boxes[:, 2] = ((boxes[:, 2] - pad_x // 2) / unpad_w) * orig_w
        boxes[:, 3] = ((boxes[:, 3] - pad_y // 2) / unpad_h) * orig_h
        return boxes

    def xywh2xyxy(x):
        y = x.new(x.shape)
        y[..., 0] = x[..., 0] - x[..., 2] / 2
        y[..., 1] = x[..., 1] - x[..., 3] / 2
        y[..., 2] = x[..., 0] + x[..., 2] / 2
        y[..., 3] = x[..., 1] + x[..., 3] / 2
        return y

    def ap_per_class(tp, conf, pred_cls, target_cls):
        i = np.argsort(-conf)
        tp, conf, pred_cls = tp[i], conf[i], pred_cls[i]
        unique_classes = np.unique(target_cls)
        ap, p, r = [], [], []
        for c in unique_classes:  # tqdm.tqdm(unique_classes, desc="Computing AP")
            i = pred_cls == c
            n_gt = (target_cls == c).sum()  # Number of ground truth objects
            n_p = i.sum()  # Number of predicted objects
            if n_p == 0 and n_gt == 0:
                continue
            elif n_p == 0 or n_gt == 0:
                ap.append(0)
                r.append(0)
                p.append(0)
            else:
                fpc = (1 - tp[i]).cumsum()
                tpc = (tp[i]).cumsum()
                recall_curve = tpc / (n_gt + 1e-16)
                r.append(recall_curve[-1])
                precision_curve = tpc / (tpc + fpc)
                p.append(precision_curve[-1])
                ap.append(compute_ap(recall_curve, precision_curve))
        p, r, ap = np.array(p), np.array(r), np.array(ap)
        f1 = 2 * p * r / (p + r + 1e-16)
        return p, r, ap, f1, unique_classes.astype("int32")

    def compute_ap(recall, precision):
        mrec = np.concatenate(([0.0], recall, [1.0]))
        mpre = np.concatenate(([0.0], precision, [0.0]))
        for i in range(mpre.size - 1, 0, -1):
            mpre[i - 1] = np.maximum(mpre[i - 1], mpre[i])
        i = np.where(mrec[1:] != mrec[:-1])[0]
        ap = np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1])
        return ap

    def get_batch_statistics(outputs, targets, iou_threshold):
        batch_metrics = []
        for sample_i in range(len(outputs)):
            if outputs[sample_i] is None:
                continue
            output = outputs[sample_i]
            pred_boxes = output[:, :4]
            pred_scores = output[:, 4]
            pred_labels = output[:, -1]
            true_positives = np.zeros(pred_boxes.shape[0])
            annotations = targets[targets[:, 0] == sample_i][:, 1:]
            target_labels = annotations[:, 0] if len(annotations) else []
            if len(annotations):
                detected_boxes = []
                target_boxes = annotations[:, 1:]
                for pred_i, (pred_box, pred_label) in enumerate(zip(pred_boxes, pred_labels)):
                    if len(detected_boxes) == len(annotations):
                        break
                    if pred_label not in target_labels:
                        continue
                    iou, box_index = bbox_iou(pred_box.unsqueeze(0), target_boxes).max(0)
                    if iou >= iou_threshold and box_index not in detected_boxes:
                        true_positives[pred_i] = 1
                        detected_boxes += [box_index]
            batch_metrics.append([true_positives, pred_scores, pred_labels])
        return batch_metrics

    def bbox_wh_iou(wh1, wh2):
        wh2 = wh2.t()
        w1, h1 = wh1[0], wh1[1]
        w2, h2 = wh2[0], wh2[1]
        inter_area = torch.min(w1, w2) * torch.min(h1, h2)
        union_area = (w1 * h1 + 1e-16) + w2 * h2 - inter_area
        return inter_area / union_area

    def bbox_iou(box1, box2, x1y1x2y2=True):
        if not x1y1x2y2:
            b1_x1, b1_x2 = box1[:, 0] - box1[:, 2] / 2, box1[:, 0] + box1[:, 2] / 2
            b1_y1, b1_y2 = box1[:, 1] - box1[:, 3] / 2, box1[:, 1] + box1[:, 3] / 2
            b2_x1, b2_x2 = box2[:, 0] - box2[:, 2] / 2, box2[:, 0] + box2[:, 2] / 2
            b2_y1, b2_y2 = box2[:, 1] - box2[:, 3] / 2, box2[:, 1] + box2[:, 3] / 2
        else:
            b1_x1, b1_y1, b1_x2, b1_y2 = \
                box1[:, 0], box1[:, 1], box1[:, 2], box1[:, 3]
            b2_x1, b2_y1, b2_x2, b2_y2 = \
                box2[:, 0], box2[:, 1], box2[:, 2], box2[:, 3]
        inter_rect_x1 = torch.max(b1_x1, b2_x1)
        inter_rect_y1 = torch.max(b1_y1, b2_y1)
        inter_rect_x2 = torch.min(b1_x2, b2_x2)
        inter_rect_y2 = torch.min(b1_y2, b2_y2)
        inter_area = torch.clamp(inter_rect_x2 - inter_rect_x1 + 1, min=0) * torch.clamp(
            inter_rect_y2 - inter_rect_y1 + 1, min=0
        )
        b1_area = (b1_x2 - b1_x1 + 1) * (b1_y2 - b1_y1 + 1)
        b2_area = (b2_x2 - b2_x1 + 1) * (b2_y2 - b2_y1 + 1)
        iou = inter_area / (b1_area + b2_area - inter_area + 1e-16)
        return iou

    def box_iou(box1, box2):
        def box_area(box):
            return (box[2] - box[0]) * (box[3] - box[1])

        area1 = box_area(box1.T)
        area2 = box_area(box2.T)
        inter = (torch.min(box1[:, None, 2:], box2[:, 2:]) -
                 torch.max(box1[:, None, :2], box2[:, :2])).clamp(0).prod(2)
        return inter / (area1[:, None] + area2 - inter)

    def nms(boxes, scores, iou_threshold):
        """Greedy NMS in plain torch, for machines without torchvision."""
        order = scores.argsort(descending=True)
        keep = []
        while order.numel() > 0:
            i = order[0]
            keep.append(i)
            if order.numel() == 1:
                break
            ious = box_iou(boxes[i].unsqueeze(0), boxes[order[1:]]).squeeze(0)
            order = order[1:][ious <= iou_threshold]
        return torch.stack(keep) if keep else torch.empty(0, dtype=torch.long)

    def non_max_suppression(prediction, conf_thres=0.25, iou_thres=0.45, classes=None,
                            agnostic=False, labels=()):
        nc = prediction.shape[2] - 5  # number of classes
        xc = prediction[..., 4] > conf_thres  # candidates
        max_wh = 4096
        max_det = 300  # maximum number of detections per image
        max_nms = 30000  # maximum number of boxes into torchvision.ops.nms()
        time_limit = 10.0  # seconds to quit after
        redundant = True  # require redundant detections
        multi_label = nc > 1  # multiple labels per box (adds 0.5ms/img)
        merge = True  # use merge-NMS

        t = time.time()
        output = [torch.zeros((0, 6), device=prediction.device)] * prediction.shape[0]
        for xi, x in enumerate(prediction):  # image index, image inference
            x = x[xc[xi]]  # confidence
            if labels and len(labels[xi]):
                l = labels[xi]  # noqa: E741
                v = torch.zeros((len(l), nc + 5), device=x.device)
                v[:, :4] = l[:, 1:5]  # box
                v[:, 4] = 1.0  # conf
                v[range(len(l)), l[:, 0].long() + 5] = 1.0  # cls
                x = torch.cat((x, v), 0)
            if not x.shape[0]:
                continue
            x[:, 5:] *= x[:, 4:5]  # conf = obj_conf * cls_conf
            box = xywh2xyxy(x[:, :4])
            if multi_label:
                i, j = (x[:, 5:] > conf_thres).nonzero(as_tuple=False).T
                x = torch.cat((box[i], x[i, j + 5, None], j[:, None].float()), 1)
            else:  # best class only
                conf, j = x[:, 5:].max(1, keepdim=True)
                x = torch.cat((box, conf, j.float()), 1)[conf.view(-1) > conf_thres]
            if classes is not None:
                x = x[(x[:, 5:6] == torch.tensor(classes, device=x.device)).any(1)]
            n = x.shape[0]  # number of boxes
            if not n:  # no boxes
                continue
            elif n > max_nms:  # excess boxes
                x = x[x[:, 4].argsort(descending=True)[:max_nms]]
            c = x[:, 5:6] * (0 if agnostic else max_wh)  # classes
            boxes, scores = x[:, :4] + c, x[:, 4]
            i = nms(boxes, scores, iou_thres)  # NMS
            if i.shape[0] > max_det:  # limit detections
                i = i[:max_det]
            if merge and (1 < n < 3E3):  # Merge NMS (boxes merged using weighted mean)
                iou = box_iou(boxes[i], boxes) > iou_thres  # iou matrix
                weights = iou * scores[None]  # box weights
                x[i, :4] = torch.mm(weights, x[:, :4]).float() / weights.sum(1, keepdim=True)
                if redundant:
                    i = i[iou.sum(1) > 1]  # require redundancy
            output[xi] = x[i]
            if (time.time() - t) > time_limit:
                print(f'WARNING: NMS time limit {time_limit}s exceeded')
                break  # time limit exceeded
        return output

    return dict(to_cpu=to_cpu, rescale_boxes=rescale_boxes, xywh2xyxy=xywh2xyxy,
                ap_per_class=ap_per_class, get_batch_statistics=get_batch_statistics,
                bbox_wh_iou=bbox_wh_iou, bbox_iou=bbox_iou, box_iou=box_iou, nms=nms,
                non_max_suppression=non_max_suppression)


def box_utils(torch):
    """The box helpers on seeded boxes: shapes, dtypes and values."""
    U = yolo_utils(torch)
    with Out() as o:
        rng = np.random.default_rng(7)
        xywh = torch.from_numpy(np.concatenate(
            [rng.uniform(4, 28, (6, 2)), rng.uniform(2, 12, (6, 2))], 1).astype(np.float32))
        xyxy = U["xywh2xyxy"](xywh)
        o.print(xyxy.dtype, xyxy.shape, xyxy[:2])
        o.vals.append(xyxy)
        anchors = torch.tensor([[3., 4.], [5., 7.], [8., 6.]])
        wh_iou = torch.stack([U["bbox_wh_iou"](anchor, xywh[:, 2:]) for anchor in anchors])
        best_ious, best_n = wh_iou.max(0)
        o.print(wh_iou.shape, best_n, best_ious.dtype)
        o.vals += [wh_iou, best_ious]
        o.print(U["bbox_iou"](xyxy[:1], xyxy))
        o.print(U["bbox_iou"](xywh, xywh.flip(0), x1y1x2y2=False))
        bi = U["box_iou"](xyxy, xyxy[:4])
        o.print(bi.shape, bi.diagonal())
        o.vals.append(bi)
        keep = U["nms"](xyxy, xywh[:, 2] * 0.1, 0.1)
        o.print(keep, keep.dtype)
        boxes = xyxy.clone()
        o.print(U["rescale_boxes"](boxes, 32, (48, 64)))
        o.print(U["rescale_boxes"](xyxy.clone(), 32, (40, 30))[:2])
        d = xyxy.double()
        o.print(U["xywh2xyxy"](d).dtype, U["xywh2xyxy"](d[None]).shape)
        o.vals.append(U["rescale_boxes"](d.clone(), 32, (24, 24)))
    return o.done()


def nms_synthetic(torch):
    """non_max_suppression on a hand-made prediction (bs, boxes, 5 + nc): overlapping boxes,
    two classes, multi-label, agnostic, class filter, apriori labels."""
    U = yolo_utils(torch)
    with Out() as o:
        rng = np.random.default_rng(11)
        centers = rng.uniform(6, 26, (2, 4, 2))
        pred = np.zeros((2, 24, 7), np.float32)
        pred[:, :, :2] = np.repeat(centers, 6, 1) + rng.normal(0, 0.8, (2, 24, 2))
        pred[:, :, 2:4] = rng.uniform(5, 9, (2, 24, 2))
        pred[:, :, 4] = rng.uniform(0.1, 1, (2, 24))
        pred[:, :, 5:] = rng.uniform(0, 1, (2, 24, 2))
        prediction = torch.from_numpy(pred)
        out = U["non_max_suppression"](prediction.clone(), conf_thres=0.3, iou_thres=0.4)
        o.print([tuple(x.shape) for x in out])
        o.print(out[0][:3])
        o.vals += out
        out = U["non_max_suppression"](prediction.clone(), 0.3, 0.4, agnostic=True)
        o.print([tuple(x.shape) for x in out])
        o.vals += out
        out = U["non_max_suppression"](prediction.clone(), 0.3, 0.4, classes=[1])
        o.print([tuple(x.shape) for x in out], out[1][:, 5])
        labels = [torch.tensor([[1, 10., 10., 6., 6.]]), torch.zeros((0, 5))]
        out = U["non_max_suppression"](prediction.clone(), 0.3, 0.4, labels=labels)
        o.print([tuple(x.shape) for x in out])
        o.vals += out
        out = U["non_max_suppression"](prediction[:, :, :6].clone(), 0.3, 0.4)
        o.print([tuple(x.shape) for x in out], out[0][:, 5].unique())
        out = U["non_max_suppression"](prediction.clone(), conf_thres=0.99)
        o.print(out)
    return o.done()


def weights_file(model, seed=0):
    """A darknet .weights file for ``model``'s layers (stand-in for yolov3-tiny.weights):
    header, then per convolution BN bias / weight / mean / var (or conv bias), conv weight."""
    rng = np.random.default_rng(seed)
    parts = [np.array([0, 2, 0, 32013312, 0], np.int32).tobytes()]
    for module_def, module in zip(model.module_defs, model.module_list):
        if module_def["type"] != "convolutional":
            continue
        w = tuple(module[0].weight.shape)
        n, fan_in = w[0], int(np.prod(w[1:]))
        if module_def["batch_normalize"]:
            vals = [rng.normal(0, 0.1, n), rng.uniform(0.8, 1.2, n), rng.normal(0, 0.1, n),
                    rng.uniform(0.5, 1.5, n)]
        else:
            vals = [rng.normal(0, 0.5, n)]
        vals.append(rng.normal(0, 1 / np.sqrt(fan_in), w).ravel())
        parts += [v.astype(np.float32).tobytes() for v in vals]
    path = os.path.join(tempfile.mkdtemp(), "yolov3-tiny-small.weights")
    with open(path, "wb") as f:
        f.write(b"".join(parts))
    return path


def evaluate(torch):
    """test.py _evaluate: eval-mode Darknet, to_cpu, non_max_suppression, targets rescaled,
    get_batch_statistics, np.concatenate over tensors, ap_per_class; then detect.py's
    rescale_boxes onto the original image size."""
    Darknet, _, weights_init_normal, _ = yolo_models(torch)
    U = yolo_utils(torch)
    torch.manual_seed(4)
    with Out() as o:
        model = Darknet(cfg_path())
        model.apply(weights_init_normal)
        model.load_darknet_weights(weights_file(model))  # detect.py: pretrained weights
        model.eval()  # Set model to evaluation mode
        Tensor = torch.cuda.FloatTensor if torch.cuda.is_available() else torch.FloatTensor
        img_size = 32
        labels = []
        sample_metrics = []  # List of tuples (TP, confs, pred)
        for batch in range(2):
            imgs = images(torch, 2, seed=20 + batch)
            targets = torch.tensor([[0, 1, 0.30, 0.40, 0.40, 0.45],
                                    [0, 0, 0.70, 0.62, 0.45, 0.50],
                                    [1, 1, 0.52, 0.48, 0.60, 0.40],
                                    [1, 0, 0.40, 0.30, 0.50, 0.52]])
            labels += targets[:, 1].tolist()
            targets[:, 2:] = U["xywh2xyxy"](targets[:, 2:])
            targets[:, 2:] *= img_size
            imgs = imgs.type(Tensor).requires_grad_(False)
            with torch.no_grad():
                outputs = U["to_cpu"](model(imgs))
                outputs = U["non_max_suppression"](outputs, conf_thres=0.5, iou_thres=0.4)
            o.print([tuple(x.shape) for x in outputs])
            sample_metrics += U["get_batch_statistics"](outputs, targets, iou_threshold=0.05)
        true_positives, pred_scores, pred_labels = [
            np.concatenate(x, 0) for x in list(zip(*sample_metrics))]
        o.print(true_positives.sum(), pred_scores.dtype, pred_labels.dtype, len(labels))
        precision, recall, AP, f1, ap_class = U["ap_per_class"](
            true_positives, pred_scores, pred_labels, labels)
        o.print(f"---- mAP {AP.mean():.5f} ----", ap_class, precision.round(4), recall.round(4))
        o.vals += [precision, recall, AP, f1, pred_scores]
        detections = U["rescale_boxes"](outputs[0], img_size, (48, 64))
        o.print(detections.shape, detections[:2, 4:])
        o.vals.append(detections)
    return o.done()
