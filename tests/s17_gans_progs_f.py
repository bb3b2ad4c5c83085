"""eriklindernoren/PyTorch-GAN: context_encoder (datasets.py masks, models.py encoder-decoder
and PatchGAN, context_encoder.py's loop and sample filling), sgan (semi-supervised: n + 1
classes) and aae (adversarial autoencoder, reparameterization), scaled down: see
tests/s17_gans_progs.py."""

import itertools

import numpy as np
from s16_yunjey_progs import Out
from s17_gans_progs import LOG, Opt, _loader


def context_encoder(L):
    """implementations/context_encoder/{datasets,models,context_encoder}.py"""
    nn, Variable = L.nn, L.autograd.Variable
    cuda = True if L.cuda.is_available() else False
    with Out() as o:
        L.manual_seed(0); np.random.seed(20)
        img_size, mask_size, channels = 16, 8, 3

        def apply_random_mask(img):
            """Randomly masks image"""
            y1, x1 = np.random.randint(0, img_size - mask_size, 2)
            y2, x2 = y1 + mask_size, x1 + mask_size
            masked_part = img[:, y1:y2, x1:x2]
            masked_img = img.clone()
            masked_img[:, y1:y2, x1:x2] = 1
            return masked_img, masked_part

        def apply_center_mask(img):
            """Mask center part of image"""
            i = (img_size - mask_size) // 2
            masked_img = img.clone()
            masked_img[:, i: i + mask_size, i: i + mask_size] = 1
            return masked_img, i

        class Generator(nn.Module):
            def __init__(self, channels=3):
                super(Generator, self).__init__()

                def downsample(in_feat, out_feat, normalize=True):
                    layers = [nn.Conv2d(in_feat, out_feat, 4, stride=2, padding=1)]
                    if normalize:
                        layers.append(nn.BatchNorm2d(out_feat, 0.8))
                    layers.append(nn.LeakyReLU(0.2))
                    return layers

                def upsample(in_feat, out_feat, normalize=True):
                    layers = [nn.ConvTranspose2d(in_feat, out_feat, 4, stride=2, padding=1)]
                    if normalize:
                        layers.append(nn.BatchNorm2d(out_feat, 0.8))
                    layers.append(nn.ReLU())
                    return layers

                self.model = nn.Sequential(
                    *downsample(channels, 4, normalize=False), *downsample(4, 8),
                    *downsample(8, 8), nn.Conv2d(8, 16, 1), *upsample(16, 8), *upsample(8, 8),
                    nn.Conv2d(8, channels, 3, 1, 1), nn.Tanh())

            def forward(self, x):
                return self.model(x)

        class Discriminator(nn.Module):
            def __init__(self, channels=3):
                super(Discriminator, self).__init__()

                def discriminator_block(in_filters, out_filters, stride, normalize):
                    """Returns layers of each discriminator block"""
                    layers = [nn.Conv2d(in_filters, out_filters, 3, stride, 1)]
                    if normalize:
                        layers.append(nn.InstanceNorm2d(out_filters))
                    layers.append(nn.LeakyReLU(0.2, inplace=True))
                    return layers

                layers = []
                in_filters = channels
                for out_filters, stride, normalize in [(4, 2, False), (8, 2, True), (8, 1, True)]:
                    layers.extend(discriminator_block(in_filters, out_filters, stride, normalize))
                    in_filters = out_filters
                layers.append(nn.Conv2d(out_filters, 1, 3, 1, 1))
                self.model = nn.Sequential(*layers)

            def forward(self, img):
                return self.model(img)

        patch_h, patch_w = int(mask_size / 2 ** 2), int(mask_size / 2 ** 2)
        patch = (1, patch_h, patch_w)
        adversarial_loss = L.nn.MSELoss()
        pixelwise_loss = L.nn.L1Loss()
        generator = Generator(channels=channels)
        discriminator = Discriminator(channels=channels)

        def weights_init_normal(m):
            classname = m.__class__.__name__
            if classname.find("Conv") != -1:
                L.nn.init.normal_(m.weight.data, 0.0, 0.02)
            elif classname.find("BatchNorm2d") != -1:
                L.nn.init.normal_(m.weight.data, 1.0, 0.02)
                L.nn.init.constant_(m.bias.data, 0.0)
        generator.apply(weights_init_normal)
        discriminator.apply(weights_init_normal)
        rng = np.random.default_rng(21)
        imgs_all = L.from_numpy(rng.random((4, channels, img_size, img_size), dtype=np.float32)) * 2 - 1

        class ImageDataset(L.utils.data.Dataset):
            def __getitem__(self, index):
                img = imgs_all[index]
                masked_img, aux = apply_random_mask(img)
                return img, masked_img, aux

            def __len__(self):
                return len(imgs_all)
        dataloader = L.utils.data.DataLoader(ImageDataset(), batch_size=2, shuffle=True)
        optimizer_G = L.optim.Adam(generator.parameters(), lr=0.0002, betas=(0.5, 0.999))
        optimizer_D = L.optim.Adam(discriminator.parameters(), lr=0.0002, betas=(0.5, 0.999))
        Tensor = L.cuda.FloatTensor if cuda else L.FloatTensor
        for epoch in range(1):
            for i, (imgs, masked_imgs, masked_parts) in enumerate(dataloader):
                valid = Variable(Tensor(imgs.shape[0], *patch).fill_(1.0), requires_grad=False)
                fake = Variable(Tensor(imgs.shape[0], *patch).fill_(0.0), requires_grad=False)
                imgs = Variable(imgs.type(Tensor))
                masked_imgs = Variable(masked_imgs.type(Tensor))
                masked_parts = Variable(masked_parts.type(Tensor))
                optimizer_G.zero_grad()
                gen_parts = generator(masked_imgs)
                g_adv = adversarial_loss(discriminator(gen_parts), valid)
                g_pixel = pixelwise_loss(gen_parts, masked_parts)
                g_loss = 0.001 * g_adv + 0.999 * g_pixel
                g_loss.backward()
                optimizer_G.step()
                optimizer_D.zero_grad()
                real_loss = adversarial_loss(discriminator(masked_parts), valid)
                fake_loss = adversarial_loss(discriminator(gen_parts.detach()), fake)
                d_loss = 0.5 * (real_loss + fake_loss)
                d_loss.backward()
                optimizer_D.step()
                o.print("[Epoch %d/%d] [Batch %d/%d] [D loss: %.4f] [G adv: %.4f, pixel: %.4f]"
                        % (epoch, 1, i, len(dataloader), d_loss.item(), g_adv.item(),
                           g_pixel.item()))
                o.vals += [d_loss.item(), g_adv.item(), g_pixel.item()]
                if i == 0:
                    o.vals.append(gen_parts)
        # save_sample
        samples = L.stack([imgs_all[j] for j in range(2)])
        masked_samples = L.stack([apply_center_mask(imgs_all[j])[0] for j in range(2)])
        i = apply_center_mask(imgs_all[0])[1]
        samples = Variable(samples.type(Tensor))
        masked_samples = Variable(masked_samples.type(Tensor))
        generator.eval()
        gen_mask = generator(masked_samples)
        filled_samples = masked_samples.clone()
        filled_samples[:, :, i: i + mask_size, i: i + mask_size] = gen_mask
        sample = L.cat((masked_samples.data, filled_samples.data, samples.data), -2)
        o.print(sample.shape, filled_samples.grad_fn.name(), masked_parts.shape, type(i).__name__)
        # (not the generated centre: in eval mode BatchNorm2d's running statistics do not cancel
        # the conv biases before it, whose gradients are zero up to rounding, scaled by Adam
        # to full steps)
        o.vals += [sample[:, :, :16], sample[:, :, 32:], (filled_samples - masked_samples != 0)
                   .sum(), masked_imgs]
        o.tryit(lambda: filled_samples.__setitem__((slice(None), slice(None), slice(0, 3)), gen_mask))
    return o.done()


def sgan(L):
    """implementations/sgan/sgan.py: a discriminator over n_classes + 1 labels."""
    nn, Variable, opt = L.nn, L.autograd.Variable, Opt
    cuda = True if L.cuda.is_available() else False
    with Out() as o:
        L.manual_seed(0); np.random.seed(22)
        num_classes = opt.n_classes

        class Generator(nn.Module):
            def __init__(self):
                super(Generator, self).__init__()
                self.label_emb = nn.Embedding(num_classes, opt.latent_dim)
                self.init_size = opt.img_size // 4
                self.l1 = nn.Sequential(nn.Linear(opt.latent_dim, 8 * self.init_size ** 2))
                self.conv_blocks = nn.Sequential(
                    nn.BatchNorm2d(8), nn.Upsample(scale_factor=2), nn.Conv2d(8, 8, 3, stride=1, padding=1),
                    nn.BatchNorm2d(8, 0.8), nn.LeakyReLU(0.2, inplace=True),
                    nn.Upsample(scale_factor=2), nn.Conv2d(8, 4, 3, stride=1, padding=1),
                    nn.BatchNorm2d(4, 0.8), nn.LeakyReLU(0.2, inplace=True),
                    nn.Conv2d(4, opt.channels, 3, stride=1, padding=1), nn.Tanh())

            def forward(self, noise):
                out = self.l1(noise)
                out = out.view(out.shape[0], 8, self.init_size, self.init_size)
                img = self.conv_blocks(out)
                return img

        class Discriminator(nn.Module):
            def __init__(self):
                super(Discriminator, self).__init__()

                def discriminator_block(in_filters, out_filters, bn=True):
                    block = [nn.Conv2d(in_filters, out_filters, 3, 2, 1),
                             nn.LeakyReLU(0.2, inplace=True), nn.Dropout2d(0.25)]
                    if bn:
                        block.append(nn.BatchNorm2d(out_filters, 0.8))
                    return block

                self.conv_blocks = nn.Sequential(
                    *discriminator_block(opt.channels, 4, bn=False), *discriminator_block(4, 8),
                    *discriminator_block(8, 8))
                ds_size = opt.img_size // 2 ** 3
                self.adv_layer = nn.Sequential(nn.Linear(8 * ds_size ** 2, 1), nn.Sigmoid())
                self.aux_layer = nn.Sequential(nn.Linear(8 * ds_size ** 2, num_classes + 1),
                                               nn.Softmax())

            def forward(self, img):
                out = self.conv_blocks(img)
                out = out.view(out.shape[0], -1)
                validity = self.adv_layer(out)
                label = self.aux_layer(out)
                return validity, label

        adversarial_loss = L.nn.BCELoss()
        auxiliary_loss = L.nn.CrossEntropyLoss()
        generator = Generator()
        discriminator = Discriminator()
        dataloader = _loader(L, 8, (1, 8, 8), 23)
        optimizer_G = L.optim.Adam(generator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        optimizer_D = L.optim.Adam(discriminator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        FloatTensor = L.cuda.FloatTensor if cuda else L.FloatTensor
        LongTensor = L.cuda.LongTensor if cuda else L.LongTensor
        for epoch in range(opt.n_epochs):
            for i, (imgs, labels) in enumerate(dataloader):
                batch_size = imgs.shape[0]
                valid = Variable(FloatTensor(batch_size, 1).fill_(1.0), requires_grad=False)
                fake = Variable(FloatTensor(batch_size, 1).fill_(0.0), requires_grad=False)
                fake_aux_gt = Variable(LongTensor(batch_size).fill_(num_classes), requires_grad=False)
                real_imgs = Variable(imgs.type(FloatTensor))
                labels = Variable(labels.type(LongTensor))
                optimizer_G.zero_grad()
                z = Variable(FloatTensor(np.random.normal(0, 1, (batch_size, opt.latent_dim))))
                gen_imgs = generator(z)
                validity, _ = discriminator(gen_imgs)
                g_loss = adversarial_loss(validity, valid)
                g_loss.backward()
                optimizer_G.step()
                optimizer_D.zero_grad()
                real_pred, real_aux = discriminator(real_imgs)
                d_real_loss = (adversarial_loss(real_pred, valid) + auxiliary_loss(real_aux, labels)) / 2
                fake_pred, fake_aux = discriminator(gen_imgs.detach())
                d_fake_loss = (adversarial_loss(fake_pred, fake) + auxiliary_loss(fake_aux, fake_aux_gt)) / 2
                d_loss = (d_real_loss + d_fake_loss) / 2
                pred = np.concatenate([real_aux.data.cpu().numpy(), fake_aux.data.cpu().numpy()], axis=0)
                gt = np.concatenate([labels.data.cpu().numpy(), fake_aux_gt.data.cpu().numpy()], axis=0)
                d_acc = np.mean(np.argmax(pred, axis=1) == gt)
                d_loss.backward()
                optimizer_D.step()
                o.print("[Epoch %d/%d] [Batch %d/%d] [D loss: %.4f, acc: %d%%] [G loss: %.4f]"
                        % (epoch, opt.n_epochs, i, len(dataloader), d_loss.item(), 100 * d_acc,
                           g_loss.item()))
                o.vals += [d_loss.item(), g_loss.item(), pred]
        o.print(fake_aux_gt, fake_aux_gt.dtype, LongTensor(3).shape)
        o.vals += [discriminator.aux_layer[0].weight.grad]
    return o.done()


def aae(L):
    """implementations/aae/aae.py: encoder with reparameterization, decoder, a discriminator
    on the latent codes."""
    nn, Variable, opt = L.nn, L.autograd.Variable, Opt
    img_shape = (opt.channels, opt.img_size, opt.img_size)
    cuda = True if L.cuda.is_available() else False
    with Out() as o:
        L.manual_seed(0); np.random.seed(24)
        Tensor = L.cuda.FloatTensor if cuda else L.FloatTensor

        def reparameterization(mu, logvar):
            std = L.exp(logvar / 2)
            sampled_z = Variable(Tensor(np.random.normal(0, 1, (mu.size(0), opt.latent_dim))))
            z = sampled_z * std + mu
            return z

        class Encoder(nn.Module):
            def __init__(self):
                super(Encoder, self).__init__()
                self.model = nn.Sequential(
                    nn.Linear(int(np.prod(img_shape)), 32), nn.LeakyReLU(0.2, inplace=True),
                    nn.Linear(32, 32), nn.BatchNorm1d(32), nn.LeakyReLU(0.2, inplace=True))
                self.mu = nn.Linear(32, opt.latent_dim)
                self.logvar = nn.Linear(32, opt.latent_dim)

            def forward(self, img):
                img_flat = img.view(img.shape[0], -1)
                x = self.model(img_flat)
                mu = self.mu(x)
                logvar = self.logvar(x)
                z = reparameterization(mu, logvar)
                return z

        class Decoder(nn.Module):
            def __init__(self):
                super(Decoder, self).__init__()
                self.model = nn.Sequential(
                    nn.Linear(opt.latent_dim, 32), nn.LeakyReLU(0.2, inplace=True),
                    nn.Linear(32, 32), nn.BatchNorm1d(32), nn.LeakyReLU(0.2, inplace=True),
                    nn.Linear(32, int(np.prod(img_shape))), nn.Tanh())

            def forward(self, z):
                img_flat = self.model(z)
                img = img_flat.view(img_flat.shape[0], *img_shape)
                return img

        class Discriminator(nn.Module):
            def __init__(self):
                super(Discriminator, self).__init__()
                self.model = nn.Sequential(
                    nn.Linear(opt.latent_dim, 32), nn.LeakyReLU(0.2, inplace=True),
                    nn.Linear(32, 16), nn.LeakyReLU(0.2, inplace=True), nn.Linear(16, 1),
                    nn.Sigmoid())

            def forward(self, z):
                validity = self.model(z)
                return validity

        adversarial_loss = L.nn.BCELoss()
        pixelwise_loss = L.nn.L1Loss()
        encoder, decoder, discriminator = Encoder(), Decoder(), Discriminator()
        dataloader = _loader(L, 8, img_shape, 25)
        optimizer_G = L.optim.Adam(itertools.chain(encoder.parameters(), decoder.parameters()),
                                   lr=opt.lr, betas=(opt.b1, opt.b2))
        optimizer_D = L.optim.Adam(discriminator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        for epoch in range(opt.n_epochs):
            for i, (imgs, _) in enumerate(dataloader):
                valid = Variable(Tensor(imgs.shape[0], 1).fill_(1.0), requires_grad=False)
                fake = Variable(Tensor(imgs.shape[0], 1).fill_(0.0), requires_grad=False)
                real_imgs = Variable(imgs.type(Tensor))
                optimizer_G.zero_grad()
                encoded_imgs = encoder(real_imgs)
                decoded_imgs = decoder(encoded_imgs)
                g_loss = 0.001 * adversarial_loss(discriminator(encoded_imgs), valid) + \
                    0.999 * pixelwise_loss(decoded_imgs, real_imgs)
                g_loss.backward()
                optimizer_G.step()
                optimizer_D.zero_grad()
                z = Variable(Tensor(np.random.normal(0, 1, (imgs.shape[0], opt.latent_dim))))
                real_loss = adversarial_loss(discriminator(z), valid)
                fake_loss = adversarial_loss(discriminator(encoded_imgs.detach()), fake)
                d_loss = 0.5 * (real_loss + fake_loss)
                d_loss.backward()
                optimizer_D.step()
                o.print(LOG % (epoch, opt.n_epochs, i, len(dataloader), d_loss.item(),
                               g_loss.item()))
                o.vals += [d_loss.item(), g_loss.item()]
                if i == 0:  # (later: the biases before BatchNorm1d get gradients that are
                    # zero up to rounding, which Adam scales up to full steps)
                    o.vals.append(encoded_imgs)
        o.vals += [q.grad for q in discriminator.parameters()]
    return o.done()
