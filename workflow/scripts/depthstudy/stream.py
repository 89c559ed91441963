"""The seeded training stream: what one epoch sees, in which order, with which dropout and shifts.

A job is one ``model.fit``; epoch e visits the data in a permutation drawn from (seed, e), and every
dropout seed and image shift is drawn from (seed, e) too. An epoch therefore computes the same thing
whether the job ran straight through or was restarted from a checkpoint, and the same seed gives the
same numbers on the same machine.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

log = logging.getLogger(__name__)


def _to_unit(pixels: np.ndarray) -> np.ndarray:
    """uint8 pixels as float32 in [0, 1], scaled in place: one new array, not two (the training set
    as float32 is 188 MB, and the page faults of a second fresh copy take over a second)."""
    out = pixels.astype("float32")
    out /= 255.0
    return out


def flat_pixels(images: np.ndarray) -> np.ndarray:
    return _to_unit(images.reshape(len(images), -1))


def image_tensor(images: np.ndarray) -> np.ndarray:
    return _to_unit(images[..., None])


def epoch_order(n: int, seed: int, epoch: int) -> np.ndarray:
    """The order in which epoch ``epoch`` (from 1) visits ``n`` training images."""
    return np.random.default_rng([seed, epoch]).permutation(n)


def epoch_seed(seed: int, epoch: int) -> int:
    return (seed * 100_003 + epoch) % (2**31 - 1)


def reseed(model: keras.Model, seed: int, epoch: int) -> None:
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


class EpochBatches:
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
        self.order.assign(epoch_order(self.n, seed, epoch))
        self.epoch_seed.assign(epoch_seed(seed, epoch))


class _Epochs(keras.callbacks.Callback):
    """Per-epoch work inside one ``fit``: reseeding, history, the caller's hook, divergence."""

    def __init__(self, seed, batches, history, on_epoch_end, epochs):
        super().__init__()
        self.seed, self.batches, self.history = seed, batches, history
        self.hook, self.epochs = on_epoch_end, epochs
        self.diverged = False

    def on_epoch_begin(self, epoch, logs=None):
        epoch += 1  # Keras counts from 0, the study from 1
        reseed(self.model, self.seed, epoch)
        self.batches.start_epoch(self.seed, epoch)

    def on_epoch_end(self, epoch, logs=None):
        epoch += 1
        row = {"epoch": epoch, **{k: float(v) for k, v in (logs or {}).items()}}
        self.history.append(row)
        log.info("epoch %d/%d %s", epoch, self.epochs, {k: round(v, 4) for k, v in row.items() if k != "epoch"})
        if self.hook is not None:
            self.hook(epoch, self.history)
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
    shift: int = 0,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> tuple[list[dict], bool]:
    """Train from ``len(history)`` to ``epochs`` in one ``model.fit``; returns (history rows, diverged).

    Epoch e visits the training set in the order ``epoch_order(n, seed, e)``, in batches
    of ``batch_size``, with the layers' dropout seed generators reset from (seed, e) first.
    ``on_epoch_end(epoch, history)`` runs after each epoch (gradient probe, checkpoint). A loss that
    turns NaN or infinite ends training with diverged = True instead of an exception.
    ``shift`` > 0 moves each training image by up to that many pixels (``EpochBatches``).
    ``callbacks`` run after ours in every epoch (the benchmark's clock sees the probe and checkpoint).
    """
    history = list(history or [])
    if len(history) >= epochs:
        return history, False
    batches = EpochBatches(x, y, batch_size, shift)
    callback = _Epochs(seed, batches, history, on_epoch_end, epochs)
    model.fit(
        batches.dataset,
        epochs=epochs,
        initial_epoch=len(history),
        shuffle=False,  # the order is ours: set per epoch by the callback
        validation_data=validation,
        validation_batch_size=batch_size,
        callbacks=[callback, *callbacks],
        verbose=0,
    )
    return history, callback.diverged
