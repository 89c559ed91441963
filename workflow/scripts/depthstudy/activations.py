"""LeCun's scaled tanh as a registered, serialisable Keras activation (usable by name: "lecun")."""

from __future__ import annotations

import keras
from keras import ops

from depthstudy.formulas import LECUN_A, LECUN_B, LECUN_C


@keras.saving.register_keras_serializable(package="depthstudy", name="lecun")
def lecun(x):
    """f(x) = 1.7159 tanh(2x/3) + 0.01x."""
    return LECUN_A * ops.tanh(LECUN_B * x) + LECUN_C * x


def get_activation(name: str):
    """What ``keras.layers.Activation`` takes for a config name: Keras' own name, or LeCun's function.

    The schema has checked the name against its list; Keras refuses a name it does not know."""
    return lecun if name == "lecun" else name
