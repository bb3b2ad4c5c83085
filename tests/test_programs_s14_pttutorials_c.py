"""Session 14, the PyTorch tutorials on autograd and torch.func, small: Double Backward with
Custom Functions, Forward-mode AD, Jacobians/Hessians/hvp, Per-sample gradients, Model
ensembling, Neural Tangent Kernels, Learning PyTorch with Examples, and the mistakes
learners make with that code; run on ember and torch 2.13 live. Exact where the arithmetic
is plain IEEE operations; to rtol 1e-5 through matrix products and float32 sin/tanh (BLAS,
Sleef: README "Differences")."""

import math

import numpy as np
import pytest
from torch_compare import exact_and_close, same_error_case, same as _same

BLAS = dict(rtol=1e-5, atol=1e-6)


def _close(fn, **tol):
    """fn(L) -> (exact part, values compared to rounding: BLAS, unless told)."""
    exact_and_close(fn, **(tol or BLAS))


def _x(L, shape, seed=0, grad=True):
    return L.tensor(np.random.default_rng(seed).random(shape), requires_grad=grad)


# ---- Double Backward with Custom Functions -------------------------------------------------

def _functions(L):
    class Square(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)  # an input
            return x ** 2

        @staticmethod
        def backward(ctx, grad_out):
            x, = ctx.saved_tensors
            return grad_out * 2 * x

    class Exp(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            result = L.exp(x)
            ctx.save_for_backward(result)  # an output
            return result

        @staticmethod
        def backward(ctx, grad_out):
            result, = ctx.saved_tensors
            return result * grad_out

    class Sinh(L.autograd.Function):  # intermediates returned as outputs
        @staticmethod
        def forward(ctx, x):
            expx, expnegx = L.exp(x), L.exp(-x)
            ctx.save_for_backward(expx, expnegx)
            return (expx - expnegx) / 2, expx, expnegx

        @staticmethod
        def backward(ctx, grad_out, grad_exp, grad_negexp):
            expx, expnegx = ctx.saved_tensors
            grad_input = grad_out * (expx + expnegx) / 2
            grad_input += grad_exp * expx
            grad_input -= grad_negexp * expnegx
            return grad_input

    class SinhBad(L.autograd.Function):  # intermediates stashed on ctx: wrong 2nd order
        @staticmethod
        def forward(ctx, x):
            ctx.expx, ctx.expnegx = L.exp(x), L.exp(-x)
            return (ctx.expx - ctx.expnegx) / 2

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out * (ctx.expx + ctx.expnegx) / 2

    class Cube(L.autograd.Function):  # setup_context style
        @staticmethod
        def forward(x):
            return x ** 3, 3 * x ** 2

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0], output[1])

        @staticmethod
        def backward(ctx, grad_output, grad_dx):
            x, dx = ctx.saved_tensors
            return grad_output * dx + grad_dx * 6 * x
    return {"square": Square.apply, "exp": Exp.apply, "sinh": lambda x: Sinh.apply(x)[0],
            "bad": SinhBad.apply, "cube": lambda x: Cube.apply(x)[0]}


@pytest.mark.parametrize("name", ["square", "exp", "sinh", "cube"])
def test_double_backward_custom_functions(name):
    def run(L):
        f = _functions(L)[name]
        x = _x(L, (3, 3))
        out = f(x)
        g, = L.autograd.grad(out.sum(), x, create_graph=True)
        g2, = L.autograd.grad(g.sum(), x)
        checks = (L.autograd.gradcheck(f, x), L.autograd.gradgradcheck(f, x))
        return (checks, type(out.grad_fn).__name__, out.grad_fn.name(),
                g.grad_fn.name(), g2.tolist())
    _same(run)


def test_double_backward_with_intermediates_on_ctx_fails_gradgradcheck():
    def run(L):
        f, x = _functions(L)["bad"], _x(L, (3, 3))
        quiet = L.autograd.gradgradcheck(f, x, raise_exception=False)
        try:
            L.autograd.gradgradcheck(f, x)
        except Exception as e:  # noqa: BLE001 - compared across libraries
            return L.autograd.gradcheck(f, x), quiet, type(e).__name__, str(e).split("\n")[0]
    _same(run)


# ---- Forward-mode AD -----------------------------------------------------------------------

def test_forward_ad_tutorial():
    def run(L):
        fw = L.autograd.forward_ad
        primal, tangent, plain = _x(L, (4, 4), 1, False), _x(L, (4, 4), 2, False), _x(L, (4, 4), 3,
                                                                                       False)
        with fw.dual_level():
            dual = fw.make_dual(primal, tangent)
            same = fw.unpack_dual(dual).tangent is tangent
            alt = fw.unpack_dual(fw.make_dual(primal, tangent.T)).tangent is tangent
            out = fw.unpack_dual(dual ** 2 + plain ** 2)
            fields = (type(out).__name__, out._fields)
            jvp = out.tangent.tolist()
        after = fw.unpack_dual(dual).tangent
        model = L.nn.Linear(5, 5)
        x = _x(L, (3, 5), 4, False).float()
        params = dict(model.named_parameters())
        tangents = {k: L.ones_like(p) / 4 for k, p in params.items()}
        with fw.dual_level():
            duals = {k: fw.make_dual(p, tangents[k]) for k, p in params.items()}
            jvp2 = fw.unpack_dual(L.func.functional_call(model, duals, x)).tangent
        _, jvp3 = L.func.jvp(lambda p: L.func.functional_call(model, p, x),
                             ({k: v.detach() for k, v in params.items()},), (tangents,))
        return (same, alt, fields, jvp, after), [jvp2.detach(), jvp3]
    _close(run)


@pytest.mark.parametrize("case", [
    lambda L: L.autograd.forward_ad.make_dual(L.ones(2), L.ones(2)),
    lambda L: _in_level(L, lambda fw: fw.make_dual(L.ones(2, 2), L.ones(3))),
    lambda L: _in_level(L, lambda fw: fw.make_dual(L.arange(3), L.arange(3))),
    lambda L: _in_level(L, lambda fw: fw.make_dual(L.ones(2), L.arange(2))),
    lambda L: _in_level(L, lambda fw: fw.enter_dual_level()),
])
def test_forward_ad_mistakes(case):
    same_error_case(case)


def _in_level(L, body):
    with L.autograd.forward_ad.dual_level():
        return body(L.autograd.forward_ad)


# ---- Jacobians, Hessians, hvp; per-sample gradients; ensembling; NTK ------------------------

def _predict(L):
    return lambda weight, bias, x: L.nn.functional.linear(x, weight, bias).tanh()


def test_jacobians_hessians_tutorial():
    def run(L):
        from functools import partial
        fn = L.func
        predict = _predict(L)
        w, b, x = _x(L, (6, 6), 1, False), _x(L, (6,), 2, False), _x(L, (6,), 3, False)
        xp = x.clone().requires_grad_()
        rows = [L.autograd.grad(predict(w, b, xp), xp, v)[0] for v in L.eye(6, dtype=L.float64)]
        manual = L.stack(rows)
        _, vjp_fn = fn.vjp(partial(predict, w, b), x)
        via_vmap, = fn.vmap(vjp_fn)(L.eye(6, dtype=L.float64))
        jw, jb = fn.jacrev(predict, argnums=(0, 1))(w, b, x)
        jf = fn.jacfwd(predict, argnums=2)(w, b, x)
        hess = fn.hessian(predict, argnums=2)(w, b, x)
        hess_ff = fn.jacfwd(fn.jacfwd(predict, argnums=2), argnums=2)(w, b, x)
        xb = _x(L, (4, 6), 4, False)
        batch = fn.vmap(fn.jacrev(predict, argnums=2), in_dims=(None, None, 0))(w, b, xb)
        summed = fn.jacrev(lambda w, b, x: predict(w, b, x).sum(0), argnums=2)(w, b, xb)
        hvp = fn.jvp(fn.grad(lambda x: x.sin().sum()), (x,), (L.ones(6, dtype=L.float64),))[1]
        shapes = [tuple(t.shape) for t in (manual, jw, jb, hess, batch)]
        flags = [L.allclose(via_vmap, manual), L.allclose(jf, manual),
                 L.allclose(hess, hess_ff), L.allclose(batch, summed.movedim(1, 0))]
        return (shapes, flags), [manual, jw, jb, hess, batch, hvp]
    _close(run, rtol=1e-12, atol=1e-14)  # float64 matrix products: last bits


def test_autograd_functional_api():
    def run(L):
        AF = L.autograd.functional
        a, b = _x(L, (3,), 1, False), _x(L, (3,), 2, False)

        def g(x, y):
            return (x * y.exp()).sin()

        def s(x):
            return (x.sin() * x).sum()
        J = AF.jacobian(g, (a, b))
        return ((type(J).__name__, len(J), AF.jacobian(g, (a, b), create_graph=True)[0]
                 .requires_grad),
                [J[0], J[1], AF.jacobian(g, (a, b), vectorize=True)[1], AF.hessian(s, a),
                 AF.hvp(s, a, L.ones(3, dtype=L.float64))[1],
                 AF.vhp(s, a, L.ones(3, dtype=L.float64))[1],
                 AF.vjp(lambda x: x ** 2, a, L.ones(3, dtype=L.float64))[1],
                 AF.jvp(lambda x: x ** 2, a, L.ones(3, dtype=L.float64))[1]])
    _close(run, rtol=1e-14, atol=1e-15)


def _cnn(L):
    F = L.nn.functional

    class SimpleCNN(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.fc1 = L.nn.Conv2d(1, 3, 3, 1), L.nn.Linear(3 * 3 * 3, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            return F.log_softmax(self.fc1(L.flatten(x, 1)), dim=1)
    return SimpleCNN


def test_per_sample_gradients_and_ensembling():
    def run(L):
        F, fn = L.nn.functional, L.func
        L.manual_seed(0)
        CNN = _cnn(L)
        model = CNN()
        data, targets = L.randn(4, 1, 8, 8), L.randint(10, (4,))
        params = {k: v.detach() for k, v in model.named_parameters()}
        buffers = {k: v.detach() for k, v in model.named_buffers()}

        def compute_loss(params, buffers, sample, target):
            pred = fn.functional_call(model, (params, buffers), (sample.unsqueeze(0),))
            return F.nll_loss(pred, target.unsqueeze(0))
        ft = fn.vmap(fn.grad(compute_loss), in_dims=(None, None, 0, 0))(params, buffers, data,
                                                                       targets)
        loop = [L.autograd.grad(F.nll_loss(model(data[i:i + 1]), targets[i:i + 1]),
                                list(model.parameters())) for i in range(4)]
        models = [CNN() for _ in range(3)]
        sp, sb = fn.stack_module_state(models)
        mb = L.randn(3, 5, 1, 8, 8)

        def fmodel(p, b, x):
            return fn.functional_call(models[0], (p, b), (x,))
        same_batch = fn.vmap(fmodel, in_dims=(0, 0, None))(sp, sb, mb[0])
        own_batch = fn.vmap(fmodel)(sp, sb, mb)
        exact = (type(ft).__name__, list(ft), {k: (tuple(v.shape), v.requires_grad, v.is_leaf)
                                               for k, v in sp.items()})
        return exact, ([ft[k] for k in ft] + [L.stack(s) for s in zip(*loop)]
                       + [same_batch, own_batch, L.stack([m(mb[0]) for m in models])])
    _close(run)


def test_neural_tangent_kernel():
    def run(L):
        fn = L.func
        L.manual_seed(0)
        net = L.nn.Sequential(L.nn.Linear(4, 8), L.nn.Tanh(), L.nn.Linear(8, 3))
        x1, x2 = L.randn(3, 4), L.randn(2, 4)
        p = {k: v.detach() for k, v in net.named_parameters()}

        def f1(params, x):
            return fn.functional_call(net, params, (x.unsqueeze(0),)).squeeze(0)
        j1 = [j.flatten(2) for j in fn.vmap(fn.jacrev(f1), (None, 0))(p, x1).values()]
        j2 = [j.flatten(2) for j in fn.vmap(fn.jacrev(f1), (None, 0))(p, x2).values()]
        ntk = L.stack([L.einsum("Naf,Mbf->NMab", a, b) for a, b in zip(j1, j2)]).sum(0)
        return tuple(ntk.shape), [ntk, L.einsum("NMKK->NM", ntk)]
    _close(run)


# ---- Learning PyTorch with Examples ---------------------------------------------------------

def test_learning_pytorch_with_examples():
    """Tensors with hand-written gradients, autograd, a custom Function (LegendrePolynomial3),
    nn + manual step, optim, a custom Module with string(); x = linspace is exact, sin(x)
    float32 is Sleef against NumPy (last bits)."""
    def run(L):
        L.manual_seed(0)
        x = L.linspace(-math.pi, math.pi, 200)
        y = L.sin(x)
        losses = []

        class P3(L.autograd.Function):
            @staticmethod
            def forward(ctx, input):
                ctx.save_for_backward(input)
                return 0.5 * (5 * input ** 3 - 3 * input)

            @staticmethod
            def backward(ctx, grad_output):
                input, = ctx.saved_tensors
                return grad_output * 1.5 * (5 * input ** 2 - 1)
        a, b, c, d = (L.full((), v, requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3))
        for _ in range(20):
            loss = (a + b * P3.apply(c + d * x) - y).pow(2).sum()
            loss.backward()
            with L.no_grad():
                for v in (a, b, c, d):
                    v -= 5e-6 * v.grad
                    v.grad = None
            losses.append(loss.item())
        xx = x.unsqueeze(-1).pow(L.tensor([1, 2, 3]))
        model = L.nn.Sequential(L.nn.Linear(3, 1), L.nn.Flatten(0, 1))
        opt = L.optim.RMSprop(model.parameters(), lr=1e-3)
        for _ in range(20):
            loss = L.nn.MSELoss(reduction="sum")(model(xx), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())

        class Polynomial3(L.nn.Module):
            def __init__(self):
                super().__init__()
                self.a, self.b = L.nn.Parameter(L.randn(())), L.nn.Parameter(L.randn(()))

            def forward(self, x):
                return self.a + self.b * x

            def string(self):
                return f"y = {self.a.item()} + {self.b.item()} x"
        poly = Polynomial3()
        shown = [repr(poly), poly.string(), str(xx.dtype), tuple(xx.shape),
                 [n for n, _ in poly.named_parameters()], repr(model)]
        return shown, losses
    _close(run)


# ---- mistakes learners make with this code --------------------------------------------------

@pytest.mark.parametrize("case", [
    lambda L: L.nn.Linear(73, 16)(L.cat((L.zeros(1, 57), L.zeros(16)), 1)),
    lambda L: L.nn.Linear(73, 16)(L.zeros(1, 57)),
    lambda L: L.nn.NLLLoss()(L.zeros(1, 3), L.tensor(1)),
    lambda L: L.nn.NLLLoss()(L.zeros(1, 3), L.tensor([1.0])),
    lambda L: L.nn.NLLLoss()(L.zeros(1, 3), L.tensor([[1]])),
    lambda L: L.zeros(1, 3).topk(4),
    lambda L: L.zeros(1, 3).topk(2)[1].item(),
    lambda L: L.nn.GRU(8, 8, batch_first=True)(L.zeros(2, 3, 4)),
    lambda L: L.nn.GRU(8, 8, batch_first=True)(L.zeros(2, 3, 8), L.zeros(2, 8)),
    lambda L: L.nn.GRU(8, 8)(L.zeros(3, 8), L.zeros(1, 1, 8)),
    lambda L: L.nn.Embedding(10, 4)(L.tensor([[10]])),
    lambda L: L.bmm(L.zeros(2, 1, 3), L.zeros(2, 4, 3)),
    lambda L: L.func.stack_module_state([_cnn(L)(), _cnn(L)()]),  # two classes
    lambda L: L.func.stack_module_state([L.nn.Linear(2, 2), L.nn.Linear(2, 2).eval()]),
    lambda L: L.rand(1, 4, 4).view(4, 4).t().view(16),
    lambda L: L.optim.LBFGS([L.rand(2, requires_grad=True)]).step(),
    lambda L: L.rand(2, requires_grad=True).clamp_(0, 1),
    lambda L: L.rand(1, 1, 4, 4).grad.data.sign(),
    lambda L: L.clamp(L.rand(2)),
    lambda L: L.func.grad(lambda x: x ** 2)(L.randn(3)),
    lambda L: L.func.grad(lambda x: (x ** 2).sum())(L.arange(3)),
    lambda L: L.func.grad(lambda x: (x ** 2).sum().item())(L.randn(3)),
    lambda L: L.func.grad(lambda x: (x ** 2).sum(), argnums=1)(L.randn(3)),
    lambda L: L.func.functional_call(L.nn.Linear(3, 2), {"w": L.ones(1)}, L.ones(1, 3),
                                     strict=True),
    lambda L: L.func.functional_call(L.nn.Linear(3, 2), {"weight": L.zeros(3, 3)}, L.ones(1, 3)),
    lambda L: L.func.stack_module_state([]),
    lambda L: L.func.stack_module_state([L.nn.Linear(2, 2), L.nn.Linear(2, 2, bias=False)]),
    lambda L: L.nn.functional.affine_grid(L.rand(1, 3, 3), (1, 1, 4, 4), align_corners=False),
    lambda L: L.nn.functional.grid_sample(L.rand(1, 1, 4, 4), L.rand(1, 2, 2, 3),
                                          align_corners=False),
    lambda L: L.nn.functional.grid_sample(L.rand(1, 1, 4, 4), L.rand(1, 2, 2, 2).double(),
                                          align_corners=False),
    lambda L: L.nn.functional.grid_sample(L.rand(1, 1, 4, 4), L.rand(1, 2, 2, 2),
                                          padding_mode="reflect", align_corners=False),
    lambda L: L.autograd.gradcheck(lambda x: x.sin(), L.rand(3, requires_grad=True)),
])
def test_learner_mistakes(case):
    same_error_case(case)
