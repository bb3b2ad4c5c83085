"""Session 19: Maxim Lapan, "Deep Reinforcement Learning Hands-On" 2nd ed.
(PacktPublishing/Deep-Reinforcement-Learning-Hands-On-Second-Edition: Chapter04, 06, 08, 11,
12, 17, 19) as users type them (tests/s19_lapan_progs*.py), with Gym and ptan replaced by
small fixed stand-ins, run on ember and on torch 2.13 and compared live: printed lines (model
reprs, losses with 4 decimals), dtypes, shapes, warnings and errors (type and first line)
exactly, values to rtol 1e-5 / atol 1e-6. Below them, focused tests for what the sweep found:
indexing with int8 / int16 tensors, float lists and arrays as indices, 0-d byte tensors, a
uint8 mask fill's shape check, Module.to(device, non-dtype), the type named when a grad is
assigned a non-tensor, legacy constructors sharing an array of their dtype, torch.tensor of a
list mixing arrays and tensors, NumPy float32 numbers under an integer dtype."""

import warnings

import numpy as np
import pytest
import s19_lapan_progs as A
import s19_lapan_progs_b as B
import s19_lapan_progs_c as C
import s19_lapan_progs_d as D
from torch_compare import check_program, run_both, same_error_case, same_with_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.cartpole_cross_entropy, A.frozenlake_one_hot, A.dqn_pong, B.dqn_double_nstep,
         B.noisy_nets, B.prio_replay_dueling, B.dqn_distrib, C.cartpole_pg, C.pong_a2c,
         C.continuous_a2c, D.ppo, D.a2c_acktr_loss, D.trpo, C.sac]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, RTOL, ATOL)


def _both(fn):
    """fn(lib) on both libraries with the warnings it issued (category, message): equal."""
    return same_with_warnings(fn, lambda out: out.tolist() if hasattr(out, "tolist") else out)


@pytest.mark.parametrize("dtype", ["int8", "int16"])
@pytest.mark.parametrize("how", ["get", "get2d", "set", "index_put"])
def test_small_int_index_tensor_is_refused(dtype, how):
    """PyTorch indexes with int64, int32, uint8 and bool tensors only: an int8 or int16
    index tensor is an IndexError (ember used it as integer indices)."""
    def case(L):
        i = L.tensor([1, 0, 1, 0]).to(getattr(L, dtype))
        x = L.arange(4.)
        if how == "get":
            return x[i]
        if how == "get2d":
            return L.arange(8.).view(4, 2)[range(4), i]
        if how == "set":
            x[i] = 7.0
            return x
        return x.index_put((i,), L.tensor(9.0))
    same_error_case(case)


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64"])
def test_zero_dim_small_int_index_is_an_int(dtype):
    """A 0-d integer tensor of any width is read as a plain int (a view), int8 included."""
    want = _both(lambda L: L.arange(6.).view(3, 2)[L.tensor(2).to(getattr(L, dtype))])
    assert want[0] == [4.0, 5.0]


@pytest.mark.parametrize("value", [1, 0])
def test_zero_dim_byte_index_is_a_mask_without_warning(value):
    """x[torch.tensor(1, dtype=torch.uint8)] is x[None] (0 gives no rows) and, unlike a byte
    tensor with dimensions, PyTorch issues no uint8-deprecation warning for it."""
    want = _both(lambda L: L.arange(4.)[L.tensor(value, dtype=L.uint8)])
    assert want[1] == []
    _both(lambda L: L.arange(4.)[[L.tensor(value, dtype=L.uint8), 0]])
    want = _both(lambda L: L.arange(4.)[L.tensor([1, 0, 0, 1], dtype=L.uint8)])
    assert len(want[1]) == 1  # the deprecation warning stays for a byte mask


@pytest.mark.parametrize("idx", [[1.5, 0.0], [1.0, 0.0], [-1.7, 2], [[1.5, 0.0]], [0.5, True],
                                 "np1", "np32", "np2d", "np0d", "npneg"])
def test_float_list_or_array_index_truncates(idx):
    """PyTorch turns a list or NumPy array of floats used as an index into int64 indices
    truncated toward zero (x[[1.5, 0.]] is x[[1, 0]]); ember passed it to NumPy, which
    refuses float indices."""
    arrays = {"np1": np.array([1.5, 0.0]), "np32": np.array([1.0, 0.0], np.float32),
              "np2d": np.array([[1.0], [2.0]]), "np0d": np.array(2.0), "npneg": np.array([-1.7])}
    i = arrays.get(idx, idx) if isinstance(idx, str) else idx
    _both(lambda L: L.arange(4.)[i])

    def write(L):
        x = L.arange(4.)
        x[i] = 9.0
        return x
    _both(write)


def test_float_list_index_gradient():
    """The gradient of x[[1.2, 1.9]] goes to entry 1, twice."""
    def prog(L):
        x = L.arange(4.).requires_grad_()
        (x[[1.2, 1.9]] * 2).sum().backward()
        return x.grad
    want = _both(prog)
    assert want[0] == [0.0, 4.0, 0.0, 0.0]


def test_float_tensor_index_still_refused():
    """A float *tensor* (not a list or array) is still an IndexError in PyTorch."""
    same_error_case(lambda L: L.arange(4.)[L.tensor([1.0, 0.0])])


@pytest.mark.parametrize("args", [("cpu", True), ("cpu", False), ("cpu", "float32"),
                                  ("cpu", 1.5)])
def test_module_to_device_then_non_dtype_is_refused(args):
    """Lapan's lib/common.py writes ``.to(device, cuda_async)`` (the old async flag): after
    a device, PyTorch's next positional argument is the dtype, so ``net.to("cpu", True)``
    matches no overload of Module.to, a TypeError naming what it got; ember took the flag
    for a dtype ('expected a dtype, but got True')."""
    same_error_case(lambda L: L.nn.Linear(2, 2).to(*args))


@pytest.mark.parametrize("args", [("cpu", None), ("cpu", "f64"), ("cpu", "f64", True),
                                  ("f64", True), (None,)])
def test_module_to_device_dtype_overloads_still_work(args):
    def prog(L):
        a = [L.float64 if x == "f64" else x for x in args]
        m = L.nn.Linear(2, 2).to(*a)
        return str(m.weight.dtype)
    want = _both(prog)
    assert want[1] == []


def test_module_to_lone_bool_is_a_bool_dtype():
    """PyTorch's parser reads a lone ``True`` as the dtype torch.bool, which Module.to
    refuses as not floating point."""
    same_error_case(lambda L: L.nn.Linear(2, 2).to(True))


@pytest.mark.parametrize("value", ["ndarray", "np_scalar", "list", "int", "str"])
def test_grad_assigned_a_non_tensor_names_its_type(value):
    """Chapter13's A3C hands gradients across processes as NumPy arrays; forgetting the
    torch.FloatTensor(grad) around one is PyTorch's TypeError naming 'numpy.ndarray'
    (module-qualified), where ember said 'ndarray'."""
    v = {"ndarray": np.ones((2, 2), np.float32), "np_scalar": np.float32(1.0),
         "list": [1.0], "int": 3, "str": "a"}[value]

    def case(L):
        p = L.nn.Parameter(L.ones(2, 2))
        p.grad = v
    same_error_case(case)


@pytest.mark.parametrize("ctor,dtype", [("FloatTensor", "float32"), ("Tensor", "float32"),
                                        ("LongTensor", "int64"), ("DoubleTensor", "float64"),
                                        ("IntTensor", "int32"), ("ByteTensor", "uint8"),
                                        ("BoolTensor", "bool"), ("FloatTensor", "float64"),
                                        ("LongTensor", "float32"), ("new", "float32")])
@pytest.mark.parametrize("shape", ["1d", "0d", "strided"])
def test_legacy_constructor_shares_an_array_of_its_dtype(ctor, dtype, shape):
    """``torch.FloatTensor(a)`` on a float32 array (the book's ``torch.FloatTensor(obs)``)
    shares the array's memory, as from_numpy: later writes to either show in the other.
    Another dtype is a converted copy. ember always copied."""
    def prog(L):
        a = {"1d": lambda: np.zeros(3), "0d": lambda: np.array(0.0),
             "strided": lambda: np.zeros((3, 2))[:, 0]}[shape]().astype(dtype)
        if shape == "strided":
            a = np.zeros((3, 2), dtype)[:, 0]
        t = L.ones(1).new(a) if ctor == "new" else getattr(L, ctor)(a)
        a[...] = 1
        seen = t.tolist()
        if t.dtype != L.bool:
            t.add_(1)
        return [seen, a.tolist(), str(t.dtype), list(t.shape), t.is_contiguous()]
    _both(prog)


_ITEMS = {"npf64": lambda L: np.ones(2), "npf32": lambda L: np.ones(2, np.float32),
          "npi64": lambda L: np.ones(2, np.int64), "list": lambda L: [1, 2],
          "tf32": lambda L: L.ones(2), "tf64": lambda L: L.ones(2, dtype=L.float64),
          "ti64": lambda L: L.ones(2, dtype=L.long), "t1": lambda L: L.tensor([3.0]),
          "t2d": lambda L: L.ones(2, 2), "tb": lambda L: L.ones(2, dtype=L.bool)}


@pytest.mark.parametrize("first", ["npf64", "npf32", "npi64", "list", "tf32", "t1"])
@pytest.mark.parametrize("second", ["tf32", "tf64", "ti64", "t1", "t2d", "tb", "npf64"])
@pytest.mark.parametrize("dtype", [None, "float32", "int64"])
def test_tensor_of_a_list_mixing_arrays_and_tensors(first, second, dtype):
    """``torch.tensor([obs_array, obs_tensor])``: PyTorch reads the nesting depth from the
    first items (a tensor there is a number: one element or ValueError), then reads a later
    tensor with dims as the sequence it is, its dtype promoted with the rest; ember took every
    tensor in a list for a number ('only one element tensors can be converted ...')."""
    def prog(L):
        data = [_ITEMS[first](L), _ITEMS[second](L)]
        t = L.tensor(data) if dtype is None else L.tensor(data, dtype=getattr(L, dtype))
        return [t.tolist(), str(t.dtype), list(t.shape)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the once-a-process list-of-ndarrays warning
        want, got = run_both(prog)
    assert got == want, f"ember {got}\ntorch {want}"


def test_tensor_of_a_list_nested_tensor_rows():
    _both(lambda L: L.tensor([[np.ones(2)], [L.ones(2)]]))
    _both(lambda L: L.FloatTensor([np.ones(2), L.ones(2, dtype=L.float64)]))


@pytest.mark.parametrize("data", ["arr32", "arr64", "arr16", "scalar32", "mixed", "nested",
                                  "empty32", "second32"])
@pytest.mark.parametrize("target", ["long", "int32", "uint8", "bool", "float32",
                                    "LongTensor", "BoolTensor", "ByteTensor"])
def test_float32_numbers_in_a_list_under_an_integer_dtype(data, target):
    """PyTorch reads an integer (or bool) element through ``__index__``: a NumPy float32 /
    float16 number, or an array of them, in the list is its TypeError ("'numpy.float32'
    object cannot be interpreted as an integer"); np.float64 is a Python float and is
    truncated. ember truncated them all."""
    def prog(L):
        v = {"arr32": lambda: [np.ones(2, np.float32)], "arr64": lambda: [np.array([1.5, 2.0])],
             "arr16": lambda: [np.ones(2, np.float16)], "scalar32": lambda: [1, np.float32(2)],
             "mixed": lambda: [np.ones(2, np.int64), np.ones(2, np.float32)],
             "nested": lambda: [[1, 2], [np.float32(1), 3]],
             "empty32": lambda: [np.zeros(0, np.float32)],
             "second32": lambda: [np.ones(2, np.int64), np.ones(3, np.float32)]}[data]()
        if target[0].isupper():
            return getattr(L, target)(v)
        return L.tensor(v, dtype=getattr(L, target))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the once-a-process list-of-ndarrays warning
        _both(prog)


_MASKS = [[1, 0], [1, 0, 0, 1], [[1, 0, 0, 1]], [[1, 0], [0, 1]]]


@pytest.mark.parametrize("how,mask", [(h, m) for h in ("set", "set2d") for m in _MASKS] +
                         [("put", m) for m in _MASKS[:2]])
def test_byte_mask_fill_checks_the_mask_shape_first(how, mask):
    """``next_state_values[done_mask] = 0.0`` with the book's torch.ByteTensor mask: PyTorch
    2's masked_fill_ refuses a uint8 mask, but a mask of the wrong shape is first the
    IndexError naming both shapes (or 'too many indices'); ember raised the uint8 refusal
    whatever the shape."""
    def case(L):
        x = L.arange(4.)
        m = L.tensor(mask, dtype=L.uint8)
        if how == "set":
            x[m] = 0.0
        elif how == "set2d":
            x.view(2, 2)[m] = 0.0
        else:
            x.index_put_((m,), L.tensor(9.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_error_case(case)
