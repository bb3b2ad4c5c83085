"""kuangliu/pytorch-cifar models/ dpn, dla_simple (SimpleDLA) and pnasnet with reduced configs,
run through main.py's step (tests/s17_cifar_progs.run_main)."""

from s16_yunjey_progs import Out
from s17_cifar_progs import run_main


def dpn(L):
    nn, F = L.nn, L.nn.functional

    class Bottleneck(nn.Module):
        def __init__(self, last_planes, in_planes, out_planes, dense_depth, stride,
                     first_layer):
            super(Bottleneck, self).__init__()
            self.out_planes = out_planes
            self.dense_depth = dense_depth
            self.conv1 = nn.Conv2d(last_planes, in_planes, kernel_size=1, bias=False)
            self.bn1 = nn.BatchNorm2d(in_planes)
            self.conv2 = nn.Conv2d(in_planes, in_planes, kernel_size=3, stride=stride,
                                   padding=1, groups=2, bias=False)
            self.bn2 = nn.BatchNorm2d(in_planes)
            self.conv3 = nn.Conv2d(in_planes, out_planes + dense_depth, kernel_size=1,
                                   bias=False)
            self.bn3 = nn.BatchNorm2d(out_planes + dense_depth)
            self.shortcut = nn.Sequential()
            if first_layer:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(last_planes, out_planes + dense_depth, kernel_size=1,
                              stride=stride, bias=False),
                    nn.BatchNorm2d(out_planes + dense_depth))

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = F.relu(self.bn2(self.conv2(out)))
            out = self.bn3(self.conv3(out))
            x = self.shortcut(x)
            d = self.out_planes
            out = L.cat([x[:, :d, :, :] + out[:, :d, :, :], x[:, d:, :, :], out[:, d:, :, :]],
                        1)
            out = F.relu(out)
            return out

    class DPN(nn.Module):
        def __init__(self, cfg):
            super(DPN, self).__init__()
            in_planes, out_planes = cfg['in_planes'], cfg['out_planes']
            num_blocks, dense_depth = cfg['num_blocks'], cfg['dense_depth']
            self.conv1 = nn.Conv2d(3, 16, kernel_size=3, stride=1, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(16)
            self.last_planes = 16
            self.layer1 = self._make_layer(in_planes[0], out_planes[0], num_blocks[0],
                                           dense_depth[0], stride=1)
            self.layer2 = self._make_layer(in_planes[1], out_planes[1], num_blocks[1],
                                           dense_depth[1], stride=2)
            self.layer3 = self._make_layer(in_planes[2], out_planes[2], num_blocks[2],
                                           dense_depth[2], stride=2)
            self.layer4 = self._make_layer(in_planes[3], out_planes[3], num_blocks[3],
                                           dense_depth[3], stride=2)
            self.linear = nn.Linear(out_planes[3] + (num_blocks[3] + 1) * dense_depth[3], 10)

        def _make_layer(self, in_planes, out_planes, num_blocks, dense_depth, stride):
            strides = [stride] + [1] * (num_blocks - 1)
            layers = []
            for i, stride in enumerate(strides):
                layers.append(Bottleneck(self.last_planes, in_planes, out_planes, dense_depth,
                                         stride, i == 0))
                self.last_planes = out_planes + (i + 2) * dense_depth
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

    def DPN26():
        cfg = {
            'in_planes': (8, 16, 16, 32),
            'out_planes': (16, 32, 32, 64),
            'num_blocks': (2, 1, 1, 1),
            'dense_depth': (4, 8, 8, 16)
        }
        return DPN(cfg)

    with Out() as o:
        net = run_main(L, lambda L: DPN26(), o)
        o.print(net.linear)
    return o.lines, o.vals


def dla_simple(L):
    nn, F = L.nn, L.nn.functional

    class BasicBlock(nn.Module):
        expansion = 1

        def __init__(self, in_planes, planes, stride=1):
            super(BasicBlock, self).__init__()
            self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1,
                                   bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.shortcut = nn.Sequential()
            if stride != 1 or in_planes != self.expansion * planes:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride,
                              bias=False),
                    nn.BatchNorm2d(self.expansion * planes))

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            out += self.shortcut(x)
            out = F.relu(out)
            return out

    class Root(nn.Module):
        def __init__(self, in_channels, out_channels, kernel_size=1):
            super(Root, self).__init__()
            self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=1,
                                  padding=(kernel_size - 1) // 2, bias=False)
            self.bn = nn.BatchNorm2d(out_channels)

        def forward(self, xs):
            x = L.cat(xs, 1)
            out = F.relu(self.bn(self.conv(x)))
            return out

    class Tree(nn.Module):
        def __init__(self, block, in_channels, out_channels, level=1, stride=1):
            super(Tree, self).__init__()
            self.root = Root(2 * out_channels, out_channels)
            if level == 1:
                self.left_tree = block(in_channels, out_channels, stride=stride)
                self.right_tree = block(out_channels, out_channels, stride=1)
            else:
                self.left_tree = Tree(block, in_channels, out_channels, level=level - 1,
                                      stride=stride)
                self.right_tree = Tree(block, out_channels, out_channels, level=level - 1,
                                       stride=1)

        def forward(self, x):
            out1 = self.left_tree(x)
            out2 = self.right_tree(out1)
            out = self.root([out1, out2])
            return out

    class SimpleDLA(nn.Module):
        def __init__(self, block=BasicBlock, num_classes=10):
            super(SimpleDLA, self).__init__()
            self.base = nn.Sequential(
                nn.Conv2d(3, 4, kernel_size=3, stride=1, padding=1, bias=False),
                nn.BatchNorm2d(4), nn.ReLU(True))
            self.layer1 = nn.Sequential(
                nn.Conv2d(4, 4, kernel_size=3, stride=1, padding=1, bias=False),
                nn.BatchNorm2d(4), nn.ReLU(True))
            self.layer2 = nn.Sequential(
                nn.Conv2d(4, 8, kernel_size=3, stride=1, padding=1, bias=False),
                nn.BatchNorm2d(8), nn.ReLU(True))
            self.layer3 = Tree(block, 8, 16, level=1, stride=1)
            self.layer4 = Tree(block, 16, 32, level=2, stride=2)
            self.layer5 = Tree(block, 32, 32, level=1, stride=2)
            self.layer6 = Tree(block, 32, 64, level=1, stride=2)
            self.linear = nn.Linear(64, num_classes)

        def forward(self, x):
            out = self.base(x)
            out = self.layer1(out)
            out = self.layer2(out)
            out = self.layer3(out)
            out = self.layer4(out)
            out = self.layer5(out)
            out = self.layer6(out)
            out = F.avg_pool2d(out, 4)
            out = out.view(out.size(0), -1)
            out = self.linear(out)
            return out

    with Out() as o:
        net = run_main(L, lambda L: SimpleDLA(), o)
        o.print(net.layer4.root)
        o.print(len(list(net.named_modules())))
    return o.lines, o.vals


def pnasnet(L):
    nn, F = L.nn, L.nn.functional

    class SepConv(nn.Module):
        '''Separable Convolution.'''

        def __init__(self, in_planes, out_planes, kernel_size, stride):
            super(SepConv, self).__init__()
            self.conv1 = nn.Conv2d(in_planes, out_planes, kernel_size, stride,
                                   padding=(kernel_size - 1) // 2, bias=False,
                                   groups=in_planes)
            self.bn1 = nn.BatchNorm2d(out_planes)

        def forward(self, x):
            return self.bn1(self.conv1(x))

    class CellA(nn.Module):
        def __init__(self, in_planes, out_planes, stride=1):
            super(CellA, self).__init__()
            self.stride = stride
            self.sep_conv1 = SepConv(in_planes, out_planes, kernel_size=7, stride=stride)
            if stride == 2:
                self.conv1 = nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=1,
                                       padding=0, bias=False)
                self.bn1 = nn.BatchNorm2d(out_planes)

        def forward(self, x):
            y1 = self.sep_conv1(x)
            y2 = F.max_pool2d(x, kernel_size=3, stride=self.stride, padding=1)
            if self.stride == 2:
                y2 = self.bn1(self.conv1(y2))
            return F.relu(y1 + y2)

    class CellB(nn.Module):
        def __init__(self, in_planes, out_planes, stride=1):
            super(CellB, self).__init__()
            self.stride = stride
            # Left branch
            self.sep_conv1 = SepConv(in_planes, out_planes, kernel_size=7, stride=stride)
            self.sep_conv2 = SepConv(in_planes, out_planes, kernel_size=3, stride=stride)
            # Right branch
            self.sep_conv3 = SepConv(in_planes, out_planes, kernel_size=5, stride=stride)
            if stride == 2:
                self.conv1 = nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=1,
                                       padding=0, bias=False)
                self.bn1 = nn.BatchNorm2d(out_planes)
            # Reduce channels
            self.conv2 = nn.Conv2d(2 * out_planes, out_planes, kernel_size=1, stride=1,
                                   padding=0, bias=False)
            self.bn2 = nn.BatchNorm2d(out_planes)

        def forward(self, x):
            # Left branch
            y1 = self.sep_conv1(x)
            y2 = self.sep_conv2(x)
            # Right branch
            y3 = F.max_pool2d(x, kernel_size=3, stride=self.stride, padding=1)
            if self.stride == 2:
                y3 = self.bn1(self.conv1(y3))
            y4 = self.sep_conv3(x)
            # Concat & reduce channels
            b1 = F.relu(y1 + y2)
            b2 = F.relu(y3 + y4)
            y = L.cat([b1, b2], 1)
            return F.relu(self.bn2(self.conv2(y)))

    class PNASNet(nn.Module):
        def __init__(self, cell_type, num_cells, num_planes):
            super(PNASNet, self).__init__()
            self.in_planes = num_planes
            self.cell_type = cell_type
            self.conv1 = nn.Conv2d(3, num_planes, kernel_size=3, stride=1, padding=1,
                                   bias=False)
            self.bn1 = nn.BatchNorm2d(num_planes)
            self.layer1 = self._make_layer(num_planes, num_cells=num_cells)
            self.layer2 = self._downsample(num_planes * 2)
            self.layer3 = self._make_layer(num_planes * 2, num_cells=num_cells)
            self.layer4 = self._downsample(num_planes * 4)
            self.layer5 = self._make_layer(num_planes * 4, num_cells=num_cells)
            self.linear = nn.Linear(num_planes * 4, 10)

        def _make_layer(self, planes, num_cells):
            layers = []
            for _ in range(num_cells):
                layers.append(self.cell_type(self.in_planes, planes, stride=1))
                self.in_planes = planes
            return nn.Sequential(*layers)

        def _downsample(self, planes):
            layer = self.cell_type(self.in_planes, planes, stride=2)
            self.in_planes = planes
            return layer

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.layer1(out)
            out = self.layer2(out)
            out = self.layer3(out)
            out = self.layer4(out)
            out = self.layer5(out)
            out = F.avg_pool2d(out, 8)
            out = self.linear(out.view(out.size(0), -1))
            return out

    with Out() as o:
        run_main(L, lambda L: PNASNet(CellA, num_cells=1, num_planes=8), o)
        run_main(L, lambda L: PNASNet(CellB, num_cells=1, num_planes=8), o)
    return o.lines, o.vals
