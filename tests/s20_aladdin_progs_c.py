"""aladdinpersson/Machine-Learning-Collection, ML/Pytorch/GANs as users type them:
1. SimpleGAN/fc_gan.py, 2. DCGAN (model.py + train.py), 3. WGAN (weight clipping, RMSprop),
4. WGAN-GP (InstanceNorm critic, utils.gradient_penalty through autograd.grad with
create_graph), scaled down (MNIST replaced by seeded random images in [-1, 1], few features,
a few batches; tensorboard and make_grid left out). For tests/test_programs_s20_aladdin.py."""

from s16_yunjey_progs import Out


def _loader(L, n, shape, batch_size):
    data = L.rand(n, *shape) * 2 - 1
    ds = L.utils.data.TensorDataset(data, L.zeros(n, dtype=L.long))
    return L.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=True)


def simple_gan(L):
    """fc_gan.py: Linear/LeakyReLU/Sigmoid discriminator, Tanh generator, BCELoss, the
    discriminator's backward(retain_graph=True) then the generator's through the same fake."""
    torch, nn, optim = L, L.nn, L.optim
    with Out() as o:
        torch.manual_seed(0)

        class Discriminator(nn.Module):
            def __init__(self, in_features):
                super().__init__()
                self.disc = nn.Sequential(
                    nn.Linear(in_features, 128),
                    nn.LeakyReLU(0.01),
                    nn.Linear(128, 1),
                    nn.Sigmoid(),
                )

            def forward(self, x):
                return self.disc(x)

        class Generator(nn.Module):
            def __init__(self, z_dim, img_dim):
                super().__init__()
                self.gen = nn.Sequential(
                    nn.Linear(z_dim, 256),
                    nn.LeakyReLU(0.01),
                    nn.Linear(256, img_dim),
                    nn.Tanh(),
                )

            def forward(self, x):
                return self.gen(x)

        device = "cuda" if torch.cuda.is_available() else "cpu"
        lr, z_dim, image_dim, batch_size, num_epochs = 3e-4, 16, 28 * 28 * 1, 8, 2
        disc = Discriminator(image_dim).to(device)
        gen = Generator(z_dim, image_dim).to(device)
        fixed_noise = torch.randn((batch_size, z_dim)).to(device)
        loader = _loader(L, 24, (1, 28, 28), batch_size)
        opt_disc = optim.Adam(disc.parameters(), lr=lr)
        opt_gen = optim.Adam(gen.parameters(), lr=lr)
        criterion = nn.BCELoss()
        for epoch in range(num_epochs):
            for batch_idx, (real, _) in enumerate(loader):
                real = real.view(-1, 784).to(device)
                batch_size = real.shape[0]
                noise = torch.randn(batch_size, z_dim).to(device)
                fake = gen(noise)
                disc_real = disc(real).view(-1)
                lossD_real = criterion(disc_real, torch.ones_like(disc_real))
                disc_fake = disc(fake).view(-1)
                lossD_fake = criterion(disc_fake, torch.zeros_like(disc_fake))
                lossD = (lossD_real + lossD_fake) / 2
                disc.zero_grad()
                lossD.backward(retain_graph=True)
                opt_disc.step()
                output = disc(fake).view(-1)
                lossG = criterion(output, torch.ones_like(output))
                gen.zero_grad()
                lossG.backward()
                opt_gen.step()
                if batch_idx == 0:
                    o.print(f"Epoch [{epoch}/{num_epochs}] Batch {batch_idx}/{len(loader)} "
                            f"Loss D: {lossD:.4f}, loss G: {lossG:.4f}")
                    with torch.no_grad():
                        fake = gen(fixed_noise).reshape(-1, 1, 28, 28)
                        data = real.reshape(-1, 1, 28, 28)
                        o.print(fake.shape, data.shape)
        o.vals += [lossD.detach(), lossG.detach(), fake]
    return o.done()


def _dcgan_models(L, instance_norm, sigmoid):
    nn = L.nn

    class Discriminator(nn.Module):
        def __init__(self, channels_img, features_d):
            super(Discriminator, self).__init__()
            last = [nn.Conv2d(features_d * 8, 1, kernel_size=4, stride=2, padding=0)]
            if sigmoid:
                last.append(nn.Sigmoid())
            self.disc = nn.Sequential(
                nn.Conv2d(channels_img, features_d, kernel_size=4, stride=2, padding=1),
                nn.LeakyReLU(0.2),
                self._block(features_d, features_d * 2, 4, 2, 1),
                self._block(features_d * 2, features_d * 4, 4, 2, 1),
                self._block(features_d * 4, features_d * 8, 4, 2, 1),
                *last,
            )

        def _block(self, in_channels, out_channels, kernel_size, stride, padding):
            return nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, bias=False),
                nn.InstanceNorm2d(out_channels, affine=True) if instance_norm
                else nn.BatchNorm2d(out_channels),
                nn.LeakyReLU(0.2),
            )

        def forward(self, x):
            return self.disc(x)

    class Generator(nn.Module):
        def __init__(self, channels_noise, channels_img, features_g):
            super(Generator, self).__init__()
            self.net = nn.Sequential(
                self._block(channels_noise, features_g * 16, 4, 1, 0),
                self._block(features_g * 16, features_g * 8, 4, 2, 1),
                self._block(features_g * 8, features_g * 4, 4, 2, 1),
                self._block(features_g * 4, features_g * 2, 4, 2, 1),
                nn.ConvTranspose2d(features_g * 2, channels_img, kernel_size=4, stride=2, padding=1),
                nn.Tanh(),
            )

        def _block(self, in_channels, out_channels, kernel_size, stride, padding):
            return nn.Sequential(
                nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride, padding, bias=False),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(),
            )

        def forward(self, x):
            return self.net(x)

    def initialize_weights(model):
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.BatchNorm2d)):
                nn.init.normal_(m.weight.data, 0.0, 0.02)

    def test():
        N, in_channels, H, W = 2, 3, 64, 64
        noise_dim = 10
        x = L.randn((N, in_channels, H, W))
        disc = Discriminator(in_channels, 2)
        assert disc(x).shape == (N, 1, 1, 1), "Discriminator test failed"
        gen = Generator(noise_dim, in_channels, 2)
        z = L.randn((N, noise_dim, 1, 1))
        assert gen(z).shape == (N, in_channels, H, W), "Generator test failed"

    return Discriminator, Generator, initialize_weights, test


def dcgan(L):
    """2. DCGAN: BatchNorm discriminator ending in Sigmoid, Adam(betas=(0.5, 0.999)),
    fake.detach() for the discriminator, BCELoss."""
    torch, nn, optim = L, L.nn, L.optim
    with Out() as o:
        torch.manual_seed(0)
        Discriminator, Generator, initialize_weights, test = _dcgan_models(L, False, True)
        test()
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        LEARNING_RATE, BATCH_SIZE, CHANNELS_IMG, NOISE_DIM = 2e-4, 4, 1, 10
        NUM_EPOCHS, FEATURES_DISC, FEATURES_GEN = 2, 2, 2
        dataloader = _loader(L, 8, (1, 64, 64), BATCH_SIZE)
        gen = Generator(NOISE_DIM, CHANNELS_IMG, FEATURES_GEN).to(device)
        disc = Discriminator(CHANNELS_IMG, FEATURES_DISC).to(device)
        initialize_weights(gen)
        initialize_weights(disc)
        o.print(disc)
        opt_gen = optim.Adam(gen.parameters(), lr=LEARNING_RATE, betas=(0.5, 0.999))
        opt_disc = optim.Adam(disc.parameters(), lr=LEARNING_RATE, betas=(0.5, 0.999))
        criterion = nn.BCELoss()
        fixed_noise = torch.randn(4, NOISE_DIM, 1, 1).to(device)
        gen.train()
        disc.train()
        for epoch in range(NUM_EPOCHS):
            for batch_idx, (real, _) in enumerate(dataloader):
                real = real.to(device)
                noise = torch.randn(BATCH_SIZE, NOISE_DIM, 1, 1).to(device)
                fake = gen(noise)
                disc_real = disc(real).reshape(-1)
                loss_disc_real = criterion(disc_real, torch.ones_like(disc_real))
                disc_fake = disc(fake.detach()).reshape(-1)
                loss_disc_fake = criterion(disc_fake, torch.zeros_like(disc_fake))
                loss_disc = (loss_disc_real + loss_disc_fake) / 2
                disc.zero_grad()
                loss_disc.backward()
                opt_disc.step()
                output = disc(fake).reshape(-1)
                loss_gen = criterion(output, torch.ones_like(output))
                gen.zero_grad()
                loss_gen.backward()
                opt_gen.step()
                if batch_idx % 100 == 0:
                    o.print(f"Epoch [{epoch}/{NUM_EPOCHS}] Batch {batch_idx}/{len(dataloader)} "
                            f"Loss D: {loss_disc:.4f}, loss G: {loss_gen:.4f}")
                    with torch.no_grad():
                        fake = gen(fixed_noise)
                        o.print(fake[:32].shape, real[:32].shape)
        o.vals += [loss_disc.detach(), loss_gen.detach(), fake]
    return o.done()


def wgan(L):
    """3. WGAN: critic without Sigmoid, RMSprop, CRITIC_ITERATIONS steps each followed by
    p.data.clamp_(-WEIGHT_CLIP, WEIGHT_CLIP), gen.eval()/critic.eval() while printing."""
    torch, optim = L, L.optim
    with Out() as o:
        torch.manual_seed(0)
        Discriminator, Generator, initialize_weights, _ = _dcgan_models(L, False, False)
        device = "cuda" if torch.cuda.is_available() else "cpu"
        LEARNING_RATE, BATCH_SIZE, CHANNELS_IMG, Z_DIM, NUM_EPOCHS = 5e-5, 4, 1, 8, 1
        FEATURES_CRITIC, FEATURES_GEN, CRITIC_ITERATIONS, WEIGHT_CLIP = 2, 2, 3, 0.01
        loader = _loader(L, 8, (1, 64, 64), BATCH_SIZE)
        gen = Generator(Z_DIM, CHANNELS_IMG, FEATURES_GEN).to(device)
        critic = Discriminator(CHANNELS_IMG, FEATURES_CRITIC).to(device)
        initialize_weights(gen)
        initialize_weights(critic)
        opt_gen = optim.RMSprop(gen.parameters(), lr=LEARNING_RATE)
        opt_critic = optim.RMSprop(critic.parameters(), lr=LEARNING_RATE)
        gen.train()
        critic.train()
        for epoch in range(NUM_EPOCHS):
            for batch_idx, (data, _) in enumerate(loader):
                data = data.to(device)
                cur_batch_size = data.shape[0]
                for _ in range(CRITIC_ITERATIONS):
                    noise = torch.randn(cur_batch_size, Z_DIM, 1, 1).to(device)
                    fake = gen(noise)
                    critic_real = critic(data).reshape(-1)
                    critic_fake = critic(fake).reshape(-1)
                    loss_critic = -(torch.mean(critic_real) - torch.mean(critic_fake))
                    critic.zero_grad()
                    loss_critic.backward(retain_graph=True)
                    opt_critic.step()
                    for p in critic.parameters():
                        p.data.clamp_(-WEIGHT_CLIP, WEIGHT_CLIP)
                gen_fake = critic(fake).reshape(-1)
                loss_gen = -torch.mean(gen_fake)
                gen.zero_grad()
                loss_gen.backward()
                opt_gen.step()
                if batch_idx % 100 == 0:
                    gen.eval()
                    critic.eval()
                    o.print(f"Epoch [{epoch}/{NUM_EPOCHS}] Batch {batch_idx}/{len(loader)} "
                            f"Loss D: {loss_critic:.6f}, loss G: {loss_gen:.6f}")
                    with torch.no_grad():
                        fake = gen(noise)
                    gen.train()
                    critic.train()
        o.print(max(p.abs().max().item() for p in critic.parameters()) <= WEIGHT_CLIP)
        o.vals += [loss_critic.detach(), loss_gen.detach(), fake,
                   critic.disc[2][1].running_var]
    return o.done()


def wgan_gp(L):
    """4. WGAN-GP: InstanceNorm2d(affine=True) critic, Adam(betas=(0.0, 0.9)) and
    utils.gradient_penalty (alpha repeated over C, H, W; torch.autograd.grad with
    create_graph=True; gradient.norm(2, dim=1))."""
    torch, optim = L, L.optim
    with Out() as o:
        torch.manual_seed(0)
        Discriminator, Generator, initialize_weights, _ = _dcgan_models(L, True, False)

        def gradient_penalty(critic, real, fake, device="cpu"):
            BATCH_SIZE, C, H, W = real.shape
            alpha = torch.rand((BATCH_SIZE, 1, 1, 1)).repeat(1, C, H, W).to(device)
            interpolated_images = real * alpha + fake * (1 - alpha)
            mixed_scores = critic(interpolated_images)
            gradient = torch.autograd.grad(
                inputs=interpolated_images,
                outputs=mixed_scores,
                grad_outputs=torch.ones_like(mixed_scores),
                create_graph=True,
                retain_graph=True,
            )[0]
            gradient = gradient.view(gradient.shape[0], -1)
            gradient_norm = gradient.norm(2, dim=1)
            gradient_penalty = torch.mean((gradient_norm - 1) ** 2)
            return gradient_penalty

        device = "cuda" if torch.cuda.is_available() else "cpu"
        LEARNING_RATE, BATCH_SIZE, CHANNELS_IMG, Z_DIM, NUM_EPOCHS = 1e-4, 4, 1, 8, 1
        FEATURES_CRITIC, FEATURES_GEN, CRITIC_ITERATIONS, LAMBDA_GP = 2, 2, 2, 10
        loader = _loader(L, 8, (1, 64, 64), BATCH_SIZE)
        gen = Generator(Z_DIM, CHANNELS_IMG, FEATURES_GEN).to(device)
        critic = Discriminator(CHANNELS_IMG, FEATURES_CRITIC).to(device)
        initialize_weights(gen)
        initialize_weights(critic)
        o.print(critic.disc[2])
        opt_gen = optim.Adam(gen.parameters(), lr=LEARNING_RATE, betas=(0.0, 0.9))
        opt_critic = optim.Adam(critic.parameters(), lr=LEARNING_RATE, betas=(0.0, 0.9))
        gen.train()
        critic.train()
        for epoch in range(NUM_EPOCHS):
            for batch_idx, (real, _) in enumerate(loader):
                real = real.to(device)
                cur_batch_size = real.shape[0]
                for _ in range(CRITIC_ITERATIONS):
                    noise = torch.randn(cur_batch_size, Z_DIM, 1, 1).to(device)
                    fake = gen(noise)
                    critic_real = critic(real).reshape(-1)
                    critic_fake = critic(fake).reshape(-1)
                    gp = gradient_penalty(critic, real, fake, device=device)
                    loss_critic = (
                        -(torch.mean(critic_real) - torch.mean(critic_fake)) + LAMBDA_GP * gp
                    )
                    critic.zero_grad()
                    loss_critic.backward(retain_graph=True)
                    opt_critic.step()
                    o.vals.append(gp.detach())
                gen_fake = critic(fake).reshape(-1)
                loss_gen = -torch.mean(gen_fake)
                gen.zero_grad()
                loss_gen.backward()
                opt_gen.step()
                o.print(f"Epoch [{epoch}/{NUM_EPOCHS}] Batch {batch_idx}/{len(loader)} "
                        f"Loss D: {loss_critic:.4f}, loss G: {loss_gen:.4f}")
        o.vals += [loss_critic.detach(), loss_gen.detach(), critic.disc[2][1].weight]
    return o.done()
