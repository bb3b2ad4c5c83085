"""Session 11, programs that lean on higher-order and functional autograd (WGAN-GP gradient
penalties, MAML inner loops, Hutchinson traces, hvp/vhp, torch.func transforms, PINN second
derivatives) and the mistakes made typing them, run on ember and compared live with torch."""

import numpy as np
from torch_compare import gradcheck, same as _same


def _chain(L, f, n, x=(0.5, 1.25, 2.0)):
    """Repeated create_graph derivatives of f(x).sum(): each one's values and grad_fn name
    (or the error that ends the chain, as when the last derivative holds no graph)."""
    x = L.tensor(list(x), requires_grad=True)
    y, out = f(x).sum(), []
    for _ in range(n):
        try:
            (g,) = L.autograd.grad(y, x, create_graph=True)
        except RuntimeError as err:
            out.append(str(err).splitlines()[0])
            break
        out.append((g.requires_grad, g.detach().numpy().tolist()))
        y = g.sum()
    return out


# ---- x ** p keeps the power in the graph, so third and later derivatives exist -------------

def test_nth_derivatives_of_small_integer_powers():
    for p in (0, 1, 2, 3, 4):
        _same(lambda L: _chain(L, lambda x: x ** p, 6))
    _same(lambda L: _chain(L, lambda x: L.square(x), 4))
    _same(lambda L: _chain(L, lambda x: x.pow(3) - 2 * x ** 2, 6))
    for p in (0, 1, 2, 3, -1.5):  # the rules themselves, against finite differences
        gradcheck(lambda L, x: x ** p, np.array([0.7, 1.3, 2.1]), second=True)


def test_hessian_of_a_quadratic_stays_differentiable_with_create_graph():
    def run(L):
        f = lambda t: (t ** 2).sum()  # noqa: E731
        x = L.tensor([1.0, 2.0])
        _, hv = L.autograd.functional.vhp(f, x, L.ones(2), create_graph=True)
        _, vh = L.autograd.functional.hvp(f, x, L.ones(2), create_graph=True)
        return hv.requires_grad, vh.requires_grad, hv.tolist()
    _same(run)


def test_derivative_of_x_to_the_zero_is_zero_even_at_inf_and_nan():
    def run(L):
        x = L.tensor([float("inf"), 0.0, -2.0, float("nan")], requires_grad=True)
        (x ** 0).sum().backward()
        g, = L.autograd.grad((x.pow(0.0) * 3).sum(), x, create_graph=True)
        return str(x.grad), str(g), g.requires_grad
    _same(run)


# ---- grad / backward given fewer gradients than outputs -------------------------------------

def test_fewer_grad_outputs_than_outputs_is_an_error():
    def outs(L):
        x = L.ones(3, requires_grad=True)
        return x, (x * 2).sum(), (x ** 2).sum()

    _same(lambda L: (lambda x, y, z: L.autograd.grad([y, z], x, grad_outputs=[None]))(*outs(L)))
    _same(lambda L: (lambda x, y, z: L.autograd.grad([y, z], x, grad_outputs=[]))(*outs(L)))
    _same(lambda L: (lambda x, y, z: L.autograd.grad([y, z], x, L.tensor(1.)))(*outs(L)))
    _same(lambda L: (lambda x, y, z: L.autograd.backward([y, z], [None]))(*outs(L)))
    _same(lambda L: (lambda x, y, z: L.autograd.backward([y, z], []))(*outs(L)))
    # extra gradients are ignored
    _same(lambda L: (lambda x, y, z: str(L.autograd.grad([y], x, [None, None])))(*outs(L)))


# ---- torch.autograd.functional: hvp / vhp / vjp argument checks ------------------------------

def test_hvp_vhp_vjp_check_their_arguments_as_torch():
    f2 = lambda t: (t ** 2).sum()  # noqa: E731
    fab = lambda a, b: (a * b.sin()).sum()  # noqa: E731
    for name in ("hvp", "vhp"):
        fn = lambda L: getattr(L.autograd.functional, name)  # noqa: E731
        _same(lambda L: fn(L)(lambda t: t ** 2, L.ones(3), L.ones(3)))
        _same(lambda L: fn(L)(lambda t: (t.sum(), t.sum()), L.ones(3), L.ones(3)))
        _same(lambda L: fn(L)(f2, L.ones(3), L.ones(4)))
        _same(lambda L: fn(L)(fab, (L.ones(3), L.ones(2)), (L.ones(3), L.ones(3))))
        _same(lambda L: fn(L)(fab, (L.ones(3), L.ones(2)), (L.ones(3),)))
        _same(lambda L: fn(L)(f2, L.ones(3), (L.ones(3), L.ones(3))))
        _same(lambda L: fn(L)(f2, L.ones(3)))
        _same(lambda L: str(fn(L)(lambda t: t.exp().sum(), L.ones(1))))
    vjp = lambda L: L.autograd.functional.vjp  # noqa: E731
    _same(lambda L: vjp(L)(lambda t: t * 2, L.ones(3)))
    _same(lambda L: vjp(L)(lambda t: t * 2, L.ones(3), L.ones(2)))
    _same(lambda L: vjp(L)(lambda t: (t * 2, t), L.ones(3), (L.ones(3), L.ones(2))))
    _same(lambda L: vjp(L)(lambda t: (t * 2, t), L.ones(3), (L.ones(3),)))
    _same(lambda L: str(vjp(L)(lambda t: (t * 2, t), L.ones(3), (L.ones(3), L.ones(3)))))


# ---- torch.func: aux outputs leave the graph like the results ----------------------------

def test_func_aux_outputs_hold_no_graph():
    def f(x):
        y = x.sin() * 2
        return y.sum(), (y, {"c": x.cos()})

    def fv(x):
        y = x.sin() * 2
        return y, y.exp()

    def run(L):
        x = L.tensor([0.1, 0.2])
        F = L.func
        o, fn, aux = F.vjp(fv, x, has_aux=True)
        return [str(F.jacrev(f, has_aux=True)(x)), str(F.jacfwd(f, has_aux=True)(x)),
                str(aux), str(F.jvp(fv, (x,), (L.ones(2),), has_aux=True)),
                str(F.vmap(F.jacrev(f, has_aux=True))(L.ones(3, 2))),
                str(F.grad(f, has_aux=True)(x))]
    _same(run)


# ---- a MAML-style second-order meta-gradient through x ** 2 losses ------------------------

def test_third_order_through_squared_error_program():
    def run(L):
        L.manual_seed(0)
        w = L.randn(3, requires_grad=True)
        x = L.randn(5, 3)
        loss = ((x @ w) ** 2).mean()
        g, = L.autograd.grad(loss, w, create_graph=True)
        h, = L.autograd.grad(g.sum(), w, create_graph=True)
        k, = L.autograd.grad(h.sum(), w, allow_unused=True)
        return np.round(h.detach().numpy(), 5).tolist(), np.round(k.numpy(), 6).tolist()
    _same(run)


# ---- step functions (floor, round, sign, div with rounding, copysign's b) give zeros ------

def test_step_function_gradients_are_zeros_not_grad_times_zero():
    def run(L):
        a = L.tensor([1.5, -0.5, 3.0], requires_grad=True)
        b = L.tensor([2.0, -1.0, 0.7], requires_grad=True)
        w = L.tensor([float("inf"), float("nan"), -1.0])
        out = []
        unary = [L.floor, L.ceil, L.round, L.trunc, L.sign, L.sgn]
        binary = [lambda t, u: L.div(t, u, rounding_mode="floor"),
                  lambda t, u: L.div(t, u, rounding_mode="trunc"), L.copysign, L.nextafter]
        for f in [lambda t, u, f=f: f(t) for f in unary] + binary:
            a.grad = b.grad = None
            y = f(a, b)
            (y * w).sum().backward()
            out.append((str(a.grad), str(b.grad)))
        return out
    _same(run)


def test_straight_through_rounding_keeps_no_graph_in_its_zero_derivative():
    def run(L):
        x = L.tensor([1.5, -0.5, 2.0], requires_grad=True)
        g, = L.autograd.grad((x.round() * x ** 2).sum(), x, create_graph=True)
        h, = L.autograd.grad(g.sum(), x, create_graph=True)
        return str(g), str(h)
    _same(run)


# ---- embedding_bag under create_graph: first order works, a second one raises -------------

def _bag_penalty(L, mode, second):
    L.manual_seed(0)
    emb = L.nn.EmbeddingBag(6, 3, mode=mode).double()
    fc = L.nn.Linear(3, 2).double()
    text, offsets = L.tensor([0, 2, 1, 5, 3]), L.tensor([0, 2])
    loss = L.nn.functional.cross_entropy(fc(emb(text, offsets)), L.tensor([1, 0]))
    gw, gfc = L.autograd.grad(loss, [emb.weight, fc.weight], create_graph=True)
    penalty = gfc.pow(2).sum() + (gw.pow(2).sum() if second else 0)
    penalty.backward()
    return (type(gw.grad_fn).__name__, np.round(gw.detach().numpy(), 12).tolist(),
            np.round(emb.weight.grad.numpy(), 12).tolist(),
            np.round(fc.weight.grad.numpy(), 12).tolist())


def test_embedding_bag_gradient_penalty_through_other_layers():
    for mode in ("sum", "mean", "max"):
        _same(lambda L: _bag_penalty(L, mode, False))
        _same(lambda L: _bag_penalty(L, mode, True))


# ---- grad given the same input twice, or a gradient that is not a Tensor ------------------

def test_grad_with_the_same_input_listed_twice():
    def run(L):
        x = L.ones(4, requires_grad=True)
        u = (x * 2).unbind(0)
        a = L.autograd.grad((u[0] + 5 * u[3]).sum(), [u[0], u[3], u[0]], retain_graph=True)
        loss = (x * x).sum()
        b = L.autograd.grad(loss, [x, x], create_graph=True)
        return str(a), str(b)
    _same(run)


def test_grad_outputs_must_be_tensors_or_none():
    for go in (2.0, 1, np.ones(3, np.float32), [1.0, 1.0, 1.0]):
        _same(lambda L: L.autograd.grad(L.ones(3, requires_grad=True) * 2,
                                        L.ones(3, requires_grad=True), [go], allow_unused=True))
        _same(lambda L: L.autograd.backward([L.ones(3, requires_grad=True) * 2], [go]))


def test_create_graph_records_even_under_no_grad():
    def run(L):
        x = L.ones(3, requires_grad=True)
        y, y3 = (x * x).sum(), (x * x * x).sum()
        with L.no_grad():
            g, = L.autograd.grad(y, x, create_graph=True)
            L.autograd.backward([y3], create_graph=True)
            on = L.is_grad_enabled()
        return str(g), g.requires_grad, x.grad.requires_grad, on
    _same(run)
