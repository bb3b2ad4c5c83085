"""Section 2: autograd against derivatives worked out by hand.

Each case is a function written with tensor ops plus its gradient written with the
calculus rules in plain Python floats; we compare the two at one point.
"""
from __future__ import annotations

import math
from typing import Callable

from .backend import torch
from .common import Context

Case = tuple[str, Callable, Callable, tuple[float, float]]


def _softplus_tanh_hand(x: float, y: float) -> tuple[float, float]:
    # d/du log(1 + e^u) = sigmoid(u), with u = x*y; d/dx tanh(x)^2 = 2 tanh(x) (1 - tanh(x)^2)
    s = 1.0 / (1.0 + math.exp(-x * y))
    t = math.tanh(x)
    return y * s + 2 * t * (1 - t * t), x * s


CASES: list[Case] = [
    ("x^2 + y^3", lambda x, y: x**2 + y**3,
     lambda x, y: (2 * x, 3 * y**2), (2.0, -1.0)),
    ("sin(x) * exp(y)", lambda x, y: torch.sin(x) * torch.exp(y),
     lambda x, y: (math.cos(x) * math.exp(y), math.sin(x) * math.exp(y)), (0.7, 0.3)),
    ("5x^2 + xy + 2y^3", lambda x, y: 5 * x**2 + x * y + 2 * y**3,
     lambda x, y: (10 * x + y, x + 6 * y**2), (1.5, -2.0)),
    ("log(1 + exp(xy)) + tanh(x)^2",
     lambda x, y: torch.log(1 + torch.exp(x * y)) + torch.tanh(x) ** 2,
     _softplus_tanh_hand, (0.8, -1.3)),
]


def check_case(case: Case) -> float:
    """Print autograd's and the hand gradient for one case; return their max |difference|."""
    name, fn, hand, (x0, y0) = case
    x = torch.tensor(x0, requires_grad=True)
    y = torch.tensor(y0, requires_grad=True)
    fn(x, y).backward()
    auto = (x.grad.item(), y.grad.item())
    by_hand = hand(x0, y0)
    diff = max(abs(a - b) for a, b in zip(auto, by_hand))
    print(f"    f = {name:<30} at ({x0}, {y0})")
    print(f"      autograd (df/dx, df/dy) = ({auto[0]:+.6f}, {auto[1]:+.6f})")
    print(f"      by hand  (df/dx, df/dy) = ({by_hand[0]:+.6f}, {by_hand[1]:+.6f})"
          f"   max |diff| = {diff:.2e}")
    return diff


def check_vector() -> float:
    """f(v) = v . v has gradient 2v: the one-line vector case."""
    v = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (v * v).sum().backward()
    auto = v.grad.tolist()
    diff = max(abs(a - 2 * b) for a, b in zip(auto, [1.0, -2.0, 3.0]))
    print(f"    f = v . v at v=[1, -2, 3]: autograd {auto}, by hand [2, -4, 6]"
          f"   max |diff| = {diff:.2e}")
    return diff


def show_accumulation() -> tuple[float, float]:
    """backward() adds into .grad; zero_() is what makes each step see only its own gradient."""
    w = torch.tensor(3.0, requires_grad=True)
    for _ in range(2):
        (w**2).backward()
    twice = w.grad.item()
    w.grad.zero_()
    (w**2).backward()
    once = w.grad.item()
    print(f"    d(w^2)/dw at w=3 is 6: two backward() calls leave .grad = {twice:g}, "
          f"after .grad.zero_() one call gives {once:g}")
    return twice, once


def run(ctx: Context) -> dict:
    diffs = [check_case(case) for case in CASES] + [check_vector()]
    twice, once = show_accumulation()
    worst = max(diffs)
    ctx.note(f"2. autograd vs hand derivatives on {len(diffs)} functions: "
             f"max |difference| {worst:.1e}; gradients accumulate ({twice:g} = 2 x {once:g})")
    return {"max_diff": worst, "diffs": diffs, "accumulated": twice, "single": once}
