"""The scorecard's tests give the textbook p-values, find a real effect, and are not fooled when there is none."""

from __future__ import annotations

import math
import random

import pytest

from src.domain.liveops.statistics import (
    Arm,
    chi_square_sf,
    goodness_of_fit_p,
    incomplete_beta,
    normal_two_sided,
    student_two_sided,
    two_proportion_p,
    welch_p,
)


@pytest.mark.parametrize(
    ("z", "p"), [(0.0, 1.0), (1.959963985, 0.05), (2.575829304, 0.01), (3.290526731, 0.001), (-1.644853627, 0.1)]
)
def test_normal_two_sided_tail_matches_the_tables(z: float, p: float) -> None:
    assert normal_two_sided(z) == pytest.approx(p, rel=1e-8)


@pytest.mark.parametrize(
    ("x", "df", "p"),
    [
        (3.841458821, 1, 0.05),
        (10.82756617, 1, 0.001),
        (5.991464547, 2, 0.05),
        (7.814727903, 3, 0.05),
        (13.27670414, 4, 0.01),
        (11.07049769, 5, 0.05),
        (16.91897760, 9, 0.05),
        (27.87716487, 9, 0.001),
        (0.0, 3, 1.0),
    ],
)
def test_chi_square_survival_matches_the_tables(x: float, df: int, p: float) -> None:
    assert chi_square_sf(x, df) == pytest.approx(p, rel=1e-7)


@pytest.mark.parametrize(
    ("t", "df", "p"),
    [(12.70620474, 1, 0.05), (2.228138852, 10, 0.05), (2.845339710, 20, 0.01), (1.983971519, 100, 0.05)],
)
def test_student_two_sided_tail_matches_the_tables(t: float, df: float, p: float) -> None:
    assert student_two_sided(t, df) == pytest.approx(p, rel=1e-7)


def test_incomplete_beta_closed_forms() -> None:
    assert incomplete_beta(1.0, 1.0, 0.3) == pytest.approx(0.3)  # uniform
    assert incomplete_beta(2.0, 1.0, 0.5) == pytest.approx(0.25)  # x^a
    assert incomplete_beta(0.5, 0.5, 0.5) == pytest.approx(0.5)  # arcsine, symmetric
    assert incomplete_beta(3.0, 4.0, 0.999) == pytest.approx(1.0 - 0.001**4 * (1 + 4 * 0.999 + 10 * 0.999**2), rel=1e-9)


def test_two_proportion_z_test_by_hand() -> None:
    control, treatment = Arm(exposed=1000, converted=100), Arm(exposed=1000, converted=130)
    pooled = 230 / 2000
    z = 0.03 / math.sqrt(pooled * (1 - pooled) * (2 / 1000))

    assert two_proportion_p(control, treatment) == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert two_proportion_p(control, Arm(0)) is None
    assert two_proportion_p(Arm(10, 0), Arm(10, 0)) is None  # nobody converted anywhere: no evidence


def test_welch_t_test_by_hand() -> None:
    a, b = [0, 0, 499, 0, 999, 0], [499, 0, 999, 1999, 0, 499, 0]
    control = Arm(len(a), revenue=sum(a), revenue_squares=sum(x * x for x in a))
    treatment = Arm(len(b), revenue=sum(b), revenue_squares=sum(x * x for x in b))
    m1, m2 = sum(a) / len(a), sum(b) / len(b)
    v1 = sum((x - m1) ** 2 for x in a) / (len(a) - 1)
    v2 = sum((x - m2) ** 2 for x in b) / (len(b) - 1)
    se1, se2 = v1 / len(a), v2 / len(b)
    t = (m2 - m1) / math.sqrt(se1 + se2)
    df = (se1 + se2) ** 2 / (se1**2 / (len(a) - 1) + se2**2 / (len(b) - 1))

    assert welch_p(control, treatment) == pytest.approx(student_two_sided(t, df))
    assert 0.2 < student_two_sided(t, df) < 0.6  # a small sample and a small difference: nothing significant


def _arm(rng: random.Random, players: int, rate: float, price: int = 499) -> Arm:
    converted = sum(rng.random() < rate for _ in range(players))
    return Arm(players, converted, converted * price, converted * price * price)


def test_a_known_effect_is_found() -> None:
    rng = random.Random(7)
    for _ in range(5):
        control, treatment = _arm(rng, 5000, 0.10), _arm(rng, 5000, 0.13)
        p = two_proportion_p(control, treatment)
        revenue_p = welch_p(control, treatment)
        assert p is not None
        assert p < 0.01
        assert revenue_p is not None
        assert revenue_p < 0.01


def test_without_an_effect_p_values_are_uniform_not_systematically_small() -> None:
    rng = random.Random(2026)
    p_values = [two_proportion_p(_arm(rng, 2000, 0.1), _arm(rng, 2000, 0.1)) for _ in range(1000)]
    revenue = [welch_p(_arm(rng, 500, 0.1), _arm(rng, 500, 0.1)) for _ in range(1000)]

    for sample in (p_values, revenue):
        values = [p for p in sample if p is not None]
        below_5 = sum(p < 0.05 for p in values) / len(values)
        assert 0.03 <= below_5 <= 0.07, below_5  # 5 % ± 3 standard errors of 1000 draws
        assert 0.45 <= sum(values) / len(values) <= 0.55  # a uniform mean


def test_goodness_of_fit_flags_a_60_40_split_of_a_50_50_promise() -> None:
    assert (p := goodness_of_fit_p([600, 400], [500.0, 500.0])) is not None
    assert p < 1e-9
    assert (p := goodness_of_fit_p([507, 493], [500.0, 500.0])) is not None
    assert p > 0.5
    assert goodness_of_fit_p([0, 0], [0.0, 0.0]) is None
    assert goodness_of_fit_p([10, 3], [13.0, 0.0]) == 0.0  # players in an arm given no traffic
