"""Session 14, the PyTorch tutorials beyond the basics (spatial transformers, double backward
with custom Functions, forward-mode AD, torch.func), rewritten small with synthetic data and
compared live with torch 2.13: the differences found, each fixed in ember. Programs that
matched already are in test_programs_s14_pttutorials_b.py."""

import numpy as np
import pytest
from torch_compare import run_both, same_error_case, same as _same


def _arrays(*ts):
    return [t.detach().numpy().copy() for t in ts]


def _bits_equal(fn):
    """fn(L) -> list of tensors: the same dtype, shape and every bit on both libraries."""
    want, got = run_both(fn)
    assert len(want) == len(got)
    for w, g in zip(want, got):
        assert w.dtype == g.dtype and w.shape == g.shape
        np.testing.assert_array_equal(g, w)


# ---- Spatial Transformer Networks: grid_sample / affine_grid to the bit ------------------

def _sample_case(L, seed, dtype, mode, padding, align, shapes=None):
    rng = np.random.default_rng(seed)
    n, c, h, w, ho, wo = shapes or (2, 3, *rng.integers(1, 8, 2), *rng.integers(1, 9, 2))
    x = L.tensor(rng.standard_normal((n, c, h, w)).astype(dtype), requires_grad=True)
    grid = rng.random((n, ho, wo, 2)) * 3.0 - 1.5
    if seed % 3 == 0:  # coordinates on exact pixel positions and half-way points too
        grid = np.round(grid * 8) / 8
    g = L.tensor(grid.astype(dtype), requires_grad=True)
    y = L.nn.functional.grid_sample(x, g, mode=mode, padding_mode=padding, align_corners=align)
    y.backward(L.tensor(rng.standard_normal(tuple(y.shape)).astype(dtype)))
    return _arrays(y, x.grad, g.grad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_grid_sample_is_pytorchs_to_the_bit(mode, dtype, padding, align):
    """PyTorch's vectorised kernel fuses some multiply-adds (the unnormalising (g+1)*W/2-0.5,
    the tap blends, the reflection, the grid gradient's sums) and adds the input gradient in
    its own order; ember's NumPy forms put ~20% (bicubic: most) of outputs an ulp away."""
    for seed in range(4):
        _bits_equal(lambda L: _sample_case(L, seed, dtype, mode, padding, align))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_grid_sample_nearest_upsampling_gradient_to_the_bit(dtype):
    """Nearest mode: the source index (unnormalised with the fused multiply-add) and the input
    gradient, whose additions collide when the grid upsamples: PyTorch adds them one by one
    in the input's type (ember summed them in float64)."""
    for padding in ("zeros", "border", "reflection"):
        for align in (False, True):
            _bits_equal(lambda L: _sample_case(L, 1, dtype, "nearest", padding, align,
                                               (2, 2, 3, 4, 11, 13)))


def test_spatial_transformer_theta_gradient_to_the_bit():
    """The STN tutorial's stn(): affine_grid then grid_sample; theta's gradient goes through
    affine_grid's backward, a bmm PyTorch sums in order for small grids (ember used BLAS)."""
    def run(L):
        F = L.nn.functional
        rng = np.random.default_rng(0)
        theta = L.tensor([[[0.9, 0.1, 0.05], [-0.1, 1.1, 0.0]],
                          [[1.2, -0.2, 0.1], [0.3, 0.8, -0.1]]], requires_grad=True)
        img = L.tensor(rng.random((2, 3, 9, 7)).astype(np.float32), requires_grad=True)
        out = []
        for align in (False, True):
            for size in ((2, 3, 4, 3), (2, 3, 6, 5)):
                grid = F.affine_grid(theta, size, align_corners=align)
                y = F.grid_sample(img, grid, align_corners=align)
                (y * L.arange(y.numel()).view_as(y).float()).sum().backward()
                out += _arrays(grid, y, theta.grad, img.grad)
                theta.grad = img.grad = None
        return out
    _bits_equal(run)


def test_grid_sample_first_gradients_with_create_graph_to_the_bit():
    """With create_graph the first gradients are PyTorch's too (its backward is the same
    kernel then); the second derivatives exist on both (checked against finite differences)."""
    def run(L):
        F = L.nn.functional
        theta = L.tensor([[[0.9, 0.1, 0.05], [-0.1, 1.1, 0.0]]], dtype=L.float64,
                         requires_grad=True)
        img = L.tensor(np.random.default_rng(1).random((1, 2, 5, 6)), requires_grad=True)
        out = []
        for align in (False, True):
            for padding in ("zeros", "border", "reflection"):
                g = F.affine_grid(theta, (1, 2, 4, 3), align_corners=align)
                y = F.grid_sample(img, g, padding_mode=padding, align_corners=align)
                out += _arrays(*L.autograd.grad((y ** 2).sum(), (theta, img),
                                                create_graph=True))
        return out
    _bits_equal(run)
    import ember

    def f(t, i):
        g = ember.nn.functional.affine_grid(t, (1, 2, 4, 3), align_corners=False)
        return ember.nn.functional.grid_sample(i, g, align_corners=False)
    t = ember.tensor([[[0.9, 0.1, 0.05], [-0.1, 1.1, 0.0]]], dtype=ember.float64,
                     requires_grad=True)
    i = ember.tensor(np.random.default_rng(1).random((1, 2, 5, 6)), requires_grad=True)
    assert ember.autograd.gradgradcheck(f, (t, i))


# ---- Forward-mode AD: a custom Function with jvp and no backward ---------------------------

def _exp_fn(L):
    class Fn(L.autograd.Function):  # the tutorial's: forward and jvp only
        @staticmethod
        def forward(ctx, foo):
            result = L.exp(foo)
            ctx.result = result
            return result

        @staticmethod
        def jvp(ctx, gI):
            gO = gI * ctx.result
            del ctx.result
            return gO
    return Fn


def test_custom_function_with_only_jvp_in_forward_mode():
    """PyTorch calls the Function's jvp for the output's tangent; ember derived tangents from
    backward only and raised 'You must implement either the backward or vjp method'."""
    def run(L):
        fw = L.autograd.forward_ad
        fn = _exp_fn(L).apply
        rng = np.random.default_rng(0)
        primal = L.tensor(rng.standard_normal((4, 3)), requires_grad=True)
        tangent = L.tensor(rng.standard_normal((4, 3)))
        with fw.dual_level():
            dual_output = fn(fw.make_dual(primal, tangent))
            jvp = fw.unpack_dual(dual_output).tangent
            later = fw.unpack_dual((dual_output * 2).sin()).tangent  # used further on
            plain = fw.unpack_dual(fn(primal)).tangent  # an input without a tangent
        return (jvp.tolist(), str(jvp.dtype), later.tolist(), plain,
                str(dual_output.grad_fn.name()))
    _same(run)


def test_gradcheck_forward_ad_only_and_save_for_forward():
    """gradcheck(check_forward_ad=True, check_backward_ad=False) checks the jvp and never
    calls backward (ember ran the reverse check always); a jvp reading ctx.saved_tensors gets
    what save_for_forward kept; a wrong jvp fails with PyTorch's first line."""
    def run(L):
        class Sq(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_forward(x)
                return x * x

            @staticmethod
            def jvp(ctx, t):
                x, = ctx.saved_tensors
                return 2 * x * t

        class Wrong(Sq):
            @staticmethod
            def jvp(ctx, t):
                x, = ctx.saved_tensors
                return x * t
        x = L.tensor(np.linspace(-1, 1, 5), requires_grad=True)
        kw = dict(check_forward_ad=True, check_backward_ad=False, check_undefined_grad=False,
                  check_batched_grad=False)
        ok = [L.autograd.gradcheck(f.apply, (x,), **kw) for f in (_exp_fn(L), Sq)]
        quiet = L.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False, **kw)
        try:
            L.autograd.gradcheck(Wrong.apply, (x,), **kw)
            err = None
        except Exception as e:  # noqa: BLE001 - compared across libraries
            err = (type(e).__name__, str(e).splitlines()[0])
        return ok, quiet, err
    _same(run)


def test_jvp_only_function_in_reverse_mode_raises_pytorchs_error():
    def case(L):
        x = L.ones(3, requires_grad=True)
        _exp_fn(L).apply(x).sum().backward()
    same_error_case(case)


# ---- messages -----------------------------------------------------------------------------

def test_gradcheck_without_any_input_requiring_grad():
    same_error_case(lambda L: L.autograd.gradcheck(lambda x: x * 2,
                                                   (L.ones(3, dtype=L.float64),)))


@pytest.mark.parametrize("case", [
    # every mapped tensor's size, in argument order and repeated (ember listed a sorted set)
    lambda L: L.func.vmap(lambda a, b, c: a)(L.ones(5), L.ones(3), L.ones(5)),
    lambda L: L.func.vmap(lambda p, x: x)({"w": L.ones(4, 2), "b": L.ones(4)}, L.ones(5, 2)),
    lambda L: L.func.vmap(lambda a, b: a, in_dims=(None, None))(L.ones(5), L.ones(3)),
    lambda L: L.func.vmap(lambda a, b: a)(L.ones(5), 2.0),  # a number mapped over
    lambda L: L.func.vmap(lambda a, b: a)(L.ones(5), None),
    lambda L: L.func.vmap(lambda a: a)(3.0),
], ids=["sizes", "dict", "all-None", "number", "None", "no-tensor"])
def test_vmap_argument_errors(case):
    same_error_case(case)


@pytest.mark.parametrize("case", [
    lambda L: L.func.jacrev(lambda x: 3.0)(L.ones(3)),
    lambda L: L.func.jacfwd(lambda x: 3.0)(L.ones(3)),
    lambda L: L.func.jacrev(lambda x: (x, 3.0))(L.ones(3)),
    lambda L: L.func.vjp(lambda x: 3.0, L.ones(3)),
    lambda L: L.func.vjp(lambda x: (x, 2), L.ones(3)),
    lambda L: L.func.jvp(lambda x: 3.0, (L.ones(3),), (L.ones(3),)),
    lambda L: L.func.jacrev(lambda x: x, has_aux=True)(L.ones(3)),
    lambda L: L.func.jacfwd(lambda x: x, has_aux=True)(L.ones(3)),
    lambda L: L.func.vjp(lambda x: x, L.ones(3), has_aux=True),
    lambda L: L.func.jvp(lambda x: x, (L.ones(3),), (L.ones(3),), has_aux=True),
    lambda L: L.func.grad(lambda x: x.sum(), has_aux=True)(L.ones(3)),
])
def test_func_transform_output_errors(case):
    """A non-tensor output, or has_aux without a pair: PyTorch's message names the inner
    transform (vjp for jacrev, jvp for jacfwd); ember raised AttributeError or named the
    outer one."""
    same_error_case(case)


def test_jacfwd_takes_pytorchs_arguments():
    def run(L):
        f = L.func.jacfwd(lambda x: (x.sin(), x), has_aux=True, randomness="same")
        j, aux = f(L.tensor([0.5, 1.0], dtype=L.float64))
        return j.tolist(), aux.tolist()
    _same(run)
