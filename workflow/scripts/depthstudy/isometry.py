"""Dynamical isometry's training speed: critical nets with orthogonal against Gaussian weights.

Pennington, Schoenholz & Ganguli (2017) report that nets whose input-output Jacobian is isometric
learn much faster. The jobs (rule train_isometry, ``phase_training.train_row``) train the study's
MLP at the activation's order-to-chaos boundary for a small sigma_b^2, where orthogonal weights make
its Jacobian nearly isometric and Gaussian ones do not (jacobian_spectra.md), with the same biases,
batches and SGD; training accuracy is read at every snapshot step. This module reads the speed off
them: the steps each net needs to reach ``target_accuracy``, and a test of the difference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from depthstudy import markdown, stats

WEIGHTS = ("gaussian", "orthogonal")


def steps_to(net: pd.DataFrame, target: float) -> float:
    """The first snapshot step at which ``net``'s training accuracy reaches ``target``; NaN if none."""
    curve = net[net.split == "train_subset"].sort_values("step")
    reached = curve[curve.accuracy >= target]
    return float(reached.step.iloc[0]) if len(reached) else np.nan


def resolution(snapshots) -> float:
    """The snapshot grid's coarsest step in log10: a steps-to-target is known to within it."""
    steps = np.log10(sorted(snapshots))
    return float(np.diff(steps).max()) if len(steps) > 1 else 0.0


def per_net(nets: pd.DataFrame, target: float) -> pd.DataFrame:
    """One row per trained net: its steps to ``target`` and its final training and test accuracy."""
    rows = []
    for (depth, weights, seed), net in nets.groupby(["depth", "weights", "seed"]):
        train = net[net.split == "train_subset"].sort_values("step")
        rows.append(
            dict(
                depth=depth,
                weights=weights,
                seed=seed,
                steps_to_target=steps_to(net, target),
                final_train_accuracy=float(train.accuracy.iloc[-1]),
                test_accuracy=float(net[net.split == "test"].accuracy.iloc[0]),
            )
        )
    return pd.DataFrame(rows)


def speed_table(nets: pd.DataFrame, target: float, snapshots) -> pd.DataFrame:
    """Per depth: each weight law's steps to ``target`` over seeds (geometric mean; a net that never
    reaches it counts as the last snapshot, which favours it), and Welch's test of orthogonal against
    Gaussian on log10 steps, each side's sd at least the snapshot grid's step (``resolution``)."""
    last, step = max(snapshots), resolution(snapshots)
    nets_ = per_net(nets, target)
    rows = []
    for depth, group in nets_.groupby("depth"):
        row = dict(depth=depth, target_accuracy=target)
        logs = {}
        for weights in WEIGHTS:
            side = group[group.weights == weights]
            steps = side.steps_to_target
            logs[weights] = np.log10(steps.fillna(last).to_numpy())
            row |= {
                f"{weights}_seeds": len(side),
                f"{weights}_reached": int(steps.notna().sum()),
                f"{weights}_steps": float(10 ** logs[weights].mean()),
                f"{weights}_steps_each": "/".join("—" if np.isnan(s) else f"{s:g}" for s in steps),
                f"{weights}_test_accuracy": float(side.test_accuracy.mean()),
            }
        test = stats.welch(logs["orthogonal"], logs["gaussian"], resolution=step)
        row |= dict(
            speedup=float(10 ** -test["diff"]),
            speedup_lower=float(10 ** -test["upper"]),
            speedup_upper=float(10 ** -test["lower"]),
            p=test["p"],
        )
        rows.append(row)
    return pd.DataFrame(rows)


def isometry_markdown(table: pd.DataFrame, settings: dict, sigma_w2: float, dataset: str) -> str:
    """The table as Markdown, under the setting that produced it."""
    header = ["hidden layers", "Gaussian: steps (each seed)", "orthogonal: steps (each seed)",
              "speed-up (95 % CI)", "p (Welch)", "test accuracy, Gaussian / orthogonal"]  # fmt: skip
    rows = [
        [
            int(r.depth),
            f"{r.gaussian_steps:.0f} ({r.gaussian_steps_each})",
            f"{r.orthogonal_steps:.0f} ({r.orthogonal_steps_each})",
            f"{r.speedup:.2f} ({r.speedup_lower:.2f} to {r.speedup_upper:.2f})",
            markdown.p_value(r.p),
            f"{r.gaussian_test_accuracy:.3f} / {r.orthogonal_test_accuracy:.3f}",
        ]
        for r in table.itertuples()
    ]
    return (
        f"# Dynamical isometry's training speed on {dataset}\n\n"
        "Produced by `depthstudy.isometry`; nothing here is written by hand. "
        f"{settings['activation']} nets of width {settings['width']} at their order-to-chaos boundary "
        f"(σw² = {sigma_w2:.4f} at σb² = {settings['sigma_b2']:g}), weights Gaussian or orthogonal, the "
        f"same biases and batches, plain SGD at {settings['learning_rate']:g}, batch {settings['batch_size']}. "
        f"*Steps*: the first of the snapshot steps {'/'.join(map(str, sorted(settings['snapshots'])))} at "
        f"which the training accuracy on the first {settings['train_subset']} training images reaches "
        f"{settings['target_accuracy']:g}, geometric mean over seeds (— in brackets: never reached; it "
        "counts as the last snapshot, in its favour). *Speed-up*: Gaussian's steps over orthogonal's, "
        "from Welch's t on log10 steps, each side's sd at least the snapshot grid's step.\n\n"
        + markdown.table(header, rows)
    )
