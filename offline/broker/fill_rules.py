"""The simulated broker's fill rule, leg prices, fees and settings (offline/broker/simulated_broker.py).

FILL RULE (setting `fill_fraction`, default 0.5), per unit with the legs' signed ratios:
    mid = sum(ratio x leg mid); natural = sum(ratio x (ask for a buy leg, bid for a sell leg))
    fill point = mid + fill_fraction x (natural - mid)   (+ worse_fill_ticks x tick, a fault)
An order fills whole at its limit when limit >= fill point (signed prices: paying more or
receiving less is more generous); a limit beyond the natural price fills at the natural price.
The fill reports each leg's price (`leg_prices`): every leg the same share of the way from its mid
toward its own natural side (ask for a buy, bid for a sell), the share that makes the legs add up
to the net fill price; so each leg price lies within its bid and ask.
No fill while a leg lacks a valid quote. Shares trade at the underlying price, no spread.

FEES (USD per contract, `fees`): equity and index options 1.00 to open, futures options 2.50 to
open, both 0 to close; futures 1.25 per side; shares 0. A leg opens where it increases the absolute
holding of its contract, closes where it reduces it. No exercise or regulatory fees.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from config.constants import product_spec
from core.types import Contract, ContractKind, Leg, Quote
from offline.broker.faults import BrokerFaults

EPSILON = 1e-9


@dataclass(frozen=True)
class FeeSchedule:
    """Tastytrade commissions (USD per contract); closing options and shares are free. ValueError
    for a negative or non-finite fee."""

    option_open: float = 1.00  # equity, ETF and index options
    future_option_open: float = 2.50
    future_per_side: float = 1.25

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"fee {name} must be finite and >= 0, got {value!r}")

    def fee(self, contract: Contract, opening: int, closing: int) -> float:
        """Commission in USD for `opening` and `closing` contracts (absolute counts) of `contract`."""
        if contract.kind == ContractKind.FUTURE:
            return self.future_per_side * (opening + closing)
        if contract.kind == ContractKind.EQUITY:
            return 0.0
        futures_option = product_spec(contract.root).future_multiplier > 0
        return (self.future_option_open if futures_option else self.option_open) * opening


def split_open_close(held: int, change: int) -> tuple[int, int]:
    """(opening, closing) absolute contracts of a trade of signed `change` against a holding `held`."""
    if held == 0 or (held > 0) == (change > 0):
        return abs(change), 0
    closing = min(abs(change), abs(held))
    return abs(change) - closing, closing


def fill_point(legs: Sequence[Leg], quotes: Sequence[Quote], fill_fraction: float) -> tuple[float, float]:
    """(modelled fill point, natural price) of one unit, signed net prices (debit +)."""
    mid = sum(leg.ratio * quote.mid for leg, quote in zip(legs, quotes))
    natural = sum(leg.ratio * (quote.ask if leg.ratio > 0 else quote.bid) for leg, quote in zip(legs, quotes))
    return mid + fill_fraction * (natural - mid), natural


def leg_prices(legs: Sequence[Leg], quotes: Sequence[Quote], net_price: float) -> tuple[float, ...]:
    """Price per contract of each leg making up `net_price` (signed, debit +): leg mid + share x half
    its spread toward its natural side, one share for all legs with sum(ratio x price) = net_price.
    Raises ValueError when the net price is off the mid while every spread is zero."""
    half = [(quote.ask - quote.bid) / 2.0 for quote in quotes]
    mid = sum(leg.ratio * quote.mid for leg, quote in zip(legs, quotes))
    room = sum(abs(leg.ratio) * h for leg, h in zip(legs, half))
    if room <= EPSILON:
        if abs(net_price - mid) > EPSILON:
            raise ValueError(f"net price {net_price!r} off the mid {mid!r} with no spread to place it in")
        return tuple(quote.mid for quote in quotes)
    share = (net_price - mid) / room
    return tuple(quote.mid + (share * h if leg.ratio > 0 else -share * h) for leg, quote, h in zip(legs, quotes, half))


@dataclass(frozen=True)
class BrokerSettings:
    """Behaviour of the simulated broker (module docstring); ValueError names a setting out of range."""

    fill_fraction: float = 0.5  # 0 = fills at the mid, 1 = only at the natural price
    fees: FeeSchedule = field(default_factory=FeeSchedule)
    exercise_threshold: float = 0.01  # USD in the money for automatic exercise (OCC)
    early_assignment_max_dte: int = 2
    early_assignment_max_extrinsic: float = 0.05  # USD per share
    rate: float = 0.04  # risk-free rate for implied volatilities in the margin estimate
    faults: BrokerFaults = field(default_factory=BrokerFaults)

    def __post_init__(self) -> None:
        if not 0.0 <= self.fill_fraction <= 1.0:
            raise ValueError(f"broker setting fill_fraction must be in [0, 1], got {self.fill_fraction!r}")
        for name in ("exercise_threshold", "early_assignment_max_dte",
                     "early_assignment_max_extrinsic", "rate"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) >= 0):
                raise ValueError(f"broker setting {name} must be finite and >= 0, got {getattr(self, name)!r}")
