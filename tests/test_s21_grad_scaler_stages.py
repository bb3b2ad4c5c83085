"""GradScaler('cpu') as PyTorch 2.13's: the float32 scale is made by the first scale() call
(get_scale() / state_dict() report init_scale before it; unscale_ / step / update refuse),
each optimizer goes ready -> unscaled -> stepped until update(), and misuse gets PyTorch's
errors (found sweeping davidtvs/pytorch-lr-finder's amp path: scaler.step without
scaler.scale stepped silently). Compared live with torch."""

import pytest
from torch_compare import same, same_error_case


def _setup(L, **kw):
    L.manual_seed(0)
    net = L.nn.Linear(3, 2)
    opt = L.optim.SGD(net.parameters(), lr=0.1)
    return net, opt, L.amp.GradScaler("cpu", **kw)


def _scaled_backward(L, net, gs):
    gs.scale(net(L.ones(1, 3)).sum()).backward()


MISUSE = {
    "step_without_scale": lambda L, n, o, g: (n(L.ones(1, 3)).sum().backward(), g.step(o)),
    "unscale_without_scale": lambda L, n, o, g: g.unscale_(o),
    "update_without_scale": lambda L, n, o, g: g.update(),
    "step_twice": lambda L, n, o, g: (_scaled_backward(L, n, g), g.step(o), g.step(o)),
    "unscale_after_step": lambda L, n, o, g: (_scaled_backward(L, n, g), g.step(o),
                                              g.unscale_(o)),
    "unscale_twice": lambda L, n, o, g: (_scaled_backward(L, n, g), g.unscale_(o),
                                         g.unscale_(o)),
    "step_no_grads": lambda L, n, o, g: (g.scale(n(L.ones(1, 3)).sum()), g.step(o)),
    "update_no_checks": lambda L, n, o, g: (g.scale(n(L.ones(1, 3)).sum()), g.update()),
    "closure": lambda L, n, o, g: (_scaled_backward(L, n, g), g.step(o, closure=lambda: 0)),
    "scale_a_number": lambda L, n, o, g: g.scale(3),
    "update_two_element_tensor": lambda L, n, o, g: (g.scale(L.ones(1)),
                                                     g.update(L.tensor([2., 3.]))),
    "update_int": lambda L, n, o, g: (g.scale(L.ones(1)), g.update(8)),
}


@pytest.mark.parametrize("name", sorted(MISUSE))
def test_misuse_errors(name):
    same_error_case(lambda L: MISUSE[name](L, *_setup(L)))


def test_scale_made_lazily_in_float32():
    def f(L):
        _, _, gs = _setup(L, init_scale=0.1)
        before = (gs.get_scale(), gs.state_dict())
        gs.scale(L.ones(1))
        return before, gs.get_scale(), gs.state_dict()
    same(f)


def test_backoff_growth_float32_and_state_roundtrip():
    def f(L):
        net, opt, gs = _setup(L, init_scale=3.3, backoff_factor=0.3, growth_factor=1.7,
                              growth_interval=1)
        out = []
        for i in range(5):
            opt.zero_grad()
            gs.scale(net(L.ones(1, 3) * (1e38 if i % 2 else 1)).sum()).backward()
            gs.step(opt)
            gs.update()
            out.append(gs.get_scale())
        gs2 = L.amp.GradScaler("cpu")
        gs2.load_state_dict(gs.state_dict())
        return out, gs2.get_scale(), gs2.state_dict(), net.weight.detach().numpy().tolist()
    same(f)


def test_update_after_unscale_only_and_tensor_new_scale():
    def f(L):
        net, opt, gs = _setup(L)
        _scaled_backward(L, net, gs)
        gs.unscale_(opt)
        gs.update()
        a = (gs.get_scale(), gs.state_dict()["_growth_tracker"])
        gs.update(L.tensor(8.))
        return a, gs.get_scale()
    same(f)


def test_scale_iterables():
    def f(L):
        _, _, gs = _setup(L)
        gen = [t.tolist() for t in gs.scale(iter([L.ones(1), L.ones(2)]))]
        return gen, type(gs.scale((L.ones(1),))).__name__, \
            str(gs.scale(L.ones(2, dtype=L.float64)).dtype), \
            str(gs.scale(L.ones(2, dtype=L.int64)).dtype)
    same(f)


def test_scale_never_grows_to_inf():
    def f(L):
        net, opt, gs = _setup(L, init_scale=2.0 ** 127, growth_interval=1)
        out = []
        for _ in range(2):
            gs.scale(net(L.ones(1, 3)).sum() * 0).backward()
            gs.step(opt)
            gs.update()
            out.append((gs.get_scale(), gs.state_dict()["_growth_tracker"]))
        return out
    same(f)
