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
# # 11. Deep InfoMax
#
# [Chapter 10](10_information_bottleneck.ipynb) *minimised* $I(X;Z)$ to forget. Deep InfoMax
# (DIM) {cite}`hjelm2019learning` *maximises* it, without labels, to learn a representation:
# an encoder $E_\psi$ maps an image $x$ to a code $y = E_\psi(x)$, and a critic estimates
# how much $y$ knows about $x$, with one of the bounds of the earlier chapters. The encoder
# and the critic climb the bound together (the $-\beta\,\hat I$ direction of
# [chapter 8](08_gan_mode_collapse.ipynb), with no adversary on the MI term).
#
# The paper's findings that we test on 8x8 digits: the *local* objective (every image patch
# against the global code) gives far better features than the *global* one; Jensen-Shannon
# and InfoNCE train more reliably than Donsker-Varadhan; and a linear or small MLP
# classifier on the frozen code is the yardstick, against a random encoder and a supervised
# one.

# %% tags=["parameters"]
budget = "full"
seed = 0

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch

import minebook as mb
from minebook import datasets
from minebook import infomax as im

mb.plotting.setup()
torch.manual_seed(seed)

cfg = {
    "full": dict(n_seeds=2, steps=1200, batch_size=128, channels=32, hidden=(128,), critic_hidden=128, embed=64,
                 probe_steps=300, mlp_steps=100, per_class=(3, 10), n_draws=5,
                 mi=dict(steps=500, batch_size=256, hidden=(64, 64)), tsne_iter=500, n_embed=450,
                 gammas=(0.0, 0.01, 0.03, 0.1, 0.3, 1.0)),
    "smoke": dict(n_seeds=1, steps=6, batch_size=16, channels=4, hidden=(16,), critic_hidden=8, embed=8,
                  probe_steps=5, mlp_steps=3, per_class=(3,), n_draws=2,
                  mi=dict(steps=5, batch_size=64, hidden=(8,)), tsne_iter=250, n_embed=60, gammas=(0.0, 0.1)),
}[budget]
cfg

# %% [markdown]
# ## The encoder, and what "local" means on an 8x8 image
#
# A convolutional encoder in miniature: the 8x8 image is cut into a 3x3 grid of
# overlapping 4x4 patches (stride 2); one small MLP shared by all patches (the "conv
# layer", 16 → 32 → 32, ReLU) turns each patch into a 32-d local feature, giving a feature
# map $M \in \mathbb R^{9 \times 32}$; an MLP on the flattened map (288 → 128 → 64) gives
# the 64-d code $y$.
#
# The critics are separable, $T(a, y) = f(a)^\top g(y)$, so one batched matmul scores all
# $B^2$ pairs of a batch of $B = 128$: the $B$ diagonal pairs are samples of the joint, the
# $B(B-1)$ others of the product of marginals.
#
# * **DIM(G)**, global: $a = M$ (the whole feature map) against $y$.
# * **DIM(L)**, local: $a = M_i$, each patch feature, against the code $y$ of the same
#   image (positive) or of other images (negatives); the objective averages over the 9
#   patch positions. The code must carry what all patches share, not what one patch alone
#   shows.
#
# Each objective uses one of the paper's three bounds, applied to the score matrix:
#
# $$
# \begin{aligned}
# \hat I_{\mathrm{JSD}} &= \mathbb E_{\mathbb P}[-\operatorname{sp}(-T)] - \mathbb E_{\mathbb P \otimes \mathbb P}[\operatorname{sp}(T)],\\
# \hat I_{\mathrm{NCE}} &= \log B + \tfrac1B \textstyle\sum_i \big[T_{ii} - \log \sum_j e^{T_{ij}}\big],\\
# \hat I_{\mathrm{DV}} &= \mathbb E_{\mathbb P}[T] - \log \mathbb E_{\mathbb P \otimes \mathbb P}[e^{T}],
# \end{aligned}
# $$
#
# (`mb.jsd_objective`, `mb.infonce_bound`, `mb.dv_bound`; sp is the softplus).
#
# **Prior matching.** With weight $\gamma$, the code (now squashed by a sigmoid into
# $[0,1]^{64}$) is pushed towards the uniform prior by an adversarial discriminator $D$:
# $D$ learns to tell $u \sim U[0,1]^{64}$ from codes, and the encoder adds
# $\gamma\, \mathbb E[-\log D(y)]$. The paper's settings are DIM(G) with $\alpha = 1,
# \gamma = 1$ and DIM(L) with $\beta = 1, \gamma = 0.1$ ($\alpha$, $\beta$ weigh the global and
# local terms).
#
# **Baselines.** The *random encoder* is each network at its initialisation, never trained.
# The *supervised encoder* has the same architecture, trained end to end with cross-entropy
# through a linear head.
#
# All 10 configurations, 2 seeds each, train at once as one stacked ensemble of 20 encoders
# (`im.train_dim`), each with its own critics and objective.

# %%
data = datasets.load_digits()
variants = [v for v in im.PAPER_VARIANTS for _ in range(cfg["n_seeds"])]
ens = im.train_dim(data.x_train, data.y_train, variants, seed=seed, steps=cfg["steps"],
                   batch_size=cfg["batch_size"], channels=cfg["channels"], hidden=cfg["hidden"],
                   critic_hidden=cfg["critic_hidden"], embed=cfg["embed"], progress=True)
names = [v.name for v in im.PAPER_VARIANTS]
n_var, n_seeds = len(names), cfg["n_seeds"]
print(data)

# %% [markdown]
# The training curves: each member climbs its own bound (JSD is not in nats; InfoNCE can
# never exceed $\log B = 4.85$ nats).

# %%
obj = ens.history["objective"]
fig, axes = plt.subplots(1, 3, figsize=(12, 3.4), sharex=True)
for ax, est in zip(axes, im.DIM_ESTIMATORS, strict=True):
    for j, v in enumerate(im.PAPER_VARIANTS):
        if v.estimator != est or v.supervised:
            continue
        curve = obj[:, j * n_seeds:(j + 1) * n_seeds].mean(1)
        ax.plot(mb.plotting.smooth(curve, 50), label=v.name)
    if est == "infonce":
        ax.axhline(math.log(cfg["batch_size"]), color="k", ls="--", lw=1, label=r"$\log B$")
    ax.set(title=est.upper() if est != "infonce" else "InfoNCE", xlabel="step",
           ylabel="objective (nats)" if est != "jsd" else "JSD objective")
    ax.legend(fontsize=7)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Evaluation on frozen codes
#
# For every trained encoder and its random initialisation we freeze the 64-d codes of the
# 1347 training and 450 test digits and train, as stacked ensembles:
#
# * a **linear probe** (multinomial logistic regression, full batch Adam) with every
#   training label;
# * the paper's **small MLP probe** (one hidden layer of 200 ReLU units) with every label;
# * a **few-label linear probe** with only 3 and 10 labelled digits per class (5 random
#   labelled subsets, averaged).
#
# The random-encoder baseline is the 10 random initialisations of the first seed (one per
# configuration: they differ only in their random weights).

# %%
codes_tr, codes_te = im.encode(ens.encoder, data.x_train), im.encode(ens.encoder, data.x_test)
first = torch.arange(0, n_var * n_seeds, n_seeds)
rand_tr, rand_te = im.encode(ens.random, data.x_train)[first], im.encode(ens.random, data.x_test)[first]
all_tr, all_te = torch.cat([codes_tr, rand_tr]), torch.cat([codes_te, rand_te])
n_trained = len(variants)

lin = im.probe_accuracy(*im.train_probe(all_tr, data.y_train, steps=cfg["probe_steps"], seed=seed),
                        all_te, data.y_test)
mlp = im.probe_accuracy(*im.train_probe(all_tr, data.y_train, hidden=(200,), steps=cfg["mlp_steps"], seed=seed),
                        all_te, data.y_test)
few = {p: im.few_label_accuracy(all_tr, data.y_train, all_te, data.y_test, per_class=p, n_draws=cfg["n_draws"],
                                seed=seed, steps=cfg["probe_steps"]) for p in cfg["per_class"]}


def by_variant(acc):
    """(n_var, n_seeds) accuracies of the trained encoders, and the random encoders' (n_var,)."""
    return acc[:n_trained].reshape(n_var, n_seeds), acc[n_trained:]


# %% [markdown]
# How much do the codes know about the images? A MINE estimate (`im.mi_between_input_and_code`,
# estimator `"mine"`, held-out read-out) of $I(X;Y)$ between all 1797 images and their
# codes, for the first seed of every configuration and one random encoder. With $X$
# uniform over 1797 images, $I(X;Y) \le \log 1797 = 7.5$ nats for *any* encoder, and a
# deterministic injective encoder reaches it; the estimate measures how much of an image's
# identity a statistics network can recover from its code in a fixed budget, which is what
# the DIM paper reports too (its Table 5, on CIFAR-10).

# %%
x_all = np.concatenate([data.x_train, data.x_test])
codes_all = torch.cat([im.encode(ens.encoder, x_all)[first], im.encode(ens.random, x_all)[first[:1]]])
with mb.estimate.few_pairs_reported():  # the effective pairs are reported under the table instead
    mi, mi_ess = im.mi_between_input_and_code(x_all, codes_all, seed=seed, return_ess=True, **cfg["mi"])

# %% [markdown]
# ## Results

# %%
lin_t, lin_r = by_variant(lin)
mlp_t, mlp_r = by_variant(mlp)
few_t = {p: by_variant(a)[0] for p, a in few.items()}
few_r = {p: by_variant(a)[1] for p, a in few.items()}
header = f"{'encoder':22s} {'linear':>7s} {'MLP':>7s} " + " ".join(f"{f'{p}/class':>8s}" for p in few) + f" {'I(X;Y)':>7s}"
print(header)
print("-" * len(header))
for j, name in enumerate(names):
    row = f"{name:22s} {lin_t[j].mean():7.1f} {mlp_t[j].mean():7.1f} "
    row += " ".join(f"{few_t[p][j].mean():8.1f}" for p in few) + f" {mi[j]:7.2f}"
    print(row)
row = f"{'random encoder':22s} {lin_r.mean():7.1f} {mlp_r.mean():7.1f} "
print(row + " ".join(f"{few_r[p].mean():8.1f}" for p in few) + f" {mi[-1]:7.2f}")
print(f"\ntest accuracy (%), mean over {n_seeds} seeds (random encoder: mean over {len(lin_r)} initialisations); "
      "I(X;Y): MINE estimate in nats (first seed)")
print("I(X;Y) read-outs", mb.estimate.ess_summary(mi_ess))

# %% [markdown]
# The DIM paper's numbers on CIFAR-10 (a conv net, 200-unit MLP probe on the 64-d code
# $Y$), quoted for context: supervised 75.39%, DIM(G) 43.17%, DIM(L) JSD 66.96%, DIM(L)
# NCE 69.13%; and MINE estimates of $I(X;Y)$ of 101.65 nats for DIM(L+G) and 45.09 for
# DIM(L). Those are far above $\log N$ for any data set they could train a critic on, so
# they cannot be the information about *which image* it is; our digits' estimates are
# capped near $\log 1797 = 7.5$ nats and are not comparable.

# %%
d2 = {"random encoder": rand_te[names.index("DIM(L) InfoNCE")],
      "DIM(L) InfoNCE": codes_te[names.index("DIM(L) InfoNCE") * n_seeds],
      "supervised": codes_te[names.index("supervised") * n_seeds]}
shown = slice(0, cfg["n_embed"])
fig, axes = plt.subplots(1, len(d2), figsize=(12, 3.9))
for ax, (title, c) in zip(axes, d2.items(), strict=True):
    emb = im.embed_2d(c[shown], seed=seed, max_iter=cfg["tsne_iter"])
    sc = ax.scatter(emb[:, 0], emb[:, 1], c=data.y_test[shown], cmap="tab10", s=8)
    ax.set(title=title, xlabel="t-SNE 1", ylabel="t-SNE 2", xticks=[], yticks=[])
fig.legend(*sc.legend_elements(), title="digit", loc="center right", fontsize=8)
plt.tight_layout(rect=(0, 0, 0.94, 1))
plt.show()

# %% [markdown]
# ## What the table says
#
# * **A random encoder is a strong baseline on digits.** 8x8 digits are almost linearly
#   separable already (a linear probe on the raw pixels gets about 96%), and a random
#   64-d ReLU code of them keeps most of that: around 91% with every label. So with every
#   label no unsupervised code can beat the random one by much, and DIM(L) gains only a
#   couple of points. With **3 labels per class** the representation has to do the work,
#   and there DIM(L) beats the random code by about 10 points.
# * **Local beats global**, as in the paper: DIM(G) codes are *worse* than random ones
#   under a linear probe, DIM(L) codes better. The global objective is maximised by any
#   code from which the feature map can be told apart within a batch — an injective
#   random-looking code does that — while the local one rewards what the 9 patches of a
#   digit have in common. The training curves show it: DIM(G) with InfoNCE reaches the
#   $\log B$ ceiling within 200 steps and has nothing left to learn, while DIM(L) keeps
#   climbing.
# * **The MINE estimates tell the same story from the other side** (the DIM paper saw it
#   too: 45 nats for DIM(L) against 102 for DIM(L+G)): DIM(G) codes keep the most
#   information about *which image* it is, DIM(L) codes less, and that is why they are
#   better features — they throw away what is specific to one image.
# * **Estimators**: with DIM(L), InfoNCE and JSD give the best codes and DV the worst, in
#   line with the paper's remark that DV is the least stable of the three.
# * **Prior matching hurt here, and how much depends on the estimator.** With the paper's
#   weights ($\gamma = 1$ for DIM(G), 0.1 for DIM(L)) the codes, squashed into $[0,1]^{64}$
#   and pushed towards independent uniform coordinates, lose far more probe accuracy with
#   JSD than with InfoNCE (the `prior matching changes...` line below). A likely reason: the
#   JSD objective saturates once the critic separates joint from shuffled pairs (its
#   softplus gradients fade), so the adversarial term, which never fades, takes over the
#   encoder; InfoNCE keeps pulling each code towards its own image against all others in
#   the batch. We did not tune the prior further; on CIFAR the paper uses it in every
#   configuration.
# * **The $I(X;Y)$ read-outs are rough.** They rest on few effective held-out marginal pairs
#   (the line under the table; `estimate_mi` warns below 100, see
#   [chapter 12](12_beyond_mine.ipynb)): a handful of image-code pairs with a large
#   $e^{T}$ decide the partition term. We compare them only where they differ by 0.3 nats
#   or more.
#
# ## How much prior can a code take?
#
# The paper's $\gamma = 0.1$ is one point on a trade-off. We sweep the prior's weight for
# DIM(L) with JSD and with InfoNCE (one seed each, one ensemble, `im.prior_matching_sweep`)
# and read two things off every member: the linear-probe accuracy of its code, and how well
# the code matches the uniform prior — the discriminator's accuracy over the last 200
# steps (0.5: it cannot tell codes from uniform samples; 1: it always can). The grey line
# marks the paper's $\gamma = 0.1$.

# %%
sweep = im.prior_matching_sweep(data, cfg["gammas"], ("jsd", "infonce"), seed=seed, steps=cfg["steps"],
                                batch_size=cfg["batch_size"], channels=cfg["channels"], hidden=cfg["hidden"],
                                critic_hidden=cfg["critic_hidden"], embed=cfg["embed"], probe_steps=cfg["probe_steps"],
                                progress=True)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
g_plot = np.where(sweep["gammas"] > 0, sweep["gammas"], min(g for g in sweep["gammas"] if g > 0) / 3)
for i, est in enumerate(sweep["estimators"]):
    label = "JSD" if est == "jsd" else "InfoNCE"
    axes[0].plot(g_plot, sweep["linear"][i], "o-", label=label)
    axes[1].plot(g_plot[1:], sweep["discriminator"][i, 1:], "o-", label=label)
axes[0].axhline(lin_r.mean(), color="k", ls=":", lw=1, label="random encoder")
axes[1].axhline(0.5, color="k", ls=":", lw=1, label="prior matched")
for ax in axes:
    ax.set_xscale("log")
    ax.axvline(0.1, color="grey", lw=0.8)
    ax.legend(fontsize=8)
axes[0].set(xlabel=r"prior weight $\gamma$ (leftmost point: $\gamma = 0$)", ylabel="linear probe (%)",
            title="usefulness of the code")
axes[1].set(xlabel=r"prior weight $\gamma$", ylabel="discriminator accuracy", title="match to the uniform prior",
            ylim=(0.3, 1.02))
plt.tight_layout()
plt.show()

# %% [markdown]
# The code cannot have both: where the discriminator can no longer tell it from uniform
# samples, the probe has lost points, and JSD loses them at a smaller $\gamma$ than
# InfoNCE (the numbers are in the checks below). On digits the paper's $\gamma = 0.1$ is
# already past the point where the prior costs the JSD code most of its advantage; a weight
# ten times smaller keeps the code useful but leaves the prior unmatched. InfoNCE at
# $\gamma = 0.1$ comes closest to having both: a discriminator near chance and a probe within
# a few points of the code without a prior.
#
# What this means for the claim we set out to test — *every DIM variant beats the random
# encoder's linear probe by at least 5 points* — is that it does **not** hold on 8x8 digits:
# it holds for DIM(L) with JSD and InfoNCE in the few-label probe, and fails for the global and the
# prior-matched ones in every probe. The checks below assert what does hold.
#
# ## What we checked
#
# * DIM(L) with JSD and with InfoNCE beat the random encoder by at least 5 points in the
#   3-labels-per-class linear probe (mean over seeds and 5 labelled subsets), and DIM(L)
#   with DV beats it too;
# * local beats global: the mean full-label linear-probe accuracy of the three DIM(L)
#   variants exceeds that of the three DIM(G) variants by at least 3 points;
# * the supervised encoder beats every DIM variant by at least 1 point;
# * the MINE estimate of $I(X;Y)$ is higher for DIM(G) than for DIM(L) (mean over
#   estimators, by at least 0.3 nats) and higher for DIM(G) than for the random encoder
#   (by at least 1 nat).
# * with the prior, DIM(L) with InfoNCE loses at least 3 points less linear-probe accuracy
#   than the JSD variants do.
# * in the sweep, the strongest prior ($\gamma = 1$) costs each estimator at least 10 points
#   against the weakest ($\gamma = 0.01$), and over $\gamma \in \{0.1, 0.3, 1\}$ InfoNCE's
#   codes beat JSD's by at least 5 points on average.

# %%
def mean_of(rows, table):
    return float(np.mean([table[j].mean() for j in rows]))


local = [j for j, v in enumerate(im.PAPER_VARIANTS) if v.beta > 0 and v.gamma == 0]
glob = [j for j, v in enumerate(im.PAPER_VARIANTS) if v.alpha > 0 and v.gamma == 0]
prior = [j for j, v in enumerate(im.PAPER_VARIANTS) if v.gamma > 0]
dim_rows = local + glob + prior
few_p = min(few)
gain_lin = {j: lin_t[j].mean() - lin_r.mean() for j in dim_rows}
gain_few = {j: few_t[few_p][j].mean() - few_r[few_p].mean() for j in dim_rows}
for j in dim_rows:
    print(f"{names[j]:22s} vs random encoder: {gain_lin[j]:+5.1f} points (linear, all labels), "
          f"{gain_few[j]:+5.1f} points (linear, {few_p} labels/class)")
sup = names.index("supervised")
local_vs_global = mean_of(local, lin_t) - mean_of(glob, lin_t)
sup_margin = lin_t[sup].mean() - max(lin_t[j].mean() for j in dim_rows)
mi_g_l = float(np.mean(mi[glob]) - np.mean(mi[local]))
mi_g_r = float(np.mean(mi[glob]) - mi[-1])
print(f"local - global: {local_vs_global:+.1f} points; supervised - best DIM: {sup_margin:+.1f} points; "
      f"I(X;Y) global - local: {mi_g_l:+.2f} nats, global - random: {mi_g_r:+.2f} nats")
jsd_l, nce_l, dv_l = (names.index(f"DIM(L) {e}") for e in ("JSD", "InfoNCE", "DV"))
prior_jsd = [names.index("DIM(G) JSD + prior"), names.index("DIM(L) JSD + prior")]
prior_drop_jsd = mean_of(prior_jsd, lin_t) - mean_of([names.index("DIM(G) JSD"), jsd_l], lin_t)
prior_drop_nce = lin_t[names.index("DIM(L) InfoNCE + prior")].mean() - lin_t[nce_l].mean()
print(f"prior matching changes the linear probe by {prior_drop_jsd:+.1f} points with JSD, "
      f"{prior_drop_nce:+.1f} with InfoNCE (DIM(L))")
g_list = list(sweep["gammas"])
lo, hi, strong = g_list.index(min(g for g in g_list if g > 0)), g_list.index(max(g_list)), sweep["gammas"] >= 0.1
sweep_cost = sweep["linear"][:, lo] - sweep["linear"][:, hi]
sweep_nce_vs_jsd = float((sweep["linear"][1, strong] - sweep["linear"][0, strong]).mean())
print("prior sweep, linear probe (%) and discriminator accuracy by gamma:")
for i, est in enumerate(sweep["estimators"]):
    print(f"  {est:8s} " + "  ".join(f"{g:g}: {a:4.1f}/{d:.2f}" for g, a, d in
                                     zip(g_list, sweep["linear"][i], sweep["discriminator"][i], strict=True)))
print(f"gamma = {g_list[hi]:g} vs {g_list[lo]:g}: JSD {-sweep_cost[0]:+.1f}, InfoNCE {-sweep_cost[1]:+.1f} points; "
      f"InfoNCE - JSD at gamma >= 0.1: {sweep_nce_vs_jsd:+.1f} points")
if budget == "full":
    for j in (jsd_l, nce_l):
        assert gain_few[j] >= 5, f"{names[j]}: only {gain_few[j]:+.1f} points over random with {few_p} labels/class"
    assert gain_few[dv_l] > 0, f"DIM(L) DV: {gain_few[dv_l]:+.1f} points over random with {few_p} labels/class"
    assert local_vs_global >= 3, f"DIM(L) beats DIM(G) by only {local_vs_global:+.1f} points"
    assert sup_margin >= 1, f"supervised beats the best DIM variant by only {sup_margin:+.1f} points"
    assert mi_g_l >= 0.3, f"I(X;Y) of DIM(G) exceeds DIM(L)'s by only {mi_g_l:+.2f} nats"
    assert mi_g_r >= 1.0, f"I(X;Y) of DIM(G) exceeds the random encoder's by only {mi_g_r:+.2f} nats"
    assert (sweep_cost >= 10).all(), f"gamma = 1 costs only {sweep_cost} points against gamma = 0.01"
    assert sweep_nce_vs_jsd >= 5, f"InfoNCE beats JSD by only {sweep_nce_vs_jsd:+.1f} points at gamma >= 0.1"
    assert prior_drop_nce - prior_drop_jsd >= 3, (
        f"prior matching costs InfoNCE {prior_drop_nce:+.1f} points and JSD {prior_drop_jsd:+.1f}: not 3 apart")

# %% tags=["nbval-check-output"]
every = all(gain_lin[j] >= 5 for j in dim_rows)
n_beat = sum(gain_few[j] >= 5 for j in dim_rows)
order = lin_t[nce_l].mean() >= lin_t[dv_l].mean() and lin_t[jsd_l].mean() >= lin_t[dv_l].mean()
mb.report.record("11_deep_infomax", [
    {"claim": "Local DIM gives much better features than global DIM",
     "paper": "CIFAR-10, 64-d code: DIM(L) JSD 66.96%, NCE 69.13% vs DIM(G) 43.17%",
     "ours": f"digits, linear probe: DIM(L) {mean_of(local, lin_t):.1f}% vs DIM(G) {mean_of(glob, lin_t):.1f}% "
             f"(mean of JSD/NCE/DV, {n_seeds} seeds)",
     "verdict": "reproduced" if local_vs_global >= 3 else "not reproduced"},
    {"claim": "Every DIM variant beats a random encoder's linear probe by at least 5 points (issue's criterion)",
     "paper": "-",
     "ours": f"all labels: random {lin_r.mean():.1f}%, DIM {min(gain_lin.values()):+.1f} to "
             f"{max(gain_lin.values()):+.1f} points; {few_p} labels/class: {n_beat} of {len(dim_rows)} "
             f"variants gain 5+ points",
     "verdict": "reproduced" if every else ("partly" if n_beat else "not reproduced"),
     "note": "8x8 digits are nearly linearly separable, so random 64-d codes are strong; only DIM(L) clears it"},
    {"claim": "A supervised encoder beats every DIM variant",
     "paper": "CIFAR-10: 75.39% vs 69.13% (best DIM, Y64)",
     "ours": f"{lin_t[sup].mean():.1f}% vs {max(lin_t[j].mean() for j in dim_rows):.1f}%",
     "verdict": "reproduced" if sup_margin >= 1 else "not reproduced"},
    {"claim": "JSD and NCE train better representations than DV",
     "paper": "JSD 'more stable than DV'; NCE often best",
     "ours": f"DIM(L): JSD {lin_t[jsd_l].mean():.1f}%, NCE {lin_t[nce_l].mean():.1f}%, DV {lin_t[dv_l].mean():.1f}%",
     "verdict": "reproduced" if order else "not reproduced"},
    {"claim": "MINE estimate of I(X;Y) is lower for DIM(L) than for a global objective",
     "paper": "CIFAR-10: DIM(L) 45.09 vs DIM(L+G) 101.65 nats",
     "ours": f"DIM(L) {np.mean(mi[local]):.1f} vs DIM(G) {np.mean(mi[glob]):.1f} nats (random {mi[-1]:.1f})",
     "verdict": "reproduced" if mi_g_l >= 0.3 else "not reproduced",
     "note": "our estimates are capped near log 1797 = 7.5 nats"},
    {"claim": "Matching a uniform prior (adversarially) keeps the code useful",
     "paper": "used in all DIM configurations (gamma = 1 for DIM(G), 0.1 for DIM(L))",
     "ours": f"linear probe with the prior minus without: JSD {prior_drop_jsd:+.1f} points, "
             f"InfoNCE (DIM(L)) {prior_drop_nce:+.1f} points",
     "verdict": ("reproduced" if min(prior_drop_jsd, prior_drop_nce) > -2 else
                 "partly" if max(prior_drop_jsd, prior_drop_nce) > -3 else "not reproduced"),
     "note": "the cost depends on the estimator: small with InfoNCE, large with JSD"},
    {"claim": "The prior's weight trades the code's usefulness against matching the prior (our sweep)",
     "paper": "gamma = 0.1 for DIM(L), not swept",
     "ours": f"linear probe at gamma = {g_list[lo]:g} -> {g_list[hi]:g}: JSD {sweep['linear'][0, lo]:.1f} -> "
             f"{sweep['linear'][0, hi]:.1f}%, InfoNCE {sweep['linear'][1, lo]:.1f} -> {sweep['linear'][1, hi]:.1f}%",
     "verdict": "measured"},
])
if budget == "full":
    print("PASS DIM(L) JSD and InfoNCE beat the random encoder by at least 5 points (few-label linear probe)")
    print("PASS DIM(L) DV beats the random encoder (few-label linear probe)")
    print("PASS local DIM beats global DIM by at least 3 points (linear probe)")
    print("PASS the supervised encoder beats every DIM variant")
    print("PASS MINE's I(X;Y): DIM(G) above DIM(L) and above the random encoder")
    print("PASS prior matching costs DIM(L) InfoNCE at least 3 points less than the JSD variants")
    print("PASS the prior sweep: gamma = 1 costs 10+ points; InfoNCE keeps 5+ points more than JSD at gamma >= 0.1")
    print("PASS every DIM variant beats the random encoder by 5 points" if every else
          "NOTE not every DIM variant beats the random encoder by 5 points: see the table")
else:
    print("smoke run: assertions skipped")
