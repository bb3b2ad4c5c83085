"""A str, list, float, None or NumPy array where PyTorch wants a Tensor: ember raises
PyTorch's TypeError with its first line ("exp(): argument 'input' (position 1) must be
Tensor, not str"; a method counts its arguments without self: "x.mm('a')" is position 1).

Each call is written as user code (``torch.exp(b)``, ``F.relu(b)``, ``x.mm(b)``: the op's name,
its aliases and the argument's position are read from the call site), for the ops whose
argument checks are listed below, with each bad value. Cases are kept where PyTorch raises
its parser's "argument ... must be Tensor/Number" TypeError (read live, at collection);
ember must raise the same type and first line."""

from __future__ import annotations


import numpy as np
import pytest
import torch
from argtypes_util import cases, outcome
from torch_compare import error_of

import ember

# (where the op is called from, the call's form) -> op names
OPS = {
    ("lib", "f(b)"): """
        abs absolute acos acosh alpha_dropout amax amin arccos arccosh arcsin arcsinh arctan
        arctanh argmax argmin asin asinh atan atanh ceil celu cholesky cholesky_inverse cos
        cosh deg2rad diagonal digamma dropout empty_like erf erfc erfinv exp exp2 expm1
        feature_alpha_dropout feature_dropout fix flip floor hardshrink is_complex
        is_inference is_nonzero is_signed lgamma log log10 log1p log2 logdet logit max mean
        min neg negative ones_like permute rad2deg rand_like randn_like relu reshape rrelu
        rsqrt selu sigmoid sign sin sinc sinh sqrt sum tan tanh tril triu trunc view_as_complex
        view_as_real zeros_like""",
    ("lib", "f(x, b)"): """
        allclose atan2 bmm cross dist dot embedding equal fmax fmin gcd heaviside hypot igamma
        igammac inner is_same_size isclose kron lcm ldexp logaddexp logaddexp2 matmul maximum
        minimum mm mv nextafter take_along_dim vdot""",
    ("lib.nn.functional", "f(b)"): """
        celu elu gelu hardshrink hardsigmoid hardswish hardtanh leaky_relu mish one_hot relu
        relu6 rrelu selu silu softplus softshrink""",
    ("lib.nn.functional", "f(x, b)"): "cross_entropy embedding linear nll_loss",
    ("lib.special", "f(b)"): """
        bessel_j0 bessel_j1 digamma entr erf erfc erfcx erfinv exp2 expit expm1 gammaln i0 i0e
        i1 i1e log1p log_ndtr log_softmax logit logsumexp multigammaln ndtr ndtri psi round
        sinc softmax""",
    ("x", "x.f(b)"): """
        allclose atan2 bmm cross dist dot equal expand_as fmax fmin gcd heaviside hypot igamma
        igammac inner isclose kron lcm ldexp logaddexp logaddexp2 matmul maximum minimum mm mv
        nextafter reshape_as take_along_dim type_as vdot view_as""",
}
# torch.matmul(x, array) is refused by PyTorch; ember's matmul takes arrays (``t @ array``
# reaches it from the operator, where PyTorch computes with NumPy)
KNOWN = {("matmul", "ndarray")}





CASES = cases(OPS, KNOWN)


def test_cases_collected():
    # the parser's error for most (op, value) pairs listed: the list stays meaningful
    assert len(CASES) > 800


@pytest.mark.parametrize("call, bad, want", CASES)
def test_non_tensor_argument(call, bad, want):
    assert outcome(ember, call, ember.ones(2, 2), bad) == want


def test_matmul_operator_still_takes_arrays():
    # t @ array: PyTorch computes it (NumPy's promotion), so ember must not refuse it
    for lib in (torch, ember):
        got = lib.ones(2, 2) @ np.ones(2)
        np.testing.assert_array_equal(np.asarray(got), [2.0, 2.0])


def test_called_through_a_name_and_a_bound_method():
    # the position still counts the input for a function bound to a name (torch.mm wrapped
    # for out=), and not for a method bound to a name
    for lib in (torch, ember):
        x = lib.ones(2, 2)
        mm, method = lib.mm, x.mm
        assert error_of(lambda: mm(x, "a"))[1] == \
            "mm(): argument 'mat2' (position 2) must be Tensor, not str"
        assert error_of(lambda: method("a"))[1] == \
            "mm(): argument 'mat2' (position 1) must be Tensor, not str"


def test_type_checked_before_shapes():
    # a 3-d first argument with a bad second one: PyTorch's parser refuses the type first
    calls = [lambda lib: lib.mm(lib.ones(2, 2, 2), "a"),
             lambda lib: lib.dot(lib.ones(2, 2, 2), None),
             lambda lib: lib.inner(lib.tensor(1.0), [1.0]),
             lambda lib: lib.bmm(lib.ones(2, 2), 1.5)]
    for call in calls:
        want = error_of(lambda: call(torch))
        assert want[0] == "TypeError" and error_of(lambda: call(ember)) == want


# clamp's overloads (PyTorch lists the types given) and arange's lone end (a Number)
SNIPPETS = ["x.clamp('a')", "lib.clamp(x, 'a')", "x.clamp([1.0])", "x.clamp(min='a')",
            "lib.clamp('a', 0)", "x.clamp(0.0, 'a')", "x.clip('a')", "x.clamp(np.ones(2))",
            "lib.clamp(x, None, 'b')", "lib.clamp([1.0], min=0)", "lib.arange('a')",
            "lib.arange([1.0])", "lib.arange(None)", "lib.arange(np.ones(2))"]


@pytest.mark.parametrize("snippet", SNIPPETS)
def test_number_arguments(snippet):
    call = eval(f"lambda lib, x: {snippet}")  # noqa: S307 - fixed snippets
    want = error_of(lambda: call(torch, torch.ones(2)))
    assert want[0] == "TypeError"
    assert error_of(lambda: call(ember, ember.ones(2))) == want


def test_numbers_still_taken():
    for snippet in ("x.clamp(np.float32(0.5))", "x.clamp(0, 1)", "lib.arange(np.float64(2.0))",
                    "lib.arange(True)", "lib.arange(np.int64(3))", "lib.arange(2.5)"):
        call = eval(f"lambda lib, x: {snippet}")  # noqa: S307 - fixed snippets
        want, got = call(torch, torch.ones(2)), call(ember, ember.ones(2))
        assert str(got.dtype) == str(want.dtype) and got.tolist() == want.tolist()
