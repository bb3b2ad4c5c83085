"""Modern architectures (see tests/s21_modern_progs.py), this file: microsoft/LoRA loralib
(layers.py: LoRALayer, Embedding, Linear with merge on eval / unmerge on train, MergedLinear
with enable_lora and the grouped Conv1d delta, Conv2d; utils.py: mark_only_lora_as_trainable,
lora_state_dict), as users type them, on tiny random data."""

import math
from typing import List
from s16_yunjey_progs import Out


def _lora(L):
    torch, nn, F = L, L.nn, L.nn.functional

    class LoRALayer():
        def __init__(self, r: int, lora_alpha: int, lora_dropout: float, merge_weights: bool):
            self.r = r
            self.lora_alpha = lora_alpha
            if lora_dropout > 0.:
                self.lora_dropout = nn.Dropout(p=lora_dropout)
            else:
                self.lora_dropout = lambda x: x
            self.merged = False
            self.merge_weights = merge_weights

    class Embedding(nn.Embedding, LoRALayer):
        def __init__(self, num_embeddings: int, embedding_dim: int, r: int = 0,
                     lora_alpha: int = 1, merge_weights: bool = True, **kwargs):
            nn.Embedding.__init__(self, num_embeddings, embedding_dim, **kwargs)
            LoRALayer.__init__(self, r=r, lora_alpha=lora_alpha, lora_dropout=0,
                               merge_weights=merge_weights)
            if r > 0:
                self.lora_A = nn.Parameter(self.weight.new_zeros((r, num_embeddings)))
                self.lora_B = nn.Parameter(self.weight.new_zeros((embedding_dim, r)))
                self.scaling = self.lora_alpha / self.r
                self.weight.requires_grad = False
            self.reset_parameters()

        def reset_parameters(self):
            nn.Embedding.reset_parameters(self)
            if hasattr(self, 'lora_A'):
                nn.init.zeros_(self.lora_A)
                nn.init.normal_(self.lora_B)

        def train(self, mode: bool = True):
            nn.Embedding.train(self, mode)
            if mode:
                if self.merge_weights and self.merged:
                    if self.r > 0:
                        self.weight.data -= (self.lora_B @ self.lora_A).transpose(0, 1) * self.scaling
                    self.merged = False
            else:
                if self.merge_weights and not self.merged:
                    if self.r > 0:
                        self.weight.data += (self.lora_B @ self.lora_A).transpose(0, 1) * self.scaling
                    self.merged = True

        def forward(self, x):
            if self.r > 0 and not self.merged:
                result = nn.Embedding.forward(self, x)
                if self.r > 0:
                    after_A = F.embedding(
                        x, self.lora_A.transpose(0, 1), self.padding_idx, self.max_norm,
                        self.norm_type, self.scale_grad_by_freq, self.sparse)
                    result += (after_A @ self.lora_B.transpose(0, 1)) * self.scaling
                return result
            else:
                return nn.Embedding.forward(self, x)

    class Linear(nn.Linear, LoRALayer):
        def __init__(self, in_features: int, out_features: int, r: int = 0,
                     lora_alpha: int = 1, lora_dropout: float = 0.,
                     fan_in_fan_out: bool = False, merge_weights: bool = True, **kwargs):
            nn.Linear.__init__(self, in_features, out_features, **kwargs)
            LoRALayer.__init__(self, r=r, lora_alpha=lora_alpha, lora_dropout=lora_dropout,
                               merge_weights=merge_weights)
            self.fan_in_fan_out = fan_in_fan_out
            if r > 0:
                self.lora_A = nn.Parameter(self.weight.new_zeros((r, in_features)))
                self.lora_B = nn.Parameter(self.weight.new_zeros((out_features, r)))
                self.scaling = self.lora_alpha / self.r
                self.weight.requires_grad = False
            self.reset_parameters()
            if fan_in_fan_out:
                self.weight.data = self.weight.data.transpose(0, 1)

        def reset_parameters(self):
            nn.Linear.reset_parameters(self)
            if hasattr(self, 'lora_A'):
                nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
                nn.init.zeros_(self.lora_B)

        def train(self, mode: bool = True):
            def T(w):
                return w.transpose(0, 1) if self.fan_in_fan_out else w
            nn.Linear.train(self, mode)
            if mode:
                if self.merge_weights and self.merged:
                    if self.r > 0:
                        self.weight.data -= T(self.lora_B @ self.lora_A) * self.scaling
                    self.merged = False
            else:
                if self.merge_weights and not self.merged:
                    if self.r > 0:
                        self.weight.data += T(self.lora_B @ self.lora_A) * self.scaling
                    self.merged = True

        def forward(self, x):
            def T(w):
                return w.transpose(0, 1) if self.fan_in_fan_out else w
            if self.r > 0 and not self.merged:
                result = F.linear(x, T(self.weight), bias=self.bias)
                if self.r > 0:
                    result += (self.lora_dropout(x) @ self.lora_A.transpose(0, 1)
                               @ self.lora_B.transpose(0, 1)) * self.scaling
                return result
            else:
                return F.linear(x, T(self.weight), bias=self.bias)

    class MergedLinear(nn.Linear, LoRALayer):
        def __init__(self, in_features: int, out_features: int, r: int = 0,
                     lora_alpha: int = 1, lora_dropout: float = 0.,
                     enable_lora: List[bool] = [False], fan_in_fan_out: bool = False,
                     merge_weights: bool = True, **kwargs):
            nn.Linear.__init__(self, in_features, out_features, **kwargs)
            LoRALayer.__init__(self, r=r, lora_alpha=lora_alpha, lora_dropout=lora_dropout,
                               merge_weights=merge_weights)
            assert out_features % len(enable_lora) == 0, \
                'The length of enable_lora must divide out_features'
            self.enable_lora = enable_lora
            self.fan_in_fan_out = fan_in_fan_out
            if r > 0 and any(enable_lora):
                self.lora_A = nn.Parameter(
                    self.weight.new_zeros((r * sum(enable_lora), in_features)))
                self.lora_B = nn.Parameter(
                    self.weight.new_zeros((out_features // len(enable_lora) * sum(enable_lora), r)))
                self.scaling = self.lora_alpha / self.r
                self.weight.requires_grad = False
                self.lora_ind = self.weight.new_zeros(
                    (out_features, ), dtype=torch.bool).view(len(enable_lora), -1)
                self.lora_ind[enable_lora, :] = True
                self.lora_ind = self.lora_ind.view(-1)
            self.reset_parameters()
            if fan_in_fan_out:
                self.weight.data = self.weight.data.transpose(0, 1)

        def reset_parameters(self):
            nn.Linear.reset_parameters(self)
            if hasattr(self, 'lora_A'):
                nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
                nn.init.zeros_(self.lora_B)

        def zero_pad(self, x):
            result = x.new_zeros((*x.shape[:-1], self.out_features))
            result = result.view(-1, self.out_features)
            result[:, self.lora_ind] = x.reshape(
                -1, self.out_features // len(self.enable_lora) * sum(self.enable_lora))
            return result.view((*x.shape[:-1], self.out_features))

        def train(self, mode: bool = True):
            def T(w):
                return w.transpose(0, 1) if self.fan_in_fan_out else w
            nn.Linear.train(self, mode)
            if mode:
                if self.merge_weights and self.merged:
                    if self.r > 0 and any(self.enable_lora):
                        delta_w = F.conv1d(self.lora_A.data.unsqueeze(0),
                                           self.lora_B.data.unsqueeze(-1),
                                           groups=sum(self.enable_lora)).squeeze(0)
                        self.weight.data -= self.zero_pad(T(delta_w * self.scaling))
                    self.merged = False
            else:
                if self.merge_weights and not self.merged:
                    if self.r > 0 and any(self.enable_lora):
                        delta_w = F.conv1d(self.lora_A.data.unsqueeze(0),
                                           self.lora_B.data.unsqueeze(-1),
                                           groups=sum(self.enable_lora)).squeeze(0)
                        self.weight.data += self.zero_pad(T(delta_w * self.scaling))
                    self.merged = True

        def forward(self, x):
            def T(w):
                return w.transpose(0, 1) if self.fan_in_fan_out else w
            if self.merged:
                return F.linear(x, T(self.weight), bias=self.bias)
            else:
                result = F.linear(x, T(self.weight), bias=self.bias)
                if self.r > 0:
                    after_A = F.linear(self.lora_dropout(x), self.lora_A)
                    after_B = F.conv1d(after_A.transpose(-2, -1), self.lora_B.unsqueeze(-1),
                                       groups=sum(self.enable_lora)).transpose(-2, -1)
                    result += self.zero_pad(after_B) * self.scaling
                return result

    class Conv2d(nn.Conv2d, LoRALayer):
        def __init__(self, in_channels: int, out_channels: int, kernel_size: int, r: int = 0,
                     lora_alpha: int = 1, lora_dropout: float = 0., merge_weights: bool = True,
                     **kwargs):
            nn.Conv2d.__init__(self, in_channels, out_channels, kernel_size, **kwargs)
            LoRALayer.__init__(self, r=r, lora_alpha=lora_alpha, lora_dropout=lora_dropout,
                               merge_weights=merge_weights)
            assert type(kernel_size) is int
            if r > 0:
                self.lora_A = nn.Parameter(
                    self.weight.new_zeros((r * kernel_size, in_channels * kernel_size)))
                self.lora_B = nn.Parameter(
                    self.weight.new_zeros((out_channels * kernel_size, r * kernel_size)))
                self.scaling = self.lora_alpha / self.r
                self.weight.requires_grad = False
            self.reset_parameters()

        def reset_parameters(self):
            nn.Conv2d.reset_parameters(self)
            if hasattr(self, 'lora_A'):
                nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
                nn.init.zeros_(self.lora_B)

        def train(self, mode: bool = True):
            nn.Conv2d.train(self, mode)
            if mode:
                if self.merge_weights and self.merged:
                    self.weight.data -= (self.lora_B @ self.lora_A).view(self.weight.shape) * self.scaling
                    self.merged = False
            else:
                if self.merge_weights and not self.merged:
                    self.weight.data += (self.lora_B @ self.lora_A).view(self.weight.shape) * self.scaling
                    self.merged = True

        def forward(self, x):
            if self.r > 0 and not self.merged:
                return F.conv2d(
                    x, self.weight + (self.lora_B @ self.lora_A).view(self.weight.shape) * self.scaling,
                    self.bias, self.stride, self.padding, self.dilation, self.groups)
            return nn.Conv2d.forward(self, x)

    def mark_only_lora_as_trainable(model, bias: str = 'none') -> None:
        for n, p in model.named_parameters():
            if 'lora_' not in n:
                p.requires_grad = False
        if bias == 'none':
            return
        elif bias == 'all':
            for n, p in model.named_parameters():
                if 'bias' in n:
                    p.requires_grad = True
        elif bias == 'lora_only':
            for m in model.modules():
                if isinstance(m, LoRALayer) and hasattr(m, 'bias') and m.bias is not None:
                    m.bias.requires_grad = True
        else:
            raise NotImplementedError

    def lora_state_dict(model, bias: str = 'none'):
        my_state_dict = model.state_dict()
        if bias == 'none':
            return {k: my_state_dict[k] for k in my_state_dict if 'lora_' in k}
        elif bias == 'all':
            return {k: my_state_dict[k] for k in my_state_dict if 'lora_' in k or 'bias' in k}
        elif bias == 'lora_only':
            to_return = {}
            for k in my_state_dict:
                if 'lora_' in k:
                    to_return[k] = my_state_dict[k]
                    bias_name = k.split('lora_')[0] + 'bias'
                    if bias_name in my_state_dict:
                        to_return[bias_name] = my_state_dict[bias_name]
            return to_return
        else:
            raise NotImplementedError

    return Embedding, Linear, MergedLinear, Conv2d, mark_only_lora_as_trainable, lora_state_dict


def lora_finetune(L):
    """README usage: a model of lora.Embedding / MergedLinear (qkv) / Linear / Conv2d,
    mark_only_lora_as_trainable, a few Adam steps, eval() merges, train() unmerges,
    lora_state_dict saved and loaded with strict=False."""
    torch, nn, F = L, L.nn, L.nn.functional
    Embedding, Linear, MergedLinear, Conv2d, mark_only, lora_sd = _lora(L)
    torch.manual_seed(0)
    with Out() as o:
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = Embedding(11, 8, r=2, lora_alpha=4)
                self.qkv = MergedLinear(8, 3 * 8, r=2, lora_alpha=2,
                                        enable_lora=[True, False, True],
                                        fan_in_fan_out=True)
                self.conv = Conv2d(3, 4, 3, r=2, lora_alpha=2, padding=1)
                self.fc = Linear(8 + 4, 5, r=4, lora_alpha=8, lora_dropout=0.1)

            def forward(self, ids, img):
                h = self.emb(ids)  # (b, t, 8)
                q, k, v = self.qkv(h).split(8, dim=-1)
                att = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(8), dim=-1)
                h = (att @ v).mean(1)
                c = F.relu(self.conv(img)).mean((2, 3))
                return self.fc(torch.cat([h, c], dim=-1))

        model = Net()
        o.print(model)
        mark_only(model, bias='lora_only')
        o.print([n for n, p in model.named_parameters() if p.requires_grad])
        o.print(sum(p.numel() for p in model.parameters() if p.requires_grad),
                sum(p.numel() for p in model.parameters()))
        o.print(model.qkv.lora_ind.tolist())
        ids = torch.randint(0, 11, (4, 5))
        img = torch.randn(4, 3, 6, 6)
        target = torch.randint(0, 5, (4,))
        opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
        model.train()
        losses = []
        for step in range(4):
            out = model(ids, img)
            loss = F.cross_entropy(out, target)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            o.print(f"step {step} loss {loss.item():.4f}")
        torch.manual_seed(5)
        model.eval()
        o.print(model.emb.merged, model.qkv.merged, model.conv.merged, model.fc.merged)
        with torch.no_grad():
            merged_out = model(ids, img)
        model.train()
        o.print(model.fc.merged, model.fc.weight.requires_grad)
        model.fc.lora_dropout.eval()
        with torch.no_grad():
            unmerged_out = model(ids, img)
        sd = lora_sd(model, bias='lora_only')
        o.print(sorted(sd.keys()))
        sd_all = lora_sd(model, bias='all')
        o.print(len(sd_all), len(lora_sd(model)))
        fresh = Net()
        res = fresh.load_state_dict(sd, strict=False)
        o.print(len(res.missing_keys), res.unexpected_keys)
        o.print(res.missing_keys[:3])
        o.print(torch.equal(fresh.fc.lora_B, model.fc.lora_B))
    return o.lines, [torch.tensor(losses), merged_out, unmerged_out, model.fc.lora_B,
                     model.qkv.lora_B, model.conv.lora_A, model.emb.weight]


def lora_layers(L):
    """The layers alone: Linear with fan_in_fan_out (GPT-2 Conv1D layout), MergedLinear's
    zero_pad and merged weight equal to the unmerged output, Embedding's merge, Conv2d."""
    torch, nn = L, L.nn
    Embedding, Linear, MergedLinear, Conv2d, mark_only, lora_sd = _lora(L)
    torch.manual_seed(1)
    with Out() as o:
        lin = Linear(6, 4, r=2, lora_alpha=4, fan_in_fan_out=True)
        o.print(lin.weight.shape, lin.weight.is_contiguous(), lin.scaling)
        nn.init.normal_(lin.lora_B)
        x = torch.randn(3, 6)
        y0 = lin(x)
        lin.eval()
        y1 = lin(x)
        o.print(lin.merged, torch.allclose(y0, y1, atol=1e-5))
        lin.train()
        y2 = lin(x)
        ml = MergedLinear(6, 9, r=2, enable_lora=[True, False, True], bias=False,
                          fan_in_fan_out=True)
        nn.init.normal_(ml.lora_B)
        o.print(ml.lora_A.shape, ml.lora_B.shape, ml.lora_ind.dtype, ml.lora_ind.shape)
        xs = torch.randn(2, 3, 6)
        z0 = ml(xs)
        ml.eval()
        z1 = ml(xs)
        o.print(ml.merged, z1.shape, torch.allclose(z0, z1, atol=1e-5))
        padded = ml.zero_pad(torch.ones(2, 6))
        o.print(padded)
        emb = Embedding(7, 3, r=2, padding_idx=0)
        nn.init.normal_(emb.lora_A)
        ids = torch.tensor([[0, 3, 6], [2, 2, 1]])
        e0 = emb(ids)
        emb.eval()
        e1 = emb(ids)
        o.print(emb.merged, e0.shape, torch.allclose(e0, e1, atol=1e-5))
        conv = Conv2d(2, 3, 3, r=1, stride=2)
        nn.init.normal_(conv.lora_B)
        img = torch.randn(1, 2, 7, 7, requires_grad=True)
        c0 = conv(img)
        c0.sum().backward()
        o.print(c0.shape, conv.lora_A.grad.shape, conv.weight.grad)
        conv.eval()
        c1 = conv(img)
        o.print(conv.merged, torch.allclose(c0, c1, atol=1e-5))
        o.tryit(lambda: MergedLinear(6, 10, r=2, enable_lora=[True, False, True]))
    return o.lines, [y0, y1, y2, z0, z1, padded, e0, e1, c0, c1, img.grad, conv.lora_A.grad]
