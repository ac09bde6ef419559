"""Frozen, validated parameter sets of the framework itself: risk and account phases, the cash sweep,
the VIX regimes and the order rules (SPEC sections 1-4, 9); the strategies' sets are in
config.strategy_parameters and config.advanced_parameters. Public names are `<section>_<field>`.
"""
from __future__ import annotations

from dataclasses import dataclass

from config.constants import VIX_EXTREME, VIX_HIGH
from config.parameter_fields import check_ranges, param, parse_hhmm, require


@dataclass(frozen=True)
class RiskParameters:
    """Account phases, buying power, sizing and breakers (SPEC sections 1, 3, 4)."""

    phase_hysteresis: float = param(0.05, 0.0, 0.5, "fraction past a phase boundary before the phase changes")
    buying_power_reserve: float = param(0.20, 0.0, 0.9, "buying power never used by new positions")
    per_trade_risk: float = param(0.02, 0.001, 0.2, "max loss at the stop per trade, fraction of net liq")
    kelly_fraction: float = param(0.25, 0.01, 1.0, "fraction of full Kelly (quarter Kelly)")
    kelly_min_trades: int = param(30, 1, 1000, "closed trades before realised statistics replace priors")
    drawdown_halve: float = param(0.10, 0.01, 0.9, "drawdown from high-water mark that halves new sizes")
    drawdown_stop: float = param(0.15, 0.01, 0.9, "drawdown that stops new positions")
    drawdown_liquidate: float = param(0.20, 0.01, 0.95, "drawdown that closes everything")
    drawdown_pause_sessions: int = param(10, 0, 100, "sessions without new entries after liquidation")
    daily_loss_limit: float = param(0.05, 0.001, 0.5, "loss from the day's start that stops new positions")
    max_consecutive_losses: int = param(3, 1, 20, "losing closes in a row that stop new positions for the day")
    group_limit: int = param(2, 1, 10, "positions per correlation group in phases 1-3")
    group_limit_phase4: int = param(3, 1, 10, "positions per correlation group in phase 4")
    # SPEC section 4: A1 and A2 together 3, 4, 6, 8 in phases 1-4, so the equity index slots grow with the
    # phase's position count (3, 6, 10, 15); the per-group limits still apply.
    index_limit_phase1: int = param(3, 1, 50, "positions in groups A1 and A2 together in phase 1")
    index_limit_phase2: int = param(4, 1, 50, "positions in groups A1 and A2 together in phase 2")
    index_limit_phase3: int = param(6, 1, 50, "positions in groups A1 and A2 together in phase 3")
    index_limit_phase4: int = param(8, 1, 50, "positions in groups A1 and A2 together in phase 4")
    phase1_max_contracts: int = param(1, 1, 100, "contracts (or spread units) per position in phase 1")
    max_contracts: int = param(10, 1, 1000, "contracts per position in later phases")
    recovery_timeout_minutes: int = param(30, 1, 1440, "time-out of ENTERING/EXITING/ERROR states")
    max_errors_per_session: int = param(3, 1, 100, "errors in one session that suspend a strategy")
    management_interval_minutes: int = param(5, 1, 60, "minutes between management checks")

    def __post_init__(self) -> None:
        check_ranges(self, "risk")
        require(self.drawdown_halve < self.drawdown_stop < self.drawdown_liquidate,
                 "parameters risk_drawdown_halve < risk_drawdown_stop < risk_drawdown_liquidate must hold")

    def index_limit(self, phase: int) -> int:
        """Positions allowed in groups A1 and A2 together in `phase` (1-4).

        Raises:
            ValueError: `phase` is not 1-4.
        """
        if phase not in (1, 2, 3, 4):
            raise ValueError(f"phase must be 1-4, got {phase!r}")
        return int(getattr(self, f"index_limit_phase{phase}"))


@dataclass(frozen=True)
class CashParameters:
    """Idle cash in T-bills (risk/cash_sweep.py): interest offline, a T-bill ETF on LEAN."""

    sweep: bool = param(True, doc="cash no position needs, above the reserve, earns the 3-month T-bill rate")
    sweep_symbol: str = param("BIL", doc="T-bill ETF holding the swept cash on LEAN (SGOV exists from 2020)",
                              choices=("BIL", "SGOV"))

    def __post_init__(self) -> None:
        check_ranges(self, "cash")


@dataclass(frozen=True)
class VixParameters:
    """VIX regimes, staleness, intraday spike and the spike-deployment budget (SPEC section 2)."""

    high: float = param(VIX_HIGH, 10.0, 100.0, "VIX at or above which the regime is HIGH")
    extreme: float = param(VIX_EXTREME, 10.0, 150.0, "VIX at or above which the regime is EXTREME")
    stale_minutes: int = param(5, 1, 120, "VIX older than this in regular hours blocks new entries")
    regime_band: float = param(0.5, 0.0, 5.0, "VIX points below a regime's lower bound before it is left downward")
    intraday_spike: float = param(0.50, 0.05, 5.0, "rise from the previous close that halves new sizes")
    spike_budget_fraction: float = param(0.20, 0.0, 1.0, "spike deployment budget, fraction of net liq")
    spike_budget_min: float = param(5_000.0, 0.0, 1e7, "spike deployment budget floor (USD)")
    spike_budget_max: float = param(50_000.0, 0.0, 1e8, "spike deployment budget ceiling (USD)")

    def __post_init__(self) -> None:
        check_ranges(self, "vix")
        require(25.0 < self.high < self.extreme, "parameters 25 < vix_high < vix_extreme must hold")
        require(self.spike_budget_min <= self.spike_budget_max,
                 "parameter vix_spike_budget_min must not exceed vix_spike_budget_max")


@dataclass(frozen=True)
class OrderParameters:
    """Combo limit pricing ladder (SPEC section 9)."""

    step_seconds: int = param(30, 5, 300, "seconds between price improvements")
    timeout_minutes: int = param(5, 1, 60, "give up on an order after this long")
    zero_dte_timeout_minutes: int = param(3, 1, 60, "give-up time for 0DTE orders")
    entry_retries: int = param(1, 0, 10, "times a day an entry order that timed out unfilled is tried again in "
                               "its window, re-priced from fresh quotes")
    expiry_close_deadline: str = param("15:30", doc="close positions expiring today before this time")
    width_tolerance: float = param(0.0, 0.0, 50.0, "a wing or spread width the listed strikes cannot give "
                                   "exactly may be off by this many points (product points); 0: skip")

    def __post_init__(self) -> None:
        check_ranges(self, "order")
        parse_hhmm(self.expiry_close_deadline, "order_expiry_close_deadline")
