"""rasbt/deeplearning-models, pytorch_ipynb/mlp and pytorch_ipynb/cnn (basic, dropout and
batch-norm MLPs, weight initialisations, basic / all-convolutional / He-init CNNs) as users
type them, scaled down on random image tensors (2 training steps), and an MLP trained by
helper_train.py's train_classifier_simple_v1, as ``prog(L) -> (printed, values)``."""

from s16_yunjey_progs import Out
from s17_rasbtdlm_progs import (compute_epoch_loss, mnist_like,
                                train_classifier_simple_v1)


def _train(torch, o, model, loader, lr=0.1, num_epochs=1, flatten=False, probas_out=True,
           optimizer=None):
    """The notebooks' loop: logits(, probas) = model(features), F.cross_entropy, the
    'Epoch: %03d/%03d | Batch %03d/%03d | Cost: %.4f' line, then the accuracy line."""
    F = torch.nn.functional
    if optimizer is None:
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)

    def compute_accuracy(net, data_loader):
        net.eval()
        correct_pred, num_examples = 0, 0
        with torch.no_grad():
            for features, targets in data_loader:
                if flatten:
                    features = features.view(-1, 28*28)
                out = net(features)
                logits = out[0] if probas_out else out
                _, predicted_labels = torch.max(logits, 1)
                num_examples += targets.size(0)
                correct_pred += (predicted_labels == targets).sum()
        return correct_pred.float()/num_examples * 100

    for epoch in range(num_epochs):
        model.train()
        for batch_idx, (features, targets) in enumerate(loader):
            if flatten:
                features = features.view(-1, 28*28)
            out = model(features)
            logits = out[0] if probas_out else out
            cost = F.cross_entropy(logits, targets)
            optimizer.zero_grad()
            cost.backward()
            optimizer.step()
            o.print('Epoch: %03d/%03d | Batch %03d/%03d | Cost: %.4f'
                    % (epoch+1, num_epochs, batch_idx, len(loader), cost))
        with torch.set_grad_enabled(False):
            o.print('Epoch: %03d/%03d training accuracy: %.2f%%' % (
                epoch+1, num_epochs, compute_accuracy(model, loader)))
    o.print('Test accuracy: %.2f%%' % (compute_accuracy(model, loader)))
    o.print('Total parameters: %d' % sum(p.numel() for p in model.parameters()
                                         if p.requires_grad))
    return cost


def _loader(torch, n=16, side=28, channels=1, bs=8):
    torch.manual_seed(1)
    return torch.utils.data.DataLoader(mnist_like(torch, n, side, channels), batch_size=bs,
                                       shuffle=True)


def mlp_variants(torch):
    F = torch.nn.functional

    class MultilayerPerceptron(torch.nn.Module):
        def __init__(self, num_features, num_classes, drop_proba=0.0, batchnorm=False):
            super(MultilayerPerceptron, self).__init__()
            self.drop_proba = drop_proba
            self.batchnorm = batchnorm
            self.linear_1 = torch.nn.Linear(num_features, 32)
            self.linear_1.weight.detach().normal_(0.0, 0.1)
            self.linear_1.bias.detach().zero_()
            self.linear_1_bn = torch.nn.BatchNorm1d(32)
            self.linear_2 = torch.nn.Linear(32, 16)
            self.linear_2.weight.detach().normal_(0.0, 0.1)
            self.linear_2.bias.detach().zero_()
            self.linear_2_bn = torch.nn.BatchNorm1d(16)
            self.linear_out = torch.nn.Linear(16, num_classes)
            self.linear_out.weight.detach().normal_(0.0, 0.1)
            self.linear_out.bias.detach().zero_()

        def forward(self, x):
            out = self.linear_1(x)
            if self.batchnorm:
                out = self.linear_1_bn(out)
            out = F.relu(out)
            out = F.dropout(out, p=self.drop_proba, training=self.training)
            out = self.linear_2(out)
            if self.batchnorm:
                out = self.linear_2_bn(out)
            out = F.relu(out)
            out = F.dropout(out, p=self.drop_proba, training=self.training)
            logits = self.linear_out(out)
            probas = F.log_softmax(logits, dim=1)
            return logits, probas

    with Out() as o:
        for kw in ({}, {'drop_proba': 0.5}, {'batchnorm': True}):
            torch.manual_seed(1)
            model = MultilayerPerceptron(num_features=784, num_classes=10, **kw)
            o.print(model)
            cost = _train(torch, o, model, _loader(torch), flatten=True)
            o.vals += [cost, model.linear_out.weight, model.linear_1_bn.running_mean,
                       model.linear_1_bn.running_var]
            o.print(model.linear_1_bn.num_batches_tracked)
    return o.done()


def mlp_initialisations(torch):
    """mlp-pytorch_xavier-init / mlp-pytorch_he-init: nn.init on every Linear."""
    nn = torch.nn
    with Out() as o:
        for init in ('xavier', 'kaiming', 'normal'):
            torch.manual_seed(123)
            model = nn.Sequential(nn.Linear(784, 32), nn.Tanh() if init == 'xavier' else
                                  nn.ReLU(), nn.Linear(32, 10))
            for m in model.modules():
                if isinstance(m, torch.nn.Linear):
                    if init == 'xavier':
                        torch.nn.init.xavier_uniform_(m.weight)
                        m.bias.detach().zero_()
                    elif init == 'kaiming':
                        nn.init.kaiming_normal_(m.weight.detach(), mode='fan_in',
                                                nonlinearity='relu')
                        nn.init.constant_(m.bias, 0.)
                    else:
                        nn.init.normal_(m.weight, mean=0, std=0.01)
                        m.bias.data.fill_(0.01)
            cost = _train(torch, o, model, _loader(torch), flatten=True, probas_out=False)
            o.vals += [cost, model[0].weight, model[2].bias]
    return o.done()


def cnn_basic_and_he(torch):
    F = torch.nn.functional

    class ConvNet(torch.nn.Module):
        def __init__(self, num_classes, he_init=False):
            super(ConvNet, self).__init__()
            # 28x28x1 => 28x28x4
            self.conv_1 = torch.nn.Conv2d(in_channels=1, out_channels=4, kernel_size=(3, 3),
                                          stride=(1, 1), padding=1)
            # 28x28x4 => 14x14x4
            self.pool_1 = torch.nn.MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=0)
            self.conv_2 = torch.nn.Conv2d(in_channels=4, out_channels=8, kernel_size=(3, 3),
                                          stride=(1, 1), padding=1)
            self.pool_2 = torch.nn.MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=0)
            self.linear_1 = torch.nn.Linear(7*7*8, num_classes)
            for m in self.modules():
                if isinstance(m, torch.nn.Conv2d) or isinstance(m, torch.nn.Linear):
                    if he_init:
                        torch.nn.init.kaiming_uniform_(m.weight.detach())
                    else:
                        m.weight.detach().normal_(0.0, 0.01)
                    m.bias.detach().zero_()

        def forward(self, x):
            out = self.conv_1(x)
            out = F.relu(out)
            out = self.pool_1(out)
            out = self.conv_2(out)
            out = F.relu(out)
            out = self.pool_2(out)
            logits = self.linear_1(out.view(-1, 7*7*8))
            probas = F.softmax(logits, dim=1)
            return logits, probas

    with Out() as o:
        for he in (False, True):
            torch.manual_seed(1)
            model = ConvNet(num_classes=10, he_init=he)
            o.print(model)
            optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
            cost = _train(torch, o, model, _loader(torch), optimizer=optimizer)
            o.vals += [cost, model.conv_1.weight, model.linear_1.bias]
    return o.done()


def cnn_allconv(torch):
    F = torch.nn.functional

    class ConvNet(torch.nn.Module):
        def __init__(self, num_classes):
            super(ConvNet, self).__init__()
            self.num_classes = num_classes
            self.conv_1 = torch.nn.Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=1,
                                          bias=False)
            self.conv_1_bn = torch.nn.BatchNorm2d(4)
            self.conv_2 = torch.nn.Conv2d(4, 4, kernel_size=(3, 3), stride=(2, 2), padding=1,
                                          bias=False)
            self.conv_2_bn = torch.nn.BatchNorm2d(4)
            self.conv_3 = torch.nn.Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1), padding=1,
                                          bias=False)
            self.conv_3_bn = torch.nn.BatchNorm2d(8)
            self.conv_4 = torch.nn.Conv2d(8, 8, kernel_size=(3, 3), stride=(2, 2), padding=1,
                                          bias=False)
            self.conv_4_bn = torch.nn.BatchNorm2d(8)
            self.conv_5 = torch.nn.Conv2d(8, 10, kernel_size=(3, 3), stride=(1, 1),
                                          padding=1, bias=False)

        def forward(self, x):
            out = F.relu(self.conv_1_bn(self.conv_1(x)))
            out = F.relu(self.conv_2_bn(self.conv_2(out)))
            out = F.relu(self.conv_3_bn(self.conv_3(out)))
            out = F.relu(self.conv_4_bn(self.conv_4(out)))
            out = self.conv_5(out)
            logits = F.adaptive_avg_pool2d(out, 1)
            # drop width
            logits.squeeze_(-1)
            # drop height
            logits.squeeze_(-1)
            probas = torch.softmax(logits, dim=1)
            return logits, probas

    with Out() as o:
        torch.manual_seed(1)
        model = ConvNet(num_classes=10)
        o.print(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
        cost = _train(torch, o, model, _loader(torch), optimizer=optimizer)
        o.vals += [cost, model.conv_1.weight, model.conv_4_bn.running_var]
    return o.done()


def helper_training_loop(torch):
    """An MLP trained with helper_train.train_classifier_simple_v1 (which looks at
    torch.distributed.rpc.api.RRef) and evaluated with the helper_evaluate functions."""
    device = torch.device('cpu')
    torch.manual_seed(123)
    train_loader = torch.utils.data.DataLoader(mnist_like(torch, 24), batch_size=12,
                                               shuffle=True, drop_last=True)
    valid_loader = torch.utils.data.DataLoader(mnist_like(torch, 12, seed=2), batch_size=12)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 32),
                                torch.nn.ReLU(), torch.nn.Linear(32, 10))
    optimizer = torch.optim.SGD(model.parameters(), momentum=0.9, lr=0.1)
    with Out() as o:
        o.print(model)
        log_dict = train_classifier_simple_v1(torch, o, num_epochs=2, model=model,
                                              optimizer=optimizer, device=device,
                                              train_loader=train_loader,
                                              valid_loader=valid_loader, logging_interval=1)
        for k, v in log_dict.items():
            o.print(k, len(v), ['%.3f' % i for i in v])
        o.vals += [model[1].weight, model[3].bias,
                   compute_epoch_loss(torch, model, valid_loader, device)]
    return o.done()
