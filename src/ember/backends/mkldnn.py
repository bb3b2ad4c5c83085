"""oneDNN (MKL-DNN) flags: ember computes with NumPy, not oneDNN. ``enabled`` is kept only so
that scripts setting ``torch.backends.mkldnn.enabled = False`` run."""

enabled = True


def is_available() -> bool:
    return False
