"""Where the CNN's training step spends its time: the default CNN, then the same with one part taken away.

    python benchmarks/cnn_step.py --data-dir /path/to/mnist [--threads 2] [--images 12000]

Each variant trains the report's CNN (``build_cnn``) through the pipeline's own stream
(``stream.fit_epochs``: seeded batches gathered in tf.data, Keras' compiled step, 1 step per call as
``train_cnn`` runs it) on the first ``--images`` training images, at the threads that ``threads.cnn``
gives a job. The variants take turns, one epoch each, for ``--rounds`` rounds after a warm-up round,
so that a drift in the machine's speed reaches all of them alike; a variant's time is its median
epoch, and its ratio to the default is the median of the rounds' ratios. The variants:

- default: Adam, the 2-pixel shift in tf.data, dropout, BatchNorm, L2 (what a CNN job trains);
- without one part: the shift, dropout, BatchNorm, Adam (plain SGD instead), L2;
- the forward pass only (``predict`` over the same images), and the convolutions only (the two Conv2D
  layers and the per-pixel Dense, each with its backward pass and an SGD update, behind a minimal head);
- BatchNorm computed by TensorFlow's fused kernel (``FusedBatchNormV3``) in training instead of Keras 3's
  separate moments and normalisation ops: the cut that BatchNorm's share suggests (a change of op,
  so the pipeline would need a new reference run for it);
- the per-epoch checkpoint (``checkpoint.save``, timed on its own after an epoch).

A part's share of the step is 1 - (without it) / default, from the median ratio; shares of a few
percent are within the noise of a shared 2-core machine. Throughput is also given in GFLOP/s a
core, at the CNN's 86 MFLOP per training image (3 x its 28.7 MFLOP forward pass, docs/performance.md).
"""

from __future__ import annotations

import math
import statistics
import tempfile
import time
from pathlib import Path

from mnist_args import load_mnist, parser  # first: it puts the package on sys.path

TRAIN_MFLOP = 86.0  # per training image: 3 x the forward pass's 28.7 MFLOP


def main() -> None:
    options = parser(__doc__)
    options.add_argument("--images", type=int, default=12000, help="training images per epoch")
    options.add_argument("--rounds", type=int, default=5, help="timed rounds of one epoch per variant")
    options.add_argument("--threads", type=int, default=2, help="TensorFlow threads (threads.cnn's default)")
    options.add_argument("--batch-size", type=int, default=128, help="the cnn block's batch_size")
    args = options.parse_args()

    arrays = load_mnist(args.data_dir)
    from depthstudy import checkpoint, runtime, stream  # TensorFlow after the data, so its threads are set first
    from depthstudy.models import build_cnn

    runtime.configure_tensorflow(args.threads, seed=0)
    import keras
    from keras import layers

    x = stream.image_tensor(arrays["x_train"][: args.images])
    y = arrays["y_train"][: args.images]

    import tensorflow as tf

    class FusedBatchNormalization(layers.BatchNormalization):
        """Keras' BatchNormalization (same weights, momentum, epsilon and biased batch variance), trained
        through TensorFlow's fused kernel; inference is Keras' own."""

        def call(self, inputs, training=None, mask=None):
            if not (training and self.trainable) or mask is not None:
                return super().call(inputs, training=training, mask=mask)
            channels = inputs.shape[-1]
            flat = len(inputs.shape) == 2  # the Dense's BatchNorm: (batch, 1, 1, channels) for the kernel
            x = tf.reshape(inputs, [-1, 1, 1, channels]) if flat else inputs
            y, mean, variance = tf.compat.v1.nn.fused_batch_norm(
                x, self.gamma, self.beta, epsilon=self.epsilon, is_training=True
            )
            n = tf.cast(tf.size(x) // channels, variance.dtype)
            variance = variance * (n - 1.0) / n  # the kernel returns the unbiased variance
            self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
            self.moving_variance.assign(self.moving_variance * self.momentum + variance * (1.0 - self.momentum))
            return tf.reshape(y, tf.shape(inputs)) if flat else y

    def rebuilt(
        model: keras.Sequential, drop: tuple[type, ...] = (), batchnorm: type = layers.BatchNormalization
    ) -> keras.Sequential:
        """The same layers (same names and settings), less those of the kinds in ``drop``, with each
        BatchNormalization built as ``batchnorm``."""
        kept = [keras.Input(shape=(28, 28, 1))]
        for layer in model.layers:
            if not isinstance(layer, drop):
                kind = batchnorm if isinstance(layer, layers.BatchNormalization) else layer.__class__
                kept.append(kind.from_config(layer.get_config()))
        return keras.Sequential(kept)

    def convolutions_only() -> keras.Sequential:
        cnn = build_cnn()
        conv = [cnn.get_layer(name) for name in ("conv2d_1", "conv2d_2", "dense_1")]
        return keras.Sequential(
            [keras.Input(shape=(28, 28, 1))]
            + [layer.__class__.from_config(layer.get_config()) for layer in conv]
            + [layers.GlobalAveragePooling2D(), layers.Dense(10, activation="softmax")]
        )

    def trainer(model: keras.Model, optimizer: str = "adam", shift: int = 2):
        """One more epoch of ``model`` per call; returns its seconds."""
        model.compile(
            optimizer=keras.optimizers.get({"class_name": optimizer, "config": {"learning_rate": 0.002}}),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )

        class Clock(keras.callbacks.Callback):  # the epoch itself, without fit's set-up
            def on_epoch_begin(self, epoch, logs=None):
                self.start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                self.seconds = time.perf_counter() - self.start

        def epoch() -> float:  # the same epoch (seed 0, epoch 0) each time: one fit of one epoch
            clock = Clock()
            stream.fit_epochs(model, x, y, epochs=1, batch_size=args.batch_size, seed=0, shift=shift, callbacks=[clock])
            return clock.seconds

        return epoch

    def forward():
        model = build_cnn()

        def epoch() -> float:
            start = time.perf_counter()
            model.predict(x, batch_size=args.batch_size, verbose=0)
            return time.perf_counter() - start

        return epoch

    default = "default (Adam, shift, dropout, BatchNorm, L2)"
    variants = {
        default: trainer(build_cnn()),
        "without the shift": trainer(build_cnn(), shift=0),
        "without dropout": trainer(rebuilt(build_cnn(), drop=(layers.Dropout,))),
        "without BatchNorm": trainer(rebuilt(build_cnn(), drop=(layers.BatchNormalization,))),
        "BatchNorm by the fused kernel": trainer(rebuilt(build_cnn(), batchnorm=FusedBatchNormalization)),
        "SGD instead of Adam": trainer(build_cnn(), optimizer="sgd"),
        "without L2": trainer(build_cnn(l2=0.0)),
        "convolutions only (with backward, SGD)": trainer(convolutions_only(), optimizer="sgd", shift=0),
        "forward pass only (predict)": forward(),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for round_ in range(args.rounds + 1):  # round 0 traces and warms up
        for name, epoch in variants.items():
            seconds = epoch()
            if round_:
                times[name].append(seconds)
        print(f"  round {round_}: " + " ".join(f"{times[n][-1]:.2f}" if round_ else "-" for n in variants), flush=True)
    results = {name: statistics.median(t) for name, t in times.items()}
    ratios = {
        name: statistics.median(a / b for a, b in zip(t, times[default], strict=True)) for name, t in times.items()
    }

    model = build_cnn()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x[:256], y[:256], epochs=1, verbose=0)  # optimizer slots exist, as after an epoch
    with tempfile.TemporaryDirectory() as tmp:
        saves = []
        for i in range(3):
            start = time.perf_counter()
            checkpoint.save(model, [dict(epoch=i)], Path(tmp) / "resume", {"seed": 0})
            saves.append(time.perf_counter() - start)
    save = statistics.median(saves)

    print(f"\n{args.images} images an epoch, batch {args.batch_size}, {args.threads} thread(s), {args.rounds} rounds")
    print(f"{'variant':<44} {'s/epoch':>8} {'images/s':>9} {'GFLOP/s/core':>12} {'/ default':>9} {'share':>7}")
    for name, seconds in results.items():
        images_s = args.images / seconds
        gflops = images_s * TRAIN_MFLOP / 1000 / args.threads if name != "forward pass only (predict)" else math.nan
        share = "" if name == default else f"{100 * (1 - ratios[name]):6.1f}%"
        if name.startswith(("convolutions", "forward")):
            share = f"{100 * ratios[name]:6.1f}%"  # what it takes of the step, not what it saves
        print(f"{name:<44} {seconds:8.2f} {images_s:9.0f} {gflops:12.1f} {ratios[name]:9.2f} {share:>7}")
    default_s = results[default]
    epoch_60k = default_s * 54000 / args.images  # the default run's epoch: 54,000 training images
    print(f"checkpoint after an epoch: {save:.2f} s ({100 * save / epoch_60k:.1f} % of a 54,000-image epoch)")
    print(f"default images/s = {args.images / default_s:.0f}")


if __name__ == "__main__":
    main()
