"""Acceptance tests: the seed tutorials run on ember and print what PyTorch prints.

Each seed page's code blocks run in order in one namespace (they share variables), in a
fresh interpreter, once through ember.run's torch -> ember alias and once on real PyTorch
2.13 (see tests/seeds_support.py). Every block is one test, ``seed<id>-block<n>`` (n counts
the page's code blocks from 1), judged as DECISIONS below says.

Harness self-check: ``EMBER_SEEDS_BACKEND=torch`` runs real PyTorch on *both* sides, which
must pass whatever state ember is in (it proves the extraction, the torch side and the
comparison). The default, and what CI runs, is ember against PyTorch.
"""

from __future__ import annotations

import functools
import os

import pytest

import seeds_support as ss

if not ss.SEEDS_DIR.is_dir():
    pytest.skip(f"seed tutorials not found at {ss.SEEDS_DIR}", allow_module_level=True)

COMPARE = "compare"  # same text, numbers close (random draws included: ember's are PyTorch's)
RUN = "run-only"     # must run; same lines and text only (numbers may differ)
RAISES = "raises"    # pseudo-code PyTorch rejects: ember must raise PyTorch's error
SKIP = "skip"        # not code at all (checked to be unparsable)

# seed id -> block number -> (how it is judged, why). Decided by reading each block.
DECISIONS: dict[str, dict[int, tuple[str, str]]] = {
    "000": {
        1: (COMPARE, "autograd of x**2 on a fixed scalar"),
        2: (COMPARE, "autograd of x**2 + y**3 on fixed scalars"),
        3: (COMPARE, "grad accumulation and grad.zero_() on a fixed scalar"),
        4: (COMPARE, "autograd vs manual gradient, fixed scalar"),
        5: (COMPARE, "exercises: fixed-scalar gradients, zeroing, re-backward"),
    },
    "001": {  # page lost its code fences: blocks by line range (seeds_support)
        1: (COMPARE, "x.grad of x**2 at a fixed x, printed as a tensor"),
        2: (COMPARE, "x.grad of (x*x).sum() for a fixed vector, printed as a tensor"),
        3: (COMPARE, "x.grad and y.grad for fixed scalars, printed as tensors"),
        4: (SKIP, "the page's 'Code example' lost its code: only '| |' is left"),
    },
    "002": {
        1: (COMPARE, "two-layer net forward with fixed weights, BCE by hand"),
        2: (COMPARE, "backward through the fixed-weight net: grad tensors printed"),
        3: (RUN, "manual_seed + randn data + nn.Linear default init + Adam; prints nothing"),
        4: (RUN, "random init of deep sigmoid/ReLU MLPs + Adam; prints nothing"),
        5: (COMPARE, "prints only exercises 1/2 (fixed weights); the random-init exercise "
                     "3/4 training prints nothing"),
    },
    "003": {
        1: (COMPARE, "imports, manual_seed, device choice: prints 'Using device: cpu'"),
        2: (RAISES, "pseudo-code: torch.tensor([...]) holds an Ellipsis, which PyTorch "
                    "rejects"),
        3: (COMPARE, "dot-product autograd on fixed tensors, grads printed as tensors"),
        4: (COMPARE, "MLP: random nn.Linear init and shuffled DataLoader decide the accuracy; "
                     "ember draws PyTorch's random numbers, so it prints PyTorch's"),
        5: (COMPARE, "regression MLP: random nn.Linear init decides MSE and R^2 (PyTorch's "
                     "random numbers: the same MSE and R^2 are printed)"),
    },
    "004": {  # page lost its code fences: blocks by line range (seeds_support)
        1: (COMPARE, "plain-Python gradient descent (no torch): guards the harness"),
        2: (COMPARE, "matplotlib only, prints nothing"),
        3: (COMPARE, "vector gradient descent on a fixed tensor; torch.stack, torch.norm"),
        4: (COMPARE, "plain-Python learning-rate sweep with plots; prints nothing"),
        5: (COMPARE, "exercises: fixed-start gradient descent, torch.stack(...).numpy()"),
    },
}

CASES = [(sid, n) for sid in sorted(DECISIONS) for n in sorted(DECISIONS[sid])]


def _backend_under_test() -> str:
    backend = os.environ.get("EMBER_SEEDS_BACKEND", "ember")
    assert backend in ("ember", "torch"), f"EMBER_SEEDS_BACKEND={backend!r}"
    return backend


@functools.lru_cache(maxsize=None)
def _seed_results(sid: str) -> tuple[dict, dict]:
    """(results under test, PyTorch reference) for every runnable block of one seed."""
    blocks = [{"label": f"seed{sid}-block{n}", "code": code}
              for n, code in enumerate(ss.seed_blocks(sid), start=1)
              if DECISIONS[sid][n][0] != SKIP]
    tested, reference = ss.run_in_subprocesses(blocks, [_backend_under_test(), "torch"])
    return tested, reference


def _last_line(traceback_text: str) -> str:
    return traceback_text.strip().splitlines()[-1]


def _earlier_errors(results: dict, label: str) -> list[str]:
    labels = list(results["blocks"])
    return [lab for lab in labels[:labels.index(label)] if results["blocks"][lab]["error"]]


@pytest.mark.parametrize("sid,n", CASES, ids=[f"seed{s}-block{n}" for s, n in CASES])
def test_seed_block(sid: str, n: int) -> None:
    mode, reason = DECISIONS[sid][n]
    if mode == SKIP:  # judged not code: it must still fail to parse (a changed page fails)
        code = ss.seed_blocks(sid)[n - 1]
        with pytest.raises(SyntaxError):
            compile(code, f"seed{sid}-block{n}", "exec")
        return
    tested, reference = _seed_results(sid)
    label = f"seed{sid}-block{n}"
    assert reference["torch_module"] == "torch"
    assert tested["torch_module"] == _backend_under_test(), "torch was not aliased to ember"
    if tested["backend"] == "ember":
        assert not tested["real_torch_loaded"], "real PyTorch was imported on the ember side"
    want = reference["blocks"][label]
    got = tested["blocks"][label]
    if mode == RAISES:  # the same exception type and message (a traceback's last line)
        assert want["error"] is not None, f"PyTorch now runs {label}: judge it anew"
        assert got["error"] is not None, f"{label} ran on {tested['backend']}; PyTorch raises"
        assert _last_line(got["error"]) == _last_line(want["error"])
        return
    assert want["error"] is None, f"PyTorch itself fails this block:\n{want['error']}"
    if got["error"] is not None:
        earlier = _earlier_errors(tested, label)
        note = f"\n(earlier blocks also failed, may cascade: {earlier})" if earlier else ""
        pytest.fail(f"{label} raised on {tested['backend']}:\n{got['error']}{note}")
    problems = ss.compare_output(got["stdout"], want["stdout"], numeric=mode == COMPARE)
    assert not problems, f"{label} ({mode}: {reason}):\n" + "\n".join(problems)


def test_decision_table_covers_every_block() -> None:
    files = ss.seed_files()
    assert sorted(files) == sorted(DECISIONS)
    for sid in files:
        count = len(ss.seed_blocks(sid))
        assert count > 0, f"seed {sid}: no code blocks found"
        assert sorted(DECISIONS[sid]) == list(range(1, count + 1)), f"seed {sid}"


def test_compare_output_catches_differences() -> None:
    want = "loss = 0.6931\ndy/dx: tensor([ 1.5000, -3.0000])\n"
    assert ss.compare_output(want, want, numeric=True) == []
    # Last printed digit may flip at a rounding boundary; more may not.
    assert ss.compare_output("loss = 0.6932\ndy/dx: tensor([ 1.5000, -3.0000])\n", want,
                             numeric=True) == []
    assert ss.compare_output("loss = 0.6934\ndy/dx: tensor([ 1.5000, -3.0000])\n", want,
                             numeric=True)
    assert ss.compare_output("loss = 0.6934\ndy/dx: tensor([ 1.5000, -3.0000])\n", want,
                             numeric=False) == []
    # Text around numbers must match: spacing of a tensor repr, "4." vs "4.0000".
    assert ss.compare_output("loss = 0.6931\ndy/dx: tensor([1.5000, -3.0000])\n", want,
                             numeric=False)
    assert ss.compare_output("tensor(4.0000)\n", "tensor(4.)\n", numeric=True)
    assert ss.compare_output("a 1\n", "a 1\nb 2\n", numeric=False)
    assert ss.numbers_close("0.30000001192092896", "0.30000000000000004")
    assert not ss.numbers_close("1e-3", "2e-3")


def test_fenced_extraction_keeps_order_and_ignores_other_fences() -> None:
    text = "x\n```python\na = 1\n```\n```\nout\n```\n```python\nprint(a)\n```\n"
    assert ss._FENCE.findall(text) == ["a = 1\n", "print(a)\n"]
