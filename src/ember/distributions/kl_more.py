"""KL(p || q) for the counting, heavy-tailed and Gumbel families, and the cross-family pairs
PyTorch registers among them (registered into kl.py's table on import)."""

from __future__ import annotations

import math

from .. import ops
from ..creation import full_like
from .bernoulli import Bernoulli
from .beta import Beta
from .continuous_more import Cauchy, Gumbel, HalfNormal, Pareto
from .discrete import Binomial, Geometric, Poisson
from .exponential import Exponential
from .gamma import Gamma
from .kl import _kl_normal, register_kl
from .laplace import Laplace
from .normal import Normal
from .uniform import Uniform

_EULER = 0.57721566490153286060
_INF = float("inf")


def _infinite_like(t):
    return full_like(t, _INF)


def _x_log_x(t):
    return ops.xlogy(t, t)


@register_kl(Binomial, Binomial)
def _kl_binomial(p, q):
    """n (p (logit p - logit q) + log(1-p) - log(1-q)); inf where n_p > n_q."""
    if bool((p.total_count < q.total_count).any()):
        raise NotImplementedError(
            "KL between Binomials where q.total_count > p.total_count is not implemented")
    kl = p.total_count * (p.probs * (p.logits - q.logits) + ops.log1p(-p.probs)
                          - ops.log1p(-q.probs))
    return ops.where(p.total_count > q.total_count, _INF, kl)


@register_kl(Geometric, Geometric)
def _kl_geometric(p, q):
    return -p.entropy() - ops.log1p(-q.probs) / p.probs - q.logits


@register_kl(Poisson, Poisson)
def _kl_poisson(p, q):
    return p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate)


@register_kl(Gumbel, Gumbel)
def _kl_gumbel(p, q):
    ct1, ct2, ct3 = p.scale / q.scale, q.loc / q.scale, p.loc / q.scale
    t1 = -ct1.log() - ct2 + ct3
    t3 = ops.exp(ct2 + ops.lgamma(1 + ct1) - ct3)
    return t1 + ct1 * _EULER + t3 - (1 + _EULER)


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal(p, q):
    return _kl_normal(p.base_dist, q.base_dist)


@register_kl(Pareto, Pareto)
def _kl_pareto(p, q):
    """alpha_q log(s_p / s_q) - log(alpha_q / alpha_p) + alpha_q / alpha_p - 1; inf where
    p reaches below q's support (s_p < s_q)."""
    ratio = q.alpha / p.alpha
    result = q.alpha * (p.scale / q.scale).log() - ratio.log() + ratio - 1
    return ops.where(p.scale < q.scale, _INF, result)


@register_kl(Cauchy, Cauchy)
def _kl_cauchy(p, q):
    t1 = ((p.scale + q.scale).pow(2) + (p.loc - q.loc).pow(2)).log()
    return t1 - (4 * p.scale * q.scale).log()


@register_kl(Bernoulli, Poisson)
def _kl_bernoulli_poisson(p, q):
    return -p.entropy() - (p.probs * q.rate.log() - q.rate)


@register_kl(Poisson, Bernoulli)
@register_kl(Poisson, Binomial)
def _kl_poisson_infinity(p, q):
    return _infinite_like(p.rate)


@register_kl(Pareto, Beta)
@register_kl(Pareto, Uniform)
def _kl_pareto_infinity(p, q):
    return _infinite_like(p.scale)


@register_kl(Pareto, Exponential)
def _kl_pareto_exponential(p, q):
    prod = p.scale * q.rate
    result = (p.alpha / prod).log() - p.alpha.reciprocal() + p.alpha * prod / (p.alpha - 1) - 1
    return ops.where(p.alpha <= 1, _INF, result)


@register_kl(Pareto, Gamma)
def _kl_pareto_gamma(p, q):
    common = p.scale.log() + p.alpha.reciprocal()
    t1 = p.alpha.log() - common
    t2 = ops.lgamma(q.concentration) - q.concentration * q.rate.log()
    t3 = (1 - q.concentration) * common
    t4 = q.rate * p.alpha * p.scale / (p.alpha - 1)
    return ops.where(p.alpha <= 1, _INF, t1 + t2 + t3 + t4 - 1)


@register_kl(Pareto, Normal)
def _kl_pareto_normal(p, q):
    var2 = 2 * q.scale.pow(2)
    common = p.scale / (p.alpha - 1)
    t1 = (math.sqrt(2 * math.pi) * q.scale * p.alpha / p.scale).log()
    t3 = p.alpha * common.pow(2) / (p.alpha - 2)
    t4 = (p.alpha * common - q.loc).pow(2)
    result = t1 - p.alpha.reciprocal() + (t3 + t4) / var2 - 1
    return ops.where(p.alpha <= 2, _INF, result)


@register_kl(Exponential, Pareto)
def _kl_exponential_infinity(p, q):
    return _infinite_like(p.rate)


@register_kl(Gamma, Pareto)
def _kl_gamma_infinity(p, q):
    return _infinite_like(p.concentration)


@register_kl(Laplace, Pareto)
@register_kl(Normal, Pareto)
@register_kl(Gumbel, Beta)
@register_kl(Gumbel, Exponential)
@register_kl(Gumbel, Gamma)
@register_kl(Gumbel, Pareto)
@register_kl(Gumbel, Uniform)
def _kl_loc_infinity(p, q):
    return _infinite_like(p.loc)


@register_kl(Exponential, Gumbel)
def _kl_exponential_gumbel(p, q):
    prod = p.rate * q.scale
    ratio = q.loc / q.scale
    return prod.log() - 1 - ratio + ops.exp(ratio) * prod / (prod + 1) + prod.reciprocal()


@register_kl(Gamma, Gumbel)
def _kl_gamma_gumbel(p, q):
    c = p.concentration
    prod = p.rate * q.scale
    ratio = q.loc / q.scale
    t1 = (c - 1) * ops.digamma(c) - ops.lgamma(c) - c
    t2 = prod.log() + c / prod
    t3 = ops.exp(ratio) * (1 + prod.reciprocal()).pow(-c) - ratio
    return t1 + t2 + t3


@register_kl(Gumbel, Normal)
def _kl_gumbel_normal(p, q):
    r = p.scale / q.scale
    t1 = (r / math.sqrt(2 * math.pi)).log()
    t2 = (math.pi * r * 0.5).pow(2) / 3
    t3 = ((p.loc + p.scale * _EULER - q.loc) / q.scale).pow(2) * 0.5
    return -t1 + t2 + t3 - (_EULER + 1)


@register_kl(Normal, Gumbel)
def _kl_normal_gumbel(p, q):
    m = p.loc / q.scale
    v = (p.scale / q.scale).pow(2)
    ratio = q.loc / q.scale
    t3 = ops.exp(-m + 0.5 * v + ratio)
    return -v.log() * 0.5 + m - ratio + t3 - (0.5 * (1 + math.log(2 * math.pi)))


@register_kl(Uniform, Gumbel)
def _kl_uniform_gumbel(p, q):
    common = q.scale / (p.high - p.low)
    hi, lo = (p.high - q.loc) / q.scale, (p.low - q.loc) / q.scale
    t1 = common.log() + 0.5 * (hi + lo)
    return t1 - common * (ops.exp(-hi) - ops.exp(-lo))


@register_kl(Uniform, Pareto)
def _kl_uniform_pareto(p, q):
    width = p.high - p.low
    t1 = (q.alpha * q.scale.pow(q.alpha) * width).log()
    t2 = (_x_log_x(p.high) - _x_log_x(p.low) - width) / width
    return ops.where(p.low < q.scale, _INF, t2 * (q.alpha + 1) - t1)


# Low-rank normals and the continuous Bernoulli (with the pairs PyTorch registers for them).
from .continuous_bernoulli import ContinuousBernoulli  # noqa: E402
from .exp_family import ExponentialFamily, kl_expfamily_expfamily  # noqa: E402
from .lowrank_multivariate_normal import (  # noqa: E402
    LowRankMultivariateNormal, kl_lowrank_lowrank, kl_lowrank_mvn, kl_mvn_lowrank)
from .multivariate_normal import MultivariateNormal  # noqa: E402

register_kl(ExponentialFamily, ExponentialFamily)(kl_expfamily_expfamily)
register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)(kl_lowrank_lowrank)
register_kl(MultivariateNormal, LowRankMultivariateNormal)(kl_mvn_lowrank)
register_kl(LowRankMultivariateNormal, MultivariateNormal)(kl_lowrank_mvn)


def _cb_cross_term(p, q):
    """-E_p[log q(x)] - H(p) for q continuous Bernoulli and p's mean inside [0, 1]."""
    return -p.entropy() - p.mean * q.logits - ops.log1p(-q.probs) - q._cont_bern_log_norm()


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_cb_cb(p, q):
    return (p.mean * (p.logits - q.logits) + p._cont_bern_log_norm() + ops.log1p(-p.probs)
            - q._cont_bern_log_norm() - ops.log1p(-q.probs))


@register_kl(Beta, ContinuousBernoulli)
def _kl_beta_cb(p, q):
    return _cb_cross_term(p, q)


@register_kl(Uniform, ContinuousBernoulli)
def _kl_uniform_cb(p, q):
    outside = ops.logical_or(p.high >= 1.0, p.low <= 0.0)
    result = _cb_cross_term(p, q)
    return ops.where(outside, full_like(result, _INF), result)


@register_kl(ContinuousBernoulli, Exponential)
def _kl_cb_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * p.mean


@register_kl(ContinuousBernoulli, Normal)
def _kl_cb_normal(p, q):
    t2 = 0.5 * (math.log(2.0 * math.pi) + (q.loc / q.scale).pow(2)) + q.scale.log()
    t3 = (p.variance + p.mean.pow(2) - 2.0 * q.loc * p.mean) / (2.0 * q.scale.pow(2))
    return -p.entropy() + t2 + t3


@register_kl(ContinuousBernoulli, Uniform)
def _kl_cb_uniform(p, q):
    result = -p.entropy() + (q.high - q.low).log()
    outside = ops.logical_or(q.low >= 0.0, q.high <= 1.0)
    return ops.where(outside, full_like(result, _INF), result)


@register_kl(ContinuousBernoulli, Pareto)
def _kl_cb_infinity(p, q):
    return _infinite_like(p.probs)


for _tp, _attr in ((Exponential, "rate"), (Gamma, "concentration"), (Gumbel, "loc"),
                   (Laplace, "loc"), (Normal, "loc"), (Pareto, "scale")):
    register_kl(_tp, ContinuousBernoulli)(
        lambda p, q, _a=_attr: _infinite_like(getattr(p, _a)))
