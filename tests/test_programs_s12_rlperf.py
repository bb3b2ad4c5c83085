"""Session 12, RL performance sweep (pytorch/examples' reinforce and actor_critic, CleanRL's
PPO, DQN, SAC and TD3, A2C, Spinning Up's VPG): the per-call fast paths it added keep the
values, dtypes, views and errors of the general paths, checked live against torch 2.13.

Fast paths pinned here: a lone bool mask x[done] skips the index walk; view/reshape/flatten
count elements with math.prod; .to("cpu") skips the device check; x[i] imports nothing;
finfo reuses its fields; torch.tensor(list of NumPy scalars) infers the dtype per type;
max/min(dim) take argmax's keepdims; var/std call np.add.reduce; randperm finds its swap
targets at once; state_dict finds extra state without an import.
"""

import numpy as np
import pytest
from torch_compare import run_both, same_error_case, seeded


def _out(t):
    return str(t.dtype), tuple(t.shape), t.detach().numpy().copy()


def _same(want, got):
    assert len(want) == len(got)
    for w, g in zip(want, got):
        if isinstance(w, tuple) and len(w) == 3 and isinstance(w[2], np.ndarray):
            assert w[:2] == g[:2], (w[:2], g[:2])
            np.testing.assert_array_equal(g[2], w[2])
        else:
            assert w == g, (w, g)


# ---- x[mask] with one bool mask over the leading dims --------------------------------------

@pytest.mark.parametrize("shape,mshape", [((6, 3), (6,)), ((6, 3), (6, 3)), ((4, 2, 3), (4, 2)),
                                          ((0, 3), (0,)), ((5,), (5,))])
def test_lone_mask_index_values_and_grad(shape, mshape):
    def run(L):
        x = seeded(L, shape, grad=True)
        m = L.from_numpy(np.random.default_rng(1).random(mshape) > 0.4)
        y = x[m]
        (y * L.arange(y.numel(), dtype=L.float32).reshape(y.shape)).sum().backward()
        return [_out(y), _out(x.grad), y.grad_fn.name()]
    _same(*run_both(run))


def test_lone_mask_all_false_and_all_true():
    def run(L):
        x = seeded(L, (4, 3))
        return [_out(x[L.zeros(4, dtype=L.bool)]), _out(x[L.ones(4, 3, dtype=L.bool)])]
    _same(*run_both(run))


@pytest.mark.parametrize("shape,mshape", [((1, 3), (0,)), ((4, 3), (5,)), ((4, 3), (3,)),
                                          ((4, 3), (4, 2)), ((2,), (2, 1)), ((0, 3), (1,))])
def test_mismatched_mask_keeps_pytorch_error(shape, mshape):
    # (NumPy accepts a size-0 mask against a size-1 dim; PyTorch refuses it)
    same_error_case(lambda L: L.ones(shape)[L.zeros(mshape, dtype=L.bool)])


def test_mask_in_a_tuple_still_walks_the_index():
    def run(L):
        x = seeded(L, (4, 3))
        return [_out(x[L.tensor([True, False, True, True]), 1]),
                _out(x[:, L.tensor([True, False, True])])]
    _same(*run_both(run))
    same_error_case(lambda L: L.ones(4, 3)[L.tensor([True, False]), 0])


def test_lone_mask_result_is_a_copy():
    def run(L):
        x = seeded(L, (4, 3))
        y = x[x[:, 0] > 0]
        y.fill_(7.0)
        return [_out(x), y._base is None]
    _same(*run_both(run))


# ---- view / reshape / flatten / unflatten --------------------------------------------------

@pytest.mark.parametrize("shape", [(-1,), (2, -1), (-1, 6), (3, 2, 2), (1, -1, 1), (12,)])
def test_view_and_reshape_infer_the_size(shape):
    def run(L):
        x = seeded(L, (3, 4))
        return [_out(x.view(*shape)), _out(x.reshape(shape)), _out(x.view(shape))]
    _same(*run_both(run))


@pytest.mark.parametrize("shape", [(5, -1), (-1, -1), (2, -2), (7,), (0, -1), (3, 5)])
def test_view_and_reshape_errors(shape):
    same_error_case(lambda L: L.ones(3, 4).view(*shape))
    same_error_case(lambda L: L.ones(3, 4).reshape(shape))


def test_view_of_empty_tensor():
    same_error_case(lambda L: L.ones(0, 4).view(-1, 0))
    _same(*run_both(lambda L: [_out(L.ones(0, 4).view(-1, 2)), _out(L.ones(0, 4).reshape(0, -1))]))


@pytest.mark.parametrize("args", [(), (1,), (0, 1), (1, 2), (-2, -1), (0, 0)])
def test_flatten(args):
    _same(*run_both(lambda L: [_out(seeded(L, (2, 3, 4)).flatten(*args)),
                               _out(L.ones(2, 0, 3).flatten(*args))]))


@pytest.mark.parametrize("sizes", [(2, 2), (-1, 2), (4, 1), (1, -1, 1)])
def test_unflatten(sizes):
    _same(*run_both(lambda L: [_out(seeded(L, (3, 4)).unflatten(1, sizes))]))


@pytest.mark.parametrize("sizes", [(3, 2), (-1, -1), (0, -1)])
def test_unflatten_errors(sizes):
    same_error_case(lambda L: L.ones(3, 4).unflatten(1, sizes))


# ---- .to(device) ---------------------------------------------------------------------------

@pytest.mark.parametrize("dev", ["cpu", ("cpu",)])
def test_to_cpu_returns_self_or_casts(dev):
    def run(L):
        d = L.device(*dev) if isinstance(dev, tuple) else dev
        x = seeded(L, (2, 3))
        y, z, w = x.to(d), x.to(d, L.float64), x.to(device=d)
        return [y is x, w is x, _out(z), str(y.device)]
    _same(*run_both(run))


@pytest.mark.parametrize("dev", ["cuda", "cuda:0", "cpu:x", "gpu", "meta:x"])
def test_to_other_devices_keep_pytorch_errors(dev):
    same_error_case(lambda L: L.ones(2).to(dev))


# ---- x[i] and x[a:b]: views ----------------------------------------------------------------

def test_int_and_slice_index_are_views():
    def run(L):
        x = seeded(L, (5, 3), grad=True)
        with L.no_grad():
            y, z = x[2], x[1:4]
            v = x._version
            y.mul_(2.0)
            z[0].add_(1.0)
        r = x[3] * 2 + x[0:2].sum()
        r.sum().backward()
        return [_out(x), _out(y), _out(z), x._version - v, y._base is x, z._base is x,
                x[2].grad_fn.name(), x[1:4].grad_fn.name(), _out(x.grad)]
    _same(*run_both(run))


# ---- finfo ---------------------------------------------------------------------------------

def _finfo_fields(f):
    return (f.bits, f.eps, f.max, f.min, f.tiny, f.smallest_normal, f.resolution, f.dtype,
            repr(f))


@pytest.mark.parametrize("name", ["float32", "float64", "float16", "bfloat16", "complex64"])
def test_finfo_repeated_calls(name):
    _same(*run_both(lambda L: [_finfo_fields(L.finfo(getattr(L, name))) for _ in range(3)]))


def test_finfo_default_follows_default_dtype():
    def run(L):
        first = _finfo_fields(L.finfo())
        L.set_default_dtype(L.float64)
        try:
            second = _finfo_fields(L.finfo())
        finally:
            L.set_default_dtype(L.float32)
        return [first, second, _finfo_fields(L.finfo())]
    _same(*run_both(run))


def test_finfo_fields_do_not_leak_between_instances():
    def run(L):
        f = L.finfo(L.float32)
        try:
            f.eps = 3.0  # PyTorch refuses; whatever happens, a new finfo is untouched
        except AttributeError:
            pass
        return [_finfo_fields(L.finfo(L.float32)), L.finfo(L.float32) == L.finfo(L.float32)]
    _same(*run_both(run))


@pytest.mark.parametrize("name", ["int64", "bool", "int8"])
def test_finfo_errors_each_call(name):
    for _ in range(2):
        same_error_case(lambda L: L.finfo(getattr(L, name)))


# ---- torch.tensor(list of NumPy scalars) ---------------------------------------------------

_NP_LISTS = {
    "f32": lambda: [np.float32(v) for v in (0.5, -1.25, 3.0)],
    "f64": lambda: [np.float64(0.1), np.float64(2.0)],
    "f32_and_float": lambda: [np.float32(0.5), 1.5, np.float32(2)],
    "f64_and_float": lambda: [1.5, np.float64(0.1)],
    "f16_and_f32": lambda: [np.float16(1.5), np.float32(0.25)],
    "i32_i64": lambda: [np.int32(3), np.int64(-2), np.int32(7)],
    "i8_u8": lambda: [np.int8(-3), np.uint8(200)],
    "int_and_i32": lambda: [1, np.int32(2)],
    "f32_and_i64": lambda: [np.int64(1), np.float32(2.5)],
    "bool_": lambda: [np.bool_(True), np.bool_(False)],
    "bool_and_true": lambda: [np.bool_(True), True],
    "true_and_i64": lambda: [True, np.int64(3)],
    "nested": lambda: [[np.float32(1), np.float32(2)], [np.float32(3), np.float32(4)]],
}


@pytest.mark.parametrize("name", sorted(_NP_LISTS))
def test_tensor_of_numpy_scalars(name):
    _same(*run_both(lambda L: [_out(L.tensor(_NP_LISTS[name]())),
                               _out(L.as_tensor(_NP_LISTS[name]()))]))


def test_tensor_of_numpy_scalars_with_a_dtype_and_rewards_list():
    rewards = [np.float64(r) for r in np.random.default_rng(0).standard_normal(50)]
    _same(*run_both(lambda L: [_out(L.tensor(rewards)), _out(L.tensor(rewards, dtype=L.float32)),
                               _out(L.FloatTensor(rewards))]))


def test_tensor_of_unsupported_numpy_scalars_keeps_pytorch_error():
    same_error_case(lambda L: L.tensor([np.str_("a"), np.str_("b")]))


# ---- max / min over a dim ------------------------------------------------------------------

_EXTREMA = np.array([[1.0, 3.0, 3.0], [np.nan, 2.0, np.nan], [-0.0, 0.0, -1.0],
                     [5.0, 5.0, 5.0]], np.float32)


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_dim_values_indices_and_grad(op, dim, keepdim):
    def run(L):
        x = L.from_numpy(_EXTREMA.copy()).requires_grad_()
        v, i = getattr(x, op)(dim=dim, keepdim=keepdim)
        v2, i2 = getattr(L, op)(seeded(L, (3, 4, 2)), dim, keepdim)
        w = L.where(v.isnan(), 0.0, v)
        w.sum().backward()
        return [_out(v), _out(i), _out(v2), _out(i2), _out(x.grad), v.grad_fn.name(),
                np.signbit(v.detach().numpy()).tolist()]
    _same(*run_both(run))


def test_max_dim_of_ints_and_0d_and_errors():
    def run(L):
        a = L.tensor([[3, 1], [2, 9]])
        v, i = a.max(1)
        s, j = L.tensor(2.5).max(0)
        return [_out(v), _out(i), _out(s), _out(j), _out(a.min(0).values)]
    _same(*run_both(run))
    same_error_case(lambda L: L.ones(2, 0).max(1))
    same_error_case(lambda L: L.ones(2, 3).max(2))


# ---- var / std -----------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kw", [{}, {"dim": 0}, {"dim": 1, "keepdim": True}, {"dim": (0, 1)},
                                {"dim": 0, "correction": 0}, {"unbiased": False}])
def test_var_std_values_and_grad(dtype, kw):
    def run(L):
        x = seeded(L, (64, 3), dtype=dtype, grad=True)
        s, v = x.std(**kw), x.var(**kw)
        (s.sum() + v.sum()).backward()
        return [_out(s), _out(v), _out(x.grad)]
    want, got = run_both(run)
    for w, g in zip(want, got):
        assert w[:2] == g[:2]
    if dtype == np.float32:  # both round one float64 accumulation to float32: equal bits
        _same(want[:2], got[:2])
    else:  # float64 has no wider accumulator: PyTorch's Welford and two passes differ in ulps
        for w, g in zip(want[:2], got[:2]):
            np.testing.assert_allclose(g[2], w[2], rtol=2e-15, atol=0)
    # the gradient's mean is a float32 sum, which PyTorch adds in another order
    np.testing.assert_allclose(got[2][2], want[2][2], rtol=1e-5, atol=1e-6)


def test_returns_normalisation_of_reinforce():
    def run(L):
        returns = L.tensor([0.99 ** k * 10 for k in range(40)])
        eps = float(np.finfo(np.float32).eps)
        return [_out(returns.std()), _out((returns - returns.mean()) / (returns.std() + eps))]
    want, got = run_both(run)
    _same(want[:1], got[:1])
    # mean() is a float32 sum, which PyTorch adds in another order (1 ulp of 8.28)
    np.testing.assert_allclose(got[1][2], want[1][2], rtol=0, atol=2e-6)


def test_std_of_a_lone_sample_warns_and_is_nan():
    _same(*run_both(lambda L: [_out(L.tensor([2.0]).std()), _out(L.ones(1, 3).std(0))]))


# ---- randperm ------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [0, 1, 2, 3, 17, 128, 512, 2049])
def test_randperm_matches_pytorch_stream(n):
    def run(L):
        L.manual_seed(3)
        p = L.randperm(n)
        q = L.randperm(n, dtype=L.int32)
        return [_out(p), _out(q), _out(L.rand(3))]
    _same(*run_both(run))


def test_randperm_with_a_generator():
    def run(L):
        g = L.Generator().manual_seed(11)
        return [_out(L.randperm(300, generator=g)), _out(L.randperm(5, generator=g))]
    _same(*run_both(run))


# ---- state_dict with and without extra state -----------------------------------------------

def test_state_dict_keys_and_extra_state_round_trip():
    def run(L):
        class Scaled(L.nn.Linear):
            def get_extra_state(self):
                return {"scale": 2}

            def set_extra_state(self, state):
                self.loaded = state

        L.manual_seed(0)
        net = L.nn.Sequential(L.nn.Linear(4, 8), L.nn.Tanh(), Scaled(8, 2), L.nn.BatchNorm1d(2))
        tgt = L.nn.Sequential(L.nn.Linear(4, 8), L.nn.Tanh(), Scaled(8, 2), L.nn.BatchNorm1d(2))
        sd = net.state_dict()
        res = tgt.load_state_dict(sd)
        return [list(sd), str(res), tgt[2].loaded, _out(tgt[0].weight),
                list(net.state_dict(keep_vars=True))]
    _same(*run_both(run))


# ---- exponential draws (Categorical.sample's exponential race) -----------------------------

@pytest.mark.parametrize("n", [1, 7, 8, 9, 128, 1000])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_exponential_and_categorical_sample_match_pytorch_stream(n, dtype):
    def run(L):
        L.manual_seed(5)
        e = L.empty(n, dtype=getattr(L, dtype)).exponential_(1.5)
        c = L.distributions.Categorical(logits=seeded(L, (n, 3), seed=2)).sample()
        return [_out(e), _out(c), _out(L.rand(2))]
    _same(*run_both(run))
