"""adambielski/siamese-triplet as users copy it: losses.py (ContrastiveLoss, TripletLoss,
OnlineContrastiveLoss, OnlineTripletLoss), utils.py (pdist, AllPositivePairSelector,
HardNegativePairSelector, AllTripletSelector, FunctionNegativeTripletSelector with the
hardest / random / semihard negative functions: NumPy label arrays indexed by LongTensors,
tensors indexed by NumPy index arrays and by .nonzero() tuples), networks.py
(EmbeddingNet, EmbeddingNetL2, ClassificationNet, SiameseNet, TripletNet) and metrics.py.
The selectors and losses here run on 12 random 8-d embeddings of 4 classes."""

from itertools import combinations

import numpy as np
from s16_yunjey_progs import Out


def _lib(L):
    torch, nn, F = L, L.nn, L.nn.functional

    class ContrastiveLoss(nn.Module):
        def __init__(self, margin):
            super(ContrastiveLoss, self).__init__()
            self.margin = margin

        def forward(self, output1, output2, target, size_average=True):
            distances = (output2 - output1).pow(2).sum(1)  # squared distances
            losses = 0.5 * (target.float() * distances +
                            (1 + -1 * target).float() * F.relu(self.margin - distances.sqrt()).pow(2))
            return losses.mean() if size_average else losses.sum()

    class TripletLoss(nn.Module):
        def __init__(self, margin):
            super(TripletLoss, self).__init__()
            self.margin = margin

        def forward(self, anchor, positive, negative, size_average=True):
            distance_positive = (anchor - positive).pow(2).sum(1)  # .pow(.5)
            distance_negative = (anchor - negative).pow(2).sum(1)  # .pow(.5)
            losses = F.relu(distance_positive - distance_negative + self.margin)
            return losses.mean() if size_average else losses.sum()

    class OnlineContrastiveLoss(nn.Module):
        def __init__(self, margin, pair_selector):
            super(OnlineContrastiveLoss, self).__init__()
            self.margin = margin
            self.pair_selector = pair_selector

        def forward(self, embeddings, target):
            positive_pairs, negative_pairs = self.pair_selector.get_pairs(embeddings, target)
            if embeddings.is_cuda:
                positive_pairs = positive_pairs.cuda()
                negative_pairs = negative_pairs.cuda()
            positive_loss = (embeddings[positive_pairs[:, 0]] - embeddings[positive_pairs[:, 1]]).pow(2).sum(1)
            negative_loss = F.relu(
                self.margin - (embeddings[negative_pairs[:, 0]] - embeddings[negative_pairs[:, 1]]).pow(2).sum(
                    1).sqrt()).pow(2)
            loss = torch.cat([positive_loss, negative_loss], dim=0)
            return loss.mean()

    class OnlineTripletLoss(nn.Module):
        def __init__(self, margin, triplet_selector):
            super(OnlineTripletLoss, self).__init__()
            self.margin = margin
            self.triplet_selector = triplet_selector

        def forward(self, embeddings, target):
            triplets = self.triplet_selector.get_triplets(embeddings, target)
            if embeddings.is_cuda:
                triplets = triplets.cuda()
            ap_distances = (embeddings[triplets[:, 0]] - embeddings[triplets[:, 1]]).pow(2).sum(1)  # .pow(.5)
            an_distances = (embeddings[triplets[:, 0]] - embeddings[triplets[:, 2]]).pow(2).sum(1)  # .pow(.5)
            losses = F.relu(ap_distances - an_distances + self.margin)
            return losses.mean(), len(triplets)

    def pdist(vectors):
        distance_matrix = -2 * vectors.mm(torch.t(vectors)) + vectors.pow(2).sum(dim=1).view(1, -1) + vectors.pow(2).sum(
            dim=1).view(-1, 1)
        return distance_matrix

    class AllPositivePairSelector:
        def __init__(self, balance=True):
            self.balance = balance

        def get_pairs(self, embeddings, labels):
            labels = labels.cpu().data.numpy()
            all_pairs = np.array(list(combinations(range(len(labels)), 2)))
            all_pairs = torch.LongTensor(all_pairs)
            positive_pairs = all_pairs[(labels[all_pairs[:, 0]] == labels[all_pairs[:, 1]]).nonzero()]
            negative_pairs = all_pairs[(labels[all_pairs[:, 0]] != labels[all_pairs[:, 1]]).nonzero()]
            if self.balance:
                negative_pairs = negative_pairs[torch.randperm(len(negative_pairs))[:len(positive_pairs)]]
            return positive_pairs, negative_pairs

    class HardNegativePairSelector:
        def __init__(self, cpu=False):
            self.cpu = cpu

        def get_pairs(self, embeddings, labels):
            if self.cpu:
                embeddings = embeddings.cpu()
            distance_matrix = pdist(embeddings)
            labels = labels.cpu().data.numpy()
            all_pairs = np.array(list(combinations(range(len(labels)), 2)))
            all_pairs = torch.LongTensor(all_pairs)
            positive_pairs = all_pairs[(labels[all_pairs[:, 0]] == labels[all_pairs[:, 1]]).nonzero()]
            negative_pairs = all_pairs[(labels[all_pairs[:, 0]] != labels[all_pairs[:, 1]]).nonzero()]
            negative_distances = distance_matrix[negative_pairs[:, 0], negative_pairs[:, 1]]
            negative_distances = negative_distances.cpu().data.numpy()
            top_negatives = np.argpartition(negative_distances, -len(positive_pairs))[-len(positive_pairs):]
            top_negative_pairs = negative_pairs[torch.LongTensor(top_negatives)]
            return positive_pairs, top_negative_pairs

    class AllTripletSelector:
        def get_triplets(self, embeddings, labels):
            labels = labels.cpu().data.numpy()
            triplets = []
            for label in set(labels):
                label_mask = (labels == label)
                label_indices = np.where(label_mask)[0]
                if len(label_indices) < 2:
                    continue
                negative_indices = np.where(np.logical_not(label_mask))[0]
                anchor_positives = list(combinations(label_indices, 2))
                temp_triplets = [[anchor_positive[0], anchor_positive[1], neg_ind]
                                 for anchor_positive in anchor_positives
                                 for neg_ind in negative_indices]
                triplets += temp_triplets
            return torch.LongTensor(np.array(triplets))

    def hardest_negative(loss_values):
        hard_negative = np.argmax(loss_values)
        return hard_negative if loss_values[hard_negative] > 0 else None

    def random_hard_negative(loss_values):
        hard_negatives = np.where(loss_values > 0)[0]
        return np.random.choice(hard_negatives) if len(hard_negatives) > 0 else None

    def semihard_negative(loss_values, margin):
        semihard_negatives = np.where(np.logical_and(loss_values < margin, loss_values > 0))[0]
        return np.random.choice(semihard_negatives) if len(semihard_negatives) > 0 else None

    class FunctionNegativeTripletSelector:
        def __init__(self, margin, negative_selection_fn, cpu=True):
            self.cpu = cpu
            self.margin = margin
            self.negative_selection_fn = negative_selection_fn

        def get_triplets(self, embeddings, labels):
            if self.cpu:
                embeddings = embeddings.cpu()
            distance_matrix = pdist(embeddings)
            distance_matrix = distance_matrix.cpu()
            labels = labels.cpu().data.numpy()
            triplets = []
            for label in set(labels):
                label_mask = (labels == label)
                label_indices = np.where(label_mask)[0]
                if len(label_indices) < 2:
                    continue
                negative_indices = np.where(np.logical_not(label_mask))[0]
                anchor_positives = list(combinations(label_indices, 2))
                anchor_positives = np.array(anchor_positives)
                ap_distances = distance_matrix[anchor_positives[:, 0], anchor_positives[:, 1]]
                for anchor_positive, ap_distance in zip(anchor_positives, ap_distances):
                    loss_values = ap_distance - distance_matrix[torch.LongTensor(np.array([anchor_positive[0]])), torch.LongTensor(negative_indices)] + self.margin
                    loss_values = loss_values.data.cpu().numpy()
                    hard_negative = self.negative_selection_fn(loss_values)
                    if hard_negative is not None:
                        hard_negative = negative_indices[hard_negative]
                        triplets.append([anchor_positive[0], anchor_positive[1], hard_negative])
            if len(triplets) == 0:
                triplets.append([anchor_positive[0], anchor_positive[1], negative_indices[0]])
            triplets = np.array(triplets)
            return torch.LongTensor(triplets)

    def HardestNegativeTripletSelector(margin, cpu=False):
        return FunctionNegativeTripletSelector(margin=margin, negative_selection_fn=hardest_negative, cpu=cpu)

    def RandomNegativeTripletSelector(margin, cpu=False):
        return FunctionNegativeTripletSelector(margin=margin, negative_selection_fn=random_hard_negative, cpu=cpu)

    def SemihardNegativeTripletSelector(margin, cpu=False):
        return FunctionNegativeTripletSelector(margin=margin,
                                               negative_selection_fn=lambda x: semihard_negative(x, margin),
                                               cpu=cpu)

    return dict(ContrastiveLoss=ContrastiveLoss, TripletLoss=TripletLoss,
                OnlineContrastiveLoss=OnlineContrastiveLoss, OnlineTripletLoss=OnlineTripletLoss,
                pdist=pdist, AllPositivePairSelector=AllPositivePairSelector,
                HardNegativePairSelector=HardNegativePairSelector,
                AllTripletSelector=AllTripletSelector,
                Hardest=HardestNegativeTripletSelector, Random=RandomNegativeTripletSelector,
                Semihard=SemihardNegativeTripletSelector)


def _embeddings(L, seed):
    rng = np.random.default_rng(seed)
    x = L.from_numpy(rng.standard_normal((12, 8)).astype(np.float32)).requires_grad_()
    y = L.from_numpy(np.array([0, 1, 2, 3] * 3))
    return x, y


def selectors_and_losses(L):
    """Every selector on the same embeddings: selected pairs and triplets (printed), the
    online losses with their gradients, and the offline Contrastive / Triplet losses on
    the selected indices (size_average both ways)."""
    torch = L
    U = _lib(L)
    with Out() as o:
        torch.manual_seed(0)
        np.random.seed(0)
        x, y = _embeddings(L, 0)
        d = U['pdist'](x)
        o.print('pdist', tuple(d.shape), d.dtype, d.requires_grad, d.grad_fn is not None)
        # its diagonal is -2|x|^2 + |x|^2 + |x|^2: rounding left over, from the row sums'
        # order (see below) and the matrix product's; the rest to rounding
        o.vals += [d.detach().fill_diagonal_(0)]
        for sel in (U['AllPositivePairSelector'](balance=True),
                    U['AllPositivePairSelector'](balance=False), U['HardNegativePairSelector']()):
            pos, neg = sel.get_pairs(x, y)
            o.print(type(sel).__name__, tuple(pos.shape), pos.dtype, tuple(neg.shape),
                    pos.tolist(), sorted(neg.tolist()))
            loss = U['OnlineContrastiveLoss'](1.0, sel)(x, y)
            x.grad = None
            loss.backward()
            o.print('online contrastive %.4f' % loss.item(), 'grad %.4f' % x.grad.norm())
            o.vals += [loss.detach(), x.grad]
        for name in ('AllTripletSelector', 'Hardest', 'Random', 'Semihard'):
            sel = U['AllTripletSelector']() if name == 'AllTripletSelector' else U[name](2.0)
            for margin in (2.0, 0.01):
                t = sel.get_triplets(x, y)
                o.print(name, tuple(t.shape), t.dtype, t[:6].tolist())
                crit = U['OnlineTripletLoss'](margin, sel)
                loss, n = crit(x, y)
                x.grad = None
                loss.backward()
                o.print('online triplet %.4f' % loss.item(), n, type(n).__name__,
                        'grad %.4f' % x.grad.norm())
                o.vals += [loss.detach(), x.grad]
        t = U['AllTripletSelector']().get_triplets(x, y)
        a, p, n = x[t[:, 0]], x[t[:, 1]], x[t[:, 2]]
        for size_average in (True, False):
            lt = U['TripletLoss'](1.0)(a, p, n, size_average)
            target = (y[t[:, 0]] == y[t[:, 1 + int(size_average)]]).long()
            lc = U['ContrastiveLoss'](1.0)(a, n if size_average else p, target, size_average)
            # the sums of 144 losses (~500) at 2 decimals: x.pow(2).sum(1) adds each row of
            # 8 in NumPy's order, not ATen's (README, Differences: row sums' last bit)
            fmt = ('triplet %.4f contrastive %.4f' if size_average
                   else 'triplet %.2f contrastive %.2f')
            o.print(fmt % (lt.item(), lc.item()), lc.dtype)
            o.vals += [lt.detach(), lc.detach()]
        # no triplet with loss > 0: the selector's fallback triplet
        far = (y.float()[:, None] * 100 + x.detach() * 0.01)
        o.print(U['Hardest'](0.1).get_triplets(far, y).tolist())
    return o.done()
