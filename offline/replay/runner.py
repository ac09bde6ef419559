"""The offline backtest: replays sessions minute by minute through the trading core.

Prices of the underlyings are real (daily bars, real SPY minute bars where they exist, modelled
intraday paths elsewhere); option prices are MODELLED by offline/market/chain_model.py. Every session:
open -> each minute (market state, broker fills, trading system cycle) -> close (early
assignment, expiry, dividends, daily close of the trading system) -> equity point.

Event-driven: of a session's minutes only those where something can happen are run: every minute
while an order works, the broker's marks every 5 minutes (the management rounds), the entry checks
the strategies name, the VIX readings that would change the VIX manager's state and the last
minute (`_next_minute`). A skipped minute would have changed nothing; `every_minute=True` runs
them all and gives the same outputs (tests/offline/test_event_driven_replay.py checks that).

A run can stop before a given time and continue later (offline/replay/restart.py saves and restores
it): `cursor` says which session and minute come next, and `run(stop_at)` processes every step
whose time is at or before `stop_at`, then returns with `stopped` set.
"""
from __future__ import annotations

import math
import time as wall_time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from config.loader import FrameworkConfig
from core.engine.trading_system import TradingSystem
from core.types import DailyBars
from helpers.exchange_calendar import session_open_close
from offline.broker.faults import BrokerFaults
from offline.broker.fill_rules import BrokerSettings
from offline.broker.simulated_broker import SimulatedBroker
from offline.market.chain_model import ChainModel
from offline.market.data_requirements import FUTURES_FOR_OPTIONS
from offline.market.market_data import MarketData, dividend_yield
from offline.market.market_view import MarketState, ModelledMarketView
from offline.market.session_prices import session_path
from offline.market.volatility_surface import TERM_INDICES, realised_volatility_level
from offline.replay.daily_record import DailyRecorder
from offline.replay.file_store import FileStore
from reporting.journal import Journal
from risk.cash_sweep import accrued_interest, sweepable_cash
from strategies.registry import build_strategies

INTRADAY_SYMBOLS = ("SPY", "VIX", "SPX")
VOL_WINDOW = 20  # sessions of realised volatility for products without a volatility index
BROKER_MARK_MINUTES = 5  # broker marks refresh at this cadence when no order is working
ProgressCallback = Callable[[int, int, date, float], None]
PriceSeries = list[tuple[str, list[float]]]  # (underlying root, its price at each minute of the session)


@dataclass
class RunResult:
    """Everything a run produced, for the output writers."""

    config: FrameworkConfig
    market: MarketData
    system: TradingSystem
    journal: Journal
    equity_dates: list[date] = field(default_factory=list)
    equity: list[float] = field(default_factory=list)
    vix_close: list[float] = field(default_factory=list)
    regimes: list[str] = field(default_factory=list)
    max_open_positions: int = 0
    simulated_minutes: int = 0
    wall_seconds: float = 0.0
    cash_yield: float = 0.0  # USD of cash-sweep interest credited so far (the broker keeps the total)
    daily: list[dict[str, Any]] = field(default_factory=list)  # offline/replay/daily_record.py rows, one per close


@dataclass
class RunCursor:
    """The next step of a run: `session` indexes the run's sessions; `minute` is 0 when nothing of
    that session ran yet, k when its open and minutes 0..k-1 ran, and the session's minute count
    when only its close is left."""

    session: int = 0
    minute: int = 0


def bad_data_by_day(market: MarketData) -> dict[date, dict[str, str]]:
    """Session -> {option root: why} for the days whose underlying's daily row had an impossible
    value (market.data_issues; a bad VIX row is a missing VIX day instead, which stops every entry)."""
    found: dict[date, dict[str, str]] = {}
    for issue in market.data_issues:
        series = issue.series
        if series in TERM_INDICES:  # a missing VIX day stops entries; a missing VIX6M day uses the model's term
            continue
        roots = [r for r, f in FUTURES_FOR_OPTIONS.items() if f == series] if series in market.futures else [series]
        for root in roots:
            found.setdefault(date.fromisoformat(issue.date), {})[root] = (
                f"bad {series} data on {issue.date} ({issue.file} line {issue.line}: {issue.problem})")
    return found


class BacktestRunner:
    """Wires market data, the modelled market view, the simulated broker and the trading system."""

    def __init__(self, config: FrameworkConfig, market: MarketData, state_dir: Path,
                 faults: BrokerFaults | None = None, progress: ProgressCallback | None = None,
                 every_minute: bool = False) -> None:
        """`every_minute`: run every minute of every session instead of only those where something
        can happen (`_next_minute`); the outputs are the same, only slower (a check of the skipping)."""
        self.config = config
        self.every_minute = every_minute
        self.market = market
        self.progress = progress
        self.state = MarketState(now=datetime.combine(market.start, datetime.min.time()))
        self.view = ModelledMarketView(self.state, ChainModel(), self._daily_bars)
        self.journal = Journal()
        self.store = FileStore(state_dir)
        settings = BrokerSettings(faults=faults) if faults is not None else BrokerSettings()
        self.broker = SimulatedBroker(config.backtest.cash, self._quote, self._underlying, self._on_event,
                                      self._on_assignment, settings)
        key_prefix = f"backtest/{config.backtest.start}_{config.backtest.end}"
        self.system = TradingSystem(config, build_strategies(config), self.view, self.broker, self.store,
                                    self.journal, key_prefix, config.backtest.cash)
        self.dividends = {root: list(zip(d.ex_dates.astype(object), d.amounts.astype(float), strict=True))
                          for root, d in market.dividends.items()}
        self.result = RunResult(config, market, self.system, self.journal)
        self.bad_data = bad_data_by_day(market)
        self.recorder = DailyRecorder(market)
        self.result.daily = self.recorder.rows
        self.cursor = RunCursor()
        self.stopped = False
        self._held_priced: tuple[Any, ...] | None = None  # (session open, held keys) priced ahead

    def restore_broker(self, data: dict[str, Any]) -> None:
        """Replace the broker by one rebuilt from `SimulatedBroker.to_dict` output (same settings and
        callbacks), for a resumed run. Raises ValueError for another broker schema version."""
        self.broker = SimulatedBroker.from_dict(data, self._quote, self._underlying, self._on_event,
                                                self._on_assignment, self.broker.settings)
        self.system.broker = self.broker
        self.result.cash_yield = self.broker.interest_earned

    # --- sources for the broker and the market view ------------------------------------------

    def _quote(self, contract: Any, now: datetime) -> Any:
        return self.view.quote(contract)

    def _underlying(self, root: str, now: datetime) -> float | None:
        return self.view.price(root)

    def _on_event(self, event: Any) -> None:
        self.system.on_order_event(event)

    def _on_assignment(self, event: Any) -> None:
        self.system.on_assignment(event)

    def _daily_bars(self, root: str, count: int) -> DailyBars | None:
        """The last `count` completed daily bars before today (no look-ahead); micro futures use the
        full-size series."""
        try:
            bars = self.market.bars(FUTURES_FOR_OPTIONS.get(root, root))
        except KeyError:
            return None
        end = int(np.searchsorted(bars.dates, np.datetime64(self.state.now.date(), "D")))
        start = max(0, end - count)
        if end - start <= 0:
            return None
        return DailyBars(bars.dates[start:end], bars.open[start:end], bars.high[start:end], bars.low[start:end],
                         bars.close[start:end])

    # --- the replay --------------------------------------------------------------------------

    def sessions(self) -> list[date]:
        """The NYSE sessions of the run, in order."""
        return list(self._sessions)

    @cached_property
    def _sessions(self) -> tuple[date, ...]:
        start, end = self.config.backtest.start_date, self.config.backtest.end_date
        days = (d.astype(object) for d in self.market.sessions)
        return tuple(d for d in days if start <= d <= end)

    def next_step_time(self) -> datetime | None:
        """Time of the next step at the cursor (a session's open, one of its minutes or its close);
        None when the run is complete."""
        sessions = self.sessions()
        if self.cursor.session >= len(sessions):
            return None
        open_dt = session_open_close(sessions[self.cursor.session])[0]
        return open_dt + timedelta(minutes=self.cursor.minute)

    def run(self, stop_at: datetime | None = None) -> RunResult:
        """Replay from the cursor to the end of the run, or only the steps at or before `stop_at`
        (then `stopped` is True and the cursor names the next step).

        Raises:
            ValueError: `stop_at` is naive, before the next step, or at or after the last close.
        """
        started = wall_time.perf_counter()
        sessions = self.sessions()
        if stop_at is not None:
            self._check_stop(stop_at, sessions)
        self.stopped = False
        while self.cursor.session < len(sessions):
            day = sessions[self.cursor.session]
            if not self._run_session(day, self.result, stop_at):
                self.stopped = True
                break
            self.cursor = RunCursor(self.cursor.session + 1, 0)
            if self.progress is not None:
                self.progress(self.cursor.session, len(sessions), day, wall_time.perf_counter() - started)
        self.result.wall_seconds += wall_time.perf_counter() - started
        return self.result

    def _check_stop(self, stop_at: datetime, sessions: list[date]) -> None:
        if stop_at.tzinfo is None:
            raise ValueError(f"stop time {stop_at.isoformat()} must be timezone-aware (US/Eastern)")
        upcoming = self.next_step_time()
        if upcoming is None or stop_at < upcoming:
            raise ValueError(f"stop time {stop_at.isoformat()} is before the run's next step "
                             f"({upcoming.isoformat() if upcoming else 'the run is complete'})")
        last_close = session_open_close(sessions[-1])[1]
        if stop_at >= last_close:
            raise ValueError(f"stop time {stop_at.isoformat()} is not before the run's last close "
                             f"{last_close.isoformat()}: nothing would be left to resume")

    def _run_session(self, day: date, result: RunResult, stop_at: datetime | None = None) -> bool:
        """Run the rest of session `day` from the cursor; False when it stopped before `stop_at` passed."""
        open_dt, close_dt = session_open_close(day)
        self.system.bad_data_roots = self.bad_data.get(day, {})
        paths = {symbol: self._path(symbol, day) if symbol != "SPX" or "SPX" in self.market.daily else None
                 for symbol in INTRADAY_SYMBOLS}
        futures = {root: self._path(root, day) for root in set(FUTURES_FOR_OPTIONS.values())
                   if root in self.market.futures}
        spy = paths["SPY"]
        if spy is None:
            raise ValueError(f"no SPY bar for session {day}: the market data must cover every session")
        minutes = len(spy)
        # Python lists: one element read per minute is much cheaper than from a numpy array
        series = self._price_series(paths, futures)
        vix_by_minute = None if paths["VIX"] is None else paths["VIX"].tolist()
        if self.cursor.minute == 0:
            if stop_at is not None and open_dt > stop_at:
                return False
            result.simulated_minutes += minutes
            self._sweep_interest(day)
            self._set_day(day)
            self.broker.apply_dividends(day, self.dividends)  # holders at the open of the ex-date
            self.state.now = open_dt
            self._set_prices(series, vix_by_minute, 0, open_dt)
            self.state.session_open = dict(self.state.prices)
            self.system.on_session_start(day, open_dt)
        minute = self.cursor.minute
        while minute < minutes:
            now = open_dt + timedelta(minutes=minute)
            if stop_at is not None and now > stop_at:
                self.cursor.minute = minute
                return False
            self.state.now = now
            self._set_prices(series, vix_by_minute, minute, now)
            if self.broker.open_order_ids() or minute % BROKER_MARK_MINUTES == 0:
                held = [contract for contract, _ in self.broker.holdings().values()]
                self._price_held_ahead(held, series, vix_by_minute, minute, open_dt, minutes)
                self.view.prefetch_quotes(held)
                self.broker.process(now)
            self.system.on_minute(now)
            result.max_open_positions = max(result.max_open_positions, self.system.open_position_count())
            minute = self._next_minute(minute, now, minutes, open_dt, vix_by_minute)
        self.cursor.minute = minutes
        if stop_at is not None and close_dt > stop_at:
            return False
        self.state.now = close_dt
        self.view.prefetch_quotes([contract for contract, _ in self.broker.holdings().values()])  # one model call a root
        self.broker.process(close_dt)
        self.broker.check_early_assignment(close_dt, self.dividends, self.state.rate)
        self.broker.settle_expiries(day, close_dt)
        self.broker.flush_events()
        self.system.on_session_end(close_dt)
        result.equity_dates.append(day)
        result.equity.append(self.broker.net_liquidation())
        vix_path = paths["VIX"]
        result.vix_close.append(float(vix_path[-1]) if vix_path is not None else float("nan"))
        result.regimes.append(self.system.vix.regime.value if self.system.vix.regime else "UNKNOWN")
        self.recorder.record(close_dt, self.system, self.view)
        return True

    def _next_minute(self, minute: int, now: datetime, minutes: int, open_dt: datetime,
                     vix_readings: list[float] | None) -> int:
        """The next minute of the session after `minute` (at `now`) that can change anything
        (`minutes` when none is left): the next one while an order works or the session has no VIX
        path; else the first of the broker's next mark, the trading system's next wake
        (TradingSystem.next_wake) and the first VIX reading that is not steady (VixManager.steady_count). The minutes skipped would have done nothing: no
        order, fill, mark, management round, entry check, regime or VIX-state change. The last minute
        is always run: the close prices and marks at its prices."""
        after = minute + 1
        mark = min(minutes - 1, after + (-after) % BROKER_MARK_MINUTES)
        if mark <= after or vix_readings is None or self.every_minute or self.broker.open_order_ids():
            return after
        wake = self.system.next_wake(now)
        target = min(mark, max(after, math.ceil((wake - open_dt).total_seconds() / 60.0)))
        return after + self.system.vix.steady_count(vix_readings[after:target])

    def _sweep_interest(self, day: date) -> None:
        """Credit the T-bill interest the swept cash earned since the previous session's close, at
        that session's DGS3MO rate, on the amount sweepable at that close (risk/cash_sweep.py)."""
        if not self.config.cash.sweep or self.cursor.session == 0:
            return
        previous = self.sessions()[self.cursor.session - 1]
        idle = sweepable_cash(self.broker.cash, self.broker.net_liquidation(), self.broker.margin_used(),
                              self.config.risk.buying_power_reserve)
        self.broker.credit_interest(accrued_interest(idle, self.market.rate_on(previous), (day - previous).days))
        self.result.cash_yield = self.broker.interest_earned

    def _path(self, symbol: str, day: date) -> np.ndarray | None:
        try:
            return session_path(self.market, symbol, day).prices
        except ValueError:
            return None  # no bar that day: the market view reports the symbol as missing

    def _set_day(self, day: date) -> None:
        self.state.rate = self.market.rate_on(day)
        self.state.term = self.market.volatility_term(day)
        vix = self.market.vix
        index = int(np.searchsorted(vix.dates, np.datetime64(day, "D")))
        self.state.vix_previous_close = float(vix.close[index - 1]) if index > 0 else None
        before = self.market.sessions[self.market.sessions < np.datetime64(day, "D")]
        yesterday = before[-1].astype(object) if len(before) else day  # the data's session before `day`
        for root in ("SPY", "QQQ", "IWM"):
            if root in self.market.daily:
                # the first session of the data has no close before it: its own close is used
                first = self.market.daily[root].dates[0].astype(object)
                self.state.dividend_yields[root] = dividend_yield(self.market, root, max(yesterday, first))
        for index_root in ("SPX", "SPXW"):  # the S&P 500 yields what SPY pays (less SPY's small fee)
            if "SPY" in self.state.dividend_yields:
                self.state.dividend_yields[index_root] = self.state.dividend_yields["SPY"]
        for root in ("CL", "GC", "NQ"):
            vol = self._realised_vol(root, day)
            if vol is not None:
                for option_root in [r for r, f in FUTURES_FOR_OPTIONS.items() if f == root]:
                    self.state.vol_index[option_root] = vol

    def _set_prices(self, series: PriceSeries, vix_path: list[float] | None, minute: int, now: datetime) -> None:
        prices, vix = self._minute_prices(series, vix_path, minute)
        self.state.prices.update(prices)
        self.state.vix, self.state.vix_time = (vix, now) if vix is not None else (None, None)

    @staticmethod
    def _price_series(paths: dict[str, np.ndarray | None], futures: dict[str, np.ndarray | None]) -> PriceSeries:
        """The session's per-minute underlying prices by root, in the order they are set: SPY, SPX, then
        each futures option root on its futures' path (micro futures on the full-size series)."""
        series = [(symbol, path.tolist()) for symbol in ("SPY", "SPX") if (path := paths[symbol]) is not None]
        series += [(option_root, path.tolist()) for option_root, future_root in FUTURES_FOR_OPTIONS.items()
                   if (path := futures.get(future_root)) is not None]
        return series

    @staticmethod
    def _minute_prices(series: PriceSeries, vix_path: list[float] | None, minute: int
                       ) -> tuple[dict[str, float], float | None]:
        """The underlying prices set at `minute` of the session (SPY, SPX, the futures) and the VIX."""
        prices = {root: path[minute] for root, path in series if minute < len(path)}
        return prices, (vix_path[minute] if vix_path is not None else None)

    def _price_held_ahead(self, held: list[Any], series: PriceSeries, vix_path: list[float] | None, minute: int,
                          open_dt: datetime, minutes: int) -> None:
        """When the holdings change (or a session starts), price them at every later mark of the
        session in one call (ModelledMarketView.prefetch_ahead): the same quotes, fewer calls."""
        memo = (open_dt, tuple(sorted(contract.key for contract in held)))
        if memo == self._held_priced or not held:
            return
        self._held_priced = memo
        first = minute + (-minute) % BROKER_MARK_MINUTES
        steps = []
        for later in range(first, minutes, BROKER_MARK_MINUTES):
            prices, vix = self._minute_prices(series, vix_path, later)
            steps.append((open_dt + timedelta(minutes=later), {**self.state.prices, **prices}, vix))
        self.view.prefetch_ahead(held, steps)

    def _realised_vol(self, root: str, day: date) -> float | None:
        """30-day volatility level from realised volatility up to yesterday (no volatility index)."""
        series = self.market.futures.get(root)
        if series is None:
            return None
        end = int(np.searchsorted(series.bars.dates, np.datetime64(day, "D")))
        returns = series.returns[:end]
        returns = returns[np.isfinite(returns)]
        if len(returns) < VOL_WINDOW:
            return None
        return realised_volatility_level(returns, VOL_WINDOW)
