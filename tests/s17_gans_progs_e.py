"""eriklindernoren/PyTorch-GAN loss variants: began (autoencoder discriminator, k balance),
ebgan (pull-away term, margin), relativistic_gan (BCEWithLogits on differences), wgan_div
(autograd.grad of real and fake validities), dragan (perturbed-sample gradient penalty),
context_encoder (masked centre inpainting), scaled down: see tests/s17_gans_progs.py."""

import numpy as np
from s16_yunjey_progs import Out
from s17_gans_progs import LOG, Opt, _loader, _mlp_gd


def _ae_discriminator(L, opt):
    """began / ebgan: a conv down, a Linear bottleneck, an upsampling conv back."""
    nn = L.nn

    class Discriminator(nn.Module):
        def __init__(self):
            super(Discriminator, self).__init__()
            self.down = nn.Sequential(nn.Conv2d(opt.channels, 4, 3, 2, 1), nn.ReLU())
            self.down_size = opt.img_size // 2
            down_dim = 4 * (opt.img_size // 2) ** 2
            self.embedding = nn.Linear(down_dim, 8)
            self.fc = nn.Sequential(
                nn.BatchNorm1d(8, 0.8), nn.ReLU(inplace=True), nn.Linear(8, down_dim),
                nn.BatchNorm1d(down_dim), nn.ReLU(inplace=True))
            self.up = nn.Sequential(nn.Upsample(scale_factor=2),
                                    nn.Conv2d(4, opt.channels, 3, 1, 1))

        def forward(self, img):
            out = self.down(img)
            embedding = self.embedding(out.view(out.size(0), -1))
            out = self.fc(embedding)
            out = self.up(out.view(out.size(0), 4, self.down_size, self.down_size))
            return out, embedding
    return Discriminator()


def began(L):
    """implementations/began/began.py"""
    Variable, opt = L.autograd.Variable, Opt
    img_shape = (opt.channels, opt.img_size, opt.img_size)
    cuda = True if L.cuda.is_available() else False
    with Out() as o:
        L.manual_seed(0); np.random.seed(10)
        generator, _ = _mlp_gd(L, opt, img_shape, False)
        D = _ae_discriminator(L, opt)

        def discriminator(img):
            return D(img)[0]
        dataloader = _loader(L, 8, img_shape, 11)
        optimizer_G = L.optim.Adam(generator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        optimizer_D = L.optim.Adam(D.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        Tensor = L.cuda.FloatTensor if cuda else L.FloatTensor
        gamma, lambda_k, k = 0.75, 0.001, 0.0
        for epoch in range(opt.n_epochs):
            for i, (imgs, _) in enumerate(dataloader):
                real_imgs = Variable(imgs.type(Tensor))
                optimizer_G.zero_grad()
                z = Variable(Tensor(np.random.normal(0, 1, (imgs.shape[0], opt.latent_dim))))
                gen_imgs = generator(z)
                g_loss = L.mean(L.abs(discriminator(gen_imgs) - gen_imgs))
                g_loss.backward()
                optimizer_G.step()
                optimizer_D.zero_grad()
                d_real = discriminator(real_imgs)
                d_fake = discriminator(gen_imgs.detach())
                d_loss_real = L.mean(L.abs(d_real - real_imgs))
                d_loss_fake = L.mean(L.abs(d_fake - gen_imgs.detach()))
                d_loss = d_loss_real - k * d_loss_fake
                d_loss.backward()
                optimizer_D.step()
                diff = L.mean(gamma * d_loss_real - d_loss_fake)
                k = k + lambda_k * diff.item()
                k = min(max(k, 0), 1)
                M = (d_loss_real + L.abs(diff)).data.item()
                o.print("[Epoch %d/%d] [Batch %d/%d] [D loss: %.4f] [G loss: %.4f] -- M: %.4f, "
                        "k: %.6f" % (epoch, opt.n_epochs, i, len(dataloader), d_loss.item(),
                                     g_loss.item(), M, k))
                o.vals += [d_loss.item(), g_loss.item(), M, k]
        o.vals += [d_real, type(k).__name__ == "float"]
    return o.done()


def ebgan(L):
    """implementations/ebgan/ebgan.py"""
    Variable, opt = L.autograd.Variable, Opt
    img_shape = (opt.channels, opt.img_size, opt.img_size)
    cuda = True if L.cuda.is_available() else False
    with Out() as o:
        L.manual_seed(0); np.random.seed(12)
        generator, _ = _mlp_gd(L, opt, img_shape, False)
        discriminator = _ae_discriminator(L, opt)
        pixelwise_loss = L.nn.MSELoss()
        dataloader = _loader(L, 8, img_shape, 13)
        optimizer_G = L.optim.Adam(generator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        optimizer_D = L.optim.Adam(discriminator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        Tensor = L.cuda.FloatTensor if cuda else L.FloatTensor
        lambda_pt, margin = 0.1, max(1, opt.batch_size / 64.0)

        def pullaway_loss(embeddings):
            norm = L.sqrt(L.sum(embeddings ** 2, -1, keepdim=True))
            normalized_emb = embeddings / norm
            similarity = L.matmul(normalized_emb, normalized_emb.transpose(1, 0))
            batch_size = embeddings.size(0)
            loss_pt = (L.sum(similarity) - batch_size) / (batch_size * (batch_size - 1))
            return loss_pt
        for epoch in range(opt.n_epochs):
            for i, (imgs, _) in enumerate(dataloader):
                real_imgs = Variable(imgs.type(Tensor))
                optimizer_G.zero_grad()
                z = Variable(Tensor(np.random.normal(0, 1, (imgs.shape[0], opt.latent_dim))))
                gen_imgs = generator(z)
                recon_imgs, img_embeddings = discriminator(gen_imgs)
                g_loss = pixelwise_loss(recon_imgs, gen_imgs.detach()) + \
                    lambda_pt * pullaway_loss(img_embeddings)
                g_loss.backward()
                optimizer_G.step()
                optimizer_D.zero_grad()
                real_recon, _ = discriminator(real_imgs)
                fake_recon, _ = discriminator(gen_imgs.detach())
                d_loss_real = pixelwise_loss(real_recon, real_imgs)
                d_loss_fake = pixelwise_loss(fake_recon, gen_imgs.detach())
                d_loss = d_loss_real
                if (margin - d_loss_fake.data).item() > 0:
                    d_loss += margin - d_loss_fake
                d_loss.backward()
                optimizer_D.step()
                o.print(LOG % (epoch, opt.n_epochs, i, len(dataloader), d_loss.item(),
                               g_loss.item()))
                o.vals += [d_loss.item(), g_loss.item(), pullaway_loss(img_embeddings)]
        o.print(margin, d_loss.grad_fn.name())
        o.vals += [real_recon]
    return o.done()


def relativistic_gan(L):
    """implementations/relativistic_gan/relativistic_gan.py (rel_avg_gan on and off)"""
    Variable, opt = L.autograd.Variable, Opt
    img_shape = (opt.channels, opt.img_size, opt.img_size)
    cuda = True if L.cuda.is_available() else False
    with Out() as o:
        for rel_avg_gan in (False, True):
            L.manual_seed(0); np.random.seed(14)
            generator, discriminator = _mlp_gd(L, opt, img_shape, False)
            adversarial_loss = L.nn.BCEWithLogitsLoss()
            dataloader = _loader(L, 8, img_shape, 15)
            optimizer_G = L.optim.Adam(generator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
            optimizer_D = L.optim.Adam(discriminator.parameters(), lr=opt.lr,
                                       betas=(opt.b1, opt.b2))
            Tensor = L.cuda.FloatTensor if cuda else L.FloatTensor
            for epoch in range(opt.n_epochs):
                for i, (imgs, _) in enumerate(dataloader):
                    valid = Variable(Tensor(imgs.shape[0], 1).fill_(1.0), requires_grad=False)
                    fake = Variable(Tensor(imgs.shape[0], 1).fill_(0.0), requires_grad=False)
                    real_imgs = Variable(imgs.type(Tensor))
                    optimizer_G.zero_grad()
                    z = Variable(Tensor(np.random.normal(0, 1, (imgs.shape[0], opt.latent_dim))))
                    gen_imgs = generator(z)
                    real_pred = discriminator(real_imgs).detach()
                    fake_pred = discriminator(gen_imgs)
                    if rel_avg_gan:
                        g_loss = adversarial_loss(fake_pred - real_pred.mean(0, keepdim=True), valid)
                    else:
                        g_loss = adversarial_loss(fake_pred - real_pred, valid)
                    g_loss.backward()
                    optimizer_G.step()
                    optimizer_D.zero_grad()
                    real_pred = discriminator(real_imgs)
                    fake_pred = discriminator(gen_imgs.detach())
                    if rel_avg_gan:
                        real_loss = adversarial_loss(real_pred - fake_pred.mean(0, keepdim=True), valid)
                        fake_loss = adversarial_loss(fake_pred - real_pred.mean(0, keepdim=True), fake)
                    else:
                        real_loss = adversarial_loss(real_pred - fake_pred, valid)
                        fake_loss = adversarial_loss(fake_pred - real_pred, fake)
                    d_loss = (real_loss + fake_loss) / 2
                    d_loss.backward()
                    optimizer_D.step()
                    o.print(LOG % (epoch, opt.n_epochs, i, len(dataloader), d_loss.item(),
                                   g_loss.item()))
                    o.vals += [d_loss.item(), g_loss.item(), real_pred]
    return o.done()


def wgan_div(L):
    """implementations/wgan_div/wgan_div.py: the divergence penalty from autograd.grad of the
    validities w.r.t. real images (a leaf) and fake ones (the generator's output)."""
    Variable, opt, autograd = L.autograd.Variable, Opt, L.autograd
    img_shape = (opt.channels, opt.img_size, opt.img_size)
    cuda = True if L.cuda.is_available() else False
    with Out() as o:
        L.manual_seed(0); np.random.seed(16)
        k, p = 2, 6
        generator, discriminator = _mlp_gd(L, opt, img_shape, False)
        dataloader = _loader(L, 8, img_shape, 17)
        optimizer_G = L.optim.Adam(generator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        optimizer_D = L.optim.Adam(discriminator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        Tensor = L.cuda.FloatTensor if cuda else L.FloatTensor
        for epoch in range(opt.n_epochs):
            for i, (imgs, _) in enumerate(dataloader):
                real_imgs = Variable(imgs.type(Tensor), requires_grad=True)
                optimizer_D.zero_grad()
                z = Variable(Tensor(np.random.normal(0, 1, (imgs.shape[0], opt.latent_dim))))
                fake_imgs = generator(z)
                real_validity = discriminator(real_imgs)
                fake_validity = discriminator(fake_imgs)
                real_grad_out = Variable(Tensor(real_imgs.size(0), 1).fill_(1.0), requires_grad=False)
                real_grad = autograd.grad(
                    real_validity, real_imgs, real_grad_out, create_graph=True, retain_graph=True,
                    only_inputs=True)[0]
                real_grad_norm = real_grad.view(real_grad.size(0), -1).pow(2).sum(1) ** (p / 2)
                fake_grad_out = Variable(Tensor(fake_imgs.size(0), 1).fill_(1.0), requires_grad=False)
                fake_grad = autograd.grad(
                    fake_validity, fake_imgs, fake_grad_out, create_graph=True, retain_graph=True,
                    only_inputs=True)[0]
                fake_grad_norm = fake_grad.view(fake_grad.size(0), -1).pow(2).sum(1) ** (p / 2)
                div_gp = L.mean(real_grad_norm + fake_grad_norm) * k / 2
                d_loss = -L.mean(real_validity) + L.mean(fake_validity) + div_gp
                d_loss.backward()
                optimizer_D.step()
                optimizer_G.zero_grad()
                fake_imgs = generator(z)
                fake_validity = discriminator(fake_imgs)
                g_loss = -L.mean(fake_validity)
                g_loss.backward()
                optimizer_G.step()
                o.print(LOG % (epoch, opt.n_epochs, i, len(dataloader), d_loss.item(),
                               g_loss.item()))
                o.vals += [d_loss.item(), g_loss.item(), div_gp.item(), real_grad]
        o.print(real_imgs.grad is None, real_imgs.grad.shape, real_grad.requires_grad)
        o.vals += [real_imgs.grad] + [q.grad for q in discriminator.parameters()]
    return o.done()


def dragan(L):
    """implementations/dragan/dragan.py: the penalty on X + 0.5 * X.std() * rand noise."""
    Variable, opt, autograd = L.autograd.Variable, Opt, L.autograd
    img_shape = (opt.channels, opt.img_size, opt.img_size)
    cuda = True if L.cuda.is_available() else False
    with Out() as o:
        L.manual_seed(0); np.random.seed(18)
        lambda_gp = 10
        generator, discriminator = _mlp_gd(L, opt, img_shape, True)
        adversarial_loss = L.nn.BCELoss()
        dataloader = _loader(L, 8, img_shape, 19)
        optimizer_G = L.optim.Adam(generator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        optimizer_D = L.optim.Adam(discriminator.parameters(), lr=opt.lr, betas=(opt.b1, opt.b2))
        Tensor = L.cuda.FloatTensor if cuda else L.FloatTensor

        def compute_gradient_penalty(D, X):
            """Calculates the gradient penalty loss for DRAGAN"""
            alpha = Tensor(np.random.random(size=X.shape))
            interpolates = alpha * X + ((1 - alpha) * (X + 0.5 * X.std() * L.rand(X.size())))
            if cuda:
                interpolates = interpolates.cuda()
            interpolates = Variable(interpolates, requires_grad=True)
            d_interpolates = D(interpolates)
            fake = Variable(Tensor(X.shape[0], 1).fill_(1.0), requires_grad=False)
            gradients = autograd.grad(
                outputs=d_interpolates, inputs=interpolates, grad_outputs=fake,
                create_graph=True, retain_graph=True, only_inputs=True)[0]
            gradient_penalty = lambda_gp * ((gradients.norm(2, dim=1) - 1) ** 2).mean()
            return gradient_penalty
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
                gradient_penalty = compute_gradient_penalty(discriminator, real_imgs.data)
                d_loss += gradient_penalty
                d_loss.backward()
                optimizer_D.step()
                o.print(LOG % (epoch, opt.n_epochs, i, len(dataloader), d_loss.item(),
                               g_loss.item()))
                o.vals += [d_loss.item(), g_loss.item(), gradient_penalty.item()]
        o.vals += [q.grad for q in discriminator.parameters()]
    return o.done()
