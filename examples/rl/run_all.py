"""Train REINFORCE, A2C, PPO and DQN on CartPole-v1 and SAC on Pendulum-v1; print a table.

Each agent runs from its default seed with its stated step budget (see README.md) and
writes its learning curve to out/rl/<algo>.png.

    python examples/rl/run_all.py [--backend {ember,torch}] [--only ppo,dqn]
"""
from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from backend import BACKENDS  # noqa: E402

ALGOS = ("reinforce", "a2c", "ppo", "dqn", "sac")


def table(results: list[dict]) -> str:
    """Fixed-width summary: algorithm, solved?, env steps (of budget), episodes, wall time."""
    head = f"{'algorithm':<10} {'backend':<7} {'solved':<6} {'env steps':>9} {'budget':>8} " \
           f"{'episodes':>8} {'mean-N':>8} {'wall s':>7}"
    rows = [head, "-" * len(head)]
    for r in results:
        rows.append(f"{r['algo']:<10} {r['backend']:<7} {'yes' if r['solved'] else 'NO':<6} "
                    f"{r['env_steps']:>9} {r['max_steps']:>8} {r['episodes']:>8} "
                    f"{r.get('mean100', r.get('mean10')):>8.1f} {r['wall_s']:>7.1f}")
    rows.append("mean-N: mean return of the last 100 episodes (CartPole-v1, solved at 475) "
                "or of the last 10 (Pendulum-v1: sac, solved at -200)")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=BACKENDS, default="ember")
    parser.add_argument("--only", default=",".join(ALGOS),
                        help="comma-separated subset of " + ",".join(ALGOS))
    parser.add_argument("--quiet", action="store_true", help="no per-episode progress lines")
    args = parser.parse_args(argv)
    results = []
    start = time.perf_counter()
    for algo in args.only.split(","):
        if algo not in ALGOS:
            parser.error(f"unknown algorithm {algo!r}")
        agent = importlib.import_module(algo)
        extra = ["--quiet"] if args.quiet else []
        results.append(agent.train(["--backend", args.backend, *extra]))
    print()
    print(table(results))
    print(f"total wall time {time.perf_counter() - start:.1f}s; curves in out/rl/")
    return 0 if all(r["solved"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
