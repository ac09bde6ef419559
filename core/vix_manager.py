"""The VIX regime: the one module that owns the regime table at run time (SPEC section 2).

`regime_table(vix_params)` is config.constants.REGIME_TABLE with the HIGH and EXTREME bounds taken
from the parameters; boundaries are exclusive below and inclusive above (VIX 30.00 is HIGH, 35.00
is EXTREME, 12.00 is LOW). `VixManager` follows the live VIX: regime changes (journal-ready),
missing or stale data (reported once per occurrence), the intraday spike that halves new sizes for
the day, the spike-deployment budget of an EXTREME episode, the regime history and the days spent
in each regime. Nothing else in the repository may hold regime bounds, caps or multipliers.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any

from config.constants import REGIME_TABLE, VIX_VALID_MAX, VIX_VALID_MIN, Regime, RegimeRule
from config.framework_parameters import VixParameters
from core.vix_history import DataProblem, RegimeChange, documents_of

SCHEMA_VERSION = 1
SPIKE_SIZE_FACTOR = 0.5  # an intraday spike halves new sizes for the day
REGIME_ORDER: dict[Regime, int] = {rule.regime: index for index, rule in enumerate(REGIME_TABLE)}
_NO_TIME = timedelta(0)


def regime_table(vix_params: VixParameters) -> tuple[RegimeRule, ...]:
    """The regime table with the HIGH/EXTREME lower bounds from `vix_params`.

    Raises:
        ValueError: the bounds would no longer increase from row to row.
    """
    bounds = {Regime.HIGH: vix_params.high, Regime.EXTREME: vix_params.extreme}
    table = tuple(replace(rule, lower_bound=bounds[rule.regime]) if rule.regime in bounds else rule
                  for rule in REGIME_TABLE)
    for lower, upper in pairwise(table):
        if not lower.lower_bound < upper.lower_bound:
            raise ValueError(f"regime bounds must increase: {lower.regime.value} {lower.lower_bound} >= "
                             f"{upper.regime.value} {upper.lower_bound} (check vix_high, vix_extreme)")
    return table


def _rule_for(vix: float, table: tuple[RegimeRule, ...]) -> RegimeRule:
    if isinstance(vix, bool) or not isinstance(vix, (int, float)) or not math.isfinite(vix):
        raise ValueError(f"vix must be a finite number, got {vix!r}")
    return [rule for rule in table if rule.lower_bound <= vix][-1]


def regime_for(vix: float, vix_params: VixParameters) -> Regime:
    """The regime of a VIX level: the last row whose lower bound is <= `vix`.

    Raises:
        ValueError: `vix` is not a finite number.
    """
    return _rule_for(vix, regime_table(vix_params)).regime


def regime_rule(regime: Regime, vix_params: VixParameters) -> RegimeRule:
    """The table row (bound, buying-power cap, size multiplier) of `regime`."""
    return next(rule for rule in regime_table(vix_params) if rule.regime == Regime(regime))


def spike_deployment_budget(net_liquidation: float, vix_params: VixParameters) -> float:
    """USD budget of a spike deployment: clamp(fraction x net liquidation, minimum, maximum).

    Raises:
        ValueError: `net_liquidation` is not a finite positive number.
    """
    if isinstance(net_liquidation, bool) or not isinstance(net_liquidation, (int, float)) \
            or not math.isfinite(net_liquidation) or net_liquidation <= 0:
        raise ValueError(f"net_liquidation must be a finite positive number (USD), got {net_liquidation!r}")
    amount = vix_params.spike_budget_fraction * net_liquidation
    return min(max(amount, vix_params.spike_budget_min), vix_params.spike_budget_max)


def valid_vix(value: object) -> bool:
    """True for a finite number within [VIX_VALID_MIN, VIX_VALID_MAX]."""
    if type(value) is float:  # the common case; NaN and infinities fail the range test
        return VIX_VALID_MIN <= value <= VIX_VALID_MAX
    return (not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
            and VIX_VALID_MIN <= value <= VIX_VALID_MAX)


class VixManager:
    """Follows the VIX and answers every regime question of the framework.

    Call `on_session_start` at each session's start and `update` at least every minute in regular
    hours. Times are timezone-aware US/Eastern datetimes; the day of an update is `now.date()`.

    Spike deployment: when the regime becomes EXTREME an episode opens; the caller then calls
    `open_spike_window(net_liquidation)`, which fixes its budget. The episode stays open
    (re-entering EXTREME does not refill it) until the regime falls below HIGH. New spike
    deployments are allowed while the regime is EXTREME and budget remains.
    """

    def __init__(self, vix_params: VixParameters | None = None) -> None:
        self.params = vix_params if vix_params is not None else VixParameters()
        self.table = regime_table(self.params)
        self._rules = {rule.regime: rule for rule in self.table}
        # each regime's VIX range [lower bound, next row's lower bound): the table's answer without a search
        uppers = [rule.lower_bound for rule in self.table[1:]] + [math.inf]
        self._ranges = {rule.regime: (rule.lower_bound, upper) for rule, upper in zip(self.table, uppers)}
        self._stale_after = timedelta(minutes=self.params.stale_minutes)
        self._regime: Regime | None = None
        self._value: float | None = None
        self._value_time: datetime | None = None
        self._previous_close: float | None = None
        self._day: date | None = None
        self._spike_day: date | None = None
        self._was_usable = True
        self._days: dict[Regime, int] = dict.fromkeys(Regime, 0)
        self._episode_open = False
        self._episode_budget: float | None = None
        self._episode_spent = 0.0
        self.history: list[RegimeChange] = []
        self.problems: list[DataProblem] = []
        self.problem_opened: DataProblem | None = None  # set by each update: a new occurrence, else None
        # the documents of the append-only lists above, each entry's built once (see _documents)
        self._history_documents: list[dict[str, Any]] = []
        self._problem_documents: list[dict[str, Any]] = []

    # --- updates -------------------------------------------------------------------------------

    def on_session_start(self, day: date, previous_close: float | None) -> None:
        """Start session `day` with the previous session's VIX close (None or invalid: no spike check).

        Raises:
            ValueError: `day` is before the day of the last update.
        """
        self._roll_day(day)
        if valid_vix(previous_close):
            self._previous_close = float(previous_close)  # type: ignore[arg-type]

    def update(self, now: datetime, vix_value: float | None, vix_time: datetime | None,
               previous_close: float | None = None) -> RegimeChange | None:
        """Take the latest VIX observation; return the regime change it causes, if any.

        `vix_value`/`vix_time`: the latest VIX and when it was observed (None when missing; an
        observation older than the one held is ignored). `previous_close`: the previous session's
        VIX close for the intraday spike (None keeps the one given earlier today). An invalid or
        stale VIX does not raise: it makes the VIX unusable and keeps the last regime; the first
        update that finds it unusable sets `problem_opened` and appends to `problems`.

        Raises:
            TypeError: `now` is not a datetime.
            ValueError: `now` is on an earlier day than the previous update.
        """
        if not isinstance(now, datetime):
            raise TypeError(f"now must be a datetime, got {now!r}")
        self._roll_day(now.date())
        if vix_value is not None and vix_time is not None and (self._value_time is None
                                                               or vix_time >= self._value_time):
            self._value = float(vix_value) if valid_vix(vix_value) else float("nan")
            self._value_time = vix_time
        if valid_vix(previous_close):
            self._previous_close = float(previous_close)  # type: ignore[arg-type]
        problem = self.data_problem(now)
        self.problem_opened = None
        if problem is not None and self._was_usable:
            self.problem_opened = DataProblem(now, *problem)
            self.problems.append(self.problem_opened)
        self._was_usable = problem is None
        if problem is not None:
            return None
        value = float(self._value)  # type: ignore[arg-type]
        if self._previous_close is not None and value >= self._previous_close * (1.0 + self.params.intraday_spike):
            self._spike_day = self._day
        return self._set_regime(now, self._banded_regime(value), value)

    def _banded_regime(self, value: float) -> Regime:
        """The table's regime for `value`, except that the current regime is only left downward once
        VIX is `regime_band` points below its lower bound (upward moves take effect at once, so
        VIX 30.00 is HIGH and 35.00 EXTREME as the table says; the band only damps flicker)."""
        current = self._regime
        if current is not None:
            lower, upper = self._ranges[current]
            if lower <= value < upper:
                return current
        regime = _rule_for(value, self.table).regime
        damped = (current is not None and REGIME_ORDER[regime] < REGIME_ORDER[current]
                  and value >= self._rules[current].lower_bound - self.params.regime_band)
        return current if damped and current is not None else regime

    def _roll_day(self, day: date) -> None:
        if self._day is not None and day < self._day:
            raise ValueError(f"update time went back from {self._day} to {day}")
        if day != self._day:
            if self._day is not None and self._regime is not None:
                self._days[self._regime] += 1
            self._day = day
            self._previous_close = None  # yesterday's "previous close" is not today's

    def _set_regime(self, now: datetime, regime: Regime, value: float) -> RegimeChange | None:
        if regime == self._regime:
            return None
        if regime == Regime.EXTREME and not self._episode_open:
            self._episode_budget = None
            self._episode_spent = 0.0
            self._episode_open = True
        elif REGIME_ORDER[regime] < REGIME_ORDER[Regime.HIGH]:
            self._episode_open = False
        change = RegimeChange(now, self._regime, regime, value)
        self._regime = regime
        self.history.append(change)
        return change

    def steady_count(self, readings: Sequence[float]) -> int:
        """How many of `readings` (VIX values, each to be taken fresh by `update` at its own minute),
        from the first on, would change nothing but the latest value held: valid VIX values inside the
        current regime's band (its table range, reaching `regime_band` points below it) that are not
        the day's first intraday spike. 0 before the first regime and while the VIX is unusable (the
        next valid reading ends the problem). An engine may skip the updates of those readings."""
        if self._regime is None or not self._was_usable:
            return 0
        lower, upper = self._ranges[self._regime]
        low = max(lower - self.params.regime_band, VIX_VALID_MIN)
        high = min(upper, math.inf if self.intraday_spike or self._previous_close is None
                   else self._previous_close * (1.0 + self.params.intraday_spike))
        for count, value in enumerate(readings):
            if not (low <= value < high and value <= VIX_VALID_MAX):
                return count
        return len(readings)

    # --- questions -----------------------------------------------------------------------------

    def data_problem(self, now: datetime) -> tuple[str, str] | None:
        """Why the VIX is unusable at `now` as (kind, detail), or None when it is usable."""
        if self._value is None or self._value_time is None:
            return ("vix_missing", "no VIX value received")
        if not valid_vix(self._value):
            return ("vix_invalid", f"latest VIX value is not a finite number in [{VIX_VALID_MIN:g}, {VIX_VALID_MAX:g}]")
        age = now - self._value_time
        if age < _NO_TIME:
            return ("vix_time_in_future", f"VIX observed at {self._value_time.isoformat()} after now")
        if age > self._stale_after:
            return ("vix_stale", f"latest VIX is {age} old (limit {self.params.stale_minutes} minutes)")
        return None

    def usable(self, now: datetime) -> bool:
        """True when a valid VIX no older than `stale_minutes` is held (new entries allowed)."""
        return self.data_problem(now) is None

    @property
    def regime(self) -> Regime | None:
        """The current regime (the last one seen from a usable VIX), None before the first."""
        return self._regime

    @property
    def value(self) -> float | None:
        """The latest VIX observation (NaN when it was invalid)."""
        return self._value

    @property
    def intraday_spike(self) -> bool:
        """VIX rose by `intraday_spike` or more over the previous close today."""
        return self._spike_day is not None and self._spike_day == self._day

    def size_multiplier(self, spike_deployment: bool = False) -> float:
        """New-position size multiplier: the regime's, x0.5 on an intraday-spike day; 0 before a regime.

        A spike deployment in an open EXTREME window uses 1.0, also on the intraday-spike day that
        triggers it (its budget limits it instead).
        """
        if self._regime is None:
            return 0.0
        if spike_deployment and self.spike_window_open:
            return 1.0  # the deployment answers the spike itself; its budget bounds it, not the halving
        multiplier = self._rules[self._regime].size_multiplier
        return multiplier * SPIKE_SIZE_FACTOR if self.intraday_spike else multiplier

    def max_buying_power(self, spike_deployment: bool = False) -> float:
        """The regime's cap on buying power in use (fraction of net liquidation); 0 before a regime.

        A spike deployment in an open EXTREME window gets 1.0: pass `spike_budget_remaining` to the
        sizer as its budget, and the phase cap and reserve still apply.
        """
        if self._regime is None:
            return 0.0
        if spike_deployment and self.spike_window_open:
            return 1.0
        return self._rules[self._regime].max_buying_power

    def spike_deployment_budget(self, net_liquidation: float) -> float:
        """clamp(spike_budget_fraction x net_liquidation, spike_budget_min, spike_budget_max) in USD."""
        return spike_deployment_budget(net_liquidation, self.params)

    def open_spike_window(self, net_liquidation: float) -> float:
        """Fix the budget of the open EXTREME episode from `net_liquidation` (USD) and return it;
        a later call in the same episode returns the budget already fixed.

        Raises:
            ValueError: no EXTREME episode is open, or `net_liquidation` is not finite and positive.
        """
        if not self.spike_window_open:
            raise ValueError(f"open_spike_window: the regime is {self._regime}, not an EXTREME episode")
        if self._episode_budget is None:
            self._episode_budget = spike_deployment_budget(net_liquidation, self.params)
        return self._episode_budget

    @property
    def spike_window_open(self) -> bool:
        """An EXTREME episode is open and the regime is EXTREME (spike deployment allowed)."""
        return self._episode_open and self._regime == Regime.EXTREME

    @property
    def spike_budget_remaining(self) -> float:
        """USD left for spike deployment now (0 when no window is open or its budget is not fixed)."""
        if not self.spike_window_open or self._episode_budget is None:
            return 0.0
        return max(0.0, self._episode_budget - self._episode_spent)

    def spent(self, amount: float) -> None:
        """Book `amount` USD of buying power deployed in the current (or latest) spike episode.

        Raises:
            ValueError: `amount` is not a finite positive number, or no episode budget was ever fixed.
        """
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not math.isfinite(amount) \
                or amount <= 0:
            raise ValueError(f"spent amount must be a finite positive number (USD), got {amount!r}")
        if self._episode_budget is None:
            raise ValueError("spent: no spike-deployment budget has been fixed (see open_spike_window)")
        self._episode_spent += float(amount)

    def days_in_regime(self) -> dict[str, int]:
        """Days per regime, each day counted once by its regime at its last update (reports)."""
        counts = dict(self._days)
        if self._regime is not None:
            counts[self._regime] += 1
        return {regime.value: count for regime, count in counts.items()}

    # --- persistence ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready document of the manager's state (schema 1; parameters are not stored)."""
        def iso(value: date | datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        value = self._value if self._value is None or math.isfinite(self._value) else None
        return {"schema": SCHEMA_VERSION, "regime": self._regime.value if self._regime else None,
                "value": value, "value_valid": self._value is None or math.isfinite(self._value),
                "value_time": iso(self._value_time), "previous_close": self._previous_close,
                "day": iso(self._day), "spike_day": iso(self._spike_day), "was_usable": self._was_usable,
                "days": {regime.value: count for regime, count in self._days.items()},
                "episode": {"open": self._episode_open, "budget": self._episode_budget,
                            "spent": self._episode_spent},
                "history": documents_of(self.history, self._history_documents),
                "problems": documents_of(self.problems, self._problem_documents)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], vix_params: VixParameters | None = None) -> VixManager:
        """Restore a manager saved by `to_dict`.

        Raises:
            ValueError: unknown schema version or unknown regime names.
        """
        if data.get("schema") != SCHEMA_VERSION:
            raise ValueError(f"unsupported VIX manager schema {data.get('schema')!r} (expected {SCHEMA_VERSION})")

        def parse(text: str | None, kind: type[date | datetime]) -> Any:
            return kind.fromisoformat(text) if text else None

        manager = cls(vix_params)
        manager._regime = Regime(data["regime"]) if data.get("regime") else None
        manager._value = data["value"] if data.get("value_valid", True) else float("nan")
        manager._value_time = parse(data.get("value_time"), datetime)
        manager._previous_close = data.get("previous_close")
        manager._day = parse(data.get("day"), date)
        manager._spike_day = parse(data.get("spike_day"), date)
        manager._was_usable = bool(data.get("was_usable", True))
        manager._days.update({Regime(name): int(count) for name, count in data.get("days", {}).items()})
        episode = data.get("episode", {})
        manager._episode_open = bool(episode.get("open", False))
        budget = episode.get("budget")
        manager._episode_budget = float(budget) if budget is not None else None
        manager._episode_spent = float(episode.get("spent", 0.0))
        manager.history = [RegimeChange.from_dict(item) for item in data.get("history", [])]
        manager.problems = [DataProblem.from_dict(item) for item in data.get("problems", [])]
        return manager
