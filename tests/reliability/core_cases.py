"""Bad-input cases at the core boundary: what the trading core receives through its ports
(MarketView, broker events) and its configuration. See tests/reliability/catalogue.py.

Market inputs run two scenarios on tests/reliability/scripted_system.py (the real core and strategies on
a scripted Friday, SPY 530, VIX 24, on which the Friday 0DTE condor enters at 10:30):

- entry: the bad input from 10:25 to 10:40 covers the entry window: no opening order may go out,
  and exactly one journal record must name the problem (no crash);
- management: the condor is open and filled by 10:40; at 10:41 SPY falls to its stop while the
  bad input arrives. Inputs the exit needs (prices, quotes) hold the exit back with exactly one
  journal record until the data is good again (10:51); inputs it does not need (VIX, chain,
  Greeks) must not block it (closing orders are never blocked). Either way the position must be
  closed by 11:10: open positions stay managed.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import numpy as np

from config.loader import load_config
from core.types import (
    Contract,
    ContractKind,
    Leg,
    OrderEvent,
    OrderIntent,
    OrderStatus,
    Purpose,
    Quote,
    Verdict,
)
from offline.broker.faults import BrokerFaults
from offline.broker.fill_rules import BrokerSettings
from tests.reliability.case import CaseContext, CaseFailed, ReliabilityCase, expect
from tests.reliability.scripted_system import ScriptedSystem

STOP_SPY = 518.0  # SPY level at which the scripted condor (short put 526) is past its stop
Restore = Callable[[], None]


@dataclass(frozen=True)
class MarketInput:
    """A bad market input: `apply` sets it on a scripted system and returns a function that puts
    the good data back; `entry_record` and `manage_record` are patterns of the one journal message
    expected in each scenario (`manage_record` None: the exit must go out anyway)."""

    name: str
    description: str
    apply: Callable[[ScriptedSystem], Restore]
    entry_record: str
    manage_record: str | None


def _spy(value: float) -> Callable[[ScriptedSystem], Restore]:
    def apply(system: ScriptedSystem) -> Restore:
        good = system.state.prices["SPY"]
        system.state.prices["SPY"] = value
        return lambda: system.state.prices.__setitem__("SPY", good)
    return apply


def _vix_feed(value: float | None, age_minutes: int | None = None,
              future_minutes: int | None = None) -> Callable[[ScriptedSystem], Restore]:
    def apply(system: ScriptedSystem) -> Restore:
        good = system.view.feed_value
        system.view.feed_value = value
        if age_minutes is not None or future_minutes is not None:
            system.vix_follows_clock = False
            offset = -timedelta(minutes=age_minutes or 0) + timedelta(minutes=future_minutes or 0)
            system.view.feed_time = system.state.now + offset

        def restore() -> None:
            system.view.feed_value, system.vix_follows_clock = good, True
        return restore
    return apply


def _quotes(change: Callable[[Quote], Quote]) -> Callable[[ScriptedSystem], Restore]:
    def apply(system: ScriptedSystem) -> Restore:
        original = system.view.quote

        def bad(contract: Contract) -> Quote | None:
            quote = original(contract)
            return change(quote) if quote is not None and contract.kind == ContractKind.OPTION else quote
        system.view.quote = bad  # type: ignore[method-assign]
        return lambda: setattr(system.view, "quote", original)
    return apply


def _chains(change: Callable[[Any, date], Any]) -> Callable[[ScriptedSystem], Restore]:
    def apply(system: ScriptedSystem) -> Restore:
        original = system.view.chain

        def bad(root: str, min_dte: int, max_dte: int) -> Any:
            chain = original(root, min_dte, max_dte)
            return None if chain is None else change(chain, system.state.now.date())
        system.view.chain = bad  # type: ignore[method-assign]
        return lambda: setattr(system.view, "chain", original)
    return apply


NO_CHAIN = "no entry: no same-day expiry in the chain"
NO_VALUE = r"no valid quote for SPY .*cannot be valued"
MARKET_INPUTS = [
    MarketInput("SPY price NaN", "MarketView.price('SPY') = NaN", _spy(math.nan), NO_CHAIN, NO_VALUE),
    MarketInput("SPY price +inf", "MarketView.price('SPY') = inf", _spy(math.inf), NO_CHAIN, NO_VALUE),
    MarketInput("SPY price zero", "MarketView.price('SPY') = 0", _spy(0.0), NO_CHAIN, NO_VALUE),
    MarketInput("SPY price negative", "MarketView.price('SPY') = -5", _spy(-5.0), NO_CHAIN, NO_VALUE),
    MarketInput("VIX missing", "MarketView.vix() = None (feed stops)", _vix_feed(None), r"VIX unusable \(vix_stale\)",
                None),
    MarketInput("VIX NaN", "VIX reading NaN", _vix_feed(math.nan), r"VIX unusable \(vix_invalid\)", None),
    MarketInput("VIX out of range", "VIX reading 400 (valid 5..150)", _vix_feed(400.0),
                r"VIX unusable \(vix_invalid\)", None),
    MarketInput("VIX stale", "VIX reading 30 minutes old", _vix_feed(24.0, age_minutes=30),
                r"VIX unusable \(vix_stale\)", None),
    MarketInput("VIX time in the future", "VIX reading stamped 10 minutes ahead", _vix_feed(24.0, future_minutes=10),
                r"VIX unusable \(vix_time_in_future\)", None),
    MarketInput("crossed option quotes", "every option bid above its ask",
                _quotes(lambda q: Quote(q.ask + 0.05, q.bid)), "no entry: quotes missing for a leg", NO_VALUE),
    MarketInput("zero-width option quotes", "every option bid == ask", _quotes(lambda q: Quote(q.ask, q.ask)),
                r"open denied \(quote_invalid\): 0DTE", None),
    MarketInput("empty chain", "MarketView.chain() with no rows",
                _chains(lambda chain, today: chain.subset(np.zeros(len(chain), dtype=bool))), NO_CHAIN, None),
    MarketInput("chain without the needed expiry", "the same-day expiry missing from the chain",
                _chains(lambda chain, today: chain.subset(chain.expiries != np.datetime64(today, "D"))), NO_CHAIN,
                None),
    MarketInput("NaN Greeks", "every chain delta NaN",
                _chains(lambda chain, today: replace(chain, delta=np.full(len(chain), np.nan))),
                r"no entry: leg 2 \(-1 put\): no strike near 0.16 delta below 0.3", None),
    MarketInput("zero Greeks", "every chain delta 0 (before prices arrive)",
                _chains(lambda chain, today: replace(chain, delta=np.zeros(len(chain)))),
                r"no entry: leg 2 \(-1 put\): no strike near 0.16 delta below 0.3", None),
]


def _matching(records: list[dict[str, Any]], pattern: str) -> list[dict[str, Any]]:
    return [r for r in records if re.search(pattern, r["message"])]


def _entry_scenario(item: MarketInput) -> str:
    system = ScriptedSystem()
    system.start_session()
    system.run_minutes(system.at(10, 20), system.at(10, 24))
    records, orders = len(system.journal.records), len(system.submitted)
    item.apply(system)
    system.run_minutes(system.at(10, 25), system.at(10, 40))
    opened = [i for i in system.submitted[orders:] if i.purpose == Purpose.OPEN]
    expect(not opened, f"{len(opened)} opening order(s) sent on bad data: {[i.reason for i in opened]}")
    found = _matching(system.journal.records[records:], item.entry_record)
    expect(len(found) == 1, f"{len(found)} journal records match {item.entry_record!r} over 16 bad minutes")
    return f"entry: no order, one record '{found[0]['message'][:70]}'"


def _management_scenario(item: MarketInput) -> str:
    system = ScriptedSystem()
    system.start_session()
    system.run_minutes(system.at(10, 20), system.at(10, 40))
    held = system.system.book.open_positions("friday_0dte")
    expect(len(held) == 1, "the scripted 0DTE condor did not open on good data")
    position_id = held[0].position_id
    records, orders = len(system.journal.records), len(system.submitted)
    system.set_spy(STOP_SPY)
    restore = item.apply(system)
    system.run_minutes(system.at(10, 41), system.at(10, 50))
    closes = [i for i in system.submitted[orders:] if i.purpose == Purpose.CLOSE]
    if item.manage_record is not None:
        expect(not closes, f"a closing order was priced on bad data: {[i.reason for i in closes]}")
        found = _matching(system.journal.records[records:], item.manage_record)
        expect(len(found) == 1, f"{len(found)} journal records match {item.manage_record!r} over 10 bad minutes")
        held_back = "exit held back with one record, "
    else:
        expect(bool(closes), "the exit was blocked by an input it does not need")
        held_back = "exit not blocked, "
    restore()
    system.run_minutes(system.at(10, 51), system.at(11, 10))
    trade = [t for t in system.system.book.trades if t["position_id"] == position_id]
    expect(len(trade) == 1, "the open position was not closed after the data came back")
    expect(not system.reconcile_differences(), "books and broker holdings differ")
    return f"management: {held_back}closed ({trade[0]['exit_reason']}) at {trade[0]['exit_time'][11:16]}"


def _market_case(item: MarketInput) -> ReliabilityCase:
    exit_rule = ("exit held back (one record) until good data, then closed" if item.manage_record
                 else "exit still sent (closing never blocked)")
    return ReliabilityCase(
        item.name, "core", item.description,
        f"no opening order; one journal record; no crash; {exit_rule}",
        lambda context: f"{_entry_scenario(item)}; {_management_scenario(item)}")


# --- broker events ------------------------------------------------------------------------------


def _event_run(faults: BrokerFaults) -> tuple[ScriptedSystem, str]:
    """The scripted entry with three units per order (so that partial fills exist) and `faults`."""
    config = load_config({"risk_phase1_max_contracts": "3"})
    system = ScriptedSystem(config=config, settings=BrokerSettings(faults=faults))
    system.start_session()
    system.run_minutes(system.at(10, 20), system.at(10, 45))
    held = system.system.book.open_positions("friday_0dte")
    expect(len(held) == 1, "the scripted 0DTE condor did not open")
    units = held[0].terms.units
    expect(units == system.submitted[0].quantity, f"book holds {units} units of a {system.submitted[0].quantity}-unit "
           "order")
    expect(not system.reconcile_differences(), "books and broker holdings differ")
    expect(not system.system.orders, "an order is still working after its final event")
    return system, f"{units} units booked once, books reconcile with the broker"


def _duplicated_events(context: CaseContext) -> str:
    system, booked = _event_run(BrokerFaults(partial_fill=True, duplicate_events=True))
    duplicates = _matching(system.journal.records, r"duplicate fill event on O\d+ ignored")
    finished = _matching(system.journal.records, r"event for an unknown or finished order")
    expect(len(duplicates) == 1 and len(finished) == 1,
           f"{len(duplicates)} duplicate-fill and {len(finished)} finished-order records (1 each expected)")
    return f"{booked}; one record per repeated event"


def _out_of_order_events(context: CaseContext) -> str:
    system, booked = _event_run(BrokerFaults(out_of_order_events=True))
    late = _matching(system.journal.records, r"event for an unknown or finished order")
    expect(len(late) == 1, f"{len(late)} records of the late acknowledgement (1 expected)")
    return f"{booked}; the late acknowledgement journaled once"


def _unknown_order_event(context: CaseContext) -> str:
    system = ScriptedSystem()
    system.start_session()
    system.system.on_order_event(OrderEvent("O999999", "I999999", OrderStatus.FILLED, system.at(10, 0), 1, -1.0))
    system.system.on_order_event(OrderEvent("O999999", "I999999", OrderStatus.FILLED, system.at(10, 0), 1, -1.0))
    found = _matching(system.journal.records, "fill of 1 on O999999, an order this system did not send")
    again = _matching(system.journal.records, "event for an unknown or finished order O999999 ignored")
    expect(len(found) == 1 and len(again) == 1, f"{len(found)} error and {len(again)} repeat records (1 each)")
    expect(not system.system.book.positions and not system.reconcile_differences(), "the books changed")
    return "one error record, books reconciled with the broker (nothing to book); its repeat ignored"


# --- configuration and order sanity -------------------------------------------------------------


def _config_error(overrides: dict[str, str], words: str) -> Callable[[CaseContext], str]:
    def check(context: CaseContext) -> str:
        try:
            load_config(overrides)
        except ValueError as error:
            expect(words in str(error), f"the error does not say {words!r}: {error}")
            return f"ValueError: {error}"
        raise CaseFailed("the bad parameters were accepted")
    return check


def _gate_denies(intent: OrderIntent, reason: str) -> Callable[[CaseContext], str]:
    def check(context: CaseContext) -> str:
        system = ScriptedSystem()
        system.start_session()
        system.minute(system.at(10, 0))
        decision = system.system.gate.evaluate(intent, system.system.account_snapshot(system.at(10, 0)))
        expect(decision.verdict == Verdict.DENY and decision.reason.startswith(reason),
               f"gate answered {decision.verdict.value} ({decision.reason})")
        return f"denied: {decision.reason} ({decision.detail})"
    return check


def _intent(legs: tuple[Leg, ...], limit: float) -> OrderIntent:
    created = ScriptedSystem().at(10, 30)
    return OrderIntent("I1", "friday_0dte", Purpose.OPEN, legs, 1, limit, created, "reliability case",
                       max_loss_per_unit=100.0, margin_per_unit=100.0)


def _option(root: str, strike: float, right: str, expiry: date) -> Contract:
    return Contract(root, ContractKind.OPTION, expiry, strike, right)


def core_cases() -> list[ReliabilityCase]:
    """Every core-boundary case."""
    friday = ScriptedSystem().day
    yesterday = friday - timedelta(days=1)
    expired = (Leg(_option("SPY", 520.0, "put", yesterday), -1), Leg(_option("SPY", 510.0, "put", yesterday), 1))
    unknown = (Leg(_option("XYZ", 50.0, "put", friday), -1), Leg(_option("XYZ", 45.0, "put", friday), 1))
    return [
        *[_market_case(item) for item in MARKET_INPUTS],
        ReliabilityCase("duplicated order events", "core", "every broker event delivered twice (partial fills)",
                        "each fill booked once; one record per repeat; books reconcile", _duplicated_events),
        ReliabilityCase("out-of-order order events", "core", "the SUBMITTED ack arrives after the final fill",
                        "fills booked once; late ack journaled once; books reconcile", _out_of_order_events),
        ReliabilityCase("event for an unknown order", "core", "a FILLED event for an order never sent, twice",
                        "one error record, reconciled with the broker, nothing booked", _unknown_order_event),
        ReliabilityCase("unknown parameter", "core", "parameter risk_max_positionz=3",
                        "ValueError naming the parameter", _config_error({"risk_max_positionz": "3"},
                                                                        "unknown parameter 'risk_max_positionz'")),
        ReliabilityCase("out-of-range parameter", "core", "risk_per_trade_risk=0.9 (range 0.001..0.2)",
                        "ValueError naming the parameter and its range",
                        _config_error({"risk_per_trade_risk": "0.9"}, "per_trade_risk")),
        ReliabilityCase("unparsable parameter", "core", "friday_0dte_wing_width=ten", "ValueError naming the parameter",
                        _config_error({"friday_0dte_wing_width": "ten"}, "friday_0dte_wing_width='ten' is not a number")),
        ReliabilityCase("inconsistent parameters", "core", "vix_high=40 above vix_extreme=35",
                        "ValueError naming both parameters",
                        _config_error({"vix_high": "40", "vix_extreme": "35"}, "vix_high < vix_extreme")),
        ReliabilityCase("expiry in the past", "core", "an opening spread that expired yesterday",
                        "denied by the risk gate (order sanity)", _gate_denies(_intent(expired, -1.0), "order_sanity")),
        ReliabilityCase("unknown product (no multiplier)", "core", "an order on root XYZ, absent from the product table",
                        "denied by the risk gate (product_locked)", _gate_denies(_intent(unknown, -1.0),
                                                                                 "product_locked")),
    ]
