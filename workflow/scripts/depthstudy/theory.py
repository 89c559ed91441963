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
- The probe runs BatchNormalization as training does, on each batch's own statistics. Every unit's
  z then has mean 0 and variance 1 over the batch, at every layer, and E[(dL/dz)^2] grows towards
  the input by a factor that no sigma_w^2 changes (Yang et al. 2019; ``batchnorm_gradient_rate``:
  pi / (pi - 1) for ReLU). The theory names no trainable depth for BatchNorm nets.

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

import functools
import math

import numpy as np
import pandas as pd
from scipy import optimize, special

from depthstudy.formulas import lecun, lecun_derivative

# Keras 3's VarianceScaling behind each initializer name: (scale, mode). All draw with exactly
# scale / fan variance (the truncated normals are rescaled so that they do). ``orthogonal`` is
# keras.initializers.Orthogonal: a matrix with orthonormal columns (or rows, whichever are fewer),
# times a gain, so each entry has variance gain^2 / the larger fan; the study sets the gain so that
# sigma_w^2 is the activation's order-to-chaos boundary (``orthogonal_gain``).
CRITICAL = "critical sigma_w^2"
INITIALIZERS = {
    "orthogonal": (CRITICAL, "fan_max"),
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


def _normal_cdf(x):
    return 0.5 * (1.0 + special.erf(x / math.sqrt(2.0)))


def _normal_pdf(x):
    return np.exp(-0.5 * x**2) / math.sqrt(2.0 * math.pi)


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
    # Keras' exact GELU (approximate=False): x Phi(x), Phi the standard normal CDF; SiLU (Swish): x sigmoid(x).
    "gelu": (lambda x: x * _normal_cdf(x), lambda x: _normal_cdf(x) + x * _normal_pdf(x)),
    "silu": (lambda x: x * _sigmoid(x), lambda x: _sigmoid(x) * (1.0 + x * (1.0 - _sigmoid(x)))),
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


def orthogonal_gain(activation: str) -> float:
    """The gain of ``initializer: orthogonal``: sqrt of the activation's critical sigma_w^2 at the
    study's sigma_b^2 of 0 (``critical_sigma_w2``: 2 for ReLU, 1 for tanh, 4 for GELU and SiLU)."""
    gain2 = critical_sigma_w2(activation, 0.0)
    if not math.isfinite(gain2):
        raise NoPrediction(f"initializer orthogonal: {activation!r} has no order-to-chaos boundary at sigma_b^2 = 0 "
                           "to set its gain by")  # fmt: skip
    return math.sqrt(gain2)


def weight_variance(initializer: str, fan_in: int, fan_out: int, activation: str | None = None) -> float:
    """Var of one kernel entry under Keras' ``initializer`` (``orthogonal``: with the gain that the study
    gives it for ``activation``)."""
    if initializer not in INITIALIZERS:
        raise NoPrediction(f"no mean-field prediction for initializer {initializer!r}: not one of {list(INITIALIZERS)}")
    scale, mode = INITIALIZERS[initializer]
    if scale == CRITICAL:
        scale = orthogonal_gain(activation) ** 2
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2, "fan_max": max(fan_in, fan_out)}
    return scale / fan[mode]


def sigma_w2(initializer: str, width: int, batchnorm: bool = False, activation: str | None = None) -> float:
    """sigma_w^2 of the hidden-to-hidden kernels (width x width), BatchNorm's inference scaling included."""
    s_w2 = width * weight_variance(initializer, width, width, activation)
    return s_w2 / (1.0 + BATCHNORM_EPSILON if batchnorm else 1.0)


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


def _probe_quantiles(input_sq_norms) -> np.ndarray:
    """The probe images' squared norms, as 64 quantiles where there are more: the means over images
    are smooth in q, and it is 16x faster."""
    sq = np.asarray(input_sq_norms, dtype=float).ravel()
    return np.quantile(sq, (np.arange(64) + 0.5) / 64) if sq.size > 64 else sq


def profile(
    activation: str,
    initializer: str,
    width: int,
    depth: int,
    input_sq_norms,
    batchnorm: bool = False,
    batch: int = 128,
    residual: bool = False,
    residual_scale: float = 1.0,
) -> pd.DataFrame:
    """Predicted per-layer statistics of an untrained MLP of ``depth`` hidden layers on the probe.

    ``input_sq_norms``: |x|^2 of each probe image (pixels in [0, 1], as the network sees them).
    Columns, for layers 1..depth: q (mean over images), z_rms = sqrt(q), a_rms, chi (from layer l
    to l+1; NaN at the last), dz_rel (rms of dL/dz relative to the last hidden layer) and dw_rel
    (rms of dL/dW relative to the last hidden layer's, taking E[(dL/dW_l)^2] proportional to
    E[a_{l-1}^2] E[dL/dz_l ^2], which assumes that the probe images' gradients are equally coherent
    in every layer). The study's nets have Keras' zero biases. ``batchnorm``: BatchNorm on batches of
    ``batch`` images (``batchnorm_profile``).
    """
    if batchnorm:
        return batchnorm_profile(activation, initializer, width, depth, batch)
    if residual:
        return residual_profile(activation, initializer, width, depth, input_sq_norms, residual_scale)
    phi, _ = _phi(activation)
    sq = _probe_quantiles(input_sq_norms)
    s_w2 = sigma_w2(initializer, width, batchnorm, activation)
    q = weight_variance(initializer, 28 * 28, width, activation) * sq / (1.0 + BATCHNORM_EPSILON if batchnorm else 1.0)
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


def depth_scales(activation: str, initializer: str, width: int, batchnorm: bool = False, batch: int = 128,
                 residual: bool = False) -> dict:  # fmt: skip
    """``scales`` of a net of the study (zero biases), with the order-to-chaos boundary at its sigma_b^2
    of 0 (``critical_sigma_w2``). With BatchNorm (on batches of ``batch``): q* = 1 after it, chi_1 the
    gradient's growth per layer (``batchnorm_gradient_rate``), over xi_grad layers, and no trainable
    depth, which the mean-field rule of 6 xi_c does not give for batch statistics."""
    out = scales(activation, sigma_w2(initializer, width, False, activation))
    out["critical_sigma_w2"] = critical_sigma_w2(activation, 0.0)
    if residual:  # no fixed point to read scales at: the growth is each net's own (residual_profile)
        out.update(q_star=math.nan, chi_1=math.nan, c_star=math.nan, xi_grad=math.nan, xi_c=math.nan,
                   trainable_depth=math.nan, decided_by="", regime="residual",
                   note="residual: signal and gradient grow along the net's own layers")  # fmt: skip
    if batchnorm:
        rate = batchnorm_gradient_rate(activation, batch)
        out.update(q_star=1.0, chi_1=rate, c_star=math.nan, xi_grad=_scale(rate), xi_c=math.nan, trainable_depth=None,
                   decided_by="", regime="BatchNorm (batch statistics)",
                   note=f"BatchNorm: E[(dL/dz)^2] grows by {rate:.4g} per layer towards the input")  # fmt: skip
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
    """The order-to-chaos boundary: sigma_w^2 where chi_1 = 1 at bias variance ``s_b2``.

    At sigma_b^2 = 0, for an activation with phi(0) = 0, the signal of an ordered net shrinks towards
    q = 0, where chi is sigma_w^2 E[phi'(sqrt(q) u)^2] in the limit q -> 0: the boundary is its
    inverse (1 / phi'(0)^2 for a smooth phi: 1 for tanh, 4 for GELU and SiLU, whose slope at 0 is 1/2;
    2 for ReLU, whose phi' is 1 on half the inputs). Otherwise the root of chi_1 - 1 in [lo, hi]; NaN
    where there is none (chi_1 undefined because q grows without bound on one side, as GELU's can)."""
    phi, dphi = _phi(activation)
    if s_b2 == 0 and float(phi(np.float64(0.0))) == 0.0:
        return 1.0 / float(gauss(lambda x: dphi(x) ** 2, Q_SMALL))
    gap = lambda s_w2: _chi_1(activation, s_w2, s_b2)[2] - 1.0  # noqa: E731
    try:
        return float(optimize.brentq(gap, lo, hi, xtol=1e-6))
    except ValueError:
        return math.nan


def order_to_chaos(activation: str, s_b2_values) -> pd.DataFrame:
    """The boundary chi_1 = 1 as a curve in (sigma_w^2, sigma_b^2): one critical sigma_w^2 per sigma_b^2."""
    return pd.DataFrame(
        {"sigma_b2": list(s_b2_values), "sigma_w2": [critical_sigma_w2(activation, b) for b in s_b2_values]}
    )


# Pennington, Schoenholz & Ganguli 2017 (Resurrecting the sigmoid in deep learning through dynamical
# isometry): the squared singular values lambda of the Jacobian J = dh_L / dh_1 of a wide net, through
# free probability. Each layer l = 2..L multiplies J by W_l and by D_l = diag phi'(z_l); with
# mu_k(q) = E[phi'(sqrt(q) u)^(2k)], the layer multiplies E[lambda] by sigma_w^2 mu_1 (= chi) and adds
# mu_2 / mu_1^2 - 1 - s_1 to the normalised variance Var(lambda) / E[lambda]^2, where s_1 (the first
# coefficient of the weights' S-transform) is -1 for i.i.d. entries (Gaussian or uniform: Keras' Glorot,
# He and LeCun) and 0 for orthogonal ones. At chi = 1 that is the paper's L (mu_2/mu_1^2 - 1 - s_1): a
# linear net L (i.i.d.) and 0 (orthogonal: isometric), ReLU 2L and L (mu_2 / mu_1^2 = 2: never
# isometric), and a critical tanh net with orthogonal weights 0 in the limit q -> 0. Along a net's own q
# trajectory (q_l need not be at a fixed point) each layer adds its own term.
def s_1(initializer: str) -> float:
    """The first S-transform coefficient of the hidden kernels: 0 orthogonal, -1 i.i.d. (every other)."""
    return 0.0 if initializer == "orthogonal" else -1.0


def jacobian_spectrum(activation: str, initializer: str, width: int, depth: int, input_sq_norms) -> dict:
    """Predicted mean and normalised variance of the squared singular values of dh_L / dh_1 (L = depth)
    of an untrained net of the study (zero biases), per probe image along its own q trajectory, then
    averaged over the images: ``mean_sq`` = E[lambda], ``var_sq`` = Var(lambda) / E[lambda]^2."""
    _, dphi = _phi(activation)
    sq = np.asarray(input_sq_norms, dtype=float).ravel()
    s_w2 = sigma_w2(initializer, width, activation=activation)
    q1 = weight_variance(initializer, 28 * 28, width, activation) * sq
    qs, chis = trajectory(activation, s_w2, q1, depth)  # (depth, images)
    inner = qs[1:]  # layers 2..L
    mu1 = gauss(lambda x: dphi(x) ** 2, inner)
    mu2 = gauss(lambda x: dphi(x) ** 4, inner)
    var = np.sum(mu2 / mu1**2 - 1.0 - s_1(initializer), axis=0)
    return dict(mean_sq=float(np.mean(np.prod(chis[1:], axis=0))), var_sq=float(np.mean(var)))


# Yang, Pennington, Rao, Sohl-Dickstein & Schoenholz 2019 (A mean field theory of batch normalization):
# with BatchNorm on batch statistics, gradients explode at initialisation, whatever sigma_w^2. For a
# wide net and a batch of B images, a unit's pre-BatchNorm z over the batch is Gaussian and, by the
# images' symmetry, isotropic once centred: z = s g with g uniform in direction on the centred
# (B - 1)-dimensional space. BatchNorm maps it to u = P z / sigma, P = I - 11^T / B the centring,
# sigma^2 = |P z|^2 / B + epsilon; its Jacobian is J = (P - w w^T) / sigma, w = P z / (sqrt(B) sigma).
# Going back one layer, dL/dz (centred over the batch, so its covariance is a multiple of P) is mapped
# by sigma_w^2 J D P D J, D = diag phi'(u): E|dL/dz_l|^2 / E|dL/dz_{l+1}|^2 = sigma_w^2 E[tr(J D P D J)]
# / (B - 1), with s^2 = sigma_w^2 E[phi(u)^T P phi(u)] / (B - 1) from the forward pass. sigma_w^2 cancels
# (but for epsilon), and for ReLU as B grows the rate tends to 1 / (2 Var relu(u)) = pi / (pi - 1).
BATCHNORM_SAMPLES = 20000  # Monte Carlo draws of the batch: the rate to about 0.1 %


def batchnorm_gradient_rate(activation: str, batch: int, s_w2: float = 1.0, samples: int = BATCHNORM_SAMPLES,
                            seed: int = 0) -> float:  # fmt: skip
    """E[(dL/dz_l)^2] / E[(dL/dz_{l+1})^2] of a wide BatchNorm net at initialisation (batch statistics over
    ``batch`` images), by Monte Carlo over the batch's directions, with Keras' epsilon; see above."""
    return _batchnorm_rate(activation, int(batch), float(s_w2), int(samples), int(seed))


@functools.lru_cache(maxsize=64)
def _batchnorm_rate(activation: str, batch: int, s_w2: float, samples: int, seed: int) -> float:
    phi, dphi = _phi(activation)
    if batch < 4:
        raise NoPrediction(f"BatchNorm's gradient rate needs a batch of at least 4 images, not {batch}")
    rng = np.random.default_rng(seed)
    chunks = [min(2000, samples - start) for start in range(0, samples, 2000)]
    draws = [rng.standard_normal((n, batch)) for n in chunks]
    draws = [g - g.mean(axis=1, keepdims=True) for g in draws]  # P g: isotropic on the centred space

    def batchnorm(g, s2):
        sigma = np.sqrt(s2 * (g**2).sum(axis=1, keepdims=True) / batch + BATCHNORM_EPSILON)
        return np.sqrt(s2) * g / sigma, sigma

    s2 = 1.0
    for _ in range(4):  # the forward fixed point of s^2 (epsilon makes u depend on it, slightly)
        spread = 0.0
        for g in draws:
            a = phi(batchnorm(g, s2)[0])
            spread += float(((a - a.mean(axis=1, keepdims=True)) ** 2).sum())
        s2 = s_w2 * spread / samples / (batch - 1)
    # tr(J D P D J) = |P D J|_F^2 = (tr(P D P D) - 2 |b|^2 + |b|^2 |w|^2) / sigma^2, b = P D w, per draw
    total = 0.0
    for g in draws:
        u, sigma = batchnorm(g, s2)
        w, d = u / np.sqrt(batch), dphi(u)
        dw = d * w
        b2 = ((dw - dw.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
        d2, d1 = (d**2).sum(axis=1), d.sum(axis=1)
        trace = d2 - 2 * d2 / batch + d1**2 / batch**2
        total += float(((trace - 2 * b2 + b2 * (w**2).sum(axis=1)) / sigma[:, 0] ** 2).sum())
    return s_w2 * total / samples / (batch - 1)


def batchnorm_profile(activation: str, initializer: str, width: int, depth: int, batch: int) -> pd.DataFrame:
    """``profile``'s columns for a BatchNorm net on batch statistics: z after BatchNorm has q = 1 at every
    layer (gamma 1, beta 0; less epsilon's share), dL/dz grows by ``batchnorm_gradient_rate`` per layer
    towards the input, and dL/dW_l, which is dL/dz_l over the std of z before BatchNorm times the layer's
    input, in proportion to dL/dz_l / sqrt(fan-in Var(W_l)), so layer 1's differs by its fan."""
    phi, _ = _phi(activation)
    rate = batchnorm_gradient_rate(activation, batch, sigma_w2(initializer, width, False, activation))
    layer = np.arange(1, depth + 1)
    dz_rel = rate ** ((depth - layer) / 2.0)
    fan_var = np.full(depth, sigma_w2(initializer, width, False, activation))
    fan_var[0] = 28 * 28 * weight_variance(initializer, 28 * 28, width, activation)
    dw_rel = dz_rel / np.sqrt(fan_var / fan_var[-1])
    a_rms = math.sqrt(float(gauss(lambda x: phi(x) ** 2, 1.0)))
    return pd.DataFrame(
        {
            "layer": layer,
            "q": np.ones(depth),
            "z_rms": np.ones(depth),
            "a_rms": np.full(depth, a_rms),
            "chi": np.append(np.full(depth - 1, rate), np.nan),
            "dz_rel": dz_rel,
            "dw_rel": dw_rel,
        }
    )


# Yang & Schoenholz 2017 (Mean field residual networks: on the edge of chaos), the full residual net that
# ``models.ResidualBlock`` builds: h_1 = phi(z_1), and from layer 2 on h_l = h_(l-1) + phi(z_l) V_l,
# z_l = h_(l-1) W_l, V_l of variance sigma_v^2 / width. With Q_l = E[h_l^2]: q_l = sigma_w^2 Q_(l-1) and
# Q_l = Q_(l-1) + sigma_v^2 E[phi(z_l)^2] (V has mean 0: the branch adds no mean and no cross term with
# the skip); going back, E[(dL/dh_(l-1))^2] =
# (1 + sigma_v^2 chi(q_l)) E[(dL/dh_l)^2]. The signal and the gradient change additively, not by a fixed
# factor: for ReLU Q grows by (1 + sigma_v^2 sigma_w^2 / 2) per layer, for tanh by steps that shrink as
# Q grows (Q ~ l), and the gradient of a residual tanh net as exp(Theta(sqrt(l))).
def residual_profile(activation: str, initializer: str, width: int, depth: int, input_sq_norms,
                     scale: float) -> pd.DataFrame:  # fmt: skip
    """``profile``'s columns for a residual net (branch scale sigma_v = ``scale``): z is a branch's
    pre-activation (q), a_rms the layer's output h (what the next layer and the logits read), chi the
    factor 1 + sigma_v^2 chi(q_l) by which E[(dL/dh)^2] grows going back through layer l."""
    phi, dphi = _phi(activation)
    sq = _probe_quantiles(input_sq_norms)
    s_w2 = sigma_w2(initializer, width, False, activation)
    q = weight_variance(initializer, 28 * 28, width, activation) * sq
    qs, big_q, slope2, growth = [q], [gauss(lambda x: phi(x) ** 2, q)], [gauss(lambda x: dphi(x) ** 2, q)], []
    for _ in range(depth - 1):
        q = s_w2 * big_q[-1]
        qs.append(q)
        big_q.append(big_q[-1] + scale**2 * gauss(lambda x: phi(x) ** 2, q))
        slope2.append(gauss(lambda x: dphi(x) ** 2, q))
        growth.append(1.0 + scale**2 * s_w2 * slope2[-1])
    qs, big_q, slope2 = np.array(qs), np.array(big_q), np.array(slope2)  # (depth, images)
    h_grad = np.ones_like(qs)  # E[(dL/dh_l)^2] / E[(dL/dh_L)^2]
    for layer in range(depth - 2, -1, -1):
        h_grad[layer] = h_grad[layer + 1] * growth[layer]
    branch = np.full((depth, 1), scale**2)
    branch[0] = 1.0  # layer 1 has no skip: dL/dz_1 = phi'(z_1) dL/dh_1
    dz2 = (branch * slope2 * h_grad).mean(axis=1)
    inputs = np.concatenate([[sq.mean() / (28 * 28)], big_q[:-1].mean(axis=1)])
    dw2 = inputs * dz2
    chis = np.array([g.mean() for g in growth] + [np.nan]) if depth > 1 else np.array([np.nan])
    return pd.DataFrame(
        {
            "layer": np.arange(1, depth + 1),
            "q": qs.mean(axis=1),
            "z_rms": np.sqrt(qs.mean(axis=1)),
            "a_rms": np.sqrt(big_q.mean(axis=1)),
            "chi": chis,
            "dz_rel": np.sqrt(dz2 / dz2[-1]),
            "dw_rel": np.sqrt(dw2 / dw2[-1]),
        }
    )
