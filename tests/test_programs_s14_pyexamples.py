"""Session 14, the pytorch/examples repository's programs rewritten small (synthetic data,
a few steps): mnist, siamese_network, mnist_rnn, regression, vae, dcgan, super_resolution
and gcn, each run live on torch 2.13 and on ember: the same printed text, dtypes, shapes and
reprs, values to float32 rounding (see ``check``). More in the _b and _c files."""

import numpy as np
from s14_pyexamples_util import check, shown
from torch_compare import run_both


def test_mnist_net_trains_with_adadelta_steplr_and_reports_as_pytorch():
    def run(L):
        nn, F = L.nn, L.nn.functional

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1, self.conv2 = nn.Conv2d(1, 4, 3, 1), nn.Conv2d(4, 8, 3, 1)
                self.dropout1, self.dropout2 = nn.Dropout(0.25), nn.Dropout(0.5)
                self.fc1, self.fc2 = nn.Linear(8 * 4 * 4, 16), nn.Linear(16, 10)

            def forward(self, x):
                x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
                x = L.flatten(self.dropout1(x), 1)
                x = self.fc2(self.dropout2(F.relu(self.fc1(x))))
                return F.log_softmax(x, dim=1)

        L.manual_seed(1)
        model = Net()
        optimizer = L.optim.Adadelta(model.parameters(), lr=1.0)
        scheduler = L.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
        data, target = L.randn(32, 1, 12, 12), L.randint(0, 10, (32,))
        out = [str(model)]
        for epoch in (1, 2):
            model.train()
            for b in range(3):
                d, t = data[b * 8:(b + 1) * 8], target[b * 8:(b + 1) * 8]
                optimizer.zero_grad()
                loss = F.nll_loss(model(d), t)
                loss.backward()
                optimizer.step()
                out.append('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                    epoch, b * len(d), 24, 100. * b / 3, loss.item()))
            model.eval()
            with L.no_grad():
                output = model(data[24:])
                test_loss = F.nll_loss(output, target[24:], reduction='sum').item()
                pred = output.argmax(dim=1, keepdim=True)
                correct = pred.eq(target[24:].view_as(pred)).sum().item()
            out.append('Test set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)'.format(
                test_loss / 8, correct, 8, 100. * correct / 8))
            scheduler.step()
            out += [scheduler.get_last_lr(), output, pred]
        return shown(out) + [list(model.state_dict()), type(correct).__name__]
    check(*run_both(run))


def test_siamese_network_shared_tower_bceloss_matches():
    def run(L):
        nn = L.nn

        class SiameseNetwork(nn.Module):
            def __init__(self):
                super().__init__()
                self.cnn = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(inplace=True),
                                         nn.MaxPool2d(2), nn.Conv2d(4, 4, 3), nn.ReLU(True))
                self.fc = nn.Sequential(nn.Linear(32, 16), nn.ReLU(inplace=True),
                                        nn.Linear(16, 1))
                self.sigmoid = nn.Sigmoid()
                self.cnn.apply(self.init_weights)
                self.fc.apply(self.init_weights)

            def init_weights(self, m):
                if isinstance(m, nn.Linear):
                    L.nn.init.xavier_uniform_(m.weight)
                    m.bias.data.fill_(0.01)

            def forward_once(self, x):
                output = self.cnn(x)
                return output.view(output.size()[0], -1)

            def forward(self, input1, input2):
                output = L.cat((self.forward_once(input1), self.forward_once(input2)), 1)
                return self.sigmoid(self.fc(output))

        L.manual_seed(3)
        model = SiameseNetwork()
        opt = L.optim.Adadelta(model.parameters(), lr=1.0)
        sched = L.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
        criterion = nn.BCELoss()
        a, b = L.randn(16, 1, 10, 10), L.randn(16, 1, 10, 10)
        t = L.randint(0, 2, (16,)).float()
        out = [str(model)]
        for _ in range(3):
            opt.zero_grad()
            loss = criterion(model(a, b).squeeze(), t)
            loss.backward()
            opt.step()
            sched.step()
            out.append('loss {:.6f}'.format(loss.item()))
        with L.no_grad():
            o = model(a, b).squeeze()
            pred = L.where(o > 0.5, 1, 0)
        return shown(out + [o, pred, pred.eq(t.view_as(pred)).sum().item(),
                            L.flatten(a, 1).shape])
    check(*run_both(run))


def test_mnist_rnn_lstm_batchnorm_dropout2d_warning_match():
    def run(L):
        import warnings
        nn, F = L.nn, L.nn.functional

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = nn.LSTM(input_size=8, hidden_size=16, batch_first=True)
                self.batchnorm = nn.BatchNorm1d(16)
                self.dropout1, self.dropout2 = nn.Dropout2d(0.25), nn.Dropout2d(0.5)
                self.fc1, self.fc2 = nn.Linear(16, 12), nn.Linear(12, 10)

            def forward(self, input):
                output, hidden = self.rnn(input.reshape(-1, 8, 8))
                output = self.dropout1(self.batchnorm(output[:, -1, :]))
                output = self.dropout2(F.relu(self.fc1(output)))
                return F.log_softmax(self.fc2(output), dim=1)

        L.manual_seed(1)
        model = Net()
        opt = L.optim.Adadelta(model.parameters(), lr=0.1)
        x, y = L.randn(16, 1, 8, 8), L.randint(0, 10, (16,))
        out = [str(model)]
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter('always')
            for _ in range(3):
                opt.zero_grad()
                loss = F.nll_loss(model(x), y)
                loss.backward()
                opt.step()
                out.append('{:.4f}'.format(loss.item()))  # (float32 LSTM: last bits)
        out.append([str(m.message) for m in w])
        model.eval()
        with L.no_grad():
            o = model(x)
        return shown(out + [o, model.batchnorm.running_mean, model.batchnorm.num_batches_tracked])
    check(*run_both(run))


def test_regression_poly_fit_by_hand_prints_the_polynomial():
    def run(L):
        F = L.nn.functional
        L.manual_seed(0)
        W_target, b_target = L.randn(4, 1) * 5, L.randn(1) * 5

        def make_features(x):
            x = x.unsqueeze(1)
            return L.cat([x ** i for i in range(1, 5)], 1)

        def poly_desc(W, b):
            result = 'y = '
            for i, w in enumerate(W):
                result += '{:+.2f} x^{} '.format(w, i + 1)
            return result + '{:+.2f}'.format(b[0])

        fc = L.nn.Linear(W_target.size(0), 1)
        for batch_idx in range(1, 200):
            batch_x = make_features(L.randn(32))
            batch_y = batch_x.mm(W_target) + b_target.item()
            fc.zero_grad()
            output = F.smooth_l1_loss(fc(batch_x), batch_y)
            loss = output.item()
            output.backward()
            for param in fc.parameters():
                param.data.add_(-0.1 * param.grad)
            if loss < 1e-3:
                break
        return shown(['Loss: {:.6f} after {} batches'.format(loss, batch_idx),
                      '==> Learned function:\t' + poly_desc(fc.weight.view(-1), fc.bias),
                      '==> Actual function:\t' + poly_desc(W_target.view(-1), b_target),
                      fc.weight, fc.bias, f'{L.tensor(2.5):>8}', format(L.tensor(3), 'd'),
                      format(L.tensor([2.5]), ''), f'{L.tensor([1.5, 2.0])}'])
    check(*run_both(run))


def test_vae_reparameterize_bce_kld_sum_matches():
    def run(L):
        nn, F = L.nn, L.nn.functional

        class VAE(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1, self.fc21, self.fc22 = nn.Linear(64, 32), nn.Linear(32, 4), \
                    nn.Linear(32, 4)
                self.fc3, self.fc4 = nn.Linear(4, 32), nn.Linear(32, 64)

            def reparameterize(self, mu, logvar):
                std = L.exp(0.5 * logvar)
                return mu + L.randn_like(std) * std

            def decode(self, z):
                return L.sigmoid(self.fc4(F.relu(self.fc3(z))))

            def forward(self, x):
                h1 = F.relu(self.fc1(x.view(-1, 64)))
                mu, logvar = self.fc21(h1), self.fc22(h1)
                return self.decode(self.reparameterize(mu, logvar)), mu, logvar

        def loss_function(recon_x, x, mu, logvar):
            BCE = F.binary_cross_entropy(recon_x, x.view(-1, 64), reduction='sum')
            KLD = -0.5 * L.sum(1 + logvar - mu.pow(2) - logvar.exp())
            return BCE + KLD

        L.manual_seed(1)
        model = VAE()
        optimizer = L.optim.Adam(model.parameters(), lr=1e-3)
        data = L.rand(20, 1, 8, 8)
        out = []
        for epoch in range(3):
            model.train()
            train_loss = 0
            for b in range(2):
                d = data[b * 10:(b + 1) * 10]
                optimizer.zero_grad()
                recon_batch, mu, logvar = model(d)
                loss = loss_function(recon_batch, d, mu, logvar)
                loss.backward()
                train_loss += loss.item()
                optimizer.step()
            out.append('====> Epoch: {} Average loss: {:.4f}'.format(epoch, train_loss / 20))
            model.eval()
            with L.no_grad():
                sample = model.decode(L.randn(6, 4))
                out.append(sample.view(6, 1, 8, 8).shape)
        return shown(out + [sample[:2, :6]])
    check(*run_both(run))


def test_dcgan_weights_init_convtranspose_batchnorm_bce_fill_matches():
    def run(L):
        nn = L.nn
        nz, ngf, ndf = 8, 4, 4

        def weights_init(m):
            name = m.__class__.__name__
            if name.find('Conv') != -1:
                m.weight.data.normal_(0.0, 0.02)
            elif name.find('BatchNorm') != -1:
                m.weight.data.normal_(1.0, 0.02)
                m.bias.data.fill_(0)

        L.manual_seed(999)
        netG = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True), nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, 1, 4, 2, 1, bias=False), nn.Tanh())
        netD = nn.Sequential(
            nn.Conv2d(1, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True), nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),
            nn.Sigmoid(), nn.Flatten(0))
        netG.apply(weights_init)
        netD.apply(weights_init)
        criterion = nn.BCELoss()
        fixed_noise = L.randn(4, nz, 1, 1)
        optD = L.optim.Adam(netD.parameters(), lr=0.0002, betas=(0.5, 0.999))
        optG = L.optim.Adam(netG.parameters(), lr=0.0002, betas=(0.5, 0.999))
        data = L.rand(4, 1, 16, 16) * 2 - 1
        out = [str(netG), str(netD)]
        for i in range(3):
            netD.zero_grad()
            label = L.full((4,), 1, dtype=data.dtype)
            output = netD(data)
            errD_real = criterion(output, label)
            errD_real.backward()
            D_x = output.mean().item()
            fake = netG(L.randn(4, nz, 1, 1))
            label.fill_(0)
            output = netD(fake.detach())
            errD_fake = criterion(output, label)
            errD_fake.backward()
            D_G_z1 = output.mean().item()
            optD.step()
            netG.zero_grad()
            label.fill_(1)
            output = netD(fake)
            errG = criterion(output, label)
            errG.backward()
            optG.step()
            out.append('[%d/%d] Loss_D: %.4f Loss_G: %.4f D(x): %.4f D(G(z)): %.4f / %.4f' % (
                i, 3, (errD_real + errD_fake).item(), errG.item(), D_x, D_G_z1,
                output.mean().item()))
        fake = netG(fixed_noise).detach()
        return shown(out + [fake[0, 0, :2, :6], label, netG[1].running_var])
    check(*run_both(run))


def test_super_resolution_pixelshuffle_orthogonal_init_psnr_matches():
    def run(L):
        import math
        nn, init = L.nn, L.nn.init

        class Net(nn.Module):
            def __init__(self, r):
                super().__init__()
                self.relu = nn.ReLU()
                self.conv1 = nn.Conv2d(1, 8, (5, 5), (1, 1), (2, 2))
                self.conv2 = nn.Conv2d(8, 4, (3, 3), (1, 1), (1, 1))
                self.conv3 = nn.Conv2d(4, r ** 2, (3, 3), (1, 1), (1, 1))
                self.pixel_shuffle = nn.PixelShuffle(r)
                init.orthogonal_(self.conv1.weight, init.calculate_gain('relu'))
                init.orthogonal_(self.conv2.weight, init.calculate_gain('relu'))
                init.orthogonal_(self.conv3.weight)

            def forward(self, x):
                x = self.relu(self.conv2(self.relu(self.conv1(x))))
                return self.pixel_shuffle(self.conv3(x))

        L.manual_seed(123)
        model = Net(3)
        optimizer = L.optim.Adam(model.parameters(), lr=0.01)
        inp, target = L.rand(2, 1, 6, 6), L.rand(2, 1, 18, 18)
        out = [str(model), init.calculate_gain('leaky_relu', 0.2),
               [init.calculate_gain(n) for n in ('relu', 'tanh', 'linear', 'sigmoid', 'selu')],
               model.conv1.weight[0, 0].detach().clone()]
        for it in range(3):
            optimizer.zero_grad()
            loss = nn.MSELoss()(model(inp), target)
            loss.backward()
            optimizer.step()
            out.append("===> Epoch[1]({}/3): Loss: {:.4f}  PSNR {:.4f} dB".format(
                it, loss.item(), 10 * math.log10(1 / loss.item())))
        x = L.arange(32.).view(1, 8, 2, 2)
        ps, pu = nn.PixelShuffle(2), nn.PixelUnshuffle(2)
        return shown(out + [ps(x), pu(ps(x)).equal(x), str(ps), str(pu)])
    check(*run_both(run))


def test_gcn_dense_normalised_adjacency_trains_as_pytorch():
    def run(L):
        nn, F = L.nn, L.nn.functional

        class GraphConv(nn.Module):
            def __init__(self, d_in, d_out):
                super().__init__()
                self.kernel = nn.Parameter(L.Tensor(d_in, d_out))
                nn.init.xavier_normal_(self.kernel)
                self.bias = nn.Parameter(L.Tensor(d_out))
                nn.init.zeros_(self.bias)

            def forward(self, x, adj):
                return L.mm(adj, L.mm(x, self.kernel)) + self.bias

        L.manual_seed(42)
        rng = np.random.default_rng(0)
        edges = L.from_numpy(rng.integers(0, 12, (2, 30)))
        features = L.from_numpy((rng.random((12, 10)) > 0.7).astype(np.float32))
        labels = L.from_numpy(rng.integers(0, 3, 12))
        dense = L.zeros(12, 12)
        dense[edges[0], edges[1]] = 1
        dense = dense + L.eye(12)
        dinv = dense.sum(1).pow(-0.5)
        dinv[L.isinf(dinv)] = 0.
        adj = L.diag(dinv) @ dense @ L.diag(dinv)
        r_inv = features.sum(1).pow(-1)
        r_inv[L.isinf(r_inv)] = 0.
        features = L.diag(r_inv) @ features
        gc1, gc2, drop = GraphConv(10, 8), GraphConv(8, 3), nn.Dropout(0.1)
        params = list(gc1.parameters()) + list(gc2.parameters())
        opt = L.optim.Adam(params, lr=0.01, weight_decay=5e-4)
        out = [adj]
        for ep in range(5):
            opt.zero_grad()
            y = F.log_softmax(gc2(drop(F.relu(gc1(features, adj))), adj), dim=1)
            loss = F.nll_loss(y[:8], labels[:8])
            acc = y[:8].argmax(1).eq(labels[:8]).sum().item() / 8
            loss.backward()
            opt.step()
            out.append(f'Epoch [{ep + 1}/5] Train loss: {loss.item():.4f} | '
                       f'Train accuracy: {acc:.2%}')
        return shown(out + [y.detach()])
    check(*run_both(run))
