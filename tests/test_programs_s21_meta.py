"""Session 21: meta-learning programs as users copy them (tests/s21_meta_progs*.py):
dragen1860/MAML-Pytorch (learner.py, meta.py, omniglot_train.py, miniimagenet_train.py),
orobix/Prototypical-Networks-for-Few-shot-Learning-PyTorch (protonet, prototypical_loss, the
batch sampler, train.py), tristandeleu/pytorch-maml (MetaModule layers, second- and first-order
MAML with learnable step sizes) and gabrielhuang/reptile-pytorch (Reptile on Omniglot), with
the datasets replaced by seeded NumPy stand-ins. Each runs on ember and on torch 2.13 and is
compared live: printed lines (reprs, accuracies, losses with 4 decimals, warnings, errors' type
and first line) exactly, values to rtol 1e-5 / atol 1e-6; then focused tests of the fixes."""

import numpy as np
import pytest
import s21_meta_progs as A
import s21_meta_progs_b as B
import s21_meta_progs_c as C
import s21_meta_progs_d as D
import s21_meta_progs_e as E
from torch_compare import check_program, exact_and_close, same, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.omniglot_train, E.miniimagenet_train, B.protonet_train, C.maml_metalearner,
         C.maml_first_order, C.maml_batched, C.maml_batched_first_order, D.reptile_omniglot]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)


def _meta_net(L):
    """A torchmeta-style net: MetaModule subclasses collect only their own modules' parameters
    through nn.Module._named_members(get_members_fn, prefix, recurse)."""
    nn = L.nn

    class MetaModule(nn.Module):
        def meta_named_parameters(self, prefix='', recurse=True):
            return self._named_members(
                lambda module: module._parameters.items()
                if isinstance(module, MetaModule) else [], prefix=prefix, recurse=recurse)

    class MetaLinear(nn.Linear, MetaModule):
        pass

    class Net(MetaModule):
        def __init__(self):
            super().__init__()
            self.a = MetaLinear(2, 3)
            self.b = nn.Linear(3, 3)             # a plain module: not collected
            self.c = nn.Sequential(MetaLinear(3, 1, bias=False), nn.ReLU())
            self.d = self.a                      # shared: once
            self.scale = nn.Parameter(L.ones(1))
    return Net()


@pytest.mark.parametrize("prefix,recurse", [("", True), ("net", True), ("", False),
                                            ("net", False)])
def test_named_members_with_get_members_fn(prefix, recurse):
    """PyTorch's Module._named_members takes a get_members_fn (module -> (name, member)
    pairs); torchmeta / pytorch-maml's MetaModule.meta_named_parameters passes one. ember's
    took only the name of a registry dict and raised AttributeError."""
    def prog(L):
        L.manual_seed(0)
        net = _meta_net(L)
        got = list(net.meta_named_parameters(prefix=prefix, recurse=recurse))
        dup = list(net._named_members(lambda m: list(m._parameters.items()) * 2,
                                      prefix=prefix, recurse=recurse, remove_duplicate=False))
        return ([(n, tuple(p.shape)) for n, p in got], [n for n, _ in dup],
                [p.sum().item() for _, p in got])
    out = same(prog)
    assert isinstance(out[0], list), out  # ran through


def test_named_members_get_members_fn_error():
    """An exception inside get_members_fn reaches the caller unchanged."""
    def prog(L):
        net = _meta_net(L)
        return list(net._named_members(lambda m: m._no_such_registry.items()))
    same(prog)


def test_repr_nested_extra_repr_with_blank_line():
    """dragen1860's Learner.extra_repr ends each entry with '\\n', so its repr has a blank
    line; nested in Meta, PyTorch's _addindent leaves blank lines empty (no trailing
    spaces). Needs the one-line fix in ember.nn.modules.module._addindent."""
    def prog(L):
        class Learner(L.nn.Module):
            def __init__(self):
                super().__init__()
                self.vars = L.nn.ParameterList([L.nn.Parameter(L.ones(2))])

            def extra_repr(self):
                return 'conv2d:(ch_in:1)\n\nlinear:(in:8, out:5)\n'

        class Meta(L.nn.Module):
            def __init__(self):
                super().__init__()
                self.net = Learner()
                self.nets = L.nn.ModuleList([Learner(), Learner()])
        return repr(Learner()), repr(Meta())
    same(prog)


@pytest.mark.parametrize("opt", ["Adam", "AdamW", "NAdam", "RAdam", "Adamax"])
@pytest.mark.parametrize("betas", ["int", "float", "mixed", "tensors", "np64", "np32"])
def test_adam_betas_int_error(opt, betas):
    """reptile-pytorch's Adam(..., betas=(0, 0.999)): PyTorch 2.13's Adam / AdamW raise
    ValueError("betas must be either both floats or both Tensors") for an int (or a NumPy
    float32, not a float subclass) or a float beside a Tensor; NAdam / RAdam / Adamax accept
    them. Needs the check in ember.optim.adam._check (a file owned by the lead)."""
    def prog(L):
        b = {"int": (0, 0.999), "float": (0., 0.999), "mixed": (0.9, L.tensor(0.999)),
             "tensors": (L.tensor(0.9), L.tensor(0.999)),
             "np64": (np.float64(0.9), 0.999), "np32": (np.float32(0.9), 0.999)}[betas]
        o = getattr(L.optim, opt)([L.nn.Parameter(L.ones(2))], lr=1e-3, betas=b)
        return [float(x) for x in o.defaults["betas"]]
    same(prog)


def test_optimizer_load_state_dict_shares_state_tensors():
    """reptile-pytorch carries the base optimizer's state from task to task with
    ``state = optimizer.state_dict()`` and ``Adam(...).load_state_dict(state)``. PyTorch's
    load_state_dict keeps the given tensors when their dtype and device already fit ('step'
    always), so every optimizer loaded from one state dict updates the same step / exp_avg /
    exp_avg_sq tensors in place. ember copied them. Needs the change in
    ember.optim.optimizer._cast (a file owned by the lead)."""
    def prog(L):
        p, q = L.nn.Parameter(L.ones(2)), L.nn.Parameter(L.ones(2))
        o = L.optim.Adam([p], lr=0.1)
        p.grad = L.ones(2)
        o.step()
        sd = o.state_dict()
        o2 = L.optim.Adam([q], lr=0.1)
        o2.load_state_dict(sd)
        r = L.nn.Parameter(L.ones(2, dtype=L.float64))
        o3 = L.optim.Adam([r], lr=0.1)  # a float64 parameter: exp_avg cast (a copy)
        o3.load_state_dict(sd)
        same_objs = [o2.state[q][k] is sd['state'][0][k] for k in ('step', 'exp_avg')] + [
            o3.state[r][k] is sd['state'][0][k] for k in ('step', 'exp_avg')]
        q.grad = L.full((2,), 3.)
        o2.step()
        o2.step()
        # (Adam's moments round twice in ember, by design: see ember/optim/_fused.py)
        return ((same_objs, o.state[p]['step'].item(),
                 [str(v.dtype) for v in o3.state_dict()['state'][0].values()]),
                [o.state[p]['exp_avg'], o.state[p]['exp_avg_sq'], q.detach()])
    exact_and_close(prog, 1e-6, 1e-7)

