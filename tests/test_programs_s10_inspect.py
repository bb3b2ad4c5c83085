"""Session-10 sweep of programs that look inside autograd (gradient-flow tables, hooks,
graph walks, gradgradcheck, grad_fn._saved_*), each compared live against PyTorch."""

from __future__ import annotations

import torch

import ember


def _saved_fields(fn) -> dict:
    """A node's non-tensor _saved_* attributes, and the names of its tensor ones."""
    out = {}
    for a in dir(fn):
        if a.startswith("_saved"):
            v = getattr(fn, a)
            out[a] = "tensor" if hasattr(v, "shape") else v
    return out


def test_saved_shape_fields_of_reductions_views_and_binary_ops():
    def run(lib):
        x = lib.ones(2, 3, 4, requires_grad=True)
        ys = [x.sum(1), x.mean((0, 2), keepdim=True), x.view(6, 4), x.reshape(-1),
              x - 2 * x, lib.sub(x, x, alpha=0.5), lib.add(x, x, alpha=3),
              lib.nn.functional.leaky_relu(x, 0.2)]
        return [(type(y.grad_fn).__name__, _saved_fields(y.grad_fn)) for y in ys]

    got, want = run(ember), run(torch)
    assert [g[0] for g in got] == [w[0] for w in want]
    for (_, g), (_, w) in zip(got, want):  # each field ember shows is PyTorch's; only a
        assert g == {k: v for k, v in w.items() if k in g}  # reduction's dim is not shown
        assert set(w) - set(g) <= {"_saved_dim"}


def test_dir_of_a_node_lists_no_internal_saved_slot():
    def run(lib):
        a = lib.ones(2, 3, requires_grad=True)
        return [n for n in dir((a * a).grad_fn) if n.startswith("_saved")]

    assert run(ember) == run(torch)


def test_module_backward_hook_node_repr_names_the_python_function():
    def run(lib):
        m = lib.nn.Linear(2, 2)
        m.register_full_backward_hook(lambda *a: None)
        return repr(m(lib.ones(1, 2)).grad_fn).split(" object at ")[0]

    assert run(ember) == run(torch)


def test_seeded_gradgradcheck_leaves_the_generator_where_pytorch_does():
    def run(lib):
        x = lib.tensor([0.3, -0.7, 1.1], dtype=lib.float64, requires_grad=True)
        lib.manual_seed(0)
        ok = lib.autograd.gradgradcheck(lib.sigmoid, (x,))
        return ok, lib.rand(3).tolist()

    assert run(ember) == run(torch)


def test_make_tensor_draws_floats_as_pytorch_does():
    def run(lib):
        lib.manual_seed(0)
        mk = lib.testing.make_tensor
        a = mk((4,), dtype=lib.float64, device="cpu", low=-1, high=1, requires_grad=True)
        b = mk((2, 3), dtype=lib.float32, device="cpu", noncontiguous=True)
        c = mk((3,), dtype=lib.float16, device="cpu")
        return a.tolist(), b.tolist(), b.stride(), c.tolist(), lib.rand(2).tolist()

    assert run(ember) == run(torch)
