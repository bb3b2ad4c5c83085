"""Session 19: werner-duvaud/muzero-general (models.py, trainer.py, self_play.py) as users
type them (tests/s19_muzero_progs*.py), with games and the replay buffer replaced by small
fixed stand-ins, run on ember and on torch 2.13 and compared live: printed lines (model
reprs, losses with 4 decimals), dtypes, shapes, warnings and errors (type and first line)
exactly, values to rtol 1e-5 / atol 1e-6. Below them, focused tests for what the sweep
found: what a gradient hook (trainer.py's ``hidden_state.register_hook(lambda grad: ...)``,
a node's register_hook / register_prehook) may return, with PyTorch's errors."""

import numpy as np
import pytest
import s19_muzero_progs_b as B
import s19_muzero_progs_c as C
import s19_muzero_progs_d as D
from torch_compare import check_program, run_both, same_error_case

RTOL, ATOL = 1e-5, 1e-6

PROGS = [B.network_fc, B.support_roundtrip, B.network_resnet, B.network_resnet_downsample,
         B.first_version,
         C.train_fc_adam_per, C.train_fc_sgd, C.train_resnet, C.checkpoint_save_load,
         D.self_play, D.reanalyse, D.scale_gradient]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, RTOL, ATOL)


class _Nameless:
    """A callable hook without __name__ (PyTorch names it '<unknown>' in its errors)."""

    def __init__(self, out):
        self.out = out

    def __call__(self, *args):
        return self.out(*args)


_BAD = {"int": lambda g: 5, "float": lambda g: 0.5, "list": lambda g: [g],
        "tuple": lambda g: (g,), "ndarray": lambda g: np.ones(3, np.float32),
        "np_scalar": lambda g: np.float32(1.0), "str": lambda g: "g"}


@pytest.mark.parametrize("ret", sorted(_BAD))
def test_tensor_hook_returning_a_non_tensor(ret):
    """A non-leaf tensor's hook returning neither a Tensor nor None: PyTorch's TypeError
    "expected Variable, but hook returned 'int'" (the C type name: 'numpy.ndarray'); ember
    took the value's ``_data`` (AttributeError)."""
    def case(L):
        x = L.ones(3, requires_grad=True)
        y = x * 2
        y.register_hook(_BAD[ret])
        (y * y).sum().backward()
    same_error_case(case)


@pytest.mark.parametrize("ret", ["int", "str", "ndarray", "list_elem"])
def test_node_prehook_returning_a_non_tensor_entry(ret):
    """``grad_fn.register_prehook`` returning a tuple whose entry is not a Tensor: PyTorch's
    "expected Variable, but hook returned 'int'"; a list instead of a tuple: "expected
    tuple, but hook returned 'list'"."""
    out = {"int": (5,), "str": ("a",), "ndarray": (np.ones(3, np.float32),)}

    def case(L):
        x = L.ones(3, requires_grad=True)
        y = x * 2
        y.grad_fn.register_prehook(lambda go: [go[0]] if ret == "list_elem" else out[ret])
        y.sum().backward()
    same_error_case(case)


@pytest.mark.parametrize("ret", ["int", "list", "tensor", "entry_int", "entry_array"])
def test_node_hook_returning_a_non_tuple(ret):
    """``grad_fn.register_hook(fn(grad_inputs, grad_outputs))`` must return a tuple (PyTorch:
    "expected tuple, but hook returned 'Tensor'"; ember took a lone value as a 1-tuple and
    reported a count mismatch) of Tensors or None ("expected Variable, but hook returned
    'int'"; ember made arrays of numbers)."""
    def case(L):
        x = L.ones(3, requires_grad=True)
        y = x * 2
        y.grad_fn.register_hook(lambda gi, go: {
            "int": 5, "list": [gi[0], None], "tensor": gi[0], "entry_int": (5, None),
            "entry_array": (np.ones(3, np.float32), None)}[ret])
        y.sum().backward()
    same_error_case(case)


@pytest.mark.parametrize("kind", ["tensor_hook", "prehook", "prehook_nameless",
                                  "tensor_hook_nameless"])
def test_hook_size_change_names_the_users_hook(kind):
    """A hook that changes its gradient's size: PyTorch names the user's function ("hook
    '<lambda>' has changed the size of value"), '<unknown>' for a callable object; ember
    named its own pre-hook wrapper ('prehook') or printed the object's repr."""
    def case(L):
        x = L.ones(3, requires_grad=True)
        y = x * 2
        f = {"tensor_hook": lambda g: g.sum(), "tensor_hook_nameless": _Nameless(lambda g: g.sum()),
             "prehook": lambda go: (go[0][:2],),
             "prehook_nameless": _Nameless(lambda go: (go[0][:2],))}[kind]
        if kind.startswith("prehook"):
            y.grad_fn.register_prehook(f)
        else:
            y.register_hook(f)
        y.sum().backward()
    same_error_case(case)


def test_good_hooks_still_apply():
    """Tensor hooks, node hooks and pre-hooks returning Tensors or None keep working, with
    retain_grad and a removed bad hook."""
    def prog(L):
        x = L.arange(3.0).requires_grad_()
        y = x * 2
        y.retain_grad()
        y.register_hook(lambda g: g * 3)
        y.register_hook(lambda g: None)
        h = y.register_hook(lambda g: 5)
        h.remove()
        z = y.exp()
        z.grad_fn.register_prehook(lambda go: (go[0] + 1,))
        z.grad_fn.register_hook(lambda gi, go: (gi[0] * 0.5,))
        (z * z).sum().backward()
        return [x.grad, y.grad]
    want, got = run_both(prog)
    assert isinstance(want, list) and isinstance(got, list), (want, got)
    for w, g in zip(want, got):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-6)
