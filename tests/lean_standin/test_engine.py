"""The stand-in engine's behaviour (engine.py cites the LEAN lines), driven by a small probe
algorithm on the stand-in's own QCAlgorithm base over hand-made LEAN files of one day."""
from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import ClassVar

import pytest

from greeks.pricing import bsm_price
from tests.lean_standin import api
from tests.lean_standin.algorithm import QCAlgorithm
from tests.lean_standin.engine import ContractSecurity, Engine
from tests.lean_standin.lean_files import write_minute
from tests.lean_standin.market_hours import ENTRIES

DAY = date(2024, 8, 9)


def _spy_close(minute: int) -> float:
    """Close of the SPY bar starting `minute` minutes after 09:30 (high +0.05, low -0.05)."""
    return round(500.0 + 0.01 * minute, 2)


def _write_day(root: Path) -> None:
    opening = datetime.combine(DAY, time(9, 30))
    for ticker, base in (("SPY", 0.0), ("QQQ", -100.0)):
        write_minute(root, "equity", ticker, DAY, [(opening + timedelta(minutes=i), _spy_close(i) + base,
                                                    _spy_close(i) + base + 0.05, _spy_close(i) + base - 0.05,
                                                    _spy_close(i) + base, 1000) for i in range(390)])
    chicago_open = datetime.combine(DAY, time(8, 30))  # the VIX file is written in its data zone
    write_minute(root, "index", "VIX", DAY, [(chicago_open + timedelta(minutes=i), 20.0, 20.0, 20.0,
                                              round(20.0 + 0.01 * i, 2), 0) for i in range(390)])


class Probe(QCAlgorithm):
    """Records what it sees; `plan` maps an HH:MM time to the action run by a scheduled event then."""

    plan: ClassVar[dict[str, str]] = {}

    def initialize(self) -> None:
        self.set_start_date(DAY)
        self.set_end_date(DAY)
        self.set_cash(100_000)
        self.set_time_zone(api.TimeZones.NEW_YORK)
        self.default_order_properties.time_in_force = api.TimeInForce.DAY
        self.spy = self.add_equity("SPY").symbol
        self.qqq = self.add_equity("QQQ").symbol
        self.iwm = self.add_equity("IWM").symbol  # no data files: never priced
        self.vix = self.add_index("VIX").symbol
        self.record: list[tuple] = []
        self.tickets: list[api.OrderTicket] = []
        for hhmm, action in self.plan.items():
            hour, minute = (int(x) for x in hhmm.split(":"))
            self.schedule.on(self.date_rules.every_day(self.spy), self.time_rules.at(hour, minute),
                             getattr(self, action))

    def on_data(self, slice: api.Slice) -> None:
        self.record.append(("on_data", slice.time))

    def on_order_event(self, order_event: api.OrderEvent) -> None:
        self.record.append(("event", threading.current_thread().name, order_event.order_id, order_event.symbol.value,
                            order_event.status, order_event.fill_quantity, order_event.fill_price,
                            order_event.message, self.time))

    def on_assignment_order_event(self, assignment_event: api.OrderEvent) -> None:
        self.record.append(("assignment", assignment_event.order_id, assignment_event.symbol.value))

    def look(self) -> None:
        vix = self.securities[self.vix]
        self.record.append(("look", self.time, self.current_slice.time, self.securities[self.spy].price,
                            vix.get_last_data().end_time, str(vix.exchange.time_zone)))

    def buy_spy(self) -> None:
        self.tickets.append(self.limit_order(self.spy, 10, 600.0))

    def refused_combo(self) -> None:
        self.tickets += self.combo_limit_order([api.Leg.create(self.spy, 1), api.Leg.create(self.iwm, -1)], 1, 1.0)

    def far_combo(self) -> None:  # equity legs count per 100 shares: SPY - QQQ is about 1.0, a 0.5 limit never fills
        self.tickets += self.combo_limit_order([api.Leg.create(self.spy, 1), api.Leg.create(self.qqq, -1)], 1, 0.5)

    def cancel_both(self) -> None:
        self.responses = [t.cancel() for t in self.tickets]


def _run(tmp_path: Path, plan: dict[str, str], live: bool = False) -> tuple[Engine, Probe]:
    _write_day(tmp_path)
    Probe.plan = plan
    engine = Engine(tmp_path, None, {}, live_mode=live)
    probe = Probe()
    engine.run(probe, [DAY])
    return engine, probe


def test_a_scheduled_event_sees_the_current_slice_and_prices_and_runs_before_on_data(tmp_path: Path) -> None:
    _, probe = _run(tmp_path, {"10:45": "look"})
    looked = next(r for r in probe.record if r[0] == "look")
    at = datetime.combine(DAY, time(10, 45))
    # the slice and the price are those of the bar ending 10:45 (started 10:44, minute 74)
    assert looked[1:4] == (at, at, _spy_close(74))
    # the VIX bar ending 10:45 New York carries its Chicago end time
    assert looked[4:] == (datetime.combine(DAY, time(9, 45)), "America/Chicago")
    index = probe.record.index(looked)
    assert probe.record[index - 1] == ("on_data", at - timedelta(minutes=1))
    assert probe.record[index + 1] == ("on_data", at)


def test_a_limit_order_fills_from_the_next_bar_at_the_worse_of_its_high_and_the_limit(tmp_path: Path) -> None:
    engine, probe = _run(tmp_path, {"10:45": "buy_spy"})
    events = [r for r in probe.record if r[0] == "event"]
    order_id = probe.tickets[0].order_id
    assert [(e[2], e[4]) for e in events] == [(order_id, api.OrderStatus.SUBMITTED), (order_id, api.OrderStatus.FILLED)]
    fill = events[1]
    assert fill[8] == datetime.combine(DAY, time(10, 46))  # not in the minute it was placed
    assert fill[5:7] == (10, round(_spy_close(75) + 0.05, 2))  # the 10:46 bar's high, below the 600 limit
    assert engine.securities[probe.spy].holdings.quantity == 10


def test_an_order_refused_by_the_pre_order_checks_is_one_invalid_ticket_without_events(tmp_path: Path) -> None:
    engine, probe = _run(tmp_path, {"10:45": "refused_combo"})
    assert len(probe.tickets) == 1  # one ticket for a two-leg combo
    ticket = probe.tickets[0]
    assert (ticket.order_id, ticket.status) == (api.INVALID_ORDER_ID, api.OrderStatus.INVALID)
    assert "SecurityPriceZero" in ticket.standin_error
    assert ticket.order_closed and ticket.get_most_recent_order_response().is_error
    assert [r for r in probe.record if r[0] == "event"] == []
    assert engine.counts.invalid == 1 and engine.groups == []


def test_orders_are_refused_while_warming_up(tmp_path: Path) -> None:
    _write_day(tmp_path)
    engine = Engine(tmp_path, None, {})
    Probe.plan = {}
    probe = engine.attach(Probe())
    engine.time = datetime.combine(DAY, time(10, 0))
    probe.initialize()
    engine.warming_up = True
    ticket = probe.limit_order(probe.spy, 1, 500.0)
    assert ticket.status == api.OrderStatus.INVALID and "WarmingUp" in ticket.standin_error


def test_cancelling_one_leg_cancels_the_whole_combo_and_a_second_cancel_is_refused(tmp_path: Path) -> None:
    _, probe = _run(tmp_path, {"10:45": "far_combo", "10:50": "cancel_both"})
    events = [(r[2], r[4]) for r in probe.record if r[0] == "event"]
    first, second = (t.order_id for t in probe.tickets)
    assert events == [(first, api.OrderStatus.SUBMITTED), (second, api.OrderStatus.SUBMITTED),
                      (first, api.OrderStatus.CANCELED), (second, api.OrderStatus.CANCELED)]
    assert [r.is_success for r in probe.responses] == [True, False]


def test_a_day_order_expires_at_the_close(tmp_path: Path) -> None:
    _, probe = _run(tmp_path, {"15:58": "far_combo"})
    cancels = [r for r in probe.record if r[0] == "event" and r[4] == api.OrderStatus.CANCELED]
    assert len(cancels) == 2
    assert {r[8] for r in cancels} == {datetime.combine(DAY, time(16, 0))}
    assert {r[7] for r in cancels} == {"The order has expired."}


def test_the_portfolio_has_one_holding_per_security(tmp_path: Path) -> None:
    engine, probe = _run(tmp_path, {"10:45": "buy_spy"})
    holdings = probe.portfolio.values()
    assert len(holdings) == len(engine.securities) == 4
    assert sorted(h.quantity for h in holdings) == [0, 0, 0, 10]


def test_live_order_events_arrive_on_the_brokerage_thread(tmp_path: Path) -> None:
    _, probe = _run(tmp_path, {"10:45": "buy_spy"}, live=True)
    threads = {r[1] for r in probe.record if r[0] == "event"}
    assert threads == {"brokerage"} and threading.current_thread().name not in threads


def test_an_assigned_short_call_delivers_shares_in_leans_event_order(tmp_path: Path) -> None:
    engine, probe = _run(tmp_path, {})
    canonical = engine.add_option(probe.spy)
    expiry = DAY
    symbol = api.option_symbol(probe.spy, "SPY", expiry, 490.0, api.OptionRight.CALL)
    option = engine.add(ContractSecurity(symbol, ENTRIES["Option-usa-[*]"], engine, (expiry, 490.0, True), canonical))
    option.holdings.quantity = -1
    cash = engine.cash
    probe.record.clear()
    engine.exercise_at_expiry(option)  # SPY closed at 503.89 > 490: in the money
    kinds = [(r[0], r[3] if r[0] == "event" else r[2]) for r in probe.record]
    assert kinds == [("event", symbol.value), ("assignment", symbol.value), ("event", "SPY")]
    option_fill, _, share_fill = probe.record
    assert option_fill[5:7] == (1, 0.0) and share_fill[5:7] == (-100, 490.0)
    assert option_fill[2] == share_fill[2]  # one exercise order, two fills
    assert engine.securities[probe.spy].holdings.quantity == -100 and option.holdings.quantity == 0
    assert engine.cash == pytest.approx(cash + 49_000.0)


def test_implied_volatility_and_greeks_are_lazy_and_zero_without_prices() -> None:
    spy = api.Symbol("SPY", api.SecurityIdentifier("SPY", api.SecurityType.EQUITY, "usa"))
    now = datetime(2024, 8, 9, 10, 0)
    expiry = date(2024, 9, 20)
    years = (datetime(2024, 9, 20, 16, 0) - now).total_seconds() / (365.0 * 86400)
    price = float(bsm_price("put", 530.0, 520.0, years, 0.05, 0.013, 0.25))
    quote = api.QuoteBar(spy, now, now, api.Bar(price - 0.05, price, price - 0.1, price - 0.05),
                         api.Bar(price + 0.05, price + 0.1, price, price + 0.05))
    underlying = api.BaseData(spy, now, now, 530.0)
    batch = api.ModelBatch(now, expiry, 0.05, 0.013)
    priced = api.OptionContract(api.option_symbol(spy, "SPY", expiry, 520.0, api.OptionRight.PUT), lambda: quote,
                                underlying, batch)
    unpriced = api.OptionContract(api.option_symbol(spy, "SPY", expiry, 525.0, api.OptionRight.PUT), lambda: None,
                                  underlying, batch)
    assert batch.evaluations == 0  # nothing computed until read
    assert priced.implied_volatility == pytest.approx(0.25, abs=1e-6)
    assert -0.5 < priced.greeks.delta < 0
    assert (unpriced.implied_volatility, unpriced.greeks.delta) == (0.0, 0.0)
    assert batch.evaluations == 1
    no_underlying = api.OptionContract(priced.symbol, lambda: quote, None, api.ModelBatch(now, expiry, 0.05, 0.013))
    assert (no_underlying.implied_volatility, no_underlying.greeks.delta) == (0.0, 0.0)


class ChainProbe(QCAlgorithm):
    """Subscribes SPY options with a 0-0 DTE filter and records the selection and the chain."""

    def initialize(self) -> None:
        self.set_start_date(date(2024, 8, 5))
        self.set_end_date(date(2024, 8, 5))
        self.set_cash(100_000)
        self.spy = self.add_equity("SPY").symbol
        self.add_index("VIX")
        option = self.add_option(self.spy)
        option.set_filter(self.select)
        self.selections: list[datetime] = []
        self.chain_expiries: set[date] = set()
        self.deltas: list[float] = []
        self.schedule.on(self.date_rules.every_day(self.spy), self.time_rules.at(10, 0), self.read_chain)

    def select(self, universe: api.OptionFilterUniverse) -> api.OptionFilterUniverse:
        self.selections.append(universe.local_time)
        return universe.expiration(0, 0)

    def read_chain(self) -> None:
        for chain in self.current_slice.option_chains.values():
            for contract in chain:
                self.chain_expiries.add(contract.expiry.date())
                if contract.right == api.OptionRight.PUT and 0 < contract.bid_price:
                    self.deltas.append(contract.greeks.delta)


def test_mondays_universe_is_selected_on_saturday_and_keeps_the_monday_expiry(shared_data: Path,
                                                                              tmp_path: Path) -> None:
    from tests.lean_standin import data_gen
    from tests.lean_standin.option_data import ModelledOptions

    monday = date(2024, 8, 5)
    data_gen.build(shared_data, tmp_path, [monday])
    engine = Engine(tmp_path, ModelledOptions(lambda day: 0.05), {})
    probe = ChainProbe()
    engine.run(probe, [monday])
    assert probe.selections == [datetime(2024, 8, 3)]  # Saturday 00:00, the end of Friday's file
    assert probe.chain_expiries == {monday}  # expiration(0, 0) counts from Monday, not Saturday
    assert probe.deltas and all(-1.0 < d < 0.0 for d in probe.deltas)


def test_an_exercised_long_futures_put_delivers_one_short_future_per_contract(tmp_path: Path) -> None:
    engine, probe = _run(tmp_path, {})
    expiry = date(2024, 9, 20)
    future_id = api.SecurityIdentifier("ES", api.SecurityType.FUTURE, "cme", datetime.combine(expiry, time()))
    future = engine.add(api.Future(api.Symbol("ES 240920", future_id), ENTRIES["Future-cme-ES"], engine, 50.0))
    future.standin_update(api.TradeBar(future.symbol, datetime(2024, 8, 9, 15, 59), datetime(2024, 8, 9, 16, 0),
                                       5300.0, 5300.0, 5300.0, 5300.0))
    option_id = api.SecurityIdentifier("ES", api.SecurityType.FUTURE_OPTION, "cme", datetime.combine(DAY, time()),
                                       5400.0, api.OptionRight.PUT)
    symbol = api.Symbol("ES 240809P05400000", option_id, future.symbol)
    option = engine.add(ContractSecurity(symbol, ENTRIES["Future-cme-ES"], engine, (DAY, 5400.0, False), symbol))
    option.holdings.quantity = 2
    probe.record.clear()
    engine.exercise_at_expiry(option)
    assert [(r[0], r[3], r[5], r[6]) for r in probe.record] == [("event", symbol.value, -2, 0.0),
                                                                ("event", "ES 240920", -2, 5400.0)]
    assert future.holdings.quantity == -2 and option.holdings.quantity == 0
