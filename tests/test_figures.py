"""Figure options that change what a figure shows: the error bars over seeds (plot.errorbar)."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from depthstudy import figures, stats

VALUES = pd.Series([0.91, 0.95, 0.93])


def test_errorbar_sd_is_seaborns_and_ci95_is_students_t():
    assert figures.seaborn_errorbar({"errorbar": "sd"}) == "sd"
    interval = figures.seaborn_errorbar({"errorbar": "ci95"})
    low, high = interval(VALUES)
    assert (low, high) == pytest.approx(stats.mean_ci(VALUES)[1:])
    assert high - low == pytest.approx(2 * 4.302653 * VALUES.std() / np.sqrt(3))  # t(0.975, 2) = 4.3027


@pytest.mark.parametrize("errorbar", ["sd", "ci95"])
def test_accuracy_by_depth_draws_either_error_bar(tmp_path, errorbar):
    metrics = pd.DataFrame(
        [dict(exercise="ex1", activation=a, depth=d, seed=s, test_accuracy=acc + 0.01 * s, diverged=False)
         for a, acc in (("relu", 0.5), ("tanh", 0.9)) for d in (5, 20) for s in range(3)]
    )  # fmt: skip
    classes = pd.DataFrame(dict(label=[0, 1], test_share=[0.4, 0.6], **{"class": ["a", "b"]}))
    out = tmp_path / f"{errorbar}.png"
    figures.accuracy_by_depth(metrics, None, classes, out, {"errorbar": errorbar, "dpi": 40}, title="t")
    assert Image.open(out).text["Title"] == "t"
