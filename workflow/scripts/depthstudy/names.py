"""Names that the workflow and the package share, each defined in one place.

The activations a config may name are the schema's (``$defs.activation.enum`` in
workflow/schemas/config.schema.yaml); tables and figures list them in that order. Adding one there is
enough for every part of the package: Keras resolves it by name (LeCun's is registered in
``depthstudy.activations``) and it prints as its name unless ``DISPLAY`` spells it otherwise.
"""

from __future__ import annotations

from depthstudy.resources import workflow_value

# The workflow values this module reads (depthstudy.resources): the schema's list of activations.
RESOURCES = (("schemas/config.schema.yaml", "$defs", "activation", "enum"),)
ACTIVATIONS: list[str] = workflow_value(*RESOURCES[0])

# The exercises that the schema requires, by what the study does with them: the report's grid
# (1.B/1.C), its untrained and trained LeCun nets (1.D), and the two cures that claims.md reads. The
# CNN's results are named like an exercise.
GRID, UNTRAINED, LECUN, HE_CURE, SELU_CURE = "ex1", "ex1d", "ex1d_trained", "cure_he_init", "cure_selu"
CNN = "ex3"

# How tables and figures write an activation where its config name is not how a reader knows it.
DISPLAY = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "lecun": "LeCun", "selu": "SELU", "elu": "ELU",
           "leaky_relu": "Leaky ReLU", "gelu": "GELU", "silu": "SiLU"}  # fmt: skip


def display(activation: str) -> str:
    return DISPLAY.get(activation, activation)


def in_order(activations) -> list[str]:
    """The distinct activations among ``activations``, in the schema's order (unknown ones last)."""
    present = list(dict.fromkeys(activations))
    return [a for a in ACTIVATIONS if a in present] + [a for a in present if a not in ACTIVATIONS]
