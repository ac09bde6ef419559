"""Strategy.next_entry_check against is_entry_window itself: an engine that skips the minutes before
a strategy's next entry check (the offline replay, TradingSystem.next_wake) must never skip a minute
at which its entry window is open. Every strategy of the registry, every minute of the regular
sessions of 13 days (every weekday, first Wednesdays, second Tuesdays, days after Monday holidays),
from several remembered states, regimes and account phases."""
from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from config.constants import Regime
from config.loader import load_config
from core.account import AccountSnapshot
from helpers.exchange_calendar import eastern_datetime, session_open_close
from strategies.base import DecisionContext, Strategy
from strategies.registry import build_strategies
from tests.strategies.kit import scripted_market

CONFIG = load_config()
# every weekday; first Wednesdays (01-03, 02-07); second Tuesdays (01-09, 02-13); the Tuesdays after the
# Monday holidays of 2024-01-15 and 2024-02-19
SESSIONS = [date(2024, 1, d) for d in (2, 3, 5, 8, 9, 10, 11, 16)] + [date(2024, 2, d) for d in (7, 13, 20, 21, 23)]

# remembered states a strategy may be in at a session's start (each applied to a fresh memory)
MEMORIES: dict[str, Callable[[date], dict[str, Any]]] = {
    "fresh": lambda day: {},
    "attempted today": lambda day: {"attempted": day.isoformat()},
    "attempted yesterday": lambda day: {"attempted": (day - timedelta(days=1)).isoformat()},
    "strangle tried all": lambda day: {"tried": {"day": day.isoformat(), "all": True}},
    "strangle tried some": lambda day: {"tried": {"day": day.isoformat(), "all": False}},
    "ladder roll pending": lambda day: {"roll_pending": "SPY 2025-01-17 P 400"},
    "LEAP unaffordable": lambda day: {"unaffordable": {"again": (day + timedelta(days=7)).isoformat(),
                                                       "net_liq": 1e9}},
    "spike attempt at 11:00": lambda day: {"last_attempt": eastern_datetime(day, 11, 0).isoformat()},
}


MARKET = scripted_market(eastern_datetime(SESSIONS[0], 9, 30))  # the windows look at time, memory and account


def _context(now: datetime, regime: Regime, phase: int) -> DecisionContext:
    account = AccountSnapshot(time=now, net_liquidation=60_000.0, margin_used=0.0, high_water_mark=60_000.0,
                              day_start_value=60_000.0, losing_streak_today=0, phase=phase, regime=regime.value,
                              vix_usable=True, intraday_spike=False, open_positions=())
    return DecisionContext(now=now, market=MARKET, config=CONFIG, regime=regime, vix=20.0,
                           new_intent_id=lambda: "I000001", account_source=lambda: account)


def _minutes(day: date) -> list[datetime]:
    open_dt, close_dt = session_open_close(day)
    return [open_dt + timedelta(minutes=m) for m in range(int((close_dt - open_dt).total_seconds() // 60))]


def _answers(strategy: Strategy, memory: dict[str, Any], contexts: list[DecisionContext]
             ) -> tuple[list[bool], list[datetime | None]]:
    """(is_entry_window, next_entry_check) at each context, each from `memory` as it was (a call may
    change the memory: the IPMCC notes a day it only waits)."""
    windows, checks = [], []
    for ctx in contexts:
        strategy.memory = copy.deepcopy(memory)
        windows.append(strategy.is_entry_window(ctx))
        strategy.memory = copy.deepcopy(memory)
        checks.append(strategy.next_entry_check(ctx))
    return windows, checks


@pytest.mark.parametrize("strategy", build_strategies(CONFIG), ids=lambda s: s.key)
def test_no_open_entry_window_lies_before_the_next_entry_check(strategy: Strategy) -> None:
    opened = 0
    for day in SESSIONS:
        minutes = _minutes(day)
        for regime in (Regime.NORMAL, Regime.EXTREME):
            for phase in (1, 4):
                contexts = [_context(now, regime, phase) for now in minutes]
                for name, memory_of in MEMORIES.items():
                    windows, checks = _answers(strategy, memory_of(day), contexts)
                    next_open: datetime | None = None  # the first minute from this one on with the window open
                    for now, window, check in reversed(list(zip(minutes, windows, checks, strict=True))):
                        next_open = now if window else next_open
                        if next_open is not None:
                            assert check is not None and now <= check <= next_open, (
                                f"{strategy.key} {name} {regime.value} phase {phase}: at {now} the next entry "
                                f"check is {check}, but the window is open at {next_open}")
                    opened += sum(windows)
    assert opened > 0, f"{strategy.key}: its window never opened: the test checked nothing"


def test_a_check_names_the_window_opening_and_none_after_the_attempt() -> None:
    ladder = next(s for s in build_strategies(CONFIG) if s.key == "leap_put_ladder")
    monday = date(2024, 1, 8)
    opening = datetime.combine(monday, time.fromisoformat(CONFIG.leap_put_ladder.entry_time),
                               tzinfo=session_open_close(monday)[0].tzinfo)
    assert ladder.next_entry_check(_context(eastern_datetime(monday, 9, 30), Regime.NORMAL, 1)) == opening
    ladder.memory = {"attempted": monday.isoformat()}
    assert ladder.next_entry_check(_context(eastern_datetime(monday, 9, 30), Regime.NORMAL, 1)) is None
    ladder.memory = {}
    assert ladder.next_entry_check(_context(eastern_datetime(date(2024, 1, 9), 9, 30), Regime.NORMAL, 1)) is None
