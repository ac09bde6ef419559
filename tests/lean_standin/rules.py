"""LEAN's rules that the stand-in applies, as small pure functions (each names the LEAN file and
line it follows; QuantConnect/Lean at 24863901). `Lean:` is a path in that repository.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from tests.lean_standin.market_hours import is_date_open, market_close


@dataclass(frozen=True)
class Bar:
    """One side (bid or ask) of a quote bar, or a trade bar: open, high, low, close."""

    open: float
    high: float
    low: float
    close: float


@dataclass(frozen=True)
class ComboLeg:
    """A leg of a combo order at fill time: its ratio (signed contracts per unit of the group),
    its bid and ask bars of the current minute, and whether it is an equity (ratio / 100)."""

    ratio: int
    bid: Bar
    ask: Bar
    equity: bool = False


def combo_limit_fill(group_quantity: int, limit: float, legs: list[ComboLeg]) -> list[float] | None:
    """Fill prices of every leg (in leg order) when LEAN's combo limit rule fills, else None.

    `Lean:Common/Orders/Fills/FillModel.cs:161-235`: the group direction is the sign of the group
    quantity (`Lean:Common/Orders/GroupOrderManager.cs:62-76`); each leg is priced from its own
    side of the quote (its direction: Sell takes the bid bar, Buy the ask bar,
    `FillModel.cs:1150-1199` GetPrices); a Buy group uses every leg's Low, a Sell group every
    leg's High (`FillModel.cs:1243-1258`); the sum of price x ratio (equity ratio / 100) must be
    strictly below the limit for a Buy, strictly above for a Sell. Each leg then fills whole at
    that Low or High, so the net fill differs from the limit.
    """
    buy_group = group_quantity > 0
    total = Decimal(0)  # LEAN sums in System.Decimal: 0.10 - 0.42 + 0.07 - 0.35 is exactly -0.60
    prices = []
    for leg in legs:
        leg_buys = leg.ratio * group_quantity > 0
        bar = leg.ask if leg_buys else leg.bid
        price = bar.low if buy_group else bar.high
        ratio = Decimal(leg.ratio) / 100 if leg.equity else Decimal(leg.ratio)
        total += Decimal(repr(price)) * ratio
        prices.append(price)
    limit_value = Decimal(repr(limit))
    fills = total < limit_value if buy_group else total > limit_value
    return prices if fills else None


def limit_fill(quantity: int, limit: float, bar: Bar) -> float | None:
    """A single limit order's fill price, else None (`Lean:Common/Orders/Fills/FillModel.cs:678-730`):
    a buy fills when the bar's Low is below the limit, at min(High, limit); a sell when the High is
    above it, at max(Low, limit). `bar` is the ask bar for a buy, the bid bar for a sell."""
    if quantity > 0:
        return min(bar.high, limit) if bar.low < limit else None
    return max(bar.low, limit) if bar.high > limit else None


def tastytrade_fee(option: bool, future_option: bool, opens: bool, contracts: int) -> float:
    """`Lean:Common/Orders/Fees/TastytradeFeeModel.cs:32,42,59,65,71`: $1 per option contract and
    $2.50 per futures-option contract to open, nothing to close (other types are not modelled here)."""
    if not opens:
        return 0.0
    if future_option:
        return 2.5 * abs(contracts)
    return 1.0 * abs(contracts) if option else 0.0


def day_order_expired(order_day: date, now: datetime) -> bool:
    """`Lean:Common/Orders/TimeInForces/DayTimeInForce.cs:65-72`: a DAY order on an equity, option,
    future or futures option expires when the security's local time reaches the market close of
    the day it was placed (New York entries; `now` naive New York time)."""
    return now >= market_close(order_day)


# `Lean:Engine/Storage/LocalObjectStore.cs:115`
OBJECT_STORE_KEY = re.compile(r"^\.?[a-zA-Z0-9\\/_#\-\$= ]+\.?[a-zA-Z0-9]*$")


def valid_object_store_key(key: str) -> bool:
    """Keys LEAN accepts; others raise ArgumentException (`LocalObjectStore.cs:329-332`)."""
    return OBJECT_STORE_KEY.match(key) is not None


def within_storage_limit(sizes: dict[str, int], key: str, new_size: int, max_bytes: int, max_files: int) -> bool:
    """`Lean:Engine/Storage/LocalObjectStore.cs:377-425`: a save is refused (returns False) when
    the total size after it exceeds the size limit or a new key exceeds the file count."""
    total = sum(size for name, size in sizes.items() if name != key) + new_size
    files = len(sizes) + (0 if key in sizes else 1)
    return total <= max_bytes and files <= max_files


def universe_selection_time(day: date) -> datetime:
    """When the option universe of trading day `day` is selected: the end time of the previous
    trading day's universe file, i.e. that date + 1 day at midnight
    (`Lean:Common/Data/UniverseSelection/BaseChainUniverseData.cs:120`,
    `Lean:Common/Data/UniverseSelection/OptionChainUniverse.cs:94-96`). Monday's is Saturday 00:00."""
    previous = day - timedelta(days=1)
    while not is_date_open(previous):
        previous -= timedelta(days=1)
    return datetime.combine(previous + timedelta(days=1), datetime.min.time())


def expiration_reference_date(local_time: datetime) -> date:
    """The date `expiration(min, max)` counts days from: the selection date moved to the next
    trading day when it is not one (`Lean:Common/Securities/Option/OptionFilterUniverse.cs:127-145`,
    used by `Lean:Common/Securities/ContractSecurityFilterUniverse.cs:314`)."""
    day = local_time.date()
    while not is_date_open(day):
        day += timedelta(days=1)
    return day


def auto_exercised(is_call: bool, strike: float, underlying_price: float) -> bool:
    """`Lean:Common/Securities/Option/Option.cs:329-332`: exercised at expiry when the intrinsic
    value is at least 0.01."""
    spot, k = Decimal(repr(underlying_price)), Decimal(repr(strike))
    intrinsic = spot - k if is_call else k - spot
    return intrinsic >= Decimal("0.01")


def exercise_quantity(is_call: bool, exercise_order_quantity: int, unit_of_trade: int) -> int:
    """The underlying delivered by an exercise order of `exercise_order_quantity` contracts
    (= minus the holding): `Lean:Common/Securities/Option/Option.cs:312-324`. The unit of trade is
    the contract multiplier (100 for SPY), but 1 for futures options: one future per contract
    (`Lean:Common/Securities/SecurityService.cs:192-198`)."""
    return (-1 if is_call else 1) * exercise_order_quantity * unit_of_trade

