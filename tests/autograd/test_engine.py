"""The engine's semantics, checked against PyTorch 2.13 on hand-built graphs."""

import threading

import numpy as np
import pytest
import torch

import ember


def both(fn):
    """Run ``fn(T)`` with ember and with torch; return both results."""
    return fn(ember), fn(torch)


def close(a, b, tol=1e-6):
    a = a.detach().numpy() if isinstance(a, ember.Tensor) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_seed_x_squared():
    x = ember.tensor(3.0, requires_grad=True)
    f = x ** 2
    f.backward()
    assert f.item() == 9.0 and x.grad.item() == 6.0


def test_diamond_and_reuse():
    def run(T):
        x = T.tensor([1.5, -2.0, 0.5], dtype=T.float64, requires_grad=True)
        a = x * x          # reuse of x
        b = x.exp()
        c = a * b + a.sin()  # a used twice: diamond
        c.sum().backward()
        return x.grad

    close(*both(run))


def test_accumulates_across_backward_calls():
    def run(T):
        w = T.tensor([1.0, 2.0], requires_grad=True)
        for _ in range(3):
            (w * w).sum().backward()
        return w.grad

    close(*both(run))


def test_grad_is_none_until_backward():
    w = ember.tensor([1.0], requires_grad=True)
    assert w.grad is None
    (w * 2).sum().backward()
    assert w.grad is not None


def test_deep_chain_is_iterative():
    x = ember.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_second_backward_raises_torch_message():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        y.backward()
        with pytest.raises(RuntimeError) as e:
            y.backward()
        return str(e.value).splitlines()[0]

    a, b = both(run)
    assert a == b


def test_second_backward_without_saved_values_is_allowed():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = (x + 1).sum()
        y.backward()
        y.backward()
        return x.grad

    close(*both(run))


def test_retain_graph():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x.exp()).sum()
        y.backward(retain_graph=True)
        y.backward()
        return x.grad

    close(*both(run))


def test_backward_non_scalar_needs_gradient():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError) as e:
            (x * 2).backward()
        y = x * 3
        y.backward(T.tensor([1.0, 0.5]))
        return str(e.value).splitlines()[0], x.grad

    (ea, eg), (ta, tg) = both(run)
    assert ea == ta
    close(eg, tg)


def test_backward_gradient_shape_mismatch():
    def run(T):
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        with pytest.raises(RuntimeError) as e:
            (x * 2).backward(T.tensor([1.0, 2.0]))
        return str(e.value).splitlines()[0]

    a, b = both(run)
    assert a == b


def test_backward_on_tensor_without_grad():
    def run(T):
        x = T.tensor([1.0, 2.0])
        with pytest.raises(RuntimeError) as e:
            x.sum().backward()
        return str(e.value).splitlines()[0]

    a, b = both(run)
    assert a == b


def test_no_grad_and_detach_cut_the_graph():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        with T.no_grad():
            y = x * 2
        z = x.detach() * 3
        w = (x * y + x * z).sum()
        w.backward()
        return y.requires_grad, z.requires_grad, y.grad_fn is None, x.grad

    (a1, a2, a3, ag), (b1, b2, b3, bg) = both(run)
    assert (a1, a2, a3) == (b1, b2, b3) == (False, False, True)
    close(ag, bg)


def test_no_graph_nodes_when_grad_disabled():
    x = ember.ones(3, requires_grad=True)
    with ember.no_grad():
        y = (x * 2).exp().sum()
    assert y.grad_fn is None and not y.requires_grad
    z = ember.ones(3) * 2  # nothing requires grad
    assert z.grad_fn is None


def test_grad_mode_decorators_and_set_grad_enabled():
    x = ember.ones(2, requires_grad=True)

    @ember.no_grad()
    def f(v):
        return v * 2

    @ember.no_grad
    def g(v):
        return v * 2

    assert not f(x).requires_grad and not g(x).requires_grad
    with ember.set_grad_enabled(False):
        assert not (x * 2).requires_grad
        with ember.enable_grad():
            assert (x * 2).requires_grad
    assert ember.is_grad_enabled()
    with ember.inference_mode():
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad


def test_grad_mode_is_thread_local():
    seen = {}

    def worker():
        seen["other"] = ember.is_grad_enabled()

    with ember.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        seen["main"] = ember.is_grad_enabled()
    assert seen == {"other": True, "main": False}


def test_retain_grad_and_hooks():
    def run(T):
        x = T.tensor([1.0, -2.0], requires_grad=True)
        y = x * 3
        y.retain_grad()
        seen = []
        y.register_hook(lambda g: seen.append(g.clone()))
        x.register_hook(lambda g: g * 10)  # replaces the leaf's gradient
        (y * y).sum().backward()
        return y.grad, seen[0], x.grad

    for a, b in zip(*both(run)):
        close(a, b)


def test_inplace_on_saved_tensor_raises():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()         # exp saves its output
        z = y * 1
        y.add_(1)           # modifies a saved value
        with pytest.raises(RuntimeError) as e:
            (z + y).sum().backward()
        return str(e.value).split(":")[0]

    a, b = both(run)
    assert a == b == "one of the variables needed for gradient computation has been modified " \
                     "by an inplace operation"


def test_inplace_on_unsaved_tensor_is_fine():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x + 1           # add saves nothing
        y.mul_(2)
        y.sum().backward()
        return x.grad

    close(*both(run))


def test_inplace_on_leaf_requiring_grad_raises():
    def run(T):
        w = T.tensor([1.0], requires_grad=True)
        with pytest.raises(RuntimeError) as e:
            w.add_(1)
        with T.no_grad():
            w.add_(1)
        return str(e.value).splitlines()[0], w

    (ea, ew), (ta, tw) = both(run)
    assert ea == ta
    close(ew, tw)


def test_inplace_through_view_bumps_shared_version():
    def run(T):
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x.sigmoid()      # saves its output y
        v = y[1:]
        with T.no_grad():
            v.mul_(2)
        with pytest.raises(RuntimeError) as e:
            y.sum().backward()
        return str(e.value).split(":")[0]

    a, b = both(run)
    assert a == b


def test_create_graph_second_derivatives():
    def run(T):
        x = T.tensor([0.3, -1.2, 2.0], dtype=T.float64, requires_grad=True)
        y = (x ** 3 * x.sin() + x.exp() * x.tanh()).sum()
        (g,) = T.autograd.grad(y, x, create_graph=True)
        (h,) = T.autograd.grad(g.sum(), x)
        return g, h

    (eg, eh), (tg, th) = both(run)
    close(eg, tg)
    close(eh, th)


def test_backward_create_graph_then_grad_of_grad():
    def run(T):
        x = T.tensor(1.5, dtype=T.float64, requires_grad=True)
        y = x ** 4
        y.backward(create_graph=True)
        gx = x.grad
        gx.backward()
        return gx.detach().clone(), x.grad

    (a1, a2), (b1, b2) = both(run)
    close(a1, b1)
    close(a2, b2)


def test_hessian_vector_product_through_matmul_and_softmax():
    def run(T):
        g = np.random.default_rng(0)
        W = T.tensor(g.normal(size=(4, 3)), requires_grad=True)
        x = T.tensor(g.normal(size=(5, 4)))
        v = T.tensor(g.normal(size=(4, 3)))
        loss = (T.log_softmax(x @ W, dim=1)[:, 0]).sum() + (W * W).sum()
        (gw,) = T.autograd.grad(loss, W, create_graph=True)
        (hv,) = T.autograd.grad((gw * v).sum(), W)
        return gw, hv

    (a1, a2), (b1, b2) = both(run)
    close(a1, b1)
    close(a2, b2)


def test_autograd_grad_allow_unused_and_errors():
    def run(T):
        x = T.tensor([1.0], requires_grad=True)
        u = T.tensor([2.0], requires_grad=True)
        y = (x * 2).sum()
        with pytest.raises(RuntimeError) as e:
            T.autograd.grad(y, [x, u], retain_graph=True)
        gx, gu = T.autograd.grad(y, [x, u], allow_unused=True)
        return str(e.value).splitlines()[0], gx, gu, x.grad

    (ea, egx, egu, exg), (ta, tgx, tgu, txg) = both(run)
    assert ea == ta
    close(egx, tgx)
    assert egu is None and tgu is None and exg is None and txg is None


def test_autograd_grad_wrt_non_leaf():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        h = x * 3
        y = (h * h).sum()
        return T.autograd.grad(y, h)[0]

    close(*both(run))


def test_broadcast_gradient_is_summed_to_input_shape():
    def run(T):
        a = T.ones(3, 1, requires_grad=True)
        b = T.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        c = T.tensor(2.0, requires_grad=True)
        ((a * b + c) ** 2).sum().backward()
        return a.grad, b.grad, c.grad

    for x, y in zip(*both(run)):
        close(x, y)


def test_mixed_dtype_gradient_keeps_input_dtype():
    def run(T):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        b = T.tensor([3.0, 4.0], dtype=T.float64, requires_grad=True)
        (a * b).sum().backward()
        return a.grad, b.grad

    (ea, eb), (ta, tb) = both(run)
    assert str(ea.dtype) == str(ta.dtype) and str(eb.dtype) == str(tb.dtype)
    close(ea, ta)
    close(eb, tb)


def test_requires_grad_rules():
    def run(T):
        msgs = []
        y = T.tensor([1.0], requires_grad=True) * 2
        with pytest.raises(RuntimeError) as e:
            y.requires_grad = False
        msgs.append(str(e.value).splitlines()[0])
        with pytest.raises(RuntimeError) as e:
            T.tensor([1, 2]).requires_grad_()
        msgs.append(str(e.value).splitlines()[0])
        return msgs

    a, b = both(run)
    assert a == b


def test_custom_function():
    def run(T):
        class Cube(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, grad_output):
                (x,) = ctx.saved_tensors
                assert ctx.needs_input_grad == (True,)
                return grad_output * 3 * x ** 2

        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = Cube.apply(x * 2)
        y.sum().backward()
        return y, x.grad

    (ey, eg), (ty, tg) = both(run)
    close(ey, ty)
    close(eg, tg)


def test_grad_fn_names_and_next_functions():
    def run(T):
        x = T.tensor([1.0], requires_grad=True)
        y = x * 2 + 1
        fn = y.grad_fn
        return (fn.name(), fn.next_functions[0][0].name(),
                fn.next_functions[0][0].next_functions[0][0].name(), repr(y))

    a, b = both(run)
    assert a == b


def test_backward_inputs_argument():
    def run(T):
        x = T.tensor([1.0], requires_grad=True)
        w = T.tensor([2.0], requires_grad=True)
        (x * w).sum().backward(inputs=[w])
        return x.grad, w.grad

    (ex, ew), (tx, tw) = both(run)
    assert ex is None and tx is None
    close(ew, tw)


def test_saved_values_freed_after_backward():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    z = y.sum()
    z.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        _ = y.grad_fn.saved_tensors


def test_inplace_through_views_of_a_non_leaf():
    def run(T):
        x = T.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=T.float64, requires_grad=True)
        y = x * 2
        y[0].mul_(3)                      # select view
        y[1][1:] = x[0, :2].exp() * 2     # slice of a select view
        y.t()[2].add_(x[:, 0] ** 2)       # transposed view
        y.sin().sum().backward()
        return y, x.grad

    for a, b in zip(*both(run)):
        close(a, b, tol=1e-12)


def test_inplace_on_view_of_leaf_requiring_grad_raises():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError) as e:
            x[0].mul_(2)
        return str(e.value).splitlines()[0]

    a, b = both(run)
    assert a == b
