"""The two kinds of training, tidy frames out: the MLPs of one grid cell, one seed after another,
and the CNN of one seed.

Every frame starts with its net's keys (exercise, activation, depth, seed for an MLP; exercise, seed
for the CNN), so that a per-net CSV says by itself which net wrote it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from depthstudy import checkpoint
from depthstudy.data import probe_indices
from depthstudy.gradients import ProbeRecorder
from depthstudy.logs import CONSOLE, job_folder, job_name
from depthstudy.models import build_cnn, build_mlp, count_params, model_summary, scale_to_unit_logits
from depthstudy.runtime import configure_tensorflow, report_devices
from depthstudy.stream import fit_epochs, flat_pixels, image_tensor
from depthstudy.theory import UNIT_LOGITS

log = logging.getLogger(__name__)

# Keras steps per compiled call: a 40-layer MLP step at batch 128 is a few milliseconds, so one
# Python round trip per step would cost as much as the step itself.
STEPS_PER_EXECUTION = 64


def make_optimizer(optimizer: str, learning_rate, options: dict | None = None) -> keras.optimizers.Optimizer:
    """The named Keras optimizer at ``learning_rate``; ``options`` are its other keyword arguments
    (training.optimizer_options), Keras' defaults for the rest."""
    options = dict(options or {})
    try:
        return keras.optimizers.get({"class_name": optimizer, "config": {"learning_rate": learning_rate, **options}})
    except (TypeError, ValueError) as err:
        raise ValueError(f"optimizer_options {options}: not accepted by the {optimizer} optimizer ({err})") from err


@keras.saving.register_keras_serializable(package="depthstudy")
class SmoothedSparseCrossentropy(keras.losses.Loss):
    """Cross-entropy on integer labels against label-smoothed targets: the true class gets
    1 - smoothing + smoothing / K and every class smoothing / K (Szegedy et al. 2016), as Keras'
    ``CategoricalCrossentropy(label_smoothing=...)`` does for one-hot labels."""

    def __init__(self, smoothing: float, name: str = "smoothed_sparse_crossentropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.smoothing = smoothing

    def call(self, y_true, y_pred):
        labels = keras.ops.cast(keras.ops.reshape(y_true, (-1,)), "int32")
        one_hot = keras.ops.one_hot(labels, keras.ops.shape(y_pred)[-1], dtype=y_pred.dtype)
        return keras.losses.categorical_crossentropy(one_hot, y_pred, label_smoothing=self.smoothing)

    def get_config(self) -> dict:
        return {**super().get_config(), "smoothing": self.smoothing}


def compile_classifier(
    model: keras.Model,
    optimizer: str,
    learning_rate,
    steps_per_execution: int = 1,
    options: dict | None = None,
    label_smoothing: float = 0.0,
):
    """Cross-entropy on integer labels (label-smoothed if ``label_smoothing`` > 0, with the plain one as
    the metric ``crossentropy``), accuracy, and the named Keras optimizer (``make_optimizer``)."""
    metrics = ["accuracy"]
    if label_smoothing:
        metrics.append(keras.metrics.SparseCategoricalCrossentropy(name="crossentropy"))
    model.compile(
        optimizer=make_optimizer(optimizer, learning_rate, options),
        loss=SmoothedSparseCrossentropy(label_smoothing) if label_smoothing else "sparse_categorical_crossentropy",
        metrics=metrics,
        steps_per_execution=steps_per_execution,
    )


def mlp_model(activation: str, depth: int, settings: dict, steps_per_execution: int = STEPS_PER_EXECUTION):
    """The compiled MLP of one job."""
    model = build_mlp(
        activation,
        depth,
        width=settings["width"],
        initializer=settings["initializer"],
        batchnorm=settings["batchnorm"],
        input_scale=settings.get("input_scale", 1),
        residual=settings["residual"],
        residual_scale=settings["residual_scale"],
    )
    compile_classifier(
        model,
        settings["optimizer"],
        settings["learning_rate"],
        steps_per_execution,
        options=settings.get("optimizer_options"),
    )
    return model


def evaluate(model: keras.Model, x: np.ndarray, y: np.ndarray, diverged: bool) -> tuple[float, float]:
    if diverged:
        return math.nan, math.nan
    result = model.evaluate(x, y, batch_size=1024, verbose=0, return_dict=True)
    if "crossentropy" in result:  # trained on smoothed labels: the test loss is still the plain one
        penalty = sum(float(keras.ops.convert_to_numpy(loss)) for loss in model.losses)  # L2, as in Keras' loss
        return result["crossentropy"] + penalty, float(result["accuracy"])
    return float(result["loss"]), float(result["accuracy"])


def keyed(frame: pd.DataFrame, keys: dict) -> pd.DataFrame:
    """``frame`` with the job's keys as its first columns."""
    return pd.concat([pd.DataFrame({k: [v] * len(frame) for k, v in keys.items()}, index=frame.index), frame], axis=1)


def _finish(
    keys: dict, rows: list[dict], test: tuple[float, float], seconds: float, diverged: bool, net: str = "", **extra
):
    """The net's one-row metrics frame, and its result line on the console (``net`` names the net
    where the job trains several)."""
    test_loss, test_accuracy = test
    log.info(
        "%stest accuracy %.4f, test loss %.4f, %.1f s training", net, test_accuracy, test_loss, seconds, extra=CONSOLE
    )
    row = dict(keys, epochs=len(rows), test_loss=test_loss, test_accuracy=test_accuracy)
    return pd.DataFrame([dict(row, train_seconds=round(seconds, 3), diverged=diverged, **extra)])


def train_mlp_cell(
    arrays: dict[str, np.ndarray],
    *,
    exercise: str,
    activation: str,
    depth: int,
    seeds: Sequence[int],
    settings: dict,
    probe_size: int,
    probe_seed: int,
    threads: int = 1,
    device: str = "auto",
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> Iterator[tuple[int, dict[str, pd.DataFrame]]]:
    """The nets of one grid cell, one seed after another in this process; yields (seed, frames) as
    each net finishes: metrics, history, gradients and activations.

    The probe batch's statistics are recorded before training and after every epoch. ``device`` is
    the device policy (auto, cpu, gpu). ``callbacks`` are extra Keras callbacks (the benchmark's clock).

    Each net starts as in a process of its own: a cleared Keras session, every random generator set
    to its seed, and a new model built, which draws its initial weights. The first net trains that
    model. The nets after it copy their new model's weights into the first net's model and restart its
    optimizer, so that its compiled training, probe and test functions, traced once, serve the whole
    cell. A net's frames equal those of a process that trains it alone, bit for bit
    (tests/test_workflow.py). TensorFlow's import and set-up and the pixels as float32 are paid once.
    """
    cell = dict(exercise=exercise, activation=activation, depth=depth)
    x_train, x_test = flat_pixels(arrays["x_train"]), flat_pixels(arrays["x_test"])
    y_train, y_test = arrays["y_train"], arrays["y_test"]
    probe = probe_indices(len(x_train), probe_size, probe_seed)
    model = recorder = optimizer_start = None
    for seed in seeds:
        keys = dict(cell, seed=seed)
        keras.backend.clear_session()
        try:
            trained_on = configure_tensorflow(threads, seed, device, job_name("train_mlp", keys))
            fresh = mlp_model(activation, depth, settings)
            if model is None:
                model, recorder = (
                    fresh,
                    ProbeRecorder(fresh, x_train[probe], y_train[probe], activation, settings["batch_size"]),
                )
                model.optimizer.build(model.trainable_variables)
                optimizer_start = [v.numpy() for v in model.optimizer.variables]
            else:
                model.set_weights(fresh.get_weights())
                for variable, value in zip(model.optimizer.variables, optimizer_start, strict=True):
                    variable.assign(value)
                recorder.clear()
            if settings.get("input_scale") == UNIT_LOGITS:
                scale = scale_to_unit_logits(model, x_train[probe])
                log.info("seed %d: input scaled by %.6g (logits' rms 1 on the probe batch)", seed, scale)
            recorder.record(epoch=0)
            start = time.perf_counter()
            rows, diverged = fit_epochs(
                model,
                x_train,
                y_train,
                epochs=settings["epochs"],
                batch_size=settings["batch_size"],
                seed=seed,
                on_epoch_end=lambda epoch, _, probe_pass=recorder: probe_pass.record(epoch),
                callbacks=callbacks,
            )
            seconds = time.perf_counter() - start
            test = evaluate(model, x_test, y_test, diverged)
        except Exception:
            log.error("%s failed", job_folder(keys))
            raise
        report_devices(model)
        yield (
            seed,
            dict(
                metrics=_finish(keys, rows, test, seconds, diverged, net=f"seed {seed}: ", device=trained_on),
                history=keyed(pd.DataFrame(rows, columns=["epoch", "loss", "accuracy"]), keys),
                gradients=keyed(recorder.gradients(), keys),
                activations=keyed(recorder.activations(), keys),
            ),
        )


def train_mlp(arrays: dict[str, np.ndarray], *, seed: int, **cell) -> dict[str, pd.DataFrame]:
    """One MLP net's frames; ``cell`` holds ``train_mlp_cell``'s other arguments."""
    return next(train_mlp_cell(arrays, seeds=[seed], **cell))[1]


def cnn_learning_rate(settings: dict, steps_per_epoch: int):
    """The CNN's learning rate: a number, or a schedule of the optimizer's step count (so that a resumed
    job continues the same curve).

    ``warmup_epochs`` > 0 climbs linearly from 0 to ``learning_rate`` over that many epochs; then
    ``cosine`` decays to 0 by the last step, ``constant`` holds.
    """
    rate, schedule = settings["learning_rate"], settings.get("lr_schedule", "constant")
    warmup = round(settings.get("warmup_epochs", 0) * steps_per_epoch)
    total = steps_per_epoch * settings["epochs"]
    if not warmup:
        return keras.optimizers.schedules.CosineDecay(rate, total) if schedule == "cosine" else rate
    return keras.optimizers.schedules.CosineDecay(
        0.0,
        max(total - warmup, 1),
        alpha=1.0 if schedule == "constant" else 0.0,  # alpha is the share of the rate left at the end
        warmup_target=rate,
        warmup_steps=warmup,
    )


def train_cnn(
    arrays: dict[str, np.ndarray],
    *,
    seed: int,
    settings: dict,
    checkpoint_dir: str | Path,
    threads: int = 1,
    device: str = "auto",
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> dict:
    """One CNN job; resumes from ``checkpoint_dir`` if a killed run left one (the caller removes it)."""
    keys = dict(exercise="ex3", seed=seed)
    device = configure_tensorflow(threads, seed, device, job_name("train_cnn", dict(seed=seed)))
    checkpoint_dir = Path(checkpoint_dir)
    x, y = image_tensor(arrays["x_train"]), arrays["y_train"]
    # The validation split is the last share of the training set; the test set is only evaluated.
    n_val = int(round(len(x) * settings["validation_split"]))
    x_train, y_train, x_val, y_val = x[: len(x) - n_val], y[: len(y) - n_val], x[len(x) - n_val :], y[len(y) - n_val :]
    x_test, y_test = image_tensor(arrays["x_test"]), arrays["y_test"]

    tag = {**settings, "seed": seed, "n_train": len(x)}
    resumed = checkpoint.load(checkpoint_dir, tag)
    if resumed:
        model, rows = resumed
    else:
        model, rows = build_cnn(l2=settings["l2"]), []
        steps_per_epoch = math.ceil(len(x_train) / settings["batch_size"])
        compile_classifier(
            model,
            settings["optimizer"],
            cnn_learning_rate(settings, steps_per_epoch),
            label_smoothing=settings.get("label_smoothing", 0.0),
        )

    start = time.perf_counter()
    rows, diverged = fit_epochs(
        model,
        x_train,
        y_train,
        epochs=settings["epochs"],
        batch_size=settings["batch_size"],
        seed=seed,
        history=rows,
        validation=(x_val, y_val) if n_val else None,
        on_epoch_end=lambda _, h: checkpoint.save(model, h, checkpoint_dir, tag),
        shift=settings.get("shift_pixels", 0),
        callbacks=callbacks,
    )
    seconds = time.perf_counter() - start
    report_devices(model, "training and evaluation")
    total, non_trainable = count_params(model)
    metrics = _finish(
        keys,
        rows,
        evaluate(model, x_test, y_test, diverged),
        seconds,
        diverged,
        resumed_from_epoch=len(resumed[1]) if resumed else 0,
        device=device,
        params=total,
        non_trainable_params=non_trainable,
    )
    columns = ["epoch", "loss", "accuracy"] + (["val_loss", "val_accuracy"] if n_val else [])
    history = keyed(pd.DataFrame(rows, columns=columns), keys)
    return dict(metrics=metrics, history=history, summary=model_summary(model), model=model)
