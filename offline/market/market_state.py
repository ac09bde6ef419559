"""What the market looks like at the current simulated minute (set by the runner or a test script).

Its dictionaries of prices, dividend yields and volatility indexes keep a copy of what is assigned
to them (at construction too), which counts every change of its contents in the module's
`changes`; with the state's other fields this tells a reader (offline/market/market_view.py) when
what it remembered of the market is out of date. Such a dictionary is not copied or pickled whole
(copy it with dict() first).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Any, Self

from offline.market.volatility_surface import VolatilityTerm

changes = 0  # changes of the contents of every MarketState's watched dictionaries so far
WATCHED = ("prices", "dividend_yields", "vol_index")


@dataclass
class MarketState:
    """What the market looks like at the current simulated minute."""

    now: datetime
    prices: dict[str, float] = field(default_factory=dict)  # underlying root -> price
    session_open: dict[str, float] = field(default_factory=dict)
    vix: float | None = None
    vix_time: datetime | None = None
    vix_previous_close: float | None = None
    rate: float = 0.04  # continuous risk-free rate
    dividend_yields: dict[str, float] = field(default_factory=dict)
    vol_index: dict[str, float] = field(default_factory=dict)  # root -> 30-day vol (fraction) when not VIX
    term: VolatilityTerm | None = None  # the day's CBOE VIX9D/VIX/VIX3M/VIX6M closes; None: the model's


class _WatchedDict(dict[str, float]):
    """A MarketState dictionary that counts every change of its contents in `changes`."""

    __slots__ = ()

    def __setitem__(self, key: str, value: float) -> None:
        super().__setitem__(key, value)
        _count_change()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        _count_change()

    def __ior__(self, other: Any) -> Self:  # type: ignore[override,misc]
        super().__ior__(other)
        _count_change()
        return self

    def update(self, *args: Any, **kwargs: float) -> None:  # once a minute in a backtest: no call in it
        global changes
        dict.update(self, *args, **kwargs)
        changes += 1

    def pop(self, *args: Any) -> Any:
        try:
            return super().pop(*args)
        finally:
            _count_change()

    def popitem(self) -> tuple[str, float]:
        try:
            return super().popitem()
        finally:
            _count_change()

    def setdefault(self, key: str, default: Any = None) -> Any:
        try:
            return super().setdefault(key, default)
        finally:
            _count_change()

    def clear(self) -> None:
        super().clear()
        _count_change()

    def __reduce__(self) -> Any:
        raise TypeError("a MarketState's dictionaries are not copied or pickled (copy the dict first)")


def _count_change() -> None:
    global changes
    changes += 1


def _watched(name: str) -> property:
    """The MarketState attribute `name`: what is assigned is kept as a _WatchedDict copy."""
    attribute = "_" + name

    def set_(state: MarketState, value: dict[str, float]) -> None:
        global changes
        setattr(state, attribute, _WatchedDict(value))
        changes += 1

    return property(attrgetter(attribute), set_)


for _name in WATCHED:  # after @dataclass, which keeps the fields (and dataclasses.fields) as they are
    setattr(MarketState, _name, _watched(_name))
