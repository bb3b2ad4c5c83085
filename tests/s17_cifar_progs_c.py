"""kuangliu/pytorch-cifar models/ shufflenet (channel shuffle via view/permute), shufflenetv2,
senet and efficientnet (swish, drop_connect, SE) with reduced configs, run through main.py's
step (tests/s17_cifar_progs.run_main)."""

from s16_yunjey_progs import Out
from s17_cifar_progs import run_main


def shufflenet(L):
    nn, F = L.nn, L.nn.functional

    class ShuffleBlock(nn.Module):
        def __init__(self, groups):
            super(ShuffleBlock, self).__init__()
            self.groups = groups

        def forward(self, x):
            '''Channel shuffle: [N,C,H,W] -> [N,g,C/g,H,W] -> [N,C/g,g,H,w] -> [N,C,H,W]'''
            N, C, H, W = x.size()
            g = self.groups
            return x.view(N, g, C // g, H, W).permute(0, 2, 1, 3, 4).reshape(N, C, H, W)

    class Bottleneck(nn.Module):
        def __init__(self, in_planes, out_planes, stride, groups):
            super(Bottleneck, self).__init__()
            self.stride = stride
            mid_planes = out_planes // 4
            g = 1 if in_planes == 24 else groups
            self.conv1 = nn.Conv2d(in_planes, mid_planes, kernel_size=1, groups=g, bias=False)
            self.bn1 = nn.BatchNorm2d(mid_planes)
            self.shuffle1 = ShuffleBlock(groups=g)
            self.conv2 = nn.Conv2d(mid_planes, mid_planes, kernel_size=3, stride=stride,
                                   padding=1, groups=mid_planes, bias=False)
            self.bn2 = nn.BatchNorm2d(mid_planes)
            self.conv3 = nn.Conv2d(mid_planes, out_planes, kernel_size=1, groups=groups,
                                   bias=False)
            self.bn3 = nn.BatchNorm2d(out_planes)
            self.shortcut = nn.Sequential()
            if stride == 2:
                self.shortcut = nn.Sequential(nn.AvgPool2d(3, stride=2, padding=1))

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.shuffle1(out)
            out = F.relu(self.bn2(self.conv2(out)))
            out = self.bn3(self.conv3(out))
            res = self.shortcut(x)
            out = F.relu(L.cat([out, res], 1)) if self.stride == 2 else F.relu(out + res)
            return out

    class ShuffleNet(nn.Module):
        def __init__(self, cfg):
            super(ShuffleNet, self).__init__()
            out_planes = cfg['out_planes']
            num_blocks = cfg['num_blocks']
            groups = cfg['groups']
            self.conv1 = nn.Conv2d(3, 24, kernel_size=1, bias=False)
            self.bn1 = nn.BatchNorm2d(24)
            self.in_planes = 24
            self.layer1 = self._make_layer(out_planes[0], num_blocks[0], groups)
            self.layer2 = self._make_layer(out_planes[1], num_blocks[1], groups)
            self.layer3 = self._make_layer(out_planes[2], num_blocks[2], groups)
            self.linear = nn.Linear(out_planes[2], 10)

        def _make_layer(self, out_planes, num_blocks, groups):
            layers = []
            for i in range(num_blocks):
                stride = 2 if i == 0 else 1
                cat_planes = self.in_planes if i == 0 else 0
                layers.append(Bottleneck(self.in_planes, out_planes - cat_planes,
                                         stride=stride, groups=groups))
                self.in_planes = out_planes
            return nn.Sequential(*layers)

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.layer1(out)
            out = self.layer2(out)
            out = self.layer3(out)
            out = F.avg_pool2d(out, 4)
            out = out.view(out.size(0), -1)
            out = self.linear(out)
            return out

    def ShuffleNetG2():
        cfg = {'out_planes': [40, 80, 160], 'num_blocks': [2, 1, 1], 'groups': 2}
        return ShuffleNet(cfg)

    with Out() as o:
        x = L.arange(2 * 6 * 2 * 2.).view(2, 6, 2, 2)
        y = ShuffleBlock(3)(x)
        o.print(y[0, :, 0, 0].tolist(), y.is_contiguous())
        o.tryit(lambda: x.view(2, 3, 2, 2, 2).permute(0, 2, 1, 3, 4).view(2, 6, 2, 2))
        run_main(L, lambda L: ShuffleNetG2(), o)
    return o.lines, o.vals


def shufflenetv2(L):
    nn, F = L.nn, L.nn.functional

    class ShuffleBlock(nn.Module):
        def __init__(self, groups=2):
            super(ShuffleBlock, self).__init__()
            self.groups = groups

        def forward(self, x):
            '''Channel shuffle: [N,C,H,W] -> [N,g,C/g,H,W] -> [N,C/g,g,H,w] -> [N,C,H,W]'''
            N, C, H, W = x.size()
            g = self.groups
            return x.view(N, g, C // g, H, W).permute(0, 2, 1, 3, 4).reshape(N, C, H, W)

    class SplitBlock(nn.Module):
        def __init__(self, ratio):
            super(SplitBlock, self).__init__()
            self.ratio = ratio

        def forward(self, x):
            c = int(x.size(1) * self.ratio)
            return x[:, :c, :, :], x[:, c:, :, :]

    class BasicBlock(nn.Module):
        def __init__(self, in_channels, split_ratio=0.5):
            super(BasicBlock, self).__init__()
            self.split = SplitBlock(split_ratio)
            in_channels = int(in_channels * split_ratio)
            self.conv1 = nn.Conv2d(in_channels, in_channels, kernel_size=1, bias=False)
            self.bn1 = nn.BatchNorm2d(in_channels)
            self.conv2 = nn.Conv2d(in_channels, in_channels, kernel_size=3, stride=1,
                                   padding=1, groups=in_channels, bias=False)
            self.bn2 = nn.BatchNorm2d(in_channels)
            self.conv3 = nn.Conv2d(in_channels, in_channels, kernel_size=1, bias=False)
            self.bn3 = nn.BatchNorm2d(in_channels)
            self.shuffle = ShuffleBlock()

        def forward(self, x):
            x1, x2 = self.split(x)
            out = F.relu(self.bn1(self.conv1(x2)))
            out = self.bn2(self.conv2(out))
            out = F.relu(self.bn3(self.conv3(out)))
            out = L.cat([x1, out], 1)
            out = self.shuffle(out)
            return out

    class DownBlock(nn.Module):
        def __init__(self, in_channels, out_channels):
            super(DownBlock, self).__init__()
            mid_channels = out_channels // 2
            # left
            self.conv1 = nn.Conv2d(in_channels, in_channels, kernel_size=3, stride=2,
                                   padding=1, groups=in_channels, bias=False)
            self.bn1 = nn.BatchNorm2d(in_channels)
            self.conv2 = nn.Conv2d(in_channels, mid_channels, kernel_size=1, bias=False)
            self.bn2 = nn.BatchNorm2d(mid_channels)
            # right
            self.conv3 = nn.Conv2d(in_channels, mid_channels, kernel_size=1, bias=False)
            self.bn3 = nn.BatchNorm2d(mid_channels)
            self.conv4 = nn.Conv2d(mid_channels, mid_channels, kernel_size=3, stride=2,
                                   padding=1, groups=mid_channels, bias=False)
            self.bn4 = nn.BatchNorm2d(mid_channels)
            self.conv5 = nn.Conv2d(mid_channels, mid_channels, kernel_size=1, bias=False)
            self.bn5 = nn.BatchNorm2d(mid_channels)
            self.shuffle = ShuffleBlock()

        def forward(self, x):
            # left
            out1 = self.bn1(self.conv1(x))
            out1 = F.relu(self.bn2(self.conv2(out1)))
            # right
            out2 = F.relu(self.bn3(self.conv3(x)))
            out2 = self.bn4(self.conv4(out2))
            out2 = F.relu(self.bn5(self.conv5(out2)))
            # concat
            out = L.cat([out1, out2], 1)
            out = self.shuffle(out)
            return out

    class ShuffleNetV2(nn.Module):
        def __init__(self, net_size):
            super(ShuffleNetV2, self).__init__()
            out_channels = configs[net_size]['out_channels']
            num_blocks = configs[net_size]['num_blocks']
            self.conv1 = nn.Conv2d(3, 24, kernel_size=3, stride=1, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(24)
            self.in_channels = 24
            self.layer1 = self._make_layer(out_channels[0], num_blocks[0])
            self.layer2 = self._make_layer(out_channels[1], num_blocks[1])
            self.layer3 = self._make_layer(out_channels[2], num_blocks[2])
            self.conv2 = nn.Conv2d(out_channels[2], out_channels[3], kernel_size=1, stride=1,
                                   padding=0, bias=False)
            self.bn2 = nn.BatchNorm2d(out_channels[3])
            self.linear = nn.Linear(out_channels[3], 10)

        def _make_layer(self, out_channels, num_blocks):
            layers = [DownBlock(self.in_channels, out_channels)]
            for i in range(num_blocks):
                layers.append(BasicBlock(out_channels))
                self.in_channels = out_channels
            return nn.Sequential(*layers)

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            # out = F.max_pool2d(out, 3, stride=2, padding=1)
            out = self.layer1(out)
            out = self.layer2(out)
            out = self.layer3(out)
            out = F.relu(self.bn2(self.conv2(out)))
            out = F.avg_pool2d(out, 4)
            out = out.view(out.size(0), -1)
            out = self.linear(out)
            return out

    configs = {0.1: {'out_channels': (16, 32, 48, 64), 'num_blocks': (1, 1, 1)}}

    with Out() as o:
        run_main(L, lambda L: ShuffleNetV2(net_size=0.1), o)
    return o.lines, o.vals


def senet(L):
    nn, F = L.nn, L.nn.functional

    class PreActBlock(nn.Module):
        def __init__(self, in_planes, planes, stride=1):
            super(PreActBlock, self).__init__()
            self.bn1 = nn.BatchNorm2d(in_planes)
            self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1,
                                   bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
            if stride != 1 or in_planes != planes:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(in_planes, planes, kernel_size=1, stride=stride, bias=False))
            # SE layers
            self.fc1 = nn.Conv2d(planes, planes // 16, kernel_size=1)
            self.fc2 = nn.Conv2d(planes // 16, planes, kernel_size=1)

        def forward(self, x):
            out = F.relu(self.bn1(x))
            shortcut = self.shortcut(out) if hasattr(self, 'shortcut') else x
            out = self.conv1(out)
            out = self.conv2(F.relu(self.bn2(out)))
            # Squeeze
            w = F.avg_pool2d(out, out.size(2))
            w = F.relu(self.fc1(w))
            w = F.sigmoid(self.fc2(w))
            # Excitation
            out = out * w
            out += shortcut
            return out

    class SENet(nn.Module):
        def __init__(self, block, num_blocks, num_classes=10):
            super(SENet, self).__init__()
            self.in_planes = 16
            self.conv1 = nn.Conv2d(3, 16, kernel_size=3, stride=1, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(16)
            self.layer1 = self._make_layer(block, 16, num_blocks[0], stride=1)
            self.layer2 = self._make_layer(block, 32, num_blocks[1], stride=2)
            self.layer3 = self._make_layer(block, 32, num_blocks[2], stride=2)
            self.layer4 = self._make_layer(block, 64, num_blocks[3], stride=2)
            self.linear = nn.Linear(64, num_classes)

        def _make_layer(self, block, planes, num_blocks, stride):
            strides = [stride] + [1] * (num_blocks - 1)
            layers = []
            for stride in strides:
                layers.append(block(self.in_planes, planes, stride))
                self.in_planes = planes
            return nn.Sequential(*layers)

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.layer1(out)
            out = self.layer2(out)
            out = self.layer3(out)
            out = self.layer4(out)
            out = F.avg_pool2d(out, 4)
            out = out.view(out.size(0), -1)
            out = self.linear(out)
            return out

    with Out() as o:
        net = run_main(L, lambda L: SENet(PreActBlock, [1, 1, 1, 1]), o)
        o.print(net.layer4[0].fc1)
    return o.lines, o.vals


def efficientnet(L):
    nn, F = L.nn, L.nn.functional

    def swish(x):
        return x * x.sigmoid()

    def drop_connect(x, drop_ratio):
        keep_ratio = 1.0 - drop_ratio
        mask = L.empty([x.shape[0], 1, 1, 1], dtype=x.dtype, device=x.device)
        mask.bernoulli_(keep_ratio)
        x.div_(keep_ratio)
        x.mul_(mask)
        return x

    class SE(nn.Module):
        '''Squeeze-and-Excitation block with Swish.'''

        def __init__(self, in_channels, se_channels):
            super(SE, self).__init__()
            self.se1 = nn.Conv2d(in_channels, se_channels, kernel_size=1, bias=True)
            self.se2 = nn.Conv2d(se_channels, in_channels, kernel_size=1, bias=True)

        def forward(self, x):
            out = F.adaptive_avg_pool2d(x, (1, 1))
            out = swish(self.se1(out))
            out = self.se2(out).sigmoid()
            out = x * out
            return out

    class Block(nn.Module):
        '''expansion + depthwise + pointwise + squeeze-excitation'''

        def __init__(self, in_channels, out_channels, kernel_size, stride, expand_ratio=1,
                     se_ratio=0., drop_rate=0.):
            super(Block, self).__init__()
            self.stride = stride
            self.drop_rate = drop_rate
            self.expand_ratio = expand_ratio
            # Expansion
            channels = expand_ratio * in_channels
            self.conv1 = nn.Conv2d(in_channels, channels, kernel_size=1, stride=1, padding=0,
                                   bias=False)
            self.bn1 = nn.BatchNorm2d(channels)
            # Depthwise conv
            self.conv2 = nn.Conv2d(channels, channels, kernel_size=kernel_size, stride=stride,
                                   padding=(1 if kernel_size == 3 else 2), groups=channels,
                                   bias=False)
            self.bn2 = nn.BatchNorm2d(channels)
            # SE layers
            se_channels = int(in_channels * se_ratio)
            self.se = SE(channels, se_channels)
            # Output
            self.conv3 = nn.Conv2d(channels, out_channels, kernel_size=1, stride=1, padding=0,
                                   bias=False)
            self.bn3 = nn.BatchNorm2d(out_channels)
            # Skip connection if in and out shapes are the same (MV-V2 style)
            self.has_skip = (stride == 1) and (in_channels == out_channels)

        def forward(self, x):
            out = x if self.expand_ratio == 1 else swish(self.bn1(self.conv1(x)))
            out = swish(self.bn2(self.conv2(out)))
            out = self.se(out)
            out = self.bn3(self.conv3(out))
            if self.has_skip:
                if self.training and self.drop_rate > 0:
                    out = drop_connect(out, self.drop_rate)
                out = out + x
            return out

    class EfficientNet(nn.Module):
        def __init__(self, cfg, num_classes=10):
            super(EfficientNet, self).__init__()
            self.cfg = cfg
            self.conv1 = nn.Conv2d(3, 16, kernel_size=3, stride=1, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(16)
            self.layers = self._make_layers(in_channels=16)
            self.linear = nn.Linear(cfg['out_channels'][-1], num_classes)

        def _make_layers(self, in_channels):
            layers = []
            cfg = [self.cfg[k] for k in ['expansion', 'out_channels', 'num_blocks',
                                         'kernel_size', 'stride']]
            b = 0
            blocks = sum(self.cfg['num_blocks'])
            for expansion, out_channels, num_blocks, kernel_size, stride in zip(*cfg):
                strides = [stride] + [1] * (num_blocks - 1)
                for stride in strides:
                    drop_rate = self.cfg['drop_connect_rate'] * b / blocks
                    layers.append(Block(in_channels, out_channels, kernel_size, stride,
                                        expansion, se_ratio=0.25, drop_rate=drop_rate))
                    in_channels = out_channels
            return nn.Sequential(*layers)

        def forward(self, x):
            out = swish(self.bn1(self.conv1(x)))
            out = self.layers(out)
            out = F.adaptive_avg_pool2d(out, 1)
            out = out.view(out.size(0), -1)
            dropout_rate = self.cfg['dropout_rate']
            if self.training and dropout_rate > 0:
                out = F.dropout(out, p=dropout_rate)
            out = self.linear(out)
            return out

    def EfficientNetB0():
        cfg = {
            'num_blocks': [1, 2, 1],
            'expansion': [1, 6, 6],
            'out_channels': [8, 12, 20],
            'kernel_size': [3, 3, 5],
            'stride': [1, 2, 2],
            'dropout_rate': 0.2,
            'drop_connect_rate': 0.2,
        }
        return EfficientNet(cfg)

    with Out() as o:
        net = run_main(L, lambda L: EfficientNetB0(), o, batch=4)
        o.print([m.drop_rate for m in net.layers])
        L.manual_seed(3)
        x = L.ones(4, 2, 2, 2)
        o.vals += [drop_connect(x, 0.5)]
    return o.lines, o.vals
