"""Session 21: natural-gradient and trust-region RL programs as users copy them:
ikostrikov/pytorch-trpo (main.py, trpo.py's conjugate_gradients / linesearch / trpo_step,
utils.py, models.py, running_state.py ZFilter, replay_memory.py) in tests/s21_trpo_progs.py,
and Khrylx/PyTorch-RL (core/trpo.py with Fvp_fim and Fvp_direct, core/ppo.py, core/a2c.py,
core/common.py estimate_advantages, utils/torch.py, utils/math.py, models/mlp_policy.py,
mlp_policy_disc.py, mlp_critic.py, mlp_discriminator.py, gail/gail_gym.py's discriminator
update) in tests/s21_trpo_progs_[b-d].py, with Gym replaced by seeded NumPy stand-ins and
scipy's fmin_l_bfgs_b by torch.optim.LBFGS. Each runs on ember and on torch 2.13 and is
compared live: printed lines exactly, values to rtol 1e-5 / atol 1e-6. Below them, focused
tests for what the sweep fixed (torch.utils.backcompat, multinomial's missing arguments)."""

import numpy as np
import pytest
import s21_trpo_progs as A
import s21_trpo_progs_c as C
import s21_trpo_progs_d as D
from torch_compare import check_program, same, same_error_case, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.pytorch_trpo, C.trpo_gym_fim, C.trpo_gym_direct, C.trpo_gym_disc,
         C.trpo_gym_disc_direct, D.ppo_gym, D.ppo_gym_disc, D.a2c_gym, D.gail_gym]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)


# torch.utils.backcompat: main.py sets both legacy switches before anything else

def test_backcompat_flags_round_trip():
    def case(L):
        b = L.utils.backcompat
        seen = [b.broadcast_warning.enabled, b.keepdim_warning.get_enabled()]
        try:
            b.broadcast_warning.enabled = True
            b.keepdim_warning.set_enabled(True)
            seen += [b.broadcast_warning.enabled, b.keepdim_warning.enabled,
                     type(b.broadcast_warning).__name__, isinstance(b.Warning, type)]
            seen.append((L.ones(3) + L.ones(2, 1)).shape)  # switches warn about nothing now
        finally:
            b.broadcast_warning.enabled = False
            b.keepdim_warning.enabled = False
        return seen + [b.broadcast_warning.enabled, b.keepdim_warning.enabled]
    from torch_compare import same_with_warnings
    same_with_warnings(case)


@pytest.mark.parametrize("value", ["x", None, 2.0, 1, np.bool_(True)],
                         ids=["str", "none", "float", "int", "numpy_bool"])
@pytest.mark.parametrize("switch", ["broadcast_warning", "keepdim_warning"])
def test_backcompat_flag_needs_bool(switch, value):
    def case(L):
        setattr(getattr(L.utils.backcompat, switch), "enabled", value)
    same_error_case(case)


def test_backcompat_module_names():
    names = ["_get_backcompat_broadcast_warn", "_get_backcompat_keepdim_warn",
             "_set_backcompat_broadcast_warn", "_set_backcompat_keepdim_warn"]
    same(lambda L: (sorted(n for n in dir(L.utils.backcompat) if not n.startswith("_")),
                    [callable(getattr(L.utils.backcompat, n)) for n in names]))


# multinomial without its required arguments: PyTorch's parser wording

@pytest.mark.parametrize("call", [
    lambda L: L.multinomial(L.ones(2)),
    lambda L: L.multinomial(L.ones(2, 3), replacement=True),
    lambda L: L.multinomial(),
    lambda L: L.multinomial(replacement=False),
    lambda L: L.ones(3).multinomial(),  # the method form, as the original DiscretePolicy
    lambda L: L.ones(2, 3).multinomial(replacement=True),
], ids=["no_num_samples", "no_num_samples_kw", "nothing", "only_replacement", "method",
        "method_kw"])
def test_multinomial_missing_arguments(call):
    same_error_case(call)


def test_multinomial_keywords_still_work():
    def case(L):
        L.manual_seed(3)
        return L.multinomial(input=L.tensor([[0.2, 0.8], [0.5, 0.5]]), num_samples=3,
                             replacement=True).tolist()
    same(case)
