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
# # 13. MI on real data: MNIST digits
#
# The chapters so far estimated mutual information where the truth is known. On the data people
# bring, it is not: a representation and a label, two parts of an image, a network of their own.
# This chapter takes the 5000 MNIST digits that ship with the book and asks two kinds of
# questions whose answers do not need the truth.
#
# 1. **Images and labels.** $I(\text{image}; \text{label})$ is bracketed from both sides: it is at
#    most $H(\text{label})$ ($= \log 10$ for balanced classes), and at least
#    $H(\text{label})$ minus the held-out cross-entropy of any classifier of the label from the
#    image (the bound of Barber and Agakov, which `mb.estimate_mi` uses when one side is a class
#    label). Where do MINE and InfoNCE on the one-hot label land?
# 2. **Self-consistency** {cite}`song2020understanding`. Properties that every MI has, tested on
#    the estimates themselves: the estimate grows with the rows of a digit shown, it is unchanged
#    when the input is duplicated (data processing), and it doubles for two independent digits
#    side by side (additivity), for MINE, NWJ (MINE-f), InfoNCE and SMILE.
#
# Last, a statistics network of your own: a small CNN passed to `mb.estimate_mi(x, y,
# critic=module)`, against the default MLP on flattened pixels. All values are in nats.
#
# ```{admonition} Key takeaways
# :class: tip
# - A label's MI with an image is bracketed by $H(\text{label})$ and a classifier's bound; a
#   classifier reads more of it than MINE on the one-hot label.
# - On digit halves every estimator reads more on average as more rows are shown (not always beyond
#   the spread of three seeds) and moves by less than a tenth when the input is duplicated, but none
#   is additive: two independent digits read far less than twice one.
# - `mb.estimate_mi(x, y, critic=module)` takes any network; a better architecture for the
#   images is not automatically a larger estimate.
# ```

# %% tags=["parameters"]
budget = "full"
seed = 0

# %%
import inspect

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from tqdm.auto import tqdm

import minebook as mb
from minebook.experiments import real_data as rd

mb.seed_everything(seed)
mb.plotting.setup()

# %% tags=["hide-input"]
cfg = {
    "full": dict(
        n=5000,  # all shipped digits
        rows=(2, 6, 14),  # rows of the top half shown (the baseline test)
        n_seeds=3,  # critics per setting, trained as one stacked ensemble
        settings=dict(steps=500, batch_size=256),
        strict=True,  # assert the chapter's claims (a smoke run is too short to)
    ),
    "smoke": dict(
        n=600,
        rows=(2, 14),
        n_seeds=2,
        settings=dict(steps=40, batch_size=64),
        strict=False,
    ),
}[budget]
mb.report.settings_table(cfg, budget)

# %% [markdown]
# ## The data
#
# The digits come in a seeded random order, pixels in $[0, 1]$. For the self-consistency tests
# $Y$ is the bottom half of a digit and $X_t$ its top half with only the $t$ rows nearest the
# middle shown (the others set to 0), so that every $X_t$ has the same shape. $X_t$ is a function
# of $X_{t'}$ for $t < t'$, hence $I(X_t; Y)$ can only grow with $t$.

# %% tags=["hide-input"]
images, labels = rd.digits(cfg["n"], seed=seed)
fig, axes = plt.subplots(2, 4, figsize=(6.4, 3.6))
for col, i in enumerate(range(4)):
    for row, t in enumerate((2, 14)):
        x_t, y = rd.halves(images[i : i + 1], t)
        axes[row, col].imshow(np.vstack([x_t[0], y[0]]), cmap="gray_r", vmin=0, vmax=1)
        axes[row, col].axhline(13.5, color=mb.plotting.COLORS["mine"], lw=1)
        axes[row, col].set_xticks([])
        axes[row, col].set_yticks([])
    axes[0, col].set_title(f"label {labels[i]}")
axes[0, 0].set_ylabel("$X_2$ above $Y$")
axes[1, 0].set_ylabel("$X_{14}$ above $Y$")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Images and labels
#
# `mb.estimate_mi(pixels, labels)` recognises the label and reads the classifier bound
# $H(\text{label}) - \text{cross-entropy}$ on held-out rows (its `route` says so); MINE and
# InfoNCE read the one-hot label as four continuous columns would be read (`discrete=False`).

# %%
bracket = rd.label_bracket(images, labels, cfg["settings"], seed=seed)
entropy = bracket["entropy"]
print(bracket["ba"].route)
for name in ("ba", "mine", "infonce"):
    res = bracket[name]
    print(
        f"{name:8s} {res.mi:.2f} nats, 95% interval [{res.interval[0]:.2f}, {res.interval[1]:.2f}]"
    )
print(f"H(label) = {entropy:.3f} nats (log 10 = {np.log(10):.3f})")

# %% [markdown]
# The digit says almost everything about its label: the classifier bound closes most of the gap
# to $H(\text{label})$, and what is left is the classifier's held-out cross-entropy on 1250
# digits it never saw. MINE and InfoNCE on the one-hot label know nothing of the label's
# structure and read less, although both are valid lower bounds; neither can be above
# $H(\text{label})$ except by noise.
#
# ## Self-consistency
#
# Each estimator runs its critics (the default MLP on flattened pixels, with the steps and batch
# size of the settings table above) on: the baseline pairs $(X_t, Y)$ for every
# $t$, all digits; $([X_{14}, X_{14}], Y)$; and, for additivity, half of the digits as single
# pairs and the two halves side by side as pairs of independent digits (the same number of rows
# in both, so that the ratio compares like with like).

# %%
tests = {
    est: rd.self_consistency(est, images, cfg["rows"], cfg["n_seeds"], cfg["settings"], seed=seed)
    for est in tqdm(rd.ESTIMATORS, desc="estimators")
}

# %% tags=["hide-input"]
rows = cfg["rows"]
fig, axes = plt.subplots(1, 2, figsize=(7.2, 3.4))
for k, est in enumerate(rd.ESTIMATORS):
    base = tests[est]["baseline"]
    color = mb.plotting.COLORS[est]
    axes[0].errorbar(
        rows,
        base.mean(1),
        yerr=base.std(1),
        marker="o",
        color=color,
        label=rd.LABELS[est],
        capsize=3,
    )
    for j, test in enumerate(("processing", "additivity")):
        ratio = tests[est][test]
        axes[1].scatter(np.full(len(ratio), j + 0.15 * (k - 1.5)), ratio, color=color, s=18)
axes[0].set_xlabel("rows of the top half shown, $t$")
axes[0].set_ylabel("estimate of $I(X_t; Y)$ (nats)")
axes[0].legend(fontsize=8)
axes[1].hlines([1, 2], [-0.4, 0.6], [0.4, 1.4], color="black", ls="--", lw=1)
axes[1].set_xticks([0, 1], ["data processing\n(ideal 1)", "additivity\n(ideal 2)"])
axes[1].set_ylabel("ratio of estimates")
axes[1].set_ylim(0, 2.3)
fig.tight_layout()
plt.show()

# %%
ratio_lines = [
    "| estimator | I(X_2; Y) | I(X_14; Y) | data processing | additivity | pair (nats) |",
    "|---|---|---|---|---|---|",
]
for est in rd.ESTIMATORS:
    out = tests[est]
    ratio_lines.append(
        f"| {rd.LABELS[est]} | {out['baseline'][0].mean():.2f} | "
        f"{out['baseline'][-1].mean():.2f} | "
        f"{out['processing'].mean():.2f} ± {out['processing'].std(ddof=1):.2f} | "
        f"{out['additivity'].mean():.2f} ± {out['additivity'].std(ddof=1):.2f} | "
        f"{out['pair'].mean():.2f} |"
    )
display(Markdown("\n".join(ratio_lines)))

# %% [markdown]
# Means over the seeds, ± their standard deviation. Every estimator reads more, on average, with
# more rows shown; for MINE and NWJ, whose 500-step critics vary most from seed to seed, the
# margin is not always beyond the spread of three seeds (the verdict below is taken over this run
# and a second one on other seeds).
# Duplicating $X$ changes the estimates by less than a tenth: too little to call a failure of data
# processing with three seeds, where Song and Ermon saw one. Additivity fails for all four: two
# independent digits side by side read far less than twice one, SMILE coming closest. Song and
# Ermon report failures of both tests for these estimators on MNIST and CIFAR-10
# {cite}`song2020understanding`; their setting differs (they mask rows of whole images and train
# larger critics for longer), and their ratios are not quoted here. The last column shows that
# the ceiling of chapter 12 is not what stops additivity for MINE, NWJ and InfoNCE: their pairs
# read well below $\log n_{\text{test}} = \log 625 \approx 6.4$ (InfoNCE's own cap is
# $\log B = \log 256 \approx 5.5$). The critic sees twice the pixels with the same number of rows
# and steps, and finds only part of the second digit's dependence.
#
# ## A statistics network of your own
#
# The MINE paper's statistics network can be any architecture. Any `torch.nn.Module` whose
# `forward(x_batch, y_batch)` returns one score per pair goes into `mb.estimate_mi` (its copies
# train at once, with the same held-out read-out and interval) or into `mb.MINE` as a term of a
# model's loss. This one reads the two halves as images:

# %% tags=["hide-input"]
display(Markdown(f"```python\n{inspect.getsource(rd.DigitHalvesCNN)}```"))

# %%
pair = rd.cnn_versus_mlp(images, cfg["settings"], seed=seed)
for name, res in pair.items():
    print(f"{name}: {res.mi:.2f} nats, interval [{res.interval[0]:.2f}, {res.interval[1]:.2f}]")

# %% [markdown]
# Same rows, seeds and steps: the MLP on flattened (and normal-scored) pixels reads more than the
# CNN. A convolutional critic is not a better estimator by itself; with 3750 training digits and
# these few steps, the MLP's direct access to every pixel pair wins. Both are lower bounds on the
# same quantity, so the larger one is the better estimate, as long as it is held-out, which both
# are.
#
# ## Exercises
#
# Try each at `budget = "smoke"` first. Run a chapter at another budget or seed without
# editing it: `papermill -k python3 -p budget smoke -p seed 1 notebooks/NN_name.ipynb out.ipynb`
# (or change the `parameters` cell).
#
# 1. Add $t = 10$ to `cfg["rows"]`: does any estimator fall between $t = 6$ and $t = 14$?
# 2. Double `cfg["settings"]["steps"]`: which of the additivity ratios move towards 2?
# 3. Give `rd.DigitHalvesCNN` a `width` of 256: does the CNN catch up with the MLP?

# %% [markdown]
# ## Verdicts
#
# What this chapter checked, as the reproduction table of the [introduction](../book/intro.md)
# records it: each check below is asserted before its line is printed, and the table ends
# the chapter (the code that builds the records is hidden).

# %% tags=["nbval-check-output", "hide-input"]
grows = [
    mb.report.compare_seeds(tests[e]["baseline"][-1], tests[e]["baseline"][0])
    for e in rd.ESTIMATORS
]
processing = [
    mb.report.compare_seeds(np.abs(tests[e]["processing"] - 1), None, threshold=0.1)
    for e in rd.ESTIMATORS
]
additive = [
    mb.report.compare_seeds(tests[e]["additivity"], None, claim="less", threshold=1.8)
    for e in rd.ESTIMATORS
]


def per_estimator(comparisons):
    """'MINE +0.85 [...]; NWJ ...' for the reproduction table."""
    return "; ".join(
        f"{rd.LABELS[e]} {c.describe()}" for e, c in zip(rd.ESTIMATORS, comparisons, strict=True)
    )


bracket_ok = bool(bracket["ba"].mi > 0.8 * entropy and bracket["ba"].interval[0] < entropy)
rows_out = [
    {
        "claim": "I(image; label) on MNIST lies between H(label) and the classifier bound "
        "H - cross-entropy",
        "paper": "- (Barber & Agakov 2003 bound; issue #29)",
        "ours": f"H = {entropy:.2f}, classifier bound {bracket['ba'].mi:.2f}, MINE on one-hot "
        f"{bracket['mine'].mi:.2f}, InfoNCE {bracket['infonce'].mi:.2f} nats",
        "verdict": "measured",
    },
    {
        "claim": "Estimates of I(X_t; Y) grow with the rows t of the digit shown (t = 2 vs 14)",
        "paper": "baseline test passes (Song & Ermon 2020, sec. 6)",
        "unconfirmed": True,
        "ours": per_estimator(grows),
        "verdict": mb.report.combine_verdicts(c.verdict for c in grows),
    },
    {
        "claim": "Estimators fail data processing: I([X, X]; Y) / I(X; Y) off 1 by more than 0.1",
        "paper": "all variational estimators fail it (Song & Ermon 2020)",
        "ours": "|ratio - 1|: " + per_estimator(processing),
        "verdict": mb.report.combine_verdicts(c.verdict for c in processing),
    },
    {
        "claim": "Estimators fail additivity: two independent digits read less than 1.8 times one",
        "paper": "all variational estimators fail it (Song & Ermon 2020)",
        "ours": "ratio: " + per_estimator(additive),
        "verdict": mb.report.combine_verdicts(c.verdict for c in additive),
    },
    {
        "claim": "A reader's CNN critic against the default MLP on flattened pixels (I(X_14; Y))",
        "paper": "- (any statistics network, Belghazi et al. 2018)",
        "ours": f"CNN {pair['cnn'].mi:.2f} [{pair['cnn'].interval[0]:.2f}, "
        f"{pair['cnn'].interval[1]:.2f}], MLP {pair['mlp'].mi:.2f} [{pair['mlp'].interval[0]:.2f}, "
        f"{pair['mlp'].interval[1]:.2f}] nats, same settings",
        "verdict": "measured",
    },
]
mb.report.record("13_real_data", rows_out)
for ok, claim in (
    (bracket_ok, "the classifier bound reads above 0.8 H(label), its interval starting below H"),
    (all(c.difference > 0 for c in grows), "every estimator reads more with 14 rows than with 2"),
    (
        all(np.all(tests[e]["additivity"] < 1.8) for e in rd.ESTIMATORS),
        "no additivity ratio reaches 1.8 (ideal 2)",
    ),
):
    mb.report.check(ok, claim, strict=cfg["strict"])
mb.report.verdict_table(rows_out, chapter="13_real_data")
