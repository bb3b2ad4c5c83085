"""eriklindernoren/PyTorch-GAN, conditional GANs (acgan, cgan, infogan) and the loss
variants (softmax_gan, relativistic_gan), scaled down: see tests/s17_gans_progs.py."""

import itertools

import numpy as np
from s16_yunjey_progs import Out
from s17_gans_progs import LOG, Opt, _loader, _mlp_gd


def _to_categorical(L, y, num_columns):
    """Returns one-hot encoded Variable"""
    y_cat = np.zeros((y.shape[0], num_columns))
    y_cat[range(y.shape[0]), y] = 1.0
    return L.autograd.Variable(L.FloatTensor(y_cat))


def acgan(L):
    """implementations/acgan/acgan.py (img_size 8, embedding-multiplied noise, aux head)."""
    nn, Variable, opt = L.nn, L.autograd.Variable, Opt
    cuda = True if L.cuda.is_available() else False
    with Out() as o:
        L.manual_seed(0); np.random.seed(5)

        class Generator(nn.Module):
            def __init__(self):
                super(Generator, self).__init__()
                self.label_emb = nn.Embedding(opt.n_classes, opt.latent_dim)
                self.init_size = opt.img_size // 4
                self.l1 = nn.Sequential(nn.Linear(opt.latent_dim, 8 * self.init_size ** 2))
                self.conv_blocks = nn.Sequential(
                    nn.BatchNorm2d(8), nn.Upsample(scale_factor=2),
                    nn.Conv2d(8, 8, 3, stride=1, padding=1), nn.BatchNorm2d(8, 0.8),
                    nn.LeakyReLU(0.2, inplace=True), nn.Upsample(scale_factor=2),
                    nn.Conv2d(8, 4, 3, stride=1, padding=1), nn.BatchNorm2d(4, 0.8),
                    nn.LeakyReLU(0.2, inplace=True),
                    nn.Conv2d(4, opt.channels, 3, stride=1, padding=1), nn.Tanh())

            def forward(self, noise, labels):
                gen_input = L.mul(self.label_emb(labels), noise)
                out = self.l1(gen_input)
                out = out.view(out.shape[0], 8, self.init_size, self.init_size)
                img = self.conv_blocks(out)
                return img

        class Discriminator(nn.Module):
            def __init__(self):
                super(Discriminator, self).__init__()

                def discriminator_block(in_filters, out_filters, bn=True):
                    block = [nn.Conv2d(in_filters, out_filters, 3, 2, 1),
                             nn.LeakyReLU(0.2, inplace=True), nn.Dropout(0.25)]
                    if bn:
                        block.append(nn.BatchNorm2d(out_filters, 0.8))
                    return block

                self.conv_blocks = nn.Sequential(
                    *discriminator_block(opt.channels, 4, bn=False),
                    *discriminator_block(4, 8), *discriminator_block(8, 8))
                ds_size = opt.img_size // 2 ** 3
                self.adv_layer = nn.Sequential(nn.Linear(8 * ds_size ** 2, 1), nn.Sigmoid())
                self.aux_layer = nn.Sequential(nn.Linear(8 * ds_size ** 2, opt.n_classes),
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
        o.print(discriminator)
        dataloader = _loader(L, 8, (1, 8, 8), 6)
        optimizer_G = L.optim.Adam(generator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        optimizer_D = L.optim.Adam(discriminator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        FloatTensor = L.cuda.FloatTensor if cuda else L.FloatTensor
        LongTensor = L.cuda.LongTensor if cuda else L.LongTensor
        for epoch in range(opt.n_epochs):
            for i, (imgs, labels) in enumerate(dataloader):
                batch_size = imgs.shape[0]
                valid = Variable(FloatTensor(batch_size, 1).fill_(1.0), requires_grad=False)
                fake = Variable(FloatTensor(batch_size, 1).fill_(0.0), requires_grad=False)
                real_imgs = Variable(imgs.type(FloatTensor))
                labels = Variable(labels.type(LongTensor))
                optimizer_G.zero_grad()
                z = Variable(FloatTensor(np.random.normal(0, 1, (batch_size, opt.latent_dim))))
                gen_labels = Variable(LongTensor(np.random.randint(0, opt.n_classes, batch_size)))
                gen_imgs = generator(z, gen_labels)
                validity, pred_label = discriminator(gen_imgs)
                g_loss = 0.5 * (adversarial_loss(validity, valid)
                                + auxiliary_loss(pred_label, gen_labels))
                g_loss.backward()
                optimizer_G.step()
                optimizer_D.zero_grad()
                real_pred, real_aux = discriminator(real_imgs)
                d_real_loss = (adversarial_loss(real_pred, valid)
                               + auxiliary_loss(real_aux, labels)) / 2
                fake_pred, fake_aux = discriminator(gen_imgs.detach())
                d_fake_loss = (adversarial_loss(fake_pred, fake)
                               + auxiliary_loss(fake_aux, gen_labels)) / 2
                d_loss = (d_real_loss + d_fake_loss) / 2
                pred = np.concatenate([real_aux.data.cpu().numpy(), fake_aux.data.cpu().numpy()],
                                      axis=0)
                gt = np.concatenate([labels.data.cpu().numpy(), gen_labels.data.cpu().numpy()],
                                    axis=0)
                d_acc = np.mean(np.argmax(pred, axis=1) == gt)
                d_loss.backward()
                optimizer_D.step()
                o.print("[Epoch %d/%d] [Batch %d/%d] [D loss: %.4f, acc: %d%%] [G loss: %.4f]"
                        % (epoch, opt.n_epochs, i, len(dataloader), d_loss.item(),
                           100 * d_acc, g_loss.item()))
                o.vals += [d_loss.item(), g_loss.item(), pred]

        def sample_image(n_row, batches_done):
            z = Variable(FloatTensor(np.random.normal(0, 1, (n_row ** 2, opt.latent_dim))))
            labels = np.array([num for _ in range(n_row) for num in range(n_row)])
            labels = Variable(LongTensor(labels))
            gen_imgs = generator(z, labels)
            return gen_imgs.data
        o.vals.append(sample_image(n_row=3, batches_done=0))
        o.print(gen_labels.dtype, labels.dtype, LongTensor(np.array([1, 2])).dtype)
        o.tryit(lambda: LongTensor(np.array([1.5])))
        o.tryit(lambda: generator(z, gen_labels.float()))
    return o.done()


def cgan(L):
    """implementations/cgan/cgan.py: label embedding concatenated with the noise/image."""
    nn, Variable, opt = L.nn, L.autograd.Variable, Opt
    img_shape = (opt.channels, opt.img_size, opt.img_size)
    cuda = True if L.cuda.is_available() else False
    with Out() as o:
        L.manual_seed(0); np.random.seed(6)

        class Generator(nn.Module):
            def __init__(self):
                super(Generator, self).__init__()
                self.label_emb = nn.Embedding(opt.n_classes, opt.n_classes)

                def block(in_feat, out_feat, normalize=True):
                    layers = [nn.Linear(in_feat, out_feat)]
                    if normalize:
                        layers.append(nn.BatchNorm1d(out_feat, 0.8))
                    layers.append(nn.LeakyReLU(0.2, inplace=True))
                    return layers

                self.model = nn.Sequential(
                    *block(opt.latent_dim + opt.n_classes, 16, normalize=False),
                    *block(16, 32), nn.Linear(32, int(np.prod(img_shape))), nn.Tanh())

            def forward(self, noise, labels):
                gen_input = L.cat((self.label_emb(labels), noise), -1)
                img = self.model(gen_input)
                img = img.view(img.size(0), *img_shape)
                return img

        class Discriminator(nn.Module):
            def __init__(self):
                super(Discriminator, self).__init__()
                self.label_embedding = nn.Embedding(opt.n_classes, opt.n_classes)
                self.model = nn.Sequential(
                    nn.Linear(opt.n_classes + int(np.prod(img_shape)), 32),
                    nn.LeakyReLU(0.2, inplace=True),
                    nn.Linear(32, 32), nn.Dropout(0.4), nn.LeakyReLU(0.2, inplace=True),
                    nn.Linear(32, 1))

            def forward(self, img, labels):
                d_in = L.cat((img.view(img.size(0), -1), self.label_embedding(labels)), -1)
                validity = self.model(d_in)
                return validity

        adversarial_loss = L.nn.MSELoss()
        generator = Generator()
        discriminator = Discriminator()
        dataloader = _loader(L, 8, img_shape, 7)
        optimizer_G = L.optim.Adam(generator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        optimizer_D = L.optim.Adam(discriminator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        FloatTensor = L.cuda.FloatTensor if cuda else L.FloatTensor
        LongTensor = L.cuda.LongTensor if cuda else L.LongTensor
        for epoch in range(opt.n_epochs):
            for i, (imgs, labels) in enumerate(dataloader):
                batch_size = imgs.shape[0]
                valid = Variable(FloatTensor(batch_size, 1).fill_(1.0), requires_grad=False)
                fake = Variable(FloatTensor(batch_size, 1).fill_(0.0), requires_grad=False)
                real_imgs = Variable(imgs.type(FloatTensor))
                labels = Variable(labels.type(LongTensor))
                optimizer_G.zero_grad()
                z = Variable(FloatTensor(np.random.normal(0, 1, (batch_size, opt.latent_dim))))
                gen_labels = Variable(LongTensor(np.random.randint(0, opt.n_classes, batch_size)))
                gen_imgs = generator(z, gen_labels)
                validity = discriminator(gen_imgs, gen_labels)
                g_loss = adversarial_loss(validity, valid)
                g_loss.backward()
                optimizer_G.step()
                optimizer_D.zero_grad()
                validity_real = discriminator(real_imgs, labels)
                d_real_loss = adversarial_loss(validity_real, valid)
                validity_fake = discriminator(gen_imgs.detach(), gen_labels)
                d_fake_loss = adversarial_loss(validity_fake, fake)
                d_loss = (d_real_loss + d_fake_loss) / 2
                d_loss.backward()
                optimizer_D.step()
                o.print(LOG % (epoch, opt.n_epochs, i, len(dataloader), d_loss.item(),
                               g_loss.item()))
                o.vals += [d_loss.item(), g_loss.item()]
        # not the generator's images: the biases of its Linears before BatchNorm1d (and the
        # first Linear's, through LeakyReLUs of one sign over the batch of 4) get gradients that
        # are zero up to rounding, which Adam scales up to full steps
        o.vals += [validity_real, discriminator.label_embedding.weight.grad,
                   discriminator.model[0].weight]
    return o.done()


def infogan(L):
    """implementations/infogan/infogan.py: categorical + continuous codes, info loss on
    itertools.chain(generator, discriminator) parameters."""
    nn, Variable, opt = L.nn, L.autograd.Variable, Opt
    cuda = True if L.cuda.is_available() else False
    with Out() as o:
        L.manual_seed(0); np.random.seed(7)
        input_dim = opt.latent_dim + opt.n_classes + opt.code_dim

        class Generator(nn.Module):
            def __init__(self):
                super(Generator, self).__init__()
                self.init_size = opt.img_size // 4
                self.l1 = nn.Sequential(nn.Linear(input_dim, 8 * self.init_size ** 2))
                self.conv_blocks = nn.Sequential(
                    nn.BatchNorm2d(8), nn.Upsample(scale_factor=2),
                    nn.Conv2d(8, 8, 3, stride=1, padding=1), nn.BatchNorm2d(8, 0.8),
                    nn.LeakyReLU(0.2, inplace=True), nn.Upsample(scale_factor=2),
                    nn.Conv2d(8, 4, 3, stride=1, padding=1), nn.BatchNorm2d(4, 0.8),
                    nn.LeakyReLU(0.2, inplace=True),
                    nn.Conv2d(4, opt.channels, 3, stride=1, padding=1), nn.Tanh())

            def forward(self, noise, labels, code):
                gen_input = L.cat((noise, labels, code), -1)
                out = self.l1(gen_input)
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
                    *discriminator_block(opt.channels, 4, bn=False),
                    *discriminator_block(4, 8), *discriminator_block(8, 8))
                ds_size = opt.img_size // 2 ** 3
                self.adv_layer = nn.Sequential(nn.Linear(8 * ds_size ** 2, 1))
                self.aux_layer = nn.Sequential(nn.Linear(8 * ds_size ** 2, opt.n_classes),
                                               nn.Softmax())
                self.latent_layer = nn.Sequential(nn.Linear(8 * ds_size ** 2, opt.code_dim))

            def forward(self, img):
                out = self.conv_blocks(img)
                out = out.view(out.shape[0], -1)
                validity = self.adv_layer(out)
                label = self.aux_layer(out)
                latent_code = self.latent_layer(out)
                return validity, label, latent_code

        adversarial_loss = L.nn.MSELoss()
        categorical_loss = L.nn.CrossEntropyLoss()
        continuous_loss = L.nn.MSELoss()
        lambda_cat, lambda_con = 1, 0.1
        generator = Generator()
        discriminator = Discriminator()
        dataloader = _loader(L, 8, (1, 8, 8), 8)
        optimizer_G = L.optim.Adam(generator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        optimizer_D = L.optim.Adam(discriminator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        optimizer_info = L.optim.Adam(
            itertools.chain(generator.parameters(), discriminator.parameters()), lr=opt.lr,
            betas=(opt.b1, opt.b2))
        FloatTensor = L.cuda.FloatTensor if cuda else L.FloatTensor
        LongTensor = L.cuda.LongTensor if cuda else L.LongTensor
        for epoch in range(opt.n_epochs):
            for i, (imgs, labels) in enumerate(dataloader):
                batch_size = imgs.shape[0]
                valid = Variable(FloatTensor(batch_size, 1).fill_(1.0), requires_grad=False)
                fake = Variable(FloatTensor(batch_size, 1).fill_(0.0), requires_grad=False)
                real_imgs = Variable(imgs.type(FloatTensor))
                labels = _to_categorical(L, labels.numpy(), num_columns=opt.n_classes)
                optimizer_G.zero_grad()
                z = Variable(FloatTensor(np.random.normal(0, 1, (batch_size, opt.latent_dim))))
                label_input = _to_categorical(L, np.random.randint(0, opt.n_classes, batch_size),
                                              num_columns=opt.n_classes)
                code_input = Variable(FloatTensor(np.random.uniform(-1, 1,
                                                                    (batch_size, opt.code_dim))))
                gen_imgs = generator(z, label_input, code_input)
                validity, _, _ = discriminator(gen_imgs)
                g_loss = adversarial_loss(validity, valid)
                g_loss.backward()
                optimizer_G.step()
                optimizer_D.zero_grad()
                real_pred, _, _ = discriminator(real_imgs)
                d_real_loss = adversarial_loss(real_pred, valid)
                fake_pred, _, _ = discriminator(gen_imgs.detach())
                d_fake_loss = adversarial_loss(fake_pred, fake)
                d_loss = (d_real_loss + d_fake_loss) / 2
                d_loss.backward()
                optimizer_D.step()
                optimizer_info.zero_grad()
                sampled_labels = np.random.randint(0, opt.n_classes, batch_size)
                gt_labels = Variable(LongTensor(sampled_labels), requires_grad=False)
                z = Variable(FloatTensor(np.random.normal(0, 1, (batch_size, opt.latent_dim))))
                label_input = _to_categorical(L, sampled_labels, num_columns=opt.n_classes)
                code_input = Variable(FloatTensor(np.random.uniform(-1, 1,
                                                                    (batch_size, opt.code_dim))))
                gen_imgs = generator(z, label_input, code_input)
                _, pred_label, pred_code = discriminator(gen_imgs)
                info_loss = lambda_cat * categorical_loss(pred_label, gt_labels) + \
                    lambda_con * continuous_loss(pred_code, code_input)
                info_loss.backward()
                optimizer_info.step()
                o.print("[Epoch %d/%d] [Batch %d/%d] [D loss: %.4f] [G loss: %.4f] "
                        "[info loss: %.4f]" % (epoch, opt.n_epochs, i, len(dataloader),
                                               d_loss.item(), g_loss.item(), info_loss.item()))
                o.vals += [d_loss.item(), g_loss.item(), info_loss.item()]
        # static sample: varied code over a row
        zeros = np.zeros((4, 1))
        c_varied = np.repeat(np.linspace(-1, 1, 2)[:, np.newaxis], 2, 0)
        c1 = Variable(FloatTensor(np.concatenate((c_varied, zeros), -1)))
        o.print(c1.shape, c1.dtype, labels.dtype, labels.sum(1))
        o.vals += [gen_imgs, c1]
    return o.done()


def softmax_gan(L):
    """implementations/softmax_gan/softmax_gan.py: log(Z) partition-function losses."""
    Variable, opt = L.autograd.Variable, Opt
    img_shape = (opt.channels, opt.img_size, opt.img_size)
    cuda = True if L.cuda.is_available() else False
    with Out() as o:
        L.manual_seed(0); np.random.seed(8)
        generator, discriminator = _mlp_gd(L, opt, img_shape, False)
        adversarial_loss = L.nn.BCELoss()
        dataloader = _loader(L, 8, img_shape, 9)
        optimizer_G = L.optim.Adam(generator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        optimizer_D = L.optim.Adam(discriminator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        Tensor = L.cuda.FloatTensor if cuda else L.FloatTensor

        def log(x):
            return L.log(x + 1e-8)
        for epoch in range(opt.n_epochs):
            for i, (imgs, _) in enumerate(dataloader):
                batch_size = imgs.shape[0]
                g_target = 1 / (batch_size * 2)
                d_target = 1 / batch_size
                real_imgs = Variable(imgs.type(Tensor))
                z = Variable(Tensor(np.random.normal(0, 1, (imgs.shape[0], opt.latent_dim))))
                gen_imgs = generator(z)
                optimizer_D.zero_grad()
                d_real = discriminator(real_imgs)
                d_fake = discriminator(gen_imgs)
                Z = L.sum(L.exp(-d_real)) + L.sum(L.exp(-d_fake))
                d_loss = d_target * L.sum(d_real) + log(Z)
                d_loss.backward(retain_graph=True)
                optimizer_D.step()
                optimizer_G.zero_grad()
                g_loss = g_target * (L.sum(d_real) + L.sum(d_fake)) + log(Z)
                o.tryit(lambda: g_loss.backward())
                optimizer_G.step()
                o.print(LOG % (epoch, opt.n_epochs, i, len(dataloader), d_loss.item(),
                               g_loss.item()))
                o.vals += [d_loss.item(), g_loss.item(), Z]
        o.vals += [gen_imgs]
    return o.done()
