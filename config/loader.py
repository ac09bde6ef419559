"""Build the framework's configuration from defaults plus overrides, by parameter name.

The same names serve LEAN (`get_parameter`, config.json) and the offline engine (`--set name=value`).
An unknown name, an unparsable value or an out-of-range value raises ValueError naming it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from config.advanced_parameters import (
    ADVANCED_SECTIONS,
    BearTrapParameters,
    BoxSpreadParameters,
    BrokenWingButterflyParameters,
    DiagonalCalendarParameters,
    JadeLizardParameters,
    PutRatioSpreadParameters,
    ShortLeapPutParameters,
    WeeklyButterflyParameters,
)
from config.backtest_config import BacktestParameters
from config.strategy_parameters import (
    CashParameters,
    FuturesStrangleParameters,
    IpmccParameters,
    LeapLadderParameters,
    Lt112Parameters,
    OrderParameters,
    RiskParameters,
    VixParameters,
    VixSpikeParameters,
    ZeroDteParameters,
)

# Section attribute name == parameter prefix.
SECTIONS: dict[str, type] = {
    "backtest": BacktestParameters,
    "risk": RiskParameters,
    "cash": CashParameters,
    "vix": VixParameters,
    "order": OrderParameters,
    "zero_dte": ZeroDteParameters,
    "lt112": Lt112Parameters,
    "futures_strangle": FuturesStrangleParameters,
    "leap_ladder": LeapLadderParameters,
    "ipmcc": IpmccParameters,
    "vix_spike": VixSpikeParameters,
    **ADVANCED_SECTIONS,
}


@dataclass(frozen=True)
class FrameworkConfig:
    """Every parameter of the framework, grouped by section."""

    backtest: BacktestParameters = field(default_factory=BacktestParameters)
    risk: RiskParameters = field(default_factory=RiskParameters)
    cash: CashParameters = field(default_factory=CashParameters)
    vix: VixParameters = field(default_factory=VixParameters)
    order: OrderParameters = field(default_factory=OrderParameters)
    zero_dte: ZeroDteParameters = field(default_factory=ZeroDteParameters)
    lt112: Lt112Parameters = field(default_factory=Lt112Parameters)
    futures_strangle: FuturesStrangleParameters = field(default_factory=FuturesStrangleParameters)
    leap_ladder: LeapLadderParameters = field(default_factory=LeapLadderParameters)
    ipmcc: IpmccParameters = field(default_factory=IpmccParameters)
    vix_spike: VixSpikeParameters = field(default_factory=VixSpikeParameters)
    put_ratio_spread: PutRatioSpreadParameters = field(default_factory=PutRatioSpreadParameters)
    jade_lizard: JadeLizardParameters = field(default_factory=JadeLizardParameters)
    broken_wing_butterfly: BrokenWingButterflyParameters = field(default_factory=BrokenWingButterflyParameters)
    short_leap_put: ShortLeapPutParameters = field(default_factory=ShortLeapPutParameters)
    weekly_butterfly: WeeklyButterflyParameters = field(default_factory=WeeklyButterflyParameters)
    diagonal_calendar: DiagonalCalendarParameters = field(default_factory=DiagonalCalendarParameters)
    box_spread: BoxSpreadParameters = field(default_factory=BoxSpreadParameters)
    bear_trap_11x: BearTrapParameters = field(default_factory=BearTrapParameters)


def _parameter_index() -> dict[str, tuple[str, Any]]:
    """Parameter name -> (section, dataclass field)."""
    index: dict[str, tuple[str, Any]] = {}
    for section, cls in SECTIONS.items():
        for f in fields(cls):
            index[f"{section}_{f.name}"] = (section, f)
    return index


PARAMETERS = _parameter_index()


def convert_value(name: str, raw: Any, default: Any) -> Any:
    """Convert a raw override (often a string) to the type of the parameter's default."""
    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off"):
            return False
        raise ValueError(f"parameter {name}={raw!r} is not a boolean (true/false)")
    try:
        if isinstance(default, int):
            number = float(raw)
            if not number.is_integer():
                raise ValueError
            return int(number)
        if isinstance(default, float):
            return float(raw)
    except (TypeError, ValueError):
        kind = "an integer" if isinstance(default, int) else "a number"
        raise ValueError(f"parameter {name}={raw!r} is not {kind}") from None
    return str(raw).strip()


def load_config(overrides: Mapping[str, Any] | None = None) -> FrameworkConfig:
    """Defaults with `overrides` (parameter name -> value or text) applied and validated.

    Raises:
        ValueError: an unknown parameter name, an unparsable value, or a value out of range or
            inconsistent with another parameter (the message names the parameter).
    """
    per_section: dict[str, dict[str, Any]] = {}
    for name, raw in (overrides or {}).items():
        if name not in PARAMETERS:
            raise ValueError(f"unknown parameter {name!r}")
        section, f = PARAMETERS[name]
        per_section.setdefault(section, {})[f.name] = convert_value(name, raw, f.default)
    config = FrameworkConfig()
    changes = {section: replace(getattr(config, section), **values) for section, values in per_section.items()}
    return replace(config, **changes)


def parameter_defaults() -> dict[str, Any]:
    """Every parameter name with its default value (the content of config.json's parameters)."""
    return {name: f.default for name, (_, f) in PARAMETERS.items()}


def parameter_reference() -> list[tuple[str, Any, str]]:
    """(name, default, meaning) for every parameter, for documentation."""
    return [(name, f.default, f.metadata.get("doc", "")) for name, (_, f) in PARAMETERS.items()]
