"""Session 12, lead: the official DQN tutorial's batch building (cat of many transitions,
x[mask] = values), stack/cat of many tensors with gradients (REINFORCE's log-probabilities),
sum's backward, and scatter's legacy reduce argument, compared live with torch 2.13."""

import warnings

import numpy as np
import pytest
from torch_compare import run_both, same_error_case


def _rows(L, n, shape, dtype=np.float32, grad=False, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        t = L.from_numpy(rng.standard_normal(shape).astype(dtype))
        out.append(t.requires_grad_() if grad else t)
    return out


# ---- cat of many alike tensors (a replay buffer's batch) -------------------------------

@pytest.mark.parametrize("shape,dim", [((1, 4), 0), ((1,), 0), ((3, 2), 1), ((2, 1, 3), -1)])
def test_cat_of_many_alike_tensors(shape, dim):
    def run(L):
        xs = _rows(L, 128, shape)
        out = L.cat(xs, dim)
        return str(out.dtype), tuple(out.shape), out.numpy().tobytes(), out.requires_grad
    want, got = run_both(run)
    assert got == want


def test_cat_of_many_with_gradients_splits_them_back():
    def run(L):
        xs = _rows(L, 200, (1,), grad=True)
        w = L.from_numpy(np.linspace(-1, 1, 200).astype(np.float32))
        (L.cat(xs) * w).sum().backward()
        return [x.grad.numpy().tobytes() for x in xs], type(L.cat(xs).grad_fn).__name__
    want, got = run_both(run)
    assert got == want


def test_cat_alike_ints_and_bools_keep_dtype():
    def run(L):
        acts = [L.tensor([[i % 2]]) for i in range(64)]
        done = [L.tensor([i % 3 == 0]) for i in range(64)]
        a, d = L.cat(acts), L.cat(done)
        return str(a.dtype), a.tolist(), str(d.dtype), d.tolist()
    want, got = run_both(run)
    assert got == want


@pytest.mark.parametrize("case", [
    lambda L: L.cat([L.ones(1, 4)] * 5 + [L.ones(1, 3)]),       # one size differs
    lambda L: L.cat([L.ones(1, 4)] * 5 + [L.ones(4)]),          # one ndim differs
    lambda L: L.cat([L.ones(1, 4)] * 3, 2),                     # dim out of range
    lambda L: L.cat([L.tensor(1.0)] * 3),                       # 0-d inputs
    lambda L: L.cat([L.ones(1, 4)] * 3 + [None]),               # a None (terminal state)
])
def test_cat_errors_unchanged_by_the_alike_path(case):
    same_error_case(case)


def test_cat_of_alike_mixed_dtypes_promotes():
    def run(L):
        out = L.cat([L.ones(2, 2), L.ones(2, 2, dtype=L.float64)])
        return str(out.dtype), out.tolist()
    want, got = run_both(run)
    assert got == want


# ---- stack of many tensors -------------------------------------------------------------

@pytest.mark.parametrize("shape,dim", [((), 0), ((4,), 0), ((4,), 1), ((2, 3), -1)])
def test_stack_of_many_with_gradients(shape, dim):
    def run(L):
        w = L.ones(1, requires_grad=True)
        xs = [(w * float(i)).sum() * L.ones(shape) for i in range(50)]
        out = L.stack(xs, dim)
        # small integers: every sum of them is exact, so the summation order (a separate
        # question) cannot hide a wrong routing of the pieces
        g = L.from_numpy(np.random.default_rng(1).integers(-3, 4, tuple(out.shape))
                         .astype(np.float32))
        (out * g).sum().backward()
        return tuple(out.shape), out.detach().numpy().tobytes(), w.grad.numpy().tobytes()
    want, got = run_both(run)
    assert got == want


def test_stack_of_log_probs_reinforce_loss():
    # REINFORCE's loss = -(torch.stack(log_probs) * returns).sum(), with picks of a scaled
    # row standing in for log-probabilities and integer returns (exact sums: the test is
    # about routing 100 gradients back through stack, not about exp's or sum's rounding)
    def run(L):
        logits = L.from_numpy((np.arange(8) - 4).astype(np.float32).reshape(4, 2))
        logits.requires_grad_()
        log_probs = [(logits[i % 4] * 0.5)[i % 2] for i in range(100)]
        returns = L.from_numpy((np.arange(100) % 5).astype(np.float32))
        loss = -(L.stack(log_probs) * returns).sum()
        loss.backward()
        return loss.item(), logits.grad.numpy().tobytes()
    want, got = run_both(run)
    assert got == want


def test_stack_of_numpy_scalar_results_keeps_dtype():
    def run(L):
        xs = [L.ones(3, dtype=L.float64).sum() for _ in range(5)]
        out = L.stack(xs)
        return str(out.dtype), out.tolist()
    want, got = run_both(run)
    assert got == want


# ---- x[mask] = values (DQN: next_state_values[non_final_mask] = ...) ----------------------

@pytest.mark.parametrize("value", ["selected", "scalar", "one"])
def test_masked_assignment(value):
    def run(L):
        mask = L.tensor(tuple(i % 7 != 0 for i in range(128)), dtype=L.bool)
        v = L.zeros(128)
        n = int(mask.sum())
        vals = {"selected": L.arange(n, dtype=L.float32), "scalar": L.tensor(2.5),
                "one": L.ones(1)}[value]
        v[mask] = vals
        return v.numpy().tobytes()
    want, got = run_both(run)
    assert got == want


def test_masked_assignment_of_rows():
    def run(L):
        x = L.zeros(6, 3)
        mask = L.tensor([True, False, True, True, False, False])
        x[mask] = L.ones(3, 3) * 2
        return x.tolist()
    want, got = run_both(run)
    assert got == want


@pytest.mark.parametrize("case", [
    lambda L: L.zeros(5).__setitem__(L.tensor([True, False, True, False, True]), L.ones(2)),
    lambda L: L.zeros(5).__setitem__(L.tensor([True, False]), L.ones(1)),
    lambda L: L.zeros(5, 2).__setitem__(L.tensor([True] * 5), L.ones(5, 3)),
])
def test_masked_assignment_errors(case):
    same_error_case(case)


# ---- sum's backward ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_full_sum_gradient_is_a_writable_tensor_of_ones(dtype):
    def run(L):
        x = L.from_numpy(np.arange(6, dtype=dtype).reshape(2, 3)).requires_grad_()
        (x.sum() * 3).backward()
        g = x.grad
        g += 1  # the gradient is the leaf's own, writable
        return str(g.dtype), g.tolist()
    want, got = run_both(run)
    assert got == want


def test_sum_to_float64_gradient_dtype():
    def run(L):
        x = L.ones(3, requires_grad=True)
        x.sum(dtype=L.float64).backward()
        return str(x.grad.dtype), x.grad.tolist()
    want, got = run_both(run)
    assert got == want


# ---- scatter's legacy reduce argument ------------------------------------------------------

@pytest.mark.parametrize("reduce", ["add", "multiply"])
def test_scatter_reduce_argument_accumulates_repeats(reduce):
    def run(L):
        idx, idx2 = L.tensor([0, 0, 2]), L.tensor([[0, 1], [1, 1]])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a = L.ones(5).scatter(0, idx, L.tensor([2., 3., 4.]), reduce=reduce)
            b = L.ones(5).scatter(0, idx, value=3.0, reduce=reduce)
            c = L.ones(2, 3).scatter(1, idx2, L.full((2, 2), 2.0), reduce=reduce)
            z = L.ones(5, dtype=L.long)
            z.scatter_(0, idx, 2, reduce=reduce)
            d = L.tensor(2.0).scatter(0, L.tensor(0), L.tensor(5.0), reduce=reduce)
        return a.tolist(), b.tolist(), c.tolist(), z.tolist(), d.tolist()
    want, got = run_both(run)
    assert got == want


@pytest.mark.parametrize("reduce", ["add", "multiply"])
def test_scatter_reduce_argument_has_no_derivative(reduce):
    def run(L):
        x = L.ones(5, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = x.scatter(0, L.tensor([0, 0, 2]), L.tensor([2., 3., 4.]), reduce=reduce)
        name = type(y.grad_fn).__name__
        y.sum().backward()
        return name
    want, got = run_both(run)
    assert got == want and got[0] == "RuntimeError", got


@pytest.mark.parametrize("reduce", ["sum", "max", "mean", "mul"])
def test_scatter_refuses_other_reduce_names(reduce):
    same_error_case(lambda L: L.ones(5).scatter(0, L.tensor([0]), L.ones(1), reduce=reduce))


def test_scatter_reduce_with_tensor_src_warns_deprecated():
    def run(L):
        L.set_warn_always(True)  # PyTorch warns once per process; ask for every time
        try:
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                L.ones(5).scatter(0, L.tensor([0]), L.ones(1), reduce="add")
                L.ones(5).scatter(0, L.tensor([0]), value=2.0, reduce="add")
        finally:
            L.set_warn_always(False)
        return [str(x.message).split(" (Triggered")[0] for x in w]
    want, got = run_both(run)
    assert got == want and len(got) == 1, got


# ---- .to(): which calls copy -----------------------------------------------------------------

@pytest.mark.parametrize("grad", [True, False])
def test_to_copies_for_an_indexed_device_or_copy_true(grad):
    def run(L):
        x = L.ones(3, requires_grad=grad)
        calls = [(("cpu",), {}), (("cpu:0",), {}), ((L.device("cpu"),), {}),
                 ((L.device("cpu", 0),), {}), (("cpu",), {"copy": True}),
                 ((L.float32,), {"copy": True}), ((L.float32,), {}), ((), {"copy": True}),
                 ((x,), {"copy": True}), ((L.float64,), {})]
        out = []
        for args, kw in calls:
            y = x.to(*args, **kw)
            out.append((y is x, type(y.grad_fn).__name__ if y.grad_fn else None, str(y.dtype)))
        y = x.to("cpu:0")
        with L.no_grad():
            y[0] = 5.0  # a copy: x keeps its value
        out.append(x.tolist())
        i = L.ones(3, dtype=L.long)
        out.append([(i.to(d) is i, str(i.to(d).dtype)) for d in ("cpu:0", "cpu")])
        return out
    want, got = run_both(run)
    assert got == want
