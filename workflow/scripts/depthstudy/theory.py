"""Mean-field signal propagation: what the 1.C and 1.D profiles should look like at initialisation,
and which depths train (the phase diagram).

Poole et al. 2016 (Exponential expressivity in deep neural networks through transient chaos) and
Schoenholz et al. 2017 (Deep Information Propagation). For a wide network whose hidden kernels have
variance sigma_w^2 / fan-in and whose biases have variance sigma_b^2 (0 for Keras' default zeros), a
pre-activation z_l of layer l is Gaussian over the weights with second moment q_l, and

    q_{l+1} = sigma_w^2 E[phi(sqrt(q_l) u)^2] + sigma_b^2    (u ~ N(0, 1); the variance map)
    chi_l   = sigma_w^2 E[phi'(sqrt(q_l) u)^2]               (E[dL/dz_l ^2] = chi_l E[dL/dz_{l+1} ^2])

so the rms of dL/dz shrinks (chi < 1) or grows (chi > 1) by sqrt(chi) per layer, going back from the
last hidden layer. E[phi^2] is the full second moment, not the variance: sigmoid's mean of 0.5
feeds the next layer. Two details of the study's networks:

- Layer 1 sees pixels, not Gaussian inputs: W_1 x is Gaussian over the weights with variance
  Var(W_1) |x|^2, so each probe image starts with its own q_1 = Var(W_1) |x|^2, and a predicted rms
  is the square root of the mean of q over the probe images (what the probe measures).
- The probe runs BatchNormalization in inference mode. Before training its moving statistics are 0
  and 1, so it divides z by sqrt(1 + epsilon) and nothing else: the epoch-0 profile of a BatchNorm
  net is a plain net's with sigma_w^2 / (1 + epsilon). Trained, BatchNorm uses batch statistics,
  which this theory does not describe, so it predicts no trainable depth for them.

Depth scales (``scales``): at the fixed point q*, gradients change by chi_1 = chi(q*) per layer, over
xi_grad = 1 / |ln chi_1| layers. Two inputs' correlation c follows the c-map to its stable fixed
point c* (1 in the ordered phase, chi_1 < 1; below 1 in the chaotic phase) over xi_c = -1 / ln of
the c-map's slope at c*. Networks train up to about 6 xi_c layers (Schoenholz et al.), and not past
the depth where vanishing gradients (xi_grad) stop them. chi_1 = 1 is the order-to-chaos boundary.
A net whose variance map has no positive, finite fixed point never reaches one: its scales are read
over its own layers instead (``NO_FIXED_POINT``, ``gradient_growth``, ``own_layers``).

Gaussian expectations are Gauss-Legendre rules split where phi and phi' have their kinks and jumps,
so that ReLU, ELU and SELU are integrated as accurately as tanh. numpy and scipy only, so that the
plotting environment computes it without TensorFlow.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import optimize

from depthstudy.formulas import lecun, lecun_derivative

# Keras 3's VarianceScaling behind each initializer name: (scale, mode). All draw with exactly
# scale / fan variance (the truncated normals are rescaled so that they do).
INITIALIZERS = {
    "glorot_uniform": (1.0, "fan_avg"),
    "glorot_normal": (1.0, "fan_avg"),
    "he_normal": (2.0, "fan_in"),
    "he_uniform": (2.0, "fan_in"),
    "lecun_normal": (1.0, "fan_in"),
    "lecun_uniform": (1.0, "fan_in"),
}
BATCHNORM_EPSILON = 1e-3  # keras.layers.BatchNormalization's default
TRAINABLE_XI = 6.0  # Schoenholz et al.: networks train up to about 6 xi_c layers
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805
LEAKY_SLOPE = 0.2  # keras.activations.leaky_relu's default negative_slope


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


# phi and phi' of every activation the config allows (the schema's list; a test keeps them equal).
ACTIVATIONS = {
    "relu": (lambda x: np.maximum(x, 0.0), lambda x: np.where(x > 0, 1.0, 0.0)),
    "tanh": (np.tanh, lambda x: 1.0 - np.tanh(x) ** 2),
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1.0 - _sigmoid(x))),
    "lecun": (lecun, lecun_derivative),
    "selu": (
        lambda x: SELU_SCALE * _elu(x, SELU_ALPHA),
        lambda x: SELU_SCALE * np.where(x > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(x, 0.0))),
    ),
    "elu": (_elu, lambda x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0.0)))),
    "leaky_relu": (lambda x: np.where(x > 0, x, LEAKY_SLOPE * x), lambda x: np.where(x > 0, 1.0, LEAKY_SLOPE)),
}

# E[f(u)], u ~ N(0, 1), by Gauss-Legendre rules on [-12, 0] and [0, 12]. Every activation here has
# its kink or jump at 0 (ReLU's, ELU's and SELU's phi' jump there), so splitting at 0 leaves a
# smooth integrand on each piece: exact to about 1e-12 where a single rule across 0 is not.
_HALF = 12.0
_LX, _LW = np.polynomial.legendre.leggauss(96)


def _split_rule(lo, hi, at=0.0):
    """Nodes and weights (the normal density included) on [lo, m] and [m, hi], m = ``at`` clipped to
    [lo, hi]; ``at`` may be an array, one split per row."""
    at = np.asarray(at, dtype=float)
    lo, hi = np.full(at.shape, lo), np.full(at.shape, hi)
    mid = np.clip(at, lo, hi)
    nodes, weights = [], []
    for a, b in ((lo, mid), (mid, hi)):
        half = (b - a)[..., None] / 2
        x = (a + b)[..., None] / 2 + half * _LX
        nodes.append(x)
        weights.append(half * _LW * np.exp(-0.5 * x**2) / math.sqrt(2 * math.pi))
    return np.concatenate(nodes, axis=-1), np.concatenate(weights, axis=-1)


_U, _W = _split_rule(-_HALF, _HALF)


class NoPrediction(ValueError):
    """The theory has nothing to say for this activation or initializer."""


def _phi(activation: str):
    if activation not in ACTIVATIONS:
        raise NoPrediction(f"no mean-field prediction for activation {activation!r}: not one of {list(ACTIVATIONS)}")
    return ACTIVATIONS[activation]


def weight_variance(initializer: str, fan_in: int, fan_out: int) -> float:
    """Var of one kernel entry under Keras' ``initializer``."""
    if initializer not in INITIALIZERS:
        raise NoPrediction(f"no mean-field prediction for initializer {initializer!r}: not one of {list(INITIALIZERS)}")
    scale, mode = INITIALIZERS[initializer]
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    return scale / fan


def sigma_w2(initializer: str, width: int, batchnorm: bool = False) -> float:
    """sigma_w^2 of the hidden-to-hidden kernels (width x width), BatchNorm's inference scaling included."""
    return width * weight_variance(initializer, width, width) / (1.0 + BATCHNORM_EPSILON if batchnorm else 1.0)


def gauss(f, q) -> np.ndarray:
    """E[f(sqrt(q) u)], u ~ N(0, 1), for every q of an array."""
    q = np.asarray(q, dtype=float)
    return f(np.sqrt(q)[..., None] * _U) @ _W


def gauss2(f, g, q: float, c: float) -> float:
    """E[f(u1) g(u2)] for two Gaussians of second moment q and correlation c: u1 = sqrt(q) z1 and
    u2 = sqrt(q) (c z1 + s z2), s = sqrt(1 - c^2). The inner rule over z2 splits where u2 = 0."""
    s = math.sqrt(max(1.0 - c * c, 0.0))
    root = math.sqrt(q)
    if s < 1e-12:  # the same input twice
        return float(gauss(lambda x: f(x) * g(math.copysign(1.0, c) * x), q))
    z2, w2 = _split_rule(-_HALF, _HALF, at=-c * _U / s)  # (outer nodes, inner nodes)
    inner = np.sum(w2 * g(root * (c * _U[:, None] + s * z2)), axis=1)
    return float(np.sum(_W * f(root * _U) * inner))


def q_map(activation: str, s_w2: float, q, s_b2: float = 0.0) -> np.ndarray:
    """The variance map: q_{l+1} = sigma_w^2 E[phi(sqrt(q_l) u)^2] + sigma_b^2."""
    phi, _ = _phi(activation)
    return s_w2 * gauss(lambda x: phi(x) ** 2, q) + s_b2


def chi(activation: str, s_w2: float, q) -> np.ndarray:
    """sigma_w^2 E[phi'(sqrt(q) u)^2]: the factor by which E[(dL/dz)^2] changes from layer l+1 to l."""
    _, dphi = _phi(activation)
    return s_w2 * gauss(lambda x: dphi(x) ** 2, q)


def profile(
    activation: str,
    initializer: str,
    width: int,
    depth: int,
    input_sq_norms,
    batchnorm: bool = False,
) -> pd.DataFrame:
    """Predicted per-layer statistics of an untrained MLP of ``depth`` hidden layers on the probe.

    ``input_sq_norms``: |x|^2 of each probe image (pixels in [0, 1], as the network sees them).
    Columns, for layers 1..depth: q (mean over images), z_rms = sqrt(q), a_rms, chi (from layer l
    to l+1; NaN at the last), dz_rel (rms of dL/dz relative to the last hidden layer) and dw_rel
    (rms of dL/dW relative to the last hidden layer's, taking E[(dL/dW_l)^2] proportional to
    E[a_{l-1}^2] E[dL/dz_l ^2], which assumes that the probe images' gradients are equally coherent
    in every layer). The study's nets have Keras' zero biases.
    """
    phi, _ = _phi(activation)
    sq = np.asarray(input_sq_norms, dtype=float).ravel()
    # 64 quantiles stand in for the images: the means below are smooth in q, and it is 16x faster.
    if sq.size > 64:
        sq = np.quantile(sq, (np.arange(64) + 0.5) / 64)
    s_w2 = sigma_w2(initializer, width, batchnorm)
    q = weight_variance(initializer, 28 * 28, width) * sq / (1.0 + BATCHNORM_EPSILON if batchnorm else 1.0)
    qs, a2, chis = [], [], []
    for _ in range(depth):
        qs.append(q)
        a2.append(gauss(lambda x: phi(x) ** 2, q))
        chis.append(chi(activation, s_w2, q))
        q = s_w2 * a2[-1]
    qs, a2, chis = np.array(qs), np.array(a2), np.array(chis)  # (depth, images)
    # E[dL/dz_l ^2] / E[dL/dz_L ^2] = prod_{k=l}^{L-1} chi_k, per image, then averaged
    back = np.ones_like(chis)
    for layer in range(depth - 2, -1, -1):
        back[layer] = back[layer + 1] * chis[layer]
    dz2 = back.mean(axis=1)
    prev_a2 = np.concatenate([[sq.mean() / (28 * 28)], a2[:-1].mean(axis=1)])  # a_0 = the pixels
    dw2 = prev_a2 * dz2
    return pd.DataFrame(
        {
            "layer": np.arange(1, depth + 1),
            "q": qs.mean(axis=1),
            "z_rms": np.sqrt(qs.mean(axis=1)),
            "a_rms": np.sqrt(a2.mean(axis=1)),
            "chi": np.append(chis.mean(axis=1)[:-1], np.nan),
            "dz_rel": np.sqrt(dz2),
            "dw_rel": np.sqrt(dw2 / dw2[-1]),
        }
    )


# The output Dense keeps Keras' default init whatever the hidden layers use (models.build_mlp).
OUTPUT_INITIALIZER = "glorot_uniform"
# training.input_scale's value for "the pixels times the one number that gives the untrained net's
# logits an rms of 1" (models.scale_to_unit_logits); here, where the plotting environment reads it too.
UNIT_LOGITS = "unit_logits"


def logit_rms(a_rms_last: float, width: int, n_classes: int = 10) -> float:
    """Predicted rms of the logits on the probe, from the last hidden layer's predicted rms output:
    each logit is W_out a_L with zero bias, so its second moment is width Var(W_out) E[a_L^2].

    For a ReLU net under Glorot with zero biases every hidden layer halves q (sigma_w^2 = 1 on square
    layers, E[relu(z)^2] = q / 2), so this is sqrt(2 width / (width + 10) * q_1) * 2^(-L/2), with q_1 =
    2 |x|^2 / (784 + width) averaged over the probe images: the whole net's output shrinks as 2^(-L/2).
    """
    s_out = width * weight_variance(OUTPUT_INITIALIZER, width, n_classes)
    return math.sqrt(s_out) * a_rms_last


# q beyond which the variance map counts as growing without bound, and below which as gone to 0
Q_LARGE, Q_SMALL = 1e8, 1e-12


def fixed_point(activation: str, s_w2: float, s_b2: float = 0.0, q0: float = 1.0) -> float:
    """q* that the variance map reaches from ``q0``: 0, a positive fixed point, or inf (q grows
    without bound, as ReLU's does for sigma_w^2 > 2 and ELU's with He init).

    The map is increasing in q, so its iterates move monotonically towards the first root of
    q_map(q) - q in the direction they start in; that root is found on a log grid and refined by
    bisection, which also settles slow approaches (tanh's power-law decay at criticality) exactly.
    """
    gap = lambda q: float(q_map(activation, s_w2, q, s_b2)) - q  # noqa: E731
    g0 = gap(q0)
    if abs(g0) <= 1e-12 * q0:
        return q0  # every q is fixed (ReLU at sigma_w^2 = 2) or q0 is the fixed point
    if g0 > 0:
        grid = np.geomspace(q0, Q_LARGE, 161)
    else:
        grid = np.geomspace(q0, Q_SMALL, 161)
    values = q_map(activation, s_w2, grid, s_b2) - grid
    crossed = np.nonzero(np.sign(values) != np.sign(g0))[0]
    if crossed.size == 0:
        return math.inf if g0 > 0 else 0.0
    i = crossed[0]
    return float(optimize.brentq(gap, min(grid[i - 1], grid[i]), max(grid[i - 1], grid[i]), xtol=1e-14, rtol=1e-13))


def c_map(activation: str, s_w2: float, s_b2: float, q: float, c: float) -> float:
    """The correlation of two inputs one layer on, both of second moment q and correlation c:
    (sigma_w^2 E[phi(u1) phi(u2)] + sigma_b^2) / q_{l+1}. Normalising by the next layer's q (not q)
    keeps it a correlation, in [-1, 1], whether or not q is at its fixed point."""
    phi, _ = _phi(activation)
    return (s_w2 * gauss2(phi, phi, q, c) + s_b2) / float(q_map(activation, s_w2, q, s_b2))


def c_map_slope(activation: str, s_w2: float, s_b2: float, q: float, c: float) -> float:
    """d c_map / dc = sigma_w^2 q E[phi'(u1) phi'(u2)] / q_{l+1} (Price's theorem); chi_c at q = q*."""
    _, dphi = _phi(activation)
    return s_w2 * q * gauss2(dphi, dphi, q, c) / float(q_map(activation, s_w2, q, s_b2))


def _scale(x: float) -> float:
    """1 / |ln x|: the depth over which a factor x per layer changes things by e (inf at x = 1)."""
    if not np.isfinite(x):
        return math.nan
    if x <= 0:
        return 0.0
    if abs(math.log(x)) < 1e-9:
        return math.inf
    return 1.0 / abs(math.log(x))


def _chi_1(activation: str, s_w2: float, s_b2: float) -> tuple[float, float, float]:
    """(q*, the q that chi_1 is read at, chi_1): chi at the fixed point, or at its limit q -> 0 where
    the signal vanishes (chi(0) = sigma_w^2 phi'(0)^2, which fixes the order-to-chaos boundary at
    sigma_b^2 = 0). Where q grows without bound there is no fixed point to read it at: NaN."""
    q_star = fixed_point(activation, s_w2, s_b2)
    if math.isinf(q_star):
        return q_star, math.nan, math.nan
    q_at = max(q_star, Q_SMALL)
    return q_star, q_at, float(chi(activation, s_w2, q_at))


# The one rule for the nets whose variance map has no positive, finite fixed point: q_l -> 0 (tanh,
# ELU and ReLU with Glorot at sigma_b^2 = 0) or q_l grows without bound (ELU with He). Such a net
# never reaches the point where chi_1 and the c-map's slope would be read: its q after L layers
# still depends on L and on its inputs (tanh's q decays as a power of l, ELU's grows through q's
# where chi runs from 1.5 to 1.1). So nothing is read at a fixed point; the gradient's growth is the
# product of chi along the net's own q trajectory (``gradient_growth``), and xi_grad is the depth over
# which that product changes by e, per layer of the net (``own_layers``).
NO_FIXED_POINT = {0.0: "no fixed point: q → 0", math.inf: "no fixed point: q grows without bound"}
OWN_LAYERS = "its own layers"  # decided_by / read_at of a net read by that rule


def regime(q_star: float) -> str:
    """Where a net's depth scales are read: "fixed point" (0 < q* < inf), or the rule's words."""
    return NO_FIXED_POINT.get(q_star, "fixed point")


def trajectory(activation: str, s_w2: float, q1, depth: int, s_b2: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(q_l, chi(q_l)) for l = 1..depth of a net whose first layer has second moment ``q1`` (one
    value, or one per input: then each array has a column per input)."""
    q = np.asarray(q1, dtype=float)
    qs, chis = [], []
    for _ in range(depth):
        qs.append(q)
        chis.append(chi(activation, s_w2, q))
        q = q_map(activation, s_w2, q, s_b2)
    return np.array(qs), np.array(chis)


def gradient_growth(activation: str, s_w2: float, q1, depth: int, s_b2: float = 0.0) -> np.ndarray:
    """E[(dL/dz_1)^2] / E[(dL/dz_depth)^2] = prod_{l=1}^{depth-1} chi(q_l) along the net's own q
    trajectory from ``q1``: how much the gradient grows (> 1) or shrinks over its layers, going back."""
    _, chis = trajectory(activation, s_w2, q1, depth, s_b2)
    return np.prod(chis[:-1], axis=0)


def own_layers(growth: float, depth: int) -> dict:
    """Depth scales of a net without a fixed point, from its gradient growth over its own ``depth``
    layers: xi_grad = (depth - 1) / |ln growth|, the layers over which the gradient changes by e on
    average along the net; where it shrinks, trainable_depth = 6 xi_grad (where it grows, the theory
    names no trainable depth). xi_c is read at a fixed point only: NaN."""
    layers = depth - 1
    if layers < 1 or not np.isfinite(growth) or growth <= 0:
        xi_grad = math.nan
    else:
        xi_grad = math.inf if abs(math.log(growth)) < 1e-9 * layers else layers / abs(math.log(growth))
    shrinks = np.isfinite(growth) and growth < 1
    return dict(
        grad_growth=float(growth),
        xi_grad=xi_grad,
        xi_c=math.nan,
        trainable_depth=TRAINABLE_XI * xi_grad if shrinks else math.nan,
        decided_by=f"ξ∇ over {OWN_LAYERS}" if shrinks else f"none: gradients grow over {OWN_LAYERS}",
    )


def scales(activation: str, s_w2: float, s_b2: float = 0.0) -> dict:
    """The mean-field fixed points and depth scales of a net with weight variance sigma_w^2 / fan-in
    and bias variance sigma_b^2.

    - q*: the variance map's fixed point (0: the signal vanishes; inf: q grows without bound);
    - chi_1 = chi(q*): gradients change by chi_1 per layer, over xi_grad = 1 / |ln chi_1| layers;
    - c*: the c-map's stable fixed point, 1 in the ordered phase (chi_1 <= 1), below 1 in the chaotic;
    - xi_c = -1 / ln(c-map slope at c*): the depth over which two inputs' correlation settles;
    - trainable_depth = 6 min(xi_c, xi_grad where gradients vanish), and ``decided_by``: which scale;
    - regime: "fixed point", or which way q goes where the map has no positive, finite fixed point.

    Without such a fixed point (q* = 0 or inf) nothing is read at q*: chi_1 is only the limit that
    the net approaches (NaN where q grows without bound), and xi_grad, xi_c, c* and the trainable
    depth are NaN, with decided_by "its own layers": each net's gradient growth over its own depth
    (``gradient_growth``, ``own_layers``) takes their place. That is one rule for tanh, ELU and ReLU
    at sigma_b^2 = 0, whose signal shrinks towards q = 0 without reaching it, and for ELU with He.
    """
    q_star, q_at, chi1 = _chi_1(activation, s_w2, s_b2)
    place = regime(q_star)
    if place != "fixed point":
        return dict(sigma_w2=s_w2, sigma_b2=s_b2, q_star=q_star, chi_1=chi1, c_star=math.nan, xi_grad=math.nan,
                    xi_c=math.nan, trainable_depth=math.nan, decided_by=OWN_LAYERS, regime=place,
                    note=f"{place}: read over each net's own layers")  # fmt: skip
    if c_map_slope(activation, s_w2, s_b2, q_at, 1.0) <= 1.0 + 1e-9:
        c_star = 1.0  # ordered (or marginal): two inputs end up equal
        slope = c_map_slope(activation, s_w2, s_b2, q_at, 1.0)
    else:  # chaotic: c* below 1 is where c_map(c) - c changes sign (it is >= 0 at c = 0)
        gap = lambda c: c_map(activation, s_w2, s_b2, q_at, c) - c  # noqa: E731
        top = 1.0 - 1e-7
        c_star = 0.0 if gap(0.0) <= 1e-13 else float(optimize.brentq(gap, 0.0, top, xtol=1e-13))
        slope = c_map_slope(activation, s_w2, s_b2, q_at, c_star)
    xi_c = _scale(slope)
    xi_grad = _scale(chi1)
    limits = {"xi_c": xi_c, "xi_grad": xi_grad if chi1 < 1 else math.inf}
    if math.isinf(limits["xi_c"]) and math.isinf(limits["xi_grad"]):
        depth, decided = math.inf, "neither (critical)"
    else:
        shortest = min(limits.values())
        depth = TRAINABLE_XI * shortest
        tied = [name for name, value in limits.items() if math.isclose(value, shortest, rel_tol=1e-6)]
        decided = "both" if len(tied) == 2 else tied[0]
    return dict(
        sigma_w2=s_w2,
        sigma_b2=s_b2,
        q_star=q_star,
        chi_1=chi1,
        c_star=c_star,
        xi_grad=xi_grad,
        xi_c=xi_c,
        trainable_depth=depth,
        decided_by=decided,
        regime=place,
        note="",
    )


def depth_scales(activation: str, initializer: str, width: int, batchnorm: bool = False) -> dict:
    """``scales`` of a net of the study (zero biases); no trainable depth with BatchNorm, whose batch
    statistics in training this theory does not describe."""
    out = scales(activation, sigma_w2(initializer, width, batchnorm))
    if batchnorm:
        out.update(trainable_depth=None, decided_by="")
    return out


# Hanin & Nica 2019 (Products of many large random matrices and gradients in deep neural networks):
# in a ReLU net of widths n_l, log |z_L|^2 / |z_1|^2 is about N(-beta/2, beta), beta = 5 sum 1/n_l,
# over the draws of the weights. Mean-field theory gives E|z_L|^2 (the lognormal's mean, exactly),
# but the probe takes, per net, the rms over images of one draw of the weights (whose images share
# that draw's fluctuation: a deep ReLU net maps them to nearly parallel vectors) and then the mean of
# its log over seeds. So the measured log10 rms at layer L falls short of the prediction by
# beta / (4 ln 10) on average, with a spread of sqrt(beta) / (2 ln 10) per seed. That is for one
# input and to leading order in 1/width: averaging over images removes part of it, and random nets
# of width 128 and 40 layers show about 70 % of the shift with the probe's statistic
# (tests/test_theory.py), so it is an upper bound that explains most of the error.
FINITE_WIDTH_ACTIVATIONS = ("relu",)


def finite_width_shift(activation: str, width: int, depth: int, seeds: int = 1) -> tuple[float, float]:
    """(expected, sd of the mean over ``seeds``) of predicted minus measured log10(rms at layer 1 /
    rms at the last hidden layer) of the signal, for a ReLU net of ``depth`` hidden layers of
    ``width`` units (Hanin & Nica 2019); NaN for other activations, for which it is not derived."""
    if activation not in FINITE_WIDTH_ACTIVATIONS:
        return math.nan, math.nan
    beta = 5.0 * (depth - 1) / width  # layers 2..L add fluctuation to layer 1's
    return -beta / (4 * math.log(10)), math.sqrt(beta) / (2 * math.log(10)) / math.sqrt(seeds)


def critical_sigma_w2(activation: str, s_b2: float, lo: float = 0.3, hi: float = 20.0) -> float:
    """The order-to-chaos boundary: sigma_w^2 where chi_1 = 1 at bias variance ``s_b2``."""
    gap = lambda s_w2: _chi_1(activation, s_w2, s_b2)[2] - 1.0  # noqa: E731
    return float(optimize.brentq(gap, lo, hi, xtol=1e-6))


def order_to_chaos(activation: str, s_b2_values) -> pd.DataFrame:
    """The boundary chi_1 = 1 as a curve in (sigma_w^2, sigma_b^2): one critical sigma_w^2 per sigma_b^2."""
    return pd.DataFrame(
        {"sigma_b2": list(s_b2_values), "sigma_w2": [critical_sigma_w2(activation, b) for b in s_b2_values]}
    )
