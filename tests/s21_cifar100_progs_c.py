"""weiaicunzai/pytorch-cifar100 models at tiny widths (continued): xception.py
(SeperableConv2d = depthwise conv with groups=in_channels and **kwargs, then a pointwise
1x1; entry / middle / exit flows with MaxPool2d(3, stride=2, padding=1) residuals) and
attention.py (PreActResidualUnit, AttentionModule2 / 3 soft-mask branches with
F.max_pool2d, F.interpolate(size=...), in-place `x_s += shortcut`, (1 + x_s) * x_t), on
random batches of 2: shapes, parameter counts, two SGD steps."""

from s16_yunjey_progs import Out
from s21_cifar100_progs import _data
from s21_cifar100_progs_b import _fit


def xception(L):
    o = Out()
    with o:
        nn = L.nn

        class SeperableConv2d(nn.Module):
            def __init__(self, input_channels, output_channels, kernel_size, **kwargs):
                super().__init__()
                self.depthwise = nn.Conv2d(input_channels, input_channels, kernel_size,
                                           groups=input_channels, bias=False, **kwargs)
                self.pointwise = nn.Conv2d(input_channels, output_channels, 1, bias=False)

            def forward(self, x):
                x = self.depthwise(x)
                x = self.pointwise(x)
                return x

        class EntryFlow(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4),
                                           nn.ReLU(inplace=True))
                self.conv3_residual = nn.Sequential(
                    SeperableConv2d(4, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
                    SeperableConv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8),
                    nn.MaxPool2d(3, stride=2, padding=1))
                self.conv3_shortcut = nn.Sequential(nn.Conv2d(4, 8, 1, stride=2), nn.BatchNorm2d(8))
                self.conv5_residual = nn.Sequential(
                    nn.ReLU(inplace=True), SeperableConv2d(8, 12, 3, padding=1), nn.BatchNorm2d(12),
                    nn.ReLU(inplace=True), SeperableConv2d(12, 12, 3, padding=1), nn.BatchNorm2d(12),
                    nn.MaxPool2d(3, 1, padding=1))
                self.conv5_shortcut = nn.Sequential(nn.Conv2d(8, 12, 1), nn.BatchNorm2d(12))

            def forward(self, x):
                x = self.conv1(x)
                residual = self.conv3_residual(x)
                shortcut = self.conv3_shortcut(x)
                x = residual + shortcut
                residual = self.conv5_residual(x)
                shortcut = self.conv5_shortcut(x)
                x = residual + shortcut
                return x

        class MiddleFLowBlock(nn.Module):
            def __init__(self):
                super().__init__()
                self.shortcut = nn.Sequential()
                self.conv1 = nn.Sequential(nn.ReLU(inplace=True), SeperableConv2d(12, 12, 3, padding=1),
                                           nn.BatchNorm2d(12))
                self.conv2 = nn.Sequential(nn.ReLU(inplace=True), SeperableConv2d(12, 12, 3, padding=1),
                                           nn.BatchNorm2d(12))

            def forward(self, x):
                residual = self.conv1(x)
                residual = self.conv2(residual)
                shortcut = self.shortcut(x)
                return shortcut + residual

        class ExitFLow(nn.Module):
            def __init__(self):
                super().__init__()
                self.residual = nn.Sequential(
                    nn.ReLU(), SeperableConv2d(12, 12, 3, padding=1), nn.BatchNorm2d(12),
                    nn.ReLU(), SeperableConv2d(12, 16, 3, padding=1), nn.BatchNorm2d(16),
                    nn.MaxPool2d(3, stride=2, padding=1))
                self.shortcut = nn.Sequential(nn.Conv2d(12, 16, 1, stride=2), nn.BatchNorm2d(16))
                self.conv = nn.Sequential(SeperableConv2d(16, 24, 3, padding=1), nn.BatchNorm2d(24),
                                          nn.ReLU(inplace=True))
                self.avgpool = nn.AdaptiveAvgPool2d((1, 1))

            def forward(self, x):
                shortcut = self.shortcut(x)
                residual = self.residual(x)
                output = shortcut + residual
                output = self.conv(output)
                return self.avgpool(output)

        class Xception(nn.Module):
            def __init__(self, block, num_class=100):
                super().__init__()
                self.entry_flow = EntryFlow()
                self.middel_flow = nn.Sequential(*[block() for i in range(2)])
                self.exit_flow = ExitFLow()
                self.fc = nn.Linear(24, num_class)

            def forward(self, x):
                x = self.entry_flow(x)
                x = self.middel_flow(x)
                x = self.exit_flow(x)
                x = x.view(x.size(0), -1)
                return self.fc(x)

        L.manual_seed(6)
        net = Xception(MiddleFLowBlock, 10)
        o.print(net.entry_flow.conv3_residual[0])
        o.print(net.entry_flow.conv3_residual[0].depthwise.weight.shape)
        _fit(L, o, net, *_data(L, 2, 16, 10, 6))
    return o.done()


def attention(L):
    o = Out()
    with o:
        nn, F = L.nn, L.nn.functional

        class PreActResidualUnit(nn.Module):
            def __init__(self, in_channels, out_channels, stride):
                super().__init__()
                bottleneck_channels = int(out_channels / 4)
                self.residual_function = nn.Sequential(
                    nn.BatchNorm2d(in_channels), nn.ReLU(inplace=True),
                    nn.Conv2d(in_channels, bottleneck_channels, 1, stride),
                    nn.BatchNorm2d(bottleneck_channels), nn.ReLU(inplace=True),
                    nn.Conv2d(bottleneck_channels, bottleneck_channels, 3, padding=1),
                    nn.BatchNorm2d(bottleneck_channels), nn.ReLU(inplace=True),
                    nn.Conv2d(bottleneck_channels, out_channels, 1))
                self.shortcut = nn.Sequential()
                if stride != 2 or (in_channels != out_channels):
                    self.shortcut = nn.Conv2d(in_channels, out_channels, 1, stride=stride)

            def forward(self, x):
                res = self.residual_function(x)
                shortcut = self.shortcut(x)
                return res + shortcut

        def _make_residual(in_channels, out_channels, p):
            return nn.Sequential(*[PreActResidualUnit(in_channels, out_channels, 1) for _ in range(p)])

        def _sigmoid(out_channels):
            return nn.Sequential(
                nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
                nn.Conv2d(out_channels, out_channels, kernel_size=1),
                nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
                nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.Sigmoid())

        class AttentionModule2(nn.Module):
            def __init__(self, in_channels, out_channels, p=1, t=2, r=1):
                super().__init__()
                assert in_channels == out_channels
                self.pre = _make_residual(in_channels, out_channels, p)
                self.trunk = _make_residual(in_channels, out_channels, t)
                self.soft_resdown1 = _make_residual(in_channels, out_channels, r)
                self.soft_resdown2 = _make_residual(in_channels, out_channels, r)
                self.soft_resdown3 = _make_residual(in_channels, out_channels, r)
                self.soft_resup1 = _make_residual(in_channels, out_channels, r)
                self.soft_resup2 = _make_residual(in_channels, out_channels, r)
                self.soft_resup3 = _make_residual(in_channels, out_channels, r)
                self.shortcut = PreActResidualUnit(in_channels, out_channels, 1)
                self.sigmoid = _sigmoid(out_channels)
                self.last = _make_residual(in_channels, out_channels, p)

            def forward(self, x):
                x = self.pre(x)
                input_size = (x.size(2), x.size(3))
                x_t = self.trunk(x)
                x_s = F.max_pool2d(x, kernel_size=3, stride=2, padding=1)
                x_s = self.soft_resdown1(x_s)
                shape1 = (x_s.size(2), x_s.size(3))
                shortcut = self.shortcut(x_s)
                x_s = F.max_pool2d(x, kernel_size=3, stride=2, padding=1)
                x_s = self.soft_resdown2(x_s)
                x_s = self.soft_resdown3(x_s)
                x_s = self.soft_resup1(x_s)
                x_s = self.soft_resup2(x_s)
                x_s = F.interpolate(x_s, size=shape1)
                x_s += shortcut
                x_s = self.soft_resup3(x_s)
                x_s = F.interpolate(x_s, size=input_size)
                x_s = self.sigmoid(x_s)
                x = (1 + x_s) * x_t
                x = self.last(x)
                return x

        class AttentionModule3(nn.Module):
            def __init__(self, in_channels, out_channels, p=1, t=2, r=1):
                super().__init__()
                assert in_channels == out_channels
                self.pre = _make_residual(in_channels, out_channels, p)
                self.trunk = _make_residual(in_channels, out_channels, t)
                self.soft_resdown1 = _make_residual(in_channels, out_channels, r)
                self.soft_resdown2 = _make_residual(in_channels, out_channels, r)
                self.soft_resup1 = _make_residual(in_channels, out_channels, r)
                self.soft_resup2 = _make_residual(in_channels, out_channels, r)
                self.shortcut = PreActResidualUnit(in_channels, out_channels, 1)
                self.sigmoid = _sigmoid(out_channels)
                self.last = _make_residual(in_channels, out_channels, p)

            def forward(self, x):
                x = self.pre(x)
                input_size = (x.size(2), x.size(3))
                x_t = self.trunk(x)
                x_s = F.max_pool2d(x, kernel_size=3, stride=2, padding=1)
                x_s = self.soft_resdown1(x_s)
                x_s = self.soft_resdown2(x_s)
                x_s = self.soft_resup1(x_s)
                x_s = self.soft_resup2(x_s)
                x_s = F.interpolate(x_s, size=input_size)
                x_s = self.sigmoid(x_s)
                x = (1 + x_s) * x_t
                x = self.last(x)
                return x

        class Attention(nn.Module):
            def __init__(self, block_num, class_num=100):
                super().__init__()
                self.pre_conv = nn.Sequential(nn.Conv2d(3, 8, kernel_size=3, stride=1, padding=1),
                                              nn.BatchNorm2d(8), nn.ReLU(inplace=True))
                self.stage2 = self._make_stage(8, 16, block_num[1], AttentionModule2)
                self.stage3 = self._make_stage(16, 32, block_num[2], AttentionModule3)
                self.stage4 = nn.Sequential(PreActResidualUnit(32, 64, 2), PreActResidualUnit(64, 64, 1))
                self.avg = nn.AdaptiveAvgPool2d(1)
                self.linear = nn.Linear(64, class_num)

            def forward(self, x):
                x = self.pre_conv(x)
                x = self.stage2(x)
                x = self.stage3(x)
                x = self.stage4(x)
                x = self.avg(x)
                x = x.view(x.size(0), -1)
                return self.linear(x)

            def _make_stage(self, in_channels, out_channels, num, block):
                layers = [PreActResidualUnit(in_channels, out_channels, 2)]
                for _ in range(num):
                    layers.append(block(out_channels, out_channels))
                return nn.Sequential(*layers)

        L.manual_seed(7)
        x = L.arange(2 * 3 * 3.).view(1, 2, 3, 3)
        o.print(F.interpolate(x, size=(5, 4))[0, 0].tolist())
        o.print(F.max_pool2d(x, kernel_size=3, stride=2, padding=1).tolist())
        net = Attention([1, 1, 1], class_num=10)
        o.print(net.stage4[1].shortcut)
        # ~90 layers of training-mode BatchNorm over 2 images carry the last bits of each conv's
        # sums (OpenBLAS here, MKL-DNN in PyTorch; float64 runs agree to 1e-13) up to ~2e-5 of
        # the logits, so the values compared are the eval pass and a running mean; the loss
        # is printed with 4 decimals
        images, labels = _data(L, 2, 32, 10, 7)
        o.print("Parameter numbers: {}".format(sum(p.numel() for p in net.parameters())))
        net.eval()
        with L.no_grad():
            o.vals.append(net(images))
        net.train()
        optimizer = L.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
        optimizer.zero_grad()
        outputs = net(images)
        loss = nn.CrossEntropyLoss()(outputs, labels)
        loss.backward()
        optimizer.step()
        o.print(tuple(outputs.shape), 'Loss: {:0.4f}'.format(loss.item()))
        o.vals.append(net.pre_conv[1].running_mean)
    return o.done()
