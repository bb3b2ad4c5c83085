"""kuangliu/pytorch-cifar models/ googlenet, densenet, resnext, mobilenet, mobilenetv2 and
utils.py (get_mean_and_std, init_params) with reduced configs, run through main.py's step
(tests/s17_cifar_progs.run_main)."""

import math

from s16_yunjey_progs import Out
from s17_cifar_progs import data, run_main


def googlenet(L):
    nn = L.nn

    class Inception(nn.Module):
        def __init__(self, in_planes, n1x1, n3x3red, n3x3, n5x5red, n5x5, pool_planes):
            super(Inception, self).__init__()
            self.b1 = nn.Sequential(nn.Conv2d(in_planes, n1x1, kernel_size=1),
                                    nn.BatchNorm2d(n1x1), nn.ReLU(True))
            self.b2 = nn.Sequential(
                nn.Conv2d(in_planes, n3x3red, kernel_size=1), nn.BatchNorm2d(n3x3red),
                nn.ReLU(True),
                nn.Conv2d(n3x3red, n3x3, kernel_size=3, padding=1), nn.BatchNorm2d(n3x3),
                nn.ReLU(True))
            self.b3 = nn.Sequential(
                nn.Conv2d(in_planes, n5x5red, kernel_size=1), nn.BatchNorm2d(n5x5red),
                nn.ReLU(True),
                nn.Conv2d(n5x5red, n5x5, kernel_size=3, padding=1), nn.BatchNorm2d(n5x5),
                nn.ReLU(True),
                nn.Conv2d(n5x5, n5x5, kernel_size=3, padding=1), nn.BatchNorm2d(n5x5),
                nn.ReLU(True))
            self.b4 = nn.Sequential(
                nn.MaxPool2d(3, stride=1, padding=1),
                nn.Conv2d(in_planes, pool_planes, kernel_size=1), nn.BatchNorm2d(pool_planes),
                nn.ReLU(True))

        def forward(self, x):
            y1 = self.b1(x)
            y2 = self.b2(x)
            y3 = self.b3(x)
            y4 = self.b4(x)
            return L.cat([y1, y2, y3, y4], 1)

    class GoogLeNet(nn.Module):
        def __init__(self):
            super(GoogLeNet, self).__init__()
            self.pre_layers = nn.Sequential(
                nn.Conv2d(3, 12, kernel_size=3, padding=1), nn.BatchNorm2d(12), nn.ReLU(True))
            self.a3 = Inception(12, 4, 6, 8, 2, 2, 2)
            self.b3 = Inception(16, 8, 8, 12, 2, 6, 4)
            self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
            self.a4 = Inception(30, 12, 6, 13, 2, 3, 4)
            self.avgpool = nn.AvgPool2d(8, stride=1)
            self.linear = nn.Linear(32, 10)

        def forward(self, x):
            out = self.pre_layers(x)
            out = self.a3(out)
            out = self.b3(out)
            out = self.maxpool(out)
            out = self.a4(out)
            out = self.maxpool(out)
            out = self.avgpool(out)
            out = out.view(out.size(0), -1)
            out = self.linear(out)
            return out

    with Out() as o:
        net = run_main(L, lambda L: GoogLeNet(), o)
        o.print(net.a3)
    return o.lines, o.vals


def densenet(L):
    nn, F = L.nn, L.nn.functional

    class Bottleneck(nn.Module):
        def __init__(self, in_planes, growth_rate):
            super(Bottleneck, self).__init__()
            self.bn1 = nn.BatchNorm2d(in_planes)
            self.conv1 = nn.Conv2d(in_planes, 4 * growth_rate, kernel_size=1, bias=False)
            self.bn2 = nn.BatchNorm2d(4 * growth_rate)
            self.conv2 = nn.Conv2d(4 * growth_rate, growth_rate, kernel_size=3, padding=1,
                                   bias=False)

        def forward(self, x):
            out = self.conv1(F.relu(self.bn1(x)))
            out = self.conv2(F.relu(self.bn2(out)))
            out = L.cat([out, x], 1)
            return out

    class Transition(nn.Module):
        def __init__(self, in_planes, out_planes):
            super(Transition, self).__init__()
            self.bn = nn.BatchNorm2d(in_planes)
            self.conv = nn.Conv2d(in_planes, out_planes, kernel_size=1, bias=False)

        def forward(self, x):
            out = self.conv(F.relu(self.bn(x)))
            out = F.avg_pool2d(out, 2)
            return out

    class DenseNet(nn.Module):
        def __init__(self, block, nblocks, growth_rate=12, reduction=0.5, num_classes=10):
            super(DenseNet, self).__init__()
            self.growth_rate = growth_rate
            num_planes = 2 * growth_rate
            self.conv1 = nn.Conv2d(3, num_planes, kernel_size=3, padding=1, bias=False)
            self.dense1 = self._make_dense_layers(block, num_planes, nblocks[0])
            num_planes += nblocks[0] * growth_rate
            out_planes = int(math.floor(num_planes * reduction))
            self.trans1 = Transition(num_planes, out_planes)
            num_planes = out_planes
            self.dense2 = self._make_dense_layers(block, num_planes, nblocks[1])
            num_planes += nblocks[1] * growth_rate
            out_planes = int(math.floor(num_planes * reduction))
            self.trans2 = Transition(num_planes, out_planes)
            num_planes = out_planes
            self.dense3 = self._make_dense_layers(block, num_planes, nblocks[2])
            num_planes += nblocks[2] * growth_rate
            out_planes = int(math.floor(num_planes * reduction))
            self.trans3 = Transition(num_planes, out_planes)
            num_planes = out_planes
            self.dense4 = self._make_dense_layers(block, num_planes, nblocks[3])
            num_planes += nblocks[3] * growth_rate
            self.bn = nn.BatchNorm2d(num_planes)
            self.linear = nn.Linear(num_planes, num_classes)

        def _make_dense_layers(self, block, in_planes, nblock):
            layers = []
            for i in range(nblock):
                layers.append(block(in_planes, self.growth_rate))
                in_planes += self.growth_rate
            return nn.Sequential(*layers)

        def forward(self, x):
            out = self.conv1(x)
            out = self.trans1(self.dense1(out))
            out = self.trans2(self.dense2(out))
            out = self.trans3(self.dense3(out))
            out = self.dense4(out)
            out = F.avg_pool2d(F.relu(self.bn(out)), 4)
            out = out.view(out.size(0), -1)
            out = self.linear(out)
            return out

    with Out() as o:
        run_main(L, lambda L: DenseNet(Bottleneck, [2, 1, 1, 1], growth_rate=4), o)
    return o.lines, o.vals


def resnext(L):
    nn, F = L.nn, L.nn.functional

    class Block(nn.Module):
        '''Grouped convolution block.'''
        expansion = 2

        def __init__(self, in_planes, cardinality=32, bottleneck_width=4, stride=1):
            super(Block, self).__init__()
            group_width = cardinality * bottleneck_width
            self.conv1 = nn.Conv2d(in_planes, group_width, kernel_size=1, bias=False)
            self.bn1 = nn.BatchNorm2d(group_width)
            self.conv2 = nn.Conv2d(group_width, group_width, kernel_size=3, stride=stride,
                                   padding=1, groups=cardinality, bias=False)
            self.bn2 = nn.BatchNorm2d(group_width)
            self.conv3 = nn.Conv2d(group_width, self.expansion * group_width, kernel_size=1,
                                   bias=False)
            self.bn3 = nn.BatchNorm2d(self.expansion * group_width)
            self.shortcut = nn.Sequential()
            if stride != 1 or in_planes != self.expansion * group_width:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(in_planes, self.expansion * group_width, kernel_size=1,
                              stride=stride, bias=False),
                    nn.BatchNorm2d(self.expansion * group_width))

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = F.relu(self.bn2(self.conv2(out)))
            out = self.bn3(self.conv3(out))
            out += self.shortcut(x)
            out = F.relu(out)
            return out

    class ResNeXt(nn.Module):
        def __init__(self, num_blocks, cardinality, bottleneck_width, num_classes=10):
            super(ResNeXt, self).__init__()
            self.cardinality = cardinality
            self.bottleneck_width = bottleneck_width
            self.in_planes = 16
            self.conv1 = nn.Conv2d(3, 16, kernel_size=1, bias=False)
            self.bn1 = nn.BatchNorm2d(16)
            self.layer1 = self._make_layer(num_blocks[0], 1)
            self.layer2 = self._make_layer(num_blocks[1], 2)
            self.layer3 = self._make_layer(num_blocks[2], 2)
            self.linear = nn.Linear(cardinality * bottleneck_width * 8, num_classes)

        def _make_layer(self, num_blocks, stride):
            strides = [stride] + [1] * (num_blocks - 1)
            layers = []
            for stride in strides:
                layers.append(Block(self.in_planes, self.cardinality, self.bottleneck_width,
                                    stride))
                self.in_planes = Block.expansion * self.cardinality * self.bottleneck_width
            self.bottleneck_width *= 2
            return nn.Sequential(*layers)

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.layer1(out)
            out = self.layer2(out)
            out = self.layer3(out)
            out = F.avg_pool2d(out, 8)
            out = out.view(out.size(0), -1)
            out = self.linear(out)
            return out

    with Out() as o:
        net = run_main(L, lambda L: ResNeXt(num_blocks=[1, 1, 1], cardinality=2,
                                             bottleneck_width=4), o)
        o.print(net.layer2[0].conv2)
    return o.lines, o.vals


def mobilenet(L):
    nn, F = L.nn, L.nn.functional

    class Block(nn.Module):
        '''Depthwise conv + Pointwise conv'''

        def __init__(self, in_planes, out_planes, stride=1):
            super(Block, self).__init__()
            self.conv1 = nn.Conv2d(in_planes, in_planes, kernel_size=3, stride=stride,
                                   padding=1, groups=in_planes, bias=False)
            self.bn1 = nn.BatchNorm2d(in_planes)
            self.conv2 = nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=1, padding=0,
                                   bias=False)
            self.bn2 = nn.BatchNorm2d(out_planes)

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = F.relu(self.bn2(self.conv2(out)))
            return out

    class MobileNet(nn.Module):
        cfg = [8, (16, 2), 16, (32, 2), 32, (64, 2), (64, 2)]

        def __init__(self, num_classes=10):
            super(MobileNet, self).__init__()
            self.conv1 = nn.Conv2d(3, 8, kernel_size=3, stride=1, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(8)
            self.layers = self._make_layers(in_planes=8)
            self.linear = nn.Linear(64, num_classes)

        def _make_layers(self, in_planes):
            layers = []
            for x in self.cfg:
                out_planes = x if isinstance(x, int) else x[0]
                stride = 1 if isinstance(x, int) else x[1]
                layers.append(Block(in_planes, out_planes, stride))
                in_planes = out_planes
            return nn.Sequential(*layers)

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.layers(out)
            out = F.avg_pool2d(out, 2)
            out = out.view(out.size(0), -1)
            out = self.linear(out)
            return out

    with Out() as o:
        run_main(L, lambda L: MobileNet(), o)
    return o.lines, o.vals


def mobilenetv2(L):
    nn, F = L.nn, L.nn.functional

    class Block(nn.Module):
        '''expand + depthwise + pointwise'''

        def __init__(self, in_planes, out_planes, expansion, stride):
            super(Block, self).__init__()
            self.stride = stride
            planes = expansion * in_planes
            self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=1, stride=1, padding=0,
                                   bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=stride, padding=1,
                                   groups=planes, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.conv3 = nn.Conv2d(planes, out_planes, kernel_size=1, stride=1, padding=0,
                                   bias=False)
            self.bn3 = nn.BatchNorm2d(out_planes)
            self.shortcut = nn.Sequential()
            if stride == 1 and in_planes != out_planes:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=1, padding=0,
                              bias=False),
                    nn.BatchNorm2d(out_planes))

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = F.relu(self.bn2(self.conv2(out)))
            out = self.bn3(self.conv3(out))
            out = out + self.shortcut(x) if self.stride == 1 else out
            return out

    class MobileNetV2(nn.Module):
        # (expansion, out_planes, num_blocks, stride)
        cfg = [(1, 8, 1, 1), (6, 12, 2, 1), (6, 16, 1, 2), (6, 24, 1, 2)]

        def __init__(self, num_classes=10):
            super(MobileNetV2, self).__init__()
            self.conv1 = nn.Conv2d(3, 8, kernel_size=3, stride=1, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(8)
            self.layers = self._make_layers(in_planes=8)
            self.conv2 = nn.Conv2d(24, 64, kernel_size=1, stride=1, padding=0, bias=False)
            self.bn2 = nn.BatchNorm2d(64)
            self.linear = nn.Linear(64, num_classes)

        def _make_layers(self, in_planes):
            layers = []
            for expansion, out_planes, num_blocks, stride in self.cfg:
                strides = [stride] + [1] * (num_blocks - 1)
                for stride in strides:
                    layers.append(Block(in_planes, out_planes, expansion, stride))
                    in_planes = out_planes
            return nn.Sequential(*layers)

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.layers(out)
            out = F.relu(self.bn2(self.conv2(out)))
            out = F.avg_pool2d(out, 8)
            out = out.view(out.size(0), -1)
            out = self.linear(out)
            return out

    with Out() as o:
        run_main(L, lambda L: MobileNetV2(), o)
    return o.lines, o.vals


def utils_prog(L):
    """utils.py: get_mean_and_std over a DataLoader and init_params on a small net."""
    nn = L.nn
    init = nn.init

    def get_mean_and_std(dataset):
        '''Compute the mean and std value of dataset.'''
        dataloader = L.utils.data.DataLoader(dataset, batch_size=1, shuffle=True,
                                             num_workers=0)
        mean = L.zeros(3)
        std = L.zeros(3)
        o.print('==> Computing mean and std..')
        for inputs, targets in dataloader:
            for i in range(3):
                mean[i] += inputs[:, i, :, :].mean()
                std[i] += inputs[:, i, :, :].std()
        mean.div_(len(dataset))
        std.div_(len(dataset))
        return mean, std

    def init_params(net):
        '''Init layer parameters.'''
        for m in net.modules():
            if isinstance(m, nn.Conv2d):
                init.kaiming_normal(m.weight, mode='fan_out')
                if m.bias:
                    init.constant(m.bias, 0)
            elif isinstance(m, nn.BatchNorm2d):
                init.constant(m.weight, 1)
                init.constant(m.bias, 0)
            elif isinstance(m, nn.Linear):
                init.normal(m.weight, std=1e-3)
                if m.bias:
                    init.constant(m.bias, 0)

    with Out() as o:
        L.manual_seed(0)
        xs, ys = data(L, 1, 6)[0]
        ds = L.utils.data.TensorDataset(xs, ys)
        mean, std = get_mean_and_std(ds)
        o.print(mean.shape, mean.dtype)
        o.vals += [mean, std]
        net = nn.Sequential(nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4), nn.Flatten(),
                            nn.Linear(4 * 30 * 30, 1))
        init_params(net)
        o.vals += [p.detach().clone() for p in net.parameters()]
        net2 = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Linear(4, 3))
        o.tryit(lambda: init_params(net2))
    return o.lines, o.vals
