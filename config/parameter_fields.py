"""The `param` field helper: a dataclass field with a default, an allowed range and a description.

Every tunable of the framework is declared with `param(...)`, so the loader can convert, check the
range and document it from one place.
"""
from __future__ import annotations

import math
from dataclasses import Field, field, fields
from datetime import time
from typing import Any

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def param(default: Any, low: float | None = None, high: float | None = None, doc: str = "",
          choices: tuple[str, ...] | None = None) -> Any:
    """A dataclass field carrying its default, inclusive range or choices, and one-line meaning."""
    return field(default=default, metadata={"low": low, "high": high, "doc": doc, "choices": choices})


def check_ranges(section: object, prefix: str) -> None:
    """Raise ValueError naming the parameter when a value is outside its declared range/choices."""
    for f in fields(section):  # type: ignore[arg-type]
        value = getattr(section, f.name)
        name = f"{prefix}_{f.name}"
        check_value(f, name, value)


def check_value(f: Field[Any], name: str, value: Any) -> None:
    """Check one value against its field's declared range or choices."""
    low, high, choices = f.metadata.get("low"), f.metadata.get("high"), f.metadata.get("choices")
    if choices is not None and value not in choices:
        raise ValueError(f"parameter {name}={value!r} is not one of {', '.join(choices)}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    if not math.isfinite(value):
        raise ValueError(f"parameter {name} must be a finite number, got {value}")
    if low is not None and value < low:
        raise ValueError(f"parameter {name}={value} is below its minimum {low}")
    if high is not None and value > high:
        raise ValueError(f"parameter {name}={value} is above its maximum {high}")


def parse_hhmm(text: str, name: str) -> time:
    """Parse "HH:MM" (24h, US/Eastern) or raise ValueError naming the parameter."""
    try:
        hours, minutes = (int(part) for part in text.split(":"))
        return time(hours, minutes)
    except (ValueError, AttributeError):
        raise ValueError(f"parameter {name}={text!r} is not a time of day HH:MM") from None


def require(condition: bool, message: str) -> None:
    """Raise ValueError(message) unless `condition` (a rule between parameters)."""
    if not condition:
        raise ValueError(message)
