"""NeuromatchAcademy/course-content-dl: W2D2_ConvnetsAndDlThinking (Tutorial1: convolution2d by
hand against F.conv2d, calculate_output_shape, Net4 with hand-set kernels as nn.Parameter and
max pooling, EMNIST_Net's train/test), W2D4_GenerativeModels (Tutorial1: BiasLayer, cout,
ConvAutoEncoder with Flatten/Unflatten/ConvTranspose2d, ConvVAE with rsample, kl_q_p,
log_p_x and the ELBO, generate_images; Tutorial2: loss_disc; Tutorial3: marginal_prob_std,
diffusion_coeff and the denoising score-matching loss_fn), on small seeded
tensors instead of EMNIST / MNIST."""

import numpy as np
from s16_yunjey_progs import Out
from s21_nma_progs import set_seed


def w2d2_convnets(L):
    torch, nn, F = L, L.nn, L.nn.functional
    with Out() as o:
        def convolution2d(image, kernel):
            im_h, im_w = image.shape
            ker_h, ker_w = kernel.shape
            out_h = im_h - ker_h + 1
            out_w = im_w - ker_w + 1
            output = np.zeros((out_h, out_w))
            for out_row in range(out_h):
                for out_col in range(out_w):
                    current_product = 0
                    for i in range(ker_h):
                        for j in range(ker_w):
                            current_product += image[out_row + i, out_col + j] * kernel[i, j]
                    output[out_row, out_col] = current_product
            return output
        image = np.arange(9).reshape(3, 3)
        kernel = np.arange(4).reshape(2, 2)
        mine = convolution2d(image, kernel)
        theirs = F.conv2d(torch.tensor(image)[None, None], torch.tensor(kernel)[None, None])
        o.print(mine, theirs, theirs.dtype)
        image = torch.from_numpy(np.array([[0, 200, 200], [0, 0, 200], [0, 0, 0]])).float()
        kernel = torch.tensor([[0.25, 0.25], [0.25, 0.25]])
        o.print(F.conv2d(image.unsqueeze(0).unsqueeze(0), kernel[None, None]))

        class Net(nn.Module):
            def __init__(self, kernel=None, padding=0):
                super(Net, self).__init__()
                self.conv1 = nn.Conv2d(in_channels=1, out_channels=1, kernel_size=2,
                                       padding=padding)
                if kernel is not None:
                    dim1, dim2 = kernel.shape[0], kernel.shape[1]
                    kernel = kernel.reshape(1, 1, dim1, dim2)
                    self.conv1.weight = torch.nn.Parameter(kernel)
                    self.conv1.bias = torch.nn.Parameter(torch.zeros_like(self.conv1.bias))

            def forward(self, x):
                return self.conv1(x)
        kernel = torch.Tensor(np.arange(4).reshape(2, 2))
        net = Net(kernel=kernel, padding=0).to('cpu')
        image = torch.Tensor(np.arange(9).reshape(3, 3)).reshape(1, 1, 3, 3)
        o.print(net(image))
        net2 = Net(kernel=kernel, padding=1).to('cpu')
        o.print(net2(image).shape, net2.conv1)

        class Net4(nn.Module):
            def __init__(self, padding=0, stride=2):
                super(Net4, self).__init__()
                self.conv1 = nn.Conv2d(in_channels=1, out_channels=3, kernel_size=5,
                                       padding=padding)
                kernel_1 = torch.Tensor([[[1., 1., -1., -1., -1.], [1., 1., 1., -1., -1.],
                                          [-1., 1., 1., 1., -1.], [-1., -1., 1., 1., 1.],
                                          [-1., -1., -1., 1., 1.]]])
                kernel_2 = torch.Tensor([[[-1., -1., -1., 1., 1.], [-1., -1., 1., 1., 1.],
                                          [-1., 1., 1., 1., -1.], [1., 1., 1., -1., -1.],
                                          [1., 1., -1., -1., -1.]]])
                kernel_3 = torch.Tensor([[[1., 1., -1., 1., 1.], [1., 1., 1., 1., 1.],
                                          [-1., 1., 1., 1., -1.], [1., 1., 1., 1., 1.],
                                          [1., 1., -1., 1., 1.]]])
                multiple_kernels = torch.stack([kernel_1, kernel_2, kernel_3], dim=0)
                self.conv1.weight = torch.nn.Parameter(multiple_kernels)
                self.conv1.bias = torch.nn.Parameter(torch.Tensor([-4, -4, -12]))
                self.pool = nn.MaxPool2d(kernel_size=2, stride=stride)

            def forward(self, x):
                x = self.conv1(x)
                x = F.relu(x)
                x = self.pool(x)
                return x
        net4 = Net4().to('cpu')
        set_seed(L, 2021)
        x_img = (torch.rand(2, 1, 12, 12) > 0.5).float() * 2 - 1
        out4 = net4(x_img)
        o.print(out4.shape, net4.conv1.weight.shape, net4.conv1.bias)
        o.vals.append(out4)

        class EMNIST_Net(nn.Module):
            def __init__(self):
                super(EMNIST_Net, self).__init__()
                self.conv1 = nn.Conv2d(1, 4, 3)
                self.conv2 = nn.Conv2d(4, 8, 3)
                self.fc1 = nn.Linear(8 * 4 * 4, 16)
                self.fc2 = nn.Linear(16, 2)
                self.pool = nn.MaxPool2d(2)

            def forward(self, x):
                x = self.conv1(x)
                x = F.relu(x)
                x = self.conv2(x)
                x = F.relu(x)
                x = self.pool(x)
                x = torch.flatten(x, 1)
                x = self.fc1(x)
                x = F.relu(x)
                x = self.fc2(x)
                return x
        emnist_net = EMNIST_Net().to('cpu')
        o.print("Total Parameters in Network {:10d}".format(
            sum(p.numel() for p in emnist_net.parameters())))
        X = torch.rand(48, 1, 12, 12)
        y = torch.randint(0, 2, (48,))

        def train(model, device, X, y, epochs):
            model.train()
            criterion = nn.CrossEntropyLoss()
            optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
            for epoch in range(epochs):
                for i in range(0, len(X), 16):
                    data, target = X[i:i + 16].to(device), y[i:i + 16].to(device)
                    optimizer.zero_grad()
                    output = model(data)
                    loss = criterion(output, target)
                    loss.backward()
                    optimizer.step()
                o.print(f"epoch {epoch} loss {loss.item():.4f}")

        def test(model, device, X, y):
            model.eval()
            correct = 0
            total = 0
            with torch.no_grad():
                outputs = model(X.to(device))
                _, predicted = torch.max(outputs.data, 1)
                total += y.size(0)
                correct += (predicted == y).sum().item()
            acc = 100 * correct / total
            return f"{acc}%"
        train(emnist_net, 'cpu', X, y, 3)
        o.print(f'Test accuracy is: {test(emnist_net, "cpu", X, y)}')
        o.vals += [emnist_net.fc2.weight, emnist_net.conv1.weight.grad]
    return o.done()


def w2d4_vae(L):
    torch, nn, F = L, L.nn, L.nn.functional
    with Out() as o:
        class BiasLayer(nn.Module):
            def __init__(self, shape):
                super(BiasLayer, self).__init__()
                init_bias = torch.zeros(shape)
                self.bias = nn.Parameter(init_bias, requires_grad=True)

            def forward(self, x):
                return x + self.bias

        def cout(x, layer):
            assert isinstance(layer, nn.Conv2d)
            p = layer.padding if isinstance(layer.padding, tuple) else (layer.padding,)
            k = layer.kernel_size if isinstance(layer.kernel_size, tuple) else (layer.kernel_size,)
            d = layer.dilation if isinstance(layer.dilation, tuple) else (layer.dilation,)
            s = layer.stride if isinstance(layer.stride, tuple) else (layer.stride,)
            in_depth, in_height, in_width = x
            out_depth = layer.out_channels
            out_height = 1 + (in_height + 2 * p[0] - (k[0] - 1) * d[0] - 1) // s[0]
            out_width = 1 + (in_width + 2 * p[-1] - (k[-1] - 1) * d[-1] - 1) // s[-1]
            return (out_depth, out_height, out_width)
        data_shape = (1, 10, 10)

        class ConvAutoEncoder(nn.Module):
            def __init__(self, x_dim, h_dim, n_filters=4, filter_size=3):
                super().__init__()
                channels, height, widths = x_dim
                self.enc_bias = BiasLayer(x_dim)
                self.enc_conv_1 = nn.Conv2d(channels, n_filters, filter_size)
                conv_1_shape = cout(x_dim, self.enc_conv_1)
                self.enc_conv_2 = nn.Conv2d(n_filters, n_filters, filter_size)
                conv_2_shape = cout(conv_1_shape, self.enc_conv_2)
                self.enc_flatten = nn.Flatten()
                flat_after_conv = conv_2_shape[0] * conv_2_shape[1] * conv_2_shape[2]
                self.enc_lin = nn.Linear(flat_after_conv, h_dim)
                self.dec_lin = nn.Linear(h_dim, flat_after_conv)
                self.dec_unflatten = nn.Unflatten(dim=-1, unflattened_size=conv_2_shape)
                self.dec_deconv_1 = nn.ConvTranspose2d(n_filters, n_filters, filter_size)
                self.dec_deconv_2 = nn.ConvTranspose2d(n_filters, channels, filter_size)
                self.dec_bias = BiasLayer(x_dim)

            def encode(self, x):
                s = self.enc_bias(x)
                s = F.relu(self.enc_conv_1(s))
                s = F.relu(self.enc_conv_2(s))
                s = self.enc_flatten(s)
                return self.enc_lin(s)

            def decode(self, h):
                s = F.relu(self.dec_lin(h))
                s = self.dec_unflatten(s)
                s = F.relu(self.dec_deconv_1(s))
                s = self.dec_deconv_2(s)
                return self.dec_bias(s)

            def forward(self, x):
                return self.decode(self.encode(x))
        SEED, K = 2021, 5
        set_seed(L, seed=SEED)
        train_set = torch.rand(32, *data_shape)
        conv_ae = ConvAutoEncoder(data_shape, K)
        o.print(conv_ae)
        assert conv_ae.encode(train_set[0].unsqueeze(0)).numel() == K

        def train_autoencoder(autoencoder, dataset, epochs=2, batch_size=8):
            optim = torch.optim.Adam(autoencoder.parameters(), lr=1e-3, weight_decay=1e-5)
            loss_fn = nn.MSELoss()
            mse_loss = torch.zeros(epochs * len(dataset) // batch_size)
            i = 0
            for epoch in range(epochs):
                for j in range(0, len(dataset), batch_size):
                    im_batch = dataset[j:j + batch_size]
                    loss = loss_fn(im_batch, autoencoder(im_batch))
                    optim.zero_grad()
                    loss.backward()
                    optim.step()
                    mse_loss[i] = loss.detach()
                    i += 1
            return mse_loss
        conv_losses = train_autoencoder(conv_ae, train_set)
        o.vals.append(conv_losses)

        def rsample(phi, n_samples):
            b, kplus1 = phi.size()
            k = kplus1 - 1
            mu, sig = phi[:, :-1], phi[:, -1].exp()
            eps = torch.randn(b, n_samples, k, device=phi.device)
            return eps * sig.view(b, 1, 1) + mu.view(b, 1, k)

        def kl_q_p(zs, phi):
            b, n, k = zs.size()
            mu_q, log_sig_q = phi[:, :-1], phi[:, -1]
            log_p = -0.5 * (zs ** 2)
            log_q = (-0.5 * (zs - mu_q.view(b, 1, k)) ** 2 / log_sig_q.exp().view(b, 1, 1) ** 2
                     - log_sig_q.view(b, 1, -1))
            return (log_q - log_p).sum(dim=2).mean(dim=(0, 1))

        def log_p_x(x, mu_xs, sig_x):
            b, n = mu_xs.size()[:2]
            x = x.reshape(b, 1, -1)
            _, _, p = x.size()
            squared_error = (x - mu_xs.view(b, n, -1)) ** 2 / (2 * sig_x ** 2)
            return -(squared_error + torch.log(sig_x)).sum(dim=2).mean(dim=(0, 1))
        my_dataset_size = data_shape

        class ConvVAE(nn.Module):
            def __init__(self, K, num_filters=4, filter_size=3):
                super(ConvVAE, self).__init__()
                filter_reduction = 2 * (filter_size // 2)
                self.shape_after_conv = (num_filters,
                                         my_dataset_size[1] - 2 * filter_reduction,
                                         my_dataset_size[2] - 2 * filter_reduction)
                flat_size_after_conv = (self.shape_after_conv[0] * self.shape_after_conv[1]
                                        * self.shape_after_conv[2])
                self.q_bias = BiasLayer(my_dataset_size)
                self.q_conv_1 = nn.Conv2d(my_dataset_size[0], num_filters, filter_size)
                self.q_conv_2 = nn.Conv2d(num_filters, num_filters, filter_size)
                self.q_flatten = nn.Flatten()
                self.q_fc_phi = nn.Linear(flat_size_after_conv, K + 1)
                self.p_fc_upsample = nn.Linear(K, flat_size_after_conv)
                self.p_unflatten = nn.Unflatten(-1, self.shape_after_conv)
                self.p_deconv_1 = nn.ConvTranspose2d(num_filters, num_filters, filter_size)
                self.p_deconv_2 = nn.ConvTranspose2d(num_filters, my_dataset_size[0],
                                                     filter_size)
                self.p_bias = BiasLayer(my_dataset_size)
                self.log_sig_x = nn.Parameter(torch.zeros(()))

            def infer(self, x):
                s = self.q_bias(x)
                s = F.relu(self.q_conv_1(s))
                s = F.relu(self.q_conv_2(s))
                flat_s = s.view(s.size()[0], -1)
                return self.q_fc_phi(flat_s)

            def generate(self, zs):
                b, n, k = zs.size()
                s = zs.view(b * n, -1)
                s = F.relu(self.p_fc_upsample(s)).view((b * n,) + self.shape_after_conv)
                s = F.relu(self.p_deconv_1(s))
                s = self.p_deconv_2(s)
                s = self.p_bias(s)
                return s.view(b, n, -1)

            def decode(self, zs):
                return self.generate(zs.unsqueeze(0))

            def forward(self, x):
                phi = self.infer(x)
                zs = phi[:, :-1]
                return self.generate(zs.unsqueeze(1))

            def elbo(self, x, n=1):
                phi = self.infer(x)
                zs = rsample(phi, n)
                mu_xs = self.generate(zs)
                return log_p_x(x, mu_xs, self.log_sig_x.exp()) - kl_q_p(zs, phi)
        set_seed(L, seed=SEED)
        vae = ConvVAE(K)
        optimizer = torch.optim.Adam(vae.parameters(), lr=1e-3)
        elbo_vals = []
        for epoch in range(2):
            for j in range(0, 32, 8):
                im = train_set[j:j + 8]
                optimizer.zero_grad()
                loss = -vae.elbo(im, n=2)
                loss.backward()
                optimizer.step()
                elbo_vals.append(-loss.item())
        o.print(f"elbo {elbo_vals[-1]:.4f}", vae.log_sig_x.shape, vae(train_set[:3]).shape)
        o.vals += [torch.tensor(elbo_vals), vae.log_sig_x, vae.p_deconv_2.weight]

        def generate_images(autoencoder, K, n_images=1):
            output_shape = (n_images,) + data_shape
            with torch.no_grad():
                z = torch.randn(n_images, K)
                x = autoencoder.decode(z)
                return x.reshape(output_shape)
        set_seed(L, seed=SEED)
        images = generate_images(conv_ae, K, n_images=3)
        images2 = generate_images(vae, K, n_images=3)
        o.print(images.shape, images2.shape, images2.requires_grad)
        o.vals += [images, images2]

        # Tutorial 2: the discriminator loss of the GAN section
        class DummyDisc:
            def classify(self, x):
                return torch.sigmoid(x.sum(dim=1))

        def loss_disc(disc, x_real, x_fake):
            label_real = 1
            loss_real = -1 * label_real * torch.log(disc.classify(x_real))
            label_fake = 0
            loss_fake = -1 * (1 - label_fake) * torch.log(1 - disc.classify(x_fake))
            return torch.cat([loss_real, loss_fake])
        ld = loss_disc(DummyDisc(), torch.randn(5, 2), torch.randn(5, 2))
        o.print(ld.shape)
        o.vals.append(ld)

        # Tutorial 3: score-based models
        def marginal_prob_std(t, sigma, device='cpu'):
            t = t.to(device)
            std = torch.sqrt((sigma ** (2 * t) - 1.) / 2. / np.log(sigma))
            return std

        def diffusion_coeff(t, sigma, device='cpu'):
            diff_coeff = sigma ** t
            return diff_coeff.to(device)
        sigma = 25.0
        t = torch.linspace(0.01, 1, 5)
        o.print(marginal_prob_std(t, sigma), diffusion_coeff(t, sigma))

        class ScoreModel(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 2))

            def forward(self, x, t):
                return self.net(torch.cat([x, t[:, None]], dim=1)) / marginal_prob_std(
                    t, sigma)[:, None]

        def loss_fn(model, x, marginal_prob_std, eps=1e-3, device='cpu'):
            random_t = torch.rand(x.shape[0], device=device) * (1. - eps) + eps
            std = marginal_prob_std(random_t).to(device)
            z = torch.randn_like(x).to(device)
            perturbed_x = x + z * std[:, None]
            score = model(perturbed_x, random_t)
            loss = torch.mean(torch.sum((score * std[:, None] + z) ** 2, dim=(1)))
            return loss
        score_model = ScoreModel()
        opt = torch.optim.Adam(score_model.parameters(), lr=1e-2)
        x0 = torch.randn(64, 2) * 0.5 + 1
        for i in range(10):
            loss = loss_fn(score_model, x0, lambda t: marginal_prob_std(t, sigma))
            opt.zero_grad()
            loss.backward()
            opt.step()
        o.print(f"score loss {loss.item():.4f}")
        o.vals.append(score_model.net[0].weight)
    return o.done()
