"""Session 14, interpretability tutorials (tests/s14_interp_progs*.py) run live on torch 2.13
and ember: the printouts (and PyTorch's warnings) must be the same; values that go through
BLAS (conv and linear backward) are compared to float32 rounding. Plus the fixes the sweep
found: module backward hooks' return checks, the pre-hook-only warning, interpolate's size
checks before its mode checks, linspace/logspace with non-0-d Tensor ends."""

import contextlib
import io
import warnings

import numpy as np
import pytest
import s14_interp_progs as A
import s14_interp_progs_b as B
from torch_compare import exact_and_close, run_both


def printout(prog, *extra):
    """prog(L, *extra) -> its printed lines, then its warnings' first lines (PyTorch's
    '(Triggered internally at ...)' tail cut), then an exception's type and first line."""
    def run(L):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                prog(L, *extra)
            except Exception as e:  # noqa: BLE001 - compared across libraries
                print("raised", type(e).__name__, (str(e).splitlines() or [""])[0])
        lines = buf.getvalue().splitlines()
        for w in caught:
            msg = str(w.message).splitlines()[0].split(" (Triggered internally at")[0]
            lines.append(f"warning {w.category.__name__}: {msg}")
        return lines
    return run


def same_printout(prog):
    want, got = run_both(printout(prog))
    assert got == want, "\n".join(f"torch: {w}\nember: {g}" for w, g in zip(want, got) if w != g)
    return got


@pytest.mark.parametrize("prog", [A.smoothgrad, A.integrated_gradients, A.gradcam,
                                  A.gradcam_tensor_hook, A.guided_backprop,
                                  A.relu_inplace_full_hook, B.deepdream, B.activation_stats,
                                  B.grad_norms, B.vanishing, B.mistakes, B.more_hooks,
                                  B.occlusion_and_display, B.batched_grads])
def test_program_prints_the_same(prog):
    same_printout(prog)


def test_saliency_and_gradient_x_input():
    # the input gradient comes from conv backward (BLAS): its last bits may differ
    def fn(L):
        values = []
        return printout(A.saliency, values)(L), values
    exact_and_close(fn, rtol=1e-5, atol=1e-8)


def test_jacobian_of_a_small_net():
    # jacobian/hessian rows come from Linear's backward (narrow matmuls: MKL rounding)
    def fn(L):
        values = []
        return printout(B.jacobian, values)(L), values
    exact_and_close(fn, rtol=1e-4, atol=1e-7)


# ---- fixes ------------------------------------------------------------------------------

def _hook_returning(what):
    """A Linear-ReLU-Linear net whose ReLU's full backward hook (or pre-hook) returns
    ``what``; prints x.grad or the error."""
    def prog(L):
        nn = L.nn
        L.manual_seed(0)
        m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        x = L.randn(2 if what == "tensor_b2" else 1, 3, requires_grad=True)

        def hook(mod, gin, gout):
            g = gin[0]
            return {"tensor": g, "tensor_b2": g, "list": [g.clamp(min=0)],
                    "double": (g.double(),), "numpy": (g.numpy(),), "bigger": (L.cat([g, g]),),
                    "none": (None,), "0d": g.sum()}.get(what)

        def pre(mod, gout):
            g = gout[0]
            return {"pre_tensor": g, "pre_double": (g.double(),),
                    "pre_shape": (g[:, :2],)}.get(what)
        m[1].register_full_backward_hook(hook)
        m[1].register_full_backward_pre_hook(pre)
        m(x).sum().backward()
        print(x.grad)
    return prog


@pytest.mark.parametrize("what", ["tensor", "tensor_b2", "list", "double", "numpy", "bigger",
                                  "none", "0d", "pre_tensor", "pre_double", "pre_shape"])
def test_module_backward_hook_return_value_checks(what):
    # a bare Tensor counts as a sequence of its rows; wrong sizes/dtypes/types are refused
    same_printout(_hook_returning(what))


def test_backward_pre_hook_alone_warns_without_input_grad():
    def prog(L):
        L.manual_seed(0)
        m = L.nn.Linear(3, 2)
        m.register_full_backward_pre_hook(lambda mod, go: print("pre", go[0].shape))
        m(L.randn(1, 3)).sum().backward()
    lines = same_printout(prog)
    assert any(line.startswith("warning UserWarning: Full backward hook") for line in lines)


def test_interpolate_checks_sizes_before_modes():
    def cases(L):
        F, out = L.nn.functional, []
        for shape, kw in [((3, 4, 4), dict(size=(8, 8), mode='bilinear')),
                          ((1, 1, 4, 4), dict(size=(4.0, 8))),
                          ((1, 1, 4, 4), dict(size=(np.int64(3), 8))),
                          ((1, 1, 4, 4), dict(size=(L.tensor(3), 8))),
                          ((1, 1, 4), dict(scale_factor=(2, 2), mode='linear')),
                          ((4, 4), dict(size=(3, 3))),
                          ((1, 1, 4), dict(size=5, mode='bilinear')),
                          ((1, 1, 4, 4), dict(size=(6, 6), mode='bilinear', antialias=True)),
                          ((1, 1, 4, 4), dict(size=(6, 6), recompute_scale_factor=True)),
                          ((1, 1, 4, 4, 4), dict(size=[7, 5], mode="bicubic"))]:
            x = L.arange(float(np.prod(shape))).reshape(shape)
            try:
                r = F.interpolate(x, **kw)
                out.append((tuple(r.shape), r.sum().item()))
            except Exception as e:  # noqa: BLE001 - compared across libraries
                out.append((type(e).__name__, str(e).splitlines()[0]))
        return out
    want, got = run_both(cases)
    assert got == want


def test_linspace_logspace_refuse_non_scalar_tensor_ends():
    def cases(L):
        out = []
        for f in [lambda: L.linspace(L.zeros(2), L.ones(2), 3),
                  lambda: L.linspace(L.zeros(2), 1, 3), lambda: L.linspace(0, L.ones(1), 3),
                  lambda: L.linspace(L.tensor(0.), L.tensor(1.), 3),
                  lambda: L.logspace(L.zeros(2), 1, 3),
                  lambda: L.linspace(L.zeros(1, 1), L.zeros(()), 3),
                  lambda: L.logspace(0, L.ones(3), 3)]:
            try:
                out.append(f().tolist())
            except RuntimeError as e:
                out.append(str(e))
        return out
    want, got = run_both(cases)
    assert got == want
