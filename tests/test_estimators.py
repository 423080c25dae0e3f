"""The estimator records (minebook.estimators): every rule that depends on a name, per record."""

from __future__ import annotations

import math

import pytest
import torch

import minebook as mb
from minebook.ema import LogEMA
from minebook.estimators import NEURAL_ESTIMATORS


def _batch(b: int = 16, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    scores = torch.randn(2, b, b, generator=g, dtype=torch.float64)
    joint = torch.diagonal(scores, dim1=-2, dim2=-1)
    marg = mb.objectives.off_diagonal(scores)
    return joint, marg, scores


def test_the_records_are_the_only_list_of_names():
    assert list(mb.ESTIMATORS) == ["mine", "mine_biased", "mine_f", "jsd", "infonce", "smile", "ba",
                                   "ksg", "plugin"]
    assert all(name == e.name for name, e in mb.ESTIMATORS.items())
    assert NEURAL_ESTIMATORS == ("mine", "mine_biased", "mine_f", "jsd", "infonce", "smile")
    for name in ("ksg", "plugin"):
        assert not mb.get_estimator(name).neural and mb.get_estimator(name).direct is not None
    assert mb.get_estimator("ba").neural and not mb.get_estimator("ba").needs_marginals


@pytest.mark.parametrize("name", NEURAL_ESTIMATORS)
def test_the_reported_value_is_the_read_out_formula(name):
    """The value a training batch reports is the record's read-out on that batch."""
    record = mb.get_estimator(name)
    joint, marg, scores = _batch()
    value, train = record.objective(joint, marg, scores, LogEMA(0.01), 5.0, False)
    expected = {"dv": mb.smile_bound(joint, marg, 5.0) if record.clips_read_out else mb.dv_bound(joint, marg),
                "nwj": mb.nwj_bound(joint, marg), "infonce": mb.infonce_bound(scores)}[record.read_out]
    torch.testing.assert_close(value, expected)
    assert value.shape == train.shape == (2,)
    if record.lower_bound and record.read_out != "infonce":
        good = 4.0 * torch.eye(16, dtype=torch.float64).unsqueeze(0)  # a critic that finds the pairs
        j, m = torch.diagonal(good, dim1=-2, dim2=-1), mb.objectives.off_diagonal(good)
        assert float(record.objective(j, m, good, LogEMA(0.01), 5.0, False)[0][0]) > 0


@pytest.mark.parametrize("name", NEURAL_ESTIMATORS)
def test_training_target_has_a_gradient_and_batch_objective_dispatches(name):
    joint, marg, scores = _batch()
    scores = scores.clone().requires_grad_(True)
    joint, marg = torch.diagonal(scores, dim1=-2, dim2=-1), mb.objectives.off_diagonal(scores)
    value, train = mb.batch_objective(name, joint, marg, scores, LogEMA(0.01), 5.0)
    (grad,) = torch.autograd.grad(train.sum(), scores)
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0


def test_ceilings_and_batch_rules():
    assert mb.get_estimator("mine").ceiling_value(1250, 512)[0] == pytest.approx(math.log(1250))
    assert mb.get_estimator("infonce").ceiling_value(1250, 512)[0] == pytest.approx(math.log(512))
    assert mb.get_estimator("mine_f").ceiling_value(1250, 512) is None
    assert mb.get_estimator("infonce").min_test_rows(64) == 64 and mb.get_estimator("mine").min_test_rows(64) == 2
    for e in mb.ESTIMATORS.values():
        assert e.critic == ("separable" if e.pairwise else "categorical" if e.labels == "z" else "concat")
        assert e.eval_as is None or mb.get_estimator(e.eval_as).eval_as is None  # no chains


def test_unknown_names_say_what_to_choose():
    with pytest.raises(ValueError, match="unknown estimator 'MINE'; choose one of mine, mine_biased"):
        mb.get_estimator("MINE")
    with pytest.raises(ValueError, match="needs one that trains a critic"):
        mb.get_estimator("ksg", neural=True)
    with pytest.raises(ValueError, match="unknown estimator"):
        mb.batch_objective("dv", *_batch())
