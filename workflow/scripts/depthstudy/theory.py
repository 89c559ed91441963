"""Mean-field signal propagation: what the 1.C and 1.D profiles should look like at initialisation.

Poole et al. 2016 (Exponential expressivity in deep neural networks through transient chaos) and
Schoenholz et al. 2017 (Deep Information Propagation). For a wide network whose hidden kernels have
variance sigma_w^2 / width and whose biases are 0 (Keras' default), a pre-activation z_l of layer l
is Gaussian over the weights with second moment q_l, and

    q_{l+1} = sigma_w^2 E[phi(sqrt(q_l) u)^2]            (u ~ N(0, 1); the variance map)
    chi_l   = sigma_w^2 E[phi'(sqrt(q_l) u)^2]           (E[dL/dz_l ^2] = chi_l E[dL/dz_{l+1} ^2])

so the rms of dL/dz shrinks (chi < 1) or grows (chi > 1) by sqrt(chi) per layer, going back from the
last hidden layer. E[phi^2] is the full second moment, not the variance: sigmoid's mean of 0.5
feeds the next layer. Two details of these networks:

- Layer 1 sees pixels, not Gaussian inputs: W_1 x is Gaussian over the weights with variance
  Var(W_1) |x|^2, so each probe image starts with its own q_1 = Var(W_1) |x|^2, and a predicted rms
  is the square root of the mean of q over the probe images (what the probe measures).
- The probe runs BatchNormalization in inference mode. Before training its moving statistics are 0
  and 1, so it divides z by sqrt(1 + epsilon) and nothing else: the epoch-0 profile of a BatchNorm
  net is a plain net's with sigma_w^2 / (1 + epsilon). Trained, BatchNorm uses batch statistics,
  which this theory does not describe, so it predicts no trainable depth for them.

Depth scales (Schoenholz et al.): at the fixed point q* of the variance map, chi_1 = chi(q*);
gradients change by chi_1 per layer, over xi_grad = 1 / |ln chi_1| layers. Correlations between two
inputs converge to their fixed point c* over xi_c = -1 / ln chi_c, where chi_c = sigma_w^2
E[phi'(u1) phi'(u2)] at c* (= chi_1 in the ordered phase, where c* = 1). Networks train up to about
6 xi_c layers. At chi_1 = 1 (tanh or ReLU+He under these inits) both scales are infinite: critical.

numpy only, so that the plotting environment computes it without TensorFlow.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

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

# E[f(u)], u ~ N(0, 1), as a weighted sum over a fine grid. An even number of points keeps 0 off
# the grid, so that a step in phi' (ReLU) costs no more accuracy than a smooth function does.
_U = np.linspace(-10.0, 10.0, 4000)
_W = np.exp(-0.5 * _U**2)
_W /= _W.sum()
# Two correlated Gaussians for the c-map: Gauss-Hermite nodes (smooth activations only need few).
_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(80)
_GH_W = _GH_W / _GH_W.sum()


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
    """E[f(sqrt(q) u)] for every q of an array."""
    q = np.asarray(q, dtype=float)
    return f(np.sqrt(q)[..., None] * _U) @ _W


def q_map(activation: str, s_w2: float, q) -> np.ndarray:
    phi, _ = _phi(activation)
    return s_w2 * gauss(lambda x: phi(x) ** 2, q)


def chi(activation: str, s_w2: float, q) -> np.ndarray:
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
    in every layer).
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


def fixed_point(activation: str, s_w2: float, q0: float = 1.0, steps: int = 5000) -> float:
    """q* that the variance map reaches from ``q0``: 0, a positive fixed point, or inf (it grows
    without bound, as ReLU's does for sigma_w^2 > 2)."""
    q = float(q0)
    for _ in range(steps):
        new = float(q_map(activation, s_w2, q))
        if not np.isfinite(new) or new > 1e12:
            return math.inf
        if abs(new - q) <= 1e-12 * max(q, 1e-300):
            return new
        q = new
    # slow (power-law) approach to 0, as tanh's at criticality: the fixed point is 0
    return q if q > 1e-3 else 0.0


def _c_map(activation: str, s_w2: float, q: float, c: float) -> tuple[float, float]:
    """(next correlation, chi_c) of two inputs with second moment q and correlation c."""
    phi, dphi = _phi(activation)
    z1, z2 = np.meshgrid(_GH_X, _GH_X, indexing="ij")
    w = np.outer(_GH_W, _GH_W)
    u1 = math.sqrt(q) * z1
    u2 = math.sqrt(q) * (c * z1 + math.sqrt(max(1.0 - c * c, 0.0)) * z2)
    return float(s_w2 * np.sum(w * phi(u1) * phi(u2)) / q), float(s_w2 * np.sum(w * dphi(u1) * dphi(u2)))


def _scale(x: float) -> float:
    """-1 / ln x, or 1 / |ln x|: the depth over which a factor x per layer changes things by e."""
    if not np.isfinite(x) or x <= 0:
        return 0.0
    if abs(math.log(x)) < 1e-9:
        return math.inf
    return 1.0 / abs(math.log(x))


def depth_scales(activation: str, initializer: str, width: int, batchnorm: bool = False) -> dict:
    """q*, chi_1 = chi(q*), c*, xi_grad, xi_c and the trainable depth 6 xi_c (None with BatchNorm)."""
    s_w2 = sigma_w2(initializer, width, batchnorm)
    q_star = fixed_point(activation, s_w2)
    # ReLU-like maps are homogeneous: chi does not depend on q, so q* = 0 or inf still has a chi_1
    q_at = q_star if 0 < q_star < math.inf else (1e-12 if q_star == 0 else 1.0)
    chi1 = float(chi(activation, s_w2, q_at))
    c_star, chi_c = 1.0, chi1
    if chi1 > 1 + 1e-9 and 0 < q_star < math.inf:  # chaotic: two inputs decorrelate to c* < 1
        c = 0.5
        for _ in range(2000):
            new, _ = _c_map(activation, s_w2, q_star, c)
            if abs(new - c) < 1e-12:
                break
            c = new
        c_star = c
        chi_c = _c_map(activation, s_w2, q_star, c_star)[1]
    xi_c = _scale(chi_c)
    return dict(
        sigma_w2=s_w2,
        q_star=q_star,
        chi_1=chi1,
        c_star=c_star,
        xi_grad=_scale(chi1),
        xi_c=xi_c,
        trainable_depth=None if batchnorm else TRAINABLE_XI * xi_c,
    )
