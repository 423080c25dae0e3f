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
# # 6. Mutual information of Gaussians: MINE against KSG
#
# The first experiment of the MINE paper {cite}`belghazi2018mine` pits the neural estimator
# against the classical non-parametric one, the $k$-nearest-neighbour estimator of Kraskov,
# Stögbauer and Grassberger (KSG) {cite}`kraskov2004estimating`, on correlated Gaussians whose
# mutual information is known in closed form. The paper's message has two halves: in two
# dimensions MINE and KSG are both essentially exact; in twenty dimensions KSG falls far below
# the truth while MINE keeps tracking it. This chapter reruns the whole grid of correlations
# for both dimensions, three estimators (MINE with the moving-average gradient, MINE-f and KSG)
# and three seeds, and also looks at the part of the grid that **no** estimator can reach
# with the samples we give it.
#
# ```{admonition} Key takeaways
# :class: tip
# - In two dimensions MINE, MINE-f and KSG all recover the MI of correlated Gaussians; KSG is the
#   most precise.
# - In twenty dimensions KSG recovers about half of the MI while MINE stays within 10%: the
#   paper's claim holds.
# - Beyond about $\log n$ nats no estimator can certify the MI from $n$ samples.
# ```

# %% tags=["parameters"]
budget = "full"
seed = 0

# %%
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from scipy.special import digamma

import minebook as mb
from minebook.experiments import sweeps

mb.plotting.setup()
RHOS = np.array([-0.99, -0.9, -0.7, -0.5, -0.3, -0.1, 0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99])

# %% tags=["hide-input"]
cfg = {
    "full": dict(
        n_seeds=3,
        k=3,
        d1=dict(
            n=20_000,
            steps=1000,
            batch_size=256,
            hidden=(64,),
            activation="relu",
            lr=3e-3,
            preprocess="standardize",
        ),
        d10=dict(
            n=6_000,
            steps=2000,
            batch_size=256,
            hidden=(128,),
            activation="elu",
            lr=1e-3,
            preprocess="standardize",
        ),
        probe_steps=(10, 60),  # two short runs that time a training step
        strict=True,  # assert the chapter's claims (a smoke run is too short to)
    ),
    "smoke": dict(
        n_seeds=2,
        k=3,
        d1=dict(
            n=600,
            steps=20,
            batch_size=64,
            hidden=(16,),
            activation="relu",
            lr=3e-3,
            preprocess="standardize",
        ),
        d10=dict(
            n=600,
            steps=20,
            batch_size=64,
            hidden=(16,),
            activation="elu",
            lr=1e-3,
            preprocess="standardize",
        ),
        probe_steps=(2, 6),
        strict=False,
    ),
}[budget]
mb.report.settings_table(cfg, budget)

# %% [markdown]
# ## The task and the three estimators
#
# For a dimension $d$ and a correlation $\rho \in (-1, 1)$ we draw $x \sim \mathcal N(0, I_d)$
# and $z = \rho\, x + \sqrt{1-\rho^2}\,\varepsilon$ with $\varepsilon \sim \mathcal N(0, I_d)$:
# every coordinate pair $(x_i, z_i)$ has correlation $\rho$ and the pairs are independent, so
# the mutual information adds up over coordinates ([chapter 1](01_mutual_information.ipynb)):
#
# $$
# I(X; Z) = -\frac d2 \log\left(1 - \rho^2\right) \quad\text{nats}.
# $$
#
# It depends on $\rho^2$ only, so the grid $\rho \in \{-0.99, -0.9, -0.7, -0.5, -0.3, -0.1, 0,
# 0.1, 0.3, 0.5, 0.7, 0.9, 0.99\}$ of the paper visits every value twice, once with negative
# correlation. For $d = 1$ (two dimensions in all) it runs from 0 to 1.96 nats; for $d = 10$
# (twenty in all) from 0 to 19.6 nats.
#
# **MINE** ([chapter 3](03_mine.ipynb)) trains a statistics network $T_\theta(x, z)$ by ascent on
# the Donsker-Varadhan bound with the moving-average gradient of
# [chapter 5](05_ema_correction.ipynb); **MINE-f** trains the same network on the
# $f$-divergence bound $\mathbb E_{\mathbb P}[T] - \mathbb E_{\mathbb Q}[e^{T-1}]$
# {cite}`nguyen2010estimating`. Both are read out on a held-out quarter of the samples.
#
# **KSG** needs no training. For every sample $i$ it finds the distance $\epsilon_i$ to its
# $k$-th nearest neighbour in the joint space (max-norm), counts the samples $n_x(i)$ and
# $n_z(i)$ that lie strictly closer than $\epsilon_i$ in each marginal space, and returns
# (algorithm 1 of {cite}`kraskov2004estimating`)
#
# $$
# \widehat I_{\mathrm{KSG}} = \psi(k) + \psi(n) - \left\langle \psi(n_x + 1) + \psi(n_z + 1) \right\rangle ,
# $$
#
# with $\psi$ the digamma function and $\langle\cdot\rangle$ the average over samples. It
# rests on the density being roughly uniform inside each neighbourhood, which is excellent in
# low dimension and poor when the joint density concentrates near a lower-dimensional set (the
# regime of strong dependence in many dimensions, {cite}`gao2015efficient`). We use $k = 3$ on
# all $n$ samples. In $d = 10$ we compute it by brute force (`sweeps.ksg_bruteforce`, the same
# estimate as `mb.ksg` to float32 rounding, tested) because $k$-d trees bring no speed-up in
# twenty dimensions.
#
# ### Settings
#
# The paper gives neither sample sizes, network sizes nor iteration counts, so these are ours,
# chosen so that the whole chapter runs in a few minutes on two CPU cores (its time is under the
# title):
#
# | | $d = 1$ | $d = 10$ |
# |---|---|---|
# | samples $n$ (MINE: 3/4 train, 1/4 held out; KSG: all) | 20 000 | 6 000 |
# | statistics network (concatenated input) | 1 hidden layer, 64 ReLU | 1 hidden layer, 128 ELU |
# | Adam steps, batch, learning rate | 1000, 256, $3\cdot10^{-3}$ | 2000, 256, $10^{-3}$ |
#
# The two columns differ for a reason. In $d = 1$ the hard point is $\rho = \pm 0.99$, where the
# optimal critic $\log p(x,z)/p(x)p(z)$ is a steep ridge along the diagonal (curvature about
# $1/(1-\rho^2) = 50$): a larger learning rate gets there in 1000 steps. In $d = 10$ the hard
# part is the opposite: 4 500 training rows in 20 dimensions, where a wider, deeper or longer-
# trained network memorises the training pairs and its held-out estimate drops (at $\rho = 0$ it
# becomes negative). The number of samples in $d = 10$ is limited by KSG, whose cost grows as
# $n^2$ there.
#
# ### What the samples can support
#
# Two ceilings matter for the largest values of the grid. KSG cannot exceed
# $\psi(n) - \psi(k)$: the $k-1$ nearest joint neighbours of a sample are also strictly inside
# $\epsilon_i$ in each marginal, so $n_x, n_z \geq k-1$. And no estimator that is a
# high-confidence lower bound can exceed $O(\log n)$ {cite}`mcallester2020formal`; `minebook`
# flags a held-out DV estimate above $\log n_{\text{test}}$ as unsupported. The true value at
# $d = 10$, $\rho = \pm 0.99$ (19.6 nats) is far above both.

# %%
n_test = {d: int(round(0.25 * cfg[f"d{d}"]["n"])) for d in (1, 10)}
ceiling_dv = {d: float(np.log(n_test[d])) for d in (1, 10)}
ceiling_ksg = {d: float(digamma(cfg[f"d{d}"]["n"]) - digamma(cfg["k"])) for d in (1, 10)}
truth = {d: mb.gaussian_mi(RHOS, d) for d in (1, 10)}
for d in (1, 10):
    beyond = RHOS[truth[d] > max(ceiling_dv[d], ceiling_ksg[d])]
    print(
        f"d={d:2d}: n={cfg[f'd{d}']['n']}, log n_test = {ceiling_dv[d]:.2f} nats, "
        f"KSG ceiling psi(n) - psi(k) = {ceiling_ksg[d]:.2f} nats, max truth "
        f"{truth[d].max():.2f} nats; "
        f"truth above both ceilings at rho = {beyond.tolist()}"
    )

# %% [markdown]
# ## The sweeps
#
# Each estimator and dimension is **one** call: `sweeps.run_sweep` draws a fresh data set for
# every (value of $\rho$, seed), 13 × 3 = 39 of them, and hands them all to
# `mb.estimate_mi_many`, which trains the 39 statistics networks at once with stacked weights
# (one batched matrix product per layer). Member $k$ uses training seed `seed + k`; the data
# seed of each cell comes from `numpy.random.SeedSequence([seed, i, s])`. KSG runs on exactly the
# same 39 data sets as MINE and MINE-f.

# %%
ESTIMATORS = {"MINE": "mine", "MINE-f": "mine_f", "KSG": "ksg"}
results = {}
for d in (1, 10):
    c = dict(cfg[f"d{d}"])
    n = c.pop("n")

    def sample(rho, data_seed, n=n, d=d):
        return mb.correlated_gaussian(n, d, rho, data_seed)

    results[d] = {}
    for label, estimator in ESTIMATORS.items():
        if estimator == "ksg":
            kwargs = dict(k=cfg["k"], preprocess="none")  # the raw samples, as Kraskov et al.
            estimator = "ksg_bruteforce" if d > 1 else "ksg"
        else:
            kwargs = dict(c, progress=True, desc=f"{label}, d={d}")
        results[d][label] = sweeps.run_sweep(
            sample, RHOS, truth[d], estimator, n_seeds=cfg["n_seeds"], seed=seed, **kwargs
        )

for d in (1, 10):
    for label, sw in results[d].items():
        per_step = (
            f", {1000 * sw.seconds_per_step:.1f} ms per step of the ensemble" if sw.steps else ""
        )
        print(f"d={d:2d} {label:6s}: {sw.n_members} estimates in {sw.seconds:5.1f} s{per_step}")

# %% [markdown]
# The timings above are wall-clock seconds on the machine that executed this page, read-out
# included, and depend on how busy it was. What stacking buys is better seen as a ratio
# measured on the spot: the cost of one training step of the 39-member ensemble against one
# step of a single network of the same architecture ($d = 10$ settings).

# %%
x_probe, z_probe = mb.correlated_gaussian(cfg["d10"]["n"], 10, 0.5, seed)
probe = {key: cfg["d10"][key] for key in ("batch_size", "hidden", "activation", "lr")}
probe_steps = cfg["probe_steps"]
cost = {
    K: sweeps.ensemble_step_cost(x_probe, z_probe, K, steps=probe_steps, seed=seed, **probe)
    for K in (1, len(RHOS) * cfg["n_seeds"])
}
k_big = len(RHOS) * cfg["n_seeds"]
print(f"one step, 1 critic:   {1000 * cost[1]:6.2f} ms")
print(
    f"one step, {k_big} critics: {1000 * cost[k_big]:6.2f} ms  "
    f"(= {cost[k_big] / max(cost[1], 1e-9):.1f} single steps, instead of {k_big})"
)

# %% [markdown]
# ## Two dimensions
#
# The left panel shows the three estimators against the true curve, the right panel their
# errors (mean over seeds, bars: the seed-to-seed standard deviation; the markers are shifted
# sideways a little so that they do not hide each other).

# %%
MARKERS = {"MINE": "o", "MINE-f": "s", "KSG": "^"}
COLORS = {
    "MINE": mb.plotting.COLORS["mine"],
    "MINE-f": mb.plotting.COLORS["mine_f"],
    "KSG": mb.plotting.COLORS["ksg"],
}
OFFSETS = {"MINE": -0.012, "MINE-f": 0.0, "KSG": 0.012}
rho_fine = np.linspace(-0.995, 0.995, 801)


def plot_dimension(d, show_ceilings):
    fig, (ax, ax_err) = plt.subplots(1, 2, figsize=(11.5, 4.2))
    ax.plot(rho_fine, mb.gaussian_mi(rho_fine, d), color="black", lw=1.2, label="true MI")
    frame = mb.plotting.seeds_frame(
        {label: sw.values for label, sw in results[d].items()},
        RHOS,
        x_name="rho",
        y_name="estimate",
        hue_name="estimator",
    )
    frame["error"] = frame["estimate"] - mb.gaussian_mi(frame["rho"].to_numpy(), d)
    frame["rho (dodged)"] = frame["rho"] + frame["estimator"].map(OFFSETS)
    sns.scatterplot(
        data=frame,
        x="rho (dodged)",
        y="estimate",
        hue="estimator",
        style="estimator",
        markers=MARKERS,
        palette=COLORS,
        s=16,
        alpha=0.7,
        ax=ax,
    )
    sns.lineplot(
        data=frame,
        x="rho",
        y="error",
        hue="estimator",
        style="estimator",
        markers=MARKERS,
        dashes=False,
        palette=COLORS,
        errorbar="sd",
        err_style="band",
        lw=0.8,
        ms=4,
        ax=ax_err,
    )
    if show_ceilings:
        ax.axhline(
            ceiling_dv[d],
            color=COLORS["MINE"],
            ls=":",
            lw=1,
            label=rf"$\log n_{{test}}$ = {ceiling_dv[d]:.1f}",
        )
        ax.axhline(
            ceiling_ksg[d],
            color=COLORS["KSG"],
            ls="-.",
            lw=1,
            label=rf"KSG ceiling $\psi(n)-\psi(k)$ = {ceiling_ksg[d]:.1f}",
        )
    ax_err.axhline(0, color="black", lw=0.8)
    ax.set_xlabel(r"correlation $\rho$")
    ax.set_ylabel("MI (nats)")
    ax.set_title(rf"Estimates against $\rho$, $d = {d}$ ({2 * d} dimensions)")
    ax.legend(loc="upper center", fontsize=8)
    ax_err.set_xlabel(r"correlation $\rho$")
    ax_err.set_ylabel("estimate - truth (nats)")
    ax_err.set_title("Errors (mean over seeds, ± 1 sd band)")
    ax_err.legend(fontsize=8)
    fig.tight_layout()
    plt.show()


plot_dimension(1, show_ceilings=False)
print(sweeps.error_table(results[1]))

# %% [markdown]
# In two dimensions all three estimators sit on the true curve, which is what the paper reports
# ("virtually indistinguishable from the ground truth"). KSG is the most accurate here, with
# errors of about a hundredth of a nat or less at every $\rho$; the neural estimators lose a
# few hundredths at $\rho = \pm 0.99$, where the critic must become a narrow ridge, and are
# otherwise as good. The negative correlations mirror the positive ones, as they should.
#
# We check two claims with explicit tolerances. A purely relative tolerance is zero at
# $\rho = 0$, which no estimator from finite samples can meet, so each has an **absolute floor**:
#
# - KSG is within $\max(5\%\ \text{of the truth},\ 0.02\ \text{nats})$ of the truth for
#   $|\rho| \leq 0.9$ (mean over seeds);
# - MINE is within $\max(10\%,\ 0.05\ \text{nats})$ wherever the true MI is at most 5 nats
#   (here: all of $d = 1$; checked for $d = 10$ below). MINE's floor is larger because its
#   held-out read-out pays for overfitting, which in $d = 10$ costs a few hundredths of a nat
#   even at $\rho = 0$.

# %%
KSG_REL, KSG_FLOOR = 0.05, 0.02
MINE_REL, MINE_FLOOR = 0.10, 0.05
sel_ksg = np.abs(RHOS) <= 0.9
ksg_ok_1 = sweeps.within(results[1]["KSG"].mean, truth[1], KSG_REL, KSG_FLOOR)
mine_ok = {
    d: sweeps.within(results[d]["MINE"].mean, truth[d], MINE_REL, MINE_FLOOR) for d in (1, 10)
}
sel_mine = {d: truth[d] <= 5.0 for d in (1, 10)}
mine_seed_ok = {
    d: sweeps.within(results[d]["MINE"].values, truth[d], MINE_REL, MINE_FLOOR)[sel_mine[d]]
    for d in (1, 10)
}
print(
    f"KSG, d=1, |rho| <= 0.9: {ksg_ok_1[sel_ksg].sum()} of {sel_ksg.sum()} values within "
    "tolerance; "
    f"max |error| {results[1]['KSG'].abs_error[sel_ksg].max():.4f} nats"
)
print(
    f"MINE, d=1: {mine_ok[1][sel_mine[1]].sum()} of {sel_mine[1].sum()} values within tolerance; "
    f"single seeds: {mine_seed_ok[1].sum()} of {mine_seed_ok[1].size}"
)
if cfg["strict"]:
    assert ksg_ok_1[sel_ksg].all(), (
        f"KSG (d=1) outside max(5%, 0.02 nats) at rho = {RHOS[sel_ksg & ~ksg_ok_1]}"
    )
    assert mine_ok[1][sel_mine[1]].all(), (
        f"MINE (d=1) outside max(10%, 0.05 nats) at rho = {RHOS[~mine_ok[1]]}"
    )

# %% [markdown]
# ## Twenty dimensions
#
# The same grid with $d = 10$. The true curve now climbs to 19.6 nats; the dotted and dash-dotted
# lines are the two ceilings computed above.

# %%
plot_dimension(10, show_ceilings=True)
print(sweeps.error_table(results[10]))

# %% [markdown]
# The picture changes. KSG recovers only about half of the mutual information at every
# $0.3 \leq |\rho| \leq 0.7$ (checked below: between 40% and 60%), with a tiny spread over
# seeds: this is bias, not noise. Its neighbourhoods in twenty dimensions are
# large compared with the scale on which the joint density varies, and the counts $n_x, n_z$
# come out too large. MINE stays within a tenth of the truth up to $\rho = \pm 0.7$ (3.4 nats)
# and MINE-f a little behind it, both with the slight underestimate of a critic that has not
# fully converged. The claims we check:
#
# - MINE within $\max(10\%, 0.05)$ nats wherever the truth is at most 5 nats ($|\rho| \leq 0.7$);
# - MINE closer to the truth than KSG at every $|\rho| \geq 0.5$.

# %%
mid = (np.abs(RHOS) >= 0.3) & (np.abs(RHOS) <= 0.7)
ksg_fraction = results[10]["KSG"].mean[mid] / truth[10][mid]
half_ok = bool(np.all((ksg_fraction > 0.4) & (ksg_fraction < 0.6)))
print(
    f"KSG / truth for 0.3 <= |rho| <= 0.7 (d=10): {ksg_fraction.min():.2f} to "
    f"{ksg_fraction.max():.2f}"
)
big = np.abs(RHOS) >= 0.5
closer = results[10]["MINE"].abs_error < results[10]["KSG"].abs_error
print(
    f"MINE, d=10, truth <= 5 nats: {mine_ok[10][sel_mine[10]].sum()} of {sel_mine[10].sum()} "
    "values within "
    f"tolerance; single seeds: {mine_seed_ok[10].sum()} of {mine_seed_ok[10].size}"
)
print(
    f"MINE closer to the truth than KSG at {closer[big].sum()} of {big.sum()} values with |rho| "
    ">= 0.5"
)
for r, m_err, k_err in zip(
    RHOS[big], results[10]["MINE"].error[big], results[10]["KSG"].error[big], strict=True
):
    print(f"  rho = {r:+.2f}: MINE error {m_err:+7.3f}, KSG error {k_err:+7.3f} nats")
if cfg["strict"]:
    assert mine_ok[10][sel_mine[10]].all(), (
        f"MINE (d=10) outside max(10%, 0.05 nats) at rho = {RHOS[sel_mine[10] & ~mine_ok[10]]}"
    )
    assert closer[big].all(), f"KSG closer than MINE at rho = {RHOS[big & ~closer]}"
    assert half_ok, f"KSG recovers {ksg_fraction} of the truth, not 40% to 60%"

# %% [markdown]
# ## Beyond what 6 000 samples can tell
#
# At $\rho = \pm 0.9$ (8.3 nats) and $\rho = \pm 0.99$ (19.6 nats) the truth lies above both
# ceilings, and no estimator comes close: the points are in the figure, far below the curve.
# KSG stays a good way below its own ceiling $\psi(n) - \psi(k)$. MINE gets higher than KSG,
# up to about $\log n_{\text{test}}$, where `estimate_mi` starts flagging its estimates as
# unsupported (counted below). This is not a failure of training
# that more steps would fix: a lower bound on $e^{I}$ of order $e^{19.6} \approx 3 \cdot 10^{8}$
# cannot be certified from 1 500 held-out pairs {cite}`mcallester2020formal,song2020understanding`.
# In the paper's words these points test the estimators; here they mainly test the sample size,
# so that "MINE is closer to the truth than KSG" at $|\rho| \geq 0.9$ is a statement about two
# large underestimates, MINE's being the smaller.

# %%
unreachable = truth[10] > max(ceiling_dv[10], ceiling_ksg[10])
all_values = np.concatenate([sw.values[unreachable] for sw in results[10].values()], axis=1)
gap = (truth[10][unreachable][:, None] - all_values).min()
flagged = {label: int(sw.diverged.sum()) for label, sw in results[10].items()}
print(
    f"unreachable values: rho = {RHOS[unreachable].tolist()}, truth "
    f"{np.round(truth[10][unreachable], 2).tolist()} nats"
)
print(f"smallest shortfall of any estimate (any estimator, any seed) there: {gap:.2f} nats")
print(f"estimates above log n_test flagged by estimate_mi (d=10): {flagged}")
if cfg["strict"]:
    assert gap > 1.0, "an estimate came within 1 nat of a truth above both ceilings"

# %% [markdown]
# ## MINE against MINE-f
#
# The two neural estimators share everything but the objective. Below 3.5 nats they agree to
# within a few hundredths of a nat; above it (only in $d = 10$) MINE-f is lower. The
# $f$-divergence bound is looser for any critic that is not optimal, since it replaces the
# logarithm of the partition term by its linear upper bound, and the variance of
# $\mathbb E_{\mathbb Q}[e^{T-1}]$ grows like $e^{I}$ {cite}`song2020understanding`.

# %%
for d in (1, 10):
    diff = results[d]["MINE"].mean - results[d]["MINE-f"].mean
    low = truth[d] <= 3.5
    text = (
        f"d={d:2d}: MINE - MINE-f where truth <= 3.5 nats: max |diff| "
        f"{np.abs(diff[low]).max():.3f} nats"
    )
    if (~low).any():
        text += f"; where truth > 3.5 nats: mean diff {diff[~low].mean():+.3f} nats"
    print(text)

# %% [markdown]
# ## Summary
#
# - In two dimensions MINE, MINE-f and KSG all recover the mutual information of correlated
#   Gaussians; KSG is the most precise (errors of about a hundredth of a nat or less at 20 000 samples).
# - In twenty dimensions KSG recovers about half of it (for $0.3 \leq |\rho| \leq 0.7$), while MINE stays
#   within 10% up to 3.4 nats: the paper's claim that KSG under-estimates in high dimension and
#   MINE does not is reproduced.
# - At 8.3 and 19.6 nats (20 dimensions, $|\rho| \geq 0.9$) no estimator comes close with 6 000
#   samples: the truth is beyond what the sample size can support, and MINE's advantage there is
#   only that it underestimates less.
#
# [Chapter 7](07_equitability.ipynb) keeps one dimension but leaves the Gaussians: the same estimators on
# $Y = f(X) + \sigma\varepsilon$ for three functions $f$.

# %% [markdown]
# ## Exercises
#
# Each runs in seconds at `budget = "smoke"`. Run a chapter at another budget or seed without
# editing it: `papermill -k python3 -p budget smoke -p seed 1 notebooks/NN_name.ipynb out.ipynb`
# (or change the `parameters` cell).
#
# 1. Change `cfg["k"]` (KSG's neighbours) to 10: does KSG in 20 dimensions get closer to the
#    truth, and what happens in 2 dimensions?
# 2. Double the samples of the $d = 10$ sweep (`cfg["d10"]`): which estimates move, and which stay
#    pinned below $\log n$?
# 3. Replace `mb.correlated_gaussian` by `mb.sample_mvn` with a covariance of your choice and
#    compare the three estimators with `mb.mvn_mi`.

# %% [markdown]
# ## Verdicts
#
# What this chapter checked, as the reproduction table of the [introduction](../book/intro.md)
# records it: each check below is asserted before its line is printed, and the table ends
# the chapter (the code that builds the records is hidden).

# %% tags=["nbval-check-output", "hide-input"]
ksg_pass_1 = bool(ksg_ok_1[sel_ksg].all())
mine_pass = {d: bool(mine_ok[d][sel_mine[d]].all()) for d in (1, 10)}
closer_pass = bool(closer[big].all())
gap_pass = bool(gap > 1.0)
max_err = {label: float(results[1][label].abs_error.max()) for label in ESTIMATORS}
ratio_ksg = results[10]["KSG"].mean[big & ~unreachable] / truth[10][big & ~unreachable]
rows = [
    {
        "claim": "2-D Gaussians: MINE, MINE-f and KSG match the ground truth over the rho grid",
        "paper": "Gaussian experiment (ICLR version): MINE and KSG virtually indistinguishable "
        "from "
        "ground truth",
        "ours": "max |error| of the 3-seed mean over 13 rho: "
        + ", ".join(f"{k} {v:.3f}" for k, v in max_err.items())
        + " nats",
        "verdict": "reproduced" if (ksg_pass_1 and mine_pass[1]) else "not reproduced",
    },
    {
        "claim": "20-D Gaussians: KSG under-estimates, MINE tracks the truth",
        "paper": "KSG under-estimates in 20 dimensions (ICML version)",
        "ours": (
            f"|rho| in {{0.5, 0.7}}: KSG recovers {ratio_ksg.min():.0%}-{ratio_ksg.max():.0%} "
            "of the truth; "
            f"MINE within 10% (floor 0.05 nats) up to {truth[10][sel_mine[10]].max():.2f} nats "
            f"and closer than KSG at all |rho| >= 0.5"
        ),
        "verdict": "reproduced" if (mine_pass[10] and closer_pass) else "not reproduced",
        "unconfirmed": True,
    },
    {
        "claim": "20-D, rho = ±0.9, ±0.99 (8.3, 19.6 nats): beyond what n = 6000 samples support",
        "paper": "not discussed",
        "ours": (
            f"every estimate at least {gap:.1f} nats below the truth; ceilings log n_test = "
            f"{ceiling_dv[10]:.1f}, "
            f"psi(n)-psi(k) = {ceiling_ksg[10]:.1f} nats"
        ),
        "verdict": "confirmed" if gap_pass else "not reproduced",
    },
]
mb.report.record("06_gaussians_ksg", rows)
print(f"grid: {len(RHOS)} values of rho x {cfg['n_seeds']} seeds, d = 1 and d = 10, 3 estimators")
print(f"true MI at rho = 0.99: d=1 {truth[1][-1]:.2f} nats, d=10 {truth[10][-1]:.2f} nats")
for ok, claim in (
    (ksg_pass_1, "KSG (d=1) within max(5%, 0.02 nats) for |rho| <= 0.9"),
    (mine_pass[1], "MINE (d=1) within max(10%, 0.05 nats) wherever truth <= 5 nats"),
    (mine_pass[10], "MINE (d=10) within max(10%, 0.05 nats) wherever truth <= 5 nats"),
    (closer_pass, "MINE (d=10) closer to the truth than KSG at every |rho| >= 0.5"),
    (half_ok, "KSG (d=10) recovers 40% to 60% of the truth for 0.3 <= |rho| <= 0.7"),
    (gap_pass, "d=10, |rho| >= 0.9: every estimate more than 1 nat below the truth"),
):
    mb.report.check(ok, claim, strict=cfg["strict"])
mb.report.verdict_table(rows, chapter="06_gaussians_ksg")
