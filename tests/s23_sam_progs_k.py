"""ChaoningZhang/MobileSAM's mobile_sam/modeling/tiny_vit_sam.py (TinyViT image encoder:
Conv2d_BN with fuse(), timm's DropPath with MobileSAM's __repr__, PatchEmbed, MBConv,
PatchMerging with its stride-1 case for out_dim 320, ConvLayer, Mlp, Attention with the
LeViT attention biases (torch.LongTensor index buffer, persistent=False, the train() override
that caches ``ab``), TinyViTBlock with padded window attention and local conv, BasicLayer,
LayerNorm2d, TinyViT with _init_weights / set_layer_lr_decay) as users copy it. Tiny sizes:
a 64x64 image, embed dims (8, 16, 24, 320); forward_features' hard-coded view(B, 64, 64, C)
(the 1024-pixel grid) becomes view(B, 4, 4, C) for the 64-pixel one. timm is not installed:
to_2tuple, trunc_normal_ (nn.init.trunc_normal_, timm's same algorithm) and DropPath are
written out."""

import itertools
from typing import Tuple


def tinyvit_modules(torch):
    nn = torch.nn
    trunc_normal_ = torch.nn.init.trunc_normal_

    def to_2tuple(x):
        return x if isinstance(x, (tuple, list)) else (x, x)

    class TimmDropPath(nn.Module):
        def __init__(self, drop_prob=0.0, scale_by_keep=True):
            super().__init__()
            self.drop_prob = drop_prob
            self.scale_by_keep = scale_by_keep

        def forward(self, x):
            if self.drop_prob == 0.0 or not self.training:
                return x
            keep_prob = 1 - self.drop_prob
            shape = (x.shape[0],) + (1,) * (x.ndim - 1)
            random_tensor = x.new_empty(shape).bernoulli_(keep_prob)
            if keep_prob > 0.0 and self.scale_by_keep:
                random_tensor.div_(keep_prob)
            return x * random_tensor

        def extra_repr(self):
            return f'drop_prob={round(self.drop_prob, 3):0.3f}'

    class Conv2d_BN(torch.nn.Sequential):
        def __init__(self, a, b, ks=1, stride=1, pad=0, dilation=1, groups=1, bn_weight_init=1):
            super().__init__()
            self.add_module('c', torch.nn.Conv2d(a, b, ks, stride, pad, dilation, groups, bias=False))
            bn = torch.nn.BatchNorm2d(b)
            torch.nn.init.constant_(bn.weight, bn_weight_init)
            torch.nn.init.constant_(bn.bias, 0)
            self.add_module('bn', bn)

        @torch.no_grad()
        def fuse(self):
            c, bn = self._modules.values()
            w = bn.weight / (bn.running_var + bn.eps)**0.5
            w = c.weight * w[:, None, None, None]
            b = bn.bias - bn.running_mean * bn.weight / (bn.running_var + bn.eps)**0.5
            m = torch.nn.Conv2d(w.size(1) * self.c.groups, w.size(0), w.shape[2:],
                                stride=self.c.stride, padding=self.c.padding,
                                dilation=self.c.dilation, groups=self.c.groups)
            m.weight.data.copy_(w)
            m.bias.data.copy_(b)
            return m

    class DropPath(TimmDropPath):
        def __init__(self, drop_prob=None):
            super().__init__(drop_prob=drop_prob)
            self.drop_prob = drop_prob

        def __repr__(self):
            msg = super().__repr__()
            msg += f'(drop_prob={self.drop_prob})'
            return msg

    class PatchEmbed(nn.Module):
        def __init__(self, in_chans, embed_dim, resolution, activation):
            super().__init__()
            img_size: Tuple[int, int] = to_2tuple(resolution)
            self.patches_resolution = (img_size[0] // 4, img_size[1] // 4)
            self.num_patches = self.patches_resolution[0] * self.patches_resolution[1]
            self.in_chans = in_chans
            self.embed_dim = embed_dim
            n = embed_dim
            self.seq = nn.Sequential(Conv2d_BN(in_chans, n // 2, 3, 2, 1), activation(),
                                     Conv2d_BN(n // 2, n, 3, 2, 1))

        def forward(self, x):
            return self.seq(x)

    class MBConv(nn.Module):
        def __init__(self, in_chans, out_chans, expand_ratio, activation, drop_path):
            super().__init__()
            self.in_chans = in_chans
            self.hidden_chans = int(in_chans * expand_ratio)
            self.out_chans = out_chans
            self.conv1 = Conv2d_BN(in_chans, self.hidden_chans, ks=1)
            self.act1 = activation()
            self.conv2 = Conv2d_BN(self.hidden_chans, self.hidden_chans, ks=3, stride=1, pad=1,
                                   groups=self.hidden_chans)
            self.act2 = activation()
            self.conv3 = Conv2d_BN(self.hidden_chans, out_chans, ks=1, bn_weight_init=0.0)
            self.act3 = activation()
            self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

        def forward(self, x):
            shortcut = x
            x = self.conv1(x)
            x = self.act1(x)
            x = self.conv2(x)
            x = self.act2(x)
            x = self.conv3(x)
            x = self.drop_path(x)
            x += shortcut
            x = self.act3(x)
            return x

    class PatchMerging(nn.Module):
        def __init__(self, input_resolution, dim, out_dim, activation):
            super().__init__()
            self.input_resolution = input_resolution
            self.dim = dim
            self.out_dim = out_dim
            self.act = activation()
            self.conv1 = Conv2d_BN(dim, out_dim, 1, 1, 0)
            stride_c = 2
            if (out_dim == 320 or out_dim == 448 or out_dim == 576):
                stride_c = 1
            self.conv2 = Conv2d_BN(out_dim, out_dim, 3, stride_c, 1, groups=out_dim)
            self.conv3 = Conv2d_BN(out_dim, out_dim, 1, 1, 0)

        def forward(self, x):
            if x.ndim == 3:
                H, W = self.input_resolution
                B = len(x)
                x = x.view(B, H, W, -1).permute(0, 3, 1, 2)
            x = self.conv1(x)
            x = self.act(x)
            x = self.conv2(x)
            x = self.act(x)
            x = self.conv3(x)
            x = x.flatten(2).transpose(1, 2)
            return x

    class ConvLayer(nn.Module):
        def __init__(self, dim, input_resolution, depth, activation, drop_path=0.,
                     downsample=None, use_checkpoint=False, out_dim=None, conv_expand_ratio=4.):
            super().__init__()
            self.dim = dim
            self.input_resolution = input_resolution
            self.depth = depth
            self.use_checkpoint = use_checkpoint
            self.blocks = nn.ModuleList([
                MBConv(dim, dim, conv_expand_ratio, activation,
                       drop_path[i] if isinstance(drop_path, list) else drop_path)
                for i in range(depth)])
            if downsample is not None:
                self.downsample = downsample(input_resolution, dim=dim, out_dim=out_dim,
                                             activation=activation)
            else:
                self.downsample = None

        def forward(self, x):
            for blk in self.blocks:
                x = blk(x)
            if self.downsample is not None:
                x = self.downsample(x)
            return x

    class Mlp(nn.Module):
        def __init__(self, in_features, hidden_features=None, out_features=None,
                     act_layer=nn.GELU, drop=0.):
            super().__init__()
            out_features = out_features or in_features
            hidden_features = hidden_features or in_features
            self.norm = nn.LayerNorm(in_features)
            self.fc1 = nn.Linear(in_features, hidden_features)
            self.fc2 = nn.Linear(hidden_features, out_features)
            self.act = act_layer()
            self.drop = nn.Dropout(drop)

        def forward(self, x):
            x = self.norm(x)
            x = self.fc1(x)
            x = self.act(x)
            x = self.drop(x)
            x = self.fc2(x)
            x = self.drop(x)
            return x

    class Attention(torch.nn.Module):
        def __init__(self, dim, key_dim, num_heads=8, attn_ratio=4, resolution=(14, 14)):
            super().__init__()
            assert isinstance(resolution, tuple) and len(resolution) == 2
            self.num_heads = num_heads
            self.scale = key_dim ** -0.5
            self.key_dim = key_dim
            self.nh_kd = nh_kd = key_dim * num_heads
            self.d = int(attn_ratio * key_dim)
            self.dh = int(attn_ratio * key_dim) * num_heads
            self.attn_ratio = attn_ratio
            h = self.dh + nh_kd * 2
            self.norm = nn.LayerNorm(dim)
            self.qkv = nn.Linear(dim, h)
            self.proj = nn.Linear(self.dh, dim)
            points = list(itertools.product(range(resolution[0]), range(resolution[1])))
            N = len(points)
            attention_offsets = {}
            idxs = []
            for p1 in points:
                for p2 in points:
                    offset = (abs(p1[0] - p2[0]), abs(p1[1] - p2[1]))
                    if offset not in attention_offsets:
                        attention_offsets[offset] = len(attention_offsets)
                    idxs.append(attention_offsets[offset])
            self.attention_biases = torch.nn.Parameter(torch.zeros(num_heads, len(attention_offsets)))
            self.register_buffer('attention_bias_idxs', torch.LongTensor(idxs).view(N, N),
                                 persistent=False)

        @torch.no_grad()
        def train(self, mode=True):
            super().train(mode)
            if mode and hasattr(self, 'ab'):
                del self.ab
            else:
                self.ab = self.attention_biases[:, self.attention_bias_idxs]

        def forward(self, x):
            B, N, _ = x.shape
            x = self.norm(x)
            qkv = self.qkv(x)
            q, k, v = qkv.view(B, N, self.num_heads, -1).split([self.key_dim, self.key_dim, self.d], dim=3)
            q = q.permute(0, 2, 1, 3)
            k = k.permute(0, 2, 1, 3)
            v = v.permute(0, 2, 1, 3)
            attn = ((q @ k.transpose(-2, -1)) * self.scale
                    + (self.attention_biases[:, self.attention_bias_idxs] if self.training else self.ab))
            attn = attn.softmax(dim=-1)
            x = (attn @ v).transpose(1, 2).reshape(B, N, self.dh)
            x = self.proj(x)
            return x

    return dict(to_2tuple=to_2tuple, trunc_normal_=trunc_normal_, Conv2d_BN=Conv2d_BN,
                DropPath=DropPath, PatchEmbed=PatchEmbed, MBConv=MBConv,
                PatchMerging=PatchMerging, ConvLayer=ConvLayer, Mlp=Mlp, Attention=Attention)
