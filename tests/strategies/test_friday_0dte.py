"""Friday 0DTE: entry filters, strikes, sizing inputs, target, stop and time exit on scripted prices."""
from __future__ import annotations

import pytest

from config.loader import load_config
from core.types import PUT, Purpose
from strategies.friday_0dte import FridayZeroDte, wing_points
from tests.strategies.kit import context, eastern, filled_position, scripted_market

FRIDAY = eastern(2024, 8, 9)  # a Friday with no FOMC or CPI release


def propose(market, config=None):
    strategy = FridayZeroDte(config or load_config())
    ctx = context(market, config)
    return strategy, ctx, strategy.propose_entry(ctx, [])


def test_iron_condor_at_16_delta_with_10_point_wings():
    strategy, _, proposal = propose(scripted_market(FRIDAY, spy=530.0, vix=25.0))
    assert proposal is not None, strategy.last_skip_reason
    intent = proposal.intent
    assert intent.purpose == Purpose.OPEN and len(intent.legs) == 4
    puts = sorted((leg for leg in intent.legs if leg.contract.right == PUT), key=lambda leg: leg.contract.strike)
    calls = sorted((leg for leg in intent.legs if leg.contract.right != PUT), key=lambda leg: leg.contract.strike)
    assert [leg.ratio for leg in puts] == [1, -1] and [leg.ratio for leg in calls] == [-1, 1]
    assert puts[1].contract.strike - puts[0].contract.strike == pytest.approx(10.0)
    assert calls[1].contract.strike - calls[0].contract.strike == pytest.approx(10.0)
    assert all(leg.contract.expiry == FRIDAY.date() for leg in intent.legs)
    assert puts[1].contract.strike < 530.0 < calls[0].contract.strike
    credit = -intent.limit_price
    assert 0.0 < credit < 10.0 and intent.price_bound == 0.0  # a credit at the fill too
    # risk per unit = min(stop 200% of credit, max loss); margin = max loss of the condor
    assert intent.max_loss_per_unit == pytest.approx(min(2 * credit * 100, (10 - credit) * 100), abs=2.0)
    assert intent.margin_per_unit == pytest.approx((10 - credit) * 100, abs=2.0)
    assert proposal.kelly.win_rate == 0.88


@pytest.mark.parametrize(("vix", "when", "reason"), [
    (21.0, FRIDAY, "VIX"),
    (41.0, FRIDAY, "VIX"),
    (25.0, eastern(2022, 6, 10), "FOMC or CPI"),  # CPI for May 2022 was released on Friday 2022-06-10
])
def test_entry_filters_refuse(vix, when, reason):
    strategy, _, proposal = propose(scripted_market(when, spy=400.0, vix=vix))
    assert proposal is None and reason in strategy.last_skip_reason


def test_window_is_friday_1030_to_1100_once_a_day():
    strategy = FridayZeroDte(load_config())
    assert strategy.is_entry_window(context(scripted_market(FRIDAY)))
    assert not strategy.is_entry_window(context(scripted_market(eastern(2024, 8, 9, 11, 1))))
    assert not strategy.is_entry_window(context(scripted_market(eastern(2024, 8, 8))))  # Thursday
    ctx = context(scripted_market(FRIDAY, spy=530.0))
    strategy.propose_entry(ctx, [])
    assert not strategy.is_entry_window(ctx)


def test_trend_fade_sells_the_side_against_the_move():
    config = load_config({"zero_dte_structure": "trend_fade"})
    market = scripted_market(FRIDAY, spy=530.0, vix=25.0)
    market.state.session_open["SPY"] = 520.0  # up 1.9% since the open
    _, _, proposal = propose(market, config)
    rights = {leg.contract.right for leg in proposal.intent.legs}
    assert rights == {"call"} and len(proposal.intent.legs) == 2


def _open_condor(spy=530.0):
    market = scripted_market(FRIDAY, spy=spy, vix=25.0)
    strategy, ctx, proposal = propose(market)
    position = filled_position(strategy.key, proposal.intent.legs, proposal.intent.limit_price, 1, ctx)
    return strategy, market, position


def test_profit_target_stop_and_time_exit():
    strategy, market, position = _open_condor()
    market.state.now = eastern(2024, 8, 9, 11, 0)
    assert strategy.manage(context(market), position) == []  # nothing happened yet
    market.state.now = eastern(2024, 8, 9, 14, 30)  # decay alone brings most of the credit in
    exits = strategy.manage(context(market), position)
    assert [i.reason for i in exits] == ["profit_target"]
    strategy, market, position = _open_condor()
    market.state.now = eastern(2024, 8, 9, 11, 0)
    market.state.prices["SPY"] = 518.0  # through the short put
    exits = strategy.manage(context(market), position)
    assert [i.reason for i in exits] == ["stop_loss"] and exits[0].purpose == Purpose.CLOSE
    assert sorted(leg.ratio for leg in exits[0].legs) == [-1, -1, 1, 1]
    strategy, market, position = _open_condor()
    market.state.now = eastern(2024, 8, 9, 15, 0)
    market.state.vix = 25.0
    exits = strategy.manage(context(market), position)
    assert exits and exits[0].reason in ("time_exit",)


def test_wings_are_10_points_on_spy_and_30_on_the_index_scale():
    """SPEC section 5: wings 10 points wide on SPY (30 points on /ES): 3 index points per SPY point,
    not the 10 of the SPY-points scale (strategies.structures.product_points)."""
    assert [wing_points(10.0, root) for root in ("SPY", "QQQ", "ES", "MES", "SPXW")] == [10.0, 10.0, 30.0, 30.0, 30.0]
