"""Combine per-job CSVs and summarise them, with the report's numbers beside the pipeline's."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from depthstudy import markdown, names, stats
from depthstudy.formulas import LECUN_A, LECUN_C, REPORT_DERIVATIVE_MAX, lecun_derivative_range

# Every per-job CSV carries its job's keys as columns; the exercise and seed are in all of them.
JOB_KEYS = ("exercise", "seed")


def combine(paths: list[str | Path]) -> pd.DataFrame:
    """Concatenate per-job CSVs, whose rows carry their job's keys."""
    frames = []
    for path in paths:
        frame = pd.read_csv(path)
        if not set(JOB_KEYS) <= set(frame.columns):
            raise ValueError(
                f"{path} has no {' and '.join(JOB_KEYS)} columns: it was written before every per-job CSV carried "
                "its job's keys; rerun its job (snakemake --forcerun train_mlp train_cnn)"
            )
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def mean_sd(values: pd.Series, digits: int = 3) -> str:
    values = values.dropna()
    if values.empty:
        return "n/a"
    if len(values) == 1:
        return f"{values.iloc[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}"


def ci_text(low: float, high: float, digits: int = 3) -> str:
    """A 95 % confidence interval (``stats.mean_ci``'s bounds) as "[low, high]"; "n/a" for one seed."""
    return "n/a" if math.isnan(low) else f"[{low:.{digits}f}, {high:.{digits}f}]"


# The values each metric can take: a table's intervals are kept within them (stats.clip_interval).
BOUNDS = {"test_loss": (0.0, math.inf), "test_accuracy": (0.0, 1.0)}


def summarize(metrics: pd.DataFrame, by: list[str], digits: int = 3) -> pd.DataFrame:
    """Per group: seeds, diverged runs, and mean, sd and 95 % CI (Student's t over seeds, clipped to
    the metric's ``BOUNDS``) of test loss and accuracy over finished runs."""
    rows = []
    for keys, group in metrics.groupby(by, sort=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        row = dict(zip(by, keys, strict=True))
        row["seeds"] = len(group)
        row["diverged"] = int(group["diverged"].astype(bool).sum())
        for col in ("test_loss", "test_accuracy"):
            ok = group.loc[~group["diverged"].astype(bool), col]
            row[f"{col}_mean"] = ok.mean() if len(ok) else math.nan
            row[f"{col}_sd"] = ok.std(ddof=1) if len(ok) > 1 else math.nan
            _, low, high = stats.mean_ci(ok, bounds=BOUNDS[col])
            row[f"{col}_ci_low"], row[f"{col}_ci_high"] = low, high
            row[col] = mean_sd(ok, digits) if len(ok) else "diverged"
            row[f"{col}_ci95"] = ci_text(low, high, digits)
        rows.append(row)
    return pd.DataFrame(rows)


def load_reference(path: str | Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"note": str}, keep_default_na=False, na_values={"depth": [""]})


def reference_wide(reference: pd.DataFrame, exercise: str) -> pd.DataFrame:
    """The report's test loss and accuracy for one exercise, one row per activation and depth."""
    ref = reference[(reference.exercise == exercise) & reference.metric.isin(["test_loss", "test_accuracy"])]
    wide = ref.pivot_table(index=["activation", "depth"], columns="metric", values="value").reset_index()
    wide = wide.rename(columns={"test_loss": "report_test_loss", "test_accuracy": "report_test_accuracy"})
    wide["depth"] = wide["depth"].astype(int)
    return wide


def metrics_table(metrics: pd.DataFrame, reference: pd.DataFrame, exercise: str) -> pd.DataFrame:
    """The 1.B-style table: per activation and depth, mean ± sd over seeds, and the report's values
    where the report has any for this grid (else no report columns)."""
    table = summarize(metrics, ["activation", "depth"])
    wide = reference_wide(reference, exercise)
    if not wide.empty:
        table = table.merge(wide, on=["activation", "depth"], how="left")
    table = table.drop(columns=[c for c in table if c.startswith("report_") and table[c].isna().all()])
    return table.sort_values(["depth", "activation"], key=_activation_order).reset_index(drop=True)


def _activation_order(col: pd.Series) -> pd.Series:
    return col.map({a: i for i, a in enumerate(names.in_order(col))}) if col.name == "activation" else col


def cnn_table(metrics: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """Exercise 3: mean ± sd over seeds with the report's numbers beside them."""
    # four decimals: CNN seeds differ in the fourth, where the report's 0.9916 is compared
    table = summarize(metrics.assign(model="report CNN"), ["model"], digits=4)
    table["params"] = int(metrics["params"].iloc[0])
    table["non_trainable_params"] = int(metrics["non_trainable_params"].iloc[0])
    table["epochs"] = int(metrics["epochs"].max())
    ref = reference[reference.exercise == "ex3"].set_index("metric")["value"]
    for key in ("test_loss", "test_accuracy", "params", "non_trainable_params"):
        table[f"report_{key}"] = ref.get(key, math.nan)
    return table


MD_COLUMNS = {
    "activation": "activation",
    "depth": "hidden layers",
    "model": "model",
    "seeds": "seeds",
    "diverged": "diverged",
    "test_loss": "test loss (mean ± sd)",
    "test_loss_ci95": "loss 95 % CI",
    "report_test_loss": "report loss",
    "test_accuracy": "test accuracy (mean ± sd)",
    "test_accuracy_ci95": "accuracy 95 % CI",
    "report_test_accuracy": "report accuracy",
    "params": "parameters",
    "report_params": "report parameters",
}


# ---------------------------------------------------------------------------------------------
# The report's numbers beside the pipeline's


def seed_noise_differs(report: float, values: pd.Series, floor: float) -> bool:
    """Disagreement beyond seed noise: |report - mean| > 3 sd + floor (floor covers one or two seeds)."""
    values = values.dropna()
    if values.empty:
        return True
    sd = values.std(ddof=1) if len(values) > 1 else 0.0
    return abs(report - values.mean()) > 3 * sd + floor


# Seeds that spread by more than this sd put a net at the edge of trainability.
UNSTABLE_SD = 0.1


def _reason(row: pd.Series, settings: dict, dataset: str = "MNIST", report_suffix: str = "", spread=math.nan) -> str:
    """One line on the likely cause of a disagreement, from what differs between the two runs;
    ``spread``: the sd of the pipeline's values over seeds."""
    if row.metric.startswith("derivative"):
        computed = lecun_derivative_range()[1]
        return f"the report's arithmetic: {LECUN_A} × 2/3 + {LECUN_C} = {computed:.5f}, not {REPORT_DERIVATIVE_MAX}"
    if row.exercise == "ex1d":
        return "untrained networks score at chance; which wrong class wins depends on the random init draw"
    if report_suffix:  # the report's numbers are not of this run's data set
        return f"the data: the report measured MNIST, this run {dataset}"
    if row.exercise == "ex3":
        c = settings.get("cnn", {})
        return (
            f"training length and optimiser: ours {c.get('epochs')} epochs of {c.get('optimizer')} "
            f"lr {c.get('learning_rate')}, batch {c.get('batch_size')}; the report's run is not stated"
        )
    s = settings.get(row.exercise, {})
    if spread > UNSTABLE_SD:
        return (
            f"{row.depth}-layer {names.display(row.activation)} with {s.get('initializer')} init sits at the edge of "
            f"trainability: its seeds spread by sd {spread:.2f}, and the outcome swings with epochs and learning "
            f"rate (ours: {s.get('epochs')} epochs, lr {s.get('learning_rate')}, batch {s.get('batch_size')}; the "
            "report states neither)"
        )
    return (
        f"training settings: ours {s.get('epochs')} epochs of SGD lr {s.get('learning_rate')}, "
        f"batch {s.get('batch_size')}; the report does not state its own"
    )


def comparison_with_report(
    reference: pd.DataFrame,
    mlp_metrics: pd.DataFrame,
    cnn_metrics: pd.DataFrame | None,
    settings: dict,
    dataset: str = "MNIST",
    report_suffix: str = "",
) -> pd.DataFrame:
    """Every number of the report beside the pipeline's mean ± sd (on ``dataset``), flagged where they
    disagree. ``report_suffix`` (the workflow's, " (MNIST)" on another data set) says that the report's
    data are not this run's."""
    low, high = lecun_derivative_range()
    rows = []
    for _, ref in reference.iterrows():
        if ref.metric == "derivative_max":
            values = pd.Series([high])
        elif ref.metric == "derivative_min":
            values = pd.Series([low])
        elif ref.exercise == "ex3":
            if cnn_metrics is None or ref.metric not in cnn_metrics:
                continue
            values = cnn_metrics[ref.metric]
        else:
            sel = mlp_metrics[
                (mlp_metrics.exercise == ref.exercise)
                & (mlp_metrics.activation == ref.activation)
                & (mlp_metrics.depth == ref.depth)
            ]
            if sel.empty:
                continue
            values = sel[ref.metric]
        floor = 0.0 if ref.metric in ("params", "non_trainable_params") else 0.02 * max(1.0, abs(ref.value))
        if ref.metric.startswith("derivative"):
            floor = 1e-4
        row = dict(
            section=ref.section,
            exercise=ref.exercise,
            activation=ref.activation,
            depth="" if pd.isna(ref.depth) else int(ref.depth),
            metric=ref.metric,
            report=ref.value,
            pipeline=mean_sd(values, 0 if ref.metric.endswith("params") else 4),
            seeds=int(values.notna().sum()),
            differs=seed_noise_differs(ref.value, values, floor),
        )
        spread = float(values.std(ddof=1)) if values.notna().sum() > 1 else math.nan
        row["likely_reason"] = (
            _reason(pd.Series(row), settings, dataset, report_suffix, spread) if row["differs"] else ""
        )
        if ref.note and not ref.metric.startswith("derivative"):
            row["likely_reason"] = (row["likely_reason"] + "; " if row["likely_reason"] else "") + ref.note
        rows.append(row)
    return pd.DataFrame(rows)


def comparison_markdown(comparison: pd.DataFrame, dataset: str = "MNIST", report_suffix: str = "") -> str:
    table = comparison.assign(differs=np.where(comparison.differs, "**differs**", "agrees"))
    other = (
        f"The report measured MNIST, this run {dataset}: *differs* marks the report's findings that do "
        f"not carry over to {dataset} as numbers (its pattern may still hold; see claims.md).\n\n"
    )
    header = (
        f"# The report's numbers{report_suffix} beside the pipeline's on {dataset}\n\n"
        + (other if report_suffix else "")
        + "Pipeline: mean ± sd over seeds. *Differs* means |report − mean| > 3 sd + 2 % of the value "
        "(exact for parameter counts); the last column gives the likely reason. Report derivative "
        f"bound of LeCun's f': {REPORT_DERIVATIVE_MAX}; computed: {lecun_derivative_range()[1]:.5f}.\n\n"
    )
    return header + markdown.frame_table(table)
