"""ExponentialFamily: p(x; theta) = exp(<t(x), theta> - F(theta) + k(x)), with the entropy and
same-family KL read off the log-normaliser F through autograd (Bregman divergences)."""

from __future__ import annotations

from .distribution import Distribution


class ExponentialFamily(Distribution):
    """Subclasses give ``_natural_params`` (a tuple of tensors), ``_log_normalizer(*params)``
    and ``_mean_carrier_measure`` (E[k(x)])."""

    @property
    def _natural_params(self):
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        raise NotImplementedError

    def entropy(self):
        """H = F(theta) - <theta, grad F(theta)> - E[k(x)]."""
        from ..autograd import grad

        params = [p.detach().requires_grad_() for p in self._natural_params]
        log_norm = self._log_normalizer(*params)
        grads = grad(log_norm.sum(), params, create_graph=True)
        result = log_norm - self._mean_carrier_measure
        for p, g in zip(params, grads):
            result = result - (p * g).reshape(tuple(self._batch_shape) + (-1,)).sum(-1)
        return result


def kl_expfamily_expfamily(p, q):
    """The Bregman divergence of F: F(theta_q) - F(theta_p) - <theta_q - theta_p, grad F(theta_p)>."""
    if type(p) is not type(q):
        # PyTorch's message, with the run of spaces its source line continuation leaves
        raise NotImplementedError("The cross KL-divergence between different exponential "
                                  "families cannot" + " " * 29 +
                                  "be computed using Bregman divergences")
    from ..autograd import grad

    p_params = [t.detach().requires_grad_() for t in p._natural_params]
    q_params = q._natural_params
    log_norm = p._log_normalizer(*p_params)
    grads = grad(log_norm.sum(), p_params, create_graph=True)
    result = q._log_normalizer(*q_params) - log_norm
    n_event = len(q.event_shape)
    for pp, qp, g in zip(p_params, q_params, grads):
        term = (qp - pp) * g
        if n_event:  # PyTorch's _sum_rightmost: flattens the last n dims (or all, if fewer)
            term = term.reshape(tuple(term.shape)[:-n_event] + (-1,)).sum(-1)
        result = result - term
    return result
