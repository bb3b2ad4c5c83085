"""Vision models beyond plain CNN classifiers (see s20_vision2_progs.py). This file:
milesial/Pytorch-UNet: unet/unet_parts.py (DoubleConv, Down, Up with F.pad to match sizes,
OutConv), unet/unet_model.py (UNet), utils/dice_score.py (dice_coeff, multiclass_dice_coeff,
dice_loss), train.py's step (CrossEntropyLoss + dice_loss of softmax against one_hot +
permute, BCEWithLogitsLoss for one class, RMSprop, ReduceLROnPlateau, GradScaler, autocast,
clip_grad_norm_) and evaluate.py, on 3x20x20 / 3x18x22 images with narrow channels."""

import numpy as np
from s16_yunjey_progs import Out


def _unet(L, tensor_pad=False):
    """unet_parts.py and unet_model.py; ``tensor_pad``: the earlier Up.forward that measured
    the size differences as torch.tensor([...]) and padded by those one-element tensors."""
    torch, nn, F = L, L.nn, L.nn.functional

    class DoubleConv(nn.Module):
        """(convolution => [BN] => ReLU) * 2"""

        def __init__(self, in_channels, out_channels, mid_channels=None):
            super().__init__()
            if not mid_channels:
                mid_channels = out_channels
            self.double_conv = nn.Sequential(
                nn.Conv2d(in_channels, mid_channels, kernel_size=3, padding=1, bias=False),
                nn.BatchNorm2d(mid_channels),
                nn.ReLU(inplace=True),
                nn.Conv2d(mid_channels, out_channels, kernel_size=3, padding=1, bias=False),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(inplace=True)
            )

        def forward(self, x):
            return self.double_conv(x)

    class Down(nn.Module):
        """Downscaling with maxpool then double conv"""

        def __init__(self, in_channels, out_channels):
            super().__init__()
            self.maxpool_conv = nn.Sequential(
                nn.MaxPool2d(2),
                DoubleConv(in_channels, out_channels)
            )

        def forward(self, x):
            return self.maxpool_conv(x)

    class Up(nn.Module):
        """Upscaling then double conv"""

        def __init__(self, in_channels, out_channels, bilinear=True):
            super().__init__()

            # if bilinear, use the normal convolutions to reduce the number of channels
            if bilinear:
                self.up = nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True)
                self.conv = DoubleConv(in_channels, out_channels, in_channels // 2)
            else:
                self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2)
                self.conv = DoubleConv(in_channels, out_channels)

        def forward(self, x1, x2):
            x1 = self.up(x1)
            # input is CHW
            if tensor_pad:
                diffY = torch.tensor([x2.size()[2] - x1.size()[2]])
                diffX = torch.tensor([x2.size()[3] - x1.size()[3]])
            else:
                diffY = x2.size()[2] - x1.size()[2]
                diffX = x2.size()[3] - x1.size()[3]

            x1 = F.pad(x1, [diffX // 2, diffX - diffX // 2,
                            diffY // 2, diffY - diffY // 2])
            x = torch.cat([x2, x1], dim=1)
            return self.conv(x)

    class OutConv(nn.Module):
        def __init__(self, in_channels, out_channels):
            super(OutConv, self).__init__()
            self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=1)

        def forward(self, x):
            return self.conv(x)

    class UNet(nn.Module):
        def __init__(self, n_channels, n_classes, bilinear=False):
            super(UNet, self).__init__()
            self.n_channels = n_channels
            self.n_classes = n_classes
            self.bilinear = bilinear

            self.inc = (DoubleConv(n_channels, 4))
            self.down1 = (Down(4, 8))
            self.down2 = (Down(8, 16))
            factor = 2 if bilinear else 1
            self.down3 = (Down(16, 32 // factor))
            self.up1 = (Up(32, 16 // factor, bilinear))
            self.up2 = (Up(16, 8 // factor, bilinear))
            self.up3 = (Up(8, 4, bilinear))
            self.outc = (OutConv(4, n_classes))

        def forward(self, x):
            x1 = self.inc(x)
            x2 = self.down1(x1)
            x3 = self.down2(x2)
            x4 = self.down3(x3)
            x = self.up1(x4, x3)
            x = self.up2(x, x2)
            x = self.up3(x, x1)
            logits = self.outc(x)
            return logits

        def use_checkpointing(self):
            self.inc = torch.utils.checkpoint(self.inc)

    return UNet, Up


def _dice(L):
    """utils/dice_score.py (the sum_dim / torch.where version)."""
    torch = L
    Tensor = L.Tensor

    def dice_coeff(input: Tensor, target: Tensor, reduce_batch_first: bool = False, epsilon: float = 1e-6):
        # Average of Dice coefficient for all batches, or for a single mask
        assert input.size() == target.size()
        assert input.dim() == 3 or not reduce_batch_first

        sum_dim = (-1, -2) if input.dim() == 2 or not reduce_batch_first else (-1, -2, -3)

        inter = 2 * (input * target).sum(dim=sum_dim)
        sets_sum = input.sum(dim=sum_dim) + target.sum(dim=sum_dim)
        sets_sum = torch.where(sets_sum == 0, inter, sets_sum)

        dice = (inter + epsilon) / (sets_sum + epsilon)
        return dice.mean()

    def multiclass_dice_coeff(input: Tensor, target: Tensor, reduce_batch_first: bool = False,
                              epsilon: float = 1e-6):
        # Average of Dice coefficient for all classes
        return dice_coeff(input.flatten(0, 1), target.flatten(0, 1), reduce_batch_first, epsilon)

    def dice_loss(input: Tensor, target: Tensor, multiclass: bool = False):
        # Dice loss (objective to minimize) between 0 and 1
        fn = multiclass_dice_coeff if multiclass else dice_coeff
        return 1 - fn(input, target, reduce_batch_first=True)

    return dice_coeff, multiclass_dice_coeff, dice_loss


def unet_shapes(L):
    """UNet with transposed convolutions and with bilinear upsampling on odd sizes (F.pad
    makes up the row / column lost by pooling), the earlier Up that padded by one-element
    tensors, and the model's repr."""
    torch = L
    with Out() as o:
        L.manual_seed(0)
        UNet, Up = _unet(L)
        x = torch.randn(2, 3, 18, 22)
        for bilinear in (False, True):
            net = UNet(n_channels=3, n_classes=2, bilinear=bilinear)
            y = net(x)
            o.print(bilinear, y.shape, sum(p.numel() for p in net.parameters()))
            net.eval()
            with torch.no_grad():
                o.vals.append(net(x))
        o.print(net)
        UNet, Up = _unet(L, tensor_pad=True)
        up = Up(8, 4, bilinear=False)
        o.tryit(lambda: up(torch.randn(1, 8, 4, 5), torch.randn(1, 4, 9, 11)).shape)
        up = Up(8, 4, bilinear=True)
        o.tryit(lambda: up(torch.randn(1, 4, 4, 5), torch.randn(1, 4, 9, 11)).shape)
        F = L.nn.functional
        t = torch.arange(6.).view(1, 1, 2, 3)
        o.print(F.pad(t, [1, 0, 0, 1]))
        o.print(F.pad(t, [torch.tensor(1), 0, 0, torch.tensor([2])]))
        o.print(F.pad(t, (-1, 1)))
        o.tryit(lambda: F.pad(t, [1.5, 0]))
        o.tryit(lambda: F.pad(t, [1, 0, 2]))
        o.tryit(lambda: F.pad(t, [torch.tensor([1, 2]), 0]))
    return o.done()


def unet_dice(L):
    """dice_score.py on hand-made masks and on softmax / one_hot predictions: dice_coeff
    with and without reduce_batch_first, empty masks (torch.where), multiclass_dice_coeff,
    dice_loss and the assertion on a 2-d input."""
    torch, F = L, L.nn.functional
    with Out() as o:
        L.manual_seed(1)
        dice_coeff, multiclass_dice_coeff, dice_loss = _dice(L)
        logits = torch.randn(2, 3, 5, 6, requires_grad=True)
        true_masks = torch.randint(0, 3, (2, 5, 6))
        onehot = F.one_hot(true_masks, 3).permute(0, 3, 1, 2).float()
        o.print(onehot.shape, onehot.dtype, onehot.is_contiguous())
        loss = dice_loss(F.softmax(logits, dim=1).float(), onehot, multiclass=True)
        loss.backward()
        o.print('%.4f' % loss.item())
        o.vals += [loss, logits.grad]
        pred = F.one_hot(logits.argmax(dim=1), 3).permute(0, 3, 1, 2).float()
        d = multiclass_dice_coeff(pred[:, 1:], onehot[:, 1:], reduce_batch_first=False)
        o.print('%.4f' % d.item(), d.dtype, d.shape)
        z = torch.zeros(2, 4, 4)
        o.print(dice_coeff(z, z), dice_coeff(z, z, reduce_batch_first=True))
        m = (torch.rand(2, 4, 4) > 0.5).float()
        o.print(dice_coeff(m, m), dice_coeff(m[0], 1 - m[0]))
        o.vals += [dice_coeff(torch.sigmoid(torch.randn(2, 4, 4)), m, reduce_batch_first=True)]
        try:
            dice_coeff(m[0], m[0], reduce_batch_first=True)
        except AssertionError:
            o.print('AssertionError: 2-d input with reduce_batch_first')
        o.tryit(lambda: F.one_hot(true_masks.float(), 3))
        o.tryit(lambda: F.one_hot(true_masks, 2))
        o.tryit(lambda: F.one_hot(true_masks - 1))
    return o.done()


def unet_train(L):
    """train.py's loop: RMSprop(weight_decay, momentum, foreach=True), ReduceLROnPlateau('max'),
    torch.amp.GradScaler(enabled=False), torch.autocast('cpu', enabled=False), the loss of
    CrossEntropyLoss plus the multiclass dice_loss (BCEWithLogitsLoss plus the binary one for
    n_classes == 1), clip_grad_norm_, then evaluate.py's dice score on the argmax's one_hot."""
    torch, nn, F, optim = L, L.nn, L.nn.functional, L.optim
    with Out() as o:
        L.manual_seed(2)
        UNet, _ = _unet(L)
        dice_coeff, multiclass_dice_coeff, dice_loss = _dice(L)
        rng = np.random.RandomState(2)
        for n_classes in (3, 1):
            model = UNet(n_channels=3, n_classes=n_classes, bilinear=False)
            optimizer = optim.RMSprop(model.parameters(), lr=1e-5, weight_decay=1e-8,
                                      momentum=0.999, foreach=True)
            scheduler = optim.lr_scheduler.ReduceLROnPlateau(optimizer, 'max', patience=5)
            grad_scaler = torch.amp.GradScaler(enabled=False)
            criterion = nn.CrossEntropyLoss() if model.n_classes > 1 else nn.BCEWithLogitsLoss()
            global_step = 0
            for step in range(2):
                images = torch.from_numpy(rng.rand(2, 3, 16, 16).astype(np.float32))
                true_masks = torch.from_numpy(rng.randint(0, max(n_classes, 2), (2, 16, 16)))
                images = images.to(device='cpu', dtype=torch.float32,
                                   memory_format=torch.channels_last)
                true_masks = true_masks.to(device='cpu', dtype=torch.long)
                with torch.autocast('cpu', enabled=False):
                    masks_pred = model(images)
                    if model.n_classes == 1:
                        loss = criterion(masks_pred.squeeze(1), true_masks.float())
                        loss += dice_loss(F.sigmoid(masks_pred.squeeze(1)), true_masks.float(),
                                          multiclass=False)
                    else:
                        loss = criterion(masks_pred, true_masks)
                        loss += dice_loss(
                            F.softmax(masks_pred, dim=1).float(),
                            F.one_hot(true_masks, model.n_classes).permute(0, 3, 1, 2).float(),
                            multiclass=True
                        )
                optimizer.zero_grad(set_to_none=True)
                grad_scaler.scale(loss).backward()
                grad_scaler.unscale_(optimizer)
                total = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                grad_scaler.step(optimizer)
                grad_scaler.update()
                global_step += 1
                o.print(f'step {global_step} loss {loss.item():.4f} norm {total.item():.3f}')
                o.vals += [loss]
            model.eval()
            dice_score = 0
            with torch.autocast('cpu', enabled=False):
                mask_pred = model(images)
                o.vals.append(mask_pred)
                if model.n_classes == 1:
                    mask_pred = (F.sigmoid(mask_pred) > 0.5).float()
                    dice_score += dice_coeff(mask_pred.squeeze(1), true_masks.float(),
                                             reduce_batch_first=False)
                else:
                    mask_true = F.one_hot(true_masks, model.n_classes).permute(0, 3, 1, 2).float()
                    mask_pred = F.one_hot(mask_pred.argmax(dim=1), model.n_classes).permute(0, 3, 1, 2).float()
                    dice_score += multiclass_dice_coeff(mask_pred[:, 1:], mask_true[:, 1:],
                                                        reduce_batch_first=False)
            val_score = dice_score / max(1, 1)
            scheduler.step(val_score)
            o.print('Validation Dice score: {:.4f}'.format(val_score), type(val_score).__name__,
                    optimizer.param_groups[0]['lr'])
            o.vals.append(val_score)
    return o.done()
