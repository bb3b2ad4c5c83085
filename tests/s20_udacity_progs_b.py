"""udacity/deep-learning-v2-pytorch, convolutional-neural-networks (mnist-mlp solution with
validation, cifar-cnn solution, conv-visualization with custom filters) and autoencoder
(linear, convolutional with ConvTranspose2d and with upsampling, denoising) as users type
them, scaled down on random images, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s20_udacity.py."""

import os
import tempfile

import numpy as np
from s16_yunjey_progs import Out
from s20_udacity_progs import _loader


def _train_valid_loaders(L, n, shape, batch_size, seed):
    """The notebooks' SubsetRandomSampler split of a training set into train / valid."""
    rng = np.random.default_rng(seed)
    x = L.from_numpy(rng.integers(0, 256, (n, *shape), dtype=np.uint8)).float() / 255
    y = L.from_numpy(rng.integers(0, 10, n))
    train_data = L.utils.data.TensorDataset(x, y)
    valid_size = 0.2
    num_train = len(train_data)
    indices = list(range(num_train))
    np.random.shuffle(indices)
    split = int(np.floor(valid_size * num_train))
    train_idx, valid_idx = indices[split:], indices[:split]
    SubsetRandomSampler = L.utils.data.sampler.SubsetRandomSampler
    train_sampler = SubsetRandomSampler(train_idx)
    valid_sampler = SubsetRandomSampler(valid_idx)
    train_loader = L.utils.data.DataLoader(train_data, batch_size=batch_size,
                                           sampler=train_sampler, num_workers=0)
    valid_loader = L.utils.data.DataLoader(train_data, batch_size=batch_size,
                                           sampler=valid_sampler, num_workers=0)
    return train_loader, valid_loader


def _fit_and_test(L, o, model, criterion, optimizer, train_loader, valid_loader, test_loader,
                  n_epochs, batch_size, classes, path, flat):
    """The mnist-mlp / cifar-cnn training loop with validation and checkpointing, then the
    per-class test accuracy loop."""
    torch = L
    valid_loss_min = np.inf
    for epoch in range(1, n_epochs+1):
        train_loss = 0.0
        valid_loss = 0.0
        model.train()
        for data, target in train_loader:
            optimizer.zero_grad()
            output = model(data)
            loss = criterion(output, target)
            loss.backward()
            optimizer.step()
            train_loss += loss.item()*data.size(0)
        model.eval()
        for data, target in valid_loader:
            output = model(data)
            loss = criterion(output, target)
            valid_loss += loss.item()*data.size(0)
        train_loss = train_loss/len(train_loader.sampler)
        valid_loss = valid_loss/len(valid_loader.sampler)
        o.print('Epoch: {} \tTraining Loss: {:.4f} \tValidation Loss: {:.4f}'.format(
            epoch, train_loss, valid_loss))
        if valid_loss <= valid_loss_min:
            o.print('Validation loss decreased ({:.4f} --> {:.4f}).  Saving model ...'.format(
                valid_loss_min, valid_loss))
            torch.save(model.state_dict(), path)
            valid_loss_min = valid_loss
    model.load_state_dict(torch.load(path))

    test_loss = 0.0
    class_correct = list(0. for i in range(10))
    class_total = list(0. for i in range(10))
    model.eval()
    for data, target in test_loader:
        output = model(data)
        loss = criterion(output, target)
        test_loss += loss.item()*data.size(0)
        _, pred = torch.max(output, 1)
        correct = np.squeeze(pred.eq(target.data.view_as(pred)))
        for i in range(batch_size):
            label = target.data[i]
            class_correct[label] += correct[i].item()
            class_total[label] += 1
    test_loss = test_loss/len(test_loader.dataset)
    o.print('Test Loss: {:.4f}\n'.format(test_loss))
    for i in range(10):
        if class_total[i] > 0:
            o.print('Test Accuracy of %5s: %2d%% (%2d/%2d)' % (
                classes[i], 100 * class_correct[i] / class_total[i],
                np.sum(class_correct[i]), np.sum(class_total[i])))
        else:
            o.print('Test Accuracy of %5s: N/A (no training examples)' % (classes[i]))
    o.print('\nTest Accuracy (Overall): %2d%% (%2d/%2d)' % (
        100. * np.sum(class_correct) / np.sum(class_total),
        np.sum(class_correct), np.sum(class_total)))
    o.print(type(correct).__name__, correct.dtype, correct.shape)


def mnist_mlp(L):
    """convolutional-neural-networks/mnist-mlp/mnist_mlp_solution_with_validation.ipynb."""
    torch = L
    nn, F = L.nn, L.nn.functional
    with Out() as o:
        torch.manual_seed(0); np.random.seed(0)
        batch_size = 8
        train_loader, valid_loader = _train_valid_loaders(L, 40, (1, 28, 28), batch_size, 0)
        test_loader = _loader(L, 16, (1, 28, 28), batch_size, 1, shuffle=False)

        class Net(nn.Module):
            def __init__(self):
                super(Net, self).__init__()
                hidden_1 = 512
                hidden_2 = 512
                self.fc1 = nn.Linear(28 * 28, hidden_1)
                self.fc2 = nn.Linear(hidden_1, hidden_2)
                self.fc3 = nn.Linear(hidden_2, 10)
                self.dropout = nn.Dropout(0.2)

            def forward(self, x):
                x = x.view(-1, 28 * 28)
                x = F.relu(self.fc1(x))
                x = self.dropout(x)
                x = F.relu(self.fc2(x))
                x = self.dropout(x)
                x = self.fc3(x)
                return x

        model = Net()
        o.print(model)
        criterion = nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
        with tempfile.TemporaryDirectory() as d:
            _fit_and_test(L, o, model, criterion, optimizer, train_loader, valid_loader,
                          test_loader, 3, batch_size, [str(i) for i in range(10)],
                          os.path.join(d, 'model.pt'), True)
        dataiter = iter(test_loader)
        images, labels = next(dataiter)
        output = model(images)
        _, preds = torch.max(output, 1)
        images = images.numpy()
        o.print(images.shape, images.dtype)
        o.print("{} ({})".format(str(preds[0].item()), str(labels[0].item())))
        o.vals += [output, preds, model.fc3.weight]
    return o.done()


def cifar_cnn(L):
    """convolutional-neural-networks/cifar-cnn/cifar10_cnn_solution.ipynb."""
    torch = L
    nn, F, optim = L.nn, L.nn.functional, L.optim
    with Out() as o:
        torch.manual_seed(0); np.random.seed(1)
        batch_size = 8
        train_loader, valid_loader = _train_valid_loaders(L, 40, (3, 32, 32), batch_size, 2)
        test_loader = _loader(L, 16, (3, 32, 32), batch_size, 3, shuffle=False)
        classes = ['airplane', 'automobile', 'bird', 'cat', 'deer',
                   'dog', 'frog', 'horse', 'ship', 'truck']

        class Net(nn.Module):
            def __init__(self):
                super(Net, self).__init__()
                self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
                self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
                self.conv3 = nn.Conv2d(32, 64, 3, padding=1)
                self.pool = nn.MaxPool2d(2, 2)
                self.fc1 = nn.Linear(64 * 4 * 4, 500)
                self.fc2 = nn.Linear(500, 10)
                self.dropout = nn.Dropout(0.25)

            def forward(self, x):
                x = self.pool(F.relu(self.conv1(x)))
                x = self.pool(F.relu(self.conv2(x)))
                x = self.pool(F.relu(self.conv3(x)))
                x = x.view(-1, 64 * 4 * 4)
                x = self.dropout(x)
                x = F.relu(self.fc1(x))
                x = self.dropout(x)
                x = self.fc2(x)
                return x

        model = Net()
        o.print(model)
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.SGD(model.parameters(), lr=0.01)
        with tempfile.TemporaryDirectory() as d:
            _fit_and_test(L, o, model, criterion, optimizer, train_loader, valid_loader,
                          test_loader, 2, batch_size, classes,
                          os.path.join(d, 'model_cifar.pt'), False)
        dataiter = iter(test_loader)
        images, labels = next(dataiter)
        images.numpy()
        output = model(images)
        _, preds_tensor = torch.max(output, 1)
        preds = np.squeeze(preds_tensor.numpy())
        o.print(["{} ({})".format(classes[preds[idx]], classes[labels[idx]])
                 for idx in np.arange(4)])
        img = images[0] / 2 + 0.5
        o.print(np.transpose(img, (1, 2, 0)).shape)
        o.vals += [output, model.conv1.weight]
    return o.done()


def conv_visualization(L):
    """conv-visualization/conv_visualization.ipynb: four hand-made 4x4 edge filters put in a
    bias-free Conv2d as an nn.Parameter, relu and a 4x4 max pool; the feature maps read back
    with np.squeeze(layer[0, i].data.numpy())."""
    torch = L
    nn, F = L.nn, L.nn.functional
    with Out() as o:
        rng = np.random.default_rng(0)
        gray_img = rng.integers(0, 256, (24, 28)).astype("float32")
        gray_img = gray_img.astype("float32")/255
        filter_vals = np.array([[-1, -1, 1, 1], [-1, -1, 1, 1], [-1, -1, 1, 1],
                                [-1, -1, 1, 1]])
        o.print('Filter shape: ', filter_vals.shape)
        filter_1 = filter_vals
        filter_2 = -filter_1
        filter_3 = filter_1.T
        filter_4 = -filter_3
        filters = np.array([filter_1, filter_2, filter_3, filter_4])
        o.print('Filter 1: \n', filter_1)

        class Net(nn.Module):
            def __init__(self, weight):
                super(Net, self).__init__()
                k_height, k_width = weight.shape[2:]
                self.conv = nn.Conv2d(1, 4, kernel_size=(k_height, k_width), bias=False)
                self.conv.weight = torch.nn.Parameter(weight)
                self.pool = nn.MaxPool2d(4, 4)

            def forward(self, x):
                conv_x = self.conv(x)
                activated_x = F.relu(conv_x)
                pooled_x = self.pool(activated_x)
                return conv_x, activated_x, pooled_x

        weight = torch.from_numpy(filters).unsqueeze(1).type(torch.FloatTensor)
        model = Net(weight)
        o.print(model)
        o.print(model.conv.weight.dtype, model.conv.weight.requires_grad)

        def viz_layer(layer, n_filters=4):
            return [np.squeeze(layer[0, i].data.numpy()) for i in range(n_filters)]

        gray_img_tensor = torch.from_numpy(gray_img).unsqueeze(0).unsqueeze(1)
        conv_layer, activated_layer, pooled_layer = model(gray_img_tensor)
        maps = viz_layer(conv_layer) + viz_layer(activated_layer) + viz_layer(pooled_layer)
        o.print([(m.shape, m.dtype) for m in maps])
        o.print(conv_layer.grad_fn is not None, pooled_layer.shape)
        o.vals += maps
    return o.done()


def autoencoders(L):
    """autoencoder/linear-autoencoder, convolutional-autoencoder (ConvTranspose2d and the
    Upsampling solution with F.upsample) and denoising-autoencoder (noise added to images,
    np.clip on the tensor) solutions: models, MSELoss, Adam, the epoch loss printout."""
    torch = L
    nn, F = L.nn, L.nn.functional
    with Out() as o:
        torch.manual_seed(0)
        train_loader = _loader(L, 24, (1, 28, 28), 8, 6)

        class Autoencoder(nn.Module):
            def __init__(self, encoding_dim):
                super(Autoencoder, self).__init__()
                self.fc1 = nn.Linear(28 * 28, encoding_dim)
                self.fc2 = nn.Linear(encoding_dim, 28*28)

            def forward(self, x):
                x = F.relu(self.fc1(x))
                x = F.sigmoid(self.fc2(x))
                return x

        class ConvAutoencoder(nn.Module):
            def __init__(self):
                super(ConvAutoencoder, self).__init__()
                self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
                self.conv2 = nn.Conv2d(16, 4, 3, padding=1)
                self.pool = nn.MaxPool2d(2, 2)
                self.t_conv1 = nn.ConvTranspose2d(4, 16, 2, stride=2)
                self.t_conv2 = nn.ConvTranspose2d(16, 1, 2, stride=2)

            def forward(self, x):
                x = F.relu(self.conv1(x))
                x = self.pool(x)
                x = F.relu(self.conv2(x))
                x = self.pool(x)
                x = F.relu(self.t_conv1(x))
                x = F.sigmoid(self.t_conv2(x))
                return x

        class UpsampleAutoencoder(nn.Module):
            def __init__(self):
                super(UpsampleAutoencoder, self).__init__()
                self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
                self.conv2 = nn.Conv2d(16, 4, 3, padding=1)
                self.pool = nn.MaxPool2d(2, 2)
                self.conv4 = nn.Conv2d(4, 16, 3, padding=1)
                self.conv5 = nn.Conv2d(16, 1, 3, padding=1)

            def forward(self, x):
                x = F.relu(self.conv1(x))
                x = self.pool(x)
                x = F.relu(self.conv2(x))
                x = self.pool(x)
                x = F.upsample(x, scale_factor=2, mode='nearest')
                x = F.relu(self.conv4(x))
                x = F.upsample(x, scale_factor=2, mode='nearest')
                x = F.sigmoid(self.conv5(x))
                return x

        class ConvDenoiser(nn.Module):
            def __init__(self):
                super(ConvDenoiser, self).__init__()
                self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
                self.conv2 = nn.Conv2d(32, 16, 3, padding=1)
                self.conv3 = nn.Conv2d(16, 8, 3, padding=1)
                self.pool = nn.MaxPool2d(2, 2)
                self.t_conv1 = nn.ConvTranspose2d(8, 8, 3, stride=2)
                self.t_conv2 = nn.ConvTranspose2d(8, 16, 2, stride=2)
                self.t_conv3 = nn.ConvTranspose2d(16, 32, 2, stride=2)
                self.conv_out = nn.Conv2d(32, 1, 3, padding=1)

            def forward(self, x):
                x = F.relu(self.conv1(x))
                x = self.pool(x)
                x = F.relu(self.conv2(x))
                x = self.pool(x)
                x = F.relu(self.conv3(x))
                x = self.pool(x)
                x = F.relu(self.t_conv1(x))
                x = F.relu(self.t_conv2(x))
                x = F.relu(self.t_conv3(x))
                x = F.sigmoid(self.conv_out(x))
                return x

        for name, model in [("linear", Autoencoder(32)), ("conv", ConvAutoencoder()),
                            ("upsample", UpsampleAutoencoder()), ("denoise", ConvDenoiser())]:
            o.print(model)
            criterion = nn.MSELoss()
            optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
            noise_factor = 0.5
            for epoch in range(1, 3):
                train_loss = 0.0
                for data in train_loader:
                    images, _ = data
                    images = images * 0.5 + 0.5
                    if name == "linear":
                        images = images.view(images.size(0), -1)
                    target = images
                    if name == "denoise":
                        noisy_imgs = images + noise_factor * torch.randn(*images.shape)
                        noisy_imgs = np.clip(noisy_imgs, 0., 1.)
                        images = noisy_imgs
                    optimizer.zero_grad()
                    outputs = model(images)
                    loss = criterion(outputs, target)
                    loss.backward()
                    optimizer.step()
                    train_loss += loss.item()*images.size(0)
                train_loss = train_loss/len(train_loader)
                o.print('Epoch: {} \tTraining Loss: {:.4f}'.format(epoch, train_loss))
            dataiter = iter(train_loader)
            images, labels = next(dataiter)
            if name == "linear":
                images = images.view(images.size(0), -1)
            output = model(images)
            images = images.numpy()
            output = output.view(8, 1, 28, 28)
            output = output.detach().numpy()
            o.print(type(output).__name__, output.shape, output.dtype)
            o.vals += [output]
    return o.done()
