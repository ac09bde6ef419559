"""Small runtime fakes of the LEAN objects main.py and lean_adapter touch.

Every public member of a fake has the name (and, for methods, compatible parameters) of the
real member in quantconnect-stubs; test_matches_stubs.py checks it. Members only tests use
start with `standin_`. `scripted_algorithm.install()` puts a fake `AlgorithmImports` module into
sys.modules; the market and broker behind the fake algorithm live in its `FakeLean`.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

# LEAN's enums and plain value types, shared by the scripted stand-in and the engine (api.py) (re-exported here)
from tests.lean_standin.lean_types import (  # noqa: F401
    AccountType,
    ArgumentException,
    BaseData,
    BrokerageName,
    CashAmount,
    DataDictionary,
    DataMappingMode,
    DataNormalizationMode,
    DateRules,
    DayOfWeek,
    Greeks,
    History,
    InterestRateProvider,
    Leg,
    NotificationManager,
    ObjectStore,
    OptionChain,
    OptionChains,
    OptionFilterUniverse,
    OptionRight,
    OptionUniverse,
    OrderDirection,
    OrderEvent,
    OrderFee,
    OrderProperties,
    OrderResponse,
    OrderStatus,
    QuoteBars,
    Resolution,
    ScheduleManager,
    SecurityIdentifier,
    SecurityManager,
    SecurityType,
    Slice,
    SubmitOrderRequest,
    Symbol,
    TimeInForce,
    TimeRules,
    TimeZones,
    TradeBar,
    TradeBars,
    TypedHistory,
    UpdateOrderFields,
)


class OptionContract:
    def __init__(self, symbol: Symbol, bid_price: float, ask_price: float, implied_volatility: float = 0.0,
                 greeks: Greeks | None = None) -> None:
        self.symbol = symbol
        self.strike = symbol.id.strike_price
        self.expiry = symbol.id.date
        self.right = symbol.id.option_right
        self.bid_price, self.ask_price = bid_price, ask_price
        self.implied_volatility = implied_volatility
        self.greeks = greeks or Greeks()
























class OrderTicket:
    """A leg's ticket. `standin_lean` performs updates and cancels like the broker would."""

    def __init__(self, order_id: int, symbol: Symbol, quantity: int, limit_price: float, tag: str, standin_lean: Any,
                 standin_group: list[OrderTicket] | None = None) -> None:
        self.order_id, self.symbol, self.quantity, self.tag = order_id, symbol, quantity, tag
        self.status = OrderStatus.SUBMITTED
        self.quantity_filled = 0
        self.standin_limit = limit_price
        self.standin_lean = standin_lean
        self.standin_group = standin_group if standin_group is not None else [self]
        self.standin_response = OrderResponse(order_id, True)

    def get_most_recent_order_response(self) -> OrderResponse:
        return self.standin_response

    def update(self, fields: UpdateOrderFields) -> OrderResponse:
        return self.standin_lean.standin_update(self, fields)

    def cancel(self, tag: str | None = None) -> OrderResponse:
        return self.standin_lean.standin_cancel(self)


# Exchange time zones of LEAN's market-hours database (Data/market-hours/market-hours-database.json
# at Lean 24863901): "Index-usa-VIX" (line 99090) and "Index-usa-SPX" (99226) America/Chicago,
# "IndexOption-usa-SPX"/"-SPXW" (104172, 104290) America/Chicago, "Equity-usa-[*]" (3) and
# "Option-usa-[*]" (79777) America/New_York, "Future-cme-ES" (67967) America/New_York.
EXCHANGE_ZONES = {SecurityType.INDEX: "America/Chicago", SecurityType.INDEX_OPTION: "America/Chicago"}


class SecurityExchange:
    """`time_zone` is LEAN's NodaTime zone; its text (str()) is the IANA id, which is all the fake keeps."""

    def __init__(self, time_zone: str) -> None:
        self.time_zone = time_zone


class GroupOrderManager:
    """The legs of one combo order (LEAN numbers them with consecutive order ids)."""

    def __init__(self, order_ids: set[int]) -> None:
        self.order_ids = order_ids


class Order:
    """An order as the transaction manager gives it: only its combo group (None for one leg)."""

    def __init__(self, group_order_manager: GroupOrderManager | None) -> None:
        self.group_order_manager = group_order_manager


class Security:
    def __init__(self, symbol: Symbol, price: float = 0.0, multiplier: float = 1.0) -> None:
        self.symbol = symbol
        self.price = self.open = self.close = price
        self.bid_price = self.ask_price = price
        self.standin_multiplier = multiplier
        self.standin_last: BaseData | None = None
        self.exchange = SecurityExchange(EXCHANGE_ZONES.get(symbol.security_type, "America/New_York"))

    def get_last_data(self) -> BaseData | None:
        """The last data point; its times are in the exchange time zone (Lean Common/Data/Market/
        TradeBar.cs:639,644,671 convert each bar from the data zone to `config.ExchangeTimeZone`)."""
        return self.standin_last


class Equity(Security):
    pass


class Index(Security):
    pass


class Option(Security):
    def set_filter(self, universe_func: Callable[[OptionFilterUniverse], OptionFilterUniverse]) -> None:
        self.standin_filter = universe_func


class IndexOption(Option):
    pass


class Future(Security):
    def set_filter(self, min_expiry_days: int, max_expiry_days: int) -> None:
        self.standin_expiry_days = (min_expiry_days, max_expiry_days)




class SecurityHolding:
    def __init__(self, symbol: Symbol, quantity: int = 0) -> None:
        self.symbol, self.quantity = symbol, quantity
        self.price = 0.0  # the security's price, set when the portfolio hands the holding out
        self.leverage = 2.0  # Reg-T margin account

    @property
    def holdings_value(self) -> float:
        return self.quantity * self.price


class SecurityPortfolioManager:
    """Holdings and value of the fake account (values computed from the fake market)."""

    def __init__(self, standin_lean: Any) -> None:
        self.standin_lean = standin_lean

    def values(self) -> list[SecurityHolding]:
        """One holding per security, held or not, like LEAN (Lean Common/Securities/
        SecurityPortfolioManager.cs:254,272-277): every subscribed option contract included."""
        held = self.standin_lean.account.holdings
        symbols = list(held) + [s for s in self.standin_lean.securities._items if s not in held]
        return [held.get(symbol) or SecurityHolding(symbol, 0) for symbol in symbols]

    def __getitem__(self, symbol: Symbol) -> SecurityHolding:
        holding = self.standin_lean.account.holdings.get(symbol) or SecurityHolding(symbol, 0)
        security = self.standin_lean.securities.get(symbol)
        holding.price = security.price if security is not None else 0.0
        return holding

    @property
    def cash(self) -> float:
        return self.standin_lean.account.cash

    @property
    def total_portfolio_value(self) -> float:
        return self.standin_lean.standin_portfolio_value()

    @property
    def total_margin_used(self) -> float:
        return self.standin_lean.standin_margin_used




class SecurityTransactionManager:
    """Open order tickets of the fake brokerage."""

    def __init__(self, standin_lean: Any) -> None:
        self.standin_lean = standin_lean

    def get_order_by_id(self, order_id: int) -> Order:
        group = self.standin_lean.tickets[order_id].standin_group
        return Order(GroupOrderManager({t.order_id for t in group}) if len(group) > 1 else None)

    def get_open_order_tickets(self, filter: Callable[[OrderTicket], bool] | None = None) -> list[OrderTicket]:
        return [t for t in self.standin_lean.tickets.values()
                if t.status in (OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_FILLED) and (filter is None or filter(t))]
















# The stub class each fake stands for (test_matches_stubs.py).
STUB_CLASSES: dict[type, str] = {
    Resolution: "QuantConnect.Resolution", DataNormalizationMode: "QuantConnect.DataNormalizationMode",
    DataMappingMode: "QuantConnect.DataMappingMode", BrokerageName: "QuantConnect.Brokerages.BrokerageName",
    AccountType: "QuantConnect.AccountType", OrderStatus: "QuantConnect.Orders.OrderStatus",
    OptionRight: "QuantConnect.OptionRight", SecurityType: "QuantConnect.SecurityType",
    DayOfWeek: "System.DayOfWeek", TimeZones: "QuantConnect.TimeZones", TimeInForce: "QuantConnect.Orders.TimeInForce",
    OrderProperties: "QuantConnect.Orders.OrderProperties",
    SecurityIdentifier: "QuantConnect.SecurityIdentifier", Symbol: "QuantConnect.Symbol",
    BaseData: "QuantConnect.Data.BaseData", TradeBar: "QuantConnect.Data.Market.TradeBar",
    DataDictionary: "QuantConnect.Data.Market.DataDictionary", TradeBars: "QuantConnect.Data.Market.TradeBars",
    OptionChains: "QuantConnect.Data.Market.OptionChains", Greeks: "QuantConnect.Data.Market.Greeks",
    OptionContract: "QuantConnect.Data.Market.OptionContract", OptionChain: "QuantConnect.Data.Market.OptionChain",
    Slice: "QuantConnect.Data.Slice", OptionUniverse: "QuantConnect.Data.UniverseSelection.OptionUniverse",
    OptionFilterUniverse: "QuantConnect.Securities.OptionFilterUniverse",
    CashAmount: "QuantConnect.Securities.CashAmount", OrderFee: "QuantConnect.Orders.Fees.OrderFee",
    OrderEvent: "QuantConnect.Orders.OrderEvent", OrderResponse: "QuantConnect.Orders.OrderResponse",
    UpdateOrderFields: "QuantConnect.Orders.UpdateOrderFields",
    SubmitOrderRequest: "QuantConnect.Orders.SubmitOrderRequest", Leg: "QuantConnect.Orders.Leg",
    OrderTicket: "QuantConnect.Orders.OrderTicket", Security: "QuantConnect.Securities.Security",
    SecurityExchange: "QuantConnect.Securities.SecurityExchange",
    GroupOrderManager: "QuantConnect.Orders.GroupOrderManager", Order: "QuantConnect.Orders.Order",
    Equity: "QuantConnect.Securities.Equity.Equity", Index: "QuantConnect.Securities.Index.Index",
    Option: "QuantConnect.Securities.Option.Option", IndexOption: "QuantConnect.Securities.IndexOption.IndexOption",
    Future: "QuantConnect.Securities.Future.Future", SecurityManager: "QuantConnect.Securities.SecurityManager",
    SecurityHolding: "QuantConnect.Securities.SecurityHolding",
    SecurityPortfolioManager: "QuantConnect.Securities.SecurityPortfolioManager",
    ObjectStore: "QuantConnect.Storage.ObjectStore",
    SecurityTransactionManager: "QuantConnect.Securities.SecurityTransactionManager", DateRules: "QuantConnect.Scheduling.DateRules",
    TimeRules: "QuantConnect.Scheduling.TimeRules", ScheduleManager: "QuantConnect.Scheduling.ScheduleManager",
    NotificationManager: "QuantConnect.Notifications.NotificationManager",
    InterestRateProvider: "QuantConnect.Data.InterestRateProvider",
    TypedHistory: "QuantConnect.Algorithm._Typed_QCAlgorithm_History",
    History: "QuantConnect.Algorithm._QCAlgorithm_History",
}  # scripted_algorithm.py adds its QCAlgorithm


def order_event(order_id: int, symbol: Symbol, utc_time: datetime, status: OrderStatus, fill_price: float = 0.0,
                fill_quantity: float = 0.0, fee: float = 0.0, message: str = "", is_assignment: bool = False,
                is_in_the_money: bool = False) -> OrderEvent:
    """An OrderEvent as a scripted test writes it: the direction follows the fill's sign (Hold when
    nothing filled), the fee is in USD, and the assignment flags LEAN sets on option exercise events."""
    direction = OrderDirection.BUY if fill_quantity > 0 else OrderDirection.SELL if fill_quantity < 0 else OrderDirection.HOLD
    event = OrderEvent(order_id, symbol, utc_time, status, direction, fill_price, fill_quantity, OrderFee(CashAmount(fee)),
                       message)
    event.is_assignment, event.is_in_the_money = is_assignment, is_in_the_money
    return event
