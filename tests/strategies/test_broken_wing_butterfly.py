"""Broken-wing butterfly: strikes, the credit rule, target and DTE exit on the modelled chain."""
from __future__ import annotations

import pytest

from config.loader import load_config
from core.types import PUT, Purpose
from strategies.broken_wing_butterfly import BrokenWingButterfly
from tests.strategies.kit import QuotelessMarket, context, eastern, filled_position, scripted_market

WEDNESDAY = eastern(2024, 8, 7, 10, 50)


def propose(market, overrides=None):
    strategy = BrokenWingButterfly(load_config(overrides))
    ctx = context(market, strategy.config, net_liq=150_000.0)
    return strategy, ctx, strategy.propose_entry(ctx, [])


@pytest.mark.parametrize("vix", [15.0, 25.0])
def test_two_shorts_with_a_5_point_wing_above_and_a_10_point_wing_below(vix):
    strategy, ctx, proposal = propose(scripted_market(WEDNESDAY, spy=530.0, vix=vix))
    assert proposal is not None, strategy.last_skip_reason
    legs = sorted(proposal.intent.legs, key=lambda leg: leg.contract.strike)
    assert [leg.ratio for leg in legs] == [1, -2, 1] and all(leg.contract.right == PUT for leg in legs)
    low, body, high = (leg.contract.strike for leg in legs)
    assert (body - low, high - body) == (10.0, 5.0)
    assert 14 <= (legs[0].contract.expiry - ctx.today).days <= 21
    credit = -proposal.intent.limit_price
    assert credit >= 0.25
    assert proposal.intent.price_bound == -0.25  # the ladder never gives up more than the minimum credit
    # the risk is below the shorts: far wing - near wing - credit
    assert proposal.intent.max_loss_per_unit == pytest.approx((10.0 - 5.0 - credit) * 100, abs=3.0)
    assert strategy.min_phase == 2


@pytest.mark.parametrize(("market", "overrides", "reason"), [
    (scripted_market(WEDNESDAY, spy=530.0, vix=15.0), {"broken_wing_butterfly_min_credit": "3"}, "below the minimum"),
    (scripted_market(WEDNESDAY, spy=530.0, vix=15.0), {"broken_wing_butterfly_dte_min": "18",
                                                        "broken_wing_butterfly_target_dte": "18",
                                                        "broken_wing_butterfly_dte_max": "18"}, "puts listed 18-18 DTE"),
    (QuotelessMarket(scripted_market(WEDNESDAY, spy=530.0, vix=15.0).state), None, "quotes missing"),
])
def test_refusals_say_why(market, overrides, reason):
    strategy, _, proposal = propose(market, overrides)
    assert proposal is None and reason in strategy.last_skip_reason


def test_window_is_wednesday_1045_to_1115_once_a_day():
    strategy = BrokenWingButterfly(load_config())
    assert strategy.is_entry_window(context(scripted_market(WEDNESDAY)))
    assert not strategy.is_entry_window(context(scripted_market(eastern(2024, 8, 7, 11, 16))))
    assert not strategy.is_entry_window(context(scripted_market(eastern(2024, 8, 8, 10, 50))))


def _held(spy_later, vix_later, when_later):
    strategy, ctx, proposal = propose(scripted_market(WEDNESDAY, spy=530.0, vix=20.0))
    position = filled_position(strategy.key, proposal.intent.legs, proposal.intent.limit_price, 1, ctx)
    later = context(scripted_market(when_later, spy=spy_later, vix=vix_later), strategy.config)
    return strategy.manage(later, position)


@pytest.mark.parametrize(("spy", "vix", "when", "reason"), [
    (545.0, 14.0, eastern(2024, 8, 14), "profit_target"),  # rallied away, volatility down
    (530.0, 20.0, eastern(2024, 8, 21), "time_exit"),  # 5 days to the 2024-08-26 expiry (a weekend away)
    (528.0, 20.0, eastern(2024, 8, 8), None),
])
def test_management(spy, vix, when, reason):
    intents = _held(spy, vix, when)
    assert [i.reason for i in intents] == ([reason] if reason else [])
    assert all(i.purpose == Purpose.CLOSE for i in intents)
