"""Trade log rows and trades.csv."""
from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta, timezone

import pytest

from config.constants import Regime
from core.types import Contract, ContractKind, Leg
from reporting.trade_log import (
    TRADE_COLUMNS,
    check_trade_rows,
    format_legs,
    trade_row,
    trades_csv_text,
    write_trades_csv,
)

EASTERN = timezone(timedelta(hours=-4))
EXPIRY = date(2024, 8, 16)
PUT_SPREAD = (Leg(Contract("SPY", ContractKind.OPTION, EXPIRY, 500.0, "put"), -1),
              Leg(Contract("SPY", ContractKind.OPTION, EXPIRY, 495.0, "put"), 1))


def _row(**overrides) -> dict:
    arguments = {"strategy": "lt112", "position_id": "lt112-0001", "legs": PUT_SPREAD, "quantity": 2,
                 "entry_time": datetime(2024, 8, 1, 10, 0, tzinfo=EASTERN),
                 "exit_time": datetime(2024, 8, 7, 16, 0, tzinfo=EASTERN), "entry_price": -1.20,
                 "exit_price": -0.40, "gross_pnl": 160.0, "fees": 5.24, "regime": Regime.NORMAL, "phase": 1,
                 "exit_reason": "profit_target"}
    arguments.update(overrides)
    return trade_row(**arguments)


def test_row_has_every_column_in_order_and_net_pnl() -> None:
    row = _row()
    assert tuple(row) == TRADE_COLUMNS
    assert row["legs"] == "-1 SPY 2024-08-16 P 500 | +1 SPY 2024-08-16 P 495"
    assert row["product"] == "SPY"
    assert row["pnl"] == pytest.approx(154.76)
    assert row["holding_days"] == 6.25
    assert row["entry_time"] == "2024-08-01T10:00:00-04:00"
    assert row["regime"] == "NORMAL" and row["phase"] == 1
    json.dumps(row, allow_nan=False)


def test_product_from_several_roots_or_given() -> None:
    strangle = (Leg(Contract("MES", ContractKind.OPTION, EXPIRY, 4800.0, "call"), -1),
                Leg(Contract("ES", ContractKind.OPTION, EXPIRY, 4000.0, "put"), -1))
    assert _row(legs=strangle)["product"] == "ES+MES"
    assert _row(product="/MES")["product"] == "/MES"
    assert format_legs(strangle[:1]) == "-1 MES 2024-08-16 C 4800"


@pytest.mark.parametrize(("overrides", "error", "pattern"), [
    ({"exit_time": datetime(2024, 7, 31, tzinfo=EASTERN)}, ValueError, "before entry_time"),
    ({"fees": -1.0}, ValueError, "fees"),
    ({"gross_pnl": float("nan")}, ValueError, "gross_pnl"),
    ({"entry_price": float("inf")}, ValueError, "entry_price"),
    ({"regime": "PANIC"}, ValueError, "regime"),
    ({"phase": 5}, ValueError, "phase"),
    ({"quantity": 0}, ValueError, "quantity"),
    ({"legs": ()}, ValueError, "legs"),
    ({"legs": ("SPY put",)}, TypeError, "Leg"),
    ({"strategy": ""}, ValueError, "strategy"),
    ({"exit_reason": ""}, ValueError, "exit_reason"),
    ({"entry_time": "2024-08-01"}, TypeError, "datetime"),
])
def test_bad_input_is_named(overrides: dict, error: type, pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        _row(**overrides)


def test_csv_text_round_trips_and_writes(tmp_path) -> None:
    rows = [_row(), _row(position_id="lt112-0002", gross_pnl=-300.0, fees=5.24, exit_reason="stop, 2x credit")]
    text = trades_csv_text(rows)
    assert text.splitlines()[0] == ",".join(TRADE_COLUMNS)
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert [r["position_id"] for r in parsed] == ["lt112-0001", "lt112-0002"]
    assert float(parsed[1]["pnl"]) == pytest.approx(-305.24)
    assert parsed[1]["exit_reason"] == "stop, 2x credit"
    path = write_trades_csv(rows, tmp_path / "trades.csv")
    assert path.read_bytes() == text.encode("utf-8")
    assert b"\r" not in path.read_bytes()
    assert trades_csv_text([]) == ",".join(TRADE_COLUMNS) + "\n"


def test_rows_must_have_exactly_the_columns() -> None:
    row = _row()
    del row["fees"]
    with pytest.raises(ValueError, match="trade row 0: missing columns \\['fees'\\]"):
        check_trade_rows([row])
    with pytest.raises(ValueError, match="unexpected columns \\['note'\\]"):
        trades_csv_text([{**_row(), "note": "x"}])
