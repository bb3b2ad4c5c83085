"""Stable-Baselines3-shaped policy code over Gymnasium spaces (Categorical / Bernoulli /
MultiCategorical action distributions, gSDE, PPO evaluation): the pieces where ember differed
from PyTorch, checked live against torch."""

import numpy as np
from torch_compare import run_both


def _has_graph(lib, make, attr, under_no_grad):
    """make(lib) builds a distribution from a leaf; its lazily derived `attr` is first read
    under no_grad (or inside sample) and must still carry a graph afterwards."""
    d = make(lib)
    if under_no_grad:
        with lib.no_grad():
            getattr(d, attr)
    else:
        d.sample()
    return getattr(d, attr).grad_fn is not None


def test_lazy_probs_and_logits_keep_their_graph_when_first_read_under_no_grad():
    # SB3's CategoricalDistribution.mode() is argmax(probs) and BernoulliDistribution.mode()
    # round(probs): after a sample (or a no_grad rollout) ember had cached probs without a graph
    def logits(lib):
        return lib.from_numpy(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)).requires_grad_()

    def probs(lib):
        return lib.from_numpy(np.linspace(0.1, 0.9, 6, dtype=np.float32).reshape(2, 3)).requires_grad_()

    D = "distributions"
    cases = [
        (lambda lib: getattr(lib, D).Categorical(logits=logits(lib)), "probs"),
        (lambda lib: getattr(lib, D).Categorical(probs=probs(lib)), "logits"),
        (lambda lib: getattr(lib, D).Bernoulli(logits=logits(lib)), "probs"),
        (lambda lib: getattr(lib, D).Bernoulli(probs=probs(lib)), "logits"),
        (lambda lib: getattr(lib, D).ContinuousBernoulli(logits=logits(lib)), "probs"),
        (lambda lib: getattr(lib, D).Geometric(probs=probs(lib)), "logits"),
        (lambda lib: getattr(lib, D).Binomial(5, probs=probs(lib)), "logits"),
        (lambda lib: getattr(lib, D).MultivariateNormal(
            lib.zeros(2), scale_tril=lib.tensor([[1.0, 0.0], [0.5, 2.0]], requires_grad=True)),
         "covariance_matrix"),
        (lambda lib: getattr(lib, D).MultivariateNormal(
            lib.zeros(2), scale_tril=lib.tensor([[1.0, 0.0], [0.5, 2.0]], requires_grad=True)),
         "precision_matrix"),
    ]
    for make, attr in cases:
        for under_no_grad in (True, False):
            want, got = run_both(lambda lib: _has_graph(lib, make, attr, under_no_grad))
            assert got == want, (attr, under_no_grad, got, want)


def test_bernoulli_mode_after_sample_backpropagates():
    def run(lib):
        w = lib.tensor([[0.3, -1.2, 2.0]], requires_grad=True)
        d = lib.distributions.Bernoulli(logits=w)
        d.sample()
        (d.probs * lib.tensor([[1.0, 2.0, 3.0]])).sum().backward()
        return repr(lib.round(d.probs)).replace("ember", "torch"), w.grad.tolist()
    want, got = run_both(run)
    assert got[0] == want[0]
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6)


def test_bernoulli_log_prob_of_integer_or_bool_actions_is_refused():
    # MultiBinary actions stored as int64 / bool: PyTorch's BCE cannot write into them
    def case(dtype_name, from_probs=False, validate=None):
        def run(lib):
            v = lib.tensor([[0, 1, 1]]).to(getattr(lib, dtype_name))
            kw = {"probs": lib.full((1, 3), 0.3)} if from_probs else {"logits": lib.zeros(1, 3)}
            return lib.distributions.Bernoulli(validate_args=validate, **kw).log_prob(v).tolist()
        return run
    for fn in (case("long"), case("int32"), case("bool"), case("long", from_probs=True),
               case("long", validate=True), case("float32")):
        want, got = run_both(fn)
        assert got == want


def test_bernoulli_log_prob_takes_the_value_dtype():
    def case(logit_dt, value_dt):
        def run(lib):
            w = lib.tensor([[0.3, -1.2, 2.0]], dtype=getattr(lib, logit_dt), requires_grad=True)
            v = lib.tensor([[0.0, 1.0, 1.0]], dtype=getattr(lib, value_dt))
            lp = lib.distributions.Bernoulli(logits=w).log_prob(v)
            lp.sum().backward()
            return str(lp.dtype).replace("ember", "torch"), lp.tolist(), w.grad.tolist()
        return run
    for dts in (("float32", "float64"), ("float64", "float32"), ("float32", "float16")):
        want, got = run_both(case(*dts))
        assert got[0] == want[0], dts
        np.testing.assert_allclose(got[1], want[1], rtol=1e-6)
        np.testing.assert_allclose(got[2], want[2], rtol=1e-5)  # grads: as compare()

