"""The Broker port on LEAN: combo limit orders that obey Tastytrade's rules, fills back to the core."""
from __future__ import annotations

import ast
from datetime import date, datetime
from pathlib import Path

import pytest

from core.types import CALL, PUT, Contract, ContractKind, Leg, OrderEvent, OrderIntent, OrderStatus, Purpose
from lean_adapter.broker import LeanBroker, check_intent
from lean_adapter.clock import to_eastern
from lean_adapter.order_events import ComboTracker, EventRelay, assignment_from_event
from lean_adapter.symbols import SymbolBook, contract_from_symbol
from tests.lean_standin import scripted as f
from tests.lean_standin.scripted_algorithm import (
    FakeLean,
    QCAlgorithm,
    equity_symbol,
    index_symbol,
    option_symbol,
)

EXPIRY = date(2024, 8, 9)
NOW = datetime(2024, 8, 9, 10, 30)
REPO = Path(__file__).resolve().parents[2]


class Harness(QCAlgorithm):
    """An algorithm with only the broker wired, routing LEAN events like main.py does."""

    def __init__(self) -> None:
        self.lean = FakeLean(start=NOW)
        self.lean.attach(self)
        self.symbols = SymbolBook()
        self.tracker = ComboTracker()
        self.delivered: list[OrderEvent] = []
        self.problems: list[str] = []
        self.relay = EventRelay(self.delivered.append)
        self.broker = LeanBroker(self, self.symbols, self.tracker, self.relay, self.problems.append)
        self.spy = equity_symbol("SPY")
        self.lean.subscribe("equity", self.spy, f.Equity(self.spy, 530.0))

    def on_order_event(self, order_event: f.OrderEvent) -> None:
        if self.tracker.owns(order_event.order_id, order_event.symbol):
            self.relay.push(self.tracker.translate(order_event, to_eastern(self.time)))

    def on_data(self, slice: f.Slice) -> None:
        pass

    def contract(self, strike: float, right: str, bid: float, ask: float) -> Contract:
        symbol = option_symbol(self.spy, "SPY", EXPIRY, strike, right)
        self.lean.set_chain(f.Symbol("?SPY", f.SecurityIdentifier("SPY", f.SecurityType.OPTION, "usa"), self.spy, True), 530.0,
                            [f.OptionContract(symbol, bid, ask)])
        contract = self.symbols.remember(symbol)
        assert contract is not None
        return contract


def intent(legs: tuple[Leg, ...], limit: float, quantity: int = 1, purpose: Purpose = Purpose.OPEN) -> OrderIntent:
    return OrderIntent("I000001", "friday_0dte", purpose, legs, quantity, limit, to_eastern(NOW), "test",
                       max_loss_per_unit=500.0, margin_per_unit=500.0)


@pytest.fixture
def harness() -> Harness:
    return Harness()


def iron_condor(h: Harness) -> tuple[Leg, ...]:
    return (Leg(h.contract(510, PUT, 0.30, 0.32), 1), Leg(h.contract(520, PUT, 0.95, 0.98), -1),
            Leg(h.contract(540, CALL, 0.90, 0.93), -1), Leg(h.contract(550, CALL, 0.25, 0.27), 1))


def test_iron_condor_goes_out_as_one_combo_limit_order_with_a_negative_credit_limit(harness: Harness) -> None:
    order_id = harness.broker.submit(intent(iron_condor(harness), -1.25, quantity=2))
    group = harness.lean.open_groups()[0]
    assert order_id == str(group[0].order_id)
    assert [(t.symbol.id.strike_price, t.quantity) for t in group] == [(510, 2), (520, -2), (540, -2), (550, 2)]
    assert harness.lean.limits[group[0].order_id] == -1.25
    assert harness.broker.open_order_ids() == [order_id]
    assert harness.delivered == []  # LEAN's SUBMITTED reports are not core events


def test_a_debit_keeps_a_positive_limit_and_one_leg_becomes_a_limit_order(harness: Harness) -> None:
    put = harness.contract(450, PUT, 9.80, 10.20)
    harness.broker.submit(intent((Leg(put, 1),), 10.0, quantity=3))
    ticket = harness.lean.open_groups()[0][0]
    assert (ticket.quantity, harness.lean.limits[ticket.order_id]) == (3, 10.0)
    short = harness.contract(440, PUT, 7.00, 7.20)
    harness.broker.submit(intent((Leg(short, -1),), -7.10))
    ticket = harness.lean.open_groups()[1][0]
    assert (ticket.quantity, harness.lean.limits[ticket.order_id]) == (-1, 7.10)


@pytest.mark.parametrize(("limit", "message"), [(0.0, "limit price 0.0 refused"), (float("nan"), "refused"),
                                                 (-0.0, "refused")])
def test_a_zero_or_missing_limit_is_refused_before_sending(harness: Harness, limit: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        harness.broker.submit(intent(iron_condor(harness), limit))
    assert harness.lean.tickets == {}


def test_more_than_four_legs_and_non_reduced_ratios_are_refused(harness: Harness) -> None:
    legs = iron_condor(harness) + (Leg(harness.contract(500, PUT, 0.1, 0.12), 1),)
    with pytest.raises(ValueError, match="5 legs"):
        harness.broker.submit(intent(legs, -1.0))
    two_by_four = (Leg(harness.contract(505, PUT, 0.2, 0.22), 2), Leg(harness.contract(515, PUT, 0.6, 0.62), -4))
    with pytest.raises(ValueError, match="common divisor 2"):
        harness.broker.submit(intent(two_by_four, -1.0))
    assert harness.lean.tickets == {}


def test_other_malformed_intents_are_refused(harness: Harness) -> None:
    put = harness.contract(450, PUT, 9.8, 10.2)
    with pytest.raises(ValueError, match="more than one leg"):
        check_intent(intent((Leg(put, 1), Leg(put, -1)), 0.5))
    with pytest.raises(ValueError, match="positive integer"):
        check_intent(intent((Leg(put, 1),), 10.0, quantity=0))
    with pytest.raises(ValueError, match="needs a positive net limit"):
        check_intent(intent((Leg(put, 1),), -10.0))
    unknown = Contract("SPY", ContractKind.OPTION, EXPIRY, 300.0, PUT)
    with pytest.raises(ValueError, match="no LEAN symbol known"):
        harness.broker.submit(intent((Leg(unknown, 1),), 1.0))


def test_price_improvement_moves_the_combo_limit_and_a_zero_step_is_refused(harness: Harness) -> None:
    order_id = harness.broker.submit(intent(iron_condor(harness), -1.25))
    harness.broker.update_limit(order_id, -1.20)
    assert harness.lean.limits[int(order_id)] == -1.20
    with pytest.raises(ValueError, match="refused"):
        harness.broker.update_limit(order_id, 0.0)
    assert harness.lean.limits[int(order_id)] == -1.20


@pytest.mark.parametrize("live", [False, True])
def test_a_combo_is_cancelled_through_its_first_leg_and_the_core_hears_one_cancellation(harness: Harness,
                                                                                        live: bool) -> None:
    """LEAN cancels a whole combo on one request: the backtest brokerage cancels every order of the
    group (BacktestingBrokerage.cs:192-228), Tastytrade the complex order by the first leg's id
    (TastytradeBrokerage.Brokerage.cs:447-470). Live, a request per leg would reach the broker again
    for an order already cancelled and log "Brokerage failed to cancel order"."""
    harness.lean.live_mode = live
    order_id = harness.broker.submit(intent(iron_condor(harness), -1.25))
    harness.broker.cancel(order_id)
    harness.broker.cancel(order_id)  # the core may ask again before the cancel is reported
    assert harness.lean.cancel_requests == [int(order_id)]
    harness.lean.deliver_cancels()
    assert all(t.status == f.OrderStatus.CANCELED for t in harness.lean.tickets.values())
    assert [(e.order_id, e.status, e.fill_quantity) for e in harness.delivered] == [
        (order_id, OrderStatus.CANCELLED, 0)]
    assert harness.broker.open_order_ids() == []
    assert not any("failed to cancel" in line for line in harness.lean.logs)


def test_a_combo_fill_is_one_core_fill_at_the_net_price_with_all_fees(harness: Harness) -> None:
    order_id = harness.broker.submit(intent(iron_condor(harness), -1.25, quantity=2))
    net = harness.lean.fill(harness.lean.open_groups()[0])
    assert len(harness.delivered) == 1
    event = harness.delivered[0]
    assert (event.order_id, event.status, event.fill_quantity) == (order_id, OrderStatus.FILLED, 2)
    assert event.fill_price == pytest.approx(net) == pytest.approx(-1.25)
    assert event.fees == pytest.approx(8.0)  # 4 legs x 2 contracts x $1
    held = harness.broker.holdings()
    assert {k: q for k, (_, q) in held.items()} == {"SPY 2024-08-09 P 510": 2, "SPY 2024-08-09 P 520": -2,
                                                    "SPY 2024-08-09 C 540": -2, "SPY 2024-08-09 C 550": 2}


def test_partial_fills_report_units_and_their_own_prices(harness: Harness) -> None:
    order_id = harness.broker.submit(intent(iron_condor(harness), -1.25, quantity=3))
    group = harness.lean.open_groups()[0]
    harness.lean.fill(group, units=1)
    harness.lean.limits[group[0].order_id] = -1.15
    harness.lean.fill(group, units=2)
    assert [(e.status, e.fill_quantity) for e in harness.delivered] == [
        (OrderStatus.PARTIALLY_FILLED, 1), (OrderStatus.FILLED, 2)]
    assert harness.delivered[0].fill_price == pytest.approx(-1.25)
    assert harness.delivered[1].fill_price == pytest.approx(-1.15)
    for event in harness.delivered:  # the legs of each event's own units add up to its net price
        assert len(event.leg_prices) == 4
        assert sum(r * p for r, p in zip((1, -1, -1, 1), event.leg_prices)) == pytest.approx(event.fill_price)
    assert sum(e.fill_price * e.fill_quantity for e in harness.delivered) == pytest.approx(-1.25 - 2 * 1.15)
    assert harness.broker.open_order_ids() == [] and order_id


def test_a_rejection_during_the_order_call_reaches_the_core_after_submit_returns(harness: Harness) -> None:
    harness.lean.reject_next = True
    with harness.relay.holding():  # the core is running while it submits
        order_id = harness.broker.submit(intent(iron_condor(harness), -1.25))
        assert harness.delivered == []
    assert [(e.order_id, e.status) for e in harness.delivered] == [(order_id, OrderStatus.REJECTED)]


def test_account_figures_come_from_the_portfolio(harness: Harness) -> None:
    harness.lean.margin_used = 1234.5
    assert harness.broker.net_liquidation() == pytest.approx(30_000.0)
    assert harness.broker.margin_used() == 1234.5


def test_assignments_translate_to_core_assignment_events(harness: Harness) -> None:
    put = option_symbol(harness.spy, "SPY", EXPIRY, 520.0, PUT)
    early = assignment_from_event(f.order_event(99, put, NOW, f.OrderStatus.FILLED, 0.0, 1, is_assignment=True),
                                  515.0, to_eastern(datetime(2024, 8, 8, 16, 0)))
    assert early is not None
    assert (early.quantity, early.underlying_quantity, early.cash, early.reason) == (-1, 100, -52_000.0,
                                                                                       "early_assignment")
    call = option_symbol(index_symbol("SPX"), "SPXW", EXPIRY, 5300.0, CALL)
    settled = assignment_from_event(f.order_event(98, call, NOW, f.OrderStatus.FILLED, 0.0, -1, is_in_the_money=True),
                                    5310.0, to_eastern(NOW))
    assert settled is not None
    assert (settled.contract.root, settled.underlying_quantity, settled.cash, settled.reason) == (
        "SPXW", 0, pytest.approx(1_000.0), "cash_settlement")
    worthless = assignment_from_event(f.order_event(97, put, NOW, f.OrderStatus.FILLED, 0.0, 1), 530.0, to_eastern(NOW))
    assert worthless is not None and (worthless.cash, worthless.reason) == (0.0, "expired_worthless")
    assert assignment_from_event(f.order_event(96, harness.spy, NOW, f.OrderStatus.FILLED, 530.0, 100),
                                 None, to_eastern(NOW)) is None


def test_symbols_translate_by_underlying_root() -> None:
    future = f.Symbol("ES 240920", f.SecurityIdentifier("ES", f.SecurityType.FUTURE, "cme", datetime(2024, 9, 20)))
    gold_option = f.Symbol("OG 240827C02500000", f.SecurityIdentifier(
        "OG", f.SecurityType.FUTURE_OPTION, "cme", datetime(2024, 8, 27), 2500.0, f.OptionRight.CALL), future)
    contract = contract_from_symbol(gold_option)
    assert contract == Contract("ES", ContractKind.OPTION, date(2024, 8, 27), 2500.0, CALL)
    assert contract_from_symbol(future) == Contract("ES", ContractKind.FUTURE, date(2024, 9, 20))
    assert contract_from_symbol(index_symbol("VIX")) is None


LEAN_SIDE = ["main.py", "lean_adapter", "core", "strategies", "risk", "greeks", "helpers", "reporting", "config"]
FORBIDDEN_CALLS = {"combo_market_order", "ComboMarketOrder", "market_order", "MarketOrder", "buy", "sell", "Buy", "Sell"}


def forbidden_uses(source: str) -> list[int]:
    """Lines that call a market/strategy order method or name OptionStrategies (code only, not text)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        calls_forbidden = (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                           and node.func.attr in FORBIDDEN_CALLS)
        names_strategies = (isinstance(node, ast.Name) and node.id == "OptionStrategies") or (
            isinstance(node, ast.Attribute) and node.attr == "OptionStrategies")
        if calls_forbidden or names_strategies:
            lines.append(node.lineno)
    return lines


def test_the_scan_finds_market_combos_and_option_strategy_orders() -> None:
    assert forbidden_uses("self.combo_market_order(legs, 1)\nself.buy(OptionStrategies.straddle(s, 1, e), 1)") == [
        1, 2, 2]
    assert forbidden_uses("x = 'self.combo_market_order(legs, 1)'") == []


def test_nothing_inside_lean_sends_market_combos_or_option_strategy_orders() -> None:
    offenders = []
    for entry in LEAN_SIDE:
        path = REPO / entry
        for source in [path] if path.is_file() else sorted(path.rglob("*.py")):
            offenders += [f"{source.relative_to(REPO)}:{line}" for line in forbidden_uses(source.read_text())]
    assert offenders == []


@pytest.mark.parametrize("combo", [True, False])
def test_an_order_refused_by_leans_pre_order_checks_is_a_rejection_for_the_core(harness: Harness,
                                                                                 combo: bool) -> None:
    """LEAN's pre-order checks (price 0, no data yet, ...) return one invalid ticket with order id
    -10 and raise no order event (QCAlgorithm.Trading.cs:980-984 and :1016-1024): the core gets a
    REJECTED event for the order id submit returned, after its own call, and nothing is tracked."""
    legs = iron_condor(harness) if combo else (Leg(harness.contract(450, PUT, 9.80, 10.20), 1),)
    limit = -1.25 if combo else 10.0
    with harness.relay.holding():  # as main.py calls the core
        harness.lean.refuse_next = "security has no data"
        first = harness.broker.submit(intent(legs, limit))
        assert harness.delivered == []  # held until the core call returns
    assert first == "refused-I000001"
    assert [(e.order_id, e.intent_id, e.status) for e in harness.delivered] == [
        ("refused-I000001", "I000001", OrderStatus.REJECTED)]
    assert "security has no data" in harness.delivered[0].message
    assert harness.broker.open_order_ids() == [] and harness.lean.tickets == {}
    second = harness.broker.submit(intent(legs, limit))  # the next order goes out normally
    assert second == str(harness.lean.open_groups()[0][0].order_id)
    assert harness.broker.open_order_ids() == [second]


def test_a_credit_combo_fills_under_leans_combo_limit_rule_at_the_legs_bar_prices(harness: Harness) -> None:
    """The adapter sends a credit as a positive quantity with a negative limit: LEAN's fill model
    then treats the group as a Buy and fills only when the sum of ratio x bar Low is below the
    limit, each leg at its Low (FillModel.cs:190-208, 1243-1258). The core hears the real net."""
    legs = iron_condor(harness)
    order_id = harness.broker.submit(intent(legs, -1.25, quantity=2))
    group = harness.lean.open_groups()[0]
    symbols = [t.symbol for t in group]  # 510P +1, 520P -1, 540C -1, 550C +1

    def bar(prices: tuple[float, ...]) -> dict[f.Symbol, float]:
        return dict(zip(symbols, prices, strict=True))

    assert not harness.lean.lean_combo_fill(group, bar((0.32, 0.95, 0.85, 0.28)), {})  # net -1.20: no fill
    assert harness.delivered == []
    assert harness.lean.lean_combo_fill(group, bar((0.30, 0.97, 0.90, 0.25)), {})  # net -1.32 < -1.25
    assert [(e.order_id, e.status, e.fill_quantity) for e in harness.delivered] == [(order_id, OrderStatus.FILLED, 2)]
    assert harness.delivered[0].fill_price == pytest.approx(-1.32)  # a credit of 1.32, more than asked
    # each leg's own price reaches the core (the trade log's per-leg prices), in the intent's leg order
    assert harness.delivered[0].leg_prices == pytest.approx((0.30, 0.97, 0.90, 0.25))
