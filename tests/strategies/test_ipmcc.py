"""IPMCC: LEAP selection and its extrinsic filter, the weekly short call (EMA strike rule, LEAP drawdown
rules), buy-backs, the LEAP stop and roll, and the assigned-shares case.

Scripted path: SPY 530 with VIX 11 (LEAP entry Monday 2024-08-12 10:30) or VIX 15 (weekly calls from
Friday 2024-08-16 09:45, expiring Friday 2024-08-23). SPY's daily closes rise (uptrend: 8-day EMA
above the 21-day) or fall.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest

from config.loader import load_config
from core.position import Position
from core.types import CALL, Contract, ContractKind, DailyBars, Leg, Purpose
from helpers.covered_calls import ema_trend_up, extrinsic_value, short_call_strike
from offline.market.market_view import ModelledMarketView
from strategies.chain_tools import row_by_delta
from strategies.ipmcc import Ipmcc
from tests.strategies.kit import EASTERN, context, eastern, filled_position, scripted_market

MONDAY = eastern(2024, 8, 12, 10, 30)
FRIDAY = eastern(2024, 8, 16, 9, 45)
NEXT_FRIDAY = date(2024, 8, 23)
UP = np.linspace(480.0, 530.0, 63)
DOWN = np.linspace(580.0, 530.0, 63)
SHARES = Contract("SPY", ContractKind.EQUITY)


def daily_history(closes, known=("SPY",)):
    """A daily-bars source giving the same closes for the roots in `known` (None for others)."""
    closes = np.asarray(closes, dtype=np.float64)

    def source(root, count):
        if root not in known:
            return None
        c = closes[-count:]
        return DailyBars(np.arange(c.size).astype("datetime64[D]"), c, c, c, c)
    return source


def market(now, spy=530.0, vix=15.0, closes=UP, known=("SPY",)):
    base = scripted_market(now, spy=spy, vix=vix)
    base.state.vol_index["QQQ"] = 0.18  # QQQ has no VIX: its 30-day vol is given directly
    return ModelledMarketView(base.state, daily_bars=None if closes is None else daily_history(closes, known))


def test_extrinsic_ema_and_strike_helpers():
    assert extrinsic_value(12.0, 500.0, 510.0) == pytest.approx(2.0)
    assert extrinsic_value(3.0, 520.0, 510.0) == pytest.approx(3.0)
    assert ema_trend_up(UP, 8, 21) is True and ema_trend_up(DOWN, 8, 21) is False
    assert ema_trend_up(UP[:20], 8, 21) is None and ema_trend_up(np.full(30, np.nan), 8, 21) is None
    strikes = np.arange(520.0, 541.0)
    assert short_call_strike(strikes, 530.4, 0, None) == 530.0  # at the money, never above the price
    assert short_call_strike(strikes, 530.9, 0, None) == 530.0
    assert short_call_strike(strikes, 530.4, 2, None) == 528.0
    assert short_call_strike(strikes, 530.4, 0, 526.0) == 525.0  # strictly below the LEAP strike
    assert short_call_strike(strikes, 519.0, 0, None) is None
    assert short_call_strike(strikes, 530.0, 20, None) is None


# --- LEAP entry ---------------------------------------------------------------------------------


def propose_leap(mkt, config=None, positions=(), net_liq=500_000.0):
    """The LEAP proposal in an account of `net_liq`: $500,000 by default, where one SPY LEAP (about
    $8,300) passes the 2% rule."""
    strategy = Ipmcc(config or load_config())
    ctx = context(mkt, config, net_liq)
    return strategy, ctx, strategy.propose_entry(ctx, list(positions))


def test_an_unaffordable_leap_is_asked_for_again_weekly_or_after_a_10_percent_rise():
    # $30,000: one SPY LEAP costs $8,302 (the loss at the stop is the premium), above 2% ($600); the skip
    # says when it asks again and the window stays shut until then (was: asked and denied every day)
    strategy, _, proposal = propose_leap(market(MONDAY, vix=11.0), net_liq=30_000.0)
    assert proposal is None and strategy.last_skip_reason.endswith(
        "unaffordable: one unit risks $7,806 at the stop, above 2% of net liquidation ($600); asking again on "
        "2024-08-19 or when net liquidation reaches $33,000")
    assert not strategy.is_entry_window(context(market(eastern(2024, 8, 13, 10, 30)), None, 32_999.0))
    assert strategy.is_entry_window(context(market(eastern(2024, 8, 14, 10, 30)), None, 33_000.0))
    strategy.propose_entry(context(market(eastern(2024, 8, 14, 10, 30), vix=11.0), None, 33_000.0), [])
    assert not strategy.is_entry_window(context(market(eastern(2024, 8, 20, 10, 30)), None, 33_000.0))
    assert strategy.is_entry_window(context(market(eastern(2024, 8, 21, 10, 30)), None, 33_000.0))  # a week on


def test_leap_is_the_80_delta_call_nearest_365_dte_with_extrinsic_under_5_percent():
    strategy, ctx, proposal = propose_leap(market(MONDAY, vix=11.0))
    assert proposal is not None, strategy.last_skip_reason
    (leg,) = proposal.intent.legs
    leap = leg.contract
    assert leg.ratio == 1 and leap.right == CALL and proposal.intent.position_id is None
    chain = ctx.market.chain("SPY", 180, 730)
    row = row_by_delta(chain, leap.expiry, CALL, 0.80)
    assert chain.contract(row) == leap and abs(chain.delta[row] - 0.80) < 0.01
    extrinsic = extrinsic_value(float(chain.mid[row]), leap.strike, 530.0)
    assert 0 < extrinsic < 0.05 * leap.strike
    dte = (leap.expiry - MONDAY.date()).days
    assert 180 <= dte <= 730
    for expiry in chain.listed_expiries():  # every expiry nearer 365 DTE fails the extrinsic filter
        if abs((expiry - MONDAY.date()).days - 365) < abs(dte - 365):
            r = row_by_delta(chain, expiry, CALL, 0.80)
            assert extrinsic_value(float(chain.mid[r]), float(chain.strikes[r]), 530.0) >= 0.05 * chain.strikes[r]
    premium = float(chain.mid[row])
    intent = proposal.intent
    assert intent.max_loss_per_unit == pytest.approx(premium * 100) == intent.margin_per_unit  # paid in full
    assert intent.max_loss_per_unit > 0.20 * 30_000  # the 20% cap refuses a SPY LEAP at $30k (SPEC)
    assert (proposal.kelly.win_rate, proposal.kelly.avg_win, proposal.kelly.avg_loss) == (0.80, 0.90, 1.00)
    assert proposal.buying_power_cap == 0.20 and proposal.credit_unit == pytest.approx(extrinsic * 100)
    assert leap.key in intent.reason


def test_leap_extrinsic_filter_refuses():
    strategy, _, proposal = propose_leap(market(MONDAY, vix=11.0), load_config({"ipmcc_leap_extrinsic_max": 0.02}))
    assert proposal is None and "LEAP extrinsic at least" in strategy.last_skip_reason
    assert "(limit 2%)" in strategy.last_skip_reason


def test_leap_entry_refusals():
    strategy, _, proposal = propose_leap(market(MONDAY), positions=[_shares_position(100)])
    assert proposal is None and "already open" in strategy.last_skip_reason
    mkt = market(MONDAY)
    del mkt.state.prices["SPY"]
    strategy, _, proposal = propose_leap(mkt)
    assert proposal is None and "no SPY options 180-730 DTE" in strategy.last_skip_reason


def test_leap_window_from_1030_once_a_day():
    strategy = Ipmcc(load_config())
    assert not strategy.is_entry_window(context(market(eastern(2024, 8, 12, 10, 29))))
    assert strategy.is_entry_window(context(market(MONDAY)))
    assert strategy.is_entry_window(context(market(eastern(2024, 8, 15, 14, 0))))  # any day
    strategy.propose_entry(context(market(MONDAY)), [])
    assert not strategy.is_entry_window(context(market(eastern(2024, 8, 12, 11, 0))))
    assert not Ipmcc(load_config({"ipmcc_enabled": False})).is_entry_window(context(market(MONDAY)))


# --- positions ----------------------------------------------------------------------------------


def _shares_position(shares: int, root: str = "SPY") -> Position:
    """Shares handed over by the position book after an assignment (an "ipmcc" position)."""
    ctx = context(market(FRIDAY))
    return filled_position("ipmcc", (Leg(Contract(root, ContractKind.EQUITY), 1),), 530.0, shares, ctx, "S1")


def _leap_position(drawdown: float = 0.0, contracts: int = 1, when: datetime = FRIDAY, strike: float | None = None):
    """The LEAP the strategy picks on MONDAY (or a call of that expiry at `strike`), bought at a price
    that puts it `drawdown` below its cost at `when` (SPY 530, VIX 15)."""
    _, _, proposal = propose_leap(market(MONDAY, vix=11.0))
    leap = proposal.intent.legs[0].contract
    if strike is not None:
        leap = Contract("SPY", ContractKind.OPTION, leap.expiry, strike, CALL)
    mid = market(when).quote(leap).mid
    ctx = context(market(MONDAY, vix=11.0))
    return leap, filled_position("ipmcc", (Leg(leap, 1),), mid / (1.0 - drawdown), contracts, ctx)


def adjust(position, when=FRIDAY, spy=530.0, closes=UP, config=None, known=("SPY",)):
    strategy = Ipmcc(config or load_config())
    ctx = context(market(when, spy=spy, closes=closes, known=known), config)
    return strategy, ctx, strategy.propose_adjustment(ctx, position)


@pytest.mark.parametrize(("spy", "closes", "itm_steps"), [
    (530.0, UP, 0),  # 8-day EMA >= 21-day: at the money
    (530.4, UP, 0),  # never out of the money: 530, not 531
    (530.0, DOWN, 1),  # below it: one listed strike in the money
])
def test_weekly_call_strike_follows_the_ema_trend(spy, closes, itm_steps):
    _, position = _leap_position()
    proposal = adjust(position, spy=spy, closes=closes)[2]
    intent = proposal.intent
    (leg,) = intent.legs
    assert leg.ratio == -1 and leg.contract.right == CALL and leg.contract.expiry == NEXT_FRIDAY
    assert leg.contract.strike == 530.0 - itm_steps and leg.contract.strike <= spy
    assert intent.purpose == Purpose.OPEN and intent.position_id == position.position_id and intent.quantity == 1
    assert intent.limit_price < 0 and (proposal.kelly.win_rate, proposal.kelly.avg_win) == (0.80, 0.90)
    extrinsic = position.terms.sold_extrinsic[leg.contract.key]
    assert proposal.credit_unit == pytest.approx(extrinsic * 100) and intent.max_loss_per_unit == pytest.approx(
        extrinsic * 100)
    assert intent.margin_per_unit == 0.0  # covered by the LEAP (a diagonal): no buying power added


@pytest.mark.parametrize(("drawdown", "closes", "leap_strike", "short_strike"), [
    (0.05, UP, None, 530.0),
    (0.12, UP, None, 529.0),  # LEAP down 10%: one strike deeper in the money
    (0.12, DOWN, None, 528.0),  # and on top of the trend rule
    (0.22, UP, 520.0, 519.0),  # down 20%: strictly below the LEAP strike
    (0.19, UP, 520.0, 529.0),  # not yet 20%: the LEAP strike does not bind
])
def test_leap_drawdown_moves_the_next_calls_deeper(drawdown, closes, leap_strike, short_strike):
    leap, position = _leap_position(drawdown, strike=leap_strike)
    _, _, proposal = adjust(position, closes=closes)
    strike = proposal.intent.legs[0].contract.strike
    assert strike == short_strike
    gap = max(0.0, leap.strike - strike)
    extrinsic = position.terms.sold_extrinsic[proposal.intent.legs[0].contract.key]
    assert proposal.intent.max_loss_per_unit == pytest.approx(100 * (extrinsic + gap))
    assert proposal.intent.margin_per_unit == pytest.approx(max(0.0, 100 * (gap - (extrinsic + 530.0 - strike))), abs=1e-6)


def test_no_call_when_no_strike_below_the_leap_strike_is_listed():
    leap, position = _leap_position(0.22, strike=300.0)  # far below every weekly strike
    strategy, _, proposal = adjust(position)
    assert proposal is None
    assert strategy.last_skip_reason == f"no listed SPY call strike 1 strikes in the money and below the LEAP strike {leap.strike:g}"


@pytest.mark.parametrize(("when", "proposed"), [
    (eastern(2024, 8, 16, 9, 44), False),
    (eastern(2024, 8, 16, 9, 45), True),  # SPEC: short call Fridays 09:45
    (eastern(2024, 8, 16, 9, 49), True),  # the window is one management interval (5 minutes)
    (eastern(2024, 8, 16, 9, 50), False),
    (eastern(2024, 8, 16, 10, 6), False),  # the late sale the trade log once showed
    (eastern(2024, 8, 16, 14, 0), False),
    (eastern(2024, 8, 15, 9, 45), False),  # Thursday
])
def test_weekly_call_only_on_fridays_at_0945(when, proposed):
    _, position = _leap_position()
    assert (adjust(position, when=when)[2] is not None) == proposed


def test_weekly_call_once_a_day_and_not_while_a_call_is_held():
    _, position = _leap_position()
    assert adjust(position)[2] is not None
    assert adjust(position)[2] is None  # one proposal per position a day
    assert position.terms.adjusted_on == "2024-08-16"
    _, position = _leap_position()
    proposal = adjust(position)[2]
    position.apply_fill(proposal.intent.legs, 1, 4.0 * 100, 0.0)
    assert adjust(position, when=eastern(2024, 8, 23, 9, 45))[2] is None  # a call is already written


def test_weekly_call_needs_ema_history():
    _, position = _leap_position()
    strategy, _, proposal = adjust(position, closes=None)
    assert proposal is None and "not enough SPY daily closes" in strategy.last_skip_reason
    strategy, _, proposal = adjust(position, closes=UP[:15])
    assert proposal is None and "21-session EMA" in strategy.last_skip_reason


def test_one_call_per_leap_contract():
    _, position = _leap_position(contracts=3)
    assert adjust(position)[2].intent.quantity == 3


# --- management ---------------------------------------------------------------------------------


def manage(position, when, spy=530.0, vix=15.0):
    strategy = Ipmcc(load_config())
    ctx = context(market(when, spy=spy, vix=vix))
    return strategy.manage(ctx, position)


def test_leap_down_30_percent_closes_everything():
    leap, position = _leap_position(0.31)
    intents = manage(position, FRIDAY)
    assert [(i.reason, [(leg.contract, leg.ratio) for leg in i.legs]) for i in intents] == [("leap_stop", [(leap, -1)])]
    _, position = _leap_position(0.28)
    assert manage(position, FRIDAY) == []


def test_leap_is_rolled_at_90_dte_with_its_short_call():
    leap, _ = _leap_position()
    roll_day = leap.expiry - timedelta(days=90)
    when = datetime(roll_day.year, roll_day.month, roll_day.day, 10, 0, tzinfo=EASTERN)
    short = Leg(Contract("SPY", ContractKind.OPTION, roll_day + timedelta(days=4), 530.0, CALL), -1)
    for day, reasons in ((when - timedelta(days=1), []), (when, ["leap_roll"])):
        _, position = _leap_position(0.0, when=day)  # cost = value that day: the LEAP stop stays out
        position.apply_fill((short,), 1, 4.0 * 100, 0.0)
        intents = manage(position, day)
        assert [i.reason for i in intents] == reasons
    assert sorted((leg.contract.right, leg.ratio) for leg in intents[0].legs) == [(CALL, -1), (CALL, 1)]


# --- the assigned-shares case -------------------------------------------------------------------


def test_assigned_shares_get_a_weekly_covered_call_and_it_is_bought_back_at_90_percent():
    position = _shares_position(100)
    proposal = adjust(position)[2]
    intent = proposal.intent
    (leg,) = intent.legs
    assert leg.contract == Contract("SPY", ContractKind.OPTION, NEXT_FRIDAY, 530.0, CALL) and leg.ratio == -1
    assert intent.position_id == "S1" and intent.quantity == 1 and intent.purpose == Purpose.OPEN
    assert intent.margin_per_unit == 0.0  # covered by the shares
    sale = position.terms.sold_extrinsic[leg.contract.key]
    assert intent.max_loss_per_unit == pytest.approx(sale * 100) and sale > 1.0
    position.apply_fill(intent.legs, 1, -intent.limit_price * 100, 0.0)
    # Tuesday, SPY unchanged: about half the time value is gone, keep it
    assert manage(position, eastern(2024, 8, 20, 11, 0)) == []
    # Thursday afternoon after a rally: the call is deep in the money, >= 90% of its extrinsic captured
    later = eastern(2024, 8, 22, 14, 0)
    quote = market(later, spy=545.0).quote(leg.contract)
    assert 1.0 - extrinsic_value(quote.mid, 530.0, 545.0) / sale >= 0.90
    intents = manage(position, later, spy=545.0)
    assert [(i.reason, [(lg.contract, lg.ratio) for lg in i.legs]) for i in intents] == [
        ("short_call_target", [(leg.contract, 1)])]
    assert all(lg.contract.kind == ContractKind.OPTION for lg in intents[0].legs)  # the shares stay


def test_short_call_is_bought_back_from_the_open_of_its_expiry_friday():
    """Bought back from 09:30, so that the next call can be sold at 09:45 (not after the buy-back)."""
    position = _shares_position(100)
    _, _, proposal = adjust(position)
    position.apply_fill(proposal.intent.legs, 1, -proposal.intent.limit_price * 100, 0.0)
    assert manage(position, eastern(2024, 8, 22, 15, 0)) == []  # the day before its expiry
    intents = manage(position, eastern(2024, 8, 23, 9, 30))
    assert [i.reason for i in intents] == ["short_call_expiry"] and [lg.ratio for lg in intents[0].legs] == [1]


@pytest.mark.parametrize(("shares", "calls"), [(99, 0), (100, 1), (250, 2), (1000, 10)])
def test_one_call_per_100_shares(shares, calls):
    proposal = adjust(_shares_position(shares))[2]
    assert (0 if proposal is None else proposal.intent.quantity) == calls


def test_shares_minimum_is_a_parameter():
    config = load_config({"ipmcc_shares_min": 200})
    assert adjust(_shares_position(150), config=config)[2] is None
    assert adjust(_shares_position(200), config=config)[2].intent.quantity == 2


def test_shares_on_another_root_write_calls_on_that_root():
    position = _shares_position(100, "QQQ")  # QQQ at 530 x 0.85 = 450.5 in the kit
    strategy, _, proposal = adjust(position)  # only SPY has daily bars here
    assert proposal is None and "not enough QQQ daily closes" in strategy.last_skip_reason
    (leg,) = adjust(position, known=("QQQ",))[2].intent.legs
    assert (leg.contract.root, leg.contract.strike, leg.contract.expiry) == ("QQQ", 450.0, NEXT_FRIDAY)


def test_weekly_call_refusals_on_missing_data():
    _, position = _leap_position()
    strategy = Ipmcc(load_config())
    mkt = market(FRIDAY)
    del mkt.state.prices["SPY"]
    assert strategy.propose_adjustment(context(mkt), position) is None
    assert strategy.last_skip_reason == "no SPY call expiry 5-9 DTE"
    position.entry_cash = 0.0  # the LEAP's cost is unknown: no drawdown rules, so no call
    strategy, _, proposal = adjust(position)
    assert proposal is None and strategy.last_skip_reason.startswith("no cost or quote for the LEAP SPY")
    assert manage(position, FRIDAY) == []  # and no LEAP stop either


@pytest.mark.parametrize(("shares", "net_liq", "sold"), [
    (1600, 190_000.0, 1500),  # room 0.20 x 190,000 / (0.5 x 530) = 143 shares: one lot kept
    (1600, 600_000.0, 1200),  # room 453 shares: four lots kept
    (100, 30_000.0, None),  # one lot is always kept (the small account's covered-call case)
    (300, 800_000.0, None),  # within the cap
])
def test_assigned_shares_beyond_the_buying_power_cap_are_sold(shares, net_liq, sold):
    strategy = Ipmcc(load_config())
    ctx = context(market(FRIDAY), net_liq=net_liq)
    intents = strategy.manage(ctx, _shares_position(shares))
    if sold is None:
        assert intents == []
        return
    (intent,) = intents
    assert intent.purpose == Purpose.CLOSE and intent.reason == "shares_over_cap"
    assert [(lg.contract.kind, lg.ratio) for lg in intent.legs] == [(ContractKind.EQUITY, -1)]
    assert intent.quantity == sold


def test_shares_covering_short_calls_are_kept_whatever_the_cap():
    position = _shares_position(500)
    call = Contract("SPY", ContractKind.OPTION, FRIDAY.date() + timedelta(days=7), 530.0, CALL)
    position.holdings[call.key] = (call, -5)
    assert Ipmcc(load_config()).manage(context(market(FRIDAY), net_liq=30_000.0), position) == []
