"""Session 20: diffusion models from scratch as learners type them, dome272/Diffusion-Models-
pytorch (modules.py, ddpm.py, ddpm_conditional.py, utils.py, noising_test.py) and the
Annotated Diffusion notebook (huggingface/notebooks examples/annotated_diffusion.ipynb), in
tests/s20_diffusion_progs*.py, run on ember and on torch 2.13 and compared live: printed
lines (model reprs, losses with 4 decimals, warnings, errors' type and first line) exactly,
values to rtol 1e-5 / atol 1e-6. Below them, focused tests for what the sweep found: the
layout of ``*_like`` results of an expanded (or sliced) permuted tensor, which decides where
randn_like's draws land; einsum's dtypes (mixed dtypes promote where no dim is contracted,
an integer operand's own summed labels make int64) and the order its mixed-dtype error
names them in."""

import numpy as np
import pytest
import s20_diffusion_progs as A
import s20_diffusion_progs_c as C
import s20_diffusion_progs_d as D
import s20_diffusion_progs_e as E
import s20_diffusion_progs_f as F
from torch_compare import check_program, run_both

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.unet_modules, A.ddpm, C.ddpm_conditional, C.ema_lerp, F.utils_noising,
         F.modules_later, D.schedules, D.blocks, D.attention, E.train_convnext, E.train_resnet]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, RTOL, ATOL)


def _channels_last_image(L):
    """The notebook's x_start: an HWC uint8 image permuted to CHW, cropped, batched; its
    memory is channels-last and the crop makes it not dense."""
    img = np.random.default_rng(0).integers(0, 256, (12, 10, 3), dtype=np.uint8)
    x = L.from_numpy(img).permute(2, 0, 1).float().div(255)[:, 1:9, 1:9]
    return ((x * 2) - 1).unsqueeze(0)


_VIEWS = {"expand": lambda x: x.expand(3, -1, -1, -1), "crop": lambda x: x[:, :, 1:],
          "step": lambda x: x[:, :, ::2], "dense": lambda x: x,
          "expand_t": lambda x: x[0, 0].t()[None].expand(2, -1, -1),
          "expand_mid": lambda x: x[:, :, :1].expand(2, -1, 4, -1),
          "flip": lambda x: x.flip(1), "row": lambda x: x[0, :, 0][None].expand(4, -1)}


@pytest.mark.parametrize("view", list(_VIEWS))
@pytest.mark.parametrize("fn", ["randn_like", "rand_like", "zeros_like", "ones_like",
                                "empty_like", "full_like", "randint_like"])
def test_like_of_expanded_permuted_tensor(view, fn):
    """``q_sample(x_start.expand(3, ...), t)`` draws ``torch.randn_like`` of an expanded
    channels-last image: PyTorch's empty_like gives a tensor that is not dense the input's
    dimension order (zero strides staying in place), here channels-last, and the sampler
    fills it in memory order. ember made such results row-major, so the noise landed on
    other pixels; a dense input's strides are copied exactly (size-1 dims included)."""
    def prog(L):
        L.manual_seed(0)
        x = _VIEWS[view](_channels_last_image(L))
        args = {"full_like": (2.5,), "randint_like": (10,)}.get(fn, ())
        r = getattr(L, fn)(x, *args)
        vals = None if fn == "empty_like" else r.tolist()
        return [r.stride(), r.is_contiguous(), vals, str(r.dtype)]
    want, got = run_both(prog)
    assert got == want, f"ember {got}\ntorch {want}"


def test_q_sample_of_expanded_image():
    """The notebook's q_sample on the expanded x_start: the noise, hence the result."""
    def prog(L):
        L.manual_seed(0)
        x = _channels_last_image(L).expand(3, -1, -1, -1)
        noise = L.randn_like(x)
        return [noise, 0.6 * x + 0.8 * noise]
    want, got = run_both(prog)
    for w, g in zip(want, got):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=RTOL, atol=ATOL)


_EQS = [("ij,ij->ij", (2, 3), (2, 3)), ("i,j->ij", (3,), (4,)), ("ij,ij->i", (2, 3), (2, 3)),
        ("ij,ij->", (2, 3), (2, 3)), ("ij,jk->ik", (2, 3), (3, 4)), ("di,dj->ij", (1, 2), (1, 2)),
        ("ij,kj->ik", (2, 1), (4, 1)), ("ii,i->i", (2, 2), (2,)), ("...j,...j->...", (2, 1), (1,)),
        ("bi,bj->bij", (2, 3), (2, 4)), ("ij,k->ik", (2, 3), (4,)), ("ij,k->ik", (2, 1), (4,)),
        ("ij,kj->ik", (2, 3), (4, 1)), ("i,->i", (3,), ())]


@pytest.mark.parametrize("dtypes", [("float32", "float64"), ("bool", "bool"), ("int64", "float32"),
                                    ("uint8", "int8"), ("bool", "float32"), ("float64", "int64"),
                                    ("int8", "int8")])
@pytest.mark.parametrize("eq,sa,sb", _EQS, ids=[e[0] for e in _EQS])
def test_einsum_mixed_dtypes(eq, sa, sb, dtypes):
    """PyTorch's einsum multiplies two operands with a broadcast ``mul`` (which promotes)
    unless a label of size > 1 in both is summed, which is a bmm (one dtype, no bool); a
    label only one operand has is summed there first, which makes an integer or bool operand
    int64. ember asked every operand for the first one's dtype and kept integer dtypes."""
    def prog(L):
        a = L.ones(sa, dtype=getattr(L, dtypes[0]))
        b = L.ones(sb, dtype=getattr(L, dtypes[1]))
        r = L.einsum(eq, a, b)
        return [str(r.dtype), r.tolist()]
    want, got = run_both(prog)
    assert got == want, f"ember {got}\ntorch {want}"


@pytest.mark.parametrize("eq,shape", [("ij->i", (2, 3)), ("ij->i", (2, 1)), ("ii", (2, 2)),
                                      ("ii->i", (2, 2)), ("ij->ji", (2, 3)), ("ij->", (0, 3))])
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "bool", "float16"])
def test_einsum_one_operand_sum_dtype(eq, shape, dtype):
    """A sum over an integer operand's labels is int64 (PyTorch's sum), size-1 labels too."""
    def prog(L):
        r = L.einsum(eq, L.ones(shape, dtype=getattr(L, dtype)))
        return [str(r.dtype), r.tolist()]
    want, got = run_both(prog)
    assert got == want, f"ember {got}\ntorch {want}"


def test_einsum_promoted_gradient():
    """The promoting product keeps the graph: float32 leaf, float64 other operand."""
    def prog(L):
        x = L.arange(6.).view(2, 3).requires_grad_()
        y = L.arange(6, dtype=L.float64).view(2, 3)
        z = L.einsum("ij,ij,jk->ik", x, y, L.ones(3, 2, dtype=L.float64))
        z.sum().backward()
        return [str(z.dtype), z.tolist(), str(x.grad.dtype), x.grad.tolist()]
    want, got = run_both(prog)
    assert got == want, f"ember {got}\ntorch {want}"


_BMM = [("ij,jk->ik", (2, 3), (3, 4)), ("ij,jk->ki", (2, 3), (3, 4)), ("ij,jk->ki", (2, 3), (3, 1)),
        ("ij,jk->ki", (1, 3), (3, 4)), ("bhdi,bhdj->bhij", (2, 4, 8, 16), (2, 4, 8, 16)),
        ("bhdi,bhdj->bhij", (2, 4, 8, 3), (2, 4, 8, 5)), ("bhde,bhdn->bhen", (2, 2, 8, 8), (2, 2, 8, 16)),
        ("bhdn,bhen->bhde", (2, 2, 8, 16), (2, 2, 8, 16)), ("ij,jk->ik", (20, 30), (30, 40)),
        ("ij,jk->ki", (20, 30), (30, 40)), ("ij,jk->ik", (8, 50), (50, 1)), ("ij,jk->ik", (7, 57), (57, 1)),
        ("bij,bjk->kbi", (2, 2, 3), (2, 3, 4)), ("iaj,jk->aki", (2, 1, 3), (3, 4)),
        ("ij,ij->", (20, 30), (20, 30)), ("ij,ij->i", (20, 30), (20, 30)), ("j,ij->i", (30,), (20, 30)),
        ("i,i", (500,), (500,)), ("ij,j->i", (2, 3), (3,))]


@pytest.mark.parametrize("pair", [("float32", "float64"), ("float64", "float32"),
                                  ("int64", "float32"), ("float32", "int64"), ("int32", "int64"),
                                  ("float16", "float32"), ("float32", "float16"),
                                  ("bool", "float32"), ("float32", "bool"), ("bool", "int64")])
@pytest.mark.parametrize("eq,sa,sb", _BMM, ids=[f"{e[0]}-{e[1]}" for e in _BMM])
def test_einsum_mixed_dtype_error_order(eq, sa, sb, pair):
    """A contraction of two dtypes is PyTorch's bmm error, naming the dtypes in the order its
    kernels meet them: einsum puts the right operand first when all its output dims come
    before the left's; the small bmm kernel reads the second as the first's type, the large
    one (>= 400 products) the first as a float or double second's type, and for another
    second dtype it is addmm's 'expected m1 and m2 to have the same dtype'."""
    def prog(L):
        a = L.ones(sa, dtype=getattr(L, pair[0]))
        b = L.ones(sb, dtype=getattr(L, pair[1]))
        return L.einsum(eq, a, b)
    want, got = run_both(prog)
    assert isinstance(want, tuple), want
    assert got == want, f"ember {got}\ntorch {want}"
