"""PyTorch's checks on assigning ``t.grad = value`` (kept out of tensor.py, which holds the
hot paths)."""

from __future__ import annotations


def check_grad(t, value) -> None:
    """PyTorch's checks on ``t.grad = value``: a tensor (not t itself) of t's shape and dtype;
    an optimizer would otherwise broadcast a wrongly shaped gradient silently."""
    from .tensor import Tensor

    if not isinstance(value, Tensor):  # a NumPy array is 'numpy.ndarray' there, as PyTorch
        from ._typename import arg_type_name

        raise TypeError("assigned grad expected to be a Tensor or None but got grad of type "
                        f"{arg_type_name(value)}")
    if value is t:
        raise RuntimeError("can't assign Variable as its own grad")
    if value._data.dtype != t._data.dtype:
        from .ops.arithmetic import type_name
        from .ops.linalg import _C_NAMES

        raise RuntimeError(
            f"attempting to assign a gradient with dtype '{_C_NAMES[value._data.dtype.name]}' "
            f"to a tensor with grad_dtype '{type_name(t._data.dtype)}'. The gradient must match "
            "the tensor's grad_dtype (defaults to the tensor's dtype). You can set the tensor's "
            "grad_dtype attribute with a specific dtype, or None to allow any dtype. Set "
            "grad_dtype with caution. Diverging the dtypes of a tensor and its gradient may "
            "break downstream systems that assume they match.")
    if value._data.shape != t._data.shape:
        raise RuntimeError(f"attempting to assign a gradient of size '{list(value.shape)}' to a "
                           f"tensor of size '{list(t.shape)}'. Please ensure that the gradient "
                           "and the tensor are the same size")


NON_LEAF_GRAD = (  # reading .grad of a non-leaf that does not retain it
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead. See github.com/pytorch/pytorch/pull/30531 for more information.")

DEEPCOPY_NON_LEAF = (
    "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol "
    "at the moment.  If you were attempting to deepcopy a module, this may be because of a "
    "torch.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001")
