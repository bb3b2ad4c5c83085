"""eriklindernoren/PyTorch-YOLOv3 before the pytorchyolo package (2019, models.py and
utils/utils.py at the repository root) as users type it: YOLOLayer with compute_grid_offsets
(FloatTensor / ByteTensor constructors, sigmoid and exp decoding, MSE / BCE losses over
uint8 masks, the metrics dict), build_targets with bbox_wh_iou, Darknet(forward with
targets), train.py's loop with gradient accumulation, and the merging non_max_suppression of
that version with rescale_boxes as detect.py uses them. The cfg is tests/s21_yolo_progs.py's."""

import numpy as np
from s16_yunjey_progs import Out
from s21_yolo_progs import yolo_models
from s21_yolo_progs_e import cfg_path, images, parse_model_config
from s21_yolo_progs_c import weights_file, yolo_utils


def yolo2019(torch):
    """models.py / utils/utils.py of 2019 bound to a library: (Darknet, build_targets, nms)."""
    nn, F = torch.nn, torch.nn.functional
    U = yolo_utils(torch)
    bbox_wh_iou, bbox_iou, to_cpu, xywh2xyxy = (U[k] for k in (
        "bbox_wh_iou", "bbox_iou", "to_cpu", "xywh2xyxy"))

    def build_targets(pred_boxes, pred_cls, target, anchors, ignore_thres):
        ByteTensor = torch.cuda.ByteTensor if pred_boxes.is_cuda else torch.ByteTensor
        FloatTensor = torch.cuda.FloatTensor if pred_boxes.is_cuda else torch.FloatTensor
        nB = pred_boxes.size(0)
        nA = pred_boxes.size(1)
        nC = pred_cls.size(-1)
        nG = pred_boxes.size(2)
        obj_mask = ByteTensor(nB, nA, nG, nG).fill_(0)
        noobj_mask = ByteTensor(nB, nA, nG, nG).fill_(1)
        class_mask = FloatTensor(nB, nA, nG, nG).fill_(0)
        iou_scores = FloatTensor(nB, nA, nG, nG).fill_(0)
        tx = FloatTensor(nB, nA, nG, nG).fill_(0)
        ty = FloatTensor(nB, nA, nG, nG).fill_(0)
        tw = FloatTensor(nB, nA, nG, nG).fill_(0)
        th = FloatTensor(nB, nA, nG, nG).fill_(0)
        tcls = FloatTensor(nB, nA, nG, nG, nC).fill_(0)
        target_boxes = target[:, 2:6] * nG
        gxy = target_boxes[:, :2]
        gwh = target_boxes[:, 2:]
        ious = torch.stack([bbox_wh_iou(anchor, gwh) for anchor in anchors])
        best_ious, best_n = ious.max(0)
        b, target_labels = target[:, :2].long().t()
        gx, gy = gxy.t()
        gw, gh = gwh.t()
        gi, gj = gxy.long().t()
        obj_mask[b, best_n, gj, gi] = 1
        noobj_mask[b, best_n, gj, gi] = 0
        for i, anchor_ious in enumerate(ious.t()):
            noobj_mask[b[i], anchor_ious > ignore_thres, gj[i], gi[i]] = 0
        tx[b, best_n, gj, gi] = gx - gx.floor()
        ty[b, best_n, gj, gi] = gy - gy.floor()
        tw[b, best_n, gj, gi] = torch.log(gw / anchors[best_n][:, 0] + 1e-16)
        th[b, best_n, gj, gi] = torch.log(gh / anchors[best_n][:, 1] + 1e-16)
        tcls[b, best_n, gj, gi, target_labels] = 1
        class_mask[b, best_n, gj, gi] = (pred_cls[b, best_n, gj, gi].argmax(-1) ==
                                         target_labels).float()
        iou_scores[b, best_n, gj, gi] = bbox_iou(pred_boxes[b, best_n, gj, gi], target_boxes,
                                                 x1y1x2y2=False)
        tconf = obj_mask.float()
        return iou_scores, class_mask, obj_mask, noobj_mask, tx, ty, tw, th, tcls, tconf

    def non_max_suppression(prediction, conf_thres=0.5, nms_thres=0.4):
        prediction[..., :4] = xywh2xyxy(prediction[..., :4])
        output = [None for _ in range(len(prediction))]
        for image_i, image_pred in enumerate(prediction):
            image_pred = image_pred[image_pred[:, 4] >= conf_thres]
            if not image_pred.size(0):
                continue
            score = image_pred[:, 4] * image_pred[:, 5:].max(1)[0]
            image_pred = image_pred[(-score).argsort()]
            class_confs, class_preds = image_pred[:, 5:].max(1, keepdim=True)
            detections = torch.cat((image_pred[:, :5], class_confs.float(),
                                    class_preds.float()), 1)
            keep_boxes = []
            while detections.size(0):
                large_overlap = bbox_iou(detections[0, :4].unsqueeze(0),
                                         detections[:, :4]) > nms_thres
                label_match = detections[0, -1] == detections[:, -1]
                invalid = large_overlap & label_match
                weights = detections[invalid, 4:5]
                detections[0, :4] = (weights * detections[invalid, :4]).sum(0) / weights.sum()
                keep_boxes += [detections[0]]
                detections = detections[~invalid]
            if keep_boxes:
                output[image_i] = torch.stack(keep_boxes)
        return output

    class YOLOLayer(nn.Module):
        """Detection layer"""

        def __init__(self, anchors, num_classes, img_dim=416):
            super(YOLOLayer, self).__init__()
            self.anchors = anchors
            self.num_anchors = len(anchors)
            self.num_classes = num_classes
            self.ignore_thres = 0.5
            self.mse_loss = nn.MSELoss()
            self.bce_loss = nn.BCELoss()
            self.obj_scale = 1
            self.noobj_scale = 100
            self.metrics = {}
            self.img_dim = img_dim
            self.grid_size = 0  # grid size

        def compute_grid_offsets(self, grid_size, cuda=True):
            self.grid_size = grid_size
            g = self.grid_size
            FloatTensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor
            self.stride = self.img_dim / self.grid_size
            self.grid_x = torch.arange(g).repeat(g, 1).view([1, 1, g, g]).type(FloatTensor)
            self.grid_y = torch.arange(g).repeat(g, 1).t().view([1, 1, g, g]).type(FloatTensor)
            self.scaled_anchors = FloatTensor([(a_w / self.stride, a_h / self.stride)
                                               for a_w, a_h in self.anchors])
            self.anchor_w = self.scaled_anchors[:, 0:1].view((1, self.num_anchors, 1, 1))
            self.anchor_h = self.scaled_anchors[:, 1:2].view((1, self.num_anchors, 1, 1))

        def forward(self, x, targets=None, img_dim=None):
            FloatTensor = torch.cuda.FloatTensor if x.is_cuda else torch.FloatTensor
            self.img_dim = img_dim
            num_samples = x.size(0)
            grid_size = x.size(2)
            prediction = (
                x.view(num_samples, self.num_anchors, self.num_classes + 5, grid_size,
                       grid_size)
                .permute(0, 1, 3, 4, 2)
                .contiguous()
            )
            x = torch.sigmoid(prediction[..., 0])  # Center x
            y = torch.sigmoid(prediction[..., 1])  # Center y
            w = prediction[..., 2]  # Width
            h = prediction[..., 3]  # Height
            pred_conf = torch.sigmoid(prediction[..., 4])  # Conf
            pred_cls = torch.sigmoid(prediction[..., 5:])  # Cls pred.
            if grid_size != self.grid_size:
                self.compute_grid_offsets(grid_size, cuda=x.is_cuda)
            pred_boxes = FloatTensor(prediction[..., :4].shape)
            pred_boxes[..., 0] = x.data + self.grid_x
            pred_boxes[..., 1] = y.data + self.grid_y
            pred_boxes[..., 2] = torch.exp(w.data) * self.anchor_w
            pred_boxes[..., 3] = torch.exp(h.data) * self.anchor_h
            output = torch.cat(
                (
                    pred_boxes.view(num_samples, -1, 4) * self.stride,
                    pred_conf.view(num_samples, -1, 1),
                    pred_cls.view(num_samples, -1, self.num_classes),
                ),
                -1,
            )
            if targets is None:
                return output, 0
            iou_scores, class_mask, obj_mask, noobj_mask, tx, ty, tw, th, tcls, tconf = \
                build_targets(pred_boxes=pred_boxes, pred_cls=pred_cls, target=targets,
                              anchors=self.scaled_anchors, ignore_thres=self.ignore_thres)
            loss_x = self.mse_loss(x[obj_mask], tx[obj_mask])
            loss_y = self.mse_loss(y[obj_mask], ty[obj_mask])
            loss_w = self.mse_loss(w[obj_mask], tw[obj_mask])
            loss_h = self.mse_loss(h[obj_mask], th[obj_mask])
            loss_conf_obj = self.bce_loss(pred_conf[obj_mask], tconf[obj_mask])
            loss_conf_noobj = self.bce_loss(pred_conf[noobj_mask], tconf[noobj_mask])
            loss_conf = self.obj_scale * loss_conf_obj + self.noobj_scale * loss_conf_noobj
            loss_cls = self.bce_loss(pred_cls[obj_mask], tcls[obj_mask])
            total_loss = loss_x + loss_y + loss_w + loss_h + loss_conf + loss_cls
            cls_acc = 100 * class_mask[obj_mask].mean()
            conf_obj = pred_conf[obj_mask].mean()
            conf_noobj = pred_conf[noobj_mask].mean()
            conf50 = (pred_conf > 0.5).float()
            iou50 = (iou_scores > 0.5).float()
            iou75 = (iou_scores > 0.75).float()
            detected_mask = conf50 * class_mask * tconf
            precision = torch.sum(iou50 * detected_mask) / (conf50.sum() + 1e-16)
            recall50 = torch.sum(iou50 * detected_mask) / (obj_mask.sum() + 1e-16)
            recall75 = torch.sum(iou75 * detected_mask) / (obj_mask.sum() + 1e-16)
            self.metrics = {
                "loss": to_cpu(total_loss).item(),
                "x": to_cpu(loss_x).item(),
                "y": to_cpu(loss_y).item(),
                "w": to_cpu(loss_w).item(),
                "h": to_cpu(loss_h).item(),
                "conf": to_cpu(loss_conf).item(),
                "cls": to_cpu(loss_cls).item(),
                "cls_acc": to_cpu(cls_acc).item(),
                "recall50": to_cpu(recall50).item(),
                "recall75": to_cpu(recall75).item(),
                "precision": to_cpu(precision).item(),
                "conf_obj": to_cpu(conf_obj).item(),
                "conf_noobj": to_cpu(conf_noobj).item(),
                "grid_size": grid_size,
            }
            return output, total_loss

    class EmptyLayer(nn.Module):
        """Placeholder for 'route' and 'shortcut' layers"""

        def __init__(self):
            super(EmptyLayer, self).__init__()

    class Upsample(nn.Module):
        def __init__(self, scale_factor, mode="nearest"):
            super(Upsample, self).__init__()
            self.scale_factor = scale_factor
            self.mode = mode

        def forward(self, x):
            return F.interpolate(x, scale_factor=self.scale_factor, mode=self.mode)

    def create_modules(module_defs):
        hyperparams = module_defs.pop(0)
        output_filters = [int(hyperparams["channels"])]
        module_list = nn.ModuleList()
        for module_i, module_def in enumerate(module_defs):
            modules = nn.Sequential()
            if module_def["type"] == "convolutional":
                bn = int(module_def["batch_normalize"])
                filters = int(module_def["filters"])
                kernel_size = int(module_def["size"])
                pad = (kernel_size - 1) // 2
                modules.add_module(f"conv_{module_i}", nn.Conv2d(
                    in_channels=output_filters[-1], out_channels=filters,
                    kernel_size=kernel_size, stride=int(module_def["stride"]), padding=pad,
                    bias=not bn))
                if bn:
                    modules.add_module(f"batch_norm_{module_i}",
                                       nn.BatchNorm2d(filters, momentum=0.9, eps=1e-5))
                if module_def["activation"] == "leaky":
                    modules.add_module(f"leaky_{module_i}", nn.LeakyReLU(0.1))
            elif module_def["type"] == "maxpool":
                kernel_size = int(module_def["size"])
                stride = int(module_def["stride"])
                if kernel_size == 2 and stride == 1:
                    modules.add_module(f"_debug_padding_{module_i}", nn.ZeroPad2d((0, 1, 0, 1)))
                modules.add_module(f"maxpool_{module_i}", nn.MaxPool2d(
                    kernel_size=kernel_size, stride=stride, padding=int((kernel_size - 1) // 2)))
            elif module_def["type"] == "upsample":
                modules.add_module(f"upsample_{module_i}",
                                   Upsample(scale_factor=int(module_def["stride"]), mode="nearest"))
            elif module_def["type"] == "route":
                layers = [int(x) for x in module_def["layers"].split(",")]
                filters = sum([output_filters[1:][i] for i in layers])
                modules.add_module(f"route_{module_i}", EmptyLayer())
            elif module_def["type"] == "shortcut":
                filters = output_filters[1:][int(module_def["from"])]
                modules.add_module(f"shortcut_{module_i}", EmptyLayer())
            elif module_def["type"] == "yolo":
                anchor_idxs = [int(x) for x in module_def["mask"].split(",")]
                anchors = [int(x) for x in module_def["anchors"].split(",")]
                anchors = [(anchors[i], anchors[i + 1]) for i in range(0, len(anchors), 2)]
                anchors = [anchors[i] for i in anchor_idxs]
                num_classes = int(module_def["classes"])
                img_size = int(hyperparams["height"])
                modules.add_module(f"yolo_{module_i}",
                                   YOLOLayer(anchors, num_classes, img_size))
            module_list.append(modules)
            output_filters.append(filters)
        return hyperparams, module_list

    class Darknet(nn.Module):
        """YOLOv3 object detection model"""

        def __init__(self, config_path, img_size=416):
            super(Darknet, self).__init__()
            self.module_defs = parse_model_config(config_path)
            self.hyperparams, self.module_list = create_modules(self.module_defs)
            self.yolo_layers = [layer[0] for layer in self.module_list
                                if hasattr(layer[0], "metrics")]
            self.img_size = img_size
            self.seen = 0
            self.header_info = np.array([0, 0, 0, self.seen, 0], dtype=np.int32)

        def forward(self, x, targets=None):
            img_dim = x.shape[2]
            loss = 0
            layer_outputs, yolo_outputs = [], []
            for i, (module_def, module) in enumerate(zip(self.module_defs, self.module_list)):
                if module_def["type"] in ["convolutional", "upsample", "maxpool"]:
                    x = module(x)
                elif module_def["type"] == "route":
                    x = torch.cat([layer_outputs[int(layer_i)]
                                   for layer_i in module_def["layers"].split(",")], 1)
                elif module_def["type"] == "shortcut":
                    layer_i = int(module_def["from"])
                    x = layer_outputs[-1] + layer_outputs[layer_i]
                elif module_def["type"] == "yolo":
                    x, layer_loss = module[0](x, targets, img_dim)
                    loss += layer_loss
                    yolo_outputs.append(x)
                layer_outputs.append(x)
            yolo_outputs = to_cpu(torch.cat(yolo_outputs, 1))
            return yolo_outputs if targets is None else (loss, yolo_outputs)

    return Darknet, build_targets, non_max_suppression


def train_2019(L):
    """train.py (2019): Variable, model(imgs, targets), gradient accumulations, the yolo
    layers' metrics table; then detect.py: eval, non_max_suppression, rescale_boxes."""
    torch = L
    Variable = torch.autograd.Variable
    Darknet, build_targets, non_max_suppression = yolo2019(L)
    U = yolo_utils(L)
    torch.manual_seed(2)
    with Out() as o:
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        model = Darknet(cfg_path()).to(device)
        optimizer = torch.optim.Adam(model.parameters())
        metrics = ["grid_size", "loss", "x", "y", "w", "h", "conf", "cls", "cls_acc",
                   "recall50", "recall75", "precision", "conf_obj", "conf_noobj"]
        targets = torch.tensor([[0, 1, 0.30, 0.40, 0.20, 0.25],
                                [0, 0, 0.70, 0.62, 0.45, 0.50],
                                [1, 1, 0.52, 0.48, 0.30, 0.20],
                                [1, 0, 0.14, 0.80, 0.10, 0.12]])
        gradient_accumulations = 2
        for batch_i in range(4):
            batches_done = batch_i
            imgs = Variable(images(L, 2, seed=30 + batch_i).to(device))
            targets_v = Variable(targets.to(device), requires_grad=False)
            loss, outputs = model(imgs, targets_v)
            loss.backward()
            if batches_done % gradient_accumulations:
                optimizer.step()
                optimizer.zero_grad()
            row = [f"{model.yolo_layers[0].metrics[m]:.4f}" for m in metrics[1:4]]
            o.print(f"[Batch {batch_i}] loss {loss.item():.4f}", row,
                    model.yolo_layers[1].metrics["grid_size"])
            o.vals += [float(v) for m, v in sorted(model.yolo_layers[1].metrics.items())
                       if m not in ("loss", "conf")]
            o.print(outputs.shape, outputs.requires_grad, type(loss).__name__)
            model.seen += imgs.size(0)
        o.vals += [p.detach() for p in list(model.parameters())[:4]]
        # detect.py: a fresh model with the darknet weights file (the method is the same code
        # in both versions of models.py), in eval mode
        Darknet.load_darknet_weights = yolo_models(L)[0].load_darknet_weights
        model = Darknet(cfg_path(), img_size=32)
        model.load_darknet_weights(weights_file(model))
        model.eval()
        with torch.no_grad():
            detections = model(images(L, 2, seed=40))
            o.print(detections.shape, model.yolo_layers[0].stride,
                    model.yolo_layers[1].grid_x.shape)
            detections = non_max_suppression(detections, 0.5, 0.4)
        o.print([None if d is None else tuple(d.shape) for d in detections])
        d = detections[0]
        if d is not None:
            o.vals.append(d.clone())
            d = U["rescale_boxes"](d, 32, (48, 64))
            unique_labels = d[:, -1].cpu().unique()
            o.print(unique_labels, len(unique_labels))
            for x1, y1, x2, y2, conf, cls_conf, cls_pred in d[:3]:
                box_w = x2 - x1
                box_h = y2 - y1
                o.print("\t+ Label: %s, Conf: %.5f" % (int(cls_pred), cls_conf.item()),
                        f"{box_w.item():.3f}", f"{box_h.item():.3f}")
            o.vals.append(d)
    return o.done()


def build_targets_2019(L):
    """build_targets alone: anchors' wh IoU, the uint8 masks, log-space wh targets."""
    torch = L
    _, build_targets, _ = yolo2019(L)
    with Out() as o:
        rng = np.random.default_rng(9)
        pred_boxes = torch.from_numpy(rng.uniform(0, 8, (2, 3, 8, 8, 4)).astype(np.float32))
        pred_cls = torch.from_numpy(rng.uniform(0, 1, (2, 3, 8, 8, 2)).astype(np.float32))
        target = torch.tensor([[0, 1, 0.30, 0.40, 0.20, 0.25],
                               [1, 0, 0.70, 0.62, 0.45, 0.50],
                               [1, 1, 0.52, 0.48, 0.30, 0.20]])
        anchors = torch.FloatTensor([(2.5, 3.5), (4., 3.), (5.5, 6.5)])
        out = build_targets(pred_boxes, pred_cls, target, anchors, 0.5)
        names = "iou_scores class_mask obj_mask noobj_mask tx ty tw th tcls tconf".split()
        for name, t in zip(names, out):
            o.print(name, t.dtype, tuple(t.shape), t.sum().item() if t.dtype != torch.uint8
                    else int(t.sum()))
            o.vals.append(t)
        obj_mask = out[2]
        o.print(out[4][obj_mask], out[6][obj_mask.bool()])
    return o.done()
