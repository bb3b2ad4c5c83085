"""Mistakes learners make following tutorials: each must raise PyTorch 2.13's exception type
and first line (live torch is the reference), and where ember adds a plain-words hint after
it, the hint must name the right fix."""

import numpy as np
import pytest
import torch

import ember
from torch_compare import error_of


def _x(m):
    return m.arange(12.0).reshape(3, 4)


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
    "zeros_float_alone": lambda m: m.zeros(8 / 2),
    "rand_float_alone": lambda m: m.rand(8 / 2),
    "zeros_str_size": lambda m: m.zeros("3"),
    "reshape_none_later": lambda m: m.zeros(2, 3).reshape(2, None),
    "view_str": lambda m: m.zeros(2, 3).view("6"),
    "zeros_keyword_float_first": lambda m: m.zeros(size=(4 / 2, 3)),
    "zeros_keyword_list_float": lambda m: m.zeros(size=[4 / 2]),
    "zeros_keyword_float": lambda m: m.zeros(size=4 / 2),
    "randn_keyword_float_later": lambda m: m.randn(size=(2, 4 / 2)),
    "randperm_float": lambda m: m.randperm(10 / 2),
    "linear_float_features": lambda m: m.nn.Linear(4 / 2, 3),
    "conv_float_channels": lambda m: m.nn.Conv2d(3, 8.0, 3),
    "view_float_first": lambda m: m.zeros(2, 3).view(2.0, 3),
    "view_float_later": lambda m: m.zeros(2, 3).view(-1, 6 / 2),
    "view_float_alone": lambda m: m.zeros(2, 3).view(12 / 2),
    "view_tuple_float_first": lambda m: m.zeros(2, 3).view((2.0, 3)),
    "reshape_float_first": lambda m: m.zeros(2, 3).reshape(6 / 3, 3),
    "reshape_float_later": lambda m: m.zeros(2, 3).reshape(2, 3.0),
    "flip_float_dim": lambda m: m.zeros(2, 3).flip(0.0),
    "randperm_numpy_float": lambda m: m.randperm(np.float32(5.0)),
    "randperm_numpy_float64": lambda m: m.randperm(np.float64(10) / 2),
    "view_float_tensor_size": lambda m: m.zeros(2, 3).view(m.tensor(2.0), 3),
    "reshape_float_tensor_later": lambda m: m.zeros(2, 3).reshape(2, m.tensor(3.0)),
    "reshape_tuple_float_first": lambda m: m.zeros(2, 3).reshape((2.0, 3)),
    "reshape_single_float": lambda m: m.zeros(2, 3).reshape(6.0),
    "repeat_float": lambda m: m.zeros(2, 3).repeat(2.0, 1),
    "repeat_tuple_float": lambda m: m.zeros(2, 3).repeat((2.0, 1)),
    "expand_float": lambda m: m.zeros(1, 3).expand(2.0, 3),
    "expand_float_later": lambda m: m.zeros(1, 3).expand(2, 3.0),
    "permute_float": lambda m: m.zeros(2, 3).permute(1.0, 0),
    "permute_float_later": lambda m: m.zeros(2, 3).permute(0, 1.0),
    # dims and counts computed with `/`: a TypeError, never truncated
    "transpose_float_dim": lambda m: _x(m).transpose(0, 1.0),
    "transpose_float_first": lambda m: _x(m).transpose(0.0, 1),
    "sum_float_dim": lambda m: _x(m).sum(1.0),
    "sum_float_dim_kw": lambda m: _x(m).sum(dim=1.0),
    "sum_tuple_float_later": lambda m: _x(m).sum((0, 1.0)),
    "sum_tuple_float_first": lambda m: _x(m).sum((1.0, 0)),
    "mean_float_dim_kw": lambda m: _x(m).mean(dim=1.0),
    "std_float_dim": lambda m: _x(m).std(1.0),
    "max_float_dim": lambda m: _x(m).max(1.0),
    "amax_float_dim": lambda m: _x(m).amax(1.0),
    "amax_tuple_float_first": lambda m: _x(m).amax((1.0, 0)),
    "cumsum_float_dim": lambda m: _x(m).cumsum(1.0),
    "cumprod_float_dim_kw": lambda m: _x(m).cumprod(dim=1.0),
    "softmax_float_dim": lambda m: _x(m).softmax(1.0),
    "softmax_float_dim_kw": lambda m: _x(m).softmax(dim=1.0),
    "F_softmax_float_dim": lambda m: m.nn.functional.softmax(_x(m), 1.0),
    "F_log_softmax_float_dim_kw": lambda m: m.nn.functional.log_softmax(_x(m), dim=1.0),
    "nn_softmax_float_dim": lambda m: m.nn.Softmax(1.0)(_x(m)),
    "argmax_float_dim": lambda m: _x(m).argmax(1.0),
    "sort_float_dim": lambda m: _x(m).sort(1.0),
    "unsqueeze_float_dim": lambda m: _x(m).unsqueeze(1.0),
    "squeeze_float_dim": lambda m: _x(m).squeeze(1.0),
    "squeeze_tuple_float_later": lambda m: _x(m).squeeze((0, 1.0)),
    "flatten_float_start": lambda m: _x(m).flatten(1.0),
    "flatten_float_end": lambda m: _x(m).flatten(0, 1.0),
    "nn_flatten_float": lambda m: m.nn.Flatten(1.0)(_x(m)),
    "narrow_float_start": lambda m: _x(m).narrow(0, 1.0, 2),
    "narrow_float_length": lambda m: _x(m).narrow(0, 1, 2.0),
    "narrow_float_start_kw_length": lambda m: _x(m).narrow(0, 1.0, length=2),
    "select_float_index": lambda m: _x(m).select(0, 1.0),
    "chunk_float": lambda m: _x(m).chunk(2.0),
    "chunk_float_dim": lambda m: _x(m).chunk(2, 1.0),
    "split_float": lambda m: _x(m).split(1.0),
    "split_sizes_float": lambda m: _x(m).split([1.0, 2]),
    "cat_float_dim": lambda m: m.cat([_x(m), _x(m)], 1.0),
    "cat_float_dim_kw": lambda m: m.cat([_x(m), _x(m)], dim=1.0),
    "stack_float_dim": lambda m: m.stack([_x(m), _x(m)], 1.0),
    "topk_float_k": lambda m: _x(m).topk(2.0),
    "kthvalue_float_k": lambda m: _x(m).kthvalue(2.0),
    "median_float_dim": lambda m: _x(m).median(1.0),
    "index_select_float_dim": lambda m: _x(m).index_select(0.0, m.tensor([0])),
    "gather_float_dim": lambda m: _x(m).gather(1.0, m.tensor([[0], [1], [0]])),
    "roll_float_shift": lambda m: _x(m).roll(1.0),
    "roll_tuple_float_later": lambda m: _x(m).roll((1, 1.0), (0, 1)),
    "movedim_float": lambda m: _x(m).movedim(0, 1.0),
    "repeat_interleave_float": lambda m: _x(m).repeat_interleave(2.0),
    "tril_float_diagonal": lambda m: _x(m).tril(1.0),
    "one_hot_float_classes": lambda m: m.nn.functional.one_hot(m.tensor([0, 1]), 3.0),
    "embedding_float_count": lambda m: m.nn.Embedding(10.0, 3),
    "conv_float_kernel": lambda m: m.nn.Conv2d(3, 8, 3.0),
    "conv_float_stride": lambda m: m.nn.Conv2d(3, 8, 3, stride=2.0)(m.zeros(1, 3, 8, 8)),
    "conv_float_padding": lambda m: m.nn.Conv2d(3, 8, 3, padding=1.0)(m.zeros(1, 3, 8, 8)),
    "maxpool_float_kernel": lambda m: m.nn.MaxPool2d(2.0)(m.zeros(1, 3, 8, 8)),
    "avgpool_float_kernel": lambda m: m.nn.AvgPool2d(2.0)(m.zeros(1, 3, 8, 8)),
    "max_pool2d_float_stride_kw": lambda m: m.nn.functional.max_pool2d(
        m.zeros(1, 1, 4, 4), 2, stride=2.0),
    "max_pool2d_tuple_float_later": lambda m: m.nn.functional.max_pool2d(
        m.zeros(1, 1, 4, 4), (2, 2.0)),
    "max_pool1d_float_kernel": lambda m: m.nn.functional.max_pool1d(m.zeros(1, 1, 4), 2.0),
    "pad_float_first": lambda m: m.nn.functional.pad(_x(m), (1.0, 1)),
    "pad_float_later": lambda m: m.nn.functional.pad(_x(m), (1, 1.0)),
    "linspace_no_steps": lambda m: m.linspace(0, 1),
    "linspace_float_steps": lambda m: m.linspace(0, 1, 5.0),
    "logspace_no_steps": lambda m: m.logspace(0, 1),
    "eye_float": lambda m: m.eye(3.0),
    "eye_float_columns": lambda m: m.eye(3, 2.0),
    "set_num_threads_float": lambda m: m.set_num_threads(2.0),
    "tensor_strings_in_second_row": lambda m: m.tensor([[1, 2], ["a", "b"]]),
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
    ("zeros_float_alone", "n // 2"), ("view_float_alone", "n // 2"),
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
    ("item_of_vector", ".tolist()"), ("linspace_float_steps", "steps=5"),
    ("sum_float_dim", "n // 2"), ("narrow_float_start", "n // 2"),
    ("maxpool_float_kernel", "n // 2"),
    ("forgot_super_init", "super().__init__()"),
])
def test_hint_names_the_fix(name, words):
    assert words in _hint(name)


@pytest.mark.parametrize("name", ["zeros_str_size", "reshape_none_later", "view_str"])
def test_no_float_hint_for_sizes_that_are_no_number(name):
    """The `n / 2` hint only where the size is a float: a string or None is another mistake."""
    with pytest.raises(TypeError) as info:
        CASES[name](ember)
    assert "Hint" not in str(info.value)


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


def test_integer_dims_and_counts_still_work():
    """The float checks leave NumPy ints and 1-element int tensors alone, as PyTorch does."""
    n, one = np.int64(1), np.int64(1)
    got = []
    for m in (torch, ember):
        x = _x(m)
        got.append([x.sum(n).tolist(), x.sum((np.int64(0), one)).item(), x.softmax(n).shape,
                    x.flatten(np.int64(0)).shape, x.narrow(np.int64(0), one, np.int64(2)).tolist(),
                    x.narrow(0, m.tensor(1), 2).tolist(), x.select(0, m.tensor(1)).tolist(),
                    len(x.chunk(np.int64(2))), x.topk(np.int64(2)).values.tolist(),
                    x.tril(one).tolist(), x.roll(one, 0).tolist(), x.squeeze(np.int64(0)).shape,
                    x.movedim(0, one).shape, x.repeat_interleave(np.int64(2)).shape,
                    m.linspace(0, 1, np.int64(3)).tolist(), m.eye(np.int64(2)).tolist(),
                    m.nn.functional.one_hot(m.tensor([0, 1]), np.int64(3)).tolist(),
                    m.nn.functional.pad(x, (one, 0)).shape,
                    m.nn.functional.max_pool2d(x[None], np.int64(2)).shape])
    assert got[0] == got[1]


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
