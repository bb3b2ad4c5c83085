"""junyanz/pytorch-CycleGAN-and-pix2pix, models/networks.py's helpers as users drive them:
norm layers and init types through define_G / define_D, get_scheduler's lr policies stepped as
BaseModel.update_learning_rate steps them, GANLoss modes and cal_gradient_penalty in a WGAN-GP
discriminator step. See tests/s21_cyclegan_progs.py for the transcribed networks.py."""

import argparse

from s16_yunjey_progs import Out
from s21_cyclegan_progs import _img, networks


def norms_and_inits(L):
    """get_norm_layer's three kinds, init_net's four init types, define_G / define_D shapes."""
    N = networks(L)
    L.manual_seed(0)
    with Out() as o:
        for norm in ['batch', 'instance', 'none']:
            nl = N.get_norm_layer(norm)
            o.print(norm, nl(8))
        o.tryit(lambda: N.get_norm_layer('group'))
        x = _img(L, 2, 3, 16, 16, 1)
        for init_type in ['normal', 'xavier', 'kaiming', 'orthogonal']:
            net = N.define_G(3, 3, 4, 'resnet_6blocks', norm='instance', init_type=init_type, out=o.print)
            y = net(x)
            o.print(init_type, tuple(y.shape), y.dtype, '%.4f' % y.abs().mean().item())
            o.vals.append(net.model[1].weight)
            if init_type != 'kaiming':  # unit-gain weights through six blocks: both libraries
                o.vals.append(y)        # sit ~3e-6 off a float64 run, so printed to 4 places
        for norm in ['batch', 'none']:
            netG = N.define_G(3, 3, 4, 'resnet_9blocks', norm=norm, use_dropout=True, out=o.print)
            netG.eval()
            o.vals.append(netG(x))
            netG.train()  # the dropout masks come from the global generator
            o.vals.append(netG(x))
        for pad in ['replicate', 'zero']:
            g = N.ResnetGenerator(3, 3, 4, norm_layer=N.get_norm_layer('instance'), n_blocks=2, padding_type=pad)
            N.init_weights(g, 'normal', out=o.print)
            o.vals.append(g(x))
        o.tryit(lambda: N.ResnetBlock(4, 'circular', N.get_norm_layer('batch'), False, False))
        o.tryit(lambda: N.define_G(3, 3, 4, 'unet_64'))
        o.tryit(lambda: N.init_weights(N.PixelDiscriminator(3, 4), 'uniform', out=o.print))
        x32 = _img(L, 1, 3, 32, 32, 2)
        netU = N.define_G(3, 3, 4, 'unet_32', norm='batch', use_dropout=True, out=o.print)
        yu = netU(x32)
        o.print('unet', tuple(yu.shape), sum(p.numel() for p in netU.parameters()))
        o.vals.append(yu)
        for netD, inp in [('basic', x32), ('n_layers', x), ('pixel', x)]:
            D = N.define_D(3, 4, netD, n_layers_D=2, norm='instance', out=o.print)
            d = D(inp)
            o.print(netD, tuple(d.shape), d.requires_grad)
            o.vals.append(d)
        o.print(netU.model.model[1].model[2])
        o.print(netG.model[2], netG.model[1].bias)
    return o.done()


def schedulers(L):
    """get_scheduler for each lr_policy, stepped as BaseModel.update_learning_rate does."""
    N = networks(L)
    L.manual_seed(1)
    with Out() as o:
        for policy in ['linear', 'step', 'plateau', 'cosine', 'exp']:
            opt = argparse.Namespace(lr_policy=policy, epoch_count=1, n_epochs=3, n_epochs_decay=4,
                                     lr_decay_iters=2, lr=0.0002, beta1=0.5)
            net = L.nn.Conv2d(3, 4, 3)
            optimizer = L.optim.Adam(net.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))
            scheduler = N.get_scheduler(optimizer, opt)
            if not hasattr(scheduler, 'step'):
                o.print(policy, type(scheduler).__name__, scheduler.args)
                continue
            o.print(policy, type(scheduler).__name__)
            for epoch in range(opt.epoch_count, opt.n_epochs + opt.n_epochs_decay + 1):
                optimizer.zero_grad()
                net(L.ones(1, 3, 5, 5)).pow(2).mean().backward()
                optimizer.step()
                old_lr = optimizer.param_groups[0]['lr']
                if opt.lr_policy == 'plateau':
                    scheduler.step(1.0)
                else:
                    scheduler.step()
                lr = optimizer.param_groups[0]['lr']
                o.print('learning rate %.7f -> %.7f' % (old_lr, lr))
            o.print(scheduler.get_last_lr() if policy != 'plateau' else scheduler.num_bad_epochs)
            o.vals.append(net.weight)
    return o.done()


def gan_losses(L):
    """GANLoss in each mode on a PatchGAN output, its buffers, and cal_gradient_penalty."""
    N = networks(L)
    L.manual_seed(2)
    with Out() as o:
        device = L.device('cpu')
        netD = N.define_D(3, 4, 'n_layers', n_layers_D=2, norm='batch', out=o.print)
        real = _img(L, 2, 3, 16, 16, 3)
        fake = _img(L, 2, 3, 16, 16, 4)
        pred = netD(real)
        for mode in ['lsgan', 'vanilla', 'wgangp']:
            crit = N.GANLoss(mode).to(device)
            lr, lf = crit(pred, True), crit(pred, False)
            o.print(mode, '%.4f %.4f' % (lr.item(), lf.item()), lr.shape, lr.grad_fn is not None)
            o.vals += [lr, lf]
        o.print(list(crit.state_dict().keys()), crit.real_label, crit.fake_label.dtype)
        o.print(crit.get_target_tensor(pred, True).shape, crit.get_target_tensor(pred, True).stride())
        o.tryit(lambda: N.GANLoss('hinge'))
        for t in ['real', 'fake', 'mixed']:
            gp, grads = N.cal_gradient_penalty(netD, real, fake.detach(), device, type=t)
            o.print(t, '%.4f' % gp.item(), tuple(grads.shape), gp.requires_grad)
            o.vals += [gp, grads]
        o.tryit(lambda: N.cal_gradient_penalty(netD, real, fake, device, type='other'))
        o.print(N.cal_gradient_penalty(netD, real, fake, device, lambda_gp=0.0))
        opt_D = L.optim.Adam(netD.parameters(), lr=0.0002, betas=(0.5, 0.999))
        crit = N.GANLoss('wgangp')
        for it in range(2):
            opt_D.zero_grad()
            gp, _ = N.cal_gradient_penalty(netD, real, fake, device)
            loss_D = crit(netD(fake), False) + crit(netD(real), True) + gp
            loss_D.backward()
            opt_D.step()
            o.print('it %d loss_D %.4f gp %.4f' % (it, loss_D.item(), gp.item()))
            o.vals.append(loss_D)
        o.vals += [p for p in netD.parameters()]
    return o.done()
