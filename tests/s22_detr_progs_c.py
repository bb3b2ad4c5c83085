"""facebookresearch/detr programs: the box / NestedTensor / position-encoding pieces, main.py's
model build with backbone param groups, AdamW and StepLR, engine.py's train_one_epoch (weighted
loss sum, clip_grad_norm_, the logged reduced losses), and evaluate's PostProcess, at tiny
sizes (hidden 32, 4 queries, 2 encoder / decoder layers, 16x16 images)."""

import math

import numpy as np

from s22_detr_progs_b import detr_model_modules


def _targets(torch, rng, sizes):
    out = []
    for n in sizes:
        cxcy = rng.uniform(0.3, 0.7, (n, 2))
        wh = rng.uniform(0.1, 0.4, (n, 2))
        boxes = torch.from_numpy(np.concatenate([cxcy, wh], 1).astype(np.float32))
        labels = torch.from_numpy(rng.integers(0, 3, n).astype(np.int64))
        out.append({"boxes": boxes, "labels": labels})
    return out


def detr_pieces(torch):
    M = detr_model_modules(torch)
    out, vals = [], []
    rng = np.random.default_rng(0)
    b = torch.from_numpy(rng.uniform(0.2, 0.6, (3, 4)).astype(np.float32))
    xyxy = M["box_cxcywh_to_xyxy"](b)
    back = M["box_xyxy_to_cxcywh"](xyxy)
    iou, union = M["box_iou"](xyxy, xyxy[:2])
    g = M["generalized_box_iou"](xyxy, xyxy[:2])
    out += [str(xyxy.shape), str(iou.shape), str(g.dtype), str(torch.diag(g[:2]))]
    vals += [xyxy, back, iou, union, g]
    try:
        M["generalized_box_iou"](b[:, [2, 3, 0, 1]] - 1, xyxy)
    except AssertionError:
        out.append("degenerate boxes asserted")
    masks = torch.zeros(2, 6, 7)
    masks[0, 1:4, 2:6] = 1
    masks[1, 0:2, 0:3] = 1
    out.append(str(M["masks_to_boxes"](masks)))
    out.append(str(M["masks_to_boxes"](torch.zeros(0, 5, 5)).shape))
    imgs = [torch.from_numpy(rng.standard_normal((3, 5, 7)).astype(np.float32)),
            torch.from_numpy(rng.standard_normal((3, 8, 4)).astype(np.float32))]
    nt = M["nested_tensor_from_tensor_list"](imgs)
    t, m = nt.decompose()
    out += [str(t.shape), str(m.dtype), str(m.sum(dim=(1, 2))), str(m[0, 4:, 5:].all())]
    vals += [t]
    try:
        M["nested_tensor_from_tensor_list"]([torch.zeros(2, 2)])
    except ValueError as e:
        out.append(str(e))
    pe = M["PositionEmbeddingSine"](8, normalize=True)
    pos = pe(nt)
    out += [str(pos.shape), str(pos.dtype)]
    vals += [pos, M["PositionEmbeddingSine"](8)(nt)]
    try:
        M["PositionEmbeddingSine"](8, scale=1.0)
    except ValueError as e:
        out.append(str(e))
    torch.manual_seed(0)
    pl = M["PositionEmbeddingLearned"](8)
    pos2 = pl(nt)
    out.append(str(pos2.shape))
    vals += [pos2]
    logits = torch.from_numpy(rng.standard_normal((6, 4)).astype(np.float32))
    target = torch.tensor([0, 1, 2, 3, 1, 0])
    acc = M["accuracy"](logits, target)
    out += [repr(a) for a in acc]
    try:  # correct[:k] of pred.t() is not contiguous: view(-1) fails for k > 1
        M["accuracy"](logits, target, topk=(1, 2))
    except RuntimeError as e:
        out.append(str(e).splitlines()[0])
    out.append(repr(M["accuracy"](logits, target[:0])))
    fbn = M["FrozenBatchNorm2d"](4)
    fbn.running_mean.fill_(0.5)
    sd = {k: v.clone() for k, v in fbn.state_dict().items()}
    sd["num_batches_tracked"] = torch.tensor(7)
    res = fbn.load_state_dict(sd)
    out.append(repr(res))
    out.append(str(sorted(fbn.state_dict().keys())))
    vals.append(fbn(t[:, :, :4, :4].repeat(1, 2, 1, 1)[:, :4]))
    return out, vals


def build(torch, aux_loss=True, num_classes=3, matcher_cls="HungarianMatcher", learned=False):
    M = detr_model_modules(torch)
    torch.manual_seed(0)
    body = M["TinyBody"](16)
    backbone = M["BackboneBase"](body, True, 16, False)
    pos_emb = (M["PositionEmbeddingLearned"](16) if learned
               else M["PositionEmbeddingSine"](16, normalize=True))
    joiner = M["Joiner"](backbone, pos_emb)
    joiner.num_channels = backbone.num_channels
    transformer = M["Transformer"](d_model=32, dropout=0.1, nhead=4, dim_feedforward=64,
                                   num_encoder_layers=2, num_decoder_layers=2,
                                   normalize_before=False, return_intermediate_dec=True)
    model = M["DETR"](joiner, transformer, num_classes=num_classes, num_queries=4,
                      aux_loss=aux_loss)
    matcher = M[matcher_cls](cost_class=1, cost_bbox=5, cost_giou=2)
    weight_dict = {'loss_ce': 1, 'loss_bbox': 5, 'loss_giou': 2}
    if aux_loss:
        aux_weight_dict = {}
        for i in range(2 - 1):
            aux_weight_dict.update({k + f'_{i}': v for k, v in weight_dict.items()})
        weight_dict.update(aux_weight_dict)
    losses = ['labels', 'boxes', 'cardinality']
    criterion = M["SetCriterion"](num_classes, matcher=matcher, weight_dict=weight_dict,
                                  eos_coef=0.1, losses=losses)
    return M, model, criterion


def _train(torch, matcher_cls, learned):
    M, model, criterion = build(torch, matcher_cls=matcher_cls, learned=learned)
    out, vals = [], []
    n_parameters = sum(p.numel() for p in model.parameters() if p.requires_grad)
    out.append(f'number of params: {n_parameters}')
    param_dicts = [
        {"params": [p for n, p in model.named_parameters() if "backbone" not in n and p.requires_grad]},
        {"params": [p for n, p in model.named_parameters() if "backbone" in n and p.requires_grad],
         "lr": 1e-5},
    ]
    optimizer = torch.optim.AdamW(param_dicts, lr=1e-4, weight_decay=1e-4)
    lr_scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 2)
    out.append(str([len(g["params"]) for g in optimizer.param_groups]))
    rng = np.random.default_rng(1)
    model.train()
    criterion.train()
    max_norm = 0.1
    for epoch in range(2):
        for it in range(2):
            samples = [torch.from_numpy(rng.standard_normal((3, 16, 16)).astype(np.float32)),
                       torch.from_numpy(rng.standard_normal((3, 12, 16)).astype(np.float32))]
            targets = _targets(torch, rng, [2, 3])
            outputs = model(samples)
            loss_dict = criterion(outputs, targets)
            weight_dict = criterion.weight_dict
            losses = sum(loss_dict[k] * weight_dict[k] for k in loss_dict.keys() if k in weight_dict)
            loss_dict_reduced_unscaled = {f'{k}_unscaled': v for k, v in loss_dict.items()}
            loss_dict_reduced_scaled = {k: v * weight_dict[k]
                                        for k, v in loss_dict.items() if k in weight_dict}
            losses_reduced_scaled = sum(loss_dict_reduced_scaled.values())
            loss_value = losses_reduced_scaled.item()
            if not math.isfinite(loss_value):
                raise RuntimeError("Loss is {}, stopping training".format(loss_value))
            optimizer.zero_grad()
            losses.backward()
            if max_norm > 0:
                total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
                vals.append(total)
            optimizer.step()
            idx = [(i.tolist(), j.tolist()) for i, j in criterion.last_indices]
            out.append(f"ep {epoch} it {it} loss {loss_value:.4f} idx {idx}")
            out.append(" ".join(f"{k}={v.item():.4f}" for k, v in sorted(loss_dict_reduced_unscaled.items())))
            out.append(str(sorted(loss_dict.keys())))
            out.append(f"{loss_dict['class_error'].dtype} {loss_dict['cardinality_error'].requires_grad}"
                       f" {outputs['pred_logits'].shape} {len(outputs['aux_outputs'])}")
            vals += [losses.detach(), outputs['pred_boxes'].detach()]
        lr_scheduler.step()
        out.append(str([g["lr"] for g in optimizer.param_groups]))
    vals.append(model.class_embed.weight.detach())
    return out, vals


def detr_train(torch):
    return _train(torch, "HungarianMatcher", False)


def detr_train_v1_learned(torch):
    return _train(torch, "HungarianMatcherV1", True)


def detr_eval(torch):
    M, model, criterion = build(torch, aux_loss=False)
    out, vals = [], []
    model.eval()
    rng = np.random.default_rng(2)
    x = torch.from_numpy(rng.standard_normal((2, 3, 16, 16)).astype(np.float32))
    postprocessors = {'bbox': M["PostProcess"]()}
    with torch.no_grad():
        outputs = model(x)
        targets = _targets(torch, rng, [1, 2])
        loss_dict = criterion(outputs, targets)
    out.append(" ".join(f"{k}={v.item():.4f}" for k, v in sorted(loss_dict.items())))
    out.append(str([(i.tolist(), j.tolist()) for i, j in criterion.last_indices]))
    orig_target_sizes = torch.stack([torch.tensor([480, 640]), torch.tensor([300, 200])], dim=0)
    results = postprocessors['bbox'](outputs, orig_target_sizes)
    res = {target_id: output for target_id, output in zip([11, 12], results)}
    for k, r in res.items():
        out.append(f"{k} {r['scores'].shape} {r['labels'].tolist()} {r['boxes'].dtype} {r['boxes'].shape}")
        keep = r['scores'] > 0.0
        vals += [r['scores'], r['boxes'][keep]]
    probas = outputs['pred_logits'].softmax(-1)[0, :, :-1]
    keep = probas.max(-1).values > 0.3
    out.append(str(keep))
    vals.append(probas)
    return out, vals
