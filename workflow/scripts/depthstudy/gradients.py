"""Per-layer gradient and activation statistics on a fixed probe batch.

One compiled forward and backward pass over the probe per epoch, so recording costs a fraction of a
training epoch and never forces eager execution or per-batch callbacks.

Layer numbering: 1 = first hidden layer, depth + 1 = the output layer. For each layer, z is what
enters its nonlinearity (after BatchNorm where there is one) and a is what comes out. BatchNorm runs
as in training, on each batch's own statistics (batches of the training's size), and leaves its
moving averages as they are.

gradients.csv has three quantities per layer: ``weight_grad`` (dL/dW), ``bias_grad`` (dL/db) and
``activation_grad`` (dL/dz). activations.csv has the hidden layers' signal statistics and, in a row
of its own at the output layer, the logits' scale (``logit_std``, ``logit_rms``); every layer also
has ``kernel_change``, how far its kernel has moved from where it was at epoch 0.
"""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from keras import layers

from depthstudy.models import ResidualBlock

# rms = sqrt(mean(t**2)), the second moment that mean-field theory predicts (depthstudy.theory);
# the per-layer max drifts from it by a factor that changes with the layer.
STATS = ("max_abs", "mean_abs", "l2", "rms")


def saturated(activation: str, z: tf.Tensor, a: tf.Tensor) -> tf.Tensor | None:
    """Boolean mask of saturated outputs, or None where saturation is not defined.

    sigmoid: a within 0.01 of 0 or 1 (f' < 0.0099, 4 % of its peak); tanh and LeCun: the tanh part
    within 0.01 of +-1 (f' < 2 % of its peak). ReLU and SELU have no flat tail: NaN.
    """
    if activation == "sigmoid":
        return (a < 0.01) | (a > 0.99)
    if activation == "tanh":
        return tf.abs(a) > 0.99
    if activation == "lecun":
        return tf.abs(tf.tanh(2.0 * z / 3.0)) > 0.99
    return None


def _batch_sizes(n: int, batch_size: int | None) -> list[int]:
    """The probe's n images in batches of ``batch_size`` (the last one smaller), as fit() cuts them."""
    size = n if not batch_size else min(batch_size, n)
    return [size] * (n // size) + ([n % size] if n % size else [])


def _blocks(model):
    """(dense, activation) layer pairs in order; the last pair is the output layer."""
    blocks, dense = [], None
    for layer in model.layers:
        if isinstance(layer, ResidualBlock):
            blocks.append((layer.dense, layer.activation))
        elif isinstance(layer, layers.Dense):
            dense = layer
        elif isinstance(layer, layers.Activation):
            blocks.append((dense, layer))
    return blocks


def _summaries(t: tf.Tensor) -> tf.Tensor:
    """max |t|, mean |t|, l2 and rms of one gradient. One float64 sum of squares serves l2 and rms
    (rms = sqrt(sum / n), as reduce_mean divides the same sum: the values equal _rms's bit for bit)."""
    t = tf.abs(tf.reshape(t, [-1]))
    sum_squares = tf.reduce_sum(tf.square(tf.cast(t, tf.float64)))
    l2 = tf.cast(tf.sqrt(sum_squares), tf.float32)
    rms = tf.cast(tf.sqrt(sum_squares / tf.cast(tf.size(t), tf.float64)), tf.float32)
    return tf.stack([tf.reduce_max(t), tf.reduce_mean(t), l2, rms])


def _rms(t: tf.Tensor) -> tf.Tensor:
    """sqrt(mean(t**2)), squared in float64: a float32 gradient of 1e-29 (layer 1 of a 40-layer
    sigmoid net) has a square below float32's range, and would read as 0."""
    return tf.cast(tf.sqrt(tf.reduce_mean(tf.square(tf.cast(t, tf.float64)))), tf.float32)


class ProbeRecorder:
    """Records ``gradients.csv`` and ``activations.csv`` rows for an MLP built by ``build_mlp``."""

    def __init__(self, model, x_probe: np.ndarray, y_probe: np.ndarray, activation: str, batch_size: int | None = None):
        self.model = model
        # BatchNorm normalises over batches of the training's size, as in training (None: the whole probe)
        self.bn_batches = _batch_sizes(len(x_probe), batch_size)
        self.activation = activation
        self.x = tf.constant(x_probe)
        self.y = tf.constant(y_probe)
        self.blocks = _blocks(model)
        self.names = [f"hidden_{i}" for i in range(1, len(self.blocks))] + ["output"]
        # No AutoGraph: the pass has no tensor-dependent control flow (its loops run over the layers
        # while tracing), so converting its source would only cost start-up time (0.35 s at depth 20).
        self._pass = tf.function(self._probe_pass, autograph=False)
        self.gradient_rows: list[dict] = []
        self.activation_rows: list[dict] = []
        self._initial_kernels: list[tf.Tensor] | None = None

    def _probe_pass(self, x, y, initial_kernels):
        kernels = [dense.kernel for dense, _ in self.blocks]
        biases = [dense.bias for dense, _ in self.blocks]
        zs, acts = [], []
        with tf.GradientTape() as tape:
            h = x
            for layer in self.model.layers:
                if isinstance(layer, ResidualBlock):  # z and a of its branch; h carries on past it
                    zs.append(layer.dense(h))
                    acts.append(layer.activation(zs[-1]))
                    h = h + layer.mix(acts[-1])
                elif isinstance(layer, layers.Activation):
                    zs.append(h)
                    h = layer(h)
                    acts.append(h)
                elif isinstance(layer, layers.BatchNormalization):
                    h = self._batch_statistics(layer, h)
                else:
                    h = layer(h, training=False)
            loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, h))
        kernel_grads, bias_grads, z_grads = tape.gradient(loss, (kernels, biases, zs))
        grads = tf.stack([tf.stack([_summaries(g) for g in gs]) for gs in (kernel_grads, z_grads, bias_grads)])
        # How far each kernel has moved, relative to its own size: the first layers of a net whose
        # gradients vanish towards the input stay where they started; a net that trains as a whole moves
        # every layer. Squared in float64, as _rms is.
        change = tf.stack(
            [
                tf.cast(tf.norm(tf.cast(k - k0, tf.float64)) / tf.norm(tf.cast(k0, tf.float64)), tf.float32)
                for k, k0 in zip(kernels, initial_kernels, strict=True)
            ]
        )
        logits = zs[-1]
        output_stats = tf.stack([tf.math.reduce_std(logits), _rms(logits)])
        hidden = []
        for (dense, _), z, a in zip(self.blocks[:-1], zs[:-1], acts[:-1], strict=True):
            sat = saturated(self.activation, z, a)
            hidden.append(
                tf.stack(
                    [
                        tf.reduce_mean(z),
                        tf.math.reduce_std(z),
                        _rms(z),
                        tf.reduce_mean(a),
                        tf.math.reduce_std(a),
                        _rms(a),
                        # dead unit: output exactly 0 for every probe image
                        tf.reduce_mean(tf.cast(tf.reduce_all(tf.equal(a, 0.0), axis=0), tf.float32)),
                        tf.constant(np.nan, tf.float32) if sat is None else tf.reduce_mean(tf.cast(sat, tf.float32)),
                        tf.reduce_mean(dense.bias),
                    ]
                )
            )
        act_stats = tf.stack(hidden) if hidden else tf.zeros([0, len(self.ACTIVATION_STATS)])
        return loss, grads, act_stats, change, output_stats

    def _batch_statistics(self, layer, h):
        """BatchNorm as in training, on each batch's own mean and variance (the training's batch size),
        without touching its moving averages: at initialisation its gradients are the ones that train
        the net, which inference mode (dividing by sqrt(1 + epsilon)) hides (Yang et al. 2019)."""
        out = []
        for part in tf.split(h, self.bn_batches):
            mean, variance = tf.nn.moments(part, axes=[0])
            out.append(tf.nn.batch_normalization(part, mean, variance, layer.beta, layer.gamma, layer.epsilon))
        return tf.concat(out, axis=0)

    ACTIVATION_STATS = (
        "z_mean",
        "z_std",
        "z_rms",
        "a_mean",
        "a_std",
        "a_rms",
        "dead_fraction",
        "saturated_fraction",
        "bias_mean",
    )
    # The output layer's row in activations.csv: the scale of the logits (std over every image and
    # class, and rms, the second moment that depthstudy.theory predicts). Its z is not a hidden signal,
    # so it has names of its own, which readers of the hidden layers' z_std and z_rms never pick up.
    OUTPUT_STATS = ("logit_std", "logit_rms")
    QUANTITIES = ("weight_grad", "activation_grad", "bias_grad")

    def clear(self) -> None:
        """Forget the rows recorded so far (the next net of a cell reuses the model and the pass)."""
        self.gradient_rows, self.activation_rows = [], []

    def record(self, epoch: int) -> float:
        """Append this epoch's rows; returns the probe loss. Epoch 0 also keeps the kernels as they are
        now, which ``kernel_change`` measures from."""
        if epoch == 0 or self._initial_kernels is None:
            self._initial_kernels = [tf.constant(dense.kernel.numpy()) for dense, _ in self.blocks]
        outputs = self._pass(self.x, self.y, self._initial_kernels)
        loss, grads, act_stats, change, output_stats = (t.numpy() for t in outputs)
        for q, quantity in enumerate(self.QUANTITIES):
            for i, name in enumerate(self.names):
                for s, stat in enumerate(STATS):
                    self.gradient_rows.append(
                        dict(
                            epoch=epoch,
                            layer=i + 1,
                            layer_name=name,
                            quantity=quantity,
                            stat=stat,
                            value=float(grads[q, i, s]),
                        )
                    )
        for i, name in enumerate(self.names):
            if i < len(act_stats):
                values = dict(zip(self.ACTIVATION_STATS, act_stats[i], strict=True))
            else:
                values = dict(zip(self.OUTPUT_STATS, output_stats, strict=True))
            values["kernel_change"] = change[i]
            for stat, value in values.items():
                self.activation_rows.append(
                    dict(epoch=epoch, layer=i + 1, layer_name=name, stat=stat, value=float(value))
                )
        return float(loss)

    def gradients(self) -> pd.DataFrame:
        return pd.DataFrame(self.gradient_rows, columns=["epoch", "layer", "layer_name", "quantity", "stat", "value"])

    def activations(self) -> pd.DataFrame:
        return pd.DataFrame(self.activation_rows, columns=["epoch", "layer", "layer_name", "stat", "value"])
