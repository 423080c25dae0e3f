"""minebook.plotting: the theme and the long-form table for seaborn (chapters 1 and 10)."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from minebook import plotting  # noqa: E402


def test_seeds_frame_is_long_form():
    errors = {"VIB": np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), "MINE-IB": np.zeros((2, 3))}
    df = plotting.seeds_frame(errors, [1e-3, 1e-2], x_name="beta", y_name="error")
    assert list(df.columns) == ["method", "beta", "seed", "error"] and len(df) == 12
    vib = df[(df.method == "VIB") & (df.beta == 1e-2)]
    assert vib.error.tolist() == [4.0, 5.0, 6.0] and vib.seed.tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="shape"):
        plotting.seeds_frame({"x": np.zeros(3)}, [1, 2, 3])


def test_setup_uses_the_seaborn_theme_and_png():
    plotting.setup()
    assert matplotlib.rcParams["axes.grid"] and not matplotlib.rcParams["axes.spines.top"]
    cycle = [matplotlib.colors.to_hex(c) for c in matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]]
    assert cycle == [c.lower() for c in plotting.PALETTE]
    estimators = [c for name, c in plotting.COLORS.items() if name not in ("truth", "ksg", "vib")]
    assert len(set(estimators)) == len(estimators) and set(estimators) <= set(plotting.PALETTE)


def test_seeds_boxplot_draws_a_box_and_every_seed():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    plotting.seeds_boxplot(ax, {"GAN": [1, 4, 9], "GAN+MINE": np.array([20.0, 22.0, 24.0])}, "modes",
                           palette=["C3", "C0"])
    dots = np.concatenate([c.get_offsets()[:, 1] for c in ax.collections if len(c.get_offsets())])
    assert sorted(dots.tolist()) == [1, 4, 9, 20, 22, 24]          # every seed is a dot
    assert [t.get_text() for t in ax.get_xticklabels()] == ["GAN", "GAN+MINE"]
    assert ax.get_ylabel() == "modes" and len(ax.patches) + len(ax.lines) > 0   # the boxes
    plt.close(fig)


def test_import_minebook_loads_no_matplotlib():
    """The library a reader imports into a model does not pull in the book's plotting stack."""
    import subprocess
    import sys

    code = ("import sys, minebook as mb; assert not [m for m in sys.modules if m.startswith("
            "'matplotlib')]; mb.plotting.setup; assert 'matplotlib' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
