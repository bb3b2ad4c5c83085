"""Session 15: labml.ai's annotated deep-learning implementations, the parts RL and
generative-model learners type, scaled down on synthetic data and run on ember and on torch
2.13, compared live: PPO (clipped policy and value losses, GAE over NumPy, the minibatch
loop with normalised advantages and annealed lr / clip range), DQN (dueling model,
prioritized replay with segment trees, double-Q Huber loss with importance weights), DDPM
(linear betas, gather, q_sample, p_sample, the noise-prediction loss on a tiny UNet), a
DCGAN / WGAN-GP step (gradient penalty through autograd.grad(create_graph=True)) and layer /
batch norm by hand against nn's; then the forms and mistakes learners type around them
(warnings and error first lines included).

Printed lines, reprs, dtypes, shapes, warnings and errors are compared exactly, as are the
values computed before any convolution or optimizer step (the first PPO minibatch, DQN's
first loss, DDPM's schedule, the first GAN losses). The rest agree to rtol 1e-5 / atol 1e-6:
convolutions and linear layers go through OpenBLAS where PyTorch uses MKL/oneDNN, sigmoid
(Swish) and log_softmax use Sleef's exp, sums along a dim (hand-written layer/batch norm)
add in NumPy's order and Adam divides by MKL's sqrt (README, known gaps): last bits, which
later steps carry along."""

import warnings

import numpy as np
from s15_labml_progs import dqn, ppo
from s15_labml_progs_b import ddpm, gan, norms
from torch_compare import check_program

RTOL, ATOL = 1e-5, 1e-6


def _check(fn, exact=0):
    check_program(fn, exact, RTOL, ATOL)


def test_ppo_trainer():
    _check(ppo, exact=1)


def test_dqn_dueling_prioritized_replay():
    _check(dqn, exact=1)


def test_ddpm_unet_loss_and_sampling():
    _check(ddpm, exact=3)


def test_gan_gradient_penalty():
    _check(gan, exact=3)


def test_layer_and_batch_norm_by_hand():
    _check(norms)


def test_learner_forms_and_mistakes():
    _check(learner_forms)


def test_attention_categorical_clip_and_penalty_forms():
    _check(model_forms)


EINSUM_FORMS = ["bihd,bjhd->bijh", "bijh,bjhd->bihd", "bhid,bhjd->bhij", "ij,jk->ki",
                 "ij,jk->ik", "bij,bjk->kbi", "ij,kj->ki", "bi,bij->jb", "ibj,jbk->bik",
                 "bii,bij->jb", "...ij,...jk->k...i", "bij,jk"]


def test_einsum_output_layout():
    """A two-operand einsum that contracts lays its result out as PyTorch's bmm does (memory
    order: dims of both operands, then the left's, then the right's, or the operands
    swapped), so strides, is_contiguous() and .view() agree; values and gradients too."""
    sizes = dict(b=2, i=3, j=4, h=5, d=6, k=7)

    def prog(L):
        printed, values = [], []
        for eq in EINSUM_FORMS:
            terms = eq.split("->")[0].replace("...", "h").split(",")
            rng = np.random.default_rng(len(eq))
            ops = [L.tensor(rng.standard_normal([sizes[c] for c in t]).astype(np.float32),
                            requires_grad=True) for t in terms]
            y = L.einsum(eq, *ops)
            printed.append((eq, y.stride(), y.is_contiguous()))
            try:
                printed.append(tuple(y.view(-1).shape))
            except RuntimeError as e:
                printed.append(str(e).splitlines()[0])
            (y * L.arange(y.numel()).reshape(y.shape)).sum().backward()
            values += [y] + [o.grad for o in ops]
        return printed, values
    _check(prog)


def test_einsum_attention_values():
    """labml's UNet attention (one head): einsum products and their gradients (einsum
    results show EinsumBackward0, a known gap, so grad_fn is not compared)."""
    def prog(L):
        L.manual_seed(3)
        q, k = L.randn(2, 9, 1, 4, requires_grad=True), L.randn(2, 9, 1, 4, requires_grad=True)
        attn = L.einsum("bihd,bjhd->bijh", q, k).softmax(dim=2)
        res = L.einsum("bijh,bjhd->bihd", attn, k)
        res.sum().backward()
        return [repr(res.shape), str(res.dtype)], [res, q.grad, k.grad]
    _check(prog)





def _msg(w):
    """A warning's first line, PyTorch's \"(Triggered internally ...)\" cut."""
    return str(w.message).splitlines()[0].split(" (Triggered internally")[0]


def learner_forms(L):
    nn = L.nn; F = nn.functional
    out, vals = [], []
    def rec(f):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter('always')
            try:
                r = f()
                if hasattr(r, 'detach'):
                    vals.append(r.detach().clone())
                    r = (str(r.dtype), tuple(r.shape), r.requires_grad)
                out.append(repr(r))
            except Exception as e:
                out.append((type(e).__name__, str(e).splitlines()[0]))
            out.append([(x.category.__name__, _msg(x)) for x in w])
    L.manual_seed(0)
    a = L.tensor([0.5])
    rec(lambda: (a - a.mean()) / (a.std() + 1e-8))
    rec(lambda: L.tensor([1.0, 2.0]).std(unbiased=False))
    rec(lambda: F.mse_loss(L.randn(4, 1), L.randn(4)))
    rec(lambda: F.smooth_l1_loss(L.randn(4, 1), L.randn(4), reduction='none'))
    rec(lambda: F.huber_loss(L.randn(4), L.randn(4), reduction='none', delta=0.5))
    rec(lambda: nn.SmoothL1Loss(reduction='none')(L.randn(4), L.randint(0, 3, (4,))))
    rec(lambda: nn.SmoothL1Loss(beta=0.0)(L.randn(4), L.randn(4)))
    rec(lambda: nn.HuberLoss(delta=0.0)(L.randn(4), L.randn(4)))
    rec(lambda: F.smooth_l1_loss(L.randn(4), L.randn(4), beta=-1.0))
    rec(lambda: F.mse_loss(L.randn(4), L.randint(0, 3, (4,))))
    rec(lambda: F.mse_loss(L.randn(4, requires_grad=True), L.randn(4, requires_grad=True)))
    done = L.tensor([True, False])
    rec(lambda: 1.0 - done)
    rec(lambda: 1 - done)
    rec(lambda: ~done * 1.0)
    rec(lambda: done.logical_not().float())
    rec(lambda: (1 - done.float()))
    ratio = L.tensor([0.8, 1.0, 1.3])
    rec(lambda: ratio.clamp(min=1.0 - L.tensor(0.2), max=1.0 + L.tensor(0.2)))
    rec(lambda: ratio.clamp(min=0.8, max=L.tensor(1.2)))
    rec(lambda: L.clamp(ratio, 1 - 0.2, 1 + 0.2))
    rec(lambda: L.min(ratio, L.tensor(1.0)))
    rec(lambda: L.min(ratio, 1.0))
    rec(lambda: L.max(ratio, dim=0))
    rec(lambda: L.max(ratio.view(3, 1), ratio.view(1, 3)))
    rec(lambda: abs(ratio - 1.0) > 0.2)
    rec(lambda: (abs(ratio - 1.0) > 0.2).mean())
    rec(lambda: (abs(ratio - 1.0) > 0.2).float().mean())
    rec(lambda: (abs(ratio - 1.0) > 0.2).sum())
    # gather edge
    ab = L.cumprod(1 - L.linspace(1e-4, 0.02, 10), dim=0)
    rec(lambda: ab.gather(-1, L.tensor([1, 2], dtype=L.int32)))
    rec(lambda: ab.gather(-1, L.tensor([1, 2], dtype=L.int16)))
    rec(lambda: ab[L.tensor([1, 2])].reshape(-1, 1, 1, 1))
    rec(lambda: ab.gather(0, L.tensor(3)))
    rec(lambda: ab.gather(-1, L.tensor([-1])))
    rec(lambda: L.gather(ab, -1, L.tensor([9])))
    rec(lambda: ab.cumprod(0))
    rec(lambda: L.cumprod(ab.view(2, 5), 1))
    rec(lambda: L.cumprod(ab))
    rec(lambda: L.linspace(0.0001, 0.02, 5, dtype=L.float64))
    rec(lambda: L.linspace(0, 1, 5.0))
    rec(lambda: L.linspace(0, 1))
    rec(lambda: L.randint(0, 50, (3,), dtype=L.long))
    rec(lambda: L.randint(0, 50.0, (3,)))
    rec(lambda: L.randint(50, (3,)))
    rec(lambda: L.randint(0, 50, 3))
    rec(lambda: L.randn([2, 1, 4, 4]).new_full((2,), 5, dtype=L.long))
    rec(lambda: L.randn(2).new_full((2,), 5))
    rec(lambda: L.randn(2).new_full((2,), 5.5, dtype=L.long))
    rec(lambda: L.randn(3, 2).new_ones((3, 2)))
    rec(lambda: L.randn(3, 2).new_ones(3))
    rec(lambda: L.randn(3, 2).new_tensor(np.array([1, 2], dtype=np.int32)))
    rec(lambda: L.randn(3, 2).new_tensor([True, False]))
    rec(lambda: L.randn(3, 2).new_tensor(L.tensor([1.0])))
    rec(lambda: L.randn(3, 2).new_zeros((2,), dtype=L.long))
    rec(lambda: L.argmax(L.randn(3, 4), -1).unsqueeze(-1))
    rec(lambda: L.argmax(L.tensor([[1.0, 1.0], [2.0, 2.0]]), -1))
    rec(lambda: L.argmax(L.tensor([[float('nan'), 1.0], [2.0, float('nan')]]), -1))
    rec(lambda: L.tensor(np.array([True, False]), dtype=L.float32))
    rec(lambda: L.tensor(np.array([1, 2], dtype=np.uint8), dtype=L.float32) / 255.)
    rec(lambda: L.tensor(np.array([1, 2], dtype=np.uint8)) / 255)
    rec(lambda: L.from_numpy(np.array([1, 2], dtype=np.uint8)) // 2)
    rec(lambda: L.tensor(np.zeros((2, 3), dtype=np.float64)).dtype)
    rec(lambda: L.as_tensor(np.zeros((2, 3), dtype=np.float64), dtype=L.float32, device='cpu'))
    return out, vals


def model_forms(L):
    nn = L.nn; F = nn.functional
    out, vals = [], []
    def rec(f):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter('always')
            try:
                r = f()
                if hasattr(r, 'detach'):
                    vals.append(r.detach().clone())
                    r = (str(r.dtype), tuple(r.shape), r.requires_grad,
                         type(r.grad_fn).__name__)
                out.append(repr(r))
            except Exception as e:
                out.append((type(e).__name__, str(e).splitlines()[0]))
            out.append([(x.category.__name__, _msg(x)) for x in w])

    class AttentionBlock(nn.Module):
        def __init__(self, n_channels, n_heads=1, d_k=None, n_groups=2):
            super().__init__()
            if d_k is None:
                d_k = n_channels
            self.norm = nn.GroupNorm(n_groups, n_channels)
            self.projection = nn.Linear(n_channels, n_heads * d_k * 3)
            self.output = nn.Linear(n_heads * d_k, n_channels)
            self.scale = d_k ** -0.5
            self.n_heads = n_heads; self.d_k = d_k
        def forward(self, x, t=None):
            _ = t
            batch_size, n_channels, height, width = x.shape
            x = x.view(batch_size, n_channels, -1).permute(0, 2, 1)
            qkv = self.projection(x).view(batch_size, -1, self.n_heads, 3 * self.d_k)
            q, k, v = L.chunk(qkv, 3, dim=-1)
            attn = L.einsum('bihd,bjhd->bijh', q, k) * self.scale
            attn = attn.softmax(dim=2)
            res = L.einsum('bijh,bjhd->bihd', attn, v)
            res = res.view(batch_size, -1, self.n_heads * self.d_k)
            res = self.output(res)
            res += x
            res = res.permute(0, 2, 1).view(batch_size, n_channels, height, width)
            return res
    L.manual_seed(0)
    blk = AttentionBlock(4, n_heads=2, d_k=3)
    x = L.randn(2, 4, 3, 3, requires_grad=True)
    rec(lambda: blk(x))  # two heads: einsum's result is not row-major, .view raises
    blk = AttentionBlock(4)
    rec(lambda: blk(x))
    y = blk(x); y.sum().backward(); vals.append(x.grad.clone())
    rec(lambda: blk(x.detach()).permute(0, 2, 3, 1).view(2, -1))
    rec(lambda: sum(p.numel() for p in blk.parameters()))
    # Categorical with various action dtypes
    logits = L.randn(4, 3, requires_grad=True)
    pi = L.distributions.Categorical(logits=logits)
    rec(lambda: pi.log_prob(L.tensor([0, 1, 2, 1], dtype=L.int32)))
    rec(lambda: pi.log_prob(L.tensor([0., 1., 2., 1.])))
    rec(lambda: pi.log_prob(L.tensor([0, 1, 3, 1])))
    rec(lambda: pi.log_prob(L.tensor([0, 1, 2])))
    rec(lambda: pi.log_prob(L.tensor([[0], [1], [2], [1]])))
    rec(lambda: pi.entropy())
    rec(lambda: pi.sample().dtype)
    rec(lambda: pi.probs.sum(-1))
    rec(lambda: pi)
    rec(lambda: L.distributions.Categorical(logits=L.tensor([[1.0, float('nan')]])))
    rec(lambda: L.distributions.Categorical(probs=L.tensor([[0.5, 0.6]])).probs)
    rec(lambda: L.distributions.Categorical(probs=L.tensor([[-0.5, 0.6]])))
    # clip_grad_norm_ return value
    lin = nn.Linear(3, 2)
    lin(L.ones(1, 3)).sum().mul(100).backward()
    rec(lambda: nn.utils.clip_grad_norm_(lin.parameters(), max_norm=0.5))
    rec(lambda: nn.utils.clip_grad_norm_(lin.parameters(), max_norm=0.5, norm_type='inf'))
    rec(lambda: lin.weight.grad)
    opt = L.optim.Adam(lin.parameters(), lr=2.5e-4)
    for pg in opt.param_groups:
        pg['lr'] = 1e-4
    rec(lambda: opt.param_groups[0]['lr'])
    rec(lambda: str(opt))
    rec(lambda: sorted(opt.param_groups[0].keys()))
    rec(lambda: opt.state_dict()['param_groups'])
    opt.step()
    rec(lambda: sorted(opt.state_dict()['state'][0].keys()))
    rec(lambda: opt.state_dict()['state'][0]['step'])
    # Huber with tensors needing grad and double-Q pieces
    q = L.randn(4, 3, requires_grad=True)
    a = L.tensor([0, 2, 1, 1])
    qs = q.gather(-1, a.unsqueeze(-1)).squeeze(-1)
    rec(lambda: qs)
    rec(lambda: q.gather(-1, a))
    rec(lambda: q.gather(1, a.unsqueeze(-1).float()))
    rec(lambda: q[L.arange(4), a])
    rec(lambda: q[range(4), a])
    rec(lambda: q[np.arange(4), a.numpy()])
    rec(lambda: nn.SmoothL1Loss(reduction='none')(qs, L.randn(4)))
    rec(lambda: nn.SmoothL1Loss(reduction='nonee')(qs, L.randn(4)))
    rec(lambda: F.smooth_l1_loss(qs, L.randn(4), reduction='sum'))
    rec(lambda: L.mean(L.tensor(np.ones(4, dtype=np.float32))
                       * F.smooth_l1_loss(qs, L.randn(4), reduction='none')))
    rec(lambda: L.tensor(np.ones(4, dtype=np.float64))
        * F.smooth_l1_loss(qs, L.randn(4), reduction='none'))
    rec(lambda: L.from_numpy(np.ones(4)) * qs)
    rec(lambda: np.abs(qs.detach().cpu().numpy()) + 1e-6)
    rec(lambda: np.abs(qs.numpy()))
    rec(lambda: qs.detach().numpy().dtype)
    rec(lambda: qs.tolist())
    rec(lambda: L.no_grad()(lambda: qs * 2)())
    # gradient penalty bits
    xr = L.randn(3, 2, requires_grad=True)
    f = (xr.sum(1, keepdim=True)) * 0.0
    g, = L.autograd.grad(f, xr, grad_outputs=f.new_ones(f.shape), create_graph=True)
    n = g.norm(2, dim=-1)
    rec(lambda: n)
    pen = ((n - 1) ** 2).mean()
    rec(lambda: pen)
    rec(lambda: L.autograd.grad(pen, xr, allow_unused=True))
    xr2 = L.randn(3, 2, requires_grad=True)
    f2 = (xr2 ** 2).sum(1, keepdim=True)
    g2, = L.autograd.grad(f2, xr2, grad_outputs=L.ones_like(f2), create_graph=True)
    rec(lambda: g2)
    rec(lambda: L.autograd.grad(((g2.norm(2, dim=1) - 1) ** 2).mean(), xr2))
    rec(lambda: L.autograd.grad(((L.zeros(3, 2, requires_grad=True).norm(2, dim=1) - 1) ** 2)
                                .mean(), xr2, allow_unused=True))
    z = L.zeros(3, 2, requires_grad=True)
    rec(lambda: L.autograd.grad(((z.norm(2, dim=1) - 1) ** 2).mean(), z))
    rec(lambda: L.autograd.grad(z.norm(), z))
    rec(lambda: L.autograd.grad(z.norm(dim=1).sum(), z, create_graph=True))
    rec(lambda: L.autograd.grad(L.linalg.vector_norm(z, 2, dim=1).sum(), z))
    rec(lambda: type(g2.grad_fn).__name__)
    return out, vals


def test_einsum_bmm_layout_gradients():
    """Gradients (first and second order) through einsums now computed as one matmul in
    PyTorch's memory order and permuted: diagonals, broadcasts and swapped operands."""
    from torch_compare import gradcheck

    rng = np.random.default_rng(0)
    for eq, sa, sb in [("bihd,bjhd->bijh", (2, 3, 2, 4), (2, 5, 2, 4)),
                       ("bii,bij->jb", (2, 3, 3), (2, 3, 4)), ("ij,jk->ki", (3, 4), (4, 5)),
                       ("bij,bjk->kbi", (1, 3, 4), (2, 4, 5)), ("ijk,jk->ki", (3, 4, 2), (4, 1))]:
        gradcheck(lambda L, a, b, eq=eq: L.einsum(eq, a, b), rng.standard_normal(sa),
                  rng.standard_normal(sb), second=True)
