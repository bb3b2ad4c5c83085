"""Session 20: custom optimizers as research repositories write them (tests/
s20_optim2_progs*.py): davda54/sam (SAM, adaptive SAM with the closure form),
alecwangcq/KFAC-Pytorch (hooks, running covariance stats, torch.linalg.eigh, kl_clip),
moskomule/shampoo.pytorch (torch.svd matrix powers), AdaBelief, LARS (Barlow Twins / SimCLR),
Lion (lucidrains, update_fn and torch._foreach_*), Ranger, AdamP, a hand-written Adam and
RMSprop next to torch.optim's, an SGD with ``lr=required`` under lr schedulers, Shampoo by
eigh / linalg.svd, SimCLR's LARS, swa_utils' EMA and SWA. Each runs on
ember and on torch 2.13, compared live: printed lines, warnings and errors exactly, values to
rtol 1e-5 / atol 1e-6. Below them, focused tests for what the sweep found: ``out=`` on
torch.max / torch.min (AdaBelief's amsgrad ``torch.max(a, b, out=a)``) and on the other ops
returning a (values, indices) pair, returned as ``torch.return_types.<op>_out``; SGD's
learning-rate check written as PyTorch's (``lr < 0.0``: nan passes, an unset
``lr=required`` is the TypeError of '<')."""

import pytest
import s20_optim2_progs as A
import s20_optim2_progs_b as B
import s20_optim2_progs_c as C
import s20_optim2_progs_d as D
import s20_optim2_progs_e as E
import s20_optim2_progs_f as G
from torch_compare import check_program, same_error_case, same_with_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.sam_two_steps, A.sam_closure_adaptive, B.kfac_mlp, B.kfac_conv, G.shampoo,
         C.adabelief, C.lars, C.lion, D.adam_rmsprop_from_scratch,
         D.sgd_required_and_schedulers, E.ranger, E.adamp, G.shampoo_eigh, G.simclr_lars,
         G.swa_ema]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    check_program(prog, 0, RTOL, ATOL)


def _describe(out):
    """A result as comparable data: its type's name, then each tensor's values, dtype and
    shape (a bare tensor alone)."""
    if hasattr(out, "tolist"):
        return [out.tolist(), str(out.dtype), list(out.shape)]
    return [type(out).__name__, repr(out)] + [_describe(t) for t in out]


def _both(fn):
    return same_with_warnings(fn, _describe)


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("how", ["other", "other_f64", "other_self", "dim", "dim_keep",
                                 "dim_list", "all", "all_f64", "resize"])
def test_max_min_out(name, how):
    """torch.max(a, b, out=t) writes the element-wise maximum into t and returns it (any
    dtype it casts to); torch.max(a, dim, out=(v, i)) returns return_types.max_out holding
    v and i; torch.max(a, out=t) stores the full reduction. ember refused ``out``."""
    def prog(L):
        f = getattr(L, name)
        a = L.tensor([[3., 1., 2.], [0., 5., 4.]])
        b = L.tensor([[1., 2., 3.], [4., 0., 6.]])
        if how == "other":
            t = L.zeros(2, 3)
            r = f(a, b, out=t)
            return [r is t, _describe(t)]
        if how == "other_f64":
            return f(a, b, out=L.zeros(2, 3, dtype=L.float64))
        if how == "other_self":  # AdaBelief: torch.max(max_v, v.add_(eps), out=max_v)
            m = L.zeros(2, 3)
            f(m, a, out=m)
            f(m, b.add_(1e-3), out=m)
            return m
        if how in ("dim", "dim_keep", "dim_list"):
            v, i = L.zeros(2), L.zeros(2, dtype=L.long)
            out = [v, i] if how == "dim_list" else (v, i)
            r = f(a, 1, how == "dim_keep", out=out) if how != "dim_list" else f(a, dim=0, out=out)
            return [r.values is v, r.indices is i, _describe(r)]
        if how == "resize":
            return f(a, b, out=L.zeros(4))
        return f(a, out=L.zeros((), dtype=L.float64 if how == "all_f64" else L.float32))
    _both(prog)


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("how", ["values_dtype", "indices_dtype", "one", "tensor_for_pair",
                                 "tuple_for_other", "long_for_all", "float_into_long",
                                 "grad"])
def test_max_min_out_refusals(name, how):
    def case(L):
        f = getattr(L, name)
        a = L.arange(6.).view(2, 3)
        if how == "values_dtype":
            return f(a, 1, out=(L.zeros(2, dtype=L.float64), L.zeros(2, dtype=L.long)))
        if how == "indices_dtype":
            return f(a, 1, out=(L.zeros(2), L.zeros(2)))
        if how == "one":
            return f(a, 1, out=(L.zeros(2),))
        if how == "tensor_for_pair":
            return f(a, 1, out=L.zeros(2))
        if how == "tuple_for_other":
            return f(a, a, out=(L.zeros(2, 3),))
        if how == "long_for_all":
            return f(a, out=L.zeros((), dtype=L.long))
        if how == "float_into_long":
            return f(a, a, out=L.zeros(2, 3, dtype=L.long))
        return f(a.requires_grad_(), a, out=L.zeros(2, 3))
    same_error_case(case)


_PAIR_CALLS = {"topk": (2,), "kthvalue": (2,), "mode": (1,), "median": (1,),
               "nanmedian": (1,), "cummax": (1,), "cummin": (1,), "sort": (1,)}


@pytest.mark.parametrize("name", sorted(_PAIR_CALLS) + ["aminmax"])
def test_pair_ops_out(name):
    """torch.topk / kthvalue / mode / median / nanmedian / cummax / cummin / sort / aminmax
    with out=(a, b): both written (resized from empty) and returned as
    torch.return_types.<name>_out (ember refused out=, and sort returned return_types.sort)."""
    def prog(L):
        x = L.tensor([[3., 1., 2.], [0., 5., 4.]])
        a, b = L.zeros(0), L.zeros(0, dtype=L.float32 if name == "aminmax" else L.long)
        if name == "aminmax":
            r = L.aminmax(x, dim=1, out=(a, b))
        else:
            r = getattr(L, name)(x, *_PAIR_CALLS[name], out=(a, b))
        return [r[0] is a, r[1] is b, _describe(r)]
    _both(prog)


@pytest.mark.parametrize("name", sorted(set(_PAIR_CALLS) - {"sort"}) + ["aminmax"])
@pytest.mark.parametrize("how", ["values_dtype", "indices_dtype", "one", "tensor", "grad"])
def test_pair_ops_out_refusals(name, how):
    """Each op's own words for an out of the wrong dtype, count or kind."""
    def case(L):
        x = L.tensor([[3., 1., 2.], [0., 5., 4.]])
        second = L.float32 if name == "aminmax" else L.long
        outs = {"values_dtype": (L.zeros(0, dtype=L.float64), L.zeros(0, dtype=second)),
                "indices_dtype": (L.zeros(0), L.zeros(0, dtype=L.float64 if name == "aminmax"
                                                      else L.float32)),
                "one": (L.zeros(0),), "tensor": L.zeros(0),
                "grad": (L.zeros(0), L.zeros(0, dtype=second))}[how]
        if how == "grad":
            x.requires_grad_()
        if name == "aminmax":
            return L.aminmax(x, dim=1, out=outs)
        return getattr(L, name)(x, *_PAIR_CALLS[name], out=outs)
    same_error_case(case)


@pytest.mark.parametrize("lr", ["required", "nan", -1, "t-1", "t2", "t0.1", None, "0.1"])
def test_sgd_learning_rate_check(lr):
    """torch.optim.SGD checks ``lr < 0.0`` (the others ``not 0.0 <= lr``): an SGD copied with
    ``lr=required`` and built without an lr is the TypeError of '<' with the operands in
    that order, and a nan lr is accepted (ember refused it as invalid)."""
    def case(L):
        from importlib import import_module
        values = {"required": import_module(L.__name__ + ".optim.optimizer").required,
                  "nan": float("nan"), "t-1": L.tensor(-1.0), "t2": L.tensor([0.1, 0.2]),
                  "t0.1": L.tensor(0.1)}
        p = L.nn.Parameter(L.ones(2))
        opt = L.optim.SGD([p], lr=values.get(lr, lr))
        return str(opt.param_groups[0]["lr"])
    if lr in ("nan", "t0.1"):
        _both(case)
    else:
        same_error_case(case)
