"""What a strategy declares about itself, as values (the declarations live beside each strategy's
rules, strategies/<key>.py `SPEC`; strategies/registry.py lists them in run order).

The LEAN schedule (lean_adapter/scheduling.py) reads `entry_windows`, the LEAN subscriptions
(lean_adapter/subscription_plan.py) and the offline data check read `option_windows`, `product` and
`history_sessions`, the risk gate (risk/risk_checks.py) reads `risk`. A strategy's parameter section
is `FrameworkConfig.<key>` (config/loader.py); `parameters(config)` returns it. The functions take
that section, so a declaration follows the configuration of the run.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from config.constants import Regime


@dataclass(frozen=True)
class EntryWindow:
    """An entry window opening: on `weekday` ("monday".."friday", None = every session) at `hhmm`
    ("HH:MM" US/Eastern), the value of the section's parameter field `field_name`."""

    weekday: str | None
    hhmm: str
    field_name: str


@dataclass(frozen=True)
class OptionWindow:
    """Contracts a strategy looks at: min_dte..max_dte calendar days, strikes low..high x spot."""

    min_dte: int
    max_dte: int
    low: float
    high: float


class PositionCap(Enum):
    """What the section's `buying_power_cap` (a fraction of net liquidation) bounds."""

    POSITION = "position"  # the margin of the whole position (an add counts what it holds)
    RUNG = "rung"  # each order (a rung) of a position made of rungs
    SPIKE_BUDGET = "spike_budget"  # none: the spike deployment budget bounds the strategy instead


@dataclass(frozen=True)
class RegimeRefusal:
    """Regimes in which the strategy opens nothing, with the risk gate's reason code and wording
    ("no <what> in regime <REGIME>")."""

    regimes: frozenset[Regime]
    reason: str
    what: str


@dataclass(frozen=True)
class RiskPolicy:
    """The risk gate's rules for one strategy (SPEC sections 1, 2, 4 and 6).

    `min_phase`: the account phase from which it opens positions; None reads the section's
    `min_phase` parameter. A strategy with `PositionCap.SPIKE_BUDGET` is the spike deployment:
    the only one the EXTREME regime admits, sized against the spike budget.
    """

    min_phase: int | None = 1
    position_cap: PositionCap = PositionCap.POSITION
    refusal: RegimeRefusal | None = None

    @property
    def spike_deployment(self) -> bool:
        return self.position_cap == PositionCap.SPIKE_BUDGET

    def unlock_phase(self, parameters: Any) -> int:
        """The account phase from which the strategy opens positions."""
        return int(parameters.min_phase) if self.min_phase is None else self.min_phase


def _no_windows(parameters: Any) -> tuple[EntryWindow, ...]:
    return ()


def _product(parameters: Any) -> str:
    return str(parameters.product)


def _no_history(parameters: Any) -> int:
    return 0


@dataclass(frozen=True)
class StrategySpec:
    """Everything about one strategy that the rest of the framework needs, declared once.

    `option_windows(parameters)` gives (option root, window) pairs in order of preference: the
    contracts the strategy trades and manages (its data needs). `product(parameters)` is the root it
    trades first; `history_sessions(parameters)` the daily bars it looks back over. The one strategy
    with `takes_assigned_shares` holds the shares any assignment delivers (core/position_book.py).
    """

    key: str
    option_windows: Callable[[Any], tuple[tuple[str, OptionWindow], ...]]
    entry_windows: Callable[[Any], tuple[EntryWindow, ...]] = _no_windows
    risk: RiskPolicy = field(default_factory=RiskPolicy)
    product: Callable[[Any], str] = _product
    history_sessions: Callable[[Any], int] = _no_history
    takes_assigned_shares: bool = False

    def parameters(self, config: Any) -> Any:
        """The strategy's parameter section of a FrameworkConfig (its name is the key)."""
        return getattr(config, self.key)

    def roots(self, parameters: Any) -> tuple[str, ...]:
        """The option roots of `option_windows`, first seen first."""
        return tuple(dict.fromkeys(root for root, _ in self.option_windows(parameters)))
