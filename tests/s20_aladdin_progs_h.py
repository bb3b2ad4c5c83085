"""aladdinpersson/Machine-Learning-Collection, ML/Pytorch as users type them (continued):
Basics/pytorch_lr_ratescheduler.py and pytorch_loadsave.py, and object_detection/YOLO
(model.py, loss.py, utils.py), with data replaced by seeded random tensors. For
tests/test_programs_s20_aladdin.py."""

import io

import numpy as np
from s16_yunjey_progs import Out
from s20_aladdin_progs import _check_accuracy
from s20_aladdin_progs_b import _metrics


def lr_ratescheduler(L):
    """pytorch_lr_ratescheduler.py: ReduceLROnPlateau(factor=0.1, patience=5) stepped with
    the epoch's mean loss (a Python float); lr=0.1 Adam on a 784-50-10 net."""
    nn, optim = L.nn, L.optim
    with Out() as o:
        L.manual_seed(0)
        learning_rate, batch_size, num_epochs = 0.1, 16, 12
        model = nn.Sequential(nn.Linear(784, 50), nn.ReLU(), nn.Linear(50, 10))
        X = L.rand(32, 1, 28, 28)
        Y = L.randint(0, 10, (32,))
        train_loader = L.utils.data.DataLoader(dataset=L.utils.data.TensorDataset(X, Y),
                                               batch_size=batch_size, shuffle=True)
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.Adam(model.parameters(), lr=learning_rate)
        scheduler = L.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.1, patience=5)
        for epoch in range(1, num_epochs):
            losses = []
            for batch_idx, (data, targets) in enumerate(train_loader):
                data = data.reshape(data.shape[0], -1)
                scores = model(data)
                loss = criterion(scores, targets)
                losses.append(loss.item())
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
            mean_loss = sum(losses) / len(losses)
            scheduler.step(mean_loss)
            o.print(f"Cost at epoch {epoch} is {mean_loss:.4f}")
            o.print(scheduler.get_last_lr(), optimizer.param_groups[0]["lr"],
                    scheduler.num_bad_epochs, scheduler._last_lr)
        _check_accuracy(L, o, train_loader, model)
        o.print(scheduler.state_dict()["best"] == min(scheduler.state_dict()["best"], 99))
    return o.done()


def loadsave(L):
    """pytorch_loadsave.py: save_checkpoint / load_checkpoint of {"state_dict",
    "optimizer"} (a small CNN in place of torchvision's vgg16), through a BytesIO buffer."""
    nn, optim = L.nn, L.optim
    with Out() as o:
        L.manual_seed(0)
        buf = io.BytesIO()

        def save_checkpoint(state, filename=buf):
            o.print("=> Saving checkpoint")
            L.save(state, filename)

        def load_checkpoint(checkpoint, model, optimizer):
            o.print("=> Loading checkpoint")
            model.load_state_dict(checkpoint["state_dict"])
            optimizer.load_state_dict(checkpoint["optimizer"])

        # (the conv's bias feeds a ReLU before the BatchNorm: a bias right before a
        # BatchNorm has a zero gradient up to rounding, which Adam's first step amplifies)
        model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(4),
                              nn.AdaptiveAvgPool2d((2, 2)), nn.Flatten(), nn.Linear(16, 5))
        optimizer = optim.Adam(model.parameters())
        loss = model(L.randn(2, 3, 6, 6)).pow(2).mean()
        loss.backward()
        optimizer.step()
        checkpoint = {"state_dict": model.state_dict(), "optimizer": optimizer.state_dict()}
        save_checkpoint(checkpoint)
        o.print(list(checkpoint["state_dict"].keys()))
        o.print(checkpoint["optimizer"]["param_groups"])
        buf.seek(0)
        model2 = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(4),
                               nn.AdaptiveAvgPool2d((2, 2)), nn.Flatten(), nn.Linear(16, 5))
        optimizer2 = optim.Adam(model2.parameters())
        load_checkpoint(L.load(buf), model2, optimizer2)
        o.print(sorted(optimizer2.state_dict()["state"].keys()))
        o.print(optimizer2.state_dict()["state"][0]["step"])
        for k, v in model2.state_dict().items():
            o.print(k, v.dtype, tuple(v.shape))
            o.vals.append(v)
        o.print(model2[2].num_batches_tracked)
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
