"""The one Markdown table writer and number formatter of every results/tables/*.md.

GitHub-flavoured tables without a tabulate dependency. A cell is written by ``number``: text as it
is, an empty cell for a missing value, ∞ for an infinite one, yes/no for a boolean, and a float
with the digits asked for (by default six significant ones, or none for a whole number ≥ 100).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def number(value, digits: int | None = None, sign: bool = False) -> str:
    """One table cell. ``digits``: decimals of a float (None: six significant digits); ``sign``: a
    leading + on positive numbers (differences)."""
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{value:+d}" if sign else str(value)
    value = float(value)
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "−∞" if value < 0 else "∞"
    plus = "+" if sign else ""
    if digits is not None:
        return f"{value:{plus}.{digits}f}"
    return f"{value:{plus}.0f}" if value.is_integer() and abs(value) >= 100 else f"{value:{plus}.6g}"


def p_value(p: float) -> str:
    """A p-value: 0 when exact, two significant digits, scientific below 1e-4."""
    return "0" if p == 0 else f"{p:.2g}" if p >= 1e-4 else f"{p:.1e}"


def table(header: list[str], rows: list[list]) -> str:
    """A table of ``rows`` under ``header``; each cell goes through ``number`` unless it is text."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(number(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def frame_table(frame: pd.DataFrame, columns: dict[str, str] | None = None, title: str = "") -> str:
    """``frame``'s ``columns`` (name: heading; default all) as a table, under a ``## title``."""
    columns = {k: v for k, v in (columns or {c: c for c in frame.columns}).items() if k in frame.columns}
    rows = [[row[c] for c in columns] for _, row in frame.iterrows()]
    return (f"## {title}\n\n" if title else "") + table(list(columns.values()), rows)
