"""The market ATM term structure from CBOE's VIX9D, VIX, VIX3M and VIX6M (offline.market.volatility_surface)."""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from offline.market.market_data import load_market_data
from offline.market.volatility_surface import (
    DEFAULT_SURFACE,
    TERM_TENOR_DAYS,
    VolatilityTerm,
    atm_volatility,
    implied_volatility_surface,
)
from offline.report.outputs import term_structure_days

P = DEFAULT_SURFACE
AUG_5 = VolatilityTerm((0.4279, 0.3857, 0.3371, 0.3028))  # the 2024-08-05 closes (data README cross-checks)
CALM = VolatilityTerm((0.1515, 0.1735, 0.1898, 0.2055))  # 2024-12-31: upward sloping
TENORS = np.array(TERM_TENOR_DAYS) / 365.0


@pytest.mark.parametrize("term", [AUG_5, CALM])
def test_at_the_index_tenors_the_atm_is_the_ratio_times_the_index(term: VolatilityTerm) -> None:
    vix = term.closes[1]
    atm = atm_volatility(vix, TENORS, P, term)
    np.testing.assert_allclose(atm, P.term_atm_ratio * np.array(term.closes), rtol=1e-12)


def test_total_variance_is_linear_between_tenors_and_flat_vol_below_nine_days() -> None:
    vix = CALM.closes[1]
    mid = (TENORS[1] + TENORS[2]) / 2.0
    w = atm_volatility(vix, np.array([TENORS[1], mid, TENORS[2]]), P, CALM) ** 2 * np.array([TENORS[1], mid, TENORS[2]])
    assert w[1] == pytest.approx((w[0] + w[2]) / 2.0, rel=1e-12)
    short = atm_volatility(vix, np.array([1.0, 5.0]) / 365.0, P, CALM)
    np.testing.assert_allclose(short, P.term_atm_ratio * CALM.closes[0], rtol=1e-12)


def test_an_inverted_curve_keeps_total_variance_non_decreasing() -> None:
    steep = VolatilityTerm((0.90, 0.40, 0.20, 0.15))  # 0.9^2 x 9 days > 0.4^2 x 30 days: clipped
    t = np.linspace(1.0, 700.0, 400) / 365.0
    w = atm_volatility(0.40, t, P, steep) ** 2 * t
    assert np.all(np.diff(w) >= -1e-15)


def test_past_six_months_the_forward_variance_reverts_to_the_long_run() -> None:
    far = atm_volatility(AUG_5.closes[1], np.array([1.0, 2.0, 20.0]), P, AUG_5)
    assert far[0] > far[1] > far[2] > P.long_run_vol
    assert far[2] == pytest.approx(P.long_run_vol, abs=0.01)


def test_the_2024_08_05_spike_the_long_end_barely_moves() -> None:
    """At the VIX high (65.73), VIX6M moved to 30.28 x (65.73/38.57)^0.37 = 36.9 (published high
    37.69); the one-year ATM stays near 25%, where the model's own term puts it at 38.5% (46.5% before this calibration)."""
    moved = AUG_5.indices(np.array(0.6573))
    assert moved[3] == pytest.approx(0.369, abs=0.002) and abs(moved[3] - 0.3769) < 0.01
    year = float(atm_volatility(0.6573, 1.0, P, AUG_5))
    own = float(atm_volatility(0.6573, 1.0, P))
    assert 0.22 < year < 0.28 and own > 0.35
    # the short end moves with the spike: VIX9D x (65.73 / 38.57)^1.28
    expected = P.term_atm_ratio * 0.4279 * (0.6573 / 0.3857) ** 1.28
    assert float(atm_volatility(0.6573, 1.0 / 365.0, P, AUG_5)) == pytest.approx(expected, rel=1e-12)


def test_rows_with_their_own_day() -> None:
    closes = np.array([AUG_5.closes, CALM.closes])
    both = VolatilityTerm(closes)
    iv = implied_volatility_surface(np.array([0.3857, 0.1735]), 500.0, 480.0, np.array([0.1, 0.1]), P, both)
    one = [float(implied_volatility_surface(v, 500.0, 480.0, 0.1, P, t)) for v, t in ((0.3857, AUG_5), (0.1735, CALM))]
    np.testing.assert_allclose(iv, one, rtol=1e-12)


@pytest.mark.parametrize("closes", [(0.2, 0.2, 0.2), (0.2, 0.0, 0.2, 0.2), (0.2, float("nan"), 0.2, 0.2)])
def test_bad_closes_are_refused(closes: tuple[float, ...]) -> None:
    with pytest.raises(ValueError):
        VolatilityTerm(closes)  # type: ignore[arg-type]


def test_days_without_an_index_use_the_model_term_and_the_summary_says_so(shared_data: Path, tmp_path: Path) -> None:
    copy = tmp_path / "data"
    shutil.copytree(shared_data / "daily", copy / "daily")
    shutil.copytree(shared_data / "rates", copy / "rates")
    vix6m = (copy / "daily" / "VIX6M_cboe.csv").read_text().splitlines()
    (copy / "daily" / "VIX6M_cboe.csv").write_text(
        "\n".join(line for line in vix6m if not line.startswith(("2024-08-05", "2024-08-06"))) + "\n")
    market = load_market_data(copy, date(2024, 8, 1), date(2024, 8, 9))
    friday = market.volatility_term(date(2024, 8, 2))
    assert friday is not None and friday.closes == pytest.approx((0.2331, 0.2339, 0.2334, 0.2298))
    assert market.volatility_term(date(2024, 8, 5)) is None
    days = [d.astype(object) for d in market.sessions[market.sessions >= np.datetime64("2024-08-01")]]
    assert term_structure_days(market, days) == {"market_days": 5, "model_days": 2,
                                                 "model_day_spans": [["2024-08-05", "2024-08-06"]]}
    (copy / "daily" / "VIX3M_cboe.csv").unlink()
    market = load_market_data(copy, date(2024, 8, 1), date(2024, 8, 9))
    assert term_structure_days(market, days)["model_days"] == 7


def test_only_the_index_closes_are_read(shared_data: Path) -> None:
    """CBOE's VIX6M bar of 2019-07-05 has its open above its high; only the close (15.99) is used,
    so even a strict load keeps the day on the market term structure."""
    market = load_market_data(shared_data, date(2019, 7, 1), date(2019, 7, 12), strict=True)
    term = market.volatility_term(date(2019, 7, 5))
    assert term is not None and term.closes[3] == pytest.approx(0.1599)
    assert market.data_issues == ()
