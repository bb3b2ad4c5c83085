"""facebookresearch/mae's engines as users run them (tests/s22_vis2_progs.py holds the
transcribed models and utils): engine_pretrain.py's loop with main_pretrain.py's setup, the
visualize demo, and main_finetune.py / engine_finetune.py's mixup-free path (models_vit.py
with global_pool, checkpoint loading with interpolate_pos_embed and strict=False,
trunc_normal_ head init, param_groups_lrd with AdamW, LabelSmoothing / CrossEntropy, top-k
accuracy, main_linprobe.py's BatchNorm1d head)."""

import math
from functools import partial

import numpy as np

from s16_yunjey_progs import Out
from s22_vis2_progs import mae_modules, utils


class Args:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def mae_pretrain(L):
    """main_pretrain.py + engine_pretrain.py: AdamW on weight-decay groups, per-iteration
    cosine lr, NativeScaler (a disabled CUDA GradScaler here) with grad norms, accum_iter 2."""
    torch = L
    MAE, _ = mae_modules(L)
    adjust_learning_rate, _, NativeScaler, SmoothedValue = utils(L)
    o = Out()
    with o:
        torch.manual_seed(0)
        model = MAE(img_size=16, patch_size=4, embed_dim=16, depth=2, num_heads=2,
                    decoder_embed_dim=8, decoder_depth=1, decoder_num_heads=2, mlp_ratio=4,
                    norm_layer=partial(L.nn.LayerNorm, eps=1e-6), norm_pix_loss=True)
        o.print(model.patch_embed)
        o.print(model.blocks[0])
        n_parameters = sum(p.numel() for p in model.parameters() if p.requires_grad)
        o.print('number of params (M): %.2f' % (n_parameters / 1.e6), n_parameters)
        args = Args(lr=None, blr=1e-3, batch_size=4, accum_iter=2, warmup_epochs=1, epochs=3,
                    min_lr=0., weight_decay=0.05, mask_ratio=0.75)
        eff_batch_size = args.batch_size * args.accum_iter
        args.lr = args.blr * eff_batch_size / 256
        o.print("base lr: %.2e" % (args.lr * 256 / eff_batch_size))
        o.print("actual lr: %.2e" % args.lr)
        # timm's optim_factory.add_weight_decay
        decay, no_decay = [], []
        for name, param in model.named_parameters():
            if not param.requires_grad:
                continue
            if len(param.shape) == 1 or name.endswith(".bias"):
                no_decay.append(param)
            else:
                decay.append(param)
        param_groups = [{'params': no_decay, 'weight_decay': 0.},
                        {'params': decay, 'weight_decay': args.weight_decay}]
        optimizer = torch.optim.AdamW(param_groups, lr=args.lr, betas=(0.9, 0.95))
        o.print(optimizer)
        loss_scaler = NativeScaler()
        o.print(loss_scaler.state_dict())
        g = torch.Generator().manual_seed(1)
        data = [(torch.rand(4, 3, 16, 16, generator=g), torch.zeros(4)) for _ in range(4)]
        meter = SmoothedValue(window_size=1, fmt='{value:.6f}')
        losses = SmoothedValue()
        for epoch in range(2):
            model.train(True)
            optimizer.zero_grad()
            for data_iter_step, (samples, _) in enumerate(data):
                if data_iter_step % args.accum_iter == 0:
                    adjust_learning_rate(optimizer, data_iter_step / len(data) + epoch, args)
                with torch.cuda.amp.autocast(enabled=False):
                    loss, _, _ = model(samples, mask_ratio=args.mask_ratio)
                loss_value = loss.item()
                if not math.isfinite(loss_value):
                    o.print("Loss is {}, stopping training".format(loss_value))
                loss /= args.accum_iter
                norm = loss_scaler(loss, optimizer, parameters=model.parameters(),
                                   update_grad=(data_iter_step + 1) % args.accum_iter == 0)
                if (data_iter_step + 1) % args.accum_iter == 0:
                    optimizer.zero_grad()
                    o.print("grad norm %.4f" % norm.item(), norm.dtype, norm.shape)
                else:
                    o.print(norm)
                losses.update(loss_value)
                meter.update(optimizer.param_groups[0]["lr"])
                o.print("Epoch: [{}] [{}/{}] lr: {} loss: {:.4f}".format(
                    epoch, data_iter_step, len(data), meter, loss_value))
            o.print("Averaged stats: loss:", losses)
        o.vals += [p.detach() for p in model.parameters()]
        o.vals.append(model.pos_embed.detach())
    return o.lines, o.vals


def mae_visualize(L):
    """demo/mae_visualize.ipynb: run_one_image with einsum layout changes, a fixed seed, and
    patchify / unpatchify round trips; norm_pix_loss off."""
    torch = L
    MAE, _ = mae_modules(L)
    o = Out()
    with o:
        torch.manual_seed(2)
        model = MAE(img_size=16, patch_size=4, embed_dim=16, depth=1, num_heads=4,
                    decoder_embed_dim=8, decoder_depth=1, decoder_num_heads=2,
                    norm_layer=partial(L.nn.LayerNorm, eps=1e-6))
        imagenet_mean = np.array([0.485, 0.456, 0.406])
        imagenet_std = np.array([0.229, 0.224, 0.225])
        img = np.random.default_rng(3).random((16, 16, 3))
        img = img - imagenet_mean
        img = img / imagenet_std
        o.print(img.shape, img.dtype)
        x = torch.tensor(img)
        x = x.unsqueeze(dim=0)
        x = torch.einsum('nhwc->nchw', x)
        o.print(x.dtype, tuple(x.shape))
        torch.manual_seed(2)
        loss, y, mask = model(x.float(), mask_ratio=0.75)
        o.print("loss %.4f" % loss.item(), y.shape, mask.shape, mask.sum().item())
        y = model.unpatchify(y)
        y = torch.einsum('nchw->nhwc', y).detach().cpu()
        mask = mask.detach()
        mask = mask.unsqueeze(-1).repeat(1, 1, model.patch_embed.patch_size[0]**2 * 3)
        mask = model.unpatchify(mask)
        mask = torch.einsum('nchw->nhwc', mask).detach().cpu()
        x = torch.einsum('nchw->nhwc', x)
        im_masked = x * (1 - mask)
        im_paste = x * (1 - mask) + y * mask
        o.print(im_masked.dtype, im_paste.dtype, tuple(im_paste.shape))
        shown = torch.clip((im_paste[0] * imagenet_std + imagenet_mean) * 255, 0, 255).int()
        o.print(shown.dtype, shown.shape)
        p = model.patchify(x.permute(0, 3, 1, 2).float())
        o.print(torch.equal(model.unpatchify(p), x.permute(0, 3, 1, 2).float()))
        o.tryit(lambda: model(torch.zeros(1, 3, 12, 12)))
        o.vals += [y, mask, im_masked, im_paste, shown, p]
    return o.lines, o.vals


def interpolate_pos_embed(L, model, checkpoint_model, out):
    """util/pos_embed.py's interpolate_pos_embed (``out`` stands for print)."""
    torch = L
    if 'pos_embed' in checkpoint_model:
        pos_embed_checkpoint = checkpoint_model['pos_embed']
        embedding_size = pos_embed_checkpoint.shape[-1]
        num_patches = model.patch_embed.num_patches
        num_extra_tokens = model.pos_embed.shape[-2] - num_patches
        orig_size = int((pos_embed_checkpoint.shape[-2] - num_extra_tokens) ** 0.5)
        new_size = int(num_patches ** 0.5)
        if orig_size != new_size:
            out("Position interpolate from %dx%d to %dx%d" % (orig_size, orig_size, new_size, new_size))
            extra_tokens = pos_embed_checkpoint[:, :num_extra_tokens]
            pos_tokens = pos_embed_checkpoint[:, num_extra_tokens:]
            pos_tokens = pos_tokens.reshape(-1, orig_size, orig_size, embedding_size).permute(0, 3, 1, 2)
            pos_tokens = torch.nn.functional.interpolate(
                pos_tokens, size=(new_size, new_size), mode='bicubic', align_corners=False)
            pos_tokens = pos_tokens.permute(0, 2, 3, 1).flatten(1, 2)
            new_pos_embed = torch.cat((extra_tokens, pos_tokens), dim=1)
            checkpoint_model['pos_embed'] = new_pos_embed


def mae_finetune(L):
    """main_finetune.py: a pretrained MAE checkpoint (16x16 images) into a global-pool ViT on
    24x24 images, layer-decayed AdamW, label smoothing, clip_grad through the scaler, and
    evaluate's top-1 / top-5; then main_linprobe.py's frozen body with a BatchNorm1d head."""
    torch, nn, F = L, L.nn, L.nn.functional
    import io
    MAE, ViT = mae_modules(L)
    adjust_learning_rate, param_groups_lrd, NativeScaler, _ = utils(L)

    class LabelSmoothingCrossEntropy(nn.Module):  # timm.loss
        def __init__(self, smoothing=0.1):
            super().__init__()
            assert smoothing < 1.0
            self.smoothing = smoothing
            self.confidence = 1. - smoothing

        def forward(self, x, target):
            logprobs = F.log_softmax(x, dim=-1)
            nll_loss = -logprobs.gather(dim=-1, index=target.unsqueeze(1))
            nll_loss = nll_loss.squeeze(1)
            smooth_loss = -logprobs.mean(dim=-1)
            loss = self.confidence * nll_loss + self.smoothing * smooth_loss
            return loss.mean()

    def accuracy(output, target, topk=(1,)):  # timm.utils
        maxk = min(max(topk), output.size()[1])
        batch_size = target.size(0)
        _, pred = output.topk(maxk, 1, True, True)
        pred = pred.t()
        correct = pred.eq(target.reshape(1, -1).expand_as(pred))
        return [correct[:min(k, maxk)].reshape(-1).float().sum(0) * 100. / batch_size for k in topk]

    o = Out()
    with o:
        torch.manual_seed(0)
        norm = partial(nn.LayerNorm, eps=1e-6)
        pre = MAE(img_size=16, patch_size=4, embed_dim=16, depth=2, num_heads=2,
                  decoder_embed_dim=8, decoder_depth=1, decoder_num_heads=2, norm_layer=norm)
        buf = io.BytesIO()
        torch.save({'model': pre.state_dict(), 'epoch': 3}, buf)
        buf.seek(0)
        args = Args(lr=None, blr=5e-4, batch_size=4, accum_iter=1, warmup_epochs=1, epochs=2,
                    min_lr=1e-6, weight_decay=0.05, layer_decay=0.65, smoothing=0.1, clip_grad=0.5)
        model = ViT(global_pool=True, img_size=24, patch_size=4, num_classes=6, embed_dim=16,
                    depth=2, num_heads=2, mlp_ratio=4, qkv_bias=True, norm_layer=norm)
        model.no_weight_decay = lambda: {'pos_embed', 'cls_token', 'dist_token'}
        checkpoint = torch.load(buf, map_location='cpu')
        o.print("Load pre-trained checkpoint from: %s" % 'buf', sorted(checkpoint))
        checkpoint_model = checkpoint['model']
        state_dict = model.state_dict()
        for k in ['head.weight', 'head.bias']:
            if k in checkpoint_model and checkpoint_model[k].shape != state_dict[k].shape:
                o.print(f"Removing key {k} from pretrained checkpoint")
                del checkpoint_model[k]
        interpolate_pos_embed(L, model, checkpoint_model, o.print)
        msg = model.load_state_dict(checkpoint_model, strict=False)
        o.print(msg)
        assert set(msg.missing_keys) == {'head.weight', 'head.bias', 'fc_norm.weight', 'fc_norm.bias'}
        torch.nn.init.trunc_normal_(model.head.weight, std=2e-5)
        o.print("%.3e" % model.head.weight.std().item())
        eff_batch_size = args.batch_size * args.accum_iter
        args.lr = args.blr * eff_batch_size / 256
        param_groups, names = param_groups_lrd(model, args.weight_decay,
                                               no_weight_decay_list=model.no_weight_decay(),
                                               layer_decay=args.layer_decay)
        o.print(list(names), [(g["lr_scale"], g["weight_decay"], len(g["params"])) for g in param_groups])
        optimizer = torch.optim.AdamW(param_groups, lr=args.lr)
        loss_scaler = NativeScaler()
        criterion = LabelSmoothingCrossEntropy(smoothing=args.smoothing)
        o.print("criterion = %s" % str(criterion))
        g = torch.Generator().manual_seed(3)
        data = [(torch.randn(4, 3, 24, 24, generator=g), torch.randint(0, 6, (4,), generator=g))
                for _ in range(3)]
        for epoch in range(args.epochs):
            model.train(True)
            optimizer.zero_grad()
            for data_iter_step, (samples, targets) in enumerate(data):
                adjust_learning_rate(optimizer, data_iter_step / len(data) + epoch, args)
                with torch.cuda.amp.autocast():
                    outputs = model(samples)
                    loss = criterion(outputs, targets)
                norm_ = loss_scaler(loss, optimizer, clip_grad=args.clip_grad,
                                    parameters=model.parameters(), create_graph=False,
                                    update_grad=True)
                optimizer.zero_grad()
                o.print("epoch %d step %d loss %.4f grad norm %.4f lr %.3e" % (
                    epoch, data_iter_step, loss.item(), norm_, optimizer.param_groups[-1]["lr"]))
        criterion = torch.nn.CrossEntropyLoss()
        model.eval()
        with torch.no_grad():
            images, target = data[0]
            output = model(images)
            loss = criterion(output, target)
            acc1, acc5 = accuracy(output, target, topk=(1, 5))
            o.print('* Acc@1 {:.3f} Acc@5 {:.3f} loss {:.3f}'.format(acc1.item(), acc5.item(), loss.item()))
            o.print(acc1.dtype, acc5.shape)
        # main_linprobe.py
        model.head = torch.nn.Sequential(torch.nn.BatchNorm1d(model.head.in_features, affine=False, eps=1e-6), model.head)
        for _, p in model.named_parameters():
            p.requires_grad = False
        for _, p in model.head.named_parameters():
            p.requires_grad = True
        n_parameters = sum(p.numel() for p in model.parameters() if p.requires_grad)
        o.print(model.head, 'number of params (M): %.2f' % (n_parameters / 1.e6), n_parameters)
        opt = torch.optim.SGD(model.head.parameters(), lr=0.1, weight_decay=0.0)
        model.train()
        for samples, targets in data:
            loss = torch.nn.functional.cross_entropy(model(samples), targets)
            opt.zero_grad()
            loss.backward()
            opt.step()
            o.print("linprobe loss %.4f" % loss.item())
        o.vals += [p.detach() for p in model.parameters()]
        o.vals += [model.head[0].running_mean, model.head[0].running_var, output]
    return o.lines, o.vals
