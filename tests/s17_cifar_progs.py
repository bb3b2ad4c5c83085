"""kuangliu/pytorch-cifar as users type it: main.py's training / test step (SGD momentum 0.9,
weight_decay 5e-4, CosineAnnealingLR, CrossEntropyLoss, 'Loss: %.3f | Acc: %.3f%% (%d/%d)'
without the progress bar), utils.py's get_mean_and_std / init_params, and models/ (lenet, vgg,
resnet, preact_resnet, googlenet, densenet here) with reduced configs; random 32x32 batches in
place of CIFAR-10, as ``prog(L) -> (printed, values)`` for tests/test_programs_s17_cifar.py."""

import numpy as np
from s16_yunjey_progs import Out


def data(L, n, batch, seed=0):
    rng = np.random.default_rng(seed)
    dt = np.float64 if L.get_default_dtype() == L.float64 else np.float32
    return [(L.from_numpy(rng.standard_normal((batch, 3, 32, 32)).astype(dt)),
             L.from_numpy(rng.integers(0, 10, batch))) for _ in range(n)]


def run_main(L, make_net, o, batch=2, lr=0.1):
    """main.py: build, count, one training batch and one test batch, scheduler.step()."""
    nn, optim = L.nn, L.optim
    L.manual_seed(0)
    net = make_net(L)
    o.print('==> Building model..')
    o.print('params', sum(p.numel() for p in net.parameters()))
    trainloader, testloader = data(L, 1, batch, 1), data(L, 1, batch, 2)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    scheduler = L.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=200)

    def train(epoch):
        o.print('\nEpoch: %d' % epoch)
        net.train()
        train_loss, correct, total = 0, 0, 0
        for batch_idx, (inputs, targets) in enumerate(trainloader):
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, targets)
            loss.backward()
            optimizer.step()
            train_loss += loss.item()
            _, predicted = outputs.max(1)
            total += targets.size(0)
            correct += predicted.eq(targets).sum().item()
            o.print('Loss: %.4f | Acc: %.3f%% (%d/%d)'
                    % (train_loss / (batch_idx + 1), 100. * correct / total, correct, total))
            o.print(tuple(outputs.shape), outputs.dtype)
            o.vals += [loss.item(), outputs]

    def test(epoch):
        net.eval()
        test_loss, correct, total = 0, 0, 0
        with L.no_grad():
            for batch_idx, (inputs, targets) in enumerate(testloader):
                outputs = net(inputs)
                loss = criterion(outputs, targets)
                test_loss += loss.item()
                _, predicted = outputs.max(1)
                total += targets.size(0)
                correct += predicted.eq(targets).sum().item()
                o.print('Loss: %.4f | Acc: %.3f%% (%d/%d)'
                        % (test_loss / (batch_idx + 1), 100. * correct / total, correct, total))
                o.vals += [outputs]
        acc = 100. * correct / total
        o.print('acc', acc)

    for epoch in range(0, 1):
        train(epoch)
        test(epoch)
        scheduler.step()
    o.print('lr', scheduler.get_last_lr())
    # float32: the last layers' parameters after the step (the first layers' gradients carry
    # the conv / BLAS last-bit differences through every BatchNorm back); float64: all of them
    ps = list(net.parameters())
    o.vals += [p.detach().clone() for p in (ps if L.get_default_dtype() == L.float64
                                            else ps[-3:])]
    return net


def lenet(L):
    nn, F = L.nn, L.nn.functional

    class LeNet(nn.Module):
        def __init__(self):
            super(LeNet, self).__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            out = F.relu(self.conv1(x))
            out = F.max_pool2d(out, 2)
            out = F.relu(self.conv2(out))
            out = F.max_pool2d(out, 2)
            out = out.view(out.size(0), -1)
            out = F.relu(self.fc1(out))
            out = F.relu(self.fc2(out))
            out = self.fc3(out)
            return out

    with Out() as o:
        net = run_main(L, lambda L: LeNet(), o, batch=4)
        o.print(net)
    return o.lines, o.vals


cfg = {
    'VGG11': [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
    'VGGtiny': [8, 'M', 16, 'M', 16, 16, 'M', 32, 'M', 32, 'M'],
}


def vgg(L):
    nn = L.nn

    class VGG(nn.Module):
        def __init__(self, vgg_name):
            super(VGG, self).__init__()
            self.features = self._make_layers(cfg[vgg_name])
            self.classifier = nn.Linear(32, 10)

        def forward(self, x):
            out = self.features(x)
            out = out.view(out.size(0), -1)
            out = self.classifier(out)
            return out

        def _make_layers(self, cfg):
            layers = []
            in_channels = 3
            for x in cfg:
                if x == 'M':
                    layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
                else:
                    layers += [nn.Conv2d(in_channels, x, kernel_size=3, padding=1),
                               nn.BatchNorm2d(x),
                               nn.ReLU(inplace=True)]
                    in_channels = x
            layers += [nn.AvgPool2d(kernel_size=1, stride=1)]
            return nn.Sequential(*layers)

    with Out() as o:
        net = run_main(L, lambda L: VGG('VGGtiny'), o)
        o.print(net)
        o.print(len(net.state_dict()), list(net.state_dict())[:4])
        o.vals += [net.features[1].running_mean, net.features[1].running_var,
                   net.features[1].num_batches_tracked]
    return o.lines, o.vals


def resnet_defs(L):
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

    class Bottleneck(nn.Module):
        expansion = 4

        def __init__(self, in_planes, planes, stride=1):
            super(Bottleneck, self).__init__()
            self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=stride, padding=1,
                                   bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.conv3 = nn.Conv2d(planes, self.expansion * planes, kernel_size=1, bias=False)
            self.bn3 = nn.BatchNorm2d(self.expansion * planes)
            self.shortcut = nn.Sequential()
            if stride != 1 or in_planes != self.expansion * planes:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride,
                              bias=False),
                    nn.BatchNorm2d(self.expansion * planes))

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = F.relu(self.bn2(self.conv2(out)))
            out = self.bn3(self.conv3(out))
            out += self.shortcut(x)
            out = F.relu(out)
            return out

    class ResNet(nn.Module):
        def __init__(self, block, num_blocks, num_classes=10, w=8):
            super(ResNet, self).__init__()
            self.in_planes = w
            self.conv1 = nn.Conv2d(3, w, kernel_size=3, stride=1, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(w)
            self.layer1 = self._make_layer(block, w, num_blocks[0], stride=1)
            self.layer2 = self._make_layer(block, 2 * w, num_blocks[1], stride=2)
            self.layer3 = self._make_layer(block, 4 * w, num_blocks[2], stride=2)
            self.layer4 = self._make_layer(block, 8 * w, num_blocks[3], stride=2)
            self.linear = nn.Linear(8 * w * block.expansion, num_classes)

        def _make_layer(self, block, planes, num_blocks, stride):
            strides = [stride] + [1] * (num_blocks - 1)
            layers = []
            for stride in strides:
                layers.append(block(self.in_planes, planes, stride))
                self.in_planes = planes * block.expansion
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

    return BasicBlock, Bottleneck, ResNet


def resnet(L):
    BasicBlock, Bottleneck, ResNet = resnet_defs(L)
    with Out() as o:
        run_main(L, lambda L: ResNet(BasicBlock, [2, 1, 1, 1]), o)
        net = run_main(L, lambda L: ResNet(Bottleneck, [1, 1, 1, 1], w=4), o)
        o.print(net.layer2)
        y = net(L.randn(1, 3, 32, 32))
        o.print(y.size())
    return o.lines, o.vals


def preact_resnet(L):
    nn, F = L.nn, L.nn.functional

    class PreActBlock(nn.Module):
        '''Pre-activation version of the BasicBlock.'''
        expansion = 1

        def __init__(self, in_planes, planes, stride=1):
            super(PreActBlock, self).__init__()
            self.bn1 = nn.BatchNorm2d(in_planes)
            self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1,
                                   bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
            if stride != 1 or in_planes != self.expansion * planes:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride,
                              bias=False))

        def forward(self, x):
            out = F.relu(self.bn1(x))
            shortcut = self.shortcut(out) if hasattr(self, 'shortcut') else x
            out = self.conv1(out)
            out = self.conv2(F.relu(self.bn2(out)))
            out += shortcut
            return out

    class PreActResNet(nn.Module):
        def __init__(self, block, num_blocks, num_classes=10):
            super(PreActResNet, self).__init__()
            self.in_planes = 8
            self.conv1 = nn.Conv2d(3, 8, kernel_size=3, stride=1, padding=1, bias=False)
            self.layer1 = self._make_layer(block, 8, num_blocks[0], stride=1)
            self.layer2 = self._make_layer(block, 16, num_blocks[1], stride=2)
            self.layer3 = self._make_layer(block, 32, num_blocks[2], stride=2)
            self.layer4 = self._make_layer(block, 64, num_blocks[3], stride=2)
            self.bn = nn.BatchNorm2d(64 * block.expansion)
            self.linear = nn.Linear(64 * block.expansion, num_classes)

        def _make_layer(self, block, planes, num_blocks, stride):
            strides = [stride] + [1] * (num_blocks - 1)
            layers = []
            for stride in strides:
                layers.append(block(self.in_planes, planes, stride))
                self.in_planes = planes * block.expansion
            return nn.Sequential(*layers)

        def forward(self, x):
            out = self.conv1(x)
            out = self.layer1(out)
            out = self.layer2(out)
            out = self.layer3(out)
            out = self.layer4(out)
            out = F.relu(self.bn(out))
            out = F.avg_pool2d(out, 4)
            out = out.view(out.size(0), -1)
            out = self.linear(out)
            return out

    with Out() as o:
        net = run_main(L, lambda L: PreActResNet(PreActBlock, [2, 1, 1, 1]), o)
        o.print(hasattr(net.layer1[0], 'shortcut'), hasattr(net.layer2[0], 'shortcut'))
    return o.lines, o.vals
