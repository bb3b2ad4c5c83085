"""einsum's result names PyTorch's last step as its grad_fn (printed in the tensor's repr):
one operand, SumBackward1 when a label is summed, else PermuteBackward0 (its permuted or
diagonal view); more operands, ViewBackward0 when a label is contracted (the bmm's result
viewed), else MulBackward0 (a broadcast product, as Mamba's 'bld,dn->bdln'). Gradients,
values and layouts are unchanged; each case is compared live with torch 2.13."""

import pytest
from torch_compare import exact_and_close

CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]), ("bihd,bjhd->bijh", [(2, 3, 2, 4)] * 2),
    ("i,j->ij", [(2,), (3,)]), ("ij->ji", [(2, 3)]), ("ii->i", [(3, 3)]), ("ij->", [(2, 3)]),
    ("ij->i", [(2, 3)]), ("ii", [(3, 3)]), ("ij", [(2, 3)]), ("...->...", [(2, 3)]),
    ("bld,dn->bdln", [(1, 2, 3), (3, 4)]), ("bdn,bn->bd", [(2, 3, 4), (2, 4)]),
    ("i,i->", [(3,), (3,)]), ("ij,ij->i", [(2, 3), (2, 3)]), ("i,ij->j", [(2,), (2, 3)]),
    ("bld,bln,bdl->bdln", [(1, 2, 3), (1, 2, 4), (1, 3, 2)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]), ("ij,kl->", [(2, 2), (2, 2)]),
    ("ij,jk->ik", [(2, 1), (1, 4)]), ("ij,jk->ik", [(0, 3), (3, 4)]),
]


@pytest.mark.parametrize("eq,shapes", CASES, ids=[f"{e}-{i}" for i, (e, _) in enumerate(CASES)])
def test_einsum_grad_fn_name_and_gradients(eq, shapes):
    def prog(L):
        L.manual_seed(0)
        ops = [L.randn(*s, requires_grad=True) for s in shapes]
        y = L.einsum(eq, *ops)
        (y * L.arange(y.numel()).reshape(y.shape)).sum().backward()
        return [type(y.grad_fn).__name__, repr(y.detach() * 0), y.requires_grad], \
            [y] + [o.grad for o in ops]
    exact_and_close(prog, 1e-5, 1e-6)


def test_einsum_result_prints_pytorchs_grad_fn():
    """print(torch.einsum(...)) on a tensor requiring grad shows PyTorch's node name."""
    def prog(L):
        a = L.ones(2, 2, requires_grad=True)
        b = L.ones(2, 2)
        return [repr(L.einsum("ij,jk->ik", a, b)), repr(L.einsum("ij,ij->ij", a, b)),
                repr(L.einsum("ii->i", a)), repr(L.einsum("ij->", a)),
                repr(L.einsum("ij,jk->ik", b, b))], []
    exact_and_close(prog, 0, 0)


def test_einsum_grad_fn_under_no_grad_and_double_backward():
    def prog(L):
        x = L.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        with L.no_grad():
            z = L.einsum("ij,jk->ik", x, x)
        y = L.einsum("ij,jk->ik", x, x).sum()
        (g,) = L.autograd.grad(y, x, create_graph=True)
        g.sum().backward()
        return [z.grad_fn is None, type(g.grad_fn).__name__], [g, x.grad]
    exact_and_close(prog, 1e-6, 1e-6)


LAYOUTS = [
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]), ("bld,bln,bdl->bdln", [(2, 3, 4), (2, 3, 5), (2, 4, 3)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]), ("ji,j,i->ij", [(3, 2), (3,), (2,)]),
    ("abc,cd,de,ef->abf", [(2, 3, 4), (4, 5), (5, 6), (6, 7)]), ("bi,bj,bk->bijk", [(2, 3), (2, 4), (2, 5)]),
    ("ij,ji->ij", [(2, 3), (3, 2)]), ("ji,ij->ij", [(3, 2), (2, 3)]), ("kj,ij->ikj", [(4, 3), (2, 3)]),
    ("ab,cd->dcba", [(2, 3), (4, 5)]), ("xy,yz,zx->", [(2, 3), (3, 4), (4, 2)]),
]


@pytest.mark.parametrize("eq,shapes", LAYOUTS, ids=[e for e, _ in LAYOUTS])
def test_einsum_layout_as_pytorchs_pairwise_products(eq, shapes):
    """Three or more operands are contracted pairwise from the left (PyTorch without
    opt_einsum), so 'ij,jk,kl->il' is row-major and .view() works on it; a product with no
    label contracted takes TensorIterator's layout (the first operand's order decides)."""
    def prog(L):
        L.manual_seed(1)  # positive values: no cancellation in the gradients' sums
        ops = [L.rand(*s, requires_grad=True) for s in shapes]
        y = L.einsum(eq, *ops)
        (y * L.arange(y.numel()).reshape(y.shape)).sum().backward()
        lines = [type(y.grad_fn).__name__, y.stride(), y.is_contiguous()]
        try:
            lines.append(tuple(y.view(-1).shape))
        except RuntimeError as e:
            lines.append(str(e).splitlines()[0])
        return lines, [y] + [o.grad for o in ops]
    exact_and_close(prog, 1e-5, 1e-6)


def test_einsum_product_of_a_transposed_operand_keeps_its_layout():
    """Mamba's selective scan: deltaB_u = einsum('bld,bln,bdl->bdln') is laid out b, l, d, n
    in memory as in PyTorch (its .view(-1) raises there as here)."""
    def prog(L):
        L.manual_seed(2)
        delta, B, u = L.randn(2, 3, 4), L.randn(2, 3, 5), L.randn(2, 4, 3)
        ab = L.einsum("bld,bln->bdln", delta, B)
        y = L.einsum("bdln,bdl->bdln", ab, u)
        lines = [ab.stride(), y.stride(), L.einsum("bld,bln,bdl->bdln", delta, B, u).stride()]
        try:
            y.view(-1)
        except RuntimeError as e:
            lines.append((type(e).__name__, str(e).splitlines()[0]))
        return lines, [ab, y]
    exact_and_close(prog, 1e-6, 1e-6)
