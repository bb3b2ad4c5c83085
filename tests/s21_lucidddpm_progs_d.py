"""lucidrains/denoising-diffusion-pytorch, the newer attention: attend.py's Attend (einsum path,
and the flash path through F.scaled_dot_product_attention under
torch.backends.cuda.sdp_kernel(**config._asdict()), which warns FutureWarning), and
denoising_diffusion_pytorch.py's Attention / LinearAttention with RMSNorm and learned memory
key / values (num_mem_kv) repeated over the batch. einops written as reshape / permute /
expand. See test_programs_s21_lucidddpm.py."""

from collections import namedtuple
from functools import partial

from s16_yunjey_progs import Out

AttentionConfig = namedtuple('AttentionConfig', ['enable_flash', 'enable_math', 'enable_mem_efficient'])


def build_attn(torch):
    nn, F = torch.nn, torch.nn.functional

    class Attend(nn.Module):
        def __init__(self, dropout=0., flash=False, scale=None):
            super().__init__()
            self.dropout = dropout
            self.scale = scale
            self.attn_dropout = nn.Dropout(dropout)
            self.flash = flash
            self.cpu_config = AttentionConfig(True, True, True)
            self.cuda_config = None
            if not torch.cuda.is_available() or not flash:
                return

        def flash_attn(self, q, k, v):
            _, heads, q_len, _, k_len, is_cuda, device = *q.shape, k.shape[-2], q.is_cuda, q.device
            if self.scale is not None:
                default_scale = q.shape[-1]
                q = q * (self.scale / default_scale)
            q, k, v = map(lambda t: t.contiguous(), (q, k, v))
            config = self.cuda_config if is_cuda else self.cpu_config
            with torch.backends.cuda.sdp_kernel(**config._asdict()):
                out = F.scaled_dot_product_attention(
                    q, k, v, dropout_p=self.dropout if self.training else 0.)
            return out

        def forward(self, q, k, v):
            if self.flash:
                return self.flash_attn(q, k, v)
            scale = self.scale if self.scale is not None else q.shape[-1] ** -0.5
            sim = torch.einsum("b h i d, b h j d -> b h i j", q, k) * scale
            attn = sim.softmax(dim=-1)
            attn = self.attn_dropout(attn)
            return torch.einsum("b h i j, b h j d -> b h i d", attn, v)

    class RMSNorm(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.scale = dim ** 0.5
            self.g = nn.Parameter(torch.ones(1, dim, 1, 1))

        def forward(self, x):
            return F.normalize(x, dim=1) * self.g * self.scale

    class LinearAttention(nn.Module):
        def __init__(self, dim, heads=4, dim_head=32, num_mem_kv=4):
            super().__init__()
            self.scale = dim_head ** -0.5
            self.heads = heads
            hidden_dim = dim_head * heads
            self.norm = RMSNorm(dim)
            self.mem_kv = nn.Parameter(torch.randn(2, heads, dim_head, num_mem_kv))
            self.to_qkv = nn.Conv2d(dim, hidden_dim * 3, 1, bias=False)
            self.to_out = nn.Sequential(nn.Conv2d(hidden_dim, dim, 1), RMSNorm(dim))

        def forward(self, x):
            b, c, h, w = x.shape
            x = self.norm(x)
            qkv = self.to_qkv(x).chunk(3, dim=1)
            q, k, v = map(lambda t: t.reshape(b, self.heads, -1, h * w), qkv)
            mk, mv = map(lambda t: t.unsqueeze(0).expand(b, -1, -1, -1), self.mem_kv)
            k, v = map(partial(torch.cat, dim=-1), ((mk, k), (mv, v)))
            q = q.softmax(dim=-2)
            k = k.softmax(dim=-1)
            q = q * self.scale
            context = torch.einsum('b h d n, b h e n -> b h d e', k, v)
            out = torch.einsum('b h d e, b h d n -> b h e n', context, q)
            out = out.reshape(b, -1, h, w)
            return self.to_out(out)

    class Attention(nn.Module):
        def __init__(self, dim, heads=4, dim_head=32, num_mem_kv=4, flash=False):
            super().__init__()
            self.heads = heads
            hidden_dim = dim_head * heads
            self.norm = RMSNorm(dim)
            self.attend = Attend(flash=flash)
            self.mem_kv = nn.Parameter(torch.randn(2, heads, num_mem_kv, dim_head))
            self.to_qkv = nn.Conv2d(dim, hidden_dim * 3, 1, bias=False)
            self.to_out = nn.Conv2d(hidden_dim, dim, 1)

        def forward(self, x):
            b, c, h, w = x.shape
            x = self.norm(x)
            qkv = self.to_qkv(x).chunk(3, dim=1)
            # 'b (h c) x y -> b h (x y) c'
            q, k, v = map(lambda t: t.reshape(b, self.heads, -1, h * w).transpose(-1, -2), qkv)
            mk, mv = map(lambda t: t.repeat(b, 1, 1, 1).view(b, *t.shape), self.mem_kv)
            k, v = map(partial(torch.cat, dim=-2), ((mk, k), (mv, v)))
            out = self.attend(q, k, v)
            out = out.permute(0, 1, 3, 2).reshape(b, -1, h, w)   # 'b h (x y) d -> b (h d) x y'
            return self.to_out(out)

    return Attend, Attention, LinearAttention


def attention_mem_kv(torch):
    """Attention with and without flash give the same output; LinearAttention with mem kv."""
    Attend, Attention, LinearAttention = build_attn(torch)
    with Out() as o:
        torch.manual_seed(0)
        attn = Attention(8, heads=2, dim_head=4, num_mem_kv=3)
        flash = Attention(8, heads=2, dim_head=4, num_mem_kv=3, flash=True)
        flash.load_state_dict(attn.state_dict())
        lin = LinearAttention(8, heads=2, dim_head=4, num_mem_kv=3)
        x = torch.randn(2, 8, 4, 4, requires_grad=True)
        a, f, l = attn(x), flash(x), lin(x)
        o.print(a.shape, f.shape, l.shape, a.grad_fn is not None)
        (a.sum() + f.pow(2).sum() + l.mean()).backward()
        o.vals += [a.detach(), f.detach(), l.detach(), x.grad, attn.mem_kv.grad,
                   flash.mem_kv.grad, lin.mem_kv.grad]
        scaled = Attend(flash=True, scale=0.5)
        q = torch.randn(1, 2, 5, 4)
        o.vals.append(scaled(q, q, q))
        d = Attend(dropout=0.5, flash=False).eval()
        o.vals.append(d(q, q, q))
        o.print(torch.backends.cuda.flash_sdp_enabled(), torch.backends.cuda.math_sdp_enabled())
    return o.done()


def trainer_save_load(torch):
    """Trainer.save / Trainer.load: the model, optimizer and EMA (ema_pytorch's copy.deepcopy
    of the model, lerp_ of its float tensors) in one dict through torch.save / torch.load with
    map_location; then the EMA model samples as the Trainer does for its milestones."""
    import copy
    import io
    import s21_lucidddpm_progs as A
    import s21_lucidddpm_progs_b as B
    M = A.build(torch)
    GaussianDiffusion, _ = B.diffusion_class(torch)
    with Out() as o:
        torch.manual_seed(3)
        model = M.Unet(dim=8, dim_mults=(1, 2), channels=1, resnet_block_groups=4)
        diffusion = GaussianDiffusion(model, image_size=8, timesteps=10, sampling_timesteps=3)
        opt = torch.optim.Adam(diffusion.parameters(), lr=1e-4, betas=(0.9, 0.99))
        ema_model = copy.deepcopy(diffusion)
        ema_model.requires_grad_(False)
        for step in range(2):
            loss = diffusion(B._images(torch, 4, 10 + step))
            loss.backward()
            opt.step()
            opt.zero_grad()
            with torch.no_grad():
                for ma, cur in zip(ema_model.parameters(), diffusion.parameters()):
                    ma.lerp_(cur, 1 - 0.995)
                for ma, cur in zip(ema_model.buffers(), diffusion.buffers()):
                    ma.copy_(cur)
        data = {'step': 2, 'model': diffusion.state_dict(), 'opt': opt.state_dict(),
                'ema': ema_model.state_dict(), 'scaler': None, 'version': '2.1.1'}
        buf = io.BytesIO()
        torch.save(data, buf)
        buf.seek(0)
        loaded = torch.load(buf, map_location='cpu')
        o.print(sorted(loaded), loaded['step'], loaded['version'], loaded['scaler'])
        model2 = M.Unet(dim=8, dim_mults=(1, 2), channels=1, resnet_block_groups=4)
        d2 = GaussianDiffusion(model2, image_size=8, timesteps=10, sampling_timesteps=3)
        o.print(d2.load_state_dict(loaded['model']))
        opt2 = torch.optim.Adam(d2.parameters(), lr=1e-4, betas=(0.9, 0.99))
        opt2.load_state_dict(loaded['opt'])
        o.print(opt2.state_dict()['param_groups'][0]['betas'], len(opt2.state))
        ema2 = copy.deepcopy(d2)
        ema2.load_state_dict(loaded['ema'])
        ema2.eval()
        with torch.no_grad():
            batches = A.num_to_groups(5, 4)
            all_images_list = list(map(lambda n: ema2.sample(batch_size=n), batches))
        all_images = torch.cat(all_images_list, dim=0)
        o.print(all_images.shape, f'{all_images.mean().item():.4f}')
        o.vals += [all_images, ema2.model.final_conv.weight, loss.detach()]
    return o.done()


def objectives(torch):
    """pred_noise (cosine, offset noise) and pred_x0 (linear), ddim with eta 1, interpolate."""
    import random as pyrandom
    import s21_lucidddpm_progs as A
    import s21_lucidddpm_progs_b as B
    M = A.build(torch)
    GaussianDiffusion, _ = B.diffusion_class(torch)
    with Out() as o:
        for objective, schedule, eta in (('pred_noise', 'cosine', 1.), ('pred_x0', 'sigmoid', 0.5)):
            torch.manual_seed(1)
            pyrandom.seed(1)                  # self-conditioning's coin: random() < 0.5
            model = M.Unet(dim=8, dim_mults=(1, 2), channels=1, self_condition=True,
                           resnet_block_groups=4)
            diffusion = GaussianDiffusion(model, image_size=8, timesteps=10, sampling_timesteps=5,
                                          objective=objective, beta_schedule=schedule,
                                          ddim_sampling_eta=eta, offset_noise_strength=0.1,
                                          schedule_fn_kwargs=dict(start=-2, end=2, tau=0.9)
                                          if schedule == 'sigmoid' else dict())
            B._train(torch, o, diffusion, steps=2)
            s = diffusion.sample(batch_size=2)
            o.print(objective, f'{s.mean().item():.4f}')
            if objective == 'pred_noise':
                # x_start = 203.7 * x_t - 203.7 * eps at t = 9 (cosine, 10 steps): the network's
                # last-bit (BLAS) differences come out 200 times larger; printed to 4 places only
                s = s.clamp(0, 1).mean()
            x1, x2 = B._images(torch, 1, 5), B._images(torch, 1, 6)
            i = diffusion.interpolate(x1, x2, t=3)
            mv = diffusion.p_mean_variance(i, torch.tensor([2]))
            o.print([tuple(m.shape) for m in mv])
            o.vals += [s, i] + list(mv)
        o.tryit(lambda: GaussianDiffusion(model, image_size=8, timesteps=10, beta_schedule='quad'))
    return o.done()
