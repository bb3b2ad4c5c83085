"""junyanz/pytorch-CycleGAN-and-pix2pix as users copy it: models/base_model.py (setup,
set_requires_grad, update_learning_rate, get_current_losses / visuals, print_networks,
save_networks / load_networks with __patch_instance_norm_state_dict), util/image_pool.py
ImagePool and models/cycle_gan_model.py (set_input / forward / backward_D_basic / backward_G
/ optimize_parameters), driven by train.py's loop on random 3x16x16 images (batch 2, ngf/ndf
4). See tests/s21_cyclegan_progs.py for the transcribed networks.py."""

import argparse
import itertools
import os
import random
import tempfile
from collections import OrderedDict

from s16_yunjey_progs import Out
from s21_cyclegan_progs import _img, networks


def base_classes(L, out):
    """util/image_pool.py and models/base_model.py; ``out`` stands for print."""
    torch = L

    class ImagePool():
        def __init__(self, pool_size):
            self.pool_size = pool_size
            if self.pool_size > 0:
                self.num_imgs = 0
                self.images = []

        def query(self, images):
            if self.pool_size == 0:
                return images
            return_images = []
            for image in images:
                image = torch.unsqueeze(image.data, 0)
                if self.num_imgs < self.pool_size:
                    self.num_imgs = self.num_imgs + 1
                    self.images.append(image)
                    return_images.append(image)
                else:
                    p = random.uniform(0, 1)
                    if p > 0.5:
                        random_id = random.randint(0, self.pool_size - 1)
                        tmp = self.images[random_id].clone()
                        self.images[random_id] = image
                        return_images.append(tmp)
                    else:
                        return_images.append(image)
            return_images = torch.cat(return_images, 0)
            return return_images

    class BaseModel():
        def __init__(self, opt):
            self.opt = opt
            self.gpu_ids = opt.gpu_ids
            self.isTrain = opt.isTrain
            self.device = torch.device('cuda:{}'.format(self.gpu_ids[0])) if self.gpu_ids else torch.device('cpu')
            self.save_dir = os.path.join(opt.checkpoints_dir, opt.name)
            if opt.preprocess != 'scale_width':
                torch.backends.cudnn.benchmark = True
            self.loss_names = []
            self.model_names = []
            self.visual_names = []
            self.optimizers = []
            self.image_paths = []
            self.metric = 0

        def setup(self, opt):
            if self.isTrain:
                self.schedulers = [self.networks.get_scheduler(optimizer, opt) for optimizer in self.optimizers]
            if not self.isTrain or opt.continue_train:
                load_suffix = 'iter_%d' % opt.load_iter if opt.load_iter > 0 else opt.epoch
                self.load_networks(load_suffix)
            self.print_networks(opt.verbose)

        def eval(self):
            for name in self.model_names:
                if isinstance(name, str):
                    net = getattr(self, 'net' + name)
                    net.eval()

        def test(self):
            with torch.no_grad():
                self.forward()
                self.compute_visuals()

        def compute_visuals(self):
            pass

        def get_image_paths(self):
            return self.image_paths

        def update_learning_rate(self):
            old_lr = self.optimizers[0].param_groups[0]['lr']
            for scheduler in self.schedulers:
                if self.opt.lr_policy == 'plateau':
                    scheduler.step(self.metric)
                else:
                    scheduler.step()
            lr = self.optimizers[0].param_groups[0]['lr']
            out('learning rate %.7f -> %.7f' % (old_lr, lr))

        def get_current_visuals(self):
            visual_ret = OrderedDict()
            for name in self.visual_names:
                if isinstance(name, str):
                    visual_ret[name] = getattr(self, name)
            return visual_ret

        def get_current_losses(self):
            errors_ret = OrderedDict()
            for name in self.loss_names:
                if isinstance(name, str):
                    errors_ret[name] = float(getattr(self, 'loss_' + name))
            return errors_ret

        def save_networks(self, epoch):
            for name in self.model_names:
                if isinstance(name, str):
                    save_filename = '%s_net_%s.pth' % (epoch, name)
                    save_path = os.path.join(self.save_dir, save_filename)
                    net = getattr(self, 'net' + name)
                    if len(self.gpu_ids) > 0 and torch.cuda.is_available():
                        torch.save(net.module.cpu().state_dict(), save_path)
                        net.cuda(self.gpu_ids[0])
                    else:
                        torch.save(net.cpu().state_dict(), save_path)

        def __patch_instance_norm_state_dict(self, state_dict, module, keys, i=0):
            key = keys[i]
            if i + 1 == len(keys):
                if module.__class__.__name__.startswith('InstanceNorm') and \
                        (key == 'running_mean' or key == 'running_var'):
                    if getattr(module, key) is None:
                        state_dict.pop('.'.join(keys))
                if module.__class__.__name__.startswith('InstanceNorm') and \
                   (key == 'num_batches_tracked'):
                    state_dict.pop('.'.join(keys))
            else:
                self.__patch_instance_norm_state_dict(state_dict, getattr(module, key), keys, i + 1)

        def load_networks(self, epoch):
            for name in self.model_names:
                if isinstance(name, str):
                    load_filename = '%s_net_%s.pth' % (epoch, name)
                    load_path = os.path.join(self.save_dir, load_filename)
                    net = getattr(self, 'net' + name)
                    if isinstance(net, torch.nn.DataParallel):
                        net = net.module
                    out('loading the model from %s' % load_filename)
                    state_dict = torch.load(load_path, map_location=str(self.device))
                    if hasattr(state_dict, '_metadata'):
                        del state_dict._metadata
                    for key in list(state_dict.keys()):
                        self.__patch_instance_norm_state_dict(state_dict, net, key.split('.'))
                    net.load_state_dict(state_dict)

        def print_networks(self, verbose):
            out('---------- Networks initialized -------------')
            for name in self.model_names:
                if isinstance(name, str):
                    net = getattr(self, 'net' + name)
                    num_params = 0
                    for param in net.parameters():
                        num_params += param.numel()
                    if verbose:
                        out(net)
                    out('[Network %s] Total number of parameters : %.3f M' % (name, num_params / 1e6))
            out('-----------------------------------------------')

        def set_requires_grad(self, nets, requires_grad=False):
            if not isinstance(nets, list):
                nets = [nets]
            for net in nets:
                if net is not None:
                    for param in net.parameters():
                        param.requires_grad = requires_grad

    return ImagePool, BaseModel


def cycle_gan_model(L, out):
    """models/cycle_gan_model.py."""
    torch = L
    networks_ = networks(L)
    ImagePool, BaseModel = base_classes(L, out)

    class CycleGANModel(BaseModel):
        networks = networks_

        def __init__(self, opt):
            BaseModel.__init__(self, opt)
            networks = self.networks
            self.loss_names = ['D_A', 'G_A', 'cycle_A', 'idt_A', 'D_B', 'G_B', 'cycle_B', 'idt_B']
            visual_names_A = ['real_A', 'fake_B', 'rec_A']
            visual_names_B = ['real_B', 'fake_A', 'rec_B']
            if self.isTrain and self.opt.lambda_identity > 0.0:
                visual_names_A.append('idt_B')
                visual_names_B.append('idt_A')
            self.visual_names = visual_names_A + visual_names_B
            if self.isTrain:
                self.model_names = ['G_A', 'G_B', 'D_A', 'D_B']
            else:
                self.model_names = ['G_A', 'G_B']
            self.netG_A = networks.define_G(opt.input_nc, opt.output_nc, opt.ngf, opt.netG, opt.norm,
                                            not opt.no_dropout, opt.init_type, opt.init_gain, self.gpu_ids, out=out)
            self.netG_B = networks.define_G(opt.output_nc, opt.input_nc, opt.ngf, opt.netG, opt.norm,
                                            not opt.no_dropout, opt.init_type, opt.init_gain, self.gpu_ids, out=out)
            if self.isTrain:
                self.netD_A = networks.define_D(opt.output_nc, opt.ndf, opt.netD,
                                                opt.n_layers_D, opt.norm, opt.init_type, opt.init_gain, self.gpu_ids, out=out)
                self.netD_B = networks.define_D(opt.input_nc, opt.ndf, opt.netD,
                                                opt.n_layers_D, opt.norm, opt.init_type, opt.init_gain, self.gpu_ids, out=out)
            if self.isTrain:
                if opt.lambda_identity > 0.0:
                    assert(opt.input_nc == opt.output_nc)
                self.fake_A_pool = ImagePool(opt.pool_size)
                self.fake_B_pool = ImagePool(opt.pool_size)
                self.criterionGAN = networks.GANLoss(opt.gan_mode).to(self.device)
                self.criterionCycle = torch.nn.L1Loss()
                self.criterionIdt = torch.nn.L1Loss()
                self.optimizer_G = torch.optim.Adam(itertools.chain(self.netG_A.parameters(), self.netG_B.parameters()), lr=opt.lr, betas=(opt.beta1, 0.999))
                self.optimizer_D = torch.optim.Adam(itertools.chain(self.netD_A.parameters(), self.netD_B.parameters()), lr=opt.lr, betas=(opt.beta1, 0.999))
                self.optimizers.append(self.optimizer_G)
                self.optimizers.append(self.optimizer_D)

        def set_input(self, input):
            AtoB = self.opt.direction == 'AtoB'
            self.real_A = input['A' if AtoB else 'B'].to(self.device)
            self.real_B = input['B' if AtoB else 'A'].to(self.device)
            self.image_paths = input['A_paths' if AtoB else 'B_paths']

        def forward(self):
            self.fake_B = self.netG_A(self.real_A)
            self.rec_A = self.netG_B(self.fake_B)
            self.fake_A = self.netG_B(self.real_B)
            self.rec_B = self.netG_A(self.fake_A)

        def backward_D_basic(self, netD, real, fake):
            pred_real = netD(real)
            loss_D_real = self.criterionGAN(pred_real, True)
            pred_fake = netD(fake.detach())
            loss_D_fake = self.criterionGAN(pred_fake, False)
            loss_D = (loss_D_real + loss_D_fake) * 0.5
            loss_D.backward()
            return loss_D

        def backward_D_A(self):
            fake_B = self.fake_B_pool.query(self.fake_B)
            self.loss_D_A = self.backward_D_basic(self.netD_A, self.real_B, fake_B)

        def backward_D_B(self):
            fake_A = self.fake_A_pool.query(self.fake_A)
            self.loss_D_B = self.backward_D_basic(self.netD_B, self.real_A, fake_A)

        def backward_G(self):
            lambda_idt = self.opt.lambda_identity
            lambda_A = self.opt.lambda_A
            lambda_B = self.opt.lambda_B
            if lambda_idt > 0:
                self.idt_A = self.netG_A(self.real_B)
                self.loss_idt_A = self.criterionIdt(self.idt_A, self.real_B) * lambda_B * lambda_idt
                self.idt_B = self.netG_B(self.real_A)
                self.loss_idt_B = self.criterionIdt(self.idt_B, self.real_A) * lambda_A * lambda_idt
            else:
                self.loss_idt_A = 0
                self.loss_idt_B = 0
            self.loss_G_A = self.criterionGAN(self.netD_A(self.fake_B), True)
            self.loss_G_B = self.criterionGAN(self.netD_B(self.fake_A), True)
            self.loss_cycle_A = self.criterionCycle(self.rec_A, self.real_A) * lambda_A
            self.loss_cycle_B = self.criterionCycle(self.rec_B, self.real_B) * lambda_B
            self.loss_G = self.loss_G_A + self.loss_G_B + self.loss_cycle_A + self.loss_cycle_B + self.loss_idt_A + self.loss_idt_B
            self.loss_G.backward()

        def optimize_parameters(self):
            self.forward()
            self.set_requires_grad([self.netD_A, self.netD_B], False)
            self.optimizer_G.zero_grad()
            self.backward_G()
            self.optimizer_G.step()
            self.set_requires_grad([self.netD_A, self.netD_B], True)
            self.optimizer_D.zero_grad()
            self.backward_D_A()
            self.backward_D_B()
            self.optimizer_D.step()

    return CycleGANModel


def options(**kw):
    """The options train.py parses, at their defaults (sizes shrunk)."""
    d = dict(gpu_ids=[], isTrain=True, checkpoints_dir=tempfile.mkdtemp(), name='exp', preprocess='resize_and_crop',
             input_nc=3, output_nc=3, ngf=4, ndf=4, netG='resnet_9blocks', netD='n_layers', n_layers_D=2,
             norm='instance', no_dropout=True, init_type='normal', init_gain=0.02, direction='AtoB',
             lambda_identity=0.5, lambda_A=10.0, lambda_B=10.0, pool_size=50, gan_mode='lsgan', lr=0.0002,
             beta1=0.5, lr_policy='linear', epoch_count=1, n_epochs=1, n_epochs_decay=1, lr_decay_iters=50,
             continue_train=False, load_iter=0, epoch='latest', verbose=False, lambda_L1=100.0, batch_size=2)
    d.update(kw)
    return argparse.Namespace(**d)


def dataset(L, n, bs, seed, size=16):
    """unaligned_dataset's dicts, batched as the DataLoader batches them."""
    for i in range(n):
        yield {'A': _img(L, bs, 3, size, size, seed + 2 * i), 'B': _img(L, bs, 3, size, size, seed + 2 * i + 1),
               'A_paths': ['trainA/%d.jpg' % (bs * i + j) for j in range(bs)],
               'B_paths': ['trainB/%d.jpg' % (bs * i + j) for j in range(bs)]}


def _cyclegan_run(L, n_epochs, n_decay, n_batches, visual_vals=True, **kw):
    """train.py with model=cycle_gan: setup, update_learning_rate each epoch, optimize_parameters,
    print_current_losses' message; then eval() / test() and the visuals."""
    random.seed(0)
    L.manual_seed(0)
    with Out() as o:
        opt = options(pool_size=1, n_epochs=n_epochs, n_epochs_decay=n_decay, **kw)
        model = cycle_gan_model(L, o.print)(opt)
        model.setup(opt)
        total_iters = 0
        for epoch in range(opt.epoch_count, opt.n_epochs + opt.n_epochs_decay + 1):
            model.update_learning_rate()
            for i, data in enumerate(dataset(L, n_batches, opt.batch_size, 10 * epoch)):
                total_iters += opt.batch_size
                model.set_input(data)
                model.optimize_parameters()
                losses = model.get_current_losses()
                message = '(epoch: %d, iters: %d) ' % (epoch, total_iters)
                for k, v in losses.items():
                    message += '%s: %.3f ' % (k, v)
                o.print(message)
                o.vals += [model.loss_G, model.loss_D_A, model.loss_D_B]
        o.print(model.get_image_paths(), [p.requires_grad for p in model.netD_A.parameters()][:2])
        model.eval()
        model.test()
        for label, im in model.get_current_visuals().items():
            o.print(label, tuple(im.shape), im.requires_grad, im.grad_fn is None)
            if visual_vals:
                o.vals.append(im)
        o.vals += [p for n, p in model.netD_B.named_parameters() if visual_vals or 'weight' in n]
        if visual_vals:
            o.vals += list(model.netG_A.parameters())[:4]
    return o.done()


def cyclegan_train(L):
    """--norm batch, four iterations (BatchNorm layers' convs carry no bias)."""
    return _cyclegan_run(L, 1, 1, 2, norm='batch', verbose=True)


def cyclegan_instance(L):
    """The default --norm instance for one iteration. Its convs keep a bias in front of an
    affine-free InstanceNorm2d: that bias's gradient is zero up to rounding, so Adam's first
    step (about lr * sign(grad)) moves it by +-lr on the sign of rounding noise in either
    library; longer runs drift apart the same way between two PyTorch builds. Two generators
    in a row at init_gain 0.02 leave both libraries ~4e-6 off a float64 run in rec_A / rec_B,
    so the visuals are compared by shape (the losses and D's weights by value)."""
    return _cyclegan_run(L, 1, 0, 1, visual_vals=False, netG='resnet_6blocks', lr_policy='step')


def image_pool(L):
    """ImagePool.query as backward_D_A calls it: filling, then swapping at random."""
    random.seed(5)
    with Out() as o:
        ImagePool, _ = base_classes(L, o.print)
        for size in [0, 3]:
            pool = ImagePool(size)
            for step in range(4):
                fake = _img(L, 2, 3, 4, 4, step).requires_grad_()
                got = pool.query(fake * 2)
                o.print(size, step, tuple(got.shape), got.requires_grad, got.is_leaf)
                o.vals.append(got)
            if size:
                o.print(pool.num_imgs, [tuple(im.shape) for im in pool.images])
    return o.done()
