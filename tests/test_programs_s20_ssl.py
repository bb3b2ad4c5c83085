"""Session 20: self-supervised learning and training tricks as popular repositories write
them (sthalles/SimCLR, facebookresearch/moco and moco-v3, lucidrains/byol-pytorch,
facebookresearch/barlowtwins, knowledge distillation, mixup / cutmix, label smoothing,
gradient accumulation, warmup + cosine LambdaLR, EMA models, gradient clipping), transcribed
in tests/s20_ssl_progs*.py, run on ember and on torch 2.13 and compared live: printed lines
exactly, values to rtol 1e-5 / atol 1e-6. Below them, focused tests for what the sweep
found."""

import pytest
import s20_ssl_progs as A
import s20_ssl_progs_b as B
import s20_ssl_progs_c as C
import s20_ssl_progs_d as D
from torch_compare import check_program, run_both, same, same_error_case

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.simclr, A.moco, A.moco_v3_style, D.byol, B.barlow_twins, B.simsiam,
         B.distillation, B.mixup, C.cutmix, C.label_smoothing,
         C.grad_accumulation_warmup_cosine, C.ema_models, C.grad_clipping,
         D.timm_mixup]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, RTOL, ATOL)


_C_TYPED = {"Size": lambda L: L.Size([2]), "dtype": lambda L: L.float32,
            "device": lambda L: L.device("cpu"), "layout": lambda L: L.strided,
            "memory_format": lambda L: L.contiguous_format, "Generator": lambda L: L.Generator(),
            "finfo": lambda L: L.finfo(L.float32), "iinfo": lambda L: L.iinfo(L.int32)}


@pytest.mark.parametrize("kind", sorted(_C_TYPED))
@pytest.mark.parametrize("call", ["exp", "linear", "cat", "matmul", "rand_size"])
def test_parser_names_torch_c_types(kind, call):
    """PyTorch's parser errors name its C types by their tp_name ('torch.Size', 'torch.dtype',
    'torch._C.Generator'): a forward hook returning ``output.shape`` sends a torch.Size into
    the next Linear (ember said 'not Size')."""
    def case(L):
        v = _C_TYPED[kind](L)
        if call == "exp":
            return L.exp(v)
        if call == "linear":
            return L.nn.Linear(2, 2)(v)
        if call == "cat":
            return L.cat([v])
        if call == "matmul":
            return L.matmul(L.ones(2), v)
        return L.rand(2, v)
    same_error_case(case)


def test_hook_returning_a_size():
    """The BYOL-style hook that returns instead of storing: its Size replaces the output."""
    def case(L):
        m = L.nn.Sequential(L.nn.Linear(2, 3), L.nn.ReLU(), L.nn.Linear(3, 1))
        m[1].register_forward_hook(lambda mod, i, o: o.shape)
        return m(L.ones(4, 2))
    same_error_case(case)


@pytest.mark.parametrize("fn", ["zeros", "ones", "empty", "randn", "full"])
@pytest.mark.parametrize("where", [0, 1])
def test_size_given_a_dtype_positionally(fn, where):
    """torch.zeros(torch.float32) / torch.zeros(2, torch.float32): PyTorch's size error
    naming torch.dtype (ember called a dtype's is_floating_point flag: "'bool' object is
    not callable")."""
    def case(L):
        args = (L.float32,) if where == 0 else (2, L.float32)
        return getattr(L, fn)(*args, 1.0) if fn == "full" else getattr(L, fn)(*args)
    same_error_case(case)


def test_size_given_a_float_tensor_keeps_its_hint():
    """A float tensor as a size is still the float case (its hint), an int one is not."""
    want, got = run_both(lambda L: L.zeros(2, L.tensor(2.5)))
    assert got == want
    same(lambda L: L.zeros(2, L.tensor(2)).shape)


_SCATTERS = ["scatter_", "scatter", "scatter_add_", "scatter_add", "torch.scatter",
             "scatter_reduce_add", "scatter_reduce", "scatter_reduce_"]


def _scatter_call(L, fn, self_shape, index, src):
    x = L.zeros(*self_shape)
    d = 1 if len(self_shape) == 2 else 0
    if fn == "torch.scatter":
        return L.scatter(x, d, index, src)
    if fn == "scatter_reduce_add":
        return x.scatter_(d, index, src, reduce="add")
    if fn.startswith("scatter_reduce"):
        return getattr(x, fn)(d, index, src, "amax", include_self=False)
    return getattr(x, fn)(d, index, src)


@pytest.mark.parametrize("fn", _SCATTERS)
@pytest.mark.parametrize("src_shape", [(), (1,), (2, 2, 2), (3, 1)])
def test_scatter_src_must_have_the_index_dims(fn, src_shape):
    """timm's one-hot with a 0-d tensor as the positional src, ``full(...).scatter_(1,
    x.view(-1, 1), torch.tensor(0.9))``: PyTorch binds the Tensor src and refuses its
    dimensions (ember read it as a value, or broadcast it); a src of other dims is refused
    before its sizes are compared."""
    def case(L):
        src = L.full(src_shape, 0.5) if src_shape else L.tensor(0.5)
        out = _scatter_call(L, fn, (3, 4), L.tensor([[1], [3], [0]]), src)
        return out.tolist()
    same(case)


@pytest.mark.parametrize("fn", _SCATTERS)
def test_scatter_zero_dim_src_with_one_dim_index(fn):
    """A 0-d src counts as 1-d (PyTorch's ensure_nonempty rule): fine with a 1-d index."""
    same(lambda L: _scatter_call(L, fn, (4,), L.tensor([1, 2]), L.tensor(0.5)).tolist())


@pytest.mark.parametrize("fn", _SCATTERS)
@pytest.mark.parametrize("shapes", [((3, 4), (0, 1), (5,)), ((3, 4), (0,), (2, 1, 1)),
                                    ((4,), (0, 2), ())])
def test_scatter_empty_index_checks_no_shapes(fn, shapes):
    """An empty index writes nothing and PyTorch checks no shapes for it (ember indexed
    with it and failed with NumPy's IndexError, or compared the shapes)."""
    self_shape, index_shape, src_shape = shapes

    def case(L):
        src = L.full(src_shape, 0.5) if src_shape else L.tensor(0.5)
        return _scatter_call(L, fn, self_shape, L.zeros(index_shape, dtype=L.long),
                             src).tolist()
    same(case)


@pytest.mark.parametrize("fn", ["scatter_", "scatter_add", "torch.scatter", "scatter_reduce"])
@pytest.mark.parametrize("shapes", [((3, 4), (0, 1), (1, 1)), ((4,), (0, 2), ())])
def test_scatter_empty_index_gradients(fn, shapes):
    """Through an empty index self's gradient passes whole and src's is zero (its shape)."""
    self_shape, index_shape, src_shape = shapes

    def case(L):
        src = (L.full(src_shape, 0.5) if src_shape else L.tensor(0.5)).requires_grad_()
        base = L.ones(*self_shape, requires_grad=True)
        x, d, i = base * 2, 1 if len(self_shape) == 2 else 0, L.zeros(index_shape, dtype=L.long)
        if fn == "scatter_reduce":
            out = x.scatter_reduce(d, i, src, "sum")
        else:
            out = L.scatter(x, d, i, src) if fn == "torch.scatter" else getattr(x, fn)(d, i, src)
        out.sum().backward()
        return out.tolist(), base.grad.tolist(), src.grad.tolist(), type(out.grad_fn).__name__
    same(case)


@pytest.mark.parametrize("value", ["0d", "1d", "0d_double", "0d_grad"])
def test_scatter_value_given_as_a_tensor(value):
    """value= is a Number: a 0-d tensor is read as one (not one requiring grad), another
    tensor refused by the parser (ember compared its shape with the index's)."""
    def case(L):
        v = {"0d": L.tensor(0.5), "1d": L.tensor([0.5]),
             "0d_double": L.tensor(0.25, dtype=L.float64),
             "0d_grad": L.tensor(0.5, requires_grad=True)}[value]
        return L.zeros(3, 4).scatter_(1, L.tensor([[1], [3], [0]]), value=v).tolist()
    same(case)
