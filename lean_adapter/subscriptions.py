"""The LEAN subscriptions that deliver the data of a subscription plan
(lean_adapter/subscription_plan.py): `subscribe(algorithm, plan)` makes the calls from
`initialize`, `make_option_filter` builds each option root's universe filter.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from AlgorithmImports import (
    DataMappingMode,
    DataNormalizationMode,
    OptionFilterUniverse,
    OptionUniverse,
    QCAlgorithm,
    Resolution,
    SecurityIdentifier,
    Symbol,
)

from config.constants import product_spec, underlying_of
from lean_adapter.subscription_plan import (
    INDEX_ROOTS,
    ChainWindow,
    SubscriptionPlan,
    holds_any,
    reference_day,
)


def keep_contract(windows: Iterable[ChainWindow], identifier: SecurityIdentifier, today: date, spot: float) -> bool:
    """True when a contract (by its SecurityIdentifier) falls in any window of its root."""
    return holds_any(windows, (identifier.date.date() - today).days, float(identifier.strike_price), spot)


def make_option_filter(windows: tuple[ChainWindow, ...], calendar: str
                       ) -> Callable[[OptionFilterUniverse], OptionFilterUniverse]:
    """The `set_filter` function for one option root (traded on `calendar`, "NYSE" or "CME"):
    weeklies included, expiries up to the longest window, then each contract kept only inside a
    window of DTE (counted from LEAN's reference day) and strike band. With no underlying price
    yet, nothing is kept (no decision without a price)."""
    longest = max(window.max_dte for window in windows)

    def option_filter(universe: OptionFilterUniverse) -> OptionFilterUniverse:
        spot = float(universe.underlying.price) if universe.underlying is not None else 0.0
        today = reference_day(universe.local_time.date(), calendar)

        def select(items: list[OptionUniverse]) -> list[OptionUniverse]:
            if not spot > 0:
                return []
            return [item for item in items if keep_contract(windows, item.symbol.id, today, spot)]

        return universe.include_weeklys().expiration(0, longest).contracts(select)

    return option_filter


@dataclass
class Subscriptions:
    """The LEAN symbols the adapter reads: underlyings by root, VIX, option roots subscribed."""

    underlyings: dict[str, Symbol] = field(default_factory=dict)
    vix: Symbol | None = None
    option_roots: tuple[str, ...] = ()


def subscribe(algorithm: QCAlgorithm, plan: SubscriptionPlan) -> Subscriptions:
    """Add every subscription of `plan` to the algorithm (call from `initialize`)."""
    found = Subscriptions()
    for ticker in plan.equities:
        equity = algorithm.add_equity(ticker, Resolution.MINUTE, data_normalization_mode=DataNormalizationMode.RAW)
        found.underlyings[ticker] = equity.symbol
    for ticker in plan.indices:
        found.underlyings[ticker] = algorithm.add_index(ticker, Resolution.MINUTE).symbol
    found.vix = found.underlyings["VIX"]
    for root in plan.futures:
        future = algorithm.add_future(root, Resolution.MINUTE, data_mapping_mode=DataMappingMode.OPEN_INTEREST,
                                      data_normalization_mode=DataNormalizationMode.RAW, contract_depth_offset=0)
        future.set_filter(0, plan.future_horizon(root))
        found.underlyings[root] = future.symbol
    for root, windows in sorted(plan.option_windows.items()):
        calendar = product_spec(root).calendar
        option_filter = make_option_filter(windows, calendar)
        underlying = underlying_of(root)
        if calendar == "CME":
            algorithm.add_future_option(found.underlyings[underlying], option_filter)
        elif underlying in INDEX_ROOTS:
            index_option = algorithm.add_index_option(found.underlyings[underlying], root, Resolution.MINUTE)
            index_option.set_filter(option_filter)
        else:
            option = algorithm.add_option(found.underlyings[underlying], Resolution.MINUTE)
            option.set_filter(option_filter)
    found.option_roots = tuple(sorted(plan.option_windows))
    return found
