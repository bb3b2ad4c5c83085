"""Session 21 (autoregressive models sweep): the gaps the PixelCNN / WaveNet programs found,
each compared live with torch 2.13."""

import numpy as np

import pytest
from torch_compare import run_both, same_with_warnings


def _probs(L):
    return L.tensor([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]])


@pytest.mark.parametrize("out", ["long", "long_wrong_shape", "long_empty", "float", "int32"])
@pytest.mark.parametrize("replacement", [False, True])
def test_multinomial_out(out, replacement):
    """torch.multinomial(p, n, out=buf): the draws written into a Long ``out`` (resized
    without a warning when its shape differs), which is returned; any other dtype is
    PyTorch's RuntimeError 'multinomial expects Long tensor out, got: Float'."""
    def prog(L):
        buf = {"long": lambda: L.empty(2, 2, dtype=L.long),
               "long_wrong_shape": lambda: L.zeros(5, dtype=L.long),
               "long_empty": lambda: L.empty(0, dtype=L.long),
               "float": lambda: L.empty(2, 2),
               "int32": lambda: L.empty(2, 2, dtype=L.int32)}[out]()
        L.manual_seed(0)
        r = L.multinomial(_probs(L), 2, replacement, out=buf)
        return r is buf, buf.dtype, tuple(buf.shape), buf.tolist()
    same_with_warnings(prog, describe=repr)


def test_multinomial_out_input_requires_grad():
    """multinomial is not differentiable: an input that requires grad is no error with out=."""
    def prog(L):
        L.manual_seed(1)
        p = L.tensor([1., 2., 3.], requires_grad=True)
        buf = L.empty(1, dtype=L.long)
        return L.multinomial(p, 1, out=buf).tolist(), buf.requires_grad
    same_with_warnings(prog, describe=repr)


@pytest.mark.parametrize("persistent", [False, True])
def test_dataloader_pin_memory_warning_after_worker_check(persistent):
    """WavenetTrainer's DataLoader(..., num_workers=8, pin_memory=False) with pin_memory=True
    on a CPU machine: each new iterator checks the worker count (PyTorch's "This DataLoader
    will create N worker processes ..." where the machine has fewer cores) and then warns that
    no accelerator pins memory; ember warned in the other order. Persistent workers warn about
    pinning once."""
    def prog(L):
        L.manual_seed(0)
        ds = L.utils.data.TensorDataset(L.arange(10.), L.arange(10))
        dl = L.utils.data.DataLoader(ds, batch_size=3, shuffle=True, num_workers=2,
                                     pin_memory=True, persistent_workers=persistent)
        return [[b[1].tolist() for b in dl] for _ in range(2)], L.rand(2).tolist()
    same_with_warnings(prog, describe=repr)


def _transposed_logits(L):
    """(4, 8) logits as ``out.squeeze().t()`` gives them: a transposed, F-ordered view."""
    a = L.from_numpy(np.random.default_rng(0).standard_normal((8, 4)).astype(np.float32))
    return a.requires_grad_()


@pytest.mark.parametrize("kind", ["mean", "sum", "none", "weight", "smoothing", "ignore",
                                  "module", "double_backward"])
def test_cross_entropy_transposed_input_gradient(kind):
    """pytorch-wavenet's first model: F.cross_entropy(output.squeeze().t(), targets) on a
    (C, L) conv output. ember's gradient lost the -1 at each target (it was written into a
    copy: the rows of a transposed input are not C-ordered), so training diverged."""
    def prog(L):
        F = L.nn.functional
        a = _transposed_logits(L)
        x, t = a.t(), L.tensor([1, 0, 7, 1])
        loss = {"mean": lambda: F.cross_entropy(x, t),
                "sum": lambda: F.cross_entropy(x, t, reduction="sum"),
                "none": lambda: (F.cross_entropy(x, t, reduction="none") * L.arange(4.)).sum(),
                "weight": lambda: F.cross_entropy(x, t, weight=L.arange(8.) + 1),
                "smoothing": lambda: F.cross_entropy(x, t, label_smoothing=0.1),
                "ignore": lambda: F.cross_entropy(x, L.tensor([1, -100, 7, 1])),
                "module": lambda: L.nn.CrossEntropyLoss()(x, t),
                "double_backward": lambda: L.autograd.grad(
                    F.cross_entropy(x, t), a, create_graph=True)[0].pow(2).sum()}[kind]()
        loss.backward()
        return [loss, a.grad]
    want, got = run_both(prog)
    assert isinstance(got, list), got
    for w, g in zip(want, got):
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)


def _write(L, how):
    a = L.from_numpy(np.arange(12, dtype=np.float32).reshape(3, 4)).requires_grad_()
    b = a.t() * 1  # a (4, 3) result with F-ordered memory, part of a graph
    {"fill_col": lambda: b[:, 1].fill_(7.),
     "mul_slice": lambda: b[:, 1:].mul_(2.),
     "setitem_view": lambda: b[1:3].__setitem__((0, 1), 7.),
     "view_of_t": lambda: b.t()[1].fill_(7.),
     "index_put_view": lambda: b.t()[1].index_put_((L.tensor([0, 2]),), L.tensor(9.)),
     "put_view": lambda: b.t()[1:].put_(L.tensor([0, 5]), L.tensor([9., 8.])),
     "put": lambda: b.put_(L.tensor([1, 5]), L.tensor([9., 8.])),
     "put_accumulate": lambda: b.put_(L.tensor([0, 5, 5]), L.tensor([9., 8., 1.]),
                                      accumulate=True)}[how]()
    (b * L.arange(12.).view(4, 3)).sum().backward()
    return b.detach(), a.grad


@pytest.mark.parametrize("how", ["fill_col", "mul_slice", "setitem_view", "view_of_t",
                                 "index_put_view", "put_view", "put", "put_accumulate"])
def test_in_place_write_into_non_contiguous_result(how):
    """In-place writes into a view of a transposed result that is part of a graph: ember
    refused ('cannot record this in-place change to a view (its base is not a contiguous
    array)'), and put_ on such a tensor wrote into a copy (the values were lost)."""
    want, got = run_both(lambda L: _write(L, how))
    assert isinstance(got, tuple), got
    for w, g in zip(want, got):
        assert g.tolist() == w.tolist()


def test_put_into_transposed_tensor_without_grad():
    """put_ on a transposed tensor (no graph): the values land where PyTorch puts them."""
    def prog(L):
        b = L.arange(12.).view(3, 4).t()
        b.put_(L.tensor([1, 5]), L.tensor([9., 8.]))
        c = L.arange(12.).view(3, 4).t() * 1
        c.put_(L.tensor([1, 5, 5]), L.tensor([9., 8., 1.]), accumulate=True)
        return b.tolist(), c.tolist(), L.arange(12.).view(3, 4).tolist()
    same_with_warnings(prog, describe=repr)


@pytest.mark.parametrize("n", [1, 2, 5])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_multinomial_of_transposed_probabilities(n, dtype):
    """torch.multinomial(probs.t(), n) without replacement draws q = empty_like(probs)
    .exponential_() in the input's memory layout (column by column for a transposed
    input), so the samples follow that layout; ember drew q row by row."""
    def prog(L):
        x = np.random.default_rng(0).standard_normal((5, 3)).astype(dtype)
        p = L.softmax(L.from_numpy(x), 0)
        L.manual_seed(0)
        s = L.multinomial(p.t(), n)
        L.manual_seed(0)
        oh = L.distributions.OneHotCategorical(probs=p.t()).sample()
        return s.tolist(), oh.tolist(), L.rand(2).tolist()
    same_with_warnings(prog, describe=repr)
