"""Training jobs: one model, one seed, tidy frames out.

A job is one ``model.fit``; epoch e visits the data in a permutation drawn from (seed, e), and every
dropout seed is reset from (seed, e) too. An epoch therefore computes the same thing whether the job ran
straight through or was restarted from a checkpoint, and the same seed gives the same numbers on CPU.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from depthstudy.data import probe_indices
from depthstudy.models import build_cnn, build_mlp, count_params

log = logging.getLogger(__name__)

# Keras steps per compiled call: a 40-layer MLP step at batch 128 is a few milliseconds, so one
# Python round trip per step would cost as much as the step itself.
STEPS_PER_EXECUTION = 64


def configure_tensorflow(threads: int, seed: int) -> str:
    """Thread pools, determinism, GPU memory growth and seeds; call before any other TF op.

    Returns the device that will train, for the log and ``metrics.csv``.
    """
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # a second job in one process (tests, benchmark): pools are fixed by then
        log.info("TensorFlow already initialised; keeping its thread pools")
    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:
            pass
    tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(seed)
    device = "GPU:0" if gpus else "CPU"
    log.info("device %s, %d thread(s), seed %d, GPUs visible: %s", device, threads, seed, gpus)
    if "SLURM_JOB_ID" in os.environ:
        log.info(
            "slurm job %s on %s, CUDA_VISIBLE_DEVICES=%s",
            os.environ["SLURM_JOB_ID"],
            os.environ.get("SLURMD_NODENAME", "?"),
            os.environ.get("CUDA_VISIBLE_DEVICES"),
        )
    return device


def flat_pixels(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1).astype("float32") / 255.0


def image_tensor(images: np.ndarray) -> np.ndarray:
    return images[..., None].astype("float32") / 255.0


def make_optimizer(name: str, learning_rate) -> keras.optimizers.Optimizer:
    return keras.optimizers.get({"class_name": name, "config": {"learning_rate": learning_rate}})


def epoch_seed(seed: int, epoch: int) -> int:
    return (seed * 100_003 + epoch) % (2**31 - 1)


def _reseed(model: keras.Model, seed: int, epoch: int) -> None:
    """Seed everything random in an epoch (dropout masks) from (seed, epoch) alone.

    Only the layers' seed generators are set. ``keras.utils.set_random_seed`` would do no more for
    training, and it clears TensorFlow's kernel caches, so every compiled function (the train step,
    the gradient probe) would be set up again after it: about 0.1 s an epoch.
    """
    value = epoch_seed(seed, epoch)
    for layer in model.layers:
        generator = getattr(layer, "seed_generator", None)
        if generator is not None:
            generator.state.assign(np.array([value, 0], dtype=generator.state.dtype))


def shift_images(images: tf.Tensor, shift: int, seed: tf.Tensor) -> tf.Tensor:
    """Move each image of a (batch, height, width, channels) batch by whole pixels, at most ``shift``
    down or up and left or right, filling with 0 (MNIST's background).

    The offsets are drawn with a stateless generator from ``seed`` (two integers), so a batch is
    shifted the same way whenever it is drawn again, after a resume included.
    """
    height, width = images.shape[1], images.shape[2]
    offsets = tf.random.stateless_uniform(
        [tf.shape(images)[0], 2], seed=seed, minval=0, maxval=2 * shift + 1, dtype=tf.int32
    )
    padded = tf.pad(images, [[0, 0], [shift, shift], [shift, shift], [0, 0]])
    rows = offsets[:, :1] + tf.range(height)[None, :]  # (batch, height): source row of each output row
    cols = offsets[:, 1:] + tf.range(width)[None, :]
    moved = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(moved, cols, axis=2, batch_dims=1)


class _EpochBatches:
    """The training set as one ``tf.data`` stream whose order is set before each epoch.

    Batches are gathered from tensors made once, so an epoch costs no copy of the data and no new
    ``fit`` call; ``start_epoch`` is called from ``on_epoch_begin``, before Keras opens the epoch's
    iterator. The last batch of an epoch is the partial one, as with ``fit(x, y, shuffle=False)``.
    With ``shift`` > 0, the images of batch b in epoch e are shifted (``shift_images``) with the
    seed (epoch_seed(seed, e), b): training data only, never validation or test.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, shift: int = 0):
        self.n = len(x)
        self.order = tf.Variable(tf.range(self.n, dtype=tf.int64), trainable=False)
        self.epoch_seed = tf.Variable(0, dtype=tf.int64, trainable=False)
        full, rest = divmod(self.n, batch_size)

        def batch_indices(_):
            order = self.order.read_value()
            batches = tf.data.Dataset.from_tensor_slices(tf.reshape(order[: full * batch_size], [full, batch_size]))
            if rest:
                batches = batches.concatenate(tf.data.Dataset.from_tensors(order[full * batch_size :]))
            return batches

        def gather(numbered, xy):
            batch, i = numbered
            images = tf.gather(xy[0], i)
            if shift:
                images = shift_images(images, shift, tf.stack([self.epoch_seed.read_value(), batch]))
            return images, tf.gather(xy[1], i)

        indices = tf.data.Dataset.range(1).flat_map(batch_indices).enumerate()
        data = tf.data.Dataset.from_tensors((tf.constant(x), tf.constant(y))).repeat()
        # As Keras does for arrays: tf.data's default graph rewrites would serialise the pipeline, the
        # whole training set included, each time an epoch opens its iterator.
        options = tf.data.Options()
        options.experimental_optimization.apply_default_optimizations = False
        self.dataset = (
            tf.data.Dataset.zip((indices, data))
            .map(gather, num_parallel_calls=tf.data.AUTOTUNE)
            .with_options(options)
            .prefetch(tf.data.AUTOTUNE)
            .apply(tf.data.experimental.assert_cardinality(full + (1 if rest else 0)))
        )

    def start_epoch(self, seed: int, epoch: int) -> None:
        self.order.assign(np.random.default_rng([seed, epoch]).permutation(self.n))
        self.epoch_seed.assign(epoch_seed(seed, epoch))


class _Epochs(keras.callbacks.Callback):
    """Per-epoch work inside one ``fit``: reseeding, history, the caller's hook, divergence."""

    def __init__(self, seed, batches, history, on_epoch_end, epoch_ends, epochs):
        super().__init__()
        self.seed, self.batches, self.history = seed, batches, history
        self.hook, self.epoch_ends, self.epochs = on_epoch_end, epoch_ends, epochs
        self.diverged = False

    def on_epoch_begin(self, epoch, logs=None):
        epoch += 1  # Keras counts from 0, the study from 1
        _reseed(self.model, self.seed, epoch)
        self.batches.start_epoch(self.seed, epoch)

    def on_epoch_end(self, epoch, logs=None):
        epoch += 1
        row = {"epoch": epoch, **{k: float(v) for k, v in (logs or {}).items()}}
        self.history.append(row)
        log.info("epoch %d/%d %s", epoch, self.epochs, {k: round(v, 4) for k, v in row.items() if k != "epoch"})
        if self.hook is not None:
            self.hook(epoch, self.history)
        if self.epoch_ends is not None:
            self.epoch_ends.append(time.perf_counter())
        if not math.isfinite(row["loss"]):
            log.warning("loss is %s at epoch %d: training diverged, stopping", row["loss"], epoch)
            self.diverged = True
            self.model.stop_training = True


def fit_epochs(
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    seed: int,
    history: list[dict] | None = None,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    on_epoch_end=None,
    epoch_ends: list[float] | None = None,
    shift: int = 0,
) -> tuple[list[dict], bool]:
    """Train from ``len(history)`` to ``epochs`` in one ``model.fit``; returns (history rows, diverged).

    Epoch e visits the training set in the order ``default_rng([seed, e]).permutation``, in batches
    of ``batch_size``, with the layers' dropout seed generators reset from (seed, e) first.
    ``on_epoch_end(epoch, history)`` runs after each epoch (gradient probe, checkpoint). A loss that
    turns NaN or infinite ends training with diverged = True instead of an exception. If given,
    ``epoch_ends`` receives perf_counter() at the start and after each epoch's ``on_epoch_end``.
    ``shift`` > 0 moves each training image by up to that many pixels (``_EpochBatches``).
    """
    history = list(history or [])
    if epoch_ends is not None:
        epoch_ends.append(time.perf_counter())
    if len(history) >= epochs:
        return history, False
    batches = _EpochBatches(x, y, batch_size, shift)
    callback = _Epochs(seed, batches, history, on_epoch_end, epoch_ends, epochs)
    model.fit(
        batches.dataset,
        epochs=epochs,
        initial_epoch=len(history),
        shuffle=False,  # the order is ours: set per epoch by the callback
        validation_data=validation,
        validation_batch_size=batch_size,
        callbacks=[callback],
        verbose=0,
    )
    return history, callback.diverged


def evaluate(model: keras.Model, x: np.ndarray, y: np.ndarray, diverged: bool) -> tuple[float, float]:
    if diverged:
        return math.nan, math.nan
    result = model.evaluate(x, y, batch_size=1024, verbose=0, return_dict=True)
    return float(result["loss"]), float(result["accuracy"])


def history_frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["epoch", *columns])


def train_mlp(
    arrays: dict[str, np.ndarray],
    *,
    exercise: str,
    activation: str,
    depth: int,
    seed: int,
    settings: dict,
    probe_size: int,
    probe_seed: int,
    threads: int = 1,
    steps_per_execution: int = STEPS_PER_EXECUTION,
    record: bool = True,
    epoch_ends: list[float] | None = None,
) -> dict[str, pd.DataFrame]:
    """One MLP job: metrics, history, gradients and activations frames.

    ``steps_per_execution``, ``record`` and ``epoch_ends`` (perf_counter at each epoch's end,
    recording included) exist for the benchmark and the tests, which compare against plain Keras
    and measure what recording costs.
    """
    from depthstudy.gradients import ProbeRecorder  # needs TF configured first

    device = configure_tensorflow(threads, seed)
    x_train, y_train = flat_pixels(arrays["x_train"]), arrays["y_train"]
    x_test, y_test = flat_pixels(arrays["x_test"]), arrays["y_test"]
    probe = probe_indices(len(x_train), probe_size, probe_seed)

    model = build_mlp(
        activation,
        depth,
        width=settings["width"],
        initializer=settings["initializer"],
        batchnorm=settings["batchnorm"],
    )
    model.compile(
        optimizer=make_optimizer(settings["optimizer"], settings["learning_rate"]),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
    )
    recorder = ProbeRecorder(model, x_train[probe], y_train[probe], activation)
    if record:
        recorder.record(epoch=0)

    start = time.perf_counter()
    rows, diverged = fit_epochs(
        model,
        x_train,
        y_train,
        epochs=settings["epochs"],
        batch_size=settings["batch_size"],
        seed=seed,
        on_epoch_end=(lambda epoch, _: recorder.record(epoch)) if record else None,
        epoch_ends=epoch_ends,
    )
    seconds = time.perf_counter() - start
    test_loss, test_accuracy = evaluate(model, x_test, y_test, diverged)
    log.info("test loss %.4f, test accuracy %.4f, %.1f s training", test_loss, test_accuracy, seconds)
    metrics = pd.DataFrame(
        [
            dict(
                exercise=exercise,
                activation=activation,
                depth=depth,
                seed=seed,
                epochs=len(rows),
                test_loss=test_loss,
                test_accuracy=test_accuracy,
                train_seconds=round(seconds, 3),
                diverged=diverged,
                device=device,
            )
        ]
    )
    return dict(
        metrics=metrics,
        history=history_frame(rows, ["loss", "accuracy"]),
        gradients=recorder.gradients(),
        activations=recorder.activations(),
    )


def _save_checkpoint(model: keras.Model, rows: list[dict], folder: Path, tag: dict) -> None:
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


def _load_checkpoint(folder: Path, tag: dict) -> tuple[keras.Model, list[dict]] | None:
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


def train_cnn(
    arrays: dict[str, np.ndarray],
    *,
    seed: int,
    settings: dict,
    checkpoint_dir: str | Path,
    threads: int = 1,
    epoch_ends: list[float] | None = None,
) -> dict:
    """One CNN job; resumes from ``checkpoint_dir`` if a killed run left one, removes it when done."""
    device = configure_tensorflow(threads, seed)
    checkpoint_dir = Path(checkpoint_dir)
    x, y = image_tensor(arrays["x_train"]), arrays["y_train"]
    # The validation split is the last share of the training set; the test set is only evaluated.
    n_val = int(round(len(x) * settings["validation_split"]))
    x_train, y_train, x_val, y_val = x[: len(x) - n_val], y[: len(y) - n_val], x[len(x) - n_val :], y[len(y) - n_val :]
    x_test, y_test = image_tensor(arrays["x_test"]), arrays["y_test"]

    tag = {**settings, "seed": seed, "n_train": len(x)}
    resumed = _load_checkpoint(checkpoint_dir, tag)
    if resumed:
        model, rows = resumed
    else:
        model, rows = build_cnn(l2=settings["l2"]), []
        learning_rate = settings["learning_rate"]
        if settings.get("lr_schedule", "constant") == "cosine":
            # decays to 0 over the whole run; the step count lives in the optimizer, so a resumed
            # job continues the same curve
            steps = math.ceil(len(x_train) / settings["batch_size"]) * settings["epochs"]
            learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, steps)
        model.compile(
            optimizer=make_optimizer(settings["optimizer"], learning_rate),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
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
        on_epoch_end=lambda _, h: _save_checkpoint(model, h, checkpoint_dir, tag),
        epoch_ends=epoch_ends,
        shift=settings.get("shift_pixels", 0),
    )
    seconds = time.perf_counter() - start
    test_loss, test_accuracy = evaluate(model, x_test, y_test, diverged)
    total, non_trainable = count_params(model)
    log.info("test loss %.4f, test accuracy %.4f, %.1f s this run", test_loss, test_accuracy, seconds)
    lines: list[str] = []
    model.summary(print_fn=lambda line, *_, **__: lines.append(line), line_length=100)
    metrics = pd.DataFrame(
        [
            dict(
                exercise="ex3",
                seed=seed,
                epochs=len(rows),
                test_loss=test_loss,
                test_accuracy=test_accuracy,
                train_seconds=round(seconds, 3),
                resumed_from_epoch=len(resumed[1]) if resumed else 0,
                diverged=diverged,
                device=device,
                params=total,
                non_trainable_params=non_trainable,
            )
        ]
    )
    columns = ["loss", "accuracy"] + (["val_loss", "val_accuracy"] if n_val else [])
    return dict(metrics=metrics, history=history_frame(rows, columns), summary="\n".join(lines) + "\n", model=model)
