"""ember.distributions: probability distributions with PyTorch's names and semantics.

Log-probabilities, entropies and ``rsample`` are composites of ember ops, so they are
differentiable; ``sample`` draws from ember's generator under no_grad.
"""

from . import constraints  # noqa: F401
from .bernoulli import Bernoulli  # noqa: F401
from .categorical import Categorical  # noqa: F401
from .distribution import Distribution  # noqa: F401
from .independent import Independent  # noqa: F401
from .kl import kl_divergence, register_kl  # noqa: F401
from .normal import Normal  # noqa: F401

# Continuous families, one-hot categoricals and transforms.
from . import transforms  # noqa: F401
from .beta import Beta  # noqa: F401
from .dirichlet import Dirichlet  # noqa: F401
from .exponential import Exponential  # noqa: F401
from .gamma import Gamma  # noqa: F401
from .laplace import Laplace  # noqa: F401
from .log_normal import LogNormal  # noqa: F401
from .one_hot_categorical import OneHotCategorical, OneHotCategoricalStraightThrough  # noqa
from .transformed_distribution import TransformedDistribution  # noqa: F401
from .uniform import Uniform  # noqa: F401

__all__ = ["Bernoulli", "Categorical", "Distribution", "Independent", "Normal",
           "kl_divergence", "register_kl", "constraints"]
__all__ += ["Beta", "Dirichlet", "Exponential", "Gamma", "Laplace", "LogNormal",
            "OneHotCategorical", "OneHotCategoricalStraightThrough", "TransformedDistribution",
            "Uniform", "transforms"]

from .multivariate_normal import MultivariateNormal  # noqa: F401,E402

__all__ += ["MultivariateNormal"]

# Counting, heavy-tailed and relaxed families, mixtures; the transforms at top level as in
# torch.distributions.
from .continuous_more import (  # noqa: E402,F401
    Cauchy, Chi2, Gumbel, HalfCauchy, HalfNormal, Pareto, StudentT, Weibull)
from .discrete import Binomial, Geometric, Multinomial, NegativeBinomial, Poisson  # noqa
from .mixture_same_family import MixtureSameFamily  # noqa: E402,F401
from .relaxed import RelaxedBernoulli, RelaxedOneHotCategorical  # noqa: E402,F401
from .transforms import (  # noqa: E402,F401
    AbsTransform, AffineTransform, ComposeTransform, ExpTransform, IndependentTransform,
    PowerTransform, ReshapeTransform, SigmoidTransform, SoftmaxTransform, SoftplusTransform,
    StickBreakingTransform, TanhTransform, Transform, identity_transform)

__all__ += ["Binomial", "Cauchy", "Chi2", "Geometric", "Gumbel", "HalfCauchy", "HalfNormal",
            "MixtureSameFamily", "Multinomial", "NegativeBinomial", "Pareto", "Poisson",
            "RelaxedBernoulli", "RelaxedOneHotCategorical", "StudentT", "Weibull"]
__all__ += ["AbsTransform", "AffineTransform", "ComposeTransform", "ExpTransform",
            "IndependentTransform", "PowerTransform", "ReshapeTransform", "SigmoidTransform",
            "SoftmaxTransform", "SoftplusTransform", "StickBreakingTransform", "TanhTransform",
            "Transform", "identity_transform"]

# Low-rank normals, the continuous Bernoulli and their exponential-family base.
from .continuous_bernoulli import ContinuousBernoulli  # noqa: E402,F401
from .exp_family import ExponentialFamily  # noqa: E402,F401
from .lowrank_multivariate_normal import LowRankMultivariateNormal  # noqa: E402,F401

__all__ += ["ContinuousBernoulli", "ExponentialFamily", "LowRankMultivariateNormal"]

from .transforms import CatTransform, StackTransform  # noqa: E402,F401

__all__ += ["CatTransform", "StackTransform"]

from .transforms import (  # noqa: E402,F401
    CorrCholeskyTransform, CumulativeDistributionTransform, LowerCholeskyTransform,
    PositiveDefiniteTransform)

__all__ += ["CorrCholeskyTransform", "CumulativeDistributionTransform",
            "LowerCholeskyTransform", "PositiveDefiniteTransform"]

# Families and helpers that load on first use (``import ember.distributions`` pays nothing for
# them): public name -> module. Each module registers its own KL pairs when it loads.
_LAZY = {"FisherSnedecor": "fishersnedecor", "GeneralizedPareto": "generalized_pareto",
         "InverseGamma": "inverse_gamma", "Kumaraswamy": "kumaraswamy",
         "LKJCholesky": "lkj_cholesky", "LogisticNormal": "logistic_normal",
         "VonMises": "von_mises", "Wishart": "wishart",
         "biject_to": "constraint_registry", "transform_to": "constraint_registry"}
# torch.distributions' submodules that ember defines in shared files, reachable as attributes
_SUBMODULES = {"binomial", "cauchy", "chi2", "constraint_registry", "fishersnedecor",
               "generalized_pareto", "geometric", "gumbel", "half_cauchy", "half_normal",
               "inverse_gamma", "kumaraswamy", "lkj_cholesky", "logistic_normal", "multinomial",
               "negative_binomial", "pareto", "poisson", "relaxed_bernoulli",
               "relaxed_categorical", "studentT", "utils", "von_mises", "weibull", "wishart"}

__all__ += sorted(_LAZY)


def __getattr__(name: str):
    import importlib

    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        globals()[name] = value  # later lookups skip this function
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | _SUBMODULES)
