"""KL divergence between pairs of distributions, looked up by their types."""

from __future__ import annotations

from .. import ops
from .bernoulli import Bernoulli
from .categorical import Categorical
from .independent import Independent, _sum_rightmost
from .normal import Normal

_KL = {}


def register_kl(type_p, type_q):
    """Decorator registering ``fn(p, q)`` as KL(p || q) for these two types."""
    def wrap(fn):
        _KL[(type_p, type_q)] = fn
        return fn
    return wrap


def kl_divergence(p, q):
    """KL(p || q), summed over event dims."""
    for (tp, tq), fn in _KL.items():
        if isinstance(p, tp) and isinstance(q, tq):
            return fn(p, q)
    raise NotImplementedError(
        f"No KL(p || q) is implemented for p type {type(p).__name__} and q type "
        f"{type(q).__name__}")


@register_kl(Normal, Normal)
def _kl_normal(p, q):
    """log(s_q/s_p) + (s_p^2 + (m_p - m_q)^2) / (2 s_q^2) - 1/2."""
    var_ratio = (p.scale / q.scale) ** 2
    t1 = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (var_ratio + t1 - 1 - ops.log(var_ratio))


@register_kl(Categorical, Categorical)
def _kl_categorical(p, q):
    """sum p (log p - log q); 0 where p = 0, inf where q = 0 < p."""
    t = p.probs * (p.logits - q.logits)
    t = ops.where(q.probs == 0, float("inf"), t)
    t = ops.where(p.probs == 0, 0.0, t)
    return t.sum(-1)


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli(p, q):
    """p log(p/q) + (1-p) log((1-p)/(1-q)), written with softplus of the logits."""
    t1 = p.probs * (ops.softplus(-q.logits) - ops.softplus(-p.logits))
    t2 = (1 - p.probs) * (ops.softplus(q.logits) - ops.softplus(p.logits))
    return t1 + t2


@register_kl(Independent, Independent)
def _kl_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError
    return _sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


from .multivariate_normal import MultivariateNormal, kl_mvn_mvn  # noqa: E402

register_kl(MultivariateNormal, MultivariateNormal)(kl_mvn_mvn)
