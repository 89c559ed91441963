"""Mean-field theory against closed forms and against random numpy networks; the statistics against scipy."""

import math

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import integrate
from scipy import stats as st

from depthstudy import names, stats, theory
from depthstudy import theory_vs_measured as tvm
from depthstudy.names import SCHEMA


def expect(f, q):
    """E[f(sqrt(q) u)], u ~ N(0, 1), by adaptive quadrature: an independent check of theory.gauss."""
    return integrate.quad(lambda u: f(math.sqrt(q) * u) * math.exp(-u * u / 2) / math.sqrt(2 * math.pi), -12, 12,
                          points=[0.0], limit=200)[0]  # fmt: skip


def test_every_activation_and_initializer_the_schema_allows_has_a_prediction():
    schema = yaml.safe_load(SCHEMA.read_text())["$defs"]
    assert set(theory.ACTIVATIONS) == set(names.ACTIVATIONS)
    assert set(theory.INITIALIZERS) == set(schema["initializer"]["enum"])
    with pytest.raises(theory.NoPrediction, match="orthogonal"):
        theory.profile("tanh", "orthogonal", 128, 5, [80.0])
    with pytest.raises(theory.NoPrediction, match="swish"):
        theory.depth_scales("swish", "glorot_uniform", 128)


@pytest.mark.parametrize("s_w2", [0.5, 1.0, 2.0, 3.0])
@pytest.mark.parametrize("q", [0.01, 1.0, 7.0])
def test_relu_closed_forms(s_w2, q):
    assert theory.chi("relu", s_w2, q) == pytest.approx(s_w2 / 2, rel=1e-3)
    assert theory.q_map("relu", s_w2, q) == pytest.approx(s_w2 * q / 2, rel=1e-3)


def test_linear_network_closed_forms(monkeypatch):
    monkeypatch.setitem(theory.ACTIVATIONS, "linear", (lambda x: x, np.ones_like))
    for s_w2 in (0.7, 1.0, 1.3):
        assert theory.chi("linear", s_w2, 2.0) == pytest.approx(s_w2, rel=1e-6)
        assert theory.q_map("linear", s_w2, 2.0) == pytest.approx(2.0 * s_w2, rel=1e-4)
    # Glorot on square layers: sigma_w^2 = 1, so a linear net keeps both the signal and the gradients
    p = theory.profile("linear", "glorot_uniform", 128, 10, [50.0])
    assert p.dz_rel.to_numpy() == pytest.approx(np.ones(10), rel=1e-4)
    assert p.z_rms.to_numpy() == pytest.approx(np.full(10, math.sqrt(50.0 * 2 / (784 + 128))), rel=1e-4)


def test_tanh_at_unit_weight_variance_is_critical_and_relu_needs_he():
    tanh = theory.depth_scales("tanh", "glorot_uniform", 128)
    assert tanh["q_star"] == 0 and tanh["chi_1"] == pytest.approx(1.0, abs=1e-6)
    assert math.isinf(tanh["xi_grad"]) and math.isinf(tanh["trainable_depth"])
    he = theory.depth_scales("relu", "he_normal", 128)
    assert he["chi_1"] == pytest.approx(1.0, rel=1e-3) and math.isinf(he["xi_c"])
    glorot = theory.depth_scales("relu", "glorot_uniform", 128)
    assert glorot["xi_grad"] == pytest.approx(1 / math.log(2), rel=1e-3)  # chi = 1/2 per layer
    assert 5 < glorot["trainable_depth"] < 20  # the report: trains at 5 layers, collapses at 20 and 40


def test_sigmoid_loses_a_quarter_of_its_gradient_per_layer():
    d = theory.depth_scales("sigmoid", "glorot_uniform", 128)
    sig = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    assert d["q_star"] == pytest.approx(expect(lambda x: sig(x) ** 2, d["q_star"]), rel=1e-5)  # a fixed point
    assert d["chi_1"] == pytest.approx(expect(lambda x: (sig(x) * (1 - sig(x))) ** 2, d["q_star"]), rel=1e-4)
    assert 0.2 < math.sqrt(d["chi_1"]) < 0.25  # per layer, in rms
    assert d["trainable_depth"] < 5


def test_gaussian_expectations_match_adaptive_quadrature():
    for name, (phi, dphi) in theory.ACTIVATIONS.items():
        for q in (0.05, 1.0, 4.0):
            square, dsquare = (lambda x, f=phi: float(f(x)) ** 2), (lambda x, f=dphi: float(f(x)) ** 2)
            assert theory.q_map(name, 1.0, q) == pytest.approx(expect(square, q), rel=1e-4), name
            assert theory.chi(name, 1.0, q) == pytest.approx(expect(dsquare, q), rel=2e-3), name


def test_selu_keeps_unit_variance_and_lecun_tanh_is_mildly_chaotic():
    selu = theory.depth_scales("selu", "lecun_normal", 128)
    assert selu["q_star"] == pytest.approx(1.0, abs=0.01)  # the self-normalising fixed point
    lecun = theory.depth_scales("lecun", "glorot_uniform", 128)
    assert lecun["chi_1"] > 1 and lecun["c_star"] < 1 and lecun["xi_c"] > 40


def random_network(activation, initializer, depth, width, x, rng):
    """Forward and backward pass of a random numpy MLP (biases 0); per-layer rms of z and of dL/dz,
    with a random Gaussian gradient arriving at the last hidden layer."""
    phi, dphi = theory.ACTIVATIONS[activation]
    zs, h = [], x
    fan_in = x.shape[1]
    weights = []
    for _ in range(depth):
        var = theory.weight_variance(initializer, fan_in, width)
        w = rng.normal(0.0, math.sqrt(var), (fan_in, width))
        weights.append(w)
        z = h @ w
        zs.append(z)
        h = phi(z)
        fan_in = width
    delta = rng.normal(size=zs[-1].shape) * dphi(zs[-1])
    deltas = [delta]
    for layer in range(depth - 2, -1, -1):
        delta = (delta @ weights[layer + 1].T) * dphi(zs[layer])
        deltas.insert(0, delta)
    rms = lambda t: np.sqrt(np.mean(t**2))  # noqa: E731
    return np.array([rms(z) for z in zs]), np.array([rms(d) for d in deltas])


@pytest.mark.parametrize(
    "activation,initializer",
    [("relu", "glorot_uniform"), ("relu", "he_normal"), ("tanh", "glorot_uniform"), ("sigmoid", "glorot_uniform"),
     ("lecun", "glorot_uniform"), ("selu", "lecun_normal"), ("elu", "he_uniform")],
)  # fmt: skip
def test_predictions_match_random_networks_of_width_128(activation, initializer):
    rng = np.random.default_rng(0)
    depth, width = 12, 128
    x = rng.random((128, 784)) * (rng.random((128, 784)) < 0.2)  # sparse pixels in [0, 1], like digits
    z, dz = np.mean([np.log10(np.stack(random_network(activation, initializer, depth, width, x, rng)))
                     for _ in range(6)], axis=0)  # fmt: skip
    p = theory.profile(activation, initializer, width, depth, (x**2).sum(1))
    # log10 of the per-layer rms against the prediction, over 6 networks: well within 0.1
    assert z == pytest.approx(np.log10(p.z_rms.to_numpy()), abs=0.1)
    assert dz - dz[-1] == pytest.approx(np.log10(p.dz_rel.to_numpy()), abs=0.1)


def test_batchnorm_at_initialisation_only_rescales_by_its_epsilon():
    plain = theory.profile("relu", "glorot_uniform", 128, 10, [80.0])
    bn = theory.profile("relu", "glorot_uniform", 128, 10, [80.0], batchnorm=True)
    assert bn.z_rms.to_numpy() == pytest.approx(plain.z_rms.to_numpy() * (1 + 1e-3) ** (-np.arange(1, 11) / 2))
    assert theory.depth_scales("relu", "glorot_uniform", 128, batchnorm=True)["trainable_depth"] is None


# --- statistics -------------------------------------------------------------------------------------

A = np.array([0.931, 0.936, 0.933])
B = np.array([0.921, 0.927, 0.926, 0.930])


def test_confidence_interval_of_a_mean_matches_scipy():
    mean, lower, upper = stats.mean_ci(A)
    ci = st.t.interval(0.95, len(A) - 1, loc=A.mean(), scale=st.sem(A))
    assert (mean, lower, upper) == pytest.approx((A.mean(), *ci))
    assert stats.mean_ci([0.5])[0] == 0.5 and math.isnan(stats.mean_ci([0.5])[1])


def test_welch_matches_scipy():
    got = stats.welch(A, B)
    ref = st.ttest_ind(A, B, equal_var=False)
    assert got["p"] == pytest.approx(ref.pvalue) and got["t"] == pytest.approx(ref.statistic)
    ci = ref.confidence_interval(0.95)
    assert (got["lower"], got["upper"]) == pytest.approx((ci.low, ci.high))
    assert got["diff"] == pytest.approx(A.mean() - B.mean())


def test_one_sample_matches_scipy_and_exact_groups_are_exact():
    got, ref = stats.one_sample(A, 0.9316), st.ttest_1samp(A, 0.9316)
    assert got["p"] == pytest.approx(ref.pvalue)
    assert (got["lower"], got["upper"]) == pytest.approx(tuple(ref.confidence_interval(0.95)) - np.float64(0.9316))
    same = stats.welch([0.1135] * 3, [0.1135] * 3)
    assert same["p"] == 1.0 and same["lower"] == same["upper"] == 0.0
    assert stats.welch([0.2] * 3, [0.1] * 3)["p"] == 0.0
    with pytest.raises(ValueError, match="two values"):
        stats.welch([0.5], B)


def test_noninferiority_p_agrees_with_the_interval():
    result = stats.welch(A, B)
    for margin in (0.0, 0.001, 0.005, 0.02):
        p = stats.noninferiority_p(result, margin)
        ref = st.ttest_ind(A + margin, B, equal_var=False, alternative="greater").pvalue
        assert p == pytest.approx(ref)
        assert (p < 0.025) == (result["lower"] > -margin)


# --- the table -------------------------------------------------------------------------------------


def probe_frames(exercise, activation, depth, dz_ratio, signal_ratio):
    """Epoch-0 probe rows whose layer-1 / last-layer rms ratios are the given ones (two seeds)."""
    grads, acts = [], []
    for seed in (0, 1):
        for layer in range(1, depth + 2):
            top = layer == 1
            keys = dict(exercise=exercise, activation=activation, depth=depth, seed=seed, epoch=0, layer=layer)
            grads.append(keys | dict(quantity="activation_grad", stat="rms", value=dz_ratio if top else 1.0))
            grads.append(keys | dict(quantity="weight_grad", stat="rms", value=1.0))
            if layer <= depth:
                acts.append(keys | dict(stat="z_rms", value=signal_ratio if top else 1.0))
    return pd.DataFrame(grads), pd.DataFrame(acts)


def test_table_judges_each_net_against_the_tolerance():
    nets = [dict(exercise="ex1", activation=a, initializer="glorot_uniform", batchnorm=False, width=128, depths=[10])
            for a in ("relu", "sigmoid", "tanh")]  # fmt: skip
    profile, scales = tvm.profiles(nets, np.full(8, 80.0))
    relu_dz = 9 * 0.5 * math.log10(0.5)  # what theory predicts for ReLU: chi = 1/2 over 9 layers
    frames = [
        probe_frames("ex1", "relu", 10, 10**relu_dz, 10**-relu_dz),  # measured as predicted
        probe_frames("ex1", "sigmoid", 10, 0.0, 1.0),  # underflowed to 0
        probe_frames("ex1", "tanh", 10, 10.0, 1.0),  # one order of magnitude off
    ]
    grads, acts = (pd.concat(f) for f in zip(*frames, strict=True))
    metrics = pd.DataFrame(dict(exercise="ex1", activation=["relu", "sigmoid", "tanh"], depth=10, seed=0, epochs=5,
                                test_accuracy=[0.2, 0.11, 0.95], diverged=False))  # fmt: skip
    table = tvm.table(profile, scales, grads, acts, metrics).set_index("activation")
    assert table.loc["relu", "dz_measured"] == pytest.approx(relu_dz)
    assert abs(table.loc["relu", "dz_error"]) < 1e-3
    assert table.loc["relu", "verdict"] == "agrees" and table.loc["relu", "predicted_trainable"] == "no"
    assert table.loc["sigmoid", "verdict"].startswith("differs: ∂L/∂z not measured")
    tanh = table.loc["tanh"]
    assert tanh.dz_error == pytest.approx(tanh.dz_predicted - 1.0) and tanh.predicted_trainable == "yes"
    assert tanh.verdict == f"differs: ∂L/∂z off by {tanh.dz_error:+.2f}"
    assert table.trains.to_dict() == {"relu": "no", "tanh": "yes", "sigmoid": "no"}
    assert "1 of 3 nets agree" in tvm.markdown(table.reset_index())
