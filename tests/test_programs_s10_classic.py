"""Session 10, PyTorch's classic beginner tutorials (Learning PyTorch with Examples, What is
torch.nn really, Learn the Basics, custom Datasets) and the mistakes learners make typing them,
run on ember and compared live with torch 2.13."""

import warnings

import numpy as np
from torch_compare import same as _same


# ---- one-hot target transforms: scatter_ given an int label instead of a tensor -----------

def test_scatter_with_int_index_is_refused_like_pytorch():
    for call in (lambda L: L.zeros(10).scatter_(0, 3, value=1),
                 lambda L: L.zeros(10).scatter(0, [3], value=1),
                 lambda L: L.zeros(10).scatter_(0, np.array([3]), value=1),
                 lambda L: L.scatter(L.zeros(10), 0, 3, value=1),
                 lambda L: L.zeros(10).scatter_(0, 3, L.ones(1))):
        _same(call)


def test_scatter_without_src_or_value_is_refused_not_filled_with_nan():
    _same(lambda L: L.zeros(10).scatter_(0, L.tensor([3])))
    _same(lambda L: L.scatter(L.zeros(10), 0, L.tensor([3])))
    _same(lambda L: L.scatter(L.zeros(3), 0, L.tensor([1]), L.ones(1), value=2))


def test_scatter_add_and_gather_name_the_index_argument():
    _same(lambda L: L.zeros(3).scatter_add_(0, [1], L.ones(1)))
    _same(lambda L: L.zeros(3).scatter_add(0, 1, L.ones(1)))
    _same(lambda L: L.scatter_add(L.zeros(3), 0, 1, L.ones(1)))
    _same(lambda L: L.gather(L.zeros(3), 0, 1))
    _same(lambda L: L.scatter_reduce(L.zeros(3), 0, [1], L.ones(1), "sum"))


# ---- *_like given a list or an array -----------------------------------------------------

def test_like_functions_refuse_non_tensors_with_pytorchs_type_error():
    for name in ("zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"):
        for bad in ([1, 2], np.zeros(2), 3.0, None):
            _same(lambda L: getattr(L, name)(bad))
    _same(lambda L: L.full_like([1, 2], 7))
    _same(lambda L: L.full_like(np.zeros(2), 7))


# ---- reduction='elementwise_mean': PyTorch's old name for 'mean' -------------------------

def _with_warnings(fn):
    def run(L):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            value = fn(L)
        return round(float(value), 5), [str(w.message) for w in seen]
    return run


def test_elementwise_mean_reduction_is_mean_with_a_deprecation_warning():
    x, y = np.random.default_rng(0).random((2, 4)).astype(np.float32)
    logits = np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32)
    cases = (
        lambda L: L.nn.MSELoss(reduction="elementwise_mean")(L.tensor(x), L.tensor(y)),
        lambda L: L.nn.functional.l1_loss(L.tensor(x), L.tensor(y), reduction="elementwise_mean"),
        lambda L: L.nn.functional.cross_entropy(L.tensor(logits), L.tensor([0, 2]),
                                                reduction="elementwise_mean"),
        lambda L: L.nn.functional.kl_div(L.tensor(x), L.tensor(y), reduction="elementwise_mean"),
    )
    for case in cases:
        _same(_with_warnings(case))
    # poisson_nll_loss checks the name itself and refuses the old one
    _same(lambda L: L.nn.functional.poisson_nll_loss(L.ones(2), L.ones(2),
                                                     reduction="elementwise_mean"))
