"""The stand-in's rules against LEAN's: hand-worked cases of each rule (the LEAN lines are cited
in rules.py), and the file format and time zones against LEAN's own sample files."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from tests.lean_standin import api, rules
from tests.lean_standin.lean_files import read_minute, write_minute
from tests.lean_standin.market_hours import entry_for, exchange_to_zone
from tests.lean_standin.rules import Bar, ComboLeg


def _leg(ratio: int, bid_low: float, bid_high: float, ask_low: float, ask_high: float) -> ComboLeg:
    return ComboLeg(ratio, Bar(bid_low, bid_high, bid_low, bid_high), Bar(ask_low, ask_high, ask_low, ask_high))


# An iron condor bought as one unit for a credit (positive quantity, negative limit): long 517 put,
# short 527 put, long 543 call, short 533 call. Bars: (bid low, bid high, ask low, ask high).
CONDOR = [_leg(1, 0.08, 0.10, 0.10, 0.12), _leg(-1, 0.35, 0.40, 0.37, 0.42),
          _leg(1, 0.06, 0.07, 0.08, 0.09), _leg(-1, 0.30, 0.33, 0.32, 0.35)]


def test_a_credit_combo_fills_from_each_legs_low_when_their_sum_is_below_the_limit() -> None:
    # Buy group: long legs at their ASK bar's low, short legs at their BID bar's low.
    # net = 0.10 - 0.35 + 0.08 - 0.30 = -0.47
    assert rules.combo_limit_fill(1, -0.40, CONDOR) == [0.10, 0.35, 0.08, 0.30]
    assert rules.combo_limit_fill(1, -0.47, CONDOR) is None  # strictly below the limit
    assert rules.combo_limit_fill(1, -0.50, CONDOR) is None


def test_a_sold_combo_fills_from_each_legs_high_when_their_sum_is_above_the_limit() -> None:
    # Sell group (negative quantity): legs that buy (ratio x quantity > 0) take the ask bar, the
    # others the bid bar, and every leg its HIGH. Long 517 put (ratio 1) now sells: bid high 0.10;
    # the short 527 put buys: ask high 0.42; 0.07 (bid) and 0.35 (ask). net = 0.10 - 0.42 + 0.07 - 0.35 = -0.60
    assert rules.combo_limit_fill(-1, -0.65, CONDOR) == [0.10, 0.42, 0.07, 0.35]
    assert rules.combo_limit_fill(-1, -0.60, CONDOR) is None


def test_an_equity_leg_counts_per_hundred_shares() -> None:
    covered = [ComboLeg(100, Bar(500, 501, 499, 500), Bar(500.1, 501.1, 499.5, 500.1), equity=True),
               _leg(-1, 2.0, 2.2, 2.1, 2.3)]
    # 1 x 499.5 (ask low) - 2.0 (bid low) = 497.5
    assert rules.combo_limit_fill(1, 498.0, covered) == [499.5, 2.0]
    assert rules.combo_limit_fill(1, 497.0, covered) is None


def test_a_single_limit_order_fills_at_the_worse_of_the_bar_and_the_limit() -> None:
    bar = Bar(1.00, 1.20, 0.90, 1.10)
    assert rules.limit_fill(1, 1.05, bar) == 1.05  # low 0.90 < 1.05: min(high 1.20, limit)
    assert rules.limit_fill(1, 1.30, bar) == 1.20
    assert rules.limit_fill(1, 0.90, bar) is None  # the low must be strictly below
    assert rules.limit_fill(-1, 1.00, bar) == 1.00  # high 1.20 > 1.00: max(low 0.90, limit)
    assert rules.limit_fill(-1, 0.50, bar) == 0.90
    assert rules.limit_fill(-1, 1.20, bar) is None


def test_tastytrade_fees_charge_openings_only() -> None:
    assert rules.tastytrade_fee(True, False, True, -3) == 3.0
    assert rules.tastytrade_fee(True, False, False, 3) == 0.0
    assert rules.tastytrade_fee(False, True, True, 2) == 5.0
    assert rules.tastytrade_fee(False, False, True, 100) == 0.0  # shares: not modelled, no fee


def test_object_store_keys_follow_leans_regex() -> None:
    for key in ("backtest/123/system", "live/project-7/P000012-S3", "a b#c$d=e_f", "state.json", ".hidden"):
        assert rules.valid_object_store_key(key), key
    for key in ("live:7/system", "x..y", "a.b.c", "caf\u00e9", "", "a/b?c"):
        assert not rules.valid_object_store_key(key), key
    store = api.ObjectStore(max_bytes=10, max_files=2)
    with pytest.raises(api.ArgumentException):
        store.save("live:7", "x")
    assert store.save("a", "12345") and store.save("b", "12345")
    assert not store.save("c", "1")  # a third file
    assert not store.save("a", "123456")  # 11 bytes in all
    assert store.save("a", "1") and store.read("a") == "1"


def test_the_universe_of_a_monday_is_selected_on_saturday_and_counts_days_from_monday() -> None:
    monday = date(2024, 8, 5)
    selected = rules.universe_selection_time(monday)
    assert selected == datetime(2024, 8, 3)
    assert rules.expiration_reference_date(selected) == monday
    # After the July 4 holiday (a Thursday): Friday's selection runs on July 4 at 00:00 and counts from July 5.
    friday = date(2024, 7, 5)
    assert rules.universe_selection_time(friday) == datetime(2024, 7, 4)
    assert rules.expiration_reference_date(datetime(2024, 7, 4)) == friday
    # A Tuesday: Tuesday 00:00, no adjustment.
    assert rules.expiration_reference_date(rules.universe_selection_time(date(2024, 8, 6))) == date(2024, 8, 6)


def test_expiration_zero_keeps_mondays_expiry_in_the_saturday_selection() -> None:
    spy = api.Symbol("SPY", api.SecurityIdentifier("SPY", api.SecurityType.EQUITY, "usa"))
    selected = datetime(2024, 8, 3)
    rows = [api.OptionUniverse(api.option_symbol(spy, "SPY", expiry, 530.0, api.OptionRight.PUT), selected, selected, 0)
            for expiry in (date(2024, 8, 5), date(2024, 8, 6), date(2024, 8, 7))]
    universe = api.OptionFilterUniverse(rows, api.BaseData(spy, selected, selected, 532.0), selected)
    kept = universe.expiration(0, 1).standin_symbols()
    assert [s.id.date.date() for s in kept] == [date(2024, 8, 5), date(2024, 8, 6)]


def test_day_orders_expire_at_the_close_of_the_day_they_were_placed() -> None:
    friday = date(2024, 8, 9)
    assert not rules.day_order_expired(friday, datetime(2024, 8, 9, 15, 59))
    assert rules.day_order_expired(friday, datetime(2024, 8, 9, 16, 0))
    half_day = date(2024, 11, 29)
    assert rules.day_order_expired(half_day, datetime(2024, 11, 29, 13, 0))


def test_exercise_delivers_the_underlying_by_leans_sign_rule() -> None:
    # exercise order quantity = -holdings: a short call (holding -1) is assigned: +1 contract, -100 shares
    assert rules.exercise_quantity(True, 1, 100) == -100
    assert rules.exercise_quantity(False, 1, 100) == 100  # short put assigned: buys 100
    assert rules.exercise_quantity(True, -2, 100) == 200  # long calls exercised: buys 200
    assert rules.exercise_quantity(False, -1, 1) == -1  # a long futures put: sells one future (unit of trade 1)
    assert rules.auto_exercised(True, 530.0, 530.01) and not rules.auto_exercised(True, 530.0, 530.009)
    assert rules.auto_exercised(False, 530.0, 529.99) and not rules.auto_exercised(False, 530.0, 530.0)


def test_a_vix_bar_is_stamped_in_chicago_time(tmp_path: Path) -> None:
    """A VIX bar covering 10:44-10:45 New York is written at 09:44 Chicago (its data zone) and
    read with end_time 09:45 (its exchange zone), which is 10:45 in the algorithm's zone."""
    entry = entry_for("Index", "usa", "VIX")
    assert (entry.data_time_zone, entry.exchange_time_zone, entry.line) == ("America/Chicago", "America/Chicago", 99090)
    day = date(2024, 8, 5)
    write_minute(tmp_path, "index", "VIX", day, [(datetime(2024, 8, 5, 9, 44), 38.1, 38.4, 38.0, 38.2, 0)])
    bar = read_minute(tmp_path, "index", "VIX", day, entry)[0]
    assert (bar.time, bar.end_time, bar.close) == (datetime(2024, 8, 5, 9, 44), datetime(2024, 8, 5, 9, 45), 38.2)
    assert exchange_to_zone(bar.end_time, entry, "America/New_York") == datetime(2024, 8, 5, 10, 45)


def test_leans_own_spx_file_opens_at_0830_chicago_which_is_the_0930_new_york_open(shared_data: Path) -> None:
    entry = entry_for("Index", "usa", "SPX")
    bars = read_minute(shared_data / "lean", "index", "SPX", date(2023, 6, 30), entry)
    assert bars[0].time == datetime(2023, 6, 30, 8, 30)
    assert exchange_to_zone(bars[0].time, entry, "America/New_York") == datetime(2023, 6, 30, 9, 30)
    csv = pd.read_csv(shared_data / "intraday" / "lean_SPX_index_minute.csv")
    first = csv[csv["ts_et"] == "2023-06-30 09:30"].iloc[0]  # the same sample, times given in New York
    assert (bars[0].open, bars[0].close) == (first["open"], first["close"])


def test_leans_own_spy_file_reads_in_deci_cents_and_round_trips(shared_data: Path, tmp_path: Path) -> None:
    entry = entry_for("Equity", "usa", "SPY")
    day = date(2023, 8, 3)
    bars = read_minute(shared_data / "lean", "equity", "SPY", day, entry)
    csv = pd.read_csv(shared_data / "intraday" / "lean_SPY_minute_trades.csv")
    row = csv[csv["ts_et"] == "2023-08-03 09:30"].iloc[0]
    bar = next(b for b in bars if b.time == datetime(2023, 8, 3, 9, 30))
    assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == (row["open"], row["high"], row["low"],
                                                                   row["close"], row["volume"])
    write_minute(tmp_path, "equity", "SPY", day, [(b.time, b.open, b.high, b.low, b.close, b.volume) for b in bars])
    assert read_minute(tmp_path, "equity", "SPY", day, entry) == bars


def test_a_one_minute_time_rule_fires_at_0930_before_the_session_start_one_minute_after_the_open() -> None:
    """`Lean:Common/Scheduling/TimeRules.cs:396-409`: Every(interval) yields each day's times from
    midnight, so a one-minute rule fires at 09:30:00, a minute before AfterMarketOpen(SPY, 1)."""
    spy = api.Symbol("SPY", api.SecurityIdentifier("SPY", api.SecurityType.EQUITY, "usa"))
    day = date(2024, 8, 5)
    minutes = api.TimeRules().every(timedelta(minutes=1)).standin_times(day)
    assert len(minutes) == 1440 and minutes[0] == datetime(2024, 8, 5) and datetime(2024, 8, 5, 9, 30) in minutes
    assert api.TimeRules().after_market_open(spy, 1).standin_times(day) == [datetime(2024, 8, 5, 9, 31)]
    assert api.TimeRules().after_market_close(spy, 1).standin_times(date(2024, 11, 29)) == [datetime(2024, 11, 29, 13, 1)]
