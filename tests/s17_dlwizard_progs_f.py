""""Deep Learning with PyTorch: Zero to GANs" notebooks 05 (CIFAR10 CNN), 05b (ResNet9,
fit_one_cycle: OneCycleLR, weight decay, gradient clipping) and 06b (anime DCGAN) as users
type them, on tiny random images in place of the torchvision datasets, a step or two, as
``prog(L) -> (printed, values)`` for tests/test_programs_s17_dlwizard.py."""

from s16_yunjey_progs import Out
from s17_dlwizard_progs_e import _base, _images


def gans_cifar_cnn(L):
    torch, nn = L, L.nn
    DataLoader = L.utils.data.DataLoader
    with Out() as o:
        torch.manual_seed(2)
        train_ds, val_ds = L.utils.data.random_split(_images(L, 12, 3, 8, 2), [8, 4])
        train_dl = DataLoader(train_ds, 4, shuffle=True)
        val_dl = DataLoader(val_ds, 4 * 2)
        _, Base, evaluate = _base(L)

        class Cifar10CnnModel(Base):
            def __init__(self):
                super().__init__()
                self.network = nn.Sequential(
                    nn.Conv2d(3, 8, kernel_size=3, padding=1),
                    nn.ReLU(),
                    nn.Conv2d(8, 16, kernel_size=3, stride=1, padding=1),
                    nn.ReLU(),
                    nn.MaxPool2d(2, 2),  # output: 16 x 4 x 4
                    nn.Conv2d(16, 16, kernel_size=3, stride=1, padding=1),
                    nn.ReLU(),
                    nn.MaxPool2d(2, 2),  # output: 16 x 2 x 2
                    nn.Flatten(),
                    nn.Linear(16 * 2 * 2, 32),
                    nn.ReLU(),
                    nn.Linear(32, 10))

            def forward(self, xb):
                return self.network(xb)

            def epoch_end(self, epoch, result):
                o.print("Epoch [{}], train_loss: {:.4f}, val_loss: {:.4f}, val_acc: {:.4f}"
                        .format(epoch, result['train_loss'], result['val_loss'],
                                result['val_acc']))

        model = Cifar10CnnModel()
        o.print(model)
        for images, labels in train_dl:
            o.print('images.shape:', images.shape)
            out = model(images)
            o.print('out.shape:', out.shape)
            o.print('out[0]:', out[0].shape)
            break
        simple_model = nn.Sequential(nn.Conv2d(3, 8, kernel_size=3, stride=1, padding=1),
                                     nn.MaxPool2d(2, 2))
        out = simple_model(images)
        o.print('out.shape:', out.shape)

        def fit(epochs, lr, model, train_loader, val_loader, opt_func=torch.optim.SGD):
            history = []
            optimizer = opt_func(model.parameters(), lr)
            for epoch in range(epochs):
                # Training Phase
                model.train()
                train_losses = []
                for batch in train_loader:
                    loss = model.training_step(batch)
                    train_losses.append(loss)
                    loss.backward()
                    optimizer.step()
                    optimizer.zero_grad()
                # Validation phase
                result = evaluate(model, val_loader)
                result['train_loss'] = torch.stack(train_losses).mean().item()
                model.epoch_end(epoch, result)
                history.append(result)
            return history

        o.print(sorted(evaluate(model, val_dl)))
        history = fit(2, 0.001, model, train_dl, val_dl, torch.optim.Adam)
        o.vals += [[x['train_loss'] for x in history], [x['val_loss'] for x in history]]
        o.vals += list(model.parameters())
    return o.done()


def gans_resnet9(L):
    torch, nn, F = L, L.nn, L.nn.functional
    DataLoader = L.utils.data.DataLoader
    with Out() as o:
        torch.manual_seed(3)
        stats = ((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010))
        ds = _images(L, 12, 3, 8, 3)
        mean = torch.tensor(stats[0]).view(1, 3, 1, 1)
        std = torch.tensor(stats[1]).view(1, 3, 1, 1)
        x, y = ds.tensors
        ds = L.utils.data.TensorDataset((x - mean) / std, y)  # tt.Normalize(*stats)
        train_ds, valid_ds = ds, L.utils.data.TensorDataset(*ds[:4])
        train_dl = DataLoader(train_ds, 4, shuffle=True, num_workers=0, pin_memory=True)
        valid_dl = DataLoader(valid_ds, 4 * 2, num_workers=0, pin_memory=True)
        _, Base, evaluate = _base(L)

        def conv_block(in_channels, out_channels, pool=False):
            layers = [nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1),
                      nn.BatchNorm2d(out_channels),
                      nn.ReLU(inplace=True)]
            if pool:
                layers.append(nn.MaxPool2d(2))
            return nn.Sequential(*layers)

        class ResNet9(Base):
            def __init__(self, in_channels, num_classes):
                super().__init__()
                self.conv1 = conv_block(in_channels, 4)
                self.conv2 = conv_block(4, 8, pool=True)
                self.res1 = nn.Sequential(conv_block(8, 8), conv_block(8, 8))
                self.conv3 = conv_block(8, 16, pool=True)
                self.conv4 = conv_block(16, 16, pool=True)
                self.res2 = nn.Sequential(conv_block(16, 16), conv_block(16, 16))
                self.classifier = nn.Sequential(nn.MaxPool2d(1),
                                                nn.Flatten(),
                                                nn.Dropout(0.2),
                                                nn.Linear(16, num_classes))

            def forward(self, xb):
                out = self.conv1(xb)
                out = self.conv2(out)
                out = self.res1(out) + out
                out = self.conv3(out)
                out = self.conv4(out)
                out = self.res2(out) + out
                out = self.classifier(out)
                return out

            def epoch_end(self, epoch, result):
                o.print("Epoch [{}], last_lr: {:.5f}, train_loss: {:.4f}, val_loss: {:.4f}, "
                        "val_acc: {:.4f}".format(epoch, result['lrs'][-1],
                                                 result['train_loss'], result['val_loss'],
                                                 result['val_acc']))

        model = ResNet9(3, 10)
        o.print(model)

        def get_lr(optimizer):
            for param_group in optimizer.param_groups:
                return param_group['lr']

        def fit_one_cycle(epochs, max_lr, model, train_loader, val_loader,
                          weight_decay=0, grad_clip=None, opt_func=torch.optim.SGD):
            history = []
            # Set up cutom optimizer with weight decay
            optimizer = opt_func(model.parameters(), max_lr, weight_decay=weight_decay)
            # Set up one-cycle learning rate scheduler
            sched = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr, epochs=epochs,
                                                        steps_per_epoch=len(train_loader))
            for epoch in range(epochs):
                # Training Phase
                model.train()
                train_losses = []
                lrs = []
                for batch in train_loader:
                    loss = model.training_step(batch)
                    train_losses.append(loss)
                    loss.backward()
                    # Gradient clipping
                    if grad_clip:
                        nn.utils.clip_grad_value_(model.parameters(), grad_clip)
                    optimizer.step()
                    optimizer.zero_grad()
                    # Record & update learning rate
                    lrs.append(get_lr(optimizer))
                    sched.step()
                # Validation phase
                result = evaluate(model, val_loader)
                result['train_loss'] = torch.stack(train_losses).mean().item()
                result['lrs'] = lrs
                model.epoch_end(epoch, result)
                history.append(result)
            return history

        history = [evaluate(model, valid_dl)]
        # SGD (fit's default) rather than the notebook's Adam: a conv bias before BatchNorm
        # has a gradient of exactly 0 mathematically, rounding noise (~1e-8) in both
        # libraries, which Adam's normalisation turns into +-lr steps; the schedule Adam
        # gets (lr and beta1 cycled by OneCycleLR) is compared below.
        history += fit_one_cycle(2, 0.01, model, train_dl, valid_dl, grad_clip=0.1,
                                 weight_decay=1e-4)
        opt = torch.optim.Adam(model.parameters(), 0.01, weight_decay=1e-4)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, 0.01, epochs=2, steps_per_epoch=3)
        for _ in range(6):
            opt.step()
            sched.step()
            o.print(get_lr(opt), opt.param_groups[0]['betas'], sched.get_last_lr())
        o.tryit(lambda: sched.step())
        lrs = [lr for x in history[1:] for lr in x.get('lrs', [])]
        o.print(['{:.6f}'.format(lr) for lr in lrs])
        o.vals += [lrs, [x['val_loss'] for x in history]]
        o.vals += list(model.state_dict().values())
    return o.done()


def gans_dcgan(L):
    torch, nn, F = L, L.nn, L.nn.functional
    with Out() as o:
        torch.manual_seed(4)
        image_size = 16
        batch_size = 4
        stats = (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)
        real = _images(L, 8, 3, image_size, 4).tensors[0] * 2 - 1  # Normalize(*stats)
        train_dl = L.utils.data.DataLoader(L.utils.data.TensorDataset(real), batch_size,
                                           shuffle=True)

        def denorm(img_tensors):
            return img_tensors * stats[1][0] + stats[0][0]

        discriminator = nn.Sequential(
            # in: 3 x 16 x 16
            nn.Conv2d(3, 8, kernel_size=4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(8),
            nn.LeakyReLU(0.2, inplace=True),
            # out: 8 x 8 x 8
            nn.Conv2d(8, 16, kernel_size=4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.LeakyReLU(0.2, inplace=True),
            # out: 16 x 4 x 4
            nn.Conv2d(16, 1, kernel_size=4, stride=1, padding=0, bias=False),
            # out: 1 x 1 x 1
            nn.Flatten(),
            nn.Sigmoid())
        latent_size = 8
        generator = nn.Sequential(
            # in: latent_size x 1 x 1
            nn.ConvTranspose2d(latent_size, 16, kernel_size=4, stride=1, padding=0, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(True),
            # out: 16 x 4 x 4
            nn.ConvTranspose2d(16, 8, kernel_size=4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(8),
            nn.ReLU(True),
            # out: 8 x 8 x 8
            nn.ConvTranspose2d(8, 3, kernel_size=4, stride=2, padding=1, bias=False),
            nn.Tanh()
            # out: 3 x 16 x 16
        )
        o.print(discriminator)
        o.print(generator)
        xb = torch.randn(batch_size, latent_size, 1, 1)  # random latent tensors
        fake_images = generator(xb)
        o.print(fake_images.shape)
        o.print(repr(denorm(fake_images).detach().clamp(0, 1).mean() > 0))

        def train_discriminator(real_images, opt_d):
            opt_d.zero_grad()
            real_preds = discriminator(real_images)
            real_targets = torch.ones(real_images.size(0), 1)
            real_loss = F.binary_cross_entropy(real_preds, real_targets)
            real_score = torch.mean(real_preds).item()
            latent = torch.randn(batch_size, latent_size, 1, 1)
            fake_images = generator(latent)
            fake_targets = torch.zeros(fake_images.size(0), 1)
            fake_preds = discriminator(fake_images)
            fake_loss = F.binary_cross_entropy(fake_preds, fake_targets)
            fake_score = torch.mean(fake_preds).item()
            loss = real_loss + fake_loss
            loss.backward()
            opt_d.step()
            return loss.item(), real_score, fake_score

        def train_generator(opt_g):
            opt_g.zero_grad()
            latent = torch.randn(batch_size, latent_size, 1, 1)
            fake_images = generator(latent)
            preds = discriminator(fake_images)
            targets = torch.ones(batch_size, 1)
            loss = F.binary_cross_entropy(preds, targets)
            loss.backward()
            opt_g.step()
            return loss.item()

        def fit(epochs, lr, start_idx=1):
            losses_g, losses_d, real_scores, fake_scores = [], [], [], []
            opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr, betas=(0.5, 0.999))
            opt_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=(0.5, 0.999))
            for epoch in range(epochs):
                for real_images, in train_dl:
                    loss_d, real_score, fake_score = train_discriminator(real_images, opt_d)
                    loss_g = train_generator(opt_g)
                losses_g.append(loss_g)
                losses_d.append(loss_d)
                real_scores.append(real_score)
                fake_scores.append(fake_score)
                o.print("Epoch [{}/{}], loss_g: {:.4f}, loss_d: {:.4f}, real_score: {:.4f}, "
                        "fake_score: {:.4f}".format(epoch + 1, epochs, loss_g, loss_d,
                                                    real_score, fake_score))
            return losses_g, losses_d, real_scores, fake_scores

        history = fit(2, 0.0002)
        o.vals += [list(h) for h in history]
        fixed_latent = torch.randn(4, latent_size, 1, 1)
        fake = generator(fixed_latent)
        o.print(fake.shape, fake.grad_fn.name())
        o.tryit(lambda: F.binary_cross_entropy(discriminator(real[:2]), torch.ones(2)))
        o.tryit(lambda: F.binary_cross_entropy(discriminator(real[:2]) * 2, torch.ones(2, 1)))
        o.vals += [fake] + list(generator.state_dict().values())
    return o.done()
