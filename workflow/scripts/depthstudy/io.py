"""Atomic file output: a killed job leaves the old file or none, never half of a new one."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pandas as pd


@contextlib.contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The suffix stays last: savers such as keras pick the format from it.
    tmp = path.with_name(f".{path.stem}.tmp{os.getpid()}{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def write_text(text: str, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)


def as_list(paths) -> list[str]:
    """Snakemake hands a named input over as a string when it holds one file, else as a list."""
    return [paths] if isinstance(paths, str | os.PathLike) else list(paths)


def read_frames(named_inputs) -> dict[str, pd.DataFrame]:
    """Each named input of a rule (one CSV or several) read as one frame, by its name."""
    return {name: pd.concat(map(pd.read_csv, as_list(named_inputs[name]))) for name in named_inputs.keys()}
