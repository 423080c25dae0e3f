"""Deep InfoMax on MNIST digits (chapter 11): maximise MI between an image and its code.

An encoder maps an image to a 64-d representation ``y``. Deep InfoMax (Hjelm et al. 2019)
trains it by *maximising* a lower bound on mutual information:

* global DIM, ``DIM(G)``: between the image's feature map ``M`` and ``y``;
* local DIM, ``DIM(L)``: between every patch feature ``M_i`` and ``y`` (averaged over
  patches), so that ``y`` must carry what is shared across the image, not pixel noise;
* prior matching: an adversarial discriminator pushes the distribution of ``y`` towards a
  uniform prior on ``[0, 1]^64`` (``y`` then passes through a sigmoid).

The MI bound is one of the paper's three: Jensen-Shannon (``"jsd"``), InfoNCE
(``"infonce"``) or Donsker-Varadhan (``"mine_biased"``), the objectives of their
:mod:`minebook.estimators` records.

The encoder is a small convolutional network: valid convolutions (28x28 -> 13x13x16 ->
4x4x32 for :data:`MNIST_CONVS`) give the feature map ``M`` whose 16 positions are the local
features, then an MLP on the flattened ``M`` gives ``y``. Every variant and seed is one
member of a stacked ensemble (grouped convolutions, :class:`minebook.StackedMLP`), so a
whole table trains in one loop.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from ..critics import StackedMLP
from ..estimate import estimate_mi_many
from ..estimators import get_estimator
from ..threads import threads_for_modules, using_threads
from ..utils import adam, resolve_device

__all__ = [
    "DIM_ESTIMATORS", "Variant", "PAPER_VARIANTS", "MNIST_CONVS", "conv_output_shape",
    "StackedDIMEncoder", "r1_penalty", "fast_cross_entropy",
    "dim_scores_global", "dim_scores_local", "dim_objective", "train_dim", "DIMEnsemble",
    "encode", "train_probe", "probe_accuracy", "few_label_accuracy", "embed_2d", "mi_between_input_and_code",
    "PRIOR_STUDY",
]

DIM_ESTIMATORS = ("jsd", "infonce", "mine_biased")


@dataclass(frozen=True)
class Variant:
    """One DIM configuration (chapter 11).

    ``alpha``, ``beta``, ``gamma``: the weights of the global MI, local MI and prior
    terms (the paper's names); ``estimator``: ``"jsd"``, ``"infonce"`` or ``"mine_biased"`` (the paper's DV);
    ``supervised``: train with cross-entropy through a linear head instead (a baseline).
    Prior-matching knobs (chapter 11's investigation): ``gamma_warmup``, the fraction of
    training over which ``gamma`` ramps up linearly from 0; ``prior_penalty``, the weight of
    an R1 gradient penalty ``E_u |grad_u D(u)|^2`` on the discriminator's prior samples
    (Mescheder et al. 2018), which keeps ``D`` smooth so that its gradient to the encoder
    stays informative; ``disc_lr_scale``, this member's discriminator learning rate as a
    multiple of the ensemble's ``disc_lr`` (0.1: a ten times slower discriminator).
    """

    name: str
    alpha: float = 0.0
    beta: float = 0.0
    gamma: float = 0.0
    estimator: str = "jsd"
    supervised: bool = False
    gamma_warmup: float = 0.0
    prior_penalty: float = 0.0
    disc_lr_scale: float = 1.0


#: The table of chapter 11: global and local DIM with each estimator, plus prior matching
#: with the paper's weights (DIM(G): alpha=1, gamma=1; DIM(L): beta=1, gamma=0.1), with
#: JSD (the paper's default) and, for DIM(L), with InfoNCE too.
PAPER_VARIANTS = (
    Variant("DIM(G) JSD", alpha=1.0, estimator="jsd"),
    Variant("DIM(G) InfoNCE", alpha=1.0, estimator="infonce"),
    Variant("DIM(G) DV", alpha=1.0, estimator="mine_biased"),
    Variant("DIM(L) JSD", beta=1.0, estimator="jsd"),
    Variant("DIM(L) InfoNCE", beta=1.0, estimator="infonce"),
    Variant("DIM(L) DV", beta=1.0, estimator="mine_biased"),
    Variant("DIM(G) JSD + prior", alpha=1.0, gamma=1.0, estimator="jsd"),
    Variant("DIM(L) JSD + prior", beta=1.0, gamma=0.1, estimator="jsd"),
    Variant("DIM(L) InfoNCE + prior", beta=1.0, gamma=0.1, estimator="infonce"),
    Variant("supervised", supervised=True),
)


#: Chapter 11's investigation of prior matching, DIM(L) with JSD: the sigmoid-squashed code
#: with a negligible prior weight (what the squashing alone costs), a ten times smaller
#: weight, and the paper's gamma = 0.1 with an R1 penalty on the discriminator, with gamma
#: ramped up over the first half of training, or with a ten times slower discriminator.
PRIOR_STUDY = (
    Variant("DIM(L) JSD + prior, sigmoid only", beta=1.0, gamma=1e-6, estimator="jsd"),
    Variant("DIM(L) JSD + prior, gamma=0.01", beta=1.0, gamma=0.01, estimator="jsd"),
    Variant("DIM(L) JSD + prior, R1 penalty", beta=1.0, gamma=0.1, estimator="jsd", prior_penalty=10.0),
    Variant("DIM(L) JSD + prior, gamma warm-up", beta=1.0, gamma=0.1, estimator="jsd", gamma_warmup=0.5),
    Variant("DIM(L) JSD + prior, slow D", beta=1.0, gamma=0.1, estimator="jsd", disc_lr_scale=0.1),
)


#: The default convolutional layers ``(kernel, stride, channels)`` for 28x28 MNIST digits:
#: 28x28 -> 13x13x16 -> 4x4x32; the 16 positions of the last map are the local features.
MNIST_CONVS = ((4, 2, 16), (4, 3, 32))


def conv_output_shape(image_shape, convs) -> tuple[int, int]:
    """Spatial size ``(h, w)`` after the valid convolutions ``convs`` (chapter 11)."""
    h, w = image_shape
    for kernel, stride, _ in convs:
        h, w = (h - kernel) // stride + 1, (w - kernel) // stride + 1
        if h < 1 or w < 1:
            raise ValueError(f"convolutions {tuple(convs)} do not fit an image of shape {tuple(image_shape)}.")
    return h, w


class StackedDIMEncoder(nn.Module):
    """K convolutional encoders ``image -> (M, y)``: local features ``M (K, N, P, C)``, code ``y (K, N, dim_y)``.

    ``convs``: ``(kernel, stride, channels)`` per valid convolution, each followed by a
    ReLU; every member has its own filters, and all members run as one grouped convolution
    (``groups=K``, the images of member k in channel group k). ``M`` is the last feature
    map, its ``P = h * w`` positions the local features (``P = 16`` positions of 32
    channels for :data:`MNIST_CONVS`); an MLP (``hidden``) on the flattened map gives
    ``y``. Filters are initialised like ``nn.Conv2d`` (uniform in ``±1/sqrt(fan_in)``) from
    ``generator``. ``prior (K,)`` bool: members whose code passes through a sigmoid (values
    in ``[0, 1]``, for matching the uniform prior). Chapter 11.
    """

    def __init__(self, n_members: int, image_shape=(28, 28), convs: Sequence[tuple[int, int, int]] = MNIST_CONVS,
                 hidden: Sequence[int] = (128,), dim_y: int = 64, prior: Sequence[bool] | None = None,
                 generator: torch.Generator | None = None):
        super().__init__()
        self.image_shape, self.convs = tuple(image_shape), tuple(tuple(int(v) for v in c) for c in convs)
        h, w = conv_output_shape(self.image_shape, self.convs)
        self.n_members, self.n_patches, self.channels, self.dim_y = n_members, h * w, self.convs[-1][2], dim_y
        self.conv_weights, self.conv_biases = nn.ParameterList(), nn.ParameterList()
        c_in = 1
        for kernel, _, c_out in self.convs:
            bound = 1.0 / math.sqrt(c_in * kernel * kernel)
            w = (torch.rand(n_members, c_out, c_in, kernel, kernel, generator=generator) * 2 - 1) * bound
            b = (torch.rand(n_members, c_out, generator=generator) * 2 - 1) * bound
            self.conv_weights.append(nn.Parameter(w))
            self.conv_biases.append(nn.Parameter(b))
            c_in = c_out
        self.glob = StackedMLP(self.n_patches * self.channels, hidden, dim_y, n_members, "relu", generator)
        prior = [False] * n_members if prior is None else list(prior)
        self.register_buffer("prior", torch.as_tensor(prior, dtype=torch.bool).view(n_members, 1, 1))

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """``x (K, N, H*W)`` -> the last feature map ``M (K, N, P, C)`` (after its ReLU)."""
        k, n, _ = x.shape
        # (N, K, H, W) in channels-last memory: 30% faster grouped convolutions on a CPU
        h = x.reshape(k, n, *self.image_shape).transpose(0, 1).contiguous(memory_format=torch.channels_last)
        for w, b, (_, stride, _) in zip(self.conv_weights, self.conv_biases, self.convs, strict=True):
            h = F.relu(F.conv2d(h, w.flatten(0, 1), b.flatten(), stride=stride, groups=k))
        return h.reshape(n, k, self.channels, self.n_patches).permute(1, 0, 3, 2)

    def forward(self, x: torch.Tensor):
        """``x (K, N, H*W)`` -> ``M (K, N, P, C)``, ``y (K, N, dim_y)``."""
        m = self.feature_map(x)
        y = self.glob(m.reshape(*m.shape[:2], -1))
        return m, torch.where(self.prior, torch.sigmoid(y), y)


def dim_scores_global(f_m: torch.Tensor, g_y: torch.Tensor) -> torch.Tensor:
    """All-pairs global scores ``S[k, i, j] = f(M_i) . g(y_j)``: ``(K, B, E) x2 -> (K, B, B)``."""
    return torch.bmm(f_m, g_y.transpose(1, 2))


def dim_scores_local(f_patches: torch.Tensor, g_y: torch.Tensor) -> torch.Tensor:
    """All-pairs local scores ``S[k, p, i, j] = f(M_i^p) . g(y_j)``.

    ``f_patches (K, B, P, E)``, ``g_y (K, B, E)`` -> ``(K, P, B, B)``: for every patch
    position ``p``, the scores of image ``i``'s patch against image ``j``'s code.
    """
    return torch.einsum("kipe,kje->kpij", f_patches, g_y)


def dim_objective(scores: torch.Tensor) -> dict[str, torch.Tensor]:
    """The three DIM objectives from all-pairs scores ``(K, ..., B, B)`` (chapter 11).

    Diagonal entries are joint pairs (a patch or feature map with its own image's code),
    off-diagonal ones are samples of the product of marginals. Returns a dict
    ``{"jsd", "infonce", "mine_biased"}`` (:data:`DIM_ESTIMATORS`) of ``(K,)`` tensors to
    *maximise*: each estimator record's training target (averaged over any middle dimensions,
    e.g. patches). ``"jsd"`` is :func:`minebook.jsd_objective` (not in nats); ``"infonce"`` and
    ``"mine_biased"`` (the DV bound) are MI lower bounds in nats.
    """
    b = scores.shape[-1]
    mask = torch.eye(b, dtype=torch.bool, device=scores.device)
    joint = torch.diagonal(scores, dim1=-2, dim2=-1)                      # (K, ..., B)
    marg = scores[..., ~mask].reshape(*scores.shape[:-2], b * (b - 1))    # (K, ..., B(B-1))
    out = {e: get_estimator(e).objective(joint, marg, scores, None, 5.0, False)[1] for e in DIM_ESTIMATORS}
    return {key: v.reshape(v.shape[0], -1).mean(dim=1) for key, v in out.items()}


def _frozen_forward(mlp: StackedMLP, h: torch.Tensor) -> torch.Tensor:
    """``mlp(h)`` with its weights detached: gradients reach ``h`` only (the encoder's turn)."""
    last = len(mlp.weights) - 1
    for i, (w, b) in enumerate(zip(mlp.weights, mlp.biases, strict=True)):
        h = torch.baddbmm(b.detach(), h, w.detach())
        if i < last:
            h = F.relu(h)
    return h


@dataclass
class DIMEnsemble:
    """What :func:`train_dim` returns: members ``variants`` (length K), the trained
    ``encoder`` (:class:`StackedDIMEncoder`), the ``random`` encoder (the same members at
    initialisation, never trained) and ``history`` (``"objective"``: the selected MI
    objective per step, ``(steps, K)``; ``"prior_d"``: the discriminator's accuracy)."""

    variants: list[Variant]
    encoder: StackedDIMEncoder
    random: StackedDIMEncoder
    history: dict[str, np.ndarray] = field(repr=False)


def _critic_pair(dim_in: int, dim_y: int, hidden: int, embed: int, k: int, gen) -> nn.ModuleList:
    """A separable critic ``f(.) . g(y)``: two stacked MLPs with embeddings of size ``embed``."""
    return nn.ModuleList([StackedMLP(dim_in, (hidden,), embed, k, "relu", gen),
                          StackedMLP(dim_y, (hidden,), embed, k, "relu", gen)])


def train_dim(x_train, y_train, variants: Sequence[Variant], *, seed: int = 0, image_shape=(28, 28),
              steps: int = 800, batch_size: int = 128, lr: float = 1e-3,
              convs: Sequence[tuple[int, int, int]] = MNIST_CONVS, hidden: Sequence[int] = (128,),
              dim_y: int = 64, critic_hidden: int = 128, embed: int = 64, disc_hidden: int = 128,
              disc_lr: float | None = None, device="auto", progress: bool = False,
              threads: int | None = None) -> DIMEnsemble:
    """Train one encoder per entry of ``variants`` (repeat entries for seeds), all at once.

    ``x_train (n, H*W)`` standardized pixels; ``y_train (n,)`` labels (used by supervised
    members only). Each member maximises ``alpha * I_G + beta * I_L`` with its estimator
    (global critic on the flattened feature map, local critic on each patch feature, both
    separable ``f . g`` with all ``B^2`` pairs of a batch) and, with ``gamma > 0``, matches
    the prior adversarially: a discriminator ``D`` learns to tell ``u ~ U[0,1]^dim_y`` from
    codes ``y`` (logistic loss), and the encoder adds ``gamma * E[-log D(y)]`` (the
    non-saturating GAN loss, with ``D`` frozen for that term), ramping ``gamma`` up over the
    first ``gamma_warmup`` of the steps and adding the R1 penalty ``prior_penalty`` to
    ``D``'s loss where the variant asks for them. Encoder and critics share one Adam
    (``lr``); the discriminators have their own (``disc_lr``, default ``lr``). Images are
    ``image_shape`` (28x28 MNIST by default), the encoder's convolutions ``convs`` (see
    :class:`StackedDIMEncoder`). Supervised members train a linear head with cross-entropy
    instead. ``threads``: torch intra-op threads (``None``: by the size of the job,
    :mod:`minebook.threads`). Chapter 11.
    """
    dev = resolve_device(device)
    gen = torch.Generator().manual_seed(int(seed))
    variants = list(variants)
    bad = [v.estimator for v in variants if v.estimator not in DIM_ESTIMATORS]
    if bad:
        raise ValueError(f"unknown DIM estimator(s) {bad}; choose from {DIM_ESTIMATORS}.")
    x = torch.as_tensor(np.asarray(x_train), dtype=torch.float32, device=dev)
    labels = torch.as_tensor(np.asarray(y_train), dtype=torch.long, device=dev)
    k, n = len(variants), len(x)
    n_classes = int(labels.max()) + 1
    enc = StackedDIMEncoder(k, image_shape, convs, hidden=hidden, dim_y=dim_y,
                            prior=[v.gamma > 0 for v in variants], generator=gen).to(dev)
    random_enc = StackedDIMEncoder(k, image_shape, convs, hidden=hidden, dim_y=dim_y,
                                   prior=[v.gamma > 0 for v in variants]).to(dev)
    channels = enc.channels
    random_enc.load_state_dict(enc.state_dict())
    rows = {key: torch.as_tensor([i for i, v in enumerate(variants) if cond(v)], dtype=torch.long, device=dev)
            for key, cond in (("g", lambda v: v.alpha > 0), ("l", lambda v: v.beta > 0),
                              ("p", lambda v: v.gamma > 0), ("s", lambda v: v.supervised))}
    critics = nn.ModuleDict({
        "g": _critic_pair(enc.n_patches * channels, dim_y, critic_hidden, embed, max(len(rows["g"]), 1), gen),
        "l": _critic_pair(channels, dim_y, critic_hidden, embed, max(len(rows["l"]), 1), gen),
        "p": StackedMLP(dim_y, (disc_hidden,), 1, max(len(rows["p"]), 1), "relu", gen),
        "s": StackedMLP(dim_y, (), n_classes, max(len(rows["s"]), 1), "relu", gen),
    }).to(dev)
    weights = {name: torch.as_tensor([getattr(variants[i], attr) for i in rows[key].tolist()], device=dev)
               for name, key, attr in (("g", "g", "alpha"), ("l", "l", "beta"), ("p", "p", "gamma"),
                                       ("warmup", "p", "gamma_warmup"), ("r1", "p", "prior_penalty"),
                                       ("disc_scale", "p", "disc_lr_scale"))}
    est_onehot = torch.as_tensor([[v.estimator == e for e in DIM_ESTIMATORS] for v in variants],
                                 dtype=torch.float32, device=dev)
    opt = adam([*enc.parameters(), *critics["g"].parameters(), *critics["l"].parameters(),
                *critics["s"].parameters()], lr)
    disc_opt = adam(critics["p"].parameters(), lr if disc_lr is None else disc_lr)
    hist = {"objective": np.zeros((steps, k)), "prior_d": np.full((steps, k), np.nan)}
    pick = {key: _rows(r) for key, r in rows.items()}  # slices (views, no copy) where rows are contiguous
    n_threads = threads_for_modules([enc, critics], rows=batch_size * enc.n_patches, threads=threads)
    with using_threads(n_threads):
        for step in tqdm(range(steps), disable=not progress, desc=f"DIM x{k}", mininterval=1.0):
            idx = torch.randint(n, (k, batch_size), generator=gen).to(dev)
            m, y = enc(x[idx])
            loss = torch.zeros((), device=dev)
            objective = torch.zeros(k, device=dev)
            if len(rows["g"]):
                r = rows["g"]
                f, g = critics["g"]
                obj = _select(dim_objective(dim_scores_global(f(m[pick["g"]].flatten(2)), g(y[pick["g"]]))),
                              est_onehot[r])
                loss = loss - (weights["g"] * obj).sum()
                objective = objective.index_add(0, r, obj.detach())
            if len(rows["l"]):
                r = rows["l"]
                f, g = critics["l"]
                fm = f(m[pick["l"]].flatten(1, 2)).reshape(len(r), batch_size, enc.n_patches, -1)
                obj = _select(dim_objective(dim_scores_local(fm, g(y[pick["l"]]))), est_onehot[r])
                loss = loss - (weights["l"] * obj).sum()
                objective = objective.index_add(0, r, obj.detach())
            if len(rows["p"]):
                r = rows["p"]
                disc = critics["p"]
                y_p = y[pick["p"]]
                u = torch.rand(y_p.shape, generator=gen).to(dev).requires_grad_(bool(weights["r1"].any()))
                d_real, d_fake = disc(u).squeeze(-1), disc(y_p.detach()).squeeze(-1)
                loss = loss + (F.softplus(-d_real).mean(1) + F.softplus(d_fake).mean(1)).sum()
                if u.requires_grad:
                    loss = loss + (weights["r1"] * r1_penalty(d_real, u)).sum()
                d_enc = _frozen_forward(disc, y_p).squeeze(-1)  # the encoder's (non-saturating) side
                ramp = torch.where(weights["warmup"] > 0, (step / (weights["warmup"] * steps).clamp_min(1e-9)),
                                   torch.ones_like(weights["warmup"])).clamp(max=1.0)
                loss = loss + (weights["p"] * ramp * F.softplus(-d_enc).mean(1)).sum()
                acc = 0.5 * ((d_real > 0).float().mean(1) + (d_fake < 0).float().mean(1))
                hist["prior_d"][step, r.cpu().numpy()] = acc.detach().cpu().numpy()
            if len(rows["s"]):
                r = rows["s"]
                logits = critics["s"](y[pick["s"]])
                ce = F.cross_entropy(logits.reshape(-1, n_classes), labels[idx[r]].reshape(-1))
                loss = loss + ce * len(r)
            opt.zero_grad(set_to_none=True)
            disc_opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            _scaled_step(disc_opt, critics["p"], weights["disc_scale"])
            hist["objective"][step] = objective.cpu().numpy()
    return DIMEnsemble(variants, enc.eval(), random_enc.eval(), hist)


def _rows(r: torch.Tensor):
    """Index for the members ``r``: a slice (a view, no copy) when they are contiguous, else ``r``."""
    if len(r) and bool((r.diff() == 1).all()):
        return slice(int(r[0]), int(r[-1]) + 1)
    return r


def _scaled_step(optimizer, stacked: StackedMLP, scale: torch.Tensor) -> None:
    """``optimizer.step()`` with member k's update multiplied by ``scale[k]``.

    Adam's update is proportional to its learning rate, so this is a per-member learning rate
    for a stacked module (chapter 11: the slower prior discriminator).
    """
    if not len(scale) or bool((scale == 1).all()):
        optimizer.step()
        return
    params = [*stacked.weights, *stacked.biases]
    before = [p.detach().clone() for p in params]
    optimizer.step()
    with torch.no_grad():
        for p, old in zip(params, before, strict=True):
            p.copy_(old + (p - old) * scale.view(-1, *([1] * (p.dim() - 1))))


def r1_penalty(d_real: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """R1 penalty ``E_u |grad_u D(u)|^2`` per member: ``d_real (K, B)`` = ``D(u)``, ``u (K, B, d)`` -> ``(K,)``.

    ``u`` must require grad; the graph is kept so that the penalty trains ``D``. Chapter 11.
    """
    (grad,) = torch.autograd.grad(d_real.sum(), u, create_graph=True)
    return grad.pow(2).sum(-1).mean(-1)


def _select(objectives: dict[str, torch.Tensor], onehot: torch.Tensor) -> torch.Tensor:
    """Each member's own estimator: ``(K,)`` from the dict of ``(K,)`` objectives."""
    return (torch.stack([objectives[e] for e in DIM_ESTIMATORS], dim=1) * onehot).sum(dim=1)


@torch.no_grad()
def encode(encoder: StackedDIMEncoder, x, batch: int = 1000) -> torch.Tensor:
    """Frozen representations ``y`` of every member: ``x (n, H*W)`` -> ``(K, n, dim_y)``."""
    dev = encoder.glob.weights[0].device
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32, device=dev)
    k = encoder.prior.shape[0]
    return torch.cat([encoder(x[i:i + batch].expand(k, -1, -1))[1] for i in range(0, len(x), batch)], dim=1)


def fast_cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy (nats) of ``logits (M, C)`` against ``target (M,)``, via ``logsumexp``.

    The same value as ``F.cross_entropy``; on a CPU with few classes and many rows it is
    about 2.7x faster (44 ms against 16 ms for 144,000 rows of 10 classes, forward and
    backward), because log-softmax over a short last dimension takes a slow path. Chapter 11.
    """
    return (torch.logsumexp(logits, dim=-1) - logits.gather(1, target.unsqueeze(1)).squeeze(1)).mean()


def train_probe(features: torch.Tensor, labels, hidden: Sequence[int] = (), steps: int = 300, lr: float = 1e-2,
                weight_decay: float = 1e-4, seed: int = 0) -> tuple[StackedMLP, torch.Tensor, torch.Tensor]:
    """Train K classifiers on frozen features ``(K, n, d)`` at once (chapter 11).

    ``labels``: ``(n,)`` shared by all members, or ``(K, n)``. ``hidden=()`` is a linear
    (multinomial logistic) probe; ``hidden=(200,)`` the paper's small MLP probe. Features
    are standardized per member first; full-batch Adam with ``weight_decay``. Returns the
    probe and the standardization ``(mean, std)`` to reuse on test features.
    """
    gen = torch.Generator().manual_seed(int(seed))
    features = features.detach()
    mean, std = features.mean(1, keepdim=True), features.std(1, keepdim=True).clamp_min(1e-6)
    h = (features - mean) / std
    y = torch.as_tensor(np.asarray(labels), dtype=torch.long, device=h.device)
    n_classes = int(y.max()) + 1
    k = h.shape[0]
    probe = StackedMLP(h.shape[-1], hidden, n_classes, k, "relu", gen).to(h.device)
    opt = adam(probe.parameters(), lr, weight_decay=weight_decay)
    target = (y.expand(k, -1) if y.dim() == 1 else y).reshape(-1)
    for _ in range(steps):
        loss = fast_cross_entropy(probe(h).reshape(-1, n_classes), target) * k
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return probe, mean, std


@torch.no_grad()
def probe_accuracy(probe, mean, std, features: torch.Tensor, labels) -> np.ndarray:
    """Accuracy (%) of each member's probe on features ``(K, n, d)``: ``(K,)``. Chapter 11."""
    pred = probe((features - mean) / std).argmax(-1).cpu()
    return 100.0 * (pred == torch.as_tensor(np.asarray(labels)).view(1, -1)).double().mean(1).numpy()


def few_label_accuracy(train_features: torch.Tensor, y_train, test_features: torch.Tensor, y_test,
                       per_class: int = 10, n_draws: int = 5, seed: int = 0, **probe_kwargs) -> np.ndarray:
    """Linear-probe accuracy (%) from only ``per_class`` labelled images per class (chapter 11).

    ``train_features (K, n, d)``, ``test_features (K, m, d)``. ``n_draws`` random labelled
    subsets (the same for every member, stratified) are probed at once as a stacked
    ensemble of ``K * n_draws`` linear probes; returns the mean accuracy over draws, ``(K,)``.
    Few labels is where a representation has to do the work: with every label, a linear
    probe recovers much from almost any injective code, random ones included.
    """
    rng = np.random.default_rng(seed)
    y_train = np.asarray(y_train)
    classes = np.unique(y_train)
    subsets = [np.concatenate([rng.choice(np.flatnonzero(y_train == c), per_class, replace=False) for c in classes])
               for _ in range(n_draws)]
    k = train_features.shape[0]
    feats = torch.cat([train_features[:, idx] for idx in subsets], dim=0)            # (draws*K, n_l, d)
    labels = np.concatenate([y_train[idx] for idx in subsets])
    probe = _train_probe_labels(feats, labels.reshape(n_draws, -1), k, seed, **probe_kwargs)
    acc = probe_accuracy(*probe, test_features.repeat(n_draws, 1, 1), y_test)
    return acc.reshape(n_draws, k).mean(axis=0)


def _train_probe_labels(feats, labels, k, seed, **kwargs):
    """``train_probe`` where each block of ``k`` members has its own label vector."""
    per_member = np.repeat(labels, k, axis=0)                                         # (draws*K, n_l)
    return train_probe(feats, per_member, seed=seed, **kwargs)


def embed_2d(codes, seed: int = 0, max_iter: int = 500) -> np.ndarray:
    """A 2-D t-SNE embedding of codes ``(n, d)`` (standardized first) for plotting (chapter 11).

    Runs scikit-learn's t-SNE on one thread: its OpenMP threads spin badly on a busy
    machine (30 s instead of 1 s for 450 points), and the figure does not need them.
    """
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    c = np.asarray(codes.cpu() if isinstance(codes, torch.Tensor) else codes, dtype=np.float64)
    c = (c - c.mean(0)) / (c.std(0) + 1e-6)
    with threadpool_limits(limits=1):
        tsne = TSNE(n_components=2, perplexity=min(30, len(c) // 4), init="pca", random_state=seed,
                    max_iter=max_iter)
        return tsne.fit_transform(c)


def mi_between_input_and_code(x, codes: torch.Tensor, return_ess: bool = False, **kwargs):
    """MINE estimate of ``I(X; Y)`` (nats) for each member's code, ``codes (K, n, d)`` (chapter 11).

    Trains K statistics networks at once with :func:`minebook.estimate_mi_many` (estimator
    ``"mine"`` by default; ``kwargs`` go there) and reads each estimate out on held-out
    pairs. With X uniform over n images, ``I(X; Y) <= log n`` for any encoder: the estimate
    says how much of an image's identity a critic can recover from its code. Returns the
    ``(K,)`` estimates, or ``(estimates, ess)`` with ``return_ess=True``: the effective
    number of held-out marginal pairs behind each read-out (:attr:`MIEstimate.ess`).
    """

    x = np.asarray(x, dtype=np.float32)
    pairs = [(x, c.cpu().numpy()) for c in codes]
    results = estimate_mi_many(pairs, **kwargs)
    mi = np.array([r.mi for r in results])
    return (mi, np.array([r.ess for r in results])) if return_ess else mi
