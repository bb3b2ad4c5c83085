"""eriklindernoren/PyTorch-GAN (implementations/*/) as users type them, scaled down: random
"MNIST" images (8x8) instead of torchvision datasets, 2 training iterations, no save_image,
as ``prog(L) -> (printed, values)`` for tests/test_programs_s17_gans.py. The scripts'
``Variable(Tensor(...))`` idioms (``Tensor = torch.cuda.FloatTensor if cuda else
torch.FloatTensor``, ``np.random.normal`` noise) are kept. The scripts print losses with %f;
here with %.4f: six decimals show the last-bit differences of OpenBLAS against MKL that
Adam's later steps carry (the values are compared to rtol 1e-5 instead)."""

import numpy as np
from s16_yunjey_progs import Out

LOG = "[Epoch %d/%d] [Batch %d/%d] [D loss: %.4f] [G loss: %.4f]"


class Opt:
    n_epochs, batch_size, lr, b1, b2 = 1, 4, 0.0002, 0.5, 0.999
    latent_dim, img_size, channels, n_classes, code_dim = 8, 8, 1, 10, 2
    clip_value, n_critic = 0.01, 1


def _loader(L, n, shape, seed, labels=False):
    """the MNIST DataLoader: images in [-1, 1] (Normalize([0.5], [0.5])), int64 labels."""
    rng = np.random.default_rng(seed)
    x = L.from_numpy(rng.integers(0, 256, (n,) + shape, dtype=np.uint8)).float() / 255
    x = (x - 0.5) / 0.5
    y = L.from_numpy(rng.integers(0, 10, n))
    ds = L.utils.data.TensorDataset(x, y)
    return L.utils.data.DataLoader(ds, batch_size=Opt.batch_size, shuffle=True)


def gan(L):
    """implementations/gan/gan.py"""
    nn, Variable, opt = L.nn, L.autograd.Variable, Opt
    img_shape = (opt.channels, opt.img_size, opt.img_size)
    cuda = True if L.cuda.is_available() else False
    with Out() as o:
        L.manual_seed(0); np.random.seed(0)

        class Generator(nn.Module):
            def __init__(self):
                super(Generator, self).__init__()

                def block(in_feat, out_feat, normalize=True):
                    layers = [nn.Linear(in_feat, out_feat)]
                    if normalize:
                        layers.append(nn.BatchNorm1d(out_feat, 0.8))
                    layers.append(nn.LeakyReLU(0.2, inplace=True))
                    return layers

                self.model = nn.Sequential(
                    *block(opt.latent_dim, 16, normalize=False),
                    *block(16, 32),
                    *block(32, 64),
                    nn.Linear(64, int(np.prod(img_shape))),
                    nn.Tanh()
                )

            def forward(self, z):
                img = self.model(z)
                img = img.view(img.size(0), *img_shape)
                return img

        class Discriminator(nn.Module):
            def __init__(self):
                super(Discriminator, self).__init__()
                self.model = nn.Sequential(
                    nn.Linear(int(np.prod(img_shape)), 32),
                    nn.LeakyReLU(0.2, inplace=True),
                    nn.Linear(32, 16),
                    nn.LeakyReLU(0.2, inplace=True),
                    nn.Linear(16, 1),
                    nn.Sigmoid(),
                )

            def forward(self, img):
                img_flat = img.view(img.size(0), -1)
                validity = self.model(img_flat)
                return validity

        adversarial_loss = L.nn.BCELoss()
        generator = Generator()
        discriminator = Discriminator()
        o.print(generator); o.print(discriminator)
        if cuda:
            generator.cuda()
        dataloader = _loader(L, 8, img_shape, 1)
        optimizer_G = L.optim.Adam(generator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        optimizer_D = L.optim.Adam(discriminator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        Tensor = L.cuda.FloatTensor if cuda else L.FloatTensor
        for epoch in range(opt.n_epochs):
            for i, (imgs, _) in enumerate(dataloader):
                valid = Variable(Tensor(imgs.size(0), 1).fill_(1.0), requires_grad=False)
                fake = Variable(Tensor(imgs.size(0), 1).fill_(0.0), requires_grad=False)
                real_imgs = Variable(imgs.type(Tensor))
                optimizer_G.zero_grad()
                z = Variable(Tensor(np.random.normal(0, 1, (imgs.shape[0], opt.latent_dim))))
                gen_imgs = generator(z)
                g_loss = adversarial_loss(discriminator(gen_imgs), valid)
                g_loss.backward()
                optimizer_G.step()
                optimizer_D.zero_grad()
                real_loss = adversarial_loss(discriminator(real_imgs), valid)
                fake_loss = adversarial_loss(discriminator(gen_imgs.detach()), fake)
                d_loss = (real_loss + fake_loss) / 2
                d_loss.backward()
                optimizer_D.step()
                o.print(LOG % (epoch, opt.n_epochs, i, len(dataloader), d_loss.item(),
                               g_loss.item()))
                batches_done = epoch * len(dataloader) + i
                if batches_done % 400 == 0:
                    sample = gen_imgs.data[:25]
                    o.print(sample.shape, sample.dtype, type(sample).__name__)
                o.vals += [d_loss.item(), g_loss.item()]
        o.print(z.dtype, z.type(), real_imgs.type(), valid.requires_grad, imgs.type(Tensor) is imgs)
        o.tryit(lambda: Tensor(2, 3).shape)
        o.tryit(lambda: Tensor([[1, 2]]).dtype)
        o.tryit(lambda: Tensor(np.zeros((2, 2))).dtype)
        o.tryit(lambda: Tensor(np.zeros((2, 2), dtype=np.int64)).dtype)
        o.tryit(lambda: L.LongTensor(np.zeros(2, dtype=np.int64)).dtype)
        o.tryit(lambda: Tensor("x"))
        o.tryit(lambda: Variable(Tensor(2).fill_(1.0), requires_grad=True).requires_grad)
        o.vals += [gen_imgs, discriminator.model[0].weight]
    return o.done()


def _weights_init_normal(L):
    def weights_init_normal(m):
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            L.nn.init.normal_(m.weight.data, 0.0, 0.02)
        elif classname.find("BatchNorm2d") != -1:
            L.nn.init.normal_(m.weight.data, 1.0, 0.02)
            L.nn.init.constant_(m.bias.data, 0.0)
    return weights_init_normal


def dcgan(L):
    """implementations/dcgan/dcgan.py (img_size 8: init_size 2)"""
    nn, Variable, opt = L.nn, L.autograd.Variable, Opt
    cuda = True if L.cuda.is_available() else False
    with Out() as o:
        L.manual_seed(0); np.random.seed(1)

        class Generator(nn.Module):
            def __init__(self):
                super(Generator, self).__init__()
                self.init_size = opt.img_size // 4
                self.l1 = nn.Sequential(nn.Linear(opt.latent_dim, 8 * self.init_size ** 2))
                self.conv_blocks = nn.Sequential(
                    nn.BatchNorm2d(8),
                    nn.Upsample(scale_factor=2),
                    nn.Conv2d(8, 8, 3, stride=1, padding=1),
                    nn.BatchNorm2d(8, 0.8),
                    nn.LeakyReLU(0.2, inplace=True),
                    nn.Upsample(scale_factor=2),
                    nn.Conv2d(8, 4, 3, stride=1, padding=1),
                    nn.BatchNorm2d(4, 0.8),
                    nn.LeakyReLU(0.2, inplace=True),
                    nn.Conv2d(4, opt.channels, 3, stride=1, padding=1),
                    nn.Tanh(),
                )

            def forward(self, z):
                out = self.l1(z)
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

                self.model = nn.Sequential(
                    *discriminator_block(opt.channels, 4, bn=False),
                    *discriminator_block(4, 8),
                    *discriminator_block(8, 8),
                )
                ds_size = opt.img_size // 2 ** 3
                self.adv_layer = nn.Sequential(nn.Linear(8 * ds_size ** 2, 1), nn.Sigmoid())

            def forward(self, img):
                out = self.model(img)
                out = out.view(out.shape[0], -1)
                validity = self.adv_layer(out)
                return validity

        adversarial_loss = L.nn.BCELoss()
        generator = Generator()
        discriminator = Discriminator()
        generator.apply(_weights_init_normal(L))
        discriminator.apply(_weights_init_normal(L))
        o.print(generator); o.print(discriminator)
        dataloader = _loader(L, 8, (1, 8, 8), 2)
        optimizer_G = L.optim.Adam(generator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        optimizer_D = L.optim.Adam(discriminator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        Tensor = L.cuda.FloatTensor if cuda else L.FloatTensor
        for epoch in range(opt.n_epochs):
            for i, (imgs, _) in enumerate(dataloader):
                valid = Variable(Tensor(imgs.shape[0], 1).fill_(1.0), requires_grad=False)
                fake = Variable(Tensor(imgs.shape[0], 1).fill_(0.0), requires_grad=False)
                real_imgs = Variable(imgs.type(Tensor))
                optimizer_G.zero_grad()
                z = Variable(Tensor(np.random.normal(0, 1, (imgs.shape[0], opt.latent_dim))))
                gen_imgs = generator(z)
                g_loss = adversarial_loss(discriminator(gen_imgs), valid)
                g_loss.backward()
                optimizer_G.step()
                optimizer_D.zero_grad()
                real_loss = adversarial_loss(discriminator(real_imgs), valid)
                fake_loss = adversarial_loss(discriminator(gen_imgs.detach()), fake)
                d_loss = (real_loss + fake_loss) / 2
                d_loss.backward()
                optimizer_D.step()
                o.print(LOG % (epoch, opt.n_epochs, i, len(dataloader), d_loss.item(),
                               g_loss.item()))
                o.vals += [d_loss.item(), g_loss.item()]
        o.vals += [gen_imgs, generator.conv_blocks[0].running_mean,
                   generator.conv_blocks[3].running_var, discriminator.model[3].weight.grad]
    return o.done()


def _mlp_gd(L, opt, img_shape, sigmoid):
    nn = L.nn

    class Generator(nn.Module):
        def __init__(self):
            super(Generator, self).__init__()

            def block(in_feat, out_feat, normalize=True):
                layers = [nn.Linear(in_feat, out_feat)]
                if normalize:
                    layers.append(nn.BatchNorm1d(out_feat, 0.8))
                layers.append(nn.LeakyReLU(0.2, inplace=True))
                return layers

            self.model = nn.Sequential(
                *block(opt.latent_dim, 16, normalize=False), *block(16, 32),
                nn.Linear(32, int(np.prod(img_shape))), nn.Tanh())

        def forward(self, z):
            img = self.model(z)
            img = img.view(img.shape[0], *img_shape)
            return img

    class Discriminator(nn.Module):
        def __init__(self):
            super(Discriminator, self).__init__()
            self.model = nn.Sequential(
                nn.Linear(int(np.prod(img_shape)), 32), nn.LeakyReLU(0.2, inplace=True),
                nn.Linear(32, 16), nn.LeakyReLU(0.2, inplace=True), nn.Linear(16, 1),
                *([nn.Sigmoid()] if sigmoid else []))

        def forward(self, img):
            img_flat = img.view(img.shape[0], -1)
            validity = self.model(img_flat)
            return validity
    return Generator(), Discriminator()


def wgan(L):
    """implementations/wgan/wgan.py: RMSprop, weight clipping, n_critic."""
    Variable, opt = L.autograd.Variable, Opt
    img_shape = (opt.channels, opt.img_size, opt.img_size)
    cuda = True if L.cuda.is_available() else False
    with Out() as o:
        L.manual_seed(0); np.random.seed(2)
        generator, discriminator = _mlp_gd(L, opt, img_shape, False)
        dataloader = _loader(L, 12, img_shape, 3)
        optimizer_G = L.optim.RMSprop(generator.parameters(), lr=0.00005)
        optimizer_D = L.optim.RMSprop(discriminator.parameters(), lr=0.00005)
        Tensor = L.cuda.FloatTensor if cuda else L.FloatTensor
        batches_done = 0
        n_critic = 2
        for epoch in range(opt.n_epochs):
            for i, (imgs, _) in enumerate(dataloader):
                real_imgs = Variable(imgs.type(Tensor))
                optimizer_D.zero_grad()
                z = Variable(Tensor(np.random.normal(0, 1, (imgs.shape[0], opt.latent_dim))))
                fake_imgs = generator(z).detach()
                loss_D = -L.mean(discriminator(real_imgs)) + L.mean(discriminator(fake_imgs))
                loss_D.backward()
                optimizer_D.step()
                for p in discriminator.parameters():
                    p.data.clamp_(-opt.clip_value, opt.clip_value)
                if i % n_critic == 0:
                    optimizer_G.zero_grad()
                    gen_imgs = generator(z)
                    loss_G = -L.mean(discriminator(gen_imgs))
                    loss_G.backward()
                    optimizer_G.step()
                    o.print(LOG % (epoch, opt.n_epochs, batches_done % len(dataloader),
                                   len(dataloader), loss_D.item(), loss_G.item()))
                    o.vals += [loss_D.item(), loss_G.item()]
                batches_done += 1
        o.vals += [p.data for p in discriminator.parameters()] + [gen_imgs]
    return o.done()


def wgan_gp(L):
    """implementations/wgan_gp/wgan_gp.py: the gradient penalty through autograd.grad."""
    Variable, opt, autograd = L.autograd.Variable, Opt, L.autograd
    img_shape = (opt.channels, opt.img_size, opt.img_size)
    cuda = True if L.cuda.is_available() else False
    with Out() as o:
        L.manual_seed(0); np.random.seed(3)
        lambda_gp = 10
        generator, discriminator = _mlp_gd(L, opt, img_shape, False)
        dataloader = _loader(L, 12, img_shape, 4)
        optimizer_G = L.optim.Adam(generator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        optimizer_D = L.optim.Adam(discriminator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        Tensor = L.cuda.FloatTensor if cuda else L.FloatTensor

        def compute_gradient_penalty(D, real_samples, fake_samples):
            """Calculates the gradient penalty loss for WGAN GP"""
            alpha = Tensor(np.random.random((real_samples.size(0), 1, 1, 1)))
            interpolates = (alpha * real_samples + ((1 - alpha) * fake_samples)).requires_grad_(True)
            d_interpolates = D(interpolates)
            fake = Variable(Tensor(real_samples.shape[0], 1).fill_(1.0), requires_grad=False)
            gradients = autograd.grad(
                outputs=d_interpolates, inputs=interpolates, grad_outputs=fake,
                create_graph=True, retain_graph=True, only_inputs=True,
            )[0]
            gradients = gradients.view(gradients.size(0), -1)
            gradient_penalty = ((gradients.norm(2, dim=1) - 1) ** 2).mean()
            return gradient_penalty

        batches_done = 0
        n_critic = 2
        for epoch in range(opt.n_epochs):
            for i, (imgs, _) in enumerate(dataloader):
                real_imgs = Variable(imgs.type(Tensor))
                optimizer_D.zero_grad()
                z = Variable(Tensor(np.random.normal(0, 1, (imgs.shape[0], opt.latent_dim))))
                fake_imgs = generator(z)
                real_validity = discriminator(real_imgs)
                fake_validity = discriminator(fake_imgs)
                gradient_penalty = compute_gradient_penalty(discriminator, real_imgs.data,
                                                            fake_imgs.data)
                d_loss = -L.mean(real_validity) + L.mean(fake_validity) + lambda_gp * gradient_penalty
                d_loss.backward()
                optimizer_D.step()
                optimizer_G.zero_grad()
                if i % n_critic == 0:
                    fake_imgs = generator(z)
                    fake_validity = discriminator(fake_imgs)
                    g_loss = -L.mean(fake_validity)
                    g_loss.backward()
                    optimizer_G.step()
                    o.print(LOG % (epoch, opt.n_epochs, i, len(dataloader), d_loss.item(),
                                   g_loss.item()))
                    o.vals += [d_loss.item(), g_loss.item(), gradient_penalty.item()]
                    batches_done += n_critic
        o.vals += [p.grad for p in discriminator.parameters()]
        # the bias of the Linear before BatchNorm1d gets a gradient that is zero up to rounding
        # (BatchNorm removes it); Adam scales that rounding noise up to a full step, so it is
        # left out of the compared values
        o.vals += [p.data for n, p in generator.named_parameters() if n != "model.2.bias"]
    return o.done()


def lsgan(L):
    """implementations/lsgan/lsgan.py: MSELoss, no sigmoid."""
    Variable, opt = L.autograd.Variable, Opt
    img_shape = (opt.channels, opt.img_size, opt.img_size)
    cuda = True if L.cuda.is_available() else False
    with Out() as o:
        L.manual_seed(0); np.random.seed(4)
        adversarial_loss = L.nn.MSELoss()
        generator, discriminator = _mlp_gd(L, opt, img_shape, False)
        if cuda:
            adversarial_loss.cuda()
        dataloader = _loader(L, 8, img_shape, 5)
        optimizer_G = L.optim.Adam(generator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        optimizer_D = L.optim.Adam(discriminator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        Tensor = L.cuda.FloatTensor if cuda else L.FloatTensor
        for epoch in range(opt.n_epochs):
            for i, (imgs, _) in enumerate(dataloader):
                valid = Variable(Tensor(imgs.shape[0], 1).fill_(1.0), requires_grad=False)
                fake = Variable(Tensor(imgs.shape[0], 1).fill_(0.0), requires_grad=False)
                real_imgs = Variable(imgs.type(Tensor))
                optimizer_G.zero_grad()
                z = Variable(Tensor(np.random.normal(0, 1, (imgs.shape[0], opt.latent_dim))))
                gen_imgs = generator(z)
                g_loss = adversarial_loss(discriminator(gen_imgs), valid)
                g_loss.backward()
                optimizer_G.step()
                optimizer_D.zero_grad()
                real_loss = adversarial_loss(discriminator(real_imgs), valid)
                fake_loss = adversarial_loss(discriminator(gen_imgs.detach()), fake)
                d_loss = 0.5 * (real_loss + fake_loss)
                d_loss.backward()
                optimizer_D.step()
                o.print(LOG % (epoch, opt.n_epochs, i, len(dataloader), d_loss.item(),
                               g_loss.item()))
                o.vals += [d_loss.item(), g_loss.item()]
        o.vals += [gen_imgs]
    return o.done()
