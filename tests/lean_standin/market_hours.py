"""LEAN's market-hours database, cut to the entries the algorithm subscribes (data, not code).

Each row is copied from `Lean:Data/market-hours/market-hours-database.json` at the line given
(QuantConnect/Lean 24863901): the data time zone (the zone of the times written in the data
files), the exchange time zone (the zone of `Time`/`EndTime` of every bar the algorithm sees
and of `security.exchange.time_zone`) and the regular "market" segment in exchange time.
Holidays and early closes of these US entries are the NYSE's (the database lists them per
entry); `helpers.exchange_calendar` holds the same list and is tested against the real sessions.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from helpers.exchange_calendar import is_nyse_session, session_open_close


@dataclass(frozen=True)
class MarketHoursEntry:
    key: str  # the database key: SecurityType-market-ticker
    line: int  # line of the key in the database file
    data_time_zone: str
    exchange_time_zone: str
    market_open: time  # regular "market" segment, exchange time
    market_close: time


ENTRIES = {
    "Equity-usa-[*]": MarketHoursEntry("Equity-usa-[*]", 3, "America/New_York", "America/New_York",
                                       time(9, 30), time(16, 0)),
    "Option-usa-[*]": MarketHoursEntry("Option-usa-[*]", 79777, "America/New_York", "America/New_York",
                                       time(9, 30), time(16, 0)),
    "Index-usa-[*]": MarketHoursEntry("Index-usa-[*]", 98222, "America/Chicago", "America/Chicago",
                                      time(8, 30), time(15, 20)),
    "Index-usa-VIX": MarketHoursEntry("Index-usa-VIX", 99090, "America/Chicago", "America/Chicago",
                                      time(8, 30), time(15, 15)),
    "Index-usa-SPX": MarketHoursEntry("Index-usa-SPX", 99226, "America/Chicago", "America/Chicago",
                                      time(8, 30), time(15, 15)),
    "IndexOption-usa-[*]": MarketHoursEntry("IndexOption-usa-[*]", 103768, "America/New_York", "America/Chicago",
                                            time(8, 30), time(15, 20)),
    "Future-cme-ES": MarketHoursEntry("Future-cme-ES", 67967, "UTC", "America/New_York", time(9, 30), time(17, 0)),
}


def entry_for(security_type: str, market: str, ticker: str) -> MarketHoursEntry:
    """The ticker's own entry, else the market's wildcard `[*]` (how the database is read:
    `Lean:Common/Securities/MarketHoursDatabase.cs`, TryGetEntry falls back to the wildcard)."""
    own = ENTRIES.get(f"{security_type}-{market}-{ticker.upper()}")
    if own is not None:
        return own
    wildcard = ENTRIES.get(f"{security_type}-{market}-[*]")
    if wildcard is None:
        raise KeyError(f"no market-hours entry for {security_type}-{market}-{ticker} in this table")
    return wildcard


def data_to_exchange(moment: datetime, entry: MarketHoursEntry) -> datetime:
    """A naive file time (data zone) as the naive exchange-zone time LEAN gives the bar:
    `Lean:Common/Data/Market/TradeBar.cs:644` (`ConvertTo(config.DataTimeZone, config.ExchangeTimeZone)`)."""
    aware = moment.replace(tzinfo=ZoneInfo(entry.data_time_zone))
    return aware.astimezone(ZoneInfo(entry.exchange_time_zone)).replace(tzinfo=None)


def exchange_to_zone(moment: datetime, entry: MarketHoursEntry, zone: str) -> datetime:
    """A naive exchange-zone time as a naive time in `zone` (the algorithm's zone, or UTC)."""
    aware = moment.replace(tzinfo=ZoneInfo(entry.exchange_time_zone))
    return aware.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def is_date_open(day: date) -> bool:
    """A trading date of these US entries (`SecurityExchangeHours.IsDateOpen`)."""
    return is_nyse_session(day)


def market_close(day: date) -> datetime:
    """The regular close of `day` (naive New York time) for the New York entries: 16:00, 13:00 on
    the NYSE's early closes (the database's `earlyCloses`)."""
    return session_open_close(day)[1].replace(tzinfo=None)
