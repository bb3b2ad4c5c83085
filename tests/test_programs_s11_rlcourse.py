"""RL-course shaped programs (Spinning Up, Deep RL Hands-On, the Hugging Face course): the
pieces where ember differed from PyTorch, checked live against torch."""

import warnings

import gymnasium as gym
import numpy as np
import torch

import ember
from torch_compare import run_both


def _kind(r):
    """A result as (type, dtype, values), Tensor or NumPy alike."""
    if isinstance(r, (torch.Tensor, ember.Tensor)):
        return ("Tensor", str(r.dtype).replace("ember", "torch"), r.tolist())
    return (type(r).__name__, str(np.asarray(r).dtype), np.asarray(r).tolist())


def test_numpy_functions_on_a_tensor_give_a_tensor():
    # np.argmax(q_values) / np.clip(action, -2, 2) on a tensor: NumPy goes through the
    # tensor's method or __array_wrap__, so PyTorch hands back a Tensor, not an ndarray
    calls = [lambda x: np.clip(x, -1, 1), lambda x: np.clip(x, -1.0, None), np.argmax,
             np.argmin, lambda x: np.argmax(x, axis=1), np.round, np.around,
             lambda x: np.round(x, 1), np.argsort, np.square, np.cumsum,
             lambda x: np.cumsum(x, axis=0)]
    for fn in calls:
        want, got = run_both(lambda lib, fn=fn: _kind(fn(lib.tensor([[1.25, -2.0, 3.5],
                                                                      [0.5, 4.0, -1.0]]))))
        assert got == want
    # tensor bounds around an array: the result wraps in a Tensor all the same
    want, got = run_both(lambda lib: _kind(np.clip(np.array([2.0, -3.0]), lib.tensor(-1.0),
                                                   lib.tensor(1.0))))
    assert got == want
    # one that requires grad: NumPy's np.asarray(t) refuses it in both
    for fn in (lambda x: np.clip(x, -1, 1), np.argmax, np.argsort):
        want, got = run_both(lambda lib, fn=fn: _kind(fn(lib.tensor([1.5, -2.0],
                                                                    requires_grad=True))))
        assert got == want


def test_pendulum_given_a_tensor_action_returns_a_tensor_reward():
    # a DDPG learner forgetting .numpy(): Pendulum's np.clip(u, ...)[0] keeps it a Tensor
    def go(lib):
        env = gym.make("Pendulum-v1").unwrapped
        env.reset(seed=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            obs, r, *_ = env.step(lib.tensor([0.5]))
        return obs.dtype.name, obs.tolist(), _kind(r)
    want, got = run_both(go)
    assert got[0] == want[0] and got[2][:2] == want[2][:2]
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6)
    np.testing.assert_allclose(got[2][2], want[2][2], rtol=1e-6)


def test_gather_numpy_index_error_names_the_position():
    # q.gather(1, actions) with actions still a NumPy array
    idx = np.array([[0], [1]])
    cases = [lambda lib: lib.zeros(2, 2).gather(1, idx),
             lambda lib: lib.gather(lib.zeros(2, 2), 1, idx),
             lambda lib: lib.zeros(2, 2).gather(1, [[0], [1]])]
    for case in cases:
        want, got = run_both(case)
        assert got == want
    want, got = run_both(lambda lib: lib.zeros(2, 2).gather(1, lib.tensor([[1], [0]])).tolist())
    assert got == want


def test_linear_on_a_0d_state_reports_the_dims_before_the_dtype():
    # FrozenLake's int state fed straight to a Linear policy: net(torch.tensor(s))
    cases = [lambda lib: lib.nn.Linear(4, 2)(lib.tensor(3)),
             lambda lib: lib.nn.Linear(4, 2, bias=False)(lib.tensor(3)),
             lambda lib: lib.nn.Linear(4, 2)(lib.tensor(3.0, dtype=lib.float64)),
             lambda lib: lib.nn.functional.linear(lib.ones(4, dtype=lib.float64), lib.tensor(2.0))]
    for case in cases:
        want, got = run_both(case)
        assert got == want


def test_embedding_refuses_a_non_tensor_like_pytorch():
    idx = np.array([1, 3])
    cases = [lambda lib: lib.nn.Embedding(5, 2)(idx), lambda lib: lib.nn.Embedding(5, 2)([1]),
             lambda lib: lib.nn.functional.embedding(3, lib.ones(5, 2)),
             lambda lib: lib.nn.functional.embedding(lib.tensor([1]), np.ones((5, 2)))]
    for case in cases:
        want, got = run_both(case)
        assert got == want


def _warned(lib, fn):
    lib.set_warn_always(True)  # the warning is once a process in both
    try:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            out = fn()
    finally:
        lib.set_warn_always(False)
    return out.tolist(), [str(w.message).split(" (Triggered internally")[0] for w in seen]


def test_tensor_of_log_probs_that_require_grad_warns():
    # REINFORCE: torch.tensor(saved_log_probs) reads each as a Python float, with float()'s
    # warning (not under no_grad)
    def go(lib):
        lps = [lib.tensor(0.5, requires_grad=True) * k for k in (1, 2)]
        with lib.no_grad():
            quiet = _warned(lib, lambda: lib.tensor(lps))
        return (_warned(lib, lambda: lib.tensor(lps)), _warned(lib, lambda: lib.FloatTensor(lps)),
                quiet)
    want, got = run_both(go)
    assert got == want


def test_tensor_of_float_tensors_into_an_integer_dtype():
    # torch.LongTensor([action]) with a float tensor: PyTorch reads it as an index
    cases = [lambda lib: lib.LongTensor([lib.tensor(2.0)]),
             lambda lib: lib.tensor([lib.tensor(1.5), 1], dtype=lib.long),
             lambda lib: lib.tensor([lib.tensor(1.5)], dtype=lib.bool),
             lambda lib: lib.tensor([lib.tensor([1, 2])], dtype=lib.float32),
             lambda lib: lib.tensor([lib.tensor([1.0, 2.0])], dtype=lib.int32),
             lambda lib: lib.LongTensor([lib.tensor(2)]).tolist(),
             lambda lib: lib.tensor([lib.tensor(3), 1.5]).tolist()]
    for case in cases:
        want, got = run_both(case)
        assert got == want


def test_tensor_of_a_gymnasium_reset_pair():
    # torch.FloatTensor(env.reset()): the (obs, info) pair; the info dict's length is measured
    obs, info = gym.make("CartPole-v1").reset(seed=0)
    cases = [lambda lib: lib.FloatTensor((obs, info)),
             lambda lib: lib.tensor((obs, info), dtype=lib.float32),
             lambda lib: lib.FloatTensor([[1, 2], {"k": 1}]),
             lambda lib: lib.FloatTensor([[1, 2], set()]),
             lambda lib: lib.tensor((obs, info))]
    for case in cases:
        want, got = run_both(case)
        assert got == want


def test_numpy_scalar_index_on_q_values():
    # q_values[0][np.argmax(...)]: a NumPy integer reads as an int (a view, SelectBackward0);
    # NumPy floats and bools are refused by their NumPy type name
    def picked(fn):
        def go(lib):
            lib.manual_seed(0)
            q = lib.nn.Linear(4, 3)(lib.ones(2, 4))
            r = fn(q)
            return r.tolist(), r.grad_fn.name()
        return go
    cases = [lambda q: q[0][np.int64(2)], lambda q: q[np.int32(1), np.int64(2)],
             lambda q: q[np.int64(1)], lambda q: q[np.int64(1), 1:], lambda q: q[0][np.uint8(2)],
             lambda q: q[:, np.int64(-1)], lambda q: q[np.float64(1.0)],
             lambda q: q[np.float32(1.0)], lambda q: q[0][np.bool_(True)],
             lambda q: q[np.int64(5)]]
    for case in cases:
        want, got = run_both(picked(case))
        assert got == want
