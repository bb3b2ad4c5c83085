"""Top-level names PyTorch 2.13 has that ember lacked: the *_copy ops, torch.cond and
torch.while_loop, torch.GradScaler and autograd flags, func.linearize/functionalize,
DistributedSampler, frombuffer/from_file/DLPack, and Tensor.as_subclass/set_/storage(),
each compared with live PyTorch."""

import array
import warnings

import numpy as np
import pytest
import torch

import ember

BASE = np.random.default_rng(0).standard_normal((3, 4))

# (name, args after the input, input slice) of every *_copy op taking one tensor
COPY_CASES = [
    ("alias_copy", (), None), ("as_strided_copy", ((2, 2), (1, 2)), None),
    ("as_strided_copy", ((2, 2), (1, 2), 1), None), ("diagonal_copy", (1,), None),
    ("diagonal_copy", (0, 1, 0), None), ("expand_copy", ((2, 3, 4),), None),
    ("expand_copy", ((3, 4),), slice(0, 1)), ("permute_copy", ((1, 0),), None),
    ("select_copy", (1, 2), None), ("select_copy", (0, -1), None),
    ("slice_copy", (), None), ("slice_copy", (1, 1, 3), None),
    ("slice_copy", (1, 0, None, 2), None), ("slice_copy", (1, -3, -1), None),
    ("squeeze_copy", (), slice(0, 1)), ("squeeze_copy", (0,), slice(0, 1)),
    ("squeeze_copy", ((0, 1),), slice(0, 1)), ("t_copy", (), None),
    ("transpose_copy", (0, 1), None), ("unfold_copy", (1, 2, 1), None),
    ("unsqueeze_copy", (0,), None), ("unsqueeze_copy", (-1,), None),
    ("view_copy", ((4, 3),), None), ("view_copy", ((-1,),), None),
]
MULTI_CASES = [("split_copy", (2, 1)), ("split_with_sizes_copy", ([1, 3], 1)),
               ("unbind_copy", (1,)), ("unbind_copy", ())]


def _pair(sl=None, grad=True):
    a = BASE if sl is None else BASE[sl]
    return (ember.tensor(a.copy(), requires_grad=grad), torch.tensor(a.copy(),
                                                                     requires_grad=grad))


def _same(e, t):
    assert tuple(e.shape) == tuple(t.shape) and str(e.dtype) == str(t.dtype)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-12)


def _raises_like(fe, ft):
    with pytest.raises(Exception) as te:
        ft()
    with pytest.raises(type(te.value)) as ee:
        fe()
    assert str(ee.value).splitlines()[0] == str(te.value).splitlines()[0]


@pytest.mark.parametrize("name,args,sl", COPY_CASES)
def test_copy_ops_values_grad_fn_and_grads(name, args, sl):
    e, t = _pair(sl)
    re_, rt = getattr(ember, name)(e, *args), getattr(torch, name)(t, *args)
    _same(re_, rt)
    assert re_.grad_fn.name() == rt.grad_fn.name()
    assert re_.is_contiguous() and not np.shares_memory(re_.detach().numpy(), e.detach().numpy())
    w = np.random.default_rng(1).standard_normal(tuple(rt.shape))
    (re_ * ember.tensor(w)).sum().backward()
    (rt * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name,args", MULTI_CASES)
def test_multi_output_copy_ops(name, args):
    e, t = _pair()
    re_, rt = getattr(ember, name)(e, *args), getattr(torch, name)(t, *args)
    assert type(re_) is type(rt) and len(re_) == len(rt)
    for a, b in zip(re_, rt):
        _same(a, b)
        assert a.grad_fn.name() == b.grad_fn.name() and a.is_contiguous()
    sum(p.sum() * (i + 1) for i, p in enumerate(re_)).backward()
    sum(p.sum() * (i + 1) for i, p in enumerate(rt)).backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy())


def test_copy_ops_higher_order_grad():
    e, t = _pair()
    for lib, x in ((ember, e), (torch, t)):
        y = (lib.permute_copy(x, (1, 0)) ** 3).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        g.sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_copy_ops_out_detach_copy_and_view_dtype():
    for lib in (ember, torch):
        x = lib.tensor(BASE.copy(), dtype=lib.float32)
        o = lib.empty(4, 3)
        assert lib.permute_copy(x, (1, 0), out=o) is o
        np.testing.assert_array_equal(o.numpy(), BASE.T.astype(np.float32))
    e, t = _pair()
    _raises_like(lambda: ember.permute_copy(e.detach(), (1, 0), out=ember.empty(4, 3)),
                 lambda: torch.permute_copy(t.detach(), (1, 0), out=torch.empty(4, 3)))
    de, dt = ember.detach_copy(e), torch.detach_copy(t)
    _same(de, dt)
    assert de.requires_grad == dt.requires_grad
    assert repr(de).split("grad_fn=")[1] == repr(dt).split("grad_fn=")[1]
    _raises_like(lambda: de.sum().backward(), lambda: dt.sum().backward())
    assert not ember.detach_copy(e.detach()).requires_grad
    ve, vt = ember.view_copy(e, ember.int64), torch.view_copy(t, torch.int64)
    _same(ve, vt)
    assert ve.grad_fn is None and vt.grad_fn is None


@pytest.mark.parametrize("call", [
    lambda L, x: L.view_copy(x, (5, 3)), lambda L, x: L.expand_copy(x, (3, 5)),
    lambda L, x: L.select_copy(x, 1, 7), lambda L, x: L.slice_copy(x, 1, 1, 10, 0),
    lambda L, x: L.unfold_copy(x, 1, 5, 1), lambda L, x: L.unsqueeze_copy(x, 3),
    lambda L, x: L.transpose_copy(x, 0, 2), lambda L, x: L.squeeze_copy(x, 5),
    lambda L, x: L.t_copy(x.unsqueeze(0)), lambda L, x: L.permute_copy(x, 1, 0),
    lambda L, x: L.values_copy(x), lambda L, x: L.indices_copy(x),
    lambda L, x: L.crow_indices_copy(x), lambda L, x: L.ccol_indices_copy(x),
    lambda L, x: L.col_indices_copy(x), lambda L, x: L.row_indices_copy(x),
    lambda L, x: L.split_copy(x, 2, out=[x]),
    lambda L, x: L.split_with_sizes_copy(x, [1, 2], out=[x]),
    lambda L, x: L.unbind_copy(x.detach(), out=[x.detach()]),
    lambda L, x: L.unbind_copy(x.detach(), out=[x[0], x[1], x[2]]),
    lambda L, x: L.t_copy(x.detach(), out=x), lambda L, x: L.t_copy(x, out=x),
    lambda L, x: L.detach_copy(x.detach(), out=x),
])
def test_copy_op_errors(call):
    e, t = _pair()
    _raises_like(lambda: call(ember, e), lambda: call(torch, t))


# ---- cond / while_loop ----

def test_cond_takes_the_branch_and_passes_gradients():
    for pred in (True, False, np.float64(1.0)):
        e, t = _pair(0)
        outs = []
        for lib, x in ((ember, e), (torch, t)):
            p = lib.tensor(x.detach().sum() > 0) if isinstance(pred, np.float64) else pred
            r = lib.cond(p, lambda a: a.sin() * 2, lambda a: a.cos(), (x,))
            r.sum().backward()
            outs.append(r)
        _same(*outs)
        assert outs[0].grad_fn.name() == outs[1].grad_fn.name()
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    for lib in (ember, torch):  # a list of outputs, and Python values returned as they are
        r = lib.cond(lib.tensor(False), lambda a: [a + 1], lambda a: [a - 1], (lib.ones(2),))
        assert isinstance(r, list) and r[0].tolist() == [0.0, 0.0]
        assert lib.cond(lib.tensor(True), lambda a: 1, lambda a: 2, (lib.ones(2),)) == 1


@pytest.mark.parametrize("call", [
    lambda L, x: L.cond(L.tensor([True, False]), lambda a: a, lambda a: a + 1, (x,)),
    lambda L, x: L.cond("a", lambda a: a + 1, lambda a: a, (x,)),
    lambda L, x: L.cond(L.tensor(True), lambda a: a + 1, lambda a: a - 1, x),
    lambda L, x: L.cond(L.tensor(True), lambda a, b: a * b, lambda a, b: a + b, (x, 2.0)),
    lambda L, x: L.cond(L.tensor(True), lambda a: a, lambda a: a + 1, (x,)),
    lambda L, x: L.cond(L.tensor(True), lambda a: a.sum(), lambda a: a + 1, (x,)),
    lambda L, x: L.cond(L.tensor(True), lambda a: a + 1, lambda a: a.double(), (x,)),
    lambda L, x: L.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, L.cat([s, s])),
                              (L.tensor(0), x)),
    lambda L, x: L.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1,), (L.tensor(0), x)),
    lambda L, x: L.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s), (L.tensor(0), x)),
    lambda L, x: L.while_loop(lambda i: i < 5, lambda i: i + 1, L.tensor(0)),
])
def test_control_flow_errors(call):
    e, t = _pair(0, grad=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as te:
            call(torch, t)
    with pytest.raises(Exception) as ee:
        call(ember, e)
    # PyTorch's classes live in torch._dynamo.exc; ember's have their names and bases
    assert type(ee.value).__name__ == type(te.value).__name__
    assert isinstance(ee.value, RuntimeError) == isinstance(te.value, RuntimeError)
    assert str(ee.value).splitlines()[0] == str(te.value).splitlines()[0]


def test_while_loop_values_and_gradients():
    e, t = ember.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    res = []
    for lib, s0 in ((ember, e), (torch, t)):
        i, s = lib.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s * 2 + 1),
                              [lib.tensor(0), s0])
        (s ** 2).sum().backward()
        res.append((i, s))
    _same(res[0][0], res[1][0])
    _same(res[0][1], res[1][1])
    assert res[0][1].grad_fn.name() == res[1][1].grad_fn.name()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy())
    for lib in (ember, torch):
        assert lib.while_loop(lambda i: i < 3, lambda i: (i + 1,), (0,)) == (3,)
        assert lib.while_loop(lambda i: i < 5, lambda i: i + 1, (lib.tensor(0),)).item() == 5


def test_while_loop_without_iterations_returns_new_tensors():
    got = []
    for lib in (ember, torch):
        x = lib.ones(2, requires_grad=True)
        carried = (lib.tensor(0), x)
        i, s = lib.while_loop(lambda i, s: i < 0, lambda i, s: (i + 1, s + 1), carried)
        s.sum().backward()
        got.append((i is carried[0], s is x, s.data_ptr() == x.data_ptr(), s.requires_grad,
                    s.tolist(), x.grad.tolist()))
    assert got[0] == got[1]


# ---- flags, GradScaler, linearize, functionalize ----

def test_gradscaler_and_autograd_flags():
    assert ember.GradScaler is ember.amp.GradScaler
    for lib in (ember, torch):
        ag = lib.autograd
        assert ag.is_multithreading_enabled() and not ag.is_view_replay_enabled()
        with ag.set_multithreading_enabled(False):
            assert not ag.is_multithreading_enabled()
        with ag._force_original_view_tracking(True):
            assert ag.is_view_replay_enabled()
        assert ag.is_multithreading_enabled() and not ag.is_view_replay_enabled()


def test_linearize_matches_torch_jvp():
    x, v = BASE[0], BASE[1]
    got = []
    for lib in (ember, torch):
        def f(a, b):
            return (a.sin() * b, a.exp().sum())

        out, jvp_fn = lib.func.linearize(f, lib.tensor(x), lib.tensor(x * 2))
        got.append((out, jvp_fn(lib.tensor(v), lib.tensor(v * 3))))
    (eo, ej), (to, tj) = got
    for a, b in zip(eo + ej, to + tj):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    fe = ember.func.linearize(ember.sin, ember.tensor(x))[1]
    ft = torch.func.linearize(torch.sin, torch.tensor(x))[1]
    _raises_like(lambda: fe(ember.ones(2)), lambda: ft(torch.ones(2)))
    _raises_like(lambda: fe(ember.ones(4), ember.ones(4)), lambda: ft(torch.ones(4),
                                                                      torch.ones(4)))


def test_functionalize_keeps_input_mutations():
    for lib in (ember, torch):
        def g(a):
            b = a.clone()
            b.add_(1)
            a.mul_(2)
            return b

        y = lib.ones(3)
        assert lib.func.functionalize(g)(y).tolist() == [2.0] * 3 and y.tolist() == [2.0] * 3
        assert lib.func.functionalize(g).__name__ == "g"
    _raises_like(lambda: ember.func.functionalize(g, remove="x"),
                 lambda: torch.func.functionalize(g, remove="x"))


# ---- DistributedSampler ----

@pytest.mark.parametrize("n,kw", [(10, dict(num_replicas=3, rank=1)),
                                  (10, dict(num_replicas=3, rank=2, drop_last=True)),
                                  (2, dict(num_replicas=5, rank=4, shuffle=False)),
                                  (7, dict(num_replicas=2, rank=0, seed=5)),
                                  (1, dict(num_replicas=4, rank=3))])
def test_distributed_sampler_indices(n, kw):
    se = ember.utils.data.DistributedSampler(range(n), **kw)
    st = torch.utils.data.DistributedSampler(range(n), **kw)
    for epoch in (0, 3):
        se.set_epoch(epoch)
        st.set_epoch(epoch)
        assert list(se) == list(st) and len(se) == len(st)
    assert vars(se).keys() == vars(st).keys()


@pytest.mark.parametrize("kw", [{}, dict(num_replicas=2), dict(num_replicas=2, rank=2),
                                dict(num_replicas=2, rank=-1)])
def test_distributed_sampler_errors(kw):
    _raises_like(lambda: ember.utils.data.DistributedSampler(range(4), **kw),
                 lambda: torch.utils.data.DistributedSampler(range(4), **kw))


# ---- frombuffer, from_file, DLPack ----

def test_frombuffer_shares_memory():
    for lib in (ember, torch):
        buf = array.array("i", [1, 2, 3, 4])
        t = lib.frombuffer(buf, dtype=lib.int32)
        t[0] = 9
        assert buf.tolist() == [9, 2, 3, 4]
        assert lib.frombuffer(buf, dtype=lib.int32, count=2, offset=4).tolist() == [2, 3]
        r = lib.frombuffer(buf, dtype=lib.float32, requires_grad=True)
        assert r.requires_grad and r.dtype == lib.float32
    e = ember.frombuffer(bytearray(b"\x01\x02\x03\x04"), dtype=ember.int16, count=-2)
    assert e.tolist() == torch.frombuffer(bytearray(b"\x01\x02\x03\x04"), dtype=torch.int16,
                                          count=-2).tolist()


def test_frombuffer_read_only_warns_once():
    import ember._frombuffer as fb

    fb._WARNED["read_only"] = False
    with pytest.warns(UserWarning) as rec:
        t = ember.frombuffer(b"\x01\x02", dtype=ember.uint8)
        ember.frombuffer(b"\x01\x02", dtype=ember.uint8)
    assert t.tolist() == [1, 2] and len(rec) == 1
    assert str(rec[0].message).startswith("The given buffer is not writable, and PyTorch")


@pytest.mark.parametrize("call", [
    lambda L: L.frombuffer(bytearray(b"\x01\x02\x03"), dtype=L.int16),
    lambda L: L.frombuffer(bytearray(b"\x01\x02\x03\x04"), dtype=L.int16, offset=5),
    lambda L: L.frombuffer(bytearray(b"\x01\x02\x03\x04"), dtype=L.int16, offset=-1),
    lambda L: L.frombuffer(bytearray(b"\x01\x02\x03\x04"), dtype=L.int16, count=3),
    lambda L: L.frombuffer(bytearray(b""), dtype=L.int16),
    lambda L: L.frombuffer(bytearray(b"\x01\x02"), dtype=L.int16, count=0),
    lambda L: L.frombuffer([1, 2], dtype=L.int16),
    lambda L: L.frombuffer(bytearray(b"\x01\x02")),
    lambda L: L.frombuffer(bytearray(b"\x01\x02"), dtype=L.int16, requires_grad=True),
])
def test_frombuffer_errors(call):
    _raises_like(lambda: call(ember), lambda: call(torch))


def test_from_file(tmp_path):
    path = str(tmp_path / "f.bin")
    np.arange(6, dtype=np.float32).tofile(path)
    for lib in (ember, torch):
        assert lib.from_file(path, size=6).tolist() == list(range(6))
        assert lib.from_file(path, size=3, dtype=lib.int32).tolist() == \
            np.arange(6, dtype=np.float32).view(np.int32)[:3].tolist()
        assert lib.from_file(path).shape == (0,)
        private = lib.from_file(path, False, 6)
        private[1] = 7
        shared = lib.from_file(path, True, 6)
        shared[0] = 5
        del shared
        assert np.fromfile(path, dtype=np.float32)[:2].tolist() == [5.0, 1.0]
        np.arange(6, dtype=np.float32).tofile(path)
    _raises_like(lambda: ember.from_file(path, size=7), lambda: torch.from_file(path, size=7))
    _raises_like(lambda: ember.from_file(path, size=1, dtype=ember.int32, requires_grad=True),
                 lambda: torch.from_file(path, size=1, dtype=torch.int32, requires_grad=True))
    missing = str(tmp_path / "missing.bin")
    _raises_like(lambda: ember.from_file(missing, size=1), lambda: torch.from_file(missing,
                                                                                   size=1))


def test_dlpack_shares_memory_both_ways():
    e = ember.arange(4.0)
    t = torch.from_dlpack(e)  # ember -> real PyTorch
    t[0] = 9.0
    assert e.tolist() == [9.0, 1.0, 2.0, 3.0] and t.dtype == torch.float32
    assert e.__dlpack_device__() == tuple(torch.arange(1.0).__dlpack_device__())
    src = torch.arange(3)
    back = ember.from_dlpack(src)  # real PyTorch -> ember
    back[1] = 7
    assert src.tolist() == [0, 7, 2] and back.dtype == ember.int64
    a = np.ones(3, dtype=bool)
    assert ember.from_dlpack(a).tolist() == torch.from_dlpack(a).tolist()
    cap = ember.utils.dlpack.to_dlpack(e)
    assert ember.utils.dlpack.from_dlpack(cap).tolist() == e.tolist()
    cap_t = torch.utils.dlpack.to_dlpack(torch.arange(2.0))
    torch.from_dlpack(cap_t)
    cap = ember.utils.dlpack.to_dlpack(e)
    ember.from_dlpack(cap)
    _raises_like(lambda: ember.from_dlpack(cap), lambda: torch.from_dlpack(cap_t))
    _raises_like(lambda: ember.ones(2, requires_grad=True).__dlpack__(),
                 lambda: torch.ones(2, requires_grad=True).__dlpack__())


# ---- as_subclass, set_, storage ----

def test_as_subclass():
    class ME(ember.Tensor):
        pass

    class MT(torch.Tensor):
        pass

    for lib, cls in ((ember, ME), (torch, MT)):
        x = lib.arange(4.0, requires_grad=True)
        y = x.as_subclass(cls)
        assert type(y) is cls and y.requires_grad and not y.is_leaf
        assert y.grad_fn.name() == "AliasBackward0" and y.data_ptr() == x.data_ptr()
        (y * 3).sum().backward()
        assert x.grad.tolist() == [3.0] * 4
    e = ember.arange(4.0).as_subclass(ME)
    t = torch.arange(4.0).as_subclass(MT)
    assert repr(e).replace("ME(", "X(") == repr(t).replace("MT(", "X(")
    _raises_like(lambda: ember.ones(2).as_subclass(int), lambda: torch.ones(2).as_subclass(int))


def test_set_():
    for lib in (ember, torch):
        a, b = lib.zeros(3), lib.arange(6.0)
        assert a.set_(b) is a and a.data_ptr() == b.data_ptr() and a.shape == (6,)
        b[0] = 9
        assert a[0].item() == 9
        c = lib.zeros(3)
        c.set_(b.untyped_storage(), 1, (2, 2), (2, 1))
        assert c.tolist() == [[1.0, 2.0], [3.0, 4.0]]
        c.set_()
        assert c.shape == (0,)
    _raises_like(lambda: ember.zeros(3, dtype=ember.int64).set_(ember.ones(2)),
                 lambda: torch.zeros(3, dtype=torch.int64).set_(torch.ones(2)))
    _raises_like(lambda: ember.zeros(3, requires_grad=True).set_(ember.ones(2)),
                 lambda: torch.zeros(3, requires_grad=True).set_(torch.ones(2)))


def test_typed_storage():
    import ember._tensor_api as api

    api._WARNED["typed"] = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        st = torch.arange(6.0).storage()  # PyTorch's one warning of this process
    with pytest.warns(UserWarning, match="TypedStorage is deprecated"):
        se = ember.arange(6.0).storage()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.ones(1).storage()  # once only
        torch.ones(1).storage()
    for s in (se, st):
        assert s.size() == len(s) == 6 and s.tolist() == list(range(6))
        assert s.element_size() == 4 and s.nbytes() == 24 and s[1] == 1.0
    assert str(se.dtype) == str(st.dtype) and repr(se) == repr(st) and se.type() == st.type()
    for lib in (ember, torch):
        b = lib.arange(6.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = b[2:].storage()
        assert s.data_ptr() == b.data_ptr() and s.size() == 6
        s[1] = 7.0
        assert b[1].item() == 7.0
        assert repr(lib.arange(3).storage_type()) == "<class 'torch.LongStorage'>"


def test_slice_copy_of_a_0d_tensor():
    _raises_like(lambda: ember.slice_copy(ember.tensor(1.0)),
                 lambda: torch.slice_copy(torch.tensor(1.0)))


def test_utils_dlpack_is_reachable_as_an_attribute():
    import subprocess
    import sys

    code = ("import ember, torch\n"
            "cap = ember.utils.dlpack.to_dlpack(ember.ones(2))\n"
            "assert type(cap) is type(torch.utils.dlpack.to_dlpack(torch.ones(2)))\n"
            "assert ember.utils.data.DistributedSampler.__name__ == 'DistributedSampler'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_dir_lists_the_lazily_loaded_names_and_each_resolves():
    """dir(torch) (and a notebook's tab completion) shows submodules and functions that ember
    loads on first use, such as nn, cdist and _foreach_lerp_; every name listed resolves."""
    import warnings

    import ember

    names = dir(ember)
    for name in ("nn", "optim", "distributions", "cdist", "_foreach_lerp_", "save", "tensor"):
        assert name in names
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (deprecated names warn on access)
        assert [n for n in names if not hasattr(ember, n)] == []
