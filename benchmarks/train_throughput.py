"""Training throughput: plain Keras, the best plain-Keras setting, and the pipeline's own training.

    python benchmarks/train_throughput.py --data-dir /path/to/mnist

Reads MNIST through the workflow's loader (--data-dir as the config's data_dir; without it, Keras'
cache). Each case trains a few epochs after a warm-up epoch and reports the median epoch; the MLP
variants run in turn for --rounds rounds and pool their epochs. Peak memory is the process's peak
resident set during the case (reset before each case), the largest over rounds.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from mnist_args import load_mnist, parser  # first: it puts the package on sys.path


def reset_peak_rss() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # Linux: reset VmHWM


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def epochs_after_warmup(ends: list[float]) -> list[float]:
    """Epoch durations after the first (warm-up: tracing and compilation)."""
    durations = [b - a for a, b in zip(ends, ends[1:], strict=False)]
    return durations[1:]


class EpochClock:
    def __init__(self):
        import keras

        class Clock(keras.callbacks.Callback):
            def on_train_begin(inner, logs=None):  # noqa: N805
                self.ends.append(time.perf_counter())

            def on_epoch_end(inner, epoch, logs=None):  # noqa: N805
                self.ends.append(time.perf_counter())

        self.ends: list[float] = []
        self.callback = Clock()


def plain_fit(model_fn, x, y, epochs, batch_size, optimizer, **compile_kw) -> float:
    """What a user writes: compile and fit, Keras' own shuffling."""
    model = model_fn()
    model.compile(optimizer=optimizer(), loss="sparse_categorical_crossentropy", metrics=["accuracy"], **compile_kw)
    clock = EpochClock()
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[clock.callback])
    return epochs_after_warmup(clock.ends)


def main() -> None:
    options = parser(__doc__)
    options.add_argument("--epochs", type=int, default=4, help="epochs per case, the first one a warm-up")
    options.add_argument("--batch-size", type=int, default=128, help="MLP batch size (the study's default)")
    options.add_argument("--cnn-images", type=int, default=6000, help="training images for the CNN cases")
    options.add_argument("--threads", type=int, default=1, help="TensorFlow threads (the study's default per job)")
    options.add_argument(
        "--rounds", type=int, default=2, help="MLP variants run in turn this many times; medians pool the rounds"
    )
    args = options.parse_args()

    arrays = load_mnist(args.data_dir)
    from depthstudy import jobs, runtime, stream  # TensorFlow after the data, so its threads are set first
    from depthstudy.models import build_cnn, build_mlp

    runtime.configure_tensorflow(args.threads, seed=0)
    import keras

    x_flat, y = stream.flat_pixels(arrays["x_train"]), arrays["y_train"]
    settings = dict(
        width=128, epochs=args.epochs, batch_size=args.batch_size, optimizer="sgd", learning_rate=0.01,
        initializer="glorot_uniform", batchnorm=False, residual=False, residual_scale=0.5,
    )  # fmt: skip
    rows: dict[tuple[str, str], dict] = {}

    def case(name, variant, n_images, run):
        """Run one case (again): its epochs join the earlier rounds', its peak memory the largest."""
        reset_peak_rss()
        durations = run()
        row = rows.setdefault((name, variant), dict(case=name, variant=variant, epochs=[], peak_mb=0.0))
        row["epochs"] += durations
        row["peak_mb"] = max(row["peak_mb"], peak_rss_mb())
        row["seconds"] = statistics.median(row["epochs"])
        row["images_s"] = n_images / row["seconds"]
        print(f"  {name:<16} {variant:<34} " + " ".join(f"{d:.2f}" for d in durations) + " s/epoch", flush=True)

    def sgd():
        return keras.optimizers.SGD(0.01)

    # The variants run in turn, round after round, so that a drift in the machine's speed reaches all
    # of them alike; a few percent (the recording target) is below the noise of one run.
    for depth in [d for d in (5, 40) for _ in range(args.rounds)]:
        name = f"MLP depth {depth}"

        def model_fn(depth=depth):
            return build_mlp("relu", depth, 128)

        case(
            name, "a plain model.fit", len(y), lambda: plain_fit(model_fn, x_flat, y, args.epochs, args.batch_size, sgd)
        )
        case(
            name, f"b fit, steps_per_execution={jobs.STEPS_PER_EXECUTION}", len(y),
            lambda: plain_fit(model_fn, x_flat, y, args.epochs, args.batch_size, sgd,
                              steps_per_execution=jobs.STEPS_PER_EXECUTION),
        )  # fmt: skip
        for record in (True, False):

            def pipeline(record=record, depth=depth):
                clock = EpochClock()
                if record:  # the job itself: probe before training and after every epoch
                    jobs.train_mlp(
                        arrays, exercise="bench", activation="relu", depth=depth, seed=0, settings=settings,
                        probe_size=1024, probe_seed=0, threads=args.threads, callbacks=[clock.callback],
                    )  # fmt: skip
                else:  # the job's model and training stream, without the probe
                    model = jobs.mlp_model("relu", depth, settings)
                    stream.fit_epochs(model, x_flat, y, epochs=args.epochs, batch_size=args.batch_size, seed=0,
                                      callbacks=[clock.callback])  # fmt: skip
                return epochs_after_warmup(clock.ends)

            case(name, "c pipeline" + (", recording" if record else ", no recording"), len(y), pipeline)

    n = args.cnn_images
    cnn_arrays = {**arrays, "x_train": arrays["x_train"][:n], "y_train": arrays["y_train"][:n]}
    x_img = stream.image_tensor(cnn_arrays["x_train"])
    cnn_settings = dict(
        epochs=args.epochs, batch_size=128, optimizer="adam", learning_rate=0.001, l2=5e-4, validation_split=0.0
    )

    def adam():
        return keras.optimizers.Adam(0.001)

    case(
        "CNN",
        "a plain model.fit",
        n,
        lambda: plain_fit(build_cnn, x_img, cnn_arrays["y_train"], args.epochs, 128, adam),
    )

    def cnn_pipeline():
        clock = EpochClock()
        with tempfile.TemporaryDirectory() as tmp:
            jobs.train_cnn(
                cnn_arrays, seed=0, settings=cnn_settings, checkpoint_dir=Path(tmp) / "resume",
                threads=args.threads, callbacks=[clock.callback],
            )  # fmt: skip
        return epochs_after_warmup(clock.ends)

    case("CNN", "c pipeline (checkpoint each epoch)", n, cnn_pipeline)

    print(f"\n{'case':<16} {'variant':<36} {'s/epoch':>8} {'images/s':>10} {'peak MB':>8} {'a / this':>8}")
    rows = list(rows.values())
    base = {r["case"]: r["seconds"] for r in rows if r["variant"].startswith("a ")}
    for r in rows:
        print(
            f"{r['case']:<16} {r['variant']:<36} {r['seconds']:8.2f} {r['images_s']:10.0f} {r['peak_mb']:8.0f} "
            f"{base[r['case']] / r['seconds']:8.2f}"
        )
    d5 = {r["variant"][0] + ("r" if "recording" in r["variant"] and "no" not in r["variant"] else ""): r["seconds"]
          for r in rows if r["case"] == "MLP depth 5"}  # fmt: skip
    print(f"\nspeedup over plain fit = {d5['a'] / d5['cr']:.2f}")
    print(f"slowdown vs best keras = {d5['cr'] / d5['b']:.2f}")
    print(f"recording overhead = {100 * (d5['cr'] / d5['c'] - 1):.1f} %")


if __name__ == "__main__":
    main()
