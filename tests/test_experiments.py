"""The experiments table and the exercise tables' headings, on frames with known answers."""

import math

import pandas as pd
import pytest

from conftest import ROOT
from depthstudy import experiments, stats, tables

REFERENCE = tables.load_reference(ROOT / "workflow/resources/report_values.csv")
DEFAULTS = dict(width=16, epochs=2, optimizer="sgd", learning_rate=0.05, initializer="glorot_uniform", batchnorm=False)


def metrics(rows):
    cols = ["exercise", "activation", "depth", "seed", "test_loss", "test_accuracy", "diverged"]
    return pd.DataFrame(rows, columns=cols)


def test_changed_settings_are_named_as_config_keys_in_the_heading():
    adam = dict(DEFAULTS, optimizer="adam", learning_rate=0.001)
    assert experiments.changed_settings(adam, DEFAULTS) == {"optimizer": "adam", "learning_rate": 0.001}
    heading = experiments.heading("relu_adam", adam, DEFAULTS)
    assert heading == "exercise relu_adam (optimizer adam, learning_rate 0.001)"
    assert experiments.heading("ex1", DEFAULTS, DEFAULTS) == "exercise ex1 (the training defaults)"
    assert experiments.settings_text({"batchnorm": True, "epochs": 0}) == "batchnorm true, epochs 0"


def test_a_t_interval_of_two_far_apart_seeds_is_clipped_to_the_bounds_of_an_accuracy_and_a_loss():
    m = metrics([("ex1", "relu", 6, 0, 2.30, 0.11, False), ("ex1", "relu", 6, 1, 0.20, 0.93, False)])
    _, low, high = stats.mean_ci([0.11, 0.93])
    assert low < 0 and high > 1  # Student's t with one degree of freedom reaches past both bounds
    row = tables.summarize(m, ["activation", "depth"]).iloc[0]
    assert (row.test_accuracy_ci_low, row.test_accuracy_ci_high) == (0.0, 1.0)
    assert row.test_accuracy_ci95 == "[0.000, 1.000]"
    assert row.test_loss_ci_low == 0.0 and row.test_loss_ci_high == pytest.approx(stats.mean_ci([2.3, 0.2])[2])
    # an interval inside the bounds is Student's t as it is
    m = metrics([("ex1", "tanh", 6, s, 0.3, acc, False) for s, acc in enumerate([0.90, 0.92, 0.94])])
    row = tables.summarize(m, ["activation", "depth"]).iloc[0]
    assert row.test_accuracy_ci_low == pytest.approx(0.92 - 4.302653 * 0.02 / math.sqrt(3))


def test_report_columns_only_where_the_report_has_values_for_the_grid():
    at_report_depth = metrics([("ex1", "relu", 5, 0, 0.3, 0.9, False)])
    assert "report_test_accuracy" in tables.metrics_table(at_report_depth, REFERENCE, "ex1")
    off_grid = metrics([("ex1", "relu", 6, 0, 0.3, 0.9, False)])
    assert not [c for c in tables.metrics_table(off_grid, REFERENCE, "ex1") if c.startswith("report_")]
    new_block = metrics([("relu_adam", "relu", 5, 0, 0.3, 0.9, False)])
    assert not [c for c in tables.metrics_table(new_block, REFERENCE, "relu_adam") if c.startswith("report_")]


def test_experiments_table_sets_every_block_side_by_side_and_marks_the_best_per_depth():
    m = metrics(
        [
            *[("ex1", act, d, s, 0.5, acc + 0.01 * s, False)
              for act, acc in (("relu", 0.50), ("tanh", 0.80)) for d in (2, 6) for s in (0, 1)],
            *[("cure_he_init", "relu", 6, s, 0.3, 0.90 + 0.01 * s, False) for s in (0, 1)],
            ("ex1d", "lecun", 2, 0, 2.3, 0.11, False),
            ("ex1d", "lecun", 2, 1, 2.3, 0.13, False),
        ]
    )  # fmt: skip
    settings = {
        "ex1": DEFAULTS,
        "ex1d": dict(DEFAULTS, epochs=0),
        "cure_he_init": dict(DEFAULTS, initializer="he_normal"),
    }
    table = experiments.experiments_table(m.astype({"depth": float}), settings, DEFAULTS)
    assert list(table.exercise.unique()) == ["ex1", "ex1d", "cure_he_init"]  # the config's order
    assert table.set_index("exercise").changes.to_dict() == {
        "ex1": "",
        "ex1d": "epochs 0",
        "cure_he_init": "initializer he_normal",
    }
    best = table[table.best].set_index("depth")
    assert best.exercise.to_dict() == {2: "ex1", 6: "cure_he_init"} and best.loc[2, "activation"] == "tanh"
    assert table.test_accuracy_ci_low.between(0, 1).all() and table.test_accuracy_ci_high.between(0, 1).all()
    he = table[table.exercise == "cure_he_init"].iloc[0]
    assert he.test_accuracy_mean == pytest.approx(0.905) and he.seeds == 2

    md = experiments.experiments_markdown(table, "MNIST", DEFAULTS)
    assert md.startswith("## Experiments side by side on MNIST")
    assert "| exercise | changes from training | activation | 2 hidden layers | 6 hidden layers |" in md
    rows = {tuple(cell.strip() for cell in line.split("|")[1:4]): line for line in md.splitlines()[5:]}
    assert "**0.905 ± 0.007 [0.841, 0.969]**" in rows["cure_he_init", "initializer he_normal", "ReLU"]
    assert rows["ex1", "—", "Tanh"].count("**") == 2  # the best at depth 2 only
    assert rows["ex1d", "epochs 0", "LeCun"].rstrip().endswith("|  |")  # no depth-6 net in ex1d
    html = experiments.experiments_html(table, "MNIST", DEFAULTS)
    assert "<td><b>0.905 ± 0.007 [0.841, 0.969]</b></td>" in html and html.count("<tr>") == 1 + 4  # header, nets
    assert experiments.settings_text({"optimizer_options": {"epsilon": 1e-12}}) == "optimizer_options {epsilon: 1e-12}"


def test_experiments_table_refuses_an_exercise_without_metrics():
    m = metrics([("ex1", "relu", 2, 0, 0.5, 0.5, False)])
    with pytest.raises(ValueError, match=r"no metrics for exercise\(s\) \['cure_selu'\]"):
        experiments.experiments_table(m, {"ex1": DEFAULTS, "cure_selu": DEFAULTS}, DEFAULTS)
