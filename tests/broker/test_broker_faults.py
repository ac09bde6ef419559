"""Each broker fault produces the events its documentation promises, reproducibly."""
from __future__ import annotations

import json

import pytest

from core.types import OrderStatus, Purpose
from offline.broker.faults import BrokerFaults
from offline.broker.fill_rules import BrokerSettings
from tests.broker.fakes import (
    CONDOR,
    MINUTE,
    SHORT_PUT,
    T0,
    at,
    harness,
    intent,
    option,
    quote_condor,
    same_state,
)


def faulty(**faults):
    h = harness(settings=BrokerSettings(faults=BrokerFaults(**faults)))
    quote_condor(h.market)
    return h


def kinds(events):
    return [(e.status, e.fill_quantity) for e in events]


def test_faults_are_off_by_default():
    assert BrokerSettings().faults == BrokerFaults()
    assert BrokerFaults().reject_probability == 0.0 and not BrokerFaults().partial_fill


def test_reject_probability_one_rejects_every_order():
    h = faulty(reject_probability=1.0)
    h.broker.submit(intent(CONDOR, -1.20))
    h.broker.flush_events()
    assert kinds(h.events) == [(OrderStatus.REJECTED, 0)]
    assert h.events[0].message.startswith("fault:")


def test_cancel_probability_one_cancels_before_any_fill():
    h = faulty(cancel_probability=1.0)
    h.broker.submit(intent(CONDOR, -1.20))
    h.broker.process(T0 + MINUTE)
    assert kinds(h.events) == [(OrderStatus.SUBMITTED, 0), (OrderStatus.CANCELLED, 0)]
    assert h.broker.holdings() == {}


def test_partial_fill_fills_in_two_events():
    h = faulty(partial_fill=True)
    h.broker.submit(intent(CONDOR, -1.20, quantity=3))
    h.broker.process(T0 + MINUTE)
    h.broker.process(T0 + 2 * MINUTE)
    assert kinds(h.events) == [(OrderStatus.SUBMITTED, 0), (OrderStatus.PARTIALLY_FILLED, 1), (OrderStatus.FILLED, 2)]
    assert [e.fees for e in h.events[1:]] == [4.0, 8.0]
    assert h.broker.cash == pytest.approx(30_000 + 3 * 120 - 12)
    single = faulty(partial_fill=True)
    single.broker.submit(intent(CONDOR, -1.20))
    single.broker.process(T0 + MINUTE)
    assert kinds(single.events)[-1] == (OrderStatus.FILLED, 1)


def test_no_fill_never_fills_until_cancelled():
    h = faulty(no_fill=True)
    order_id = h.broker.submit(intent(CONDOR, -0.50))  # far beyond the natural price
    for minute in range(1, 6):
        h.broker.process(T0 + minute * MINUTE)
    assert h.broker.open_order_ids() == [order_id]
    h.broker.cancel(order_id)
    h.broker.flush_events()
    assert kinds(h.events) == [(OrderStatus.SUBMITTED, 0), (OrderStatus.CANCELLED, 0)]


def test_worse_fill_ticks_needs_a_limit_one_tick_further():
    h = faulty(worse_fill_ticks=1)  # fill point -1.20 + 0.01 = -1.19
    order_id = h.broker.submit(intent(CONDOR, -1.20))
    h.broker.process(T0 + MINUTE)
    assert h.broker.open_order_ids() == [order_id]
    h.broker.update_limit(order_id, -1.19)
    h.broker.process(T0 + 2 * MINUTE)
    assert (h.events[-1].status, h.events[-1].fill_price) == (OrderStatus.FILLED, -1.19)


def test_early_assignment_probability_one_assigns_any_in_the_money_short():
    h = faulty(early_assignment_probability=1.0)
    put = option("SPY", 510, "put")  # 10 in the money, 18 DTE, extrinsic 3.00: no rule applies
    h.market.set(put, 12.95, 13.05)
    h.broker.submit(intent([(put, -1)], -12.975))  # the fill point: mid -13.00, natural -12.95
    h.broker.process(T0 + MINUTE)
    h.broker.check_early_assignment(at(T0.date(), 16), {}, 0.0)
    assert [(e.reason, e.underlying_quantity) for e in h.assignments] == [("early_assignment", 100)]


def test_duplicate_events_delivers_every_event_twice():
    h = faulty(duplicate_events=True)
    h.broker.submit(intent(CONDOR, -1.20))
    h.broker.process(T0 + MINUTE)
    assert kinds(h.events) == [(OrderStatus.SUBMITTED, 0)] * 2 + [(OrderStatus.FILLED, 1)] * 2
    assert h.broker.cash == pytest.approx(30_000 + 116)  # booked once


def test_out_of_order_events_deliver_the_fill_before_the_ack():
    h = faulty(out_of_order_events=True)
    h.broker.submit(intent(CONDOR, -1.20))
    h.broker.flush_events()
    assert h.events == []  # the ack is held back
    h.broker.process(T0 + MINUTE)
    assert kinds(h.events) == [(OrderStatus.FILLED, 1), (OrderStatus.SUBMITTED, 0)]


def test_forced_margin_call_cancels_orders_and_liquidates_at_natural():
    h = faulty()
    h.broker.submit(intent(CONDOR, -1.20))
    h.broker.process(T0 + MINUTE)
    working = h.broker.submit(intent([(SHORT_PUT, -1)], -3.0, created=T0 + MINUTE, intent_id="I2"))
    ids = h.broker.force_margin_call(T0 + 2 * MINUTE)
    assert h.events[3].order_id == working and h.events[3].status == OrderStatus.CANCELLED
    fills = h.events[4:]
    assert [e.order_id for e in fills] == ids and len(ids) == 4
    assert all(e.intent_id == "margin_call" and e.status == OrderStatus.FILLED and e.fees == 0.0 for e in fills)
    # buy back the shorts at the ask (2.05 + 1.05), sell the longs at the bid (1.20 + 0.55)
    assert sorted(e.fill_price for e in fills) == [-1.20, -0.55, 1.05, 2.05]
    assert h.broker.cash == pytest.approx(30_000 + 116 - (2.05 + 1.05 - 1.20 - 0.55) * 100)
    assert h.broker.holdings() == {} and h.broker.open_order_ids() == []


def test_seeded_faults_are_reproducible_and_survive_a_state_round_trip():
    def run(broker_harness, start):
        for minute in range(start, start + 20):
            broker_harness.broker.submit(intent(CONDOR, -1.20, created=T0 + minute * MINUTE,
                                                purpose=Purpose.OPEN, intent_id=f"I{minute}"))
            broker_harness.broker.process(T0 + minute * MINUTE)
        return [(e.order_id, e.status) for e in broker_harness.events]

    settings = BrokerSettings(faults=BrokerFaults(reject_probability=0.3, cancel_probability=0.3, seed=7))
    first, second = harness(cash=1e7, settings=settings), harness(cash=1e7, settings=settings)
    for h in (first, second):
        quote_condor(h.market)
    assert run(first, 0) == run(second, 0)
    statuses = {e.status for e in first.events}
    assert {OrderStatus.REJECTED, OrderStatus.CANCELLED, OrderStatus.FILLED} <= statuses
    state = json.loads(json.dumps(first.broker.to_dict()))
    resumed = harness(cash=0.0, settings=settings, market=first.market)
    resumed.broker = type(first.broker).from_dict(state, first.market.quote, first.market.underlying,
                                                  resumed.events.append, resumed.assignments.append, settings)
    already = len(first.events)
    assert run(resumed, 20) == run(first, 20)[already:]
    assert same_state(resumed.broker, first.broker)


@pytest.mark.parametrize("kwargs", [{"reject_probability": 1.5}, {"cancel_probability": -0.1},
                                    {"early_assignment_probability": float("nan")}, {"worse_fill_ticks": -1}])
def test_bad_fault_settings_are_refused(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        BrokerFaults(**kwargs)
