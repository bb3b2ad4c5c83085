"""Modern architectures (see tests/s20_archs_progs.py), this file: the attention modules added
to ResNets (CBAM: Jongchan/attention-module MODELS/cbam.py channel and spatial gates; ECA:
BangguWu/ECANet models/eca_module.py, a Conv1d over the squeezed channels) and Res2Net's
split-and-add bottleneck (Res2Net/Res2Net-PretrainedModels res2net.py, torch.split)."""

import math

from s16_yunjey_progs import Out


def cbam_eca(L):
    nn, F = L.nn, L.nn.functional

    class BasicConv(nn.Module):
        def __init__(self, in_planes, out_planes, kernel_size, stride=1, padding=0, dilation=1, groups=1, relu=True, bn=True, bias=False):
            super(BasicConv, self).__init__()
            self.out_channels = out_planes
            self.conv = nn.Conv2d(in_planes, out_planes, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation, groups=groups, bias=bias)
            self.bn = nn.BatchNorm2d(out_planes, eps=1e-5, momentum=0.01, affine=True) if bn else None
            self.relu = nn.ReLU() if relu else None

        def forward(self, x):
            x = self.conv(x)
            if self.bn is not None:
                x = self.bn(x)
            if self.relu is not None:
                x = self.relu(x)
            return x

    class Flatten(nn.Module):
        def forward(self, x):
            return x.view(x.size(0), -1)

    def logsumexp_2d(tensor):
        tensor_flatten = tensor.view(tensor.size(0), tensor.size(1), -1)
        s, _ = L.max(tensor_flatten, dim=2, keepdim=True)
        outputs = s + (tensor_flatten - s).exp().sum(dim=2, keepdim=True).log()
        return outputs

    class ChannelGate(nn.Module):
        def __init__(self, gate_channels, reduction_ratio=16, pool_types=['avg', 'max']):
            super(ChannelGate, self).__init__()
            self.gate_channels = gate_channels
            self.mlp = nn.Sequential(
                Flatten(),
                nn.Linear(gate_channels, gate_channels // reduction_ratio),
                nn.ReLU(),
                nn.Linear(gate_channels // reduction_ratio, gate_channels)
            )
            self.pool_types = pool_types

        def forward(self, x):
            channel_att_sum = None
            for pool_type in self.pool_types:
                if pool_type == 'avg':
                    avg_pool = F.avg_pool2d(x, (x.size(2), x.size(3)), stride=(x.size(2), x.size(3)))
                    channel_att_raw = self.mlp(avg_pool)
                elif pool_type == 'max':
                    max_pool = F.max_pool2d(x, (x.size(2), x.size(3)), stride=(x.size(2), x.size(3)))
                    channel_att_raw = self.mlp(max_pool)
                elif pool_type == 'lp':
                    lp_pool = F.lp_pool2d(x, 2, (x.size(2), x.size(3)), stride=(x.size(2), x.size(3)))
                    channel_att_raw = self.mlp(lp_pool)
                elif pool_type == 'lse':
                    lse_pool = logsumexp_2d(x)
                    channel_att_raw = self.mlp(lse_pool)
                if channel_att_sum is None:
                    channel_att_sum = channel_att_raw
                else:
                    channel_att_sum = channel_att_sum + channel_att_raw
            scale = F.sigmoid(channel_att_sum).unsqueeze(2).unsqueeze(3).expand_as(x)
            return x * scale

    class ChannelPool(nn.Module):
        def forward(self, x):
            return L.cat((L.max(x, 1)[0].unsqueeze(1), L.mean(x, 1).unsqueeze(1)), dim=1)

    class SpatialGate(nn.Module):
        def __init__(self):
            super(SpatialGate, self).__init__()
            kernel_size = 7
            self.compress = ChannelPool()
            self.spatial = BasicConv(2, 1, kernel_size, stride=1, padding=(kernel_size-1) // 2, relu=False)

        def forward(self, x):
            x_compress = self.compress(x)
            x_out = self.spatial(x_compress)
            scale = F.sigmoid(x_out)  # broadcasting
            return x * scale

    class CBAM(nn.Module):
        def __init__(self, gate_channels, reduction_ratio=16, pool_types=['avg', 'max'], no_spatial=False):
            super(CBAM, self).__init__()
            self.ChannelGate = ChannelGate(gate_channels, reduction_ratio, pool_types)
            self.no_spatial = no_spatial
            if not no_spatial:
                self.SpatialGate = SpatialGate()

        def forward(self, x):
            x_out = self.ChannelGate(x)
            if not self.no_spatial:
                x_out = self.SpatialGate(x_out)
            return x_out

    class eca_layer(nn.Module):
        def __init__(self, channel, k_size=3):
            super(eca_layer, self).__init__()
            self.avg_pool = nn.AdaptiveAvgPool2d(1)
            self.conv = nn.Conv1d(1, 1, kernel_size=k_size, padding=(k_size - 1) // 2, bias=False)
            self.sigmoid = nn.Sigmoid()

        def forward(self, x):
            y = self.avg_pool(x)
            y = self.conv(y.squeeze(-1).transpose(-1, -2)).transpose(-1, -2).unsqueeze(-1)
            y = self.sigmoid(y)
            return x * y.expand_as(x)

    with Out() as o:
        L.manual_seed(0)
        t = int(abs((math.log(16, 2) + 1) / 2))
        k = t if t % 2 else t + 1
        net = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                            CBAM(16, reduction_ratio=4, pool_types=['avg', 'max', 'lp', 'lse']),
                            eca_layer(16, k_size=k), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                            nn.Linear(16, 10))
        o.print(net[3])
        o.print(net[4])
        opt = L.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        x = L.randn(4, 3, 8, 8)
        y = L.randint(0, 10, (4,))
        for step in range(2):
            opt.zero_grad()
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
            o.print(f'{loss.item():.4f}')
            o.vals.append(loss)
        o.vals += [net[4].conv.weight.grad, net[3].SpatialGate.spatial.conv.weight.grad,
                   net[3].ChannelGate.mlp[1].weight.grad]
        net.eval()
        with L.no_grad():
            o.vals.append(net(x))
    return o.done()


def res2net(L):
    nn = L.nn

    class Bottle2neck(nn.Module):
        expansion = 4

        def __init__(self, inplanes, planes, stride=1, downsample=None, baseWidth=26, scale=4, stype='normal'):
            super(Bottle2neck, self).__init__()
            width = int(math.floor(planes * (baseWidth/64.0)))
            self.conv1 = nn.Conv2d(inplanes, width*scale, kernel_size=1, bias=False)
            self.bn1 = nn.BatchNorm2d(width*scale)
            if scale == 1:
                self.nums = 1
            else:
                self.nums = scale - 1
            if stype == 'stage':
                self.pool = nn.AvgPool2d(kernel_size=3, stride=stride, padding=1)
            convs = []
            bns = []
            for i in range(self.nums):
                convs.append(nn.Conv2d(width, width, kernel_size=3, stride=stride, padding=1, bias=False))
                bns.append(nn.BatchNorm2d(width))
            self.convs = nn.ModuleList(convs)
            self.bns = nn.ModuleList(bns)
            self.conv3 = nn.Conv2d(width*scale, planes * self.expansion, kernel_size=1, bias=False)
            self.bn3 = nn.BatchNorm2d(planes * self.expansion)
            self.relu = nn.ReLU(inplace=True)
            self.downsample = downsample
            self.stype = stype
            self.scale = scale
            self.width = width

        def forward(self, x):
            residual = x
            out = self.conv1(x)
            out = self.bn1(out)
            out = self.relu(out)
            spx = L.split(out, self.width, 1)
            for i in range(self.nums):
                if i == 0 or self.stype == 'stage':
                    sp = spx[i]
                else:
                    sp = sp + spx[i]
                sp = self.convs[i](sp)
                sp = self.relu(self.bns[i](sp))
                if i == 0:
                    out = sp
                else:
                    out = L.cat((out, sp), 1)
            if self.scale != 1 and self.stype == 'normal':
                out = L.cat((out, spx[self.nums]), 1)
            elif self.scale != 1 and self.stype == 'stage':
                out = L.cat((out, self.pool(spx[self.nums])), 1)
            out = self.conv3(out)
            out = self.bn3(out)
            if self.downsample is not None:
                residual = self.downsample(x)
            out += residual
            out = self.relu(out)
            return out

    with Out() as o:
        L.manual_seed(0)
        down = nn.Sequential(nn.Conv2d(8, 32, kernel_size=1, stride=2, bias=False), nn.BatchNorm2d(32))
        net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False),
                            Bottle2neck(8, 8, stride=2, downsample=down, baseWidth=26, scale=4, stype='stage'),
                            Bottle2neck(32, 8, baseWidth=26, scale=4),
                            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
        for m in net.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        o.print(net[2])
        o.print([t.shape for t in L.split(L.zeros(1, 12, 2, 2), 5, 1)])
        opt = L.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
        x = L.randn(4, 3, 8, 8)
        y = L.randint(0, 10, (4,))
        for step in range(2):
            opt.zero_grad()
            loss = nn.CrossEntropyLoss()(net(x), y)
            loss.backward()
            opt.step()
            o.print(f'{loss.item():.4f}')
            o.vals.append(loss)
        o.vals += [net[1].convs[2].weight.grad, net[2].bns[0].running_var]
        net.eval()
        with L.no_grad():
            o.vals.append(net(x))
    return o.done()
