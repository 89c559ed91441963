"""Figures of mean-field theory beside the measurements (depthstudy.theory; rule theory_profiles):
the measured epoch-0 profiles against the predicted ones, dashed in the same colour, and the trainability
phase diagram (depthstudy.phase_diagram; rule phase_table)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import pyplot as plt

from depthstudy import names, theory
from depthstudy import phase_diagram as phase
from depthstudy.figures import activation_colors, max_gradient_row, save, style
from depthstudy.theory import OWN_LAYERS, own_layers
from depthstudy.theory_vs_measured import relative_to_last

RMS = {
    "weight_grad": "rms ∂L/∂W, relative to the last hidden layer",
    "activation_grad": "rms ∂L/∂z, relative to the last hidden layer",
}

THEORY_COLUMN = {"weight_grad": "dw_rel", "activation_grad": "dz_rel"}

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
    colors = activation_colors(names.in_order(gradients.activation), plot)
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    theory_rows(axes, gradients, theory, exercise, ("weight_grad", "activation_grad"), colors)
    fig.suptitle(title)
    fig.tight_layout()
    save(fig, out, plot)


def _xi(value: float) -> str:
    return "–" if np.isnan(value) else "∞" if np.isinf(value) else f"{value:.3g}"


def signal_nets(theory: pd.DataFrame, scales: pd.DataFrame) -> tuple[int, pd.DataFrame]:
    """(the deepest depth, every activation x initializer x BatchNorm there with its depth scales)."""
    depth = int(theory.depth.max())
    deepest = theory.loc[theory.depth == depth, ["exercise", "activation"]].drop_duplicates()
    nets = scales.merge(deepest).sort_values("batchnorm", kind="stable")
    return depth, nets.drop_duplicates(["activation", "initializer", "batchnorm"]).reset_index(drop=True)


def _net_label(net: pd.Series) -> str:
    batchnorm = " + BatchNorm" if net.batchnorm else ""
    return f"{names.display(net.activation)}, {net.initializer}{batchnorm} (ξ∇ {_xi(net.xi_grad)}, ξc {_xi(net.xi_c)})"


def _mark_xi_grad(ax, line: pd.DataFrame, depth: int, xi_grad: float, color) -> None:
    """A diamond where the predicted gradient has changed by a factor e from the last hidden layer
    (xi_grad layers back), when that is inside the net."""
    back = depth - xi_grad
    if np.isfinite(back) and 1 <= back < depth:
        y = np.interp(back, line.layer, np.log(line.dz_rel))
        ax.plot([back], [np.exp(y)], marker="D", color=color, markeredgecolor="black", markersize=7)


def theory_signal_propagation(
    activations: pd.DataFrame, gradients: pd.DataFrame, theory: pd.DataFrame, scales: pd.DataFrame, out,
    plot: dict, title: str,
):  # fmt: skip
    """Every net of ``signal_nets``: rms of the signal z (left) and of ∂L/∂z (right) per hidden layer,
    measured at epoch 0 against the prediction; the legend gives each net's depth scales."""
    style(plot)
    depth, nets = signal_nets(theory, scales)
    colors = dict(zip(nets.index, sns.color_palette(plot.get("palette"), len(nets)), strict=True))
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 6.5))
    signal = activations[(activations.epoch == 0) & (activations.stat == "z_rms") & (activations.depth == depth)]
    grads = _relative_rms(gradients[gradients.depth == depth], "activation_grad")
    for i, net in nets.iterrows():
        line = theory[(theory.exercise == net.exercise) & (theory.activation == net.activation)
                      & (theory.depth == depth)]  # fmt: skip
        if net.decided_by == OWN_LAYERS:  # no fixed point: xi_grad over the net's own layers
            net = net.copy()
            net["xi_grad"] = own_layers(float(line.loc[line.layer == 1, "dz_rel"].iloc[0]) ** 2, depth)["xi_grad"]
        for ax, measured, column in ((left, signal, "z_rms"), (right, grads, "dz_rel")):
            sel = measured[(measured.exercise == net.exercise) & (measured.activation == net.activation)]
            sns.lineplot(sel, x="layer", y="value", color=colors[i], errorbar=("pi", 100), lw=1.5, ax=ax,
                         label=_net_label(net) if ax is left else None)  # fmt: skip
            ax.plot(line.layer, line[column], color=colors[i], **THEORY_LINE)
        _mark_xi_grad(right, line, depth, net.xi_grad, colors[i])
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


def gradient_profile_with_theory(
    gradients: pd.DataFrame, theory: pd.DataFrame, out, plot: dict, title: str, quantities, exercise: str
):
    """Above, the max gradient per layer (``max_gradient_row``); below, the epoch-0 rms per layer
    against the prediction for ``exercise`` (``theory_rows``)."""
    style(plot)
    colors = activation_colors(names.in_order(gradients.activation), plot)
    fig, axes = plt.subplots(2, len(quantities), figsize=(6.5 * len(quantities), 9), squeeze=False)
    max_gradient_row(axes[0], gradients, quantities, colors)
    theory_rows(axes[1], gradients, theory, exercise, quantities, colors)
    fig.suptitle(title)
    fig.tight_layout()
    save(fig, out, plot)


def phase_diagram(cells: pd.DataFrame, summary: pd.DataFrame, out, plot: dict, title: str, activation: str,
           sigma_b2: float, threshold: float):  # fmt: skip
    """One heatmap of P(train), the share of a cell's seeds whose training accuracy is above
    ``threshold``, over (sigma_w^2, depth) per snapshot, with 6 xi_c (solid), the fitted n xi_c
    (dashed, where its maximisers form one interval) and the critical sigma_w^2 (dotted), as in the
    paper's Fig. 5; each cell is labelled with its mean training accuracy."""
    steps = sorted(cells.step.unique())
    sigmas = np.sort(cells.sigma_w2.unique())
    depths = np.sort(cells.depth.unique())
    fine = np.linspace(sigmas.min(), sigmas.max(), 200)
    xi = phase.depth_scales_by_sigma_w2(activation, fine, sigma_b2).xi_c.to_numpy()
    critical = theory.critical_sigma_w2(activation, sigma_b2)
    fig, axes = plt.subplots(1, len(steps), figsize=(4.6 * len(steps), 4.4), sharey=True, squeeze=False)
    edges = lambda v: np.concatenate([[v[0] - (v[1] - v[0]) / 2], (v[1:] + v[:-1]) / 2, [v[-1] + (v[-1] - v[-2]) / 2]])  # noqa: E731
    for ax, step in zip(axes[0], steps, strict=True):
        at = cells[cells.step == step]
        grid = at.pivot(index="depth", columns="sigma_w2", values="p_train").reindex(index=depths, columns=sigmas)
        mesh = ax.pcolormesh(edges(sigmas), edges(depths), grid.to_numpy(), cmap="viridis", vmin=0.0, vmax=1.0)
        # the edges are midpoints between grid values, so a label at its value lies inside its cell
        for r in at.itertuples():
            ax.text(r.sigma_w2, r.depth, f"{r.train_accuracy:.2f}", ha="center", va="center", fontsize=5,
                    color="black" if r.p_train > 0.6 else "white")  # fmt: skip
        n = float(summary.set_index("step").fitted_n[step])
        ax.plot(fine, phase.RULE_XI * xi, color="white", lw=2.2, label=f"L = {phase.RULE_XI:g} ξc (theory)")
        if n == n:
            ax.plot(fine, n * xi, color="orange", lw=1.8, ls="--", label="L = n ξc, n fitted per panel")
            ax.text(0.97, 0.97, f"n = {n:.2f}", transform=ax.transAxes, ha="right", va="top", color="orange",
                    fontsize="small", bbox=dict(facecolor="black", alpha=0.5, lw=0))  # fmt: skip
        ax.axvline(critical, color="red", lw=1.2, ls=":", label=f"critical σw² = {critical:.3f}")
        ax.set(title=f"after {step} SGD steps", xlabel="σw²", ylim=(edges(depths)[0], edges(depths)[-1]))
        ax.set_xlim(edges(sigmas)[0], edges(sigmas)[-1])
    axes[0][0].set_ylabel("hidden layers L")
    fig.colorbar(mesh, ax=axes[0].tolist(), label=f"P(train): share of seeds above {threshold}", fraction=0.025,
                 pad=0.02)  # fmt: skip
    legend = {}
    for ax in axes[0]:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            legend.setdefault(label, handle)
    fig.legend(
        legend.values(),
        legend.keys(),
        loc="lower center",
        ncol=4,
        fontsize="small",
        facecolor="0.3",
        labelcolor="white",
        framealpha=1.0,
    )  # the white lines and dots need a dark ground
    fig.suptitle(f"{title}\nafter {phase.CITATION}", fontsize="medium")
    fig.subplots_adjust(bottom=0.22, top=0.84, wspace=0.08, right=0.88)
    save(fig, out, plot)


def isometry_nets(table: pd.DataFrame) -> pd.DataFrame:
    """The nets that the Jacobian figure sets side by side: for each activation with an orthogonal net,
    that net and every i.i.d. net of the activation at the same sigma_w^2 (its order-to-chaos boundary:
    He init for ReLU, Glorot's sigma_w^2 of 1 on square layers for Tanh)."""
    nets = table.drop_duplicates(["activation", "initializer", "width"])  # the same net in several exercises
    keep = []
    for _, net in nets.iterrows():
        orthogonal = nets[(nets.activation == net.activation) & (nets.initializer == "orthogonal")]
        if orthogonal.empty:
            continue
        gain2 = theory.orthogonal_gain(net.activation) ** 2
        if np.isclose(theory.sigma_w2(net.initializer, int(net.width), activation=net.activation), gain2):
            keep.append(net)
    return pd.DataFrame(keep)


def jacobian_spectra(jacobian: pd.DataFrame, quantiles: pd.DataFrame, out, plot: dict, title: str):
    """Left: one panel per depth (up to three), the distribution of log10(lambda / mean lambda) of each
    net's Jacobian (the band: the range over seeds of each quantile). Right: Var(lambda)/E[lambda]^2
    against depth, measured (markers, sd over seeds) and predicted (dashed)."""
    style(plot)
    nets = isometry_nets(jacobian)
    if nets.empty:
        raise ValueError("jacobian_spectra: no orthogonal net and no i.i.d. net at the same sigma_w^2 to compare")
    labels = [f"{names.display(n.activation)}, {n.initializer}" for n in nets.itertuples()]
    colors = dict(zip(labels, sns.color_palette(plot.get("palette"), len(labels)), strict=True))
    depths = sorted(set(quantiles.depth))
    shown = depths if len(depths) <= 3 else [depths[0], depths[len(depths) // 2], depths[-1]]
    fig, axes = plt.subplots(1, len(shown) + 1, figsize=(4.6 * (len(shown) + 1), 4.8))
    for ax, depth in zip(axes, shown, strict=False):
        for label, net in zip(labels, nets.itertuples(), strict=True):
            sel = quantiles[(quantiles.exercise == net.exercise) & (quantiles.activation == net.activation)
                            & (quantiles.depth == depth)]  # fmt: skip
            by = sel.groupby("quantile").log10_rel
            ax.fill_betweenx(by.min().index, by.min().clip(lower=-6), by.max().clip(lower=-6), color=colors[label],
                             alpha=0.3, lw=0)  # fmt: skip
            ax.plot(by.median().clip(lower=-6), by.median().index, color=colors[label], lw=1.5)
        ax.axvline(0, color="grey", lw=0.8, ls=":")
        ax.set(xlim=(-6, 2), xlabel="log10(λ / mean λ)  (λ = 0 at −6)", ylabel="share of λ below",
               title=f"{depth} hidden layers")  # fmt: skip
    right = axes[-1]
    for label, net in zip(labels, nets.itertuples(), strict=True):
        sel = jacobian[(jacobian.exercise == net.exercise) & (jacobian.activation == net.activation)]
        right.errorbar(sel.depth, sel.var_sq_measured, yerr=sel.var_sq_sd.fillna(0), color=colors[label], marker="o",
                       ls="", capsize=3, label=label)  # fmt: skip
        right.plot(sel.depth, sel.var_sq_predicted, color=colors[label], **THEORY_LINE)
    right.plot([], [], color="grey", label="free-probability prediction", **THEORY_LINE)
    right.set(yscale="symlog", xlabel="hidden layers", ylabel="Var λ / (mean λ)²  (0: isometric)",
              title="spread of the spectrum")  # fmt: skip
    right.legend(fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    save(fig, out, plot)
