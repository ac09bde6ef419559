"""Put ratio spread: structure and credit rule, refusals, exits, the naked-put buyback, window, phase."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from config.loader import load_config
from core.types import PUT, Purpose
from strategies.base import position_pnl
from strategies.defensive import contract_deltas
from strategies.put_ratio_spread import PutRatioSpread
from tests.strategies.kit import QuotelessMarket, context, eastern, filled_position, holding, scripted_market

ENTRY = eastern(2024, 3, 5, 10, 30)  # a Tuesday; 2024-04-19 is 45 DTE
EXPIRY = date(2024, 4, 19)
LONG, SHORT = "SPY 2024-04-19 P 420", "SPY 2024-04-19 P 400"


def propose(market, overrides=None, positions=()):
    config = load_config(overrides or {})
    strategy = PutRatioSpread(config)
    ctx = context(market, config)
    return strategy, ctx, strategy.propose_entry(ctx, list(positions))


def test_one_long_25_delta_put_two_short_16_delta_puts_for_a_credit():
    strategy, ctx, proposal = propose(scripted_market(ENTRY, spy=450.0, vix=30.0))
    assert proposal is not None, strategy.last_skip_reason
    intent = proposal.intent
    assert intent.purpose == Purpose.OPEN and intent.quantity == ctx.config.risk.max_contracts
    assert [(leg.contract.key, leg.ratio) for leg in intent.legs] == [(LONG, 1), (SHORT, -2)]
    assert all(leg.contract.right == PUT and leg.contract.expiry == EXPIRY for leg in intent.legs)
    assert 38 <= (EXPIRY - ENTRY.date()).days <= 52
    deltas = contract_deltas(ctx, [leg.contract for leg in intent.legs])
    assert deltas[LONG] == pytest.approx(-0.25, abs=0.01) and deltas[SHORT] == pytest.approx(-0.16, abs=0.01)
    mids = [ctx.market.quote(leg.contract).mid for leg in intent.legs]
    credit = 2 * mids[1] - mids[0]
    assert credit >= 2.00 and intent.limit_price == pytest.approx(-credit, abs=0.011)
    assert "net credit 2.45" in intent.reason
    assert intent.price_bound == -2.00  # the ladder never accepts less than the minimum credit
    # the stop (2 x credit) binds: the naked put's loss at expiry is far larger
    assert intent.max_loss_per_unit == pytest.approx(2.0 * credit * 100)
    assert intent.margin_per_unit > 0
    assert proposal.buying_power_cap == 0.08 and proposal.credit_unit == pytest.approx(credit * 100)


@pytest.mark.parametrize(("market", "overrides", "reason"), [
    (scripted_market(ENTRY, spy=450.0, vix=20.0), {}, "net credit 1.64 below the minimum 2.00"),
    (scripted_market(ENTRY, spy=200.0, vix=40.0), {}, "net credit 1.28 below the minimum 2.00"),
    (scripted_market(ENTRY, spy=450.0, vix=30.0), {"put_ratio_spread_min_credit": "50"},
     "net credit 2.45 below the minimum 50.00"),
    (scripted_market(eastern(2024, 2, 20, 10, 30)), {}, "no SPY options listed 38-52 DTE"),
    (QuotelessMarket(scripted_market(ENTRY, spy=450.0, vix=30.0).state), {}, "quotes missing"),
])
def test_entry_refusals(market, overrides, reason):
    strategy, _, proposal = propose(market, overrides)
    assert proposal is None and reason in strategy.last_skip_reason


def test_one_position_at_most():
    _, ctx, first = propose(scripted_market(ENTRY, spy=450.0, vix=30.0))
    held = filled_position("put_ratio_spread", first.intent.legs, first.intent.limit_price, 1, ctx)
    strategy, _, proposal = propose(scripted_market(ENTRY, spy=450.0, vix=30.0), positions=[held])
    assert proposal is None and strategy.last_skip_reason == "1 put_ratio_spread position(s) open, at most 1"


def opened(units=1):
    market = scripted_market(ENTRY, spy=450.0, vix=30.0)
    strategy, ctx, proposal = propose(market)
    position = filled_position(strategy.key, proposal.intent.legs, proposal.intent.limit_price, units, ctx)
    assert strategy.manage(ctx, position) == []
    return strategy, market, position


def later(market, days, spy, vix=30.0):
    market.state.now = ENTRY + timedelta(days=days)
    market.state.prices["SPY"] = spy
    market.state.vix = vix
    return context(market)


@pytest.mark.parametrize(("days", "spy", "vix", "reason"), [
    (5, 450.0, 30.0, None),  # quiet: about 18% of the credit made
    (15, 450.0, 30.0, "profit_target"),  # decay: 55% of the credit
    (1, 445.0, 50.0, "stop_loss"),  # a volatility jump: 2.75 x the credit lost, shorts still at 25 delta
    (5, 400.0, 30.0, "delta_stop"),  # the shorts at 47 delta
    (24, 445.0, 50.0, "time_exit"),  # 21 DTE, whatever the P&L
])
def test_exits_close_everything(days, spy, vix, reason):
    strategy, market, position = opened()
    ctx = later(market, days, spy, vix)
    exits = strategy.manage(ctx, position)
    assert [i.reason for i in exits] == ([reason] if reason else [])
    if reason:
        assert exits[0].purpose == Purpose.CLOSE and exits[0].position_id == "P1" and exits[0].quantity == 1
        assert sorted((leg.contract.key, leg.ratio) for leg in exits[0].legs) == [(SHORT, 2), (LONG, -1)]
    pnl = position_pnl(position, market) / position.entry_cash
    assert (pnl >= 0.5) == (reason == "profit_target") and (pnl <= -2.0) == (reason == "stop_loss")


def test_naked_short_bought_back_once_at_30_delta_then_the_spread_runs_to_the_40_delta_stop():
    strategy, market, position = opened(units=2)
    ctx = later(market, 5, 420.0)  # shorts at 29 delta: nothing yet
    assert abs(contract_deltas(ctx, [c for c, q in position.contracts() if q < 0])[SHORT]) < 0.30
    assert strategy.manage(ctx, position) == []
    ctx = later(market, 5, 415.0)  # shorts at 33 delta, long at 53: a loss well inside the stop
    exits = strategy.manage(ctx, position)
    assert [(i.reason, i.purpose, i.quantity) for i in exits] == [("naked_delta", Purpose.CLOSE, 2)]
    assert [(leg.contract.key, leg.ratio) for leg in exits[0].legs] == [(SHORT, 1)]  # one of each unit's two
    price = exits[0].limit_price
    position.apply_fill(exits[0].legs, 2, -price * 2 * 100, 0.0)
    assert holding(position) == {LONG: 2, SHORT: -2}  # a 1x1 put debit spread per unit
    assert strategy.manage(ctx, position) == []  # done once: no second buyback
    exits = strategy.manage(later(market, 5, 400.0), position)  # shorts at 47 delta
    assert [i.reason for i in exits] == ["delta_stop"] and exits[0].quantity == 2
    assert sorted((leg.contract.key, leg.ratio) for leg in exits[0].legs) == [(SHORT, 1), (LONG, -1)]


def test_the_stop_comes_before_the_naked_buyback():
    strategy, market, position = opened()
    exits = strategy.manage(later(market, 5, 415.0), position)
    assert [i.reason for i in exits] == ["naked_delta"]
    tight = PutRatioSpread(load_config({"put_ratio_spread_stop_loss": "0.2"}))
    assert [i.reason for i in tight.manage(later(market, 5, 415.0), position)] == ["stop_loss"]


def test_entry_window_tuesday_1015_to_1045_once_a_day_from_phase_2():
    strategy = PutRatioSpread(load_config())
    assert strategy.min_phase == 2
    window = [(ENTRY, True), (eastern(2024, 3, 5, 10, 15), True), (eastern(2024, 3, 5, 10, 45), True),
              (eastern(2024, 3, 5, 10, 14), False), (eastern(2024, 3, 5, 10, 46), False),
              (eastern(2024, 3, 4, 10, 30), False), (eastern(2024, 3, 6, 10, 30), False)]
    assert [strategy.is_entry_window(context(scripted_market(t))) for t, _ in window] == [w for _, w in window]
    ctx = context(scripted_market(ENTRY))
    strategy.propose_entry(ctx, [])
    assert not strategy.is_entry_window(ctx)
    assert strategy.is_entry_window(context(scripted_market(ENTRY + timedelta(days=7))))
    assert not PutRatioSpread(load_config({"put_ratio_spread_enabled": "false"})).is_entry_window(context(
        scripted_market(ENTRY + timedelta(days=7))))
