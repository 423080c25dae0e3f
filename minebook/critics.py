"""Statistics networks ("critics") T(x, z), stackable so that K critics train at once.

Every critic here holds ``n_critics = K`` independent networks with stacked weights of
shape ``(K, fan_in, fan_out)`` and evaluates them with batched matmuls (``torch.baddbmm``):
K small critics cost about as much as one wide one, which is how the book trains a whole
sweep (over rho, noise levels or seeds) in one loop.

Shapes: inputs ``x (K, N, dx)`` and ``z (K, N, dz)``; with ``K == 1`` plain ``(N, dx)`` and
``(N, dz)`` also work and the outputs lose their leading ``K`` dimension.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["StackedMLP", "ConcatCritic", "SeparableCritic", "CategoricalCritic", "make_critic",
           "StandardizedCritic"]

ACTIVATIONS = {"relu": nn.functional.relu, "elu": nn.functional.elu, "tanh": torch.tanh,
                "softplus": nn.functional.softplus, "leaky_relu": nn.functional.leaky_relu}


class StackedMLP(nn.Module):
    """K independent MLPs ``dim_in -> hidden... -> dim_out`` with stacked weights (chapter 3).

    ``forward(h)``: ``(K, N, dim_in) -> (K, N, dim_out)``. Initialised like ``nn.Linear``
    (uniform in ``±1/sqrt(fan_in)``) from ``generator``, so a seed fixes every member.
    """

    def __init__(self, dim_in: int, hidden: Sequence[int], dim_out: int, n_critics: int = 1,
                 activation: str = "relu", generator: torch.Generator | None = None):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}.")
        if any(int(h) <= 0 for h in hidden):
            raise ValueError(f"hidden widths must be positive integers; got {tuple(hidden)}.")
        widths = [int(dim_in), *map(int, hidden), int(dim_out)]
        self.n_critics = int(n_critics)
        self.activation = activation
        self.widths = widths
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
            bound = 1.0 / math.sqrt(fan_in)
            w = (torch.rand(self.n_critics, fan_in, fan_out, generator=generator) * 2 - 1) * bound
            b = (torch.rand(self.n_critics, 1, fan_out, generator=generator) * 2 - 1) * bound
            self.weights.append(nn.Parameter(w))
            self.biases.append(nn.Parameter(b))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        act = ACTIVATIONS[self.activation]
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            if i == last:
                return torch.baddbmm(b, h, w)
            # Hidden layers: bmm, then the bias and ReLU in place. bmm's backward needs its
            # inputs, not its output, so this is safe, and it saves a (K, N, width) copy of the
            # bias and an allocation per layer (the training hot loop, see benchmarks/).
            h = torch.bmm(h, w).add_(b)
            h = torch.relu_(h) if self.activation == "relu" else act(h)
        return h

    def copy_member(self, k: int) -> StackedMLP:
        """A one-member StackedMLP holding a copy of member ``k``'s weights."""
        out = StackedMLP(self.widths[0], self.widths[1:-1], self.widths[-1], 1, self.activation)
        with torch.no_grad():
            for dst, src in zip(out.parameters(), self.parameters(), strict=True):
                dst.copy_(src[k : k + 1])
        return out.to(self.weights[0].device)


class _Critic(nn.Module):
    """Shape handling shared by the critics: 2-D inputs are a one-member ensemble."""

    separable = False

    def _lift(self, x: torch.Tensor, z: torch.Tensor):
        if x.dim() != z.dim() or x.dim() not in (2, 3):
            raise ValueError(
                f"critic inputs must both be (N, d) or both (K, N, d); got x {tuple(x.shape)}, z {tuple(z.shape)}."
            )
        if x.shape[-2] != z.shape[-2]:
            raise ValueError(f"x and z need the same number of rows; got {x.shape[-2]} and {z.shape[-2]}.")
        squeeze = x.dim() == 2
        if squeeze:
            if self.n_critics != 1:
                raise ValueError(f"this critic stacks {self.n_critics} members: pass (K, N, d) inputs.")
            x, z = x.unsqueeze(0), z.unsqueeze(0)
        return x, z, squeeze

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Scores of aligned pairs ``T(x_i, z_i)``: ``(K, N)`` (or ``(N,)`` for 2-D inputs)."""
        x, z, squeeze = self._lift(x, z)
        out = self._pair(x, z)
        return out.squeeze(0) if squeeze else out

    def scores(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """All-pairs scores ``S[k, i, j] = T_k(x_i, z_j)``: ``(K, B, B)`` (or ``(B, B)``)."""
        x, z, squeeze = self._lift(x, z)
        out = self._all_pairs(x, z)
        return out.squeeze(0) if squeeze else out


class ConcatCritic(_Critic):
    """``T(x, z) = MLP([x, z])``: the statistics network of the MINE paper (chapter 3).

    ``scores`` evaluates the MLP on all ``B*B`` pairs, so it costs ``B`` times a forward.
    """

    def __init__(self, dim_x: int, dim_z: int, hidden: Sequence[int] = (128, 128),
                 n_critics: int = 1, activation: str = "relu", generator: torch.Generator | None = None):
        super().__init__()
        self.dim_x, self.dim_z, self.n_critics = int(dim_x), int(dim_z), int(n_critics)
        self.hidden = tuple(hidden)
        self.net = StackedMLP(self.dim_x + self.dim_z, hidden, 1, n_critics, activation, generator)

    def _pair(self, x, z):
        return self.net(torch.cat([x, z], dim=-1)).squeeze(-1)

    def _all_pairs(self, x, z):
        k, b, _ = x.shape
        xx = x.unsqueeze(2).expand(k, b, b, x.shape[-1])
        zz = z.unsqueeze(1).expand(k, b, b, z.shape[-1])
        pairs = torch.cat([xx, zz], dim=-1).reshape(k, b * b, -1)
        return self.net(pairs).reshape(k, b, b)

    def member(self, k: int) -> ConcatCritic:
        """A stand-alone one-member copy of critic ``k``."""
        out = ConcatCritic(self.dim_x, self.dim_z, self.hidden, 1, self.net.activation)
        out.net = self.net.copy_member(k)
        return out


class SeparableCritic(_Critic):
    """``T(x, z) = f(x)^T g(z)`` with two MLP embeddings (chapters 3 and 12).

    ``scores`` is one batched matmul ``f(x) g(z)^T``: all ``B*B`` pairs for the price of
    ``2B`` forwards, so off-diagonal pairs give ``B(B-1)`` marginal samples per batch.
    """

    separable = True

    def __init__(self, dim_x: int, dim_z: int, hidden: Sequence[int] = (128, 128),
                 embed_dim: int = 32, n_critics: int = 1, activation: str = "relu",
                 generator: torch.Generator | None = None):
        super().__init__()
        self.dim_x, self.dim_z, self.n_critics = int(dim_x), int(dim_z), int(n_critics)
        self.hidden, self.embed_dim = tuple(hidden), int(embed_dim)
        self.f = StackedMLP(self.dim_x, hidden, embed_dim, n_critics, activation, generator)
        self.g = StackedMLP(self.dim_z, hidden, embed_dim, n_critics, activation, generator)

    def _pair(self, x, z):
        return (self.f(x) * self.g(z)).sum(dim=-1)

    def _all_pairs(self, x, z):
        return torch.bmm(self.f(x), self.g(z).transpose(1, 2))

    def member(self, k: int) -> SeparableCritic:
        """A stand-alone one-member copy of critic ``k``."""
        out = SeparableCritic(self.dim_x, self.dim_z, self.hidden, self.embed_dim, 1, self.f.activation)
        out.f, out.g = self.f.copy_member(k), self.g.copy_member(k)
        return out


class CategoricalCritic(_Critic):
    """``T(x, z) = log q(z | x) - log p(z)`` for a class label ``z`` (the classifier bound).

    ``q(z | x)`` is a softmax classifier (an MLP ``dim_x -> hidden -> n_classes``) and ``p(z)``
    the class frequencies of the training rows (:meth:`fit_prior`). ``z`` arrives one column per
    class (one-hot, or any per-column increasing map of it, such as normal scores): the class is
    its largest column. Then ``E_P[T] = H(Z) - cross-entropy <= I(X; Z)`` (Barber and Agakov
    2003), a lower bound that needs no marginal samples. Introduced with ``estimate_mi``'s route
    for class labels (chapter 3).
    """

    def __init__(self, dim_x: int, n_classes: int, hidden: Sequence[int] = (128, 128),
                 n_critics: int = 1, activation: str = "relu", generator: torch.Generator | None = None):
        super().__init__()
        self.dim_x, self.dim_z, self.n_critics = int(dim_x), int(n_classes), int(n_critics)
        self.hidden = tuple(hidden)
        self.net = StackedMLP(self.dim_x, hidden, self.dim_z, n_critics, activation, generator)
        self.register_buffer("log_prior", torch.full((self.n_critics, self.dim_z), -math.log(self.dim_z)))

    @torch.no_grad()
    def fit_prior(self, z_train: torch.Tensor) -> None:
        """``log p(z)`` of each member from its training labels ``z_train (K, n, n_classes)``."""
        counts = torch.nn.functional.one_hot(z_train.argmax(-1), self.dim_z).sum(1).double()
        self.log_prior.copy_(torch.log(counts / counts.sum(-1, keepdim=True)).float())

    def _pair(self, x, z):
        logp = torch.log_softmax(self.net(x), dim=-1) - self.log_prior.unsqueeze(1)
        return torch.gather(logp, -1, z.argmax(-1, keepdim=True)).squeeze(-1)

    def _all_pairs(self, x, z):
        logp = torch.log_softmax(self.net(x), dim=-1) - self.log_prior.unsqueeze(1)  # (K, B, C)
        idx = z.argmax(-1).unsqueeze(1).expand(-1, logp.shape[1], -1)               # (K, B, B)
        return torch.gather(logp, -1, idx)

    def member(self, k: int) -> CategoricalCritic:
        """A stand-alone one-member copy of critic ``k``."""
        out = CategoricalCritic(self.dim_x, self.dim_z, self.hidden, 1, self.net.activation)
        out.net = self.net.copy_member(k)
        out.log_prior = self.log_prior[k : k + 1].clone()
        return out


def make_critic(kind: str, dim_x: int, dim_z: int, hidden: Sequence[int] = (128, 128),
                n_critics: int = 1, activation: str = "relu",
                generator: torch.Generator | None = None, **kwargs) -> _Critic:
    """Build a critic by name: ``"concat"``, ``"separable"`` or ``"categorical"`` (chapter 3)."""
    if kind == "concat":
        return ConcatCritic(dim_x, dim_z, hidden, n_critics, activation, generator)
    if kind == "separable":
        return SeparableCritic(dim_x, dim_z, hidden, kwargs.get("embed_dim", 32), n_critics,
                               activation, generator)
    if kind == "categorical":
        return CategoricalCritic(dim_x, dim_z, hidden, n_critics, activation, generator)
    raise ValueError(f"unknown critic {kind!r}; choose 'concat' or 'separable'.")


class StandardizedCritic(nn.Module):
    """A trained one-member critic that standardizes raw inputs first (chapter 3).

    ``forward(x, z)``: raw ``(N, dx)``, ``(N, dz)`` -> ``(N,)`` scores, using the training
    split's means and standard deviations stored as buffers. Returned by ``estimate_mi``.
    """

    def __init__(self, critic: _Critic, x_mean, x_std, z_mean, z_std):
        super().__init__()
        self.critic = critic
        for name, value in (("x_mean", x_mean), ("x_std", x_std), ("z_mean", z_mean), ("z_std", z_std)):
            self.register_buffer(name, torch.as_tensor(value, dtype=torch.float32))

    def _prepare(self, x, z):
        x = torch.as_tensor(x, dtype=torch.float32, device=self.x_mean.device)
        z = torch.as_tensor(z, dtype=torch.float32, device=self.x_mean.device)
        x = x.reshape(len(x), -1)
        z = z.reshape(len(z), -1)
        return (x - self.x_mean) / self.x_std, (z - self.z_mean) / self.z_std

    def forward(self, x, z) -> torch.Tensor:
        return self.critic(*self._prepare(x, z))

    def scores(self, x, z) -> torch.Tensor:
        """All-pairs scores ``(B, B)`` on raw inputs."""
        return self.critic.scores(*self._prepare(x, z))
