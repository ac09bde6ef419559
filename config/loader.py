"""Build the framework's configuration from defaults plus overrides, by parameter name.

The same names serve LEAN (`get_parameter`, config.json) and the offline engine (`--set name=value`).
A parameter's name is `<section>_<field>`, a strategy's section being named by its key
(`friday_0dte_vix_min`, `leap_put_ladder_max_rungs`), the others by what they hold (`risk_`, `vix_`,
...). Names of earlier versions (`zero_dte_*`, `leap_ladder_*`: a section's `former_prefix`) are
still accepted; `deprecation_notes` says what they are now.
An unknown name, an unparsable value or an out-of-range value raises ValueError naming it; an
unknown name also gets the closest known names.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, get_type_hints

from config.advanced_parameters import (
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
from config.framework_parameters import CashParameters, OrderParameters, RiskParameters, VixParameters
from config.strategy_parameters import (
    FuturesStrangleParameters,
    IpmccParameters,
    LeapLadderParameters,
    Lt112Parameters,
    VixSpikeParameters,
    ZeroDteParameters,
)


@dataclass(frozen=True)
class FrameworkConfig:
    """Every parameter of the framework, grouped by section; a strategy's section is named by its key."""

    backtest: BacktestParameters = field(default_factory=BacktestParameters)
    risk: RiskParameters = field(default_factory=RiskParameters)
    cash: CashParameters = field(default_factory=CashParameters)
    vix: VixParameters = field(default_factory=VixParameters)
    order: OrderParameters = field(default_factory=OrderParameters)
    friday_0dte: ZeroDteParameters = field(default_factory=ZeroDteParameters)
    lt112: Lt112Parameters = field(default_factory=Lt112Parameters)
    futures_strangle: FuturesStrangleParameters = field(default_factory=FuturesStrangleParameters)
    leap_put_ladder: LeapLadderParameters = field(default_factory=LeapLadderParameters)
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


# Section name (the parameters' prefix) -> its parameter class, in the order of FrameworkConfig.
SECTIONS: dict[str, type] = dict(get_type_hints(FrameworkConfig))


def _parameter_index() -> dict[str, tuple[str, Any]]:
    """Parameter name -> (section, dataclass field)."""
    index: dict[str, tuple[str, Any]] = {}
    for section, cls in SECTIONS.items():
        for f in fields(cls):
            index[f"{section}_{f.name}"] = (section, f)
    return index


PARAMETERS = _parameter_index()
# Old parameter name -> current name: a section renamed to its strategy's key keeps its former
# prefix (the class attribute `former_prefix`) working.
RENAMED: dict[str, str] = {f"{cls.former_prefix}_{f.name}": f"{section}_{f.name}"
                           for section, cls in SECTIONS.items() if hasattr(cls, "former_prefix")
                           for f in fields(cls)}


def closest_names(name: str, count: int = 3) -> list[str]:
    """The known parameter names closest to `name` (for "did you mean"), best first."""
    known = list(PARAMETERS) + list(RENAMED)
    found = difflib.get_close_matches(name, known, n=count, cutoff=0.6)
    if not found:  # a wrong prefix: match on the part after the strategy or section prefix
        tail = name.split("_", 1)[-1]
        found = [known_name for known_name in known if known_name.endswith("_" + tail)][:count]
    return list(dict.fromkeys(RENAMED.get(found_name, found_name) for found_name in found))


def unknown_parameter_message(name: str) -> str:
    """"unknown parameter 'x'", with the closest known names when there are any."""
    close = closest_names(name)
    hint = f"; did you mean {' or '.join(close)}?" if close else "; `tomking params` lists every parameter"
    return f"unknown parameter {name!r}{hint}"


def deprecation_notes(names: Iterable[str]) -> list[str]:
    """One note per old parameter name among `names`, giving its current name."""
    return [f"parameter {name} is now called {RENAMED[name]} (the old name still works for now)"
            for name in names if name in RENAMED]


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
    for given, raw in (overrides or {}).items():
        name = RENAMED.get(given, given)
        if name not in PARAMETERS:
            raise ValueError(unknown_parameter_message(given))
        if name != given and name in (overrides or {}):
            raise ValueError(f"parameter {name} is given twice: also under its old name {given}")
        section, f = PARAMETERS[name]
        if f.name in ("product", "products") and isinstance(raw, str):  # "/MES" as traders write it
            raw = ",".join(part.strip().upper().lstrip("/") for part in raw.split(","))
        per_section.setdefault(section, {})[f.name] = convert_value(given, raw, f.default)
    config = FrameworkConfig()
    changes = {section: replace(getattr(config, section), **values) for section, values in per_section.items()}
    return replace(config, **changes)


def changed_parameters(config: FrameworkConfig) -> dict[str, Any]:
    """Every parameter whose value in `config` differs from its default, by current name."""
    return {name: getattr(getattr(config, section), f.name) for name, (section, f) in PARAMETERS.items()
            if getattr(getattr(config, section), f.name) != f.default}


def parameter_defaults() -> dict[str, Any]:
    """Every parameter name with its default value (the content of config.json's parameters)."""
    return {name: f.default for name, (_, f) in PARAMETERS.items()}


def parameter_reference() -> list[tuple[str, Any, str]]:
    """(name, default, meaning) for every parameter, for documentation."""
    return [(name, f.default, f.metadata.get("doc", "")) for name, (_, f) in PARAMETERS.items()]
