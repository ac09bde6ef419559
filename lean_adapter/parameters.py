"""LEAN project parameters <-> the core's configuration (one name per parameter everywhere).

Every core parameter (config.loader.PARAMETERS) is read with `get_parameter` under its own name,
and under its old name (config.loader.RENAMED) for projects written before the rename; a parameter
that is absent or empty keeps its default. Three adapter parameters configure live
notifications. `project_parameters()` is the content of config.json's "parameters" (all values
as text, as LEAN stores them). No LEAN import here, so the offline bundler can use it too.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from config.loader import PARAMETERS, RENAMED, FrameworkConfig, load_config, parameter_defaults

# Adapter-only parameters: where live notifications go and how many per hour at most.
ADAPTER_DEFAULTS: dict[str, Any] = {"notify_email": "", "notify_telegram_id": "", "notify_max_per_hour": 12}

GetParameter = Callable[[str], "str | None"]


def parameter_text(value: Any) -> str:
    """A default as LEAN parameter text: booleans as true/false, numbers exactly (repr)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def project_parameters() -> dict[str, str]:
    """Every parameter (core and adapter) with its default as text, sorted by name."""
    values = {**parameter_defaults(), **ADAPTER_DEFAULTS}
    return {name: parameter_text(values[name]) for name in sorted(values)}


def read_overrides(get: GetParameter) -> dict[str, str]:
    """The core parameters LEAN has a non-empty value for (old names as given: load_config maps them)."""
    found = {}
    for name in [*PARAMETERS, *RENAMED]:
        raw = get(name)
        if raw is not None and str(raw).strip() != "":
            found[name] = str(raw)
    return found


def load_lean_config(get: GetParameter) -> FrameworkConfig:
    """The framework configuration from LEAN parameters.

    Raises:
        ValueError: a parameter value that does not parse or is out of range; the message names it.
    """
    try:
        return load_config(read_overrides(get))
    except ValueError as error:
        raise ValueError(f"invalid LEAN parameter: {error}") from None


@dataclass(frozen=True)
class NotificationSettings:
    """Live notification targets (empty: not used) and the hourly cap."""

    email: str
    telegram_id: str
    max_per_hour: int

    @property
    def any_target(self) -> bool:
        return bool(self.email or self.telegram_id)


def read_notification_settings(get: GetParameter) -> NotificationSettings:
    """The adapter's notification parameters.

    Raises:
        ValueError: notify_max_per_hour is not an integer from 1 to 3600.
    """
    def text(name: str) -> str:
        raw = get(name)
        return str(ADAPTER_DEFAULTS[name] if raw is None or str(raw).strip() == "" else raw).strip()

    raw_cap = text("notify_max_per_hour")
    try:
        cap = int(raw_cap)
    except ValueError:
        raise ValueError(f"invalid LEAN parameter: notify_max_per_hour={raw_cap!r} is not an integer") from None
    if not 1 <= cap <= 3600:
        raise ValueError(f"invalid LEAN parameter: notify_max_per_hour={cap} must be from 1 to 3600")
    return NotificationSettings(text("notify_email"), text("notify_telegram_id"), cap)
