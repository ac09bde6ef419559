"""Builders for strategy tests: a scripted market on the offline chain model and a decision context."""
from __future__ import annotations

import dataclasses
import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

from config.constants import Regime
from config.loader import FrameworkConfig, load_config
from core.account import AccountSnapshot
from core.position import Position
from core.types import Leg
from core.vix_manager import regime_for
from offline.market.market_view import MarketState, ModelledMarketView
from strategies.base import DecisionContext, contract_multiplier
from tests.reliability.scripted_system import REFERENCE_MODEL

EASTERN = ZoneInfo("America/New_York")


def eastern(year: int, month: int, day: int, hour: int = 10, minute: int = 30) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=EASTERN)


def scripted_market(now: datetime, spy: float = 450.0, vix: float = 25.0, **prices: float) -> ModelledMarketView:
    """SPY (and SPX/ES/MES derived from it unless given) with VIX, at `now`."""
    base = {"SPY": spy, "SPX": spy * 10.0, "ES": spy * 10.05, "MES": spy * 10.05, "QQQ": spy * 0.85}
    base.update(prices)
    state = MarketState(now=now, prices=base, session_open=dict(base), vix=vix, vix_time=now,
                        vix_previous_close=vix, rate=0.045, dividend_yields={"SPY": 0.013})
    return ModelledMarketView(state, REFERENCE_MODEL)  # fixed parameters: see tests/reliability/scripted_system.py


class QuotelessMarket(ModelledMarketView):
    """The modelled market with every contract quote withheld."""

    def quote(self, contract):
        return None


_ids = itertools.count(1)


def context(market: ModelledMarketView, config: FrameworkConfig | None = None, net_liq: float = 30_000.0,
            regime: Regime | None = None) -> DecisionContext:
    config = config or load_config()
    vix = market.state.vix
    regime = regime or regime_for(vix, config.vix)
    account = AccountSnapshot(time=market.now(), net_liquidation=net_liq, margin_used=0.0,
                              high_water_mark=net_liq, day_start_value=net_liq, losing_streak_today=0, phase=1,
                              regime=regime.value, vix_usable=True, intraday_spike=False, open_positions=())
    return DecisionContext(now=market.now(), market=market, config=config, regime=regime, vix=vix,
                           new_intent_id=lambda: f"I{next(_ids):06d}", account_source=lambda: account)


def account_in_phase(ctx: DecisionContext, phase: int, net_liq: float) -> DecisionContext:
    """`ctx` with an account snapshot in `phase` at `net_liq`."""
    account = dataclasses.replace(ctx.account, phase=phase, net_liquidation=net_liq, high_water_mark=net_liq,
                                  day_start_value=net_liq)
    return dataclasses.replace(ctx, account_source=lambda: account)


def filled_position(strategy: str, legs: tuple[Leg, ...], price: float, units: int, ctx: DecisionContext,
                    position_id: str = "P1", marks: tuple[float, ...] = ()) -> Position:
    """A position as the trading system books it after an opening fill at net `price` per unit;
    `marks`: the opening order's leg_marks (each leg's price when proposed)."""
    position = Position(position_id=position_id, strategy=strategy, opened=ctx.now, holdings={}, entry_cash=0.0,
                        max_loss=0.0, regime=ctx.regime.value, phase=1)
    cash = -price * units * contract_multiplier(legs[0].contract)
    position.apply_fill(legs, units, cash, 0.0, marks)
    position.entry_cash = cash
    return position


def holding(position: Position) -> dict[str, int]:
    return {c.key: q for c, q in position.contracts()}

