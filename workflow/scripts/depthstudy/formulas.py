"""Closed forms of LeCun's scaled tanh (LeCun et al. 1998, Efficient BackProp, section 4.4).

    f(x)  = A tanh(B x) + C x,   A = 1.7159, B = 2/3, C = 0.01
    f'(x) = A B sech^2(B x) + C

sech^2 lies in (0, 1], so f' lies in (C, A B + C] = (0.01, 1.15393]. The maximum is at x = 0.
The report writes the upper bound as 155393/100000 = 1.55393; A B + C = 1.15393 (a digit slip).
Plain numpy, so the plotting environment can draw the function without TensorFlow.
"""

from __future__ import annotations

import numpy as np

LECUN_A = 1.7159
LECUN_B = 2.0 / 3.0
LECUN_C = 0.01
REPORT_DERIVATIVE_MAX = 1.55393  # the report's stated upper bound of f', kept to compare against


def lecun(x):
    return LECUN_A * np.tanh(LECUN_B * x) + LECUN_C * x


def lecun_derivative(x):
    return LECUN_A * LECUN_B / np.cosh(LECUN_B * x) ** 2 + LECUN_C


def lecun_derivative_range() -> tuple[float, float]:
    """(infimum, maximum) of f': the infimum C is approached as |x| grows, never reached."""
    return LECUN_C, LECUN_A * LECUN_B + LECUN_C


def tanh_derivative(x):
    return 1.0 / np.cosh(x) ** 2
