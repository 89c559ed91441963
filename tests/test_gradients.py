"""The probe recorder: gradients checked by hand, dead and saturated units on models with known answers."""

import numpy as np
import pytest
import tensorflow as tf

from depthstudy.gradients import ProbeRecorder, _rms, _summaries
from depthstudy.models import build_mlp


def stats(t):
    t = np.abs(t).ravel()
    return {"max_abs": t.max(), "mean_abs": t.mean(), "l2": np.sqrt((t**2).sum()), "rms": np.sqrt((t**2).mean())}


def test_two_layer_gradients_match_a_hand_computation():
    rng = np.random.default_rng(1)
    model = build_mlp("relu", 1, width=3)
    w1, b1 = rng.normal(0, 0.1, (784, 3)), np.array([0.1, -0.2, 0.05])
    w2, b2 = rng.normal(0, 0.5, (3, 10)), rng.normal(0, 0.1, 10)
    model.get_layer("dense_1").set_weights([w1, b1])
    model.get_layer("output").set_weights([w2, b2])
    x, y = rng.random((4, 784)).astype("float32"), np.array([3, 1, 4, 1])

    recorder = ProbeRecorder(model, x, y, "relu")
    recorder.record(epoch=0)
    rows = recorder.gradients()

    z1 = x @ w1 + b1
    a1 = np.maximum(z1, 0)
    z2 = a1 @ w2 + b2
    p = np.exp(z2 - z2.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    dz2 = (p - np.eye(10)[y]) / len(x)  # mean cross-entropy
    dz1 = (dz2 @ w2.T) * (z1 > 0)
    expected = {
        (1, "weight_grad"): x.T @ dz1,
        (2, "weight_grad"): a1.T @ dz2,
        (1, "activation_grad"): dz1,
        (2, "activation_grad"): dz2,
        (1, "bias_grad"): dz1.sum(axis=0),
        (2, "bias_grad"): dz2.sum(axis=0),
    }
    assert len(rows) == 2 * 3 * 4  # layers x quantities x stats
    assert set(rows.layer_name) == {"hidden_1", "output"}
    assert rows.set_index(["layer", "layer_name"]).index.unique().tolist() == [(1, "hidden_1"), (2, "output")]
    for (layer, quantity), grad in expected.items():
        for stat, value in stats(grad).items():
            got = rows.query("layer == @layer and quantity == @quantity and stat == @stat").value.item()
            assert got == pytest.approx(value, rel=2e-4), (layer, quantity, stat)
    signal = recorder.activations().query("layer == 1").set_index("stat").value
    logits = recorder.activations().query("layer == 2").set_index("stat").value
    assert logits["logit_rms"] == pytest.approx(np.sqrt((z2**2).mean()), rel=2e-4)
    assert logits["logit_std"] == pytest.approx(z2.std(), rel=2e-4)
    assert signal["z_rms"] == pytest.approx(np.sqrt((z1**2).mean()), rel=2e-4)
    assert signal["a_rms"] == pytest.approx(np.sqrt((a1**2).mean()), rel=2e-4)
    # the second moment is the mean's square plus the (population) variance
    assert signal["a_rms"] ** 2 == pytest.approx(signal["a_mean"] ** 2 + signal["a_std"] ** 2, rel=1e-3)


def test_one_row_per_layer_statistic_and_epoch():
    model = build_mlp("tanh", 4, width=8)
    x, y = np.random.default_rng(0).random((16, 784)).astype("float32"), np.arange(16) % 10
    recorder = ProbeRecorder(model, x, y, "tanh")
    for epoch in range(3):
        recorder.record(epoch)
    grads, acts = recorder.gradients(), recorder.activations()
    assert len(grads) == 3 * 5 * 3 * 4 and np.isfinite(grads.value).all()
    assert grads.groupby(["epoch", "layer", "quantity", "stat"]).size().eq(1).all()
    assert sorted(grads.layer.unique()) == [1, 2, 3, 4, 5]
    # hidden layers: 9 signal statistics and kernel_change; the output: the logits' two and kernel_change
    assert len(acts) == 3 * (4 * 10 + 3) and sorted(acts.layer.unique()) == [1, 2, 3, 4, 5]
    assert set(acts.query("layer == 5").stat) == {"logit_std", "logit_rms", "kernel_change"}


def test_relu_layer_with_large_negative_bias_is_all_dead():
    model = build_mlp("relu", 2, width=6)
    dense = model.get_layer("dense_2")
    dense.set_weights([dense.get_weights()[0], np.full(6, -100.0)])
    x = np.random.default_rng(0).random((32, 784)).astype("float32")
    recorder = ProbeRecorder(model, x, np.zeros(32, int), "relu")
    recorder.record(0)
    acts = recorder.activations().set_index(["layer", "stat"]).value
    assert acts[(2, "dead_fraction")] == 1.0
    assert acts[(1, "dead_fraction")] < 1.0
    assert acts[(2, "bias_mean")] == -100.0
    assert np.isnan(acts[(1, "saturated_fraction")])  # ReLU has no saturated tail


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "lecun"])
def test_large_inputs_saturate_and_small_ones_do_not(activation):
    model = build_mlp(activation, 1, width=8)
    dense = model.get_layer("dense_1")
    w = np.random.default_rng(0).choice([-1.0, 1.0], (784, 8))
    dense.set_weights([w * 50, np.zeros(8)])
    x = np.random.default_rng(1).random((32, 784)).astype("float32")
    big = ProbeRecorder(model, x, np.zeros(32, int), activation)
    big.record(0)
    assert big.activations().query("stat == 'saturated_fraction'").value.item() > 0.95
    dense.set_weights([w * 1e-5, np.zeros(8)])
    small = ProbeRecorder(model, x, np.zeros(32, int), activation)
    small.record(0)
    assert small.activations().query("stat == 'saturated_fraction'").value.item() == 0.0


def test_second_moments_of_tiny_gradients_do_not_underflow():
    """Deep sigmoid nets have gradients near 1e-29 in layer 1: their squares lie below float32's range."""
    tiny = tf.constant(np.full(8, 3e-29, "float32"))
    l2, rms = _summaries(tiny).numpy()[2:]
    assert rms == pytest.approx(3e-29, rel=1e-5)
    assert l2 == pytest.approx(3e-29 * np.sqrt(8), rel=1e-5)


@pytest.mark.parametrize("n", [1, 7, 1000, 100_352])  # 100,352: a first layer's kernel, 784 x 128
def test_one_sum_of_squares_gives_the_l2_and_rms_of_two_passes_bit_for_bit(n):
    rng = np.random.default_rng(n)
    for scale in (1.0, 1e-3, 3e-29):
        t = tf.constant((rng.standard_normal(n) * scale).astype("float32"))
        l2, rms = _summaries(t).numpy()[2:]
        squares = tf.square(tf.cast(tf.abs(t), tf.float64))
        assert l2 == tf.cast(tf.sqrt(tf.reduce_sum(squares)), tf.float32).numpy()  # l2 as a pass of its own
        assert rms == _rms(tf.abs(t)).numpy()  # rms through reduce_mean
