"""Where the CNN's training step spends its time: the default CNN, then the same with one part taken away.

    python benchmarks/cnn_step.py --data-dir /path/to/mnist [--threads 2] [--images 12000]

Each variant trains the report's CNN (``build_cnn``) through the pipeline's own stream
(``stream.fit_epochs``: seeded batches gathered in tf.data, Keras' compiled step, 1 step per call as
``train_cnn`` runs it) for a few epochs on the first ``--images`` training images, at the threads that
``threads.cnn`` gives a job, and reports the median epoch after a warm-up epoch. The variants:

- default: Adam, the 2-pixel shift in tf.data, dropout, BatchNorm, L2 (what a CNN job trains);
- without one part: the shift, dropout, BatchNorm, Adam (plain SGD instead), L2;
- the forward pass only (``predict`` over the same images), and the convolutions only (the two Conv2D
  layers and the per-pixel Dense, each with its backward pass and an SGD update, behind a minimal head);
- the per-epoch checkpoint (``checkpoint.save``, timed on its own after an epoch).

A part's share of the step is (default - without it) / default. A variant's time is one process's
median, so shares of a few percent are within the noise (the epochs of one variant spread by several
percent on a shared 2-core machine). Throughput is also given in GFLOP/s a core, at the CNN's 86 MFLOP
per training image (3 x its 28.7 MFLOP forward pass, docs/performance.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

from depthstudy.data import catalog, load_idx_folder, load_keras  # noqa: E402

TRAIN_MFLOP = 86.0  # per training image: 3 x the forward pass's 28.7 MFLOP


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", help="folder with the four MNIST IDX files (default: Keras' cache)")
    parser.add_argument("--images", type=int, default=12000, help="training images per epoch")
    parser.add_argument("--epochs", type=int, default=4, help="epochs per variant, the first one a warm-up")
    parser.add_argument("--threads", type=int, default=2, help="TensorFlow threads (threads.cnn's default)")
    parser.add_argument("--batch-size", type=int, default=128, help="the cnn block's batch_size")
    args = parser.parse_args()

    arrays = load_idx_folder(args.data_dir, catalog()["mnist"]["sha256"]) if args.data_dir else load_keras()
    from depthstudy import checkpoint, runtime, stream  # TensorFlow after the data, so its threads are set first
    from depthstudy.models import build_cnn

    runtime.configure_tensorflow(args.threads, seed=0)
    import keras
    from keras import layers

    x = stream.image_tensor(arrays["x_train"][: args.images])
    y = arrays["y_train"][: args.images]

    def without(model: keras.Sequential, kinds: tuple[type, ...]) -> keras.Sequential:
        """The same layers (same names and settings), less those of the given kinds."""
        kept = [keras.Input(shape=(28, 28, 1))]
        kept += [
            layer.__class__.from_config(layer.get_config()) for layer in model.layers if not isinstance(layer, kinds)
        ]
        return keras.Sequential(kept)

    def convolutions_only() -> keras.Sequential:
        cnn = build_cnn()
        conv = [cnn.get_layer(name) for name in ("conv2d_1", "conv2d_2", "dense_1")]
        return keras.Sequential(
            [keras.Input(shape=(28, 28, 1))]
            + [layer.__class__.from_config(layer.get_config()) for layer in conv]
            + [layers.GlobalAveragePooling2D(), layers.Dense(10, activation="softmax")]
        )

    def train(model: keras.Model, optimizer: str = "adam", shift: int = 2) -> list[float]:
        model.compile(
            optimizer=keras.optimizers.get({"class_name": optimizer, "config": {"learning_rate": 0.002}}),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        ends: list[float] = []
        stream.fit_epochs(
            model, x, y, epochs=args.epochs, batch_size=args.batch_size, seed=0, shift=shift,
            on_epoch_end=lambda *_: ends.append(time.perf_counter()),
        )  # fmt: skip
        return [b - a for a, b in zip(ends, ends[1:], strict=False)]  # after the first (warm-up) epoch

    def forward() -> list[float]:
        model = build_cnn()
        times = []
        for _ in range(args.epochs):
            start = time.perf_counter()
            model.predict(x, batch_size=args.batch_size, verbose=0)
            times.append(time.perf_counter() - start)
        return times[1:]

    variants = {
        "default (Adam, shift, dropout, BatchNorm, L2)": lambda: train(build_cnn()),
        "without the shift": lambda: train(build_cnn(), shift=0),
        "without dropout": lambda: train(without(build_cnn(), (layers.Dropout,))),
        "without BatchNorm": lambda: train(without(build_cnn(), (layers.BatchNormalization,))),
        "SGD instead of Adam": lambda: train(build_cnn(), optimizer="sgd"),
        "without L2": lambda: train(build_cnn(l2=0.0)),
        "convolutions only (with backward, SGD)": lambda: train(convolutions_only(), optimizer="sgd", shift=0),
        "forward pass only (predict)": forward,
    }
    results = {}
    for name, run in variants.items():
        seconds = statistics.median(run())
        results[name] = seconds
        print(f"  {name:<44} {seconds:6.2f} s/epoch", flush=True)

    model = build_cnn()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x[:256], y[:256], epochs=1, verbose=0)  # optimizer slots exist, as after an epoch
    with tempfile.TemporaryDirectory() as tmp:
        saves = []
        for epoch in range(3):
            start = time.perf_counter()
            checkpoint.save(model, [dict(epoch=epoch)], Path(tmp) / "resume", {"seed": 0})
            saves.append(time.perf_counter() - start)
    save = statistics.median(saves)

    default = results["default (Adam, shift, dropout, BatchNorm, L2)"]
    print(f"\n{args.images} images an epoch, batch {args.batch_size}, {args.threads} thread(s)")
    print(f"{'variant':<44} {'s/epoch':>8} {'images/s':>9} {'GFLOP/s/core':>12} {'share':>7}")
    for name, seconds in results.items():
        images_s = args.images / seconds
        gflops = images_s * TRAIN_MFLOP / 1000 / args.threads
        share = "" if name.startswith("default") else f"{100 * (default - seconds) / default:6.1f}%"
        if name.startswith(("convolutions", "forward")):
            share = f"{100 * seconds / default:6.1f}%"  # what it takes of the step, not what it saves
            gflops = float("nan")
        print(f"{name:<44} {seconds:8.2f} {images_s:9.0f} {gflops:12.1f} {share:>7}")
    epoch_60k = default * 54000 / args.images  # the default run's epoch: 54,000 training images
    print(f"checkpoint after an epoch: {save:.2f} s ({100 * save / epoch_60k:.1f} % of a 54,000-image epoch)")
    print(f"default images/s = {args.images / default:.0f}")


if __name__ == "__main__":
    main()
