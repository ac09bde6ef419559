"""Weekly butterfly: strikes on SPX weeklies and SPY, the debit budget, holding to expiry."""
from __future__ import annotations

import pytest

from config.loader import load_config
from core.types import CALL
from strategies.weekly_butterfly import WeeklyButterfly
from tests.strategies.kit import context, eastern, filled_position, scripted_market

FRIDAY = eastern(2024, 8, 9, 10, 40)


def propose(net_liq=150_000.0, overrides=None, vix=20.0):
    strategy = WeeklyButterfly(load_config(overrides))
    ctx = context(scripted_market(FRIDAY, spy=530.0, vix=vix), strategy.config, net_liq=net_liq)
    return strategy, ctx, strategy.propose_entry(ctx, [])


@pytest.mark.parametrize(("product", "wing", "body"), [("SPXW", 10.0, 5300.0), ("SPY", 1.0, 530.0)])
def test_an_at_the_money_call_butterfly_for_next_friday(product, wing, body):
    strategy, _, proposal = propose(overrides={"weekly_butterfly_product": product})
    assert proposal is not None, strategy.last_skip_reason
    legs = sorted(proposal.intent.legs, key=lambda leg: leg.contract.strike)
    assert [leg.ratio for leg in legs] == [1, -2, 1] and all(leg.contract.right == CALL for leg in legs)
    assert [leg.contract.strike for leg in legs] == [body - wing, body, body + wing]
    assert {leg.contract.expiry for leg in legs} == {eastern(2024, 8, 16).date()}
    debit = proposal.intent.limit_price
    assert 0 < debit < wing
    multiplier = 100.0
    assert proposal.intent.max_loss_per_unit == pytest.approx(debit * multiplier, abs=multiplier * 0.05)
    assert strategy.min_phase == 3


def test_the_debit_budget_sets_the_units():
    _, _, proposal = propose(net_liq=150_000.0)
    per_unit = proposal.intent.max_loss_per_unit
    assert proposal.intent.quantity == min(int(450.0 // per_unit), 10)  # 0.3% of 150,000
    # the ladder never pays more than the budget per unit: the whole position stays within 0.3%
    assert proposal.intent.price_bound * 100 * proposal.intent.quantity <= 450.0
    assert proposal.intent.price_bound >= proposal.intent.limit_price
    strategy, _, refused = propose(net_liq=per_unit / 0.003 - 100.0)
    assert refused is None and "above the budget" in strategy.last_skip_reason


def test_window_is_friday_1035_to_1100():
    strategy = WeeklyButterfly(load_config())
    assert strategy.is_entry_window(context(scripted_market(FRIDAY)))
    assert not strategy.is_entry_window(context(scripted_market(eastern(2024, 8, 9, 10, 34))))
    assert not strategy.is_entry_window(context(scripted_market(eastern(2024, 8, 8, 10, 40))))


@pytest.mark.parametrize("spy", [530.0, 545.0, 560.0])
def test_held_to_expiry_whatever_its_value(spy):
    """Pinned at the body a day before expiry (worth many times the debit), between, or far above the
    upper wing: the rule is "hold to expiry", so management never closes it."""
    strategy, ctx, proposal = propose()
    position = filled_position(strategy.key, proposal.intent.legs, proposal.intent.limit_price, 1, ctx)
    thursday = context(scripted_market(eastern(2024, 8, 15, 15, 0), spy=spy, vix=20.0), strategy.config)
    assert strategy.manage(thursday, position) == []
