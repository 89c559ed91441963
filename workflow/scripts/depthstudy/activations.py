"""LeCun's scaled tanh as a registered, serialisable Keras activation (usable by name: "lecun")."""

from __future__ import annotations

import keras
from keras import ops

from depthstudy.formulas import LECUN_A, LECUN_B, LECUN_C


@keras.saving.register_keras_serializable(package="depthstudy", name="lecun")
def lecun(x):
    """f(x) = 1.7159 tanh(2x/3) + 0.01x."""
    return LECUN_A * ops.tanh(LECUN_B * x) + LECUN_C * x


# Names the config may use, mapped to what keras.layers.Activation accepts.
ACTIVATIONS = {
    "relu": "relu",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "selu": "selu",
    "elu": "elu",
    "leaky_relu": "leaky_relu",
    "lecun": lecun,
}


def get_activation(name: str):
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"activation {name!r} is not one of {sorted(ACTIVATIONS)}") from None
