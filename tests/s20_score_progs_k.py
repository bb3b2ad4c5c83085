"""yang-song/score_sde_pytorch models/normalization.py and the NCSNv2 layers of
models/layers.py as users type them (InstanceNorm2dPlus, VarianceNorm2d, ConditionalBatchNorm2d,
ncsn_conv3x3, CRPBlock with max / average pooling, MSFBlock's bilinear align_corners fusion,
ConvMeanPool, UpsampleConv through PixelShuffle), assembled into a tiny NCSNv2-style net
(output / used_sigmas) trained two steps on the annealed DSM loss of 1x8x8 images."""

import numpy as np
from s16_yunjey_progs import Out
from s20_score_progs_d import _losses


def _blocks(L):
    torch, nn = L, L.nn
    F = nn.functional

    def ncsn_conv3x3(
        in_planes, out_planes, stride=1, bias=True, dilation=1, init_scale=1.0, padding=1
    ):
        init_scale = 1e-10 if init_scale == 0 else init_scale
        conv = nn.Conv2d(
            in_planes,
            out_planes,
            stride=stride,
            bias=bias,
            dilation=dilation,
            padding=padding,
            kernel_size=3,
        )
        conv.weight.data *= init_scale
        if bias:
            conv.bias.data *= init_scale
        return conv

    class InstanceNorm2dPlus(nn.Module):
        def __init__(self, num_features, bias=True):
            super().__init__()
            self.num_features = num_features
            self.bias = bias
            self.instance_norm = nn.InstanceNorm2d(
                num_features, affine=False, track_running_stats=False
            )
            self.alpha = nn.Parameter(torch.zeros(num_features))
            self.gamma = nn.Parameter(torch.zeros(num_features))
            self.alpha.data.normal_(1, 0.02)
            self.gamma.data.normal_(1, 0.02)
            if bias:
                self.beta = nn.Parameter(torch.zeros(num_features))

        def forward(self, x):
            means = torch.mean(x, dim=(2, 3))
            m = torch.mean(means, dim=-1, keepdim=True)
            v = torch.var(means, dim=-1, keepdim=True)
            means = (means - m) / (torch.sqrt(v + 1e-5))
            h = self.instance_norm(x)
            if self.bias:
                h = h + means[..., None, None] * self.alpha[..., None, None]
                out = self.gamma.view(-1, self.num_features, 1, 1) * h + self.beta.view(
                    -1, self.num_features, 1, 1
                )
            else:
                h = h + means[..., None, None] * self.alpha[..., None, None]
                out = self.gamma.view(-1, self.num_features, 1, 1) * h
            return out

    class VarianceNorm2d(nn.Module):
        def __init__(self, num_features, bias=False):
            super().__init__()
            self.num_features = num_features
            self.bias = bias
            self.alpha = nn.Parameter(torch.zeros(num_features))
            self.alpha.data.normal_(1, 0.02)

        def forward(self, x):
            vars = torch.var(x, dim=(2, 3), keepdim=True)
            h = x / torch.sqrt(vars + 1e-5)
            out = self.alpha.view(-1, self.num_features, 1, 1) * h
            return out

    class ConditionalBatchNorm2d(nn.Module):
        def __init__(self, num_features, num_classes, bias=True):
            super().__init__()
            self.num_features = num_features
            self.bias = bias
            self.bn = nn.BatchNorm2d(num_features, affine=False)
            if self.bias:
                self.embed = nn.Embedding(num_classes, num_features * 2)
                self.embed.weight.data[:, :num_features].uniform_()
                self.embed.weight.data[:, num_features:].zero_()
            else:
                self.embed = nn.Embedding(num_classes, num_features)
                self.embed.weight.data.uniform_()

        def forward(self, x, y):
            out = self.bn(x)
            if self.bias:
                gamma, beta = self.embed(y).chunk(2, dim=1)
                out = gamma.view(-1, self.num_features, 1, 1) * out + beta.view(
                    -1, self.num_features, 1, 1
                )
            else:
                gamma = self.embed(y)
                out = gamma.view(-1, self.num_features, 1, 1) * out
            return out

    class CRPBlock(nn.Module):
        def __init__(self, features, n_stages, act=nn.ReLU(), maxpool=True):
            super().__init__()
            self.convs = nn.ModuleList()
            for i in range(n_stages):
                self.convs.append(ncsn_conv3x3(features, features, stride=1, bias=False))
            self.n_stages = n_stages
            if maxpool:
                self.pool = nn.MaxPool2d(kernel_size=5, stride=1, padding=2)
            else:
                self.pool = nn.AvgPool2d(kernel_size=5, stride=1, padding=2)
            self.act = act

        def forward(self, x):
            x = self.act(x)
            path = x
            for i in range(self.n_stages):
                path = self.pool(path)
                path = self.convs[i](path)
                x = path + x
            return x

    class MSFBlock(nn.Module):
        def __init__(self, in_planes, features):
            super().__init__()
            assert isinstance(in_planes, list) or isinstance(in_planes, tuple)
            self.convs = nn.ModuleList()
            self.features = features
            for i in range(len(in_planes)):
                self.convs.append(ncsn_conv3x3(in_planes[i], features, stride=1, bias=True))

        def forward(self, xs, shape):
            sums = torch.zeros(xs[0].shape[0], self.features, *shape, device=xs[0].device)
            for i in range(len(self.convs)):
                h = self.convs[i](xs[i])
                h = F.interpolate(h, size=shape, mode='bilinear', align_corners=True)
                sums += h
            return sums

    class ConvMeanPool(nn.Module):
        def __init__(self, input_dim, output_dim, kernel_size=3, biases=True, adjust_padding=False):
            super().__init__()
            conv = nn.Conv2d(
                input_dim, output_dim, kernel_size, stride=1, padding=kernel_size // 2, bias=biases
            )
            if not adjust_padding:
                self.conv = conv
            else:
                self.conv = nn.Sequential(nn.ZeroPad2d((1, 0, 1, 0)), conv)

        def forward(self, inputs):
            output = self.conv(inputs)
            output = (
                sum(
                    [
                        output[:, :, ::2, ::2],
                        output[:, :, 1::2, ::2],
                        output[:, :, ::2, 1::2],
                        output[:, :, 1::2, 1::2],
                    ]
                )
                / 4.0
            )
            return output

    class UpsampleConv(nn.Module):
        def __init__(self, input_dim, output_dim, kernel_size=3, biases=True):
            super().__init__()
            self.conv = nn.Conv2d(
                input_dim, output_dim, kernel_size, stride=1, padding=kernel_size // 2, bias=biases
            )
            self.pixelshuffle = nn.PixelShuffle(upscale_factor=2)

        def forward(self, inputs):
            output = inputs
            output = torch.cat([output, output, output, output], dim=1)
            output = self.pixelshuffle(output)
            return self.conv(output)

    class TinyNCSNv2(nn.Module):
        def __init__(self, sigmas, nf=4):
            super().__init__()
            self.register_buffer('sigmas', sigmas)
            self.act = nn.ELU()
            self.begin_conv = ncsn_conv3x3(1, nf)
            self.norm1 = InstanceNorm2dPlus(nf)
            self.down = ConvMeanPool(nf, 2 * nf)
            self.vnorm = VarianceNorm2d(2 * nf)
            self.crp_max = CRPBlock(2 * nf, 2, act=self.act, maxpool=True)
            self.crp_avg = CRPBlock(nf, 1, act=self.act, maxpool=False)
            self.msf = MSFBlock([2 * nf, nf], nf)
            self.up = UpsampleConv(2 * nf, nf)
            self.norm2 = InstanceNorm2dPlus(nf, bias=False)
            self.end_conv = ncsn_conv3x3(nf, 1, init_scale=0.0)

        def forward(self, x, y):
            h = 2 * x - 1.0
            h = self.begin_conv(h)
            h1 = self.act(self.norm1(h))
            h2 = self.vnorm(self.down(h1))
            h2 = self.crp_max(h2)
            fused = self.msf([h2, self.crp_avg(h1)], x.shape[2:]) + self.up(h2)
            output = self.end_conv(self.act(self.norm2(fused)))
            used_sigmas = self.sigmas[y].view(x.shape[0], *([1] * len(x.shape[1:])))
            output = output / used_sigmas
            return output

    return TinyNCSNv2, ConditionalBatchNorm2d, InstanceNorm2dPlus


def ncsnv2(L):
    torch = L
    o = Out()
    with o:
        torch.manual_seed(0)
        TinyNCSNv2, ConditionalBatchNorm2d, InstanceNorm2dPlus = _blocks(L)
        sigmas = torch.tensor(np.exp(np.linspace(np.log(5.0), np.log(0.01), 4))).float()
        score = TinyNCSNv2(sigmas)
        o.print(score.crp_max)
        o.print(score.up)
        anneal_dsm = _losses(L)[0]
        optimizer = torch.optim.Adam(score.parameters(), lr=1e-3, betas=(0.9, 0.999), amsgrad=True)
        for step in range(2):
            X = torch.from_numpy(np.random.default_rng(step).random((3, 1, 8, 8), dtype=np.float32))
            labels = torch.randint(0, len(sigmas), (X.shape[0],), device=X.device)
            loss = anneal_dsm(score, X, labels, sigmas, anneal_power=2.0)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            o.print("step: {}, loss: {:.4f}".format(step, loss.item()))
            o.vals.append(loss.detach())
        cbn = ConditionalBatchNorm2d(4, 3)
        cbn2 = ConditionalBatchNorm2d(4, 3, bias=False)
        h = torch.randn(3, 4, 2, 2)
        y = torch.tensor([0, 2, 1])
        out = cbn(h, y) + cbn2(h, y)
        cbn.eval()
        o.print(cbn.bn.running_mean.shape, cbn.bn.num_batches_tracked.item())
        o.vals += [out, cbn(h, y), cbn.bn.running_var]
        o.tryit(lambda: InstanceNorm2dPlus(4)(torch.randn(2, 3, 4, 4)))
        o.tryit(lambda: score(X, labels.float()))
        o.vals += [p.detach() for p in score.parameters()]
    return o.done()
