"""Validation of the chain model's numeric parameter sets (frozen dataclasses of numbers)."""
from __future__ import annotations

import math
from dataclasses import fields


def check_fields(obj: object, positive: tuple[str, ...], non_negative: tuple[str, ...]) -> None:
    """ValueError unless every field of the dataclass `obj` is a finite number, > 0 when named in
    `positive` and >= 0 when named in `non_negative`."""
    name = type(obj).__name__
    for item in fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, item.name)
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"{name}.{item.name} must be a finite number, got {value!r}")
        if item.name in positive and value <= 0:
            raise ValueError(f"{name}.{item.name} must be > 0, got {value!r}")
        if item.name in non_negative and value < 0:
            raise ValueError(f"{name}.{item.name} must be >= 0, got {value!r}")
