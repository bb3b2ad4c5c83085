"""What add/sub's ``alpha`` and ``copy_``'s source may be, live against PyTorch 2.13: a str
alpha was read by NumPy as a number ('0.1' -> 0.1), None as nan, and ``copy_(None)`` filled
the tensor with nan, all silently; PyTorch refuses them, leaving the tensor as it was."""

import numpy as np
import pytest
from torch_compare import run_both

ALPHAS = {"str": "0.1", "none": None, "list": [1], "float32": np.float32(2), "int64": np.int64(2),
          "bool": True, "np_bool": np.bool_(True), "complex": 2 + 0j, "int": 3, "float": 0.5}
CALLS = {
    "torch.add": lambda L, t, o, a: L.add(t, o, alpha=a),
    "torch.sub": lambda L, t, o, a: L.sub(t, o, alpha=a),
    "t.add": lambda L, t, o, a: t.add(o, alpha=a),
    "t.sub": lambda L, t, o, a: t.sub(o, alpha=a),
    "add_": lambda L, t, o, a: t.add_(o, alpha=a),
    "sub_": lambda L, t, o, a: t.sub_(o, alpha=a),
    "add_ recorded": lambda L, t, o, a: t.add_(o.requires_grad_(), alpha=a),
}


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize("alpha", sorted(ALPHAS))
def test_alpha_is_a_number(call, alpha):
    def run(L):
        t = L.tensor([1.0, 2.0, 3.0])
        o = L.tensor([0.5, 0.25, 2.0])
        try:
            res = CALLS[call](L, t, o, ALPHAS[alpha]).tolist()
        except (TypeError, RuntimeError) as e:
            res = (type(e).__name__, str(e).splitlines()[0])
        return res, t.tolist()
    want, got = run_both(run)
    assert got == want


def test_alpha_as_a_zero_dim_tensor_is_its_number_and_a_vector_is_refused():
    def run(L):
        t, o = L.tensor([1.0, 2.0]), L.tensor([1.0, 1.0])
        out = [L.add(t, o, alpha=L.tensor(2.0)).tolist()]
        try:
            L.add(t, o, alpha=L.tensor([2.0]))
        except TypeError as e:
            out.append(str(e))
        return out
    want, got = run_both(run)
    assert got == want


SOURCES = {"none": None, "str": "a", "bytes": b"a", "dict": {}}
INPLACE = {  # written out: PyTorch's words name the call as the user wrote it
    "copy_": lambda t, s: t.copy_(s), "add_": lambda t, s: t.add_(s),
    "mul_": lambda t, s: t.mul_(s), "sub_": lambda t, s: t.sub_(s),
    "div_": lambda t, s: t.div_(s),
}


@pytest.mark.parametrize("src", sorted(SOURCES))
@pytest.mark.parametrize("op", sorted(INPLACE))
def test_a_non_operand_source_is_refused_and_the_tensor_kept(src, op):
    def run(L):
        t = L.tensor([1.0, 2.0, 3.0])
        try:
            INPLACE[op](t, SOURCES[src])
            res = "accepted"
        except (TypeError, RuntimeError) as e:
            res = (type(e).__name__, str(e).splitlines()[0])
        return res, t.tolist()
    want, got = run_both(run)
    assert got == want
