"""Modern architectures (see tests/s20_archs_progs.py), this file: a ViT with hand-written
multi-head attention (lucidrains/vit-pytorch vit.py written without einops), and the
mistakes learners make building these models (grouped convs whose channels do not divide,
layer_norm over the wrong shape, a cls token of the wrong width, a positional embedding
for too few patches), whose errors must match PyTorch's."""

from s16_yunjey_progs import Out


def _vit_scratch(L, image_size=16, patch_size=4, num_classes=10, dim=32, depth=2, heads=4,
                 dim_head=8, mlp_dim=64, pool='cls', channels=3, dropout=0.1, emb_dropout=0.1):
    nn = L.nn

    class FeedForward(nn.Module):
        def __init__(self, dim, hidden_dim, dropout=0.):
            super().__init__()
            self.net = nn.Sequential(
                nn.LayerNorm(dim),
                nn.Linear(dim, hidden_dim),
                nn.GELU(),
                nn.Dropout(dropout),
                nn.Linear(hidden_dim, dim),
                nn.Dropout(dropout)
            )

        def forward(self, x):
            return self.net(x)

    class Attention(nn.Module):
        def __init__(self, dim, heads=8, dim_head=64, dropout=0.):
            super().__init__()
            inner_dim = dim_head * heads
            project_out = not (heads == 1 and dim_head == dim)
            self.heads = heads
            self.scale = dim_head ** -0.5
            self.norm = nn.LayerNorm(dim)
            self.attend = nn.Softmax(dim=-1)
            self.dropout = nn.Dropout(dropout)
            self.to_qkv = nn.Linear(dim, inner_dim * 3, bias=False)
            self.to_out = nn.Sequential(
                nn.Linear(inner_dim, dim),
                nn.Dropout(dropout)
            ) if project_out else nn.Identity()

        def forward(self, x):
            x = self.norm(x)
            b, n, _ = x.shape
            qkv = self.to_qkv(x).chunk(3, dim=-1)
            q, k, v = map(lambda t: t.reshape(b, n, self.heads, -1).transpose(1, 2), qkv)
            dots = L.matmul(q, k.transpose(-1, -2)) * self.scale
            attn = self.attend(dots)
            attn = self.dropout(attn)
            out = L.matmul(attn, v)
            out = out.transpose(1, 2).reshape(b, n, -1)
            return self.to_out(out)

    class Transformer(nn.Module):
        def __init__(self, dim, depth, heads, dim_head, mlp_dim, dropout=0.):
            super().__init__()
            self.norm = nn.LayerNorm(dim)
            self.layers = nn.ModuleList([])
            for _ in range(depth):
                self.layers.append(nn.ModuleList([
                    Attention(dim, heads=heads, dim_head=dim_head, dropout=dropout),
                    FeedForward(dim, mlp_dim, dropout=dropout)
                ]))

        def forward(self, x):
            for attn, ff in self.layers:
                x = attn(x) + x
                x = ff(x) + x
            return self.norm(x)

    class ViT(nn.Module):
        def __init__(self):
            super().__init__()
            num_patches = (image_size // patch_size) ** 2
            patch_dim = channels * patch_size * patch_size
            assert pool in {'cls', 'mean'}, 'pool type must be either cls (cls token) or mean (mean pooling)'
            self.patch_size = patch_size
            self.to_patch_embedding = nn.Sequential(
                nn.LayerNorm(patch_dim),
                nn.Linear(patch_dim, dim),
                nn.LayerNorm(dim),
            )
            self.pos_embedding = nn.Parameter(L.randn(1, num_patches + 1, dim))
            self.cls_token = nn.Parameter(L.randn(1, 1, dim))
            self.dropout = nn.Dropout(emb_dropout)
            self.transformer = Transformer(dim, depth, heads, dim_head, mlp_dim, dropout)
            self.pool = pool
            self.to_latent = nn.Identity()
            self.mlp_head = nn.Linear(dim, num_classes)

        def patchify(self, img):  # 'b c (h p1) (w p2) -> b (h w) (p1 p2 c)'
            p = self.patch_size
            patches = img.unfold(2, p, p).unfold(3, p, p)  # b c h w p1 p2
            b, c, h, w = patches.shape[:4]
            return patches.permute(0, 2, 3, 4, 5, 1).reshape(b, h * w, -1)

        def forward(self, img):
            x = self.to_patch_embedding(self.patchify(img))
            b, n, _ = x.shape
            cls_tokens = self.cls_token.repeat(b, 1, 1)
            x = L.cat((cls_tokens, x), dim=1)
            x += self.pos_embedding[:, :(n + 1)]
            x = self.dropout(x)
            x = self.transformer(x)
            x = x.mean(dim=1) if self.pool == 'mean' else x[:, 0]
            x = self.to_latent(x)
            return self.mlp_head(x)

    return ViT()


def vit_scratch(L):
    nn = L.nn
    with Out() as o:
        L.manual_seed(0)
        v = _vit_scratch(L)
        o.print(v.transformer.layers[0])
        img = L.randn(3, 3, 16, 16)
        labels = L.tensor([1, 4, 9])
        preds = v(img)  # (3, 10)
        o.print(preds.shape)
        opt = L.optim.AdamW(v.parameters(), lr=3e-4)
        sched = L.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-3, total_steps=4)
        for step in range(2):
            opt.zero_grad()
            loss = nn.CrossEntropyLoss()(v(img), labels)
            loss.backward()
            opt.step()
            sched.step()
            acc = (preds.argmax(dim=1) == labels).float().mean()
            o.print(f"step {step} loss {loss.item():.4f} acc {acc.item():.4f} lr {sched.get_last_lr()[0]:.6f}")
            o.vals.append(loss)
        o.vals += [v.cls_token.grad, v.pos_embedding.grad, v.to_patch_embedding[1].weight.grad]
        v.eval()
        with L.no_grad():
            o.vals.append(v(img))
    return o.done()


def mistakes(L):
    nn, F = L.nn, L.nn.functional
    with Out() as o:
        L.manual_seed(0)
        o.tryit(lambda: nn.Conv2d(6, 8, 3, groups=4))
        o.tryit(lambda: nn.Conv2d(8, 6, 3, groups=4))
        o.tryit(lambda: nn.Conv2d(8, 8, 3, groups=0))
        o.tryit(lambda: nn.Conv2d(8, 8, 3, padding='same', stride=2))
        o.tryit(lambda: nn.Conv2d(8, 8, 3, padding='valid', groups=8))
        o.tryit(lambda: nn.Conv2d(8, 8, 3, padding='same', groups=8))
        dw = nn.Conv2d(8, 8, 7, padding=3, groups=8)
        o.tryit(lambda: dw(L.randn(1, 4, 5, 5)).shape)
        o.tryit(lambda: dw(L.randn(1, 8, 5, 5)).shape)
        o.tryit(lambda: dw.weight.shape)
        g = nn.Conv2d(8, 4, 3, groups=2)
        o.tryit(lambda: g(L.randn(2, 6, 5, 5)).shape)
        o.tryit(lambda: F.conv2d(L.randn(1, 8, 5, 5), L.randn(4, 4, 3, 3), groups=3).shape)
        o.tryit(lambda: F.conv2d(L.randn(1, 8, 5, 5), L.randn(6, 4, 3, 3), groups=2).shape)
        x = L.randn(2, 8, 4, 4)
        o.tryit(lambda: F.layer_norm(x, (4, 4)).shape)
        o.tryit(lambda: F.layer_norm(x, (8,)).shape)
        o.tryit(lambda: F.layer_norm(x, 4).shape)
        o.tryit(lambda: F.layer_norm(x, (8,), L.ones(8), L.zeros(8)).shape)
        o.tryit(lambda: F.layer_norm(x.permute(0, 2, 3, 1), (8,), L.ones(4)).shape)
        o.tryit(lambda: nn.LayerNorm(8)(x).shape)
        o.tryit(lambda: L.cat((L.zeros(1, 1, 16).expand(2, -1, -1), L.zeros(2, 4, 32)), dim=1))
        o.tryit(lambda: (L.zeros(2, 17, 32) + L.zeros(1, 10, 32)).shape)
        o.tryit(lambda: L.zeros(1, 1, 8).expand(3, 2, -1).shape)
        o.tryit(lambda: L.zeros(1, 1, 8).expand(3, -1).shape)
        o.tryit(lambda: L.zeros(1, 1, 8).repeat(3, 1).shape)
        o.tryit(lambda: L.zeros(2, 8, 4, 4).permute(0, 2, 3).shape)
        o.tryit(lambda: L.zeros(2, 8, 4, 4).permute(0, 2, 3, 3).shape)
        o.tryit(lambda: L.zeros(2, 8, 4, 4).mean([-2, -2]).shape)
        o.tryit(lambda: L.zeros(2, 8, 4, 4).mean([-2, -1], keepdim=True).shape)
        o.tryit(lambda: L.zeros(2, 8, 4, 4).mean((2, 3)).shape)
        o.tryit(lambda: L.zeros(2, 8, 4, 4).mean([]).shape)
        o.tryit(lambda: L.zeros(2, 8, 4, 4, dtype=L.long).mean([-2, -1]))
        o.tryit(lambda: L.zeros(2, 8, 5, 5).unfold(2, 2, 2).shape)
        o.tryit(lambda: L.zeros(2, 8, 5, 5).unfold(2, 6, 2).shape)
        o.tryit(lambda: L.zeros(2, 8, 4, 4).view(2, 8, -1).chunk(3, dim=-1)[2].shape)
        o.tryit(lambda: L.empty(3).bernoulli_(1.5))
        o.tryit(lambda: L.empty(3).bernoulli_(-0.1))
        o.tryit(lambda: L.empty(3, dtype=L.long).bernoulli_(0.5).dtype)
        o.tryit(lambda: L.rand(4, 1, 1, 1).add(0.7).floor_().dtype)
        o.tryit(lambda: nn.init.trunc_normal_(L.empty(3), a=2., b=-2.).shape)
        o.tryit(lambda: nn.init.trunc_normal_(L.empty(0)).shape)
        o.tryit(lambda: nn.init.trunc_normal_(L.empty(2, 3, dtype=L.float64), std=.02).dtype)
        o.tryit(lambda: F.adaptive_avg_pool2d(L.zeros(2, 3, 5, 7), 1).shape)
        o.tryit(lambda: F.adaptive_avg_pool2d(L.zeros(2, 3, 5, 7), (None, 2)).shape)
        o.tryit(lambda: F.avg_pool2d(L.zeros(2, 3, 3, 3), 4).shape)
        o.tryit(lambda: F.relu6(L.tensor([-1., 3., 7.])))
        o.tryit(lambda: F.hardtanh(L.tensor([-1., 3., 7.]), 0., 6.))
        o.tryit(lambda: nn.ReLU6(inplace=True))
        o.tryit(lambda: nn.Hardswish())
        o.tryit(lambda: F.hardswish(L.tensor([-4., -1., 0., 2., 4.])))
        o.tryit(lambda: F.silu(L.tensor([-1., 0., 2.]), inplace=False))
        o.tryit(lambda: F.gelu(L.tensor([-1., 0., 2.]), approximate='tanh'))
        o.tryit(lambda: F.gelu(L.tensor([-1., 0., 2.]), approximate='exact'))
        o.tryit(lambda: nn.GELU('tanh'))
    return o.done()
