"""nn.utils.parametrize / parametrizations and the hook-form weight_norm / spectral_norm,
against PyTorch 2.13: state_dict keys and values, outputs, gradients, errors."""

import warnings

import numpy as np
import pytest
import torch

import ember
from ember.nn.utils import parametrizations as EP
from ember.nn.utils import parametrize as EZ
from nn_testutil import close, np_of, same_error

TP, TZ = torch.nn.utils.parametrizations, torch.nn.utils.parametrize


def linear_pair(fin=4, fout=4, dtype=torch.float64):
    t = torch.nn.Linear(fin, fout).to(dtype)
    e = ember.nn.Linear(fin, fout).to(getattr(ember, str(dtype).split(".")[1]))
    load(e, t)
    return e, t


def load(e, t, strict=True):
    e.load_state_dict({k: ember.tensor(np_of(v)) for k, v in t.state_dict().items()},
                      strict=strict)


def same_state(e, t, rtol=1e-7, atol=1e-9):
    se, st = e.state_dict(), t.state_dict()
    assert list(se) == list(st)
    for k in st:
        close(se[k], st[k], rtol, atol)


def run_both(e, t, shape=None, seed=0):
    x = np.random.default_rng(seed).standard_normal(shape or (3, t.in_features))
    ye, yt = e(ember.tensor(x)), t(torch.tensor(x))
    close(ye, yt, 1e-7, 1e-9)
    ye.pow(2).sum().backward()
    yt.pow(2).sum().backward()
    pe, pt = dict(e.named_parameters()), dict(t.named_parameters())
    assert list(pe) == list(pt)
    for k in pt:
        close(pe[k].grad, pt[k].grad, 1e-6, 1e-9)


def symmetric(lib):
    class Symmetric(lib.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

        def right_inverse(self, A):
            return A.triu()
    return Symmetric()


def skew(lib):
    class Skew(lib.nn.Module):
        def forward(self, X):
            A = X.triu(1)
            return A - A.transpose(-1, -2)
    return Skew()


def matrix_exp(lib):
    class MatrixExponential(lib.nn.Module):
        def forward(self, X):
            return lib.matrix_exp(X)
    return MatrixExponential()


def test_register_custom_keys_values_grads_and_class():
    e, t = linear_pair()
    EZ.register_parametrization(e, "weight", symmetric(ember))
    TZ.register_parametrization(t, "weight", symmetric(torch))
    assert type(e).__name__ == type(t).__name__ == "ParametrizedLinear"
    assert isinstance(e, ember.nn.Linear) and EZ.type_before_parametrizations(e) is ember.nn.Linear
    assert EZ.is_parametrized(e) and EZ.is_parametrized(e, "weight")
    assert not EZ.is_parametrized(e, "bias") and not EZ.is_parametrized(ember.nn.Linear(2, 2))
    same_state(e, t)
    close(e.weight, t.weight)
    assert repr(e) == repr(t)
    run_both(e, t)
    assert type(ember.nn.Linear(2, 2)) is ember.nn.Linear  # the class swap is per instance


def test_original_is_the_same_parameter_object():
    e, _ = linear_pair()
    w = e.weight
    EZ.register_parametrization(e, "weight", symmetric(ember))
    assert e.parametrizations.weight.original is w


def test_assignment_goes_through_right_inverse():
    e, t = linear_pair()
    EZ.register_parametrization(e, "weight", symmetric(ember))
    TZ.register_parametrization(t, "weight", symmetric(torch))
    x = np.random.default_rng(1).standard_normal((4, 4))
    e.weight = ember.tensor(x)
    t.weight = torch.tensor(x)
    same_state(e, t)


def test_chained_parametrizations_and_remove():
    e, t = linear_pair()
    for lib, m in ((ember, e), (torch, t)):
        z = EZ if lib is ember else TZ
        z.register_parametrization(m, "weight", skew(lib))
        z.register_parametrization(m, "weight", matrix_exp(lib))
    assert len(e.parametrizations.weight) == 2
    same_state(e, t)
    close(e.weight, t.weight, 1e-7, 1e-9)
    run_both(e, t)
    EZ.remove_parametrizations(e, "weight")
    TZ.remove_parametrizations(t, "weight")
    assert type(e) is ember.nn.Linear and not hasattr(e, "parametrizations")
    same_state(e, t)


@pytest.mark.parametrize("leave", [True, False])
def test_remove_leave_parametrized(leave):
    e, t = linear_pair()
    EZ.register_parametrization(e, "weight", symmetric(ember))
    TZ.register_parametrization(t, "weight", symmetric(torch))
    EZ.remove_parametrizations(e, "weight", leave_parametrized=leave)
    TZ.remove_parametrizations(t, "weight", leave_parametrized=leave)
    same_state(e, t)
    assert isinstance(e.weight, ember.nn.Parameter)


def test_buffer_parametrized_and_two_tensors():
    e, t = linear_pair()
    for lib, m in ((ember, e), (torch, t)):
        m.register_buffer("scale", lib.ones(4, 4, dtype=lib.float64))
        z = EZ if lib is ember else TZ
        z.register_parametrization(m, "scale", symmetric(lib))
        z.register_parametrization(m, "weight", symmetric(lib))
    same_state(e, t)
    EZ.remove_parametrizations(e, "scale")
    TZ.remove_parametrizations(t, "scale")
    same_state(e, t)
    assert type(e).__name__ == "ParametrizedLinear"


def test_cached():
    e, _ = linear_pair()
    EZ.register_parametrization(e, "weight", symmetric(ember))
    assert e.weight is not e.weight
    with EZ.cached():
        w = e.weight
        assert e.weight is w
    assert e.weight is not w


def test_errors():
    e, t = linear_pair()
    same_error(lambda: EZ.register_parametrization(e, "nope", symmetric(ember)),
               lambda: TZ.register_parametrization(t, "nope", symmetric(torch)))
    same_error(lambda: EZ.remove_parametrizations(e, "weight"),
               lambda: TZ.remove_parametrizations(t, "weight"))

    def shrink(lib):
        class Shrink(lib.nn.Module):
            def forward(self, X):
                return X[:2]
        return Shrink()
    same_error(lambda: EZ.register_parametrization(e, "weight", shrink(ember)),
               lambda: TZ.register_parametrization(t, "weight", shrink(torch)))
    EZ.register_parametrization(e, "weight", skew(ember))
    TZ.register_parametrization(t, "weight", skew(torch))
    same_error(lambda: setattr(e, "weight", ember.zeros(4, 4, dtype=ember.float64)),
               lambda: setattr(t, "weight", torch.zeros(4, 4, dtype=torch.float64)))
    same_error(lambda: EZ.register_parametrization(e, "weight", shrink(ember)),
               lambda: TZ.register_parametrization(t, "weight", shrink(torch)))
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules"):
        import pickle
        pickle.dumps(e)


@pytest.mark.parametrize("dim", [0, 1, None, -2])
def test_weight_norm_parametrization(dim):
    e, t = linear_pair(4, 3)
    EP.weight_norm(e, dim=dim)
    TP.weight_norm(t, dim=dim)
    same_state(e, t)
    close(e.weight, t.weight, 1e-7, 1e-9)
    run_both(e, t)
    EZ.remove_parametrizations(e, "weight")
    TZ.remove_parametrizations(t, "weight")
    same_state(e, t)


def test_spectral_norm_parametrization_train_and_eval():
    e, t = linear_pair(5, 3)
    EP.spectral_norm(e)
    TP.spectral_norm(t)
    assert list(e.state_dict()) == list(t.state_dict())
    load(e, t)  # the random start vectors come from torch
    for _ in range(3):
        run_both(e, t)
        same_state(e, t)
    e.eval()
    t.eval()
    run_both(e, t, seed=3)
    same_state(e, t)


def test_spectral_norm_parametrization_conv_dim_and_errors():
    t = torch.nn.ConvTranspose2d(3, 2, 3).double()
    e = ember.nn.ConvTranspose2d(3, 2, 3).double()
    load(e, t)
    EP.spectral_norm(e, n_power_iterations=2)
    TP.spectral_norm(t, n_power_iterations=2)
    load(e, t)
    run_both(e, t, shape=(1, 3, 4, 4))
    same_state(e, t)
    e2, t2 = linear_pair()
    same_error(lambda: EP.spectral_norm(e2, dim=2), lambda: TP.spectral_norm(t2, dim=2))
    same_error(lambda: EP.spectral_norm(e2, n_power_iterations=0),
               lambda: TP.spectral_norm(t2, n_power_iterations=0))
    same_error(lambda: EP.spectral_norm(e2, "nope"), lambda: TP.spectral_norm(t2, "nope"))


@pytest.mark.parametrize("omap", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 3)])
def test_orthogonal(omap, shape):
    e, t = linear_pair(shape[1], shape[0])
    EP.orthogonal(e, orthogonal_map=omap)
    TP.orthogonal(t, orthogonal_map=omap)
    assert list(e.state_dict()) == list(t.state_dict())
    if shape[0] == shape[1]:  # no random completion: the same base from the same weight
        same_state(e, t, 1e-6, 1e-8)
    load(e, t)
    close(e.weight, t.weight, 1e-6, 1e-9)
    run_both(e, t)
    w = e.weight.detach().numpy()
    gram = w @ w.T if shape[0] <= shape[1] else w.T @ w
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-12)


def test_orthogonal_assignment_and_errors():
    e, t = linear_pair()
    EP.orthogonal(e)
    TP.orthogonal(t)
    x = np.linalg.qr(np.random.default_rng(2).standard_normal((4, 4)))[0]
    e.weight = ember.tensor(x)
    t.weight = torch.tensor(x)
    same_state(e, t, 1e-6, 1e-9)
    same_error(lambda: EP.orthogonal(ember.nn.Linear(3, 3), orthogonal_map="qr"),
               lambda: TP.orthogonal(torch.nn.Linear(3, 3), orthogonal_map="qr"))
    same_error(lambda: EP.orthogonal(ember.nn.Linear(3, 3), "bias"),
               lambda: TP.orthogonal(torch.nn.Linear(3, 3), "bias"))
    e2 = ember.nn.Linear(3, 3)
    t2 = torch.nn.Linear(3, 3)
    EP.orthogonal(e2, use_trivialization=False)
    TP.orthogonal(t2, use_trivialization=False)
    same_error(lambda: setattr(e2, "weight", ember.eye(3)),
               lambda: setattr(t2, "weight", torch.eye(3)))


def test_householder_no_trivialization_matches_torch():
    e, t = linear_pair(3, 5)
    EP.orthogonal(e, orthogonal_map="householder", use_trivialization=False)
    TP.orthogonal(t, orthogonal_map="householder", use_trivialization=False)
    same_state(e, t, 1e-6, 1e-9)
    run_both(e, t)


def test_householder_gradient_finite_differences():
    rng = np.random.default_rng(5)
    x0 = rng.standard_normal((5, 3))
    c = rng.standard_normal((5, 3))
    orth = EP._Orthogonal(ember.tensor(x0), EP._OrthMaps.householder, use_trivialization=False)

    def f(x):
        return float((orth(ember.tensor(x)) * ember.tensor(c)).sum())
    x = ember.tensor(x0, requires_grad=True)
    (orth(x) * ember.tensor(c)).sum().backward()
    num = np.zeros_like(x0)
    for idx in np.ndindex(*x0.shape):
        d = np.zeros_like(x0)
        d[idx] = 1e-6
        num[idx] = (f(x0 + d) - f(x0 - d)) / 2e-6
    np.testing.assert_allclose(x.grad.numpy(), num, rtol=1e-5, atol=1e-7)


def test_old_weight_norm():
    e, t = linear_pair(4, 3)
    with pytest.warns(FutureWarning, match="`torch.nn.utils.weight_norm` is deprecated"):
        ember.nn.utils.weight_norm(e)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.nn.utils.weight_norm(t)
        same_error(lambda: ember.nn.utils.weight_norm(e),
                   lambda: torch.nn.utils.weight_norm(t))
    same_state(e, t)
    run_both(e, t)
    ember.nn.utils.remove_weight_norm(e)
    torch.nn.utils.remove_weight_norm(t)
    same_state(e, t)
    same_error(lambda: ember.nn.utils.remove_weight_norm(e),
               lambda: torch.nn.utils.remove_weight_norm(t))


def test_old_spectral_norm():
    e, t = linear_pair(5, 3)
    ember.nn.utils.spectral_norm(e)
    torch.nn.utils.spectral_norm(t)
    assert list(e.state_dict()) == list(t.state_dict())
    load(e, t)
    for _ in range(2):
        run_both(e, t)
        same_state(e, t)
    e.eval()
    t.eval()
    run_both(e, t, seed=4)
    same_state(e, t)
    same_error(lambda: ember.nn.utils.spectral_norm(e), lambda: torch.nn.utils.spectral_norm(t))
    ember.nn.utils.remove_spectral_norm(e)
    torch.nn.utils.remove_spectral_norm(t)
    same_state(e, t)
    same_error(lambda: ember.nn.utils.remove_spectral_norm(e),
               lambda: torch.nn.utils.remove_spectral_norm(t))


def test_deepcopy_and_sequential():
    import copy

    e, t = linear_pair()
    EZ.register_parametrization(e, "weight", symmetric(ember))
    TZ.register_parametrization(t, "weight", symmetric(torch))
    c = copy.deepcopy(e)
    assert type(c).__name__ == "ParametrizedLinear" and type(c) is type(e)
    assert isinstance(c._parameters, type(e._parameters))
    same_state(c, t)
    assert c.parametrizations.weight.original is not e.parametrizations.weight.original
    se = ember.nn.Sequential(c, ember.nn.ReLU())
    st = torch.nn.Sequential(t, torch.nn.ReLU())
    x = np.random.default_rng(0).standard_normal((2, 4))
    with ember.no_grad(), torch.no_grad():
        close(se(ember.tensor(x)), st(torch.tensor(x)))
    run_both(se, st, shape=(2, 4))


def test_transfer_parametrizations_and_params():
    for keep_weight in (True, False):
        e, t = linear_pair()
        EP.weight_norm(e)
        TP.weight_norm(t)
        e2, t2 = linear_pair()
        if not keep_weight:  # then the target takes the source's weight
            del e2.weight, t2.weight
        EZ.transfer_parametrizations_and_params(e, e2)
        TZ.transfer_parametrizations_and_params(t, t2)
        same_state(e2, t2)
        run_both(e2, t2)
    e3, _ = linear_pair()
    assert EZ.transfer_parametrizations_and_params(e3, e2) is e2  # unparametrized source
