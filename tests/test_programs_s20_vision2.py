"""Session 20: vision models beyond plain CNN classifiers, as popular repositories write
them (tests/s20_vision2_progs*.py, scaled down on random tensors): fxia22/pointnet.pytorch
(STN3d / STNkd with torch.bmm and the identity from np.eye through Variable, PointNetfeat,
PointNetCls / PointNetDenseCls, feature_transform_regularizer, the classification and
segmentation loops), gram-ai/capsule-networks (softmax by transpose / view, squash, dynamic
routing, margin + reconstruction loss, torch.sparse.torch.eye), milesial/Pytorch-UNet (Up's
F.pad, UNet, dice_score.py, train.py's step and evaluate.py), pytorch/examples
super_resolution (ESPCN with PixelShuffle) with an ICNR init, two Siamese networks
(contrastive loss with F.pairwise_distance and clamp; concatenated embeddings with BCELoss),
Grad-CAM and guided backprop with forward / full backward hooks. Each runs on ember and on
torch 2.13 and is compared live: printed lines (reprs, losses, warnings, errors) exactly,
values to rtol 1e-5 / atol 1e-6. Below them, focused tests for what the sweep found:
``torch.sparse.torch`` (the package itself) and F.pad's refusal of a padding entry that is a
float tensor or a tensor of several elements.

Values left out on purpose (see the programs' docstrings): raw outputs of deep stacks in
training-mode BatchNorm over a handful of samples, which carry the last-bit differences of
MKL's sums against OpenBLAS's into the 6th digit, and values after Adam steps on parameters
whose gradient is zero up to rounding (biases before a BatchNorm), which Adam turns into
+-lr steps on either library."""

import numpy as np
import pytest
import s20_vision2_progs as A
import s20_vision2_progs_b as B
import s20_vision2_progs_c as C
import s20_vision2_progs_d as D
import s20_vision2_progs_e as E
from torch_compare import check_program, same, same_error_case, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.pointnet_main, A.pointnet_train_cls, A.pointnet_train_seg, B.capsule_parts,
         B.capsule_train, C.unet_shapes, C.unet_dice, C.unet_train, D.espcn,
         D.pixel_shuffle_icnr, D.siamese_contrastive, D.siamese_bce, E.gradcam,
         E.guided_backprop]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)


def test_sparse_torch_is_the_package():
    """torch/sparse/__init__.py imports torch, so ``torch.sparse.torch`` is torch itself:
    capsule-networks builds its one-hot labels with torch.sparse.torch.eye(10).index_select
    (ember raised AttributeError)."""
    want = same(lambda L: L.sparse.torch.eye(4).index_select(
        dim=0, index=L.LongTensor([2, 0, 3])).tolist())
    assert want[0][1] == 0.0 and want[1][0] == 1.0
    same(lambda L: L.sparse.torch is L)
    same(lambda L: L.sparse.torch.nn.functional.one_hot(L.tensor([1, 0]), 3).tolist())


@pytest.mark.parametrize("pad", ["multi_first", "multi_second", "float0d_first", "float0d_second",
                                 "float1_first", "float_first", "float_second", "int1_ok",
                                 "int0d_ok", "np_ok"])
def test_pad_entries_that_are_tensors(pad):
    """F.pad's entries pass through PyTorch's int-list parser: a one-element integer tensor
    (any shape) or NumPy integer is an int, a float tensor or a tensor of several elements
    is a TypeError naming the position (the first entry: 'found element of type Tensor at
    pos 0'; a later one: 'failed to unpack the object at pos k'). ember raised StopIteration
    with no message for the tensors."""
    def case(L):
        t = L.arange(6.).view(1, 1, 2, 3)
        amounts = {"multi_first": [L.tensor([1, 2]), 0], "multi_second": [1, L.tensor([1, 2])],
                   "float0d_first": [L.tensor(1.5), 0], "float0d_second": [0, L.tensor(2.)],
                   "float1_first": [L.tensor([1.]), 1], "float_first": [1.5, 0],
                   "float_second": [1, 1.5], "int1_ok": [L.tensor([[1]]), L.tensor([2])],
                   "int0d_ok": [L.tensor(1), 0, 0, L.tensor(2)],
                   "np_ok": [np.int64(1), np.int32(0)]}[pad]
        return L.nn.functional.pad(t, amounts, value=-1.0).tolist()
    if pad.endswith("_ok"):
        assert isinstance(same(case)[0], list)
    else:
        same_error_case(case)
