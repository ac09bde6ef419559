"""Short LEAP put compounder: the rung proposal, refusals, the rung cap per phase, later rungs on
later Mondays, per-rung management (roll, target, stop), the entry window and the phase gate."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from config.loader import load_config
from core.types import PUT, Leg, Purpose
from offline.market.market_view import ModelledMarketView
from strategies.short_leap_put import ShortLeapPut
from tests.strategies.kit import context, eastern, filled_position, holding, scripted_market

ENTRY = eastern(2024, 3, 4, 10, 50)  # a Monday; 2025-03-21 is 382 DTE, the only expiry 330-420 DTE
EXPIRY = date(2025, 3, 21)
FIRST, SECOND = "SPY 2025-03-21 P 350", "SPY 2025-03-21 P 355"  # 0.127 and (a week later) 0.134 delta


class QuotelessMarket(ModelledMarketView):
    """The modelled market with every contract quote withheld."""

    def quote(self, contract):
        return None


def at_phase(market, phase, config=None):
    """A decision context whose account is in `phase`."""
    ctx = context(market, config)
    account = replace(ctx.account, phase=phase)
    return replace(ctx, account_source=lambda: account)


def rungs(ctx, *strikes):
    """A compounder position holding one short put rung per strike (2025-03-21 expiry)."""
    chain = ctx.market.chain("SPY", 330, 420, PUT)
    legs = tuple(Leg(chain.contract(int(row)), -1) for strike in strikes
                 for row in range(len(chain)) if chain.strikes[row] == strike)
    return filled_position("short_leap_put", legs, -5.0 * len(legs), 1, ctx)


def test_first_rung_sells_one_13_delta_put_about_365_dte_and_its_order_carries_its_credit():
    strategy = ShortLeapPut(load_config())
    ctx = at_phase(scripted_market(ENTRY, spy=450.0, vix=18.0), 2)
    proposal = strategy.propose_entry(ctx, [])
    assert proposal is not None, strategy.last_skip_reason
    intent = proposal.intent
    assert intent.purpose == Purpose.OPEN and intent.position_id is None
    assert intent.quantity == ctx.config.risk.max_contracts
    assert [(leg.contract.key, leg.ratio) for leg in intent.legs] == [(FIRST, -1)]
    assert (EXPIRY - ctx.today).days == 382
    credit = ctx.market.quote(intent.legs[0].contract).mid
    assert credit == pytest.approx(9.075) and intent.limit_price == pytest.approx(-9.07)
    assert intent.reason == ("short LEAP put rung 1 SPY 2025-03-21 P 350 (382 DTE, 0.127 delta), "
                             "credit 9.07, VIX 18.00")
    assert intent.max_loss_per_unit == pytest.approx(3.0 * credit * 100)
    assert proposal.credit_unit == pytest.approx(credit * 100) and proposal.buying_power_cap == 0.05
    assert intent.leg_marks == (pytest.approx(credit),)


@pytest.mark.parametrize(("market", "overrides", "reason"), [
    (scripted_market(ENTRY, vix=14.9), {}, "VIX 14.90 below 15"),
    (scripted_market(ENTRY, vix=18.0), {"short_leap_put_target_dte": "430", "short_leap_put_dte_min": "420",
                                        "short_leap_put_dte_max": "460"}, "no SPY puts listed 420-460 DTE"),
    (scripted_market(ENTRY, vix=18.0), {"short_leap_put_delta_min": "0.129", "short_leap_put_delta_max": "0.131"},
     "nearest free put SPY 2025-03-21 P 350 at 0.127 delta, outside 0.129-0.131"),
    (QuotelessMarket(scripted_market(ENTRY, vix=18.0).state), {}, "quotes missing for a leg"),
])
def test_entry_refusals(market, overrides, reason):
    config = load_config(overrides)
    strategy = ShortLeapPut(config)
    assert strategy.propose_entry(at_phase(market, 2, config), []) is None
    assert strategy.last_skip_reason == reason


def test_a_second_position_is_never_opened_rungs_go_into_the_first():
    strategy = ShortLeapPut(load_config())
    ctx = at_phase(scripted_market(ENTRY, vix=18.0), 2)
    assert strategy.propose_entry(ctx, [rungs(ctx, 300.0)]) is None
    assert strategy.last_skip_reason == "1 short_leap_put position(s) open, at most 1"


@pytest.mark.parametrize(("phase", "held", "refusal"), [
    (1, (), "0 rung(s) held, at most 0 in phase 1"),
    (2, (300.0,), None),
    (2, (300.0, 305.0), "2 rung(s) held, at most 2 in phase 2"),
    (3, (300.0, 305.0), None),
    (3, (300.0, 305.0, 310.0), "3 rung(s) held, at most 3 in phase 3"),
    (4, (300.0, 305.0, 310.0), None),
])
def test_rung_cap_per_phase(phase, held, refusal):
    strategy = ShortLeapPut(load_config())
    ctx = at_phase(scripted_market(ENTRY, vix=18.0), phase)
    position = rungs(ctx, *held) if held else None
    proposal = strategy.propose_adjustment(ctx, position) if position else strategy.propose_entry(ctx, [])
    if refusal:
        assert proposal is None and strategy.last_skip_reason == refusal
        return
    assert proposal.intent.position_id == "P1"
    assert [(leg.contract.key, leg.ratio) for leg in proposal.intent.legs] == [(FIRST, -1)]
    assert proposal.intent.reason.startswith(f"short LEAP put rung {len(held) + 1} {FIRST} ")


def test_ten_rungs_in_phase_4():
    strategy = ShortLeapPut(load_config())
    ctx = at_phase(scripted_market(ENTRY, vix=18.0), 4)
    position = rungs(ctx, *(300.0 + 5 * i for i in range(10)))
    assert strategy.propose_adjustment(ctx, position) is None
    assert strategy.last_skip_reason == "10 rung(s) held, at most 10 in phase 4"


def opened():
    """The first rung sold and filled at its proposed limit."""
    strategy = ShortLeapPut(load_config())
    market = scripted_market(ENTRY, spy=450.0, vix=18.0)
    ctx = at_phase(market, 2)
    proposal = strategy.propose_entry(ctx, [])
    position = filled_position(strategy.key, proposal.intent.legs, proposal.intent.limit_price, 1, ctx,
                               marks=proposal.intent.leg_marks)
    assert strategy.manage(ctx, position) == []
    assert position.terms.entry_marks == {FIRST: pytest.approx(9.075)}  # the credit its order carried
    return strategy, market, position


def test_one_rung_a_monday_a_held_contract_is_never_sold_again():
    strategy, market, position = opened()
    assert strategy.propose_adjustment(at_phase(market, 2), position) is None  # same Monday: done
    assert strategy.last_skip_reason == ""
    market.state.now = ENTRY + timedelta(days=7)
    ctx = at_phase(market, 2)
    proposal = strategy.propose_adjustment(ctx, position)
    assert proposal.intent.position_id == "P1" and proposal.intent.purpose == Purpose.OPEN
    assert [(leg.contract.key, leg.ratio) for leg in proposal.intent.legs] == [(SECOND, -1)]  # 350 is held
    assert "rung 2 " in proposal.intent.reason and "(375 DTE, 0.134 delta)" in proposal.intent.reason
    assert proposal.intent.leg_marks == (pytest.approx(9.46, abs=0.005),)
    assert strategy.propose_adjustment(ctx, position) is None  # at most one rung analysis a Monday
    position.apply_fill(proposal.intent.legs, 1, 946.0, 0.0, proposal.intent.leg_marks)
    assert strategy.manage(ctx, position) == []
    assert position.terms.entry_marks == {FIRST: pytest.approx(9.075), SECOND: pytest.approx(9.46, abs=0.005)}


@pytest.mark.parametrize("when", [
    eastern(2024, 3, 11, 10, 44), eastern(2024, 3, 11, 11, 16), eastern(2024, 3, 12, 10, 50),
])
def test_later_rungs_only_inside_the_monday_window(when):
    strategy, market, position = opened()
    market.state.now = when
    assert strategy.propose_adjustment(at_phase(market, 2), position) is None


@pytest.mark.parametrize(("days", "spy", "vix", "reason"), [
    (30, 450.0, 18.0, None),  # mid 8.27 of a 9.075 credit
    (10, 390.0, 40.0, None),  # mid 30.52: a loss of 2.4 x the credit, inside the 3 x stop
    (60, 500.0, 15.0, "profit_target"),  # mid 3.88: 57% of the credit made
    (10, 370.0, 45.0, "stop_loss"),  # mid at least 4 x the credit
    (231, 450.0, 18.0, "profit_target"),  # 151 DTE
    (232, 400.0, 25.0, "roll"),  # 150 DTE: bought back whatever the P&L
])
def test_rung_management(days, spy, vix, reason):
    strategy, market, position = opened()
    market.state.now = ENTRY + timedelta(days=days)
    market.state.prices["SPY"], market.state.vix = spy, vix
    exits = strategy.manage(context(market), position)
    assert [i.reason for i in exits] == ([reason] if reason else [])
    mid = market.quote(position.contracts()[0][0]).mid
    assert (mid <= 0.7 * 9.075) == (reason == "profit_target" and days < 232)
    assert (mid >= 4.0 * 9.075) == (reason == "stop_loss")
    if reason:
        assert exits[0].purpose == Purpose.CLOSE and exits[0].position_id == "P1" and exits[0].quantity == 1
        assert [(leg.contract.key, leg.ratio) for leg in exits[0].legs] == [(FIRST, 1)]


def test_each_rung_is_managed_on_its_own_credit():
    strategy, market, position = opened()
    market.state.now = ENTRY + timedelta(days=7)
    second = strategy.propose_adjustment(at_phase(market, 2), position)
    position.apply_fill(second.intent.legs, 3, 3 * 946.0, 0.0, (5.0,))  # as if it had collected only 5.00
    assert strategy.manage(context(market), position) == []
    assert holding(position) == {FIRST: -1, SECOND: -3}
    market.state.now = ENTRY + timedelta(days=60)
    market.state.prices["SPY"] = 500.0
    assert market.quote(second.intent.legs[0].contract).mid > 0.7 * 5.0  # the second rung: no target
    exits = strategy.manage(context(market), position)
    assert [(i.reason, i.quantity, [(leg.contract.key, leg.ratio) for leg in i.legs]) for i in exits] == [
        ("profit_target", 1, [(FIRST, 1)])]
    position.terms.entry_marks[SECOND] = 20.0
    exits = strategy.manage(context(market), position)
    assert [(i.reason, i.quantity, i.legs[0].contract.key) for i in exits] == [
        ("profit_target", 1, FIRST), ("profit_target", 3, SECOND)]


def test_a_rung_without_a_known_credit_is_only_rolled():
    strategy, market, _ = opened()
    position = rungs(context(market), 350.0)
    position.position_id = "P2"  # an adopted rung: no entry mark
    market.state.now = ENTRY + timedelta(days=60)
    market.state.prices["SPY"] = 500.0
    assert strategy.manage(context(market), position) == []
    market.state.now = ENTRY + timedelta(days=232)
    assert [i.reason for i in strategy.manage(context(market), position)] == ["roll"]


def test_entry_window_monday_1045_to_1115_once_a_day_from_phase_2():
    strategy = ShortLeapPut(load_config())
    assert strategy.min_phase == 2
    window = [(ENTRY, True), (eastern(2024, 3, 4, 10, 45), True), (eastern(2024, 3, 4, 11, 15), True),
              (eastern(2024, 3, 4, 10, 44), False), (eastern(2024, 3, 4, 11, 16), False),
              (eastern(2024, 3, 5, 10, 50), False), (eastern(2024, 3, 8, 10, 50), False)]
    assert [strategy.is_entry_window(context(scripted_market(t))) for t, _ in window] == [w for _, w in window]
    ctx = at_phase(scripted_market(ENTRY, vix=18.0), 2)
    strategy.propose_entry(ctx, [])
    assert not strategy.is_entry_window(ctx)
    assert strategy.is_entry_window(context(scripted_market(ENTRY + timedelta(days=7))))
    disabled = ShortLeapPut(load_config({"short_leap_put_enabled": "false"}))
    later = scripted_market(ENTRY + timedelta(days=7), vix=18.0)
    assert not disabled.is_entry_window(context(later))
    assert disabled.propose_adjustment(at_phase(later, 2), rungs(context(later), 300.0)) is None
