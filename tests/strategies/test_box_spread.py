"""Short SPX box: legs and payoff, the implied-rate rule, refusals, sizing figures, the time exit, window, phase."""
from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import numpy as np
import pytest

from config.loader import load_config
from core.types import CALL, Purpose
from risk.margin import estimate_margin, max_loss_at_expiry
from strategies.box_spread import BoxSpread, implied_rate
from tests.strategies.kit import QuotelessMarket, context, eastern, filled_position, scripted_market

ENTRY = eastern(2024, 3, 4, 11, 0)  # a Monday; 2025-06-20 is 473 DTE (nearest 540 within 365-730)
EXPIRY = date(2025, 6, 20)
C1, C2, P2, P1 = (f"SPX 2025-06-20 {right} {strike}" for right, strike in
                  (("C", 5000), ("C", 5500), ("P", 5500), ("P", 5000)))


def box_market(rate, now=ENTRY, spy=500.0, vix=25.0):
    """SPX at 10 x SPY with the continuous risk-free rate `rate` (the kit's default is 0.045)."""
    market = scripted_market(now, spy=spy, vix=vix)
    market.state.rate = rate
    return market


def propose(market, overrides=None, positions=()):
    config = load_config(overrides or {})
    strategy = BoxSpread(config)
    ctx = context(market, config)
    return strategy, ctx, strategy.propose_entry(ctx, list(positions))


def test_short_box_at_the_money_500_wide_when_the_implied_rate_is_below_2_percent():
    strategy, ctx, proposal = propose(box_market(0.01))
    assert proposal is not None, strategy.last_skip_reason
    intent = proposal.intent
    assert intent.purpose == Purpose.OPEN and intent.quantity == ctx.config.risk.max_contracts
    assert [(leg.contract.key, leg.ratio) for leg in intent.legs] == [(C1, -1), (C2, 1), (P2, -1), (P1, 1)]
    assert all(leg.contract.expiry == EXPIRY for leg in intent.legs) and len(intent.legs) == 4
    mids = {leg.contract.key: ctx.market.quote(leg.contract).mid for leg in intent.legs}
    price = mids[C1] - mids[C2] + mids[P2] - mids[P1]  # the long box's price: the credit collected
    assert intent.limit_price == pytest.approx(-price, abs=0.051)  # SPX tick 0.05
    rate = implied_rate(500.0, price, 473 / 365)
    assert rate == pytest.approx(0.01, abs=0.001)  # the modelled 1% continuous rate, annually compounded
    assert f"implied rate {rate:.2%}" in intent.reason and "short box 5000/5500" in intent.reason
    # the ladder stops at the credit whose implied rate is 2.00%, rounded to the tick toward more credit
    at_two_percent = 500.0 / 1.02 ** (473 / 365)
    assert -at_two_percent - 0.05 < intent.price_bound <= -at_two_percent
    assert implied_rate(500.0, -intent.price_bound, 473 / 365) < 0.02
    assert intent.max_loss_per_unit == pytest.approx((500.0 - price) * 100)  # the interest
    assert intent.margin_per_unit == 500.0 * 100  # the width a broker holds
    assert proposal.buying_power_cap == 0.40 and proposal.credit_unit == pytest.approx(price * 100)


@pytest.mark.parametrize("expiry_price", [0.0, 4000.0, 5000.0, 5250.0, 5500.0, 7000.0])
def test_the_short_box_owes_the_width_at_any_expiry_price(expiry_price):
    _, _, proposal = propose(box_market(0.01))
    def intrinsic(contract):
        return max(0.0, (expiry_price - contract.strike) if contract.right == CALL else (contract.strike - expiry_price))
    value = sum(leg.ratio * intrinsic(leg.contract) * 100 for leg in proposal.intent.legs)
    assert value == pytest.approx(-500.0 * 100)


def test_payoff_and_margin_from_risk_margin():
    _, ctx, proposal = propose(box_market(0.01))
    short = [(leg.contract, leg.ratio) for leg in proposal.intent.legs]
    long = [(contract, -quantity) for contract, quantity in short]
    credit = -proposal.intent.limit_price * 100
    # the long box is worth at least the width (paying the width loses nothing, a dollar more loses it)
    assert max_loss_at_expiry(long, -50_000.0) == 0.0 and max_loss_at_expiry(long, -50_001.0) == pytest.approx(1.0)
    # ... and at most the width: the short box owes it, losing the width less its credit
    assert max_loss_at_expiry(short, 0.0) == pytest.approx(50_000.0)
    assert max_loss_at_expiry(short, credit) == pytest.approx(50_000.0 - credit)
    # estimate_margin charges the short box only its interest, hence the width in the proposal
    prices = {c.key: ctx.market.quote(c).mid for c, _ in short}
    interest = 50_000.0 - sum(-q * prices[c.key] for c, q in short) * 100
    assert estimate_margin(short, 5000.0, prices, {}, ENTRY) == pytest.approx(interest)
    assert interest < 1_000.0 < proposal.intent.margin_per_unit


class PatchedMarket:
    """The market with its chain changed by `patch` (quotes as modelled)."""

    def __init__(self, market, patch):
        self.inner, self.patch = market, patch

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def chain(self, root, min_dte, max_dte, right=None):
        return self.patch(self.inner.chain(root, min_dte, max_dte, right))


def scaled(factor):
    return lambda chain: dataclasses.replace(chain, bid=chain.bid * factor, ask=chain.ask * factor)


def cheap_put_5500(chain):
    """The 5500 put quoted 0.05/0.10 (far below its intrinsic value 500): the box costs less than nothing."""
    put = (chain.strikes == 5500.0) & ~chain.is_call
    return dataclasses.replace(chain, bid=np.where(put, 0.05, chain.bid), ask=np.where(put, 0.10, chain.ask))


def without_put_5500(chain):
    return chain.subset(~((chain.strikes == 5500.0) & ~chain.is_call))


@pytest.mark.parametrize(("market", "overrides", "reason"), [
    (box_market(0.045), {}, "implied rate 4.60% not below 2.00% (box 471.70 for 500)"),
    (box_market(0.01), {"box_spread_max_rate": "0.009"}, "implied rate 1.01% not below 0.90%"),
    (box_market(0.045), {"box_spread_max_rate": "0.05"}, None),
    (PatchedMarket(box_market(0.01), scaled(1.02)), {}, "box price 503.42 outside (0, 500)"),
    (PatchedMarket(box_market(0.01), cheap_put_5500), {}, "box price -190.35 outside (0, 500)"),
    (PatchedMarket(box_market(0.01), without_put_5500), {},
     "no put strike 500 points above 5000: the nearest listed width is 475 (tolerance 0)"),
    (PatchedMarket(box_market(0.01), without_put_5500), {"order_width_tolerance": "25"},
     "do not match the call strikes 5000/5500"),
    (box_market(0.01), {"box_spread_dte_min": "700", "box_spread_target_dte": "710", "box_spread_dte_max": "720"},
     "no SPX options listed 700-720 DTE"),
    (QuotelessMarket(box_market(0.01).state), {}, "quotes missing"),
])
def test_entry_refusals(market, overrides, reason):
    strategy, _, proposal = propose(market, overrides)
    if reason is None:
        assert proposal is not None, strategy.last_skip_reason
    else:
        assert proposal is None and reason in strategy.last_skip_reason


def test_one_position_at_most():
    _, ctx, first = propose(box_market(0.01))
    held = filled_position("box_spread", first.intent.legs, first.intent.limit_price, 1, ctx)
    strategy, _, proposal = propose(box_market(0.01), positions=[held])
    assert proposal is None and strategy.last_skip_reason == "1 box_spread position(s) open, at most 1"


@pytest.mark.parametrize(("day", "spy", "vix", "reason"), [
    (date(2024, 9, 3), 350.0, 60.0, None),  # held through a crash
    (date(2025, 5, 20), 650.0, 12.0, None),  # 31 DTE
    (date(2025, 5, 21), 500.0, 25.0, "time_exit"),  # 30 DTE: bought back
])
def test_held_until_30_dte_then_bought_back(day, spy, vix, reason):
    market = box_market(0.01)
    strategy, ctx, proposal = propose(market)
    position = filled_position(strategy.key, proposal.intent.legs, proposal.intent.limit_price, 2, ctx)
    market.state.now = eastern(day.year, day.month, day.day, 11, 0)
    market.state.prices.update(SPY=spy, SPX=spy * 10.0)
    market.state.vix = vix
    exits = strategy.manage(context(market), position)
    assert [i.reason for i in exits] == ([reason] if reason else [])
    if reason:
        assert exits[0].purpose == Purpose.CLOSE and exits[0].position_id == "P1" and exits[0].quantity == 2
        assert sorted((leg.contract.key, leg.ratio) for leg in exits[0].legs) == sorted(
            [(C1, 1), (C2, -1), (P2, 1), (P1, -1)])


def test_entry_window_monday_1100_to_1130_once_a_day_from_phase_3():
    strategy = BoxSpread(load_config())
    assert strategy.min_phase == 3
    window = [(ENTRY, True), (eastern(2024, 3, 4, 11, 30), True), (eastern(2024, 3, 4, 10, 59), False),
              (eastern(2024, 3, 4, 11, 31), False), (eastern(2024, 3, 5, 11, 0), False),
              (eastern(2024, 3, 8, 11, 0), False)]
    assert [strategy.is_entry_window(context(scripted_market(t))) for t, _ in window] == [w for _, w in window]
    ctx = context(scripted_market(ENTRY))
    strategy.propose_entry(ctx, [])
    assert not strategy.is_entry_window(ctx)
    next_week = context(scripted_market(ENTRY + timedelta(days=7)))
    assert strategy.is_entry_window(next_week)
    assert not BoxSpread(load_config({"box_spread_enabled": "false"})).is_entry_window(next_week)
