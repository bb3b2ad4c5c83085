"""junyanz/pytorch-CycleGAN-and-pix2pix as users copy it: models/pix2pix_model.py (UNet
generator, conditional PatchGAN on torch.cat((real_A, fake_B), 1), vanilla GANLoss + L1,
optimize_parameters with set_requires_grad), BaseModel.save_networks / load_networks
(continue_train, and an old checkpoint whose InstanceNorm2d kept running stats, patched by
__patch_instance_norm_state_dict), test.py's eval() / test() loop. 3x32x32 images, ngf/ndf 4.
See tests/s21_cyclegan_progs.py and _c.py for networks.py, base_model.py."""

import functools
import os
import random

from s16_yunjey_progs import Out
from s21_cyclegan_progs import networks
from s21_cyclegan_progs_c import base_classes, dataset, options


def pix2pix_model(L, out):
    """models/pix2pix_model.py."""
    torch = L
    networks_ = networks(L)
    _, BaseModel = base_classes(L, out)

    class Pix2PixModel(BaseModel):
        networks = networks_

        def __init__(self, opt):
            BaseModel.__init__(self, opt)
            networks = self.networks
            self.loss_names = ['G_GAN', 'G_L1', 'D_real', 'D_fake']
            self.visual_names = ['real_A', 'fake_B', 'real_B']
            if self.isTrain:
                self.model_names = ['G', 'D']
            else:
                self.model_names = ['G']
            self.netG = networks.define_G(opt.input_nc, opt.output_nc, opt.ngf, opt.netG, opt.norm,
                                          not opt.no_dropout, opt.init_type, opt.init_gain, self.gpu_ids, out=out)
            if self.isTrain:
                self.netD = networks.define_D(opt.input_nc + opt.output_nc, opt.ndf, opt.netD,
                                              opt.n_layers_D, opt.norm, opt.init_type, opt.init_gain, self.gpu_ids, out=out)
            if self.isTrain:
                self.criterionGAN = networks.GANLoss(opt.gan_mode).to(self.device)
                self.criterionL1 = torch.nn.L1Loss()
                self.optimizer_G = torch.optim.Adam(self.netG.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))
                self.optimizer_D = torch.optim.Adam(self.netD.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))
                self.optimizers.append(self.optimizer_G)
                self.optimizers.append(self.optimizer_D)

        def set_input(self, input):
            AtoB = self.opt.direction == 'AtoB'
            self.real_A = input['A' if AtoB else 'B'].to(self.device)
            self.real_B = input['B' if AtoB else 'A'].to(self.device)
            self.image_paths = input['A_paths' if AtoB else 'B_paths']

        def forward(self):
            self.fake_B = self.netG(self.real_A)

        def backward_D(self):
            fake_AB = torch.cat((self.real_A, self.fake_B), 1)
            pred_fake = self.netD(fake_AB.detach())
            self.loss_D_fake = self.criterionGAN(pred_fake, False)
            real_AB = torch.cat((self.real_A, self.real_B), 1)
            pred_real = self.netD(real_AB)
            self.loss_D_real = self.criterionGAN(pred_real, True)
            self.loss_D = (self.loss_D_fake + self.loss_D_real) * 0.5
            self.loss_D.backward()

        def backward_G(self):
            fake_AB = torch.cat((self.real_A, self.fake_B), 1)
            pred_fake = self.netD(fake_AB)
            self.loss_G_GAN = self.criterionGAN(pred_fake, True)
            self.loss_G_L1 = self.criterionL1(self.fake_B, self.real_B) * self.opt.lambda_L1
            self.loss_G = self.loss_G_GAN + self.loss_G_L1
            self.loss_G.backward()

        def optimize_parameters(self):
            self.forward()
            self.set_requires_grad(self.netD, True)
            self.optimizer_D.zero_grad()
            self.backward_D()
            self.optimizer_D.step()
            self.set_requires_grad(self.netD, False)
            self.optimizer_G.zero_grad()
            self.backward_G()
            self.optimizer_G.step()

    return Pix2PixModel


def _p2p_options(**kw):
    return options(**dict(dict(netG='unet_32', norm='batch', gan_mode='vanilla', pool_size=0, no_dropout=False,
                               netD='basic', batch_size=1, n_epochs=1, n_epochs_decay=1), **kw))


def pix2pix_train(L):
    """train.py with model=pix2pix, then save_networks('latest') and test.py (eval, test)."""
    random.seed(1)
    L.manual_seed(1)
    with Out() as o:
        opt = _p2p_options()
        Model = pix2pix_model(L, o.print)
        model = Model(opt)
        model.setup(opt)
        for epoch in range(opt.epoch_count, opt.n_epochs + opt.n_epochs_decay + 1):
            model.update_learning_rate()
            for i, data in enumerate(dataset(L, 2, opt.batch_size, epoch, size=32)):
                model.set_input(data)
                model.optimize_parameters()
                o.print(' '.join('%s: %.3f' % kv for kv in model.get_current_losses().items()))
                o.vals += [model.loss_G, model.loss_D, model.fake_B]
        o.print([p.requires_grad for p in model.netD.parameters()][:3], model.netD.training)
        os.makedirs(model.save_dir, exist_ok=True)
        model.save_networks('latest')
        model.save_networks(epoch)
        o.print(sorted(os.listdir(model.save_dir)), next(model.netG.parameters()).device)
        # test.py: a fresh model in test mode loads 'latest', then eval() and test()
        topt = _p2p_options(isTrain=False, checkpoints_dir=opt.checkpoints_dir, verbose=True)
        tmodel = Model(topt)
        tmodel.setup(topt)
        tmodel.eval()
        for i, data in enumerate(dataset(L, 1, 1, 7, size=32)):
            tmodel.set_input(data)
            tmodel.test()
            visuals = tmodel.get_current_visuals()
            o.print(i, tmodel.get_image_paths(), {k: tuple(v.shape) for k, v in visuals.items()})
            o.vals.append(visuals['fake_B'])
        same = [L.equal(a, b) for a, b in zip(model.netG.state_dict().values(), tmodel.netG.state_dict().values())]
        o.print(all(same), len(same), tmodel.netG.model.model[1].model[2].running_mean.tolist() ==
                model.netG.model.model[1].model[2].running_mean.tolist())
    return o.done()


def old_checkpoint(L):
    """load_networks on a checkpoint saved when get_norm_layer('instance') tracked running
    stats: __patch_instance_norm_state_dict drops the InstanceNorm2d buffers the new net lacks;
    loading without the patch fails as PyTorch words it."""
    L.manual_seed(2)
    with Out() as o:
        N = networks(L)
        opt = options(netG='resnet_6blocks', continue_train=True, epoch='5', verbose=False)
        old_norm = functools.partial(L.nn.InstanceNorm2d, affine=False, track_running_stats=True)
        old = N.ResnetGenerator(3, 3, 4, norm_layer=old_norm, n_blocks=2)
        old(L.randn(1, 3, 16, 16))
        sd = old.state_dict()
        o.print(len(sd), [k for k in sd if 'model.2.' in k], hasattr(sd, '_metadata'), sd._metadata[''])
        o.print(sd['model.2.num_batches_tracked'], sd['model.2.running_var'].shape)
        os.makedirs(os.path.join(opt.checkpoints_dir, opt.name), exist_ok=True)
        path = os.path.join(opt.checkpoints_dir, opt.name, '5_net_G.pth')
        L.save(sd, path)
        new = N.ResnetGenerator(3, 3, 4, norm_layer=N.get_norm_layer('instance'), n_blocks=2)
        o.tryit(lambda: new.load_state_dict(L.load(path)))
        res = new.load_state_dict(L.load(path), strict=False)
        o.print(len(res.unexpected_keys), res.unexpected_keys[:3], res.missing_keys)
        _, BaseModel = base_classes(L, o.print)

        class OneG(BaseModel):
            def __init__(self, opt):
                BaseModel.__init__(self, opt)
                self.model_names = ['G']
                self.netG = N.ResnetGenerator(3, 3, 4, norm_layer=N.get_norm_layer('instance'), n_blocks=2)
                self.optimizers = [L.optim.Adam(self.netG.parameters(), lr=opt.lr)]
                self.networks = N

        model = OneG(opt)
        model.setup(opt)
        x = L.randn(1, 3, 16, 16)
        old.eval()
        model.netG.eval()
        y_new, y_old = model.netG(x), old(x)
        o.print(tuple(y_new.shape), model.netG.model[2])
        o.vals += [y_new, y_old, model.netG.model[1].weight]  # y_old: eval on running stats
        with L.no_grad():
            old.train()
            o.vals.append(old(x))
    return o.done()


def older_networks(L):
    """The 2018 networks.py users still copy: GANLoss(use_lsgan=False) = BCELoss on a
    Sigmoid-ended NLayerDiscriminator, get_norm_layer('instance') with running stats, and the
    ResnetGenerator variant upsampling with nn.Upsample(bilinear, align_corners=True) +
    ReflectionPad2d(1) + Conv2d in place of ConvTranspose2d; one Adam step each."""
    torch, nn = L, L.nn
    L.manual_seed(5)
    N = networks(L)
    with Out() as o:
        class GANLoss(nn.Module):
            def __init__(self, use_lsgan=True, target_real_label=1.0, target_fake_label=0.0):
                super(GANLoss, self).__init__()
                self.register_buffer('real_label', torch.tensor(target_real_label))
                self.register_buffer('fake_label', torch.tensor(target_fake_label))
                if use_lsgan:
                    self.loss = nn.MSELoss()
                else:
                    self.loss = nn.BCELoss()

            def get_target_tensor(self, input, target_is_real):
                if target_is_real:
                    target_tensor = self.real_label
                else:
                    target_tensor = self.fake_label
                return target_tensor.expand_as(input)

            def __call__(self, input, target_is_real):
                target_tensor = self.get_target_tensor(input, target_is_real)
                return self.loss(input, target_tensor)

        norm_layer = functools.partial(nn.InstanceNorm2d, affine=False, track_running_stats=True)
        ngf, model = 4, []
        model += [nn.ReflectionPad2d(3), nn.Conv2d(3, ngf, kernel_size=7, padding=0, bias=True), norm_layer(ngf), nn.ReLU(True)]
        for i in range(2):
            mult = 2 ** i
            model += [nn.Conv2d(ngf * mult, ngf * mult * 2, kernel_size=3, stride=2, padding=1, bias=True),
                      norm_layer(ngf * mult * 2), nn.ReLU(True)]
        model += [N.ResnetBlock(ngf * 4, padding_type='reflect', norm_layer=norm_layer, use_dropout=False, use_bias=True)]
        for i in range(2):
            mult = 2 ** (2 - i)
            model += [nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True),
                      nn.ReflectionPad2d(1),
                      nn.Conv2d(ngf * mult, int(ngf * mult / 2), kernel_size=3, stride=1, padding=0)]
            model += [norm_layer(int(ngf * mult / 2)), nn.ReLU(True)]
        model += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, kernel_size=7, padding=0), nn.Tanh()]
        netG = nn.Sequential(*model)
        netD = nn.Sequential(*list(N.NLayerDiscriminator(3, 4, n_layers=2, norm_layer=nn.BatchNorm2d).model), nn.Sigmoid())
        for net in (netG, netD):
            N.init_weights(net, 'xavier', out=o.print)
        crit = GANLoss(use_lsgan=False)
        optG = L.optim.Adam(netG.parameters(), lr=0.0002, betas=(0.5, 0.999))
        optD = L.optim.Adam(netD.parameters(), lr=0.0002, betas=(0.5, 0.999))
        real_A, real_B = L.rand(2, 3, 16, 16) * 2 - 1, L.rand(2, 3, 16, 16) * 2 - 1
        fake_B = netG(real_A)
        optG.zero_grad()
        loss_G = crit(netD(fake_B), True) + nn.L1Loss()(fake_B, real_B) * 10.0
        loss_G.backward()
        optG.step()
        optD.zero_grad()
        loss_D = (crit(netD(real_B), True) + crit(netD(fake_B.detach()), False)) * 0.5
        loss_D.backward()
        optD.step()
        o.print('loss_G %.4f loss_D %.4f' % (loss_G.item(), loss_D.item()), crit.real_label)
        inorm = netG[2]
        o.print(inorm, inorm.num_batches_tracked, inorm.running_mean.shape)
        o.vals += [loss_G, loss_D, fake_B, inorm.running_mean, inorm.running_var, netG[1].weight.grad,
                   netG[18].weight.grad, netD[0].weight.grad]
        netG.eval()
        with L.no_grad():
            o.vals.append(netG(real_A))
        o.tryit(lambda: crit(netD(fake_B.detach()) * 2, True).item())
    return o.done()
