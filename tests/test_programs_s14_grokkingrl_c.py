"""Session 14 (Grokking Deep RL / Deep RL Hands-On sweep): the exact parts of those update
steps, the fixes (var/std of a whole tensor in PyTorch's order; NumPy arrays of a type
neither library holds), and the mistakes learners make with that code, on ember and torch."""

import gymnasium as gym
import numpy as np
import torch
from torch_compare import run_both, same_error_case

import ember


def _leaf(L, shape, seed, scale=1.0):
    a = np.random.default_rng(seed).standard_normal(shape).astype(np.float32) * scale
    return L.tensor(a, requires_grad=True)


def _arrays(out):
    return [np.asarray(o.detach().numpy() if hasattr(o, "detach") else o) for o in out]


def _same(fn):
    want, got = (_arrays(r) for r in (fn(torch), fn(ember)))
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)


# ---- element-wise tails of the updates: bit for bit, values and gradients -----------------

def _sac_tail(L):
    """FCGP.full_pass after the network, the alpha loss and the policy loss."""
    mean, log_std = _leaf(L, (64, 2), 0), _leaf(L, (64, 2), 1, 3.0)
    L.manual_seed(0)
    env_min, env_max = L.tensor(np.array([-2.0, -1.0]), dtype=L.float32), L.tensor([2.0, 1.0])
    nn_min, nn_max = L.tanh(L.Tensor([float("-inf")])), L.tanh(L.Tensor([float("inf")]))
    pi = L.distributions.Normal(mean, L.clamp(log_std, -20, 2).exp())
    pre = pi.rsample()
    th = L.tanh(pre)
    action = (th - nn_min) * (env_max - env_min) / (nn_max - nn_min) + env_min
    lp = (pi.log_prob(pre) - L.log((1 - th.pow(2)).clamp(0, 1) + 1e-6)).sum(dim=1, keepdim=True)
    logalpha = L.zeros(1, requires_grad=True)
    alpha_loss = -(logalpha * (lp - np.prod(env_max.shape)).detach()).mean()
    alpha_loss.backward()
    q = _leaf(L, (64, 1), 5)
    loss = (logalpha.exp() * lp - q).mean() + action.pow(2).mean()
    loss.backward()
    # (not log_std.grad: it passes exp's backward, where PyTorch's Sleef expf can be an ulp
    # off the correctly rounded exp ember takes; README, known gaps)
    return pre, action, lp, alpha_loss, logalpha.grad, loss, mean.grad, q.grad


def _dueling_per_tail(L):
    a, v = _leaf(L, (32, 3), 9), _leaf(L, (32, 1), 10)
    q = v.expand_as(a) + a - a.mean(1, keepdim=True).expand_as(a)
    acts = L.tensor(np.random.default_rng(11).integers(0, 3, (32, 1)))
    w = L.tensor(np.random.default_rng(12).random((32, 1))).float()
    td = q.gather(1, acts) - L.tensor(np.random.default_rng(13).standard_normal((32, 1))).float()
    loss = (w * td).pow(2).mul(0.5).mean()
    loss.backward()
    return q, loss, a.grad, v.grad


def _clip_polyak_tail(L):
    on, tg = L.nn.Linear(5, 4), L.nn.Linear(5, 4)
    with L.no_grad():
        for i, p in enumerate(list(on.parameters()) + list(tg.parameters())):
            p.copy_(L.from_numpy(np.random.default_rng(i).standard_normal(tuple(p.shape))
                                 .astype(np.float32)))
    x = L.from_numpy(np.random.default_rng(9).standard_normal((8, 5)).astype(np.float32))
    on(x).pow(2).sum().backward()
    norm = L.nn.utils.clip_grad_norm_(on.parameters(), 0.5)
    g1 = [p.grad.clone() for p in on.parameters()]
    L.nn.utils.clip_grad_value_(on.parameters(), 0.7)
    L.optim.Adam(on.parameters(), lr=0.01).step()
    for t, o in zip(tg.parameters(), on.parameters()):
        t.data.copy_(0.005 * o.data + (1 - 0.005) * t.data)
    return [norm] + g1 + [p.grad for p in on.parameters()] + list(tg.parameters())


def test_update_tails_match_bit_for_bit():
    for fn in (_sac_tail, _dueling_per_tail, _clip_polyak_tail):
        _same(fn)


# ---- var/std of a whole tensor: PyTorch's two-pass loop ------------------------------------

def _stats(L, a, transpose=False, correction=1):
    t = L.from_numpy(a.copy())
    t = t.t() if transpose else t
    return (t.std(), t.var(), t.var(correction=correction), t.std(unbiased=False),
            t.var(dim=None, keepdim=True), L.std(t, correction=correction))


def test_float64_std_is_pytorchs_to_the_last_bit():
    # GDRL's PPO normalises float64 advantages: (gaes - gaes.mean()) / (gaes.std() + EPS).
    # NumPy's pairwise sum of squares put ~70% of float64 std/var one ulp from PyTorch's.
    rng = np.random.default_rng(0)
    for n in (2, 6, 48, 64, 300, 2048):
        a = rng.standard_normal(n) * rng.choice([1e-3, 1.0, 1e3]) + rng.choice([0.0, 5.0])
        for c in (0, 1, 2):
            _same(lambda L: _stats(L, a, correction=c))
        _same(lambda L: _stats(L, a.reshape(2, -1), transpose=True))
        _same(lambda L: [(lambda g: (g - g.mean()) / (g.std() + 1e-6))(L.from_numpy(a))])


def test_float32_var_with_a_far_off_mean():
    # PyTorch centres on the float32 mean: with |mean| >> std its rounding shows in var
    rng = np.random.default_rng(1)
    for n in (16, 100, 1000):
        a = (rng.standard_normal(n) * 1e-3 - 100).astype(np.float32)
        _same(lambda L: _stats(L, a))
        _same(lambda L: _stats(L, a.reshape(-1, 2), transpose=True))


# ---- NumPy arrays of a type neither library holds ------------------------------------------

def test_numpy_types_neither_library_holds():
    # float128 discounts (GDRL's PPO: np.logspace(..., dtype=np.float128)), object arrays of
    # a replay memory: PyTorch refuses them in every constructor, even with dtype=
    for a in (np.logspace(0, 3, 3, base=0.99, dtype=np.float128),
              np.array([np.array([1.0]), np.array([2.0, 3.0])], dtype=object),
              np.array([1.0, 2.0], dtype=object), np.array(["a"])):
        for make in (lambda L: L.tensor(a), lambda L: L.tensor(a, dtype=L.float32),
                     lambda L: L.FloatTensor(a), lambda L: L.Tensor(a),
                     lambda L: L.as_tensor(a, dtype=L.float32), lambda L: L.from_numpy(a),
                     lambda L: L.ones(1).new_tensor(a)):
            same_error_case(make)


# ---- mistakes learners make with this code -------------------------------------------------

def _net(L):
    return L.nn.Sequential(L.nn.Linear(4, 8), L.nn.ReLU(), L.nn.Linear(8, 2))


ERRORS = [
    lambda L: L.nn.CrossEntropyLoss()(_net(L)(L.ones(5, 4)), L.FloatTensor([0, 1, 1, 0, 1])),
    lambda L: L.nn.CrossEntropyLoss()(_net(L)(L.ones(2, 4)), L.FloatTensor([[0], [1]])),
    lambda L: L.arange(3.).__setitem__(L.ByteTensor(np.array([1, 0, 1], np.uint8)), 0.0),
    lambda L: _net(L)(L.tensor(np.ones((3, 4)))),  # float64 states into a float32 net
    lambda L: L.ones(3, 2).gather(1, L.tensor([0, 1, 0])),  # actions without unsqueeze(1)
    lambda L: L.ones(3).item(),
    lambda L: L.from_numpy([1.0, 2.0]),
    lambda L: L.tensor(gym.make("CartPole-v1").reset(seed=0), dtype=L.float32),  # (obs, info)
    lambda L: L.FloatTensor([gym.make("CartPole-v1").reset(seed=0)]),
    # (validate_args given: another test may have changed the process-wide default)
    lambda L: L.distributions.Categorical(logits=L.zeros(3, 2), validate_args=True).log_prob(
        L.tensor([0, 2, 1])),
    lambda L: L.distributions.Categorical(logits=L.zeros(3, 2), validate_args=False).log_prob(
        L.tensor([0, 2, 1])),
    lambda L: L.distributions.Categorical(logits=L.zeros(3, 2), validate_args=True).log_prob(
        L.tensor([0.5, 1, 1])),
    lambda L: L.distributions.Normal(L.zeros(1, 1), L.full((1, 1), -float("inf")).exp(),
                                     validate_args=True),
    lambda L: np.argmax(_net(L)(L.ones(1, 4))),  # logits without .detach()
    lambda L: np.array([_net(L)(L.ones(1, 4))[0, 0], L.tensor(1.0)]),
    lambda L: L.cat([1.0, 2.0]),  # logpas appended as floats
    lambda L: L.nn.Linear(4, 3).weight.data.copy_(L.nn.Linear(4, 2).weight.data * 0.5),
    lambda L: L.nn.Linear(4, 3).load_state_dict(L.nn.Linear(4, 2).state_dict()),
    lambda L: [a.copy_(0.5 * a) for a in L.nn.Linear(2, 2).parameters()],  # no .data
    lambda L: L.ones(3, 2).expand_as(L.ones(3, 4)),
    lambda L: L.tensor([1.0], device="cuda:0"),
    lambda L: (lambda y: (y.backward(), y.backward()))(L.ones(2, requires_grad=True).exp().sum()),
    lambda L: (lambda p: setattr(p, "grad", L.ones(3)))(L.nn.Parameter(L.zeros(2, 2))),
]


def test_learner_mistakes_raise_pytorchs_errors():
    for case in ERRORS:
        same_error_case(case)


def _values(L):
    logits = L.tensor([[0.2, 0.1]])
    explore = L.tensor([1]) != np.argmax(logits.detach().numpy())
    with_warning = L.nn.MSELoss()(L.ones(4, 1), L.zeros(4))  # target (4,) against (4, 1)
    m = L.nn.Linear(2, 2)
    m(L.ones(1, 2) * 10).sum().backward()
    clipped = L.nn.utils.clip_grad_value_(m.parameters(), 0.5)
    none_norm = L.nn.utils.clip_grad_norm_(L.nn.Linear(2, 2).parameters(), 1.0)
    return [repr(explore), explore.item(), type(explore.item()).__name__, repr(with_warning),
            clipped, repr(m.weight.grad), repr(none_norm), -np.prod(L.zeros(2, 1).shape),
            repr(L.min(L.ones(3, 2), L.tensor(np.array([0.5, 0.25])))),
            repr(L.distributions.Categorical(logits=L.zeros(2, 3))),
            repr(L.FloatTensor(np.logspace(0, 3, num=3, base=0.99, endpoint=False)))]


def test_learner_values_and_reprs():
    want, got = run_both(_values)
    assert got == want
