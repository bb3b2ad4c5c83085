"""Modern architectures (see tests/s20_archs_progs.py), this file: PoolFormer's token mixer
(sail-sg/poolformer models/poolformer.py: AvgPool2d with count_include_pad=False, GroupNorm(1,
C), layer scale), RepVGG's structural re-parameterization (DingXiaoH/RepVGG repvgg.py: BN
fused into the conv, the 1x1 kernel padded to 3x3, the identity branch as a kernel) and
ShuffleNetV2's channel shuffle and split (the torchvision-style block)."""

import numpy as np
from s16_yunjey_progs import Out


def poolformer(L):
    nn = L.nn
    _, _, DropPath, trunc_normal_ = __import__("s20_archs_progs")._timm(L)

    class GroupNorm(nn.GroupNorm):
        def __init__(self, num_channels, **kwargs):
            super().__init__(1, num_channels, **kwargs)

    class Pooling(nn.Module):
        def __init__(self, pool_size=3):
            super().__init__()
            self.pool = nn.AvgPool2d(pool_size, stride=1, padding=pool_size//2, count_include_pad=False)

        def forward(self, x):
            return self.pool(x) - x

    class Mlp(nn.Module):
        def __init__(self, in_features, hidden_features=None, out_features=None, act_layer=nn.GELU, drop=0.):
            super().__init__()
            out_features = out_features or in_features
            hidden_features = hidden_features or in_features
            self.fc1 = nn.Conv2d(in_features, hidden_features, 1)
            self.act = act_layer()
            self.fc2 = nn.Conv2d(hidden_features, out_features, 1)
            self.drop = nn.Dropout(drop)
            self.apply(self._init_weights)

        def _init_weights(self, m):
            if isinstance(m, nn.Conv2d):
                trunc_normal_(m.weight, std=.02)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)

        def forward(self, x):
            x = self.fc1(x)
            x = self.act(x)
            x = self.drop(x)
            x = self.fc2(x)
            x = self.drop(x)
            return x

    class PoolFormerBlock(nn.Module):
        def __init__(self, dim, pool_size=3, mlp_ratio=4., act_layer=nn.GELU, norm_layer=GroupNorm,
                     drop=0., drop_path=0., use_layer_scale=True, layer_scale_init_value=1e-5):
            super().__init__()
            self.norm1 = norm_layer(dim)
            self.token_mixer = Pooling(pool_size=pool_size)
            self.norm2 = norm_layer(dim)
            mlp_hidden_dim = int(dim * mlp_ratio)
            self.mlp = Mlp(in_features=dim, hidden_features=mlp_hidden_dim, act_layer=act_layer, drop=drop)
            self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()
            self.use_layer_scale = use_layer_scale
            if use_layer_scale:
                self.layer_scale_1 = nn.Parameter(layer_scale_init_value * L.ones((dim)), requires_grad=True)
                self.layer_scale_2 = nn.Parameter(layer_scale_init_value * L.ones((dim)), requires_grad=True)

        def forward(self, x):
            if self.use_layer_scale:
                x = x + self.drop_path(self.layer_scale_1.unsqueeze(-1).unsqueeze(-1) * self.token_mixer(self.norm1(x)))
                x = x + self.drop_path(self.layer_scale_2.unsqueeze(-1).unsqueeze(-1) * self.mlp(self.norm2(x)))
            else:
                x = x + self.drop_path(self.token_mixer(self.norm1(x)))
                x = x + self.drop_path(self.mlp(self.norm2(x)))
            return x

    with Out() as o:
        L.manual_seed(0)
        stem = nn.Conv2d(3, 16, kernel_size=4, stride=4)
        blocks = nn.Sequential(PoolFormerBlock(16, drop_path=0.1, layer_scale_init_value=0.1),
                               PoolFormerBlock(16, pool_size=5, layer_scale_init_value=0.1))
        norm = GroupNorm(16)
        head = nn.Linear(16, 10)
        model = nn.ModuleDict({'stem': stem, 'blocks': blocks, 'norm': norm, 'head': head})
        o.print(model['blocks'][0])
        o.print(model['norm'])

        def forward(x):
            x = model['norm'](model['blocks'](model['stem'](x)))
            return model['head'](x.mean([-2, -1]))

        opt = L.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.05)
        x = L.randn(4, 3, 16, 16)
        y = L.randint(0, 10, (4,))
        for step in range(2):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(forward(x), y)
            loss.backward()
            opt.step()
            o.print(f'{step} {loss.item():.4f}')
            o.vals.append(loss)
        o.vals += [model['blocks'][0].layer_scale_1.grad, model['blocks'][1].norm1.weight.grad,
                   model['stem'].weight.grad]
        model.eval()
        with L.no_grad():
            o.vals.append(forward(x))
        p = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
        o.print(p)
        o.vals.append(p(L.arange(16.).view(1, 1, 4, 4)))
    return o.done()


def repvgg(L):
    nn = L.nn

    def conv_bn(in_channels, out_channels, kernel_size, stride, padding, groups=1):
        result = nn.Sequential()
        result.add_module('conv', nn.Conv2d(in_channels=in_channels, out_channels=out_channels,
                                            kernel_size=kernel_size, stride=stride, padding=padding, groups=groups, bias=False))
        result.add_module('bn', nn.BatchNorm2d(num_features=out_channels))
        return result

    class RepVGGBlock(nn.Module):
        def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                     padding_mode='zeros', deploy=False):
            super(RepVGGBlock, self).__init__()
            self.deploy = deploy
            self.groups = groups
            self.in_channels = in_channels
            assert kernel_size == 3
            assert padding == 1
            padding_11 = padding - kernel_size // 2
            self.nonlinearity = nn.ReLU()
            self.se = nn.Identity()
            self.rbr_identity = nn.BatchNorm2d(num_features=in_channels) if out_channels == in_channels and stride == 1 else None
            self.rbr_dense = conv_bn(in_channels=in_channels, out_channels=out_channels, kernel_size=kernel_size, stride=stride, padding=padding, groups=groups)
            self.rbr_1x1 = conv_bn(in_channels=in_channels, out_channels=out_channels, kernel_size=1, stride=stride, padding=padding_11, groups=groups)

        def forward(self, inputs):
            if hasattr(self, 'rbr_reparam'):
                return self.nonlinearity(self.se(self.rbr_reparam(inputs)))
            if self.rbr_identity is None:
                id_out = 0
            else:
                id_out = self.rbr_identity(inputs)
            return self.nonlinearity(self.se(self.rbr_dense(inputs) + self.rbr_1x1(inputs) + id_out))

        def get_equivalent_kernel_bias(self):
            kernel3x3, bias3x3 = self._fuse_bn_tensor(self.rbr_dense)
            kernel1x1, bias1x1 = self._fuse_bn_tensor(self.rbr_1x1)
            kernelid, biasid = self._fuse_bn_tensor(self.rbr_identity)
            return kernel3x3 + self._pad_1x1_to_3x3_tensor(kernel1x1) + kernelid, bias3x3 + bias1x1 + biasid

        def _pad_1x1_to_3x3_tensor(self, kernel1x1):
            if kernel1x1 is None:
                return 0
            else:
                return L.nn.functional.pad(kernel1x1, [1, 1, 1, 1])

        def _fuse_bn_tensor(self, branch):
            if branch is None:
                return 0, 0
            if isinstance(branch, nn.Sequential):
                kernel = branch.conv.weight
                running_mean = branch.bn.running_mean
                running_var = branch.bn.running_var
                gamma = branch.bn.weight
                beta = branch.bn.bias
                eps = branch.bn.eps
            else:
                assert isinstance(branch, nn.BatchNorm2d)
                if not hasattr(self, 'id_tensor'):
                    input_dim = self.in_channels // self.groups
                    kernel_value = np.zeros((self.in_channels, input_dim, 3, 3), dtype=np.float32)
                    for i in range(self.in_channels):
                        kernel_value[i, i % input_dim, 1, 1] = 1
                    self.id_tensor = L.from_numpy(kernel_value).to(branch.weight.device)
                kernel = self.id_tensor
                running_mean = branch.running_mean
                running_var = branch.running_var
                gamma = branch.weight
                beta = branch.bias
                eps = branch.eps
            std = (running_var + eps).sqrt()
            t = (gamma / std).reshape(-1, 1, 1, 1)
            return kernel * t, beta - running_mean * gamma / std

        def switch_to_deploy(self):
            if hasattr(self, 'rbr_reparam'):
                return
            kernel, bias = self.get_equivalent_kernel_bias()
            self.rbr_reparam = nn.Conv2d(in_channels=self.rbr_dense.conv.in_channels, out_channels=self.rbr_dense.conv.out_channels,
                                         kernel_size=self.rbr_dense.conv.kernel_size, stride=self.rbr_dense.conv.stride,
                                         padding=self.rbr_dense.conv.padding, dilation=self.rbr_dense.conv.dilation, groups=self.rbr_dense.conv.groups, bias=True)
            self.rbr_reparam.weight.data = kernel
            self.rbr_reparam.bias.data = bias
            self.__delattr__('rbr_dense')
            self.__delattr__('rbr_1x1')
            if hasattr(self, 'rbr_identity'):
                self.__delattr__('rbr_identity')
            if hasattr(self, 'id_tensor'):
                self.__delattr__('id_tensor')
            self.deploy = True

    with Out() as o:
        L.manual_seed(0)
        net = nn.Sequential(RepVGGBlock(3, 8, 3, stride=2, padding=1), RepVGGBlock(8, 8, 3, padding=1),
                            RepVGGBlock(8, 8, 3, padding=1, groups=2),
                            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))
        o.print(net[1])
        opt = L.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
        x = L.randn(4, 3, 16, 16)
        y = L.randint(0, 10, (4,))
        for step in range(2):
            opt.zero_grad()
            loss = nn.CrossEntropyLoss()(net(x), y)
            loss.backward()
            opt.step()
            o.print('%.4f' % loss.item())
            o.vals.append(loss)
        net.eval()
        with L.no_grad():
            before = net(x)
            for m in net.modules():
                if hasattr(m, 'switch_to_deploy'):
                    m.switch_to_deploy()
            after = net(x)
        o.print(net[1])
        o.print(list(net.state_dict().keys()))
        o.print(((before - after).abs().max() < 1e-4).item())
        o.vals += [before, after, net[2].rbr_reparam.weight, net[2].rbr_reparam.bias]
        o.print(net[2].rbr_reparam.weight.requires_grad, type(net[2].rbr_reparam.weight).__name__)
    return o.done()


def shufflenet(L):
    nn = L.nn

    def channel_shuffle(x, groups: int):
        batchsize, num_channels, height, width = x.size()
        channels_per_group = num_channels // groups
        x = x.view(batchsize, groups, channels_per_group, height, width)
        x = L.transpose(x, 1, 2).contiguous()
        x = x.view(batchsize, -1, height, width)
        return x

    class InvertedResidual(nn.Module):
        def __init__(self, inp, oup, stride):
            super().__init__()
            if not (1 <= stride <= 3):
                raise ValueError("illegal stride value")
            self.stride = stride
            branch_features = oup // 2
            if (self.stride == 1) and (inp != branch_features << 1):
                raise ValueError(
                    f"Invalid combination of stride {stride}, inp {inp} and oup {oup} values. If stride == 1 then inp should be equal to oup // 2 << 1."
                )
            if self.stride > 1:
                self.branch1 = nn.Sequential(
                    self.depthwise_conv(inp, inp, kernel_size=3, stride=self.stride, padding=1),
                    nn.BatchNorm2d(inp),
                    nn.Conv2d(inp, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
                    nn.BatchNorm2d(branch_features),
                    nn.ReLU(inplace=True),
                )
            else:
                self.branch1 = nn.Sequential()
            self.branch2 = nn.Sequential(
                nn.Conv2d(inp if (self.stride > 1) else branch_features, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
                nn.BatchNorm2d(branch_features),
                nn.ReLU(inplace=True),
                self.depthwise_conv(branch_features, branch_features, kernel_size=3, stride=self.stride, padding=1),
                nn.BatchNorm2d(branch_features),
                nn.Conv2d(branch_features, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
                nn.BatchNorm2d(branch_features),
                nn.ReLU(inplace=True),
            )

        @staticmethod
        def depthwise_conv(i, o, kernel_size, stride=1, padding=0, bias=False):
            return nn.Conv2d(i, o, kernel_size, stride, padding, bias=bias, groups=i)

        def forward(self, x):
            if self.stride == 1:
                x1, x2 = x.chunk(2, dim=1)
                out = L.cat((x1, self.branch2(x2)), dim=1)
            else:
                out = L.cat((self.branch1(x), self.branch2(x)), dim=1)
            out = channel_shuffle(out, 2)
            return out

    with Out() as o:
        L.manual_seed(0)
        net = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
                            InvertedResidual(8, 16, 2), InvertedResidual(16, 16, 1),
                            nn.AdaptiveAvgPool2d(1), nn.Flatten(1), nn.Linear(16, 10))
        o.print(net[4])
        o.tryit(lambda: InvertedResidual(8, 18, 1))
        o.tryit(lambda: InvertedResidual(8, 16, 4))
        o.vals.append(channel_shuffle(L.arange(8.).view(1, 8, 1, 1), 2).flatten())
        opt = L.optim.SGD(net.parameters(), lr=0.5, momentum=0.9, weight_decay=4e-5, nesterov=True)
        sched = L.optim.lr_scheduler.LambdaLR(opt, lambda step: (1.0 - step / 10) if step <= 10 else 0, last_epoch=-1)
        x = L.randn(4, 3, 16, 16)
        y = L.randint(0, 10, (4,))
        for step in range(2):
            opt.zero_grad()
            loss = nn.CrossEntropyLoss(label_smoothing=0.1)(net(x), y)
            loss.backward()
            opt.step()
            sched.step()
            o.print(f'{loss.item():.4f} {sched.get_last_lr()}')
            o.vals.append(loss)
        o.vals += [net[4].branch2[3].weight.grad, net[3].branch1[0].weight.grad]
        net.eval()
        with L.no_grad():
            o.vals.append(net(x))
    return o.done()
