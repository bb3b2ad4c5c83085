"""Session 22: preference optimisation and LM RL code as users type it:
eric-mitchell/direct-preference-optimization (preference_datasets.py's tokenize / collate,
utils.py, trainers.py's preference_loss for DPO / conservative DPO / IPO, _get_batch_logps,
concatenated_inputs / concatenated_forward and BasicTrainer's step), reward models with the
pairwise Bradley-Terry loss (CarperAI/trlx summarize_rlhf GPTRewardModel, ethanyanjiali/
minChatGPT's GPTRewardModel / KPairwiseLoss / PairWiseLoss), GRPO (lsdefine/simple_GRPO's
GRPO_step and group-normalised rewards, the TRL GRPOTrainer's compute_loss), PPO for an LM
(minChatGPT's PPOTrainer with PolicyLoss / ValueLoss / kl_penalized_reward) and verl's
core_algos.py / torch_functional.py (GAE, GRPO / REINFORCE++ / ReMax advantages, clipped
policy and value losses, kl_penalty, AdaptiveKLController) in tests/s22_prefopt_progs*.py,
on a tiny GPT-like policy built from nn modules (vocab 20, dim 16). Each runs on ember and
on torch 2.13 and is compared live: printed lines (losses, rewards, KL, grad norms with 4
decimals, warnings, errors' type and first line) exactly, values to rtol 1e-5 / atol 1e-6."""

import pytest
import s22_prefopt_progs_b as B
import s22_prefopt_progs_c as C
import s22_prefopt_progs_d as D
import s22_prefopt_progs_e as E
import s22_prefopt_progs_f as F
from torch_compare import check_program

RTOL, ATOL = 1e-5, 1e-6

PROGS = [B.dpo_data, B.dpo_losses, B.dpo_train, B.cdpo_train_accum, B.ipo_train, B.sft_train,
         C.trlx_reward_model, C.minchatgpt_reward_model,
         D.simple_grpo, D.trl_grpo, E.minchatgpt_ppo,
         F.verl_ppo, F.verl_estimators]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, RTOL, ATOL)
