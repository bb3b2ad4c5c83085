"""facebookresearch/dino's evaluation and bookkeeping code, scaled down, as ``prog(L) ->
(printed, values)`` for tests/test_programs_s22_ssl.py: eval_knn.py (extract_features with
index_copy_ and unbind, knn_classifier with resize_().zero_(), scatter_, topk, gather,
sort(1, True), narrow), utils.py (accuracy, SmoothedValue / MetricLogger over torch.tensor
of a deque, has_batchnorms, restart_from_checkpoint through torch.save / torch.load with an
optimizer's load_state_dict(strict=False) falling back), nn.SyncBatchNorm.
convert_sync_batchnorm and visualize_attention.py (attention maps thresholded by a cumsum of
sorted values, nn.functional.interpolate(scale_factor=patch_size, mode="nearest"))."""

import io
from collections import defaultdict, deque

import numpy as np
from s16_yunjey_progs import Out


def _feats(L, n, d, classes, seed):
    rng = np.random.default_rng(seed)
    f = L.from_numpy(rng.standard_normal((n, d)).astype(np.float32))
    y = L.from_numpy(rng.integers(0, classes, n))
    return f, y


def dino_knn(L):
    """eval_knn.py: features of a small backbone gathered into a storage matrix by
    index_copy_, normalised, then the weighted k-NN vote for several k; utils.accuracy."""
    nn = L.nn
    with Out() as o:
        L.manual_seed(0)
        model = nn.Sequential(nn.Linear(6, 12), nn.GELU(), nn.Linear(12, 8))
        model.eval()

        @L.no_grad()
        def extract_features(model, data_loader, n):
            features = None
            for samples, index in data_loader:
                feats = model(samples).clone()
                if features is None:
                    features = L.zeros(n, feats.shape[-1])
                    o.print(f"Storing features into tensor of shape {features.shape}")
                y_all = L.empty(1, index.size(0), dtype=index.dtype, device=index.device)
                y_l = list(y_all.unbind(0))
                y_l[0].copy_(index)
                index_all = L.cat(y_l)
                feats_all = L.empty(1, feats.size(0), feats.size(1), dtype=feats.dtype,
                                    device=feats.device)
                output_l = list(feats_all.unbind(0))
                output_l[0].copy_(feats)
                features.index_copy_(0, index_all.cpu(), L.cat(output_l).cpu())
            return features

        @L.no_grad()
        def knn_classifier(train_features, train_labels, test_features, test_labels, k, T,
                           num_classes=1000):
            top1, top5, total = 0.0, 0.0, 0
            train_features = train_features.t()
            num_test_images, num_chunks = test_labels.shape[0], 4
            imgs_per_chunk = num_test_images // num_chunks
            retrieval_one_hot = L.zeros(k, num_classes).to(train_features.device)
            for idx in range(0, num_test_images, imgs_per_chunk):
                features = test_features[idx: min((idx + imgs_per_chunk), num_test_images), :]
                targets = test_labels[idx: min((idx + imgs_per_chunk), num_test_images)]
                batch_size = targets.shape[0]
                similarity = L.mm(features, train_features)
                distances, indices = similarity.topk(k, largest=True, sorted=True)
                candidates = train_labels.view(1, -1).expand(batch_size, -1)
                retrieved_neighbors = L.gather(candidates, 1, indices)
                retrieval_one_hot.resize_(batch_size * k, num_classes).zero_()
                retrieval_one_hot.scatter_(1, retrieved_neighbors.view(-1, 1), 1)
                distances_transform = distances.clone().div_(T).exp_()
                probs = L.sum(
                    L.mul(retrieval_one_hot.view(batch_size, -1, num_classes),
                          distances_transform.view(batch_size, -1, 1)), 1)
                _, predictions = probs.sort(1, True)
                correct = predictions.eq(targets.data.view(-1, 1))
                top1 = top1 + correct.narrow(1, 0, 1).sum().item()
                top5 = top5 + correct.narrow(1, 0, min(5, k)).sum().item()
                total += targets.size(0)
            top1 = top1 * 100.0 / total
            top5 = top5 * 100.0 / total
            return top1, top5

        def accuracy(output, target, topk=(1,)):
            maxk = max(topk)
            batch_size = target.size(0)
            _, pred = output.topk(maxk, 1, True, True)
            pred = pred.t()
            correct = pred.eq(target.reshape(1, -1).expand_as(pred))
            return [correct[:k].reshape(-1).float().sum(0) * 100. / batch_size for k in topk]

        xtr, ytr = _feats(L, 24, 6, 7, 1)
        xte, yte = _feats(L, 12, 6, 7, 2)
        perm = L.randperm(24)
        loader = [(xtr[perm[i:i + 8]], perm[i:i + 8]) for i in range(0, 24, 8)]
        train_features = extract_features(model, loader, 24)
        test_features = extract_features(model, [(xte, L.arange(12))], 12)
        train_features = nn.functional.normalize(train_features, dim=1, p=2)
        test_features = nn.functional.normalize(test_features, dim=1, p=2)
        o.vals += [train_features, test_features]
        o.print("Features are ready!\nStart the k-NN classification.")
        for k in [3, 5, 10]:
            top1, top5 = knn_classifier(train_features, ytr, test_features, yte, k, 0.07,
                                        num_classes=7)
            o.print(f"{k}-NN classifier result: Top1: {top1}, Top5: {top5}")
        logits = model(xte)
        acc1, acc5 = accuracy(logits.detach(), yte % 8, topk=(1, 5))
        o.print(acc1, acc5, acc1.dtype)
        o.vals += [acc1, acc5]
        t = L.zeros(2, 3)
        o.print(t.resize_(4, 2).shape, t.resize_(2, 2).shape, t.is_contiguous())
        o.tryit(lambda: L.zeros(3).index_copy_(0, L.tensor([0, 5]), L.ones(2)))
        o.tryit(lambda: L.zeros(3, 2).index_copy_(0, L.tensor([0, 1]), L.ones(3, 2)))
        o.tryit(lambda: L.zeros(3, 2).index_copy_(0, L.tensor([0.0, 1.0]), L.ones(2, 2)))
    return o.done()


def dino_utils(L):
    """utils.py bookkeeping: SmoothedValue / MetricLogger (median of torch.tensor(list(deque)),
    avg with dtype=float32), has_batchnorms, SyncBatchNorm.convert_sync_batchnorm, a
    checkpoint round trip through restart_from_checkpoint, attention-map thresholding of
    visualize_attention.py."""
    nn = L.nn
    import argparse
    with Out() as o:
        L.manual_seed(5)

        class SmoothedValue(object):
            def __init__(self, window_size=20, fmt=None):
                if fmt is None:
                    fmt = "{median:.6f} ({global_avg:.6f})"
                self.deque = deque(maxlen=window_size)
                self.total = 0.0
                self.count = 0
                self.fmt = fmt

            def update(self, value, n=1):
                self.deque.append(value)
                self.count += n
                self.total += value * n

            @property
            def median(self):
                d = L.tensor(list(self.deque))
                return d.median().item()

            @property
            def avg(self):
                d = L.tensor(list(self.deque), dtype=L.float32)
                return d.mean().item()

            @property
            def global_avg(self):
                return self.total / self.count

            @property
            def max(self):
                return max(self.deque)

            @property
            def value(self):
                return self.deque[-1]

            def __str__(self):
                return self.fmt.format(median=self.median, avg=self.avg,
                                       global_avg=self.global_avg, max=self.max,
                                       value=self.value)

        class MetricLogger(object):
            def __init__(self, delimiter="\t"):
                self.meters = defaultdict(SmoothedValue)
                self.delimiter = delimiter

            def update(self, **kwargs):
                for k, v in kwargs.items():
                    if isinstance(v, L.Tensor):
                        v = v.item()
                    assert isinstance(v, (float, int))
                    self.meters[k].update(v)

            def __str__(self):
                loss_str = []
                for name, meter in self.meters.items():
                    loss_str.append("{}: {}".format(name, str(meter)))
                return self.delimiter.join(loss_str)

        ml = MetricLogger(delimiter="  ")
        for i in range(5):
            ml.update(loss=L.tensor(0.5 + 0.25 * i), lr=1e-3 * (i + 1), it=i)
        o.print(str(ml))
        o.print(SmoothedValue(fmt='{avg:.6f}').fmt, ml.meters["it"].median,
                type(ml.meters["it"].median).__name__, ml.meters["loss"].avg)
        o.tryit(lambda: L.tensor([]).median())

        def has_batchnorms(model):
            bn_types = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)
            for name, module in model.named_modules():
                if isinstance(module, bn_types):
                    return True
            return False

        head = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.GELU(), nn.Linear(6, 3))
        o.print(has_batchnorms(head), has_batchnorms(nn.Sequential(nn.Linear(2, 2))))
        sync = nn.SyncBatchNorm.convert_sync_batchnorm(head)
        o.print(sync)
        o.print(type(sync[1]).__name__, has_batchnorms(sync), sync[1].weight is head[1].weight)
        o.print(isinstance(sync[1], nn.BatchNorm1d), list(sync.state_dict().keys())[2:5])

        # checkpoint round trip (restart_from_checkpoint)
        opt = L.optim.SGD(head.parameters(), lr=0.1, momentum=0.9)
        head.train()
        head2 = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.GELU(), nn.Linear(6, 3))
        x = L.randn(5, 4)
        head2(x).sum().backward()
        opt2 = L.optim.SGD(head2.parameters(), lr=0.1, momentum=0.9)
        opt2.step()
        args = argparse.Namespace(epochs=3, lr=0.1)
        save_dict = {'student': head2.state_dict(), 'optimizer': opt2.state_dict(),
                     'epoch': 2, 'args': args}
        buf = io.BytesIO()
        L.save(save_dict, buf)
        buf.seek(0)
        o.tryit(lambda: sorted(L.load(buf, map_location="cpu").keys()))
        buf.seek(0)
        checkpoint = L.load(buf, map_location="cpu", weights_only=False)
        run_variables = {"epoch": 0}
        for key, value in dict(student=head, optimizer=opt, dino_loss=None).items():
            if key in checkpoint and value is not None:
                try:
                    msg = value.load_state_dict(checkpoint[key], strict=False)
                    o.print("=> loaded '{}' from checkpoint with msg {}".format(key, msg))
                except TypeError:
                    try:
                        msg = value.load_state_dict(checkpoint[key])
                        o.print("=> loaded '{}' from checkpoint".format(key))
                    except ValueError:
                        o.print("=> failed to load '{}' from checkpoint".format(key))
            else:
                o.print("=> key '{}' not found in checkpoint".format(key))
        for var_name in run_variables:
            if var_name in checkpoint:
                run_variables[var_name] = checkpoint[var_name]
        o.print(run_variables, checkpoint['args'].epochs)
        o.tryit(lambda: opt.load_state_dict(checkpoint['optimizer'], strict=False))
        o.tryit(lambda: head.load_state_dict({'0.weight': L.zeros(6, 4)}, strict=False))
        o.vals += list(head.parameters()) + [head[1].running_mean,
                                             opt.state[head[0].weight]['momentum_buffer']]

        # visualize_attention.py: keep the top attention mass
        patch_size, nh, w_featmap, h_featmap, threshold = 2, 3, 3, 3, 0.6
        attentions = L.softmax(L.randn(1, nh, 10, 10), -1)
        attentions = attentions[0, :, 0, 1:].reshape(nh, -1)
        val, idx = L.sort(attentions)
        val /= L.sum(val, dim=1, keepdim=True)
        cumval = L.cumsum(val, dim=1)
        th_attn = cumval > (1 - threshold)
        idx2 = L.argsort(idx)
        for head_i in range(nh):
            th_attn[head_i] = th_attn[head_i][idx2[head_i]]
        th_attn = th_attn.reshape(nh, w_featmap, h_featmap).float()
        th_attn = nn.functional.interpolate(th_attn.unsqueeze(0), scale_factor=patch_size,
                                            mode="nearest")[0].cpu().numpy()
        attentions = attentions.reshape(nh, w_featmap, h_featmap)
        attentions = nn.functional.interpolate(attentions.unsqueeze(0),
                                               scale_factor=patch_size,
                                               mode="nearest")[0].cpu().numpy()
        o.print(th_attn.shape, th_attn.dtype, attentions.shape, th_attn.sum())
        o.vals += [th_attn, attentions, cumval]
    return o.done()


def single_process(L):
    """What DINO / VICReg code meets in one process that never called init_process_group:
    utils.get_world_size / get_rank / is_main_process through is_dist_avail_and_initialized,
    DINOLoss.update_center's dist.all_reduce, VICReg's FullGatherLayer (dist.all_gather in an
    autograd Function) and batch_all_gather, the DistributedDataParallel wrapper and the
    ``model.module if isinstance(model, DDP) else model`` idiom, ReduceOp and Backend."""
    nn, dist = L.nn, L.distributed
    with Out() as o:
        def is_dist_avail_and_initialized():
            if not dist.is_available():
                return False
            if not dist.is_initialized():
                return False
            return True

        def get_world_size():
            if not is_dist_avail_and_initialized():
                return 1
            return dist.get_world_size()

        def get_rank():
            if not is_dist_avail_and_initialized():
                return 0
            return dist.get_rank()

        o.print(get_world_size(), get_rank(), get_rank() == 0)
        teacher_output = L.arange(12.).view(4, 3)

        @L.no_grad()
        def update_center(center, teacher_output, center_momentum=0.9):
            batch_center = L.sum(teacher_output, dim=0, keepdim=True)
            dist.all_reduce(batch_center)
            batch_center = batch_center / (len(teacher_output) * dist.get_world_size())
            return center * center_momentum + batch_center * (1 - center_momentum)

        o.tryit(lambda: update_center(L.zeros(1, 3), teacher_output))

        class FullGatherLayer(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                output = [L.zeros_like(x) for _ in range(dist.get_world_size())]
                dist.all_gather(output, x)
                return tuple(output)

            @staticmethod
            def backward(ctx, *grads):
                all_gradients = L.stack(grads)
                dist.all_reduce(all_gradients)
                return all_gradients[dist.get_rank()]

        def batch_all_gather(x):
            x_list = FullGatherLayer.apply(x)
            return L.cat(x_list, dim=0)

        o.tryit(lambda: batch_all_gather(L.ones(2, 3, requires_grad=True)))
        o.tryit(lambda: dist.all_gather([L.zeros(3)], L.ones(3)))
        o.tryit(lambda: dist.all_gather(L.zeros(3), L.ones(3)))
        o.tryit(lambda: dist.all_reduce([L.ones(3)], op=dist.ReduceOp.SUM))
        o.tryit(lambda: dist.broadcast(L.ones(3), src=0))
        o.tryit(lambda: dist.destroy_process_group())
        o.print(dist.ReduceOp.SUM, repr(dist.ReduceOp.MAX), dist.Backend.GLOO,
                dist.Backend("NCCL"), dist.is_gloo_available(), dist.is_nccl_available(),
                dist.group.WORLD)
        model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
        o.tryit(lambda: nn.parallel.DistributedDataParallel(model, device_ids=[0]))
        DDP = nn.parallel.DistributedDataParallel
        dp = nn.DataParallel(model)
        for m in (model, dp):
            inner = m.module if isinstance(m, (DDP, nn.DataParallel)) else m
            o.print(type(m).__name__, type(inner).__name__, list(m.state_dict())[:2])
        o.print(issubclass(DDP, nn.Module), DDP.__name__)
    return o.done()
