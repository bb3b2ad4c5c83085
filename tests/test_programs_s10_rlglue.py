"""The glue around RL agents (CleanRL / SB3 / course notebooks: device boilerplate, observation
conversion, replay memory, checkpoint resume): the pieces where ember differed from PyTorch,
checked live against torch."""

import collections
import warnings

import numpy as np
import torch

import ember
from torch_compare import run_both


def test_cat_and_stack_take_only_a_list_or_tuple():
    # frame stacking with a deque, a generator of replay states: PyTorch's parser refuses any
    # iterable other than a list or tuple; ember joined them, so code written on it broke
    def cases(lib):
        z = lib.zeros(1, 2)
        frames = collections.deque([z, z], maxlen=4)
        return [
            lambda: lib.cat(s for s in [z, z]),
            lambda: lib.cat((s for s in [z, z]), 1),
            lambda: lib.stack(frames),
            lambda: lib.cat(frames),
            lambda: lib.cat(map(lambda s: s, [z, z])),
            lambda: lib.cat({0: z}.values()),
            lambda: lib.hstack(s for s in [z, z]),
            lambda: lib.vstack(s for s in [z, z]),
            lambda: lib.concat(s for s in [z, z]),
            lambda: lib.stack(list(frames)),  # the fix users write: fine in both
            lambda: lib.cat(tuple(frames), 1),
        ]
    for i in range(11):
        def go(lib, i=i):
            r = cases(lib)[i]()
            return tuple(r.shape)
        want, got = run_both(go)
        assert got == want, i


def test_list_led_by_zero_dim_ndarray_is_refused():
    # torch reads a list's shape from its first items, taking an ndarray there as a sequence:
    # a leading 0-d array fails len(); a 0-d array later in the list is a number
    cases = [
        lambda lib: lib.tensor([np.array(1.0), np.array(2.0)]),
        lambda lib: lib.tensor([np.array(3)]),
        lambda lib: lib.tensor([[np.array(1.0), 2.0]]),
        lambda lib: lib.Tensor([np.array(1.0)]),
        lambda lib: lib.as_tensor([np.array(1.0), np.array(2.0)]),
        lambda lib: lib.FloatTensor([np.array(1.0)]),
        lambda lib: lib.tensor([1.0, np.array(2.0)]),
        lambda lib: lib.tensor([np.float64(1.0), np.array(2.0)]),
    ]
    for i, case in enumerate(cases):
        def go(lib, case=case):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = case(lib)
            return str(r.dtype).replace("ember", "torch"), r.tolist()
        want, got = run_both(go)
        assert got == want, i


def test_legacy_constructor_refuses_dtype_and_requires_grad():
    # torch.Tensor(obs, dtype=torch.float64) is a TypeError in PyTorch; ember ignored the
    # keyword and made float32
    cases = [
        lambda lib: lib.Tensor(np.zeros(2), dtype=lib.float64),
        lambda lib: lib.Tensor([1.0], dtype=lib.float32),
        lambda lib: lib.Tensor(2, 3, dtype=lib.float64),
        lambda lib: lib.Tensor(dtype=lib.float32),
        lambda lib: lib.Tensor([1.0], requires_grad=True),
        lambda lib: lib.Tensor(lib.zeros(1), dtype=None),
        lambda lib: lib.Tensor([1.0], foo=1, device="cpu"),
        lambda lib: lib.LongTensor([1], dtype=lib.int64),
        lambda lib: lib.Tensor([1.0], device="cuda"),
        lambda lib: lib.FloatTensor(2, device="cuda:0"),
        lambda lib: lib.Tensor([1.0], device=lib.device("cpu")),  # fine in both
        lambda lib: lib.FloatTensor([1.0, 2.0], device="cpu"),
        lambda lib: lib.Tensor(data=[1.0]),
    ]
    for i, case in enumerate(cases):
        want, got = run_both(lambda lib, case=case: case(lib).tolist())
        assert got == want, i


def test_device_does_not_equal_a_string():
    # `if device == "cpu":` is always False in PyTorch (a device equals only a device)
    def go(lib):
        d = lib.device("cpu")
        return (d == "cpu", d != "cpu", "cpu" == d, d == lib.device("cpu"), d == 0,
                {d: 1}.get("cpu"), lib.device("cuda:0") == "cuda:0",
                lib.zeros(1).device == "cpu", lib.zeros(1).device == lib.device("cpu"))
    want, got = run_both(go)
    assert got == want


def test_set_rng_state_with_numpy_state_names_the_type():
    # resuming a checkpoint and mixing up 'rng' and 'np_rng'
    cases = [lambda lib: np.random.get_state(), lambda lib: np.zeros(5056, np.uint8),
             lambda lib: None, lambda lib: [1, 2], lambda lib: lib.zeros(5056)]
    for i, case in enumerate(cases):
        for setter in (lambda lib, s: lib.set_rng_state(s),
                       lambda lib, s: lib.random.set_rng_state(s),
                       lambda lib, s: lib.Generator().set_state(s)):
            want, got = run_both(lambda lib, case=case, setter=setter: setter(lib, case(lib)))
            assert got == want, i
