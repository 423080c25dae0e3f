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
# Deep VIB and MINE-IB with the same encoder and classifier on scikit-learn's 8x8 digits,
# sweeps $\beta$, and draws the information plane.

# %% tags=["parameters"]
budget = "full"
seed = 0
mnist_dir = ""  # a folder with the four MNIST IDX files (.gz or raw) to use MNIST instead of digits

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch

import minebook as mb
from minebook import bottleneck as bn
from minebook import datasets

mb.plotting.setup()
torch.manual_seed(seed)

cfg = {
    "full": dict(betas=[1e-3, 1e-2, 1e-1, 0.3, 1.0], n_seeds=3, steps=1500, batch_size=128, dim_z=32,
                 hidden=(128, 128), critic_hidden=(128, 128), critic_steps=3, mc_samples=12,
                 posthoc=dict(steps=600, batch_size=256, hidden=(64, 64))),
    "smoke": dict(betas=[1e-2, 1.0], n_seeds=2, steps=15, batch_size=32, dim_z=4, hidden=(16,),
                  critic_hidden=(16,), critic_steps=2, mc_samples=2,
                  posthoc=dict(steps=10, batch_size=64, hidden=(8,))),
}[budget]
{k: v for k, v in cfg.items() if k != "posthoc"}

# %% [markdown]
# ## Data: permutation-invariant digits
#
# The paper's experiment is permutation-invariant MNIST: the pixels are a flat vector and
# the networks are MLPs, so nothing knows that pixels have neighbours. To run in a couple of
# minutes on a laptop CPU we use scikit-learn's 8x8 digits (1797 images of 64 pixels, which
# ship with the package) with a fixed stratified split: 450 test digits, and the 1347
# training digits split again into 1077 for training and 270 for *validation*, which
# chooses $\beta$ so that the test digits never influence a choice. Pixels are standardized
# with the training statistics. Pass `mnist_dir` to run on your own copy of MNIST instead
# (`minebook.datasets.load_mnist` reads the IDX files; nothing is downloaded; expect the
# full budget to take much longer there).

# %%
data = datasets.load_images(mnist_dir)
fit, validation = datasets.holdout(data, fraction=0.2, seed=0)
print(data)
print(f"train {len(fit.y_train)}, validation {len(validation[1])}, test {len(fit.y_test)}")

# %% [markdown]
# ## Three models, one encoder
#
# All three share an MLP encoder (64 → 128 → 128 → 2 × 32, ReLU) that outputs a mean
# $\mu(x)$ and a scale $\sigma(x) = \operatorname{softplus}(\cdot)$ for a $d_z = 32$ code,
# and a linear softmax classifier $q(y \mid z)$.
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
# first attempts, with a critic on raw pixels $T(x, z)$ and one critic step per encoder
# step, did exactly that: the MINE estimate fell with $\beta$ while the test codes stayed
# perfectly separable (the known-encoder $I(X;Z)$ below stayed at its ceiling $\log 450$)
# and the test error got *worse* than the baseline's. Three choices fixed it:
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
# Every member of the sweep — the baseline, 5 values of $\beta$ for each bottleneck, 3 seeds
# each, 33 models — trains at once as one stacked ensemble (`minebook.bottleneck.beta_sweep`):
# one batched matmul per layer for all of them, each member with its own $\beta$, its own
# minibatches and, for MINE-IB, its own critic and moving average.

# %%
sweep = bn.beta_sweep(
    fit, cfg["betas"], n_seeds=cfg["n_seeds"], validation=validation, seed=seed, mc_samples=cfg["mc_samples"],
    steps=cfg["steps"], batch_size=cfg["batch_size"], dim_z=cfg["dim_z"], hidden=cfg["hidden"],
    critic_hidden=cfg["critic_hidden"], critic_steps=cfg["critic_steps"], progress=True)
betas = sweep.betas
n_test = len(fit.y_test)

# %% [markdown]
# ## How much does the code know about the image?
#
# We measure $I(X;Z)$ of every trained encoder in two independent ways, on the test digits
# (so $X$ is uniform over $N = 450$ images):
#
# * **known encoder**: $p(z \mid x)$ is Gaussian and known, so $p(z)$ is the mixture
#   $\frac1N \sum_j \mathcal N(z; \mu_j, \sigma_j^2)$ and
#   $I(X;Z) = \mathbb E\big[\log p(z|x_i) - \log p(z)\big]$ is a Monte Carlo average
#   (`bn.encoder_mi`). It can never exceed $\log N = 6.11$ nats, reached when the codes of
#   different digits do not overlap;
# * **fresh MINE**: a new statistics network per encoder, trained with
#   `mb.estimate_mi_many` and read out on held-out pairs. Since $Z$ depends on $X$ only
#   through $s(x) = (\mu(x), \log \sigma(x))$, $I(X;Z) = I(s(X); Z)$, and the critic reads
#   $s(x)$ (`bn.code_mi_mine`). A lower bound: it must stay below the known value. Its
#   read-out rests on the held-out marginal pairs with a large $e^{T}$; the line below says how
#   many effectively count (`MIEstimate.ess`, [chapter 12](12_beyond_mine.ipynb)).

# %%
with mb.estimate.few_pairs_reported():  # the effective pairs are reported below instead
    fresh = {m: bn.code_mi_mine(sweep.codes[m], seed=seed, return_ess=True, **cfg["posthoc"]) for m in ("vib", "mine")}
posthoc = {m: fresh[m][0] for m in fresh}
known = sweep.mi_known
print("fresh-MINE read-outs", mb.estimate.ess_summary([fresh[m][1] for m in fresh]))

# %% [markdown]
# ## Results
#
# $\beta$ is chosen per method by the mean *validation* error over seeds; the table gives
# the test error (mean ± standard deviation over 3 seeds, on 450 test digits: one digit is
# 0.22 points).

# %%
best = {m: sweep.best(m) for m in ("vib", "mine")}
err = {m: sweep.errors[m] for m in bn.METHODS}


def mean_sd(a, fmt=".2f"):
    return f"{np.mean(a):{fmt}} ± {np.std(a, ddof=1):{fmt}}"


names = {"baseline": "deterministic baseline", "vib": "Deep VIB", "mine": "MINE-IB"}
print(f"{'model':24s} {'beta':>7s}  {'val. error %':>14s}  {'test error %':>14s}  {'I(X;Z) known':>12s}  {'MINE':>6s}")
print(f"{names['baseline']:24s} {'-':>7s}  {mean_sd(sweep.val_errors['baseline']):>14s}  "
      f"{mean_sd(err['baseline']):>14s}  {'log N':>12s}  {'-':>6s}")
for m in ("vib", "mine"):
    for i, b in enumerate(betas):
        mark = " *" if i == best[m] else "  "
        print(f"{names[m]:24s} {b:7.0e}{mark}{mean_sd(sweep.val_errors[m][i]):>14s}  {mean_sd(err[m][i]):>14s}  "
              f"{known[m][i].mean():12.2f}  {posthoc[m][i].mean():6.2f}")
print("* = beta chosen on the validation digits; I(X;Z) in nats on the test digits, log N =",
      f"{math.log(n_test):.2f}")

# %% [markdown]
# Next to the paper's table for permutation-invariant MNIST (from
# {cite}`alemi2017deep`, whose first rows the MINE paper copies, and {cite}`belghazi2018mine`):
#
# | Model | PI-MNIST error (paper) | digits error (ours, printed above) |
# |---|---|---|
# | Baseline (deterministic MLP) | 1.38% | see the baseline row |
# | Deep VIB, $\beta = 10^{-3}$ | 1.13% | see the row marked * |
# | MINE (Gaussian) | 1.11% (unconfirmed) | see the row marked * |
#
# The MINE number is from the ICML table, which we could not read (the ICLR submission
# reports 1.37% for VIB and 1.26% for MINE (Gaussian)), so treat it as unconfirmed. The
# settings differ in everything but the idea: 60,000 training images of 784 pixels against
# our 1,077 of 64, a 784-1024-1024-256 encoder trained for 200 epochs against our
# 64-128-128-32 one trained for about 180 epochs (1500 steps of 128), and a test set of
# 10,000 against 450 (so our errors move in steps of 0.22 points). Only the *ordering*
# is comparable, and on MNIST the gaps are 0.25 points, a few times the spread between
# seeds.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4.0))
ax = axes[0]
base = err["baseline"]
ax.axhspan(base.mean() - base.std(ddof=1), base.mean() + base.std(ddof=1), color="0.85")
ax.axhline(base.mean(), color="0.3", label="deterministic baseline (± sd)")
for m in ("vib", "mine"):
    e = err[m]
    ax.errorbar(betas, e.mean(1), yerr=e.std(1, ddof=1), marker="o", capsize=3, color=mb.plotting.COLORS[m],
                label=names[m])
    ax.plot(betas[best[m]], e[best[m]].mean(), marker="*", markersize=16, color=mb.plotting.COLORS[m], ls="none")
ax.set(xscale="log", yscale="log", xlabel=r"$\beta$", ylabel="test error (%)",
       title="test error (star: beta chosen on validation)")
ax.legend()
ax = axes[1]
for m in ("vib", "mine"):
    c = mb.plotting.COLORS[m]
    ax.plot(betas, known[m].mean(1), marker="o", color=c, label=f"{names[m]}: known encoder")
    ax.plot(betas, posthoc[m].mean(1), marker="s", ls="--", color=c, label=f"{names[m]}: fresh MINE")
ax.plot(betas, sweep.mine_train["mine"].mean(1), marker="^", ls=":", color=mb.plotting.COLORS["mine"],
        label="MINE-IB: its own critic (training)")
ax.plot(betas, sweep.rate["vib"].mean(1), marker="v", ls=":", color=mb.plotting.COLORS["vib"],
        label="Deep VIB: rate (KL upper bound)")
ax.axhline(math.log(n_test), color="k", ls="--", lw=1, label=r"$\log N$ (ceiling)")
ax.axhline(math.log(10), color="k", ls=":", lw=1, label=r"$\log 10$ (label entropy)")
ax.set(xscale="log", ylim=(-0.5, 10), xlabel=r"$\beta$", ylabel=r"$I(X;Z)$ (nats)", title="information kept")
ax.legend(fontsize=7, loc="lower left")
plt.tight_layout()
plt.show()

# %% [markdown]
# Reading the figure from left to right:
#
# * With small $\beta$ the codes keep almost everything: the known-encoder value sits near
#   the ceiling $\log N$ for MINE-IB and a few nats below it for VIB, and the fresh MINE
#   estimates sit below the known values, as a lower bound must. VIB's rate, an upper
#   bound, is far above both: tens of nats of "information" that a code of 450 digits
#   cannot hold.
# * As $\beta$ grows, every estimate of $I(X;Z)$ falls. VIB gives up information
#   smoothly, and at $\beta = 1$ it keeps almost nothing and cannot name the digit any more:
#   the sharp rise of the error at large $\beta$ that Alemi et al. report on MNIST.
#   Notice that VIB still classifies well somewhat *below* $\log 10 \approx 2.3$ nats (the
#   entropy of the label): one code $z$ carries less than that, but the prediction averages
#   the classifier over 12 codes drawn for the same image, and 12 noisy looks at an image
#   say more than one.
# * MINE-IB compresses less for the same $\beta$, and differently. Its fresh MINE estimate
#   falls steadily with $\beta$, but its known-encoder value stays at the ceiling up to
#   $\beta = 0.01$ and need not fall monotonically after that: the encoder lowers the
#   information *a critic can find* faster than the information that is there. That gap is
#   the price of minimising a lower bound, and the reason for the critic design above.
# * The best models of both kinds sit at a few nats, well below the ceiling: forgetting
#   which training image a digit came from is what the bottleneck is for.
#
# The classic information plane puts each trained model at (information kept, error):

# %%
fig, ax = plt.subplots(figsize=(6.4, 4.0))
for m in ("vib", "mine"):
    ax.scatter(known[m].ravel(), err[m].ravel(), color=mb.plotting.COLORS[m], label=names[m], alpha=0.8)
ax.axhline(base.mean(), color="0.3", label="deterministic baseline")
ax.axvline(math.log(10), color="k", ls=":", lw=1, label=r"$\log 10$")
ax.set(yscale="log", xlabel=r"$I(X;Z)$ on the test digits, known encoder (nats)", ylabel="test error (%)",
       title="information plane: every member of the sweep")
ax.legend()
plt.show()

# %% [markdown]
# And the min-max game itself: MINE-IB's statistics network's estimate on its training
# batches, for each $\beta$ (smoothed, mean over seeds). A larger $\beta$ holds the estimate
# lower; the critic keeps trying to raise it.

# %%
hist = sweep.ensemble.history["mine"]
rows = np.array([i for i, m in enumerate(sweep.ensemble.methods) if m == "mine"]).reshape(len(betas), -1)
fig, ax = plt.subplots(figsize=(6.4, 3.6))
for i, b in enumerate(betas):
    ax.plot(mb.plotting.smooth(hist[:, rows[i]].mean(1), 50), label=rf"$\beta$ = {b:g}",
            color=plt.cm.viridis(i / max(len(betas) - 1, 1)))
ax.set(xlabel="encoder step", ylabel=r"$\hat I_T(X;Z)$ on training batches (nats)",
       title="MINE-IB: the critic's running estimate")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## What we checked
#
# * **Both bottlenecks beat or match the baseline.** At the $\beta$ chosen on validation,
#   the mean test error over 3 seeds must not exceed the baseline's by more than 0.5
#   points (about two test digits; the seed-to-seed spread is of that size). We call it
#   "beats" when the mean is lower by more than the larger of the two seed spreads.
# * **$I(X;Z)$ decreases as $\beta$ grows**, for both bottlenecks: the fresh MINE estimate
#   never rises by more than 0.25 nats from one $\beta$ to the next and falls by at least
#   1 nat across the sweep; the known-encoder value falls by at least 0.5 nats from the
#   smallest to the largest $\beta$.
# * **MINE is a lower bound**: every fresh MINE estimate lies below the known-encoder value
#   (0.3 nats of Monte Carlo slack).

# %%
margin = 0.5  # percentage points
gap = {m: err[m][best[m]].mean() - base.mean() for m in ("vib", "mine")}
spread = {m: max(err[m][best[m]].std(ddof=1), base.std(ddof=1)) for m in ("vib", "mine")}
word = {m: "beats" if -gap[m] > spread[m] else "matches" for m in ("vib", "mine")}
monotone = {m: np.diff(posthoc[m].mean(1)).max() for m in ("vib", "mine")}
drop = {m: posthoc[m].mean(1)[0] - posthoc[m].mean(1)[-1] for m in ("vib", "mine")}
known_drop = {m: known[m].mean(1)[0] - known[m].mean(1)[-1] for m in ("vib", "mine")}
below = max((posthoc[m] - known[m]).max() for m in ("vib", "mine"))
for m in ("vib", "mine"):
    print(f"{names[m]}: beta* = {betas[best[m]]:g}, test error {err[m][best[m]].mean():.2f}% vs baseline "
          f"{base.mean():.2f}% ({word[m]}); fresh-MINE I(X;Z) {posthoc[m].mean(1)[0]:.2f} -> "
          f"{posthoc[m].mean(1)[-1]:.2f} nats, largest rise {monotone[m]:.2f}")
print(f"largest (fresh MINE - known) = {below:.2f} nats")
if budget == "full":
    for m in ("vib", "mine"):
        assert gap[m] <= margin, f"{names[m]} at beta*={betas[best[m]]}: error {gap[m]:+.2f} points vs baseline"
        assert monotone[m] <= 0.25, f"{names[m]}: fresh MINE I(X;Z) rises by {monotone[m]:.2f} nats with beta"
        assert drop[m] >= 1.0, f"{names[m]}: fresh MINE I(X;Z) falls only {drop[m]:.2f} nats over the sweep"
        assert known_drop[m] >= 0.5, f"{names[m]}: known I(X;Z) falls only {known_drop[m]:.2f} nats"
    assert below <= 0.3, f"a fresh MINE estimate exceeds the known I(X;Z) by {below:.2f} nats"

# %% tags=["nbval-check-output"]
verdict = {m: "reproduced" if word[m] == "beats" else "partly" for m in ("vib", "mine")}
ib_plane = "reproduced" if err["vib"][-1].mean() > 10 else "partly"
mb.report.record("10_information_bottleneck", [
    {"claim": "Deep VIB has a lower test error than the deterministic baseline (PI-MNIST table)",
     "paper": "1.13% vs 1.38%",
     "ours": f"digits: {mean_sd(err['vib'][best['vib']], '.1f')}% (beta={betas[best['vib']]:g}) vs "
             f"{mean_sd(base, '.1f')}% (3 seeds, 450 test digits)",
     "verdict": verdict["vib"], "note": "8x8 digits, not MNIST; beta chosen on a validation split"},
    {"claim": "MINE-IB (Gaussian encoder) has a lower test error than the baseline (PI-MNIST table)",
     "paper": "1.11% vs 1.38%", "unconfirmed": True,
     "ours": f"digits: {mean_sd(err['mine'][best['mine']], '.1f')}% (beta={betas[best['mine']]:g}) vs "
             f"{mean_sd(base, '.1f')}%",
     "verdict": verdict["mine"],
     "note": "critic reads sg[mu(x)] and takes 3 steps per encoder step; with a pixel critic MINE-IB was fooled"},
    {"claim": "I(X;Z) falls as beta grows, and the error rises sharply at large beta (Alemi et al.)",
     "paper": "VIB on MNIST, Fig. 1",
     "ours": f"fresh MINE I(X;Z) from beta={betas[0]:g} to {betas[-1]:g}: VIB {posthoc['vib'].mean(1)[0]:.1f} -> "
             f"{posthoc['vib'].mean(1)[-1]:.1f}, MINE-IB {posthoc['mine'].mean(1)[0]:.1f} -> "
             f"{posthoc['mine'].mean(1)[-1]:.1f} nats; VIB error at beta={betas[-1]:g}: "
             f"{err['vib'][-1].mean():.0f}%",
     "verdict": ib_plane},
])
if budget == "full":
    for m in ("vib", "mine"):
        print(f"PASS {names[m]} beats or matches the deterministic baseline at the validation-chosen beta "
              f"(tolerance {margin} points)")
        print(f"PASS {names[m]}: estimated I(X;Z) decreases as beta grows")
    print("PASS fresh MINE estimates stay below the known-encoder I(X;Z)")
else:
    print("smoke run: assertions skipped")
