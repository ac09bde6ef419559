"""Modelled option chains for the offline engine: listed expiries and strikes, IV, bid/ask, delta.

`ChainModel.snapshot` builds the whole chain of one product at one time as a core ChainSnapshot,
and `ChainModel.price_contract` marks one contract with exactly the same model, so positions are
valued consistently with the chain they were traded from. Everything is vectorised (numpy arrays,
no per-contract Python loop).

Model, row by row:
* Expiries: helpers.expiry_calendar.listed_expiries (the product's real listing calendar).
* Time (offline.market.expiry_time): calendar time from `as_of` to the expiry's close at 16:00
  US/Eastern (SPY, SPXW and the CME equity options are PM-settled; the few AM-settled series -
  SPX monthlies, CME quarterlies settled at the open - are treated the same, a difference of 6.5
  hours), in years of 365 days, measured on the US/Eastern wall clock. Expiries whose close
  is not after `as_of` are excluded.
* Forward: S exp((r - q) T) for "bsm" products (spot underlying, continuous dividend yield q);
  for "black76" products the underlying price is the futures price itself (one futures price
  for all expiries: the carry between contract months is ignored).
* IV from offline.market.volatility_surface (the 30-day level is the VIX, or realised vol x premium; for
  the VIX products the ATM term structure comes from the day's CBOE indices when `term` is given).
* Price and delta: American equity and ETF options (SPY, QQQ, IWM: exercise style "american",
  spot underlying) from greeks.american (early exercise with the dividend yield q, within
  max($0.02, 0.5%) of QuantLib); European index options (SPX, SPXW) from greeks.pricing (BSM);
  futures options from greeks.pricing (Black-76, European: the early-exercise premium of an
  option on a futures contract is ignored). Delta is the model delta (spot delta for bsm, the
  discounted futures delta for black76).
* Bid/ask around the model price (offline.market.quote_spreads): spread = max(tick,
  (base_ticks * tick + price_fraction * price) * (1 + time_widening * T) * exp(delta_slope *
  (d - 0.25)) * (level / 0.20) ** vix_exponent), d = min(|delta|, 1 - |delta|) the
  out-of-the-money-equivalent delta and level the 30-day volatility level (VIX / 100); bid rounded down and ask up to the product's tick
  (config.constants), bid >= 0 and ask >= bid + tick. The price is lifted where the spread
  would put the bid below the intrinsic value (spot or futures price against the strike), so no
  quote is ever below it. Two parameter sets, fitted to the real quotes by
  offline.market.chain_calibration.fit_spread_parameters: DEFAULT_SPREADS (SPY; used for the ETF and
  futures options) and INDEX_SPREADS (SPX/SPXW/XSP cash-index options, from the SPX 2019 chains).
* Strikes on the product's grid (offline.market.strike_grid.STRIKE_GRIDS): fine steps within
  `fine_range_fraction` of the underlying price, coarse steps beyond, one long-dated step for
  expiries past `long_dated_dte` days; covering `put_range_sd` ATM standard deviations (sigma_atm sqrt(T))
  in log-moneyness below the forward and `call_range_sd` above it, and at least
  `min_range_fraction` on each side. With the skew the put IV 4 ATM standard deviations out
  is about twice the ATM IV (delta near 2%) and the call IV 3 out about 0.8 times it (delta
  well below 1%): the 5-delta wings are inside the range.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from config.constants import ProductSpec, product_spec
from core.types import CALL, ChainSnapshot, Contract, ContractKind, normalize_right
from greeks.american import american_price_and_delta
from greeks.pricing import price_and_delta
from helpers.exchange_calendar import EASTERN
from helpers.expiry_calendar import listed_expiries
from offline.market.expiry_time import SECONDS_PER_YEAR, eastern_naive, years_to_expiry
from offline.market.quote_spreads import (
    DEFAULT_SPREADS,
    INDEX_SPREAD_ROOTS,
    INDEX_SPREADS,
    SpreadParameters,
    spread_width,
)
from offline.market.strike_grid import STRIKE_GRIDS
from offline.market.volatility_surface import (
    DEFAULT_SURFACE,
    SurfaceParameters,
    VolatilityTerm,
    atm_volatility,
    implied_volatility_surface,
)

__all__ = ["ChainModel", "ContractQuotes", "forward_prices"]


@dataclass(frozen=True)
class ContractQuotes:
    """Model quotes of a batch of contracts (parallel float arrays, price units).

    price is the model (theoretical) value; iv a fraction; delta signed (puts negative);
    years the time to expiry used; forward the forward (or futures) price used.
    """

    bid: np.ndarray
    ask: np.ndarray
    price: np.ndarray
    iv: np.ndarray
    delta: np.ndarray
    years: np.ndarray
    forward: np.ndarray




def forward_prices(spec: ProductSpec, underlying_price: float, rate: float, dividend_yield: float,
                   years: np.ndarray) -> np.ndarray:
    """Forward price per expiry: S exp((r - q) T) for bsm products, the futures price for black76.

    Raises ValueError if a black76 (futures) product gets a non-zero dividend yield.
    """
    t = np.asarray(years, dtype=float)
    if spec.option_model == "black76":
        if dividend_yield != 0.0:
            raise ValueError(f"dividend_yield must be 0 for futures options on {spec.root}, got {dividend_yield!r}")
        return np.broadcast_to(np.asarray(underlying_price, dtype=float), t.shape).copy()
    return underlying_price * np.exp((rate - dividend_yield) * t)


def _check_market(underlying_price: float | np.ndarray, vol_index: float | np.ndarray, rate: float,
                  dividend_yield: float) -> None:
    """Scalars, or arrays (one per row) for the underlying price and the volatility level."""
    spot, level = np.asarray(underlying_price, dtype=float), np.asarray(vol_index, dtype=float)
    if not np.all(np.isfinite(spot) & (spot > 0)):
        raise ValueError(f"underlying_price must be finite and > 0, got {underlying_price!r}")
    if not np.all(np.isfinite(level) & (level > 0.0) & (level <= 5.0)):
        raise ValueError(f"vol_index must be a volatility fraction in (0, 5] (VIX 20 -> 0.20), got {vol_index!r}")
    if not (math.isfinite(rate) and -0.5 < rate < 1.0):
        raise ValueError(f"rate must be a continuous annual fraction, got {rate!r}")
    if not (math.isfinite(dividend_yield) and -0.5 < dividend_yield < 1.0):
        raise ValueError(f"dividend_yield must be a continuous annual fraction, got {dividend_yield!r}")


def _term_for(spec: ProductSpec, term: VolatilityTerm | None) -> VolatilityTerm | None:
    """The CBOE term structure applies to the products whose volatility index is the VIX."""
    return term if spec.volatility_index == "VIX" else None


def _expand_ranges(first: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges first[i] .. first[i]+count[i]-1: (owner index i, integer value) per element."""
    count = np.maximum(count, 0)
    owner = np.repeat(np.arange(len(count)), count)
    starts = np.cumsum(count) - count
    values = np.arange(int(count.sum())) - np.repeat(starts, count) + np.repeat(first, count)
    return owner, values


class ChainModel:
    """Option chain model: see the module docstring for the listing, IV, price and spread rules.

    surface: IV surface parameters; spreads / index_spreads: bid/ask parameters (cash-index options
    use index_spreads); put_range_sd / call_range_sd:
    strike coverage below / above the forward in ATM standard deviations; min_range_fraction:
    minimum coverage on each side as a fraction of the forward (0.05: 5%).
    Raises ValueError for a non-positive coverage.
    """

    def __init__(self, surface: SurfaceParameters = DEFAULT_SURFACE, spreads: SpreadParameters = DEFAULT_SPREADS,
                 index_spreads: SpreadParameters = INDEX_SPREADS, put_range_sd: float = 4.0,
                 call_range_sd: float = 3.0, min_range_fraction: float = 0.05) -> None:
        for name, value in (("put_range_sd", put_range_sd), ("call_range_sd", call_range_sd),
                            ("min_range_fraction", min_range_fraction)):
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be finite and > 0, got {value!r}")
        self.surface = surface
        self.spreads = spreads
        self.index_spreads = index_spreads
        self.put_range_sd = float(put_range_sd)
        self.call_range_sd = float(call_range_sd)
        self.min_range_fraction = float(min_range_fraction)

    # ------------------------------------------------------------------ quotes of given contracts

    def volatility(self, root: str, as_of: datetime | np.ndarray, underlying_price: float | np.ndarray,
                   vol_index: float | np.ndarray, rate: float, dividend_yield: float, expiries: np.ndarray,
                   strikes: np.ndarray, term: VolatilityTerm | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(years to expiry, forward, IV) of the given contracts: what `quote` prices them with
        (same arguments and errors), without pricing them."""
        spec = product_spec(root)
        _check_market(underlying_price, vol_index, rate, dividend_yield)
        k = np.asarray(strikes, dtype=float)
        if np.any(~(k > 0.0)):
            raise ValueError("strikes must all be > 0")
        years = np.maximum(years_to_expiry(as_of, expiries), 0.0)
        forward = forward_prices(spec, underlying_price, rate, dividend_yield, years)
        return years, forward, implied_volatility_surface(vol_index, forward, k, years, self.surface,
                                                          _term_for(spec, term))

    def quote(self, root: str, as_of: datetime | np.ndarray, underlying_price: float | np.ndarray,
              vol_index: float | np.ndarray, rate: float, dividend_yield: float, expiries: np.ndarray,
              strikes: np.ndarray, is_call: np.ndarray, term: VolatilityTerm | None = None) -> ContractQuotes:
        """Model bid, ask, price, IV and delta of the given contracts (parallel arrays).

        as_of, underlying_price and vol_index are one value for all rows, or arrays with one value
        per row (naive US/Eastern datetime64 times): several minutes priced in one call.

        vol_index: the 30-day volatility level as a fraction (VIX / 100, or realised vol x
        premium). rate and dividend_yield: continuous annual fractions (q must be 0 for futures
        options). term: the day's CBOE volatility indices (the ATM term structure of products
        whose volatility index is the VIX; ignored for the others), None for the model's. Contracts already expired (close at or before as_of) are valued at T = 0
        (intrinsic value). Raises ValueError for bad market inputs or strikes <= 0, and KeyError
        for an unknown root.
        """
        spec = product_spec(root)
        years, forward, iv = self.volatility(root, as_of, underlying_price, vol_index, rate, dividend_yield,
                                             expiries, strikes, term)
        k = np.asarray(strikes, dtype=float)
        call = np.asarray(is_call, dtype=bool)
        if spec.american_on_spot:
            price, delta = american_price_and_delta(call, underlying_price, k, years, rate, dividend_yield, iv)
        else:
            price, delta = price_and_delta(call, underlying_price, k, years, rate,
                                           None if spec.option_model == "black76" else dividend_yield, iv)
        intrinsic = np.maximum(np.where(call, underlying_price - k, k - underlying_price), 0.0)
        spreads = self.index_spreads if spec.root in INDEX_SPREAD_ROOTS else self.spreads
        half = 0.5 * spread_width(spreads, spec.tick_size, price, years, np.abs(delta), vol_index)
        bid, ask, price = self._bid_ask(spec.tick_size, price, half, intrinsic, spec.exercise_style == "american")
        return ContractQuotes(bid, ask, price, iv, delta, years, forward)

    def _bid_ask(self, tick: float, price: np.ndarray, half: np.ndarray, intrinsic: np.ndarray,
                 exercisable: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(bid, ask, price): the quotes around the model price. An `exercisable` (American) option's
        price is lifted where needed so that the bid is never below the exercise (intrinsic) value:
        the European formulas value deep in-the-money options below it, which an exercisable option
        never trades at. A European option (SPX) keeps its discounted value below intrinsic.
        `half` is half the model spread."""
        if exercisable:
            price = np.maximum(price, intrinsic + half * (intrinsic > 0.0))
        eps = 1e-9
        bid = np.maximum(np.floor((price - half) / tick + eps) * tick, 0.0)
        ask = np.ceil((price + half) / tick - eps) * tick
        ask = np.maximum(ask, bid + tick)
        return np.round(bid, 10), np.round(ask, 10), price

    # ------------------------------------------------------------------ the listed chain

    def listed_strikes(self, root: str, underlying_price: float, forward: np.ndarray, years: np.ndarray,
                       dte: np.ndarray, vol_index: float, term: VolatilityTerm | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
        """Strikes listed per expiry: (expiry index per strike, strike), sorted by expiry then strike.

        forward, years, dte: one value per expiry. Raises KeyError for a root without a grid.
        """
        try:
            grid = STRIKE_GRIDS[root.upper()]
        except KeyError:
            raise KeyError(f"no strike grid for root {root!r}; known: {', '.join(sorted(STRIKE_GRIDS))}") from None
        t = np.maximum(years, 1.0 / SECONDS_PER_YEAR * 60.0)
        sd = atm_volatility(vol_index, t, self.surface, _term_for(product_spec(root), term)) * np.sqrt(t)
        low = forward * np.exp(-np.maximum(self.put_range_sd * sd, self.min_range_fraction))
        high = forward * np.exp(np.maximum(self.call_range_sd * sd, self.min_range_fraction))
        long_dated = dte > grid.long_dated_dte
        fine = np.where(long_dated, grid.long_dated_step, grid.fine_step)
        coarse = np.where(long_dated, grid.long_dated_step, grid.coarse_step)
        fine_low = np.maximum(low, underlying_price * (1.0 - grid.fine_range_fraction))
        fine_high = np.minimum(high, underlying_price * (1.0 + grid.fine_range_fraction))
        # Three non-overlapping pieces per expiry: coarse below the fine zone, fine, coarse above.
        f_first = np.ceil(fine_low / fine - 1e-9)
        f_last = np.floor(fine_high / fine + 1e-9)
        lo_first = np.maximum(np.ceil(low / coarse - 1e-9), 1.0)
        lo_last = np.ceil(f_first * fine / coarse - 1e-9) - 1.0
        hi_first = np.maximum(np.floor(f_last * fine / coarse + 1e-9) + 1.0, lo_last + 1.0)
        hi_last = np.floor(high / coarse + 1e-9)
        f_first = np.maximum(f_first, 1.0)
        owners, strikes = [], []
        for first, last, step in ((lo_first, lo_last, coarse), (f_first, f_last, fine), (hi_first, hi_last, coarse)):
            owner, index = _expand_ranges(first.astype(np.int64), (last - first + 1.0).astype(np.int64))
            owners.append(owner)
            strikes.append(index * step[owner])
        owner = np.concatenate(owners)
        strike = np.round(np.concatenate(strikes), 8)
        order = np.lexsort((strike, owner))
        return owner[order], strike[order]

    def snapshot(self, root: str, as_of_datetime: datetime, underlying_price: float, vol_index: float,
                 rate: float, dividend_yield: float, min_dte: int = 0, max_dte: int = 730,
                 right: str | None = None, term: VolatilityTerm | None = None) -> ChainSnapshot:
        """The modelled chain of `root` at `as_of_datetime` for expiries with min_dte..max_dte days
        (only its calls or puts when `right` is "call" or "put").

        Rows are ordered by expiry, strike, then call before put. Arguments as in `quote`.
        Raises ValueError for bad inputs or min_dte > max_dte, KeyError for an unknown root.
        """
        if not (0 <= min_dte <= max_dte):
            raise ValueError(f"need 0 <= min_dte <= max_dte, got {min_dte}, {max_dte}")
        spec = product_spec(root)
        _check_market(underlying_price, vol_index, rate, dividend_yield)
        local = eastern_naive(as_of_datetime)
        today = local.date()
        expiries = np.array([d for d in listed_expiries(spec.root, today, max_dte)
                             if (d - today).days >= min_dte], dtype="datetime64[D]")
        years = years_to_expiry(local, expiries)
        alive = years > 0.0
        expiries, years = expiries[alive], years[alive]
        dte = (expiries - np.datetime64(today, "D")).astype(np.int64)
        forward = forward_prices(spec, underlying_price, rate, dividend_yield, years)
        owner, strikes = self.listed_strikes(spec.root, underlying_price, forward, years, dte, vol_index, term)
        if right is None:
            row_expiry, row_strike = np.repeat(expiries[owner], 2), np.repeat(strikes, 2)
            is_call = np.tile(np.array([True, False]), len(strikes))
        else:
            row_expiry, row_strike = expiries[owner], strikes
            is_call = np.full(len(strikes), normalize_right(right) == CALL)
        q = self.quote(spec.root, local, underlying_price, vol_index, rate, dividend_yield,
                       row_expiry, row_strike, is_call, term)
        when = as_of_datetime if as_of_datetime.tzinfo is not None else as_of_datetime.replace(tzinfo=EASTERN)
        return ChainSnapshot(spec.root, when, float(underlying_price), row_expiry, row_strike, is_call,
                             q.bid, q.ask, q.iv, q.delta)

    def price_contract(self, contract: Contract, as_of: datetime, underlying_price: float, vol_index: float,
                       rate: float, q: float, term: VolatilityTerm | None = None) -> tuple[float, float, float, float]:
        """(bid, ask, iv, delta) of one option contract, consistent with `snapshot`.

        Raises ValueError if the contract is not an option or the market inputs are bad.
        """
        if contract.kind != ContractKind.OPTION:
            raise ValueError(f"price_contract needs an option contract, got {contract.key}")
        assert contract.expiry is not None and contract.strike is not None
        res = self.quote(contract.root, as_of, underlying_price, vol_index, rate, q,
                         np.array([contract.expiry], dtype="datetime64[D]"), np.array([contract.strike]),
                         np.array([contract.right == CALL]), term)
        return float(res.bid[0]), float(res.ask[0]), float(res.iv[0]), float(res.delta[0])

