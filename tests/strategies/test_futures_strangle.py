"""Futures strangle on /MES: window, each entry filter, strikes and expiry, sizing inputs, every exit and the roll.

Scripted path: entry on Tuesday 2024-08-13 10:00 (second Tuesday of August) with SPY 530 (MES 5326.5),
VIX 22 and a VIX history from 12 to 30 (IV rank 55.6); the chain lists one 80-100 DTE expiry,
2024-11-15 (94 DTE). Later scenarios move MES, VIX and the clock.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from config.constants import Regime
from config.loader import load_config
from core.types import CALL, PUT, DailyBars, Purpose
from helpers.volatility_rank import iv_rank, realised_vols
from offline.market.market_view import ModelledMarketView
from risk.margin import estimate_margin
from strategies.base import position_pnl
from strategies.defensive import contract_deltas, short_contracts
from strategies.futures_strangle import FuturesStrangle
from tests.strategies.kit import account_in_phase, context, eastern, filled_position, scripted_market

ENTRY = eastern(2024, 8, 13, 10, 0)
EXPIRY = date(2024, 11, 15)
HISTORY = np.linspace(12.0, 30.0, 252)


def vix_history(closes):
    """A daily-bars source that knows only the VIX."""
    closes = np.asarray(closes, dtype=np.float64)

    def source(root, count):
        if root != "VIX":
            return None
        c = closes[-count:]
        return DailyBars(np.arange(c.size).astype("datetime64[D]"), c, c, c, c)
    return source


def market(now, spy=530.0, vix=22.0, history=HISTORY):
    base = scripted_market(now, spy=spy, vix=vix)
    return ModelledMarketView(base.state, daily_bars=None if history is None else vix_history(history))


def propose(mkt, config=None, positions=(), regime=None, net_liq=30_000.0):
    strategy = FuturesStrangle(config or load_config())
    ctx = context(mkt, config, net_liq, regime=regime)
    return strategy, ctx, strategy.propose_entry(ctx, list(positions))


def opened():
    """The strangle proposed at ENTRY, filled at its limit (1 unit)."""
    strategy, ctx, proposal = propose(market(ENTRY))
    return strategy, filled_position(strategy.key, proposal.intent.legs, proposal.intent.limit_price, 1, ctx)


def _row(chain, contract):
    return int(np.flatnonzero((chain.strikes == contract.strike) & (chain.is_call == (contract.right == CALL))
                              & (chain.expiries == np.datetime64(contract.expiry, "D")))[0])


def test_iv_rank_formula():
    assert iv_rank(np.array([12.0, 30.0, 20.0]), 22.0) == pytest.approx(100 * 10 / 18)
    assert iv_rank(np.array([12.0, 30.0]), 40.0) == 100.0  # above the range
    assert iv_rank(np.array([12.0, 30.0]), 10.0) == 0.0
    assert iv_rank(np.array([np.nan, 15.0, 25.0]), 20.0) == pytest.approx(50.0)
    assert iv_rank(np.array([]), 20.0) is None
    assert iv_rank(np.array([20.0, 20.0]), 20.0) is None
    assert iv_rank(np.array([12.0, 30.0]), float("nan")) is None


def test_strangle_strikes_expiry_and_sizing_inputs():
    strategy, ctx, proposal = propose(market(ENTRY))
    assert proposal is not None, strategy.last_skip_reason
    intent = proposal.intent
    assert intent.purpose == Purpose.OPEN and intent.position_id is None
    put, call = intent.legs
    assert (put.contract.right, put.ratio, call.contract.right, call.ratio) == (PUT, -1, CALL, -1)
    assert put.contract.expiry == call.contract.expiry == EXPIRY  # 94 DTE, inside 80-100
    chain = ctx.market.chain("MES", 94, 94)
    rows = [_row(chain, leg.contract) for leg in intent.legs]
    assert 0.05 <= -chain.delta[rows[0]] <= 0.07 and 0.045 <= chain.delta[rows[1]] <= 0.065
    for leg, row in zip(intent.legs, rows):  # the listed strike nearest the target delta
        side = (chain.expiries == chain.expiries[row]) & (chain.is_call == chain.is_call[row])
        target = 0.06 if leg.contract.right == PUT else 0.055
        assert abs(abs(chain.delta[row]) - target) == pytest.approx(np.nanmin(np.abs(np.abs(chain.delta[side]) - target)))
    credit = float(chain.mid[rows[0]] + chain.mid[rows[1]])
    assert proposal.credit_unit == pytest.approx(credit * 5.0)  # USD per unit, MES multiplier 5
    assert intent.limit_price < 0 and abs(-intent.limit_price - credit) <= 0.125 + 1e-9  # the mid on the 0.25 tick
    assert intent.max_loss_per_unit == pytest.approx(2.0 * credit * 5.0)  # naked: risk = the 200% stop
    span = estimate_margin([(leg.contract, -1) for leg in intent.legs], chain.underlying_price,
                           {leg.contract.key: float(chain.mid[r]) for leg, r in zip(intent.legs, rows)},
                           {leg.contract.key: float(chain.iv[r]) for leg, r in zip(intent.legs, rows)}, ENTRY.date())
    assert intent.margin_per_unit == pytest.approx(span) and span > intent.max_loss_per_unit
    assert intent.margin_per_unit < 0.06 * 30_000  # one unit fits the 6% cap at $30k (SPEC)
    assert intent.max_loss_per_unit < 0.02 * 30_000  # and the 2% rule
    assert (proposal.kelly.win_rate, proposal.kelly.avg_win, proposal.kelly.avg_loss) == (0.72, 0.50, 1.00)
    assert proposal.buying_power_cap == 0.06 and intent.quantity == 10
    assert "IV rank 56" in intent.reason


@pytest.mark.parametrize(("vix", "regime", "history", "reason"), [
    (11.0, Regime.EXTREMELY_LOW, np.linspace(5.0, 12.0, 252), "regime EXTREMELY_LOW"),
    (31.0, Regime.HIGH, HISTORY, "regime HIGH"),
    (36.0, Regime.EXTREME, HISTORY, "regime EXTREME"),
    (15.0, None, HISTORY, "IV rank 16.7 below 30"),
    (22.0, None, None, "no VIX history"),
    (22.0, None, np.full(252, 22.0), "no VIX history"),  # an empty range has no rank
])
def test_entry_filters_refuse(vix, regime, history, reason):
    strategy, _, proposal = propose(market(ENTRY, vix=vix, history=history), regime=regime)
    assert proposal is None and reason in strategy.last_skip_reason


def test_iv_rank_uses_the_configured_lookback():
    history = np.concatenate([np.full(200, 80.0), np.linspace(12.0, 30.0, 52)])  # an old spike to 80
    strategy, _, proposal = propose(market(ENTRY, history=history))
    assert proposal is None and "IV rank 14.7 below 30" in strategy.last_skip_reason  # 252 sessions: 12..80
    config = load_config({"futures_strangle_iv_rank_lookback_sessions": 52})
    strategy, _, proposal = propose(market(ENTRY, history=history), config)
    assert proposal is not None and "IV rank 56" in proposal.intent.reason  # 52 sessions: 12..30


def test_products_without_a_vix_rank_and_missing_chains_refuse():
    strategy, _, proposal = propose(market(ENTRY), load_config({"futures_strangle_products": "MCL"}))
    assert proposal is None and "no MCL daily history for the realised-volatility rank" in strategy.last_skip_reason
    mkt = market(ENTRY)
    del mkt.state.prices["MES"]
    strategy, _, proposal = propose(mkt)
    assert proposal is None and "no MES options 80-100 DTE" in strategy.last_skip_reason


def test_an_expiry_held_by_an_open_strangle_is_not_reused():
    _, held = opened()
    strategy, _, proposal = propose(market(ENTRY), positions=[held])
    assert proposal is None and "no open strangle holds" in strategy.last_skip_reason


class SparseMarket(ModelledMarketView):
    """The modelled market listing only strikes on a 500-point grid."""

    def chain(self, root, min_dte, max_dte):
        full = super().chain(root, min_dte, max_dte)
        return None if full is None else full.subset(full.strikes % 500.0 == 0.0)


def test_a_strike_far_from_the_target_delta_is_refused():
    base = market(ENTRY)
    strategy, _, proposal = propose(SparseMarket(base.state, daily_bars=vix_history(HISTORY)))
    assert proposal is None and "no put within 0.01 of 0.06 delta" in strategy.last_skip_reason


def test_window_second_tuesday_0945_to_1015_once_a_day():
    strategy = FuturesStrangle(load_config())
    assert strategy.is_entry_window(context(market(eastern(2024, 8, 13, 9, 45))))
    assert strategy.is_entry_window(context(market(eastern(2024, 8, 13, 10, 15))))
    assert not strategy.is_entry_window(context(market(eastern(2024, 8, 13, 10, 16))))
    assert not strategy.is_entry_window(context(market(eastern(2024, 8, 13, 9, 44))))
    assert not strategy.is_entry_window(context(market(eastern(2024, 8, 6, 10, 0))))  # first Tuesday
    assert not strategy.is_entry_window(context(market(eastern(2024, 8, 20, 10, 0))))  # third Tuesday
    assert strategy.is_entry_window(context(market(eastern(2024, 11, 12, 10, 0))))  # second Tuesday of November
    strategy.propose_entry(context(market(ENTRY)), [])
    assert not strategy.is_entry_window(context(market(eastern(2024, 8, 13, 10, 5))))


ISOLATED = {"futures_strangle_stop_loss": 10.0}  # keeps the credit stop out of the delta-rule tests


def manage_at(when, spy, vix, overrides=None):
    # $100,000 on /MES: one unit at the isolating 10x-credit stop ($1,700) passes the 2% rule
    config = load_config({"futures_strangle_full_size": "false", **(overrides or {})})
    strategy, ctx, proposal = propose(market(ENTRY), config, net_liq=100_000.0)
    position = filled_position(strategy.key, proposal.intent.legs, proposal.intent.limit_price, 1, ctx)
    ctx = context(market(when, spy=spy, vix=vix), config)
    return strategy, position, ctx, strategy.manage(ctx, position)


def spy_where(when, vix, right, low, high):
    """SPY price at which the entry's short of `right` has low <= |delta| < high (bisection)."""
    _, position, *_ = manage_at(ENTRY, 530.0, 22.0)
    short = next(c for c in short_contracts(position) if c.right == right)

    def delta(spy):
        return abs(contract_deltas(context(market(when, spy=spy, vix=vix)), [short]).get(short.key, 0.0))
    near, far = 530.0, (650.0 if right == CALL else 400.0)
    for _ in range(40):
        middle = (near + far) / 2.0
        value = delta(middle)
        if low <= value < high:
            return middle
        near, far = (middle, far) if value < low else (near, middle)
    raise AssertionError(f"no SPY price puts the {right} between {low} and {high} delta")


SEPT, OCT = eastern(2024, 9, 3, 11, 0), eastern(2024, 10, 1, 11, 0)


def test_nothing_to_do_on_a_quiet_day():
    *_, exits = manage_at(SEPT, 530.0, 22.0)
    assert exits == []


@pytest.mark.parametrize(("when", "spy", "vix", "reason"), [
    (eastern(2024, 10, 24, 11, 0), 530.0, 22.0, "profit_target"),  # 22 DTE, spot unchanged: decay
    (SEPT, 600.0, 22.0, "stop_loss"),  # a 13% rally
    (eastern(2024, 10, 25, 11, 0), 470.0, 22.0, "time_exit"),  # 21 DTE, whatever the P&L
    (SEPT, 530.0, 31.0, "regime_exit"),  # HIGH closes every futures strangle
    (SEPT, 530.0, 36.0, "regime_exit"),  # and so does EXTREME
])
def test_target_stop_time_and_regime_exits(when, spy, vix, reason):
    _, position, ctx, exits = manage_at(when, spy, vix)
    assert [i.reason for i in exits] == [reason] and exits[0].purpose == Purpose.CLOSE
    assert sorted(leg.ratio for leg in exits[0].legs) == [1, 1] and exits[0].position_id == "P1"
    if reason in ("profit_target", "stop_loss"):
        pnl = position_pnl(position, ctx.market)
        assert (pnl >= 0.5 * position.entry_cash) if reason == "profit_target" else (pnl <= -2.0 * position.entry_cash)


def test_profit_target_and_stop_thresholds_are_the_parameters():
    _, position, ctx, exits = manage_at(SEPT, 530.0, 22.0)
    fraction = position_pnl(position, ctx.market) / position.entry_cash
    assert 0.0 < fraction < 0.5 and exits == []
    *_, exits = manage_at(SEPT, 530.0, 22.0, {"futures_strangle_profit_target": round(fraction - 0.01, 2)})
    assert [i.reason for i in exits] == ["profit_target"]
    *_, exits = manage_at(SEPT, 600.0, 22.0, {"futures_strangle_stop_loss": 10.0})
    assert [i.reason for i in exits] == ["delta_stop"]  # the loss alone no longer stops it


def test_short_at_25_delta_closes_that_side_only():
    spy = spy_where(OCT, 22.0, CALL, 0.25, 0.30)
    _, position, _, exits = manage_at(OCT, spy, 22.0, ISOLATED)
    call = next(c for c in short_contracts(position) if c.right == CALL)
    assert [(i.reason, [(leg.contract, leg.ratio) for leg in i.legs]) for i in exits] == [("delta_stop", [(call, 1)])]


def test_short_put_at_25_delta_closes_the_put_side_only():
    spy = spy_where(OCT, 27.0, PUT, 0.25, 0.30)
    _, position, _, exits = manage_at(OCT, spy, 27.0, ISOLATED)
    put = next(c for c in short_contracts(position) if c.right == PUT)
    assert [(i.reason, [(leg.contract, leg.ratio) for leg in i.legs]) for i in exits] == [("delta_stop", [(put, 1)])]


@pytest.mark.parametrize(("vix", "right"), [(22.0, CALL), (27.0, PUT)])
def test_short_at_30_delta_closes_everything(vix, right):
    spy = spy_where(OCT, vix, right, 0.30, 0.40)
    *_, exits = manage_at(OCT, spy, vix, ISOLATED)
    assert [i.reason for i in exits] == ["delta_stop"] and sorted(leg.ratio for leg in exits[0].legs) == [1, 1]


def _fill(position, legs, price, units=1):
    position.apply_fill(tuple(legs), units, -price * units * 5.0, 0.0)


def test_untested_put_is_rolled_closer_once_when_the_call_reaches_20_delta():
    spy = spy_where(SEPT, 22.0, CALL, 0.20, 0.25)
    strategy, position, ctx, exits = manage_at(SEPT, spy, 22.0, ISOLATED)
    put, call = sorted(short_contracts(position), key=lambda c: c.right != PUT)
    deltas = contract_deltas(ctx, [put, call])
    # step 1: buy back the untested put; the tested call is left alone
    assert [(i.reason, [(leg.contract, leg.ratio) for leg in i.legs]) for i in exits] == [("roll", [(put, 1)])]
    assert position.terms.rolled is True and position.terms.roll is not None
    assert strategy.propose_adjustment(ctx, position) is None  # the buy-back has not filled yet
    _fill(position, exits[0].legs, exits[0].limit_price)
    # step 2: sell the replacement, same expiry, closer: max(2 x its delta, its 6-delta entry target)
    proposal = strategy.propose_adjustment(ctx, position)
    intent = proposal.intent
    assert intent.purpose == Purpose.OPEN and intent.position_id == "P1" and intent.quantity == 1
    assert strategy.propose_adjustment(ctx, position) is None  # once a day: a denied leg waits for tomorrow
    tomorrow = context(market(eastern(2024, 9, 4, 11, 0), spy=spy), strategy.config)
    assert strategy.propose_adjustment(tomorrow, position).intent.legs == intent.legs
    (leg,) = intent.legs
    target = max(2.0 * -deltas[put.key], 0.06)
    new_delta = -contract_deltas(ctx, [leg.contract])[leg.contract.key]
    assert leg.ratio == -1 and leg.contract.right == PUT and leg.contract.expiry == EXPIRY
    assert leg.contract.strike > put.strike and abs(new_delta - target) < 0.005 and new_delta < deltas[call.key]
    assert intent.limit_price < 0 and -intent.limit_price > exits[0].limit_price  # a credit roll
    assert intent.max_loss_per_unit == pytest.approx(10.0 * proposal.credit_unit)  # the stop (here 10 x credit)
    assert proposal.kelly.win_rate == 0.72 and proposal.buying_power_cap == 0.06
    # margin: what the new put adds to the call's SPAN-like estimate; the rally scenario dominates, so 0
    chain = ctx.market.chain("MES", (EXPIRY - SEPT.date()).days, (EXPIRY - SEPT.date()).days)
    rows = {c.key: _row(chain, c) for c in (call, leg.contract)}
    prices = {k: float(chain.mid[r]) for k, r in rows.items()}
    vols = {k: float(chain.iv[r]) for k, r in rows.items()}
    alone = estimate_margin([(call, -1)], chain.underlying_price, prices, vols, SEPT.date())
    both = estimate_margin([(call, -1), (leg.contract, -1)], chain.underlying_price, prices, vols, SEPT.date())
    assert intent.margin_per_unit == pytest.approx(max(0.0, both - alone)) and both <= alone
    # the new short is booked: nothing more to add, and the roll never happens twice
    _fill(position, intent.legs, intent.limit_price)
    assert strategy.propose_adjustment(ctx, position) is None and position.terms.roll is None
    assert strategy.manage(ctx, position) == []


def test_tested_put_is_never_rolled_the_untested_call_is():
    spy = spy_where(SEPT, 27.0, PUT, 0.20, 0.25)
    strategy, position, ctx, exits = manage_at(SEPT, spy, 27.0, ISOLATED)
    put, call = sorted(short_contracts(position), key=lambda c: c.right != PUT)
    assert [(i.reason, [(leg.contract, leg.ratio) for leg in i.legs]) for i in exits] == [("roll", [(call, 1)])]
    _fill(position, exits[0].legs, exits[0].limit_price)
    (leg,) = strategy.propose_adjustment(ctx, position).intent.legs
    assert leg.contract.right == CALL and leg.contract.expiry == put.expiry == EXPIRY  # never out in time
    assert leg.contract.strike < call.strike and position.holdings[put.key][1] == -1  # the put is untouched


def test_no_roll_while_the_tested_short_is_below_20_delta():
    spy = spy_where(SEPT, 22.0, CALL, 0.15, 0.195)
    *_, exits = manage_at(SEPT, spy, 22.0, ISOLATED)
    assert exits == []


def test_after_one_side_is_closed_the_other_is_managed_alone():
    spy = spy_where(OCT, 22.0, CALL, 0.25, 0.30)
    strategy, position, ctx, exits = manage_at(OCT, spy, 22.0, ISOLATED)
    _fill(position, exits[0].legs, exits[0].limit_price)
    assert [c.right for c, _ in position.contracts()] == [PUT]
    assert strategy.manage(ctx, position) == []  # no roll with one short left
    later = context(market(eastern(2024, 10, 25, 10, 0), spy=spy), strategy.config)
    assert [(i.reason, [leg.ratio for leg in i.legs]) for i in strategy.manage(later, position)] == [("time_exit", [1])]


@pytest.mark.parametrize(("phase", "net_liq", "expected"), [
    (1, 30_000.0, [("MES",)]), (2, 40_000.0, [("MES",), ("MCL",), ("MGC",)]),
    (4, 74_999.0, [("MES",), ("MCL",), ("MGC",)]), (4, 75_000.0, [("ES", "MES"), ("CL", "MCL"), ("GC", "MGC")]),
])
def test_products_per_phase_and_full_size_tried_first_from_75k(phase, net_liq, expected):
    strategy = FuturesStrangle(load_config())
    assert strategy.products(account_in_phase(context(market(ENTRY)), phase, net_liq)) == expected
    micro_only = FuturesStrangle(load_config({"futures_strangle_full_size": "false"}))
    assert micro_only.products(account_in_phase(context(market(ENTRY)), 4, 150_000.0)) == [("MES",), ("MCL",),
                                                                                             ("MGC",)]


def test_one_product_per_call_until_each_was_tried_that_day():
    strategy = FuturesStrangle(load_config())
    ctx = account_in_phase(context(market(ENTRY)), 2, 40_000.0)
    reasons = []
    while strategy.is_entry_window(ctx):
        proposal = strategy.propose_entry(ctx, [])
        reasons.append(proposal.intent.reason.split()[0] if proposal else strategy.last_skip_reason)
    assert reasons[0] == "MES" and len(reasons) == 3
    assert all("MCL" in r for r in reasons[1:2]) and "MGC" in reasons[2]  # no daily history: refused, named


@pytest.mark.parametrize("products", ["", "MES,MES", "MES,NQ", "SPY"])
def test_products_must_be_distinct_known_futures_roots(products):
    with pytest.raises(ValueError, match="futures_strangle_products"):
        load_config({"futures_strangle_products": products})


def test_realised_volatility_proxy_of_the_iv_rank():
    closes = 100.0 * np.exp(np.cumsum(np.tile([0.01, -0.01], 15)))  # 1% moves: 15.9% a year
    vols = realised_vols(np.concatenate([[100.0], closes]), 20)
    assert vols is not None and len(vols) == 11
    np.testing.assert_allclose(vols, 0.01 * np.sqrt(20 / 19) * np.sqrt(252.0), rtol=0.03)
    assert realised_vols(closes[:20], 20) is None and realised_vols(np.array([1.0] * 20 + [0.0]), 20) is None


def test_full_size_only_where_one_full_size_unit_passes_the_2_percent_rule():
    # 2024-09-10 at $150,000: one /ES strangle (10 x /MES, stop 2 x credit 31.00 x $50) risks $3,100, above
    # 2% ($3,000): the micro root stays the unit (the sizer then trades several /MES lots); the reason says why
    when = eastern(2024, 9, 10, 10, 0)
    strategy = FuturesStrangle(load_config())
    proposal = strategy.propose_entry(account_in_phase(context(market(when)), 4, 150_000.0), [])
    assert {leg.contract.root for leg in proposal.intent.legs} == {"MES"}
    assert proposal.intent.reason.endswith("; product MES (passed over: ES: one unit needs $10,361 of buying power, "
                                           "above the 6% cap ($9,000))")
    # at $200,000 one /ES unit passes: full size, 1 contract instead of 10 at the same per-contract fee
    strategy = FuturesStrangle(load_config())
    proposal = strategy.propose_entry(account_in_phase(context(market(when)), 4, 200_000.0), [])
    assert {leg.contract.root for leg in proposal.intent.legs} == {"ES"}
    assert proposal.intent.reason.endswith("; product ES")


def test_micro_roots_are_not_traded_before_their_options_were_listed():
    strategy = FuturesStrangle(load_config())
    ctx = account_in_phase(context(market(eastern(2021, 8, 10, 10, 0))), 2, 40_000.0)  # second Tuesday
    reasons = []
    while strategy.is_entry_window(ctx):
        proposal = strategy.propose_entry(ctx, [])
        reasons.append(proposal.intent.reason if proposal else strategy.last_skip_reason)
    assert reasons[1:] == ["no product fits: MCL options listed from 2022-06-06",
                           "no product fits: MGC options listed from 2023-10-02"]


def test_a_timed_out_entry_reopens_the_root_it_tried_once_a_day():
    strategy = FuturesStrangle(load_config())
    ctx = context(market(ENTRY))
    assert strategy.propose_entry(ctx, []) is not None and not strategy.is_entry_window(ctx)
    assert strategy.reopen_entry(ctx.today_text, 1) == 1 and strategy.is_entry_window(ctx)
    assert strategy.propose_entry(ctx, []).intent.reason.startswith("MES strangle")
    assert strategy.reopen_entry(ctx.today_text, 1) == 0 and not strategy.is_entry_window(ctx)
