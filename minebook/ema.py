"""The moving-average (EMA) correction of the MINE gradient (chapters 4 and 5).

The minibatch gradient of the DV bound is

    G_B = E_B[grad T] - E_B[grad T e^T] / E_B[e^T],

a ratio of two minibatch means, hence biased. MINE replaces the denominator by a
moving average ``v <- (1 - a) v + a * mean_B(e^T)`` over the marginal batches, with
``a = ema_rate``. :class:`LogEMA` keeps ``log v`` (so ``v`` cannot overflow) and
:func:`ema_dv_surrogate` builds a loss whose gradient is exactly
``E_B[grad T] - E_B[grad T e^T] / v``.
"""

from __future__ import annotations

import math

import torch

from .bounds import dv_bound, logmeanexp

__all__ = ["LogEMA", "ema_dv_surrogate"]


class LogEMA:
    """Bias-corrected exponential moving average of ``mean(e^T)``, kept in log space.

    Introduced in chapter 4. State: ``log_v`` of shape ``(K,)`` for ``K`` critics.

    Debiasing: the average starts at ``v_0 = 0`` and, as in Adam, the estimate at step
    ``t`` is divided by ``1 - (1 - a)^t``. An average started at 0 (or 1) without this
    correction is wrong by a factor for the first ~``1/a`` steps; with it, step 1 returns
    the first batch mean exactly and later steps return a properly normalised weighted
    mean of all batches seen so far::

        log v_t = log( sum_{s<=t} a (1-a)^(t-s) m_s ) - log(1 - (1-a)^t),   m_s = mean_B(e^T) at step s

    Everything is done with ``logaddexp`` on ``log m_s``, so ``v`` never overflows or
    underflows even when ``T`` is in the hundreds. The state is a tensor that follows the
    device of the inputs (it moves when the owning module moves) and is not part of any
    autograd graph. ``state_dict()``/``load_state_dict()`` save and restore it.
    """

    def __init__(self, ema_rate: float = 0.01, shape: tuple[int, ...] = ()):
        if not 0.0 < ema_rate <= 1.0:
            raise ValueError(f"ema_rate must lie in (0, 1]; got {ema_rate}.")
        self.ema_rate = float(ema_rate)
        self.shape = shape
        self.reset()

    def reset(self) -> None:
        """Forget the history (``v_0 = 0``)."""
        self._log_raw: torch.Tensor | None = None
        self.steps = 0

    def update(self, log_batch_mean: torch.Tensor) -> torch.Tensor:
        """Fold in ``log mean_B(e^T)`` (shape ``(K,)`` or scalar) and return the debiased ``log v``.

        The input is detached: the moving average is a constant for the gradient.
        """
        a = self.ema_rate
        log_m = torch.as_tensor(log_batch_mean).detach()
        if self._log_raw is not None and self._log_raw.device != log_m.device:
            # The owner (e.g. a MINE module) moved to another device: the state follows.
            self._log_raw = self._log_raw.to(log_m.device)
        if self._log_raw is None or a == 1.0:
            self._log_raw = math.log(a) + log_m
        else:
            self._log_raw = torch.logaddexp(self._log_raw + math.log1p(-a), math.log(a) + log_m)
        self.steps += 1
        return self.log_v

    def state_dict(self) -> dict:
        """The moving-average state: ``ema_rate``, ``steps`` and the raw (un-debiased) ``log`` sum."""
        return {"ema_rate": self.ema_rate, "steps": self.steps, "log_raw": self._log_raw}

    def load_state_dict(self, state: dict) -> None:
        """Restore a state saved by :meth:`state_dict`."""
        self.ema_rate = float(state["ema_rate"])
        self.steps = int(state["steps"])
        self._log_raw = state["log_raw"]

    @property
    def log_v(self) -> torch.Tensor:
        """The debiased ``log v`` after the last update."""
        if self._log_raw is None:
            raise RuntimeError("LogEMA.log_v read before the first update().")
        correction = -math.expm1(self.steps * math.log1p(-self.ema_rate)) if self.ema_rate < 1 else 1.0
        return self._log_raw - math.log(correction)


def ema_dv_surrogate(
    t_joint: torch.Tensor, t_marginal: torch.Tensor, log_v: torch.Tensor
) -> torch.Tensor:
    """A value equal to the DV bound whose gradient is the EMA-corrected MINE gradient.

    Introduced in chapter 4. Shapes: ``t_joint (..., n)``, ``t_marginal (..., m)``,
    ``log_v (...)`` (detached). Returns ``(...)`` in nats.

    The surrogate ``E_B[T] - mean_B(e^T) / v`` has gradient ``E_B[grad T] - E_B[grad T e^T]/v``;
    ``mean_B(e^T)/v`` is evaluated as ``exp(logmeanexp(T) - log v)``, a ratio near 1, so
    nothing overflows. We return ``dv + (surrogate - surrogate.detach())``: the forward
    value is the DV estimate on the batch, the backward pass is the corrected gradient.
    """
    log_v = log_v.detach()
    ratio = torch.exp(logmeanexp(t_marginal, dim=-1) - log_v)
    surrogate = t_joint.mean(dim=-1) - ratio
    value = dv_bound(t_joint, t_marginal)
    return value.detach() + (surrogate - surrogate.detach())
