# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -papermill,-execution,-ExecuteTime
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 12. Estimators side by side, and where they break
#
# MINE {cite}`belghazi2018mine` was the first of a family. Later work asked which member of the
# family to trust, and when. This chapter runs every estimator of `minebook` through the tests
# that later papers designed. The neural ones are MINE with the EMA correction, NWJ (MINE-f),
# InfoNCE, a JSD-trained critic with a DV read-out, and SMILE. The others are KSG and a Gaussian
# (CCA) baseline.
#
# 1. **The staircase** of {cite:t}`poole2019variational`: the true MI jumps from 2 to 10 nats
#    while the critics train. The estimators run with two critic architectures.
# 2. **Bias, variance and MSE** on the staircase. We also evaluate every bound with the *optimal*
#    critic, so that the estimator's own error is separated from the critic's. Two limits
#    follow: the variance of DV/NWJ grows with the MI {cite}`song2020understanding`, and no
#    distribution-free lower bound can exceed $O(\log n)$ {cite}`mcallester2020formal`.
# 3. **Non-Gaussian tasks with known MI** {cite}`czyz2023beyond`: invertible transforms of a
#    Gaussian, and the multivariate Student-t, whose MI we derive in closed form; then the book's
#    default `mb.estimate_mi(x, z)` on the same tasks: what its flags catch, and how often its
#    interval covers the truth.
# 4. **A permutation test**: is there any dependence at all?
# 5. A closing table of **practical guidance**, drawn from the measured tables.
#
# All MI values are in nats.
#
# ```{admonition} Key takeaways
# :class: tip
# - Every variational estimator trades bias for variance: MINE and NWJ grow noisy at large MI,
#   InfoNCE cannot exceed $\log B$.
# - No distribution-free lower bound exceeds $O(\log n)$; on non-Gaussian tasks every estimator
#   misses somewhere.
# - Flags, held-out intervals and permutation tests are what make a number trustworthy.
# ```

# %% tags=["parameters"]
budget = "full"
seed = 0

# %%
import math
import warnings

import matplotlib.pyplot as plt
import numpy as np
from tqdm import tqdm

import minebook as mb
from minebook.experiments import beyond_normal as bn
from minebook.experiments import staircase as sc

mb.plotting.setup()
mb.seed_everything(seed)  # the seeding contract: DEVELOPING.md, "Seeds"

# %% tags=["hide-input"]
cfg = {
    "full": dict(
        stair=dict(
            d=20,
            mi_levels=(2.0, 4.0, 6.0, 8.0, 10.0),
            steps_per_level=1500,
            batch_size=64,
            lr=5e-4,
            hidden=(64, 64),
            embed_dim=32,
        ),
        timing_steps=40,
        oracle_batches=1000,
        ceiling=dict(
            d=5,
            mi=10.0,
            ns=(256, 1024, 4096, 16384),
            n_seeds=3,
            steps=1000,
            batch_size=256,
            hidden=(64, 64),
        ),
        tasks=dict(n=5000, seeds=(0, 1, 2, 3), steps=1000, batch_size=128, hidden=(64, 64)),
        default={},
        mc_samples=200_000,
        perm=dict(
            n=2000,
            rhos=(0.0, 0.05, 0.1, 0.15, 0.2),
            n_datasets=10,
            n_permutations=19,
            mine=dict(steps=300, batch_size=256, hidden=(32, 32), preprocess="standardize"),
        ),
        strict=True,  # assert the chapter's claims (a smoke run is too short to)
    ),
    "smoke": dict(
        stair=dict(
            d=20,
            mi_levels=(2.0, 4.0, 6.0, 8.0, 10.0),
            steps_per_level=8,
            batch_size=64,
            lr=5e-4,
            hidden=(8,),
            embed_dim=4,
        ),
        timing_steps=3,
        oracle_batches=20,
        ceiling=dict(d=5, mi=10.0, ns=(256, 512), n_seeds=1, steps=5, batch_size=64, hidden=(8,)),
        tasks=dict(n=600, seeds=(0,), steps=5, batch_size=64, hidden=(8,)),
        default=dict(steps=20),
        mc_samples=5_000,
        perm=dict(
            n=300,
            rhos=(0.0, 0.2),
            n_datasets=2,
            n_permutations=4,
            mine=dict(steps=5, batch_size=64, hidden=(8,), preprocess="standardize"),
        ),
        strict=False,
    ),
}[budget]
ESTIMATORS = sc.STAIRCASE_ESTIMATORS
NAMES = {
    "mine": "MINE (EMA)",
    "mine_f": "NWJ",
    "infonce": "InfoNCE",
    "jsd": "JSD -> DV",
    "smile": "SMILE (tau=5)",
    "ksg": "KSG",
    "gaussian": "Gaussian (CCA)",
}
P = sc.POOLE_SETTINGS
mb.report.settings_table(cfg, budget)

# %% [markdown]
# ## The estimators, in one place
#
# Every neural estimator trains a critic $T(x, z)$ and reads out a bound. Joint samples come from
# $\mathbb{P}_{XZ}$ and marginal samples from $\mathbb{P}_X \otimes \mathbb{P}_Z$
# ([chapter 2](02_donsker_varadhan.ipynb)):
#
# $$
# \begin{aligned}
# I_{\mathrm{DV}}(T) &= \mathbb{E}_{\mathbb{P}_{XZ}}[T] - \log \mathbb{E}_{\mathbb{P}_X\otimes\mathbb{P}_Z}[e^{T}]
#   && \text{MINE: DV, EMA-corrected gradient}\\
# I_{\mathrm{NWJ}}(T) &= \mathbb{E}_{\mathbb{P}_{XZ}}[T] - \mathbb{E}_{\mathbb{P}_X\otimes\mathbb{P}_Z}[e^{T-1}]
#   && \text{NWJ (MINE-f)}\\
# I_{\mathrm{NCE}}(T) &= \log B + \frac{1}{B}\sum_{i=1}^{B}\Big[T(x_i, z_i) - \log \sum_{j=1}^{B} e^{T(x_i, z_j)}\Big]
#   && \text{InfoNCE}\\
# I_{\mathrm{SMILE}}(T) &= \mathbb{E}_{\mathbb{P}_{XZ}}[T]
#   - \log \mathbb{E}_{\mathbb{P}_X\otimes\mathbb{P}_Z}\big[e^{\operatorname{clip}(T, -\tau, \tau)}\big]
#   && \text{critic trained with JSD, } \tau = 5
# \end{aligned}
# $$
#
# "JSD -> DV" trains the critic with the Jensen-Shannon objective of Deep InfoMax
# {cite}`hjelm2019learning`, $\mathbb{E}_{\mathbb{P}}[-\mathrm{sp}(-T)] - \mathbb{E}_{\mathbb{Q}}[\mathrm{sp}(T)]$.
# Its optimal critic is $\log p/q$ as well, so the critic can be read out with $I_{\mathrm{DV}}$.
# SMILE {cite}`song2020understanding` is the same critic read out with clipped marginal scores.
#
# Each InfoNCE row term is at most $0$, because the diagonal score is one of the summands of its
# log-sum-exp. So **$I_{\mathrm{NCE}} \le \log B$ always**: with $B = 64$ the ceiling is 4.16 nats.
#
# Two critics {cite}`poole2019variational`:
# - the **concat** critic $T(x, z) = \mathrm{MLP}([x, z])$ is the statistics network of MINE. As
#   everywhere in this book, its marginal samples come from one in-batch shuffle of $z$ ($B$
#   marginal scores per batch). Only InfoNCE needs all $B^2$ scores $T(x_i, z_j)$. Poole et al.'s
#   code scores all $B^2$ pairs for every estimator. That costs about four times more per step
#   here, and the optimal-critic table of section 2 shows what the single shuffle changes.
# - the **separable** critic $T(x, z) = f(x)^\top g(z)$ gets all $B^2$ scores from one matrix product.
#   The $B(B-1)$ off-diagonal pairs serve as marginal samples for every estimator.

# %% [markdown]
# ## 1. The staircase
#
# Poole et al.'s benchmark: $x, \varepsilon \sim \mathcal{N}(0, I_{20})$ and
# $z = \rho x + \sqrt{1-\rho^2}\,\varepsilon$. The true MI is $-10 \log(1 - \rho^2)$. $\rho$ is stepped
# so that the MI is 2, 4, 6, 8 and 10 nats. Every step draws a fresh batch of 64 pairs (the data
# are unlimited), and we plot each estimator's value on the training batch, as the paper does. Their
# settings are 4000 steps per level (20,000 in all), Adam at $5\cdot 10^{-4}$, and critics with three
# hidden layers of 256 units.
#
# **What fits in our budget.** Five estimators times two critics make ten critics. We train them
# as *one* stacked ensemble (`minebook.experiments.staircase.run_staircase`): one concat and one separable
# critic, each with one member per estimator. Each step evaluates all members with batched
# matmuls. It computes each member's own objective on its slice of the outputs
# (`mb.batch_objective`) and takes one Adam step on the sum. The members share no parameters, so
# the sum trains each one on its own objective. The concat InfoNCE member needs $B^2 = 4096$ pair
# scores per step. `sc.concat_all_pairs` applies the first layer to the 64 rows of $x$ and of $z$
# separately and broadcasts the sum. The cell below measures what one step costs: each member
# trained alone, all ten stacked, and all ten with Poole's critics.


# %%
def per_step_ms(steps, **kw):
    """Wall-clock milliseconds per training step of a short staircase run (after a warm-up)."""
    sc.run_staircase(
        seed=seed, d=P["d"], mi_levels=(2.0,), steps_per_level=2, batch_size=P["batch_size"], **kw
    )
    res = sc.run_staircase(
        seed=seed,
        d=P["d"],
        mi_levels=(2.0,),
        steps_per_level=steps,
        batch_size=P["batch_size"],
        **kw,
    )
    return 1000 * res.seconds / steps


small = dict(hidden=cfg["stair"]["hidden"], embed_dim=cfg["stair"]["embed_dim"])
n_time = cfg["timing_steps"]
cost_single = {
    (e, c): per_step_ms(n_time, estimators=(e,), critics=(c,), **small)
    for c in ("concat", "separable")
    for e in ESTIMATORS
}
cost_all = per_step_ms(n_time, **small)
cost_poole = per_step_ms(max(2, n_time // 4), hidden=P["hidden"], embed_dim=P["embed_dim"])
total_steps = len(cfg["stair"]["mi_levels"]) * cfg["stair"]["steps_per_level"]
print(f"per-step cost, hidden {small['hidden']}, each member trained alone (ms):")
for c in ("concat", "separable"):
    print(f"  {c:9s} " + "  ".join(f"{NAMES[e]} {cost_single[(e, c)]:.1f}" for e in ESTIMATORS))
print(
    f"ten separate loops: {sum(cost_single.values()):.1f} ms/step; all ten stacked: "
    f"{cost_all:.1f} ms/step"
)
print(f"all ten stacked with Poole's hidden {P['hidden']}: {cost_poole:.1f} ms/step")
print(
    f"Poole's 20,000 steps: ~{20_000 * cost_poole / 1000:.0f} s with their critics, "
    f"~{20_000 * cost_all / 1000:.0f} s with ours; we run {total_steps} steps: "
    f"~{total_steps * cost_all / 1000:.0f} s"
)


# %% [markdown]
# The printed costs set our settings. On two CPU cores, Poole's 20,000 steps with their critics
# would take many minutes, and this whole chapter must run in a few (its time is under the
# title). We pull three levers.
#
# 1. **Stacking.** Most members cost little more than the Python and autograd overhead of a step,
#    and stacking pays that overhead once instead of ten times. In our runs the stacked step cost
#    between half and two thirds of ten separate loops.
# 2. **Smaller critics:** two hidden layers of 64 units (separable embeddings of 32) instead of
#    three of 256. The concat InfoNCE member, with its 4096 pair scores per step, is the most
#    expensive member, and its cost grows with the square of the width.
# 3. **Fewer steps: 1500 per level instead of 4000.** We keep batch 64 and Adam at
#    $5\cdot 10^{-4}$ as in the paper. Shorter levels mainly cut the time a critic has to adapt
#    after each jump, so we compute the statistics on the second half of each level only.

# %%
stair = sc.run_staircase(seed=seed, progress=True, **cfg["stair"])
B = cfg["stair"]["batch_size"]
log_b = math.log(B)
steps = np.arange(len(stair.true_mi))
window = max(1, cfg["stair"]["steps_per_level"] // 20)

fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for ax, critic in zip(axes, ("concat", "separable"), strict=True):
    for est in ESTIMATORS:
        v = stair.member(est, critic)
        ax.plot(steps, v, color=mb.plotting.COLORS[est], alpha=0.15, lw=0.5)
        ax.plot(
            steps,
            mb.plotting.smooth(v, window),
            color=mb.plotting.COLORS[est],
            lw=1.5,
            label=NAMES[est],
        )
    ax.plot(steps, stair.true_mi, color="black", lw=1.5, ls="--", label="true MI")
    ax.axhline(
        log_b, color=mb.plotting.COLORS["infonce"], ls=":", lw=1.2, label=f"log B = {log_b:.2f}"
    )
    ax.set(title=f"{critic} critic", xlabel="training step", ylim=(-2, 16))
axes[0].set_ylabel("estimate on the training batch (nats)")
axes[1].legend(loc="upper left", fontsize=8)
plt.tight_layout()
plt.show()

# %%
infonce_max = max(float(np.max(stair.member("infonce", c))) for c in ("concat", "separable"))
stair_nce_ok = infonce_max <= log_b + 1e-5  # I_NCE <= log B; checked at the end of the chapter
assert np.all(
    np.isfinite(stair.estimates[:, [i for i, m in enumerate(stair.members) if m[0] != "mine_f"]])
), "a DV-type staircase estimate became NaN/inf"
print(
    f"largest InfoNCE value over {len(steps)} steps and both critics: {infonce_max:.3f} nats "
    f"<= log {B} = {log_b:.3f}"
)

# %% [markdown]
# The staircase shows three behaviours.
#
# - **InfoNCE** is the smoothest curve, but it flattens under $\log 64 = 4.16$ nats (dotted). The
#   assert above checks that no InfoNCE value, at any step, with either critic, exceeds $\log B$.
# - **MINE and NWJ** follow the steps at first and get noisier as the MI grows. With the concat
#   critic, MINE ends within 2.5 nats of the truth and NWJ further below (both asserted). NWJ is the
#   noisiest: with both critics it has the highest peak variance of all members (asserted). Its
#   $e^{T-1}$ term is an unnormalised average of exponentials, and it spikes whenever a batch holds
#   a large marginal score.
# - **JSD -> DV and SMILE** get furthest up the staircase. With the concat critic they even go
#   *above* the truth at high MI. With the separable critic they stay below it. The reason for the
#   overshoot is in the read-out, not the critic: a DV value computed
#   on a batch is biased *upwards*. By Jensen's inequality,
#   $\mathbb{E}[\log \hat Z] \le \log \mathbb{E}[\hat Z] = \log Z$ for the batch estimate
#   $\hat Z = \frac{1}{M}\sum_j e^{T_j}$ of the partition term. At high MI, $Z$ is dominated by rare
#   marginal pairs that a batch almost never contains (the oracle table below measures this). The
#   separable critic averages over $B(B-1) = 4032$ marginal pairs, not $64$, so its partition
#   estimate is less biased. Its embeddings are also a weaker function class, and the two effects
#   pull its curves down.

# %% [markdown]
# ## 2. Bias, variance and MSE
#
# For each member and level we take the estimates of the second half of the level. Their mean
# minus the truth is the **bias**, and their variance across steps is the **variance** (nats²).
# The **MSE** is bias² + variance. This is the protocol of {cite:t}`song2020understanding`, on
# our shorter staircase.

# %%
stats = sc.level_stats(stair, tail=0.5)
levels = np.array(stair.levels)
members = stair.members
header = f"{'estimator':15s} {'critic':9s} | " + " ".join(
    f"{'I=' + format(lv, 'g'):>17s}" for lv in levels
)
print("mean estimate / bias / variance / MSE per level (nats, nats^2)")
print(header)
print("-" * len(header))
for m in members:
    s = stats[m]
    cells = " ".join(f"{s[i, 0]:5.2f}/{s[i, 1]:+5.2f}/{s[i, 2]:4.2f}" for i in range(len(levels)))
    print(f"{NAMES[m[0]]:15s} {m[1]:9s} | {cells}")
print()
print(f"{'MSE':25s} | " + " ".join(f"{'I=' + format(lv, 'g'):>8s}" for lv in levels))
for m in members:
    print(f"{NAMES[m[0]] + ' / ' + m[1]:25s} | " + " ".join(f"{v:8.2f}" for v in stats[m][:, 3]))

# %% tags=["hide-input"]
fig, axes = plt.subplots(1, 3, figsize=(7.4, 5.2))
for m in members:
    est, critic = m
    kw = dict(
        color=mb.plotting.COLORS[est],
        ls="-" if critic == "concat" else "--",
        marker="o",
        ms=3,
        label=f"{NAMES[est]}, {critic}",
    )
    axes[0].plot(levels, stats[m][:, 1], **kw)
    axes[1].semilogy(levels, stats[m][:, 2], **kw)
    axes[2].semilogy(levels, stats[m][:, 3], **kw)
axes[0].axhline(0, color="black", lw=0.8)
axes[0].set(xlabel="true MI (nats)", ylabel="bias (nats)", title="bias")
axes[1].set(xlabel="true MI (nats)", ylabel="variance (nats²)", title="variance across steps")
axes[2].set(xlabel="true MI (nats)", ylabel="MSE (nats²)", title="MSE")
handles, labels = axes[2].get_legend_handles_labels()
fig.legend(handles, labels, fontsize=9, ncol=2, loc="lower center")  # below the panels
plt.tight_layout(rect=(0, 0.3, 1, 1))
plt.show()


# %%
def s_at(est, critic, col, level):
    return stats[(est, critic)][list(levels).index(level), col]


def hi_mse(m):
    """Mean MSE of member m over the levels of 8 nats and more."""
    return float(np.mean([s_at(*m, 3, lv) for lv in levels if lv >= 8]))


lo, hi = levels[0], levels[-1]
var_ratio = {m: s_at(*m, 2, hi) / s_at(*m, 2, lo) for m in members}
best_hi = min(members, key=hi_mse)
variance_ok = False  # True once every assert below has passed (checked at the end)
if cfg["strict"]:
    for critic in ("concat", "separable"):
        for est in ("mine", "mine_f"):
            assert var_ratio[(est, critic)] > 3, (
                f"{est}/{critic}: variance grew only x{var_ratio[(est, critic)]:.1f} from {lo:g} "
                f"to {hi:g} nats"
            )
        assert var_ratio[("infonce", critic)] < 1, f"InfoNCE/{critic}: variance grew with the MI"
        assert s_at("smile", critic, 2, hi) < s_at("jsd", critic, 2, hi), (
            f"{critic}: SMILE's clipping did not lower the variance of the DV read-out at {hi:g} "
            "nats"
        )
        assert s_at("infonce", critic, 1, hi) < -(hi - log_b) + 0.5, (
            "InfoNCE was not stuck under log B"
        )
        others = [e for e in ESTIMATORS if e != "infonce"]
        assert all(s_at("infonce", critic, 2, hi) < s_at(e, critic, 2, hi) for e in others), (
            f"{critic}: InfoNCE does not have the smallest variance at {hi:g} nats"
        )
        peak = {e: stats[(e, critic)][:, 2].max() for e in ESTIMATORS}
        assert max(peak, key=peak.get) == "mine_f", (
            f"{critic}: NWJ does not have the highest peak variance"
        )
        sign = 1 if critic == "concat" else -1
        for est in ("jsd", "smile"):
            assert sign * s_at(est, critic, 1, hi) > 0, (
                f"{est}/{critic}: unexpected sign of the bias at {hi:g} nats"
            )
    assert best_hi[0] == "smile", f"lowest MSE at 8-10 nats: {best_hi}, not SMILE"
    assert s_at("mine", "concat", 1, hi) > -2.5, (
        "MINE (concat) ended more than 2.5 nats under the truth"
    )
    assert s_at("mine_f", "concat", 1, hi) < s_at("mine", "concat", 1, hi), (
        "NWJ (concat) ended above MINE"
    )
    variance_ok = True
for m in members:
    print(
        f"{NAMES[m[0]]:15s} {m[1]:9s} variance at {hi:g} nats / at {lo:g} nats: "
        f"x{var_ratio[m]:<8.1f} "
        f"mean MSE at 8-10 nats: {hi_mse(m):.2f}"
    )
print(f"lowest MSE at 8-10 nats: {NAMES[best_hi[0]]}, {best_hi[1]} critic")

# %% [markdown]
# The table and the figure show the trade-off that {cite:t}`song2020understanding` describe.
#
# - **InfoNCE has the smallest variance** of all (asserted for both critics), and its variance
#   *falls* as the MI grows. It is pinned to its ceiling, so its bias is roughly $\log B - I$, the
#   worst at high MI.
# - **The variance of MINE and NWJ grows** with the MI (the asserts check growth by more than a
#   factor of 3 from 2 to 10 nats, with both critics). For the optimal critic this growth is a
#   theorem. Take NWJ with $T^\star = 1 + \log r$, $r = p/q$, and $M$ independent marginal samples.
#   The partition term is a mean of $r$, with variance $\mathrm{Var}_{\mathbb{Q}}[r]/M$, and
#   $\mathrm{Var}_{\mathbb{Q}}[r] = \mathbb{E}_{\mathbb{Q}}[r^2] - 1 = \mathbb{E}_{\mathbb{P}}[r] - 1
#   \ge e^{\mathbb{E}_{\mathbb{P}}[\log r]} - 1 = e^{I} - 1$ by Jensen's inequality. For our Gaussians $\mathbb{E}_{\mathbb{P}}[r] = (1-\rho^2)^{-d} = e^{2I}$
#   exactly. At $I = 10$ nats and $M = 64$ that is a standard deviation of $e^{10}/8 \approx 2750$
#   nats. The trained critics avoid this only by staying *below* the optimum, which is bias.
# - **SMILE's clipping** at $\tau = 5$ bounds $e^{T}$ by $e^5$ in the partition term. With both
#   critics it lowers the variance of the DV read-out of the same JSD-trained critic at 10 nats
#   (asserted). With the separable critic, SMILE has the lowest MSE of all ten members at 8-10
#   nats (asserted for SMILE). This is the trade-off Song and Ermon recommend $\tau = 5$ for. It
#   is still biased by a nat or more, and with the concat critic it overshoots.

# %% [markdown]
# ### The same bounds with the optimal critic
#
# Training confounds two errors: the critic's and the estimator's. We remove the critic's by
# evaluating each bound with the *true* log density ratio $T^\star = \log r$ (plus 1 for NWJ) on
# batches of 64 staircase samples (`sc.oracle_bounds`). Any bias or spread left belongs to the
# estimator itself. We use two sets of marginal samples, the 64 pairs of one shuffle (concat
# critic) and all 4032 off-diagonal pairs (separable critic).

# %%
oracle = {lv: sc.oracle_bounds(lv, P["d"], B, cfg["oracle_batches"], seed=seed) for lv in levels}
cols = [
    ("dv_shuffle", "DV, 64 shuffled"),
    ("dv_pairs", "DV, 4032 pairs"),
    ("nwj_shuffle", "NWJ, 64 shuffled"),
    ("nwj_pairs", "NWJ, 4032 pairs"),
    ("infonce", "InfoNCE"),
]
print(f"optimal critic, {cfg['oracle_batches']} batches of {B}: mean (sd) of the estimate, nats")
print(f"{'true MI':>8s} | " + " | ".join(f"{name:>16s}" for _, name in cols))
for lv in levels:
    print(
        f"{lv:8.0f} | "
        + " | ".join(f"{oracle[lv][k].mean():8.2f} ({oracle[lv][k].std():5.2f})" for k, _ in cols)
    )
dv_over = oracle[hi]["dv_shuffle"].mean() - hi
nwj_sd_growth = oracle[hi]["nwj_shuffle"].std() / oracle[lo]["nwj_shuffle"].std()
oracle_nce_ok = np.all(np.concatenate([oracle[lv]["infonce"] for lv in levels]) <= log_b + 1e-9)
oracle_ok = False  # True once every assert below has passed (checked at the end)
if cfg["strict"]:
    assert dv_over > 2, (
        f"DV with the optimal critic and 64 shuffled marginals overshot only {dv_over:.2f} nats"
    )
    assert nwj_sd_growth > 5, f"NWJ's spread with the optimal critic grew only x{nwj_sd_growth:.1f}"
    assert abs(oracle[lo]["nwj_pairs"].mean() - lo) < 0.1, (
        "NWJ with the optimal critic is biased at 2 nats"
    )
    assert oracle[hi]["dv_pairs"].mean() > hi + 0.5, (
        "DV with the optimal critic and 4032 pairs did not overshoot"
    )
    oracle_ok = True

# %% [markdown]
# The table isolates the estimators:
#
# - **DV with the optimal critic over-estimates**, by several nats at 10 nats with 64 shuffled
#   marginals (asserted: more than 2). This is the Jensen bias of the batch partition estimate,
#   and it explains the concat JSD/SMILE overshoot above: a JSD-trained critic approaches $\log r$,
#   and the concat critic's single shuffle gives 64 marginal samples. With 4032 pairs the overshoot
#   shrinks but does not vanish (more than half a nat at 10 nats, asserted). A DV value computed on
#   a batch is therefore not a lower bound on the MI, even with the best possible critic.
# - **NWJ with the optimal critic is unbiased on average**, but its spread explodes with the MI
#   (asserted: more than 5 times larger at 10 nats than at 2). Even so, the measured spread is far
#   below the $e^{10}/8$ of the formula above. The sample spread is itself unreliable:
#   for one coordinate pair, $\mathbb{E}_{\mathbb{Q}}[r^k]$ is finite only for $k < 1 + 1/\rho$. So the
#   fourth moment, which fixes how well a sample variance estimates the true one, is infinite for
#   every level of the staircase ($\rho \ge 1/3$). Rare huge values of $r$ carry the variance, and
#   1000 batches mostly miss them.
# - **InfoNCE with the optimal critic** is still capped at $\log B$. The cap comes from the
#   estimator, not from a weak critic.

# %% [markdown]
# ### The $O(\log n)$ ceiling
#
# {cite:t}`mcallester2020formal` prove a general version of the InfoNCE cap: *no* distribution-free
# lower bound on the MI that holds with high confidence can exceed $O(\log n)$ from $n$ samples. If
# the MI is large, the joint puts its mass on a region that the product of the marginals almost
# never visits. Proving with $n$ samples that this region is that rare is impossible. So an
# estimate far above $\log n$ is either wrong or not a lower bound.
#
# We check this on a 5-dimensional Gaussian with $I = 10$ nats ($\rho = 0.991$) for
# $n$ = 256, 1024, 4096 and 16384 samples:
# - KSG on the $n$ samples;
# - InfoNCE with the **optimal critic** on all $n$ samples at once, the best any InfoNCE critic
#   could do (`sc.oracle_infonce`);
# - MINE (EMA, concat critic) trained on three quarters of the samples and read out on the held-out
#   quarter, with 3 seeds;
# - the Gaussian (CCA) baseline, $-\frac{1}{2}\sum_i \log(1 - \hat r_i^2)$ over the sample canonical
#   correlations. It is *not* distribution-free: it assumes the data are Gaussian.

# %%
cc = cfg["ceiling"]
rho_c = mb.rho_for_mi(cc["mi"], cc["d"])
ns = np.array(cc["ns"])
ceiling = {"ksg": [], "gaussian": [], "oracle_infonce": [], "mine": [], "mine_flagged": []}
for i, n in enumerate(ns):
    pairs = [
        mb.correlated_gaussian(int(n), cc["d"], rho_c, seed=1000 * seed + 100 * i + s)
        for s in range(cc["n_seeds"])
    ]
    x, z = pairs[0]  # the baselines read the data of MINE's first seed
    ceiling["ksg"].append(mb.ksg(x, z))
    ceiling["gaussian"].append(mb.checks.gaussian_baseline_mi(x, z))
    ceiling["oracle_infonce"].append(sc.oracle_infonce(x, z, rho_c))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the log(n_test) flag: counted below
        res = mb.estimate_mi_many(
            pairs,
            estimator="mine",
            seed=seed,
            steps=cc["steps"],
            hidden=cc["hidden"],
            batch_size=min(cc["batch_size"], int(0.75 * n)),
            desc=f"MINE n={n}",
            preprocess="standardize",
        )
    ceiling["mine"].append([r.mi for r in res])
    ceiling["mine_flagged"].append(sum(r.diverged for r in res))
ceiling = {k: np.array(v) for k, v in ceiling.items()}

fig, ax = plt.subplots(figsize=(6.4, 4))
ax.semilogx(ns, np.log(ns), color="black", ls=":", label="log n")
mb.plotting.plot_truth(ax, cc["mi"])
ax.semilogx(
    ns, ceiling["gaussian"], "o-", color=mb.plotting.COLORS["gaussian"], label=NAMES["gaussian"]
)
ax.semilogx(
    ns,
    ceiling["oracle_infonce"],
    "s-",
    color=mb.plotting.COLORS["infonce"],
    label="InfoNCE, optimal critic",
)
ax.semilogx(ns, ceiling["ksg"], "^-", color=mb.plotting.COLORS["ksg"], label="KSG (k = 3)")
ax.semilogx(
    ns,
    ceiling["mine"].mean(axis=1),
    "d-",
    color=mb.plotting.COLORS["mine"],
    label="MINE (EMA), seed mean",
)
for j in range(ceiling["mine"].shape[1]):
    ax.semilogx(ns, ceiling["mine"][:, j], ".", color=mb.plotting.COLORS["mine"], alpha=0.6)
ax.set(
    xlabel="number of samples n",
    ylabel="estimate (nats)",
    title=f"{cc['d']}-d Gaussian, true MI {cc['mi']:g} nats",
)
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(0.0, 0.95))
fig.tight_layout()
plt.show()

print(
    f"{'n':>6s} {'log n':>6s} {'Gaussian':>9s} {'InfoNCE*':>9s} {'KSG':>6s} "
    f"{'MINE (seeds)':>22s}  flagged"
)
for i, n in enumerate(ns):
    print(
        f"{n:6d} {math.log(n):6.2f} {ceiling['gaussian'][i]:9.2f} "
        f"{ceiling['oracle_infonce'][i]:9.2f} "
        f"{ceiling['ksg'][i]:6.2f} {' '.join(f'{v:6.2f}' for v in ceiling['mine'][i]):>22s}  "
        f"{ceiling['mine_flagged'][i]}"
    )

# %%
oracle_nce_ok = oracle_nce_ok and np.all(ceiling["oracle_infonce"] <= np.log(ns) + 1e-6)
ceiling_ok = False  # True once every assert below has passed (checked at the end)
if cfg["strict"]:
    assert np.all(ceiling["ksg"] < np.log(ns)), "KSG above log n"
    assert abs(ceiling["gaussian"][-1] - cc["mi"]) < 0.15, (
        "the Gaussian baseline missed the truth at the largest n"
    )
    assert np.all(ceiling["mine"].mean(axis=1) < cc["mi"] - 1), (
        "MINE reached the truth: no ceiling to show"
    )
    assert ceiling["mine"][0].mean() > math.log(ns[0]) and ceiling["mine_flagged"][0] >= 1, (
        "MINE's DV read-out did not overshoot log n at the smallest n"
    )
    ceiling_ok = True

# %% [markdown]
# All the distribution-free estimators stay far below 10 nats.
#
# - **InfoNCE** is below $\log n$ by construction (asserted), even with the optimal critic.
# - **KSG** stays below $\log n$ at every $n$ (asserted). Its neighbour counts cannot resolve a
#   dependence finer than the spacing of $n$ points.
# - **MINE** stays more than a nat below the truth at every $n$ (asserted). At the smallest $n$ its
#   DV read-out lands *above* $\log n$ (asserted). This is the upward Jensen bias of the partition
#   term on a few dozen held-out points, and the three seeds scatter widely. `estimate_mi` flags
#   such estimates (the "flagged" column counts runs above $\log n_{\text{test}}$), because a value
#   above $\log n$ cannot be a high-confidence lower bound.
# - **The Gaussian baseline** goes through the ceiling and hits the truth (asserted within 0.15
#   nats). It knows the data are Gaussian, so the theorem does not apply to it. The next section
#   shows the price of that assumption.

# %% [markdown]
# ## 3. Beyond normal: non-Gaussian tasks with known MI
#
# {cite:t}`czyz2023beyond` build benchmarks whose MI is known without being Gaussian. Two
# constructions give them, and `minebook.experiments.beyond_normal` implements both from their definitions.
#
# **Invertible transforms keep the MI.** Let $f$ and $g$ be differentiable bijections. The joint
# density of $(f(X), g(Z))$ is $p(x, z)/(|J_f(x)|\,|J_g(z)|)$ and the marginals pick up the same
# Jacobians, so the ratio $p(x,z)/(p(x)p(z))$ and its expectation, the MI, do not change. Our
# transforms act on a "2-pair" Gaussian in $3 \times 3$ dimensions: $(x_1, z_1)$ and $(x_2, z_2)$ have
# correlation $0.8$ and the rest are independent, so $I = -\log(1 - 0.8^2) = 1.02$ nats. We apply
# to both $x$ and $z$:
# - **half-cube** $a \mapsto a|a|^{1/2}$ (heavier tails), **asinh** (lighter tails) and the
#   **normal CDF** $\Phi$ (uniform marginals), coordinate-wise;
# - the **spiral**: rotate $a$ in its first two coordinates by the angle $0.5\,\|a\|^2$. A rotation
#   keeps $\|a\|$, so the inverse rotates back by the same angle.
#
# **The multivariate Student-t.** Let $(X, Z) = G/\sqrt{U/\nu}$ with $G \sim \mathcal{N}(0, \Sigma)$ and
# one $U \sim \chi^2_\nu$ shared by $X$ and $Z$. Its marginals are Student-t with the same $\nu$ and
# the diagonal blocks of $\Sigma$. The entropy of a $k$-dimensional $t_\nu(0, S)$
# {cite}`arellano2013shannon` is
#
# $$
# \begin{aligned}
# h_k ={}& \tfrac{1}{2}\log\det S + \tfrac{k}{2}\log(\nu\pi) + \log\Gamma\big(\tfrac{\nu}{2}\big)
#   - \log\Gamma\big(\tfrac{\nu+k}{2}\big) \\
#   &+ \tfrac{\nu+k}{2}\Big[\psi\big(\tfrac{\nu+k}{2}\big) - \psi\big(\tfrac{\nu}{2}\big)\Big].
# \end{aligned}
# $$
#
# In $I = h_m + h_n - h_{m+n}$ (dimensions $m$ and $n$) the $\log(\nu\pi)$ terms cancel, and the
# $\log\det$ terms give the MI of the Gaussian with covariance $\Sigma$. What is left depends only
# on $\nu$, $m$ and $n$:
#
# $$
# \begin{aligned}
# I_t ={}& I_{\mathcal{N}}(\Sigma) + \log\Gamma\big(\tfrac{\nu}{2}\big) + \log\Gamma\big(\tfrac{\nu+m+n}{2}\big)
#  - \log\Gamma\big(\tfrac{\nu+m}{2}\big) - \log\Gamma\big(\tfrac{\nu+n}{2}\big) \\
#  &+ \tfrac{\nu+m}{2}\psi\big(\tfrac{\nu+m}{2}\big) + \tfrac{\nu+n}{2}\psi\big(\tfrac{\nu+n}{2}\big) \\
#  &- \tfrac{\nu+m+n}{2}\psi\big(\tfrac{\nu+m+n}{2}\big) - \tfrac{\nu}{2}\psi\big(\tfrac{\nu}{2}\big).
# \end{aligned}
# $$
#
# Czyż et al. compute it the same way, from the three entropies. The correction is positive. Even with $\Sigma = I$, $X$ and $Z$ are dependent through the shared
# scale $U$, and the correction vanishes as $\nu \to \infty$. We use $\nu = 2$ (infinite variance)
# with the 2-pair $\Sigma$, asinh of that Student-t, and a Student-t with $\Sigma = I$. The last one
# has no correlation at all, and its MI is the correction alone.

# %%
tasks = bn.beyond_normal_tasks(dim=3, rho=0.8, df=2.0)
x_chk = tasks[0].sample(20_000, seed)[0]
transforms_ok = all(  # checked at the end of the chapter
    t.mi == t.base.mi  # a transformed task keeps its base task's MI ...
    and np.allclose(bn.invert_transform(bn.apply_transform(x_chk, t.transform), t.transform), x_chk)
    for t in tasks
    if t.base is not None  # ... and its transform inverts
)
df_t, disp = 2.0, bn.two_pair_cov(3, 0.8)
mi_closed = bn.student_t_mi(disp, 3, df_t)
xs, zs = bn.sample_student_t(cfg["mc_samples"], disp, 3, df_t, seed=seed + 7)
log_ratio = bn.student_t_log_ratio(xs, zs, disp, df_t)
mi_mc, mi_mc_se = float(log_ratio.mean()), float(log_ratio.std() / math.sqrt(len(log_ratio)))
student_ok = abs(mi_closed - mi_mc) < max(4 * mi_mc_se, 0.01)  # checked at the end
print(
    f"Student-t (nu = {df_t:g}, 3 x 3, 2-pair dispersion): closed form {mi_closed:.4f} nats = "
    "Gaussian part "
    f"{mb.mvn_mi(disp, 3):.4f} + correction {bn.student_t_mi_correction(df_t, 3, 3):.4f}"
)
print(
    f"Monte Carlo mean of log p(x,z)/(p(x)p(z)) over {len(log_ratio)} samples: {mi_mc:.4f} +- "
    f"{mi_mc_se:.4f}"
)
print()
print(f"{'task':24s} {'true MI':>8s}  same MI as")
for t in tasks:
    print(f"{t.name:24s} {t.mi:8.3f}  {t.base.name if t.base is not None else '-'}")

# %% tags=["hide-input"]
fig, axes = plt.subplots(2, 4, figsize=(12, 5.6))
for ax, t in zip(axes.ravel(), tasks, strict=True):
    x, z = t.sample(1500, seed)
    ax.scatter(x[:, 0], z[:, 0], s=2, alpha=0.4, color="#1f77b4", label="$(x_1, z_1)$")
    ax.set(title=f"{t.name}\nI = {t.mi:.2f} nats", xlabel="$x_1$", ylabel="$z_1$")
    if t.family == "student_t":
        lim = np.quantile(np.abs(np.concatenate([x[:, 0], z[:, 0]])), 0.98)
        ax.set(xlim=(-lim, lim), ylim=(-lim, lim))
axes[0, 0].legend(loc="upper left", fontsize=7, markerscale=4)
plt.tight_layout()
plt.show()

# %% [markdown]
# The scatter plots show the first coordinate pair of each task (the Student-t panels are cropped
# to the central 98%). Every estimator now gets $n = 5000$ samples of each task, as in Czyż et
# al.'s protocol, on four independent data sets per task. The neural estimators train all
# $8 \times 4$ data sets as one stacked ensemble per estimator (`mb.estimate_mi_many`): 1000
# steps, batch 128, hidden layers of 64, a held-out quarter for the read-out. The concat critic is
# used except for InfoNCE, which gets the separable critic because its $B^2$ concat scores cost too
# much at $B = 128$ on a CPU. KSG uses $k = 3$. We report the median over the four data sets, which
# is the typical result, and the worst error, which shows the failures that a median hides.

# %%
tc = cfg["tasks"]
task_estimators = ["gaussian", "ksg", "mine", "mine_f", "infonce", "jsd", "smile"]
ess_table = {}  # effective number of held-out marginal pairs of every neural run (MIEstimate.ess)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", RuntimeWarning)  # divergence flags: the tables show the values
    table = bn.run_estimators(
        tasks,
        tc["n"],
        [1000 * seed + s for s in tc["seeds"]],
        task_estimators,
        neural_kwargs=dict(
            seed=seed,
            steps=tc["steps"],
            batch_size=tc["batch_size"],
            hidden=tc["hidden"],
            preprocess="standardize",
        ),
        critic_for={"infonce": "separable"},
        progress=True,
        ess=ess_table,
    )
truth_t = np.array([t.mi for t in tasks])
est_med = {e: np.median(table[e], axis=1) for e in task_estimators}
err = {e: est_med[e] - truth_t for e in task_estimators}  # typical error (median data set)
abs_err = {e: np.abs(err[e]) for e in task_estimators}
worst = {
    e: np.max(np.abs(table[e] - truth_t[:, None]), axis=1) for e in task_estimators
}  # per task
spread = {e: np.ptp(table[e], axis=1) for e in task_estimators}


def fmt(v):
    return f"{v:6.2f}" if abs(v) < 100 else f"{v:6.0e}"


n_sets = len(tc["seeds"])
print(f"median over {n_sets} data sets: estimate (error = estimate - truth), nats")
print(f"{'task':22s} {'true':>5s} | " + " | ".join(f"{NAMES[e]:>15s}" for e in task_estimators))
for i, t in enumerate(tasks):
    print(
        f"{t.name:22s} {t.mi:5.2f} | "
        + " | ".join(f"{fmt(est_med[e][i])} ({fmt(err[e][i])})" for e in task_estimators)
    )
print(
    f"{'median |error| over tasks':28s} | "
    + " | ".join(f"{np.median(abs_err[e]):15.2f}" for e in task_estimators)
)
print()
print(f"worst |error| over the {n_sets} data sets, nats")
print(f"{'task':28s} | " + " | ".join(f"{NAMES[e]:>15s}" for e in task_estimators))
for i, t in enumerate(tasks):
    print(f"{t.name:28s} | " + " | ".join(f"{fmt(worst[e][i]):>15s}" for e in task_estimators))
print(f"{'all tasks':28s} | " + " | ".join(f"{fmt(worst[e].max()):>15s}" for e in task_estimators))
best_per_task = [min(task_estimators, key=lambda e, i=i: abs_err[e][i]) for i in range(len(tasks))]
print()
print(
    "closest estimator per task (median data set): "
    + ", ".join(f"{t.name}: {NAMES[b]}" for t, b in zip(tasks, best_per_task, strict=True))
)

# %% tags=["hide-input"]
fig, axes = plt.subplots(2, 1, figsize=(11, 6.5), sharex=True)
width = 0.8 / len(task_estimators)
xpos = np.arange(len(tasks))
for j, e in enumerate(task_estimators):
    shift = (j - len(task_estimators) / 2 + 0.5) * width
    axes[0].bar(
        xpos + shift, np.clip(err[e], -1.5, 1.5), width, color=mb.plotting.COLORS[e], label=NAMES[e]
    )
    axes[1].bar(
        xpos + shift, np.clip(worst[e], 0, 3), width, color=mb.plotting.COLORS[e], label=NAMES[e]
    )
axes[0].axhline(0, color="black", lw=0.8)
axes[0].set(
    ylabel="median error (nats)",
    title="error of every estimator on every task (clipped to the axes)",
)
axes[1].set(ylabel=f"worst |error| of {n_sets} (nats)", ylim=(0, 3))
axes[1].set_xticks(xpos, [t.name for t in tasks], rotation=20, ha="right", fontsize=8)
axes[0].legend(fontsize=8, ncol=4)
plt.tight_layout()
plt.show()

# %%
idx = {t.name: i for i, t in enumerate(tasks)}
g, sp, st, st_id, st_as = (
    idx[k]
    for k in (
        "gaussian",
        "spiral(gaussian)",
        "student_t",
        "student_t(identity)",
        "asinh(student_t)",
    )
)
heavy = [st, st_id]
dv_type = ("mine", "mine_f", "jsd")
blown = [e for e in dv_type if worst[e][heavy].max() > 1]
tasks_ok = False  # True once every assert below has passed (checked at the end)
if cfg["strict"]:
    assert abs(err["gaussian"][g]) < 0.05, "the Gaussian baseline is not exact on the Gaussian task"
    for e in task_estimators:
        if e != "gaussian":
            assert abs(err[e][g]) < 0.15, f"{e} misses the Gaussian task by more than 0.15 nats"
            assert err[e][sp] < -0.2, f"{e} is not fooled by the spiral"
        for k in ("half_cube(gaussian)", "asinh(gaussian)", "normal_cdf(gaussian)"):
            assert abs(err[e][idx[k]]) < 0.2, f"{e} misses {k} by more than 0.2 nats"
    assert min(task_estimators, key=lambda e: err[e][sp]) == "gaussian", (
        "the spiral fooled something more than CCA"
    )
    assert len(blown) >= 2, f"only {blown} blew up on the heavy-tailed data sets"
    assert all(worst[e][st_as] < 0.35 for e in dv_type), "a DV/NWJ read-out failed even after asinh"
    for e in ("ksg", "smile"):
        assert worst[e][heavy].max() < 0.5, (
            f"{e} is off by more than 0.5 nats on a Student-t data set"
        )
    assert len(set(best_per_task)) >= 3, "one estimator won (almost) every task"
    assert worst["ksg"].max() < 0.5, "KSG was off by more than 0.5 nats somewhere"
    tasks_ok = True

# %% [markdown]
# What the tables show (every statement below is asserted in the cell above):
#
# - **On the Gaussian task everything works.** The Gaussian baseline is exact (median error below
#   0.05 nats) and every other estimator is within 0.15 nats.
# - **The invertible coordinate-wise transforms** (half-cube, asinh, normal CDF) keep the MI. Every
#   estimator still lands within 0.2 nats, but most drift further than on the Gaussian, because
#   the critic must now learn a curved log-ratio. KSG is not invariant to them either: max-norm
#   neighbourhoods change shape under a coordinate-wise map. The Gaussian baseline stays close
#   because these monotone maps barely change the correlations.
# - **The spiral fools every estimator**, and the Gaussian baseline worst of all. The spiral
#   rotates the correlated pairs out of linear alignment, so almost no correlation is left to
#   measure. The neural critics and KSG recover part of the MI and miss the rest (more than 0.2 nats
#   under, for every one of them).
# - **Heavy tails (Student-t, $\nu = 2$)** make the DV and NWJ read-outs fail, and the log-$n$
#   divergence flag does not notice (the next section shows what does). On
#   some raw Student-t data sets, at least two of MINE, NWJ and JSD -> DV are off by more than a
#   nat, sometimes by absurd amounts. A few held-out samples with huge $x$ and $z$ dominate
#   $\log \mathbb{E}[e^T]$ or $\mathbb{E}[e^{T-1}]$. A median can hide such failures; the
#   worst-error table shows them. After **asinh** the same three stay within 0.35 nats on every
#   data set. This is Czyż et al.'s practical advice: squash long tails before estimating.
#   SMILE's clipped partition term and KSG's neighbour counts are far less sensitive to a few extreme
#   values, and both stay within half a nat on every raw Student-t data set. The Gaussian baseline
#   has no guarantee here. With infinite variance, its sample covariance rests on the few rows with
#   the largest shared scale $U$, so its answer depends on which extreme rows a data set happens to
#   contain (compare its median and worst errors). After asinh it is stable but biased: it sees
#   only the linear part of the dependence.
#
# ### Can the read-out tell when it is unreliable?
#
# The log-$n$ divergence flag of `estimate_mi` does not fire on the heavy-tailed failures: the
# estimates are wrong, not too large. What goes wrong is that a few marginal pairs carry almost all
# the weight $e^{T}$ of the partition term. `estimate_mi` therefore also reports `ess`, Kish's
# effective number of marginal pairs $(\sum_i w_i)^2 / \sum_i w_i^2$ with $w_i = e^{T_i}$ over
# all held-out marginal pairs, and warns below 100. Below, for
# the three DV/NWJ-type estimators, every run on the raw and the asinh-squashed Student-t data
# is classed by its error and by that warning.

# %%
MIN_PAIRS = mb.checks.MIN_EFFECTIVE_PAIRS
n_pairs = round(tc["n"] * mb.DEFAULTS["test_fraction"]) * mb.DEFAULTS["n_shuffles"]
print(f"held-out marginal pairs per run: {n_pairs}; warning below {MIN_PAIRS} effective pairs")
rows_ess = [
    (e, tasks[i].name, s, table[e][i, s] - truth_t[i], ess_table[e][i, s])
    for e in dv_type
    for i in heavy + [st_as]
    for s in range(n_sets)
]
print(f"{'estimator':16s} {'task':22s} {'set':>3s} {'error':>8s} {'ess':>8s}  warning")
for e, name, s, error, ess in rows_ess:
    print(
        f"{NAMES[e]:16s} {name:22s} {s:3d} {fmt(error):>8s} {ess:8.0f}  "
        f"{'yes' if ess < MIN_PAIRS else ''}"
    )
bad_runs = [r for r in rows_ess if abs(r[3]) > 1]
good_runs = [r for r in rows_ess if abs(r[3]) <= 0.35]
caught = sum(r[4] < MIN_PAIRS for r in bad_runs)
false_alarms = sum(r[4] < MIN_PAIRS for r in good_runs)
print(
    f"runs off by more than 1 nat: {len(bad_runs)}, of which the effective-pairs warning "
    f"flagged {caught}"
)
print(f"runs within 0.35 nats: {len(good_runs)}, of which it flagged {false_alarms}")
ess_ok = caught == len(bad_runs) > 0 and false_alarms == 0
if cfg["strict"]:
    assert ess_ok, (
        f"the warning flagged {caught} of {len(bad_runs)} failures and {false_alarms} good runs"
    )

# %% [markdown]
# In this run the warning flagged every read-out that was off by more than a nat and none of those
# within 0.35 nats (the counts above are asserted). It is an alarm, not a correction: it says that
# the number rests on a handful of pairs, not how far off it is, and the remedy is the one above,
# squash the tails or switch to SMILE or KSG. After asinh every run rests on thousands of pairs.

# %% [markdown]
# - **No single winner.** The closest estimator differs from task to task (at least three different
#   ones), in line with Czyż et al.'s conclusion. KSG is never far off: its worst error over all
#   32 data sets is below half a nat. The tasks' MIs are far below InfoNCE's ceiling
#   $\log 128 = 4.85$, the regime where its low variance pays.
#
# ### The default `estimate_mi` on these tasks: flags and coverage
#
# Everything above used the estimators as the paper and Czyż et al. run them, on standardized
# inputs. What does a reader get from `mb.estimate_mi(x, z)` with no arguments? Its defaults
# ([chapter 3](03_mine.ipynb)) differ in three ways: each coordinate is mapped to normal scores
# first (an invertible map of each coordinate, so the MI is unchanged), settings follow $n$ and
# the dimensions (here 3000 steps, batch 512, a $2 \times 64$ critic), and three critics are
# trained with different seeds and their median reported, with an interval that includes their
# spread and reaches up to the critics' read-out on their own training rows (`r.train_mi`). Below
# it runs on the first data set of every task (the same samples as the table's first
# column), and we count what the book promises: either an estimate carries a flag, or its 95%
# interval covers the truth.

# %%
default_runs = []
with warnings.catch_warnings():
    warnings.simplefilter("ignore", RuntimeWarning)  # the flags are printed below
    for t in tqdm(tasks, desc="estimate_mi, defaults", mininterval=5.0):
        x, z = t.sample(tc["n"], 1000 * seed + tc["seeds"][0])
        default_runs.append(mb.estimate_mi(x, z, seed=seed, **cfg["default"]))
default_mi = np.array([r.mi for r in default_runs])
default_err = default_mi - truth_t
flagged = np.array([bool(r.flags) for r in default_runs])
covers = np.array(
    [r.interval[0] <= t.mi <= r.interval[1] for r, t in zip(default_runs, tasks, strict=True)]
)
counts = bn.trust_counts(default_mi, truth_t, flagged, covers)
close_10 = counts["close_10"]
unflagged_misses = [
    t.name for t, o, f in zip(tasks, counts["off_30"], flagged, strict=True) if o and not f
]

# %%
print(f"estimate_mi(x, z) with no arguments, n = {tc['n']}, one data set per task (nats)")
print(
    f"{'task':22s} {'true':>5s} | {'default':>7s} {'interval':>15s} {'covers':>6s} | "
    f"{'std. MINE':>9s} | flags"
)
for i, (t, r) in enumerate(zip(tasks, default_runs, strict=True)):
    lo, hi_ = (round(v, 2) + 0.0 for v in r.interval)  # + 0.0: no "-0.00"
    print(
        f"{t.name:22s} {t.mi:5.2f} | {r.mi:7.2f} [{lo:6.2f}, {hi_:5.2f}] "
        f"{'yes' if covers[i] else 'no':>6s} | "
        f"{table['mine'][i, 0]:9.2f} | {', '.join(r.flags) or '-'}"
    )

# %% [markdown]
# The estimates and interval ends above move in their last digit from one machine to the next
# (the spiral read 0.50 [0.43, 0.70] on one, 0.51 [0.44, 0.73] on another); the counts below,
# which is what the contract is about, do not.

# %% [markdown]
# ## Exercises
#
# Each runs in seconds at `budget = "smoke"`. Run a chapter at another budget or seed without
# editing it: `papermill -k python3 -p budget smoke -p seed 1 notebooks/NN_name.ipynb out.ipynb`
# (or change the `parameters` cell).
#
# 1. Add a level of 12 nats to `cfg["stair"]["mi_levels"]`: which estimators break, and how?
# 2. Run `mb.estimate_mi` on one of the Beyond Normal tasks (`bn.beyond_normal_tasks()`) with
#    `estimator="ksg"` and with the default: do their intervals agree?
# 3. Lower `cfg["perm"]["n"]` to 500: at which correlation does the permutation test stop
#    detecting the dependence?

# %% tags=["nbval-check-output"]
n_unflagged = int((~flagged).sum())
print(
    f"runs off by more than 30% without a flag: {len(unflagged_misses)} "
    f"({', '.join(unflagged_misses) or 'none'})"
)
low_cov, high_cov = counts["coverage_interval"]  # 95% Wilson interval of the count
print(
    f"coverage of the interval among the {n_unflagged} unflagged runs: "
    f"{counts['n_covered']} of {n_unflagged} (95% Wilson interval "
    f"{100 * low_cov:.0f}-{100 * high_cov:.0f}%)"
)
print(
    f"flags on the {int(close_10.sum())} runs within 10% of the truth: "
    f"{int(flagged[close_10].sum())}"
)
monotone = [
    idx[k] for k in ("gaussian", "half_cube(gaussian)", "asinh(gaussian)", "normal_cdf(gaussian)")
]
if cfg["strict"]:
    assert np.ptp(default_mi[monotone]) < 0.03, (
        "normal scores should make the monotone transforms look alike"
    )
    assert all(abs(default_err[i]) < 0.3 for i in (st, st_as)), (
        "normal scores should fix the Student-t read-out"
    )
    assert default_err[sp] < -0.2, "a per-coordinate map should not undo the spiral"
    assert set(unflagged_misses) <= {"spiral(gaussian)", "student_t(identity)"}, unflagged_misses

# %% [markdown]
# What the normal scores fix, and what they do not (the first three are asserted above):
#
# - **Heavy tails.** On the raw Student-t tasks the standardized DV read-outs blew up on some data
#   sets (the `std. MINE` column is the first data set of the table above); with normal scores
#   the default estimate of `student_t` and of `asinh(student_t)` is within 0.3 nats of the truth.
#   The map of each coordinate to its normal scores is nearly the same whatever monotone
#   transform came before, so the Gaussian and its half-cube, asinh and normal-CDF transforms
#   give almost the same estimate, and the Student-t and its asinh likewise.
# - **Joint distortions.** The spiral rotates pairs of coordinates by an angle that depends on
#   their radius: no map of one coordinate at a time undoes it, and the default still falls more
#   than 0.2 nats short. The `train_gap` check flags it: the critics score their own training
#   pairs far higher than new ones (0.70 against 0.50 nats), so the truth may be well above the
#   estimate (KSG on the normal scores also finds more, but inside that wider interval).
# - **Fitting the sample, and missing the dependence.** On the identity-dispersion Student-t,
#   whose MI (0.29 nats) comes only from the shared scale of $x$ and $z$, the held-out estimate
#   is low because the critics fit their training pairs more than the dependence: their
#   read-out on those pairs is well above the truth, the interval's upper end covers it, and
#   `train_gap` warns that the estimate could be more than 30% low. On the two correlated
#   Student-t tasks both read-outs are low (1.18 held out against 1.31, and the interval, whose
#   upper end is the read-out on training rows, stops at 1.27): the critics found the correlation
#   and only part of the scale term. That is the lower bound's blind spot, which no interval
#   built from the critic's own numbers can see. It is not a shortage of read-out samples: the
#   true log density ratio as the critic, read out the same way on as many rows, comes within
#   0.03 nats of the truth (printed below), about 0.1 above the trained critics. The critics do
#   not learn the scale term, and more samples help only slowly (`benchmarks/student_t.py`
#   measures it at $5 \times 5$ up to $n = 50\,000$).
#
# What the data do show is where that blind spot lies. In a Student-t, $x$ and $z$ share one
# random scale, so when one is far out the other usually is too, far more often than their
# correlations alone would make it. `mb.checks.joint_extremes` measures this on the normal
# scores: of the rows whose $x$ is among the 5% largest (Mahalanobis norm within its block), the
# fraction whose $z$ is too, against the same fraction in Gaussian samples with the same
# canonical correlations. `estimate_mi` flags `tail_dependence` when the excess is above 0.1 and
# 5 standard deviations of that Gaussian rate (`mb.CHECKS["tail_dependence"]`). The check looks at the
# data alone, so it cannot tell an accurate estimate from a poor one; what it says is "this is
# the kind of data where chapter 12's critics read low".

# %%
tails = [mb.checks.joint_extremes(*t.sample(tc["n"], 1000 * seed + tc["seeds"][0])) for t in tasks]
# Not a Student-t: chapter 7's functional relation y = f(x) + 0.1 eps with a U-shaped f.
u_x, u_y = mb.equitability_sample(tc["n"], lambda a: a**2, 0.1, seed=seed)
u_truth = mb.equitability_mi(lambda a: a**2, 0.1)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", RuntimeWarning)  # the flags are printed below
    u_run = mb.estimate_mi(u_x, u_y, seed=seed, **cfg["default"])
u_tail = mb.checks.joint_extremes(u_x, u_y)


oracle = {
    i: bn.student_t_true_read_out(
        *tasks[i].sample(tc["n"], 1000 * seed + tc["seeds"][0]),
        disp,
        2.0,
        default_runs[i].n_test,
        mb.DEFAULTS["n_shuffles"],
    )
    for i, disp in ((st, bn.two_pair_cov(3, 0.8)), (st_id, np.eye(6)))
}

# %% tags=["nbval-check-output"]
print("x and z among their 5% largest together: the data sets of the default runs above")
print(f"{'task':22s} {'observed':>8s} {'Gaussian':>8s} {'(sd)':>6s} | tail_dependence")
for t, tail, r in zip(tasks, tails, default_runs, strict=True):
    print(
        f"{t.name:22s} {tail['observed']:8.2f} {tail['null_mean']:8.2f} ({tail['null_sd']:4.2f}) | "
        f"{'yes' if 'tail_dependence' in r.flags else 'no'}"
    )
u_lo, u_hi = u_run.interval
print(
    f"{'x^2 + 0.1 eps (ch. 7)':22s} {u_tail['observed']:8.2f} {u_tail['null_mean']:8.2f} "
    f"({u_tail['null_sd']:4.2f}) | {'yes' if 'tail_dependence' in u_run.flags else 'no'}: "
    f"interval covers the truth {u_lo <= u_truth <= u_hi}"
)

# %%
print(f"x^2 + 0.1 eps: estimate {u_run.mi:.2f} [{u_lo:.2f}, {u_hi:.2f}] of {u_truth:.2f} nats")
for i, value in oracle.items():
    print(
        f"{tasks[i].name}: the true log density ratio as the critic reads out {value:.2f} nats "
        f"on {default_runs[i].n_test} rows of the same data set (truth {tasks[i].mi:.2f}; "
        f"trained critics {default_runs[i].mi:.2f})"
    )
student = [st, st_as, st_id]
if cfg["strict"]:
    assert all("tail_dependence" in default_runs[i].flags for i in student), (
        "every Student-t data set should show its shared scale"
    )
    assert not any("tail_dependence" in default_runs[i].flags for i in monotone), (
        "a per-coordinate transform of a Gaussian has a Gaussian copula: no excess"
    )
    assert "tail_dependence" in u_run.flags and u_lo <= u_truth <= u_hi, (
        "the U-shaped relation should be flagged and still covered"
    )
    assert all(abs(value - tasks[i].mi) < 0.15 for i, value in oracle.items()), (
        "with the true critic the read-out itself should be close: the shortfall is training's"
    )

# %% [markdown]
# The Student-t data sets are extreme together two and a half to eleven times as often as
# Gaussian samples with their correlations, and the Gaussian family sits on its null, as it
# must: a monotone map of each coordinate leaves the copula Gaussian. The spiral, a joint
# distortion, also stands out, and is underestimated too. The check is not specific to
# Student-t data, and the last row shows its cost: on $y = x^2 + 0.1\,\varepsilon$ with
# uniform $x$ (chapter 7's setting with a U-shaped $f$) large $|x|$ always comes with large
# $y$, so it fires, although the critics read that dependence well (the interval covers the
# truth). A `tail_dependence` flag says "data of the kind where critics may read low", not
# "this estimate is low".
#
# The contract "a flag, or an interval that covers the truth" therefore holds on these eight
# tasks, the correlated Student-t ones now through `tail_dependence`. Holding on a handful of
# runs says little about how often it holds: four unflagged runs that all cover their truth are
# compatible with a method that covers it only half the time (the Wilson interval printed with
# the count). `benchmarks/trust.py` runs the same count (two seeds per task, five for the
# default estimate) over the 40 tasks of the Beyond Normal paper's own list ($1 \times 1$ to
# $50 \times 50$: additive noise, bimodal and wiggly marginals, a Swiss roll, dense Gaussians,
# Student-t with identity dispersion, spirals) and over 25 tasks of this chapter's harder kind
# from $3 \times 3$ to $50 \times 50$. The README has both tables, and says where the contract
# fails: unflagged runs a little low with intervals that miss (sharp additive noise, the spirals
# after a normal CDF, the $5 \times 5$ Gaussian family by a few thousandths of a nat; 82% of 120
# unflagged intervals cover the truth, 80% was the aim, and `benchmarks/misses.py` shows that
# neither a larger critic nor more steps reads the spirals better), and `tail_dependence` on
# $1 \times 1$ and $2 \times 2$ Student-t tasks that the critics read well.

# %% [markdown]
# ## 4. Is there any dependence at all? A permutation test
#
# A small estimate, 0.01 nats say, does not tell whether $X$ and $Z$ are dependent: on
# independent data every estimator returns small non-zero values. Shuffling the rows of $z$
# against $x$ destroys every dependence and keeps both marginals, so estimates on shuffled
# copies are draws of the estimator *under independence*, training noise and held-out split
# included. `mb.permutation_test(x, z)` compares the estimate on the data with those on 19
# shuffled copies, trained as one stacked ensemble, and returns the permutation p-value
# $(1 + \#\{\text{null} \ge \text{observed}\}) / 20$. It is valid for any estimator: under
# independence $P(p \le 0.05) \le 0.05$ whatever the estimator's bias.
#
# How small a dependence does it detect? For each correlation $\rho$ from 0 to 0.2 (true MI
# up to 0.02 nats) we draw 10 data sets of $n = 2000$ bivariate Gaussian pairs and test each one
# at level 0.05 with MINE (a $32 \times 32$ critic, 300 steps) and with KSG ($k = 3$), using
# `mb.rejection_rates`, which trains all $5 \times 10 \times 20 = 1000$ MINE critics of the figure
# in one ensemble.

# %% tags=["hide-input"]
pc = cfg["perm"]
perm_data = {
    rho: [
        mb.correlated_gaussian(pc["n"], d=1, rho=rho, seed=1000 * (seed + 1) + 17 * j + i)
        for i in range(pc["n_datasets"])
    ]
    for j, rho in enumerate(pc["rhos"])
}
all_sets = [xz for rho in pc["rhos"] for xz in perm_data[rho]]
power = {}
raw_ksg = {"preprocess": "none"}  # KSG on the raw samples, as in the earlier chapters
for est, kwargs in (("mine", pc["mine"]), ("ksg", raw_ksg)):
    _, rejected = mb.rejection_rates(
        all_sets,
        n_permutations=pc["n_permutations"],
        estimator=est,
        seed=seed,
        progress=est == "mine",
        **kwargs,
    )
    power[est] = rejected.reshape(len(pc["rhos"]), pc["n_datasets"]).mean(axis=1)
print(
    f"{'rho':>5s} {'true MI':>8s} "
    + " ".join(f"{NAMES[e]:>12s}" for e in power)
    + "   (fraction of data sets rejected)"
)
for j, rho in enumerate(pc["rhos"]):
    print(
        f"{rho:5.2f} {mb.gaussian_mi(rho):8.4f} " + " ".join(f"{power[e][j]:12.1f}" for e in power)
    )
fig, ax = plt.subplots(figsize=(5.5, 3.4))
for e, mk in (("mine", "o"), ("ksg", "s")):
    ax.plot(pc["rhos"], power[e], marker=mk, label=NAMES[e])
ax.axhline(0.05, color="k", ls=":", lw=1, label="level 0.05")
ax.set(
    xlabel=r"correlation $\rho$ ($I = -\frac{1}{2}\log(1-\rho^2)$)",
    ylabel="fraction rejected",
    title=f"permutation test, n = {pc['n']}, {pc['n_datasets']} data sets per point",
    ylim=(-0.05, 1.05),
)
ax.legend(fontsize=8)
plt.tight_layout()
plt.show()
perm_false_pos, perm_power_mine, perm_power_ksg = (
    power["mine"][0],
    power["mine"][-1],
    power["ksg"][-1],
)
x0, z0 = perm_data[pc["rhos"][0]][
    0
]  # why: the spread of each estimator on shuffled copies of one data set
null_q95 = {
    e: mb.permutation_test(
        x0, z0, n_permutations=pc["n_permutations"], estimator=e, seed=seed, **kw
    ).null_quantile_95
    for e, kw in (("mine", pc["mine"]), ("ksg", raw_ksg))
}
print(
    "95th percentile of the estimates on shuffled copies (nats): "
    + ", ".join(f"{NAMES[e]} {q:.4f}" for e, q in null_q95.items())
)
if cfg["strict"]:
    assert null_q95["mine"] < null_q95["ksg"], f"MINE's null is not narrower than KSG's: {null_q95}"
perm_ok = False  # True once every assert below has passed (checked at the end)
if cfg["strict"]:
    assert perm_false_pos <= 0.2, (
        f"MINE's test rejected {perm_false_pos:.0%} of independent data sets"
    )
    assert perm_power_mine >= 0.8, (
        f"MINE's test detects rho = {pc['rhos'][-1]} in only {perm_power_mine:.0%}"
    )
    assert perm_power_mine >= perm_power_ksg + 0.3, (
        f"MINE's power {perm_power_mine:.0%} is not 30 points above KSG's {perm_power_ksg:.0%}"
    )
    perm_ok = True

# %% [markdown]
# At $\rho = 0$ the test rejects about as often as its level allows, as it must. As the
# correlation grows, MINE's test detects dependences of a hundredth of a nat in most data sets
# while KSG's rarely does (the counts above; asserted at the largest $\rho$). The reason is the
# spread of each estimator under independence, not its accuracy (the 95th percentiles printed
# above): `estimate_mi` validates the critic on held-out rows and keeps the one that does best
# there, so on shuffled data it returns almost exactly 0 every time, and a small real
# dependence stands out; KSG's neighbour counts fluctuate by a few hundredths of a nat
# whatever the data. Two cautions. A
# p-value says that there is *some* dependence, not how much: MINE still underestimates the
# MI itself at this sample size. And the test is only as good as the shuffle: with
# time series or grouped rows, shuffle within blocks, or the null is wrong.

# %% [markdown]
# ## 5. Practical guidance
#
# The table below is printed from the measurements of this chapter. The "use" column is what the
# asserts above support, and the "evidence" column quotes the numbers behind it.

# %%
best_var = min(members, key=lambda m: s_at(*m, 2, hi))
guidance = [
    (
        "MI well below log B (here ~1 nat, B = 128), value or training signal",
        "InfoNCE",
        f"median |error| {np.median(abs_err['infonce']):.2f} nats over the 8 tasks; lowest "
        "staircase "
        "variance "
        f"({NAMES[best_var[0]]}, {s_at(*best_var, 2, hi):.3f} nats² at {hi:g} nats)",
    ),
    (
        "low dimension (3 x 3 here), a few thousand samples, no training budget",
        "KSG",
        f"worst |error| {worst['ksg'].max():.2f} nats over all {len(tasks) * n_sets} data sets; no "
        "training",
    ),
    (
        "data (close to) Gaussian, or only linear dependence matters",
        "Gaussian (CCA) baseline",
        f"median error {abs(err['gaussian'][g]):.3f} nats on the Gaussian, "
        f"{abs(err['gaussian'][sp]):.2f} on the spiral; "
        f"spread {spread['gaussian'][heavy].max():.1f} nats over the raw Student-t data sets",
    ),
    (
        "MI well above log B, high dimension",
        f"{NAMES[best_hi[0]]}, {best_hi[1]} critic",
        f"lowest MSE at 8-10 nats on the staircase ({hi_mse(best_hi):.2f} nats²); still biased, DV "
        "read-outs can overshoot",
    ),
    (
        "an MI term inside a model trained by gradient (GAN, bottleneck)",
        "MINE (EMA)",
        f"unbiased DV gradient (chapters 4-5); variance x{var_ratio[('mine', 'concat')]:.0f} "
        "from 2 to 10 nats on the staircase",
    ),
    (
        "heavy-tailed data",
        "asinh first; or KSG / SMILE",
        "worst |error| on raw Student-t: "
        + ", ".join(
            f"{NAMES[e]} {fmt(worst[e][heavy].max()).strip()}"
            for e in ("mine", "mine_f", "jsd", "smile", "ksg")
        ),
    ),
    (
        "is there any dependence at all? (small MI, a few thousand samples)",
        "permutation test (mb.permutation_test) with MINE",
        f"rejects {perm_power_mine:.0%} of data sets at rho = {pc['rhos'][-1]:g} "
        f"({mb.gaussian_mi(pc['rhos'][-1]):.3f} nats, "
        f"n = {pc['n']}) vs KSG {perm_power_ksg:.0%}; {perm_false_pos:.0%} under independence",
    ),
    (
        "any estimate above log n (n = samples in the bound)",
        "do not trust it as a lower bound",
        f"InfoNCE and KSG stay below log n up to n = {ns[-1]} for a true {cc['mi']:g} nats",
    ),
]
mb.report.Table(["regime", "use", "measured evidence"], guidance)

# %% [markdown]
# In words:
#
# - **No estimator is safe everywhere.** Each one failed at least one test in this chapter.
#   Report an estimate together with the regime it was measured in.
# - **Small MI** (well below $\log B$): InfoNCE is accurate and has by far the smallest variance.
#   Its ceiling does not matter when the aim is to *increase* the MI, as in CPC
#   {cite}`oord2018representation` or Deep InfoMax {cite}`hjelm2019learning`.
# - **Low dimension**: KSG needs no training and was never far off here. Compare
#   it with the Gaussian baseline. If the two agree, the dependence is probably close to
#   linear-Gaussian. If they disagree, the baseline is the one to distrust.
# - **An MI term inside a model**: MINE with the EMA correction is the choice when an unbiased DV
#   gradient matters (chapters 4 and 5). Expect its variance to grow with the MI.
# - **At high MI**, every distribution-free estimate is capped at about $\log n$. DV-type read-outs
#   can land above the truth through the Jensen bias of the partition term, so an estimate far
#   above $\log n$ is a warning sign, not a result.
# - **Heavy tails**: squash them (asinh) before estimating, and look at the worst of several data
#   sets, not only the typical one. Heed `estimate_mi`'s warning that a read-out rests on few
#   effective marginal pairs (`MIEstimate.ess` below 100).

# %% [markdown]
# ## Verdicts
#
# What this chapter checked, as the reproduction table of the [introduction](../book/intro.md)
# records it: each check below is asserted before its line is printed, and the table ends
# the chapter (the code that builds the records is hidden).

# %% tags=["nbval-check-output", "hide-input"]
full = cfg["strict"]
rows = [
    {
        "claim": "InfoNCE never exceeds log(batch) on the staircase (I_NCE <= log B)",
        "paper": f"log 64 = {log_b:.2f} nats (Poole et al. 2019)",
        "ours": f"max over all steps, both critics: {infonce_max:.2f} nats",
        "verdict": "reproduced",
    },
    {
        "claim": "Variance of DV/NWJ (MINE, NWJ) estimates grows with the true MI on the staircase",
        "paper": "exponential in I for the optimal critic (Song & Ermon 2020)",
        "ours": f"variance x{var_ratio[('mine', 'concat')]:.0f} (MINE) and "
        f"x{var_ratio[('mine_f', 'concat')]:.0f} (NWJ) "
        f"from 2 to 10 nats (concat); InfoNCE x{var_ratio[('infonce', 'concat')]:.2f}",
        "verdict": "reproduced" if full else "inconclusive",
        "note": f"{cfg['stair']['steps_per_level']} steps per level (paper: 4000), hidden "
        f"{cfg['stair']['hidden']}",
    },
    {
        "claim": "SMILE (tau=5) gives the best bias/variance trade-off at high MI on the staircase",
        "paper": "tau = 5 best trade-off (Song & Ermon 2020)",
        "ours": f"lowest MSE at 8-10 nats: {NAMES[best_hi[0]]} / {best_hi[1]} "
        f"({hi_mse(best_hi):.1f} "
        "nats^2)",
        "verdict": ("reproduced" if best_hi[0] == "smile" else "not reproduced")
        if full
        else "inconclusive",
        "unconfirmed": True,
    },
    {
        "claim": "No distribution-free high-confidence lower bound exceeds O(log n)",
        "paper": "McAllester & Stratos 2020",
        "ours": f"true 10 nats, n = {ns[-1]} (log n = {math.log(ns[-1]):.1f}): InfoNCE (optimal "
        "critic) "
        f"{ceiling['oracle_infonce'][-1]:.1f}, KSG {ceiling['ksg'][-1]:.1f}, MINE "
        f"{ceiling['mine'][-1].mean():.1f}; "
        f"parametric Gaussian baseline {ceiling['gaussian'][-1]:.1f}",
        "verdict": "reproduced" if full else "inconclusive",
    },
    {
        "claim": "Student-t MI = Gaussian MI of the dispersion + a correction in df and dimensions",
        "paper": "closed form (Czyż et al. 2023)",
        "ours": f"3x3, df=2: closed form {mi_closed:.3f} vs Monte Carlo {mi_mc:.3f} +- "
        f"{mi_mc_se:.3f} nats",
        "verdict": "reproduced",
    },
    {
        "claim": "No single estimator wins on non-Gaussian tasks; CCA is exact only for Gaussians",
        "paper": "Czyż et al. 2023",
        "ours": f"{len(set(best_per_task))} different closest estimators over {len(tasks)} tasks; "
        "CCA error "
        f"{abs(err['gaussian'][g]):.2f} (Gaussian) vs {abs(err['gaussian'][sp]):.2f} "
        "(spiral) nats, "
        f"spread {spread['gaussian'][heavy].max():.1f} nats over the raw Student-t data sets",
        "verdict": "reproduced" if full else "inconclusive",
        "unconfirmed": True,
    },
    {
        "claim": "A small effective number of marginal pairs (ESS of e^T < 100) flags unreliable "
        "DV/NWJ read-outs",
        "paper": "- (minebook's diagnostic)",
        "ours": (
            f"Student-t, MINE/NWJ/JSD -> DV: flagged {caught} of {len(bad_runs)} runs off by > "
            "1 nat, "
            f"{false_alarms} of {len(good_runs)} within 0.35 nats"
        ),
        "verdict": ("confirmed" if ess_ok else "not reproduced") if full else "inconclusive",
    },
    {
        "claim": "A permutation test on MINE's held-out estimate detects small dependence (level "
        "0.05)",
        "paper": "- (minebook's test)",
        "ours": (
            f"n = {pc['n']}, rho = {pc['rhos'][-1]:g} ({mb.gaussian_mi(pc['rhos'][-1]):.3f} "
            "nats): MINE rejects "
            f"{perm_power_mine:.0%}, KSG {perm_power_ksg:.0%}; rho = 0: MINE "
            f"{perm_false_pos:.0%}"
        ),
        "verdict": "confirmed" if full else "inconclusive",
    },
]
mb.report.record("12_beyond_mine", rows)
n_transformed = len([t for t in tasks if t.base is not None])
for ok, claim in (
    (stair_nce_ok, f"InfoNCE <= log {B} = {log_b:.2f} nats at every staircase step, both critics"),
    (oracle_nce_ok, "InfoNCE with the optimal critic <= log B and <= log n at every n"),
    (
        student_ok,
        f"Student-t closed form {mi_closed:.2f} nats matches Monte Carlo within 4 standard errors",
    ),
    (
        transforms_ok,
        f"transformed tasks keep their base task's true MI ({n_transformed} tasks) and their "
        "transforms invert",
    ),
):
    mb.report.check(ok, claim)
for ok, claim in (
    (
        variance_ok,
        "MINE/NWJ variance grows > 3x from 2 to 10 nats; InfoNCE's falls; SMILE below JSD -> DV",
    ),
    (oracle_ok, "optimal-critic DV overshoots at 10 nats with 64 marginals; NWJ spread grows > 5x"),
    (ceiling_ok, f"KSG below log n; Gaussian baseline within 0.15 nats of 10 at n = {ns[-1]}"),
    (
        tasks_ok,
        "CCA exact on the Gaussian task and fooled most by the spiral; every estimator under on "
        "the spiral",
    ),
    (
        tasks_ok,
        "DV/NWJ read-outs blow up on raw Student-t, not after asinh; KSG and SMILE within 0.5 "
        "nats there",
    ),
    (tasks_ok, ">= 3 different best estimators over the 8 tasks; KSG never off by 0.5 nats"),
    (
        ess_ok,
        "the effective-pairs warning flags every DV/NWJ run off by > 1 nat and no run within "
        "0.35 nats",
    ),
    (
        perm_ok,
        "the permutation test with MINE: <= 20% false positives, >= 80% power at rho = "
        f"{pc['rhos'][-1]:g}, 30+ points above KSG",
    ),
):
    mb.report.check(ok, claim, strict=full)
print("true MI of the tasks: " + ", ".join(f"{t.mi:.2f}" for t in tasks))
mb.report.verdict_table(rows, chapter="12_beyond_mine")
