"""Expiry, exercise, early assignment and dividends (offline/broker/settlement.py), through the simulated
broker and directly (hand-checked numbers)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.types import Contract, ContractKind, OrderStatus
from offline.broker.fill_rules import BrokerSettings
from offline.broker.settlement import dividend_cash, early_assignments, expiry_settlements, intrinsic_value
from tests.broker.fakes import EXPIRY, MINUTE, T0, Harness, at, harness, intent, option

CLOSE = at(EXPIRY, 16, 0)
SHARES = Contract("SPY", ContractKind.EQUITY)


def hold(h: Harness, contract: Contract, ratio: int, bid: float, ask: float, underlying: float) -> None:
    """Put one position on through an order filled at the mid (fill_fraction 0 in these tests)."""
    h.market.prices[contract.root] = underlying
    h.market.set(contract, bid, ask)
    h.broker.submit(intent([(contract, ratio)], ratio * (bid + ask) / 2))
    h.broker.process(T0 + MINUTE)
    assert h.events[-1].status == OrderStatus.FILLED


def mid_harness(cash: float = 100_000.0) -> Harness:
    return harness(cash=cash, settings=BrokerSettings(fill_fraction=0.0))


def test_spx_short_put_ten_points_in_the_money_settles_for_minus_1000():
    h = mid_harness()
    put = option("SPX", 5000, "put")
    hold(h, put, -1, 20.0, 21.0, 5100.0)
    cash = h.broker.cash
    h.market.prices["SPX"] = 4990.0
    h.broker.settle_expiries(EXPIRY, CLOSE)
    event = h.assignments[-1]
    assert (event.reason, event.quantity, event.cash, event.underlying_quantity) == ("cash_settlement", -1, -1000.0, 0)
    assert h.broker.cash == pytest.approx(cash - 1000)
    assert h.broker.holdings() == {}


def test_mes_long_call_cash_settles_with_multiplier_five():
    h = mid_harness()
    call = option("MES", 5500, "call")
    hold(h, call, 1, 30.0, 31.0, 5520.0)
    cash = h.broker.cash
    h.market.prices["MES"] = 5512.5
    h.broker.settle_expiries(EXPIRY, CLOSE)
    assert h.assignments[-1].cash == pytest.approx(12.5 * 5)
    assert h.broker.cash == pytest.approx(cash + 62.5)


def test_spy_short_put_in_the_money_is_assigned_100_shares_at_the_strike():
    h = mid_harness()
    put = option("SPY", 500, "put")
    hold(h, put, -1, 3.0, 3.1, 502.0)
    cash = h.broker.cash
    h.market.prices["SPY"] = 495.0
    h.broker.settle_expiries(EXPIRY, CLOSE)
    event = h.assignments[-1]
    assert (event.reason, event.quantity, event.underlying_quantity, event.cash) == (
        "expiry_exercise", -1, 100, -50_000.0)
    assert h.broker.holdings() == {"SPY": (SHARES, 100)}
    assert h.broker.cash == pytest.approx(cash - 50_000)
    # shares marked at the underlying: the assignment lost (500 - 495) x 100 against the strike
    assert h.broker.net_liquidation() == pytest.approx(cash - 50_000 + 49_500)
    assert h.broker.margin_used() == pytest.approx(0.5 * 49_500)  # Reg-T 50% of the shares


def test_spy_short_call_assigned_delivers_shares_and_long_call_is_exercised():
    h = mid_harness()
    short_call, long_call = option("SPY", 510, "call"), option("SPY", 505, "call")
    hold(h, short_call, -2, 1.0, 1.1, 500.0)
    hold(h, long_call, 1, 2.0, 2.1, 500.0)
    cash = h.broker.cash
    h.market.prices["SPY"] = 515.0
    h.broker.settle_expiries(EXPIRY, CLOSE)
    moved = {(e.contract.strike, e.underlying_quantity, e.cash) for e in h.assignments}
    assert moved == {(510, -200, 102_000.0), (505, 100, -50_500.0)}
    assert h.broker.holdings() == {"SPY": (SHARES, -100)}
    assert h.broker.cash == pytest.approx(cash + 102_000 - 50_500)


def test_out_of_the_money_and_barely_in_the_money_options_expire_worthless():
    h = mid_harness()
    otm, barely = option("SPY", 490, "put"), option("SPY", 500, "call")
    hold(h, otm, -1, 1.0, 1.1, 500.0)
    hold(h, barely, -1, 1.0, 1.1, 500.0)
    cash = h.broker.cash
    h.market.prices["SPY"] = 500.005  # the call is 0.005 in the money, below the $0.01 rule
    h.broker.settle_expiries(EXPIRY, CLOSE)
    assert [e.reason for e in h.assignments] == ["expired_worthless", "expired_worthless"]
    assert h.broker.cash == cash and h.broker.holdings() == {}
    assert h.broker.net_liquidation() == pytest.approx(cash)


def test_every_working_order_expires_at_the_close():
    """DAY orders (SPEC section 9): at the session's close every working order ends, on an expiring
    contract or not, before the expiries settle; none works overnight."""
    h = mid_harness()
    today, later = option("SPY", 500, "put"), option("SPY", 500, "put", EXPIRY + timedelta(days=7))
    h.market.prices["SPY"] = 500.0
    h.market.set(today, 1.0, 1.1)
    h.market.set(later, 3.0, 3.1)
    first = h.broker.submit(intent([(today, 1)], 0.5))
    second = h.broker.submit(intent([(later, 1)], 0.5, intent_id="I2"))
    h.broker.settle_expiries(EXPIRY, CLOSE)
    assert h.broker.open_order_ids() == []
    cancels = [(e.order_id, e.status, e.time, e.message) for e in h.events if e.status == OrderStatus.CANCELLED]
    assert cancels == [(first, OrderStatus.CANCELLED, CLOSE, "day order expired at the close"),
                       (second, OrderStatus.CANCELLED, CLOSE, "day order expired at the close")]


def test_missing_settlement_price_raises_and_changes_nothing():
    h = mid_harness()
    put = option("SPX", 5000, "put")
    hold(h, put, -1, 20.0, 21.0, 5100.0)
    before = h.broker.to_dict()
    del h.market.prices["SPX"]
    with pytest.raises(ValueError, match="SPX"):
        h.broker.settle_expiries(EXPIRY, CLOSE)
    assert h.broker.to_dict()["holdings"] == before["holdings"] and h.assignments == []


def test_short_call_assigned_before_ex_dividend_and_dividend_debited():
    # SPY went ex-dividend on Friday 2024-06-21 (1.7594 USD); the session before is 2024-06-20.
    h = mid_harness()
    call = option("SPY", 530, "call", date(2024, 6, 28))
    hold(h, call, -1, 20.0, 21.0, 549.0)
    dividends = {"SPY": [(date(2024, 6, 21), 1.7594)]}
    h.market.set(call, 19.9, 20.1)  # mid 20.00, intrinsic 549.5 - 530 = 19.50, extrinsic 0.50 < 1.76
    h.market.prices["SPY"] = 549.5
    cash = h.broker.cash
    h.broker.check_early_assignment(at(date(2024, 6, 20), 16), dividends, 0.0)
    event = h.assignments[-1]
    assert (event.reason, event.underlying_quantity, event.cash) == ("early_assignment", -100, 53_000.0)
    assert h.broker.cash == pytest.approx(cash + 53_000)
    assert h.broker.apply_dividends(date(2024, 6, 21), dividends) == pytest.approx(-175.94)
    assert h.broker.cash == pytest.approx(cash + 53_000 - 175.94)
    assert h.broker.apply_dividends(date(2024, 6, 24), dividends) == 0.0


def test_call_with_more_extrinsic_than_the_dividend_is_not_assigned():
    h = mid_harness()
    call = option("SPY", 530, "call", date(2024, 6, 28))
    hold(h, call, -1, 21.0, 22.0, 549.5)  # extrinsic 21.50 - 19.50 = 2.00 > 1.76
    h.broker.check_early_assignment(at(date(2024, 6, 20), 16), {"SPY": [(date(2024, 6, 21), 1.7594)]}, 0.0)
    assert h.assignments == []
    h.broker.check_early_assignment(at(date(2024, 6, 18), 16), {"SPY": [(date(2024, 6, 21), 1.7594)]}, 0.0)
    assert h.assignments == []  # two sessions before the ex-date (06-19 is a holiday: next is 06-20)


def test_deep_in_the_money_short_put_near_expiry_is_assigned_early():
    h = mid_harness()
    near, far = option("SPY", 500, "put", date(2024, 6, 20)), option("SPY", 500, "put", date(2024, 6, 21))
    hold(h, near, -1, 20.02, 20.04, 480.0)  # DTE 2 on 06-18, extrinsic 0.03 < 0.05
    hold(h, far, -1, 20.02, 20.04, 480.0)  # DTE 3: kept
    cash = h.broker.cash
    h.broker.check_early_assignment(at(date(2024, 6, 18), 16), {}, 0.0)
    assert [(e.contract, e.reason, e.underlying_quantity) for e in h.assignments] == [
        (near, "early_assignment", 100)]
    assert h.broker.cash == pytest.approx(cash - 50_000)
    assert h.broker.holdings()[far.key][1] == -1


def test_short_put_worth_less_alive_than_the_interest_on_its_strike_is_assigned_early():
    # 500 puts 30 days out, SPY 470: the holder who exercises now earns 500 (1 - e^(-0.05 x 30/365))
    # = 2.04 of interest until expiry; one with 1.00 of extrinsic value left exercises, one with 2.50 not
    h = mid_harness()
    cheap, rich = option("SPY", 500, "put", date(2024, 7, 18)), option("SPY", 500, "put", date(2024, 7, 19))
    hold(h, cheap, -1, 30.9, 31.1, 470.0)  # mark 31.00, intrinsic 30.00, extrinsic 1.00 < 2.04
    hold(h, rich, -1, 32.4, 32.6, 470.0)  # extrinsic 2.50 > 2.05 (31 days)
    h.broker.check_early_assignment(at(date(2024, 6, 18), 16), {}, 0.05)
    assert [(e.contract, e.reason, e.underlying_quantity) for e in h.assignments] == [
        (cheap, "early_assignment", 100)]
    assert h.broker.holdings()[rich.key][1] == -1


def test_without_interest_a_put_with_time_value_is_not_assigned_early():
    h = mid_harness()
    put = option("SPY", 500, "put", date(2024, 7, 18))
    hold(h, put, -1, 30.9, 31.1, 470.0)
    h.broker.check_early_assignment(at(date(2024, 6, 18), 16), {}, 0.0)
    assert h.assignments == []
    with pytest.raises(ValueError, match="rate"):
        h.broker.check_early_assignment(at(date(2024, 6, 18), 16), {}, float("nan"))


def test_index_options_and_long_options_are_never_assigned_early():
    h = mid_harness()
    spx, long_put = option("SPX", 5000, "put", date(2024, 6, 20)), option("SPY", 500, "put", date(2024, 6, 20))
    hold(h, spx, -1, 199.9, 200.1, 4800.0)
    hold(h, long_put, 1, 19.9, 20.1, 480.0)
    h.broker.check_early_assignment(at(date(2024, 6, 18), 16), {}, 0.0)
    assert h.assignments == []


def test_bad_dividend_amount_is_refused():
    h = mid_harness()
    call = option("SPY", 530, "call", date(2024, 6, 28))
    hold(h, call, -1, 20.0, 21.0, 549.0)
    with pytest.raises(ValueError, match="dividends"):
        h.broker.check_early_assignment(at(date(2024, 6, 20), 16), {"SPY": [(date(2024, 6, 21), -1.0)]}, 0.0)


@pytest.mark.parametrize(("right", "spot", "value"), [("call", 105.0, 5.0), ("call", 95.0, 0.0),
                                                       ("put", 95.0, 5.0), ("put", 105.0, 0.0)])
def test_intrinsic_value(right, spot, value):
    assert intrinsic_value(option("SPY", 100, right), spot) == value


def test_expiry_settlements_check_every_price_before_yielding_anything():
    spy_put, spx_put = option("SPY", 500, "put"), option("SPX", 5000, "put")
    holdings = {spx_put.key: (spx_put, -1), spy_put.key: (spy_put, -1)}
    asked = []

    def underlying(root, now):
        asked.append(root)
        return {"SPY": 495.0}.get(root)

    settlements = expiry_settlements(holdings, EXPIRY, CLOSE, underlying, 0.01)
    with pytest.raises(ValueError, match="no settlement price .* for SPX"):
        next(settlements)
    assert sorted(asked) == ["SPX", "SPY"]


def test_early_assignments_ask_the_fault_only_when_no_rule_assigns():
    by_rule, by_fault = option("SPY", 500, "put", date(2024, 6, 20)), option("SPY", 510, "put")
    holdings = {by_rule.key: (by_rule, -1), by_fault.key: (by_fault, -2), SHARES.key: (SHARES, 100)}
    marks = {by_rule.key: 20.03, by_fault.key: 33.0}  # extrinsic 0.03 (DTE 2) and 3.00 (DTE 3)
    asked = []

    def fault_assigns():
        asked.append(True)
        return True

    events = list(early_assignments(holdings, at(date(2024, 6, 18), 16), {}, 0.0, lambda root, now: 480.0,
                                    lambda key, contract, now: marks[key], 0.01, 2, 0.05, fault_assigns))
    assert [(e.contract, e.quantity, e.underlying_quantity, e.cash) for e in events] == [
        (by_rule, -1, 100, -50_000.0), (by_fault, -2, 200, -102_000.0)]
    assert len(asked) == 1


def test_dividend_cash_counts_shares_only():
    call = option("SPY", 530, "call")
    holdings = {SHARES.key: (SHARES, -300), call.key: (call, 1)}
    dividends = {"SPY": [(date(2024, 6, 21), 1.7594), (date(2024, 3, 15), 1.5)]}
    assert dividend_cash(holdings, date(2024, 6, 21), dividends) == pytest.approx(-527.82)
    assert dividend_cash(holdings, date(2024, 6, 20), dividends) == 0.0
