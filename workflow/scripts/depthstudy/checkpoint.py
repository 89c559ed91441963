"""Where a killed training job resumes.

- The CNN: model with optimizer state, history and settings after each epoch (``save``, ``load``).
- An MLP cell's job: the nets it has finished (``FinishedNets``).

Each is written beside its final place and swapped in as a whole, so a job killed at any moment leaves
the previous state or the new one, never half of one. Neither is an output of its rule: Snakemake
deletes a killed job's outputs before it reruns the job, and these must survive that.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path

import keras
import pandas as pd

from depthstudy.io import atomic_path, write_csv
from depthstudy.logs import CONSOLE

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _swapped_in(folder: Path) -> Iterator[Path]:
    """An empty folder beside ``folder`` to write into; it replaces ``folder`` as a whole when the block
    ends without an error."""
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    yield tmp
    old = folder.with_name(folder.name + ".old")
    if folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def save(model: keras.Model, rows: list[dict], folder: Path, tag: dict) -> None:
    """Model (with optimizer state), history and settings after an epoch, swapped in as a whole."""
    with _swapped_in(folder) as tmp:
        model.save(tmp / "model.keras")
        (tmp / "settings.json").write_text(json.dumps(tag, sort_keys=True))
        pd.DataFrame(rows).to_csv(tmp / "history.csv", index=False)


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


class FinishedNets:
    """The finished nets of one job that trains several: ``folder/seed<N>/`` holds a net's CSVs, as
    its outputs will be, and the tag they were made under.

    The tag holds everything a net's numbers depend on (settings, probe, data, code): a net saved under
    another tag is trained again. The job copies each net's files to its outputs once every net is
    done, and then removes the folder.
    """

    def __init__(self, folder: str | Path, tag: Mapping):
        self.folder = Path(folder)
        self.tag = json.loads(json.dumps(dict(tag), sort_keys=True))  # as it reads back from disk

    def _net(self, seed: int) -> Path:
        return self.folder / f"seed{seed}"

    def has(self, seed: int) -> bool:
        """Whether net ``seed`` was finished under this tag (by an earlier, killed attempt)."""
        tag_file = self._net(seed) / "tag.json"
        if not tag_file.exists():
            return False
        if json.loads(tag_file.read_text()) != self.tag:
            log.warning("training seed %d again: %s was made with other settings, data or code", seed, tag_file.parent)
            return False
        log.info("seed %d: finished by an earlier attempt of this job; kept (%s)", seed, tag_file.parent, extra=CONSOLE)
        return True

    def save(self, seed: int, frames: Mapping[str, pd.DataFrame]) -> None:
        """Net ``seed``'s frames as ``<name>.csv``, with the tag, swapped in as a whole."""
        with _swapped_in(self._net(seed)) as tmp:
            for name, frame in frames.items():
                write_csv(frame, tmp / f"{name}.csv")
            (tmp / "tag.json").write_text(json.dumps(self.tag, sort_keys=True))

    def deliver(self, seed: int, outputs: Mapping[str, str | Path]) -> None:
        """Copy net ``seed``'s CSVs to its outputs, by name, in the order given (metrics.csv last)."""
        for name, path in outputs.items():
            with atomic_path(path) as tmp:
                shutil.copyfile(self._net(seed) / f"{name}.csv", tmp)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
