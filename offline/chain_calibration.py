"""The offline chain model against real data: market inputs from the daily files, the real option
chains of ../shared/data/options, the per-chain IV error, the parameter fit and the chain CSV.

Real chains used (each is one as-of date; `load_real_chains`):
* SPY 2015-01-05 EOD (full chain; the stale 2015-01-02 expiry and nonstd > 0 rows dropped),
* SPY 2019-09-06 Yahoo (rows with a positive bid and ask >= bid),
* SPX 2015-12-22 and 2015-12-23 LEAN (the only rich LEAN chains; rows with IV <= 1e-6 dropped),
* ES options 2020-01-03 and 2020-01-06 LEAN (the other ES days have all prices zero).
Left out: the LEAN SPY 2023-12/2024-01 samples (thinned, deep in the money, no contract at 10-50
delta), SPXW 2020-12-31 (no prices) and 2023-06-23 (no contract at 10-50 delta), and SPX
2020-12-30..2021-01-14 (6 contracts a day, rows repeated unchanged across days and an
underlying close that is not the SPX close: stale).

Market IV. For quoted chains (SPY, ES) the IV is recomputed from the mid (SPY) or the LEAN
close (ES) with Black-76 on the forward implied by put-call parity at strikes within 5% of the
underlying (median over strikes), so the reference does not depend on a vendor's dividend, rate
or snapshot-time conventions. For the LEAN SPX chains the LEAN IV is used as given (too few
call/put pairs per expiry for an implied forward). The 10-50 delta filter uses the forward
delta N(d1) at the market IV.

Model IV: what the chain model quotes for the same contracts on the production path (spot and
VIX closes of the date, DGS3MO rate, trailing dividend yield; as of 16:00 US/Eastern). Inputs
come from offline.market_data.load_market_data, except the SPX close (daily/SPX_index.csv.gz),
which that loader does not read.
Error: mean |model IV - market IV| in volatility points over contracts with 10-50 absolute delta;
baseline: the same with the flat VIX as every contract's IV.

Command line:  python -m offline.chain_calibration --data ../shared/data [--fit] [--cross-validate]
"""
from __future__ import annotations

import argparse
import math
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import least_squares
from scipy.special import ndtr

from config.constants import product_spec
from greeks.pricing import implied_volatility
from offline.chain_model import (
    DEFAULT_SPREADS,
    EASTERN,
    EXPIRY_CLOSE,
    ChainModel,
    SpreadParameters,
    spread_width,
)
from offline.market_data import MarketData, load_market_data
from offline.volatility_surface import (
    DEFAULT_SURFACE,
    SurfaceParameters,
    implied_volatility_surface,
    realised_volatility_level,
)

__all__ = [
    "CROSS_VALIDATION_GROUPS",
    "FITTED_SURFACE_FIELDS",
    "FIT_START",
    "MarketInputs",
    "RealChain",
    "calibration_report",
    "cross_validation_report",
    "dividend_yield",
    "fit_spread_parameters",
    "fit_surface_parameters",
    "load_real_chains",
    "market_inputs",
    "spread_report",
    "write_chain_csv",
]

# Roots whose prices come from another series (and its scale): XSP is a tenth of the SPX.
_UNDERLYING = {"SPXW": ("SPX", 1.0), "XSP": ("SPX", 0.1), "MES": ("ES", 1.0), "MNQ": ("NQ", 1.0),
               "MCL": ("CL", 1.0), "MGC": ("GC", 1.0)}
# Dividend yield source: the ETF itself, or SPY's yield for the S&P 500 index options.
_DIVIDEND_TICKER = {"SPY": "SPY", "QQQ": "QQQ", "IWM": "IWM", "TLT": "TLT", "SPX": "SPY", "SPXW": "SPY",
                    "XSP": "SPY"}
FITTED_SURFACE_FIELDS = ("atm_ratio", "long_run_vol", "mean_reversion", "skew_slope", "put_curvature",
                         "call_curvature", "skew_time_exponent")
_FIT_BOUNDS = ((0.5, 0.05, 0.05, -1.0, -0.1, -0.1, 0.1), (1.3, 0.5, 20.0, 0.5, 0.5, 0.5, 0.9))
KEPT_DELTA_BAND = (0.05, 0.50)  # contracts kept and fitted
SCORE_DELTA_BAND = (0.10, 0.50)  # the reported error
WING_DELTA_BAND = (0.05, 0.10)  # the wing diagnostic
CROSS_VALIDATION_GROUPS = ("SPY 2015", "SPY 2019", "SPX", "ES")
# Neutral starting point of the fit (flat-ish smile, diffusive scaling); the fit reaches the same
# optimum from other starts, so the stored defaults do not depend on themselves.
FIT_START = SurfaceParameters(atm_ratio=0.9, long_run_vol=0.2, mean_reversion=2.0, skew_slope=-0.3,
                              put_curvature=0.0, call_curvature=0.05, skew_time_exponent=0.5)
_CHAIN_DATES = (date(2015, 1, 5), date(2020, 1, 6))
_DATA_START = np.datetime64("2015-01-02")  # first day of the shared data (dividends included)


@dataclass(frozen=True)
class MarketInputs:
    """Daily market inputs of one product on one date: close of the underlying (futures price for
    futures options), 30-day volatility level (VIX / 100 or realised vol x premium), continuous
    rate ln(1 + DGS3MO / 100) and continuous dividend yield (0 for futures)."""

    root: str
    as_of: date
    underlying_price: float
    vol_level: float
    rate: float
    dividend_yield: float


def _index_on(dates: np.ndarray, as_of: date, what: str) -> int:
    index = int(np.searchsorted(dates, np.datetime64(as_of, "D")))
    if index >= len(dates) or dates[index] != np.datetime64(as_of, "D"):
        raise ValueError(f"no {what} close on {as_of} in the market data")
    return index


def _spx_close(data_dir: Path, as_of: date) -> float:
    frame = pd.read_csv(Path(data_dir) / "daily" / "SPX_index.csv.gz", usecols=["date", "close"])
    rows = frame.loc[frame["date"] == as_of.isoformat(), "close"]
    if rows.empty:
        raise ValueError(f"no SPX close on {as_of} in daily/SPX_index.csv.gz")
    return float(rows.iloc[0])


def dividend_yield(market: MarketData, ticker: str, as_of: date) -> float:
    """ln(1 + D / close) of an ETF on as_of, D its trailing 12 months of dividends; with less than
    a year of data before as_of (the data start 2015-01-02), the next 12 months instead
    (dividends are announced and well forecast, so this is close to what the market priced).
    0.0 for a ticker without dividend data. Raises ValueError if the ETF has no close on as_of."""
    divs = market.dividends.get(ticker)
    if divs is None:
        return 0.0
    bars = market.bars(ticker)
    price = float(bars.close[_index_on(bars.dates, as_of, ticker)])
    day, year = np.datetime64(as_of, "D"), np.timedelta64(365, "D")
    if day - year >= _DATA_START:
        paid = divs.amounts[(divs.ex_dates > day - year) & (divs.ex_dates <= day)].sum()
    else:
        paid = divs.amounts[(divs.ex_dates > day) & (divs.ex_dates <= day + year)].sum()
    return math.log(1.0 + float(paid) / price)


def market_inputs(market: MarketData, as_of: date, root: str,
                  surface: SurfaceParameters = DEFAULT_SURFACE) -> MarketInputs:
    """Close, 30-day vol level, rate and dividend yield of `root` on `as_of` from loaded data.

    The underlying close must exist on that date, and the VIX too for products whose volatility
    index is the VIX; the others use the 20-session realised vol (roll-free returns for
    futures) x premium. Raises ValueError for missing data, KeyError for an unknown root.
    """
    spec = product_spec(root)
    base, scale = _UNDERLYING.get(spec.root, (spec.root, 1.0))
    if base == "SPX":
        spot = _spx_close(market.data_dir, as_of) * scale
    else:
        bars = market.bars(base)
        index = _index_on(bars.dates, as_of, base)
        spot = float(bars.close[index]) * scale
    if spec.volatility_index == "VIX":
        level = float(market.vix.close[_index_on(market.vix.dates, as_of, "VIX")]) / 100.0
    elif base in market.futures:
        level = realised_volatility_level(market.futures[base].returns[:index + 1], 20, surface)
    else:
        closes = bars.close[:index + 1]
        level = realised_volatility_level(closes[1:] / closes[:-1] - 1.0, 20, surface)
    ticker = _DIVIDEND_TICKER.get(spec.root)
    q = 0.0 if ticker is None else dividend_yield(market, ticker, as_of)
    return MarketInputs(spec.root, as_of, spot, level, market.rate_on(as_of), q)


@dataclass(frozen=True)
class RealChain:
    """Contracts of one real chain at 5-50 absolute forward delta: market IV (fraction) and the
    absolute forward delta N(d1) at that IV. `reference` says how the market IV was obtained."""

    name: str
    reference: str
    inputs: MarketInputs
    expiries: np.ndarray
    strikes: np.ndarray
    is_call: np.ndarray
    market_iv: np.ndarray
    abs_delta: np.ndarray

    def band(self, low: float, high: float) -> np.ndarray:
        """Boolean mask of the contracts with low <= |delta| <= high."""
        return (self.abs_delta >= low) & (self.abs_delta <= high)


def _as_of_close(as_of: date) -> datetime:
    return datetime.combine(as_of, EXPIRY_CLOSE, tzinfo=EASTERN)


def _parity_forwards(frame: pd.DataFrame, rate: float, spot: float) -> np.ndarray:
    """Per-row forward implied by put-call parity, F = K + (C - P) exp(rT), the median over
    strikes within 5% of spot; NaN for expiries with no call/put pair there."""
    near = frame[(frame["strike"] - spot).abs() <= 0.05 * spot]
    pairs = near.pivot_table(index=["expiry", "strike", "years"], columns="call", values="price",
                             aggfunc="first").dropna()
    level = pairs.index.get_level_values
    implied = level("strike").to_numpy(dtype=float) + (pairs[True] - pairs[False]).to_numpy(dtype=float) * np.exp(
        rate * level("years").to_numpy(dtype=float))
    forwards = pd.Series(implied, index=level("expiry")).groupby(level=0).median()
    return forwards.reindex(pd.DatetimeIndex(frame["expiry"])).to_numpy(dtype=float)


def _real_chain(name: str, inputs: MarketInputs, frame: pd.DataFrame) -> RealChain:
    """Market IV and delta of a chain frame (expiry, strike, call, price[, iv]); see the module
    docstring for the two references."""
    frame = frame.assign(years=(frame["expiry"] - pd.Timestamp(inputs.as_of)).dt.days / 365.0)
    frame = frame[frame["years"] > 0]
    years, strikes, calls = (frame[c].to_numpy() for c in ("years", "strike", "call"))
    if "iv" in frame:
        reference, iv = "LEAN IV", frame["iv"].to_numpy(dtype=float)
        forward = inputs.underlying_price * np.exp((inputs.rate - inputs.dividend_yield) * years)
    else:
        reference = "parity forward, Black-76 IV of the quote"
        forward = _parity_forwards(frame, inputs.rate, inputs.underlying_price)
        ok = np.isfinite(forward)
        iv = np.full(len(frame), np.nan)
        iv[ok] = implied_volatility(frame["price"].to_numpy(dtype=float)[ok], np.where(calls, "call", "put")[ok],
                                    forward[ok], strikes[ok], years[ok], inputs.rate, 0.0, model="black76")
    with np.errstate(invalid="ignore", divide="ignore"):
        d1 = (np.log(forward / strikes) + 0.5 * iv * iv * years) / (iv * np.sqrt(years))
        abs_delta = np.abs(np.where(calls, ndtr(d1), ndtr(d1) - 1.0))
        keep = np.isfinite(iv) & (abs_delta >= KEPT_DELTA_BAND[0]) & (abs_delta <= KEPT_DELTA_BAND[1])
    return RealChain(name, reference, inputs, frame["expiry"].to_numpy(dtype="datetime64[D]")[keep], strikes[keep],
                     calls[keep].astype(bool), iv[keep], abs_delta[keep])


def _spy_frames(data_dir: Path) -> list[tuple[str, date, pd.DataFrame]]:
    """The two SPY chains as frames with expiry, strike, call, price (mid), bid, ask."""
    raw = pd.read_csv(data_dir / "options" / "SPY_chain_2015-01-05_eod.csv.gz")
    raw = raw[(raw["expiration"] != "2015-01-02") & (raw["nonstd"] == 0) & (raw["bid"] > 0) & (raw["ask"] >= raw["bid"])]
    expiry = pd.to_datetime(raw["expiration"])  # pre-2015 monthlies carry the Saturday date: use the Friday
    eod = pd.DataFrame({"expiry": expiry - pd.to_timedelta((expiry.dt.weekday == 5).astype(int), unit="D"),
                        "strike": raw["strike"], "call": raw["put_call"] == "C", "bid": raw["bid"], "ask": raw["ask"]})
    raw = pd.read_csv(data_dir / "options" / "SPY_chain_2019-09-06_yahoo.csv.gz")
    bid, ask = pd.to_numeric(raw["Bid"], errors="coerce"), pd.to_numeric(raw["Ask"], errors="coerce")
    yahoo = pd.DataFrame({  # the expiry column is empty for the 2021-03-19 calls; the OCC symbol has it
        "expiry": pd.to_datetime(raw["Contract Name"].str[3:9], format="%y%m%d"), "strike": raw["Strike"],
        "call": raw["tipo"] == "calls", "bid": bid, "ask": ask})[(bid > 0) & (ask >= bid)]
    return [(name, day, f.assign(price=(f["bid"] + f["ask"]) / 2.0).reset_index(drop=True))
            for name, day, f in (("SPY 2015-01-05 EOD", date(2015, 1, 5), eod),
                                 ("SPY 2019-09-06 Yahoo", date(2019, 9, 6), yahoo))]


def _lean_frames(data_dir: Path) -> list[tuple[str, str, date, pd.DataFrame]]:
    """(name, root, date, frame) of the SPX (with LEAN IV) and ES (closes) LEAN chains."""
    raw = pd.read_csv(data_dir / "options" / "lean_option_universes_daily.csv")
    raw = raw.assign(expiry=pd.to_datetime(raw["expiry"]), call=raw["right"] == "C", price=raw["close"],
                     iv=raw["implied_volatility"])
    out = []
    for underlying, root, days, usable in (("SPX", "SPX", ("2015-12-22", "2015-12-23"), raw["iv"] > 1e-6),
                                           ("ES_FOP", "ES", ("2020-01-03", "2020-01-06"), raw["price"] > 0)):
        columns = ["expiry", "strike", "call", "price"] + (["iv"] if root == "SPX" else [])
        for day in days:
            rows = raw[(raw["underlying"] == underlying) & (raw["date"] == day) & usable]
            out.append((f"{root} {day} LEAN", root, date.fromisoformat(day), rows[columns].reset_index(drop=True)))
    return out


def _chain_market(data_dir: Path | str) -> MarketData:
    return load_market_data(data_dir, *_CHAIN_DATES)


def load_real_chains(data_dir: Path | str) -> list[RealChain]:
    """The real chains listed in the module docstring, reduced to 5-50 delta contracts.

    Raises MarketDataError / ValueError / FileNotFoundError when a file or an input is missing.
    """
    data_dir = Path(data_dir)
    market = _chain_market(data_dir)
    chains = [_real_chain(name, market_inputs(market, day, "SPY"), frame) for name, day, frame in _spy_frames(data_dir)]
    chains += [_real_chain(name, market_inputs(market, day, root), frame)
               for name, root, day, frame in _lean_frames(data_dir)]
    return chains


def _model_iv(chain: RealChain, surface: SurfaceParameters) -> np.ndarray:
    x = chain.inputs
    quotes = ChainModel(surface=surface).quote(x.root, _as_of_close(x.as_of), x.underlying_price, x.vol_level,
                                               x.rate, x.dividend_yield, chain.expiries, chain.strikes, chain.is_call)
    return quotes.iv


def _mae_points(model: np.ndarray | float, market: np.ndarray, mask: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(model - market)[mask])) * 100.0) if mask.any() else float("nan")


def _report_rows(chains: list[RealChain], surface: SurfaceParameters) -> list[dict]:
    rows = []
    for chain in chains:
        model = _model_iv(chain, surface)
        score, wing = chain.band(*SCORE_DELTA_BAND), chain.band(*WING_DELTA_BAND) & ~chain.band(*SCORE_DELTA_BAND)
        rows.append({
            "chain": chain.name, "date": chain.inputs.as_of.isoformat(), "contracts": int(score.sum()),
            "mae_model_vol_points": _mae_points(model, chain.market_iv, score),
            "mae_flat_vix_vol_points": _mae_points(chain.inputs.vol_level, chain.market_iv, score),
            "wing_contracts": int(wing.sum()), "mae_wing_vol_points": _mae_points(model, chain.market_iv, wing),
            "vix": chain.inputs.vol_level * 100.0, "reference": chain.reference})
    return rows


def calibration_report(data_dir: Path | str, surface: SurfaceParameters = DEFAULT_SURFACE) -> list[dict]:
    """One row per real chain: chain, date, contracts (at 10-50 delta), mae_model_vol_points and
    mae_flat_vix_vol_points (the VIX as a flat IV) over those contracts, wing_contracts and
    mae_wing_vol_points (model, 5-10 delta), vix (points), reference (how the market IV was had).

    Raises like load_real_chains.
    """
    return _report_rows(load_real_chains(data_dir), surface)


def _fit(chains: list[RealChain], start: SurfaceParameters) -> SurfaceParameters:
    model = ChainModel(surface=start)
    prepared = []
    for c in chains:
        x = c.inputs
        q = model.quote(x.root, _as_of_close(x.as_of), x.underlying_price, x.vol_level, x.rate, x.dividend_yield,
                        c.expiries, c.strikes, c.is_call)
        prepared.append((x.vol_level, q.forward, c.strikes, q.years, c.market_iv, 1.0 / math.sqrt(len(c.strikes))))
    size = sum(len(p[2]) for p in prepared)

    def residuals(values: np.ndarray) -> np.ndarray:
        try:
            params = replace(start, **dict(zip(FITTED_SURFACE_FIELDS, (float(v) for v in values))))
        except ValueError:  # a shape SurfaceParameters rejects: constant penalty
            return np.full(size, 0.1)
        return np.concatenate([(implied_volatility_surface(level, f, k, t, params) - iv) * w
                               for level, f, k, t, iv, w in prepared])

    x0 = np.clip([getattr(start, n) for n in FITTED_SURFACE_FIELDS], *_FIT_BOUNDS)
    result = least_squares(residuals, x0, bounds=_FIT_BOUNDS, loss="soft_l1", f_scale=0.002)
    return replace(start, **{n: float(v) for n, v in zip(FITTED_SURFACE_FIELDS, result.x)})


def fit_surface_parameters(data_dir: Path | str, start: SurfaceParameters = FIT_START) -> SurfaceParameters:
    """Least-squares fit (soft-L1 loss) of the FITTED_SURFACE_FIELDS over every real contract at
    5-50 delta (the wings the strategies trade are in the fit; the score band is 10-50), each
    chain weighted equally. Trial points that SurfaceParameters rejects (a put wing that falls,
    a call wing below 0.05 x ATM) get a constant penalty residual. Run offline once; the result
    is stored as DEFAULT_SURFACE.

    Raises like load_real_chains.
    """
    return _fit(load_real_chains(data_dir), start)


def cross_validation_report(data_dir: Path | str) -> list[dict]:
    """Leave-one-group-out check of the fit: for each group of CROSS_VALIDATION_GROUPS (chain
    name prefixes), refit without it and score its chains. Rows: left_out, chain, contracts,
    mae_model_vol_points (out of sample, 10-50 delta). Raises like load_real_chains.
    """
    chains = load_real_chains(data_dir)
    rows = []
    for group in CROSS_VALIDATION_GROUPS:
        surface = _fit([c for c in chains if not c.name.startswith(group)], FIT_START)
        for row in _report_rows([c for c in chains if c.name.startswith(group)], surface):
            rows.append({"left_out": group, "chain": row["chain"], "contracts": row["contracts"],
                         "mae_model_vol_points": row["mae_model_vol_points"]})
    return rows


def fit_spread_parameters(data_dir: Path | str, start: SpreadParameters = DEFAULT_SPREADS) -> SpreadParameters:
    """Fit the spread model to the bid/ask spreads of the real SPY chains (least squares on the
    log spread, the model spread evaluated at the real mid, each chain weighted equally).

    Raises like load_real_chains.
    """
    tick = product_spec("SPY").tick_size
    prepared = []
    for _, day, frame in _spy_frames(Path(data_dir)):
        years = ((frame["expiry"] - pd.Timestamp(day)).dt.days / 365.0).to_numpy()
        ok = years > 0
        prepared.append((frame["price"].to_numpy()[ok], years[ok],
                         np.log(np.maximum((frame["ask"] - frame["bid"]).to_numpy()[ok], tick)), 1.0 / math.sqrt(ok.sum())))

    def residuals(values: np.ndarray) -> np.ndarray:
        params = SpreadParameters(*(float(v) for v in values))
        return np.concatenate([(np.log(spread_width(params, tick, mid, years)) - log_spread) * w
                               for mid, years, log_spread, w in prepared])

    x0 = np.maximum([start.base_ticks, start.price_fraction, start.time_widening], 1e-6)
    result = least_squares(residuals, x0, bounds=(0.0, [20.0, 0.2, 10.0]), x_scale=[1.0, 1e-2, 1.0])
    return SpreadParameters(*(float(f"{v:.3g}") for v in result.x))


def spread_report(data_dir: Path | str, params: SpreadParameters = DEFAULT_SPREADS) -> list[dict]:
    """Model against real bid/ask spreads on the SPY chains (model spread at the real mid,
    rounded up to the tick). Rows: chain, quotes, median_real_spread, median_model_spread,
    median_abs_log_ratio (0.3 = typically within a factor 1.35). Raises like load_real_chains.
    """
    tick = product_spec("SPY").tick_size
    rows = []
    for name, day, frame in _spy_frames(Path(data_dir)):
        years = ((frame["expiry"] - pd.Timestamp(day)).dt.days / 365.0).to_numpy()
        ok = years > 0
        real = np.maximum((frame["ask"] - frame["bid"]).to_numpy()[ok], tick)
        model = np.ceil(spread_width(params, tick, frame["price"].to_numpy()[ok], years[ok]) / tick - 1e-9) * tick
        rows.append({"chain": name, "quotes": int(ok.sum()), "median_real_spread": float(np.median(real)),
                     "median_model_spread": float(np.median(model)),
                     "median_abs_log_ratio": float(np.median(np.abs(np.log(model / real))))})
    return rows


def write_chain_csv(data_dir: Path | str, date_value: date | str, product: str, out_path: Path | str,
                    max_dte: int = 730) -> Path:
    """Write the modelled chain of `product` at the close (16:00 US/Eastern) of `date_value` to
    `out_path` as CSV with columns expiry,strike,right,bid,ask,iv,delta (iv a fraction, right
    call/put). The same-day expiry has expired at the close and is not included. Market inputs
    come from `market_inputs`. Returns the path written.

    Raises ValueError (bad date, missing data), KeyError (unknown product), MarketDataError.
    """
    as_of = date.fromisoformat(date_value) if isinstance(date_value, str) else date_value
    x = market_inputs(load_market_data(data_dir, as_of, as_of), as_of, product)
    snap = ChainModel().snapshot(x.root, _as_of_close(as_of), x.underlying_price, x.vol_level, x.rate,
                                 x.dividend_yield, 0, max_dte)
    frame = pd.DataFrame({"expiry": snap.expiries.astype(str), "strike": snap.strikes,
                          "right": np.where(snap.is_call, "call", "put"), "bid": snap.bid, "ask": snap.ask,
                          "iv": np.round(snap.iv, 6), "delta": np.round(snap.delta, 6)})
    frame.to_csv(out_path, index=False)
    return Path(out_path)


def _print_report(rows: list[dict]) -> None:
    print("mean absolute IV error in volatility points; contracts at 10-50 delta (wing: 5-10 delta)")
    print(f"{'chain':<22} {'VIX':>6} {'contracts':>9} {'model':>6} {'flat VIX':>8} {'wing n':>6} {'wing':>5}  reference")
    for r in rows:
        print(f"{r['chain']:<22} {r['vix']:>6.2f} {r['contracts']:>9d} {r['mae_model_vol_points']:>6.2f} "
              f"{r['mae_flat_vix_vol_points']:>8.2f} {r['wing_contracts']:>6d} {r['mae_wing_vol_points']:>5.2f}"
              f"  {r['reference']}")


def main(argv: list[str] | None = None) -> int:
    """Print the calibration table and the spread check; --fit refits the surface and spread
    parameters first and scores the refitted surface; --cross-validate adds the
    leave-one-group-out errors."""
    parser = argparse.ArgumentParser(description="Chain model calibration against the real chains")
    parser.add_argument("--data", required=True, help="market data root (../shared/data)")
    parser.add_argument("--fit", action="store_true", help="refit the parameters and print them")
    parser.add_argument("--cross-validate", action="store_true", help="leave-one-group-out errors")
    args = parser.parse_args(argv)
    surface = DEFAULT_SURFACE
    if args.fit:
        surface = fit_surface_parameters(args.data)
        print("fitted surface:", {n: float(f"{getattr(surface, n):.4g}") for n in FITTED_SURFACE_FIELDS})
        print("fitted spreads:", asdict(fit_spread_parameters(args.data)))
    _print_report(calibration_report(args.data, surface))
    for row in spread_report(args.data):
        print(f"spreads {row['chain']}: {row['quotes']} quotes, median real {row['median_real_spread']:.3f}, "
              f"model {row['median_model_spread']:.3f}, median |ln(model / real)| {row['median_abs_log_ratio']:.2f}")
    if args.cross_validate:
        print("out of sample (fitted without the chain's group): 10-50 delta MAE in volatility points")
        for row in cross_validation_report(args.data):
            print(f"{row['chain']:<22} {row['contracts']:>9d} {row['mae_model_vol_points']:>6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
