"""Builders and the LeCun activation."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from depthstudy import formulas, names
from depthstudy.activations import lecun
from depthstudy.models import build_cnn, build_mlp, count_params


def test_mlp_depth5_width128_layers_and_parameters():
    model = build_mlp("relu", 5, 128)
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert len(dense) == 6  # 5 hidden + output
    # 784*128+128 + 4*(128*128+128) + 128*10+10
    assert model.count_params() == 100_480 + 4 * 16_512 + 1_290 == 167_818
    assert model.output_shape == (None, 10)
    assert dense[0].kernel_initializer.__class__.__name__ == "GlorotUniform"
    assert not np.any(dense[0].bias.numpy())


def test_mlp_batchnorm_and_initializer_options():
    model = build_mlp("relu", 3, 16, initializer="he_normal", batchnorm=True)
    assert sum(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers) == 3
    assert model.get_layer("dense_1").kernel_initializer.__class__.__name__ == "HeNormal"


def test_cnn_matches_the_report_parameter_counts():
    model = build_cnn()
    assert count_params(model) == (1_221_450, 448)
    names = [layer.name for layer in model.layers]
    assert names[:3] == ["conv2d_1", "batch_normalization_1", "leaky_re_lu_1"] and names[-1] == "dense_4"
    assert model.get_layer("dense_1").output.shape == (None, 24, 24, 64)


def test_lecun_matches_closed_form_and_autodiff():
    x = np.linspace(-8, 8, 2001).astype("float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(lecun(x)), formulas.lecun(x), rtol=1e-5, atol=1e-6)
    t = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(t)
        y = lecun(t)
    np.testing.assert_allclose(tape.gradient(y, t).numpy(), formulas.lecun_derivative(x), rtol=1e-5, atol=1e-6)


def test_lecun_derivative_range_numeric_and_closed_form():
    x = np.linspace(-20, 20, 200_001)  # wider, and sech^2 underflows to 0 in float64
    d = formulas.lecun_derivative(x)
    low, high = formulas.lecun_derivative_range()
    assert high == pytest.approx(1.7159 * 2 / 3 + 0.01) == pytest.approx(1.15393, abs=1e-5)
    assert d.max() == pytest.approx(high, rel=1e-9)
    assert d.min() > low and d.min() == pytest.approx(low, abs=1e-9)
    assert formulas.REPORT_DERIVATIVE_MAX - d.max() == pytest.approx(0.4, abs=1e-5)  # the report: 1.55393, a digit slip


def test_lecun_model_saves_and_loads(tmp_path):
    model = build_mlp("lecun", 2, 8)
    x = np.random.default_rng(0).random((4, 784)).astype("float32")
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert keras.saving.get_registered_object("depthstudy>lecun") is lecun


def test_every_activation_the_schema_allows_builds_a_network_and_has_a_display_name_or_its_own():
    x = np.random.default_rng(0).random((4, 784)).astype("float32")
    for name in names.ACTIVATIONS:
        model = build_mlp(name, 2, 8)
        assert np.isfinite(model.predict(x, verbose=0)).all(), name
    assert set(names.DISPLAY) <= set(names.ACTIVATIONS)
    assert names.in_order(["selu", "relu", "custom", "relu"]) == ["relu", "selu", "custom"]
