"""The semantic edges of the RL speed paths (sweep of the W2 policy rows, SAC and TD3 updates),
each against live PyTorch:

* softmax / log_softmax over two columns take the mirror of x as a copy (ndarray.take), not
  a negative-stride view: values and gradients on contiguous, transposed, 1-D and 3-D inputs,
  with -inf, nan and -0.0 entries, float64 and float16;
* torch.as_tensor's negative-stride check (min of the strides) and device check (skipped when
  no device is given);
* Tensor.copy_ without np.broadcast_to for same-shape sources: values, dtype casts, broadcasting,
  the version counter, and the error for an expanded destination;
* cat's split points for backward, summed in Python: gradients with several inputs, legacy
  empty inputs, negative dims, and second order;
* tanh's float32 rule (float64 when an entry is beyond |4|) on both its in-place (no_grad
  Sequential) and out-of-place paths.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember


def _np(t):
    return np.array(t.detach().numpy(), copy=True)


def _same(e, t):
    """Same dtype, shape and bits (nan where torch has nan)."""
    assert str(e.dtype) == str(t.dtype)
    a, b = _np(e), _np(t)
    assert a.shape == b.shape
    np.testing.assert_array_equal(a, b)
    assert np.array_equal(np.signbit(a), np.signbit(b))


def _two_col_inputs():
    r = np.random.default_rng(3)
    base = r.standard_normal((6, 2)).astype(np.float32) * 3
    cube = r.standard_normal((2, 3, 2)).astype(np.float32)
    special = np.array([[-np.inf, 1.0], [-0.0, 0.0], [np.nan, 2.0], [-np.inf, -np.inf],
                        [50.0, -50.0]], np.float32)
    return {
        "contiguous": lambda lib: lib.tensor(base),
        "transposed": lambda lib: lib.tensor(np.ascontiguousarray(base.T)).t(),
        "one_row": lambda lib: lib.tensor(base[:1]),
        "1d": lambda lib: lib.tensor(base[0]),
        "3d": lambda lib: lib.tensor(cube),
        "special": lambda lib: lib.tensor(special),
        "float64": lambda lib: lib.tensor(base.astype(np.float64)),
        "float16": lambda lib: lib.tensor(base.astype(np.float16)),
    }


@pytest.mark.parametrize("name", list(_two_col_inputs()))
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_two_column_softmax_values(name, fn):
    make = _two_col_inputs()[name]
    with torch.no_grad():
        t = getattr(torch.nn.functional, fn)(make(torch), dim=-1)
    with ember.no_grad():
        e = getattr(ember.nn.functional, fn)(make(ember), dim=-1)
    np.testing.assert_allclose(_np(e).astype(np.float64), _np(t).astype(np.float64),
                               rtol=1e-6, atol=1e-7)
    assert str(e.dtype) == str(t.dtype) and e.is_contiguous() == t.is_contiguous()


@pytest.mark.parametrize("name", ["contiguous", "transposed", "3d", "float64"])
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_two_column_softmax_grads(name, fn):
    make = _two_col_inputs()[name]
    grads = []
    for lib in (ember, torch):
        x = make(lib).detach().requires_grad_(True)
        y = getattr(lib.nn.functional, fn)(x, dim=-1)
        w = lib.tensor(np.linspace(-1, 2, y.numel()).reshape(tuple(y.shape)).astype(
            _np(y).dtype))
        (g,) = lib.autograd.grad((y * w).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), x)  # second order through the rule
        grads.append((_np(g), _np(gg)))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_pg_loss_step_matches_torch():
    """The W2 training step's loss (log_softmax, gather, mean) and its gradients."""
    r = np.random.default_rng(0)
    logits = r.standard_normal((64, 2)).astype(np.float32) * 4
    acts = r.integers(0, 2, 64)
    adv = r.standard_normal(64).astype(np.float32)
    out = []
    for lib in (ember, torch):
        z = lib.tensor(logits, requires_grad=True)
        logp = lib.nn.functional.log_softmax(z, dim=1)
        loss = -(logp.gather(1, lib.tensor(acts).unsqueeze(1)).squeeze(1) * lib.tensor(adv)).mean()
        loss.backward()
        out.append((_np(loss), _np(z.grad)))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-6)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-5, atol=1e-8)


# ---- as_tensor ---------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda: np.arange(6, dtype=np.float32)[::-1],
    lambda: np.arange(1, dtype=np.float32)[::-1],            # size 1: still a negative stride
    lambda: np.arange(12, dtype=np.float32).reshape(3, 4)[:, ::-2],
])
def test_as_tensor_negative_strides_refused(make):
    with pytest.raises(ValueError) as t_err:
        torch.as_tensor(make())
    with pytest.raises(ValueError) as e_err:
        ember.as_tensor(make())
    assert str(e_err.value).splitlines()[0] == str(t_err.value).splitlines()[0]


@pytest.mark.parametrize("a", [np.float32(2.5) * np.ones(()), np.zeros((0, 3), np.float32),
                               np.arange(6.0).reshape(2, 3).T, np.ones((1, 4), np.float32)])
def test_as_tensor_shares_and_keeps(a):
    e, t = ember.as_tensor(a), torch.as_tensor(a)
    _same(e, t)
    if a.size:
        a.flat[0] += 1  # both share the array's memory
        _same(e, t)


def test_as_tensor_device_arguments():
    obs = np.ones((1, 4), np.float32)
    for dev in (None, "cpu", torch.device("cpu")):
        e_dev = dev if not isinstance(dev, torch.device) else ember.device("cpu")
        _same(ember.as_tensor(obs, device=e_dev), torch.as_tensor(obs, device=dev))
    with pytest.raises(Exception) as t_err:
        torch.as_tensor(obs, device="cuda")
    with pytest.raises(Exception) as e_err:
        ember.as_tensor(obs, device="cuda")
    assert type(e_err.value) is type(t_err.value)
    assert str(e_err.value).splitlines()[0] == str(t_err.value).splitlines()[0]


# ---- copy_ -------------------------------------------------------------------------------

@pytest.mark.parametrize("dst,src", [
    (np.zeros((3, 4), np.float32), np.arange(12, dtype=np.float32).reshape(3, 4)),
    (np.zeros((3, 4), np.float32), np.arange(4, dtype=np.float64)),      # broadcast + cast
    (np.zeros((3, 4), np.int64), np.linspace(-2.7, 2.7, 12).reshape(3, 4)),  # truncation
    (np.zeros((2, 3), np.float32), np.arange(6, dtype=np.float32).reshape(2, 3).T.T),
    (np.zeros((1, 3), np.float64), np.arange(3, dtype=np.float32)),
])
def test_copy_values(dst, src):
    res = []
    for lib in (ember, torch):
        d = lib.tensor(dst.copy())
        v0 = d._version
        d.copy_(lib.tensor(src))
        res.append((d, d._version - v0))
    _same(res[0][0], res[1][0])
    assert res[0][1] == res[1][1]


def test_copy_soft_update_matches_torch():
    """CleanRL's target update: target.data.copy_(tau * p.data + (1 - tau) * target.data)."""
    tau = 0.005
    nets = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        net, tgt = lib.nn.Linear(3, 8), lib.nn.Linear(3, 8)
        for _ in range(3):
            for p, q in zip(net.parameters(), tgt.parameters()):
                q.data.copy_(tau * p.data + (1 - tau) * q.data)
        nets.append(tgt)
    for e, t in zip(nets[0].parameters(), nets[1].parameters()):
        _same(e, t)


def test_copy_into_expanded_refused():
    errs = []
    for lib in (ember, torch):
        d = lib.zeros(3).expand(2, 3)
        with pytest.raises(RuntimeError) as err:
            d.copy_(lib.ones(2, 3))
        errs.append(str(err.value).splitlines()[0])
    assert errs[0] == errs[1]


def test_copy_shape_mismatch_refused():
    errs = []
    for lib in (ember, torch):
        with pytest.raises(RuntimeError) as err:
            lib.zeros(3).copy_(lib.ones(4))
        errs.append(str(err.value).splitlines()[0])
    assert errs[0] == errs[1]


# ---- cat ---------------------------------------------------------------------------------

@pytest.mark.parametrize("shapes,dim", [
    ([(4, 2), (4, 1)], 1),                   # SAC/TD3's cat([obs, act], 1)
    ([(4, 2), (4, 1), (4, 3)], -1),
    ([(2, 3), (1, 3), (4, 3)], 0),
    ([(3,), (0,), (2,)], 0),
    ([(2, 3), (0,), (1, 3)], 0),              # PyTorch's legacy rule: the 1-D empty is left out
    ([(2, 3)], 1),
])
def test_cat_grads(shapes, dim):
    r = np.random.default_rng(1)
    arrays = [r.standard_normal(s) for s in shapes]
    res = []
    for lib in (ember, torch):
        xs = [lib.tensor(a, requires_grad=True) for a in arrays]
        y = lib.cat(xs, dim)
        w = lib.tensor(np.arange(y.numel(), dtype=np.float64).reshape(tuple(y.shape)))
        gs = lib.autograd.grad((y * y * w).sum(), xs, create_graph=True)
        ggs = lib.autograd.grad(sum((g * g).sum() for g in gs), xs)
        res.append((_np(y), [_np(g) for g in gs], [_np(g) for g in ggs]))
    np.testing.assert_array_equal(res[0][0], res[1][0])
    for a, b in zip(res[0][1] + res[0][2], res[1][1] + res[1][2]):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_cat_mixed_dtypes_promote():
    for a, b in ((np.ones((2, 1), np.float32), np.ones((2, 1), np.float64)),
                 (np.ones(2, np.int64), np.ones(2, np.float32))):
        _same(ember.cat([ember.tensor(a), ember.tensor(b)]),
              torch.cat([torch.tensor(a), torch.tensor(b)]))


# ---- tanh's float32 rule -----------------------------------------------------------------

@pytest.mark.parametrize("scale", [0.5, 3.0, 30.0])
def test_tanh_policy_paths(scale):
    """In place (no_grad Sequential) and recorded, with and without entries beyond |4|."""
    r = np.random.default_rng(2)
    x = (r.standard_normal((5, 4)) * scale).astype(np.float32)
    x[0, 0] = np.nan
    outs = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.Linear(4, 64), lib.nn.Tanh(), lib.nn.Linear(64, 2),
                                lib.nn.Tanh())
        with lib.no_grad():
            net[0].weight.mul_(scale)
            a = net(lib.as_tensor(x))
        xt = lib.tensor(x[1:], requires_grad=True)
        y = net(xt)
        y.sum().backward()
        outs.append((a, y, lib.tanh(lib.tensor(x * 3)), xt.grad))
    for e, t in zip(*outs):
        np.testing.assert_allclose(_np(e), _np(t), rtol=2e-6, atol=1e-6)
