"""nn.Module against torch.nn.Module: registration, traversal, state_dict, modes, hooks."""

from __future__ import annotations

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember
from nn_testutil import close, copy_weights, error_of, np_of, same_error


def build(T):
    """The same nested architecture written against either library."""

    class Block(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = T.nn.Linear(3, 4)
            self.register_buffer("running", T.zeros(4))
            self.register_buffer("scratch", T.ones(2), persistent=False)
            self.scale = T.nn.Parameter(T.ones(1))

        def forward(self, x):
            return self.fc(x) * self.scale + self.running

    class Net(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.first = T.nn.Parameter(T.zeros(2))
            self.body = T.nn.Sequential(T.nn.Linear(2, 3), T.nn.ReLU(), Block())
            self.heads = T.nn.ModuleList([T.nn.Linear(4, 1) for _ in range(3)] + [T.nn.Tanh()])
            self.table = T.nn.ModuleDict({"b": T.nn.Identity(), "a": T.nn.Flatten()})
            self.last = T.nn.Linear(4, 2, bias=False)

        def forward(self, x):
            h = self.body(x + self.first)
            return self.last(h) + sum(head(h) for head in self.heads[:3])

    return Net()


def test_keys_and_traversal_match_torch():
    e, t = build(ember), build(torch)
    assert list(e.state_dict()) == list(t.state_dict())
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in e.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in e.named_children()] == [n for n, _ in t.named_children()]
    assert [type(m).__name__ for m in e.modules()] == [type(m).__name__ for m in t.modules()]
    assert [p.shape for p in e.parameters()] == [tuple(p.shape) for p in t.parameters()]
    assert len(list(e.parameters(recurse=False))) == 1
    assert list(e.state_dict()._metadata) == list(t.state_dict()._metadata)


def test_forward_and_gradients_match_torch_after_weight_copy():
    e, t = build(ember), build(torch)
    copy_weights(e, t)
    x = np.random.default_rng(0).standard_normal((5, 2)).astype(np.float32)
    ye, yt = e(ember.tensor(x)), t(torch.tensor(x))
    close(ye, yt, rtol=1e-5, atol=1e-6)
    ye.sum().backward()
    yt.sum().backward()
    for (n, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        close(pe.grad, pt.grad, rtol=1e-5, atol=1e-6)


def test_parameters_in_registration_order_and_shared_once():
    m = ember.nn.Module()
    m.b = ember.nn.Parameter(ember.ones(1))
    m.a = ember.nn.Parameter(ember.ones(2))
    m.sub = ember.nn.Linear(2, 2)
    m.tied = m.sub  # the same module twice: its parameters appear once
    m.c = m.a       # the same parameter twice
    assert [n for n, _ in m.named_parameters()] == ["b", "a", "sub.weight", "sub.bias"]
    assert len(list(m.named_parameters(remove_duplicate=False))) == 7


def test_attribute_access_and_reassignment():
    m = ember.nn.Linear(2, 3)
    assert m.weight is m._parameters["weight"]
    new = ember.nn.Parameter(ember.zeros(3, 2))
    m.weight = new
    assert m.weight is new and list(m.parameters())[0] is new
    m.bias = None
    assert m.bias is None and [n for n, _ in m.named_parameters()] == ["weight"]
    # Editing the registry directly stays consistent with attribute access.
    other = ember.nn.Parameter(ember.ones(3, 2))
    m._parameters["weight"] = other
    assert m.weight is other
    del m._parameters["weight"]
    with pytest.raises(AttributeError):
        m.weight
    # A plain attribute replaced by a module moves into _modules (and back out on delete).
    m.extra = 5
    m.extra = ember.nn.ReLU()
    assert "extra" in m._modules and isinstance(m.extra, ember.nn.ReLU)
    del m.extra
    assert "extra" not in m._modules and not hasattr(m, "extra")


def test_buffers():
    m = ember.nn.Module()
    m.register_buffer("a", ember.ones(2))
    m.register_buffer("tmp", ember.zeros(1), persistent=False)
    m.b = ember.nn.Buffer(ember.ones(3))
    m.c = ember.nn.Buffer(ember.ones(1), persistent=False)
    assert [n for n, _ in m.named_buffers()] == ["a", "tmp", "b", "c"]
    assert list(m.state_dict()) == ["a", "b"]
    m.a = ember.zeros(2)  # reassigning a buffer with a tensor keeps it a buffer
    assert np_of(m._buffers["a"]).tolist() == [0, 0]
    t = torch.nn.Module()
    t.b = torch.nn.Buffer(torch.ones(3))
    assert isinstance(m.b, ember.nn.Buffer) == isinstance(t.b, torch.nn.Buffer)
    assert not isinstance(ember.ones(1), ember.nn.Buffer)


SETATTR_ERRORS = [
    lambda T, m: setattr(m, "p", T.ones(2)),
    lambda T, m: setattr(m, "body", T.ones(2)),
    lambda T, m: setattr(m, "rm", 3),
    lambda T, m: m.nothing,
    lambda T, m: m.register_buffer("p", T.ones(1)),
    lambda T, m: m.register_buffer("a.b", T.ones(1)),
    lambda T, m: m.register_buffer("", T.ones(1)),
    lambda T, m: m.register_buffer("q", 3),
    lambda T, m: m.register_buffer(3, T.ones(1)),
    lambda T, m: m.register_parameter("q", T.ones(1)),
    lambda T, m: m.register_parameter("body", T.nn.Parameter(T.ones(1))),
    lambda T, m: m.register_parameter("q", T.nn.Parameter(T.ones(1)) * 2),
    lambda T, m: m.add_module("p", T.nn.ReLU()),
    lambda T, m: m.add_module(3, T.nn.ReLU()),
    lambda T, m: m.add_module("x", 3),
    lambda T, m: m.add_module("x.y", T.nn.ReLU()),
    lambda T, m: m.train("yes"),
    lambda T, m: T.nn.Module()(1),
    lambda T, m: T.nn.Parameter(T.tensor([1, 2])),
    lambda T, m: m.get_submodule("body.zz"),
    lambda T, m: m.get_submodule("p.zz"),
    lambda T, m: T.nn.Linear(2, 2).to(T.int64),
    lambda T, m: T.nn.Module(3),
    lambda T, m: T.nn.Module(x=3),
]


@pytest.mark.parametrize("case", range(len(SETATTR_ERRORS)))
def test_registration_errors_match_torch(case):
    def make(T):
        m = T.nn.Module()
        m.body = T.nn.Linear(1, 1)
        m.p = T.nn.Parameter(T.ones(2))
        m.register_buffer("rm", T.zeros(1))
        return m

    fn = SETATTR_ERRORS[case]
    same_error(lambda: fn(ember, make(ember)), lambda: fn(torch, make(torch)))


def test_assignment_before_init_errors_match_torch():
    for kind in ("Linear(1, 1)", "Parameter(T.ones(1))"):
        def ctor(T, kind=kind):
            class Bad(T.nn.Module):
                def __init__(self):
                    self.x = eval("T.nn." + kind)
            return Bad()

        same_error(lambda: ctor(ember), lambda: ctor(torch))


def test_load_state_dict_copies_and_returns_incompatible_keys():
    src, dst = build(ember), build(ember)
    sd = src.state_dict()
    result = dst.load_state_dict(sd)
    assert repr(result) == repr(build(torch).load_state_dict(build(torch).state_dict()))
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert isinstance(result, tuple) and result._fields == ("missing_keys", "unexpected_keys")
    for (k, a), b in zip(sd.items(), dst.state_dict().values()):
        assert np.array_equal(np_of(a), np_of(b)), k
    # Copied, not aliased: changing the source afterwards leaves the destination alone.
    with ember.no_grad():
        src.body[0].weight.add_(1.0)
    assert not np.array_equal(np_of(src.body[0].weight), np_of(dst.body[0].weight))
    # state_dict() entries share storage with the parameters (as PyTorch's do) ...
    w = src.state_dict()["body.0.weight"]
    with ember.no_grad():
        src.body[0].weight.mul_(0.0)
    assert np_of(w).sum() == 0
    # ... and are detached.
    assert not w.requires_grad and w.grad_fn is None


def _state_cases(T, sd):
    sd_missing = dict(sd)
    sd_missing["extra"] = T.zeros(1)
    del sd_missing["body.0.weight"]
    sd_shape = dict(sd)
    sd_shape["body.0.weight"] = T.zeros(5, 5)
    sd_type = dict(sd)
    sd_type["body.0.weight"] = [1, 2]
    sd_all = dict(sd_shape)
    del sd_all["first"]
    sd_all["zz"] = T.ones(1)
    sd_all["body.9.weight"] = T.ones(1)
    return [sd_missing, sd_shape, sd_type, sd_all]


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("case", range(4))
def test_load_state_dict_errors_match_torch(case, strict):
    def run(T):
        m = build(T)
        return m.load_state_dict(_state_cases(T, m.state_dict())[case], strict=strict)

    try:
        expected = run(torch)
    except RuntimeError as err:
        with pytest.raises(RuntimeError) as got:
            run(ember)
        assert str(got.value) == str(err)
    else:
        got = run(ember)
        assert (got.missing_keys, got.unexpected_keys) == (expected.missing_keys,
                                                         expected.unexpected_keys)
        assert repr(got) == repr(expected)


def test_load_state_dict_from_torch_and_assign():
    t = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    e = ember.nn.Sequential(ember.nn.Linear(2, 3), ember.nn.Tanh(), ember.nn.Linear(3, 1))
    weight = e[0].weight
    e.load_state_dict({k: ember.tensor(np_of(v)) for k, v in t.state_dict().items()})
    assert e[0].weight is weight  # values copied into the existing parameter
    close(e(ember.ones(4, 2)), t(torch.ones(4, 2)))
    new = ember.ones(3, 2)
    e.load_state_dict({**e.state_dict(), "0.weight": new}, assign=True)
    assert isinstance(e[0].weight, ember.nn.Parameter) and e[0].weight.requires_grad
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        e.load_state_dict([1, 2])


def test_train_eval_requires_grad_apply():
    m = build(ember)
    assert m.training and all(c.training for c in m.modules())
    assert m.eval() is m
    assert not any(c.training for c in m.modules())
    m.train()
    assert all(c.training for c in m.modules())
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    m.requires_grad_()
    seen = []
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    expected = []
    build(torch).apply(lambda mod: expected.append(type(mod).__name__))
    assert seen == expected


def test_zero_grad():
    m = ember.nn.Linear(2, 2)
    m(ember.ones(1, 2)).sum().backward()
    m.zero_grad(set_to_none=False)
    assert np_of(m.weight.grad).sum() == 0 and m.weight.grad is not None
    m.zero_grad()
    assert m.weight.grad is None and m.bias.grad is None


def test_to_float_double_cpu_cuda():
    m = build(ember)
    w = m.body[0].weight
    m(ember.ones(1, 2)).sum().backward()
    assert m.double() is m
    assert w.dtype == ember.float64 and m.body[0].weight is w  # same Parameter object
    assert w.grad.dtype == ember.float64
    assert m.body[2].running.dtype == ember.float64
    m.to(ember.float32)
    assert w.dtype == ember.float32
    m.to("cpu")
    m.to(ember.ones(1, dtype=ember.float64))
    assert w.dtype == ember.float64
    m.float()
    assert m.cpu() is m
    y = m(ember.ones(1, 2))
    assert y.dtype == ember.float32
    with pytest.raises((RuntimeError, AssertionError), match="not compiled with CUDA"):
        m.cuda()
    with pytest.raises((RuntimeError, AssertionError), match="not compiled with CUDA"):
        m.to("cuda")


def test_forward_hooks_and_handles():
    def run(T):
        m = T.nn.Linear(2, 2)
        with T.no_grad():
            m.weight.copy_(T.tensor([[1.0, 2.0], [3.0, 4.0]]))
            m.bias.zero_()
        log = []
        h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
        h2 = m.register_forward_hook(lambda mod, args, out: out + 1)
        h3 = m.register_forward_hook(lambda mod, args, out: log.append("post"), prepend=True)
        h4 = m.register_forward_pre_hook(
            lambda mod, args, kwargs: (args, kwargs), with_kwargs=True)
        h5 = m.register_forward_hook(
            lambda mod, args, kwargs, out: out * 10, with_kwargs=True)
        outs = [np_of(m(T.ones(1, 2)))]
        for h in (h1, h2, h5):
            h.remove()
        outs.append(np_of(m(T.ones(1, 2))))
        with m.register_forward_pre_hook(lambda mod, args: args[0] * 0):
            outs.append(np_of(m(T.ones(1, 2))))
        outs.append(np_of(m(T.ones(1, 2))))
        h3.remove()
        h4.remove()
        return outs, log, len(m._forward_hooks), len(m._forward_pre_hooks)

    e, t = run(ember), run(torch)
    for a, b in zip(e[0], t[0]):
        np.testing.assert_allclose(a, b)
    assert e[1:] == t[1:]


def test_global_forward_hook():
    from ember.nn.modules.module import register_module_forward_hook

    seen = []
    h = register_module_forward_hook(lambda mod, args, out: seen.append(type(mod).__name__))
    try:
        ember.nn.Sequential(ember.nn.Linear(1, 1), ember.nn.ReLU())(ember.ones(1, 1))
    finally:
        h.remove()
    assert seen == ["Linear", "ReLU", "Sequential"]
    ember.nn.ReLU()(ember.ones(1))
    assert len(seen) == 3


def test_call_without_hooks_is_forward(monkeypatch):
    m = ember.nn.Linear(2, 2)
    monkeypatch.setattr(ember.nn.Module, "_hooked_call", lambda *a: 1 / 0)
    m(ember.ones(1, 2))  # the fast path never reaches the hook machinery


REPRS = [
    "nn.Linear(2, 32)", "nn.Linear(2, 3, bias=False)",
    "nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 2))", "nn.Sequential()",
    "nn.ModuleList([nn.Linear(1, 1), nn.Linear(1, 1), nn.ReLU(), nn.Linear(1, 1)])",
    "nn.ModuleList()", "nn.ModuleDict({'a': nn.Identity(), 'b': nn.Flatten()})",
    "nn.Unflatten(1, (2, 5))", "nn.LeakyReLU()", "nn.LeakyReLU(0.2, True)", "nn.ELU()",
    "nn.ELU(0.5, inplace=True)", "nn.GELU()", "nn.GELU('tanh')", "nn.SiLU()",
    "nn.SiLU(inplace=True)", "nn.Softplus()", "nn.Softmax()", "nn.Softmax(1)",
    "nn.LogSoftmax(dim=-1)", "nn.Dropout()", "nn.Dropout(0.1, True)", "nn.ReLU(True)",
    "nn.Tanh()", "nn.Sigmoid()", "nn.CrossEntropyLoss()", "nn.MSELoss()", "nn.L1Loss()",
    "nn.SmoothL1Loss()", "nn.HuberLoss()", "nn.NLLLoss()", "nn.BCELoss()",
    "nn.BCEWithLogitsLoss(pos_weight=T.ones(2))", "nn.Identity()",
    "nn.Sequential(OrderedDict([('enc', nn.Linear(1, 2)), ('act', nn.GELU())]))",
]


@pytest.mark.parametrize("src", REPRS)
def test_repr_matches_torch(src):
    make = lambda T: eval(src, {"nn": T.nn, "T": T, "OrderedDict": OrderedDict})  # noqa: E731
    assert repr(make(ember)) == repr(make(torch))


def test_nested_custom_repr_and_extra_repr():
    def make(T):
        class Scaled(T.nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = T.nn.Linear(2, 2)

            def extra_repr(self):
                return "factor=2\nmode='x'"

        net = build(T)
        net.scaled = Scaled()
        return net

    assert repr(make(ember)) == repr(make(torch))


def test_parameter_repr_and_class():
    for data in ([1.0, 2.0], [[0.5, -1.25]]):
        for rg in (True, False):
            e = ember.nn.Parameter(ember.tensor(data), requires_grad=rg)
            t = torch.nn.Parameter(torch.tensor(data), requires_grad=rg)
            assert repr(e) == repr(t) and str(e) == str(t)
    assert repr(ember.nn.Parameter()) == repr(torch.nn.Parameter())
    p = ember.nn.Parameter(ember.ones(2))
    assert isinstance(p, ember.Tensor) and p.requires_grad and p.is_leaf
    assert type(p * 2) is ember.Tensor and type(p.detach()) is ember.Tensor
    base = ember.zeros(2)
    shared = ember.nn.Parameter(base)
    with ember.no_grad():
        shared.add_(1.0)
    assert np_of(base).tolist() == [1.0, 1.0]  # wraps the same storage


def test_deepcopy_and_pickle_roundtrip():
    nn = ember.nn
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    m = nn.ModuleDict({"seq": seq, "more": nn.ModuleList([nn.Linear(3, 3)])})
    seq[0].register_buffer("stat", ember.ones(3))
    seq.register_forward_hook(lambda mod, args, out: out)
    x = ember.ones(2, 2)
    seq(x).sum().backward()
    deep = copy.deepcopy(m)
    assert len(deep["seq"]._forward_hooks) == 1
    seq._forward_hooks.clear()
    for clone in (deep, pickle.loads(pickle.dumps(m))):
        assert list(clone.state_dict()) == list(m.state_dict())
        c = clone["seq"]
        assert isinstance(c[0].weight, nn.Parameter) and c[0].weight is not seq[0].weight
        assert c[0].weight is c[0]._parameters["weight"] and c[0].stat is c[0]._buffers["stat"]
        # neither keeps a Parameter's .grad, as in PyTorch (Parameter.__deepcopy__ copies
        # data and requires_grad only; tests/test_programs_s18_spinup.py compares live)
        assert c[0].weight.grad is None and seq[0].weight.grad is not None
        close(c(x), seq(x))
        c[0].weight = nn.Parameter(ember.zeros(3, 2))  # the registry is still live
        assert c[0]._parameters["weight"] is c[0].weight


def test_get_submodule_parameter_buffer():
    m = build(ember)
    assert m.get_submodule("body.2.fc") is m.body[2].fc
    assert m.get_submodule("") is m
    assert m.get_parameter("body.2.scale") is m.body[2].scale
    assert m.get_buffer("body.2.running") is m.body[2].running
    assert error_of(lambda: m.get_parameter("body.2.running"))[0] is AttributeError
