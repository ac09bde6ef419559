"""The stand-in QCAlgorithm base and the `AlgorithmImports` module built from it.

`install()` puts the module into sys.modules; import main.py only after it, in a process of its
own (the adapter tests install their fakes under the same module name): `replay.py` runs as a
subprocess for that reason.
"""
from __future__ import annotations

import sys
import types
from datetime import date, timedelta
from typing import Any

from tests.lean_standin import api
from tests.lean_standin.engine import Engine


class QCAlgorithm:
    """The members of LEAN's QCAlgorithm that main.py and the adapter use, served by the engine."""

    standin_engine: Engine

    time = property(lambda self: self.standin_engine.time)
    utc_time = property(lambda self: self.standin_engine.utc_time)
    live_mode = property(lambda self: self.standin_engine.live_mode)
    is_warming_up = property(lambda self: self.standin_engine.warming_up)
    algorithm_id = property(lambda self: self.standin_engine.algorithm_id)
    project_id = property(lambda self: self.standin_engine.project_id)
    current_slice = property(lambda self: self.standin_engine.current_slice)
    portfolio = property(lambda self: api.SecurityPortfolioManager(self.standin_engine))
    securities = property(lambda self: self.standin_engine.securities)
    transactions = property(lambda self: api.SecurityTransactionManager(self.standin_engine))
    default_order_properties = property(lambda self: self.standin_engine.order_properties)
    object_store = property(lambda self: self.standin_engine.store)
    schedule = property(lambda self: self.standin_engine.schedule)
    date_rules = property(lambda self: api.DateRules())
    time_rules = property(lambda self: api.TimeRules())
    notify = property(lambda self: self.standin_engine.notify)
    history = property(lambda self: api.History(self.standin_engine.daily_history))
    risk_free_interest_rate_model = property(lambda self: api.InterestRateProvider(self.standin_engine.rate_of))

    # settings
    def set_start_date(self, start: date) -> None:
        self.standin_engine.settings["start"] = start

    def set_end_date(self, end: date) -> None:
        self.standin_engine.settings["end"] = end

    def set_cash(self, starting_cash: float) -> None:
        self.standin_engine.settings["cash"] = starting_cash

    def set_time_zone(self, time_zone: str) -> None:
        if time_zone != api.TimeZones.NEW_YORK:
            raise ValueError("the stand-in runs the algorithm in New York time only")
        self.standin_engine.settings["time_zone"] = time_zone

    def set_brokerage_model(self, brokerage: api.BrokerageName, account_type: api.AccountType = api.AccountType.MARGIN
                            ) -> None:
        self.standin_engine.settings["brokerage"] = (brokerage, account_type)

    def set_warm_up(self, time_span: timedelta, resolution: api.Resolution) -> None:
        self.standin_engine.settings["warm_up"] = (time_span, resolution)

    def get_parameter(self, name: str, default_value: str | None = None) -> str | None:
        return self.standin_engine.parameters.get(name, default_value)

    # subscriptions
    def add_equity(self, ticker: str, resolution: api.Resolution | None = None, market: str | None = None,
                   fill_forward: bool = True, leverage: float = 0.0, extended_market_hours: bool = False,
                   data_normalization_mode: api.DataNormalizationMode | None = None) -> api.Equity:
        return self.standin_engine.add_equity(ticker)

    def add_index(self, ticker: str, resolution: api.Resolution | None = None, market: str | None = None,
                  fill_forward: bool = True) -> api.Index:
        return self.standin_engine.add_index(ticker)

    def add_option(self, underlying: api.Symbol, resolution: api.Resolution | None = None, market: str | None = None,
                   fill_forward: bool = True, leverage: float = 0.0) -> api.Option:
        return self.standin_engine.add_option(underlying)

    def add_index_option(self, symbol: api.Symbol, target_option: str, resolution: api.Resolution | None = None,
                         fill_forward: bool = True) -> api.IndexOption:
        return self.standin_engine.add_option(symbol, target_option)  # type: ignore[return-value]

    def add_future(self, ticker: str, resolution: api.Resolution | None = None, market: str | None = None,
                   fill_forward: bool | None = None, leverage: float = 0.0, extended_market_hours: bool | None = None,
                   data_mapping_mode: api.DataMappingMode | None = None,
                   data_normalization_mode: api.DataNormalizationMode | None = None,
                   contract_depth_offset: int = 0) -> api.Future:
        return self.standin_engine.add_future(ticker)

    def add_future_option(self, symbol: api.Symbol, option_filter: Any = None) -> None:
        self.standin_engine.add_future_option(symbol, option_filter)

    def is_market_open(self, symbol: api.Symbol) -> bool:
        return self.standin_engine.securities[symbol].exchange.exchange_open

    # orders
    def combo_limit_order(self, legs: list[api.Leg], quantity: int, limit_price: float, asynchronous: bool = False,
                          tag: str = "", order_properties: Any = None) -> list[api.OrderTicket]:
        return self.standin_engine.combo_limit_order(legs, quantity, limit_price, tag)

    def limit_order(self, symbol: api.Symbol, quantity: int, limit_price: float, asynchronous: bool = False,
                    tag: str = "", order_properties: Any = None) -> api.OrderTicket:
        return self.standin_engine.limit_order(symbol, int(quantity), limit_price, tag)

    # handlers LEAN calls when the algorithm does not define them
    def on_data(self, slice: api.Slice) -> None:
        pass

    def on_order_event(self, order_event: api.OrderEvent) -> None:
        pass

    def on_assignment_order_event(self, assignment_event: api.OrderEvent) -> None:
        pass

    def on_end_of_algorithm(self) -> None:
        pass

    # output
    def plot(self, chart: str, series: str, value: float) -> None:
        self.standin_engine.plots.append((chart, series, value))

    def set_runtime_statistic(self, name: str, value: str) -> None:
        self.standin_engine.statistics[name] = value

    def log(self, message: str) -> None:
        self.standin_engine.log(message)

    def debug(self, message: str) -> None:
        self.standin_engine.log(message)

    def error(self, message: str) -> None:
        self.standin_engine.log("ERROR " + message)


# Every name the module exports, with the stub class it stands for (test_matches_stubs.py).
EXPORTED: dict[str, tuple[Any, str]] = {
    "QCAlgorithm": (QCAlgorithm, "QuantConnect.Algorithm.QCAlgorithm"),
    "Resolution": (api.Resolution, "QuantConnect.Resolution"),
    "DataNormalizationMode": (api.DataNormalizationMode, "QuantConnect.DataNormalizationMode"),
    "DataMappingMode": (api.DataMappingMode, "QuantConnect.DataMappingMode"),
    "BrokerageName": (api.BrokerageName, "QuantConnect.Brokerages.BrokerageName"),
    "AccountType": (api.AccountType, "QuantConnect.AccountType"),
    "OrderStatus": (api.OrderStatus, "QuantConnect.Orders.OrderStatus"),
    "OrderDirection": (api.OrderDirection, "QuantConnect.Orders.OrderDirection"),
    "OptionRight": (api.OptionRight, "QuantConnect.OptionRight"),
    "SecurityType": (api.SecurityType, "QuantConnect.SecurityType"),
    "DayOfWeek": (api.DayOfWeek, "System.DayOfWeek"),
    "TimeZones": (api.TimeZones, "QuantConnect.TimeZones"),
    "TimeInForce": (api.TimeInForce, "QuantConnect.Orders.TimeInForce"),
    "OrderProperties": (api.OrderProperties, "QuantConnect.Orders.OrderProperties"),
    "SecurityIdentifier": (api.SecurityIdentifier, "QuantConnect.SecurityIdentifier"),
    "Symbol": (api.Symbol, "QuantConnect.Symbol"),
    "BaseData": (api.BaseData, "QuantConnect.Data.BaseData"),
    "TradeBar": (api.TradeBar, "QuantConnect.Data.Market.TradeBar"),
    "QuoteBar": (api.QuoteBar, "QuantConnect.Data.Market.QuoteBar"),
    "Bar": (api.Bar, "QuantConnect.Data.Market.Bar"),
    "TradeBars": (api.TradeBars, "QuantConnect.Data.Market.TradeBars"),
    "QuoteBars": (api.QuoteBars, "QuantConnect.Data.Market.QuoteBars"),
    "OptionChains": (api.OptionChains, "QuantConnect.Data.Market.OptionChains"),
    "Greeks": (api.Greeks, "QuantConnect.Data.Market.Greeks"),
    "OptionContract": (api.OptionContract, "QuantConnect.Data.Market.OptionContract"),
    "OptionChain": (api.OptionChain, "QuantConnect.Data.Market.OptionChain"),
    "Slice": (api.Slice, "QuantConnect.Data.Slice"),
    "OptionUniverse": (api.OptionUniverse, "QuantConnect.Data.UniverseSelection.OptionUniverse"),
    "OptionFilterUniverse": (api.OptionFilterUniverse, "QuantConnect.Securities.OptionFilterUniverse"),
    "CashAmount": (api.CashAmount, "QuantConnect.Securities.CashAmount"),
    "OrderFee": (api.OrderFee, "QuantConnect.Orders.Fees.OrderFee"),
    "OrderEvent": (api.OrderEvent, "QuantConnect.Orders.OrderEvent"),
    "OrderResponse": (api.OrderResponse, "QuantConnect.Orders.OrderResponse"),
    "SubmitOrderRequest": (api.SubmitOrderRequest, "QuantConnect.Orders.SubmitOrderRequest"),
    "UpdateOrderFields": (api.UpdateOrderFields, "QuantConnect.Orders.UpdateOrderFields"),
    "Leg": (api.Leg, "QuantConnect.Orders.Leg"),
    "OrderTicket": (api.OrderTicket, "QuantConnect.Orders.OrderTicket"),
    "Security": (api.Security, "QuantConnect.Securities.Security"),
    "SecurityExchange": (api.SecurityExchange, "QuantConnect.Securities.SecurityExchange"),
    "SecurityExchangeHours": (api.SecurityExchangeHours, "QuantConnect.Securities.SecurityExchangeHours"),
    "Equity": (api.Equity, "QuantConnect.Securities.Equity.Equity"),
    "Option": (api.Option, "QuantConnect.Securities.Option.Option"),
    "IndexOption": (api.IndexOption, "QuantConnect.Securities.IndexOption.IndexOption"),
    "Future": (api.Future, "QuantConnect.Securities.Future.Future"),
    "SecurityManager": (api.SecurityManager, "QuantConnect.Securities.SecurityManager"),
    "SecurityHolding": (api.SecurityHolding, "QuantConnect.Securities.SecurityHolding"),
    "SecurityPortfolioManager": (api.SecurityPortfolioManager, "QuantConnect.Securities.SecurityPortfolioManager"),
    "ObjectStore": (api.ObjectStore, "QuantConnect.Storage.ObjectStore"),
    "SecurityTransactionManager": (api.SecurityTransactionManager,
                                   "QuantConnect.Securities.SecurityTransactionManager"),
    "DateRules": (api.DateRules, "QuantConnect.Scheduling.DateRules"),
    "TimeRules": (api.TimeRules, "QuantConnect.Scheduling.TimeRules"),
    "ScheduleManager": (api.ScheduleManager, "QuantConnect.Scheduling.ScheduleManager"),
    "ScheduledEvent": (api.ScheduledEvent, "QuantConnect.Scheduling.ScheduledEvent"),
    "NotificationManager": (api.NotificationManager, "QuantConnect.Notifications.NotificationManager"),
    "InterestRateProvider": (api.InterestRateProvider, "QuantConnect.Data.InterestRateProvider"),
}


def install() -> types.ModuleType:
    """Put the stand-in `AlgorithmImports` into sys.modules and return it.

    Raises:
        RuntimeError: another AlgorithmImports (the adapter tests' fakes) is already installed.
    """
    module = sys.modules.get("AlgorithmImports")
    if module is not None:
        if getattr(module, "STANDIN", False):
            return module
        raise RuntimeError("another AlgorithmImports is installed in this process; run the stand-in in its own")
    module = types.ModuleType("AlgorithmImports")
    for name, (value, _) in EXPORTED.items():
        setattr(module, name, value)
    module.__all__ = list(EXPORTED)  # type: ignore[attr-defined]
    module.STANDIN = True  # type: ignore[attr-defined]
    sys.modules["AlgorithmImports"] = module
    return module
