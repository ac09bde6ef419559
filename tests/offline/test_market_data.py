"""Market data loading: real values from ../shared/data, the traps, and every bad-input case."""
from __future__ import annotations

import gzip
import math
import shutil
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from offline.market.data_files import MarketDataError
from offline.market.market_data import MarketData, load_market_data

START, END = date(2023, 1, 1), date(2025, 1, 1)
# Days where the real minute bars' high/low differ from the Yahoo daily bar by more than a cent:
# the daily bar holds a print both intraday vendors exclude (../shared/data/README.md, section 2).
HIGH_EXCEPTIONS = {date(2024, 7, 2), date(2024, 8, 19), date(2024, 10, 1), date(2024, 11, 5)}
LOW_EXCEPTIONS = {date(2024, 4, 23), date(2024, 4, 30), date(2024, 8, 21)}


@pytest.fixture(scope="module")
def real(shared_data: Path) -> MarketData:
    return load_market_data(shared_data, START, END)


def _index(dates: np.ndarray, day: date) -> int:
    i = int(np.searchsorted(dates, np.datetime64(day, "D")))
    assert dates[i] == np.datetime64(day, "D"), f"{day} not in series"
    return i


def test_known_values_of_the_real_data(real: MarketData) -> None:
    spy, vix = real.daily["SPY"], real.vix
    assert real.source == "real"
    assert spy.close[_index(spy.dates, date(2024, 8, 5))] == 517.38
    assert vix.high[_index(vix.dates, date(2024, 8, 5))] == 65.73
    assert vix.close[_index(vix.dates, date(2024, 8, 5))] == 38.57
    assert math.expm1(real.rate_on(date(2024, 8, 5))) * 100 == pytest.approx(5.35, abs=1e-12)
    assert math.expm1(real.rate_on(date(2024, 12, 31))) * 100 == pytest.approx(4.37, abs=1e-12)
    assert real.rate_on(date(2024, 7, 4)) == real.rate_on(date(2024, 7, 3))  # holiday forward-filled
    assert sorted(real.daily) == ["GLD", "IWM", "QQQ", "SPX", "SPY", "TLT", "USO"]
    assert sorted(real.futures) == ["CL", "ES", "GC", "NQ", "ZB", "ZN"]
    assert real.vix_missing_days == ()
    # 2023 and 2024 have 250 and 252 NYSE sessions
    window = real.sessions[real.sessions >= np.datetime64(START)]
    assert len(window) == 502
    assert real.history_start == date(2021, 11, 27)  # 400 calendar days of warm-up
    assert real.sessions[0] == np.datetime64("2021-11-29")
    assert real.dividends["SPY"].amounts.sum() > 0 and "GLD" not in real.dividends


def test_arrays_are_read_only(real: MarketData) -> None:
    with pytest.raises(ValueError):
        real.daily["SPY"].close[0] = 1.0


def test_vix_holiday_rows_and_2025_01_09_are_excluded(shared_data: Path) -> None:
    market = load_market_data(shared_data, date(2024, 6, 1), date(2025, 1, 31), history_days=0)
    assert not market.vix_available(date(2025, 1, 9))
    assert not market.vix_available(date(2024, 7, 4))
    assert market.vix_available(date(2024, 7, 5))
    assert np.datetime64("2025-01-09") not in market.sessions
    assert np.array_equal(market.vix.dates, market.sessions)


def test_half_days_and_post_close_bars_are_dropped(real: MarketData) -> None:
    assert len(real.minute_bars[date(2024, 11, 29)].close) == 210
    assert len(real.minute_bars[date(2024, 7, 3)].close) == 210
    assert len(real.minute_bars[date(2024, 12, 24)].close) == 210
    normal = real.minute_bars[date(2024, 8, 5)]
    assert len(normal.close) == 390 and normal.minute[-1] == 389
    assert normal.close[-1] == 517.41  # the 15:59 bar (the 16:00 bar closed at 518.37)
    assert len(real.minute_bars) == 194  # sessions 2024-03-26 .. 2024-12-31
    assert all(bars.minute.max() < 390 for bars in real.minute_bars.values())


def test_minute_bars_rebuild_the_daily_bar(real: MarketData) -> None:
    spy = real.daily["SPY"]
    open_misses, high_misses, low_misses, close_gaps = [], set(), set(), []
    for day, bars in real.minute_bars.items():
        i = _index(spy.dates, day)
        if abs(bars.open[0] - spy.open[i]) > 0.0100001:
            open_misses.append(abs(bars.open[0] - spy.open[i]))
        if abs(bars.high.max() - spy.high[i]) > 0.0100001:
            high_misses.add(day)
        if abs(bars.low.min() - spy.low[i]) > 0.0100001:
            low_misses.add(day)
        close_gaps.append(abs(bars.close[-1] - spy.close[i]))
    assert high_misses == HIGH_EXCEPTIONS
    assert low_misses == LOW_EXCEPTIONS
    # the first minute's open is not the opening auction: within a cent on 170 of 194 days
    assert len(open_misses) == 24 and max(open_misses) < 0.075
    assert np.median(close_gaps) == pytest.approx(0.04, abs=0.005)  # 15:59 close proxy


def test_loading_two_years_is_fast(shared_data: Path) -> None:
    timings = []
    for _ in range(2):  # the better of two, so a busy test machine does not decide
        began = time.perf_counter()
        load_market_data(shared_data, START, END)
        timings.append(time.perf_counter() - began)
    assert min(timings) < 2.0


def test_futures_rolls_and_returns(real: MarketData) -> None:
    es = real.futures["ES"]
    rolls = {d.astype(object) for d in es.roll_dates if d >= np.datetime64(START)}
    assert rolls == {date(2023, 12, 18), date(2024, 3, 18), date(2024, 6, 24), date(2024, 9, 23),
                     date(2024, 12, 23)}
    k = _index(es.bars.dates, date(2024, 12, 23))
    assert es.roll_gap[k] == pytest.approx(6001.75 - 5840.26)
    assert es.returns[k] == pytest.approx(6036.0 / 6001.75 - 1)
    assert es.adjusted_close[k] - es.adjusted_close[k - 1] == pytest.approx(6036.0 - 6001.75)
    assert es.adjusted_close[-1] == es.bars.close[-1]
    crash = _index(es.bars.dates, date(2024, 8, 5))
    assert not es.roll[crash] and es.returns[crash] == pytest.approx(5217.5 / 5376.0 - 1, rel=1e-12)
    cl_rolls = {d.astype(object) for d in real.futures["CL"].roll_dates}
    assert date(2024, 7, 23) in cl_rolls and date(2023, 4, 3) not in cl_rolls  # OPEC gap is no roll
    assert any("ZN_front_month.csv: 2 bar(s)" in note for note in real.notes)
    zn = real.futures["ZN"].bars
    assert np.all(zn.low <= np.minimum(zn.open, zn.close)) and np.all(zn.high >= np.maximum(zn.open, zn.close))


def test_negative_crude_prices_load(shared_data: Path) -> None:
    market = load_market_data(shared_data, date(2020, 4, 1), date(2020, 5, 29), history_days=30)
    cl = market.futures["CL"]
    k = _index(cl.bars.dates, date(2020, 4, 20))
    assert cl.bars.close[k] == -37.63
    assert math.isnan(cl.returns[k]) and math.isnan(cl.returns[k + 1])
    assert np.isfinite(cl.returns[k + 3:]).all()


# ---------------------------------------------------------------------------------- bad input
@pytest.fixture(scope="module")
def small_template(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid 6-week copy of the real layout (SPY, QQQ, VIX, ES, CL, rates, dividends, minutes)."""
    root = tmp_path_factory.mktemp("small") / "data"
    for folder in ("daily", "rates", "intraday"):
        (root / folder).mkdir(parents=True)
    for name in ("SPY.csv", "QQQ.csv", "VIX_cboe.csv", "ES_front_month.csv", "CL_front_month.csv"):
        frame = pd.read_csv(shared_data / "daily" / name, dtype=str)
        frame[(frame.date >= "2024-07-01") & (frame.date <= "2024-08-09")].to_csv(root / "daily" / name, index=False)
    shutil.copy(shared_data / "daily" / "ETF_dividends_derived.csv", root / "daily")
    shutil.copy(shared_data / "rates" / "DGS3MO_daily.csv", root / "rates")
    minutes = pd.read_csv(shared_data / "intraday" / "SPY_1min_rth_2024-03-26_2025-01-31.csv.gz", dtype=str)
    minutes = minutes[(minutes.ts_et >= "2024-08-05") & (minutes.ts_et < "2024-08-07")]
    with gzip.open(root / "intraday" / "SPY_1min_small.csv.gz", "wt") as handle:
        minutes.to_csv(handle, index=False)
    return root


@pytest.fixture
def small(small_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the small valid layout for one test to corrupt."""
    return Path(shutil.copytree(small_template, tmp_path / "data"))


def _edit(path: Path, line: int, column: str, value: str) -> None:
    """Set one field of a CSV (line numbers as in an editor: the header is line 1)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as handle:
        lines = handle.read().splitlines()
    header = lines[0].split(",")
    fields = lines[line - 1].split(",")
    fields[header.index(column)] = value
    lines[line - 1] = ",".join(fields)
    with opener(path, "wt") as handle:
        handle.write("\n".join(lines) + "\n")


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def _write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n")


def _delete(root: Path, name: str) -> None:
    (root / name).unlink()


def _drop_column(root: Path, name: str, column: str) -> None:
    frame = pd.read_csv(root / name, dtype=str)
    frame.drop(columns=[column]).to_csv(root / name, index=False)


def _swap_lines(root: Path, name: str, a: int, b: int) -> None:
    lines = _lines(root / name)
    lines[a - 1], lines[b - 1] = lines[b - 1], lines[a - 1]
    _write_lines(root / name, lines)


def _duplicate_line(root: Path, name: str, line: int) -> None:
    lines = _lines(root / name)
    _write_lines(root / name, lines[:line] + [lines[line - 1]] + lines[line:])


def _remove_line(root: Path, name: str, line: int) -> None:
    lines = _lines(root / name)
    _write_lines(root / name, lines[:line - 1] + lines[line:])


def _extra_field(root: Path, name: str, line: int) -> None:
    lines = _lines(root / name)
    lines[line - 1] += ",999"
    _write_lines(root / name, lines)


BAD_INPUT = [
    # (id, mutation, file, line, words the problem must contain)
    ("missing SPY file", lambda r: _delete(r, "daily/SPY.csv"), "daily/SPY.csv", None, "missing"),
    ("missing VIX file", lambda r: _delete(r, "daily/VIX_cboe.csv"), "daily/VIX_cboe.csv", None, "missing"),
    ("missing rates file", lambda r: _delete(r, "rates/DGS3MO_daily.csv"), "rates/DGS3MO_daily.csv", None,
     "missing"),
    ("missing close column", lambda r: _drop_column(r, "daily/QQQ.csv", "close"), "daily/QQQ.csv", 1,
     "missing column close"),
    ("missing nyse_session column", lambda r: _drop_column(r, "daily/VIX_cboe.csv", "nyse_session"),
     "daily/VIX_cboe.csv", 1, "missing column nyse_session"),
    ("unparsable price", lambda r: _edit(r / "daily/SPY.csv", 5, "close", "51x.2"), "daily/SPY.csv", 5,
     "'51x.2' is not a finite number"),
    ("unparsable date", lambda r: _edit(r / "daily/QQQ.csv", 7, "date", "2024-13-45"), "daily/QQQ.csv", 7,
     "'2024-13-45' does not match"),
    ("NaN price", lambda r: _edit(r / "daily/QQQ.csv", 9, "high", "NaN"), "daily/QQQ.csv", 9,
     "'NaN' is not a finite number"),
    ("empty price", lambda r: _edit(r / "daily/ES_front_month.csv", 4, "open", ""), "daily/ES_front_month.csv", 4,
     "'' is not a finite number"),
    ("infinite price", lambda r: _edit(r / "daily/SPY.csv", 3, "low", "inf"), "daily/SPY.csv", 3,
     "'inf' is not a finite number"),
    ("zero ETF price", lambda r: _edit(r / "daily/QQQ.csv", 6, "low", "0"), "daily/QQQ.csv", 6, "must be > 0"),
    ("negative ETF price", lambda r: _edit(r / "daily/SPY.csv", 10, "open", "-5"), "daily/SPY.csv", 10,
     "must be > 0"),
    ("duplicate date", lambda r: _duplicate_line(r, "daily/SPY.csv", 8), "daily/SPY.csv", 9, "duplicate"),
    ("unsorted dates", lambda r: _swap_lines(r, "daily/QQQ.csv", 11, 12), "daily/QQQ.csv", 12, "unsorted"),
    ("VIX above range", lambda r: _edit(r / "daily/VIX_cboe.csv", 6, "high", "412.5"), "daily/VIX_cboe.csv", 6,
     "VIX must lie in [5, 150]"),
    ("VIX below range", lambda r: _edit(r / "daily/VIX_cboe.csv", 2, "close", "0.13"), "daily/VIX_cboe.csv", 2,
     "VIX must lie in [5, 150]"),
    ("high below close", lambda r: _edit(r / "daily/SPY.csv", 4, "high", "1.5"), "daily/SPY.csv", 4,
     "inconsistent"),
    ("bad nyse_session flag", lambda r: _edit(r / "daily/VIX_cboe.csv", 3, "nyse_session", "yes"),
     "daily/VIX_cboe.csv", 3, "must be 0 or 1"),
    ("ETF missing a session", lambda r: _remove_line(r, "daily/QQQ.csv", 20), "daily/QQQ.csv", None,
     "no row for SPY session 2024-07-26"),
    ("ragged CSV row", lambda r: _extra_field(r, "daily/SPY.csv", 6), "daily/SPY.csv", 6, "malformed CSV"),
    ("rate out of range", lambda r: _edit(r / "rates/DGS3MO_daily.csv", 2400, "DGS3MO", "55"),
     "rates/DGS3MO_daily.csv", 2400, "outside"),
    ("non-positive dividend", lambda r: _edit(r / "daily/ETF_dividends_derived.csv", 2, "dividend", "-0.4"),
     "daily/ETF_dividends_derived.csv", 2, "must be > 0"),
    ("unparsable minute stamp", lambda r: _edit(r / "intraday/SPY_1min_small.csv.gz", 30, "ts_et", "2024-08-05 9h59"),
     "intraday/SPY_1min_small.csv.gz", 30, "does not match %Y-%m-%d %H:%M"),
    ("zero minute price", lambda r: _edit(r / "intraday/SPY_1min_small.csv.gz", 45, "close", "0"),
     "intraday/SPY_1min_small.csv.gz", 45, "must be > 0"),
    ("minute file not gzip", lambda r: (r / "intraday/SPY_1min_small.csv.gz").write_text("ts_et,open\n"),
     "intraday/SPY_1min_small.csv.gz", None, "cannot be read"),
    ("empty file", lambda r: (r / "daily/QQQ.csv").write_text(""), "daily/QQQ.csv", None, "empty"),
]


@pytest.mark.parametrize(("mutate", "file", "line", "words"), [case[1:] for case in BAD_INPUT],
                         ids=[case[0] for case in BAD_INPUT])
def test_bad_input_names_file_line_and_problem(small: Path, mutate, file, line, words) -> None:
    root = small
    load_market_data(root, "2024-07-01", "2024-08-09", history_days=0)  # the copy itself is valid
    mutate(root)
    with pytest.raises(MarketDataError) as caught:
        load_market_data(root, "2024-07-01", "2024-08-09", history_days=0, strict=True)
    error = caught.value
    assert error.file == str(root / file)
    assert error.row == line
    assert words in error.problem
    message = str(error)
    assert "\n" not in message and file in message and error.problem in message
    assert (f"line {line}:" in message) == (line is not None)


# Impossible values in daily rows: reported, not fatal, unless strict (the ids of BAD_INPUT).
TOLERATED = ("unparsable price", "NaN price", "empty price", "infinite price", "zero ETF price", "negative ETF price",
             "VIX above range", "VIX below range", "high below close")


@pytest.mark.parametrize(("mutate", "file", "line", "words"),
                         [case[1:] for case in BAD_INPUT if case[0] in TOLERATED], ids=list(TOLERATED))
def test_an_impossible_value_in_the_window_is_a_data_issue_and_the_day_is_repaired(
        small: Path, mutate, file, line, words) -> None:
    root = small
    clean = load_market_data(root, "2024-07-01", "2024-08-09", history_days=0)
    mutate(root)
    market = load_market_data(root, "2024-07-01", "2024-08-09", history_days=0)
    assert len(market.data_issues) == 1
    issue = market.data_issues[0]
    assert (issue.file, issue.line) == (file, line) and words in issue.problem
    series = "VIX" if "VIX" in file else ("ES" if "ES_" in file else Path(file).stem)
    assert market.bad_days(series) == {date.fromisoformat(issue.date)}
    bars = market.bars(series)
    row = int(np.searchsorted(clean.bars(series).dates, np.datetime64(issue.date)))
    if series == "VIX":  # the row is dropped: a missing VIX day (no new entries, SPEC section 2)
        assert np.datetime64(issue.date) not in bars.dates
        assert market.vix_missing_days == (date.fromisoformat(issue.date),)
    else:  # a flat bar at the last good close (the next good open on the first row)
        expected = clean.bars(series).close[row - 1] if row else clean.bars(series).open[row + 1]
        assert [bars.open[row], bars.high[row], bars.low[row], bars.close[row]] == [expected] * 4
        others = np.arange(len(bars.dates)) != row
        assert np.array_equal(bars.close[others], clean.bars(series).close[others])
    assert issue.to_dict() == {"file": file, "line": line, "date": issue.date, "problem": issue.problem}


def test_a_clean_window_has_no_data_issues(small: Path) -> None:
    assert load_market_data(small, "2024-07-01", "2024-08-09", history_days=0).data_issues == ()


def test_negative_futures_prices_are_accepted(small: Path) -> None:
    root = small
    _edit(root / "daily/CL_front_month.csv", 5, "close", "-3.5")
    _edit(root / "daily/CL_front_month.csv", 5, "low", "-4.0")
    market = load_market_data(root, "2024-07-01", "2024-08-09", history_days=0)
    assert market.futures["CL"].bars.close[3] == -3.5


def test_missing_vix_day_blocks_entries_and_says_so(small: Path) -> None:
    root = small
    _remove_line(root, "daily/VIX_cboe.csv", 7)  # 2024-07-08 (line 5 is the 2024-07-04 holiday row)
    market = load_market_data(root, "2024-07-01", "2024-08-09", history_days=0)
    assert market.vix_missing_days == (date(2024, 7, 8),)
    assert not market.vix_available(date(2024, 7, 8))
    assert "VIX missing on session 2024-07-08: no new entries that day (SPEC section 2)" in market.notes


def test_extra_files_are_ignored(small: Path) -> None:
    root = small
    (root / "daily" / "notes.txt").write_text("not data")
    (root / "daily" / "SPX_index.csv").write_text("garbage,,\n")
    (root / "intraday" / "lean_SPY_minute_trades.csv").write_text("garbage")
    market = load_market_data(root, "2024-07-01", "2024-08-09", history_days=0)
    assert sorted(market.daily) == ["QQQ", "SPY"] and sorted(market.futures) == ["CL", "ES"]


def test_bad_window_arguments(shared_data: Path) -> None:
    with pytest.raises(ValueError, match="after end"):
        load_market_data(shared_data, "2024-02-01", "2024-01-01")
    with pytest.raises(ValueError, match="not a date"):
        load_market_data(shared_data, "2024/02/01", "2024-03-01")
    with pytest.raises(MarketDataError, match="no session between"):
        load_market_data(shared_data, "2030-01-01", "2030-02-01")


def test_rolls_do_not_depend_on_where_the_window_ends(shared_data: Path) -> None:
    def cl_rolls(end: str) -> set[date]:
        market = load_market_data(shared_data, "2024-06-01", end, history_days=120)
        return {d.astype(object) for d in market.futures["CL"].roll_dates}
    full = cl_rolls("2024-12-31")
    assert date(2024, 7, 23) in full
    assert cl_rolls("2024-07-31") == {d for d in full if d <= date(2024, 7, 31)}
    # the series ends before July's last trade day: no roll may be guessed for July
    assert cl_rolls("2024-07-19") == {d for d in full if d <= date(2024, 7, 19)}
    market = load_market_data(shared_data, "2024-01-01", "2024-03-20", history_days=120)
    assert np.datetime64("2024-03-18") in market.futures["ES"].roll_dates


RATE_LINE_2024_07_02 = 2378  # editor line of 2024-07-02 in rates/DGS3MO_daily.csv


@pytest.mark.parametrize(("name", "column", "value"), [
    ("daily/VIX_cboe.csv", "open", "2.58"),  # CBOE's VIX row of 2004-11-08, years before any run
    ("daily/SPY.csv", "low", "NaN"),
    ("daily/QQQ.csv", "high", "-1"),
    ("daily/ES_front_month.csv", "close", "inf"),
    ("rates/DGS3MO_daily.csv", "DGS3MO", "55"),
])
def test_a_bad_value_outside_the_window_and_look_back_is_never_a_reason_to_stop(
        small: Path, name: str, column: str, value: str) -> None:
    root = small
    line = 3 if name.startswith("daily") else RATE_LINE_2024_07_02  # the 2024-07-02 row
    _edit(root / name, line, column, value)
    market = load_market_data(root, "2024-07-15", "2024-08-09", history_days=7)
    assert market.sessions[0] == np.datetime64("2024-07-08")
    with pytest.raises(MarketDataError) as caught:  # the same row inside the look-back stops a strict run
        load_market_data(root, "2024-07-15", "2024-08-09", history_days=20, strict=True)
    assert caught.value.file == str(root / name) and caught.value.row == line
