"""sgrvinod/a-PyTorch-Tutorial-to-Super-Resolution (models.py, utils.py convert_image,
train_srresnet.py, train_srgan.py) and a-PyTorch-Tutorial-to-Transformers (model.py
MultiHeadAttention / PositionWiseFCNetwork / Encoder, utils.py get_positional_encoding, get_lr,
change_lr, LabelSmoothedCE) as users type them, scaled down (few channels and blocks, random
images / token ids), as ``prog(L) -> (printed, values)`` for tests/test_programs_s17_sgrvinod.py."""

import math

import numpy as np
from s16_yunjey_progs import Out
from s17_sgrvinod_progs_b import AverageMeter


def super_resolution(torch):
    nn = torch.nn
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    rgb_weights = torch.FloatTensor([65.481, 128.553, 24.966]).to(device)
    imagenet_mean = torch.FloatTensor([0.485, 0.456, 0.406]).unsqueeze(1).unsqueeze(2)
    imagenet_std = torch.FloatTensor([0.229, 0.224, 0.225]).unsqueeze(1).unsqueeze(2)
    imagenet_mean_cuda = torch.FloatTensor([0.485, 0.456, 0.406]).to(device).unsqueeze(0).unsqueeze(2).unsqueeze(3)
    imagenet_std_cuda = torch.FloatTensor([0.229, 0.224, 0.225]).to(device).unsqueeze(0).unsqueeze(2).unsqueeze(3)

    def convert_image(img, source, target):
        assert source in {'pil', '[0, 1]', '[-1, 1]'}
        assert target in {'pil', '[0, 255]', '[0, 1]', '[-1, 1]', 'imagenet-norm', 'y-channel'}
        if source == '[-1, 1]':
            img = (img + 1.) / 2.
        if target == '[0, 255]':
            img = 255. * img
        elif target == '[-1, 1]':
            img = 2. * img - 1.
        elif target == 'imagenet-norm':
            if img.ndimension() == 3:
                img = (img - imagenet_mean) / imagenet_std
            elif img.ndimension() == 4:
                img = (img - imagenet_mean_cuda) / imagenet_std_cuda
        elif target == 'y-channel':
            img = torch.matmul(255. * img.permute(0, 2, 3, 1)[:, 4:-4, 4:-4, :], rgb_weights) / 255. + 16.
        return img

    class ConvolutionalBlock(nn.Module):
        def __init__(self, in_channels, out_channels, kernel_size, stride=1, batch_norm=False, activation=None):
            super(ConvolutionalBlock, self).__init__()
            if activation is not None:
                activation = activation.lower()
                assert activation in {'prelu', 'leakyrelu', 'tanh'}
            layers = list()
            layers.append(nn.Conv2d(in_channels=in_channels, out_channels=out_channels, kernel_size=kernel_size,
                                    stride=stride, padding=kernel_size // 2))
            if batch_norm is True:
                layers.append(nn.BatchNorm2d(num_features=out_channels))
            if activation == 'prelu':
                layers.append(nn.PReLU())
            elif activation == 'leakyrelu':
                layers.append(nn.LeakyReLU(0.2))
            elif activation == 'tanh':
                layers.append(nn.Tanh())
            self.conv_block = nn.Sequential(*layers)

        def forward(self, input):
            return self.conv_block(input)

    class SubPixelConvolutionalBlock(nn.Module):
        def __init__(self, kernel_size=3, n_channels=64, scaling_factor=2):
            super(SubPixelConvolutionalBlock, self).__init__()
            self.conv = nn.Conv2d(in_channels=n_channels, out_channels=n_channels * (scaling_factor ** 2),
                                  kernel_size=kernel_size, padding=kernel_size // 2)
            self.pixel_shuffle = nn.PixelShuffle(upscale_factor=scaling_factor)
            self.prelu = nn.PReLU()

        def forward(self, input):
            output = self.conv(input)
            output = self.pixel_shuffle(output)
            output = self.prelu(output)
            return output

    class ResidualBlock(nn.Module):
        def __init__(self, kernel_size=3, n_channels=64):
            super(ResidualBlock, self).__init__()
            self.conv_block1 = ConvolutionalBlock(n_channels, n_channels, kernel_size, batch_norm=True,
                                                  activation='PReLu')
            self.conv_block2 = ConvolutionalBlock(n_channels, n_channels, kernel_size, batch_norm=True,
                                                  activation=None)

        def forward(self, input):
            residual = input
            output = self.conv_block1(input)
            output = self.conv_block2(output)
            output = output + residual
            return output

    class SRResNet(nn.Module):
        def __init__(self, large_kernel_size=9, small_kernel_size=3, n_channels=64, n_blocks=16,
                     scaling_factor=4):
            super(SRResNet, self).__init__()
            scaling_factor = int(scaling_factor)
            assert scaling_factor in {2, 4, 8}
            self.conv_block1 = ConvolutionalBlock(3, n_channels, large_kernel_size, batch_norm=False,
                                                  activation='PReLu')
            self.residual_blocks = nn.Sequential(
                *[ResidualBlock(kernel_size=small_kernel_size, n_channels=n_channels) for i in range(n_blocks)])
            self.conv_block2 = ConvolutionalBlock(n_channels, n_channels, small_kernel_size, batch_norm=True,
                                                  activation=None)
            n_subpixel_convolution_blocks = int(math.log2(scaling_factor))
            self.subpixel_convolutional_blocks = nn.Sequential(
                *[SubPixelConvolutionalBlock(kernel_size=small_kernel_size, n_channels=n_channels,
                                             scaling_factor=2) for i in range(n_subpixel_convolution_blocks)])
            self.conv_block3 = ConvolutionalBlock(n_channels, 3, large_kernel_size, batch_norm=False,
                                                  activation='Tanh')

        def forward(self, lr_imgs):
            output = self.conv_block1(lr_imgs)
            residual = output
            output = self.residual_blocks(output)
            output = self.conv_block2(output)
            output = output + residual
            output = self.subpixel_convolutional_blocks(output)
            sr_imgs = self.conv_block3(output)
            return sr_imgs

    class Generator(nn.Module):
        def __init__(self, large_kernel_size=9, small_kernel_size=3, n_channels=64, n_blocks=16,
                     scaling_factor=4):
            super(Generator, self).__init__()
            self.net = SRResNet(large_kernel_size=large_kernel_size, small_kernel_size=small_kernel_size,
                                n_channels=n_channels, n_blocks=n_blocks, scaling_factor=scaling_factor)

        def initialize_with_srresnet(self, srresnet):
            self.net.load_state_dict(srresnet.state_dict())

        def forward(self, lr_imgs):
            return self.net(lr_imgs)

    class Discriminator(nn.Module):
        def __init__(self, kernel_size=3, n_channels=64, n_blocks=8, fc_size=1024):
            super(Discriminator, self).__init__()
            in_channels = 3
            conv_blocks = list()
            for i in range(n_blocks):
                out_channels = (n_channels if i == 0 else in_channels * 2) if i % 2 == 0 else in_channels
                conv_blocks.append(ConvolutionalBlock(in_channels=in_channels, out_channels=out_channels,
                                                      kernel_size=kernel_size, stride=1 if i % 2 == 0 else 2,
                                                      batch_norm=i != 0, activation='LeakyReLu'))
                in_channels = out_channels
            self.conv_blocks = nn.Sequential(*conv_blocks)
            self.adaptive_pool = nn.AdaptiveAvgPool2d((6, 6))
            self.fc1 = nn.Linear(out_channels * 6 * 6, fc_size)
            self.leaky_relu = nn.LeakyReLU(0.2)
            self.fc2 = nn.Linear(1024, 1)

        def forward(self, imgs):
            batch_size = imgs.size(0)
            output = self.conv_blocks(imgs)
            output = self.adaptive_pool(output)
            output = self.fc1(output.view(batch_size, -1))
            output = self.leaky_relu(output)
            logit = self.fc2(output)
            return logit

    class TruncatedVGG19(nn.Module):
        """Stand-in: a few conv / pool layers in the same Sequential shape."""

        def __init__(self):
            super(TruncatedVGG19, self).__init__()
            self.truncated_vgg19 = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(inplace=True),
                                                 nn.MaxPool2d(kernel_size=2, stride=2),
                                                 nn.Conv2d(4, 4, 3, padding=1))

        def forward(self, input):
            return self.truncated_vgg19(input)

    def clip_gradient(optimizer, grad_clip):
        for group in optimizer.param_groups:
            for param in group['params']:
                if param.grad is not None:
                    param.grad.data.clamp_(-grad_clip, grad_clip)

    with Out() as o:
        torch.manual_seed(0)
        rng = np.random.default_rng(2)

        def batch():
            hr = rng.random((2, 3, 16, 16), dtype=np.float32)
            lr_ = hr.reshape(2, 3, 8, 2, 8, 2).mean(axis=(3, 5))
            lr_imgs = convert_image(torch.from_numpy(lr_), source='[0, 1]', target='imagenet-norm')
            return lr_imgs, torch.from_numpy(hr) * 2. - 1.

        # train_srresnet.py
        model = SRResNet(large_kernel_size=9, small_kernel_size=3, n_channels=4, n_blocks=2, scaling_factor=2)
        optimizer = torch.optim.Adam(params=filter(lambda p: p.requires_grad, model.parameters()), lr=1e-4)
        criterion = nn.MSELoss().to(device)
        o.print(model.subpixel_convolutional_blocks, model.residual_blocks[0])
        losses = AverageMeter()
        for i in range(2):
            lr_imgs, hr_imgs = batch()
            sr_imgs = model(lr_imgs)
            loss = criterion(sr_imgs, hr_imgs)
            optimizer.zero_grad()
            loss.backward()
            clip_gradient(optimizer, 0.5)
            optimizer.step()
            losses.update(loss.item(), lr_imgs.size(0))
            o.print('Epoch: [{0}][{1}/{2}]----Loss {loss.val:.4f} ({loss.avg:.4f})'.format(0, i, 2, loss=losses))
        o.vals += [sr_imgs.detach(), model.conv_block1.conv_block[1].weight]
        y_sr = convert_image(sr_imgs.detach(), source='[-1, 1]', target='y-channel').squeeze(0)
        y_hr = convert_image(hr_imgs, source='[-1, 1]', target='y-channel').squeeze(0)
        o.print(y_sr.shape, y_sr.dtype)
        o.vals += [y_sr, y_hr, convert_image(sr_imgs[0].detach(), '[-1, 1]', 'imagenet-norm'),
                   convert_image(sr_imgs.detach(), '[-1, 1]', '[0, 255]')]
        # train_srgan.py
        generator = Generator(large_kernel_size=9, small_kernel_size=3, n_channels=4, n_blocks=2, scaling_factor=2)
        generator.initialize_with_srresnet(srresnet=model)
        optimizer_g = torch.optim.Adam(params=filter(lambda p: p.requires_grad, generator.parameters()), lr=1e-4)
        discriminator = Discriminator(kernel_size=3, n_channels=4, n_blocks=4, fc_size=1024)
        optimizer_d = torch.optim.Adam(params=filter(lambda p: p.requires_grad, discriminator.parameters()), lr=1e-4)
        truncated_vgg19 = TruncatedVGG19()
        truncated_vgg19.eval()
        content_loss_criterion = nn.MSELoss()
        adversarial_loss_criterion = nn.BCEWithLogitsLoss()
        o.print(discriminator)
        beta = 1e-3
        generator.train()
        discriminator.train()
        for i in range(2):
            lr_imgs, hr_imgs = batch()
            hr_imgs = convert_image(hr_imgs, source='[-1, 1]', target='imagenet-norm')
            sr_imgs = generator(lr_imgs)
            sr_imgs = convert_image(sr_imgs, source='[-1, 1]', target='imagenet-norm')
            sr_imgs_in_vgg_space = truncated_vgg19(sr_imgs)
            hr_imgs_in_vgg_space = truncated_vgg19(hr_imgs).detach()
            sr_discriminated = discriminator(sr_imgs)
            content_loss = content_loss_criterion(sr_imgs_in_vgg_space, hr_imgs_in_vgg_space)
            adversarial_loss = adversarial_loss_criterion(sr_discriminated, torch.ones_like(sr_discriminated))
            perceptual_loss = content_loss + beta * adversarial_loss
            optimizer_g.zero_grad()
            perceptual_loss.backward()
            optimizer_g.step()
            hr_discriminated = discriminator(hr_imgs)
            sr_discriminated = discriminator(sr_imgs.detach())
            adversarial_loss = adversarial_loss_criterion(sr_discriminated, torch.zeros_like(sr_discriminated)) + \
                adversarial_loss_criterion(hr_discriminated, torch.ones_like(hr_discriminated))
            optimizer_d.zero_grad()
            adversarial_loss.backward()
            optimizer_d.step()
            o.print('Epoch: [{0}][{1}/{2}]----Cont. Loss {3:.4f}----Adv. Loss {4:.4f}----Disc. Loss {5:.4f}'.format(
                0, i, 2, content_loss.item(), perceptual_loss.item() - content_loss.item(), adversarial_loss.item()))
            o.vals += [content_loss.detach(), adversarial_loss.detach(), hr_discriminated.detach()]
        o.vals += [discriminator.fc1.weight.grad, generator.net.conv_block3.conv_block[0].weight]
    return o.done()


def get_positional_encoding(torch, d_model, max_length=100):
    positional_encoding = torch.zeros((max_length, d_model))
    for i in range(max_length):
        for j in range(d_model):
            if j % 2 == 0:
                positional_encoding[i, j] = math.sin(i / math.pow(10000, j / d_model))
            else:
                positional_encoding[i, j] = math.cos(i / math.pow(10000, (j - 1) / d_model))
    positional_encoding = positional_encoding.unsqueeze(0)
    return positional_encoding
