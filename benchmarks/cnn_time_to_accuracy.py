"""Time to accuracy of the CNN's training recipes: validation accuracy against CPU-seconds, epoch by epoch.

    python benchmarks/cnn_time_to_accuracy.py --data-dir /path/to/mnist \\
        [--recipe NAME | NAME=CONFIG_FILE ...] [--seeds 0 1 2] [--csv curves.csv] [--figure curves.png]
    python benchmarks/cnn_time_to_accuracy.py --summarize curves.csv [more.csv ...] [--figure curves.png]

A recipe is the ``cnn`` block of ``config.yaml`` with some keys changed: one of RECIPES below by its
name, or ``NAME=CONFIG_FILE`` for a config file's ``cnn`` block laid over it, as ``snakemake
--configfile CONFIG_FILE`` would train it. By default every recipe of RECIPES trains, in its order: the
study's 20-epoch recipe, then the shorter candidates that were tried against it (docs/results.md).

The recipes and seeds train in turn, in this one process, through the pipeline's own
``jobs.train_cnn`` (the same stream, validation split, per-epoch checkpoint and thread count as a CNN
job) on the whole training split. After each epoch it records the process's CPU-seconds since the job
started and the validation accuracy (the last 6,000 training images). The test set is never read.

It prints each recipe's curve (mean over seeds), then the CPU-seconds each needs to first reach 0.992
and 0.993 validation accuracy: per seed, and the median over seeds ("-" where a seed never reaches
it). CPU-seconds rather than wall seconds, so that a second job on the machine slows the clock less
than it slows the run. ``--summarize`` prints and draws rows already written by ``--csv``, so that
seeds run in separate processes can be put together.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml
from mnist_args import ROOT, load_mnist, parser  # first: it puts the package on sys.path

TARGETS = (0.992, 0.993)
# The study's recipe and the candidates tried against it, in the order tried: each changes these keys
# of workflow/configs/cnn_20_epochs.yaml's recipe.
SHORT = dict(optimizer="adam", lr_schedule="cosine", shift_pixels=0)
SECOND = dict(SHORT, epochs=8, learning_rate=0.002, warmup_epochs=0.5)  # candidate 2, which 3-6 vary
RECIPES = {
    "20 epochs (the study's)": {},
    "1: 8 epochs, peak 0.004, 1-px shifts": dict(SHORT, epochs=8, learning_rate=0.004, warmup_epochs=1, shift_pixels=1),
    "2: 8 epochs, no shifts": SECOND,
    "3: 7 epochs at batch 64": dict(SECOND, epochs=7, batch_size=64),
    "4: 8 epochs at batch 64": dict(SECOND, batch_size=64),
    "5: 8 epochs, peak 0.001": dict(SECOND, learning_rate=0.001),
    "6: 8 epochs, label smoothing 0.1": dict(SECOND, label_smoothing=0.1),
}


def _cnn_block(path: Path) -> dict:
    return (yaml.safe_load(path.read_text()) or {}).get("cnn", {})


def recipe(spec: str) -> tuple[str, dict]:
    """(name, settings) of ``NAME`` in RECIPES or ``NAME=CONFIG_FILE``: ``config.yaml``'s ``cnn`` block
    with the 20-epoch recipe and then the recipe's keys laid over it (less the seed list)."""
    cnn = _cnn_block(ROOT / "config.yaml") | _cnn_block(ROOT / "workflow/configs/cnn_20_epochs.yaml")
    name, _, config_file = spec.partition("=")
    if config_file:
        cnn |= _cnn_block(Path(config_file))
    elif name in RECIPES:
        cnn |= RECIPES[name]
    else:
        raise SystemExit(f"--recipe {name!r}: not NAME=CONFIG_FILE, and not one of {', '.join(RECIPES)}")
    cnn.pop("seeds", None)
    return name, cnn


def train_curves(arrays: dict, name: str, settings: dict, seed: int, threads: int) -> pd.DataFrame:
    """One recipe and seed: a row per epoch with its CPU-seconds since the job began."""
    import keras

    from depthstudy.jobs import train_cnn

    clock = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            clock.append(time.process_time() - start)

    start = time.process_time()
    with tempfile.TemporaryDirectory() as checkpoint_dir:
        history = train_cnn(
            arrays, seed=seed, settings=settings, checkpoint_dir=checkpoint_dir, threads=threads, callbacks=[Clock()]
        )["history"]
    curve = history[["epoch", "loss", "accuracy", "val_loss", "val_accuracy"]].assign(cpu_seconds=clock)
    return curve.assign(recipe=name, seed=seed, recipe_epochs=settings["epochs"])


def first_reach(curve: pd.DataFrame, target: float) -> float | None:
    reached = curve[curve.val_accuracy >= target]
    return float(reached.cpu_seconds.iloc[0]) if len(reached) else None


def summary(rows: pd.DataFrame) -> str:
    """The curves (mean over seeds) and the CPU-seconds to each target, as plain text."""
    lines = []
    for name, runs in rows.groupby("recipe", sort=False):
        seeds = sorted(runs.seed.unique())
        lines.append(f"\n{name} (seeds {', '.join(map(str, seeds))})")
        lines.append(f"{'epoch':>5} {'CPU-s':>8} {'val acc':>8} {'train loss':>10}")
        mean = runs.groupby("epoch")[["cpu_seconds", "val_accuracy", "loss"]].mean()
        for epoch, row in mean.iterrows():
            lines.append(f"{epoch:>5} {row.cpu_seconds:>8.0f} {row.val_accuracy:>8.4f} {row.loss:>10.4f}")
        final = runs[runs.epoch == runs.epoch.max()].val_accuracy
        lines.append(f"final validation accuracy: {final.mean():.4f} (seeds: {', '.join(f'{v:.4f}' for v in final)})")
        for target in TARGETS:
            reach = [first_reach(run, target) for _, run in runs.groupby("seed")]
            got = [r for r in reach if r is not None]
            median = f"{pd.Series(got).median():.0f}" if len(got) == len(reach) else "-"
            each = ", ".join("-" if r is None else f"{r:.0f}" for r in reach)
            lines.append(f"CPU-s to {target}: median {median} (seeds: {each})")
    return "\n".join(lines)


def figure(rows: pd.DataFrame, out: str) -> None:
    """Validation accuracy against CPU-seconds, one colour per recipe, one line per seed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid")
    fig, ax = plt.subplots(figsize=(10, 4.5))
    colors = dict(zip(rows.recipe.unique(), sns.color_palette("colorblind"), strict=False))
    for (name, seed), run in rows.groupby(["recipe", "seed"], sort=False):
        first = seed == rows[rows.recipe == name].seed.min()
        bold = dict(lw=2.4, alpha=1.0) if "study's" in name else dict(lw=1.0, alpha=0.6)  # the one in config.yaml
        ax.plot(
            run.cpu_seconds, run.val_accuracy, "o-", ms=3, color=colors[name], label=name if first else None, **bold
        )
    for target in TARGETS:
        ax.axhline(target, color="grey", lw=0.8, ls="--")
    ax.set(
        xlabel="CPU-seconds of training (one thread)",
        ylabel="validation accuracy",
        ylim=(0.980, 0.995),
        title="The report's CNN: validation accuracy against compute",
    )
    ax.legend(title="recipe (one line per seed)", loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize="small")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(f"figure: {out}")


def main() -> None:
    options = parser(__doc__)
    options.add_argument("--recipe", action="append", help="NAME or NAME=CONFIG_FILE, repeatable (default: all)")
    options.add_argument("--seeds", type=int, nargs="+", default=[0], help="seeds of each recipe (default: 0)")
    options.add_argument("--threads", type=int, default=1, help="TensorFlow threads (threads.cnn's default)")
    options.add_argument("--csv", help="write the curves here")
    options.add_argument("--figure", help="draw the curves into this PNG")
    options.add_argument("--summarize", nargs="+", metavar="CSV", help="print (and draw) curves written before")
    args = options.parse_args()

    if args.summarize:
        rows = pd.concat([pd.read_csv(path) for path in args.summarize], ignore_index=True)
    else:
        settings = dict(recipe(spec) for spec in (args.recipe or RECIPES))  # all read before any training
        arrays = load_mnist(args.data_dir)
        curves = []
        for name in settings:
            for seed in args.seeds:
                print(f"training {name}, seed {seed}: {settings[name]}", flush=True)
                curves.append(train_curves(arrays, name, settings[name], seed, args.threads))
                rows = pd.concat(curves, ignore_index=True)
                if args.csv:
                    rows.to_csv(args.csv, index=False)
    print(summary(rows))
    if args.figure:
        figure(rows, args.figure)


if __name__ == "__main__":
    main()
