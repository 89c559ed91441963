"""The cures' theory: BatchNorm's gradient growth, the Jacobian's spectrum, GELU/SiLU and orthogonal
init; each against a closed form or a random numpy network, and the probe and claim that read them."""

import math

import numpy as np
import pandas as pd
import pytest

from depthstudy import jacobian, mechanism, theory
from depthstudy import theory_vs_measured as tvm

# --- BatchNorm: gradients grow by pi / (pi - 1) per layer for ReLU (Yang et al. 2019) ---------------


def batchnorm_network_rate(activation, width, batch, depth, seed):
    """A wide random numpy net with BatchNorm on batch statistics (Keras' epsilon), a random gradient
    at the top: exp(-slope) of log |dL/dz_l|^2 over its middle layers. The BatchNorm backward pass is
    written from its definition u = (z - mean) / sqrt(var + eps), per unit over the batch."""
    phi, dphi = {"relu": (lambda x: np.maximum(x, 0), lambda x: (x > 0) * 1.0),
                 "tanh": (np.tanh, lambda x: 1 / np.cosh(x) ** 2)}[activation]  # fmt: skip
    rng = np.random.default_rng(seed)
    h, layers = rng.standard_normal((batch, width)), []
    for _ in range(depth):
        w = rng.standard_normal((width, width)) / math.sqrt(width)
        z = h @ w
        centred = z - z.mean(axis=0)
        sigma = np.sqrt((centred**2).mean(axis=0) + 1e-3)
        u = centred / sigma
        layers.append((w, u, sigma))
        h = phi(u)
    grad, norms = rng.standard_normal((batch, width)), []
    for w, u, sigma in reversed(layers):
        du = grad * dphi(u)
        dz = (du - du.mean(axis=0) - u * (u * du).mean(axis=0)) / sigma
        norms.append((dz**2).sum())
        grad = dz @ w.T
    norms = np.array(norms[::-1])
    middle = np.arange(2, depth - 2)
    return math.exp(-np.polyfit(middle, np.log(norms[middle]), 1)[0])


def test_batchnorm_relu_rate_tends_to_pi_over_pi_minus_one():
    large_batch = theory.batchnorm_gradient_rate("relu", 4096, samples=4000)
    assert large_batch == pytest.approx(math.pi / (math.pi - 1), rel=2e-3)
    # a finite batch grows a little faster; sigma_w^2 cancels in BatchNorm
    assert (
        theory.batchnorm_gradient_rate("relu", 128)
        > theory.batchnorm_gradient_rate("relu", 1024)
        > math.pi / (math.pi - 1)
    )
    assert theory.batchnorm_gradient_rate("relu", 128, s_w2=2.0) == pytest.approx(
        theory.batchnorm_gradient_rate("relu", 128), rel=2e-3
    )


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_batchnorm_rate_matches_a_wide_random_network(activation):
    measured = np.mean([batchnorm_network_rate(activation, 1024, 32, 16, seed) for seed in range(2)])
    assert measured == pytest.approx(theory.batchnorm_gradient_rate(activation, 32), rel=0.02)


def test_batchnorm_profile_grows_by_the_rate_with_unit_signal():
    rate = theory.batchnorm_gradient_rate("relu", 128)
    p = theory.profile("relu", "glorot_uniform", 128, 10, [80.0], batchnorm=True, batch=128)
    assert p.z_rms.to_numpy() == pytest.approx(np.ones(10))
    assert p.dz_rel.to_numpy() == pytest.approx(rate ** ((10 - np.arange(1, 11)) / 2))
    scales = theory.depth_scales("relu", "glorot_uniform", 128, batchnorm=True, batch=128)
    assert scales["chi_1"] == pytest.approx(rate) and scales["trainable_depth"] is None


def test_the_probe_runs_batchnorm_on_batch_statistics_and_keeps_its_moving_averages():
    from depthstudy.gradients import ProbeRecorder
    from depthstudy.models import build_mlp

    rng = np.random.default_rng(0)
    x, y = rng.random((96, 784)).astype("float32"), rng.integers(0, 10, 96)
    model = build_mlp("relu", 4, 64, batchnorm=True)
    before = [v.numpy().copy() for v in model.non_trainable_variables]
    recorder = ProbeRecorder(model, x, y, "relu", batch_size=32)
    recorder.record(epoch=0)
    z = recorder.activations().query("stat == 'z_rms' and layer <= 4").value.to_numpy()
    # z after BatchNorm: mean 0 and variance var / (var + eps) over each batch of 32, per unit
    assert z == pytest.approx(np.ones(4), abs=0.01)
    for old, new in zip(before, model.non_trainable_variables, strict=True):
        assert np.array_equal(old, new.numpy())
    # batches of 32 differ from one batch of 96 (the statistics are per batch)
    whole = ProbeRecorder(model, x, y, "relu")
    whole.record(epoch=0)
    assert not np.allclose(recorder.gradients().value, whole.gradients().value, rtol=1e-4)


def test_gradient_rate_fits_a_geometric_profile():
    keys = dict(exercise="e", activation="relu", depth=8, epoch=0, quantity="activation_grad", stat="rms")
    rows = [keys | dict(seed=s, layer=layer, value=1.5 ** ((8 - layer) / 2)) for s in (0, 1) for layer in range(1, 10)]
    assert tvm.gradient_rate(pd.DataFrame(rows))[("e", "relu", 8)] == pytest.approx(1.5)


@pytest.mark.parametrize(
    "rate,sgd,adam,verdict",
    [(1.47, False, True, "supported"), (1.47, False, False, "not supported"), (1.01, False, True, "not supported"),
     (1.47, True, True, "not tested"), (math.nan, False, True, "not measured")],
)  # fmt: skip
def test_the_batchnorm_verdict_reads_the_measurements(rate, sgd, adam, verdict):
    assert mechanism.batchnorm_verdict(rate, 40, sgd, adam)["verdict"] == verdict


# --- the Jacobian's spectrum (Pennington, Schoenholz & Ganguli 2017) ---------------------------------


def test_linear_nets_closed_forms(monkeypatch):
    monkeypatch.setitem(theory.ACTIVATIONS, "linear", (lambda x: x, np.ones_like))
    monkeypatch.setattr(theory, "critical_sigma_w2", lambda activation, s_b2: 1.0)  # gain 1
    for depth in (5, 20):
        iid = theory.jacobian_spectrum("linear", "glorot_uniform", 128, depth, [50.0])
        orthogonal = theory.jacobian_spectrum("linear", "orthogonal", 128, depth, [50.0])
        assert iid["var_sq"] == pytest.approx(depth - 1) and orthogonal["var_sq"] == pytest.approx(0.0, abs=1e-12)
        assert iid["mean_sq"] == pytest.approx(1.0) == orthogonal["mean_sq"]


def test_relu_spreads_its_spectrum_twice_as_fast_with_iid_weights():
    he = theory.jacobian_spectrum("relu", "he_normal", 128, 11, [80.0])
    orthogonal = theory.jacobian_spectrum("relu", "orthogonal", 128, 11, [80.0])
    assert (he["var_sq"], orthogonal["var_sq"]) == pytest.approx((20.0, 10.0))
    assert he["mean_sq"] == pytest.approx(1.0) == pytest.approx(orthogonal["mean_sq"])


@pytest.mark.parametrize("activation,initializer", [("relu", "he_normal"), ("relu", "orthogonal"),
                                                    ("tanh", "glorot_uniform"), ("tanh", "orthogonal")])  # fmt: skip
def test_measured_spectra_agree_with_the_prediction_at_moderate_depth(activation, initializer):
    rng = np.random.default_rng(0)
    x = rng.random((jacobian.IMAGES, 784)) * (rng.random((jacobian.IMAGES, 784)) < 0.2)
    net = dict(exercise="e", activation=activation, initializer=initializer, batchnorm=False, width=128, depths=[10])
    measured, quantiles = jacobian.measure([net], [0, 1, 2], x)
    row = jacobian.table(measured, [net], x).iloc[0]
    assert abs(row.var_sq_error) < 0.2
    assert row.mean_sq_measured == pytest.approx(row.mean_sq_predicted, rel=0.3)
    assert len(quantiles) == 3 * jacobian.QUANTILES
    assert "agrees" in jacobian.jacobian_markdown(jacobian.table(measured, [net], x))


def test_orthogonal_init_of_an_activation_without_a_boundary_is_refused_naming_the_block():
    from depthstudy import pipeline

    odd = dict(activations=["tanh", "sigmoid"], depths=[5], initializer="orthogonal")
    config = dict(limit_train=None, probe=dict(size=8), seeds=[0], cnn=dict(epochs=1), training=dict(epochs=1),
                  exercises=dict(odd=odd))  # fmt: skip
    with pytest.raises(pipeline.ConfigError, match="exercises.odd: initializer orthogonal .* sigmoid has none"):
        pipeline.check_config(config)


# --- residual nets (Yang & Schoenholz 2017) ----------------------------------------------------------


def test_residual_relu_signal_grows_by_one_plus_half_sigma_v2_sigma_w2_per_layer():
    for scale, init, s_w2 in ((0.5, "glorot_uniform", 1.0), (1.0, "he_normal", 2.0)):
        p = theory.profile("relu", init, 128, 12, [80.0], residual=True, residual_scale=scale)
        growth = p.q.to_numpy()[2:] / p.q.to_numpy()[1:-1]
        assert growth == pytest.approx(np.full(10, 1 + scale**2 * s_w2 / 2), rel=1e-9)
        assert p.chi.to_numpy()[1:-1] == pytest.approx(1 + scale**2 * s_w2 / 2, rel=1e-9)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_a_residual_keras_net_follows_its_profile(activation):
    from depthstudy.gradients import ProbeRecorder
    from depthstudy.models import build_mlp

    rng = np.random.default_rng(0)
    x = (rng.random((256, 784)) * (rng.random((256, 784)) < 0.2)).astype("float32")
    y = rng.integers(0, 10, 256)
    depth, z, dz = 16, [], []
    for seed in range(3):
        import keras

        keras.utils.set_random_seed(seed)
        recorder = ProbeRecorder(build_mlp(activation, depth, 128, residual=True, residual_scale=0.5), x, y, activation)
        recorder.record(epoch=0)
        acts, grads = recorder.activations(), recorder.gradients()
        z.append(acts.query("stat == 'z_rms' and layer <= @depth").value.to_numpy())
        g = grads.query("quantity == 'activation_grad' and stat == 'rms' and layer <= @depth").value.to_numpy()
        dz.append(g / g[-1])
    p = theory.profile(activation, "glorot_uniform", 128, depth, (x.astype(float) ** 2).sum(1), residual=True,
                       residual_scale=0.5)  # fmt: skip
    assert np.log10(np.mean(z, axis=0)) == pytest.approx(np.log10(p.z_rms.to_numpy()), abs=0.1)
    assert np.log10(np.mean(dz, axis=0)) == pytest.approx(np.log10(p.dz_rel.to_numpy()), abs=0.15)


def test_the_residual_laws_read_a_growth_factor_and_tell_a_square_root_law_from_a_linear_one():
    layers = np.arange(2, 41)
    assert tvm.growth_per_layer(layers, np.sqrt(1.125**layers)) == pytest.approx(1.125)
    crossed = np.array([3, 18, 38, 98])
    assert tvm.sqrt_or_linear(crossed, 0.4 * np.sqrt(crossed))["better"] == "a√L"
    fits = tvm.sqrt_or_linear(crossed, 0.02 * crossed)
    assert fits["better"] == "aL" and fits["linear_slope"] == pytest.approx(0.02) and fits["linear_residual"] < 1e-12
