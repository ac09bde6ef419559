"""The strategies of the framework, in the fixed order the trading system runs them."""
from __future__ import annotations

from config.loader import FrameworkConfig
from strategies.base import Strategy
from strategies.bear_trap_11x import BearTrap11x
from strategies.box_spread import BoxSpread
from strategies.broken_wing_butterfly import BrokenWingButterfly
from strategies.diagonal_calendar import DiagonalCalendar
from strategies.friday_0dte import FridayZeroDte
from strategies.futures_strangle import FuturesStrangle
from strategies.ipmcc import Ipmcc
from strategies.jade_lizard import JadeLizard
from strategies.leap_put_ladder import LeapPutLadder
from strategies.lt112 import Lt112
from strategies.put_ratio_spread import PutRatioSpread
from strategies.short_leap_put import ShortLeapPut
from strategies.vix_spike import VixSpikeDeployment
from strategies.weekly_butterfly import WeeklyButterfly

STRATEGY_CLASSES: tuple[type[Strategy], ...] = (
    VixSpikeDeployment, FridayZeroDte, Lt112, FuturesStrangle, LeapPutLadder, Ipmcc,
    # the advanced strategies (SPEC section 6), each from its phase on
    PutRatioSpread, JadeLizard, BrokenWingButterfly, ShortLeapPut, WeeklyButterfly, DiagonalCalendar, BoxSpread,
    BearTrap11x,
)


def build_strategies(config: FrameworkConfig) -> list[Strategy]:
    """One instance of every strategy, in run order (spike deployment first: it acts on regime changes)."""
    return [cls(config) for cls in STRATEGY_CLASSES]
