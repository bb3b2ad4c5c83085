"""Session 15, Godoy's "Deep Learning with PyTorch Step-by-Step" as learners type it.
Vol II ch7 and Vol III ch10: 1x1 convolutions, an Inception block, Identity heads and frozen
layers, BatchNorm loaded in eval mode; Godoy's MultiHeadedAttention (chunks, masks), ViT
patches (unfold, a Conv2d patch embedding, a [CLS] token), norm_first layers and decoders;
index_splitter, a balanced WeightedRandomSampler, softmax/NLL by hand; forward hooks.
Each program prints; the test runs it on torch and on ember and compares the printouts
(object addresses left out). Where ember's known last-bit gaps show (LSTM/GRU steps: NumPy's
float32 tanh; BatchNorm's statistics), the program prints what the book checks, rounded."""

import os
import re
import tempfile
import warnings

import numpy as np
from s15_godoy_sbs import same_printout


def prog_vit(torch):
    nn = torch.nn; F = torch.nn.functional
    # ch7: 1x1 conv, inception-like block, AdaptiveAvgPool2d, Identity, feature extraction
    torch.manual_seed(0)
    scissors = torch.rand(1, 3, 8, 8)
    conv1x1 = nn.Conv2d(in_channels=3, out_channels=2, kernel_size=1)
    print(conv1x1.weight.shape, conv1x1(scissors).shape)
    weights = torch.tensor([[[[0.2130]], [[0.7153]], [[0.0721]]]])
    c = nn.Conv2d(3, 1, 1, bias=False)
    with torch.no_grad():
        c.weight[0] = weights[0]
    print(c(scissors)[0, 0, :2])
    class Inception(nn.Module):
        def __init__(self, in_channels):
            super().__init__()
            self.branch1x1_1 = nn.Conv2d(in_channels, 2, kernel_size=1)
            self.branch5x5_1 = nn.Conv2d(in_channels, 2, kernel_size=1)
            self.branch5x5_2 = nn.Conv2d(2, 3, kernel_size=5, padding=2)
            self.branch3x3_1 = nn.Conv2d(in_channels, 2, kernel_size=1)
            self.branch3x3_2 = nn.Conv2d(2, 3, kernel_size=3, padding=1)
            self.branch_pool_1 = nn.AvgPool2d(kernel_size=3, stride=1, padding=1)
            self.branch_pool_2 = nn.Conv2d(in_channels, 2, kernel_size=1)
        def forward(self, x):
            branch1x1 = self.branch1x1_1(x)
            branch5x5 = self.branch5x5_2(self.branch5x5_1(x))
            branch3x3 = self.branch3x3_2(self.branch3x3_1(x))
            branch_pool = self.branch_pool_2(self.branch_pool_1(x))
            outputs = torch.cat([branch1x1, branch5x5, branch3x3, branch_pool], 1)
            return outputs
    torch.manual_seed(1)
    inception = Inception(in_channels=3)
    output = inception(scissors)
    print(output.shape, output.sum().round(decimals=2) if True else 0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d((1, 1)),
                          nn.Flatten(), nn.Linear(4, 3))
    print(model)
    model[4] = nn.Identity()
    print(model[4], model(scissors).shape)
    for p in model.parameters():
        p.requires_grad = False
    model[4] = nn.Linear(4, 3)
    print([n for n, p in model.named_parameters() if p.requires_grad])
    # BatchNorm in eval with running stats from state dict
    bn = nn.BatchNorm2d(4)
    bn.load_state_dict({'weight': torch.ones(4), 'bias': torch.zeros(4),
            'running_mean': torch.arange(4.), 'running_var': torch.full((4,),
                    4.), 'num_batches_tracked': torch.tensor(3)})
    bn.eval()
    print(bn(torch.ones(1, 4, 1, 1)).flatten(), bn.num_batches_tracked)
    try:
        bn.load_state_dict({'weight': torch.ones(4)})
    except Exception as e:
        print(type(e).__name__, str(e).splitlines()[0])
    # ch10: Godoy's MultiHeadedAttention (narrow)
    class MultiHeadedAttention(nn.Module):
        def __init__(self, n_heads, d_model, dropout=0.1):
            super().__init__()
            self.n_heads = n_heads; self.d_model = d_model
            self.d_k = int(d_model / n_heads)
            self.linear_query = nn.Linear(d_model, d_model)
            self.linear_key = nn.Linear(d_model, d_model)
            self.linear_value = nn.Linear(d_model, d_model)
            self.linear_out = nn.Linear(d_model, d_model)
            self.dropout = nn.Dropout(p=dropout)
            self.alphas = None
        def make_chunks(self, x):
            batch_size, seq_len = x.size(0), x.size(1)
            x = x.view(batch_size, seq_len, self.n_heads, self.d_k)
            x = x.transpose(1, 2)
            return x
        def init_keys(self, key):
            self.proj_key = self.make_chunks(self.linear_key(key))
            self.proj_value = self.make_chunks(self.linear_value(key))
        def score_function(self, query):
            proj_query = self.make_chunks(self.linear_query(query))
            dot_products = torch.matmul(proj_query, self.proj_key.transpose(-2, -1))
            scores = dot_products / np.sqrt(self.d_k)
            return scores
        def attn(self, query, mask=None):
            scores = self.score_function(query)
            if mask is not None:
                scores = scores.masked_fill(mask == 0, -1e9)
            alphas = F.softmax(scores, dim=-1)
            alphas = self.dropout(alphas)
            self.alphas = alphas.detach()
            context = torch.matmul(alphas, self.proj_value)
            return context
        def output_function(self, contexts):
            out = self.linear_out(contexts)
            return out
        def forward(self, query, mask=None):
            if mask is not None:
                mask = mask.unsqueeze(1)
            context = self.attn(query, mask=mask)
            context = context.transpose(1, 2).contiguous()
            context = context.view(query.size(0), -1, self.d_model)
            out = self.output_function(context)
            return out
    torch.manual_seed(13)
    mha = MultiHeadedAttention(n_heads=2, d_model=4, dropout=0.0)
    x = torch.randn(2, 3, 4)
    mha.init_keys(x)
    mask = torch.tensor([[[1, 1, 0]], [[1, 1, 1]]])
    out = mha(x, mask=mask)
    print(out, mha.alphas.shape, mha.alphas[0, 0])
    try:
        chunks = mha.make_chunks(torch.randn(2, 3, 5))
    except Exception as e:
        print(type(e).__name__, str(e).splitlines()[0])
    try:
        x.transpose(1, 2).view(2, -1)
    except Exception as e:
        print(type(e).__name__, str(e).splitlines()[0])
    print(x.transpose(1, 2).reshape(2, -1).shape, x.transpose(1, 2).is_contiguous())
    # Layer norm vs batch norm ch10
    torch.manual_seed(23)
    inputs = torch.randn(2, 3, 4)
    ln = nn.LayerNorm(4)
    print(np.round(ln(inputs).detach().numpy(), 4)[0])
    print(inputs.mean(axis=2).shape, inputs.var(axis=2, unbiased=False).shape)
    # ViT patches
    torch.manual_seed(42)
    img = torch.rand(1, 1, 12, 12)
    kernel_size = 4
    patches = img.unfold(2, kernel_size, kernel_size).unfold(3, kernel_size, kernel_size)
    print(patches.shape)
    patches2 = patches.contiguous().view(1, -1, kernel_size * kernel_size)
    print(patches2.shape, (patches2[0, 1] == img[0, 0, :4, 4:8].flatten()).all())
    unf = F.unfold(img, kernel_size=kernel_size, stride=kernel_size).transpose(1, 2)
    print(unf.shape, (unf == patches2).all())
    class PatchEmbed(nn.Module):
        def __init__(self, img_size=12, patch_size=4, in_channels=1, embed_dim=8, dilation=1):
            super().__init__()
            num_patches = (img_size // patch_size) * (img_size // patch_size)
            self.img_size = img_size; self.patch_size = patch_size; self.num_patches = num_patches
            self.proj = nn.Conv2d(in_channels, embed_dim, kernel_size=patch_size, stride=patch_size)
        def forward(self, x):
            x = self.proj(x).flatten(2).transpose(1, 2)
            return x
    torch.manual_seed(13)
    patch_embed = PatchEmbed(embed_dim=8)
    embedded = patch_embed(img)
    print(embedded.shape, embedded.grad_fn)
    cls_token = nn.Parameter(torch.zeros(1, 1, 8))
    cls_tokens = cls_token.expand(embedded.size(0), -1, -1)
    embed_cls = torch.cat((cls_tokens, embedded), dim=1)
    print(embed_cls.shape, embed_cls.grad_fn, cls_tokens.grad_fn)
    embed_cls.sum().backward()
    print(cls_token.grad.shape, cls_token.grad.sum())
    try:
        cls_token.expand(2, 2, 8)
    except Exception as e:
        print(type(e).__name__, str(e).splitlines()[0])
    # narrow / chunk / split
    t = torch.arange(12.).view(2, 6)
    print(torch.chunk(t, 3, dim=1), t.narrow(1, 2, 2), t.split([2, 4], dim=1))
    print(torch.stack(t.chunk(2, dim=1), dim=0).shape)
    # Encoder-decoder transformer pieces: SubLayerWrapper, norm_first
    torch.manual_seed(5)
    el = nn.TransformerEncoderLayer(d_model=4, nhead=2, dim_feedforward=8, dropout=0.0,
                                    batch_first=True, norm_first=True)
    print(el)
    print(np.round(el(torch.randn(2, 3, 4)).detach().numpy(), 4)[0])
    dl = nn.TransformerDecoderLayer(d_model=4, nhead=2, dim_feedforward=8, dropout=0.0,
                                    batch_first=True)
    mem = torch.randn(2, 3, 4); tgt = torch.randn(2, 2, 4)
    out = dl(tgt, mem, tgt_mask=nn.Transformer.generate_square_subsequent_mask(2),
             tgt_is_causal=True)
    print(out.shape, np.round(out.detach().numpy(), 4)[1])
    dec = nn.TransformerDecoder(dl, num_layers=2)
    print(len(dec.layers), dec.layers[0] is dl, dec(tgt, mem).shape)
    print(nn.Transformer.generate_square_subsequent_mask(3, dtype=torch.float64))


def prog_data(torch):
    nn = torch.nn; F = torch.nn.functional
    random_split = torch.utils.data.random_split
    WeightedRandomSampler = torch.utils.data.WeightedRandomSampler
    def index_splitter(n, splits, seed=13):
        idx = torch.arange(n)
        splits_tensor = torch.as_tensor(splits)
        multiplier = n / splits_tensor.sum()
        splits_tensor = (multiplier * splits_tensor).long()
        diff = n - splits_tensor.sum()
        splits_tensor[0] += diff
        torch.manual_seed(seed)
        return random_split(idx, splits_tensor)
    train_idx, val_idx = index_splitter(30, [80, 20])
    print(type(train_idx).__name__, type(train_idx.indices), train_idx.indices[:5], len(val_idx))
    print(train_idx[0], type(train_idx[0]).__name__)
    def make_balanced_sampler(y):
        classes, counts = y.unique(return_counts=True)
        weights = 1.0 / counts.float()
        sample_weights = weights[y.squeeze().long()]
        generator = torch.Generator()
        sampler = WeightedRandomSampler(weights=sample_weights, num_samples=len(sample_weights),
                                        generator=generator, replacement=True)
        return sampler
    torch.manual_seed(0)
    y = (torch.rand(30, 1) > 0.7).float()
    sampler = make_balanced_sampler(y)
    print(y.unique(return_counts=True), sampler.weights[:5], sampler.num_samples)
    sampler.generator.manual_seed(42)
    print(list(sampler)[:10])
    x = torch.arange(30.).view(-1, 1)
    ds = torch.utils.data.TensorDataset(x, y)
    tl = torch.utils.data.DataLoader(ds, batch_size=8, sampler=sampler)
    print(torch.tensor([t[1].mean() for t in iter(tl)]))
    try:
        torch.utils.data.DataLoader(ds, batch_size=8, sampler=sampler, shuffle=True)
    except Exception as e:
        print(type(e).__name__, str(e).splitlines()[0])
    sub = torch.utils.data.Subset(ds, train_idx.indices)
    print(len(sub), sub[0])
    # tensorboard in the StepByStep (set_tensorboard, add_graph, add_scalars)
    SummaryWriter = torch.utils.tensorboard.SummaryWriter if hasattr(torch.utils,
                                                                     'tensorboard') else None
    print(SummaryWriter is not None)
    # Transformed dataset (ch4, without torchvision)
    class TransformedTensorDataset(torch.utils.data.Dataset):
        def __init__(self, x, y, transform=None):
            self.x = x; self.y = y; self.transform = transform
        def __getitem__(self, index):
            x = self.x[index]
            if self.transform:
                x = self.transform(x)
            return x, self.y[index]
        def __len__(self):
            return len(self.x)
    imgs = torch.rand(6, 1, 3, 3)
    tds = TransformedTensorDataset(imgs, torch.arange(6), transform=lambda t: (t - 0.5) / 0.5)
    print(tds[1][0].shape, len(tds))
    print(next(iter(torch.utils.data.DataLoader(tds, batch_size=4)))[1])
    # flip like RandomHorizontalFlip
    print(torch.flip(imgs[0], dims=[-1])[0, 0], imgs[0].flip(-1).shape)
    # normalizer from loader stats (ch4/6)
    def statistics_per_channel(images, labels):
        n_samples, n_channels, n_height, n_weight = images.size()
        flatten_per_channel = images.reshape(n_samples, n_channels, -1)
        means = flatten_per_channel.mean(axis=2)
        stds = flatten_per_channel.std(axis=2)
        sum_means = means.sum(axis=0); sum_stds = stds.sum(axis=0)
        n_samples = torch.tensor([n_samples] * n_channels).float()
        return torch.stack([n_samples, sum_means, sum_stds], axis=0)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.rand(10, 3, 4, 4),
            torch.zeros(10)), batch_size=4)
    results = torch.stack([statistics_per_channel(xb, yb) for xb, yb in loader], axis=0).sum(axis=0)
    print(results.shape)
    norm_mean = results[1] / results[0]; norm_std = results[2] / results[0]
    print(norm_mean.shape, norm_std.dtype)
    # softmax/nll ch5
    logits = torch.tensor([1.3863, 0.0000, -0.6931])
    odds_ratios = torch.exp(logits)
    print(odds_ratios, odds_ratios / odds_ratios.sum(), nn.Softmax(dim=-1)(logits),
          F.softmax(logits, dim=-1))
    log_probs = F.log_softmax(logits, dim=-1)
    label = torch.tensor([2])
    print(F.nll_loss(log_probs.view(-1, 3), label), -log_probs[label])
    torch.manual_seed(11)
    dummy_logits = torch.randn((5, 3))
    dummy_labels = torch.tensor([0, 0, 1, 2, 1])
    dummy_log_probs = F.log_softmax(dummy_logits, dim=-1)
    print(dummy_log_probs)
    relevant_log_probs = torch.tensor([-1.5229, -0.3146, -0.2618, -1.2779, -1.0083])
    print(-relevant_log_probs.mean())
    loss_fn = nn.NLLLoss()
    print(loss_fn(dummy_log_probs, dummy_labels))
    loss_fn = nn.NLLLoss(weight=torch.tensor([1., 1., 2.]))
    print(loss_fn(dummy_log_probs, dummy_labels))
    loss_fn = nn.NLLLoss(ignore_index=2)
    print(loss_fn(dummy_log_probs, dummy_labels))
    print(nn.CrossEntropyLoss()(dummy_logits, dummy_labels))
    for f in [lambda: nn.NLLLoss()(dummy_log_probs, dummy_labels.float()),
              lambda: nn.NLLLoss(weight=torch.tensor([1., 1.]))(dummy_log_probs, dummy_labels),
              lambda: nn.NLLLoss()(dummy_log_probs[0], dummy_labels),
              lambda: nn.CrossEntropyLoss()(dummy_logits, dummy_labels.view(-1, 1)),
              lambda: nn.CrossEntropyLoss(weight=torch.tensor([1, 1, 2]))(dummy_logits,
                                                                          dummy_labels),
              ]:
        try:
            print(f())
        except Exception as e:
            print(type(e).__name__, str(e).splitlines()[0])


def prog_hooks(torch):
    nn = torch.nn
    torch.manual_seed(42)
    dummy_model = nn.Linear(1, 1)
    dummy_list = []
    def dummy_hook(layer, inputs, outputs):
        dummy_list.append((layer, inputs, outputs))
    dummy_handle = dummy_model.register_forward_hook(dummy_hook)
    print(type(dummy_handle).__name__, type(dummy_handle.id).__name__)  # ids count per process
    dummy_x = torch.tensor([0.3])
    print(dummy_model.forward(dummy_x))
    print(dummy_list)
    print(dummy_model(dummy_x))
    print(dummy_list)
    print(re.sub(r' at 0x[0-9a-f]+', '', str(list(dummy_model._forward_hooks.values()))))
    dummy_handle.remove()
    print(dummy_model._forward_hooks)
    dummy_handle.remove()
    print(dummy_model(dummy_x), len(dummy_list))
    # forward pre hook and output modifying hook
    h1 = dummy_model.register_forward_pre_hook(lambda m, inp: (inp[0] * 2,))
    h2 = dummy_model.register_forward_hook(lambda m, inp, out: out + 100)
    print(dummy_model(dummy_x))
    h1.remove(); h2.remove()
    print(dummy_model(dummy_x))
    # hooks on a Sequential with names (Godoy's attach_hooks pattern)
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    modules = list(model.named_modules())
    print([(n, type(m).__name__) for n, m in modules])
    layer_names = {layer: name for name, layer in modules[1:]}
    visualization = {}
    def hook_fn(layer, inputs, outputs):
        name = layer_names[layer]
        visualization[name] = outputs.detach().cpu().numpy()
    handles = {}
    for name, layer in modules:
        if name in ['0', '2']:
            handles[name] = layer.register_forward_hook(hook_fn)
    model(torch.randn(4, 2))
    print({k: v.shape for k, v in visualization.items()}, visualization['2'].dtype)
    for h in handles.values():
        h.remove()
    # backward hooks on tensors: retain_grad, hooks on non-leaf
    x = torch.tensor([1., 2.], requires_grad=True)
    y = x * 3
    y.retain_grad()
    z = (y ** 2).sum()
    z.backward()
    print(x.grad, y.grad, y.is_leaf, y.retains_grad, x.retains_grad)
    # parameter hooks modifying grads (Godoy's clipping with hooks), then a normal step
    torch.manual_seed(3)
    lin = nn.Linear(2, 1)
    hs = [p.register_hook(lambda g: torch.clamp(g, -0.1, 0.1)) for p in lin.parameters()]
    out = lin(torch.tensor([[10., -10.]])).sum()
    out.backward()
    print(lin.weight.grad, lin.bias.grad)
    for h in hs: h.remove()
    lin.zero_grad()
    print(lin.weight.grad)
    lin.zero_grad(set_to_none=False)
    lin(torch.tensor([[10., -10.]])).sum().backward()
    print(lin.weight.grad)
    # module state: training flags
    m = nn.Sequential(nn.Dropout(0.5), nn.BatchNorm1d(2))
    m.eval()
    print([mod.training for mod in m.modules()])
    m.train(False); m[0].train()
    print([mod.training for mod in m.modules()], m.training)
    print(m.state_dict().keys())
    print(dict(m.named_buffers()).keys(), [n for n, _ in m.named_parameters()])


def test_vit():
    same_printout(prog_vit)


def test_data():
    same_printout(prog_data)


def test_hooks():
    same_printout(prog_hooks)
