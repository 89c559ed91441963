"""The trainability phase diagram's training: one depth, one seed, every sigma_w^2 in one process.

Schoenholz et al. 2017 (Deep Information Propagation), Figs. 5 and 6: tanh networks whose weights
are drawn N(0, sigma_w^2 / fan_in) and biases N(0, sigma_b^2), trained with plain SGD; training
accuracy after a few numbers of steps, over a grid of sigma_w^2 and depth.

The nets are the study's MLPs (``models.build_mlp``, compiled by ``jobs.compile_classifier``) and see
the study's epoch order (``stream.epoch_order``). Only the initial weights differ between the nets
of one depth, so one model is built, compiled and traced once, and each net starts by assigning new
weights to it: a net then costs its training steps and nothing else. Every net of a job sees the
same batches, and its weights come from the same standard normals scaled by its own sigma_w (common
random numbers across a row of the grid).
"""

from __future__ import annotations

import logging
import time

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from depthstudy.jobs import compile_classifier
from depthstudy.logs import CONSOLE, job_name
from depthstudy.models import build_mlp
from depthstudy.runtime import configure_tensorflow, report_devices
from depthstudy.stream import epoch_order, flat_pixels

log = logging.getLogger(__name__)

# Keras steps per compiled call; a segment between two snapshots need not be a multiple of it.
STEPS_PER_EXECUTION = 32
EVAL_BATCH = 1024


def build(activation: str, depth: int, width: int, learning_rate: float) -> keras.Sequential:
    """The study's MLP of ``depth`` hidden layers, trained with plain SGD; weights are set by ``initialise``."""
    model = build_mlp(activation, depth, width, name=f"phase_{activation}_depth{depth}")
    compile_classifier(model, "sgd", learning_rate, STEPS_PER_EXECUTION)
    return model


def dense_layers(model: keras.Model) -> list[keras.layers.Dense]:
    """The hidden Dense layers, then the output layer."""
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def orthogonal(normals: np.ndarray) -> np.ndarray:
    """The (semi-)orthogonal matrix of the QR decomposition of ``normals`` (Haar-distributed: the signs
    of R's diagonal moved into Q), its columns of unit norm (on average, where fan_out > fan_in): a
    square layer keeps every input's norm, and every z has the variance that N(0, 1 / fan_in) entries
    give it."""
    fan_in, fan_out = normals.shape
    tall = fan_in >= fan_out
    q, r = np.linalg.qr(normals if tall else normals.T)
    q = q * np.sign(np.diag(r))
    return q if tall else q.T * np.sqrt(fan_out / fan_in)


def initialise(model: keras.Model, sigma_w2: float, sigma_b2: float, seed: int, weights: str = "gaussian") -> None:
    """Every kernel N(0, sigma_w^2 / fan_in) (``weights`` gaussian) or sigma_w times an orthogonal
    matrix (orthogonal), every bias N(0, sigma_b^2), the output layer's too; layer l's standard normals
    come from (seed, l), whatever sigma_w^2 and weights. The optimizer restarts."""
    if weights not in ("gaussian", "orthogonal"):
        raise ValueError(f"weights must be gaussian or orthogonal, not {weights!r}")
    for index, layer in enumerate(dense_layers(model)):
        rng = np.random.default_rng([seed, index])
        fan_in = layer.kernel.shape[0]
        normals = rng.standard_normal(layer.kernel.shape)
        kernel = normals / np.sqrt(fan_in) if weights == "gaussian" else orthogonal(normals)
        layer.kernel.assign(kernel * np.sqrt(sigma_w2))
        layer.bias.assign(rng.standard_normal(layer.bias.shape) * np.sqrt(sigma_b2))
    model.optimizer.iterations.assign(0)


def batch_order(n: int, steps: int, batch_size: int, seed: int) -> np.ndarray:
    """The training images of ``steps`` batches: the study's epochs one after another (epoch e in the
    order ``stream.epoch_order``), as many as the steps need."""
    epochs = -(-steps * batch_size // n)
    order = np.concatenate([epoch_order(n, seed, e) for e in range(1, epochs + 1)])
    return order[: steps * batch_size].reshape(steps, batch_size)


def train_row(
    arrays: dict[str, np.ndarray],
    *,
    depth: int,
    seed: int,
    sigma_w2s: list[float],
    settings: dict,
    threads: int = 1,
    device: str = "auto",
    weights: str = "gaussian",
    keys: dict | None = None,
    rule: str = "train_phase",
) -> dict[float, pd.DataFrame]:
    """Train one net per sigma_w^2 at ``depth`` hidden layers, its weights drawn as ``weights`` says
    (``initialise``); one tidy frame per net, its first columns ``keys`` (the phase diagram's by default).

    Each frame has a row per snapshot step (settings["snapshots"]) with the loss and accuracy on the
    first settings["train_subset"] training images, and a last row with the test set's (split "test").
    """
    keys = keys or dict(exercise="phase", depth=depth, seed=seed)
    configure_tensorflow(threads, seed, device, job_name(rule, keys))
    x_train, y_train = flat_pixels(arrays["x_train"]), arrays["y_train"].astype("int32")
    subset = min(settings["train_subset"], len(x_train))
    evaluation = {
        "train_subset": _batches(x_train[:subset], y_train[:subset]),
        "test": _batches(flat_pixels(arrays["x_test"]), arrays["y_test"].astype("int32")),
    }
    snapshots = sorted(settings["snapshots"])
    order = batch_order(len(x_train), snapshots[-1], settings["batch_size"], seed)
    x_all, y_all = tf.constant(x_train), tf.constant(y_train)

    def segment(first: int, last: int) -> tf.data.Dataset:
        """Steps first..last-1 of the stream, gathered from the tensors made once."""
        indices = tf.data.Dataset.from_tensor_slices(order[first:last])
        return indices.map(lambda i: (tf.gather(x_all, i), tf.gather(y_all, i))).prefetch(2)

    model = build(settings["activation"], depth, settings["width"], settings["learning_rate"])
    frames = {}
    for sigma_w2 in sigma_w2s:
        start = time.perf_counter()
        initialise(model, sigma_w2, settings["sigma_b2"], seed, weights)
        rows, done = [], 0
        for step in snapshots:
            model.fit(segment(done, step), epochs=1, verbose=0, shuffle=False)
            done = step
            rows.append(dict(step=step, split="train_subset", **_evaluate(model, evaluation["train_subset"])))
        if int(model.optimizer.iterations.numpy()) != done:
            raise RuntimeError(f"trained {int(model.optimizer.iterations.numpy())} steps, not {done}")
        rows.append(dict(step=done, split="test", **_evaluate(model, evaluation["test"])))
        frame = pd.DataFrame(rows)
        frame.insert(0, "sigma_b2", settings["sigma_b2"])
        frame.insert(0, "sigma_w2", sigma_w2)
        for name, value in reversed(keys.items()):
            frame.insert(0, name, value)
        frames[sigma_w2] = frame
        accuracy = ", ".join(f"{r['accuracy']:.3f}" for r in rows[:-1])
        log.info(
            "sigma_w^2 %g%s: training accuracy %s after %s steps, test %.4f, %.1f s",
            sigma_w2,
            "" if weights == "gaussian" else f", {weights}",
            accuracy,
            "/".join(map(str, snapshots)),
            rows[-1]["accuracy"],
            time.perf_counter() - start,
            extra=CONSOLE,
        )
    report_devices(model, "training and evaluation")
    return frames


def _batches(x: np.ndarray, y: np.ndarray) -> tf.data.Dataset:
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(EVAL_BATCH).cache()


def _evaluate(model: keras.Model, data: tf.data.Dataset) -> dict:
    result = model.evaluate(data, verbose=0, return_dict=True)
    return dict(loss=float(result["loss"]), accuracy=float(result["accuracy"]))
