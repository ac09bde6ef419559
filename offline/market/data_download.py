"""`tomking data download`: build the project's market data folder from public sources.

Sources (the same as those of ../shared/data):

* Yahoo Finance chart API (JSON, `interval=1d`, `events=div`): raw daily bars of the ETFs
  (split-adjusted, not dividend-adjusted, as option strikes are), their dividends, and the
  continuous front-month futures `ES=F`, `CL=F`, ... (written as <ROOT>_front_month.csv);
* CBOE's index history CSVs (dates MM/DD/YYYY): VIX, VIX9D, VIX3M, VIX6M (`DATE,OPEN,HIGH,LOW,CLOSE`,
  written as <NAME>_cboe.csv), VVIX and SKEW (`DATE,<NAME>`, written as `date,close`), each with
  `nyse_session` added from helpers.exchange_calendar; the strategy indices PUT, BXM, CNDR and PPUT
  (`DATE,<NAME>`, written as CBOE_<NAME>.csv with `date,close`);
* FRED's CSV for DGS3MO (`observation_date,DGS3MO`, or `DATE` in older files; holidays have an
  empty value or "."; those rows are left out, as in the real files).

No minute bars are downloaded (no free source keeps a long history); the engine then models
every intraday path. All HTTP goes through the `fetch(url) -> bytes` argument, so tests replay
recorded responses and never touch the network. The written folder is loaded once with
`load_market_data` before `download` returns, so a bad download fails here, naming the file.
"""
from __future__ import annotations

import io
import json
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from helpers.exchange_calendar import FIRST_DATE, LAST_DATE, is_nyse_session
from offline.market.data_files import MarketDataError
from offline.market.market_data import load_market_data

Fetch = Callable[[str], bytes]
DEFAULT_SYMBOLS = ("SPY", "QQQ", "IWM", "GLD", "TLT")
DEFAULT_FUTURES = ("ES", "CL", "GC")
YAHOO_CHART = "https://query1.finance.yahoo.com/v8/finance/chart/{symbol}?{query}"
CBOE_HISTORY = "https://cdn.cboe.com/api/global/us_indices/daily_prices/{name}_History.csv"
CBOE_VIX = CBOE_HISTORY.format(name="VIX")
CBOE_VOLATILITY_OHLC = ("VIX9D", "VIX3M", "VIX6M")  # with VIX: the term structure of the chain model
CBOE_VOLATILITY_CLOSE = ("VVIX", "SKEW")
CBOE_STRATEGIES = ("PUT", "BXM", "CNDR", "PPUT")
FRED_CSV = "https://fred.stlouisfed.org/graph/fredgraph.csv?id=DGS3MO&cosd={start}&coed={end}"
USER_AGENT = "tomking-offline-engine/0.1 (market data download)"
ETF_DECIMALS, FUTURES_DECIMALS, VIX_DECIMALS, INDEX_DECIMALS = 4, 5, 2, 6
_EVENING_SESSION_HOUR = 17  # a futures bar stamped at or after 17:00 local belongs to the next day


def http_fetch(url: str, timeout: float = 30.0) -> bytes:
    """GET `url` and return the body (the default `fetch`). Raises OSError on network errors."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def download(out_dir: str | Path, start: date | str = FIRST_DATE, end: date | str | None = None,
             fetch: Fetch = http_fetch, symbols: Sequence[str] = DEFAULT_SYMBOLS,
             futures: Sequence[str] = DEFAULT_FUTURES) -> Path:
    """Fetch daily ETFs, VIX, futures, dividends and DGS3MO for start..end into `out_dir`.

    `start` defaults to the first day the exchange calendar knows (2003-01-01), `end` to today.
    `symbols` must include SPY. Returns the folder. Raises MarketDataError naming the URL when a
    request fails or a response is not in the expected format, or naming the file when the
    written folder does not pass `load_market_data`; ValueError on bad arguments.
    """
    start_day = date.fromisoformat(str(start))
    end_day = date.today() if end is None else date.fromisoformat(str(end))
    if start_day > end_day:
        raise ValueError(f"download start {start_day} is after end {end_day}")
    if start_day < FIRST_DATE or end_day > LAST_DATE:
        raise ValueError(f"download window {start_day}..{end_day} is outside the calendar's {FIRST_DATE}..{LAST_DATE}")
    if "SPY" not in symbols:
        raise ValueError("download symbols must include SPY (it defines the sessions)")
    root = Path(out_dir)
    (root / "daily").mkdir(parents=True, exist_ok=True)
    (root / "rates").mkdir(parents=True, exist_ok=True)
    sources, dividends = [], []
    for symbol in symbols:
        url = _yahoo_url(symbol, start_day, end_day)
        bars, paid = parse_yahoo_chart(_get(fetch, url), url, start_day, end_day, ETF_DECIMALS)
        bars.to_csv(root / "daily" / f"{symbol}.csv", index=False)
        dividends.append(paid.assign(ticker=symbol)[["ticker", "ex_date", "dividend"]])
        sources.append(url)
    for futures_root in futures:
        url = _yahoo_url(f"{futures_root}=F", start_day, end_day)
        bars, _ = parse_yahoo_chart(_get(fetch, url), url, start_day, end_day, FUTURES_DECIMALS, futures=True)
        bars.to_csv(root / "daily" / f"{futures_root}_front_month.csv", index=False)
        sources.append(url)
    nonempty = [frame for frame in dividends if len(frame)]
    table = pd.concat(nonempty) if nonempty else pd.DataFrame(columns=["ticker", "ex_date", "dividend"])
    table.to_csv(root / "daily" / "ETF_dividends_derived.csv", index=False)
    parse_cboe_vix(_get(fetch, CBOE_VIX), CBOE_VIX, start_day, end_day).to_csv(
        root / "daily" / "VIX_cboe.csv", index=False)
    sources.append(CBOE_VIX)
    for name in CBOE_VOLATILITY_OHLC + CBOE_VOLATILITY_CLOSE + CBOE_STRATEGIES:
        url = CBOE_HISTORY.format(name=name)
        frame = parse_cboe_index(_get(fetch, url), url, name, start_day, end_day)
        if name in CBOE_STRATEGIES:
            frame.drop(columns="nyse_session").to_csv(root / "daily" / f"CBOE_{name}.csv", index=False)
        else:
            frame.to_csv(root / "daily" / f"{name}_cboe.csv", index=False)
        sources.append(url)
    fred = FRED_CSV.format(start=start_day.isoformat(), end=end_day.isoformat())
    parse_fred(_get(fetch, fred), fred, start_day, end_day).to_csv(root / "rates" / "DGS3MO_daily.csv", index=False)
    sources.append(fred)
    (root / "README.md").write_text(_readme(start_day, end_day, sources), encoding="ascii")
    load_market_data(root, start_day, end_day, history_days=0)
    return root


def _yahoo_url(symbol: str, start: date, end: date) -> str:
    first = int(datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp())
    last = int(datetime(end.year, end.month, end.day, tzinfo=UTC).timestamp()) + 86_400
    query = urllib.parse.urlencode({"period1": first, "period2": last, "interval": "1d", "events": "div",
                                    "includeAdjustedClose": "true"})
    return YAHOO_CHART.format(symbol=urllib.parse.quote(symbol, safe=""), query=query)


def _get(fetch: Fetch, url: str) -> bytes:
    try:
        body = fetch(url)
    except (OSError, ValueError) as exc:
        raise MarketDataError(url, None, f"download failed ({type(exc).__name__}: {exc})") from exc
    if not body:
        raise MarketDataError(url, None, "download returned an empty body")
    return body


def parse_yahoo_chart(body: bytes, url: str, start: date, end: date, decimals: int,
                      futures: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Yahoo chart JSON -> (daily bars `date,open,high,low,close,volume`, dividends `ex_date,dividend`).

    Bars with a null price are left out. Raises MarketDataError naming the URL when the JSON
    holds an error or lacks the expected fields.
    """
    try:
        chart = json.loads(body)["chart"]
        if chart.get("error"):
            raise MarketDataError(url, None, f"Yahoo error {chart['error']}")
        result = chart["result"][0]
        zone = ZoneInfo(result.get("meta", {}).get("exchangeTimezoneName", "America/New_York"))
        stamps = result["timestamp"]
        quote = result["indicators"]["quote"][0]
        frame = pd.DataFrame({"stamp": stamps, **{k: quote[k] for k in ("open", "high", "low", "close", "volume")}})
        events = result.get("events", {}).get("dividends", {})
        paid = [(int(e["date"]), float(e["amount"])) for e in events.values()]
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise MarketDataError(url, None, f"unexpected Yahoo chart response ({type(exc).__name__}: {exc})") from None
    frame["date"] = [_trade_date(s, zone, futures) for s in frame["stamp"]]
    frame = frame.dropna(subset=["open", "high", "low", "close"])
    frame = frame[(frame["date"] >= start.isoformat()) & (frame["date"] <= end.isoformat())]
    frame = frame.drop_duplicates("date", keep="last")
    prices = frame[["open", "high", "low", "close"]].astype(float).round(decimals)
    bars = pd.concat([frame[["date"]], prices, frame["volume"].fillna(0).astype(np.int64)], axis=1)
    dividends = pd.DataFrame([(_trade_date(s, zone, False), round(a, 4)) for s, a in sorted(paid)],
                             columns=["ex_date", "dividend"])
    dividends = dividends[(dividends["ex_date"] >= start.isoformat()) & (dividends["ex_date"] <= end.isoformat())]
    return bars.reset_index(drop=True), dividends


def _trade_date(stamp: int, zone: ZoneInfo, futures: bool) -> str:
    local = datetime.fromtimestamp(int(stamp), tz=zone)
    if futures and local.hour >= _EVENING_SESSION_HOUR:
        local += timedelta(days=1)
    return local.date().isoformat()


def parse_cboe_vix(body: bytes, url: str, start: date, end: date) -> pd.DataFrame:
    """CBOE VIX_History.csv -> `date,open,high,low,close,volume,nyse_session` for start..end.

    Raises MarketDataError naming the URL on a missing column or an unparsable date.
    """
    frame = parse_cboe_index(body, url, "VIX", start, end, VIX_DECIMALS)
    return frame.assign(volume=0)[["date", "open", "high", "low", "close", "volume", "nyse_session"]]


def parse_cboe_index(body: bytes, url: str, name: str, start: date, end: date,
                     decimals: int = INDEX_DECIMALS) -> pd.DataFrame:
    """A CBOE <name>_History.csv -> `date,open,high,low,close,nyse_session` (files with OHLC) or
    `date,close,nyse_session` (files with one `<name>` value column) for start..end, values
    rounded to `decimals` (the source writes six; the VIX file is written with two).

    Raises MarketDataError naming the URL on a missing column or an unparsable date.
    """
    frame = _read_csv(body, url)
    frame.columns = [c.strip().upper() for c in frame.columns]
    columns = ("OPEN", "HIGH", "LOW", "CLOSE") if "CLOSE" in frame.columns else (name.upper(),)
    _require(frame, url, ("DATE",) + columns)
    dates = pd.to_datetime(frame["DATE"].str.strip(), format="%m/%d/%Y", errors="coerce")
    if dates.isna().any():
        i = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise MarketDataError(url, i + 2, f"DATE {frame['DATE'].iloc[i]!r} is not MM/DD/YYYY")
    keep = ((dates.dt.date >= start) & (dates.dt.date <= end)).to_numpy()
    days = dates[keep].dt.date
    out = pd.DataFrame({"date": [d.isoformat() for d in days]})
    for column in columns:
        label = "close" if column == name.upper() else column.lower()
        out[label] = pd.to_numeric(frame.loc[keep, column], errors="coerce").round(decimals).to_numpy()
    out["nyse_session"] = [int(is_nyse_session(d)) for d in days]
    return out


def parse_fred(body: bytes, url: str, start: date, end: date) -> pd.DataFrame:
    """FRED DGS3MO CSV -> `date,DGS3MO` (percent) for start..end, holiday rows (empty or ".") left out.

    Raises MarketDataError naming the URL on a missing column or an unparsable value.
    """
    frame = _read_csv(body, url)
    date_column = "observation_date" if "observation_date" in frame.columns else "DATE"
    _require(frame, url, (date_column, "DGS3MO"))
    frame = frame[~frame["DGS3MO"].str.strip().isin(["", "."])]
    values = pd.to_numeric(frame["DGS3MO"], errors="coerce")
    if values.isna().any():
        bad = frame.loc[values.isna(), "DGS3MO"].iloc[0]
        raise MarketDataError(url, None, f"DGS3MO value {bad!r} is not a number")
    dates = frame[date_column].str.strip()
    keep = ((dates >= start.isoformat()) & (dates <= end.isoformat())).to_numpy()
    return pd.DataFrame({"date": dates[keep].to_numpy(), "DGS3MO": values[keep].to_numpy()})


def _read_csv(body: bytes, url: str) -> pd.DataFrame:
    try:
        return pd.read_csv(io.BytesIO(body), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise MarketDataError(url, None, f"unexpected CSV response ({type(exc).__name__}: {exc})") from None


def _require(frame: pd.DataFrame, url: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MarketDataError(url, 1, f"missing column {', '.join(missing)} (header: {','.join(frame.columns)})")


def _readme(start: date, end: date, sources: list[str]) -> str:
    lines = [f"# Market data downloaded for {start} .. {end}", "",
             "Real data fetched by `tomking data download` (offline/market/data_download.py) in the project's",
             "market data format. No minute bars: intraday paths are modelled. Sources:", ""]
    return "\n".join(lines + [f"- {url}" for url in sources]) + "\n"
