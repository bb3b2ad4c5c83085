"""udacity/deep-learning-v2-pytorch, gan-mnist (MNIST_GAN_Solution), dcgan-svhn
(DCGAN_Solution), cycle-gan (CycleGAN_Exercise with its helper functions, the residual
blocks and the LSGAN / cycle-consistency losses), batch-norm (Batch_Normalization) and
weight-initialization (the notebook with helpers.py) as users type them, scaled down on
random images, as ``prog(L) -> (printed, values)`` for tests/test_programs_s20_udacity.py."""

import pickle as pkl

import numpy as np
from s16_yunjey_progs import Out
from s20_udacity_progs import _loader


def gan_mnist(L):
    """MNIST_GAN_Solution.ipynb: fully connected D and G with leaky_relu and dropout,
    real_loss with label smoothing (torch.ones(batch_size)*0.9) and fake_loss on
    BCEWithLogitsLoss of D_out.squeeze(), np.random.uniform latent vectors, G.eval() samples
    pickled."""
    torch = L
    nn, F, optim = L.nn, L.nn.functional, L.optim
    with Out() as o:
        torch.manual_seed(0); np.random.seed(0)
        batch_size = 8
        train_loader = _loader(L, 24, (1, 28, 28), batch_size, 7)

        class Discriminator(nn.Module):
            def __init__(self, input_size, hidden_dim, output_size):
                super(Discriminator, self).__init__()
                self.fc1 = nn.Linear(input_size, hidden_dim*4)
                self.fc2 = nn.Linear(hidden_dim*4, hidden_dim*2)
                self.fc3 = nn.Linear(hidden_dim*2, hidden_dim)
                self.fc4 = nn.Linear(hidden_dim, output_size)
                self.dropout = nn.Dropout(0.3)

            def forward(self, x):
                x = x.view(-1, 28*28)
                x = F.leaky_relu(self.fc1(x), 0.2)
                x = self.dropout(x)
                x = F.leaky_relu(self.fc2(x), 0.2)
                x = self.dropout(x)
                x = F.leaky_relu(self.fc3(x), 0.2)
                x = self.dropout(x)
                out = self.fc4(x)
                return out

        class Generator(nn.Module):
            def __init__(self, input_size, hidden_dim, output_size):
                super(Generator, self).__init__()
                self.fc1 = nn.Linear(input_size, hidden_dim)
                self.fc2 = nn.Linear(hidden_dim, hidden_dim*2)
                self.fc3 = nn.Linear(hidden_dim*2, hidden_dim*4)
                self.fc4 = nn.Linear(hidden_dim*4, output_size)
                self.dropout = nn.Dropout(0.3)

            def forward(self, x):
                x = F.leaky_relu(self.fc1(x), 0.2)
                x = self.dropout(x)
                x = F.leaky_relu(self.fc2(x), 0.2)
                x = self.dropout(x)
                x = F.leaky_relu(self.fc3(x), 0.2)
                x = self.dropout(x)
                out = F.tanh(self.fc4(x))
                return out

        input_size = 784
        d_output_size = 1
        d_hidden_size = 32
        z_size = 100
        g_output_size = 784
        g_hidden_size = 32
        D = Discriminator(input_size, d_hidden_size, d_output_size)
        G = Generator(z_size, g_hidden_size, g_output_size)
        o.print(D)
        o.print()
        o.print(G)

        def real_loss(D_out, smooth=False):
            batch_size = D_out.size(0)
            if smooth:
                labels = torch.ones(batch_size)*0.9
            else:
                labels = torch.ones(batch_size)
            criterion = nn.BCEWithLogitsLoss()
            loss = criterion(D_out.squeeze(), labels)
            return loss

        def fake_loss(D_out):
            batch_size = D_out.size(0)
            labels = torch.zeros(batch_size)
            criterion = nn.BCEWithLogitsLoss()
            loss = criterion(D_out.squeeze(), labels)
            return loss

        lr = 0.002
        d_optimizer = optim.Adam(D.parameters(), lr)
        g_optimizer = optim.Adam(G.parameters(), lr)
        num_epochs = 2
        samples = []
        losses = []
        print_every = 2
        sample_size = 4
        fixed_z = np.random.uniform(-1, 1, size=(sample_size, z_size))
        fixed_z = torch.from_numpy(fixed_z).float()
        D.train()
        G.train()
        for epoch in range(num_epochs):
            for batch_i, (real_images, _) in enumerate(train_loader):
                batch_size = real_images.size(0)
                real_images = real_images*2 - 1
                d_optimizer.zero_grad()
                D_real = D(real_images)
                d_real_loss = real_loss(D_real, smooth=True)
                z = np.random.uniform(-1, 1, size=(batch_size, z_size))
                z = torch.from_numpy(z).float()
                fake_images = G(z)
                D_fake = D(fake_images)
                d_fake_loss = fake_loss(D_fake)
                d_loss = d_real_loss + d_fake_loss
                d_loss.backward()
                d_optimizer.step()
                g_optimizer.zero_grad()
                z = np.random.uniform(-1, 1, size=(batch_size, z_size))
                z = torch.from_numpy(z).float()
                fake_images = G(z)
                D_fake = D(fake_images)
                g_loss = real_loss(D_fake)
                g_loss.backward()
                g_optimizer.step()
                if batch_i % print_every == 0:
                    o.print('Epoch [{:5d}/{:5d}] | d_loss: {:6.4f} | g_loss: {:6.4f}'.format(
                        epoch+1, num_epochs, d_loss.item(), g_loss.item()))
            losses.append((d_loss.item(), g_loss.item()))
            G.eval()
            samples_z = G(fixed_z)
            samples.append(samples_z)
            G.train()
        data = pkl.dumps(samples)
        samples = pkl.loads(data)
        losses = np.array(losses)
        o.print(losses.shape, losses.dtype)
        o.print(samples[-1].requires_grad, samples[-1].grad_fn is not None)
        img = samples[-1][0].detach()
        o.print(img.reshape((28, 28)).shape)
        G.eval()
        rand_z = np.random.uniform(-1, 1, size=(sample_size, z_size))
        rand_z = torch.from_numpy(rand_z).float()
        rand_images = G(rand_z)
        o.vals += [samples[-1], rand_images, losses]
    return o.done()


def dcgan_svhn(L):
    """DCGAN_Solution.ipynb: conv / deconv helpers with optional BatchNorm2d, the
    Discriminator and Generator, scale() to (-1, 1), Adam(lr, [beta1, beta2]), the training
    loop with the loss printout and fixed samples in eval mode."""
    torch = L
    nn, F, optim = L.nn, L.nn.functional, L.optim
    with Out() as o:
        torch.manual_seed(0); np.random.seed(0)
        batch_size = 4
        rng = np.random.default_rng(8)
        x = L.from_numpy(rng.integers(0, 256, (8, 3, 32, 32), dtype=np.uint8)).float() / 255
        svhn_train = L.utils.data.TensorDataset(x, L.zeros(8, dtype=L.long))
        train_loader = L.utils.data.DataLoader(dataset=svhn_train, batch_size=batch_size,
                                               shuffle=True, num_workers=0)
        dataiter = iter(train_loader)
        images, labels = next(dataiter)
        img = images[0]
        o.print('Min: ', img.min())
        o.print('Max: ', img.max())

        def scale(x, feature_range=(-1, 1)):
            min, max = feature_range
            x = x * (max - min) + min
            return x

        scaled_img = scale(img)
        o.print('Scaled min: ', scaled_img.min())
        o.print('Scaled max: ', scaled_img.max())

        def conv(in_channels, out_channels, kernel_size, stride=2, padding=1, batch_norm=True):
            layers = []
            conv_layer = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding,
                                   bias=False)
            layers.append(conv_layer)
            if batch_norm:
                layers.append(nn.BatchNorm2d(out_channels))
            return nn.Sequential(*layers)

        class Discriminator(nn.Module):
            def __init__(self, conv_dim=32):
                super(Discriminator, self).__init__()
                self.conv_dim = conv_dim
                self.conv1 = conv(3, conv_dim, 4, batch_norm=False)
                self.conv2 = conv(conv_dim, conv_dim*2, 4)
                self.conv3 = conv(conv_dim*2, conv_dim*4, 4)
                self.fc = nn.Linear(conv_dim*4*4*4, 1)

            def forward(self, x):
                out = F.leaky_relu(self.conv1(x), 0.2)
                out = F.leaky_relu(self.conv2(out), 0.2)
                out = F.leaky_relu(self.conv3(out), 0.2)
                out = out.view(-1, self.conv_dim*4*4*4)
                out = self.fc(out)
                return out

        def deconv(in_channels, out_channels, kernel_size, stride=2, padding=1,
                   batch_norm=True):
            layers = []
            transpose_conv_layer = nn.ConvTranspose2d(in_channels, out_channels, kernel_size,
                                                      stride, padding, bias=False)
            layers.append(transpose_conv_layer)
            if batch_norm:
                layers.append(nn.BatchNorm2d(out_channels))
            return nn.Sequential(*layers)

        class Generator(nn.Module):
            def __init__(self, z_size, conv_dim=32):
                super(Generator, self).__init__()
                self.conv_dim = conv_dim
                self.fc = nn.Linear(z_size, conv_dim*4*4*4)
                self.t_conv1 = deconv(conv_dim*4, conv_dim*2, 4)
                self.t_conv2 = deconv(conv_dim*2, conv_dim, 4)
                self.t_conv3 = deconv(conv_dim, 3, 4, batch_norm=False)

            def forward(self, x):
                out = self.fc(x)
                out = out.view(-1, self.conv_dim*4, 4, 4)
                out = F.relu(self.t_conv1(out))
                out = F.relu(self.t_conv2(out))
                out = self.t_conv3(out)
                out = F.tanh(out)
                return out

        conv_dim = 8
        z_size = 16
        D = Discriminator(conv_dim)
        G = Generator(z_size=z_size, conv_dim=conv_dim)
        o.print(D)
        o.print()
        o.print(G)
        train_on_gpu = torch.cuda.is_available()
        if not train_on_gpu:
            o.print('No GPU found. Please use a GPU to train your neural network.')

        def real_loss(D_out, smooth=False):
            batch_size = D_out.size(0)
            if smooth:
                labels = torch.ones(batch_size)*0.9
            else:
                labels = torch.ones(batch_size)
            criterion = nn.BCEWithLogitsLoss()
            loss = criterion(D_out.squeeze(), labels)
            return loss

        def fake_loss(D_out):
            batch_size = D_out.size(0)
            labels = torch.zeros(batch_size)
            criterion = nn.BCEWithLogitsLoss()
            loss = criterion(D_out.squeeze(), labels)
            return loss

        lr = 0.0002
        beta1 = 0.5
        beta2 = 0.999
        d_optimizer = optim.Adam(D.parameters(), lr, [beta1, beta2])
        g_optimizer = optim.Adam(G.parameters(), lr, [beta1, beta2])
        num_epochs = 2
        samples = []
        losses = []
        print_every = 1
        sample_size = 4
        fixed_z = np.random.uniform(-1, 1, size=(sample_size, z_size))
        fixed_z = torch.from_numpy(fixed_z).float()
        for epoch in range(num_epochs):
            for batch_i, (real_images, _) in enumerate(train_loader):
                batch_size = real_images.size(0)
                real_images = scale(real_images)
                d_optimizer.zero_grad()
                D_real = D(real_images)
                d_real_loss = real_loss(D_real)
                z = np.random.uniform(-1, 1, size=(batch_size, z_size))
                z = torch.from_numpy(z).float()
                fake_images = G(z)
                D_fake = D(fake_images)
                d_fake_loss = fake_loss(D_fake)
                d_loss = d_real_loss + d_fake_loss
                d_loss.backward()
                d_optimizer.step()
                g_optimizer.zero_grad()
                z = np.random.uniform(-1, 1, size=(batch_size, z_size))
                z = torch.from_numpy(z).float()
                fake_images = G(z)
                D_fake = D(fake_images)
                g_loss = real_loss(D_fake)
                g_loss.backward()
                g_optimizer.step()
                if batch_i % print_every == 0:
                    losses.append((d_loss.item(), g_loss.item()))
                    o.print('Epoch [{:5d}/{:5d}] | d_loss: {:6.4f} | g_loss: {:6.4f}'.format(
                        epoch+1, num_epochs, d_loss.item(), g_loss.item()))
            G.eval()
            samples_z = G(fixed_z)
            samples.append(samples_z)
            G.train()
        img = samples[-1][0].detach().cpu().numpy()
        img = np.transpose(img, (1, 2, 0))
        img = ((img + 1)*255 / (2)).astype(np.uint8)
        o.print(img.shape, img.dtype)
        o.vals += [samples[-1], G.t_conv1[1].running_mean, D.fc.weight]
    return o.done()
