"""Orders, the fill rule, fees, cash, marks, margin and state of the simulated broker (hand-checked)."""
from __future__ import annotations

import json
import math
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.types import Contract, ContractKind, Leg, OrderStatus, Purpose
from offline.broker.fill_rules import BrokerSettings, FeeSchedule, fill_point, split_open_close
from tests.broker.fakes import (
    CONDOR,
    EXPIRY,
    LONG_CALL,
    LONG_PUT,
    MINUTE,
    SHORT_CALL,
    SHORT_PUT,
    T0,
    at,
    harness,
    intent,
    option,
    quote_condor,
    same_state,
)


def statuses(events):
    return [e.status for e in events]


def test_iron_condor_credit_fills_at_limit_with_four_dollars_of_fees():
    h = harness()
    quote_condor(h.market)
    order_id = h.broker.submit(intent(CONDOR, -1.20))
    assert order_id == "O000001"
    assert h.events == []  # events never arrive from inside submit
    h.broker.flush_events()
    assert statuses(h.events) == [OrderStatus.SUBMITTED]
    h.broker.process(T0 + MINUTE)
    fill = h.events[-1]
    assert (fill.status, fill.fill_quantity, fill.fill_price, fill.fees) == (OrderStatus.FILLED, 1, -1.20, 4.0)
    assert h.broker.cash == pytest.approx(30_000 + 120 - 4)
    assert {k: q for k, (_, q) in h.broker.holdings().items()} == {
        SHORT_PUT.key: -1, LONG_PUT.key: 1, SHORT_CALL.key: -1, LONG_CALL.key: 1}
    assert h.broker.open_order_ids() == []


def test_closing_the_condor_costs_no_fees():
    h = harness()
    quote_condor(h.market)
    h.broker.submit(intent(CONDOR, -1.20))
    h.broker.process(T0 + MINUTE)
    closing = [(c, -r) for c, r in CONDOR]  # debit: mid +1.25, natural +1.35, fill point +1.30
    h.broker.submit(intent(closing, 1.30, created=T0 + 2 * MINUTE, purpose=Purpose.CLOSE, intent_id="I2"))
    h.broker.process(T0 + 3 * MINUTE)
    fill = h.events[-1]
    assert (fill.status, fill.fill_price, fill.fees) == (OrderStatus.FILLED, 1.30, 0.0)
    assert h.broker.cash == pytest.approx(30_000 + 120 - 4 - 130)
    assert h.broker.holdings() == {}
    assert h.broker.net_liquidation() == pytest.approx(29_986.0)


def test_mes_strangle_opens_for_five_dollars_and_books_the_futures_multiplier():
    h = harness()
    put, call = option("MES", 5400, "put"), option("MES", 5600, "call")
    h.market.prices["MES"] = 5500.0
    h.market.set(put, 10.00, 10.50)
    h.market.set(call, 8.00, 8.50)  # mid -18.50, natural -18.00, fill point -18.25
    h.broker.submit(intent([(put, -1), (call, -1)], -18.25))
    h.broker.process(T0 + MINUTE)
    assert h.events[-1].fees == 5.0
    assert h.broker.cash == pytest.approx(30_000 + 18.25 * 5 - 5)
    margin = h.broker.margin_used()
    assert math.isfinite(margin) and margin > 18.5 * 5  # SPAN-like scenario loss exceeds the premium


def test_fee_schedule_by_product_and_direction():
    fees = FeeSchedule()
    assert fees.fee(option("SPY", 500, "put"), 3, 2) == 3.0
    assert fees.fee(option("SPX", 5000, "put"), 2, 0) == 2.0
    assert fees.fee(option("ES", 5000, "call"), 1, 4) == 2.5
    assert fees.fee(Contract("MES", ContractKind.FUTURE, EXPIRY), 1, 1) == 2.5
    assert fees.fee(Contract("SPY", ContractKind.EQUITY), 100, 0) == 0.0
    assert split_open_close(1, -3) == (2, 1)  # sell 3 against +1: one closes, two open
    assert split_open_close(-2, -1) == (1, 0)
    assert split_open_close(-2, 2) == (0, 2)
    assert split_open_close(0, 5) == (5, 0)


def test_futures_pay_fees_both_ways():
    h = harness()
    future = Contract("MES", ContractKind.FUTURE, EXPIRY)
    h.market.prices["MES"] = 5500.0
    h.market.set(future, 5499.75, 5500.25)
    h.broker.submit(intent([(future, 1)], 5500.25))  # fill point 5500.125: buy at the limit
    h.broker.process(T0 + MINUTE)
    assert h.broker.net_liquidation() == pytest.approx(30_000 - 0.25 * 5 - 1.25)  # marked at the mid
    h.broker.submit(intent([(future, -1)], -5499.75, created=T0 + MINUTE, purpose=Purpose.CLOSE))
    h.broker.process(T0 + 2 * MINUTE)
    assert [e.fees for e in h.events if e.status == OrderStatus.FILLED] == [1.25, 1.25]
    assert h.broker.cash == pytest.approx(30_000 - 0.5 * 5 - 2.5)


@pytest.mark.parametrize(("limit", "fills"), [(-1.21, False), (-1.2000001, False), (-1.20, True), (-1.19, True)])
def test_fill_rule_boundary(limit, fills):
    h = harness()
    quote_condor(h.market)
    h.broker.submit(intent(CONDOR, limit))
    h.broker.process(T0 + MINUTE)
    assert (h.events[-1].status == OrderStatus.FILLED) is fills
    if fills:
        assert h.events[-1].fill_price == limit


def test_fill_fraction_setting_moves_the_fill_point():
    h = harness(settings=BrokerSettings(fill_fraction=0.0))  # fills at the mid: -1.25
    quote_condor(h.market)
    h.broker.submit(intent(CONDOR, -1.25))
    h.broker.process(T0 + MINUTE)
    assert h.events[-1].status == OrderStatus.FILLED
    assert h.broker.cash == pytest.approx(30_000 + 125 - 4)


def test_limit_beyond_natural_fills_at_natural():
    h = harness()
    quote_condor(h.market)
    h.broker.submit(intent(CONDOR, -1.00))  # natural is -1.15
    h.broker.process(T0 + MINUTE)
    assert h.events[-1].fill_price == pytest.approx(-1.15)
    assert h.broker.cash == pytest.approx(30_000 + 115 - 4)


def test_no_fill_while_a_leg_has_no_quote_and_marks_stay_at_the_last_known_mid():
    h = harness()
    quote_condor(h.market)
    h.broker.submit(intent(CONDOR, -1.20))
    h.broker.process(T0 + MINUTE)
    net_liq = h.broker.net_liquidation()
    assert net_liq == pytest.approx(30_000 + 120 - 4 - 125)  # legs marked at mids: -1.25 x 100
    del h.market.quotes[LONG_CALL.key]
    h.market.set(SHORT_PUT, 3.00, 3.10)
    h.broker.process(T0 + 2 * MINUTE)
    assert h.broker.net_liquidation() == pytest.approx(net_liq - (3.05 - 2.025) * 100)
    h.broker.submit(intent([(LONG_CALL, -1)], -0.50, created=T0 + 2 * MINUTE, purpose=Purpose.CLOSE))
    h.broker.process(T0 + 3 * MINUTE)
    assert h.events[-1].status == OrderStatus.SUBMITTED


def test_net_liquidation_and_margin_after_a_condor():
    h = harness()
    quote_condor(h.market)
    h.broker.submit(intent(CONDOR, -1.20))
    h.broker.process(T0 + MINUTE)
    # one wing (5.00 x 100) minus the credit at current mids (1.25 x 100)
    assert h.broker.margin_used() == pytest.approx(500 - 125)
    assert h.broker.buying_power() == pytest.approx(29_991 - 375)


def test_naked_put_margin_is_reg_t():
    h = harness()
    quote_condor(h.market)
    h.broker.submit(intent([(SHORT_PUT, -1)], -2.0125))  # the fill point: mid -2.025, natural -2.00
    h.broker.process(T0 + MINUTE)
    assert h.events[-1].status == OrderStatus.FILLED
    # max(20% x 500 - 20 OTM, 10% x 480) = 80, plus the 2.025 premium, x 100
    assert h.broker.margin_used() == pytest.approx(8_202.5)


@pytest.mark.parametrize(("legs", "limit", "quantity", "text"), [
    ([(option("SPY", 470 + 5 * i, "put"), 1) for i in range(5)], 1.0, 1, "5 legs"),
    ([], 1.0, 1, "0 legs"),
    (CONDOR, 0.0, 1, "non-zero"),
    (CONDOR, math.nan, 1, "non-zero"),
    (CONDOR, -1.2, 0, "positive integer"),
    ([(SHORT_PUT, -1), (option("QQQ", 400, "put"), 1)], -1.0, 1, "one underlying"),
    ([(SHORT_PUT, -1), (SHORT_PUT, 1)], -1.0, 1, "distinct"),
    ([(option("XYZ", 10, "put"), -1)], -1.0, 1, "unknown product root"),
    ([(option("SPY", 480, "put", T0.date() - timedelta(days=1)), -1)], -1.0, 1, "expired"),
    ([(SHORT_CALL, -1), (Contract("SPY", ContractKind.EQUITY), 100)], 400.0, 1, "multipliers"),
])
def test_invalid_orders_are_rejected_as_events(legs, limit, quantity, text):
    h = harness()
    quote_condor(h.market)
    order_id = h.broker.submit(intent(legs, limit, quantity))
    h.broker.flush_events()
    assert len(h.events) == 1
    assert h.events[0].status == OrderStatus.REJECTED and h.events[0].order_id == order_id
    assert text in h.events[0].message
    assert h.broker.open_order_ids() == []
    assert h.broker.cash == 30_000


def test_an_order_sent_from_an_event_handler_gets_its_events_after_the_handler_returns():
    h = harness()
    quote_condor(h.market)
    log = []

    def on_event(event):
        log.append(("event", event.order_id, event.status))
        if event.status == OrderStatus.FILLED and event.order_id == "O000001":
            order_id = h.broker.submit(intent([(LONG_CALL, -1)], -0.55, created=T0 + MINUTE, purpose=Purpose.CLOSE))
            log.append(("submitted", order_id, None))

    h.broker = type(h.broker)(30_000.0, h.market.quote, h.market.underlying, on_event, h.assignments.append)
    h.broker.submit(intent(CONDOR, -1.20))
    h.broker.process(T0 + MINUTE)
    assert log == [("event", "O000001", OrderStatus.SUBMITTED), ("event", "O000001", OrderStatus.FILLED),
                   ("submitted", "O000002", None), ("event", "O000002", OrderStatus.SUBMITTED)]


def test_submit_needs_an_intent():
    with pytest.raises(TypeError, match="OrderIntent"):
        harness().broker.submit(None)  # type: ignore[arg-type]


def test_opening_order_beyond_buying_power_is_rejected_but_closing_passes():
    h = harness(cash=5_000.0)
    quote_condor(h.market)
    h.broker.submit(intent([(SHORT_PUT, -1)], -2.00))
    h.broker.flush_events()
    assert h.events[-1].status == OrderStatus.REJECTED
    assert "margin call avoidance" in h.events[-1].message and "8202.50" in h.events[-1].message
    h.broker.submit(intent([(LONG_PUT, 1)], 1.25))  # a long put needs only its premium
    h.broker.process(T0 + MINUTE)
    assert h.events[-1].status == OrderStatus.FILLED
    h.market.set(LONG_PUT, 0.01, 0.02)
    h.broker.submit(intent([(LONG_PUT, -1)], -0.01, purpose=Purpose.CLOSE, created=T0 + MINUTE))
    h.broker.flush_events()
    assert h.events[-1].status == OrderStatus.SUBMITTED


def test_opening_sells_are_refused_in_the_last_30_minutes_of_expiry_day():
    h = harness()
    quote_condor(h.market)
    late = at(EXPIRY, 15, 31)
    h.broker.submit(intent([(SHORT_PUT, -1)], -2.0, created=late))
    h.broker.flush_events()
    assert h.events[-1].status == OrderStatus.REJECTED and "15:30" in h.events[-1].message
    h.broker.submit(intent([(LONG_PUT, 1)], 1.25, created=late))  # buying is allowed
    h.broker.flush_events()
    assert h.events[-1].status == OrderStatus.SUBMITTED
    h.broker.submit(intent([(SHORT_PUT, -1)], -2.0, created=at(EXPIRY, 15, 29)))
    h.broker.flush_events()
    assert h.events[-1].status == OrderStatus.SUBMITTED


def test_update_limit_and_cancel():
    h = harness()
    quote_condor(h.market)
    order_id = h.broker.submit(intent(CONDOR, -1.30))
    h.broker.process(T0 + MINUTE)
    assert h.broker.open_order_ids() == [order_id]
    h.broker.update_limit(order_id, -1.20)
    h.broker.process(T0 + 2 * MINUTE)
    assert h.events[-1].status == OrderStatus.FILLED and h.events[-1].fill_price == -1.20
    h.broker.cancel(order_id)  # already filled: no event
    h.broker.update_limit(order_id, -1.0)
    h.broker.flush_events()
    assert len(h.events) == 2
    other = h.broker.submit(intent(CONDOR, -1.50, created=T0 + 2 * MINUTE, intent_id="I2"))
    h.broker.cancel(other)
    h.broker.flush_events()
    assert (h.events[-1].status, h.events[-1].intent_id) == (OrderStatus.CANCELLED, "I2")
    with pytest.raises(ValueError, match="unknown order id"):
        h.broker.cancel("O999999")
    with pytest.raises(ValueError, match="limit_price"):
        h.broker.update_limit(order_id, 0.0)


def test_partial_closing_leg_through_zero_pays_fee_on_the_opening_part():
    h = harness()
    quote_condor(h.market)
    h.broker.submit(intent([(LONG_PUT, 1)], 1.25))
    h.broker.process(T0 + MINUTE)
    h.broker.submit(intent([(LONG_PUT, -1)], -1.20, quantity=3, created=T0 + MINUTE))
    h.broker.process(T0 + 2 * MINUTE)
    assert h.events[-1].fees == 2.0
    assert h.broker.holdings()[LONG_PUT.key][1] == -2


def test_state_round_trip_resumes_exactly():
    h = harness()
    quote_condor(h.market)
    h.broker.submit(intent(CONDOR, -1.20))
    h.broker.process(T0 + MINUTE)
    h.broker.submit(intent([(LONG_CALL, -1)], -0.40, created=T0 + MINUTE, purpose=Purpose.CLOSE, intent_id="I2"))
    state = json.loads(json.dumps(h.broker.to_dict()))
    resumed = harness(market=h.market)
    resumed.broker = type(h.broker).from_dict(state, h.market.quote, h.market.underlying,
                                              resumed.events.append, resumed.assignments.append)
    assert same_state(resumed.broker, h.broker)
    assert resumed.broker.net_liquidation() == h.broker.net_liquidation()
    assert resumed.broker.margin_used() == h.broker.margin_used()
    for broker in (h.broker, resumed.broker):
        broker.process(T0 + 2 * MINUTE)
        assert broker.submit(intent(CONDOR, -1.0, created=T0 + 2 * MINUTE)) == "O000003"
    # the queued ack of the close and its fill arrive after the resume exactly as without the stop
    assert resumed.events == h.events[-2:] and resumed.events[-1].status == OrderStatus.FILLED
    assert same_state(resumed.broker, h.broker)
    with pytest.raises(ValueError, match="schema_version"):
        type(h.broker).from_dict({**state, "schema_version": 99}, h.market.quote, h.market.underlying,
                                 resumed.events.append, resumed.assignments.append)


@settings(max_examples=60, deadline=None)
@given(quantity=st.integers(1, 5),
       spreads=st.lists(st.integers(1, 10), min_size=4, max_size=4),
       fraction=st.sampled_from([0.0, 0.25, 0.5, 1.0]))
def test_round_trip_at_the_fill_points_costs_opening_fees_plus_spread(quantity, spreads, fraction):
    h = harness(settings=BrokerSettings(fill_fraction=fraction))
    h.market.prices["SPY"] = 500.0
    mids = [2.0, 1.2, 1.0, 0.6]
    for (contract, _), mid, spread in zip(CONDOR, mids, spreads):
        h.market.set(contract, mid - spread / 200, mid + spread / 200)
    quotes = [h.market.quotes[c.key] for c, _ in CONDOR]
    open_legs = [Leg(c, r) for c, r in CONDOR]
    close_legs = [Leg(c, -r) for c, r in CONDOR]
    open_point, _ = fill_point(open_legs, quotes, fraction)
    close_point, _ = fill_point(close_legs, quotes, fraction)
    h.broker.submit(intent(CONDOR, open_point, quantity))
    h.broker.process(T0 + MINUTE)
    h.broker.submit(intent([(c, -r) for c, r in CONDOR], close_point, quantity, created=T0 + MINUTE,
                           purpose=Purpose.CLOSE))
    h.broker.process(T0 + 2 * MINUTE)
    assert [e.status for e in h.events].count(OrderStatus.FILLED) == 2
    half_spread = sum(spreads) / 200  # each leg quoted at mid +/- spread / 200
    expected = -4.0 * quantity - 2 * fraction * half_spread * 100 * quantity
    assert h.broker.cash - 30_000 == pytest.approx(expected, abs=1e-4 * quantity)
    assert h.broker.holdings() == {} and h.broker.margin_used() == 0.0


@pytest.mark.parametrize("limit", [-1.20, -1.15, -1.10])  # fill point -1.20 (mid -1.25, natural -1.15)
def test_a_combo_fill_reports_leg_prices_within_each_quote_that_add_up_to_the_net(limit):
    h = harness()
    quote_condor(h.market)
    legs = tuple(Leg(c, r) for c, r in CONDOR)
    h.broker.submit(intent(CONDOR, limit))
    h.broker.process(T0 + MINUTE)
    fill = h.events[-1]
    assert fill.status == OrderStatus.FILLED and len(fill.leg_prices) == 4
    assert sum(leg.ratio * price for leg, price in zip(legs, fill.leg_prices)) == pytest.approx(fill.fill_price)
    for leg, price in zip(legs, fill.leg_prices):
        quote = h.market.quote(leg.contract, T0 + MINUTE)
        assert quote.bid - 1e-9 <= price <= quote.ask + 1e-9
    net_cash = -sum(leg.ratio * price * 100 for leg, price in zip(legs, fill.leg_prices))
    assert h.broker.cash == pytest.approx(30_000 + net_cash - fill.fees)
