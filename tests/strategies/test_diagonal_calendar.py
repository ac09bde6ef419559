"""Diagonal / calendar: legs and expiries, the VIX and debit rules, exits, the short buyback, window, phase."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from config.constants import Regime
from config.loader import load_config
from core.types import Purpose
from strategies.base import position_pnl
from strategies.defensive import contract_deltas
from strategies.diagonal_calendar import DiagonalCalendar
from tests.strategies.kit import QuotelessMarket, context, eastern, filled_position, holding, scripted_market

ENTRY = eastern(2024, 3, 19, 11, 0)  # a Tuesday; 2024-05-17 is 59 DTE, 2024-04-17 29 DTE
LONG_EXPIRY, SHORT_EXPIRY = date(2024, 5, 17), date(2024, 4, 17)
LONG, SHORT = "SPY 2024-05-17 C 462", "SPY 2024-04-17 C 462"


def propose(market, overrides=None, positions=()):
    config = load_config(overrides or {})
    strategy = DiagonalCalendar(config)
    ctx = context(market, config)
    return strategy, ctx, strategy.propose_entry(ctx, list(positions))


@pytest.mark.parametrize(("overrides", "long", "short", "debit"), [
    ({}, LONG, SHORT, 2.56),  # a calendar: same strike
    ({"diagonal_calendar_short_offset": "5"}, LONG, "SPY 2024-04-17 C 467", 3.30),  # short 5 points higher
    ({"diagonal_calendar_right": "put"}, "SPY 2024-05-17 P 439", "SPY 2024-04-17 P 439", 2.33),
    ({"diagonal_calendar_right": "put", "diagonal_calendar_short_offset": "5"},
     "SPY 2024-05-17 P 439", "SPY 2024-04-17 P 434", 3.03),  # a put's "further out" is lower
])
def test_long_60_dte_30_delta_short_30_dte_at_or_beyond_its_strike_for_a_debit(overrides, long, short, debit):
    strategy, ctx, proposal = propose(scripted_market(ENTRY, spy=450.0, vix=13.0), overrides)
    assert proposal is not None, strategy.last_skip_reason
    intent = proposal.intent
    assert intent.purpose == Purpose.OPEN and intent.quantity == ctx.config.risk.max_contracts
    assert [(leg.contract.key, leg.ratio) for leg in intent.legs] == [(long, 1), (short, -1)]
    assert [leg.contract.expiry for leg in intent.legs] == [LONG_EXPIRY, SHORT_EXPIRY]
    assert abs(contract_deltas(ctx, [intent.legs[0].contract])[long]) == pytest.approx(0.30, abs=0.02)
    mids = [ctx.market.quote(leg.contract).mid for leg in intent.legs]
    assert mids[0] - mids[1] == pytest.approx(debit, abs=0.006)
    assert intent.limit_price == pytest.approx(debit, abs=0.011) and f"debit {debit:.2f}" in intent.reason
    # the whole debit is at risk; estimate_margin pairs the short with the later long: the debit too
    assert intent.max_loss_per_unit == pytest.approx(debit * 100, abs=0.6)
    assert intent.margin_per_unit == pytest.approx(intent.max_loss_per_unit)
    assert proposal.credit_unit == pytest.approx(intent.max_loss_per_unit)
    assert intent.leg_marks == pytest.approx(tuple(mids))  # each leg's entry mid, for the short's buyback
    assert strategy.memory == {"attempted": ENTRY.date().isoformat()}  # no figure passed through memory


def test_a_short_inside_the_long_strike_adds_the_strike_difference_to_the_risk():
    strategy, _, proposal = propose(scripted_market(ENTRY, spy=450.0, vix=13.0), {"diagonal_calendar_short_offset": "-2"})
    assert proposal is not None, strategy.last_skip_reason
    assert [leg.contract.strike for leg in proposal.intent.legs] == [462.0, 460.0]
    assert proposal.intent.max_loss_per_unit == pytest.approx((2.03 + 2.0) * 100, abs=0.6)


def no_spy_price():
    market = scripted_market(ENTRY, spy=450.0, vix=13.0)
    del market.state.prices["SPY"]
    return market


@pytest.mark.parametrize(("market", "overrides", "reason"), [
    (scripted_market(ENTRY, spy=450.0, vix=15.0), {}, "VIX 15.0 not below 15"),
    (scripted_market(ENTRY, spy=450.0, vix=22.0), {}, "VIX 22.0 not below 15"),
    (scripted_market(ENTRY, spy=450.0, vix=13.0), {"diagonal_calendar_short_offset": "-10"},
     "net -1.64: a credit, not the debit"),
    (scripted_market(eastern(2024, 3, 5, 11, 0), vix=13.0), {}, "no SPY expiry 53-67 DTE"),
    (no_spy_price(), {}, "no SPY options listed 23-67 DTE"),
    (QuotelessMarket(scripted_market(ENTRY, spy=450.0, vix=13.0).state), {}, "quotes missing"),
])
def test_entry_refusals(market, overrides, reason):
    strategy, _, proposal = propose(market, overrides)
    assert proposal is None and reason in strategy.last_skip_reason


def test_no_entry_without_a_vix():
    market = scripted_market(ENTRY, spy=450.0, vix=13.0)
    market.state.vix = None
    strategy = DiagonalCalendar(load_config())
    assert strategy.propose_entry(context(market, regime=Regime.NORMAL), []) is None
    assert strategy.last_skip_reason == "VIX None not below 15"


def test_one_position_at_most():
    _, ctx, first = propose(scripted_market(ENTRY, spy=450.0, vix=13.0))
    held = filled_position("diagonal_calendar", first.intent.legs, first.intent.limit_price, 1, ctx)
    strategy, _, proposal = propose(scripted_market(ENTRY, spy=450.0, vix=13.0), positions=[held])
    assert proposal is None and strategy.last_skip_reason == "1 diagonal_calendar position(s) open, at most 1"


def opened(units=1):
    market = scripted_market(ENTRY, spy=450.0, vix=13.0)
    strategy, ctx, proposal = propose(market)
    position = filled_position(strategy.key, proposal.intent.legs, proposal.intent.limit_price, units, ctx,
                               marks=proposal.intent.leg_marks)
    assert strategy.manage(ctx, position) == []
    return strategy, market, position


def later(market, days, spy, vix):
    market.state.now = ENTRY + timedelta(days=days)
    market.state.prices["SPY"], market.state.vix = spy, vix
    return context(market)


@pytest.mark.parametrize(("days", "spy", "vix", "reason"), [
    (1, 455.0, 13.0, None),  # 30% of the debit made, the short still at 2.59 of 1.03
    (1, 450.0, 18.0, "vix_exit"),
    (5, 460.0, 15.0, "profit_target"),  # 61% of the debit made
    (5, 440.0, 15.0, "stop_loss"),  # 59% of the debit lost
    (22, 450.0, 13.0, "time_exit"),  # the short at 7 DTE, whatever the P&L (35% of the debit lost)
])
def test_exits_close_everything(days, spy, vix, reason):
    strategy, market, position = opened()
    exits = strategy.manage(later(market, days, spy, vix), position)
    assert [i.reason for i in exits] == ([reason] if reason else [])
    if reason:
        assert exits[0].purpose == Purpose.CLOSE and exits[0].position_id == "P1" and exits[0].quantity == 1
        assert sorted((leg.contract.key, leg.ratio) for leg in exits[0].legs) == [(SHORT, 1), (LONG, -1)]
    pnl = position_pnl(position, market) / -position.entry_cash
    assert (pnl >= 0.5) == (reason == "profit_target") and (pnl <= -0.5) == (reason == "stop_loss")


def test_short_bought_back_at_half_its_entry_price_then_the_long_runs_under_the_same_rules():
    strategy, market, position = opened(units=2)
    ctx = later(market, 10, 450.0, 13.0)  # the short at 0.38 of 1.03: 63% made; the whole: 9% lost
    exits = strategy.manage(ctx, position)
    assert [(i.reason, i.purpose, i.quantity) for i in exits] == [("short_profit_target", Purpose.CLOSE, 2)]
    assert [(leg.contract.key, leg.ratio) for leg in exits[0].legs] == [(SHORT, 1)]
    assert position.terms.entry_marks[SHORT] == pytest.approx(1.03)
    position.apply_fill(exits[0].legs, 2, -exits[0].limit_price * 2 * 100, 0.0)
    assert holding(position) == {LONG: 2}
    assert strategy.manage(later(market, 22, 450.0, 13.0), position) == []  # exit_dte now counts to the long
    assert [i.reason for i in strategy.manage(later(market, 52, 450.0, 13.0), position)] == ["time_exit"]
    assert [i.reason for i in strategy.manage(later(market, 10, 450.0, 18.0), position)] == ["vix_exit"]
    exits = strategy.manage(later(market, 10, 470.0, 13.0), position)
    assert [(i.reason, i.quantity) for i in exits] == [("profit_target", 2)]
    assert [(leg.contract.key, leg.ratio) for leg in exits[0].legs] == [(LONG, -1)]


@pytest.mark.parametrize(("marks", "fires"), [
    ({SHORT: 1.03}, True),  # the price the opening order carried
    ({"SPY 2024-04-19 C 462": 1.03}, False),  # another short's price
    ({SHORT: 0.30}, False),  # entered at 0.30: 0.38 is no profit
    ({}, False),  # unknown (an adopted position): no buyback
])
def test_the_short_entry_price_is_the_one_its_order_carried(marks, fires):
    _, market, position = opened()
    position.terms.entry_marks = dict(marks)
    strategy = DiagonalCalendar(load_config())
    exits = strategy.manage(later(market, 10, 450.0, 13.0), position)
    assert [i.reason for i in exits] == (["short_profit_target"] if fires else [])


def test_nothing_is_decided_without_quotes():
    strategy, market, position = opened()
    later(market, 10, 450.0, 13.0)  # the short's buyback would be due
    assert strategy.manage(context(QuotelessMarket(market.state)), position) == []


def test_entry_window_tuesday_1100_to_1130_once_a_day_from_phase_3():
    strategy = DiagonalCalendar(load_config())
    assert strategy.min_phase == 3
    window = [(ENTRY, True), (eastern(2024, 3, 19, 11, 30), True), (eastern(2024, 3, 19, 10, 59), False),
              (eastern(2024, 3, 19, 11, 31), False), (eastern(2024, 3, 18, 11, 0), False),
              (eastern(2024, 3, 20, 11, 0), False)]
    assert [strategy.is_entry_window(context(scripted_market(t))) for t, _ in window] == [w for _, w in window]
    ctx = context(scripted_market(ENTRY))
    strategy.propose_entry(ctx, [])
    assert not strategy.is_entry_window(ctx)
    next_week = context(scripted_market(ENTRY + timedelta(days=7)))
    assert strategy.is_entry_window(next_week)
    assert not DiagonalCalendar(load_config({"diagonal_calendar_enabled": "false"})).is_entry_window(next_week)
