"""Session 20, modern architectures written from scratch as learners copy them
(tests/s20_archs_progs*.py): timm's drop_path / DropPath / trunc_normal_, ConvNeXt, ViT (with
nn.TransformerEncoder and with hand-written attention), MLP-Mixer, EfficientNet's MBConv with
squeeze-and-excitation and stochastic depth, MobileNetV2, SE-ResNet, a Swin
block, ConvMixer, torchvision's stochastic_depth, PoolFormer, RepVGG (re-parameterized),
ShuffleNetV2, CBAM / ECA, Res2Net, the mistakes learners make building them and
the training tooling beside them (Mixup/CutMix, model EMA, channels_last, checkpointing), run
on ember and on torch 2.13 and compared live: printed lines exactly, values to rtol 1e-5 /
atol 1e-6. Below them, focused tests for what the sweep found: Module.to(memory_format=...)
and the *_like constructors' memory_format."""

import pytest
import s20_archs_progs as A
import s20_archs_progs_b as B
import s20_archs_progs_c as C
import s20_archs_progs_d as D
import s20_archs_progs_e as E
import s20_archs_progs_f as F
import s20_archs_progs_g as G
import s20_archs_progs_h as H
from torch_compare import check_program, same

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.timm_layers, A.convnext, A.vit, B.mlp_mixer, B.efficientnet, B.mobilenetv2,
         C.se_resnet, D.vit_scratch, D.mistakes, E.swin, E.convmixer,
         E.stochastic_depth_tv, F.training_tools, G.poolformer, G.repvgg, G.shufflenet,
         H.cbam_eca, H.res2net]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, RTOL, ATOL)


def _layouts(m):
    return [(n, tuple(t.stride()), str(t.dtype)) for n, t in
            (*m.named_parameters(), *m.named_buffers())]


@pytest.mark.parametrize("args,fmt", [
    ((), "channels_last"), (("cpu",), "channels_last"), (("float64",), "channels_last"),
    ((), "contiguous_format"), ((), "channels_last_3d"), (("float64",), "preserve_format")])
def test_module_to_memory_format(args, fmt):
    """Module.to(memory_format=...) lays every 4-d (5-d) parameter and buffer out in that
    format, integer buffers too, casting floating ones when a dtype is given; 1-d ones keep
    theirs; a 4-d tensor under channels_last_3d is PyTorch's RuntimeError (ember ignored the
    keyword: the weights stayed row-major)."""
    def case(L):
        m = L.nn.Sequential(L.nn.Conv2d(3, 4, 3), L.nn.Conv2d(4, 2, 1), L.nn.BatchNorm2d(2))
        m.register_buffer("idx", L.zeros(2, 3, 4, 5, dtype=L.long))
        m.to(memory_format=L.channels_last)  # then to the format asked for
        a = tuple(getattr(L, x) if x != "cpu" else x for x in args)
        return _layouts(m.to(*a, memory_format=getattr(L, fmt)))
    same(case)


@pytest.mark.parametrize("bad", [3, "channels_last"])
def test_module_to_bad_memory_format(bad):
    """A memory_format that is not a torch.memory_format: PyTorch's to() TypeError."""
    same(lambda L: L.nn.Linear(2, 2).to(L.float64, memory_format=bad))
    same(lambda L: L.nn.Linear(2, 2).to(memory_format=bad))


@pytest.mark.parametrize("fn", ["empty_like", "zeros_like", "ones_like", "full_like"])
@pytest.mark.parametrize("shape,fmt", [
    ((2, 3, 4, 5), "channels_last"), ((2, 2, 1, 1), "channels_last"),
    ((2, 3, 1, 1, 1), "channels_last_3d"), ((2, 3, 4), "channels_last"),
    ((2, 3, 4, 5), "channels_last_3d"), ((2, 3, 4, 5), "contiguous_format"),
    ((2, 3, 4, 5), "preserve_format"), ((2, 3, 4, 5), 3)])
def test_like_memory_format(fn, shape, fmt):
    """torch.*_like(x, memory_format=...) lays the result out in that format (ember ignored
    the keyword): channels-last strides are products of the inner sizes, so a (2, 2, 1, 1)
    tensor gets (2, 1, 2, 2); a wrong rank is PyTorch's RuntimeError, a non-format its
    TypeError. Applied to a channels-last input too (contiguous_format makes it row-major)."""
    def case(L):
        out = []
        for x in (L.ones(shape), L.ones(shape).transpose(0, 1)):
            f = getattr(L, fmt) if isinstance(fmt, str) else fmt
            extra = (2.5,) if fn == "full_like" else ()
            r = getattr(L, fn)(x, *extra, memory_format=f)
            out.append((tuple(r.stride()), r.shape, str(r.dtype),
                        None if fn == "empty_like" else r.tolist()))
        return out
    same(case)


def test_like_memory_format_dtype():
    """With a dtype the layout is the format's, the values the dtype's."""
    same(lambda L: [(r.stride(), str(r.dtype), r.tolist()) for r in (
        L.zeros_like(L.ones(2, 3, 2, 2), dtype=L.int32, memory_format=L.channels_last),
        L.full_like(L.ones(2, 3, 2, 2), 7, dtype=L.float64, memory_format=L.channels_last))])


@pytest.mark.parametrize("dtype", [None, "float64"])
@pytest.mark.parametrize("fmt", ["contiguous_format", "channels_last", "preserve_format"])
def test_module_to_memory_format_non_dense(dtype, fmt):
    """A transposed 4-d buffer: kept as it is when no cast is asked and PyTorch suggests the
    format asked for, else copied in the format (a cast under preserve_format keeps its
    strides)."""
    def case(L):
        m = L.nn.Module()
        m.register_buffer("b", L.arange(120.).view(2, 3, 4, 5).transpose(2, 3))
        m.register_buffer("w", L.ones(4, 4, 1, 1))
        m.register_buffer("c", L.ones(2, 3, 4, 5).contiguous(memory_format=L.channels_last))
        m.to(*((getattr(L, dtype),) if dtype else ()), memory_format=getattr(L, fmt))
        return [(n, t.stride(), str(t.dtype), t.tolist()) for n, t in m.named_buffers()]
    same(case)


@pytest.mark.parametrize("fn", ["rand_like", "randn_like", "randint_like"])
@pytest.mark.parametrize("fmt", ["channels_last", "contiguous_format", "preserve_format", 3])
@pytest.mark.parametrize("src", ["plain", "channels_last", "3d"])
def test_random_like_memory_format(fn, fmt, src):
    """torch.rand_like / randn_like / randint_like with memory_format: drawn in the format's
    memory order (ember ignored the keyword and drew row-major); a wrong rank or a
    non-format is PyTorch's error."""
    def case(L):
        L.manual_seed(0)
        x = L.zeros(2, 3, 2, 2) if src != "3d" else L.zeros(2, 3, 4)
        if src == "channels_last":
            x = x.contiguous(memory_format=L.channels_last)
        f = getattr(L, fmt) if isinstance(fmt, str) else fmt
        extra = (5,) if fn == "randint_like" else ()
        r = getattr(L, fn)(x, *extra, memory_format=f)
        return r.stride(), str(r.dtype), r.tolist()
    same(case)
