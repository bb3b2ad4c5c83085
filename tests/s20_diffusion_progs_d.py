"""huggingface/notebooks examples/annotated_diffusion.ipynb, the notebook's cells run in
order (schedules, forward diffusion on an image, the network pieces, training, sampling),
as ``prog(L) -> (printed, values)`` for tests/test_programs_s20_diffusion.py."""

import numpy as np
from s16_yunjey_progs import Out
from s20_diffusion_progs_b import _Diffusion, _net, _schedules


def _fashion(L, n, seed):
    """dataset.with_transform(transforms): RandomHorizontalFlip, ToTensor, t * 2 - 1 on 8x8
    greyscale pictures, in the {"pixel_values": ...} batches of the notebook's loader."""
    rng = np.random.default_rng(seed)
    x = L.from_numpy(rng.integers(0, 256, (n, 1, 8, 8), dtype=np.uint8)).float() / 255
    flip = L.from_numpy(rng.random(n) < 0.5)
    x = L.where(flip[:, None, None, None], x.flip(-1), x)
    x = (x * 2) - 1
    data = [{"pixel_values": img} for img in x]
    return L.utils.data.DataLoader(data, batch_size=2, shuffle=True)


def schedules(L):
    """The four beta schedules, the derived variables, extract() and q_sample() on an
    "image" (x_start = ToTensor()(image) * 2 - 1, unsqueeze(0)), reverse_transform."""
    torch = L
    cos, lin, quad, sig = _schedules(L)
    with Out() as o:
        torch.manual_seed(0)
        for f in (cos, lin, quad, sig):
            b = f(timesteps=12)
            o.print(f.__name__, b.shape, b.dtype)
            o.vals.append(b)
        o.vals.append(cos(200))
        for name in ("linear", "cosine", "quadratic", "sigmoid"):
            d = _Diffusion(L, 10, name)
            o.vals += [d.alphas_cumprod, d.alphas_cumprod_prev, d.sqrt_recip_alphas,
                       d.sqrt_one_minus_alphas_cumprod, d.posterior_variance]
        d = _Diffusion(L, 200)
        image = np.random.default_rng(0).integers(0, 256, (12, 10, 3), dtype=np.uint8)
        x_start = torch.from_numpy(image).permute(2, 0, 1).float().div(255)[:, 1:9, 1:9]
        x_start = ((x_start * 2) - 1).unsqueeze(0)
        o.print(x_start.shape)
        t = torch.tensor([40])
        o.print(d.extract(d.sqrt_alphas_cumprod, t, x_start.shape).shape)
        x_noisy = d.q_sample(x_start, t=t)
        noisy = x_noisy.squeeze()
        noisy = (noisy + 1) / 2
        noisy = noisy.permute(1, 2, 0)
        noisy = noisy * 255.
        arr = noisy.numpy().astype(np.uint8)
        o.print(arr.shape, arr.dtype)
        o.vals += [x_noisy, arr]
        for tt in [0, 50, 100, 150, 199]:
            o.vals.append(d.q_sample(x_start, torch.tensor([tt])))
        o.tryit(lambda: d.q_sample(x_start, torch.tensor([200])))
        o.tryit(lambda: d.q_sample(x_start, torch.tensor([4.0])))
        o.tryit(lambda: d.extract(d.betas, torch.tensor(3), x_start.shape))
        o.tryit(lambda: d.q_sample(x_start, torch.tensor([[3], [4]])))
        tb = torch.randint(0, 200, (3,)).long()
        o.print(tb)
        o.vals.append(d.q_sample(x_start.expand(3, -1, -1, -1), tb))
    return o.done()


def blocks(L):
    """The network pieces alone: SinusoidalPositionEmbeddings, Block with scale_shift,
    ResnetBlock / ConvNextBlock with and without the time embedding, Residual(PreNorm(...)),
    Up/Downsample; forward, backward, reprs."""
    torch = L
    ns = _net(L)
    with Out() as o:
        torch.manual_seed(0)
        pos = ns["SinusoidalPositionEmbeddings"](16)
        time = torch.randint(0, 200, (4,)).long()
        emb = pos(time)
        o.print(emb.shape, emb.dtype)
        o.vals += [emb, pos(time.float()), pos(torch.arange(4))]
        x = torch.randn(4, 8, 8, 8, requires_grad=True)
        blk = ns["Block"](8, 16, groups=8)
        o.print(blk)
        scale, shift = torch.randn(4, 16, 1, 1), torch.randn(4, 16, 1, 1)
        y = blk(x, scale_shift=(scale, shift))
        res = ns["ResnetBlock"](8, 16, time_emb_dim=64)
        o.print(res)
        tm = torch.randn(4, 64)
        y2 = res(x, tm)
        cnx = ns["ConvNextBlock"](8, 16, time_emb_dim=64, mult=2)
        o.print(cnx)
        y3 = cnx(x, tm)
        y4 = ns["ConvNextBlock"](8, 8, norm=False)(x)
        attn = ns["Residual"](ns["PreNorm"](16, ns["LinearAttention"](16)))
        o.print(attn)
        y5 = attn(y3)
        down, up = ns["Downsample"](16), ns["Upsample"](16)
        y6 = up(down(y5))
        o.print([tuple(t.shape) for t in (y, y2, y3, y4, y5, down(y5), y6)])
        (y.sum() + y2.pow(2).mean() + y4.mean() + y6.pow(2).mean()).backward()
        o.vals += [y, y2, y3, y4, y5, y6, x.grad, cnx.ds_conv.weight.grad, res.mlp[1].weight.grad,
                   attn.fn.fn.to_qkv.weight.grad]
        o.tryit(lambda: ns["Block"](8, 12, groups=8))
        o.tryit(lambda: ns["ResnetBlock"](8, 16)(x, tm).shape)
        o.tryit(lambda: ns["Block"](8, 16)(x, scale_shift=(scale, shift[:3])))
    return o.done()


def attention(L):
    """Attention and LinearAttention with einsum (torch.einsum and ``from torch import
    einsum``), amax().detach(), chunk(3, dim=1), the reshape forms of the rearranges."""
    torch = L
    ns = _net(L)
    with Out() as o:
        torch.manual_seed(0)
        x = torch.randn(2, 16, 4, 4, requires_grad=True)
        a = ns["Attention"](16, heads=4, dim_head=8)
        la = ns["LinearAttention"](16, heads=2, dim_head=8)
        o.print(a, la)
        y, z = a(x), la(x)
        qkv = a.to_qkv(x).chunk(3, dim=1)
        o.print([tuple(t.shape) for t in qkv], a.scale)
        q, k, v = map(lambda t: t.reshape(2, 4, 8, 16), qkv)
        sim = torch.einsum("b h d i, b h d j -> b h i j", q * a.scale, k)
        m = sim.amax(dim=-1, keepdim=True)
        o.print(m.requires_grad, m.detach().requires_grad, sim.shape)
        o.vals += [y, z, sim, m]
        (y.pow(2).sum() + z.sum()).backward()
        o.vals += [x.grad, a.to_qkv.weight.grad, la.to_out[1].weight.grad]
        ctx = torch.einsum("bhdn,bhen->bhde", k.softmax(-1), v)
        o.vals += [ctx, torch.einsum("b h d e, b h d n -> b h e n", ctx, q.softmax(-2))]
        o.vals += [torch.einsum("...ij,...jk", q[0], k[0].transpose(-1, -2))]
        o.tryit(lambda: torch.einsum("b h d i, b h d j -> b h i j", q, k[:, :, :4]))
        o.tryit(lambda: torch.einsum("b h d i, b h d j", q))
        o.tryit(lambda: torch.einsum("b h d i -> b h i", q, k))
        o.tryit(lambda: torch.einsum("b h d i, b h d j -> b h i j", q, k.double()))
        o.tryit(lambda: torch.einsum("b (h c) x y -> b h c (x y)", q))
        o.tryit(lambda: ns["Attention"](16, heads=3, dim_head=8)(x).shape)
    return o.done()
