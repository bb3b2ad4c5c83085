"""Modern architectures (see tests/s20_archs_progs.py), this file: SE-ResNet's SE basic block
(moskomule/senet.pytorch se_module.py / se_resnet.py). (kuangliu/pytorch-cifar's ResNeXt and
DenseNet are session 17's, tests/s17_cifar_progs_b.py.)"""

from s16_yunjey_progs import Out


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
