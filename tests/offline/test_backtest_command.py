"""`tomking backtest` as a new user meets it: every output says what ran, a window past the data
warns, a missing file stops naming it (or runs without it with --allow-missing), options are
checked with their own names, a one-day window runs, and Ctrl-C stops cleanly and resumes."""
from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import pytest

from config.loader import load_config
from offline.commands import backtest as backtest_command
from offline.commands.cli import main
from offline.market.data_requirements import missing_data, required_files
from offline.replay.restart import CHECKPOINT_FILE


def _summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def test_the_outputs_say_what_ran(shared_data: Path, tmp_path: Path, capsys) -> None:
    argv = ["backtest", "--data", str(shared_data), "--start", "2024-08-01", "--end", "2024-08-09",
            "--cash", "50000", "--set", "lt112_profit_target=0.6", "--set", "zero_dte_vix_min=23",
            "--out", str(tmp_path), "--quiet"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "zero_dte_vix_min is now called friday_0dte_vix_min" in captured.err
    assert "parameters changed: backtest_start=2024-08-01, backtest_end=2024-08-09, backtest_cash=50000.0" in captured.out
    summary = _summary(tmp_path)
    changed = {"backtest_start": "2024-08-01", "backtest_end": "2024-08-09", "backtest_cash": 50000.0,
               "friday_0dte_vix_min": 23.0, "lt112_profit_target": 0.6}
    assert summary["parameters_changed"] == changed
    run = summary["run"]
    assert run["parameters_changed"] == changed
    assert run["command"] == "tomking " + " ".join(argv)
    assert run["version"] == "0.1.0"
    assert run["window_ran"] == {"first_session": "2024-08-01", "last_session": "2024-08-09", "sessions": 7}
    assert run["coverage_warnings"] == []
    files = {f["file"]: (f["first"], f["last"]) for f in run["data_files"]}
    assert files["daily/SPY.csv"] == ("2015-01-02", "2025-01-31")
    assert files["rates/DGS3MO_daily.csv"] == ("2015-01-02", "2025-01-31")
    assert files["intraday/SPY_1min_rth_2024-03-26_2025-01-31.csv.gz"] == ("2024-03-26", "2025-01-31")
    report = (tmp_path / "report.html").read_text()
    assert "lt112_profit_target" in report and "tomking backtest --data" in report


def test_a_window_past_the_data_warns_everywhere_and_reports_what_ran(shared_data, tmp_path, capsys) -> None:
    assert main(["backtest", "--data", str(shared_data), "--start", "2025-01-27", "--end", "2025-03-31",
                 "--out", str(tmp_path), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "backtest 2025-01-27..2025-01-31 (5 sessions)" in captured.out
    warning = ("the window 2025-01-27..2025-03-31 ends after the data: daily/SPY.csv ends 2025-01-31, so the run "
               "covers 2025-01-27..2025-01-31 (5 sessions; 40 asked-for sessions have no data)")
    assert f"warning: {warning}" in captured.err
    assert _summary(tmp_path)["run"]["coverage_warnings"] == [warning]
    assert "ends after the data" in (tmp_path / "report.html").read_text()


@pytest.fixture(scope="module")
def without_es(shared_data: Path, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("no_es") / "data"
    for folder in ("daily", "rates", "intraday"):
        shutil.copytree(shared_data / folder, root / folder)
    (root / "daily" / "ES_front_month.csv").unlink()
    return root


def test_a_missing_file_stops_the_run_naming_it(without_es: Path, tmp_path: Path, capsys) -> None:
    assert main(["backtest", "--data", str(without_es), "--start", "2024-08-01", "--end", "2024-08-02",
                 "--out", str(tmp_path), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert "daily/ES_front_month.csv is missing (lt112 and futures_strangle need it)" in error
    assert "--allow-missing" in error and not (tmp_path / "summary.json").exists()


def test_allow_missing_runs_without_the_strategies_and_says_so(without_es: Path, tmp_path: Path, capsys) -> None:
    assert main(["backtest", "--data", str(without_es), "--start", "2024-08-01", "--end", "2024-08-02",
                 "--out", str(tmp_path), "--quiet", "--allow-missing"]) == 0
    off = [("lt112 trades without the products of daily/ES_front_month.csv (missing from the data folder): "
           "lt112_products=SPY"),
           ("futures_strangle trades without the products of daily/ES_front_month.csv (missing from the data "
           "folder): futures_strangle_products=MCL,MGC")]
    err = capsys.readouterr().err
    assert all(f"warning: {line}" in err for line in off)
    summary = _summary(tmp_path)
    assert summary["run"]["strategies_without_data"] == off
    assert summary["parameters_changed"]["lt112_products"] == "SPY"
    assert summary["parameters_changed"]["futures_strangle_products"] == "MCL,MGC"
    assert off[0] in (tmp_path / "report.html").read_text()
    journal = [json.loads(line) for line in (tmp_path / "journal.jsonl").read_text().splitlines()]
    assert [(r["time"], r["strategy"], r["message"]) for r in journal[:2]] == [
        ("2024-08-01T09:30:00-04:00", "lt112", off[0]), ("2024-08-01T09:30:00-04:00", "futures_strangle", off[1])]


def test_the_files_each_strategy_needs():
    needs = required_files(load_config())
    assert needs["lt112"] == ("daily/ES_front_month.csv",)
    assert needs["futures_strangle"] == ("daily/ES_front_month.csv", "daily/CL_front_month.csv",
                                         "daily/GC_front_month.csv")
    assert needs["weekly_butterfly"] == needs["box_spread"] == ("daily/SPX_index.csv.gz",)
    assert needs["friday_0dte"] == needs["vix_spike"] == ()
    assert "lt112" not in required_files(load_config({"lt112_enabled": "false"}))


def test_a_strategy_without_any_of_its_products_is_switched_off(tmp_path: Path) -> None:
    (tmp_path / "daily").mkdir()
    (tmp_path / "daily" / "SPX_index.csv.gz").write_text("date\n")
    missing = {item.strategy: item for item in missing_data(load_config({"lt112_products": "MES,ES"}), tmp_path)}
    assert missing["lt112"].overrides == {"lt112_enabled": "false"}
    assert missing["lt112"].message() == "lt112 switched off: daily/ES_front_month.csv missing from the data folder"


def test_a_missing_later_strangle_product_keeps_the_strategy_with_the_others(tmp_path: Path) -> None:
    (tmp_path / "daily").mkdir()
    for name in ("ES_front_month.csv", "CL_front_month.csv", "SPX_index.csv.gz"):
        (tmp_path / "daily" / name).write_text("date\n")
    [item] = missing_data(load_config(), tmp_path)
    assert item.strategy == "futures_strangle" and item.files == ("daily/GC_front_month.csv",)
    assert item.overrides == {"futures_strangle_products": "MES,MCL"}


@pytest.mark.parametrize(("argv", "message"), [
    (["backtest", "--start", "01/02/2024"], "--start '01/02/2024' is not a date YYYY-MM-DD, e.g. 2024-01-02"),
    (["backtest", "--end", "2024-02-30"], ("--end '2024-02-30' is not a date YYYY-MM-DD, e.g. 2024-01-02 "
                                          "(day is out of range for month)")),
    (["backtest", "--start", "2024-08-06", "--end", "2024-08-05"],
     "the first day 2024-08-06 (backtest_start, --start) is after the last day 2024-08-05 (backtest_end, --end)"),
    (["chain", "--data", ".", "--date", "2024-02-30", "--out", "x.csv"], "--date '2024-02-30' is not a date"),
    (["backtest", "--set", "friday_0dte_enable=false"],
     "unknown parameter 'friday_0dte_enable'; did you mean friday_0dte_enabled"),
    (["backtest", "--data", "no/such/folder"], "--data 'no/such/folder' is not a folder"),
    (["backtest", "--cash", "lots"], "--cash 'lots' is not an amount in USD, e.g. 30000"),
    (["sweep", "--data", ".", "--out", "x", "--grid", "lt112_profit_target=0.5", "--start", "2024/01/02"],
     "--start '2024/01/02' is not a date YYYY-MM-DD"),
])
def test_option_errors_name_the_option_and_its_format(argv, message, capsys) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_products_are_taken_as_traders_write_them():
    config = load_config({"lt112_products": "/MES,SPY", "futures_strangle_products": "/mes, /MCL"})
    assert config.lt112.products == "MES,SPY" and config.futures_strangle.products == "MES,MCL"


def test_a_one_day_window_runs(shared_data: Path, tmp_path: Path, capsys) -> None:
    assert main(["backtest", "--data", str(shared_data), "--start", "2024-08-05", "--end", "2024-08-05",
                 "--out", str(tmp_path), "--quiet"]) == 0
    assert "backtest 2024-08-05..2024-08-05 (1 sessions)" in capsys.readouterr().out
    assert _summary(tmp_path)["run"]["window_ran"]["sessions"] == 1


def test_the_chain_command_takes_mes_with_or_without_the_slash(shared_data: Path, tmp_path: Path) -> None:
    assert main(["chain", "--data", str(shared_data), "--date", "2024-08-05", "--product", "/MES",
                 "--out", str(tmp_path / "slash.csv")]) == 0
    assert main(["chain", "--data", str(shared_data), "--date", "2024-08-05", "--product", "MES",
                 "--out", str(tmp_path / "plain.csv")]) == 0
    assert (tmp_path / "slash.csv").read_bytes() == (tmp_path / "plain.csv").read_bytes()
    assert len((tmp_path / "plain.csv").read_text().splitlines()) > 100


def test_ctrl_c_saves_the_state_and_resume_finishes_the_same_run(shared_data, tmp_path, capsys, monkeypatch):
    window = ["--data", str(shared_data), "--start", "2024-08-01", "--end", "2024-08-09"]
    assert main(["backtest", *window, "--out", str(tmp_path / "whole"), "--quiet"]) == 0
    handler_before = signal.getsignal(signal.SIGINT)

    def press_ctrl_c_after_the_third_session(done: int, total: int, day, elapsed: float) -> None:
        if done == 3:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(backtest_command, "progress_bar", press_ctrl_c_after_the_third_session)
    stopped = tmp_path / "stopped"
    assert main(["backtest", *window, "--out", str(stopped)]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert "Ctrl-C: stopping after this session and saving the state" in captured.err
    assert "stopped before 2024-08-06 09:30" in captured.out
    assert "finish the run with: .venv/bin/tomking backtest --resume" in captured.out
    assert (stopped / CHECKPOINT_FILE).is_file() and not (stopped / "summary.json").exists()
    assert signal.getsignal(signal.SIGINT) == handler_before  # the run's Ctrl-C handler is put back
    assert main(["backtest", "--resume", str(stopped), "--quiet"]) == 0
    for name in ("trades.csv", "equity.csv", "journal.jsonl"):
        assert (stopped / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name
