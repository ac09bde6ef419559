"""LEAN's enums and plain value types (names and values from quantconnect-stubs; behaviour from
LEAN's source, cited where it matters), shared by both parts of the LEAN stand-in: the scripted
one the adapter tests drive (scripted.py, scripted_algorithm.py) and the engine the replay runs
(api.py, engine.py). Members only the stand-in uses start with `standin_`."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from enum import IntEnum
from typing import Any

from tests.lean_standin import rules
from tests.lean_standin.market_hours import is_date_open, market_close


class Resolution(IntEnum):
    TICK, SECOND, MINUTE, HOUR, DAILY = range(5)


class DataNormalizationMode(IntEnum):
    RAW, ADJUSTED, SPLIT_ADJUSTED, TOTAL_RETURN, FORWARD_PANAMA_CANAL, BACKWARDS_PANAMA_CANAL = range(6)


class DataMappingMode(IntEnum):
    LAST_TRADING_DAY, FIRST_DAY_MONTH, OPEN_INTEREST, OPEN_INTEREST_ANNUAL = range(4)


class BrokerageName(IntEnum):
    DEFAULT = 0
    TASTYTRADE = 36  # LEAN Common/Brokerages/BrokerageName.cs:190 (GDAX = 12 at :70, then one apiece; older stubs say 32)


class AccountType(IntEnum):
    MARGIN, CASH = range(2)


class OrderStatus(IntEnum):
    NEW, SUBMITTED, PARTIALLY_FILLED, FILLED = range(4)
    CANCELED, NONE, INVALID, CANCEL_PENDING, UPDATE_SUBMITTED = range(5, 10)


class OrderDirection(IntEnum):
    BUY, SELL, HOLD = range(3)


class OptionRight(IntEnum):
    CALL, PUT = range(2)


class SecurityType(IntEnum):
    BASE, EQUITY, OPTION, COMMODITY, FOREX, FUTURE, CFD, CRYPTO, FUTURE_OPTION, INDEX, INDEX_OPTION = range(11)


class DayOfWeek(IntEnum):
    SUNDAY, MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY = range(7)


class TimeZones:
    NEW_YORK = "America/New_York"
    CHICAGO = "America/Chicago"
    UTC = "UTC"


class TimeInForce:
    DAY = "day"
    GOOD_TIL_CANCELED = "gtc"


class OrderProperties:
    def __init__(self) -> None:
        self.time_in_force: Any = TimeInForce.GOOD_TIL_CANCELED


class SecurityIdentifier:
    def __init__(self, symbol: str, security_type: SecurityType, market: str, date: datetime | None = None,
                 strike_price: float = 0.0, option_right: OptionRight = OptionRight.CALL) -> None:
        self.symbol, self.security_type, self.market = symbol, security_type, market
        self.date = date or datetime(2050, 12, 31)
        self.strike_price, self.option_right = strike_price, option_right


class Symbol:
    """Equal by identity of the instrument (type, market, ticker, expiry, strike, right)."""

    def __init__(self, value: str, identifier: SecurityIdentifier, underlying: Symbol | None = None,
                 canonical: bool = False) -> None:
        self.value = value
        self.id = identifier
        self.security_type = identifier.security_type
        self.underlying = underlying
        self.has_underlying = underlying is not None
        self._canonical = canonical
        self._key = (identifier.security_type, identifier.market, identifier.symbol, identifier.date,
                     identifier.strike_price, identifier.option_right, canonical,
                     underlying._key if underlying is not None else None)

    def is_canonical(self) -> bool:
        return self._canonical

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Symbol) and other._key == self._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"Symbol({self.value})"


class BaseData:
    def __init__(self, symbol: Symbol | None, time: datetime, end_time: datetime, value: float) -> None:
        self.symbol, self.time, self.end_time = symbol, time, end_time
        self.value = self.price = value


class TradeBar(BaseData):
    def __init__(self, symbol: Symbol, time: datetime, end_time: datetime, open: float, high: float, low: float,
                 close: float, volume: float = 0.0) -> None:
        super().__init__(symbol, time, end_time, close)
        self.open, self.high, self.low, self.close, self.volume = open, high, low, close, volume
        self.period = end_time - time


class Bar:
    def __init__(self, open: float, high: float, low: float, close: float) -> None:
        self.open, self.high, self.low, self.close = open, high, low, close


class QuoteBar(BaseData):
    def __init__(self, symbol: Symbol, time: datetime, end_time: datetime, bid: Bar, ask: Bar) -> None:
        super().__init__(symbol, time, end_time, (bid.close + ask.close) / 2)
        self.bid, self.ask = bid, ask
        self.close = self.value


class OptionUniverse(BaseData):
    """One contract of the daily option universe file (what a filter's `contracts` selector gets)."""


class DataDictionary:
    def __init__(self, items: dict[Symbol, Any] | None = None) -> None:
        self._items: dict[Symbol, Any] = dict(items or {})

    def get(self, key: Symbol) -> Any:
        return self._items.get(key)

    def items(self) -> list[tuple[Symbol, Any]]:
        return list(self._items.items())

    def values(self) -> list[Any]:
        return list(self._items.values())

    def keys(self) -> list[Symbol]:
        return list(self._items)

    def contains_key(self, key: Symbol) -> bool:
        return key in self._items

    def __getitem__(self, key: Symbol) -> Any:
        return self._items[key]

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[Symbol]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def count(self) -> int:
        return len(self._items)


class TradeBars(DataDictionary):
    pass


class QuoteBars(DataDictionary):
    pass


class OptionChains(DataDictionary):
    pass


class SecurityManager(DataDictionary):
    pass


class OptionChain:
    def __init__(self, canonical: Symbol, underlying: BaseData | None, contracts: list[Any]) -> None:
        # contracts: either stand-in's OptionContract (values given, or modelled by the engine)
        self.standin_canonical = canonical
        self.underlying = underlying
        self._contracts = contracts

    def __iter__(self) -> Iterator[Any]:
        return iter(self._contracts)

    def __len__(self) -> int:
        return len(self._contracts)


class Slice:
    def __init__(self, time: datetime, bars: TradeBars | None = None, quote_bars: QuoteBars | None = None,
                 option_chains: OptionChains | None = None) -> None:
        self.time = time
        self.bars = bars or TradeBars()
        self.quote_bars = quote_bars or QuoteBars()
        self.option_chains = option_chains or OptionChains()

    @property
    def has_data(self) -> bool:
        return bool(len(self.bars) or len(self.quote_bars) or len(self.option_chains))


class OptionFilterUniverse:
    """The filter's view of one selection: `local_time` is the selection time (the previous
    trading day's file end, `rules.universe_selection_time`); `expiration` counts days from the
    adjusted reference date (`rules.expiration_reference_date`)."""

    def __init__(self, rows: list[OptionUniverse], underlying: BaseData, local_time: datetime) -> None:
        self.underlying, self.local_time = underlying, local_time
        self._rows = list(rows)
        self.standin_weeklys = False

    def include_weeklys(self) -> OptionFilterUniverse:
        self.standin_weeklys = True  # recorded for the tests; LEAN includes weeklies by default
        return self  # (ContractSecurityFilterUniverse.cs:225-236)

    def expiration(self, min_expiry_days: int, max_expiry_days: int) -> OptionFilterUniverse:
        reference = rules.expiration_reference_date(self.local_time)
        self._rows = [r for r in self._rows if r.symbol is not None
                      and min_expiry_days <= (r.symbol.id.date.date() - reference).days <= max_expiry_days]
        return self

    def contracts(self, contracts: Any) -> OptionFilterUniverse:
        chosen = contracts(list(self._rows)) if callable(contracts) else contracts
        self._rows = [row if isinstance(row, OptionUniverse) else OptionUniverse(row, self.local_time,
                                                                                 self.local_time, 0.0)
                      for row in chosen]
        return self

    def __iter__(self) -> Iterator[OptionUniverse]:
        return iter(self._rows)

    def standin_symbols(self) -> list[Symbol]:
        return [row.symbol for row in self._rows if row.symbol is not None]


class Greeks:
    def __init__(self, delta: float = 0.0, gamma: float = 0.0, vega: float = 0.0, theta: float = 0.0,
                 rho: float = 0.0) -> None:
        self.delta, self.gamma, self.vega, self.theta, self.rho = delta, gamma, vega, theta, rho


class CashAmount:
    def __init__(self, amount: float, currency: str = "USD") -> None:
        self.amount, self.currency = amount, currency


class OrderFee:
    def __init__(self, value: CashAmount) -> None:
        self.value = value


class Leg:
    def __init__(self, symbol: Symbol, quantity: int, order_price: float | None) -> None:
        self.symbol, self.quantity, self.order_price = symbol, quantity, order_price

    @staticmethod
    def create(symbol: Symbol, quantity: int, limit_price: float | None = None) -> Leg:
        return Leg(symbol, quantity, limit_price)


class UpdateOrderFields:
    def __init__(self) -> None:
        self.limit_price: float | None = None
        self.quantity: float | None = None
        self.tag: str | None = None


class OrderEvent:
    def __init__(self, order_id: int, symbol: Symbol, utc_time: datetime, status: OrderStatus,
                 direction: OrderDirection, fill_price: float, fill_quantity: float, order_fee: OrderFee,
                 message: str = "") -> None:
        self.order_id, self.symbol, self.utc_time, self.status = order_id, symbol, utc_time, status
        self.direction, self.fill_price, self.fill_quantity = direction, fill_price, fill_quantity
        self.order_fee, self.message = order_fee, message
        self.is_assignment = self.is_in_the_money = False

    def __repr__(self) -> str:
        return (f"OrderEvent({self.order_id} {self.symbol.value} {self.status.name} {self.fill_quantity:g}"
                f"@{self.fill_price:g})")


class OrderResponse:
    def __init__(self, order_id: int, is_success: bool, error_message: str = "") -> None:
        self.order_id, self.is_success, self.error_message = order_id, is_success, error_message
        self.is_error = not is_success


class ArgumentException(ValueError):
    """System.ArgumentException as Python sees it."""


class ObjectStore:
    """LEAN's local object store rules: keys must match `rules.OBJECT_STORE_KEY`
    (else ArgumentException, `Lean:Engine/Storage/LocalObjectStore.cs:329-332`); a save over the
    size or file-count limit returns False (`:377-437`). Limits default to the project's
    lean.json (50 MB, 10,000 files; read by `Lean:Queues/JobQueue.cs:148-149`)."""

    def __init__(self, max_bytes: int = 50 * 1024 * 1024, max_files: int = 10_000) -> None:
        self.standin_data: dict[str, str] = {}
        self._limits = (max_bytes, max_files)

    def _check(self, path: str) -> None:
        if not rules.valid_object_store_key(path):
            raise ArgumentException(f"ObjectStore: invalid key {path!r}")

    def save(self, path: str, text: str) -> bool:
        self._check(path)
        sizes = {name: len(value.encode()) for name, value in self.standin_data.items()}
        if not rules.within_storage_limit(sizes, path, len(text.encode()), *self._limits):
            return False
        self.standin_data[path] = text
        return True

    def read(self, path: str) -> str:
        self._check(path)
        if path not in self.standin_data:
            raise KeyError(f"ObjectStore: no data for key {path!r}")
        return self.standin_data[path]

    def contains_key(self, path: str) -> bool:
        self._check(path)
        return path in self.standin_data

    def delete(self, path: str) -> bool:
        self._check(path)
        return self.standin_data.pop(path, None) is not None

    @property
    def keys(self) -> list[str]:
        return list(self.standin_data)


class NotificationManager:
    def __init__(self) -> None:
        self.standin_sent: list[tuple[str, str, str]] = []

    def email(self, address: str, subject: str, message: str, data: str = "", headers: Any = None) -> bool:
        self.standin_sent.append((address, subject, message))
        return True

    def telegram(self, id: str, message: str, token: str | None = None) -> bool:
        self.standin_sent.append((id, "", message))
        return True


class SubmitOrderRequest:
    """An order request: the one behind a ticket (with LEAN's response to it), or one LEAN
    proposes itself (margin calls)."""

    def __init__(self, order_id: int = 0, tag: str = "", response: OrderResponse | None = None) -> None:
        self.order_id, self.tag = order_id, tag
        self.response = response or OrderResponse(order_id, True)


class InterestRateProvider:
    """The risk-free rate of a date, from `rate` (the stand-in's choice of source)."""

    def __init__(self, rate: Callable[[date], float]) -> None:
        self._rate = rate

    def get_interest_rate(self, date: datetime) -> float:
        return self._rate(date.date())


class TypedHistory:
    """`self.history[TradeBar](symbol, periods, resolution)`: the last `periods` daily bars, from
    `history` (the stand-in's source of bars)."""

    def __init__(self, history: Callable[[Symbol, int], list[TradeBar]]) -> None:
        self._history = history

    def __call__(self, symbol: Symbol, periods: int, resolution: Resolution | None = None) -> list[TradeBar]:
        return self._history(symbol, periods)


class History:
    def __init__(self, history: Callable[[Symbol, int], list[TradeBar]]) -> None:
        self._history = history

    def __getitem__(self, type: type) -> TypedHistory:
        return TypedHistory(self._history)


class DateRule:
    def __init__(self, name: str, accepts: Callable[[date], bool]) -> None:
        self.name, self.standin_accepts = name, accepts


class TimeRule:
    def __init__(self, name: str, times: Callable[[date], list[datetime]]) -> None:
        self.name, self.standin_times = name, times


class DateRules:
    def every_day(self, symbol: Symbol) -> DateRule:
        """Every trading day of the symbol's exchange (`Lean:Common/Scheduling/DateRules.cs`)."""
        _us_equity_hours(symbol)
        return DateRule(f"EveryDay {symbol}", is_date_open)

    def every(self, *days: DayOfWeek) -> DateRule:
        """Every calendar day on those weekdays, holidays included (`DateRules.cs:108-112`)."""
        wanted = {int(d) for d in days}
        return DateRule(f"Every {sorted(wanted)}", lambda day: (day.isoweekday() % 7) in wanted)


def _us_equity_hours(symbol: Symbol | None) -> None:
    """The stand-in's date and market-time rules know the US equity session only (09:30-16:00
    New York, NYSE dates); LEAN follows each symbol's own exchange hours, so any other anchor is
    refused rather than answered with equity hours."""
    if symbol is not None and symbol.security_type != SecurityType.EQUITY:
        raise NotImplementedError(f"the stand-in schedules on US equity hours only, not {symbol}")


class TimeRules:
    """Times in the algorithm's zone (New York here): `at` and `every` are clock times; the
    market rules follow the symbol's regular session (`Lean:Common/Scheduling/TimeRules.cs`)."""

    def at(self, hour: int, minute: int, second: int = 0) -> TimeRule:
        return TimeRule(f"At {hour:02d}:{minute:02d}",
                        lambda day: [datetime.combine(day, datetime.min.time()).replace(hour=hour, minute=minute,
                                                                                         second=second)])

    def every(self, interval: timedelta) -> TimeRule:
        def times(day: date) -> list[datetime]:
            start = datetime.combine(day, datetime.min.time())
            steps = int(timedelta(days=1) / interval)
            return [start + i * interval for i in range(steps)]

        return TimeRule(f"Every {interval}", times)

    def after_market_open(self, symbol: Symbol, minutes_after_open: float = 0,
                          extended_market_open: bool = False) -> TimeRule:
        _us_equity_hours(symbol)

        def times(day: date) -> list[datetime]:
            if not is_date_open(day):
                return []
            return [datetime.combine(day, datetime.min.time()) + timedelta(hours=9, minutes=30 + minutes_after_open)]

        return TimeRule(f"AfterMarketOpen {symbol}", times)

    def after_market_close(self, symbol: Symbol, minutes_after_close: float = 0,
                           extended_market_close: bool = False) -> TimeRule:
        _us_equity_hours(symbol)

        def times(day: date) -> list[datetime]:
            if not is_date_open(day):
                return []
            return [market_close(day) + timedelta(minutes=minutes_after_close)]

        return TimeRule(f"AfterMarketClose {symbol}", times)


class ScheduledEvent:
    def __init__(self, date_rule: DateRule, time_rule: TimeRule, callback: Callable[[], None]) -> None:
        self.standin_date_rule, self.standin_time_rule, self.standin_callback = date_rule, time_rule, callback

    def standin_times(self, day: date) -> list[datetime]:
        return self.standin_time_rule.standin_times(day) if self.standin_date_rule.standin_accepts(day) else []


class ScheduleManager:
    def __init__(self) -> None:
        self.standin_events: list[ScheduledEvent] = []

    def on(self, date_rule: DateRule, time_rule: TimeRule, callback: Callable[[], None]) -> ScheduledEvent:
        event = ScheduledEvent(date_rule, time_rule, callback)
        self.standin_events.append(event)
        return event
