"""Autograd edge cases users trip over (in-place writes, views, grad modes, custom Functions),
run on ember and compared live with torch: values, node names and exact error texts."""

import numpy as np
import pytest
import torch

import ember
from parity_util import outcome


def _both(case):
    got = [outcome(lambda: case(T), T) for T in (torch, ember)]
    assert got[1] == got[0]


# ---- zero_/fill_/copy_ in a graph: PyTorch's node names, one version bump ----------------

def _names(T, write):
    a = T.tensor([1.0, -2.0, 3.0], requires_grad=True)
    b = a * 1
    v = b._version
    write(T, b)
    nexts = [type(n).__name__ for n, _ in b.grad_fn.next_functions]
    (b * T.arange(3.0)).sum().backward()
    return type(b.grad_fn).__name__, b._version - v, nexts, a.grad


@pytest.mark.parametrize("write", [
    lambda T, b: b.zero_(),
    lambda T, b: b.fill_(2.0),
    lambda T, b: b.fill_(T.tensor(2.0)),
    lambda T, b: b.fill_(T.tensor(2.0, requires_grad=True)),
    lambda T, b: b.copy_(T.ones(3)),
], ids=["zero", "fill_number", "fill_tensor", "fill_grad_tensor", "copy"])
def test_overwriting_inplace_node_names(write):
    _both(lambda T: _names(T, write))


def test_copy_into_double_gives_source_grad_in_its_dtype():
    def case(T):
        a = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        x = T.zeros(2, 3, dtype=T.float64)
        x.copy_(a)
        x.sum().backward()
        return type(x.grad_fn).__name__, a.grad
    _both(case)


def test_version_error_names_zero_and_copyslices():
    def zero(T):
        b = T.tensor([[0.5, 1.0], [2.0, 3.0]], requires_grad=True).tanh()
        c = b @ b
        b.zero_()
        c.sum().backward()

    def through_view(T):
        h = T.ones(3, 3, requires_grad=True) * 2
        o = h.sin()
        h[0].fill_(0)
        o.sum().backward()
    _both(zero)
    _both(through_view)


# ---- views: multi-output views, views made under no_grad ---------------------------------

@pytest.mark.parametrize("op", [
    lambda b: b.unbind(0)[0].mul_(2),
    lambda b: b.split(2)[0].add_(1),
    lambda b: b.chunk(2)[1].zero_(),
    lambda b: b.split([1, 3])[1].mul_(2),
], ids=["unbind", "split", "chunk", "split_with_sizes"])
def test_inplace_on_multi_view_output_raises(op):
    _both(lambda T: op(T.ones(4, requires_grad=True) * 1))


def test_multi_view_outputs_without_grad_stay_writable():
    _both(lambda T: [p.mul_(2) for p in T.ones(2, 2).unbind(0)])


@pytest.mark.parametrize("leaf", [True, False])
def test_view_made_under_no_grad_then_written_with_grad(leaf):
    def case(T):
        a = T.ones(4, requires_grad=True)
        base = a if leaf else a * 1
        with T.no_grad():
            v = base[:2]
        v.add_(1)
    _both(case)


def test_view_made_and_written_under_no_grad_is_fine():
    def case(T):
        a = T.ones(4, requires_grad=True)
        with T.no_grad():
            a[:2].mul_(3)
        return a
    _both(case)


def test_detach_inplace_on_view_message():
    _both(lambda T: (T.ones(3, requires_grad=True)[:2]).detach_())


def test_grad_assign_checks_dtype_before_shape():
    def case(T):
        a = T.zeros(2, dtype=T.float64, requires_grad=True)
        a.grad = T.zeros(3)
    _both(case)


# ---- grad modes as decorators ------------------------------------------------------------

@pytest.mark.parametrize("mode", ["no_grad", "enable_grad", "set_grad_enabled", "inference"])
def test_mode_decorator_on_generator(mode):
    def case(T):
        deco = {"no_grad": T.no_grad(), "enable_grad": T.enable_grad(),
                "set_grad_enabled": T.set_grad_enabled(False),
                "inference": T.inference_mode()}[mode]

        @deco
        def gen():
            for _ in range(2):
                yield T.is_grad_enabled(), T.is_inference_mode_enabled()
        with T.no_grad() if mode == "enable_grad" else T.enable_grad():
            it = gen()
            first = next(it)
            between = T.is_grad_enabled()
            return first, between, next(it), T.is_grad_enabled()
    _both(case)


def test_inference_mode_false_and_bare_decorator():
    def case(T):
        out = []
        with T.inference_mode():
            with T.inference_mode(False):
                out.append((T.is_grad_enabled(), T.is_inference_mode_enabled()))
        with T.no_grad():
            with T.inference_mode(False):
                out.append(T.is_grad_enabled())

        @T.inference_mode
        def f(x):
            return x * 2, T.is_inference_mode_enabled()
        out.append(f(T.ones(2, requires_grad=True))[0].requires_grad)
        return out
    _both(case)


def test_set_multithreading_enabled_and_top_level_vmap():
    def case(T):
        with T.autograd.set_multithreading_enabled(False):
            pass
        return T.vmap(T.sin)(T.ones(2, 3))
    _both(case)


# ---- custom Functions --------------------------------------------------------------------

def _dirty(T):
    class Dirty(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2
    return Dirty


def test_mark_dirty_returns_the_input_moved_to_the_node():
    def case(T):
        a = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = a.clone()
        c = _dirty(T).apply(b)
        name = type(c.grad_fn).__name__
        c.sum().backward()
        return c is b, name, b._version, b, a.grad
    _both(case)


def test_mark_dirty_on_leaf_raises():
    _both(lambda T: _dirty(T).apply(T.ones(3, requires_grad=True)))


def _fn(T, backward, forward=lambda ctx, x, n: x * n):
    return type("Fn", (T.autograd.Function,), {"forward": staticmethod(forward),
                                              "backward": staticmethod(backward)})


@pytest.mark.parametrize("backward", [
    lambda ctx, g: (g, 3),
    lambda ctx, g: (3, None),
    lambda ctx, g: (g.numpy(), None),
], ids=["number_for_non_tensor", "number_for_tensor", "ndarray"])
def test_backward_returning_non_tensor(backward):
    _both(lambda T: _fn(T, backward).apply(T.ones(2, requires_grad=True), 2).sum().backward())


def test_save_for_backward_of_a_number_raises():
    def fwd(ctx, x, n):
        ctx.save_for_backward(x, n)
        return x * n
    _both(lambda T: _fn(T, lambda ctx, g: (g, None), fwd).apply(T.ones(2, requires_grad=True), 3))


def test_function_without_backward_message():
    def case(T):
        class NoBwd(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2
        NoBwd.apply(T.ones(2, requires_grad=True)).sum().backward()
    _both(case)


def test_vmap_of_function_without_setup_context_raises():
    def case(T):
        class Old(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.sin()

            @staticmethod
            def backward(ctx, g):
                return g
        return T.vmap(Old.apply)(T.ones(2, 3))
    _both(case)


def test_zero_fill_values_match():
    got = []
    for T in (torch, ember):
        a = T.tensor([1.0, 2.0], requires_grad=True)
        b = a * 3
        b.fill_(T.tensor(5.0))
        got.append(np.asarray(b.detach().numpy()).tolist())
    assert got[0] == got[1]
