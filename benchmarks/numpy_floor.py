"""Hand-written NumPy implementation of every workload: the floor for a NumPy-based library.

Forward, manual backward and in-place optimizers that follow PyTorch 2.13's CPU update
formulas (torch.optim.Adam single-tensor path, torch.optim.SGD with momentum), all float32.
Builders mirror tsteps.py: each returns a zero-argument step callable.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from workloads import Problem, init_params, make_data, sample_action, scalar_inputs, add_inputs

Step = Callable[[], Any]


class MLP:
    """Linear layers (W is (out, in) as in nn.Linear) with relu/tanh between them."""

    def __init__(self, p: Problem) -> None:
        self.params: list[np.ndarray] = [a.copy() for wb in init_params(p.sizes) for a in wb]
        self.grads = [np.zeros_like(a) for a in self.params]
        self.tanh = p.act == "tanh"
        self.hs: list[np.ndarray] = []

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Forward pass; keeps each layer's input for backward."""
        hs, h = [x], x
        n = len(self.params) // 2
        for i in range(n):
            w, b = self.params[2 * i], self.params[2 * i + 1]
            h = h @ w.T
            h += b
            if i < n - 1:
                if self.tanh:
                    np.tanh(h, out=h)
                else:
                    np.maximum(h, 0, out=h)
                hs.append(h)
        self.hs = hs
        return h

    def backward(self, g: np.ndarray) -> list[np.ndarray]:
        """Gradients of all parameters given dLoss/dOutput; fills self.grads in place."""
        n = len(self.params) // 2
        for i in range(n - 1, -1, -1):
            np.matmul(g.T, self.hs[i], out=self.grads[2 * i])
            np.sum(g, axis=0, out=self.grads[2 * i + 1])
            if i == 0:
                break
            g = g @ self.params[2 * i]
            a = self.hs[i]   # activation output feeding layer i
            if self.tanh:
                g *= 1 - a * a
            else:
                g *= a > 0
        return self.grads


class Adam:
    """torch.optim.Adam(lr=1e-3), CPU single-tensor formulas, updating arrays in place."""

    def __init__(self, params: list[np.ndarray], lr: float = 1e-3, betas=(0.9, 0.999),
                 eps: float = 1e-8) -> None:
        self.params, self.lr, self.betas, self.eps = params, lr, betas, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.buf = [np.empty_like(p) for p in params]
        self.t = 0

    def step(self, grads: list[np.ndarray]) -> None:
        b1, b2 = self.betas
        self.t += 1
        step_size = self.lr / (1 - b1 ** self.t)
        bc2_sqrt = (1 - b2 ** self.t) ** 0.5
        for p, g, m, v, buf in zip(self.params, grads, self.m, self.v, self.buf):
            np.subtract(g, m, out=buf)         # m.lerp_(g, 1 - b1)
            buf *= 1 - b1
            m += buf
            v *= b2                            # v.mul_(b2).addcmul_(g, g, value=1 - b2)
            np.multiply(g, g, out=buf)
            buf *= 1 - b2
            v += buf
            np.sqrt(v, out=buf)                # denom = sqrt(v) / sqrt(bc2) + eps
            buf /= bc2_sqrt
            buf += self.eps
            np.divide(m, buf, out=buf)         # p.addcdiv_(m, denom, value=-step_size)
            buf *= -step_size
            p += buf


class SGD:
    """torch.optim.SGD(lr, momentum): buf = g on the first step, then momentum*buf + g."""

    def __init__(self, params: list[np.ndarray], lr: float = 0.01, momentum: float = 0.9):
        self.params, self.lr, self.momentum = params, lr, momentum
        self.bufs: list[np.ndarray] | None = None
        self.tmp = [np.empty_like(p) for p in params]

    def step(self, grads: list[np.ndarray]) -> None:
        if self.bufs is None:
            self.bufs = [g.copy() for g in grads]
        else:
            for buf, g in zip(self.bufs, grads):
                buf *= self.momentum
                buf += g
        for p, buf, tmp in zip(self.params, self.bufs, self.tmp):
            np.multiply(buf, -self.lr, out=tmp)   # p.add_(buf, alpha=-lr)
            p += tmp


def log_softmax(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(log-probabilities, probabilities) along the last axis, numerically stable."""
    shifted = z - z.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    s = e.sum(axis=-1, keepdims=True)
    return shifted - np.log(s), e / s


def loss_and_grad(p: Problem, out: np.ndarray, d: dict[str, np.ndarray]) -> tuple[Any, Any]:
    """The problem's loss and dLoss/dOutput, matching F.cross_entropy / mse_loss / PG losses."""
    if p.loss == "mse":
        diff = out - d["y"]
        return np.mean(diff * diff), diff * np.float32(2.0 / diff.size)
    n = out.shape[0]
    rows = np.arange(n)
    logp, probs = log_softmax(out)
    if p.loss == "ce":
        y, w = d["y"], np.full(n, 1.0 / n, np.float32)
        loss = -logp[rows, y].mean()
    elif p.loss == "pg":
        y, w = d["y"], d["adv"] * np.float32(1.0 / n)
        loss = -(logp[rows, y] * d["adv"]).mean()
    else:   # reinforce: -(logp_taken * returns).sum()
        y, w = d["y"], d["returns"]
        loss = -(logp[rows, y] * w).sum()
    # dL/dlogp_taken = -w, and d logp_k / dz = onehot_k - probs  =>  dz = w * (probs - onehot)
    probs[rows, y] -= 1
    probs *= w[:, None]
    return loss, probs


def _optimizer(p: Problem, params: list[np.ndarray]) -> Adam | SGD:
    return Adam(params) if p.opt == "adam" else SGD(params)


def train_step(p: Problem) -> Step:
    net = MLP(p)
    opt = _optimizer(p, net.params)
    d = make_data(p)
    x = d["x"]

    def step() -> Any:
        loss, g = loss_and_grad(p, net.forward(x), d)
        opt.step(net.backward(g))
        return loss
    step.model = net   # for selfcheck.py
    return step


def infer_step(p: Problem) -> Step:
    net = MLP(p)
    x = make_data(p)["x"]
    return lambda: net.forward(x)


def act_step(p: Problem) -> Step:
    net = MLP(p)
    obs = make_data(p)["x"]
    return lambda: log_softmax(net.forward(obs))[1]


def reinforce_step(p: Problem) -> Step:
    """W6 with the same acting loop, rng stream and update as tsteps.reinforce_step."""
    net = MLP(p)
    opt = _optimizer(p, net.params)
    data = make_data(p)
    states = data["x"]
    rng = np.random.default_rng(7)

    def step() -> Any:
        acts = np.empty(len(states), np.int64)
        for i in range(len(states)):
            probs = log_softmax(net.forward(states[i:i + 1]))[1]
            acts[i] = sample_action(probs[0], rng.random())
        d = {"y": acts, "returns": data["returns"]}
        loss, g = loss_and_grad(p, net.forward(states), d)
        opt.step(net.backward(g))
        return loss
    step.model = net   # for selfcheck.py
    return step


def scalar_step(p: Problem | None = None) -> Step:
    """W5 by hand: f = x**2 + y**3, df/dx = 2x, df/dy = 3y**2 (float32 scalars)."""
    xv, yv = scalar_inputs()
    x, y = np.float32(xv), np.float32(yv)
    grads = [np.float32(0), np.float32(0)]

    def step() -> Any:
        f = x * x + y * y * y
        grads[0] = 2 * x
        grads[1] = 3 * y * y
        return f
    step.grads = grads
    return step


def add_step(p: Problem | None = None) -> Step:
    a, b = add_inputs()
    return lambda: a + b


BUILDERS: dict[str, Callable[[Problem | None], Step]] = {
    "train": train_step, "infer": infer_step, "act": act_step,
    "reinforce": reinforce_step, "scalar": scalar_step, "add": add_step,
}
