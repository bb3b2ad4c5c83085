"""labml.ai's annotated DDPM (linear beta schedule, gather, q_sample, p_sample, the
noise-prediction loss with a tiny UNet), a DCGAN step with the gradient penalty
(autograd.grad with create_graph=True) and layer/batch norm written by hand next to nn's,
scaled down, as ``prog(L) -> (printed, values)`` for tests/test_programs_s15_labml.py."""

import math

import numpy as np


def ddpm(L):
    nn = L.nn; F = nn.functional
    out, vals = [], []

    def gather(consts, t):
        c = consts.gather(-1, t)
        return c.reshape(-1, 1, 1, 1)

    class Swish(nn.Module):
        def forward(self, x):
            return x * L.sigmoid(x)

    class TimeEmbedding(nn.Module):
        def __init__(self, n_channels):
            super().__init__()
            self.n_channels = n_channels
            self.lin1 = nn.Linear(self.n_channels // 4, self.n_channels)
            self.act = Swish()
            self.lin2 = nn.Linear(self.n_channels, self.n_channels)
        def forward(self, t):
            half_dim = self.n_channels // 8
            emb = math.log(10_000) / (half_dim - 1)
            emb = L.exp(L.arange(half_dim, device=t.device) * -emb)
            emb = t[:, None] * emb[None, :]
            emb = L.cat((emb.sin(), emb.cos()), dim=1)
            emb = self.act(self.lin1(emb))
            emb = self.lin2(emb)
            return emb

    class ResidualBlock(nn.Module):
        def __init__(self, in_channels, out_channels, time_channels, n_groups=2, dropout=0.1):
            super().__init__()
            self.norm1 = nn.GroupNorm(n_groups, in_channels)
            self.act1 = Swish()
            self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=(3, 3), padding=(1, 1))
            self.norm2 = nn.GroupNorm(n_groups, out_channels)
            self.act2 = Swish()
            self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=(3, 3), padding=(1, 1))
            if in_channels != out_channels:
                self.shortcut = nn.Conv2d(in_channels, out_channels, kernel_size=(1, 1))
            else:
                self.shortcut = nn.Identity()
            self.time_emb = nn.Linear(time_channels, out_channels)
            self.time_act = Swish()
            self.dropout = nn.Dropout(dropout)
        def forward(self, x, t):
            h = self.conv1(self.act1(self.norm1(x)))
            h += self.time_emb(self.time_act(t))[:, :, None, None]
            h = self.conv2(self.dropout(self.act2(self.norm2(h))))
            return h + self.shortcut(x)

    class UNet(nn.Module):
        def __init__(self, image_channels=1, n_channels=8):
            super().__init__()
            self.image_proj = nn.Conv2d(image_channels, n_channels, kernel_size=(3, 3),
                                        padding=(1, 1))
            self.time_emb = TimeEmbedding(n_channels * 4)
            self.down = ResidualBlock(n_channels, 2 * n_channels, n_channels * 4)
            self.pool = nn.Conv2d(2 * n_channels, 2 * n_channels, (3, 3), (2, 2), (1, 1))
            self.mid = ResidualBlock(2 * n_channels, 2 * n_channels, n_channels * 4)
            self.upsample = nn.ConvTranspose2d(2 * n_channels, 2 * n_channels, (4, 4), (2, 2),
                                               (1, 1))
            self.up = ResidualBlock(4 * n_channels, n_channels, n_channels * 4)
            self.norm = nn.GroupNorm(2, n_channels)
            self.act = Swish()
            self.final = nn.Conv2d(n_channels, image_channels, kernel_size=(3, 3), padding=(1, 1))
        def forward(self, x, t):
            t = self.time_emb(t)
            x = self.image_proj(x)
            h = self.down(x, t)
            s = h
            h = self.mid(self.pool(h), t)
            h = self.upsample(h)
            h = L.cat((h, s), dim=1)
            h = self.up(h, t)
            return self.final(self.act(self.norm(h)))

    class DenoiseDiffusion:
        def __init__(self, eps_model, n_steps, device):
            super().__init__()
            self.eps_model = eps_model
            self.beta = L.linspace(0.0001, 0.02, n_steps).to(device)
            self.alpha = 1. - self.beta
            self.alpha_bar = L.cumprod(self.alpha, dim=0)
            self.n_steps = n_steps
            self.sigma2 = self.beta
        def q_xt_x0(self, x0, t):
            mean = gather(self.alpha_bar, t) ** 0.5 * x0
            var = 1 - gather(self.alpha_bar, t)
            return mean, var
        def q_sample(self, x0, t, eps=None):
            if eps is None:
                eps = L.randn_like(x0)
            mean, var = self.q_xt_x0(x0, t)
            return mean + (var ** 0.5) * eps
        def p_sample(self, xt, t):
            eps_theta = self.eps_model(xt, t)
            alpha_bar = gather(self.alpha_bar, t)
            alpha = gather(self.alpha, t)
            eps_coef = (1 - alpha) / (1 - alpha_bar) ** .5
            mean = 1 / (alpha ** 0.5) * (xt - eps_coef * eps_theta)
            var = gather(self.sigma2, t)
            eps = L.randn(xt.shape, device=xt.device)
            return mean + (var ** .5) * eps
        def loss(self, x0, noise=None):
            batch_size = x0.shape[0]
            t = L.randint(0, self.n_steps, (batch_size,), device=x0.device, dtype=L.long)
            if noise is None:
                noise = L.randn_like(x0)
            xt = self.q_sample(x0, t, eps=noise)
            eps_theta = self.eps_model(xt, t)
            return F.mse_loss(noise, eps_theta)

    L.manual_seed(0)
    device = L.device('cpu')
    eps_model = UNet().to(device)
    out.append(repr(eps_model))
    diffusion = DenoiseDiffusion(eps_model=eps_model, n_steps=50, device=device)
    vals += [diffusion.beta, diffusion.alpha, diffusion.alpha_bar]
    out.append(repr(diffusion.alpha_bar[:5])); out.append(repr(diffusion.beta[-3:]))
    optimizer = L.optim.Adam(eps_model.parameters(), lr=2e-4)
    data = L.rand(6, 1, 8, 8) * 2 - 1
    for step in range(3):
        optimizer.zero_grad()
        loss = diffusion.loss(data)
        loss.backward()
        optimizer.step()
        vals.append(loss.item())
        out.append((type(loss.grad_fn).__name__, str(loss.dtype)))
    t = L.tensor([3, 10, 49])
    g = gather(diffusion.alpha_bar, t)
    out.append(repr(g.shape)); vals.append(g)
    with L.no_grad():
        x = L.randn([2, 1, 8, 8], device=device)
        for t_ in range(3):
            t = 50 - t_ - 1
            x = diffusion.p_sample(x, x.new_full((2,), t, dtype=L.long))
        vals.append(x)
    out.append(str(x.dtype))
    # learner mistakes
    def m1(): return gather(diffusion.alpha_bar, L.tensor([3.0, 4.0]))
    def m2(): return gather(diffusion.alpha_bar, L.tensor([50]))
    def m3(): return diffusion.alpha_bar.gather(0, L.tensor([[1], [2]]))
    def m4(): return eps_model(data, L.tensor([1, 2]))
    def m5(): return diffusion.q_sample(data, 3)
    for f in (m1, m2, m3, m4, m5):
        try:
            r = f(); out.append(repr(r.shape))
        except Exception as e:
            out.append((type(e).__name__, str(e).splitlines()[0]))
    return out, vals


def gan(L):
    nn = L.nn; F = nn.functional
    out, vals = [], []

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.Sequential(
                nn.ConvTranspose2d(8, 16, 2, 1, 0, bias=False), nn.BatchNorm2d(16), nn.ReLU(True),
                nn.ConvTranspose2d(16, 8, 4, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(True),
                nn.ConvTranspose2d(8, 1, 4, 2, 1, bias=False), nn.Tanh())
            self.apply(_weights_init)
        def forward(self, x):
            x = x.unsqueeze(-1).unsqueeze(-1)
            return self.layers(x)

    class Discriminator(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.Sequential(
                nn.Conv2d(1, 8, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(8, 16, 4, 2, 1, bias=False), nn.BatchNorm2d(16),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(16, 1, 2, 1, 0, bias=False))
            self.apply(_weights_init)
        def forward(self, x):
            return self.layers(x).view(x.shape[0], -1)

    def _weights_init(m):
        classname = m.__class__.__name__
        if classname.find('Conv') != -1:
            nn.init.normal_(m.weight.data, 0.0, 0.02)
        elif classname.find('BatchNorm') != -1:
            nn.init.normal_(m.weight.data, 1.0, 0.02)
            nn.init.constant_(m.bias.data, 0)

    class DiscriminatorLoss(nn.Module):
        def forward(self, f_real, f_fake):
            return F.relu(1 - f_real).mean(), F.relu(1 + f_fake).mean()

    class GeneratorLoss(nn.Module):
        def forward(self, f_fake):
            return -f_fake.mean()

    class GradientPenalty(nn.Module):
        def forward(self, x, f):
            batch_size = x.shape[0]
            gradients, *_ = L.autograd.grad(outputs=f, inputs=x,
                                            grad_outputs=f.new_ones(f.shape),
                                            create_graph=True)
            gradients = gradients.reshape(batch_size, -1)
            norm = gradients.norm(2, dim=-1)
            return L.mean((norm - 1) ** 2)

    L.manual_seed(0)
    G = Generator(); D = Discriminator()
    out.append(repr(G)); out.append(repr(D))
    gp = GradientPenalty(); dl = DiscriminatorLoss(); gl = GeneratorLoss()
    optD = L.optim.Adam(D.parameters(), lr=1e-4, betas=(0.5, 0.999))
    optG = L.optim.Adam(G.parameters(), lr=1e-4, betas=(0.5, 0.999))
    real = L.rand(4, 1, 8, 8) * 2 - 1
    for step in range(2):
        z = L.randn(4, 8)
        fake = G(z)
        out.append(repr(fake.shape))
        real_r = real.requires_grad_()
        f_real = D(real_r)
        f_fake = D(fake.detach())
        loss_true, loss_false = dl(f_real, f_fake)
        penalty = gp(real_r, f_real)
        loss_d = loss_true + loss_false + 10.0 * penalty
        optD.zero_grad(); loss_d.backward(); optD.step()
        vals += [loss_true.item(), loss_false.item(), penalty.item(),
                 D.layers[0].weight.grad.clone()]
        out.append((type(penalty.grad_fn).__name__, penalty.requires_grad, real_r.grad is None))
        # wgan-gp interpolation form
        alpha = L.rand(4, 1, 1, 1)
        interp = (alpha * real + (1 - alpha) * fake.detach()).requires_grad_(True)
        d_int = D(interp)
        g, = L.autograd.grad(d_int, interp, grad_outputs=L.ones_like(d_int), create_graph=True,
                             retain_graph=True)
        gpen = ((g.view(g.size(0), -1).norm(2, dim=1) - 1) ** 2).mean()
        gpen.backward()
        vals.append(gpen.item())
        optG.zero_grad()
        lg = gl(D(G(z)))
        lg.backward(); optG.step()
        vals.append(lg.item())
    # mistakes
    x = L.randn(3, 4, requires_grad=True)
    f = (x ** 2).sum(1, keepdim=True)
    def m1(): return L.autograd.grad(f, x)
    def m2():
        g, = L.autograd.grad(f, x, grad_outputs=L.ones_like(f))
        return g.requires_grad, L.autograd.grad(g.sum(), x)
    def m3():
        y = (x ** 3).sum()
        g, = L.autograd.grad(y, x, create_graph=True)
        h, = L.autograd.grad(g.sum(), x)
        return h
    def m4():
        y = (x ** 3).sum()
        g, = L.autograd.grad(y, x)
        return L.autograd.grad(y, x)
    def m5():
        z = L.randn(3, 4)
        return L.autograd.grad((z * 2).sum(), z)
    def m6():
        y = (x*2).sum()
        return L.autograd.grad(y, [x, L.randn(2, requires_grad=True)])
    def m7():
        y = (x*2).sum()
        return L.autograd.grad(y, [x, L.randn(2, requires_grad=True)], allow_unused=True)
    def m8(): return L.autograd.grad(f, x, grad_outputs=L.ones(3))
    for m in (m1, m2, m3, m4, m5, m6, m7, m8):
        try:
            out.append(repr(m()))
        except Exception as e:
            out.append((type(e).__name__, str(e).splitlines()[0]))
    return out, vals


def norms(L):
    nn = L.nn; F = nn.functional
    out, vals = [], []

    class LayerNorm(nn.Module):
        def __init__(self, normalized_shape, *, eps=1e-5, elementwise_affine=True):
            super().__init__()
            if isinstance(normalized_shape, int):
                normalized_shape = L.Size([normalized_shape])
            elif isinstance(normalized_shape, list):
                normalized_shape = L.Size(normalized_shape)
            assert isinstance(normalized_shape, L.Size)
            self.normalized_shape = normalized_shape
            self.eps = eps
            self.elementwise_affine = elementwise_affine
            if self.elementwise_affine:
                self.gain = nn.Parameter(L.ones(normalized_shape))
                self.bias = nn.Parameter(L.zeros(normalized_shape))
        def forward(self, x):
            assert self.normalized_shape == x.shape[-len(self.normalized_shape):]
            dims = [-(i + 1) for i in range(len(self.normalized_shape))]
            mean = x.mean(dim=dims, keepdim=True)
            mean_x2 = (x ** 2).mean(dim=dims, keepdim=True)
            var = mean_x2 - mean ** 2
            x_norm = (x - mean) / L.sqrt(var + self.eps)
            if self.elementwise_affine:
                x_norm = self.gain * x_norm + self.bias
            return x_norm

    class BatchNorm(nn.Module):
        def __init__(self, channels, *, eps=1e-5, momentum=0.1, affine=True,
                     track_running_stats=True):
            super().__init__()
            self.channels = channels; self.eps = eps; self.momentum = momentum
            self.affine = affine; self.track_running_stats = track_running_stats
            if self.affine:
                self.scale = nn.Parameter(L.ones(channels))
                self.shift = nn.Parameter(L.zeros(channels))
            if self.track_running_stats:
                self.register_buffer('exp_mean', L.zeros(channels))
                self.register_buffer('exp_var', L.ones(channels))
        def forward(self, x):
            x_shape = x.shape
            batch_size = x_shape[0]
            assert self.channels == x.shape[1]
            x = x.view(batch_size, self.channels, -1)
            if self.training or not self.track_running_stats:
                mean = x.mean(dim=[0, 2])
                mean_x2 = (x ** 2).mean(dim=[0, 2])
                var = mean_x2 - mean ** 2
                if self.training and self.track_running_stats:
                    self.exp_mean = (1 - self.momentum) * self.exp_mean + self.momentum * mean
                    self.exp_var = (1 - self.momentum) * self.exp_var + self.momentum * var
            else:
                mean = self.exp_mean
                var = self.exp_var
            x_norm = (x - mean.view(1, -1, 1)) / L.sqrt(var + self.eps).view(1, -1, 1)
            if self.affine:
                x_norm = self.scale.view(1, -1, 1) * x_norm + self.shift.view(1, -1, 1)
            return x_norm.view(x_shape)

    rng = np.random.default_rng(0)
    x = L.tensor(rng.standard_normal((4, 3, 5)).astype(np.float32) * 3 + 1, requires_grad=True)
    ln = LayerNorm([3, 5]); ref = nn.LayerNorm([3, 5])
    y = ln(x); yr = ref(x)
    out.append(str(list(ln.state_dict().keys()))); out.append(str(list(ref.state_dict().keys())))
    out.append(repr(ln.normalized_shape)); out.append(repr(ref)); out.append(repr(ln))
    vals += [y, yr]
    (y * L.arange(60.).view(4, 3, 5)).sum().backward()
    vals.append(x.grad.clone()); x.grad = None
    (yr * L.arange(60.).view(4, 3, 5)).sum().backward()
    vals.append(x.grad.clone()); x.grad = None
    out.append(L.allclose(y, yr, atol=1e-5))
    ln2 = LayerNorm(5)
    out.append(repr(ln2.normalized_shape))
    try:
        ln(L.randn(4, 5, 3))
        out.append('ok')
    except AssertionError:
        out.append('assert')
    xb = L.tensor(rng.standard_normal((6, 3, 4, 4)).astype(np.float32) * 2 - 1)
    bn = BatchNorm(3); ref = nn.BatchNorm2d(3)
    for _ in range(3):
        yb = bn(xb); ybr = ref(xb)
        vals += [yb, ybr, bn.exp_mean, ref.running_mean, bn.exp_var, ref.running_var]
    out.append(L.allclose(yb, ybr, atol=1e-4))
    out.append(str(ref.num_batches_tracked)); out.append(str(list(bn.state_dict().keys())))
    out.append(str(list(ref.state_dict().keys())))
    bn.eval(); ref.eval()
    vals += [bn(xb), ref(xb)]
    out.append(L.allclose(bn(xb), ref(xb), atol=1e-4))
    # mistakes: BatchNorm1d in train mode with batch of 1, wrong channels
    def m1(): return nn.BatchNorm1d(3)(L.randn(1, 3))
    def m2(): return nn.BatchNorm2d(4)(xb)
    def m3(): return nn.LayerNorm(4)(xb).shape
    def m4(): return F.layer_norm(xb, (3,))
    def m5(): return F.batch_norm(xb, None, None, training=False)
    def m6(): return bn.exp_mean.view(1, -1, 1).shape
    def m7(): return nn.BatchNorm1d(3)(L.randn(2, 3, 4, 5))
    def m8(): return x.view(4, -1, 3).shape
    def m9(): return nn.GroupNorm(2, 3)
    for m in (m1, m2, m3, m4, m5, m6, m7, m8, m9):
        try:
            out.append(repr(m()))
        except Exception as e:
            out.append((type(e).__name__, str(e).splitlines()[0]))
    return out, vals
