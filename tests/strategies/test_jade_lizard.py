"""Jade lizard: structure and the no-upside-risk credit rule, refusals, exits, window, phase gate."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from config.loader import load_config
from core.types import CALL, PUT, Purpose
from strategies.base import position_pnl
from strategies.defensive import contract_deltas
from strategies.jade_lizard import JadeLizard
from tests.strategies.kit import QuotelessMarket, context, eastern, filled_position, scripted_market

ENTRY = eastern(2024, 3, 7, 10, 30)  # a Thursday; 2024-04-19 is 43 DTE
EXPIRY = date(2024, 4, 19)
PUT_KEY, SHORT_CALL, LONG_CALL = "SPY 2024-04-19 P 423", "SPY 2024-04-19 C 471", "SPY 2024-04-19 C 474"


def propose(market, overrides=None, positions=()):
    config = load_config(overrides or {})
    strategy = JadeLizard(config)
    ctx = context(market, config)
    return strategy, ctx, strategy.propose_entry(ctx, list(positions))


def test_short_put_and_short_call_spread_whose_credit_covers_the_width():
    strategy, ctx, proposal = propose(scripted_market(ENTRY, spy=450.0, vix=20.0))
    assert proposal is not None, strategy.last_skip_reason
    intent = proposal.intent
    assert intent.purpose == Purpose.OPEN and intent.quantity == ctx.config.risk.max_contracts
    assert [(leg.contract.key, leg.ratio) for leg in intent.legs] == [(PUT_KEY, -1), (SHORT_CALL, -1), (LONG_CALL, 1)]
    assert [leg.contract.right for leg in intent.legs] == [PUT, CALL, CALL]
    assert {leg.contract.expiry for leg in intent.legs} == {EXPIRY} and 38 <= (EXPIRY - ENTRY.date()).days <= 52
    deltas = contract_deltas(ctx, [leg.contract for leg in intent.legs])
    assert deltas[PUT_KEY] == pytest.approx(-0.20, abs=0.01) and deltas[SHORT_CALL] == pytest.approx(0.20, abs=0.01)
    mids = [ctx.market.quote(leg.contract).mid for leg in intent.legs]
    credit = mids[0] + mids[1] - mids[2]
    assert credit >= 474 - 471 and intent.limit_price == pytest.approx(-credit, abs=0.011)
    assert intent.price_bound == -3.0  # the credit stays at least the call spread's width at the fill
    assert intent.max_loss_per_unit == pytest.approx(2.0 * credit * 100)  # the stop: 2 x the credit
    assert intent.margin_per_unit > 0 and proposal.buying_power_cap == 0.08
    assert proposal.credit_unit == pytest.approx(credit * 100)


def test_call_width_is_a_parameter():
    strategy, _, proposal = propose(scripted_market(ENTRY, spy=450.0, vix=30.0), {"jade_lizard_call_width": "5"})
    assert proposal is not None, strategy.last_skip_reason
    strikes = [leg.contract.strike for leg in proposal.intent.legs]
    assert strikes[2] - strikes[1] == 5.0


@pytest.mark.parametrize(("market", "overrides", "reason"), [
    (scripted_market(ENTRY, spy=200.0, vix=20.0), {}, "credit 2.53 below the call spread's width 3.00"),
    (scripted_market(ENTRY, spy=450.0, vix=20.0), {"jade_lizard_put_delta": "0.05"},
     "credit 1.69 below the call spread's width 3.00"),
    (scripted_market(ENTRY, spy=450.0, vix=20.0), {"jade_lizard_call_width": "20"},
     "credit 6.49 below the call spread's width 20.00"),
    (scripted_market(eastern(2024, 2, 22, 10, 30)), {}, "no SPY options listed 38-52 DTE"),
    (QuotelessMarket(scripted_market(ENTRY, spy=450.0, vix=20.0).state), {}, "quotes missing"),
])
def test_entry_refusals(market, overrides, reason):
    strategy, _, proposal = propose(market, overrides)
    assert proposal is None and reason in strategy.last_skip_reason


def test_one_position_at_most():
    _, ctx, first = propose(scripted_market(ENTRY, spy=450.0, vix=20.0))
    held = filled_position("jade_lizard", first.intent.legs, first.intent.limit_price, 1, ctx)
    strategy, _, proposal = propose(scripted_market(ENTRY, spy=450.0, vix=20.0), positions=[held])
    assert proposal is None and strategy.last_skip_reason == "1 jade_lizard position(s) open, at most 1"


@pytest.mark.parametrize(("days", "spy", "vix", "reason"), [
    (10, 450.0, 20.0, None),  # quiet: 23% of the credit made
    (20, 460.0, 16.0, "profit_target"),  # 68% made
    (20, 480.0, 20.0, None),  # a rally through the short call: 40% made, no upside loss
    (10, 430.0, 40.0, "stop_loss"),  # a sell-off with a volatility jump: 2.1 x the credit lost
    (1, 410.0, 20.0, "stop_loss"),
    (22, 410.0, 20.0, "time_exit"),  # 21 DTE, whatever the P&L
])
def test_exits(days, spy, vix, reason):
    market = scripted_market(ENTRY, spy=450.0, vix=20.0)
    strategy, ctx, proposal = propose(market)
    position = filled_position(strategy.key, proposal.intent.legs, proposal.intent.limit_price, 1, ctx)
    assert strategy.manage(ctx, position) == []
    market.state.now, market.state.vix = ENTRY + timedelta(days=days), vix
    market.state.prices["SPY"] = spy
    exits = strategy.manage(context(market), position)
    assert [i.reason for i in exits] == ([reason] if reason else [])
    if reason:
        assert exits[0].purpose == Purpose.CLOSE and exits[0].position_id == "P1" and exits[0].quantity == 1
        assert sorted((leg.contract.key, leg.ratio) for leg in exits[0].legs) == [
            (SHORT_CALL, 1), (LONG_CALL, -1), (PUT_KEY, 1)]
    pnl = position_pnl(position, market) / position.entry_cash
    assert (pnl >= 0.5) == (reason == "profit_target") and (pnl <= -2.0) == (reason == "stop_loss")


def test_entry_window_thursday_1015_to_1045_once_a_day_from_phase_2():
    strategy = JadeLizard(load_config())
    assert strategy.min_phase == 2
    window = [(ENTRY, True), (eastern(2024, 3, 7, 10, 15), True), (eastern(2024, 3, 7, 10, 45), True),
              (eastern(2024, 3, 7, 10, 14), False), (eastern(2024, 3, 7, 10, 46), False),
              (eastern(2024, 3, 5, 10, 30), False), (eastern(2024, 3, 8, 10, 30), False)]
    assert [strategy.is_entry_window(context(scripted_market(t))) for t, _ in window] == [w for _, w in window]
    ctx = context(scripted_market(ENTRY))
    strategy.propose_entry(ctx, [])
    assert not strategy.is_entry_window(ctx)
    next_week = context(scripted_market(ENTRY + timedelta(days=7)))
    assert strategy.is_entry_window(next_week)
    assert not JadeLizard(load_config({"jade_lizard_enabled": "false"})).is_entry_window(next_week)
    assert not JadeLizard(load_config({"jade_lizard_entry_weekday": "friday"})).is_entry_window(next_week)
