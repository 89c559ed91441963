"""LeCun's scaled tanh as a registered, serialisable Keras activation (usable by name: "lecun")."""

from __future__ import annotations

import keras
from keras import ops

from depthstudy.formulas import LECUN_A, LECUN_B, LECUN_C
from depthstudy.names import ACTIVATIONS


@keras.saving.register_keras_serializable(package="depthstudy", name="lecun")
def lecun(x):
    """f(x) = 1.7159 tanh(2x/3) + 0.01x."""
    return LECUN_A * ops.tanh(LECUN_B * x) + LECUN_C * x


def get_activation(name: str):
    """What ``keras.layers.Activation`` takes for a config name (``depthstudy.names.ACTIVATIONS``)."""
    if name not in ACTIVATIONS:
        raise ValueError(f"activation {name!r} is not one of {ACTIVATIONS}")
    return lecun if name == "lecun" else name
