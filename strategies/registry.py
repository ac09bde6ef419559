"""The strategies of the framework: the one list of them, in the fixed order the trading system runs
them, each with its declaration (config/strategy_spec.py, written beside its rules)."""
from __future__ import annotations

from config.loader import FrameworkConfig
from config.strategy_spec import RiskPolicy, StrategySpec
from strategies import (
    bear_trap_11x,
    box_spread,
    broken_wing_butterfly,
    diagonal_calendar,
    friday_0dte,
    futures_strangle,
    ipmcc,
    jade_lizard,
    leap_put_ladder,
    lt112,
    put_ratio_spread,
    short_leap_put,
    vix_spike,
    weekly_butterfly,
)
from strategies.base import Strategy

# Run order: the spike deployment first (it acts on regime changes), then the core five, then the
# advanced strategies (SPEC section 6), each from its phase on.
STRATEGIES: tuple[tuple[StrategySpec, type[Strategy]], ...] = (
    (vix_spike.SPEC, vix_spike.VixSpikeDeployment),
    (friday_0dte.SPEC, friday_0dte.FridayZeroDte),
    (lt112.SPEC, lt112.Lt112),
    (futures_strangle.SPEC, futures_strangle.FuturesStrangle),
    (leap_put_ladder.SPEC, leap_put_ladder.LeapPutLadder),
    (ipmcc.SPEC, ipmcc.Ipmcc),
    (put_ratio_spread.SPEC, put_ratio_spread.PutRatioSpread),
    (jade_lizard.SPEC, jade_lizard.JadeLizard),
    (broken_wing_butterfly.SPEC, broken_wing_butterfly.BrokenWingButterfly),
    (short_leap_put.SPEC, short_leap_put.ShortLeapPut),
    (weekly_butterfly.SPEC, weekly_butterfly.WeeklyButterfly),
    (diagonal_calendar.SPEC, diagonal_calendar.DiagonalCalendar),
    (box_spread.SPEC, box_spread.BoxSpread),
    (bear_trap_11x.SPEC, bear_trap_11x.BearTrap11x),
)
STRATEGY_CLASSES: tuple[type[Strategy], ...] = tuple(cls for _, cls in STRATEGIES)
SPECS: tuple[StrategySpec, ...] = tuple(spec for spec, _ in STRATEGIES)


def risk_policies() -> dict[str, RiskPolicy]:
    """Strategy key -> its risk policy, for the risk gate."""
    return {spec.key: spec.risk for spec in SPECS}


def shares_strategy() -> str:
    """The key of the strategy that holds shares delivered by an assignment."""
    (key,) = (spec.key for spec in SPECS if spec.takes_assigned_shares)
    return key


def build_strategies(config: FrameworkConfig) -> list[Strategy]:
    """One instance of every strategy, in run order."""
    return [cls(config) for cls in STRATEGY_CLASSES]
