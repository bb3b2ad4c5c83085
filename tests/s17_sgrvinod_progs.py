"""sgrvinod/a-PyTorch-Tutorial-to-Object-Detection (utils.py, model.py, train.py) as users type
them, scaled down: a tiny stand-in base network (two conv layers of VGGBase's API in place of
the pretrained VGG-16, feature maps of the real 38 / 19 sizes with few channels) and random
boxes / labels in place of PASCAL VOC, two training steps and one detection pass, as
``prog(L) -> (printed, values)`` for tests/test_programs_s17_sgrvinod.py."""

from math import sqrt

import numpy as np
from s16_yunjey_progs import Out


def _utils(torch):
    """utils.py's box functions, written against the library given."""

    def decimate(tensor, m):
        assert tensor.dim() == len(m)
        for d in range(tensor.dim()):
            if m[d] is not None:
                tensor = tensor.index_select(dim=d,
                                             index=torch.arange(start=0, end=tensor.size(d), step=m[d]).long())
        return tensor

    def xy_to_cxcy(xy):
        return torch.cat([(xy[:, 2:] + xy[:, :2]) / 2, xy[:, 2:] - xy[:, :2]], 1)

    def cxcy_to_xy(cxcy):
        return torch.cat([cxcy[:, :2] - (cxcy[:, 2:] / 2), cxcy[:, :2] + (cxcy[:, 2:] / 2)], 1)

    def cxcy_to_gcxgcy(cxcy, priors_cxcy):
        return torch.cat([(cxcy[:, :2] - priors_cxcy[:, :2]) / (priors_cxcy[:, 2:] / 10),
                          torch.log(cxcy[:, 2:] / priors_cxcy[:, 2:]) * 5], 1)

    def gcxgcy_to_cxcy(gcxgcy, priors_cxcy):
        return torch.cat([gcxgcy[:, :2] * priors_cxcy[:, 2:] / 10 + priors_cxcy[:, :2],
                          torch.exp(gcxgcy[:, 2:] / 5) * priors_cxcy[:, 2:]], 1)

    def find_intersection(set_1, set_2):
        lower_bounds = torch.max(set_1[:, :2].unsqueeze(1), set_2[:, :2].unsqueeze(0))
        upper_bounds = torch.min(set_1[:, 2:].unsqueeze(1), set_2[:, 2:].unsqueeze(0))
        intersection_dims = torch.clamp(upper_bounds - lower_bounds, min=0)
        return intersection_dims[:, :, 0] * intersection_dims[:, :, 1]

    def find_jaccard_overlap(set_1, set_2):
        intersection = find_intersection(set_1, set_2)
        areas_set_1 = (set_1[:, 2] - set_1[:, 0]) * (set_1[:, 3] - set_1[:, 1])
        areas_set_2 = (set_2[:, 2] - set_2[:, 0]) * (set_2[:, 3] - set_2[:, 1])
        union = areas_set_1.unsqueeze(1) + areas_set_2.unsqueeze(0) - intersection
        return intersection / union

    return dict(decimate=decimate, xy_to_cxcy=xy_to_cxcy, cxcy_to_xy=cxcy_to_xy,
                cxcy_to_gcxgcy=cxcy_to_gcxgcy, gcxgcy_to_cxcy=gcxgcy_to_cxcy,
                find_jaccard_overlap=find_jaccard_overlap)


def _boxes(torch, rng, n):
    lo = rng.uniform(0, 0.5, (n, 2))
    wh = rng.uniform(0.15, 0.5, (n, 2))
    return torch.FloatTensor(np.concatenate([lo, lo + wh], 1).tolist())


def ssd(torch):
    nn = torch.nn
    F = torch.nn.functional
    U = _utils(torch)
    cxcy_to_xy, xy_to_cxcy = U["cxcy_to_xy"], U["xy_to_cxcy"]
    cxcy_to_gcxgcy, gcxgcy_to_cxcy = U["cxcy_to_gcxgcy"], U["gcxgcy_to_cxcy"]
    find_jaccard_overlap, decimate = U["find_jaccard_overlap"], U["decimate"]
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    C4, C7 = 8, 16

    class VGGBase(nn.Module):
        def __init__(self):
            super(VGGBase, self).__init__()
            self.conv1_1 = nn.Conv2d(3, 4, kernel_size=3, padding=1)
            self.pool1 = nn.MaxPool2d(kernel_size=2, stride=2)
            self.conv4_3 = nn.Conv2d(4, C4, kernel_size=3, padding=1)
            self.pool4 = nn.MaxPool2d(kernel_size=2, stride=2, ceil_mode=True)
            self.pool5 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
            self.conv6 = nn.Conv2d(C4, 32, kernel_size=3, padding=6, dilation=6)
            self.conv7 = nn.Conv2d(32, C7, kernel_size=1)
            self.load_pretrained_layers()

        def forward(self, image):
            out = F.relu(self.conv1_1(image))
            out = self.pool1(out)
            out = F.relu(self.conv4_3(out))
            conv4_3_feats = out
            out = self.pool4(out)
            out = self.pool5(out)
            out = F.relu(self.conv6(out))
            conv7_feats = F.relu(self.conv7(out))
            return conv4_3_feats, conv7_feats

        def load_pretrained_layers(self):
            state_dict = self.state_dict()
            param_names = list(state_dict.keys())
            g = torch.Generator().manual_seed(3)
            fc6_w = torch.randn(128, C4 * 7 * 7, generator=g) * 0.05
            fc7_w = torch.randn(128, 128, generator=g) * 0.05
            conv_fc6_weight = fc6_w.view(128, C4, 7, 7)
            state_dict['conv6.weight'] = decimate(conv_fc6_weight, m=[4, None, 3, 3])
            state_dict['conv6.bias'] = decimate(torch.zeros(128), m=[4])
            conv_fc7_weight = fc7_w.view(128, 128, 1, 1)
            state_dict['conv7.weight'] = decimate(conv_fc7_weight, m=[8, 4, None, None])
            state_dict['conv7.bias'] = decimate(torch.ones(128) * 0.01, m=[8])
            self.load_state_dict(state_dict)
            print_("\nLoaded base model.\n", param_names[-4:])

    class AuxiliaryConvolutions(nn.Module):
        def __init__(self):
            super(AuxiliaryConvolutions, self).__init__()
            self.conv8_1 = nn.Conv2d(C7, 4, kernel_size=1, padding=0)
            self.conv8_2 = nn.Conv2d(4, 8, kernel_size=3, stride=2, padding=1)
            self.conv9_1 = nn.Conv2d(8, 4, kernel_size=1, padding=0)
            self.conv9_2 = nn.Conv2d(4, 8, kernel_size=3, stride=2, padding=1)
            self.conv10_1 = nn.Conv2d(8, 4, kernel_size=1, padding=0)
            self.conv10_2 = nn.Conv2d(4, 8, kernel_size=3, padding=0)
            self.conv11_1 = nn.Conv2d(8, 4, kernel_size=1, padding=0)
            self.conv11_2 = nn.Conv2d(4, 8, kernel_size=3, padding=0)
            self.init_conv2d()

        def init_conv2d(self):
            for c in self.children():
                if isinstance(c, nn.Conv2d):
                    nn.init.xavier_uniform_(c.weight)
                    nn.init.constant_(c.bias, 0.)

        def forward(self, conv7_feats):
            out = F.relu(self.conv8_1(conv7_feats))
            out = F.relu(self.conv8_2(out))
            conv8_2_feats = out
            out = F.relu(self.conv9_1(out))
            out = F.relu(self.conv9_2(out))
            conv9_2_feats = out
            out = F.relu(self.conv10_1(out))
            out = F.relu(self.conv10_2(out))
            conv10_2_feats = out
            out = F.relu(self.conv11_1(out))
            conv11_2_feats = F.relu(self.conv11_2(out))
            return conv8_2_feats, conv9_2_feats, conv10_2_feats, conv11_2_feats

    class PredictionConvolutions(nn.Module):
        def __init__(self, n_classes):
            super(PredictionConvolutions, self).__init__()
            self.n_classes = n_classes
            n_boxes = {'conv4_3': 4, 'conv7': 6, 'conv8_2': 6, 'conv9_2': 6, 'conv10_2': 4,
                       'conv11_2': 4}
            chans = {'conv4_3': C4, 'conv7': C7, 'conv8_2': 8, 'conv9_2': 8, 'conv10_2': 8,
                     'conv11_2': 8}
            self.names = list(n_boxes)
            for k in self.names:
                setattr(self, 'loc_' + k, nn.Conv2d(chans[k], n_boxes[k] * 4, kernel_size=3, padding=1))
            for k in self.names:
                setattr(self, 'cl_' + k, nn.Conv2d(chans[k], n_boxes[k] * n_classes, kernel_size=3, padding=1))
            self.init_conv2d()

        def init_conv2d(self):
            for c in self.children():
                if isinstance(c, nn.Conv2d):
                    nn.init.xavier_uniform_(c.weight)
                    nn.init.constant_(c.bias, 0.)

        def forward(self, *feats):
            batch_size = feats[0].size(0)
            locs, scores = [], []
            for k, f in zip(self.names, feats):
                l_ = getattr(self, 'loc_' + k)(f)
                l_ = l_.permute(0, 2, 3, 1).contiguous()
                locs.append(l_.view(batch_size, -1, 4))
                c_ = getattr(self, 'cl_' + k)(f)
                c_ = c_.permute(0, 2, 3, 1).contiguous()
                scores.append(c_.view(batch_size, -1, self.n_classes))
            return torch.cat(locs, dim=1), torch.cat(scores, dim=1)

    class SSD300(nn.Module):
        def __init__(self, n_classes):
            super(SSD300, self).__init__()
            self.n_classes = n_classes
            self.base = VGGBase()
            self.aux_convs = AuxiliaryConvolutions()
            self.pred_convs = PredictionConvolutions(n_classes)
            self.rescale_factors = nn.Parameter(torch.FloatTensor(1, C4, 1, 1))
            nn.init.constant_(self.rescale_factors, 20)
            self.priors_cxcy = self.create_prior_boxes()

        def forward(self, image):
            conv4_3_feats, conv7_feats = self.base(image)
            norm = conv4_3_feats.pow(2).sum(dim=1, keepdim=True).sqrt()
            conv4_3_feats = conv4_3_feats / norm
            conv4_3_feats = conv4_3_feats * self.rescale_factors
            conv8_2_feats, conv9_2_feats, conv10_2_feats, conv11_2_feats = self.aux_convs(conv7_feats)
            return self.pred_convs(conv4_3_feats, conv7_feats, conv8_2_feats, conv9_2_feats,
                                   conv10_2_feats, conv11_2_feats)

        def create_prior_boxes(self):
            fmap_dims = {'conv4_3': 38, 'conv7': 19, 'conv8_2': 10, 'conv9_2': 5, 'conv10_2': 3,
                         'conv11_2': 1}
            obj_scales = {'conv4_3': 0.1, 'conv7': 0.2, 'conv8_2': 0.375, 'conv9_2': 0.55,
                          'conv10_2': 0.725, 'conv11_2': 0.9}
            aspect_ratios = {'conv4_3': [1., 2., 0.5], 'conv7': [1., 2., 3., 0.5, .333],
                             'conv8_2': [1., 2., 3., 0.5, .333], 'conv9_2': [1., 2., 3., 0.5, .333],
                             'conv10_2': [1., 2., 0.5], 'conv11_2': [1., 2., 0.5]}
            fmaps = list(fmap_dims.keys())
            prior_boxes = []
            for k, fmap in enumerate(fmaps):
                for i in range(fmap_dims[fmap]):
                    for j in range(fmap_dims[fmap]):
                        cx = (j + 0.5) / fmap_dims[fmap]
                        cy = (i + 0.5) / fmap_dims[fmap]
                        for ratio in aspect_ratios[fmap]:
                            prior_boxes.append([cx, cy, obj_scales[fmap] * sqrt(ratio), obj_scales[fmap] / sqrt(ratio)])
                            if ratio == 1.:
                                try:
                                    additional_scale = sqrt(obj_scales[fmap] * obj_scales[fmaps[k + 1]])
                                except IndexError:
                                    additional_scale = 1.
                                prior_boxes.append([cx, cy, additional_scale, additional_scale])
            prior_boxes = torch.FloatTensor(prior_boxes).to(device)
            prior_boxes.clamp_(0, 1)
            return prior_boxes

        def detect_objects(self, predicted_locs, predicted_scores, min_score, max_overlap, top_k):
            batch_size = predicted_locs.size(0)
            n_priors = self.priors_cxcy.size(0)
            predicted_scores = F.softmax(predicted_scores, dim=2)
            all_images_boxes, all_images_labels, all_images_scores = list(), list(), list()
            assert n_priors == predicted_locs.size(1) == predicted_scores.size(1)
            for i in range(batch_size):
                decoded_locs = cxcy_to_xy(gcxgcy_to_cxcy(predicted_locs[i], self.priors_cxcy))
                image_boxes, image_labels, image_scores = list(), list(), list()
                max_scores, best_label = predicted_scores[i].max(dim=1)
                for c in range(1, self.n_classes):
                    class_scores = predicted_scores[i][:, c]
                    score_above_min_score = class_scores > min_score
                    n_above_min_score = score_above_min_score.sum().item()
                    if n_above_min_score == 0:
                        continue
                    class_scores = class_scores[score_above_min_score]
                    class_decoded_locs = decoded_locs[score_above_min_score]
                    class_scores, sort_ind = class_scores.sort(dim=0, descending=True)
                    class_decoded_locs = class_decoded_locs[sort_ind]
                    overlap = find_jaccard_overlap(class_decoded_locs, class_decoded_locs)
                    suppress = torch.zeros((n_above_min_score), dtype=torch.uint8).to(device)
                    for box in range(class_decoded_locs.size(0)):
                        if suppress[box] == 1:
                            continue
                        suppress = torch.max(suppress, overlap[box] > max_overlap)
                        suppress[box] = 0
                    image_boxes.append(class_decoded_locs[1 - suppress])
                    image_labels.append(torch.LongTensor((1 - suppress).sum().item() * [c]).to(device))
                    image_scores.append(class_scores[1 - suppress])
                if len(image_boxes) == 0:
                    image_boxes.append(torch.FloatTensor([[0., 0., 1., 1.]]).to(device))
                    image_labels.append(torch.LongTensor([0]).to(device))
                    image_scores.append(torch.FloatTensor([0.]).to(device))
                image_boxes = torch.cat(image_boxes, dim=0)
                image_labels = torch.cat(image_labels, dim=0)
                image_scores = torch.cat(image_scores, dim=0)
                n_objects = image_scores.size(0)
                if n_objects > top_k:
                    image_scores, sort_ind = image_scores.sort(dim=0, descending=True)
                    image_scores = image_scores[:top_k]
                    image_boxes = image_boxes[sort_ind][:top_k]
                    image_labels = image_labels[sort_ind][:top_k]
                all_images_boxes.append(image_boxes)
                all_images_labels.append(image_labels)
                all_images_scores.append(image_scores)
            return all_images_boxes, all_images_labels, all_images_scores

    class MultiBoxLoss(nn.Module):
        def __init__(self, priors_cxcy, threshold=0.5, neg_pos_ratio=3, alpha=1.):
            super(MultiBoxLoss, self).__init__()
            self.priors_cxcy = priors_cxcy
            self.priors_xy = cxcy_to_xy(priors_cxcy)
            self.threshold = threshold
            self.neg_pos_ratio = neg_pos_ratio
            self.alpha = alpha
            self.smooth_l1 = nn.L1Loss()
            self.cross_entropy = nn.CrossEntropyLoss(reduce=False)

        def forward(self, predicted_locs, predicted_scores, boxes, labels):
            batch_size = predicted_locs.size(0)
            n_priors = self.priors_cxcy.size(0)
            n_classes = predicted_scores.size(2)
            assert n_priors == predicted_locs.size(1) == predicted_scores.size(1)
            true_locs = torch.zeros((batch_size, n_priors, 4), dtype=torch.float).to(device)
            true_classes = torch.zeros((batch_size, n_priors), dtype=torch.long).to(device)
            for i in range(batch_size):
                n_objects = boxes[i].size(0)
                overlap = find_jaccard_overlap(boxes[i], self.priors_xy)
                overlap_for_each_prior, object_for_each_prior = overlap.max(dim=0)
                _, prior_for_each_object = overlap.max(dim=1)
                object_for_each_prior[prior_for_each_object] = torch.LongTensor(range(n_objects)).to(device)
                overlap_for_each_prior[prior_for_each_object] = 1.
                label_for_each_prior = labels[i][object_for_each_prior]
                label_for_each_prior[overlap_for_each_prior < self.threshold] = 0
                true_classes[i] = label_for_each_prior
                true_locs[i] = cxcy_to_gcxgcy(xy_to_cxcy(boxes[i][object_for_each_prior]), self.priors_cxcy)
            positive_priors = true_classes != 0
            loc_loss = self.smooth_l1(predicted_locs[positive_priors], true_locs[positive_priors])
            n_positives = positive_priors.sum(dim=1)
            n_hard_negatives = self.neg_pos_ratio * n_positives
            conf_loss_all = self.cross_entropy(predicted_scores.view(-1, n_classes), true_classes.view(-1))
            conf_loss_all = conf_loss_all.view(batch_size, n_priors)
            conf_loss_pos = conf_loss_all[positive_priors]
            conf_loss_neg = conf_loss_all.clone()
            conf_loss_neg[positive_priors] = 0.
            conf_loss_neg, _ = conf_loss_neg.sort(dim=1, descending=True)
            hardness_ranks = torch.LongTensor(range(n_priors)).unsqueeze(0).expand_as(conf_loss_neg).to(device)
            hard_negatives = hardness_ranks < n_hard_negatives.unsqueeze(1)
            conf_loss_hard_neg = conf_loss_neg[hard_negatives]
            conf_loss = (conf_loss_hard_neg.sum() + conf_loss_pos.sum()) / n_positives.sum().float()
            return conf_loss + self.alpha * loc_loss

    with Out() as o:
        print_ = o.print
        torch.manual_seed(0)
        rng = np.random.default_rng(0)
        # utils sanity checks
        b = _boxes(torch, rng, 3)
        o.print(xy_to_cxcy(b), cxcy_to_xy(xy_to_cxcy(b)))
        o.print(find_jaccard_overlap(b, b[:2]))
        o.print(decimate(torch.arange(24.).view(4, 6), m=[2, 3]))
        model = SSD300(n_classes=3)
        o.print(model.priors_cxcy.shape, model.priors_cxcy[:6])
        o.vals.append(model.priors_cxcy)
        biases, not_biases = list(), list()
        for param_name, param in model.named_parameters():
            if param.requires_grad:
                if param_name.endswith('.bias'):
                    biases.append(param)
                else:
                    not_biases.append(param)
        lr, momentum, weight_decay = 1e-3, 0.9, 5e-4
        optimizer = torch.optim.SGD(params=[{'params': biases, 'lr': 2 * lr}, {'params': not_biases}],
                                    lr=lr, momentum=momentum, weight_decay=weight_decay)
        criterion = MultiBoxLoss(priors_cxcy=model.priors_cxcy).to(device)
        o.print(criterion)
        model.train()
        for i in range(2):
            images = torch.from_numpy(rng.standard_normal((2, 3, 76, 76)).astype(np.float32))
            boxes = [_boxes(torch, rng, 2), _boxes(torch, rng, 1)]
            labels = [torch.LongTensor([1, 2]), torch.LongTensor([2])]
            predicted_locs, predicted_scores = model(images)
            loss = criterion(predicted_locs, predicted_scores, boxes, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            o.print('Epoch: [{0}][{1}/{2}]\tLoss {loss:.4f}'.format(0, i, 2, loss=loss.item()))
            o.vals.append(loss.detach())
        o.print(predicted_locs.shape, predicted_scores.shape)
        o.vals.append(model.rescale_factors.grad)
        model.eval()
        with torch.no_grad():
            predicted_locs, predicted_scores = model(images)
            det_boxes, det_labels, det_scores = model.detect_objects(
                predicted_locs, predicted_scores, min_score=0.3, max_overlap=0.45, top_k=20)
        for bx, lb, sc in zip(det_boxes, det_labels, det_scores):
            o.print(bx.shape, lb, sc.dtype, sc.shape)
            o.vals += [bx, sc]
    return o.done()
