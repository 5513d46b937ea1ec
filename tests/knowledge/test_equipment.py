"""Which equipment is best, on the hand-made fleet (tests/knowledge/dataset.py): each figure against the answer
worked out by hand, the flag rule, the intervals against SciPy (installed with lifelines), and the survival curves
with censoring."""

from __future__ import annotations

import math

import pytest
from scipy.stats import beta as beta_distribution
from scipy.stats import chi2

from inventory.models import DeviceCategory
from knowledge.service import equipment, survival
from knowledge.service.stats import garwood, rate_interval, wilson
from support.service import figures
from support.service.figures import MONTH_SECONDS
from tests.knowledge.dataset import END, NOW, START, build

DAY_MONTHS = 86400 / MONTH_SECONDS  # device-months in one day at a citizen


@pytest.fixture
def fleet(session):
    return build(session)


def _rows(session, **kwargs):
    kinds = equipment.compare(session, start=START, end=END, now=NOW, **kwargs)
    return {k.category: k for k in kinds}, {r.name: r for k in kinds for r in k.rows}


def test_each_figure_of_a_model_is_counted_from_the_ledgers(session, fleet):
    _kinds, rows = _rows(session)
    alfa, beta = rows["Alfa"], rows["Beta"]
    assert (alfa.fleet, beta.fleet) == (10, 3)
    assert alfa.device_months == pytest.approx(449.5 * DAY_MONTHS)
    assert beta.device_months == pytest.approx(114 * DAY_MONTHS)
    assert (alfa.faults, beta.faults, rows["Sigma"].faults) == (1, 8, 3)
    assert (alfa.swaps, beta.swaps) == (0, 1)
    assert (alfa.turnaround.count, alfa.turnaround.median_days, alfa.turnaround.p90_days) == (2, 7, 11)
    assert beta.turnaround.count == 0  # B3's return went to repair
    assert (alfa.losses, alfa.non_returns, beta.losses, beta.non_returns) == (1, 1, 0, 0)
    assert alfa.losses_per_100 == 10 and alfa.lost_value == 4000 and beta.lost_value is None


def test_a_model_without_devices_in_the_period_is_left_out(session, fleet):
    _kinds, rows = _rows(session)
    assert "Zulu" not in rows and set(rows) == {"Alfa", "Beta", "Sigma"}


def test_the_model_whose_fault_interval_lies_above_its_kinds_pooled_rate_is_flagged(session, fleet):
    kinds, rows = _rows(session)
    tablets = kinds[DeviceCategory.TABLET]
    assert tablets.pooled_rate == pytest.approx(9 / (563.5 * DAY_MONTHS) * 100)
    assert round(tablets.pooled_rate, 1) == 48.6
    beta = rows["Beta"]
    assert round(beta.fault_rate, 1) == 213.6
    assert (round(beta.fault_ci.low, 1), round(beta.fault_ci.high, 1)) == (92.2, 420.9)
    assert beta.is_flagged and not rows["Alfa"].is_flagged
    sigma = rows["Sigma"]  # three times the tablets' rate, but alone in its kind: nothing to stand out from
    assert sigma.fault_rate > 3 * tablets.pooled_rate and sigma.pooled_rate is None and not sigma.is_flagged


def test_a_high_rate_on_few_months_is_not_flagged_when_its_interval_reaches_the_pooled_rate(session, fleet):
    _kinds, rows = _rows(session, category=DeviceCategory.TABLET)
    beta = rows["Beta"]
    one_fault = equipment.ModelRow(**{**beta.__dict__, "faults": 1, "device_months": 0.5})
    assert one_fault.fault_rate > beta.pooled_rate  # 200 per 100 device-months on one fault
    assert not one_fault.is_flagged  # its interval (5-1114) holds the pooled rate


def test_mtbf_is_days_at_citizens_per_fault_with_the_inverted_rate_interval(session, fleet):
    _kinds, rows = _rows(session)
    beta = rows["Beta"]
    assert beta.mtbf_days == pytest.approx(114 / 8)
    low, high = garwood(8).low, garwood(8).high
    assert (beta.mtbf_ci.low, beta.mtbf_ci.high) == (pytest.approx(114 / high), pytest.approx(114 / low))


def test_the_support_figures_count_the_same_faults(session, fleet):
    rows = {r.model: r for r in figures.model_figures(session, start=START, end=END, now=NOW)}
    assert (rows["Alfa"].faults, rows["Beta"].faults, rows["Beta"].swaps) == (1, 8, 1)
    assert rows["Beta"].device_months == round(114 * DAY_MONTHS, 2)


@pytest.mark.parametrize("count", [0, 1, 2, 3, 8, 20, 100, 999, 1001, 5000])
def test_garwood_agrees_with_the_chi_square_quantiles(count):
    interval = garwood(count)
    low = chi2.ppf(0.025, 2 * count) / 2 if count else 0.0
    high = chi2.ppf(0.975, 2 * count + 2) / 2
    tolerance = 1e-8 if count <= 1000 else 1e-4  # Byar's approximation past a thousand events
    assert interval.low == pytest.approx(low, rel=tolerance, abs=1e-12)
    assert interval.high == pytest.approx(high, rel=tolerance)


@pytest.mark.parametrize(("successes", "total"), [(0, 10), (1, 10), (5, 10), (10, 10), (3, 250)])
def test_wilson_brackets_the_share_and_is_narrower_than_the_exact_interval(successes, total):
    interval = wilson(successes, total)
    share = successes / total
    assert interval.low <= share <= interval.high
    exact_low = beta_distribution.ppf(0.025, successes, total - successes + 1) if successes else 0.0
    exact_high = beta_distribution.ppf(0.975, successes + 1, total - successes) if successes < total else 1.0
    assert interval.high - interval.low <= exact_high - exact_low  # Clopper-Pearson is conservative


def test_wilson_of_one_in_ten_is_the_textbook_value():
    interval = wilson(1, 10)  # Newcombe (1998), Stat Med 17:857, table II: 0.0179-0.4042
    assert (round(interval.low, 4), round(interval.high, 4)) == (0.0179, 0.4042)


def test_no_exposure_gives_no_interval():
    assert rate_interval(0, 0) is None and wilson(0, 0) is None
    assert math.isinf(equipment.ModelRow(1, "x", "x", DeviceCategory.TABLET, None, 1, 1.0, 0, 0,
                                         equipment.Turnaround(0, None, None), 0, 0, None).mtbf_ci.high)


def test_survival_counts_devices_without_a_fault_as_censored(session, fleet):
    curves = {c.name: c for c in survival.curves(session, [fleet.alfa.id, fleet.beta.id, fleet.zulu.id], now=NOW)}
    assert set(curves) == {"KN Alfa", "KN Beta"}  # Zulu has no device
    beta = curves["KN Beta"]
    assert (beta.devices, beta.faults, beta.median_days) == (3, 3, pytest.approx(45.5))
    steps = dict(zip(beta.times, beta.survival, strict=True))
    assert [round(steps[t], 4) for t in sorted(steps) if t > 0] == [round(2 / 3, 4), round(1 / 3, 4), 0.0]
    alfa = curves["KN Alfa"]
    assert (alfa.devices, alfa.faults, alfa.median_days) == (9, 1, None)  # A10, A11, A12 never served
    after_fault = [s for t, s in zip(alfa.times, alfa.survival, strict=True) if t >= 50.5]
    assert after_fault[0] == pytest.approx(7 / 8)  # 8 at risk: A7 left at 40.5 days without a fault
    by_days = {m.days: m for m in alfa.milestones}
    assert (by_days[30].at_risk, by_days[30].survival) == (9, 1.0)
    assert (by_days[90].at_risk, by_days[90].survival) == (5, pytest.approx(7 / 8))
    assert by_days[90].low < 7 / 8 < by_days[90].high


def test_a_fault_after_now_has_not_happened_yet(session, fleet):
    beta = survival.lives(session, [fleet.beta.id], now=START)[fleet.beta.id]  # 1 Jan: 31 days out, no fault yet
    assert sorted(round(days, 1) for days, _seen in beta) == [31.0, 31.0, 31.0]
    assert not any(seen for _days, seen in beta)
