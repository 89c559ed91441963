"""The trainability phase diagram: measured training accuracy over (sigma_w^2, depth) against the
mean-field prediction L < 6 xi_c (Schoenholz et al. 2017, Deep Information Propagation, Figs. 5, 6),
over seeds.

A net *trains* when its training accuracy is above the configured threshold. Over seeds, a cell
(sigma_w^2, depth) has P(train), the share of its seeds that train: the nets of the disputed cells
are bimodal (a net either stays at chance or trains), so a mean accuracy near the threshold says
less than the share. Every score below is read from the nets, not from a cell's majority: the
agreement of a rule with the measurements is the share of nets (cells x seeds) whose outcome the
rule predicts, the mean over cells of P(train) where it predicts training and 1 - P(train) where not.

Uncertainty comes from a bootstrap over seeds: a seed is one draw of every net of the grid (the nets
of a seed share their random numbers), so whole seeds are resampled, with replacement, and every
score, baseline and fitted n recomputed on each resample. Its 2.5 and 97.5 percentiles are the 95 %
interval, and each criterion's verdict reads it: *holds* when the whole interval clears the bar,
*fails* when none of it does, *undecided* when it straddles the bar. One seed has no interval: every
verdict is undecided.

Frames:
- ``outcomes``: one row per net and snapshot, its training accuracy and whether it trains;
- ``cells``: one row per (sigma_w^2, depth, step): seeds, mean training accuracy with its 95 % interval
  (within [0, 1]), P(train), the depth scales, and "predicted" (L < 6 xi_c);
- ``summary``: one row per snapshot: the agreements with their intervals, the two baselines that the
  theory must beat (a depth cut alone, a sigma_w^2 window alone, each the best one for the data),
  the fitted n of L < n xi_c (the set of its maximisers) and its sensitivity to the threshold, and
  the criteria's verdicts;
- ``deepest``: the largest depth where at least half the seeds train, per sigma_w^2 and snapshot.

pandas, numpy and scipy only; the heatmap is drawn by ``depthstudy.theory_figures.phase_diagram``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from depthstudy import stats, theory
from depthstudy.markdown import number
from depthstudy.markdown import table as markdown_table

RULE_XI = theory.TRAINABLE_XI  # the paper's prefactor: L < 6 xi_c
BOUNDARY = 0.25  # "away from the boundary": |L - 6 xi_c| > 25 % of 6 xi_c
PREFACTORS = np.round(np.arange(0.5, 20.0001, 0.05), 2)  # the n tried in L < n xi_c
PAPER_N = (4.0, 8.0)  # "about 6": the prefactors that count as the paper's rule
THRESHOLDS = (0.5, 0.6, 0.7)  # the fitted n's sensitivity to what "trains" means
BOOTSTRAP = 2000  # resamples of the seeds
BOOTSTRAP_SEED = 0  # a fixed stream: the same nets give the same intervals
LEVEL = 0.95
# The criteria set before the run: (name, what, bar). Agreements must reach the bar; "beats" rows
# are differences (theory minus baseline) that must lie above 0.
AGREEMENT_BAR, AWAY_BAR = 0.90, 0.95
CITATION = "Schoenholz, Gilmer, Ganguli & Sohl-Dickstein 2017, Deep Information Propagation (ICLR), Figs. 5-6"


def depth_scales_by_sigma_w2(activation: str, sigma_w2s, sigma_b2: float) -> pd.DataFrame:
    rows = [theory.scales(activation, float(s), sigma_b2) for s in sigma_w2s]
    return pd.DataFrame(rows)[["sigma_w2", "q_star", "chi_1", "c_star", "xi_c", "xi_grad", "decided_by"]]


def outcomes(nets: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """One row per net and snapshot: sigma_w2, depth, seed, step, train_accuracy and trained
    (above ``threshold``). ``nets``: the per-net CSVs, concatenated."""
    train = nets[nets.split == "train_subset"]
    out = train[["sigma_w2", "depth", "seed", "step", "accuracy"]].rename(columns={"accuracy": "train_accuracy"})
    return out.assign(trained=out.train_accuracy > threshold).reset_index(drop=True)


def cells(nets: pd.DataFrame, activation: str, sigma_b2: float, threshold: float) -> pd.DataFrame:
    """One row per (sigma_w^2, depth, step): measured accuracy over seeds, P(train), prediction and
    outcome. ``nets``: the per-net CSVs, concatenated (columns sigma_w2, depth, seed, step, split,
    accuracy). A cell *trains* when at least half its seeds do."""
    test = nets[nets.split == "test"].groupby(["sigma_w2", "depth"]).accuracy.mean().rename("test_accuracy")
    rows = []
    for (sigma_w2, depth, step), group in outcomes(nets, threshold).groupby(["sigma_w2", "depth", "step"]):
        mean, lower, upper = stats.mean_ci(group.train_accuracy, bounds=(0.0, 1.0))
        rows.append(dict(sigma_w2=sigma_w2, depth=depth, step=step, seeds=len(group), train_accuracy=mean,
                         ci_lower=lower, ci_upper=upper, p_train=float(group.trained.mean())))  # fmt: skip
    out = pd.DataFrame(rows)
    out = out.merge(depth_scales_by_sigma_w2(activation, sorted(out.sigma_w2.unique()), sigma_b2), on="sigma_w2")
    out["test_accuracy"] = test.reindex(pd.MultiIndex.from_frame(out[["sigma_w2", "depth"]])).to_numpy()
    out["rule_depth"] = RULE_XI * out.xi_c
    out["predicted"] = out.depth < out.rule_depth
    out["trains"] = out.p_train >= 0.5
    out["near_boundary"] = (out.depth - out.rule_depth).abs() <= BOUNDARY * out.rule_depth
    return out.sort_values(["step", "sigma_w2", "depth"]).reset_index(drop=True)


def kappa(a, b) -> float:
    """Cohen's kappa of two boolean ratings: agreement beyond what their shares give by chance."""
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    observed = np.mean(a == b)
    chance = a.mean() * b.mean() + (1 - a.mean()) * (1 - b.mean())
    return math.nan if chance == 1 else float((observed - chance) / (1 - chance))


def agreement(rules, p_train) -> np.ndarray:
    """The share of nets whose outcome each rule predicts: rules (k, cells) of booleans against
    P(train) (m, cells), one row per resample; (k, m). Every cell weighs the same (as many seeds)."""
    r = np.atleast_2d(np.asarray(rules, float))
    p = np.atleast_2d(np.asarray(p_train, float))
    return (r @ p.T + (1 - r) @ (1 - p).T) / r.shape[1]


def prefactor_rules(depth, xi_c) -> np.ndarray:
    """L < n xi_c for every n of PREFACTORS: (len(PREFACTORS), cells)."""
    return np.asarray(depth, float)[None, :] < PREFACTORS[:, None] * np.asarray(xi_c, float)[None, :]


def depth_rules(depth) -> tuple[np.ndarray, np.ndarray]:
    """ "Trains if L <= D" for D = 0 (none trains) and every depth of the grid: (cuts, rules)."""
    depth = np.asarray(depth, float)
    cuts = np.concatenate([[0.0], np.unique(depth)])
    return cuts, depth[None, :] <= cuts[:, None]


def window_rules(sigma_w2) -> tuple[list[tuple[float, float]], np.ndarray]:
    """ "Trains if lo <= sigma_w^2 <= hi" for every window of the grid's sigma_w^2 values, and the
    empty one (none trains): (windows, rules)."""
    sigma_w2 = np.asarray(sigma_w2, float)
    values = np.unique(sigma_w2)
    windows = [(math.nan, math.nan)] + [(lo, hi) for i, lo in enumerate(values) for hi in values[i:]]
    rules = [np.zeros(sigma_w2.shape, bool)] + [(sigma_w2 >= lo) & (sigma_w2 <= hi) for lo, hi in windows[1:]]
    return windows, np.array(rules)


def maximisers(depth, xi_c, p_train) -> np.ndarray:
    """Every n of PREFACTORS whose rule L < n xi_c agrees with the most nets (all of them tie where
    no cell or every cell trains: then none is returned, as no n is fitted)."""
    p = np.asarray(p_train, float)
    if (p == 0).all() or (p == 1).all():
        return np.array([])
    scores = agreement(prefactor_rules(depth, xi_c), p)[:, 0]
    return PREFACTORS[np.isclose(scores, scores.max(), rtol=0, atol=1e-12)]


def ranges(values, step: float = 0.05) -> list[tuple[float, float]]:
    """Sorted grid values as runs of neighbours: [7.2, 7.25, 7.3, 8.1] -> [(7.2, 7.3), (8.1, 8.1)]."""
    runs = []
    for v in np.sort(np.asarray(values, float)):
        if runs and v - runs[-1][1] <= step * 1.5:
            runs[-1][1] = v
        else:
            runs.append([v, v])
    return [(float(a), float(b)) for a, b in runs]


def ranges_text(values) -> str:
    """The maximisers in words: one interval ("7.20–7.55") or the set of them ("7.20–7.55, 8.10–8.55")."""
    runs = ranges(values)
    if not runs:
        return "none (all or no cells train)"
    return ", ".join(f"{a:.2f}" if a == b else f"{a:.2f}–{b:.2f}" for a, b in runs)


def p_matrix(frame: pd.DataFrame, order: pd.MultiIndex) -> tuple[np.ndarray, np.ndarray]:
    """(trained, seeds): a (cells, seeds) 0/1 matrix of one snapshot's outcomes, cells in ``order``;
    an error names a cell that lacks a seed (every cell needs every seed: they are resampled together)."""
    wide = frame.pivot_table(index=["sigma_w2", "depth"], columns="seed", values="trained", aggfunc="first")
    wide = wide.reindex(order)
    if wide.isna().any().any():
        cell = wide.index[wide.isna().any(axis=1)][0]
        raise ValueError(f"cell sigma_w2 {cell[0]:g}, depth {cell[1]} lacks seeds of {list(wide.columns)}")
    return wide.to_numpy(float), wide.columns.to_numpy()


def bootstrap_p(trained: np.ndarray, resamples: int = BOOTSTRAP, seed: int = BOOTSTRAP_SEED) -> np.ndarray:
    """P(train) of every cell on ``resamples`` resamples of the seeds (columns of ``trained``), drawn
    with replacement: (resamples, cells)."""
    n = trained.shape[1]
    draws = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    weights = np.stack([np.bincount(row, minlength=n) for row in draws]) / n
    return weights @ trained.T


def interval(values) -> tuple[float, float]:
    """The 95 % percentile interval of bootstrap values."""
    tail = (1 - LEVEL) / 2 * 100
    return float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))


def verdict(lower: float, upper: float, bar: float, seeds: int) -> str:
    """*holds* when the whole interval lies above ``bar`` (at or above it for an agreement's bar; a
    difference's bar of 0 must be cleared), *fails* when all of it lies below, else *undecided*. One
    seed gives no interval: undecided."""
    if seeds < 2 or math.isnan(lower) or math.isnan(upper):
        return "undecided"
    if lower > bar or (bar != 0 and lower >= bar):
        return "holds"
    if upper < bar or (bar == 0 and upper <= 0):
        return "fails"
    return "undecided"


def peak(depth, sigma_w2, p_train, critical: float) -> np.ndarray:
    """Per row of ``p_train`` (resamples, cells): whether the deepest net where at least half the seeds
    train sits at the grid's sigma_w^2 nearest the critical one, with fewer layers at both ends."""
    depth, sigma_w2 = np.asarray(depth, float), np.asarray(sigma_w2, float)
    p = np.atleast_2d(np.asarray(p_train, float))
    grid = np.unique(sigma_w2)
    reached = np.where(p >= 0.5, depth[None, :], 0.0)
    per_sigma = np.stack([reached[:, sigma_w2 == s].max(axis=1) for s in grid], axis=1)  # (rows, sigmas)
    top = per_sigma.max(axis=1)
    nearest = int(np.argmin(np.abs(grid - critical)))
    return (top > 0) & (per_sigma[:, nearest] == top) & (per_sigma[:, 0] < top) & (per_sigma[:, -1] < top)


def _maximiser_bounds(fitted: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The smallest and largest maximising n per column of ``fitted`` (agreements, prefactors x rows);
    NaN for a row where no cell or every cell trains."""
    best = np.isclose(fitted, fitted.max(axis=0), rtol=0, atol=1e-12)
    low = np.where(best, PREFACTORS[:, None], np.inf).min(axis=0)
    high = np.where(best, PREFACTORS[:, None], -np.inf).max(axis=0)
    none = (p == 0).all(axis=1) | (p == 1).all(axis=1)
    return np.where(none, np.nan, low), np.where(none, np.nan, high)


def _snapshot(cell: pd.DataFrame, outcome: pd.DataFrame, critical: float) -> dict:
    """The summary row of one snapshot (``summary``)."""
    order = pd.MultiIndex.from_frame(cell[["sigma_w2", "depth"]])
    trained, seeds = p_matrix(outcome, order)
    p0 = trained.mean(axis=1)
    boot = bootstrap_p(trained)
    depth, xi, sigma = cell.depth.to_numpy(float), cell.xi_c.to_numpy(float), cell.sigma_w2.to_numpy(float)
    far = ~cell.near_boundary.to_numpy()
    predicted = cell.predicted.to_numpy()
    prefactors = prefactor_rules(depth, xi)
    paper = (PREFACTORS >= PAPER_N[0]) & (PREFACTORS <= PAPER_N[1])
    cuts, by_depth = depth_rules(depth)
    windows, by_window = window_rules(sigma)

    def scores(p):
        """Every score on P(train) rows ``p``: a dict of arrays, one value per row."""
        fitted = agreement(prefactors, p)
        return dict(
            agreement=agreement(predicted, p)[0],
            agreement_away=agreement(predicted[far], p[:, far])[0] if far.any() else np.full(len(p), math.nan),
            agreement_fitted=fitted.max(axis=0),
            agreement_theory=fitted[paper].max(axis=0),
            depth_only_agreement=agreement(by_depth, p).max(axis=0),
            window_agreement=agreement(by_window, p).max(axis=0),
        )

    point = {k: float(v[0]) for k, v in scores(p0[None, :]).items()}
    spread = scores(boot)
    spread["theory_minus_depth_only"] = spread["agreement_theory"] - spread["depth_only_agreement"]
    spread["theory_minus_window"] = spread["agreement_theory"] - spread["window_agreement"]
    point["theory_minus_depth_only"] = point["agreement_theory"] - point["depth_only_agreement"]
    point["theory_minus_window"] = point["agreement_theory"] - point["window_agreement"]
    best_cut = cuts[int(np.argmax(agreement(by_depth, p0)[:, 0]))]
    best_window = windows[int(np.argmax(agreement(by_window, p0)[:, 0]))]
    ns = maximisers(depth, xi, p0)
    runs = ranges(ns)
    boot_low, boot_high = _maximiser_bounds(agreement(prefactors, boot), boot)
    boot_low, boot_high = boot_low[~np.isnan(boot_low)], boot_high[~np.isnan(boot_high)]
    peaks = peak(depth, sigma, boot, critical)
    row = dict(
        cells=len(cell),
        seeds=len(seeds),
        trains=int((p0 >= 0.5).sum()),
        nets_trained=float(p0.mean()),
        cells_away=int(far.sum()),
        kappa=kappa(predicted, p0 >= 0.5),
        fitted_n=float((ns.min() + ns.max()) / 2) if len(runs) == 1 else math.nan,
        fitted_n_low=float(ns.min()) if ns.size else math.nan,
        fitted_n_high=float(ns.max()) if ns.size else math.nan,
        fitted_n_set=ranges_text(ns),
        fitted_n_ci_low=interval(boot_low)[0] if boot_low.size else math.nan,
        fitted_n_ci_high=interval(boot_high)[1] if boot_high.size else math.nan,
        depth_only_max_depth=float(best_cut),
        window_low=best_window[0],
        window_high=best_window[1],
        peak=bool(peak(depth, sigma, p0, critical)[0]),
        peak_share=float(peaks.mean()),
    )
    for name, value in point.items():
        row[name] = value
        row[f"{name}_low"], row[f"{name}_high"] = (
            interval(spread[name][~np.isnan(spread[name])]) if not math.isnan(value) else (math.nan, math.nan)
        )
    n_seeds = len(seeds)
    row["verdict_agreement"] = verdict(
        row["agreement_theory_low"], row["agreement_theory_high"], AGREEMENT_BAR, n_seeds
    )
    row["verdict_away"] = verdict(row["agreement_away_low"], row["agreement_away_high"], AWAY_BAR, n_seeds)
    row["verdict_beats_depth_only"] = verdict(
        row["theory_minus_depth_only_low"], row["theory_minus_depth_only_high"], 0.0, n_seeds
    )
    row["verdict_beats_window"] = verdict(row["theory_minus_window_low"], row["theory_minus_window_high"], 0.0, n_seeds)
    # a yes/no check: its interval over the resamples is [0, 0], [1, 1] or [0, 1]
    low, high = interval(peaks.astype(float))
    row["verdict_peak"] = verdict(low, high, 0.5, n_seeds)
    return row


def threshold_sensitivity(table: pd.DataFrame, outcome: pd.DataFrame, thresholds=THRESHOLDS) -> dict:
    """The fitted n (its maximisers, in words) of one snapshot when *trains* means a training accuracy
    above each of ``thresholds``: {"fitted_n_at_0.5": "7.20–7.55", ...}."""
    out = {}
    order = pd.MultiIndex.from_frame(table[["sigma_w2", "depth"]])
    for threshold in thresholds:
        at = outcome.assign(trained=outcome.train_accuracy > threshold)
        trained, _ = p_matrix(at, order)
        out[f"fitted_n_at_{threshold:g}"] = ranges_text(maximisers(table.depth, table.xi_c, trained.mean(axis=1)))
    return out


def summary(table: pd.DataFrame, outcome: pd.DataFrame, critical: float) -> pd.DataFrame:
    """One row per snapshot: how well L < 6 xi_c, the best n xi_c, and the two baselines predict which
    nets train, each with its bootstrap interval over seeds; the fitted n, its interval and its
    sensitivity to the threshold; and the verdicts of the criteria. ``outcome``: ``outcomes(...)``."""
    rows = []
    for step, cell in table.groupby("step"):
        at_step = outcome[outcome.step == step]
        rows.append(dict(step=step) | _snapshot(cell, at_step, critical) | threshold_sensitivity(cell, at_step))
    return pd.DataFrame(rows)


def deepest(table: pd.DataFrame) -> pd.DataFrame:
    """Per sigma_w^2 and snapshot: the largest depth where at least half the seeds train (0 if none)
    and 6 xi_c."""
    trained = table[table.trains].groupby(["step", "sigma_w2"]).depth.max()
    out = table.groupby(["step", "sigma_w2"]).agg(rule_depth=("rule_depth", "first"), xi_c=("xi_c", "first"))
    out["deepest_trainable"] = trained.reindex(out.index).fillna(0).astype(int)
    return out.reset_index()


def _window(row) -> str:
    """The best sigma_w^2 window in words ("none trains" for the empty one)."""
    return "none trains" if row.window_low != row.window_low else f"σw² {row.window_low:g}–{row.window_high:g}"


def _ci(row, name: str) -> str:
    value, low, high = row[name], row[f"{name}_low"], row[f"{name}_high"]
    return "–" if value != value else f"{value:.3f} [{low:.3f}, {high:.3f}]"


def reproduction(table: pd.DataFrame, summary_frame: pd.DataFrame, critical: float) -> list[tuple[str, str, str]]:
    """The criteria that decide whether the paper's result is reproduced, at the last snapshot:
    (what, verdict, the numbers with their 95 % intervals)."""
    last = summary_frame.iloc[-1]
    per_sigma = deepest(table[table.step == last.step]).set_index("sigma_w2").deepest_trainable
    grid = per_sigma.index.to_numpy()
    nearest = float(grid[np.argmin(np.abs(grid - critical))])
    return [
        (f"agreement with the best n ξc, n in {PAPER_N[0]:g}-{PAPER_N[1]:g}, ≥ {AGREEMENT_BAR:.2f}",
         last.verdict_agreement, _ci(last, "agreement_theory")),
        (f"agreement with 6 ξc away from the boundary ≥ {AWAY_BAR:.2f}", last.verdict_away,
         f"{_ci(last, 'agreement_away')} ({last.cells_away} cells)"),
        ("the theory beats the best depth-only rule", last.verdict_beats_depth_only,
         f"by {_ci(last, 'theory_minus_depth_only')} (depth only: {_ci(last, 'depth_only_agreement')}, "
         f"L ≤ {last.depth_only_max_depth:g})"),
        ("the theory beats the best σw²-window rule", last.verdict_beats_window,
         f"by {_ci(last, 'theory_minus_window')} (window only: {_ci(last, 'window_agreement')}, "
         f"{_window(last)})"),
        (f"the deepest trainable net at the σw² nearest the critical {critical:.3f} ({nearest:g}), falling off "
         "on both sides", last.verdict_peak,
         f"{per_sigma[nearest]} layers there, {per_sigma.max()} at best, {per_sigma.iloc[0]} at σw² {grid[0]:g}, "
         f"{per_sigma.iloc[-1]} at {grid[-1]:g}; holds in {last.peak_share:.0%} of the resamples"),
    ]  # fmt: skip


def phase_markdown(
    table: pd.DataFrame, summary_frame: pd.DataFrame, settings: dict, dataset: str, critical: float
) -> str:
    """phase_trainability.md: the setup, the verdicts, the summary per snapshot, the fitted n's
    sensitivity to the threshold, the deepest trainable depth per sigma_w^2, and every cell."""
    checks = reproduction(table, summary_frame, critical)
    three = lambda value: number(value, 3)  # noqa: E731 (shares and scales)
    summary_rows = [
        [r.step, f"{r.trains} of {r.cells}", f"{r.nets_trained:.3f}", _ci(r, "agreement"),
         f"{_ci(r, 'agreement_away')} ({r.cells_away})", three(r.kappa), r.fitted_n_set,
         "–" if r.fitted_n_ci_low != r.fitted_n_ci_low else f"[{r.fitted_n_ci_low:.2f}, {r.fitted_n_ci_high:.2f}]",
         _ci(r, "agreement_fitted"), f"{_ci(r, 'depth_only_agreement')} (L ≤ {r.depth_only_max_depth:g})",
         f"{_ci(r, 'window_agreement')} ({_window(r)})"]
        for _, r in summary_frame.iterrows()
    ]  # fmt: skip
    threshold_columns = [c for c in summary_frame.columns if c.startswith("fitted_n_at_")]
    per = deepest(table)
    wide = per.pivot(index="sigma_w2", columns="step", values="deepest_trainable")
    scales = per.groupby("sigma_w2").rule_depth.first()
    cell_rows = [
        [r.step, f"{r.sigma_w2:g}", r.depth, f"{r.p_train:.2f} ({r.seeds})", three(r.train_accuracy),
         f"[{three(r.ci_lower)}, {three(r.ci_upper)}]" if r.seeds > 1 else "", three(r.xi_c), three(r.rule_depth),
         r.predicted, three(r.test_accuracy)]
        for r in table.itertuples()
    ]  # fmt: skip
    seeds = int(summary_frame.seeds.iloc[-1])
    return "\n".join(
        [
            f"# Trainability phase diagram on {dataset}: measured against L < 6 ξc",
            "",
            f"After {CITATION}. Produced by `depthstudy.phase_diagram`; nothing here is written by hand.",
            "",
            f"Setup: {settings['activation']} networks of width {settings['width']}, weights N(0, σw²/fan-in), "
            f"biases N(0, {settings['sigma_b2']}), plain SGD at rate {settings['learning_rate']}, batch "
            f"{settings['batch_size']}; training accuracy on the first {settings['train_subset']:,} training images "
            f"after {', '.join(map(str, settings['snapshots']))} steps, seeds {settings['seeds']}. A net *trains* "
            f"when its training accuracy is above {settings['trains_above']}; a cell's *P(train)* is the share of "
            "its seeds that train, and a cell trains when at least half its seeds do. It is *predicted* to when "
            f"L < 6 ξc. *Away from the boundary*: |L − 6 ξc| > {BOUNDARY:.0%} of 6 ξc. The critical σw² (χ₁ = 1) "
            f"at σb² = {settings['sigma_b2']} is {critical:.3f}.",
            "",
            "*Agreement*: the share of nets (cells × seeds) whose outcome a rule predicts. In brackets, 95 % "
            f"intervals from a bootstrap over seeds ({BOOTSTRAP} resamples of whole seeds). The two baselines "
            "that the theory must beat are each the best rule of its kind for these very nets (fitted, so "
            "favoured): *depth only*, trains if L ≤ D, and *σw² window*, trains if σw² lies in a window. *Fitted "
            "n*: every n of L < n ξc (in steps of 0.05) that agrees with the most nets, as one interval or a set "
            "of them. A verdict *holds* when the whole interval clears the bar, *fails* when none of it does, "
            "and is *undecided* when it straddles the bar"
            + (" (one seed: no interval, every verdict undecided)." if seeds < 2 else "."),
            "",
            f"## Is the paper's result reproduced? (at {summary_frame.step.iloc[-1]} steps, {seeds} seeds)",
            "",
            markdown_table(["criterion", "verdict", "measured [95 % interval]"], [list(check) for check in checks]),
            "## Agreement per snapshot",
            "",
            markdown_table(
                [
                    "steps",
                    "cells that train",
                    "nets that train",
                    "agreement with 6 ξc",
                    "away from the boundary (cells)",
                    "Cohen's κ",
                    "fitted n",
                    "fitted n, 95 % interval",
                    "agreement with n ξc",
                    "best depth-only rule",
                    "best σw² window",
                ],
                summary_rows,
            ),  # fmt: skip
            "## The fitted n against the threshold of *trains*",
            "",
            markdown_table(
                ["steps", *[f"trains above {c.removeprefix('fitted_n_at_')}" for c in threshold_columns]],
                [[r.step, *[r[c] for c in threshold_columns]] for _, r in summary_frame.iterrows()],
            ),
            "## The deepest trainable net per σw² (at least half the seeds train; 0: none)",
            "",
            markdown_table(
                ["σw²", "6 ξc", *[f"{step} steps" for step in wide.columns]],
                [[f"{s:g}", three(scales[s]), *wide.loc[s].tolist()] for s in wide.index],
            ),
            "## Every cell",
            "",
            markdown_table(
                [
                    "steps",
                    "σw²",
                    "L",
                    "P(train) (seeds)",
                    "training accuracy",
                    "95 % CI",
                    "ξc",
                    "6 ξc",
                    "predicted",
                    "test accuracy",
                ],
                cell_rows,
            ),  # fmt: skip
        ]
    )
