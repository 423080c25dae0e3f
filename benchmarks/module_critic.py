"""A reader's own critic module: vmap or a loop over its copies, and a default call on MNIST.

Issue #29: ``estimate_mi(x, z, critic=module)`` trains ``n_critics`` copies of a
``torch.nn.Module`` at once (``minebook.ModuleCritic``). The copies' parameters are stacked;
``torch.func.vmap`` evaluates them in one call, or a Python loop calls them one by one. This
script times one training step (forward, backward, Adam) both ways, interleaved so that the
machine's load hits both alike, and the default call with chapter 13's CNN critic on the 5000
shipped MNIST digits (top half against bottom half):

    .venv/bin/python benchmarks/module_critic.py
    .venv/bin/python benchmarks/module_critic.py --write-readme   # the table in benchmarks/README.md

``ModuleCritic`` uses vmap, and the loop only for a module that vmap cannot run (BatchNorm
updating running statistics, ``.item()`` in ``forward``): the "chosen" column.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import torch
from torch import nn

import minebook as mb
from minebook.experiments import real_data as rd

if __package__ in (None, ""):  # run as `python benchmarks/NAME.py`: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import load, publish  # noqa: E402

MARKS = ("<!-- module-critic:start -->", "<!-- module-critic:end -->")


class PairMLP(nn.Module):
    """``T(x, z) = MLP([x, z])`` on flat inputs."""

    def __init__(self, dim: int, width: int = 64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                                 nn.Linear(width, 1))

    def forward(self, x, z):
        return self.net(torch.cat([x.flatten(1), z.flatten(1)], 1)).squeeze(-1)


def step_seconds(critic: mb.ModuleCritic, x, z, vectorized: bool, steps: int) -> float:
    """Seconds per training step of all copies, vmap (``vectorized``) or a loop."""
    critic.vectorized = vectorized
    opt = torch.optim.Adam(critic.parameters(), 1e-3)
    start = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        critic(x, z).sum().backward()
        opt.step()
    return (time.perf_counter() - start) / steps


def compare(name: str, module: nn.Module, x_shape, z_shape, k: int, rows: int, reps: int = 4, steps: int = 5):
    gens = [torch.Generator().manual_seed(j) for j in range(k)]
    critic = mb.ModuleCritic(module, x_shape, z_shape, k, gens)
    x = torch.randn(k, rows, *x_shape)
    z = torch.randn(k, rows, *z_shape)
    times = {True: [], False: []}
    for _ in range(reps):  # interleaved: load hits both alike
        for vectorized in (True, False):
            times[vectorized].append(step_seconds(critic, x, z, vectorized, steps))
    vmap, loop = min(times[True]), min(times[False])
    return (f"| {name} | {k} | {rows} | {1000 * vmap:.1f} | {1000 * loop:.1f} | {loop / vmap:.2f} | "
            f"{'vmap' if mb.ModuleCritic(module, x_shape, z_shape, k).vectorized else 'loop'} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--write-readme", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(min(2, torch.get_num_threads()))
    lines = [f"Training steps of K copies, {torch.get_num_threads()} threads; {load()}.", "",
             "| critic | K | rows per copy | vmap (ms/step) | loop (ms/step) | loop / vmap | chosen |",
             "|---|---|---|---|---|---|---|"]
    for args_ in (("CNN on two digit halves", rd.DigitHalvesCNN(), (14, 28), (14, 28), 3, 512),
                  ("MLP on 784 + 10 inputs", PairMLP(794), (784,), (10,), 3, 1024),
                  ("MLP on 5 + 5 inputs", PairMLP(10), (5,), (5,), 16, 128),
                  ("MLP on 5 + 5 inputs", PairMLP(10), (5,), (5,), 3, 1024)):
        lines.append(compare(*args_))
        print(lines[-1], flush=True)
    images, _ = rd.digits()
    x, y = rd.halves(images, 14)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        start = time.perf_counter()
        res = mb.estimate_mi(x, y, critic=rd.DigitHalvesCNN())
        seconds = time.perf_counter() - start
    lines += ["", f"Default `estimate_mi(x, y, critic=DigitHalvesCNN())` on the 5000 shipped digits (top "
              f"half against bottom half; {mb.estimate.MODULE_DEFAULTS}, 3 copies): {res.mi:.2f} nats "
              f"[{res.interval[0]:.2f}, {res.interval[1]:.2f}], {seconds:.0f} s."]
    text = "\n".join(lines)
    publish(text, MARKS, "## Custom critics (`module_critic.py`)\n\n", args.write_readme)
    return 0


if __name__ == "__main__":
    sys.exit(main())
