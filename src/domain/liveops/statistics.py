"""The distributions and tests an experiment's scorecard needs, from the standard library (math.erfc, lgamma).

Two-sided p-values: a two-proportion z-test for conversion rates, Welch's t-test for revenue per exposed player, and
a chi-square goodness-of-fit test for a Sample Ratio Mismatch. None means the test has nothing to say (an empty arm,
no variance at all).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

_BETA_EPSILON = 1e-15
_BETA_TINY = 1e-300
_BETA_MAX_TERMS = 500


def normal_two_sided(z: float) -> float:
    """P(|Z| ≥ |z|) for a standard normal Z: erfc(|z|/√2), exact in the tails where 1 − Φ would cancel."""
    return math.erfc(abs(z) / math.sqrt(2.0))


def chi_square_sf(x: float, df: int) -> float:
    """P(X ≥ x) for X ~ χ²(df), df ≥ 1: the closed forms of the regularised upper gamma at half-integer shape
    (a Poisson sum for even df; erfc plus a sum for odd df)."""
    if df < 1:
        raise ValueError("df must be at least 1")
    if x <= 0.0:
        return 1.0
    y = x / 2.0
    if df % 2 == 0:
        term, total = 1.0, 1.0  # Σ_{i<df/2} y^i / i!
        for i in range(1, df // 2):
            term *= y / i
            total += term
        return min(1.0, math.exp(-y) * total)
    total = math.erfc(math.sqrt(y))
    term = math.sqrt(y) * 2.0 / math.sqrt(math.pi)  # y^{j-1/2} / Γ(j+1/2) at j = 1
    for j in range(1, (df + 1) // 2):
        total += math.exp(-y) * term
        term *= y / (j + 0.5)
    return min(1.0, total)


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the regularised incomplete beta (modified Lentz evaluation)."""
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > _BETA_TINY else _BETA_TINY)
    result = d
    for m in range(1, _BETA_MAX_TERMS):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _BETA_TINY else _BETA_TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _BETA_TINY else _BETA_TINY
            result *= c * d
        if abs(c * d - 1.0) < _BETA_EPSILON:
            break
    return result


def incomplete_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), the regularised incomplete beta function, for a, b > 0 and 0 ≤ x ≤ 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):  # the fraction converges fast on this side; use the symmetry on the other
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, 1.0 - x) / b


def student_two_sided(t: float, df: float) -> float:
    """P(|T| ≥ |t|) for Student's T with df > 0 degrees of freedom (df need not be whole: Welch)."""
    return incomplete_beta(df / 2.0, 0.5, df / (df + t * t))


@dataclass(frozen=True)
class Arm:
    """One variant's sufficient statistics: players exposed, players converted, Σ revenue and Σ revenue²."""

    exposed: int
    converted: int = 0
    revenue: int = 0
    revenue_squares: int = 0

    @property
    def rate(self) -> float:
        return self.converted / self.exposed if self.exposed else 0.0

    @property
    def mean_revenue(self) -> float:
        return self.revenue / self.exposed if self.exposed else 0.0

    @property
    def revenue_variance(self) -> float:
        """The sample variance of revenue per player (n − 1 in the denominator)."""
        if self.exposed < 2:
            return 0.0
        spread = self.revenue_squares - self.revenue * self.revenue / self.exposed
        return max(0.0, spread / (self.exposed - 1))


def two_proportion_p(control: Arm, treatment: Arm) -> float | None:
    """Two-sided p of H0: equal conversion rates, by the pooled two-proportion z-test."""
    n1, n2 = control.exposed, treatment.exposed
    if n1 == 0 or n2 == 0:
        return None
    pooled = (control.converted + treatment.converted) / (n1 + n2)
    variance = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)
    if variance <= 0.0:
        return None  # nobody or everybody converted: no evidence either way
    return normal_two_sided((treatment.rate - control.rate) / math.sqrt(variance))


def welch_p(control: Arm, treatment: Arm) -> float | None:
    """Two-sided p of H0: equal mean revenue per exposed player, by Welch's unequal-variance t-test."""
    if control.exposed < 2 or treatment.exposed < 2:
        return None
    s1 = control.revenue_variance / control.exposed
    s2 = treatment.revenue_variance / treatment.exposed
    if s1 + s2 <= 0.0:
        return None
    t = (treatment.mean_revenue - control.mean_revenue) / math.sqrt(s1 + s2)
    df = (s1 + s2) ** 2 / (s1 * s1 / (control.exposed - 1) + s2 * s2 / (treatment.exposed - 1))
    return student_two_sided(t, df)


def goodness_of_fit_p(observed: Sequence[int], expected: Sequence[float]) -> float | None:
    """Pearson's chi-square goodness of fit; cells expected to be empty are left out (and must be empty)."""
    if any(o > 0 for o, e in zip(observed, expected, strict=True) if e <= 0.0):
        return 0.0  # players in an arm that was given no traffic: as mismatched as a ratio can be
    cells = [(o, e) for o, e in zip(observed, expected, strict=True) if e > 0.0]
    if len(cells) < 2 or sum(o for o, _ in cells) == 0:
        return None
    statistic = sum((o - e) ** 2 / e for o, e in cells)
    return chi_square_sf(statistic, len(cells) - 1)
