"""aladdinpersson/Machine-Learning-Collection, ML/Pytorch/GANs (part two) as users type them:
ProGAN (model.py: WSConv2d moving the conv's bias out, PixelNorm, minibatch std, fade-in over
F.interpolate / AvgPool2d; utils.gradient_penalty with alpha and steps) and CycleGAN
(generator_model.py / discriminator_model.py with padding_mode="reflect", InstanceNorm2d,
in-place ReLU; one train_fn step with MSE, L1 cycle and identity losses), scaled down.
For tests/test_programs_s20_aladdin.py."""

from math import log2

from s16_yunjey_progs import Out


def progan(L):
    """ProGAN: the __main__ shape check (its Discriminator(Z_DIM, IN_CHANNELS, img_channels=3)
    typo caught), then WGAN-GP steps at steps=1 and 2 with alpha growing, Adam(betas=(0.0,
    0.99)) and the drift term 0.001 * torch.mean(critic_real ** 2)."""
    torch, nn, F, optim = L, L.nn, L.nn.functional, L.optim
    with Out() as o:
        torch.manual_seed(0)
        factors = [1, 1, 1, 1, 1 / 2, 1 / 4, 1 / 8, 1 / 16, 1 / 32]

        class WSConv2d(nn.Module):
            def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=1, gain=2):
                super(WSConv2d, self).__init__()
                self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding)
                self.scale = (gain / (in_channels * (kernel_size ** 2))) ** 0.5
                self.bias = self.conv.bias
                self.conv.bias = None
                nn.init.normal_(self.conv.weight)
                nn.init.zeros_(self.bias)

            def forward(self, x):
                return self.conv(x * self.scale) + self.bias.view(1, self.bias.shape[0], 1, 1)

        class PixelNorm(nn.Module):
            def __init__(self):
                super(PixelNorm, self).__init__()
                self.epsilon = 1e-8

            def forward(self, x):
                return x / torch.sqrt(torch.mean(x ** 2, dim=1, keepdim=True) + self.epsilon)

        class ConvBlock(nn.Module):
            def __init__(self, in_channels, out_channels, use_pixelnorm=True):
                super(ConvBlock, self).__init__()
                self.use_pn = use_pixelnorm
                self.conv1 = WSConv2d(in_channels, out_channels)
                self.conv2 = WSConv2d(out_channels, out_channels)
                self.leaky = nn.LeakyReLU(0.2)
                self.pn = PixelNorm()

            def forward(self, x):
                x = self.leaky(self.conv1(x))
                x = self.pn(x) if self.use_pn else x
                x = self.leaky(self.conv2(x))
                x = self.pn(x) if self.use_pn else x
                return x

        class Generator(nn.Module):
            def __init__(self, z_dim, in_channels, img_channels=3):
                super(Generator, self).__init__()
                self.initial = nn.Sequential(
                    PixelNorm(),
                    nn.ConvTranspose2d(z_dim, in_channels, 4, 1, 0),
                    nn.LeakyReLU(0.2),
                    WSConv2d(in_channels, in_channels, kernel_size=3, stride=1, padding=1),
                    nn.LeakyReLU(0.2),
                    PixelNorm(),
                )
                self.initial_rgb = WSConv2d(in_channels, img_channels, kernel_size=1, stride=1, padding=0)
                self.prog_blocks, self.rgb_layers = (nn.ModuleList([]), nn.ModuleList([self.initial_rgb]),)
                for i in range(len(factors) - 1):
                    conv_in_c = int(in_channels * factors[i])
                    conv_out_c = int(in_channels * factors[i + 1])
                    self.prog_blocks.append(ConvBlock(conv_in_c, conv_out_c))
                    self.rgb_layers.append(WSConv2d(conv_out_c, img_channels, kernel_size=1, stride=1, padding=0))

            def fade_in(self, alpha, upscaled, generated):
                return torch.tanh(alpha * generated + (1 - alpha) * upscaled)

            def forward(self, x, alpha, steps):
                out = self.initial(x)
                if steps == 0:
                    return self.initial_rgb(out)
                for step in range(steps):
                    upscaled = F.interpolate(out, scale_factor=2, mode="nearest")
                    out = self.prog_blocks[step](upscaled)
                final_upscaled = self.rgb_layers[steps - 1](upscaled)
                final_out = self.rgb_layers[steps](out)
                return self.fade_in(alpha, final_upscaled, final_out)

        class Discriminator(nn.Module):
            def __init__(self, in_channels, img_channels=3):
                super(Discriminator, self).__init__()
                self.prog_blocks, self.rgb_layers = nn.ModuleList([]), nn.ModuleList([])
                self.leaky = nn.LeakyReLU(0.2)
                for i in range(len(factors) - 1, 0, -1):
                    conv_in = int(in_channels * factors[i])
                    conv_out = int(in_channels * factors[i - 1])
                    self.prog_blocks.append(ConvBlock(conv_in, conv_out, use_pixelnorm=False))
                    self.rgb_layers.append(WSConv2d(img_channels, conv_in, kernel_size=1, stride=1, padding=0))
                self.initial_rgb = WSConv2d(img_channels, in_channels, kernel_size=1, stride=1, padding=0)
                self.rgb_layers.append(self.initial_rgb)
                self.avg_pool = nn.AvgPool2d(kernel_size=2, stride=2)
                self.final_block = nn.Sequential(
                    WSConv2d(in_channels + 1, in_channels, kernel_size=3, padding=1),
                    nn.LeakyReLU(0.2),
                    WSConv2d(in_channels, in_channels, kernel_size=4, padding=0, stride=1),
                    nn.LeakyReLU(0.2),
                    WSConv2d(in_channels, 1, kernel_size=1, padding=0, stride=1),
                )

            def fade_in(self, alpha, downscaled, out):
                return alpha * out + (1 - alpha) * downscaled

            def minibatch_std(self, x):
                batch_statistics = (torch.std(x, dim=0).mean().repeat(x.shape[0], 1, x.shape[2], x.shape[3]))
                return torch.cat([x, batch_statistics], dim=1)

            def forward(self, x, alpha, steps):
                cur_step = len(self.prog_blocks) - steps
                out = self.leaky(self.rgb_layers[cur_step](x))
                if steps == 0:
                    out = self.minibatch_std(out)
                    return self.final_block(out).view(out.shape[0], -1)
                downscaled = self.leaky(self.rgb_layers[cur_step + 1](self.avg_pool(x)))
                out = self.avg_pool(self.prog_blocks[cur_step](out))
                out = self.fade_in(alpha, downscaled, out)
                for step in range(cur_step + 1, len(self.prog_blocks)):
                    out = self.prog_blocks[step](out)
                    out = self.avg_pool(out)
                out = self.minibatch_std(out)
                return self.final_block(out).view(out.shape[0], -1)

        def gradient_penalty(critic, real, fake, alpha, train_step, device="cpu"):
            BATCH_SIZE, C, H, W = real.shape
            beta = torch.rand((BATCH_SIZE, 1, 1, 1)).repeat(1, C, H, W).to(device)
            interpolated_images = real * beta + fake.detach() * (1 - beta)
            interpolated_images.requires_grad_(True)
            mixed_scores = critic(interpolated_images, alpha, train_step)
            gradient = torch.autograd.grad(inputs=interpolated_images, outputs=mixed_scores,
                                           grad_outputs=torch.ones_like(mixed_scores),
                                           create_graph=True, retain_graph=True,)[0]
            gradient = gradient.view(gradient.shape[0], -1)
            gradient_norm = gradient.norm(2, dim=1)
            gradient_penalty = torch.mean((gradient_norm - 1) ** 2)
            return gradient_penalty

        Z_DIM, IN_CHANNELS = 8, 32
        gen = Generator(Z_DIM, IN_CHANNELS, img_channels=3)
        o.tryit(lambda: Discriminator(Z_DIM, IN_CHANNELS, img_channels=3))
        critic = Discriminator(IN_CHANNELS, img_channels=3)
        ws = gen.initial[3]
        o.print(ws, [n for n, _ in ws.named_parameters()], ws.conv.bias)
        o.print(len(list(gen.parameters())), len(list(critic.parameters())))
        for img_size in [4, 8, 16]:
            num_steps = int(log2(img_size / 4))
            x = torch.randn((1, Z_DIM, 1, 1))
            z = gen(x, 0.5, steps=num_steps)
            assert z.shape == (1, 3, img_size, img_size)
            out = critic(z, alpha=0.5, steps=num_steps)
            assert out.shape == (1, 1)
            o.print(f"Success! At img size: {img_size}")
            o.vals.append(out)

        LAMBDA_GP = 10
        # lr 1e-4 rather than the file's 1e-3: with betas=(0.0, 0.99) Adam's first steps move
        # every weight by about lr * sign(grad), so float32 rounding in gradients near zero
        # grew to the 4th decimal of gp by step 2 (run in float64 both libraries agree to 1e-15)
        opt_gen = optim.Adam(gen.parameters(), lr=1e-4, betas=(0.0, 0.99))
        opt_critic = optim.Adam(critic.parameters(), lr=1e-4, betas=(0.0, 0.99))
        for step in (1, 2):
            alpha = 1e-5
            for it in range(2):
                real = torch.rand(2, 3, 4 * 2 ** step, 4 * 2 ** step) * 2 - 1
                cur_batch_size = real.shape[0]
                noise = torch.randn(cur_batch_size, Z_DIM, 1, 1)
                fake = gen(noise, alpha, step)
                critic_real = critic(real, alpha, step)
                critic_fake = critic(fake.detach(), alpha, step)
                gp = gradient_penalty(critic, real, fake, alpha, step)
                loss_critic = (-(torch.mean(critic_real) - torch.mean(critic_fake))
                               + LAMBDA_GP * gp + (0.001 * torch.mean(critic_real ** 2)))
                opt_critic.zero_grad()
                loss_critic.backward()
                opt_critic.step()
                gen_fake = critic(fake, alpha, step)
                loss_gen = -torch.mean(gen_fake)
                opt_gen.zero_grad()
                loss_gen.backward()
                opt_gen.step()
                alpha += cur_batch_size / (0.5 * 8)
                alpha = min(alpha, 1)
                o.print(f"step {step} gp {gp.item():.4f} loss_critic {loss_critic.item():.4f} alpha {alpha:.4f}")
            o.vals += [gp.detach(), loss_gen.detach()]
    return o.done()


def cyclegan(L):
    """CycleGAN: the two test() shape checks, then one train_fn step: discriminators on
    fake.detach() with MSE to ones/zeros, generators with adversarial MSE + L1 cycle
    (LAMBDA_CYCLE=10) + L1 identity, Adam(betas=(0.5, 0.999))."""
    torch, nn, optim = L, L.nn, L.optim
    with Out() as o:
        torch.manual_seed(0)

        class ConvBlock(nn.Module):
            def __init__(self, in_channels, out_channels, down=True, use_act=True, **kwargs):
                super().__init__()
                self.conv = nn.Sequential(
                    nn.Conv2d(in_channels, out_channels, padding_mode="reflect", **kwargs)
                    if down
                    else nn.ConvTranspose2d(in_channels, out_channels, **kwargs),
                    nn.InstanceNorm2d(out_channels),
                    nn.ReLU(inplace=True) if use_act else nn.Identity()
                )

            def forward(self, x):
                return self.conv(x)

        class ResidualBlock(nn.Module):
            def __init__(self, channels):
                super().__init__()
                self.block = nn.Sequential(
                    ConvBlock(channels, channels, kernel_size=3, padding=1),
                    ConvBlock(channels, channels, use_act=False, kernel_size=3, padding=1),
                )

            def forward(self, x):
                return x + self.block(x)

        class Generator(nn.Module):
            def __init__(self, img_channels, num_features=64, num_residuals=9):
                super().__init__()
                self.initial = nn.Sequential(
                    nn.Conv2d(img_channels, num_features, kernel_size=7, stride=1, padding=3, padding_mode="reflect"),
                    nn.InstanceNorm2d(num_features),
                    nn.ReLU(inplace=True),
                )
                self.down_blocks = nn.ModuleList([
                    ConvBlock(num_features, num_features * 2, kernel_size=3, stride=2, padding=1),
                    ConvBlock(num_features * 2, num_features * 4, kernel_size=3, stride=2, padding=1),
                ])
                self.res_blocks = nn.Sequential(*[ResidualBlock(num_features * 4) for _ in range(num_residuals)])
                self.up_blocks = nn.ModuleList([
                    ConvBlock(num_features * 4, num_features * 2, down=False, kernel_size=3, stride=2, padding=1, output_padding=1),
                    ConvBlock(num_features * 2, num_features * 1, down=False, kernel_size=3, stride=2, padding=1, output_padding=1),
                ])
                self.last = nn.Conv2d(num_features * 1, img_channels, kernel_size=7, stride=1, padding=3, padding_mode="reflect")

            def forward(self, x):
                x = self.initial(x)
                for layer in self.down_blocks:
                    x = layer(x)
                x = self.res_blocks(x)
                for layer in self.up_blocks:
                    x = layer(x)
                return torch.tanh(self.last(x))

        class Block(nn.Module):
            def __init__(self, in_channels, out_channels, stride):
                super().__init__()
                self.conv = nn.Sequential(
                    nn.Conv2d(in_channels, out_channels, 4, stride, 1, bias=True, padding_mode="reflect"),
                    nn.InstanceNorm2d(out_channels),
                    nn.LeakyReLU(0.2, inplace=True),
                )

            def forward(self, x):
                return self.conv(x)

        class Discriminator(nn.Module):
            def __init__(self, in_channels=3, features=[64, 128, 256, 512]):
                super().__init__()
                self.initial = nn.Sequential(
                    nn.Conv2d(in_channels, features[0], kernel_size=4, stride=2, padding=1, padding_mode="reflect"),
                    nn.LeakyReLU(0.2, inplace=True),
                )
                layers = []
                in_channels = features[0]
                for feature in features[1:]:
                    layers.append(Block(in_channels, feature, stride=1 if feature == features[-1] else 2))
                    in_channels = feature
                layers.append(nn.Conv2d(in_channels, 1, kernel_size=4, stride=1, padding=1, padding_mode="reflect"))
                self.model = nn.Sequential(*layers)

            def forward(self, x):
                x = self.initial(x)
                return torch.sigmoid(self.model(x))

        x = torch.randn((2, 3, 32, 32))
        model = Discriminator(in_channels=3, features=[4, 8, 8, 16])
        o.print(model(x).shape)
        gen = Generator(3, 9)
        o.print(gen(x).shape)
        o.print(model.initial)

        disc_H = Discriminator(in_channels=3, features=[4, 8, 16, 16])
        disc_Z = Discriminator(in_channels=3, features=[4, 8, 16, 16])
        gen_Z = Generator(img_channels=3, num_features=4, num_residuals=2)
        gen_H = Generator(img_channels=3, num_features=4, num_residuals=2)
        opt_disc = optim.Adam(list(disc_H.parameters()) + list(disc_Z.parameters()), lr=1e-3, betas=(0.5, 0.999))
        opt_gen = optim.Adam(list(gen_Z.parameters()) + list(gen_H.parameters()), lr=1e-3, betas=(0.5, 0.999))
        L1 = nn.L1Loss()
        mse = nn.MSELoss()
        LAMBDA_CYCLE, LAMBDA_IDENTITY = 10, 0.5
        for idx in range(2):
            zebra = torch.rand(2, 3, 32, 32) * 2 - 1
            horse = torch.rand(2, 3, 32, 32) * 2 - 1
            fake_horse = gen_H(zebra)
            D_H_real = disc_H(horse)
            D_H_fake = disc_H(fake_horse.detach())
            D_H_real_loss = mse(D_H_real, torch.ones_like(D_H_real))
            D_H_fake_loss = mse(D_H_fake, torch.zeros_like(D_H_fake))
            D_H_loss = D_H_real_loss + D_H_fake_loss
            fake_zebra = gen_Z(horse)
            D_Z_real = disc_Z(zebra)
            D_Z_fake = disc_Z(fake_zebra.detach())
            D_Z_real_loss = mse(D_Z_real, torch.ones_like(D_Z_real))
            D_Z_fake_loss = mse(D_Z_fake, torch.zeros_like(D_Z_fake))
            D_Z_loss = D_Z_real_loss + D_Z_fake_loss
            D_loss = (D_H_loss + D_Z_loss) / 2
            opt_disc.zero_grad()
            D_loss.backward()
            opt_disc.step()
            D_H_fake = disc_H(fake_horse)
            D_Z_fake = disc_Z(fake_zebra)
            loss_G_H = mse(D_H_fake, torch.ones_like(D_H_fake))
            loss_G_Z = mse(D_Z_fake, torch.ones_like(D_Z_fake))
            cycle_zebra = gen_Z(fake_horse)
            cycle_horse = gen_H(fake_zebra)
            cycle_zebra_loss = L1(zebra, cycle_zebra)
            cycle_horse_loss = L1(horse, cycle_horse)
            identity_zebra = gen_Z(zebra)
            identity_horse = gen_H(horse)
            identity_zebra_loss = L1(zebra, identity_zebra)
            identity_horse_loss = L1(horse, identity_horse)
            G_loss = (loss_G_Z + loss_G_H + cycle_zebra_loss * LAMBDA_CYCLE + cycle_horse_loss * LAMBDA_CYCLE
                      + identity_horse_loss * LAMBDA_IDENTITY + identity_zebra_loss * LAMBDA_IDENTITY)
            opt_gen.zero_grad()
            G_loss.backward()
            opt_gen.step()
            o.print(f"H_real={D_H_real.mean().item():.4f} H_fake={D_H_fake.mean().item():.4f} G_loss={G_loss.item():.4f}")
        # (not the biases of convs right before an InstanceNorm: their gradient is zero up to
        # rounding, which Adam amplifies)
        o.vals += [D_loss.detach(), G_loss.detach(), gen_Z.last.weight, disc_H.model[-1].bias]
    return o.done()
