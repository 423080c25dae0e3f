"""Class labels in estimate_mi (minebook.discrete): detection, the classifier bound, the plug-in."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import minebook as mb
from minebook.discrete import label_codes, one_hot, plugin_mi

SHORT = dict(steps=300, hidden=(32, 32), batch_size=256)


def _mixture(n, n_classes, d=4, sep=1.5, seed=0):
    rng = np.random.default_rng(seed)
    mu = rng.standard_normal((n_classes, d)) * sep
    z = rng.integers(n_classes, size=n)
    return mu[z] + rng.standard_normal((n, d)), z


def test_label_codes_recognise_integers_booleans_and_one_hot_only():
    assert label_codes(np.array([3, 1, 3, 7])).tolist() == [1, 0, 1, 2]
    assert label_codes(np.array([True, False, True])).tolist() == [1, 0, 1]
    assert label_codes(one_hot(np.array([2, 0, 1]))).tolist() == [2, 0, 1]
    assert label_codes(np.array([0.5, 1.0, 2.0])) is None           # not integers
    assert label_codes(np.arange(1000)) is None                     # too many classes
    assert label_codes(np.ones(10)) is None                         # one class
    assert label_codes(np.array([[0, 1], [1, 1]])) is None          # two 1s in a row
    assert label_codes(np.random.default_rng(0).integers(0, 3, (10, 2))) is None  # two columns


def test_plugin_mi_matches_the_exact_mi_of_a_table():
    p = np.array([[0.3, 0.05], [0.1, 0.55]])
    rng = np.random.default_rng(0)
    cells = rng.choice(4, size=200_000, p=p.ravel())
    value, se = plugin_mi(cells // 2, cells % 2)
    assert value == pytest.approx(mb.mutual_information(p), abs=4 * se) and 0 < se < 0.01
    indep_value, _ = plugin_mi(rng.integers(3, size=5000), rng.integers(4, size=5000))
    assert abs(indep_value) < 0.01  # Miller-Madow removes the plug-in's (3-1)(4-1)/(2n) bias


def test_estimate_mi_routes_a_label_to_the_classifier_bound():
    x, z = _mixture(3000, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = mb.estimate_mi(x, z, **SHORT)
        swapped = mb.estimate_mi(z, x, **SHORT)
        as_numbers = mb.estimate_mi(x, z, discrete=False, **SHORT)
    assert res.estimator == "ba" and "z is a class label (3 classes)" in res.route
    assert swapped.estimator == "ba" and "swapped" in swapped.route
    assert as_numbers.estimator == "mine" and as_numbers.route == ""
    assert 0.3 < res.mi <= math.log(3) + 0.05 and abs(res.mi - swapped.mi) < 0.15
    assert math.isfinite(res.mi_std) and res.interval[0] < res.interval[1]
    assert not {"below_gaussian", "below_ksg", "tail_dependence"} & set(res.flags)


def test_two_labels_take_the_plug_in_route_and_bad_requests_say_why():
    rng = np.random.default_rng(1)
    a = rng.integers(4, size=4000)
    b = (a + (rng.random(4000) < 0.3) * rng.integers(1, 4, size=4000)) % 4  # b = a 70% of the time
    res = mb.estimate_mi(a, b)
    p = np.full((4, 4), 0.3 / 3 / 4)
    np.fill_diagonal(p, 0.7 / 4)
    assert res.estimator == "plugin" and res.mi == pytest.approx(mb.mutual_information(p), abs=0.05)
    x, _ = _mixture(500, 2)
    with pytest.raises(ValueError, match="neither x nor z is a class label"):
        mb.estimate_mi(x, x[:, :1], discrete=True)
    assert mb.estimate_mi(a, b, estimator="ksg").estimator == "ksg"  # another estimator: as asked
