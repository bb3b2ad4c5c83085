"""The Tensor API against PyTorch 2.13: attributes, conversions, casts, printed form (grad_fn
names included), in-place ops and their errors, and view semantics.

Each row is a snippet run with ``torch`` bound to PyTorch and then to ember; it leaves its
result in ``r``. Results must agree: tensors in dtype, shape, requires_grad, exact values and
repr; Python values in type and value; errors in type and first message line.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember


def _run(code: str, module):
    ns = {"torch": module, "np": np}
    try:
        exec(code, ns)  # noqa: S102 - test snippets written in this file
    except Exception as err:  # noqa: BLE001 - compared below
        return err
    return ns.get("r")


def _same_value(got, want, where: str) -> None:
    if isinstance(want, torch.Tensor):
        assert isinstance(got, ember.Tensor), f"{where}: {type(got).__name__}, not a Tensor"
        assert str(got.dtype) == str(want.dtype), f"{where}: dtype {got.dtype} vs {want.dtype}"
        assert tuple(got.shape) == tuple(want.shape), f"{where}: shape {tuple(got.shape)}"
        assert got.requires_grad == want.requires_grad, f"{where}: requires_grad"
        assert got.is_leaf == want.is_leaf, f"{where}: is_leaf"
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-6,
                                   err_msg=where)
        assert repr(got) == repr(want), f"{where}:\n ember: {got!r}\n torch: {want!r}"
    elif isinstance(want, (tuple, list)) and not isinstance(want, torch.Size):
        assert type(got) is type(want) and len(got) == len(want), f"{where}: {got!r}"
        for k, (g, w) in enumerate(zip(got, want)):
            _same_value(g, w, f"{where}[{k}]")
    elif isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray) and got.dtype == want.dtype, f"{where}: {got!r}"
        np.testing.assert_array_equal(got, want, err_msg=where)
    else:
        assert type(got).__name__ == type(want).__name__, f"{where}: {got!r} vs {want!r}"
        assert repr(got) == repr(want), f"{where}: {got!r} vs {want!r}"


def assert_same(code: str) -> None:
    want, got = _run(code, torch), _run(code, ember)
    if isinstance(want, Exception):
        assert isinstance(got, Exception), f"{code}: ember gives {got!r}; torch raises {want!r}"
        assert type(got).__name__ == type(want).__name__, f"{code}: {got!r} vs torch {want!r}"
        first = str(want).splitlines()[0]
        assert str(got).splitlines()[0] == first, f"{code}:\n ember: {got}\n torch: {first}"
        return
    assert not isinstance(got, Exception), f"{code}: ember raises {got!r}; torch: {want!r}"
    _same_value(got, want, code)


def _rows(block: str) -> list[str]:
    return [line for line in block.strip().splitlines() if line.strip()]


ATTRIBUTES = """
x = torch.ones(2, 3); r = (x.shape, x.size(), x.size(1), x.size(-1), x.dim(), x.ndim)
x = torch.ones(2, 3); r = (x.numel(), x.nelement(), x.dtype, x.device, str(x.device))
x = torch.ones(2, 3); r = (x.requires_grad, x.grad, x.grad_fn, x.is_leaf, len(x))
x = torch.ones(2, 3); r = (x.shape[1:], x.shape[-1], tuple(x.shape), list(x.size()))
x = torch.ones(2, 3); r = x.size(2)
x = torch.tensor(1.); r = (x.shape, x.dim(), x.numel(), x.size())
x = torch.ones(2, requires_grad=True); y = x * 2; r = (x.is_leaf, y.is_leaf, y.requires_grad)
x = torch.ones(2, requires_grad=True); y = x * 2; r = (x.grad_fn, y.grad_fn.name())
x = torch.ones(2, requires_grad=True); y = x.detach(); r = (y.is_leaf, y.requires_grad)
x = torch.ones(2, requires_grad=True); (x * 2).sum().backward(); r = x.grad
x = torch.tensor([[1., 2.], [3., 4.]]); r = (x.T, x.mT, x.t())
x = torch.arange(12.).reshape(2, 3, 2); r = x.mT
x = torch.ones(2, 3, 4); r = x.T.shape
x = torch.tensor(3.); r = x.T
x = torch.tensor([1., 2.]); d = x.data; d[0] = 5; r = x
x = torch.tensor([1., 2.], requires_grad=True); d = x.data; d.add_(1); r = (x, d)
x = torch.tensor([1., 2.], requires_grad=True); r = x.data
x = torch.tensor([1., 2.], requires_grad=True); r = (x * 2).data
x = torch.tensor([1., 2.]); x.data = torch.tensor([3., 4., 5.]); r = x
x = torch.ones(2, 2); r = (x.is_floating_point(), torch.ones(2, dtype=torch.int64).is_floating_point())
x = torch.tensor([1., 2.]); r = (x.element_size(), x.double().element_size())
x = torch.tensor([1.]); x.requires_grad_(); r = x
x = torch.tensor([1]); x.requires_grad_()
x = torch.tensor([1., 2.], requires_grad=True); y = x * 2; y.requires_grad_(False)
"""

CONVERSIONS = """
r = torch.tensor([1., 2.]).item()
r = torch.tensor([1.5]).item()
r = torch.tensor([[2.5]]).item()
r = torch.tensor(3).item()
r = torch.tensor(True).item()
r = torch.tensor(2., requires_grad=True).item()
r = torch.tensor([]).item()
r = torch.tensor([[1., 2.]]).tolist()
r = torch.tensor(2.5).tolist()
r = torch.tensor([1, 2]).tolist()
r = torch.tensor([True]).tolist()
r = torch.tensor([1., 2.], requires_grad=True).tolist()
r = torch.tensor([1., 2.]).numpy()
r = torch.tensor([1, 2], dtype=torch.int32).numpy()
r = torch.tensor([1., 2.], requires_grad=True).numpy()
r = torch.tensor([1., 2.], requires_grad=True).detach().numpy()
r = np.asarray(torch.tensor([1., 2.]))
r = np.asarray(torch.tensor([1., 2.]), dtype=np.float64)
r = np.array(torch.tensor([[1, 2]]))
r = np.asarray(torch.tensor([1., 2.], requires_grad=True))
r = float(torch.tensor([1.5]))
r = float(torch.tensor(2))
r = int(torch.tensor([1.7]))
r = int(torch.tensor(-1.5))
r = int(torch.tensor([1.5, 2.]))
r = float(torch.tensor([]))
r = bool(torch.tensor([0.]))
r = bool(torch.tensor(2))
r = bool(torch.tensor([1, 2]))
r = bool(torch.tensor([]))
r = len(torch.zeros(3, 2))
r = len(torch.tensor(2.))
r = list(torch.tensor([[2.], [3.]]))
r = [int(v) for v in torch.tensor([4, 5, 6])]
r = list(torch.tensor(2.))
r = [v * 2 for v in torch.tensor([1., 2.], requires_grad=True)]
r = list(torch.tensor([[2.], [3.]], requires_grad=True))
r = [1, 2, 3][torch.tensor(1)]
r = [1, 2, 3][torch.tensor(1.)]
r = '%.2f' % torch.tensor(1.2345)
r = f'{torch.tensor(1.2345):.3f}'
"""

CASTS = """
r = torch.tensor([1, 2, 3]).float()
r = torch.tensor([1.5, 2, 3]).long()
r = torch.tensor([1.5, -2.7, 3]).int()
r = torch.tensor([1.5, 0, 3]).bool()
r = torch.tensor([1.5, 0, 3]).double()
r = torch.tensor([1., 2]).half()
r = torch.tensor([1, 0]).to(torch.float16)
r = torch.tensor([1, 0]).to('cpu')
r = torch.tensor([1, 0]).to(torch.tensor([1.]))
r = torch.tensor([1, 0]).to('cpu', torch.float64)
r = torch.tensor([1, 0]).to(device='cpu', dtype=torch.float64)
r = torch.tensor([1, 0]).to(dtype=torch.float64)
r = torch.tensor([1., 2]).type(torch.float64)
r = torch.tensor([1., 2]).type()
r = torch.tensor([1, 2]).type()
r = torch.tensor([1, 2]).type('torch.FloatTensor')
r = torch.tensor([1., 2], requires_grad=True).double()
r = torch.tensor([1., 2], requires_grad=True).to(torch.float64)
r = torch.tensor([1., 2], requires_grad=True).float()
x = torch.tensor([1., 2]); r = x.float() is x
x = torch.tensor([1., 2]); r = x.to(torch.float32) is x
x = torch.tensor([1., 2]); r = x.to('cpu') is x
x = torch.tensor([1., 2]); r = x.cpu() is x
x = torch.tensor([1., 2], requires_grad=True); y = x.double(); y.sum().backward(); r = x.grad
x = torch.tensor([1., 2], requires_grad=True); y = x.long(); r = (y, y.requires_grad)
"""

REPRS = """
r = torch.tensor([1., 2., 3.]) * 2
r = torch.tensor(4.)
r = torch.tensor(1., requires_grad=True)
r = torch.tensor(3., requires_grad=True) + 3.5
r = torch.tensor([1., 2.], requires_grad=True) * 2
r = (torch.tensor([1., 2.], requires_grad=True) * 2).sum()
r = torch.tensor(3., requires_grad=True) - 1
r = torch.tensor(3., requires_grad=True) / 2
r = torch.tensor([3.], requires_grad=True).exp()
r = torch.tensor([3., 4], requires_grad=True).pow(2)
r = torch.tensor([3., 4], requires_grad=True) ** 2
r = torch.tensor([3., 4], requires_grad=True).clone()
r = torch.tensor([3., 4], requires_grad=True).detach()
r = torch.tensor([1., 2], dtype=torch.float64, requires_grad=True)
r = torch.tensor(2., dtype=torch.float64, requires_grad=True) * 2
x = torch.tensor([[3., 4]], requires_grad=True); r = x.t()
x = torch.tensor([[3., 4]], requires_grad=True); r = (x.T, x.mT, x.transpose(0, 1))
x = torch.tensor([[3., 4]], requires_grad=True); r = (x.reshape(2), x.view(-1), x.flatten())
x = torch.tensor([[3., 4]], requires_grad=True); r = (x.squeeze(), x.squeeze(0), x.squeeze((0,)))
x = torch.tensor([[3., 4]], requires_grad=True); r = (x.unsqueeze(0), x.permute(1, 0))
x = torch.tensor([[3., 4]], requires_grad=True); r = (x.expand(2, 2), x.repeat(2, 1), x.flip(0))
x = torch.tensor([[3., 4]], requires_grad=True); r = (x[0], x[:, 1], x[:, :1], x[None], x[...])
x = torch.tensor([[3., 4]], requires_grad=True); r = (x[[0, 0]], x[x > 3])
x = torch.tensor([3., 4], requires_grad=True); r = (x.split(1), x.split([1, 1]), x.chunk(2))
x = torch.tensor([3., 4], requires_grad=True); r = (x.unbind(), x.narrow(0, 0, 1))
x = torch.tensor([3., 4], requires_grad=True); r = torch.cat([x, torch.tensor([1.])])
x = torch.tensor([3., 4], requires_grad=True); r = torch.stack([x, x])
x = torch.tensor([[3., 4]], requires_grad=True); r = x.gather(1, torch.tensor([[1]]))
x = torch.tensor([[3., 4]], requires_grad=True); r = x.scatter(1, torch.tensor([[1]]), 0.)
x = torch.tensor([[3., 4]], requires_grad=True); r = x.scatter(1, torch.tensor([[1]]), x)
x = torch.tensor([[3., 4]], requires_grad=True); r = x.scatter_add(1, torch.tensor([[1]]), x)
x = torch.tensor([[3., 4]], requires_grad=True); r = x.index_select(1, torch.tensor([1]))
x = torch.tensor([[3., 4]], requires_grad=True); m = torch.tensor([[True, False]]); r = x.masked_fill(m, 0.)
x = torch.tensor([[3., 4]], requires_grad=True); m = torch.tensor([[True, False]]); r = x.masked_fill(m, torch.tensor(1.))
x = torch.tensor([[3., 4]], requires_grad=True); r = (x @ torch.ones(2), x @ torch.ones(2, 1))
x = torch.tensor([3., 4], requires_grad=True); r = (x @ torch.ones(2), x @ torch.ones(2, 2))
x = torch.tensor([3., 4], requires_grad=True); r = (x.dot(x), x.outer(x))
x = torch.ones(3, 2, 2, requires_grad=True); r = (x @ torch.ones(3, 2, 1), x.bmm(x))
x = torch.tensor([[3., 4]], requires_grad=True); r = x.mm(torch.ones(2, 1))
x = torch.tensor([1., 2], requires_grad=True); y = x * 2; y[0] = 5; r = y
x = torch.tensor([1., 2], requires_grad=True); y = x * 2; y[[0]] = 5; r = y
r = torch.tensor([[1., 2], [3, 4]])
r = torch.tensor([1e-5, 1.])
r = torch.tensor([1e10, 1.])
r = torch.tensor([1, 2, 3], dtype=torch.int32)
r = torch.tensor([True, False])
r = torch.zeros(2, 0)
r = torch.tensor([0.1, 0.25])
r = torch.tensor(float('nan'))
r = torch.tensor([float('inf'), -1.])
r = torch.arange(12.).reshape(3, 4)
r = torch.arange(1000.)
r = str(torch.tensor([1.5, 2.]))
"""

INPLACE = """
x = torch.tensor([1, 2]); x.add_(1); r = x
x = torch.tensor([1., 2]); x.add_(torch.tensor([1, 2])); r = x
x = torch.tensor([1., 2]); x.add_(1, alpha=2); r = x
x = torch.tensor([1., 2]); x.add_(torch.ones(2), alpha=2); r = x
x = torch.tensor([1., 2]); x.sub_(torch.ones(2), alpha=2); r = x
x = torch.tensor([1., 2]); x.sub_(1); r = x
x = torch.tensor([1., 2]); x.mul_(torch.tensor([2., 3])); r = x
x = torch.tensor([1., 2]); x.div_(2); r = x
x = torch.tensor([1., 2]); x.div_(torch.tensor([2., 4])); r = x
x = torch.tensor([1., 2]); x += 1; x *= 3; x -= 1; x /= 2; r = x
x = torch.tensor([1., 2]); x.zero_(); r = x
x = torch.tensor([1., 2]); x.fill_(3); r = x
x = torch.tensor([1, 2]); x.fill_(3.7); r = x
x = torch.tensor([1., 2]); x.fill_(torch.tensor(4.)); r = x
x = torch.tensor([1., 2]); x.copy_(torch.tensor([5, 6])); r = x
x = torch.tensor([[1., 2], [3, 4]]); x.copy_(torch.tensor([5, 6])); r = x
x = torch.tensor([1., 2]); x.clamp_(1.5, 1.8); r = x
x = torch.tensor([1., 2]); x.clamp_(min=1.5); r = x
x = torch.tensor([1., 2]); x.clamp_(max=1.5); r = x
x = torch.tensor([1., 2]); r = (x.add_(1) is x, x.sub_(1) is x, x.mul_(2) is x, x.div_(2) is x)
x = torch.tensor([1., 2]); r = (x.zero_() is x, x.fill_(1) is x, x.copy_(x * 2) is x, x.clamp_(0, 1) is x)
x = torch.tensor([1., 2]); x.add_(1); x.mul_(2); r = x._version
x = torch.tensor([1, 2]); x.add_(1.5)
x = torch.tensor([1, 2]); x.mul_(2.5)
x = torch.tensor([1, 2]); x.div_(2)
x = torch.tensor([1, 2]); x += 1.5
x = torch.tensor([1., 2]); x.add_(torch.ones(2, 2))
x = torch.tensor([1., 2]); x.mul_(torch.ones(3))
x = torch.tensor([1., 2]); x.copy_(torch.tensor([5, 6, 7]))
x = torch.tensor([1., 2]); x.fill_(torch.tensor([4.]))
x = torch.tensor([1., 2], requires_grad=True); x.add_(1)
x = torch.tensor([1., 2], requires_grad=True); x.sub_(1)
x = torch.tensor([1., 2], requires_grad=True); x.mul_(2)
x = torch.tensor([1., 2], requires_grad=True); x.div_(2)
x = torch.tensor([1., 2], requires_grad=True); x.zero_()
x = torch.tensor([1., 2], requires_grad=True); x.fill_(1)
x = torch.tensor([1., 2], requires_grad=True); x.copy_(torch.ones(2))
x = torch.tensor([1., 2], requires_grad=True); x.clamp_(0, 1)
x = torch.tensor([1., 2], requires_grad=True); x += 1
x = torch.tensor([1., 2], requires_grad=True); x[0] = 1
x = torch.tensor([1., 2], requires_grad=True); x[0].add_(1)
x = torch.tensor([1., 2], requires_grad=True); x.data.add_(1); r = x
x = torch.tensor([1., 2], requires_grad=True)\nwith torch.no_grad(): x.add_(1); x.mul_(2); x.sub_(1); x.div_(2)\nr = (x, x.is_leaf)
x = torch.tensor([1., 2], requires_grad=True)\nwith torch.no_grad(): x.zero_(); x.fill_(2); x.copy_(torch.tensor([3., 4])); x.clamp_(0, 3.5)\nr = x
x = torch.tensor([1., 2], requires_grad=True)\nwith torch.no_grad(): x[0] = 7\nr = x
x = torch.tensor([1., 2], requires_grad=True); y = x * 1; y.add_(1); r = y
x = torch.tensor([1., 2], requires_grad=True); y = x * 1; y.mul_(x); y.sum().backward(); r = x.grad
x = torch.tensor([1., 2], requires_grad=True); y = x * 1; y.div_(x + 1); y.sum().backward(); r = x.grad
x = torch.tensor([1., 2], requires_grad=True); y = x * 1; y.clamp_(0, 1.5); y.sum().backward(); r = x.grad
x = torch.tensor([1., 2], requires_grad=True); y = x * 1; y.sub_(x, alpha=3); y.sum().backward(); r = x.grad
x = torch.tensor([1., 2], requires_grad=True); y = x * 1; y.zero_(); y.sum().backward(); r = x.grad
x = torch.tensor([1., 2], requires_grad=True); y = x * 1; y.fill_(2); y.sum().backward(); r = x.grad
x = torch.tensor([1., 2], requires_grad=True); y = x * 1; y.copy_(x * 3); y.sum().backward(); r = x.grad
x = torch.tensor([1., 2], requires_grad=True); y = torch.zeros(2); y.copy_(x * 3); y.sum().backward(); r = x.grad
x = torch.tensor(2., requires_grad=True); y = torch.zeros(2); y.fill_(x); y.sum().backward(); r = x.grad
x = torch.tensor([1., 2], requires_grad=True); y = x * 2; y[0] = 5; y.sum().backward(); r = x.grad
x = torch.tensor([1., 2], requires_grad=True); y = torch.zeros(3); y[1:] = x; (y * torch.tensor([1., 2, 3])).sum().backward(); r = x.grad
"""

VIEWS = """
x = torch.tensor([1., 2.]); y = x[0]; y.add_(1); r = x
x = torch.tensor([1., 2.]); x[1].fill_(5); x[0].zero_(); r = x
x = torch.tensor([[1., 2], [3, 4]]); x[0].mul_(2); r = x
x = torch.tensor([[1., 2], [3, 4]]); x.t().add_(1); r = x
x = torch.tensor([[1., 2], [3, 4]]); x.view(4)[0] = 7; r = x
x = torch.tensor([[1., 2], [3, 4]]); x[:, 0].fill_(0); r = x
x = torch.tensor([[1., 2], [3, 4]]); x[0].copy_(torch.tensor([9, 9])); r = x
x = torch.tensor([[1., 2], [3, 4]]); x[0].clamp_(0, 1.5); r = x
x = torch.tensor([[1., 2], [3, 4]]); x[0] += 1; x[:, 1] *= 2; r = x
x = torch.tensor([[1., 2], [3, 4]]); x[1][0] = 8; r = x
x = torch.tensor([[1., 2], [3, 4]]); v = x[0]; x.add_(1); r = v
x = torch.tensor([[1., 2], [3, 4]]); v = x.unsqueeze(0); x.mul_(2); r = v
x = torch.tensor([[1., 2], [3, 4]]); v = x.t().contiguous(); v[0, 1] = 9; r = x
x = torch.tensor([[1., 2], [3, 4]]); v = x.reshape(4); v[0] = 9; r = x
x = torch.tensor([[1., 2], [3, 4]]); v = x[[0]]; v[0, 0] = 9; r = x
x = torch.tensor([[1., 2], [3, 4]]); v = x.clone(); v[0, 0] = 9; r = x
x = torch.tensor([[1., 2], [3, 4]]); a, b = x.unbind(); a.zero_(); r = x
x = torch.tensor([[1., 2], [3, 4]]); a, b = x.split(1); b.fill_(0); r = x
x = torch.tensor([[1., 2], [3, 4]]); x.narrow(1, 1, 1).fill_(0); r = x
x = torch.tensor([[1., 2], [3, 4]]); x.expand(2, 2, 2).add_(1)
x = torch.tensor([[1., 2], [3, 4]]); x.expand(2, 2, 2).mul_(2)
x = torch.tensor([[1., 2], [3, 4]]); x.expand(2, 2, 2).copy_(torch.ones(2, 2, 2))
x = torch.tensor([1., 2.]); v = x[0]; x.add_(1); r = v._version == x._version
"""


@pytest.mark.parametrize("code", _rows(ATTRIBUTES))
def test_attributes(code):
    assert_same(code)


@pytest.mark.parametrize("code", _rows(CONVERSIONS))
def test_conversions(code):
    assert_same(code)


@pytest.mark.parametrize("code", _rows(CASTS))
def test_casts(code):
    assert_same(code)


@pytest.mark.parametrize("code", _rows(REPRS))
def test_repr(code):
    assert_same(code)


@pytest.mark.parametrize("code", [c.replace("\\n", "\n") for c in _rows(INPLACE)])
def test_inplace(code):
    assert_same(code)


@pytest.mark.parametrize("code", _rows(VIEWS))
def test_views(code):
    assert_same(code)


def test_data_shares_storage_and_is_untracked():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    d = x.data
    assert not d.requires_grad and d.is_leaf
    d.mul_(10)
    np.testing.assert_array_equal(x.detach().numpy(), [10.0, 20.0])
    (x * 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


def test_numpy_and_array_share_storage():
    x = ember.tensor([1.0, 2.0])
    n = np.asarray(x)
    x.add_(1)
    np.testing.assert_array_equal(n, [2.0, 3.0])
    assert x.numpy() is not None and np.shares_memory(x.numpy(), n)


@pytest.mark.parametrize("code", [
    "y = x * 2; z = y * y; y.add_(1); z.sum().backward()",
    "y = x.exp(); y.add_(1); y.sum().backward()",
    "y = x * 1; z = y[0] * y; y[1] = 0; z.sum().backward()",
])
def test_modified_saved_tensor_raises(code):
    """Changing a tensor in place after an op saved it for backward is an error, not a wrong
    gradient (PyTorch words the rest of the message differently)."""
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="^one of the variables needed for gradient "
                                           "computation has been modified by an inplace"):
        exec(code, {"x": x})  # noqa: S102
