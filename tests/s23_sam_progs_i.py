"""bowang-lab/MedSAM's train_one_gpu.py and MedSAM_Inference.py as users copy them, on the
tiny Sam of s23_sam_progs_b: the MedSAM wrapper (frozen prompt encoder, boxes as (B, 1, 4),
the fork's predict_masks that repeats the image embedding only when the batch sizes differ),
monai's DiceLoss(sigmoid=True, squared_pred=True) written out (monai is not installed) plus
BCEWithLogitsLoss, AdamW over the image encoder and mask decoder, and the inference helper
(sigmoid, bilinear resize, 0.5 threshold)."""

import numpy as np

from s23_sam_progs_b import sam_model_modules


def medsam_modules(torch):
    nn, F = torch.nn, torch.nn.functional

    class MedSAM(nn.Module):
        def __init__(self, image_encoder, mask_decoder, prompt_encoder):
            super().__init__()
            self.image_encoder = image_encoder
            self.mask_decoder = mask_decoder
            self.prompt_encoder = prompt_encoder
            for param in self.prompt_encoder.parameters():
                param.requires_grad = False

        def forward(self, image, box):
            image_embedding = self.image_encoder(image)
            with torch.no_grad():
                box_torch = torch.as_tensor(box, dtype=torch.float32, device=image.device)
                if len(box_torch.shape) == 2:
                    box_torch = box_torch[:, None, :]
                sparse_embeddings, dense_embeddings = self.prompt_encoder(
                    points=None, boxes=box_torch, masks=None)
            low_res_masks, _ = self.mask_decoder(
                image_embeddings=image_embedding,
                image_pe=self.prompt_encoder.get_dense_pe(),
                sparse_prompt_embeddings=sparse_embeddings,
                dense_prompt_embeddings=dense_embeddings,
                multimask_output=False)
            ori_res_masks = F.interpolate(low_res_masks, size=(image.shape[2], image.shape[3]),
                                          mode="bilinear", align_corners=False)
            return ori_res_masks

    class DiceLoss(nn.Module):  # monai.losses.DiceLoss(sigmoid=True, squared_pred=True)
        def __init__(self, sigmoid=True, squared_pred=True, reduction="mean",
                     smooth_nr=1e-5, smooth_dr=1e-5):
            super().__init__()
            self.sigmoid, self.squared_pred = sigmoid, squared_pred
            self.smooth_nr, self.smooth_dr = float(smooth_nr), float(smooth_dr)

        def forward(self, input, target):
            if self.sigmoid:
                input = torch.sigmoid(input)
            if target.shape != input.shape:
                raise AssertionError(f"ground truth has different shape ({target.shape}) from "
                                     f"input ({input.shape})")
            reduce_axis = list(range(2, len(input.shape)))
            intersection = torch.sum(target * input, dim=reduce_axis)
            if self.squared_pred:
                ground_o = torch.sum(target**2, dim=reduce_axis)
                pred_o = torch.sum(input**2, dim=reduce_axis)
            else:
                ground_o = torch.sum(target, dim=reduce_axis)
                pred_o = torch.sum(input, dim=reduce_axis)
            denominator = ground_o + pred_o
            f = 1.0 - (2.0 * intersection + self.smooth_nr) / (denominator + self.smooth_dr)
            return torch.mean(f)

    return MedSAM, DiceLoss


def _medsam_sam(torch):
    M = sam_model_modules(torch)
    torch.manual_seed(0)
    sam = M["build_sam"]()
    dec = sam.mask_decoder
    plain = dec.predict_masks

    def predict_masks(image_embeddings, image_pe, sparse_prompt_embeddings,
                      dense_prompt_embeddings):
        # MedSAM's fork: the image embedding is repeated only when the batch sizes differ
        if image_embeddings.shape[0] != sparse_prompt_embeddings.shape[0]:
            return plain(image_embeddings, image_pe, sparse_prompt_embeddings,
                         dense_prompt_embeddings)
        output_tokens = torch.cat([dec.iou_token.weight, dec.mask_tokens.weight], dim=0)
        output_tokens = output_tokens.unsqueeze(0).expand(sparse_prompt_embeddings.size(0), -1, -1)
        tokens = torch.cat((output_tokens, sparse_prompt_embeddings), dim=1)
        src = image_embeddings
        src = src + dense_prompt_embeddings
        pos_src = torch.repeat_interleave(image_pe, tokens.shape[0], dim=0)
        b, c, h, w = src.shape
        hs, src = dec.transformer(src, pos_src, tokens)
        iou_token_out = hs[:, 0, :]
        mask_tokens_out = hs[:, 1: (1 + dec.num_mask_tokens), :]
        src = src.transpose(1, 2).view(b, c, h, w)
        upscaled_embedding = dec.output_upscaling(src)
        hyper_in = torch.stack([dec.output_hypernetworks_mlps[i](mask_tokens_out[:, i, :])
                                for i in range(dec.num_mask_tokens)], dim=1)
        b, c, h, w = upscaled_embedding.shape
        masks = (hyper_in @ upscaled_embedding.view(b, c, h * w)).view(b, -1, h, w)
        iou_pred = dec.iou_prediction_head(iou_token_out)
        return masks, iou_pred

    dec.predict_masks = predict_masks
    return sam


def medsam_train(torch):
    MedSAM, DiceLoss = medsam_modules(torch)
    sam_model = _medsam_sam(torch)
    medsam_model = MedSAM(image_encoder=sam_model.image_encoder,
                          mask_decoder=sam_model.mask_decoder,
                          prompt_encoder=sam_model.prompt_encoder)
    medsam_model.train()
    out, vals = [], []
    out.append("Number of total parameters: "
               f"{sum(p.numel() for p in medsam_model.parameters())}")
    out.append("Number of trainable parameters: "
               f"{sum(p.numel() for p in medsam_model.parameters() if p.requires_grad)}")
    img_mask_encdec_params = list(medsam_model.image_encoder.parameters()) + list(
        medsam_model.mask_decoder.parameters())
    optimizer = torch.optim.AdamW(img_mask_encdec_params, lr=1e-4, weight_decay=0.01)
    out.append("Number of image encoder and mask decoder parameters: "
               f"{sum(p.numel() for p in img_mask_encdec_params if p.requires_grad)}")
    seg_loss = DiceLoss(sigmoid=True, squared_pred=True, reduction="mean")
    ce_loss = torch.nn.BCEWithLogitsLoss(reduction="mean")
    rng = np.random.default_rng(10)
    for epoch in range(2):
        epoch_loss = 0
        for step in range(2):
            img = rng.random((2, 3, 64, 64)).astype(np.float32) * 255
            img = (img - img.min()) / np.clip(img.max() - img.min(), a_min=1e-8, a_max=None)
            image = torch.tensor(img).float()
            gt2D = torch.tensor((rng.random((2, 1, 64, 64)) > 0.5).astype(np.int64))
            boxes = np.array([[4, 6, 40, 50], [10, 0, 63, 30]], dtype=np.float32)
            boxes_np = boxes
            optimizer.zero_grad()
            medsam_pred = medsam_model(image, boxes_np)
            loss = seg_loss(medsam_pred, gt2D) + ce_loss(medsam_pred, gt2D.float())
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            epoch_loss += loss.item()
            vals.append(loss.detach())
        epoch_loss /= 2
        out.append(f"Epoch: {epoch}, Loss: {epoch_loss:.4f}")
    vals.append(medsam_model.image_encoder.blocks[0].attn.rel_pos_h.detach())
    vals.append(medsam_model.mask_decoder.iou_token.weight.detach())
    checkpoint = {"model": medsam_model.state_dict(), "optimizer": optimizer.state_dict(),
                  "epoch": 1}
    out.append(f"{len(checkpoint['model'])} {len(checkpoint['optimizer']['state'])}")
    try:
        seg_loss(medsam_pred, gt2D[:, :, :32])
    except AssertionError as e:
        out.append(f"AssertionError {e}")
    return out, vals


def medsam_inference(torch):
    F = torch.nn.functional
    MedSAM, _ = medsam_modules(torch)
    sam_model = _medsam_sam(torch)
    medsam_model = MedSAM(sam_model.image_encoder, sam_model.mask_decoder, sam_model.prompt_encoder)
    medsam_model.eval()
    out, vals = [], []
    rng = np.random.default_rng(11)
    img_np = (rng.random((48, 40, 3)) * 255).astype(np.uint8)
    H, W, _ = img_np.shape
    img_1024 = np.zeros((64, 64, 3))
    img_1024[:48, :40] = img_np
    img_1024 = (img_1024 - img_1024.min()) / np.clip(img_1024.max() - img_1024.min(), a_min=1e-8,
                                                     a_max=None)
    img_1024_tensor = torch.tensor(img_1024).float().permute(2, 0, 1).unsqueeze(0)
    box_np = np.array([[5, 8, 30, 40]])
    box_1024 = box_np / np.array([W, H, W, H]) * 64
    with torch.no_grad():
        image_embedding = medsam_model.image_encoder(img_1024_tensor)
    box_torch = torch.as_tensor(box_1024, dtype=torch.float, device=image_embedding.device)
    if len(box_torch.shape) == 2:
        box_torch = box_torch[:, None, :]
    with torch.no_grad():
        sparse_embeddings, dense_embeddings = medsam_model.prompt_encoder(
            points=None, boxes=box_torch, masks=None)
        low_res_logits, _ = medsam_model.mask_decoder(
            image_embeddings=image_embedding,
            image_pe=medsam_model.prompt_encoder.get_dense_pe(),
            sparse_prompt_embeddings=sparse_embeddings,
            dense_prompt_embeddings=dense_embeddings,
            multimask_output=False)
    low_res_pred = torch.sigmoid(low_res_logits)
    low_res_pred = F.interpolate(low_res_pred, size=(H, W), mode="bilinear", align_corners=False)
    low_res_pred = low_res_pred.squeeze().cpu().numpy()
    medsam_seg = (low_res_pred > 0.5).astype(np.uint8)
    out.append(f"seg {medsam_seg.shape} {medsam_seg.dtype} box {box_torch.tolist()}")
    vals += [low_res_logits, low_res_pred]
    return out, vals
