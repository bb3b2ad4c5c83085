"""Workload steps written once against the PyTorch API.

Every builder takes a module object `T` that is either `torch` or `ember` and returns a
zero-argument callable running one step; the callable returns the loss (training) or the
output (inference) as a T tensor so the benchmark can compare contenders before timing.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from workloads import Problem, init_params, make_data, sample_action, scalar_inputs, add_inputs

Step = Callable[[], Any]


def build_model(T: Any, p: Problem) -> Any:
    """nn.Sequential of Linear layers with the hidden activation, loaded with seeded weights."""
    act = {"relu": T.nn.ReLU, "tanh": T.nn.Tanh}[p.act]
    layers: list[Any] = []
    for fan_in, fan_out in zip(p.sizes[:-1], p.sizes[1:]):
        layers += [T.nn.Linear(fan_in, fan_out), act()]
    model = T.nn.Sequential(*layers[:-1])   # no activation after the last layer
    linears = [m for m in model if isinstance(m, T.nn.Linear)]
    with T.no_grad():
        for lin, (w, b) in zip(linears, init_params(p.sizes)):
            lin.weight.copy_(T.tensor(w))
            lin.bias.copy_(T.tensor(b))
    return model


def make_optimizer(T: Any, model: Any, p: Problem) -> Any:
    if p.opt == "adam":
        return T.optim.Adam(model.parameters(), lr=1e-3)
    return T.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)


def loss_fn(T: Any, p: Problem, out: Any, d: dict[str, Any]) -> Any:
    """The problem's loss on model output `out` and tensor data `d`."""
    F = T.nn.functional
    if p.loss == "ce":
        return F.cross_entropy(out, d["y"])
    if p.loss == "mse":
        return F.mse_loss(out, d["y"])
    logp = F.log_softmax(out, dim=1)
    if p.loss == "pg":
        taken = logp.gather(1, d["y"].unsqueeze(1)).squeeze(1)
        return -(taken * d["adv"]).mean()
    raise ValueError(p.loss)


def tensors(T: Any, data: dict[str, np.ndarray]) -> dict[str, Any]:
    return {k: T.tensor(v) for k, v in data.items()}


def train_step(T: Any, p: Problem) -> Step:
    """zero_grad, forward, loss, backward, optimizer step."""
    model = build_model(T, p)
    opt = make_optimizer(T, model, p)
    d = tensors(T, make_data(p))
    x = d["x"]

    def step() -> Any:
        opt.zero_grad()
        loss = loss_fn(T, p, model(x), d)
        loss.backward()
        opt.step()
        return loss
    step.model = model   # for selfcheck.py
    return step


def infer_step(T: Any, p: Problem) -> Step:
    """Forward pass under no_grad."""
    model = build_model(T, p)
    x = T.tensor(make_data(p)["x"])

    def step() -> Any:
        with T.no_grad():
            return model(x)
    return step


def act_step(T: Any, p: Problem) -> Step:
    """RL acting: NumPy observation -> tensor, batch-1 forward, softmax, under no_grad."""
    model = build_model(T, p)
    obs = make_data(p)["x"]   # shape (1, 4), as an environment would hand it over
    F = T.nn.functional

    def step() -> Any:
        with T.no_grad():
            return F.softmax(model(T.as_tensor(obs)), dim=-1)
    return step


def reinforce_step(T: Any, p: Problem) -> Step:
    """W6: 200 acting steps, then one REINFORCE update on the episode."""
    model = build_model(T, p)
    opt = make_optimizer(T, model, p)
    data = make_data(p)
    states, returns = data["x"], T.tensor(data["returns"])
    batch = T.tensor(states)
    rng = np.random.default_rng(7)
    F = T.nn.functional

    def step() -> Any:
        acts = np.empty(len(states), np.int64)
        with T.no_grad():
            for i in range(len(states)):
                probs = F.softmax(model(T.as_tensor(states[i:i + 1])), dim=-1)
                acts[i] = sample_action(probs.numpy()[0], rng.random())
        opt.zero_grad()
        logp = F.log_softmax(model(batch), dim=1)
        taken = logp.gather(1, T.as_tensor(acts).unsqueeze(1)).squeeze(1)
        loss = -(taken * returns).sum()
        loss.backward()
        opt.step()
        return loss
    step.model = model
    return step


def scalar_step(T: Any, p: Problem | None = None) -> Step:
    """W5: f = x**2 + y**3 on 0-d tensors, backward, grads reset each rep."""
    xv, yv = scalar_inputs()
    x = T.tensor(xv, requires_grad=True)
    y = T.tensor(yv, requires_grad=True)

    def step() -> Any:
        x.grad = None
        y.grad = None
        f = x ** 2 + y ** 3
        f.backward()
        return f
    step.inputs = (x, y)
    return step


def add_step(T: Any, p: Problem | None = None) -> Step:
    """Micro: x + y on 64x32 float32 tensors, no grad involved."""
    a, b = add_inputs()
    x, y = T.tensor(a), T.tensor(b)

    def step() -> Any:
        return x + y
    return step


BUILDERS: dict[str, Callable[[Any, Problem | None], Step]] = {
    "train": train_step, "infer": infer_step, "act": act_step,
    "reinforce": reinforce_step, "scalar": scalar_step, "add": add_step,
}


def to_numpy(v: Any) -> np.ndarray:
    """A contender's step result as a NumPy array (tensor, ndarray or Python number)."""
    if hasattr(v, "detach"):
        v = v.detach()
    if hasattr(v, "numpy"):
        return np.asarray(v.numpy())
    return np.asarray(v)
