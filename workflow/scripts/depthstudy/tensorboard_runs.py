"""TensorBoard event files from the per-job CSVs, for users who browse training in TensorBoard.

Exported after training, never during it: turning the export on or off retrains nothing. One run
(folder) per job, named like its result folder:
- ``epoch/<metric>``: loss and accuracy (and validation ones) per epoch;
- ``<quantity>/<stat>/layer_NN``: each probe statistic of each layer, per probe epoch (0 = before
  training), for gradients (``weight_grad``, ``activation_grad``) and signals (``activations``);
- ``<quantity>/<stat>/over layers`` histograms: how a statistic spreads over the layers at each probe
  epoch (log10 for gradients, which span many orders of magnitude).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import tensorflow as tf

from depthstudy.logs import job_folder

KEYS = ("activation", "depth", "seed")


def _jobs(frame: pd.DataFrame):
    """(run folder, rows) per job; a run sits in its exercise's folder: relu/depth5/seed0, or seed0."""
    keys = [k for k in KEYS if k in frame.columns]
    for values, rows in frame.groupby(keys, sort=True):
        yield job_folder(dict(zip(keys, values, strict=True))), rows


def _history(rows: pd.DataFrame) -> None:
    for column in ("loss", "accuracy", "val_loss", "val_accuracy"):
        if column in rows:
            for epoch, value in zip(rows.epoch, rows[column], strict=True):
                tf.summary.scalar(f"epoch/{column}", value, step=int(epoch))


def _probe(rows: pd.DataFrame, quantity: str, log_histogram: bool) -> None:
    rows = rows[np.isfinite(rows.value)]
    for (stat, epoch), at in rows.groupby(["stat", "epoch"], sort=True):
        for layer, value in zip(at.layer, at.value, strict=True):
            tf.summary.scalar(f"{quantity}/{stat}/layer_{int(layer):02d}", value, step=int(epoch))
        values = at.value.to_numpy(dtype="float64")
        if log_histogram:
            values = np.log10(values[values > 0])
        tf.summary.histogram(f"{quantity}/{stat}/over layers{' (log10)' if log_histogram else ''}", values,
                             step=int(epoch))  # fmt: skip


def export(out_dir: str | Path, history: pd.DataFrame, gradients=None, activations=None) -> list[str]:
    """Write one run per job under ``out_dir``; returns the runs' folders."""
    writers: dict[str, tf.summary.SummaryWriter] = {}

    def writer(run: str):
        if run not in writers:
            writers[run] = tf.summary.create_file_writer(str(Path(out_dir) / run))
        return writers[run].as_default()

    for run, rows in _jobs(history):
        with writer(run):
            _history(rows)
    if gradients is not None:
        for run, rows in _jobs(gradients):
            for quantity, of_quantity in rows.groupby("quantity"):
                with writer(run):
                    _probe(of_quantity, quantity, log_histogram=True)
    if activations is not None:
        for run, rows in _jobs(activations):
            with writer(run):
                _probe(rows, "activations", log_histogram=False)
    for w in writers.values():
        w.close()
    return sorted(writers)
