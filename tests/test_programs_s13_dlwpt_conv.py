"""Session 13, "Deep Learning with PyTorch" chapters 7-8 (birds vs airplanes convnets on
synthetic 3x32x32 images) and part 2 (LUNA-style 3D augmentation, blocks, dice loss), run on
ember and compared live with torch 2.13. Losses after training to a relative 1e-5:
convolutions' matrix products (BLAS) round differently in the last bit (README)."""

import math

import numpy as np
from torch_compare import run_both


# ---- chapters 7-8: birds vs airplanes on synthetic 3x32x32 images ---------------------------

def _nets(L):
    nn, F = L.nn, L.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 16, kernel_size=3, padding=1)
            self.conv2 = nn.Conv2d(16, 8, kernel_size=3, padding=1)
            self.fc1 = nn.Linear(8 * 8 * 8, 32)
            self.fc2 = nn.Linear(32, 2)

        def forward(self, x):
            out = F.max_pool2d(L.tanh(self.conv1(x)), 2)
            out = F.max_pool2d(L.tanh(self.conv2(out)), 2)
            out = out.view(-1, 8 * 8 * 8)
            return self.fc2(L.tanh(self.fc1(out)))

    class ResBlock(nn.Module):
        def __init__(self, n_chans):
            super().__init__()
            self.conv = nn.Conv2d(n_chans, n_chans, kernel_size=3, padding=1, bias=False)
            self.batch_norm = nn.BatchNorm2d(num_features=n_chans)
            L.nn.init.kaiming_normal_(self.conv.weight, nonlinearity="relu")
            L.nn.init.constant_(self.batch_norm.weight, 0.5)
            L.nn.init.zeros_(self.batch_norm.bias)

        def forward(self, x):
            return L.relu(self.batch_norm(self.conv(x))) + x

    class NetResDeep(nn.Module):
        def __init__(self, n_chans1=8, n_blocks=3):
            super().__init__()
            self.n_chans1 = n_chans1
            self.conv1 = nn.Conv2d(3, n_chans1, kernel_size=3, padding=1)
            self.resblocks = nn.Sequential(*(n_blocks * [ResBlock(n_chans=n_chans1)]))
            self.drop = nn.Dropout2d(p=0.4)
            self.fc1 = nn.Linear(8 * 8 * n_chans1, 32)
            self.fc2 = nn.Linear(32, 2)

        def forward(self, x):
            out = F.max_pool2d(L.relu(self.conv1(x)), 2)
            out = self.drop(self.resblocks(out))
            out = F.max_pool2d(out, 2).view(-1, 8 * 8 * self.n_chans1)
            return self.fc2(L.relu(self.fc1(out)))

    return Net, NetResDeep


def _cifar2(L, n=24):
    L.manual_seed(123)
    imgs, labels = L.randn(n, 3, 32, 32), L.randint(0, 2, (n,))
    return [(imgs[i], int(labels[i])) for i in range(n)]


def _birds(L):
    Net, NetResDeep = _nets(L)
    data = _cifar2(L)
    loader = L.utils.data.DataLoader(data, batch_size=8, shuffle=True,
                                     generator=L.Generator().manual_seed(1))
    order = [lab.tolist() for _, lab in loader]
    out = [order]
    for cls in (Net, NetResDeep):
        L.manual_seed(0)
        model = cls()
        out.append((sum(p.numel() for p in model.parameters()), repr(model)[:400]))
        out.append([p.detach().numpy().copy() for p in model.parameters()])
        opt = L.optim.SGD(model.parameters(), lr=1e-2)
        loss_fn = L.nn.CrossEntropyLoss()
        model.train()
        losses = []
        for imgs, labels in loader:
            loss = loss_fn(model(imgs), labels)
            l2 = sum(p.pow(2.0).sum() for p in model.parameters())
            loss = loss + 0.001 * l2
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        model.eval()
        with L.no_grad():
            outputs = model(L.stack([img for img, _ in data]))
            _, predicted = L.max(outputs, dim=1)
        out.append((losses, predicted.tolist(), model.training))
    bn = model.resblocks[0].batch_norm
    out.append([bn.running_mean.tolist(), bn.running_var.tolist(), bn.num_batches_tracked.item(),
                model.resblocks[0] is model.resblocks[2]])
    return out


def test_cifar_convnets_init_train_and_evaluate_as_pytorch():
    want, got = run_both(_birds)
    assert got[0] == want[0]  # the seeded shuffle: same batches
    for i in (1, 4):  # parameter counts, printed modules
        assert got[i] == want[i]
    for i in (2, 5):  # default and kaiming_normal_/constant_ init: bit for bit
        for g, w in zip(got[i], want[i]):
            np.testing.assert_array_equal(g, w)
    for i in (3, 6):
        np.testing.assert_allclose(got[i][0], want[i][0], rtol=1e-5)
        assert got[i][1:] == want[i][1:]
    np.testing.assert_allclose(got[7][0], want[7][0], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(got[7][1], want[7][1], rtol=1e-4)
    assert got[7][2:] == want[7][2:]


def test_softmax_logsoftmax_nll_and_accuracy_on_flat_images():
    def run(L):
        data = _cifar2(L, 8)
        L.manual_seed(0)
        model = L.nn.Sequential(L.nn.Linear(3072, 64), L.nn.Tanh(), L.nn.Linear(64, 2),
                                L.nn.LogSoftmax(dim=1))
        imgs = L.stack([img for img, _ in data])
        labels = L.tensor([lab for _, lab in data])
        out = model(imgs.view(imgs.shape[0], -1))
        loss = L.nn.NLLLoss()(out, labels)
        ce = L.nn.CrossEntropyLoss()(model[:3](imgs.view(8, -1)), labels)
        _, pred = L.max(out, dim=1)
        x = L.tensor([[1.0, 2.0, 3.0]])
        return [loss.item(), ce.item(), pred.tolist(), int((pred == labels).sum()),
                L.nn.Softmax(dim=1)(x).tolist(), (L.exp(x) / L.exp(x).sum()).tolist(),
                str(loss.grad_fn.name())]
    want, got = run_both(run)
    np.testing.assert_allclose(got[:2], want[:2], rtol=1e-6)
    assert got[2:] == want[2:]


# ---- part 2: LUNA-style 3D code -----------------------------------------------------------------

def _augment(L, ct):
    F = L.nn.functional
    transform = L.eye(4)
    for i, (flip, off, scale) in enumerate(((True, 0.3, -0.5), (False, -0.7, 0.2),
                                            (True, 0.1, 0.9))):
        if flip:
            transform[i, i] *= -1
        transform[i, 3] = 0.1 * off
        transform[i, i] *= 1.0 + 0.2 * scale
    a = 0.7 * math.pi * 2
    rot = L.tensor([[math.cos(a), -math.sin(a), 0, 0], [math.sin(a), math.cos(a), 0, 0],
                    [0, 0, 1, 0], [0, 0, 0, 1]])
    transform @= rot
    grid = F.affine_grid(transform[:3].unsqueeze(0).to(L.float32), ct.size(),
                         align_corners=False)
    return grid, F.grid_sample(ct, grid, padding_mode="border", align_corners=False)


def test_luna_augmentation_and_3d_blocks():
    def run(L):
        nn, F = L.nn, L.nn.functional
        L.manual_seed(0)
        ct = L.randn(1, 1, 6, 8, 8)
        grid, aug = _augment(L, ct)
        g = F.affine_grid(L.eye(4)[:3].unsqueeze(0), (1, 1, 2, 3, 4), align_corners=True)
        near = F.grid_sample(ct, g * 1.3, mode="nearest", align_corners=True)
        refl = F.grid_sample(ct, g * 1.3, padding_mode="reflection", align_corners=False)
        tri = F.interpolate(ct, scale_factor=2, mode="trilinear", align_corners=False)
        conv = nn.Conv3d(1, 4, kernel_size=3, padding=1)
        bn = nn.BatchNorm3d(4)
        block = nn.MaxPool3d(2, 2)(L.relu(bn(conv(ct))))
        return [x.detach().numpy().copy() for x in (grid, aug, near, refl, tri, block,
                                                    bn.running_mean, bn.running_var)]
    want, got = run_both(run)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_dice_loss_and_center_crop():
    def run(L):
        L.manual_seed(0)
        pred = L.sigmoid(L.randn(2, 1, 8, 8))
        lab = L.rand(2, 1, 8, 8) > 0.5

        def dice(p, t, eps=1):
            d_l, d_p = t.sum(dim=[1, 2, 3]), p.sum(dim=[1, 2, 3])
            corr = (p * t).sum(dim=[1, 2, 3])
            return 1 - (2 * corr + eps) / (d_p + d_l + eps)
        layer = L.randn(1, 2, 10, 10)
        crop = layer[:, :, 2:8, 2:8]
        return [dice(pred, lab).tolist(), dice(pred, lab.float()).tolist(),
                str(dice(pred, lab).dtype), tuple(crop.shape), crop.is_contiguous(),
                crop.storage_offset(), crop.stride()]
    want, got = run_both(run)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6)
    assert got[2:] == want[2:]
