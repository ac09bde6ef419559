"""`download` builds the market data layout from recorded public responses, never the network.

The CBOE index responses other than VIX (cboe_<NAME>_History.csv) are rebuilt in CBOE's format
(`DATE` MM/DD/YYYY, six decimals) from the real values of ../shared/data/daily for 2024-06-24..08-16."""
from __future__ import annotations

import json
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from offline.market.data_download import (
    CBOE_HISTORY,
    CBOE_VIX,
    download,
    parse_cboe_index,
    parse_cboe_vix,
    parse_fred,
    parse_yahoo_chart,
)
from offline.market.data_files import MarketDataError
from offline.market.market_data import load_market_data

RECORDED = Path(__file__).parent / "recorded"
START, END = date(2024, 7, 1), date(2024, 8, 9)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a test tried to use the network")
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


class Recorded:
    """A fetch() that answers from tests/offline/recorded and remembers the URLs asked for."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        if url.startswith("https://fred.stlouisfed.org/"):
            return (RECORDED / "fred_DGS3MO.csv").read_bytes()
        if url.startswith(CBOE_HISTORY.split("{")[0]):
            return (RECORDED / f"cboe_{url.rsplit('/', 1)[1]}").read_bytes()
        symbol = urllib.parse.unquote(url.split("/chart/")[1].split("?")[0])
        return (RECORDED / f"yahoo_chart_{symbol}.json").read_bytes()


def _download(tmp_path: Path, fetch=None) -> Path:
    return download(tmp_path / "data", START, END, fetch=fetch or Recorded(), symbols=("SPY", "TLT"),
                    futures=("ES", "CL"))


def test_download_writes_a_loadable_real_layout(tmp_path: Path) -> None:
    fetch = Recorded()
    root = _download(tmp_path, fetch)
    assert len(fetch.urls) == 15
    assert "ES%3DF" in fetch.urls[2] and "period1=1719792000" in fetch.urls[0]
    assert "cosd=2024-07-01&coed=2024-08-09" in fetch.urls[-1]
    market = load_market_data(root, START, END, history_days=0)
    assert market.source == "real"
    day = np.datetime64("2024-08-05")
    assert market.daily["SPY"].close[market.sessions == day][0] == 517.38  # float32 noise rounded away
    assert market.vix.high[market.vix.dates == day][0] == 65.73
    assert len(market.sessions) == 29 and market.sessions[0] == np.datetime64("2024-07-01")
    assert np.expm1(market.rate_on(date(2024, 7, 4))) * 100 == pytest.approx(5.47)
    assert np.expm1(market.rate_on(date(2024, 8, 5))) * 100 == pytest.approx(5.35)
    assert market.dividends["TLT"].amounts.tolist() == [0.291, 0.315]
    assert market.dividends["TLT"].ex_dates.tolist() == [date(2024, 7, 1), date(2024, 8, 1)]
    es = pd.read_csv(root / "daily" / "ES_front_month.csv")
    assert "2024-07-04" not in set(es.date)  # the null bar is left out
    vix = pd.read_csv(root / "daily" / "VIX_cboe.csv")
    assert vix.loc[vix.date == "2024-07-04", "nyse_session"].tolist() == [0]
    assert vix.date.min() == "2024-07-01" and vix.date.max() == "2024-08-09"
    vix6m = pd.read_csv(root / "daily" / "VIX6M_cboe.csv")
    assert vix6m.loc[vix6m.date == "2024-08-05", ["open", "high", "low", "close", "nyse_session"]].values.tolist() == [
        [37.41, 37.69, 25.95, 30.28, 1]]
    skew = pd.read_csv(root / "daily" / "SKEW_cboe.csv")
    assert list(skew.columns) == ["date", "close", "nyse_session"]
    assert skew.loc[skew.date == "2024-08-05", "close"].tolist() == [145.3]
    put = pd.read_csv(root / "daily" / "CBOE_PUT.csv")
    assert list(put.columns) == ["date", "close"] and put.loc[put.date == "2024-08-05", "close"].tolist() == [2691.47]
    assert put.date.min() == "2024-07-01" and put.date.max() == "2024-08-09" and len(put) == 29
    assert not (root / "SYNTHETIC.txt").exists()
    assert "yahoo" in (root / "README.md").read_text()


def test_fetch_failure_names_the_url(tmp_path: Path) -> None:
    def offline(url: str) -> bytes:
        raise OSError("Network is unreachable")
    with pytest.raises(MarketDataError, match="download failed .OSError: Network is unreachable") as caught:
        _download(tmp_path, offline)
    assert caught.value.file.startswith("https://query1.finance.yahoo.com/v8/finance/chart/SPY?")


def test_yahoo_error_and_malformed_json() -> None:
    error = json.dumps({"chart": {"result": None, "error": {"code": "Not Found",
                                                          "description": "No data found"}}}).encode()
    with pytest.raises(MarketDataError, match="Yahoo error"):
        parse_yahoo_chart(error, "u", START, END, 4)
    with pytest.raises(MarketDataError, match="unexpected Yahoo chart response"):
        parse_yahoo_chart(b"<html>rate limited</html>", "u", START, END, 4)
    with pytest.raises(MarketDataError, match="unexpected Yahoo chart response"):
        parse_yahoo_chart(b'{"chart": {"result": [{"timestamp": [1]}]}}', "u", START, END, 4)


def test_fred_formats_and_bad_values() -> None:
    old_format = b"DATE,DGS3MO\n2024-07-03,5.47\n2024-07-04,.\n2024-07-05,5.46\n"
    rates = parse_fred(old_format, "u", START, END)
    assert rates.date.tolist() == ["2024-07-03", "2024-07-05"] and rates.DGS3MO.tolist() == [5.47, 5.46]
    with pytest.raises(MarketDataError, match="'n/a' is not a number"):
        parse_fred(b"observation_date,DGS3MO\n2024-07-03,n/a\n", "u", START, END)
    with pytest.raises(MarketDataError, match="missing column DGS3MO"):
        parse_fred(b"observation_date,DGS10\n2024-07-03,4.4\n", "u", START, END)


def test_cboe_bad_date_names_the_line() -> None:
    body = b"DATE,OPEN,HIGH,LOW,CLOSE\n07/01/2024,12.98,13.26,12.10,12.22\n2024-07-02,12.67,12.88,11.85,12.03\n"
    with pytest.raises(MarketDataError) as caught:
        parse_cboe_vix(body, CBOE_VIX, START, END)
    assert caught.value.row == 3 and "'2024-07-02' is not MM/DD/YYYY" in str(caught.value)


def test_cboe_index_files_with_one_value_column() -> None:
    body = b"DATE,VVIX\n08/02/2024,120.440000\n08/05/2024,173.320000\n"
    frame = parse_cboe_index(body, "u", "VVIX", START, END)
    assert frame.to_dict("list") == {"date": ["2024-08-02", "2024-08-05"], "close": [120.44, 173.32],
                                     "nyse_session": [1, 1]}
    with pytest.raises(MarketDataError, match="missing column SKEW"):
        parse_cboe_index(body, "u", "SKEW", START, END)


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must include SPY"):
        download(tmp_path, START, END, fetch=Recorded(), symbols=("QQQ",))
    with pytest.raises(ValueError, match="after end"):
        download(tmp_path, END, START, fetch=Recorded())
    with pytest.raises(ValueError, match="outside the calendar's 2003-01-01..2035-12-31"):
        download(tmp_path, "2001-01-01", "2002-01-01", fetch=Recorded())
