"""LT112: window, entry filters, strikes and expiry, sizing inputs, exits and the naked-put close."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import numpy as np
import pytest

from config.loader import load_config
from core.types import PUT, DailyBars, Purpose
from offline.market.market_view import ModelledMarketView
from strategies.base import position_pnl
from strategies.lt112 import Lt112
from tests.strategies.kit import account_in_phase, context, eastern, filled_position, holding, scripted_market

ENTRY = eastern(2024, 3, 6, 10, 5)  # first Wednesday of March 2024; 2024-06-28 is 114 DTE
SPOT = 512.0


def bars_source(count: int = 252, last_close: float = 480.0, top_high: float = 540.0):
    """Daily bars: closes at 480 with one high of `top_high`; the last bar closes at its high,
    `last_close`."""
    def source(root: str, n: int) -> DailyBars:
        size = min(n, count)
        dates = np.datetime64("2023-03-01") + np.arange(size).astype("timedelta64[D]")
        close = np.full(size, 480.0)
        close[-1] = last_close
        high = close + 2.0
        if size > 1:
            high[size // 2] = top_high
        high[-1] = last_close
        return DailyBars(dates, close, high, close - 2.0, close)
    return source


def lt112_market(now: datetime = ENTRY, spy: float = SPOT, vix: float = 14.0, bars=None) -> ModelledMarketView:
    return ModelledMarketView(scripted_market(now, spy=spy, vix=vix).state,
                              daily_bars=bars if bars is not None else bars_source())


class PatchedMarket:
    """A market view whose chain rows can be filtered and whose quotes can be withheld."""

    def __init__(self, market, keep=None, quotes: bool = True) -> None:
        self.inner, self.keep, self.quotes = market, keep, quotes

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def chain(self, root, min_dte, max_dte):
        chain = self.inner.chain(root, min_dte, max_dte)
        return chain if chain is None or self.keep is None else chain.subset(self.keep(chain))

    def quote(self, contract):
        return self.inner.quote(contract) if self.quotes else None


# Most tests here document the SPY variant (SPEC's original default, lt112_products=SPY with the SPY cap);
# the /MES default is covered by test_mes_default_structure_and_costs below.
SPY_SETTINGS = {"lt112_products": "SPY", "lt112_buying_power_cap": "0.40", "lt112_high_tolerance": "0"}


def spy_config(extra=None):
    return load_config({**SPY_SETTINGS, **(extra or {})})


def propose(market, config=None, positions=(), net_liq=100_000.0):
    """The strategy's proposal in a phase-1 account of `net_liq`: $100,000 by default, where one SPY unit
    of these markets (up to $1,820 at the stop) passes the 2% rule (strategies/product_choice.py)."""
    config = config or spy_config()
    strategy = Lt112(config)
    ctx = context(market, config, net_liq)
    return strategy, ctx, strategy.propose_entry(ctx, list(positions))


def test_structure_expiry_and_sizing_inputs():
    strategy, ctx, proposal = propose(lt112_market())
    assert proposal is not None, strategy.last_skip_reason
    intent = proposal.intent
    assert intent.purpose == Purpose.OPEN and intent.position_id is None
    assert [(leg.contract.strike, leg.ratio) for leg in intent.legs] == [(476.0, 1), (471.0, -1), (451.0, -2)]
    assert all(leg.contract.right == PUT and leg.contract.expiry == date(2024, 6, 28) for leg in intent.legs)
    # 476 is the strike nearest 7% OTM (476.16), 451 nearest 12% OTM (450.56), 471 = 476 - 5
    market = ctx.market
    mids = [market.quote(leg.contract).mid for leg in intent.legs]
    credit = 2 * mids[2] + mids[1] - mids[0]
    assert credit > 0 and intent.limit_price == pytest.approx(-credit, abs=0.011)
    assert intent.price_bound == 0.0  # a net credit at the fill too: the ladder never turns it into a debit
    assert intent.max_loss_per_unit == pytest.approx(1.00 * credit * 100)  # stop: 100% of the net credit
    # margin: the 476/471 debit spread's debit plus Reg-T on two naked 451 puts (10% of strike binds)
    reg_t = max(0.20 * SPOT - (SPOT - 451.0), 0.10 * 451.0) + mids[2]
    assert intent.margin_per_unit == pytest.approx(((mids[0] - mids[1]) + 2 * reg_t) * 100, rel=1e-6)
    assert (proposal.kelly.win_rate, proposal.kelly.avg_win, proposal.kelly.avg_loss) == (0.75, 0.50, 1.00)
    assert proposal.buying_power_cap == 0.40
    assert proposal.credit_unit == pytest.approx(credit * 100)
    assert intent.quantity == spy_config().risk.max_contracts


def test_accepted_range_used_when_no_112_120_expiry():
    when = eastern(2024, 1, 3, 10, 5)  # only 2024-04-19 (107 DTE) is listed in 105-130
    strategy, _, proposal = propose(lt112_market(when, spy=470.0, vix=13.4))
    assert proposal is not None, strategy.last_skip_reason
    assert {leg.contract.expiry for leg in proposal.intent.legs} == {date(2024, 4, 19)}


def test_expiry_held_by_an_open_lt112_is_not_reused():
    _, ctx, first = propose(lt112_market())
    held = filled_position("lt112", first.intent.legs, first.intent.limit_price, 1, ctx)
    strategy, _, proposal = propose(lt112_market(), positions=[held])
    assert proposal is not None, strategy.last_skip_reason
    assert {leg.contract.expiry for leg in proposal.intent.legs} == {date(2024, 6, 21)}  # 107 DTE
    both = filled_position("lt112", first.intent.legs + tuple(replace(leg, contract=replace(
        leg.contract, expiry=date(2024, 6, 21))) for leg in first.intent.legs), first.intent.limit_price, 1, ctx)
    strategy, _, proposal = propose(lt112_market(), positions=[both])
    assert proposal is None and "without an open LT112" in strategy.last_skip_reason


def _keep_puts_at_or_above(strike):
    return lambda chain: chain.is_call | (chain.strikes >= strike)


@pytest.mark.parametrize(("market", "overrides", "reason"), [
    (lt112_market(eastern(2024, 8, 7, 10, 5), spy=528.0), {}, "no SPY expiry listed 105-130 DTE"),
    (lt112_market(bars=bars_source(last_close=541.0)), {}, "52-week high"),
    (lt112_market(bars=bars_source(last_close=535.0)), {"lt112_high_tolerance": 0.02}, "52-week high"),
    (lt112_market(bars=bars_source(count=200)), {}, "only 200 of 252 daily bars"),
    (ModelledMarketView(scripted_market(ENTRY, spy=SPOT).state), {}, "only 0 of 252 daily bars"),
    (lt112_market(), {"lt112_long_put_otm": 0.0, "lt112_naked_put_otm": 0.45}, "collects no net credit"),
    (PatchedMarket(lt112_market(), keep=_keep_puts_at_or_above(476.0)), {}, "no put strike below 476"),
    # the naked puts' nearest strike is the short put's own: no naked put below it
    (PatchedMarket(lt112_market(), keep=_keep_puts_at_or_above(471.0)), {}, "legs 2 and 3 landed on the same contract"),
    (PatchedMarket(lt112_market(), quotes=False), {}, "quotes missing"),
])
def test_entry_filters_refuse(market, overrides, reason):
    strategy, _, proposal = propose(market, spy_config(overrides))
    assert proposal is None and reason in strategy.last_skip_reason


def test_close_below_the_high_passes_the_filter():
    strategy, _, proposal = propose(lt112_market(bars=bars_source(last_close=539.0)))
    assert proposal is not None, strategy.last_skip_reason


def test_window_first_wednesday_1000_to_1010_once_a_day():
    strategy = Lt112(spy_config())
    window = [(ENTRY, True), (eastern(2024, 3, 6, 10, 0), True), (eastern(2024, 3, 6, 10, 10), True),
              (eastern(2024, 3, 6, 9, 59), False), (eastern(2024, 3, 6, 10, 11), False),
              (eastern(2024, 3, 13, 10, 5), False),  # second Wednesday
              (eastern(2024, 3, 5, 10, 5), False),  # Tuesday
              (eastern(2025, 1, 2, 10, 5), True)]  # first Wednesday 2025-01-01 is a holiday: next session
    assert [strategy.is_entry_window(context(scripted_market(t))) for t, _ in window] == [w for _, w in window]
    # the trading system asks only on the days may_open_on lets through: it must let every one of these through
    assert all(strategy.may_open_on(t.date()) for t, opens in window if opens)
    every_wednesday = Lt112(spy_config({"lt112_first_wednesday_only": False}))
    assert every_wednesday.is_entry_window(context(scripted_market(eastern(2024, 3, 13, 10, 5))))
    assert not every_wednesday.is_entry_window(context(scripted_market(eastern(2025, 1, 2, 10, 5))))
    ctx = context(lt112_market())
    strategy.propose_entry(ctx, [])
    assert not strategy.is_entry_window(ctx)
    assert not Lt112(spy_config({"lt112_enabled": False})).is_entry_window(ctx)


def _open(spy=SPOT):
    market = lt112_market(spy=spy)
    strategy, ctx, proposal = propose(market)
    position = filled_position(strategy.key, proposal.intent.legs, proposal.intent.limit_price, 1, ctx,
                               marks=proposal.intent.leg_marks)
    assert strategy.manage(ctx, position) == []  # nothing due at entry
    return strategy, market, position


def _later(market, days, spy):
    market.state.now = ENTRY + timedelta(days=days)
    market.state.prices["SPY"] = spy
    return context(market)


def _reasons(intents):
    return [intent.reason for intent in intents]


def test_profit_target_at_half_the_net_credit():
    strategy, market, position = _open()
    assert strategy.manage(_later(market, 20, SPOT), position) == []
    ctx = _later(market, 60, SPOT)
    assert position_pnl(position, market) >= 0.5 * position.entry_cash
    exits = strategy.manage(ctx, position)
    assert _reasons(exits) == ["profit_target"] and exits[0].purpose == Purpose.CLOSE
    assert sorted(leg.ratio for leg in exits[0].legs) == [-1, 1, 2] and exits[0].quantity == 1


def test_stop_at_a_loss_of_the_net_credit_and_the_distance_stop():
    strategy, market, position = _open()
    ctx = _later(market, 10, 480.0)
    assert -position.entry_cash < position_pnl(position, market) < 0
    assert strategy.manage(ctx, position) == []
    ctx = _later(market, 10, 465.0)  # 3.1% above the naked strike 451
    assert position_pnl(position, market) <= -position.entry_cash
    assert _reasons(strategy.manage(ctx, position)) == ["stop_loss"]
    ctx = _later(market, 10, 460.0)  # within 2% of 451 (460.02)
    assert _reasons(strategy.manage(ctx, position)) == ["distance_stop"]


def test_naked_puts_closed_at_90_percent_and_the_spread_kept_to_21_dte():
    strategy, market, position = _open()
    naked = next(c for c, q in position.contracts() if q == -2)
    naked_entry = position.terms.entry_marks[naked.key]
    ctx = _later(market, 30, 600.0)
    assert market.quote(naked).mid <= 0.1 * naked_entry
    exits = strategy.manage(ctx, position)
    assert _reasons(exits) == ["naked_profit_target"]
    assert [(leg.contract, leg.ratio) for leg in exits[0].legs] == [(naked, 1)] and exits[0].quantity == 2
    position.apply_fill(exits[0].legs, 2, -market.quote(naked).mid * 200, 0.0)
    assert holding(position) == {"SPY 2024-06-28 P 476": 1, "SPY 2024-06-28 P 471": -1}
    assert strategy.manage(_later(market, 60, 420.0), position) == []  # the spread alone has no stop or target
    exits = strategy.manage(_later(market, (date(2024, 6, 28) - ENTRY.date()).days - 21, 420.0), position)
    assert _reasons(exits) == ["time_exit"] and sorted(leg.ratio for leg in exits[0].legs) == [-1, 1]


def test_naked_rule_needs_the_recorded_entry_credit():
    _, market, position = _open()
    position.terms.entry_marks.clear()  # an adopted position: only the whole-position target applies
    fresh = Lt112(spy_config())
    assert _reasons(fresh.manage(_later(market, 30, 590.0), position)) == ["profit_target"]


def test_time_exit_at_21_dte_whatever_the_pnl():
    strategy, market, position = _open()
    exits = strategy.manage(_later(market, 114 - 21, SPOT), position)
    assert _reasons(exits) == ["time_exit"] and sorted(leg.ratio for leg in exits[0].legs) == [-1, 1, 2]


def test_no_management_without_quotes():
    strategy, market, position = _open()
    patched = PatchedMarket(market, quotes=False)
    market.state.now = ENTRY + timedelta(days=45)
    assert strategy.manage(context(patched), position) == []


def test_index_scale_width_on_mes():
    """The default product: one /MES 1-1-2 fits the 10% buying-power cap of a $30k account."""
    config = load_config()
    assert config.lt112.product_list == ("MES", "ES", "SPY") and config.lt112.buying_power_cap == 0.10
    market = ModelledMarketView(scripted_market(ENTRY, spy=SPOT).state, daily_bars=bars_source(
        last_close=4800.0, top_high=5400.0))
    strategy, _, proposal = propose(market, config)
    assert proposal is not None, strategy.last_skip_reason
    strikes = [leg.contract.strike for leg in proposal.intent.legs]
    assert strikes[0] - strikes[1] == pytest.approx(50.0)  # 5 SPY points x 10 on the index scale
    assert proposal.intent.max_loss_per_unit == pytest.approx(-proposal.intent.limit_price * 5.0, abs=0.7)
    assert proposal.intent.margin_per_unit <= 0.10 * 30_000


@pytest.mark.parametrize(("phase", "net_liq", "second_wednesday"), [(1, 30_000.0, False), (2, 45_000.0, False),
                                                                    (3, 60_000.0, True), (4, 150_000.0, True)])
def test_stacking_on_further_wednesdays_from_phase_3(phase, net_liq, second_wednesday):
    strategy = Lt112(spy_config())
    ctx = account_in_phase(context(scripted_market(eastern(2024, 3, 13, 10, 5))), phase, net_liq)
    assert strategy.is_entry_window(ctx) == second_wednesday


def test_stacking_stops_at_the_position_cap():
    strategy = Lt112(spy_config({"lt112_stack_max_positions": "1"}))
    ctx = account_in_phase(context(lt112_market()), 3, 60_000.0)
    first = strategy.propose_entry(ctx, [])
    assert first is not None, strategy.last_skip_reason
    held = filled_position("lt112", first.intent.legs, first.intent.limit_price, 1, ctx)
    strategy.memory.clear()
    assert strategy.propose_entry(ctx, [held]) is None
    assert "1 LT112 positions open, at most 1 when stacking" in strategy.last_skip_reason


def test_before_mes_options_exist_lt112_trades_the_next_product_that_fits():
    # 2019-06-05 (first Wednesday): /MES options were listed from 2020-08-31 only. One /ES unit (10 x /MES)
    # risks $1,750 at the stop here but needs $13,166 of buying power, above the 10% cap of $100,000, so SPY
    # ($5,440 of margin) at $100,000 and /ES at $150,000; the reason says which product and why
    when = eastern(2019, 6, 5, 10, 5)
    market = ModelledMarketView(scripted_market(when, spy=282.0, vix=16.0).state, daily_bars=bars_source(
        last_close=270.0, top_high=300.0))
    strategy, _, proposal = propose(market, load_config(), net_liq=100_000.0)
    assert proposal is not None, strategy.last_skip_reason
    assert {leg.contract.root for leg in proposal.intent.legs} == {"SPY"}
    assert proposal.intent.reason.endswith("; product SPY (passed over: MES options listed from 2020-08-31; ES: one "
                                           "unit needs $13,166 of buying power, above the 10% cap ($10,000))")
    _, _, proposal = propose(market, load_config(), net_liq=150_000.0)
    assert {leg.contract.root for leg in proposal.intent.legs} == {"ES"}
    assert proposal.intent.reason.endswith("; product ES (passed over: MES options listed from 2020-08-31)")
    # at $30,000 nothing fits: the skip names every product's refusal
    strategy, _, proposal = propose(market, load_config(), net_liq=30_000.0)
    assert proposal is None and strategy.last_skip_reason == (
        "no product fits: MES options listed from 2020-08-31; ES: one unit risks $1,750 at the stop, above 2% of "
        "net liquidation ($600); SPY: one unit needs $5,440 of buying power, above the 10% cap ($3,000)")


def test_mes_is_kept_at_every_account_size_once_listed():
    market = ModelledMarketView(scripted_market(ENTRY, spy=SPOT).state, daily_bars=bars_source(
        last_close=4800.0, top_high=5400.0))
    for net_liq in (50_000.0, 150_000.0, 1_000_000.0):
        _, _, proposal = propose(market, load_config(), net_liq=net_liq)
        assert {leg.contract.root for leg in proposal.intent.legs} == {"MES"}
        assert proposal.intent.reason.endswith("; product MES")
