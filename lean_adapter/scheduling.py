"""The LEAN schedule, US/Eastern (the algorithm's time zone is set to New York in initialize).

- session start: one minute after SPY's open (the opening bar is then complete);
- the minute cycle: every minute; the handler runs the core only in regular hours;
- session end: one minute after SPY's close (13:01 on half days);
- one event per strategy entry window (`strategy_windows`, as the strategies declare them): the
  handler checks the strategy's product has option data and says so once a day when it has none.
  The core itself decides entries on the minute cycle, so a window event never trades by itself.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from AlgorithmImports import DayOfWeek, QCAlgorithm, Symbol

from config.loader import FrameworkConfig
from config.parameter_fields import parse_hhmm
from strategies.registry import SPECS

WEEKDAYS = {"monday": DayOfWeek.MONDAY, "tuesday": DayOfWeek.TUESDAY, "wednesday": DayOfWeek.WEDNESDAY,
            "thursday": DayOfWeek.THURSDAY, "friday": DayOfWeek.FRIDAY}


@dataclass(frozen=True)
class StrategyWindow:
    """A strategy's entry window opening: on `weekday` ("monday".."friday", None = every
    session) at hour:minute US/Eastern."""

    strategy: str
    weekday: str | None
    hour: int
    minute: int

    @property
    def name(self) -> str:
        return f"{self.strategy} window {self.weekday or 'daily'} {self.hour:02d}:{self.minute:02d}"


def strategy_windows(config: FrameworkConfig) -> list[StrategyWindow]:
    """The entry-window openings of every enabled strategy, as each declares them (SPEC section 5),
    in run order. The spike deployment has none: it may enter in any regular-hours minute of an
    EXTREME regime."""
    windows = []
    for spec in SPECS:
        params = spec.parameters(config)
        if params.enabled:
            for window in spec.entry_windows(params):
                moment = parse_hhmm(window.hhmm, f"{spec.key}_{window.field_name}")
                windows.append(StrategyWindow(spec.key, window.weekday, moment.hour, moment.minute))
    return windows


@dataclass(frozen=True)
class Handlers:
    """The algorithm's callbacks for each scheduled event."""

    session_start: Callable[[], None]
    minute: Callable[[], None]
    session_end: Callable[[], None]
    window: Callable[[str], None]


def schedule_all(algorithm: QCAlgorithm, anchor: Symbol, config: FrameworkConfig, handlers: Handlers) -> int:
    """Register every event on `anchor`'s (SPY's) exchange calendar; returns how many."""
    rules, times = algorithm.date_rules, algorithm.time_rules
    every_session = rules.every_day(anchor)
    algorithm.schedule.on(every_session, times.after_market_open(anchor, 1), handlers.session_start)
    algorithm.schedule.on(every_session, times.every(timedelta(minutes=1)), handlers.minute)
    algorithm.schedule.on(every_session, times.after_market_close(anchor, 1), handlers.session_end)
    count = 3
    for window in strategy_windows(config):
        days = every_session if window.weekday is None else rules.every(WEEKDAYS[window.weekday])
        algorithm.schedule.on(days, times.at(window.hour, window.minute), _bind(handlers.window, window.strategy))
        count += 1
    return count


def _bind(handler: Callable[[str], None], strategy: str) -> Callable[[], None]:
    def fire() -> None:
        handler(strategy)

    return fire
