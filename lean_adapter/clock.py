"""LEAN times -> the core's timezone-aware US/Eastern datetimes.

Two kinds of LEAN time exist. The algorithm clock (`self.time`) is naive in the algorithm's time
zone, which main.py sets to New York. Data time stamps (`get_last_data().end_time`, bar times)
are naive in the security's *exchange* time zone (`security.exchange.time_zone`): LEAN converts
every bar from its data zone into the exchange zone when it reads it, and the engine turns
`EndTime` into UTC with the exchange zone. In LEAN's market-hours database VIX, SPX and the SPX
options are America/Chicago, equities and their options America/New_York, and the CME, NYMEX and
COMEX futures America/New_York.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from helpers.exchange_calendar import EASTERN


def to_eastern(moment: datetime) -> datetime:
    """An algorithm-clock time (naive New York) as aware US/Eastern; an aware time is converted."""
    return moment.replace(tzinfo=EASTERN) if moment.tzinfo is None else moment.astimezone(EASTERN)


def exchange_to_eastern(moment: datetime, exchange_zone: Any) -> datetime:
    """A data time stamp, naive in the exchange time zone `exchange_zone` (LEAN's NodaTime zone,
    whose text is its IANA id, or that id itself), as aware US/Eastern."""
    return moment.replace(tzinfo=ZoneInfo(str(exchange_zone))).astimezone(EASTERN)
