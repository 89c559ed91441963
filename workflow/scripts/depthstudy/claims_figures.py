"""Figures beyond the report: its explanations tested (dead units, saturation) and the cures."""

from __future__ import annotations

import matplotlib.ticker
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import pyplot as plt

from depthstudy import names
from depthstudy.figures import activation_colors, chance_line, save, seaborn_errorbar, style


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
    acts = [names.display(act) for act in names.in_order(data.activation)]
    data = data.assign(activation=data.activation.map(names.display))
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
    of that activation, error bars over seeds; a cell whose seeds diverged says how many, in its
    setting's colour. ``settings`` names each exercise in the legend."""
    style(plot)
    metrics = metrics.assign(
        setting=lambda f: f.exercise.map(settings), panel=lambda f: f.activation.map(names.display)
    )
    diverged = metrics.diverged.astype(bool)
    data = metrics[~diverged]
    order = [settings[e] for e in settings if e in set(metrics.exercise)]
    panels = [names.display(a) for a in names.in_order(metrics.activation)]
    colors = activation_colors(order, plot)
    grid = sns.relplot(
        data, x="depth", y="test_accuracy", hue="setting", hue_order=order, style="setting", style_order=order,
        col="panel", col_order=panels, kind="line", errorbar=seaborn_errorbar(plot), err_style="bars", markers=True,
        dashes=False, height=3.6, aspect=0.9, palette=colors,
    )  # fmt: skip
    grid.set_titles("{col_name}")
    grid.set_axis_labels("hidden layers", "test accuracy")
    for ax in grid.axes.flat:
        chance_line(ax, classes)
        ax.set_xticks(sorted(metrics.depth.unique()))
    for (setting, panel, depth), group in metrics[diverged].groupby(["setting", "panel", "depth"]):
        grid.axes_dict[panel].annotate(f"{len(group)} diverged", (depth, 0.03), color=colors[setting], ha="center",
                                       fontsize=8)  # fmt: skip
    grid.set(ylim=(0, 1))
    sns.move_legend(grid, "upper center", bbox_to_anchor=(0.5, 0), ncol=2, title=None, frameon=False)
    grid.figure.suptitle(title, y=1.04)
    save(grid.figure, out, plot)
