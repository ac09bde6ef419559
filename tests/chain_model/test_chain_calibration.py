"""The chain model against the real option chains in ../shared/data/options (real data only)."""
from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from offline.chain_calibration import (
    CROSS_VALIDATION_GROUPS,
    FITTED_SURFACE_FIELDS,
    calibration_report,
    cross_validation_report,
    fit_spread_parameters,
    fit_surface_parameters,
    load_real_chains,
    market_inputs,
    spread_report,
    write_chain_csv,
)
from offline.chain_model import DEFAULT_SPREADS
from offline.market_data import load_market_data
from offline.volatility_surface import DEFAULT_SURFACE

EXPECTED_CHAINS = ["SPY 2015-01-05 EOD", "SPY 2019-09-06 Yahoo", "SPX 2015-12-22 LEAN", "SPX 2015-12-23 LEAN",
                   "ES 2020-01-03 LEAN", "ES 2020-01-06 LEAN"]


@pytest.fixture(scope="module")
def report(shared_data: Path) -> list[dict]:
    rows = calibration_report(shared_data)
    print("\nchain                  contracts  model MAE  flat-VIX MAE  (volatility points, 10-50 delta)")
    for r in rows:
        print(f"{r['chain']:<22} {r['contracts']:>9d} {r['mae_model_vol_points']:>10.2f} "
              f"{r['mae_flat_vix_vol_points']:>13.2f}")
    return rows


def test_every_real_chain_is_scored(report: list[dict]) -> None:
    assert [r["chain"] for r in report] == EXPECTED_CHAINS
    for r in report:
        assert r["contracts"] >= 30, r  # enough contracts at 10-50 delta for a meaningful mean


def test_model_error_is_at_most_two_vol_points_and_beats_flat_vix(report: list[dict]) -> None:
    for r in report:
        assert r["mae_model_vol_points"] <= 2.0, r
        assert r["mae_model_vol_points"] < r["mae_flat_vix_vol_points"], r
    spy = [r for r in report if r["chain"].startswith("SPY")]
    assert all(2.5 < r["mae_flat_vix_vol_points"] < 6.0 for r in spy)  # the flat VIX scores 3-5 points


def test_wings_are_close_too(report: list[dict]) -> None:
    for r in report:
        assert r["wing_contracts"] > 0 and r["mae_wing_vol_points"] <= 2.0, r


def test_error_holds_out_of_sample(shared_data: Path) -> None:
    rows = cross_validation_report(shared_data)
    assert {r["left_out"] for r in rows} == set(CROSS_VALIDATION_GROUPS)
    assert [r["chain"] for r in rows] == EXPECTED_CHAINS
    for r in rows:
        assert r["mae_model_vol_points"] <= 2.0, r


def test_stored_defaults_are_what_the_fit_produces(shared_data: Path) -> None:
    fitted = fit_surface_parameters(shared_data)
    for name in FITTED_SURFACE_FIELDS:
        assert getattr(fitted, name) == pytest.approx(getattr(DEFAULT_SURFACE, name), rel=2e-3, abs=2e-4), name
    spreads = fit_spread_parameters(shared_data)
    assert spreads == DEFAULT_SPREADS


def test_model_spreads_are_close_to_the_real_spy_spreads(shared_data: Path) -> None:
    for row in spread_report(shared_data):
        assert row["quotes"] > 1500
        assert row["median_abs_log_ratio"] < 0.6, row
        assert 0.5 < row["median_model_spread"] / row["median_real_spread"] < 1.5, row


def test_real_chain_market_iv_is_recomputed_from_quotes(shared_data: Path) -> None:
    chains = {c.name: c for c in load_real_chains(shared_data)}
    spy = chains["SPY 2015-01-05 EOD"]
    assert spy.inputs.underlying_price == 201.72 and spy.inputs.vol_level == pytest.approx(0.1992)
    assert np.all((spy.abs_delta >= 0.05) & (spy.abs_delta <= 0.5))
    assert np.datetime64("2015-01-02") not in spy.expiries
    # The Feb-2015 ATM IVs sit a few points below the VIX, as on the real chain.
    feb = (spy.expiries == np.datetime64("2015-02-20")) & (np.abs(spy.strikes - 202.0) <= 1.0)
    assert 0.15 < float(np.mean(spy.market_iv[feb])) < 0.19
    yahoo = chains["SPY 2019-09-06 Yahoo"]
    assert np.datetime64("2021-03-19") in yahoo.expiries  # rows with an empty expiry column recovered


def test_market_inputs_of_a_known_day(shared_data: Path) -> None:
    market = load_market_data(shared_data, date(2024, 8, 5), date(2024, 8, 5))
    spy = market_inputs(market, date(2024, 8, 5), "SPY")
    assert spy.underlying_price == 517.38 and spy.vol_level == pytest.approx(0.3857)
    assert spy.rate == pytest.approx(math.log(1.0535))
    assert 0.010 < spy.dividend_yield < 0.015  # about $6.8 of dividends over the trailing year
    es = market_inputs(market, date(2024, 8, 5), "MES")
    assert es.underlying_price == 5217.5 and es.dividend_yield == 0.0 and es.vol_level == spy.vol_level
    gold = market_inputs(market, date(2024, 8, 5), "GC")
    assert 0.08 < gold.vol_level < 0.4  # realised vol x premium: GC has no volatility index here
    xsp = market_inputs(market, date(2024, 8, 5), "XSP")
    assert xsp.underlying_price == pytest.approx(518.633)


def test_market_inputs_refuse_missing_or_negative_data(shared_data: Path) -> None:
    market = load_market_data(shared_data, date(2020, 4, 1), date(2020, 5, 29))
    with pytest.raises(ValueError, match="no SPY close"):
        market_inputs(market, date(2020, 4, 11), "SPY")  # a Saturday
    with pytest.raises(ValueError, match="returns"):
        market_inputs(market, date(2020, 4, 21), "CL")  # CL closed at -37.63 the day before


def test_write_chain_csv(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "spy.csv"
    assert write_chain_csv(shared_data, "2024-08-05", "SPY", out) == out
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["expiry", "strike", "right", "bid", "ask", "iv", "delta"]
    assert len(frame) > 5000
    assert frame["expiry"].min() == "2024-08-06"  # the 0DTE expired at the close
    assert set(frame["right"]) == {"call", "put"}
    assert (frame["ask"] > frame["bid"]).all() and (frame["iv"] > 0).all() and (frame["iv"] < 3).all()
    near = frame[(frame["expiry"] == "2024-09-20") & (frame["strike"] == 517.0)]
    assert len(near) == 2 and 0.28 < near["iv"].iloc[0] < 0.36  # ATM about 0.87 x VIX 38.57, term-adjusted
    with pytest.raises(KeyError):
        write_chain_csv(shared_data, "2024-08-05", "XYZ", tmp_path / "bad.csv")
