"""eriklindernoren/PyTorch-GAN stargan (models.py GeneratorResNet with the label map
concatenated as channels, the two-headed Discriminator; stargan.py's criterion_cls,
compute_gradient_penalty and the n_critic loop), scaled down: see tests/s17_gans_progs.py."""

import numpy as np
from s16_yunjey_progs import Out


def stargan(L):
    """implementations/stargan/{models,stargan}.py"""
    nn, F, Variable, autograd = L.nn, L.nn.functional, L.autograd.Variable, L.autograd
    cuda = L.cuda.is_available()
    with Out() as o:
        L.manual_seed(0); np.random.seed(30)
        c_dim, img_size, channels, n_critic = 3, 16, 3, 2
        lambda_cls, lambda_rec, lambda_gp = 1, 10, 10

        class ResidualBlock(nn.Module):
            def __init__(self, in_features):
                super(ResidualBlock, self).__init__()
                conv_block = [
                    nn.Conv2d(in_features, in_features, 3, stride=1, padding=1, bias=False),
                    nn.InstanceNorm2d(in_features, affine=True, track_running_stats=True),
                    nn.ReLU(inplace=True),
                    nn.Conv2d(in_features, in_features, 3, stride=1, padding=1, bias=False),
                    nn.InstanceNorm2d(in_features, affine=True, track_running_stats=True)]
                self.conv_block = nn.Sequential(*conv_block)

            def forward(self, x):
                return x + self.conv_block(x)

        class GeneratorResNet(nn.Module):
            def __init__(self, img_shape=(3, 16, 16), res_blocks=1, c_dim=3):
                super(GeneratorResNet, self).__init__()
                channels, img_size, _ = img_shape
                model = [nn.Conv2d(channels + c_dim, 4, 7, stride=1, padding=3, bias=False),
                         nn.InstanceNorm2d(4, affine=True, track_running_stats=True),
                         nn.ReLU(inplace=True)]
                curr_dim = 4
                for _ in range(2):
                    model += [nn.Conv2d(curr_dim, curr_dim * 2, 4, stride=2, padding=1, bias=False),
                              nn.InstanceNorm2d(curr_dim * 2, affine=True, track_running_stats=True),
                              nn.ReLU(inplace=True)]
                    curr_dim *= 2
                for _ in range(res_blocks):
                    model += [ResidualBlock(curr_dim)]
                for _ in range(2):
                    model += [nn.ConvTranspose2d(curr_dim, curr_dim // 2, 4, stride=2, padding=1,
                                                 bias=False),
                              nn.InstanceNorm2d(curr_dim // 2, affine=True, track_running_stats=True),
                              nn.ReLU(inplace=True)]
                    curr_dim = curr_dim // 2
                model += [nn.Conv2d(curr_dim, channels, 7, stride=1, padding=3), nn.Tanh()]
                self.model = nn.Sequential(*model)

            def forward(self, x, c):
                c = c.view(c.size(0), c.size(1), 1, 1)
                c = c.repeat(1, 1, x.size(2), x.size(3))
                x = L.cat((x, c), 1)
                return self.model(x)

        class Discriminator(nn.Module):
            def __init__(self, img_shape=(3, 16, 16), c_dim=3, n_strided=3):
                super(Discriminator, self).__init__()
                channels, img_size, _ = img_shape

                def discriminator_block(in_filters, out_filters):
                    """Returns downsampling layers of each discriminator block"""
                    layers = [nn.Conv2d(in_filters, out_filters, 4, stride=2, padding=1),
                              nn.LeakyReLU(0.01)]
                    return layers

                layers = discriminator_block(channels, 4)
                curr_dim = 4
                for _ in range(n_strided - 1):
                    layers.extend(discriminator_block(curr_dim, curr_dim * 2))
                    curr_dim *= 2
                self.model = nn.Sequential(*layers)
                self.out1 = nn.Conv2d(curr_dim, 1, 3, padding=1, bias=False)
                kernel_size = img_size // 2 ** n_strided
                self.out2 = nn.Conv2d(curr_dim, c_dim, kernel_size, bias=False)

            def forward(self, img):
                feature_repr = self.model(img)
                out_adv = self.out1(feature_repr)
                out_cls = self.out2(feature_repr)
                return out_adv, out_cls.view(out_cls.size(0), -1)

        criterion_cycle = L.nn.L1Loss()

        def criterion_cls(logit, target):
            return F.binary_cross_entropy_with_logits(logit, target, size_average=False) / logit.size(0)
        img_shape = (channels, img_size, img_size)
        generator = GeneratorResNet(img_shape=img_shape, res_blocks=1, c_dim=c_dim)
        discriminator = Discriminator(img_shape=img_shape, c_dim=c_dim)
        o.print(generator.model[0], generator.model[1], discriminator.out2)
        optimizer_G = L.optim.Adam(generator.parameters(), lr=0.0002, betas=(0.5, 0.999))
        optimizer_D = L.optim.Adam(discriminator.parameters(), lr=0.0002, betas=(0.5, 0.999))
        Tensor = L.cuda.FloatTensor if cuda else L.FloatTensor

        def compute_gradient_penalty(D, real_samples, fake_samples):
            """Calculates the gradient penalty loss for WGAN GP"""
            alpha = Tensor(np.random.random((real_samples.size(0), 1, 1, 1)))
            interpolates = (alpha * real_samples + ((1 - alpha) * fake_samples)).requires_grad_(True)
            d_interpolates, _ = D(interpolates)
            fake = Variable(Tensor(np.ones(d_interpolates.shape)), requires_grad=False)
            gradients = autograd.grad(
                outputs=d_interpolates, inputs=interpolates, grad_outputs=fake,
                create_graph=True, retain_graph=True, only_inputs=True)[0]
            gradients = gradients.view(gradients.size(0), -1)
            gradient_penalty = ((gradients.norm(2, dim=1) - 1) ** 2).mean()
            return gradient_penalty
        rng = np.random.default_rng(31)
        data = [(L.from_numpy(rng.random((2,) + img_shape, dtype=np.float32) * 2 - 1),
                 L.from_numpy(rng.integers(0, 2, (2, c_dim)).astype(np.float32)))
                for _ in range(2)]
        for epoch in range(1):
            for i, (imgs, labels) in enumerate(data):
                imgs = Variable(imgs.type(Tensor))
                labels = Variable(labels.type(Tensor))
                sampled_c = Variable(Tensor(np.random.randint(0, 2, (imgs.size(0), c_dim))))
                fake_imgs = generator(imgs, sampled_c)
                optimizer_D.zero_grad()
                real_validity, pred_cls = discriminator(imgs)
                fake_validity, _ = discriminator(fake_imgs.detach())
                gradient_penalty = compute_gradient_penalty(discriminator, imgs.data, fake_imgs.data)
                loss_D_adv = -L.mean(real_validity) + L.mean(fake_validity) + lambda_gp * gradient_penalty
                loss_D_cls = criterion_cls(pred_cls, labels)
                loss_D = loss_D_adv + lambda_cls * loss_D_cls
                loss_D.backward()
                optimizer_D.step()
                optimizer_G.zero_grad()
                if i % n_critic == 0:
                    gen_imgs = generator(imgs, sampled_c)
                    recov_imgs = generator(gen_imgs, labels)
                    fake_validity, pred_cls = discriminator(gen_imgs)
                    loss_G_adv = -L.mean(fake_validity)
                    loss_G_cls = criterion_cls(pred_cls, sampled_c)
                    loss_G_rec = criterion_cycle(recov_imgs, imgs)
                    loss_G = loss_G_adv + lambda_cls * loss_G_cls + lambda_rec * loss_G_rec
                    loss_G.backward()
                    optimizer_G.step()
                    o.print("\r[Epoch %d/%d] [Batch %d/%d] [D adv: %.4f, aux: %.4f] [G loss: %.4f, "
                            "adv: %.4f, aux: %.4f, cycle: %.4f]" % (
                                epoch, 1, i, len(data), loss_D_adv.item(), loss_D_cls.item(),
                                loss_G.item(), loss_G_adv.item(), loss_G_cls.item(),
                                loss_G_rec.item()))
                    o.vals += [loss_D.item(), loss_G.item(), gradient_penalty.item()]
                o.vals += [loss_D.item(), pred_cls]
        o.print(generator.model[1].running_mean.shape, generator.model[1].num_batches_tracked)
        o.vals += [generator.model[1].running_var, discriminator.out2.weight.grad]
    return o.done()
