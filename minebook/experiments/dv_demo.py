"""Demonstrations for the opening chapters: Monte Carlo checks and the DV / NWJ bounds.

Chapter 1 (mutual information) uses the discrete-table helpers and the Monte-Carlo
estimators of Gaussian MI and KL. Chapter 2 (the Donsker-Varadhan representation) uses the
exact bounds on discrete distributions, gradient ascent over a *free* critic ``T`` (one
value per atom, no network) and the empirical DV value of the optimal critic ``log p/q``
on correlated Gaussians as a function of the sample size.

Conventions: every value is in nats; discrete distributions are probability vectors of
shape ``(..., n)`` (a leading dimension stacks independent problems); critics on discrete
spaces are score vectors of the same shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from ..data import gaussian_log_ratio, gaussian_mi
from ..information import entropy
from ..validation import check_positive_int

__all__ = [
    "random_joint", "product_of_marginals", "mi_from_entropies", "mixture_path",
    "mc_mean", "mc_gaussian_mi", "gaussian_log_pdf", "mc_gaussian_kl",
    "dv_discrete", "nwj_discrete", "gibbs", "FreeCriticRun", "ascend_free_critic",
    "MARGINALS", "empirical_dv_optimal", "dv_delta_method",
]


# --------------------------------------------------------------------------- chapter 1
def random_joint(n_x: int, n_z: int, seed: int = 0, concentration: float = 1.0) -> np.ndarray:
    """A random joint probability table ``(n_x, n_z)`` drawn from a flat Dirichlet.

    Introduced in chapter 1. Smaller ``concentration`` gives peakier (more dependent) tables.
    """
    n_x, n_z = check_positive_int(n_x, "n_x"), check_positive_int(n_z, "n_z")
    if concentration <= 0:
        raise ValueError(f"concentration must be positive; got {concentration}.")
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.full(n_x * n_z, float(concentration))).reshape(n_x, n_z)


def product_of_marginals(p_xz) -> np.ndarray:
    """``P_X ⊗ P_Z`` of a joint table ``(n_x, n_z)``: the outer product of its marginals.

    Introduced in chapter 1.
    """
    p = np.asarray(p_xz, dtype=np.float64)
    if p.ndim != 2:
        raise ValueError(f"p_xz must be a 2-D joint table; got shape {p.shape}.")
    return np.outer(p.sum(axis=1), p.sum(axis=0))


def mi_from_entropies(p_xz) -> float:
    """The entropy form ``I(X;Z) = H(X) + H(Z) - H(X,Z)`` in nats of a joint table.

    Introduced in chapter 1 (the KL form is :func:`minebook.mutual_information`).
    """
    p = np.asarray(p_xz, dtype=np.float64)
    return entropy(p.sum(axis=1)) + entropy(p.sum(axis=0)) - entropy(p)


def mixture_path(p_xz, lambdas) -> np.ndarray:
    """Tables ``(1 - lam) P_XZ + lam P_X ⊗ P_Z`` for each ``lam``: shape ``(L, n_x, n_z)``.

    Introduced in chapter 1. Every table on the path has the marginals of ``p_xz``; at
    ``lam = 1`` it is the product of marginals, whose MI is zero.
    """
    p = np.asarray(p_xz, dtype=np.float64)
    lam = np.asarray(lambdas, dtype=np.float64)[:, None, None]
    return (1 - lam) * p + lam * product_of_marginals(p)


def mc_mean(values, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Monte-Carlo mean and its standard error ``std / sqrt(n)`` along ``axis``.

    Introduced in chapter 1. ``values (..., n) -> (mean (...), stderr (...))``.
    """
    v = np.asarray(values, dtype=np.float64)
    n = v.shape[axis]
    if n < 2:
        raise ValueError("need at least 2 samples for a standard error.")
    return v.mean(axis=axis), v.std(axis=axis, ddof=1) / math.sqrt(n)


def mc_gaussian_mi(rhos, d: int = 1, n: int = 20_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Monte-Carlo estimate of ``I = E_P[log p(x,z) / (p(x) p(z))]`` for each ``rho``.

    Introduced in chapter 1. Draws ``n`` joint samples of the d-dimensional correlated
    Gaussian (:func:`minebook.correlated_gaussian`) per ``rho`` and averages the exact
    log-ratio :func:`minebook.gaussian_log_ratio`. ``rhos (R,)`` -> ``mean (R,)``,
    ``stderr (R,)`` in nats; the standard error is ``sqrt(d) |rho| / sqrt(n)`` in theory.
    """
    rhos = np.atleast_1d(np.asarray(rhos, dtype=np.float64))
    n, d = check_positive_int(n, "n"), check_positive_int(d, "d")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((len(rhos), n, d))
    eps = rng.standard_normal((len(rhos), n, d))
    r = rhos[:, None, None]
    z = r * x + np.sqrt(1 - r**2) * eps
    ratios = np.stack([gaussian_log_ratio(x[i], z[i], rho) for i, rho in enumerate(rhos)])
    return mc_mean(ratios)


def gaussian_log_pdf(x, mean, cov) -> np.ndarray:
    """``log N(x; mean, cov)`` for rows of ``x (n, d)``: shape ``(n,)``, in nats.

    Introduced in chapter 1 (Monte-Carlo KL between Gaussians).
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    m = np.atleast_1d(np.asarray(mean, dtype=np.float64))
    s = np.atleast_2d(np.asarray(cov, dtype=np.float64))
    chol = np.linalg.cholesky(s)
    sol = np.linalg.solve(chol, (x - m).T)
    logdet = 2.0 * np.sum(np.log(np.diag(chol)))
    return -0.5 * (np.sum(sol**2, axis=0) + logdet + len(m) * math.log(2 * math.pi))


def mc_gaussian_kl(mean0, cov0, mean1, cov1, n: int = 100_000, seed: int = 0) -> tuple[float, float]:
    """Monte-Carlo ``KL(N0 || N1) = E_{N0}[log n0(x) - log n1(x)]``: ``(mean, stderr)`` in nats.

    Introduced in chapter 1, to check :func:`minebook.gaussian_kl`.
    """
    m0 = np.atleast_1d(np.asarray(mean0, dtype=np.float64))
    s0 = np.atleast_2d(np.asarray(cov0, dtype=np.float64))
    rng = np.random.default_rng(seed)
    x = rng.multivariate_normal(m0, s0, size=check_positive_int(n, "n"), method="cholesky")
    mean, se = mc_mean(gaussian_log_pdf(x, m0, s0) - gaussian_log_pdf(x, mean1, cov1))
    return float(mean), float(se)


# --------------------------------------------------------------------------- chapter 2
def _tensor(a) -> torch.Tensor:
    return a if isinstance(a, torch.Tensor) else torch.as_tensor(np.asarray(a), dtype=torch.float64)


def dv_discrete(t, p, q) -> torch.Tensor:
    """Exact DV bound ``E_P[T] - log E_Q[e^T]`` on a discrete space, in nats (chapter 2).

    ``t``, ``p``, ``q``: ``(..., n)`` (scores, and two probability vectors with ``q > 0``)
    -> ``(...)``. Equal to ``KL(P||Q) - KL(P||G)`` with ``G`` the Gibbs distribution of ``T``.
    """
    t, p, q = _tensor(t), _tensor(p), _tensor(q)
    return (p * t).sum(-1) - torch.logsumexp(t + torch.log(q), dim=-1)


def nwj_discrete(t, p, q) -> torch.Tensor:
    """Exact NWJ / MINE-f bound ``E_P[T] - E_Q[e^(T-1)]`` on a discrete space (chapter 2).

    Shapes as in :func:`dv_discrete`. Never larger than the DV bound of the same ``T``.
    """
    t, p, q = _tensor(t), _tensor(p), _tensor(q)
    return (p * t).sum(-1) - torch.exp(torch.logsumexp(t - 1 + torch.log(q), dim=-1))


def gibbs(t, q) -> torch.Tensor:
    """The Gibbs distribution ``G = e^T Q / E_Q[e^T]`` of a critic ``T``: ``(..., n)`` (chapter 2)."""
    t, q = _tensor(t), _tensor(q)
    return torch.softmax(t + torch.log(q), dim=-1)


@dataclass
class FreeCriticRun:
    """The result of :func:`ascend_free_critic` (chapter 2).

    ``t``: final critics ``(K, n)``; ``history``: the bound at every step ``(steps, K)``;
    ``dv_history`` / ``nwj_history``: both bounds evaluated at the same iterate ``(steps, K)``.
    """

    bound: str
    t: np.ndarray
    history: np.ndarray = field(repr=False)
    dv_history: np.ndarray = field(repr=False)
    nwj_history: np.ndarray = field(repr=False)


def ascend_free_critic(p, q, bound: str = "dv", steps: int = 2000, lr: float = 0.1,
                       final_lr: float = 1e-4, t0=None) -> FreeCriticRun:
    """Maximise the DV or NWJ bound over a free critic ``T`` (one score per atom) with Adam.

    Introduced in chapter 2. ``p``, ``q``: ``(K, n)`` or ``(n,)`` probability vectors
    (``q > 0``); ``K`` problems are solved at once. ``t0`` (same shape) is the start,
    zeros by default. The learning rate decays geometrically from ``lr`` to ``final_lr``
    so that the iterates settle instead of hovering around the maximiser. The maximum of
    both bounds is ``KL(P||Q)``; the maximisers are ``log p/q + c`` (any constant ``c``)
    for DV and exactly ``1 + log p/q`` for NWJ.
    """
    if bound not in ("dv", "nwj"):
        raise ValueError(f"bound must be 'dv' or 'nwj'; got {bound!r}.")
    steps = check_positive_int(steps, "steps")
    p, q = torch.atleast_2d(_tensor(p)), torch.atleast_2d(_tensor(q))
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape; got {tuple(p.shape)} and {tuple(q.shape)}.")
    if torch.any(q <= 0):
        raise ValueError("q must be strictly positive (the bounds need log q).")
    start = torch.zeros_like(p) if t0 is None else torch.atleast_2d(_tensor(t0)).clone()
    t = start.requires_grad_(True)
    opt = torch.optim.Adam([t], lr=lr)
    decay = (final_lr / lr) ** (1.0 / max(steps - 1, 1))
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=decay)
    objective = dv_discrete if bound == "dv" else nwj_discrete
    dv_hist, nwj_hist = np.empty((steps, len(p))), np.empty((steps, len(p)))
    for step in range(steps):
        value = objective(t, p, q)
        with torch.no_grad():
            dv_hist[step] = dv_discrete(t, p, q).numpy()
            nwj_hist[step] = nwj_discrete(t, p, q).numpy()
        opt.zero_grad()
        (-value.sum()).backward()
        opt.step()
        sched.step()
    history = dv_hist if bound == "dv" else nwj_hist
    return FreeCriticRun(bound, t.detach().numpy().copy(), history, dv_hist, nwj_hist)


MARGINALS = ("independent", "shuffled", "deranged")


def _derangement(keys: np.ndarray) -> np.ndarray:
    """A random single-cycle permutation (no fixed point) per row of ``keys (R, n)``.

    Rows are visited in the order ``sigma = argsort(keys)`` and each is sent to the next:
    ``pi[sigma[i]] = sigma[i + 1 mod n]``. Returns ``pi (R, n)``.
    """
    sigma = np.argsort(keys, axis=1)
    pi = np.empty_like(sigma)
    np.put_along_axis(pi, sigma, np.roll(sigma, -1, axis=1), axis=1)
    return pi


def _optimal_critic_dv(x, z, xm, zm, rho):
    """DV value of ``T* = log p/q`` per repeat: ``x, z, xm, zm (R, n, d)`` -> ``(R,)``."""
    r, n, d = x.shape
    t_joint = gaussian_log_ratio(x.reshape(r * n, d), z.reshape(r * n, d), rho).reshape(r, n)
    t_marg = gaussian_log_ratio(xm.reshape(r * n, d), zm.reshape(r * n, d), rho).reshape(r, n)
    peak = t_marg.max(axis=1, keepdims=True)
    log_mean_exp = np.log(np.mean(np.exp(t_marg - peak), axis=1)) + peak[:, 0]
    return t_joint.mean(axis=1) - log_mean_exp


def empirical_dv_optimal(n: int, rho: float, d: int = 1, n_repeats: int = 500, seed: int = 0,
                         marginals: str = "independent", chunk: int = 2_000_000) -> np.ndarray:
    """Empirical DV value of the optimal critic ``log p/q``, ``n_repeats`` times: ``(R,)`` nats.

    Introduced in chapter 2. Each repeat draws ``n`` joint samples of the correlated
    Gaussian (MI ``gaussian_mi(rho, d)``) and ``n`` samples of the product of marginals,
    then evaluates ``mean_P[T*] - log mean_Q[e^T*]``. ``marginals="independent"`` draws
    fresh independent ``x', z'``; ``"shuffled"`` pairs the joint ``x`` with a uniformly random
    permutation of its own ``z``, as in the paper; ``"deranged"`` uses a random permutation
    without fixed points (:func:`_derangement`), as minebook's training loop does. Repeats are
    vectorised in chunks of about ``chunk`` numbers.
    """
    n, d = check_positive_int(n, "n"), check_positive_int(d, "d")
    n_repeats = check_positive_int(n_repeats, "n_repeats")
    if marginals not in MARGINALS:
        raise ValueError(f"marginals must be one of {MARGINALS}; got {marginals!r}.")
    if marginals != "independent" and n < 2:
        raise ValueError(f"{marginals} marginals need n >= 2.")
    rng = np.random.default_rng(seed)
    per_chunk = max(1, chunk // (n * d))
    out = []
    for start in range(0, n_repeats, per_chunk):
        r = min(per_chunk, n_repeats - start)
        x = rng.standard_normal((r, n, d))
        z = rho * x + math.sqrt(1 - rho**2) * rng.standard_normal((r, n, d))
        if marginals == "independent":
            xm, zm = rng.standard_normal((r, n, d)), rng.standard_normal((r, n, d))
        else:
            keys = rng.random((r, n))
            perm = np.argsort(keys, axis=1) if marginals == "shuffled" else _derangement(keys)
            xm, zm = x, np.take_along_axis(z, perm[:, :, None], axis=1)
        out.append(_optimal_critic_dv(x, z, xm, zm, rho))
    return np.concatenate(out)


def dv_delta_method(n, rho: float, d: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Delta-method bias and standard deviation of :func:`empirical_dv_optimal` (independent).

    Introduced in chapter 2. With ``n`` joint and ``n`` independent marginal samples,
    ``Var_P[T*] = d rho^2`` and ``Var_Q[e^T*] = chi^2(P||Q) = e^(2 I) - 1``, so to first order

        bias ≈ (e^(2I) - 1) / (2n),    std ≈ sqrt((d rho^2 + e^(2I) - 1) / n).

    ``n`` may be an array; returns ``(bias, std)`` in nats of the same shape.
    """
    n = np.asarray(n, dtype=np.float64)
    chi2 = math.expm1(2 * gaussian_mi(rho, d))
    return chi2 / (2 * n), np.sqrt((d * rho**2 + chi2) / n)
