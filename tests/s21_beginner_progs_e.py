"""L1aoXingyu/pytorch-beginner 00-Pytorch Basics/basic.ipynb (tensor basics, Variable
gradients), 04-Convolutional Neural Network/convolution_network.py (running accuracy
summed from 0-dim tensors), 12-data io/custom_data_io.py (a Dataset of (path, label) and a
padding collate_fn), and chenyuntc/pytorch-book chapter8-风格迁移(Neural Style)
transformer_net.py / utils.py (InstanceNorm TransformerNet with Upsample + ReflectionPad,
normalize_batch with ``batch.data.new(list)`` / expand_as, gram_matrix, a small
PackedVGG). Data are seeded tensors."""

import os
import tempfile
from collections import namedtuple
import numpy as np
from s16_yunjey_progs import Out, _images


def basics_notebook(L):
    """00-Pytorch Basics/basic.ipynb, cell by cell (torch.Tensor(5, 4) left out: its
    values are uninitialised memory)."""
    torch, Variable, nn = L, L.autograd.Variable, L.nn
    torch.manual_seed(18)
    with Out() as o:
        o.print(torch.Tensor(5, 4).shape, torch.Tensor(5, 4).dtype)
        o.print(torch.rand(5, 4))
        a = torch.rand(5, 4)
        o.print(a.size())
        a = torch.rand(5, 4)
        b = a.numpy()
        o.print(b)
        a = np.array([[3, 4], [3, 6]])
        b = torch.from_numpy(a)
        o.print(b)
        x = torch.rand(5, 4)
        y = torch.rand(5, 4)
        c = 3
        o.print(c * x)
        o.print(x + y)
        o.print(x.add(y))
        o.print(x.add_(y))
        o.print(x)
        o.print(torch.cuda.is_available())
        o.tryit(lambda: torch.rand(5, 4).cuda())
        x = Variable(torch.Tensor([3]), requires_grad=True)
        y = Variable(torch.Tensor([5]), requires_grad=True)
        z = 2 * x + y + 4
        z.backward()
        o.print('dz/dx: {}'.format(x.grad.data))
        o.print('dz/dy: {}'.format(y.grad.data))
        o.print(z, z.grad_fn.next_functions[0][0].name())

        class net_name(nn.Module):
            def __init__(self):
                super(net_name, self).__init__()
                self.conv1 = nn.Conv2d(3, 10, 3)

            def forward(self, x):
                return self.conv1(x)

        net = net_name()
        o.print(net)
        out = net(torch.rand(1, 3, 6, 6))
        o.vals += [out, x.grad, a]
    return o.done()


def cnn_mnist(L):
    """04-Convolutional Neural Network/convolution_network.py: LeNet-like Cnn, SGD."""
    torch, nn, optim, Variable = L, L.nn, L.optim, L.autograd.Variable
    DataLoader = L.utils.data.DataLoader
    torch.manual_seed(19)
    x, y = _images(L, 24, 1, 28, 28, 19)
    xt, yt = _images(L, 10, 1, 28, 28, 20)
    train_dataset = L.utils.data.TensorDataset(x, y)
    test_dataset = L.utils.data.TensorDataset(xt, yt)
    batch_size, num_epoches = 8, 2
    train_loader = DataLoader(train_dataset, batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(test_dataset, batch_size=batch_size, shuffle=False)

    class Cnn(nn.Module):
        def __init__(self, in_dim, n_class):
            super(Cnn, self).__init__()
            self.conv = nn.Sequential(
                nn.Conv2d(in_dim, 6, 3, stride=1, padding=1), nn.MaxPool2d(2, 2),
                nn.Conv2d(6, 16, 5, stride=1, padding=0), nn.MaxPool2d(2, 2))
            self.fc = nn.Sequential(nn.Linear(400, 120), nn.Linear(120, 84),
                                    nn.Linear(84, n_class))

        def forward(self, x):
            out = self.conv(x)
            out = out.view(out.size(0), -1)
            return self.fc(out)

    with Out() as o:
        model = Cnn(1, 10)
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.SGD(model.parameters(), lr=1e-2)
        for epoch in range(num_epoches):
            o.print('epoch {}'.format(epoch + 1))
            running_loss = 0.0
            running_acc = 0.0
            for i, data in enumerate(train_loader, 1):
                img, label = data
                out = model(img)
                loss = criterion(out, label)
                running_loss += loss.data * label.size(0)
                _, pred = torch.max(out, 1)
                num_correct = (pred == label).sum()
                running_acc += num_correct.data
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            o.print('Finish {} epoch, Loss: {:.4f}, Acc: {:.6f}'.format(
                epoch + 1, running_loss / (len(train_dataset)),
                running_acc / (len(train_dataset))))
            o.print(type(running_acc).__name__, running_acc.dtype, (running_acc / 24).dtype)
            model.eval()
            eval_loss, eval_acc = 0, 0
            for data in test_loader:
                img, label = data
                img = Variable(img, volatile=True)
                label = Variable(label, volatile=True)
                out = model(img)
                loss = criterion(out, label)
                eval_loss += loss.data * label.size(0)
                _, pred = torch.max(out, 1)
                eval_acc += (pred == label).sum().data
            o.print('Test Loss: {:.4f}, Acc: {:.6f}'.format(
                eval_loss / (len(test_dataset)), eval_acc / (len(test_dataset))))
        o.vals += [out, model.fc[0].weight]
    return o.done()


def custom_data_io(L):
    """12-data io/custom_data_io.py: custom_dset over train.txt lines (image path, label
    string) and collate_fn padding the label characters; the default collate next to it."""
    torch = L
    Dataset, DataLoader = L.utils.data.Dataset, L.utils.data.DataLoader
    torch.manual_seed(20)

    class custom_dset(Dataset):
        def __init__(self, img_path, txt_path, img_transform=None, loader=None):
            with open(txt_path, 'r') as f:
                lines = f.readlines()
                self.img_list = [os.path.join(img_path, i.split()[0]) for i in lines]
                self.label_list = [i.split()[1] for i in lines]
            self.img_transform = img_transform
            self.loader = loader

        def __getitem__(self, index):
            img = self.img_list[index]
            label = self.label_list[index]
            if self.img_transform is not None:
                img = self.img_transform(img)
            return img, label

        def __len__(self):
            return len(self.label_list)

    def collate_fn(batch):
        batch.sort(key=lambda x: len(x[1]), reverse=True)
        img, label = zip(*batch)
        pad_label, lens = [], []
        max_len = len(label[0])
        for i in range(len(label)):
            temp_label = [0] * max_len
            temp_label[:len(label[i])] = label[i]
            pad_label.append(temp_label)
            lens.append(len(label[i]))
        return img, pad_label, lens

    with Out() as o, tempfile.TemporaryDirectory() as d:
        txt = os.path.join(d, 'train.txt')
        with open(txt, 'w') as f:
            f.write('1.jpg 421\n2.jpg 8\n3.jpg 7734\n4.jpg 55\n5.jpg 601\n')
        dset = custom_dset('./data', txt, img_transform=lambda p: os.path.basename(p))
        o.print(len(dset), dset[2])
        loader = DataLoader(dset, batch_size=2, shuffle=True, collate_fn=collate_fn)
        for img, label, lens in loader:
            o.print(img, label, lens)
        loader = DataLoader(dset, batch_size=2, shuffle=False)
        for batch in loader:
            o.print(type(batch).__name__, batch)
        num = DataLoader(L.utils.data.TensorDataset(L.arange(10.), L.arange(10)),
                         batch_size=4, shuffle=True, drop_last=True)
        for xb, yb in num:
            o.print(xb, yb)
        o.print(len(num), len(loader))
    return o.done()


def neural_style(L):
    """chapter8 transformer_net.py / utils.py and PackedVGG: one fast-style-transfer step."""
    t, nn = L, L.nn
    t.manual_seed(21)
    IMAGENET_MEAN = [0.485, 0.456, 0.406]
    IMAGENET_STD = [0.229, 0.224, 0.225]

    class ConvLayer(nn.Module):
        def __init__(self, in_channels, out_channels, kernel_size, stride):
            super(ConvLayer, self).__init__()
            reflection_padding = int(np.floor(kernel_size / 2))
            self.reflection_pad = nn.ReflectionPad2d(reflection_padding)
            self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, stride)

        def forward(self, x):
            return self.conv2d(self.reflection_pad(x))

    class UpsampleConvLayer(nn.Module):
        def __init__(self, in_channels, out_channels, kernel_size, stride, upsample=None):
            super(UpsampleConvLayer, self).__init__()
            self.upsample = upsample
            if upsample:
                self.upsample_layer = nn.Upsample(scale_factor=upsample)
            reflection_padding = int(np.floor(kernel_size / 2))
            self.reflection_pad = nn.ReflectionPad2d(reflection_padding)
            self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, stride)

        def forward(self, x):
            x_in = x
            if self.upsample:
                x_in = self.upsample_layer(x_in)
            return self.conv2d(self.reflection_pad(x_in))

    class ResidualBlock(nn.Module):
        def __init__(self, channels):
            super(ResidualBlock, self).__init__()
            self.conv1 = ConvLayer(channels, channels, kernel_size=3, stride=1)
            self.in1 = nn.InstanceNorm2d(channels, affine=True)
            self.conv2 = ConvLayer(channels, channels, kernel_size=3, stride=1)
            self.in2 = nn.InstanceNorm2d(channels, affine=True)
            self.relu = nn.ReLU()

        def forward(self, x):
            residual = x
            out = self.relu(self.in1(self.conv1(x)))
            out = self.in2(self.conv2(out))
            return out + residual

    class TransformerNet(nn.Module):
        def __init__(self):
            super(TransformerNet, self).__init__()
            self.initial_layers = nn.Sequential(
                ConvLayer(3, 4, kernel_size=9, stride=1), nn.InstanceNorm2d(4, affine=True),
                nn.ReLU(True),
                ConvLayer(4, 6, kernel_size=3, stride=2), nn.InstanceNorm2d(6, affine=True),
                nn.ReLU(True),
                ConvLayer(6, 8, kernel_size=3, stride=2), nn.InstanceNorm2d(8, affine=True),
                nn.ReLU(True))
            self.res_layers = nn.Sequential(ResidualBlock(8), ResidualBlock(8))
            self.upsample_layers = nn.Sequential(
                UpsampleConvLayer(8, 6, kernel_size=3, stride=1, upsample=2),
                nn.InstanceNorm2d(6, affine=True), nn.ReLU(True),
                UpsampleConvLayer(6, 4, kernel_size=3, stride=1, upsample=2),
                nn.InstanceNorm2d(4, affine=True), nn.ReLU(True),
                ConvLayer(4, 3, kernel_size=9, stride=1))

        def forward(self, x):
            return self.upsample_layers(self.res_layers(self.initial_layers(x)))

    class Vgg16(nn.Module):  # PackedVGG with vgg16().features' first 16 layers, shrunk
        def __init__(self):
            super(Vgg16, self).__init__()
            C, R, P = nn.Conv2d, lambda: nn.ReLU(inplace=True), lambda: nn.MaxPool2d(2, 2)
            features = [C(3, 4, 3, padding=1), R(), C(4, 4, 3, padding=1), R(), P(),
                        C(4, 6, 3, padding=1), R(), C(6, 6, 3, padding=1), R(), P(),
                        C(6, 8, 3, padding=1), R(), C(8, 8, 3, padding=1), R(),
                        C(8, 8, 3, padding=1), R()]
            self.slice1, self.slice2 = nn.Sequential(), nn.Sequential()
            self.slice3 = nn.Sequential()
            for x in range(4):
                self.slice1.add_module(str(x), features[x])
            for x in range(4, 9):
                self.slice2.add_module(str(x), features[x])
            for x in range(9, 16):
                self.slice3.add_module(str(x), features[x])
            for param in self.parameters():
                param.requires_grad = False

        def forward(self, X):
            h = self.slice1(X)
            h_relu1_2 = h
            h = self.slice2(h)
            h_relu2_2 = h
            h = self.slice3(h)
            h_relu3_3 = h
            vgg_outputs = namedtuple("VggOutputs", ['relu1_2', 'relu2_2', 'relu3_3'])
            return vgg_outputs(h_relu1_2, h_relu2_2, h_relu3_3)

    def gram_matrix(y):
        (b, ch, h, w) = y.size()
        features = y.view(b, ch, w * h)
        features_t = features.transpose(1, 2)
        return features.bmm(features_t) / (ch * h * w)

    def normalize_batch(batch):
        mean = batch.data.new(IMAGENET_MEAN).view(1, -1, 1, 1)
        std = batch.data.new(IMAGENET_STD).view(1, -1, 1, 1)
        mean = (mean.expand_as(batch.data))
        std = (std.expand_as(batch.data))
        return (batch / 255.0 - mean) / std

    rng = np.random.default_rng(21)
    x = t.from_numpy(rng.uniform(0, 255, (2, 3, 16, 16)).astype(np.float32))
    style = t.from_numpy(rng.uniform(-2, 2, (1, 3, 16, 16)).astype(np.float32))
    with Out() as o:
        transformer, vgg = TransformerNet(), Vgg16().eval()
        optimizer = t.optim.Adam(transformer.parameters(), 1e-3)
        features_style = vgg(style)
        gram_style = [gram_matrix(y) for y in features_style]
        for ii in range(2):
            optimizer.zero_grad()
            y = transformer(x)
            y = normalize_batch(y)
            x_n = normalize_batch(x)
            features_y = vgg(y)
            features_x = vgg(x_n)
            content_loss = 1e5 * nn.functional.mse_loss(features_y.relu2_2, features_x.relu2_2)
            style_loss = 0.
            for ft_y, gm_s in zip(features_y, gram_style):
                gram_y = gram_matrix(ft_y)
                style_loss += nn.functional.mse_loss(gram_y, gm_s.expand_as(gram_y))
            style_loss *= 1e10
            total_loss = content_loss + style_loss
            total_loss.backward()
            optimizer.step()
            o.print('content {:.4f} style {:.3f}e5'.format(content_loss.item(),
                                                           style_loss.item() / 1e5))
        o.print(y.shape, gram_style[2].shape, normalize_batch(x).requires_grad)
        o.print(transformer.initial_layers[1], vgg.slice2)
        o.vals += [y, transformer.res_layers[0].in1.weight]
    return o.done()
