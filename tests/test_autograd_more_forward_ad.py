"""ember.autograd.forward_ad against torch.autograd.forward_ad (PyTorch 2.13): tangents of a
wide set of ops and layers, against PyTorch's and against float64 central differences;
levels, errors, and agreement with ember.func.jvp / autograd.functional.jvp."""

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as tfw

import ember
import ember.autograd.forward_ad as efw

RNG = np.random.default_rng(0)


def _arr(*shape, positive=False):
    a = RNG.standard_normal(shape)
    return np.abs(a) + 0.5 if positive else a


def _np(t):
    return np.array(t.detach().numpy(), copy=True)


# (name, fn(lib, *xs), input arrays). Every input gets a tangent.
W = _arr(4, 5)
CASES = [
    ("sin", lambda L, x: x.sin(), [_arr(3, 4)]),
    ("exp*log", lambda L, x: x.exp() * x.log(), [_arr(3, 4, positive=True)]),
    ("tanh_sigmoid", lambda L, x: L.tanh(x) + L.sigmoid(2 * x), [_arr(5)]),
    ("pow_div", lambda L, x, y: x ** 3 / (y * y + 1), [_arr(3, 2), _arr(3, 2)]),
    ("broadcast_mul", lambda L, x, y: x * y - y, [_arr(3, 1), _arr(4)]),
    ("sqrt_abs", lambda L, x: (x.abs() + 1).sqrt(), [_arr(6)]),
    ("atan2_max", lambda L, x, y: L.atan2(x, y) + L.maximum(x, y), [_arr(4), _arr(4)]),
    ("where_clamp", lambda L, x: L.where(x > 0, x * 2, x.clamp(-0.5, 0.3)), [_arr(8)]),
    ("matmul", lambda L, x, w: x @ w, [_arr(3, 4), W]),
    ("bmm", lambda L, x, y: L.bmm(x, y), [_arr(2, 3, 4), _arr(2, 4, 2)]),
    ("einsum", lambda L, x, y: L.einsum("ij,jk->ik", x, y), [_arr(2, 3), _arr(3, 4)]),
    ("sum_mean", lambda L, x: x.sum(1) + x.mean(0).sum(), [_arr(3, 4)]),
    ("var_std", lambda L, x: x.var(1) + x.std(0).sum(), [_arr(3, 4)]),
    ("prod_norm", lambda L, x: x.prod(1) + x.norm(), [_arr(3, 4)]),
    ("max_dim", lambda L, x: x.max(1).values + x.amax(), [_arr(3, 5)]),
    ("logsumexp_cumsum", lambda L, x: L.logsumexp(x, 1) + x.cumsum(1)[:, -1], [_arr(3, 4)]),
    ("softmax", lambda L, x: L.softmax(x, dim=1), [_arr(3, 5)]),
    ("log_softmax", lambda L, x: L.log_softmax(x, dim=0), [_arr(4, 3)]),
    ("shape_ops", lambda L, x: L.cat([x.t(), x.t() * 2], 0).reshape(-1)[::2], [_arr(3, 4)]),
    ("stack_index", lambda L, x: L.stack([x, x ** 2])[:, 1, [0, 2]], [_arr(3, 4)]),
    ("gather", lambda L, x: x.gather(1, L.tensor([[0, 2], [1, 1]])), [_arr(2, 3)]),
    ("linear", lambda L, x, w, b: L.nn.functional.linear(x, w, b),
     [_arr(2, 5), _arr(3, 5), _arr(3)]),
    ("relu_gelu_silu", lambda L, x: L.nn.functional.relu(x) + L.nn.functional.gelu(x)
     + L.nn.functional.silu(x), [_arr(7)]),
    ("softplus_elu", lambda L, x: L.nn.functional.softplus(x) * L.nn.functional.elu(x),
     [_arr(7)]),
    ("conv1d", lambda L, x, w: L.nn.functional.conv1d(x, w, padding=1),
     [_arr(2, 3, 6), _arr(4, 3, 3)]),
    ("conv2d", lambda L, x, w, b: L.nn.functional.conv2d(x, w, b, stride=2, padding=1),
     [_arr(1, 2, 5, 5), _arr(3, 2, 3, 3), _arr(3)]),
    ("pools", lambda L, x: L.nn.functional.max_pool2d(x, 2) + L.nn.functional.avg_pool2d(x, 2),
     [_arr(1, 2, 4, 4)]),
    ("layer_norm", lambda L, x, w, b: L.nn.functional.layer_norm(x, (4,), w, b),
     [_arr(3, 4), _arr(4), _arr(4)]),
    ("batch_norm_train", lambda L, x: L.nn.functional.batch_norm(x, None, None, training=True),
     [_arr(5, 3)]),
    ("group_norm", lambda L, x: L.nn.functional.group_norm(x, 2), [_arr(2, 4, 3)]),
    ("sdpa", lambda L, q, k, v: L.nn.functional.scaled_dot_product_attention(q, k, v),
     [_arr(1, 3, 4), _arr(1, 5, 4), _arr(1, 5, 2)]),
    ("cross_entropy", lambda L, x: L.nn.functional.cross_entropy(x, L.tensor([0, 2, 1])),
     [_arr(3, 4)]),
    ("mse_smooth_l1", lambda L, x, y: L.nn.functional.mse_loss(x, y)
     + L.nn.functional.smooth_l1_loss(x, y), [_arr(6), _arr(6)]),
    ("normalize_cos", lambda L, x, y: L.nn.functional.normalize(x, dim=1)
     + L.nn.functional.cosine_similarity(x, y).unsqueeze(1), [_arr(3, 4), _arr(3, 4)]),
    ("inv_det", lambda L, x: L.linalg.inv(x + 3 * L.eye(3, dtype=L.float64)).sum()
     + L.linalg.det(x), [_arr(3, 3)]),
]


def _tangents(n_inputs):
    return [None] * n_inputs


def _forward_ad(lib, fwad, fn, arrays, tangents):
    with fwad.dual_level():
        duals = [fwad.make_dual(lib.tensor(a), lib.tensor(t)) for a, t in zip(arrays, tangents)]
        out = fn(lib, *duals)
        primal, tangent = fwad.unpack_dual(out)
        return _np(primal), None if tangent is None else _np(tangent)


def _central(fn, arrays, tangents, eps=1e-6):
    plus = fn(ember, *[ember.tensor(a + eps * t) for a, t in zip(arrays, tangents)])
    minus = fn(ember, *[ember.tensor(a - eps * t) for a, t in zip(arrays, tangents)])
    return (_np(plus) - _np(minus)) / (2 * eps)


@pytest.mark.parametrize("name,fn,arrays", CASES, ids=[c[0] for c in CASES])
def test_tangent_matches_torch_and_finite_differences(name, fn, arrays):
    tangents = [RNG.standard_normal(a.shape) for a in arrays]
    e_primal, e_tan = _forward_ad(ember, efw, fn, arrays, tangents)
    t_primal, t_tan = _forward_ad(torch, tfw, fn, arrays, tangents)
    np.testing.assert_allclose(e_primal, t_primal, rtol=1e-10, atol=1e-12)
    assert e_tan is not None and e_tan.dtype == t_tan.dtype and e_tan.shape == t_tan.shape
    np.testing.assert_allclose(e_tan, t_tan, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(e_tan, _central(fn, arrays, tangents), rtol=1e-5, atol=1e-7)


def test_agrees_with_func_jvp_and_functional_jvp():
    x, t = _arr(3, 4), _arr(3, 4)

    def f(z):
        return (z.sin() @ ember.tensor(W)).tanh() if isinstance(z, ember.Tensor) else \
            (z.sin() @ torch.tensor(W)).tanh()

    _, jv_func = ember.func.jvp(f, (ember.tensor(x),), (ember.tensor(t),))
    _, jv_functional = ember.autograd.functional.jvp(f, ember.tensor(x), ember.tensor(t))
    _, jv_torch = torch.func.jvp(f, (torch.tensor(x),), (torch.tensor(t),))
    with efw.dual_level():
        jv_dual = efw.unpack_dual(f(efw.make_dual(ember.tensor(x), ember.tensor(t)))).tangent
    for jv in (jv_func, jv_functional, jv_dual):
        np.testing.assert_allclose(_np(jv), jv_torch.numpy(), rtol=1e-10, atol=1e-12)


def test_jacfwd_columns_are_tangents():
    x = _arr(4)

    def f(z):
        return z.exp() * z.sum()

    jac = ember.func.jacfwd(f)(ember.tensor(x))
    for i in range(4):
        t = np.eye(4)[i]
        with efw.dual_level():
            tan = efw.unpack_dual(f(efw.make_dual(ember.tensor(x), ember.tensor(t)))).tangent
        np.testing.assert_allclose(_np(jac)[:, i], _np(tan), rtol=1e-12)
    np.testing.assert_allclose(_np(jac), torch.func.jacfwd(f)(torch.tensor(x)).numpy(),
                               rtol=1e-12)


def test_several_duals_and_a_module_with_parameters():
    ember.manual_seed(0)
    lin = ember.nn.Linear(4, 3).double()
    tlin = torch.nn.Linear(4, 3).double()
    tlin.load_state_dict({k: torch.tensor(v.numpy()) for k, v in lin.state_dict().items()})
    x, y, tx, ty = _arr(2, 4), _arr(2, 3), _arr(2, 4), _arr(2, 3)
    res = []
    for lib, fw, mod in ((ember, efw, lin), (torch, tfw, tlin)):
        with fw.dual_level():
            dx = fw.make_dual(lib.tensor(x), lib.tensor(tx))
            dy = fw.make_dual(lib.tensor(y), lib.tensor(ty))
            loss = ((mod(dx) - dy) ** 2).mean()
            primal, tangent = fw.unpack_dual(loss)
            primal.backward()  # reverse mode through the primal still reaches the parameters
        res.append((_np(tangent), mod.weight.grad.numpy().copy()))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-12)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-12)


def test_dual_of_tensor_requiring_grad_gives_differentiable_tangent():
    out = []
    for lib, fw in ((ember, efw), (torch, tfw)):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        with fw.dual_level():
            d = fw.make_dual(x, lib.ones(3, dtype=lib.float64))
            tan = fw.unpack_dual((d ** 3).sum()).tangent  # 3 sum(x^2)
            assert tan.requires_grad
            tan.backward()
        out.append((tan.item(), x.grad.numpy().copy()))
    assert out[0][0] == pytest.approx(out[1][0], rel=1e-14)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-14)  # 6 x


def _both(fn):
    """fn(lib, fw) on ember and torch: the same result repr, or the same error."""
    got = []
    for lib, fw in ((ember, efw), (torch, tfw)):
        try:
            got.append(("ok", fn(lib, fw)))
        except Exception as e:  # noqa: BLE001 - the comparison is the point
            got.append((type(e).__name__, str(e).split("\n")[0]))
    assert got[0] == got[1], got
    return got[0]


def _in_level(fn):
    def run(lib, fw):
        with fw.dual_level():
            return fn(lib, fw)
    return run


@pytest.mark.parametrize("case", [
    lambda L, fw: fw.make_dual(L.ones(3), L.ones(3)),  # outside a level
    _in_level(lambda L, fw: fw.make_dual(L.ones(3), L.ones(2))),
    _in_level(lambda L, fw: fw.make_dual(L.ones(3, 2), L.ones(2, 3))),
    _in_level(lambda L, fw: fw.make_dual(L.tensor([1, 2]), L.ones(2))),
    _in_level(lambda L, fw: fw.make_dual(L.ones(2), L.tensor([1, 2]))),
    _in_level(lambda L, fw: fw.make_dual(L.ones(2), L.ones(2), level=3)),
    _in_level(lambda L, fw: fw.make_dual(fw.make_dual(L.ones(2), L.ones(2)), L.ones(2))),
    _in_level(lambda L, fw: fw.make_dual(fw.make_dual(L.ones(2), L.ones(2)) * 2, L.ones(2))),
    _in_level(lambda L, fw: fw.make_dual(L.ones(2), fw.make_dual(L.ones(2), L.ones(2)))),
    _in_level(lambda L, fw: fw.unpack_dual(3.0)),
    _in_level(lambda L, fw: fw.unpack_dual(fw.make_dual(L.ones(2), L.ones(2)), level=2)),
    _in_level(lambda L, fw: fw.unpack_dual(fw.make_dual(L.ones(2), L.ones(2)) * 2, level=2)),
    _in_level(lambda L, fw: fw.dual_level().__enter__()),
    _in_level(lambda L, fw: fw.enter_dual_level()),
    lambda L, fw: fw.exit_dual_level(),
    lambda L, fw: fw.exit_dual_level(level=0),
])
def test_errors_match_torch(case):
    kind, _ = _both(case)
    assert kind != "ok"


def test_tangent_none_and_zero_cases_match_torch():
    def run(L, fw):
        x = L.tensor([0.5, -2.0, 3.0])
        with fw.dual_level():
            d = fw.make_dual(x, L.tensor([1.0, 2.0, -3.0]))
            res = {
                "plain": fw.unpack_dual(x * 2).tangent,  # no dual involved: None
                "int": fw.unpack_dual(d.argmax()).tangent,  # integer result: None
                "zero": fw.unpack_dual((d * 0).sum()).tangent,  # depends, derivative 0
                "sign": fw.unpack_dual(d.sign()).tangent,
                "detached": fw.unpack_dual(d.detach()).tangent,
                "dual": fw.unpack_dual(d).tangent.tolist(),
                "other_level": fw.unpack_dual(x, level=2).tangent,  # not dual: no level check
            }
            res = {k: v if v is None or isinstance(v, list) else v.abs().tolist()
                   for k, v in res.items()}
            y = d.exp()
        res["after"] = fw.unpack_dual(y).tangent  # the level ended: tangents are gone
        res["outside"] = fw.unpack_dual(d).tangent
        return res
    _both(run)


def test_unpack_returns_the_tangent_object_and_a_primal_sharing_data():
    x, t = ember.randn(3), ember.randn(3)
    with efw.dual_level() as level:
        assert level == 0
        d = efw.make_dual(x, t)
        p, tan = efw.unpack_dual(d)
        assert tan is t
        assert isinstance(efw.unpack_dual(d), efw.UnpackedDualTensor)
        assert efw.UnpackedDualTensor._fields == tfw.UnpackedDualTensor._fields
        assert not p.requires_grad and np.shares_memory(p.numpy(), x.numpy())
        assert efw.unpack_dual(x).tangent is None
    assert efw.unpack_dual(x) == (x, None)
    assert not d.requires_grad  # the documented difference ends with the level


def test_levels_enter_exit_and_decorator():
    assert efw.enter_dual_level() == 0
    with pytest.raises(RuntimeError, match="Nested forward mode AD"):
        efw.enter_dual_level()
    efw.exit_dual_level(level=0)

    @efw.dual_level()
    def tangent_of_square(x, t):
        return efw.unpack_dual(efw.make_dual(x, t) ** 2).tangent

    x = ember.tensor([1.0, 2.0])
    assert tangent_of_square(x, ember.tensor([1.0, 1.0])).tolist() == [2.0, 4.0]
    with pytest.raises(RuntimeError, match="no level exists"):
        efw.make_dual(x, x)


def test_float64_tangent_on_float32_primal_gives_float64_tangent_as_torch():
    dtypes = []
    for lib, fw in ((ember, efw), (torch, tfw)):
        with fw.dual_level():
            d = fw.make_dual(lib.ones(3), lib.ones(3, dtype=lib.float64))
            dtypes.append(str(fw.unpack_dual(d * 2).tangent.dtype))
    assert dtypes[0] == dtypes[1] == "torch.float64"
