"""Session 20: exploration and model-based RL research code as users copy it
(tests/s20_explore_progs*.py): Random Network Distillation (jcwleo/random-network-distillation-
pytorch), DrQ-v2 (facebookresearch/drqv2), TD-MPC (nicklashansen/tdmpc) and Dreamer-style
RSSMs (yusukeurakami/dreamer-pytorch, RajGhugare19/dreamerv2), with NumPy-seeded stand-ins for
the environments, run on ember and on torch 2.13 and compared live: printed lines, dtypes,
shapes, warnings and errors (type and first line) exactly, values to rtol 1e-5 / atol 1e-6.
Below them, focused tests for what the sweep found: torch.distributions.utils._standard_normal
(DrQ-v2's and TD-MPC's TruncatedNormal import it) and linspace's overflow check of its ends
(RandomShiftsAug on uint8 frames builds its grid with linspace(-1 + eps, ...,
dtype=x.dtype))."""

import pytest
import s20_explore_progs as A
import s20_explore_progs_b as B
import s20_explore_progs_c as C
import s20_explore_progs_d as D
import s20_explore_progs_e as E
import s20_explore_progs_f as F
import s20_explore_progs_g as G
from torch_compare import check_program, run_both, same, same_error_case

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.rnd_models, A.rnd_train, B.drq_random_shifts, B.drq_update, B.drq_update_parallel,
         B.drq_parallel_init, C.tdmpc_told_buffer, G.tdmpc_plan, G.tdmpc_update,
         D.dreamer_world_model, E.dreamerv2_discrete, E.straight_through,
         F.shift_aug_variants, F.free_nats_variants]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, RTOL, ATOL)


def _standard_normal(L):
    from importlib import import_module
    return import_module(L.__name__ + ".distributions.utils")._standard_normal


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("shape", [(3, 2), (), (0, 4), [5]])
def test_standard_normal_draws_like_normal_(dtype, shape):
    """_standard_normal(shape, dtype, device): empty(...).normal_() on the default generator,
    so the draws (and the generator's state after them) are PyTorch's."""
    def case(L):
        L.manual_seed(7)
        x = _standard_normal(L)(shape, dtype=getattr(L, dtype), device=L.device("cpu"))
        return str(x.dtype), tuple(x.shape), x.requires_grad, x.tolist(), L.rand(2).tolist()
    same(case)


def test_standard_normal_takes_its_arguments_by_position_and_none():
    """dtype and device may be given by position and as None (the default dtype, the CPU)."""
    def case(L):
        L.manual_seed(3)
        L_sn = _standard_normal(L)
        a = L_sn((2,), None, None)
        b = L_sn(L.Size([2, 1]), L.float64, "cpu")
        return str(a.dtype), a.tolist(), str(b.dtype), b.tolist()
    same(case)


@pytest.mark.parametrize("bad", ["missing", "int_dtype"])
def test_standard_normal_errors(bad):
    """Both arguments are required; an integer dtype has no normal_ kernel."""
    def case(L):
        f = _standard_normal(L)
        if bad == "missing":
            return f((2,), L.float32)
        return f((2,), L.int64, None)
    same_error_case(case)


LINSPACE_CASES = [
    ((-0.5, 3, 5), "uint8"), ((-1e-9, 3, 5), "uint8"), ((0, 255.5, 5), "uint8"),
    ((0, 255.0, 3), "uint8"), ((0, 256, 5), "uint8"), ((-1, 3, 2), "uint8"),
    ((-255, 3, 2), "uint8"), ((-256, 3, 2), "uint8"), ((0, 300, 1), "uint8"),
    ((-0.5, -0.1, 1), "uint8"), ((-0.5, 3, 0), "uint8"), ((0, 200, 5), "int8"),
    ((-129, 0, 5), "int8"), ((0, 1e10, 5), "int32"), ((0, 1e20, 5), "int64"),
    ((float("nan"), 2, 3), "int64"), ((0, float("inf"), 3), "int16"),
    ((0, 1e39, 5), "float32"), ((0, 1e39, 5), "float64"), ((0, float("inf"), 3), "float32"),
    ((0, 70000, 5), "float16"), ((0, 60000, 5), "float16"), ((0, 3, 5), "bool"),
    ((0, 3, 1), "bool"), ((0, 3, 0), "bool"), ((True, 3, 5), "uint8"),
    ((-2, 3, 6), "int64"),
]


@pytest.mark.parametrize("args,dtype", LINSPACE_CASES, ids=lambda v: str(v))
def test_linspace_checks_its_ends_against_the_dtype(args, dtype):
    """PyTorch converts linspace's start (one point) or both ends (more points) to the dtype
    with its overflow check, so RandomShiftsAug's linspace(-1 + eps, 1 - eps, ..., dtype=
    torch.uint8) on raw frames is a RuntimeError (ember wrapped the values); a Bool linspace of
    two or more points has no kernel."""
    same(lambda L: repr(L.linspace(*args, dtype=getattr(L, dtype))))


@pytest.mark.parametrize("end", [300, 255])
def test_linspace_tensor_ends_are_checked_too(end):
    same(lambda L: repr(L.linspace(L.tensor(-1.5) if end == 255 else 0, L.tensor(end), 2,
                                   dtype=L.uint8)))


def test_random_shifts_aug_on_uint8_frames_is_refused():
    """drqv2.py's RandomShiftsAug called on a uint8 batch (without .float()) fails at the
    linspace, as in PyTorch."""
    def case(L):
        u = B._drq_lib(L)
        return u['RandomShiftsAug'](pad=2)(L.zeros(2, 3, 8, 8, dtype=L.uint8))
    same_error_case(case)
    want, got = run_both(lambda L: L.linspace(-1.0 + 0.1, 1.0 - 0.1, 6, dtype=L.uint8))
    assert want == got and want[0] == "RuntimeError"


LOGSPACE_CASES = [
    ((-0.5, 2, 3), "uint8"), ((0, 1e39, 3), "float32"), ((0, 300, 3), "uint8"),
    ((0, 3, 3), "bool"), ((0, 2.5, 3), "int64"), ((-1, 2, 4), "int64"), ((-1, 2, 4), "uint8"),
    ((0, 2, 1), "bool"), ((0, 300, 1), "uint8"), ((-0.5, 300, 1), "uint8"),
    ((-1, 2, 1), "uint8"), ((2.7, 2, 1), "int64"), ((0, 1e39, 1), "float32"),
    ((39, 0, 1), "float32"), ((0, 1e39, 0), "float32"), ((0, 3, 2), "bool"),
    ((300, 3, 1), "uint8"), ((0, 3, 5), "int8"), ((-1, 3, 5), "uint8"), ((1, 4, 7), "int32"),
    ((0.5, 3.5, 4), "int16"), ((-3, 3, 7), "int64"), ((0, 3, 4), "float16"),
    ((0, 3, 4), "float64"),
]


@pytest.mark.parametrize("args,dtype", LOGSPACE_CASES, ids=lambda v: str(v))
def test_logspace_ends_and_integer_dtypes(args, dtype):
    """logspace converts its ends to the dtype first, as linspace does (the overflow check,
    and for an integer dtype the exponents run between the converted ends: logspace(0, 2.5, 3,
    dtype=int64) is [1, 10, 100], logspace(-1, 2, 4, dtype=uint8) starts from 255); one point
    is base ** start, checked against the dtype; Bool has no kernel for two or more."""
    same(lambda L: repr(L.logspace(*args, dtype=getattr(L, dtype))))
