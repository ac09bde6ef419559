"""The fake QCAlgorithm base and `FakeLean`, the market and brokerage behind it.

A test builds `FakeLean(...)`, attaches it to an algorithm instance, calls `initialize()`, then
drives time with `run_minutes` / `warm_up`, fills orders with `fill`, and reads what the
algorithm did (orders, logs, plots, notifications, the ObjectStore). Two algorithm instances
that share an ObjectStore and a FakeAccount model a restart.
"""
from __future__ import annotations

import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from helpers.exchange_calendar import EASTERN
from tests.lean_standin import scripted as f


def equity_symbol(ticker: str) -> f.Symbol:
    return f.Symbol(ticker, f.SecurityIdentifier(ticker, f.SecurityType.EQUITY, "usa"))


def index_symbol(ticker: str) -> f.Symbol:
    return f.Symbol(ticker, f.SecurityIdentifier(ticker, f.SecurityType.INDEX, "usa"))


def future_symbol(root: str, expiry: date | None = None) -> f.Symbol:
    """The continuous (canonical) future, or one contract month when `expiry` is given."""
    identifier = f.SecurityIdentifier(root, f.SecurityType.FUTURE, "cme",
                                      datetime.combine(expiry, time()) if expiry else None)
    return f.Symbol(f"/{root}" if expiry is None else f"{root} {expiry:%y%m%d}", identifier, canonical=expiry is None)


def option_symbol(underlying: f.Symbol, root: str, expiry: date, strike: float, right: str) -> f.Symbol:
    """An option contract: equity option (OPTION), index option (INDEX_OPTION, root e.g. SPXW) or
    futures option (FUTURE_OPTION on a future contract symbol)."""
    kind = {f.SecurityType.EQUITY: f.SecurityType.OPTION, f.SecurityType.INDEX: f.SecurityType.INDEX_OPTION,
            f.SecurityType.FUTURE: f.SecurityType.FUTURE_OPTION}[underlying.security_type]
    option_right = f.OptionRight.CALL if right.lower().startswith("c") else f.OptionRight.PUT
    identifier = f.SecurityIdentifier(root, kind, underlying.id.market, datetime.combine(expiry, time()), strike,
                                      option_right)
    value = f"{root} {expiry:%y%m%d}{'C' if option_right == f.OptionRight.CALL else 'P'}{round(strike * 1000):08d}"
    return f.Symbol(value, identifier, underlying)


def canonical_option(underlying: f.Symbol, root: str) -> f.Symbol:
    kind = {f.SecurityType.EQUITY: f.SecurityType.OPTION, f.SecurityType.INDEX: f.SecurityType.INDEX_OPTION,
            f.SecurityType.FUTURE: f.SecurityType.FUTURE_OPTION}[underlying.security_type]
    return f.Symbol(f"?{root}", f.SecurityIdentifier(root, kind, underlying.id.market), underlying,
                    canonical=True)


@dataclass
class FakeAccount:
    """The brokerage account: survives an algorithm restart."""

    cash: float = 30_000.0
    holdings: dict[f.Symbol, f.SecurityHolding] = field(default_factory=dict)
    fee_per_contract: float = 1.0


@dataclass
class Subscription:
    kind: str
    symbol: f.Symbol
    security: f.Security
    options: dict[str, Any] = field(default_factory=dict)


class FakeLean:
    """Clock, market data, schedule and brokerage behind one fake algorithm instance."""

    def __init__(self, store: f.ObjectStore | None = None, account: FakeAccount | None = None, live_mode: bool = False,
                 algorithm_id: str = "backtest-1", project_id: int = 7, parameters: dict[str, str] | None = None,
                 start: datetime = datetime(2024, 1, 2, 9, 0)) -> None:
        self.store = store or f.ObjectStore()
        self.account = account or FakeAccount()
        self.live_mode, self.algorithm_id, self.project_id = live_mode, algorithm_id, project_id
        self.parameters = dict(parameters or {})
        self.time = start
        self.warming_up = False
        self.securities = f.SecurityManager()
        self.schedule, self.notify = f.ScheduleManager(), f.NotificationManager()
        self.portfolio = f.SecurityPortfolioManager(self)
        self.settings: dict[str, Any] = {}
        self.order_properties = f.OrderProperties()
        self.subscriptions: list[Subscription] = []
        self.chains: dict[f.Symbol, f.OptionChain] = {}
        self.daily: dict[f.Symbol, list[f.TradeBar]] = {}
        self.tickets: dict[int, f.OrderTicket] = {}
        self.limits: dict[int, float] = {}  # first leg id -> net limit of its group
        self.next_order_id = 1
        self.logs: list[str] = []
        self.plots: list[tuple[str, str, float]] = []
        self.statistics: dict[str, str] = {}
        self.margin_used = 0.0
        self.reject_next = False  # the next order is rejected while it is being placed (status INVALID)
        self.cancel_requests: list[int] = []  # order ids the algorithm asked to cancel
        self.cancelling: list[f.OrderTicket] = []  # live: legs whose cancel the brokerage has yet to report
        self.refuse_next: str | None = None  # the next order fails LEAN's pre-order checks with this message
        self.algorithm: Any = None
        self.slice: f.Slice | None = None  # the algorithm's current_slice (None before the first step)

    def attach(self, algorithm: Any) -> Any:
        algorithm.standin_lean = self
        self.algorithm = algorithm
        for symbol in self.account.holdings:
            if not self.securities.contains_key(symbol):
                self.securities._items[symbol] = f.Security(symbol, 0.0, 100.0)
        return algorithm

    # --- the algorithm base's services -------------------------------------------------------

    def subscribe(self, kind: str, symbol: f.Symbol, security: f.Security, **options: Any) -> f.Security:
        self.securities._items[symbol] = security
        self.subscriptions.append(Subscription(kind, symbol, security, options))
        return security

    def standin_history(self, symbol: f.Symbol, periods: int) -> list[f.TradeBar]:
        bars = [b for b in self.daily.get(symbol, []) if b.time.date() < self.time.date()]
        return bars[-periods:] if periods > 0 else []

    def standin_portfolio_value(self) -> float:
        total = self.account.cash
        for holding in self.account.holdings.values():
            security = self.securities.get(holding.symbol)
            if security is not None:
                mid = (security.bid_price + security.ask_price) / 2 or security.price
                total += holding.quantity * mid * security.standin_multiplier
        return total

    @property
    def standin_margin_used(self) -> float:
        return self.margin_used

    # --- market data ------------------------------------------------------------------------

    def set_price(self, symbol: f.Symbol, price: float, open_: float | None = None) -> None:
        security = self.securities[symbol]
        security.price = security.close = security.bid_price = security.ask_price = price
        if open_ is not None:
            security.open = open_
        stamp = self.exchange_time(security)
        security.standin_last = f.BaseData(symbol, stamp, stamp, price)

    def exchange_time(self, security: f.Security) -> datetime:
        """The clock (naive New York, the algorithm's zone) in `security`'s exchange time zone,
        naive, as LEAN stamps its data (Chicago for VIX: one hour behind)."""
        moment = self.time.replace(tzinfo=EASTERN).astimezone(ZoneInfo(security.exchange.time_zone))
        return moment.replace(tzinfo=None)

    def set_chain(self, canonical: f.Symbol, underlying_price: float, contracts: list[f.OptionContract],
                  multiplier: float = 100.0) -> None:
        """The option chain of `canonical` from now on; each contract becomes a security."""
        self.chains[canonical] = f.OptionChain(canonical, f.BaseData(canonical.underlying, self.time, self.time, underlying_price),
                                                contracts)
        for contract in contracts:
            security = self.securities.get(contract.symbol) or f.Security(contract.symbol, 0.0, multiplier)
            security.bid_price, security.ask_price = contract.bid_price, contract.ask_price
            security.price = (contract.bid_price + contract.ask_price) / 2
            security.standin_multiplier = multiplier
            self.securities._items[contract.symbol] = security

    def current_slice(self, bars: f.TradeBars | None = None) -> f.Slice:
        """The slice of the current minute: the chains set so far, and `bars`."""
        return f.Slice(self.time, bars, option_chains=f.OptionChains(dict(self.chains)))

    # --- the clock --------------------------------------------------------------------------

    def minute(self, moment: datetime, data: bool = True) -> None:
        """Advance to `moment` in LEAN's order (Lean Engine/AlgorithmManager.cs at 24863901): the
        current slice is set first (:253, "before firing scheduled events"), then the scheduled
        events due fire (:348), and on_data runs last (:582). Without `data` the step carries no
        new slice (LEAN fires such events through ScanPastEvents; current_slice stays as it was)."""
        self.time = moment
        new = self.current_slice() if data else None
        if new is not None:
            self.slice = new
        for event in list(self.schedule.standin_events):
            if moment in event.standin_times(moment.date()):
                event.standin_callback()
        if new is not None:
            self.algorithm.on_data(new)

    def run_minutes(self, start: datetime, end: datetime, before_each: Callable[[datetime], None] | None = None) -> None:
        """Every minute from start to end inclusive."""
        moment = start
        while moment <= end:
            self.time = moment
            if before_each is not None:
                before_each(moment)
            self.minute(moment)
            moment += timedelta(minutes=1)

    def warm_up(self, days: list[date], symbols: list[f.Symbol]) -> None:
        """LEAN's daily warm-up: one slice per day with that day's bars; scheduled events fire too
        (as in LEAN), and the algorithm must ignore them while warming up."""
        self.warming_up = True
        for day in days:
            self.time = datetime.combine(day, time(16, 0))
            bars = {s: b for s in symbols for b in self.daily.get(s, []) if b.time.date() == day}
            self.slice = self.current_slice(f.TradeBars(bars))
            for event in list(self.schedule.standin_events):  # the every-trading-day events, once a day
                if event.standin_date_rule.name.startswith("EveryDay") and event.standin_date_rule.standin_accepts(day):
                    event.standin_callback()
            self.algorithm.on_data(self.slice)
        self.warming_up = False

    # --- the brokerage ----------------------------------------------------------------------

    def place(self, legs: list[tuple[f.Symbol, int]], quantity: int, limit: float, tag: str) -> list[f.OrderTicket]:
        if self.refuse_next is not None:
            # LEAN's pre-order checks refuse before any order exists: a combo returns a list with ONE
            # invalid ticket (Lean Algorithm/QCAlgorithm.Trading.cs:980-984), a single order that
            # ticket (:1016-1024, OrderTicket.InvalidSubmitRequest at Common/Orders/OrderTicket.cs:648-652);
            # its order id stays the request's -10 (Common/Orders/SubmitOrderRequest.cs:166,
            # OrderResponseErrorCode.UnableToFindOrder) and no order event is ever raised.
            refused = f.OrderTicket(-10, legs[0][0], legs[0][1] * quantity, limit, tag, self)
            refused.status = f.OrderStatus.INVALID
            refused.standin_response = f.OrderResponse(-10, False, self.refuse_next)
            self.refuse_next = None
            return [refused]
        group: list[f.OrderTicket] = []
        for symbol, ratio in legs:
            ticket = f.OrderTicket(self.next_order_id, symbol, ratio * quantity, limit, tag, self, group)
            self.next_order_id += 1
            group.append(ticket)
            self.tickets[ticket.order_id] = ticket
        self.limits[group[0].order_id] = limit
        status = f.OrderStatus.INVALID if self.reject_next else f.OrderStatus.SUBMITTED
        self.reject_next = False
        for ticket in group:  # LEAN reports the submission while the order call is still running
            ticket.status = status
            self.algorithm.on_order_event(f.order_event(ticket.order_id, ticket.symbol, self.time, status,
                                                       message="rejected by the fake brokerage" if status == f.OrderStatus.INVALID else ""))
        return group

    def open_groups(self) -> list[list[f.OrderTicket]]:
        seen, groups = set(), []
        for ticket in self.tickets.values():
            if ticket.status in (f.OrderStatus.SUBMITTED, f.OrderStatus.PARTIALLY_FILLED) and id(ticket.standin_group) not in seen:
                seen.add(id(ticket.standin_group))
                groups.append(ticket.standin_group)
        return groups

    def standin_update(self, ticket: f.OrderTicket, fields: f.UpdateOrderFields) -> f.OrderResponse:
        if ticket.status not in (f.OrderStatus.SUBMITTED, f.OrderStatus.PARTIALLY_FILLED):
            return f.OrderResponse(ticket.order_id, False, "order is closed")
        assert fields.limit_price is not None and fields.limit_price != 0, "LEAN would reject a zero limit"
        self.limits[ticket.standin_group[0].order_id] = fields.limit_price
        return f.OrderResponse(ticket.order_id, True)

    def standin_cancel(self, ticket: f.OrderTicket) -> f.OrderResponse:
        """A cancel request cancels the ticket's whole group. Backtest: BacktestingBrokerage.CancelOrder
        cancels every order of the group and raises a Canceled event for each during the call
        (Lean Brokerages/Backtesting/BacktestingBrokerage.cs:192-228). Live: the request is
        accepted at once (the ticket turns CancelPending, Engine/TransactionHandlers/
        BrokerageTransactionHandler.cs:536-549) and Tastytrade cancels the complex order through
        the first leg's broker id (Lean.Brokerages.Tastytrade TastytradeBrokerage.Brokerage.cs:447-470);
        the Canceled events come later from the brokerage (`deliver_cancels`). A second request
        for the same group reaches the broker again and fails there (logged as an error)."""
        if ticket.status not in (f.OrderStatus.SUBMITTED, f.OrderStatus.PARTIALLY_FILLED):
            return f.OrderResponse(ticket.order_id, False, "order is closed")
        self.cancel_requests.append(ticket.order_id)
        group = ticket.standin_group
        if any(leg in self.cancelling for leg in group):
            self.logs.append(f"ERROR Brokerage failed to cancel order {ticket.order_id}")
        if self.live_mode:
            ticket.status = f.OrderStatus.CANCEL_PENDING
            self.cancelling.extend(t for t in group if t not in self.cancelling)
            return f.OrderResponse(ticket.order_id, True)
        for leg in group:
            leg.status = f.OrderStatus.CANCELED
            self.algorithm.on_order_event(f.order_event(leg.order_id, leg.symbol, self.time, f.OrderStatus.CANCELED))
        return f.OrderResponse(ticket.order_id, True)

    def deliver_cancels(self) -> None:
        """Live: the brokerage reports the cancelled legs."""
        cancelling, self.cancelling = self.cancelling, []
        for leg in cancelling:
            leg.status = f.OrderStatus.CANCELED
            self.algorithm.on_order_event(f.order_event(leg.order_id, leg.symbol, self.time, f.OrderStatus.CANCELED))

    def exercise(self, option: f.Symbol, underlying_price: float) -> None:
        """LEAN's exercise, assignment or expiry of a held option, as DefaultExerciseModel reports it
        (Lean Common/Orders/OptionExercise/DefaultExerciseModel.cs:42-72): one exercise order whose
        quantity is minus the holding (Engine/TransactionHandlers/BrokerageTransactionHandler.cs:1595),
        a fill on the option at price 0, and when in the money and physically delivered a second
        fill on the underlying at the strike. Index options settle in cash (IndexOption.cs:50,72),
        every other option is physically delivered (Option.cs:180; FutureOption does not override it):
        100 shares per equity option, one future per futures option (SecurityService.cs:198)."""
        holding = self.account.holdings.pop(option)
        order_quantity = -holding.quantity
        order_id, self.next_order_id = self.next_order_id, self.next_order_id + 1
        call = option.id.option_right == f.OptionRight.CALL
        strike = option.id.strike_price
        in_the_money = underlying_price > strike if call else underlying_price < strike
        self.algorithm.on_order_event(f.order_event(order_id, option, self.time, f.OrderStatus.FILLED, 0.0, order_quantity,
                                                   is_assignment=in_the_money and holding.quantity < 0,
                                                   is_in_the_money=in_the_money))
        if not in_the_money or option.security_type == f.SecurityType.INDEX_OPTION:
            return
        unit = 1 if option.security_type == f.SecurityType.FUTURE_OPTION else 100
        delivered = (-1 if call else 1) * order_quantity * unit
        underlying = self.account.holdings.setdefault(option.underlying, f.SecurityHolding(option.underlying, 0))
        underlying.quantity += delivered
        if option.security_type == f.SecurityType.OPTION:
            self.account.cash -= delivered * strike
        self.algorithm.on_order_event(f.order_event(order_id, option.underlying, self.time, f.OrderStatus.FILLED, strike,
                                                   delivered, is_in_the_money=True))

    def fill(self, group: list[f.OrderTicket], units: int | None = None) -> float:
        """Fill `units` (default: all remaining) of a group at its current limit; leg prices are the
        mids with the first leg adjusted so the net equals the limit. Returns the net price."""
        limit = self.limits[group[0].order_id]
        ratio = [t.quantity // abs(t.quantity) * (abs(t.quantity) // _units(group)) for t in group]
        total_units = _units(group)
        done = abs(group[0].quantity_filled) // abs(ratio[0])
        units = total_units - done if units is None else units
        prices = [(self.securities[t.symbol].bid_price + self.securities[t.symbol].ask_price) / 2 for t in group]
        if len(group) == 1:
            prices[0] = limit
        else:
            rest = sum(r * p for r, p in zip(ratio[1:], prices[1:], strict=True))
            prices[0] = (limit - rest) / ratio[0]
        self._book(group, ratio, prices, units)
        return limit if len(group) > 1 else limit * (1 if ratio[0] > 0 else -1)

    def lean_combo_fill(self, group: list[f.OrderTicket], low: dict[f.Symbol, float],
                        high: dict[f.Symbol, float]) -> bool:
        """LEAN's combo limit fill on one bar (Lean Common/Orders/Fills/FillModel.cs:161-235,
        1243-1258): the group's direction is the sign of its quantity (positive from the adapter:
        Buy); a Buy fills when the sum over legs of ratio x Low is below the limit, a Sell when
        ratio x High is above it, and then every leg fills completely at its own Low (Buy) or High
        (Sell), so the net differs from the limit. `low` and `high` are each leg's bar on its own
        side (ask for a buying leg, bid for a selling one). Returns whether it filled."""
        units = _units(group)
        ratio = [t.quantity // units for t in group]
        buy = True  # the adapter sends positive quantities, the sign is in the limit
        prices = [(low if buy else high)[t.symbol] for t in group]
        net = sum(r * p for r, p in zip(ratio, prices, strict=True))
        limit = self.limits[group[0].order_id]
        if not (net < limit if buy else net > limit):
            return False
        self._book(group, ratio, prices, units)
        return True

    def _book(self, group: list[f.OrderTicket], ratio: list[int], prices: list[float], units: int) -> None:
        for ticket, leg_ratio, price in zip(group, ratio, prices, strict=True):
            filled = leg_ratio * units
            ticket.quantity_filled += filled
            complete = abs(ticket.quantity_filled) == abs(ticket.quantity)
            ticket.status = f.OrderStatus.FILLED if complete else f.OrderStatus.PARTIALLY_FILLED
            holding = self.account.holdings.setdefault(ticket.symbol, f.SecurityHolding(ticket.symbol, 0))
            holding.quantity += filled
            if holding.quantity == 0:
                del self.account.holdings[ticket.symbol]
            fee = self.account.fee_per_contract * abs(filled)
            self.account.cash -= filled * price * self.securities[ticket.symbol].standin_multiplier + fee
            self.algorithm.on_order_event(f.order_event(ticket.order_id, ticket.symbol, self.time, ticket.status,
                                                       price, filled, fee))


def _units(group: list[f.OrderTicket]) -> int:
    """Units of a combo: the greatest common divisor of its leg quantities."""
    from math import gcd
    units = 0
    for ticket in group:
        units = gcd(units, abs(ticket.quantity))
    return units


class QCAlgorithm:
    """The fake algorithm base: LEAN's members used by main.py, served by `standin_lean`."""

    standin_lean: FakeLean

    # properties
    time = property(lambda self: self.standin_lean.time)
    live_mode = property(lambda self: self.standin_lean.live_mode)
    is_warming_up = property(lambda self: self.standin_lean.warming_up)
    algorithm_id = property(lambda self: self.standin_lean.algorithm_id)
    project_id = property(lambda self: self.standin_lean.project_id)
    portfolio = property(lambda self: self.standin_lean.portfolio)
    securities = property(lambda self: self.standin_lean.securities)
    transactions = property(lambda self: f.SecurityTransactionManager(self.standin_lean))
    default_order_properties = property(lambda self: self.standin_lean.order_properties)
    object_store = property(lambda self: self.standin_lean.store)
    current_slice = property(lambda self: self.standin_lean.slice)
    schedule = property(lambda self: self.standin_lean.schedule)
    date_rules = property(lambda self: f.DateRules())
    time_rules = property(lambda self: f.TimeRules())
    notify = property(lambda self: self.standin_lean.notify)
    history = property(lambda self: f.History(self.standin_lean.standin_history))
    risk_free_interest_rate_model = property(lambda self: f.InterestRateProvider(lambda day: 0.05))

    # settings
    def set_start_date(self, start: date) -> None:
        self.standin_lean.settings["start"] = start

    def set_end_date(self, end: date) -> None:
        self.standin_lean.settings["end"] = end

    def set_cash(self, starting_cash: float) -> None:
        self.standin_lean.settings["cash"] = starting_cash

    def set_time_zone(self, time_zone: str) -> None:
        self.standin_lean.settings["time_zone"] = time_zone

    def set_brokerage_model(self, brokerage: f.BrokerageName, account_type: f.AccountType = f.AccountType.MARGIN) -> None:
        self.standin_lean.settings["brokerage"] = (brokerage, account_type)

    def set_warm_up(self, time_span: timedelta, resolution: f.Resolution) -> None:
        self.standin_lean.settings["warm_up"] = (time_span, resolution)

    def get_parameter(self, name: str, default_value: str | None = None) -> str | None:
        return self.standin_lean.parameters.get(name, default_value)

    # subscriptions
    def add_equity(self, ticker: str, resolution: f.Resolution | None = None, market: str | None = None,
                   fill_forward: bool = True, leverage: float = 0.0, extended_market_hours: bool = False,
                   data_normalization_mode: f.DataNormalizationMode | None = None) -> f.Equity:
        symbol = equity_symbol(ticker)
        return self.standin_lean.subscribe("equity", symbol, f.Equity(symbol), resolution=resolution,
                                        normalization=data_normalization_mode)

    def add_index(self, ticker: str, resolution: f.Resolution | None = None) -> f.Index:
        symbol = index_symbol(ticker)
        return self.standin_lean.subscribe("index", symbol, f.Index(symbol), resolution=resolution)

    def add_option(self, underlying: f.Symbol, resolution: f.Resolution | None = None) -> f.Option:
        symbol = canonical_option(underlying, underlying.value)
        return self.standin_lean.subscribe("option", symbol, f.Option(symbol), resolution=resolution)

    def add_index_option(self, symbol: f.Symbol, target_option: str, resolution: f.Resolution | None = None
                         ) -> f.IndexOption:
        canonical = canonical_option(symbol, target_option)
        return self.standin_lean.subscribe("index_option", canonical, f.IndexOption(canonical), resolution=resolution)

    def add_future(self, ticker: str, resolution: f.Resolution | None = None, market: str | None = None,
                   fill_forward: bool | None = None, leverage: float = 0.0, extended_market_hours: bool | None = None,
                   data_mapping_mode: f.DataMappingMode | None = None,
                   data_normalization_mode: f.DataNormalizationMode | None = None,
                   contract_depth_offset: int = 0) -> f.Future:
        symbol = future_symbol(ticker)
        return self.standin_lean.subscribe("future", symbol, f.Future(symbol), resolution=resolution,
                                        mapping=data_mapping_mode, normalization=data_normalization_mode,
                                        depth=contract_depth_offset)

    def add_future_option(self, symbol: f.Symbol, option_filter: Any = None) -> None:
        canonical = f.Symbol(f"?{symbol.id.symbol}", f.SecurityIdentifier(symbol.id.symbol, f.SecurityType.FUTURE_OPTION,
                                                                      "cme"),
                             symbol, canonical=True)
        option = f.Option(canonical)
        option.set_filter(option_filter)
        self.standin_lean.subscribe("future_option", canonical, option)

    # orders
    def combo_limit_order(self, legs: list[f.Leg], quantity: int, limit_price: float, asynchronous: bool = False,
                          tag: str = "") -> list[f.OrderTicket]:
        assert limit_price != 0, "LEAN/Tastytrade would reject a zero combo limit"
        return self.standin_lean.place([(leg.symbol, leg.quantity) for leg in legs], quantity, limit_price, tag)

    def limit_order(self, symbol: f.Symbol, quantity: int, limit_price: float, asynchronous: bool = False,
                    tag: str = "") -> f.OrderTicket:
        assert limit_price > 0, "a single-leg limit price is the (positive) option price"
        sign = 1 if quantity > 0 else -1
        return self.standin_lean.place([(symbol, sign)], abs(quantity), limit_price, tag)[0]

    # output
    def plot(self, chart: str, series: str, value: float) -> None:
        self.standin_lean.plots.append((chart, series, value))

    def set_runtime_statistic(self, name: str, value: str) -> None:
        self.standin_lean.statistics[name] = value

    def log(self, message: str) -> None:
        self.standin_lean.logs.append(message)

    def debug(self, message: str) -> None:
        self.standin_lean.logs.append(message)

    def error(self, message: str) -> None:
        self.standin_lean.logs.append("ERROR " + message)


f.STUB_CLASSES[QCAlgorithm] = "QuantConnect.Algorithm.QCAlgorithm"

# Names the fake AlgorithmImports module exports: the stub names of the fakes that exist there.
EXPORTED = ("Resolution", "DataNormalizationMode", "DataMappingMode", "BrokerageName", "AccountType", "OrderStatus",
            "OptionRight", "SecurityType", "DayOfWeek", "TimeZones", "TimeInForce", "OrderProperties", "SecurityIdentifier",
            "Symbol", "BaseData", "TradeBar", "TradeBars", "OptionChains", "Greeks", "OptionContract", "OptionChain",
            "Slice", "OptionUniverse", "OptionFilterUniverse", "CashAmount", "OrderFee", "OrderEvent", "OrderResponse",
            "SubmitOrderRequest", "UpdateOrderFields", "Leg", "OrderTicket", "Security", "Equity", "Option",
            "IndexOption", "Future", "SecurityManager", "SecurityHolding", "SecurityPortfolioManager", "ObjectStore",
            "SecurityTransactionManager", "DateRules", "TimeRules", "ScheduleManager", "NotificationManager",
            "QCAlgorithm")


def install() -> types.ModuleType:
    """Put the fake `AlgorithmImports` module into sys.modules (idempotent) and return it."""
    module = sys.modules.get("AlgorithmImports")
    if module is not None and getattr(module, "FAKE", False):
        return module
    module = types.ModuleType("AlgorithmImports")
    namespace = {**vars(f), "QCAlgorithm": QCAlgorithm}
    for name in EXPORTED:
        setattr(module, name, namespace[name])
    module.__all__ = list(EXPORTED)  # type: ignore[attr-defined]
    module.FAKE = True  # type: ignore[attr-defined]
    sys.modules["AlgorithmImports"] = module
    return module
