"""Every way of making a tensor on (or moving one to) a device other than the CPU fails as on a
CPU-only PyTorch 2.13: the same error type and first line, never a silent CPU tensor. ember
adds a hint line (or, for 'meta', where PyTorch makes a data-less tensor, its own error)."""

import pytest
import torch

import ember

MAKERS = {
    "zeros": lambda T, d: T.zeros(2, device=d),
    "tensor": lambda T, d: T.tensor([1.0], device=d),
    "rand": lambda T, d: T.rand(2, device=d),
    "randn": lambda T, d: T.randn(2, device=d),
    "randint": lambda T, d: T.randint(0, 3, (2,), device=d),
    "randperm": lambda T, d: T.randperm(3, device=d),
    "normal": lambda T, d: T.normal(0.0, 1.0, (2,), device=d),
    "arange": lambda T, d: T.arange(3, device=d),
    "linspace": lambda T, d: T.linspace(0, 1, 3, device=d),
    "logspace": lambda T, d: T.logspace(0, 1, 3, device=d),
    "eye": lambda T, d: T.eye(2, device=d),
    "zeros_like": lambda T, d: T.zeros_like(T.ones(2), device=d),
    "ones_like": lambda T, d: T.ones_like(T.ones(2), device=d),
    "full_like": lambda T, d: T.full_like(T.ones(2), 3.0, device=d),
    "rand_like": lambda T, d: T.rand_like(T.ones(2), device=d),
    "randn_like": lambda T, d: T.randn_like(T.ones(2), device=d),
    "randint_like": lambda T, d: T.randint_like(T.ones(2), 3, device=d),
    "new_zeros": lambda T, d: T.ones(2).new_zeros(2, device=d),
    "new_ones": lambda T, d: T.ones(2).new_ones(2, device=d),
    "new_full": lambda T, d: T.ones(2).new_full((2,), 1.0, device=d),
    "new_tensor": lambda T, d: T.ones(2).new_tensor([1.0], device=d),
    "as_tensor": lambda T, d: T.as_tensor([1.0], device=d),
    "Linear": lambda T, d: T.nn.Linear(2, 2, device=d),
    "Generator": lambda T, d: T.Generator(device=d),
}
MOVERS = {
    "Tensor.to": lambda T, d: T.ones(2).to(d),
    "Tensor.to(device=)": lambda T, d: T.ones(2).to(device=d),
    "Module.to": lambda T, d: T.nn.Linear(2, 2).to(d),
}


def _first_line(fn):
    """The error's type and first sentence (PyTorch's MPS line goes on to list every
    dispatch key it was built with)."""
    try:
        fn()
    except BaseException as exc:  # noqa: B036 - AssertionError is PyTorch's type for cuda
        return type(exc).__name__, str(exc).splitlines()[0].split(". ")[0]
    return None


@pytest.mark.parametrize("device", ["cuda", "cuda:1", "mps"])
@pytest.mark.parametrize("name", sorted({**MAKERS, **MOVERS}))
def test_non_cpu_device_fails_as_in_pytorch(name, device):
    make = {**MAKERS, **MOVERS}[name]
    want = _first_line(lambda: make(torch, device))
    assert want is not None  # a CPU-only PyTorch refuses every one of these
    assert _first_line(lambda: make(ember, device)) == want


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_meta_device_is_refused_with_ember_reason(name):
    if name == "Generator":  # PyTorch refuses a meta generator itself
        assert _first_line(lambda: MAKERS[name](torch, "meta")) == \
            _first_line(lambda: MAKERS[name](ember, "meta"))
        return
    assert _first_line(lambda: MAKERS[name](torch, "meta")) is None  # PyTorch: no data
    with pytest.raises(NotImplementedError, match="^ember has no 'meta' device"):
        MAKERS[name](ember, "meta")


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_cpu_device_spellings_work(name):
    for d in ("cpu", "cpu:0", ember.device("cpu")):
        MAKERS[name](ember, d)


@pytest.mark.parametrize("device", ["gpu", "tpu:0", 0, 1, -1])
@pytest.mark.parametrize("make", [lambda L, d: L.device(d), lambda L, d: L.zeros(2, device=d),
                                  lambda L, d: L.ones(2).to(d)])
def test_unknown_device_strings_and_bare_indices(make, device):
    """A misspelt device type lists PyTorch's device types; a bare int is an accelerator's
    index, refused on a machine without one."""
    want = _first_line(lambda: make(torch, device))
    assert want is not None
    assert _first_line(lambda: make(ember, device)) == want
