"""The trainability phase diagram: measured training accuracy over (sigma_w^2, depth) against the
mean-field prediction L < 6 xi_c (Schoenholz et al. 2017, Deep Information Propagation, Figs. 5, 6).

Three frames come out of the per-net CSVs of ``depthstudy.phase_training``:
- ``cells``: one row per (sigma_w^2, depth, snapshot step), the mean training accuracy over seeds
  with its 95 % interval, the depth scales, and "predicted" (L < 6 xi_c) against "trains" (mean
  training accuracy above the configured threshold);
- ``summary``: one row per snapshot, how well the rule predicts the cells (agreement, agreement away
  from the boundary, Cohen's kappa, the best prefactor n in L < n xi_c, the best rule that looks at
  depth alone);
- ``deepest``: the largest trainable depth per sigma_w^2 and snapshot, against the critical sigma_w^2.

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
CITATION = "Schoenholz, Gilmer, Ganguli & Sohl-Dickstein 2017, Deep Information Propagation (ICLR), Figs. 5-6"


def depth_scales_by_sigma_w2(activation: str, sigma_w2s, sigma_b2: float) -> pd.DataFrame:
    rows = [theory.scales(activation, float(s), sigma_b2) for s in sigma_w2s]
    return pd.DataFrame(rows)[["sigma_w2", "q_star", "chi_1", "c_star", "xi_c", "xi_grad", "decided_by"]]


def cells(nets: pd.DataFrame, activation: str, sigma_b2: float, threshold: float) -> pd.DataFrame:
    """One row per (sigma_w^2, depth, step): measured accuracy over seeds, prediction and outcome.
    ``nets``: the per-net CSVs, concatenated (columns sigma_w2, depth, seed, step, split, accuracy)."""
    train = nets[nets.split == "train_subset"]
    test = nets[nets.split == "test"].groupby(["sigma_w2", "depth"]).accuracy.mean().rename("test_accuracy")
    rows = []
    for (sigma_w2, depth, step), group in train.groupby(["sigma_w2", "depth", "step"]):
        mean, lower, upper = stats.mean_ci(group.accuracy)
        rows.append(dict(sigma_w2=sigma_w2, depth=depth, step=step, seeds=len(group), train_accuracy=mean,
                         ci_lower=lower, ci_upper=upper))  # fmt: skip
    out = pd.DataFrame(rows)
    out = out.merge(depth_scales_by_sigma_w2(activation, sorted(out.sigma_w2.unique()), sigma_b2), on="sigma_w2")
    out["test_accuracy"] = test.reindex(pd.MultiIndex.from_frame(out[["sigma_w2", "depth"]])).to_numpy()
    out["rule_depth"] = RULE_XI * out.xi_c
    out["predicted"] = out.depth < out.rule_depth
    out["trains"] = out.train_accuracy > threshold
    out["near_boundary"] = (out.depth - out.rule_depth).abs() <= BOUNDARY * out.rule_depth
    return out.sort_values(["step", "sigma_w2", "depth"]).reset_index(drop=True)


def kappa(a, b) -> float:
    """Cohen's kappa of two boolean ratings: agreement beyond what their shares give by chance."""
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    observed = np.mean(a == b)
    chance = a.mean() * b.mean() + (1 - a.mean()) * (1 - b.mean())
    return math.nan if chance == 1 else float((observed - chance) / (1 - chance))


def best_prefactor(depth, xi_c, trains) -> tuple[float, float, float]:
    """(n, low, high): the n of L < n xi_c that agrees with ``trains`` on the most cells; every n in
    [low, high] of PREFACTORS does as well, and n is the middle of that range."""
    depth, xi_c, trains = np.asarray(depth, float), np.asarray(xi_c, float), np.asarray(trains, bool)
    agreement = np.array([np.mean((depth < n * xi_c) == trains) for n in PREFACTORS])
    best = PREFACTORS[agreement == agreement.max()]
    return float(np.median(best)), float(best.min()), float(best.max())


def depth_only(depth, trains) -> tuple[float, float]:
    """(agreement, D) of the best rule that looks at depth alone: "trains if L <= D" (D may be below
    every depth or above it: all or none train)."""
    depth, trains = np.asarray(depth, float), np.asarray(trains, bool)
    cuts = np.concatenate([[0.0], np.unique(depth)])
    agreement = [np.mean((depth <= d) == trains) for d in cuts]
    best = int(np.argmax(agreement))
    return float(agreement[best]), float(cuts[best])


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per snapshot: how well L < 6 xi_c, and the best n xi_c, predict which cells train."""
    rows = []
    for step, cell in table.groupby("step"):
        far = cell[~cell.near_boundary]
        n, low, high = best_prefactor(cell.depth, cell.xi_c, cell.trains)
        if cell.trains.all() or not cell.trains.any():  # any n small (or large) enough fits: none is fitted
            n = low = high = math.nan
        baseline, baseline_depth = depth_only(cell.depth, cell.trains)
        rows.append(
            dict(
                step=step,
                cells=len(cell),
                trains=int(cell.trains.sum()),
                agreement=float(np.mean(cell.predicted == cell.trains)),
                cells_away=len(far),
                agreement_away=float(np.mean(far.predicted == far.trains)) if len(far) else math.nan,
                kappa=kappa(cell.predicted, cell.trains),
                fitted_n=n,
                fitted_n_low=low,
                fitted_n_high=high,
                agreement_fitted=float(np.mean((cell.depth < n * cell.xi_c) == cell.trains)) if n == n else math.nan,
                depth_only_agreement=baseline,
                depth_only_max_depth=baseline_depth,
            )
        )
    return pd.DataFrame(rows)


def deepest(table: pd.DataFrame) -> pd.DataFrame:
    """Per sigma_w^2 and snapshot: the largest depth that trains (0 if none) and 6 xi_c."""
    trained = table[table.trains].groupby(["step", "sigma_w2"]).depth.max()
    out = table.groupby(["step", "sigma_w2"]).agg(rule_depth=("rule_depth", "first"), xi_c=("xi_c", "first"))
    out["deepest_trainable"] = trained.reindex(out.index).fillna(0).astype(int)
    return out.reset_index()


def reproduction(table: pd.DataFrame, summary_frame: pd.DataFrame, critical: float) -> list[tuple[str, bool, str]]:
    """The checks that decide whether the paper's result is reproduced, at the last snapshot:
    (what, passed, the numbers)."""
    last = summary_frame.iloc[-1]
    cells_last = table[table.step == last.step]
    best = max(last.agreement, last.agreement_fitted if 4 <= last.fitted_n <= 8 else 0.0)
    per_sigma = deepest(cells_last).set_index("sigma_w2").deepest_trainable
    grid = per_sigma.index.to_numpy()
    nearest = float(grid[np.argmin(np.abs(grid - critical))])
    top = per_sigma.max()
    peak_ok = per_sigma[nearest] == top and top > 0
    falls = per_sigma.iloc[0] < top and per_sigma.iloc[-1] < top
    return [
        ("agreement with 6 ξc (or n ξc, n in 4-8) ≥ 0.90", bool(best >= 0.90), f"{best:.3f}"),
        ("agreement away from the boundary ≥ 0.95", bool(last.agreement_away >= 0.95), f"{last.agreement_away:.3f}"),
        (
            "the theory beats the best depth-only rule",
            bool(best > last.depth_only_agreement),
            f"{best:.3f} against {last.depth_only_agreement:.3f}",
        ),
        (
            f"the deepest trainable net at the σw² nearest the critical {critical:.3f} ({nearest:g})",
            bool(peak_ok),
            f"{per_sigma[nearest]} layers there, {top} at best",
        ),
        ("it falls off on both sides", bool(falls),
         f"{per_sigma.iloc[0]} at σw² {grid[0]:g}, {per_sigma.iloc[-1]} at {grid[-1]:g}"),
    ]  # fmt: skip


def phase_markdown(
    table: pd.DataFrame, summary_frame: pd.DataFrame, settings: dict, dataset: str, critical: float
) -> str:
    """phase_trainability.md: the setup, the verdicts, the summary per snapshot, the deepest trainable
    depth per sigma_w^2, and every cell."""
    checks = reproduction(table, summary_frame, critical)
    three = lambda value: number(value, 3)  # noqa: E731 (shares and scales)
    summary_rows = [
        [r.step, f"{r.trains} of {r.cells}", three(r.agreement), f"{three(r.agreement_away)} ({r.cells_away})",
         three(r.kappa),
         f"{r.fitted_n:.2f} ({r.fitted_n_low:.2f}–{r.fitted_n_high:.2f})" if r.fitted_n == r.fitted_n
         else "none (all or no cells train)",
         three(r.agreement_fitted), f"{three(r.depth_only_agreement)} (L ≤ {r.depth_only_max_depth:g})"]
        for r in summary_frame.itertuples()
    ]  # fmt: skip
    per = deepest(table)
    wide = per.pivot(index="sigma_w2", columns="step", values="deepest_trainable")
    scales = per.groupby("sigma_w2").rule_depth.first()
    cell_rows = [
        [r.step, f"{r.sigma_w2:g}", r.depth, three(r.train_accuracy),
         f"[{three(r.ci_lower)}, {three(r.ci_upper)}]" if r.seeds > 1 else "", three(r.xi_c), three(r.rule_depth),
         r.predicted, r.trains, three(r.test_accuracy)]
        for r in table.itertuples()
    ]  # fmt: skip
    return "\n".join(
        [
            f"# Trainability phase diagram on {dataset}: measured against L < 6 ξc",
            "",
            f"After {CITATION}. Produced by `depthstudy.phase_diagram`; nothing here is written by hand.",
            "",
            f"Setup: {settings['activation']} networks of width {settings['width']}, weights N(0, σw²/fan-in), "
            f"biases N(0, {settings['sigma_b2']}), plain SGD at rate {settings['learning_rate']}, batch "
            f"{settings['batch_size']}; training accuracy on the first {settings['train_subset']:,} training images "
            f"after {', '.join(map(str, settings['snapshots']))} steps, seeds {settings['seeds']}. A cell *trains* "
            f"when its mean training accuracy is above {settings['trains_above']}; it is *predicted* to when "
            f"L < 6 ξc. *Away from the boundary*: |L − 6 ξc| > {BOUNDARY:.0%} of 6 ξc. The critical σw² (χ₁ = 1) "
            f"at σb² = {settings['sigma_b2']} is {critical:.3f}.",
            "",
            f"## Is the paper's result reproduced? (at {summary_frame.step.iloc[-1]} steps)",
            "",
            markdown_table(["check", "passed", "measured"], [list(check) for check in checks]),
            "## Agreement per snapshot",
            "",
            markdown_table(
                [
                    "steps",
                    "cells that train",
                    "agreement with 6 ξc",
                    "away from the boundary (cells)",
                    "Cohen's κ",
                    "fitted n (range)",
                    "agreement with n ξc",
                    "best depth-only rule",
                ],
                summary_rows,
            ),  # fmt: skip
            "## The deepest trainable net per σw² (0: none trains)",
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
                    "training accuracy",
                    "95 % CI",
                    "ξc",
                    "6 ξc",
                    "predicted",
                    "trains",
                    "test accuracy",
                ],
                cell_rows,
            ),  # fmt: skip
        ]
    )
