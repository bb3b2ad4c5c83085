"""Session 21 (weiaicunzai/pytorch-cifar100 sweep): focused checks of what the sweep fixed,
each against torch 2.13 live."""

import warnings

import numpy as np

from torch_compare import run_both


def test_script_method_deprecation_warning():
    """stochasticdepth.py's `@torch.jit.script_method` on a ScriptModule's forward: PyTorch
    warns (DeprecationWarning) each time a class body applies it; ember returned the method
    silently."""
    def prog(L):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")

            class Block(L.jit.ScriptModule):
                def __init__(self):
                    super().__init__()
                    self.lin = L.nn.Linear(2, 2)

                @L.jit.script_method
                def forward(self, x):
                    return self.lin(x) * 2

            L.manual_seed(0)
            out = Block()(L.ones(1, 2))
        return ([(w.category.__name__, str(w.message)) for w in caught
                 if "script_method" in str(w.message)], out)

    want, got = run_both(prog)
    assert want[0], want  # torch warns
    assert got[0] == want[0]
    assert got[1].tolist() == want[1].tolist()


def test_script_module_subclass_scripts_its_submodules():
    """stochasticdepth.py's blocks subclass torch.jit.ScriptModule: once __init__ returns,
    PyTorch turns each submodule into a RecursiveScriptModule (printed with original_name)
    and the block gets original_name; ember left them plain modules."""
    def prog(L):
        warnings.simplefilter("ignore")

        class Block(L.jit.ScriptModule):
            def __init__(self, p):
                super().__init__()
                self.p = L.tensor(p).float()
                self.residual = L.nn.Sequential(L.nn.Conv2d(2, 2, 3, padding=1), L.nn.BatchNorm2d(2))
                self.shortcut = L.nn.Sequential()

            @L.jit.script_method
            def forward(self, x):
                if self.training:
                    x = self.residual(x) + self.shortcut(x)
                else:
                    x = self.residual(x) * self.p + self.shortcut(x)
                return x

        class Wider(Block):  # a subclass without its own __init__
            pass

        L.manual_seed(0)
        b, w = Block(0.5), Wider(0.7)
        x = L.ones(1, 2, 3, 3)
        train_out = b(x)
        b.eval()
        return (repr(b), repr(L.nn.Sequential(w)), type(b.residual).__name__, b.original_name,
                w.original_name, [n for n, _ in b.named_parameters()], train_out.tolist(),
                b(x).tolist(), b.residual.training)

    with warnings.catch_warnings():
        want, got = run_both(prog)
    assert isinstance(want, tuple), want
    assert got[:6] == want[:6]
    np.testing.assert_allclose(got[6], want[6], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[7], want[7], rtol=1e-5, atol=1e-6)
    assert got[8] == want[8]


def test_scripted_module_eval_reaches_the_modules_forward_runs():
    """torch.jit.script(Sequential(Conv2d, BatchNorm2d)).eval(): PyTorch's scripted forward
    then uses the running statistics; ember's eval() reached copies of the children other than
    the ones its forward ran, so BatchNorm kept using the batch's statistics."""
    def prog(L):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            L.manual_seed(0)
            s = L.jit.script(L.nn.Sequential(L.nn.Conv2d(2, 2, 3, padding=1), L.nn.BatchNorm2d(2)))
        x = L.arange(18.).view(1, 2, 3, 3) / 10
        first = s(x)
        s.eval()
        second = s(x)
        s.train()
        return first.tolist(), second.tolist(), s(x).tolist(), s.training

    want, got = run_both(prog)
    assert isinstance(want, tuple), want
    for g, w in zip(got[:3], want[:3]):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    assert got[3] == want[3]
