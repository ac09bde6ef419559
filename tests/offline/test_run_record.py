"""The data files listed in every run's record, with their earliest and latest dates."""
from __future__ import annotations

import gzip
from pathlib import Path

from offline.replay.run_record import data_files


def test_files_are_listed_with_their_earliest_and_latest_dates(tmp_path: Path) -> None:
    (tmp_path / "daily").mkdir()
    (tmp_path / "intraday").mkdir()
    (tmp_path / "daily" / "SPY.csv").write_text("date,open\n2015-01-02,1\n2025-01-31,2\n")
    # dividends are sorted by ticker, not by date
    (tmp_path / "daily" / "ETF_dividends_derived.csv").write_text(
        "ticker,ex_date,dividend\nIWM,2015-03-25,0.3\nSPY,2015-01-20,1.1\nTLT,2024-12-18,0.3\n")
    with gzip.open(tmp_path / "intraday" / "SPY_1min.csv.gz", "wt") as handle:
        handle.write("ts_et,open\n2024-03-26 09:30,1\n2024-03-27 15:59,2\n")
    (tmp_path / "daily" / "notes.csv").write_text("name,value\na,1\n")
    assert data_files(tmp_path) == [
        {"file": "daily/ETF_dividends_derived.csv", "first": "2015-01-20", "last": "2024-12-18"},
        {"file": "daily/SPY.csv", "first": "2015-01-02", "last": "2025-01-31"},
        {"file": "daily/notes.csv", "first": None, "last": None},
        {"file": "intraday/SPY_1min.csv.gz", "first": "2024-03-26", "last": "2024-03-27"},
    ]
