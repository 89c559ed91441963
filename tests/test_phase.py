"""The trainability phase diagram: its training (one model, many nets), its statistics, and its outputs
in the smoke study."""

import math

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT
from depthstudy import isometry, phase_diagram, phase_training, theory
from depthstudy.phase_training import batch_order, build, dense_layers, initialise, train_row

SETTINGS = dict(activation="tanh", width=16, sigma_b2=0.05, learning_rate=0.05, batch_size=32, snapshots=[3, 10],
                train_subset=200)  # fmt: skip


@pytest.fixture(scope="module")
def arrays():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 60, (600, 28, 28)).astype(np.uint8)
    y = rng.integers(0, 10, 600).astype(np.uint8)
    for i, label in enumerate(y):  # learnable: the bright rows say the label
        x[i, label * 2 : label * 2 + 3, :] = 255
    return {"x_train": x[:500], "y_train": y[:500], "x_test": x[500:], "y_test": y[500:]}


def test_a_net_trained_after_others_in_one_process_equals_it_trained_alone(arrays):
    row = train_row(arrays, depth=3, seed=0, sigma_w2s=[1.0, 2.5, 4.0], settings=SETTINGS)
    alone = train_row(arrays, depth=3, seed=0, sigma_w2s=[2.5], settings=SETTINGS)
    pd.testing.assert_frame_equal(row[2.5], alone[2.5])  # bit for bit
    frame = row[4.0]
    assert frame.step.tolist() == [3, 10, 10] and frame.split.tolist() == ["train_subset", "train_subset", "test"]
    assert frame[["exercise", "depth", "seed", "sigma_w2", "sigma_b2"]].drop_duplicates().values.tolist() == [
        ["phase", 3, 0, 4.0, 0.05]
    ]
    assert not row[1.0].accuracy.equals(row[4.0].accuracy)


def test_initial_weights_have_the_configured_variances():
    model = build("tanh", 6, 256, 1e-3)
    initialise(model, 2.0, 0.05, seed=3)
    kernels = [layer.kernel.numpy() for layer in dense_layers(model)]
    biases = np.concatenate([layer.bias.numpy() for layer in dense_layers(model)])
    assert kernels[0].var() * 784 == pytest.approx(2.0, rel=0.02)
    assert np.mean([k.var() * 256 for k in kernels[1:]]) == pytest.approx(2.0, rel=0.02)
    assert biases.var() == pytest.approx(0.05, rel=0.1)
    # common random numbers: another sigma_w^2 scales the same draws
    initialise(model, 4.0, 0.05, seed=3)
    assert dense_layers(model)[2].kernel.numpy() == pytest.approx(kernels[2] * math.sqrt(2.0))


def fused_dense_build(activation, depth, width, learning_rate):
    """A phase net as Dense layers with their activation inside and a softmax output layer, compiled
    with Keras' SGD by hand: the same function as the study's MLP, built another way."""
    import keras

    from depthstudy.activations import get_activation

    model = keras.Sequential([keras.Input(shape=(28 * 28,))])
    for _ in range(depth):
        model.add(keras.layers.Dense(width, activation=get_activation(activation)))
    model.add(keras.layers.Dense(10, activation="softmax"))
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=phase_training.STEPS_PER_EXECUTION,
    )
    return model


def test_the_phase_diagram_trains_the_studys_mlp_to_the_same_numbers_as_a_hand_built_net(arrays, monkeypatch):
    shared = train_row(arrays, depth=3, seed=1, sigma_w2s=[1.0, 2.5], settings=SETTINGS)
    monkeypatch.setattr(phase_training, "build", fused_dense_build)
    by_hand = train_row(arrays, depth=3, seed=1, sigma_w2s=[1.0, 2.5], settings=SETTINGS)
    for sigma_w2 in (1.0, 2.5):
        pd.testing.assert_frame_equal(shared[sigma_w2], by_hand[sigma_w2])  # bit for bit


def test_batch_order_is_the_studys_epoch_permutations():
    order = batch_order(100, steps=7, batch_size=32, seed=5)  # 224 images: three epochs, the last in part
    assert order.shape == (7, 32)
    flat = order.ravel()
    assert flat[:100].tolist() == np.random.default_rng([5, 1]).permutation(100).tolist()
    assert flat[100:200].tolist() == np.random.default_rng([5, 2]).permutation(100).tolist()


def grid(rule_n):
    """Cells of a tanh grid at sigma_b^2 0.05 where a net trains exactly when L < rule_n xi_c."""
    rows = []
    for sigma_w2 in (1.0, 1.5, 1.75, 2.0, 3.0, 4.0):
        xi = theory.scales("tanh", sigma_w2, 0.05)["xi_c"]
        for depth in (10, 20, 40, 80):
            for seed in (0, 1):
                trained = depth < rule_n * xi
                accuracy = 0.9 if trained else 0.11
                rows.append(dict(sigma_w2=sigma_w2, depth=depth, seed=seed, step=100, split="train_subset",
                                 accuracy=accuracy + 0.001 * seed))  # fmt: skip
                rows.append(dict(sigma_w2=sigma_w2, depth=depth, seed=seed, step=100, split="test", accuracy=accuracy))
    return pd.DataFrame(rows)


def test_summary_recovers_the_prefactor_and_scores_the_rule():
    cells = phase_diagram.cells(grid(4.0), "tanh", 0.05, 0.5)
    assert len(cells) == 24 and (cells.seeds == 2).all() and cells.ci_lower.notna().all()
    row = phase_diagram.summary(cells, phase_diagram.outcomes(grid(4.0), 0.5), 1.761).iloc[0]
    assert row.fitted_n_low <= 4.0 <= row.fitted_n_high and row.agreement_fitted == 1.0
    assert row.agreement == np.mean((cells.depth < 6 * cells.xi_c) == cells.trains) < 1.0
    assert row.depth_only_agreement < 1.0  # which depths train depends on sigma_w^2
    # Cohen's kappa by its definition
    a, b = cells.predicted.to_numpy(), cells.trains.to_numpy()
    chance = a.mean() * b.mean() + (1 - a.mean()) * (1 - b.mean())
    assert row.kappa == pytest.approx(((a == b).mean() - chance) / (1 - chance))
    assert phase_diagram.kappa([True, False, True], [True, False, True]) == 1.0
    checks = phase_diagram.reproduction(cells, phase_diagram.summary(cells, phase_diagram.outcomes(grid(4.0), 0.5),
                                                                     1.761), 1.761)  # fmt: skip
    assert [verdict for _, verdict, _ in checks][2] == "holds"  # the theory beats depth alone


def test_smoke_study_draws_the_phase_diagram(smoke_run):
    results, config = smoke_run / "results", yaml.safe_load((ROOT / "tests/config/smoke.yaml").read_text())["phase"]
    nets = list((results / "phase").glob("depth*/seed*/sigma_w2_*.csv"))
    assert len(nets) == len(config["sigma_w2"]) * len(config["depths"]) * len(config["seeds"])
    cells = pd.read_csv(results / "tables/phase_trainability.csv")
    assert len(cells) == len(nets) * len(config["snapshots"])
    scales = theory.scales("tanh", 4.0, 0.05)
    assert cells[cells.sigma_w2 == 4.0].xi_c.iloc[0] == pytest.approx(scales["xi_c"])
    summary = pd.read_csv(results / "tables/phase_summary.csv")
    assert summary.step.tolist() == config["snapshots"] and summary.agreement.between(0, 1).all()
    md = (results / "tables/phase_trainability.md").read_text()
    assert "Is the paper's result reproduced?" in md and "Schoenholz" in md
    assert (results / "figures/phase_diagram.png").stat().st_size > 10_000


# --- dynamical isometry's training speed (workflow/configs/isometry_speed.yaml) ---


def test_orthogonal_weights_are_orthogonal_with_the_gaussians_variance_and_the_same_biases():
    model = build("tanh", 4, 64, 1e-3)
    initialise(model, 1.5, 0.05, seed=2, weights="gaussian")
    gaussian = [(layer.kernel.numpy(), layer.bias.numpy()) for layer in dense_layers(model)]
    initialise(model, 1.5, 0.05, seed=2, weights="orthogonal")
    orthogonal = [(layer.kernel.numpy(), layer.bias.numpy()) for layer in dense_layers(model)]
    for (kernel, bias), (g_kernel, g_bias) in zip(orthogonal, gaussian, strict=True):
        fan_in, fan_out = kernel.shape
        assert kernel.T @ kernel == pytest.approx(
            1.5 * np.eye(fan_out), abs=1e-5
        )  # columns orthonormal, times sigma_w^2
        assert bias == pytest.approx(g_bias)
        assert kernel.var() * fan_in == pytest.approx(g_kernel.var() * fan_in, rel=0.25)
    square = dense_layers(model)[2].kernel.numpy() / math.sqrt(1.5)
    assert np.linalg.svd(square, compute_uv=False) == pytest.approx(np.ones(64), abs=1e-5)  # an isometry
    # a wide layer's rows are orthogonal, its columns of unit norm on average
    wide = phase_training.orthogonal(np.random.default_rng(0).standard_normal((8, 32)))
    assert wide @ wide.T == pytest.approx(4 * np.eye(8), abs=1e-6) and (wide**2).sum(0).mean() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="gaussian or orthogonal"):
        initialise(model, 1.5, 0.05, seed=2, weights="uniform")


def test_steps_to_the_target_and_the_speed_up_read_the_snapshots():
    def net(weights, seed, accuracies, test=0.9):
        rows = [
            dict(step=s, split="train_subset", accuracy=a) for s, a in zip([10, 20, 40, 80], accuracies, strict=True)
        ]
        frame = pd.DataFrame([*rows, dict(step=80, split="test", accuracy=test)])
        return frame.assign(depth=40, weights=weights, seed=seed)

    nets = pd.concat([
        net("gaussian", 0, [0.1, 0.3, 0.6, 0.85]), net("gaussian", 1, [0.1, 0.2, 0.7, 0.9]),
        net("gaussian", 2, [0.1, 0.1, 0.2, 0.5]),  # never reaches 0.8
        net("orthogonal", 0, [0.5, 0.85, 0.9, 0.9]), net("orthogonal", 1, [0.4, 0.82, 0.9, 0.9]),
        net("orthogonal", 2, [0.81, 0.9, 0.9, 0.9]),
    ])  # fmt: skip
    assert isometry.steps_to(nets[(nets.weights == "gaussian") & (nets.seed == 2)], 0.8) != isometry.steps_to(
        nets[(nets.weights == "gaussian") & (nets.seed == 0)], 0.8
    )
    (row,) = isometry.speed_table(nets, 0.8, [10, 20, 40, 80]).itertuples()
    assert (row.gaussian_reached, row.orthogonal_reached) == (2, 3)
    assert row.gaussian_steps_each == "80/80/—" and row.orthogonal_steps_each == "20/20/10"
    assert row.gaussian_steps == pytest.approx(80.0) and row.orthogonal_steps == pytest.approx(
        (20 * 20 * 10) ** (1 / 3)
    )
    assert row.speedup == pytest.approx(80 / (20 * 20 * 10) ** (1 / 3))
    assert row.speedup_lower < row.speedup < row.speedup_upper and 0 < row.p < 0.05
    md = isometry.isometry_markdown(
        isometry.speed_table(nets, 0.8, [10, 20, 40, 80]),
        dict(activation="tanh", width=16, sigma_b2=0.01, learning_rate=0.05, batch_size=64, snapshots=[10, 20, 40, 80],
             train_subset=500, target_accuracy=0.8),
        1.4242, "MNIST",
    )  # fmt: skip
    assert "80 (80/80/—)" in md and "σw² = 1.4242" in md


def test_smoke_study_compares_orthogonal_and_gaussian_training_speed(smoke_run):
    config = yaml.safe_load((ROOT / "tests/config/smoke.yaml").read_text())["isometry"]
    nets = sorted((smoke_run / "results/isometry").glob("depth*/seed*/*.csv"))
    assert len(nets) == 2 * len(config["depths"]) * len(config["seeds"])
    frame = pd.concat(map(pd.read_csv, nets))
    assert sorted(frame.weights.unique()) == ["gaussian", "orthogonal"]
    assert frame.sigma_w2.unique() == pytest.approx([theory.critical_sigma_w2("tanh", config["sigma_b2"])])
    # the two weight laws train different nets from the same biases and batches
    by = frame[frame.split == "train_subset"].groupby("weights").accuracy.apply(list)
    assert by["gaussian"] != by["orthogonal"]
    table = pd.read_csv(smoke_run / "results/tables/isometry_speed.csv")
    assert table.depth.tolist() == config["depths"] and table.p.between(0, 1).all()
    assert "Dynamical isometry" in (smoke_run / "results/tables/isometry_speed.md").read_text()
