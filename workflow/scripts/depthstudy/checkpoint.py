"""The CNN's resume point: model with optimizer state, history and settings after each epoch.

A checkpoint is written beside its final place and swapped in as a whole, so a job killed at any
moment leaves the previous epoch's checkpoint or this one, never half of one.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import keras
import pandas as pd

log = logging.getLogger(__name__)


def save(model: keras.Model, rows: list[dict], folder: Path, tag: dict) -> None:
    """Model (with optimizer state), history and settings after an epoch, swapped in as a whole."""
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    model.save(tmp / "model.keras")
    (tmp / "settings.json").write_text(json.dumps(tag, sort_keys=True))
    pd.DataFrame(rows).to_csv(tmp / "history.csv", index=False)
    old = folder.with_name(folder.name + ".old")
    if folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def load(folder: Path, tag: dict) -> tuple[keras.Model, list[dict]] | None:
    """The checkpoint in ``folder`` if it was written with the same settings and seed."""
    if not (folder / "history.csv").exists():
        return None
    saved = json.loads((folder / "settings.json").read_text())
    if {**saved, "epochs": None} != {**tag, "epochs": None}:
        log.warning("ignoring %s: written with other settings %s", folder, saved)
        return None
    model = keras.saving.load_model(folder / "model.keras")
    rows = pd.read_csv(folder / "history.csv").to_dict("records")
    log.info("resuming from %s after epoch %d", folder, len(rows))
    return model, rows
