"""Vision models beyond plain CNN classifiers (see s20_vision2_progs.py). This file:
pytorch/examples super_resolution (model.py's ESPCN with nn.PixelShuffle and orthogonal_
init, main.py's train / test / checkpoint, super_resolve.py), the fastai-style ICNR init,
and Siamese networks: harveyslash/Facial-Similarity-with-Siamese-Networks-in-Pytorch
(ReflectionPad2d tower, ContrastiveLoss with F.pairwise_distance and clamp) and
pytorch/examples siamese_network (concatenated embeddings, Sigmoid, BCELoss)."""

import io
from math import log10

import numpy as np
from s16_yunjey_progs import Out


def espcn(L):
    """super_resolution: Net(upscale_factor=3) (64 / 32 channels become 16 / 8), MSELoss,
    Adam(lr=0.01), '===> Epoch[{}]({}/{}): Loss: {:.4f}', PSNR 10 * log10(1 / mse.item()),
    a state_dict checkpoint, then super_resolve.py's view(1, -1, h, w) and the 0..255 clip."""
    torch, nn, init, optim = L, L.nn, L.nn.init, L.optim
    from_data = L.utils.data
    with Out() as o:
        L.manual_seed(0)

        class Net(nn.Module):
            def __init__(self, upscale_factor):
                super(Net, self).__init__()

                self.relu = nn.ReLU()
                self.conv1 = nn.Conv2d(1, 16, (5, 5), (1, 1), (2, 2))
                self.conv2 = nn.Conv2d(16, 16, (3, 3), (1, 1), (1, 1))
                self.conv3 = nn.Conv2d(16, 8, (3, 3), (1, 1), (1, 1))
                self.conv4 = nn.Conv2d(8, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
                self.pixel_shuffle = nn.PixelShuffle(upscale_factor)

                self._initialize_weights()

            def forward(self, x):
                x = self.relu(self.conv1(x))
                x = self.relu(self.conv2(x))
                x = self.relu(self.conv3(x))
                x = self.pixel_shuffle(self.conv4(x))
                return x

            def _initialize_weights(self):
                init.orthogonal_(self.conv1.weight, init.calculate_gain('relu'))
                init.orthogonal_(self.conv2.weight, init.calculate_gain('relu'))
                init.orthogonal_(self.conv3.weight, init.calculate_gain('relu'))
                init.orthogonal_(self.conv4.weight)

        rng = np.random.RandomState(0)
        hr = torch.from_numpy(rng.rand(6, 1, 12, 12).astype(np.float32))
        lr_ = torch.nn.functional.avg_pool2d(hr, 3)
        train_set = from_data.TensorDataset(lr_[:4], hr[:4])
        test_set = from_data.TensorDataset(lr_[4:], hr[4:])
        training_data_loader = from_data.DataLoader(dataset=train_set, batch_size=2, shuffle=True)
        testing_data_loader = from_data.DataLoader(dataset=test_set, batch_size=1, shuffle=False)
        model = Net(upscale_factor=3)
        o.print(model)
        criterion = nn.MSELoss()
        optimizer = optim.Adam(model.parameters(), lr=0.01)

        def train(epoch):
            epoch_loss = 0
            for iteration, batch in enumerate(training_data_loader, 1):
                input, target = batch[0].to('cpu'), batch[1].to('cpu')

                optimizer.zero_grad()
                loss = criterion(model(input), target)
                epoch_loss += loss.item()
                loss.backward()
                optimizer.step()

                o.print("===> Epoch[{}]({}/{}): Loss: {:.4f}".format(
                    epoch, iteration, len(training_data_loader), loss.item()))
                o.vals.append(loss)

            o.print("===> Epoch {} Complete: Avg. Loss: {:.4f}".format(
                epoch, epoch_loss / len(training_data_loader)))

        def test():
            avg_psnr = 0
            with torch.no_grad():
                for batch in testing_data_loader:
                    input, target = batch[0].to('cpu'), batch[1].to('cpu')

                    prediction = model(input)
                    mse = criterion(prediction, target)
                    psnr = 10 * log10(1 / mse.item())
                    avg_psnr += psnr
            o.print("===> Avg. PSNR: {:.4f} dB".format(avg_psnr / len(testing_data_loader)))

        def checkpoint(epoch):
            buf = io.BytesIO()
            torch.save(model.state_dict(), buf)
            o.print("Checkpoint saved to {}".format("model_epoch_{}.pth".format(epoch)))
            return buf

        for epoch in range(1, 3):
            train(epoch)
            test()
            buf = checkpoint(epoch)
        buf.seek(0)
        model2 = Net(upscale_factor=3)
        o.print(model2.load_state_dict(torch.load(buf)))
        y = lr_[5, 0].numpy()
        input = torch.from_numpy(y).view(1, -1, y.shape[0], y.shape[1])
        out = model2(input)
        out = out.cpu()
        out_img_y = out[0].detach().numpy()
        out_img_y *= 255.0
        out_img_y = out_img_y.clip(0, 255)
        o.print(out.shape, out_img_y.dtype, out_img_y.shape, np.uint8(out_img_y[0]).shape)
        o.vals += [out, out_img_y]
    return o.done()


def pixel_shuffle_icnr(L):
    """ICNR init of the convolution before a PixelShuffle (kaiming_normal_ of the small
    kernel, transpose / view / repeat / view back), PixelShuffle and PixelUnshuffle round
    trips, their reprs, F.pixel_shuffle on a 3-d tensor and the refusals, and the
    interpolation baselines (F.interpolate) an SR program compares against."""
    torch, nn, F = L, L.nn, L.nn.functional
    with Out() as o:
        L.manual_seed(3)

        def icnr(x, scale=2, init=nn.init.kaiming_normal_):
            ni, nf, h, w = x.shape
            ni2 = int(ni / (scale ** 2))
            k = init(torch.zeros([ni2, nf, h, w])).transpose(0, 1)
            k = k.contiguous().view(ni2, nf, -1)
            k = k.repeat(1, 1, scale ** 2)
            k = k.contiguous().view([nf, ni, h, w]).transpose(0, 1)
            x.data.copy_(k)

        conv = nn.Conv2d(4, 3 * 4, 3, padding=1)
        icnr(conv.weight, scale=2)
        shuf = nn.PixelShuffle(2)
        o.print(shuf, nn.PixelUnshuffle(2), shuf.upscale_factor)
        x = torch.randn(2, 4, 5, 5)
        y = shuf(conv(x))
        o.print(y.shape, y.is_contiguous())
        o.vals += [conv.weight, y]
        # ICNR makes each 2x2 block of the output start equal but for the bias
        blocks = y - y[:, :, ::2, ::2].repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
        bias = conv.bias.view(3, 4)
        o.print(bias.shape, blocks.abs().max().item() <= 2 * bias.abs().max().item() + 1e-6)
        z = F.pixel_unshuffle(y, 2)
        o.print(bool(torch.equal(F.pixel_shuffle(z, 2), y)), z.shape)
        o.print(F.pixel_shuffle(torch.arange(8.).view(8, 1, 1), 2))
        o.tryit(lambda: F.pixel_shuffle(torch.randn(1, 6, 2, 2), 2))
        o.tryit(lambda: F.pixel_shuffle(torch.randn(4, 2), 2))
        o.tryit(lambda: F.pixel_unshuffle(torch.randn(1, 1, 5, 4), 2))
        o.tryit(lambda: nn.PixelShuffle(0)(torch.randn(1, 4, 2, 2)))
        # (bicubic left out: PyTorch's kernel contracts its sums into fused multiply-adds,
        # so its last bits differ from ember's, beyond atol 1e-6 on N(0, 1) pixels)
        up = F.interpolate(x, scale_factor=3, mode='bilinear', align_corners=False)
        up_nearest = F.interpolate(x, scale_factor=3)
        o.print(up.shape, up_nearest.shape)
        o.vals += [up, up_nearest, F.interpolate(x, size=(7, 9), mode='bilinear', align_corners=True)]
        y.sum().backward()
        o.vals.append(conv.weight.grad)
    return o.done()


def siamese_contrastive(L):
    """Facial-Similarity-with-Siamese-Networks: SiameseNetwork (ReflectionPad2d / Conv2d /
    ReLU(inplace) / BatchNorm2d x3, a Linear head), forward_once, ContrastiveLoss(margin=2)
    with F.pairwise_distance(keepdim=True) and torch.clamp(min=0.0), Adam(lr=0.0005), labels
    as np.array([int(a != b)], dtype=np.float32), the 'Dissimilarity' test print."""
    torch, nn, F, optim = L, L.nn, L.nn.functional, L.optim
    with Out() as o:
        L.manual_seed(6)

        class SiameseNetwork(nn.Module):
            def __init__(self):
                super(SiameseNetwork, self).__init__()
                self.cnn1 = nn.Sequential(
                    nn.ReflectionPad2d(1),
                    nn.Conv2d(1, 4, kernel_size=3),
                    nn.ReLU(inplace=True),
                    nn.BatchNorm2d(4),

                    nn.ReflectionPad2d(1),
                    nn.Conv2d(4, 8, kernel_size=3),
                    nn.ReLU(inplace=True),
                    nn.BatchNorm2d(8),

                    nn.ReflectionPad2d(1),
                    nn.Conv2d(8, 8, kernel_size=3),
                    nn.ReLU(inplace=True),
                    nn.BatchNorm2d(8),
                )

                self.fc1 = nn.Sequential(
                    nn.Linear(8 * 10 * 10, 50),
                    nn.ReLU(inplace=True),

                    nn.Linear(50, 50),
                    nn.ReLU(inplace=True),

                    nn.Linear(50, 5))

            def forward_once(self, x):
                output = self.cnn1(x)
                output = output.view(output.size()[0], -1)
                output = self.fc1(output)
                return output

            def forward(self, input1, input2):
                output1 = self.forward_once(input1)
                output2 = self.forward_once(input2)
                return output1, output2

        class ContrastiveLoss(torch.nn.Module):
            """
            Contrastive loss function.
            Based on: http://yann.lecun.com/exdb/publis/pdf/hadsell-chopra-lecun-06.pdf
            """

            def __init__(self, margin=2.0):
                super(ContrastiveLoss, self).__init__()
                self.margin = margin

            def forward(self, output1, output2, label):
                euclidean_distance = F.pairwise_distance(output1, output2, keepdim=True)
                loss_contrastive = torch.mean((1 - label) * torch.pow(euclidean_distance, 2) +
                                              (label) * torch.pow(torch.clamp(self.margin - euclidean_distance, min=0.0), 2))

                return loss_contrastive

        rng = np.random.RandomState(4)
        people = rng.rand(3, 1, 10, 10).astype(np.float32)

        def pair():
            a, b = rng.randint(0, 3), rng.randint(0, 3)
            img0 = people[a] + 0.1 * rng.randn(1, 10, 10).astype(np.float32)
            img1 = people[b] + 0.1 * rng.randn(1, 10, 10).astype(np.float32)
            return (torch.from_numpy(img0), torch.from_numpy(img1),
                    torch.from_numpy(np.array([int(a != b)], dtype=np.float32)))

        batches = []
        for _ in range(3):
            items = [pair() for _ in range(4)]
            batches.append(tuple(torch.stack([it[k] for it in items]) for k in range(3)))
        net = SiameseNetwork()
        criterion = ContrastiveLoss()
        optimizer = optim.Adam(net.parameters(), lr=0.0005)
        counter, loss_history, iteration_number = [], [], 0
        for epoch in range(0, 2):
            for i, data in enumerate(batches, 0):
                img0, img1, label = data
                optimizer.zero_grad()
                output1, output2 = net(img0, img1)
                loss_contrastive = criterion(output1, output2, label)
                loss_contrastive.backward()
                optimizer.step()
                if i % 2 == 0:
                    o.print("Epoch number {}\n Current loss {:.4f}\n".format(epoch, loss_contrastive.item()))
                    iteration_number += 2
                    counter.append(iteration_number)
                    loss_history.append(loss_contrastive.item())
                o.vals.append(loss_contrastive)
        o.print(counter, len(loss_history), label.shape, label.dtype)
        net.eval()
        x0, _, _ = batches[0]
        for i in range(3):
            _, x1, label2 = batches[1]
            output1, output2 = net(x0[i:i + 1], x1[i:i + 1])
            euclidean_distance = F.pairwise_distance(output1, output2)
            o.print('Dissimilarity: {:.2f}'.format(euclidean_distance.item()), euclidean_distance.shape)
            o.vals += [output1, euclidean_distance]
        o.vals.append(F.pairwise_distance(x0.view(4, -1), x1.view(4, -1), p=1, eps=0.5))
        o.tryit(lambda: F.pairwise_distance(output1, output2[:, :3]))
        o.tryit(lambda: criterion(output1, output2, label.long()).dtype)
    return o.done()


def siamese_bce(L):
    """pytorch/examples siamese_network/main.py (its ResNet-18 towers become a small conv
    net): embeddings concatenated, fc with xavier_uniform_ / bias.data.fill_(0.01),
    nn.Sigmoid, BCELoss, StepLR, then the test loop's torch.where(outputs > 0.5, 1, 0) and
    pred.eq(targets.view_as(pred)).sum().item()."""
    torch, nn, optim = L, L.nn, L.optim
    with Out() as o:
        L.manual_seed(5)

        class SiameseNetwork(nn.Module):
            def __init__(self):
                super(SiameseNetwork, self).__init__()
                self.resnet = nn.Sequential(nn.Conv2d(1, 6, 3, stride=2), nn.ReLU(),
                                            nn.AdaptiveAvgPool2d((1, 1)))
                self.fc_in_features = 6
                self.fc = nn.Sequential(
                    nn.Linear(self.fc_in_features * 2, 16),
                    nn.ReLU(inplace=True),
                    nn.Linear(16, 1),
                )
                self.sigmoid = nn.Sigmoid()
                self.resnet.apply(self.init_weights)
                self.fc.apply(self.init_weights)

            def init_weights(self, m):
                if isinstance(m, nn.Linear):
                    torch.nn.init.xavier_uniform_(m.weight)
                    m.bias.data.fill_(0.01)

            def forward_once(self, x):
                output = self.resnet(x)
                output = output.view(output.size()[0], -1)
                return output

            def forward(self, input1, input2):
                output1 = self.forward_once(input1)
                output2 = self.forward_once(input2)
                output = torch.cat((output1, output2), 1)
                output = self.fc(output)
                output = self.sigmoid(output)
                return output

        rng = np.random.RandomState(5)
        data = [(torch.from_numpy(rng.rand(4, 1, 9, 9).astype(np.float32)),
                 torch.from_numpy(rng.rand(4, 1, 9, 9).astype(np.float32)),
                 torch.from_numpy(rng.randint(0, 2, 4).astype(np.float32))) for _ in range(3)]
        model = SiameseNetwork()
        optimizer = optim.Adadelta(model.parameters(), lr=1.0)
        scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
        criterion = nn.BCELoss()
        for epoch in range(1, 3):
            model.train()
            for batch_idx, (images_1, images_2, targets) in enumerate(data):
                optimizer.zero_grad()
                outputs = model(images_1, images_2).squeeze()
                loss = criterion(outputs, targets)
                loss.backward()
                optimizer.step()
                o.print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                    epoch, batch_idx * len(images_1), 3 * 4,
                    100. * batch_idx / len(data), loss.item()))
                o.vals.append(loss)
            scheduler.step()
            model.eval()
            test_loss, correct = 0, 0
            with torch.no_grad():
                for (images_1, images_2, targets) in data:
                    outputs = model(images_1, images_2).squeeze()
                    test_loss += criterion(outputs, targets).sum().item()
                    pred = torch.where(outputs > 0.5, 1, 0)
                    correct += pred.eq(targets.view_as(pred)).sum().item()
            test_loss /= 12
            o.print('Test set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)'.format(
                test_loss, correct, 12, 100. * correct / 12), pred.dtype)
        o.tryit(lambda: criterion(outputs, targets.long()))
        o.tryit(lambda: criterion(outputs, targets.unsqueeze(1)))
        o.tryit(lambda: criterion(outputs * 2, targets))
    return o.done()
