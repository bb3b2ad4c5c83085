"""eriklindernoren/PyTorch-YOLOv3 pytorchyolo/utils/loss.py as users type it: bbox_iou (IoU,
GIoU, DIoU, CIoU), build_targets and compute_loss, in the current version (sigmoid / exp box
decoding, one-hot class targets) and the earlier one (ultralytics-style offsets, 2*sigmoid-0.5
decoding, layer balance, smooth_BCE, FocalLoss), driven by pytorchyolo/train.py's loop: Adam
with the cfg's decay, burn-in learning rate, loss components printed. The model is the small
Darknet of tests/s21_yolo_progs.py."""

import math

import numpy as np
from s16_yunjey_progs import Out
from s21_yolo_progs import yolo_models
from s21_yolo_progs_e import cfg_path, images


def yolo_loss(torch, old=False):
    """utils/loss.py bound to a library (old: the version before the rewrite)."""
    nn = torch.nn

    def to_cpu(tensor):
        return tensor.detach().cpu()

    def bbox_iou(box1, box2, x1y1x2y2=True, GIoU=False, DIoU=False, CIoU=False, eps=1e-9):
        # Returns the IoU of box1 to box2. box1 is 4, box2 is nx4
        box2 = box2.T

        # Get the coordinates of bounding boxes
        if x1y1x2y2:  # x1, y1, x2, y2 = box1
            b1_x1, b1_y1, b1_x2, b1_y2 = box1[0], box1[1], box1[2], box1[3]
            b2_x1, b2_y1, b2_x2, b2_y2 = box2[0], box2[1], box2[2], box2[3]
        else:  # transform from xywh to xyxy
            b1_x1, b1_x2 = box1[0] - box1[2] / 2, box1[0] + box1[2] / 2
            b1_y1, b1_y2 = box1[1] - box1[3] / 2, box1[1] + box1[3] / 2
            b2_x1, b2_x2 = box2[0] - box2[2] / 2, box2[0] + box2[2] / 2
            b2_y1, b2_y2 = box2[1] - box2[3] / 2, box2[1] + box2[3] / 2

        # Intersection area
        inter = (torch.min(b1_x2, b2_x2) - torch.max(b1_x1, b2_x1)).clamp(0) * \
                (torch.min(b1_y2, b2_y2) - torch.max(b1_y1, b2_y1)).clamp(0)

        # Union Area
        w1, h1 = b1_x2 - b1_x1, b1_y2 - b1_y1 + eps
        w2, h2 = b2_x2 - b2_x1, b2_y2 - b2_y1 + eps
        union = w1 * h1 + w2 * h2 - inter + eps

        iou = inter / union
        if GIoU or DIoU or CIoU:
            cw = torch.max(b1_x2, b2_x2) - torch.min(b1_x1, b2_x1)
            ch = torch.max(b1_y2, b2_y2) - torch.min(b1_y1, b2_y1)  # convex height
            if CIoU or DIoU:
                c2 = cw ** 2 + ch ** 2 + eps  # convex diagonal squared
                rho2 = ((b2_x1 + b2_x2 - b1_x1 - b1_x2) ** 2 +
                        (b2_y1 + b2_y2 - b1_y1 - b1_y2) ** 2) / 4  # center distance squared
                if DIoU:
                    return iou - rho2 / c2  # DIoU
                elif CIoU:
                    v = (4 / math.pi ** 2) * \
                        torch.pow(torch.atan(w2 / h2) - torch.atan(w1 / h1), 2)
                    with torch.no_grad():
                        alpha = v / ((1 + eps) - iou + v)
                    return iou - (rho2 / c2 + v * alpha)  # CIoU
            else:
                c_area = cw * ch + eps  # convex area
                return iou - (c_area - union) / c_area  # GIoU
        else:
            return iou  # IoU

    def smooth_BCE(eps=0.1):
        return 1.0 - 0.5 * eps, 0.5 * eps

    class FocalLoss(nn.Module):
        def __init__(self, loss_fcn, gamma=1.5, alpha=0.25):
            super(FocalLoss, self).__init__()
            self.loss_fcn = loss_fcn  # must be nn.BCEWithLogitsLoss()
            self.gamma = gamma
            self.alpha = alpha
            self.reduction = loss_fcn.reduction
            self.loss_fcn.reduction = 'none'  # required to apply FL to each element

        def forward(self, pred, true):
            loss = self.loss_fcn(pred, true)
            pred_prob = torch.sigmoid(pred)  # prob from logits
            p_t = true * pred_prob + (1 - true) * (1 - pred_prob)
            alpha_factor = true * self.alpha + (1 - true) * (1 - self.alpha)
            modulating_factor = (1.0 - p_t) ** self.gamma
            loss *= alpha_factor * modulating_factor
            if self.reduction == 'mean':
                return loss.mean()
            elif self.reduction == 'sum':
                return loss.sum()
            else:  # 'none'
                return loss

    def compute_loss(predictions, targets, model, gamma=0):
        device = targets.device
        lcls, lbox, lobj = torch.zeros(1, device=device), torch.zeros(1, device=device), \
            torch.zeros(1, device=device)
        tcls, tbox, indices, anchors = build_targets(predictions, targets, model)  # targets

        BCEcls = nn.BCEWithLogitsLoss(
            pos_weight=torch.tensor([1.0], device=device))
        BCEobj = nn.BCEWithLogitsLoss(
            pos_weight=torch.tensor([1.0], device=device))
        cp, cn = smooth_BCE(eps=0.0)
        if gamma > 0:
            BCEcls, BCEobj = FocalLoss(BCEcls, gamma), FocalLoss(BCEobj, gamma)
        balance = [4.0, 1.0, 0.4, 0.1]  # P3-P6

        for layer_index, layer_predictions in enumerate(predictions):
            b, anchor, grid_j, grid_i = indices[layer_index]
            tobj = torch.zeros_like(layer_predictions[..., 0], device=device)  # target obj
            num_targets = b.shape[0]
            if num_targets:
                ps = layer_predictions[b, anchor, grid_j, grid_i]
                if old:
                    pxy = ps[:, :2].sigmoid() * 2. - 0.5
                    pwh = (ps[:, 2:4].sigmoid() * 2) ** 2 * anchors[layer_index]
                else:
                    pxy = ps[:, :2].sigmoid()
                    pwh = torch.exp(ps[:, 2:4]) * anchors[layer_index]
                pbox = torch.cat((pxy, pwh), 1)
                iou = bbox_iou(pbox.T, tbox[layer_index], x1y1x2y2=False, CIoU=True)
                lbox += (1.0 - iou).mean()  # iou loss

                if old:
                    model.gr = 1
                    tobj[b, anchor, grid_j, grid_i] = \
                        (1.0 - model.gr) + model.gr * iou.detach().clamp(0).type(tobj.dtype)
                    t = torch.full_like(ps[:, 5:], cn, device=device)  # targets
                    t[range(num_targets), tcls[layer_index]] = cp
                    lcls += BCEcls(ps[:, 5:], t)  # BCE
                else:
                    tobj[b, anchor, grid_j, grid_i] = iou.detach().clamp(0).type(tobj.dtype)
                    if ps.size(1) - 5 > 1:
                        t = torch.zeros_like(ps[:, 5:], device=device)  # targets
                        t[range(num_targets), tcls[layer_index]] = 1
                        lcls += BCEcls(ps[:, 5:], t)  # BCE

            if old:
                lobj += BCEobj(layer_predictions[..., 4], tobj) * balance[layer_index]
            else:
                lobj += BCEobj(layer_predictions[..., 4], tobj)  # obj loss

        if old:
            lbox *= 0.05 * (3. / 2)
            lobj *= (3. / 2)
            lcls *= 0.31
            batch_size = tobj.shape[0]  # batch size
            loss = lbox + lobj + lcls
            return loss * batch_size, to_cpu(torch.cat((lbox, lobj, lcls, loss)))
        lbox *= 0.05
        lobj *= 1.0
        lcls *= 0.5
        loss = lbox + lobj + lcls
        return loss, to_cpu(torch.cat((lbox, lobj, lcls, loss)))

    def build_targets(p, targets, model):
        na, nt = 3, targets.shape[0]  # number of anchors, targets #TODO
        tcls, tbox, indices, anch = [], [], [], []
        gain = torch.ones(7, device=targets.device)  # normalized to gridspace gain
        ai = torch.arange(na, device=targets.device).float().view(na, 1).repeat(1, nt)
        targets = torch.cat((targets.repeat(na, 1, 1), ai[:, :, None]), 2)
        g = 0.5  # bias
        off = torch.tensor([[0, 0]], device=targets.device).float() * g  # offsets

        for i, yolo_layer in enumerate(model.yolo_layers):
            anchors = yolo_layer.anchors / yolo_layer.stride
            gain[2:6] = torch.tensor(p[i].shape)[[3, 2, 3, 2]]  # xyxy gain
            t = targets * gain
            if nt:
                r = t[:, :, 4:6] / anchors[:, None]  # wh ratio
                j = torch.max(r, 1. / r).max(2)[0] < 4  # compare #TODO
                t = t[j]  # filter
                if old:
                    gxy = t[:, 2:4]  # grid xy
                    gxi = gain[[2, 3]] - gxy  # inverse
                    j, k = ((gxy % 1. < g) & (gxy > 1.)).T
                    l, m = ((gxi % 1. < g) & (gxi > 1.)).T
                    j = torch.stack((torch.ones_like(j),))
                    t = t.repeat((off.shape[0], 1, 1))[j]
                    offsets = (torch.zeros_like(gxy)[None] + off[:, None])[j]
            else:
                t = targets[0]
                offsets = 0

            b, c = t[:, :2].long().T  # image, class
            gxy = t[:, 2:4]  # grid xy
            gwh = t[:, 4:6]  # grid wh
            gij = (gxy - offsets).long() if old else gxy.long()
            gi, gj = gij.T  # grid xy indices

            a = t[:, 6].long()  # anchor indices
            try:
                indices.append((b, a, gj.clamp_(0, gain[3] - 1), gi.clamp_(0, gain[2] - 1)))
            except RuntimeError as e:  # PyTorch >= 1.12; the repository's fix follows
                errors.append(str(e))
                indices.append((b, a, gj.clamp_(0, gain[3].long() - 1),
                                gi.clamp_(0, gain[2].long() - 1)))
            tbox.append(torch.cat((gxy - gij, gwh), 1))  # box
            anch.append(anchors[a])  # anchors
            tcls.append(c)  # class

        return tcls, tbox, indices, anch

    errors = []
    build_targets.errors = errors
    return bbox_iou, build_targets, compute_loss


def targets_batch(torch):
    """ListDataset.collate_fn output: rows (sample index, class, x, y, w, h), normalized."""
    return torch.tensor([[0, 1, 0.30, 0.40, 0.20, 0.25],
                         [0, 0, 0.70, 0.62, 0.45, 0.50],
                         [1, 1, 0.52, 0.48, 0.30, 0.20],
                         [1, 0, 0.14, 0.80, 0.10, 0.12],
                         [1, 1, 0.90, 0.11, 0.60, 0.70]])


def _train(torch, old, gamma=0):
    Darknet, _, weights_init_normal, _ = yolo_models(torch)
    bbox_iou, build_targets, compute_loss = yolo_loss(torch, old)
    optim = torch.optim
    torch.manual_seed(1)
    with Out() as o:
        model = Darknet(cfg_path())
        model.apply(weights_init_normal)
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = optim.Adam(params, lr=model.hyperparams['learning_rate'],
                               weight_decay=model.hyperparams['decay'])
        imgs = images(torch, 2, seed=3)
        targets = targets_batch(torch)
        model.train()
        outputs = model(imgs)
        tcls, tbox, indices, anch = build_targets(outputs, targets, model)
        o.print([tuple(x.shape) for x in tbox], [len(c) for c in tcls])
        o.print(indices[0])
        o.print(tcls[1], anch[1].dtype, indices[1][2].dtype)
        o.print(build_targets.errors)
        o.vals += tbox + anch
        batches_done = 0
        for epoch in range(3):
            imgs = images(torch, 2, seed=10 + epoch)
            outputs = model(imgs)
            loss, loss_components = compute_loss(outputs, targets, model, gamma) \
                if gamma else compute_loss(outputs, targets, model)
            loss.backward()
            if batches_done % model.hyperparams['subdivisions'] == 0:
                lr = model.hyperparams['learning_rate']
                if batches_done < model.hyperparams['burn_in']:
                    lr *= (batches_done / model.hyperparams['burn_in'])
                else:
                    for threshold, value in model.hyperparams['lr_steps']:
                        if batches_done > threshold:
                            lr *= value
                for g in optimizer.param_groups:
                    g['lr'] = lr
                optimizer.step()
                optimizer.zero_grad()
            batches_done += 1
            o.print(f"iou {float(loss_components[0]):.4f} obj {float(loss_components[1]):.4f} "
                    f"cls {float(loss_components[2]):.4f} total {loss_components[3].item():.4f} "
                    f"lr {lr}")
            o.print(loss.shape, loss.requires_grad, loss_components.requires_grad)
            o.vals += [loss_components]
            model.seen += imgs.size(0)
        o.vals += [p.detach() for p in list(model.parameters())[:6]]
        o.print(model.seen)
    return o.done()


def train_loss(L):
    """train.py with the current compute_loss / build_targets."""
    return _train(L, old=False)


def train_loss_old(L):
    """train.py with the earlier compute_loss (offsets, balance, FocalLoss gamma 1.5)."""
    return _train(L, old=True, gamma=1.5)


def ious(torch):
    """bbox_iou's four kinds on xyxy and xywh boxes, with gradients through CIoU."""
    bbox_iou, _, _ = yolo_loss(torch)
    with Out() as o:
        rng = np.random.default_rng(5)
        xy = rng.uniform(0, 1, (6, 2)).astype(np.float32)
        wh = rng.uniform(0.1, 0.6, (6, 2)).astype(np.float32)
        boxes = torch.from_numpy(np.concatenate([xy, wh], 1))
        box1 = boxes[0].clone().requires_grad_(True)
        for kw in ({}, {"GIoU": True}, {"DIoU": True}, {"CIoU": True}):
            v = bbox_iou(box1, boxes[1:], x1y1x2y2=False, **kw)
            o.print(kw, v)
            o.vals.append(v.detach())
            v.sum().backward()
            o.vals.append(box1.grad.clone())
            box1.grad = None
        xyxy = torch.cat((boxes[:, :2], boxes[:, :2] + boxes[:, 2:]), 1)
        o.print(bbox_iou(xyxy[2], xyxy, GIoU=True))
        pbox = boxes[:4].T.clone().requires_grad_()
        iou = bbox_iou(pbox, boxes[2:], x1y1x2y2=False, CIoU=True)
        (1.0 - iou).mean().backward()
        o.print(iou.shape, pbox.grad.shape)
        o.vals += [iou.detach(), pbox.grad]
    return o.done()
