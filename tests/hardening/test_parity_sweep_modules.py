"""Every nn layer class ember shares with torch, built with small arguments, given torch's
own parameters (through load_state_dict) and the first of a few input shapes that torch
accepts: the same output, the same gradients of sum(out * w) for the input and every
parameter, the same buffers after that forward (running statistics), and the same output
again in eval mode under no_grad, against PyTorch 2.13. (Losses, containers and layers
needing more than one input have their own tests.)"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest
import torch

import ember

ARGS = {"in_features": 3, "out_features": 4, "num_features": 4, "in_channels": 4,
        "out_channels": 4, "kernel_size": 3, "normalized_shape": 4, "num_embeddings": 5,
        "embedding_dim": 3, "input_size": 4, "hidden_size": 4, "d_model": 8, "nhead": 2,
        "embed_dim": 4, "num_heads": 2, "num_groups": 2, "num_channels": 4, "size": 4,
        "p": 0.0, "dim": 1, "output_size": 2, "scale_factor": 2, "upscale_factor": 2,
        "downscale_factor": 2, "padding": 1, "groups": 2, "lambd": 0.5, "beta": 1.0,
        "threshold": 0.1, "value": 0.0, "negative_slope": 0.1, "min_val": -1.0,
        "max_val": 1.0, "stride": 1, "dims": (1, 0), "start_dim": 1, "end_dim": -1,
        "unflattened_size": (2, 2), "alpha": 1.0, "k": 2.0, "num_parameters": 1,
        "shifts": 1, "eps": 1e-5, "norm_type": 2.0, "mode": "mean"}
# Random in training mode (their own tests check masks and rates), or built differently.
SKIP = {"Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
        "FeatureAlphaDropout", "RReLU", "Transformer", "TransformerEncoder",
        "TransformerDecoder", "RNNBase"}
SHAPES = [(2, 4), (2, 4, 6), (2, 4, 6, 6), (2, 4, 4, 4, 4), (6, 2, 4), (2, 3), (4,),
          (2, 4, 8)]


# Built with keywords the signature does not show (*args) or that have no usable default.
EXTRA = {"RNN": {"input_size": 4, "hidden_size": 4}, "LSTM": {"input_size": 4, "hidden_size": 4},
         "GRU": {"input_size": 4, "hidden_size": 4}, "Upsample": {"scale_factor": 2},
         "UpsamplingNearest2d": {"scale_factor": 2}, "UpsamplingBilinear2d": {"scale_factor": 2},
         "FractionalMaxPool2d": {"kernel_size": 2, "output_size": 2},
         "FractionalMaxPool3d": {"kernel_size": 2, "output_size": 2}}


def _kwargs(cls):
    if cls.__name__ in EXTRA:
        return dict(EXTRA[cls.__name__])
    try:
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    except (TypeError, ValueError):
        return None
    kw = {}
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name == "dropout":
            kw["dropout"] = 0.0  # deterministic, so outputs compare
        elif p.default is p.empty:
            if p.name not in ARGS:
                return None
            kw[p.name] = ARGS[p.name]
    return kw


def _input(name: str, shape: tuple, rng) -> np.ndarray:
    if name in ("Embedding", "EmbeddingBag"):
        return rng.integers(0, 5, (2, 3))
    return rng.standard_normal(shape).astype(np.float32)


def _fits(name: str, kw: dict):
    """The first input shape torch's layer takes, or None (containers, two-input layers)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            layer = getattr(torch.nn, name)(**kw)
        except Exception:
            return None
        for shape in SHAPES:
            try:
                out = layer(torch.tensor(_input(name, shape, np.random.default_rng(0))))
            except Exception:
                continue
            out = out[0] if isinstance(out, tuple) else out
            if isinstance(out, torch.Tensor):
                return shape
    return None


def _cases():
    out = []
    for name in sorted(dir(torch.nn)):
        cls = getattr(torch.nn, name)
        if not (inspect.isclass(cls) and issubclass(cls, torch.nn.Module)) or \
                not hasattr(ember.nn, name) or name in SKIP or "Loss" in name or "Lazy" in name:
            continue
        kw = _kwargs(cls)
        shape = None if kw is None else _fits(name, kw)
        if shape is not None:
            out.append((name, kw, shape))
    return out


CASES = _cases()


def _np(t):
    return None if t is None else t.detach().numpy().astype(float)


def _close(a, b) -> bool:
    if (a is None) != (b is None):
        return False
    return a is None or (a.shape == b.shape
                         and np.allclose(a, b, atol=5e-5, rtol=1e-4, equal_nan=True))


@pytest.mark.parametrize("name, kw, shape", CASES, ids=[c[0] for c in CASES])
def test_layer_matches_torch(name, kw, shape):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.manual_seed(0)
        theirs = getattr(torch.nn, name)(**kw)
        ours = getattr(ember.nn, name)(**kw)
        ours.load_state_dict({k: ember.tensor(v.detach().numpy())
                              for k, v in theirs.state_dict().items()})
        x = _input(name, shape, np.random.default_rng(0))
        floating = x.dtype.kind == "f"
        xt, xe = torch.tensor(x, requires_grad=floating), ember.tensor(x, requires_grad=floating)
        out_t, out_e = theirs(xt), ours(xe)
    out_t = out_t[0] if isinstance(out_t, tuple) else out_t
    out_e = out_e[0] if isinstance(out_e, tuple) else out_e
    assert _close(_np(out_t), _np(out_e)), f"{name} output"
    if out_t.requires_grad:
        w = np.linspace(0.5, 1.5, out_t.numel()).reshape(tuple(out_t.shape))
        (out_t * torch.tensor(w, dtype=out_t.dtype)).sum().backward()
        (out_e * ember.tensor(w, dtype=out_e.dtype)).sum().backward()
        pairs = [("input", xt.grad, xe.grad)] + [
            (k, p.grad, q.grad) for (k, p), (_, q)
            in zip(theirs.named_parameters(), ours.named_parameters())]
        for k, gt, ge in pairs:
            assert _close(_np(gt), _np(ge)), f"{name} gradient of {k}"
    for (k, bt), (k2, be) in zip(theirs.named_buffers(), ours.named_buffers()):
        assert k == k2 and _close(_np(bt), _np(be)), f"{name} buffer {k} after forward"
    theirs.eval()
    ours.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.no_grad():
            again_t = theirs(torch.tensor(x))
        with ember.no_grad():
            again_e = ours(ember.tensor(x))
    again_t = again_t[0] if isinstance(again_t, tuple) else again_t
    again_e = again_e[0] if isinstance(again_e, tuple) else again_e
    assert _close(_np(again_t), _np(again_e)), f"{name} output in eval mode, no_grad"


def test_the_sweep_covers_the_layer_families():
    """The probing above keeps most layers: a change that made it drop them would show."""
    names = {c[0] for c in CASES}
    assert len(CASES) >= 90
    assert {"Linear", "Conv2d", "BatchNorm1d", "LSTM", "GRU", "LayerNorm", "Embedding",
            "TransformerEncoderLayer", "MaxPool2d", "Upsample", "ReLU"} <= names
