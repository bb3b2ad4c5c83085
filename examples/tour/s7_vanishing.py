"""Section 7: vanishing gradients in a deep sigmoid network, and ReLU as the fix.

Both networks get the very same weights (He/Kaiming normal, zero biases) and data; only
the activation differs, so any difference in their gradients is the activation's doing.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .backend import F, nn, torch
from .common import Context, progress, seed_everything
from .s6_gradflow import make_rings

DEPTH, WIDTH = 10, 32


class DeepNet(nn.Module):
    """DEPTH hidden Linear layers with one activation, then a 2-way Linear head."""

    def __init__(self, activation: str) -> None:
        super().__init__()
        sizes = [2] + [WIDTH] * DEPTH
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.head = nn.Linear(WIDTH, 2)
        self.act = torch.sigmoid if activation == "sigmoid" else F.relu

    def forward(self, x):
        for layer in self.hidden:
            x = self.act(layer(x))
        return self.head(x)


def make_pair(seed: int) -> dict[str, DeepNet]:
    """A sigmoid net and a ReLU net holding identical He-initialised weights."""
    nets = {"sigmoid": DeepNet("sigmoid"), "relu": DeepNet("relu")}
    torch.manual_seed(seed)
    for layer in [*nets["relu"].hidden, nets["relu"].head]:
        nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
        nn.init.zeros_(layer.bias)
    nets["sigmoid"].load_state_dict(nets["relu"].state_dict())
    return nets


def layer_grad_norms(net: DeepNet, x, y) -> list[float]:
    """||dL/dW|| for each hidden layer, input side first, from one backward pass."""
    net.zero_grad()
    F.cross_entropy(net(x), y).backward()
    return [layer.weight.grad.norm().item() for layer in net.hidden]


def train(net: DeepNet, x, y, steps: int, name: str) -> list[float]:
    """Plain SGD, so a small gradient really means a small step."""
    opt = torch.optim.SGD(net.parameters(), lr=0.03)
    losses = []
    for step in range(1, steps + 1):
        loss = F.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        progress(step, steps, f"{name:<7} loss {losses[-1]:.4f}", every=max(1, steps // 3))
    return losses


def plot(ctx: Context, norms: dict[str, list[float]], losses: dict[str, list[float]]) -> None:
    fig, (ax_n, ax_l) = plt.subplots(1, 2, figsize=(11, 4))
    layers = np.arange(1, DEPTH + 1)
    for name, values in norms.items():
        ax_n.semilogy(layers, values, "o-", label=name)
        ax_l.plot(losses[name], label=name)
    ax_n.set(title=f"‖dL/dW‖ per layer at initialisation ({DEPTH} layers)",
             xlabel="hidden layer (1 = next to the input)", ylabel="gradient norm (log)",
             xticks=layers)
    ax_l.set(title="training loss with plain SGD (same weights, same data)",
             xlabel="step", ylabel="cross-entropy")
    ax_n.legend()
    ax_l.legend()
    fig.suptitle("Vanishing gradients: deep sigmoid network vs the same network with ReLU")
    fig.tight_layout()
    ctx.save(fig, "07_vanishing_gradients")


def run(ctx: Context) -> dict:
    rng = seed_everything(7)
    x_np, y_np = make_rings(rng)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    nets = make_pair(seed=7)
    norms = {name: layer_grad_norms(net, x, y) for name, net in nets.items()}
    for name, values in norms.items():
        print(f"    {name:<7} ||dL/dW|| layer 1..{DEPTH}: "
              + " ".join(f"{v:.1e}" for v in values))
    steps = ctx.steps(150, 10)
    losses = {name: train(net, x, y, steps, name) for name, net in nets.items()}
    plot(ctx, norms, losses)
    ratio = norms["sigmoid"][0] / norms["relu"][0]
    ctx.note(f"7. vanishing gradients, {DEPTH}-layer nets with identical weights: first-layer "
             f"grad norm sigmoid {norms['sigmoid'][0]:.1e} vs ReLU {norms['relu'][0]:.1e} "
             f"(ratio {ratio:.1e}); sigmoid last/first layer "
             f"{norms['sigmoid'][-1] / norms['sigmoid'][0]:.1e}"
             + (f"; SGD loss after {steps} steps sigmoid {losses['sigmoid'][-1]:.3f}, "
                f"ReLU {losses['relu'][-1]:.3f}" if steps else ""))
    return {"norms": norms, "losses": losses, "ratio": ratio}
