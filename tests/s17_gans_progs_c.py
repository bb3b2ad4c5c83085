"""eriklindernoren/PyTorch-GAN image-to-image models (cyclegan/models.py GeneratorResNet with
ReflectionPad2d + InstanceNorm2d ResidualBlocks and the PatchGAN Discriminator,
pix2pix/models.py UNetDown/UNetUp GeneratorUNet) and their training scripts, scaled down
(32x32 random images through a Dataset of dicts, one residual block): see
tests/s17_gans_progs.py."""

import itertools
import random

import numpy as np
from s16_yunjey_progs import Out


def _cyclegan_models(L):
    nn, F = L.nn, L.nn.functional

    def weights_init_normal(m):
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            L.nn.init.normal_(m.weight.data, 0.0, 0.02)
            if hasattr(m, "bias") and m.bias is not None:
                L.nn.init.constant_(m.bias.data, 0.0)
        elif classname.find("BatchNorm2d") != -1:
            L.nn.init.normal_(m.weight.data, 1.0, 0.02)
            L.nn.init.constant_(m.bias.data, 0.0)

    class ResidualBlock(nn.Module):
        def __init__(self, in_features):
            super(ResidualBlock, self).__init__()
            self.block = nn.Sequential(
                nn.ReflectionPad2d(1), nn.Conv2d(in_features, in_features, 3),
                nn.InstanceNorm2d(in_features), nn.ReLU(inplace=True),
                nn.ReflectionPad2d(1), nn.Conv2d(in_features, in_features, 3),
                nn.InstanceNorm2d(in_features))

        def forward(self, x):
            return x + self.block(x)

    class GeneratorResNet(nn.Module):
        def __init__(self, input_shape, num_residual_blocks):
            super(GeneratorResNet, self).__init__()
            channels = input_shape[0]
            out_features = 4
            model = [nn.ReflectionPad2d(channels), nn.Conv2d(channels, out_features, 7),
                     nn.InstanceNorm2d(out_features), nn.ReLU(inplace=True)]
            in_features = out_features
            for _ in range(2):
                out_features *= 2
                model += [nn.Conv2d(in_features, out_features, 3, stride=2, padding=1),
                          nn.InstanceNorm2d(out_features), nn.ReLU(inplace=True)]
                in_features = out_features
            for _ in range(num_residual_blocks):
                model += [ResidualBlock(out_features)]
            for _ in range(2):
                out_features //= 2
                model += [nn.Upsample(scale_factor=2),
                          nn.Conv2d(in_features, out_features, 3, stride=1, padding=1),
                          nn.InstanceNorm2d(out_features), nn.ReLU(inplace=True)]
                in_features = out_features
            model += [nn.ReflectionPad2d(channels), nn.Conv2d(out_features, channels, 7),
                      nn.Tanh()]
            self.model = nn.Sequential(*model)

        def forward(self, x):
            return self.model(x)

    class Discriminator(nn.Module):
        def __init__(self, input_shape):
            super(Discriminator, self).__init__()
            channels, height, width = input_shape
            self.output_shape = (1, height // 2 ** 4, width // 2 ** 4)

            def discriminator_block(in_filters, out_filters, normalize=True):
                """Returns downsampling layers of each discriminator block"""
                layers = [nn.Conv2d(in_filters, out_filters, 4, stride=2, padding=1)]
                if normalize:
                    layers.append(nn.InstanceNorm2d(out_filters))
                layers.append(nn.LeakyReLU(0.2, inplace=True))
                return layers

            self.model = nn.Sequential(
                *discriminator_block(channels, 4, normalize=False),
                *discriminator_block(4, 8), *discriminator_block(8, 8),
                *discriminator_block(8, 8), nn.ZeroPad2d((1, 0, 1, 0)),
                nn.Conv2d(8, 1, 4, padding=1))

        def forward(self, img):
            return self.model(img)
    return weights_init_normal, GeneratorResNet, Discriminator


class _ReplayBuffer:
    def __init__(self, L, max_size=50):
        assert max_size > 0, "Empty buffer or trying to create a black hole. Be careful."
        self.L, self.max_size, self.data = L, max_size, []

    def push_and_pop(self, data):
        to_return = []
        for element in data.data:
            element = self.L.unsqueeze(element, 0)
            if len(self.data) < self.max_size:
                self.data.append(element)
                to_return.append(element)
            else:
                if random.uniform(0, 1) > 0.5:
                    i = random.randint(0, self.max_size - 1)
                    to_return.append(self.data[i].clone())
                    self.data[i] = element
                else:
                    to_return.append(element)
        return self.L.autograd.Variable(self.L.cat(to_return))


class _LambdaLR:
    def __init__(self, n_epochs, offset, decay_start_epoch):
        assert (n_epochs - decay_start_epoch) > 0, "Decay must start before the training session ends!"
        self.n_epochs, self.offset, self.decay_start_epoch = n_epochs, offset, decay_start_epoch

    def step(self, epoch):
        return 1.0 - max(0, epoch + self.offset - self.decay_start_epoch) / (
            self.n_epochs - self.decay_start_epoch)


def _image_dataset(L, n, shape, seed):
    """ImageDataset(unaligned=True): dicts of an A and a B image in [-1, 1]."""
    rng = np.random.default_rng(seed)
    A = rng.random((n,) + shape, dtype=np.float32) * 2 - 1
    B = rng.random((n + 1,) + shape, dtype=np.float32) * 2 - 1

    class ImageDataset(L.utils.data.Dataset):
        def __getitem__(self, index):
            item_A = L.from_numpy(A[index % len(A)])
            item_B = L.from_numpy(B[random.randint(0, len(B) - 1)])
            return {"A": item_A, "B": item_B}

        def __len__(self):
            return max(len(A), len(B))
    return ImageDataset()


def cyclegan(L):
    """implementations/cyclegan/cyclegan.py"""
    Variable = L.autograd.Variable
    cuda = L.cuda.is_available()
    with Out() as o:
        L.manual_seed(0); random.seed(0); np.random.seed(0)
        weights_init_normal, GeneratorResNet, Discriminator = _cyclegan_models(L)
        n_epochs, epoch0, decay_epoch, lr, b1, b2 = 2, 0, 1, 0.0002, 0.5, 0.999
        criterion_GAN = L.nn.MSELoss()
        criterion_cycle = L.nn.L1Loss()
        criterion_identity = L.nn.L1Loss()
        input_shape = (3, 32, 32)
        G_AB = GeneratorResNet(input_shape, 1)
        G_BA = GeneratorResNet(input_shape, 1)
        D_A = Discriminator(input_shape)
        D_B = Discriminator(input_shape)
        o.print(G_AB); o.print(D_A)
        G_AB.apply(weights_init_normal); G_BA.apply(weights_init_normal)
        D_A.apply(weights_init_normal); D_B.apply(weights_init_normal)
        lambda_cyc = 10.0
        lambda_id = 5.0
        optimizer_G = L.optim.Adam(itertools.chain(G_AB.parameters(), G_BA.parameters()),
                                   lr=lr, betas=(b1, b2))
        optimizer_D_A = L.optim.Adam(D_A.parameters(), lr=lr, betas=(b1, b2))
        optimizer_D_B = L.optim.Adam(D_B.parameters(), lr=lr, betas=(b1, b2))
        lr_scheduler_G = L.optim.lr_scheduler.LambdaLR(
            optimizer_G, lr_lambda=_LambdaLR(n_epochs, epoch0, decay_epoch).step)
        lr_scheduler_D_A = L.optim.lr_scheduler.LambdaLR(
            optimizer_D_A, lr_lambda=_LambdaLR(n_epochs, epoch0, decay_epoch).step)
        Tensor = L.cuda.FloatTensor if cuda else L.Tensor
        fake_A_buffer = _ReplayBuffer(L)
        fake_B_buffer = _ReplayBuffer(L)
        dataloader = L.utils.data.DataLoader(_image_dataset(L, 2, input_shape, 1),
                                             batch_size=2, shuffle=True, num_workers=0)
        for epoch in range(epoch0, n_epochs):
            for i, batch in enumerate(dataloader):
                real_A = Variable(batch["A"].type(Tensor))
                real_B = Variable(batch["B"].type(Tensor))
                valid = Variable(Tensor(np.ones((real_A.size(0), *D_A.output_shape))),
                                 requires_grad=False)
                fake = Variable(Tensor(np.zeros((real_A.size(0), *D_A.output_shape))),
                                requires_grad=False)
                G_AB.train()
                G_BA.train()
                optimizer_G.zero_grad()
                loss_id_A = criterion_identity(G_BA(real_A), real_A)
                loss_id_B = criterion_identity(G_AB(real_B), real_B)
                loss_identity = (loss_id_A + loss_id_B) / 2
                fake_B = G_AB(real_A)
                loss_GAN_AB = criterion_GAN(D_B(fake_B), valid)
                fake_A = G_BA(real_B)
                loss_GAN_BA = criterion_GAN(D_A(fake_A), valid)
                loss_GAN = (loss_GAN_AB + loss_GAN_BA) / 2
                recov_A = G_BA(fake_B)
                loss_cycle_A = criterion_cycle(recov_A, real_A)
                recov_B = G_AB(fake_A)
                loss_cycle_B = criterion_cycle(recov_B, real_B)
                loss_cycle = (loss_cycle_A + loss_cycle_B) / 2
                loss_G = loss_GAN + lambda_cyc * loss_cycle + lambda_id * loss_identity
                loss_G.backward()
                optimizer_G.step()
                optimizer_D_A.zero_grad()
                loss_real = criterion_GAN(D_A(real_A), valid)
                fake_A_ = fake_A_buffer.push_and_pop(fake_A)
                loss_fake = criterion_GAN(D_A(fake_A_.detach()), fake)
                loss_D_A = (loss_real + loss_fake) / 2
                loss_D_A.backward()
                optimizer_D_A.step()
                optimizer_D_B.zero_grad()
                loss_real = criterion_GAN(D_B(real_B), valid)
                fake_B_ = fake_B_buffer.push_and_pop(fake_B)
                loss_fake = criterion_GAN(D_B(fake_B_.detach()), fake)
                loss_D_B = (loss_real + loss_fake) / 2
                loss_D_B.backward()
                optimizer_D_B.step()
                loss_D = (loss_D_A + loss_D_B) / 2
                o.print("\r[Epoch %d/%d] [Batch %d/%d] [D loss: %.4f] [G loss: %.4f, adv: %.4f, "
                        "cycle: %.4f, identity: %.4f]" % (
                            epoch, n_epochs, i, len(dataloader), loss_D.item(), loss_G.item(),
                            loss_GAN.item(), loss_cycle.item(), loss_identity.item()))
                o.vals += [loss_D.item(), loss_G.item(), loss_GAN.item(), loss_cycle.item()]
            lr_scheduler_G.step()
            lr_scheduler_D_A.step()
            o.print(lr_scheduler_G.get_last_lr(), optimizer_D_A.param_groups[0]["lr"])
        G_AB.eval()
        with L.no_grad():
            img_sample = L.cat((real_A.data, fake_B.data, real_B.data, fake_A.data), 0)
        o.print(img_sample.shape, batch["A"].dtype, sorted(batch))
        # (not recov_B: four generator passes deep, float32 sums in another order leave 4e-6)
        o.vals += [img_sample, fake_A_, recov_B.shape]
    return o.done()
