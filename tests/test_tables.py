"""Table builders, the comparison with the report, and the claims verdicts, on frames with known answers."""

import math

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from depthstudy import claims, comparisons, markdown, stats, tables

REFERENCE = tables.load_reference(ROOT / "workflow/resources/report_values.csv")


def metrics_frame(rows):
    cols = ["exercise", "activation", "depth", "seed", "test_loss", "test_accuracy", "diverged"]
    return pd.DataFrame(rows, columns=cols)


def test_metrics_table_means_sds_and_report_values():
    m = metrics_frame(
        [
            ("ex1", "relu", 5, 0, 0.30, 0.90, False),
            ("ex1", "relu", 5, 1, 0.34, 0.92, False),
            ("ex1", "relu", 5, 2, 0.32, 0.94, False),
            ("ex1", "sigmoid", 5, 0, 2.30, 0.1135, False),
        ]
    )
    table = tables.metrics_table(m, REFERENCE, "ex1").set_index("activation")
    assert table.loc["relu", "seeds"] == 3
    assert table.loc["relu", "test_accuracy_mean"] == pytest.approx(0.92)
    assert table.loc["relu", "test_accuracy_sd"] == pytest.approx(0.02)
    assert table.loc["relu", "test_accuracy"] == "0.920 ± 0.020"
    assert table.loc["relu", "report_test_accuracy"] == 0.908 and table.loc["sigmoid", "report_test_loss"] == 2.3
    assert math.isnan(table.loc["sigmoid", "test_accuracy_sd"])  # one seed: no sd
    md = markdown.frame_table(table.reset_index(), tables.MD_COLUMNS)
    # 95 % CI over 3 seeds: mean ± t(0.975, 2) sd / sqrt(3) = ± 4.303 × 0.02 / 1.732
    row = "| relu | 5 | 3 | 0 | 0.320 ± 0.020 | [0.270, 0.370] | 0.323 | 0.920 ± 0.020 | [0.870, 0.970] | 0.908 |"
    assert row in md
    assert table.loc["relu", "test_accuracy_ci_low"] == pytest.approx(0.92 - 4.302653 * 0.02 / math.sqrt(3))
    assert table.loc["sigmoid", "test_accuracy_ci95"] == "n/a"  # one seed: no interval


def test_diverged_runs_are_counted_not_averaged_as_zero():
    m = metrics_frame(
        [
            ("x", "relu", 5, 0, np.nan, np.nan, True),
            ("x", "relu", 5, 1, 0.3, 0.9, False),
            ("x", "tanh", 5, 0, np.nan, np.nan, True),
        ]
    )
    table = tables.metrics_table(m, REFERENCE, "x").set_index("activation")
    assert table.loc["relu", "diverged"] == 1 and table.loc["relu", "test_accuracy_mean"] == pytest.approx(0.9)
    assert table.loc["tanh", "test_accuracy"] == "diverged"


def test_cnn_table_keeps_the_fourth_decimal_where_seeds_and_the_report_differ():
    m = pd.DataFrame(
        dict(seed=[0, 1, 2], test_loss=[0.0613, 0.0621, 0.0612], test_accuracy=[0.9913, 0.9909, 0.9920],
             diverged=False, params=1_221_450, non_trainable_params=448, epochs=12)
    )  # fmt: skip
    table = tables.cnn_table(m, REFERENCE).iloc[0]
    assert table.test_accuracy == "0.9914 ± 0.0006" and table.report_test_accuracy == 0.9916
    assert table.test_accuracy_mean < table.report_test_accuracy  # the pipeline shows the gap, not 0.991 = 0.992


def test_combine_keeps_the_job_keys_each_file_carries_and_refuses_a_file_without_them(tmp_path):
    paths = []
    for act, seed in (("relu", 0), ("tanh", 1)):
        path = tmp_path / f"{act}{seed}.csv"  # the folder no longer matters: the keys are columns
        keys = dict(exercise="ex1", activation=act, depth=5, seed=seed)
        pd.DataFrame({**keys, "epoch": [1, 2], "loss": [1.0, 0.5]}).to_csv(path, index=False)
        paths.append(path)
    combined = tables.combine(paths)
    assert list(combined.columns[:4]) == ["exercise", "activation", "depth", "seed"]
    assert combined.groupby("activation").seed.first().to_dict() == {"relu": 0, "tanh": 1}
    assert len(combined) == 4
    old = tmp_path / "old.csv"
    pd.DataFrame({"epoch": [1], "loss": [1.0]}).to_csv(old, index=False)
    with pytest.raises(ValueError, match=r"old\.csv has no exercise and seed columns.*--forcerun"):
        tables.combine([paths[0], old])


def test_comparison_flags_disagreements_beyond_seed_noise():
    m = metrics_frame(
        [("ex1", "tanh", 5, s, 0.33, 0.909 + 0.001 * s, False) for s in range(3)]
        + [("ex1", "relu", 20, s, 0.3, acc, False) for s, acc in enumerate([0.78, 0.99, 0.93])]
        + [("ex1", "sigmoid", 40, s, 0.3, 0.93, False) for s in range(3)]
    )
    settings = {"ex1": {"epochs": 5, "learning_rate": 0.01, "initializer": "glorot_uniform"}}
    cmp = tables.comparison_with_report(REFERENCE, m, None, settings)
    row = cmp.set_index(["activation", "depth", "metric"])
    assert not row.loc[("tanh", 5, "test_accuracy"), "differs"]
    assert row.loc[("relu", 20, "test_accuracy"), "differs"]
    # seeds that spread put a net at the edge of trainability, whatever its depth; agreeing seeds do not
    assert (
        "edge of trainability: its seeds spread by sd 0.11" in row.loc[("relu", 20, "test_accuracy"), "likely_reason"]
    )
    assert row.loc[("sigmoid", 40, "test_accuracy"), "likely_reason"].startswith("training settings")
    bound = cmp[cmp.metric == "derivative_max"].iloc[0]
    assert bound.differs and "1.15393" in bound.likely_reason
    # on another data set, the data are the likely reason, and the arithmetic slip is still the report's
    other = tables.comparison_with_report(
        REFERENCE, m, None, {"ex1": {}}, dataset="Fashion-MNIST", report_suffix=" (MNIST)"
    )
    other = other.set_index(["activation", "depth", "metric"])
    assert other.loc[("relu", 20, "test_accuracy"), "likely_reason"].startswith("the data: the report measured MNIST")
    assert "1.15393" in other.loc[("lecun", "", "derivative_max"), "likely_reason"]
    assert "numbers (MNIST) beside the pipeline's on Fashion-MNIST" in tables.comparison_markdown(
        other, "Fashion-MNIST", " (MNIST)"
    )
    assert tables.comparison_markdown(cmp.reset_index(drop=True)).startswith(
        "# The report's numbers beside the pipeline's on MNIST\n"
    )


def test_comparisons_cover_every_claim_of_the_grid_with_intervals():
    rows = []
    for depth in (5, 40):
        for (ex, act), accs in {
            ("ex1d_trained", "lecun"): [0.961, 0.963, 0.965],
            ("ex1d_trained", "tanh"): [0.943, 0.945, 0.947],
            ("ex1", "tanh"): [0.940, 0.945, 0.944],
            ("ex1", "relu"): [0.11, 0.35, np.nan],  # the third seed diverged
            ("cure_he_init", "relu"): [0.94, 0.95, 0.93],
        }.items():
            rows += [(ex, act, depth, s, 0.3, a, bool(np.isnan(a))) for s, a in enumerate(accs)]
    cnn = pd.DataFrame(dict(test_accuracy=[0.9939, 0.9932, 0.9931]))
    table = comparisons.comparisons_table(
        metrics_frame(rows), 40, cnn=cnn, report_cnn=0.9916, settings={"cure_he_init": "He init"}
    )
    assert list(table.comparison) == [
        "LeCun's tanh beats Tanh at 5 layers",
        "LeCun's tanh beats Tanh at 40 layers",
        "Tanh beats ReLU at 40 layers",
        "ReLU (He init) beats ReLU (Glorot) at 5 layers",
        "ReLU (He init) beats ReLU (Glorot) at 40 layers",
        "ReLU (He init) is as good as Tanh at 40 layers",
        "The CNN beats the report's 0.9916",
    ]
    row = comparisons.find(table, ("ex1d_trained", "lecun", 40), ("ex1d_trained", "tanh", 40))
    assert row["diff"] == pytest.approx(0.018) and row.holds and row.p < 0.01
    tanh_relu = comparisons.find(table, ("ex1", "tanh", 40), ("ex1", "relu", 40))
    # the diverged seed counts as a failure, at chance
    assert tanh_relu.seeds_b == 3 and tanh_relu.diverged_b == 1
    assert tanh_relu.mean_b == pytest.approx((0.11 + 0.35 + comparisons.FAILED_ACCURACY) / 3)
    # dropped, 0.11 and 0.35 alone could not put the difference above 0; the failure counted, Tanh's lead is clear
    assert tanh_relu.holds and not stats.welch([0.940, 0.945, 0.944], [0.11, 0.35])["p"] < 0.05
    he_tanh = table[table.claim == "as good as"].iloc[0]
    assert he_tanh.holds == (he_tanh.lower > -comparisons.MARGIN and he_tanh.p_holm < comparisons.ALPHA)
    cnn_row = table.iloc[-1]  # outside the networks' family: its own p decides
    assert cnn_row.test == "one-sample t" and cnn_row.p_holm == cnn_row.p < 0.05 and cnn_row.holds
    # one family: every claim holds by its Holm-adjusted p, never below its own p
    nets = table.iloc[:-1]
    assert nets.p_holm.tolist() == pytest.approx(stats.holm(nets.p).tolist())
    assert (table.p_holm >= table.p).all() and table.p_holm.max() <= 1
    assert (
        table.holds == ((table.p_holm < comparisons.ALPHA) & ((table["diff"] > 0) | (table.claim != "beats")))
    ).all()
    md = comparisons.comparisons_markdown(table)
    assert md.count("\n| ") == len(table) + 1 and "**no**" in md and "p (Holm)" in md


def test_a_claim_that_passes_alone_can_fail_in_its_family():
    # three seeds a side, a clear but small difference: p about 0.01 alone, several such claims in a family
    a, b = [0.950, 0.953, 0.956], [0.942, 0.945, 0.948]
    rows = [("ex1d_trained", act, d, s, 0.3, acc, False) for d in (5, 20, 40) for act, accs in
            (("lecun", a), ("tanh", b)) for s, acc in enumerate(accs)]  # fmt: skip
    table = comparisons.comparisons_table(metrics_frame(rows), 40)
    assert len(table) == 3 and (table.p < comparisons.ALPHA).all()
    assert table.p_holm.tolist() == pytest.approx((3 * table.p).tolist())  # equal p: each times 3
    assert table.holds.tolist() == [bool(3 * p < comparisons.ALPHA) for p in table.p]


def activation_rows(exercise, activation, depth, per_layer):
    rows = []
    for seed in (0, 1):
        for epoch in (0, 5):
            for layer in range(1, depth + 1):
                for stat, value in per_layer(epoch, layer).items():
                    rows.append(dict(exercise=exercise, activation=activation, depth=depth, seed=seed,
                                     epoch=epoch, layer=layer, stat=stat, value=value))  # fmt: skip
    return rows


def test_claims_verdicts_follow_the_numbers():
    depth = 4
    acts = pd.DataFrame(
        activation_rows(
            "ex1", "relu", depth, lambda e, layer: {"dead_fraction": 0.02, "bias_mean": 0.001, "a_std": 0.5**layer}
        )
        + activation_rows("ex1", "sigmoid", depth, lambda e, layer: {"saturated_fraction": 0.0, "a_mean": 0.5})
        + activation_rows("ex1", "tanh", depth, lambda e, layer: {"a_mean": 0.01})
    )
    grads = pd.DataFrame(
        [
            dict(
                exercise="ex1",
                activation=a,
                depth=depth,
                seed=s,
                epoch=0,
                layer=layer,
                quantity="activation_grad",
                stat="max_abs",
                value=(1e-3 ** (depth - layer)) if a == "sigmoid" else 1.0,
            )  # fmt: skip
            for a in ("sigmoid", "tanh")
            for s in (0, 1)
            for layer in range(1, depth + 2)
        ]
    )

    def metrics(he_accuracy):
        groups = {("ex1", "relu"): 0.11, ("cure_he_init", "relu"): he_accuracy, ("ex1", "tanh"): 0.93,
                  ("cure_selu", "selu"): he_accuracy + 0.01}  # fmt: skip
        return metrics_frame([(ex, act, depth, seed, 0.3, acc + 0.002 * seed, False)
                              for (ex, act), acc in groups.items() for seed in range(3)])  # fmt: skip

    def verdicts(he_accuracy):
        m = metrics(he_accuracy)
        compared = comparisons.comparisons_table(m, depth)
        table = claims.claims_table(m, acts, grads, compared, depth)
        table.index = ["a", "b", "c", "d", "e"]
        return table, compared

    table, compared = verdicts(0.95)
    assert table.loc["a", "verdict"] == "mixed"  # gradients vanish, outputs do not saturate
    assert table.loc["b", "verdict"] == "not supported" and "vanishing" in table.loc["b", "why"]
    assert "He init, which keeps its variance, beats Glorot (Holm-adjusted p < 0.05)" in table.loc["b", "why"]
    assert table.loc["c", "verdict"] == "mixed"  # ReLU + He and SELU are as good as Tanh
    assert table.loc["d", "verdict"] == "not measured"  # no ReLU probe rows and no intervention blocks here
    assert table.loc["e", "verdict"] == "not measured"  # no BatchNorm nets here
    assert "95 % CI" in table.loc["c", "numbers"]
    # the same networks far below Tanh: not as good, so zero-centring is all that is left
    assert verdicts(0.80)[0].loc["c", "verdict"] == "supported"
    md = claims.claims_markdown(table.reset_index(drop=True))
    assert md.count("**Verdict:**") == 5 and "Thresholds:" in md
