"""Backward runs nodes in PyTorch's order once anything can watch it (autograd/_ordered.py):
hooks fire in PyTorch's order, leaves' hooks as soon as their gradient is complete, and a
gradient with several sources is summed in PyTorch's order (checked bit for bit, on ops
whose forward and backward are exact IEEE operations in both libraries)."""

import numpy as np
import pytest
from torch_compare import run_both

from ember.autograd._ordered import pop, push

OPS = ["add", "sub", "mul", "relu", "neg", "twice", "sum_keep", "cat_split", "linear"]


def _program(seed: int, steps: int = 12) -> list:
    """A random straight-line program over 3x4 float64 values: (op, operand indices)."""
    rng = np.random.default_rng(seed)
    prog, n = [], 4  # values 0-3: leaves 0-2 require grad, 3 does not
    for _ in range(steps):
        op = OPS[rng.integers(len(OPS))]
        args = tuple(int(i) for i in rng.integers(0, n, 2))
        prog.append((op, args))
        n += 1
    return prog


def _run(lib, prog, hooks_on: str, backward: str):
    rng = np.random.default_rng(7)
    vals = [lib.tensor(rng.standard_normal((3, 4)), requires_grad=i < 3) for i in range(4)]
    lin = lib.nn.Linear(4, 4).double()
    # A signed, scaled permutation: each output is one exact product, so the forward
    # matches PyTorch's bit for bit whatever BLAS does (MKL's addmm rounds otherwise).
    perm = np.eye(4)[rng.permutation(4)] * rng.choice([-2.0, -0.5, 1.0, 4.0], (4, 1))
    with lib.no_grad():
        lin.weight.copy_(lib.tensor(perm))
        lin.bias.copy_(lib.tensor(rng.standard_normal(4)))
    for op, (i, j) in prog:
        a, b = vals[i], vals[j]
        if op == "add":
            v = a + b
        elif op == "sub":
            v = a - b
        elif op == "mul":
            v = a * b
        elif op == "relu":
            v = lib.relu(a)
        elif op == "neg":
            v = -a
        elif op == "twice":
            v = a * 2
        elif op == "sum_keep":
            v = a.sum(0, keepdim=True) + b
        elif op == "cat_split":
            v = lib.cat([a, b], 0)[1:4]
        else:
            v = lin(a)
        vals.append(v)
    order = []
    named = list(enumerate(vals)) + [("w", lin.weight), ("b", lin.bias)]
    for k, t in named:
        if t.requires_grad and (hooks_on == "all" or hooks_on == "leaves" and t.grad_fn is None):
            t.register_hook(lambda g, k=k: order.append((k, g.sum().item())))
    out = sum(v.sum() for v in vals[-3:] if v.requires_grad)
    if not isinstance(out, lib.Tensor):
        return "no graph"
    if backward == "backward":
        out.backward()
        grads = [None if t.grad is None else t.grad.numpy().tobytes() for _, t in named
                 if t.grad_fn is None and t.requires_grad]
    else:
        leaves = [t for _, t in named if t.grad_fn is None and t.requires_grad]
        got = lib.autograd.grad(out, leaves[:2], allow_unused=True)
        grads = [None if g is None else g.numpy().tobytes() for g in got]
    return order, grads


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("hooks_on", ["all", "leaves"])
def test_hook_order_and_sums_match_pytorch(seed, hooks_on):
    prog = _program(seed)
    want, got = run_both(lambda lib: _run(lib, prog, hooks_on, "backward"))
    assert got == want


@pytest.mark.parametrize("seed", range(20))
def test_autograd_grad_runs_only_what_it_needs(seed):
    """Hooks on nodes no requested input depends on do not fire (PyTorch's exec_info)."""
    prog = _program(seed)
    want, got = run_both(lambda lib: _run(lib, prog, "all", "grad"))
    assert got == want


def test_linear_hooks_fire_bias_input_then_weight():
    def run(lib):
        order = []
        lib.manual_seed(0)
        l1, l2 = lib.nn.Linear(2, 3), lib.nn.Linear(3, 1, bias=False)
        x = lib.randn(4, 2, requires_grad=True)
        for name, t in [("x", x)] + list(l1.named_parameters()) + list(l2.named_parameters()):
            t.register_hook(lambda g, name=name: order.append(name))
        l2(lib.tanh(l1(x))).sum().backward()
        return order
    want, got = run_both(run)
    assert got == want == ["weight", "bias", "x", "weight"]


def test_leaf_grad_is_complete_when_its_post_accumulate_hook_runs():
    """PyTorch writes a leaf's .grad as soon as its last gradient arrives, before nodes that
    come later in the walk run: a hook further down sees it already."""
    def run(lib):
        seen = []
        w = lib.ones(3, requires_grad=True)
        x = lib.ones(3, requires_grad=True)
        h = (x * 3).exp()
        w.register_post_accumulate_grad_hook(lambda t: seen.append(("w", t.grad.tolist())))
        h.register_hook(lambda g: seen.append(("h sees w.grad", None if w.grad is None
                                                else w.grad.tolist())))
        (w * 2 + h).sum().backward()
        return seen
    want, got = run_both(run)
    assert got == want


def test_heap_matches_libstdcpp_on_ties():
    """Equal ranks leave a std::priority_queue in libstdc++'s order: pushing ranks
    [5, inf, inf, 3, inf] (tagged a-e) then popping everything gives b, c, e, a, d (worked
    by hand through libstdc++'s __push_heap/__adjust_heap, and what a compiled
    std::priority_queue<..., std::vector, less> prints for the same pushes; 300 random
    push/pop sequences with ties agreed with it when this was written)."""
    heap = []
    for rank, tag in [(5, "a"), (float("inf"), "b"), (float("inf"), "c"), (3, "d"),
                      (float("inf"), "e")]:
        push(heap, (rank, tag))
    assert [pop(heap)[1] for _ in range(5)] == ["b", "c", "e", "a", "d"]


# ---- hook order only, over a broader set of ops (their values may differ in last bits) ----
def _broad_ops(L, a, b, lin) -> dict:
    """Each op of two (3, 4) tensors, giving a (3, 4) tensor (lazily: op name -> thunk)."""
    F = L and L.nn.functional
    return {
        "exp": lambda: a.exp(), "tanh": lambda: a.tanh(), "sigmoid": lambda: a.sigmoid(),
        "softmax": lambda: a.softmax(-1), "log_softmax": lambda: F.log_softmax(a, 1),
        "matmul": lambda: (a @ b.t()) @ b, "view": lambda: a.reshape(4, 3).reshape(3, 4) * b,
        "t": lambda: (a.t() * 2).t() + b, "index": lambda: a[[0, 2, 1]] + b[1:2],
        "cat": lambda: L.cat([a, b], 1)[:, ::2], "stack": lambda: L.stack([a, b]).sum(0),
        "mean": lambda: a.mean(0, keepdim=True) * b, "mse": lambda: F.mse_loss(a, b) + b,
        "ce": lambda: F.cross_entropy(a, L.tensor([0, 1, 3])) + a,
        "where": lambda: L.where(a > 1, a, b), "clamp": lambda: a.clamp(0.6, 1.2) + b,
        "pow": lambda: a ** 2 + b ** 3, "div": lambda: a / b, "rdiv": lambda: 2 / a + b,
        "norm": lambda: a.norm() * b, "unbind": lambda: L.stack(list(a.unbind(0))[::-1]) + b,
        "chunk": lambda: L.cat(list(a.chunk(2, 1))[::-1], 1) * b,
        "expand": lambda: a[:1].expand(3, 4) + b, "sqrt": lambda: a.abs().sqrt() + b,
        "abs": lambda: (a - b).abs(), "l1": lambda: F.l1_loss(a, b) * a,
        "max": lambda: a.max(1, keepdim=True)[0] * b,
        "gather": lambda: a.gather(1, L.tensor([[0], [2], [1]])) + b,
        "linear3d": lambda: lin(L.stack([a, b])).sum(0),
        "addmm": lambda: L.addmm(b, a, lin.weight.t())}


BROAD_OPS = sorted(_broad_ops(None, None, None, None))


def _broad_program(seed, steps=10):
    rng = np.random.default_rng(seed)
    return [(BROAD_OPS[rng.integers(len(BROAD_OPS))],
             tuple(int(i) for i in rng.integers(0, 4 + k, 2))) for k in range(steps)]


def _run_broad(L, prog):
    rng = np.random.default_rng(3)
    vals = [L.tensor(rng.random((3, 4)) + 0.5, dtype=L.float32, requires_grad=i < 3)
            for i in range(4)]
    lin = L.nn.Linear(4, 4)
    for op, (i, j) in prog:
        vals.append(_broad_ops(L, vals[i], vals[j], lin)[op]())
    order = []
    named = list(enumerate(vals)) + [("w", lin.weight), ("b", lin.bias)]
    for k, t in named:
        if t.requires_grad:
            t.register_hook(lambda g, k=k: order.append(k))
    sum(v.sum() for v in vals[-3:] if v.requires_grad).backward()
    return order


@pytest.mark.parametrize("seed", range(60))
def test_hook_order_matches_pytorch_over_many_ops(seed):
    prog = _broad_program(seed)
    want, got = run_both(lambda lib: _run_broad(lib, prog))
    assert got == want


def _module_hooks(L):
    order = []
    L.manual_seed(0)
    net = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.Tanh(), L.nn.Linear(4, 2))
    for name, m in net.named_children():
        m.register_full_backward_hook(lambda m, gi, go, name=name: order.append(("full", name)))
        m.register_full_backward_pre_hook(lambda m, go, name=name: order.append(("pre", name)))
    for n, p in net.named_parameters():
        p.register_hook(lambda g, n=n: order.append(("p", n)))
        p.register_post_accumulate_grad_hook(lambda t, n=n: order.append(("post", n)))
    x = L.randn(5, 3, requires_grad=True)
    y = net(x); y.retain_grad()
    y.register_hook(lambda g: order.append(("y", None)))
    y.pow(2).sum().backward()
    return order
def _multi_root(L):
    order = []
    a = L.tensor([1., 2.], requires_grad=True); b = L.tensor([3., 4.], requires_grad=True)
    u = a * b; v = u.exp() + b
    for n, t in (("a", a), ("b", b), ("u", u), ("v", v)):
        t.register_hook(lambda g, n=n: order.append(n))
    L.autograd.backward([u.sum(), v.sum()], retain_graph=True)
    g = L.autograd.grad([v.sum(), u.sum()], [a], retain_graph=False)
    return order
def _custom_function(L):
    class F(L.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y); return x * y
        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors; return g * y, g * x
    order = []
    a = L.tensor([1., 2.], requires_grad=True); b = L.tensor([3., 4.], requires_grad=True)
    c = a.sin()
    for n, t in (("a", a), ("b", b), ("c", c)):
        t.register_hook(lambda g, n=n: order.append(n))
    (F.apply(c, b) + b * c).sum().backward()
    return order


@pytest.mark.parametrize("case", [_module_hooks, _multi_root, _custom_function])
def test_hook_order_of_modules_roots_and_functions(case):
    """Module full backward (pre-)hooks, parameter and post-accumulate hooks, retain_grad;
    autograd.backward and autograd.grad of several roots; a custom Function."""
    want, got = run_both(case)
    assert got == want


def test_multi_grad_hook_fires_with_its_last_tensor():
    """register_multi_grad_hook ("all") calls fn inside the hook of the last of its tensors
    the pass reaches, before later hooks on that tensor; tensors the pass does not reach
    give None at once; "any" fires with the first."""
    def run(L):
        order = []
        a = L.tensor([1., 2.], requires_grad=True)
        b = L.tensor([3., 4.], requires_grad=True)
        c = a * b
        d = c.exp()
        L.autograd.graph.register_multi_grad_hook(
            (a, c), lambda gs: order.append(("all", [None if g is None else g.sum().item()
                                                     for g in gs])))
        a.register_hook(lambda g: order.append("a"))
        c.register_hook(lambda g: order.append("c"))
        b.register_post_accumulate_grad_hook(lambda t: order.append(("post b", t.grad.tolist())))
        (d.sum() + a.sum()).backward()
        L.autograd.graph.register_multi_grad_hook(
            (a, b), lambda g: order.append(("any", g.sum().item())), mode="any")
        (a * b).sum().backward()
        L.autograd.grad((a * b).sum(), [b])
        return order
    want, got = run_both(run)
    assert got == want
