"""The graph a learner walks with ``grad_fn.next_functions`` against PyTorch 2.13: for ~100
common expressions, the names of the nodes four levels down (AccumulateGrad for leaves, None
for inputs that need no gradient) must be PyTorch's."""

from __future__ import annotations

import warnings

import pytest
import torch

import ember

EXPRS = [
 "x * 2", "2 * x", "x + 2", "x - 2", "2 - x", "x / 2", "2 / x", "x ** 2", "2 ** x", "x * y", "x + y", "x - y", "x / y", "x @ w", "x.mm(w)", "x.matmul(w)",
 "-x", "x.abs()", "x.exp()", "x.log()", "x.sin()", "x.tanh()", "x.sigmoid()", "x.relu()", "x.sqrt()", "x.sum()", "x.sum(0)", "x.mean()", "x.mean(1)", "x.max()", "x.max(0)[0]", "x.min(1).values", "x.argmax()",
 "x.t()", "x.T", "x.view(-1)", "x.reshape(3, 2)", "x.flatten()", "x.unsqueeze(0)", "x.squeeze()", "x[0]", "x[:, 1]", "x[0, 1]", "x[[0, 1]]", "x[x > 0]", "x.transpose(0, 1)", "x.permute(1, 0)", "x.expand(2, 2, 3)", "x.repeat(2, 1)",
 "torch.cat([x, y])", "torch.stack([x, y])", "x.clamp(0, 1)", "x.clamp(min=0)", "torch.where(x > 0, x, y)", "x.pow(y)", "x.norm()", "x.softmax(1)", "x.log_softmax(1)", "F.relu(x)", "F.gelu(x)", "F.silu(x)", "F.leaky_relu(x)", "F.elu(x)", "F.softplus(x)",
 "F.mse_loss(x, y)", "F.l1_loss(x, y)", "F.smooth_l1_loss(x, y)", "F.cross_entropy(x, torch.tensor([0, 2]))", "F.nll_loss(x.log_softmax(1), torch.tensor([0, 2]))", "F.binary_cross_entropy(x.sigmoid(), y.sigmoid())", "F.binary_cross_entropy_with_logits(x, y.sigmoid())",
 "F.linear(x, w.t())", "F.linear(x, w.t(), b)", "x.gather(1, torch.tensor([[0], [1]]))", "x.std()", "x.var(0)", "x.cumsum(0)", "x.prod()", "torch.maximum(x, y)", "x.lerp(y, 0.5)", "torch.addmm(b, x, w)", "x.masked_fill(x > 0, 0.0)", "x.sum() * 3", "(x * y).sum()", "x.exp().sum().log()", "F.dropout(x, 0.0)", "F.layer_norm(x, (3,))", "F.normalize(x)", "x.detach() * y", "x.split(1)[0]", "x.chunk(3, 1)[1]", "x.unbind()[0]", "x.diag()", "x.tril()", "torch.einsum('ij,jk->ik', x, w)", "x.float()", "x.double()", "x.to(torch.float64)", "x.clone()", "x.contiguous()", "x.type_as(y)", "torch.sigmoid(x) * torch.tanh(y)", "F.dropout(x, 0.5)", "x.half() * 0.01", "x.half() / 3",
    "torch.linalg.eigh(x @ x.t())[0]", "torch.linalg.eigh(x @ x.t()).eigenvectors",
    "torch.linalg.svd(x)[0]", "torch.linalg.svd(x, full_matrices=False).S",
    "torch.linalg.qr(x.t())[1]", "torch.svd(x)[2]", "torch.linalg.svdvals(x)",
    "x.std(0)", "F.l1_loss(x, y, reduction='sum')", "F.l1_loss(x, y, reduction='none')",
    "F.cross_entropy(x, torch.tensor([0, 1]), weight=torch.ones(3))",
    "F.cross_entropy(x, torch.tensor([0, 1]), reduction='none')", "3.0 / (x + 2)",
    "F.nll_loss(x, torch.tensor([0, 1]))", "torch.aminmax(x)[0]", "torch.aminmax(x, dim=1)[1]",
    "torch.aminmax(x, keepdim=True).max", "torch.var_mean(x)[0]", "torch.var_mean(x, 1)[1]",
    "torch.std_mean(x, 0)[0]", "torch.std_mean(x)[1]", "torch.mode(x)[0]",
    "x.mode(0, keepdim=True).values",
]

# ember records these as one node where PyTorch records several: x[0, 1] (two selects),
# einsum (PyTorch's permutes, views and bmm).
KNOWN = {"x[0, 1]", "torch.einsum('ij,jk->ik', x, w)"}


def _structure(node, depth=0):
    if node is None:
        return None
    name = type(node).__name__
    if depth > 4:
        return name
    return (name, tuple(_structure(n, depth + 1) for n, _ in node.next_functions))


def _graph(lib, expr):
    lib.manual_seed(0)
    x = lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.3, -0.2]], requires_grad=True)
    y = lib.tensor([[0.1, 0.2, 0.3], [0.4, -0.5, 0.6]], requires_grad=True)
    w = lib.tensor([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], requires_grad=True)
    b = lib.tensor([0.1, 0.2], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = eval(expr, {"torch": lib, "F": lib.nn.functional, "x": x, "y": y, "w": w, "b": b})
    return _structure(out.grad_fn)


@pytest.mark.parametrize("expr", [e for e in EXPRS if e not in KNOWN])
def test_next_functions_walk_pytorchs_graph(expr):
    assert _graph(ember, expr) == _graph(torch, expr)


def test_linear_shows_addmm_with_a_transposed_weight():
    """The 60-minute blitz's walk: loss -> AddmmBackward0 -> the bias's AccumulateGrad; the
    weight behind a TBackward0 that is the same object on every look; hooks on it refused
    clearly (it only shows PyTorch's graph)."""
    for lib in (ember, torch):
        fc = lib.nn.Linear(4, 2)
        loss = lib.nn.MSELoss()(fc(lib.ones(3, 4)), lib.zeros(3, 2))
        addmm = loss.grad_fn.next_functions[0][0]
        assert type(addmm).__name__ == "AddmmBackward0"
        bias_acc, x_edge, wt = (n for n, _ in addmm.next_functions)
        assert bias_acc.variable is fc.bias and x_edge is None
        assert type(wt).__name__ == "TBackward0" and wt is addmm.next_functions[2][0]
        assert wt.next_functions[0][0].variable is fc.weight
    wt = ember.nn.Linear(2, 2)(ember.ones(1, 2)).grad_fn.next_functions[2][0]
    with pytest.raises(RuntimeError, match="only shows PyTorch's graph"):
        wt.register_hook(print)
