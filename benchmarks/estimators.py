"""Benchmark of minebook's estimators: batched ensemble vs a loop, and accuracy/time per estimator.

Run from the repository root::

    .venv/bin/python benchmarks/estimators.py                 # both parts, default threads
    .venv/bin/python benchmarks/estimators.py --threads 1     # one intra-op thread (busy machines)
    .venv/bin/python benchmarks/estimators.py --part a --loop-members 5
    .venv/bin/python benchmarks/estimators.py --write-readme  # also update the READMEs' tables

Part (a): K=20 Gaussian estimates (d=5, rho=0.5, batch 512, a 2x100 critic, 2000 steps) as one
stacked ensemble (``estimate_mi_many``) vs a Python loop of 20 ``estimate_mi`` calls with the
same settings, and the ensemble's cost per step against the machine's matmul throughput (a
large ``torch.mm``). Part (b): every estimator on d in {1, 5, 10} x rho in {0, 0.5, 0.9, 0.99}
with the defaults of ``estimate_mi`` (n = 20000, a quarter held out).

Both wall-clock and process CPU seconds are reported: on a shared machine wall time measures
the load as much as the code. With one intra-op thread (``--threads 1``) the CPU time is what
a free core would take; with more threads it also counts threads waiting for each other.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

import minebook as mb

if __package__ in (None, ""):  # run as `python benchmarks/NAME.py`: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import ROOT, load, write_section  # noqa: E402

START, END = "<!-- benchmark:start -->", "<!-- benchmark:end -->"


# ----------------------------------------------------------------------------- helpers
class Clock:
    """Wall and CPU seconds of a block."""

    def __enter__(self):
        self.w0, self.c0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.w0
        self.cpu = time.process_time() - self.c0


def matmul_gflops(size: int = 2048, reps: int = 5, rounds: int = 5) -> tuple[float, float]:
    """Best (wall, cpu) GFLOP/s of ``torch.mm`` on two ``size x size`` float32 matrices."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.mm(a, b)
    best_wall = best_cpu = 0.0
    for _ in range(rounds):
        with Clock() as c:
            for _ in range(reps):
                torch.mm(a, b)
        flops = 2 * size**3 * reps
        best_wall, best_cpu = max(best_wall, flops / c.wall / 1e9), max(best_cpu, flops / c.cpu / 1e9)
    return best_wall, best_cpu


#: Part (b)'s settings: ``estimate_mi``'s defaults when its recorded table was measured (2026-11-30),
#: pinned so that the table keeps its meaning (today's defaults follow n and the dimensions and
#: map inputs to normal scores: ``minebook.default_settings``).
SETTINGS_B = dict(hidden=(128, 128), preprocess="standardize", test_fraction=0.25)


def critic_flops_per_step(dx: int, dz: int, hidden, batch: int) -> float:
    """FLOPs of one training step of one concat critic: forward+backward ~ 3x the forward
    matmul FLOPs (2 * fan_in * fan_out per row and layer) over the joint and marginal batches
    (2 * batch rows). Elementwise work (activations, Adam) is not counted."""
    widths = [dx + dz, *hidden, 1]
    per_row = sum(2 * a * b for a, b in zip(widths[:-1], widths[1:], strict=True))
    return 3.0 * per_row * 2 * batch


def gemm_floor(k: int, dx: int, dz: int, hidden, batch: int, reps: int = 20, rounds: int = 3) -> tuple[float, float]:
    """Best (wall, cpu) seconds of just the matmuls of one ensemble step, with the critic's shapes.

    Forward ``h_{l+1} = h_l W_l`` for every layer, backward ``dW_l = h_l^T g_l`` for every
    layer and ``dh_l = g_l W_l^T`` for all but the first (the inputs need no gradient).
    """
    widths = [dx + dz, *hidden, 1]
    rows = 2 * batch
    hs = [torch.randn(k, rows, w) for w in widths]
    ws = [torch.randn(k, a, b) for a, b in zip(widths[:-1], widths[1:], strict=True)]

    def step():
        for i, w in enumerate(ws):
            torch.bmm(hs[i], w)
        for i, w in enumerate(ws):
            torch.bmm(hs[i].transpose(1, 2), hs[i + 1])
            if i > 0:
                torch.bmm(hs[i + 1], w.transpose(1, 2))

    step()
    best_wall = best_cpu = float("inf")
    for _ in range(rounds):
        with Clock() as c:
            for _ in range(reps):
                step()
        best_wall, best_cpu = min(best_wall, c.wall / reps), min(best_cpu, c.cpu / reps)
    return best_wall, best_cpu


def md_table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- part (a)
def part_a(args) -> str:
    k, d, rho, steps, batch, hidden = 20, 5, 0.5, args.steps_a, 512, (100, 100)
    n = 20_000
    pairs = [mb.correlated_gaussian(n, d, rho, seed=s) for s in range(k)]
    common = dict(steps=steps, batch_size=batch, hidden=hidden, estimator="mine", progress=False)
    print(f"\n## (a) K={k} critics, d={d}, batch {batch}, critic 2x100, {steps} steps ({load()})", flush=True)

    # Fixed costs (setup, held-out read-out) measured with one step, subtracted per step below.
    with Clock() as fixed_ens:
        mb.estimate_mi_many(pairs, **{**common, "steps": 1})
    peak_before = matmul_gflops()
    with Clock() as ens:
        res_ens = mb.estimate_mi_many(pairs, **common)
    peak_after = matmul_gflops()
    floor_wall, floor_cpu = gemm_floor(k, d, d, hidden, batch)
    peak_wall, peak_cpu = max(peak_before[0], peak_after[0]), max(peak_before[1], peak_after[1])

    members = min(args.loop_members, k)
    with Clock() as fixed_one:
        mb.estimate_mi(*pairs[0], n_critics=1, **{**common, "steps": 1})
    with Clock() as loop:  # one critic per call, as each ensemble member
        res_loop = [mb.estimate_mi(*pairs[j], seed=j, n_critics=1, **common) for j in range(members)]
    scale = k / members
    loop_wall, loop_cpu = loop.wall * scale, loop.cpu * scale

    flops = critic_flops_per_step(d, d, hidden, batch) * k
    step_wall = (ens.wall - fixed_ens.wall) / (steps - 1)
    step_cpu = (ens.cpu - fixed_ens.cpu) / (steps - 1)
    bound_wall, bound_cpu = flops / (peak_wall * 1e9), flops / (peak_cpu * 1e9)
    truth = mb.gaussian_mi(rho, d)
    err_ens = np.mean([abs(r.mi - truth) for r in res_ens])
    err_loop = np.mean([abs(r.mi - truth) for r in res_loop])
    extrapolated = f" (timed {members} of {k} calls, x{scale:g})" if members < k else ""

    rows = [
        ["one batched ensemble (estimate_mi_many)", f"{ens.wall:.1f}", f"{ens.cpu:.1f}", f"{err_ens:.3f}"],
        [f"loop of {k} estimate_mi calls{extrapolated}", f"{loop_wall:.1f}", f"{loop_cpu:.1f}", f"{err_loop:.3f}"],
        ["speed-up of the ensemble", f"{loop_wall / ens.wall:.1f}x", f"{loop_cpu / ens.cpu:.1f}x", ""],
    ]
    out = [md_table(["K=20 estimates", "wall s", "CPU s", f"mean abs error (truth {truth:.3f})"], rows)]
    rows = [
        ["torch.mm 2048x2048 float32 (GFLOP/s)", f"{peak_wall:.1f}", f"{peak_cpu:.1f}"],
        ["critic FLOPs per ensemble step (20 critics, 3x forward)", f"{flops / 1e9:.3f} G", f"{flops / 1e9:.3f} G"],
        ["lower bound per step at matmul throughput (ms)", f"{bound_wall * 1e3:.1f}", f"{bound_cpu * 1e3:.1f}"],
        ["the step's matmuls alone, same shapes (ms)", f"{floor_wall * 1e3:.1f}", f"{floor_cpu * 1e3:.1f}"],
        ["measured per ensemble step (ms)", f"{step_wall * 1e3:.1f}", f"{step_cpu * 1e3:.1f}"],
        ["achieved GFLOP/s", f"{flops / step_wall / 1e9:.1f}", f"{flops / step_cpu / 1e9:.1f}"],
        ["ratio measured / lower bound (target <= 1.5)", f"{step_wall / bound_wall:.2f}",
         f"{step_cpu / bound_cpu:.2f}"],
        ["one critic alone, per step (ms)", f"{(loop.wall / members - fixed_one.wall) / (steps - 1) * 1e3:.2f}",
         f"{(loop.cpu / members - fixed_one.cpu) / (steps - 1) * 1e3:.2f}"],
    ]
    out.append(md_table(["throughput", "wall", "CPU"], rows))
    text = "\n\n".join(out)
    print(text, flush=True)
    return text


# ----------------------------------------------------------------------------- part (b)
ESTIMATORS = tuple(mb.ESTIMATORS)  # every estimator of the book, in its order


def part_b(args) -> str:
    dims, rhos = (1, 5, 10), (0.0, 0.5, 0.9, 0.99)
    n = args.n_b
    print(f"\n## (b) every estimator, d in {dims}, rho in {rhos}, n={n}, {args.steps_b} steps ({load()})",
          flush=True)
    results = []  # dicts: d, rho, estimator, mi, truth, seconds, flagged
    for d in dims:
        pairs = [mb.correlated_gaussian(n, d, rho, seed=100 + i) for i, rho in enumerate(rhos)]
        truths = [mb.gaussian_mi(rho, d) for rho in rhos]
        for estimator in ESTIMATORS:
            with warnings.catch_warnings(record=True), Clock() as c:
                warnings.simplefilter("always")
                out = mb.estimate_mi_many(pairs, estimator=estimator, steps=args.steps_b, **SETTINGS_B)
            for rho, truth, r in zip(rhos, truths, out, strict=True):
                results.append(dict(d=d, rho=rho, estimator=estimator, mi=r.mi, truth=truth,
                                    seconds=r.seconds, flagged=bool(r.diverged)))
            print(f"  d={d:>2} {estimator:<12} " + "  ".join(f"{r.mi:6.2f}" for r in out)
                  + "   truth " + "  ".join(f"{t:6.2f}" for t in truths) + f"   {c.wall:.0f}s wall", flush=True)
    (ROOT / "benchmarks" / "last_run_b.json").write_text(json.dumps(dict(n=n, steps=args.steps_b, results=results),
                                                                   indent=1))
    text = render_b(results)
    print(text, flush=True)
    return text


def render_b(results) -> str:
    """Two markdown tables: estimate (error) per (d, rho) and estimator; seconds per (d, estimator)."""
    dims = sorted({r["d"] for r in results})
    rhos = sorted({r["rho"] for r in results})
    cell = {(r["d"], r["rho"], r["estimator"]): r for r in results}
    rows = []
    for d in dims:
        for rho in rhos:
            truth = next(r["truth"] for r in results if r["d"] == d and r["rho"] == rho)
            row = [d, rho, f"{truth:.2f}"]
            for e in ESTIMATORS:
                r = cell[d, rho, e]
                row.append(f"{r['mi']:.2f} ({r['mi'] - r['truth']:+.2f}){' !' if r['flagged'] else ''}")
            rows.append(row)
    text = md_table(["d", "rho", "truth", *ESTIMATORS], rows)
    text += ("\n\nEach cell: estimate in nats (error = estimate - truth). \"!\": the run was flagged as diverged"
             " (held-out estimate above log n_test = log 5000 = 8.52 nats, more than the sample supports, or NaN/inf)."
             "\n\n")
    rows = [[d, *[f"{np.mean([cell[d, rho, e]['seconds'] for rho in rhos]):.1f}" for e in ESTIMATORS]]
            for d in dims]
    text += md_table(["d", *ESTIMATORS], rows)
    text += ("\n\nSeconds per estimate: wall time of one `estimate_mi_many` call over the 4 correlations,"
             " divided by 4 (KSG: per call, on all n samples), averaged over the correlations.")
    return text


# ----------------------------------------------------------------------------- main
def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("a", "b", "both"), default="both")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--steps-a", type=int, default=2000)
    parser.add_argument("--loop-members", type=int, default=20,
                        help="time this many of the 20 loop calls and extrapolate (default: all 20)")
    parser.add_argument("--steps-b", type=int, default=mb.DEFAULTS["steps"])
    parser.add_argument("--n-b", type=int, default=20_000)
    parser.add_argument("--write-readme", action="store_true")
    parser.add_argument("--render-b", action="store_true",
                        help="only print part (b)'s tables again from benchmarks/last_run_b.json")
    args = parser.parse_args(argv)
    if args.render_b:
        print(render_b(json.loads((ROOT / "benchmarks" / "last_run_b.json").read_text())["results"]))
        return
    if args.threads:
        torch.set_num_threads(args.threads)
    header = (f"minebook benchmark: {platform.processor() or platform.machine()}, torch {torch.__version__}, "
              f"{torch.get_num_threads()} intra-op thread(s), {load()}, "
              f"{time.strftime('%Y-%m-%d %H:%M')}")
    print(header, flush=True)
    parts = [f"Machine: {header}. Command: `python benchmarks/estimators.py {' '.join(sys.argv[1:])}`."]
    if args.part in ("a", "both"):
        parts.append("### (a) Batched ensemble vs a loop\n\n" + part_a(args))
    if args.part in ("b", "both"):
        parts.append("### (b) Estimators on correlated Gaussians\n\n" + part_b(args))
    parts.append(f"Load at the end: {load()}.")
    if args.write_readme:
        intro = ("## Benchmark\n\nThe last run of `benchmarks/estimators.py` (what it measures and why: "
                 "[benchmarks/README.md](benchmarks/README.md)).\n\n")
        for path in (ROOT / "benchmarks" / "README.md", ROOT / "README.md"):
            write_section(path, "\n\n".join(parts), (START, END), heading=intro)


if __name__ == "__main__":
    main()
