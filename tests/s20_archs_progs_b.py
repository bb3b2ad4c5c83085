"""Modern architectures (see tests/s20_archs_progs.py), this file: MLP-Mixer without einops
(lucidrains/mlp-mixer-pytorch's layout written with Conv1d/Linear and transposes),
EfficientNet's MBConv with squeeze-and-excitation and stochastic depth, and MobileNetV2's
inverted residuals (ReLU6, depthwise groups, make_divisible)."""

from s16_yunjey_progs import Out


def _mixer(L, image_size=16, channels=3, patch_size=4, dim=32, depth=2, num_classes=10,
           expansion_factor=4, expansion_factor_token=0.5, dropout=0.):
    nn = L.nn
    from functools import partial

    pair = lambda x: x if isinstance(x, tuple) else (x, x)

    class PreNormResidual(nn.Module):
        def __init__(self, dim, fn):
            super().__init__()
            self.fn = fn
            self.norm = nn.LayerNorm(dim)

        def forward(self, x):
            return self.fn(self.norm(x)) + x

    class Rearrange(nn.Module):  # 'b c (h p1) (w p2) -> b (h w) (p1 p2 c)'
        def __init__(self, p):
            super().__init__()
            self.p = p

        def forward(self, x):
            b, c, H, W = x.shape
            p = self.p
            x = x.reshape(b, c, H // p, p, W // p, p)
            x = x.permute(0, 2, 4, 3, 5, 1).contiguous()
            return x.view(b, (H // p) * (W // p), p * p * c)

    def FeedForward(dim, expansion_factor=4, dropout=0., dense=nn.Linear):
        inner_dim = int(dim * expansion_factor)
        return nn.Sequential(
            dense(dim, inner_dim),
            nn.GELU(),
            nn.Dropout(dropout),
            dense(inner_dim, dim),
            nn.Dropout(dropout)
        )

    image_h, image_w = pair(image_size)
    assert (image_h % patch_size) == 0 and (image_w % patch_size) == 0, 'image must be divisible by patch size'
    num_patches = (image_h // patch_size) * (image_w // patch_size)
    chan_first, chan_last = partial(nn.Conv1d, kernel_size=1), nn.Linear

    class Reduce(nn.Module):  # 'b n c -> b c', 'mean'
        def forward(self, x):
            return x.mean(dim=1)

    return nn.Sequential(
        Rearrange(patch_size),
        nn.Linear((patch_size ** 2) * channels, dim),
        *[nn.Sequential(
            PreNormResidual(dim, FeedForward(num_patches, expansion_factor, dropout, chan_first)),
            PreNormResidual(dim, FeedForward(dim, expansion_factor_token, dropout, chan_last))
        ) for _ in range(depth)],
        nn.LayerNorm(dim),
        Reduce(),
        nn.Linear(dim, num_classes)
    )


def mlp_mixer(L):
    nn = L.nn
    with Out() as o:
        L.manual_seed(0)
        model = _mixer(L, dropout=0.1)
        o.print(model[2])
        o.print(sum(p.numel() for p in model.parameters()))
        img = L.randn(4, 3, 16, 16)
        y = L.randint(0, 10, (4,))
        pred = model(img)  # (4, 10)
        o.print(pred.shape)
        opt = L.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
        for step in range(2):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(img), y)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            o.print(f'{step}: {loss.item():.4f}')
            o.vals.append(loss)
        o.vals += [model[1].weight.grad, model[2][0].fn[0].weight.grad]
        model.eval()
        o.vals.append(model(img))
    return o.done()


def _efficientnet(L):
    nn = L.nn

    def _make_divisible(v, divisor=8, min_value=None):
        if min_value is None:
            min_value = divisor
        new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
        if new_v < 0.9 * v:
            new_v += divisor
        return new_v

    class Swish(nn.Module):
        def forward(self, x):
            return x * L.sigmoid(x)

    class ConvBNAct(nn.Sequential):
        def __init__(self, in_planes, out_planes, kernel_size=3, stride=1, groups=1, act=True):
            padding = (kernel_size - 1) // 2
            layers = [nn.Conv2d(in_planes, out_planes, kernel_size, stride, padding,
                                groups=groups, bias=False),
                      nn.BatchNorm2d(out_planes, momentum=0.01, eps=1e-3)]
            if act:
                layers.append(nn.SiLU(inplace=True))
            super().__init__(*layers)

    class SqueezeExcitation(nn.Module):
        def __init__(self, in_planes, reduced_dim):
            super().__init__()
            self.se = nn.Sequential(
                nn.AdaptiveAvgPool2d(1),
                nn.Conv2d(in_planes, reduced_dim, 1),
                Swish(),
                nn.Conv2d(reduced_dim, in_planes, 1),
                nn.Sigmoid(),
            )

        def forward(self, x):
            return x * self.se(x)

    class MBConv(nn.Module):
        def __init__(self, in_planes, out_planes, expand_ratio, kernel_size, stride,
                     reduction_ratio=4, drop_connect_rate=0.2):
            super().__init__()
            self.drop_connect_rate = drop_connect_rate
            self.use_residual = in_planes == out_planes and stride == 1
            assert stride in [1, 2]
            assert kernel_size in [3, 5]
            hidden_dim = in_planes * expand_ratio
            reduced_dim = max(1, int(in_planes / reduction_ratio))
            layers = []
            if in_planes != hidden_dim:
                layers += [ConvBNAct(in_planes, hidden_dim, 1)]
            layers += [
                ConvBNAct(hidden_dim, hidden_dim, kernel_size, stride=stride, groups=hidden_dim),
                SqueezeExcitation(hidden_dim, reduced_dim),
                nn.Conv2d(hidden_dim, out_planes, 1, bias=False),
                nn.BatchNorm2d(out_planes),
            ]
            self.conv = nn.Sequential(*layers)

        def _drop_connect(self, x):
            if not self.training:
                return x
            keep_prob = 1.0 - self.drop_connect_rate
            batch_size = x.size(0)
            random_tensor = keep_prob
            random_tensor += L.rand(batch_size, 1, 1, 1, device=x.device)
            binary_tensor = random_tensor.floor()
            return x.div(keep_prob) * binary_tensor

        def forward(self, x):
            if self.use_residual:
                return x + self._drop_connect(self.conv(x))
            else:
                return self.conv(x)

    class EfficientNet(nn.Module):
        def __init__(self, width_mult=0.5, depth_mult=0.5, dropout_rate=0.2, num_classes=10):
            super().__init__()
            settings = [
                # t,  c, n, s, k
                [1, 16, 1, 1, 3],
                [6, 24, 2, 2, 3],
                [6, 40, 2, 2, 5],
            ]
            out_channels = _make_divisible(32 * width_mult, 8)
            features = [ConvBNAct(3, out_channels, 3, stride=2)]
            in_channels = out_channels
            for t, c, n, s, k in settings:
                out_channels = _make_divisible(c * width_mult, 8)
                repeats = int(max(1, round(n * depth_mult + 0.5)))
                for i in range(repeats):
                    stride = s if i == 0 else 1
                    features += [MBConv(in_channels, out_channels, expand_ratio=t, stride=stride,
                                        kernel_size=k)]
                    in_channels = out_channels
            last_channels = _make_divisible(64 * width_mult, 8)
            features += [ConvBNAct(in_channels, last_channels, 1)]
            self.features = nn.Sequential(*features)
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.classifier = nn.Sequential(
                nn.Dropout(dropout_rate),
                nn.Linear(last_channels, num_classes),
            )
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode='fan_out')
                    if m.bias is not None:
                        nn.init.zeros_(m.bias)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)
                elif isinstance(m, nn.Linear):
                    init_range = 1.0 / (m.out_features ** 0.5)
                    nn.init.uniform_(m.weight, -init_range, init_range)
                    nn.init.zeros_(m.bias)

        def forward(self, x):
            x = self.features(x)
            x = self.avgpool(x)
            x = L.flatten(x, 1)
            x = self.classifier(x)
            return x

    return EfficientNet()


def efficientnet(L):
    nn = L.nn
    with Out() as o:
        L.manual_seed(0)
        model = _efficientnet(L)
        o.print(model.features[2])
        o.print(sum(p.numel() for p in model.parameters()))
        opt = L.optim.RMSprop(model.parameters(), lr=0.016, alpha=0.9, eps=0.001,
                              momentum=0.9, weight_decay=1e-5)
        x = L.randn(4, 3, 32, 32)
        y = L.randint(0, 10, (4,))
        criterion = nn.CrossEntropyLoss()
        model.train()
        for step in range(2):
            opt.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            opt.step()
            o.print('step %d loss %.4f' % (step, loss.item()))
            o.vals.append(loss)
        bn = model.features[2].conv[1][1]
        o.vals += [bn.running_mean, bn.running_var, bn.num_batches_tracked,
                   model.features[2].conv[2].se[1].weight.grad]
        model.eval()
        with L.no_grad():
            o.vals.append(model(x))
    return o.done()


def _mobilenetv2(L, num_classes=10, width_mult=0.5):
    nn = L.nn

    def _make_divisible(v, divisor, min_value=None):
        if min_value is None:
            min_value = divisor
        new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
        if new_v < 0.9 * v:
            new_v += divisor
        return new_v

    def conv_3x3_bn(inp, oup, stride):
        return nn.Sequential(
            nn.Conv2d(inp, oup, 3, stride, 1, bias=False),
            nn.BatchNorm2d(oup),
            nn.ReLU6(inplace=True)
        )

    def conv_1x1_bn(inp, oup):
        return nn.Sequential(
            nn.Conv2d(inp, oup, 1, 1, 0, bias=False),
            nn.BatchNorm2d(oup),
            nn.ReLU6(inplace=True)
        )

    class InvertedResidual(nn.Module):
        def __init__(self, inp, oup, stride, expand_ratio):
            super(InvertedResidual, self).__init__()
            assert stride in [1, 2]
            hidden_dim = round(inp * expand_ratio)
            self.identity = stride == 1 and inp == oup
            if expand_ratio == 1:
                self.conv = nn.Sequential(
                    nn.Conv2d(hidden_dim, hidden_dim, 3, stride, 1, groups=hidden_dim, bias=False),
                    nn.BatchNorm2d(hidden_dim),
                    nn.ReLU6(inplace=True),
                    nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False),
                    nn.BatchNorm2d(oup),
                )
            else:
                self.conv = nn.Sequential(
                    nn.Conv2d(inp, hidden_dim, 1, 1, 0, bias=False),
                    nn.BatchNorm2d(hidden_dim),
                    nn.ReLU6(inplace=True),
                    nn.Conv2d(hidden_dim, hidden_dim, 3, stride, 1, groups=hidden_dim, bias=False),
                    nn.BatchNorm2d(hidden_dim),
                    nn.ReLU6(inplace=True),
                    nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False),
                    nn.BatchNorm2d(oup),
                )

        def forward(self, x):
            if self.identity:
                return x + self.conv(x)
            else:
                return self.conv(x)

    class MobileNetV2(nn.Module):
        def __init__(self, num_classes=1000, width_mult=1.):
            super(MobileNetV2, self).__init__()
            self.cfgs = [
                # t, c, n, s
                [1,  16, 1, 1],
                [6,  24, 2, 2],
                [6,  32, 2, 2],
            ]
            input_channel = _make_divisible(32 * width_mult, 4 if width_mult == 0.1 else 8)
            layers = [conv_3x3_bn(3, input_channel, 2)]
            block = InvertedResidual
            for t, c, n, s in self.cfgs:
                output_channel = _make_divisible(c * width_mult, 4 if width_mult == 0.1 else 8)
                for i in range(n):
                    layers.append(block(input_channel, output_channel, s if i == 0 else 1, t))
                    input_channel = output_channel
            self.features = nn.Sequential(*layers)
            output_channel = _make_divisible(128 * width_mult, 4 if width_mult == 0.1 else 8) if width_mult > 1.0 else 128
            self.conv = conv_1x1_bn(input_channel, output_channel)
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.classifier = nn.Linear(output_channel, num_classes)
            self._initialize_weights()

        def forward(self, x):
            x = self.features(x)
            x = self.conv(x)
            x = self.avgpool(x)
            x = x.view(x.size(0), -1)
            x = self.classifier(x)
            return x

        def _initialize_weights(self):
            import math
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                    m.weight.data.normal_(0, math.sqrt(2. / n))
                    if m.bias is not None:
                        m.bias.data.zero_()
                elif isinstance(m, nn.BatchNorm2d):
                    m.weight.data.fill_(1)
                    m.bias.data.zero_()
                elif isinstance(m, nn.Linear):
                    m.weight.data.normal_(0, 0.01)
                    m.bias.data.zero_()

    return MobileNetV2(num_classes, width_mult)


def mobilenetv2(L):
    nn = L.nn
    with Out() as o:
        L.manual_seed(0)
        net = _mobilenetv2(L)
        o.print(net.features[3])
        o.print(net.conv)
        opt = L.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=4e-5)
        sched = L.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.98)
        x = L.randn(4, 3, 32, 32)
        y = L.randint(0, 10, (4,))
        net.train()
        for step in range(2):
            out = net(x)
            loss = nn.CrossEntropyLoss()(out, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            o.print('loss: %.4f, lr: %.5f' % (loss.item(), opt.param_groups[0]['lr']))
            o.vals.append(loss)
        o.vals += [net.features[3].conv[3].weight.grad, net.features[0][1].running_var]
        net.eval()
        with L.no_grad():
            out = net(x)
            o.vals.append(out)
            o.print(out.shape, out.dtype)
        o.print(net.features[1].identity, net.features[3].identity)
    return o.done()
