"""rosinality/stylegan2-pytorch train.py's loop (see tests/s22_vis2_progs_b.py for model.py):
requires_grad toggling, make_noise / mixing_noise, d_logistic_loss, d_r1_loss and
g_path_regularize (autograd.grad with create_graph=True, then backward through the
gradient), g_nonsaturating_loss, Adam with the lazy-regularisation betas, accumulate (EMA
with the deprecated add_(number, tensor) overload), g_ema sampling under no_grad with
truncation, and the upfirdn2d / ModulatedConv2d pieces checked alone."""

import math
import random

from s16_yunjey_progs import Out
from s22_vis2_progs_b import stylegan_modules


def requires_grad(model, flag=True):
    for p in model.parameters():
        p.requires_grad = flag


def accumulate(model1, model2, decay=0.999):
    par1 = dict(model1.named_parameters())
    par2 = dict(model2.named_parameters())
    for k in par1.keys():
        par1[k].data.mul_(decay).add_(1 - decay, par2[k].data)


def losses(L):
    torch, F, autograd = L, L.nn.functional, L.autograd

    def d_logistic_loss(real_pred, fake_pred):
        real_loss = F.softplus(-real_pred)
        fake_loss = F.softplus(fake_pred)
        return real_loss.mean() + fake_loss.mean()

    def d_r1_loss(real_pred, real_img):
        grad_real, = autograd.grad(outputs=real_pred.sum(), inputs=real_img, create_graph=True)
        return grad_real.pow(2).reshape(grad_real.shape[0], -1).sum(1).mean()

    def g_nonsaturating_loss(fake_pred):
        return F.softplus(-fake_pred).mean()

    def g_path_regularize(fake_img, latents, mean_path_length, decay=0.01):
        noise = torch.randn_like(fake_img) / math.sqrt(fake_img.shape[2] * fake_img.shape[3])
        grad, = autograd.grad(outputs=(fake_img * noise).sum(), inputs=latents, create_graph=True)
        path_lengths = torch.sqrt(grad.pow(2).sum(2).mean(1))
        path_mean = mean_path_length + decay * (path_lengths.mean() - mean_path_length)
        path_penalty = (path_lengths - path_mean).pow(2).mean()
        return path_penalty, path_mean.detach(), path_lengths

    def make_noise(batch, latent_dim, n_noise, device):
        if n_noise == 1:
            return torch.randn(batch, latent_dim, device=device)
        return torch.randn(n_noise, batch, latent_dim, device=device).unbind(0)

    def mixing_noise(batch, latent_dim, prob, device):
        if prob > 0 and random.random() < prob:
            return make_noise(batch, latent_dim, 2, device)
        return [make_noise(batch, latent_dim, 1, device)]

    return d_logistic_loss, d_r1_loss, g_nonsaturating_loss, g_path_regularize, mixing_noise


class Args:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def stylegan_train(L):
    """train.py's loop for three iterations (d_reg_every 2, g_reg_every 2, mixing 0.9)."""
    torch, optim = L, L.optim
    M = stylegan_modules(L)
    d_logistic_loss, d_r1_loss, g_nonsat, g_path_reg, mixing_noise = losses(L)
    o = Out()
    with o:
        torch.manual_seed(0)
        random.seed(0)
        device = "cpu"
        args = Args(size=16, latent=8, n_mlp=2, channel_multiplier=2, batch=2, r1=10,
                    path_regularize=2, path_batch_shrink=2, d_reg_every=2, g_reg_every=2,
                    mixing=0.9, lr=0.002, iter=3)
        generator = M["Generator"](args.size, args.latent, args.n_mlp, channel_multiplier=args.channel_multiplier).to(device)
        discriminator = M["Discriminator"](args.size, channel_multiplier=args.channel_multiplier).to(device)
        g_ema = M["Generator"](args.size, args.latent, args.n_mlp, channel_multiplier=args.channel_multiplier).to(device)
        g_ema.eval()
        accumulate(g_ema, generator, 0)
        o.print(generator.convs[0])
        o.print(discriminator.convs[1])
        o.print(sum(p.numel() for p in generator.parameters()), sum(p.numel() for p in discriminator.parameters()))
        g_reg_ratio = args.g_reg_every / (args.g_reg_every + 1)
        d_reg_ratio = args.d_reg_every / (args.d_reg_every + 1)
        g_optim = optim.Adam(generator.parameters(), lr=args.lr * g_reg_ratio,
                             betas=(0 ** g_reg_ratio, 0.99 ** g_reg_ratio))
        d_optim = optim.Adam(discriminator.parameters(), lr=args.lr * d_reg_ratio,
                             betas=(0 ** d_reg_ratio, 0.99 ** d_reg_ratio))
        o.print(g_optim.param_groups[0]["betas"], d_optim.defaults["lr"])
        g = torch.Generator().manual_seed(5)
        mean_path_length = 0
        r1_loss = torch.tensor(0.0, device=device)
        path_loss = torch.tensor(0.0, device=device)
        loss_dict = {}
        sample_z = torch.randn(4, args.latent, device=device)
        for i in range(args.iter):
            real_img = torch.rand(args.batch, 3, args.size, args.size, generator=g) * 2 - 1
            requires_grad(generator, False)
            requires_grad(discriminator, True)
            noise = mixing_noise(args.batch, args.latent, args.mixing, device)
            fake_img, _ = generator(noise)
            fake_pred = discriminator(fake_img)
            real_pred = discriminator(real_img)
            d_loss = d_logistic_loss(real_pred, fake_pred)
            loss_dict["d"] = d_loss
            loss_dict["real_score"] = real_pred.mean()
            loss_dict["fake_score"] = fake_pred.mean()
            discriminator.zero_grad()
            d_loss.backward()
            d_optim.step()
            d_regularize = i % args.d_reg_every == 0
            if d_regularize:
                real_img.requires_grad = True
                real_pred = discriminator(real_img)
                r1_loss = d_r1_loss(real_pred, real_img)
                discriminator.zero_grad()
                (args.r1 / 2 * r1_loss * args.d_reg_every + 0 * real_pred[0]).backward()
                gn = torch.nn.utils.clip_grad_norm_(discriminator.parameters(), 1e9)
                o.print("d grad norm %.4f" % gn)
                d_optim.step()
            loss_dict["r1"] = r1_loss
            requires_grad(generator, True)
            requires_grad(discriminator, False)
            noise = mixing_noise(args.batch, args.latent, args.mixing, device)
            fake_img, _ = generator(noise)
            fake_pred = discriminator(fake_img)
            g_loss = g_nonsat(fake_pred)
            loss_dict["g"] = g_loss
            generator.zero_grad()
            g_loss.backward()
            g_optim.step()
            g_regularize = i % args.g_reg_every == 0
            if g_regularize:
                path_batch_size = max(1, args.batch // args.path_batch_shrink)
                noise = mixing_noise(path_batch_size, args.latent, args.mixing, device)
                fake_img, latents = generator(noise, return_latents=True)
                path_loss, mean_path_length, path_lengths = g_path_reg(fake_img, latents, mean_path_length)
                generator.zero_grad()
                weighted_path_loss = args.path_regularize * args.g_reg_every * path_loss
                if args.path_batch_shrink:
                    weighted_path_loss += 0 * fake_img[0, 0, 0, 0]
                weighted_path_loss.backward()
                g_optim.step()
                o.print("path lengths", path_lengths.shape, "%.4f" % path_lengths.mean().item())
            loss_dict["path"] = path_loss
            loss_dict["path_length"] = path_lengths.mean()
            accumulate(g_ema, generator, 0.5 ** (32 / (10 * 1000)))
            d_loss_val = loss_dict["d"].mean().item()
            g_loss_val = loss_dict["g"].mean().item()
            r1_val = loss_dict["r1"].mean().item()
            path_loss_val = loss_dict["path"].mean().item()
            o.print(f"d: {d_loss_val:.4f}; g: {g_loss_val:.4f}; r1: {r1_val:.4f}; "
                    f"path: {path_loss_val:.4f}; mean path: {mean_path_length:.4f}")
            o.print(type(mean_path_length).__name__, mean_path_length.requires_grad)
        with torch.no_grad():
            g_ema.eval()
            mean_latent = g_ema.mean_latent(16)
            sample, _ = g_ema([sample_z], truncation=0.7, truncation_latent=mean_latent,
                              randomize_noise=False)
            o.print(sample.shape, sample.requires_grad, "%.4f" % sample.abs().mean())
        o.print([k for k, p in discriminator.named_parameters() if p.requires_grad])
        o.vals += [sample, mean_latent]
        o.vals += [p.detach() for p in g_ema.parameters()]
        o.vals += [p.detach() for p in discriminator.parameters()]
    return o.lines, o.vals


def stylegan_pieces(L):
    """upfirdn2d's up / down / blur paths against each other, ModulatedConv2d fused and not
    (up, down, plain), with gradients, and the noise / repr helpers."""
    torch = L
    M = stylegan_modules(L)
    o = Out()
    with o:
        torch.manual_seed(1)
        x = torch.randn(2, 3, 8, 8, requires_grad=True)
        up, down = M["Upsample"]([1, 3, 3, 1]), M["Downsample"]([1, 3, 3, 1])
        blur = M["Blur"]([1, 3, 3, 1], pad=(2, 1))
        o.print(up.kernel, up.pad, down.pad)
        u, d, b = up(x), down(x), blur(x)
        o.print(u.shape, d.shape, b.shape)
        (u.square().sum() + d.sum() * 2 + b.pow(3).mean()).backward()
        o.print("%.4f" % x.grad.norm())
        o.vals += [u, d, b, x.grad]
        style = torch.randn(2, 8)
        for kw in (dict(), dict(upsample=True), dict(downsample=True)):
            torch.manual_seed(2)
            fused = M["ModulatedConv2d"](3, 4, 3, 8, **kw)
            torch.manual_seed(2)
            plain = M["ModulatedConv2d"](3, 4, 3, 8, fused=False, **kw)
            o.print(fused)
            a, c = fused(x, style), plain(x, style)
            o.print(a.shape, "%.4f" % (a - c).abs().max())
            gw, = torch.autograd.grad(a.sum(), fused.weight)
            o.vals += [a, c, gw]
        eq = M["EqualConv2d"](3, 5, 3, padding=1)
        o.print(eq, M["EqualLinear"](4, 2))
        o.tryit(lambda: M["upfirdn2d"](torch.zeros(1, 2, 4), up.kernel))
        o.vals.append(eq(x))
    return o.lines, o.vals
