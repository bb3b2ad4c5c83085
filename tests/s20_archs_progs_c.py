"""Modern architectures (see tests/s20_archs_progs.py), this file: ResNeXt's grouped-conv
bottleneck (kuangliu/pytorch-cifar models/resnext.py), SE-ResNet's SE basic block
(moskomule/senet.pytorch se_module.py / se_resnet.py) and DenseNet's dense block growing by
torch.cat (kuangliu/pytorch-cifar models/densenet.py)."""

import math

from s16_yunjey_progs import Out


def _resnext(L):
    nn, F = L.nn, L.nn.functional

    class Block(nn.Module):
        '''Grouped convolution block.'''
        expansion = 2

        def __init__(self, in_planes, cardinality=32, bottleneck_width=4, stride=1):
            super(Block, self).__init__()
            group_width = cardinality * bottleneck_width
            self.conv1 = nn.Conv2d(in_planes, group_width, kernel_size=1, bias=False)
            self.bn1 = nn.BatchNorm2d(group_width)
            self.conv2 = nn.Conv2d(group_width, group_width, kernel_size=3, stride=stride, padding=1, groups=cardinality, bias=False)
            self.bn2 = nn.BatchNorm2d(group_width)
            self.conv3 = nn.Conv2d(group_width, self.expansion*group_width, kernel_size=1, bias=False)
            self.bn3 = nn.BatchNorm2d(self.expansion*group_width)
            self.shortcut = nn.Sequential()
            if stride != 1 or in_planes != self.expansion*group_width:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(in_planes, self.expansion*group_width, kernel_size=1, stride=stride, bias=False),
                    nn.BatchNorm2d(self.expansion*group_width)
                )

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
            self.linear = nn.Linear(cardinality*bottleneck_width*4, num_classes)

        def _make_layer(self, num_blocks, stride):
            strides = [stride] + [1]*(num_blocks-1)
            layers = []
            for stride in strides:
                layers.append(Block(self.in_planes, self.cardinality, self.bottleneck_width, stride))
                self.in_planes = Block.expansion * self.cardinality * self.bottleneck_width
            # Increase bottleneck_width by 2 after each stage.
            self.bottleneck_width *= 2
            return nn.Sequential(*layers)

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.layer1(out)
            out = self.layer2(out)
            out = F.avg_pool2d(out, 8)
            out = out.view(out.size(0), -1)
            out = self.linear(out)
            return out

    return ResNeXt(num_blocks=[1, 1], cardinality=4, bottleneck_width=2)


def resnext(L):
    nn = L.nn
    with Out() as o:
        L.manual_seed(0)
        net = _resnext(L)
        o.print(net.layer1)
        o.print(net.layer2[0].conv2.weight.shape, net.layer2[0].conv2.groups)
        optimizer = L.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
        scheduler = L.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=200)
        criterion = nn.CrossEntropyLoss()
        inputs = L.randn(4, 3, 16, 16)
        targets = L.randint(0, 10, (4,))
        net.train()
        train_loss, correct, total = 0, 0, 0
        for batch_idx in range(2):
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, targets)
            loss.backward()
            optimizer.step()
            train_loss += loss.item()
            _, predicted = outputs.max(1)
            total += targets.size(0)
            correct += predicted.eq(targets).sum().item()
            o.print('Loss: %.3f | Acc: %.3f%% (%d/%d)'
                    % (train_loss/(batch_idx+1), 100.*correct/total, correct, total))
            o.vals.append(loss)
        scheduler.step()
        o.vals += [net.layer2[0].conv2.weight.grad, net.layer1[0].bn2.running_mean]
        net.eval()
        with L.no_grad():
            o.vals.append(net(inputs))
    return o.done()


def _se_resnet(L, num_classes=10):
    nn = L.nn

    class SELayer(nn.Module):
        def __init__(self, channel, reduction=16):
            super(SELayer, self).__init__()
            self.avg_pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Sequential(
                nn.Linear(channel, channel // reduction, bias=False),
                nn.ReLU(inplace=True),
                nn.Linear(channel // reduction, channel, bias=False),
                nn.Sigmoid()
            )

        def forward(self, x):
            b, c, _, _ = x.size()
            y = self.avg_pool(x).view(b, c)
            y = self.fc(y).view(b, c, 1, 1)
            return x * y.expand_as(x)

    def conv3x3(in_planes, out_planes, stride=1):
        return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)

    class CifarSEBasicBlock(nn.Module):
        def __init__(self, inplanes, planes, stride=1, reduction=16):
            super(CifarSEBasicBlock, self).__init__()
            self.conv1 = conv3x3(inplanes, planes, stride)
            self.bn1 = nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = conv3x3(planes, planes)
            self.bn2 = nn.BatchNorm2d(planes)
            self.se = SELayer(planes, reduction)
            if inplanes != planes:
                self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, kernel_size=1, stride=stride, bias=False),
                                                nn.BatchNorm2d(planes))
            else:
                self.downsample = lambda x: x
            self.stride = stride

        def forward(self, x):
            residual = self.downsample(x)
            out = self.conv1(x)
            out = self.bn1(out)
            out = self.relu(out)
            out = self.conv2(out)
            out = self.bn2(out)
            out = self.se(out)
            out += residual
            out = self.relu(out)
            return out

    class CifarSEResNet(nn.Module):
        def __init__(self, block, n_size, num_classes=10, reduction=16):
            super(CifarSEResNet, self).__init__()
            self.inplane = 16
            self.conv1 = nn.Conv2d(3, self.inplane, kernel_size=3, stride=1, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(self.inplane)
            self.relu = nn.ReLU(inplace=True)
            self.layer1 = self._make_layer(block, 16, blocks=n_size, stride=1, reduction=reduction)
            self.layer2 = self._make_layer(block, 32, blocks=n_size, stride=2, reduction=reduction)
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(32, num_classes)
            self.initialize()

        def initialize(self):
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)

        def _make_layer(self, block, planes, blocks, stride, reduction):
            strides = [stride] + [1] * (blocks - 1)
            layers = []
            for stride in strides:
                layers.append(block(self.inplane, planes, stride, reduction))
                self.inplane = planes
            return nn.Sequential(*layers)

        def forward(self, x):
            x = self.conv1(x)
            x = self.bn1(x)
            x = self.relu(x)
            x = self.layer1(x)
            x = self.layer2(x)
            x = self.avgpool(x)
            x = x.view(x.size(0), -1)
            x = self.fc(x)
            return x

    return CifarSEResNet(CifarSEBasicBlock, 1, num_classes=num_classes, reduction=8)


def se_resnet(L):
    nn = L.nn
    with Out() as o:
        L.manual_seed(0)
        model = _se_resnet(L)
        o.print(model.layer2)
        o.print(sum(p.numel() for p in model.parameters()))
        optimizer = L.optim.SGD(params=model.parameters(), lr=1e-1, momentum=0.9, weight_decay=1e-4)
        scheduler = L.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[1], gamma=0.1)
        x = L.randn(4, 3, 16, 16)
        y = L.randint(0, 10, (4,))
        model.train()
        for step in range(2):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            scheduler.step()
            o.print(f'loss={loss.item():.4f} lr={scheduler.get_last_lr()}')
            o.vals.append(loss)
        o.vals += [model.layer1[0].se.fc[0].weight.grad, model.layer2[0].downsample[0].weight.grad]
        model.eval()
        with L.no_grad():
            o.vals.append(model(x))
    return o.done()


def _densenet(L, growth_rate=6, nblocks=(2, 2), reduction=0.5, num_classes=10):
    nn, F = L.nn, L.nn.functional

    class Bottleneck(nn.Module):
        def __init__(self, in_planes, growth_rate):
            super(Bottleneck, self).__init__()
            self.bn1 = nn.BatchNorm2d(in_planes)
            self.conv1 = nn.Conv2d(in_planes, 4*growth_rate, kernel_size=1, bias=False)
            self.bn2 = nn.BatchNorm2d(4*growth_rate)
            self.conv2 = nn.Conv2d(4*growth_rate, growth_rate, kernel_size=3, padding=1, bias=False)

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
            num_planes = 2*growth_rate
            self.conv1 = nn.Conv2d(3, num_planes, kernel_size=3, padding=1, bias=False)
            self.dense1 = self._make_dense_layers(block, num_planes, nblocks[0])
            num_planes += nblocks[0]*growth_rate
            out_planes = int(math.floor(num_planes*reduction))
            self.trans1 = Transition(num_planes, out_planes)
            num_planes = out_planes
            self.dense2 = self._make_dense_layers(block, num_planes, nblocks[1])
            num_planes += nblocks[1]*growth_rate
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
            out = self.dense2(out)
            out = F.avg_pool2d(F.relu(self.bn(out)), 4)
            out = out.view(out.size(0), -1)
            out = self.linear(out)
            return out

    return DenseNet(Bottleneck, list(nblocks), growth_rate=growth_rate, reduction=reduction,
                    num_classes=num_classes)


def densenet(L):
    nn = L.nn
    with Out() as o:
        L.manual_seed(0)
        net = _densenet(L)
        o.print(net.dense1)
        o.print(net.trans1)
        x = L.randn(2, 3, 8, 8)
        feats = net.dense1(net.conv1(x))
        o.print(feats.shape)
        optimizer = L.optim.Adam(net.parameters(), lr=1e-3)
        criterion = nn.CrossEntropyLoss()
        inputs = L.randn(4, 3, 8, 8)
        targets = L.randint(0, 10, (4,))
        for step in range(2):
            optimizer.zero_grad()
            loss = criterion(net(inputs), targets)
            loss.backward()
            optimizer.step()
            o.print('%d %.4f' % (step, loss.item()))
            o.vals.append(loss)
        o.vals += [net.dense1[1].conv2.weight.grad, net.trans1.conv.weight.grad]
        net.eval()
        with L.no_grad():
            o.vals.append(net(inputs))
        # a dense block fed the wrong number of channels
        o.tryit(lambda: net.dense2(L.randn(1, 5, 4, 4)).shape)
        o.tryit(lambda: L.cat([L.randn(1, 2, 4, 4), L.randn(1, 3, 3, 4)], 1))
    return o.done()
