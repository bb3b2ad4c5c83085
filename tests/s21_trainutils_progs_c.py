"""kekmodel/FixMatch-pytorch as users copy it: train.py (get_cosine_schedule_with_warmup as a
LambdaLR, SGD with no-decay parameter groups and Nesterov momentum, interleave /
de_interleave of the labelled + weak + strong batch, the FixMatch loss with the pseudo-label
mask, AverageMeter, test() with utils/misc.py's top-k accuracy), models/ema.py (ModelEMA on
the state_dict, buffers copied) and models/wideresnet.py at depth 10, width 1 on 8x8 images;
CIFAR and RandAugment replaced by seeded tensors (the strong view a noisier copy)."""

import math
from copy import deepcopy

import numpy as np
from s16_yunjey_progs import Out


def _wideresnet(L):
    """models/wideresnet.py on library L."""
    torch, nn, F = L, L.nn, L.nn.functional

    class BasicBlock(nn.Module):
        def __init__(self, in_planes, out_planes, stride, drop_rate=0.0,
                     activate_before_residual=False):
            super(BasicBlock, self).__init__()
            self.bn1 = nn.BatchNorm2d(in_planes, momentum=0.001)
            self.relu1 = nn.LeakyReLU(negative_slope=0.1, inplace=True)
            self.conv1 = nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride,
                                   padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(out_planes, momentum=0.001)
            self.relu2 = nn.LeakyReLU(negative_slope=0.1, inplace=True)
            self.conv2 = nn.Conv2d(out_planes, out_planes, kernel_size=3, stride=1,
                                   padding=1, bias=False)
            self.drop_rate = drop_rate
            self.equalInOut = (in_planes == out_planes)
            self.convShortcut = (not self.equalInOut) and nn.Conv2d(
                in_planes, out_planes, kernel_size=1, stride=stride, padding=0,
                bias=False) or None
            self.activate_before_residual = activate_before_residual

        def forward(self, x):
            if not self.equalInOut and self.activate_before_residual == True:  # noqa: E712
                x = self.relu1(self.bn1(x))
            else:
                out = self.relu1(self.bn1(x))
            out = self.relu2(self.bn2(self.conv1(out if self.equalInOut else x)))
            if self.drop_rate > 0:
                out = F.dropout(out, p=self.drop_rate, training=self.training)
            out = self.conv2(out)
            return torch.add(x if self.equalInOut else self.convShortcut(x), out)

    class NetworkBlock(nn.Module):
        def __init__(self, nb_layers, in_planes, out_planes, block, stride, drop_rate=0.0,
                      activate_before_residual=False):
            super(NetworkBlock, self).__init__()
            self.layer = self._make_layer(block, in_planes, out_planes, nb_layers, stride,
                                          drop_rate, activate_before_residual)

        def _make_layer(self, block, in_planes, out_planes, nb_layers, stride, drop_rate,
                        activate_before_residual):
            layers = []
            for i in range(int(nb_layers)):
                layers.append(block(i == 0 and in_planes or out_planes, out_planes,
                                    i == 0 and stride or 1, drop_rate, activate_before_residual))
            return nn.Sequential(*layers)

        def forward(self, x):
            return self.layer(x)

    class WideResNet(nn.Module):
        def __init__(self, num_classes, depth=28, widen_factor=2, drop_rate=0.0):
            super(WideResNet, self).__init__()
            channels = [16, 16 * widen_factor, 32 * widen_factor, 64 * widen_factor]
            assert ((depth - 4) % 6 == 0)
            n = (depth - 4) / 6
            block = BasicBlock
            self.conv1 = nn.Conv2d(3, channels[0], kernel_size=3, stride=1, padding=1, bias=False)
            self.block1 = NetworkBlock(n, channels[0], channels[1], block, 1, drop_rate,
                                       activate_before_residual=True)
            self.block2 = NetworkBlock(n, channels[1], channels[2], block, 2, drop_rate)
            self.block3 = NetworkBlock(n, channels[2], channels[3], block, 2, drop_rate)
            self.bn1 = nn.BatchNorm2d(channels[3], momentum=0.001)
            self.relu = nn.LeakyReLU(negative_slope=0.1, inplace=True)
            self.fc = nn.Linear(channels[3], num_classes)
            self.channels = channels[3]
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='leaky_relu')
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1.0)
                    nn.init.constant_(m.bias, 0.0)
                elif isinstance(m, nn.Linear):
                    nn.init.xavier_normal_(m.weight)
                    nn.init.constant_(m.bias, 0.0)

        def forward(self, x):
            out = self.conv1(x)
            out = self.block1(out)
            out = self.block2(out)
            out = self.block3(out)
            out = self.relu(self.bn1(out))
            out = F.adaptive_avg_pool2d(out, 1)
            out = out.view(-1, self.channels)
            return self.fc(out)

    return WideResNet


def _model_ema(L):
    """models/ema.py on library L."""
    torch = L

    class ModelEMA(object):
        def __init__(self, args, model, decay):
            self.ema = deepcopy(model)
            self.ema.to(args.device)
            self.ema.eval()
            self.decay = decay
            self.ema_has_module = hasattr(self.ema, 'module')
            self.param_keys = [k for k, _ in self.ema.named_parameters()]
            self.buffer_keys = [k for k, _ in self.ema.named_buffers()]
            for p in self.ema.parameters():
                p.requires_grad_(False)

        def update(self, model):
            needs_module = hasattr(model, 'module') and not self.ema_has_module
            with torch.no_grad():
                msd = model.state_dict()
                esd = self.ema.state_dict()
                for k in self.param_keys:
                    if needs_module:
                        j = 'module.' + k
                    else:
                        j = k
                    model_v = msd[j].detach()
                    ema_v = esd[k]
                    esd[k].copy_(ema_v * self.decay + (1. - self.decay) * model_v)
                for k in self.buffer_keys:
                    if needs_module:
                        j = 'module.' + k
                    else:
                        j = k
                    esd[k].copy_(msd[j])

    return ModelEMA


class AverageMeter(object):
    """utils/misc.py."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.val = 0
        self.avg = 0
        self.sum = 0
        self.count = 0

    def update(self, val, n=1):
        self.val = val
        self.sum += val * n
        self.count += n
        self.avg = self.sum / self.count


def accuracy(output, target, topk=(1,)):
    """utils/misc.py: precision@k for the specified values of k."""
    maxk = max(topk)
    batch_size = target.size(0)
    _, pred = output.topk(maxk, 1, True, True)
    pred = pred.t()
    correct = pred.eq(target.reshape(1, -1).expand_as(pred))
    res = []
    for k in topk:
        correct_k = correct[:k].reshape(-1).float().sum(0)
        res.append(correct_k.mul_(100.0 / batch_size))
    return res


def get_cosine_schedule_with_warmup(L, optimizer, num_warmup_steps, num_training_steps,
                                    num_cycles=7. / 16., last_epoch=-1):
    def _lr_lambda(current_step):
        if current_step < num_warmup_steps:
            return float(current_step) / float(max(1, num_warmup_steps))
        no_progress = float(current_step - num_warmup_steps) / \
            float(max(1, num_training_steps - num_warmup_steps))
        return max(0., math.cos(math.pi * num_cycles * no_progress))

    return L.optim.lr_scheduler.LambdaLR(optimizer, _lr_lambda, last_epoch)


def interleave(x, size):
    s = list(x.shape)
    return x.reshape([-1, size] + s[1:]).transpose(0, 1).reshape([-1] + s[1:])


def de_interleave(x, size):
    s = list(x.shape)
    return x.reshape([size, -1] + s[1:]).transpose(0, 1).reshape([-1] + s[1:])


class Args:
    device = 'cpu'
    batch_size, mu, T, threshold, lambda_u = 2, 2, 0.5, 0.45, 1.0
    lr, wdecay, nesterov, ema_decay = 0.03, 5e-4, True, 0.9
    num_classes, eval_step, epochs, warmup = 4, 3, 2, 1


def fixmatch(L):
    """train.py main() + train() + test() at toy size, printing lr, losses, mask, EMA norms."""
    torch, F, optim = L, L.nn.functional, L.optim
    args = Args()
    WideResNet, ModelEMA = _wideresnet(L), _model_ema(L)
    torch.manual_seed(5)
    rng = np.random.default_rng(5)

    def images(n):
        return torch.from_numpy(rng.standard_normal((n, 3, 8, 8)).astype(np.float32))

    with Out() as o:
        model = WideResNet(num_classes=args.num_classes, depth=10, widen_factor=1, drop_rate=0)
        o.print("Total params: {:.2f}M".format(sum(p.numel() for p in model.parameters()) / 1e6))
        no_decay = ['bias', 'bn']
        grouped_parameters = [
            {'params': [p for n, p in model.named_parameters() if not any(
                nd in n for nd in no_decay)], 'weight_decay': args.wdecay},
            {'params': [p for n, p in model.named_parameters() if any(
                nd in n for nd in no_decay)], 'weight_decay': 0.0}]
        o.print([len(g['params']) for g in grouped_parameters])
        optimizer = optim.SGD(grouped_parameters, lr=args.lr, momentum=0.9,
                              nesterov=args.nesterov)
        args.epochs = math.ceil(6 / args.eval_step)
        scheduler = get_cosine_schedule_with_warmup(L, optimizer, args.warmup,
                                                    args.epochs * args.eval_step)
        ema_model = ModelEMA(args, model, args.ema_decay)
        model.zero_grad()
        for epoch in range(args.epochs):
            losses, losses_x, losses_u, mask_probs = (AverageMeter() for _ in range(4))
            model.train()
            for batch_idx in range(args.eval_step):
                inputs_x = images(args.batch_size)
                targets_x = torch.from_numpy(rng.integers(0, args.num_classes, args.batch_size))
                inputs_u_w = images(args.batch_size * args.mu)
                inputs_u_s = inputs_u_w + 0.5 * images(args.batch_size * args.mu)
                batch_size = inputs_x.shape[0]
                inputs = interleave(torch.cat((inputs_x, inputs_u_w, inputs_u_s)),
                                    2 * args.mu + 1).to(args.device)
                targets_x = targets_x.to(args.device)
                logits = model(inputs)
                logits = de_interleave(logits, 2 * args.mu + 1)
                logits_x = logits[:batch_size]
                logits_u_w, logits_u_s = logits[batch_size:].chunk(2)
                del logits
                Lx = F.cross_entropy(logits_x, targets_x, reduction='mean')
                pseudo_label = torch.softmax(logits_u_w.detach() / args.T, dim=-1)
                max_probs, targets_u = torch.max(pseudo_label, dim=-1)
                mask = max_probs.ge(args.threshold).float()
                Lu = (F.cross_entropy(logits_u_s, targets_u, reduction='none') * mask).mean()
                loss = Lx + args.lambda_u * Lu
                loss.backward()
                losses.update(loss.item())
                losses_x.update(Lx.item())
                losses_u.update(Lu.item())
                optimizer.step()
                scheduler.step()
                ema_model.update(model)
                model.zero_grad()
                mask_probs.update(mask.mean().item())
                o.print("Train Epoch: {epoch}/{epochs:4}. Iter: {batch:4}/{iter:4}. LR: {lr:.6f}. "
                        "Loss: {loss:.4f}. Loss_x: {loss_x:.4f}. Loss_u: {loss_u:.4f}. "
                        "Mask: {mask:.2f}. ".format(
                            epoch=epoch + 1, epochs=args.epochs, batch=batch_idx + 1,
                            iter=args.eval_step, lr=scheduler.get_last_lr()[0],
                            loss=losses.avg, loss_x=losses_x.avg, loss_u=losses_u.avg,
                            mask=mask_probs.avg))
                o.print(targets_u.tolist(), mask.dtype, max_probs.shape)
            o.print("ema fc norm %.4f" % ema_model.ema.fc.weight.norm().item(),
                    "bn mean norm %.4f" % ema_model.ema.bn1.running_mean.norm().item(),
                    int(ema_model.ema.bn1.num_batches_tracked),
                    ema_model.ema.fc.weight.requires_grad)
            # test(): the EMA model on a labelled batch
            test_model = ema_model.ema
            top1, top5 = AverageMeter(), AverageMeter()
            test_model.eval()
            with torch.no_grad():
                inputs = images(6)
                targets = torch.from_numpy(rng.integers(0, args.num_classes, 6))
                outputs = test_model(inputs)
                loss = F.cross_entropy(outputs, targets)
                prec1, prec5 = accuracy(outputs, targets, topk=(1, 3))
                top1.update(prec1.item(), inputs.shape[0])
                top5.update(prec5.item(), inputs.shape[0])
            o.print("test loss: {:.4f}. top1: {:.2f}. top3: {:.2f}.".format(
                loss.item(), top1.avg, top5.avg), prec1.dtype)
        sd = scheduler.state_dict()
        o.print(sorted(sd), sd['last_epoch'], sd['base_lrs'], sd['lr_lambdas'])
        o.print(sorted(optimizer.state_dict()['param_groups'][1]))
        o.vals += [v for v in ema_model.ema.state_dict().values()]
        o.vals += [p.detach() for p in model.parameters()]
    return o.done()
