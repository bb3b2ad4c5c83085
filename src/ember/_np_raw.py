"""NumPy's C functions without the ``__array_function__`` dispatch layer.

``np.dot`` & co. first call a small Python function that names the arguments to check for
overrides; the C function behind it does the work. On a hot path whose arguments are
known to be plain ndarrays that layer is pure cost: ~0.12 us a call warm, more inside a
training loop, where each Python frame it runs is a cache miss (DQN's update makes ~30
such calls). Only ever call these on ``np.ndarray``s: a Tensor operand would be read as an
array instead of dispatching back to ember (``create_graph`` backward rules rely on that).
"""

try:  # NumPy 2
    from numpy._core._multiarray_umath import concatenate, dot, vdot
except ImportError:  # NumPy 1.x keeps them here; else the dispatched ones
    try:
        from numpy.core._multiarray_umath import concatenate, dot, vdot
    except ImportError:
        from numpy import concatenate, dot, vdot

__all__ = ["concatenate", "dot", "vdot"]
