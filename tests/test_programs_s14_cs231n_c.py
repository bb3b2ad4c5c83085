"""Session 14, CS231n assignment 3 continued: the DC GAN (Unflatten, BatchNorm1d/2d,
ConvTranspose2d), StyleTransfer-PyTorch (content, Gram-matrix style and total-variation
losses, Adam on the image, the learning rate lowered by hand) and Transformer_Captioning
(MultiHeadAttention and PositionalEncoding from scratch, the captioning model, a temporal
softmax loss with a mask); each run live on torch 2.13 and ember."""

import copy
import math

import numpy as np
from test_programs_s14_cs231n import same_printout
from test_programs_s14_cs231n_b import (NOISE_DIM, adam, discriminator_loss, generator_loss,
                                        images_of, initialize_weights, sample_noise)
from torch_compare import exact_and_close


def dc_gan(L):
    nn = L.nn

    class Unflatten(nn.Module):
        def __init__(self, N=-1, C=128, H=7, W=7):
            super(Unflatten, self).__init__()
            self.N, self.C, self.H, self.W = N, C, H, W

        def forward(self, x):
            return x.view(self.N, self.C, self.H, self.W)

    D = nn.Sequential(nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 4, 3, stride=1),
                      nn.LeakyReLU(0.01), nn.MaxPool2d(2, 2), nn.Flatten(),
                      nn.Linear(4 * 3 * 3, 8), nn.LeakyReLU(0.01), nn.Linear(8, 1))
    G = nn.Sequential(
        nn.Linear(NOISE_DIM, 32), nn.ReLU(), nn.BatchNorm1d(32),
        nn.Linear(32, 16), nn.ReLU(), nn.BatchNorm1d(16), Unflatten(-1, 4, 2, 2),
        nn.ConvTranspose2d(4, 3, kernel_size=4, stride=2, padding=1), nn.ReLU(),
        nn.BatchNorm2d(3), nn.ConvTranspose2d(3, 1, kernel_size=4, stride=2, padding=1),
        nn.Tanh(), nn.Flatten())
    return D, G


def dc_gan_steps(L, iters):
    L.manual_seed(0)
    D, G = dc_gan(L)
    D.apply(lambda m: initialize_weights(L, m))
    G.apply(lambda m: initialize_weights(L, m))
    Do, Go = adam(L, D), adam(L, G)
    losses = []
    for _ in range(iters):
        for x in (i.view(8, 64) for i in images_of(L) if len(i) == 8):
            Do.zero_grad()
            fake = G(sample_noise(L, 8, NOISE_DIM)).detach()
            d = discriminator_loss(L, D(2 * (x - 0.5)), D(fake))
            d.backward()
            Do.step()
            Go.zero_grad()
            g = generator_loss(L, D(G(sample_noise(L, 8, NOISE_DIM))))
            g.backward()
            Go.step()
            losses += [d.detach(), g.detach()]
    return D, G, losses


def test_dc_gan_layers_and_first_steps():
    def prog(L):
        D, G, losses = dc_gan_steps(L, 1)
        print(D, G)
        print(D(L.zeros(8, 64)).size(), G(L.zeros(8, NOISE_DIM)).size())
        count = lambda m: np.sum([np.prod(p.size()) for p in m.parameters()])  # noqa: E731
        print(count(D), count(G), type(count(D)))
        print(['%.4f' % v for v in losses])
        ct = L.nn.ConvTranspose2d(2, 1, 4, stride=2, padding=1)
        x = L.randn(1, 2, 3, 3)
        print(ct, ct(x).shape, ct(x, output_size=[7, 7]).shape,
              L.nn.init._calculate_fan_in_and_fan_out(ct.weight))
        ct(x, output_size=[9, 9])
    same_printout(prog)


def test_dc_gan_training_to_rounding():
    """G's first bias feeds ReLU then BatchNorm1d: one entry of its gradient cancels to ~1e-8,
    whose sign follows the rounding of BatchNorm's backward sums, and Adam's first step is
    +-lr whatever its size; so losses over three epochs agree to ~1e-3, not to the bit."""
    def prog(L):
        D, G, losses = dc_gan_steps(L, 3)
        return [str(G), str(D)], losses + [G[2].running_mean, G[9].running_var,
                                           G.eval()(sample_noise(L, 2, NOISE_DIM)).detach()]
    exact_and_close(prog, rtol=2e-2, atol=5e-3)


# ---- style transfer ------------------------------------------------------------------------

def content_loss(L, content_weight, content_current, content_original):
    return content_weight * ((content_current - content_original) ** 2).sum()


def gram_matrix(L, features, normalize=True):
    N, C, H, W = features.shape
    f = features.view(N, C, H * W)
    gram = L.bmm(f, f.transpose(1, 2))
    if normalize:
        gram /= (H * W * C)
    return gram


def style_loss(L, feats, style_layers, style_targets, style_weights):
    loss = 0
    for i, layer in enumerate(style_layers):
        loss += style_weights[i] * ((gram_matrix(L, feats[layer]) - style_targets[i]) ** 2).sum()
    return loss


def tv_loss(L, img, tv_weight):
    h = ((img[:, :, 1:, :] - img[:, :, :-1, :]) ** 2).sum()
    w = ((img[:, :, :, 1:] - img[:, :, :, :-1]) ** 2).sum()
    return tv_weight * (h + w)


def extract_features(x, cnn):
    features, prev_feat = [], x
    for module in cnn._modules.values():
        prev_feat = module(prev_feat)
        features.append(prev_feat)
    return features


def test_style_transfer_losses():
    def prog(L):
        g = np.random.default_rng(0)
        a, b = (L.from_numpy(g.standard_normal((1, 4, 5, 6)).astype(np.float32))
                for _ in range(2))
        print(content_loss(L, 6e-2, a, b), gram_matrix(L, a))
        print(gram_matrix(L, a, normalize=False)[0, 0], tv_loss(L, a[:, :3], 2e-2))
        x = L.randn(1, 2, 3, 3, requires_grad=True)
        gm = gram_matrix(L, x)
        gm.sum().backward()
        print(gm.grad_fn.name(), x.grad.shape, sum([L.tensor(1.0), L.tensor(2.0)]))
        gram_matrix(L, L.randn(1, 3, 3, 2).permute(0, 3, 1, 2))  # view of a permuted map
    same_printout(prog)


def style_transfer(L, init_random=False, iters=10, decay_lr_at=6):
    L.manual_seed(0)
    nn = L.nn
    cnn = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(6, 6, 3, padding=1), nn.ReLU())
    for p in cnn.parameters():
        p.requires_grad = False
    g = L.Generator().manual_seed(5)
    content_img, style_img = L.rand(1, 3, 16, 16, generator=g), L.rand(1, 3, 16, 16, generator=g)
    style_layers, style_weights = (1, 4, 7), [20000, 500, 12]
    content_target = extract_features(content_img, cnn)[3].clone()
    feats = extract_features(style_img, cnn)
    style_targets = [gram_matrix(L, feats[idx].clone()) for idx in style_layers]
    img = L.Tensor(content_img.size()).uniform_(0, 1) if init_random else content_img.clone()
    img.requires_grad_()
    optimizer = L.optim.Adam([img], lr=3.0)
    losses, lrs = [], []
    for t in range(iters):
        if t < iters - 2:
            img.data.clamp_(-1.5, 1.5)
        optimizer.zero_grad()
        feats = extract_features(img, cnn)
        parts = (content_loss(L, 5e-2, feats[3], content_target),
                 style_loss(L, feats, style_layers, style_targets, style_weights),
                 tv_loss(L, img, 5e-2))
        loss = sum(parts)
        loss.backward()
        if t == decay_lr_at:
            for pg in optimizer.param_groups:
                pg['lr'] = 0.1
        optimizer.step()
        losses += [p.detach() for p in parts]
        lrs.append(optimizer.param_groups[0]['lr'])
    return img, losses, lrs, optimizer


def test_style_transfer_adam_on_the_image_to_rounding():
    """Adam divides by sqrt(v), one ulp apart from PyTorch's (MKL) in some entries, and the
    convolutions and bmm sum in other orders: the image and losses agree to rounding."""
    def prog(L):
        exact, values = [], []
        for init_random in (False, True):
            img, losses, lrs, opt = style_transfer(L, init_random, iters=8 if init_random else 10)
            exact += [tuple(img.shape), img.requires_grad, str(img.dtype), lrs,
                      opt.state[img]['step'].item(), opt.state_dict()['param_groups']]
            values += losses + [img.detach()]
        return exact, values
    exact_and_close(prog, rtol=2e-4, atol=1e-5)


def test_optimizing_the_image_mistakes():
    def prog(L):
        opt = L.optim.Adam([L.rand(1, 3, 4, 4)], lr=3.0)  # no requires_grad: step skips it
        print(opt.param_groups[0]['params'][0].requires_grad)
        opt.step()
        for bad in (lambda: L.optim.Adam([L.rand(2, requires_grad=True) * 2], lr=3.0),
                    lambda: L.optim.Adam(L.rand(2, requires_grad=True), lr=3.0)):
            try:
                bad()
            except (ValueError, TypeError) as e:
                print(type(e).__name__, e)
    same_printout(prog)


# ---- Transformer captioning ----------------------------------------------------------------

def captioning(L):
    nn, F = L.nn, L.nn.functional

    class MultiHeadAttention(nn.Module):
        def __init__(self, embed_dim, num_heads, dropout=0.1):
            super().__init__()
            assert embed_dim % num_heads == 0
            self.key, self.query = nn.Linear(embed_dim, embed_dim), nn.Linear(embed_dim, embed_dim)
            self.value, self.proj = nn.Linear(embed_dim, embed_dim), nn.Linear(embed_dim, embed_dim)
            self.attn_drop = nn.Dropout(dropout)
            self.n_head = num_heads

        def forward(self, query, key, value, attn_mask=None):
            N, S, E = query.shape
            N, T, E = value.shape
            H = self.n_head
            q = self.query(query).view(N, S, H, E // H).transpose(1, 2)
            k = self.key(key).view(N, T, H, E // H).transpose(1, 2)
            v = self.value(value).view(N, T, H, E // H).transpose(1, 2)
            scores = q @ k.transpose(2, 3) / math.sqrt(E / H)
            if attn_mask is not None:
                scores = scores.masked_fill(attn_mask == 0, float('-inf'))
            y = self.attn_drop(F.softmax(scores, dim=-1)) @ v
            return self.proj(y.transpose(1, 2).reshape(N, S, E))

    class PositionalEncoding(nn.Module):
        def __init__(self, embed_dim, dropout=0.1, max_len=5000):
            super().__init__()
            self.dropout = nn.Dropout(p=dropout)
            pe = L.zeros(1, max_len, embed_dim)
            i = L.arange(max_len)[:, None]
            pows = L.pow(10000, -L.arange(0, embed_dim, 2) / embed_dim)
            pe[0, :, 0::2] = L.sin(i * pows)
            pe[0, :, 1::2] = L.cos(i * pows)
            self.register_buffer('pe', pe)

        def forward(self, x):
            return self.dropout(x + self.pe[:, :x.shape[1]])

    class DecoderLayer(nn.Module):
        def __init__(self, input_dim, num_heads, dim_feedforward=32, dropout=0.1):
            super().__init__()
            self.self_attn = MultiHeadAttention(input_dim, num_heads, dropout)
            self.multihead_attn = MultiHeadAttention(input_dim, num_heads, dropout)
            self.linear1 = nn.Linear(input_dim, dim_feedforward)
            self.linear2 = nn.Linear(dim_feedforward, input_dim)
            self.norm1, self.norm2 = nn.LayerNorm(input_dim), nn.LayerNorm(input_dim)
            self.norm3, self.dropout = nn.LayerNorm(input_dim), nn.Dropout(dropout)

        def forward(self, tgt, memory, tgt_mask=None):
            tgt = self.norm1(tgt + self.dropout(self.self_attn(tgt, tgt, tgt, tgt_mask)))
            tgt = self.norm2(tgt + self.dropout(self.multihead_attn(tgt, memory, memory)))
            ff = self.linear2(self.dropout(F.relu(self.linear1(tgt))))
            return self.norm3(tgt + self.dropout(ff))

    class CaptioningTransformer(nn.Module):
        def __init__(self, word_to_idx, input_dim, wordvec_dim, num_heads=2, num_layers=2,
                     max_length=30):
            super().__init__()
            self._null, self._start = word_to_idx["<NULL>"], word_to_idx.get("<START>")
            self.visual_projection = nn.Linear(input_dim, wordvec_dim)
            self.embedding = nn.Embedding(len(word_to_idx), wordvec_dim, padding_idx=self._null)
            self.positional_encoding = PositionalEncoding(wordvec_dim, max_len=max_length)
            layer = DecoderLayer(wordvec_dim, num_heads)
            self.layers = nn.ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])
            self.apply(self._init_weights)
            self.output = nn.Linear(wordvec_dim, len(word_to_idx))

        def _init_weights(self, module):
            if isinstance(module, (nn.Linear, nn.Embedding)):
                module.weight.data.normal_(mean=0.0, std=0.02)
                if isinstance(module, nn.Linear) and module.bias is not None:
                    module.bias.data.zero_()
            elif isinstance(module, nn.LayerNorm):
                module.bias.data.zero_()
                module.weight.data.fill_(1.0)

        def forward(self, features, captions):
            N, T = captions.shape
            x = self.positional_encoding(self.embedding(captions))
            memory = self.visual_projection(features).unsqueeze(1)
            tgt_mask = L.tril(L.ones(T, T, device=x.device, dtype=x.dtype))
            for layer in self.layers:
                x = layer(x, memory, tgt_mask=tgt_mask)
            return self.output(x)

        def sample(self, features, max_length=4):
            with L.no_grad():
                features = L.Tensor(features)
                captions = self._null * np.ones((features.shape[0], max_length), dtype=np.int32)
                partial = L.LongTensor(self._start * np.ones(features.shape[0], dtype=np.int32))
                partial = partial.unsqueeze(1)
                for t in range(max_length):
                    word = L.argmax(self.forward(features, partial)[:, -1, :], axis=1)
                    captions[:, t] = word.numpy()
                    partial = L.cat([partial, word.unsqueeze(1)], dim=1)
                return captions

    return MultiHeadAttention, PositionalEncoding, CaptioningTransformer


def temporal_softmax_loss(L, x, y, mask):
    N, T, V = x.shape
    loss = L.nn.functional.cross_entropy(x.reshape(N * T, V), y.reshape(N * T), reduction='none')
    return L.mean(L.mul(loss, mask.reshape(N * T)))


def test_multihead_attention_and_positional_encoding():
    def prog(L):
        MHA, PE, _ = captioning(L)
        L.manual_seed(231)
        attn = MHA(8, num_heads=2)
        for _, v in attn.named_parameters():
            v.data = L.linspace(-0.4, 0.3, steps=v.numel()).reshape(*v.shape)
        data = L.linspace(-0.1, 0.5, steps=32).reshape(1, 4, 8)
        key = L.linspace(-0.2, 0.3, 24).reshape(1, 3, 8)
        mask = L.randn(4, 3) < 0.5
        attn.eval()
        print(attn(data, key, data[:, :3] * 2), attn(data, key, data[:, :3] * 2, mask), mask)
        x = L.randn(1, 3, 8, requires_grad=True)
        out = attn(x, x, x, L.zeros(3, 3))  # every key masked: softmax of -inf rows is nan
        out.sum().backward()
        print(out, x.grad, attn.query.weight.grad[0])
        attn.train()
        print(attn(data, data, data, L.tril(L.ones(4, 4))))
        pe = PE(6, max_len=4)
        print(pe, list(pe.state_dict().keys()), pe.pe, pe.pe.requires_grad)
        print(pe.eval()(L.randn(1, 4, 6)), dict(pe.named_buffers()).keys())
        print(L.pow(10000, -L.arange(0, 6, 2) / 6), 10000 ** (-L.arange(0, 6, 2) / 6.))
    same_printout(prog)


def test_captioning_transformer_loss_sample_and_training():
    def prog(L):
        _, _, CT = captioning(L)
        L.manual_seed(231)
        g = np.random.default_rng(231)
        word_to_idx = {"<NULL>": 0, "cat": 2, "dog": 3, "<START>": 1, "<END>": 4, "a": 5}
        model = CT(word_to_idx, input_dim=12, wordvec_dim=8)
        print(model, sum(p.numel() for p in model.parameters()))
        features = L.from_numpy(g.standard_normal((3, 12)).astype(np.float32))
        captions = L.from_numpy(g.integers(6, size=(3, 5)))
        scores = model.eval()(features, captions)
        print(scores.shape, scores[0, :2])
        print(temporal_softmax_loss(L, scores, captions, captions != model._null))
        print(model.sample(features.numpy()))
        model.train()
        opt = L.optim.Adam(model.parameters(), lr=1e-3)
        for it in range(3):
            logits = model(features, captions[:, :-1])
            loss = temporal_softmax_loss(L, logits, captions[:, 1:], captions[:, 1:] != 0)
            opt.zero_grad()
            loss.backward()
            opt.step()
            print('(Iteration %d) loss: %f' % (it, loss.item()))
        print(model.embedding.weight.grad[0])
        x = L.from_numpy(g.standard_normal((2, 3, 5)).astype(np.float32)).requires_grad_()
        y = L.tensor([[1, 0, 2], [3, 4, 0]])
        loss = temporal_softmax_loss(L, x, y, y != 0)
        loss.backward()
        print(loss, x.grad[0], L.nn.functional.cross_entropy(x.reshape(6, 5), y.reshape(6),
                                                            ignore_index=0))
        L.nn.functional.cross_entropy(x, y)  # (N, T, V) scores: classes must be dim 1
    same_printout(prog)


def test_captioning_mistakes_raise_as_pytorch():
    cases = [lambda L: L.randn(2, 3).masked_fill(L.tensor([[1, 0, 1], [0, 0, 1]]), 0.0),
             lambda L: L.randn(2, 3).masked_fill(L.ones(3, 2) == 0, 0.0),
             lambda L: L.tensor([[1, 2], [3, 4]]).masked_fill(L.tensor(True), float('-inf')),
             lambda L: L.randn(2, 3, requires_grad=True).masked_fill_(L.tensor(True), 0.0),
             lambda L: L.randn(2, 3).masked_fill(L.tensor(True), L.tensor([1.5, 2.])),
             lambda L: L.randn(1, 2, 4, 3).transpose(1, 2).view(1, 4, 6),
             lambda L: L.randn(1, 4, 8).view(1, 4, 3, -1),
             lambda L: L.nn.Embedding(5, 3)(L.tensor([[1.0, 2.0]])),
             lambda L: L.nn.Embedding(5, 3)(L.tensor([[1, 5]])),
             lambda L: L.randn(2, 3, 5).transpose(0, 1).view(6, 5)]
    for case in cases:
        assert same_printout(case)[-1].startswith("raised")
