"""facebookresearch/detr continued: models/detr.py (DETR, MLP, SetCriterion with empty_weight,
cardinality and L1 + GIoU box losses, PostProcess) and models/matcher.py (HungarianMatcher:
the version with pad_sequence, cdist and gather, and the first release's flatten / split;
linear_sum_assignment is the brute-force stand-in of s22_detr_progs)."""

from s22_detr_progs import detr_modules, linear_sum_assignment
from s22_detr_progs_f import transformer_modules


def detr_model_modules(L):
    torch, nn, F = L, L.nn, L.nn.functional
    M = detr_modules(L)
    box_ops_cxcywh, giou_fn = M["box_cxcywh_to_xyxy"], M["generalized_box_iou"]
    nested_tensor_from_tensor_list, accuracy = M["nested_tensor_from_tensor_list"], M["accuracy"]
    pad_sequence = nn.utils.rnn.pad_sequence

    class MLP(nn.Module):
        def __init__(self, input_dim, hidden_dim, output_dim, num_layers):
            super().__init__()
            self.num_layers = num_layers
            h = [hidden_dim] * (num_layers - 1)
            self.layers = nn.ModuleList(nn.Linear(n, k) for n, k in zip([input_dim] + h, h + [output_dim]))

        def forward(self, x):
            for i, layer in enumerate(self.layers):
                x = F.relu(layer(x)) if i < self.num_layers - 1 else layer(x)
            return x

    class DETR(nn.Module):
        def __init__(self, backbone, transformer, num_classes, num_queries, aux_loss=False):
            super().__init__()
            self.num_queries = num_queries
            self.transformer = transformer
            hidden_dim = transformer.d_model
            self.class_embed = nn.Linear(hidden_dim, num_classes + 1)
            self.bbox_embed = MLP(hidden_dim, hidden_dim, 4, 3)
            self.query_embed = nn.Embedding(num_queries, hidden_dim)
            self.input_proj = nn.Conv2d(backbone.num_channels, hidden_dim, kernel_size=1)
            self.backbone = backbone
            self.aux_loss = aux_loss

        def forward(self, samples):
            if isinstance(samples, (list, torch.Tensor)):
                samples = nested_tensor_from_tensor_list(samples)
            features, pos = self.backbone(samples)
            src, mask = features[-1].decompose()
            assert mask is not None
            hs = self.transformer(self.input_proj(src), mask, self.query_embed.weight, pos[-1])[0]
            outputs_class = self.class_embed(hs)
            outputs_coord = self.bbox_embed(hs).sigmoid()
            out = {'pred_logits': outputs_class[-1], 'pred_boxes': outputs_coord[-1]}
            if self.aux_loss:
                out['aux_outputs'] = self._set_aux_loss(outputs_class, outputs_coord)
            return out

        def _set_aux_loss(self, outputs_class, outputs_coord):
            return [{'pred_logits': a, 'pred_boxes': b}
                    for a, b in zip(outputs_class[:-1], outputs_coord[:-1])]

    class HungarianMatcher(nn.Module):
        def __init__(self, cost_class: float = 1, cost_bbox: float = 1, cost_giou: float = 1):
            super().__init__()
            self.cost_class = cost_class
            self.cost_bbox = cost_bbox
            self.cost_giou = cost_giou
            assert cost_class != 0 or cost_bbox != 0 or cost_giou != 0, "all costs cant be 0"

        @torch.no_grad()
        def forward(self, outputs, targets):
            if len(targets) == 1:
                tgt_ids = targets[0]["labels"].unsqueeze(dim=0)
                tgt_bbox = targets[0]["boxes"].unsqueeze(dim=0)
            else:
                tgt_ids = pad_sequence([target["labels"] for target in targets],
                                       batch_first=True, padding_value=0)  # (bs, mo)
                tgt_bbox = pad_sequence([target["boxes"] for target in targets],
                                        batch_first=True, padding_value=0)  # (bs, mo, 4)
            out_bbox = outputs["pred_boxes"]  # (bs, q, 4)
            cost_bbox = torch.cdist(out_bbox, tgt_bbox, p=1)  # (bs, q, mo)
            out_bbox_xyxy = box_ops_cxcywh(out_bbox)
            tgt_bbox_xyxy = box_ops_cxcywh(tgt_bbox)
            giou = giou_fn(out_bbox_xyxy, tgt_bbox_xyxy)  # (bs, q, mo)
            out_prob = outputs["pred_logits"].softmax(-1)  # (bs, q, c)
            prob_class = torch.gather(
                out_prob, dim=2,
                index=tgt_ids.unsqueeze(dim=1).expand(-1, out_prob.shape[1], -1))  # (bs, q, mo)
            C = self.cost_bbox * cost_bbox - self.cost_giou * giou - self.cost_class * prob_class
            c = C.cpu()
            indices = [linear_sum_assignment(c[i, :, :len(v["labels"])])
                       for i, v in enumerate(targets)]
            return [(torch.as_tensor(i, dtype=torch.int64), torch.as_tensor(j, dtype=torch.int64))
                    for i, j in indices]

    class HungarianMatcherV1(HungarianMatcher):
        """The matcher as first released: flatten the batch, one cdist, split by target."""
        @torch.no_grad()
        def forward(self, outputs, targets):
            bs, num_queries = outputs["pred_logits"].shape[:2]
            out_prob = outputs["pred_logits"].flatten(0, 1).softmax(-1)
            out_bbox = outputs["pred_boxes"].flatten(0, 1)
            tgt_ids = torch.cat([v["labels"] for v in targets])
            tgt_bbox = torch.cat([v["boxes"] for v in targets])
            cost_class = -out_prob[:, tgt_ids]
            cost_bbox = torch.cdist(out_bbox, tgt_bbox, p=1)
            cost_giou = -giou_fn(box_ops_cxcywh(out_bbox), box_ops_cxcywh(tgt_bbox))
            C = self.cost_bbox * cost_bbox + self.cost_class * cost_class + self.cost_giou * cost_giou
            C = C.view(bs, num_queries, -1).cpu()
            sizes = [len(v["boxes"]) for v in targets]
            indices = [linear_sum_assignment(c[i]) for i, c in enumerate(C.split(sizes, -1))]
            return [(torch.as_tensor(i, dtype=torch.int64), torch.as_tensor(j, dtype=torch.int64))
                    for i, j in indices]

    class SetCriterion(nn.Module):
        def __init__(self, num_classes, matcher, weight_dict, eos_coef, losses):
            super().__init__()
            self.num_classes = num_classes
            self.matcher = matcher
            self.weight_dict = weight_dict
            self.eos_coef = eos_coef
            self.losses = losses
            empty_weight = torch.ones(self.num_classes + 1)
            empty_weight[-1] = self.eos_coef
            self.register_buffer('empty_weight', empty_weight)

        def loss_labels(self, outputs, targets, indices, num_boxes, log=True):
            assert 'pred_logits' in outputs
            src_logits = outputs['pred_logits']
            idx = self._get_src_permutation_idx(indices)
            target_classes_o = torch.cat([t["labels"][J] for t, (_, J) in zip(targets, indices)])
            target_classes = torch.full(src_logits.shape[:2], self.num_classes,
                                        dtype=torch.int64, device=src_logits.device)
            target_classes[idx] = target_classes_o
            loss_ce = F.cross_entropy(src_logits.transpose(1, 2), target_classes, self.empty_weight)
            losses = {'loss_ce': loss_ce}
            if log:
                losses['class_error'] = 100 - accuracy(src_logits[idx], target_classes_o)[0]
            return losses

        @torch.no_grad()
        def loss_cardinality(self, outputs, targets, indices, num_boxes):
            pred_logits = outputs['pred_logits']
            device = pred_logits.device
            tgt_lengths = torch.as_tensor([len(v["labels"]) for v in targets], device=device)
            card_pred = (pred_logits.argmax(-1) != pred_logits.shape[-1] - 1).sum(1)
            card_err = F.l1_loss(card_pred.float(), tgt_lengths.float())
            return {'cardinality_error': card_err}

        def loss_boxes(self, outputs, targets, indices, num_boxes):
            assert 'pred_boxes' in outputs
            idx = self._get_src_permutation_idx(indices)
            src_boxes = outputs['pred_boxes'][idx]
            target_boxes = torch.cat([t['boxes'][i] for t, (_, i) in zip(targets, indices)], dim=0)
            loss_bbox = F.l1_loss(src_boxes, target_boxes, reduction='none')
            losses = {}
            losses['loss_bbox'] = loss_bbox.sum() / num_boxes
            loss_giou = 1 - torch.diag(giou_fn(box_ops_cxcywh(src_boxes),
                                               box_ops_cxcywh(target_boxes)))
            losses['loss_giou'] = loss_giou.sum() / num_boxes
            return losses

        def _get_src_permutation_idx(self, indices):
            batch_idx = torch.cat([torch.full_like(src, i) for i, (src, _) in enumerate(indices)])
            src_idx = torch.cat([src for (src, _) in indices])
            return batch_idx, src_idx

        def _get_tgt_permutation_idx(self, indices):
            batch_idx = torch.cat([torch.full_like(tgt, i) for i, (_, tgt) in enumerate(indices)])
            tgt_idx = torch.cat([tgt for (_, tgt) in indices])
            return batch_idx, tgt_idx

        def get_loss(self, loss, outputs, targets, indices, num_boxes, **kwargs):
            loss_map = {'labels': self.loss_labels, 'cardinality': self.loss_cardinality,
                        'boxes': self.loss_boxes}
            assert loss in loss_map, f'do you really want to compute {loss} loss?'
            return loss_map[loss](outputs, targets, indices, num_boxes, **kwargs)

        def forward(self, outputs, targets):
            outputs_without_aux = {k: v for k, v in outputs.items() if k != 'aux_outputs'}
            indices = self.matcher(outputs_without_aux, targets)
            self.last_indices = indices
            num_boxes = sum(len(t["labels"]) for t in targets)
            num_boxes = torch.as_tensor([num_boxes], dtype=torch.float,
                                        device=next(iter(outputs.values())).device)
            num_boxes = torch.clamp(num_boxes / 1, min=1).item()  # get_world_size() == 1
            losses = {}
            for loss in self.losses:
                losses.update(self.get_loss(loss, outputs, targets, indices, num_boxes))
            if 'aux_outputs' in outputs:
                for i, aux_outputs in enumerate(outputs['aux_outputs']):
                    indices = self.matcher(aux_outputs, targets)
                    for loss in self.losses:
                        kwargs = {}
                        if loss == 'labels':
                            kwargs = {'log': False}
                        l_dict = self.get_loss(loss, aux_outputs, targets, indices, num_boxes, **kwargs)
                        l_dict = {k + f'_{i}': v for k, v in l_dict.items()}
                        losses.update(l_dict)
            return losses

    class PostProcess(nn.Module):
        @torch.no_grad()
        def forward(self, outputs, target_sizes):
            out_logits, out_bbox = outputs['pred_logits'], outputs['pred_boxes']
            assert len(out_logits) == len(target_sizes)
            assert target_sizes.shape[1] == 2
            prob = F.softmax(out_logits, -1)
            scores, labels = prob[..., :-1].max(-1)
            boxes = box_ops_cxcywh(out_bbox)
            img_h, img_w = target_sizes.unbind(1)
            scale_fct = torch.stack([img_w, img_h, img_w, img_h], dim=1)
            boxes = boxes * scale_fct[:, None, :]
            return [{'scores': s, 'labels': l, 'boxes': b} for s, l, b in zip(scores, labels, boxes)]

    M.update(MLP=MLP, DETR=DETR, HungarianMatcher=HungarianMatcher,
             HungarianMatcherV1=HungarianMatcherV1, SetCriterion=SetCriterion,
             PostProcess=PostProcess)
    M.update(transformer_modules(L))
    return M
