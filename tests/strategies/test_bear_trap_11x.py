"""11x bear trap: the ATM 1-1-2 structure, credit/debit rule and risk figure, refusals, exits,
the entry window and the phase gate."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from config.loader import load_config
from core.types import PUT, Purpose
from offline.market.market_view import ModelledMarketView
from strategies.base import position_pnl
from strategies.bear_trap_11x import BearTrap11x
from strategies.defensive import contract_deltas
from tests.strategies.kit import context, eastern, filled_position, scripted_market

ENTRY = eastern(2024, 3, 14, 11, 10)  # a Thursday; 2024-05-17 is 64 DTE
EXPIRY = date(2024, 5, 17)
LONG, SHORT, NAKED = "SPY 2024-05-17 P 450", "SPY 2024-05-17 P 445", "SPY 2024-05-17 P 397"
SMALL_DEBIT = {"bear_trap_11x_spread_width": "7", "bear_trap_11x_naked_delta": "0.03"}


class QuotelessMarket(ModelledMarketView):
    """The modelled market with every contract quote withheld."""

    def quote(self, contract):
        return None


def propose(market, overrides=None, positions=()):
    config = load_config(overrides or {})
    strategy = BearTrap11x(config)
    ctx = context(market, config)
    return strategy, ctx, strategy.propose_entry(ctx, list(positions))


def test_atm_long_put_short_put_5_below_two_15_delta_naked_puts_for_a_credit_at_vix_25():
    strategy, ctx, proposal = propose(scripted_market(ENTRY, spy=450.0, vix=25.0))
    assert proposal is not None, strategy.last_skip_reason
    intent = proposal.intent
    assert intent.purpose == Purpose.OPEN and intent.quantity == ctx.config.risk.max_contracts
    assert [(leg.contract.key, leg.ratio) for leg in intent.legs] == [(LONG, 1), (SHORT, -1), (NAKED, -2)]
    assert all(leg.contract.right == PUT and leg.contract.expiry == EXPIRY for leg in intent.legs)
    assert (EXPIRY - ctx.today).days == 64
    assert contract_deltas(ctx, [intent.legs[2].contract])[NAKED] == pytest.approx(-0.15, abs=0.01)
    mids = [ctx.market.quote(leg.contract).mid for leg in intent.legs]
    credit = mids[1] + 2 * mids[2] - mids[0]
    assert credit == pytest.approx(8.265) and intent.limit_price == pytest.approx(-8.26)
    assert intent.reason == "bear trap 450/445/2x397 2024-05-17 (64 DTE), net credit 8.27"
    assert intent.max_loss_per_unit == pytest.approx(1.0 * credit * 100)  # the stop: above the 5-point width
    assert proposal.credit_unit == pytest.approx(credit * 100) and proposal.buying_power_cap == 0.08


@pytest.mark.parametrize(("overrides", "reason", "limit", "risk"), [
    ({"bear_trap_11x_naked_delta": "0.03"}, "bear trap 450/445/2x330 2024-05-17 (64 DTE), net credit 0.15",
     -0.15, 500.0),  # a 0.15 credit: the 5-point width, not 1 x 0.15, is the risk figure
    (SMALL_DEBIT, "bear trap 450/443/2x330 2024-05-17 (64 DTE), net debit 0.46", 0.46, 700.0),
])
def test_a_small_credit_or_debit_is_accepted_and_risks_at_least_the_spread_width(overrides, reason, limit, risk):
    strategy, _, proposal = propose(scripted_market(ENTRY, spy=450.0, vix=25.0), overrides)
    assert proposal is not None, strategy.last_skip_reason
    assert proposal.intent.reason == reason and proposal.intent.limit_price == pytest.approx(limit)
    assert proposal.intent.max_loss_per_unit == pytest.approx(risk)


@pytest.mark.parametrize(("market", "overrides", "reason"), [
    (scripted_market(ENTRY, vix=20.0), {}, "VIX 20.00 not above 20"),
    (scripted_market(eastern(2024, 3, 7, 11, 10), vix=25.0), {}, "no SPY puts listed 53-67 DTE"),
    (scripted_market(ENTRY, vix=25.0), {"bear_trap_11x_spread_width": "20", "bear_trap_11x_naked_delta": "0.4"},
     "naked puts at 443 not below the short put 430"),
    (scripted_market(ENTRY, vix=25.0), {**SMALL_DEBIT, "bear_trap_11x_spread_width": "8"},
     "net debit 0.75 above the maximum 0.50"),
    (QuotelessMarket(scripted_market(ENTRY, vix=25.0).state), {}, "quotes missing for a leg"),
])
def test_entry_refusals(market, overrides, reason):
    strategy, _, proposal = propose(market, overrides)
    assert proposal is None and strategy.last_skip_reason == reason


def test_one_position_at_most():
    _, ctx, first = propose(scripted_market(ENTRY, vix=25.0))
    held = filled_position("bear_trap_11x", first.intent.legs, first.intent.limit_price, 1, ctx)
    strategy, _, proposal = propose(scripted_market(ENTRY, vix=25.0), positions=[held])
    assert proposal is None and strategy.last_skip_reason == "1 bear_trap_11x position(s) open, at most 1"


def opened(overrides=None):
    config = load_config(overrides or {})
    market = scripted_market(ENTRY, spy=450.0, vix=25.0)
    strategy, ctx, proposal = propose(market, overrides)
    position = filled_position(strategy.key, proposal.intent.legs, proposal.intent.limit_price, 1, ctx)
    assert strategy.manage(ctx, position) == []
    return strategy, market, position, config


@pytest.mark.parametrize(("overrides", "days", "spy", "vix", "reason", "pnl"), [
    ({}, 10, 450.0, 25.0, None, 0.192),  # quiet: 19% of the credit made
    ({}, 20, 450.0, 22.0, "profit_target", 0.597),
    ({}, 5, 420.0, 35.0, "stop_loss", -1.743),  # 420 is still 5.8% above the naked strike
    ({}, 5, 405.0, 30.0, "stop_loss", -1.758),  # 405 > 397 x 1.02 = 404.94
    ({}, 5, 400.0, 25.0, "distance_stop", -1.390),  # within 2% of the naked strike: before the stop
    ({}, 42, 450.0, 25.0, "profit_target", 0.866),  # 22 DTE
    ({}, 43, 450.0, 25.0, "time_exit", 0.887),  # 21 DTE: whatever the P&L
    (SMALL_DEBIT, 5, 455.0, 25.0, None, 0.424),  # a debit position: P&L in units of the 0.46 debit
    (SMALL_DEBIT, 5, 450.0, 25.0, "profit_target", 0.641),
])
def test_exits_close_everything(overrides, days, spy, vix, reason, pnl):
    strategy, market, position, config = opened(overrides)
    market.state.now = ENTRY + timedelta(days=days)
    market.state.prices["SPY"], market.state.vix = spy, vix
    exits = strategy.manage(context(market, config), position)
    assert [i.reason for i in exits] == ([reason] if reason else [])
    assert position_pnl(position, market) / abs(position.entry_cash) == pytest.approx(pnl, abs=0.001)
    if reason:
        assert exits[0].purpose == Purpose.CLOSE and exits[0].position_id == "P1" and exits[0].quantity == 1
        assert sorted(leg.ratio for leg in exits[0].legs) == [-1, 1, 2]


def test_entry_window_thursday_1100_to_1130_once_a_day_from_phase_3():
    strategy = BearTrap11x(load_config())
    assert strategy.min_phase == 3
    window = [(ENTRY, True), (eastern(2024, 3, 14, 11, 0), True), (eastern(2024, 3, 14, 11, 30), True),
              (eastern(2024, 3, 14, 10, 59), False), (eastern(2024, 3, 14, 11, 31), False),
              (eastern(2024, 3, 13, 11, 10), False), (eastern(2024, 3, 15, 11, 10), False)]
    assert [strategy.is_entry_window(context(scripted_market(t))) for t, _ in window] == [w for _, w in window]
    ctx = context(scripted_market(ENTRY))
    strategy.propose_entry(ctx, [])
    assert not strategy.is_entry_window(ctx)
    assert strategy.is_entry_window(context(scripted_market(ENTRY + timedelta(days=7))))
    assert not BearTrap11x(load_config({"bear_trap_11x_enabled": "false"})).is_entry_window(
        context(scripted_market(ENTRY + timedelta(days=7))))
