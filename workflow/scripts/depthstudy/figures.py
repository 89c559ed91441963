"""Figures from combined tables: seaborn on tidy frames, no TensorFlow.

Every function takes frames and an output path, so each figure can be drawn without Snakemake.
"""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from depthstudy import formulas, names, stats  # noqa: E402
from depthstudy.io import atomic_path  # noqa: E402

QUANTITY = {"weight_grad": "max |∂L/∂W| (weights)", "activation_grad": "max |∂L/∂z| (pre-activations)"}


def style(plot: dict) -> None:
    sns.set_theme(context=plot.get("context", "notebook"), style="whitegrid", palette=plot.get("palette"))


def save(fig, path, plot: dict) -> None:
    """Write the PNG, with the figure's title in its metadata (PNG text chunk ``Title``)."""
    title = fig.get_suptitle() or (fig.axes[0].get_title() if fig.axes else "")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=plot.get("dpi", 120), bbox_inches="tight", format="png", metadata={"Title": title})
    plt.close(fig)


def seaborn_errorbar(plot: dict):
    """Seaborn's errorbar for plot.errorbar: "sd", or Student's t interval of the mean (seaborn's own
    ("ci", 95) bootstraps, which over 3 seeds gives too narrow an interval)."""
    if plot.get("errorbar", "sd") == "sd":
        return "sd"
    return lambda values: stats.mean_ci(values)[1:] if len(values) > 1 else (values.mean(), values.mean())


def activation_colors(activations, plot) -> dict:
    return dict(zip(activations, sns.color_palette(plot.get("palette"), len(activations)), strict=True))


def display_words(text: str) -> str:
    """``text`` (a title) with every activation that it names by its config name, as a whole word,
    written as ``names.display`` writes it: "tanh nets" becomes "Tanh nets"."""
    return re.sub(r"\b(" + "|".join(map(re.escape, names.DISPLAY)) + r")\b", lambda m: names.display(m[1]), text)


def displayed(frame: pd.DataFrame, colors: dict) -> tuple[pd.DataFrame, dict]:
    """``frame`` and its activations' ``colors`` with each activation written as a reader knows it
    (``names.display``: ReLU, LeCun), so that every legend and panel title writes it one way."""
    palette = {names.display(act): color for act, color in colors.items()}
    return frame.assign(activation=frame.activation.map(names.display)), palette


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


def epoch_ticks(ax, epochs: pd.Series) -> None:
    """Whole epochs on the x axis: each of a few, else as many as fit (one or two epochs would
    otherwise get fractional ticks)."""
    epochs = sorted(epochs.unique())
    if len(epochs) <= 12:
        ax.set_xticks(epochs)
    else:
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))


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
    colors = activation_colors(acts, plot)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ok = metrics[~metrics.diverged.astype(bool)]
    if reference is not None:
        exercise = metrics.exercise.iloc[0]
        reference = reference[
            (reference.exercise == exercise)
            & (reference.metric == "test_accuracy")
            & reference.depth.isin(metrics.depth.unique())
        ]
    ok, palette = displayed(ok, colors)
    sns.lineplot(
        ok, x="depth", y="test_accuracy", hue="activation", hue_order=list(palette), palette=palette,
        errorbar=seaborn_errorbar(plot), marker="o", err_style="bars", ax=ax,
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
    history, palette = displayed(history, activation_colors(names.in_order(history.activation), plot))
    grid = sns.relplot(
        history, x="epoch", y="loss", hue="activation", hue_order=list(palette), col="depth", kind="line",
        errorbar=seaborn_errorbar(plot), marker="o", height=3.5, aspect=1.1, palette=palette,
    )  # fmt: skip
    grid.set_titles("{col_name} hidden layers")
    grid.set_axis_labels("epoch", "training loss")
    grid.legend.set_title(None)
    for ax in grid.axes.flat:
        epoch_ticks(ax, history.epoch)
    grid.figure.suptitle(title, y=1.04)
    save(grid.figure, out, plot)


def _profile(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame.stat == "max_abs"].assign(value=lambda f: f.value.where(f.value > 0))


def max_gradient_row(axes, gradients: pd.DataFrame, quantities, colors: dict) -> None:
    """One panel per quantity: max gradient per layer (log y), one line per activation, band over
    seeds; solid after the last epoch, faint dashed at epoch 0 (when the two differ)."""
    data, colors = displayed(_profile(gradients), colors)
    acts = list(colors)
    n_layers = int(data.layer.max())
    final = data[data.epoch == data.groupby(["activation", "seed"]).epoch.transform("max")]
    initial = data[data.epoch == 0]
    for ax, quantity in zip(axes, quantities, strict=True):
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


def gradient_profile(gradients: pd.DataFrame, out, plot: dict, title: str, quantities=("weight_grad",)):
    """The report's 1.C plot: max gradient per layer (``max_gradient_row``)."""
    style(plot)
    colors = activation_colors(names.in_order(gradients.activation), plot)
    fig, axes = plt.subplots(1, len(quantities), figsize=(6.5 * len(quantities), 4.5), squeeze=False)
    max_gradient_row(axes[0], gradients, quantities, colors)
    fig.suptitle(title)
    fig.tight_layout()
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
    left.plot(x, np.tanh(x), label="Tanh: tanh(x)")
    left.set(xlabel="x", ylabel="f(x)", title="activation")
    left.legend(fontsize="small")
    right.plot(x, formulas.lecun_derivative(x), label="LeCun: f'(x)")
    right.plot(x, formulas.tanh_derivative(x), label="Tanh: tanh'(x)")
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
        pd.concat(long), x="epoch", y="value", hue="split", col="metric", kind="line", errorbar=seaborn_errorbar(plot),
        marker="o", facet_kws={"sharey": False}, height=3.8, aspect=1.2,
    )  # fmt: skip
    grid.set_titles("{col_name}")
    for ax in grid.axes.flat:
        epoch_ticks(ax, history.epoch)
    grid.figure.suptitle(title, y=1.04)
    save(grid.figure, out, plot)
