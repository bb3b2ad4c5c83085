"""Pick the tensor library the tour runs on.

ember is the default: `import ember as torch` is the whole point of the tour. Setting
EMBER_TOUR_BACKEND=torch runs the very same code on real PyTorch, which we use only to
develop the tour and to compare numbers.
"""
import os

NAME = os.environ.get("EMBER_TOUR_BACKEND", "ember").strip().lower()

if NAME == "torch":
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, TensorDataset
elif NAME == "ember":
    import ember as torch
    import ember.nn as nn
    import ember.nn.functional as F
    from ember.utils.data import DataLoader, TensorDataset
else:
    raise ValueError(f"EMBER_TOUR_BACKEND must be 'ember' or 'torch', got {NAME!r}")

__all__ = ["NAME", "torch", "nn", "F", "DataLoader", "TensorDataset"]
