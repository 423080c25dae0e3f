"""Statistics networks ("critics") T(x, z), stackable so that K critics train at once.

Every critic here holds ``n_critics = K`` independent networks with stacked weights of
shape ``(K, fan_in, fan_out)`` and evaluates them with batched matmuls (``torch.baddbmm``):
K small critics cost about as much as one wide one, which is how the book trains a whole
sweep (over rho, noise levels or seeds) in one loop.

Shapes: inputs ``x (K, N, dx)`` and ``z (K, N, dz)``; with ``K == 1`` plain ``(N, dx)`` and
``(N, dz)`` also work and the outputs lose their leading ``K`` dimension.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["Critic", "StackedMLP", "ConcatCritic", "SeparableCritic", "CategoricalCritic", "make_critic",
           "StandardizedCritic", "ModuleCritic"]

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


class Critic(nn.Module):
    """The base of the built-in critics (chapter 3): shape handling; 2-D inputs are a one-member ensemble."""

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


class ConcatCritic(Critic):
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


class SeparableCritic(Critic):
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


class CategoricalCritic(Critic):
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
                generator: torch.Generator | None = None, **kwargs) -> Critic:
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

    def __init__(self, critic: Critic, x_mean, x_std, z_mean, z_std):
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


def _reset_parameters(module: nn.Module, seed: int) -> None:
    """Re-initialise every submodule that has ``reset_parameters`` under a seeded RNG."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for m in module.modules():
            if hasattr(m, "reset_parameters") and callable(m.reset_parameters):
                m.reset_parameters()


class ModuleCritic(nn.Module):
    """K copies of a reader's own statistics network, trained at once (chapter 13).

    ``module``: any ``torch.nn.Module`` whose ``forward(x_batch, z_batch)`` takes
    ``x (B, *x_shape)`` and ``z (B, *z_shape)`` (for example images ``(B, 1, 28, 28)``) and
    returns one score per pair, ``(B,)`` or ``(B, 1)``. The K copies' parameters are stacked
    with a leading ``K`` axis (``torch.func.stack_module_state``) and evaluated with
    ``torch.func.vmap`` over that axis, so K critics cost one batched pass; a module that
    ``vmap`` cannot run (BatchNorm updating its running statistics, ``.item()`` in ``forward``)
    falls back to a loop over the copies, with the same results (``vectorized`` says which). With ``generators`` (one
    ``torch.Generator`` per copy) each copy is re-initialised by its submodules'
    ``reset_parameters`` from a seed drawn from its generator; without them every copy starts
    from the given weights.

    ``forward(x, z)``: ``x (K, N, *x_shape)`` or flattened ``(K, N, prod(x_shape))`` (and
    ``(N, ...)`` when ``K == 1``) -> scores ``(K, N)`` (or ``(N,)``). ``scores`` evaluates all
    ``B*B`` pairs (``B`` forward passes' worth, in chunks of :attr:`max_rows` rows).
    :meth:`member` returns copy ``k`` as a one-copy critic whose ``.module`` is the reader's
    network with the trained weights.
    """

    separable = False
    #: Rows per forward pass when scoring many pairs (read-outs, all-pairs scores).
    max_rows = 4096

    def __init__(self, module: nn.Module, x_shape: Sequence[int], z_shape: Sequence[int],
                 n_critics: int = 1, generators: Sequence[torch.Generator] | None = None):
        super().__init__()
        if not isinstance(module, nn.Module):
            raise ValueError(f"critic must be 'auto', 'concat', 'separable' or a torch.nn.Module; got {module!r}.")
        self.x_shape, self.z_shape = tuple(int(s) for s in x_shape), tuple(int(s) for s in z_shape)
        self.n_critics = int(n_critics)
        copies = []
        for j in range(self.n_critics):
            m = copy.deepcopy(module).cpu()
            if generators is not None:
                _reset_parameters(m, int(torch.randint(2**62, (1,), generator=generators[j])))
            copies.append(m)
        self._template = [copy.deepcopy(copies[0])]  # a list: not registered as a submodule
        params, buffers = torch.func.stack_module_state(copies)
        self._names = list(params)
        self.stacked = nn.ParameterList([nn.Parameter(params[n].detach().clone()) for n in self._names])
        self._buffer_names = list(buffers)
        for i, name in enumerate(self._buffer_names):
            self.register_buffer(f"buffer_{i}", buffers[name].clone())
        self._base = [copy.deepcopy(module).to("meta")]
        # vmap, as measured (benchmarks/README.md, "Custom critics"): on 2 CPU cores, in two runs,
        # it trained 16 small MLP copies 2.5-3x faster than a loop over them, 3 copies of chapter
        # 13's CNN 1.04-1.24x faster, 3 MLPs on 794 inputs from 4% slower to 12% faster. The loop
        # is the fallback for a module that vmap cannot run (_call).
        self.vectorized = True

    # ----------------------------------------------------------------- shapes
    def _shaped(self, a: torch.Tensor, shape: tuple, name: str) -> tuple[torch.Tensor, bool]:
        """``a`` as ``(K, N, *shape)`` from ``(K, N, *shape)`` or ``(K, N, prod(shape))`` (or, for
        K = 1, the same without the K axis), and whether it came with the K axis."""
        trailing = (shape, (math.prod(shape),))
        if a.dim() >= 2 and a.shape[0] == self.n_critics and tuple(a.shape[2:]) in trailing:
            return a.reshape(*a.shape[:2], *shape), True
        if self.n_critics == 1 and a.dim() >= 1 and tuple(a.shape[1:]) in trailing:
            return a.reshape(1, a.shape[0], *shape), False
        raise ValueError(f"{name} has shape {tuple(a.shape)}; this critic takes {name} batches of shape "
                         f"(K={self.n_critics}, N, *{shape}) or (K, N, {math.prod(shape)})"
                         + (", or the same without K" if self.n_critics == 1 else "") + ".")

    def _member_call(self, params: dict, buffers: dict, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return torch.func.functional_call(self._base[0], (params, buffers), (x, z))

    def _call(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Raw outputs of the K copies on ``x (K, N, *x_shape)``, ``z (K, N, *z_shape)``."""
        params = dict(zip(self._names, self.stacked, strict=True))
        buffers = {name: getattr(self, f"buffer_{i}") for i, name in enumerate(self._buffer_names)}
        if self.vectorized:
            try:
                return torch.func.vmap(self._member_call, randomness="different")(params, buffers, x, z)
            except Exception:  # noqa: BLE001 - any module vmap cannot run: loop over the copies
                self.vectorized = False
        return torch.stack([self._member_call({n: p[j] for n, p in params.items()},
                                              {n: b[j] for n, b in buffers.items()}, x[j], z[j])
                            for j in range(self.n_critics)])

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Scores of aligned pairs: ``(K, N)`` (or ``(N,)`` for inputs without the K axis)."""
        (x, with_k), (z, _) = self._shaped(x, self.x_shape, "x"), self._shaped(z, self.z_shape, "z")
        if x.shape[:2] != z.shape[:2]:
            raise ValueError(f"x and z need the same number of rows; got {x.shape[1]} and {z.shape[1]}.")
        try:
            out = self._call(x, z)
        except Exception as err:  # noqa: BLE001 - say which call failed and how to fix it
            raise ValueError(f"the critic module failed on a batch x {tuple(x.shape[1:])}, z "
                             f"{tuple(z.shape[1:])}: {type(err).__name__}: {err}. Its forward(x_batch, "
                             "z_batch) must accept these shapes and return one score per pair.") from err
        k, n = x.shape[:2]
        if out.dim() == 3 and out.shape[-1] == 1:
            out = out.squeeze(-1)
        if tuple(out.shape) != (k, n):
            raise ValueError(f"the critic module returned shape {tuple(out.shape[1:])} for a batch of {n} "
                             f"pairs; it must return one score per pair, shape ({n},) or ({n}, 1).")
        return out if with_k else out.squeeze(0)

    def scores(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """All-pairs scores ``S[k, i, j] = T_k(x_i, z_j)``: ``(K, B, B)``, in chunks of rows."""
        (x, with_k), (z, _) = self._shaped(x, self.x_shape, "x"), self._shaped(z, self.z_shape, "z")
        k, b = x.shape[:2]
        rows = max(1, self.max_rows // max(b * k, 1))
        out = []
        for i in range(0, b, rows):
            xi = x[:, i:i + rows]
            r = xi.shape[1]
            xx = xi.unsqueeze(2).expand(k, r, b, *self.x_shape).reshape(k, r * b, *self.x_shape)
            zz = z.unsqueeze(1).expand(k, r, b, *self.z_shape).reshape(k, r * b, *self.z_shape)
            out.append(self.forward(xx, zz).reshape(k, r, b))
        out = torch.cat(out, dim=1)
        return out if with_k else out.squeeze(0)

    def member(self, k: int) -> ModuleCritic:
        """Copy ``k`` as a stand-alone one-copy critic (its network: ``.module``)."""
        module = copy.deepcopy(self._template[0])
        with torch.no_grad():
            named = dict(module.named_parameters())
            for name, p in zip(self._names, self.stacked, strict=True):
                named[name].copy_(p[k].detach().cpu())
            named_buffers = dict(module.named_buffers())
            for i, name in enumerate(self._buffer_names):
                named_buffers[name].copy_(getattr(self, f"buffer_{i}")[k].cpu())
        out = ModuleCritic(module, self.x_shape, self.z_shape, 1)
        return out.to(self.stacked[0].device)

    @property
    def module(self) -> nn.Module:
        """The reader's network holding copy 0's weights (the only copy of a one-copy critic)."""
        return self.member(0)._template[0]
