"""estimate_mi / estimate_mi_many (minebook.estimate): accuracy, invariances, determinism, bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from _core_runs import SMALL, d1_runs, d5_run, small_data, small_run

import minebook as mb
from minebook import CHECKS, MIEstimate
from minebook.checks import flag_divergence
from minebook.readouts import dv_read_out

TRUTH_D1 = mb.gaussian_mi(0.9)  # 0.830 nats
TRUTH_D5 = mb.gaussian_mi(0.9, 5)  # 4.152 nats


# ----------------------------------------------------------------------------- accuracy
def test_independent_variables_give_zero_on_held_out_data():
    est = d1_runs()["zero"]
    assert abs(est.mi) < 0.03, f"rho=0: {est.mi:.3f} nats"
    assert est.n_test == 5000 and est.n_train + est.n_val == 15000 and est.n_val == 750


def test_d1_rho09_within_005():
    est = d1_runs()["xz"]
    assert abs(est.mi - TRUTH_D1) < 0.05, f"{est.mi:.3f} vs {TRUTH_D1:.3f}"
    assert 0 < est.mi_std < 0.05
    assert est.interval[0] < est.mi < est.interval[1]


def test_d5_rho09_defaults_within_03():
    est = d5_run()
    assert abs(est.mi - TRUTH_D5) < 0.3, f"{est.mi:.3f} vs {TRUTH_D5:.3f}"
    assert est.history.shape == (mb.DEFAULTS["steps"],) and np.all(np.isfinite(est.history))
    assert not est.diverged


def test_symmetry_x_z():
    runs = d1_runs()
    assert abs(runs["xz"].mi - runs["zx"].mi) < 0.05


def test_invertible_transform_of_x_changes_estimate_little():
    runs = d1_runs()
    assert abs(runs["xz"].mi - runs["cubic"].mi) < 0.1


def test_history_and_grad_norms_per_step():
    est = d1_runs()["xz"]
    assert est.history.shape == est.grad_norms.shape == (3000,)
    assert np.all(est.grad_norms > 0)
    # The training-batch estimate climbs from about 0 towards the truth.
    assert abs(est.history[:5].mean()) < 0.3 and abs(est.history[-100:].mean() - TRUTH_D1) < 0.1


def test_returned_critic_reads_raw_inputs():
    """est.critic standardizes raw inputs itself; its DV on held-out-like data matches est.mi."""
    est = d1_runs()["xz"]
    x, z = mb.correlated_gaussian(20_000, 1, 0.9, seed=99)
    with torch.no_grad():
        t_joint = est.critic(x, z)
        t_marg = est.critic(x, np.roll(z, 1, axis=0))
    assert t_joint.shape == (20_000,)
    assert mb.dv_bound(t_joint, t_marg).item() == pytest.approx(est.mi, abs=0.05)
    # It is close to the optimal critic log p/q up to a constant.
    opt = mb.gaussian_log_ratio(x, z, 0.9)
    assert np.corrcoef(t_joint.numpy(), opt)[0, 1] > 0.95


def test_validation_selection_stops_early_on_independent_data():
    """At rho=0 the critic can only memorise noise: the selected checkpoint is an early one."""
    runs = d1_runs()
    assert 0 <= runs["zero"].selected_step < runs["xz"].selected_step
    x, z = mb.correlated_gaussian(4000, 5, 0.0, seed=3)
    no_selection = mb.estimate_mi(x, z, val_fraction=0.0, average_last=0.0, **SMALL)
    assert no_selection.selected_step == -1 and no_selection.n_val == 0
    assert no_selection.critic is not None


# ----------------------------------------------------------------------------- determinism
def test_same_seed_identical_numbers():
    a = small_run(0)
    x, z = small_data()
    b = mb.estimate_mi(x, z, seed=0, n_critics=1, **SMALL)
    assert a.mi == b.mi and a.mi_std == b.mi_std
    assert np.array_equal(a.history, b.history) and np.array_equal(a.grad_norms, b.grad_norms)
    c = small_run(1)
    assert c.mi != a.mi


def test_many_equals_separate_calls_statistically():
    """Member j of estimate_mi_many(seed=s) draws everything from seed s + j, like estimate_mi(seed=s + j)."""
    x, z = small_data()
    many = mb.estimate_mi_many([(x, z)] * 3, seed=0, **SMALL)
    single = [small_run(j) for j in range(3)]
    for m, s in zip(many, single, strict=True):
        # Same data split, initial weights, minibatches and shuffles: only float rounding differs.
        assert m.mi == pytest.approx(s.mi, abs=0.02)
        assert np.allclose(m.history[:20], s.history[:20], atol=1e-3)
    assert len({round(m.mi, 6) for m in many}) == 3  # three different seeds
    assert many[0].mi == pytest.approx(mb.gaussian_mi(0.7, 2), abs=0.25)


def test_many_members_do_not_depend_on_their_neighbours():
    x, z = small_data()
    x2, z2 = mb.correlated_gaussian(4000, 2, 0.1, seed=5)
    alone = mb.estimate_mi_many([(x, z)], seed=0, **SMALL)[0]
    together = mb.estimate_mi_many([(x, z), (x2, z2)], seed=0, **SMALL)[0]
    assert together.mi == pytest.approx(alone.mi, abs=0.02)


# ----------------------------------------------------------------------------- estimators and numerics
@pytest.mark.parametrize("estimator", mb.estimators.NEURAL_ESTIMATORS)
def test_every_estimator_is_finite_at_rho_099_and_in_50_dimensions(estimator):
    short = dict(steps=150, hidden=(32, 32), batch_size=128, n_shuffles=3)
    x, z = mb.correlated_gaussian(2000, 1, 0.99, seed=0)
    x50, z50 = mb.correlated_gaussian(2000, 50, 0.99, seed=1)  # 98 nats
    for xx, zz in ((x, z), (x50, z50)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # above log n is flagged, not NaN
            est = mb.estimate_mi(xx, zz, estimator=estimator, **short)
        assert np.all(np.isfinite(est.history)), f"{estimator}: non-finite training estimate"
        assert math.isfinite(est.mi) and math.isfinite(est.mi_std)
        assert est.mi > 0.3, f"{estimator}: {est.mi:.2f} nats on strongly dependent data"
    if estimator == "infonce":
        assert est.mi <= math.log(128) + 1e-6  # the log(batch) ceiling


def test_separable_critic_and_infonce_default_critic():
    x, z = small_data()
    sep = mb.estimate_mi(x, z, critic="separable", **SMALL)
    assert abs(sep.mi - mb.gaussian_mi(0.7, 2)) < 0.25
    nce = mb.estimate_mi(x, z, estimator="infonce", **SMALL)  # critic="auto": separable
    assert isinstance(nce.critic.critic.critic, mb.SeparableCritic)  # gaussianized, standardized
    assert nce.mi <= math.log(SMALL["batch_size"])


def test_tensor_and_one_dimensional_inputs():
    x, z = small_data()
    a = mb.estimate_mi(torch.as_tensor(x), torch.as_tensor(z), n_critics=1, **SMALL)
    assert a.mi == small_run(0).mi
    b = mb.estimate_mi(x[:, 0], z[:, 0], **SMALL)
    assert math.isfinite(b.mi)


def test_device_auto_runs_on_cpu():
    assert mb.resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert mb.resolve_device("cpu") == torch.device("cpu")
    x, z = small_data()
    est = mb.estimate_mi(x, z, device="auto", preprocess="standardize", **SMALL)
    assert math.isfinite(est.mi)
    assert next(est.critic.parameters()).device.type == mb.resolve_device("auto").type
    assert est.critic.x_mean.device.type == mb.resolve_device("auto").type  # buffers follow


def test_small_samples_work_with_the_default_batch_size():
    """n = 600 (450 training rows) used to raise with batch_size=512; the default now fits n."""
    from minebook.estimate import default_batch_size

    assert default_batch_size(450, 150) == 225 and default_batch_size(512, 171) == 512  # 512 wherever it fit
    assert default_batch_size(10_000, 100, "infonce") == 100 and default_batch_size(3, 1) == 2
    x, z = mb.correlated_gaussian(600, d=1, rho=0.9, seed=0)
    est = mb.estimate_mi(x, z, steps=300, hidden=(32, 32), n_shuffles=3)
    assert est.n_train + est.n_val == 450 and math.isfinite(est.mi)
    assert abs(est.mi - mb.gaussian_mi(0.9)) < 0.4
    with pytest.raises(ValueError, match="too few samples"):
        mb.estimate_mi(x, z, steps=10, batch_size=512)   # an explicit batch_size still wins


def test_unavailable_device_is_a_value_error_naming_the_available_ones():
    from minebook.utils import available_devices

    assert available_devices()[0] == "cpu"
    missing = f"cuda:{torch.cuda.device_count()}"   # one past the last GPU (cuda:0 on a CPU machine)
    with pytest.raises(ValueError, match="not available on this machine; available: cpu"):
        mb.resolve_device(missing)
    x, z = small_data()
    with pytest.raises(ValueError, match="available"):
        mb.estimate_mi(x, z, device=missing, **SMALL)
    with pytest.raises(ValueError, match="not a torch device"):
        mb.resolve_device("gpu")


def test_flush_denormals_is_scoped():
    from minebook.utils import _denormals_flushed, flush_denormals

    before = _denormals_flushed()
    with flush_denormals():
        assert _denormals_flushed()
        assert (torch.tensor([1e-39]) * 1.0).item() == 0.0
    assert _denormals_flushed() == before


def test_read_out_standard_error_is_calibrated():
    """With the optimal critic log p/q, mi_std matches the spread over independent held-out sets."""
    rho, n, n_shifts = 0.9, 2000, 10
    gen = torch.Generator().manual_seed(0)
    values, stds = [], []
    for rep in range(60):
        x, z = mb.correlated_gaussian(n, 1, rho, seed=1000 + rep)
        shifts = 1 + torch.randperm(n - 1, generator=gen)[:n_shifts]
        t_joint = torch.as_tensor(mb.gaussian_log_ratio(x, z, rho))[None]
        t_marg = torch.stack([torch.as_tensor(mb.gaussian_log_ratio(x, np.roll(z, -int(s), axis=0), rho))
                              for s in shifts])[None]
        value, std = dv_read_out(t_joint, t_marg, shifts[None])
        values.append(value[0])
        stds.append(std[0])
    ratio = np.mean(stds) / np.std(values)
    assert 0.7 < ratio < 1.6, f"reported/empirical standard error = {ratio:.2f}"
    assert abs(np.mean(values) - mb.gaussian_mi(rho)) < 3 * np.std(values) / math.sqrt(60)


# ----------------------------------------------------------------------------- divergence
def test_divergence_is_flagged_with_a_warning():
    x, z = mb.correlated_gaussian(2000, 5, 0.99, seed=0)
    with pytest.warns(RuntimeWarning, match="diverged"):
        est = mb.estimate_mi(x, z, estimator="mine_biased", naive_numerics=True, lr=1e3,
                             steps=50, hidden=(16, 16), batch_size=64, n_shuffles=2)
    assert est.diverged and "NaN/inf" in est.message


def test_estimate_above_log_n_is_flagged():
    res = MIEstimate(mi=9.0, mi_std=0.1, estimator="mine", history=np.zeros(3), n_test=1000)
    with pytest.warns(RuntimeWarning, match="log\\(n_test\\)"):
        flag_divergence(res)
    assert res.diverged and res.flags == ("diverged",)
    ok = MIEstimate(mi=6.0, mi_std=0.1, estimator="mine", history=np.zeros(3), n_test=1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flag_divergence(ok)
    assert not ok.diverged and ok.message == ""


def test_healthy_runs_do_not_warn():
    x, z = small_data()  # d = 2, rho = 0.7: 0.67 nats
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        res = mb.estimate_mi(x, z, estimator="mine_f", **{**SMALL, "steps": 600})
    assert not res.diverged and res.flags == () and res.message == ""


def test_undertrained_run_is_flagged_with_a_fix():
    x, z = small_data()
    with pytest.warns(RuntimeWarning, match="still rising") as record:
        res = mb.estimate_mi(x, z, estimator="mine_f", **SMALL)  # 200 steps: about 0.45 of 0.67 nats
    assert "still_rising" in res.flags and "steps=400" in res.message
    assert "below_gaussian" in res.flags and any("estimator='ksg'" in str(w.message) for w in record)


def test_estimate_near_the_log_n_ceiling_is_flagged():
    sizes = dict(n_test=1250, batch_size=512)
    near = MIEstimate(mi=6.5, mi_std=0.1, estimator="mine", **sizes)
    with pytest.warns(RuntimeWarning, match="lower bound"):
        CHECKS["near_ceiling"].apply(near)  # log 1250 = 7.13
    assert near.flags == ("near_ceiling",) and "log(n_test) = 7.13" in near.message
    far = MIEstimate(mi=5.0, mi_std=0.1, estimator="mine", **sizes)
    assert not CHECKS["near_ceiling"].apply(far) and far.flags == ()
    nce = MIEstimate(mi=5.5, mi_std=0.1, estimator="infonce", **sizes)  # InfoNCE: log(batch_size) = 6.24
    with pytest.warns(RuntimeWarning, match="log\\(batch_size\\)"):
        CHECKS["near_ceiling"].apply(nce)
    nwj = MIEstimate(mi=7.0, mi_std=0.1, estimator="mine_f", **sizes)  # NWJ: no ceiling
    assert not CHECKS["near_ceiling"].apply(nwj)


def test_few_samples_for_the_dimension_is_flagged():
    x, z = mb.correlated_gaussian(200, 10, 0.5, seed=0)  # 150 training rows for 20 dimensions
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = mb.estimate_mi(x, z, steps=50, hidden=(16,), n_shuffles=5)
    assert "few_samples" in res.flags and "150 training rows for 20 input dimensions" in res.message


# ----------------------------------------------------------------------------- bad input
def _x_z(n=2000):
    return mb.correlated_gaussian(n, 2, 0.5, seed=0)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda x, z: (x[:, :, None], z), "x has shape"),
        (lambda x, z: (x, z[:, :, None]), "z has shape"),
        (lambda x, z: (x, z[:-1]), "same number of samples"),
        (lambda x, z: (np.where(np.arange(len(x))[:, None] == 3, np.nan, x), z), "x contains 2 NaN"),
        (lambda x, z: (x, np.where(np.arange(len(z))[:, None] == 3, np.inf, z)), "z contains 2 NaN or infinite"),
        (lambda x, z: (x[:, :0], z), "x has no columns"),
        (lambda x, z: (np.array(["a"] * len(x)), z), "x must be a numeric array"),
        (lambda x, z: (x[:5], z[:5]), "too few samples"),
        (lambda x, z: (x[:0], z[:0]), "x is empty"),
        (lambda x, z: (x, z[:0]), "z is empty"),
        (lambda x, z: (x + 1j * x, z), "x is complex"),
        (lambda x, z: (x, torch.as_tensor(z) * (1 + 1j)), "z is complex"),
    ],
)
def test_bad_arrays_raise_value_error_naming_the_argument(change, match):
    x, z = change(*_x_z())
    for estimator in ("mine", "ksg") if ("empty" in match or "complex" in match) else ("mine",):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no numpy ComplexWarning on the way to the ValueError
            with pytest.raises(ValueError, match=match):
                mb.estimate_mi(x, z, steps=1, estimator=estimator)


def test_checks_false_keeps_only_the_divergence_check():
    rng = np.random.default_rng(3)
    x, z = rng.standard_normal((1000, 2)), rng.standard_normal((1000, 2))  # independent: near_zero
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        quiet = mb.estimate_mi(x, z, checks=False, **{**SMALL, "steps": 100})
    assert quiet.flags == () and not quiet.diverged
    with pytest.warns(RuntimeWarning, match="cannot be told from 0"):
        loud = mb.estimate_mi(x, z, **{**SMALL, "steps": 100})
    assert "near_zero" in loud.flags and loud.mi == quiet.mi


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(estimator="mien"), "unknown estimator 'mien'"),
        (dict(steps=0), "steps must be a positive integer"),
        (dict(steps=-5), "steps must be a positive integer"),
        (dict(steps=2.5), "steps must be a positive integer"),
        (dict(batch_size=0), "batch_size must be a positive integer"),
        (dict(batch_size=1), "batch_size must be at least 2"),
        (dict(lr=0.0), "lr must be positive"),
        (dict(lr=-1e-3), "lr must be positive"),
        (dict(lr=float("nan")), "lr must be a finite positive number"),
        (dict(test_fraction=0.0), "test_fraction"),
        (dict(test_fraction=1.0), "test_fraction"),
        (dict(n_shuffles=0), "n_shuffles"),
        (dict(ema_rate=0.0), "ema_rate"),
        (dict(tau=0.0), "tau must be positive"),
        (dict(critic="mlp"), "critic must be"),
        (dict(hidden=(0, 8)), "hidden"),
        (dict(activation="sigmoid"), "activation"),
        (dict(device="gpu0"), "device"),
        (dict(seed=1.5), "seed must be an integer"),
        (dict(average_last=1.0), "average_last"),
        (dict(val_fraction=-0.1), "val_fraction"),
        (dict(n_checkpoints=0), "n_checkpoints"),
        (dict(estimator="infonce", batch_size=1024), "too few samples"),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_argument(kwargs, match):
    x, z = _x_z()
    with pytest.raises(ValueError, match=match):
        mb.estimate_mi(x, z, **{"steps": 1, **kwargs})


def test_bad_pairs_for_estimate_mi_many():
    x, z = _x_z()
    with pytest.raises(ValueError, match="pairs is empty"):
        mb.estimate_mi_many([])
    with pytest.raises(ValueError, match="list of \\(x, z\\) tuples"):
        mb.estimate_mi_many((x, z))
    with pytest.raises(ValueError, match="pairs\\[1\\] is not an \\(x, z\\) pair"):
        mb.estimate_mi_many([(x, z), x])
    with pytest.raises(ValueError, match="share shapes"):
        mb.estimate_mi_many([(x, z), (x[:, :1], z)], steps=1)
    with pytest.raises(ValueError, match="unknown estimator"):
        mb.estimate_mi_many([(x, z)], estimator="MINE")


def test_effective_pairs_counts_equal_weights_and_one_dominant_pair():
    from minebook.readouts import effective_pairs as _effective_pairs

    flat = torch.zeros(1, 4, 250)
    assert _effective_pairs(flat)[0] == pytest.approx(1000.0)
    spike = flat.clone()
    spike[0, 0, 0] = 50.0  # e^50 outweighs the other 999 pairs together
    assert _effective_pairs(spike)[0] == pytest.approx(1.0, abs=1e-6)
    assert _effective_pairs(spike, tau=5.0)[0] > 50  # SMILE clips the spike to e^5: about 57 pairs


def test_result_reports_effective_pairs():
    x, z = mb.correlated_gaussian(2000, 1, 0.5, seed=0)
    est = mb.estimate_mi(x, z, **SMALL)
    n_pairs = est.n_test * SMALL["n_shuffles"]
    assert 0.5 * n_pairs < est.ess <= n_pairs + 1e-6  # moderate MI: most pairs count
    assert math.isnan(mb.estimate_mi(x, z, estimator="ksg").ess)


def test_few_effective_pairs_warn_and_are_reported():
    from minebook.checks import MIN_EFFECTIVE_PAIRS

    def _flag_few_pairs(res):
        CHECKS["few_pairs"].apply(res)

    res = mb.MIEstimate(mi=1.0, mi_std=0.1, estimator="mine", ess=12.0)
    with pytest.warns(RuntimeWarning, match="12 effective marginal pairs"):
        _flag_few_pairs(res)
    assert "arcsinh" in res.message and not res.diverged
    for ess in (float("nan"), float(MIN_EFFECTIVE_PAIRS)):
        quiet = mb.MIEstimate(mi=1.0, mi_std=0.1, estimator="mine", ess=ess)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            _flag_few_pairs(quiet)
        assert quiet.message == ""


def test_ess_summary_and_few_pairs_reported():
    import warnings

    from minebook import checks as est_mod
    line = est_mod.ess_summary(np.array([[33.0, 1203.0], [np.nan, 99.0]]))
    assert line == ("rest on 33 to 1203 effective held-out marginal pairs "
                    "(2 of 3 below 100, where estimate_mi warns)")
    assert "no effective-pairs" in est_mod.ess_summary([np.nan])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with est_mod.few_pairs_reported():
            est_mod.CHECKS["few_pairs"].apply(mb.MIEstimate(mi=0.1, mi_std=0.01, estimator="mine", ess=5.0))
            warnings.warn("estimate_mi (mine) diverged: NaN", RuntimeWarning, stacklevel=2)
    assert [str(w.message) for w in caught] == ["estimate_mi (mine) diverged: NaN"]


# ----------------------------------------------------------------------------- defaults by n and dims
def test_default_settings_follow_n_and_the_dimensions():
    from minebook.estimate import default_settings

    assert default_settings(20_000, 1, 1) == dict(test_fraction=0.25, batch_size=512, hidden=(64, 64), steps=3000)
    assert default_settings(5000, 5, 5)["hidden"] == (64, 64)       # 3750 rows for 10 dims
    assert default_settings(5000, 25, 25)["hidden"] == (32, 32)     # 75 rows per dimension
    small = default_settings(200, 1, 1)                               # 150 training rows
    assert small["batch_size"] == 75 and small["hidden"] == (32, 32) and small["test_fraction"] == 0.25
    big = default_settings(10**6, 50, 50)                             # 50,000 held out, the rest trains
    assert big["test_fraction"] == pytest.approx(0.05) and big["steps"] == math.ceil(2 * 950_000 / 512)
    assert default_settings(40_000, 1, 1)["test_fraction"] == 0.25   # continuous at the switch
    assert default_settings(10**8, 1, 1)["steps"] == 10_000


def test_estimate_mi_without_arguments_on_a_small_sample():
    x, z = mb.correlated_gaussian(200, d=1, rho=0.9, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        est = mb.estimate_mi(x, z)
    assert est.n_test == 50 and est.batch_size == 75 and est.n_critics == 3
    assert est.history.shape == (3000,) and math.isfinite(est.mi)
    assert abs(est.mi - mb.gaussian_mi(0.9)) < 3 * est.mi_std + 0.2
    short = mb.estimate_mi(x, z, steps=40, n_critics=1)   # explicit arguments win
    assert short.history.shape == (40,) and short.n_critics == 1 and short.members == ()


# ----------------------------------------------------------------------------- several critics
def test_several_critics_give_the_median_and_an_error_with_their_spread():
    x, z = small_data()
    est = mb.estimate_mi(x, z, n_critics=3, **SMALL)
    members = mb.estimate_mi_many([(x, z)] * 3, seed=0, checks=False, **SMALL)
    values = np.array([m.mi for m in members])
    assert [m.mi for m in est.members] == pytest.approx(values.tolist(), abs=1e-12)
    assert est.n_critics == 3 and est.mi == pytest.approx(np.median(values))
    assert est.seed_std == pytest.approx(values.std(ddof=1))
    read_out = np.sqrt(np.mean([m.mi_std**2 for m in members]))
    assert est.read_out_std == pytest.approx(read_out)
    assert est.mi_std == pytest.approx(np.sqrt(read_out**2 + np.pi / 2 * values.var(ddof=1) / 3))
    assert est.mi_std >= est.read_out_std and est.history.shape == (SMALL["steps"],)
    assert est.critic(x[:5], z[:5]).shape == (5,)
    again = mb.estimate_mi(x, z, n_critics=3, **SMALL)
    assert again.mi == est.mi and again.mi_std == est.mi_std  # deterministic for a seed


def test_n_critics_bad_input():
    x, z = small_data()
    with pytest.raises(ValueError, match="n_critics"):
        mb.estimate_mi(x, z, n_critics=0, **SMALL)
    with pytest.raises(ValueError, match="n_critics=1"):
        mb.estimate_mi(x, z, estimator="ksg", n_critics=3)


def test_estimate_far_below_ksg_is_flagged():
    x, z = mb.correlated_gaussian(3000, d=1, rho=0.9, seed=5)   # 0.83 nats
    with pytest.warns(RuntimeWarning, match="KSG estimate"):
        res = mb.estimate_mi(x, z, steps=20, n_critics=1, hidden=(8,), batch_size=64)
    assert "below_ksg" in res.flags and "more steps" in res.message
    plain = mb.estimate_mi_many([(x, z)], steps=20, hidden=(8,), batch_size=64, checks=False)[0]
    assert plain.flags == ()   # checks=False: divergence only; estimate_mi_many never runs KSG


def test_ksg_few_samples_message_speaks_of_neighbours():
    x, z = mb.correlated_gaussian(60, d=5, rho=0.5, seed=0)
    with pytest.warns(RuntimeWarning, match="nearest neighbours"):
        res = mb.estimate_mi(x, z, estimator="ksg")
    assert res.flags == ("few_samples",)


# ----------------------------------------------------------------------------- train_mi, train_gap
def test_train_mi_is_the_read_out_on_training_rows_and_raises_the_interval():
    x, z = mb.correlated_gaussian(1200, d=5, rho=0.0, seed=3)  # independent: any gap is fitting noise
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = mb.estimate_mi(x, z, hidden=(256, 256), steps=1500, n_shuffles=5)
    assert all(math.isfinite(m.train_mi) for m in res.members)
    assert res.train_mi == float(np.median([m.train_mi for m in res.members]))
    assert res.train_mi > res.mi + 0.1  # a wide critic on 900 rows scores its own pairs higher
    assert res.interval[1] == max(res.mi + 1.96 * res.mi_std, res.train_mi)
    assert res.interval[0] == res.mi - 1.96 * res.mi_std
    assert "train_gap" in res.flags and "More samples" in res.message


def test_train_mi_for_infonce_and_not_for_ksg():
    x, z = small_data()
    nce = mb.estimate_mi(x, z, estimator="infonce", n_critics=1, **SMALL)
    assert math.isfinite(nce.train_mi)
    ksg = mb.estimate_mi(x, z, estimator="ksg")
    assert math.isnan(ksg.train_mi) and all(math.isnan(v) for v in ksg.interval)  # KSG: no interval


def test_train_gap_threshold():
    def _flag_train_gap(res):
        CHECKS["train_gap"].apply(res)

    wide = MIEstimate(mi=0.22, mi_std=0.03, estimator="mine", train_mi=0.55)
    with pytest.warns(RuntimeWarning, match="own training pairs"):
        _flag_train_gap(wide)
    assert wide.flags == ("train_gap",) and "up to about 0.55 nats" in wide.message
    close = MIEstimate(mi=0.96, mi_std=0.04, estimator="mine", train_mi=0.96 + 0.29 * 0.96)
    _flag_train_gap(close)  # within GAP_FRACTION = 0.3 of the estimate
    assert close.flags == () and CHECKS["train_gap"].thresholds["GAP_FRACTION"] == 0.3
    tiny = MIEstimate(mi=0.0, mi_std=0.01, estimator="mine", train_mi=0.09)
    _flag_train_gap(tiny)  # below GAP_MIN = 0.1 nats
    assert tiny.flags == ()
    unknown = MIEstimate(mi=0.5, mi_std=0.01, estimator="mine")  # train_mi NaN
    _flag_train_gap(unknown)
    assert unknown.flags == () and unknown.interval == pytest.approx((0.5 - 0.0196, 0.5 + 0.0196))


def test_tail_dependence_check_fires_on_student_t_data_only():
    from minebook.experiments import beyond_normal as bn

    def _flag_tail_dependence(res, pair):
        CHECKS["tail_dependence"].apply(res, pair)

    tasks = {t.name: t for t in bn.beyond_normal_tasks(dim=5)}
    heavy = MIEstimate(mi=1.1, mi_std=0.05, estimator="mine")
    with pytest.warns(RuntimeWarning, match="dependence in the tails"):
        _flag_tail_dependence(heavy, tasks["student_t"].sample(5000, 0))
    assert heavy.flags == ("tail_dependence",) and "more samples" in heavy.message
    for name in ("gaussian", "asinh(gaussian)"):
        plain = MIEstimate(mi=1.0, mi_std=0.05, estimator="mine")
        _flag_tail_dependence(plain, tasks[name].sample(5000, 0))
        assert plain.flags == (), name


def test_tail_dependence_is_checked_by_estimate_mi_and_for_ksg():
    from minebook.experiments import beyond_normal as bn

    x, z = bn.student_t_task(np.eye(4), 2, 2.0).sample(2000, 0)
    with pytest.warns(RuntimeWarning, match="dependence in the tails"):
        res = mb.estimate_mi(x, z, estimator="ksg")
    assert "tail_dependence" in res.flags
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        many = mb.estimate_mi_many([(x, z)], steps=20, hidden=(8,), batch_size=64)[0]
    assert "tail_dependence" not in many.flags  # estimate_mi only, like the KSG comparison


def test_interval_at_zero_is_flagged():
    def _flag_near_zero(res):
        CHECKS["near_zero"].apply(res)

    nothing = MIEstimate(mi=0.01, mi_std=0.02, estimator="mine")
    with pytest.warns(RuntimeWarning, match="cannot be told from 0"):
        _flag_near_zero(nothing)
    assert nothing.flags == ("near_zero",) and "permutation_test" in nothing.message
    for clear in (MIEstimate(mi=0.05, mi_std=0.02, estimator="mine"),      # interval [0.011, 0.089]
                  MIEstimate(mi=0.0, mi_std=float("nan"), estimator="ksg"),  # no interval
                  MIEstimate(mi=0.0, mi_std=0.01, estimator="mine", diverged=True)):
        _flag_near_zero(clear)
        assert clear.flags == (), clear


def test_estimate_mi_on_independent_data_says_it_found_nothing():
    rng = np.random.default_rng(3)
    x, z = rng.standard_normal((1000, 2)), rng.standard_normal((1000, 2))
    with pytest.warns(RuntimeWarning, match="cannot be told from 0"):
        res = mb.estimate_mi(x, z, **{**SMALL, "steps": 300})
    assert "near_zero" in res.flags and res.interval[0] <= 0.0 < res.interval[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        many = mb.estimate_mi_many([(x, z)], **{**SMALL, "steps": 300})[0]
    assert "near_zero" not in many.flags  # estimate_mi only, like the KSG comparison
