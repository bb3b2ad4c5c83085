"""A convolution's weight of the wrong rank gets PyTorch's first error: the stride's length
where its parser made the stride n long for a weight of another rank (conv2d, conv3d, the
transposed ones), the input's rank where one stride entry expands (conv1d) or padding='same'
takes its own path (which words the weight without a space). Checked live."""

import pytest

from torch_compare import same_error_case

CASES = [
    lambda L: L.nn.functional.conv2d(L.ones(1, 2, 5, 5), L.ones(3, 2, 2, 2, 2)),
    lambda L: L.nn.functional.conv2d(L.ones(1, 2, 5, 5), L.ones(3, 2, 2, 2, 2), stride=(1, 1)),
    lambda L: L.nn.functional.conv2d(L.ones(1, 2, 5, 5), L.ones(3, 2, 2, 2, 2), stride=2),
    lambda L: L.nn.functional.conv2d(L.ones(2, 5, 5), L.ones(3, 2, 2, 2, 2)),
    lambda L: L.nn.functional.conv2d(L.ones(1, 2, 5, 5), L.ones(3, 2, 2)),
    lambda L: L.nn.functional.conv2d(L.ones(1, 2, 5, 5), L.ones(3, 2, 2, 2, 2), padding="same"),
    lambda L: L.nn.functional.conv2d(L.ones(1, 2, 5, 5), L.ones(3, 2, 2, 2, 2), padding="valid"),
    lambda L: L.nn.functional.conv1d(L.ones(1, 2, 5), L.ones(3, 2, 2, 2)),
    lambda L: L.nn.functional.conv1d(L.ones(2, 5), L.ones(3, 2, 2, 2)),
    lambda L: L.nn.functional.conv3d(L.ones(1, 2, 5, 5, 5), L.ones(3, 2, 2, 2)),
    lambda L: L.nn.functional.conv3d(L.ones(1, 2, 5, 5, 5), L.ones(3, 2, 2, 2, 2, 2)),
    lambda L: L.nn.functional.conv_transpose2d(L.ones(1, 2, 5, 5), L.ones(2, 3, 2, 2, 2)),
    lambda L: L.nn.functional.conv_transpose2d(L.ones(1, 2, 5, 5), L.ones(2, 3, 2)),
    lambda L: L.nn.functional.conv_transpose1d(L.ones(1, 2, 5), L.ones(2, 3, 2, 2)),
    lambda L: L.nn.functional.conv_transpose3d(L.ones(1, 2, 5, 5, 5), L.ones(2, 3, 2, 2)),
    lambda L: L.nn.Conv2d(2, 3, 2)(L.ones(1, 2, 5, 5, 5)),
]


@pytest.mark.parametrize("case", CASES)
def test_weight_rank_errors(case):
    same_error_case(case)
