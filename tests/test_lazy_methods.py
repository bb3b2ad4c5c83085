"""The Tensor methods and torch.* functions that load on first use (ember/_lazy_methods.py,
ops._LAZY, ember._LAZY_FUNCS): the lists name exactly what the modules provide, the
modules stay unloaded by `import ember`, and the first call of a stand-in gives the real
result."""

import importlib
import subprocess
import sys

import ember
from ember import _lazy_methods, _methods_more


def test_stand_in_lists_match_what_bind_sets():
    class Probe:
        pass

    before = set(vars(Probe))
    _methods_more.bind(Probe)
    set_names = set(vars(Probe)) - before
    properties = {n for n in set_names if isinstance(vars(Probe)[n], property)}
    assert properties == set(_lazy_methods.MORE_PROPERTIES)
    assert set_names - properties == set(_lazy_methods.MORE_METHODS)


def test_lazy_function_tables_match_the_modules():
    for module, names in ember.ops._LAZY.items():
        mod = importlib.import_module(f"ember.ops.{module}")
        assert set(mod.__all__) <= set(names)
        for name in names:
            top = getattr(ember, name)
            # torch.kthvalue takes out=(values, indices): ember's top level wraps it
            top = top.__wrapped__ if name == "kthvalue" else top
            assert top is getattr(mod, name) is getattr(ember.ops, name)


def test_import_does_not_load_them_and_first_calls_work():
    code = (
        "import sys, ember\n"
        "mods = ('ember._methods_more', 'ember.ops.index_more', 'ember.ops.strided_more',"
        " 'ember.ops.search_stats', 'ember.ops._scatter_views')\n"
        "assert not any(m in sys.modules for m in mods), [m for m in mods if m in sys.modules]\n"
        "x = ember.arange(6.0).reshape(2, 3)\n"
        "assert x.is_cpu and x.output_nr == 0\n"
        "assert x.quantile(0.5).item() == 2.5\n"
        "assert (ember.tensor([1, 2]) << 1).tolist() == [2, 4]\n"
        "y = ember.zeros(3).index_add_(0, ember.tensor([0, 0]), ember.ones(2))\n"
        "assert y.tolist() == [2.0, 0.0, 0.0]\n"
        "assert type(ember.Tensor.__dict__['is_cpu']) is property\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_misc_math_methods_match_torch():
    import numpy as np
    import torch

    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4))
    s = a[:, :3] @ a[:, :3].T + 3 * np.eye(3)
    for name, args, base in (("aminmax", (), a), ("argwhere", (), a > 0), ("cov", (), a),
                             ("corrcoef", (), a), ("dist", (a * 2,), a),
                             ("msort", (), a), ("unique_consecutive", (), np.round(a)),
                             ("i0", (), a), ("matrix_exp", (), s / 10),
                             ("cholesky", (), s)):
        got = getattr(ember.tensor(base), name)(*(ember.tensor(x) for x in args))
        want = getattr(torch.tensor(base), name)(*(torch.tensor(x) for x in args))
        got = got if isinstance(got, tuple) else (got,)
        want = want if isinstance(want, tuple) else (want,)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-12, err_msg=name)
    values, _ = ember.tensor(a).mode(1)
    np.testing.assert_allclose(values.numpy(), torch.tensor(a).mode(1)[0].numpy())
    y = ember.tensor(a.copy())
    assert y.i0_() is y
    np.testing.assert_allclose(y.numpy(), torch.tensor(a).i0().numpy(), rtol=1e-12)


def test_type_with_legacy_tensor_classes():
    import torch

    for T in (torch, ember):
        x = T.arange(3)
        assert x.type(T.DoubleTensor).dtype == T.float64
        assert x.type(T.FloatTensor).type() == "torch.FloatTensor"
        assert x.type(T.BoolTensor).tolist() == [False, True, True]
