"""Self-supervised learning as popular repositories write it, scaled down, as
``prog(L) -> (printed, values)`` for tests/test_programs_s20_ssl.py. This file:
sthalles/SimCLR (simclr.py info_nce_loss) and facebookresearch/moco (moco/builder.py, with
concat_all_gather and the DDP batch shuffle replaced by identity / a single-process
shuffle) and moco-v3. Tiny MLP encoders, random tensors in place of image datasets and
augmentations."""

import copy

import numpy as np
from s16_yunjey_progs import Out


def _two_views(L, n, d, seed):
    """Two 'augmented' views of one batch: the batch plus small NumPy noise each."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    v1 = x + 0.1 * rng.standard_normal((n, d)).astype(np.float32)
    v2 = x + 0.1 * rng.standard_normal((n, d)).astype(np.float32)
    return L.from_numpy(v1), L.from_numpy(v2)


def simclr(L):
    """sthalles/SimCLR simclr.py: info_nce_loss (labels from arange == arange, F.normalize,
    features @ features.T, a bool eye mask, labels[~mask].view, positives by a bool mask,
    logits / temperature), CrossEntropyLoss, the repo's accuracy(topk=(1, 5)), Adam with a
    CosineAnnealingLR, the ResNet-free projection head (Linear-ReLU-Linear)."""
    nn, F = L.nn, L.nn.functional
    batch_size, n_views, temperature = 6, 2, 0.07
    with Out() as o:
        L.manual_seed(0)

        def accuracy(output, target, topk=(1,)):
            with L.no_grad():
                maxk = max(topk)
                batch_size = target.size(0)
                _, pred = output.topk(maxk, 1, True, True)
                pred = pred.t()
                correct = pred.eq(target.view(1, -1).expand_as(pred))
                res = []
                for k in topk:
                    correct_k = correct[:k].reshape(-1).float().sum(0, keepdim=True)
                    res.append(correct_k.mul_(100.0 / batch_size))
                return res

        class ResNetSimCLR(nn.Module):
            def __init__(self, in_dim, out_dim):
                super(ResNetSimCLR, self).__init__()
                self.backbone = nn.Sequential(nn.Linear(in_dim, 32), nn.ReLU(),
                                              nn.Linear(32, out_dim))
                dim_mlp = self.backbone[-1].in_features
                # add mlp projection head
                self.backbone[-1] = nn.Sequential(nn.Linear(dim_mlp, dim_mlp), nn.ReLU(),
                                                  self.backbone[-1])

            def forward(self, x):
                return self.backbone(x)

        def info_nce_loss(features):
            labels = L.cat([L.arange(batch_size) for i in range(n_views)], dim=0)
            labels = (labels.unsqueeze(0) == labels.unsqueeze(1)).float()
            features = F.normalize(features, dim=1)
            similarity_matrix = L.matmul(features, features.T)
            assert similarity_matrix.shape == (n_views * batch_size, n_views * batch_size)
            assert similarity_matrix.shape == labels.shape
            mask = L.eye(labels.shape[0], dtype=L.bool)
            labels = labels[~mask].view(labels.shape[0], -1)
            similarity_matrix = similarity_matrix[~mask].view(similarity_matrix.shape[0], -1)
            positives = similarity_matrix[labels.bool()].view(labels.shape[0], -1)
            negatives = similarity_matrix[~labels.bool()].view(similarity_matrix.shape[0], -1)
            logits = L.cat([positives, negatives], dim=1)
            labels = L.zeros(logits.shape[0], dtype=L.long)
            logits = logits / temperature
            return logits, labels

        model = ResNetSimCLR(10, 8)
        o.print(model)
        optimizer = L.optim.Adam(model.parameters(), 3e-4, weight_decay=1e-4)
        scheduler = L.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=4, eta_min=0,
                                                           last_epoch=-1)
        criterion = nn.CrossEntropyLoss()
        for n_iter in range(4):
            v1, v2 = _two_views(L, batch_size, 10, n_iter)
            images = L.cat([v1, v2], dim=0)
            features = model(images)
            logits, labels = info_nce_loss(features)
            loss = criterion(logits, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            top1, top5 = accuracy(logits, labels, topk=(1, 5))
            o.print(f"Epoch: {n_iter}\tLoss: {loss:.4f}\tTop1 accuracy: {top1[0]:.2f}")
            o.print(tuple(logits.shape), logits.dtype, labels.dtype, top5)
            o.print("lr", scheduler.get_last_lr())
            scheduler.step()
            o.vals += [loss, logits, top1[0]]
        o.vals += list(model.parameters())
    return o.done()


def moco(L):
    """facebookresearch/moco moco/builder.py: two encoders, param_k.data.copy_ and
    requires_grad = False, register_buffer queue of randn normalized along dim 0, a long
    queue_ptr, @torch.no_grad() momentum update (mul_().add_(mul)), _dequeue_and_enqueue with
    int(self.queue_ptr) and queue[:, ptr:ptr+bs] = keys.T, einsum 'nc,nc->n' and 'nc,ck->nk',
    logits /= T, SGD with momentum (main_moco.py), the mlp=True head swap."""
    nn = L.nn
    with Out() as o:
        L.manual_seed(1)

        def concat_all_gather(tensor):
            return tensor

        class Encoder(nn.Module):
            def __init__(self, num_classes=8):
                super().__init__()
                self.body = nn.Sequential(nn.Linear(12, 16), nn.ReLU())
                self.fc = nn.Linear(16, num_classes)

            def forward(self, x):
                return self.fc(self.body(x))

        class MoCo(nn.Module):
            def __init__(self, base_encoder, dim=8, K=12, m=0.999, T=0.07, mlp=False):
                super(MoCo, self).__init__()
                self.K = K
                self.m = m
                self.T = T
                self.encoder_q = base_encoder(num_classes=dim)
                self.encoder_k = base_encoder(num_classes=dim)
                if mlp:  # hack: brute-force replacement
                    dim_mlp = self.encoder_q.fc.weight.shape[1]
                    self.encoder_q.fc = nn.Sequential(
                        nn.Linear(dim_mlp, dim_mlp), nn.ReLU(), self.encoder_q.fc)
                    self.encoder_k.fc = nn.Sequential(
                        nn.Linear(dim_mlp, dim_mlp), nn.ReLU(), self.encoder_k.fc)
                for param_q, param_k in zip(self.encoder_q.parameters(),
                                            self.encoder_k.parameters()):
                    param_k.data.copy_(param_q.data)  # initialize
                    param_k.requires_grad = False  # not update by gradient
                self.register_buffer("queue", L.randn(dim, K))
                self.queue = nn.functional.normalize(self.queue, dim=0)
                self.register_buffer("queue_ptr", L.zeros(1, dtype=L.long))

            @L.no_grad()
            def _momentum_update_key_encoder(self):
                for param_q, param_k in zip(self.encoder_q.parameters(),
                                            self.encoder_k.parameters()):
                    param_k.mul_(self.m).add_(param_q.mul(1. - self.m))

            @L.no_grad()
            def _dequeue_and_enqueue(self, keys):
                keys = concat_all_gather(keys)
                batch_size = keys.shape[0]
                ptr = int(self.queue_ptr)
                assert self.K % batch_size == 0  # for simplicity
                self.queue[:, ptr:ptr + batch_size] = keys.T
                ptr = (ptr + batch_size) % self.K  # move pointer
                self.queue_ptr[0] = ptr

            @L.no_grad()
            def _batch_shuffle(self, x):
                idx_shuffle = L.randperm(x.shape[0])
                idx_unshuffle = L.argsort(idx_shuffle)
                return x[idx_shuffle], idx_unshuffle

            def forward(self, im_q, im_k):
                q = self.encoder_q(im_q)  # queries: NxC
                q = nn.functional.normalize(q, dim=1)
                with L.no_grad():  # no gradient to keys
                    self._momentum_update_key_encoder()
                    im_k, idx_unshuffle = self._batch_shuffle(im_k)
                    k = self.encoder_k(im_k)  # keys: NxC
                    k = nn.functional.normalize(k, dim=1)
                    k = k[idx_unshuffle]
                l_pos = L.einsum("nc,nc->n", [q, k]).unsqueeze(-1)
                l_neg = L.einsum("nc,ck->nk", [q, self.queue.clone().detach()])
                logits = L.cat([l_pos, l_neg], dim=1)
                logits /= self.T
                labels = L.zeros(logits.shape[0], dtype=L.long)
                self._dequeue_and_enqueue(k)
                return logits, labels

        model = MoCo(Encoder, dim=8, K=12, m=0.99, T=0.2, mlp=True)
        o.print(model)
        o.print([n for n, _ in model.named_buffers()], model.queue_ptr)
        o.print(sum(p.requires_grad for p in model.parameters()))
        criterion = nn.CrossEntropyLoss()
        optimizer = L.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), 0.03,
                                momentum=0.9, weight_decay=1e-4)
        for i in range(4):
            im_q, im_k = _two_views(L, 4, 12, 10 + i)
            output, target = model(im_q=im_q, im_k=im_k)
            loss = criterion(output, target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            o.print(f"[{i}] loss {loss.item():.4f} ptr {model.queue_ptr.item()}",
                    tuple(output.shape), model.queue.requires_grad, output.requires_grad)
            o.vals += [loss, output, model.queue.clone()]
        o.print(model.state_dict()["queue_ptr"], list(model.state_dict())[-3:])
        o.vals += [p for p in model.parameters()]
        o.tryit(lambda: L.einsum("nc,ck->nk", [im_q, model.queue]))
    return o.done()


def moco_v3_style(L):
    """facebookresearch/moco-v3 moco/builder.py shape: a deepcopy momentum encoder updated
    in place (param_m.mul_(m).add_(param_b.mul(1. - m))) under no_grad, a BatchNorm1d
    predictor (_build_mlp, Linear(bias=False)), contrastive_loss (einsum 'nc,mc->nm' / T,
    labels = arange, CE * 2T), AdamW."""
    nn = L.nn
    with Out() as o:
        L.manual_seed(2)
        T, m = 0.5, 0.9
        def _build_mlp(num_layers, input_dim, mlp_dim, output_dim, last_bn=True):
            mlp = []
            for l in range(num_layers):
                dim1 = input_dim if l == 0 else mlp_dim
                dim2 = output_dim if l == num_layers - 1 else mlp_dim
                mlp.append(nn.Linear(dim1, dim2, bias=False))
                if l < num_layers - 1:
                    mlp.append(nn.BatchNorm1d(dim2))
                    mlp.append(nn.ReLU(inplace=True))
                elif last_bn:
                    # follow SimCLR's design
                    mlp.append(nn.BatchNorm1d(dim2, affine=False))
            return nn.Sequential(*mlp)

        base = _build_mlp(2, 6, 12, 4)
        momentum = copy.deepcopy(base)
        for param_b, param_m in zip(base.parameters(), momentum.parameters()):
            param_m.data.copy_(param_b.data)
            param_m.requires_grad = False
        predictor = _build_mlp(2, 4, 8, 4, False)

        @L.no_grad()
        def _update_momentum_encoder(m):
            for param_b, param_m in zip(base.parameters(), momentum.parameters()):
                param_m.mul_(m).add_(param_b.mul(1. - m))

        def contrastive_loss(q, k):
            q = nn.functional.normalize(q, dim=1)
            k = nn.functional.normalize(k, dim=1)
            logits = L.einsum('nc,mc->nm', [q, k]) / T
            N = logits.shape[0]
            labels = (L.arange(N, dtype=L.long))
            return nn.CrossEntropyLoss()(logits, labels) * (2 * T)

        params = list(base.parameters()) + list(predictor.parameters())
        optimizer = L.optim.AdamW(params, lr=1e-2, weight_decay=0.1)
        for it in range(3):
            x1, x2 = _two_views(L, 6, 6, 20 + it)
            q1 = predictor(base(x1))
            q2 = predictor(base(x2))
            with L.no_grad():
                _update_momentum_encoder(m)
                k1 = momentum(x1)
                k2 = momentum(x2)
            loss = contrastive_loss(q1, k2) + contrastive_loss(q2, k1)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            o.print(f"it {it} loss {loss.item():.4f}", k1.requires_grad, q1.grad_fn is None)
            o.vals += [loss, k1, q2]
        o.print(momentum[1].running_mean.shape, momentum[1].num_batches_tracked)
        o.vals += list(momentum.parameters()) + list(momentum.buffers())
    return o.done()

