"""TensorBoard runs exported from a finished study, read back with TensorBoard's own reader."""

import pandas as pd
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.util import tensor_util

from conftest import job_stats, snakemake


def scalars(run, tag) -> dict[int, float]:
    return {e.step: float(tensor_util.make_ndarray(e.tensor_proto)) for e in run.Tensors(tag)}


def by_epoch(frame: pd.DataFrame, column: str = "value"):
    return pytest.approx(dict(zip(frame.epoch, frame[column], strict=True)))


def test_switching_tensorboard_on_retrains_nothing_and_the_runs_hold_the_csvs(smoke_run, mnist_dir):
    args = ["--configfile", "tests/config/smoke.yaml", "--config", f"data_dir={mnist_dir}", "tensorboard=True"]
    snakemake(smoke_run, "--cores", "2", "--config", f"data_dir={mnist_dir}", "--configfile",
              "tests/config/smoke.yaml")  # fmt: skip  # up to date, whatever other tests did to the smoke run
    planned = set(job_stats(snakemake(smoke_run, "-n", *args).stdout)) - {"total"}
    assert planned == {"tensorboard_mlp", "tensorboard_cnn", "all"}
    snakemake(smoke_run, "--cores", "2", *args)

    job = smoke_run / "results/ex1/tanh/depth6/seed1"
    run = EventAccumulator(str(smoke_run / "results/tensorboard/ex1/tanh/depth6/seed1"), {"tensors": 0}).Reload()
    history = pd.read_csv(job / "history.csv")
    assert scalars(run, "epoch/loss") == by_epoch(history, "loss")
    grads = pd.read_csv(job / "gradients.csv").query("quantity == 'weight_grad' and stat == 'max_abs' and layer == 7")
    assert scalars(run, "weight_grad/max_abs/layer_07") == by_epoch(grads)
    signal = pd.read_csv(job / "activations.csv").query("stat == 'a_std' and layer == 3")
    assert scalars(run, "activations/a_std/layer_03") == by_epoch(signal)
    histogram = run.Tensors("activation_grad/max_abs/over layers (log10)")
    assert [e.step for e in histogram] == [0, 1, 2]  # before training and after each epoch
    assert tensor_util.make_ndarray(histogram[0].tensor_proto).shape[1] == 3  # (left, right, count) buckets

    cnn = EventAccumulator(str(smoke_run / "results/tensorboard/ex3/seed0"), {"tensors": 0}).Reload()
    assert {"epoch/loss", "epoch/accuracy", "epoch/val_loss", "epoch/val_accuracy"} <= set(cnn.Tags()["tensors"])
    runs = sorted(p.parent.relative_to(smoke_run / "results/tensorboard") for p in
                  (smoke_run / "results/tensorboard").rglob("events.out.tfevents.*"))  # fmt: skip
    assert len(runs) == len(list((smoke_run / "results").glob("*/*/depth*/seed*/metrics.csv"))) + 1
