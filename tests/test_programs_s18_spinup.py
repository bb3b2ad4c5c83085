"""Session 18: openai/spinningup's PyTorch algorithms (vpg / ppo / ddpg / td3 / sac: core.py's
actor-critics over torch.distributions Categorical / Normal, the buffers with a NumPy
discount_cumsum, compute_loss_pi / compute_loss_v / compute_loss_q, update() with polyak
averaging through p_targ.data.mul_ / add_ under torch.no_grad), its pg_math examples,
problem-set exercises, mpi_pytorch's numpy views and logx's whole-module save, and
bentrevett/pytorch-rl's CartPole notebooks (REINFORCE, A2C, GAE, PPO), as users type them
on seeded NumPy environments with gym's shapes (tests/s18_spinup_progs*.py), run on ember and
on torch 2.13 and compared live: printed lines (reprs, losses to 4 decimals, dtypes,
warnings, error lines) exactly, values to rtol 1e-5 / atol 1e-6 (Linear layers go through
OpenBLAS where PyTorch uses MKL, tanh / exp through Sleef: last bits that Adam carries).
Then the fixes the sweep needed: Parameter's deepcopy leaves .grad behind; the default
thread count follows the process's CPU affinity and MKL_NUM_THREADS / OMP_NUM_THREADS; a
NumPy number left of ``//`` / ``%`` is a Python number (a Tensor comes back); ``axis=`` is
taken for ``dim=`` by squeeze / unsqueeze / sort / topk / gather / index_select / ...; and an
array of non-native byte order gets PyTorch's ValueError."""

import copy
import numpy as np  # noqa: F401 - the expressions of the NumPy-number test
import os
import subprocess
import sys

import pytest
import s18_spinup_progs as A
import s18_spinup_progs_b as B
import s18_spinup_progs_c as C
import s18_spinup_progs_d as D
from torch_compare import check_program, run_both, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.core_pieces, A.vpg_discrete, A.vpg_box, A.ppo_discrete, A.ppo_box, B.ddpg, B.td3,
         B.sac, C.reinforce, C.a2c, C.gae, C.ppo, D.simple_pg, D.rtg_pg, D.exercises,
         D.bugged_q, D.mpi_views, D.save_load]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)  # (gae prints a once-a-process warning: order-independent)
    check_program(prog, 0, RTOL, ATOL)


@pytest.mark.parametrize("case", ["module_after_backward", "frozen", "shared", "attribute",
                                  "plain_tensor", "no_grad_mode"])
def test_parameter_deepcopy_leaves_grad_behind(case):
    """spinup's ``ac_targ = deepcopy(ac)`` (and DQN's target copies made mid-training):
    PyTorch's Parameter.__deepcopy__ builds ``type(p)(p.data.clone(), p.requires_grad)``, so
    the copy has no .grad and no extra attributes; ember's copied the gradient along. A plain
    tensor's deepcopy keeps its .grad in both."""
    def prog(L):
        nn = L.nn
        L.manual_seed(0)
        if case == "module_after_backward":
            m = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
            m(L.ones(4, 2)).sum().backward()
            c = copy.deepcopy(m)
            return [(p.grad is None, p.requires_grad, type(p).__name__) for p in c.parameters()]
        if case == "frozen":
            m = nn.Linear(2, 2)
            for p in m.parameters():
                p.requires_grad = False
            return [p.requires_grad for p in copy.deepcopy(m).parameters()]
        if case == "shared":
            lin = nn.Linear(2, 2)
            c = copy.deepcopy(nn.Sequential(lin, lin))
            return c[0].weight is c[1].weight, c[0].weight is lin.weight
        if case == "attribute":
            p = nn.Parameter(L.ones(2))
            p.tag = "x"
            return hasattr(copy.deepcopy(p), "tag"), copy.deepcopy(p)._version
        if case == "plain_tensor":
            t = L.ones(2, requires_grad=True)
            (t * 3).sum().backward()
            return copy.deepcopy(t).grad.tolist()
        with L.no_grad():
            return copy.deepcopy(nn.Parameter(L.ones(2))).requires_grad
    want, got = run_both(prog)
    assert got == want


_THREADS = "import {lib}; print({lib}.get_num_threads())"


@pytest.mark.parametrize("env", [{}, {"OMP_NUM_THREADS": "1"}, {"MKL_NUM_THREADS": "1"},
                                 {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "2"},
                                 {"OMP_NUM_THREADS": "0"}, {"OMP_NUM_THREADS": "64"}],
                         ids=lambda e: ",".join(f"{k}={v}" for k, v in e.items()) or "none")
def test_default_num_threads_follows_affinity_and_env(env):
    """spinup's setup_pytorch_for_mpi starts with ``if torch.get_num_threads()==1: return``.
    PyTorch's default is MKL_NUM_THREADS, else OMP_NUM_THREADS (at most the machine's cores),
    else the CPUs in the process's affinity mask (``taskset -c 1`` gives 1); ember counted
    every core of the machine and ignored MKL_NUM_THREADS. Each library in a fresh process
    pinned to one CPU, with the variables set."""
    base = {k: v for k, v in os.environ.items()
            if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "EMBER_NUM_THREADS")}
    one_cpu = {min(os.sched_getaffinity(0))}

    def count(lib):
        res = subprocess.run([sys.executable, "-c", _THREADS.format(lib=lib)],
                             env=dict(base, **env), capture_output=True, text=True,
                             preexec_fn=lambda: os.sched_setaffinity(0, one_cpu), check=True)
        return int(res.stdout.split()[-1])
    assert count("ember") == count("torch")


@pytest.mark.parametrize("op", ["//", "%"])
@pytest.mark.parametrize("scalar", ["np.float32(7.5)", "np.float64(-7.5)", "np.int64(7)",
                                    "np.int32(-7)", "np.uint8(9)"])
@pytest.mark.parametrize("tensor", ["tensor([2., -3., 0.5])", "tensor([2, -3, 4])",
                                    "tensor(2.5)", "tensor([2., -3.], requires_grad=True)"])
def test_numpy_number_left_of_floordiv_and_mod(op, scalar, tensor):
    """``np.float32(x) // t`` and ``np.int64(x) % t`` (a step counter or a return read back
    from NumPy, on the left): PyTorch treats the NumPy number as a Python number in the
    tensor's reflected operator, so the result is a Tensor of the tensor's dtype (that keeps
    requires_grad); ember's NumPy protocol let NumPy compute them, giving an ndarray or a
    NumPy number (float64 for an int tensor), or refusing a tensor that requires grad."""
    def prog(L):
        a = eval(scalar)  # noqa: S307 - the test's own expressions
        t = eval(f"L.{tensor}")  # noqa: S307
        r = eval(f"a {op} t")  # noqa: S307
        return (type(r).__name__, str(r.dtype).split(".")[-1], r.requires_grad,
                r.detach().tolist())
    want, got = run_both(prog)
    assert got == want


@pytest.mark.parametrize("expr", [
    "L.squeeze(x1, axis=-1)", "x1.squeeze(axis=-1)", "L.squeeze(x1, axis=(1,))",
    "L.unsqueeze(x, axis=0)", "x.unsqueeze(axis=-1)", "x.sort(axis=1)", "x.argsort(axis=0)",
    "x.topk(1, axis=1)", "x.gather(axis=1, index=L.zeros(2, 1, dtype=L.long))",
    "L.gather(x, axis=0, index=L.zeros(1, 3, dtype=L.long))",
    "x.index_select(axis=1, index=L.tensor([0]))", "x.median(axis=1)", "x.nansum(axis=1)",
    "x.count_nonzero(axis=1)", "L.chunk(x, 2, axis=1)", "x.repeat_interleave(2, axis=1)",
    "L.repeat_interleave(x, 2, axis=0)", "L.diff(x, axis=1)", "x.unbind(axis=1)",
    "x.narrow(axis=1, start=0, length=1)", "x.select(axis=1, index=0)",
    "L.tensor_split(x, 2, axis=1)", "x.nanmedian(axis=0)", "x.squeeze(axis=1, dim=1)",
    "x.gather(1, L.zeros(2, 1, dtype=L.long), axis=1)"])
def test_numpy_axis_name_for_dim(expr):
    """``q.squeeze(axis=-1)``, ``torch.unsqueeze(x, axis=0)``, ``x.sort(axis=1)``: PyTorch's
    argument parser takes NumPy's ``axis`` for ``dim`` in every native function and method
    (ember had it only on the reductions, cat / stack and the scans) and refuses the two names
    together; the values, or PyTorch's TypeError (type; the first line where ember words it
    as PyTorch)."""
    def prog(L):
        x = L.tensor([[1., -2., 3.], [0.5, 4., -1.]], requires_grad=True)
        x1 = L.ones(3, 1)
        r = eval(expr)  # noqa: S307 - the test's own expressions
        r = r if isinstance(r, tuple) else (r,)
        return [t.detach().numpy().tolist() if hasattr(t, "detach") else t for t in r]
    want, got = run_both(prog)
    if isinstance(want, tuple) and want and want[0] == "TypeError":
        assert got[0] == "TypeError", got
    else:
        assert got == want


@pytest.mark.parametrize("expr", ["L.from_numpy(np.zeros(3, '>f4'))", "L.tensor(np.ones(2, '>i8'))",
                                  "L.as_tensor(np.arange(3, dtype='>f8'))",
                                  "L.as_tensor(np.zeros(2, '>i1')).dtype",
                                  "L.from_numpy(np.zeros(2, '<f4')).dtype",
                                  "L.from_numpy(np.zeros(2, '>f4').astype('=f4')).dtype"])
def test_non_native_byte_order_array(expr):
    """An array read with an explicit big-endian dtype (``np.frombuffer(raw, '>i4')``, the
    MNIST idx headers): PyTorch refuses it with a ValueError about the byte order; ember said
    the dtype itself was unsupported (TypeError). One-byte types have no byte order."""
    def prog(L):
        return repr(eval(expr)).replace("ember", "torch")  # noqa: S307
    want, got = run_both(prog)
    assert got == want
