"""Session 21: eriklindernoren/PyTorch-YOLOv3 as users type it (tests/s21_yolo_progs*.py):
pytorchyolo/models.py (create_modules from a small yolov3-tiny style cfg, Upsample, YOLOLayer
in train and eval mode, Darknet, the darknet weights file written and parsed back),
utils/loss.py (bbox_iou with GIoU / DIoU / CIoU, build_targets, compute_loss, old and current
versions) in train.py's loop, and utils/utils.py (xywh2xyxy, bbox_wh_iou, bbox_iou, box_iou,
rescale_boxes, non_max_suppression with a plain-torch greedy NMS, get_batch_statistics,
ap_per_class) in test.py's _evaluate, and the 2019 root models.py / utils.py (YOLOLayer with
compute_grid_offsets and ByteTensor masks, build_targets with bbox_wh_iou, the merging NMS).
Focused tests below pin the fixes the sweep needed (clamp_ / clamp(out=) messages by
overload, the uint8-mask warning repeated in backward). Each program runs on ember and on
torch 2.13 and is compared live: printed lines (losses with 4 decimals, reprs, shapes,
warnings, errors' type and first line) exactly, values to rtol 1e-5 / atol 1e-6."""

import warnings

import numpy as np
import pytest
import s21_yolo_progs as A
import s21_yolo_progs_b as B
import s21_yolo_progs_c as C
import s21_yolo_progs_d as D
from torch_compare import check_program, same, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.darknet_forward, A.yolo_layer_exp, B.train_loss, B.train_loss_old, B.ious,
         C.box_utils, C.nms_synthetic, C.evaluate, D.train_2019, D.build_targets_2019]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)


CLAMP_INPLACE = {
    "number_tensor": lambda L, g, t: g.clamp_(0, t),
    "tensor_number": lambda L, g, t: g.clamp_(t, 9),
    "keywords": lambda L, g, t: g.clamp_(min=0, max=t),
    "clip_": lambda L, g, t: g.clip_(0, t),
    "int32": lambda L, g, t: g.int().clamp_(0, t),
    "uint8": lambda L, g, t: g.byte().clamp_(0, t),
    "int16_double": lambda L, g, t: g.short().clamp_(0, t.double()),
    "bool": lambda L, g, t: (g > 0).clamp_(0, t),
    "two_tensors": lambda L, g, t: g.clamp_(t - 8, t),
    "one_tensor": lambda L, g, t: g.clamp_(t),
    "none_tensor": lambda L, g, t: g.clamp_(None, t),
    "clamp_min_tensor": lambda L, g, t: g.clamp_min_(t),
    "numbers": lambda L, g, t: g.clamp_(0.5, 2.5),
    "tensor_requiring_grad": lambda L, g, t: g.clamp_(0, t.requires_grad_()),
    "one_d_tensor": lambda L, g, t: g.clamp_(0, L.ones(1)),
    "long_bound": lambda L, g, t: g.clamp_(0, t.long()),
}


@pytest.mark.parametrize("case", CLAMP_INPLACE.values(), ids=CLAMP_INPLACE.keys())
def test_clamp_inplace_number_and_0d_tensor_bound(case):
    """build_targets' gj.clamp_(0, gain[3] - 1) on an int64 tensor: a 0-d float tensor beside
    a Python number is read as a Number, so PyTorch's scalar kernel names the C++ type
    ("long int"); with tensor bounds only it names the dtype ("Long")."""
    def run(L):
        r = case(L, L.tensor([1, 5, 9]), L.tensor(7.))
        return str(r.dtype), r.tolist()

    same(run)


def _alias(f):
    """f(g) with g the int64 input, as users pass out=g."""
    return lambda L: f(L, L.tensor([1, 5, 9]))


CLAMP_OUT = {
    "tensor_bounds_float_into_double": lambda L: L.clamp(
        L.tensor([1., 5, 9]), L.tensor(0.), L.tensor(7.), out=L.zeros(3, dtype=L.double)),
    "tensor_bounds_long_into_float": lambda L: L.clamp(
        L.tensor([1, 5, 9]), L.tensor(0), L.tensor(7), out=L.zeros(3)),
    "tensor_bounds_long_into_int": lambda L: L.clamp(
        L.tensor([1, 5, 9]), L.tensor(0), L.tensor(7), out=L.zeros(3, dtype=L.int)),
    "tensor_bounds_float_into_long": lambda L: L.clamp(
        L.tensor([1., 5, 9]), L.tensor(0.), L.tensor(7.), out=L.zeros(3, dtype=L.long)),
    "tensor_bounds_keywords_clip": lambda L: L.clip(
        L.tensor([1., 5, 9]), min=L.tensor(0.), max=L.tensor(7.),
        out=L.zeros(3, dtype=L.double)),
    "tensor_bound_clamp_max": lambda L: L.clamp_max(
        L.tensor([1., 5, 9]), L.tensor(7.), out=L.zeros(3, dtype=L.double)),
    "tensor_bound_clamp_min_into_long": lambda L: L.clamp_min(
        L.tensor([1, 5, 9]), L.tensor(7.), out=L.zeros(3, dtype=L.long)),
    "number_bounds_into_double": lambda L: L.clamp(
        L.tensor([1., 5, 9]), 0, 7, out=L.zeros(3, dtype=L.double)),
    "number_bounds_into_other_long": lambda L: L.clamp(
        L.tensor([1, 5, 9]), 0.5, 2.5, out=L.zeros(3, dtype=L.long)),
    "number_bounds_out_is_input": _alias(lambda L, g: L.clamp(g, 0.5, 7, out=g)),
    "number_and_0d_out_is_input": _alias(lambda L, g: L.clamp(g, 0, L.tensor(7.), out=g)),
    "number_bounds_out_is_view": _alias(lambda L, g: L.clamp(g, 0.5, 7, out=g[:])),
    "tensor_bounds_out_is_input": _alias(
        lambda L, g: L.clamp(g, L.tensor(0.), L.tensor(7.), out=g)),
    "clamp_min_number_out_is_input": _alias(lambda L, g: L.clamp_min(g, 0.5, out=g)),
    "clamp_min_tensor_out_is_input": _alias(
        lambda L, g: L.clamp_min(g, L.tensor(0.5), out=g)),
    "clip_out_is_input": _alias(lambda L, g: L.clip(g, 0, L.tensor(7.), out=g)),
    "bool_out_is_input": lambda L: (lambda g: L.clamp(g, 0, 1, out=g))(L.tensor([True, False])),
    "float_out_is_input": lambda L: (lambda g: L.clamp(g, 0.5, 7, out=g))(L.tensor([1., 5, 9])),
}


@pytest.mark.parametrize("case", CLAMP_OUT.values(), ids=CLAMP_OUT.keys())
def test_clamp_out_dtype_by_overload(case):
    """clamp(..., out=) with a result dtype other than out's: tensor bounds cast into out (or
    refuse as the element-wise kernels do), number bounds want out's dtype, unless out is the
    input itself (PyTorch's in-place scalar kernel, naming the C++ type)."""
    def run(L):
        r = case(L)
        return str(r.dtype), r.tolist()

    same(run)


BYTE_MASK_BACKWARD = {
    "mask_1d": lambda L, x, z, m: x[m].sum().backward(),
    "mask_2d": lambda L, x, z, m: z[L.tensor([[1, 0, 1, 1], [0, 0, 1, 0]],
                                             dtype=L.uint8)].sum().backward(),
    "int_then_mask": lambda L, x, z, m: z[0, m].sum().backward(),
    "slice_then_mask": lambda L, x, z, m: z[:, m].sum().backward(),
    "mask_then_slice": lambda L, x, z, m: z[L.tensor([1, 0], dtype=L.uint8), 1:].sum()
    .backward(),
    "two_masks": lambda L, x, z, m: z[L.tensor([1, 1], dtype=L.uint8),
                                      L.tensor([1, 0, 0, 1], dtype=L.uint8)].sum().backward(),
    "numpy_mask": lambda L, x, z, m: x[np.array([1, 0, 1, 1], np.uint8)].sum().backward(),
    "no_grad": lambda L, x, z, m: x.detach()[m].sum(),
    "bool_mask": lambda L, x, z, m: x[m.bool()].sum().backward(),
    "mse_over_masks": lambda L, x, z, m: L.nn.MSELoss()(x[m], x.detach()[m] * 2).backward(),
}


@pytest.mark.parametrize("case", BYTE_MASK_BACKWARD.values(), ids=BYTE_MASK_BACKWARD.keys())
def test_uint8_mask_index_warns_again_in_backward(case):
    """The 2019 YOLOLayer's losses over ByteTensor masks: PyTorch warns that uint8 indexing is
    deprecated when indexing and again when the backward reads the saved masks."""
    def run(L):
        x = L.randn(4, requires_grad=True)
        z = L.randn(2, 4, requires_grad=True)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            case(L, x, z, L.tensor([1, 0, 1, 1], dtype=L.uint8))
        grads = [None if t.grad is None else t.grad.tolist() for t in (x, z)]
        return [(c.category.__name__, str(c.message).split(" (Triggered internally")[0])
                for c in w], grads

    same(run)
