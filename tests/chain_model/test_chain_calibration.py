"""The chain model against every real option quote of ../shared/data/options (real data only).

Goals (out of sample, 10-50 delta): IV error at most 1.5 volatility points overall and at most 3
in every bucket with 30 or more contracts (the 0-7 DTE buckets of the SPX 2019 chains, whose
snapshot time is unknown, are held to 3.5: the stated gap); bid/ask spreads near the real ones.
"""
from __future__ import annotations

import math
from dataclasses import asdict
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from offline.market.chain_calibration import (
    FITTED_SURFACE_FIELDS,
    bucket_report,
    day_report,
    fit_spread_parameters,
    fit_surface_parameters,
    in_sample,
    model_iv,
    overall,
    term_elasticities,
    write_chain_csv,
)
from offline.market.market_data import load_market_data
from offline.market.market_inputs import market_inputs
from offline.market.quote_spreads import DEFAULT_SPREADS, INDEX_SPREAD_ROOTS, INDEX_SPREADS
from offline.market.real_quotes import load_real_quotes
from offline.market.volatility_surface import DEFAULT_SURFACE, TERM_ELASTICITIES, TERM_INDICES


@pytest.fixture(scope="module")
def quotes(shared_data: Path) -> pd.DataFrame:
    return load_real_quotes(shared_data)


def test_every_real_option_file_is_in_the_table(quotes: pd.DataFrame) -> None:
    days = quotes.groupby("source")["day"].nunique().to_dict()
    assert days == {"SPX 2019": 56, "SPY 2021": 252, "SPY 2015-01-05": 1, "SPY 2019-09-06": 1,
                    "SPX 2015-12 LEAN": 2, "ES 2020-01 LEAN": 2}
    assert len(quotes) > 150_000
    assert quotes["abs_delta"].between(0.05, 0.5).all() and quotes["dte"].between(1, 730).all()
    assert np.datetime64("2015-01-02") not in quotes.loc[quotes["source"] == "SPY 2015-01-05", "expiry"].to_numpy()
    yahoo = quotes[quotes["source"] == "SPY 2019-09-06"]
    assert pd.Timestamp("2021-03-19") in set(yahoo["expiry"])  # rows with an empty expiry column recovered


def test_market_iv_against_independent_figures(quotes: pd.DataFrame, shared_data: Path) -> None:
    # the data README's parity check: SPXW 2019-06-21 forward on 2019-05-31 is 2756.56 +- 0.05
    spxw = quotes[(quotes["day"] == "2019-05-31") & (quotes["expiry"] == "2019-06-21")]
    assert set(spxw["root"]) == {"SPXW"} and spxw["forward"].iloc[0] == pytest.approx(2756.56, abs=0.05)
    # our IVs from the mids against the vendor's IVs of the SPY 2021 slice
    raw = pd.read_csv(shared_data / "options" / "SPY_2021_slice_eod.csv.gz")
    raw = raw.assign(day=pd.to_datetime(raw["quote_date"]), expiry=pd.to_datetime(raw["expiration"]),
                     call=raw["type"] == "call")
    both = quotes.merge(raw[["day", "expiry", "strike", "call", "implied_vol"]], on=["day", "expiry", "strike", "call"])
    assert len(both) > 3500
    assert float((both["market_iv"] - both["implied_vol"]).abs().median()) < 0.006
    # The Feb-2015 ATM IVs sit a few points below the VIX (19.92), as on the real chain.
    feb = quotes[(quotes["expiry"] == "2015-02-20") & ((quotes["strike"] - 202.0).abs() <= 1.0)]
    assert 0.15 < float(feb["market_iv"].mean()) < 0.19


def test_in_and_out_of_sample_days(quotes: pd.DataFrame) -> None:
    inside = quotes[in_sample(quotes)]
    assert set(inside["source"]) == {"SPX 2019", "SPY 2021"}
    assert inside["day"].max() == pd.Timestamp("2021-06-30")
    assert inside.loc[inside["source"] == "SPX 2019", "day"].nunique() == 29
    outside = quotes[~in_sample(quotes)]
    assert outside.loc[outside["source"] == "SPX 2019", "day"].min() == pd.Timestamp("2019-06-10")


def test_out_of_sample_iv_error_meets_the_goals(quotes: pd.DataFrame) -> None:
    pooled = overall(quotes).set_index("sample")
    assert pooled.loc["out", "contracts"] > 50_000
    assert pooled.loc["out", "mae"] <= 1.5
    days = day_report(quotes)
    assert (days["mae"] < 3.6).all()
    buckets = bucket_report(quotes)
    scored = buckets[(buckets["delta_bucket"] != "0.05-0.10") & (buckets["contracts"] >= 30)]
    assert len(scored) >= 40
    short = scored["dte_bucket"] == "0-7"
    assert (scored.loc[~short, "mae"] <= 3.0).all(), scored[~short].sort_values("mae").tail()
    assert (scored.loc[short, "mae"] <= 3.5).all(), scored[short].sort_values("mae").tail()


def test_the_model_beats_the_flat_vix_by_far(quotes: pd.DataFrame) -> None:
    out = quotes[~in_sample(quotes) & (quotes["abs_delta"] >= 0.1)]
    flat = float((out["vix"] - out["market_iv"]).abs().mean() * 100.0)
    for market_term in (True, False):
        model = float(np.abs(model_iv(out, DEFAULT_SURFACE, market_term) - out["market_iv"]).mean() * 100.0)
        assert model < 0.35 * flat, (market_term, model, flat)


def test_stored_defaults_are_what_the_fit_produces(quotes: pd.DataFrame) -> None:
    train = quotes[in_sample(quotes)]
    fitted = fit_surface_parameters(train)
    for name in FITTED_SURFACE_FIELDS:
        assert getattr(fitted, name) == pytest.approx(getattr(DEFAULT_SURFACE, name), rel=2e-3, abs=2e-4), name
    quoted = train[train["bid"].notna()]
    index = quoted["root"].isin(INDEX_SPREAD_ROOTS)
    assert asdict(fit_spread_parameters(quoted[~index])) == asdict(DEFAULT_SPREADS)
    assert asdict(fit_spread_parameters(quoted[index])) == asdict(INDEX_SPREADS)


def test_model_spreads_against_the_real_ones(quotes: pd.DataFrame) -> None:
    pooled = overall(quotes).set_index("sample")
    assert 0.8 <= pooled.loc["out", "spread_ratio"] <= 1.2
    buckets = bucket_report(quotes)
    scored = buckets[(buckets["delta_bucket"] != "0.05-0.10") & (buckets["contracts"] >= 30)]
    within = scored["spread_ratio"].between(0.8, 1.2)
    assert within.mean() >= 0.6  # the goal is every bucket: the gap is stated in the README
    assert scored["spread_ratio"].between(0.5, 2.0 + 1e-9).all()  # within a factor 2 everywhere (tick steps)


def test_stored_term_elasticities_are_what_the_indices_show(shared_data: Path) -> None:
    fitted = term_elasticities(shared_data)
    stored = dict(zip(TERM_INDICES, TERM_ELASTICITIES))
    for name, value in fitted.items():
        assert value == pytest.approx(stored[name], abs=0.01), name


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
    assert market.volatility_term(date(2024, 8, 5)).closes == (0.4279, 0.3857, 0.3371, 0.3028)


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
    # ATM on the CBOE term structure: 0.776 x the index level interpolated between VIX (38.57)
    # and VIX3M (33.71) in total variance at 46 days
    assert len(near) == 2 and 0.26 < near["iv"].iloc[0] < 0.30
    year = frame[(frame["expiry"] == "2025-06-20") & (frame["strike"] == 520.0)]
    assert 0.2 < year["iv"].iloc[0] < 0.3  # ten months out: about 0.25, not the spike's 0.46 of the model's own term
    with pytest.raises(KeyError):
        write_chain_csv(shared_data, "2024-08-05", "XYZ", tmp_path / "bad.csv")
