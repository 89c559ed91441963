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
    """A setting as a YAML config writes it: true/false, {key: value}, numbers and names as they are."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_value(item)}" for key, item in value.items()) + "}"
    return str(value)


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


def _cell(row, bold: tuple[str, str] = ("**", "**")) -> str:
    """Test accuracy as "mean ± sd [low, high]", between ``bold``'s marks for the best network of its depth."""
    if math.isnan(row.test_accuracy_mean):
        return "diverged"
    text = f"{row.test_accuracy_mean:.3f}"
    if not math.isnan(row.test_accuracy_sd):
        text += f" ± {row.test_accuracy_sd:.3f} {tables.ci_text(row.test_accuracy_ci_low, row.test_accuracy_ci_high)}"
    if row.diverged:
        text += f" ({row.diverged} diverged)"
    return f"{bold[0]}{text}{bold[1]}" if row.best else text


def _wide(table: pd.DataFrame, bold: tuple[str, str]) -> tuple[list[str], list[list[str]]]:
    """The table wide by depth, one row per exercise and activation and one column per depth: its
    header and rows."""
    depths = sorted(table.depth.unique())
    rows = []
    for (exercise, activation), group in table.groupby(["exercise", "activation"], sort=False):
        cells = {row.depth: _cell(row, bold) for row in group.itertuples()}
        changes = group.changes.iloc[0] or "—"
        rows.append([exercise, changes, names.display(activation), *(cells.get(d, "") for d in depths)])
    header = ["exercise", "changes from training", "activation", *(f"{d} hidden layers" for d in depths)]
    return header, rows


def _intro(table: pd.DataFrame, dataset: str, defaults: dict, best: str) -> tuple[str, str]:
    seeds = ", ".join(str(s) for s in sorted(table.seeds.unique()))
    return (
        f"Experiments side by side on {dataset}: test accuracy by depth",
        f"Every exercise block of the config, with the settings where it differs from training "
        f"({settings_text(defaults)}). A cell is the test accuracy over {seeds} seeds: mean ± sd and the "
        "95 % interval of the mean (Student's t, clipped to [0, 1], the bounds of an accuracy); diverged "
        f"runs are counted apart. {best}: the best network at each depth (highest mean).",
    )


def experiments_markdown(table: pd.DataFrame, dataset: str, defaults: dict) -> str:
    """The table wide by depth: one row per exercise and activation, one column per depth."""
    title, intro = _intro(table, dataset, defaults, "**Bold**")
    header, rows = _wide(table, ("**", "**"))
    return f"## {title}\n\n{intro}\n\n" + markdown.table(header, rows)


def experiments_html(table: pd.DataFrame, dataset: str, defaults: dict) -> str:
    """The Markdown table as a page of its own, which the HTML report shows in place."""
    title, intro = _intro(table, dataset, defaults, "Bold")
    header, rows = _wide(table, ("<b>", "</b>"))

    def line(cells, tag):
        return "<tr>" + "".join(f"<{tag}>{cell}</{tag}>" for cell in cells) + "</tr>"

    body = "\n".join(line(row, "td") for row in rows)
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>experiments</title><style>'
        "body{font-family:sans-serif;font-size:14px} table{border-collapse:collapse} "
        "th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}</style></head><body>\n"
        f"<h2>{title}</h2>\n<p>{intro}</p>\n<table>\n{line(header, 'th')}\n{body}\n</table>\n</body></html>\n"
    )
