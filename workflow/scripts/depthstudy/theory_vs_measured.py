"""Mean-field predictions (depthstudy.theory) against the probe's epoch-0 measurements, net by net.

Each quantity is compared as one number per net: log10 of its rms at hidden layer 1 over its rms at
the last hidden layer. That is how many orders of magnitude it gains or loses across the net, and it
needs no knowledge of the loss's own gradient, which the theory does not predict.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from depthstudy import names, theory
from depthstudy.markdown import number
from depthstudy.markdown import table as markdown_table

TOLERANCE = 0.3  # |predicted - measured| in log10 (a factor of 2) for "agrees"
# A network "trains" when its mean test accuracy reaches this share of the best network's in the
# table: relative, because a good accuracy depends on the data set (0.96 on MNIST, 0.86 on Fashion-MNIST).
TRAINS = 0.9
NET = ["exercise", "activation", "initializer", "batchnorm", "width"]
QUANTITIES = {
    # name: (measured frame, filter, theory column)
    "dz": ("gradients", dict(quantity="activation_grad", stat="rms"), "dz_rel"),
    "signal": ("activations", dict(stat="z_rms"), "z_rms"),
    "dw": ("gradients", dict(quantity="weight_grad", stat="rms"), "dw_rel"),
    # dL/db_l is the sum over the images of dL/dz_l: predicted like dL/dW, under the same assumption of
    # equally coherent images in every layer
    "db": ("gradients", dict(quantity="bias_grad", stat="rms"), "dz_rel"),
}


def profiles(nets: list[dict], input_sq_norms: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Predicted per-layer profiles and depth scales of every net: dicts with exercise, activation,
    initializer, batchnorm, width and depths. A net the theory cannot describe gets a scales row
    that says why, and no profile."""
    rows, scales = [], []
    for net in nets:
        keys = {k: net[k] for k in NET}
        try:
            scales.append(keys | theory.depth_scales(net["activation"], net["initializer"], net["width"],
                                                     net["batchnorm"], net.get("batch_size", 128),
                                                     net.get("residual", False)))  # fmt: skip
        except theory.NoPrediction as err:
            scales.append(keys | {"note": str(err)})
            continue
        for depth in net["depths"]:
            p = _scaled_profile(net, depth, np.asarray(input_sq_norms, dtype=float))
            rows.append(p.assign(**keys, depth=depth))
    profile = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=[*NET, "depth", "layer"])
    profile = profile[[*NET, "depth", *[c for c in profile.columns if c not in {*NET, "depth"}]]]
    return profile, pd.DataFrame(scales)


def _scaled_profile(net: dict, depth: int, input_sq_norms: np.ndarray) -> pd.DataFrame:
    """theory.profile of one net, its pixels times the net's ``input_scale`` (training.input_scale):
    a number, or unit_logits, which the net measures on itself before training and the theory takes as
    1 / its own predicted rms of the logits, as the net does, in one step."""
    args = (net["activation"], net["initializer"], net["width"], depth)
    bn = dict(batchnorm=net["batchnorm"], batch=net.get("batch_size", 128), residual=net.get("residual", False),
              residual_scale=net.get("residual_scale", 1.0))  # fmt: skip
    scale = net.get("input_scale", 1)
    if scale == theory.UNIT_LOGITS:
        p = theory.profile(*args, input_sq_norms, **bn)
        scale = 1.0 / theory.logit_rms(p.a_rms.iloc[-1], net["width"])
    if scale == 1:
        return theory.profile(*args, input_sq_norms, **bn)
    return theory.profile(*args, input_sq_norms * float(scale) ** 2, **bn)


def _epoch0(frame: pd.DataFrame, **filters) -> pd.DataFrame:
    """The hidden layers' rows of ``frame`` before training that ``filters`` (column=value) select."""
    sel = frame[frame.epoch == 0]
    for column, value in filters.items():
        sel = sel[sel[column] == value]
    return sel[sel.layer <= sel.depth]


def relative_to_last(frame: pd.DataFrame, **filters) -> pd.DataFrame:
    """Epoch-0 rows of the hidden layers (those ``filters`` select), each value divided by its net's
    and seed's value at the last hidden layer; NaN where either underflowed to 0. Theory predicts
    these ratios; the output layer's gradient is the loss's, which it does not."""
    sel = _epoch0(frame, **filters)
    job = ["exercise", "activation", "depth", "seed"]
    last = sel[sel.layer == sel.depth].set_index(job).value
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = sel.value.to_numpy() / last.reindex(pd.MultiIndex.from_frame(sel[job])).to_numpy()
    return sel.assign(value=np.where(np.isfinite(ratio) & (ratio > 0), ratio, np.nan))


def _spread(frame: pd.DataFrame, **filters) -> pd.Series:
    """Per (exercise, activation, depth): the largest |log10(rms at a hidden layer / rms at the last
    hidden layer)| at epoch 0, mean over seeds: 0 for a profile that is flat across the layers."""
    rel = relative_to_last(frame, **filters)
    keys = ["exercise", "activation", "depth"]
    per_seed = np.log10(rel.value).abs().groupby([rel[k] for k in [*keys, "seed"]]).max()
    return per_seed.groupby(level=keys).mean()


def _output_scale(activations: pd.DataFrame) -> pd.Series:
    """Per (exercise, activation, depth): mean over seeds of log10 rms of the logits at epoch 0."""
    sel = activations[(activations.epoch == 0) & (activations.stat == "logit_rms") & (activations.value > 0)]
    return np.log10(sel.value).groupby([sel.exercise, sel.activation, sel.depth]).mean()


def _weight_grad_scale(gradients: pd.DataFrame) -> pd.Series:
    """Per (exercise, activation, depth): log10 rms of dL/dW at epoch 0, its mean over the hidden
    layers and the seeds: the scale of every layer's weight gradient at once."""
    sel = gradients[(gradients.epoch == 0) & (gradients.quantity == "weight_grad") & (gradients.stat == "rms")]
    sel = sel[(sel.layer <= sel.depth) & (sel.value > 0)]
    return np.log10(sel.value).groupby([sel.exercise, sel.activation, sel.depth]).mean()


def gradient_rate(gradients: pd.DataFrame) -> pd.Series:
    """Per (exercise, activation, depth): how much E[(dL/dz)^2] grows per layer towards the input at
    epoch 0, exp(-slope) of the least-squares line through log(mean over seeds of rms^2) against the
    layer, over the hidden layers 2..L-1 (the first and last differ: pixels in, the loss's gradient
    out). NaN below 4 hidden layers."""
    sel = gradients[(gradients.epoch == 0) & (gradients.quantity == "activation_grad") & (gradients.stat == "rms")]
    sel = sel[(sel.layer >= 2) & (sel.layer < sel.depth)]
    square = (sel.value.astype(float) ** 2).groupby([sel.exercise, sel.activation, sel.depth, sel.layer]).mean()
    rates = {}
    for key, by_layer in square.groupby(level=["exercise", "activation", "depth"]):
        layers = by_layer.index.get_level_values("layer").to_numpy()
        ok = by_layer.to_numpy() > 0
        if ok.sum() < 2:
            rates[key] = math.nan
            continue
        rates[key] = math.exp(-np.polyfit(layers[ok], np.log(by_layer.to_numpy()[ok]), 1)[0])
    return pd.Series(rates, dtype=float).rename_axis(["exercise", "activation", "depth"])


def _measured(frame: pd.DataFrame, filters: dict) -> pd.Series:
    """Per (exercise, activation, depth): mean over seeds of log10(rms at layer 1 / rms at the last
    hidden layer) at epoch 0; NaN where a value underflowed to 0."""
    first = relative_to_last(frame, **filters).query("layer == 1")
    return np.log10(first.value).groupby([first.exercise, first.activation, first.depth]).mean()


def table(
    profile: pd.DataFrame, scales: pd.DataFrame, gradients: pd.DataFrame, activations: pd.DataFrame,
    metrics: pd.DataFrame,
) -> pd.DataFrame:  # fmt: skip
    """One row per exercise x activation x depth: predicted and measured log10 ratios, their error,
    the depth scales, predicted trainability, the trained accuracy and the verdict."""
    frames = {"gradients": gradients, "activations": activations}
    keys = ["exercise", "activation", "depth"]
    first = profile[profile.layer == 1].set_index(keys)
    last = profile[profile.layer == profile.depth].set_index(keys)
    out = first[["initializer", "batchnorm"]].copy()
    for name, (frame, filters, column) in QUANTITIES.items():
        out[f"{name}_predicted"] = np.log10(first[column] / last[column])
        out[f"{name}_measured"] = _measured(frames[frame], filters).reindex(out.index)
        out[f"{name}_error"] = out[f"{name}_predicted"] - out[f"{name}_measured"]
    # The scale of the whole net: the logits' rms (predicted absolutely, from the last hidden layer's
    # signal), how flat dL/dW is across the hidden layers, and the absolute size of dL/dW.
    dw_profile = profile.assign(value=np.log10(profile.dw_rel).abs())
    out["dw_spread_predicted"] = dw_profile.groupby(keys).value.max().reindex(out.index)
    out["dw_spread_measured"] = _spread(gradients, quantity="weight_grad", stat="rms").reindex(out.index)
    out["dw_scale_measured"] = _weight_grad_scale(gradients).reindex(out.index)
    widths = profile.groupby(keys).width.first().reindex(out.index)
    out["output_predicted"] = np.log10(
        [theory.logit_rms(a, w) for a, w in zip(last.a_rms.reindex(out.index), widths, strict=True)]
    )
    out["output_measured"] = _output_scale(activations).reindex(out.index)
    out["output_error"] = out.output_predicted - out.output_measured
    # BatchNorm on batch statistics: the gradient's growth per layer, predicted (Yang et al. 2019) and fitted
    rate = profile[profile.layer == 1].set_index(keys).chi  # constant over a BatchNorm net's layers
    out["bn_rate_predicted"] = np.where(out.batchnorm.astype(bool), rate.reindex(out.index), np.nan)
    out["bn_rate_measured"] = np.where(out.batchnorm.astype(bool), gradient_rate(gradients).reindex(out.index), np.nan)
    # The gradient's growth over the net's own layers, the product of chi along its q trajectory
    # (theory.gradient_growth, averaged over the probe images), and chi's range along the way.
    out["grad_growth"] = first.dz_rel**2
    chis = profile[profile.layer < profile.depth].groupby(keys).chi
    out["chi_min"], out["chi_max"] = chis.min().reindex(out.index), chis.max().reindex(out.index)
    out = out.reset_index().merge(
        scales[["exercise", "activation", "width", "xi_grad", "xi_c", "trainable_depth", "decided_by", "regime"]],
        on=["exercise", "activation"],
    )
    # A net without a fixed point is read over its own layers (theory.own_layers), never at a q it
    # does not reach.
    for i in np.flatnonzero(out.decided_by == theory.OWN_LAYERS):
        own = theory.own_layers(out.grad_growth[i], out.depth[i])
        for column in ("xi_grad", "xi_c", "trainable_depth", "decided_by"):
            out.loc[i, column] = own[column]
    out["predicted_trainable"] = [
        "no prediction (residual)" if regime == "residual" else _trainable(bn, d, t)
        for bn, d, t, regime in zip(out.batchnorm, out.depth, out.trainable_depth, out.regime, strict=True)
    ]
    seeds = relative_to_last(activations, stat="z_rms").query("layer == 1").groupby(keys).seed.nunique()
    seeds = seeds.reindex(pd.MultiIndex.from_frame(out[keys])).fillna(1).astype(int).to_numpy()
    nets = zip(out.activation, out.width, out.depth, seeds, out.batchnorm.astype(bool), strict=True)
    # (Hanin & Nica's shift is for plain nets: BatchNorm renormalises every layer)
    shift = [theory.finite_width_shift(a, w, d, s) if not bn else (math.nan, math.nan) for a, w, d, s, bn in nets]
    out["signal_finite_width"], out["signal_finite_width_sd"] = np.array(shift).T if shift else ([], [])
    trained = metrics[metrics.epochs > 0]
    ok = trained[~trained.diverged.astype(bool)]
    accuracy = ok.groupby(keys).test_accuracy.mean()
    out["test_accuracy"] = accuracy.reindex(pd.MultiIndex.from_frame(out[keys])).to_numpy()
    bar = TRAINS * accuracy.max() if len(accuracy) else math.nan
    out["trains"] = np.where(out.test_accuracy.isna(), "", np.where(out.test_accuracy >= bar, "yes", "no"))
    out["verdict"] = [_verdict(row) for _, row in out.iterrows()]
    order = {a: i for i, a in enumerate(names.in_order(out.activation))}
    exercises = {e: i for i, e in enumerate(dict.fromkeys(profile.exercise))}
    out = out.assign(_e=out.exercise.map(exercises), _a=out.activation.map(order))
    return out.sort_values(["_e", "depth", "_a"]).drop(columns=["_e", "_a"]).reset_index(drop=True)


def _trainable(batchnorm: bool, depth: int, trainable_depth) -> str:
    if batchnorm:
        return "no prediction (BatchNorm)"
    if trainable_depth is None or math.isnan(trainable_depth):
        return "no prediction (gradients grow over its layers)"
    return "yes" if depth <= trainable_depth else "no"


def _verdict(row: pd.Series) -> str:
    """Agrees when both the gradient and the signal are within TOLERANCE; else what does not."""
    problems = []
    for name, words in (("dz", "∂L/∂z"), ("signal", "signal")):
        if math.isnan(row[f"{name}_measured"]):
            problems.append(f"{words} not measured (0 or missing)")
        elif abs(row[f"{name}_error"]) > TOLERANCE:
            problems.append(f"{words} off by {row[f'{name}_error']:+.2f}")
    return "agrees" if not problems else "differs: " + "; ".join(problems)


DECIDED = {"xi_c": "ξc", "xi_grad": "ξ∇"}
NUMBERS = ("dz_predicted", "dz_measured", "dz_error", "signal_predicted", "signal_measured", "signal_error",
           "dw_predicted", "dw_measured")  # fmt: skip


def _pair(predicted: float, measured: float) -> str:
    return f"{number(predicted, 2)} / {number(measured, 2)}"


def theory_vs_measured_markdown(frame: pd.DataFrame, dataset: str = "MNIST") -> str:
    agree = int((frame.verdict == "agrees").sum())
    lines = [
        f"# Mean-field theory against the measurements on {dataset}",
        "",
        f"Tolerance: a net **agrees** when both its predicted log10 ratios, of ∂L/∂z and of the signal z, are "
        f"within {TOLERANCE} of the measured ones (a factor of {10**TOLERANCE:.1f}). {agree} of {len(frame)} "
        "nets agree.",
        "",
        "Produced by `depthstudy.theory_vs_measured` from `depthstudy.theory`; nothing here is written by hand. "
        "Each ratio is log10(rms at hidden layer 1 / rms at the last hidden layer), before training, on the "
        "probe batch; measured: mean over seeds. ∂L/∂W is predicted assuming its images' gradients are equally "
        "coherent in every layer, and is shown but not judged. ξ∇, ξc: the depth scales of gradients and of "
        "correlations at the variance map's fixed point (∞: they never decay). A net whose map has no positive, "
        "finite fixed point (q → 0, or q grows without bound) is read over *its own layers* instead, never at a q "
        "it does not reach: ∏χ is the gradient's growth E[(∂L/∂z₁)²] / E[(∂L/∂z_L)²], the product of χ along "
        "its q trajectory (χ's range along the way beside it), ξ∇ = (L − 1) / |ln ∏χ|, and no ξc. Trainable "
        "(theory): depth ≤ "
        "6 ξc (Schoenholz et al. 2017) and, where gradients vanish (χ₁ < 1), depth ≤ 6 ξ∇; *decided by* names "
        "the shorter scale (*both* where they are equal, as everywhere in the ordered phase with biases). "
        "*Finite width*: for ReLU, the signal error that a width of 128 explains (Hanin & Nica 2019: log |z_L|² "
        "is about N(−β/2, β) over weight draws, β = 5 Σ 1/n_l; the probe's statistic, the mean over seeds of "
        "log10 of one net's rms, falls short of mean-field theory by β/(4 ln 10)), ± its sd over this many seeds. "
        f"*trains*: mean test accuracy ≥ {TRAINS:.0%} of the best network's here.",
        "",
        "The scale of the whole net, shown but not judged: *∂L/∂W flat* is the largest |log10(rms ∂L/∂W at a "
        "hidden layer / at the last hidden layer)| over the hidden layers (0: the same at every layer); "
        "*∂L/∂W scale* is log10 rms ∂L/∂W averaged over the hidden layers (no prediction: it also depends on "
        "how the images' gradients add up); *∂L/∂b*: the log10 ratio of layer 1 over the last hidden layer, "
        "predicted like ∂L/∂W; *logits*: log10 rms of the output before the softmax, predicted from the last "
        "hidden layer's signal (for ReLU under Glorot, ∝ 2^(−L/2)). Cells: predicted / measured.",
        "",
        "BatchNorm runs on batch statistics, as in training (batches of the training's size): z after it has "
        "q = 1 at every layer, and E[(∂L/∂z)²] grows by the same factor per layer towards the input, whatever "
        "σw² (Yang et al. 2019: π/(π − 1) = 1.467 for ReLU as the batch grows; at a finite batch and for other "
        "activations by Monte Carlo over the batch, `depthstudy.theory.batchnorm_gradient_rate`). *BatchNorm "
        "rate*: that factor, predicted / measured (exp(−slope) of log E[(∂L/∂z)²] against the layer over hidden "
        "layers 2 to L − 1).",
        "",
    ]
    header = ["exercise", "activation", "init", "hidden layers", "∂L/∂z predicted", "measured", "error",
              "signal predicted", "measured", "error", "finite width", "∂L/∂W predicted", "measured",
              "∂L/∂W flat", "∂L/∂W scale", "∂L/∂b", "logits", "∏χ (χ range)", "BatchNorm rate", "ξ∇", "ξc",
              "trainable (theory)", "decided by", "test accuracy", "trains", "verdict"]  # fmt: skip
    rows = []
    for _, r in frame.iterrows():
        init = r.initializer + (" + BatchNorm" if r.batchnorm else "")
        cells = [r.exercise, names.display(r.activation), init, r.depth]
        cells += [number(r[c], 2) for c in NUMBERS[:6]]
        finite = r.signal_finite_width
        cells.append("" if math.isnan(finite) else f"{finite:+.2f} ± {r.signal_finite_width_sd:.2f}")
        cells += [number(r[c], 2) for c in NUMBERS[6:]]
        cells += [_pair(r.dw_spread_predicted, r.dw_spread_measured), number(r.dw_scale_measured, 2)]
        cells += [_pair(r.db_predicted, r.db_measured), _pair(r.output_predicted, r.output_measured)]
        cells.append(f"{r.grad_growth:.3g} ({r.chi_min:.3g}–{r.chi_max:.3g})" if r.depth > 1 else "")
        cells.append(f"{r.bn_rate_predicted:.3f} / {r.bn_rate_measured:.3f}" if r.batchnorm else "")
        cells += [number(xi, 3 if xi < 10 else 1) for xi in (r.xi_grad, r.xi_c)]
        cells += [r.predicted_trainable, DECIDED.get(r.decided_by, r.decided_by), number(r.test_accuracy, 3)]
        cells += [r.trains, r.verdict if r.verdict == "agrees" else f"**{r.verdict}**"]
        rows.append(cells)
    return "\n".join(lines) + "\n" + markdown_table(header, rows)


# --- Residual nets: how the signal and the gradient change along their layers ---------------------


def growth_per_layer(layers, rms) -> float:
    """The factor by which rms^2 changes per layer: exp of the slope of the least-squares line through
    log(rms^2) against the layer."""
    return math.exp(np.polyfit(np.asarray(layers, float), 2 * np.log(np.asarray(rms, float)), 1)[0])


def sqrt_or_linear(crossed, log_ratio) -> dict:
    """Least-squares fits through 0 of ``log_ratio`` against sqrt(crossed) and against crossed (the layers
    a gradient crosses): each slope and rms residual, and which fits better."""
    x, y = np.asarray(crossed, float), np.asarray(log_ratio, float)
    fits = {}
    for name, u in (("sqrt", np.sqrt(x)), ("linear", x)):
        a = float(u @ y / (u @ u))
        fits[f"{name}_slope"], fits[f"{name}_residual"] = a, float(np.sqrt(np.mean((y - a * u) ** 2)))
    fits["better"] = "a√L" if fits["sqrt_residual"] < fits["linear_residual"] else "aL"
    return fits


def residual_laws(table: pd.DataFrame, profile: pd.DataFrame, gradients: pd.DataFrame,
                  activations: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """For the residual nets of ``table`` (regime residual), before training:
    per net, the signal's growth per layer (E[z_l^2] / E[z_(l-1)^2], z a branch's input, fitted over
    hidden layers 2..L), predicted and measured (mean over seeds), and log10(rms dL/dz at layer 2 / at
    the last hidden layer); per exercise and activation with three depths or more, that log ratio
    against the layers crossed (L - 2), fitted by a√L and by aL (Yang & Schoenholz 2017: for tanh the
    gradient grows as exp(Θ(√L)))."""
    keys = ["exercise", "activation", "depth"]
    nets = table[table.regime == "residual"][keys]
    if nets.empty:
        return pd.DataFrame(), pd.DataFrame()
    # each net's rows, split once (a value that underflowed to 0 has no logarithm)
    z = _epoch0(activations, stat="z_rms").query("value > 0 and layer >= 2")
    dz = _epoch0(gradients, quantity="activation_grad", stat="rms").query("value > 0")
    empty = z.iloc[:0]
    z_by, dz_by = dict(tuple(z.groupby(keys))), dict(tuple(dz.groupby(keys)))
    pred_by = dict(tuple(profile[profile.layer >= 2].groupby(keys)))
    rows = []
    for net in nets.itertuples(index=False):
        pick = {k: getattr(net, k) for k in keys}
        key = tuple(pick.values())
        pred = pred_by.get(key, profile.iloc[:0])
        row = dict(
            pick, signal_growth_predicted=growth_per_layer(pred.layer, pred.z_rms) if len(pred) > 1 else math.nan
        )
        measured, ratios = [], []
        for _, seed in z_by.get(key, empty).groupby("seed"):
            if len(seed) > 1:
                measured.append(growth_per_layer(seed.layer, seed.value))
        for _, seed in dz_by.get(key, dz.iloc[:0]).groupby("seed"):
            by = seed.set_index("layer").value
            if 2 in by and net.depth in by and net.depth > 2:
                ratios.append(math.log10(by[2] / by[net.depth]))
        row["signal_growth_measured"] = float(np.mean(measured)) if measured else math.nan
        row["signal_growth_error"] = row["signal_growth_measured"] / row["signal_growth_predicted"] - 1
        row["dz_log_ratio_predicted"] = float(np.log10(pred.dz_rel.iloc[0])) if len(pred) > 1 else math.nan
        row["dz_log_ratio_measured"] = float(np.mean(ratios)) if ratios else math.nan
        rows.append(row)
    per_net = pd.DataFrame(rows)
    fits = []
    for (exercise, activation), group in per_net.groupby(["exercise", "activation"], sort=False):
        group = group.dropna(subset=["dz_log_ratio_measured"])
        if group.depth.nunique() >= 3:
            fits.append(dict(exercise=exercise, activation=activation, depths="/".join(map(str, group.depth)),
                             **sqrt_or_linear(group.depth - 2, group.dz_log_ratio_measured)))  # fmt: skip
    return per_net, pd.DataFrame(fits)


def residual_markdown(per_net: pd.DataFrame, fits: pd.DataFrame) -> str:
    """The residual nets' section of theory_vs_measured.md ('' without residual nets)."""
    if per_net.empty:
        return ""
    lines = [
        "",
        "## Residual nets: the signal's growth and the gradient's law",
        "",
        "Before training. *Signal growth*: E[z_l²] / E[z_(l−1)²] per layer (z a block's input to its branch), "
        "fitted over hidden layers 2 to L, predicted (`theory.residual_profile`: 1 + σv²σw²/2 for ReLU) / "
        "measured (mean over seeds). *∂L/∂z*: log10(rms at hidden layer 2 / at the last hidden layer), layer 2 "
        "being the first block with a skip.",
        "",
    ]
    rows = [[r.exercise, names.display(r.activation), r.depth,
             f"{r.signal_growth_predicted:.4f} / {r.signal_growth_measured:.4f}",
             number(100 * r.signal_growth_error, 2, sign=True),
             _pair(r.dz_log_ratio_predicted, r.dz_log_ratio_measured)] for r in per_net.itertuples()]  # fmt: skip
    header = ["exercise", "activation", "hidden layers", "signal growth per layer", "error %", "∂L/∂z"]
    lines.append(markdown_table(header, rows))
    if not fits.empty:
        lines += [
            "The measured log10 ratio of ∂L/∂z against the layers it crosses (L − 2), fitted through 0 by a√L "
            "and by aL (least squares; rms residual in log10):",
            "",
        ]
        rows = [[f.exercise, names.display(f.activation), f.depths, f"{f.sqrt_slope:.3f} ({f.sqrt_residual:.3f})",
                 f"{f.linear_slope:.4f} ({f.linear_residual:.3f})", f.better] for f in fits.itertuples()]  # fmt: skip
        lines.append(markdown_table(["exercise", "activation", "depths", "a√L: a (residual)", "aL: a (residual)",
                                     "fits better"], rows))  # fmt: skip
    return "\n".join(lines)
