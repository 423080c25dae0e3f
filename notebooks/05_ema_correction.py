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
# # 5. The EMA correction in practice
#
# [Chapter 4](04_gradient_bias.ipynb) measured the bias of the minibatch DV gradient for a fixed
# critic. Here we train. We compare MINE with the plain minibatch gradient ("biased MINE") and
# MINE with the moving-average correction ("EMA MINE") {cite}`belghazi2018mine` on correlated
# Gaussians whose MI we know, and we separate two causes of failure that are often lumped
# together as "MINE diverges": the numerical overflow of a naive $\log \frac{1}{B}\sum_j e^{T_j}$ in
# float32, and the bias of the gradient.
#
# ```{admonition} Key takeaways
# :class: tip
# - With identical critics, data and optimizer, EMA-corrected MINE estimates the MI of 2-D
#   Gaussians closely, up to $\rho = 0.99$.
# - At small batches and large MI, plain (biased) MINE's held-out estimate collapses during
#   training: the gradient bias, not numerical overflow.
# - The minibatch training curve is biased upwards and is no substitute for a held-out estimate.
# ```

# %% tags=["parameters"]
budget = "full"
seed = 0

# %%
import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
import torch

import minebook as mb
from minebook.experiments import gradient_bias as gb

mb.plotting.setup()
mb.seed_everything(seed)  # the seeding contract: DEVELOPING.md, "Seeds"

# %% tags=["hide-input"]
cfg = {
    "full": dict(
        n=10_000,
        rhos=[0.85, 0.9, 0.95, 0.99],
        n_seeds=5,
        steps=3000,
        batch_size=32,
        lr=1e-3,
        hidden=(64, 64),
        ema_rate=0.01,
        eval_every=100,
        panel_batch_sizes=[64, 256],
        strict=True,  # assert the chapter's claims (a smoke run is too short to)
    ),
    "smoke": dict(
        n=1000,
        rhos=[0.85, 0.9, 0.95, 0.99],
        n_seeds=2,
        steps=40,
        batch_size=32,
        lr=1e-3,
        hidden=(16, 16),
        ema_rate=0.01,
        eval_every=20,
        panel_batch_sizes=[64],
        strict=False,
    ),
}[budget]
rhos, n_seeds = np.array(cfg["rhos"]), cfg["n_seeds"]
truth = mb.gaussian_mi(rhos)
train_kw = dict(
    seed=seed,
    steps=cfg["steps"],
    lr=cfg["lr"],
    hidden=cfg["hidden"],
    ema_rate=cfg["ema_rate"],
    eval_every=cfg["eval_every"],
)
mb.report.settings_table(cfg, budget)

# %% [markdown]
# ## The experiment
#
# - Data: $x, z \in \mathbb{R}$ ($d = 1$) with correlation $\rho \in \{0.85, 0.9, 0.95, 0.99\}$, true MI
#   $-\frac{1}{2}\log(1-\rho^2)$ = 0.64, 0.83, 1.16 and 1.96 nats; $n = 10\,000$ samples per data set, of which
#   a quarter is held out. Five seeds per $\rho$, each with its own data set.
# - Critic: the concatenation critic $T(x, z) = \mathrm{MLP}([x, z])$ with two hidden ReLU layers of 64
#   units; Adam, learning rate $10^{-3}$, minibatches of $B = 32$ with marginal samples from an
#   in-batch shuffle of $z$ (a random derangement, `mb.critic_outputs`), 3000 steps.
# - Three trainings with **identical** initial critics, optimizer, minibatches and shuffles (the
#   4 x 5 = 20 critics of each training form one stacked ensemble, `gb.train_with_checkpoints`:
#   the recipe of `mb.estimate_mi_many`, built from the same `minebook` pieces, plus held-out
#   checkpoints):
#   1. biased MINE, $\log$-mean-$\exp$ by log-sum-exp (stable);
#   2. biased MINE, $\log$-mean-$\exp$ computed naively as `log(mean(exp(T)))` in float32;
#   3. EMA MINE, rate $a = 0.01$, stable numerics.
# - Every 100 steps we read out the DV bound on the held-out quarter (5 fixed shuffles for the
#   marginal samples). The final held-out value is the estimate.
#
# Why $B = 32$? Chapter 4 showed that the plain gradient is the gradient of the bound plus a
# bonus $\frac{m_2 - 1}{2B}$, with $m_2 = \mathbb{E}_Q[e^{2T}] / \mathbb{E}_Q[e^T]^2$. For the optimal critic
# $m_2 = 1/(1 - \rho^2)$, which is 3.6, 5.3, 10.3 and 50 for our four correlations: at $B = 32$ the
# largest $\rho$ is in the regime $B < m_2$ where the bonus is not small. The paper does not
# give the settings of its bias-correction experiments in any source we could read, so these
# are ours; the last section repeats the comparison at $B = 64$ and $B = 256$.

# %%
pairs = [
    mb.correlated_gaussian(cfg["n"], 1, rho, seed=1000 * seed + 10 * i + s)
    for i, rho in enumerate(rhos)
    for s in range(n_seeds)
]
variants = {
    "biased MINE (log-sum-exp)": dict(estimator="mine_biased", naive_numerics=False),
    "biased MINE (naive float32)": dict(estimator="mine_biased", naive_numerics=True),
    "EMA MINE (a = 0.01)": dict(estimator="mine", naive_numerics=False),
}
style = {
    "biased MINE (log-sum-exp)": dict(color=mb.plotting.COLORS["mine_biased"], linestyle="-"),
    "biased MINE (naive float32)": dict(color="#ff9896", linestyle="--"),
    "EMA MINE (a = 0.01)": dict(color=mb.plotting.COLORS["mine"], linestyle="-"),
}
raw, runs = {}, {}
for name, kw in variants.items():
    raw[name] = gb.train_with_checkpoints(
        pairs, batch_size=cfg["batch_size"], progress=True, desc=name, **kw, **train_kw
    )
    runs[name] = gb.stack_runs(raw[name], (len(rhos), n_seeds))
steps_axis = np.arange(1, cfg["steps"] + 1)
eval_steps = runs["EMA MINE (a = 0.01)"]["eval_steps"]

# %% [markdown]
# ## Estimates over iterations
#
# Top row: the minibatch DV value that the training loop sees (smoothed over 100 steps, mean over
# seeds). Bottom row: the held-out estimate at the checkpoints, every seed drawn thinly and
# the mean over seeds thickly. The dashed black lines are the true MI.

# %% tags=["hide-input"]
fig, axes = plt.subplots(len(rhos), 2, figsize=(7.4, 2.4 * len(rhos)), sharex=True, squeeze=False)
for i, rho in enumerate(rhos):
    top, bottom = axes[i, 0], axes[i, 1]  # one row per rho: training (left), held out (right)
    for name, run in runs.items():
        hist = np.nanmean(run["history"][i], axis=0)
        top.plot(steps_axis, mb.plotting.smooth(hist, 100), label=name, **style[name])
        bottom.plot(eval_steps, run["held_out"][i].T, alpha=0.25, linewidth=0.8, **style[name])
        bottom.plot(
            eval_steps, run["held_out"][i].mean(axis=0), linewidth=2, label=name, **style[name]
        )
    for ax in (top, bottom):
        mb.plotting.plot_truth(ax, truth[i])
    top.set_title(f"rho = {rho}: minibatch DV value", fontsize=10)
    bottom.set_title(f"held-out estimate (true MI {truth[i]:.2f})", fontsize=10)
    top.set_ylabel("nats")
    lowest = min(np.min(run["held_out"][i]) for run in runs.values())
    bottom.set_ylim(max(lowest, -1.5) - 0.1, truth[i] + 0.4)
for ax in axes[-1]:
    ax.set_xlabel("iteration")
handles, labels = axes[0, 0].get_legend_handles_labels()
fig.legend(handles, labels, fontsize=9, ncol=2, loc="lower center")
fig.tight_layout(rect=(0, 0.07, 1, 1))
plt.show()

# %% [markdown]
# ## Final held-out estimates

# %%
table = {
    name: (run["mi"].mean(axis=1), run["mi"].std(axis=1), run["mi"].min(axis=1))
    for name, run in runs.items()
}
header = f"{'rho':>5} {'true':>6} | " + " | ".join(f"{name:^28}" for name in runs)
print(header)
print(f"{'':>5} {'':>6} | " + " | ".join(f"{'mean +- sd (min)':^28}" for _ in runs))
print("-" * len(header))
for i, rho in enumerate(rhos):
    cells = [f"{m[i]:6.3f} +- {s[i]:5.3f} ({lo[i]:6.2f})" for m, s, lo in table.values()]
    print(f"{rho:>5} {truth[i]:6.3f} | " + " | ".join(f"{c:^28}" for c in cells))

# %% [markdown]
# What happens here:
#
# - **EMA MINE** converges at every $\rho$ and stays there: its held-out estimate ends within a few
#   hundredths of a nat of the truth, slightly below it at large MI (the usual underestimate of a
#   finite critic trained on finite data), with a spread over seeds of a few hundredths.
# - **Biased MINE** is close to EMA MINE at $\rho = 0.85$ and $0.9$ (a little lower), clearly worse
#   and noisier at $0.95$, and at $\rho = 0.99$ it climbs to about 1.8 nats in a few hundred steps and
#   then *falls*: its held-out estimate decays for the rest of training while the minibatch value
#   it trains on keeps looking good, above the truth. The spread over seeds becomes large, and
#   some seeds end below zero. Nothing becomes NaN or infinite: this is not a numerical divergence
#   but a slow collapse.
# - The two biased runs, naive and stable numerics, lie on top of each other.
#
# ## Overflow or bias?
#
# A naive `log(mean(exp(T)))` in float32 sums the exponentials before it divides, so it overflows
# as soon as $\log\sum_j e^{T_j}$ exceeds $\log(3.4 \times 10^{38}) \approx 88.7$, that is, once the largest
# marginal score of a minibatch of $B$ comes within about $\log B$ of 88.7. It then returns `inf`,
# and the next gradient step is `NaN`. Did that happen? We recorded, at every step, the largest
# marginal score of the minibatch.

# %%
overflow_at = float(np.log(np.finfo(np.float32).max))
t_max = {name: float(run["t_max"].max()) for name, run in runs.items()}
nonfinite = {
    name: int((gb.first_nonfinite_step(run["history"]) >= 0).sum()) for name, run in runs.items()
}
for name in runs:
    print(
        f"{name:<28}: largest marginal score {t_max[name]:6.2f} (overflow at {overflow_at:.2f}); "
        f"runs with a NaN/inf value: {nonfinite[name]} of {len(pairs)}"
    )
naive, stable = runs["biased MINE (naive float32)"], runs["biased MINE (log-sum-exp)"]
first_gap = float(np.max(np.abs(naive["history"][..., 0] - stable["history"][..., 0])))
final_gap = np.abs(naive["mi"].mean(axis=1) - stable["mi"].mean(axis=1))
print(
    f"largest difference naive vs stable, minibatch value of the first step: {first_gap:.1e} nats"
)
print(
    f"difference naive vs stable, seed-mean of the final estimates: {np.round(final_gap, 3)} nats"
)

# %% [markdown]
# No run ever came near the overflow threshold: with $d = 1$ the critic's scores stay within about
# a dozen units, and the DV bound has no reason to push them up, because it is invariant to
# $T \to T + c$. The naive and stable runs start identical up to float32 rounding; training
# amplifies the rounding differences (minibatch SGD is chaotic), so the trajectories drift
# apart, but the two trainings fail in the same way and to the same extent. **Biased MINE fails
# here because of its gradient, not because of overflow.**
#
# Overflow is real, though, and easy to trigger. The DV value of the critic $T + c$ is the same
# for every constant $c$; the naive formula breaks as soon as $\log\sum_j e^{T_j} + c > 88.7$. The figure
# below shifts one trained EMA critic ($\rho = 0.99$, first seed) on its held-out data.

# %% tags=["hide-input"]
k = (len(rhos) - 1) * n_seeds
ema_raw = raw["EMA MINE (a = 0.01)"]
member = ema_raw["critic"].member(k)
x_h, z_h = ema_raw["x_test"][k], ema_raw["z_test"][k]
perm = torch.randperm(len(z_h), generator=torch.Generator().manual_seed(seed))
offsets = np.linspace(0, 100, 201)
shift = gb.shift_overflow(member, x_h, z_h, x_h, z_h[perm], offsets)
first_inf = (
    float(offsets[np.argmax(~np.isfinite(shift["naive"]))])
    if not np.all(np.isfinite(shift["naive"]))
    else np.inf
)
threshold = overflow_at - shift["log_sum_exp"]
print(
    f"{len(z_h)} held-out marginal scores, largest {shift['t_max']:.2f}, log-sum-exp "
    f"{shift['log_sum_exp']:.2f}; "
    f"naive value first inf at offset c = {first_inf:.1f} (prediction {threshold:.1f})"
)
lse_spread = float(np.ptp(shift["lse"]))
print(
    f"log-sum-exp value over all offsets: {shift['lse'].mean():.4f} nats (range {lse_spread:.1e})"
)

fig, ax = plt.subplots()
ax.plot(
    offsets,
    shift["lse"],
    color=mb.plotting.COLORS["mine"],
    linewidth=4,
    alpha=0.5,
    label="log-sum-exp",
)
finite = np.isfinite(shift["naive"])
ax.plot(
    offsets[finite],
    shift["naive"][finite],
    "--",
    color=mb.plotting.COLORS["mine_biased"],
    label="naive float32 (absent: -inf)",
)
ax.axvline(
    threshold,
    color="grey",
    linestyle=":",
    label="$c = 88.7 - \\log\\sum_j e^{T_j}$: the sum overflows",
)
mb.plotting.plot_truth(ax, truth[-1])
ax.set_xlabel("constant offset $c$ added to the critic")
ax.set_ylabel("DV value of $T + c$ on held-out data (nats)")
ax.set_ylim(truth[-1] - 0.5, truth[-1] + 0.5)
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# Past the line the naive value is `-inf` (not drawn). In training, overflow is a risk where
# scores can become large: unbounded critics on high-dimensional inputs, very large MI, or
# objectives that are not shift-invariant. It is fixed by the numerics alone (log-sum-exp, as
# `minebook` does everywhere), whatever the gradient. The bias is fixed by the gradient alone.
#
# ## Why biased MINE breaks: heavy tails
#
# Chapter 4 says what the biased gradient optimizes: the bound plus $\frac{m_2 - 1}{2B}$, a reward
# for a heavy-tailed $e^T$ under the product of marginals. A critic that puts rare, very large
# values of $e^T$ on pairs $(x, z)$ the training minibatches seldom contain gains that reward on
# minibatches, and loses on held-out data, where such pairs do show up. We recorded the held-out
# $m_2$ at every checkpoint.

# %% tags=["hide-input"]
fig, axes = mb.plotting.panel_grid(len(rhos), sharey=True)
for i, rho in enumerate(rhos):
    ax = axes[i]
    for name in ("biased MINE (log-sum-exp)", "EMA MINE (a = 0.01)"):
        ax.plot(
            eval_steps, np.exp(runs[name]["log_m2"][i]).T, alpha=0.3, linewidth=0.8, **style[name]
        )
        ax.plot(
            eval_steps,
            np.exp(np.median(runs[name]["log_m2"][i], axis=0)),
            linewidth=2,
            label=name,
            **style[name],
        )
    ax.axhline(
        1 / (1 - rho**2), color="black", linestyle="--", label="optimal critic: $1/(1-\\rho^2)$"
    )
    ax.set_yscale("log")
    ax.set_title(f"rho = {rho}")
    ax.set_xlabel("iteration")
axes[0].set_ylabel("held-out $m_2$")
axes[0].legend(fontsize=8)
fig.tight_layout()
plt.show()
m2_final = {name: np.exp(np.median(runs[name]["log_m2"][:, :, -1], axis=1)) for name in runs}
for name in ("biased MINE (log-sum-exp)", "EMA MINE (a = 0.01)"):
    print(f"{name:<28} final held-out m2 (median over seeds): {np.round(m2_final[name], 1)}")

# %% [markdown]
# The EMA critics keep $m_2$ below that of the optimal critic: they learn the bulk of the density
# ratio and not its extreme tail. The biased critics' $m_2$ keeps growing during training, past
# the optimal critic's, and at $\rho \ge 0.95$ it ends an order of magnitude or more above the EMA
# critics', exactly where $\frac{m_2 - 1}{2B}$ is large. The minibatch DV value, itself biased
# upwards by the same term, hides it.
#
# ## Gradient norms
#
# The global gradient norm of each critic per step (smoothed over 100 steps, median over seeds).

# %% tags=["hide-input"]
fig, axes = mb.plotting.panel_grid(len(rhos), sharey=True)
for i, rho in enumerate(rhos):
    for name, run in runs.items():
        axes[i].plot(
            steps_axis,
            mb.plotting.smooth(np.median(run["grad_norms"][i], axis=0), 100),
            label=name,
            **style[name],
        )
    axes[i].set_yscale("log")
    axes[i].yaxis.set_major_formatter(mpl.ticker.ScalarFormatter())
    axes[i].yaxis.set_minor_formatter(mpl.ticker.NullFormatter())
    axes[i].set_title(f"rho = {rho}")
    axes[i].set_xlabel("iteration")
axes[0].set_ylabel("gradient norm")
axes[0].legend(fontsize=8)
fig.tight_layout()
plt.show()
late = slice(-cfg["steps"] // 5, None)
gn_late = {name: np.median(run["grad_norms"][..., late], axis=(1, 2)) for name, run in runs.items()}
for name in runs:
    print(f"{name:<28} median gradient norm, last fifth of training: {np.round(gn_late[name], 2)}")

# %% [markdown]
# At small MI the norms are similar; the EMA gradient is slightly larger there, because its
# denominator is not the batch's own mean, so unlike the plain gradient it is not exactly zero
# along the direction $T \to T + c$. At $\rho = 0.99$ the biased critics' gradients grow to about
# twice the EMA critics', as their $e^T$ grows spikier: a symptom visible without held-out data.
#
# ## The batch size
#
# The bias falls as $1/B$. We repeat biased and EMA MINE at $\rho = 0.99$ (five seeds, the same data
# sets and splits, fresh initial critics) with larger minibatches.

# %%
i99 = len(rhos) - 1
pairs99 = pairs[i99 * n_seeds : (i99 + 1) * n_seeds]
panel = {
    cfg["batch_size"]: {
        "biased": runs["biased MINE (log-sum-exp)"]["mi"][i99],
        "ema": runs["EMA MINE (a = 0.01)"]["mi"][i99],
    }
}
for b in cfg["panel_batch_sizes"]:
    panel[b] = {}
    for key, est in (("biased", "mine_biased"), ("ema", "mine")):
        kw = dict(train_kw, seed=seed + i99 * n_seeds)  # the same seeds as these members above
        panel[b][key] = gb.train_with_checkpoints(
            pairs99, est, batch_size=b, progress=True, desc=f"{est} B={b}", **kw
        )["mi"]
panel_sizes = sorted(panel)
panel_names = {"biased": "biased MINE (log-sum-exp)", "ema": "EMA MINE (a = 0.01)"}
panel_frame = mb.plotting.seeds_frame(
    {panel_names[k]: np.array([panel[b][k] for b in panel_sizes]) for k in panel_names},
    panel_sizes,
    x_name="batch size",
    y_name="estimate",
    hue_name="variant",
)
palette = {name: style[name]["color"] for name in panel_names.values()}
fig, ax = plt.subplots()
sns.lineplot(
    data=panel_frame,
    x="batch size",
    y="estimate",
    hue="variant",
    palette=palette,
    marker="o",
    errorbar="sd",
    err_style="band",
    ax=ax,
)
sns.scatterplot(
    data=panel_frame,
    x="batch size",
    y="estimate",
    hue="variant",
    palette=palette,
    s=14,
    alpha=0.5,
    legend=False,
    ax=ax,
)
mb.plotting.plot_truth(ax, truth[i99])
ax.set_xscale("log", base=2)
ax.set_xlabel("batch size $B$")
ax.set_ylabel("final held-out estimate (nats)")
ax.set_title("rho = 0.99: every seed, mean and ± 1 sd band")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
for b in panel_sizes:
    print(
        f"B = {b:>4}: biased {panel[b]['biased'].mean():.3f} +- {panel[b]['biased'].std():.3f}, "
        f"EMA {panel[b]['ema'].mean():.3f} +- {panel[b]['ema'].std():.3f} (true "
        f"{truth[i99]:.3f})"
    )

# %% [markdown]
# With larger minibatches the bias bonus shrinks and biased MINE recovers; at $B = 256$ the two
# gradients give nearly the same estimate at $\rho = 0.99$. The EMA correction matters where
# $B$ is not large compared with $m_2$, that is, for small minibatches and large MI.
#
# ## Summary
#
# - With identical critics, optimizer and data, EMA MINE estimates the MI of all four
#   Gaussians closely. Biased MINE does not diverge numerically here, but at $\rho = 0.95$ and
#   $0.99$ with $B = 32$ its held-out estimate degrades during training, and at $\rho = 0.99$ it
#   collapses.
# - The failure is the gradient bias, not overflow: naive float32 numerics and log-sum-exp fail
#   identically, no score comes within 70 units of the overflow threshold, and the mechanism,
#   a heavy-tailed $e^T$ rewarded by the $\frac{m_2 - 1}{2B}$ bonus, is visible in the held-out $m_2$.
# - Overflow of the naive formula is a separate, purely numerical problem: shifting the critic by
#   a constant, which leaves the bound unchanged, breaks the naive formula once $\log\sum_j e^{T_j} + c > 88.7$.
# - The minibatch DV value is not a trustworthy training curve: it is biased upwards, and for
#   biased MINE it stays high while the held-out estimate falls.

# %%
ema_run, biased_run = runs["EMA MINE (a = 0.01)"], runs["biased MINE (log-sum-exp)"]
ema_err = ema_run["mi"].mean(axis=1) - truth
ema_sd = ema_run["mi"].std(axis=1)
biased_drop = biased_run["held_out"][i99].mean(axis=0).max() - biased_run["mi"][i99].mean()
gap_small = abs(panel[cfg["batch_size"]]["biased"].mean() - panel[cfg["batch_size"]]["ema"].mean())
big = max(panel_sizes)
gap_big = abs(panel[big]["biased"].mean() - panel[big]["ema"].mean())
print(f"EMA MINE: seed-mean error {np.round(ema_err, 3)} nats, sd {np.round(ema_sd, 3)}")
print(
    f"biased MINE at rho = 0.99: held-out estimate falls {biased_drop:.2f} nats from its best "
    "checkpoint (seed mean)"
)
print(
    f"biased - EMA gap at rho = 0.99: {gap_small:.2f} nats at B = {cfg['batch_size']}, "
    f"{gap_big:.2f} nats at B = {big}"
)
# The tolerances of the checks printed at the end of the chapter:
ema_ok = np.all(np.abs(ema_err) < 0.1) and np.all(ema_sd < 0.1)  # seed mean and spread
finite_ok = all(v == 0 for v in nonfinite.values()) and max(t_max.values()) < overflow_at - 50
numerics_ok = first_gap < 1e-4 and np.all(final_gap[:2] < 0.05)  # first step; rho <= 0.9
fails_ok = all(run["mi"][i99].mean() < truth[i99] - 0.5 for run in (biased_run, naive))
m2_ok = np.all(m2_final["biased MINE (log-sum-exp)"][2:] > 3 * m2_final["EMA MINE (a = 0.01)"][2:])
gap_ok = gap_big < 0.1 < gap_small
shift_ok = abs(first_inf - threshold) <= 1.0 and not np.all(np.isfinite(shift["naive"]))
shift_ok = shift_ok and lse_spread < 1e-3  # the naive value overflows, log-sum-exp stays put
if cfg["strict"]:
    assert biased_drop > 0.3, (
        f"biased MINE's held-out estimate fell only {biased_drop:.2f} nats from its best"
    )

# %% [markdown]
# ## Exercises
#
# Each runs in seconds at `budget = "smoke"`. Run a chapter at another budget or seed without
# editing it: `papermill -k python3 -p budget smoke -p seed 1 notebooks/NN_name.ipynb out.ipynb`
# (or change the `parameters` cell).
#
# 1. Set `cfg["batch_size"]` to 64 in the smoke settings and compare biased and EMA MINE at
#    $\rho = 0.99$: does the collapse appear?
# 2. Vary `cfg["ema_rate"]` (0.1, 0.01, 0.001): which rate is too slow to follow the critic?
# 3. With `seed = 1`, does the gap between biased and EMA MINE keep its sign on every seed?

# %% [markdown]
# The verdicts printed below are the book's: a verdict counts only where a re-run of the
# chapter on a disjoint set of seeds (`benchmarks/verdicts.py`, seed parameter 1000) agrees;
# where the two disagree the claim is inconclusive. The numbers behind each verdict, for this
# run's seeds, are in the reproduction table on the book's first page.

# %% [markdown]
# ## Verdicts
#
# What this chapter checked, as the reproduction table of the [introduction](../book/intro.md)
# records it: each check below is asserted before its line is printed, and the table ends
# the chapter (the code that builds the records is hidden).

# %% tags=["nbval-check-output", "hide-input"]
ema_name = "EMA MINE (a = 0.01)"
# the book's verdict rule (mb.report.compare_seeds): EMA - biased estimate, seed by seed
fix_small = mb.report.compare_seeds(
    panel[cfg["batch_size"]]["ema"], panel[cfg["batch_size"]]["biased"], threshold=0.1
)
fix_big = mb.report.compare_seeds(panel[big]["ema"], panel[big]["biased"], threshold=0.1)
rows = [
    {
        "claim": "EMA MINE estimates the MI of 2-D Gaussians (rho 0.85-0.99) closely",
        "paper": "Sec. 3.2 (no number)",
        "ours": "seed-mean error " + ", ".join(f"{e:+.3f}" for e in ema_err) + " nats at rho = "
        f"{', '.join(map(str, rhos))} "
        f"(B = {cfg['batch_size']}, 5 seeds)",
        "verdict": ("reproduced" if ema_ok else "not reproduced")
        if cfg["strict"]
        else "inconclusive",
    },
    {
        "claim": "The plain (biased) minibatch gradient makes MINE fail; the EMA correction fixes "
        "it",
        "paper": "Sec. 3.2 (no experiment found)",
        "ours": f"rho = 0.99 (truth {truth[i99]:.2f} nats), EMA - biased estimate: B = "
        f"{cfg['batch_size']}: {fix_small.describe(unit=' nats')} ({fix_small.verdict}); "
        f"B = {big}: {fix_big.describe(unit=' nats')} ({fix_big.verdict}): "
        "the failure needs small batches "
        "and large MI",
        "verdict": mb.report.combine_verdicts([fix_small.verdict, fix_big.verdict]),
        "note": "no numerical divergence: the failure is a slow collapse of the held-out estimate "
        "driven by heavy-tailed e^T",
    },
    {
        "claim": "Naive log(mean(exp(T))) overflow is a separate failure from the gradient bias",
        "paper": "—",
        "ours": f"in d = 1 the failure is the bias, not overflow: max marginal score "
        f"{max(t_max.values()):.1f} << 88.7; naive and stable biased runs fail alike",
        "verdict": (
            ("confirmed" if finite_ok and fails_ok and numerics_ok else "not reproduced")
            if cfg["strict"]
            else "inconclusive"
        ),
    },
]
mb.report.record("05_ema_correction", rows)
strict = cfg["strict"]
for ok, claim in (
    (ema_ok, "EMA MINE within 0.1 nats of the truth (seed mean) with sd < 0.1 at every rho"),
    (
        finite_ok,
        "no NaN/inf in any run; largest score more than 50 below the float32 overflow threshold",
    ),
    (
        numerics_ok,
        "naive and log-sum-exp numerics agree at the first step (< 1e-4 nats) and at rho <= 0.9 "
        "(< 0.05 nats)",
    ),
    (
        fails_ok,
        f"biased MINE (both numerics) fails at rho = 0.99, B = {cfg['batch_size']}: final "
        "estimate > 0.5 nats below the truth",
    ),
    (m2_ok, "biased critics' held-out m2 more than 3x the EMA critics' at rho >= 0.95"),
    (gap_ok, f"biased-EMA gap below 0.1 nats at B = {big}, above it at B = {cfg['batch_size']}"),
    (
        shift_ok,
        "shift demo: naive value overflows at c = 88.7 - log sum exp(T) (within 1), "
        "log-sum-exp unchanged",
    ),
):
    mb.report.check(ok, claim, strict=strict)
mb.report.verdict_table(rows, chapter="05_ema_correction")
