"""Figures from combined tables: seaborn on tidy frames, no TensorFlow.

Every function takes frames and an output path, so each figure can be drawn without Snakemake.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from depthstudy import formulas, names, stats  # noqa: E402
from depthstudy.io import atomic_path  # noqa: E402
from depthstudy.phase_diagram import figure as phase_diagram  # noqa: E402, F401 (a figure rule's function)
from depthstudy.theory_vs_measured import relative_to_last  # noqa: E402

QUANTITY = {"weight_grad": "max |∂L/∂W| (weights)", "activation_grad": "max |∂L/∂z| (pre-activations)"}


def style(plot: dict) -> None:
    sns.set_theme(context=plot.get("context", "notebook"), style="whitegrid", palette=plot.get("palette"))


def save(fig, path, plot: dict) -> None:
    """Write the PNG, with the figure's title in its metadata (PNG text chunk ``Title``)."""
    title = fig.get_suptitle() or (fig.axes[0].get_title() if fig.axes else "")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=plot.get("dpi", 120), bbox_inches="tight", format="png", metadata={"Title": title})
    plt.close(fig)


def _errorbar(plot: dict):
    """Seaborn's errorbar for plot.errorbar: "sd", or Student's t interval of the mean (seaborn's own
    ("ci", 95) bootstraps, which over 3 seeds gives too narrow an interval)."""
    if plot.get("errorbar", "sd") == "sd":
        return "sd"
    return lambda values: stats.mean_ci(values)[1:] if len(values) > 1 else (values.mean(), values.mean())


def _colors(activations, plot) -> dict:
    return dict(zip(activations, sns.color_palette(plot.get("palette"), len(activations)), strict=True))


def chance_line(ax, classes: pd.DataFrame) -> None:
    """The accuracy of always answering the most frequent test class, from the test labels, labelled
    with that class's name (or the number of classes that share it: Fashion-MNIST's are all equal)."""
    share, label = chance(classes)
    ax.axhline(share, color="grey", lw=0.8, ls=":", label=label)


def chance(classes: pd.DataFrame) -> tuple[float, str]:
    """The chance line's height and label: the most frequent test class's share and name."""
    share = float(classes.test_share.max())
    top = classes[classes.test_share == share]
    name = f"'{top['class'].iloc[0]}'" if len(top) == 1 else f"any one of {len(top)} equal classes"
    return share, f"always {name} ({share:.4f})"


def _layer_ticks(ax, n_layers: int) -> None:
    # every fifth layer, but none crowding the output's tick
    ticks = sorted({1, *(t for t in range(5, n_layers, 5) if n_layers - t > 2), n_layers})
    ax.set_xticks(ticks, [str(t) if t < n_layers else "out" for t in ticks])


def accuracy_by_depth(
    metrics: pd.DataFrame,
    reference: pd.DataFrame | None,
    classes: pd.DataFrame,
    out,
    plot: dict,
    title: str,
    reference_label: str = "the report",
):
    """Test accuracy against depth, one line per activation (mean, error bars per plot.errorbar), report
    values as crosses."""
    style(plot)
    acts = names.in_order(metrics.activation)
    colors = _colors(acts, plot)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ok = metrics[~metrics.diverged.astype(bool)]
    if reference is not None:
        exercise = metrics.exercise.iloc[0]
        reference = reference[
            (reference.exercise == exercise)
            & (reference.metric == "test_accuracy")
            & reference.depth.isin(metrics.depth.unique())
        ]
    sns.lineplot(
        ok, x="depth", y="test_accuracy", hue="activation", hue_order=acts, palette=colors,
        errorbar=_errorbar(plot), marker="o", err_style="bars", ax=ax,
    )  # fmt: skip
    if reference is not None and not reference.empty:
        for act, group in reference.groupby("activation"):
            if act in colors:
                ax.scatter(group.depth, group.value, marker="X", s=90, color=colors[act], edgecolor="black", zorder=5)
        ax.scatter([], [], marker="X", s=90, color="grey", edgecolor="black", label=reference_label)
    diverged = metrics[metrics.diverged.astype(bool)]
    for (act, depth), group in diverged.groupby(["activation", "depth"]):
        ax.annotate(f"{len(group)} diverged", (depth, 0.02), color=colors.get(act, "k"), ha="center", fontsize=8)
    chance_line(ax, classes)
    ax.set(xlabel="hidden layers", ylabel="test accuracy", ylim=(0, 1), title=title)
    ax.set_xticks(sorted(metrics.depth.unique()))
    ax.legend(title=None, loc="center left", bbox_to_anchor=(1, 0.5))
    save(fig, out, plot)


def learning_curves(history: pd.DataFrame, out, plot: dict, title: str):
    """Training loss per epoch, one panel per depth, one line per activation (band over seeds)."""
    style(plot)
    acts = names.in_order(history.activation)
    grid = sns.relplot(
        history, x="epoch", y="loss", hue="activation", hue_order=acts, col="depth", kind="line",
        errorbar=_errorbar(plot), marker="o", height=3.5, aspect=1.1, palette=_colors(acts, plot),
    )  # fmt: skip
    grid.set_titles("{col_name} hidden layers")
    grid.set_axis_labels("epoch", "training loss")
    grid.figure.suptitle(title, y=1.04)
    save(grid.figure, out, plot)


def _profile(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame.stat == "max_abs"].assign(value=lambda f: f.value.where(f.value > 0))


def gradient_profile(
    gradients: pd.DataFrame,
    out,
    plot: dict,
    title: str,
    quantities=("weight_grad",),
    theory: pd.DataFrame | None = None,
    exercise: str | None = None,
):
    """Per-layer max gradient (log y), one line per activation, band over seeds.

    Solid: after the last epoch; faint dashed: epoch 0, before any update (when the two differ).
    With ``theory`` (the mean-field profiles), a second row shows the epoch-0 rms per layer against
    the prediction for ``exercise`` (see ``theory_rows``).
    """
    style(plot)
    data = _profile(gradients)
    acts = names.in_order(data.activation)
    colors = _colors(acts, plot)
    n_layers = int(data.layer.max())
    final = data[data.epoch == data.groupby(["activation", "seed"]).epoch.transform("max")]
    initial = data[data.epoch == 0]
    rows = 1 if theory is None else 2
    fig, axes = plt.subplots(rows, len(quantities), figsize=(6.5 * len(quantities), 4.5 * rows), squeeze=False)
    if theory is not None:
        theory_rows(axes[1], gradients, theory, exercise, quantities, colors)
    for ax, quantity in zip(axes[0], quantities, strict=True):
        sns.lineplot(
            final[final.quantity == quantity], x="layer", y="value", hue="activation", hue_order=acts,
            palette=colors, errorbar=("pi", 100), marker="o", markersize=4, ax=ax,
        )  # fmt: skip
        if final.epoch.max() > 0:
            sns.lineplot(
                initial[initial.quantity == quantity], x="layer", y="value", hue="activation",
                hue_order=acts, palette=colors, errorbar=None, alpha=0.35, ls="--", legend=False, ax=ax,
            )  # fmt: skip
            ax.plot([], [], color="grey", alpha=0.5, ls="--", label="epoch 0 (untrained)")
        ax.set_yscale("log")
        _layer_ticks(ax, n_layers)
        ax.set(xlabel="layer (1 = first hidden, out = output)", ylabel=QUANTITY[quantity])
        ax.legend(title=None, fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    save(fig, out, plot)


# --- mean-field theory beside the measurements (depthstudy.theory; rule theory_profiles) -----------

RMS = {
    "weight_grad": "rms ∂L/∂W, relative to the last hidden layer",
    "activation_grad": "rms ∂L/∂z, relative to the last hidden layer",
}
THEORY_COLUMN = {"weight_grad": "dw_rel", "activation_grad": "dz_rel"}
# thick, dashed and light, so that a measured line on top of it stays visible
THEORY_LINE = dict(ls="--", lw=3, alpha=0.55)


def _relative_rms(gradients: pd.DataFrame, quantity: str) -> pd.DataFrame:
    """Epoch-0 rms of one gradient per hidden layer, over that of the last hidden layer, per seed."""
    return relative_to_last(gradients, quantity=quantity, stat="rms")


def _theory_legend(ax) -> None:
    ax.plot([], [], color="grey", marker="o", markersize=3, lw=1.2, label="measured, epoch 0 (band: range over seeds)")
    ax.plot([], [], color="grey", label="mean-field prediction", **THEORY_LINE)
    ax.legend(title=None, fontsize="small", loc="best")


def theory_rows(axes, gradients, theory, exercise, quantities, colors) -> None:
    """One panel per quantity: measured epoch-0 rms per hidden layer (solid, markers) and the
    mean-field prediction (dashed, the same colour), both relative to the last hidden layer."""
    depth = int(gradients.depth.iloc[0])
    predicted = theory[(theory.exercise == exercise) & (theory.depth == depth)]
    for ax, quantity in zip(axes, quantities, strict=True):
        measured = _relative_rms(gradients, quantity)
        sns.lineplot(
            measured, x="layer", y="value", hue="activation", hue_order=list(colors), palette=colors,
            errorbar=("pi", 100), marker="o", markersize=3, markeredgewidth=0, lw=1.2, legend=False, ax=ax,
        )  # fmt: skip
        for act, line in predicted.groupby("activation"):
            if act in colors:
                ax.plot(line.layer, line[THEORY_COLUMN[quantity]], color=colors[act], **THEORY_LINE)
        for act, color in colors.items():
            ax.plot([], [], color=color, label=names.display(act))
        ax.set_yscale("log")
        ax.set(xlabel="hidden layer", ylabel=RMS[quantity], title="before training: measured and predicted")
        _theory_legend(ax)


def theory_profile(gradients: pd.DataFrame, theory: pd.DataFrame, out, plot: dict, title: str, exercise: str):
    """Epoch-0 rms of ∂L/∂W and ∂L/∂z per hidden layer against the mean-field prediction."""
    style(plot)
    colors = _colors(names.in_order(gradients.activation), plot)
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    theory_rows(axes, gradients, theory, exercise, ("weight_grad", "activation_grad"), colors)
    fig.suptitle(title)
    fig.tight_layout()
    save(fig, out, plot)


def _xi(value: float) -> str:
    return "–" if np.isnan(value) else "∞" if np.isinf(value) else f"{value:.3g}"


def theory_signal_propagation(
    activations: pd.DataFrame, gradients: pd.DataFrame, theory: pd.DataFrame, scales: pd.DataFrame, out,
    plot: dict, title: str,
):  # fmt: skip
    """Every activation x initializer of the config at the deepest depth: rms of the signal z and of
    ∂L/∂z per hidden layer, measured at epoch 0 against the prediction. The legend gives each net's
    depth scales; a diamond marks where the predicted gradient has changed by a factor e from the last
    hidden layer (xi_grad layers back), when that is inside the net. A BatchNorm net is left out when
    its plain twin is drawn: before training, in the probe's inference mode, the two coincide."""
    style(plot)
    depth = int(theory.depth.max())
    deepest = theory.loc[theory.depth == depth, ["exercise", "activation"]].drop_duplicates()
    nets = scales.merge(deepest).sort_values("batchnorm", kind="stable")
    nets = nets.drop_duplicates(["activation", "initializer"]).reset_index(drop=True)
    colors = dict(zip(nets.index, sns.color_palette(plot.get("palette"), len(nets)), strict=True))
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 6.5))
    signal = activations[(activations.epoch == 0) & (activations.stat == "z_rms") & (activations.depth == depth)]
    grads = _relative_rms(gradients[gradients.depth == depth], "activation_grad")
    for i, net in nets.iterrows():
        line = theory[(theory.exercise == net.exercise) & (theory.activation == net.activation)
                      & (theory.depth == depth)]  # fmt: skip
        label = (f"{names.display(net.activation)}, {net.initializer}{' + BatchNorm' if net.batchnorm else ''} "
                 f"(ξ∇ {_xi(net.xi_grad)}, ξc {_xi(net.xi_c)})")  # fmt: skip
        for ax, measured, column in ((left, signal, "z_rms"), (right, grads, "dz_rel")):
            sel = measured[(measured.exercise == net.exercise) & (measured.activation == net.activation)]
            sns.lineplot(sel, x="layer", y="value", color=colors[i], errorbar=("pi", 100), lw=1.5, ax=ax,
                         label=label if ax is left else None)  # fmt: skip
            ax.plot(line.layer, line[column], color=colors[i], **THEORY_LINE)
        back = depth - net.xi_grad
        if np.isfinite(back) and 1 <= back < depth:
            y = np.interp(back, line.layer, np.log(line.dz_rel))
            right.plot([back], [np.exp(y)], marker="D", color=colors[i], markeredgecolor="black", markersize=7)
    left.set(yscale="log", xlabel="hidden layer", ylabel="rms of the signal z (pre-activation)")
    right.set(yscale="log", xlabel="hidden layer", ylabel="rms ∂L/∂z, relative to the last hidden layer")
    left.plot([], [], color="grey", label="mean-field prediction (dashed, the net's colour)", **THEORY_LINE)
    left.plot([], [], marker="D", color="grey", markeredgecolor="black", ls="", label="ξ∇ layers before the last")
    handles, labels = left.get_legend_handles_labels()
    left.get_legend().remove()
    heading = f"measured at epoch 0, band over seeds ({depth} hidden layers); in brackets: depth scales"
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize="small", title=heading, title_fontsize="small")
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.2, 1, 1))
    save(fig, out, plot)


def gradient_flow(gradients: pd.DataFrame, out, plot: dict, title: str):
    """Layer x epoch heatmaps of log10 max |∂L/∂W| and |∂L/∂z|, one column per activation."""
    style(plot)
    data = _profile(gradients)
    acts = names.in_order(data.activation)
    fig, axes = plt.subplots(2, len(acts), figsize=(3.6 * len(acts), 8), squeeze=False)
    for row, quantity in enumerate(("weight_grad", "activation_grad")):
        sub = data[data.quantity == quantity]
        logs = np.log10(sub.groupby(["activation", "layer", "epoch"]).value.mean())
        finite = logs[np.isfinite(logs)]
        vmin, vmax = (finite.min(), finite.max()) if len(finite) else (-8, 0)
        for col, act in enumerate(acts):
            ax = axes[row, col]
            table = logs.loc[act].unstack("epoch") if act in logs.index.get_level_values(0) else pd.DataFrame()
            sns.heatmap(
                table, ax=ax, vmin=vmin, vmax=vmax, cmap="viridis", cbar=col == len(acts) - 1,
                cbar_kws={"label": f"log10 {QUANTITY[quantity]}"},
            )  # fmt: skip
            ax.set(title=names.display(act), xlabel="epoch", ylabel="layer" if col == 0 else "")
            n = len(table)
            ticks = sorted({0, *(t for t in range(4, n - 1, 5) if n - 1 - t > 2), n - 1})
            ax.set_yticks([t + 0.5 for t in ticks], [str(t + 1) if t < n - 1 else "out" for t in ticks], rotation=0)
    axes[0, 0].annotate("weights", (-0.45, 0.5), xycoords="axes fraction", rotation=90, va="center")
    axes[1, 0].annotate("pre-activations", (-0.45, 0.5), xycoords="axes fraction", rotation=90, va="center")
    fig.suptitle(title)
    fig.tight_layout()
    save(fig, out, plot)


def lecun_activation(out, plot: dict):
    """f and f' of LeCun's scaled tanh and of tanh, with the range of f' marked."""
    style(plot)
    x = np.linspace(-6, 6, 601)
    low, high = formulas.lecun_derivative_range()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    left.plot(x, formulas.lecun(x), label="LeCun: 1.7159 tanh(2x/3) + 0.01x")
    left.plot(x, np.tanh(x), label="tanh(x)")
    left.set(xlabel="x", ylabel="f(x)", title="activation")
    left.legend(fontsize="small")
    right.plot(x, formulas.lecun_derivative(x), label="LeCun f'(x)")
    right.plot(x, formulas.tanh_derivative(x), label="tanh'(x)")
    right.axhspan(low, high, color="C0", alpha=0.08, label=f"range of LeCun f': ({low:g}, {high:.5f}]")
    right.axhline(high, color="C0", ls=":", lw=1)
    right.axhline(low, color="C0", ls=":", lw=1)
    right.axhline(formulas.REPORT_DERIVATIVE_MAX, color="C3", ls="--", lw=1,
                  label=f"the report's bound {formulas.REPORT_DERIVATIVE_MAX} (a digit slip)")  # fmt: skip
    right.set(xlabel="x", ylabel="f'(x)", title="derivative", ylim=(0, 1.7))
    right.legend(fontsize="small", loc="upper right")
    fig.suptitle("Exercise 1.D: LeCun's scaled tanh against tanh")
    fig.tight_layout()
    save(fig, out, plot)


def cnn_curves(history: pd.DataFrame, out, plot: dict, title: str):
    """Loss and accuracy per epoch for training and validation, band over seeds."""
    style(plot)
    long = []
    for metric in ("loss", "accuracy"):
        for split, col in (("training", metric), ("validation", f"val_{metric}")):
            if col in history:
                long.append(history[["seed", "epoch"]].assign(metric=metric, split=split, value=history[col]))
    grid = sns.relplot(
        pd.concat(long), x="epoch", y="value", hue="split", col="metric", kind="line", errorbar=_errorbar(plot),
        marker="o", facet_kws={"sharey": False}, height=3.8, aspect=1.2,
    )  # fmt: skip
    grid.set_titles("{col_name}")
    grid.figure.suptitle(title, y=1.04)
    save(grid.figure, out, plot)


def dead_units(glorot: pd.DataFrame, he: pd.DataFrame, out, plot: dict, title: str):
    """Per layer: dead-unit fraction and signal std of ReLU, at epoch 0 and after training, per init."""
    style(plot)
    activations = pd.concat([glorot.assign(init="Glorot uniform (ex1)"), he.assign(init="He normal (cure)")])
    activations = activations[activations.activation == "relu"]
    data = activations[activations.stat.isin(["dead_fraction", "a_std"])]
    last = data.groupby(["init", "seed"]).epoch.transform("max")
    data = data[(data.epoch == 0) | (data.epoch == last)].assign(
        when=lambda f: np.where(f.epoch == 0, "epoch 0", "after training")
    )
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, stat, label in (
        (axes[0], "dead_fraction", "share of dead units (0 on every probe image)"),
        (axes[1], "a_std", "std of the layer's output a (log)"),
    ):
        sns.lineplot(
            data[data.stat == stat], x="layer", y="value", hue="init", style="when", errorbar=("pi", 100),
            markers=True, ax=ax,
        )  # fmt: skip
        ax.set(xlabel="hidden layer", ylabel=label)
        ax.legend(title=None, fontsize="small")
    axes[0].get_legend().remove()
    axes[0].set_ylim(-0.02, 1.02)
    axes[1].set_yscale("log")
    fig.suptitle(title)
    fig.tight_layout()
    save(fig, out, plot)


def saturation(activations: pd.DataFrame, lecun: pd.DataFrame, out, plot: dict, title: str):
    """Saturated share per layer, one line per epoch, one panel per activation and depth."""
    style(plot)
    data = pd.concat([activations, lecun[lecun.activation == "lecun"]])
    data = data[(data.stat == "saturated_fraction") & data.value.notna()]
    acts = names.in_order(data.activation)
    grid = sns.relplot(
        data, x="layer", y="value", hue="epoch", col="activation", col_order=acts, row="depth", kind="line",
        errorbar=None, palette="viridis", height=2.8, aspect=1.3, facet_kws={"sharex": "row"},
    )  # fmt: skip
    grid.set_titles("{col_name}, {row_name} hidden layers")
    grid.set_axis_labels("hidden layer", "saturated share")
    for ax in grid.axes.flat:
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    grid.set(ylim=(-0.02, 1.02))
    grid.figure.suptitle(title, y=1.03)
    save(grid.figure, out, plot)


def cures_accuracy(metrics: pd.DataFrame, classes: pd.DataFrame, out, plot: dict, title: str, settings: dict):
    """Test accuracy against depth, one panel per activation: the report's networks (ex1) and each cure
    of that activation, error bars over seeds. ``settings`` names each exercise in the legend."""
    style(plot)
    data = metrics[~metrics.diverged.astype(bool)].assign(
        setting=lambda f: f.exercise.map(settings), panel=lambda f: f.activation.map(names.display)
    )
    order = [settings[e] for e in settings if e in set(data.exercise)]
    panels = [names.display(a) for a in names.in_order(data.activation)]
    grid = sns.relplot(
        data, x="depth", y="test_accuracy", hue="setting", hue_order=order, style="setting", style_order=order,
        col="panel", col_order=panels, kind="line", errorbar=_errorbar(plot), err_style="bars", markers=True,
        dashes=False, height=3.6, aspect=0.9, palette=_colors(order, plot),
    )  # fmt: skip
    grid.set_titles("{col_name}")
    grid.set_axis_labels("hidden layers", "test accuracy")
    for ax in grid.axes.flat:
        chance_line(ax, classes)
        ax.set_xticks(sorted(metrics.depth.unique()))
    grid.set(ylim=(0, 1))
    sns.move_legend(grid, "upper center", bbox_to_anchor=(0.5, 0), ncol=2, title=None, frameon=False)
    grid.figure.suptitle(title, y=1.04)
    save(grid.figure, out, plot)
