"""Session 23's shortcuts on a DQN step: the no_grad Sequential chain run as a straight line
(``_fastpath._run_small``), ``q.argmax(dim)`` of a C-contiguous matrix and a basic index
with nothing to record (``q[:, 0]`` under no_grad). Each must give the bits of the general
path it skips and PyTorch 2.13's values, versions and errors, checked live; and the cases
that must leave it (hooks, patched forwards, new weight arrays, thread counts, layouts) do."""

import warnings

import numpy as np
import pytest
import torch

import ember
from ember.nn.modules import _fastpath
from torch_compare import exact_and_close, same, same_error_case


def _net(lib, sizes, act="ReLU", bias=True, last_act=False, dtype=None):
    lib.manual_seed(0)
    layers = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(lib.nn.Linear(a, b, bias=bias))
        if i < len(sizes) - 2 or last_act:
            layers.append(getattr(lib.nn, act)())
    net = lib.nn.Sequential(*layers)
    return net if dtype is None else net.to(dtype)


def _layer_by_layer(net, x):
    for m in net:
        x = m(x)
    return x


def _inputs(lib, rows, width, dtype=np.float32):
    return lib.from_numpy(np.random.default_rng(rows).standard_normal((rows, width))
                          .astype(dtype))


CASES = [([4, 128, 128, 2], "ReLU", True, False), ([4, 64, 64, 2], "Tanh", True, False),
         ([3, 16, 5], "ReLU", False, False), ([6, 32, 8], "ReLU", True, True),
         ([8, 8], "Tanh", True, True)]


@pytest.mark.parametrize("sizes,act,bias,last_act", CASES)
@pytest.mark.parametrize("rows", [1, 5, 128, 512])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_small_chain_matches_layers_and_torch(sizes, act, bias, last_act, rows, dtype):
    net = _net(ember, sizes, act, bias, last_act, getattr(ember, dtype))
    x = _inputs(ember, rows, sizes[0], dtype)
    with ember.no_grad():
        net(x)  # (the first call makes the plan on the general path)
        fast = net(x)
        assert net.__dict__["_plan"].small is not None
        slow = _layer_by_layer(net, x)
    assert np.array_equal(fast.numpy(), slow.numpy())  # the same NumPy calls: the same bits
    assert fast.dtype == slow.dtype and fast.shape == slow.shape

    def run(lib):
        n = _net(lib, sizes, act, bias, last_act, getattr(lib, dtype))
        with lib.no_grad():
            out = n(_inputs(lib, rows, sizes[0], dtype))
        return [out.requires_grad, out.grad_fn is None, out.is_contiguous(), out.stride()], [out]
    exact_and_close(run, 1e-5, 1e-6)  # (products: OpenBLAS here, MKL in PyTorch)


def test_small_chain_leaves_for_what_it_cannot_run():
    net = _net(ember, [4, 16, 2])
    x = _inputs(ember, 3, 4)
    with ember.no_grad():
        base = net(x).numpy().copy()
        # a forward hook added after the plan was made: called, as PyTorch calls it
        seen = []
        h = net[0].register_forward_hook(lambda m, i, o: seen.append(o.shape))
        assert np.array_equal(net(x).numpy(), base) and seen == [ember.Size([3, 16])]
        h.remove()
        # a weight given a new array: the new values are used
        net[2].weight.data = net[2].weight.data * 2
        doubled = net(x)
        assert not np.array_equal(doubled.numpy(), base)
        assert np.array_equal(doubled.numpy(), _layer_by_layer(net, x).numpy())
        # one input feature, a 3-D input, float16: not the straight line, same values
        one = _net(ember, [1, 8, 2])
        one(_inputs(ember, 4, 1))
        assert one.__dict__["_plan"].small is None
        x3 = ember.from_numpy(np.random.default_rng(3).standard_normal((2, 3, 4))
                              .astype(np.float32))
        assert np.array_equal(net(x3).numpy(), _layer_by_layer(net, x3).numpy())


def test_small_chain_with_a_patched_forward_and_two_threads():
    net = _net(ember, [4, 16, 2])
    x = _inputs(ember, 3, 4)
    with ember.no_grad():
        base = net(x).numpy().copy()
        old = ember.nn.ReLU.forward
        ember.nn.ReLU.forward = lambda self, t: t * 0
        try:
            patched = net(x).numpy()
        finally:
            ember.nn.ReLU.forward = old
        assert np.array_equal(patched, np.broadcast_to(net[2].bias.numpy(), (3, 2)))
        threads = ember.get_num_threads()
        ember.set_num_threads(2)
        try:
            assert np.array_equal(net(x).numpy(), base)
        finally:
            ember.set_num_threads(threads)


def test_small_chain_training_step_unchanged():
    # the recorded path (sequential_grad) is untouched: a step after a no_grad act
    def run(lib):
        net = _net(lib, [4, 32, 32, 2])
        opt = lib.optim.Adam(net.parameters(), lr=1e-2)
        with lib.no_grad():
            act = net(_inputs(lib, 1, 4)).argmax().item()
        loss = net(_inputs(lib, 8, 4)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        with lib.no_grad():
            after = net(_inputs(lib, 1, 4))
        return [act], [loss, after] + [p.grad for p in net.parameters()]
    exact_and_close(run, 1e-5, 1e-6)


@pytest.mark.parametrize("dim", [0, 1, -1, -2])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint8"])
def test_argmax_dim_of_a_matrix(dim, keepdim, dtype):
    values = [[0.5, 3.0, 3.0], [np.nan, 1.0, np.nan], [-np.inf, -np.inf, -1.0], [2.0, 2.0, 0.0]]
    if dtype in ("int64", "uint8"):
        values = [[1, 3, 3], [7, 7, 0], [0, 0, 1], [2, 2, 2]]

    def run(lib):
        q = lib.tensor(values, dtype=getattr(lib, dtype))
        out = q.argmax(dim, keepdim=keepdim)
        fn = lib.argmax(q, dim, keepdim)
        return out.tolist(), fn.tolist(), str(out.dtype), out.is_contiguous(), out.stride()
    same(run)


def test_argmax_dim_leaves_the_shortcut():
    same(lambda lib: lib.arange(12.0).reshape(3, 4).t().argmax(1, keepdim=True).stride())
    same(lambda lib: lib.arange(12.0).reshape(3, 4).t().argmax(0).tolist())
    same(lambda lib: lib.arange(24.0).reshape(2, 3, 4).argmax(1).tolist())
    same(lambda lib: lib.zeros(3, 0).argmax(0).shape)
    same_error_case(lambda lib: lib.zeros(3, 0).argmax(1))
    same_error_case(lambda lib: lib.zeros(0, 3).argmax(0))
    same_error_case(lambda lib: lib.ones(2, 3).argmax(2))
    same_error_case(lambda lib: lib.ones(2, 3).argmax(-3))
    same_error_case(lambda lib: lib.ones(2, 3, dtype=lib.bool).argmax(1))
    same_error_case(lambda lib: lib.ones(2, 3).argmax(1, keepdim=1))
    same_error_case(lambda lib: lib.ones(2, 3).argmin(keepdim=0))
    same_error_case(lambda lib: lib.ones(2, 3).argmax(keepdim=None))
    same_error_case(lambda lib: lib.argmax(lib.ones(2, 3), 1, np.True_))
    same_error_case(lambda lib: lib.ones(2, 3).argmax(1.0))


def test_basic_index_with_nothing_to_record():
    def run(lib):
        q = lib.arange(12.0).reshape(4, 3).requires_grad_()
        with lib.no_grad():
            col = q[:, 0]
            row = q[1]
            one = q[2, 1]
            part = q[1:3]
        res = [col.tolist(), row.tolist(), one.tolist(), part.tolist(), col.requires_grad, col.grad_fn is None, col._base is q,
               one.shape, col.stride(), part.is_contiguous()]
        with lib.no_grad():
            col.mul_(2.0)  # a write through the view is seen by its base, versions shared
        res += [q.detach().tolist(), q._version, col._version, row._version]
        return res
    same(run)

    def plain(lib):
        x = lib.arange(6.0).reshape(2, 3)
        v = x[:, 1]
        v[0] = 9.0
        return x.tolist(), x._version, v._base is x, v[1:]._base is x
    same(plain)

    def view_of_view_then_grad_write(lib):
        p = lib.ones(3, 2, requires_grad=True)
        with lib.no_grad():
            v = p[0]
        v.add_(1.0)
    same_error_case(view_of_view_then_grad_write)

    same_error_case(lambda lib: lib.zeros(2, 3)[:, 3])
    same_error_case(lambda lib: lib.zeros(2, 3)[2])
    same_error_case(lambda lib: lib.zeros(2, 3)[0, 0, 0])
    same_error_case(lambda lib: lib.tensor(1.0)[0])


def test_basic_index_records_when_grad_is_needed_and_in_inference_mode():
    def run(lib):
        q = lib.arange(6.0).reshape(3, 2).requires_grad_()
        y = q[:, 1]
        y.sum().backward()
        return y.tolist(), type(y.grad_fn).__name__, q.grad.tolist()
    same(run)

    def inference(lib):
        with lib.inference_mode():
            x = lib.arange(6.0).reshape(3, 2)
            v = x[:, 0]
        return v.tolist(), v.is_inference(), v._base is x
    same(inference)

    def normal_base(lib):
        x = lib.arange(6.0).reshape(3, 2)
        with lib.inference_mode():
            v = x[1]
        v.add_(1.0)
        return v.is_inference(), x.tolist(), x._version
    same(normal_base)


def test_the_shortcuts_are_taken():
    # Guard against a shortcut silently no longer applying (the tests above would pass on
    # the general paths too): the straight line runs for a DQN act.
    net = _net(ember, [4, 128, 128, 2])
    with ember.no_grad():
        net(_inputs(ember, 1, 4))  # the first call makes the plan
    calls = []
    orig = _fastpath._run_small
    _fastpath._run_small = lambda layers, a: calls.append(a.shape) or orig(layers, a)
    try:
        with ember.no_grad():
            net(_inputs(ember, 1, 4))
            net(_inputs(ember, 128, 4))
    finally:
        _fastpath._run_small = orig
    assert calls == [(1, 4), (128, 4)]


def test_soft_update_shortcuts_keep_versions_and_errors():
    def run(lib):
        lib.manual_seed(0)
        net, tgt = lib.nn.Linear(3, 2), lib.nn.Linear(3, 2)
        before = [p._version for p in tgt.parameters()]
        with lib.no_grad():
            for tp, p in zip(tgt.parameters(), net.parameters()):
                d = tp.data
                d.mul_(0.9).add_(0.1 * p.data)
                d.mul_(2.0)
                d.add_(p.data)  # float32 + float32, alpha 1
        return ([p.detach().tolist() for p in tgt.parameters()], before,
                [p._version for p in tgt.parameters()])
    exact_and_close(lambda lib: (run(lib)[1:], [lib.tensor(v) for v in run(lib)[0]]),
                    1e-6, 1e-7)

    def plain_and_views(lib):
        x = lib.arange(6.0).reshape(2, 3)
        x.mul_(0.5)
        x.add_(lib.ones(3))  # broadcast
        v = x[0]
        v.mul_(3.0)
        v.add_(lib.ones(3))
        y = lib.arange(6, dtype=lib.float64).reshape(2, 3)
        y.mul_(0.25).add_(lib.full((2, 3), 1.5, dtype=lib.float64))
        return x.tolist(), x._version, v._version, y.tolist(), str(y.dtype)
    same(plain_and_views)
    same_error_case(lambda lib: lib.ones(3).add_(lib.ones(2, 3)))
    same_error_case(lambda lib: lib.ones(2, 3, requires_grad=True).mul_(2.0))
    same_error_case(lambda lib: lib.ones(2, 3, requires_grad=True).add_(lib.ones(3)))
    same(lambda lib: lib.ones(3).add_(lib.ones(3), alpha=2).tolist())
    same(lambda lib: lib.ones(3, dtype=lib.float16).mul_(0.1).tolist())
    same(lambda lib: str(lib.ones(3).add_(lib.ones(3, dtype=lib.float64)).dtype))
    same_error_case(lambda lib: lib.ones(3, dtype=lib.int64).mul_(1.5))

    def inference(lib):
        with lib.inference_mode():
            t = lib.ones(3)
        t.mul_(2.0)
    same_error_case(inference)

    def readonly(lib):
        a = np.ones(3, np.float32)
        a.flags.writeable = False
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = lib.from_numpy(a)
        t.mul_(2.0)
        t.add_(lib.ones(3))
        return t.tolist()
    same(readonly)
