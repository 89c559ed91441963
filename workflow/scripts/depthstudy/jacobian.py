"""The spectrum of an untrained net's Jacobian dh_L / dh_1 against free-probability theory.

h_l is hidden layer l's output (h_l = phi(h_{l-1} W_l), Keras' row convention), so
J = W_2 D_2 W_3 D_3 ... W_L D_L with D_l = diag phi'(z_l): the map from the first hidden layer's
output to the last's, which the hidden-to-hidden kernels (square, width x width) make. Its squared
singular values lambda say how evenly a net passes signals and gradients: a net is dynamically
isometric when they all sit near 1 (Pennington, Schoenholz & Ganguli 2017). depthstudy.theory's
``jacobian_spectrum`` predicts their mean and normalised variance Var(lambda) / E[lambda]^2.

Each net of the config is drawn afresh, per seed, by Keras' own initializers (the seed of layer l is
seed * 1000 + l), on the first ``IMAGES`` probe images, in float64. BatchNorm nets are left out: batch
statistics couple the images of a batch, so one image's Jacobian does not describe them; residual nets
too (their Jacobian is not the product that the theory here describes).
"""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd

from depthstudy import names, theory
from depthstudy.markdown import number
from depthstudy.markdown import table as markdown_table
from depthstudy.models import N_CLASSES

TOLERANCE = 0.2  # |measured / predicted - 1| of var_sq that "agrees"
IMAGES = 4  # probe images per net: IMAGES x width squared singular values per seed
QUANTILES = 33  # of log10(lambda / mean lambda), per net and seed, for the figure


def kernels(activation: str, initializer: str, depth: int, width: int, seed: int) -> list[np.ndarray]:
    """The hidden kernels (784 x width, then width x width) and the output kernel of one net, as
    Keras' initializers draw them (``orthogonal``: with the study's gain, depthstudy.theory.orthogonal_gain)."""
    shapes = [(28 * 28, width)] + [(width, width)] * (depth - 1)
    out = []
    for layer, shape in enumerate(shapes, start=1):
        config = {"seed": seed * 1000 + layer}
        if initializer == "orthogonal":
            init = keras.initializers.Orthogonal(gain=theory.orthogonal_gain(activation), **config)
        else:
            init = keras.initializers.get({"class_name": initializer, "config": config})
        out.append(np.asarray(keras.ops.convert_to_numpy(init(shape)), dtype=np.float64))
    output = keras.initializers.GlorotUniform(seed=seed * 1000)((width, N_CLASSES))  # Keras' default
    return out + [np.asarray(keras.ops.convert_to_numpy(output), dtype=np.float64)]


def squared_singular_values(weights: list[np.ndarray], x: np.ndarray, activation: str, input_scale=1) -> np.ndarray:
    """(images, width) squared singular values of dh_L / dh_1 per image of ``x`` (pixels in [0, 1]).

    ``input_scale``: a number, or ``unit_logits`` (the pixels times 1 / the logits' rms on ``x``, as
    depthstudy.models.scale_to_unit_logits does on the probe batch)."""
    phi, dphi = theory.ACTIVATIONS[activation]
    hidden, output = weights[:-1], weights[-1]
    if input_scale == theory.UNIT_LOGITS:
        h = x
        for w in hidden:
            h = phi(h @ w)
        input_scale = 1.0 / np.sqrt(np.mean((h @ output) ** 2))
    h = phi((x * float(input_scale)) @ hidden[0])
    jac = np.broadcast_to(np.eye(hidden[0].shape[1]), (len(x), *[hidden[0].shape[1]] * 2)).copy()
    for w in hidden[1:]:
        z = h @ w
        jac = (jac @ w) * dphi(z)[:, None, :]
        h = phi(z)
    return np.linalg.svd(jac, compute_uv=False) ** 2


def measure(nets: list[dict], seeds: list[int], x: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per net, depth and seed: mean_sq and var_sq measured, averaged over the images;
    QUANTILES quantiles of log10(lambda / its image's mean) per net, depth and seed). ``nets`` as
    depthstudy.theory_vs_measured.profiles takes them; depths below 2 (no hidden-to-hidden layer) and
    BatchNorm nets are skipped."""
    rows, quantiles = [], []
    levels = np.linspace(0, 1, QUANTILES)
    for net in nets:
        if net["batchnorm"] or net.get("residual"):
            continue
        for depth in (d for d in net["depths"] if d >= 2):
            for seed in seeds:
                weights = kernels(net["activation"], net["initializer"], depth, net["width"], seed)
                lam = squared_singular_values(weights, x, net["activation"], net.get("input_scale", 1))
                mean = lam.mean(axis=1)
                keys = dict(exercise=net["exercise"], activation=net["activation"], initializer=net["initializer"],
                            width=net["width"], depth=depth, seed=seed)  # fmt: skip
                rows.append(keys | dict(mean_sq=float(mean.mean()), var_sq=float((lam.var(axis=1) / mean**2).mean())))
                rel = np.log10(np.maximum(lam / mean[:, None], 1e-300)).ravel()  # a lambda of 0 at -300
                values = np.quantile(rel, levels)
                quantiles += [keys | dict(quantile=p, log10_rel=v) for p, v in zip(levels, values, strict=True)]
    return pd.DataFrame(rows), pd.DataFrame(quantiles)


def table(measured: pd.DataFrame, nets: list[dict], x: np.ndarray) -> pd.DataFrame:
    """Per net and depth: predicted and measured (mean and sd over seeds) mean_sq and var_sq, and the
    relative error of var_sq, (measured - predicted) / predicted."""
    net_keys = ["exercise", "activation", "initializer", "depth"]
    by = measured.groupby([*net_keys, "width"], sort=False)
    out = by[["mean_sq", "var_sq"]].mean().add_suffix("_measured")
    out["var_sq_sd"] = by.var_sq.std(ddof=1)
    out["seeds"] = by.seed.nunique()
    out = out.reset_index()
    widths = {(n["exercise"], n["activation"]): n for n in nets}
    sq = (x.reshape(len(x), -1) ** 2).sum(axis=1)
    predicted = []
    for row in out.itertuples():
        net = widths[row.exercise, row.activation]
        scale = net.get("input_scale", 1)
        if scale == theory.UNIT_LOGITS:  # as depthstudy.theory_vs_measured predicts it: 1 / the logits' rms
            last = theory.profile(row.activation, row.initializer, net["width"], row.depth, sq).a_rms.iloc[-1]
            scale = 1.0 / theory.logit_rms(last, net["width"])
        scale = float(scale)
        args = (row.activation, row.initializer, net["width"], row.depth)
        predicted.append(theory.jacobian_spectrum(*args, sq * scale**2))
    out["mean_sq_predicted"] = [p["mean_sq"] for p in predicted]
    out["var_sq_predicted"] = [p["var_sq"] for p in predicted]
    out["var_sq_error"] = out.var_sq_measured / out.var_sq_predicted - 1.0
    numbers = [
        "mean_sq_predicted",
        "mean_sq_measured",
        "var_sq_predicted",
        "var_sq_measured",
        "var_sq_sd",
        "var_sq_error",
    ]
    return out[[*net_keys, "width", "seeds", *numbers]]


def jacobian_markdown(frame: pd.DataFrame, dataset: str = "MNIST") -> str:
    """The table in Markdown: each net's predicted and measured spectrum, and whether they agree."""
    lines = [
        f"# The Jacobian's spectrum at initialisation on {dataset}: free-probability theory against the nets",
        "",
        "Produced by `depthstudy.jacobian` from `depthstudy.theory.jacobian_spectrum`; nothing here is written by "
        f"hand. λ: the squared singular values of ∂h_L/∂h_1 (hidden layer L's output over the first's), on {IMAGES} "
        "probe images, each net drawn afresh per seed by Keras' own initializers, before training. *Mean λ*: "
        "predicted ∏χ along each image's q trajectory; *Var λ / (mean λ)²*: predicted Σ over layers 2..L of "
        "(μ₂/μ₁² − 1 − s₁), μ_k = E[φ′(z)^(2k)] at the layer's own q, s₁ = −1 for i.i.d. weights and 0 for "
        "orthogonal ones (Pennington, Schoenholz & Ganguli 2017); 0 is dynamical isometry. Measured: mean ± sd "
        f"over seeds of the per-image value. The theory is for infinite width: it **agrees** when the measured "
        f"variance is within {TOLERANCE:.0%} of the predicted. BatchNorm nets are left out (batch statistics "
        "couple the images).",
        "",
    ]
    header = ["exercise", "activation", "init", "hidden layers", "mean λ predicted", "measured",
              "Var λ / (mean λ)² predicted", "measured", "error", "verdict"]  # fmt: skip
    rows = []
    for r in frame.itertuples():
        agrees = abs(r.var_sq_error) <= TOLERANCE
        rows.append([
            r.exercise, names.display(r.activation), r.initializer, r.depth, f"{r.mean_sq_predicted:.3g}",
            f"{r.mean_sq_measured:.3g}", number(r.var_sq_predicted, 2),
            f"{number(r.var_sq_measured, 2)} ± {number(r.var_sq_sd, 2)}", f"{r.var_sq_error:+.0%}",
            "agrees" if agrees else "**differs**",
        ])  # fmt: skip
    return "\n".join(lines) + "\n" + markdown_table(header, rows)
