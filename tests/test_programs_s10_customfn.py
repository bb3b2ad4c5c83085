"""Session 10, custom ``torch.autograd.Function``s as tutorials and research code write them
(save_for_backward, setup_context, vmap/jvp staticmethods, keyword arguments, the mistakes
people make), run on ember and compared live with torch 2.13."""

import numpy as np
from torch_compare import same as _same


def _fn(L, forward, backward, setup=None, **attrs):
    body = {"forward": staticmethod(forward), "backward": staticmethod(backward), **attrs}
    if setup is not None:
        body["setup_context"] = staticmethod(setup)
    return type("MyFn", (L.autograd.Function,), body)


def _scale(L):
    def fwd(ctx, x, k):
        ctx.save_for_backward(x)
        return x * k
    return _fn(L, fwd, lambda ctx, g: (g * 2, None))


def _names(node):
    return [None if n is None else n.name() for n, _ in node.next_functions]


def test_next_functions_list_tensor_arguments_only():
    def run(L):
        x = L.ones(2, requires_grad=True)
        y = _scale(L).apply(x, 2.0)
        z = _scale(L).apply(L.ones(2), 3)
        return _names(y.grad_fn), _names(z.grad_fn) if z.grad_fn else None
    _same(run)

    def hook(L):  # the node hook sees one grad_input per tensor argument
        x = L.ones(2, requires_grad=True)
        y = _scale(L).apply(x, 2.0)
        seen = []
        y.grad_fn.register_hook(lambda gi, go: seen.append(len(gi)))
        y.sum().backward()
        return seen, x.grad.tolist()
    _same(hook)


def _sin(L, **attrs):
    def setup(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])
        ctx.save_for_forward(inputs[0])
    return _fn(L, lambda x: x.sin(), lambda ctx, g: g * ctx.saved_tensors[0].cos(), setup,
               jvp=staticmethod(lambda ctx, t: t * ctx.saved_tensors[0].cos()), **attrs)


def test_save_for_forward_and_forward_ad():
    def run(L):
        fw = L.autograd.forward_ad
        with fw.dual_level():
            d = fw.make_dual(L.tensor([0.1, 0.7]), L.tensor([1.0, 2.0]))
            p, t = fw.unpack_dual(_sin(L).apply(d))
        return np.round(p.numpy(), 6).tolist(), np.round(t.numpy(), 6).tolist()
    _same(run)

    def bad(L):
        def fwd(ctx, x):
            ctx.save_for_forward(x, 3)
            return x * 2
        return _fn(L, fwd, lambda ctx, g: g).apply(L.ones(2, requires_grad=True))
    _same(bad)


def test_vmap_needs_a_vmap_rule_or_generate_vmap_rule():
    _same(lambda L: L.vmap(_sin(L).apply)(L.ones(2, 2)))
    _same(lambda L: L.vmap(_sin(L, generate_vmap_rule=True).apply)(L.zeros(2, 2)).tolist())
    _same(lambda L: L.autograd.Function.generate_vmap_rule)
    _same(lambda L: L.autograd.Function.vmap(None, (0,), L.ones(1)))
    _same(lambda L: L.autograd.Function.jvp(None, L.ones(1)))
    _same(lambda L: _fn(L, None, None).forward(None, 1))
    _same(lambda L: type("NoForward", (L.autograd.Function,), {}).apply(L.ones(1)))


def _square(L):
    def fwd(ctx, x):
        ctx.save_for_backward(x)
        return x * x
    return _fn(L, fwd, lambda ctx, g: 2 * ctx.saved_tensors[0] * g)


def _exp(L):
    def fwd(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y
    return _fn(L, fwd, lambda ctx, g: g * ctx.saved_tensors[0])


def test_saved_tensor_modified_in_place_is_pytorchs_version_error():
    def saved_input(L):
        b = L.ones(3, requires_grad=True) * 1
        y = _square(L).apply(b)
        b.add_(1)
        y.sum().backward()
    _same(saved_input)

    def saved_output(L):
        y = _exp(L).apply(L.ones(3, requires_grad=True))
        y.mul_(2)
        y.sum().backward()
    _same(saved_output)


def _save_k(L):
    def fwd(ctx, x, k):
        ctx.save_for_backward(x, k)
        return x * 2
    return _fn(L, fwd, lambda ctx, g: (g, None))


def test_save_for_backward_of_a_non_tensor_fails_only_when_recording():
    _same(lambda L: _save_k(L).apply(L.ones(2, requires_grad=True), [2.0]))
    _same(lambda L: _save_k(L).apply(L.ones(2, requires_grad=True), 2.0))
    _same(lambda L: _save_k(L).apply(L.ones(2), [2.0]).tolist())

    def nograd(L):
        with L.no_grad():
            return _save_k(L).apply(L.ones(2, requires_grad=True), 2).tolist()
    _same(nograd)


def _mul(L):
    def fwd(ctx, x, w=None):
        ctx.save_for_backward(x, w)
        return x * w
    return _fn(L, fwd, lambda ctx, g: (g * ctx.saved_tensors[1], g * ctx.saved_tensors[0]))


def test_apply_binds_keyword_arguments_to_forward():
    def run(L):
        a = L.tensor([1.0, 2.0], requires_grad=True)
        y = _mul(L).apply(x=a, w=a * 3)
        y.sum().backward()
        return y.grad_fn.name(), _names(y.grad_fn), a.grad.tolist()
    _same(run)

    def k_fn(L):
        def fwd(ctx, x, k=2.0, w=None):
            return x * k
        return _fn(L, fwd, lambda ctx, g: (g,) + (None,) * (len(ctx.needs_input_grad) - 1))
    _same(lambda L: k_fn(L).apply(L.ones(1), w=L.ones(1)))
    _same(lambda L: k_fn(L).apply(L.ones(1), z=1))
    _same(lambda L: k_fn(L).apply(L.ones(1, requires_grad=True), k=3.0).tolist())

    def new_style(L):
        seen = []
        f = _fn(L, lambda x, k=2.0, w=None: x * k, lambda ctx, g: (g, None, None),
                lambda ctx, inputs, out: seen.append(len(inputs)))
        a = L.ones(1, requires_grad=True)
        return f.apply(a).tolist(), f.apply(a, w=a).tolist(), f.apply(a, 5.0).tolist(), seen
    _same(new_style)


def test_forward_may_return_non_tensors():
    _same(lambda L: [t.tolist() for t in _fn(L, lambda ctx, x: [x * 2, x], lambda ctx, g: g)
                     .apply(L.ones(2, requires_grad=True))])
    _same(lambda L: _fn(L, lambda ctx, x: 3.0, lambda ctx, g: g).apply(L.ones(2,
                                                                           requires_grad=True)))


def test_backward_c_function_names_the_custom_node_class():
    def run(L):
        y = _scale(L).apply(L.ones(2, requires_grad=True), 2.0)
        F = L.autograd.function
        return isinstance(y.grad_fn, F.BackwardCFunction), isinstance(y.grad_fn, F.FunctionCtx)
    _same(run)
