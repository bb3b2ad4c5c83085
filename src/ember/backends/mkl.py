"""mkl flags: ember computes with NumPy, not mkl, so it reports it unavailable."""


def is_available() -> bool:
    return False
