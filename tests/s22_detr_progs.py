"""facebookresearch/detr as users copy it, transcribed at tiny sizes: util/box_ops.py,
util/misc.py (NestedTensor, nested_tensor_from_tensor_list, accuracy), models/backbone.py's
FrozenBatchNorm2d / BackboneBase / Joiner (a tiny conv body instead of torchvision's ResNet and
IntermediateLayerGetter), models/position_encoding.py, models/transformer.py, models/detr.py
(DETR, MLP, SetCriterion, PostProcess) and models/matcher.py (HungarianMatcher). scipy is not
installed here, so linear_sum_assignment is replaced by a brute-force minimum over
itertools.permutations: exact for the tiny sizes used (4 queries, at most 3 targets)."""

import copy
import itertools
import math
from collections import OrderedDict
from typing import List, Optional

import numpy as np


def linear_sum_assignment(c):
    """Stand-in for scipy.optimize.linear_sum_assignment on a small [q, n] cost (q >= n):
    the cheapest injective assignment of the n columns to rows, by brute force over
    itertools.permutations, returned as (rows ascending, their columns) like scipy."""
    c = np.asarray(c, dtype=np.float64)
    q, n = c.shape
    best, best_rows = None, None
    for rows in itertools.permutations(range(q), n):
        total = sum(c[r, j] for j, r in enumerate(rows))
        if best is None or total < best:
            best, best_rows = total, rows
    pairs = sorted(zip(best_rows, range(n)))
    return (np.array([p[0] for p in pairs], dtype=np.int64),
            np.array([p[1] for p in pairs], dtype=np.int64))


def detr_modules(L):
    """The detr repository's modules written against library ``L`` (torch or ember)."""
    torch, nn, F = L, L.nn, L.nn.functional
    Tensor = L.Tensor

    # util/box_ops.py
    def box_area(boxes):  # torchvision.ops.boxes.box_area
        return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])

    def box_cxcywh_to_xyxy(x):
        x_c, y_c, w, h = x.unbind(-1)
        b = [(x_c - 0.5 * w), (y_c - 0.5 * h),
             (x_c + 0.5 * w), (y_c + 0.5 * h)]
        return torch.stack(b, dim=-1)

    def box_xyxy_to_cxcywh(x):
        x0, y0, x1, y1 = x.unbind(-1)
        b = [(x0 + x1) / 2, (y0 + y1) / 2,
             (x1 - x0), (y1 - y0)]
        return torch.stack(b, dim=-1)

    def box_iou(boxes1, boxes2):
        lt = torch.max(boxes1[..., None, :2], boxes2[..., None, :, :2])  # [..., N,M,2]
        rb = torch.min(boxes1[..., None, 2:], boxes2[..., None, :, 2:])  # [..., N,M,2]
        wh = (rb - lt).clamp(min=0)  # [..., N,M,2]
        inter = wh[..., 0] * wh[..., 1]  # [..., N,M]
        area1 = box_area(boxes1.view(-1, 4)).view(boxes1.shape[:-1])
        area2 = box_area(boxes2.view(-1, 4)).view(boxes2.shape[:-1])
        union = area1[..., None] + area2[..., None, :] - inter
        iou = inter / union
        return iou, union

    def generalized_box_iou(boxes1, boxes2):
        assert (boxes1[..., 2:] >= boxes1[..., :2]).all()
        assert (boxes2[..., 2:] >= boxes2[..., :2]).all()
        iou, union = box_iou(boxes1, boxes2)
        lt = torch.min(boxes1[..., None, :2], boxes2[..., None, :, :2])
        rb = torch.max(boxes1[..., None, 2:], boxes2[..., None, :, 2:])
        wh = (rb - lt).clamp(min=0)  # [..., N,M,2]
        area = wh[..., 0] * wh[..., 1]
        return iou - (area - union) / area

    def masks_to_boxes(masks):
        if masks.numel() == 0:
            return torch.zeros((0, 4), device=masks.device)
        h, w = masks.shape[-2:]
        y = torch.arange(0, h, dtype=torch.float)
        x = torch.arange(0, w, dtype=torch.float)
        y, x = torch.meshgrid(y, x)
        x_mask = (masks * x.unsqueeze(0))
        x_max = x_mask.flatten(1).max(-1)[0]
        x_min = x_mask.masked_fill(~(masks.bool()), 1e8).flatten(1).min(-1)[0]
        y_mask = (masks * y.unsqueeze(0))
        y_max = y_mask.flatten(1).max(-1)[0]
        y_min = y_mask.masked_fill(~(masks.bool()), 1e8).flatten(1).min(-1)[0]
        return torch.stack([x_min, y_min, x_max, y_max], 1)

    # util/misc.py
    def _max_by_axis(the_list):
        maxes = the_list[0]
        for sublist in the_list[1:]:
            for index, item in enumerate(sublist):
                maxes[index] = max(maxes[index], item)
        return maxes

    class NestedTensor(object):
        def __init__(self, tensors, mask: Optional[Tensor]):
            self.tensors = tensors
            self.mask = mask

        def to(self, device):
            cast_tensor = self.tensors.to(device)
            mask = self.mask
            cast_mask = mask.to(device) if mask is not None else None
            return NestedTensor(cast_tensor, cast_mask)

        def decompose(self):
            return self.tensors, self.mask

        def __repr__(self):
            return str(self.tensors)

    def nested_tensor_from_tensor_list(tensor_list: List[Tensor]):
        if tensor_list[0].ndim == 3:
            max_size = _max_by_axis([list(img.shape) for img in tensor_list])
            batch_shape = [len(tensor_list)] + max_size
            b, c, h, w = batch_shape
            dtype = tensor_list[0].dtype
            device = tensor_list[0].device
            tensor = torch.zeros(batch_shape, dtype=dtype, device=device)
            mask = torch.ones((b, h, w), dtype=torch.bool, device=device)
            for img, pad_img, m in zip(tensor_list, tensor, mask):
                pad_img[: img.shape[0], : img.shape[1], : img.shape[2]].copy_(img)
                m[: img.shape[1], :img.shape[2]] = False
        else:
            raise ValueError('not supported')
        return NestedTensor(tensor, mask)

    @torch.no_grad()
    def accuracy(output, target, topk=(1,)):
        if target.numel() == 0:
            return [torch.zeros([], device=output.device)]
        maxk = max(topk)
        batch_size = target.size(0)
        _, pred = output.topk(maxk, 1, True, True)
        pred = pred.t()
        correct = pred.eq(target.view(1, -1).expand_as(pred))
        res = []
        for k in topk:
            correct_k = correct[:k].view(-1).float().sum(0)
            res.append(correct_k.mul_(100.0 / batch_size))
        return res

    # models/backbone.py
    class FrozenBatchNorm2d(torch.nn.Module):
        def __init__(self, n):
            super(FrozenBatchNorm2d, self).__init__()
            self.register_buffer("weight", torch.ones(n))
            self.register_buffer("bias", torch.zeros(n))
            self.register_buffer("running_mean", torch.zeros(n))
            self.register_buffer("running_var", torch.ones(n))

        def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                                  missing_keys, unexpected_keys, error_msgs):
            num_batches_tracked_key = prefix + 'num_batches_tracked'
            if num_batches_tracked_key in state_dict:
                del state_dict[num_batches_tracked_key]
            super(FrozenBatchNorm2d, self)._load_from_state_dict(
                state_dict, prefix, local_metadata, strict,
                missing_keys, unexpected_keys, error_msgs)

        def forward(self, x):
            w = self.weight.reshape(1, -1, 1, 1)
            b = self.bias.reshape(1, -1, 1, 1)
            rv = self.running_var.reshape(1, -1, 1, 1)
            rm = self.running_mean.reshape(1, -1, 1, 1)
            eps = 1e-5
            scale = w * (rv + eps).rsqrt()
            bias = b - rm * scale
            return x * scale + bias

    class TinyBody(nn.Module):
        """Stands in for IntermediateLayerGetter(resnet50, {'layer4': '0'}): stride 4."""
        def __init__(self, channels=16):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False)
            self.bn1 = FrozenBatchNorm2d(8)
            self.conv2 = nn.Conv2d(8, channels, 3, stride=2, padding=1, bias=False)
            self.bn2 = FrozenBatchNorm2d(channels)

        def forward(self, x):
            x = F.relu(self.bn1(self.conv1(x)))
            return OrderedDict([('0', F.relu(self.bn2(self.conv2(x))))])

    class BackboneBase(nn.Module):
        def __init__(self, backbone, train_backbone, num_channels, return_interm_layers):
            super().__init__()
            for name, parameter in backbone.named_parameters():
                if not train_backbone or 'conv2' not in name:
                    parameter.requires_grad_(False)
            self.body = backbone
            self.num_channels = num_channels

        def forward(self, tensor_list: NestedTensor):
            xs = self.body(tensor_list.tensors)
            out = {}
            for name, x in xs.items():
                m = tensor_list.mask
                assert m is not None
                mask = F.interpolate(m[None].float(), size=x.shape[-2:]).to(torch.bool)[0]
                out[name] = NestedTensor(x, mask)
            return out

    class Joiner(nn.Sequential):
        def __init__(self, backbone, position_embedding):
            super().__init__(backbone, position_embedding)

        def forward(self, tensor_list: NestedTensor):
            xs = self[0](tensor_list)
            out: List[NestedTensor] = []
            pos = []
            for name, x in xs.items():
                out.append(x)
                pos.append(self[1](x).to(x.tensors.dtype))
            return out, pos

    # models/position_encoding.py
    class PositionEmbeddingSine(nn.Module):
        def __init__(self, num_pos_feats=64, temperature=10000, normalize=False, scale=None):
            super().__init__()
            self.num_pos_feats = num_pos_feats
            self.temperature = temperature
            self.normalize = normalize
            if scale is not None and normalize is False:
                raise ValueError("normalize should be True if scale is passed")
            if scale is None:
                scale = 2 * math.pi
            self.scale = scale

        def forward(self, tensor_list: NestedTensor):
            x = tensor_list.tensors
            mask = tensor_list.mask
            assert mask is not None
            not_mask = ~mask
            y_embed = not_mask.cumsum(1, dtype=torch.float32)
            x_embed = not_mask.cumsum(2, dtype=torch.float32)
            if self.normalize:
                eps = 1e-6
                y_embed = y_embed / (y_embed[:, -1:, :] + eps) * self.scale
                x_embed = x_embed / (x_embed[:, :, -1:] + eps) * self.scale
            dim_t = torch.arange(self.num_pos_feats, dtype=torch.float32, device=x.device)
            dim_t = self.temperature ** (2 * (dim_t // 2) / self.num_pos_feats)
            pos_x = x_embed[:, :, :, None] / dim_t
            pos_y = y_embed[:, :, :, None] / dim_t
            pos_x = torch.stack((pos_x[:, :, :, 0::2].sin(), pos_x[:, :, :, 1::2].cos()), dim=4).flatten(3)
            pos_y = torch.stack((pos_y[:, :, :, 0::2].sin(), pos_y[:, :, :, 1::2].cos()), dim=4).flatten(3)
            pos = torch.cat((pos_y, pos_x), dim=3).permute(0, 3, 1, 2)
            return pos

    class PositionEmbeddingLearned(nn.Module):
        def __init__(self, num_pos_feats=256):
            super().__init__()
            self.row_embed = nn.Embedding(50, num_pos_feats)
            self.col_embed = nn.Embedding(50, num_pos_feats)
            self.reset_parameters()

        def reset_parameters(self):
            nn.init.uniform_(self.row_embed.weight)
            nn.init.uniform_(self.col_embed.weight)

        def forward(self, tensor_list: NestedTensor):
            x = tensor_list.tensors
            h, w = x.shape[-2:]
            i = torch.arange(w, device=x.device)
            j = torch.arange(h, device=x.device)
            x_emb = self.col_embed(i)
            y_emb = self.row_embed(j)
            pos = torch.cat([
                x_emb.unsqueeze(0).repeat(h, 1, 1),
                y_emb.unsqueeze(1).repeat(1, w, 1),
            ], dim=-1).permute(2, 0, 1).unsqueeze(0).repeat(x.shape[0], 1, 1, 1)
            return pos

    return dict(box_area=box_area, box_cxcywh_to_xyxy=box_cxcywh_to_xyxy,
                box_xyxy_to_cxcywh=box_xyxy_to_cxcywh, box_iou=box_iou,
                generalized_box_iou=generalized_box_iou, masks_to_boxes=masks_to_boxes,
                NestedTensor=NestedTensor,
                nested_tensor_from_tensor_list=nested_tensor_from_tensor_list,
                accuracy=accuracy, FrozenBatchNorm2d=FrozenBatchNorm2d, TinyBody=TinyBody,
                BackboneBase=BackboneBase, Joiner=Joiner,
                PositionEmbeddingSine=PositionEmbeddingSine,
                PositionEmbeddingLearned=PositionEmbeddingLearned, copy=copy)
