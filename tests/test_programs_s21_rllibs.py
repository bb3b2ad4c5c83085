"""Session 21: the PyTorch code inside RL libraries that practitioners copy out, as they type
it: rail-berkeley/rlkit (pytorch_util soft updates / fanin_init, Mlp / ConcatMlp /
TanhMlpPolicy, distributions.py's TanhNormal and Distribution subclasses with register_kl,
TanhGaussianPolicy, the SAC / TD3 / DQN / double-DQN trainers) and thu-ml/tianshou
(utils/net common / discrete / continuous, to_torch / to_torch_as, the GAE return, the
learn() of DQN, PG, A2C + PPO discrete and continuous, SAC with auto alpha, TD3; rlkit's
core.py / MultiHeadedMlp / ParallelMlp / GaussianPolicy / GaussianMixture), in
tests/s21_rllibs_progs*.py on fixed random batches. Each runs on ember and on torch 2.13 and
is compared live: printed lines exactly, values to rtol 1e-5 / atol 1e-6. Then the gaps the
sweep found, each checked against PyTorch live."""

import numpy as np
import pytest
import s21_rllibs_progs_b as B
import s21_rllibs_progs_d as D
import s21_rllibs_progs_e as E
import s21_rllibs_progs_f as F
from torch_compare import check_program, run_both, same_error_case, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [B.rlkit_distributions, B.rlkit_sac, B.rlkit_td3, B.rlkit_dqn, D.tianshou_dqn,
         D.tianshou_pg, D.tianshou_ppo, E.tianshou_sac, E.tianshou_td3,
         E.tianshou_ppo_continuous, F.rlkit_networks, F.rlkit_gaussian_policies]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)


# ---- distribution parameters: Python numbers only (torch.types._Number: int, float, bool).
# np.float64 is a float subclass and passes; np.float32 / np.int64 scalars and complex
# numbers get broadcast_all's ValueError, as in PyTorch.
@pytest.mark.parametrize("make", [
    lambda L: L.distributions.Normal(np.float32(0.), 1.),
    lambda L: L.distributions.Normal(L.zeros(2), np.float32(0.1)),
    lambda L: L.distributions.Normal(np.int64(0), 1.),
    lambda L: L.distributions.Uniform(np.float32(0.), 1.),
    lambda L: L.distributions.Laplace(0., np.int32(2)),
    lambda L: L.distributions.Normal(1j, 1.),
    lambda L: L.distributions.utils.broadcast_all(L.ones(2), np.float32(2.)),
], ids=["normal_f32_loc", "normal_f32_scale", "normal_i64", "uniform_f32", "laplace_i32",
        "normal_complex", "broadcast_all_f32"])
def test_distribution_numpy_scalar_parameters_refused(make):
    same_error_case(make)


@pytest.mark.parametrize("make", [
    lambda L: L.distributions.Normal(np.float64(0.5), 2.).sample((3,)).shape,
    lambda L: str(L.distributions.Normal(0, True).loc.dtype),
    lambda L: str(L.distributions.Normal(L.zeros(2, dtype=L.float64), 1).scale.dtype),
], ids=["f64_subclass_of_float", "int_bool", "tensor_dtype"])
def test_distribution_python_number_parameters(make):
    want, got = run_both(make)
    assert got == want


# ---- a 0-d ndarray on the left of a tensor operator: PyTorch's TypeError (the array's
# operator gives up and so does the tensor's reflected one), like any other ndarray; / is
# NumPy's answer wrapped (float64). A NumPy number stays a number (np.float64(2) * t), and
# comparisons, which NumPy hands over with its number made a 0-d array, stay ember's.
@pytest.mark.parametrize("expr", [
    "np.array(0.5) * t", "np.array(2.) + t", "np.array(3) - t", "np.array(True) * t",
    "np.array(2.) // t", "np.array(2.) % t", "np.array(2.) ** t", "np.array(2.) @ t",
    "np.array(0.5) * tg", "np.array(0.5) * L.tensor(2.)", "np.asarray(0.99) * t",
    "np.array(3) & ti", "np.array(3) | ti",
])
def test_zero_dim_array_on_left_refused(expr):
    def case(L):
        t, tg = L.tensor([1., 2.]), L.ones(2, requires_grad=True)
        ti = L.tensor([1, 2])  # noqa: F841 - used by eval
        return eval(expr, {"np": np, "L": L, "t": t, "tg": tg, "ti": ti})
    same_error_case(case)


@pytest.mark.parametrize("expr", [
    "np.array(2.) / t", "np.array(3) / t", "np.float64(2.) * t", "np.float32(2.) * t",
    "np.int64(2) - t", "np.float64(2.) < t", "np.float32(2.) >= t", "np.int64(2) != t",
    "t * np.array(0.5)", "t + np.array(2.)", "np.array([0.5]) * t",
])
def test_zero_dim_array_and_numpy_numbers_kept(expr):
    import warnings

    def case(L):
        t = L.tensor([1., 2.])
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = eval(expr, {"np": np, "L": L, "t": t})
        return type(r).__name__, str(r.dtype), r.tolist(), [x.category.__name__ for x in w]
    want, got = run_both(case)
    assert got == want


# ---- torch.typename of ember's functions and classes, as PyTorch names its own: a function
# handed to nn.Sequential (rlkit's ParallelMlp with activation_from_string) is refused with
# 'torch._VariableFunctionsClass.relu is not a Module subclass', F.softplus is torch._C._nn's,
# F.relu torch.nn.functional's; torch.no_grad lives in torch.autograd.grad_mode, the
# Generator in torch._C.
@pytest.mark.parametrize("expr", [
    "L.nn.Sequential(L.nn.Linear(2, 2), L.relu)",
    "L.nn.Sequential(L.nn.Linear(2, 2), L.tanh)",
    "L.nn.Sequential(F.relu)", "L.nn.Sequential(F.softplus)", "L.nn.Sequential(F.gelu)",
    "L.nn.Sequential(F.logsigmoid)", "L.nn.Sequential(F.max_pool2d)",
    "L.nn.Sequential(L.split)", "L.nn.Sequential(L.manual_seed)", "L.nn.Sequential(L.unique)",
    "L.nn.Sequential(L.bitwise_left_shift)",
    "L.nn.Module().add_module('act', L.sigmoid)",
])
def test_function_refused_as_module_named_as_pytorch(expr):
    same_error_case(lambda L: eval(expr, {"L": L, "F": L.nn.functional}))


@pytest.mark.parametrize("expr", [
    "L.relu", "L.exp", "L.cat", "L.einsum", "L.load", "L.lu", "F.relu", "F.linear",
    "F.conv2d", "F.one_hot", "F.threshold", "F.adaptive_max_pool1d", "L.Generator",
    "L.Generator()", "L.no_grad", "L.no_grad()", "L.enable_grad", "L.autocast", "L.Size",
    "L.Size([2])", "L.float32", "L.device('cpu')", "L.nn.Linear", "L.nn.Linear(2, 2)",
    "L.ones(2)", "L.optim.SGD",
])
def test_typename(expr):
    want, got = run_both(lambda L: L.typename(eval(expr, {"L": L, "F": L.nn.functional})))
    assert got == want
