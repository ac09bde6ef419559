"""VIX spike deployment: window, spread and futures choices, budget respect, target, stop, time exit."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest

from config.constants import Regime
from config.loader import load_config
from core.types import PUT, Purpose, Verdict
from risk.risk_checks import check_spike_budget
from strategies.base import position_pnl
from strategies.registry import risk_policies
from strategies.vix_spike import VixSpikeDeployment
from tests.strategies.kit import context, eastern, filled_position, scripted_market

SPIKE = eastern(2024, 8, 5, 10, 0)  # VIX printed 65 intraday that morning
SPOT = 510.0


def spike_context(market, cfg=None, budget=6_000.0, net_liq=30_000.0, regime=None):
    ctx = context(market, cfg, net_liq=net_liq, regime=regime)
    account = replace(ctx.account, spike_budget_remaining=budget)
    return replace(ctx, account_source=lambda: account)


def spike_market(now=SPIKE, spy=SPOT, vix=45.0):
    return scripted_market(now, spy=spy, vix=vix)


class PatchedMarket:
    """A market view whose chain can be rewritten and whose quotes can be withheld."""

    def __init__(self, market, rewrite=None, quotes: bool = True) -> None:
        self.inner, self.rewrite, self.quotes = market, rewrite, quotes

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def chain(self, root, min_dte, max_dte):
        chain = self.inner.chain(root, min_dte, max_dte)
        return chain if chain is None or self.rewrite is None else self.rewrite(chain)

    def quote(self, contract):
        return self.inner.quote(contract) if self.quotes else None


def propose(ctx, cfg=None, positions=()):
    strategy = VixSpikeDeployment(cfg or load_config())
    return strategy, strategy.propose_entry(ctx, list(positions))


def test_spy_put_credit_spread_45_dte_20_delta_5_wide():
    ctx = spike_context(spike_market())
    assert ctx.regime == Regime.EXTREME
    strategy, proposal = propose(ctx)
    assert proposal is not None, strategy.last_skip_reason
    intent = proposal.intent
    long_leg, short_leg = intent.legs
    assert (long_leg.ratio, short_leg.ratio) == (1, -1)
    assert long_leg.contract.right == short_leg.contract.right == PUT
    assert short_leg.contract.strike - long_leg.contract.strike == pytest.approx(5.0)
    expiry = short_leg.contract.expiry
    assert expiry == date(2024, 9, 20) and (expiry - SPIKE.date()).days == 46  # nearest listed to 45
    chain = ctx.market.chain("SPY", 22, 75)
    puts = (~chain.is_call) & (chain.expiries == np.datetime64(expiry))
    deltas = np.abs(chain.delta[puts])
    chosen = float(-chain.delta[puts][chain.strikes[puts] == short_leg.contract.strike][0])
    assert abs(chosen - 0.20) == pytest.approx(np.min(np.abs(deltas - 0.20)))
    credit = -intent.limit_price
    assert 0 < credit < 5 and intent.price_bound == 0.0  # a credit at the fill too
    max_loss = (5.0 - credit) * 100
    assert intent.margin_per_unit == pytest.approx(max_loss, abs=1.0)  # the spread's max loss
    assert intent.max_loss_per_unit == pytest.approx(min(2.0 * credit * 100, max_loss), abs=1.0)
    assert (proposal.kelly.win_rate, proposal.kelly.avg_win, proposal.kelly.avg_loss) == (0.80, 0.50, 1.00)
    assert proposal.buying_power_cap == pytest.approx(6_000.0 / 30_000.0)
    assert intent.reason.startswith("spike deployment: SPY put credit spread")


def test_futures_short_put_mes_below_75k_es_from_75k():
    cfg = load_config({"vix_spike_use_futures": True})
    strategy, proposal = propose(spike_context(spike_market(), cfg), cfg)
    assert proposal is not None, strategy.last_skip_reason
    (leg,) = proposal.intent.legs
    assert leg.contract.root == "MES" and leg.ratio == -1 and leg.contract.right == PUT
    assert abs((leg.contract.expiry - SPIKE.date()).days - 60) <= 7
    credit = -proposal.intent.limit_price
    assert proposal.intent.max_loss_per_unit == pytest.approx(2.0 * credit * 5.0, abs=2.0)  # naked: the stop
    assert 0 < proposal.intent.margin_per_unit <= 6_000.0
    strategy, proposal = propose(spike_context(spike_market(), cfg, budget=16_000.0, net_liq=80_000.0), cfg)
    assert proposal is not None, strategy.last_skip_reason
    assert proposal.intent.legs[0].contract.root == "ES"


def test_budget_respected_by_the_precheck_and_the_gate():
    ctx = spike_context(spike_market(), budget=1_000.0)
    _, proposal = propose(ctx)
    intent = proposal.intent
    assert intent.margin_per_unit < 1_000.0
    decision = check_spike_budget(intent, ctx.account, load_config(), risk_policies())
    assert decision.verdict == Verdict.RESIZE
    assert decision.quantity == int(1_000.0 // intent.margin_per_unit)
    assert decision.quantity * intent.margin_per_unit <= 1_000.0


def _flat_prices(chain):
    return replace(chain, bid=np.where(np.isfinite(chain.bid), 1.0, chain.bid),
                   ask=np.where(np.isfinite(chain.ask), 1.0, chain.ask))


def _no_deltas(chain):
    return replace(chain, delta=np.full(len(chain), np.nan))


def _short_strike() -> float:
    _, proposal = propose(spike_context(spike_market()))
    return proposal.intent.legs[1].contract.strike


def _no_puts_below_the_short(chain):
    return chain.subset(chain.is_call | (chain.strikes >= _short_strike()))


@pytest.mark.parametrize(("make_ctx", "positions", "reason"), [
    (lambda: spike_context(spike_market(vix=32.0)), [], "only in EXTREME (regime HIGH)"),
    (lambda: spike_context(spike_market(), budget=0.0), [], "budget used up"),
    (lambda: spike_context(spike_market(), budget=300.0), [], "exceeds the budget left 300.00"),
    (lambda: spike_context(spike_market(), net_liq=0.0), [], "positive net liquidation"),
    (lambda: spike_context(scripted_market(SPIKE, vix=45.0, SPY=float("nan"))), [], "no SPY expiry"),
    (lambda: spike_context(spike_market()), "held", "already holds the 2024-09-20 expiry"),
    (lambda: spike_context(PatchedMarket(spike_market(), _no_deltas)), [], "no SPY put near 0.20 delta"),
    (lambda: spike_context(PatchedMarket(spike_market(), _no_puts_below_the_short)), [], "no put strike below"),
    (lambda: spike_context(PatchedMarket(spike_market(), _flat_prices)), [], "collects no credit"),
    (lambda: spike_context(PatchedMarket(spike_market(), quotes=False)), [], "quotes missing"),
])
def test_entry_refusals(make_ctx, positions, reason):
    ctx = make_ctx()
    if positions == "held":
        _, first = propose(ctx)
        positions = [filled_position("vix_spike", first.intent.legs, first.intent.limit_price, 1, ctx)]
    strategy, proposal = propose(ctx, positions=positions)
    assert proposal is None and reason in strategy.last_skip_reason


def test_window_extreme_regular_hours_one_attempt_per_30_minutes():
    strategy = VixSpikeDeployment(load_config())
    assert strategy.is_entry_window(context(spike_market()))
    assert not strategy.is_entry_window(context(spike_market(vix=34.0)))  # HIGH
    assert not strategy.is_entry_window(context(spike_market(eastern(2024, 8, 5, 9, 29))))
    assert not strategy.is_entry_window(context(spike_market(eastern(2024, 8, 5, 16, 0))))
    assert not strategy.is_entry_window(context(spike_market(eastern(2024, 8, 3, 11, 0))))  # Saturday
    strategy.propose_entry(spike_context(spike_market()), [])
    assert not strategy.is_entry_window(context(spike_market(SPIKE + timedelta(minutes=29))))
    assert strategy.is_entry_window(context(spike_market(SPIKE + timedelta(minutes=30))))
    assert not VixSpikeDeployment(load_config({"vix_spike_enabled": False})).is_entry_window(
        context(spike_market()))


def _open_spread():
    market = spike_market()
    ctx = spike_context(market)
    strategy, proposal = propose(ctx)
    position = filled_position(strategy.key, proposal.intent.legs, proposal.intent.limit_price, 1, ctx)
    return strategy, market, position


def _after(market, days, spy, vix):
    market.state.now = SPIKE + timedelta(days=days)
    market.state.prices["SPY"] = spy
    market.state.vix = vix
    return context(market)


def test_profit_target_stop_and_21_dte_exit():
    strategy, market, position = _open_spread()
    ctx = _after(market, 1, SPOT, 40.0)
    assert -2.0 * position.entry_cash < position_pnl(position, market) < 0.5 * position.entry_cash
    assert strategy.manage(ctx, position) == []
    ctx = _after(market, 10, 530.0, 22.0)  # volatility crush and a rally
    assert position_pnl(position, market) >= 0.5 * position.entry_cash
    exits = strategy.manage(ctx, position)
    assert [i.reason for i in exits] == ["profit_target"] and exits[0].purpose == Purpose.CLOSE
    assert sorted(leg.ratio for leg in exits[0].legs) == [-1, 1]
    strategy, market, position = _open_spread()
    long_strike = min(c.strike for c, _ in position.contracts())
    ctx = _after(market, 20, long_strike - 10.0, 45.0)  # through both strikes, 26 DTE
    assert position_pnl(position, market) <= -2.0 * position.entry_cash
    assert [i.reason for i in strategy.manage(ctx, position)] == ["stop_loss"]
    strategy, market, position = _open_spread()
    assert strategy.manage(_after(market, 24, SPOT, 45.0), position) == []  # 22 DTE
    exits = strategy.manage(_after(market, 25, SPOT, 45.0), position)  # 21 DTE
    assert [i.reason for i in exits] == ["time_exit"]


def test_no_management_without_quotes():
    strategy, market, position = _open_spread()
    market.state.now = SPIKE + timedelta(days=10)
    assert strategy.manage(context(PatchedMarket(market, quotes=False)), position) == []
