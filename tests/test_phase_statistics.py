"""The phase diagram over seeds, on constructed grids whose answers are known: P(train) per cell, the
agreement read from the nets, the bootstrap over seeds and its verdicts, the two baselines, and the
fitted n (its set of maximisers and its sensitivity to the threshold)."""

import numpy as np
import pandas as pd
import pytest

from depthstudy import phase_diagram, theory

SIGMAS = (1.0, 1.5, 1.75, 2.0, 3.0, 4.0)
DEPTHS = (10, 20, 40, 80)
CRITICAL = 1.761


def nets(accuracy, seeds=5, step=100) -> pd.DataFrame:
    """Per-net rows of a grid: ``accuracy(sigma_w2, depth, seed)`` is each net's training accuracy."""
    rows = []
    for sigma_w2 in SIGMAS:
        for depth in DEPTHS:
            for seed in range(seeds):
                acc = accuracy(sigma_w2, depth, seed)
                rows.append(dict(sigma_w2=sigma_w2, depth=depth, seed=seed, step=step, split="train_subset",
                                 accuracy=acc))  # fmt: skip
                rows.append(dict(sigma_w2=sigma_w2, depth=depth, seed=seed, step=step, split="test", accuracy=acc))
    return pd.DataFrame(rows)


def xi_c(sigma_w2):
    return theory.scales("tanh", sigma_w2, 0.05)["xi_c"]


def summarise(frame, threshold=0.5):
    cells = phase_diagram.cells(frame, "tanh", 0.05, threshold)
    outcome = phase_diagram.outcomes(frame, threshold)
    return cells, phase_diagram.summary(cells, outcome, CRITICAL).iloc[0]


def test_p_train_is_the_share_of_seeds_above_the_threshold_and_agreement_counts_nets():
    # seed s trains where L < 6 xi_c, and, in the cells at 40 layers, only seeds 0 and 1 do
    def accuracy(sigma_w2, depth, seed):
        if depth == 40:
            return 0.7 if seed < 2 else 0.1
        return 0.9 if depth < 6 * xi_c(sigma_w2) else 0.11

    cells, row = summarise(nets(accuracy))
    at40 = cells[cells.depth == 40]
    assert (at40.p_train == 0.4).all() and not at40.trains.any()  # 2 of 5: not half
    assert cells.loc[cells.depth != 40, "p_train"].isin([0.0, 1.0]).all()
    # by hand: a cell predicted to train scores P(train), else 1 - P(train)
    expected = np.mean(np.where(cells.predicted, cells.p_train, 1 - cells.p_train))
    assert row.agreement == pytest.approx(expected) and row.agreement < 1
    assert row.seeds == 5 and row.nets_trained == pytest.approx(cells.p_train.mean())
    # the mean accuracy's interval stays within [0, 1]
    assert (cells.ci_lower >= 0).all() and (cells.ci_upper <= 1).all()


def test_the_bootstrap_resamples_whole_seeds():
    trained = np.array([[1, 0, 0, 0, 0], [1, 1, 1, 1, 1]], float)
    boot = phase_diagram.bootstrap_p(trained, resamples=4000)
    assert boot.shape == (4000, 2) and (boot[:, 1] == 1).all()  # a cell where every seed trains
    # one seed of five: P(train) over resamples is Binomial(5, 0.2) / 5
    assert boot[:, 0].mean() == pytest.approx(0.2, abs=0.01)
    assert phase_diagram.interval(boot[:, 0]) == (0.0, 0.6)  # P(X >= 3) = 0.058, P(X >= 4) = 0.007
    assert np.mean(boot[:, 0] == 0) == pytest.approx(0.8**5, abs=0.02)
    # the same stream every time: the same nets give the same intervals
    assert (phase_diagram.bootstrap_p(trained) == phase_diagram.bootstrap_p(trained)).all()


def test_verdicts_read_their_intervals():
    # every net as predicted by 6 xi_c: the theory's agreement is 1 on every resample
    exact = nets(lambda s, d, seed: 0.9 if d < 6 * xi_c(s) else 0.1)
    _, row = summarise(exact)
    assert row.agreement == row.agreement_low == row.agreement_high == 1.0
    assert row.verdict_agreement == "holds" and row.verdict_away == "holds"
    assert row.verdict_beats_depth_only == "holds"  # which depths train depends on sigma_w^2
    # 80 layers train at sigma_w^2 1.75 (6 xi_c = 2557), 20 at 1 (21.8) and 40 at 4 (41.9)
    assert row.peak and row.peak_share == 1.0 and row.verdict_peak == "holds"
    # nets at 20 and 40 layers train at random (seeds 0-2 of 5 in some cells, none in others)
    rng = np.random.default_rng(3)
    coin = {(s, d, seed): rng.random() < 0.5 for s in SIGMAS for d in DEPTHS for seed in range(5)}
    noisy = nets(lambda s, d, seed: (0.9 if coin[s, d, seed] else 0.1) if d in (20, 40) else 0.1)
    _, row = summarise(noisy)
    assert row.agreement_low < row.agreement < row.agreement_high
    assert row.verdict_agreement == "fails" and row.agreement_theory_high < 0.9
    # one seed has no interval: undecided, whatever the point estimate says
    _, single = summarise(nets(lambda s, d, seed: 0.9 if d < 6 * xi_c(s) else 0.1, seeds=1))
    assert single.agreement == 1.0 and single.verdict_agreement == "undecided"
    assert phase_diagram.verdict(0.91, 0.97, 0.90, 5) == "holds"
    assert phase_diagram.verdict(0.85, 0.92, 0.90, 5) == "undecided"
    assert phase_diagram.verdict(0.80, 0.89, 0.90, 5) == "fails"
    assert phase_diagram.verdict(-0.02, 0.0, 0.0, 5) == "fails"  # a difference must clear 0 to beat


def test_a_sigma_window_that_explains_every_net_beats_the_theory():
    # trainability set by sigma_w^2 alone: 1.5 to 2 train at every depth, the others never
    window = nets(lambda s, d, seed: 0.9 if 1.5 <= s <= 2.0 else 0.1)
    _, row = summarise(window)
    assert row.window_agreement == 1.0 and (row.window_low, row.window_high) == (1.5, 2.0)
    assert row.verdict_beats_window == "fails" and row.theory_minus_window < 0
    # depth alone can do no better than "none trains" or "all train"
    assert row.depth_only_agreement == pytest.approx(0.5)


def test_fitted_n_is_its_set_of_maximisers_and_moves_with_the_threshold():
    # accuracy 0.65 up to 4 xi_c, 0.9 below 2 xi_c: "above 0.5" fits n near 4, "above 0.7" near 2
    def accuracy(sigma_w2, depth, seed):
        return 0.9 if depth < 2 * xi_c(sigma_w2) else 0.65 if depth < 4 * xi_c(sigma_w2) else 0.1

    _, row = summarise(nets(accuracy, seeds=2))
    ns = phase_diagram.maximisers([d for _ in SIGMAS for d in DEPTHS], [xi_c(s) for s in SIGMAS for _ in DEPTHS],
                                  [1.0 if d < 4 * xi_c(s) else 0.0 for s in SIGMAS for d in DEPTHS])  # fmt: skip
    assert row.fitted_n_low == ns.min() and row.fitted_n_high == ns.max()
    assert row.fitted_n_low <= 4.0 <= row.fitted_n_high
    at_05, at_07 = row["fitted_n_at_0.5"], row["fitted_n_at_0.7"]
    assert at_05 == row.fitted_n_set and at_05 != at_07
    low_07 = float(at_07.split("–")[0])
    assert low_07 <= 2.0 < float(at_07.split("–")[-1].split(",")[0]) < row.fitted_n_low
    # a set of maximisers that is not one interval is shown as the set, and no single n is claimed
    assert phase_diagram.ranges_text([7.2, 7.25, 7.3, 8.1, 8.15]) == "7.20–7.30, 8.10–8.15"
    assert phase_diagram.ranges_text([]).startswith("none")


def test_a_cell_that_lacks_a_seed_is_named():
    frame = nets(lambda s, d, seed: 0.9, seeds=2)
    frame = frame[~((frame.sigma_w2 == 3.0) & (frame.depth == 40) & (frame.seed == 1))]
    cells = phase_diagram.cells(frame, "tanh", 0.05, 0.5)
    with pytest.raises(ValueError, match="sigma_w2 3, depth 40 lacks seeds"):
        phase_diagram.summary(cells, phase_diagram.outcomes(frame, 0.5), CRITICAL)
