"""yenchenlin/nerf-pytorch run_nerf.py as users copy it (batchify, run_network,
batchify_rays, render, raw2outputs, render_rays, create_nerf's pieces and train()'s loop),
on the helpers of tests/s21_fields_progs_c.py, with the data loaders replaced by seeded
NumPy images and poses. Each program is ``prog(torch) -> (printed lines, values)``."""

import numpy as np
from s16_yunjey_progs import Out
from s21_fields_progs_c import make_nerf


def make_run_nerf(L, H, print=print):
    torch, F = L, L.nn.functional
    get_rays, ndc_rays, sample_pdf = H['get_rays'], H['ndc_rays'], H['sample_pdf']

    def batchify(fn, chunk):
        if chunk is None:
            return fn

        def ret(inputs):
            return torch.cat([fn(inputs[i:i+chunk]) for i in range(0, inputs.shape[0], chunk)], 0)
        return ret

    def run_network(inputs, viewdirs, fn, embed_fn, embeddirs_fn, netchunk=1024*64):
        inputs_flat = torch.reshape(inputs, [-1, inputs.shape[-1]])
        embedded = embed_fn(inputs_flat)
        if viewdirs is not None:
            input_dirs = viewdirs[:, None].expand(inputs.shape)
            input_dirs_flat = torch.reshape(input_dirs, [-1, input_dirs.shape[-1]])
            embedded_dirs = embeddirs_fn(input_dirs_flat)
            embedded = torch.cat([embedded, embedded_dirs], -1)
        outputs_flat = batchify(fn, netchunk)(embedded)
        outputs = torch.reshape(outputs_flat, list(inputs.shape[:-1]) + [outputs_flat.shape[-1]])
        return outputs

    def batchify_rays(rays_flat, chunk=1024*32, **kwargs):
        all_ret = {}
        for i in range(0, rays_flat.shape[0], chunk):
            ret = render_rays(rays_flat[i:i+chunk], **kwargs)
            for k in ret:
                if k not in all_ret:
                    all_ret[k] = []
                all_ret[k].append(ret[k])
        all_ret = {k: torch.cat(all_ret[k], 0) for k in all_ret}
        return all_ret

    def render(H, W, K, chunk=1024*32, rays=None, c2w=None, ndc=True,
               near=0., far=1., use_viewdirs=False, c2w_staticcam=None, **kwargs):
        if c2w is not None:
            rays_o, rays_d = get_rays(H, W, K, c2w)
        else:
            rays_o, rays_d = rays
        if use_viewdirs:
            viewdirs = rays_d
            if c2w_staticcam is not None:
                rays_o, rays_d = get_rays(H, W, K, c2w_staticcam)
            viewdirs = viewdirs / torch.norm(viewdirs, dim=-1, keepdim=True)
            viewdirs = torch.reshape(viewdirs, [-1, 3]).float()
        sh = rays_d.shape  # [..., 3]
        if ndc:
            rays_o, rays_d = ndc_rays(H, W, K[0][0], 1., rays_o, rays_d)
        rays_o = torch.reshape(rays_o, [-1, 3]).float()
        rays_d = torch.reshape(rays_d, [-1, 3]).float()
        near, far = near * torch.ones_like(rays_d[..., :1]), far * torch.ones_like(rays_d[..., :1])
        rays = torch.cat([rays_o, rays_d, near, far], -1)
        if use_viewdirs:
            rays = torch.cat([rays, viewdirs], -1)
        all_ret = batchify_rays(rays, chunk, **kwargs)
        for k in all_ret:
            k_sh = list(sh[:-1]) + list(all_ret[k].shape[1:])
            all_ret[k] = torch.reshape(all_ret[k], k_sh)
        k_extract = ['rgb_map', 'disp_map', 'acc_map']
        ret_list = [all_ret[k] for k in k_extract]
        ret_dict = {k: all_ret[k] for k in all_ret if k not in k_extract}
        return ret_list + [ret_dict]

    def raw2outputs(raw, z_vals, rays_d, raw_noise_std=0, white_bkgd=False, pytest=False):
        raw2alpha = lambda raw, dists, act_fn=F.relu: 1.-torch.exp(-act_fn(raw)*dists)
        dists = z_vals[..., 1:] - z_vals[..., :-1]
        dists = torch.cat([dists, torch.Tensor([1e10]).expand(dists[..., :1].shape)], -1)
        dists = dists * torch.norm(rays_d[..., None, :], dim=-1)
        rgb = torch.sigmoid(raw[..., :3])  # [N_rays, N_samples, 3]
        noise = 0.
        if raw_noise_std > 0.:
            noise = torch.randn(raw[..., 3].shape) * raw_noise_std
            if pytest:
                np.random.seed(0)
                noise = np.random.rand(*list(raw[..., 3].shape)) * raw_noise_std
                noise = torch.Tensor(noise)
        alpha = raw2alpha(raw[..., 3] + noise, dists)  # [N_rays, N_samples]
        weights = alpha * torch.cumprod(torch.cat([torch.ones((alpha.shape[0], 1)), 1.-alpha + 1e-10], -1), -1)[:, :-1]
        rgb_map = torch.sum(weights[..., None] * rgb, -2)  # [N_rays, 3]
        depth_map = torch.sum(weights * z_vals, -1)
        disp_map = 1./torch.max(1e-10 * torch.ones_like(depth_map), depth_map / torch.sum(weights, -1))
        acc_map = torch.sum(weights, -1)
        if white_bkgd:
            rgb_map = rgb_map + (1.-acc_map[..., None])
        return rgb_map, disp_map, acc_map, weights, depth_map

    def render_rays(ray_batch, network_fn, network_query_fn, N_samples, retraw=False,
                    lindisp=False, perturb=0., N_importance=0, network_fine=None,
                    white_bkgd=False, raw_noise_std=0., verbose=False, pytest=False):
        N_rays = ray_batch.shape[0]
        rays_o, rays_d = ray_batch[:, 0:3], ray_batch[:, 3:6]  # [N_rays, 3] each
        viewdirs = ray_batch[:, -3:] if ray_batch.shape[-1] > 8 else None
        bounds = torch.reshape(ray_batch[..., 6:8], [-1, 1, 2])
        near, far = bounds[..., 0], bounds[..., 1]  # [-1,1]
        t_vals = torch.linspace(0., 1., steps=N_samples)
        if not lindisp:
            z_vals = near * (1.-t_vals) + far * (t_vals)
        else:
            z_vals = 1./(1./near * (1.-t_vals) + 1./far * (t_vals))
        z_vals = z_vals.expand([N_rays, N_samples])
        if perturb > 0.:
            mids = .5 * (z_vals[..., 1:] + z_vals[..., :-1])
            upper = torch.cat([mids, z_vals[..., -1:]], -1)
            lower = torch.cat([z_vals[..., :1], mids], -1)
            t_rand = torch.rand(z_vals.shape)
            if pytest:
                np.random.seed(0)
                t_rand = np.random.rand(*list(z_vals.shape))
                t_rand = torch.Tensor(t_rand)
            z_vals = lower + (upper - lower) * t_rand
        pts = rays_o[..., None, :] + rays_d[..., None, :] * z_vals[..., :, None]
        raw = network_query_fn(pts, viewdirs, network_fn)
        rgb_map, disp_map, acc_map, weights, depth_map = raw2outputs(raw, z_vals, rays_d, raw_noise_std, white_bkgd, pytest=pytest)
        if N_importance > 0:
            rgb_map_0, disp_map_0, acc_map_0 = rgb_map, disp_map, acc_map
            z_vals_mid = .5 * (z_vals[..., 1:] + z_vals[..., :-1])
            z_samples = sample_pdf(z_vals_mid, weights[..., 1:-1], N_importance, det=(perturb == 0.), pytest=pytest)
            z_samples = z_samples.detach()
            z_vals, _ = torch.sort(torch.cat([z_vals, z_samples], -1), -1)
            pts = rays_o[..., None, :] + rays_d[..., None, :] * z_vals[..., :, None]
            run_fn = network_fn if network_fine is None else network_fine
            raw = network_query_fn(pts, viewdirs, run_fn)
            rgb_map, disp_map, acc_map, weights, depth_map = raw2outputs(raw, z_vals, rays_d, raw_noise_std, white_bkgd, pytest=pytest)
        ret = {'rgb_map': rgb_map, 'disp_map': disp_map, 'acc_map': acc_map}
        if retraw:
            ret['raw'] = raw
        if N_importance > 0:
            ret['rgb0'] = rgb_map_0
            ret['disp0'] = disp_map_0
            ret['acc0'] = acc_map_0
            ret['z_std'] = torch.std(z_samples, dim=-1, unbiased=False)  # [N_rays]
        for k in ret:
            if (torch.isnan(ret[k]).any() or torch.isinf(ret[k]).any()):
                print(f"! [Numerical Error] {k} contains nan or inf.")
        return ret

    return dict(batchify=batchify, run_network=run_network, render=render,
                raw2outputs=raw2outputs, render_rays=render_rays)


def _scene(seed, n_img=2, H=6, W=6):
    rng = np.random.RandomState(seed)
    images = rng.rand(n_img, H, W, 3).astype(np.float32)
    poses = np.zeros((n_img, 3, 4), np.float32)
    for k in range(n_img):
        a = 0.3 * k
        poses[k, :3, :3] = [[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]]
        poses[k, :3, 3] = [0.1 * k, -0.2, 4.0]
    focal = 5.0
    K = np.array([[focal, 0, 0.5*W], [0, focal, 0.5*H], [0, 0, 1]])
    return images, poses, H, W, focal, K


def helpers(L):
    """Embedder, get_rays vs get_rays_np, ndc_rays, sample_pdf (det, random, pytest)."""
    torch, o = L, Out()
    torch.manual_seed(0)
    with o:
        Hp = make_nerf(L)
        embed_fn, input_ch = Hp['get_embedder'](4, 0)
        ident, three = Hp['get_embedder'](4, -1)
        o.print(input_ch, three, ident)
        pts = torch.rand(5, 3)
        e = embed_fn(pts)
        o.print(e.shape, e.dtype)
        images, poses, H, W, focal, K = _scene(1)
        rays_o, rays_d = Hp['get_rays'](H, W, K, torch.Tensor(poses[0]))
        o.print(rays_o.shape, rays_d.shape, rays_o.dtype, rays_d.dtype, rays_o.is_contiguous())
        ro_np, rd_np = Hp['get_rays_np'](H, W, K, poses[0])
        o.print(ro_np.dtype, rd_np.dtype, ro_np.shape)
        nro, nrd = Hp['ndc_rays'](H, W, K[0][0], 1., rays_o, rays_d)
        o.print(nro.dtype, nrd.shape)
        bins = torch.sort(torch.rand(4, 7), -1)[0]
        weights = torch.rand(4, 7)
        s_det = Hp['sample_pdf'](bins, weights[..., 1:], 5, det=True)
        s_rand = Hp['sample_pdf'](bins, weights[..., 1:], 5, det=False)
        s_py = Hp['sample_pdf'](bins, weights[..., 1:], 5, det=False, pytest=True)
        o.print(s_det.shape, s_rand.dtype, s_py.dtype)
        o.vals += [e, rays_o, rays_d, ro_np.copy(), rd_np, nro, nrd, s_det, s_rand, s_py,
                   Hp['to8b'](rd_np)]
        o.vals += [Hp['mse2psnr'](Hp['img2mse'](s_det, s_rand))]
    return o.done()


def train(L, use_batching=True, use_viewdirs=True, ndc=False, perturb=1., noise=0.):
    """create_nerf + train(): ray batches, render, img2mse / mse2psnr, Adam, lr decay."""
    torch, o = L, Out()
    torch.manual_seed(0)
    np.random.seed(0)
    with o:
        Hp = make_nerf(L)
        R = make_run_nerf(L, Hp, o.print)
        images, poses, H, W, focal, K = _scene(2)
        embed_fn, input_ch = Hp['get_embedder'](3, 0)
        embeddirs_fn, input_ch_views = Hp['get_embedder'](2, 0) if use_viewdirs else (None, 0)
        N_importance = 4
        output_ch = 5 if N_importance > 0 else 4
        skips = [2]
        model = Hp['NeRF'](D=4, W=16, input_ch=input_ch, output_ch=output_ch, skips=skips,
                           input_ch_views=input_ch_views, use_viewdirs=use_viewdirs)
        grad_vars = list(model.parameters())
        model_fine = Hp['NeRF'](D=4, W=16, input_ch=input_ch, output_ch=output_ch, skips=skips,
                                input_ch_views=input_ch_views, use_viewdirs=use_viewdirs)
        grad_vars += list(model_fine.parameters())
        network_query_fn = lambda inputs, viewdirs, network_fn: R['run_network'](
            inputs, viewdirs, network_fn, embed_fn=embed_fn, embeddirs_fn=embeddirs_fn,
            netchunk=40)
        lrate = 5e-4
        optimizer = torch.optim.Adam(params=grad_vars, lr=lrate, betas=(0.9, 0.999))
        kw = {'network_query_fn': network_query_fn, 'perturb': perturb,
              'N_importance': N_importance, 'network_fine': model_fine, 'N_samples': 6,
              'network_fn': model, 'use_viewdirs': use_viewdirs, 'white_bkgd': True,
              'raw_noise_std': noise, 'ndc': ndc, 'lindisp': False, 'near': 2., 'far': 6.}
        N_rand = 10
        i_train = [0, 1]
        if use_batching:
            rays = np.stack([Hp['get_rays_np'](H, W, K, p) for p in poses[:, :3, :4]], 0)
            rays_rgb = np.concatenate([rays, images[:, None]], 1)
            rays_rgb = np.transpose(rays_rgb, [0, 2, 3, 1, 4])
            rays_rgb = np.stack([rays_rgb[i] for i in i_train], 0)
            rays_rgb = np.reshape(rays_rgb, [-1, 3, 3])
            rays_rgb = rays_rgb.astype(np.float32)
            np.random.shuffle(rays_rgb)
            i_batch = 0
            rays_rgb = torch.Tensor(rays_rgb)
        images_t = torch.Tensor(images)
        poses_t = torch.Tensor(poses)
        global_step = 0
        for i in range(1, 5):
            if use_batching:
                batch = rays_rgb[i_batch:i_batch+N_rand]
                batch = torch.transpose(batch, 0, 1)
                batch_rays, target_s = batch[:2], batch[2]
                i_batch += N_rand
                if i_batch >= rays_rgb.shape[0]:
                    o.print("Shuffle data after an epoch!")
                    rand_idx = torch.randperm(rays_rgb.shape[0])
                    rays_rgb = rays_rgb[rand_idx]
                    i_batch = 0
            else:
                img_i = np.random.choice(i_train)
                target = images_t[img_i]
                pose = poses_t[img_i, :3, :4]
                rays_o, rays_d = Hp['get_rays'](H, W, K, torch.Tensor(pose))
                if i < 3:
                    dH = int(H//2 * 0.5)
                    dW = int(W//2 * 0.5)
                    coords = torch.stack(torch.meshgrid(
                        torch.linspace(H//2 - dH, H//2 + dH - 1, 2*dH),
                        torch.linspace(W//2 - dW, W//2 + dW - 1, 2*dW)), -1)
                else:
                    coords = torch.stack(torch.meshgrid(torch.linspace(0, H-1, H), torch.linspace(0, W-1, W)), -1)
                coords = torch.reshape(coords, [-1, 2])
                select_inds = np.random.choice(coords.shape[0], size=[min(N_rand, coords.shape[0])], replace=False)
                select_coords = coords[select_inds].long()
                rays_o = rays_o[select_coords[:, 0], select_coords[:, 1]]
                rays_d = rays_d[select_coords[:, 0], select_coords[:, 1]]
                batch_rays = torch.stack([rays_o, rays_d], 0)
                target_s = target[select_coords[:, 0], select_coords[:, 1]]
            rgb, disp, acc, extras = R['render'](H, W, K, chunk=7, rays=batch_rays,
                                                 verbose=i < 10, retraw=True, **kw)
            optimizer.zero_grad()
            img_loss = Hp['img2mse'](rgb, target_s)
            trans = extras['raw'][..., -1]
            loss = img_loss
            psnr = Hp['mse2psnr'](img_loss)
            if 'rgb0' in extras:
                img_loss0 = Hp['img2mse'](extras['rgb0'], target_s)
                loss = loss + img_loss0
                psnr0 = Hp['mse2psnr'](img_loss0)
            loss.backward()
            optimizer.step()
            decay_rate = 0.1
            decay_steps = 250 * 1000
            new_lrate = lrate * (decay_rate ** (global_step / decay_steps))
            for param_group in optimizer.param_groups:
                param_group['lr'] = new_lrate
            o.print(f"[TRAIN] Iter: {i} Loss: {loss.item():.4f}  PSNR: {psnr.item():.4f} "
                    f"{psnr0.shape} {trans.shape} {sorted(extras)}")
            global_step += 1
        with torch.no_grad():
            rgb, disp, acc, extras = R['render'](H, W, K, chunk=13, c2w=poses_t[0][:3, :4],
                                                 **dict(kw, perturb=False, raw_noise_std=0.))
        o.print(rgb.shape, disp.shape, acc.shape, extras['z_std'].shape)
        # (z_std is left out: sample_pdf divides by pdf steps of ~1e-5 / sum(weights), so an
        # ulp of the network's weights moves a sample by 1e-4; its shape is printed above)
        o.vals += [rgb, disp, acc, Hp['to8b'](rgb.cpu().numpy())]
    return o.done()


def train_no_batching(L):
    return train(L, use_batching=False, use_viewdirs=False, ndc=True, perturb=0., noise=1.)
