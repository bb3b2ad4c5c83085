"""layerspp.py's blocks (GaussianFourierProjection, Combine, AttnBlockpp, Upsample /
Downsample with and without FIR, ResnetBlockBigGANpp) built on tests/s20_score_progs_h.py's
layers and up_or_down_sampling, run forward and backward on 1x8x8-sized feature maps."""

import numpy as np
from s16_yunjey_progs import Out
from s20_score_progs_h import _layers, _updown


def _layerspp(L, flip_fix=2):
    torch, nn = L, L.nn
    F = nn.functional
    layers = _layers(L)
    up_or_down_sampling = _updown(L, flip_fix)
    conv1x1, conv3x3, NIN, default_init = (
        layers['conv1x1'],
        layers['conv3x3'],
        layers['NIN'],
        layers['default_init'],
    )

    class GaussianFourierProjection(nn.Module):
        def __init__(self, embedding_size=256, scale=1.0):
            super().__init__()
            self.W = nn.Parameter(torch.randn(embedding_size) * scale, requires_grad=False)

        def forward(self, x):
            x_proj = x[:, None] * self.W[None, :] * 2 * np.pi
            return torch.cat([torch.sin(x_proj), torch.cos(x_proj)], dim=-1)

    class Combine(nn.Module):
        def __init__(self, dim1, dim2, method='cat'):
            super().__init__()
            self.Conv_0 = conv1x1(dim1, dim2)
            self.method = method

        def forward(self, x, y):
            h = self.Conv_0(x)
            if self.method == 'cat':
                return torch.cat([h, y], dim=1)
            elif self.method == 'sum':
                return h + y
            else:
                raise ValueError(f'Method {self.method} not recognized.')

    class AttnBlockpp(nn.Module):
        def __init__(self, channels, skip_rescale=False, init_scale=0.0):
            super().__init__()
            self.GroupNorm_0 = nn.GroupNorm(
                num_groups=min(channels // 4, 32), num_channels=channels, eps=1e-6
            )
            self.NIN_0 = NIN(channels, channels)
            self.NIN_1 = NIN(channels, channels)
            self.NIN_2 = NIN(channels, channels)
            self.NIN_3 = NIN(channels, channels, init_scale=init_scale)
            self.skip_rescale = skip_rescale

        def forward(self, x):
            B, C, H, W = x.shape
            h = self.GroupNorm_0(x)
            q = self.NIN_0(h)
            k = self.NIN_1(h)
            v = self.NIN_2(h)
            w = torch.einsum('bchw,bcij->bhwij', q, k) * (int(C) ** (-0.5))
            w = torch.reshape(w, (B, H, W, H * W))
            w = F.softmax(w, dim=-1)
            w = torch.reshape(w, (B, H, W, H, W))
            h = torch.einsum('bhwij,bcij->bchw', w, v)
            h = self.NIN_3(h)
            if not self.skip_rescale:
                return x + h
            else:
                return (x + h) / np.sqrt(2.0)

    class Upsample(nn.Module):
        def __init__(
            self, in_ch=None, out_ch=None, with_conv=False, fir=False, fir_kernel=(1, 3, 3, 1)
        ):
            super().__init__()
            out_ch = out_ch if out_ch else in_ch
            if not fir:
                if with_conv:
                    self.Conv_0 = conv3x3(in_ch, out_ch)
            else:
                if with_conv:
                    self.Conv2d_0 = up_or_down_sampling['Conv2d'](
                        in_ch,
                        out_ch,
                        kernel=3,
                        up=True,
                        resample_kernel=fir_kernel,
                        use_bias=True,
                        kernel_init=default_init(),
                    )
            self.fir = fir
            self.with_conv = with_conv
            self.fir_kernel = fir_kernel
            self.out_ch = out_ch

        def forward(self, x):
            B, C, H, W = x.shape
            if not self.fir:
                h = F.interpolate(x, (H * 2, W * 2), 'nearest')
                if self.with_conv:
                    h = self.Conv_0(h)
            else:
                if not self.with_conv:
                    h = up_or_down_sampling['upsample_2d'](x, self.fir_kernel, factor=2)
                else:
                    h = self.Conv2d_0(x)
            return h

    class Downsample(nn.Module):
        def __init__(
            self, in_ch=None, out_ch=None, with_conv=False, fir=False, fir_kernel=(1, 3, 3, 1)
        ):
            super().__init__()
            out_ch = out_ch if out_ch else in_ch
            if not fir:
                if with_conv:
                    self.Conv_0 = conv3x3(in_ch, out_ch, stride=2, padding=0)
            else:
                if with_conv:
                    self.Conv2d_0 = up_or_down_sampling['Conv2d'](
                        in_ch,
                        out_ch,
                        kernel=3,
                        down=True,
                        resample_kernel=fir_kernel,
                        use_bias=True,
                        kernel_init=default_init(),
                    )
            self.fir = fir
            self.fir_kernel = fir_kernel
            self.with_conv = with_conv
            self.out_ch = out_ch

        def forward(self, x):
            B, C, H, W = x.shape
            if not self.fir:
                if self.with_conv:
                    x = F.pad(x, (0, 1, 0, 1))
                    x = self.Conv_0(x)
                else:
                    x = F.avg_pool2d(x, 2, stride=2)
            else:
                if not self.with_conv:
                    x = up_or_down_sampling['downsample_2d'](x, self.fir_kernel, factor=2)
                else:
                    x = self.Conv2d_0(x)
            return x

    class ResnetBlockBigGANpp(nn.Module):
        def __init__(
            self,
            act,
            in_ch,
            out_ch=None,
            temb_dim=None,
            up=False,
            down=False,
            dropout=0.1,
            fir=False,
            fir_kernel=(1, 3, 3, 1),
            skip_rescale=True,
            init_scale=0.0,
        ):
            super().__init__()
            out_ch = out_ch if out_ch else in_ch
            self.GroupNorm_0 = nn.GroupNorm(
                num_groups=min(in_ch // 4, 32), num_channels=in_ch, eps=1e-6
            )
            self.up = up
            self.down = down
            self.fir = fir
            self.fir_kernel = fir_kernel
            self.Conv_0 = conv3x3(in_ch, out_ch)
            if temb_dim is not None:
                self.Dense_0 = nn.Linear(temb_dim, out_ch)
                self.Dense_0.weight.data = default_init()(self.Dense_0.weight.shape)
                nn.init.zeros_(self.Dense_0.bias)
            self.GroupNorm_1 = nn.GroupNorm(
                num_groups=min(out_ch // 4, 32), num_channels=out_ch, eps=1e-6
            )
            self.Dropout_0 = nn.Dropout(dropout)
            self.Conv_1 = conv3x3(out_ch, out_ch, init_scale=init_scale)
            if in_ch != out_ch or up or down:
                self.Conv_2 = conv1x1(in_ch, out_ch)
            self.skip_rescale = skip_rescale
            self.act = act
            self.in_ch = in_ch
            self.out_ch = out_ch

        def forward(self, x, temb=None):
            h = self.act(self.GroupNorm_0(x))
            if self.up:
                if self.fir:
                    h = up_or_down_sampling['upsample_2d'](h, self.fir_kernel, factor=2)
                    x = up_or_down_sampling['upsample_2d'](x, self.fir_kernel, factor=2)
                else:
                    h = up_or_down_sampling['naive_upsample_2d'](h, factor=2)
                    x = up_or_down_sampling['naive_upsample_2d'](x, factor=2)
            elif self.down:
                if self.fir:
                    h = up_or_down_sampling['downsample_2d'](h, self.fir_kernel, factor=2)
                    x = up_or_down_sampling['downsample_2d'](x, self.fir_kernel, factor=2)
                else:
                    h = up_or_down_sampling['naive_downsample_2d'](h, factor=2)
                    x = up_or_down_sampling['naive_downsample_2d'](x, factor=2)
            h = self.Conv_0(h)
            if temb is not None:
                h += self.Dense_0(self.act(temb))[:, :, None, None]
            h = self.act(self.GroupNorm_1(h))
            h = self.Dropout_0(h)
            h = self.Conv_1(h)
            if self.in_ch != self.out_ch or self.up or self.down:
                x = self.Conv_2(x)
            if not self.skip_rescale:
                return x + h
            else:
                return (x + h) / np.sqrt(2.0)

    return dict(
        GaussianFourierProjection=GaussianFourierProjection,
        Combine=Combine,
        AttnBlockpp=AttnBlockpp,
        Upsample=Upsample,
        Downsample=Downsample,
        ResnetBlockBigGANpp=ResnetBlockBigGANpp,
        layers=layers,
        up_or_down_sampling=up_or_down_sampling,
    )


def _feat(L, shape, seed):
    rng = np.random.default_rng(seed)
    return L.from_numpy(rng.standard_normal(shape).astype(np.float32)).requires_grad_()


def fir_resampling(L):
    """upfirdn2d / upsample_2d / downsample_2d / naive versions on 8x8 maps, the fused FIR
    convs (the repo's negative-step slice refused), variance_scaling's modes and errors."""
    torch = L
    o = Out()
    with o:
        torch.manual_seed(0)
        ud = _updown(L, 2)
        x = _feat(L, (2, 3, 8, 8), 0)
        outs = [
            ud['upsample_2d'](x, (1, 3, 3, 1)),
            ud['downsample_2d'](x, (1, 3, 3, 1)),
            ud['upsample_2d'](x),
            ud['downsample_2d'](x),
            ud['naive_upsample_2d'](x),
            ud['naive_downsample_2d'](x),
            ud['upfirdn2d'](x, torch.ones(3, 3) / 9, pad=(-1, 2)),
            ud['upfirdn2d'](x, torch.ones(2, 2), up=3, down=2, pad=(1, 0)),
        ]
        for y in outs:
            o.print(tuple(y.shape), y.is_contiguous())
        sum(y.square().sum() for y in outs).backward()
        o.vals += [y.detach() for y in outs] + [x.grad]
        for up, down in ((True, False), (False, True), (False, False)):
            conv = ud['Conv2d'](3, 4, 3, up=up, down=down, kernel_init=_layers(L)['default_init']())
            y = conv(x)
            y.sum().backward()
            o.print(up, down, tuple(y.shape))
            o.vals += [y.detach(), conv.weight.grad]
        for fix in (0, 1):
            broken = _updown(L, fix)['Conv2d'](3, 4, 3, up=True)
            o.tryit(lambda: broken(x))
        vs = _layers(L)['variance_scaling']
        for mode in ('fan_in', 'fan_out', 'fan_avg'):
            for dist in ('normal', 'uniform'):
                o.vals.append(vs(2.0, mode, dist)((4, 3, 3, 3)))
        o.tryit(lambda: vs(1.0, 'fan_max', 'normal')((2, 2)))
        o.tryit(lambda: vs(1.0, 'fan_in', 'truncated')((2, 2)))
    return o.done()


def ncsnpp_blocks(L):
    """A miniature NCSN++ path: Fourier time features, BigGAN res-blocks down (FIR) and up
    (naive), attention at 4x4, Combine by cat and by sum, FIR up/down with conv; trained two
    Adam steps on a DSM loss."""
    torch, nn = L, L.nn
    o = Out()
    with o:
        torch.manual_seed(1)
        P = _layerspp(L)
        act = nn.SiLU()
        modules = nn.ModuleList(
            [
                P['GaussianFourierProjection'](embedding_size=4, scale=16),
                nn.Linear(8, 16),
                P['layers']['conv3x3'](1, 8),
                P['ResnetBlockBigGANpp'](act, 8, 8, temb_dim=16, down=True, fir=True, dropout=0.0),
                P['AttnBlockpp'](8, skip_rescale=True),
                P['ResnetBlockBigGANpp'](act, 8, 8, temb_dim=16, up=True, fir=False, dropout=0.0),
                P['Combine'](1, 8, method='cat'),
                P['Combine'](8, 8, method='sum'),
                P['Upsample'](8, 8, with_conv=True, fir=True),
                P['Downsample'](8, 8, with_conv=True, fir=True),
                P['Upsample'](8, with_conv=True, fir=False),
                P['Downsample'](8, with_conv=True, fir=False),
                P['Downsample'](8, with_conv=False, fir=True),
                P['layers']['conv3x3'](16, 1, init_scale=0.0),
            ]
        )
        o.print(modules[4])
        opt = torch.optim.Adam(modules.parameters(), lr=2e-3)
        for step in range(2):
            x = torch.from_numpy(np.random.default_rng(step).random((2, 1, 8, 8), dtype=np.float32))
            sigmas = torch.tensor([0.5, 2.0])
            z = torch.randn_like(x)
            xt = x + z * sigmas[:, None, None, None]
            temb = modules[1](modules[0](torch.log(sigmas)))
            h = modules[2](xt)
            d = modules[3](h, temb)
            d = modules[4](d)
            u = modules[5](d, temb)
            c = modules[6](xt, u)
            s = modules[7](u, h)
            # layerspp.Upsample's F.interpolate(x, (H * 2, W * 2), 'nearest') passes 'nearest'
            # as scale_factor: refused (ValueError) on PyTorch
            o.tryit(lambda: modules[10](s))
            f = modules[9](modules[8](s)) + modules[11](
                modules[10].Conv_0(nn.functional.interpolate(s, scale_factor=2))
            )
            f = f + nn.functional.interpolate(modules[12](s), scale_factor=2)
            out = (
                modules[13](torch.cat([c[:, :8] + f, c[:, 8:]], dim=1))
                / sigmas[:, None, None, None]
            )
            loss = ((out * sigmas[:, None, None, None] + z) ** 2).sum(dim=(1, 2, 3)).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            o.print("step {} loss {:.4f}".format(step, loss.item()))
            o.vals += [loss.detach(), out.detach()]
        o.tryit(lambda: P['Combine'](1, 8, method='avg')(xt, u))
        # the attention key bias (4.NIN_1.b) shifts every logit of a softmax row alike: its
        # gradient is zero in exact arithmetic, so what Adam makes of the rounding noise is
        # left out of the comparison
        o.vals += [p.detach() for n, p in modules.named_parameters() if n != '4.NIN_1.b']
    return o.done()
