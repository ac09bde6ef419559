"""Live notifications (rate-limited) and the journal's route to LEAN's log (deduplicated).

QuantConnect limits log volume and notification counts, so:
- `JournalRelay` writes each journal record to the log once per session day per (kind, strategy,
  message): a denial repeated every minute of a window is logged once;
- `Notifier` sends at most `max_per_hour` messages in any rolling hour, and the next message that
  goes out says how many were held back. Fills, entries, exits, regime and phase changes and
  errors are notified in live mode only; backtests never notify.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

NOTIFY_KINDS = frozenset({"entry", "exit", "fill", "regime_change", "phase_change", "error", "assignment"})
WINDOW = timedelta(hours=1)


class Notifier:
    """Sends through `send(subject, body)` at most `max_per_hour` times per rolling hour.

    Raises:
        ValueError: `max_per_hour` is not a positive integer.
    """

    def __init__(self, send: Callable[[str, str], None], max_per_hour: int) -> None:
        if isinstance(max_per_hour, bool) or not isinstance(max_per_hour, int) or max_per_hour < 1:
            raise ValueError(f"notifications per hour must be a positive integer, got {max_per_hour!r}")
        self._send = send
        self._max = max_per_hour
        self._sent: deque[datetime] = deque()
        self.suppressed = 0

    def notify(self, now: datetime, subject: str, body: str) -> bool:
        """Send unless the hourly budget is spent (then count it as suppressed); True when sent."""
        while self._sent and now - self._sent[0] >= WINDOW:
            self._sent.popleft()
        if len(self._sent) >= self._max:
            self.suppressed += 1
            return False
        if self.suppressed:
            body = f"{body}\n({self.suppressed} earlier notifications were held back by the rate limit)"
            self.suppressed = 0
        self._sent.append(now)
        self._send(subject, body)
        return True


def format_record(record: dict[str, Any]) -> str:
    """One journal record as one log line: kind, strategy, message, then the extra fields."""
    extras = {k: v for k, v in record.items() if k not in ("time", "kind", "strategy", "message")}
    detail = " ".join(f"{k}={v}" for k, v in extras.items())
    who = f" [{record['strategy']}]" if record.get("strategy") else ""
    return f"{record['kind']}{who}: {record['message']}" + (f" | {detail}" if detail else "")


class JournalRelay:
    """The journal's sink in LEAN: deduplicated log lines, and notifications when a notifier is set."""

    def __init__(self, log: Callable[[str], None], notifier: Notifier | None) -> None:
        self._log = log
        self._notifier = notifier
        self._day: date | None = None
        self._seen: set[tuple[str, str, str]] = set()
        self.logged = 0

    def __call__(self, record: dict[str, Any]) -> None:
        moment = datetime.fromisoformat(record["time"])
        if moment.date() != self._day:
            self._day, self._seen = moment.date(), set()
        key = (record["kind"], record.get("strategy") or "", record["message"])
        if key not in self._seen:
            self._seen.add(key)
            self._log(format_record(record))
            self.logged += 1
        if self._notifier is not None and record["kind"] in NOTIFY_KINDS:
            subject = f"Tom King framework: {record['kind']}" + (f" {record['strategy']}" if record.get("strategy") else "")
            self._notifier.notify(moment, subject, format_record(record))
