"""rasbt/deeplearning-models, pytorch_ipynb/autoencoder (conv autoencoder with nearest-
neighbour upsampling, deconvolution autoencoder, variational and conditional variational
autoencoders) and pytorch_ipynb/gan (fully connected GAN, DCGAN, Wasserstein GAN) as users
type them, scaled down on random images (2 training steps), as ``prog(L) -> (printed,
values)``."""

from s16_yunjey_progs import Out
from s17_rasbtdlm_progs import mnist_like


def _loader(torch, n=16, side=28, bs=8):
    torch.manual_seed(1)
    return torch.utils.data.DataLoader(mnist_like(torch, n, side), batch_size=bs, shuffle=True)


def conv_autoencoders(torch):
    F = torch.nn.functional

    class ConvolutionalAutoencoder(torch.nn.Module):
        """ae-conv-nneighbor: pooling down, F.interpolate(mode='nearest') up."""
        def __init__(self):
            super(ConvolutionalAutoencoder, self).__init__()
            self.conv_1 = torch.nn.Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=1)
            self.pool_1 = torch.nn.MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=0)
            self.conv_2 = torch.nn.Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1), padding=1)
            self.pool_2 = torch.nn.MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=0)
            self.conv_3 = torch.nn.Conv2d(8, 8, kernel_size=(3, 3), stride=(1, 1), padding=1)
            self.conv_4 = torch.nn.Conv2d(8, 4, kernel_size=(3, 3), stride=(1, 1), padding=1)
            self.conv_5 = torch.nn.Conv2d(4, 1, kernel_size=(3, 3), stride=(1, 1), padding=1)

        def forward(self, x):
            x = F.leaky_relu(self.conv_1(x))
            x = self.pool_1(x)
            x = F.leaky_relu(self.conv_2(x))
            x = self.pool_2(x)
            x = F.interpolate(x, scale_factor=2, mode='nearest')
            x = F.leaky_relu(self.conv_3(x))
            x = F.interpolate(x, scale_factor=2, mode='nearest')
            x = F.leaky_relu(self.conv_4(x))
            x = self.conv_5(x)
            decoded = torch.sigmoid(x)
            return decoded

    class DeconvAutoencoder(torch.nn.Module):
        """ae-deconv: strided convolutions down, ConvTranspose2d up."""
        def __init__(self):
            super(DeconvAutoencoder, self).__init__()
            self.conv_1 = torch.nn.Conv2d(1, 4, kernel_size=(3, 3), stride=(2, 2), padding=0)
            self.conv_2 = torch.nn.Conv2d(4, 8, kernel_size=(3, 3), stride=(2, 2), padding=0)
            self.deconv_1 = torch.nn.ConvTranspose2d(8, 4, kernel_size=(3, 3), stride=(2, 2),
                                                     padding=0)
            self.deconv_2 = torch.nn.ConvTranspose2d(4, 1, kernel_size=(3, 3), stride=(2, 2),
                                                     padding=0, output_padding=1)

        def forward(self, x):
            x = F.leaky_relu(self.conv_1(x))
            x = F.leaky_relu(self.conv_2(x))
            x = F.leaky_relu(self.deconv_1(x))
            x = self.deconv_2(x)
            decoded = torch.sigmoid(x)
            return decoded

    with Out() as o:
        for cls, loss_name in ((ConvolutionalAutoencoder, 'mse'), (DeconvAutoencoder, 'bce')):
            torch.manual_seed(123)
            model = cls()
            o.print(model)
            optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
            loader = _loader(torch)
            num_epochs = 1
            for epoch in range(num_epochs):
                for batch_idx, (features, targets) in enumerate(loader):
                    decoded = model(features)
                    if loss_name == 'mse':
                        cost = F.mse_loss(decoded, features)
                    else:
                        cost = F.binary_cross_entropy(decoded, features)
                    optimizer.zero_grad()
                    cost.backward()
                    optimizer.step()
                    o.print('Epoch: %03d/%03d | Batch %03d/%03d | Cost: %.4f'
                            % (epoch+1, num_epochs, batch_idx, len(loader), cost))
            o.print(decoded.shape, decoded.dtype, decoded.grad_fn.name())
            o.vals += [cost, decoded, model.conv_1.weight]
    return o.done()


def variational_autoencoders(torch):
    F = torch.nn.functional
    num_classes = 10

    def to_onehot(labels, num_classes, device):
        labels_onehot = torch.zeros(labels.size()[0], num_classes).to(device)
        labels_onehot.scatter_(1, labels.view(-1, 1), 1)
        return labels_onehot

    class VariationalAutoencoder(torch.nn.Module):
        """ae-var (num_classes=0) and ae-cvae (labels concatenated to the input and z)."""
        def __init__(self, num_features, num_latent, num_hidden_1, num_classes=0):
            super(VariationalAutoencoder, self).__init__()
            self.num_classes = num_classes
            self.hidden_1 = torch.nn.Linear(num_features + num_classes, num_hidden_1)
            self.z_mean = torch.nn.Linear(num_hidden_1, num_latent)
            self.z_log_var = torch.nn.Linear(num_hidden_1, num_latent)
            self.linear_3 = torch.nn.Linear(num_latent + num_classes, num_hidden_1)
            self.linear_4 = torch.nn.Linear(num_hidden_1, num_features)

        def reparameterize(self, z_mu, z_log_var):
            eps = torch.randn(z_mu.size(0), z_mu.size(1))
            z = z_mu + eps * torch.exp(z_log_var/2.)
            return z

        def encoder(self, features, targets=None):
            if self.num_classes:
                onehot = to_onehot(targets, self.num_classes, 'cpu')
                features = torch.cat((features, onehot), dim=1)
            x = self.hidden_1(features)
            x = F.leaky_relu(x, negative_slope=0.0001)
            z_mean = self.z_mean(x)
            z_log_var = self.z_log_var(x)
            encoded = self.reparameterize(z_mean, z_log_var)
            return z_mean, z_log_var, encoded

        def decoder(self, encoded, targets=None):
            if self.num_classes:
                onehot = to_onehot(targets, self.num_classes, 'cpu')
                encoded = torch.cat((encoded, onehot), dim=1)
            x = self.linear_3(encoded)
            x = F.leaky_relu(x, negative_slope=0.0001)
            x = self.linear_4(x)
            decoded = torch.sigmoid(x)
            return decoded

        def forward(self, features, targets=None):
            z_mean, z_log_var, encoded = self.encoder(features, targets)
            decoded = self.decoder(encoded, targets)
            return z_mean, z_log_var, encoded, decoded

    with Out() as o:
        o.print(to_onehot(torch.tensor([0, 2, 1]), 3, 'cpu'))
        for ncls in (0, num_classes):
            torch.manual_seed(0)
            model = VariationalAutoencoder(num_features=784, num_latent=4, num_hidden_1=32,
                                           num_classes=ncls)
            o.print(model)
            optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
            loader = _loader(torch)
            num_epochs = 1
            for epoch in range(num_epochs):
                for batch_idx, (features, targets) in enumerate(loader):
                    features = features.view(-1, 28*28)
                    z_mean, z_log_var, encoded, decoded = model(features, targets)
                    kl_divergence = (0.5 * (z_mean**2 + torch.exp(z_log_var) - z_log_var - 1)
                                     ).sum()
                    pixelwise_bce = F.binary_cross_entropy(decoded, features, reduction='sum')
                    cost = kl_divergence + pixelwise_bce
                    optimizer.zero_grad()
                    cost.backward()
                    optimizer.step()
                    # %.1f, not the notebook's %.4f: a summed loss of ~4400 in float32
                    # (one ulp = 0.0005); BCE's logs and sum order differ in the last bit
                    o.print('Epoch: %03d/%03d | Batch %03d/%03d | Cost: %.1f'
                            % (epoch+1, num_epochs, batch_idx, len(loader), cost))
            with torch.no_grad():
                new_images = model.decoder(torch.randn(5, 4),
                                           torch.arange(5) if ncls else None)
            o.print(new_images.size())
            o.vals += [cost, kl_divergence, encoded, new_images]
    return o.done()


def gan_fc(torch):
    """gan.ipynb: generator / discriminator as nn.Sequential with LeakyReLU(inplace=True)
    and Dropout, generator_forward / discriminator_forward, BCE against valid / fake."""
    F = torch.nn.functional
    LATENT_DIM = 8
    IMG_SHAPE = (1, 28, 28)

    class GAN(torch.nn.Module):
        def __init__(self):
            super(GAN, self).__init__()
            self.generator = torch.nn.Sequential(
                torch.nn.Linear(LATENT_DIM, 32),
                torch.nn.LeakyReLU(inplace=True),
                torch.nn.Dropout(p=0.5),
                torch.nn.Linear(32, IMG_SHAPE[0]*IMG_SHAPE[1]*IMG_SHAPE[2]),
                torch.nn.Tanh())
            self.discriminator = torch.nn.Sequential(
                torch.nn.Linear(IMG_SHAPE[0]*IMG_SHAPE[1]*IMG_SHAPE[2], 32),
                torch.nn.LeakyReLU(inplace=True),
                torch.nn.Dropout(p=0.5),
                torch.nn.Linear(32, 1),
                torch.nn.Sigmoid())

        def generator_forward(self, z):
            img = self.generator(z)
            return img

        def discriminator_forward(self, img):
            pred = model.discriminator(img)
            return pred.view(-1)

    with Out() as o:
        torch.manual_seed(0)
        model = GAN()
        o.print(model)
        optim_gener = torch.optim.Adam(model.generator.parameters(), lr=0.001)
        optim_discr = torch.optim.Adam(model.discriminator.parameters(), lr=0.001)
        loader = _loader(torch)
        NUM_EPOCHS = 1
        for epoch in range(NUM_EPOCHS):
            model = model.train()
            for batch_idx, (features, targets) in enumerate(loader):
                features = (features - 0.5)*2.
                features = features.view(-1, IMG_SHAPE[0]*IMG_SHAPE[1]*IMG_SHAPE[2])
                valid = torch.ones(targets.size(0)).float()
                fake = torch.zeros(targets.size(0)).float()
                # train generator
                z = torch.zeros((targets.size(0), LATENT_DIM)).uniform_(-1.0, 1.0)
                generated_features = model.generator_forward(z)
                discr_pred = model.discriminator_forward(generated_features)
                gener_loss = F.binary_cross_entropy(discr_pred, valid)
                optim_gener.zero_grad()
                gener_loss.backward()
                optim_gener.step()
                # train discriminator
                discr_pred_real = model.discriminator_forward(features.view(
                    -1, IMG_SHAPE[0]*IMG_SHAPE[1]*IMG_SHAPE[2]))
                real_loss = F.binary_cross_entropy(discr_pred_real, valid)
                discr_pred_fake = model.discriminator_forward(generated_features.detach())
                fake_loss = F.binary_cross_entropy(discr_pred_fake, fake)
                discr_loss = 0.5*(real_loss + fake_loss)
                optim_discr.zero_grad()
                discr_loss.backward()
                optim_discr.step()
                o.print('Epoch: %03d/%03d | Batch %03d/%03d | Gen/Dis Loss: %.4f/%.4f'
                        % (epoch+1, NUM_EPOCHS, batch_idx, len(loader), gener_loss,
                           discr_loss))
        model.eval()
        z = torch.zeros((5, LATENT_DIM)).uniform_(-1.0, 1.0)
        generated_features = model.generator_forward(z)
        imgs = generated_features.view(-1, 28, 28)
        o.vals += [gener_loss, discr_loss, imgs]
    return o.done()


def dcgan_and_wgan(torch):
    """dcgan-celeba / wgan-1: ConvTranspose2d generator with BatchNorm2d, a conv critic,
    weights_init with nn.init.normal_, BCEWithLogits for DCGAN; RMSprop, -mean losses and
    weight clipping for the Wasserstein GAN."""
    nn = torch.nn
    F = torch.nn.functional
    LATENT = 8

    def weights_init(module):
        classname = module.__class__.__name__
        if classname.find('Conv') != -1:
            torch.nn.init.normal_(module.weight.data, 0.0, 0.02)
        elif classname.find('BatchNorm') != -1:
            torch.nn.init.normal_(module.weight.data, 1.0, 0.02)
            torch.nn.init.constant_(module.bias.data, 0)

    class DCGAN(nn.Module):
        def __init__(self, latent_dim=LATENT, num_feat_maps_gen=4, num_feat_maps_dis=4,
                     color_channels=1):
            super(DCGAN, self).__init__()
            self.generator = nn.Sequential(
                nn.ConvTranspose2d(latent_dim, num_feat_maps_gen*2, kernel_size=7, stride=1,
                                   padding=0, bias=False),
                nn.BatchNorm2d(num_feat_maps_gen*2),
                nn.LeakyReLU(inplace=True),
                nn.ConvTranspose2d(num_feat_maps_gen*2, num_feat_maps_gen, kernel_size=4,
                                   stride=2, padding=1, bias=False),
                nn.BatchNorm2d(num_feat_maps_gen),
                nn.LeakyReLU(inplace=True),
                nn.ConvTranspose2d(num_feat_maps_gen, color_channels, kernel_size=4,
                                   stride=2, padding=1, bias=False),
                nn.Tanh())
            self.discriminator = nn.Sequential(
                nn.Conv2d(color_channels, num_feat_maps_dis, kernel_size=4, stride=2,
                          padding=1),
                nn.LeakyReLU(inplace=True),
                nn.Conv2d(num_feat_maps_dis, num_feat_maps_dis*2, kernel_size=4, stride=2,
                          padding=1, bias=False),
                nn.BatchNorm2d(num_feat_maps_dis*2),
                nn.LeakyReLU(inplace=True),
                nn.Flatten(),
                nn.Linear(num_feat_maps_dis*2*7*7, 1))

        def generator_forward(self, z):
            return self.generator(z)

        def discriminator_forward(self, img):
            logits = self.discriminator(img)
            return logits

    with Out() as o:
        for wasserstein in (False, True):
            torch.manual_seed(0)
            model = DCGAN()
            model.apply(weights_init)
            o.print(model)
            if wasserstein:
                optim_gen = torch.optim.RMSprop(model.generator.parameters(), lr=5e-5)
                optim_discr = torch.optim.RMSprop(model.discriminator.parameters(), lr=5e-5)
            else:
                optim_gen = torch.optim.Adam(model.generator.parameters(), betas=(0.5, 0.999),
                                             lr=0.0002)
                optim_discr = torch.optim.Adam(model.discriminator.parameters(),
                                               betas=(0.5, 0.999), lr=0.0002)
            loss_fn = F.binary_cross_entropy_with_logits
            fixed_noise = torch.randn(4, LATENT, 1, 1)
            loader = _loader(torch)
            num_epochs = 1
            for epoch in range(num_epochs):
                model.train()
                for batch_idx, (features, _) in enumerate(loader):
                    batch_size = features.size(0)
                    real_images = features * 2. - 1.
                    real_labels = torch.ones(batch_size)
                    noise = torch.randn(batch_size, LATENT, 1, 1)
                    fake_images = model.generator_forward(noise)
                    fake_labels = torch.zeros(batch_size)
                    flipped_fake_labels = real_labels
                    optim_discr.zero_grad()
                    discr_pred_real = model.discriminator_forward(real_images).view(-1)
                    discr_pred_fake = model.discriminator_forward(fake_images.detach()).view(-1)
                    if wasserstein:
                        discr_loss = -torch.mean(discr_pred_real) + torch.mean(discr_pred_fake)
                    else:
                        real_loss = loss_fn(discr_pred_real, real_labels)
                        fake_loss = loss_fn(discr_pred_fake, fake_labels)
                        discr_loss = 0.5*(real_loss + fake_loss)
                    discr_loss.backward()
                    optim_discr.step()
                    if wasserstein:
                        for p in model.discriminator.parameters():
                            p.data.clamp_(-0.01, 0.01)
                    optim_gen.zero_grad()
                    discr_pred_fake = model.discriminator_forward(fake_images).view(-1)
                    if wasserstein:
                        gener_loss = -torch.mean(discr_pred_fake)
                    else:
                        gener_loss = loss_fn(discr_pred_fake, flipped_fake_labels)
                    gener_loss.backward()
                    optim_gen.step()
                    o.print('Epoch: %03d/%03d | Batch %03d/%03d | Gen/Dis Loss: %.4f/%.4f'
                            % (epoch+1, num_epochs, batch_idx, len(loader),
                               gener_loss.item(), discr_loss.item()))
            with torch.no_grad():
                fake_images = model.generator_forward(fixed_noise).detach()
            o.print(fake_images.shape)
            o.vals += [gener_loss, discr_loss, fake_images,
                       model.discriminator[0].weight, model.generator[1].running_var]
    return o.done()
