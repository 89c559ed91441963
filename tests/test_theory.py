"""Mean-field theory against closed forms and against random numpy networks; the statistics against scipy."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, special
from scipy import stats as st

from depthstudy import names, stats, theory
from depthstudy import theory_vs_measured as tvm
from depthstudy.resources import workflow_value

# --- an independent route: phi, phi' and Keras' fan rule written here, scipy's adaptive quadrature ---

SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805  # Klambauer et al. 2017


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


PHI = {
    "relu": (lambda x: np.maximum(x, 0.0), lambda x: (x > 0) * 1.0),
    "tanh": (np.tanh, lambda x: 1 / np.cosh(x) ** 2),
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    "lecun": (lambda x: 1.7159 * np.tanh(2 * x / 3) + 0.01 * x,
              lambda x: 1.7159 * 2 / 3 / np.cosh(2 * x / 3) ** 2 + 0.01),
    "selu": (lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0))),
             lambda x: SELU_SCALE * np.where(x > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(x, 0)))),
    "elu": (lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
            lambda x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0)))),
    "leaky_relu": (lambda x: np.where(x > 0, x, 0.2 * x), lambda x: np.where(x > 0, 1.0, 0.2)),
    # GELU through scipy's normal CDF and density, SiLU through its logistic function
    "gelu": (lambda x: x * special.ndtr(x),
             lambda x: special.ndtr(x) + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi)),
    "silu": (lambda x: x * special.expit(x),
             lambda x: special.expit(x) + x * special.expit(x) * special.expit(-x)),
}  # fmt: skip


def keras_variance(initializer, fan_in, fan_out):
    """Keras 3's VarianceScaling: glorot scale 1 over the mean fan, he scale 2 and lecun scale 1 over fan-in."""
    family = initializer.split("_")[0]
    return {"glorot": 2 / (fan_in + fan_out), "he": 2 / fan_in, "lecun": 1 / fan_in}[family]


def expect(f, q):
    """E[f(sqrt(q) u)], u ~ N(0, 1), by adaptive quadrature split at the kink 0."""
    g = lambda u: float(f(math.sqrt(q) * u)) * math.exp(-u * u / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    return integrate.quad(g, -12, 0, limit=200)[0] + integrate.quad(g, 0, 12, limit=200)[0]


def expect2(f, g, q, c):
    """E[f(u1) g(u2)] of two correlated Gaussians, by nested adaptive quadrature (smooth f, g only)."""
    s, r = math.sqrt(1 - c * c), math.sqrt(q)
    density = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731

    def inner(z1):
        return integrate.quad(lambda z2: float(g(r * (c * z1 + s * z2))) * density(z2), -10, 10)[0]

    return integrate.quad(lambda z1: float(f(r * z1)) * density(z1) * inner(z1), -10, 10)[0]


def tanh_scales(s_w2, s_b2, name="tanh"):
    """q*, c* and xi_c of a tanh net (or another smooth one), from the definitions alone (Schoenholz et
    al. 2017, eqs. 3-9)."""
    phi, dphi = PHI[name]
    q = optimize.brentq(lambda q: s_w2 * expect(lambda x: phi(x) ** 2, q) + s_b2 - q, 1e-6, 100)
    chi1 = s_w2 * expect(lambda x: dphi(x) ** 2, q)
    if chi1 <= 1:
        return q, 1.0, -1 / math.log(chi1)
    c_map = lambda c: (s_w2 * expect2(phi, phi, q, c) + s_b2) / q  # noqa: E731
    c = optimize.brentq(lambda c: c_map(c) - c, 0.0, 1 - 1e-6, xtol=1e-9)
    return q, c, -1 / math.log(s_w2 * expect2(dphi, dphi, q, c))


# --- the module against the published values and the independent route ------------------------------


@pytest.mark.parametrize("s_b2,expected", [(0.05, 1.761), (0.3, 2.505)])
def test_tanh_order_to_chaos_boundary(s_b2, expected):
    critical = theory.critical_sigma_w2("tanh", s_b2)
    assert critical == pytest.approx(expected, abs=0.01)  # Schoenholz et al. 2017, Fig. 1
    _, dphi = PHI["tanh"]
    q = optimize.brentq(lambda q: critical * expect(lambda x: np.tanh(x) ** 2, q) + s_b2 - q, 1e-6, 100)
    assert critical * expect(lambda x: dphi(x) ** 2, q) == pytest.approx(1.0, abs=1e-5)
    curve = theory.order_to_chaos("tanh", [0.05, 0.3])
    assert curve.sigma_w2.tolist() == pytest.approx([theory.critical_sigma_w2("tanh", b) for b in (0.05, 0.3)])


@pytest.mark.parametrize("s_w2,xi_c", [(1.0, 3.63), (1.5, 15.8), (2.0, 25.2), (2.5, 11.8), (4.0, 6.98)])
def test_tanh_correlation_depth_scale_at_bias_variance_005(s_w2, xi_c):
    got = theory.scales("tanh", s_w2, 0.05)
    assert got["xi_c"] == pytest.approx(xi_c, rel=0.02)  # the published curve
    q, c, xi = tanh_scales(s_w2, 0.05)
    assert (got["q_star"], got["c_star"], got["xi_c"]) == pytest.approx((q, c, xi), rel=1e-4)
    assert got["c_star"] <= 1.0
    assert got["decided_by"] == ("both" if s_w2 < 1.761 else "xi_c")


@pytest.mark.parametrize("name", ["gelu", "silu"])
def test_gelu_and_silu_scales_match_the_definitions(name):
    # slope 1/2 at 0: without biases the boundary chi_1 = 1 of the shrinking signal is sigma_w^2 = 4
    _, dphi = PHI[name]
    assert theory.critical_sigma_w2(name, 0.0) == pytest.approx(1 / dphi(0.0) ** 2, rel=1e-6)
    assert theory.critical_sigma_w2(name, 0.0) == pytest.approx(4.0, rel=1e-6)
    # with biases the map has a fixed point: q*, c* and xi_c by the independent route, to 1e-4
    for s_w2, s_b2 in ((1.5, 0.05), (1.9, 0.3)):
        got = theory.scales(name, s_w2, s_b2)
        assert got["regime"] == "fixed point"
        q, c, xi = tanh_scales(s_w2, s_b2, name)
        assert (got["q_star"], got["c_star"], got["xi_c"]) == pytest.approx((q, c, xi), rel=1e-4)
        assert got["chi_1"] == pytest.approx(s_w2 * expect(lambda x: dphi(x) ** 2, q), rel=1e-4)
    # the study's nets have no biases: He's sigma_w^2 = 2 is below the boundary, and q shrinks to 0
    assert theory.depth_scales(name, "he_normal", 128)["regime"] == theory.NO_FIXED_POINT[0.0]
    assert theory.depth_scales(name, "he_normal", 128)["critical_sigma_w2"] == pytest.approx(4.0, rel=1e-6)


def test_selu_with_lecun_normal_sits_at_unit_variance_and_zero_correlation():
    s_w2 = 128 * keras_variance("lecun_normal", 128, 128)
    got = theory.depth_scales("selu", "lecun_normal", 128)
    phi, dphi = PHI["selu"]
    assert (
        got["q_star"]
        == pytest.approx(s_w2 * expect(lambda x: phi(x) ** 2, 1.0), abs=1e-6)
        == pytest.approx(1.0, abs=1e-6)
    )
    assert expect(dphi, 1.0) == pytest.approx(0.98523, abs=1e-5)
    assert got["c_star"] == pytest.approx(0.0, abs=1e-9)
    # at c* = 0 the slope of the c-map is sigma_w^2 E[phi']^2
    assert got["xi_c"] == pytest.approx(-1 / math.log(s_w2 * expect(dphi, 1.0) ** 2), rel=1e-6)
    assert got["xi_c"] == pytest.approx(33.6, abs=0.05)


@pytest.mark.parametrize("s_w2", [0.5, 1.0, 2.0, 3.0])
def test_relu_correlations_never_settle_without_biases(s_w2):
    for q in (0.1, 1.0):
        for c in (0.0, 0.3, 0.9):
            arccos = (math.sqrt(1 - c * c) + (math.pi - math.acos(c)) * c) / math.pi  # Cho & Saul 2009
            assert theory.c_map("relu", s_w2, 0.0, q, c) == pytest.approx(arccos, abs=1e-10)
    # at 2 every q is fixed and correlations never settle; below 2 q -> 0 and above it q grows without
    # bound, and there is no fixed point to read xi_c at
    relu = theory.scales("relu", s_w2)
    assert math.isinf(relu["xi_c"]) if s_w2 == 2 else (math.isnan(relu["xi_c"]) and relu["regime"] != "fixed point")


def test_relu_with_glorot_loses_half_its_gradient_per_layer_of_its_own():
    glorot = theory.depth_scales("relu", "glorot_uniform", 128)
    s_w2 = 128 * keras_variance("glorot_uniform", 128, 128)  # 1
    # q -> 0: no fixed point to read at; chi is 1/2 at every q, so over its own layers xi_grad = 1 / ln 2
    assert glorot["q_star"] == 0 and glorot["regime"] == "no fixed point: q → 0"
    assert math.isnan(glorot["xi_grad"]) and glorot["decided_by"] == theory.OWN_LAYERS
    assert glorot["chi_1"] == pytest.approx(s_w2 * expect(lambda x: PHI["relu"][1](x) ** 2, 1.0), rel=1e-9)
    for depth in (5, 20, 40):
        own = theory.own_layers(theory.gradient_growth("relu", s_w2, 0.2, depth), depth)
        assert own["grad_growth"] == pytest.approx(0.5 ** (depth - 1), rel=1e-9)
        assert own["xi_grad"] == pytest.approx(1 / math.log(2), rel=1e-9)
        assert 5 < own["trainable_depth"] < 20  # the report: trains at 5 layers, collapses at 20 and 40
    he = theory.depth_scales("relu", "he_normal", 128)  # every q is a fixed point
    assert he["regime"] == "fixed point"
    assert he["chi_1"] == pytest.approx(1.0, abs=1e-9) and math.isinf(he["trainable_depth"])


def test_a_variance_map_without_fixed_point_is_read_over_the_nets_own_layers():
    elu = theory.depth_scales("elu", "he_uniform", 128)  # q_{l+1} > q_l for every q
    phi, dphi = PHI["elu"]
    for q in (1.0, 100.0, 1e4):
        assert 2.0 * expect(lambda x: phi(x) ** 2, q) > q
    assert math.isinf(elu["q_star"]) and elu["regime"] == "no fixed point: q grows without bound"
    assert math.isnan(elu["chi_1"]) and math.isnan(elu["xi_grad"]) and math.isnan(elu["xi_c"])
    assert math.isnan(elu["trainable_depth"]) and elu["decided_by"] == theory.OWN_LAYERS
    # the direct product: iterate q by adaptive quadrature, multiply chi layer by layer
    q, product, chis = 0.26, 1.0, []
    for _ in range(39):
        chis.append(2.0 * expect(lambda x: dphi(x) ** 2, q))
        product *= chis[-1]
        q = 2.0 * expect(lambda x: phi(x) ** 2, q)
    growth = theory.gradient_growth("elu", 2.0, 0.26, 40)
    assert growth == pytest.approx(product, rel=1e-8)
    assert 1.5 < chis[0] and chis[-1] < 1.1 and 300 < growth < 1000  # far from chi(1e4)^39 = 1.17
    assert 2.0 * expect(lambda x: dphi(x) ** 2, 1e4) ** 39 < 1.3
    own = theory.own_layers(growth, 40)
    assert own["xi_grad"] == pytest.approx(39 / math.log(product), rel=1e-8)
    assert math.isnan(own["trainable_depth"]) and own["decided_by"].startswith("none: gradients grow")
    # the same rule for the marginal cases that shrink towards q = 0: tanh and ELU under Glorot
    for name in ("tanh", "elu"):
        scales = theory.scales(name, 1.0)
        assert scales["q_star"] == 0 and math.isnan(scales["xi_grad"]) and scales["decided_by"] == theory.OWN_LAYERS
        q, product, (f, df) = 0.26, 1.0, PHI[name]
        for _ in range(39):
            product *= expect(lambda x, df=df: df(x) ** 2, q)
            q = expect(lambda x, f=f: f(x) ** 2, q)
        assert theory.gradient_growth(name, 1.0, 0.26, 40) == pytest.approx(product, rel=1e-8) and product < 1


def test_sigmoid_loses_most_of_its_gradient_per_layer():
    d = theory.depth_scales("sigmoid", "glorot_uniform", 128)
    phi, dphi = PHI["sigmoid"]
    assert d["q_star"] == pytest.approx(expect(lambda x: phi(x) ** 2, d["q_star"]), rel=1e-9)  # a fixed point
    assert d["chi_1"] == pytest.approx(expect(lambda x: dphi(x) ** 2, d["q_star"]), rel=1e-9)
    assert 0.2 < math.sqrt(d["chi_1"]) < 0.25  # per layer, in rms
    assert d["trainable_depth"] < 5


@pytest.mark.parametrize("name", sorted(PHI))
def test_gaussian_expectations_match_adaptive_quadrature(name):
    phi, dphi = PHI[name]
    for q in (0.05, 1.0, 4.0):
        for s_b2 in (0.0, 0.05):
            assert theory.q_map(name, 1.3, q, s_b2) == pytest.approx(
                1.3 * expect(lambda x: phi(x) ** 2, q) + s_b2, rel=1e-9
            )
        assert theory.chi(name, 1.3, q) == pytest.approx(1.3 * expect(lambda x: dphi(x) ** 2, q), rel=1e-9)
    assert set(PHI) == set(theory.ACTIVATIONS) == set(names.ACTIVATIONS)


def test_the_fan_rule_is_keras_own():
    keras = pytest.importorskip("keras")
    from depthstudy.models import build_mlp

    schema = workflow_value("schemas/config.schema.yaml", "$defs")
    assert set(theory.INITIALIZERS) == set(schema["initializer"]["enum"])
    for name in set(theory.INITIALIZERS) - {"orthogonal"}:
        w = keras.ops.convert_to_numpy(keras.initializers.get({"class_name": name, "config": {"seed": 1}})((784, 128)))
        assert w.var() == pytest.approx(keras_variance(name, 784, 128), rel=0.03), name
        assert theory.weight_variance(name, 784, 128) == pytest.approx(keras_variance(name, 784, 128), rel=1e-12)
    # orthogonal: orthonormal columns times the gain that puts sigma_w^2 at the boundary (ReLU: 2, Tanh: 1)
    for activation, gain2 in (("relu", 2.0), ("tanh", 1.0), ("gelu", 4.0)):
        model = build_mlp(activation, 2, 128, initializer="orthogonal")
        for layer, fan_in in (("dense_1", 784), ("dense_2", 128)):
            w = keras.ops.convert_to_numpy(model.get_layer(layer).kernel).astype("float64")
            assert w.T @ w == pytest.approx(gain2 * np.eye(128), abs=1e-5)
            assert theory.weight_variance("orthogonal", fan_in, 128, activation) == pytest.approx(gain2 / fan_in)
        assert theory.sigma_w2("orthogonal", 128, activation=activation) == pytest.approx(gain2, rel=1e-6)


def test_unknown_activations_and_initializers_have_no_prediction():
    with pytest.raises(theory.NoPrediction, match="xavier"):
        theory.profile("tanh", "xavier", 128, 5, [80.0])
    with pytest.raises(theory.NoPrediction, match="swish"):
        theory.depth_scales("swish", "glorot_uniform", 128)
    # sigmoid has no order-to-chaos boundary without biases to set an orthogonal gain by
    with pytest.raises(theory.NoPrediction, match="orthogonal: 'sigmoid'"):
        theory.profile("sigmoid", "orthogonal", 128, 5, [80.0])


def test_linear_network_closed_forms(monkeypatch):
    monkeypatch.setitem(theory.ACTIVATIONS, "linear", (lambda x: x, np.ones_like))
    for s_w2 in (0.7, 1.0, 1.3):
        assert theory.chi("linear", s_w2, 2.0) == pytest.approx(s_w2, rel=1e-9)
        assert theory.q_map("linear", s_w2, 2.0) == pytest.approx(2.0 * s_w2, rel=1e-9)
    # Glorot on square layers: sigma_w^2 = 1, so a linear net keeps both the signal and the gradients
    p = theory.profile("linear", "glorot_uniform", 128, 10, [50.0])
    assert p.dz_rel.to_numpy() == pytest.approx(np.ones(10), rel=1e-9)
    assert p.z_rms.to_numpy() == pytest.approx(np.full(10, math.sqrt(50.0 * 2 / (784 + 128))), rel=1e-9)


def random_network(activation, initializer, depth, width, x, rng):
    """Forward and backward pass of a random numpy MLP (biases 0); per-layer rms of z and of dL/dz,
    with a random Gaussian gradient arriving at the last hidden layer."""
    phi, dphi = PHI[activation]
    zs, h = [], x
    fan_in = x.shape[1]
    weights = []
    for _ in range(depth):
        w = rng.normal(0.0, math.sqrt(keras_variance(initializer, fan_in, width)), (fan_in, width))
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
     ("lecun", "glorot_uniform"), ("selu", "lecun_normal"), ("elu", "he_uniform"), ("gelu", "he_normal"),
     ("silu", "he_normal")],
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


def test_identical_values_with_unequal_seeds_are_no_difference():
    # a seed dropped (diverged) leaves 3 against 2: the means differ in their last bit only
    for a, b in (([0.1] * 3, [0.1] * 2), ([0.1135] * 2, [0.1135] * 5)):
        result = stats.welch(a, b)
        assert result["diff"] == 0.0 and result["p"] == 1.0 and result["lower"] == result["upper"] == 0.0
    assert stats.one_sample([0.1] * 3, 0.1)["p"] == 1.0


def test_holm_matches_its_definition():
    p = np.array([0.01, 0.04, 0.03, 0.005, np.nan])
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1, each at least the one before
    assert stats.holm(p)[:4] == pytest.approx([0.03, 0.06, 0.06, 0.02]) and np.isnan(stats.holm(p)[4])
    assert stats.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert stats.holm([]).size == 0


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
    assert "1 of 3 nets agree" in tvm.theory_vs_measured_markdown(table.reset_index())


def test_finite_width_shift_of_relu_matches_random_networks():
    # 200 random ReLU nets (He init: theory predicts no change of the rms after layer 1), width 128
    rng = np.random.default_rng(0)
    depth, width, ratios = 40, 128, []
    x = rng.random((64, 784)) * (rng.random((64, 784)) < 0.2)
    for _ in range(200):
        h, fan, rms = x, 784, []
        for _ in range(depth):
            z = h @ rng.normal(0.0, math.sqrt(keras_variance("he_normal", fan, width)), (fan, width))
            rms.append(np.sqrt(np.mean(z**2)))
            h, fan = np.maximum(z, 0.0), width
        ratios.append(math.log10(rms[0] / rms[-1]))
    p = theory.profile("relu", "he_normal", width, depth, (x**2).sum(1))
    error = math.log10(p.z_rms.iloc[0] / p.z_rms.iloc[-1]) - np.mean(ratios)  # predicted - measured
    shift, sd = theory.finite_width_shift("relu", width, depth)
    # leading order in 1/width, and for one input: the probe's rms over images averages part of the
    # fluctuation away, so the formula is an upper bound that explains most of the shift
    print(f"random nets: error {error:+.3f}, sd {np.std(ratios):.3f}; formula {shift:+.3f}, sd {sd:.3f}")
    assert 0.5 < error / shift < 1.1  # here 0.68
    assert np.std(ratios) == pytest.approx(sd, rel=0.25)
    assert theory.finite_width_shift("relu", width, depth, seeds=4)[1] == pytest.approx(sd / 2)
    assert math.isnan(theory.finite_width_shift("tanh", width, depth)[0])
