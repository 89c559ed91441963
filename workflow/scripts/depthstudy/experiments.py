"""Experiments side by side: every exercise block of the config, the settings where it differs from
`training`, and its test accuracy by depth, as a table of runs by their settings and metrics."""

from __future__ import annotations

import math

import pandas as pd

from depthstudy import markdown, names, tables

COLUMNS = [
    "exercise", "changes", "activation", "depth", "seeds", "diverged",
    "test_accuracy_mean", "test_accuracy_sd", "test_accuracy_ci_low", "test_accuracy_ci_high", "best",
]  # fmt: skip


def changed_settings(settings: dict, defaults: dict) -> dict:
    """The settings of an exercise that differ from `training` (``defaults``), in the order of ``settings``."""
    return {key: value for key, value in settings.items() if key in defaults and value != defaults[key]}


def _value(value) -> str:
    """A setting as a YAML config writes it: true/false, numbers and names as they are."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def settings_text(changes: dict) -> str:
    """Changed settings in words, as config keys and values: "optimizer adam, learning_rate 0.001"."""
    return ", ".join(f"{key} {_value(value)}" for key, value in changes.items())


def heading(exercise: str, settings: dict, defaults: dict) -> str:
    """An exercise as a table heading names it: "exercise relu_adam (optimizer adam, learning_rate 0.001)",
    or "exercise ex1 (the training defaults)" where it changes nothing."""
    changes = settings_text(changed_settings(settings, defaults))
    return f"exercise {exercise} ({changes or 'the training defaults'})"


def experiments_table(metrics: pd.DataFrame, settings: dict[str, dict], defaults: dict) -> pd.DataFrame:
    """One row per exercise, activation and depth: what the exercise changes from `training`, the seeds,
    diverged runs, and the mean, sd and 95 % interval (clipped to [0, 1]) of test accuracy over the
    finished runs; ``best`` marks the highest mean at each depth (ties all). Exercises in the order of
    ``settings`` (the config's), activations in the schema's."""
    missing = sorted(set(settings) - set(metrics.exercise))
    if missing:
        raise ValueError(f"no metrics for exercise(s) {missing}: every exercise block needs its combined metrics")
    summary = tables.summarize(metrics, ["exercise", "activation", "depth"])
    summary["depth"] = summary.depth.astype(int)  # whole layers, also where a frame read them as floats
    summary["changes"] = summary.exercise.map(
        {name: settings_text(changed_settings(s, defaults)) for name, s in settings.items()}
    )
    ranks = {
        "exercise": {name: i for i, name in enumerate(settings)},
        "activation": {a: i for i, a in enumerate(names.in_order(summary.activation))},
    }
    summary = summary[summary.exercise.isin(settings)].sort_values(
        ["exercise", "activation", "depth"], key=lambda col: col.map(ranks[col.name]) if col.name in ranks else col
    )
    best = summary.groupby("depth").test_accuracy_mean.transform("max")
    summary["best"] = summary.test_accuracy_mean.notna() & (summary.test_accuracy_mean == best)
    return summary[COLUMNS].reset_index(drop=True)


def _cell(row: pd.Series) -> str:
    """Test accuracy as "mean ± sd [low, high]", in bold for the best network of its depth."""
    if math.isnan(row.test_accuracy_mean):
        return "diverged"
    text = f"{row.test_accuracy_mean:.3f}"
    if not math.isnan(row.test_accuracy_sd):
        text += f" ± {row.test_accuracy_sd:.3f} {tables.ci_text(row.test_accuracy_ci_low, row.test_accuracy_ci_high)}"
    if row.diverged:
        text += f" ({row.diverged} diverged)"
    return f"**{text}**" if row.best else text


def experiments_markdown(table: pd.DataFrame, dataset: str, defaults: dict) -> str:
    """The table wide by depth: one row per exercise and activation, one column per depth."""
    depths = sorted(table.depth.unique())
    rows = []
    for (exercise, activation), group in table.groupby(["exercise", "activation"], sort=False):
        cells = {row.depth: _cell(row) for row in group.itertuples()}
        changes = group.changes.iloc[0] or "—"
        rows.append([exercise, changes, names.display(activation), *(cells.get(d, "") for d in depths)])
    seeds = ", ".join(str(s) for s in sorted(table.seeds.unique()))
    intro = (
        f"Every exercise block of the config, with the settings where it differs from `training` "
        f"({settings_text(defaults)}). A cell is the test accuracy over {seeds} seeds: mean ± sd and the "
        "95 % interval of the mean (Student's t, clipped to [0, 1], the bounds of an accuracy); diverged "
        "runs are counted apart. **Bold**: the best network at each depth (highest mean).\n\n"
    )
    header = ["exercise", "changes from training", "activation", *(f"{d} hidden layers" for d in depths)]
    title = f"## Experiments side by side on {dataset}: test accuracy by depth\n\n"
    return title + intro + markdown.table(header, rows)
