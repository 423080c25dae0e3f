"""Preprocessing that keeps mutual information: invertible maps of each coordinate (chapter 3).

``I(f(X); g(Z)) = I(X; Z)`` for invertible ``f`` and ``g``, so an estimator may transform its
inputs first without changing its target. ``estimate_mi`` maps each coordinate to normal scores
by default (:class:`MarginalGaussianizer`); ``preprocess="standardize"`` is the affine map.
Heavy tails and uneven marginals hurt a neural critic: a few
extreme samples decide the partition term ``log E[e^T]`` of a DV read-out (chapter 12).
:class:`MarginalGaussianizer` maps each coordinate through its own empirical CDF and the normal
quantile function, ``a -> Phi^{-1}(F_train(a))``: a strictly increasing, piecewise-linear map
fitted on the training rows, so every coordinate becomes roughly standard normal while the
joint dependence, and the MI, are left as they are. It acts on each coordinate alone: a joint
distortion such as the spiral of chapter 12 stays.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.special import ndtri

__all__ = ["PREPROCESSING", "MarginalGaussianizer", "GaussianizedCritic", "check_preprocess", "scaler",
           "preprocess_all", "normal_scores"]

#: The ``preprocess`` choices of :func:`minebook.estimate_mi` (chapter 3).
PREPROCESSING = ("standardize", "gaussianize", "none")


def check_preprocess(preprocess, standardize: bool | None = None) -> str:
    """The preprocessing to use: ``preprocess`` if given, else from the older ``standardize`` flag
    (``True``: ``"standardize"``, ``False``: ``"none"``), else ``"gaussianize"``, the default.

    Raises ``ValueError`` for an unknown name. Introduced in chapter 3.
    """
    if preprocess is None:
        if standardize is None:
            return "gaussianize"
        return "standardize" if standardize else "none"
    if preprocess not in PREPROCESSING:
        raise ValueError(f"unknown preprocess {preprocess!r}; choose one of {', '.join(map(repr, PREPROCESSING))} "
                         "('gaussianize' maps each coordinate to normal scores, which keeps the MI).")
    return preprocess


class MarginalGaussianizer:
    """Per-coordinate map to normal scores, fitted on training rows (chapter 3).

    ``fit(a (n, d))`` keeps, for each coordinate, at most ``max_knots`` knots: the training
    order statistics at probabilities ``p_i = (i + 1/2) / m`` and their normal scores
    ``Phi^{-1}(p_i)`` (tied knots, e.g. of a discrete coordinate, merged with their mean score).
    ``__call__(a (N, d)) -> (N, d)`` interpolates linearly between knots; beyond the end knots it
    continues logarithmically, ``q_end + dq * log1p(t)`` with ``t`` the distance past the end knot
    in widths ``w`` of the end segment and ``dq`` that segment's rise (the same value and slope at
    the knot). So the map is strictly increasing on the whole line (invertible) and finite for
    any finite input, and a value 1000 end-widths out scores ``7 dq`` past the end, not
    ``1000 dq`` (a Student-t with 2 degrees of freedom at n = 10^5 gave scores in the thousands
    with a linear extension). A constant coordinate maps to 0.
    """

    def __init__(self, knots: list[np.ndarray], scores: list[np.ndarray]):
        if len(knots) != len(scores):
            raise ValueError("one array of knots and one of scores per coordinate")
        self.knots, self.scores = knots, scores

    @classmethod
    def fit(cls, a, max_knots: int = 2000) -> MarginalGaussianizer:
        """Fit the map of every column of ``a (n, d)`` (float, finite) on its values."""
        a = np.asarray(a, dtype=np.float64)
        if a.ndim != 2 or len(a) < 2:
            raise ValueError(f"fit needs (n, d) training rows with n >= 2; got shape {a.shape}.")
        n = len(a)
        m = min(n, int(max_knots))
        p = (np.arange(m) + 0.5) / m
        ranks = np.minimum((p * n).astype(int), n - 1)  # order statistics: exact under monotone maps
        q = ndtri(p)
        knots, scores = [], []
        for col in a.T:
            v = np.sort(col)[ranks]
            unique, inverse = np.unique(v, return_inverse=True)
            mean_q = np.bincount(inverse, weights=q) / np.bincount(inverse)
            knots.append(unique)
            scores.append(mean_q)
        return cls(knots, scores)

    @property
    def dim(self) -> int:
        return len(self.knots)

    def __call__(self, a) -> np.ndarray:
        a = np.asarray(a, dtype=np.float64)
        if a.ndim != 2 or a.shape[1] != self.dim:
            raise ValueError(f"expected (N, {self.dim}) inputs; got shape {a.shape}.")
        out = np.empty_like(a)
        for j, (v, q) in enumerate(zip(self.knots, self.scores, strict=True)):
            out[:, j] = _interp_extrapolate(a[:, j], v, q)
        return out

    def torch_call(self, a: torch.Tensor) -> torch.Tensor:
        """The same map on a float tensor ``(N, d)`` (for critics that take raw inputs)."""
        cols = []
        for j, (v, q) in enumerate(zip(self.knots, self.scores, strict=True)):
            knots = torch.as_tensor(v, dtype=a.dtype, device=a.device)
            values = torch.as_tensor(q, dtype=a.dtype, device=a.device)
            cols.append(_torch_interp(a[:, j].contiguous(), knots, values))
        return torch.stack(cols, dim=1)


def _interp_extrapolate(x: np.ndarray, v: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Piecewise-linear ``x -> q`` through knots ``(v, q)``, continued logarithmically past the ends."""
    if len(v) == 1:
        return np.zeros_like(x)
    y = np.interp(x, v, q)
    lo, hi = x < v[0], x > v[-1]
    y[lo] = q[0] - (q[1] - q[0]) * np.log1p((v[0] - x[lo]) / (v[1] - v[0]))
    y[hi] = q[-1] + (q[-1] - q[-2]) * np.log1p((x[hi] - v[-1]) / (v[-1] - v[-2]))
    return y


def _torch_interp(x: torch.Tensor, v: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """:func:`_interp_extrapolate` in torch (the segment of each ``x`` by ``searchsorted``)."""
    if len(v) == 1:
        return torch.zeros_like(x)
    i = torch.searchsorted(v, x).clamp(1, len(v) - 1)  # segment [v[i-1], v[i]]
    v0, v1, q0, q1 = v[i - 1], v[i], q[i - 1], q[i]
    inside = q0 + (x - v0) * (q1 - q0) / (v1 - v0)
    below = q[0] - (q[1] - q[0]) * torch.log1p((v[0] - x).clamp(min=0) / (v[1] - v[0]))
    above = q[-1] + (q[-1] - q[-2]) * torch.log1p((x - v[-1]).clamp(min=0) / (v[-1] - v[-2]))
    return torch.where(x < v[0], below, torch.where(x > v[-1], above, inside))


class GaussianizedCritic(torch.nn.Module):
    """A trained one-member critic that first maps raw inputs to normal scores (chapter 3).

    ``forward(x, z)``: raw ``(N, dx)``, ``(N, dz)`` -> ``(N,)`` scores through the training
    split's :class:`MarginalGaussianizer` of ``x`` and of ``z``; ``scores(x, z)``: all pairs
    ``(B, B)``. Returned by ``estimate_mi(..., preprocess="gaussianize")``.
    """

    def __init__(self, critic: torch.nn.Module, x_map: MarginalGaussianizer, z_map: MarginalGaussianizer):
        super().__init__()
        self.critic, self.x_map, self.z_map = critic, x_map, z_map

    def _prepare(self, x, z):
        device = next(self.critic.parameters()).device
        x = torch.as_tensor(x, dtype=torch.float32, device=device).reshape(len(x), -1)
        z = torch.as_tensor(z, dtype=torch.float32, device=device).reshape(len(z), -1)
        return self.x_map.torch_call(x), self.z_map.torch_call(z)

    def forward(self, x, z) -> torch.Tensor:
        return self.critic(*self._prepare(x, z))

    def scores(self, x, z) -> torch.Tensor:
        return self.critic.scores(*self._prepare(x, z))


def scaler(x: np.ndarray, z: np.ndarray, standardize: bool) -> tuple[np.ndarray, ...]:
    """``(x_mean, x_std, z_mean, z_std)`` of ``x (n, dx)``, ``z (n, dz)``; zeros and ones if not
    ``standardize`` (chapter 3). A constant coordinate keeps std 1 instead of dividing by 0."""
    if not standardize:
        return (np.zeros(x.shape[1]), np.ones(x.shape[1]), np.zeros(z.shape[1]), np.ones(z.shape[1]))

    def safe_std(a):
        s = a.std(axis=0)
        return np.where(s > 1e-12, s, 1.0)

    return x.mean(axis=0), safe_std(x), z.mean(axis=0), safe_std(z)


def normal_scores(a: np.ndarray) -> np.ndarray:
    """``a (n, d)`` mapped to normal scores by a :class:`MarginalGaussianizer` fitted on its own rows."""
    return MarginalGaussianizer.fit(a)(a)


def preprocess_all(x: np.ndarray, z: np.ndarray, preprocess: str) -> tuple[np.ndarray, np.ndarray]:
    """``x, z`` after ``preprocess`` (:data:`PREPROCESSING`) fitted on all rows (chapter 3).

    For estimates that use every row at once (KSG) and for the checks of
    :mod:`minebook.checks`; a trained critic fits its preprocessing on its training split only.
    """
    if preprocess == "gaussianize":
        return normal_scores(x), normal_scores(z)
    if preprocess == "standardize":
        scale = scaler(x, z, True)
        return (x - scale[0]) / scale[1], (z - scale[2]) / scale[3]
    return x, z
