"""ember: reverse-mode autograd on NumPy with PyTorch's API."""
