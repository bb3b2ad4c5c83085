"""PyTorch's Recipes and Learn-the-Basics/Intermediate programs (state_dict hooks, the
profiler recipe, saved-tensor hooks, tensor hook handles, torch.dist in the parametrizations
tutorial, checkpointing), run on ember and compared live with torch 2.13."""

import warnings

import numpy as np
import pytest
import torch

import ember
from parity_util import outcome

LIBS = (torch, ember)


def _both(case):
    got = [outcome(lambda: case(T), T) for T in LIBS]
    assert got[1] == got[0]


# ---- state_dict hooks (register_state_dict_pre/post_hook, load pre hook) ------------------

def _state_hooks(T):
    seen = []
    net = T.nn.Sequential(T.nn.Linear(2, 1), T.nn.ReLU())
    net[0].register_state_dict_pre_hook(lambda m, prefix, keep: seen.append(("pre", prefix, keep)))
    net.register_state_dict_post_hook(
        lambda m, sd, prefix, meta: seen.append(("post", prefix, sorted(sd), meta)))
    sd = net.state_dict(keep_vars=True)
    net[0].register_load_state_dict_pre_hook(
        lambda m, sd, prefix, meta, strict, missing, unexpected, errors:
        seen.append(("load", prefix, sorted(sd), strict)))
    res = net.load_state_dict(sd)
    return seen, str(res), dict(sd._metadata)


def test_state_dict_pre_and_post_hooks_and_load_pre_hook():
    _both(_state_hooks)


def test_public_state_dict_post_hook_must_return_none_private_may_replace():
    def case(T, public):
        lin = T.nn.Linear(2, 1)
        if public:
            lin.register_state_dict_post_hook(lambda m, sd, p, meta: {"x": 1})
        else:
            lin._register_state_dict_hook(lambda m, sd, p, meta: {"x": 1})
        return lin.state_dict()
    for public in (True, False):
        _both(lambda T: case(T, public))


def test_removed_state_dict_hook_is_not_called():
    def case(T):
        seen = []
        lin = T.nn.Linear(2, 1)
        h = lin.register_state_dict_post_hook(lambda *a: seen.append(1))
        lin.state_dict()
        h.remove()
        lin.state_dict()
        return seen
    _both(case)


# ---- the profiler recipe: torch.profiler ----------------------------------------------------

def test_profiler_schedule_actions():
    def case(T, **kw):
        s = T.profiler.schedule(**kw)
        return [s(i).name for i in range(14)]
    for kw in (dict(wait=1, warmup=1, active=2), dict(skip_first=1, wait=1, warmup=1, active=2),
               dict(wait=1, warmup=1, active=2, repeat=2),
               dict(wait=2, warmup=1, active=1, skip_first_wait=1)):
        _both(lambda T: case(T, **kw))


def _scheduled(T):
    ready = []
    model = T.nn.Linear(4, 2)
    P = T.profiler
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with P.profile(activities=[P.ProfilerActivity.CPU],
                       schedule=P.schedule(skip_first=1, wait=1, warmup=1, active=2),
                       on_trace_ready=lambda p: ready.append(p.step_num)) as prof:
            for _ in range(8):
                model(T.ones(3, 4))
                prof.step()
    names = {e.key for e in prof.key_averages() if "Step" in e.key}  # (steps grouped as one)
    steps = [e.name for e in prof.events() if "Step" in e.name]  # (the last cycle's two)
    return ready, names, steps, str(P.ProfilerActivity.CPU)


def test_profiler_schedule_calls_on_trace_ready_per_cycle():
    _both(_scheduled)


def _header(T, memory, shapes):
    model = T.nn.Sequential(T.nn.Linear(8, 4), T.nn.ReLU())
    P = T.profiler
    with P.profile(activities=[P.ProfilerActivity.CPU], record_shapes=shapes,
                   profile_memory=memory) as prof:
        with P.record_function("model_inference"):
            model(T.ones(2, 8))
    sort = "self_cpu_memory_usage" if memory else "cpu_time_total"
    table = prof.key_averages(group_by_input_shape=shapes).table(sort_by=sort, row_limit=10)
    lines = table.splitlines()
    return lines[1].split(), lines[-1].split()[:4], memory or "model_inference" in table


@pytest.mark.parametrize("memory,shapes", [(False, False), (True, False), (False, True),
                                           (True, True)])
def test_profiler_table_columns(memory, shapes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _both(lambda T: _header(T, memory, shapes))


def test_profiler_memory_is_the_output_bytes():
    """A lone op's CPU Mem is its output's size in both (relu of 5x32 float32: 640 bytes)."""
    def case(T):
        x = T.ones(5, 32)
        with T.profiler.profile(profile_memory=True) as prof:
            T.relu(x)
        return [e.cpu_memory_usage for e in prof.key_averages() if "relu" in e.key
                or "clamp_min" in e.key][:1]
    _both(case)


# ---- saved-tensor hooks: what is packed, in PyTorch's order; SavedTensor.register_hooks -----

def _packed(T):
    log = []

    def pack(t):
        log.append(("pack", t.tolist()))
        return t

    def unpack(t):
        log.append(("unpack", t.tolist()))
        return t
    a = T.ones(3, requires_grad=True)
    b = T.ones(3, requires_grad=True) * 2
    y = T.full((3,), 3.0)
    with T.autograd.graph.saved_tensors_hooks(pack, unpack):
        outs = [a * b, a * y, y * a, a * 4]
    sum(o.sum() for o in outs).backward()
    return log, a.grad


def test_saved_tensors_hooks_pack_what_pytorch_saves_in_its_order():
    _both(_packed)


def test_raw_saved_tensor_register_hooks():
    def case(T):
        x = T.tensor([0.5, 1.0, 2.0], requires_grad=True)
        y = x.sin()
        raw = y.grad_fn._raw_saved_self
        raw.register_hooks(lambda t: t * 0 + 1, lambda t: t)
        y.sum().backward()
        names = [n for n in dir(y.grad_fn) if "saved" in n and n != "_saved"]
        return type(raw).__name__, x.grad, [n for n in names if n != "saved_tensors"]
    _both(case)


def test_raw_saved_missing_name_is_attribute_error():
    def case(T):
        y = T.ones(2, requires_grad=True).sin()
        return y.grad_fn._raw_saved_other
    _both(case)


# ---- hook handles --------------------------------------------------------------------------

def test_hook_handles_are_named_removable_handle():
    def case(T):
        x = T.ones(2, requires_grad=True)
        h1 = x.register_hook(lambda g: g)
        h2 = T.nn.Linear(2, 2).register_forward_hook(lambda *a: None)
        h3 = (x * 2).grad_fn.register_hook(lambda *a: None)
        with x.register_hook(lambda g: g * 3):
            pass
        (x * 1).sum().backward()
        return [type(h).__name__ for h in (h1, h2, h3)], \
            [type(h).__module__.split(".", 1)[1] for h in (h1, h2)], x.grad
    _both(case)


# ---- torch.dist (the parametrizations tutorial prints it) -----------------------------------

@pytest.mark.parametrize("p", [1, 2, 3, 0.5, float("inf"), float("-inf")])
def test_dist_node_value_and_gradients(p):
    def case(T):
        a = T.tensor([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]], requires_grad=True)
        b = T.tensor([1.0, 0.0, -2.0], requires_grad=True)
        y = T.dist(a, b, p)
        y.backward()
        return y.grad_fn.name(), len(y.grad_fn.next_functions), y, a.grad, b.grad
    _both(case)


def test_dist_second_derivative_and_errors():
    x = np.array([0.3, -1.2, 2.0])
    z = np.array([1.0, 0.5, -0.7])
    for T in LIBS:
        a = T.tensor(x, requires_grad=True)
        b = T.tensor(z, requires_grad=True)
        assert T.autograd.gradgradcheck(lambda u, v: T.dist(u, v, 3), (a, b))
        assert T.autograd.gradgradcheck(lambda u, v: T.dist(u, v), (a, b))
    cases = [lambda T: T.dist(T.ones(0), T.ones(0), float("inf")),
             lambda T: T.dist(T.ones(0), T.ones(0)),
             lambda T: T.dist(T.ones(2), 3.0),
             lambda T: T.dist(T.ones(2), T.ones(3)),
             lambda T: T.dist(T.tensor([1, 2]), T.tensor([1, 3])),
             lambda T: T.dist(T.tensor([True, False]), T.ones(3)),
             lambda T: T.dist(T.tensor([[1], [2]]), T.tensor([1, 3, 4])),
             lambda T: T.dist(T.ones(2, dtype=T.float64), T.ones(2)),
             lambda T: T.ones(2).dist(T.zeros(2), p=1)]
    for case in cases:
        _both(case)


# ---- checkpointing ---------------------------------------------------------------------------

def test_reentrant_checkpoint_node_name():
    def case(T):
        from importlib import import_module
        ck = import_module(T.__name__ + ".utils.checkpoint").checkpoint
        a = T.tensor([0.1, 0.2], requires_grad=True)
        outs = [ck(lambda x: x.sin(), a, use_reentrant=r) for r in (True, False)]
        two = ck(lambda x: (x.sin(), x.cos()), a, use_reentrant=True)
        return [o.grad_fn.name() for o in outs + list(two)]
    _both(case)


# ---- "Reasoning about Shapes": ember has no meta device -------------------------------------

def test_meta_device_says_what_is_missing_not_cuda():
    """PyTorch builds meta tensors (shapes without data); ember cannot, and says so instead
    of PyTorch's CUDA message for another device."""
    assert torch.nn.Conv2d(3, 5, 5, device="meta").weight.is_meta
    for make in (lambda: ember.nn.Conv2d(3, 5, 5, device="meta"),
                 lambda: ember.zeros(2, 3, device="meta"), lambda: ember.ones(2).to("meta")):
        with pytest.raises(NotImplementedError, match="no 'meta' device") as err:
            make()
        assert "CUDA" not in str(err.value)
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        ember.ones(2).to("cuda")
