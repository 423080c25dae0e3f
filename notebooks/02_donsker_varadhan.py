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
# # 2. The Donsker-Varadhan representation
#
# Mutual information is a KL divergence ([chapter 1](01_mutual_information.ipynb)), and a KL
# divergence needs densities, which we do not have: we only have samples. MINE
# {cite}`belghazi2018mine` gets around this with a *dual* representation of the KL divergence
# due to Donsker and Varadhan {cite}`donsker1983asymptotic`: the divergence is the supremum,
# over functions $T$, of an expression that involves only **expectations** of $T$, which
# samples can estimate. This chapter states the representation, proves it, compares it with
# the weaker $f$-divergence representation {cite}`nguyen2010estimating` behind MINE-f, and
# checks everything numerically: exactly on discrete distributions, and by simulation on
# Gaussians, where we see what a finite sample does to the bound even with the best possible
# critic.
#
# ```{admonition} Key takeaways
# :class: tip
# - The Donsker-Varadhan representation turns a KL divergence into a maximisation over critics
#   $T$; the best critic is the log density ratio, up to a constant.
# - The $f$-divergence (NWJ, MINE-f) bound is never above DV for the same critic and equals it
#   after the best constant shift.
# - Even the optimal critic's value from samples is biased, and its variance grows like
#   $e^{2I}/n$: large MI needs many samples.
# ```

# %% tags=["parameters"]
budget = "full"
seed = 0

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from tqdm import tqdm

import minebook as mb
from minebook.experiments import dv_demo

mb.plotting.setup()

# %% tags=["hide-input"]
cfg = {
    "full": dict(
        n_problems=8,
        shape=(4, 5),
        steps=2000,
        n_random_critics=500,
        sizes=[2**k for k in range(3, 15)],
        max_repeats=4000,
        min_repeats=200,
        strict=True,  # assert the statistical claims (a smoke run is too short to)
    ),
    "smoke": dict(
        n_problems=2,
        shape=(3, 4),
        steps=100,
        n_random_critics=20,
        sizes=[8, 64, 512],
        max_repeats=200,
        min_repeats=20,
        strict=False,
    ),
}[budget]
rng = np.random.default_rng(seed)
mb.report.settings_table(cfg, budget)

# %% [markdown]
# ## The representation
#
# ```{admonition} Theorem (Donsker-Varadhan)
# For probability distributions $\mathbb{P}$ and $\mathbb{Q}$ on a space $\Omega$,
#
# $$
# D_{KL}(\mathbb{P} \,\|\, \mathbb{Q}) = \sup_{T : \Omega \to \mathbb{R}}
#   \; \mathbb{E}_{\mathbb{P}}[T] - \log \mathbb{E}_{\mathbb{Q}}\left[e^{T}\right],
# $$
#
# where the supremum is over all functions $T$ for which both expectations are finite.
# ```
#
# This is Theorem 1 of the MINE paper. Any *class* of functions $\mathcal{F}$, for instance
# the neural networks $T_\theta$ with parameters $\theta$, gives a lower bound, and with
# $\mathbb{P} = \mathbb{P}_{XZ}$ and $\mathbb{Q} = \mathbb{P}_X \otimes \mathbb{P}_Z$ a lower
# bound on the mutual information:
#
# $$
# I(X; Z) \;\geq\; \sup_{\theta} \; \mathbb{E}_{\mathbb{P}_{XZ}}[T_\theta]
#   - \log \mathbb{E}_{\mathbb{P}_X \otimes \mathbb{P}_Z}\left[e^{T_\theta}\right].
# $$
#
# MINE maximises the right-hand side with stochastic gradients, estimating both
# expectations from samples ([chapter 3](03_mine.ipynb)). We call $T$ the *critic* (the paper
# calls the network the *statistics network*) and write
# $\mathrm{DV}(T) = \mathbb{E}_{\mathbb{P}}[T] - \log \mathbb{E}_{\mathbb{Q}}[e^T]$.
#
# ## Proof via the Gibbs distribution
#
# The proof in the paper is short. Given a critic $T$ with $Z_T = \mathbb{E}_{\mathbb{Q}}[e^T] < \infty$,
# define the **Gibbs distribution** $\mathbb{G}$ by
#
# $$
# d\mathbb{G} = \frac{e^{T}}{\mathbb{E}_{\mathbb{Q}}[e^{T}]}\, d\mathbb{Q},
# \qquad\text{so that}\qquad
# \log \frac{d\mathbb{G}}{d\mathbb{Q}} = T - \log Z_T .
# $$
#
# Taking the expectation under $\mathbb{P}$ gives
# $\mathbb{E}_{\mathbb{P}}[T] - \log Z_T = \mathbb{E}_{\mathbb{P}}\left[\log \frac{d\mathbb{G}}{d\mathbb{Q}}\right]$,
# hence
#
# $$
# D_{KL}(\mathbb{P} \,\|\, \mathbb{Q}) - \mathrm{DV}(T)
#   = \mathbb{E}_{\mathbb{P}}\left[\log \frac{d\mathbb{P}}{d\mathbb{Q}} - \log \frac{d\mathbb{G}}{d\mathbb{Q}}\right]
#   = \mathbb{E}_{\mathbb{P}}\left[\log \frac{d\mathbb{P}}{d\mathbb{G}}\right]
#   = D_{KL}(\mathbb{P} \,\|\, \mathbb{G}) \;\geq\; 0 .
# $$
#
# So every critic gives a lower bound, and the gap is exactly the divergence from $\mathbb{P}$
# to the critic's Gibbs distribution. The gap closes when $\mathbb{G} = \mathbb{P}$, i.e. for
#
# $$
# T^* = \log \frac{d\mathbb{P}}{d\mathbb{Q}} + c \quad\text{for any constant } c,
# $$
#
# which proves the theorem. Two consequences matter for MINE: the bound is invariant to adding
# a constant to $T$, and for mutual information the optimal critic is the pointwise mutual
# information $\log \frac{p(x,z)}{p(x)p(z)}$ (plus a constant), the log-ratio of
# [chapter 1](01_mutual_information.ipynb).
#
# On a finite space all of this can be checked exactly. We draw pairs $(\mathbb{P}, \mathbb{Q})$
# with $\mathbb{P}$ a random joint table and $\mathbb{Q}$ the product of its marginals (so
# $D_{KL}(\mathbb{P}\|\mathbb{Q})$ is a mutual information) and random critics $T$, and verify the
# gap identity, the shift invariance and the optimality of $\log p/q$.

# %%
shape = cfg["shape"]
joints = [
    dv_demo.random_joint(*shape, seed=int(s), concentration=2.0)
    for s in rng.integers(0, 2**31, size=cfg["n_problems"])
]
p = np.stack([j.ravel() for j in joints])  # (K, n) joint
q = np.stack(
    [dv_demo.product_of_marginals(j).ravel() for j in joints]
)  # (K, n) product of marginals
kl = np.array([mb.kl_divergence(a, b) for a, b in zip(p, q, strict=True)])
print(
    f"{len(p)} problems on {p.shape[1]} atoms; KL(P||Q) = I(X;Z) from {kl.min():.3f} to "
    f"{kl.max():.3f} nats"
)

# random critics: (M, K, n), at several scales
t_rand = torch.as_tensor(
    rng.standard_normal((cfg["n_random_critics"], *p.shape))
    * rng.choice([0.3, 1.0, 3.0], size=(cfg["n_random_critics"], 1, 1))
)
dv_rand = dv_demo.dv_discrete(t_rand, p, q).numpy()
gibbs_kl = np.array(
    [
        [mb.kl_divergence(p[k], g) for k, g in enumerate(gm)]
        for gm in dv_demo.gibbs(t_rand, q).numpy()
    ]
)
gap_err = np.max(np.abs((kl - dv_rand) - gibbs_kl))
shift_err = np.max(np.abs(dv_demo.dv_discrete(t_rand + 2.5, p, q).numpy() - dv_rand))
opt_err = np.max(np.abs(dv_demo.dv_discrete(np.log(p / q) + 0.7, p, q).numpy() - kl))
print(
    f"max |KL - DV(T) - KL(P||G_T)| over {t_rand.shape[0] * len(p)} random critics: "
    f"{gap_err:.1e} nats"
)
print(
    f"max |DV(T + 2.5) - DV(T)|: {shift_err:.1e} nats;  max |DV(log p/q + 0.7) - KL|: "
    f"{opt_err:.1e} nats"
)
print(f"every random critic is below KL: {np.all(dv_rand <= kl + 1e-12)}")
assert gap_err < 1e-10, "the Gibbs gap identity KL - DV(T) = KL(P||G) failed"
assert shift_err < 1e-10 and opt_err < 1e-10, (
    "DV must be shift invariant and attain KL at log p/q + c"
)
assert np.all(dv_rand <= kl + 1e-12), "a random critic exceeded the KL divergence"

# %% [markdown]
# ## The $f$-divergence bound (NWJ, MINE-f)
#
# The KL divergence is the $f$-divergence of $f(u) = u \log u$, whose convex conjugate is
# $f^*(t) = e^{t-1}$. Fenchel duality then gives a second representation
# {cite}`nguyen2010estimating`,
#
# $$
# D_{KL}(\mathbb{P} \,\|\, \mathbb{Q}) = \sup_{T} \; \mathbb{E}_{\mathbb{P}}[T] - \mathbb{E}_{\mathbb{Q}}\left[e^{T-1}\right]
#   =: \sup_T \; \mathrm{NWJ}(T),
# $$
#
# attained only at $T^{*} = 1 + \log \frac{d\mathbb{P}}{d\mathbb{Q}}$: no free constant this time.
# MINE-f is MINE with this objective; its attraction is that $\mathbb{E}_{\mathbb{Q}}[e^{T-1}]$ is a
# plain expectation, so its minibatch gradient is unbiased (the logarithm in DV is what biases
# MINE's gradients, [chapter 3](03_mine.ipynb)).
#
# **Why DV is tighter.** For every $y > 0$, $\log y \leq y / e$ (the tangent of $\log$ at
# $y = e$ lies above it). With $y = \mathbb{E}_{\mathbb{Q}}[e^{T}]$ this says
# $\log \mathbb{E}_{\mathbb{Q}}[e^T] \leq \mathbb{E}_{\mathbb{Q}}[e^{T-1}]$, so for **every fixed** critic
#
# $$
# \mathrm{NWJ}(T) \;\leq\; \mathrm{DV}(T) \;\leq\; D_{KL}(\mathbb{P}\,\|\,\mathbb{Q}),
# $$
#
# with equality in the first step exactly when $\mathbb{E}_{\mathbb{Q}}[e^T] = e$. In fact DV is
# NWJ with the best constant added: maximising $\mathrm{NWJ}(T + c) = \mathbb{E}_{\mathbb{P}}[T] + c - e^{c-1}\mathbb{E}_{\mathbb{Q}}[e^T]$
# over $c$ gives $c^* = 1 - \log \mathbb{E}_{\mathbb{Q}}[e^T]$ and $\mathrm{NWJ}(T + c^*) = \mathrm{DV}(T)$.
# A network trained with NWJ must learn the right normalisation of $e^T$ itself; DV divides it
# out. Both facts, on the same random critics:

# %%
nwj_rand = dv_demo.nwj_discrete(t_rand, p, q).numpy()
c_star = 1 - torch.logsumexp(t_rand + torch.log(torch.as_tensor(q)), dim=-1, keepdim=True)
nwj_shifted = dv_demo.nwj_discrete(t_rand + c_star, p, q).numpy()
looser = np.all(nwj_rand <= dv_rand + 1e-12)
shift_gap = np.max(np.abs(nwj_shifted - dv_rand))
print(
    f"NWJ(T) <= DV(T) for all {nwj_rand.size} random critics: {looser}; "
    f"median DV - NWJ = {np.median(dv_rand - nwj_rand):.3f} nats"
)
print(f"max |NWJ(T + c*) - DV(T)| = {shift_gap:.1e} nats")
assert looser, "found a critic with NWJ(T) > DV(T)"
assert shift_gap < 1e-10, "NWJ with the optimal constant shift must equal DV"

# %% [markdown]
# ## Gradient ascent over a free critic
#
# On a discrete space with $n$ atoms, a critic is just a vector $T \in \mathbb{R}^n$, and both
# bounds are concave in it. Their gradients show what ascent does:
#
# $$
# \frac{\partial\, \mathrm{DV}}{\partial T_i} = p_i - \frac{q_i e^{T_i}}{\sum_j q_j e^{T_j}} = p_i - g_i,
# \qquad
# \frac{\partial\, \mathrm{NWJ}}{\partial T_i} = p_i - q_i e^{T_i - 1}.
# $$
#
# DV's ascent pushes the Gibbs distribution $\mathbb{G}$ towards $\mathbb{P}$; NWJ's pushes
# $q_i e^{T_i - 1}$ towards $p_i$ atom by atom. We maximise both from $T = 0$ with Adam
# (learning rate decaying from 0.1 to $10^{-4}$) on all problems at once
# (`dv_demo.ascend_free_critic`), using exact expectations: no sampling, no network. Both
# should reach the KL divergence; the DV critic should equal $\log p/q$ up to a constant and
# the NWJ critic $1 + \log p/q$ exactly.

# %%
run_dv = dv_demo.ascend_free_critic(p, q, "dv", steps=cfg["steps"])
run_nwj = dv_demo.ascend_free_critic(p, q, "nwj", steps=cfg["steps"])
log_ratio = np.log(p / q)
t_dv = run_dv.t - np.log(
    np.sum(q * np.exp(run_dv.t), axis=1, keepdims=True)
)  # fix DV's free constant
value_err = max(np.max(np.abs(run_dv.history[-1] - kl)), np.max(np.abs(run_nwj.history[-1] - kl)))
dv_critic_err = np.max(np.abs(t_dv - log_ratio))
nwj_critic_err = np.max(np.abs(run_nwj.t - (1 + log_ratio)))
offset = run_nwj.t - t_dv
gibbs_err = np.max(np.abs(dv_demo.gibbs(run_dv.t, q).numpy() - p))
dv_above = np.all(run_nwj.dv_history >= run_nwj.nwj_history - 1e-12)
print(f"after {cfg['steps']} steps: max |bound - KL| = {value_err:.1e} nats (DV and NWJ)")
print(
    f"DV critic minus log E_Q[e^T] vs log p/q: max error {dv_critic_err:.1e}; Gibbs vs P: "
    f"{gibbs_err:.1e}"
)
print(f"NWJ critic vs 1 + log p/q: max error {nwj_critic_err:.1e}")
print(f"NWJ critic - DV critic: min {offset.min():.6f}, max {offset.max():.6f} (theory: 1)")
print(f"DV(T_t) >= NWJ(T_t) at every step of the NWJ ascent: {dv_above}")
assert dv_above, "DV fell below NWJ on the NWJ trajectory"
if cfg["strict"]:
    assert value_err < 1e-8, (
        f"gradient ascent did not reach the KL divergence ({value_err:.1e} nats)"
    )
    assert dv_critic_err < 1e-6 and nwj_critic_err < 1e-6, (
        "the optimal critics are not log p/q (+1)"
    )
    assert np.max(np.abs(offset - 1)) < 1e-6, "the NWJ and DV critics do not differ by exactly 1"

# %%
k_show = int(np.argmax(kl))
steps_axis = np.arange(1, cfg["steps"] + 1)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
ax = axes[0]
ax.plot(
    steps_axis,
    run_dv.history[:, k_show],
    color=mb.plotting.COLORS["mine"],
    label="DV, ascending DV",
)
ax.plot(
    steps_axis,
    run_nwj.history[:, k_show],
    color=mb.plotting.COLORS["mine_f"],
    label="NWJ, ascending NWJ",
)
ax.plot(
    steps_axis,
    run_nwj.dv_history[:, k_show],
    color=mb.plotting.COLORS["mine_f"],
    ls=":",
    label="DV of the NWJ iterates",
)
mb.plotting.plot_truth(ax, kl[k_show], label="KL(P||Q) = I(X;Z)")
ax.set_xscale("log")
ax.set_xlabel("gradient step")
ax.set_ylabel("bound (nats)")
ax.set_title(f"Free critic on {p.shape[1]} atoms (problem {k_show})")
ax.legend()
ax = axes[1]
lims = np.array([log_ratio.min() - 0.3, log_ratio.max() + 1.3])
ax.plot(lims, lims, color="gray", lw=1, label="y = x")
ax.plot(lims, lims + 1, color="black", ls="--", lw=1, label="y = x + 1")
ax.scatter(
    log_ratio.ravel(),
    t_dv.ravel(),
    s=14,
    color=mb.plotting.COLORS["mine"],
    label=r"DV critic $- \log E_Q[e^T]$",
)
ax.scatter(
    log_ratio.ravel(),
    run_nwj.t.ravel(),
    s=14,
    color=mb.plotting.COLORS["mine_f"],
    marker="x",
    label="NWJ critic",
)
ax.set_xlabel(r"$\log p/q$ of the atom (nats)")
ax.set_ylabel("learned critic value (nats)")
ax.set_title(f"Learned critics, all {p.size} atoms of {len(p)} problems")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# Both ascents climb to the KL divergence. The dotted curve evaluates the DV bound at the NWJ
# iterates: it is above the NWJ value at every step, as the inequality above requires, and far
# above it in the first steps, where $T$ has not yet found the normalisation that NWJ needs and
# DV divides out. On the right, every atom of every problem lies on one of two parallel lines:
# the (normalised) DV critic on $y = \log p/q$, the NWJ critic on $y = 1 + \log p/q$.
#
# ## Gaussians: the empirical DV value of the optimal critic
#
# MINE never sees the expectations, only samples. Suppose the critic is already perfect,
# $T^* = \log \frac{p(x,z)}{p(x)p(z)}$ (`mb.gaussian_log_ratio`), and we evaluate the DV bound on
# $n$ joint samples and $n$ samples of the product of marginals:
#
# $$
# \widehat{I}_n = \frac1n \sum_{i=1}^n T^*(x_i, z_i) - \log \frac1n \sum_{j=1}^n e^{T^*(\tilde x_j, \tilde z_j)} .
# $$
#
# The first term is unbiased. The second is not: since $\mathbb{E}_{\mathbb{Q}}[e^{T^*}] = 1$ and
# $\log$ is concave, Jensen's inequality gives $\mathbb{E}[\log \frac1n \sum_j e^{T^*}] \leq 0$, so
# **$\widehat{I}_n$ overestimates the mutual information on average**: with a fixed critic, the
# empirical DV value is not a lower bound. A second-order (delta-method) expansion quantifies it:
#
# $$
# \mathbb{E}[\widehat{I}_n] - I \approx \frac{\chi^2}{2n}, \qquad
# \operatorname{sd}(\widehat{I}_n) \approx \sqrt{\frac{d\rho^2 + \chi^2}{n}}, \qquad
# \chi^2 = \operatorname{Var}_{\mathbb{Q}}\left[e^{T^*}\right] = \mathbb{E}_{\mathbb{Q}}\left[\left(\tfrac{p}{q}\right)^2\right] - 1 = e^{2I} - 1,
# $$
#
# where $d\rho^2 = \operatorname{Var}_{\mathbb{P}}[T^*]$ ([chapter 1](01_mutual_information.ipynb)) and the
# last equality is special to these Gaussians: $\mathbb{E}_{\mathbb{Q}}[(p/q)^2] = (1-\rho^2)^{-d}$ by
# Mehler's formula. Both bias and variance grow **exponentially in the mutual information**,
# the root of the variance problems of DV-type estimators at high MI
# {cite}`song2020understanding,mcallester2020formal`.
#
# MINE draws its marginal samples differently: it pairs each $x_i$ with a *shuffled* $z_{\pi(i)}$
# from the same batch. A random permutation fixes one point on average, and a fixed point is a
# joint pair, whose $e^{T^*}$ has mean $\mathbb{E}_{\mathbb{P}}[p/q] = 1 + \chi^2$; this raises
# $\frac1n\sum_j e^{T^*}$ by $\chi^2/n$ on average and, to first order, **flips the sign** of the
# bias to $-\chi^2/(2n)$.
#
# We simulate both versions for two settings, $d = 1, \rho = 0.9$ ($I = 0.83$ nats) and
# $d = 5, \rho = 0.7$ ($I = 1.68$ nats), from $n = 8$ to $n = 16384$, with many repetitions at each
# $n$ (`dv_demo.empirical_dv_optimal`, vectorised over repetitions).

# %%
settings = [(1, 0.9), (5, 0.7)]
sizes = np.array(cfg["sizes"])
sim = {}  # (d, rho, marginals) -> dict of arrays over sizes
for d, rho in tqdm(settings, desc="settings"):
    truth = mb.gaussian_mi(rho, d)
    for marginals in ("independent", "shuffled"):
        bias, sd, se, reps = [], [], [], []
        for n in sizes:
            repeats = int(np.clip(2**21 // (n * d), cfg["min_repeats"], cfg["max_repeats"]))
            values = dv_demo.empirical_dv_optimal(
                int(n), rho, d, repeats, seed=seed * 100_003 + int(n) + 7 * d, marginals=marginals
            )
            bias.append(values.mean() - truth)
            sd.append(values.std(ddof=1))
            se.append(values.std(ddof=1) / np.sqrt(repeats))
            reps.append(repeats)
        sim[d, rho, marginals] = dict(
            bias=np.array(bias), sd=np.array(sd), se=np.array(se), reps=np.array(reps)
        )

print(
    f"{'setting':>16} {'marginals':>11} {'n':>6} {'reps':>5} {'bias ± SE':>18} "
    f"{'delta bias':>10} {'sd':>7} {'delta sd':>8}"
)
for (d, rho, marginals), r in sim.items():
    pred_bias, pred_sd = dv_demo.dv_delta_method(sizes, rho, d)
    sign = 1 if marginals == "independent" else -1
    for j in (0, len(sizes) // 2, len(sizes) - 1):
        print(
            f"d={d}, rho={rho:>4} {marginals:>11} {sizes[j]:6d} {r['reps'][j]:5d} "
            f"{r['bias'][j]:+9.4f} ± {r['se'][j]:.4f} {sign * pred_bias[j]:+10.4f} "
            f"{r['sd'][j]:7.4f} {pred_sd[j]:8.4f}"
        )

# %% tags=["hide-input"]
fig, axes = plt.subplots(2, 1, figsize=(7.4, 8.0), sharex=True)
colors = {settings[0]: "C0", settings[1]: "C3"}
for (d, rho, marginals), r in sim.items():
    color = colors[d, rho]
    style = dict(ls="-", marker="o") if marginals == "independent" else dict(ls="--", marker="s")
    label = f"d={d}, rho={rho} (I={mb.gaussian_mi(rho, d):.2f}), {marginals}"
    axes[0].errorbar(
        sizes, r["bias"], yerr=2 * r["se"], color=color, ms=4, mfc="white", label=label, **style
    )
    axes[1].plot(sizes, r["sd"], color=color, ms=4, mfc="white", label=label, **style)
for (d, rho), color in colors.items():
    pred_bias, pred_sd = dv_demo.dv_delta_method(sizes, rho, d)
    axes[0].plot(sizes, pred_bias, color=color, ls=":", lw=1)
    axes[0].plot(sizes, -pred_bias, color=color, ls=":", lw=1)
    axes[1].plot(sizes, pred_sd, color=color, ls=":", lw=1.5)
axes[0].plot([], [], color="gray", ls=":", label=r"delta method $\pm\chi^2/2n$")
axes[1].plot([], [], color="gray", ls=":", label=r"delta method $\sqrt{(d\rho^2+\chi^2)/n}$")
axes[0].axhline(0, color="black", lw=0.8)
axes[0].set_xscale("log")
axes[0].set_yscale("symlog", linthresh=0.01)
axes[0].set_ylabel(r"bias $E[\hat I_n] - I$ (nats, symlog)")
axes[0].set_title("Bias of the empirical DV value of $T^*$ (± 2 SE)")
axes[1].set_xscale("log")
axes[1].set_yscale("log")
axes[1].set_xlabel("sample size n (joint and marginal)")
axes[1].set_ylabel(r"standard deviation of $\hat I_n$ (nats)")
axes[1].set_title("Spread")
axes[0].legend(fontsize=8, loc="lower right")
axes[1].legend(fontsize=8, loc="lower left")
fig.tight_layout()
plt.show()

# %% [markdown]
# What the simulation shows:
#
# - With independent marginal samples the bias is **positive**, with MINE's shuffled marginals it
#   is **negative**; both vanish like $1/n$, following $\pm\chi^2/(2n)$ (dotted) once $n$ is large.
#   At small $n$ the delta method overstates both bias and spread: $e^{T^*}$ under $\mathbb{Q}$ is
#   heavy-tailed, and its rare large values, which carry $\chi^2$, rarely show up in a small sample.
# - The bias at fixed $n$ is several times larger for the setting with twice the mutual
#   information, as the growth of $\chi^2 = e^{2I} - 1$ suggests.
# - The standard deviation falls like $n^{-1/2}$ and approaches the delta-method value, mostly
#   from below.
#
# A plain shuffle is not the only way to pair samples within a batch. A **derangement**, a
# random permutation with no fixed point, never pairs $x_i$ with its own $z_i$, so every
# marginal pair really is a sample of $\mathbb{P}_X \otimes \mathbb{P}_Z$,
# $\mathbb{E}[\frac1n\sum_j e^{T^*}] = 1$ exactly, and Jensen's inequality makes the bias positive
# again, as with independent samples. This is what minebook's training loop uses (`mb.shuffle_rows`),
# and its held-out read-out pairs $x_i$ with cyclically shifted $z_{i+s}$, $s \neq 0$, for the same
# reason. A quick check at small $n$, where the bias is largest:

# %%
z_index = torch.arange(16, dtype=torch.float32).view(1, 16, 1).expand(64, 16, 1)
fixed_points = int((mb.shuffle_rows(z_index, torch.Generator().manual_seed(seed)) == z_index).sum())
print(f"fixed points of mb.shuffle_rows over 64 batches of 16: {fixed_points}")
assert fixed_points == 0, "minebook's in-batch shuffle is expected to be a derangement"
deranged = {}
for d, rho in settings:
    truth = mb.gaussian_mi(rho, d)
    for n in (8, 64):
        values = dv_demo.empirical_dv_optimal(
            n, rho, d, cfg["max_repeats"], seed=seed + 11 * n + d, marginals="deranged"
        )
        se = values.std(ddof=1) / np.sqrt(len(values))
        deranged[d, rho, n] = (values.mean() - truth, se)
        print(
            f"d={d}, rho={rho}, n={n:3d}, deranged marginals: bias {values.mean() - truth:+.4f} "
            f"± {se:.4f} nats"
        )
deranged_up = all(b > 4 * se for b, se in deranged.values())  # more than 4 SE above
if cfg["strict"]:
    assert deranged_up, "deranged marginals should bias the DV value upwards"

# %% [markdown]
# So even a perfect critic reads out the mutual information with an error of order
# $\sqrt{e^{2I}/n}$: high MI needs exponentially many samples. Training the critic adds
# further errors on top ([chapter 3](03_mine.ipynb)).

# %%
checks = {}
for d, rho in settings:
    ind, shuf = sim[d, rho, "independent"], sim[d, rho, "shuffled"]
    pred_bias, pred_sd = dv_demo.dv_delta_method(sizes, rho, d)
    big = sizes >= 512
    slope = np.polyfit(np.log(sizes[big]), np.log(ind["sd"][big]), 1)[0] if big.sum() > 1 else -0.5
    checks[d, rho] = {
        "positive bias at n=8 (independent), > 4 SE": ind["bias"][0] > 4 * ind["se"][0],
        "negative bias at n=8 (shuffled), > 4 SE": shuf["bias"][0] < -4 * shuf["se"][0],
        f"unbiased at n={sizes[-1]} (within 4 SE + delta bias)": all(
            abs(r["bias"][-1]) < 4 * r["se"][-1] + pred_bias[-1] for r in (ind, shuf)
        ),
        "sd slope in [-0.6, -0.4] for n >= 512": -0.6 <= slope <= -0.4,
        f"sd at n={sizes[-1]} within [0.65, 1.1] x delta method": 0.65
        <= ind["sd"][-1] / pred_sd[-1]
        <= 1.1,
    }
bias_ratio = sim[5, 0.7, "independent"]["bias"][0] / sim[1, 0.9, "independent"]["bias"][0]
for (d, rho), cs in checks.items():
    for name, ok in cs.items():
        mb.report.check(ok, f"d={d}, rho={rho}: {name}", strict=cfg["strict"])
print(f"bias ratio at n=8, I=1.68 vs I=0.83: {bias_ratio:.1f}")
mb.report.check(bias_ratio > 2, "the bias grows with the mutual information", strict=cfg["strict"])

# %% [markdown]
# ## Summary
#
# - $D_{KL}(\mathbb{P}\|\mathbb{Q}) = \sup_T \mathbb{E}_{\mathbb{P}}[T] - \log\mathbb{E}_{\mathbb{Q}}[e^T]$, and the gap
#   of any critic is $D_{KL}(\mathbb{P}\|\mathbb{G})$ to its Gibbs distribution; the maximisers are
#   $\log \frac{d\mathbb{P}}{d\mathbb{Q}} + c$.
# - The $f$-divergence (NWJ, MINE-f) bound $\mathbb{E}_{\mathbb{P}}[T] - \mathbb{E}_{\mathbb{Q}}[e^{T-1}]$ is below
#   DV for every critic and equal to DV after the best constant shift; its maximiser is
#   $1 + \log\frac{d\mathbb{P}}{d\mathbb{Q}}$. On discrete problems, gradient ascent on either bound
#   reaches the KL divergence, with critics that differ by exactly 1.
# - From samples, even the optimal critic's DV value is biased (up with independent marginal
#   samples or a derangement, down with a plain shuffle) and has variance growing like $e^{2I}/n$.

# %% [markdown]
# ## Exercises
#
# Each runs in seconds at `budget = "smoke"`. Run a chapter at another budget or seed without
# editing it: `papermill -k python3 -p budget smoke -p seed 1 notebooks/NN_name.ipynb out.ipynb`
# (or change the `parameters` cell).
#
# 1. At `budget = "smoke"` the statistical checks print `SKIPPED`. Raise `cfg["max_repeats"]` in
#    the smoke settings until the bias signs at $n = 8$ are resolved: how many repeats do they
#    need?
# 2. Shift the optimal critic by a constant $c$ and evaluate the NWJ bound: plot it against $c$
#    and find where it meets the DV value.
# 3. Repeat the empirical DV experiment with a plain shuffle instead of independent marginal
#    samples for $\rho = 0.99$: how large must $n$ be before the bias is below 0.05 nats?

# %% [markdown]
# ## Verdicts
#
# What this chapter checked, as the reproduction table of the [introduction](../book/intro.md)
# records it: each check below is asserted before its line is printed, and the table ends
# the chapter (the code that builds the records is hidden).

# %% tags=["nbval-check-output", "hide-input"]
all_gauss = all(ok for cs in checks.values() for ok in cs.values()) and deranged_up
rows = [
    {
        "claim": "Donsker-Varadhan: KL(P||Q) = sup_T E_P[T] - log E_Q[e^T], gap of T = "
        "KL(P||Gibbs_T)",
        "paper": "Theorem 1",
        "ours": f"gap identity within 1e-10 on {t_rand.shape[0] * len(p)} critics; free-critic "
        "ascent reaches KL "
        f"within 1e-8 nats on {len(p)} problems",
        "verdict": "reproduced" if gap_err < 1e-10 and value_err < 1e-8 else "not reproduced",
    },
    {
        "claim": "DV is tighter than the f-divergence (MINE-f / NWJ) bound for any fixed T",
        "paper": "Sec. 2 (dual representations)",
        "ours": f"NWJ(T) <= DV(T) on all {nwj_rand.size} random critics "
        "and along every ascent step",
        "verdict": "reproduced" if looser and dv_above else "not reproduced",
    },
    {
        "claim": "Optimal critics: log dP/dQ + c for DV, 1 + log dP/dQ for NWJ",
        "paper": "Nguyen et al. (2010); Theorem 1",
        "ours": "learned free critics differ by 1 within 1e-6 on every atom",
        "verdict": "reproduced" if np.max(np.abs(offset - 1)) < 1e-6 else "not reproduced",
    },
    {
        "claim": "Empirical DV value of the optimal critic: bias ~ +chi2/2n (independent or "
        "deranged "
        "marginals), "
        "-chi2/2n (shuffled), sd ~ sqrt(e^{2I}/n)",
        "paper": "not in the paper",
        "ours": "signs and n^(-1/2) spread confirmed for I = 0.83 and 1.68 nats, n = 8 to "
        f"{sizes[-1]}",
        "verdict": "reproduced" if all_gauss else "not reproduced",
    },
]
mb.report.record("02_donsker_varadhan", rows)
strict = cfg["strict"]
mb.report.check(gap_err < 1e-10, "Gibbs gap identity KL - DV(T) = KL(P||G)")
mb.report.check(looser and shift_gap < 1e-10, "NWJ(T) <= DV(T) = NWJ(T + c*)")
mb.report.check(value_err < 1e-8, "free-critic ascent reaches KL (DV and NWJ)", strict=strict)
mb.report.check(np.max(np.abs(offset - 1)) < 1e-6, "NWJ critic = DV critic + 1", strict=strict)
for (d, rho), cs in checks.items():
    mb.report.check(
        all(cs.values()),
        f"d={d}, rho={rho}: bias signs, consistency, n^-1/2 spread",
        strict=strict,
    )
mb.report.check(deranged_up, "deranged marginals: positive bias at small n", strict=strict)
print(
    f"I(d=1, rho=0.9) = {mb.gaussian_mi(0.9, 1):.2f} nats, I(d=5, rho=0.7) = "
    f"{mb.gaussian_mi(0.7, 5):.2f} nats"
)
mb.report.verdict_table(rows, chapter="02_donsker_varadhan")
