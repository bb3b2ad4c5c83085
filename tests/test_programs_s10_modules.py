"""Session-10 sweep of how people structure models (containers, state, attribute rules,
parametrizations, pruning, lazy modules, checkpoints), each compared live against PyTorch."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import torch

import ember
from torch_compare import run_both, same_error_case


def test_typename_of_functions_and_classes_in_module_errors():
    # nn.Sequential(nn.ReLU) (the class, not an instance) and a lambda among the layers
    for bad in (lambda lib: lambda x: x, lambda lib: lib.nn.ReLU,
                lambda lib: lib.nn.Linear(1, 1).forward):
        same_error_case(lambda lib: lib.nn.Sequential(lib.nn.Linear(1, 1), bad(lib)))
        same_error_case(lambda lib: lib.nn.ModuleList([bad(lib)]))

        def assign(lib):
            lin = lib.nn.Linear(1, 1)
            lin.weight = bad(lib)
        same_error_case(assign)


def test_typename_in_optimizer_errors_and_torch_typename():
    same_error_case(lambda lib: lib.optim.SGD([lib.nn.Linear(2, 2)], lr=0.1))
    same_error_case(lambda lib: lib.optim.SGD([lambda: 0], lr=0.1))
    same_error_case(lambda lib: lib.optim.Adam([{"params": [lib.nn.Linear]}], lr=0.1))

    def names(lib):
        return [lib.typename(o) for o in (lib.Tensor, lib.nn.Parameter, lib.float32,
                                          lib.Size([1]), lib.nn.Linear(1, 1), lib.nn.Linear,
                                          lib.optim.SGD, 3, lib.zeros(1).long())]
    assert names(ember) == names(torch)


def test_lazy_parameters_refuse_tensor_methods_until_the_first_forward():
    def count(lib):
        net = lib.nn.Sequential(lib.nn.LazyLinear(8), lib.nn.ReLU(), lib.nn.LazyLinear(2))
        return sum(p.numel() for p in net.parameters())
    same_error_case(count)
    same_error_case(lambda lib: lib.nn.LazyLinear(3).weight.sum())

    def ok(lib):
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.LazyLinear(4), lib.nn.ReLU(), lib.nn.LazyLinear(1))
        opt = lib.optim.SGD(net.parameters(), lr=0.1)  # before the dry run, as tutorials do
        w = net[0].weight
        flags = (hasattr(w, "sum"), w.requires_grad, str(w.dtype), repr(w))
        net.double().float()
        net(lib.ones(2, 5)).sum().backward()
        opt.step()
        return flags, sum(p.numel() for p in net.parameters()), round(net[0].weight.sum().item(), 5)
    assert ok(ember) == ok(torch)


def test_get_buffer_of_a_missing_attribute():
    def case(lib):
        m = lib.nn.Sequential(lib.nn.ReLU())
        m.register_buffer("stats", lib.zeros(2))
        return m
    same_error_case(lambda lib: case(lib).get_buffer("0.weight"))
    same_error_case(lambda lib: case(lib).get_buffer("0.training"))
    assert run_both(lambda lib: tuple(case(lib).get_buffer("stats").shape)) == [(2,), (2,)]


def _weight_norm_run(lib, make, dim, x):
    lib.manual_seed(0)
    m = lib.nn.utils.parametrizations.weight_norm(make(lib), dim=dim)
    w = m.weight
    m(lib.from_numpy(x)).pow(2).sum().backward()
    p = m.parametrizations.weight
    return (type(w.grad_fn).__name__, repr(w).split("\n")[-1], w.detach().numpy(),
            p.original0.grad.numpy(), p.original1.grad.numpy())


def test_weight_norm_weight_is_one_fused_node_with_pytorchs_gradients():
    rng = np.random.default_rng(0)
    cases = [(lambda lib: lib.nn.Linear(4, 3), 0, rng.standard_normal((2, 4))),
             (lambda lib: lib.nn.Conv1d(2, 3, 3), 2, rng.standard_normal((2, 2, 5))),
             (lambda lib: lib.nn.Conv2d(2, 3, 3), 1, rng.standard_normal((1, 2, 5, 5))),
             (lambda lib: lib.nn.Linear(4, 3), None, rng.standard_normal((2, 4)))]
    for make, dim, x in cases:
        x = x.astype(np.float32)
        got, want = _weight_norm_run(ember, make, dim, x), _weight_norm_run(torch, make, dim, x)
        assert got[:2] == want[:2]
        for g, w in zip(got[2:], want[2:]):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)

    def old_style(lib):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = lib.nn.utils.weight_norm(lib.nn.Linear(3, 2))
        return m.weight.grad_fn.name()
    assert old_style(ember) == old_style(torch)
    # the node's own rule also holds at second order (PyTorch's gradgradcheck of it fails)
    from ember.nn.utils.weight_norm import _weight_norm

    for shape, g_shape, dim in [((3, 4), (3, 1), 0), ((3, 4, 2), (1, 1, 2), 2), ((3,), (3,), 0)]:
        v = ember.randn(*shape, dtype=ember.float64, requires_grad=True)
        g = ember.randn(*g_shape, dtype=ember.float64, requires_grad=True)
        assert _weight_norm(v, g, dim).grad_fn.name() == "WeightNormInterfaceBackward0"
        assert ember.autograd.gradgradcheck(lambda a, b: _weight_norm(a, b, dim), (v, g))


def test_parameter_dict_fromkeys_and_union_operators():
    def run(lib):
        pd = lib.nn.ParameterDict({"w": lib.nn.Parameter(lib.ones(2))})
        fk = pd.fromkeys(["x", "y"], lib.zeros(1))
        a = pd | {"b": lib.zeros(1), "a": lib.ones(1)}
        r = {"q": lib.zeros(3)} | pd
        pd |= {"z": lib.ones(2)}
        return (repr(fk), type(a).__name__, list(a.keys()), a["w"] is pd["w"], type(r).__name__,
                list(r.keys()), repr(pd))
    assert run(ember) == run(torch)
    same_error_case(lambda lib: lib.nn.ParameterDict.fromkeys(["x"], lib.zeros(1)))


def test_module_dict_update_error_wording():
    same_error_case(lambda lib: lib.nn.ModuleDict().update([lib.nn.ReLU()]))


def test_saving_a_parametrized_module_raises_without_a_chained_internal_error():
    def run(lib):
        m = lib.nn.utils.parametrizations.weight_norm(lib.nn.Linear(2, 2))
        try:
            lib.save(m, io.BytesIO())
        except RuntimeError as err:
            return str(err).splitlines()[0], err.__context__
    assert run(ember) == run(torch)


_SCRIPT = """
import warnings
warnings.simplefilter("always")
import torch
import torch.nn as nn
import torch.nn.utils.prune as prune
torch.manual_seed(0)
g = nn.Sequential(nn.Linear(6, 5), nn.Linear(5, 3))
prune.global_unstructured([(g[0], "weight"), (g[1], "weight")],
                          pruning_method=prune.L1Unstructured, amount=0.4)
print(int(g[0].weight_mask.sum()), int(g[1].weight_mask.sum()))
"""


def test_aliased_torch_submodule_does_not_warn_on_relative_imports(tmp_path: Path):
    # Under ember.run, importing torch.nn.utils.prune used to give the module the alias's
    # __spec__, and its function-level relative imports warned __package__ != __spec__.parent.
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent(_SCRIPT))
    src = str(Path(ember.__file__).resolve().parents[1])
    env = dict(os.environ, OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-m", "ember.run", str(script)], capture_output=True,
                         text=True, env=env, timeout=60)
    import torch.nn.utils.prune as prune

    torch.manual_seed(0)
    g = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Linear(5, 3))
    prune.global_unstructured([(g[0], "weight"), (g[1], "weight")],
                              pruning_method=prune.L1Unstructured, amount=0.4)
    want = f"{int(g[0].weight_mask.sum())} {int(g[1].weight_mask.sum())}\n"
    assert (out.stdout, out.stderr) == (want, "")


def test_lazy_linear_loaded_from_a_checkpoint_takes_in_features_on_first_call():
    def run(lib, width):
        lib.manual_seed(0)
        trained = lib.nn.Sequential(lib.nn.Linear(5, 3), lib.nn.ReLU(), lib.nn.Linear(3, 1))
        lazy = lib.nn.Sequential(lib.nn.LazyLinear(3), lib.nn.ReLU(), lib.nn.LazyLinear(1))
        keys = repr(lazy.load_state_dict(trained.state_dict()))
        out = lazy(lib.ones(2, width))
        return keys, repr(lazy), out.detach().numpy().tolist()
    assert run(ember, 5) == run(torch, 5)
    same_error_case(lambda lib: run(lib, 4))


def test_nn_parameter_exports_the_lazy_placeholders():
    def run(lib):
        from importlib import import_module

        P = import_module(lib.__name__ + ".nn.parameter")
        net = lib.nn.Sequential(lib.nn.LazyLinear(4), lib.nn.ReLU(), lib.nn.Linear(4, 2))
        ps = list(net.parameters())
        return (sum(p.numel() for p in ps if not isinstance(p, P.UninitializedParameter)),
                [P.is_lazy(p) for p in ps], isinstance(ps[0], P.UninitializedTensorMixin),
                isinstance(lib.nn.LazyBatchNorm1d().running_mean, P.UninitializedBuffer))
    assert run(ember) == run(torch)


def test_learner_mistakes_negative_sizes_and_missing_super_init():
    for make in (lambda lib: lib.nn.Linear(-1, 3), lambda lib: lib.nn.Conv2d(3, -4, 3),
                 lambda lib: lib.nn.Embedding(-1, 3), lambda lib: lib.nn.BatchNorm1d(-1),
                 lambda lib: lib.nn.Bilinear(2, -1, 3)):
        same_error_case(make)

    def no_super(lib):
        class Net(lib.nn.Module):
            def __init__(self):  # forgot super().__init__()
                self.k = 2

            def forward(self, x):
                return x * self.k
        return Net()(lib.ones(1))
    same_error_case(no_super)


def test_private_load_state_dict_pre_hook_with_and_without_module():
    def run(lib):
        seen = []

        def plain(sd, prefix, local_metadata, strict, missing, unexpected, errs):
            seen.append((prefix, sorted(sd)))
            sd[prefix + "bias"] = lib.full((2,), 3.0)  # e.g. filling in an old checkpoint

        def with_mod(module, sd, prefix, *rest):
            seen.append(type(module).__name__)
        net = lib.nn.Sequential(lib.nn.Linear(2, 2))
        h = net[0]._register_load_state_dict_pre_hook(plain)
        net._register_load_state_dict_pre_hook(with_mod, with_module=True)
        r1 = repr(net.load_state_dict({"0.weight": lib.ones(2, 2)}))
        h.remove()
        r2 = repr(net.load_state_dict({"0.weight": lib.ones(2, 2)}, strict=False))
        return seen, r1, r2, net[0].bias.tolist()
    assert run(ember) == run(torch)
