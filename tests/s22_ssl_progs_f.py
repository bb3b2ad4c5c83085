"""facebookresearch/dino eval_linear.py, scaled down, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s22_ssl.py: a frozen tiny ViT's [CLS] tokens of the n last blocks
(get_intermediate_layers) with the avgpool_patchtokens concatenation, LinearClassifier
(weight.data.normal_(0, 0.01), bias.data.zero_(), x.view(x.size(0), -1)), SGD with the linear
scaling rule, CosineAnnealingLR, train / validate_network with CrossEntropyLoss and
utils.accuracy, the checkpoint dict with the scheduler's state and a resume through
restart_from_checkpoint; DataLoader over a TensorDataset for the ImageFolder, and the
DistributedSampler that the script builds (its error without a process group)."""

import io

import numpy as np
from s16_yunjey_progs import Out
from s22_ssl_progs import _dino_modules


def dino_linear(L):
    nn = L.nn
    m = _dino_modules(L)
    with Out() as o:
        L.manual_seed(0)
        n_last_blocks, avgpool, epochs, num_labels, bs = 2, False, 3, 5, 4
        model = m["vit_tiny"](img_size=[16], patch_size=4)
        for p in model.parameters():
            p.requires_grad = False
        model.eval()
        embed_dim = model.embed_dim * (n_last_blocks + int(avgpool))
        o.print("Model vit_tiny built.")

        class LinearClassifier(nn.Module):
            """Linear layer to train on top of frozen features"""
            def __init__(self, dim, num_labels=1000):
                super(LinearClassifier, self).__init__()
                self.num_labels = num_labels
                self.linear = nn.Linear(dim, num_labels)
                self.linear.weight.data.normal_(mean=0.0, std=0.01)
                self.linear.bias.data.zero_()

            def forward(self, x):
                x = x.view(x.size(0), -1)
                return self.linear(x)

        def accuracy(output, target, topk=(1,)):
            maxk = max(topk)
            batch_size = target.size(0)
            _, pred = output.topk(maxk, 1, True, True)
            pred = pred.t()
            correct = pred.eq(target.reshape(1, -1).expand_as(pred))
            return [correct[:k].reshape(-1).float().sum(0) * 100. / batch_size for k in topk]

        linear_classifier = LinearClassifier(embed_dim, num_labels=num_labels)
        o.print(linear_classifier)
        rng = np.random.default_rng(3)
        xs = L.from_numpy(rng.standard_normal((12, 3, 16, 16)).astype(np.float32))
        ys = L.from_numpy(rng.integers(0, num_labels, 12))
        dataset_train = L.utils.data.TensorDataset(xs[:8], ys[:8])
        dataset_val = L.utils.data.TensorDataset(xs[8:], ys[8:])
        o.tryit(lambda: L.utils.data.distributed.DistributedSampler(dataset_train))
        train_loader = L.utils.data.DataLoader(dataset_train, batch_size=bs)
        val_loader = L.utils.data.DataLoader(dataset_val, batch_size=bs)
        o.print(f"Data loaded with {len(dataset_train)} train and {len(dataset_val)} val imgs.")
        optimizer = L.optim.SGD(linear_classifier.parameters(), 0.01 * (bs * 1) / 256.,
                                momentum=0.9, weight_decay=0)
        scheduler = L.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs, eta_min=0)

        def features(inp, n, avgpool):
            with L.no_grad():
                intermediate_output = model.get_intermediate_layers(inp, n)
                output = L.cat([x[:, 0] for x in intermediate_output], dim=-1)
                if avgpool:
                    output = L.cat((output.unsqueeze(-1),
                                    L.mean(intermediate_output[-1][:, 1:], dim=1)
                                    .unsqueeze(-1)), dim=-1)
                    output = output.reshape(output.shape[0], -1)
            return output

        def train(loader, epoch):
            linear_classifier.train()
            losses = []
            for (inp, target) in loader:
                output = linear_classifier(features(inp, n_last_blocks, avgpool))
                loss = nn.CrossEntropyLoss()(output, target)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
                o.vals += [loss]
            return {"loss": sum(losses) / len(losses), "lr": optimizer.param_groups[0]["lr"]}

        @L.no_grad()
        def validate_network(loader):
            linear_classifier.eval()
            acc1s, acc5s, losses = [], [], []
            for inp, target in loader:
                output = linear_classifier(features(inp, n_last_blocks, avgpool))
                loss = nn.CrossEntropyLoss()(output, target)
                acc1, acc5 = accuracy(output, target, topk=(1, 5))
                acc1s.append(acc1.item())
                acc5s.append(acc5.item())
                losses.append(loss.item())
                o.vals += [output]
            stats = {"acc1": sum(acc1s) / len(acc1s), "acc5": sum(acc5s) / len(acc5s),
                     "loss": sum(losses) / len(losses)}
            o.print('* Acc@1 {:.3f} Acc@5 {:.3f} loss {:.3f}'.format(
                stats["acc1"], stats["acc5"], stats["loss"]))
            return stats

        f1 = features(xs[:2], 1, True)
        o.print(f1.shape, features(xs[:2], 2, False).shape)
        o.vals += [f1]
        best_acc = 0.
        buf = None
        for epoch in range(0, epochs):
            train_stats = train(train_loader, epoch)
            scheduler.step()
            o.print(f"epoch {epoch} loss {train_stats['loss']:.4f} lr {train_stats['lr']:.3e}")
            test_stats = validate_network(val_loader)
            o.print(f"Accuracy at epoch {epoch} of the network on the {len(dataset_val)} "
                    f"test images: {test_stats['acc1']:.1f}%")
            best_acc = max(best_acc, test_stats["acc1"])
            o.print(f'Max accuracy so far: {best_acc:.2f}%')
            save_dict = {"epoch": epoch + 1, "state_dict": linear_classifier.state_dict(),
                         "optimizer": optimizer.state_dict(),
                         "scheduler": scheduler.state_dict(), "best_acc": best_acc}
            buf = io.BytesIO()
            L.save(save_dict, buf)
        o.print("Training of the supervised linear classifier on frozen features completed.\n"
                "Top-1 test accuracy: {acc:.1f}".format(acc=best_acc))
        o.print(sorted(scheduler.state_dict().keys()))
        # resume into fresh objects (restart_from_checkpoint)
        buf.seek(0)
        checkpoint = L.load(buf, map_location="cpu")
        lc2 = LinearClassifier(embed_dim, num_labels=num_labels)
        opt2 = L.optim.SGD(lc2.parameters(), 0.5, momentum=0.9, weight_decay=0)
        sch2 = L.optim.lr_scheduler.CosineAnnealingLR(opt2, epochs, eta_min=0)
        to_restore = {"epoch": 0, "best_acc": 0.}
        for key, value in dict(state_dict=lc2, optimizer=opt2, scheduler=sch2).items():
            try:
                msg = value.load_state_dict(checkpoint[key], strict=False)
                o.print("=> loaded '{}' from checkpoint with msg {}".format(key, msg))
            except TypeError:
                value.load_state_dict(checkpoint[key])
                o.print("=> loaded '{}' from checkpoint".format(key))
        for var_name in to_restore:
            if var_name in checkpoint:
                to_restore[var_name] = checkpoint[var_name]
        o.print(to_restore, opt2.param_groups[0]["lr"], sch2.last_epoch, sch2.get_last_lr())
        o.vals += list(lc2.parameters()) + [opt2.state[lc2.linear.weight]["momentum_buffer"]]
        o.tryit(lambda: linear_classifier(L.ones(2, 7)))
    return o.done()


def video_segmentation(L):
    """eval_video_segmentation.py: color_normalize (in-place sub_ / div_ on the rows of a
    tensor iterated over), to_one_hot (type(torch.LongTensor), scatter_), extract_feature
    through get_intermediate_layers, restrict_neighborhood, label_propagation (bmm of
    normalised features, exp, topk over dim 0, aff[aff < min] = 0, torch.sum(axis=0,
    keepdim=True)), the queue of past frames, bilinear upsampling with
    recompute_scale_factor=False, norm_mask and the argmax map as uint8."""
    F = L.nn.functional
    m = _dino_modules(L)
    with Out() as o:
        L.manual_seed(1)

        class Args:
            patch_size, size_mask_neighborhood, topk, n_last_frames = 4, 1, 3, 2

        args = Args()
        model = m["vit_tiny"](img_size=[16], patch_size=args.patch_size, num_classes=0)
        for param in model.parameters():
            param.requires_grad = False
        model.eval()

        def color_normalize(x, mean=[0.485, 0.456, 0.406], std=[0.228, 0.224, 0.225]):
            for t, m_, s in zip(x, mean, std):
                t.sub_(m_)
                t.div_(s)
            return x

        def to_one_hot(y_tensor, n_dims=None):
            if (n_dims is None):
                n_dims = int(y_tensor.max() + 1)
            _, h, w = y_tensor.size()
            y_tensor = y_tensor.type(L.LongTensor).view(-1, 1)
            n_dims = n_dims if n_dims is not None else int(L.max(y_tensor)) + 1
            y_one_hot = L.zeros(y_tensor.size()[0], n_dims).scatter_(1, y_tensor, 1)
            y_one_hot = y_one_hot.view(h, w, n_dims)
            return y_one_hot.permute(2, 0, 1).unsqueeze(0)

        def extract_feature(model, frame, return_h_w=False):
            out = model.get_intermediate_layers(frame.unsqueeze(0), n=1)[0]
            out = out[:, 1:, :]
            h = int(frame.shape[1] / model.patch_embed.patch_size)
            w = int(frame.shape[2] / model.patch_embed.patch_size)
            dim = out.shape[-1]
            out = out[0].reshape(h, w, dim)
            out = out.reshape(-1, dim)
            if return_h_w:
                return out, h, w
            return out

        def restrict_neighborhood(h, w):
            mask = L.zeros(h, w, h, w)
            k = args.size_mask_neighborhood
            for i in range(h):
                for j in range(w):
                    for p in range(2 * k + 1):
                        for q in range(2 * k + 1):
                            if i - k + p < 0 or i - k + p >= h:
                                continue
                            if j - k + q < 0 or j - k + q >= w:
                                continue
                            mask[i, j, i - k + p, j - k + q] = 1
            mask = mask.reshape(h * w, h * w)
            return mask

        def norm_mask(mask):
            c, h, w = mask.size()
            for cnt in range(c):
                mask_cnt = mask[cnt, :, :]
                if (mask_cnt.max() > 0):
                    mask_cnt = (mask_cnt - mask_cnt.min())
                    mask_cnt = mask_cnt / mask_cnt.max()
                    mask[cnt, :, :] = mask_cnt
            return mask

        def label_propagation(args, model, frame_tar, list_frame_feats, list_segs,
                              mask_neighborhood=None):
            feat_tar, h, w = extract_feature(model, frame_tar, return_h_w=True)
            return_feat_tar = feat_tar.T
            ncontext = len(list_frame_feats)
            feat_sources = L.stack(list_frame_feats)
            feat_tar = F.normalize(feat_tar, dim=1, p=2)
            feat_sources = F.normalize(feat_sources, dim=1, p=2)
            feat_tar = feat_tar.unsqueeze(0).repeat(ncontext, 1, 1)
            aff = L.exp(L.bmm(feat_tar, feat_sources) / 0.1)
            if args.size_mask_neighborhood > 0:
                if mask_neighborhood is None:
                    mask_neighborhood = restrict_neighborhood(h, w)
                    mask_neighborhood = mask_neighborhood.unsqueeze(0).repeat(ncontext, 1, 1)
                aff *= mask_neighborhood
            aff = aff.transpose(2, 1).reshape(-1, h * w)
            tk_val, _ = L.topk(aff, dim=0, k=args.topk)
            tk_val_min, _ = L.min(tk_val, dim=0)
            aff[aff < tk_val_min] = 0
            aff = aff / L.sum(aff, keepdim=True, axis=0)
            segs = L.cat(list_segs)
            nmb_context, C, h, w = segs.shape
            segs = segs.reshape(nmb_context, C, -1).transpose(2, 1).reshape(-1, C).T
            seg_tar = L.mm(segs, aff)
            seg_tar = seg_tar.reshape(1, C, h, w)
            return seg_tar, return_feat_tar, mask_neighborhood

        rng = np.random.default_rng(9)
        frames = [color_normalize(L.from_numpy(rng.random((3, 16, 16)).astype(np.float32)))
                  for _ in range(4)]
        small_seg = L.from_numpy(rng.integers(0, 3, (4, 4)).astype(np.uint8)).float()
        first_seg = to_one_hot(small_seg.unsqueeze(0))
        o.print(first_seg.shape, first_seg.dtype, frames[0].mean().item() < 1)
        frame1_feat = extract_feature(model, frames[0]).T
        que = []  # queue.Queue(args.n_last_frames)
        mask_neighborhood = None
        for cnt in range(1, len(frames)):
            used_frame_feats = [frame1_feat] + [pair[0] for pair in que[-args.n_last_frames:]]
            used_segs = [first_seg] + [pair[1] for pair in que[-args.n_last_frames:]]
            frame_tar_avg, feat_tar, mask_neighborhood = label_propagation(
                args, model, frames[cnt], used_frame_feats, used_segs, mask_neighborhood)
            if len(que) == args.n_last_frames:
                del que[0]
            que.append([feat_tar, frame_tar_avg])
            frame_tar_avg = F.interpolate(frame_tar_avg, scale_factor=args.patch_size,
                                          mode='bilinear', align_corners=False,
                                          recompute_scale_factor=False)[0]
            frame_tar_avg = norm_mask(frame_tar_avg)
            _, frame_tar_seg = L.max(frame_tar_avg, dim=0)
            frame_tar_seg = np.array(frame_tar_seg.squeeze().cpu(), dtype=np.uint8)
            o.print(cnt, frame_tar_seg.shape, frame_tar_seg.dtype, np.bincount(
                frame_tar_seg.ravel(), minlength=3).tolist())
            o.vals += [frame_tar_avg, frame_tar_seg, feat_tar]
        o.print(mask_neighborhood.shape, mask_neighborhood.sum().item())
    return o.done()
