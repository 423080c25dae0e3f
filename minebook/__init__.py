"""minebook: Mutual Information Neural Estimation, the shared code of the MINE book.

Quick start::

    import minebook as mb
    x, z = mb.correlated_gaussian(20_000, d=1, rho=0.9, seed=0)
    est = mb.estimate_mi(x, z)            # MINE with the EMA correction, 3 critics
    print(est.mi, mb.gaussian_mi(0.9))    # ~0.83 nats, held-out
    print(est.interval, est.flags)        # noise, up to the training read-out; checks that fired

Every value is in nats. Each function's docstring names the chapter that introduces it.
"""

from . import bounds, checks, data, estimators, information, preprocess, readouts, threads
from .bounds import dv_bound, infonce_bound, jsd_objective, logmeanexp, nwj_bound, smile_bound
from .checks import CHECKS, Check
from .critics import ConcatCritic, ModuleCritic, SeparableCritic, StackedMLP, make_critic
from .data import (
    correlated_gaussian,
    equitability_mi,
    equitability_sample,
    gaussian_log_ratio,
    gaussian_mi,
    mvn_mi,
    rho_for_mi,
    sample_mvn,
    transform,
)
from .ema import LogEMA, ema_dv_surrogate
from .engine import Ensemble, TrainingState
from .estimate import DEFAULTS, default_settings, estimate_mi, estimate_mi_many
from .estimators import ESTIMATORS, Estimator, batch_objective, critic_outputs, get_estimator
from .information import entropy, gaussian_kl, kl_divergence, mutual_information
from .ksg import ksg
from .module import MINE, StackedMINE
from .objectives import shuffle_rows
from .preprocess import MarginalGaussianizer
from .result import MIEstimate
from .significance import PermutationTest, permutation_test, rejection_rates
from .utils import resolve_device, seed_everything

__version__ = "0.1.0"


#: Imported on first use (``mb.plotting``, ``mb.report``, ``mb.datasets``, ``mb.experiments``): the
#: book's tooling and the chapters' experiments, so ``import minebook`` loads no matplotlib.
_ON_USE = ("plotting", "report", "datasets", "experiments")


def __getattr__(name: str):
    """Import the modules of :data:`_ON_USE` on first use."""
    if name in _ON_USE:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'minebook' has no attribute {name!r}")

__all__ = [
    "bounds", "checks", "data", "estimators", "information", "preprocess", "readouts", "threads",
    "dv_bound", "infonce_bound", "jsd_objective", "logmeanexp", "nwj_bound", "smile_bound",
    "CHECKS", "Check", "ConcatCritic", "ModuleCritic", "SeparableCritic", "StackedMLP", "make_critic",
    "correlated_gaussian", "equitability_mi", "equitability_sample", "gaussian_log_ratio",
    "gaussian_mi", "mvn_mi", "rho_for_mi", "sample_mvn", "transform",
    "LogEMA", "ema_dv_surrogate", "Ensemble", "TrainingState",
    "DEFAULTS", "default_settings", "estimate_mi", "estimate_mi_many",
    "ESTIMATORS", "Estimator", "batch_objective", "critic_outputs", "get_estimator",
    "entropy", "gaussian_kl", "kl_divergence", "mutual_information",
    "ksg", "MINE", "StackedMINE", "shuffle_rows", "MarginalGaussianizer", "MIEstimate",
    "PermutationTest", "permutation_test", "rejection_rates",
    "resolve_device", "seed_everything",
]
