"""yang-song/score_sde_pytorch models/layers.py, layerspp.py and up_or_down_sampling.py as
users type them (the NCSN++ building blocks): variance_scaling / default_init, ddpm conv
helpers, NIN through contract_inner's generated einsum strings, AttnBlockpp, Combine,
GaussianFourierProjection, FIR Upsample / Downsample via upfirdn2d_native (F.pad with
negative pads, a flipped kernel, strided views), the fused up / down convs (the repo's
w[..., ::-1, ::-1] and its 4-long conv_transpose2d stride refused as PyTorch refuses them,
then fixed), ResnetBlockBigGANpp."""

import string

import numpy as np


def _layers(L):
    torch, nn = L, L.nn

    def variance_scaling(
        scale, mode, distribution, in_axis=1, out_axis=0, dtype=torch.float32, device='cpu'
    ):
        def _compute_fans(shape, in_axis=1, out_axis=0):
            receptive_field_size = np.prod(shape) / shape[in_axis] / shape[out_axis]
            fan_in = shape[in_axis] * receptive_field_size
            fan_out = shape[out_axis] * receptive_field_size
            return fan_in, fan_out

        def init(shape, dtype=dtype, device=device):
            fan_in, fan_out = _compute_fans(shape, in_axis, out_axis)
            if mode == "fan_in":
                denominator = fan_in
            elif mode == "fan_out":
                denominator = fan_out
            elif mode == "fan_avg":
                denominator = (fan_in + fan_out) / 2
            else:
                raise ValueError("invalid mode for variance scaling initializer: {}".format(mode))
            variance = scale / denominator
            if distribution == "normal":
                return torch.randn(*shape, dtype=dtype, device=device) * np.sqrt(variance)
            elif distribution == "uniform":
                return (torch.rand(*shape, dtype=dtype, device=device) * 2.0 - 1.0) * np.sqrt(
                    3 * variance
                )
            else:
                raise ValueError("invalid distribution for variance scaling initializer")

        return init

    def default_init(scale=1.0):
        scale = 1e-10 if scale == 0 else scale
        return variance_scaling(scale, 'fan_avg', 'uniform')

    def conv1x1(in_planes, out_planes, stride=1, bias=True, init_scale=1.0, padding=0):
        conv = nn.Conv2d(
            in_planes, out_planes, kernel_size=1, stride=stride, padding=padding, bias=bias
        )
        conv.weight.data = default_init(init_scale)(conv.weight.data.shape)
        nn.init.zeros_(conv.bias)
        return conv

    def conv3x3(in_planes, out_planes, stride=1, bias=True, dilation=1, init_scale=1.0, padding=1):
        conv = nn.Conv2d(
            in_planes,
            out_planes,
            kernel_size=3,
            stride=stride,
            padding=padding,
            dilation=dilation,
            bias=bias,
        )
        conv.weight.data = default_init(init_scale)(conv.weight.data.shape)
        nn.init.zeros_(conv.bias)
        return conv

    def _einsum(a, b, c, x, y):
        einsum_str = '{},{}->{}'.format(''.join(a), ''.join(b), ''.join(c))
        return torch.einsum(einsum_str, x, y)

    def contract_inner(x, y):
        x_chars = list(string.ascii_lowercase[: len(x.shape)])
        y_chars = list(string.ascii_lowercase[len(x.shape) : len(y.shape) + len(x.shape)])
        y_chars[0] = x_chars[-1]
        out_chars = x_chars[:-1] + y_chars[1:]
        return _einsum(x_chars, y_chars, out_chars, x, y)

    class NIN(nn.Module):
        def __init__(self, in_dim, num_units, init_scale=0.1):
            super().__init__()
            self.W = nn.Parameter(
                default_init(scale=init_scale)((in_dim, num_units)), requires_grad=True
            )
            self.b = nn.Parameter(torch.zeros(num_units), requires_grad=True)

        def forward(self, x):
            x = x.permute(0, 2, 3, 1)
            y = contract_inner(x, self.W) + self.b
            return y.permute(0, 3, 1, 2)

    return dict(
        variance_scaling=variance_scaling,
        default_init=default_init,
        conv1x1=conv1x1,
        conv3x3=conv3x3,
        NIN=NIN,
    )


def _updown(L, flip_fix=2):
    """flip_fix 0: the repo's upsample_conv_2d (w[..., ::-1, ::-1]); 1: torch.flip but the
    repo's 4-long stride list; 2: both fixed, stride=(factor, factor)."""
    torch, nn = L, L.nn
    F = nn.functional

    def upfirdn2d_native(input, kernel, up_x, up_y, down_x, down_y, pad_x0, pad_x1, pad_y0, pad_y1):
        _, channel, in_h, in_w = input.shape
        input = input.reshape(-1, in_h, in_w, 1)
        _, in_h, in_w, minor = input.shape
        kernel_h, kernel_w = kernel.shape
        out = input.view(-1, in_h, 1, in_w, 1, minor)
        out = F.pad(out, [0, 0, 0, up_x - 1, 0, 0, 0, up_y - 1])
        out = out.view(-1, in_h * up_y, in_w * up_x, minor)
        out = F.pad(out, [0, 0, max(pad_x0, 0), max(pad_x1, 0), max(pad_y0, 0), max(pad_y1, 0)])
        out = out[
            :,
            max(-pad_y0, 0) : out.shape[1] - max(-pad_y1, 0),
            max(-pad_x0, 0) : out.shape[2] - max(-pad_x1, 0),
            :,
        ]
        out = out.permute(0, 3, 1, 2)
        out = out.reshape([-1, 1, in_h * up_y + pad_y0 + pad_y1, in_w * up_x + pad_x0 + pad_x1])
        w = torch.flip(kernel, [0, 1]).view(1, 1, kernel_h, kernel_w)
        out = F.conv2d(out, w)
        out = out.reshape(
            -1,
            minor,
            in_h * up_y + pad_y0 + pad_y1 - kernel_h + 1,
            in_w * up_x + pad_x0 + pad_x1 - kernel_w + 1,
        )
        out = out.permute(0, 2, 3, 1)
        out = out[:, ::down_y, ::down_x, :]
        out_h = (in_h * up_y + pad_y0 + pad_y1 - kernel_h) // down_y + 1
        out_w = (in_w * up_x + pad_x0 + pad_x1 - kernel_w) // down_x + 1
        return out.view(-1, channel, out_h, out_w)

    def upfirdn2d(input, kernel, up=1, down=1, pad=(0, 0)):
        return upfirdn2d_native(input, kernel, up, up, down, down, pad[0], pad[1], pad[0], pad[1])

    def _setup_kernel(k):
        k = np.asarray(k, dtype=np.float32)
        if k.ndim == 1:
            k = np.outer(k, k)
        k /= np.sum(k)
        assert k.ndim == 2
        assert k.shape[0] == k.shape[1]
        return k

    def _shape(x, dim):
        return x.shape[dim]

    def upsample_conv_2d(x, w, k=None, factor=2, gain=1):
        assert isinstance(factor, int) and factor >= 1
        assert len(w.shape) == 4
        convH = w.shape[2]
        convW = w.shape[3]
        inC = w.shape[1]
        assert convW == convH
        if k is None:
            k = [1] * factor
        k = _setup_kernel(k) * (gain * (factor**2))
        p = (k.shape[0] - factor) - (convW - 1)
        stride = [1, 1, factor, factor] if flip_fix < 2 else [factor, factor]
        output_shape = ((_shape(x, 2) - 1) * factor + convH, (_shape(x, 3) - 1) * factor + convW)
        output_padding = (
            output_shape[0] - (_shape(x, 2) - 1) * stride[0] - convH,
            output_shape[1] - (_shape(x, 3) - 1) * stride[1] - convW,
        )
        assert output_padding[0] >= 0 and output_padding[1] >= 0
        num_groups = _shape(x, 1) // inC
        w = torch.reshape(w, (num_groups, -1, inC, convH, convW))
        if flip_fix:
            w = torch.flip(w, dims=(3, 4)).permute(0, 2, 1, 3, 4)
        else:
            w = w[..., ::-1, ::-1].permute(0, 2, 1, 3, 4)
        w = torch.reshape(w, (num_groups * inC, -1, convH, convW))
        x = F.conv_transpose2d(x, w, stride=stride, output_padding=output_padding, padding=0)
        return upfirdn2d(
            x, torch.tensor(k, device=x.device), pad=((p + 1) // 2 + factor - 1, p // 2 + 1)
        )

    def conv_downsample_2d(x, w, k=None, factor=2, gain=1):
        assert isinstance(factor, int) and factor >= 1
        _outC, _inC, convH, convW = w.shape
        assert convW == convH
        if k is None:
            k = [1] * factor
        k = _setup_kernel(k) * gain
        p = (k.shape[0] - factor) + (convW - 1)
        s = [factor, factor]
        x = upfirdn2d(x, torch.tensor(k, device=x.device), pad=((p + 1) // 2, p // 2))
        return F.conv2d(x, w, stride=s, padding=0)

    def upsample_2d(x, k=None, factor=2, gain=1):
        if k is None:
            k = [1] * factor
        k = _setup_kernel(k) * (gain * (factor**2))
        p = k.shape[0] - factor
        return upfirdn2d(
            x, torch.tensor(k, device=x.device), up=factor, pad=((p + 1) // 2 + factor - 1, p // 2)
        )

    def downsample_2d(x, k=None, factor=2, gain=1):
        if k is None:
            k = [1] * factor
        k = _setup_kernel(k) * gain
        p = k.shape[0] - factor
        return upfirdn2d(
            x, torch.tensor(k, device=x.device), down=factor, pad=((p + 1) // 2, p // 2)
        )

    def naive_upsample_2d(x, factor=2):
        _N, C, H, W = x.shape
        x = torch.reshape(x, (-1, C, H, 1, W, 1))
        x = x.repeat(1, 1, 1, factor, 1, factor)
        return torch.reshape(x, (-1, C, H * factor, W * factor))

    def naive_downsample_2d(x, factor=2):
        _N, C, H, W = x.shape
        x = torch.reshape(x, (-1, C, H // factor, factor, W // factor, factor))
        return torch.mean(x, dim=(3, 5))

    class Conv2d(nn.Module):
        def __init__(
            self,
            in_ch,
            out_ch,
            kernel,
            up=False,
            down=False,
            resample_kernel=(1, 3, 3, 1),
            use_bias=True,
            kernel_init=None,
        ):
            super().__init__()
            assert not (up and down)
            assert kernel >= 1 and kernel % 2 == 1
            self.weight = nn.Parameter(torch.zeros(out_ch, in_ch, kernel, kernel))
            if kernel_init is not None:
                self.weight.data = kernel_init(self.weight.data.shape)
            if use_bias:
                self.bias = nn.Parameter(torch.zeros(out_ch))
            self.up = up
            self.down = down
            self.resample_kernel = resample_kernel
            self.kernel = kernel
            self.use_bias = use_bias

        def forward(self, x):
            if self.up:
                x = upsample_conv_2d(x, self.weight, k=self.resample_kernel)
            elif self.down:
                x = conv_downsample_2d(x, self.weight, k=self.resample_kernel)
            else:
                x = F.conv2d(x, self.weight, stride=1, padding=self.kernel // 2)
            if self.use_bias:
                x = x + self.bias.reshape(1, -1, 1, 1)
            return x

    return dict(
        upfirdn2d=upfirdn2d,
        upsample_2d=upsample_2d,
        downsample_2d=downsample_2d,
        naive_upsample_2d=naive_upsample_2d,
        naive_downsample_2d=naive_downsample_2d,
        Conv2d=Conv2d,
    )
