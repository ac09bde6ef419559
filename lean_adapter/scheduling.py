"""The LEAN schedule, US/Eastern (the algorithm's time zone is set to New York in initialize).

- session start: one minute after SPY's open (the opening bar is then complete);
- the minute cycle: every minute; the handler runs the core only in regular hours;
- session end: one minute after SPY's close (13:01 on half days);
- one event per strategy entry window (`strategy_windows`): the handler checks the strategy's
  product has option data and says so once a day when it has none. The core itself decides
  entries on the minute cycle, so a window event never trades by itself.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from AlgorithmImports import DayOfWeek, QCAlgorithm, Symbol

from config.advanced_parameters import ADVANCED_SECTIONS
from config.loader import FrameworkConfig
from config.strategy_parameters import parse_hhmm

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


def _window(strategy: str, weekday: str | None, hhmm: str, parameter: str) -> StrategyWindow:
    moment = parse_hhmm(hhmm, parameter)
    return StrategyWindow(strategy, weekday, moment.hour, moment.minute)


def strategy_windows(config: FrameworkConfig) -> list[StrategyWindow]:
    """The entry-window openings of every enabled strategy (SPEC section 5). Spike deployment
    has none: it may enter in any regular-hours minute of an EXTREME regime."""
    windows = []
    if config.zero_dte.enabled:
        windows.append(_window("friday_0dte", "friday", config.zero_dte.entry_time, "zero_dte_entry_time"))
    if config.lt112.enabled:
        windows.append(_window("lt112", "wednesday", config.lt112.entry_start, "lt112_entry_start"))
    if config.futures_strangle.enabled:  # second Tuesday of the month: the strategy checks which Tuesday
        windows.append(_window("futures_strangle", "tuesday", config.futures_strangle.entry_start,
                               "futures_strangle_entry_start"))
    if config.leap_ladder.enabled:
        windows.append(_window("leap_put_ladder", "monday", config.leap_ladder.entry_time, "leap_ladder_entry_time"))
    if config.ipmcc.enabled:
        windows.append(_window("ipmcc", None, config.ipmcc.leap_entry_time, "ipmcc_leap_entry_time"))
        windows.append(_window("ipmcc", "friday", config.ipmcc.short_call_time, "ipmcc_short_call_time"))
    for key in ADVANCED_SECTIONS:
        params = getattr(config, key)
        if params.enabled:
            windows.append(_window(key, params.entry_weekday, params.entry_start, f"{key}_entry_start"))
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
