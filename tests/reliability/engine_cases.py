"""Bad-input cases at the offline engine's boundary: market data files, the simulated broker, the
runner's calendar, saved state and the command line. See tests/reliability/catalogue.py.

File cases corrupt a copy of the run's SYNTHETIC sample market (CaseContext.sample_market) and
expect the loader to refuse it before any session runs (so no order can follow), with a
MarketDataError naming the file, the line and the problem.
"""
from __future__ import annotations

import contextlib
import gzip
import io
import json
import shutil
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from config.loader import load_config
from core.types import Contract, ContractKind, Leg, OrderEvent, OrderIntent, OrderStatus, Purpose, Quote
from helpers.exchange_calendar import EASTERN
from offline.broker.faults import BrokerFaults
from offline.broker.simulated_broker import SimulatedBroker
from offline.commands.cli import main
from offline.market.data_files import MarketDataError
from offline.market.market_data import load_market_data
from offline.replay.restart import (
    CHECKPOINT_FILE,
    CHECKPOINT_SCHEMA,
    STATE_FOLDER,
    RunSettings,
    build_runner,
    resume_runner,
    save_checkpoint,
)
from offline.replay.runner import BacktestRunner, RunResult
from tests.reliability.case import SAMPLE_WINDOW, CaseContext, CaseFailed, ReliabilityCase, expect

Mutation = Callable[[Path], None]


# --- data files ---------------------------------------------------------------------------------


def _read_lines(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as handle:
        return handle.read().splitlines()


def _write_lines(path: Path, lines: list[str]) -> None:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt") as handle:
        handle.write("\n".join(lines) + "\n")


def _set_field(name: str, line: int, column: str, value: str) -> Mutation:
    def mutate(root: Path) -> None:
        path = root / name
        lines = _read_lines(path)
        header, fields = lines[0].split(","), lines[line - 1].split(",")
        fields[header.index(column)] = value
        lines[line - 1] = ",".join(fields)
        _write_lines(path, lines)
    return mutate


def _edit_lines(name: str, change: Callable[[list[str]], list[str]]) -> Mutation:
    def mutate(root: Path) -> None:
        _write_lines(root / name, change(_read_lines(root / name)))
    return mutate


def _minute_file(root: Path) -> str:
    return str(next((root / "intraday").glob("*.csv.gz")).relative_to(root))


VALUE_WORDS = ("is not a finite number", "must be > 0", "VIX must lie in")  # impossible values, not structure


def _load_refused(mutate: Mutation, file: str | None, line: int | None, words: str) -> Callable[[CaseContext], str]:
    """Structural problems stop the load; an impossible value is a data issue (the run goes on)
    and stops only a strict load (--strict-data)."""
    def check(context: CaseContext) -> str:
        folder = context.scratch / f"data-{abs(hash((file, line, words)))}"
        shutil.rmtree(folder, ignore_errors=True)
        root = Path(shutil.copytree(context.sample_market(), folder))
        target = file or _minute_file(root)
        mutate(root)
        value_problem = any(w in words for w in VALUE_WORDS)
        if value_problem:
            issues = load_market_data(root, *SAMPLE_WINDOW).data_issues
            expect([(i.file, i.line) for i in issues] == [(target, line)], f"data issues {issues} do not name "
                                                                           f"{target} line {line} alone")
            expect(words in issues[0].problem, f"the issue {issues[0].problem!r} does not say {words!r}")
        try:
            load_market_data(root, *SAMPLE_WINDOW, strict=True)
        except MarketDataError as error:
            expect(error.file == str(root / target), f"the error names {error.file}, not {target}")
            expect(error.row == line, f"the error names line {error.row}, not {line}")
            expect(words in error.problem, f"the problem {error.problem!r} does not say {words!r}")
            if value_problem:
                return f"a data issue (no new entries that day); --strict-data refuses it: {error.problem}"
            return f"refused before the run: {error.problem}"
        raise CaseFailed(f"{target} was accepted")
    return check


def _file_case(name: str, description: str, mutate: Mutation, file: str | None, line: int | None,
               words: str) -> ReliabilityCase:
    where = f"{file or 'the minute file'}" + (f" line {line}" if line else "")
    expected = (f"data_issues entry naming {where}: '{words}', no new entries that day; --strict-data: "
                f"MarketDataError" if any(w in words for w in VALUE_WORDS)
                else f"MarketDataError naming {where}: '{words}'; no session runs")
    return ReliabilityCase(name, "offline engine", description, expected, _load_refused(mutate, file, line, words))


FILE_CASES = [
    ("missing SPY file", "daily/SPY.csv deleted", lambda r: (r / "daily/SPY.csv").unlink(), "daily/SPY.csv", None,
     "missing"),
    ("missing VIX file", "daily/VIX_cboe.csv deleted", lambda r: (r / "daily/VIX_cboe.csv").unlink(),
     "daily/VIX_cboe.csv", None, "missing"),
    ("corrupted CSV row", "an extra field on line 6 of SPY.csv",
     _edit_lines("daily/SPY.csv", lambda ls: [*ls[:5], ls[5] + ",999", *ls[6:]]), "daily/SPY.csv", 6, "malformed CSV"),
    ("NaN price in a file", "QQQ high = NaN on line 9", _set_field("daily/QQQ.csv", 9, "high", "NaN"),
     "daily/QQQ.csv", 9, "'NaN' is not a finite number"),
    ("zero price in a file", "QQQ low = 0 on line 6", _set_field("daily/QQQ.csv", 6, "low", "0"), "daily/QQQ.csv", 6,
     "must be > 0"),
    ("negative price in a file", "SPY open = -5 on line 10", _set_field("daily/SPY.csv", 10, "open", "-5"),
     "daily/SPY.csv", 10, "must be > 0"),
    ("duplicate daily bar", "SPY line 8 repeated", _edit_lines("daily/SPY.csv", lambda ls: [*ls[:8], ls[7], *ls[8:]]),
     "daily/SPY.csv", 9, "duplicate"),
    ("out-of-order daily bars", "QQQ lines 11 and 12 swapped",
     _edit_lines("daily/QQQ.csv", lambda ls: [*ls[:10], ls[11], ls[10], *ls[12:]]), "daily/QQQ.csv", 12, "unsorted"),
    ("VIX out of range in a file", "VIX high = 412.5 on line 6", _set_field("daily/VIX_cboe.csv", 6, "high", "412.5"),
     "daily/VIX_cboe.csv", 6, "VIX must lie in"),
    ("unparsable date", "QQQ date 2024-13-45 on line 7", _set_field("daily/QQQ.csv", 7, "date", "2024-13-45"),
     "daily/QQQ.csv", 7, "does not match"),
    ("empty file", "QQQ.csv empty", lambda r: (r / "daily/QQQ.csv").write_text(""), "daily/QQQ.csv", None, "empty"),
    ("corrupted minute file", "the SPY minute file is not gzip",
     lambda r: (r / _minute_file(r)).write_text("ts_et,open\n"), None, None, "cannot be read"),
]


# --- runner: a missing VIX day, holidays, half days, daylight saving ----------------------------


def _run(context: CaseContext, start: str, end: str, data: Path | None = None) -> RunResult:
    config = load_config({"backtest_start": start, "backtest_end": end})
    market = load_market_data(data or context.sample_market(), start, end)
    folder = context.scratch / f"state-{start}-{end}-{abs(hash(str(data)))}"
    return BacktestRunner(config, market, folder).run()


def _records_on(result: RunResult, day: date) -> list[dict]:
    return [r for r in result.journal.records if r["time"].startswith(day.isoformat())]


def _missing_vix_day(context: CaseContext) -> str:
    day = date(2024, 11, 13)
    folder = context.scratch / "data-missing-vix"
    shutil.rmtree(folder, ignore_errors=True)
    root = Path(shutil.copytree(context.sample_market(), folder))
    _edit_lines("daily/VIX_cboe.csv", lambda ls: [x for x in ls if not x.startswith(day.isoformat())])(root)
    result = _run(context, "2024-11-11", "2024-11-15", root)
    expect(day in result.market.vix_missing_days, "the loader did not report the missing VIX day")
    records = _records_on(result, day)
    problems = [r for r in records if r["kind"] == "data_problem" and "VIX unusable" in r["message"]]
    opened = [r for r in records if r["kind"] == "order" and r["message"].startswith("open order")]
    expect(len(problems) == 1, f"{len(problems)} 'VIX unusable' records on {day} (1 expected)")
    expect(not opened, f"{len(opened)} opening orders on a day without VIX")
    return f"one record '{problems[0]['message']}', no opening order that day; run completes"


def _holiday(context: CaseContext) -> str:
    result = _run(context, "2024-11-25", "2024-12-03")
    thanksgiving = date(2024, 11, 28)
    expect(thanksgiving not in result.equity_dates, "a session ran on Thanksgiving")
    expect(not _records_on(result, thanksgiving), "journal records dated on Thanksgiving")
    return f"{len(result.equity_dates)} sessions, none on 2024-11-28, no record that day"


def _half_day(context: CaseContext) -> str:
    result = _run(context, "2024-11-25", "2024-12-03")
    day = date(2024, 11, 29)
    late = [r for r in _records_on(result, day) if r["time"][11:16] > "13:00"]
    expect(day in result.equity_dates, "no equity point for the half day")
    full = len(result.equity_dates) - 1
    expect(result.simulated_minutes == full * 390 + 210, f"{result.simulated_minutes} minutes simulated")
    expect(not late, f"{len(late)} records after the 13:00 close")
    return "2024-11-29 replayed 09:30-13:00 (210 minutes), closed at 13:00, nothing after"


def _daylight_saving(context: CaseContext) -> str:
    result = _run(context, "2024-10-30", "2024-11-06")
    times = [datetime.fromisoformat(r["time"]) for r in result.journal.records]
    before = {t.utcoffset() for t in times if t.date() < date(2024, 11, 3)}
    after = {t.utcoffset() for t in times if t.date() > date(2024, 11, 3)}
    expect(before <= {timedelta(hours=-4)} and after <= {timedelta(hours=-5)}, f"offsets {before} / {after}")
    outside = [t for t in times if not "09:30" <= t.strftime("%H:%M") <= "16:00"]
    expect(not outside, f"records outside regular hours: {outside[:3]}")
    expect(result.simulated_minutes == 390 * len(result.equity_dates), "a session lost or gained an hour")
    return f"sessions 09:30-16:00 local on both sides of 2024-11-03 (UTC-4 then UTC-5), {len(times)} records"


# --- the simulated broker -----------------------------------------------------------------------


def _broker_rejects(legs: tuple[Leg, ...], limit: float, words: str) -> Callable[[CaseContext], str]:
    def check(context: CaseContext) -> str:
        events: list[OrderEvent] = []
        broker = SimulatedBroker(30_000.0, lambda c, now: Quote(1.00, 1.10), lambda root, now: 500.0, events.append,
                                 lambda event: None)
        now = datetime(2024, 8, 9, 10, 30, tzinfo=EASTERN)
        broker.submit(OrderIntent("I1", "friday_0dte", Purpose.OPEN, legs, 1, limit, now, "reliability case"))
        broker.flush_events()
        expect([e.status for e in events] == [OrderStatus.REJECTED], f"events {[e.status.value for e in events]}")
        expect(words in events[0].message, f"rejection {events[0].message!r} does not say {words!r}")
        expect(not broker.holdings(), "the rejected order changed the holdings")
        return f"REJECTED: {events[0].message}"
    return check


def _settings_refused(build: Callable[[], object], words: str) -> Callable[[CaseContext], str]:
    def check(context: CaseContext) -> str:
        try:
            build()
        except (ValueError, TypeError) as error:
            expect(words in str(error), f"the error does not say {words!r}: {error}")
            return f"{type(error).__name__}: {error}"
        raise CaseFailed("the bad setting was accepted")
    return check


# --- saved state and the command line -----------------------------------------------------------


def _stopped_run(context: CaseContext, name: str) -> Path:
    folder = context.scratch / name
    shutil.rmtree(folder, ignore_errors=True)
    settings = RunSettings(str(context.sample_market()), {"backtest_start": "2024-11-11", "backtest_end": "2024-11-15"})
    runner = build_runner(settings, folder / STATE_FOLDER)
    runner.run(datetime(2024, 11, 13, 11, 0, tzinfo=EASTERN))
    save_checkpoint(runner, folder, settings)
    return folder


def _state_refused(name: str, damage: Callable[[Path], None], words: str) -> Callable[[CaseContext], str]:
    def check(context: CaseContext) -> str:
        folder = _stopped_run(context, name)
        damage(folder / CHECKPOINT_FILE)
        try:
            resume_runner(folder)
        except ValueError as error:
            expect(words in str(error), f"the error does not say {words!r}: {error}")
            return f"ValueError: {error}"
        raise CaseFailed("the damaged state was resumed")
    return check


def _cut_short(path: Path) -> None:
    path.write_text(path.read_text()[:-100])


def _older_schema(path: Path) -> None:
    document = json.loads(path.read_text())
    document["schema"] = 0
    path.write_text(json.dumps(document))


def _command_line(context: CaseContext) -> str:
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        code = main(["backtest", "--data", str(context.sample_market()), "--out", str(context.scratch / "cli"),
                     "--set", "risk_max_positionz=3"])
    message = errors.getvalue().strip()
    expect(code == 2 and "unknown parameter 'risk_max_positionz'" in message, f"exit {code}: {message!r}")
    return f"exit code 2, '{message}'"


def _option(strike: float, right: str, expiry: date) -> Contract:
    return Contract("SPY", ContractKind.OPTION, expiry, strike, right)


def engine_cases() -> list[ReliabilityCase]:
    """Every offline-engine case."""
    friday = date(2024, 8, 9)
    expired = (Leg(_option(520.0, "put", friday - timedelta(days=1)), -1),)
    mixed = (Leg(Contract("SPY", ContractKind.EQUITY), 100), Leg(_option(540.0, "call", friday), -1))
    spread = (Leg(_option(520.0, "put", friday), -1), Leg(_option(510.0, "put", friday), 1))
    return [
        *[_file_case(*row) for row in FILE_CASES],
        ReliabilityCase("missing VIX day", "offline engine", "no VIX row for session 2024-11-13",
                        "one 'VIX unusable' record that day, no opening order, the run completes", _missing_vix_day),
        ReliabilityCase("holiday", "offline engine", "window over Thanksgiving 2024-11-28",
                        "no session and no record on the holiday", _holiday),
        ReliabilityCase("half day", "offline engine", "the 2024-11-29 early close",
                        "210 minutes to a 13:00 close, nothing after it", _half_day),
        ReliabilityCase("daylight-saving change", "offline engine", "window over 2024-11-03 (UTC-4 -> UTC-5)",
                        "sessions 09:30-16:00 local on both sides, no hour lost or gained", _daylight_saving),
        ReliabilityCase("order on an expired contract", "offline engine", "a short put that expired yesterday",
                        "REJECTED by the broker, holdings unchanged", _broker_rejects(expired, -1.0, "has expired")),
        ReliabilityCase("wrong multipliers in one combo", "offline engine",
                        "100 shares (x1) and a call (x100) in one combo", "REJECTED by the broker, holdings unchanged",
                        _broker_rejects(mixed, 500.0, "different multipliers")),
        ReliabilityCase("zero limit price", "offline engine", "a spread at a net limit of 0.00",
                        "REJECTED by the broker, holdings unchanged",
                        _broker_rejects(spread, 0.0, "limit price must be finite and non-zero")),
        ReliabilityCase("out-of-range broker fault setting", "offline engine", "reject_probability=1.5",
                        "ValueError naming the setting",
                        _settings_refused(lambda: BrokerFaults(reject_probability=1.5), "reject_probability")),
        ReliabilityCase("non-finite starting cash", "offline engine", "SimulatedBroker(cash=NaN)",
                        "ValueError naming the cash",
                        _settings_refused(lambda: SimulatedBroker(float("nan"), lambda c, n: None, lambda r, n: None,
                                                                  print, print), "cash must be finite")),
        ReliabilityCase("corrupted saved state", "offline engine", "checkpoint.json cut short",
                        "ValueError 'is corrupted'; nothing resumed",
                        _state_refused("cut", _cut_short, "is corrupted")),
        ReliabilityCase("saved state of an older schema", "offline engine", "checkpoint.json with schema 0",
                        "ValueError naming both schema versions; nothing resumed",
                        _state_refused("old", _older_schema, f"has schema 0; this version reads schema {CHECKPOINT_SCHEMA}")),
        ReliabilityCase("unknown parameter on the command line", "offline engine", "--set risk_max_positionz=3",
                        "exit code 2 with the parameter named; no run", _command_line),
    ]
