"""Position sizing: quarter Kelly with the risk, buying-power and contract caps (SPEC section 3).

The limits are those of core/limits.py, which the risk gate enforces too. The regime, drawdown and
intraday-spike multipliers (m, their product) scale the money budgets before the one rounding
down, so that "smaller" means smaller, not "none". The number of contracts (or spread units) is
the minimum of
1. the risk budget        floor(m x risk_budget / max_loss_per_unit),
2. the buying-power budget floor(m x min(position_room, headroom[, deployment_budget])
                           / margin_per_unit) (not applied to a covered unit with 0 margin),
3. the Kelly ceiling      floor(m x f x net_liq / max_loss_per_unit),
4. the contract cap (a count, not scaled).
The correlation groups gate whether a position may open at all (risk/risk_checks.py); they never
size it. Zero or negative Kelly, or any missing, non-finite or out-of-range input, gives 0
contracts with the reason; there is no floor and never an "at least one contract".

Floors allow a millionth of a dollar (core/limits.py `units_within`) so that an exact budget (e.g.
$600 of risk for a $600 unit) is not lost to floating-point rounding.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.limits import Limits, units_within

SCHEMA_VERSION = 1
_MAX_UNITS = 10**12  # stands for "no bound" when a per-unit amount is vanishingly small


@dataclass(frozen=True)
class KellyInputs:
    """Kelly statistics: win probability (0..1), average win and average loss (positive multiples
    of the trade's credit or risk unit)."""

    win_rate: float
    avg_win: float
    avg_loss: float


def _finite(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def full_kelly(inputs: KellyInputs | None) -> float:
    """Full Kelly (p*b - q) / b with b = avg_win / avg_loss and q = 1 - p; 0.0 for a non-positive
    edge or any missing, non-finite or out-of-range input (p outside (0, 1], avg_win or
    avg_loss <= 0). Never raises."""
    if inputs is None or not all(_finite(v) for v in (inputs.win_rate, inputs.avg_win, inputs.avg_loss)):
        return 0.0
    p, win, loss = float(inputs.win_rate), float(inputs.avg_win), float(inputs.avg_loss)
    if not (0.0 < p <= 1.0) or win <= 0 or loss <= 0:
        return 0.0
    b = win / loss
    return max(0.0, (p * b - (1.0 - p)) / b)


def kelly_fraction(inputs: KellyInputs | None, fraction: float = 0.25) -> float:
    """Fractional Kelly: fraction x full Kelly (see `full_kelly`); 0.0 for bad inputs or a
    `fraction` that is not a finite number in (0, 1]. Never raises."""
    if not _finite(fraction) or not 0.0 < fraction <= 1.0:
        return 0.0
    return fraction * full_kelly(inputs)


class TradeStatistics:
    """Closed-trade results of one strategy, normalised by each trade's credit or risk unit.

    A win is a result > 0; every other result counts as a non-win, and the average loss is the
    mean of -result over non-wins (so scratches lower the average loss), which makes
    p*avg_win - q*avg_loss equal to the mean result and the Kelly sign the sign of the expectancy.

    Kelly inputs (`kelly_inputs`): the prior until `min_trades` closed trades; from then on each
    input is the blend w*realised + (1-w)*prior with w = n / (n + min_trades) (0.5 at 30 trades,
    0.9 at 270). The realised average win or loss stands in only when at least one win or one
    loss (< 0) exists; otherwise the prior's value is used for that input. Once the realised
    Kelly is zero or negative (mean result <= 0) after `min_trades`, the realised inputs are
    returned unblended, so the sizer gives 0 and the strategy stops opening (`stopped`).
    """

    def __init__(self) -> None:
        self.trades = 0
        self.wins = 0
        self.losses = 0  # results < 0
        self.sum_wins = 0.0  # sum of results > 0
        self.sum_non_wins = 0.0  # sum of -result over results <= 0

    def record(self, pnl: float, unit: float = 1.0) -> float:
        """Record a closed trade's P&L (USD) divided by its unit (USD, e.g. the credit); return the result.

        With the default unit 1.0, `pnl` is taken as already normalised.

        Raises:
            ValueError: `pnl` is not finite or `unit` is not finite and positive.
        """
        if not _finite(pnl):
            raise ValueError(f"trade pnl must be a finite number, got {pnl!r}")
        if not _finite(unit) or unit <= 0:
            raise ValueError(f"trade unit must be a finite positive number (USD), got {unit!r}")
        result = float(pnl) / float(unit)
        self.trades += 1
        if result > 0:
            self.wins += 1
            self.sum_wins += result
        else:
            self.losses += result < 0
            self.sum_non_wins -= result
        return result

    def realised_inputs(self) -> KellyInputs | None:
        """The realised Kelly inputs (None before the first trade); an average with no sample is NaN."""
        if self.trades == 0:
            return None
        non_wins = self.trades - self.wins
        return KellyInputs(self.wins / self.trades,
                           self.sum_wins / self.wins if self.wins else float("nan"),
                           self.sum_non_wins / non_wins if self.losses else float("nan"))

    def mean_result(self) -> float:
        """Mean normalised result (NaN before the first trade)."""
        return (self.sum_wins - self.sum_non_wins) / self.trades if self.trades else float("nan")

    def stopped(self, min_trades: int = 30) -> bool:
        """True when, after `min_trades` closed trades, the realised Kelly is zero or negative."""
        return self.trades >= min_trades and self.mean_result() <= 0

    def kelly_inputs(self, prior: KellyInputs, min_trades: int = 30) -> KellyInputs:
        """Kelly inputs for the next trade from `prior` and the realised statistics (see the class).

        Raises:
            ValueError: `min_trades` is not a positive integer.
        """
        if isinstance(min_trades, bool) or not isinstance(min_trades, int) or min_trades < 1:
            raise ValueError(f"min_trades must be a positive integer, got {min_trades!r}")
        realised = self.realised_inputs()
        if realised is None or self.trades < min_trades:
            return prior
        if self.stopped(min_trades):
            return realised
        weight = self.trades / (self.trades + min_trades)

        def blend(realised_value: float, prior_value: float) -> float:
            if not math.isfinite(realised_value):
                return prior_value
            return weight * realised_value + (1.0 - weight) * prior_value

        return KellyInputs(blend(realised.win_rate, prior.win_rate), blend(realised.avg_win, prior.avg_win),
                           blend(realised.avg_loss, prior.avg_loss))

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA_VERSION, "trades": self.trades, "wins": self.wins, "losses": self.losses,
                "sum_wins": self.sum_wins, "sum_non_wins": self.sum_non_wins}

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> TradeStatistics:
        """Restore statistics saved by `to_dict`.

        Raises:
            ValueError: unknown schema version.
        """
        if data.get("schema") != SCHEMA_VERSION:
            raise ValueError(f"unsupported trade statistics schema {data.get('schema')!r}")
        stats = TradeStatistics()
        stats.trades, stats.wins, stats.losses = int(data["trades"]), int(data["wins"]), int(data["losses"])
        stats.sum_wins, stats.sum_non_wins = float(data["sum_wins"]), float(data["sum_non_wins"])
        return stats


@dataclass(frozen=True)
class SizingResult:
    """Contracts to trade (0 = skip), the reason (the binding limit or the bad input) and every
    component for the journal."""

    quantity: int
    reason: str
    components: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"quantity": self.quantity, "reason": self.reason, "components": dict(self.components)}


def _units(amount: float, per_unit: float) -> int:
    """Whole units of `per_unit` (> 0) in `amount` (core/limits.py `units_within`), at most _MAX_UNITS."""
    units = units_within(amount, per_unit)
    return _MAX_UNITS if units is None else min(units, _MAX_UNITS)


def _bad_input(checks: dict[str, tuple[object, float, float, bool]]) -> str | None:
    """Name of the first input that is missing, non-finite or outside its range (low, high, low_open)."""
    for name, (value, low, high, low_open) in checks.items():
        if not _finite(value) or value > high or value < low or (low_open and value == low):  # type: ignore[operator]
            return name
    return None


def size_position(limits: Limits, *, max_loss_per_unit: float, margin_per_unit: float,
                  kelly: KellyInputs | None, kelly_fraction: float,
                  regime_multiplier: float, drawdown_multiplier: float) -> SizingResult:
    """Contracts (or spread units) for one proposed trade (SPEC section 3) within `limits`.

    `max_loss_per_unit` is the loss at the stop of one unit and `margin_per_unit` its buying
    power, in USD. `kelly` holds the Kelly inputs (see `TradeStatistics.kelly_inputs`) and
    `kelly_fraction` the fraction of full Kelly; `kelly=None` marks a hedge sized by its budgets
    only (SPEC section 5: the LEAP ladder has no Kelly prior), while bad values inside KellyInputs
    mean no trade. The buying-power budget is the smallest of the limits' `position_room`,
    `headroom` and `deployment_budget`. A `margin_per_unit` of 0 (a call written against shares or
    a LEAP already held) uses no buying power, so the buying-power budget does not apply; negative
    margin is a bad input. `regime_multiplier` (the regime's, times the intraday-spike halving) and
    `drawdown_multiplier` scale the risk, buying-power and Kelly budgets before rounding (module
    docstring).

    Never raises for bad inputs: returns quantity 0 with reason "bad_input:<name>" (the name of
    the argument or of the field of `limits`), "kelly_non_positive", the binding component
    ("risk_budget", "buying_power", "kelly_ceiling", "contract_cap"), or "size_multipliers" when
    the unscaled budgets allow a unit and the scaled ones none. The components hold the scaled
    limits, `base` (the unscaled minimum) and `scale`.
    """
    checks: dict[str, tuple[object, float, float, bool]] = {
        "net_liquidation": (limits.net_liquidation, 0.0, math.inf, True),
        "max_loss_per_unit": (max_loss_per_unit, 0.0, math.inf, True),
        "margin_per_unit": (margin_per_unit, 0.0, math.inf, False),  # 0: covered, see the docstring
        "margin_used": (limits.margin_used, 0.0, math.inf, False),
        "per_trade_risk": (limits.per_trade_risk, 0.0, 1.0, True),
        "phase_buying_power": (limits.phase_buying_power, 0.0, 1.0, True),
        "regime_buying_power": (limits.regime_buying_power, 0.0, 1.0, False),
        "reserve": (limits.reserve, 0.0, 1.0, False),
        "contract_cap": (limits.contract_cap, 0.0, math.inf, True),
        "regime_multiplier": (regime_multiplier, 0.0, 1.0, False),
        "drawdown_multiplier": (drawdown_multiplier, 0.0, 1.0, False),
        "position_margin": (limits.position_margin, 0.0, math.inf, False),
    }
    if limits.buying_power_cap is not None:
        checks["buying_power_cap"] = (limits.buying_power_cap, 0.0, 1.0, True)
    if limits.deployment_budget is not None:
        checks["deployment_budget"] = (limits.deployment_budget, 0.0, math.inf, False)
    if kelly is not None:
        checks["kelly_fraction"] = (kelly_fraction, 0.0, 1.0, True)
    bad = _bad_input(checks)
    if bad is not None:
        return SizingResult(0, f"bad_input:{bad}", {"bad_input": bad})
    f = None if kelly is None else kelly_fraction * full_kelly(kelly)
    if f is not None and f <= 0:
        return SizingResult(0, "kelly_non_positive", {"kelly_f": f})
    net_liquidation = limits.net_liquidation
    headroom = limits.headroom
    room = min(budget for budget in (limits.position_room, headroom, limits.deployment_budget) if budget is not None)
    scale = regime_multiplier * drawdown_multiplier

    def limits_at(m: float) -> dict[str, int]:
        units = {"risk_budget": _units(m * limits.risk_budget, max_loss_per_unit)}
        if margin_per_unit > 0:
            units["buying_power"] = _units(m * room, margin_per_unit)
        if f is not None:
            units["kelly_ceiling"] = _units(m * f * net_liquidation, max_loss_per_unit)
        units["contract_cap"] = math.floor(limits.contract_cap)
        return units

    found = limits_at(scale)
    base = min(limits_at(1.0).values())
    binding = min(found, key=lambda name: found[name])  # first of the smallest, in the order above
    quantity = found[binding]
    components: dict[str, Any] = {**found, "kelly_f": f, "buying_power_headroom": headroom,
                                  "buying_power_room": room, "base": base, "scale": scale,
                                  "regime_multiplier": regime_multiplier, "drawdown_multiplier": drawdown_multiplier}
    reason = "size_multipliers" if quantity == 0 and base > 0 else binding
    return SizingResult(quantity, reason, components)
