"""minebook: Mutual Information Neural Estimation, the shared code of the MINE book.

Quick start::

    import minebook as mb
    x, z = mb.correlated_gaussian(20_000, d=1, rho=0.9, seed=0)
    est = mb.estimate_mi(x, z)            # MINE with the EMA correction, 3 critics
    print(est.mi, mb.gaussian_mi(0.9))    # ~0.83 nats, held-out
    print(est.interval, est.flags)        # noise, up to the training read-out; checks that fired

Every value is in nats. Each function's docstring names the chapter that introduces it.
"""

from . import bounds, compare, data, information, report, threads
from .bounds import dv_bound, infonce_bound, jsd_objective, logmeanexp, nwj_bound, smile_bound
from .critics import ConcatCritic, SeparableCritic, StackedMLP, make_critic
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
from .estimate import DEFAULTS, MIEstimate, default_settings, estimate_mi, estimate_mi_many
from .information import entropy, gaussian_kl, kl_divergence, mutual_information
from .ksg import ksg
from .module import MINE, StackedMINE
from .objectives import batch_objective, critic_outputs, shuffle_rows
from .significance import PermutationTest, permutation_test, rejection_rates
from .utils import resolve_device, seed_everything

ESTIMATORS = ("mine", "mine_biased", "mine_f", "jsd", "infonce", "smile", "ksg")

__version__ = "0.1.0"


def __getattr__(name: str):
    """``mb.plotting`` is imported on first use, so ``import minebook`` loads no matplotlib."""
    if name == "plotting":
        import importlib

        return importlib.import_module(".plotting", __name__)
    raise AttributeError(f"module 'minebook' has no attribute {name!r}")

__all__ = [
    "bounds", "compare", "data", "information", "plotting", "report", "threads",
    "dv_bound", "infonce_bound", "jsd_objective", "logmeanexp", "nwj_bound", "smile_bound",
    "ConcatCritic", "SeparableCritic", "StackedMLP", "make_critic",
    "correlated_gaussian", "equitability_mi", "equitability_sample", "gaussian_log_ratio",
    "gaussian_mi", "mvn_mi", "rho_for_mi", "sample_mvn", "transform",
    "LogEMA", "ema_dv_surrogate",
    "DEFAULTS", "MIEstimate", "default_settings", "estimate_mi", "estimate_mi_many",
    "entropy", "gaussian_kl", "kl_divergence", "mutual_information",
    "ksg", "MINE", "StackedMINE", "batch_objective", "critic_outputs", "shuffle_rows",
    "PermutationTest", "permutation_test", "rejection_rates",
    "resolve_device", "seed_everything", "ESTIMATORS",
]
