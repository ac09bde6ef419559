"""A trading system on a scripted market, for reliability cases that feed it one bad input.

`ScriptedSystem` wires the real TradingSystem and strategies to a MarketState the caller sets
minute by minute (underlying prices, VIX and its time), the offline chain model for option prices
(MODELLED), the simulated broker and an in-memory store. `minute(now)` is one runner step: broker
fills, then the trading system's minute cycle. Tests and the reliability catalogue change one
input, step some minutes and read what came out: orders sent, journal records, positions.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from config.loader import FrameworkConfig, load_config
from core.engine.trading_system import TradingSystem
from core.types import DailyBars, OrderIntent
from helpers.exchange_calendar import EASTERN, session_open_close
from offline.broker.fill_rules import BrokerSettings
from offline.broker.simulated_broker import SimulatedBroker
from offline.market.chain_model import ChainModel
from offline.market.market_view import MarketState, ModelledMarketView
from offline.market.quote_spreads import SpreadParameters
from offline.market.volatility_surface import SurfaceParameters
from reporting.journal import Journal
from strategies.registry import build_strategies

FRIDAY = date(2024, 8, 9)  # a Friday 0DTE day without FOMC or CPI
SPY_PRICE = 530.0
VIX_LEVEL = 24.0
KEY_PREFIX = "backtest/scripted"


class MemoryStore:
    """core.ports.Store in memory; documents go through JSON like every real store (no NaN)."""

    def __init__(self) -> None:
        self.documents: dict[str, str] = {}

    def save(self, key: str, document: dict[str, Any]) -> None:
        self.save_text(key, json.dumps(document, sort_keys=True, allow_nan=False))

    def save_text(self, key: str, text: str) -> None:
        self.documents[key] = text

    def load(self, key: str) -> dict[str, Any] | None:
        text = self.documents.get(key)
        return None if text is None else json.loads(text)


# The scripted market prices options with the chain model at fixed reference parameters (those of
# its first calibration, on six single-day chains), not the current calibrated defaults: scripted
# scenarios pin strikes and prices, and a recalibration of the production model should not move them.
REFERENCE_SURFACE = SurfaceParameters(atm_ratio=0.8737, long_run_vol=0.2051, mean_reversion=1.226,
                                      skew_slope=-0.4142, put_curvature=-0.04111, call_curvature=0.1088,
                                      skew_time_exponent=0.4472)
REFERENCE_SPREADS = SpreadParameters(base_ticks=1.92, price_fraction=0.00425, time_widening=2.04)
REFERENCE_MODEL = ChainModel(REFERENCE_SURFACE, REFERENCE_SPREADS, REFERENCE_SPREADS)


def scripted_prices(spy: float) -> dict[str, float]:
    """Underlying prices derived from an SPY level (index scale for SPX and the equity futures)."""
    return {"SPY": spy, "SPX": spy * 10.0, "ES": spy * 10.05, "MES": spy * 10.05, "QQQ": spy * 0.85,
            "IWM": spy * 0.4}


class ScriptedView(ModelledMarketView):
    """The modelled market view, except that the VIX the trading system reads is the scripted
    feed (`feed_value`, `feed_time`; None = no reading) while option prices keep using the state's
    VIX level, so a bad VIX reading does not also take the option quotes away (as in LEAN, where
    quotes do not depend on the VIX feed)."""

    def __init__(self, state: MarketState, daily_bars: Callable[[str, int], DailyBars | None]) -> None:
        super().__init__(state, REFERENCE_MODEL, daily_bars)
        self.feed_value: float | None = state.vix
        self.feed_time: datetime | None = state.vix_time

    def vix(self) -> tuple[float, datetime] | None:
        if self.feed_value is None or self.feed_time is None:
            return None
        return self.feed_value, self.feed_time


class ScriptedSystem:
    """The real trading core on a market the caller scripts (see the module docstring).

    `bars(root, count)` supplies daily bars (default: a flat year at the current price);
    `settings` configure the simulated broker (faults included).
    """

    def __init__(self, config: FrameworkConfig | None = None, day: date = FRIDAY, spy: float = SPY_PRICE,
                 vix: float = VIX_LEVEL, settings: BrokerSettings | None = None,
                 bars: Callable[[str, int], DailyBars | None] | None = None) -> None:
        self.config = config or load_config()
        self.day = day
        open_dt = session_open_close(day)[0]
        prices = scripted_prices(spy)
        self.state = MarketState(now=open_dt, prices=dict(prices), session_open=dict(prices), vix=vix,
                                 vix_time=open_dt, vix_previous_close=vix, rate=0.045,
                                 dividend_yields={"SPY": 0.013, "QQQ": 0.006, "IWM": 0.012})
        self.view = ScriptedView(self.state, bars or self._flat_bars)
        self.journal = Journal()
        self.store = MemoryStore()
        self.submitted: list[OrderIntent] = []
        self.broker = SimulatedBroker(self.config.backtest.cash, lambda c, now: self.view.quote(c),
                                      lambda root, now: self.view.price(root), self._event, self._assignment,
                                      settings)
        self.system = TradingSystem(self.config, build_strategies(self.config), self.view, self.broker, self.store,
                                    self.journal, KEY_PREFIX, self.config.backtest.cash)
        self._submit = self.broker.submit
        self.broker.submit = self._record_submit  # type: ignore[method-assign]
        self.vix_follows_clock = True

    # --- wiring ----------------------------------------------------------------------------------

    def _record_submit(self, intent: OrderIntent) -> str:
        self.submitted.append(intent)
        return self._submit(intent)

    def _event(self, event: Any) -> None:
        self.system.on_order_event(event)

    def _assignment(self, event: Any) -> None:
        self.system.on_assignment(event)

    def _flat_bars(self, root: str, count: int) -> DailyBars | None:
        price = self.view.price(root)
        if price is None or not np.isfinite(price):
            return None
        dates = np.arange(np.datetime64(self.day - timedelta(days=count), "D"), np.datetime64(self.day, "D"))
        closes = np.full(len(dates), float(price))
        return DailyBars(dates, closes, closes * 1.002, closes * 0.998, closes)

    # --- stepping --------------------------------------------------------------------------------

    def at(self, hour: int, minute: int = 0) -> datetime:
        """A time of the scripted day (US/Eastern)."""
        return datetime(self.day.year, self.day.month, self.day.day, hour, minute, tzinfo=EASTERN)

    def start_session(self) -> None:
        """The session open: the trading system's start of day."""
        self.system.on_session_start(self.day, session_open_close(self.day)[0])

    def minute(self, now: datetime) -> None:
        """One runner step at `now`: the VIX feed's time follows the clock (unless switched off),
        broker fills, then the trading system's minute cycle."""
        self.state.now = now
        self.state.vix_time = now
        if self.vix_follows_clock:
            self.view.feed_time = now
        self.broker.process(now)
        self.system.on_minute(now)

    def run_minutes(self, start: datetime, end: datetime) -> None:
        """Every minute from `start` to `end` inclusive."""
        now = start
        while now <= end:
            self.minute(now)
            now += timedelta(minutes=1)

    def set_spy(self, spy: float) -> None:
        """Move SPY and everything derived from it."""
        self.state.prices.update(scripted_prices(spy))

    def records(self, *kinds: str) -> list[dict[str, Any]]:
        """Journal records of the given kinds (all when none given)."""
        return [r for r in self.journal.records if not kinds or r["kind"] in kinds]

    def reconcile_differences(self) -> list[str]:
        """Contract keys where the books and the broker's holdings differ (journaled as errors)."""
        return self.system.book.reconcile(self.broker.holdings(), self.state.now)
