"""A scripted live session of main.py on the fakes: initialize, warm-up, a Friday with chains, a
0DTE entry, its fill, a restart (a new algorithm instance on the same ObjectStore and account)
that reconciles without duplicating anything, and the exit.

SPY (minute bars) and VIX (daily bars) are real; the intraday VIX is held at 23.5 and the option
chain is modelled (scenario.bsm_chain), so the figures checked are the adapter's arithmetic, not
market results.
"""
from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pytest

import main
from helpers.exchange_calendar import nyse_sessions
from lean_adapter.delivery import DeliveredFutures
from lean_adapter.parameters import project_parameters
from lean_adapter.subscription_plan import ChainWindow, SubscriptionPlan, plan_subscriptions
from lean_adapter.subscriptions import subscribe
from tests.lean_adapter.scenario import bsm_chain, daily_bars, spy_minutes
from tests.lean_standin import scripted as f
from tests.lean_standin.scripted_algorithm import (
    FakeAccount,
    FakeLean,
    QCAlgorithm,
    future_symbol,
    option_symbol,
)

FRIDAY = date(2024, 8, 2)  # VIX closed 23.39 (above the 22 minimum); no FOMC or CPI release
VIX_LEVEL = 23.5
SIGMA = 0.22
STRIKES = np.arange(500.0, 571.0)


class Session:
    """One algorithm instance on the shared store and account, with real SPY/VIX bars."""

    def __init__(self, shared_data: Path, store: f.ObjectStore, account: FakeAccount) -> None:
        parameters = {**project_parameters(), "notify_email": "trader@example.com"}
        self.lean = FakeLean(store, account, live_mode=True, algorithm_id="L-1", project_id=7, parameters=parameters,
                             start=datetime.combine(FRIDAY, time(9, 0)))
        self.algorithm = self.lean.attach(main.TomKingFramework())
        self.algorithm.initialize()
        found = {(s.kind, s.symbol.value): s for s in self.lean.subscriptions}
        self.found = found
        self.spy, self.vix = found[("equity", "SPY")].symbol, found[("index", "VIX")].symbol
        self.spy_options = found[("option", "?SPY")].symbol
        self.lean.daily[self.spy] = daily_bars(shared_data, "SPY.csv", self.spy, date(2023, 1, 1), FRIDAY)
        self.lean.daily[self.vix] = daily_bars(shared_data, "VIX_cboe.csv", self.vix, date(2023, 1, 1), FRIDAY)
        self.minutes = spy_minutes(shared_data, FRIDAY)
        self.auto_fill = False  # fill every working order at its limit one minute after it went out

    def warm_up(self) -> None:
        span = self.lean.settings["warm_up"][0]
        self.lean.warm_up(nyse_sessions(FRIDAY - span, FRIDAY - timedelta(days=1)), [self.spy, self.vix])

    def market(self, moment: datetime) -> None:
        """Prices as of `moment`: the SPY bar that just closed, VIX, and the 0DTE chain."""
        if self.auto_fill:
            for group in self.lean.open_groups():
                self.lean.fill(group)
        opening, closing = self.minutes[moment - timedelta(minutes=1)]
        self.lean.set_price(self.spy, closing, opening)
        self.lean.set_price(self.vix, VIX_LEVEL)
        self.lean.set_chain(self.spy_options, closing, bsm_chain(self.spy, "SPY", FRIDAY, closing, moment, SIGMA,
                                                                 STRIKES))

    def run(self, start: str, end: str) -> None:
        self.lean.run_minutes(_at(start), _at(end), self.market)

    @property
    def journal(self) -> list[dict]:
        return self.algorithm._journal.records

    def kinds(self, kind: str) -> list[dict]:
        return [r for r in self.journal if r["kind"] == kind]


def _at(hhmm: str) -> datetime:
    hours, minutes = hhmm.split(":")
    return datetime.combine(FRIDAY, time(int(hours), int(minutes)))


class _Plain(QCAlgorithm):
    """An algorithm with no trading core, for one adapter part."""

    def on_order_event(self, order_event: f.OrderEvent) -> None:
        pass


def test_initialize_subscribes_schedules_and_sets_the_tastytrade_model(shared_data: Path) -> None:
    session = Session(shared_data, f.ObjectStore(), FakeAccount())
    lean, found = session.lean, session.found
    settings = lean.settings
    assert (settings["start"], settings["end"], settings["cash"]) == (date(2023, 1, 1), date(2025, 1, 1), 30_000.0)
    assert settings["brokerage"] == (f.BrokerageName.TASTYTRADE, f.AccountType.MARGIN)
    assert lean.order_properties.time_in_force == f.TimeInForce.DAY
    assert settings["time_zone"] == "America/New_York"
    plan = plan_subscriptions(session.algorithm._system.config)
    assert settings["warm_up"] == (timedelta(days=plan.warmup_calendar_days), f.Resolution.DAILY)
    assert plan.warmup_sessions >= 252 + 5  # the 52-week high and the IV rank look back 252 sessions
    spy = found[("equity", "SPY")]
    assert (spy.options["resolution"], spy.options["normalization"]) == (f.Resolution.MINUTE,
                                                                         f.DataNormalizationMode.RAW)
    assert found[("index", "VIX")].options["resolution"] == f.Resolution.MINUTE
    for root in ("MES", "ES"):
        future = found[("future", f"/{root}")]
        assert (future.options["mapping"], future.options["normalization"]) == (
            f.DataMappingMode.OPEN_INTEREST, f.DataNormalizationMode.RAW)
        # contracts up to the longest /ES option window (130 days) plus a quarterly cycle, not 850 days
        assert future.security.standin_expiry_days == (0, 130 + 95)
        assert ("future_option", f"?{root}") in found
    # every session: start, minute cycle, end; windows: 0DTE, LT112, strangle, ladder, IPMCC x2, 8 advanced
    assert len(lean.schedule.standin_events) == 3 + 6 + 8


def test_option_filter_keeps_0dte_112dte_and_leaps_with_5_delta_strikes(shared_data: Path) -> None:
    session = Session(shared_data, f.ObjectStore(), FakeAccount())
    option = session.found[("option", "?SPY")].security
    today = datetime(2024, 8, 2, 9, 31)
    spot = 535.0
    rows = []
    for dte in (0, 1, 5, 45, 112, 200, 400, 700, 800):
        for strike in np.arange(250.0, 800.0, 5.0):
            for right in ("call", "put"):
                expiry = (today + timedelta(days=dte)).date()
                rows.append(f.OptionUniverse(option_symbol(session.spy, "SPY", expiry, float(strike), right), today, today, 0))
    universe = f.OptionFilterUniverse(rows, f.BaseData(session.spy, today, today, spot), today)
    kept = option.standin_filter(universe)
    assert kept.standin_weeklys
    by_dte: dict[int, list[float]] = {}
    for row in kept:
        by_dte.setdefault((row.symbol.id.date.date() - today.date()).days, []).append(row.symbol.id.strike_price)
    assert set(by_dte) == {0, 1, 5, 45, 112, 200, 400, 700}  # 800 DTE is beyond every window
    assert min(by_dte[0]) >= 0.90 * spot and max(by_dte[0]) <= 1.10 * spot
    # 112 DTE on SPY serves the LT112 (SPY is the last of lt112_products) and the IPMCC's LEAP
    # window; the LT112's band, 65% of spot at its longest 130 days, holds the same 5-delta put at
    # 112 days at about 67% (the IPMCC's LEAP band alone would start at about 78%)
    assert 0.66 * spot <= min(by_dte[112]) <= 0.69 * spot
    # LEAPs: 80-90% puts and 80-delta calls are inside
    assert min(by_dte[400]) <= 0.80 * spot <= 0.90 * spot <= max(by_dte[400])


@pytest.mark.parametrize(("selection", "trading_day"), [
    (datetime(2024, 8, 3, 0, 0), date(2024, 8, 5)),  # Monday's selection runs at Saturday 00:00
    (datetime(2024, 8, 31, 0, 0), date(2024, 9, 3)),  # Labor Day Monday: Tuesday's runs at Saturday 00:00
    (datetime(2024, 8, 2, 0, 0), date(2024, 8, 2)),  # a Friday's selection runs on the Friday itself
])
def test_the_option_filter_counts_days_from_leans_reference_day(selection: datetime, trading_day: date) -> None:
    """LEAN counts expiry days from the next trading day of a selection that runs on a closed day
    (OptionFilterUniverse.cs:127-145): a 0-1 day window keeps that day's and the next day's
    expiries, not nothing."""
    lean = FakeLean(start=selection)
    algorithm = lean.attach(_Plain())
    plan = SubscriptionPlan(equities=("SPY",), indices=("VIX",), futures=(),
                            option_windows={"SPY": (ChainWindow(0, 1, 0.90, 1.10),)}, strategy_products={},
                            daily_roots=(), warmup_sessions=10)
    found = subscribe(algorithm, plan)
    spy = found.underlyings["SPY"]
    option = next(s.security for s in lean.subscriptions if s.kind == "option")
    rows = [f.OptionUniverse(option_symbol(spy, "SPY", trading_day + timedelta(days=days), 535.0, "put"), selection, selection,
                            0)
            for days in range(4)]
    kept = option.standin_filter(f.OptionFilterUniverse(rows, f.BaseData(spy, selection, selection, 535.0), selection))
    assert sorted(row.symbol.id.date.date() for row in kept) == [trading_day,
                                                                             trading_day + timedelta(days=1)]


def test_scripted_session_entry_fill_restart_and_exit(shared_data: Path) -> None:
    store, account = f.ObjectStore(), FakeAccount()
    first = Session(shared_data, store, account)
    first.warm_up()
    assert first.lean.tickets == {} and first.journal == []  # events during warm-up did nothing
    assert first.algorithm._bars.count("SPY") >= 252 and first.algorithm._bars.count("VIX") >= 252

    first.run("09:31", "10:30")
    groups = first.lean.open_groups()
    assert len(groups) == 1
    combo = groups[0]
    assert sorted(t.quantity for t in combo) == [-1, -1, 1, 1]
    limit = first.lean.limits[combo[0].order_id]
    assert limit < 0  # an iron condor is sold for a credit: negative net limit
    assert all(t.tag.startswith("friday_0dte open") for t in combo)
    strikes = sorted(t.symbol.id.strike_price for t in combo)
    assert strikes[1] - strikes[0] == 10 and strikes[3] - strikes[2] == 10  # 10-point wings on SPY

    first.lean.minute(_at("10:31"), data=False)
    net = first.lean.fill(combo)
    assert len(first.kinds("entry")) == 1
    system = first.algorithm._system
    assert system.open_position_count() == 1
    position = system.book.all_open()[0]
    assert position.entry_cash == pytest.approx(-net * 100)  # credit received for one unit
    assert any("entry" in subject for _, subject, _ in first.lean.notify.standin_sent)
    first.run("10:32", "10:45")

    # restart: a new algorithm instance on the same ObjectStore and brokerage account
    second = Session(shared_data, store, account)
    second.warm_up()
    second.run("10:46", "10:59")
    restarted = second.algorithm._system
    assert second.lean.tickets == {}, "the restart must not send a second entry"
    assert restarted.open_position_count() == 1
    assert restarted.book.all_open()[0].position_id == position.position_id
    assert [r for r in second.journal if "reconciliation" in r["message"]] == []
    assert second.kinds("error") == []

    second.auto_fill = True
    second.run("11:00", "15:10")
    assert restarted.open_position_count() == 0
    exits = second.kinds("exit")
    assert len(exits) == 1 and exits[0]["position_id"] == position.position_id
    filled = {t.standin_group[0].order_id: t.standin_group for t in second.lean.tickets.values()
              if t.status == f.OrderStatus.FILLED}
    assert len(filled) == 1, "one closing order, filled once"
    closing = next(iter(filled.values()))
    assert {t.symbol.value: t.quantity for t in closing} == {t.symbol.value: -t.quantity for t in combo}
    assert second.lean.limits[closing[0].order_id] > 0  # buying the condor back is a debit
    assert account.holdings == {}
    assert second.kinds("error") == []
    trades = restarted.book.trades
    assert len(trades) == 1 and trades[0]["strategy"] == "friday_0dte"


def test_a_live_restart_cancels_orders_left_working_and_does_not_enter_twice(shared_data: Path) -> None:
    store, account = f.ObjectStore(), FakeAccount()
    first = Session(shared_data, store, account)
    first.warm_up()
    first.run("09:31", "10:30")
    left = first.lean.open_groups()
    assert len(left) == 1  # the entry is working when the algorithm stops

    second = Session(shared_data, store, account)
    second.lean.tickets = dict(first.lean.tickets)  # the brokerage still holds the working order
    for ticket in second.lean.tickets.values():
        ticket.standin_lean = second.lean
    second.lean.next_order_id = first.lean.next_order_id
    second.warm_up()
    second.run("10:31", "10:40")
    assert second.lean.cancel_requests == [left[0][0].order_id], "one cancel request for the whole combo"
    second.lean.deliver_cancels()  # the brokerage reports the cancelled legs
    second.run("10:41", "10:59")
    assert all(t.status == f.OrderStatus.CANCELED for t in left[0])
    assert set(second.lean.tickets) == set(first.lean.tickets), "no new entry order after the restart"
    assert second.algorithm._system.open_position_count() == 0 and account.holdings == {}


def test_a_product_without_option_data_is_idle_and_says_so_once_a_day(shared_data: Path) -> None:
    session = Session(shared_data, f.ObjectStore(), FakeAccount())
    tuesday = date(2024, 8, 13)  # the second Tuesday: the futures strangle's window, no /MES chain
    session.minutes = spy_minutes(shared_data, tuesday)
    session.lean.warming_up = False
    moment = datetime.combine(tuesday, time(9, 31))
    while moment <= datetime.combine(tuesday, time(10, 20)):
        session.lean.time = moment
        session.market(moment)
        session.lean.minute(moment)
        moment += timedelta(minutes=1)
    idle = [r for r in session.journal if "stays idle" in r["message"]]
    assert [(r["strategy"], r["product"]) for r in idle] == [("futures_strangle", "MES")]


def test_no_window_event_is_reported_on_an_exchange_holiday(shared_data: Path) -> None:
    """LEAN's weekday date rule fires on holidays (DateRules.cs:108-112): on Good Friday the 0DTE
    window opens with no SPY data, and that is no reason to report the strategy idle. On the next
    Friday, a session with no chain, it is reported."""
    session = Session(shared_data, f.ObjectStore(), FakeAccount())
    session.lean.warming_up = False
    for day in (date(2024, 3, 29), date(2024, 4, 5)):  # Good Friday (NYSE and CME closed), a session
        moment = datetime.combine(day, time(9, 30))
        while moment <= datetime.combine(day, time(16, 0)):
            session.lean.minute(moment, data=False)
            moment += timedelta(minutes=1)
    idle = [(date.fromisoformat(r["time"][:10]), r["strategy"]) for r in session.journal if "stays idle" in r["message"]]
    assert (date(2024, 4, 5), "friday_0dte") in idle
    assert [entry for entry in idle if entry[0] == date(2024, 3, 29)] == []


def test_session_end_plots_and_the_end_of_algorithm_summarises(shared_data: Path) -> None:
    session = Session(shared_data, f.ObjectStore(), FakeAccount())
    session.warm_up()
    session.run("09:31", "16:01")
    series = {(chart, name) for chart, name, _ in session.lean.plots}
    assert ("Equity", "Net liquidation") in series and ("VIX", "Regime level") in series and len(series) <= 30
    assert session.lean.statistics["Regime"] == "ELEVATED"
    session.algorithm.on_end_of_algorithm()
    assert any(line.startswith("summary:") for line in session.lean.logs)


def test_a_backtest_starts_from_nothing_and_leaves_one_runs_state(shared_data: Path) -> None:
    """Backtests of a project share "backtest/project-<id>" and empty it when they start: a run
    never reads an earlier one's state, and any number of runs leave one run's documents (the
    ObjectStore's quota is organisation-wide). Live state is never touched."""
    store = f.ObjectStore()
    store.save("live/project-7/system", '{"schema": 1}')
    counts = []
    for run in ("backtest-A", "backtest-B", "backtest-C"):
        lean = FakeLean(store, FakeAccount(), live_mode=False, algorithm_id=run, parameters=project_parameters(),
                        start=datetime.combine(FRIDAY, time(9, 0)))
        algorithm = lean.attach(main.TomKingFramework())
        store.save("backtest/project-7/position/P-stale", '{"schema": 1}')  # a document of an earlier run
        algorithm.initialize()
        assert not store.contains_key("backtest/project-7/position/P-stale")
        assert algorithm._system.open_position_count() == 0
        algorithm._system.save()
        counts.append(len([key for key in store.keys if key.startswith("backtest/")]))
    assert store.read("live/project-7/system") == '{"schema": 1}'
    assert counts == [1, 1, 1] and store.contains_key("backtest/project-7/system")


def test_expiry_events_from_lean_close_the_position_and_margin_calls_pass_through(shared_data: Path) -> None:
    session = Session(shared_data, f.ObjectStore(), FakeAccount())
    session.warm_up()
    session.run("09:31", "10:30")
    combo = session.lean.open_groups()[0]
    session.lean.minute(_at("10:31"), data=False)
    session.lean.fill(combo)
    session.lean.time = _at("16:00")
    for number, ticket in enumerate(combo, 900):  # LEAN expires every leg worthless (no fill price)
        holding = session.lean.account.holdings.pop(ticket.symbol)
        session.algorithm.on_order_event(f.order_event(number, ticket.symbol, session.lean.time, f.OrderStatus.FILLED,
                                                      0.0, -holding.quantity))
    system = session.algorithm._system
    assert system.open_position_count() == 0
    assert len(session.kinds("assignment")) == 4
    assert [r["message"] for r in session.kinds("exit")] == ["expired_worthless"]
    requests = [f.SubmitOrderRequest()]
    assert session.algorithm.on_margin_call(requests) is requests
    assert session.algorithm._reconcile_due and session.kinds("error")[-1]["message"].startswith("margin call")


def test_scheduled_events_read_the_chain_of_their_own_minute(shared_data: Path) -> None:
    """LEAN sets current_slice before the scheduled events of a time step and calls on_data after
    them (Engine/AlgorithmManager.cs:253,348,582): a chain read inside an event is that minute's,
    not the one on_data saw a minute earlier (nor, at 09:31, the previous day's last)."""
    session = Session(shared_data, f.ObjectStore(), FakeAccount())
    session.warm_up()
    seen: list[tuple[datetime, float, float]] = []

    def probe() -> None:
        chain = session.algorithm._market.chain("SPY", 0, 0)
        listed = session.lean.chains[session.spy_options]
        assert chain is not None, f"no chain at {session.lean.time}"
        row = int(np.flatnonzero((chain.strikes == 535.0) & chain.is_call)[0])
        quoted = next(c for c in listed if c.strike == 535.0 and c.right == f.OptionRight.CALL)
        seen.append((session.lean.time, float(chain.bid[row]), quoted.bid_price))

    session.lean.schedule.on(f.DateRules().every_day(session.spy), f.TimeRules().every(timedelta(minutes=1)), probe)
    session.run("09:31", "09:40")
    assert len(seen) == 10
    assert len({bid for _, bid, _ in seen}) > 1, "the modelled quotes move from minute to minute"
    assert [(moment, bid) for moment, bid, _ in seen] == [(moment, quoted) for moment, _, quoted in seen]


def test_an_order_event_on_another_thread_never_runs_inside_the_core_with_a_scheduled_event(
        shared_data: Path) -> None:
    """Live, LEAN fires scheduled events on its "RealTime Thread" (Engine/RealTime/
    LiveTradingRealTimeHandler.cs:136) and order events on the brokerage's thread
    (Engine/TransactionHandlers/BrokerageTransactionHandler.cs:1369). While a fill is being booked
    in the core on one thread, the minute cycle on another waits for it."""
    session = Session(shared_data, f.ObjectStore(), FakeAccount())
    session.warm_up()
    session.run("09:31", "10:30")
    combo = session.lean.open_groups()[0]
    system = session.algorithm._system
    steps: list[str] = []
    booking, release = threading.Event(), threading.Event()
    book_event, run_minute = system.on_order_event, system.on_minute

    def slow_booking(event: object) -> None:
        steps.append("fill booking starts")
        booking.set()
        release.wait(10)
        book_event(event)
        steps.append("fill booked")

    def minute(now: datetime) -> None:
        steps.append("minute cycle")
        run_minute(now)

    system.on_order_event, system.on_minute = slow_booking, minute
    session.lean.time = _at("10:31")
    brokerage = threading.Thread(target=session.lean.fill, args=(combo,))
    brokerage.start()
    assert booking.wait(10)
    minute_cycle = next(event.standin_callback for event in session.lean.schedule.standin_events
                        if event.standin_time_rule.name == f"Every {timedelta(minutes=1)}")
    realtime = threading.Thread(target=minute_cycle)
    realtime.start()
    realtime.join(0.3)
    assert steps == ["fill booking starts"], "the minute cycle entered the core while a fill was being booked"
    release.set()
    brokerage.join(10)
    realtime.join(10)
    assert steps == ["fill booking starts", "fill booked", "minute cycle"]
    assert system.open_position_count() == 1


def test_a_futures_option_assignment_delivers_a_future_that_is_closed_at_once(shared_data: Path) -> None:
    """LEAN delivers a future for an exercised futures option (its second exercise fill is on the
    future, at the strike): the adapter journals it, sells it at the bid at once, and says when it
    is flat. The core books the option at the future's price (-50 x 50 = -2,500 USD for one
    assigned 5,450 put with the future at 5,400), what closing the future at that price realises."""
    session = Session(shared_data, f.ObjectStore(), FakeAccount())
    session.warm_up()
    lean = session.lean
    es = future_symbol("ES", date(2024, 9, 20))
    put = option_symbol(es, "ES", FRIDAY, 5450.0, "put")
    lean.securities._items[es] = f.Future(es, 5400.0, 50.0)
    lean.securities[es].bid_price, lean.securities[es].ask_price = 5400.0, 5400.25
    lean.securities._items[put] = f.Security(put, 50.0, 50.0)
    lean.account.holdings[put] = f.SecurityHolding(put, -1)
    lean.time = _at("16:00")
    lean.exercise(put, 5400.0)
    assert lean.account.holdings[es].quantity == 1  # assigned a short put: long one future at 5,450
    closing = lean.open_groups()
    assert len(closing) == 1 and [(t.symbol, t.quantity, t.tag) for t in closing[0]] == [
        (es, -1, "close delivered future")]
    assert lean.limits[closing[0][0].order_id] == 5400.0  # marketable: the bid
    assert any("held by no position" in r["message"] for r in session.kinds("error"))  # no core position here
    messages = [r["message"] for r in session.kinds("info")]
    assert any(m.startswith("futures-option delivery: +1 ES 240920 at 5450") for m in messages)
    lean.fill(closing[0])
    assert es not in lean.account.holdings
    lean.minute(_at("16:01"))
    messages = [r["message"] for r in session.kinds("info")]
    assert "delivered future ES 240920 is closed" in messages
    lean.minute(_at("16:02"))
    assert len(lean.tickets) == 1, "nothing is sent once the future is flat"



def test_a_live_restart_closes_a_future_an_earlier_run_left_open(shared_data: Path) -> None:
    account = FakeAccount()
    es = future_symbol("ES", date(2024, 9, 20))
    account.holdings[es] = f.SecurityHolding(es, -1)  # delivered before the restart, not yet closed
    session = Session(shared_data, f.ObjectStore(), account)
    session.lean.securities[es].bid_price, session.lean.securities[es].ask_price = 5400.0, 5400.25
    session.warm_up()
    session.run("09:31", "09:32")
    closing = [t for t in session.lean.tickets.values() if t.symbol == es]
    assert [(t.quantity, session.lean.limits[t.order_id], t.tag) for t in closing] == [
        (1, 5400.25, "close delivered future")]


def test_a_delivered_future_left_unfilled_is_offered_again() -> None:
    """A closing order that ends unfilled (a day order expiring, a cancel) is sent again, and a
    future without a quote waits for one."""
    lean = FakeLean(start=datetime(2024, 8, 16, 16, 0))
    notes: list[str] = []
    algorithm = lean.attach(_Plain())
    desk = DeliveredFutures(algorithm, notes.append, notes.append)
    es = future_symbol("ES", date(2024, 9, 20))
    lean.securities._items[es] = f.Future(es, 0.0, 50.0)
    lean.account.holdings[es] = f.SecurityHolding(es, -2)
    desk.receive(f.order_event(5, es, lean.time, f.OrderStatus.FILLED, 5500.0, -2))
    assert lean.tickets == {}  # no quote yet
    lean.securities[es].bid_price, lean.securities[es].ask_price = 5400.0, 5400.25
    desk.close_all()
    (ticket,) = lean.tickets.values()
    assert (ticket.quantity, lean.limits[ticket.order_id]) == (2, 5400.25)  # short: bought back at the ask
    assert desk.owns(ticket.order_id) and not desk.is_delivery(f.order_event(ticket.order_id, es, lean.time,
                                                                             f.OrderStatus.FILLED, 5400.25, 2))
    ticket.status = f.OrderStatus.CANCELED
    desk.on_event(f.order_event(ticket.order_id, es, lean.time, f.OrderStatus.CANCELED))
    desk.close_all()
    assert len(lean.open_groups()) == 1 and len(lean.tickets) == 2



def test_the_minute_cycle_waits_for_the_session_start_event(shared_data: Path) -> None:
    """LEAN's one-minute rule counts from midnight (Lean Common/Scheduling/TimeRules.cs:396-409), so
    it fires at 09:30:00, before the session-start event at open + 1 minute; the core's day begins
    with that event (the first session after warm-up used to stop with 'call on_new_session before
    any other update')."""
    session = Session(shared_data, f.ObjectStore(), FakeAccount())
    session.warm_up()
    session.lean.minute(_at("09:30"), data=False)  # no SPY bar has closed yet
    assert session.algorithm._system.breakers.session is None
    assert session.kinds("error") == []
    session.run("09:31", "09:33")
    assert session.algorithm._system.breakers.session == FRIDAY
    assert session.kinds("error") == []


def test_a_start_after_the_open_with_no_saved_state_begins_the_day_at_its_first_minute(shared_data: Path) -> None:
    """Live, LEAN fires no event whose time has passed (the session start at 09:31 of a deployment
    made at 11:00): the first regular-hours minute starts the core's day instead."""
    session = Session(shared_data, f.ObjectStore(), FakeAccount())
    session.warm_up()
    session.run("11:00", "11:02")
    assert session.algorithm._system.breakers.session == FRIDAY
    assert session.kinds("error") == []
