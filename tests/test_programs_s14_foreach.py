"""Session 14, torch._foreach_*: RL soft target updates (lerp_, mul_ + add_, copy_), hand
written optimizers and gradient clipping, run live on ember and torch 2.13. PyTorch's CPU
foreach kernels loop over the per-tensor op, so results are compared bit for bit wherever
ember's per-tensor op is (IEEE arithmetic, fused lerp/addcmul/add(alpha), the 2-norm in ATen's
order); float32 transcendentals, pow and sqrt go through Sleef in PyTorch (not always
correctly rounded) and are compared to rtol 1e-6, as are norms of orders other than 0, 1, 2
and inf (their |x|^p is NumPy's pow, not libm's). Errors and autograd: *_b.py."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from torch_compare import run_both

import ember

SLEEF = dict(rtol=1e-6, atol=1e-7)


def _flat(x):
    if isinstance(x, (torch.Tensor, ember.Tensor)):
        return [("tensor", str(x.dtype), tuple(x.shape), np.array(x.detach().numpy()))]
    if isinstance(x, (list, tuple)):
        return [("seq", type(x).__name__, len(x))] + [v for e in x for v in _flat(e)]
    return [("value", x)]


def _check(fn, **tol):
    """fn(L) on both libraries: same structure, dtypes, shapes and values (bit for bit
    unless a tolerance is given)."""
    want, got = run_both(fn)
    fw, fg = _flat(want), _flat(got)
    assert len(fw) == len(fg), f"ember: {got}\ntorch: {want}"
    for w, g in zip(fw, fg):
        if w[0] == "tensor":
            assert g[0] == "tensor" and w[1:3] == g[1:3], (w[1:3], g[1:3])
            if tol:
                np.testing.assert_allclose(g[3], w[3], **tol)
            else:
                np.testing.assert_array_equal(g[3], w[3])
        else:
            assert g == w, f"ember: {g}\ntorch: {w}"
    return want


def _params(L, seed, rg=False, dtype=np.float32):
    """An MLP 4-128-128-2's parameter shapes, standard normal from NumPy's generator."""
    rng = np.random.default_rng(seed)
    shapes = [(128, 4), (128,), (128, 128), (128,), (2, 128), (2,)]
    return [L.tensor(rng.standard_normal(s).astype(dtype), requires_grad=rg) for s in shapes]


def _mlp(L, seed):
    L.manual_seed(seed)
    return L.nn.Sequential(L.nn.Linear(4, 128), L.nn.ReLU(), L.nn.Linear(128, 128),
                           L.nn.ReLU(), L.nn.Linear(128, 2))


def test_every_foreach_name_exists_and_loads_lazily():
    names = [n for n in dir(torch) if n.startswith("_foreach")]
    assert len(names) > 80 and all(callable(getattr(ember, n)) for n in names)
    code = "import ember, sys; print('ember._foreach' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_polyak_lerp_bits_return_and_versions(dtype):
    def run(L):
        tgt, src = _params(L, 0, dtype=dtype), _params(L, 1, dtype=dtype)
        out = []
        for tau in (0.005, 0.7, 0.5, 1.0, 0.0, -0.3):  # both of lerp's forms
            r = L._foreach_lerp_(tgt, src, tau)
            out += [t.clone() for t in tgt]
        return out + [r is tgt, [t._version for t in tgt]]
    _check(run)


def test_polyak_mul_add_and_copy_on_module_parameters():
    def run(L):
        net, tn = _mlp(L, 0), _mlp(L, 1)
        tp, sp = list(tn.parameters()), list(net.parameters())
        out = []
        with L.no_grad():  # Parameters that require grad: written under no_grad
            for _ in range(3):
                L._foreach_mul_(tp, 1 - 0.005)
                L._foreach_add_(tp, sp, alpha=0.005)
            out += [p.clone() for p in tp]
            L._foreach_lerp_(tp, sp, L.tensor(0.25))  # a 0-dim tensor weight
            out += [p.clone() for p in tp]
            L._foreach_copy_(tp, sp)
        L._foreach_lerp_([p.data for p in tp], [p.data for p in sp], 0.3)
        return out + [p.clone() for p in tp] + [[p.requires_grad for p in tp],
                                                 [p._version for p in tp]]
    _check(run)


def test_state_dict_soft_update_with_integer_buffer():
    def run(L):
        L.manual_seed(0)
        a = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.BatchNorm1d(4))
        b = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.BatchNorm1d(4))
        va, vb = list(a.state_dict().values()), list(b.state_dict().values())
        fa = [v for v in va if v.is_floating_point()]
        fb = [v for v in vb if v.is_floating_point()]
        with L.no_grad():
            L._foreach_lerp_(fa, fb, 0.1)
            L._foreach_mul_(fa, 0.5)
            L._foreach_add_(fa, fb, alpha=0.5)
        out = [v.clone() for v in va]
        try:  # num_batches_tracked is int64: lerp refuses it (after the float ones)
            with L.no_grad():
                L._foreach_lerp_(va, vb, 0.1)
        except NotImplementedError as e:
            out.append(str(e))
        return out + [v.clone() for v in va]
    _check(run)


def test_copy_zero_clone_and_return_types():
    def run(L):
        xs = _params(L, 2)[:3]
        ys = [L.ones(128, 1), L.arange(128), L.zeros(128, 128, dtype=L.float64)]
        r1 = L._foreach_copy_(xs, ys)  # broadcast and cast, as copy_
        out = [r1 is xs, type(r1).__name__] + [x.clone() for x in xs]
        c = L._foreach_clone(xs)
        r2 = L._foreach_zero_(xs)
        out += [type(c).__name__, r2 is xs, [x._version for x in xs]] + list(c) + xs
        tup = tuple(_params(L, 3)[:2])
        out += [L._foreach_mul_(tup, 2) is tup, type(L._foreach_mul(list(tup), 2)).__name__]
        return out
    _check(run)


def _binary_forms(L, name):
    xs = _params(L, 5)[:3]
    ys = [y + 0.1 for y in _params(L, 6)[:3]]
    forms = [ys, 0.5, [0.5, 2, -1.0], -3]
    if name in ("add", "mul", "div"):
        forms.append(L.tensor(1.5))
    if name in ("sub", "maximum"):
        forms.append(L.tensor(-0.25))  # a 0-dim tensor read as a number
    f, f_ = getattr(L, f"_foreach_{name}"), getattr(L, f"_foreach_{name}_")
    out = []
    for o in forms:
        out += list(f(xs, o))
        zs = [x.clone() for x in xs]
        f_(zs, o)
        out += zs
    ints = [L.arange(6).reshape(2, 3), L.arange(4, dtype=L.int32)]
    for o in (2, 2.5, [3, 0.5], [L.arange(3), L.ones(4, dtype=L.int32)]):
        out += list(f(ints, o)) if name != "div" or o != [L.arange(3)] else []
    return out


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "clamp_min", "clamp_max",
                                  "maximum", "minimum"])
def test_binary_overloads_bits(name):
    _check(lambda L: _binary_forms(L, name))


def test_alpha_forms_bits():
    def run(L):
        xs, ys = _params(L, 7)[:3], _params(L, 8)[:3]
        out = list(L._foreach_add(xs, ys, alpha=0.3)) + list(L._foreach_sub(xs, ys, alpha=2))
        out += list(L._foreach_add(xs, L.tensor(2.0), alpha=0.3))
        zs = [x.clone() for x in xs]
        L._foreach_sub_(zs, ys, alpha=0.7)
        return out + zs
    _check(run)


def test_pow_forms():
    def run(L):
        xs = [x.abs() + 0.1 for x in _params(L, 9)[:3]]
        ys = _params(L, 10)[:3]
        zs = [x.clone() for x in xs]
        L._foreach_pow_(zs, [2, 0.5, -1.5])
        return (list(L._foreach_pow(xs, ys)) + list(L._foreach_pow(xs, 0.5))
                + list(L._foreach_pow(2.0, xs)) + list(L._foreach_pow(L.tensor(3.0), xs)) + zs)
    _check(run, **SLEEF)  # float32 pow is Sleef's in PyTorch
    _check(lambda L: list(L._foreach_pow([L.arange(5), L.arange(3, dtype=L.int32)], 3))
           + list(L._foreach_pow(2, [L.arange(4)])) + list(L._foreach_pow([L.arange(4)], 0.5)))


_EXACT_UNARY = "abs ceil floor frac log neg reciprocal round rsqrt sign trunc".split()
_SLEEF_UNARY = ("acos asin atan cos cosh erf erfc exp expm1 lgamma log10 log1p log2 sigmoid "
                "sin sinh sqrt tan tanh").split()


def _unary(L, names):
    xs = [x * 0.3 for x in _params(L, 4)[:2]] + [L.tensor([0.0, -0.0, 2.5, -3.5])]
    out = []
    for n in names:
        out += list(getattr(L, f"_foreach_{n}")(xs))
        zs = [x.clone() for x in xs]
        getattr(L, f"_foreach_{n}_")(zs)
        out += zs
    return out


def test_unary_ops_bits():
    _check(lambda L: _unary(L, _EXACT_UNARY))
    _check(lambda L: [list(getattr(L, f"_foreach_{n}")([L.arange(-2, 3)]))
                      for n in ("abs", "neg", "sign", "round", "ceil", "sqrt", "sigmoid")])


def test_unary_transcendentals_to_rounding():
    _check(lambda L: _unary(L, _SLEEF_UNARY), **SLEEF)  # Sleef against NumPy's libm


def test_lerp_addcmul_addcdiv_overloads_bits():
    def run(L):
        xs, t1 = _params(L, 11)[:3], _params(L, 12)[:3]
        t2 = [t + 3 for t in _params(L, 13)[:3]]
        w = [L.from_numpy(np.random.default_rng(14).random(tuple(x.shape), np.float32))
             for x in xs]
        out = list(L._foreach_lerp(xs, t1, 0.3)) + list(L._foreach_lerp(xs, t1, [0.3, 0.7, 1]))
        out += list(L._foreach_lerp(xs, t1, w))
        for weight in (0.3, [0.3, 0.7, 0.6], w):
            zs = [x.clone() for x in xs]
            L._foreach_lerp_(zs, t1, weight)
            out += zs
        for name in ("addcmul", "addcdiv"):
            f, f_ = getattr(L, f"_foreach_{name}"), getattr(L, f"_foreach_{name}_")
            for v in (1, 0.3, [0.1, 0.2, 0.3], L.tensor([0.1, 0.2, 0.3])):
                out += list(f(xs, t1, t2, v))
                zs = [x.clone() for x in xs]
                f_(zs, t1, t2, v)
                out += zs
            out += list(f(xs, t1, t2, value=-2))
        ints = [L.arange(4)]
        L._foreach_addcmul_(ints, ints, [L.arange(4)], 2)
        return out + ints
    _check(run)


def test_norms_powsum_max_mm():
    def run(L):
        xs = _params(L, 15) + [L.zeros(3), L.tensor(-2.0)]
        out = list(L._foreach_norm(xs)) + list(L._foreach_norm(xs, 2.0, dtype=L.float64))
        out += list(L._foreach_norm(xs, float("inf"))) + list(L._foreach_norm(xs, 0))
        out += list(L._foreach_norm(xs, 1)) + list(L._foreach_powsum(xs, 1))  # in ATen's order
        out += list(L._foreach_powsum(xs)) + list(L._foreach_powsum(xs, 2, dtype=L.float64))
        out += list(L._foreach_powsum(xs, 0)) + list(L._foreach_powsum(xs, float("inf")))
        out += list(L._foreach_max(xs + [L.arange(3), L.tensor([1.0, float("nan")])]))
        a, b = _params(L, 16)[0], _params(L, 17)[2]
        return out + list(L._foreach_mm([a.T, b], [a, b.T]))  # (MKL and OpenBLAS agree on
    _check(run)                                              # these sizes: checked bitwise)
    _check(lambda L: [list(L._foreach_norm(_params(L, 18), o)) for o in (3, 0.5, -1)]
           + [list(L._foreach_powsum(_params(L, 18), o)) for o in (3, 0.5)]
           + [list(L._foreach_norm(_params(L, 18), 3, dtype=L.float64))], **SLEEF)


def test_one_norms_add_in_atens_order():
    """ATen's norm kernel adds |x| (and |x|^p) one at a time for p other than 2: 1-norms
    and distances now match to the bit (NumPy's pairwise sum moved the last bits)."""
    def run(L):
        rng = np.random.default_rng(22)
        a = L.from_numpy(rng.standard_normal((40, 300)).astype(np.float32))
        b = L.from_numpy(rng.standard_normal((40, 300)))
        return [L.linalg.vector_norm(a, 1), L.linalg.vector_norm(a, 1, dim=0),
                L.linalg.vector_norm(a, 1, dim=1, keepdim=True), a.norm(p=1, dim=1),
                L.linalg.vector_norm(a.T, 1, dim=0), L.linalg.vector_norm(b, 1),
                L.dist(a, a.flip(0), 1), L.linalg.vector_norm(a[::2, 5:], 1, dim=(0, 1))]
    _check(run)


def test_hand_written_adam_and_clipping():
    def run(L):
        params = _params(L, 19, rg=True)
        m = [L.zeros_like(p) for p in params]
        v = [L.zeros_like(p) for p in params]
        for step in range(1, 4):
            loss = sum((p * p * p).sum() for p in params)
            grads = list(L.autograd.grad(loss, params))
            total = L.linalg.vector_norm(L.stack(L._foreach_norm(grads)))
            L._foreach_mul_(grads, L.clamp(1.0 / (total + 1e-6), max=1.0))
            with L.no_grad():
                L._foreach_lerp_(m, grads, 0.1)
                L._foreach_mul_(v, 0.999)
                L._foreach_addcmul_(v, grads, grads, 0.001)
                denom = L._foreach_sqrt(v)
                L._foreach_div_(denom, (1 - 0.999 ** step) ** 0.5)
                L._foreach_add_(denom, 1e-8)
                L._foreach_addcdiv_(params, m, denom, -1e-3 / (1 - 0.9 ** step))
                L._foreach_maximum_(params, -1.5)
                L._foreach_clamp_max_(params, [1.5] * 6)
        return [p.detach().clone() for p in params] + [total]
    _check(run, **SLEEF)  # sqrt: Sleef's in PyTorch (not always correctly rounded)


def test_sgd_momentum_with_foreach_bits():
    def run(L):
        ps, bufs = _params(L, 20), None
        for step in range(3):
            gs = [p * 0.5 + step for p in ps]
            L._foreach_add_(gs, ps, alpha=1e-4)
            if bufs is None:
                bufs = L._foreach_clone(gs)
            else:
                L._foreach_mul_(bufs, 0.9)
                L._foreach_add_(bufs, gs)
            L._foreach_add_(ps, bufs, alpha=-0.1)
        return ps + list(bufs)
    _check(run)


def test_lerp_into_views_broadcasts_and_weight_types():
    def run(L):
        rng = np.random.default_rng(21)
        big = L.from_numpy(rng.standard_normal((4, 6)).astype(np.float32))
        src = L.from_numpy(rng.standard_normal((4, 3)).astype(np.float32))
        with L.no_grad():  # views write through to their base; an end that broadcasts
            L._foreach_lerp_([big[:, :3], big[:, 3:].T], [src, src.T], 0.3)
            L._foreach_lerp_([big[:, :3]], [src[0]], 0.7)
        fortran = L.from_numpy(np.asfortranarray(rng.standard_normal((3, 5)), np.float32))
        L._foreach_lerp_([fortran], [L.ones(3, 5)], 0.2)
        x = L.from_numpy(np.arange(6, dtype=np.float32))
        L._foreach_lerp_([x, x], [x * 2, x], 0.3)  # the same tensor twice
        ys = [L.ones(3), L.ones(3)]
        L._foreach_lerp_(ys, [L.zeros(3), L.zeros(3)], np.float32(0.3))
        L._foreach_lerp_(ys, [L.zeros(3), L.zeros(3)], [np.float64(0.3), True])
        try:
            L._foreach_lerp_([L.ones(1, 3).expand(2, 3)], [L.zeros(2, 3)], 0.3)
        except RuntimeError as e:
            ys.append(str(e).splitlines()[0])
        return [big, fortran, x, big._version] + ys
    _check(run)
