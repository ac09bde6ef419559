"""Which data the strategies need: the subscription plan, without LEAN.

`plan_subscriptions(config)` here is pure (no LEAN import: tested and counted outside LEAN,
lean_adapter/subscription_count.py); lean_adapter/subscriptions.py makes the LEAN calls. Choices, and why:

- SPY (and QQQ/IWM when a strategy selects them) at minute resolution with RAW prices: option
  strikes refer to the traded price, so split/dividend-adjusted prices would misplace them.
- VIX as an index (`add_index("VIX")`), minute resolution: the regime is checked every minute.
- Equity index futures, micro and full size (/MES and /ES; /MCL, /MGC, /CL, /GC when the strangle
  selects them), continuous contracts with
  * data_mapping_mode OPEN_INTEREST: the continuous contract follows the month with the most open
    interest, which is where traders roll (about a week before a quarterly expiry), so `price()`
    is the contract the options market is quoting around;
  * data_normalization_mode RAW: no back-adjustment, so the price is a real traded price that
    option strikes and Black-76 refer to (adjusted series shift every past price at each roll).
  Their options come from `add_future_option` on the continuous symbol; QuantConnect's data has
  options on the full-size contracts only, so micro futures options are idle in cloud backtests.
- Option filters are explicit. LEAN's default (about +/-1 strike, 0-35 days) would hide the
  112-DTE and LEAP contracts. Each strategy contributes DTE windows (from its exit DTE to its
  entry maximum, so held positions stay visible while they are managed) with a strike band
  around the underlying price wide enough for 5-delta strikes at high volatility; the filter keeps
  a contract when any window of its root holds it. A count-based filter such as
  `strikes(-60, 60)` counts strikes across all expiries (SPY lists $1 strikes near the money), so
  it spans only about +/-13% of SPY: too narrow for 5-delta wings 112 days out or 80% LEAP puts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import NormalDist

from config.constants import product_spec, underlying_of
from config.loader import FrameworkConfig
from helpers.cme_calendar import is_cme_trading_date
from helpers.exchange_calendar import is_nyse_session
from strategies.registry import SPECS

INDEX_ROOTS = frozenset({"SPX", "VIX"})
# Equity index futures are always subscribed, micro and full size (SPEC: full size from $75k).
EQUITY_INDEX_FUTURES = ("MES", "ES")
# Futures universe: contracts expiring within the root's longest option window + this (an option's
# future expires at most one quarterly cycle after it; the continuous contract is mapped anyway).
FUTURES_LISTING_DAYS = 95
BAND_FLOOR_DAYS = 7  # strike bands stop narrowing below this many days to expiry
EDGE_DELTA = 0.05  # a window's band edges hold this put and call delta at every DTE
_Z = NormalDist().inv_cdf(1.0 - EDGE_DELTA)


@dataclass(frozen=True)
class ChainWindow:
    """Option contracts with min_dte <= DTE <= max_dte (calendar days) and a strike between
    low and high times the underlying price at max_dte.

    Nearer expiries get a narrower band holding the same deltas: `low` and `high` are read as
    the strikes of a put and a call of delta EDGE_DELTA at max_dte (Black-Scholes, no rate or
    dividend), which fixes a volatility for each edge; at DTE t the edges are the strikes of the
    same delta at that volatility, about sqrt(t / max_dte) as far from the underlying price
    (t taken as at least BAND_FLOOR_DAYS)."""

    min_dte: int
    max_dte: int
    low: float
    high: float

    def __post_init__(self) -> None:
        if not 0 <= self.min_dte <= self.max_dte:
            raise ValueError(f"chain window DTE range {self.min_dte}..{self.max_dte} is invalid")
        if not math.exp(-_Z * _Z / 2) < self.low < 1 < self.high:
            raise ValueError(f"chain window strike band {self.low}..{self.high} must contain 1 and have low above "
                             f"{math.exp(-_Z * _Z / 2):.3f} (the farthest {EDGE_DELTA:g}-delta put strike)")

    def band(self, dte: int) -> tuple[float, float]:
        """The strike band (low, high, fractions of the underlying price) at `dte` days."""
        scale = math.sqrt(max(dte, BAND_FLOOR_DAYS) / max(self.max_dte, BAND_FLOOR_DAYS))
        if scale >= 1.0:
            return self.low, self.high
        # u = sigma * sqrt(years): the put edge solves ln(low) = -Z u + u^2 / 2 (its smaller root),
        # the call edge ln(high) = Z u + u^2 / 2; u scales with the square root of the time left
        put = (_Z - math.sqrt(_Z * _Z + 2 * math.log(self.low))) * scale
        call = (math.sqrt(_Z * _Z + 2 * math.log(self.high)) - _Z) * scale
        return math.exp(-_Z * put + put * put / 2), math.exp(_Z * call + call * call / 2)

    def holds(self, dte: int, strike: float, spot: float) -> bool:
        if not self.min_dte <= dte <= self.max_dte:
            return False
        low, high = self.band(dte)
        return low * spot <= strike <= high * spot


def holds_any(windows: Iterable[ChainWindow], dte: int, strike: float, spot: float) -> bool:
    """True when a contract `dte` days from expiry at `strike` falls in any of `windows`."""
    return any(window.holds(dte, strike, spot) for window in windows)


@dataclass(frozen=True)
class SubscriptionPlan:
    """Everything `subscribe` adds, derived from the configuration."""

    equities: tuple[str, ...]
    indices: tuple[str, ...]
    futures: tuple[str, ...]
    option_windows: dict[str, tuple[ChainWindow, ...]]
    strategy_products: dict[str, str]
    daily_roots: tuple[str, ...]
    warmup_sessions: int

    def future_horizon(self, root: str) -> int:
        """Days ahead the futures universe of `root` lists contracts: the longest option window
        of the root (the options' underlying contracts) plus FUTURES_LISTING_DAYS."""
        longest = max([window.max_dte for window in self.option_windows.get(root, ())], default=0)
        return longest + FUTURES_LISTING_DAYS

    @property
    def warmup_calendar_days(self) -> int:
        """Calendar days that hold `warmup_sessions` NYSE sessions (252 a year), plus a week."""
        return math.ceil(self.warmup_sessions * 365 / 252) + 7


def strategy_products(config: FrameworkConfig) -> dict[str, str]:
    """Option root each enabled strategy trades first, as it declares it (the spike deployment:
    SPY, or /MES with `vix_spike_use_futures`; full-size roots get the micro root's windows)."""
    return {spec.key: spec.product(spec.parameters(config)) for spec in SPECS if spec.parameters(config).enabled}


def option_windows(config: FrameworkConfig) -> dict[str, tuple[ChainWindow, ...]]:
    """DTE windows and strike bands per option root, for every enabled strategy. A micro futures
    root's windows are repeated on its full-size root (strategies move up at $75,000).

    Bands: 5-delta strikes at VIX 35-40 lie about 4% away on the day of expiry, 25-30% away 112
    days out (with put skew) and LEAP puts sit at 80-90% of spot, LEAP calls near 80 delta.
    """
    found: dict[str, list[ChainWindow]] = {}

    def add(root: str, window: ChainWindow) -> None:
        windows = found.setdefault(root, [])
        if window not in windows:  # LT112 lists /ES itself and through /MES
            windows.append(window)

    for spec in SPECS:
        params = spec.parameters(config)
        if params.enabled:
            for root, wanted in spec.option_windows(params):
                add(root, ChainWindow(wanted.min_dte, wanted.max_dte, wanted.low, wanted.high))
    for root in list(found):
        full_size = product_spec(root).micro_of
        if full_size is not None:
            for window in found[root]:
                add(full_size, window)
    return {root: tuple(windows) for root, windows in found.items()}


def warmup_sessions(config: FrameworkConfig) -> int:
    """Sessions of daily history the strategies look back over, as they declare it (the 52-week
    high, IV rank, the IPMCC's EMA history), at least 30, plus a margin of 5."""
    return max([spec.history_sessions(spec.parameters(config)) for spec in SPECS] + [30]) + 5


def plan_subscriptions(config: FrameworkConfig) -> SubscriptionPlan:
    """The subscriptions the configuration needs.

    Raises:
        KeyError: a configured product is not in the product table.
    """
    windows = option_windows(config)
    underlyings = {underlying_of(root) for root in windows}
    equities = {"SPY"} | {r for r in underlyings if product_spec(r).calendar == "NYSE" and r not in INDEX_ROOTS}
    if config.cash.sweep:
        equities.add(config.cash.sweep_symbol)  # the T-bill ETF holding idle cash (lean_adapter/cash_sweep.py)
    futures = set(EQUITY_INDEX_FUTURES) | {r for r in underlyings if product_spec(r).calendar == "CME"}
    indices = {"VIX"} | (underlyings & INDEX_ROOTS)
    daily = {"SPY", "VIX"} | underlyings
    return SubscriptionPlan(
        equities=tuple(sorted(equities)), indices=tuple(sorted(indices)), futures=tuple(sorted(futures)),
        option_windows=windows, strategy_products=strategy_products(config),
        daily_roots=tuple(sorted(daily)), warmup_sessions=warmup_sessions(config))


def is_trading_day(calendar: str, day: date) -> bool:
    """True when the exchange calendar ("NYSE" or "CME") trades on `day`."""
    return is_cme_trading_date(day) if calendar == "CME" else is_nyse_session(day)


def reference_day(selection_day: date, calendar: str) -> date:
    """The day LEAN counts days to expiry from in a universe selection: the selection's own date
    when the option's exchange trades that day, else its next trading day. LEAN selects a day's
    contracts at midnight after the previous trading day's universe file (Monday's at Saturday
    00:00) and moves its `expiration()` reference the same way (Common/Securities/Option/
    OptionFilterUniverse.cs:127-145)."""
    day = selection_day
    while not is_trading_day(calendar, day):
        day += timedelta(days=1)
    return day
