"""Factories refuse a requires_grad= that is no bool as PyTorch's argument parser does
(session 23): ``zeros(2, requires_grad=1)`` is "zeros(): argument 'requires_grad' must be bool,
not int", the factories with several signatures (rand, arange, linspace, eye, the windows, ...)
list what the call gave ("rand() received an invalid combination of arguments - got (int,
requires_grad=int), ..."), None is False where the parser takes it (not for tensor(), range(),
frombuffer(), new_tensor(), sparse_coo_tensor()), and nn.Parameter's _make_subclass refuses
anything but a bool. Each case is compared with PyTorch 2.13 live: the refusals' type and first
line, the accepted values' requires_grad."""

import numpy as np
import pytest

from torch_compare import same, same_error_case

pytestmark = pytest.mark.filterwarnings("ignore")


def _t(lib):
    return lib.ones(2, 2)


FACTORIES = {
    "tensor": lambda lib, rg: lib.tensor([1.], requires_grad=rg),
    "asarray": lambda lib, rg: lib.asarray([1.], requires_grad=rg),
    "zeros": lambda lib, rg: lib.zeros(2, requires_grad=rg),
    "zeros_tuple": lambda lib, rg: lib.zeros((2, 3), requires_grad=rg),
    "ones": lambda lib, rg: lib.ones(2, requires_grad=rg),
    "empty": lambda lib, rg: lib.empty(2, requires_grad=rg),
    "full": lambda lib, rg: lib.full((2,), 1., requires_grad=rg),
    "zeros_like": lambda lib, rg: lib.zeros_like(_t(lib), requires_grad=rg),
    "ones_like": lambda lib, rg: lib.ones_like(_t(lib), requires_grad=rg),
    "empty_like": lambda lib, rg: lib.empty_like(_t(lib), requires_grad=rg),
    "full_like": lambda lib, rg: lib.full_like(_t(lib), 2., requires_grad=rg),
    "rand": lambda lib, rg: lib.rand(2, requires_grad=rg),
    "rand_tuple": lambda lib, rg: lib.rand((2,), requires_grad=rg),
    "randn": lambda lib, rg: lib.randn(2, 3, requires_grad=rg),
    "randint": lambda lib, rg: lib.randint(0, 3, (2,), requires_grad=rg),
    "randint_high": lambda lib, rg: lib.randint(3, (2,), requires_grad=rg),
    "randperm": lambda lib, rg: lib.randperm(3, requires_grad=rg),
    "rand_like": lambda lib, rg: lib.rand_like(_t(lib), requires_grad=rg),
    "randn_like": lambda lib, rg: lib.randn_like(_t(lib), requires_grad=rg),
    "randint_like": lambda lib, rg: lib.randint_like(_t(lib), 3, requires_grad=rg),
    "randint_like_low": lambda lib, rg: lib.randint_like(_t(lib), 0, 3, requires_grad=rg),
    "normal": lambda lib, rg: lib.normal(0., 1., (2,), requires_grad=rg),
    "arange": lambda lib, rg: lib.arange(3., requires_grad=rg),
    "arange2": lambda lib, rg: lib.arange(0., 3., requires_grad=rg),
    "arange3": lambda lib, rg: lib.arange(0., 3., 1., requires_grad=rg),
    "range": lambda lib, rg: lib.range(0., 3., requires_grad=rg),
    "linspace": lambda lib, rg: lib.linspace(0, 1, 3, requires_grad=rg),
    "logspace": lambda lib, rg: lib.logspace(0, 1, 3, requires_grad=rg),
    "eye": lambda lib, rg: lib.eye(2, requires_grad=rg),
    "eye2": lambda lib, rg: lib.eye(2, 3, requires_grad=rg),
    "empty_strided": lambda lib, rg: lib.empty_strided((2,), (1,), requires_grad=rg),
    "scalar_tensor": lambda lib, rg: lib.scalar_tensor(1., requires_grad=rg),
    "hann_window": lambda lib, rg: lib.hann_window(4, requires_grad=rg),
    "hann_window_periodic": lambda lib, rg: lib.hann_window(4, True, requires_grad=rg),
    "hamming_window": lambda lib, rg: lib.hamming_window(4, requires_grad=rg),
    "blackman_window": lambda lib, rg: lib.blackman_window(4, requires_grad=rg),
    "bartlett_window": lambda lib, rg: lib.bartlett_window(4, requires_grad=rg),
    "kaiser_window": lambda lib, rg: lib.kaiser_window(4, requires_grad=rg),
    "fftfreq": lambda lib, rg: lib.fft.fftfreq(4, requires_grad=rg),
    "rfftfreq": lambda lib, rg: lib.fft.rfftfreq(4, requires_grad=rg),
    "frombuffer": lambda lib, rg: lib.frombuffer(bytearray(8), dtype=lib.float32,
                                                 requires_grad=rg),
    "from_file": lambda lib, rg: lib.from_file("/dev/null", size=0, requires_grad=rg),
    "sparse_coo_tensor": lambda lib, rg: lib.sparse_coo_tensor([[0]], [1.], (2,),
                                                               requires_grad=rg),
    "tril_indices": lambda lib, rg: lib.tril_indices(3, 3, requires_grad=rg),
    "triu_indices": lambda lib, rg: lib.triu_indices(3, 3, requires_grad=rg),
    "new_tensor": lambda lib, rg: _t(lib).new_tensor([1.], requires_grad=rg),
    "new_zeros": lambda lib, rg: _t(lib).new_zeros(2, requires_grad=rg),
    "new_zeros_tuple": lambda lib, rg: _t(lib).new_zeros((2,), requires_grad=rg),
    "new_ones": lambda lib, rg: _t(lib).new_ones(2, requires_grad=rg),
    "new_empty": lambda lib, rg: _t(lib).new_empty(2, requires_grad=rg),
    "new_full": lambda lib, rg: _t(lib).new_full((2,), 1., requires_grad=rg),
    "new_empty_strided": lambda lib, rg: _t(lib).new_empty_strided((2,), (1,),
                                                                   requires_grad=rg),
    "Parameter": lambda lib, rg: lib.nn.Parameter(lib.ones(2), requires_grad=rg),
    "Parameter_positional": lambda lib, rg: lib.nn.Parameter(lib.ones(2), rg),
    "Parameter_no_data": lambda lib, rg: lib.nn.Parameter(None, rg),
    "make_tensor": lambda lib, rg: lib.testing.make_tensor(2, dtype=lib.float32, device="cpu",
                                                           requires_grad=rg),
}

REFUSED = {"int1": lambda lib: 1, "int0": lambda lib: 0, "float": lambda lib: 1.0,
           "str": lambda lib: "x", "numpy_bool": lambda lib: np.bool_(True),
           "numpy_bool_false": lambda lib: np.bool_(False), "tensor": lambda lib: lib.tensor(True)}
ACCEPTED = {"True": lambda lib: True, "False": lambda lib: False, "None": lambda lib: None}


@pytest.mark.parametrize("value", list(REFUSED))
@pytest.mark.parametrize("name", list(FACTORIES))
def test_refused_requires_grad(name, value):
    same_error_case(lambda lib: FACTORIES[name](lib, REFUSED[value](lib)))


@pytest.mark.parametrize("value", list(ACCEPTED))
@pytest.mark.parametrize("name", list(FACTORIES))
def test_bool_and_none_requires_grad(name, value):
    # True / False give the leaf's flag (or PyTorch's integer-dtype RuntimeError); None is
    # False, or refused, as PyTorch's parser decides per function
    same(lambda lib: FACTORIES[name](lib, ACCEPTED[value](lib)).requires_grad)


CALLS = [
    lambda lib: lib.rand(2, 3, dtype=lib.float32, requires_grad=1),
    lambda lib: lib.rand(2, requires_grad=1, dtype=lib.float32),
    lambda lib: lib.rand(size=(2,), requires_grad=1),
    lambda lib: lib.rand(requires_grad=1),
    lambda lib: lib.randn(2, generator=lib.Generator(), requires_grad=1),
    lambda lib: lib.linspace(0, 1, steps=3, requires_grad=1),
    lambda lib: lib.linspace(start=0, end=1, steps=3, requires_grad=1),
    lambda lib: lib.linspace(0, 1, 3, dtype=lib.float64, requires_grad=1),
    lambda lib: lib.linspace(0, 1, 3, requires_grad=1, dtype=lib.float64),
    lambda lib: lib.arange(0, 3, step=1, requires_grad=1),
    lambda lib: lib.eye(2, m=3, requires_grad=1),
    lambda lib: lib.eye(n=2, requires_grad=1),
    lambda lib: lib.hann_window(4, periodic=False, requires_grad=1),
    lambda lib: lib.kaiser_window(4, True, 12.0, requires_grad=1),
    lambda lib: lib.hamming_window(4, alpha=0.5, requires_grad=1.0),
    lambda lib: lib.rand_like(input=lib.ones(2), requires_grad=1),
    lambda lib: lib.randint(3, size=(2,), requires_grad=1),
    lambda lib: lib.randint(0, 3, (2,), dtype=lib.float32, requires_grad=1),
    lambda lib: lib.randperm(3, dtype=lib.int64, requires_grad=1),
    lambda lib: lib.normal(0., 1., size=(2,), requires_grad=1),
    lambda lib: lib.normal(lib.ones(2), 1., requires_grad=True),
    lambda lib: lib.normal(lib.ones(2), lib.ones(2), requires_grad=None),
    lambda lib: lib.sparse_coo_tensor([[0]], [1.], requires_grad=1),
    lambda lib: lib.sparse_coo_tensor([[0]], [1.], size=(2,), requires_grad=1),
    # the parser reads the arguments before requires_grad first; a later check comes after
    lambda lib: lib.zeros(-1, requires_grad=1),
    lambda lib: lib.zeros(2.5, requires_grad=1),
    lambda lib: lib.ones(2, 2.5, requires_grad=1),
    lambda lib: lib.zeros((2, 2.5), requires_grad=1),
    lambda lib: lib.zeros((2.5, 2), requires_grad=1),
    lambda lib: lib.zeros(size=(2, 2.5), requires_grad=1),
    lambda lib: lib.zeros(size=2.5, requires_grad=1),
    lambda lib: lib.zeros(2, dtype=np.float32, requires_grad=1),
    lambda lib: lib.zeros(2, device="cuda", requires_grad=1),
    lambda lib: lib.zeros_like([1.], requires_grad=1),
    lambda lib: lib.full((2,), "a", requires_grad=1),
    lambda lib: lib.arange(-1., 3, -1, requires_grad=1),
    lambda lib: lib.linspace(0, 1, -1, requires_grad=1),
    lambda lib: lib.eye(-1, requires_grad=1),
    lambda lib: lib.tensor([1], requires_grad=1),
    lambda lib: lib.zeros(2, dtype=lib.int64, requires_grad=1),
    lambda lib: lib.asarray(lib.ones(2), requires_grad=1),
    lambda lib: lib.fft.fftfreq(4, 0.5, requires_grad=1),
    lambda lib: lib.range(0, 3, requires_grad=None),
    lambda lib: lib.nn.Parameter(lib.ones(2), np.bool_(True)),
]


@pytest.mark.parametrize("i", range(len(CALLS)))
def test_refusal_wording_follows_the_call(i):
    same_error_case(CALLS[i])


ACCEPTED_CALLS = [
    lambda lib: lib.randint(3, (2,), requires_grad=None).requires_grad,
    lambda lib: lib.arange(3., requires_grad=None).requires_grad,
    lambda lib: lib.asarray(lib.ones(2), requires_grad=None).requires_grad,
    lambda lib: lib.fft.fftfreq(4, requires_grad=None).requires_grad,
    lambda lib: lib.nn.Parameter(lib.ones(2), False).requires_grad,
    lambda lib: lib.zeros(2, dtype=lib.float64, requires_grad=True).requires_grad,
    lambda lib: lib.normal(lib.ones(2), 1.).requires_grad,
]


@pytest.mark.parametrize("i", range(len(ACCEPTED_CALLS)))
def test_accepted_calls(i):
    same(ACCEPTED_CALLS[i])
