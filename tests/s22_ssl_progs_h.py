"""facebookresearch/vicreg's backbone and linear evaluation, scaled down, as ``prog(L) ->
(printed, values)`` for tests/test_programs_s22_ssl.py: resnet.py (ConstantPad2d before a
7x7 stride-2 conv, Bottleneck with last_activation "none" / "relu", _make_layer with conv1x1
downsampling, kaiming_normal_(mode="fan_out"), zero_init_residual on bn3, AdaptiveAvgPool2d
and torch.flatten) and evaluate.py (the "backbone." prefix stripped from a VICReg
state_dict, load_state_dict(strict=False), head.weight.data.normal_, freeze vs finetune
param groups in SGD(param_groups, 0, ...), CosineAnnealingLR, AverageMeter, accuracy with
sum(0, keepdim=True).mul_, a checkpoint with an argparse.Namespace, distributed.reduce)."""

import argparse
import io
import json

import numpy as np
from s16_yunjey_progs import Out


def _resnet(L):
    nn = L.nn

    def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
        return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride,
                         padding=dilation, groups=groups, bias=False, dilation=dilation)

    def conv1x1(in_planes, out_planes, stride=1):
        return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)

    class Bottleneck(nn.Module):
        expansion = 4
        __constants__ = ["downsample"]

        def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1,
                     base_width=64, dilation=1, norm_layer=None, last_activation="relu"):
            super(Bottleneck, self).__init__()
            if norm_layer is None:
                norm_layer = nn.BatchNorm2d
            width = int(planes * (base_width / 64.0)) * groups
            self.conv1 = conv1x1(inplanes, width)
            self.bn1 = norm_layer(width)
            self.conv2 = conv3x3(width, width, stride, groups, dilation)
            self.bn2 = norm_layer(width)
            self.conv3 = conv1x1(width, planes * self.expansion)
            self.bn3 = norm_layer(planes * self.expansion)
            self.relu = nn.ReLU(inplace=True)
            self.downsample = downsample
            self.stride = stride
            if last_activation == "relu":
                self.last_activation = nn.ReLU(inplace=True)
            elif last_activation == "none":
                self.last_activation = nn.Identity()
            elif last_activation == "sigmoid":
                self.last_activation = nn.Sigmoid()

        def forward(self, x):
            identity = x
            out = self.conv1(x)
            out = self.bn1(out)
            out = self.relu(out)
            out = self.conv2(out)
            out = self.bn2(out)
            out = self.relu(out)
            out = self.conv3(out)
            out = self.bn3(out)
            if self.downsample is not None:
                identity = self.downsample(x)
            out += identity
            out = self.last_activation(out)
            return out

    class ResNet(nn.Module):
        def __init__(self, block, layers, num_channels=3, zero_init_residual=False, groups=1,
                     widen=1, width_per_group=64, norm_layer=None, last_activation="relu"):
            super(ResNet, self).__init__()
            if norm_layer is None:
                norm_layer = nn.BatchNorm2d
            self._norm_layer = norm_layer
            self.padding = nn.ConstantPad2d(1, 0.0)
            self.inplanes = width_per_group * widen
            self.dilation = 1
            self.groups = groups
            self.base_width = width_per_group
            num_out_filters = width_per_group * widen
            self.conv1 = nn.Conv2d(num_channels, num_out_filters, kernel_size=7, stride=2,
                                   padding=2, bias=False)
            self.bn1 = norm_layer(num_out_filters)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            self.layer1 = self._make_layer(block, num_out_filters, layers[0])
            num_out_filters *= 2
            self.layer2 = self._make_layer(block, num_out_filters, layers[1], stride=2,
                                           last_activation=last_activation)
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
            if zero_init_residual:
                for m in self.modules():
                    if isinstance(m, Bottleneck):
                        nn.init.constant_(m.bn3.weight, 0)

        def _make_layer(self, block, planes, blocks, stride=1, dilate=False,
                        last_activation="relu"):
            norm_layer = self._norm_layer
            downsample = None
            previous_dilation = self.dilation
            if stride != 1 or self.inplanes != planes * block.expansion:
                downsample = nn.Sequential(
                    conv1x1(self.inplanes, planes * block.expansion, stride),
                    norm_layer(planes * block.expansion),
                )
            layers = [block(self.inplanes, planes, stride, downsample, self.groups,
                            self.base_width, previous_dilation, norm_layer,
                            last_activation=(last_activation if blocks == 1 else "relu"))]
            self.inplanes = planes * block.expansion
            for i in range(1, blocks):
                layers.append(block(self.inplanes, planes, groups=self.groups,
                                    base_width=self.base_width, dilation=self.dilation,
                                    norm_layer=norm_layer,
                                    last_activation=(last_activation if i == blocks - 1
                                                     else "relu")))
            return nn.Sequential(*layers)

        def forward(self, x):
            x = self.padding(x)
            x = self.conv1(x)
            x = self.bn1(x)
            x = self.relu(x)
            x = self.maxpool(x)
            x = self.layer1(x)
            x = self.layer2(x)
            x = self.avgpool(x)
            x = L.flatten(x, 1)
            return x

    def resnet_tiny(**kwargs):
        return ResNet(Bottleneck, [2, 1], width_per_group=16, **kwargs), 128

    return resnet_tiny


def vicreg_evaluate(L):
    nn, optim = L.nn, L.optim
    resnet_tiny = _resnet(L)
    with Out() as o:
        L.manual_seed(0)
        # a pretrained VICReg model's state_dict ("backbone." and "projector." keys)
        pre_backbone, embedding = resnet_tiny(zero_init_residual=True, last_activation="none")
        pre = nn.Module()
        pre.backbone = pre_backbone
        pre.projector = nn.Sequential(nn.Linear(embedding, 8), nn.BatchNorm1d(8))
        buf = io.BytesIO()
        L.save(pre.state_dict(), buf)
        buf.seek(0)
        for weights in ("freeze", "finetune"):
            buf.seek(0)
            backbone, embedding = resnet_tiny(zero_init_residual=True)
            state_dict = L.load(buf, map_location="cpu")
            backbone_state_dict = {s.replace("backbone.", ""): state_dict[s]
                                   for s in state_dict if "backbone." in s}
            msg = backbone.load_state_dict(backbone_state_dict, strict=False)
            o.print(weights, msg, len(backbone_state_dict))
            head = nn.Linear(embedding, 5)
            head.weight.data.normal_(mean=0.0, std=0.01)
            head.bias.data.zero_()
            model = nn.Sequential(backbone, head)
            if weights == "freeze":
                backbone.requires_grad_(False)
                head.requires_grad_(True)
            criterion = nn.CrossEntropyLoss()
            param_groups = [dict(params=head.parameters(), lr=0.3)]
            if weights == "finetune":
                param_groups.append(dict(params=backbone.parameters(), lr=0.01))
            optimizer = optim.SGD(param_groups, 0, momentum=0.9, weight_decay=1e-6)
            scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, 2)
            best_acc = argparse.Namespace(top1=0, top5=0)

            class AverageMeter(object):
                def __init__(self, name, fmt=":f"):
                    self.name = name
                    self.fmt = fmt
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

                def __str__(self):
                    fmtstr = "{name} {val" + self.fmt + "} ({avg" + self.fmt + "})"
                    return fmtstr.format(**self.__dict__)

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

            rng = np.random.default_rng(5)
            data = [(L.from_numpy(rng.standard_normal((4, 3, 16, 16)).astype(np.float32)),
                     L.from_numpy(rng.integers(0, 5, 4))) for _ in range(3)]
            train_loader, val_loader = data[:2], data[2:]
            for epoch in range(2):
                if weights == "finetune":
                    model.train()
                elif weights == "freeze":
                    model.eval()
                for step, (images, target) in enumerate(train_loader,
                                                        start=epoch * len(train_loader)):
                    output = model(images)
                    loss = criterion(output, target)
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                    if step % 2 == 0:
                        o.tryit(lambda: L.distributed.reduce(loss.div_(1), 0))
                        pg = optimizer.param_groups
                        lr_head = pg[0]["lr"]
                        lr_backbone = pg[1]["lr"] if len(pg) == 2 else 0
                        o.print(json.dumps(dict(epoch=epoch, step=step, lr_backbone=lr_backbone,
                                                lr_head=lr_head, loss=round(loss.item(), 4))))
                    o.vals += [loss]
                model.eval()
                top1 = AverageMeter("Acc@1")
                top5 = AverageMeter("Acc@5")
                with L.no_grad():
                    for images, target in val_loader:
                        output = model(images)
                        acc1, acc5 = accuracy(output, target, topk=(1, 5))
                        top1.update(acc1[0].item(), images.size(0))
                        top5.update(acc5[0].item(), images.size(0))
                        o.vals += [output]
                best_acc.top1 = max(best_acc.top1, top1.avg)
                best_acc.top5 = max(best_acc.top5, top5.avg)
                o.print(json.dumps(dict(epoch=epoch, acc1=top1.avg, acc5=top5.avg,
                                        best_acc1=best_acc.top1, best_acc5=best_acc.top5)))
                o.print(str(top1), acc1.shape, acc1.dtype)
                scheduler.step()
            state = dict(epoch=2, best_acc=best_acc, model=model.state_dict(),
                         optimizer=optimizer.state_dict(), scheduler=scheduler.state_dict())
            ck = io.BytesIO()
            L.save(state, ck)
            ck.seek(0)
            o.tryit(lambda: L.load(ck, map_location="cpu")["epoch"])
            ck.seek(0)
            ckpt = L.load(ck, map_location="cpu", weights_only=False)
            o.print(ckpt["best_acc"], ckpt["epoch"], sorted(ckpt["scheduler"])[:3])
            o.vals += [p for p in model.parameters()] + [backbone.bn1.running_mean]
        o.print(sum(p.requires_grad for p in backbone.parameters()),
                backbone.layer1[0].last_activation, backbone.layer2[0].last_activation)
    return o.done()
