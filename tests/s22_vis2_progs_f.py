"""rosinality/stylegan2-pytorch's tools as users run them: projector.py (noise_regularize
with torch.roll and 2x2 pooling, noise_normalize_, get_lr, latent_noise, make_image, the
latent / noise optimisation with Adam; the LPIPS term left out, MSE kept), generate.py
(checkpoint round trip, mean_latent, truncation), closed_form_factorization.py (SVD of the
modulation weights) and apply_factor.py (moving latents along an eigenvector). Size 16."""

import io
import math

from s16_yunjey_progs import Out
from s22_vis2_progs_b import stylegan_modules


def projector(L):
    torch, optim, F = L, L.optim, L.nn.functional

    def noise_regularize(noises):
        loss = 0
        for noise in noises:
            size = noise.shape[2]
            while True:
                loss = (loss + (noise * torch.roll(noise, shifts=1, dims=3)).mean().pow(2)
                        + (noise * torch.roll(noise, shifts=1, dims=2)).mean().pow(2))
                if size <= 8:
                    break
                noise = noise.reshape([-1, 1, size // 2, 2, size // 2, 2])
                noise = noise.mean([3, 5])
                size //= 2
        return loss

    def noise_normalize_(noises):
        for noise in noises:
            mean = noise.mean()
            std = noise.std()
            noise.data.add_(-mean).div_(std)

    def get_lr(t, initial_lr, rampdown=0.25, rampup=0.05):
        lr_ramp = min(1, (1 - t) / rampdown)
        lr_ramp = 0.5 - 0.5 * math.cos(lr_ramp * math.pi)
        lr_ramp = lr_ramp * min(1, t / rampup)
        return initial_lr * lr_ramp

    def latent_noise(latent, strength):
        noise = torch.randn_like(latent) * strength
        return latent + noise

    def make_image(tensor):
        return (tensor.detach().clamp_(min=-1, max=1).add(1).div_(2).mul(255)
                .type(torch.uint8).permute(0, 2, 3, 1).to("cpu").numpy())

    M = stylegan_modules(L)
    o = Out()
    with o:
        torch.manual_seed(0)
        device = "cpu"
        g_ema = M["Generator"](16, 8, 2, channel_multiplier=2)
        buf = io.BytesIO()
        torch.save({"g_ema": g_ema.state_dict()}, buf)
        buf.seek(0)
        g_ema = M["Generator"](16, 8, 2, channel_multiplier=2)
        g_ema.load_state_dict(torch.load(buf)["g_ema"], strict=False)
        g_ema.eval()
        g_ema = g_ema.to(device)
        n_mean_latent = 64
        imgs = torch.rand(2, 3, 16, 16) * 2 - 1
        with torch.no_grad():
            noise_sample = torch.randn(n_mean_latent, 8, device=device)
            latent_out = g_ema.style(noise_sample)
            latent_mean = latent_out.mean(0)
            latent_std = ((latent_out - latent_mean).pow(2).sum() / n_mean_latent) ** 0.5
        o.print("latent std %.4f" % latent_std, latent_std.shape)
        noises_single = g_ema.make_noise()
        noises = []
        for noise in noises_single:
            noises.append(noise.repeat(imgs.shape[0], 1, 1, 1).normal_())
        o.print([tuple(n.shape) for n in noises])
        latent_in = latent_mean.detach().clone().unsqueeze(0).repeat(imgs.shape[0], 1)
        latent_in = latent_in.unsqueeze(1).repeat(1, g_ema.n_latent, 1)  # --w_plus
        latent_in.requires_grad = True
        for noise in noises:
            noise.requires_grad = True
        args_lr, args_noise, args_noise_ramp, args_step, args_nreg, args_mse = 0.1, 0.05, 0.75, 5, 1e5, 1.0
        optimizer = optim.Adam([latent_in] + noises, lr=args_lr)
        latent_path = []
        for i in range(args_step):
            t = i / args_step
            lr = get_lr(t, args_lr)
            optimizer.param_groups[0]["lr"] = lr
            noise_strength = latent_std * args_noise * max(0, 1 - t / args_noise_ramp) ** 2
            latent_n = latent_noise(latent_in, noise_strength.item())
            img_gen, _ = g_ema([latent_n], input_is_latent=True, noise=noises)
            n_loss = noise_regularize(noises)
            mse_loss = F.mse_loss(img_gen, imgs)
            loss = args_nreg * n_loss + args_mse * mse_loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            noise_normalize_(noises)
            latent_path.append(latent_in.detach().clone())
            o.print(f"noise regularize: {n_loss.item():.4f}; mse: {mse_loss.item():.4f}; lr: {lr:.4f}")
        img_gen, _ = g_ema([latent_path[-1]], input_is_latent=True, noise=noises)
        img_ar = make_image(img_gen)
        o.print(img_ar.shape, img_ar.dtype)
        result_file = {"img": img_gen[0], "latent": latent_in[0],
                       "noise": [noise[0] for noise in noises]}
        o.print(sorted(result_file), result_file["latent"].requires_grad, result_file["img"].grad_fn is not None)
        o.vals += [img_gen, latent_in, img_ar] + [n.detach() for n in noises]
    return o.lines, o.vals


def factorization(L):
    """closed_form_factorization.py then apply_factor.py (and generate.py's sampling)."""
    torch = L
    M = stylegan_modules(L)
    o = Out()
    with o:
        torch.manual_seed(1)
        g = M["Generator"](16, 8, 2, channel_multiplier=2)
        ckpt = {"g_ema": g.state_dict()}
        modulate = {k: v for k, v in ckpt["g_ema"].items()
                    if "modulation" in k and "to_rgbs" not in k and "weight" in k}
        o.print(list(modulate))
        weight_mat = []
        for k, v in modulate.items():
            weight_mat.append(v)
        W = torch.cat(weight_mat, 0)
        o.print(torch.svd(W).V.shape)
        # (float32 singular vectors differ by a few 1e-6 between LAPACK builds: the values
        # compared come from the float64 decomposition)
        eigvec = torch.svd(W.double()).V.float().to("cpu")
        buf = io.BytesIO()
        torch.save({"ckpt": "stylegan.pt", "eigvec": eigvec}, buf)
        buf.seek(0)
        eigvec = torch.load(buf)["eigvec"].to("cpu")
        o.print(W.shape, eigvec.shape)
        # singular vectors' signs are LAPACK's choice: compare |V|
        o.vals += [eigvec.abs()]
        eigvec = eigvec * torch.sign(eigvec[0:1])  # a fixed sign per column
        g.eval()
        trunc = g.mean_latent(64)
        latent = torch.randn(3, 8)
        latent = g.get_latent(latent)
        direction = 5.0 * eigvec[:, 1].unsqueeze(0)
        img, _ = g([latent], truncation=0.7, truncation_latent=trunc, input_is_latent=True,
                   randomize_noise=False)
        img1, _ = g([latent + direction], truncation=0.7, truncation_latent=trunc,
                    input_is_latent=True, randomize_noise=False)
        img2, _ = g([latent - direction], truncation=0.7, truncation_latent=trunc,
                    input_is_latent=True, randomize_noise=False)
        grid = torch.cat([img1, img, img2], 0)
        o.print(grid.shape, grid.requires_grad)
        # generate.py
        with torch.no_grad():
            g.eval()
            sample_z = torch.randn(2, 8)
            sample, _ = g([sample_z], truncation=1, truncation_latent=None)
            sample2, _ = g([sample_z, torch.randn(2, 8)], inject_index=2, randomize_noise=False)
        o.print(sample.shape, sample2.shape)
        o.vals += [grid.detach(), sample2]
    return o.lines, o.vals
