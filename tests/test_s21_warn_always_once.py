"""PyTorch's once-a-process warnings (TORCH_WARN_ONCE) under ``set_warn_always(True)``:
they show every time and leave the once-memory untouched, so the first call after
``set_warn_always(False)`` still warns. ember used up the once while warn_always was on (a
test that turned it on hid the warning from a later program). Each library runs in a fresh
process, against PyTorch 2.13 live."""

import subprocess
import sys

import pytest

SCRIPT = """
import sys, warnings
import numpy as np
L = __import__(sys.argv[1])
cases = {
    "ndarray_list": lambda: L.tensor([np.ones(2)]),  # (one array: PyTorch warns per visit)
    "meshgrid": lambda: L.meshgrid(L.ones(2), L.ones(3)),
    "readonly": lambda: L.from_numpy(np.broadcast_to(np.ones(3), (2, 3))),
    "where_uint8": lambda: L.where(L.tensor([1, 0], dtype=L.uint8), L.ones(2), L.zeros(2)),
}
call = cases[sys.argv[2]]
counts = []
for always in (True, True, False, False):
    L.set_warn_always(always)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        call()
    counts.append(len(seen))
print(counts)
"""


@pytest.mark.parametrize("case", ["ndarray_list", "meshgrid", "readonly", "where_uint8"])
def test_warn_always_leaves_the_once_unused(case):
    runs = [subprocess.run([sys.executable, "-c", SCRIPT, lib, case], capture_output=True,
                           text=True, check=True).stdout.strip() for lib in ("torch", "ember")]
    assert runs[1] == runs[0], f"ember {runs[1]}, torch {runs[0]}"
