"""rasbt/deeplearning-models, pytorch_ipynb/cnn (LeNet-5, NiN, resnet-ex-1's residual blocks,
a DenseNet-121 dense block / transition, small VGG-16 and AlexNet shapes) as users type them,
scaled down on random image tensors (2 training steps), as ``prog(L) -> (printed, values)``."""

from s16_yunjey_progs import Out
from s17_rasbtdlm_progs_b import _loader, _train


def lenet5(torch):
    nn = torch.nn
    F = torch.nn.functional

    class LeNet5(nn.Module):
        def __init__(self, num_classes, grayscale=False):
            super(LeNet5, self).__init__()
            self.grayscale = grayscale
            self.num_classes = num_classes
            if self.grayscale:
                in_channels = 1
            else:
                in_channels = 3
            self.features = nn.Sequential(
                nn.Conv2d(in_channels, 6*in_channels, kernel_size=5),
                nn.Tanh(),
                nn.MaxPool2d(kernel_size=2),
                nn.Conv2d(6*in_channels, 16*in_channels, kernel_size=5),
                nn.Tanh(),
                nn.MaxPool2d(kernel_size=2)
            )
            self.classifier = nn.Sequential(
                nn.Linear(16*5*5*in_channels, 120*in_channels),
                nn.Tanh(),
                nn.Linear(120*in_channels, 84*in_channels),
                nn.Tanh(),
                nn.Linear(84*in_channels, num_classes),
            )

        def forward(self, x):
            x = self.features(x)
            x = torch.flatten(x, 1)
            logits = self.classifier(x)
            probas = F.softmax(logits, dim=1)
            return logits, probas

    with Out() as o:
        for gray, ch in ((True, 1), (False, 3)):
            torch.manual_seed(1)
            model = LeNet5(10, grayscale=gray)
            o.print(model)
            cost = _train(torch, o, model, _loader(torch, side=32, channels=ch),
                          optimizer=torch.optim.Adam(model.parameters(), lr=0.001))
            o.vals += [cost, model.features[0].weight, model.classifier[4].bias]
    return o.done()


def nin(torch):
    nn = torch.nn

    class NiN(nn.Module):
        def __init__(self, num_classes):
            super(NiN, self).__init__()
            self.num_classes = num_classes
            self.classifier = nn.Sequential(
                nn.Conv2d(3, 12, kernel_size=5, stride=1, padding=2),
                nn.ReLU(inplace=True),
                nn.Conv2d(12, 8, kernel_size=1, stride=1, padding=0),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
                nn.Dropout(0.5),
                nn.Conv2d(8, 12, kernel_size=5, stride=1, padding=2),
                nn.ReLU(inplace=True),
                nn.AvgPool2d(kernel_size=3, stride=2, padding=1),
                nn.Dropout(0.5),
                nn.Conv2d(12, self.num_classes, kernel_size=1, stride=1, padding=0),
                nn.ReLU(inplace=True),
                nn.AvgPool2d(kernel_size=8, stride=1, padding=0),
            )

        def forward(self, x):
            x = self.classifier(x)
            logits = x.view(x.size(0), self.num_classes)
            probas = torch.softmax(logits, dim=1)
            return logits, probas

    with Out() as o:
        torch.manual_seed(1)
        model = NiN(10)
        o.print(model)
        cost = _train(torch, o, model, _loader(torch, side=32, channels=3),
                      optimizer=torch.optim.Adam(model.parameters(), lr=0.0005))
        o.vals += [cost, model.classifier[0].weight, model.classifier[10].bias]
    return o.done()


def resnet_blocks(torch):
    """resnet-ex-1: a residual block with an identity shortcut, then one with a 1x1 conv
    projection on the shortcut."""
    F = torch.nn.functional

    class ConvNet(torch.nn.Module):
        def __init__(self, num_classes):
            super(ConvNet, self).__init__()
            # 28x28x1 => 28x28x4
            self.conv_1 = torch.nn.Conv2d(1, 4, kernel_size=(1, 1), stride=(1, 1), padding=0)
            self.conv_1_bn = torch.nn.BatchNorm2d(4)
            # 28x28x4 => 28x28x1
            self.conv_2 = torch.nn.Conv2d(4, 1, kernel_size=(3, 3), stride=(1, 1), padding=1)
            self.conv_2_bn = torch.nn.BatchNorm2d(1)
            # 28x28x1 => 14x14x8
            self.conv_3 = torch.nn.Conv2d(1, 8, kernel_size=(3, 3), stride=(2, 2), padding=1)
            self.conv_3_bn = torch.nn.BatchNorm2d(8)
            self.conv_4 = torch.nn.Conv2d(8, 8, kernel_size=(1, 1), stride=(1, 1), padding=0)
            self.conv_4_bn = torch.nn.BatchNorm2d(8)
            self.conv_shortcut_1 = torch.nn.Conv2d(1, 8, kernel_size=(1, 1), stride=(2, 2),
                                                   padding=0)
            self.conv_shortcut_1_bn = torch.nn.BatchNorm2d(8)
            self.linear_1 = torch.nn.Linear(14*14*8, num_classes)

        def forward(self, x):
            shortcut = x
            out = self.conv_1(x)
            out = self.conv_1_bn(out)
            out = F.relu(out)
            out = self.conv_2(out)
            out = self.conv_2_bn(out)
            out += shortcut
            out = F.relu(out)
            shortcut = out
            out = self.conv_3(out)
            out = self.conv_3_bn(out)
            out = F.relu(out)
            out = self.conv_4(out)
            out = self.conv_4_bn(out)
            shortcut = self.conv_shortcut_1(shortcut)
            shortcut = self.conv_shortcut_1_bn(shortcut)
            out += shortcut
            out = F.relu(out)
            logits = self.linear_1(out.view(-1, 14*14*8))
            probas = F.softmax(logits, dim=1)
            return logits, probas

    with Out() as o:
        torch.manual_seed(1)
        model = ConvNet(num_classes=10)
        # SGD where the notebook has Adam: the conv biases before a BatchNorm get a zero
        # gradient up to rounding, which Adam's first step scales to +-lr by its sign
        cost = _train(torch, o, model, _loader(torch),
                      optimizer=torch.optim.SGD(model.parameters(), lr=0.05))
        o.vals += [cost, model.conv_1.weight, model.conv_shortcut_1_bn.running_mean,
                   model.linear_1.bias]
    return o.done()


def densenet_block(torch):
    """cnn-densenet121-mnist: _DenseLayer (bn_function concatenating the features, optional
    checkpointing), _DenseBlock as an nn.ModuleDict, _Transition as an nn.Sequential."""
    nn = torch.nn
    F = torch.nn.functional
    cp = torch.utils.checkpoint
    from collections import OrderedDict

    def _bn_function_factory(norm, relu, conv):
        def bn_function(*inputs):
            concated_features = torch.cat(inputs, 1)
            bottleneck_output = conv(relu(norm(concated_features)))
            return bottleneck_output
        return bn_function

    class _DenseLayer(nn.Sequential):
        def __init__(self, num_input_features, growth_rate, bn_size, drop_rate,
                     memory_efficient=False):
            super(_DenseLayer, self).__init__()
            self.add_module('norm1', nn.BatchNorm2d(num_input_features)),
            self.add_module('relu1', nn.ReLU(inplace=True)),
            self.add_module('conv1', nn.Conv2d(num_input_features, bn_size * growth_rate,
                                               kernel_size=1, stride=1, bias=False)),
            self.add_module('norm2', nn.BatchNorm2d(bn_size * growth_rate)),
            self.add_module('relu2', nn.ReLU(inplace=True)),
            self.add_module('conv2', nn.Conv2d(bn_size * growth_rate, growth_rate,
                                               kernel_size=3, stride=1, padding=1,
                                               bias=False)),
            self.drop_rate = drop_rate
            self.memory_efficient = memory_efficient

        def forward(self, *prev_features):
            bn_function = _bn_function_factory(self.norm1, self.relu1, self.conv1)
            if self.memory_efficient and any(p.requires_grad for p in prev_features):
                bottleneck_output = cp.checkpoint(bn_function, *prev_features,
                                                  use_reentrant=False)
            else:
                bottleneck_output = bn_function(*prev_features)
            new_features = self.conv2(self.relu2(self.norm2(bottleneck_output)))
            if self.drop_rate > 0:
                new_features = F.dropout(new_features, p=self.drop_rate,
                                         training=self.training)
            return new_features

    class _DenseBlock(nn.Module):
        def __init__(self, num_layers, num_input_features, bn_size, growth_rate, drop_rate,
                     memory_efficient=False):
            super(_DenseBlock, self).__init__()
            for i in range(num_layers):
                layer = _DenseLayer(num_input_features + i * growth_rate,
                                    growth_rate=growth_rate, bn_size=bn_size,
                                    drop_rate=drop_rate, memory_efficient=memory_efficient)
                self.add_module('denselayer%d' % (i + 1), layer)

        def forward(self, init_features):
            features = [init_features]
            for name, layer in self.named_children():
                new_features = layer(*features)
                features.append(new_features)
            return torch.cat(features, 1)

    class _Transition(nn.Sequential):
        def __init__(self, num_input_features, num_output_features):
            super(_Transition, self).__init__()
            self.add_module('norm', nn.BatchNorm2d(num_input_features))
            self.add_module('relu', nn.ReLU(inplace=True))
            self.add_module('conv', nn.Conv2d(num_input_features, num_output_features,
                                              kernel_size=1, stride=1, bias=False))
            self.add_module('pool', nn.AvgPool2d(kernel_size=2, stride=2))

    class DenseNetTiny(nn.Module):
        def __init__(self, growth_rate=4, num_init_featuremaps=8, bn_size=2, drop_rate=0.2,
                     num_classes=10, memory_efficient=False):
            super(DenseNetTiny, self).__init__()
            self.features = nn.Sequential(OrderedDict([
                ('conv0', nn.Conv2d(1, num_init_featuremaps, kernel_size=7, stride=2,
                                    padding=3, bias=False)),
                ('norm0', nn.BatchNorm2d(num_features=num_init_featuremaps)),
                ('relu0', nn.ReLU(inplace=True)),
                ('pool0', nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
            ]))
            num_features = num_init_featuremaps
            block = _DenseBlock(num_layers=2, num_input_features=num_features,
                                bn_size=bn_size, growth_rate=growth_rate,
                                drop_rate=drop_rate, memory_efficient=memory_efficient)
            self.features.add_module('denseblock1', block)
            num_features = num_features + 2 * growth_rate
            trans = _Transition(num_input_features=num_features,
                                num_output_features=num_features // 2)
            self.features.add_module('transition1', trans)
            num_features = num_features // 2
            self.features.add_module('norm5', nn.BatchNorm2d(num_features))
            self.classifier = nn.Linear(num_features, num_classes)
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.constant_(m.bias, 0)

        def forward(self, x):
            features = self.features(x)
            out = F.relu(features, inplace=True)
            out = F.adaptive_avg_pool2d(out, (1, 1))
            out = torch.flatten(out, 1)
            logits = self.classifier(out)
            probas = F.softmax(logits, dim=1)
            return logits, probas

    with Out() as o:
        for eff in (False, True):
            torch.manual_seed(1)
            model = DenseNetTiny(memory_efficient=eff)
            o.print(model)
            cost = _train(torch, o, model, _loader(torch),
                          optimizer=torch.optim.Adam(model.parameters(), lr=0.001))
            o.vals += [cost, model.features.conv0.weight, model.classifier.bias,
                       model.features.denseblock1.denselayer2.norm2.running_var]
    return o.done()


def vgg_alexnet_small(torch):
    """cnn-vgg16 / cnn-alexnet-cifar10 shapes, narrowed: block_1 ... as nn.Sequential,
    weights initialised in __init__, AdaptiveAvgPool2d before the classifier."""
    nn = torch.nn
    F = torch.nn.functional

    class VGG16(nn.Module):
        def __init__(self, num_features, num_classes):
            super(VGG16, self).__init__()
            self.block_1 = nn.Sequential(
                nn.Conv2d(in_channels=3, out_channels=4, kernel_size=(3, 3), stride=(1, 1),
                          padding=1),
                nn.ReLU(),
                nn.Conv2d(in_channels=4, out_channels=4, kernel_size=(3, 3), stride=(1, 1),
                          padding=1),
                nn.ReLU(),
                nn.MaxPool2d(kernel_size=(2, 2), stride=(2, 2)))
            self.block_2 = nn.Sequential(
                nn.Conv2d(in_channels=4, out_channels=8, kernel_size=(3, 3), stride=(1, 1),
                          padding=1),
                nn.ReLU(),
                nn.MaxPool2d(kernel_size=(2, 2), stride=(2, 2)))
            self.classifier = nn.Sequential(
                nn.Linear(8*4*4, 32),
                nn.ReLU(True),
                nn.Dropout(p=0.5),
                nn.Linear(32, num_classes))
            for m in self.modules():
                if isinstance(m, torch.nn.Conv2d):
                    m.weight.detach().normal_(0, 0.05)
                    if m.bias is not None:
                        m.bias.detach().zero_()
                elif isinstance(m, torch.nn.Linear):
                    m.weight.detach().normal_(0, 0.05)
                    m.bias.detach().detach().zero_()
            self.avgpool = nn.AdaptiveAvgPool2d((4, 4))

        def forward(self, x):
            x = self.block_1(x)
            x = self.block_2(x)
            x = self.avgpool(x)
            x = x.view(x.size(0), -1)
            logits = self.classifier(x)
            probas = F.softmax(logits, dim=1)
            return logits, probas

    class AlexNet(nn.Module):
        def __init__(self, num_classes):
            super(AlexNet, self).__init__()
            self.features = nn.Sequential(
                nn.Conv2d(3, 8, kernel_size=11, stride=4, padding=2),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),
                nn.Conv2d(8, 8, kernel_size=3, padding=1, groups=2),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2),
            )
            self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
            self.classifier = nn.Sequential(
                nn.Dropout(0.5),
                nn.Linear(8 * 6 * 6, 16),
                nn.ReLU(inplace=True),
                nn.Linear(16, num_classes)
            )

        def forward(self, x):
            x = self.features(x)
            x = self.avgpool(x)
            x = x.view(x.size(0), 8 * 6 * 6)
            logits = self.classifier(x)
            probas = F.softmax(logits, dim=1)
            return logits, probas

    with Out() as o:
        torch.manual_seed(1)
        model = VGG16(num_features=3*20*20, num_classes=10)
        o.print(model)
        cost = _train(torch, o, model, _loader(torch, side=20, channels=3),
                      optimizer=torch.optim.Adam(model.parameters(), lr=0.001))
        o.vals += [cost, model.block_1[0].weight, model.classifier[3].bias]
        torch.manual_seed(1)
        model = AlexNet(10)
        o.print(model)
        cost = _train(torch, o, model, _loader(torch, side=64, channels=3),
                      optimizer=torch.optim.Adam(model.parameters(), lr=0.0001))
        o.vals += [cost, model.features[3].weight, model.classifier[3].bias]
    return o.done()
