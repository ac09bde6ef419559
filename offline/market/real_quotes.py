"""Every real option quote of the data folder as one table, with its market IV and the inputs the
chain model prices it with (the calibration's raw material; offline/market/chain_calibration.py).

Sources (../shared/data/options; README section 3 lists their traps):
* "SPX 2019": 56 full SPX/SPXW chains, 2019-04-25..2019-07-22. SPXW rows are kept, and SPX-root
  (AM-settled) rows only for expiries without an SPXW series (the long-dated ones). The snapshot
  time was not recorded: the spot is `underlying_last`, the time to expiry is counted from 12:00
  (the middle of the session; the real time is unknown), and same-day expiries are left out (their
  time to expiry cannot be known). The VIX and the CBOE indices are the day's closes.
* "SPY 2021": the 2021 slice (20 contracts a session, 252 sessions), end of day.
* "SPY 2015-01-05" (full chain, EOD; the stale 2015-01-02 expiry and non-standard rows dropped) and
  "SPY 2019-09-06" (Yahoo, close).
* "SPX 2015-12 LEAN" (2015-12-22/23, QuantConnect's IVs as given: no quotes) and "ES 2020-01 LEAN"
  (ES futures options 2020-01-03/06, LEAN closes; no quotes).

Market IV: Black-76 on the mid (LEAN close for ES) against a forward. The forward is the put-call
parity forward F = K + (C - P) e^{rT}, the median over strikes within 3% of the spot, for
expiries with such pairs; otherwise S e^{(r - q)T} (SPY 2021: its 20 contracts rarely pair). Only
the out-of-the-money side is kept (calls above the forward, puts below): their prices are almost
all time value. Rows kept: 0 < bid <= ask (quoted sources), at most 730 days to expiry (the
model's listing), a market IV, and 5-50 absolute forward delta N(d1) at that IV.

Model inputs per row: spot, rate ln(1 + DGS3MO/100), dividend yield (SPY's trailing 12 months,
market_data.dividend_yield), the VIX close as the 30-day level, and the closes of VIX9D,
VIX, VIX3M, VIX6M (NaN when one is missing). The table is cached under results/cache/ (keyed by
the data files' sizes and times and by this module's and the loader's code; not committed):
building it takes about 15 seconds.
"""
from __future__ import annotations

import hashlib
import re
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtr

from greeks.pricing import implied_volatility
from offline.market import daily_files, data_files, market_data
from offline.market.market_data import MarketData, dividend_yield, load_market_data
from offline.market.volatility_surface import TERM_INDICES

__all__ = ["CACHE_DIR", "QUOTE_COLUMNS", "carry_forward", "load_real_quotes"]

CACHE_DIR = Path("results") / "cache"
SNAPSHOT_HOURS_TO_CLOSE = 4.0  # SPX 2019: snapshot taken at an unknown time, counted from 12:00
PARITY_BAND = 0.03
MAX_DTE = 730  # the chain model lists expiries up to two years out
DELTA_BAND = (0.05, 0.50)
TERM_COLUMNS = tuple(f"term_{name}" for name in TERM_INDICES)
QUOTE_COLUMNS = ("source", "day", "root", "expiry", "dte", "strike", "call", "bid", "ask", "mid", "years", "spot",
                 "rate", "q", "vix", *TERM_COLUMNS, "forward", "market_iv", "abs_delta")
_ROOT = re.compile(r"^([A-Z]+?)\d*\d{6}[CP]")


def _cache_key(data_dir: Path) -> str:
    """Changes with any data file (name, size, time) and with the code that builds the table."""
    files = sorted((data_dir / "options").rglob("*.csv*")) + sorted((data_dir / "daily").glob("*.csv*"))
    text = "".join(f"{p.name}:{p.stat().st_size}:{int(p.stat().st_mtime)};" for p in files)
    modules = (sys.modules[__name__], market_data, data_files, daily_files)
    code = "".join(Path(module.__file__).read_text() for module in modules if module.__file__)
    return hashlib.sha256((text + code).encode()).hexdigest()[:16]


def load_real_quotes(data_dir: str | Path, cache: bool = True) -> pd.DataFrame:
    """The table of QUOTE_COLUMNS over every real option file of `data_dir` (see the module
    docstring). Raises MarketDataError / FileNotFoundError / ValueError when a file or an input
    is missing."""
    data_dir = Path(data_dir)
    path = CACHE_DIR / f"real_quotes_{_cache_key(data_dir)}.pkl"
    if cache and path.is_file():
        return pd.read_pickle(path)
    market = load_market_data(data_dir, date(2015, 1, 5), date(2021, 12, 31))
    frames = [_spx_2019(data_dir), _spy_2021(data_dir), *_spy_days(data_dir), *_lean(data_dir)]
    table = pd.concat([_with_market(frame, market) for frame in frames], ignore_index=True)
    table = _market_iv(table)[list(QUOTE_COLUMNS)].reset_index(drop=True)
    if cache:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        table.to_pickle(path)
    return table


def _quoted(frame: pd.DataFrame) -> pd.DataFrame:
    ok = (frame["bid"] > 0) & (frame["ask"] >= frame["bid"])
    return frame[ok].assign(mid=lambda f: (f["bid"] + f["ask"]) / 2.0)


def _spx_2019(data_dir: Path) -> pd.DataFrame:
    parts = []
    for path in sorted((data_dir / "options" / "SPX_2019").glob("SPX_*.csv.gz")):
        raw = pd.read_csv(path, usecols=["underlying_last", "option_root", "type", "expiration", "quote_date",
                                         "strike", "bid", "ask"])
        root = raw["option_root"].str.extract(_ROOT, expand=False)
        weekly_expiries = set(raw.loc[root == "SPXW", "expiration"])
        keep = (root == "SPXW") | ((root == "SPX") & ~raw["expiration"].isin(weekly_expiries))
        raw = raw[keep & (raw["expiration"] > raw["quote_date"])]
        parts.append(pd.DataFrame({
            "source": "SPX 2019", "day": pd.to_datetime(raw["quote_date"]), "root": root[keep].loc[raw.index],
            "expiry": pd.to_datetime(raw["expiration"]), "strike": raw["strike"].astype(float),
            "call": raw["type"] == "call", "bid": raw["bid"], "ask": raw["ask"], "spot": raw["underlying_last"],
            "hours_to_close": SNAPSHOT_HOURS_TO_CLOSE}))
    return _quoted(pd.concat(parts, ignore_index=True))


def _spy_2021(data_dir: Path) -> pd.DataFrame:
    raw = pd.read_csv(data_dir / "options" / "SPY_2021_slice_eod.csv.gz")
    return _quoted(pd.DataFrame({
        "source": "SPY 2021", "day": pd.to_datetime(raw["quote_date"]), "root": "SPY",
        "expiry": pd.to_datetime(raw["expiration"]), "strike": raw["strike"].astype(float),
        "call": raw["type"] == "call", "bid": raw["bid"], "ask": raw["ask"], "spot": raw["underlying_last"],
        "hours_to_close": 0.0}))


def _spy_days(data_dir: Path) -> list[pd.DataFrame]:
    raw = pd.read_csv(data_dir / "options" / "SPY_chain_2015-01-05_eod.csv.gz")
    raw = raw[(raw["expiration"] != "2015-01-02") & (raw["nonstd"] == 0)]
    expiry = pd.to_datetime(raw["expiration"])  # pre-2015 monthlies carry the Saturday date: use the Friday
    eod = pd.DataFrame({"source": "SPY 2015-01-05", "day": pd.Timestamp("2015-01-05"), "root": "SPY",
                        "expiry": expiry - pd.to_timedelta((expiry.dt.weekday == 5).astype(int), unit="D"),
                        "strike": raw["strike"].astype(float), "call": raw["put_call"] == "C", "bid": raw["bid"],
                        "ask": raw["ask"], "spot": np.nan, "hours_to_close": 0.0})
    raw = pd.read_csv(data_dir / "options" / "SPY_chain_2019-09-06_yahoo.csv.gz")
    yahoo = pd.DataFrame({  # the expiry column is empty for the 2021-03-19 calls; the OCC symbol has it
        "source": "SPY 2019-09-06", "day": pd.Timestamp("2019-09-06"), "root": "SPY",
        "expiry": pd.to_datetime(raw["Contract Name"].str[3:9], format="%y%m%d"),
        "strike": raw["Strike"].astype(float), "call": raw["tipo"] == "calls",
        "bid": pd.to_numeric(raw["Bid"], errors="coerce"), "ask": pd.to_numeric(raw["Ask"], errors="coerce"),
        "spot": np.nan, "hours_to_close": 0.0})
    return [_quoted(eod), _quoted(yahoo)]


def _lean(data_dir: Path) -> list[pd.DataFrame]:
    raw = pd.read_csv(data_dir / "options" / "lean_option_universes_daily.csv")
    out = []
    for underlying, root, days, usable in (("SPX", "SPX", ("2015-12-22", "2015-12-23"), raw["implied_volatility"] > 1e-6),
                                           ("ES_FOP", "ES", ("2020-01-03", "2020-01-06"), raw["close"] > 0)):
        rows = raw[(raw["underlying"] == underlying) & raw["date"].isin(days) & usable]
        out.append(pd.DataFrame({
            "source": f"{root} {days[0][:7]} LEAN", "day": pd.to_datetime(rows["date"]), "root": root,
            "expiry": pd.to_datetime(rows["expiry"]), "strike": rows["strike"].astype(float),
            "call": rows["right"] == "C", "bid": np.nan, "ask": np.nan, "mid": rows["close"],
            "lean_iv": rows["implied_volatility"] if root == "SPX" else np.nan, "spot": np.nan,
            "hours_to_close": 0.0}))
    return out


def _column_on(dates: np.ndarray, values: np.ndarray, days: pd.Series) -> np.ndarray:
    """values[dates == day] per row (NaN where the day has no row)."""
    wanted = days.to_numpy().astype("datetime64[D]")
    index = np.clip(np.searchsorted(dates, wanted), 0, len(dates) - 1)
    return np.where(dates[index] == wanted, values[index], np.nan)


def _with_market(frame: pd.DataFrame, market: MarketData) -> pd.DataFrame:
    """The model's market inputs per row (see the module docstring)."""
    frame = frame.copy()
    root = frame["root"].iloc[0]
    days = frame["day"]
    spx = market.daily.get("SPX")
    if root == "ES":
        bars = market.futures["ES"].bars
    else:
        bars = spx if root in ("SPX", "SPXW") else market.daily["SPY"]
    assert bars is not None
    frame["spot"] = frame["spot"].fillna(pd.Series(_column_on(bars.dates, bars.close, days), index=frame.index))
    frame["vix"] = _column_on(market.vix.dates, market.vix.close, days) / 100.0
    for column, name in zip(TERM_COLUMNS, TERM_INDICES):
        bars = market.vix if name == "VIX" else market.term_indices.get(name)
        frame[column] = np.nan if bars is None else _column_on(bars.dates, bars.close, days) / 100.0
    frame["rate"] = [market.rate_on(d.date()) for d in days]
    yields = {d: dividend_yield(market, "SPY", d.date()) for d in days.unique()}
    frame["q"] = 0.0 if root == "ES" else days.map(yields).to_numpy()
    frame["dte"] = (frame["expiry"] - days).dt.days
    frame["years"] = (frame["dte"] * 24.0 + frame["hours_to_close"]) / (365.0 * 24.0)
    return frame[(frame["years"] > 0) & (frame["dte"] <= MAX_DTE)]


def _parity_forwards(frame: pd.DataFrame) -> np.ndarray:
    """Per row: the put-call parity forward of its (source, day, root, expiry) from quoted mids,
    NaN without pairs."""
    near = frame[((frame["strike"] - frame["spot"]).abs() <= PARITY_BAND * frame["spot"]) & frame["bid"].notna()]
    keys = ["source", "day", "root", "expiry", "strike"]
    pairs = near.pivot_table(index=keys, columns="call", values="mid", aggfunc="first")
    if True not in pairs or False not in pairs:
        return np.full(len(frame), np.nan)
    pairs = pairs.dropna().reset_index()
    growth = np.exp(near.groupby(keys)[["rate", "years"]].first().prod(axis=1)).reindex(
        pd.MultiIndex.from_frame(pairs[keys])).to_numpy()
    pairs["forward"] = pairs["strike"] + (pairs[True] - pairs[False]) * growth
    forwards = pairs.groupby(keys[:-1])["forward"].median()
    return forwards.reindex(pd.MultiIndex.from_frame(frame[keys[:-1]])).to_numpy()


def carry_forward(table: pd.DataFrame) -> np.ndarray:
    """The chain model's forward per row (its production path): S e^{(r-q)T}, the futures price
    itself for ES."""
    spot, years = table["spot"].to_numpy(dtype=float), table["years"].to_numpy(dtype=float)
    carry = spot * np.exp((table["rate"].to_numpy(dtype=float) - table["q"].to_numpy(dtype=float)) * years)
    return np.where(table["root"].to_numpy() == "ES", spot, carry)


def _market_iv(table: pd.DataFrame) -> pd.DataFrame:
    """Forward, market IV and absolute forward delta per row; keeps the out-of-the-money 5-50
    delta rows with an IV."""
    carry = carry_forward(table)
    parity = _parity_forwards(table)
    table["forward"] = np.where(np.isfinite(parity), parity, carry)
    out = table[np.where(table["call"], table["strike"] >= table["forward"], table["strike"] <= table["forward"])]
    out = out.copy()
    iv = implied_volatility(out["mid"].to_numpy(dtype=float), np.where(out["call"], "call", "put"),
                            out["forward"].to_numpy(dtype=float), out["strike"].to_numpy(dtype=float),
                            out["years"].to_numpy(dtype=float), out["rate"].to_numpy(dtype=float), 0.0, model="black76")
    lean = out["lean_iv"].to_numpy(dtype=float) if "lean_iv" in out else np.full(len(out), np.nan)
    out["market_iv"] = np.where(np.isfinite(lean), lean, iv)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = out["market_iv"] * np.sqrt(out["years"])
        d1 = (np.log(out["forward"] / out["strike"]) + 0.5 * sd * sd) / sd
    out["abs_delta"] = np.where(out["call"], ndtr(d1), 1.0 - ndtr(d1))
    keep = np.isfinite(out["market_iv"]) & (out["abs_delta"] >= DELTA_BAND[0]) & (out["abs_delta"] <= DELTA_BAND[1])
    return out[keep]
