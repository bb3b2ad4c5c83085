"""Session 18: Atcold/NYU-DLSP20 / NYU-DLSP21 (tensor tutorial, spiral classification,
regression, convnet, sequence classification, autoencoder, VAE, Bayesian NN, transformer,
regularization) and dataflowr/notebooks (basics, linear regression, dropout, batchnorm,
RNN) (tests/s18_nyudata_progs*.py) transcribed as users type the notebooks' code cells,
run on ember and on torch 2.13 and compared live: printed lines (tensor and model reprs,
loss lines with 4 decimals), warnings, dtypes, shapes and errors (type and first line)
exactly, values to rtol 1e-5 / atol 1e-6."""

import numpy as np
import pytest
import s18_nyudata_progs as A
import s18_nyudata_progs_b as B
import s18_nyudata_progs_c as C
import s18_nyudata_progs_d as D
import s18_nyudata_progs_e as E
from torch_compare import check_program, run_both, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.tensor_tutorial, A.spiral_classification, A.regression, A.convnet,
         B.seq_classification, B.vae, B.autoencoder, C.transformer, C.regularization,
         D.basics, D.dropout_intro, D.batchnorm_simple, D.bayesian_nn,
         E.linear_reg, E.rnn_parenthesis]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    if prog is A.spiral_classification:  # it prints meshgrid's once-a-process warning
        use_up_once_warnings(lambda L: L.meshgrid(L.ones(2), L.ones(2)))
    check_program(prog, 0, RTOL, ATOL)


def test_module_public_names_are_pytorchs():
    """06-convnet's `print(dir(model_cnn))`: nn.Module's public attributes. ember lacked
    T_destination, compile, ipu, mtia, set_submodule, to_empty and xpu."""
    def prog(L):
        class Net(L.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = L.nn.Linear(2, 3)
        return [n for n in dir(Net()) if not n.startswith("_")]
    want, got = run_both(prog)
    assert got == want


@pytest.mark.parametrize("case", range(9))
def test_set_submodule(case):
    """Module.set_submodule: replaces or adds a child under an existing parent; PyTorch's
    errors for an empty target, a non-module, a non-module at the path, strict misses."""
    def prog(L):
        nn = L.nn
        s = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU()))
        call = [lambda: s.set_submodule("1.0", nn.Tanh()),
                lambda: s.set_submodule("1.5", nn.Tanh()),
                lambda: s.set_submodule("2", nn.Tanh()),
                lambda: s.set_submodule("0.weight", nn.Tanh()),
                lambda: s.set_submodule("", nn.Tanh()),
                lambda: s.set_submodule("1", 3),
                lambda: s.set_submodule("1.7", nn.Tanh(), strict=True),
                lambda: s.set_submodule("1.0", nn.Tanh(), strict=True),
                lambda: s.set_submodule("3.0", nn.Tanh())][case]
        try:
            r = call()
        except Exception as e:  # noqa: BLE001 - compared across libraries
            return (type(e).__name__, str(e).splitlines()[0])
        return [r, repr(s)]
    want, got = run_both(prog)
    assert got == want


@pytest.mark.parametrize("method", ["xpu", "ipu", "mtia"])
@pytest.mark.parametrize("holds", [True, False])
def test_module_to_missing_accelerator(method, holds):
    """module.xpu() / .ipu() / .mtia() on a CPU build: PyTorch's error from the first tensor
    moved; a module without tensors comes back unchanged."""
    def prog(L):
        m = L.nn.Linear(2, 3) if holds else L.nn.ReLU()
        try:
            return getattr(m, method)() is m
        except Exception as e:  # noqa: BLE001 - compared across libraries
            return (type(e).__name__, str(e).splitlines()[0])
    want, got = run_both(prog)
    assert got == want


def test_module_to_empty_and_compile():
    """to_empty(device='cpu') keeps parameters' shapes, dtypes, Parameter type and
    requires_grad (values uninitialised); Module.compile() returns None and the module still
    runs; compile's conflicting mode/options raise as torch.compile does."""
    def prog(L):
        m = L.nn.Linear(2, 3).double().to_empty(device="cpu")
        out = [(type(p).__name__, tuple(p.shape), str(p.dtype), p.requires_grad)
               for p in m.parameters()]
        c = L.nn.Linear(2, 3)
        out.append(c.compile())
        out.append(tuple(c(L.ones(4, 2)).shape))
        try:
            c.compile(mode="default", options={})
        except Exception as e:  # noqa: BLE001 - compared across libraries
            out.append((type(e).__name__, str(e).splitlines()[0]))
        return out
    want, got = run_both(prog)
    assert got == want


_DROPOUTS = ["dropout", "dropout_", "alpha_dropout", "alpha_dropout_", "feature_alpha_dropout",
             "feature_alpha_dropout_", "feature_dropout", "feature_dropout_"]
_DROPOUT_CALLS = [((0.8,), {}), ((), {}), ((1.5, True), {}), ((-0.1, False), {}),
                  ((float("nan"), True), {}), ((0.5, 1), {}), (("a", True), {}),
                  ((0.5,), {"train": 1}), ((0.5, True, True), {}), ((0.5, False), {"inplace": True}),
                  ((0.5, False), {"training": True}), ((0.5,), {"training": True}),
                  ((0.5, True), {"p": 0.3}), ((None, True), {}), ((0.5, None), {}),
                  ((True, False), {}), ((2, False), {}), ((0.25, False), {})]


@pytest.mark.parametrize("name", _DROPOUTS)
@pytest.mark.parametrize("call", range(len(_DROPOUT_CALLS)))
def test_top_level_dropout_argument_checks(name, call):
    """12-regularization's `torch.dropout(out, 0.8)` (F.dropout's call shape at the top
    level): PyTorch's parser wants (input, p, train) and says which are missing in its own
    words; p out of [0, 1] is ATen's RuntimeError (F.dropout's is a ValueError); train must
    be a Python bool. ember took Python's messages, a ValueError, and any truthy train."""
    args, kwargs = _DROPOUT_CALLS[call]

    def prog(L):
        x = L.ones(2, 3, 4)
        try:
            r = getattr(L, name)(x, *args, **kwargs)
        except Exception as e:  # noqa: BLE001 - compared across libraries
            return (type(e).__name__, str(e).splitlines()[0])
        return (tuple(r.shape), str(r.dtype), r is x)
    want, got = run_both(prog)
    assert got == want


@pytest.mark.parametrize("case", range(8))
def test_top_level_dropout_argument_kinds(case):
    """torch.dropout's other argument kinds: no arguments at all, keywords only, a list as
    input, NumPy and 0-d tensor probabilities, a NumPy or tensor bool as train."""
    def prog(L):
        x = L.ones(2, 3)
        call = [lambda: L.dropout(), lambda: L.dropout(p=0.5, train=True),
                lambda: L.dropout(input=x, p=0.5, train=False), lambda: L.dropout([1.], 0.5, True),
                lambda: L.dropout(x, np.float64(0.5), False), lambda: L.dropout(x, L.tensor(0.5), False),
                lambda: L.dropout(x, 0.5, np.bool_(True)), lambda: L.dropout(x, 0.5, L.tensor(True))][case]
        try:
            r = call()
        except Exception as e:  # noqa: BLE001 - compared across libraries
            return (type(e).__name__, str(e).splitlines()[0])
        return (tuple(r.shape), r.tolist())
    want, got = run_both(prog)
    assert got == want
