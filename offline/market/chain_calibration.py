"""The offline chain model against every real option quote of the data folder: the IV fit, the
per-day and per-bucket report (in and out of sample), the spread fit, and the chain CSV.

Quotes: offline/market/real_quotes.py (SPX 2019: 56 full chains; SPY 2021: 252 sessions of a 20-contract
slice; SPY 2015-01-05 and 2019-09-06; the LEAN SPX 2015-12 and ES 2020-01 chains), each with its
market IV and the model's inputs of that day (spot, VIX close, CBOE VIX9D/VIX/VIX3M/VIX6M closes,
DGS3MO rate, SPY's dividend yield).

Model IV: the chain model's surface for the same contracts and times, on the production path
(forward S e^{(r-q)T}, the futures price for ES) with the market term structure of the day.

Fit and hold-out (IN_SAMPLE): the surface is fitted on the first half of each multi-day source
(SPX 2019 up to 2019-06-07, SPY 2021 up to 2021-06-30); the later halves and every single-day
source are out of sample. The fit is a least-squares fit (soft-L1 loss) of FITTED_SURFACE_FIELDS
over the 5-50 delta contracts, each (source, day) weighted equally, of the residuals model IV -
market IV of both ATM paths: with the day's CBOE term structure (term_atm_ratio) and without it
(atm_ratio, the model's own term structure for data without the indices); the skew is shared.

Report (10-50 delta unless said): mean absolute IV error and bias (model - market) in volatility
points per (source, day) and per bucket: VIX regime (config.constants.REGIME_TABLE) x days to expiry
(0-7, 8-30, 31-90, 91-180, 181-730) x absolute delta (5-10, 10-25, 25-50) x right; and the median
real and modelled bid/ask spreads (quoted sources, model spread at the real mid).

Command line:  python -m offline.market.chain_calibration --data ../shared/data [--fit] [--markdown]
"""
from __future__ import annotations

import argparse
from dataclasses import asdict, replace
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from config.constants import REGIME_TABLE, product_spec
from helpers.exchange_calendar import EASTERN
from offline.market.chain_model import ChainModel
from offline.market.expiry_time import EXPIRY_CLOSE
from offline.market.market_data import load_market_data
from offline.market.market_inputs import market_inputs
from offline.market.quote_spreads import (
    DEFAULT_SPREADS,
    INDEX_SPREAD_ROOTS,
    INDEX_SPREADS,
    SpreadParameters,
    spread_width,
)
from offline.market.real_quotes import TERM_COLUMNS, carry_forward, load_real_quotes
from offline.market.volatility_surface import (
    DEFAULT_SURFACE,
    TERM_INDICES,
    SurfaceParameters,
    VolatilityTerm,
    implied_volatility_surface,
)

__all__ = [
    "FITTED_SURFACE_FIELDS",
    "FIT_START",
    "bucket_report",
    "day_report",
    "fit_spread_parameters",
    "fit_surface_parameters",
    "in_sample",
    "model_iv",
    "model_spread",
    "term_elasticities",
    "write_chain_csv",
]

FITTED_SURFACE_FIELDS = ("atm_ratio", "term_atm_ratio", "long_run_vol", "mean_reversion", "skew_slope",
                         "put_curvature", "call_curvature", "skew_time_exponent")
_FIT_BOUNDS = ((0.5, 0.5, 0.05, 0.05, -1.0, -0.1, -0.1, 0.1), (1.3, 1.3, 0.5, 20.0, 0.5, 0.5, 0.5, 0.9))
SCORE_DELTA_BAND = (0.10, 0.50)
IN_SAMPLE_UNTIL = {"SPX 2019": pd.Timestamp("2019-06-07"), "SPY 2021": pd.Timestamp("2021-06-30")}
DTE_BUCKETS = ((0, 7), (8, 30), (31, 90), (91, 180), (181, 730))
DELTA_BUCKETS = ((0.05, 0.10), (0.10, 0.25), (0.25, 0.50))
# Neutral starting point of the fit (flat-ish smile, diffusive scaling); the stored defaults do
# not depend on themselves.
SPREAD_BOUNDS = {"base_ticks": (0.0, 40.0), "price_fraction": (0.0, 0.2), "time_widening": (0.0, 30.0),
                 "delta_slope": (-10.0, 10.0), "vix_exponent": (-3.0, 3.0)}
SPREAD_FIT_START = SpreadParameters()  # the class defaults: the stored sets do not depend on themselves
FIT_START = SurfaceParameters(atm_ratio=0.9, term_atm_ratio=0.9, long_run_vol=0.2, mean_reversion=2.0,
                              skew_slope=-0.3, put_curvature=0.0, call_curvature=0.05, skew_time_exponent=0.5)


def _as_of_close(as_of: date) -> datetime:
    return datetime.combine(as_of, EXPIRY_CLOSE, tzinfo=EASTERN)


def in_sample(table: pd.DataFrame) -> np.ndarray:
    """True for the rows the surface is fitted on (see IN_SAMPLE_UNTIL); the rest is out of sample."""
    until = table["source"].map(IN_SAMPLE_UNTIL)
    return (until.notna() & (table["day"] <= until)).to_numpy()


def _term(table: pd.DataFrame) -> tuple[np.ndarray, VolatilityTerm | None]:
    """(rows with all four CBOE closes, their VolatilityTerm)."""
    closes = table[list(TERM_COLUMNS)].to_numpy(dtype=float)
    known = np.isfinite(closes).all(axis=1)
    return known, (VolatilityTerm(closes[known]) if known.any() else None)


def model_iv(table: pd.DataFrame, surface: SurfaceParameters = DEFAULT_SURFACE, market_term: bool = True
             ) -> np.ndarray:
    """The chain model's IV for every row of a real-quotes table (offline.market.real_quotes): with the
    day's CBOE term structure where known (market_term), the model's own term structure elsewhere."""
    level, forward = table["vix"].to_numpy(dtype=float), carry_forward(table)
    strike, years = table["strike"].to_numpy(dtype=float), table["years"].to_numpy(dtype=float)
    iv = implied_volatility_surface(level, forward, strike, years, surface)
    known, term = _term(table)
    if market_term and term is not None:
        iv[known] = implied_volatility_surface(level[known], forward[known], strike[known], years[known], surface, term)
    return iv


def _day_weights(table: pd.DataFrame) -> np.ndarray:
    """1 / sqrt(rows of the row's (source, day)): every day weighs the same in a least-squares fit."""
    counts = table.groupby(["source", "day"])["strike"].transform("size").to_numpy(dtype=float)
    return 1.0 / np.sqrt(counts)


def fit_surface_parameters(table: pd.DataFrame, start: SurfaceParameters = FIT_START) -> SurfaceParameters:
    """The least-squares fit of FITTED_SURFACE_FIELDS on the rows of `table` (see the module
    docstring). Trial points that SurfaceParameters rejects get a constant penalty residual."""
    weights = _day_weights(table)
    level, forward = table["vix"].to_numpy(dtype=float), carry_forward(table)
    strike, years = table["strike"].to_numpy(dtype=float), table["years"].to_numpy(dtype=float)
    market = table["market_iv"].to_numpy(dtype=float)
    known, term = _term(table)
    size = len(table) + int(known.sum())

    def residuals(values: np.ndarray) -> np.ndarray:
        try:
            params = replace(start, **dict(zip(FITTED_SURFACE_FIELDS, (float(v) for v in values))))
        except ValueError:  # a shape SurfaceParameters rejects: constant penalty
            return np.full(size, 0.1)
        own = (implied_volatility_surface(level, forward, strike, years, params) - market) * weights
        if term is None:
            return own
        with_term = implied_volatility_surface(level[known], forward[known], strike[known], years[known], params, term)
        return np.concatenate([own, (with_term - market[known]) * weights[known]])

    x0 = np.clip([getattr(start, n) for n in FITTED_SURFACE_FIELDS], *_FIT_BOUNDS)
    result = least_squares(residuals, x0, bounds=_FIT_BOUNDS, loss="soft_l1", f_scale=0.002)
    return replace(start, **{n: float(f"{v:.4g}") for n, v in zip(FITTED_SURFACE_FIELDS, result.x)})


def _regime(vix_points: np.ndarray) -> np.ndarray:
    bounds = np.array([rule.lower_bound for rule in REGIME_TABLE[1:]])
    names = np.array([rule.regime.value for rule in REGIME_TABLE])
    return names[np.searchsorted(bounds, vix_points, side="right")]


def _bucket(values: np.ndarray, edges: tuple[tuple[float, float], ...], fmt: str) -> np.ndarray:
    labels = np.full(len(values), "", dtype=object)
    for low, high in edges:
        labels[(values >= low) & (values <= high) & (labels == "")] = fmt.format(low, high)
    return labels


def model_spread(table: pd.DataFrame, spreads: SpreadParameters = DEFAULT_SPREADS,
                 index_spreads: SpreadParameters = INDEX_SPREADS) -> np.ndarray:
    """Modelled bid/ask spread of every row, quoted as the chain model quotes (bid rounded down,
    ask up to the tick) around the real mid with the row's delta, expiry and VIX:
    `index_spreads` for the cash-index roots, `spreads` for the others."""
    tick = np.array([product_spec(r).tick_size for r in table["root"]])
    mid = table["mid"].to_numpy(dtype=float)
    half = 0.5 * _width(table, tick, spreads, index_spreads)
    eps = 1e-9
    bid = np.maximum(np.floor((mid - half) / tick + eps) * tick, 0.0)
    ask = np.maximum(np.ceil((mid + half) / tick - eps) * tick, bid + tick)
    return np.round(ask - bid, 10)


def _width(table: pd.DataFrame, tick: np.ndarray, spreads: SpreadParameters,
           index_spreads: SpreadParameters) -> np.ndarray:
    args = (tick, table["mid"].to_numpy(dtype=float), table["years"].to_numpy(dtype=float),
            table["abs_delta"].to_numpy(dtype=float), table["vix"].to_numpy(dtype=float))
    index = table["root"].isin(INDEX_SPREAD_ROOTS).to_numpy()
    return np.where(index, spread_width(index_spreads, *args), spread_width(spreads, *args))


def _scored(table: pd.DataFrame, model: ChainModel) -> pd.DataFrame:
    frame = table.assign(error=(model_iv(table, model.surface) - table["market_iv"]) * 100.0,
                         real_spread=table["ask"] - table["bid"],
                         model_spread=model_spread(table, model.spreads, model.index_spreads),
                         regime=_regime(table["vix"].to_numpy() * 100.0),
                         dte_bucket=_bucket(table["dte"].to_numpy(), DTE_BUCKETS, "{:.0f}-{:.0f}"),
                         delta_bucket=_bucket(table["abs_delta"].to_numpy(), DELTA_BUCKETS, "{:.2f}-{:.2f}"),
                         right=np.where(table["call"], "call", "put"), sample=np.where(in_sample(table), "in", "out"))
    return frame.assign(abs_error=frame["error"].abs())


def _summarise(groups: pd.core.groupby.DataFrameGroupBy) -> pd.DataFrame:
    out = groups.agg(contracts=("error", "size"), mae=("abs_error", "mean"), bias=("error", "mean"),
                     real_spread=("real_spread", "median"), model_spread=("model_spread", "median"))
    return out.assign(spread_ratio=out["model_spread"] / out["real_spread"]).reset_index()


def day_report(table: pd.DataFrame, model: ChainModel | None = None) -> pd.DataFrame:
    """Per (sample, source, day), 10-50 delta: contracts, mae, bias (volatility points), median real
    and model spreads and their ratio, the VIX, and whether the CBOE term structure was known."""
    frame = _scored(table, model or ChainModel())
    frame = frame[(frame["abs_delta"] >= SCORE_DELTA_BAND[0])]
    out = _summarise(frame.groupby(["sample", "source", "day"]))
    extra = frame.groupby(["sample", "source", "day"]).agg(vix=("vix", "first"), term=("term_VIX6M", "first"))
    out = out.merge(extra.reset_index(), on=["sample", "source", "day"])
    return out.assign(vix=out["vix"] * 100.0, term=out["term"].notna())


def bucket_report(table: pd.DataFrame, model: ChainModel | None = None, sample: str = "out") -> pd.DataFrame:
    """Per bucket (regime x dte x delta x right) of the `sample` rows ("in" or "out"), every delta
    bucket (5-50): contracts, mae, bias, median real and model spreads, spread_ratio."""
    frame = _scored(table, model or ChainModel())
    frame = frame[frame["sample"] == sample]
    return _summarise(frame.groupby(["regime", "dte_bucket", "delta_bucket", "right"]))


def overall(table: pd.DataFrame, model: ChainModel | None = None, by: tuple[str, ...] = ("sample",)) -> pd.DataFrame:
    """Per sample ("in", "out"; or per the columns `by`) at 10-50 delta: contracts, mae, bias,
    spreads (all rows pooled)."""
    frame = _scored(table, model or ChainModel())
    return _summarise(frame[frame["abs_delta"] >= SCORE_DELTA_BAND[0]].groupby(list(by)))


def fit_spread_parameters(table: pd.DataFrame, start: SpreadParameters = SPREAD_FIT_START) -> SpreadParameters:
    """Least squares (soft-L1 loss) on the log spread of the quoted rows of `table`, each (source,
    day) weighted equally. The quoted spread is the model width plus, on average, one tick (the bid
    is rounded down and the ask up), so the fitted quantity is ln(width + tick) against the real
    ln(spread)."""
    quoted = table[table["bid"].notna()]
    tick = np.array([product_spec(r).tick_size for r in quoted["root"]])
    mid, years = quoted["mid"].to_numpy(dtype=float), quoted["years"].to_numpy(dtype=float)
    delta, vix = quoted["abs_delta"].to_numpy(dtype=float), quoted["vix"].to_numpy(dtype=float)
    real = np.log(np.maximum((quoted["ask"] - quoted["bid"]).to_numpy(dtype=float), tick))
    weights = _day_weights(quoted)
    names = list(asdict(start))

    def residuals(values: np.ndarray) -> np.ndarray:
        params = SpreadParameters(**dict(zip(names, (float(v) for v in values))))
        return (np.log(spread_width(params, tick, mid, years, delta, vix) + tick) - real) * weights

    lower, upper = zip(*(SPREAD_BOUNDS[n] for n in names))
    x0 = np.clip([getattr(start, n) for n in names], lower, upper)
    result = least_squares(residuals, x0, bounds=(lower, upper), loss="soft_l1", f_scale=0.3)
    return SpreadParameters(**{n: float(f"{v:.3g}") for n, v in zip(names, result.x)})


def term_elasticities(data_dir: str | Path) -> dict[str, float]:
    """d ln(index) / d ln(VIX) within a day for VIX9D, VIX3M and VIX6M: least squares through the
    origin of ln(high / close) and ln(low / close) of the index on those of the VIX, over the NYSE
    sessions of daily/<INDEX>_cboe.csv with consistent bars (low <= close <= high) where the VIX
    moved more than 5% from its close (the stored TERM_ELASTICITIES)."""
    def bars(name: str) -> pd.DataFrame:
        frame = pd.read_csv(Path(data_dir) / "daily" / f"{name}_cboe.csv")
        ok = (frame["nyse_session"] == 1) & (frame["low"] <= frame["close"]) & (frame["close"] <= frame["high"])
        return frame[ok].set_index("date")[["high", "low", "close"]]

    vix = bars("VIX")
    result = {}
    for name in TERM_INDICES:
        if name == "VIX":
            continue
        both = bars(name).join(vix, rsuffix="_vix", how="inner")
        x = np.log(np.concatenate([both["high_vix"], both["low_vix"]]) / np.tile(both["close_vix"], 2))
        y = np.log(np.concatenate([both["high"], both["low"]]) / np.tile(both["close"], 2))
        moved = np.abs(x) > 0.05
        result[name] = float((x[moved] @ y[moved]) / (x[moved] @ x[moved]))
    return result


def write_chain_csv(data_dir: Path | str, date_value: date | str, product: str, out_path: Path | str,
                    max_dte: int = 730) -> Path:
    """Write the modelled chain of `product` at the close (16:00 US/Eastern) of `date_value` to
    `out_path` as CSV with columns expiry,strike,right,bid,ask,iv,delta (iv a fraction, right
    call/put). The same-day expiry has expired at the close and is not included. Market inputs
    come from `market_inputs`, the term structure from the day's CBOE indices where known.
    Returns the path written.

    Raises ValueError (bad date, missing data), KeyError (unknown product), MarketDataError.
    """
    as_of = date.fromisoformat(date_value) if isinstance(date_value, str) else date_value
    market = load_market_data(data_dir, as_of, as_of)
    x = market_inputs(market, as_of, product)
    snap = ChainModel().snapshot(x.root, _as_of_close(as_of), x.underlying_price, x.vol_level, x.rate,
                                 x.dividend_yield, 0, max_dte, term=market.volatility_term(as_of))
    frame = pd.DataFrame({"expiry": snap.expiries.astype(str), "strike": snap.strikes,
                          "right": np.where(snap.is_call, "call", "put"), "bid": snap.bid, "ask": snap.ask,
                          "iv": np.round(snap.iv, 6), "delta": np.round(snap.delta, 6)})
    frame.to_csv(out_path, index=False)
    return Path(out_path)


def _table(frame: pd.DataFrame, columns: dict[str, str], markdown: bool) -> str:
    shown = frame[list(columns)].rename(columns=columns)
    if not markdown:
        return shown.to_string(index=False, float_format=lambda v: f"{v:.2f}")
    cells = [[f"{v:.2f}" if isinstance(v, float) else str(v) for v in row] for row in shown.itertuples(index=False)]
    lines = ["| " + " | ".join(shown.columns) + " |", "|" + "---|" * len(shown.columns)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells])


_BUCKET_COLUMNS = {"regime": "VIX regime", "dte_bucket": "DTE", "delta_bucket": "abs delta", "right": "right",
                   "contracts": "contracts", "mae": "IV MAE", "bias": "IV bias", "real_spread": "real spread",
                   "model_spread": "model spread", "spread_ratio": "model/real"}


def main(argv: list[str] | None = None) -> int:
    """Print the overall, per-day and per-bucket report; --fit refits the surface and the spreads
    on the in-sample days first and reports the refitted model; --markdown prints tables as
    markdown (the README's)."""
    parser = argparse.ArgumentParser(description="Chain model calibration against every real option quote")
    parser.add_argument("--data", required=True, help="market data root (../shared/data)")
    parser.add_argument("--fit", action="store_true", help="refit the parameters on the in-sample days")
    parser.add_argument("--markdown", action="store_true", help="print the tables as markdown")
    parser.add_argument("--days", action="store_true", help="also print the per-day table")
    args = parser.parse_args(argv)
    table = load_real_quotes(args.data)
    model = ChainModel()
    if args.fit:
        train = table[in_sample(table)]
        surface = fit_surface_parameters(train)
        print("fitted surface:", {n: getattr(surface, n) for n in FITTED_SURFACE_FIELDS})
        quoted = train[train["bid"].notna()]
        index = quoted["root"].isin(INDEX_SPREAD_ROOTS)
        spreads, index_spreads = fit_spread_parameters(quoted[~index]), fit_spread_parameters(quoted[index])
        print("fitted spreads (SPY):", asdict(spreads))
        print("fitted spreads (index):", asdict(index_spreads))
        model = ChainModel(surface, spreads, index_spreads)
    inside = table[in_sample(table)].groupby("source")["day"].agg(["nunique", "min", "max"])
    print("fitted on (in sample): " + "; ".join(f"{source} {row['nunique']} days {row['min']:%Y-%m-%d}..{row['max']:%Y-%m-%d}"
                                                for source, row in inside.iterrows())
          + "; every other day and source is out of sample")
    print("IV error in volatility points (model - market), 10-50 delta; spreads: medians in price units")
    print(_table(overall(table, model), {"sample": "sample", **{k: v for k, v in _BUCKET_COLUMNS.items()
                                                                 if k in ("contracts", "mae", "bias", "real_spread",
                                                                          "model_spread", "spread_ratio")}},
                 args.markdown))
    if args.days:
        days = day_report(table, model)
        print(_table(days.assign(day=days["day"].dt.strftime("%Y-%m-%d")),
                     {"sample": "sample", "source": "source", "day": "day", "vix": "VIX", "contracts": "contracts",
                      "mae": "IV MAE", "bias": "IV bias", "spread_ratio": "model/real spread"}, args.markdown))
    print(_table(overall(table, model, ("sample", "source")),
                 {"sample": "sample", "source": "source", **{k: v for k, v in _BUCKET_COLUMNS.items() if k in (
                     "contracts", "mae", "bias", "real_spread", "model_spread", "spread_ratio")}}, args.markdown))
    out = table[~in_sample(table) & (table["abs_delta"] >= SCORE_DELTA_BAND[0])]
    errors = [float(np.mean(np.abs(model_iv(out, model.surface, term) - out["market_iv"]))) * 100.0
              for term in (True, False)]
    flat = float(np.mean(np.abs(out["vix"] - out["market_iv"]))) * 100.0
    print(f"out of sample IV MAE, 10-50 delta: {errors[0]:.2f} with the CBOE term structure, {errors[1]:.2f} with the "
          f"model's own term structure, {flat:.2f} with the flat VIX")
    buckets = bucket_report(table, model, "out")
    wing = buckets["delta_bucket"] == f"{DELTA_BUCKETS[0][0]:.2f}-{DELTA_BUCKETS[0][1]:.2f}"
    print("out of sample, by bucket, 10-50 delta (the goal band):")
    print(_table(buckets[~wing], _BUCKET_COLUMNS, args.markdown))
    print("out of sample, by bucket, 5-10 delta (the wings):")
    print(_table(buckets[wing], _BUCKET_COLUMNS, args.markdown))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
