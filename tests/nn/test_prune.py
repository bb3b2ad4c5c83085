"""nn.utils.prune against PyTorch 2.13: names, masks of the deterministic methods, their
composition, outputs and gradients; random methods by their properties; errors."""

import numpy as np
import pytest
import torch

import ember
import ember.nn.utils.prune as EP
import torch.nn.utils.prune as TP
from nn_testutil import close, error_of, np_of, same_error


def pair(make_t, make_e):
    t, e = make_t(), make_e()
    e.load_state_dict({k: ember.tensor(np_of(v)) for k, v in t.state_dict().items()})
    return e, t


def linears(fin=6, fout=5):
    return pair(lambda: torch.nn.Linear(fin, fout), lambda: ember.nn.Linear(fin, fout))


def convs():
    return pair(lambda: torch.nn.Conv2d(3, 4, 3), lambda: ember.nn.Conv2d(3, 4, 3))


def same_state(e, t):
    se, st = e.state_dict(), t.state_dict()
    assert list(se) == list(st)
    for k in st:
        close(se[k], st[k])
    assert [type(h).__name__ for h in e._forward_pre_hooks.values()] == \
        [type(h).__name__ for h in t._forward_pre_hooks.values()]


def run_both(e, t, shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    ye, yt = e(ember.tensor(x)), t(torch.tensor(x))
    close(ye, yt, 1e-5, 1e-6)
    ye.sum().backward()
    yt.sum().backward()
    pe, pt = dict(e.named_parameters()), dict(t.named_parameters())
    assert list(pe) == list(pt)
    for k in pt:
        close(pe[k].grad, pt[k].grad, 1e-5, 1e-6)


@pytest.mark.parametrize("amount", [0, 3, 0.4, 1.0])
def test_l1_unstructured(amount):
    e, t = linears()
    EP.l1_unstructured(e, "weight", amount)
    TP.l1_unstructured(t, "weight", amount)
    same_state(e, t)
    close(e.weight, t.weight)
    run_both(e, t, (2, 6))


def test_iterative_composition_and_remove():
    e, t = convs()
    for m, p in ((e, EP), (t, TP)):
        p.l1_unstructured(m, "weight", 0.3)
        p.ln_structured(m, "weight", 0.5, 2, 0)
        p.ln_structured(m, "weight", 1, 1, 1)
        p.l1_unstructured(m, "weight", 5)
        p.identity(m, "bias")
    same_state(e, t)
    container = [h for h in e._forward_pre_hooks.values()
                 if isinstance(h, EP.PruningContainer)][0]
    assert [type(m).__name__ for m in container] == ["L1Unstructured", "LnStructured",
                                                     "LnStructured", "L1Unstructured"]
    run_both(e, t, (1, 3, 5, 5))
    assert EP.is_pruned(e)
    for m, p in ((e, EP), (t, TP)):
        p.remove(m, "weight")
    same_state(e, t)
    EP.remove(e, "bias")
    assert not EP.is_pruned(e)


@pytest.mark.parametrize("n", [1, 2, float("inf"), -np.inf])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_ln_structured(n, dim):
    e, t = convs()
    EP.ln_structured(e, "weight", 2, n, dim)
    TP.ln_structured(t, "weight", 2, n, dim)
    same_state(e, t)


def test_importance_scores_and_custom_mask():
    e, t = linears()
    scores = np.random.default_rng(3).standard_normal((5, 6)).astype(np.float32)
    EP.l1_unstructured(e, "weight", 7, importance_scores=ember.tensor(scores))
    TP.l1_unstructured(t, "weight", 7, importance_scores=torch.tensor(scores))
    mask = (np.arange(5) % 2).astype(np.float32)
    EP.custom_from_mask(e, "bias", ember.tensor(mask))
    TP.custom_from_mask(t, "bias", torch.tensor(mask))
    same_state(e, t)
    run_both(e, t, (2, 6))


def test_global_unstructured():
    (e1, t1), (e2, t2) = linears(), linears(5, 4)
    for p, ms in ((EP, (e1, e2)), (TP, (t1, t2))):
        p.l1_unstructured(ms[0], "weight", 4)
        p.global_unstructured([(ms[0], "weight"), (ms[1], "weight"), (ms[1], "bias")],
                              pruning_method=p.L1Unstructured, amount=0.5)
    same_state(e1, t1)
    same_state(e2, t2)


def test_random_unstructured_properties():
    e, _ = linears(10, 10)
    EP.random_unstructured(e, "weight", 0.3)
    mask = e.weight_mask.numpy()
    assert mask.sum() == 70 and set(np.unique(mask)) <= {0.0, 1.0}
    EP.random_unstructured(e, "weight", 14)  # among the remaining 70 entries
    mask2 = e.weight_mask.numpy()
    assert mask2.sum() == 56 and np.all(mask2 <= mask)
    np.testing.assert_array_equal(e.weight.detach().numpy(),
                                  e.weight_orig.detach().numpy() * mask2)


def test_random_structured_properties():
    e, _ = convs()
    EP.random_structured(e, "weight", 2, dim=0)
    kept = e.weight_mask.numpy().reshape(4, -1)
    assert sorted(kept.min(1) == kept.max(1)) == [True] * 4  # whole channels
    assert kept[:, 0].sum() == 2
    EP.random_structured(e, "weight", 0.5, dim=1)
    per_in = e.weight_mask.numpy().transpose(1, 0, 2, 3).reshape(3, -1).sum(1)
    assert (per_in == 0).sum() == 2  # round(0.5 * 3) input channels removed


def test_prune_method_and_hook_recompute():
    e, t = linears()
    me = EP.L1Unstructured(amount=0.5)
    mt = TP.L1Unstructured(amount=0.5)
    close(me.prune(ember.tensor(np_of(t.weight))), mt.prune(t.weight.detach()))
    EP.l1_unstructured(e, "weight", 0.5)
    TP.l1_unstructured(t, "weight", 0.5)
    with torch.no_grad():
        t.weight_orig.add_(1.0)
    with ember.no_grad():
        e.weight_orig.add_(1.0)
    run_both(e, t, (2, 6))  # the hook recomputed weight from the changed weight_orig
    close(e.weight, t.weight)


def test_errors():
    e, t = linears()
    for amount in (-1, 1.5, "a", 31):
        same_error(lambda: EP.l1_unstructured(e, "weight", amount),
                   lambda: TP.l1_unstructured(t, "weight", amount))
        assert "weight" in e._parameters and "weight_orig" not in e._parameters
    same_error(lambda: EP.ln_structured(e, "bias", 1, 2, 0),
               lambda: TP.ln_structured(t, "bias", 1, 2, 0))
    same_error(lambda: EP.ln_structured(e, "weight", 1, 2, 2),
               lambda: TP.ln_structured(t, "weight", 1, 2, 2))
    same_error(lambda: EP.remove(e, "weight"), lambda: TP.remove(t, "weight"))
    got = error_of(lambda: EP.global_unstructured([(e, "weight")], EP.RandomStructured,
                                                  amount=1))
    want = error_of(lambda: TP.global_unstructured([(t, "weight")], TP.RandomStructured,
                                                   amount=1))
    assert (got[0], got[1].replace("ember.", "torch.")) == want  # only the package differs
    same_error(lambda: EP.global_unstructured(3, EP.L1Unstructured, amount=1),
               lambda: TP.global_unstructured(3, TP.L1Unstructured, amount=1))
