"""The thread rule (minebook.threads) and the parallel chapter runner (scripts/bookgen.py)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from bookgen import chapter_thread_env, longest_first

import minebook as mb
from minebook import threads as th
from minebook.experiments import bottleneck, gan


@pytest.fixture
def no_cap(monkeypatch):
    monkeypatch.delenv(th.ENV_VAR, raising=False)


def test_small_job_gets_one_thread_large_job_more(no_cap, monkeypatch):
    monkeypatch.setattr(th, "available_cores", lambda: 8)
    assert th.choose_threads(1e6) == 1
    assert th.choose_threads(th.FLOPS_PER_THREAD * 2) == 2
    assert th.choose_threads(th.FLOPS_PER_THREAD * 100) == 8  # never above the cores


def test_env_var_caps_the_rule_and_explicit_threads_win(monkeypatch):
    monkeypatch.setattr(th, "available_cores", lambda: 8)
    monkeypatch.setenv(th.ENV_VAR, "3")
    assert th.thread_cap() == 3
    assert th.choose_threads(th.FLOPS_PER_THREAD * 100) == 3
    assert th.choose_threads(th.FLOPS_PER_THREAD * 100, threads=5) == 5


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_bad_env_var_is_a_clear_error(monkeypatch, value):
    monkeypatch.setenv(th.ENV_VAR, value)
    with pytest.raises(ValueError, match="MINEBOOK_THREADS"):
        th.thread_cap()


@pytest.mark.parametrize("threads", [0, -2, 1.5, True, "2"])
def test_bad_threads_argument_is_a_clear_error(threads):
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        th.choose_threads(1.0, threads)


def test_bad_flops_is_a_clear_error():
    with pytest.raises(ValueError, match="flops"):
        th.choose_threads(float("nan"))


def test_step_flops_counts_forward_and_backward():
    assert th.step_flops(100, 10) == 6000.0
    layer = torch.nn.Linear(4, 5, bias=False)
    assert th.threads_for_modules([layer], rows=10, threads=2) == 2


def test_using_threads_restores_the_callers_count():
    before = torch.get_num_threads()
    other = 1 if before != 1 else 2
    with th.using_threads(other):
        assert torch.get_num_threads() == other
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError), th.using_threads(other):
        raise RuntimeError("boom")
    assert torch.get_num_threads() == before


def test_default_estimate_is_one_thread_and_restores(no_cap):
    """The default critic on d = 5 (about 1e8 operations a step) stays on one thread."""
    x, z = mb.correlated_gaussian(1200, d=5, rho=0.5, seed=0)
    before = torch.get_num_threads()
    est = mb.estimate_mi(x, z, steps=20, batch_size=128)
    assert est.threads == 1
    assert torch.get_num_threads() == before


def test_same_seed_and_threads_same_numbers():
    x, z = mb.correlated_gaussian(1200, d=2, rho=0.5, seed=0)
    runs = [mb.estimate_mi(x, z, steps=40, batch_size=128, seed=3, threads=1).mi for _ in range(2)]
    assert runs[0] == runs[1]
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        mb.estimate_mi(x, z, steps=5, threads=0)


def test_training_loops_take_threads():
    """Every chapter training loop accepts ``threads=`` and restores the caller's count."""
    before = torch.get_num_threads()
    other = 1 if before != 1 else 2
    gan.train_gan(lambda n, g: torch.randn(n, 2, generator=g), 2, steps=2, n_seeds=1, batch_size=16,
                     hidden=(8,), critic_hidden=(8,), threads=other)
    assert torch.get_num_threads() == before
    x = np.random.default_rng(0).random((64, 16)).astype(np.float32)
    y = np.arange(64) % 4
    bottleneck.train_ib(x, y, ["vib"], [0.1], steps=2, batch_size=8, hidden=(8,), dim_z=4,
                           threads=other)
    assert torch.get_num_threads() == before


def test_chapter_env_is_one_thread_everywhere():
    env = chapter_thread_env({"PATH": "/bin"})
    assert env["PATH"] == "/bin"
    for var in ("MINEBOOK_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        assert env[var] == "1"
    assert "MINEBOOK_THREADS" in chapter_thread_env()  # default: a copy of os.environ
    assert os.environ.get("PATH") == chapter_thread_env()["PATH"]


def test_longest_chapter_first():
    nbs = [Path(f"/x/{c}.ipynb") for c in ("a", "b", "c", "new")]
    times = {"chapters": {"a": {"seconds": 3.0}, "b": {"seconds": 30.0}, "c": {"seconds": 10.0}}}
    assert [p.stem for p in longest_first(nbs, times)] == ["new", "b", "c", "a"]
