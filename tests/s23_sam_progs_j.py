"""facebookresearch/sam2 training-side helpers as users copy them: sam2_utils.py
(select_closest_cond_frames, get_1d_sine_pe, get_clones, sample_box_points,
sample_random_points_from_errors, get_next_point "uniform"), utils/misc.py's mask_to_box,
memory_encoder.py (MaskDownSampler, CXBlock, Fuser, MemoryEncoder with the sine position
encoding of s23_sam_progs_g) and sam/mask_decoder.py's dynamic multimask selection via
stability scores (_get_stability_scores, _dynamic_multimask_via_stability)."""

import copy
import math

import numpy as np

from s23_sam_progs_f import sam2_modules
from s23_sam_progs_g import sam2_pos_modules


def sam2_util_modules(torch):
    nn, F = torch.nn, torch.nn.functional
    H = sam2_modules(torch)
    DropPath = H["DropPath"]

    def select_closest_cond_frames(frame_idx, cond_frame_outputs, max_cond_frame_num):
        if max_cond_frame_num == -1 or len(cond_frame_outputs) <= max_cond_frame_num:
            selected_outputs = cond_frame_outputs
            unselected_outputs = {}
        else:
            assert max_cond_frame_num >= 2, "we should allow using 2+ conditioning frames"
            selected_outputs = {}
            idx_before = max((t for t in cond_frame_outputs if t < frame_idx), default=None)
            if idx_before is not None:
                selected_outputs[idx_before] = cond_frame_outputs[idx_before]
            idx_after = min((t for t in cond_frame_outputs if t >= frame_idx), default=None)
            if idx_after is not None:
                selected_outputs[idx_after] = cond_frame_outputs[idx_after]
            num_remain = max_cond_frame_num - len(selected_outputs)
            inds_remain = sorted((t for t in cond_frame_outputs if t not in selected_outputs),
                                 key=lambda x: abs(x - frame_idx))[:num_remain]
            selected_outputs.update((t, cond_frame_outputs[t]) for t in inds_remain)
            unselected_outputs = {t: v for t, v in cond_frame_outputs.items()
                                  if t not in selected_outputs}
        return selected_outputs, unselected_outputs

    def get_1d_sine_pe(pos_inds, dim, temperature=10000):
        pe_dim = dim // 2
        dim_t = torch.arange(pe_dim, dtype=torch.float32, device=pos_inds.device)
        dim_t = temperature ** (2 * (dim_t // 2) / pe_dim)
        pos_embed = pos_inds.unsqueeze(-1) / dim_t
        pos_embed = torch.cat([pos_embed.sin(), pos_embed.cos()], dim=-1)
        return pos_embed

    def get_clones(module, N):
        return nn.ModuleList([copy.deepcopy(module) for i in range(N)])

    class LayerNorm2d(nn.Module):
        def __init__(self, num_channels, eps=1e-6):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(num_channels))
            self.bias = nn.Parameter(torch.zeros(num_channels))
            self.eps = eps

        def forward(self, x):
            u = x.mean(1, keepdim=True)
            s = (x - u).pow(2).mean(1, keepdim=True)
            x = (x - u) / torch.sqrt(s + self.eps)
            x = self.weight[:, None, None] * x + self.bias[:, None, None]
            return x

    def mask_to_box(masks):
        B, _, h, w = masks.shape
        device = masks.device
        xs = torch.arange(w, device=device, dtype=torch.int32)
        ys = torch.arange(h, device=device, dtype=torch.int32)
        grid_xs, grid_ys = torch.meshgrid(xs, ys, indexing="xy")
        grid_xs = grid_xs[None, None, ...].expand(B, 1, h, w)
        grid_ys = grid_ys[None, None, ...].expand(B, 1, h, w)
        min_xs, _ = torch.min(torch.where(masks, grid_xs, w).flatten(-2), dim=-1)
        max_xs, _ = torch.max(torch.where(masks, grid_xs, -1).flatten(-2), dim=-1)
        min_ys, _ = torch.min(torch.where(masks, grid_ys, h).flatten(-2), dim=-1)
        max_ys, _ = torch.max(torch.where(masks, grid_ys, -1).flatten(-2), dim=-1)
        bbox_coords = torch.stack((min_xs, min_ys, max_xs, max_ys), dim=-1)
        return bbox_coords

    def sample_box_points(masks, noise=0.1, noise_bound=20, top_left_label=2,
                          bottom_right_label=3):
        device = masks.device
        box_coords = mask_to_box(masks)
        B, _, H, W = masks.shape
        box_labels = torch.tensor([top_left_label, bottom_right_label], dtype=torch.int,
                                  device=device).repeat(B)
        if noise > 0.0:
            if not isinstance(noise_bound, torch.Tensor):
                noise_bound = torch.tensor(noise_bound, device=device)
            bbox_w = box_coords[..., 2] - box_coords[..., 0]
            bbox_h = box_coords[..., 3] - box_coords[..., 1]
            max_dx = torch.min(bbox_w * noise, noise_bound)
            max_dy = torch.min(bbox_h * noise, noise_bound)
            box_noise = 2 * torch.rand(B, 1, 4, device=device) - 1
            box_noise = box_noise * torch.stack((max_dx, max_dy, max_dx, max_dy), dim=-1)
            box_coords = box_coords + box_noise
            img_bounds = torch.tensor([W, H, W, H], device=device) - 1
            box_coords.clamp_(torch.zeros_like(img_bounds), img_bounds)
        box_coords = box_coords.reshape(-1, 2, 2)
        box_labels = box_labels.reshape(-1, 2)
        return box_coords, box_labels

    def sample_random_points_from_errors(gt_masks, pred_masks, num_pt=1):
        if pred_masks is None:
            pred_masks = torch.zeros_like(gt_masks)
        assert gt_masks.dtype == torch.bool and gt_masks.size(1) == 1
        assert pred_masks.dtype == torch.bool and pred_masks.shape == gt_masks.shape
        assert num_pt >= 0
        B, _, H_im, W_im = gt_masks.shape
        device = gt_masks.device
        fp_masks = ~gt_masks & pred_masks
        fn_masks = gt_masks & ~pred_masks
        all_correct = torch.all((gt_masks == pred_masks).flatten(2), dim=2)
        all_correct = all_correct[..., None, None]
        pts_noise = torch.rand(B, num_pt, H_im, W_im, 2, device=device)
        pts_noise[..., 0] *= fp_masks | (all_correct & ~gt_masks)
        pts_noise[..., 1] *= fn_masks
        pts_idx = pts_noise.flatten(2).argmax(dim=2)
        labels = (pts_idx % 2).to(torch.int32)
        pts_idx = pts_idx // 2
        pts_x = pts_idx % W_im
        pts_y = pts_idx // W_im
        points = torch.stack([pts_x, pts_y], dim=2).to(torch.float)
        return points, labels

    def get_next_point(gt_masks, pred_masks, method):
        if method == "uniform":
            return sample_random_points_from_errors(gt_masks, pred_masks)
        else:
            raise ValueError(f"unknown sampling method {method}")

    class MaskDownSampler(nn.Module):
        def __init__(self, embed_dim=256, kernel_size=4, stride=4, padding=0, total_stride=16,
                     activation=nn.GELU):
            super().__init__()
            num_layers = int(math.log2(total_stride) // math.log2(stride))
            assert stride**num_layers == total_stride
            self.encoder = nn.Sequential()
            mask_in_chans, mask_out_chans = 1, 1
            for _ in range(num_layers):
                mask_out_chans = mask_in_chans * (stride**2)
                self.encoder.append(nn.Conv2d(mask_in_chans, mask_out_chans,
                                              kernel_size=kernel_size, stride=stride,
                                              padding=padding))
                self.encoder.append(LayerNorm2d(mask_out_chans))
                self.encoder.append(activation())
                mask_in_chans = mask_out_chans
            self.encoder.append(nn.Conv2d(mask_out_chans, embed_dim, kernel_size=1))

        def forward(self, x):
            return self.encoder(x)

    class CXBlock(nn.Module):
        def __init__(self, dim, kernel_size=7, padding=3, drop_path=0.0,
                     layer_scale_init_value=1e-6, use_dwconv=True):
            super().__init__()
            self.dwconv = nn.Conv2d(dim, dim, kernel_size=kernel_size, padding=padding,
                                    groups=dim if use_dwconv else 1)
            self.norm = LayerNorm2d(dim, eps=1e-6)
            self.pwconv1 = nn.Linear(dim, 4 * dim)
            self.act = nn.GELU()
            self.pwconv2 = nn.Linear(4 * dim, dim)
            self.gamma = (nn.Parameter(layer_scale_init_value * torch.ones((dim)), requires_grad=True)
                          if layer_scale_init_value > 0 else None)
            self.drop_path = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()

        def forward(self, x):
            input = x
            x = self.dwconv(x)
            x = self.norm(x)
            x = x.permute(0, 2, 3, 1)
            x = self.pwconv1(x)
            x = self.act(x)
            x = self.pwconv2(x)
            if self.gamma is not None:
                x = self.gamma * x
            x = x.permute(0, 3, 1, 2)
            x = input + self.drop_path(x)
            return x

    class Fuser(nn.Module):
        def __init__(self, layer, num_layers, dim=None, input_projection=False):
            super().__init__()
            self.proj = nn.Identity()
            self.layers = get_clones(layer, num_layers)
            if input_projection:
                assert dim is not None
                self.proj = nn.Conv2d(dim, dim, kernel_size=1)

        def forward(self, x):
            x = self.proj(x)
            for layer in self.layers:
                x = layer(x)
            return x

    class MemoryEncoder(nn.Module):
        def __init__(self, out_dim, mask_downsampler, fuser, position_encoding, in_dim=256):
            super().__init__()
            self.mask_downsampler = mask_downsampler
            self.pix_feat_proj = nn.Conv2d(in_dim, in_dim, kernel_size=1)
            self.fuser = fuser
            self.position_encoding = position_encoding
            self.out_proj = nn.Identity()
            if out_dim != in_dim:
                self.out_proj = nn.Conv2d(in_dim, out_dim, kernel_size=1)

        def forward(self, pix_feat, masks, skip_mask_sigmoid=False):
            if not skip_mask_sigmoid:
                masks = F.sigmoid(masks)
            masks = self.mask_downsampler(masks)
            pix_feat = pix_feat.to(masks.device)
            x = self.pix_feat_proj(pix_feat)
            x = x + masks
            x = self.fuser(x)
            x = self.out_proj(x)
            pos = self.position_encoding(x).to(x.dtype)
            return {"vision_features": x, "vision_pos_enc": [pos]}

    def get_stability_scores(mask_logits, stability_delta=0.05):
        mask_logits = mask_logits.flatten(-2)
        area_i = torch.sum(mask_logits > stability_delta, dim=-1).float()
        area_u = torch.sum(mask_logits > -stability_delta, dim=-1).float()
        stability_scores = torch.where(area_u > 0, area_i / area_u, 1.0)
        return stability_scores

    def dynamic_multimask_via_stability(all_mask_logits, all_iou_scores, thresh=0.98):
        multimask_logits = all_mask_logits[:, 1:, :, :]
        multimask_iou_scores = all_iou_scores[:, 1:]
        best_scores_inds = torch.argmax(multimask_iou_scores, dim=-1)
        batch_inds = torch.arange(multimask_iou_scores.size(0), device=all_iou_scores.device)
        best_multimask_logits = multimask_logits[batch_inds, best_scores_inds]
        best_multimask_logits = best_multimask_logits.unsqueeze(1)
        best_multimask_iou_scores = multimask_iou_scores[batch_inds, best_scores_inds]
        best_multimask_iou_scores = best_multimask_iou_scores.unsqueeze(1)
        singlemask_logits = all_mask_logits[:, 0:1, :, :]
        singlemask_iou_scores = all_iou_scores[:, 0:1]
        stability_scores = get_stability_scores(singlemask_logits)
        is_stable = stability_scores >= thresh
        mask_logits_out = torch.where(is_stable[..., None, None].expand_as(singlemask_logits),
                                      singlemask_logits, best_multimask_logits)
        iou_scores_out = torch.where(is_stable.expand_as(singlemask_iou_scores),
                                     singlemask_iou_scores, best_multimask_iou_scores)
        return mask_logits_out, iou_scores_out

    return dict(select_closest_cond_frames=select_closest_cond_frames,
                get_1d_sine_pe=get_1d_sine_pe, mask_to_box=mask_to_box,
                sample_box_points=sample_box_points, get_next_point=get_next_point,
                MaskDownSampler=MaskDownSampler, CXBlock=CXBlock, Fuser=Fuser,
                MemoryEncoder=MemoryEncoder, get_stability_scores=get_stability_scores,
                dynamic_multimask_via_stability=dynamic_multimask_via_stability)


def sam2_train_utils(torch):
    S = sam2_util_modules(torch)
    out, vals = [], []
    outs = {t: f"out{t}" for t in [0, 3, 7, 12, 20]}
    for frame_idx, n in [(10, 3), (10, -1), (0, 2), (25, 4)]:
        sel, unsel = S["select_closest_cond_frames"](frame_idx, outs, n)
        out.append(f"{frame_idx} {n} {sorted(sel)} {sorted(unsel)}")
    pe = S["get_1d_sine_pe"](torch.tensor([0.0, 1.0, 5.0, 7.0]), dim=8)
    out.append(f"1d pe {tuple(pe.shape)}")
    vals.append(pe)
    rng = np.random.default_rng(12)
    masks = torch.from_numpy(rng.random((3, 1, 12, 10)) > 0.8)
    masks[1] = False
    box = S["mask_to_box"](masks)
    out.append(f"mask_to_box {box.dtype} {box.tolist()}")
    torch.manual_seed(5)
    box_coords, box_labels = S["sample_box_points"](masks)
    out.append(f"box points {box_coords.dtype} {tuple(box_coords.shape)} {box_labels.dtype} "
               f"{box_labels.tolist()}")
    vals.append(box_coords)
    gt = torch.from_numpy(rng.random((3, 1, 6, 5)) > 0.5)
    pred = torch.from_numpy(rng.random((3, 1, 6, 5)) > 0.5)
    pred[2] = gt[2]
    torch.manual_seed(6)
    points, labels = S["get_next_point"](gt, pred, "uniform")
    out.append(f"next point {points.tolist()} {labels.tolist()} {labels.dtype}")
    points, labels = S["get_next_point"](gt, None, "uniform")
    out.append(f"next point none {points.tolist()} {labels.tolist()}")
    try:
        S["get_next_point"](gt, pred, "bogus")
    except ValueError as e:
        out.append(f"ValueError {e}")
    return out, vals


def sam2_memory_encoder(torch):
    S = sam2_util_modules(torch)
    P = sam2_pos_modules(torch)
    torch.manual_seed(0)
    enc = S["MemoryEncoder"](
        out_dim=8,
        mask_downsampler=S["MaskDownSampler"](embed_dim=16, kernel_size=3, stride=2, padding=1,
                                              total_stride=4),
        fuser=S["Fuser"](S["CXBlock"](dim=16, kernel_size=7, padding=3, layer_scale_init_value=1e-6,
                                      use_dwconv=True), num_layers=2),
        position_encoding=P["PositionEmbeddingSine"](num_pos_feats=8, normalize=True, scale=None,
                                                     temperature=10000),
        in_dim=16)
    with torch.no_grad():
        for blk in enc.fuser.layers:
            blk.gamma.fill_(0.5)
    out, vals = [], []
    out.append(f"params {sum(p.numel() for p in enc.parameters())} "
               f"{enc.fuser.layers[0].gamma is enc.fuser.layers[1].gamma}")
    rng = np.random.default_rng(13)
    pix_feat = torch.from_numpy(rng.standard_normal((2, 16, 4, 4)).astype(np.float32))
    masks = torch.from_numpy(rng.standard_normal((2, 1, 16, 16)).astype(np.float32)).requires_grad_()
    res = enc(pix_feat, masks)
    out.append(f"{sorted(res)} {tuple(res['vision_features'].shape)} "
               f"{tuple(res['vision_pos_enc'][0].shape)}")
    res["vision_features"].pow(2).mean().backward()
    vals += [res["vision_features"], res["vision_pos_enc"][0], masks.grad,
             enc.fuser.layers[1].dwconv.weight.grad, enc.fuser.layers[0].gamma.grad]
    res2 = enc(pix_feat, (masks > 0).float(), skip_mask_sigmoid=True)
    vals.append(res2["vision_features"].detach())
    logits = torch.from_numpy(rng.standard_normal((3, 4, 6, 6)).astype(np.float32))
    logits[0, 0] = 5.0
    ious = torch.from_numpy(rng.random((3, 4)).astype(np.float32))
    st = S["get_stability_scores"](logits)
    m, s = S["dynamic_multimask_via_stability"](logits, ious)
    out.append(f"stability {tuple(st.shape)} dyn {tuple(m.shape)} {tuple(s.shape)}")
    vals += [st, m, s]
    return out, vals
