"""Where DQN's time goes inside the real training loop: examples/rl/dqn.py's loop with a
timer around each part, on ember, PyTorch and the hand-written NumPy agent (dqn_step.py's).

dqn_step.py times one update called over and over, with every cache warm. In the real loop
Gymnasium's CartPole, the replay buffer and five 128x128x128 products run between any two
calls of the library, so its Python code runs cold, and small operations cost two to three
times their isolated time (a 128-element Huber loss: ~10 us alone, ~30 us in the loop). This
script measures the loop as it runs. Each library runs in its own fresh interpreter, the
three take turns for --rounds rounds, and each part's median over the rounds is printed in
microseconds per environment step (parts that run every 4th step are divided by 4).

    python benchmarks/dqn_loop.py [--steps N] [--rounds R]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("act", "env", "sample", "train", "target")
LEARNING_STARTS = 1000  # dqn.HPARAMS["learning_starts"]: the parts are timed from there


def run_one(name: str, steps: int) -> dict:
    """One library's loop from the default seed; microseconds per env step for each part."""
    sys.path.insert(0, str(ROOT / "examples" / "rl"))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import dqn  # noqa: E402  (examples/rl)
    from common import CartPoles, init_linear, mlp, setup  # noqa: E402

    hp = dict(dqn.HPARAMS)
    # (the NumPy agent takes its initial weights from an ember network: the same numbers)
    args = argparse.Namespace(backend="ember" if name == "numpy" else name, seed=dqn.SEED)
    torch, rng = setup(args)
    sizes = [4, hp["hidden"], hp["hidden"], 2]
    qnet, target = mlp(torch, sizes, "ReLU"), mlp(torch, sizes, "ReLU")
    init_linear(torch, qnet, rng, [np.sqrt(2), np.sqrt(2), 1.0])
    target.load_state_dict(qnet.state_dict())
    params = list(qnet.parameters())
    pairs = list(zip(target.parameters(), params))
    opt = torch.optim.Adam(params, lr=hp["lr"])
    if name == "numpy":  # the same agent by hand, from the same initial weights
        from dqn_step import NumpyDQN  # noqa: E402

        agent = NumpyDQN([p.detach().numpy().copy() for p in params])
        act_fn = agent.act

        def train(batch):
            agent.b = batch
            agent.step()

        def update_target():
            for t, w in zip(agent.t, agent.w):
                t *= np.float32(1.0 - hp["tau"])
                t += np.float32(hp["tau"]) * w
    else:
        def act_fn(obs):
            with torch.no_grad():
                return qnet(torch.from_numpy(obs)).argmax().item()

        def train(batch):
            dqn.train_step(torch, qnet, target, opt, params, batch, hp)

        def update_target():
            dqn.update_target(torch, pairs, hp["tau"])
    buf = dqn.ReplayBuffer(hp["buffer"])
    env = CartPoles(1, dqn.SEED)
    total = dict.fromkeys(PARTS, 0.0)
    clock = time.perf_counter
    for step in range(1, steps + 1):
        obs = env.obs.copy()
        t0 = clock()
        if rng.random() < dqn.epsilon(step - 1, hp):
            act = int(rng.integers(2))
        else:
            act = act_fn(obs)
        t1 = clock()
        next_obs, rew, term, _, _ = env.step(np.array([act]))
        buf.add(obs[0], act, rew[0], next_obs[0], term[0])
        t2 = clock()
        if step < hp["learning_starts"]:
            continue
        total["act"] += t1 - t0
        total["env"] += t2 - t1
        if step % hp["train_every"] == 0:
            opt.param_groups[0]["lr"] = hp["lr"] * (1.0 - step / dqn.BUDGET)
            batch = buf.sample(hp["batch"], rng)
            t3 = clock()
            train(batch)
            t4 = clock()
            total["sample"] += t3 - t2
            total["train"] += t4 - t3
        if step % hp["target_every"] == 0:
            t5 = clock()
            update_target()
            total["target"] += clock() - t5
    counted = steps - hp["learning_starts"] + 1
    return {k: v / counted * 1e6 for k, v in total.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--one", help=argparse.SUPPRESS)  # a child: one library's loop
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, args.steps)))
        return 0
    names = ("ember", "torch", "numpy")
    runs: dict = {n: [] for n in names}
    for _ in range(args.rounds):
        for n in names:
            out = subprocess.run([sys.executable, __file__, "--one", n, "--steps",
                                  str(args.steps)], check=True, capture_output=True, text=True)
            runs[n].append(json.loads(out.stdout.splitlines()[-1]))
    med = {n: {k: statistics.median(r[k] for r in runs[n]) for k in PARTS} for n in names}
    print(f"DQN loop, us per environment step (median of {args.rounds} runs of {args.steps} "
          f"steps, from step {LEARNING_STARTS} on):")
    print("| part | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for k in PARTS + ("total",):
        row = [sum(med[n].values()) if k == "total" else med[n][k] for n in names]
        print(f"| {k} | " + " | ".join(f"{v:.1f}" for v in row) + " |")
    tot = {n: sum(med[n].values()) for n in names}
    print(f"ratios to torch per step: ember {tot['ember'] / tot['torch']:.3f}, "
          f"hand-written NumPy {tot['numpy'] / tot['torch']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
