"""openmp flags: ember computes with NumPy, not openmp, so it reports it unavailable."""


def is_available() -> bool:
    return False
