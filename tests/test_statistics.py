"""The statistics of the study's verdicts: diverged seeds counted as failures, groups without spread
judged against the metric's resolution, intervals within their metric's bounds, and verdicts that
must hold on two disjoint seed sets."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from depthstudy import claims, comparisons, stats

COLUMNS = ["exercise", "activation", "depth", "seed", "test_loss", "test_accuracy", "diverged"]
RESOLUTION = 1e-4  # one image of MNIST's 10,000 test images


def frame(groups: dict, seeds=(0, 1, 2)) -> pd.DataFrame:
    """Metrics rows: {(exercise, activation, depth): accuracies, one per seed}; NaN is a diverged seed."""
    rows = [
        (ex, act, depth, seed, 0.3, acc, bool(np.isnan(acc)))
        for (ex, act, depth), accs in groups.items()
        for seed, acc in zip(seeds, accs, strict=True)
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


# --- a diverged seed is a failed net ---------------------------------------------------------------


def test_a_diverged_seed_counts_as_a_failure_at_chance():
    he, glorot = ("cure_he_init", "relu", 40), ("ex1", "relu", 40)
    metrics = frame({he: [0.95, 0.96, np.nan], glorot: [0.50, 0.52, 0.51]})
    table = comparisons.comparisons_table(metrics, 40, settings={"cure_he_init": "He init"})
    row = comparisons.find(table, he, glorot)
    assert row.seeds_a == 3 and row.diverged_a == 1 and row.diverged_b == 0
    assert row.mean_a == pytest.approx((0.95 + 0.96 + comparisons.FAILED_ACCURACY) / 3)
    ref = st.ttest_ind([0.95, 0.96, comparisons.FAILED_ACCURACY], [0.50, 0.52, 0.51], equal_var=False)
    assert row.p == pytest.approx(ref.pvalue)
    # the two finished seeds alone would beat Glorot by far; with the failure counted the claim falls
    dropped = stats.welch([0.95, 0.96], [0.50, 0.52, 0.51])
    assert dropped["p"] < 0.01 and not row.holds
    md = comparisons.comparisons_markdown(comparisons.with_stability(table, None, None))
    assert "(3, 1 diverged)" in md


# --- no spread: the metric's resolution decides ------------------------------------------------------


def test_groups_without_spread_are_judged_against_the_resolution():
    one_image = stats.welch([0.1135] * 3, [0.1136] * 3, resolution=RESOLUTION)
    # each sd counts as one image: Welch's test on those summary statistics
    ref = st.ttest_ind_from_stats(0.1135, RESOLUTION, 3, 0.1136, RESOLUTION, 3, equal_var=False)
    assert one_image["p"] == pytest.approx(ref.pvalue) and one_image["p"] > 0.05
    assert one_image["lower"] < 0 < one_image["upper"]
    hundred_images = stats.welch([0.1135] * 3, [0.1235] * 3, resolution=RESOLUTION)
    assert hundred_images["p"] < 1e-3 and hundred_images["upper"] < 0
    # without a resolution a difference of one image between constant groups would be exact
    assert stats.welch([0.1135] * 3, [0.1136] * 3)["p"] == 0.0
    # a spread larger than the resolution is the test's own: the floor leaves it alone
    a, b = [0.931, 0.936, 0.933], [0.921, 0.927, 0.926]
    assert stats.welch(a, b, resolution=RESOLUTION)["p"] == pytest.approx(st.ttest_ind(a, b, equal_var=False).pvalue)
    assert stats.one_sample([0.1135] * 3, 0.1136, resolution=RESOLUTION)["p"] > 0.05


def test_the_comparisons_table_uses_the_resolution():
    lecun, tanh = ("ex1d_trained", "lecun", 40), ("ex1d_trained", "tanh", 40)
    metrics = frame({lecun: [0.1136] * 3, tanh: [0.1135] * 3})
    exact = comparisons.comparisons_table(metrics, 40).iloc[0]
    judged = comparisons.comparisons_table(metrics, 40, resolution=RESOLUTION).iloc[0]
    assert exact.holds and exact.p == 0.0
    assert not judged.holds and judged.p > 0.05 and judged.test == "Welch's t"


# --- bounded intervals ----------------------------------------------------------------------------


def test_an_accuracy_interval_stays_within_0_and_1():
    values = [0.11, 0.93]
    mean, lower, upper = stats.mean_ci(values)
    assert lower < 0 and upper > 1  # Student's t over two spread seeds: [-4.69, 5.73]
    assert stats.mean_ci(values, bounds=(0.0, 1.0)) == (pytest.approx(0.52), 0.0, 1.0)
    # an interval inside the bounds is unchanged, and NaN (one seed) stays NaN
    assert stats.mean_ci([0.90, 0.92, 0.94], bounds=(0.0, 1.0)) == pytest.approx(stats.mean_ci([0.90, 0.92, 0.94]))
    assert math.isnan(stats.mean_ci([0.5], bounds=(0.0, 1.0))[1])
    assert stats.clip_interval(-0.2, 0.4, (0.0, math.inf)) == (0.0, 0.4)
    with pytest.raises(ValueError, match="lower bound is above"):
        stats.clip_interval(0.1, 0.2, (1.0, 0.0))


def test_a_difference_of_accuracies_stays_within_plus_minus_1():
    a, b = [0.05, 0.98], [0.90, 0.91]
    free, kept = stats.welch(a, b), stats.welch(a, b, bounds=(-1.0, 1.0))
    assert free["lower"] < -1 and free["upper"] > 1
    assert (kept["lower"], kept["upper"]) == (-1.0, 1.0)
    assert (kept["p"], kept["t"], kept["diff"]) == (free["p"], free["t"], free["diff"])  # only the interval


# --- verdicts over two seed sets ---------------------------------------------------------------------


def test_a_verdict_that_differs_between_two_seed_sets_is_undecided():
    lecun, tanh = ("ex1d_trained", "lecun", 40), ("ex1d_trained", "tanh", 40)
    relu, tanh1 = ("ex1", "relu", 40), ("ex1", "tanh", 40)
    first = frame({lecun: [0.961, 0.963, 0.965], tanh: [0.943, 0.945, 0.947],
                   tanh1: [0.94, 0.945, 0.944], relu: [0.11, 0.12, 0.115]})  # fmt: skip
    # the second set: Tanh still beats ReLU, but LeCun's tanh no longer beats Tanh
    second = frame({lecun: [0.944, 0.950, 0.940], tanh: [0.946, 0.944, 0.948],
                    tanh1: [0.95, 0.94, 0.945], relu: [0.10, 0.13, 0.11]}, seeds=(3, 4, 5))  # fmt: skip
    metrics = pd.concat([first, second], ignore_index=True)
    table = comparisons.stable_comparisons(metrics, 40, [0, 1, 2], [3, 4, 5]).set_index("comparison")
    beats = table.loc["LeCun's tanh beats Tanh at 40 layers"]
    assert beats.holds and not beats.holds_b and beats.verdict == "undecided"
    tanh_relu = table.loc["Tanh beats ReLU at 40 layers"]
    assert tanh_relu.holds and tanh_relu.holds_b and tanh_relu.verdict == "holds"
    assert tanh_relu.seeds_b_set == 3
    # both sets together: six seeds a side, the first set's table on its own is unchanged
    both = comparisons.comparisons_table(metrics, 40).set_index("comparison")
    assert table.p_holm_both.to_dict() == pytest.approx(both.p_holm.to_dict())
    alone = comparisons.comparisons_table(first, 40).set_index("comparison")
    assert table.p_holm.to_dict() == pytest.approx(alone.p_holm.to_dict())
    md = comparisons.comparisons_markdown(table.reset_index())
    assert "**undecided**" in md and "second set" in md
    # one seed set: each verdict is that set's
    single = comparisons.stable_comparisons(first, 40, [0, 1, 2])
    assert single.verdict.tolist() == ["holds", "holds"] and single.holds_b.isna().all()
    with pytest.raises(ValueError, match="seeds_b \\[2, 3\\] shares seeds"):
        comparisons.stable_comparisons(metrics, 40, [0, 1, 2], [2, 3])


def probe_rows(exercise, activation, depth, seeds, per_layer):
    return [
        dict(exercise=exercise, activation=activation, depth=depth, seed=seed, epoch=epoch, layer=layer, stat=stat,
             value=value)
        for seed in seeds
        for epoch in (0, 5)
        for layer in range(1, depth + 1)
        for stat, value in per_layer(layer).items()
    ]  # fmt: skip


def test_a_claim_whose_verdict_differs_between_two_seed_sets_is_undecided():
    depth, seeds = 4, range(6)
    activations = pd.DataFrame(
        probe_rows("ex1", "relu", depth, seeds, lambda layer: {"dead_fraction": 0.02, "bias_mean": 0.0,
                                                                 "a_std": 0.5**layer})
        + probe_rows("ex1", "sigmoid", depth, seeds, lambda layer: {"saturated_fraction": 0.0, "a_mean": 0.5})
        + probe_rows("ex1", "tanh", depth, seeds, lambda layer: {"a_mean": 0.01})
    )  # fmt: skip
    gradients = pd.DataFrame(
        [dict(exercise="ex1", activation=a, depth=depth, seed=s, epoch=0, layer=layer, quantity="activation_grad",
              stat="max_abs", value=1.0) for a in ("sigmoid", "tanh") for s in seeds for layer in range(1, depth + 2)]
    )  # fmt: skip
    # ReLU + He and SELU are as good as Tanh on seeds 0-2, far below it on seeds 3-5
    groups = {("ex1", "relu"): [0.11] * 6, ("ex1", "tanh"): [0.93, 0.932, 0.934] * 2,
              ("cure_he_init", "relu"): [0.95, 0.952, 0.954, 0.80, 0.802, 0.804],
              ("cure_selu", "selu"): [0.96, 0.962, 0.964, 0.81, 0.812, 0.814]}  # fmt: skip
    metrics = pd.DataFrame(
        [
            (ex, act, depth, seed, 0.3, acc, False)
            for (ex, act), accs in groups.items()
            for seed, acc in enumerate(accs)
        ],
        columns=COLUMNS,
    )
    frames = dict(metrics=metrics, activations=activations, gradients=gradients)
    table = claims.stable_claims(frames, depth, [0, 1, 2], [3, 4, 5], resolution=RESOLUTION)
    zero_centred = table[table.claim.str.startswith("(c)")].iloc[0]
    assert zero_centred.verdict == "mixed" and zero_centred.verdict_b == "supported"
    assert zero_centred.stability.startswith("undecided")
    assert table[table.claim.str.startswith("(a)")].stability.tolist() == ["the same on both seed sets"]
    assert (table.stability.str.startswith("undecided")).sum() == 1
    md = claims.claims_markdown(table)
    assert md.count("**Over two seed sets:** **undecided**") == 1
    assert md.count("**Over two seed sets:** stable") == len(table) - 1
    single = claims.stable_claims(frames, depth, [0, 1, 2])
    assert (single.stability == "one seed set").all() and "Over two seed sets" not in claims.claims_markdown(single)
