"""LEAN's Python object model as the algorithm sees it (names and values from quantconnect-stubs;
behaviour from LEAN's source, cited where it matters). The engine behind it is `engine.py`, seen
through the EnginePort protocol (this module does not import the engine).

Members only the stand-in uses start with `standin_`; every other public name is checked against
the stubs by test_matches_stubs.py.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Protocol

import numpy as np

from greeks.pricing import bsm_greeks, implied_volatility

# LEAN's enums and plain value types, shared by the scripted stand-in and the engine (re-exported here)
from tests.lean_standin.lean_types import (  # noqa: F401
    AccountType,
    ArgumentException,
    Bar,
    BaseData,
    BrokerageName,
    CashAmount,
    DataDictionary,
    DataMappingMode,
    DataNormalizationMode,
    DateRule,
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
    QuoteBar,
    QuoteBars,
    Resolution,
    ScheduledEvent,
    ScheduleManager,
    SecurityIdentifier,
    SecurityManager,
    SecurityType,
    Slice,
    SubmitOrderRequest,
    Symbol,
    TimeInForce,
    TimeRule,
    TimeRules,
    TimeZones,
    TradeBar,
    TradeBars,
    TypedHistory,
    UpdateOrderFields,
)
from tests.lean_standin.market_hours import MarketHoursEntry, is_date_open, market_close


class EnginePort(Protocol):
    """What the object model asks of the engine behind it (engine.Engine is the one)."""

    cash: float
    securities: SecurityManager
    tickets: dict[int, OrderTicket]

    def local_time(self, entry: MarketHoursEntry) -> datetime: ...

    @property
    def utc_time(self) -> datetime: ...

    def margin_used(self) -> float: ...

    def update_order(self, ticket: OrderTicket, fields: UpdateOrderFields) -> OrderResponse: ...

    def cancel_order(self, ticket: OrderTicket) -> OrderResponse: ...


# --- enums (values as in the stubs) ------------------------------------------------------------











# --- symbols ---------------------------------------------------------------------------------





def option_symbol(underlying: Symbol, root: str, expiry: date, strike: float, right: OptionRight) -> Symbol:
    """An option contract's Symbol, its value in OSI form as LEAN writes it (`SPY   240802C00540000`)."""
    kind = SecurityType.INDEX_OPTION if underlying.security_type == SecurityType.INDEX else SecurityType.OPTION
    identifier = SecurityIdentifier(root, kind, "usa", datetime.combine(expiry, datetime.min.time()), strike, right)
    letter = "C" if right == OptionRight.CALL else "P"
    return Symbol(f"{root:<6}{expiry:%y%m%d}{letter}{round(strike * 1000):08d}", identifier, underlying)


# --- data ------------------------------------------------------------------------------------

















class OptionContract:
    """One row of a chain. Implied volatility and Greeks are a lazy price-model evaluation done on
    first access (`Lean:Common/Data/Market/OptionContract.cs:60,65,234-263`), zero while the
    contract or its underlying has no price (`OptionPriceModelResult.None`). The stand-in's
    model is Black-Scholes with the stand-in's rate and dividend yield (LEAN's default is a
    QuantLib model from `QLOptionPriceModelProvider`, `Lean:Common/Securities/Option/Option.cs:183`:
    the numbers differ, the laziness and the zeros are LEAN's). For speed, the first access in a
    `ModelBatch` (one expiry of one chain and minute) evaluates every member in one vectorized
    call; the values are those of one-by-one evaluation."""

    def __init__(self, symbol: Symbol, quote: Callable[[], QuoteBar | None], underlying: BaseData | None,
                 batch: ModelBatch) -> None:
        self.symbol = symbol
        self.strike = symbol.id.strike_price
        self.expiry = symbol.id.date
        self.right = symbol.id.option_right
        self._quote_source = quote
        self.underlying_last_price = underlying.price if underlying is not None else 0.0
        self._batch = batch
        batch.members.append(self)
        self.standin_model: tuple[float, Greeks] | None = None

    @property
    def bid_price(self) -> float:
        quote = self._quote_source()
        return quote.bid.close if quote is not None else 0.0

    @property
    def ask_price(self) -> float:
        quote = self._quote_source()
        return quote.ask.close if quote is not None else 0.0

    def _evaluate(self) -> tuple[float, Greeks]:
        if self.standin_model is None:
            self._batch.evaluate()
        assert self.standin_model is not None
        return self.standin_model

    @property
    def implied_volatility(self) -> float:
        return self._evaluate()[0]

    @property
    def greeks(self) -> Greeks:
        return self._evaluate()[1]


class ModelBatch:
    """The contracts of one expiry in one chain at one time, evaluated together on first access."""

    def __init__(self, now: datetime, expiry: date, rate: float, dividend_yield: float) -> None:
        self.members: list[OptionContract] = []
        self.years = (market_close(expiry) - now).total_seconds() / (365.0 * 86400)
        self.rate, self.dividend_yield = rate, dividend_yield
        self.evaluations = 0

    def evaluate(self) -> None:
        self.evaluations += 1
        members = self.members
        for contract in members:
            contract.standin_model = (0.0, Greeks())
        bid = np.array([c.bid_price for c in members])
        ask = np.array([c.ask_price for c in members])
        spot = np.array([c.underlying_last_price for c in members])
        priced = (bid > 0) & (ask >= bid) & (spot > 0)
        if self.years <= 0 or not priced.any():
            return
        chosen = [c for c, ok in zip(members, priced, strict=True) if ok]
        rights = np.array(["call" if c.right == OptionRight.CALL else "put" for c in chosen])
        strikes = np.array([c.strike for c in chosen])
        mid, under = (bid[priced] + ask[priced]) / 2, spot[priced]
        sigma = np.asarray(implied_volatility(mid, rights, under, strikes, self.years, self.rate,
                                              self.dividend_yield, "bsm"), dtype=float)
        solved = np.isfinite(sigma) & (sigma > 0)
        g = bsm_greeks(rights, under, strikes, self.years, self.rate, self.dividend_yield, np.where(solved, sigma, 0.2))
        for i, contract in enumerate(chosen):
            if solved[i]:
                contract.standin_model = (float(sigma[i]), Greeks(*(float(np.asarray(g[k])[i]) for k in
                                                                   ("delta", "gamma", "vega", "theta", "rho"))))










# --- securities ------------------------------------------------------------------------------

class DateTimeZone:
    """NodaTime's zone as Python sees it: `.id` and `str()` give the tz database name."""

    def __init__(self, name: str) -> None:
        self.id = name

    def __str__(self) -> str:
        return self.id


class SecurityExchangeHours:
    def __init__(self, entry: MarketHoursEntry) -> None:
        self.time_zone = DateTimeZone(entry.exchange_time_zone)
        self._entry = entry

    def is_date_open(self, local_date_time: datetime, extended_market_hours: bool = False) -> bool:
        return is_date_open(local_date_time.date())

    def is_open(self, local_date_time: datetime, extended_market_hours: bool) -> bool:
        """Inside the regular "market" segment (exchange time)."""
        day = local_date_time.date()
        if not is_date_open(day):
            return False
        entry = self._entry
        opening = datetime.combine(day, entry.market_open)
        closing = datetime.combine(day, entry.market_close) - (datetime.combine(day, time(16, 0)) - market_close(day))
        return opening <= local_date_time < closing

    def get_next_trading_day(self, date: datetime) -> datetime:
        day = date.date() + timedelta(days=1)
        while not is_date_open(day):
            day += timedelta(days=1)
        return datetime.combine(day, datetime.min.time())


class SecurityExchange:
    def __init__(self, entry: MarketHoursEntry, local_time: Callable[[], datetime]) -> None:
        self.hours = SecurityExchangeHours(entry)
        self.time_zone = self.hours.time_zone
        self._local_time = local_time

    def date_is_open(self, date_to_check: datetime) -> bool:
        return is_date_open(date_to_check.date())

    @property
    def exchange_open(self) -> bool:
        return self.hours.is_open(self._local_time(), False)


class SecurityHolding:
    def __init__(self, security: Security) -> None:
        self._security = security
        self.symbol = security.symbol
        self.quantity = 0
        self.average_price = 0.0
        self.leverage = 2.0 if security.symbol.security_type == SecurityType.EQUITY else 1.0

    @property
    def price(self) -> float:
        return self._security.price

    @property
    def holdings_value(self) -> float:
        if self.quantity == 0:
            return 0.0  # the same number without reading a price (the stand-in prices contracts lazily)
        return self.quantity * self._security.price * self._security.standin_multiplier

    @property
    def invested(self) -> bool:
        return self.quantity != 0

    @property
    def is_short(self) -> bool:
        return self.quantity < 0

    @property
    def is_long(self) -> bool:
        return self.quantity > 0


class Security:
    def __init__(self, symbol: Symbol, entry: MarketHoursEntry, engine: EnginePort, multiplier: float = 1.0) -> None:
        self.symbol = symbol
        self.exchange = SecurityExchange(entry, lambda: engine.local_time(entry))
        self.standin_entry = entry
        self.standin_multiplier = multiplier
        self._engine = engine
        self.price = self.open = self.high = self.low = self.close = 0.0
        self.bid_price = self.ask_price = 0.0
        self.volume = 0.0
        self.is_tradable = True
        self.is_delisted = False
        self._last: BaseData | None = None
        self.holdings = SecurityHolding(self)

    @property
    def has_data(self) -> bool:
        return self._last is not None

    @property
    def local_time(self) -> datetime:
        return self._engine.local_time(self.standin_entry)

    def get_last_data(self) -> BaseData | None:
        return self._last

    def standin_update(self, data: BaseData) -> None:
        """`Security.Update` from a slice (`Lean:Engine/AlgorithmManager.cs:269`)."""
        self._last = data
        if isinstance(data, TradeBar):
            self.open, self.high, self.low, self.close, self.volume = data.open, data.high, data.low, data.close, data.volume
            self.price = data.close
        elif isinstance(data, QuoteBar):
            self.bid_price, self.ask_price = data.bid.close, data.ask.close
            self.price = data.close


class Equity(Security):
    pass


class Index(Security):
    pass


class Option(Security):
    def __init__(self, symbol: Symbol, entry: MarketHoursEntry, engine: EnginePort, multiplier: float = 100.0) -> None:
        super().__init__(symbol, entry, engine, multiplier)
        self.standin_filter: Callable[[OptionFilterUniverse], OptionFilterUniverse] | None = None
        self.underlying: Security | None = None

    def set_filter(self, universe_func: Callable[[OptionFilterUniverse], OptionFilterUniverse]) -> None:
        self.standin_filter = universe_func


class IndexOption(Option):
    pass


class Future(Security):
    def set_filter(self, min_expiry_days: int, max_expiry_days: int) -> None:
        self.standin_expiry_days = (min_expiry_days, max_expiry_days)




class SecurityPortfolioManager:
    """`Values` holds one holding per security, held or not
    (`Lean:Common/Securities/SecurityPortfolioManager.cs:254,272-277`)."""

    def __init__(self, engine: EnginePort) -> None:
        self._engine = engine

    def values(self) -> list[SecurityHolding]:
        return [security.holdings for security in self._engine.securities.values()]

    def __getitem__(self, symbol: Symbol) -> SecurityHolding:
        return self._engine.securities[symbol].holdings

    @property
    def cash(self) -> float:
        return self._engine.cash

    @property
    def total_portfolio_value(self) -> float:
        return self._engine.cash + sum(h.holdings_value for h in self.values())

    @property
    def total_margin_used(self) -> float:
        return self._engine.margin_used()

    @property
    def margin_remaining(self) -> float:
        return self.total_portfolio_value - self.total_margin_used

    @property
    def invested(self) -> bool:
        return any(h.invested for h in self.values())


# --- orders ----------------------------------------------------------------------------------









INVALID_ORDER_ID = -10  # OrderResponseErrorCode.UnableToFindOrder, the id of a ticket refused before submission


class OrderTicket:
    """A leg's ticket. Refused by the pre-order checks it has id -10 and status Invalid, and no
    order exists (`Lean:Common/Orders/OrderTicket.cs:648-652`)."""

    def __init__(self, engine: EnginePort, order_id: int, symbol: Symbol, quantity: int, tag: str,
                 status: OrderStatus = OrderStatus.NEW, error: str = "") -> None:
        self._engine = engine
        self.order_id, self.symbol, self.quantity, self.tag = order_id, symbol, quantity, tag
        self.status = status
        self.quantity_filled = 0
        self.average_fill_price = 0.0
        self.standin_error = error
        self.time = engine.utc_time
        self.submit_request = SubmitOrderRequest(order_id, tag, OrderResponse(order_id, not error, error))

    def get_most_recent_order_response(self) -> OrderResponse:
        return self.submit_request.response

    @property
    def order_closed(self) -> bool:
        return self.status in (OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.INVALID)

    def update(self, fields: UpdateOrderFields) -> OrderResponse:
        return self._engine.update_order(self, fields)

    def cancel(self, tag: str | None = None) -> OrderResponse:
        return self._engine.cancel_order(self)

    def __repr__(self) -> str:
        return f"OrderTicket({self.order_id} {self.symbol.value} {self.quantity} {self.status.name})"


class SecurityTransactionManager:
    def __init__(self, engine: EnginePort) -> None:
        self._engine = engine

    def get_open_order_tickets(self, filter: Callable[[OrderTicket], bool] | None = None) -> list[OrderTicket]:
        return [t for t in self._engine.tickets.values() if t.status in (OrderStatus.SUBMITTED,
                OrderStatus.PARTIALLY_FILLED, OrderStatus.UPDATE_SUBMITTED) and (filter is None or filter(t))]


# --- object store ----------------------------------------------------------------------------





# --- scheduling, notifications, history -------------------------------------------------------





















