"""udacity/deep-learning-v2-pytorch, cycle-gan (CycleGAN_Exercise with helpers.py: residual
blocks, LSGAN and cycle-consistency losses, to_data) and batch-norm (Batch_Normalization) as
users type them, scaled down on random images, as
``prog(L) -> (printed, values)`` for tests/test_programs_s20_udacity.py."""

import numpy as np
from s16_yunjey_progs import Out
from s20_udacity_progs import _loader


def cycle_gan(L):
    """CycleGAN: conv / deconv helpers, Discriminator, ResidualBlock, CycleGenerator,
    create_model / print_models, real_mse_loss / fake_mse_loss / cycle_consistency_loss,
    Adam over list(G_XtoY.parameters()) + list(G_YtoX.parameters()), the training step, and
    helpers.to_data / scale."""
    torch = L
    nn, F, optim = L.nn, L.nn.functional, L.optim
    with Out() as o:
        torch.manual_seed(0)

        def conv(in_channels, out_channels, kernel_size, stride=2, padding=1, batch_norm=True):
            layers = []
            conv_layer = nn.Conv2d(in_channels=in_channels, out_channels=out_channels,
                                   kernel_size=kernel_size, stride=stride, padding=padding,
                                   bias=False)
            layers.append(conv_layer)
            if batch_norm:
                layers.append(nn.BatchNorm2d(out_channels))
            return nn.Sequential(*layers)

        class Discriminator(nn.Module):
            def __init__(self, conv_dim=64):
                super(Discriminator, self).__init__()
                self.conv1 = conv(3, conv_dim, 4, batch_norm=False)
                self.conv2 = conv(conv_dim, conv_dim*2, 4)
                self.conv3 = conv(conv_dim*2, conv_dim*4, 4)
                self.conv4 = conv(conv_dim*4, conv_dim*8, 4)
                self.conv5 = conv(conv_dim*8, 1, 4, stride=1, batch_norm=False)

            def forward(self, x):
                out = F.relu(self.conv1(x))
                out = F.relu(self.conv2(out))
                out = F.relu(self.conv3(out))
                out = F.relu(self.conv4(out))
                out = self.conv5(out)
                return out

        class ResidualBlock(nn.Module):
            def __init__(self, conv_dim):
                super(ResidualBlock, self).__init__()
                self.conv_layer1 = conv(in_channels=conv_dim, out_channels=conv_dim,
                                        kernel_size=3, stride=1, padding=1, batch_norm=True)
                self.conv_layer2 = conv(in_channels=conv_dim, out_channels=conv_dim,
                                        kernel_size=3, stride=1, padding=1, batch_norm=True)

            def forward(self, x):
                out_1 = F.relu(self.conv_layer1(x))
                out_2 = x + self.conv_layer2(out_1)
                return out_2

        def deconv(in_channels, out_channels, kernel_size, stride=2, padding=1,
                   batch_norm=True):
            layers = []
            layers.append(nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride,
                                             padding, bias=False))
            if batch_norm:
                layers.append(nn.BatchNorm2d(out_channels))
            return nn.Sequential(*layers)

        class CycleGenerator(nn.Module):
            def __init__(self, conv_dim=64, n_res_blocks=6):
                super(CycleGenerator, self).__init__()
                self.conv1 = conv(3, conv_dim, 4)
                self.conv2 = conv(conv_dim, conv_dim*2, 4)
                self.conv3 = conv(conv_dim*2, conv_dim*4, 4)
                res_layers = []
                for layer in range(n_res_blocks):
                    res_layers.append(ResidualBlock(conv_dim*4))
                self.res_blocks = nn.Sequential(*res_layers)
                self.deconv1 = deconv(conv_dim*4, conv_dim*2, 4)
                self.deconv2 = deconv(conv_dim*2, conv_dim, 4)
                self.deconv3 = deconv(conv_dim, 3, 4, batch_norm=False)

            def forward(self, x):
                out = F.relu(self.conv1(x))
                out = F.relu(self.conv2(out))
                out = F.relu(self.conv3(out))
                out = self.res_blocks(out)
                out = F.relu(self.deconv1(out))
                out = F.relu(self.deconv2(out))
                out = F.tanh(self.deconv3(out))
                return out

        def create_model(g_conv_dim=64, d_conv_dim=64, n_res_blocks=6):
            G_XtoY = CycleGenerator(conv_dim=g_conv_dim, n_res_blocks=n_res_blocks)
            G_YtoX = CycleGenerator(conv_dim=g_conv_dim, n_res_blocks=n_res_blocks)
            D_X = Discriminator(conv_dim=d_conv_dim)
            D_Y = Discriminator(conv_dim=d_conv_dim)
            if torch.cuda.is_available():
                o.print('Models moved to GPU.')
            else:
                o.print('Only CPU available.')
            return G_XtoY, G_YtoX, D_X, D_Y

        G_XtoY, G_YtoX, D_X, D_Y = create_model(4, 4, 2)
        for name, m in [("G_XtoY", G_XtoY), ("G_YtoX", G_YtoX), ("D_X", D_X), ("D_Y", D_Y)]:
            o.print("                     {}                    ".format(name))
            o.print("-----------------------------------------------")
            o.print(m)
            o.print()

        def real_mse_loss(D_out):
            return torch.mean((D_out-1)**2)

        def fake_mse_loss(D_out):
            return torch.mean(D_out**2)

        def cycle_consistency_loss(real_im, reconstructed_im, lambda_weight):
            reconstr_loss = torch.mean(torch.abs(real_im - reconstructed_im))
            return lambda_weight*reconstr_loss

        lr = 0.0002
        beta1 = 0.5
        beta2 = 0.999
        g_params = list(G_XtoY.parameters()) + list(G_YtoX.parameters())
        g_optimizer = optim.Adam(g_params, lr, [beta1, beta2])
        d_x_optimizer = optim.Adam(D_X.parameters(), lr, [beta1, beta2])
        d_y_optimizer = optim.Adam(D_Y.parameters(), lr, [beta1, beta2])

        def scale(x, feature_range=(-1, 1)):
            min, max = feature_range
            x = x * (max - min) + min
            return x

        def to_data(x):
            x = x.cpu().data.numpy()
            x = ((x + 1)*255 / (2)).astype(np.uint8)
            return x

        dataloader_X = _loader(L, 4, (3, 32, 32), 2, 9)
        dataloader_Y = _loader(L, 4, (3, 32, 32), 2, 10)
        iter_X = iter(dataloader_X)
        iter_Y = iter(dataloader_Y)
        fixed_X = next(iter_X)[0]
        fixed_Y = next(iter_Y)[0]
        fixed_X = scale(fixed_X * 0.5 + 0.5)
        fixed_Y = scale(fixed_Y * 0.5 + 0.5)
        batches_per_epoch = min(len(iter_X), len(iter_Y))
        losses = []
        n_epochs = 4
        print_every = 2
        for epoch in range(1, n_epochs+1):
            if epoch % batches_per_epoch == 0:
                iter_X = iter(dataloader_X)
                iter_Y = iter(dataloader_Y)
            images_X, _ = next(iter_X)
            images_X = scale(images_X * 0.5 + 0.5)
            images_Y, _ = next(iter_Y)
            images_Y = scale(images_Y * 0.5 + 0.5)

            d_x_optimizer.zero_grad()
            out_x = D_X(images_X)
            D_X_real_loss = real_mse_loss(out_x)
            fake_X = G_YtoX(images_Y)
            out_x = D_X(fake_X)
            D_X_fake_loss = fake_mse_loss(out_x)
            d_x_loss = D_X_real_loss + D_X_fake_loss
            d_x_loss.backward()
            d_x_optimizer.step()

            d_y_optimizer.zero_grad()
            out_y = D_Y(images_Y)
            D_Y_real_loss = real_mse_loss(out_y)
            fake_Y = G_XtoY(images_X)
            out_y = D_Y(fake_Y)
            D_Y_fake_loss = fake_mse_loss(out_y)
            d_y_loss = D_Y_real_loss + D_Y_fake_loss
            d_y_loss.backward()
            d_y_optimizer.step()

            g_optimizer.zero_grad()
            fake_X = G_YtoX(images_Y)
            out_x = D_X(fake_X)
            g_YtoX_loss = real_mse_loss(out_x)
            reconstructed_Y = G_XtoY(fake_X)
            reconstructed_y_loss = cycle_consistency_loss(images_Y, reconstructed_Y,
                                                          lambda_weight=10)
            fake_Y = G_XtoY(images_X)
            out_y = D_Y(fake_Y)
            g_XtoY_loss = real_mse_loss(out_y)
            reconstructed_X = G_YtoX(fake_Y)
            reconstructed_x_loss = cycle_consistency_loss(images_X, reconstructed_X,
                                                          lambda_weight=10)
            g_total_loss = (g_YtoX_loss + g_XtoY_loss + reconstructed_y_loss
                            + reconstructed_x_loss)
            g_total_loss.backward()
            g_optimizer.step()
            if epoch % print_every == 0:
                losses.append((d_x_loss.item(), d_y_loss.item(), g_total_loss.item()))
                o.print('Epoch [{:5d}/{:5d}] | d_X_loss: {:6.4f} | d_Y_loss: {:6.4f} | '
                        'g_total_loss: {:6.4f}'.format(epoch, n_epochs, d_x_loss.item(),
                                                       d_y_loss.item(), g_total_loss.item()))
        G_YtoX.eval()
        G_XtoY.eval()
        fake_X = G_YtoX(fixed_Y)
        fake_Y = G_XtoY(fixed_X)
        X, fake_X = to_data(fixed_X), to_data(fake_X)
        Y, fake_Y = to_data(fixed_Y), to_data(fake_Y)
        o.print(X.dtype, fake_X.shape, fake_Y.dtype)
        G_YtoX.train()
        G_XtoY.train()
        o.vals += [fake_X.astype(np.int64), fake_Y.astype(np.int64), np.array(losses),
                   G_XtoY.res_blocks[0].conv_layer1[1].running_var]
    return o.done()


def batch_norm(L):
    """batch-norm/Batch_Normalization.ipynb: NeuralNet with bias=not use_batch_norm and
    BatchNorm1d, train() with SGD, test() in train and eval mode with the running
    ``test_loss += ((torch.ones(1) / (batch_idx + 1)) * (loss.data - test_loss))`` and
    ``test_loss.numpy()[0]``, per-class accuracy from np.squeeze(pred.eq(...))."""
    torch = L
    nn, F, optim = L.nn, L.nn.functional, L.optim
    with Out() as o:
        torch.manual_seed(0)
        batch_size = 8
        train_loader = _loader(L, 32, (1, 28, 28), batch_size, 11)
        test_loader = _loader(L, 16, (1, 28, 28), batch_size, 12, shuffle=False)

        class NeuralNet(nn.Module):
            def __init__(self, use_batch_norm, input_size=784, hidden_dim=256,
                         output_size=10):
                super(NeuralNet, self).__init__()
                self.input_size = input_size
                self.hidden_dim = hidden_dim
                self.output_size = output_size
                self.use_batch_norm = use_batch_norm
                self.fc1 = nn.Linear(input_size, hidden_dim*2, bias=not use_batch_norm)
                if use_batch_norm:
                    self.batch_norm1 = nn.BatchNorm1d(hidden_dim*2)
                self.fc2 = nn.Linear(hidden_dim*2, hidden_dim, bias=not use_batch_norm)
                if use_batch_norm:
                    self.batch_norm2 = nn.BatchNorm1d(hidden_dim)
                self.fc3 = nn.Linear(hidden_dim, output_size)

            def forward(self, x):
                x = x.view(-1, 28*28)
                x = self.fc1(x)
                if self.use_batch_norm:
                    x = self.batch_norm1(x)
                x = F.relu(x)
                x = self.fc2(x)
                if self.use_batch_norm:
                    x = self.batch_norm2(x)
                x = F.relu(x)
                x = self.fc3(x)
                return x

        net_batchnorm = NeuralNet(use_batch_norm=True, hidden_dim=64)
        net_no_norm = NeuralNet(use_batch_norm=False, hidden_dim=64)
        o.print(net_batchnorm)
        o.print()
        o.print(net_no_norm)

        def train(model, n_epochs=10):
            n_epochs = n_epochs
            losses = []
            criterion = nn.CrossEntropyLoss()
            optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
            model.train()
            for epoch in range(1, n_epochs+1):
                train_loss = 0.0
                batch_count = 0
                for batch_idx, (data, target) in enumerate(train_loader):
                    optimizer.zero_grad()
                    output = model(data)
                    loss = criterion(output, target)
                    loss.backward()
                    optimizer.step()
                    train_loss += loss.item()
                    batch_count += 1
                losses.append(train_loss/batch_count)
                o.print('Epoch: {} \tTraining Loss: {:.4f}'.format(epoch, train_loss/batch_count))
            return losses

        losses_batchnorm = train(net_batchnorm, 2)
        losses_no_norm = train(net_no_norm, 2)

        def test(model, train):
            class_correct = list(0. for i in range(10))
            class_total = list(0. for i in range(10))
            test_loss = 0.0
            if train:
                model.train()
            else:
                model.eval()
            criterion = nn.CrossEntropyLoss()
            for batch_idx, (data, target) in enumerate(test_loader):
                batch_size = data.size(0)
                output = model(data)
                loss = criterion(output, target)
                test_loss += ((torch.ones(1) / (batch_idx + 1)) * (loss.data - test_loss))
                _, pred = torch.max(output, 1)
                correct = np.squeeze(pred.eq(target.data.view_as(pred)))
                for i in range(batch_size):
                    label = target.data[i]
                    class_correct[label] += correct[i].item()
                    class_total[label] += 1
            o.print('Test Loss: {:.4f}\n'.format(test_loss.numpy()[0]))
            for i in range(10):
                if class_total[i] > 0:
                    o.print('Test Accuracy of %5s: %2d%% (%2d/%2d)' % (
                        str(i), 100 * class_correct[i] / class_total[i],
                        np.sum(class_correct[i]), np.sum(class_total[i])))
                else:
                    o.print('Test Accuracy of %5s: N/A (no training examples)' % (i))
            o.print('\nTest Accuracy (Overall): %2d%% (%2d/%2d)' % (
                100. * np.sum(class_correct) / np.sum(class_total),
                np.sum(class_correct), np.sum(class_total)))
            return test_loss

        t1 = test(net_batchnorm, train=True)
        t2 = test(net_batchnorm, train=False)
        t3 = test(net_no_norm, train=False)
        o.vals += [t1, t2, t3, np.array(losses_batchnorm), net_batchnorm.batch_norm1.running_mean,
                   net_batchnorm.batch_norm2.num_batches_tracked]
    return o.done()
