"""`tomking backtest`: run (or resume) an offline backtest and write its outputs.

The console says what ran: the sessions that ran, coverage warnings, strategies run without their
data, parameters changed. Ctrl-C stops the run cleanly: the session under way finishes, the state
is saved as by `--stop-at` and one line says how to resume (during the writing of the outputs, they
are finished first); a second Ctrl-C stops at once without saving.
"""
from __future__ import annotations

import argparse
import shlex
import signal
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any, Self

from config.loader import deprecation_notes, load_config
from helpers.exchange_calendar import EASTERN
from offline.market.data_files import MarketDataError
from offline.market.data_requirements import missing_data, missing_data_error

DEFAULT_OUT = Path("results/seed")


class StopRequested(Exception):
    """Ctrl-C during a run: raised between two sessions, where the state can be saved."""


def parse_sets(pairs: list[str], option: str = "--set") -> dict[str, str]:
    """NAME=VALUE items -> {name: value}; ValueError naming the option for a malformed item."""
    overrides: dict[str, str] = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator or not name.strip():
            raise ValueError(f"{option} expects NAME=VALUE, got {pair!r}")
        overrides[name.strip()] = value.strip()
    return overrides


def parse_day(text: str, option: str) -> str:
    """A date option's text checked as YYYY-MM-DD; ValueError naming the option and the format."""
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError as error:
        detail = f" ({error})" if text.strip()[:4].isdigit() and text.strip()[4:5] == "-" else ""
        raise ValueError(f"{option} {text!r} is not a date YYYY-MM-DD, e.g. 2024-01-02{detail}") from None


def parse_cash(text: str) -> str:
    """A --cash value checked as a positive amount in USD ("30000", "30,000", "$30000")."""
    cleaned = text.strip().replace(",", "").removeprefix("$")
    try:
        if float(cleaned) > 0:
            return cleaned
    except ValueError:
        pass
    raise ValueError(f"--cash {text!r} is not an amount in USD, e.g. 30000")


def parse_stop(text: str | None) -> datetime | None:
    """A --stop-at value "YYYY-MM-DD HH:MM" as a US/Eastern datetime (None when not given)."""
    if text is None:
        return None
    try:
        parsed = datetime.strptime(text.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        raise ValueError(f"--stop-at {text!r} is not \"YYYY-MM-DD HH:MM\" (US/Eastern)") from None
    return parsed.replace(tzinfo=EASTERN)


def parse_faults(pairs: list[str]) -> Any:
    """BrokerFaults from repeated --fault name=value options (offline/broker/faults.py)."""
    from dataclasses import fields

    from offline.broker.faults import BrokerFaults

    known = {f.name: f.type for f in fields(BrokerFaults)}
    values: dict[str, Any] = {}
    for name, text in parse_sets(pairs, "--fault").items():
        if name not in known:
            raise ValueError(f"unknown broker fault {name!r}; known: {', '.join(sorted(known))}")
        default = getattr(BrokerFaults(), name)
        if isinstance(default, bool):
            if text.lower() not in ("true", "false", "1", "0"):
                raise ValueError(f"broker fault {name}={text!r} is not true/false")
            values[name] = text.lower() in ("true", "1")
        else:
            try:
                values[name] = type(default)(text)
            except ValueError:
                raise ValueError(f"broker fault {name}={text!r} is not {type(default).__name__}") from None
    return BrokerFaults(**values)


def progress_bar(done: int, total: int, day: Any, elapsed: float) -> None:
    """A progress bar redrawn in place on a terminal; one line per 10% in a log file."""
    width = 30
    filled = int(width * done / total)
    eta = elapsed / done * (total - done) if done else 0.0
    text = (f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} sessions  {day}  "
            f"elapsed {elapsed:5.1f}s  ETA {eta:5.1f}s")
    if sys.stderr.isatty():
        sys.stderr.write("\r" + text + ("\n" if done == total else ""))
    elif done == total or done * 10 // total != (done - 1) * 10 // total:
        sys.stderr.write(text + "\n")
    sys.stderr.flush()


class InterruptWatch:
    """While active, the first Ctrl-C asks the run to stop after the session under way (the
    progress hook raises StopRequested there); a second one raises KeyboardInterrupt at once."""

    def __init__(self, show_progress: bool) -> None:
        self.requested = False
        self.show_progress = show_progress
        self._previous: Any = None

    def __enter__(self) -> Self:
        self._previous = signal.signal(signal.SIGINT, self._on_signal)
        return self

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self._previous)

    def _on_signal(self, number: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        print("\nCtrl-C: stopping after this session and saving the state (Ctrl-C again to quit without "
              "saving)", file=sys.stderr)

    def progress(self, done: int, total: int, day: Any, elapsed: float) -> None:
        if self.show_progress:
            progress_bar(done, total, day, elapsed)
        if self.requested and done < total:
            raise StopRequested


def _new_run(args: argparse.Namespace, command: str) -> tuple[Any, Path]:
    """RunSettings and the output folder of a new run (not a resume)."""
    from offline.market.sample_market import write_sample_market
    from offline.replay.restart import RunSettings

    overrides = parse_sets(args.set or [])
    for note in deprecation_notes(overrides):
        print(f"note: {note}", file=sys.stderr)
    for name, value in (("backtest_start", args.start), ("backtest_end", args.end)):
        if value is not None:
            overrides[name] = parse_day(value, "--" + name.removeprefix("backtest_"))
    if args.cash is not None:
        overrides["backtest_cash"] = parse_cash(args.cash)
    config = load_config(overrides)
    out_dir = Path(args.out or DEFAULT_OUT)
    data_dir = Path(args.data) if args.data else None
    allow_missing = args.allow_missing
    if data_dir is None:
        data_dir = out_dir / "sample_market"
        write_sample_market(data_dir, config.backtest.start_date, config.backtest.end_date)
        print(f"no --data given: using the SYNTHETIC sample market generated in {data_dir} (it has no SPX "
              "index file, so the SPX strategies are off)", file=sys.stderr)
        allow_missing = True
    if not data_dir.is_dir():
        raise ValueError(f"--data {str(data_dir)!r} is not a folder (see the README's market data layout)")
    missing = missing_data(config, data_dir)
    if missing and not allow_missing:
        raise MarketDataError(data_dir.resolve(), None, missing_data_error(missing))
    for item in missing:
        overrides.update(item.overrides)
    off = tuple(item.message() for item in missing)
    return RunSettings(str(data_dir.resolve()), overrides, parse_faults(args.fault or []), args.strict_data,
                       command, off, args.every_minute), out_dir


def command_backtest(args: argparse.Namespace, argv: list[str]) -> int:
    """Run or resume a backtest; exit code 0 when it finished or stopped as asked."""
    from offline.replay.restart import (
        STATE_FOLDER,
        build_runner,
        clear_checkpoint,
        resume_runner,
        save_checkpoint,
    )
    from offline.report.outputs import write_outputs
    from offline.report.workers import output_pool, start_short_put

    stop_at = parse_stop(args.stop_at)
    watch = InterruptWatch(not args.quiet)
    if args.resume:
        given = [flag for flag, value in (("--data", args.data), ("--start", args.start), ("--end", args.end),
                                          ("--cash", args.cash), ("--set", args.set), ("--fault", args.fault),
                                          ("--out", args.out), ("--strict-data", args.strict_data),
                                          ("--allow-missing", args.allow_missing),
                                          ("--every-minute", args.every_minute)) if value]
        if given:
            raise ValueError(f"--resume takes the run's settings from its checkpoint; drop {', '.join(given)}")
        out_dir = Path(args.resume)
        runner, settings = resume_runner(out_dir, watch.progress)
        print(f"resuming the run saved in {out_dir} at {runner.next_step_time():%Y-%m-%d %H:%M}", file=sys.stderr)
    else:
        settings, out_dir = _new_run(args, "tomking " + shlex.join(argv))
        clear_checkpoint(out_dir)
        runner = build_runner(settings, out_dir / STATE_FOLDER, watch.progress)
        for line in settings.strategies_off:  # the journal says it too, under the strategy's key
            runner.journal.record(runner.next_step_time(), "info", line, strategy=line.split(" ", 1)[0])
    for line in settings.strategies_off:
        print(f"warning: {line}", file=sys.stderr)
    issues = runner.market.data_issues
    if issues:
        print(f"warning: {len(issues)} data issue(s), first {issues[0].file} line {issues[0].line} ({issues[0].date}): "
              f"{issues[0].problem}; no new entries on those days; every one in summary.json data_issues "
              "(--strict-data stops at the first instead)", file=sys.stderr)
    with output_pool(args.chart_workers) as pool:  # the charts' workers, started now: they import matplotlib
        # and compute the short put baseline on the other core while the replay runs (left, they are terminated)
        short_put = start_short_put(pool, runner.market, runner.sessions(), runner.config.backtest.cash,
                                    runner.config.risk.buying_power_reserve)
        with watch:  # a Ctrl-C while the outputs are written lets them finish
            try:
                result = runner.run(stop_at)
            except StopRequested:
                runner.stopped = True
            if runner.stopped:
                path = save_checkpoint(runner, out_dir, settings)
                print(f"stopped before {runner.next_step_time():%Y-%m-%d %H:%M}; state saved in {path} and "
                      f"{out_dir / STATE_FOLDER}")
                print(f"  finish the run with: .venv/bin/tomking backtest --resume {out_dir}")
                return 0
            summary = write_outputs(result, out_dir, settings.command, settings.strategies_off, pool, short_put)
            clear_checkpoint(out_dir)
    _print_result(summary, out_dir)
    return 0


def _print_result(summary: dict[str, Any], out_dir: Path) -> None:
    """The console lines of a finished run: what ran, warnings, figures, where the outputs are."""
    run = summary["run"]
    label = "SYNTHETIC sample market" if summary["data"]["source"] == "synthetic" else "real market data"
    window = run["window_ran"]
    print(f"backtest {window['first_session']}..{window['last_session']} ({window['sessions']} sessions) on "
          f"{label} (option prices modelled)")
    for warning in run["coverage_warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    changed = ", ".join(f"{k}={v}" for k, v in run["parameters_changed"].items()) or "none (the defaults)"
    print(f"  parameters changed: {changed}")
    print(f"  final equity ${summary['final_equity']:,.2f}  total return {summary['total_return']:.2%}  "
          f"max drawdown {summary['max_drawdown']:.2%}  trades {summary['trades']}")
    print(f"  outputs in {out_dir}: summary.json trades.csv equity.csv daily.csv journal.jsonl report.html equity.png")
    print(f"  open the report: {out_dir / 'report.html'}")
