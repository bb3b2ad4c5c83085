"""The engine's walk order on graph shapes that exercise its shortcut for nodes used once
(no dependency count until a node with several consumers is met), against PyTorch 2.13."""

import threading

import numpy as np
import torch

import ember


def close(a, b, tol=1e-12):
    a = a.detach().numpy() if isinstance(a, ember.Tensor) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def _x(T):
    return T.tensor([0.3, -1.2, 2.0], dtype=T.float64, requires_grad=True)


def _grads(build):
    out = []
    for T in (ember, torch):
        x = _x(T)
        build(T, x)
        out.append(x.grad)
    return out


def test_shared_node_waits_for_all_its_consumers():
    def build(T, x):
        h = x * 2           # two consumers below
        a = h.sin() * 3     # a chain of single-use nodes on one side
        b = (h.exp() + 1).log()
        ((a + b) * h).sum().backward()   # and a third consumer of h

    close(*_grads(build))


def test_consumer_outside_the_graph_is_not_waited_for():
    def build(T, x):
        h = x * 3
        unused = h.cos() * 5  # consumes h, but is not part of the loss
        h.exp().sum().backward()
        return unused

    close(*_grads(build))


def test_shared_nodes_below_shared_nodes():
    def build(T, x):
        h = x.tanh()
        k = h * h + h       # h used three times
        m = k.exp() * k     # k used twice
        (m.sum() + k.sum() * h.sum()).backward()

    close(*_grads(build))


def test_a_none_gradient_into_a_shared_node():
    def build(T, x):
        class HalfGrad(T.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                return a + b

            @staticmethod
            def backward(ctx, g):
                return g, None  # nothing for b, although b requires grad

        h = x * 2
        p = h * 3
        HalfGrad.apply(p, h).sum().backward()

    close(*_grads(build))


def test_retained_graph_with_shared_nodes_twice():
    def build(T, x):
        h = x.sin()
        y = (h * h.exp()).sum()
        y.backward(retain_graph=True)
        y.backward()

    close(*_grads(build))


def test_several_roots_sharing_a_node():
    def build(T, x):
        h = x * x
        T.autograd.backward([h.sin().sum(), (h * 2).sum()])

    close(*_grads(build))


def test_consumers_made_in_two_threads_are_all_counted():
    """Two threads consume one shared node many times at once; each use is counted, so the
    backward through all of them waits for every contribution."""
    x = ember.tensor([0.5, -0.25], dtype=ember.float64, requires_grad=True)
    h = x * 2
    outs = [[], []]
    start = threading.Barrier(2)

    def consume(i):
        start.wait()
        for _ in range(300):
            outs[i].append(h * (i + 1))

    threads = [threading.Thread(target=consume, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert h.grad_fn._uses == 600
    total = outs[0][0].sum()
    for t in outs[0][1:] + outs[1]:
        total = total + t.sum()
    total.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2 * (300 * 1 + 300 * 2)] * 2)


def test_first_gradients_are_never_shared():
    """A first .grad is stored without a copy only when nothing else holds the array."""
    x = ember.ones(3, requires_grad=True)
    y = ember.ones(3, requires_grad=True)
    (x + y).sum().backward()  # Add passes one array to both inputs
    x.grad.add_(1)
    assert y.grad.tolist() == [1.0, 1.0, 1.0]
    z = ember.ones(3, requires_grad=True)
    g = ember.tensor([1.0, 2.0, 3.0])
    z.clone().backward(g)  # the user's gradient array flows through unchanged
    z.grad.mul_(10)
    assert g.tolist() == [1.0, 2.0, 3.0]
    w = ember.ones(2, 3, requires_grad=True)
    w.sum().backward()  # a broadcast (read-only) view of the seed
    w.grad.add_(1)
    assert w.grad.tolist() == [[2.0] * 3] * 2
