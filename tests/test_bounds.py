"""Exact checks of the variational bounds (minebook.bounds) on small discrete distributions.

Expectations under a discrete P or Q are computed exactly by the library's sample means:
each outcome is repeated in proportion to its (rational) probability, so ``mean`` over the
"samples" is the exact expectation and the checks hold to float64 precision.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import minebook as mb
from minebook.bounds import naive_log_mean_exp

# Two distributions on 4 outcomes with probabilities in multiples of 1/8.
P = np.array([3, 2, 2, 1]) / 8
Q = np.array([1, 1, 2, 4]) / 8
DENOM = 8


def exact_samples(t_values: torch.Tensor, probs: np.ndarray) -> torch.Tensor:
    """The critic values ``t(outcome)`` repeated ``probs * DENOM`` times: sample mean = expectation."""
    counts = torch.as_tensor(np.rint(probs * DENOM).astype(int))
    return torch.repeat_interleave(t_values, counts, dim=-1)


def log_ratio() -> torch.Tensor:
    return torch.as_tensor(np.log(P / Q), dtype=torch.float64)


def kl_pq() -> float:
    return mb.kl_divergence(P, Q)


def dv_exact(t):
    return mb.dv_bound(exact_samples(t, P), exact_samples(t, Q))


def nwj_exact(t):
    return mb.nwj_bound(exact_samples(t, P), exact_samples(t, Q))


def test_exact_samples_give_expectations():
    t = torch.arange(4, dtype=torch.float64)
    assert exact_samples(t, P).mean().item() == pytest.approx(float(np.dot(P, np.arange(4))), abs=1e-15)


def test_dv_at_log_ratio_equals_kl_exactly():
    t = log_ratio()
    assert dv_exact(t).item() == pytest.approx(kl_pq(), abs=1e-12)
    # DV is invariant to adding a constant to T: log p/q + c is optimal too.
    assert dv_exact(t + 3.7).item() == pytest.approx(kl_pq(), abs=1e-12)


def test_dv_below_kl_for_other_critics():
    gen = torch.Generator().manual_seed(0)
    for _ in range(50):
        t = log_ratio() + 0.5 * torch.randn(4, generator=gen, dtype=torch.float64)
        assert dv_exact(t).item() <= kl_pq() + 1e-12


def test_nwj_maximised_at_one_plus_log_ratio():
    t_star = (1 + log_ratio()).requires_grad_(True)
    value = nwj_exact(t_star)
    assert value.item() == pytest.approx(kl_pq(), abs=1e-12)
    (grad,) = torch.autograd.grad(value, t_star)
    assert torch.allclose(grad, torch.zeros(4, dtype=torch.float64), atol=1e-12), "NWJ gradient is not 0 at T*"
    gen = torch.Generator().manual_seed(1)
    for _ in range(50):
        t = t_star.detach() + 0.3 * torch.randn(4, generator=gen, dtype=torch.float64)
        assert nwj_exact(t).item() < value.item()
    # log p/q itself (without the +1) is not NWJ's maximiser.
    assert nwj_exact(log_ratio()).item() < kl_pq() - 1e-3


def test_mutual_information_is_kl_to_product():
    p_xz = np.array([[0.3, 0.1], [0.1, 0.5]])
    product = np.outer(p_xz.sum(1), p_xz.sum(0))
    t = torch.as_tensor(np.log(p_xz / product).ravel())
    counts = np.rint(p_xz.ravel() * 10).astype(int), np.rint(product.ravel() * 100).astype(int)
    value = mb.dv_bound(torch.repeat_interleave(t, torch.as_tensor(counts[0])),
                        torch.repeat_interleave(t, torch.as_tensor(counts[1])))
    assert value.item() == pytest.approx(mb.mutual_information(p_xz), abs=1e-12)


def test_jsd_objective_maximised_at_log_ratio():
    t = log_ratio().requires_grad_(True)
    value = mb.jsd_objective(exact_samples(t, P), exact_samples(t, Q))
    (grad,) = torch.autograd.grad(value, t)
    assert torch.allclose(grad, torch.zeros(4, dtype=torch.float64), atol=1e-12)
    # Its value is 2 JSD(P||Q) - log 4.
    m = (P + Q) / 2
    jsd = 0.5 * mb.kl_divergence(P, m) + 0.5 * mb.kl_divergence(Q, m)
    assert value.item() == pytest.approx(2 * jsd - math.log(4), abs=1e-12)


finite_scores = arrays(np.float64, st.integers(1, 40),
                       elements=st.floats(-50, 50, allow_nan=False, allow_infinity=False))


@settings(max_examples=200, deadline=None)
@given(t_joint=finite_scores, t_marginal=finite_scores)
def test_dv_at_least_nwj_for_any_critic(t_joint, t_marginal):
    """log m <= m / e for every m > 0, so DV >= NWJ for every T, sample by sample."""
    tj, tm = torch.as_tensor(t_joint), torch.as_tensor(t_marginal)
    assert mb.dv_bound(tj, tm).item() >= mb.nwj_bound(tj, tm).item() - 1e-9 * (1 + abs(mb.dv_bound(tj, tm).item()))


@settings(max_examples=100, deadline=None)
@given(t=arrays(np.float64, 4, elements=st.floats(-20, 20, allow_nan=False)))
def test_both_bounds_below_kl_for_any_critic(t):
    t = torch.as_tensor(t)
    assert nwj_exact(t).item() <= dv_exact(t).item() + 1e-12
    assert dv_exact(t).item() <= kl_pq() + 1e-9


def test_logmeanexp_is_stable_where_the_naive_form_fails():
    t = torch.tensor([1000.0, 1000.0, 999.0])
    assert torch.isfinite(mb.logmeanexp(t))
    assert mb.logmeanexp(t).item() == pytest.approx(1000 + math.log((2 + math.exp(-1)) / 3), rel=1e-6)
    with np.errstate(all="ignore"):
        assert not torch.isfinite(naive_log_mean_exp(t))
    low = torch.tensor([-1000.0, -1001.0])
    assert torch.isfinite(mb.logmeanexp(low))
    assert not torch.isfinite(naive_log_mean_exp(low))  # exp underflows to 0, log(0) = -inf
    # NWJ with huge marginal scores: -inf, never NaN.
    assert mb.nwj_bound(torch.zeros(3), t).item() == -math.inf


def test_bounds_work_on_leading_ensemble_dimensions():
    gen = torch.Generator().manual_seed(0)
    tj, tm = torch.randn(3, 5, 7, generator=gen), torch.randn(3, 5, 11, generator=gen)
    for fn in (mb.dv_bound, mb.nwj_bound, mb.jsd_objective):
        out = fn(tj, tm)
        assert out.shape == (3, 5)
        assert torch.allclose(out[1, 2], fn(tj[1, 2], tm[1, 2]))
    assert mb.smile_bound(tj, tm, tau=5.0).shape == (3, 5)


def test_infonce_formula_and_log_batch_ceiling():
    gen = torch.Generator().manual_seed(0)
    s = torch.randn(2, 6, 6, generator=gen, dtype=torch.float64)
    manual = (s.diagonal(dim1=-2, dim2=-1) - torch.logsumexp(s, -1)).mean(-1) + math.log(6)
    assert torch.allclose(mb.infonce_bound(s), manual)
    perfect = 1e4 * torch.eye(6, dtype=torch.float64)
    assert mb.infonce_bound(perfect).item() == pytest.approx(math.log(6), abs=1e-9)
    assert (mb.infonce_bound(100 * s) <= math.log(6) + 1e-9).all()
    with pytest.raises(ValueError, match="square"):
        mb.infonce_bound(torch.zeros(3, 4))


def test_smile_clips_only_the_partition_term():
    tj = torch.tensor([10.0, 12.0])
    tm = torch.tensor([-30.0, 8.0, 0.0])
    assert mb.smile_bound(tj, tm, tau=math.inf).item() == pytest.approx(mb.dv_bound(tj, tm).item())
    clipped = mb.dv_bound(tj, torch.clamp(tm, -5, 5))
    assert mb.smile_bound(tj, tm, tau=5.0).item() == pytest.approx(clipped.item())
    with pytest.raises(ValueError, match="tau"):
        mb.smile_bound(tj, tm, tau=0.0)
