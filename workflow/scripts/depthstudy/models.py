"""Keras builders: the report's fully connected networks (1.B-1.D) and its CNN (exercise 3)."""

from __future__ import annotations

import math

import keras
from keras import layers

from depthstudy.activations import get_activation
from depthstudy.theory import UNIT_LOGITS, orthogonal_gain

N_CLASSES = 10


@keras.saving.register_keras_serializable(package="depthstudy", name="InputScale")
class InputScale(layers.Layer):
    """Multiplies the input by one number, a non-trainable weight (so that it can be set after the
    net is built, from a measurement of the net itself, and is saved with the model)."""

    def __init__(self, scale: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.initial_scale = float(scale)

    def build(self, input_shape):
        init = keras.initializers.Constant(self.initial_scale)
        self.scale = self.add_weight(shape=(), initializer=init, trainable=False, name="scale")

    def call(self, inputs):
        return inputs * keras.ops.cast(self.scale, inputs.dtype)

    def get_config(self):
        return {**super().get_config(), "scale": self.initial_scale}


@keras.saving.register_keras_serializable(package="depthstudy", name="ResidualBlock")
class ResidualBlock(layers.Layer):
    """h -> h + phi(h W) V: one residual hidden layer of width ``units`` (Yang & Schoenholz 2017's full
    residual net), V's entries of variance sigma_v^2 / units, sigma_v = ``scale``, no bias. V has mean 0,
    so the branch adds its variance to the skip's and no mean (a plain h + sigma_v phi(h W) would add
    ReLU's and Sigmoid's positive means at every layer). Its Dense and Activation are layers of their own
    (``dense``, ``activation``), so that the probe takes dL/dz of the branch; ``mix`` is V."""

    def __init__(self, units: int, activation: str, initializer="glorot_uniform", scale: float = 1.0, index: int = 0,
                 **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self.units, self.activation_name, self.scale, self.index = units, activation, float(scale), index
        self.initializer_name = initializer if isinstance(initializer, str) else "orthogonal"
        self.dense = layers.Dense(units, kernel_initializer=_initializer(self.initializer_name, activation),
                                  name=f"dense_{index}")  # fmt: skip
        self.activation = layers.Activation(get_activation(activation), name=f"{activation}_{index}")
        mix_init = keras.initializers.VarianceScaling(
            scale=self.scale**2, mode="fan_in", distribution="truncated_normal"
        )
        self.mix = layers.Dense(units, use_bias=False, kernel_initializer=mix_init, name=f"mix_{index}")

    def build(self, input_shape):
        self.dense.build(input_shape)
        self.activation.build(input_shape[:-1] + (self.units,))
        self.mix.build(input_shape[:-1] + (self.units,))

    def call(self, inputs):
        return inputs + self.mix(self.activation(self.dense(inputs)))

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": self.activation_name,
                "initializer": self.initializer_name, "scale": self.scale, "index": self.index}  # fmt: skip


def _initializer(name: str, activation: str):
    """Keras' initializer by ``name``; ``orthogonal``: Orthogonal with the gain that puts sigma_w^2 at the
    activation's order-to-chaos boundary (depthstudy.theory.orthogonal_gain), one instance a layer."""
    return keras.initializers.Orthogonal(gain=orthogonal_gain(activation)) if name == "orthogonal" else name


def build_mlp(
    activation: str,
    depth: int,
    width: int = 128,
    initializer: str = "glorot_uniform",
    batchnorm: bool = False,
    name: str | None = None,
    input_scale: float | str = 1,
    residual: bool = False,
    residual_scale: float = 1.0,
) -> keras.Sequential:
    """``depth`` hidden Dense layers of ``width`` units and a 10-way softmax, on flat 784-pixel input.

    Each hidden layer is Dense -> (BatchNorm) -> Activation rather than Dense(activation=...), so the
    pre-activation z is a tensor of its own and the probe can take dL/dz. The parameter count is that
    of the plain Dense(activation=...) stack. ``input_scale`` other than 1 puts an ``InputScale``
    layer before the first Dense (``UNIT_LOGITS``: at 1 until ``scale_to_unit_logits`` sets it).
    ``residual``: hidden layers 2..depth are ``ResidualBlock``s with branch scale ``residual_scale``
    (not with BatchNorm).
    """
    if residual and batchnorm:
        raise ValueError("residual with batchnorm: not built (a residual block has no BatchNorm)")
    model = keras.Sequential(name=name or f"mlp_{activation}_depth{depth}")
    model.add(keras.Input(shape=(28 * 28,), name="pixels"))
    if input_scale != 1:
        model.add(InputScale(1.0 if input_scale == UNIT_LOGITS else input_scale, name="input_scale"))
    for i in range(1, depth + 1):
        if residual and i > 1:
            model.add(ResidualBlock(width, activation, initializer, residual_scale, i, name=f"residual_{i}"))
            continue
        model.add(layers.Dense(width, kernel_initializer=_initializer(initializer, activation), name=f"dense_{i}"))
        if batchnorm:
            model.add(layers.BatchNormalization(name=f"batchnorm_{i}"))
        model.add(layers.Activation(get_activation(activation), name=f"{activation}_{i}"))
    # The output layer keeps Keras' default init whatever the hidden layers use.
    model.add(layers.Dense(N_CLASSES, name="output"))
    model.add(layers.Activation("softmax", name="softmax"))
    return model


def scale_to_unit_logits(model: keras.Sequential, x) -> float:
    """Set the model's ``InputScale`` so that its logits have an rms of 1 on ``x``; returns the factor.

    One global number for the whole net, measured on the net as it is: every layer's ratios (of
    signal and of gradient, layer to layer) stay as they were, only the scale of the whole changes.
    Exact for a net that is positively homogeneous in its input (ReLU with zero biases, as Keras
    initialises them), whose logits scale with the input; for other nets a one-step approximation.
    """
    scale = model.get_layer("input_scale").scale
    scale.assign(1.0)
    h = keras.ops.convert_to_tensor(x)
    for layer in model.layers[:-1]:  # up to the logits, without the softmax
        h = layer(h, training=False)
    rms = float(keras.ops.sqrt(keras.ops.mean(keras.ops.square(keras.ops.cast(h, "float64")))))
    if not rms > 0 or not math.isfinite(rms):
        raise ValueError(f"input_scale: {UNIT_LOGITS} needs logits with a finite, non-zero rms; got {rms}")
    scale.assign(1.0 / rms)
    return 1.0 / rms


def build_cnn(l2: float = 5e-4, name: str = "report_cnn") -> keras.Sequential:
    """The report's exercise-3 CNN, layer for layer and with its layer names (1,221,450 parameters)."""
    reg = keras.regularizers.L2(l2)
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1), name="image"),
            layers.Conv2D(32, 3, kernel_regularizer=reg, name="conv2d_1"),
            layers.BatchNormalization(name="batch_normalization_1"),
            layers.LeakyReLU(name="leaky_re_lu_1"),
            layers.Conv2D(64, 3, kernel_regularizer=reg, name="conv2d_2"),
            layers.BatchNormalization(name="batch_normalization_2"),
            layers.Dense(64, name="dense_1"),  # applied to every pixel's 64 channels
            layers.LeakyReLU(name="leaky_re_lu_2"),
            layers.MaxPooling2D(2, name="max_pooling2d_1"),
            layers.Dropout(0.25, name="dropout_1"),
            layers.Flatten(name="flatten_1"),
            layers.Dense(128, kernel_regularizer=reg, name="dense_2"),
            layers.BatchNormalization(name="batch_normalization_3"),
            layers.Dense(128, name="dense_3"),
            layers.LeakyReLU(name="leaky_re_lu_3"),
            layers.Dropout(0.5, name="dropout_2"),
            layers.Dense(N_CLASSES, activation="softmax", name="dense_4"),
        ],
        name=name,
    )


def count_params(model: keras.Model) -> tuple[int, int]:
    """(total, non-trainable) parameter counts, as ``model.summary()`` prints them."""
    non_trainable = sum(int(keras.ops.size(w)) for w in model.non_trainable_weights)
    return model.count_params(), non_trainable


def model_summary(model: keras.Model) -> str:
    """The model's layers in the report's columns (Layer (type), Output Shape, Param #) and its totals.

    Keras' own ``summary()`` cuts columns to its line length and, once the model is trained, counts
    the optimizer's slots in its total; this counts the model's weights only, as the report does.
    """
    rows = [("Layer (type)", "Output Shape", "Param #")]
    for layer in model.layers:
        shape = "(" + ", ".join(str(d) for d in layer.output.shape) + ")"
        rows.append((f"{layer.name} ({type(layer).__name__})", shape, f"{layer.count_params():,}"))
    widths = [max(len(row[i]) for row in rows) + 3 for i in range(2)]
    lines = [f'Model: "{model.name}"', ""]
    lines += [f"{name:<{widths[0]}}{shape:<{widths[1]}}{params}" for name, shape, params in rows]
    rule = "=" * (sum(widths) + max(len(row[2]) for row in rows))
    lines.insert(3, rule)
    total, non_trainable = count_params(model)
    lines += [
        rule,
        f"Total params: {total:,}",
        f"Trainable params: {total - non_trainable:,}",
        f"Non-trainable params: {non_trainable:,}",
    ]
    return "\n".join(lines) + "\n"
