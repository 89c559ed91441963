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


def with_second_set(frames: dict[str, pd.DataFrame], named_inputs, seeds_b) -> dict[str, pd.DataFrame]:
    """``frames`` with the second seed set's rows added where ``seeds_b`` is set: each frame's
    per-net files come as the input named ``<name>_b`` (config seeds_b, workflow/rules/claims.smk)."""
    if not seeds_b:
        return frames
    extra = read_frames(
        {f"{name}_b": named_inputs[f"{name}_b"] for name in frames if f"{name}_b" in named_inputs.keys()}
    )
    return {name: pd.concat([frame, extra[f"{name}_b"]], ignore_index=True) if f"{name}_b" in extra else frame
            for name, frame in frames.items()}  # fmt: skip
