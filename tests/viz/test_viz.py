"""Graph drawing and the gradient-flow monitor."""

import re
import shutil
import warnings

import numpy as np
import pytest

import ember
from ember.viz import GradientMonitor, GradientWarning, draw_graph, to_dot


def _net():
    x = ember.tensor([[1.0, 2.0]])
    w = ember.tensor([[0.5], [-0.25]], requires_grad=True)
    b = ember.tensor([0.1], requires_grad=True)
    y = (x @ w + b).sigmoid().sum()
    return y, w, b


def _labels(dot: str) -> dict:
    return dict(re.findall(r'^\s*(\w+) \[label="([^"]*)"', dot, re.M))


def _edges(dot: str) -> list:
    return re.findall(r"^\s*(\w+) -> (\w+) \[label=\"([^\"]*)\"\]", dot, re.M)


def test_to_dot_nodes_edges_and_names():
    y, w, b = _net()
    dot = to_dot(y, params={"fc.weight": w, "fc.bias": b})
    labels = _labels(dot)
    ops = sorted(v for v in labels.values() if "Backward" in v)
    assert ops == ["AddBackward0", "MmBackward0", "SigmoidBackward0", "SumBackward0"]
    by_label = {v.split("\\n")[0]: k for k, v in labels.items()}
    assert "fc.weight" in by_label and "fc.bias" in by_label
    edges = {(labels[a].split("\\n")[0], labels[b].split("\\n")[0], s) for a, b, s in _edges(dot)}
    assert ("fc.weight", "MmBackward0", "(2, 1)") in edges
    assert ("MmBackward0", "AddBackward0", "(1, 1)") in edges
    assert ("fc.bias", "AddBackward0", "(1,)") in edges
    assert ("SumBackward0", "output", "()") in edges
    assert labels["out"] == "output\\n()\\nvalue " + f"{y.item():.4g}"


def test_to_dot_shows_values_and_grads_of_small_leaves():
    y, w, b = _net()
    y.backward()
    dot = to_dot(y, params={"w": w, "b": b})
    label = _labels(dot)
    wlab = next(v for v in label.values() if v.startswith("w\\n"))
    assert "value [0.5, -0.25]" in wlab
    assert f"grad [{w.grad[0, 0].item():.4g}, {w.grad[1, 0].item():.4g}]" in wlab
    big = ember.ones(10, 10, requires_grad=True)
    dot = to_dot((big * 2).sum())
    assert "value" not in next(v for v in _labels(dot).values() if v.startswith("tensor"))


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed (CI installs it)")
@pytest.mark.parametrize("ext", ["svg", "png"])
def test_draw_graph_renders(tmp_path, ext):
    y, w, b = _net()
    path = draw_graph(y, str(tmp_path / f"g.{ext}"), params={"w": w})
    data = open(path, "rb").read()
    assert data.startswith(b"\x89PNG") if ext == "png" else b"<svg" in data


def test_draw_graph_without_dot_names_the_package(monkeypatch, tmp_path):
    y, _, _ = _net()
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        draw_graph(y, str(tmp_path / "g.svg"))


class _TwoLayer:
    """A minimal model: anything with named_parameters() can be monitored."""

    def __init__(self, scale):
        rng = np.random.default_rng(0)
        self.w1 = ember.tensor(rng.normal(size=(3, 4)) * scale, dtype=ember.float32,
                               requires_grad=True)
        self.w2 = ember.tensor(rng.normal(size=(4, 1)), dtype=ember.float32,
                               requires_grad=True)

    def named_parameters(self):
        return [("fc1.weight", self.w1), ("fc2.weight", self.w2)]

    def __call__(self, x):
        return (x @ self.w1).sigmoid() @ self.w2


def test_monitor_records_mean_abs_and_norm_per_backward():
    model = _TwoLayer(1.0)
    mon = GradientMonitor(model)
    x = ember.ones(5, 3)
    for _ in range(3):
        model.w1.grad = model.w2.grad = None
        model(x).sum().backward()
    assert len(mon.history["fc1.weight"]) == 3
    rec = mon.history["fc2.weight"][-1]
    g = model.w2.grad.numpy()
    np.testing.assert_allclose(rec["mean_abs"], np.abs(g).mean(), rtol=1e-6)
    np.testing.assert_allclose(rec["norm"], np.linalg.norm(g), rtol=1e-6)
    mon.remove()
    model(x).sum().backward()
    assert len(mon.history["fc1.weight"]) == 3  # unhooked


def test_monitor_warns_on_vanishing_and_exploding():
    model = _TwoLayer(1.0)
    x = ember.ones(5, 3)
    with GradientMonitor(model, vanish_below=1e9):
        with pytest.warns(GradientWarning, match="vanishing gradient: 'fc1.weight'"):
            model(x).sum().backward()
    with GradientMonitor(model, vanish_below=0.0, explode_above=1e-9):
        with pytest.warns(GradientWarning, match="exploding gradient"):
            model(x).sum().backward()
    with GradientMonitor(model) as mon, warnings.catch_warnings():
        warnings.simplefilter("error")
        model(x).sum().backward()  # ordinary gradients: no warning
    assert len(mon.history["fc2.weight"]) == 1


def test_monitor_plot_returns_figure_and_writes_png(tmp_path):
    model = _TwoLayer(1.0)
    mon = GradientMonitor(model)
    for _ in range(2):
        model(ember.ones(2, 3)).sum().backward()
    fig = mon.plot(str(tmp_path / "flow.png"))
    assert (tmp_path / "flow.png").read_bytes().startswith(b"\x89PNG")
    assert len(fig.axes[0].lines) == 2
