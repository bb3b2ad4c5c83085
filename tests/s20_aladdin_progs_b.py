"""aladdinpersson/Machine-Learning-Collection, ML/Pytorch/object_detection as users type
them: metrics/iou.py, metrics/nms.py, metrics/mean_avg_precision.py and YOLO/ (utils.py's
convert_cellboxes / cellboxes_to_boxes / get_bboxes, loss.py's YoloLoss, model.py's Yolov1
with a shrunk architecture_config), Pascal VOC replaced by seeded random tensors. For
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


def yolo(L):
    """YOLO/: Yolov1 (CNNBlock conv-bn-leakyrelu from a shrunk architecture_config), the
    YoloLoss with its in-place sqrt of the box sizes, two Adam steps, then get_bboxes ->
    cellboxes_to_boxes -> non_max_suppression -> mean_average_precision."""
    torch = L
    nn, optim = L.nn, L.optim
    intersection_over_union, non_max_suppression, mean_average_precision = _metrics(L)
    with Out() as o:
        torch.manual_seed(0)
        architecture_config = [
            (7, 8, 2, 3),
            "M",
            (3, 16, 1, 1),
            "M",
            (1, 8, 1, 0),
            (3, 16, 1, 1),
            "M",
            [(1, 8, 1, 0), (3, 16, 1, 1), 2],
            "M",
            (3, 16, 2, 1),
            (3, 16, 1, 1),
        ]

        class CNNBlock(nn.Module):
            def __init__(self, in_channels, out_channels, **kwargs):
                super(CNNBlock, self).__init__()
                self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
                self.batchnorm = nn.BatchNorm2d(out_channels)
                self.leakyrelu = nn.LeakyReLU(0.1)

            def forward(self, x):
                return self.leakyrelu(self.batchnorm(self.conv(x)))

        class Yolov1(nn.Module):
            def __init__(self, in_channels=3, **kwargs):
                super(Yolov1, self).__init__()
                self.architecture = architecture_config
                self.in_channels = in_channels
                self.darknet = self._create_conv_layers(self.architecture)
                self.fcs = self._create_fcs(**kwargs)

            def forward(self, x):
                x = self.darknet(x)
                return self.fcs(torch.flatten(x, start_dim=1))

            def _create_conv_layers(self, architecture):
                layers = []
                in_channels = self.in_channels
                for x in architecture:
                    if type(x) == tuple:
                        layers += [CNNBlock(in_channels, x[1], kernel_size=x[0], stride=x[2], padding=x[3])]
                        in_channels = x[1]
                    elif type(x) == str:
                        layers += [nn.MaxPool2d(kernel_size=(2, 2), stride=(2, 2))]
                    elif type(x) == list:
                        conv1, conv2, num_repeats = x[0], x[1], x[2]
                        for _ in range(num_repeats):
                            layers += [CNNBlock(in_channels, conv1[1], kernel_size=conv1[0], stride=conv1[2], padding=conv1[3])]
                            layers += [CNNBlock(conv1[1], conv2[1], kernel_size=conv2[0], stride=conv2[2], padding=conv2[3])]
                            in_channels = conv2[1]
                return nn.Sequential(*layers)

            def _create_fcs(self, split_size, num_boxes, num_classes):
                S, B, C = split_size, num_boxes, num_classes
                return nn.Sequential(
                    nn.Flatten(),
                    nn.Linear(16 * S * S, 64),
                    nn.Dropout(0.0),
                    nn.LeakyReLU(0.1),
                    nn.Linear(64, S * S * (C + B * 5)),
                )

        class YoloLoss(nn.Module):
            def __init__(self, S=7, B=2, C=20):
                super(YoloLoss, self).__init__()
                self.mse = nn.MSELoss(reduction="sum")
                self.S, self.B, self.C = S, B, C
                self.lambda_noobj = 0.5
                self.lambda_coord = 5

            def forward(self, predictions, target):
                predictions = predictions.reshape(-1, self.S, self.S, self.C + self.B * 5)
                iou_b1 = intersection_over_union(predictions[..., 21:25], target[..., 21:25])
                iou_b2 = intersection_over_union(predictions[..., 26:30], target[..., 21:25])
                ious = torch.cat([iou_b1.unsqueeze(0), iou_b2.unsqueeze(0)], dim=0)
                iou_maxes, bestbox = torch.max(ious, dim=0)
                exists_box = target[..., 20].unsqueeze(3)
                box_predictions = exists_box * (
                    (
                        bestbox * predictions[..., 26:30]
                        + (1 - bestbox) * predictions[..., 21:25]
                    )
                )
                box_targets = exists_box * target[..., 21:25]
                box_predictions[..., 2:4] = torch.sign(box_predictions[..., 2:4]) * torch.sqrt(
                    torch.abs(box_predictions[..., 2:4] + 1e-6)
                )
                box_targets[..., 2:4] = torch.sqrt(box_targets[..., 2:4])
                box_loss = self.mse(
                    torch.flatten(box_predictions, end_dim=-2),
                    torch.flatten(box_targets, end_dim=-2),
                )
                pred_box = (
                    bestbox * predictions[..., 25:26] + (1 - bestbox) * predictions[..., 20:21]
                )
                object_loss = self.mse(
                    torch.flatten(exists_box * pred_box),
                    torch.flatten(exists_box * target[..., 20:21] * iou_maxes),
                )
                no_object_loss = self.mse(
                    torch.flatten((1 - exists_box) * predictions[..., 20:21], start_dim=1),
                    torch.flatten((1 - exists_box) * target[..., 20:21], start_dim=1),
                )
                no_object_loss += self.mse(
                    torch.flatten((1 - exists_box) * predictions[..., 25:26], start_dim=1),
                    torch.flatten((1 - exists_box) * target[..., 20:21], start_dim=1)
                )
                class_loss = self.mse(
                    torch.flatten(exists_box * predictions[..., :20], end_dim=-2,),
                    torch.flatten(exists_box * target[..., :20], end_dim=-2,),
                )
                loss = (
                    self.lambda_coord * box_loss
                    + object_loss
                    + self.lambda_noobj * no_object_loss
                    + class_loss
                )
                return loss

        def convert_cellboxes(predictions, S=7):
            predictions = predictions.to("cpu")
            batch_size = predictions.shape[0]
            predictions = predictions.reshape(batch_size, 7, 7, 30)
            bboxes1 = predictions[..., 21:25]
            bboxes2 = predictions[..., 26:30]
            scores = torch.cat(
                (predictions[..., 20].unsqueeze(0), predictions[..., 25].unsqueeze(0)), dim=0
            )
            best_box = scores.argmax(0).unsqueeze(-1)
            best_boxes = bboxes1 * (1 - best_box) + best_box * bboxes2
            cell_indices = torch.arange(7).repeat(batch_size, 7, 1).unsqueeze(-1)
            x = 1 / S * (best_boxes[..., :1] + cell_indices)
            y = 1 / S * (best_boxes[..., 1:2] + cell_indices.permute(0, 2, 1, 3))
            w_y = 1 / S * best_boxes[..., 2:4]
            converted_bboxes = torch.cat((x, y, w_y), dim=-1)
            predicted_class = predictions[..., :20].argmax(-1).unsqueeze(-1)
            best_confidence = torch.max(predictions[..., 20], predictions[..., 25]).unsqueeze(-1)
            converted_preds = torch.cat(
                (predicted_class, best_confidence, converted_bboxes), dim=-1
            )
            return converted_preds

        def cellboxes_to_boxes(out, S=7):
            converted_pred = convert_cellboxes(out).reshape(out.shape[0], S * S, -1)
            converted_pred[..., 0] = converted_pred[..., 0].long()
            all_bboxes = []
            for ex_idx in range(out.shape[0]):
                bboxes = []
                for bbox_idx in range(S * S):
                    bboxes.append([x.item() for x in converted_pred[ex_idx, bbox_idx, :]])
                all_bboxes.append(bboxes)
            return all_bboxes

        def get_bboxes(loader, model, iou_threshold, threshold, pred_format="cells",
                       box_format="midpoint", device="cpu"):
            all_pred_boxes = []
            all_true_boxes = []
            model.eval()
            train_idx = 0
            for batch_idx, (x, labels) in enumerate(loader):
                x = x.to(device)
                labels = labels.to(device)
                with torch.no_grad():
                    predictions = model(x)
                batch_size = x.shape[0]
                true_bboxes = cellboxes_to_boxes(labels)
                bboxes = cellboxes_to_boxes(predictions)
                for idx in range(batch_size):
                    nms_boxes = non_max_suppression(bboxes[idx], iou_threshold=iou_threshold,
                                                    threshold=threshold, box_format=box_format)
                    for nms_box in nms_boxes:
                        all_pred_boxes.append([train_idx] + nms_box)
                    for box in true_bboxes[idx]:
                        if box[1] > threshold:
                            all_true_boxes.append([train_idx] + box)
                    train_idx += 1
            model.train()
            return all_pred_boxes, all_true_boxes

        # VOCDataset.__getitem__'s label_matrix, built the way the file builds it
        def label_matrix_for(boxes, S=7, B=2, C=20):
            label_matrix = torch.zeros((S, S, C + 5 * B))
            for box in boxes:
                class_label, x, y, width, height = box.tolist()
                class_label = int(class_label)
                i, j = int(S * y), int(S * x)
                x_cell, y_cell = S * x - j, S * y - i
                width_cell, height_cell = (width * S, height * S)
                if label_matrix[i, j, 20] == 0:
                    label_matrix[i, j, 20] = 1
                    box_coordinates = torch.tensor([x_cell, y_cell, width_cell, height_cell])
                    label_matrix[i, j, 21:25] = box_coordinates
                    label_matrix[i, j, class_label] = 1
            return label_matrix

        rng = np.random.RandomState(1)
        images = torch.rand(4, 3, 448, 448)
        labels = []
        for _ in range(4):
            bx = torch.tensor(np.c_[rng.randint(0, 20, 3), rng.uniform(0.05, 0.95, (3, 2)),
                                    rng.uniform(0.05, 0.3, (3, 2))].astype(np.float32))
            labels.append(label_matrix_for(bx))
        labels = torch.stack(labels)
        o.print(labels.shape, labels[..., 20].sum().item())
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images, labels),
                                             batch_size=2, shuffle=False)
        model = Yolov1(split_size=7, num_boxes=2, num_classes=20)
        optimizer = optim.Adam(model.parameters(), lr=2e-5, weight_decay=0)
        loss_fn = YoloLoss()
        for epoch in range(2):
            mean_loss = []
            for batch_idx, (x, y) in enumerate(loader):
                out = model(x)
                loss = loss_fn(out, y)
                mean_loss.append(loss.item())
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            o.print(f"Mean loss was {sum(mean_loss)/len(mean_loss):.2f}")
            o.vals.append(sum(mean_loss) / len(mean_loss))
        o.vals.append(model.fcs[4].bias.detach().clone())
        pred_boxes, target_boxes = get_bboxes(loader, model, iou_threshold=0.5, threshold=0.4)
        o.print(len(pred_boxes), len(target_boxes))
        o.print([[round(v, 4) for v in b] for b in target_boxes[:3]])
        mean_avg_prec = mean_average_precision(pred_boxes, target_boxes, iou_threshold=0.5,
                                               box_format="midpoint")
        o.print(f"Train mAP: {mean_avg_prec}")
        conv = convert_cellboxes(labels)
        o.print(conv.shape, conv.dtype)
        o.vals.append(conv)
    return o.done()
