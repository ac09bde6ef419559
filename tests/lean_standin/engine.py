"""The stand-in's engine: clock, data feed, universe selection, brokerage and fills, in LEAN's order.

One time step T (`Lean:Engine/AlgorithmManager.cs`), as `_step` does it:
1. events scheduled before T fire first, each with the clock at its own time (backtest
   `ScanPastEvents`, `Lean:Engine/RealTime/BacktestingRealTimeHandler.cs:125-150`);
2. the slice of T becomes `current_slice` (`:253`, "before firing scheduled events");
3. security prices are updated from it (`:269`);
4. working orders are filled or expired (`transactions.ProcessSynchronousEvents`, `:343`);
5. events scheduled at T fire (`realtime.SetTime`, `:348`);
6. `on_data(slice)` runs when the slice has data (`:582`).
Data times are LEAN's: every bar is stamped in its exchange's zone (`market_hours.py`); the
clock is the algorithm's zone, New York (main.py sets it), so a VIX bar ending 10:45 New York
carries `end_time` 09:45.
"""
from __future__ import annotations

import bisect
import math
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from tests.lean_standin import api, rules
from tests.lean_standin.lean_files import TradeBarRow, read_daily, read_minute
from tests.lean_standin.market_hours import (
    ENTRIES,
    MarketHoursEntry,
    entry_for,
    exchange_to_zone,
)
from tests.lean_standin.option_data import ModelledOptions

ALGORITHM_ZONE = "America/New_York"
FINAL = (api.OrderStatus.FILLED, api.OrderStatus.CANCELED, api.OrderStatus.INVALID)


@dataclass
class Group:
    """One submitted order: a combo (several legs) or a single limit order."""

    tickets: list[api.OrderTicket]
    ratios: list[int]
    quantity: int  # group quantity (units); for a single order its signed quantity
    limit: float
    placed: datetime  # algorithm time of submission
    combo: bool
    time_in_force: Any  # the default order properties' value, cloned at submission (QCAlgorithm.Trading.cs:476-477,974)

    @property
    def open(self) -> bool:
        return any(t.status not in FINAL for t in self.tickets)


@dataclass
class Counts:
    chains: int = 0  # option chains handed to the algorithm (slices with a non-empty chain)
    orders: int = 0  # orders submitted (a combo counts once)
    invalid: int = 0  # orders refused by the pre-order checks
    fills: int = 0  # fill events (one per leg)
    cancels: int = 0


@dataclass
class Engine:
    data_root: Path
    options: ModelledOptions | None
    parameters: dict[str, str]
    live_mode: bool = False
    algorithm_id: str = "standin-backtest"
    project_id: int = 1
    store: api.ObjectStore = field(default_factory=api.ObjectStore)

    def __post_init__(self) -> None:
        self.time = datetime(2000, 1, 1)
        self.cash = 0.0
        self.securities = api.SecurityManager()
        self.schedule = api.ScheduleManager()
        self.notify = api.NotificationManager()
        self.order_properties = api.OrderProperties()
        self.current_slice = api.Slice(self.time)
        self.settings: dict[str, Any] = {}
        self.tickets: dict[int, api.OrderTicket] = {}
        self.groups: list[Group] = []
        self.counts = Counts()
        self.logs: list[str] = []
        self.plots: list[tuple[str, str, float]] = []
        self.statistics: dict[str, str] = {}
        self.warming_up = False
        self.algorithm: Any = None
        self._next_id = 1
        self._chains: dict[api.Symbol, api.Option] = {}  # canonical option symbol -> its security
        self._contracts: dict[api.Symbol, dict[api.Symbol, tuple[date, float, bool]]] = {}
        self._minute: dict[api.Symbol, dict[datetime, TradeBarRow]] = {}
        self._daily: dict[api.Symbol, list[TradeBarRow]] = {}
        self._quotes: dict[tuple[datetime, api.Symbol, date], dict[api.Symbol, api.QuoteBar]] = {}
        self._by_expiry: dict[api.Symbol, dict[date, list[tuple[api.Symbol, tuple[date, float, bool]]]]] = {}
        self._minute_kind: dict[api.Symbol, tuple[str, str, MarketHoursEntry]] = {}
        self._brokerage: queue.Queue[Callable[[], None] | None] | None = None
        self._brokerage_thread: threading.Thread | None = None
        self.rate_of: Callable[[date], float] = lambda day: 0.05
        self._timeline_day: date | None = None
        self._timeline_items: list[tuple[datetime, int, api.ScheduledEvent]] = []
        self.after_step: Callable[[datetime], None] | None = None  # an observer called after each step

    # --- wiring ----------------------------------------------------------------------------------

    def attach(self, algorithm: Any) -> Any:
        algorithm.standin_engine = self
        self.algorithm = algorithm
        return algorithm

    def local_time(self, entry: MarketHoursEntry) -> datetime:
        aware = self.time.replace(tzinfo=ZoneInfo(ALGORITHM_ZONE))
        return aware.astimezone(ZoneInfo(entry.exchange_time_zone)).replace(tzinfo=None)

    @property
    def utc_time(self) -> datetime:
        return self.time.replace(tzinfo=ZoneInfo(ALGORITHM_ZONE)).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)

    def add(self, security: api.Security) -> api.Security:
        self.securities._items[security.symbol] = security
        return security

    def add_equity(self, ticker: str) -> api.Equity:
        symbol = api.Symbol(ticker.upper(), api.SecurityIdentifier(ticker.upper(), api.SecurityType.EQUITY, "usa"))
        security = api.Equity(symbol, entry_for("Equity", "usa", ticker), self)
        self._load(symbol, "equity", ticker, security.standin_entry)
        return self.add(security)  # type: ignore[return-value]

    def add_index(self, ticker: str) -> api.Index:
        symbol = api.Symbol(ticker.upper(), api.SecurityIdentifier(ticker.upper(), api.SecurityType.INDEX, "usa"))
        security = api.Index(symbol, entry_for("Index", "usa", ticker), self)
        self._load(symbol, "index", ticker, security.standin_entry)
        return self.add(security)  # type: ignore[return-value]

    def add_option(self, underlying: api.Symbol, root: str | None = None) -> api.Option:
        index = underlying.security_type == api.SecurityType.INDEX
        kind = api.SecurityType.INDEX_OPTION if index else api.SecurityType.OPTION
        name = root or underlying.value
        canonical = api.Symbol(f"?{name}", api.SecurityIdentifier(name, kind, "usa"), underlying, canonical=True)
        entry = entry_for("IndexOption" if index else "Option", "usa", name)
        option = (api.IndexOption if index else api.Option)(canonical, entry, self)
        option.underlying = self.securities.get(underlying)
        self._chains[canonical] = option
        self._contracts[canonical] = {}
        return self.add(option)  # type: ignore[return-value]

    def add_future(self, ticker: str) -> api.Future:
        """A continuous future. The table has only ES's entry; every other CME root uses it (the
        replay has no futures data, so only the zones matter)."""
        symbol = api.Symbol(f"/{ticker}", api.SecurityIdentifier(ticker, api.SecurityType.FUTURE, "cme"), canonical=True)
        return self.add(api.Future(symbol, ENTRIES["Future-cme-ES"], self))  # type: ignore[return-value]

    def add_future_option(self, future: api.Symbol, option_filter: Any) -> api.Option:
        root = future.id.symbol
        canonical = api.Symbol(f"?{root}", api.SecurityIdentifier(root, api.SecurityType.FUTURE_OPTION, "cme"), future,
                               canonical=True)
        option = api.Option(canonical, ENTRIES["Future-cme-ES"], self, 50.0)
        option.set_filter(option_filter)
        self._chains[canonical] = option
        self._contracts[canonical] = {}
        return self.add(option)  # type: ignore[return-value]

    def _load(self, symbol: api.Symbol, kind: str, ticker: str, entry: MarketHoursEntry) -> None:
        self._daily[symbol] = read_daily(self.data_root, kind, ticker, entry)
        self._minute[symbol] = {}
        self._minute_kind[symbol] = (kind, ticker, entry)

    # --- output --------------------------------------------------------------------------------

    def log(self, message: str) -> None:
        self.logs.append(f"{self.time:%Y-%m-%d %H:%M} {message}")

    # --- history ------------------------------------------------------------------------------

    def daily_history(self, symbol: api.Symbol, periods: int) -> list[api.TradeBar]:
        """The last `periods` daily bars that ended by now (algorithm time)."""
        entry = self.securities[symbol].standin_entry
        done = [r for r in self._daily.get(symbol, []) if exchange_to_zone(r.end_time, entry, ALGORITHM_ZONE) <= self.time]
        return [self._trade_bar(symbol, r) for r in done[-periods:]] if periods > 0 else []

    def _trade_bar(self, symbol: api.Symbol, row: TradeBarRow) -> api.TradeBar:
        return api.TradeBar(symbol, row.time, row.end_time, row.open, row.high, row.low, row.close, row.volume)

    # --- the run ------------------------------------------------------------------------------

    def run(self, algorithm: Any, days: list[date]) -> None:
        """initialize, the daily warm-up, every session of `days`, on_end_of_algorithm."""
        self.attach(algorithm)
        self.time = datetime.combine(days[0], time(0))
        algorithm.initialize()
        self.cash = float(self.settings["cash"])
        start, end = self.settings["start"], self.settings["end"]
        if not (start <= days[0] and days[-1] <= end):
            raise ValueError(f"replay days {days[0]}..{days[-1]} outside the algorithm's {start}..{end}")
        span, _ = self.settings.get("warm_up", (timedelta(0), None))
        if span:
            self._warm_up(days[0] - span, days[0])
        for day in days:
            self._load_minutes(day)
            self._select_universes(day)
            self._session(day)
        algorithm.on_end_of_algorithm()
        self.stop()

    def _events_between(self, start: datetime, end: datetime) -> list[tuple[datetime, int, api.ScheduledEvent]]:
        """Scheduled events with start < time <= end, in time order then registration order."""
        found = []
        day = start.date()
        while day <= end.date():
            timeline = self._timeline(day)
            first = bisect.bisect_right(timeline, (start, len(self.schedule.standin_events)))
            for item in timeline[first:]:
                if item[0] > end:
                    break
                found.append(item)
            day += timedelta(days=1)
        return found

    def _timeline(self, day: date) -> list[tuple[datetime, int, api.ScheduledEvent]]:
        """Every scheduled event time of `day`, sorted (made once per day)."""
        if self._timeline_day != day:
            items = [(moment, order, event) for order, event in enumerate(self.schedule.standin_events)
                     for moment in event.standin_times(day)]
            items.sort(key=lambda item: (item[0], item[1]))
            self._timeline_day, self._timeline_items = day, items
        return self._timeline_items

    def _fire(self, events: list[tuple[datetime, int, api.ScheduledEvent]]) -> None:
        for moment, _, event in events:
            self.time = moment
            event.standin_callback()

    def _warm_up(self, first: date, until: date) -> None:
        """LEAN's warm-up at daily resolution: one slice per daily bar at its end time, scheduled
        events firing in between with `is_warming_up` set."""
        self.warming_up = True
        daily = {symbol: [r for r in rows if first <= r.time.date() < until] for symbol, rows in self._daily.items()}
        ends = sorted({self._algo_time(symbol, r.end_time) for symbol, rows in daily.items() for r in rows})
        previous = datetime.combine(first, time(0))
        for end in ends:
            self._fire(self._events_between(previous, end - timedelta(microseconds=1)))
            bars = {symbol: self._trade_bar(symbol, r) for symbol, rows in daily.items() for r in rows
                    if self._algo_time(symbol, r.end_time) == end}
            self.time = end
            slice_ = api.Slice(end, api.TradeBars(bars))
            self.current_slice = slice_
            for symbol, bar in bars.items():
                self.securities[symbol].standin_update(bar)
            self._fire(self._events_between(end - timedelta(microseconds=1), end))
            self.algorithm.on_data(slice_)
            previous = end
        self._fire(self._events_between(previous, datetime.combine(until, time(0)) - timedelta(microseconds=1)))
        self.time = datetime.combine(until, time(0))
        self.warming_up = False

    def _algo_time(self, symbol: api.Symbol, exchange_time: datetime) -> datetime:
        return exchange_to_zone(exchange_time, self.securities[symbol].standin_entry, ALGORITHM_ZONE)

    def _load_minutes(self, day: date) -> None:
        """The day's minute bars that fall in the regular market segment: without extended
        hours LEAN drops the others (`Lean:Engine/DataFeeds/Enumerators/SubscriptionFilterEnumerator.cs:143`)."""
        for symbol, (kind, ticker, entry) in self._minute_kind.items():
            hours = self.securities[symbol].exchange.hours
            rows = [r for r in read_minute(self.data_root, kind, ticker, day, entry)
                    if hours.is_open(r.time, False) and hours.is_open(r.end_time - timedelta(microseconds=1), False)]
            self._minute[symbol] = {self._algo_time(symbol, r.end_time): r for r in rows}

    def _select_universes(self, day: date) -> None:
        """Option universe selection for `day` at `rules.universe_selection_time(day)`."""
        moment = rules.universe_selection_time(day)
        self._fire(self._events_between(self.time, moment))
        self.time = max(self.time, moment)
        self._expire_options(day)
        for canonical, option in self._chains.items():
            if option.standin_filter is None or self.options is None or canonical.id.symbol != self.options.root:
                continue  # no data for this root in the replay
            # the universe file of the previous trading day: its underlying row is that day's close
            spot = self._previous_close(canonical.underlying)
            vix = self._previous_close(self._by_value("VIX"))
            if spot is None or vix is None:
                continue
            listed = self.options.listing(day, spot, vix)
            rows = {}
            for expiry, strike, is_call in listed:
                right = api.OptionRight.CALL if is_call else api.OptionRight.PUT
                symbol = api.option_symbol(canonical.underlying, canonical.id.symbol, expiry, strike, right)
                rows[symbol] = (expiry, strike, is_call)
            local = exchange_to_zone(moment, ENTRIES["Equity-usa-[*]"], option.standin_entry.exchange_time_zone)
            universe = api.OptionFilterUniverse([api.OptionUniverse(s, local, local, 0.0) for s in rows],
                                                api.BaseData(canonical.underlying, local, local, spot), local)
            chosen = set(option.standin_filter(universe).standin_symbols())
            held = {s for s, sec in self.securities.items() if sec.holdings.quantity != 0}
            keep = {s: rows[s] for s in chosen if s in rows}
            for symbol, spec in self._contracts[canonical].items():
                if symbol in held and symbol not in keep:
                    keep[symbol] = spec
            for symbol in list(self._contracts[canonical]):
                if symbol not in keep and symbol not in held:
                    self.securities._items.pop(symbol, None)
            for symbol, spec in keep.items():
                if symbol not in self.securities:
                    self.add(ContractSecurity(symbol, option.standin_entry, self, spec, canonical))
            self._contracts[canonical] = keep
            self._index_expiries(canonical)

    def _index_expiries(self, canonical: api.Symbol) -> None:
        by_expiry: dict[date, list[tuple[api.Symbol, tuple[date, float, bool]]]] = {}
        for symbol, spec in self._contracts[canonical].items():
            by_expiry.setdefault(spec[0], []).append((symbol, spec))
        self._by_expiry[canonical] = by_expiry

    def _by_value(self, value: str) -> api.Symbol:
        return next(s for s in self._minute if s.value == value)

    def _previous_close(self, symbol: api.Symbol) -> float | None:
        bars = self._daily.get(symbol) or []
        done = [r for r in bars if self._algo_time(symbol, r.end_time) <= self.time]
        if not done:
            return None
        return done[-1].close

    def _session(self, day: date) -> None:
        end_of_day = datetime.combine(day + timedelta(days=1), time(0))
        data_times = sorted({t for rows in self._minute.values() for t in rows if t.date() == day})
        for moment in data_times:
            self._fire(self._events_between(self.time, moment - timedelta(microseconds=1)))
            self._step(moment)
        self._fire(self._events_between(self.time, end_of_day - timedelta(microseconds=1)))
        self.time = end_of_day - timedelta(microseconds=1)

    def _step(self, moment: datetime) -> None:
        self.time = moment
        bars = {}
        for symbol, rows in self._minute.items():
            row = rows.get(moment)
            if row is not None:
                bars[symbol] = self._trade_bar(symbol, row)
        chains = {}
        for canonical in self._chains:
            underlying_bar = bars.get(canonical.underlying)
            if underlying_bar is not None and self._contracts[canonical]:
                chains[canonical] = LazyChain(self, canonical, underlying_bar)
        slice_ = api.Slice(moment, api.TradeBars(bars), option_chains=api.OptionChains(chains))
        self.current_slice = slice_
        for symbol, bar in bars.items():
            self.securities[symbol].standin_update(bar)
        self._process_orders()
        self._fire([(m, o, e) for m, o, e in self._events_between(moment - timedelta(microseconds=1), moment)])
        self.time = moment
        if slice_.has_data:
            self.algorithm.on_data(slice_)
        if self.after_step is not None:
            self.after_step(moment)

    # --- option quotes -------------------------------------------------------------------------

    def quote_bar(self, symbol: api.Symbol) -> api.QuoteBar | None:
        """The contract's quote bar of the current minute (None outside SPY's minutes)."""
        security = self.securities.get(symbol)
        if not isinstance(security, ContractSecurity):
            return None
        canonical = security.canonical
        spot_bar = self._minute[canonical.underlying].get(self.time)
        if spot_bar is None or self.options is None:
            return None
        expiry = security.spec[0]
        key = (self.time, canonical, expiry)
        if key not in self._quotes:
            if len(self._quotes) > 256:
                self._quotes.clear()
            vix_bar = self._minute[self._by_value("VIX")].get(self.time)
            if vix_bar is None:
                return None
            members = self._by_expiry[canonical].get(expiry, [])
            bids, asks = self.options.quote_bars(self.time, (spot_bar.open, spot_bar.high, spot_bar.low, spot_bar.close),
                                                 vix_bar.close, [spec for _, spec in members])
            start = self.time - timedelta(minutes=1)
            self._quotes[key] = {s: api.QuoteBar(s, start, self.time, api.Bar(*bids[i]), api.Bar(*asks[i]))
                                 for i, (s, _) in enumerate(members)}
        return self._quotes[key].get(symbol)

    # --- orders ---------------------------------------------------------------------------------

    def _pre_order_check(self, symbol: api.Symbol) -> str | None:
        """`Lean:Algorithm/QCAlgorithm.Trading.cs:1050-1160` (PreOrderChecksImpl), in its order."""
        if self.warming_up:
            return "AlgorithmWarmingUp: orders are not allowed during warm-up (:1052)"
        security = self.securities.get(symbol)
        if security is None:
            return "MissingSecurity: the symbol is not in the securities collection"
        if not security.is_tradable:
            return "NonTradableSecurity (:1080)"
        if not security.price > 0:
            return "SecurityPriceZero (:1111)"
        if not security.has_data:
            return "SecurityHasNoData (:1150)"
        return None

    def _new_ticket(self, symbol: api.Symbol, quantity: int, tag: str) -> api.OrderTicket:
        ticket = api.OrderTicket(self, self._next_id, symbol, quantity, tag, api.OrderStatus.SUBMITTED)
        self.tickets[ticket.order_id] = ticket
        self._next_id += 1
        return ticket

    def combo_limit_order(self, legs: list[api.Leg], quantity: int, limit_price: float, tag: str) -> list[api.OrderTicket]:
        """`Lean:Algorithm/QCAlgorithm.Trading.cs:915-1008`: a zero limit raises (`:918`); legs
        are checked in order and the first refusal returns ONE invalid ticket and no order
        (`:980-984`); else one ticket per leg, in leg order, and a Submitted event per leg from
        the brokerage (`Lean:Brokerages/Backtesting/BacktestingBrokerage.cs:136-141`)."""
        if limit_price == 0:
            raise api.ArgumentException("ComboLimitOrder: the limit price cannot be zero")
        ratios = [int(leg.quantity) for leg in legs]
        if math.gcd(*ratios) != 1:
            raise api.ArgumentException("ComboLimitOrder: leg ratios must have a greatest common divisor of 1")
        for leg in legs:
            problem = self._pre_order_check(leg.symbol)
            if problem is not None:
                return [self._invalid(leg.symbol, leg.quantity * quantity, tag, problem)]
        tickets = [self._new_ticket(leg.symbol, leg.quantity * quantity, tag) for leg in legs]
        self._submit(Group(tickets, ratios, quantity, limit_price, self.time, True, self.order_properties.time_in_force))
        return tickets

    def limit_order(self, symbol: api.Symbol, quantity: int, limit_price: float, tag: str) -> api.OrderTicket:
        """`QCAlgorithm.Trading.cs:1016-1024`: refused -> an invalid ticket, no order, no event."""
        problem = self._pre_order_check(symbol)
        if problem is not None:
            return self._invalid(symbol, quantity, tag, problem)
        ticket = self._new_ticket(symbol, quantity, tag)
        self._submit(Group([ticket], [1 if quantity > 0 else -1], quantity, limit_price, self.time, False,
                           self.order_properties.time_in_force))
        return ticket

    def _invalid(self, symbol: api.Symbol, quantity: int, tag: str, problem: str) -> api.OrderTicket:
        self.counts.invalid += 1
        self.log(f"order refused before submission: {symbol.value} x{quantity}: {problem}")
        return api.OrderTicket(self, api.INVALID_ORDER_ID, symbol, quantity, tag, api.OrderStatus.INVALID, problem)

    def _submit(self, group: Group) -> None:
        self.groups.append(group)
        self.counts.orders += 1
        for ticket in group.tickets:
            self._emit(self._event(ticket, api.OrderStatus.SUBMITTED))

    def _event(self, ticket: api.OrderTicket, status: api.OrderStatus, price: float = 0.0, quantity: int = 0,
               fee: float = 0.0, message: str = "") -> api.OrderEvent:
        ticket.status = status
        direction = api.OrderDirection.BUY if ticket.quantity > 0 else api.OrderDirection.SELL
        return api.OrderEvent(ticket.order_id, ticket.symbol, self.utc_time, status, direction, price, quantity,
                              api.OrderFee(api.CashAmount(fee)), message)

    def _group_of(self, ticket: api.OrderTicket) -> Group | None:
        return next((g for g in self.groups if any(t is ticket for t in g.tickets)), None)

    def update_order(self, ticket: api.OrderTicket, fields: api.UpdateOrderFields) -> api.OrderResponse:
        """The limit of a combo lives in its group (`Lean:Common/Orders/ComboLimitOrder.cs:70-77`);
        the brokerage answers with one UpdateSubmitted event (`BacktestingBrokerage.cs:147-177`)."""
        group = self._group_of(ticket)
        if group is None or ticket.status in FINAL:
            return api.OrderResponse(ticket.order_id, False, "InvalidOrderStatus: the order is closed")
        if fields.limit_price is not None:
            if fields.limit_price == 0:
                return api.OrderResponse(ticket.order_id, False, "the limit price cannot be zero")
            group.limit = float(fields.limit_price)
        self._emit(self._event(ticket, api.OrderStatus.UPDATE_SUBMITTED))
        return api.OrderResponse(ticket.order_id, True)

    def cancel_order(self, ticket: api.OrderTicket) -> api.OrderResponse:
        """The backtesting brokerage cancels every order of the group on the first call and raises
        a Canceled event for each (`Lean:Brokerages/Backtesting/BacktestingBrokerage.cs:192-228`);
        a later cancel of an already final leg is refused."""
        group = self._group_of(ticket)
        if group is None or ticket.status in FINAL:
            return api.OrderResponse(ticket.order_id, False, "InvalidOrderStatus: the order is closed")
        self.counts.cancels += 1
        for leg in group.tickets:
            if leg.status not in FINAL:
                self._emit(self._event(leg, api.OrderStatus.CANCELED))
        return api.OrderResponse(ticket.order_id, True)

    def _process_orders(self) -> None:
        """Fills and DAY expiries of working orders at the current step
        (`Lean:Brokerages/Backtesting/BacktestingBrokerage.cs` Scan)."""
        for group in [g for g in self.groups if g.open]:
            if group.placed == self.time:
                continue  # filled from the next bar only (`BacktestingBrokerage.cs:265-270`)
            if group.time_in_force == api.TimeInForce.DAY and rules.day_order_expired(group.placed.date(), self.time):
                for ticket in group.tickets:
                    if ticket.status not in FINAL:
                        self._emit(self._event(ticket, api.OrderStatus.CANCELED, message="The order has expired."))
                continue
            prices = self._fill_prices(group)
            if prices is None:
                continue
            for ticket, price in zip(group.tickets, prices, strict=True):
                self._fill(ticket, price)

    def _fill_prices(self, group: Group) -> list[float] | None:
        legs = []
        for ticket, ratio in zip(group.tickets, group.ratios, strict=True):
            security = self.securities.get(ticket.symbol)
            last = security.get_last_data() if security is not None else None
            if last is None or self._algo_time(ticket.symbol, last.end_time) <= group.placed:
                return None  # no data, or stale data: FillModel.cs:171 (combo), :698 (limit)
            bid, ask = _sides(last)
            legs.append(rules.ComboLeg(ratio, bid, ask, ticket.symbol.security_type == api.SecurityType.EQUITY))
        if group.combo:
            return rules.combo_limit_fill(group.quantity, group.limit, legs)
        leg = legs[0]
        price = rules.limit_fill(group.quantity, group.limit, leg.ask if group.quantity > 0 else leg.bid)
        return None if price is None else [price]

    def _fill(self, ticket: api.OrderTicket, price: float) -> None:
        security = self.securities[ticket.symbol]
        quantity = ticket.quantity - ticket.quantity_filled
        holding = security.holdings
        opens = holding.quantity == 0 or (holding.quantity > 0) == (quantity > 0)
        kind = ticket.symbol.security_type
        fee = rules.tastytrade_fee(kind in (api.SecurityType.OPTION, api.SecurityType.INDEX_OPTION),
                                   kind == api.SecurityType.FUTURE_OPTION, opens, quantity)
        self._book(security, quantity, price, fee)
        ticket.quantity_filled += quantity
        ticket.average_fill_price = price
        self.counts.fills += 1
        self._emit(self._event(ticket, api.OrderStatus.FILLED, price, quantity, fee))

    def _book(self, security: api.Security, quantity: int, price: float, fee: float) -> None:
        holding = security.holdings
        new = holding.quantity + quantity
        if new == 0:
            holding.average_price = 0.0
        elif holding.quantity == 0 or (holding.quantity > 0) == (quantity > 0):
            holding.average_price = (holding.average_price * holding.quantity + price * quantity) / new
        holding.quantity = new
        if security.symbol.security_type == api.SecurityType.FUTURE:
            self.cash -= fee  # a future moves no notional: only margin and, later, its P&L
            return
        self.cash -= quantity * price * security.standin_multiplier + fee

    # --- expiry ----------------------------------------------------------------------------------

    def _expire_options(self, day: date) -> None:
        """Options that expired before `day` are delisted (`DelistingEventProvider.cs:95-104`,
        delisted at the end of the expiry date) and LEAN exercises or expires the holding with
        an exercise order of -holdings; the events come in `DefaultExerciseModel` order
        (`Lean:Common/Orders/OptionExercise/DefaultExerciseModel.cs:34-76`): the option fill at
        price 0, then for a physically delivered, in-the-money option the underlying's fill at
        the strike; `on_assignment_order_event` follows `on_order_event` of an assignment
        (`Lean:Engine/TransactionHandlers/BrokerageTransactionHandler.cs:1711-1731`)."""
        for symbol, security in list(self.securities.items()):
            if not isinstance(security, ContractSecurity) or security.spec[0] >= day:
                continue
            if security.holdings.quantity != 0:
                self.exercise_at_expiry(security)
            self.securities._items.pop(symbol, None)
            self._contracts[security.canonical].pop(symbol, None)
        for canonical in self._contracts:
            self._index_expiries(canonical)

    def exercise_at_expiry(self, option: ContractSecurity) -> list[api.OrderEvent]:
        _, strike, is_call = option.spec
        held = option.holdings.quantity
        order_quantity = -held
        underlying = self.securities[option.symbol.underlying]
        in_the_money = rules.auto_exercised(is_call, strike, float(underlying.close))
        order_id = self._next_id
        self._next_id += 1
        ticket = api.OrderTicket(self, order_id, option.symbol, order_quantity, "exercise", api.OrderStatus.SUBMITTED)
        events = []
        self._book(option, order_quantity, 0.0, 0.0)
        event = self._event(ticket, api.OrderStatus.FILLED, 0.0, order_quantity,
                            message="Automatic Exercise" if in_the_money else "OTM")
        event.is_in_the_money = in_the_money
        event.is_assignment = in_the_money and held < 0
        events.append(event)
        # index options settle in cash (IndexOption.cs:50,72); equity and futures options deliver
        # (Option.cs:180, not overridden by FutureOption.cs)
        physical = option.symbol.security_type in (api.SecurityType.OPTION, api.SecurityType.FUTURE_OPTION)
        if in_the_money and physical:
            future_option = option.symbol.security_type == api.SecurityType.FUTURE_OPTION
            unit = 1 if future_option else int(option.standin_multiplier)
            delivered = rules.exercise_quantity(is_call, order_quantity, unit)
            self._book(underlying, delivered, strike, 0.0)
            deliver_ticket = api.OrderTicket(self, order_id, underlying.symbol, delivered, "exercise",
                                             api.OrderStatus.SUBMITTED)
            delivery = self._event(deliver_ticket, api.OrderStatus.FILLED, strike, delivered,
                                   message="Option Assignment" if held < 0 else "Option Exercise")
            delivery.is_in_the_money = True
            events.append(delivery)
        for item in events:
            self._emit(item)
            if item.is_assignment:
                self._emit(item, assignment=True)
        return events

    # --- margin (approximation) ---------------------------------------------------------------------

    def margin_used(self) -> float:
        """An approximation of LEAN's option-strategy margin
        (`Lean:Common/Securities/Option/OptionStrategyPositionGroupBuyingPowerModel.cs`): per
        underlying and expiry, the largest loss at expiry over the strikes held (defined-risk
        structures: their width); uncovered short calls 20% of the underlying; equity at 50%."""
        total = 0.0
        groups: dict[tuple[api.Symbol, date], list[tuple[float, bool, int, float]]] = {}
        for security in self.securities.values():
            quantity = security.holdings.quantity
            if quantity == 0:
                continue
            if isinstance(security, ContractSecurity):
                expiry, strike, is_call = security.spec
                groups.setdefault((security.canonical, expiry), []).append(
                    (strike, is_call, quantity, security.standin_multiplier))
            else:
                total += abs(quantity * security.price) * 0.5
        for (canonical, _), legs in groups.items():
            spot = float(self.securities[canonical.underlying].price) if canonical.underlying in self.securities else 0.0
            strikes = sorted({k for k, _, _, _ in legs})
            grid = np.array([0.0, *strikes, strikes[-1] * 2 + 1.0])
            payoff = np.zeros(len(grid))
            for strike, is_call, quantity, multiplier in legs:
                intrinsic = np.maximum(grid - strike, 0.0) if is_call else np.maximum(strike - grid, 0.0)
                payoff += quantity * multiplier * intrinsic
            net_calls = sum(q for _, c, q, _ in legs if c)
            loss = max(0.0, -float(payoff.min()))
            if net_calls < 0:
                loss = max(loss, abs(net_calls) * 100 * 0.2 * spot)
            total += loss
        return total

    # --- delivery of order events ------------------------------------------------------------------

    def _emit(self, event: api.OrderEvent, assignment: bool = False) -> None:
        """Backtest: the event reaches the algorithm during the call that caused it. Live: from
        the brokerage's own thread (`BrokerageTransactionHandler.cs:172,1369`), while the
        algorithm's scheduled events run on another (`LiveTradingRealTimeHandler.cs:93-117`)."""
        handler = self.algorithm.on_assignment_order_event if assignment else self.algorithm.on_order_event
        if not self.live_mode:
            handler(event)
            return
        if self._brokerage is None:
            self._brokerage = queue.Queue()
            self._brokerage_thread = threading.Thread(target=self._brokerage_loop, name="brokerage", daemon=True)
            self._brokerage_thread.start()
        self._brokerage.put(lambda: handler(event))

    def _brokerage_loop(self) -> None:
        assert self._brokerage is not None
        while True:
            task = self._brokerage.get()
            if task is None:
                return
            task()
            self._brokerage.task_done()

    def drain(self) -> None:
        """Wait until the brokerage thread has delivered every event so far (live mode)."""
        if self._brokerage is not None:
            self._brokerage.join()

    def stop(self) -> None:
        if self._brokerage is not None and self._brokerage_thread is not None:
            self.drain()
            self._brokerage.put(None)
            self._brokerage_thread.join()
            self._brokerage = None


def _sides(last: api.BaseData) -> tuple[rules.Bar, rules.Bar]:
    if isinstance(last, api.QuoteBar):
        return (rules.Bar(last.bid.open, last.bid.high, last.bid.low, last.bid.close),
                rules.Bar(last.ask.open, last.ask.high, last.ask.low, last.ask.close))
    assert isinstance(last, api.TradeBar)
    bar = rules.Bar(last.open, last.high, last.low, last.close)
    return bar, bar


class ContractSecurity(api.Option):
    """One option contract: its data is the modelled quote bar of the current minute."""

    def __init__(self, symbol: api.Symbol, entry: MarketHoursEntry, engine: Engine, spec: tuple[date, float, bool],
                 canonical: api.Symbol) -> None:
        super().__init__(symbol, entry, engine)
        self.spec, self.canonical = spec, canonical
        self.standin_engine = engine
        self._seen: api.QuoteBar | None = None

    def get_last_data(self) -> api.BaseData | None:
        current = self.standin_engine.quote_bar(self.symbol)
        if current is not None:
            self._seen = current
        return self._seen

    @property  # type: ignore[override]
    def has_data(self) -> bool:
        return self.get_last_data() is not None

    def _quote(self) -> api.QuoteBar | None:
        last = self.get_last_data()
        return last if isinstance(last, api.QuoteBar) else None

    @property  # type: ignore[override]
    def bid_price(self) -> float:
        quote = self._quote()
        return quote.bid.close if quote is not None else 0.0

    @bid_price.setter
    def bid_price(self, value: float) -> None:
        pass

    @property  # type: ignore[override]
    def ask_price(self) -> float:
        quote = self._quote()
        return quote.ask.close if quote is not None else 0.0

    @ask_price.setter
    def ask_price(self, value: float) -> None:
        pass

    @property  # type: ignore[override]
    def price(self) -> float:
        quote = self._quote()
        return quote.close if quote is not None else 0.0

    @price.setter
    def price(self, value: float) -> None:
        pass


class LazyChain(api.OptionChain):
    """The slice's chain of one canonical: its contracts are made when first iterated."""

    def __init__(self, engine: Engine, canonical: api.Symbol, underlying: api.TradeBar) -> None:
        super().__init__(canonical, underlying, [])
        self._engine = engine
        self._built = False

    def _build(self) -> list[api.OptionContract]:
        if not self._built:
            engine = self._engine
            engine.counts.chains += 1
            rate = engine.rate_of(engine.time.date())
            q = engine.options.dividend_yield if engine.options is not None else 0.0
            batches: dict[date, api.ModelBatch] = {}
            for symbol, spec in engine._contracts[self.standin_canonical].items():
                batch = batches.get(spec[0]) or batches.setdefault(spec[0], api.ModelBatch(engine.time, spec[0], rate, q))
                self._contracts.append(api.OptionContract(symbol, _quote_source(engine, symbol), self.underlying, batch))
            self._built = True
        return self._contracts

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._build())

    def __len__(self) -> int:
        return len(self._engine._contracts[self.standin_canonical])


def _quote_source(engine: Engine, symbol: api.Symbol) -> Callable[[], api.QuoteBar | None]:
    return lambda: engine.quote_bar(symbol)
