"""LEAN times -> the core's timezone-aware US/Eastern datetimes."""
from __future__ import annotations

from datetime import datetime

from helpers.exchange_calendar import EASTERN


def to_eastern(moment: datetime) -> datetime:
    """LEAN times are naive in the algorithm's time zone, which main.py sets to New York; an aware
    time is converted."""
    return moment.replace(tzinfo=EASTERN) if moment.tzinfo is None else moment.astimezone(EASTERN)
