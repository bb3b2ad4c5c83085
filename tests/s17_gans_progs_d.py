"""eriklindernoren/PyTorch-GAN: pix2pix (models.py UNetDown/UNetUp GeneratorUNet and the
two-input PatchGAN Discriminator, pix2pix.py's loop), srgan and esrgan model blocks
(ResidualBlock with PReLU, PixelShuffle upsampling, DenseResidualBlock /
ResidualInResidualDenseBlock), scaled down: see tests/s17_gans_progs.py."""

import numpy as np
from s16_yunjey_progs import Out


def _pix2pix_models(L):
    nn = L.nn

    class UNetDown(nn.Module):
        def __init__(self, in_size, out_size, normalize=True, dropout=0.0):
            super(UNetDown, self).__init__()
            layers = [nn.Conv2d(in_size, out_size, 4, 2, 1, bias=False)]
            if normalize:
                layers.append(nn.InstanceNorm2d(out_size))
            layers.append(nn.LeakyReLU(0.2))
            if dropout:
                layers.append(nn.Dropout(dropout))
            self.model = nn.Sequential(*layers)

        def forward(self, x):
            return self.model(x)

    class UNetUp(nn.Module):
        def __init__(self, in_size, out_size, dropout=0.0):
            super(UNetUp, self).__init__()
            layers = [nn.ConvTranspose2d(in_size, out_size, 4, 2, 1, bias=False),
                      nn.InstanceNorm2d(out_size), nn.ReLU(inplace=True)]
            if dropout:
                layers.append(nn.Dropout(dropout))
            self.model = nn.Sequential(*layers)

        def forward(self, x, skip_input):
            x = self.model(x)
            x = L.cat((x, skip_input), 1)
            return x

    class GeneratorUNet(nn.Module):
        def __init__(self, in_channels=3, out_channels=3):
            super(GeneratorUNet, self).__init__()
            self.down1 = UNetDown(in_channels, 4, normalize=False)
            self.down2 = UNetDown(4, 8)
            self.down3 = UNetDown(8, 8, dropout=0.5)
            self.down4 = UNetDown(8, 8, normalize=False, dropout=0.5)
            self.up1 = UNetUp(8, 8, dropout=0.5)
            self.up2 = UNetUp(16, 8)
            self.up3 = UNetUp(16, 4)
            self.final = nn.Sequential(
                nn.Upsample(scale_factor=2), nn.ZeroPad2d((1, 0, 1, 0)),
                nn.Conv2d(8, out_channels, 4, padding=1), nn.Tanh())

        def forward(self, x):
            d1 = self.down1(x)
            d2 = self.down2(d1)
            d3 = self.down3(d2)
            d4 = self.down4(d3)
            u1 = self.up1(d4, d3)
            u2 = self.up2(u1, d2)
            u3 = self.up3(u2, d1)
            return self.final(u3)

    class Discriminator(nn.Module):
        def __init__(self, in_channels=3):
            super(Discriminator, self).__init__()

            def discriminator_block(in_filters, out_filters, normalization=True):
                """Returns downsampling layers of each discriminator block"""
                layers = [nn.Conv2d(in_filters, out_filters, 4, stride=2, padding=1)]
                if normalization:
                    layers.append(nn.InstanceNorm2d(out_filters))
                layers.append(nn.LeakyReLU(0.2, inplace=True))
                return layers

            self.model = nn.Sequential(
                *discriminator_block(in_channels * 2, 4, normalization=False),
                *discriminator_block(4, 8), *discriminator_block(8, 8),
                nn.ZeroPad2d((1, 0, 1, 0)), nn.Conv2d(8, 1, 4, padding=1, bias=False))

        def forward(self, img_A, img_B):
            img_input = L.cat((img_A, img_B), 1)
            return self.model(img_input)
    return GeneratorUNet, Discriminator


def pix2pix(L):
    """implementations/pix2pix/pix2pix.py"""
    Variable = L.autograd.Variable
    cuda = True if L.cuda.is_available() else False
    with Out() as o:
        L.manual_seed(0); np.random.seed(0)
        GeneratorUNet, Discriminator = _pix2pix_models(L)
        img_height = img_width = 32
        n_epochs, lr, b1, b2 = 1, 0.0002, 0.5, 0.999
        criterion_GAN = L.nn.MSELoss()
        criterion_pixelwise = L.nn.L1Loss()
        lambda_pixel = 100
        patch = (1, img_height // 2 ** 3, img_width // 2 ** 3)
        generator = GeneratorUNet()
        discriminator = Discriminator()

        def weights_init_normal(m):
            classname = m.__class__.__name__
            if classname.find("Conv") != -1:
                L.nn.init.normal_(m.weight.data, 0.0, 0.02)
            elif classname.find("BatchNorm2d") != -1:
                L.nn.init.normal_(m.weight.data, 1.0, 0.02)
                L.nn.init.constant_(m.bias.data, 0.0)
        generator.apply(weights_init_normal)
        discriminator.apply(weights_init_normal)
        o.print(generator.up1); o.print(discriminator)
        optimizer_G = L.optim.Adam(generator.parameters(), lr=lr, betas=(b1, b2))
        optimizer_D = L.optim.Adam(discriminator.parameters(), lr=lr, betas=(b1, b2))
        rng = np.random.default_rng(1)
        data = [{"A": L.from_numpy(rng.random((2, 3, 32, 32), dtype=np.float32) * 2 - 1),
                 "B": L.from_numpy(rng.random((2, 3, 32, 32), dtype=np.float32) * 2 - 1)}
                for _ in range(2)]
        Tensor = L.cuda.FloatTensor if cuda else L.FloatTensor
        for epoch in range(n_epochs):
            for i, batch in enumerate(data):
                real_A = Variable(batch["B"].type(Tensor))
                real_B = Variable(batch["A"].type(Tensor))
                valid = Variable(Tensor(np.ones((real_A.size(0), *patch))), requires_grad=False)
                fake = Variable(Tensor(np.zeros((real_A.size(0), *patch))), requires_grad=False)
                optimizer_G.zero_grad()
                fake_B = generator(real_A)
                pred_fake = discriminator(fake_B, real_A)
                loss_GAN = criterion_GAN(pred_fake, valid)
                loss_pixel = criterion_pixelwise(fake_B, real_B)
                loss_G = loss_GAN + lambda_pixel * loss_pixel
                loss_G.backward()
                optimizer_G.step()
                optimizer_D.zero_grad()
                pred_real = discriminator(real_B, real_A)
                loss_real = criterion_GAN(pred_real, valid)
                pred_fake = discriminator(fake_B.detach(), real_A)
                loss_fake = criterion_GAN(pred_fake, fake)
                loss_D = 0.5 * (loss_real + loss_fake)
                loss_D.backward()
                optimizer_D.step()
                o.print("\r[Epoch %d/%d] [Batch %d/%d] [D loss: %.4f] [G loss: %.4f, pixel: %.4f, "
                        "adv: %.4f]" % (epoch, n_epochs, i, len(data), loss_D.item(),
                                        loss_G.item(), loss_pixel.item(), loss_GAN.item()))
                o.vals += [loss_D.item(), loss_G.item(), loss_pixel.item(), pred_real]
        generator.eval()
        with L.no_grad():
            fake_B = generator(real_A)
        img_sample = L.cat((real_A.data, fake_B.data, real_B.data), -2)
        o.print(img_sample.shape, fake_B.requires_grad)
        o.vals += [img_sample, discriminator.model[-1].weight]
    return o.done()


def srgan_esrgan(L):
    """implementations/srgan/models.py and esrgan/models.py: GeneratorResNet (PReLU residual
    blocks, PixelShuffle), GeneratorRRDB (DenseResidualBlock, ResidualInResidualDenseBlock),
    the FeatureExtractor-free content loss, and the relativistic esrgan loss."""
    nn = L.nn
    with Out() as o:
        L.manual_seed(0)

        class ResidualBlock(nn.Module):
            def __init__(self, in_features):
                super(ResidualBlock, self).__init__()
                self.conv_block = nn.Sequential(
                    nn.Conv2d(in_features, in_features, kernel_size=3, stride=1, padding=1),
                    nn.BatchNorm2d(in_features, 0.8), nn.PReLU(),
                    nn.Conv2d(in_features, in_features, kernel_size=3, stride=1, padding=1),
                    nn.BatchNorm2d(in_features, 0.8))

            def forward(self, x):
                return x + self.conv_block(x)

        class GeneratorResNet(nn.Module):
            def __init__(self, in_channels=3, out_channels=3, n_residual_blocks=2):
                super(GeneratorResNet, self).__init__()
                self.conv1 = nn.Sequential(nn.Conv2d(in_channels, 8, kernel_size=9, stride=1,
                                                     padding=4), nn.PReLU())
                res_blocks = []
                for _ in range(n_residual_blocks):
                    res_blocks.append(ResidualBlock(8))
                self.res_blocks = nn.Sequential(*res_blocks)
                self.conv2 = nn.Sequential(nn.Conv2d(8, 8, kernel_size=3, stride=1, padding=1),
                                           nn.BatchNorm2d(8, 0.8))
                upsampling = []
                for out_features in range(2):
                    upsampling += [
                        nn.Conv2d(8, 32, 3, 1, 1), nn.BatchNorm2d(32), nn.PixelShuffle(upscale_factor=2),
                        nn.PReLU()]
                self.upsampling = nn.Sequential(*upsampling)
                self.conv3 = nn.Sequential(nn.Conv2d(8, out_channels, kernel_size=9, stride=1,
                                                     padding=4), nn.Tanh())

            def forward(self, x):
                out1 = self.conv1(x)
                out = self.res_blocks(out1)
                out2 = self.conv2(out)
                out = L.add(out1, out2)
                out = self.upsampling(out)
                out = self.conv3(out)
                return out

        class DenseResidualBlock(nn.Module):
            def __init__(self, filters, res_scale=0.2):
                super(DenseResidualBlock, self).__init__()
                self.res_scale = res_scale

                def block(in_features, non_linearity=True):
                    layers = [nn.Conv2d(in_features, filters, 3, 1, 1, bias=True)]
                    if non_linearity:
                        layers += [nn.LeakyReLU()]
                    return nn.Sequential(*layers)

                self.b1 = block(in_features=1 * filters)
                self.b2 = block(in_features=2 * filters)
                self.b3 = block(in_features=3 * filters)
                self.b4 = block(in_features=4 * filters)
                self.b5 = block(in_features=5 * filters, non_linearity=False)
                self.blocks = [self.b1, self.b2, self.b3, self.b4, self.b5]

            def forward(self, x):
                inputs = x
                for block in self.blocks:
                    out = block(inputs)
                    inputs = L.cat([inputs, out], 1)
                return out.mul(self.res_scale) + x

        class ResidualInResidualDenseBlock(nn.Module):
            def __init__(self, filters, res_scale=0.2):
                super(ResidualInResidualDenseBlock, self).__init__()
                self.res_scale = res_scale
                self.dense_blocks = nn.Sequential(
                    DenseResidualBlock(filters), DenseResidualBlock(filters),
                    DenseResidualBlock(filters))

            def forward(self, x):
                return self.dense_blocks(x).mul(self.res_scale) + x

        class GeneratorRRDB(nn.Module):
            def __init__(self, channels, filters=4, num_res_blocks=1, num_upsample=1):
                super(GeneratorRRDB, self).__init__()
                self.conv1 = nn.Conv2d(channels, filters, kernel_size=3, stride=1, padding=1)
                self.res_blocks = nn.Sequential(*[ResidualInResidualDenseBlock(filters)
                                                  for _ in range(num_res_blocks)])
                self.conv2 = nn.Conv2d(filters, filters, kernel_size=3, stride=1, padding=1)
                upsample_layers = []
                for _ in range(num_upsample):
                    upsample_layers += [
                        nn.Conv2d(filters, filters * 4, kernel_size=3, stride=1, padding=1),
                        nn.LeakyReLU(), nn.PixelShuffle(upscale_factor=2)]
                self.upsampling = nn.Sequential(*upsample_layers)
                self.conv3 = nn.Sequential(
                    nn.Conv2d(filters, filters, kernel_size=3, stride=1, padding=1),
                    nn.LeakyReLU(),
                    nn.Conv2d(filters, channels, kernel_size=3, stride=1, padding=1))

            def forward(self, x):
                out1 = self.conv1(x)
                out = self.res_blocks(out1)
                out2 = self.conv2(out)
                out = L.add(out1, out2)
                out = self.upsampling(out)
                out = self.conv3(out)
                return out

        rng = np.random.default_rng(2)
        imgs_lr = L.from_numpy(rng.random((2, 3, 4, 4), dtype=np.float32))
        imgs_hr = L.from_numpy(rng.random((2, 3, 16, 16), dtype=np.float32))
        g = GeneratorResNet()
        o.print(g.upsampling)
        opt = L.optim.Adam(g.parameters(), lr=0.0002, betas=(0.5, 0.999))
        criterion_content = L.nn.L1Loss()
        for it in range(2):
            opt.zero_grad()
            gen_hr = g(imgs_lr)
            loss = L.nn.MSELoss()(gen_hr, imgs_hr) + 1e-3 * criterion_content(gen_hr, imgs_hr)
            loss.backward()
            opt.step()
            o.print("[Batch %d/%d] [G loss: %.4f]" % (it, 2, loss.item()))
            o.vals += [loss.item()]
        o.vals += [gen_hr, g.conv1[1].weight, g.upsampling[3].weight.grad]
        rrdb = GeneratorRRDB(3, filters=4, num_res_blocks=1, num_upsample=2)
        o.print(rrdb.res_blocks[0].dense_blocks[0])
        o.print(len(list(rrdb.parameters())), sum(p.numel() for p in rrdb.parameters()))
        gen_hr = rrdb(imgs_lr)
        pred_real = L.randn(2, 1)
        pred_fake = L.randn(2, 1, requires_grad=True)
        valid = L.ones(2, 1)
        criterion_GAN = L.nn.BCEWithLogitsLoss()
        loss_GAN = criterion_GAN(pred_fake - pred_real.mean(0, keepdim=True), valid)
        loss_pixel = L.nn.L1Loss()(gen_hr, imgs_hr)
        loss_G = loss_pixel + 5e-3 * loss_GAN
        loss_G.backward()
        o.print("[G loss: %.4f, adv: %.4f, pixel: %.4f]" % (loss_G.item(), loss_GAN.item(),
                                                             loss_pixel.item()))
        o.vals += [gen_hr, pred_fake.grad, rrdb.conv1.weight.grad]
        o.tryit(lambda: nn.PixelShuffle(2)(L.ones(1, 3, 2, 2)))
        o.tryit(lambda: nn.PReLU(3)(L.ones(1, 2, 2, 2)))
    return o.done()
