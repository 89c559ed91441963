"""Training: determinism, divergence, equality with plain Keras, and the CNN resuming after a real kill."""

import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pandas as pd
import pytest

from conftest import copy_workflow, snakemake
from depthstudy import jobs, runtime, stream
from depthstudy.jobs import SmoothedSparseCrossentropy, cnn_learning_rate, compile_classifier, train_mlp
from depthstudy.models import build_cnn, build_mlp

SETTINGS = dict(
    width=16,
    epochs=2,
    batch_size=32,
    optimizer="sgd",
    learning_rate=0.05,
    initializer="glorot_uniform",
    batchnorm=False,
    residual=False,
    residual_scale=0.5,
)


@pytest.fixture(scope="module")
def arrays():
    rng = np.random.default_rng(0)
    # learnable toy data: the label is which image quadrant is brightest, mod 10
    x = rng.integers(0, 60, (600, 28, 28)).astype(np.uint8)
    y = rng.integers(0, 10, 600).astype(np.uint8)
    for i, label in enumerate(y):
        x[i, label * 2 : label * 2 + 3, :] = 255
    return {"x_train": x[:500], "y_train": y[:500], "x_test": x[500:], "y_test": y[500:]}


def run(arrays, seed=0, **overrides):
    kw = dict(exercise="t", activation="tanh", depth=3, seed=seed, settings={**SETTINGS}, probe_size=64, probe_seed=0)
    kw["settings"].update(overrides.pop("settings", {}))
    return train_mlp(arrays, **{**kw, **overrides})


def test_same_seed_gives_identical_outputs(arrays):
    a, b = run(arrays), run(arrays)
    for name in ("history", "gradients", "activations"):
        pd.testing.assert_frame_equal(a[name], b[name])
    pd.testing.assert_frame_equal(
        a["metrics"].drop(columns="train_seconds"), b["metrics"].drop(columns="train_seconds")
    )
    assert a["metrics"].test_accuracy.item() > 0.3  # it learns the toy task


def test_different_seeds_start_from_different_weights(arrays):
    g0 = run(arrays, seed=0, settings={"epochs": 0})["gradients"]
    g1 = run(arrays, seed=1, settings={"epochs": 0})["gradients"]
    assert not np.allclose(g0.value, g1.value)


def test_steps_per_execution_changes_speed_not_results(arrays):
    x, y = stream.flat_pixels(arrays["x_train"]), arrays["y_train"]
    x_test, y_test = stream.flat_pixels(arrays["x_test"]), arrays["y_test"]
    results = []
    for steps in (jobs.STEPS_PER_EXECUTION, 1):
        runtime.configure_tensorflow(1, seed=0)
        model = jobs.mlp_model("tanh", 3, SETTINGS, steps_per_execution=steps)
        rows, diverged = stream.fit_epochs(model, x, y, epochs=2, batch_size=32, seed=0)
        results.append((pd.DataFrame(rows), jobs.evaluate(model, x_test, y_test, diverged)[0]))
    (fast, fast_loss), (plain, plain_loss) = results
    pd.testing.assert_frame_equal(fast, plain, rtol=1e-6)
    assert fast_loss == pytest.approx(plain_loss, rel=1e-6)


def plain_keras_epochs(model, x, y, *, epochs, batch_size, seed, validation=None):
    """The straightforward loop: one ``fit`` per epoch on a copied permutation, one step per call,
    and every seed Keras knows (Python, NumPy, TensorFlow, the layers' generators) set per epoch."""
    rows = []
    for epoch in range(1, epochs + 1):
        keras.utils.set_random_seed(stream.epoch_seed(seed, epoch))
        stream.reseed(model, seed, epoch)
        order = np.random.default_rng([seed, epoch]).permutation(len(x))
        fit = model.fit(x[order], y[order], batch_size=batch_size, shuffle=False, validation_data=validation, verbose=0)
        rows.append({"epoch": epoch, **{k: v[-1] for k, v in fit.history.items()}})
    return rows


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_one_fit_over_the_epoch_stream_equals_plain_fit_per_epoch(arrays, kind):
    """The optimised loop (one fit, tf.data stream, 64 steps per call) changes speed, not numbers: equal bit for bit.

    The CNN has dropout and BatchNorm, so this also checks the per-epoch reseeding inside one fit.
    """
    if kind == "mlp":
        x, make = stream.flat_pixels(arrays["x_train"]), lambda: build_mlp("tanh", 3, 16)
    else:
        x, make = stream.image_tensor(arrays["x_train"][:200]), lambda: build_cnn(l2=5e-4)
    y = arrays["y_train"][: len(x)]
    validation = (x[:50], y[:50])
    results = []
    for steps in (64, 1):
        runtime.configure_tensorflow(1, seed=3)
        model = make()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                      steps_per_execution=steps)  # fmt: skip
        if steps == 64:
            rows, _ = stream.fit_epochs(model, x, y, epochs=3, batch_size=32, seed=3, validation=validation)
        else:
            rows = plain_keras_epochs(model, x, y, epochs=3, batch_size=32, seed=3, validation=validation)
        results.append((pd.DataFrame(rows), model.get_weights()))
    (fast, fast_weights), (plain, plain_weights) = results
    columns = ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"]
    assert sorted(fast.columns) == sorted(plain.columns) == sorted(columns)
    pd.testing.assert_frame_equal(fast[columns], plain[columns], check_exact=True)
    for a, b in zip(fast_weights, plain_weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_divergence_ends_the_job_cleanly(arrays):
    out = run(arrays, activation="relu", settings={"learning_rate": 1e4, "epochs": 3})
    metrics = out["metrics"].iloc[0]
    assert bool(metrics.diverged) is True
    assert np.isnan(metrics.test_loss) and np.isnan(metrics.test_accuracy)
    assert 1 <= len(out["history"]) <= 3 and not np.isfinite(out["history"].loss.iloc[-1])
    assert out["gradients"].epoch.max() == len(out["history"])


CNN_CONFIG = """
limit_train: 1200
limit_test: 300
probe: {size: 64, seed: 0}
cnn:
  {seeds: [0], epochs: 3, batch_size: 64, optimizer: adam, learning_rate: 0.002, lr_schedule: cosine, l2: 0.0005,
   warmup_epochs: 1, validation_split: 0.1, shift_pixels: 2, label_smoothing: 0.1}
threads: {mlp: 1, cnn: 1}
"""


@pytest.mark.parametrize("schedule", ["cosine", "constant"])
def test_cnn_rate_warms_up_linearly_then_follows_its_schedule(schedule):
    steps, epochs, rate = 10, 4, 0.004
    settings = dict(learning_rate=rate, lr_schedule=schedule, warmup_epochs=1, epochs=epochs)
    lr = cnn_learning_rate(settings, steps)
    at = [float(lr(step)) for step in range(steps * epochs + 1)]
    assert at[0] == 0 and at[steps // 2] == pytest.approx(rate / 2) and at[steps] == pytest.approx(rate)
    assert all(a <= b for a, b in zip(at[:steps], at[1 : steps + 1], strict=True))  # climbs
    if schedule == "cosine":
        assert at[-1] == pytest.approx(0, abs=1e-9)
        assert all(a >= b for a, b in zip(at[steps:-1], at[steps + 1 :], strict=True))  # then falls
    else:
        assert at[steps:] == pytest.approx([rate] * (len(at) - steps))


def test_cnn_rate_without_warmup_is_the_plain_schedule():
    settings = dict(learning_rate=0.002, epochs=3)
    assert cnn_learning_rate({**settings, "lr_schedule": "constant"}, 10) == 0.002
    cosine = cnn_learning_rate({**settings, "lr_schedule": "cosine", "warmup_epochs": 0}, 10)
    plain = keras.optimizers.schedules.CosineDecay(0.002, 30)
    assert [float(cosine(s)) for s in (0, 7, 15, 30)] == [float(plain(s)) for s in (0, 7, 15, 30)]


def test_label_smoothing_on_integer_labels_is_keras_one_hot_smoothing_and_reloads(tmp_path):
    rng = np.random.default_rng(0)
    probs, labels = rng.dirichlet(np.ones(10), size=8).astype("float32"), rng.integers(0, 10, 8)
    one_hot = keras.losses.CategoricalCrossentropy(label_smoothing=0.1)(np.eye(10)[labels], probs)
    assert float(SmoothedSparseCrossentropy(0.1)(labels, probs)) == pytest.approx(float(one_hot), rel=1e-6)
    plain = keras.losses.SparseCategoricalCrossentropy()(labels, probs)
    assert float(SmoothedSparseCrossentropy(0.1)(labels, probs)) != pytest.approx(float(plain), rel=1e-3)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(10, activation="softmax")])
    compile_classifier(model, "adam", 0.001, label_smoothing=0.1)
    model.fit(rng.normal(size=(16, 3)), rng.integers(0, 10, 16), verbose=0)
    model.save(tmp_path / "model.keras")  # a resumed CNN job loads its checkpoint so
    assert keras.saving.load_model(tmp_path / "model.keras").loss.smoothing == 0.1
    # the test loss stays the plain cross-entropy (plus any L2 penalty), comparable with the report's
    x, y = rng.normal(size=(32, 3)), rng.integers(0, 10, 32)
    plain = keras.losses.SparseCategoricalCrossentropy()(y, model.predict(x, verbose=0))
    assert jobs.evaluate(model, x, y, diverged=False)[0] == pytest.approx(float(plain), rel=1e-5)


@pytest.mark.slow  # two workflow runs that train the CNN
def test_cnn_killed_after_first_epoch_resumes_to_the_same_result(tmp_path, mnist_dir):
    target = "results/ex3/seed0/metrics.csv"
    runs = {name: copy_workflow(tmp_path / name) for name in ("straight", "killed")}
    args = ["--cores", "1", target, "--configfile", "tiny.yaml", "--config", f"data_dir={mnist_dir}"]
    for work in runs.values():
        (work / "tiny.yaml").write_text(CNN_CONFIG)
    # the uninterrupted run, on the other core while the killed one runs
    uninterrupted = subprocess.Popen(
        [sys.executable, "-m", "snakemake", *args],
        cwd=runs["straight"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    work = runs["killed"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "snakemake", *args],
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    history = work / "results/ex3/seed0/resume/history.csv"
    deadline = time.time() + 300
    while not history.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert history.exists(), "no checkpoint after the first epoch"
    os.killpg(proc.pid, signal.SIGKILL)  # snakemake and the training job, as a pre-emption would
    proc.wait()
    assert not (work / target).exists()
    assert len(pd.read_csv(history)) < 3
    # what a user does after a kill: drop the stale lock, then rerun the incomplete job
    snakemake(work, "--unlock", "--configfile", "tiny.yaml")
    snakemake(work, *args, "--rerun-incomplete")
    assert uninterrupted.wait(timeout=600) == 0
    straight = pd.read_csv(runs["straight"] / target)
    killed = pd.read_csv(runs["killed"] / target)
    assert killed.resumed_from_epoch.item() >= 1 and straight.resumed_from_epoch.item() == 0
    cols = ["test_loss", "test_accuracy", "epochs"]
    pd.testing.assert_frame_equal(straight[cols], killed[cols])
    pd.testing.assert_frame_equal(
        pd.read_csv(runs["straight"] / "results/ex3/seed0/history.csv"),
        pd.read_csv(runs["killed"] / "results/ex3/seed0/history.csv"),
    )
    assert not (runs["killed"] / "results/ex3/seed0/resume").exists()  # removed when the job finished
    assert "resuming from" in (runs["killed"] / "results/logs/train_cnn/seed0.log").read_text()


def test_shift_moves_each_image_by_at_most_the_shift_and_repeats_with_its_seed(arrays):
    images = stream.image_tensor(arrays["x_train"][:64])
    images[:, :3, :, :] = images[:, -3:, :, :] = images[:, :, :3, :] = images[:, :, -3:, :] = 0  # a blank border
    shifted = stream.shift_images(images, 2, seed=np.array([5, 7])).numpy()
    np.testing.assert_array_equal(shifted, stream.shift_images(images, 2, seed=np.array([5, 7])).numpy())
    assert not np.array_equal(shifted, stream.shift_images(images, 2, seed=np.array([5, 8])).numpy())
    seen = set()
    for before, after in zip(images, shifted, strict=True):
        # the one offset that maps the image onto its shifted copy, found by trying all 25
        matches = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                   if np.array_equal(np.roll(before, (dy, dx), axis=(0, 1)), after)]  # fmt: skip
        assert len(matches) == 1
        seen.add(matches[0])
    assert len(seen) > 10  # offsets vary from image to image
    np.testing.assert_array_equal(stream.shift_images(images, 0, seed=np.array([5, 7])).numpy(), images)
