"""``torch.version``: the build's version strings (a CPU-only build: no CUDA, HIP or ROCm)."""

from __future__ import annotations

from .torch_version import TorchVersion

__all__ = ["__version__", "debug", "cuda", "git_version", "hip", "rocm", "xpu"]

# The PyTorch API version ember follows, so that scripts' guards such as
# ``torch.__version__ >= "2.0"`` or ``version.parse(torch.__version__).major >= 2`` take
# their modern path; the local tag names ember. ember's own release is ``ember_version``.
__version__ = TorchVersion("2.13.0+ember")
ember_version = "0.1.0"
debug = False
cuda: str | None = None
git_version = "Unknown"
hip: str | None = None
rocm: str | None = None
xpu: str | None = None
