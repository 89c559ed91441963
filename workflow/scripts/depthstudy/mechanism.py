"""Why deep ReLU under Glorot init fails: a gradient that vanishes layer by layer towards the input,
or a collapse of the whole net's scale? The two predict different things, and claims.md reads which.

- A layer-wise vanishing (chi_1 = 1/2 per layer) predicts that dL/dW shrinks towards the input, so
  that the first layers stay where they started while the last ones learn; a cure has to act layer
  by layer.
- A collapse of the whole net's scale predicts that dL/dW is flat across the layers, every layer's
  as small as the output (2^(-L/2) for ReLU under Glorot, depthstudy.theory.logit_rms), and that one
  global number that restores the scale cures it: the pixels times the factor that gives the
  untrained net's logits an rms of 1 (training.input_scale: unit_logits). That factor leaves every
  layer-to-layer ratio as it was, dL/dz still halving in square per layer, so a layer-wise vanishing
  predicts that it does not cure, and that the first layers still stay where they started.

Adam at Keras' defaults and Adam with a tiny epsilon are measured beside them: Adam divides each
parameter's step by its own gradient's scale, which cures either mechanism, unless the gradients lie
below its epsilon (1e-7 by default), where it is no longer scale-free.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from depthstudy import theory
from depthstudy.names import GRID
from depthstudy.theory_vs_measured import TRAINS, gradient_rate

ADAM, ADAM_SMALL_EPS, RESCALED = "mechanism_adam", "mechanism_adam_small_eps", "mechanism_input_rescaled"
INTERVENTIONS = (ADAM, ADAM_SMALL_EPS, RESCALED)
# claim (e): ReLU + BatchNorm trained with SGD (a cure block) and with Adam
BATCHNORM, BATCHNORM_ADAM = "cure_batchnorm", "mechanism_batchnorm_adam"
EXPLODES = 10.0  # E[(dL/dz)^2] at layer 1 over the last hidden layer's, beyond which the gradient "explodes"

# Thresholds of the verdict.
FLAT = 0.5  # dL/dW counts as flat when |log10(rms at layer 1 / rms at the last hidden layer)| <= this
VANISHING = 1e-2  # and as vanishing layer-wise below this ratio, the threshold of claim (a)
MOVED = 0.1  # the first layer moved when its kernel_change is >= this share of the last hidden layer's

THRESHOLDS = (
    f"∂L/∂W flat: |log10(rms at layer 1 / rms at the last hidden layer)| ≤ {FLAT}; vanishing layer-wise: that "
    f"ratio < {VANISHING:g}; a net trains when its mean test accuracy reaches {TRAINS:.0%} of the best of the "
    f"nets compared here; the first layers moved when layer 1's relative kernel change is ≥ {MOVED:g} × the "
    "last hidden layer's"
)
QUOTE = (
    "Referring to the gradients of the ReLU, along with the ones of the Tanh, we see a significant drop to "
    "the value of max gradient when moving deeper in the network. So, the deeper layers of the network learn "
    "very slowly or tend to not learn at all (1.C)"
)


def _epoch0(frame: pd.DataFrame, exercise: str, depth: int, **filters) -> pd.DataFrame:
    sel = frame[(frame.exercise == exercise) & (frame.activation == "relu") & (frame.depth == depth)]
    sel = sel[sel.epoch == 0]
    for column, value in filters.items():
        sel = sel[sel[column] == value]
    return sel


def first_over_last(gradients: pd.DataFrame, exercise: str, depth: int, quantity: str) -> float:
    """log10 of rms at hidden layer 1 over rms at the last hidden layer, epoch 0, median over seeds."""
    sel = _epoch0(gradients, exercise, depth, quantity=quantity, stat="rms")
    by_layer = sel.pivot_table(index="seed", columns="layer", values="value")
    if by_layer.empty or 1 not in by_layer or depth not in by_layer:
        return math.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.log10(by_layer[1] / by_layer[depth]).median())


def weight_grad_scale(gradients: pd.DataFrame, exercise: str, depth: int) -> float:
    """log10 rms dL/dW at epoch 0, averaged over the hidden layers and the seeds."""
    sel = _epoch0(gradients, exercise, depth, quantity="weight_grad", stat="rms")
    sel = sel[(sel.layer <= depth) & (sel.value > 0)]
    return float(np.log10(sel.value).mean()) if len(sel) else math.nan


def logit_scale(activations: pd.DataFrame, exercise: str, depth: int) -> float:
    """log10 rms of the logits at epoch 0, mean over seeds."""
    sel = _epoch0(activations, exercise, depth, stat="logit_rms")
    sel = sel[sel.value > 0]
    return float(np.log10(sel.value).mean()) if len(sel) else math.nan


def first_layer_moved(activations: pd.DataFrame, exercise: str, depth: int) -> float:
    """After training: layer 1's relative kernel change over the last hidden layer's, median over seeds."""
    sel = activations[
        (activations.exercise == exercise)
        & (activations.activation == "relu")
        & (activations.depth == depth)
        & (activations.stat == "kernel_change")
    ]
    sel = sel[sel.epoch == sel.groupby("seed").epoch.transform("max")]
    by_layer = sel[sel.epoch > 0].pivot_table(index="seed", columns="layer", values="value")
    if by_layer.empty or 1 not in by_layer or depth not in by_layer:
        return math.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        return float((by_layer[1] / by_layer[depth]).median())


def accuracy(metrics: pd.DataFrame, exercise: str, depth: int) -> tuple[float, float, int]:
    """(mean, sd) of the test accuracy over seeds, a diverged seed at chance (0.1), and the seeds."""
    sel = metrics[(metrics.exercise == exercise) & (metrics.activation == "relu") & (metrics.depth == depth)]
    values = sel.test_accuracy.where(~sel.diverged.astype(bool), 0.1)
    sd = float(values.std()) if len(values) > 1 else math.nan
    return (float(values.mean()) if len(values) else math.nan), sd, len(values)


def _acc(metrics: pd.DataFrame, exercise: str, depth: int) -> str:
    mean, sd, n = accuracy(metrics, exercise, depth)
    return "not run" if n == 0 else f"{mean:.3f} ± {sd:.3f}" if n > 1 else f"{mean:.3f}"


def mechanism_claim(metrics: pd.DataFrame, activations: pd.DataFrame, gradients: pd.DataFrame, deep: int) -> dict:
    """(d) Deep ReLU under Glorot fails by a layer-wise vanishing gradient: the claim, its numbers and
    its verdict (see the module's docstring for what each measurement separates)."""
    depths = sorted(metrics.loc[(metrics.exercise == GRID) & (metrics.activation == "relu"), "depth"].unique())
    shallow = int(depths[0]) if depths else deep
    dw = first_over_last(gradients, GRID, deep, "weight_grad")
    dz = first_over_last(gradients, GRID, deep, "activation_grad")
    scales = {d: (weight_grad_scale(gradients, GRID, d), logit_scale(activations, GRID, d)) for d in (shallow, deep)}
    moved = first_layer_moved(activations, RESCALED, deep)
    moved_sgd = first_layer_moved(activations, GRID, deep)
    compared = [(GRID, d) for d in depths] + [(ex, d) for ex in INTERVENTIONS for d in depths]
    means = {key: accuracy(metrics, *key)[0] for key in compared}
    best = np.nanmax(list(means.values())) if any(np.isfinite(v) for v in means.values()) else math.nan
    trains = {key: bool(value >= TRAINS * best) for key, value in means.items() if np.isfinite(value)}
    claim = dict(
        claim=f"(d) ReLU + Glorot at {deep} layers fails because its gradients vanish layer by layer towards the "
        "input (χ₁ = ½ per layer)",
        quote=QUOTE,
        measurement=f"ReLU + Glorot before training: rms ∂L/∂W and ∂L/∂z at layer 1 over the last hidden layer, "
        f"and the scale of ∂L/∂W and of the logits at {shallow} and {deep} layers; test accuracy (5 epochs like "
        "1.B) of plain SGD, Adam at Keras' defaults, Adam with ε = 1e-12, and SGD on pixels times the one "
        "number that gives the untrained net's logits rms 1 (every layer-to-layer ratio unchanged), and how "
        f"far layer 1 moved relative to layer {deep} in training (plain SGD and the rescaled net). Thresholds: "
        f"{THRESHOLDS}",
        numbers=f"log10 ratio layer 1 / layer {deep}: ∂L/∂W {dw:+.2f}, ∂L/∂z {dz:+.2f}; log10 rms ∂L/∂W "
        f"{scales[shallow][0]:.2f} at {shallow} layers, {scales[deep][0]:.2f} at {deep}; log10 rms logits "
        f"{scales[shallow][1]:.2f} and {scales[deep][1]:.2f}; test accuracy at {', '.join(map(str, depths))} "
        f"layers: SGD {' / '.join(_acc(metrics, GRID, d) for d in depths)}; Adam "
        f"{' / '.join(_acc(metrics, ADAM, d) for d in depths)}; Adam ε 1e-12 "
        f"{' / '.join(_acc(metrics, ADAM_SMALL_EPS, d) for d in depths)}; rescaled pixels "
        f"{' / '.join(_acc(metrics, RESCALED, d) for d in depths)}; kernel change after training, layer 1 over "
        f"layer {deep}: SGD {moved_sgd:.2f}, rescaled pixels {moved:.2f}",
    )
    return claim | mechanism_verdict(dw, trains.get((GRID, deep)), trains.get((RESCALED, deep)), moved)


def mechanism_verdict(dw: float, baseline_trains, rescaled_trains, moved: float) -> dict:
    """The verdict on the layer-wise reading from the three measurements that separate it from a
    collapse of the whole net's scale; ``*_trains`` is None where the net was not run."""
    if math.isnan(dw) or rescaled_trains is None or math.isnan(moved):
        return dict(verdict="not measured", why="the mechanism's exercises or probe statistics are missing")
    if baseline_trains:
        return dict(verdict="not tested", why="ReLU + Glorot trains at this depth: there is no failure to explain")
    flat, vanishing, first_moved = abs(dw) <= FLAT, dw < math.log10(VANISHING), moved >= MOVED
    scale_evidence = [flat, rescaled_trains, first_moved]
    if all(scale_evidence):
        return dict(
            verdict="not supported",
            why="∂L/∂W is flat across the layers, and one global rescale that keeps every layer's ratios trains "
            "the net, its first layer moving as much as its last: the whole net's scale collapses (the output "
            "and every weight gradient shrink together), not the gradient layer by layer",
        )
    if vanishing and not rescaled_trains and not first_moved:
        return dict(
            verdict="supported",
            why="∂L/∂W shrinks towards the input, the global rescale does not cure it, and the first layers stay",
        )
    words = ["∂L/∂W " + ("flat" if flat else "vanishing" if vanishing else "neither flat nor vanishing")]
    words.append("the global rescale " + ("trains" if rescaled_trains else "does not train"))
    words.append("the first layer " + ("moves" if first_moved else "stays"))
    return dict(verdict="mixed", why="; ".join(words))


def batchnorm_claim(metrics: pd.DataFrame, gradients: pd.DataFrame, deep: int, batch: int) -> dict:
    """(e) ReLU + BatchNorm only partly cures depth because BatchNorm explodes the gradient at
    initialisation (Yang et al. 2019). Adam sets each parameter's step by its own gradient's size, so a
    gradient that grows layer by layer towards the input no longer decides how far each layer moves:
    if the explosion is what holds the SGD-trained net back, Adam on the same net cures it; if Adam
    does not, the explosion does not explain the partial cure. Plain ReLU with Adam at the same depth
    (mechanism_adam) shows what Adam does without BatchNorm."""
    predicted = theory.batchnorm_gradient_rate("relu", batch)
    sel = gradients[(gradients.exercise == BATCHNORM) & (gradients.activation == "relu") & (gradients.depth == deep)]
    measured = gradient_rate(sel).get((BATCHNORM, "relu", deep), math.nan) if len(sel) else math.nan
    depths = sorted(metrics.loc[(metrics.exercise == BATCHNORM) & (metrics.activation == "relu"), "depth"].unique())
    compared = [(ex, d) for ex in (GRID, BATCHNORM, BATCHNORM_ADAM, ADAM) for d in depths]
    means = {key: accuracy(metrics, *key)[0] for key in compared}
    best = np.nanmax(list(means.values())) if any(np.isfinite(v) for v in means.values()) else math.nan
    trains = {key: bool(value >= TRAINS * best) for key, value in means.items() if np.isfinite(value)}
    rows = {ex: " / ".join(_acc(metrics, ex, d) for d in depths) for ex in (GRID, BATCHNORM, BATCHNORM_ADAM, ADAM)}
    claim = dict(
        claim=f"(e) ReLU + BatchNorm at {deep} layers trains only partly because BatchNorm explodes its gradients "
        "at initialisation (π/(π − 1) per layer in E[(∂L/∂z)²], Yang et al. 2019)",
        quote="we apply batch normalization in order to normalize the data in each mini-batch (thus avoid getting "
        "too big or too small) (3, the CNN)",
        measurement=f"ReLU + BatchNorm before training, BatchNorm on batch statistics of {batch} images: the growth "
        f"of E[(∂L/∂z)²] per layer towards the input (fitted over hidden layers 2 to {deep - 1}) against the theory; "
        "test accuracy of the same net trained with SGD (cure_batchnorm) and with Adam at Keras' defaults "
        "(mechanism_batchnorm_adam), and of plain ReLU with Adam (mechanism_adam). Thresholds: the gradient "
        f"explodes when E[(∂L/∂z)²] at layer 1 is over {EXPLODES:g}× the last hidden layer's; a net trains when "
        f"its mean test accuracy reaches {TRAINS:.0%} of the best of the nets compared here",
        numbers=f"growth per layer: predicted {predicted:.3f} (π/(π − 1) = {math.pi / (math.pi - 1):.3f} as the "
        f"batch grows), measured {measured:.3f}, over {deep - 1} layers ×{measured ** (deep - 1):.3g}; test "
        f"accuracy at {', '.join(map(str, depths))} layers: ReLU SGD {rows[GRID]}; ReLU + BatchNorm SGD "
        f"{rows[BATCHNORM]}; ReLU + BatchNorm Adam {rows[BATCHNORM_ADAM]}; ReLU Adam {rows[ADAM]}",
    )
    return claim | batchnorm_verdict(measured, deep, trains.get((BATCHNORM, deep)), trains.get((BATCHNORM_ADAM, deep)))


def batchnorm_verdict(rate: float, deep: int, sgd_trains, adam_trains) -> dict:
    """The verdict on claim (e) from the measured growth per layer and whether the BatchNorm net trains
    with SGD and with Adam at ``deep`` layers (None: not run)."""
    if math.isnan(rate) or sgd_trains is None or adam_trains is None:
        return dict(verdict="not measured", why="the BatchNorm exercises or their probe statistics are missing")
    if sgd_trains:
        return dict(verdict="not tested", why="ReLU + BatchNorm trains at this depth with SGD: no partial cure")
    explodes = rate ** (deep - 1) > EXPLODES
    if not explodes:
        return dict(verdict="not supported", why="the gradient does not explode at this depth")
    if adam_trains:
        return dict(
            verdict="supported",
            why="the gradient explodes towards the input as predicted, and the same net trains once Adam sets each "
            "parameter's step by its own gradient's size: consistent with the explosion holding SGD back (Adam "
            "changes more than that, so this does not exclude other causes)",
        )
    return dict(
        verdict="not supported",
        why="the gradient explodes, but the same net with Adam, whose steps do not follow the gradient's size, "
        "does not train either: the explosion alone does not explain the partial cure",
    )
