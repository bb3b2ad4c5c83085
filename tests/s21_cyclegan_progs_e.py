"""junyanz/pytorch-CycleGAN-and-pix2pix as users copy it: util/util.py (tensor2im,
diagnose_network, print_numpy) on a generator's output and gradients, and the errors users
meet when image sizes or channel counts do not fit the networks (UNet skip concatenation,
reflect padding on tiny images, InstanceNorm2d / BatchNorm2d at 1x1, a pix2pix D fed one
image instead of the pair). See tests/s21_cyclegan_progs.py for networks.py."""

import numpy as np

from s16_yunjey_progs import Out
from s21_cyclegan_progs import _img, networks


def util_helpers(L, out):
    torch = L

    def tensor2im(input_image, imtype=np.uint8):
        if not isinstance(input_image, np.ndarray):
            if isinstance(input_image, torch.Tensor):
                image_tensor = input_image.data
            else:
                return input_image
            image_numpy = image_tensor[0].cpu().float().numpy()
            if image_numpy.shape[0] == 1:
                image_numpy = np.tile(image_numpy, (3, 1, 1))
            image_numpy = (np.transpose(image_numpy, (1, 2, 0)) + 1) / 2.0 * 255.0
        else:
            image_numpy = input_image
        return image_numpy.astype(imtype)

    def diagnose_network(net, name='network'):
        mean = 0.0
        count = 0
        for param in net.parameters():
            if param.grad is not None:
                mean += torch.mean(torch.abs(param.grad.data))
                count += 1
        if count > 0:
            mean = mean / count
        out(name)
        out(mean)

    def print_numpy(x, val=True, shp=False):
        x = x.astype(np.float64)
        if shp:
            out('shape,', x.shape)
        if val:
            x = x.flatten()
            out('mean = %3.3f, min = %3.3f, max = %3.3f, median = %3.3f, std=%3.3f' % (
                np.mean(x), np.min(x), np.max(x), np.median(x), np.std(x)))

    return tensor2im, diagnose_network, print_numpy


def util_and_visuals(L):
    """tensor2im on fake images (3- and 1-channel), diagnose_network after a backward."""
    L.manual_seed(3)
    with Out() as o:
        N = networks(L)
        tensor2im, diagnose_network, print_numpy = util_helpers(L, o.print)
        netG = N.define_G(3, 1, 4, 'resnet_6blocks', norm='instance', out=o.print)
        x = _img(L, 2, 3, 16, 16, 9)
        diagnose_network(netG, 'G before')
        y = netG(x)
        im = tensor2im(y)
        o.print(im.dtype, im.shape, int(im.min()), int(im.max()))
        print_numpy(im, shp=True)
        o.print(tensor2im(im) is im, tensor2im([1, 2]))
        im3 = tensor2im(x)
        o.print(im3.shape, im3[0, 0].tolist())
        y.mean().backward()
        diagnose_network(netG, 'G')
        o.vals += [y, im.astype(np.float32), im3.astype(np.float32)]
        o.vals += [p.grad for p in netG.parameters() if p.dim() > 1][:3]
    return o.done()


def size_errors(L):
    """What users hit first: the wrong size, the wrong channel count."""
    L.manual_seed(4)
    with Out() as o:
        N = networks(L)
        quiet = lambda *a: None  # noqa: E731
        netU = N.define_G(3, 3, 4, 'unet_32', norm='batch', out=quiet)
        o.tryit(lambda: netU(_img(L, 2, 3, 24, 24, 0)).shape)
        o.tryit(lambda: netU(_img(L, 1, 3, 32, 32, 0)).shape)
        o.tryit(lambda: netU(_img(L, 1, 3, 16, 16, 0)).shape)
        netU.eval()
        o.tryit(lambda: netU(_img(L, 1, 3, 32, 32, 0)).shape)
        netR = N.define_G(3, 3, 4, 'resnet_6blocks', norm='instance', out=quiet)
        o.tryit(lambda: netR(_img(L, 1, 3, 2, 2, 0)).shape)
        o.tryit(lambda: netR(_img(L, 1, 3, 3, 3, 0)).shape)
        o.tryit(lambda: netR(_img(L, 1, 3, 4, 4, 0)).shape)
        o.tryit(lambda: netR(_img(L, 1, 3, 18, 18, 0)).shape)
        o.tryit(lambda: netR(_img(L, 1, 1, 16, 16, 0)).shape)
        o.tryit(lambda: netR(_img(L, 3, 16, 16, 1, 0)[0]).shape)
        o.tryit(lambda: netR(_img(L, 1, 3, 16, 16, 0)[0]).shape)
        netD = N.define_D(6, 4, 'basic', norm='batch', out=quiet)
        o.tryit(lambda: netD(_img(L, 1, 3, 32, 32, 0)).shape)
        o.tryit(lambda: netD(_img(L, 1, 6, 16, 16, 0)).shape)
        o.tryit(lambda: netD(_img(L, 2, 6, 16, 16, 0)).shape)
        o.tryit(lambda: netD(_img(L, 2, 6, 32, 32, 0).double()).shape)
        crit = N.GANLoss('vanilla')
        pred = netD(_img(L, 2, 6, 32, 32, 0))
        o.tryit(lambda: round(crit(pred, True).item(), 4))
        o.tryit(lambda: round(N.GANLoss('lsgan')(pred, False).item(), 4))
        o.tryit(lambda: crit.get_target_tensor(pred.squeeze(), True).shape)
        o.tryit(lambda: L.tensor([1.0, 0.0]).expand_as(pred))
        o.tryit(lambda: round(L.nn.L1Loss()(pred, pred[:, :, :1]).item(), 4))
    return o.done()


def data_loader(L):
    """data/__init__.py's CustomDatasetDataLoader over unaligned_dataset.py's dicts (A fixed
    by index, B at random unless serial_batches), batched by the default collate."""
    import random
    torch = L
    random.seed(6)
    L.manual_seed(6)
    with Out() as o:
        class UnalignedDataset(torch.utils.data.Dataset):
            def __init__(self, opt):
                self.opt = opt
                g = np.random.default_rng(0)
                self.A_paths = ['trainA/%d.jpg' % i for i in range(5)]
                self.B_paths = ['trainB/%d.jpg' % i for i in range(3)]
                self.A_imgs = g.uniform(-1, 1, (5, 3, 8, 8)).astype(np.float32)
                self.B_imgs = g.uniform(-1, 1, (3, 3, 8, 8)).astype(np.float32)
                self.A_size = len(self.A_paths)
                self.B_size = len(self.B_paths)

            def __getitem__(self, index):
                A_path = self.A_paths[index % self.A_size]
                if self.opt.serial_batches:
                    index_B = index % self.B_size
                else:
                    index_B = random.randint(0, self.B_size - 1)
                B_path = self.B_paths[index_B]
                A = torch.from_numpy(self.A_imgs[index % self.A_size])
                B = torch.tensor(self.B_imgs[index_B])
                return {'A': A, 'B': B, 'A_paths': A_path, 'B_paths': B_path}

            def __len__(self):
                return max(self.A_size, self.B_size)

        class CustomDatasetDataLoader():
            def __init__(self, opt):
                self.opt = opt
                self.dataset = UnalignedDataset(opt)
                o.print("dataset [%s] was created" % type(self.dataset).__name__)
                self.dataloader = torch.utils.data.DataLoader(
                    self.dataset,
                    batch_size=opt.batch_size,
                    shuffle=not opt.serial_batches,
                    num_workers=int(opt.num_threads))

            def load_data(self):
                return self

            def __len__(self):
                return min(len(self.dataset), self.opt.max_dataset_size)

            def __iter__(self):
                for i, data in enumerate(self.dataloader):
                    if i * self.opt.batch_size >= self.opt.max_dataset_size:
                        break
                    yield data

        import argparse
        for serial in [True, False]:
            opt = argparse.Namespace(batch_size=2, serial_batches=serial, num_threads=0, max_dataset_size=float("inf"))
            dataset = CustomDatasetDataLoader(opt).load_data()
            o.print('The number of training images = %d' % len(dataset))
            for epoch in range(2):
                for i, data in enumerate(dataset):
                    o.print(epoch, i, data['A_paths'], data['B_paths'], tuple(data['A'].shape), data['B'].dtype)
                    o.vals += [data['A'], data['B']]
        opt.max_dataset_size = 2
        o.print(len(dataset), [d['A_paths'] for d in dataset])
    return o.done()
