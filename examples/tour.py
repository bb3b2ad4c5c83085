"""ember's tour: the systems our users' tutorials teach, run on ember.

    make demo                                  # = .venv/bin/python examples/tour.py
    EMBER_TOUR_BACKEND=torch python examples/tour.py   # same code on real PyTorch (dev only)
    EMBER_TOUR_FAST=1 python examples/tour.py          # far fewer training steps

Sections: (1) gradient descent and learning rates, (2) autograd vs hand derivatives,
(3) a two-layer backward pass by hand, (4) an MLP classifier, (5) MLP regression,
(6) gradient flow per layer, (7) vanishing gradients, (8) ember's gradient tools (graph
drawing, chain-rule trace, gradcheck, gradient-flow monitor, anomaly mode). Figures (PNG) and summary.txt go to
out/ at the repository root. The code for each section is in examples/tour/.
"""
import os
import sys
from pathlib import Path

# One BLAS thread: these matrices are tiny, and thread hand-offs cost more than they save.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))

# `import ember as torch` (or real torch under EMBER_TOUR_BACKEND=torch) happens here.
from tour.backend import torch  # noqa: E402,F401
from tour.common import fast_from_env  # noqa: E402
from tour.runner import main  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    main(ROOT / "out", fast=fast_from_env())
