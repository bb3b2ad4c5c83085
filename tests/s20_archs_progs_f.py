"""Modern architectures (see tests/s20_archs_progs.py), this file: the training tooling that
comes with them as learners copy it from ConvNeXt's / DeiT's main.py and timm: parameter groups
without weight decay for norms and biases, Mixup / CutMix with SoftTargetCrossEntropy, a
warmup-cosine LambdaLR, a model EMA (timm's ModelEma and torch.optim.swa_utils.AveragedModel),
channels_last, fused attention by F.scaled_dot_product_attention, gradient checkpointing."""

import copy
import math

import numpy as np
from s16_yunjey_progs import Out


def _small_convnet(L):
    nn = L.nn

    class LayerNorm2d(nn.LayerNorm):
        def forward(self, x):
            x = x.permute(0, 2, 3, 1)
            x = nn.functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
            return x.permute(0, 3, 1, 2)

    class Attn(nn.Module):
        def __init__(self, dim, heads=2):
            super().__init__()
            self.heads = heads
            self.qkv = nn.Linear(dim, dim * 3)
            self.proj = nn.Linear(dim, dim)

        def forward(self, x):
            B, N, C = x.shape
            qkv = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
            q, k, v = qkv.unbind(0)
            x = nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=0.)
            return self.proj(x.transpose(1, 2).reshape(B, N, C))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 8, 4, 4)
            self.norm = LayerNorm2d(8, eps=1e-6)
            self.block = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False), nn.BatchNorm2d(8), nn.GELU())
            self.attn = Attn(8)
            self.head = nn.Linear(8, 10)
            self.pos = nn.Parameter(L.zeros(1, 16, 8))

        def forward(self, x, ckpt=False):
            x = self.norm(self.stem(x))
            if ckpt:
                x = x + L.utils.checkpoint.checkpoint(self.block, x, use_reentrant=False)
            else:
                x = x + self.block(x)
            t = x.flatten(2).transpose(1, 2) + self.pos
            t = t + self.attn(t)
            return self.head(t.mean(1))

        def no_weight_decay(self):
            return {'pos'}

    return Net()


def param_groups_weight_decay(model, weight_decay=1e-5, no_weight_decay_list=()):
    no_weight_decay_list = set(no_weight_decay_list)
    decay = []
    no_decay = []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        if param.ndim <= 1 or name.endswith(".bias") or name in no_weight_decay_list:
            no_decay.append(param)
        else:
            decay.append(param)
    return [
        {'params': no_decay, 'weight_decay': 0.},
        {'params': decay, 'weight_decay': weight_decay}]


def rand_bbox(size, lam, rng):
    W = size[2]
    H = size[3]
    cut_rat = np.sqrt(1. - lam)
    cut_w = int(W * cut_rat)
    cut_h = int(H * cut_rat)
    cx = rng.randint(W)
    cy = rng.randint(H)
    bbx1 = np.clip(cx - cut_w // 2, 0, W)
    bby1 = np.clip(cy - cut_h // 2, 0, H)
    bbx2 = np.clip(cx + cut_w // 2, 0, W)
    bby2 = np.clip(cy + cut_h // 2, 0, H)
    return bbx1, bby1, bbx2, bby2


def training_tools(L):
    nn, F = L.nn, L.nn.functional

    def one_hot(x, num_classes, on_value=1., off_value=0.):
        x = x.long().view(-1, 1)
        return L.full((x.size()[0], num_classes), off_value, device=x.device).scatter_(1, x, on_value)

    def mixup_target(target, num_classes, lam=1., smoothing=0.0):
        off_value = smoothing / num_classes
        on_value = 1. - smoothing + off_value
        y1 = one_hot(target, num_classes, on_value=on_value, off_value=off_value)
        y2 = one_hot(target.flip(0), num_classes, on_value=on_value, off_value=off_value)
        return y1 * lam + y2 * (1. - lam)

    class SoftTargetCrossEntropy(nn.Module):
        def forward(self, x, target):
            loss = L.sum(-target * F.log_softmax(x, dim=-1), dim=-1)
            return loss.mean()

    class ModelEma:
        def __init__(self, model, decay=0.9999):
            self.ema = copy.deepcopy(model)
            self.ema.eval()
            self.decay = decay
            for p in self.ema.parameters():
                p.requires_grad_(False)

        def _update(self, model, update_fn):
            with L.no_grad():
                for ema_v, model_v in zip(self.ema.state_dict().values(), model.state_dict().values()):
                    ema_v.copy_(update_fn(ema_v, model_v))

        def update(self, model):
            self._update(model, update_fn=lambda e, m: self.decay * e + (1. - self.decay) * m)

    with Out() as o:
        L.manual_seed(0)
        rng = np.random.RandomState(0)
        model = _small_convnet(L)
        model = model.to(memory_format=L.channels_last)
        o.print(model.stem.weight.is_contiguous(), model.stem.weight.is_contiguous(memory_format=L.channels_last))
        groups = param_groups_weight_decay(model, 0.05, model.no_weight_decay())
        o.print([len(g['params']) for g in groups])
        optimizer = L.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.999))
        warmup, total = 1, 4
        lr_lambda = lambda s: (s + 1) / warmup if s < warmup else 0.5 * (1 + math.cos(math.pi * (s - warmup) / (total - warmup)))
        scheduler = L.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)
        ema = ModelEma(model, decay=0.9)
        swa = L.optim.swa_utils.AveragedModel(model, multi_avg_fn=L.optim.swa_utils.get_ema_multi_avg_fn(0.9))
        criterion = SoftTargetCrossEntropy()
        x = L.randn(4, 3, 16, 16).contiguous(memory_format=L.channels_last)
        o.print(x.is_contiguous(), x.stride())
        y = L.tensor([1, 5, 2, 9])
        for step in range(3):
            lam = float(rng.beta(1.0, 1.0))
            if step % 2 == 0:  # mixup
                xm = x.mul(lam).add_(x.flip(0).mul_(1. - lam))
            else:  # cutmix
                bbx1, bby1, bbx2, bby2 = rand_bbox(x.size(), lam, rng)
                xm = x.clone()
                xm[:, :, bbx1:bbx2, bby1:bby2] = x.flip(0)[:, :, bbx1:bbx2, bby1:bby2]
                lam = 1 - ((bbx2 - bbx1) * (bby2 - bby1) / (x.size()[-1] * x.size()[-2]))
            target = mixup_target(y, 10, lam, smoothing=0.1)
            out = model(xm, ckpt=step == 1)
            loss = criterion(out, target)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            grad_norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
            optimizer.step()
            scheduler.step()
            ema.update(model)
            swa.update_parameters(model)
            o.print('step {} loss {:.4f} lam {:.4f} lr {:.6f}'.format(
                step, loss.item(), lam, optimizer.param_groups[0]['lr']))
            o.vals += [loss, grad_norm, target, model.block[1].running_mean.clone(),
                       model.head.weight.clone(), ema.ema.head.weight.clone()]
        o.vals += [model.stem.weight.grad, model.pos.grad, model.attn.qkv.weight.grad]
        o.print(swa.n_averaged, type(swa.module).__name__)
        model.eval()
        with L.no_grad():
            o.vals += [model(x), ema.ema(x), swa(x)]
        o.vals.append(ema.ema.block[1].running_mean)
        L.optim.swa_utils.update_bn([(x,)], swa)
        o.vals.append(swa.module.block[1].running_var)
        o.print(sorted(ema.ema.state_dict().keys())[:5])
    return o.done()
