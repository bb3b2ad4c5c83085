"""facebookresearch/detr continued: the minimal DETRdemo of the repository's notebooks
(nn.Transformer, learned row / column embeddings, query_pos as a Parameter, the detect /
rescale_bboxes / box_cxcywh_to_xyxy demo with a confidence threshold; a tiny conv body
instead of torchvision's resnet50), models/segmentation.py's MHAttentionMap (einsum
'bqnc,bnchw->bqnhw', masked_fill_ with -inf), dice_loss, sigmoid_focal_loss and
PostProcessSegm, and a pre-norm DETR (normalize_before=True) trained a step with aux losses."""

import numpy as np

from s22_detr_progs_c import _targets, build


def detr_demo(torch):
    nn = torch.nn

    class DETRdemo(nn.Module):
        def __init__(self, num_classes, hidden_dim=256, nheads=8,
                     num_encoder_layers=6, num_decoder_layers=6):
            super().__init__()
            self.backbone = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.ReLU(),
                                          nn.Conv2d(16, 24, 3, 2, 1), nn.ReLU())
            self.conv = nn.Conv2d(24, hidden_dim, 1)
            self.transformer = nn.Transformer(hidden_dim, nheads, num_encoder_layers,
                                              num_decoder_layers, dim_feedforward=64)
            self.linear_class = nn.Linear(hidden_dim, num_classes + 1)
            self.linear_bbox = nn.Linear(hidden_dim, 4)
            self.query_pos = nn.Parameter(torch.rand(100, hidden_dim)[:4])
            self.row_embed = nn.Parameter(torch.rand(50, hidden_dim // 2))
            self.col_embed = nn.Parameter(torch.rand(50, hidden_dim // 2))

        def forward(self, inputs):
            x = self.backbone(inputs)
            h = self.conv(x)
            H, W = h.shape[-2:]
            pos = torch.cat([
                self.col_embed[:W].unsqueeze(0).repeat(H, 1, 1),
                self.row_embed[:H].unsqueeze(1).repeat(1, W, 1),
            ], dim=-1).flatten(0, 1).unsqueeze(1)
            h = self.transformer(pos + 0.1 * h.flatten(2).permute(2, 0, 1),
                                 self.query_pos.unsqueeze(1)).transpose(0, 1)
            return {'pred_logits': self.linear_class(h),
                    'pred_boxes': self.linear_bbox(h).sigmoid()}

    def box_cxcywh_to_xyxy(x):
        x_c, y_c, w, h = x.unbind(1)
        b = [(x_c - 0.5 * w), (y_c - 0.5 * h), (x_c + 0.5 * w), (y_c + 0.5 * h)]
        return torch.stack(b, dim=1)

    def rescale_bboxes(out_bbox, size):
        img_w, img_h = size
        b = box_cxcywh_to_xyxy(out_bbox)
        b = b * torch.tensor([img_w, img_h, img_w, img_h], dtype=torch.float32)
        return b

    def detect(im, model):
        img = im.unsqueeze(0)
        assert img.shape[-2] <= 1600 and img.shape[-1] <= 1600, 'demo model only supports images up to 1600 pixels on each side'
        outputs = model(img)
        probas = outputs['pred_logits'].softmax(-1)[0, :, :-1]
        keep = probas.max(-1).values > 0.2
        bboxes_scaled = rescale_bboxes(outputs['pred_boxes'][0, keep], (24, 16))
        return probas[keep], bboxes_scaled

    torch.manual_seed(0)
    detr = DETRdemo(num_classes=5, hidden_dim=32, nheads=4, num_encoder_layers=2,
                    num_decoder_layers=2)
    detr.eval()
    rng = np.random.default_rng(5)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
    im = torch.from_numpy(rng.uniform(0, 1, (3, 16, 24)).astype(np.float32))
    out, vals = [], []
    with torch.no_grad():
        scores, boxes = detect((im - mean) / std, detr)
    out += [str(scores.shape), str(boxes.shape), str(scores.argmax(-1).tolist())]
    vals += [scores, boxes]
    for p, (xmin, ymin, xmax, ymax) in zip(scores, boxes.tolist()):
        cl = p.argmax()
        out.append(f'{cl.item()}: {p[cl]:0.2f} ({xmin:.1f}, {ymin:.1f}, {xmax:.1f}, {ymax:.1f})')
    try:
        detect(torch.zeros(3, 1601, 4), detr)
    except AssertionError as e:
        out.append(str(e))
    return out, vals


def segm_pieces(torch):
    nn, F = torch.nn, torch.nn.functional

    class MHAttentionMap(nn.Module):
        def __init__(self, query_dim, hidden_dim, num_heads, dropout=0, bias=True):
            super().__init__()
            self.num_heads = num_heads
            self.hidden_dim = hidden_dim
            self.dropout = nn.Dropout(dropout)
            self.q_linear = nn.Linear(query_dim, hidden_dim, bias=bias)
            self.k_linear = nn.Linear(query_dim, hidden_dim, bias=bias)
            nn.init.zeros_(self.k_linear.bias)
            nn.init.zeros_(self.q_linear.bias)
            nn.init.xavier_uniform_(self.k_linear.weight)
            nn.init.xavier_uniform_(self.q_linear.weight)
            self.normalize_fact = float(hidden_dim / self.num_heads) ** -0.5

        def forward(self, q, k, mask=None):
            q = self.q_linear(q)
            k = F.conv2d(k, self.k_linear.weight.unsqueeze(-1).unsqueeze(-1), self.k_linear.bias)
            qh = q.view(q.shape[0], q.shape[1], self.num_heads, self.hidden_dim // self.num_heads)
            kh = k.view(k.shape[0], self.num_heads, self.hidden_dim // self.num_heads, k.shape[-2], k.shape[-1])
            weights = torch.einsum("bqnc,bnchw->bqnhw", qh * self.normalize_fact, kh)
            if mask is not None:
                weights.masked_fill_(mask.unsqueeze(1).unsqueeze(1), float("-inf"))
            weights = F.softmax(weights.flatten(2), dim=-1).view_as(weights)
            weights = self.dropout(weights)
            return weights

    def dice_loss(inputs, targets, num_boxes):
        inputs = inputs.sigmoid()
        inputs = inputs.flatten(1)
        numerator = 2 * (inputs * targets).sum(1)
        denominator = inputs.sum(-1) + targets.sum(-1)
        loss = 1 - (numerator + 1) / (denominator + 1)
        return loss.sum() / num_boxes

    def sigmoid_focal_loss(inputs, targets, num_boxes, alpha: float = 0.25, gamma: float = 2):
        prob = inputs.sigmoid()
        ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
        p_t = prob * targets + (1 - prob) * (1 - targets)
        loss = ce_loss * ((1 - p_t) ** gamma)
        if alpha >= 0:
            alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
            loss = alpha_t * loss
        return loss.mean(1).sum() / num_boxes

    class PostProcessSegm(nn.Module):
        def __init__(self, threshold=0.5):
            super().__init__()
            self.threshold = threshold

        @torch.no_grad()
        def forward(self, results, outputs, orig_target_sizes, max_target_sizes):
            assert len(orig_target_sizes) == len(max_target_sizes)
            max_h, max_w = max_target_sizes.max(0)[0].tolist()
            outputs_masks = outputs["pred_masks"].squeeze(2)
            outputs_masks = F.interpolate(outputs_masks, size=(max_h, max_w), mode="bilinear", align_corners=False)
            outputs_masks = (outputs_masks.sigmoid() > self.threshold).cpu()
            for i, (cur_mask, t, tt) in enumerate(zip(outputs_masks, max_target_sizes, orig_target_sizes)):
                img_h, img_w = t[0], t[1]
                results[i]["masks"] = cur_mask[:, :img_h, :img_w].unsqueeze(1)
                results[i]["masks"] = F.interpolate(
                    results[i]["masks"].float(), size=tuple(tt.tolist()), mode="nearest").byte()
            return results

    out, vals = [], []
    rng = np.random.default_rng(6)
    torch.manual_seed(0)
    attn = MHAttentionMap(16, 16, 4, dropout=0.0)
    hs = torch.from_numpy(rng.standard_normal((2, 3, 16)).astype(np.float32)).requires_grad_()
    memory = torch.from_numpy(rng.standard_normal((2, 16, 4, 5)).astype(np.float32))
    mask = torch.zeros(2, 4, 5, dtype=torch.bool)
    mask[1, :, 3:] = True
    bbox_mask = attn(hs, memory, mask=mask)
    out += [str(bbox_mask.shape), str(bbox_mask[1, 0, 0, :, 3:].abs().sum().item()),
            str(bbox_mask.grad_fn.name())]
    vals.append(bbox_mask)
    src_masks = torch.from_numpy(rng.standard_normal((3, 24)).astype(np.float32)).requires_grad_()
    target_masks = torch.from_numpy((rng.uniform(size=(3, 24)) > 0.5).astype(np.float32))
    ld = dice_loss(src_masks, target_masks, 3)
    lf = sigmoid_focal_loss(src_masks, target_masks, 3)
    (ld + lf).backward()
    out.append(f"dice {ld.item():.4f} focal {lf.item():.4f}")
    vals += [ld, lf, src_masks.grad, hs.grad if hs.grad is not None else torch.zeros(1)]
    bbox_mask.sum().backward()
    vals.append(hs.grad)
    post = PostProcessSegm(threshold=0.5)
    outputs = {"pred_masks": torch.from_numpy(rng.standard_normal((2, 3, 1, 4, 4)).astype(np.float32))}
    results = post([{}, {}], outputs, torch.tensor([[10, 12], [6, 9]]), torch.tensor([[8, 8], [6, 7]]))
    for r in results:
        out.append(f"{r['masks'].shape} {r['masks'].dtype} {r['masks'].sum().item()}")
        vals.append(r['masks'])
    return out, vals


def detr_prenorm(torch):
    M, model, criterion = build(torch)
    for layer in list(model.transformer.encoder.layers) + list(model.transformer.decoder.layers):
        layer.normalize_before = True
    model.transformer.encoder.norm = torch.nn.LayerNorm(32)
    out, vals = [], []
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=1e-4)
    rng = np.random.default_rng(9)
    for step in range(2):
        x = torch.from_numpy(rng.standard_normal((2, 3, 16, 16)).astype(np.float32))
        targets = _targets(torch, rng, [1, 3])
        outputs = model(x)
        loss_dict = criterion(outputs, targets)
        losses = sum(loss_dict[k] * criterion.weight_dict[k] for k in loss_dict.keys()
                     if k in criterion.weight_dict)
        optimizer.zero_grad()
        losses.backward()
        optimizer.step()
        out.append(f"step {step} loss {losses.item():.4f} class_error {loss_dict['class_error'].item():.2f}"
                   f" idx {[(i.tolist(), j.tolist()) for i, j in criterion.last_indices]}")
        vals += [losses.detach(), loss_dict['loss_giou_0'].detach()]
    return out, vals
