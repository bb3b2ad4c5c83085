"""weiaicunzai/pytorch-cifar100 models at tiny widths (continued): shufflenetv2.py
(channel_split with torch.split, channel_shuffle with view / transpose / contiguous),
squeezenet.py (Fire modules, cat of the expand branches, residual sums), mobilenetv2.py
(LinearBottleNeck with ReLU6, grouped 3x3, in-place `residual += x`), stochasticdepth.py
(torch.jit.ScriptModule blocks whose survival() draws torch.bernoulli(self.p)), senet.py
(squeeze-excitation with expand_as), on random 3x32x32 batches of 2: shapes, parameter
counts, one or two SGD steps."""

from s16_yunjey_progs import Out
from s21_cifar100_progs import _data


def _fit(L, o, net, images, labels, steps=2, lr=0.1):
    o.print("Parameter numbers: {}".format(sum(p.numel() for p in net.parameters())))
    optimizer = L.optim.SGD(net.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    loss_function = L.nn.CrossEntropyLoss()
    net.train()
    for _ in range(steps):
        optimizer.zero_grad()
        outputs = net(images)
        loss = loss_function(outputs, labels)
        loss.backward()
        optimizer.step()
        o.print(tuple(outputs.shape), 'Loss: {:0.4f}'.format(loss.item()))
    net.eval()
    with L.no_grad():
        out = net(images)
    o.vals += [out, list(net.parameters())[0]]


def shufflenetv2(L):
    o = Out()
    with o:
        torch, nn, F = L, L.nn, L.nn.functional

        def channel_split(x, split):
            assert x.size(1) == split * 2
            return torch.split(x, split, dim=1)

        def channel_shuffle(x, groups):
            batch_size, channels, height, width = x.size()
            channels_per_group = int(channels // groups)
            x = x.view(batch_size, groups, channels_per_group, height, width)
            x = x.transpose(1, 2).contiguous()
            x = x.view(batch_size, -1, height, width)
            return x

        class ShuffleUnit(nn.Module):
            def __init__(self, in_channels, out_channels, stride):
                super().__init__()
                self.stride = stride
                self.in_channels = in_channels
                self.out_channels = out_channels
                if stride != 1 or in_channels != out_channels:
                    self.residual = nn.Sequential(
                        nn.Conv2d(in_channels, in_channels, 1), nn.BatchNorm2d(in_channels), nn.ReLU(inplace=True),
                        nn.Conv2d(in_channels, in_channels, 3, stride=stride, padding=1, groups=in_channels),
                        nn.BatchNorm2d(in_channels),
                        nn.Conv2d(in_channels, int(out_channels / 2), 1), nn.BatchNorm2d(int(out_channels / 2)),
                        nn.ReLU(inplace=True))
                    self.shortcut = nn.Sequential(
                        nn.Conv2d(in_channels, in_channels, 3, stride=stride, padding=1, groups=in_channels),
                        nn.BatchNorm2d(in_channels),
                        nn.Conv2d(in_channels, int(out_channels / 2), 1), nn.BatchNorm2d(int(out_channels / 2)),
                        nn.ReLU(inplace=True))
                else:
                    self.shortcut = nn.Sequential()
                    in_channels = int(in_channels / 2)
                    self.residual = nn.Sequential(
                        nn.Conv2d(in_channels, in_channels, 1), nn.BatchNorm2d(in_channels), nn.ReLU(inplace=True),
                        nn.Conv2d(in_channels, in_channels, 3, stride=stride, padding=1, groups=in_channels),
                        nn.BatchNorm2d(in_channels),
                        nn.Conv2d(in_channels, in_channels, 1), nn.BatchNorm2d(in_channels), nn.ReLU(inplace=True))

            def forward(self, x):
                if self.stride == 1 and self.out_channels == self.in_channels:
                    shortcut, residual = channel_split(x, int(self.in_channels / 2))
                else:
                    shortcut = x
                    residual = x
                shortcut = self.shortcut(shortcut)
                residual = self.residual(residual)
                x = torch.cat([shortcut, residual], dim=1)
                x = channel_shuffle(x, 2)
                return x

        class ShuffleNetV2(nn.Module):
            def __init__(self, ratio=1, class_num=100):
                super().__init__()
                out_channels = [8, 16, 32, 64]
                self.pre = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8))
                self.stage2 = self._make_stage(8, out_channels[0], 1)
                self.stage3 = self._make_stage(out_channels[0], out_channels[1], 2)
                self.stage4 = self._make_stage(out_channels[1], out_channels[2], 1)
                self.conv5 = nn.Sequential(nn.Conv2d(out_channels[2], out_channels[3], 1),
                                           nn.BatchNorm2d(out_channels[3]), nn.ReLU(inplace=True))
                self.fc = nn.Linear(out_channels[3], class_num)

            def forward(self, x):
                x = self.pre(x)
                x = self.stage2(x)
                x = self.stage3(x)
                x = self.stage4(x)
                x = self.conv5(x)
                x = F.adaptive_avg_pool2d(x, 1)
                x = x.view(x.size(0), -1)
                return self.fc(x)

            def _make_stage(self, in_channels, out_channels, repeat):
                layers = [ShuffleUnit(in_channels, out_channels, 2)]
                while repeat:
                    layers.append(ShuffleUnit(out_channels, out_channels, 1))
                    repeat -= 1
                return nn.Sequential(*layers)

        L.manual_seed(0)
        x = torch.arange(2 * 8 * 2 * 2.).view(2, 8, 2, 2)
        a, b = channel_split(x, 4)
        o.print(tuple(a.shape), a.is_contiguous(), b.storage_offset())
        s = channel_shuffle(x, 2)
        o.print(s[0, :, 0, 0].tolist())
        o.tryit(lambda: channel_shuffle(x, 3))
        net = ShuffleNetV2(class_num=10)
        o.print(net.stage2[1])
        _fit(L, o, net, *_data(L, 2, 32, 10, 1))
    return o.done()


def squeezenet(L):
    o = Out()
    with o:
        torch, nn = L, L.nn

        class Fire(nn.Module):
            def __init__(self, in_channel, out_channel, squzee_channel):
                super().__init__()
                self.squeeze = nn.Sequential(nn.Conv2d(in_channel, squzee_channel, 1),
                                             nn.BatchNorm2d(squzee_channel), nn.ReLU(inplace=True))
                self.expand_1x1 = nn.Sequential(nn.Conv2d(squzee_channel, int(out_channel / 2), 1),
                                                nn.BatchNorm2d(int(out_channel / 2)), nn.ReLU(inplace=True))
                self.expand_3x3 = nn.Sequential(nn.Conv2d(squzee_channel, int(out_channel / 2), 3, padding=1),
                                                nn.BatchNorm2d(int(out_channel / 2)), nn.ReLU(inplace=True))

            def forward(self, x):
                x = self.squeeze(x)
                x = torch.cat([self.expand_1x1(x), self.expand_3x3(x)], 1)
                return x

        class SqueezeNet(nn.Module):
            def __init__(self, class_num=100):
                super().__init__()
                self.stem = nn.Sequential(nn.Conv2d(3, 12, 3, padding=1), nn.BatchNorm2d(12),
                                          nn.ReLU(inplace=True), nn.MaxPool2d(2, 2))
                self.fire2 = Fire(12, 16, 2)
                self.fire3 = Fire(16, 16, 2)
                self.fire4 = Fire(16, 32, 4)
                self.fire5 = Fire(32, 32, 4)
                self.fire6 = Fire(32, 48, 6)
                self.fire7 = Fire(48, 48, 6)
                self.fire8 = Fire(48, 64, 8)
                self.fire9 = Fire(64, 64, 8)
                self.conv10 = nn.Conv2d(64, class_num, 1)
                self.avg = nn.AdaptiveAvgPool2d(1)
                self.maxpool = nn.MaxPool2d(2, 2)

            def forward(self, x):
                x = self.stem(x)
                f2 = self.fire2(x)
                f3 = self.fire3(f2) + f2
                f4 = self.fire4(f3)
                f4 = self.maxpool(f4)
                f5 = self.fire5(f4) + f4
                f6 = self.fire6(f5)
                f7 = self.fire7(f6) + f6
                f8 = self.fire8(f7)
                f8 = self.maxpool(f8)
                f9 = self.fire9(f8)
                c10 = self.conv10(f9)
                x = self.avg(c10)
                x = x.view(x.size(0), -1)
                return x

        L.manual_seed(2)
        net = SqueezeNet(class_num=10)
        o.print(net.fire2)
        _fit(L, o, net, *_data(L, 4, 32, 10, 2), steps=1)
    return o.done()


def mobilenetv2(L):
    o = Out()
    with o:
        nn, F = L.nn, L.nn.functional

        class LinearBottleNeck(nn.Module):
            def __init__(self, in_channels, out_channels, stride, t=6, class_num=100):
                super().__init__()
                self.residual = nn.Sequential(
                    nn.Conv2d(in_channels, in_channels * t, 1), nn.BatchNorm2d(in_channels * t), nn.ReLU6(inplace=True),
                    nn.Conv2d(in_channels * t, in_channels * t, 3, stride=stride, padding=1, groups=in_channels * t),
                    nn.BatchNorm2d(in_channels * t), nn.ReLU6(inplace=True),
                    nn.Conv2d(in_channels * t, out_channels, 1), nn.BatchNorm2d(out_channels))
                self.stride = stride
                self.in_channels = in_channels
                self.out_channels = out_channels

            def forward(self, x):
                residual = self.residual(x)
                if self.stride == 1 and self.in_channels == self.out_channels:
                    residual += x
                return residual

        class MobileNetV2(nn.Module):
            def __init__(self, class_num=100):
                super().__init__()
                self.pre = nn.Sequential(nn.Conv2d(3, 8, 1, padding=1), nn.BatchNorm2d(8), nn.ReLU6(inplace=True))
                self.stage1 = LinearBottleNeck(8, 4, 1, 1)
                self.stage2 = self._make_stage(2, 4, 6, 2, 6)
                self.stage3 = self._make_stage(2, 6, 8, 2, 6)
                self.conv1 = nn.Sequential(nn.Conv2d(8, 32, 1), nn.BatchNorm2d(32), nn.ReLU6(inplace=True))
                self.conv2 = nn.Conv2d(32, class_num, 1)

            def forward(self, x):
                x = self.pre(x)
                x = self.stage1(x)
                x = self.stage2(x)
                x = self.stage3(x)
                x = self.conv1(x)
                x = F.adaptive_avg_pool2d(x, 1)
                x = self.conv2(x)
                x = x.view(x.size(0), -1)
                return x

            def _make_stage(self, repeat, in_channels, out_channels, stride, t):
                layers = [LinearBottleNeck(in_channels, out_channels, stride, t)]
                while repeat - 1:
                    layers.append(LinearBottleNeck(out_channels, out_channels, 1, t))
                    repeat -= 1
                return nn.Sequential(*layers)

        L.manual_seed(3)
        net = MobileNetV2(class_num=10)
        o.print(net.stage2[1].residual[3])
        _fit(L, o, net, *_data(L, 2, 16, 10, 3))
    return o.done()


def stochasticdepth_senet(L):
    o = Out()
    with o:
        torch, nn, F = L, L.nn, L.nn.functional

        class StochasticDepthBasicBlock(torch.jit.ScriptModule):
            expansion = 1

            def __init__(self, p, in_channels, out_channels, stride=1):
                super().__init__()
                self.p = torch.tensor(p).float()
                self.residual = nn.Sequential(
                    nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1),
                    nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
                    nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1), nn.BatchNorm2d(out_channels))
                self.shortcut = nn.Sequential()
                if stride != 1 or in_channels != out_channels:
                    self.shortcut = nn.Sequential(
                        nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride), nn.BatchNorm2d(out_channels))

            def survival(self):
                var = torch.bernoulli(self.p)
                return torch.equal(var, torch.tensor(1).float().to(var.device))

            @torch.jit.script_method
            def forward(self, x):
                if self.training:
                    if self.survival():
                        x = self.residual(x) + self.shortcut(x)
                    else:
                        x = self.shortcut(x)
                else:
                    x = self.residual(x) * self.p + self.shortcut(x)
                return x

        class BasicResidualSEBlock(nn.Module):
            expansion = 1

            def __init__(self, in_channels, out_channels, stride, r=4):
                super().__init__()
                self.residual = nn.Sequential(
                    nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1),
                    nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
                    nn.Conv2d(out_channels, out_channels * self.expansion, 3, padding=1),
                    nn.BatchNorm2d(out_channels * self.expansion), nn.ReLU(inplace=True))
                self.shortcut = nn.Sequential()
                if stride != 1 or in_channels != out_channels * self.expansion:
                    self.shortcut = nn.Sequential(
                        nn.Conv2d(in_channels, out_channels * self.expansion, 1, stride=stride),
                        nn.BatchNorm2d(out_channels * self.expansion))
                self.squeeze = nn.AdaptiveAvgPool2d(1)
                self.excitation = nn.Sequential(
                    nn.Linear(out_channels * self.expansion, out_channels * self.expansion // r),
                    nn.ReLU(inplace=True),
                    nn.Linear(out_channels * self.expansion // r, out_channels * self.expansion),
                    nn.Sigmoid())

            def forward(self, x):
                shortcut = self.shortcut(x)
                residual = self.residual(x)
                squeeze = self.squeeze(residual)
                squeeze = squeeze.view(squeeze.size(0), -1)
                excitation = self.excitation(squeeze)
                excitation = excitation.view(residual.size(0), residual.size(1), 1, 1)
                x = residual * excitation.expand_as(residual) + shortcut
                return F.relu(x)

        class Net(nn.Module):
            def __init__(self, block, num_block, num_classes=10, sd=False):
                super().__init__()
                self.in_channels = 8
                self.conv1 = nn.Sequential(nn.Conv2d(3, 8, kernel_size=3, padding=1), nn.BatchNorm2d(8),
                                           nn.ReLU(inplace=True))
                self.step = (1 - 0.5) / (sum(num_block) - 1)
                self.pl = 1
                self.sd = sd
                self.conv2_x = self._make_layer(block, 8, num_block[0], 1)
                self.conv3_x = self._make_layer(block, 16, num_block[1], 2)
                self.avg_pool = nn.AdaptiveAvgPool2d((1, 1))
                self.fc = nn.Linear(16 * block.expansion, num_classes)

            def _make_layer(self, block, out_channels, num_blocks, stride):
                strides = [stride] + [1] * (num_blocks - 1)
                layers = []
                for stride in strides:
                    if self.sd:
                        layers.append(block(self.pl, self.in_channels, out_channels, stride))
                    else:
                        layers.append(block(self.in_channels, out_channels, stride))
                    self.in_channels = out_channels * block.expansion
                    self.pl -= self.step
                return nn.Sequential(*layers)

            def forward(self, x):
                output = self.conv1(x)
                output = self.conv2_x(output)
                output = self.conv3_x(output)
                output = self.avg_pool(output)
                output = output.view(output.size(0), -1)
                return self.fc(output)

        L.manual_seed(4)
        sd = Net(StochasticDepthBasicBlock, [2, 2], sd=True)
        o.print([round(float(b.p), 4) for b in list(sd.conv2_x) + list(sd.conv3_x)])
        o.print(type(sd.conv2_x[0].p).__name__, sd.conv2_x[0].p.dtype, isinstance(sd.conv2_x[0], nn.Module))
        o.print([bool(sd.conv2_x[1].survival()) for _ in range(6)])
        o.print(sd.conv3_x[0], type(sd.conv3_x[0].shortcut).__name__, sd.conv3_x[0].original_name)
        _fit(L, o, sd, *_data(L, 2, 16, 10, 4), steps=3)
        L.manual_seed(5)
        se = Net(BasicResidualSEBlock, [1, 1])
        o.print(se.conv3_x[0].excitation)
        _fit(L, o, se, *_data(L, 2, 16, 10, 5))
    return o.done()
