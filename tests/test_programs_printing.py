"""What tutorials print besides tensors (module/optimizer/state reprs, shapes, versions,
environment checks), run on ember and compared live with torch."""

import copy
import pickle
import warnings

import pytest
import torch

import ember
import ember.utils.hooks
import ember.version
from ember.torch_version import TorchVersion as EmberVersion
from torch.torch_version import TorchVersion

from parity_util import first_error as _err


def _both(fn):
    """fn(T) on torch and on ember: a repr, or the error's type and first line."""
    out = []
    for T in (torch, ember):
        try:
            out.append(repr(fn(T)))
        except Exception as e:  # noqa: BLE001
            out.append((type(e).__name__, str(e).splitlines()[0]))
    return out


# ---- nn.Unflatten checks its sizes when built, as PyTorch does ----

@pytest.mark.parametrize("args", [
    (1, (2, 5)), (1, [2, 5]), ("f", (("C", 2), ("H", 5))), (1, 3), (1, (2.0, 5)),
    ("f", [("C", 2)]), (-1, (True, 2)),
])
def test_unflatten_checks_sizes_at_construction(args):
    t, e = _both(lambda T: T.nn.Unflatten(*args))
    assert e == t


# ---- print(optimizer.state) ----

def _momentum_state(T):
    p = T.nn.Parameter(T.tensor([1.0, -2.0]))
    opt = T.optim.SGD([p], lr=0.1, momentum=0.9)
    (p ** 2).sum().backward()
    opt.step()
    return p, opt


def test_optimizer_state_prints_as_defaultdict():
    (tp, topt), (ep, eopt) = _momentum_state(torch), _momentum_state(ember)
    assert repr(eopt.state) == repr(topt.state)
    assert str(eopt.state) == str(topt.state)
    assert (eopt.state.default_factory is dict) == (topt.state.default_factory is dict)


def test_optimizer_state_copy_and_pickle_give_plain_defaultdicts():
    (tp, topt), (ep, eopt) = _momentum_state(torch), _momentum_state(ember)
    got = []
    for T, opt in ((torch, topt), (ember, eopt)):
        c = copy.copy(opt.state)
        c[T.nn.Parameter(T.ones(1))]["x"] = 1  # a copy is writable and detached
        un = pickle.loads(pickle.dumps(opt.state))
        got.append((type(c).__name__, len(c), len(opt.state), type(un).__name__,
                    un.default_factory is dict))
    assert got[1] == got[0]


# ---- lr_scheduler: steps before the scheduler existed don't count for the order warning ----

@pytest.mark.parametrize("name", ["SGD", "Adam", "LBFGS"])
def test_scheduler_order_warning_ignores_steps_before_it(name):
    got = []
    for T in (torch, ember):
        p = T.nn.Parameter(T.ones(2))
        opt = getattr(T.optim, name)([p], lr=0.1)
        (p ** 2).sum().backward()
        opt.step(lambda: (p ** 2).sum())  # a step before the scheduler is created
        sched = T.optim.lr_scheduler.StepLR(opt, 1)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            sched.step()  # before any optimizer.step() since the scheduler: warns
            opt.step(lambda: (p ** 2).sum())
            T.optim.lr_scheduler.StepLR(opt, 1).step()  # a second scheduler: no warning
        got.append([str(x.message)[:60] for x in w])
    assert got[1] == got[0]
    assert len(got[0]) == 1


# ---- capturable=True on CPU tensors fails at step() with PyTorch's message ----

@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "Adamax", "NAdam", "RAdam",
                                  "ASGD", "Rprop", "Adadelta"])
@pytest.mark.parametrize("foreach", [None, True, False])
def test_capturable_on_cpu_raises_pytorchs_assertion(name, foreach):
    got = []
    for T in (torch, ember):
        p = T.nn.Parameter(T.ones(2))
        opt = getattr(T.optim, name)([p], capturable=True, foreach=foreach)
        no_grad = _err(opt.step)  # no parameter has a grad: nothing is checked
        (p ** 2).sum().backward()
        got.append((no_grad, _err(opt.step)))
    assert got[1] == got[0]
    assert got[0][1] is not None


# ---- torch.Size arithmetic ----

_SIZE_CASES = {
    "add": lambda T: T.Size([2, 3]) + (4,),
    "radd": lambda T: (4,) + T.Size([2, 3]),
    "add_size": lambda T: T.Size([2, 3]) + T.Size([5]),
    "mul": lambda T: T.Size([2, 3]) * 2,
    "rmul": lambda T: 2 * T.Size([2, 3]),
    "mul0": lambda T: T.Size([2, 3]) * 0,
    "mul_bool": lambda T: T.Size([2, 3]) * True,
    "mul_tensor": lambda T: T.Size([2, 3]) * T.tensor(2),
    "shape_plus": lambda T: T.zeros(2, 3).shape[:1] + (1,) + T.zeros(2, 3).shape[1:],
    "add_list": lambda T: T.Size([2, 3]) + [1],
    "add_int": lambda T: T.Size([2, 3]) + 1,
    "mul_float": lambda T: T.Size([2, 3]) * 1.5,
    "rmul_float": lambda T: 1.5 * T.Size([2, 3]),
}


@pytest.mark.parametrize("case", sorted(_SIZE_CASES))
def test_size_concat_and_repeat_give_a_size(case):
    t, e = _both(_SIZE_CASES[case])
    assert e == t


# ---- environment cells: print(torch.__version__), torch.version.cuda, cudnn flags ----

def test_version_is_a_torchversion():
    assert type(ember.__version__).__name__ == type(torch.__version__).__name__
    assert isinstance(ember.__version__, str)
    assert ember.version.__version__ == ember.__version__
    assert ember.version.cuda == torch.version.cuda
    assert ember.version.debug == torch.version.debug
    assert _err(lambda: ember.__version__ > (0, 0)) == _err(lambda: torch.__version__ > (0, 0))


_VERSIONS = ["0.1.0", "2.13.0+cpu", "2.13.0", "2.13", "2.2", "2.2.0a0", "2.2.0rc1",
             "2.2.0.dev20240101", "2.2.0.post1", "1.10", "1.9.1", "parrot", "1!0.1", "0.10",
             "0.9", "2.1.0.dev1+abc"]


def test_torchversion_compares_like_pytorchs():
    others = _VERSIONS + [(2, 2), (1, 9), [2, 13], (2,), 2, None]
    ops = ["__gt__", "__lt__", "__ge__", "__le__", "__eq__", "__ne__"]
    for a in _VERSIONS:
        for b in others:
            for op in ops:
                got = [_err(lambda: getattr(V(a), op)(b)) or getattr(V(a), op)(b)
                       for V in (TorchVersion, EmberVersion)]
                assert got[1] == got[0], (a, b, op)
    assert hash(EmberVersion("1.0")) == hash("1.0")


def test_cudnn_flags_read_as_pytorchs():
    for name in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        assert getattr(ember.backends.cudnn, name) == getattr(torch.backends.cudnn, name), name
    assert ember.backends.cudnn.is_available() == torch.backends.cudnn.is_available()
    assert ember.backends.cudnn.version() == torch.backends.cudnn.version()


# ---- small reprs and imports ----

def test_set_grad_enabled_repr():
    for mode in (False, True):
        assert repr(ember.set_grad_enabled(mode)) == repr(torch.set_grad_enabled(mode))
    ember.set_grad_enabled(True)
    torch.set_grad_enabled(True)


def test_utils_hooks_removable_handle():
    got = []
    for T, H in ((torch, torch.utils.hooks), (ember, ember.utils.hooks)):
        x = T.ones(2, requires_grad=True)
        y = x * 2
        opt = T.optim.SGD([x], lr=0.1)
        handles = [T.nn.Linear(2, 2).register_forward_hook(lambda *a: None),
                   x.register_hook(lambda g: g), y.grad_fn.register_hook(lambda *a: None),
                   y.grad_fn.register_prehook(lambda g: g),
                   x.register_post_accumulate_grad_hook(lambda t: None),
                   opt.register_step_pre_hook(lambda *a: None)]
        got.append([(isinstance(h, H.RemovableHandle), type(h).__name__) for h in handles])
        for h in handles:
            with h:  # a handle is a context manager that removes its hook on exit
                pass
    assert got[1] == got[0]


# ---- the Tensor views tutorial: views share storage ----

def test_untyped_storage_shows_views_share_memory():
    got = []
    for T in (torch, ember):
        t = T.from_numpy(__import__("numpy").arange(16, dtype="float32").reshape(4, 4))
        b = t.view(2, 8)
        ptr = t.untyped_storage().data_ptr()
        got.append((
            b.untyped_storage().data_ptr() == ptr, t[1:].untyped_storage().data_ptr() == ptr,
            t.t().untyped_storage().data_ptr() == ptr,
            t.clone().untyped_storage().data_ptr() == ptr,
            t.untyped_storage().nbytes(), len(t[:, 1].untyped_storage()),
            repr(T.tensor([1, 258], dtype=T.int16).untyped_storage()),
            repr(T.tensor([], dtype=T.int16).untyped_storage()),
            T.ones(1).untyped_storage().tolist(), type(t.untyped_storage()).__name__,
        ))
    assert got[1] == got[0]
