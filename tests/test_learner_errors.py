"""Mistakes learners make following tutorials: each must raise PyTorch 2.13's exception type
and first line (live torch is the reference), and where ember adds a plain-words hint after
it, the hint must name the right fix."""

import numpy as np
import pytest
import torch

import ember
from torch_compare import error_of


def _linear(m):
    m.manual_seed(0)
    return m.nn.Linear(3, 2)


CASES = {
    # sizes computed with `/` (a float in Python 3)
    "zeros_float_first": lambda m: m.zeros(4 / 2, 3),
    "ones_float_first": lambda m: m.ones(2.0, 3, 4),
    "empty_float_first": lambda m: m.empty(2.0, 3),
    "randn_float_first": lambda m: m.randn(4 / 2, 3),
    "rand_float_first": lambda m: m.rand(2.0, 3),
    "zeros_tuple_float_first": lambda m: m.zeros((2.0, 3)),
    "randn_list_float_first": lambda m: m.randn([2.0]),
    "full_tuple_float_first": lambda m: m.full((2.0, 3), 1.0),
    "zeros_float_later": lambda m: m.zeros(2, 3.0),
    "randperm_float": lambda m: m.randperm(10 / 2),
    "linear_float_features": lambda m: m.nn.Linear(4 / 2, 3),
    "conv_float_channels": lambda m: m.nn.Conv2d(3, 8.0, 3),
    "view_float_first": lambda m: m.zeros(2, 3).view(2.0, 3),
    "view_float_later": lambda m: m.zeros(2, 3).view(-1, 6 / 2),
    "view_tuple_float_first": lambda m: m.zeros(2, 3).view((2.0, 3)),
    "reshape_float_first": lambda m: m.zeros(2, 3).reshape(6 / 3, 3),
    "reshape_float_later": lambda m: m.zeros(2, 3).reshape(2, 3.0),
    "reshape_tuple_float_first": lambda m: m.zeros(2, 3).reshape((2.0, 3)),
    "reshape_single_float": lambda m: m.zeros(2, 3).reshape(6.0),
    "repeat_float": lambda m: m.zeros(2, 3).repeat(2.0, 1),
    "repeat_tuple_float": lambda m: m.zeros(2, 3).repeat((2.0, 1)),
    "expand_float": lambda m: m.zeros(1, 3).expand(2.0, 3),
    "expand_float_later": lambda m: m.zeros(1, 3).expand(2, 3.0),
    "permute_float": lambda m: m.zeros(2, 3).permute(1.0, 0),
    # data of the wrong kind
    "numpy_into_linear": lambda m: _linear(m)(np.ones((4, 3), np.float32)),
    "list_into_linear": lambda m: m.nn.functional.linear([[1.0, 2.0, 3.0]], _linear(m).weight),
    "tensor_of_strings": lambda m: m.tensor(["a", "b"]),
    "as_tensor_of_strings": lambda m: m.as_tensor([["cat", "dog"]]),
    "string_after_number": lambda m: m.tensor([1.5, "a"]),
    "long_input_to_linear": lambda m: _linear(m)(m.tensor([[1, 2, 3]])),
    "double_input_to_linear": lambda m: _linear(m)(m.ones(4, 3, dtype=m.float64)),
    # losses
    "ce_float_class_targets": lambda m: m.nn.CrossEntropyLoss()(
        m.zeros(4, 3), m.tensor([0.0, 2.0, 1.0, 1.0])),
    "ce_int32_targets": lambda m: m.nn.functional.cross_entropy(
        m.zeros(4, 3), m.tensor([0, 2, 1, 1], dtype=m.int32)),
    "ce_column_targets": lambda m: m.nn.CrossEntropyLoss()(
        m.zeros(4, 3), m.tensor([[0], [2], [1], [1]])),
    "ce_onehot_wrong_width": lambda m: m.nn.CrossEntropyLoss()(m.zeros(4, 3), m.zeros(4, 5)),
    "ce_target_too_big": lambda m: m.nn.CrossEntropyLoss()(m.zeros(4, 3), m.tensor([0, 5, 1, 1])),
    "ce_target_negative": lambda m: m.nn.functional.cross_entropy(
        m.zeros(4, 3), m.tensor([0, -1, 1, 1])),
    "nll_target_too_big": lambda m: m.nn.functional.nll_loss(
        m.zeros(4, 3), m.tensor([0, 3, 1, 1])),
    "bce_on_logits": lambda m: m.nn.BCELoss()(m.tensor([0.5, 1.5]), m.tensor([0.0, 1.0])),
    # layers and modules
    "embedding_index_too_big": lambda m: m.nn.Embedding(10, 3)(m.tensor([1, 10])),
    "embedding_negative_index": lambda m: m.nn.Embedding(10, 3)(m.tensor([-1, 2])),
    "conv_grayscale_into_rgb": lambda m: m.nn.Conv2d(3, 8, 3)(m.zeros(1, 1, 28, 28)),
    "conv_channels_last": lambda m: m.nn.Conv2d(3, 8, 3)(m.zeros(2, 32, 32, 3)),
    "requires_grad_on_ints": lambda m: m.tensor([1, 2], requires_grad=True),
    "zeros_long_requires_grad": lambda m: m.zeros(2, dtype=m.int64, requires_grad=True),
    "item_of_vector": lambda m: m.zeros(3).item(),
}


def _forgot_super(m):
    class Net(m.nn.Module):
        def __init__(self):
            self.fc = m.nn.Linear(2, 2)

    return Net()


def _forgot_super_param(m):
    class Net(m.nn.Module):
        def __init__(self):
            self.w = m.nn.Parameter(m.zeros(2))

    return Net()


CASES["forgot_super_init"] = _forgot_super
CASES["forgot_super_init_param"] = _forgot_super_param


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_type_and_first_line_as_torch(name):
    want = error_of(lambda: CASES[name](torch))
    got = error_of(lambda: CASES[name](ember))
    assert got == want, f"ember: {got}\ntorch: {want}"


def _hint(name) -> str:
    with pytest.raises(Exception) as info:
        CASES[name](ember)
    lines = str(info.value.args[0]).split("\n")
    assert len(lines) > 1 and lines[1].startswith("Hint: "), lines
    return lines[1]


@pytest.mark.parametrize("name,words", [
    ("zeros_float_first", "n // 2"), ("view_float_later", "n // 2"),
    ("randperm_float", "n // 2"),
    ("numpy_into_linear", "torch.from_numpy(x).float()"),
    ("tensor_of_strings", "indices"),
    ("ce_float_class_targets", "target.long()"), ("ce_int32_targets", "target.long()"),
    ("ce_column_targets", "target.squeeze(1)"), ("ce_onehot_wrong_width", "target.argmax(1)"),
    ("ce_target_too_big", "[0, 2]"), ("nll_target_too_big", "[0, 2]"),
    ("bce_on_logits", "BCEWithLogitsLoss"),
    ("embedding_index_too_big", "[0, 9] (got 10)"),
    ("embedding_negative_index", "(got -1)"),
    ("conv_grayscale_into_rgb", "in_channels=3"),
    ("conv_channels_last", "x.permute(0, 3, 1, 2)"),
    ("requires_grad_on_ints", "dtype=torch.float32"),
    ("item_of_vector", ".tolist()"),
    ("forgot_super_init", "super().__init__()"),
])
def test_hint_names_the_fix(name, words):
    assert words in _hint(name)


def test_hint_never_suggests_an_integer_model():
    """An int64 input to a float layer: convert the input; a model of ints cannot learn."""
    hint = _hint("long_input_to_linear")
    assert ".to(torch.float32)" in hint and "int64" not in hint
    assert "the model with .to(torch.float64)" in _hint("double_input_to_linear")


def test_integer_sizes_still_work():
    """The error branches leave valid sizes (ints, NumPy ints, 1-element int tensors) alone."""
    n = np.int64(3)
    for m in (torch, ember):
        x = m.arange(6.0)
        assert tuple(x.view(2, n).shape) == (2, 3)
        assert tuple(x.reshape((n, 2)).shape) == (3, 2)
        assert tuple(x.reshape(1, 6).expand(2, 6).shape) == (2, 6)
        assert tuple(x.repeat(2).shape) == (12,)
        assert tuple(m.zeros(n, 2).shape) == (3, 2)
        assert tuple(m.nn.Linear(n, 2).weight.shape) == (2, 3)
        assert m.randperm(n).shape[0] == 3
        assert m.tensor([[1, 2.5]]).dtype == m.float32


@pytest.mark.parametrize("dst, src", [((3,), (1, 3)), ((3,), (2, 1, 3)), ((3,), (2,)),
                                      ((2, 3), (4,)), ((2, 3), (3,))])
@pytest.mark.parametrize("grad", [False, True])
def test_copy_from_a_source_that_does_not_fit(dst, src, grad):
    def run(lib):
        a = lib.zeros(*dst, requires_grad=grad).clone()
        b = lib.ones(*src, requires_grad=grad)
        try:
            return a.copy_(b).tolist()
        except Exception as exc:  # type and first line are the behaviour compared
            return type(exc).__name__, str(exc).splitlines()[0]
    assert run(ember) == run(torch)
