"""Session 20: udacity/deep-learning-v2-pytorch as users type it (tests/s20_udacity_progs*.py):
intro-to-pytorch Parts 1-6 and 8 (tensors, nn and functional networks, training,
Fashion-MNIST, inference and validation with dropout, saving and loading with fc_model.py,
transfer learning on small stand-ins for the pretrained models), convolutional-neural-networks
(mnist-mlp with validation, cifar-cnn, conv visualization with custom filters), autoencoders
(linear, ConvTranspose2d, upsampling, denoising), recurrent-neural-networks (char-rnn,
time-series), sentiment-rnn, gan-mnist, dcgan-svhn, cycle-gan, batch-norm,
weight-initialization, style-transfer and the tv-script-generation project, on random data
in place of the datasets, run on ember and on torch 2.13 and compared live: printed lines
(model reprs, tensor reprs, losses with 3-4 decimals: the last bits of OpenBLAS against MKL
that Adam's later steps carry), dtypes, shapes, warnings and errors (type and first line)
exactly, values to rtol 1e-5 / atol 1e-6. Below them, the focused test of what the sweep
found: torch.jit.trace's check (a new trace per check input, each with its deprecation
warning, on check_inputs when given), traced containers that cannot be indexed, and NumPy
ufuncs called on a tensor (np.exp(t): NumPy's answer, wrapped, with NumPy 2's warning)."""

import contextlib
import copy
import io
import warnings

import numpy as np
import pytest
import s20_udacity_progs as A
import s20_udacity_progs_b as B
import s20_udacity_progs_c as C
import s20_udacity_progs_d as D
import s20_udacity_progs_e as E
import s20_udacity_progs_f as F
import s20_udacity_progs_g as G
import s20_udacity_progs_h as H
import s20_udacity_progs_i as I
from torch_compare import check_program, run_both, same

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.part1_tensors, A.part2_networks, A.part3_training, A.part4_5_fashion,
         H.part6_saving, B.mnist_mlp, B.cifar_cnn, B.conv_visualization, B.autoencoders,
         C.char_rnn, C.time_series, I.sentiment_rnn, D.gan_mnist, D.dcgan_svhn, E.cycle_gan,
         E.batch_norm, H.weight_init, F.transfer_learning, F.style_transfer, G.tv_script, G.dog_app]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, RTOL, ATOL)


def _trace_case(L, how):
    """torch.jit.trace / trace_module called as ``how`` says on a module whose forward and
    other method print the shapes they get, or on a printing function: what was printed (by
    the Python runs; a graph's runs print nothing) and the warnings (category, first line)."""
    def f(a):
        print("f", a.shape)
        return a * 2

    class M(L.nn.Module):
        def forward(self, a):
            print("forward", a.shape)
            return a + 1

        def other(self, a):
            print("other", a.shape)
            return a - 1

    x, y, z = L.ones(1, 2), L.ones(3, 2), L.ones(4, 2)
    calls = {
        "module": lambda: L.jit.trace(M(), x),
        "function": lambda: L.jit.trace(f, x),
        "no_check": lambda: L.jit.trace(M(), x, check_trace=False),
        "function_no_check": lambda: L.jit.trace(f, (x,), check_trace=False),
        "module_check_inputs": lambda: L.jit.trace(M(), x, check_inputs=[(y,), (z,)]),
        "module_check_tensor": lambda: L.jit.trace(M(), x, check_inputs=[y]),
        "function_check_inputs": lambda: L.jit.trace(f, x, check_inputs=[(y,), (z,)]),
        "function_kwargs": lambda: L.jit.trace(f, example_kwarg_inputs={"a": x}),
        "module_kwargs": lambda: L.jit.trace(M(), example_kwarg_inputs={"a": x}),
        "two_methods": lambda: L.jit.trace_module(M(), {"forward": x, "other": y}),
        "two_methods_check": lambda: L.jit.trace_module(
            M(), {"forward": x, "other": y}, check_inputs=[{"forward": z, "other": z}]),
        "trace_module_check": lambda: L.jit.trace_module(
            M(), {"forward": x}, check_inputs=[{"forward": y}]),
    }
    out = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out):
        warnings.simplefilter("always")
        calls[how]()
    return out.getvalue().splitlines(), [(w.category.__name__, str(w.message).splitlines()[0])
                                         for w in caught]


@pytest.mark.parametrize("how", ["module", "function", "no_check", "function_no_check",
                                 "module_check_inputs", "module_check_tensor",
                                 "function_check_inputs", "function_kwargs", "module_kwargs",
                                 "two_methods", "two_methods_check", "trace_module_check"])
def test_jit_trace_check_runs_and_warnings(how):
    """dog_app's torch.jit.trace(model.float().eval(), x): PyTorch's check (check_trace=True)
    traces anew through torch.jit.trace / trace_module, so the deprecation warning comes once
    more for each check input; the check runs on ``check_inputs`` when given (ember ran it on
    the example inputs); trace_module's check of each method traces all its methods again.
    The forward's prints (the Python runs) and the warnings must come in PyTorch's order."""
    want, got = run_both(lambda L: _trace_case(L, how))
    assert got == want, f"ember {got}\ntorch {want}"
    assert want[1][0][0] == "DeprecationWarning"


@pytest.mark.parametrize("what", ["index", "len", "iter", "in", "bool", "child_index",
                                  "child_list_index", "isinstance", "script_index",
                                  "script_len", "deepcopy_type"])
def test_traced_container_is_not_indexable(what):
    """dog_app indexes its model (classifier[6]) before tracing: a traced Sequential /
    ModuleList (TopLevelTracedModule, TracedModule) is not subscriptable, sized or iterable
    in PyTorch, and not a RecursiveScriptModule; ember's traced modules were scripted
    modules' subclass and indexed as their originals. Scripted containers still index."""
    def case(L):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            L.manual_seed(0)
            seq = L.nn.Sequential(L.nn.Linear(2, 2), L.nn.ReLU())

            class W(L.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.layers = L.nn.ModuleList([L.nn.Linear(2, 2)])
                    self.seq = L.nn.Sequential(L.nn.Linear(2, 2))

                def forward(self, x):
                    for layer in self.layers:
                        x = layer(x)
                    return self.seq(x)

            t, t2 = L.jit.trace(seq, L.ones(1, 2)), L.jit.trace(W(), L.ones(1, 2))
            script = L.jit.script(seq)
        calls = {"index": lambda: t[0], "len": lambda: len(t), "iter": lambda: list(t),
                 "in": lambda: 0 in t, "bool": lambda: bool(t),
                 "child_index": lambda: t2.seq[0], "child_list_index": lambda: t2.layers[0],
                 "isinstance": lambda: (isinstance(t, L.jit.RecursiveScriptModule),
                                        isinstance(t2.seq, L.jit.RecursiveScriptModule),
                                        isinstance(t, L.jit.ScriptModule)),
                 "script_index": lambda: repr(script[0]), "script_len": lambda: len(script),
                 "deepcopy_type": lambda: type(copy.deepcopy(t)).__name__}
        return calls[what]()
    same(case)


@pytest.mark.parametrize("call", [
    lambda L: np.exp(L.tensor([0.0, 1.0])), lambda L: np.exp(L.tensor([1, 2])),
    lambda L: np.exp(L.tensor(1.0)), lambda L: np.log(L.tensor([0.5, 2.0], dtype=L.float64)),
    lambda L: np.sqrt(L.tensor([2.0, 3.0])), lambda L: np.tanh(L.tensor([0.3])),
    lambda L: np.add(L.tensor([1.0]), np.float64(1)), lambda L: np.add(L.tensor([1.0]), 1),
    lambda L: np.multiply(L.tensor([1, 2]), 0.5), lambda L: np.divide(L.tensor([1.0]), 3),
    lambda L: np.true_divide(L.tensor([1, 2]), L.tensor([2, 2])),
    lambda L: np.maximum(L.tensor([1.0, -1.0]), 0), lambda L: np.greater(L.tensor([1.0]), 0),
    lambda L: np.exp(L.ones(2, requires_grad=True)), lambda L: np.exp(L.nn.Parameter(L.ones(2))),
    lambda L: np.exp(L.nn.Parameter(L.ones(2), requires_grad=False)),
    lambda L: np.float32(2) * L.tensor([1.0, 2.0]), lambda L: np.float64(2) - L.tensor([1.0]),
    lambda L: np.int64(3) + L.tensor([1, 2]),
])
def test_numpy_ufunc_called_on_a_tensor(call):
    """``np.exp(t)``: PyTorch's Tensor has no __array_ufunc__, so NumPy computes on
    t.numpy() (its own float32 math and type promotion: an int64 tensor gives float64, a
    float32 tensor plus np.float64 float64), wraps the result in a Tensor with NumPy 2's
    DeprecationWarning, and a tensor that requires grad is numpy()'s RuntimeError. ember
    answered these with its own ops (no warning, float32, a graph). A NumPy number's operator
    on a tensor (tensor second) is the tensor's reflected operator: silent, the tensor's
    dtype."""
    def prog(L):
        with warnings.catch_warnings(record=True) as ws:
            warnings.simplefilter("always")
            try:
                r = call(L)
                r = (type(r).__name__, str(r.dtype), r.tolist(), r.requires_grad)
            except RuntimeError as e:
                r = str(e)
        return r, [(w.category.__name__, str(w.message)) for w in ws]
    same(prog)


def test_share_memory_scan_passes_a_dead_weakref_proxy():
    """share_memory_() of a tensor with a view looks through every live object for tensors
    on the same memory; a weakref.proxy whose object is gone (one some library keeps) raised
    ReferenceError there when asked its class (seen as an order-dependent failure of
    tests/test_programs_s13_minimalrl_shared.py in a long run)."""
    import weakref

    class Gone:
        pass

    obj = Gone()
    dead = [weakref.proxy(obj)]
    del obj

    def prog(L):
        t = L.arange(6.0).view(2, 3)
        v = t[1]
        t.share_memory_()
        return t.is_shared(), v.is_shared(), v.tolist(), len(dead)
    assert same(prog)[:2] == (True, True)
