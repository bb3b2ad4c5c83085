"""weiaicunzai/pytorch-cifar100 as users copy it: utils.py (WarmUpLR(_LRScheduler),
compute_mean_std in NumPy, most_recent_weights / best_acc_weights / last_epoch on a folder of
'{net}-{epoch}-{type}.pth' files), train.py (SGD momentum 0.9 + weight decay, warm-up per
iteration then MultiStepLR(gamma=0.2) stepped with the epoch, the 'Training Epoch' line,
last layer's grad norms, eval with outputs.max(1) and preds.eq(labels).sum()), test.py (top-1
/ top-5 errors with topk, view, expand_as and eq) and models/resnet.py, models/vgg.py at a tiny
width, on random 3x32x32 (or 16x16) batches instead of CIFAR-100. ``prog(L) -> (printed,
values)`` for tests/test_programs_s21_cifar100.py."""

import os
import re
import tempfile

import numpy
from s16_yunjey_progs import Out


def _data(L, n, hw, classes, seed):
    rng = numpy.random.default_rng(seed)
    x = L.from_numpy(rng.integers(0, 256, (n, 3, hw, hw), dtype=numpy.uint8)).float() / 255
    mean, std = (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)
    x = (x - L.tensor(mean).view(1, 3, 1, 1)) / L.tensor(std).view(1, 3, 1, 1)
    return x, L.from_numpy(rng.integers(0, classes, n))


def _warmup_cls(L):
    from_mod = L.optim.lr_scheduler

    class WarmUpLR(from_mod._LRScheduler):
        """warmup_training learning rate scheduler"""
        def __init__(self, optimizer, total_iters, last_epoch=-1):
            self.total_iters = total_iters
            super().__init__(optimizer, last_epoch)

        def get_lr(self):
            return [base_lr * self.last_epoch / (self.total_iters + 1e-8) for base_lr in self.base_lrs]
    return WarmUpLR


def _resnet(L, width=4, num_block=(1, 1, 1, 1), num_classes=10):
    nn = L.nn

    class BasicBlock(nn.Module):
        expansion = 1

        def __init__(self, in_channels, out_channels, stride=1):
            super().__init__()
            self.residual_function = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=False),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(inplace=True),
                nn.Conv2d(out_channels, out_channels * BasicBlock.expansion, kernel_size=3, padding=1, bias=False),
                nn.BatchNorm2d(out_channels * BasicBlock.expansion))
            self.shortcut = nn.Sequential()
            if stride != 1 or in_channels != BasicBlock.expansion * out_channels:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(in_channels, out_channels * BasicBlock.expansion, kernel_size=1, stride=stride, bias=False),
                    nn.BatchNorm2d(out_channels * BasicBlock.expansion))

        def forward(self, x):
            return nn.ReLU(inplace=True)(self.residual_function(x) + self.shortcut(x))

    class BottleNeck(nn.Module):
        expansion = 4

        def __init__(self, in_channels, out_channels, stride=1):
            super().__init__()
            self.residual_function = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(inplace=True),
                nn.Conv2d(out_channels, out_channels, stride=stride, kernel_size=3, padding=1, bias=False),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(inplace=True),
                nn.Conv2d(out_channels, out_channels * BottleNeck.expansion, kernel_size=1, bias=False),
                nn.BatchNorm2d(out_channels * BottleNeck.expansion))
            self.shortcut = nn.Sequential()
            if stride != 1 or in_channels != out_channels * BottleNeck.expansion:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(in_channels, out_channels * BottleNeck.expansion, stride=stride, kernel_size=1, bias=False),
                    nn.BatchNorm2d(out_channels * BottleNeck.expansion))

        def forward(self, x):
            return nn.ReLU(inplace=True)(self.residual_function(x) + self.shortcut(x))

    class ResNet(nn.Module):
        def __init__(self, block, num_block, num_classes=100):
            super().__init__()
            self.in_channels = width
            self.conv1 = nn.Sequential(
                nn.Conv2d(3, width, kernel_size=3, padding=1, bias=False),
                nn.BatchNorm2d(width),
                nn.ReLU(inplace=True))
            self.conv2_x = self._make_layer(block, width, num_block[0], 1)
            self.conv3_x = self._make_layer(block, width * 2, num_block[1], 2)
            self.conv4_x = self._make_layer(block, width * 4, num_block[2], 2)
            self.conv5_x = self._make_layer(block, width * 8, num_block[3], 2)
            self.avg_pool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(width * 8 * block.expansion, num_classes)

        def _make_layer(self, block, out_channels, num_blocks, stride):
            strides = [stride] + [1] * (num_blocks - 1)
            layers = []
            for stride in strides:
                layers.append(block(self.in_channels, out_channels, stride))
                self.in_channels = out_channels * block.expansion
            return nn.Sequential(*layers)

        def forward(self, x):
            output = self.conv1(x)
            output = self.conv2_x(output)
            output = self.conv3_x(output)
            output = self.conv4_x(output)
            output = self.conv5_x(output)
            output = self.avg_pool(output)
            output = output.view(output.size(0), -1)
            output = self.fc(output)
            return output
    return ResNet, BasicBlock, BottleNeck


def utils_helpers(L):
    """compute_mean_std over a (label, HxWx3 uint8 image) 'dataset', the folder helpers,
    WarmUpLR's learning rates over a warm-up epoch."""
    o = Out()
    with o:
        rng = numpy.random.default_rng(0)
        dataset = [(int(rng.integers(100)), rng.integers(0, 256, (8, 8, 3), dtype=numpy.uint8))
                   for _ in range(5)]
        data_r = numpy.dstack([dataset[i][1][:, :, 0] for i in range(len(dataset))])
        data_g = numpy.dstack([dataset[i][1][:, :, 1] for i in range(len(dataset))])
        data_b = numpy.dstack([dataset[i][1][:, :, 2] for i in range(len(dataset))])
        mean = numpy.mean(data_r), numpy.mean(data_g), numpy.mean(data_b)
        std = numpy.std(data_r), numpy.std(data_g), numpy.std(data_b)
        o.print(tuple(round(float(m), 4) for m in mean), tuple(round(float(s), 4) for s in std))
        L.manual_seed(0)
        ResNet, BasicBlock, _ = _resnet(L)
        net = ResNet(BasicBlock, [1, 1, 1, 1], 10)
        with tempfile.TemporaryDirectory() as d:
            for epoch, kind in [(3, 'regular'), (12, 'best'), (7, 'best'), (10, 'regular')]:
                L.save(net.state_dict(), os.path.join(d, '{net}-{epoch}-{type}.pth'.format(
                    net='resnet18', epoch=epoch, type=kind)))
            regex_str = r'([A-Za-z0-9]+)-([0-9]+)-(regular|best)'
            files = sorted(os.listdir(d), key=lambda w: int(re.search(regex_str, w).groups()[1]))
            o.print(files[-1], int(files[-1].split('-')[1]))
            best = sorted([w for w in files if re.search(regex_str, w).groups()[2] == 'best'],
                          key=lambda w: int(re.search(regex_str, w).groups()[1]))
            o.print(best[-1])
            net2 = ResNet(BasicBlock, [1, 1, 1, 1], 10)
            o.print(net2.load_state_dict(L.load(os.path.join(d, best[-1]))))
            o.vals.append(net2.fc.weight)
        optimizer = L.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
        WarmUpLR = _warmup_cls(L)
        train_scheduler = L.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[2, 3], gamma=0.2)
        warmup_scheduler = WarmUpLR(optimizer, 3 * 1)
        o.print(optimizer.param_groups[0]['lr'], warmup_scheduler.get_last_lr())
        for epoch in range(1, 5):
            if epoch > 1:
                train_scheduler.step(epoch)
            for _ in range(3):
                if epoch <= 1:
                    warmup_scheduler.step()
                optimizer.step()
                o.print('{:0.6f}'.format(optimizer.param_groups[0]['lr']))
        o.print(train_scheduler.state_dict()['milestones'], warmup_scheduler.last_epoch)
    return o.done()


def train_eval_test(L):
    """train.py's train(epoch) / eval_training(epoch) and test.py's top-k errors, resnet18."""
    o = Out()
    with o:
        L.manual_seed(0)
        nn = L.nn
        ResNet, BasicBlock, _ = _resnet(L)
        net = ResNet(BasicBlock, [2, 2, 2, 2], 10)
        train_set = [_data(L, 2, 32, 10, s) for s in range(2)]
        test_set = [_data(L, 4, 32, 10, 10 + s) for s in range(2)]
        loss_function = nn.CrossEntropyLoss()
        optimizer = L.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
        train_scheduler = L.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[2], gamma=0.2)
        iter_per_epoch = len(train_set)
        warmup_scheduler = _warmup_cls(L)(optimizer, iter_per_epoch * 1)
        for epoch in range(1, 3):
            if epoch > 1:
                train_scheduler.step(epoch)
            net.train()
            for batch_index, (images, labels) in enumerate(train_set):
                if epoch <= 1:
                    warmup_scheduler.step()
                images = L.autograd.Variable(images)
                optimizer.zero_grad()
                outputs = net(images)
                loss = loss_function(outputs, labels)
                loss.backward()
                optimizer.step()
                last_layer = list(net.children())[-1]
                for name, para in last_layer.named_parameters():
                    if 'weight' in name:
                        o.vals.append(para.grad.norm())
                    if 'bias' in name:
                        o.vals.append(para.grad.norm())
                o.print('Training Epoch: {epoch} [{trained_samples}/{total_samples}]\tLoss: {:0.4f}\tLR: {:0.6f}'.format(
                    loss.item(), optimizer.param_groups[0]['lr'], epoch=epoch,
                    trained_samples=batch_index * 2 + len(images), total_samples=4))
            for name, param in net.named_parameters():
                layer, attr = os.path.splitext(name)
                if name.startswith('fc'):
                    o.print(layer, attr[1:], tuple(param.shape))
            net.eval()
            test_loss, correct = 0.0, 0.0
            with L.no_grad():
                for (images, labels) in test_set:
                    outputs = net(images)
                    loss = loss_function(outputs, labels)
                    test_loss += loss.item()
                    _, preds = outputs.max(1)
                    correct += preds.eq(labels).sum()
            o.print('Test set: Average loss: {:.4f}, Accuracy: {:.4f}'.format(
                test_loss / 8, correct.float() / 8))
            o.print(type(correct).__name__, correct.dtype)
        correct_1 = 0.0
        correct_5 = 0.0
        with L.no_grad():
            for n_iter, (image, label) in enumerate(test_set):
                output = net(image)
                _, pred = output.topk(5, 1, largest=True, sorted=True)
                label = label.view(label.size(0), -1).expand_as(pred)
                correct = pred.eq(label).float()
                correct_5 += correct[:, :5].sum()
                correct_1 += correct[:, :1].sum()
        o.print("Top 1 err: ", 1 - correct_1 / 8)
        o.print("Top 5 err: ", 1 - correct_5 / 8)
        o.print("Parameter numbers: {}".format(sum(p.numel() for p in net.parameters())))
        o.vals += [correct_1, correct_5, net.fc.weight, net.conv1[1].running_var]
    return o.done()


def resnet50_vgg(L):
    """resnet50 (BottleNeck) and vgg11_bn / vgg16_bn at tiny widths: shapes, parameter
    counts, one SGD step each."""
    o = Out()
    with o:
        L.manual_seed(1)
        nn = L.nn
        ResNet, _, BottleNeck = _resnet(L, width=2)
        net = ResNet(BottleNeck, [1, 1, 1, 1], 10)
        cfg = {'A': [4, 'M', 8, 'M', 16, 16, 'M', 32, 32, 'M', 32, 32, 'M'],
               'D': [4, 4, 'M', 8, 8, 'M', 16, 16, 16, 'M', 32, 32, 32, 'M', 32, 32, 32, 'M']}

        class VGG(nn.Module):
            def __init__(self, features, num_class=100):
                super().__init__()
                self.features = features
                self.classifier = nn.Sequential(
                    nn.Linear(32, 64), nn.ReLU(inplace=True), nn.Dropout(),
                    nn.Linear(64, 64), nn.ReLU(inplace=True), nn.Dropout(),
                    nn.Linear(64, num_class))

            def forward(self, x):
                output = self.features(x)
                output = output.view(output.size()[0], -1)
                return self.classifier(output)

        def make_layers(cfg, batch_norm=False):
            layers = []
            input_channel = 3
            for l in cfg:
                if l == 'M':
                    layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
                    continue
                layers += [nn.Conv2d(input_channel, l, kernel_size=3, padding=1)]
                if batch_norm:
                    layers += [nn.BatchNorm2d(l)]
                layers += [nn.ReLU(inplace=True)]
                input_channel = l
            return nn.Sequential(*layers)

        nets = [net, VGG(make_layers(cfg['A'], batch_norm=True), 10),
                VGG(make_layers(cfg['D'], batch_norm=True), 10)]
        o.print(nets[1].features)
        images, labels = _data(L, 4, 32, 10, 5)
        for net in nets:
            o.print(sum(p.numel() for p in net.parameters()))
            opt = L.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
            for _ in range(2):
                opt.zero_grad()
                out = net(images)
                loss = nn.CrossEntropyLoss()(out, labels)
                loss.backward()
                opt.step()
                o.print(tuple(out.shape), '{:.4f}'.format(loss.item()))
            o.vals.append(list(net.parameters())[0])
    return o.done()
