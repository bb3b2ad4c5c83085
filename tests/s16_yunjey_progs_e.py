"""yunjey/pytorch-tutorial, 02-intermediate: the deep residual network (BatchNorm2d, in-place
ReLU, downsample blocks, lr decay through param_groups) and the (bidirectional) LSTM
classifiers, on random CIFAR/MNIST-like batches; for tests/test_programs_s16_yunjey.py."""

from s16_yunjey_progs import Out, _images



def resnet(L):
    nn = L.nn
    with Out() as o:
        def conv3x3(in_channels, out_channels, stride=1):
            return nn.Conv2d(in_channels, out_channels, kernel_size=3,
                             stride=stride, padding=1, bias=False)

        class ResidualBlock(nn.Module):
            def __init__(self, in_channels, out_channels, stride=1, downsample=None):
                super(ResidualBlock, self).__init__()
                self.conv1 = conv3x3(in_channels, out_channels, stride)
                self.bn1 = nn.BatchNorm2d(out_channels)
                self.relu = nn.ReLU(inplace=True)
                self.conv2 = conv3x3(out_channels, out_channels)
                self.bn2 = nn.BatchNorm2d(out_channels)
                self.downsample = downsample

            def forward(self, x):
                residual = x
                out = self.conv1(x)
                out = self.bn1(out)
                out = self.relu(out)
                out = self.conv2(out)
                out = self.bn2(out)
                if self.downsample:
                    residual = self.downsample(x)
                out += residual
                out = self.relu(out)
                return out

        class ResNet(nn.Module):
            def __init__(self, block, layers, num_classes=10):
                super(ResNet, self).__init__()
                self.in_channels = 4
                self.conv = conv3x3(3, 4)
                self.bn = nn.BatchNorm2d(4)
                self.relu = nn.ReLU(inplace=True)
                self.layer1 = self.make_layer(block, 4, layers[0])
                self.layer2 = self.make_layer(block, 8, layers[1], 2)
                self.avg_pool = nn.AvgPool2d(4)
                self.fc = nn.Linear(8, num_classes)

            def make_layer(self, block, out_channels, blocks, stride=1):
                downsample = None
                if (stride != 1) or (self.in_channels != out_channels):
                    downsample = nn.Sequential(
                        conv3x3(self.in_channels, out_channels, stride=stride),
                        nn.BatchNorm2d(out_channels))
                layers = []
                layers.append(block(self.in_channels, out_channels, stride, downsample))
                self.in_channels = out_channels
                for i in range(1, blocks):
                    layers.append(block(out_channels, out_channels))
                return nn.Sequential(*layers)

            def forward(self, x):
                out = self.conv(x)
                out = self.bn(out)
                out = self.relu(out)
                out = self.layer1(out)
                out = self.layer2(out)
                out = self.avg_pool(out)
                out = out.view(out.size(0), -1)
                out = self.fc(out)
                return out
        L.manual_seed(0)
        model = ResNet(ResidualBlock, [2, 1])
        o.print(model)
        criterion = nn.CrossEntropyLoss()
        learning_rate = 0.001
        optimizer = L.optim.Adam(model.parameters(), lr=learning_rate)

        def update_lr(optimizer, lr):
            for param_group in optimizer.param_groups:
                param_group['lr'] = lr
        x, y = _images(L, 8, 3, 8, 8, 3)
        curr_lr = learning_rate
        for epoch in range(2):
            for i in range(2):
                images, labels = x[i * 4:(i + 1) * 4], y[i * 4:(i + 1) * 4]
                outputs = model(images)
                loss = criterion(outputs, labels)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                o.print("Epoch [{}/{}], Step [{}/{}] Loss: {:.2f}"
                        .format(epoch + 1, 2, i + 1, 2, loss.item()))
                o.vals.append(loss.item())
            curr_lr /= 3
            update_lr(optimizer, curr_lr)
        o.print(optimizer.param_groups[0]['lr'], optimizer)
        model.eval()
        with L.no_grad():
            outputs = model(x)
            _, predicted = L.max(outputs.data, 1)
            o.print(predicted.dtype, outputs.requires_grad)
        o.print(sum(p.numel() for p in model.parameters()))
        o.vals += [outputs, model.bn.running_mean, model.layer2[0].downsample[1].running_var]
        # in-place pitfalls
        r = nn.ReLU(inplace=True)
        a = L.randn(3, requires_grad=True)
        o.tryit(lambda: r(a))
        o.tryit(lambda: r(a * 1).grad_fn.name())
        b = a.sigmoid()
        c = b * 2
        b += 1
        o.tryit(lambda: c.sum().backward())
    return o.done()


def rnn(L):
    nn = L.nn
    with Out() as o:
        class RNN(nn.Module):
            def __init__(self, input_size, hidden_size, num_layers, num_classes):
                super(RNN, self).__init__()
                self.hidden_size = hidden_size
                self.num_layers = num_layers
                self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True)
                self.fc = nn.Linear(hidden_size, num_classes)

            def forward(self, x):
                h0 = L.zeros(self.num_layers, x.size(0), self.hidden_size)
                c0 = L.zeros(self.num_layers, x.size(0), self.hidden_size)
                out, _ = self.lstm(x, (h0, c0))
                out = self.fc(out[:, -1, :])
                return out

        class BiRNN(nn.Module):
            def __init__(self, input_size, hidden_size, num_layers, num_classes):
                super(BiRNN, self).__init__()
                self.hidden_size = hidden_size
                self.num_layers = num_layers
                self.lstm = nn.LSTM(input_size, hidden_size, num_layers,
                                    batch_first=True, bidirectional=True)
                self.fc = nn.Linear(hidden_size * 2, num_classes)

            def forward(self, x):
                h0 = L.zeros(self.num_layers * 2, x.size(0), self.hidden_size)
                c0 = L.zeros(self.num_layers * 2, x.size(0), self.hidden_size)
                out, _ = self.lstm(x, (h0, c0))
                out = self.fc(out[:, -1, :])
                return out
        L.manual_seed(0)
        sequence_length, input_size = 6, 5
        x, y = _images(L, 8, 1, sequence_length, input_size, 4)
        for cls in (RNN, BiRNN):
            model = cls(input_size, 7, 2, 10)
            o.print(model)
            criterion = nn.CrossEntropyLoss()
            optimizer = L.optim.Adam(model.parameters(), lr=0.01)
            for i in range(3):
                images = x.reshape(-1, sequence_length, input_size)
                outputs = model(images)
                loss = criterion(outputs, y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                o.print('Epoch [{}/{}], Step [{}/{}], Loss: {:.3f}'
                        .format(1, 1, i + 1, 3, loss.item()))
                o.vals.append(loss.item())
            o.vals.append(outputs)
            o.print([(n, tuple(p.shape)) for n, p in model.lstm.named_parameters()])
        o.tryit(lambda: model(x))
        o.tryit(lambda: model.lstm(x.reshape(8, 6, 5), L.zeros(4, 8, 7)))
        o.tryit(lambda: model.lstm(x.reshape(8, 6, 5), (L.zeros(2, 8, 7), L.zeros(2, 8, 7))))
        o.tryit(lambda: model.lstm(x.reshape(8, 6, 5).double()))
        o.tryit(lambda: nn.LSTM(5, 7, 2, batch_first=True, dropout=0.5))
        o.tryit(lambda: nn.LSTM(5, 7, 1, dropout=0.5))
        o.tryit(lambda: nn.LSTM(5, 7, 1, dropout=1.5))
        out, (h, c) = model.lstm(x.reshape(8, 6, 5))
        o.print(out.shape, h.shape, c.shape, type(out.grad_fn).__name__)
    return o.done()
