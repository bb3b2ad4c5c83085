"""lucidrains/denoising-diffusion-pytorch, denoising_diffusion_pytorch/denoising_diffusion_pytorch_1d.py
as users type it: the Conv1d Unet1D (weight-standardised Conv1d, LayerNorm over channels,
LinearAttention / Attention on sequences), GaussianDiffusion1D with the l1 / l2 losses and p2
weighting, Dataset1D through a DataLoader, training and sampling on random 16-step sequences.
einops written as reshape / permute / mean. See test_programs_s21_lucidddpm.py."""

from functools import partial

from s16_yunjey_progs import Out
import s21_lucidddpm_progs as A
from s21_lucidddpm_progs import exists, default, cycle
import s21_lucidddpm_progs_b as B


def build1d(torch):
    nn, F = torch.nn, torch.nn.functional

    M2 = A.build(torch)               # the 1d file's Residual and SinusoidalPosEmb are the 2d's
    Residual, SinusoidalPosEmb = M2.Residual, M2.SinusoidalPosEmb

    def Upsample(dim, dim_out=None):
        return nn.Sequential(nn.Upsample(scale_factor=2, mode='nearest'),
                             nn.Conv1d(dim, default(dim_out, dim), 3, padding=1))

    def Downsample(dim, dim_out=None):
        return nn.Conv1d(dim, default(dim_out, dim), 4, 2, 1)

    class WeightStandardizedConv2d(nn.Conv1d):
        def forward(self, x):
            eps = 1e-5 if x.dtype == torch.float32 else 1e-3
            weight = self.weight
            mean = weight.mean(dim=(1, 2), keepdim=True)          # 'o ... -> o 1 1'
            var = torch.var(weight, dim=(1, 2), unbiased=False, keepdim=True)
            normalized_weight = (weight - mean) * (var + eps).rsqrt()
            return F.conv1d(x, normalized_weight, self.bias, self.stride, self.padding,
                            self.dilation, self.groups)

    class LayerNorm(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.g = nn.Parameter(torch.ones(1, dim, 1))

        def forward(self, x):
            eps = 1e-5 if x.dtype == torch.float32 else 1e-3
            var = torch.var(x, dim=1, unbiased=False, keepdim=True)
            mean = torch.mean(x, dim=1, keepdim=True)
            return (x - mean) * (var + eps).rsqrt() * self.g

    class PreNorm(nn.Module):
        def __init__(self, dim, fn):
            super().__init__()
            self.fn = fn
            self.norm = LayerNorm(dim)

        def forward(self, x):
            return self.fn(self.norm(x))

    class Block(nn.Module):
        def __init__(self, dim, dim_out, groups=8):
            super().__init__()
            self.proj = WeightStandardizedConv2d(dim, dim_out, 3, padding=1)
            self.norm = nn.GroupNorm(groups, dim_out)
            self.act = nn.SiLU()

        def forward(self, x, scale_shift=None):
            x = self.norm(self.proj(x))
            if exists(scale_shift):
                scale, shift = scale_shift
                x = x * (scale + 1) + shift
            return self.act(x)

    class ResnetBlock(nn.Module):
        def __init__(self, dim, dim_out, *, time_emb_dim=None, groups=8):
            super().__init__()
            self.mlp = nn.Sequential(nn.SiLU(), nn.Linear(time_emb_dim, dim_out * 2)) \
                if exists(time_emb_dim) else None
            self.block1 = Block(dim, dim_out, groups=groups)
            self.block2 = Block(dim_out, dim_out, groups=groups)
            self.res_conv = nn.Conv1d(dim, dim_out, 1) if dim != dim_out else nn.Identity()

        def forward(self, x, time_emb=None):
            scale_shift = None
            if exists(self.mlp) and exists(time_emb):
                time_emb = self.mlp(time_emb)
                time_emb = time_emb.unsqueeze(-1)                    # 'b c -> b c 1'
                scale_shift = time_emb.chunk(2, dim=1)
            h = self.block1(x, scale_shift=scale_shift)
            h = self.block2(h)
            return h + self.res_conv(x)

    class LinearAttention(nn.Module):
        def __init__(self, dim, heads=2, dim_head=8):
            super().__init__()
            self.scale = dim_head ** -0.5
            self.heads = heads
            hidden_dim = dim_head * heads
            self.to_qkv = nn.Conv1d(dim, hidden_dim * 3, 1, bias=False)
            self.to_out = nn.Sequential(nn.Conv1d(hidden_dim, dim, 1), LayerNorm(dim))

        def forward(self, x):
            b, c, n = x.shape
            qkv = self.to_qkv(x).chunk(3, dim=1)
            q, k, v = map(lambda t: t.view(b, self.heads, -1, n), qkv)
            q = q.softmax(dim=-2)
            k = k.softmax(dim=-1)
            q = q * self.scale
            context = torch.einsum('b h d n, b h e n -> b h d e', k, v)
            out = torch.einsum('b h d e, b h d n -> b h e n', context, q)
            out = out.reshape(b, -1, n)
            return self.to_out(out)

    class Attention(nn.Module):
        def __init__(self, dim, heads=2, dim_head=8):
            super().__init__()
            self.scale = dim_head ** -0.5
            self.heads = heads
            hidden_dim = dim_head * heads
            self.to_qkv = nn.Conv1d(dim, hidden_dim * 3, 1, bias=False)
            self.to_out = nn.Conv1d(hidden_dim, dim, 1)

        def forward(self, x):
            b, c, n = x.shape
            qkv = self.to_qkv(x).chunk(3, dim=1)
            q, k, v = map(lambda t: t.view(b, self.heads, -1, n), qkv)
            q = q * self.scale
            sim = torch.einsum('b h d i, b h d j -> b h i j', q, k)
            attn = sim.softmax(dim=-1)
            out = torch.einsum('b h i j, b h d j -> b h i d', attn, v)
            out = out.transpose(2, 3).reshape(b, -1, n)             # 'b h n d -> b (h d) n'
            return self.to_out(out)

    class Unet1D(nn.Module):
        def __init__(self, dim, init_dim=None, out_dim=None, dim_mults=(1, 2, 4, 8), channels=3,
                     self_condition=False, resnet_block_groups=8, learned_variance=False):
            super().__init__()
            self.channels = channels
            self.self_condition = self_condition
            input_channels = channels * (2 if self_condition else 1)
            init_dim = default(init_dim, dim)
            self.init_conv = nn.Conv1d(input_channels, init_dim, 7, padding=3)
            dims = [init_dim, *map(lambda m: dim * m, dim_mults)]
            in_out = list(zip(dims[:-1], dims[1:]))
            block_klass = partial(ResnetBlock, groups=resnet_block_groups)
            time_dim = dim * 4
            self.random_or_learned_sinusoidal_cond = False
            self.time_mlp = nn.Sequential(SinusoidalPosEmb(dim), nn.Linear(dim, time_dim),
                                          nn.GELU(), nn.Linear(time_dim, time_dim))
            self.downs = nn.ModuleList([])
            self.ups = nn.ModuleList([])
            num_resolutions = len(in_out)
            for ind, (dim_in, dim_out) in enumerate(in_out):
                is_last = ind >= (num_resolutions - 1)
                self.downs.append(nn.ModuleList([
                    block_klass(dim_in, dim_in, time_emb_dim=time_dim),
                    block_klass(dim_in, dim_in, time_emb_dim=time_dim),
                    Residual(PreNorm(dim_in, LinearAttention(dim_in))),
                    Downsample(dim_in, dim_out) if not is_last
                    else nn.Conv1d(dim_in, dim_out, 3, padding=1)]))
            mid_dim = dims[-1]
            self.mid_block1 = block_klass(mid_dim, mid_dim, time_emb_dim=time_dim)
            self.mid_attn = Residual(PreNorm(mid_dim, Attention(mid_dim)))
            self.mid_block2 = block_klass(mid_dim, mid_dim, time_emb_dim=time_dim)
            for ind, (dim_in, dim_out) in enumerate(reversed(in_out)):
                is_last = ind == (len(in_out) - 1)
                self.ups.append(nn.ModuleList([
                    block_klass(dim_out + dim_in, dim_out, time_emb_dim=time_dim),
                    block_klass(dim_out + dim_in, dim_out, time_emb_dim=time_dim),
                    Residual(PreNorm(dim_out, LinearAttention(dim_out))),
                    Upsample(dim_out, dim_in) if not is_last
                    else nn.Conv1d(dim_out, dim_in, 3, padding=1)]))
            self.out_dim = default(out_dim, channels * (1 if not learned_variance else 2))
            self.final_res_block = block_klass(dim * 2, dim, time_emb_dim=time_dim)
            self.final_conv = nn.Conv1d(dim, self.out_dim, 1)

        def forward(self, x, time, x_self_cond=None):
            if self.self_condition:
                x_self_cond = default(x_self_cond, lambda: torch.zeros_like(x))
                x = torch.cat((x_self_cond, x), dim=1)
            x = self.init_conv(x)
            r = x.clone()
            t = self.time_mlp(time)
            h = []
            for block1, block2, attn, downsample in self.downs:
                x = block1(x, t)
                h.append(x)
                x = block2(x, t)
                x = attn(x)
                h.append(x)
                x = downsample(x)
            x = self.mid_block1(x, t)
            x = self.mid_attn(x)
            x = self.mid_block2(x, t)
            for block1, block2, attn, upsample in self.ups:
                x = torch.cat((x, h.pop()), dim=1)
                x = block1(x, t)
                x = torch.cat((x, h.pop()), dim=1)
                x = block2(x, t)
                x = attn(x)
                x = upsample(x)
            x = torch.cat((x, r), dim=1)
            x = self.final_res_block(x, t)
            return self.final_conv(x)

    GaussianDiffusion, extract = B.diffusion_class(torch)

    class GaussianDiffusion1D(GaussianDiffusion):
        """the 1d file's class: seq_length, l1 / l2 loss, p2 loss weight."""
        def __init__(self, model, *, seq_length, loss_type='l1', objective='pred_noise',
                     beta_schedule='cosine', p2_loss_weight_gamma=0., p2_loss_weight_k=1, **kw):
            super().__init__(model, image_size=(1, seq_length), objective=objective,
                             beta_schedule=beta_schedule, **kw)
            self.seq_length = seq_length
            self.loss_type = loss_type
            alphas_cumprod = self.alphas_cumprod.double()
            self.register_buffer('p2_loss_weight', ((p2_loss_weight_k + alphas_cumprod /
                                 (1 - alphas_cumprod)) ** -p2_loss_weight_gamma).float())

        @property
        def loss_fn(self):
            if self.loss_type == 'l1':
                return F.l1_loss
            elif self.loss_type == 'l2':
                return F.mse_loss
            else:
                raise ValueError(f'invalid loss type {self.loss_type}')

        @torch.no_grad()
        def sample(self, batch_size=16):
            seq_length, channels = self.seq_length, self.channels
            sample_fn = self.p_sample_loop if not self.is_ddim_sampling else self.ddim_sample
            return sample_fn((batch_size, channels, seq_length))

        def p_losses(self, x_start, t, noise=None):
            b, c, n = x_start.shape
            noise = default(noise, lambda: torch.randn_like(x_start))
            x = self.q_sample(x_start=x_start, t=t, noise=noise)
            model_out = self.model(x, t, None)
            if self.objective == 'pred_noise':
                target = noise
            elif self.objective == 'pred_x0':
                target = x_start
            else:
                target = self.predict_v(x_start, t, noise)
            loss = self.loss_fn(model_out, target, reduction='none')
            loss = loss.mean(dim=(1, 2))                              # 'b ... -> b (...)', mean
            loss = loss * extract(self.p2_loss_weight, t, loss.shape)
            return loss.mean()

        def forward(self, img, *args, **kwargs):
            b, c, n, device, seq_length, = *img.shape, img.device, self.seq_length
            assert n == seq_length, f'seq length must be {seq_length}'
            t = torch.randint(0, self.num_timesteps, (b,), device=device).long()
            img = self.normalize(img)
            return self.p_losses(img, t, *args, **kwargs)

    class Dataset1D(torch.utils.data.Dataset):
        def __init__(self, tensor):
            super().__init__()
            self.tensor = tensor.clone()

        def __len__(self):
            return len(self.tensor)

        def __getitem__(self, idx):
            return self.tensor[idx].clone()

    return Unet1D, GaussianDiffusion1D, Dataset1D


def diffusion_1d(torch):
    """the README's 1d example: Unet1D, GaussianDiffusion1D, Dataset1D, a few Adam steps, sample."""
    Unet1D, GaussianDiffusion1D, Dataset1D = build1d(torch)
    with Out() as o:
        for loss_type, objective in (('l1', 'pred_noise'), ('l2', 'pred_v')):
            torch.manual_seed(0)
            model = Unet1D(dim=8, dim_mults=(1, 2), channels=2, resnet_block_groups=4)
            diffusion = GaussianDiffusion1D(model, seq_length=16, timesteps=10, loss_type=loss_type,
                                            objective=objective, beta_schedule='sigmoid',
                                            p2_loss_weight_gamma=1.)
            o.print([round(w, 4) for w in diffusion.p2_loss_weight.tolist()])
            training_seq = torch.rand(8, 2, 16)
            dataset = Dataset1D(training_seq)
            dl = cycle(torch.utils.data.DataLoader(dataset, batch_size=4, shuffle=True))
            opt = torch.optim.Adam(diffusion.parameters(), lr=1e-4, betas=(0.9, 0.99))
            for step in range(3):
                data = next(dl)
                loss = diffusion(data)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(diffusion.parameters(), 1.0)
                opt.step()
                opt.zero_grad()
                o.print(f'{loss_type} loss: {loss.item():.4f}', data.shape)
            sampled_seq = diffusion.sample(batch_size=2)
            o.print(sampled_seq.shape, f'{sampled_seq.mean().item():.4f}')
            o.vals += [loss.detach(), diffusion.p2_loss_weight, model.final_conv.weight.detach()]
            if objective == 'pred_v':
                o.vals.append(sampled_seq)
        diffusion.loss_type = 'huber'
        o.tryit(lambda: diffusion(training_seq[:2]))
        o.tryit(lambda: diffusion(torch.rand(2, 2, 15)))
    return o.done()
