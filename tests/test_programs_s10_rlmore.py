"""RL beyond DQN/PPO (AlphaZero policy/value nets, imitation, offline RL, evolution strategies,
curiosity, world models, multi-agent critics) and the learner mistakes around them: where
ember differed from PyTorch, checked live against torch."""

import numpy as np
import torch

import ember
from torch_compare import error_of, run_both


def _both_errors(case):
    want, got = error_of(lambda: case(torch)), error_of(lambda: case(ember))
    assert got == want, f"ember: {got}\ntorch: {want}"


def test_logsumexp_without_dim_names_the_missing_argument():
    # a CQL loss typed as torch.logsumexp(q) (dim forgotten): PyTorch's parser names "dim"
    for case in (lambda lib: lib.logsumexp(lib.ones(2, 3)),
                 lambda lib: lib.ones(2, 3).logsumexp(),
                 lambda lib: lib.special.logsumexp(lib.ones(2, 3)),
                 lambda lib: lib.logsumexp(lib.ones(2, 3), None)):
        _both_errors(case)
    want, got = run_both(lambda lib: lib.special.logsumexp(lib.ones(2, 3), 1).tolist())
    assert got == want


def test_parameters_to_vector_given_the_module_itself():
    # ES code passing the model where model.parameters() belongs: PyTorch reads .device first
    def cases(lib):
        m = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.ReLU())
        u = lib.nn.utils
        return [lambda: u.parameters_to_vector(m),
                lambda: u.vector_to_parameters(lib.zeros(6), m),
                lambda: u.vector_to_parameters(lib.zeros(6), [lib.zeros(2), 3]),
                lambda: u.parameters_to_vector(m.state_dict()),
                lambda: u.parameters_to_vector([1.0])]
    for i in range(5):
        _both_errors(lambda lib, i=i: cases(lib)[i]())


def test_categorical_repr_after_entropy_mean_and_expand():
    # an ICM/PPO loop prints its dist after taking the entropy bonus: PyTorch's entropy (and
    # mean, variance) cache probs, so the repr lists both parameters, as does an expand
    def go(lib, op):
        lib.manual_seed(0)
        d = lib.distributions.Categorical(logits=lib.randn(3, 4))
        if op == "entropy":
            d.entropy()
        elif op == "mean":
            d.mean
        elif op == "variance":
            d.variance
        elif op == "expand":
            d.entropy()
            d = d.expand((2, 3))
        return repr(d), str(d.entropy().dtype).replace("ember", "torch")
    for op in ("entropy", "mean", "variance", "expand", "none"):
        want, got = run_both(lambda lib, op=op: go(lib, op))
        assert got == want, op


def test_gumbel_softmax_of_integer_logits_is_refused():
    # MADDPG code handing gumbel_softmax the argmax actions: PyTorch's exponential_ refuses
    for dt in ("int64", "bool", "uint8"):
        _both_errors(lambda lib, dt=dt: lib.nn.functional.gumbel_softmax(
            lib.zeros(3, dtype=getattr(lib, dt)), hard=True))
    want, got = run_both(lambda lib: str(lib.nn.functional.gumbel_softmax(
        lib.zeros(3, dtype=lib.float16)).dtype).replace("ember", "torch"))
    assert got == want


def test_masked_fill_refuses_non_tensor_masks_and_values():
    # illegal-move masking with a NumPy mask, or a None fill value: PyTorch's parser refuses,
    # worded for the method (self left out), the function, and the in-place method
    m = np.array([True, False])
    for case in (lambda lib: lib.zeros(2).masked_fill(m, 1.0),
                 lambda lib: lib.masked_fill(lib.zeros(2), m, 1.0),
                 lambda lib: lib.zeros(2).masked_fill([True, False], 1.0),
                 lambda lib: lib.zeros(2).masked_fill(lib.tensor([True, False]), "a"),
                 lambda lib: lib.zeros(2).masked_fill(lib.tensor([True, False]), None),
                 lambda lib: lib.zeros(2).masked_fill(lib.tensor([True, False]), np.array(2.0)),
                 lambda lib: lib.zeros(2).masked_fill_(lib.tensor([True, False]), None),
                 lambda lib: lib.zeros(2, 3).masked_fill_(lib.ones(3, 2, dtype=lib.bool), None),
                 lambda lib: lib.zeros(2).masked_fill(lib.tensor([True, False]), 2 ** 64),
                 lambda lib: lib.zeros(2).masked_fill(lib.tensor([True, False]), -2 ** 63 - 1),
                 lambda lib: lib.zeros(2).masked_fill(lib.tensor([True, False])),
                 lambda lib: lib.zeros(2).masked_fill(),
                 lambda lib: lib.zeros(2).masked_fill(lib.tensor([True, False]), 1.0, 2.0),
                 lambda lib: lib.masked_fill(lib.zeros(2), lib.tensor([True, False])),
                 lambda lib: lib.zeros(2).masked_fill_(lib.tensor([True, False]))):
        _both_errors(case)
    for case in (lambda lib: lib.zeros(2).masked_fill(lib.tensor([True, False]), np.float64(2)),
                 lambda lib: lib.zeros(2).masked_fill(mask=lib.tensor([True, False]), value=1.0),
                 lambda lib: lib.masked_fill(input=lib.zeros(2), mask=lib.tensor([True, False]),
                                             value=2.0)):
        want, got = run_both(lambda lib, case=case: case(lib).tolist())
        assert got == want


def test_masked_fill_checks_the_value_fits_the_dtype():
    # -inf into an int64 tensor of logits-as-counts, 1e39 into float32: PyTorch's checked
    # conversion refuses (float16 as c10::Half); uint8 wraps small negatives
    values = [2 ** 63, -2 ** 63, 300, -1, -300, 1.5, float("inf"), float("nan"), 1e39, 1 + 1j,
              1 + 0j, 127.9, -128.5, 65519.0, np.float32(np.inf), np.int64(5), True]
    for dt in ("float32", "float64", "int64", "int32", "uint8", "int8", "bool", "float16"):
        for v in values:
            def go(lib, v=v, dt=dt):
                x = lib.zeros(2, dtype=getattr(lib, dt)).masked_fill(lib.tensor([True, False]), v)
                return x.tolist()
            want, got = run_both(go)
            assert got == want or (want[0] != want[0] and got[0] != got[0]), (dt, v, got, want)
    for v in (1e39, float("inf"), 300):  # a 0-d tensor value is checked as its item
        def go(lib, v=v):
            val = lib.tensor(v, dtype=lib.float64)
            return lib.zeros(2, dtype=lib.uint8).masked_fill(lib.tensor([True, False]),
                                                              val).tolist()
        want, got = run_both(go)
        assert got == want, v


def test_masked_fill_inplace_broadcast_error_names_self_first():
    for case in (lambda lib: lib.zeros(2, 3).masked_fill_(lib.ones(3, 2, dtype=lib.bool), 1),
                 lambda lib: lib.zeros(2, 3).masked_fill_(lib.ones(2, 2, 3, dtype=lib.bool), 1),
                 lambda lib: lib.zeros(2, 3).masked_fill(lib.ones(3, 2, dtype=lib.bool), 1),
                 lambda lib: lib.zeros(2, 3).masked_fill_(lib.ones(3, 2, dtype=lib.long), 1),
                 lambda lib: lib.zeros(2, dtype=lib.long).masked_fill_(
                     lib.ones(3, dtype=lib.bool), 2 ** 64)):
        _both_errors(case)
    want, got = run_both(lambda lib: lib.zeros(2, 3).masked_fill_(
        lib.ones(3, dtype=lib.bool), 1).tolist())
    assert got == want


def test_one_hot_refuses_non_tensors_and_empty_inputs_without_a_class_count():
    # F.one_hot(actions) with a list/ndarray of actions; an empty batch with num_classes 0
    empty = np.zeros(0, np.int64)
    for case in (lambda lib: lib.nn.functional.one_hot(np.array([1, 2]), 3),
                 lambda lib: lib.nn.functional.one_hot([1, 2], 3),
                 lambda lib: lib.nn.functional.one_hot(None),
                 lambda lib: lib.nn.functional.one_hot(lib.from_numpy(empty), 0),
                 lambda lib: lib.nn.functional.one_hot(lib.from_numpy(empty), -2),
                 lambda lib: lib.nn.functional.one_hot(lib.tensor([1, 2]), 3.0)):
        _both_errors(case)
    for k in (3, -1):
        want, got = run_both(lambda lib, k=k: lib.nn.functional.one_hot(
            input=lib.tensor([0, 2]), num_classes=k).tolist())
        assert got == want
    want, got = run_both(lambda lib: tuple(lib.nn.functional.one_hot(
        lib.from_numpy(empty), 3).shape))
    assert got == want
