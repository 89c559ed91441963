"""The report's explanations, tested against the probe measurements.

Each claim gets the measurement that tests it, the numbers, and a verdict from thresholds stated
here (and printed in claims.md), never by hand.
"""

from __future__ import annotations

import math

import pandas as pd

from depthstudy.comparisons import comparisons_table, describe, find
from depthstudy.mechanism import batchnorm_claim, mechanism_claim
from depthstudy.names import GRID, HE_CURE, SELU_CURE

# Thresholds of the verdicts.
SATURATED = 0.5  # a layer is saturated when more than half its outputs sit on a flat tail
VANISHING = 1e-2  # gradients vanish when max|dL/dz| at layer 1 is < 1 % of that at the last hidden layer
DEAD = 0.5  # "dying ReLU" when more than half the units are dead (0 on every probe image)
NEGATIVE_BIAS = -0.05  # "the bias becomes too negative": mean hidden bias below this
CENTRED = 0.1  # an output is zero-centred when |mean a| is below this

THRESHOLDS = (
    f"saturated layer: > {SATURATED:.0%} of outputs on a flat tail; vanishing: max|∂L/∂z| at layer 1 "
    f"< {VANISHING:g} × that at the last hidden layer; dying ReLU: > {DEAD:.0%} dead units and mean bias "
    f"< {NEGATIVE_BIAS}; zero-centred: |mean a| < {CENTRED}; networks compared by the Holm-adjusted tests of "
    "comparisons.md"
)


def _verdict(n_true: int, n: int) -> str:
    return "supported" if n_true == n else "not supported" if n_true == 0 else "mixed"


def _stat(acts: pd.DataFrame, exercise: str, activation: str, depth: int, stat: str, epoch: str) -> float:
    """Mean over seeds and hidden layers of one activation statistic at epoch 0 or the last epoch."""
    sel = acts[
        (acts.exercise == exercise) & (acts.activation == activation) & (acts.depth == depth) & (acts.stat == stat)
    ]
    if sel.empty:
        return math.nan
    last = sel.groupby("seed").epoch.transform("max")
    sel = sel[sel.epoch == (0 if epoch == "initial" else last)]
    return float(sel.value.mean())


def _vanishing_ratio(grads: pd.DataFrame, activation: str, depth: int) -> float:
    """max|dL/dz| at hidden layer 1 over that at the last hidden layer, epoch 0, median over seeds."""
    sel = grads[
        (grads.activation == activation)
        & (grads.depth == depth)
        & (grads.epoch == 0)
        & (grads.quantity == "activation_grad")
        & (grads.stat == "max_abs")
    ]
    if sel.empty:
        return math.nan
    by_layer = sel.groupby(["seed", "layer"]).value.mean().unstack("layer")
    return float((by_layer[1] / by_layer[depth]).median())


def claims_table(
    metrics: pd.DataFrame, activations: pd.DataFrame, gradients: pd.DataFrame, comparisons: pd.DataFrame, deep: int,
    batch: int = 128,
) -> pd.DataFrame:  # fmt: skip
    """The report's three claims, the mechanism of deep ReLU's failure and BatchNorm's partial cure
    (depthstudy.mechanism) at ``deep`` layers, the deepest of the report's grid; where a verdict compares
    networks it reads the Holm-adjusted test of ``comparisons``. ``batch``: BatchNorm's batch in training."""
    return pd.DataFrame(
        [
            sigmoid_claim(activations, gradients, deep),
            dying_relu_claim(activations, comparisons, deep),
            zero_centred_claim(activations, comparisons, deep),
            mechanism_claim(metrics, activations, gradients, deep),
            batchnorm_claim(metrics, gradients, deep, batch),
        ]
    )


def sigmoid_claim(activations: pd.DataFrame, gradients: pd.DataFrame, deep: int) -> dict:
    """(a) Sigmoid fails because it saturates and its gradients vanish."""
    sat0 = _stat(activations, GRID, "sigmoid", deep, "saturated_fraction", "initial")
    sat1 = _stat(activations, GRID, "sigmoid", deep, "saturated_fraction", "final")
    vs, vt = _vanishing_ratio(gradients, "sigmoid", deep), _vanishing_ratio(gradients, "tanh", deep)
    tests = [max(sat0, sat1) > SATURATED, vs < VANISHING]
    return dict(
        claim="(a) Sigmoid fails because its neurons saturate and its gradients vanish",
        quote="its gradient at very high or low values [...] is almost 0 [...] suffers from the vanishing "
        "gradient problem wherein the gradients of the deeper neurons vanish (1.B)",
        measurement=f"Sigmoid, {deep} layers: share of saturated outputs (a < 0.01 or a > 0.99) per hidden "
        "layer; max|∂L/∂z| at layer 1 relative to the last hidden layer, before training",
        numbers=f"saturated: {sat0:.1%} at epoch 0, {sat1:.1%} after training; gradient ratio layer 1 / "
        f"layer {deep}: sigmoid {vs:.2e}, tanh {vt:.2e}",
        verdict=_verdict(sum(tests), len(tests)),
        why=("saturation " + ("holds" if tests[0] else "does not hold: the units sit in the linear middle"))
        + "; vanishing "
        + ("holds" if tests[1] else "does not hold"),
    )


def dying_relu_claim(activations: pd.DataFrame, comparisons: pd.DataFrame, deep: int) -> dict:
    """(b) ReLU at depth: dying units (negative bias), or a vanishing signal?"""
    dead0 = _stat(activations, GRID, "relu", deep, "dead_fraction", "initial")
    dead1 = _stat(activations, GRID, "relu", deep, "dead_fraction", "final")
    bias1 = _stat(activations, GRID, "relu", deep, "bias_mean", "final")
    std = activations[
        (activations.exercise == GRID)
        & (activations.activation == "relu")
        & (activations.depth == deep)
        & (activations.stat == "a_std")
        & (activations.epoch == 0)
    ]
    std_by_layer = std.groupby("layer").value.mean()
    decay = float(std_by_layer.iloc[-1] / std_by_layer.iloc[0]) if len(std_by_layer) else math.nan
    he_cures = find(comparisons, (HE_CURE, "relu", deep), (GRID, "relu", deep))
    tests = [dead1 > DEAD, bias1 < NEGATIVE_BIAS]
    return dict(
        claim=f"(b) ReLU at {deep} layers fails by dying ReLU: biases turn negative and units output 0",
        quote="The network with the ReLU activation function in the hidden layer suffers from a dying ReLU "
        "problem. The bias term becomes too negative (1.B, 40 layers)",
        measurement=f"ReLU, {deep} layers: share of dead units and mean hidden bias after training; std of the "
        f"signal at layer {deep} over layer 1 before training; accuracy with Glorot and He init",
        numbers=f"dead units {dead0:.1%} at epoch 0, {dead1:.1%} after training; mean bias {bias1:+.4f}; "
        f"signal std ratio {decay:.2e}; test accuracy, He init against Glorot: {describe(he_cures)}",
        verdict=_verdict(sum(tests), len(tests)),
        why="the signal shrinks layer by layer (vanishing, not dead units); He init, which keeps its variance, "
        "beats Glorot (Holm-adjusted p < 0.05)"
        if not any(tests) and he_cures is not None and he_cures.holds
        else "see numbers",
    )


def zero_centred_claim(activations: pd.DataFrame, comparisons: pd.DataFrame, deep: int) -> dict:
    """(c) Tanh survives depth because it is zero-centred."""
    mean_tanh = _stat(activations, GRID, "tanh", deep, "a_mean", "final")
    mean_sig = _stat(activations, GRID, "sigmoid", deep, "a_mean", "final")
    he_tanh = find(comparisons, (HE_CURE, "relu", deep), (GRID, "tanh", deep))
    selu_tanh = find(comparisons, (SELU_CURE, "selu", deep), (GRID, "tanh", deep))
    centred = abs(mean_tanh) < CENTRED
    # ReLU outputs are >= 0, never zero-centred; SELU's mean is pulled to 0 but not by symmetry
    uncentred_trains = any(row is not None and row.holds for row in (he_tanh, selu_tanh))
    verdict = "not supported" if not centred else "mixed" if uncentred_trains else "supported"
    return dict(
        claim="(c) Tanh survives depth because it is zero-centred",
        quote="This is probably because the Tanh is zero centered (1.B, 40 layers)",
        measurement=f"{deep} layers: mean output of Tanh and Sigmoid layers after training; whether networks "
        "whose outputs are not zero-centred but whose init keeps the variance (ReLU + He, SELU) are as good as "
        "Tanh (comparisons.md)",
        numbers=f"mean a: tanh {mean_tanh:+.3f}, sigmoid {mean_sig:+.3f}; ReLU + He against Tanh: "
        f"{describe(he_tanh)}; SELU against Tanh: {describe(selu_tanh)}",
        verdict=verdict,
        why="Tanh is zero-centred, but a network that is not is as good as Tanh (Holm-adjusted) once its init "
        "keeps the variance: centring helps, variance is what decides"
        if verdict == "mixed"
        else "see numbers",
    )


def claims_for(
    frames: dict[str, pd.DataFrame], deepest: int, resolution: float = 0.0, batch: int = 128
) -> pd.DataFrame:
    """``claims_table`` on one set of frames (metrics, activations, gradients), with the networks'
    comparisons drawn from the same frames."""
    compared = comparisons_table(frames["metrics"], deepest, resolution=resolution)
    return claims_table(frames["metrics"], frames["activations"], frames["gradients"], compared, deepest, batch)


def stable_claims(
    frames: dict[str, pd.DataFrame],
    deepest: int,
    seeds: list[int],
    seeds_b: list[int] | None = None,
    resolution: float = 0.0,
    batch: int = 128,
) -> pd.DataFrame:
    """``claims_for`` on the rows of ``seeds``; where a second, disjoint set ``seeds_b`` is given, also
    on its rows and on both sets' together: verdict_b, verdict_both, and ``stability``, which calls a
    claim *undecided* where its verdict differs between the two sets."""
    if seeds_b and set(seeds) & set(seeds_b):
        raise ValueError(f"seeds_b {seeds_b} shares seeds with seeds {seeds}: the two sets must be disjoint")

    def on(chosen):
        return claims_for({k: f[f.seed.isin(chosen)] for k, f in frames.items()}, deepest, resolution, batch)

    table = on(seeds)
    if not seeds_b:
        return table.assign(verdict_b="", verdict_both="", stability="one seed set")
    b, both = on(seeds_b), on([*seeds, *seeds_b])
    table["verdict_b"], table["verdict_both"] = b.verdict.to_numpy(), both.verdict.to_numpy()
    table["stability"] = [
        "the same on both seed sets" if a == v else "undecided: the seed sets differ"
        for a, v in zip(table.verdict, table.verdict_b, strict=True)
    ]
    return table


def claims_markdown(table: pd.DataFrame, dataset: str = "MNIST") -> str:
    lines = [
        f"# The report's explanations, tested on {dataset}",
        "",
        "Produced by `depthstudy.claims` from the probe statistics; nothing here is written by hand.",
        f"Thresholds: {THRESHOLDS}. With a second, disjoint seed set (config `seeds_b`), each verdict is also "
        "drawn on it and on both sets together; a claim whose verdict differs between the two sets is "
        "undecided.",
        "",
    ]
    for _, row in table.iterrows():
        lines += [
            f"## {row.claim}",
            "",
            *([f"> {row.quote}", ""] if row.quote else []),
            f"- **Measurement:** {row.measurement}",
            f"- **Numbers:** {row.numbers}",
            f"- **Verdict:** {row.verdict} ({row.why})",
        ]
        if row.get("verdict_b"):
            verdict = "**undecided**" if row.stability.startswith("undecided") else "stable"
            lines.append(
                f"- **Over two seed sets:** {verdict}: {row.verdict} on the first, {row.verdict_b} on the second, "
                f"{row.verdict_both} on both together"
            )
        lines.append("")
    return "\n".join(lines)
