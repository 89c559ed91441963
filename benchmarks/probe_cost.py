"""The gradient probe's cost against a training epoch, timed directly.

    python benchmarks/probe_cost.py --data-dir /path/to/mnist [--depth 5]

A job records the probe once before training and once after every epoch (``ProbeRecorder.record``:
one compiled forward and backward pass over 1,024 training images, the per-layer statistics, the
CSV rows). So the recording overhead of an epoch is one ``record`` call over one epoch of training.
Epochs on a shared machine spread by 10 % and more between runs, which hides a few percent in a
ratio of two trainings (``train_throughput.py``); here both parts are timed in one process, the
record call many times, and the overhead is the ratio of the medians.

Also timed: the statistics as they were before one float64 sum of squares served both l2 and rms
(``--compare-two-pass``), to show what that change saved.
"""

from __future__ import annotations

import statistics
import time

from mnist_args import load_mnist, parser  # first: it puts the package on sys.path

from depthstudy.data import probe_indices


def main() -> None:
    options = parser(__doc__)
    options.add_argument("--depth", type=int, default=5, help="hidden layers (width 128, ReLU, as the study's)")
    options.add_argument("--calls", type=int, default=30, help="timed record calls")
    options.add_argument("--epochs", type=int, default=4, help="training epochs, the first one a warm-up")
    options.add_argument("--compare-two-pass", action="store_true", help="also time l2 and rms as two float64 passes")
    args = options.parse_args()

    arrays = load_mnist(args.data_dir)
    from depthstudy import gradients, jobs, runtime, stream  # TensorFlow after the data

    runtime.configure_tensorflow(1, seed=0)
    import tensorflow as tf

    x, y = stream.flat_pixels(arrays["x_train"]), arrays["y_train"]
    probe = probe_indices(len(x), 1024, 0)
    settings = dict(width=128, batch_size=128, optimizer="sgd", learning_rate=0.01, initializer="glorot_uniform",
                    batchnorm=False)  # fmt: skip
    model = jobs.mlp_model("relu", args.depth, settings)

    def record_ms(recorder) -> float:
        for epoch in range(3):  # the first call traces
            recorder.record(epoch)
        times = []
        for epoch in range(args.calls):
            start = time.perf_counter()
            recorder.record(epoch)
            times.append(time.perf_counter() - start)
        return 1000 * statistics.median(times)

    ends: list[float] = []
    stream.fit_epochs(model, x, y, epochs=args.epochs, batch_size=128, seed=0,
                      on_epoch_end=lambda *_: ends.append(time.perf_counter()))  # fmt: skip
    epoch = statistics.median(b - a for a, b in zip(ends, ends[1:], strict=False))

    variants = {"one sum of squares (l2 and rms)": gradients._summaries}
    if args.compare_two_pass:

        def two_pass(t):
            t = tf.abs(tf.reshape(t, [-1]))
            squares = tf.square(tf.cast(t, tf.float64))
            l2 = tf.cast(tf.sqrt(tf.reduce_sum(squares)), tf.float32)
            return tf.stack([tf.reduce_max(t), tf.reduce_mean(t), l2, gradients._rms(t)])

        variants["two float64 passes (before)"] = two_pass
    print(f"depth {args.depth}, width 128, 1 thread: a training epoch (60,000 images) takes {epoch:.3f} s (median)")
    for name, summaries in variants.items():
        gradients._summaries = summaries
        recorder = gradients.ProbeRecorder(model, x[probe], y[probe], "relu")
        ms = record_ms(recorder)
        print(f"probe record, {name:<34} {ms:7.1f} ms = recording overhead {100 * ms / 1000 / epoch:5.1f} %")


if __name__ == "__main__":
    main()
