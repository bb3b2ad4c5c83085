"""segment-anything programs at tiny sizes (embed dim 32, depth 2, image 64x64, patch 16):
the image encoder's pieces (window partition with padding, get_rel_pos with interpolation,
decomposed relative positions) and a forward / backward pass, the prompt encoder with point,
box and mask prompts, Sam's end-to-end forward with preprocess / postprocess_masks, and a
few fine-tuning steps of the mask decoder with focal + dice + IoU losses (the fine-tuning
recipe of lightning-sam / MedSAM style scripts)."""

import numpy as np

from s23_sam_progs_b import sam_model_modules


def _t(torch, rng, shape, scale=1.0):
    return torch.from_numpy((scale * rng.standard_normal(shape)).astype(np.float32))


def encoder_pieces(torch):
    M = sam_model_modules(torch)
    F = torch.nn.functional
    out, vals = [], []
    rng = np.random.default_rng(0)
    x = _t(torch, rng, (2, 4, 5, 6))
    windows, pad_hw = M["window_partition"](x, 3)
    out.append(f"windows {tuple(windows.shape)} pad_hw {pad_hw} contig {windows.is_contiguous()}")
    back = M["window_unpartition"](windows, 3, pad_hw, (4, 5))
    out.append(f"back {tuple(back.shape)} equal {torch.equal(back, x)}")
    vals.append(windows)
    rel_pos = _t(torch, rng, (7, 4))
    for q_size, k_size in [(4, 4), (3, 5), (6, 2), (2, 2)]:
        r = M["get_rel_pos"](q_size, k_size, rel_pos)
        out.append(f"get_rel_pos {q_size} {k_size} {tuple(r.shape)} {r.dtype}")
        vals.append(r)
    res = F.interpolate(rel_pos.reshape(1, 7, -1).permute(0, 2, 1), size=11, mode="linear")
    out.append(f"interp {tuple(res.shape)} {res.is_contiguous()}")
    vals.append(res)
    q = _t(torch, rng, (4, 6, 8))
    attn = _t(torch, rng, (4, 6, 12))
    rph, rpw = _t(torch, rng, (5, 8)), _t(torch, rng, (7, 8))
    a = M["add_decomposed_rel_pos"](attn, q, rph, rpw, (2, 3), (3, 4))
    out.append(f"add_decomposed_rel_pos {tuple(a.shape)}")
    vals.append(a)
    return out, vals


def _encoder(torch, window_size, global_idx):
    M = sam_model_modules(torch)
    torch.manual_seed(0)
    enc = M["ImageEncoderViT"](img_size=64, patch_size=16, embed_dim=32, depth=2, num_heads=2,
                               out_chans=16, use_rel_pos=True, window_size=window_size,
                               global_attn_indexes=global_idx)
    with torch.no_grad():
        for n, p in enc.named_parameters():
            if "rel_pos" in n or n == "pos_embed":
                torch.nn.init.normal_(p, std=0.02)
    return enc


def image_encoder(torch):
    out, vals = [], []
    rng = np.random.default_rng(1)
    for window_size, global_idx in [(2, (1,)), (3, ())]:
        enc = _encoder(torch, window_size, global_idx)
        out.append(str([(n, tuple(p.shape)) for n, p in enc.named_parameters() if "rel_pos" in n]))
        out.append(f"params {sum(p.numel() for p in enc.parameters())}")
        x = _t(torch, rng, (2, 3, 64, 64))
        y = enc(x)
        out.append(f"y {tuple(y.shape)} {y.dtype}")
        loss = y.pow(2).mean() + y[:, 0].sum() * 0.01
        loss.backward()
        out.append(f"loss {loss.item():.4f}")
        # y itself is left out: the neck's LayerNorm2d scales the patch conv's float32
        # rounding (a 768-term sum, BLAS-order dependent) up to ~3e-6 on O(1) outputs; its
        # loss and gradients are compared here, and the float64 output below.
        vals += [loss, enc.blocks[0].attn.rel_pos_h.grad, enc.pos_embed.grad,
                 enc.patch_embed.proj.weight.grad, enc.neck[1].weight.grad]
        with torch.no_grad():
            y64 = enc.double()(x.double())
        out.append(f"y64 {y64.dtype} {enc.pos_embed.dtype} {enc.blocks[0].attn.rel_pos_w.grad.dtype}")
        vals.append(y64)
    return out, vals


def prompt_encoder(torch):
    M = sam_model_modules(torch)
    torch.manual_seed(0)
    pe = M["PromptEncoder"](embed_dim=32, image_embedding_size=(4, 4), input_image_size=(64, 64),
                            mask_in_chans=16)
    out, vals = [], []
    out.append(str(sorted(pe.state_dict().keys())))
    dense_pe = pe.get_dense_pe()
    out.append(f"dense_pe {tuple(dense_pe.shape)} {dense_pe.dtype}")
    vals.append(dense_pe)
    coords = torch.tensor([[[10.0, 20.0], [30.5, 40.0]], [[5.0, 60.0], [63.0, 0.0]]])
    labels = torch.tensor([[1, 0], [1, -1]])
    boxes = torch.tensor([[4.0, 8.0, 40.0, 50.0], [0.0, 0.0, 63.0, 63.0]])
    rng = np.random.default_rng(2)
    masks = _t(torch, rng, (2, 1, 16, 16))
    for name, kw in [("points", dict(points=(coords, labels), boxes=None, masks=None)),
                     ("points+boxes", dict(points=(coords, labels), boxes=boxes, masks=None)),
                     ("boxes", dict(points=None, boxes=boxes, masks=None)),
                     ("masks", dict(points=None, boxes=None, masks=masks)),
                     ("none", dict(points=None, boxes=None, masks=None))]:
        sparse, dense = pe(**kw)
        out.append(f"{name}: sparse {tuple(sparse.shape)} {sparse.dtype} dense {tuple(dense.shape)}"
                   f" {sparse.requires_grad} {dense.requires_grad}")
        vals += [sparse, dense]
    labels_f = labels.float()
    sparse, _ = pe(points=(coords, labels_f), boxes=None, masks=None)
    (sparse.sum() + pe(None, boxes, masks)[1].mean()).backward()
    grads = {n: p.grad for n, p in pe.named_parameters() if p.grad is not None}
    out.append(str(sorted(grads)))
    vals += [grads[k] for k in sorted(grads)]
    return out, vals


def sam_forward(torch):
    M = sam_model_modules(torch)
    torch.manual_seed(0)
    sam = M["build_sam"]()
    out, vals = [], []
    out.append(f"params {sum(p.numel() for p in sam.parameters())} {sam.device}")
    rng = np.random.default_rng(3)
    img1 = torch.from_numpy((rng.random((3, 64, 48)) * 255).astype(np.float32))
    img2 = torch.from_numpy((rng.random((3, 56, 64)) * 255).astype(np.float32))
    batched_input = [
        {"image": img1, "original_size": (80, 60),
         "point_coords": torch.tensor([[[12.0, 30.0], [40.0, 8.0]]]),
         "point_labels": torch.tensor([[1, 0]])},
        {"image": img2, "original_size": (56, 64),
         "boxes": torch.tensor([[4.0, 4.0, 40.0, 30.0], [10.0, 20.0, 60.0, 50.0]])},
    ]
    pre = sam.preprocess(img1)
    out.append(f"pre {tuple(pre.shape)} {pre[:, :, 48:].abs().sum().item()}")
    vals.append(pre)
    for multimask in (True, False):
        outputs = sam(batched_input, multimask_output=multimask)
        for o in outputs:
            out.append(f"mm={multimask} masks {tuple(o['masks'].shape)} {o['masks'].dtype} "
                       f"iou {tuple(o['iou_predictions'].shape)} "
                       f"low {tuple(o['low_res_logits'].shape)} grad {o['iou_predictions'].requires_grad}")
            vals += [o["iou_predictions"], o["low_res_logits"]]
    pm = sam.postprocess_masks(outputs[0]["low_res_logits"], (64, 48), (80, 60))
    out.append(f"post {tuple(pm.shape)}")
    vals.append(pm)
    return out, vals


def _losses(torch):
    F = torch.nn.functional

    class FocalLoss(torch.nn.Module):
        def forward(self, inputs, targets, alpha=0.8, gamma=2):
            inputs = F.sigmoid(inputs)
            inputs = torch.clamp(inputs, min=0, max=1)
            inputs = inputs.view(-1)
            targets = targets.view(-1)
            BCE = F.binary_cross_entropy(inputs, targets, reduction='mean')
            BCE_EXP = torch.exp(-BCE)
            focal_loss = alpha * (1 - BCE_EXP) ** gamma * BCE
            return focal_loss

    class DiceLoss(torch.nn.Module):
        def forward(self, inputs, targets, smooth=1):
            inputs = F.sigmoid(inputs)
            inputs = torch.clamp(inputs, min=0, max=1)
            inputs = inputs.view(-1)
            targets = targets.view(-1)
            intersection = (inputs * targets).sum()
            dice = (2. * intersection + smooth) / (inputs.sum() + targets.sum() + smooth)
            return 1 - dice

    def calc_iou(pred_mask, gt_mask):
        pred_mask = (pred_mask >= 0.5).float()
        intersection = torch.sum(torch.mul(pred_mask, gt_mask), dim=(1, 2))
        union = torch.sum(pred_mask, dim=(1, 2)) + torch.sum(gt_mask, dim=(1, 2)) - intersection
        epsilon = 1e-7
        batch_iou = intersection / (union + epsilon)
        batch_iou = batch_iou.unsqueeze(1)
        return batch_iou

    return FocalLoss(), DiceLoss(), calc_iou


def decoder_train(torch):
    M = sam_model_modules(torch)
    F = torch.nn.functional
    torch.manual_seed(0)
    model = M["build_sam"]()
    model.train()
    for param in model.image_encoder.parameters():
        param.requires_grad = False
    for param in model.prompt_encoder.parameters():
        param.requires_grad = False
    optimizer = torch.optim.Adam(model.mask_decoder.parameters(), lr=1e-3, weight_decay=1e-4)
    focal_loss, dice_loss, calc_iou = _losses(torch)
    out, vals = [], []
    out.append(f"trainable {sum(p.numel() for p in model.parameters() if p.requires_grad)}")
    rng = np.random.default_rng(4)
    for step in range(3):
        images = torch.from_numpy(rng.standard_normal((2, 3, 64, 64)).astype(np.float32))
        bboxes = [torch.tensor([[8.0, 8.0, 40.0, 48.0]]),
                  torch.tensor([[0.0, 16.0, 60.0, 60.0], [20.0, 4.0, 50.0, 30.0]])]
        gt_masks = [torch.from_numpy((rng.random((len(b), 64, 64)) > 0.6).astype(np.float32))
                    for b in bboxes]
        image_embeddings = model.image_encoder(images)
        pred_masks, ious = [], []
        for embedding, bbox in zip(image_embeddings, bboxes):
            sparse_embeddings, dense_embeddings = model.prompt_encoder(
                points=None, boxes=bbox, masks=None)
            low_res_masks, iou_predictions = model.mask_decoder(
                image_embeddings=embedding.unsqueeze(0),
                image_pe=model.prompt_encoder.get_dense_pe(),
                sparse_prompt_embeddings=sparse_embeddings,
                dense_prompt_embeddings=dense_embeddings,
                multimask_output=False)
            masks = F.interpolate(low_res_masks, (64, 64), mode="bilinear", align_corners=False)
            pred_masks.append(masks.squeeze(1))
            ious.append(iou_predictions)
        num_masks = sum(len(pred_mask) for pred_mask in pred_masks)
        loss_focal = torch.tensor(0.)
        loss_dice = torch.tensor(0.)
        loss_iou = torch.tensor(0.)
        for pred_mask, gt_mask, iou_prediction in zip(pred_masks, gt_masks, ious):
            batch_iou = calc_iou(pred_mask, gt_mask)
            loss_focal += focal_loss(pred_mask, gt_mask, num_masks)
            loss_dice += dice_loss(pred_mask, gt_mask, num_masks)
            loss_iou += F.mse_loss(iou_prediction, batch_iou, reduction='sum') / num_masks
        loss_total = 20. * loss_focal + loss_dice + loss_iou
        optimizer.zero_grad()
        loss_total.backward()
        optimizer.step()
        out.append(f"step {step} focal {loss_focal.item():.4f} dice {loss_dice.item():.4f} "
                   f"iou {loss_iou.item():.4f} total {loss_total.item():.4f}")
        vals += [loss_focal, loss_dice, loss_iou, ious[1].detach()]
    out.append(str(model.image_encoder.patch_embed.proj.weight.grad))
    vals.append(model.mask_decoder.iou_token.weight.detach())
    vals.append(model.mask_decoder.output_upscaling[0].weight.detach())
    return out, vals
