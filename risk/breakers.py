"""Drawdown and loss breakers (SPEC section 4), kept by the trading system between decisions.

* Drawdown from the high-water mark: at `risk_drawdown_halve` (10%) new sizes are halved; at
  `risk_drawdown_stop` (15%) no new positions; at `risk_drawdown_liquidate` (20%) everything is
  closed and new entries pause for `risk_drawdown_pause_sessions` (10) sessions after the one in
  which it happened. When the pause ends the high-water mark restarts at that session's starting
  value (otherwise the 15% tier, measured from the old peak, would block entries for ever).
* Daily loss: a loss of `risk_daily_loss_limit` (5%) from the session's starting value stops new
  positions for the rest of the session, even if the account recovers later that day.
* Losing streak: `risk_max_consecutive_losses` (3) losing closes in a row stop new positions for
  the rest of the session (a close with P&L >= 0 resets the count; a new session resets it).

Boundaries are inclusive: a drawdown of exactly 15% stops new positions (compared with a
tolerance of 1e-9, so that 1 - 34,000 / 40,000 computed in floating point still counts as 15%).
"""
from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from config.framework_parameters import RiskParameters
from core.account import fraction_below

BREAKER_SCHEMA_VERSION = 1
BOUNDARY_TOLERANCE = 1e-9


def reached(fraction: float, limit: float) -> bool:
    """Whether a loss `fraction` (e.g. a drawdown of 0.15) has reached `limit`, boundary included."""
    return fraction >= limit - BOUNDARY_TOLERANCE


def _finite(value: float, name: str) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number (USD), got {value!r}")
    return number


class BreakerState:
    """Drawdown tiers, daily loss limit and losing streak of one account.

    Call `on_new_session` before anything else each session, `on_equity` on every net
    liquidation update and `on_position_closed` with each closed position's P&L.

    Raises:
        RuntimeError: `on_equity` or `on_position_closed` before the first `on_new_session`.
    """

    def __init__(self, params: RiskParameters) -> None:
        self._params = params
        self._session: date | None = None
        self._high_water_mark = 0.0
        self._day_start_value = 0.0
        self._net_liq = 0.0
        self._last_update: datetime | None = None
        self._losing_streak = 0
        self._daily_loss_hit = False
        self._streak_hit = False
        self._pause_sessions_left = 0
        self._liquidation_armed = True
        self._liquidation_pending = False

    # --- updates ---------------------------------------------------------------------------------

    def on_new_session(self, day: date, net_liq: float) -> None:
        """Start session `day` with its starting net liquidation (USD).

        Raises:
            ValueError: `net_liq` not finite, or `day` not after the current session.
        """
        value = _finite(net_liq, "net_liq")
        if self._session is not None and day <= self._session:
            raise ValueError(f"new session {day} must be after the current session {self._session}")
        self._session = day
        self._day_start_value = value
        self._net_liq = value
        self._losing_streak = 0
        self._daily_loss_hit = False
        self._streak_hit = False
        if self._pause_sessions_left > 0:
            self._pause_sessions_left -= 1
            if self._pause_sessions_left == 0:
                self._high_water_mark = value
                self._liquidation_armed = True
        self._high_water_mark = max(self._high_water_mark, value)

    def on_equity(self, time: datetime, net_liq: float) -> None:
        """Record a net liquidation value (USD) at `time`; may trip the daily loss or liquidation.

        Raises:
            ValueError: `net_liq` not finite or `time` earlier than the previous update.
            RuntimeError: no session started yet.
        """
        value = _finite(net_liq, "net_liq")
        self._require_session()
        if self._last_update is not None and time < self._last_update:
            raise ValueError(f"equity update at {time} is earlier than the previous one at {self._last_update}")
        self._last_update = time
        self._net_liq = value
        self._high_water_mark = max(self._high_water_mark, value)
        if reached(self.daily_loss, self._params.daily_loss_limit):
            self._daily_loss_hit = True
        if self._liquidation_armed and reached(self.drawdown, self._params.drawdown_liquidate):
            self._liquidation_armed = False
            self._liquidation_pending = True
            # this session plus the configured number of following sessions
            self._pause_sessions_left = self._params.drawdown_pause_sessions + 1

    def on_position_closed(self, pnl: float) -> None:
        """Count a closed position's P&L (USD) in the losing streak.

        Raises:
            ValueError: `pnl` not finite.
            RuntimeError: no session started yet.
        """
        value = _finite(pnl, "pnl")
        self._require_session()
        self._losing_streak = self._losing_streak + 1 if value < 0 else 0
        if self._losing_streak >= self._params.max_consecutive_losses:
            self._streak_hit = True

    def _require_session(self) -> None:
        if self._session is None:
            raise RuntimeError("BreakerState: call on_new_session before any other update")

    # --- answers ---------------------------------------------------------------------------------

    @property
    def session(self) -> date | None:
        """The current session's day (None before the first `on_new_session`)."""
        return self._session

    @property
    def high_water_mark(self) -> float:
        return self._high_water_mark

    @property
    def day_start_value(self) -> float:
        """Net liquidation at the start of the current session (USD)."""
        return self._day_start_value

    @property
    def drawdown(self) -> float:
        """Current drawdown from the high-water mark, a positive fraction (0 when at the peak)."""
        return fraction_below(self._net_liq, self._high_water_mark)

    @property
    def daily_loss(self) -> float:
        """Current loss from the session's starting value, a positive fraction (0 when up)."""
        return fraction_below(self._net_liq, self._day_start_value)

    @property
    def losing_streak(self) -> int:
        """Losing closes in a row in the current session."""
        return self._losing_streak

    @property
    def pause_sessions_remaining(self) -> int:
        """Sessions, counting the current one, in which new entries stay paused after a liquidation."""
        return self._pause_sessions_left

    @property
    def liquidation_pending(self) -> bool:
        """Whether a liquidation was triggered and not yet taken by `liquidation_required`."""
        return self._liquidation_pending

    def size_multiplier(self) -> float:
        """0.5 from the halving drawdown tier on, else 1.0 (the sizer multiplies new sizes by it)."""
        return 0.5 if reached(self.drawdown, self._params.drawdown_halve) else 1.0

    def new_entries_allowed(self) -> tuple[bool, str]:
        """(allowed, reason): reason is "ok" or the risk gate's code "entries_paused",
        "drawdown_stop", "daily_loss" or "losing_streak"."""
        if self._pause_sessions_left > 0:
            return False, "entries_paused"
        if reached(self.drawdown, self._params.drawdown_stop):
            return False, "drawdown_stop"
        if self._daily_loss_hit or reached(self.daily_loss, self._params.daily_loss_limit):
            return False, "daily_loss"
        if self._streak_hit:
            return False, "losing_streak"
        return True, "ok"

    def liquidation_required(self) -> bool:
        """True exactly once after the liquidation drawdown is crossed (this call consumes it).

        It re-arms only when the pause has ended and the high-water mark has restarted.
        """
        pending = self._liquidation_pending
        self._liquidation_pending = False
        return pending

    # --- persistence -----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state (parameters are configuration and are not stored)."""
        return {
            "schema": BREAKER_SCHEMA_VERSION,
            "session": self._session.isoformat() if self._session else None,
            "high_water_mark": self._high_water_mark, "day_start_value": self._day_start_value,
            "net_liq": self._net_liq,
            "last_update": self._last_update.isoformat() if self._last_update else None,
            "losing_streak": self._losing_streak, "daily_loss_hit": self._daily_loss_hit,
            "streak_hit": self._streak_hit, "pause_sessions_left": self._pause_sessions_left,
            "liquidation_armed": self._liquidation_armed, "liquidation_pending": self._liquidation_pending,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], params: RiskParameters) -> BreakerState:
        """Restore a state saved by `to_dict` under the current parameters.

        Raises:
            ValueError: unknown schema version or missing/invalid fields.
        """
        if data.get("schema") != BREAKER_SCHEMA_VERSION:
            raise ValueError(f"breaker state has schema {data.get('schema')!r}, expected {BREAKER_SCHEMA_VERSION}")
        state = cls(params)
        try:
            session, last_update = data["session"], data["last_update"]
            state._session = date.fromisoformat(session) if session else None
            state._last_update = datetime.fromisoformat(last_update) if last_update else None
            state._high_water_mark = _finite(data["high_water_mark"], "high_water_mark")
            state._day_start_value = _finite(data["day_start_value"], "day_start_value")
            state._net_liq = _finite(data["net_liq"], "net_liq")
            state._losing_streak = int(data["losing_streak"])
            state._daily_loss_hit = bool(data["daily_loss_hit"])
            state._streak_hit = bool(data["streak_hit"])
            state._pause_sessions_left = int(data["pause_sessions_left"])
            state._liquidation_armed = bool(data["liquidation_armed"])
            state._liquidation_pending = bool(data["liquidation_pending"])
        except KeyError as exc:
            raise ValueError(f"breaker state is missing field {exc.args[0]!r}") from None
        return state
