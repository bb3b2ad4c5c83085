"""torch.distributions against PyTorch 2.13 where learners and RL code go wrong: invalid
parameters under validation, probabilities and logits together or neither, out-of-support
values for log_prob/icdf, broadcasting parameters that do not broadcast, integer and Python
number parameters (their dtype), -inf logits as masks, sample shapes and dtypes,
Independent's reinterpreted dims, KL pairs (registered, zero-probability, unregistered).
The same exception type and first line, or the same values, dtype and shape."""

from __future__ import annotations

import pytest
import torch

import ember
from parity_util import same_ending


def cases(T):
    D = T.distributions
    t = T.tensor

    def normal32(shape):
        return D.Normal(T.zeros(*shape), T.ones(*shape))

    def tanh_normal():
        return D.TransformedDistribution(D.Normal(0.0, 1.0), [D.transforms.TanhTransform()])

    def cats(p, q):
        return D.kl_divergence(D.Categorical(probs=t(p)), D.Categorical(probs=t(q)))

    def no_validation():
        D.Distribution.set_default_validate_args(False)
        try:
            return D.Normal(0.0, -1.0).scale
        finally:
            D.Distribution.set_default_validate_args(True)

    return {
      "cat_probs_neg": lambda: D.Categorical(probs=t([-0.1, 1.1])),
      "cat_probs_unnorm": lambda: D.Categorical(probs=t([1.0, 3.0])).probs,
      "cat_logits_mask": lambda: D.Categorical(logits=t([0.0, -float("inf")])).entropy(),
      "cat_both": lambda: D.Categorical(probs=t([0.5, 0.5]), logits=t([0.0, 0.0])),
      "cat_none": lambda: D.Categorical(),
      "cat_logprob_oob": lambda: D.Categorical(logits=t([0.0, 1.0])).log_prob(t(2)),
      "cat_logprob_float": lambda: D.Categorical(logits=t([0.0, 1.0])).log_prob(t(1.0)),
      "cat_logprob_bcast": lambda: D.Categorical(logits=t([[0.0, 1.0], [1.0, 0.0]])).log_prob(
          t([0, 1, 1])),
      "cat_sample_shape": lambda: tuple(D.Categorical(logits=T.zeros(3, 4)).sample((5,)).shape),
      "cat_sample_dtype": lambda: D.Categorical(logits=T.zeros(4)).sample().dtype,
      "cat_batch_event": lambda: (tuple(D.Categorical(logits=T.zeros(3, 4)).batch_shape),
                                  tuple(D.Categorical(logits=T.zeros(3, 4)).event_shape)),
      "cat_mean": lambda: D.Categorical(logits=T.zeros(4)).mean,
      "cat_mode": lambda: D.Categorical(probs=t([0.1, 0.6, 0.3])).mode,
      "cat_enumerate": lambda: D.Categorical(logits=T.zeros(2, 3)).enumerate_support(),
      "normal_neg_scale": lambda: D.Normal(0.0, -1.0),
      "normal_zero_scale": lambda: D.Normal(0.0, 0.0),
      "normal_nan_loc": lambda: D.Normal(float("nan"), 1.0),
      "normal_int_args": lambda: D.Normal(t(0), t(1)).mean.dtype,
      "normal_python": lambda: D.Normal(0, 1).mean.dtype,
      "normal_logprob": lambda: D.Normal(t([0.0, 1.0]), t([1.0, 2.0])).log_prob(t([0.5, 0.5])),
      "normal_cdf_icdf": lambda: D.Normal(0.0, 1.0).icdf(D.Normal(0.0, 1.0).cdf(t([-1.0, 2.0]))),
      "normal_icdf_oob": lambda: D.Normal(0.0, 1.0).icdf(t(1.5)),
      "normal_entropy": lambda: D.Normal(t([1.0, 2.0]), t([0.5, 3.0])).entropy(),
      "normal_rsample_shape": lambda: tuple(D.Normal(T.zeros(2), T.ones(2)).rsample((3,)).shape),
      "normal_sample_grad": lambda: D.Normal(T.zeros(2, requires_grad=True),
                                             1.0).sample().requires_grad,
      "normal_expand": lambda: tuple(D.Normal(0.0, 1.0).expand((3, 2)).batch_shape),
      "normal_bcast_fail": lambda: D.Normal(T.zeros(2), T.ones(3)),
      "bern_probs_bad": lambda: D.Bernoulli(probs=t([1.5])),
      "bern_logprob_nonbinary": lambda: D.Bernoulli(probs=t([0.3])).log_prob(t([0.5])),
      "bern_entropy": lambda: D.Bernoulli(logits=t([0.0, 2.0, -50.0])).entropy(),
      "bern_sample_dtype": lambda: D.Bernoulli(probs=t([0.3])).sample().dtype,
      "indep_bad": lambda: D.Independent(D.Normal(T.zeros(2), T.ones(2)), 2),
      "indep_shapes": lambda: (tuple(D.Independent(normal32((3, 2)), 1).batch_shape),
                               tuple(D.Independent(normal32((3, 2)), 1).event_shape)),
      "indep_logprob": lambda: D.Independent(normal32((3, 2)), 1).log_prob(T.ones(3, 2)),
      "kl_normal": lambda: D.kl_divergence(D.Normal(0.0, 1.0), D.Normal(1.0, 2.0)),
      "kl_cat": lambda: cats([0.5, 0.5], [0.9, 0.1]),
      "kl_cat_zero": lambda: cats([0.5, 0.5], [1.0, 0.0]),
      "kl_unregistered": lambda: D.kl_divergence(D.Normal(0.0, 1.0),
                                                 D.Categorical(probs=t([0.5, 0.5]))),
      "kl_bern": lambda: D.kl_divergence(D.Bernoulli(t([0.3])), D.Bernoulli(t([0.6]))),
      "uniform_bad": lambda: D.Uniform(1.0, 0.0),
      "uniform_logprob_out": lambda: D.Uniform(0.0, 1.0).log_prob(t(2.0)),
      "beta_bad": lambda: D.Beta(-1.0, 1.0),
      "mvn_bad_cov": lambda: D.MultivariateNormal(T.zeros(2), t([[1.0, 2.0], [2.0, 1.0]])),
      "mvn_logprob": lambda: D.MultivariateNormal(T.zeros(2), t([[2.0, 0.5], [0.5, 1.0]])
                                                  ).log_prob(t([1.0, -1.0])),
      "mvn_none": lambda: D.MultivariateNormal(T.zeros(2)),
      "set_default_validate": no_validation,
      "tanh_transform": lambda: tanh_normal().log_prob(t(0.5)),
      "tanh_transform_oob": lambda: tanh_normal().log_prob(t(1.5)),
      "gamma_logprob_neg": lambda: D.Gamma(2.0, 1.0).log_prob(t(-1.0)),
      "poisson_nonint": lambda: D.Poisson(2.0).log_prob(t(1.5)),
      "dirichlet_bad": lambda: D.Dirichlet(t([0.0, 1.0])),
      "exp_mean": lambda: D.Exponential(t([2.0])).mean,
      "laplace_var": lambda: D.Laplace(0.0, 2.0).variance,
    }


@pytest.mark.parametrize("name", list(cases(torch)))
def test_distribution_sweep(name):
    same_ending(cases(ember)[name], cases(torch)[name])
