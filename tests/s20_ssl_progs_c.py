"""Training tricks as common code writes them, scaled down, as ``prog(L) -> (printed,
values)`` for tests/test_programs_s20_ssl.py. This file: clovaai/CutMix-PyTorch (rand_bbox,
box pasting by slices, lam from the box area), label smoothing (nn.CrossEntropyLoss(
label_smoothing=...) beside timm's LabelSmoothingCrossEntropy and SoftTargetCrossEntropy),
gradient accumulation with clip_grad_norm_, HuggingFace's get_cosine_schedule_with_warmup
(LambdaLR with functools.partial), EMA models (the hand-written no_grad mul_/add_ loop, timm's
ModelEmaV2 over state_dict().values(), torch.optim.swa_utils.AveragedModel with
get_ema_multi_avg_fn and update_bn), gradient clipping by value and by norm."""

import copy
import math
from functools import partial

import numpy as np
from s16_yunjey_progs import Out


def _net(L, n_in=3, classes=5):
    nn = L.nn
    return nn.Sequential(nn.Conv2d(n_in, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, classes))


def cutmix(L):
    """clovaai/CutMix-PyTorch train.py: rand_bbox (np.sqrt, int(W * cut_rat),
    np.random.randint, np.clip), r = np.random.rand(1), torch.randperm(input.size()[0]),
    input[:, :, bbx1:bbx2, bby1:bby2] = input[rand_index, :, bbx1:bbx2, bby1:bby2],
    lam from the box area, criterion(output, target_a) * lam + ... (1. - lam)."""
    nn = L.nn
    with Out() as o:
        L.manual_seed(8); np.random.seed(8)
        beta, cutmix_prob = 1.0, 0.9

        def rand_bbox(size, lam):
            W = size[2]
            H = size[3]
            cut_rat = np.sqrt(1. - lam)
            cut_w = int(W * cut_rat)
            cut_h = int(H * cut_rat)
            # uniform
            cx = np.random.randint(W)
            cy = np.random.randint(H)
            bbx1 = np.clip(cx - cut_w // 2, 0, W)
            bby1 = np.clip(cy - cut_h // 2, 0, H)
            bbx2 = np.clip(cx + cut_w // 2, 0, W)
            bby2 = np.clip(cy + cut_h // 2, 0, H)
            return bbx1, bby1, bbx2, bby2

        model = _net(L)
        criterion = nn.CrossEntropyLoss()
        optimizer = L.optim.SGD(model.parameters(), 0.1, momentum=0.9, weight_decay=1e-4,
                                nesterov=True)
        rng = np.random.default_rng(8)
        for i in range(4):
            input = L.from_numpy(rng.random((6, 3, 8, 8), dtype=np.float32))
            target = L.from_numpy(rng.integers(0, 5, 6))
            r = np.random.rand(1)
            if beta > 0 and r < cutmix_prob:
                # generate mixed sample
                lam = np.random.beta(beta, beta)
                rand_index = L.randperm(input.size()[0])
                target_a = target
                target_b = target[rand_index]
                bbx1, bby1, bbx2, bby2 = rand_bbox(input.size(), lam)
                input[:, :, bbx1:bbx2, bby1:bby2] = input[rand_index, :, bbx1:bbx2, bby1:bby2]
                # adjust lambda to exactly match pixel ratio
                lam = 1 - ((bbx2 - bbx1) * (bby2 - bby1) / (input.size()[-1] * input.size()[-2]))
                output = model(input)
                loss = criterion(output, target_a) * lam + criterion(output, target_b) * (1. - lam)
                o.print(i, (int(bbx1), int(bby1), int(bbx2), int(bby2)), f"{lam:.4f}",
                        type(lam).__name__, loss.dtype)
            else:
                output = model(input)
                loss = criterion(output, target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            o.print(f"loss {loss.item():.4f}")
            o.vals += [loss, input]
        x = L.arange(16.).view(1, 1, 4, 4)
        x[:, :, np.int64(1):np.int64(3), np.int64(0):np.int64(2)] = 0.
        o.print(x)
        o.vals += list(model.parameters()) + list(model.buffers())
    return o.done()


def label_smoothing(L):
    """CrossEntropyLoss(label_smoothing=0.1) (with weight, ignore_index, reduction='none'
    and probability targets), timm's LabelSmoothingCrossEntropy (log_softmax, gather of
    target.unsqueeze(1), confidence * nll + smoothing * smooth) and SoftTargetCrossEntropy,
    and the bad smoothing values."""
    nn, F = L.nn, L.nn.functional
    with Out() as o:
        L.manual_seed(9)

        class LabelSmoothingCrossEntropy(nn.Module):
            """NLL loss with label smoothing."""

            def __init__(self, smoothing=0.1):
                super(LabelSmoothingCrossEntropy, self).__init__()
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

        class SoftTargetCrossEntropy(nn.Module):
            def __init__(self):
                super(SoftTargetCrossEntropy, self).__init__()

            def forward(self, x, target):
                loss = L.sum(-target * F.log_softmax(x, dim=-1), dim=-1)
                return loss.mean()

        model = nn.Sequential(nn.Linear(10, 16), nn.GELU(), nn.Linear(16, 5))
        optimizer = L.optim.AdamW(model.parameters(), lr=1e-2)
        crit = nn.CrossEntropyLoss(label_smoothing=0.1)
        o.print(crit.label_smoothing, LabelSmoothingCrossEntropy(0.1))
        timm = LabelSmoothingCrossEntropy(0.1)
        soft = SoftTargetCrossEntropy()
        rng = np.random.default_rng(9)
        for step in range(3):
            x = L.from_numpy(rng.standard_normal((8, 10)).astype(np.float32))
            y = L.from_numpy(rng.integers(0, 5, 8))
            out = model(x)
            loss = crit(out, y)
            ref = timm(out, y)
            one_hot = F.one_hot(y, num_classes=5).float()
            smoothed = one_hot * 0.9 + 0.1 / 5
            s_loss = soft(out, smoothed)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            o.print(f"step {step} loss {loss.item():.4f} timm {ref.item():.4f} "
                    f"soft {s_loss.item():.4f}")
            o.vals += [loss, ref, s_loss]
        out = model(x)
        w = L.tensor([1., 2., 1., 0.5, 1.])
        y2 = y.clone()
        y2[0] = -100
        o.vals += [F.cross_entropy(out, y, label_smoothing=0.2, reduction='none'),
                   F.cross_entropy(out, y, weight=w, label_smoothing=0.2),
                   F.cross_entropy(out, y2, label_smoothing=0.3),
                   F.cross_entropy(out, y2, weight=w, label_smoothing=0.3, reduction='sum'),
                   F.cross_entropy(out, smoothed, label_smoothing=0.1),
                   F.cross_entropy(out, smoothed, weight=w, label_smoothing=0.1),
                   nn.CrossEntropyLoss(label_smoothing=0.0)(out, y),
                   nn.CrossEntropyLoss(label_smoothing=1.0)(out, y)]
        img = L.from_numpy(rng.standard_normal((2, 5, 3, 3)).astype(np.float32))
        tgt = L.from_numpy(rng.integers(0, 5, (2, 3, 3)))
        o.vals += [F.cross_entropy(img, tgt, label_smoothing=0.1),
                   F.cross_entropy(img, tgt, weight=w, label_smoothing=0.1, reduction='none')]
        grad_out = out.detach().requires_grad_()
        F.cross_entropy(grad_out, y2, weight=w, label_smoothing=0.25).backward()
        o.vals += [grad_out.grad]
        o.tryit(lambda: nn.CrossEntropyLoss(label_smoothing=1.5)(out, y))
        o.tryit(lambda: F.cross_entropy(out, y, label_smoothing=-0.1))
        o.tryit(lambda: F.cross_entropy(out, y.float(), label_smoothing=0.1))
        o.vals += list(model.parameters())
    return o.done()


def grad_accumulation_warmup_cosine(L):
    """Gradient accumulation (loss / accumulation_steps, step every N micro-batches) with
    clip_grad_norm_ before the step, HuggingFace's get_cosine_schedule_with_warmup and
    get_linear_schedule_with_warmup (LambdaLR over functools.partial), scheduler.get_last_lr(),
    state_dict of the scheduler."""
    nn = L.nn
    with Out() as o:
        L.manual_seed(10)

        def _get_cosine_schedule_with_warmup_lr_lambda(current_step, *, num_warmup_steps,
                                                       num_training_steps, num_cycles):
            if current_step < num_warmup_steps:
                return float(current_step) / float(max(1, num_warmup_steps))
            progress = float(current_step - num_warmup_steps) / float(
                max(1, num_training_steps - num_warmup_steps))
            return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress)))

        def get_cosine_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps,
                                            num_cycles=0.5, last_epoch=-1):
            lr_lambda = partial(_get_cosine_schedule_with_warmup_lr_lambda,
                                num_warmup_steps=num_warmup_steps,
                                num_training_steps=num_training_steps, num_cycles=num_cycles)
            return L.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda, last_epoch)

        def get_linear_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps,
                                            last_epoch=-1):
            def lr_lambda(current_step: int):
                if current_step < num_warmup_steps:
                    return float(current_step) / float(max(1, num_warmup_steps))
                return max(0.0, float(num_training_steps - current_step) / float(
                    max(1, num_training_steps - num_warmup_steps)))
            return L.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda, last_epoch)

        model = nn.Sequential(nn.Linear(10, 16), nn.Tanh(), nn.Linear(16, 5))
        no_decay = ["bias", "LayerNorm.weight"]
        optimizer_grouped_parameters = [
            {"params": [p for n, p in model.named_parameters()
                        if not any(nd in n for nd in no_decay)], "weight_decay": 0.01},
            {"params": [p for n, p in model.named_parameters()
                        if any(nd in n for nd in no_decay)], "weight_decay": 0.0}]
        optimizer = L.optim.AdamW(optimizer_grouped_parameters, lr=5e-3, eps=1e-8)
        accumulation_steps, num_updates = 2, 6
        scheduler = get_cosine_schedule_with_warmup(optimizer, num_warmup_steps=2,
                                                    num_training_steps=num_updates)
        o.print(scheduler.get_last_lr(), [g['initial_lr'] for g in optimizer.param_groups])
        loss_fn = nn.CrossEntropyLoss()
        rng = np.random.default_rng(10)
        optimizer.zero_grad()
        for i in range(accumulation_steps * num_updates):
            x = L.from_numpy(rng.standard_normal((4, 10)).astype(np.float32))
            y = L.from_numpy(rng.integers(0, 5, 4))
            loss = loss_fn(model(x), y)
            loss = loss / accumulation_steps
            loss.backward()
            if (i + 1) % accumulation_steps == 0:
                total_norm = nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
                o.print(f"update {(i + 1) // accumulation_steps} loss {loss.item():.4f} "
                        f"norm {total_norm.item():.4f}",
                        [round(lr, 8) for lr in scheduler.get_last_lr()])
                o.vals += [total_norm]
            o.vals += [loss]
        sd = scheduler.state_dict()
        o.print(sorted(k for k in sd), sd["last_epoch"], sd["_step_count"])
        opt2 = L.optim.SGD(model.parameters(), lr=0.1)
        lin = get_linear_schedule_with_warmup(opt2, 2, 5)
        lrs = []
        for _ in range(6):
            opt2.step()
            lin.step()
            lrs.append(round(lin.get_last_lr()[0], 8))
        o.print(lrs)
        o.vals += list(model.parameters())
    return o.done()


def ema_models(L):
    """EMA of a model three ways: a deepcopy updated with torch.no_grad() and ema_p.mul_(d)
    .add_(p, alpha=1 - d) (buffers copied with copy_), timm's ModelEmaV2 (_update over
    zip(state_dict().values()), ema_v.copy_(update_fn(e, m))), and swa_utils.AveragedModel
    (multi_avg_fn=get_ema_multi_avg_fn(d), update_parameters, n_averaged, update_bn)."""
    nn = L.nn
    with Out() as o:
        L.manual_seed(11)

        class ModelEmaV2(nn.Module):
            def __init__(self, model, decay=0.9999, device=None):
                super(ModelEmaV2, self).__init__()
                # make a copy of the model for accumulating moving average of weights
                self.module = copy.deepcopy(model)
                self.module.eval()
                self.decay = decay
                self.device = device  # perform ema on different device from model if set
                if self.device is not None:
                    self.module.to(device=device)

            def _update(self, model, update_fn):
                with L.no_grad():
                    for ema_v, model_v in zip(self.module.state_dict().values(),
                                              model.state_dict().values()):
                        if self.device is not None:
                            model_v = model_v.to(device=self.device)
                        ema_v.copy_(update_fn(ema_v, model_v))

            def update(self, model):
                self._update(model, update_fn=lambda e, m: self.decay * e + (1. - self.decay) * m)

            def set(self, model):
                self._update(model, update_fn=lambda e, m: m)

        model = _net(L)
        ema = copy.deepcopy(model)
        for p in ema.parameters():
            p.requires_grad_(False)
        timm_ema = ModelEmaV2(model, decay=0.9)
        swa_ema = L.optim.swa_utils.AveragedModel(
            model, multi_avg_fn=L.optim.swa_utils.get_ema_multi_avg_fn(0.9))
        o.print(type(swa_ema.module).__name__, swa_ema.n_averaged, swa_ema.n_averaged.dtype)
        optimizer = L.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        criterion = nn.CrossEntropyLoss()
        decay = 0.9
        rng = np.random.default_rng(11)
        loader = []
        for step in range(3):
            x = L.from_numpy(rng.random((4, 3, 5, 5), dtype=np.float32))
            y = L.from_numpy(rng.integers(0, 5, 4))
            loader.append((x, y))
            loss = criterion(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            with L.no_grad():
                for ema_p, p in zip(ema.parameters(), model.parameters()):
                    ema_p.mul_(decay).add_(p, alpha=1 - decay)
                for ema_b, b in zip(ema.buffers(), model.buffers()):
                    ema_b.copy_(b)
            timm_ema.update(model)
            swa_ema.update_parameters(model)
            o.print(f"step {step} loss {loss.item():.4f}", swa_ema.n_averaged)
            o.vals += [loss]
        ema.eval(); model.eval()
        x = loader[0][0]
        with L.no_grad():
            o.vals += [ema(x), timm_ema.module(x), swa_ema(x), model(x)]
        o.print(timm_ema.module[1].num_batches_tracked, ema[1].num_batches_tracked,
                swa_ema.module[1].num_batches_tracked)
        L.optim.swa_utils.update_bn(loader, swa_ema)
        o.print(swa_ema.module[1].momentum, swa_ema.module[1].num_batches_tracked)
        o.vals += list(ema.parameters()) + list(timm_ema.module.state_dict().values())
        o.vals += list(swa_ema.parameters()) + list(swa_ema.buffers())
        o.tryit(lambda: L.optim.swa_utils.get_ema_multi_avg_fn(1.5))
    return o.done()


def grad_clipping(L):
    """clip_grad_value_ and clip_grad_norm_ as training loops call them (max_norm as float
    and as int, norm_type 2 / inf / 1, error_if_nonfinite), the returned total norm, a
    parameter without grad in the list, a generator of parameters, and an RNN's exploding
    gradient clipped before the step."""
    nn = L.nn
    with Out() as o:
        L.manual_seed(12)
        rnn = nn.LSTM(4, 6, batch_first=True)
        head = nn.Linear(6, 3)
        unused = nn.Linear(2, 2)
        params = list(rnn.parameters()) + list(head.parameters())
        optimizer = L.optim.SGD(params, lr=0.5)
        rng = np.random.default_rng(12)
        for step, (kind, arg) in enumerate([("norm", 0.5), ("norm_inf", 0.1), ("value", 0.01),
                                            ("norm1", 2), ("norm", 5)]):
            x = L.from_numpy(3 * rng.standard_normal((2, 5, 4)).astype(np.float32))
            y = L.from_numpy(rng.integers(0, 3, 2))
            out, (h, c) = rnn(x)
            loss = nn.functional.cross_entropy(head(out[:, -1]), y) * 10
            optimizer.zero_grad()
            loss.backward()
            if kind == "norm":
                n = nn.utils.clip_grad_norm_(params + list(unused.parameters()), max_norm=arg)
            elif kind == "norm_inf":
                n = nn.utils.clip_grad_norm_(rnn.parameters(), arg, norm_type=float('inf'))
            elif kind == "norm1":
                n = nn.utils.clip_grad_norm_(params, arg, norm_type=1)
            else:
                n = nn.utils.clip_grad_value_(params, clip_value=arg)
            optimizer.step()
            o.print(step, kind, f"{loss.item():.4f}",
                    None if n is None else f"{n.item():.4f}", None if n is None else n.dtype)
            o.vals += [loss] + [p.grad for p in params]
        head.weight.grad[0, 0] = float('nan')
        o.tryit(lambda: nn.utils.clip_grad_norm_(head.parameters(), 1.0,
                                                 error_if_nonfinite=True))
        o.print(nn.utils.clip_grad_norm_(head.parameters(), 1.0))
        o.print(nn.utils.clip_grad_norm_([], 1.0),
                nn.utils.clip_grad_norm_(unused.parameters(), 1.0))
        o.vals += params
    return o.done()

